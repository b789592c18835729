//! schema.org and DCAT documents in (`POST /api/v1/import`, `orrery ingest`): real records of
//! the corpus become drafts with their fields, all or nothing; unreadable documents are
//! refused where they go wrong, and nothing is fetched.

use serde_json::Value;

use crate::common::{Server, orrery, problem, shared, token};
use crate::pipelines::post;

fn corpus(path: &str) -> Vec<u8> {
    std::fs::read(shared().join("corpus").join(path)).unwrap()
}

fn import(s: &Server, tok: &str, ct: &str, body: Vec<u8>) -> reqwest::blocking::Response {
    post(s, "/api/v1/import", tok, "", ct, body)
}

#[test]
fn dcat_and_schema_org_documents_become_drafts() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(dir.path(), &[]);
    let dev = token(dir.path(), "ann", &["developer"], &[]);
    let body = corpus("dcat/dcat-ap-3.0.0-hvd__example-ms_dataset_2_distributions.ttl");
    let r = import(&s, &dev, "text/turtle", body.clone());
    assert_eq!(r.status(), 201, "{}", r.text().unwrap_or_default());
    let v: Value = r.json().unwrap();
    let created = v["created"].as_array().unwrap();
    assert_eq!(created.len(), 1, "{v}");
    assert_eq!(
        created[0]["subject"],
        "https://data.exampleMS.gov/id/dataset/1T2p3o4B"
    );
    let id = created[0]["id"].as_str().unwrap();
    let a = s.get_json(&format!("/api/v1/assets/{id}"), &dev);
    assert_eq!(a["type"], "Dataset");
    assert_eq!(a["name"], "The population of bees");
    assert_eq!(a["status"], "draft");
    assert_eq!(a["distribution"].as_array().unwrap().len(), 2);
    // A draft is its owner's alone.
    let r = s.call("GET", &format!("/api/v1/assets/{id}"), "", None, None, None);
    assert_eq!(r.status(), 404);
    // The same document again: the id is taken, and nothing changes.
    let r = import(&s, &dev, "text/turtle", body);
    assert_eq!(r.status(), 409, "{}", r.text().unwrap_or_default());

    // schema.org JSON-LD naming its context by URL: the bundled context reads it.
    let r = import(
        &s,
        &dev,
        "application/ld+json",
        corpus("schemaorg/science-on-schema/examples__dataset__full.jsonld"),
    );
    assert_eq!(r.status(), 201, "{}", r.text().unwrap_or_default());
    let v: Value = r.json().unwrap();
    let id = v["created"][0]["id"].as_str().unwrap();
    let a = s.get_json(&format!("/api/v1/assets/{id}"), &dev);
    assert!(!a["creator"].as_array().unwrap().is_empty(), "{a}");
    assert!(
        a["keywords"].as_array().is_some_and(|k| !k.is_empty()),
        "{a}"
    );
    // Its publication date is the platform's to set: left out, and said so.
    let notices: Vec<&str> = v["notices"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_str().unwrap())
        .collect();
    assert!(
        notices
            .iter()
            .any(|n| n.contains("datePublished is not written by this account")),
        "{notices:?}"
    );
    assert!(a.get("datePublished").is_none(), "{a}");

    // DCAT in RDF/XML, several datasets at once.
    let r = import(
        &s,
        &dev,
        "application/rdf+xml",
        corpus("dcat/w3c-dcat3/basic-example.rdf"),
    );
    assert_eq!(r.status(), 201, "{}", r.text().unwrap_or_default());
    s.stop();
}

#[test]
fn unreadable_documents_are_refused_and_import_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(dir.path(), &[]);
    let dev = token(dir.path(), "ann", &["developer"], &[]);
    let before = s.get_json("/api/v1/assets?limit=1", &dev)["total"].clone();
    // Not Turtle: the line and column of the fault.
    let p = problem(
        import(
            &s,
            &dev,
            "text/turtle",
            corpus("dcat/dcat-ap-3.0.0__example-bee-population-dataset-series-api.ttl"),
        ),
        422,
    );
    assert_eq!(p["errors"][0]["line"], 20, "{p}");
    // A context this service does not bundle is not fetched.
    let p = problem(
        import(
            &s,
            &dev,
            "application/ld+json",
            br#"{"@context": "https://example.org/ctx.jsonld", "@type": "Dataset", "name": "x"}"#
                .to_vec(),
        ),
        422,
    );
    assert!(
        p["detail"].as_str().unwrap().contains("nothing is fetched"),
        "{p}"
    );
    // Nothing the catalogue knows.
    problem(
        import(
            &s,
            &dev,
            "application/ld+json",
            corpus("schemaorg/schemaorg-examples/eg-0239-WebAPI.jsonld"),
        ),
        422,
    );
    // Not a linked-data media type; no token.
    problem(import(&s, &dev, "application/json", b"{}".to_vec()), 415);
    problem(import(&s, "", "text/turtle", Vec::new()), 401);
    let after = s.get_json("/api/v1/assets?limit=1", &dev)["total"].clone();
    assert_eq!(before, after, "nothing was imported");
    s.stop();
}

#[test]
fn ingest_reads_schema_org_and_dcat_files() {
    let data = tempfile::tempdir().unwrap();
    let input = tempfile::tempdir().unwrap();
    for (from, to) in [
        ("dcat/w3c-dcat3/basic-example.ttl", "basic.ttl"),
        (
            "schemaorg/schemaorg-examples/eg-0310-Dataset.jsonld",
            "ncdc.jsonld",
        ),
        (
            "schemaorg/science-on-schema/examples__dataset__minimal.jsonld",
            "minimal.json",
        ),
    ] {
        std::fs::write(input.path().join(to), corpus(from)).unwrap();
    }
    let out = orrery(data.path(), &["ingest", input.path().to_str().unwrap()]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // One dataset in each file.
    assert!(stdout.contains("ingested 3 assets"), "{stdout}");
    let s = Server::start(data.path(), &[]);
    // A SPARQL user asking for schema:Dataset finds what was ingested.
    let r = s
        .client
        .get(format!("{}/sparql", s.base))
        .query(&[(
            "query",
            "SELECT (COUNT(?s) AS ?n) WHERE { ?s a <https://schema.org/Dataset> FILTER(CONTAINS(STR(?s), '/id/')) }",
        )])
        .header("Accept", "application/sparql-results+json")
        .send()
        .unwrap();
    let v: Value = r.json().unwrap();
    let n: u64 = v["results"]["bindings"][0]["n"]["value"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(n, 3, "{v}");
    s.stop();
}
