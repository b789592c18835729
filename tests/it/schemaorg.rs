//! schema.org JSON-LD on the landing pages, extracted by extruct as a crawler does, checked
//! against Google's Dataset guidelines (required and recommended properties, and what Google
//! rejects) for every public asset of the demo catalogue.

use std::path::Path;
use std::process::Command;

use crate::common::Server;
use serde_json::{Value, json};

fn python() -> std::path::PathBuf {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/venv/bin/python");
    assert!(
        p.exists(),
        "{} is missing: run scripts/prereqs.sh (make test does) to install the test clients",
        p.display()
    );
    p
}

fn extract(urls: &[String]) -> Value {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/clients/extract.py");
    let out = Command::new(python())
        .arg(script)
        .args(urls)
        .output()
        .expect("run extruct");
    assert!(
        out.status.success(),
        "extruct failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("extruct's JSON")
}

/// Every nested object has a `@type`, no value is empty, no `author`, `sameAs` only http(s).
fn check_tree(v: &Value, path: &str) {
    match v {
        Value::Object(o) => {
            assert!(
                !o.contains_key("author"),
                "{path}: author where creator is meant"
            );
            if !path.is_empty() && !o.contains_key("@id") {
                assert!(o.contains_key("@type"), "{path}: an untyped object {v}");
            }
            if let Some(s) = o.get("sameAs") {
                for u in s.as_array().cloned().unwrap_or_else(|| vec![s.clone()]) {
                    let u = u.as_str().unwrap_or_default();
                    assert!(
                        u.starts_with("https://") || u.starts_with("http://"),
                        "{path}: sameAs {u}"
                    );
                }
            }
            for (k, x) in o {
                if k == "@context" {
                    continue;
                }
                check_tree(x, &format!("{path}/{k}"));
            }
        }
        Value::Array(a) => {
            assert!(!a.is_empty(), "{path}: an empty list");
            for (i, x) in a.iter().enumerate() {
                check_tree(x, &format!("{path}/{i}"));
            }
        }
        Value::String(s) => assert!(!s.trim().is_empty(), "{path}: an empty value"),
        Value::Null => panic!("{path}: null"),
        _ => {}
    }
}

fn types(v: &Value) -> Vec<String> {
    match &v["@type"] {
        Value::String(s) => vec![s.clone()],
        Value::Array(a) => a
            .iter()
            .filter_map(|t| t.as_str().map(str::to_owned))
            .collect(),
        _ => Vec::new(),
    }
}

#[test]
fn landing_pages_carry_valid_schema_org() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(dir.path(), &[]);
    let list: Value = s.get("/api/v1/assets?limit=100").json().unwrap();
    let hits = list["hits"].as_array().unwrap();
    assert!(hits.len() > 30);
    let urls: Vec<String> = hits
        .iter()
        .map(|h| format!("{}/assets/{}", s.base, h["id"].as_str().unwrap()))
        .collect();
    let extracted = extract(&urls);
    let mut datasets = 0;
    for (h, url) in hits.iter().zip(&urls) {
        let id = h["id"].as_str().unwrap();
        let doc: Value = s.get(&format!("/api/v1/assets/{id}")).json().unwrap();
        let items = extracted[url]["json-ld"].as_array().unwrap();
        assert_eq!(items.len(), 1, "{url}: one JSON-LD block");
        let ld = &items[0];
        check_tree(ld, "");
        let t = types(ld);
        // Common: identity, a description Google accepts, the page, the catalogue's IRI.
        assert_eq!(ld["name"], doc["name"], "{url}");
        let desc = ld["description"].as_str().unwrap();
        let n = desc.chars().count();
        assert!(
            (50..=5000).contains(&n),
            "{url}: description of {n} characters"
        );
        assert_eq!(ld["url"], url.as_str());
        assert_eq!(ld["@id"], format!("{}/id/{id}", s.base));
        if let Some(l) = ld.get("license") {
            assert!(
                l.as_str()
                    .is_some_and(|u| u.starts_with("https://") || u.starts_with("http://")),
                "{url}: licence {l}"
            );
        } else {
            assert!(
                doc.get("license").is_none(),
                "{url}: the licence is missing"
            );
        }
        if doc.get("creator").is_some() {
            let creators = ld["creator"].as_array().unwrap();
            assert!(
                creators
                    .iter()
                    .all(|c| matches!(c["@type"].as_str(), Some("Person" | "Organization")))
            );
        }
        // OpenGraph for link previews.
        let og = extracted[url]["opengraph"].as_array().unwrap();
        assert!(
            og.iter()
                .any(|o| o["properties"].to_string().contains("og:title")),
            "{url}"
        );
        match doc["type"].as_str().unwrap() {
            "Dataset" | "DataVolume" => {
                datasets += 1;
                assert_eq!(t, ["Dataset"], "{url}");
                assert_eq!(ld["isAccessibleForFree"], true);
                assert_eq!(ld["includedInDataCatalog"]["@type"], "DataCatalog");
                assert!(ld.get("keywords").is_some() || doc.get("keywords").is_none());
                if let Some(dist) = doc.get("distribution") {
                    let d = ld["distribution"].as_array().unwrap();
                    assert_eq!(d.len(), dist.as_array().unwrap().len());
                    for x in d {
                        assert_eq!(x["@type"], "DataDownload");
                        assert!(
                            x["contentUrl"]
                                .as_str()
                                .is_some_and(|u| u.starts_with("http")),
                            "{url}"
                        );
                    }
                }
                if let Some(doi) = doc.get("identifier") {
                    let ids = ld["identifier"].as_array().unwrap();
                    assert_eq!(ids[0]["@type"], "PropertyValue");
                    assert!(
                        ids[0]["value"]
                            .as_str()
                            .unwrap()
                            .contains(doi.as_str().unwrap().trim_start_matches("doi:"))
                    );
                }
                if let Some(t) = doc["coverage"].get("temporal") {
                    assert_eq!(&ld["temporalCoverage"], t);
                }
                // Sky coverage is not geography.
                if doc["coverage"].get("spatial").is_none() {
                    assert!(
                        ld.get("spatialCoverage").is_none(),
                        "{url}: spatialCoverage for the sky"
                    );
                }
            }
            "Datalab" => {
                assert_eq!(t, ["WebApplication"], "{url}");
                assert!(ld["applicationCategory"].is_string());
                let target = ld["potentialAction"]["target"]["urlTemplate"]
                    .as_str()
                    .unwrap();
                assert!(
                    target.ends_with(&format!("/datalab-launch-wizard/{id}")),
                    "{target}"
                );
            }
            "Pipeline" => {
                assert!(t.contains(&"SoftwareSourceCode".to_owned()), "{url}: {t:?}");
                assert!(
                    t.iter().any(|x| x.ends_with("ComputationalWorkflow")),
                    "{url}: {t:?}"
                );
                assert_eq!(ld["programmingLanguage"]["name"], "CWL");
                // Every property the Bioschemas ComputationalWorkflow 1.0 profile requires.
                for required in [
                    "dct:conformsTo",
                    "creator",
                    "dateCreated",
                    "bioschemas:input",
                    "license",
                    "name",
                    "bioschemas:output",
                    "programmingLanguage",
                    "sdPublisher",
                    "url",
                    "version",
                ] {
                    let v = &ld[required];
                    assert!(
                        !v.is_null() && *v != json!("") && *v != json!({}),
                        "{url}: the Bioschemas ComputationalWorkflow profile requires {required}"
                    );
                }
                assert_eq!(
                    ld["dct:conformsTo"]["@id"],
                    "https://bioschemas.org/profiles/ComputationalWorkflow/1.0-RELEASE"
                );
            }
            other => panic!("unexpected type {other}"),
        }
    }
    assert!(datasets >= 5, "the demo catalogue has datasets");
    // The page's head: canonical link and description.
    let page = s.get("/assets/gaia-dr3").text().unwrap();
    assert!(page.contains(&format!(
        "<link rel=\"canonical\" href=\"{}/assets/gaia-dr3\">",
        s.base
    )));
    assert!(page.contains("<meta name=\"description\""));
    // The catalogue itself.
    let catalog: Value = s.get("/catalog.jsonld").json().unwrap();
    assert_eq!(catalog["@type"], "DataCatalog");
    check_tree(&catalog, "");
}
