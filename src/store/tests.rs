use std::sync::Arc;

use super::*;
use crate::model::document::parse;

fn open(dir: &Path) -> Store {
    Store::open(
        dir,
        Some("http://example.org"),
        "",
        Arc::new(Vocabularies::load().unwrap()),
    )
    .unwrap()
}

impl Store {
    /// `put` with an empty history event per asset.
    fn put_plain(&self, assets: &[Asset], datestamp: &str) -> Result<Vec<u64>> {
        self.put(
            assets,
            &vec![serde_json::json!({}); assets.len()],
            datestamp,
        )
    }
}

fn asset(store: &Store, id: &str, name: &str) -> Asset {
    let doc = format!(
        r#"{{"id":"{id}","type":"dataset","name":"{name}","mission":["gaia"],"dateCreated":"2020-01-02"}}"#
    );
    parse(doc.as_bytes(), store.vocab()).unwrap()
}

#[test]
fn put_replaces_graphs_and_bumps_revision() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    assert_eq!(store.revision().unwrap(), 0);
    let a = asset(&store, "a", "First");
    let b = asset(&store, "b", "Second");
    assert_eq!(
        store
            .put_plain(&[a.clone(), b], "2024-01-01T00:00:00Z")
            .unwrap(),
        vec![1, 2]
    );
    let renamed = asset(&store, "a", "Renamed");
    assert_eq!(
        store
            .put_plain(std::slice::from_ref(&renamed), "2024-01-02T00:00:00Z")
            .unwrap(),
        vec![3]
    );
    assert_eq!(store.get_full("a").unwrap().unwrap(), renamed);
    assert_eq!(store.change("a").unwrap().unwrap().revision, 3);
    let changes: Vec<(String, u64)> = store
        .changes_since(1)
        .unwrap()
        .into_iter()
        .map(|c| (c.id, c.revision))
        .collect();
    assert_eq!(changes, vec![("b".to_owned(), 2), ("a".to_owned(), 3)]);
}

#[test]
fn delete_leaves_a_tombstone() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    store
        .put_plain(&[asset(&store, "a", "A")], "2024-01-01T00:00:00Z")
        .unwrap();
    assert_eq!(
        store
            .delete(
                "a",
                serde_json::json!({"action": "delete"}),
                "2024-01-03T00:00:00Z"
            )
            .unwrap(),
        Some(2)
    );
    assert_eq!(
        store
            .delete(
                "a",
                serde_json::json!({"action": "delete"}),
                "2024-01-03T00:00:00Z"
            )
            .unwrap(),
        None
    );
    assert_eq!(
        store
            .delete(
                "missing",
                serde_json::json!({"action": "delete"}),
                "2024-01-03T00:00:00Z"
            )
            .unwrap(),
        None
    );
    assert!(store.get_full("a").unwrap().is_none());
    assert!(store.asset_quads("a").unwrap().is_empty());
    let c = store.change("a").unwrap().unwrap();
    assert!(c.deleted);
    assert_eq!(c.datestamp, "2024-01-03T00:00:00Z");
    assert!(store.live_ids().unwrap().is_empty());
}

#[test]
fn reopening_keeps_everything_and_checks_the_base() {
    let dir = tempfile::tempdir().unwrap();
    {
        let store = open(dir.path());
        store
            .put_plain(&[asset(&store, "a", "A")], "2024-01-01T00:00:00Z")
            .unwrap();
    }
    let store = open(dir.path());
    assert_eq!(store.revision().unwrap(), 1);
    assert_eq!(store.get_full("a").unwrap().unwrap().name, "A");
    drop(store);
    let err = Store::open(
        dir.path(),
        Some("http://other.org"),
        "",
        Arc::new(Vocabularies::load().unwrap()),
    )
    .err()
    .unwrap();
    assert!(matches!(err, StoreError::BaseMismatch { .. }), "{err}");
}

#[test]
fn vocabularies_are_in_the_store() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let mut out = Vec::new();
    store
        .dump(&mut out, oxigraph::io::RdfFormat::NQuads)
        .unwrap();
    let text = String::from_utf8(out).unwrap();
    assert!(text.contains("<http://www.ivoa.net/rdf/messenger#Optical>"));
    assert!(text.contains("https://w3id.org/esado/graph/missions"));
    assert!(!text.contains("urn:orrery:"));
}

#[test]
fn bulk_batches_and_transactions_agree() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let batch: Vec<Asset> = (0..100)
        .map(|i| asset(&store, &format!("a{i}"), &format!("Asset {i}")))
        .collect();
    assert_eq!(
        store.put_plain(&batch, "2024-01-01T00:00:00Z").unwrap(),
        (1..=100).collect::<Vec<u64>>()
    );
    assert_eq!(store.revision().unwrap(), 100);
    assert_eq!(store.get_full("a42").unwrap().unwrap(), batch[42]);
    // A second batch that touches an existing asset takes the transactional path and replaces it.
    let mut again: Vec<Asset> = (100..200)
        .map(|i| asset(&store, &format!("a{i}"), "New"))
        .collect();
    again.push(asset(&store, "a0", "Renamed"));
    let revs = store.put_plain(&again, "2024-01-02T00:00:00Z").unwrap();
    assert_eq!(revs.last(), Some(&201));
    assert_eq!(store.revision().unwrap(), 201);
    assert_eq!(store.get_full("a0").unwrap().unwrap().name, "Renamed");
    assert_eq!(
        store.asset_quads("a0").unwrap().len(),
        store.asset_quads("a1").unwrap().len()
    );
    // Another all-new batch after a transaction: revisions stay gapless.
    let third: Vec<Asset> = (300..400)
        .map(|i| asset(&store, &format!("a{i}"), "Third"))
        .collect();
    assert_eq!(
        store
            .put_plain(&third, "2024-01-03T00:00:00Z")
            .unwrap()
            .first(),
        Some(&202)
    );
    assert_eq!(store.revision().unwrap(), 301);
    let changes = store.changes_since(0).unwrap();
    assert_eq!(changes.len(), 300);
    assert!(changes.windows(2).all(|w| w[0].revision < w[1].revision));
}

#[test]
fn a_batch_repeating_an_id_keeps_the_last_version() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let mut batch: Vec<Asset> = (0..70)
        .map(|i| asset(&store, &format!("b{i}"), "B"))
        .collect();
    batch.push(asset(&store, "b3", "Last"));
    store.put_plain(&batch, "2024-01-01T00:00:00Z").unwrap();
    assert_eq!(store.get_full("b3").unwrap().unwrap().name, "Last");
    assert_eq!(
        store.asset_quads("b3").unwrap().len(),
        store.asset_quads("b4").unwrap().len()
    );
}

#[test]
fn mutations_are_compare_and_set_with_pending_revisions_and_history() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let a = asset(&store, "a", "First");
    let create = Mutation {
        id: "a".into(),
        expect: Expect::Absent,
        body: Body::Put(Box::new(a.clone())),
        pending: None,
        event: serde_json::json!({"action": "create"}),
        version: None,
    };
    assert_eq!(
        store.mutate(&create, "2024-01-01T00:00:00Z").unwrap(),
        Ok(1)
    );
    // Creating again conflicts, naming the live revision.
    assert_eq!(
        store.mutate(&create, "2024-01-01T00:00:00Z").unwrap(),
        Err(Conflict { current: Some(1) })
    );
    let mut b = a.clone();
    b.name = "Second".into();
    let edit = Mutation {
        id: "a".into(),
        expect: Expect::Revision(1),
        body: Body::Keep,
        pending: Some(Some(Box::new(b.clone()))),
        event: serde_json::json!({"action": "update", "pending": true}),
        version: None,
    };
    assert_eq!(store.mutate(&edit, "2024-01-02T00:00:00Z").unwrap(), Ok(2));
    // A stale revision changes nothing.
    assert_eq!(
        store.mutate(&edit, "2024-01-02T00:00:00Z").unwrap(),
        Err(Conflict { current: Some(2) })
    );
    assert_eq!(store.get_full("a").unwrap().unwrap().name, "First");
    assert_eq!(store.pending("a").unwrap().unwrap().name, "Second");
    assert_eq!(store.revision().unwrap(), 2);
    let approve = Mutation {
        id: "a".into(),
        expect: Expect::Revision(2),
        body: Body::Put(Box::new(b)),
        pending: Some(None),
        event: serde_json::json!({"action": "approve"}),
        version: None,
    };
    assert_eq!(
        store.mutate(&approve, "2024-01-03T00:00:00Z").unwrap(),
        Ok(3)
    );
    assert_eq!(store.get_full("a").unwrap().unwrap().name, "Second");
    assert_eq!(store.pending("a").unwrap(), None);
    assert_eq!(
        store
            .delete(
                "a",
                serde_json::json!({"action": "delete"}),
                "2024-01-04T00:00:00Z"
            )
            .unwrap(),
        Some(4)
    );
    let history = store.history("a").unwrap();
    let actions: Vec<&str> = history
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["create", "update", "approve", "delete"]);
    assert_eq!(history[1]["revision"], 2);
    assert_eq!(history[1]["at"], "2024-01-02T00:00:00Z");
    // A deleted id may be created again.
    assert_eq!(
        store.mutate(&create, "2024-01-05T00:00:00Z").unwrap(),
        Ok(5)
    );
    // Bookkeeping graphs are not catalogue data.
    let mut out = Vec::new();
    store
        .dump(&mut out, oxigraph::io::RdfFormat::NQuads)
        .unwrap();
    let text = String::from_utf8(out).unwrap();
    assert!(!text.contains("urn:orrery:"), "{text}");
}
