//! The command line: ingest with bad documents, export, check, reindex, and a SIGKILL in the
//! middle of a bulk ingest.

use std::collections::HashSet;
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};

use crate::common::{Server, orrery};
use serde_json::Value;

fn stdout(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// `n` assets of the corpus generator, as JSON Lines in `dir`.
fn generated(dir: &std::path::Path, n: usize) -> std::path::PathBuf {
    let corpus = dir.join("corpus.jsonl");
    let generator = crate::common::shared().join("tools/gen_corpus.py");
    let status = Command::new("python3")
        .arg(generator)
        .arg(n.to_string())
        .arg("--out")
        .arg(&corpus)
        .status()
        .expect("python3");
    assert!(status.success());
    corpus
}

fn export_ids(data: &std::path::Path) -> HashSet<String> {
    let out = orrery(data, &["export", "--format", "jsonl"]);
    assert!(out.status.success(), "{}", stderr(&out));
    stdout(&out)
        .lines()
        .map(|l| {
            serde_json::from_str::<Value>(l).unwrap()["id"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect()
}

#[test]
fn ingest_reports_bad_documents_and_loads_the_good_ones() {
    let data = tempfile::tempdir().unwrap();
    let input = tempfile::tempdir().unwrap();
    let jsonl = input.path().join("mixed.jsonl");
    let mut f = std::fs::File::create(&jsonl).unwrap();
    writeln!(
        f,
        r#"{{"id":"good-1","type":"dataset","name":"Good one","mission":["gaia"]}}"#
    )
    .unwrap();
    writeln!(f, r#"{{"id":"bad-json","type":"dataset","name":}}"#).unwrap();
    writeln!(
        f,
        r#"{{"id":"bad-key","type":"dataset","name":"X","nmae":"typo"}}"#
    )
    .unwrap();
    writeln!(f, r#"{{"id":"Bad Id","type":"dataset","name":"X"}}"#).unwrap();
    writeln!(
        f,
        r#"{{"id":"bad-vocab","type":"dataset","name":"X","mission":["Plank"]}}"#
    )
    .unwrap();
    writeln!(f, r#"{{"id":"good-2","type":"Data Volume","name":"Good two","volume":{{"mountPath":"/data/x"}}}}"#).unwrap();
    let sub = input.path().join("nested/deeper");
    std::fs::create_dir_all(&sub).unwrap();
    std::fs::write(
        sub.join("array.json"),
        "[\n  {\"id\":\"good-3\",\"type\":\"Pipeline\",\"name\":\"Three\"},\n  {\"id\":\"bad-type\",\"type\":\"Spaceship\",\"name\":\"X\"}\n]\n",
    )
    .unwrap();
    std::fs::write(
        sub.join("one.json"),
        r#"{"id":"good-4","type":"Datalab","name":"Four","license":"apache-2.0"}"#,
    )
    .unwrap();
    std::fs::write(sub.join("notes.txt"), "not a document").unwrap();

    let out = orrery(data.path(), &["ingest", input.path().to_str().unwrap()]);
    let err = stderr(&out);
    assert!(
        !out.status.success(),
        "ingest with bad documents must exit non-zero"
    );
    assert!(err.contains("mixed.jsonl:2: malformed JSON"), "{err}");
    assert!(
        err.contains("mixed.jsonl:3:") && err.contains("nmae"),
        "{err}"
    );
    assert!(
        err.contains("mixed.jsonl:4:") && err.contains("/id"),
        "{err}"
    );
    assert!(
        err.contains("mixed.jsonl:5:") && err.contains("/mission/0") && err.contains("Planck"),
        "{err}"
    );
    assert!(
        err.contains("array.json:3:") && err.contains("/type"),
        "{err}"
    );
    assert!(
        stdout(&out).contains("ingested 4 assets"),
        "{}",
        stdout(&out)
    );

    let ids = export_ids(data.path());
    let expected: HashSet<String> = ["good-1", "good-2", "good-3", "good-4"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    assert_eq!(ids, expected);

    // Export and re-ingest round-trips every field.
    let dump = input.path().join("dump.json");
    assert!(
        orrery(
            data.path(),
            &["export", "--format", "json", "-o", dump.to_str().unwrap()]
        )
        .status
        .success()
    );
    let other = tempfile::tempdir().unwrap();
    let out = orrery(other.path(), &["ingest", dump.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let a = stdout(&orrery(data.path(), &["export", "--format", "jsonl"]));
    let b = stdout(&orrery(other.path(), &["export", "--format", "jsonl"]));
    assert_eq!(a, b);
    let g4: Value = a
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .find(|v| v["id"] == "good-4")
        .unwrap();
    assert_eq!(g4["license"], "Apache-2.0");
    assert_eq!(g4["status"], "published");

    for format in ["ttl", "nq"] {
        let out = orrery(data.path(), &["export", "--format", format]);
        assert!(out.status.success());
        assert!(stdout(&out).contains("good-3"), "{format}");
    }
    let out = orrery(data.path(), &["check"]);
    assert!(out.status.success(), "{}", stdout(&out));
}

#[test]
fn check_finds_a_stale_projection_and_reindex_repairs_it() {
    let data = tempfile::tempdir().unwrap();
    let input = data.path().join("in.jsonl");
    std::fs::write(&input, "{\"id\":\"a\",\"type\":\"Dataset\",\"name\":\"A\"}\n{\"id\":\"b\",\"type\":\"Dataset\",\"name\":\"B\"}\n").unwrap();
    assert!(
        orrery(data.path(), &["ingest", input.to_str().unwrap()])
            .status
            .success()
    );
    assert!(orrery(data.path(), &["check"]).status.success());

    let db = data.path().join("catalog.sqlite");
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}", db.display()))
            .await
            .unwrap();
        sqlx::query("DELETE FROM assets WHERE id = 'a'")
            .execute(&pool)
            .await
            .unwrap();
        sqlx::query("UPDATE assets SET status = 'draft' WHERE id = 'b'")
            .execute(&pool)
            .await
            .unwrap();
        pool.close().await;
    });
    let out = orrery(data.path(), &["check"]);
    assert!(!out.status.success());
    let text = stdout(&out);
    assert!(
        text.contains("lacks a") && text.contains("differs for b"),
        "{text}"
    );

    assert!(orrery(data.path(), &["reindex"]).status.success());
    let out = orrery(data.path(), &["check"]);
    assert!(out.status.success(), "{}", stdout(&out));
}

#[test]
fn sigkill_during_bulk_ingest_loses_nothing_acknowledged() {
    let data = tempfile::tempdir().unwrap();
    let corpus = generated(data.path(), 40000);

    let mut child = Command::new(crate::common::bin())
        .args(["ingest", "--verbose", "--batch", "250", "--data"])
        .arg(data.path())
        .arg(&corpus)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut acked_line = 0usize;
    let mut acks = 0;
    for line in BufReader::new(child.stdout.take().unwrap()).lines() {
        let line = line.unwrap();
        if let Some(rest) = line.split(" through ").nth(1) {
            let pos = rest.split(' ').next().unwrap();
            acked_line = pos.rsplit(':').next().unwrap().parse().unwrap();
            acks += 1;
            if acks == 20 {
                child.kill().unwrap();
                break;
            }
        }
    }
    let status = child.wait().unwrap();
    assert!(
        !status.success(),
        "ingest finished before it could be killed; make the corpus larger"
    );
    assert!(acked_line >= 20 * 250);

    // The next start catches the projections up; then everything acknowledged is there.
    let server = Server::start(data.path(), &["--no-demo"]);
    server.stop();
    let out = orrery(data.path(), &["check"]);
    assert!(out.status.success(), "{}", stdout(&out));
    let ids = export_ids(data.path());
    for i in 0..acked_line {
        assert!(
            ids.contains(&format!("syn-{i:07}")),
            "acknowledged syn-{i:07} was lost"
        );
    }
}

#[test]
fn a_second_process_is_told_the_data_directory_is_in_use() {
    let data = tempfile::tempdir().unwrap();
    let server = Server::start(data.path(), &[]);
    let out = orrery(data.path(), &["check"]);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("in use by another orrery process"),
        "{}",
        stderr(&out)
    );
    server.stop();
    assert!(orrery(data.path(), &["check"]).status.success());
}

#[test]
fn tokens_without_a_running_service() {
    let dir = tempfile::tempdir().unwrap();
    let out = orrery(
        dir.path(),
        &[
            "token",
            "create",
            "--user",
            "ann",
            "--role",
            "moderator",
            "--group",
            "g1",
            "--expires",
            "90d",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    let token = stdout.lines().last().unwrap();
    assert!(
        token.starts_with("orr_") && !token.contains(' '),
        "{stdout}"
    );
    let id = token.split('_').nth(1).unwrap();
    let list = String::from_utf8(orrery(dir.path(), &["token", "list"]).stdout).unwrap();
    let row = list.lines().find(|l| l.starts_with(id)).expect("listed");
    assert!(
        row.contains("ann") && row.contains("moderator") && row.contains("g1"),
        "{row}"
    );
    assert!(!list.contains(token));
    assert!(
        orrery(dir.path(), &["token", "revoke", id])
            .status
            .success()
    );
    assert!(
        !orrery(dir.path(), &["token", "revoke", id])
            .status
            .success(),
        "revoked once"
    );
    let list = String::from_utf8(orrery(dir.path(), &["token", "list"]).stdout).unwrap();
    assert!(
        !list
            .lines()
            .find(|l| l.starts_with(id))
            .unwrap()
            .ends_with("\t-")
    );
    // No store was opened: the service can start on this directory afterwards.
    assert!(!dir.path().join("store").exists());
}

/// A start on a catalogue whose search index and rr tables are missing answers at once: the
/// search serves what is built so far, `/healthz` says what is building and how far (503 with
/// Retry-After), OAI-PMH answers 503 until its log is whole. A SIGKILL in the middle of that
/// build, then a restart, ends with every projection whole and `orrery check` clean.
#[test]
fn a_start_answers_at_once_and_a_killed_build_resumes() {
    let data = tempfile::tempdir().unwrap();
    let n = 12_000;
    let corpus = generated(data.path(), n);
    let out = orrery(data.path(), &["ingest", corpus.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    std::fs::remove_dir_all(data.path().join("index")).unwrap();

    let mut server = Server::start_answering(data.path(), &["--no-demo"]);
    let mut saw_progress = false;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    while std::time::Instant::now() < deadline {
        let r = server.get("/healthz");
        if r.status() == 200 {
            break;
        }
        assert_eq!(r.status(), 503);
        assert!(r.headers().contains_key("retry-after"));
        let h: Value = r.json().unwrap();
        assert_eq!(h["status"], "building", "{h}");
        let search = h["building"]
            .as_array()
            .unwrap()
            .iter()
            .find(|b| b["projection"] == "search")
            .cloned();
        if let Some(b) = search
            && b["percent"].as_f64().is_some_and(|p| p > 0.0 && p < 100.0)
        {
            assert!(b["etaSeconds"].is_u64(), "{b}");
            // The rest answers meanwhile; OAI-PMH says to come back.
            let s = server.get("/api/v1/assets?q=data&limit=1");
            assert_eq!(s.status(), 200);
            let oai = server.get("/oai?verb=Identify");
            assert_eq!(oai.status(), 503);
            assert!(oai.headers().contains_key("retry-after"));
            let metrics = server.get("/metrics").text().unwrap();
            assert!(
                metrics.contains("orrery_projection_building{projection=\"search\"} 1"),
                "{metrics}"
            );
            saw_progress = true;
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    assert!(saw_progress, "the search index was never seen building");
    server.child.kill().unwrap();
    server.child.wait().unwrap();

    let server = Server::start(data.path(), &["--no-demo"]);
    let h: Value = server.get("/healthz").json().unwrap();
    assert_eq!(h["status"], "ok", "{h}");
    assert!(h.get("building").is_none(), "{h}");
    let all: Value = server.get("/api/v1/assets?limit=1").json().unwrap();
    let public = all["total"].as_u64().unwrap();
    assert!(public > (n as u64) / 2 && public <= n as u64, "{all}");
    assert_eq!(server.get("/oai?verb=Identify").status(), 200);
    server.stop();
    let out = orrery(data.path(), &["check"]);
    assert!(out.status.success(), "{}", stdout(&out));
}

/// SIGHUP rebuilds the search index beside the live one while it serves: every search
/// meanwhile answers from a whole index (the same total), a write made during the rebuild is
/// in the new index, the old directory is gone afterwards, and a restart opens the new one.
/// `orrery reindex` rebuilds it the same way.
#[test]
fn the_search_index_rebuilt_while_it_serves_is_never_partial() {
    let data = tempfile::tempdir().unwrap();
    let corpus = generated(data.path(), 4000);
    let out = orrery(data.path(), &["ingest", corpus.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let dev = crate::common::token(data.path(), "dana", &["developer"], &[]);
    let server = Server::start(data.path(), &["--no-demo"]);
    let total = server.get_json("/api/v1/assets?limit=1", "")["total"]
        .as_u64()
        .unwrap();
    assert!(total > 1_000, "{total}");

    let stop = std::sync::atomic::AtomicBool::new(false);
    let searches = std::thread::scope(|scope| {
        let searching = scope.spawn(|| {
            let mut n = 0;
            while !stop.load(std::sync::atomic::Ordering::SeqCst) {
                let page = server.get_json("/api/v1/assets?limit=1&q=data", "");
                let all = server.get_json("/api/v1/assets?limit=1", "");
                assert_eq!(
                    all["total"].as_u64(),
                    Some(total),
                    "a partial index answered"
                );
                assert!(page["total"].as_u64().unwrap() > 0, "{page}");
                n += 1;
            }
            n
        });
        let hangup = Command::new("kill")
            .args(["-HUP", &server.child.id().to_string()])
            .status()
            .unwrap();
        assert!(hangup.success());
        // A write while the new index is filled.
        std::thread::sleep(std::time::Duration::from_millis(300));
        let doc = serde_json::json!({"id": "made-meanwhile", "type": "Dataset",
                                     "name": "Quorblex rebuild survey"});
        let r = server.create(&dev, &doc);
        assert_eq!(r.status(), 201);
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(180);
        while std::fs::read_to_string(data.path().join("search.live"))
            .ok()
            .as_deref()
            != Some("index-1")
            || data.path().join("index").exists()
        {
            assert!(std::time::Instant::now() < deadline, "no rebuild");
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        stop.store(true, std::sync::atomic::Ordering::SeqCst);
        searching.join().unwrap()
    });
    assert!(searches > 5, "{searches} searches during the rebuild");
    let found = server.get_json("/api/v1/assets?q=quorblex", &dev);
    assert_eq!(found["total"], 1, "{found}");
    server.stop();

    // The rebuilt index is whole and up to date as it stands (a restart rebuilds nothing);
    // `reindex` rebuilds it beside, again.
    let out = orrery(data.path(), &["check"]);
    assert!(out.status.success(), "{}", stdout(&out));
    let out = orrery(data.path(), &["reindex"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        std::fs::read_to_string(data.path().join("search.live")).unwrap(),
        "index-2"
    );
    assert!(!data.path().join("index-1").exists());
    let out = orrery(data.path(), &["check"]);
    assert!(out.status.success(), "{}", stdout(&out));
    let server = Server::start(data.path(), &["--no-demo"]);
    assert_eq!(
        server.get_json("/api/v1/assets?limit=1", "")["total"].as_u64(),
        Some(total)
    );
    assert_eq!(
        server.get_json("/api/v1/assets?q=quorblex", &dev)["total"],
        1
    );
    server.stop();
}
