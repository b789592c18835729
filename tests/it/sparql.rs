//! `/sparql` as linked-data users meet it: SPARQLWrapper in every results format and method;
//! only published public assets (and the vocabularies) are ever visible, whatever the query,
//! through every step of the write path; the protocol's errors; both limits.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use crate::common::{Server, orrery, token};
use serde_json::{Value, json};

const ESADO: &str = "PREFIX esado: <https://w3id.org/esado#> PREFIX sdo: <https://schema.org/> ";

fn query(s: &Server, q: &str, extra: &[(&str, &str)]) -> reqwest::blocking::Response {
    query_accept(s, q, extra, "*/*")
}

fn query_accept(
    s: &Server,
    q: &str,
    extra: &[(&str, &str)],
    accept: &str,
) -> reqwest::blocking::Response {
    let mut params = vec![("query", q)];
    params.extend_from_slice(extra);
    s.client
        .get(format!("{}/sparql", s.base))
        .query(&params)
        .header("Accept", accept)
        .send()
        .expect("GET /sparql")
}

/// SELECT in SPARQL JSON; the bindings of its rows.
fn select(s: &Server, q: &str) -> Vec<Value> {
    let r = query(s, q, &[]);
    assert_eq!(r.status(), 200, "{q}");
    assert_eq!(
        r.headers()["content-type"],
        "application/sparql-results+json"
    );
    let v: Value = r.json().unwrap();
    v["results"]["bindings"].as_array().unwrap().clone()
}

fn ask(s: &Server, q: &str) -> bool {
    let r = query(s, &format!("{ESADO} ASK {{ {q} }}"), &[]);
    assert_eq!(r.status(), 200);
    r.json::<Value>().unwrap()["boolean"].as_bool().unwrap()
}

fn count(s: &Server, pattern: &str) -> u64 {
    let rows = select(
        s,
        &format!("{ESADO} SELECT (COUNT(*) AS ?n) WHERE {{ {pattern} }}"),
    );
    rows[0]["n"]["value"].as_str().unwrap().parse().unwrap()
}

/// The problem document of an error answer with this status.
fn problem(r: reqwest::blocking::Response, status: u16) -> String {
    assert_eq!(r.status(), status);
    assert_eq!(r.headers()["content-type"], "application/problem+json");
    let v: Value = r.json().unwrap();
    v["detail"].as_str().unwrap().to_owned()
}

#[test]
fn sparqlwrapper_reads_every_format_and_method() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(dir.path(), &[]);
    let python = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/venv/bin/python");
    assert!(python.exists(), "run scripts/prereqs.sh (make test does)");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/clients/sparql_client.py");
    let out = Command::new(python)
        .arg(script)
        .arg(format!("{}/sparql", s.base))
        .output()
        .expect("run SPARQLWrapper");
    assert!(
        out.status.success(),
        "SPARQLWrapper failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    let datasets: Value = s
        .get("/api/v1/assets?type=dataset&limit=100")
        .json()
        .unwrap();
    let n = datasets["total"].as_u64().unwrap();
    assert!(n >= 5, "the demo catalogue has datasets");
    let mut expected: Vec<Vec<String>> = datasets["hits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| {
            vec![
                format!("{}/id/{}", s.base, h["id"].as_str().unwrap()),
                h["name"].as_str().unwrap().to_owned(),
            ]
        })
        .collect();
    expected.sort();
    let names = |key: &str| -> Vec<Vec<String>> { serde_json::from_value(r[key].clone()).unwrap() };
    assert_eq!(names("names_get"), expected, "SELECT by GET");
    for key in [
        "names_post_form",
        "names_post_direct",
        "names_xml",
        "names_csv",
    ] {
        assert_eq!(names(key), expected, "{key}");
    }
    assert_eq!(r["tsv_header"], "?a\t?name");
    assert_eq!(r["tsv_rows"], n);
    assert_eq!(r["count"], n);
    assert_eq!(r["ask"], true);
    assert_eq!(r["construct_triples"], n);
    assert_eq!(r["construct_isomorphic"], true, "Turtle and JSON-LD differ");
    assert!(r["describe_triples"].as_u64().unwrap() >= 5, "{r}");
    assert_eq!(r["describe_subjects_ok"], true);
    let malformed = r["malformed"].as_str().expect("QueryBadFormed raised");
    assert!(malformed.contains("error at 1:"), "{malformed}");
}

#[test]
fn only_published_public_data_is_ever_visible() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(dir.path(), &[]);
    let d = dir.path();
    let alice = token(d, "alice", &["developer"], &[]);
    let mo = token(d, "mo", &["moderator"], &[]);
    let app = token(d, "build-service", &["application"], &[]);
    let ok = |r: reqwest::blocking::Response| {
        let st = r.status();
        assert!(st.is_success(), "{st}: {}", r.text().unwrap_or_default());
    };
    let send = |method: &str, path: &str, tok: &str, ct: &str, body: Value| {
        ok(s.call(method, path, tok, Some(ct), Some(body.to_string()), None))
    };
    let step = |action: &str, tok: &str| {
        ok(s.call(
            "POST",
            &format!("/api/v1/assets/sq-1/{action}"),
            tok,
            None,
            None,
            None,
        ))
    };
    let datasets = count(&s, "?a a esado:Dataset");
    let triples = count(&s, "?s ?p ?o");
    let named = |name: &str| format!("?a sdo:name \"{name}\"");

    // A draft, with a private field.
    let doc = json!({"id": "sq-1", "type": "Dataset", "name": "Quasar draft", "abstract": "A draft.",
                     "license": "CC-BY-4.0"});
    let (json_ct, merge) = ("application/json", "application/merge-patch+json");
    send("POST", "/api/v1/assets", &alice, json_ct, doc.clone());
    let build = json!({"build": {"log": "private build log"}});
    send("PATCH", "/api/v1/assets/sq-1", &app, merge, build);
    assert!(!ask(&s, &named("Quasar draft")));
    assert_eq!(count(&s, "?s ?p ?o"), triples, "a draft adds nothing");
    step("submit", &alice);
    assert!(!ask(&s, &named("Quasar draft")), "in review is not public");
    step("approve", &mo);
    assert!(ask(&s, &named("Quasar draft")), "published");
    assert_eq!(count(&s, "?a a esado:Dataset"), datasets + 1);
    assert!(
        !ask(&s, "?a ?p \"private build log\""),
        "private fields stay out"
    );
    assert!(!ask(&s, "?a esado:publicationStatus ?x"));
    assert!(!ask(&s, "?a esado:owner ?x"));
    // No query reaches the store's own graphs: GRAPH sees the vocabularies only.
    for row in select(&s, "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }") {
        let g = row["g"]["value"].as_str().unwrap();
        assert!(g.starts_with("https://w3id.org/esado/graph/"), "{g}");
    }

    // An edit of the published asset waits for review: readers keep the published version.
    let mut edited = doc.clone();
    edited["name"] = json!("Quasar edited");
    send("PUT", "/api/v1/assets/sq-1", &alice, json_ct, edited);
    assert!(ask(&s, &named("Quasar draft")));
    assert!(
        !ask(&s, &named("Quasar edited")),
        "a pending edit is hidden"
    );
    step("submit", &alice);
    step("approve", &mo);
    assert!(ask(&s, &named("Quasar edited")));
    assert!(!ask(&s, &named("Quasar draft")), "the old version is gone");

    // Turning it private hides it at once; deleting leaves nothing.
    let private = json!({"visibility": {"audience": "private", "users": ["bob"]}});
    send("PATCH", "/api/v1/assets/sq-1", &alice, merge, private);
    // Leaving the public applies at once (readers lose the asset, nothing to review).
    let r = s.get_json("/api/v1/assets/sq-1", &alice);
    assert_eq!(r["visibility"]["audience"], "private", "{r}");
    assert_eq!(r["status"], "published", "{r}");
    assert!(
        !ask(&s, &named("Quasar edited")),
        "a private asset is not in the public graph"
    );
    assert_eq!(count(&s, "?a a esado:Dataset"), datasets);
    ok(s.call("DELETE", "/api/v1/assets/sq-1", &alice, None, None, None));
    assert!(!ask(&s, "?a sdo:name ?n FILTER(STRSTARTS(?n, \"Quasar\"))"));
    assert_eq!(count(&s, "?a a esado:Dataset"), datasets);
    assert_eq!(count(&s, "?s ?p ?o"), triples, "back to where it started");

    // The public graph agrees with the store, also after a rebuild.
    s.stop();
    for args in [&["check"][..], &["reindex"], &["check"]] {
        let out = orrery(d, args);
        assert!(
            out.status.success(),
            "{args:?}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
fn errors_and_limits_answer_in_the_protocols_form() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(
        dir.path(),
        &["--sparql-timeout", "0.5", "--sparql-max-results", "5"],
    );
    // Malformed: 400 with the parser's position.
    let detail = problem(query(&s, "SELECT ?a WHERE { ?a ", &[]), 400);
    assert!(detail.contains("error at 1:"), "{detail}");
    let detail = problem(query(&s, "SELEC * WHERE {}", &[]), 400);
    assert!(detail.contains("1:1"), "{detail}");
    // Updates, by every route: 403.
    let insert = "INSERT DATA { <urn:x:a> <urn:x:b> <urn:x:c> }";
    assert!(problem(query(&s, insert, &[]), 403).contains("read-only"));
    let r = s.call(
        "POST",
        "/sparql",
        "",
        Some("application/sparql-update"),
        Some(insert.into()),
        None,
    );
    problem(r, 403);
    let r = s
        .client
        .post(format!("{}/sparql", s.base))
        .form(&[("update", insert)])
        .send()
        .unwrap();
    problem(r, 403);
    assert_eq!(count(&s, "<urn:x:a> ?p ?o"), 0, "nothing was written");
    // Another body type: 415. Two queries: 400.
    let r = s.call(
        "POST",
        "/sparql",
        "",
        Some("text/plain"),
        Some("ASK {}".into()),
        None,
    );
    problem(r, 415);
    let r = s
        .client
        .get(format!("{}/sparql?query=ASK%7B%7D&query=ASK%7B%7D", s.base))
        .send()
        .unwrap();
    problem(r, 400);
    // Formats: 406 lists what is offered; an unknown `format` is a 400.
    let r = query_accept(&s, "ASK {}", &[], "image/png");
    assert!(problem(r, 406).contains("application/sparql-results+json"));
    let construct = "CONSTRUCT WHERE { ?s ?p ?o } LIMIT 1";
    let r = query_accept(&s, construct, &[], "application/sparql-results+json");
    assert!(problem(r, 406).contains("text/turtle"));
    problem(query(&s, "ASK {}", &[("format", "yaml")]), 400);
    for (f, ct) in [
        ("xml", "application/sparql-results+xml"),
        ("csv", "text/csv; charset=utf-8"),
        ("tsv", "text/tab-separated-values; charset=utf-8"),
    ] {
        let r = query(&s, "SELECT ?x WHERE { BIND(1 AS ?x) }", &[("format", f)]);
        assert_eq!(r.status(), 200);
        assert_eq!(r.headers()["content-type"], ct);
    }
    // Graphs outside the public dataset are refused, the vocabularies may be chosen.
    let detail = problem(
        query(
            &s,
            "SELECT * FROM <http://example.org/g> WHERE { ?s ?p ?o }",
            &[],
        ),
        400,
    );
    assert!(detail.contains("http://example.org/g"), "{detail}");
    let detail = problem(
        query(
            &s,
            "SELECT * WHERE { ?s ?p ?o }",
            &[("default-graph-uri", "urn:orrery:state")],
        ),
        400,
    );
    assert!(detail.contains("urn:orrery:state"), "{detail}");
    let missions = "https://w3id.org/esado/graph/missions";
    let rows = select(
        &s,
        &format!(
            "{ESADO} SELECT (COUNT(?c) AS ?concepts) (COUNT(?a) AS ?assets) FROM <{missions}> WHERE {{ {{ ?c a <http://www.w3.org/2004/02/skos/core#Concept> }} UNION {{ ?a a esado:Dataset }} }}"
        ),
    );
    assert!(rows[0]["concepts"]["value"].as_str().unwrap() != "0");
    assert_eq!(rows[0]["assets"]["value"], "0");
    // SERVICE cannot reach out of the service.
    problem(
        query(
            &s,
            "SELECT * WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }",
            &[],
        ),
        400,
    );

    // The result limit: more than 5 results is refused, 5 are answered.
    let detail = problem(query(&s, "SELECT * WHERE { ?s ?p ?o }", &[]), 503);
    assert!(detail.contains("more than 5 results"), "{detail}");
    let detail = problem(query(&s, "CONSTRUCT WHERE { ?s ?p ?o }", &[]), 503);
    assert!(detail.contains("more than 5 results"), "{detail}");
    assert_eq!(select(&s, "SELECT * WHERE { ?s ?p ?o } LIMIT 5").len(), 5);
    // The time limit: a query that would run for hours is stopped and answered promptly.
    let started = Instant::now();
    let detail = problem(
        query(
            &s,
            "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }",
            &[],
        ),
        503,
    );
    assert!(detail.contains("time limit"), "{detail}");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    // …and the service goes on answering.
    assert_eq!(select(&s, "SELECT ?x WHERE { BIND(2 AS ?x) }").len(), 1);
}

#[test]
fn the_endpoint_describes_itself() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(dir.path(), &[]);
    let r = s.get_accept("/sparql", "text/turtle");
    assert_eq!(r.status(), 200);
    assert!(r.headers()["vary"].to_str().unwrap().contains("Accept"));
    let text = r.text().unwrap();
    assert!(
        text.contains("http://www.w3.org/ns/sparql-service-description#SPARQL11Query"),
        "{text}"
    );
    assert!(text.contains(&format!("<{}/sparql>", s.base)), "{text}");
    let r = s.get_accept("/sparql", "text/html,application/xhtml+xml,*/*;q=0.8");
    assert_eq!(r.status(), 200);
    assert!(r.text().unwrap().contains("<form"));
    // The query form's example runs.
    let rows = select(
        &s,
        "PREFIX esado: <https://w3id.org/esado#> PREFIX sdo: <https://schema.org/> SELECT ?asset ?name WHERE { ?asset a esado:Dataset ; sdo:name ?name } ORDER BY ?name LIMIT 20",
    );
    assert!(!rows.is_empty());
}

/// A SPARQL user who knows schema.org and DCAT, not esado, finds every asset by the classes
/// its own class specialises: datasets and volumes as `schema:Dataset` and `dcat:Dataset`,
/// datalabs as `schema:SoftwareApplication`, pipelines as `schema:SoftwareSourceCode` and
/// Bioschemas `ComputationalWorkflow`; and the typing follows the asset's own class exactly.
#[test]
fn assets_are_typed_with_the_schema_org_and_dcat_classes_they_specialise() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(dir.path(), &[]);
    let prefixes = "PREFIX schema: <https://schema.org/> PREFIX dcat: <http://www.w3.org/ns/dcat#> PREFIX bioschemas: <https://bioschemas.org/>";
    let n = |pattern: &str| -> u64 {
        let rows = select(
            &s,
            &format!("{ESADO} {prefixes} SELECT (COUNT(*) AS ?n) WHERE {{ {pattern} }}"),
        );
        rows[0]["n"]["value"].as_str().unwrap().parse().unwrap()
    };
    let (datasets, volumes) = (n("?a a esado:Dataset"), n("?a a esado:DataVolume"));
    let (datalabs, pipelines) = (n("?a a esado:Datalab"), n("?a a esado:Pipeline"));
    assert!(datasets >= 9 && volumes > 0 && datalabs > 0 && pipelines > 0);
    assert_eq!(n("?a a schema:Dataset"), datasets + volumes);
    assert_eq!(n("?a a dcat:Dataset"), datasets + volumes);
    assert_eq!(n("?a a schema:SoftwareApplication"), datalabs);
    assert_eq!(n("?a a schema:WebApplication"), datalabs);
    assert_eq!(n("?a a schema:SoftwareSourceCode"), pipelines);
    assert_eq!(n("?a a bioschemas:ComputationalWorkflow"), pipelines);
    // Nothing is typed twice over: a dataset is never a software application.
    assert_eq!(
        n("?a a schema:Dataset . ?a a schema:SoftwareApplication"),
        0
    );
    // The asset's own representation carries the classes too.
    let ttl = s
        .get_accept("/api/v1/assets/goce-mission", "application/n-triples")
        .text()
        .unwrap();
    assert!(ttl.contains("<https://schema.org/Dataset>"), "{ttl}");
    s.stop();
}
