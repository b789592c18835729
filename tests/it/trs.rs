//! The GA4GH TRS registry with its real clients: cwltool fetches pushed pipelines through
//! `--add-ga4gh-tool-registry` and validates and runs them; schemathesis runs the official
//! TRS definition (`../shared/corpus/trs/openapi/openapi.yaml`) against the server; and a
//! private or unpublished pipeline is a tool only for those it is shared with.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{Value, json};

use crate::common::{Server, shared, token};
use crate::pipelines::{fixture, push, sha256, zip_of};

fn venv(tool: &str) -> PathBuf {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("target/venv/bin")
        .join(tool);
    assert!(
        p.exists(),
        "{} is missing: run `make test` (scripts/prereqs.sh)",
        p.display()
    );
    p
}

/// Pushes the fixture `name` as pipeline `id` at `version`, shared with everyone when
/// `publish`, and has the moderator approve it.
fn publish(s: &Server, dev: &str, mo: &str, name: &str, id: &str, version: &str, publish: bool) {
    publish_with(s, dev, mo, (name, &[]), id, version, publish);
}

/// `publish` of the fixture `name` with `extra` files.
fn publish_with(
    s: &Server,
    dev: &str,
    mo: &str,
    (name, extra): (&str, &[(&str, &str)]),
    id: &str,
    version: &str,
    publish: bool,
) {
    let mut files = fixture(name);
    files.extend(
        extra
            .iter()
            .map(|(p, text)| ((*p).to_owned(), text.as_bytes().to_vec())),
    );
    files.push((
        "manifest.json".into(),
        json!({"id": id, "version": version, "versionDescription": format!("{name} {version}"),
               "defaultEngine": "cwltool"})
        .to_string()
        .into_bytes(),
    ));
    let r = push(s, dev, "", "application/zip", zip_of(&files));
    assert!(
        r.status().is_success(),
        "push {id}: {}",
        r.text().unwrap_or_default()
    );
    if !publish {
        return;
    }
    let ok = |r: reqwest::blocking::Response| {
        let st = r.status();
        assert!(st.is_success(), "{st}: {}", r.text().unwrap_or_default());
    };
    let body = json!({"visibility": {"audience": "public", "users": [], "groups": []}, "license": "Apache-2.0"});
    let path = format!("/api/v1/assets/{id}");
    ok(s.call(
        "PATCH",
        &path,
        dev,
        Some("application/merge-patch+json"),
        Some(body.to_string()),
        None,
    ));
    ok(s.call("POST", &format!("{path}/submit"), dev, None, None, None));
    ok(s.call("POST", &format!("{path}/approve"), mo, None, None, None));
}

fn get(s: &Server, path: &str, tok: &str) -> reqwest::blocking::Response {
    let mut req = s.client.get(format!("{}{path}", s.base));
    if !tok.is_empty() {
        req = req.bearer_auth(tok);
    }
    req.send().unwrap()
}

fn cwltool(s: &Server, args: &[&str], dir: &Path) -> (bool, String) {
    let out = Command::new(venv("cwltool"))
        .arg("--add-ga4gh-tool-registry")
        .arg(&s.base)
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run cwltool");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

#[test]
fn cwltool_fetches_validates_and_runs_pipelines_from_the_registry() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(dir.path(), &[]);
    let dev = token(dir.path(), "pipeman", &["developer"], &[]);
    let mo = token(dir.path(), "mo", &["moderator"], &[]);
    publish(&s, &dev, &mo, "hello-pipeman", "hello-trs", "0.0.3", true);
    publish(&s, &dev, &mo, "simple", "simple-trs", "1.0", true);

    // The listing, filtered, with its paging headers.
    let r = get(&s, "/ga4gh/trs/v2/tools?toolClass=Workflow&limit=1", "");
    assert_eq!(r.status(), 200);
    let h = |name: &str| {
        r.headers()
            .get(name)
            .map(|v| v.to_str().unwrap().to_owned())
    };
    assert_eq!(h("current_limit").as_deref(), Some("1"));
    assert_eq!(h("current_offset").as_deref(), Some("0"));
    assert!(
        h("next_page").unwrap().contains("offset=1"),
        "{:?}",
        h("next_page")
    );
    assert!(h("self_link").unwrap().contains("toolClass=Workflow"));
    let total: usize = h("x-total-count").unwrap().parse().unwrap();
    assert!(total >= 2, "{total}");
    let page: Vec<Value> = r.json().unwrap();
    assert_eq!(page.len(), 1);
    let found: Vec<Value> = get(
        &s,
        "/ga4gh/trs/v2/tools?toolname=hello_pipe&descriptorType=CWL",
        "",
    )
    .json()
    .unwrap();
    let ids: Vec<&str> = found.iter().map(|t| t["id"].as_str().unwrap()).collect();
    assert!(ids.contains(&"#workflow/hello-trs"), "{ids:?}");
    assert!(!ids.contains(&"#workflow/simple-trs"), "{ids:?}");

    // A tool, its versions, descriptors with checksums, its files listed and zipped; the same
    // under cwltool's prefix.
    let tool: Value = get(&s, "/api/ga4gh/v2/tools/%23workflow%2Fhello-trs", "")
        .json()
        .unwrap();
    assert_eq!(tool["id"], "#workflow/hello-trs");
    assert_eq!(tool["toolclass"]["id"], "Workflow");
    assert_eq!(tool["versions"][0]["id"], "0.0.3");
    assert_eq!(tool["versions"][0]["is_production"], true);
    assert_eq!(tool["versions"][0]["descriptor_type"], json!(["CWL"]));
    assert_eq!(
        tool["versions"][0]["descriptor_type_version"],
        json!({"CWL": ["v1.2"]})
    );
    let files = fixture("hello-pipeman");
    let entry = files
        .iter()
        .find(|(p, _)| p == "Hello_PIPEMAN.pipeline.cwl")
        .unwrap();
    let base = "/ga4gh/trs/v2/tools/%23workflow%2Fhello-trs/versions/0.0.3";
    let wrapped: Value = get(&s, &format!("{base}/CWL/descriptor"), "")
        .json()
        .unwrap();
    assert_eq!(
        wrapped["content"],
        String::from_utf8_lossy(&entry.1).as_ref()
    );
    assert_eq!(wrapped["checksum"][0]["checksum"], sha256(&entry.1));
    assert_eq!(wrapped["checksum"][0]["type"], "sha-256");
    let plain = get(&s, &format!("{base}/PLAIN_CWL/descriptor/figlet.cwl"), "");
    assert!(
        plain.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain")
    );
    let figlet = files.iter().find(|(p, _)| p == "figlet.cwl").unwrap();
    assert_eq!(plain.bytes().unwrap().as_ref(), figlet.1.as_slice());
    let listed: Vec<Value> = get(&s, &format!("{base}/CWL/files"), "").json().unwrap();
    let kinds: Vec<(&str, &str)> = listed
        .iter()
        .map(|f| {
            (
                f["path"].as_str().unwrap(),
                f["file_type"].as_str().unwrap(),
            )
        })
        .collect();
    assert!(
        kinds.contains(&("Hello_PIPEMAN.pipeline.cwl", "PRIMARY_DESCRIPTOR")),
        "{kinds:?}"
    );
    assert!(
        kinds.contains(&("figlet.cwl", "SECONDARY_DESCRIPTOR")),
        "{kinds:?}"
    );
    assert!(kinds.contains(&("manifest.json", "OTHER")), "{kinds:?}");
    let zip = get(&s, &format!("{base}/CWL/files?format=zip"), "");
    assert_eq!(zip.headers()["content-type"], "application/zip");
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(zip.bytes().unwrap())).unwrap();
    let mut text = String::new();
    std::io::Read::read_to_string(&mut archive.by_name("figlet.cwl").unwrap(), &mut text).unwrap();
    assert_eq!(text.as_bytes(), figlet.1.as_slice());
    let latest: Value = get(
        &s,
        "/ga4gh/trs/v2/tools/%23workflow%2Fhello-trs/versions/latest",
        "",
    )
    .json()
    .unwrap();
    assert_eq!(latest["id"], "0.0.3");
    // Errors in TRS's form.
    let r = get(&s, "/ga4gh/trs/v2/tools/%23workflow%2Fnothing", "");
    assert_eq!(r.status(), 404);
    let e: Value = r.json().unwrap();
    assert_eq!(e["code"], 404);
    assert!(e["message"].as_str().unwrap().contains("nothing"));
    assert_eq!(get(&s, &format!("{base}/WDL/descriptor"), "").status(), 404);
    assert_eq!(get(&s, &format!("{base}/XYZ/descriptor"), "").status(), 404);
    assert_eq!(
        get(
            &s,
            &format!("{base}/CWL/descriptor/..%2F..%2Fetc%2Fpasswd"),
            ""
        )
        .status(),
        404
    );
    assert_eq!(get(&s, "/ga4gh/trs/v2/tools?limit=many", "").status(), 400);
    let r = get(&s, "/ga4gh/trs/v2/tools?limit=0&offset=elsewhere", "");
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["current_limit"], "1");
    assert_eq!(r.json::<Vec<Value>>().unwrap().len(), 0);

    // cwltool validates the three-file workflow fetched from the registry, by version and as
    // `latest`, and runs the two-file one.
    let work = tempfile::tempdir().unwrap();
    let started = std::time::Instant::now();
    let (ok, out) = cwltool(
        &s,
        &["--validate", "#workflow/hello-trs:0.0.3"],
        work.path(),
    );
    let through_trs = started.elapsed();
    assert!(ok, "cwltool --validate through TRS:\n{out}");
    assert!(out.contains("is valid CWL"), "{out}");
    let (ok, out) = cwltool(&s, &["--validate", "#workflow/hello-trs"], work.path());
    assert!(ok, "cwltool --validate latest:\n{out}");
    let on_disk = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/cwl/hello-pipeman/Hello_PIPEMAN.pipeline.cwl");
    let started = std::time::Instant::now();
    let (ok, out) = cwltool(&s, &["--validate", on_disk.to_str().unwrap()], work.path());
    let from_disk = started.elapsed();
    assert!(ok, "{out}");
    eprintln!(
        "cwltool --validate: {:.2} s through TRS, {:.2} s from disk",
        through_trs.as_secs_f64(),
        from_disk.as_secs_f64()
    );
    let outdir = work.path().join("out");
    let (ok, out) = cwltool(
        &s,
        &[
            "--no-container",
            "--outdir",
            outdir.to_str().unwrap(),
            "#workflow/simple-trs:1.0",
            "--message",
            "fetched from orrery",
        ],
        work.path(),
    );
    assert!(ok, "cwltool run through TRS:\n{out}");
    let written = std::fs::read_to_string(outdir.join("message.txt")).unwrap();
    assert_eq!(written, "fetched from orrery\n");
}

#[test]
fn a_pipeline_is_a_tool_only_for_those_who_may_read_it() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(dir.path(), &[]);
    let alice = token(dir.path(), "alice", &["developer"], &[]);
    let bob = token(dir.path(), "bob", &["developer"], &[]);
    let carol = token(dir.path(), "carol", &["developer"], &[]);
    let mo = token(dir.path(), "mo", &["moderator"], &[]);
    // A draft, and a published pipeline shared with bob alone.
    publish(&s, &alice, &mo, "simple", "zqx-draft", "1.0", false);
    publish(&s, &alice, &mo, "timestamp", "zqx-shared", "1.0", false);
    let path = "/api/v1/assets/zqx-shared";
    let body = json!({"visibility": {"audience": "private", "users": ["bob"], "groups": []}, "license": "Apache-2.0"});
    // A private asset is published on submission (no review: nobody else sees it).
    for (m, p, t, b) in [
        ("PATCH", path.to_owned(), &alice, Some(body.to_string())),
        ("POST", format!("{path}/submit"), &alice, None),
    ] {
        let ct = b.as_ref().map(|_| "application/merge-patch+json");
        let r = s.call(m, &p, t, ct, b, None);
        assert!(
            r.status().is_success(),
            "{m} {p}: {}",
            r.text().unwrap_or_default()
        );
    }
    assert_eq!(s.get_json(path, &alice)["status"], "published");
    // A second version of each: the shared pipeline's is published at once (its owner's edits
    // of a private asset need no review); the public one's waits for review, unpublished.
    publish(&s, &alice, &mo, "simple", "open-trs", "1.0", true);
    for (id, version) in [("zqx-shared", "2.0"), ("open-trs", "2.0-zqx")] {
        let mut files = fixture("timestamp");
        files.push((
            "manifest.json".into(),
            json!({"id": id, "version": version})
                .to_string()
                .into_bytes(),
        ));
        let r = push(&s, &alice, "", "application/zip", zip_of(&files));
        assert!(r.status().is_success(), "{}", r.text().unwrap_or_default());
    }

    let listed = |tok: &str| -> Vec<String> {
        let tools: Vec<Value> = get(&s, "/ga4gh/trs/v2/tools", tok).json().unwrap();
        tools
            .iter()
            .map(|t| t["id"].as_str().unwrap().to_owned())
            .filter(|id| id.contains("zqx"))
            .collect()
    };
    assert_eq!(listed(""), Vec::<String>::new());
    assert_eq!(listed(&carol), Vec::<String>::new());
    assert_eq!(listed(&bob), ["#workflow/zqx-shared"]);
    assert_eq!(
        listed(&alice),
        ["#workflow/zqx-draft", "#workflow/zqx-shared"]
    );
    assert_eq!(listed(&mo), ["#workflow/zqx-draft", "#workflow/zqx-shared"]);
    // Readers see published versions only; the owner every one.
    let versions = |id: &str, tok: &str| -> Vec<String> {
        let v: Vec<Value> = get(
            &s,
            &format!("/ga4gh/trs/v2/tools/%23workflow%2F{id}/versions"),
            tok,
        )
        .json()
        .unwrap();
        v.iter()
            .map(|v| v["id"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(versions("zqx-shared", &bob), ["1.0", "2.0"]);
    assert_eq!(versions("open-trs", ""), ["1.0"]);
    assert_eq!(versions("open-trs", &bob), ["1.0"]);
    assert_eq!(versions("open-trs", &alice), ["1.0", "2.0-zqx"]);
    let unpublished =
        "/ga4gh/trs/v2/tools/%23workflow%2Fopen-trs/versions/2.0-zqx/PLAIN_CWL/descriptor";
    assert_eq!(get(&s, unpublished, "").status(), 404);
    assert_eq!(get(&s, unpublished, &bob).status(), 404);
    assert_eq!(get(&s, unpublished, &alice).status(), 200);
    let latest: Value = get(
        &s,
        "/ga4gh/trs/v2/tools/%23workflow%2Fopen-trs/versions/latest",
        &alice,
    )
    .json()
    .unwrap();
    assert_eq!(
        latest["id"], "1.0",
        "latest is the newest published version"
    );
    // Anyone else is answered as for a tool that never existed, on every route.
    for tool in ["zqx-draft", "zqx-shared"] {
        for tail in [
            "",
            "/versions",
            "/versions/1.0",
            "/versions/latest/CWL/files",
            "/versions/1.0/PLAIN_CWL/descriptor",
            "/versions/1.0/CWL/tests",
            "/versions/1.0/containerfile",
        ] {
            let p = format!("/ga4gh/trs/v2/tools/%23workflow%2F{tool}{tail}");
            let never = p.replace(tool, "zqx-never");
            for tok in ["", carol.as_str()] {
                let (a, b) = (get(&s, &p, tok), get(&s, &never, tok));
                // The definition lists versions with 200 only: an empty list for any tool
                // the caller cannot see.
                let status = if tail == "/versions" { 200 } else { 404 };
                assert_eq!(a.status(), status, "{p}");
                assert_eq!(b.status(), status, "{never}");
                let (a, b) = (a.text().unwrap(), b.text().unwrap());
                assert_eq!(a.replace(tool, "X"), b.replace("zqx-never", "X"), "{p}");
            }
        }
    }
}

#[test]
fn the_official_trs_definition_passes_against_the_server() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(dir.path(), &[]);
    let dev = token(dir.path(), "pipeman", &["developer"], &[]);
    let mo = token(dir.path(), "mo", &["moderator"], &[]);
    // With a job file and a Dockerfile, so that tests and containerfile answer too.
    let extra = [
        (
            "Dockerfile",
            "FROM debian:stable-slim\nRUN apt-get update && apt-get install -y figlet\n",
        ),
        (
            "tests/hello-job.yml",
            "file:\n  class: File\n  path: hello.txt\n",
        ),
    ];
    publish_with(
        &s,
        &dev,
        &mo,
        ("hello-pipeman", &extra),
        "hello-trs",
        "0.0.3",
        true,
    );
    let definition = shared().join("corpus/trs/openapi/openapi.yaml");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/clients/trs_schema.py");
    let out = Command::new(venv("python"))
        .arg(&script)
        .arg(&definition)
        .arg(format!("{}/ga4gh/trs/v2", s.base))
        .arg(dir.path().join("schemathesis"))
        .env("TRS_TOKEN", &dev)
        .output()
        .expect("run schemathesis");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "schemathesis:\n{text}");
    eprintln!(
        "{}",
        text.lines().rev().take(12).collect::<Vec<_>>().join("\n")
    );
}
