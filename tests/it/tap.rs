//! RegTAP over TAP as VO users meet it: pyvo's registry searches and TAP calls, STILTS taplint
//! with zero errors, the result formats, every kind of bad request answered with a VOTable error
//! document, the limits, and the rr tables following the catalogue's write path — each on both
//! backends: SQLite in the data directory, and a PostgreSQL server of its own.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use crate::common::postgres::Postgres;
use crate::common::{Server, orrery_with, shared, token_in};
use serde_json::{Value, json};

/// The PostgreSQL database a backend's flags name: there the revision log, which `ingest` then
/// writes to.
fn database_of<'a>(backend: &[&'a str]) -> Option<&'a str> {
    backend
        .windows(2)
        .find(|w| w[0] == "--database-url")
        .map(|w| w[1])
}

/// A data directory holding the real VOResource records of the corpus (50 resources; the one
/// record of a deleted resource is refused), for a service on `port`.
fn with_corpus(dir: &Path, port: u16, backend: &[&str]) {
    let mut args: Vec<String> = vec![
        "--base-url".into(),
        format!("http://127.0.0.1:{port}"),
        "ingest".into(),
    ];
    args.extend(crate::common::voresource_corpus());
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = orrery_with(dir, database_of(backend), &args);
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(report.contains("; 1 failed;"), "{report}");
}

fn sync(s: &Server, params: &[(&str, &str)]) -> reqwest::blocking::Response {
    s.client
        .post(format!("{}/tap/sync", s.base))
        .form(params)
        .send()
        .expect("POST /tap/sync")
}

/// The rows of a CSV answer (header first).
fn csv(s: &Server, adql: &str) -> Vec<Vec<String>> {
    let r = sync(
        s,
        &[
            ("REQUEST", "doQuery"),
            ("LANG", "ADQL"),
            ("QUERY", adql),
            ("RESPONSEFORMAT", "csv"),
        ],
    );
    assert_eq!(r.status(), 200, "{adql}");
    r.text()
        .unwrap()
        .lines()
        .map(|l| l.split(',').map(str::to_owned).collect())
        .collect()
}

/// An error answer: its status, and the QUERY_STATUS=ERROR message of its VOTable.
fn error(r: reqwest::blocking::Response) -> (u16, String) {
    let status = r.status().as_u16();
    assert_eq!(
        r.headers()["content-type"].to_str().unwrap(),
        "application/x-votable+xml"
    );
    let body = r.text().unwrap();
    crate::common::validate(&body);
    let start = body
        .find("value=\"ERROR\">")
        .unwrap_or_else(|| panic!("no ERROR status: {body}"));
    let rest = &body[start + "value=\"ERROR\">".len()..];
    let end = rest.find("</INFO>").unwrap();
    (status, rest[..end].to_owned())
}

fn python() -> std::path::PathBuf {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/venv/bin/python");
    assert!(p.exists(), "run scripts/prereqs.sh (make test does)");
    p
}

/// Each suite as a test on SQLite (`sqlite::…`) and on PostgreSQL (`postgres::…`); a suite takes
/// the arguments that choose the backend.
macro_rules! on_both_backends {
    ($($suite:ident),* $(,)?) => {
        mod sqlite {
            $(#[test]
            fn $suite() {
                super::$suite(&[]);
            })*
        }
        mod postgres {
            $(#[test]
            fn $suite() {
                let pg = super::Postgres::start();
                super::$suite(&["--database-url", &pg.url()]);
            })*
        }
    };
}

on_both_backends!(
    pyvo_searches_the_registry_and_queries_the_service,
    pyvo_coverage_constraints_find_what_the_records_cover,
    taplint_finds_no_error,
    formats_limits_and_bad_requests,
    the_rr_tables_follow_the_write_path,
);

fn pyvo_searches_the_registry_and_queries_the_service(backend: &[&str]) {
    let dir = tempfile::tempdir().unwrap();
    let port = crate::common::free_port();
    with_corpus(dir.path(), port, backend);
    let s = Server::start_on(dir.path(), port, &[backend, &["--full-registry"]].concat());
    let base = format!("{}/tap", s.base);
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/clients/tap_client.py");
    let out = Command::new(python())
        .arg(script)
        .arg(&base)
        .arg(shared().join("corpus/regtap/vocab/pyvo__messenger.desise.json"))
        .arg("ivo://orrery.local/tap")
        .output()
        .expect("run pyvo");
    assert!(
        out.status.success(),
        "pyvo failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    let ivoids = |key: &str| -> Vec<String> {
        r[key]
            .as_array()
            .unwrap_or_else(|| panic!("{key}: {r}"))
            .iter()
            .map(|x| x["ivoid"].as_str().unwrap().to_owned())
            .collect()
    };
    let bima = "ivo://bima.ncsa/bima".to_owned();
    assert!(ivoids("keywords").contains(&bima), "{}", r["keywords"]);
    assert!(ivoids("keywords_two").contains(&bima));
    assert!(ivoids("waveband").contains(&bima));
    assert!(ivoids("author").contains(&bima));
    assert!(ivoids("combined").contains(&bima));
    for key in ["keywords", "waveband", "author", "combined"] {
        assert!(
            !ivoids(key).contains(&"ivo://orrery.local/tap".to_owned()),
            "{key} is selective"
        );
    }
    // The service's own record: a TAP service that pyvo can use.
    let tap = &r["servicetype_tap"];
    let own = tap
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["ivoid"] == "ivo://orrery.local/tap")
        .unwrap_or_else(|| panic!("own TAP record missing: {tap}"));
    assert_eq!(own["res_type"], "vs:catalogservice");
    assert!(
        own["access_urls"]
            .as_array()
            .unwrap()
            .contains(&json!(base)),
        "{own}"
    );
    assert!(
        own["standard_ids"]
            .as_array()
            .unwrap()
            .contains(&json!("ivo://ivoa.net/std/tap"))
    );
    for x in tap.as_array().unwrap() {
        assert!(
            x["standard_ids"]
                .as_array()
                .unwrap()
                .iter()
                .any(|s| s.as_str().unwrap().starts_with("ivo://ivoa.net/std/tap")),
            "servicetype=tap is selective: {x}"
        );
    }
    assert_eq!(ivoids("ivoid"), ["ivo://orrery.local/tap"]);
    assert_eq!(
        ivoids("datamodel_regtap"),
        ["ivo://orrery.local/tap"],
        "declared with --full-registry"
    );
    assert_eq!(r["bima_count"], 1);
    let describe = r["describe"].as_str().unwrap();
    assert!(describe.contains("NCSA BIMA Data Archive"), "{describe}");
    assert_eq!(r["own_tap_found"], 1);
    let tables: Vec<String> = serde_json::from_value(r["own_tables"].clone()).unwrap();
    for t in [
        "rr.resource",
        "rr.capability",
        "rr.interface",
        "tap_schema.columns",
    ] {
        assert!(
            tables.iter().any(|x| x.eq_ignore_ascii_case(t)),
            "{t}: {tables:?}"
        );
    }
    assert_eq!(r["own_service_url"], json!(base));

    // Plain TAP.
    assert_eq!(r["sync"], r["async"]);
    assert_eq!(r["sync"].as_array().unwrap().len(), 5);
    assert_eq!(
        r["sync_fields"][2],
        json!(["created", "char", "*", "timestamp"])
    );
    assert_eq!(r["maxrec_rows"], 3);
    assert_eq!(r["maxrec_status"], "OVERFLOW");
    assert_eq!(r["maxrec_warned"], false);
    let count = r["count"].as_u64().unwrap();
    // 50 corpus resources + the demo catalogue's public assets + 3 own records.
    let public: Value = s.get("/api/v1/assets?limit=1").json().unwrap();
    assert_eq!(count, public["total"].as_u64().unwrap() + 3);
    let ts: Vec<String> = serde_json::from_value(r["tap_schema_tables"].clone()).unwrap();
    // RegTAP 1.2: 14 tables of 1.1, the three coverage tables and the tap_table view.
    assert_eq!(ts.len(), 18 + 5, "{ts:?}");
    assert_eq!(
        r["service_tables"].as_array().unwrap().len(),
        23,
        "{}",
        r["service_tables"]
    );
    assert_eq!(r["languages"], json!(["ADQL"]));
    let e = r["error_syntax"].as_str().unwrap();
    assert!(e.contains("line 1, column"), "{e}");
    let e = r["error_unknown_table"].as_str().unwrap();
    assert!(e.contains("rr.nothing"), "{e}");
    let e = r["error_unknown_column"].as_str().unwrap();
    assert!(e.contains("nothing"), "{e}");
    let e = r["async_error"].as_str().unwrap();
    assert!(e.contains("line 1, column"), "{e}");

    // Word and substring searches answer the same whether the text indexes serve them (a
    // column of rr.resource or rr.res_subject) or the plain scan does (the same column seen
    // through a derived table).
    let ids = |adql: &str| -> Vec<String> {
        let mut v: Vec<String> = csv(&s, adql)
            .into_iter()
            .skip(1)
            .map(|r| r.join(","))
            .collect();
        v.sort();
        v
    };
    for (indexed, scanned) in [
        (
            "SELECT ivoid FROM rr.resource WHERE 1=ivo_hasword(res_description, 'registry')",
            "SELECT ivoid FROM (SELECT ivoid, res_description AS d FROM rr.resource) AS x WHERE 1=ivo_hasword(d, 'registry')",
        ),
        (
            "SELECT r.ivoid FROM rr.resource AS r WHERE 1=ivo_hasword(r.res_title, 'Data archive')",
            "SELECT ivoid FROM (SELECT ivoid, res_title AS t FROM rr.resource) AS x WHERE 1=ivo_hasword(t, 'Data archive')",
        ),
        (
            "SELECT ivoid, res_subject FROM rr.res_subject WHERE rr.res_subject.res_subject ILIKE '%RaDiO%'",
            "SELECT ivoid, s FROM (SELECT ivoid, res_subject AS s FROM rr.res_subject) AS x WHERE s ILIKE '%RaDiO%'",
        ),
    ] {
        let a = ids(indexed);
        assert!(!a.is_empty(), "{indexed}");
        assert_eq!(a, ids(scanned), "{indexed}");
    }
}

fn taplint_finds_no_error(backend: &[&str]) {
    let dir = tempfile::tempdir().unwrap();
    let port = crate::common::free_port();
    with_corpus(dir.path(), port, backend);
    let s = Server::start_on(dir.path(), port, backend);
    let out = Command::new("stilts")
        .arg("taplint")
        .arg(format!("tapurl={}/tap", s.base))
        .arg("report=EW")
        .output()
        .expect("run STILTS taplint (scripts/prereqs.sh installs the stilts package)");
    let report = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        report.contains("Totals:"),
        "taplint did not finish: {report}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let errors: Vec<&str> = report.lines().filter(|l| l.starts_with("E-")).collect();
    let warnings: Vec<&str> = report.lines().filter(|l| l.starts_with("W-")).collect();
    eprintln!(
        "taplint warnings ({}):\n{}",
        warnings.len(),
        warnings.join("\n")
    );
    assert!(errors.is_empty(), "taplint errors:\n{}", errors.join("\n"));
}

fn formats_limits_and_bad_requests(backend: &[&str]) {
    let dir = tempfile::tempdir().unwrap();
    let limits = [
        "--tap-default-maxrec",
        "4",
        "--tap-hard-maxrec",
        "6",
        "--tap-sync-timeout",
        "1",
    ];
    let s = Server::start(dir.path(), &[backend, &limits].concat());
    let q = |adql: &str, extra: &[(&str, &str)]| {
        let mut p = vec![("REQUEST", "doQuery"), ("LANG", "ADQL"), ("QUERY", adql)];
        p.extend_from_slice(extra);
        sync(&s, &p)
    };
    let adql = "SELECT TOP 3 ivoid, res_title FROM rr.resource ORDER BY ivoid";
    // Every format, named by alias or media type; a named media type comes back as named.
    for (format, ctype) in [
        ("votable", "application/x-votable+xml"),
        (
            "application/x-votable+xml;serialization=BINARY2",
            "application/x-votable+xml;serialization=BINARY2",
        ),
        ("csv", "text/csv;header=present"),
        ("text/tab-separated-values", "text/tab-separated-values"),
        ("json", "application/json"),
    ] {
        let r = q(adql, &[("RESPONSEFORMAT", format)]);
        assert_eq!(r.status(), 200, "{format}");
        assert_eq!(r.headers()["content-type"], ctype, "{format}");
        let body = r.text().unwrap();
        if ctype.contains("votable") {
            crate::common::validate(&body);
            assert!(body.contains("<INFO name=\"QUERY_STATUS\" value=\"OK\""));
        }
        if format == "json" {
            let v: Value = serde_json::from_str(&body).unwrap();
            assert_eq!(v["data"].as_array().unwrap().len(), 3);
        }
    }
    // GET works like POST; FORMAT is the older name of RESPONSEFORMAT.
    let r = s
        .client
        .get(format!("{}/tap/sync", s.base))
        .query(&[("LANG", "ADQL"), ("QUERY", adql), ("FORMAT", "tsv")])
        .send()
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.text().unwrap().lines().count(), 4);

    // Row limits: the default, MAXREC, the hard limit, MAXREC=0; TOP below the limit is no
    // overflow.
    let rows = |r: reqwest::blocking::Response| {
        let body = r.text().unwrap();
        crate::common::validate(&body);
        (
            body.matches("<TR>").count(),
            body.contains("value=\"OVERFLOW\""),
        )
    };
    assert_eq!(rows(q("SELECT ivoid FROM rr.resource", &[])), (4, true));
    assert_eq!(
        rows(q("SELECT ivoid FROM rr.resource", &[("MAXREC", "2")])),
        (2, true)
    );
    assert_eq!(
        rows(q("SELECT ivoid FROM rr.resource", &[("MAXREC", "100")])),
        (6, true)
    );
    assert_eq!(
        rows(q("SELECT ivoid FROM rr.resource", &[("MAXREC", "0")])),
        (0, true)
    );
    assert_eq!(
        rows(q("SELECT TOP 2 ivoid FROM rr.resource", &[])),
        (2, false)
    );

    // Bad requests: a VOTable error document, 400, naming what is wrong; nothing else changes.
    let long = format!(
        "SELECT ivoid FROM rr.resource WHERE {}",
        "1=1 AND ".repeat(20_000)
    );
    for (params, expect) in [
        (
            vec![
                ("LANG", "ADQL"),
                ("QUERY", "SELECT ivoid\nFROM rr.resource WHERE"),
            ],
            "line 2, column",
        ),
        (
            vec![("LANG", "ADQL"), ("QUERY", "SELECT * FROM rr.secret")],
            "rr.secret",
        ),
        (
            vec![("LANG", "ADQL"), ("QUERY", "SELECT * FROM resource")],
            "did you mean rr.resource",
        ),
        (
            vec![
                ("LANG", "ADQL"),
                ("QUERY", "SELECT * FROM rr.orrery_source"),
            ],
            "rr.orrery_source",
        ),
        (
            vec![("LANG", "ADQL"), ("QUERY", "SELECT * FROM sqlite_master")],
            "sqlite_master",
        ),
        (
            vec![("LANG", "ADQL"), ("QUERY", "SELECT nope FROM rr.resource")],
            "nope",
        ),
        (
            vec![("LANG", "ADQL"), ("QUERY", "DELETE FROM rr.resource")],
            "line 1, column 1",
        ),
        (
            vec![
                ("LANG", "ADQL"),
                ("QUERY", "SELECT 1 FROM rr.resource; DROP TABLE rr.resource"),
            ],
            "line 1",
        ),
        (
            vec![
                ("LANG", "ADQL"),
                ("QUERY", "SELECT pg_sleep(1) FROM rr.resource"),
            ],
            "pg_sleep",
        ),
        (vec![("LANG", "ADQL"), ("QUERY", long.as_str())], "long"),
        (
            vec![("LANG", "SQL"), ("QUERY", "SELECT 1")],
            "unknown query language SQL",
        ),
        (vec![("QUERY", "SELECT 1")], "LANG"),
        (vec![("LANG", "ADQL")], "QUERY"),
        (
            vec![
                ("LANG", "ADQL"),
                ("QUERY", adql),
                ("RESPONSEFORMAT", "fits"),
            ],
            "fits",
        ),
        (
            vec![("LANG", "ADQL"), ("QUERY", adql), ("MAXREC", "-1")],
            "MAXREC",
        ),
        (
            vec![
                ("REQUEST", "getAvailability"),
                ("LANG", "ADQL"),
                ("QUERY", adql),
            ],
            "REQUEST",
        ),
        (
            vec![("LANG", "ADQL"), ("LANG", "ADQL-2.0"), ("QUERY", adql)],
            "LANG",
        ),
    ] {
        let (status, message) = error(sync(&s, &params));
        assert_eq!(status, 400, "{params:?}: {message}");
        assert!(message.contains(expect), "{params:?}: {message}");
    }
    let (_, m) = error(
        s.client
            .post(format!("{}/tap/sync", s.base))
            .header("Content-Type", "application/json")
            .body("{}")
            .send()
            .unwrap(),
    );
    assert!(m.contains("application/json"), "{m}");

    // The time limit: an expensive query is stopped and the service goes on.
    let started = Instant::now();
    let (status, message) = error(q(
        "SELECT COUNT(*) FROM tap_schema.columns AS a, tap_schema.columns AS b, tap_schema.columns AS c, tap_schema.columns AS d",
        &[],
    ));
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_eq!(status, 400);
    assert!(message.contains("time limit of 1 s"), "{message}");
    assert_eq!(
        rows(q("SELECT TOP 1 ivoid FROM rr.resource", &[])),
        (1, false)
    );

    // VOSI.
    for path in [
        "/tap/capabilities",
        "/tap/availability",
        "/tap/tables",
        "/tap/tables?detail=min",
        "/tap/tables/rr.resource",
    ] {
        let r = s.get(path);
        assert_eq!(r.status(), 200, "{path}");
        crate::common::validate(&r.text().unwrap());
    }
    let caps = s.get("/tap/capabilities").text().unwrap();
    assert!(
        !caps.contains("dataModel"),
        "not a full registry: no RegTAP data model"
    );
    assert_eq!(s.get("/tap/tables/rr.nothing").status(), 404);
}

fn the_rr_tables_follow_the_write_path(backend: &[&str]) {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(dir.path(), backend);
    let d = dir.path();
    // With PostgreSQL the accounts live there, beside the revision log.
    let db = database_of(backend);
    let alice = token_in(d, db, "alice", &["developer"], &[]);
    let mo = token_in(d, db, "mo", &["moderator"], &[]);
    let titles = |s: &Server| -> Vec<String> {
        csv(
            s,
            "SELECT res_title FROM rr.resource WHERE ivoid = 'ivo://orrery.local/tq-1'",
        )
        .into_iter()
        .skip(1)
        .map(|r| r.join(","))
        .collect()
    };
    let call = |method: &str, path: &str, body: Option<Value>, tok: &str| {
        let r = s.call(
            method,
            path,
            tok,
            body.as_ref().map(|_| "application/json"),
            body.map(|b| b.to_string()),
            None,
        );
        assert!(r.status().is_success(), "{method} {path}: {}", r.status());
    };
    let doc = json!({"id": "tq-1", "type": "Dataset", "name": "Quasar catalogue", "abstract": "Quasars.",
                     "license": "CC-BY-4.0"});
    call("POST", "/api/v1/assets", Some(doc), &alice);
    assert!(titles(&s).is_empty(), "a draft is not in the registry");
    call("POST", "/api/v1/assets/tq-1/submit", None, &alice);
    call("POST", "/api/v1/assets/tq-1/approve", None, &mo);
    assert_eq!(titles(&s), ["Quasar catalogue"], "published: at once in rr");
    let subjects = csv(
        &s,
        "SELECT res_type FROM rr.resource WHERE ivoid = 'ivo://orrery.local/tq-1'",
    );
    assert_eq!(subjects[1][0], "vs:datacollection");
    call("DELETE", "/api/v1/assets/tq-1", None, &alice);
    assert!(titles(&s).is_empty(), "deleted: gone from rr");
    // A restart rebuilds nothing and loses nothing.
    let n = csv(&s, "SELECT COUNT(*) AS n FROM rr.resource")[1][0].clone();
    s.stop();
    let s = Server::start(dir.path(), backend);
    assert_eq!(csv(&s, "SELECT COUNT(*) AS n FROM rr.resource")[1][0], n);
    // Another identity (authority) rebuilds the records.
    s.stop();
    let s = Server::start(
        dir.path(),
        &[backend, &["--authority", "other.example"]].concat(),
    );
    assert_eq!(csv(&s, "SELECT COUNT(*) AS n FROM rr.resource")[1][0], n);
    assert_eq!(
        csv(
            &s,
            "SELECT COUNT(*) AS n FROM rr.resource WHERE ivoid LIKE 'ivo://orrery.local/%'"
        )[1][0],
        "0"
    );
    // A backlog longer than --tap-inline-backlog is built in the background: meanwhile the
    // service answers, /tap refuses queries with 503 and says why; then every change is in.
    s.stop();
    let extra = dir.path().join("extra.json");
    let docs: Vec<Value> = (0..3)
        .map(|i| {
            json!({"id": format!("bg-{i}"), "type": "Dataset", "name": format!("Background {i}"),
                        "abstract": "Built later.", "license": "CC-BY-4.0"})
        })
        .collect();
    std::fs::write(&extra, Value::Array(docs).to_string()).unwrap();
    let out = orrery_with(dir.path(), db, &["ingest", extra.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let s = Server::start_answering(
        dir.path(),
        &[
            backend,
            &["--authority", "other.example", "--tap-inline-backlog", "0"],
        ]
        .concat(),
    );
    assert_eq!(
        s.get("/api/v1/assets/bg-0").status(),
        200,
        "the rest is served"
    );
    let health = s.get("/healthz");
    if health.status() == 503 {
        assert!(health.headers().contains_key("retry-after"));
        let h: Value = health.json().unwrap();
        if h["status"] != "catching-up" {
            // (A node of a shared deployment first applies the log.)
            assert_eq!(h["status"], "building", "{h}");
            assert_eq!(h["building"][0]["projection"], "regtap", "{h}");
        }
    } else {
        // (The build may already be over.)
        assert_eq!(health.status(), 200);
    }
    let count = "SELECT COUNT(*) AS n FROM rr.resource";
    let started = Instant::now();
    loop {
        let r = sync(
            &s,
            &[
                ("LANG", "ADQL"),
                ("QUERY", count),
                ("RESPONSEFORMAT", "csv"),
            ],
        );
        if r.status() == 200 {
            break;
        }
        assert_eq!(r.status(), 503);
        assert!(r.headers().contains_key("retry-after"));
        let body = r.text().unwrap();
        assert!(
            body.contains("QUERY_STATUS") && body.contains("being built"),
            "{body}"
        );
        // (The build may end between the two requests.)
        let availability = s.get("/tap/availability").text().unwrap();
        assert!(
            availability.contains("<vosi:available>true<")
                || (availability.contains("<vosi:available>false<")
                    && availability.contains("being built")),
            "{availability}"
        );
        assert!(started.elapsed() < Duration::from_secs(60), "never built");
        std::thread::sleep(Duration::from_millis(20));
    }
    let built: u64 = csv(&s, count)[1][0].parse().unwrap();
    assert_eq!(built, n.parse::<u64>().unwrap() + 3);
    assert!(
        s.get("/tap/availability")
            .text()
            .unwrap()
            .contains("<vosi:available>true<")
    );
}

/// RegTAP 1.2 through pyvo: 400 records with seeded random sky, time and energy coverage
/// (written as registries write them: cells unsorted, separators mixed, some MOCs deeper than
/// order 6, interval bounds reversed), ingested as VOResource, then every form of pyvo's
/// `Spatial`, `Spectral` and `Temporal`, alone and with keywords and a service type, each
/// result compared by the client with what healpy and plain set arithmetic say; and the MOCs
/// made of 1,000 seeded cones and polygons cross-checked against healpy's cells.
fn pyvo_coverage_constraints_find_what_the_records_cover(backend: &[&str]) {
    let dir = tempfile::tempdir().unwrap();
    let records = dir.path().join("records");
    std::fs::create_dir(&records).unwrap();
    let truth = dir.path().join("truth.json");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/clients/coverage_client.py");
    let made = Command::new(python())
        .arg(&script)
        .args(["records", &records.display().to_string(), "400", "11"])
        .arg(&truth)
        .output()
        .expect("run the record generator");
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    let data = dir.path().join("data");
    let port = crate::common::free_port();
    let base = format!("http://127.0.0.1:{port}");
    let started = Instant::now();
    let out = orrery_with(
        &data,
        database_of(backend),
        &[
            "--base-url",
            &base,
            "ingest",
            &records.display().to_string(),
        ],
    );
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(
        report.contains("ingested 400 assets") && report.contains("; 0 failed;"),
        "{report}"
    );
    eprintln!("ingest of 400 MOC-bearing records: {:?}", started.elapsed());
    // 1,000 seeded cones and polygons as assets: the MOCs the registry makes of them are
    // checked against healpy below.
    let shapes = dir.path().join("shapes.jsonl");
    let made = Command::new(python())
        .arg(&script)
        .args(["shapes", &shapes.display().to_string(), "1000", "5"])
        .output()
        .expect("run the shape generator");
    assert!(made.status.success());
    let out = orrery_with(
        &data,
        database_of(backend),
        &["--base-url", &base, "ingest", &shapes.display().to_string()],
    );
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(
        report.contains("ingested 1000 assets") && report.contains("; 0 failed;"),
        "{report}"
    );
    let s = Server::start_on(&data, port, backend);
    let out = Command::new(python())
        .arg(&script)
        .args(["crosscheck", &format!("{}/tap", s.base)])
        .arg(&shapes)
        .output()
        .expect("run the cross-check");
    assert!(
        out.status.success(),
        "a MOC disagrees with healpy: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("\"shapes\": 1000"),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let out = Command::new(python())
        .arg(&script)
        .args(["search", &format!("{}/tap", s.base)])
        .arg(&truth)
        .arg(shared().join("corpus/regtap/vocab/pyvo__messenger.desise.json"))
        .output()
        .expect("run pyvo");
    assert!(
        out.status.success(),
        "pyvo disagrees with the ground truth: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    eprintln!("coverage searches: {r}");
    assert!(r["checked"].as_u64().unwrap() > 100, "{r}");
    assert!(r["found"].as_u64().unwrap() > 1000, "{r}");
    assert!(
        r["combined"].as_u64().unwrap() > 0,
        "the combined search finds some: {r}"
    );

    // What the coverage columns hold, as TAP_SCHEMA declares them.
    let rows = csv(
        &s,
        "SELECT COUNT(*) FROM rr.stc_spatial WHERE ivoid LIKE 'ivo://cov.test/%'",
    );
    let spatial: u64 = rows[1][0].parse().unwrap();
    assert!(spatial > 300, "{rows:?}");
    let rows = csv(
        &s,
        "SELECT column_name, unit, xtype FROM tap_schema.columns \
         WHERE table_name IN ('rr.stc_spatial', 'rr.stc_temporal', 'rr.stc_spectral') \
         ORDER BY column_name",
    );
    let flat: Vec<String> = rows.iter().map(|r| r.join("|")).collect();
    for want in [
        "coverage||moc",
        "time_start|d|",
        "time_end|d|",
        "spectral_start|J|",
        "spectral_end|J|",
    ] {
        assert!(flat.contains(&want.to_owned()), "{want}: {flat:?}");
    }

    // A region that is none: a VOTable error naming what and where.
    for (condition, expect) in [
        (
            "1 = INTERSECTS(coverage, MOC('6/1 0/12'))",
            "cell 12 does not exist at order 0",
        ),
        ("1 = INTERSECTS(coverage, MOC('6/1 x'))", "at character 5"),
        ("1 = INTERSECTS(coverage, MOC('3/'))", "empty"),
        (
            "1 = CONTAINS(MOC(6, CIRCLE(10, 20, 200)), coverage)",
            "radius",
        ),
        (
            "1 = CONTAINS(MOC(6, CIRCLE(10, 95, 1)), coverage)",
            "declination",
        ),
        (
            "1 = INTERSECTS(coverage, MOC(6, POLYGON(10, 10, 20, 20, 20, 10, 10, 20)))",
            "crosses itself",
        ),
        ("1 = INTERSECTS(coverage, MOC(31, POINT(10, 10)))", "order"),
        ("1 = INTERSECTS(coverage, POLYGON(10, 10, 20))", "POLYGON"),
        ("1 = INTERSECTS(res_title, POINT(10, 10))", "INTERSECTS"),
    ] {
        let adql = format!("SELECT ivoid FROM rr.stc_spatial WHERE {condition}");
        let params = [
            ("REQUEST", "doQuery"),
            ("LANG", "ADQL"),
            ("QUERY", adql.as_str()),
        ];
        let (status, message) = error(sync(&s, &params));
        assert_eq!(status, 400, "{adql}: {message}");
        assert!(message.contains(expect), "{adql}: {message}");
    }
    // The standard's plain forms: a bare POINT, CIRCLE and POLYGON against the coverage.
    for adql in [
        "SELECT ivoid FROM rr.stc_spatial WHERE 1 = CONTAINS(POINT(10, 20), coverage)",
        "SELECT ivoid FROM rr.stc_spatial WHERE 1 = INTERSECTS(CIRCLE('ICRS', 10, 20, 5), coverage)",
        "SELECT ivoid FROM rr.stc_spatial AS s WHERE 1 = CONTAINS(s.coverage, POLYGON(0, -80, 60, -70, 30, -60))",
    ] {
        csv(&s, adql);
    }
}
