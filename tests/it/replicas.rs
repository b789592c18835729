//! A deployment of several nodes sharing PostgreSQL: writers append to its revision log, every
//! node follows it into its own store and projections. Separate processes, each with its own
//! data directory, on one PostgreSQL started for the test.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::common::postgres::Postgres;
use super::common::{Server, bin, problem};

const BASE: &str = "http://catalogue.test";

fn node(data: &Path, url: &str, role: &str, extra: &[&str]) -> Server {
    let mut args = vec![
        "--base-url",
        BASE,
        "--database-url",
        url,
        "--role",
        role,
        "--min-revision-wait",
        "20",
    ];
    args.extend(extra);
    Server::start(data, &args)
}

/// A token every node knows: created in the shared PostgreSQL.
fn token(url: &str, user: &str, roles: &[&str]) -> String {
    let mut args = vec!["token", "create", "--user", user];
    for r in roles {
        args.extend(["--role", r]);
    }
    let out = Command::new(bin())
        .args(&args)
        .env("ORRERY_DATABASE_URL", url)
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "token create: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .last()
        .unwrap()
        .trim()
        .to_owned()
}

/// `/healthz?digest=true` once the node has applied `revision`.
fn digests(s: &Server, revision: u64) -> Value {
    let r = s.get(&format!("/healthz?digest=true&min_revision={revision}"));
    assert_eq!(r.status(), 200, "{}", r.text().unwrap_or_default());
    let h: Value = r.json().unwrap();
    assert_eq!(h["revision"]["applied"].as_u64(), Some(revision), "{h}");
    h["revision"]["digests"].clone()
}

fn head(s: &Server) -> u64 {
    let h: Value = s.get("/healthz").json().unwrap();
    h["revision"]["head"].as_u64().expect("a head")
}

fn revision_of(r: &reqwest::blocking::Response) -> u64 {
    r.headers()
        .get("orrery-revision")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .expect("an Orrery-Revision header")
}

/// Creates a public asset as `dev`, submits it and has `moderator` approve it; returns the
/// revision of the approval.
fn publish(s: &Server, id: &str, name: &str, dev: &str, moderator: &str) -> u64 {
    let doc = json!({"id": id, "type": "Dataset", "name": name, "license": "CC-BY-4.0",
                     "description": format!("{name}, a replicated dataset.")});
    let r = s.call(
        "POST",
        "/api/v1/assets",
        dev,
        Some("application/json"),
        Some(doc.to_string()),
        None,
    );
    assert_eq!(r.status(), 201, "{}", r.text().unwrap_or_default());
    for (what, tok) in [("submit", dev), ("approve", moderator)] {
        let r = s.call(
            "POST",
            &format!("/api/v1/assets/{id}/{what}"),
            tok,
            Some("application/json"),
            Some("{}".into()),
            None,
        );
        assert_eq!(r.status(), 200, "{what}: {}", r.text().unwrap_or_default());
        if what == "approve" {
            return revision_of(&r);
        }
    }
    unreachable!()
}

/// Writes `n` assets with `orrery ingest` from a data directory of its own, into the log.
fn ingest(url: &str, dir: &Path, prefix: &str, n: usize, name: &str) {
    let file = dir.join(format!("{prefix}.jsonl"));
    let lines: Vec<String> = (0..n)
        .map(|i| {
            json!({"id": format!("{prefix}-{i}"), "type": "Dataset",
                   "name": format!("{name} {i}"), "license": "CC-BY-4.0",
                   "mission": ["gaia"]})
            .to_string()
        })
        .collect();
    std::fs::write(&file, lines.join("\n")).unwrap();
    let out = Command::new(bin())
        .args(["--base-url", BASE, "ingest"])
        .arg(&file)
        .arg("--data")
        .arg(dir.join("ingest-data"))
        .env("ORRERY_DATABASE_URL", url)
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "ingest: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn nodes_sharing_postgres_converge_and_read_their_writes() {
    let pg = Postgres::start();
    let url = pg.url();
    let dirs: Vec<tempfile::TempDir> = (0..4).map(|_| tempfile::tempdir().unwrap()).collect();
    let writer = node(dirs[0].path(), &url, "writer", &[]);
    let dev = token(&url, "alice", &["developer"]);
    let moderator = token(&url, "mo", &["moderator"]);
    let bob = token(&url, "bob", &["developer"]);
    let seeded = head(&writer);
    assert!(seeded > 0, "the writer seeds the demo catalogue");
    let reader = node(
        dirs[1].path(),
        &url,
        "reader",
        &["--writer-url", &writer.base, "--no-demo"],
    );

    // The seeded catalogue reaches the reader, whole.
    assert_eq!(digests(&reader, seeded), digests(&writer, seeded));
    let all = |s: &Server| s.get_json("/api/v1/assets?limit=1", "")["total"].clone();
    assert_eq!(all(&reader), all(&writer));

    // A reader refuses writes and says where they go.
    let r = reader.call(
        "POST",
        "/api/v1/assets",
        &dev,
        Some("application/json"),
        Some(json!({"id": "x", "type": "Dataset", "name": "X"}).to_string()),
        None,
    );
    let link = r
        .headers()
        .get("link")
        .map(|v| v.to_str().unwrap().to_owned());
    let p = problem(r, 421);
    assert!(p["detail"].as_str().unwrap().contains(&writer.base), "{p}");
    assert_eq!(link, Some(format!("<{}>; rel=\"writer\"", writer.base)));
    // Reads by POST are reads.
    let r = reader
        .client
        .post(format!("{}/sparql", reader.base))
        .header("Content-Type", "application/sparql-query")
        .body("ASK { ?s ?p ?o }")
        .send()
        .unwrap();
    assert_eq!(r.status(), 200);

    // Read-your-writes: a write names its revision; a read at that revision sees it.
    let rev = publish(&writer, "rep-1", "Xanthippe survey", &dev, &moderator);
    let found = reader.get_json(
        &format!("/api/v1/assets?q=xanthippe&min_revision={rev}"),
        "",
    );
    assert_eq!(found["total"], 1, "{found}");
    let asset = reader.get(&format!("/api/v1/assets/rep-1?min_revision={rev}"));
    assert_eq!(asset.status(), 200);
    // A revision nobody wrote is waited for, then refused for now.
    let r = reader.get(&format!("/api/v1/assets?min_revision={}", rev + 1000));
    assert_eq!(r.headers().get("retry-after").unwrap(), "1");
    problem(r, 503);
    problem(reader.get("/api/v1/assets?min_revision=soon"), 400);

    // A private asset shared with bob: every node shows the same to anonymous readers, to its
    // owner and to bob, and none shows it to anonymous readers anywhere.
    let doc = json!({"id": "rep-private", "type": "Dataset", "name": "Zqxhidden cube",
                     "license": "CC-BY-4.0",
                     "visibility": {"audience": "private", "users": ["bob"], "groups": []}});
    let r = writer.call(
        "POST",
        "/api/v1/assets",
        &dev,
        Some("application/json"),
        Some(doc.to_string()),
        None,
    );
    assert_eq!(r.status(), 201);
    let r = writer.call(
        "POST",
        "/api/v1/assets/rep-private/submit",
        &dev,
        Some("application/json"),
        Some("{}".into()),
        None,
    );
    assert_eq!(r.status(), 200);
    let rev = revision_of(&r);
    for tok in ["", dev.as_str(), bob.as_str()] {
        let facets = |s: &Server| {
            let r = s.call(
                "GET",
                &format!("/api/v1/assets?limit=100&min_revision={rev}"),
                tok,
                None,
                None,
                None,
            );
            assert_eq!(r.status(), 200);
            r.bytes().unwrap()
        };
        assert_eq!(facets(&reader), facets(&writer), "as {tok:?}");
    }
    assert_eq!(
        reader.get_json("/api/v1/assets?q=zqxhidden", &bob)["total"],
        1
    );
    for s in [&writer, &reader] {
        assert_eq!(s.get_json("/api/v1/assets?q=zqxhidden", "")["total"], 0);
        let suggested = s.get_json("/api/v1/suggest?q=zqxhid", "");
        assert!(!suggested.to_string().contains("Zqxhidden"), "{suggested}");
        for path in [
            "/sitemap.xml",
            "/oai?verb=ListRecords&metadataPrefix=ivo_vor",
            "/dcat",
        ] {
            let body = s.get(path).text().unwrap();
            assert!(!body.to_lowercase().contains("zqxhidden"), "{path}: {body}");
        }
        assert_eq!(s.get("/api/v1/assets/rep-private").status(), 404);
    }

    // Two writers racing: every write is acknowledged with its own revision, and the log
    // holds them all, without gaps.
    let second = node(dirs[2].path(), &url, "writer", &["--no-demo"]);
    let dev2 = dev.clone();
    let before = head(&writer);
    let revisions: Vec<u64> = std::thread::scope(|scope| {
        let tasks: Vec<_> = [(&writer, &dev), (&second, &dev2)]
            .into_iter()
            .enumerate()
            .map(|(w, (s, tok))| {
                scope.spawn(move || {
                    (0..15)
                        .map(|i| {
                            let doc = json!({"id": format!("race-{w}-{i}"), "type": "Dataset",
                                             "name": format!("Race {w} {i}")});
                            let r = s.call(
                                "POST",
                                "/api/v1/assets",
                                tok,
                                Some("application/json"),
                                Some(doc.to_string()),
                                None,
                            );
                            assert_eq!(r.status(), 201);
                            revision_of(&r)
                        })
                        .collect::<Vec<u64>>()
                })
            })
            .collect();
        tasks.into_iter().flat_map(|t| t.join().unwrap()).collect()
    });
    let mut sorted = revisions.clone();
    sorted.sort_unstable();
    assert_eq!(sorted, (before + 1..=before + 30).collect::<Vec<u64>>());
    let top = head(&writer);
    assert_eq!(top, before + 30);
    let d = digests(&writer, top);
    assert_eq!(digests(&second, top), d);
    assert_eq!(digests(&reader, top), d);

    // A reader killed while it applies a large batch, then more writes (updates and deletes
    // among them), then restarted: it ends equal to the writer.
    let mut reader = reader;
    ingest(&url, dirs[3].path(), "bulk", 2_000, "Bulk");
    std::thread::sleep(Duration::from_millis(300));
    reader.child.kill().unwrap();
    reader.child.wait().unwrap();
    ingest(&url, dirs[3].path(), "bulk", 1_000, "Bulk qwertyx");
    for i in 0..20 {
        let r = writer.call(
            "DELETE",
            &format!("/api/v1/assets/race-0-{}", i % 15),
            &dev,
            None,
            None,
            None,
        );
        assert!(r.status() == 204 || r.status() == 404, "{}", r.status());
    }
    let top = head(&writer);
    let reader = node(
        dirs[1].path(),
        &url,
        "reader",
        &["--writer-url", &writer.base, "--no-demo"],
    );
    let d = digests(&writer, top);
    assert_eq!(digests(&reader, top), d);
    assert_eq!(
        reader.get_json(
            &format!("/api/v1/assets?q=qwertyx&limit=1&min_revision={top}"),
            ""
        )["total"],
        1_000
    );

    // PostgreSQL restarts under the nodes: they answer meanwhile and carry on after it.
    pg.restart();
    let started = Instant::now();
    let rev = loop {
        let doc = json!({"id": "after-restart", "type": "Dataset", "name": "After"});
        let r = writer.call(
            "POST",
            "/api/v1/assets",
            &dev,
            Some("application/json"),
            Some(doc.to_string()),
            None,
        );
        if r.status() == 201 {
            break revision_of(&r);
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the writer did not recover: {}",
            r.status()
        );
        std::thread::sleep(Duration::from_millis(200));
    };
    assert_eq!(digests(&reader, rev), digests(&writer, rev));
    // One writer leads again (its session, and the lock, died with the server).
    let leaders = |deadline: Duration| {
        let started = Instant::now();
        loop {
            let n = [&writer, &second]
                .iter()
                .filter(|s| {
                    let h: Value = s.get("/healthz").json().unwrap();
                    h["revision"]["leader"] == true
                })
                .count();
            if n == 1 || started.elapsed() > deadline {
                return n;
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    };
    assert_eq!(leaders(Duration::from_secs(30)), 1);

    // Every connection cut under the nodes: they reconnect by themselves.
    pg.sql(
        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity \
         WHERE datname = 'orrery' AND pid <> pg_backend_pid()",
    );
    let rev = publish(&second, "rep-2", "Ysolde survey", &dev, &moderator);
    assert_eq!(
        reader.get_json(&format!("/api/v1/assets?q=ysolde&min_revision={rev}"), "")["total"],
        1
    );
    assert_eq!(digests(&reader, rev), digests(&writer, rev));
    // The log holds every revision once, in order.
    assert_eq!(
        pg.sql("SELECT count(*) = max(revision) AND min(revision) = 1 FROM orrery_revisions"),
        "t"
    );
    assert_eq!(pg.sql("SELECT revision FROM orrery_head"), rev.to_string());
}
