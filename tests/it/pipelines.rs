//! Pushing pipelines as they are (`POST /api/v1/pipelines`): a bundle with `manifest.json`
//! becomes a pipeline asset with its versions and files; a published version never changes;
//! bad input is refused with the file, line and column, and nothing is stored.

use std::io::Write;
use std::path::Path;

use serde_json::Value;

use crate::common::{Server, problem, token};

pub(crate) fn fixture(name: &str) -> Vec<(String, Vec<u8>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/cwl")
        .join(name);
    let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .map(|e| {
            (
                e.file_name().to_string_lossy().into_owned(),
                std::fs::read(e.path()).unwrap(),
            )
        })
        .collect();
    files.sort();
    files
}

pub(crate) fn zip_of(files: &[(String, Vec<u8>)]) -> Vec<u8> {
    let mut buf = std::io::Cursor::new(Vec::new());
    {
        let mut w = zip::ZipWriter::new(&mut buf);
        let opts = zip::write::SimpleFileOptions::default();
        for (name, data) in files {
            w.start_file(name.as_str(), opts).unwrap();
            w.write_all(data).unwrap();
        }
        w.finish().unwrap();
    }
    buf.into_inner()
}

pub(crate) fn push(
    s: &Server,
    tok: &str,
    query: &str,
    ct: &str,
    body: Vec<u8>,
) -> reqwest::blocking::Response {
    post(s, "/api/v1/pipelines", tok, query, ct, body)
}

/// A POST of `body` to `path` with `query`, as `ct`, with a bearer token unless `tok` is empty.
pub(crate) fn post(
    s: &Server,
    path: &str,
    tok: &str,
    query: &str,
    ct: &str,
    body: Vec<u8>,
) -> reqwest::blocking::Response {
    let mut req = s
        .client
        .post(format!("{}{path}{query}", s.base))
        .header("Content-Type", ct)
        .body(body);
    if !tok.is_empty() {
        req = req.bearer_auth(tok);
    }
    req.send().unwrap()
}

pub(crate) fn sha256(b: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(b)
        .iter()
        .map(|x| format!("{x:02x}"))
        .collect()
}

fn manifest(version: &str) -> (String, Vec<u8>) {
    (
        "manifest.json".into(),
        serde_json::json!({
            "name": "Hello_PIPEMAN",
            "description": "Hello PIPEMAN example. Writes block text.",
            "keywords": ["Example", "Hello_PIPEMAN"],
            "version": version,
            "versionDescription": "Update figlet version",
            "defaultEngine": "cwltool",
            "id": "hello-pushed"
        })
        .to_string()
        .into_bytes(),
    )
}

#[test]
fn a_bundle_becomes_a_pipeline_with_versions() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(dir.path(), &[]);
    let dev = token(dir.path(), "pipeman", &["developer"], &[]);
    let mo = token(dir.path(), "mo", &["moderator"], &[]);
    let mut files = fixture("hello-pipeman");
    files.push(manifest("0.0.3"));
    let r = push(&s, &dev, "", "application/zip", zip_of(&files));
    assert_eq!(r.status(), 201, "{}", r.text().unwrap_or_default());
    assert!(
        r.headers()["location"]
            .to_str()
            .unwrap()
            .ends_with("/api/v1/assets/hello-pushed")
    );
    let v: Value = r.json().unwrap();
    assert_eq!(v["id"], "hello-pushed");
    assert_eq!(v["created"], true);
    assert_eq!(v["version"]["name"], "0.0.3");
    assert_eq!(v["version"]["description"], "Update figlet version");
    assert_eq!(v["version"]["published"], false);
    assert_eq!(v["version"]["entry"], "Hello_PIPEMAN.pipeline.cwl");
    // Every file is kept as it came.
    let stored: Vec<(String, String)> = v["version"]["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["path"].as_str().unwrap().to_owned(),
                f["sha256"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let sent: Vec<(String, String)> = files.iter().map(|(p, b)| (p.clone(), sha256(b))).collect();
    let mut sent = sent;
    sent.sort();
    assert_eq!(stored, sent);
    // What the CWL says is in the asset.
    let a = &v["asset"];
    assert_eq!(a["version"], "0.0.3");
    assert_eq!(a["name"], "Hello_PIPEMAN");
    let p = &a["pipeline"];
    assert_eq!(p["cwlVersion"], "v1.2");
    assert_eq!(p["class"], "Workflow");
    assert_eq!(p["defaultEngine"], "cwltool");
    let steps: Vec<&str> = p["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["run"].as_str().unwrap())
        .collect();
    assert_eq!(steps, ["figlet.cwl", "figlet.cwl", "command.cwl"]);
    assert!(
        p["steps"]
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s["runs"] == "CommandLineTool")
    );
    let ids: Vec<&str> = p["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["file", "text", "text_2", "command_1"]);
    assert_eq!(p["inputs"][1]["default"], "\"Hello\"");

    // An unpublished version may be pushed again; a published one never changes.
    let r = push(&s, &dev, "", "application/zip", zip_of(&files));
    assert_eq!(r.status(), 200, "{}", r.text().unwrap_or_default());
    let ok = |r: reqwest::blocking::Response| {
        let st = r.status();
        assert!(st.is_success(), "{st}: {}", r.text().unwrap_or_default());
    };
    let body = serde_json::json!({"visibility": {"audience": "public", "users": [], "groups": []}, "license": "Apache-2.0"}).to_string();
    ok(s.call(
        "PATCH",
        "/api/v1/assets/hello-pushed",
        &dev,
        Some("application/merge-patch+json"),
        Some(body),
        None,
    ));
    ok(s.call(
        "POST",
        "/api/v1/assets/hello-pushed/submit",
        &dev,
        None,
        None,
        None,
    ));
    ok(s.call(
        "POST",
        "/api/v1/assets/hello-pushed/approve",
        &mo,
        None,
        None,
        None,
    ));
    let r = push(&s, &dev, "", "application/zip", zip_of(&files));
    assert_eq!(r.status(), 409, "{}", r.text().unwrap_or_default());
    assert!(r.text().unwrap().contains("published"));
    // A new version of a published public pipeline waits for review.
    files.pop();
    files.push(manifest("0.0.8"));
    let r = push(&s, &dev, "", "application/zip", zip_of(&files));
    assert_eq!(r.status(), 200, "{}", r.text().unwrap_or_default());
    let v: Value = r.json().unwrap();
    assert_eq!(v["version"]["name"], "0.0.8");
    let public = s.get_json("/api/v1/assets/hello-pushed", "");
    assert_eq!(
        public["version"], "0.0.3",
        "readers see the published version until review"
    );
    let history = s.get_json("/api/v1/assets/hello-pushed/history", &dev);
    let pushed: Vec<&str> = history
        .as_array()
        .or_else(|| history["events"].as_array())
        .unwrap()
        .iter()
        .filter_map(|e| e["version"].as_str())
        .collect();
    assert_eq!(
        pushed,
        ["0.0.3", "0.0.3", "0.0.8"],
        "history records each push"
    );
    s.stop();
}

#[test]
fn bad_pushes_are_refused_where_they_go_wrong_and_store_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(dir.path(), &[]);
    let dev = token(dir.path(), "pipeman", &["developer"], &[]);
    let before = s.get_json("/api/v1/assets?type=Pipeline&limit=1", &dev)["total"].clone();
    let tool =
        "cwlVersion: v1.2\nclass: CommandLineTool\nbaseCommand: echo\ninputs: []\noutputs: []\n";
    let q = "?version=1.0&fileName=t.cwl";
    // An unknown field, with its place.
    let bad = tool.replace("baseCommand", "baseComand");
    let p = problem(push(&s, &dev, q, "application/yaml", bad.into_bytes()), 422);
    let first = &p["errors"][0];
    assert_eq!(first["file"], "t.cwl");
    assert_eq!(first["line"], 3);
    assert_eq!(first["column"], 1);
    assert!(first["message"].as_str().unwrap().contains("baseComand"));
    // Duplicate keys, and an alias bomb.
    let dup = format!("{tool}baseCommand: cat\n");
    let p = problem(push(&s, &dev, q, "application/yaml", dup.into_bytes()), 422);
    assert!(
        p["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("uplicate"),
        "{p}"
    );
    let mut bomb = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 0..9 {
        let prev = if i == 0 {
            "a".to_owned()
        } else {
            format!("l{}", i - 1)
        };
        bomb.push_str(&format!("l{i}: &l{i} [*{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}]\n"));
    }
    problem(
        push(&s, &dev, q, "application/yaml", bomb.into_bytes()),
        422,
    );
    // A reference that is missing, one that escapes, and a zip slip.
    let mut files = fixture("hello-pipeman");
    files.retain(|(p, _)| p != "figlet.cwl");
    let p = problem(
        push(&s, &dev, "?version=1", "application/zip", zip_of(&files)),
        422,
    );
    assert_eq!(p["errors"][0]["file"], "Hello_PIPEMAN.pipeline.cwl");
    assert!(
        p["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("figlet.cwl"),
        "{p}"
    );
    let mut files = fixture("hello-pipeman");
    let entry = files
        .iter_mut()
        .find(|(p, _)| p.ends_with(".pipeline.cwl"))
        .unwrap();
    entry.1 = String::from_utf8(entry.1.clone())
        .unwrap()
        .replace("run: figlet.cwl", "run: ../../etc/passwd")
        .into_bytes();
    let p = problem(
        push(&s, &dev, "?version=1", "application/zip", zip_of(&files)),
        422,
    );
    assert!(
        p["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("leaves the bundle"),
        "{p}"
    );
    let slip = vec![("../evil.cwl".to_owned(), tool.as_bytes().to_vec())];
    let p = problem(
        push(&s, &dev, "?version=1", "application/zip", zip_of(&slip)),
        422,
    );
    assert_eq!(p["errors"][0]["file"], "../evil.cwl");
    // No version, an engine the platform does not run, a parameter nobody knows.
    problem(
        push(&s, &dev, "?fileName=t.cwl", "application/yaml", tool.into()),
        422,
    );
    problem(
        push(
            &s,
            &dev,
            "?version=1&engine=toil",
            "application/yaml",
            tool.into(),
        ),
        422,
    );
    problem(
        push(
            &s,
            &dev,
            "?version=1&colour=red",
            "application/yaml",
            tool.into(),
        ),
        400,
    );
    // Not a CWL push at all; no token.
    problem(push(&s, &dev, q, "text/html", tool.into()), 415);
    problem(push(&s, "", q, "application/yaml", tool.into()), 401);
    // Too large: refused on its announced length, before a byte of it is read.
    {
        use std::io::{Read, Write};
        let addr = s.base.trim_start_matches("http://");
        let mut tcp = std::net::TcpStream::connect(addr).unwrap();
        write!(
            tcp,
            "POST /api/v1/pipelines{q} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {dev}\r\nContent-Type: application/yaml\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            2 << 20
        )
        .unwrap();
        let mut answer = String::new();
        let _ = tcp.read_to_string(&mut answer);
        assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
        assert!(answer.contains("application/problem+json"), "{answer}");
    }
    // Nothing was stored.
    assert_eq!(
        s.get_json("/api/v1/assets?type=Pipeline&limit=1", &dev)["total"],
        before
    );
    // The same tool, well formed, is taken.
    let r = push(&s, &dev, q, "application/yaml", tool.into());
    assert_eq!(r.status(), 201, "{}", r.text().unwrap_or_default());
    s.stop();
}

/// An EO Application Package that imports the EOAP schemas by URL: refused as outside the
/// bundle (nothing is fetched), taken when the service serves that URL prefix from a local
/// copy (`--cwl-mirror`).
#[test]
fn urls_resolve_only_through_a_configured_mirror() {
    let corpus = crate::common::shared().join("corpus/cwl");
    let package = std::fs::read(corpus.join("eoap/pattern-12.cwl")).unwrap();
    let q = "?fileName=pattern-12.cwl";
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(dir.path(), &[]);
    let dev = token(dir.path(), "eo", &["developer"], &[]);
    let r = push(&s, &dev, q, "application/yaml", package.clone());
    assert_eq!(r.status(), 422);
    let p: Value = r.json().unwrap();
    assert!(
        p["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("never fetched"),
        "{p}"
    );
    assert_eq!(p["errors"][0]["file"], "pattern-12.cwl");
    s.stop();
    let dir = tempfile::tempdir().unwrap();
    let mirror = format!(
        "https://raw.githubusercontent.com/eoap/schemas/main/={}",
        corpus.join("eoap-schemas").display()
    );
    let s = Server::start(dir.path(), &["--cwl-mirror", &mirror]);
    let dev = token(dir.path(), "eo", &["developer"], &[]);
    let r = push(&s, &dev, q, "application/yaml", package);
    assert_eq!(r.status(), 201, "{}", r.text().unwrap_or_default());
    let v: Value = r.json().unwrap();
    let inputs = v["asset"]["pipeline"]["inputs"].as_array().unwrap();
    assert!(inputs.iter().any(|i| i["type"] == "BBox"), "{inputs:?}");
    // Only the pushed file is the bundle: the mirrored schemas are not stored with it.
    assert_eq!(v["version"]["files"].as_array().unwrap().len(), 1);
    s.stop();
}
