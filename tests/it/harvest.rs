//! `orrery harvest` against a second orrery started here (its OAI-PMH endpoint, several
//! resumption pages), incrementally with deletions, resuming after the source fails half-way;
//! and `orrery ingest` of the real VOResource records of the corpus.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

use crate::common::{Server, free_port, orrery, shared, token, validate};
use serde_json::{Value, json};

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// The ids and names of a server's anonymous assets.
fn public_assets(s: &Server) -> Vec<(String, String, String)> {
    let v: Value = s.get("/api/v1/assets?limit=100").json().unwrap();
    assert!(v["total"].as_u64().unwrap() <= 100);
    v["hits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| {
            (
                h["id"].as_str().unwrap().to_owned(),
                h["name"].as_str().unwrap().to_owned(),
                h["type"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

/// The number in `"… {n} {what}…"` of a harvest summary.
fn figure(summary: &str, what: &str) -> u64 {
    let before = summary
        .split(&format!(" {what}"))
        .next()
        .unwrap_or_else(|| panic!("{what} in {summary}"));
    before
        .rsplit(|c: char| !c.is_ascii_digit())
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{what} in {summary}"))
}

fn harvest(data: &Path, url: &str) -> Output {
    orrery(data, &["harvest", url, "--set", "ivo_managed"])
}

#[test]
fn harvests_another_registry_incrementally_with_deletions() {
    let a_dir = tempfile::tempdir().unwrap();
    let a = Server::start(
        a_dir.path(),
        &["--authority", "other.example", "--oai-page-size", "4"],
    );
    let a_assets = public_assets(&a);
    assert!(a_assets.len() > 20);
    let b_dir = tempfile::tempdir().unwrap();
    let b = b_dir.path();
    let out = harvest(b, &format!("{}/oai", a.base));
    assert!(out.status.success(), "{}", text(&out));
    let summary = String::from_utf8_lossy(&out.stdout).into_owned();
    // Every public asset, the registry, authority and TAP service records, over many pages.
    assert!(figure(&summary, "pages") > 3, "{summary}");
    assert_eq!(
        figure(&summary, "records written"),
        a_assets.len() as u64 + 3,
        "{summary}"
    );

    let s = Server::start(b, &["--no-demo"]);
    let harvested = public_assets(&s);
    assert_eq!(harvested.len(), a_assets.len() + 3);
    for (id, name, kind) in &a_assets {
        let bid = format!("other.example-{id}");
        let v = s.get_json(&format!("/api/v1/assets/{bid}"), "");
        assert_eq!(&v["name"], name);
        assert_eq!(v["type"], harvested_kind(kind), "{id}");
        assert_eq!(v["ivoid"], format!("ivo://other.example/{id}"));
        assert_eq!(v["links"]["ivoid"], format!("ivo://other.example/{id}"));
        let r = s.get(&format!(
            "/api/v1/resolve?ivoid=IVO://other.example/{}",
            id.to_uppercase()
        ));
        assert_eq!(r.status(), 303, "{id}");
        assert!(
            r.headers()["location"]
                .to_str()
                .unwrap()
                .ends_with(&format!("/api/v1/assets/{bid}"))
        );
    }
    let registry = s.get_json("/api/v1/assets/other.example-registry", "");
    assert_eq!(registry["type"], "Service");
    let authority = s.get_json("/api/v1/assets/other.example", "");
    assert_eq!(authority["type"], "Resource");
    // A vs:CatalogService, read as the data it serves like every catalogue service.
    let tap = s.get_json("/api/v1/assets/other.example-tap", "");
    assert_eq!(tap["type"], "Dataset");
    assert_eq!(tap["ivoid"], "ivo://other.example/tap");
    // The record is served as its publisher wrote it, and it is valid VOResource.
    let (id, _, _) = &a_assets[0];
    let xml = s
        .get_accept(
            &format!("/api/v1/assets/other.example-{id}"),
            "application/xml",
        )
        .text()
        .unwrap();
    assert!(xml.contains(&format!(
        "<identifier>ivo://other.example/{id}</identifier>"
    )));
    validate(&xml);
    // Found by search; not re-published as this registry's own.
    let (_, name, _) = &a_assets[1];
    let found: Value = s
        .get(&format!(
            "/api/v1/assets?q=%22{}%22",
            name.replace(' ', "%20")
        ))
        .json()
        .unwrap();
    assert!(found["total"].as_u64().unwrap() >= 1, "{found}");
    let oai = s
        .get("/oai?verb=ListIdentifiers&metadataPrefix=ivo_vor")
        .text()
        .unwrap();
    assert!(!oai.contains("other.example"), "{oai}");
    assert_eq!(
        oai.matches("<header>").count(),
        3,
        "its own three records: {oai}"
    );
    s.stop();

    // A harvest with nothing new writes nothing.
    let out = harvest(b, &format!("{}/oai", a.base));
    assert!(out.status.success(), "{}", text(&out));
    let summary = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(summary.contains(" from "), "incremental: {summary}");

    // The source changes: one asset renamed, one deleted.
    let sa = token(a_dir.path(), "sa", &["sciapps"], &[]);
    let mo = token(a_dir.path(), "mo", &["moderator"], &[]);
    let (renamed, _, _) = a_assets[2].clone();
    let (gone, _, _) = a_assets[3].clone();
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let path = format!("/api/v1/assets/{renamed}");
    let rename = json!({"name": "Renamed at the source"}).to_string();
    let merge = Some("application/merge-patch+json");
    for (method, path, tok, ct, body) in [
        ("PATCH", path.clone(), &sa, merge, Some(rename)),
        ("POST", format!("{path}/submit"), &sa, None, None),
        ("POST", format!("{path}/approve"), &mo, None, None),
    ] {
        let r = a.call(method, &path, tok, ct, body, None);
        assert!(
            r.status().is_success(),
            "{method} {path}: {}",
            r.text().unwrap_or_default()
        );
    }
    let r = a.call(
        "DELETE",
        &format!("/api/v1/assets/{gone}"),
        &mo,
        None,
        None,
        None,
    );
    assert!(r.status().is_success());
    let out = harvest(b, &format!("{}/oai", a.base));
    assert!(out.status.success(), "{}", text(&out));
    let summary = String::from_utf8_lossy(&out.stdout).into_owned();
    assert_eq!(figure(&summary, "deleted"), 1, "{summary}");
    assert!(
        figure(&summary, "records written") < 5,
        "only what changed: {summary}"
    );

    let s = Server::start(b, &["--no-demo"]);
    let v = s.get_json(&format!("/api/v1/assets/other.example-{renamed}"), "");
    assert_eq!(v["name"], "Renamed at the source");
    assert_eq!(
        s.get(&format!("/api/v1/assets/other.example-{gone}"))
            .status(),
        404
    );
    assert_eq!(public_assets(&s).len(), a_assets.len() + 2);
    s.stop();
    let out = orrery(b, &["check"]);
    assert!(out.status.success(), "{}", text(&out));
}

/// The type a harvested asset has: what its record's xsi:type reads back as.
fn harvested_kind(kind: &str) -> &'static str {
    match kind {
        "Datalab" | "Pipeline" => "Service",
        _ => "Dataset",
    }
}

struct Proxy {
    child: Child,
    url: String,
    log: PathBuf,
}

impl Proxy {
    fn start(port: u16, upstream: &str, log: &Path, fail_after: Option<u32>) -> Proxy {
        let python = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/venv/bin/python");
        assert!(python.exists(), "run scripts/prereqs.sh (make test does)");
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/clients/flaky_proxy.py");
        let mut cmd = Command::new(python);
        cmd.arg(script).arg(port.to_string()).arg(upstream).arg(log);
        if let Some(n) = fail_after {
            cmd.arg(n.to_string());
        }
        let mut child = cmd.stdout(Stdio::piped()).spawn().expect("start the proxy");
        let mut line = String::new();
        let stdout = child.stdout.take().expect("proxy stdout");
        std::io::BufRead::read_line(&mut std::io::BufReader::new(stdout), &mut line).unwrap();
        assert_eq!(line.trim(), "ready");
        Proxy {
            child,
            url: format!("http://127.0.0.1:{port}/oai"),
            log: log.to_owned(),
        }
    }

    fn requests(&self) -> Vec<String> {
        std::fs::read_to_string(&self.log)
            .unwrap_or_default()
            .lines()
            .map(str::to_owned)
            .collect()
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn an_interrupted_harvest_resumes_where_it_stopped() {
    let a_dir = tempfile::tempdir().unwrap();
    let a = Server::start(
        a_dir.path(),
        &["--authority", "other.example", "--oai-page-size", "4"],
    );
    let total = public_assets(&a).len() + 3;
    let b_dir = tempfile::tempdir().unwrap();
    let b = b_dir.path();
    let port = free_port();
    let logs = tempfile::tempdir().unwrap();

    // The source fails for good after three pages.
    let proxy = Proxy::start(port, &a.base, &logs.path().join("1.log"), Some(3));
    let out = harvest(b, &proxy.url);
    assert!(!out.status.success(), "the harvest reports the failure");
    let err = text(&out);
    assert!(err.contains("503"), "{err}");
    assert!(err.contains("page 3:"), "three pages were committed: {err}");
    assert!(
        proxy.requests().len() > 3,
        "it retried: {:?}",
        proxy.requests()
    );
    drop(proxy);

    // The source is back: the harvest goes on from the saved token.
    let proxy = Proxy::start(port, &a.base, &logs.path().join("2.log"), None);
    let out = harvest(b, &proxy.url);
    assert!(out.status.success(), "{}", text(&out));
    let summary = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(summary.contains("resumed"), "{summary}");
    let requests = proxy.requests();
    assert!(
        requests[0].contains("resumptionToken="),
        "the first request resumes: {requests:?}"
    );
    assert_eq!(
        figure(&summary, "records written") + 12,
        total as u64,
        "the rest, once: {summary}"
    );
    let s = Server::start(b, &["--no-demo"]);
    assert_eq!(public_assets(&s).len(), total);
}

#[test]
fn ingests_the_real_voresource_records_of_the_corpus() {
    let corpus = shared().join("corpus/voresource");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&corpus)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "xml"))
        .collect();
    files.sort();
    assert!(files.len() > 30);
    let dir = tempfile::tempdir().unwrap();
    let mut args: Vec<String> = vec!["ingest".into()];
    args.extend(files.iter().map(|f| f.display().to_string()));
    args.push(corpus.join("rofr-standards").display().to_string());
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = orrery(dir.path(), &args);
    let report = text(&out);
    // One record is of a deleted resource: reported, nothing loaded for it; all others load.
    assert!(!out.status.success());
    let failures: Vec<&str> = report.lines().filter(|l| l.contains(".xml:")).collect();
    assert_eq!(failures.len(), 1, "{report}");
    assert!(failures[0].contains("deleted"), "{report}");
    let standards = std::fs::read_dir(corpus.join("rofr-standards"))
        .unwrap()
        .count();
    let expected = files.len() - 1 + standards;
    assert!(
        report.contains(&format!("ingested {expected} assets")),
        "{report}"
    );

    let s = Server::start(dir.path(), &["--no-demo"]);
    // Records of the same resource (a standard in its own repository and in the RofR) are one
    // asset.
    let mut ivoids = std::collections::BTreeSet::new();
    for f in files.iter().cloned().chain(
        std::fs::read_dir(corpus.join("rofr-standards"))
            .unwrap()
            .map(|e| e.unwrap().path()),
    ) {
        let xml = std::fs::read_to_string(&f).unwrap();
        if !xml.contains("status=\"deleted\"") {
            ivoids.insert(first_identifier(&xml));
        }
    }
    let all: Value = s.get("/api/v1/assets?limit=1").json().unwrap();
    assert_eq!(all["total"], ivoids.len(), "{ivoids:?}");
    // A data collection, a TAP service with tables, an authority, a standard.
    let bima = s.get_json("/api/v1/assets/bima.ncsa-bima", "");
    assert_eq!(bima["type"], "Dataset");
    assert_eq!(bima["name"], "NCSA BIMA Data Archive");
    assert_eq!(bima["alternateName"], "BIMA");
    assert_eq!(bima["waveband"], json!(["Millimeter"]));
    assert!(
        bima["keywords"]
            .as_array()
            .unwrap()
            .contains(&json!("radio astronomy"))
    );
    let ivoa = s.get_json("/api/v1/assets/ivoa.net", "");
    assert_eq!(ivoa["type"], "Resource");
    // Landing pages type them for crawlers: only data collections are Datasets.
    let page = s.get("/assets/ivoa.net").text().unwrap();
    assert!(page.contains("\"@type\":\"CreativeWork\""), "{page}");
    assert!(!page.contains("\"@type\":\"Dataset\""));
    let page = s.get("/assets/bima.ncsa-bima").text().unwrap();
    assert!(page.contains("\"@type\":\"Dataset\""));
    let r = s.get("/api/v1/resolve?ivoid=ivo://ivoa.net/std/RegTAP");
    assert_eq!(r.status(), 303);
    // The record is kept byte for byte.
    let original =
        std::fs::read_to_string(corpus.join("ivoa-std-VODataService__samples-collection.xml"))
            .unwrap();
    let served = s
        .get_accept("/api/v1/assets/bima.ncsa-bima", "application/xml")
        .text()
        .unwrap();
    assert_eq!(served, original);
    // Searchable by its words and facets.
    let found: Value = s.get("/api/v1/assets?q=BIMA").json().unwrap();
    assert!(
        found["hits"]
            .as_array()
            .unwrap()
            .iter()
            .any(|h| h["id"] == "bima.ncsa-bima")
    );
    let services: Value = s.get("/api/v1/assets?type=Service&limit=1").json().unwrap();
    assert!(services["total"].as_u64().unwrap() >= 1, "{services}");
}

/// The text of the first `identifier` element of a record (prefixed or not).
fn first_identifier(xml: &str) -> String {
    let mut rest = xml;
    while let Some(i) = rest.find("identifier") {
        let before = &rest[..i];
        let after = &rest[i + "identifier".len()..];
        let opens = before.ends_with('<')
            || before.rfind('<').is_some_and(|j| {
                before[j + 1..]
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == ':')
                    && before.ends_with(':')
            });
        if opens && after.starts_with(['>', ' ']) {
            let start = after.find('>').unwrap() + 1;
            let end = after[start..].find('<').unwrap() + start;
            return after[start..end].trim().to_ascii_lowercase();
        }
        rest = after;
    }
    panic!("no identifier in {xml}");
}

/// A description of more than 1,000 bytes without a sentence end, with a non-ASCII character
/// at the cut: once a panic that lost the record (ingest) or stopped the harvest.
fn long_non_ascii_description() -> String {
    format!("{}{}", "a".repeat(1000), "é".repeat(40))
}

#[test]
fn a_record_with_a_long_non_ascii_description_is_ingested_and_harvested() {
    let record = std::fs::read_to_string(
        shared().join("corpus/voresource/ivoa-std-VODataService__samples-collection.xml"),
    )
    .unwrap();
    let (head, rest) = record.split_once("<description>").unwrap();
    let (_, tail) = rest.split_once("</description>").unwrap();
    let description = long_non_ascii_description();
    let record = format!("{head}<description>{description}</description>{tail}");
    let input = tempfile::tempdir().unwrap();
    let file = input.path().join("long.xml");
    std::fs::write(&file, &record).unwrap();
    let a_dir = tempfile::tempdir().unwrap();
    let out = orrery(a_dir.path(), &["ingest", file.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("ingested 1 assets"), "{}", text(&out));
    assert!(!text(&out).contains("panicked"), "{}", text(&out));

    // The same description on one of the catalogue's own assets, harvested by another.
    let doc = json!({"id": "long-text", "type": "Dataset", "name": "Long text",
                     "description": description, "license": "CC-BY-4.0"});
    std::fs::write(input.path().join("long.json"), doc.to_string()).unwrap();
    let c_dir = tempfile::tempdir().unwrap();
    let out = orrery(
        c_dir.path(),
        &["ingest", input.path().join("long.json").to_str().unwrap()],
    );
    assert!(out.status.success(), "{}", text(&out));
    let c = Server::start(c_dir.path(), &["--authority", "other.example", "--no-demo"]);
    let b_dir = tempfile::tempdir().unwrap();
    let out = harvest(b_dir.path(), &format!("{}/oai", c.base));
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(figure(&text(&out), "skipped"), 0, "{}", text(&out));
    let s = Server::start(b_dir.path(), &["--no-demo"]);
    let v: Value = s
        .get("/api/v1/assets/other.example-long-text")
        .json()
        .unwrap();
    let got = v["abstract"].as_str().unwrap();
    assert!(description.starts_with(got.trim_end_matches('…')), "{got}");
}
