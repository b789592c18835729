//! The RDF of every public asset as linked-data users read it: rdflib parses the JSON-LD,
//! Turtle, N-Triples and RDF/XML representations and finds them isomorphic; pyld expands the
//! JSON-LD; every representation varies by `Accept`.

use std::path::Path;
use std::process::Command;

use crate::common::Server;
use serde_json::Value;

#[test]
fn rdflib_and_pyld_read_every_representation_alike() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(dir.path(), &[]);
    let list: Value = s.get("/api/v1/assets?limit=100").json().unwrap();
    let urls: Vec<String> = list["hits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| format!("{}/api/v1/assets/{}", s.base, h["id"].as_str().unwrap()))
        .collect();
    assert!(urls.len() > 30);
    let python = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/venv/bin/python");
    assert!(python.exists(), "run scripts/prereqs.sh (make test does)");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/clients/rdf_check.py");
    let out = Command::new(python)
        .arg(script)
        .args(&urls)
        .output()
        .expect("run rdflib/pyld");
    assert!(
        out.status.success(),
        "rdflib/pyld failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report.len(), urls.len());
    for r in &report {
        let url = r["url"].as_str().unwrap();
        for (accept, iso) in r["isomorphic"].as_object().unwrap() {
            assert_eq!(iso, true, "{url}: {accept} is not the same graph as Turtle");
        }
        for (accept, n) in r["triples"].as_object().unwrap() {
            assert!(n.as_u64().unwrap() >= 5, "{url}: {accept} has {n} triples");
        }
        for (accept, vary) in r["vary"].as_object().unwrap() {
            assert!(
                vary.as_str().unwrap().contains("Accept"),
                "{url}: {accept} without Vary"
            );
        }
        assert!(
            r["expanded_nodes"].as_u64().unwrap() >= 1,
            "{url}: pyld expanded nothing"
        );
    }
}
