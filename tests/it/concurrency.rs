//! Concurrent writers: 8 writers × 1,000 writes on 4 shared assets over HTTP, half of them
//! blind (the server retries a lost race), half conditional (`If-Match`, redone by the client
//! after a 412). No acknowledged write may be lost, revisions only grow, and store and
//! projections agree at the end (`orrery check`).

use std::collections::{BTreeMap, BTreeSet};
use std::time::Instant;

use crate::common::{Server, orrery, token};
use serde_json::{Value, json};

const WRITERS: usize = 8;
const WRITES: usize = 1000;
const ASSETS: usize = 4;

/// One acknowledged write.
#[derive(Debug, Clone)]
struct Ack {
    asset: String,
    revision: u64,
    value: String,
}

fn revision_of(r: &reqwest::blocking::Response) -> u64 {
    r.headers()["etag"]
        .to_str()
        .unwrap()
        .trim_matches('"')
        .parse()
        .unwrap()
}

#[test]
fn concurrent_writers_lose_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(dir.path(), &["--no-demo"]);
    let alice = token(dir.path(), "alice", &["developer"], &[]);
    let mo = token(dir.path(), "mo", &["moderator"], &[]);
    let ids: Vec<String> = (0..ASSETS).map(|i| format!("shared-{i}")).collect();
    for id in &ids {
        let doc = json!({"id": id, "type": "Dataset", "name": format!("Shared {id}")});
        let r = s.call(
            "POST",
            "/api/v1/assets",
            &alice,
            Some("application/json"),
            Some(doc.to_string()),
            None,
        );
        assert_eq!(r.status(), 201);
    }
    let started = Instant::now();
    let (acks, conflicts): (Vec<Vec<Ack>>, Vec<usize>) = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..WRITERS)
            .map(|t| {
                let (s, ids) = (&s, &ids);
                // Owner and moderator both edit: ownership and curation race alike.
                let tok = if t % 2 == 0 {
                    alice.clone()
                } else {
                    mo.clone()
                };
                scope.spawn(move || {
                    let mut acks = Vec::with_capacity(WRITES);
                    let mut conflicts = 0;
                    for i in 0..WRITES {
                        let id = &ids[(t + i) % ASSETS];
                        let value = format!("writer {t} write {i}");
                        let body = json!({"abstract": value}).to_string();
                        let path = format!("/api/v1/assets/{id}");
                        let r = loop {
                            let tag = if i % 2 == 1 {
                                let g = s.call("GET", &path, &tok, None, None, None);
                                assert_eq!(g.status(), 200);
                                Some(g.headers()["etag"].to_str().unwrap().to_owned())
                            } else {
                                None
                            };
                            let r = s.call(
                                "PATCH",
                                &path,
                                &tok,
                                Some("application/merge-patch+json"),
                                Some(body.clone()),
                                tag.as_deref(),
                            );
                            if r.status() == 412 {
                                conflicts += 1;
                                continue;
                            }
                            break r;
                        };
                        assert_eq!(r.status(), 200, "{}", r.text().unwrap_or_default());
                        let revision = revision_of(&r);
                        let doc: Value = r.json().unwrap();
                        assert_eq!(
                            doc["abstract"],
                            value.as_str(),
                            "the answer shows this write"
                        );
                        assert_eq!(doc["revision"], revision);
                        acks.push(Ack {
                            asset: id.clone(),
                            revision,
                            value,
                        });
                    }
                    (acks, conflicts)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("writer"))
            .unzip()
    });
    let elapsed = started.elapsed();
    let total: usize = acks.iter().map(Vec::len).sum();
    assert_eq!(total, WRITERS * WRITES);
    eprintln!(
        "concurrency: {total} acknowledged writes by {WRITERS} writers in {:.1} s ({:.0} writes/s), {} If-Match conflicts redone",
        elapsed.as_secs_f64(),
        total as f64 / elapsed.as_secs_f64(),
        conflicts.iter().sum::<usize>()
    );

    // Each writer saw its revisions strictly increase, and no two writes share one.
    let mut all = BTreeSet::new();
    for writer in &acks {
        assert!(writer.windows(2).all(|w| w[0].revision < w[1].revision));
        for a in writer {
            assert!(
                all.insert(a.revision),
                "revision {} acknowledged twice",
                a.revision
            );
        }
    }
    // Every acknowledged write is in its asset's history with its value, and each asset holds
    // the value of its last acknowledged write.
    let mut by_asset: BTreeMap<&str, Vec<&Ack>> = BTreeMap::new();
    for a in acks.iter().flatten() {
        by_asset.entry(&a.asset).or_default().push(a);
    }
    for (id, writes) in &by_asset {
        let history = s.get_json(&format!("/api/v1/assets/{id}/history"), &alice);
        let events: BTreeMap<u64, &Value> = history["events"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| (e["revision"].as_u64().unwrap(), e))
            .collect();
        for w in writes {
            let e = events
                .get(&w.revision)
                .unwrap_or_else(|| panic!("revision {} of {id} is not in its history", w.revision));
            assert_eq!(e["changes"][0]["field"], "abstract");
            assert_eq!(
                e["changes"][0]["to"],
                w.value.as_str(),
                "revision {}",
                w.revision
            );
        }
        let last = writes.iter().max_by_key(|w| w.revision).unwrap();
        let now = s.get_json(&format!("/api/v1/assets/{id}"), &alice);
        assert_eq!(now["abstract"], last.value.as_str());
        assert_eq!(now["revision"], last.revision);
        // The search index has the last write too.
        let found = s.get_json(&format!("/api/v1/assets?q=id:{id}"), &alice);
        assert_eq!(found["hits"][0]["abstract"], last.value.as_str());
    }
    s.stop();
    let out = orrery(dir.path(), &["check"]);
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{report}");
    assert!(report.contains("store and projections agree"), "{report}");
}
