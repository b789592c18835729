use std::sync::Arc;
use std::time::Duration;

use super::*;
use crate::model::Vocabularies;
use crate::model::document::parse;
use crate::store::{Store, StoreError};

mod pg {
    include!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/it/common/postgres.rs"
    ));
}

fn open(dir: &std::path::Path) -> Arc<Store> {
    Arc::new(
        Store::open(
            dir,
            Some("http://example.org"),
            "",
            Arc::new(Vocabularies::load().unwrap()),
        )
        .unwrap(),
    )
}

fn asset(store: &Store, id: &str, name: &str) -> Box<Asset> {
    let doc = format!(
        r#"{{"id":"{id}","type":"dataset","name":"{name}","mission":["gaia"],"dateCreated":"2020-01-02"}}"#
    );
    Box::new(parse(doc.as_bytes(), store.vocab()).unwrap())
}

fn put(store: &Store, id: &str, name: &str, at: &str) -> Append {
    Append {
        op: Op::Put {
            asset: asset(store, id, name),
            event: serde_json::json!({"action": "create", "by": "operator"}),
        },
        actor: "operator".into(),
        at: at.into(),
    }
}

fn mutate(id: &str, expect: Expect, body: Body, at: &str) -> Append {
    Append {
        op: Op::Mutate(Box::new(Mutation {
            id: id.into(),
            expect,
            body,
            pending: None,
            event: serde_json::json!({"action": "update", "by": "someone"}),
            version: None,
        })),
        actor: "someone".into(),
        at: at.into(),
    }
}

/// A history of every kind of change: a batch of puts, an update, a pending edit, a
/// deletion, a re-creation and a version.
fn history(store: &Store) -> Vec<Vec<Append>> {
    let mut edited = asset(store, "a", "Edited");
    edited.name = "Edited".into();
    let mut pending = mutate("b", Expect::Revision(2), Body::Keep, "2024-01-03T00:00:00Z");
    if let Op::Mutate(m) = &mut pending.op {
        m.pending = Some(Some(asset(store, "b", "Pending")));
    }
    vec![
        vec![
            put(store, "a", "First", "2024-01-01T00:00:00Z"),
            put(store, "b", "Second", "2024-01-01T00:00:00Z"),
            put(store, "c", "Third", "2024-01-01T00:00:00Z"),
        ],
        vec![mutate(
            "a",
            Expect::Revision(1),
            Body::Put(edited),
            "2024-01-02T00:00:00Z",
        )],
        vec![pending],
        vec![mutate(
            "c",
            Expect::Revision(3),
            Body::Delete,
            "2024-01-04T00:00:00Z",
        )],
        vec![mutate(
            "c",
            Expect::Absent,
            Body::Put(asset(store, "c", "Again")),
            "2024-01-05T00:00:00Z",
        )],
        vec![Append {
            op: Op::Versions {
                versions: vec![(
                    "a".into(),
                    NewVersion {
                        name: "1.0".into(),
                        description: None,
                        actor: Some("operator".into()),
                        entry: Some("main.cwl".into()),
                        files: vec![("main.cwl".into(), b"cwlVersion: v1.2\n\xff".to_vec())],
                        meta: serde_json::json!({}),
                    },
                )],
            },
            actor: "operator".into(),
            at: "2024-01-06T00:00:00Z".into(),
        }],
    ]
}

#[tokio::test]
async fn a_replica_fed_from_the_postgres_log_equals_the_embedded_store() {
    let pg = pg::Postgres::start();
    let log = PgLog::open(&pg.url()).await.unwrap();
    let dirs = [tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap()];
    let (embedded, replica) = (open(dirs[0].path()), open(dirs[1].path()));
    let direct = Embedded::new(embedded.clone()).unwrap();
    for batch in history(&embedded) {
        let a = direct.append(batch.clone()).await.unwrap().unwrap();
        let b = log.append(batch).await.unwrap().unwrap();
        // Versions take a revision of their own in the log, not in the store.
        if !b.is_empty() && !a.is_empty() {
            assert_eq!(a.len(), b.len());
        }
    }
    assert_eq!(log.head().await.unwrap(), 8);
    let entries = log.read(0, 100).await.unwrap();
    let revisions: Vec<u64> = entries.iter().map(|e| e.revision).collect();
    assert_eq!(revisions, (1..=8).collect::<Vec<u64>>());
    // Applied in two parts (a node that stopped half-way), once more (a node that re-reads).
    assert_eq!(apply(&replica, &entries[..4]).unwrap(), 4);
    assert_eq!(apply(&replica, &entries).unwrap(), 8);
    assert_eq!(apply(&replica, &entries).unwrap(), 8);
    assert_eq!(replica.digest().unwrap(), embedded.digest().unwrap());
    assert_eq!(replica.history("c").unwrap().len(), 3);
    assert_eq!(replica.pending("b").unwrap().unwrap().name, "Pending");
    assert_eq!(
        replica
            .version("a", "1.0")
            .unwrap()
            .unwrap()
            .entry
            .as_deref(),
        Some("main.cwl")
    );
}

#[tokio::test]
async fn postgres_refuses_a_stale_change_and_keeps_the_whole_batch_out() {
    let pg = pg::Postgres::start();
    let log = PgLog::open(&pg.url()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let create = mutate(
        "a",
        Expect::Absent,
        Body::Put(asset(&store, "a", "A")),
        "2024-01-01T00:00:00Z",
    );
    assert_eq!(log.append(vec![create.clone()]).await.unwrap(), Ok(vec![1]));
    let refused = log
        .append(vec![put(&store, "z", "Z", "2024-01-02T00:00:00Z"), create])
        .await
        .unwrap();
    assert_eq!(
        refused,
        Err(Refused {
            asset: "a".into(),
            current: Some(1)
        })
    );
    let stale = mutate(
        "a",
        Expect::Revision(7),
        Body::Delete,
        "2024-01-02T00:00:00Z",
    );
    assert!(log.append(vec![stale]).await.unwrap().is_err());
    assert_eq!(log.head().await.unwrap(), 1);
    // Within a batch a change sees the one before it.
    let both = vec![
        mutate(
            "a",
            Expect::Revision(1),
            Body::Delete,
            "2024-01-03T00:00:00Z",
        ),
        mutate(
            "a",
            Expect::Absent,
            Body::Put(asset(&store, "a", "B")),
            "2024-01-03T00:00:00Z",
        ),
    ];
    assert_eq!(log.append(both).await.unwrap(), Ok(vec![2, 3]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn racing_writers_get_contiguous_revisions_and_waiters_wake() {
    let pg = pg::Postgres::start();
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let logs = [
        Arc::new(PgLog::open(&pg.url()).await.unwrap()),
        Arc::new(PgLog::open(&pg.url()).await.unwrap()),
    ];
    let waiter = {
        let log = logs[1].clone();
        tokio::spawn(async move {
            let started = std::time::Instant::now();
            let head = log.wait_for(150, Duration::from_secs(30)).await.unwrap();
            (head, started.elapsed())
        })
    };
    let mut tasks = Vec::new();
    for (w, log) in logs.iter().enumerate() {
        for i in 0..25 {
            let log = log.clone();
            let batch: Vec<Append> = (0..3)
                .map(|k| {
                    put(
                        &store,
                        &format!("w{w}-{i}-{k}"),
                        "x",
                        "2024-01-01T00:00:00Z",
                    )
                })
                .collect();
            tasks.push(tokio::spawn(async move { log.append(batch).await }));
        }
    }
    let mut all = Vec::new();
    for t in tasks {
        let revs = t.await.unwrap().unwrap().unwrap();
        assert!(revs.windows(2).all(|w| w[1] == w[0] + 1), "{revs:?}");
        all.extend(revs);
    }
    all.sort_unstable();
    assert_eq!(all, (1..=150).collect::<Vec<u64>>());
    let (head, waited) = waiter.await.unwrap();
    assert_eq!(head, 150);
    assert!(waited < Duration::from_secs(10), "{waited:?}");
    let entries = logs[0].read(100, 1000).await.unwrap();
    assert_eq!(entries.len(), 50);
    assert_eq!(entries[0].revision, 101);
    // A head nobody reaches is waited for no longer than asked.
    let started = std::time::Instant::now();
    assert_eq!(
        logs[0]
            .wait_for(151, Duration::from_millis(300))
            .await
            .unwrap(),
        150
    );
    assert!(started.elapsed() < Duration::from_secs(5));
}

/// Puts one asset, `a`, into `store`.
fn put_a(store: &Store) {
    store
        .put(
            &[*asset(store, "a", "A")],
            &[serde_json::json!({})],
            "2024-01-01T00:00:00Z",
        )
        .unwrap();
}

#[test]
fn a_store_follows_one_log_and_never_one_behind_it() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    store.bind_log("log-a", 0).unwrap();
    store.bind_log("log-a", 0).unwrap();
    put_a(&store);
    // Another log, or this one restored to before what the store holds, would be skipped.
    assert!(matches!(
        store.bind_log("log-b", 10),
        Err(StoreError::OtherLog(_))
    ));
    assert!(matches!(
        store.bind_log("log-a", 0),
        Err(StoreError::OtherLog(_))
    ));
    store.bind_log("log-a", 1).unwrap();
    // An embedded catalogue with data is not taken over by a log.
    let other = tempfile::tempdir().unwrap();
    let embedded = open(other.path());
    put_a(&embedded);
    assert!(embedded.bind_log("log-a", 100).is_err());
}

#[test]
fn a_batch_cut_into_parts_leaves_the_same_state() {
    let dirs = [tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap()];
    let (whole, parts) = (open(dirs[0].path()), open(dirs[1].path()));
    let published = |s: &Store| {
        let mut a = asset(s, "x", "Shown");
        a.status = Some(crate::model::Status::Published);
        a.license = Some("CC-BY-4.0".into());
        *a
    };
    let hidden = |s: &Store| *asset(s, "x", "Hidden");
    let entries: Vec<Entry> = [published(&whole), hidden(&whole), hidden(&whole)]
        .into_iter()
        .enumerate()
        .map(|(i, a)| Entry {
            revision: i as u64 + 1,
            asset: "x".into(),
            op: Some(Op::Put {
                asset: Box::new(a),
                event: serde_json::json!({}),
            }),
            actor: "operator".into(),
            at: "2024-01-01T00:00:00Z".into(),
        })
        .collect();
    assert_eq!(apply(&whole, &entries).unwrap(), 3);
    assert_eq!(apply(&parts, &entries[..1]).unwrap(), 1);
    assert_eq!(apply(&parts, &entries).unwrap(), 3);
    assert_eq!(whole.digest().unwrap(), parts.digest().unwrap());
    assert!(whole.change("x").unwrap().unwrap().ever_public);
    assert_eq!(
        whole.change("x").unwrap().unwrap().ever_public,
        parts.change("x").unwrap().unwrap().ever_public
    );
}

#[test]
fn versions_of_an_asset_deleted_since_are_skipped_everywhere() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let entries = vec![
        Entry {
            revision: 1,
            asset: "a".into(),
            op: Some(Op::Put {
                asset: asset(&store, "a", "A"),
                event: serde_json::json!({}),
            }),
            actor: "operator".into(),
            at: "2024-01-01T00:00:00Z".into(),
        },
        Entry {
            revision: 2,
            asset: "a".into(),
            op: Some(
                mutate(
                    "a",
                    Expect::Revision(1),
                    Body::Delete,
                    "2024-01-02T00:00:00Z",
                )
                .op,
            ),
            actor: "someone".into(),
            at: "2024-01-02T00:00:00Z".into(),
        },
        Entry {
            revision: 3,
            asset: "a".into(),
            op: Some(Op::Versions {
                versions: vec![(
                    "a".into(),
                    NewVersion {
                        name: "1.0".into(),
                        description: None,
                        actor: None,
                        entry: None,
                        files: vec![],
                        meta: serde_json::json!({}),
                    },
                )],
            }),
            actor: "operator".into(),
            at: "2024-01-03T00:00:00Z".into(),
        },
    ];
    assert_eq!(apply(&store, &entries).unwrap(), 3);
    assert!(store.version("a", "1.0").unwrap().is_none());
}
