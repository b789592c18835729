//! The read API against a real server seeded with the demo catalogue.

use crate::common::Server;
use oxigraph::io::{RdfFormat, RdfParser};
use serde_json::Value;

fn demo() -> (tempfile::TempDir, Server) {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &[]);
    (dir, server)
}

const PRIVATE_KEYS: &[&str] = &[
    "datalabImage",
    "dateCreated",
    "visibility",
    "build",
    "status",
    "moderatorComment",
    "owner",
];

#[test]
fn read_api() {
    let (_dir, s) = demo();

    // A published public datalab, as JSON with its read-only keys.
    let r = s.get("/api/v1/assets/jl-euclid-dps");
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "application/json");
    assert_eq!(r.headers()["vary"], "Accept");
    let etag = r.headers()["etag"].to_str().unwrap().to_owned();
    let doc: Value = r.json().unwrap();
    assert_eq!(doc["id"], "jl-euclid-dps");
    assert_eq!(doc["type"], "Datalab");
    assert_eq!(etag, format!("\"{}\"", doc["revision"]));
    assert_eq!(doc["links"]["iri"], format!("{}/id/jl-euclid-dps", s.base));
    assert!(
        doc["links"]["ivoid"]
            .as_str()
            .unwrap()
            .starts_with("ivo://")
    );
    let launch = doc["links"]["launch"].as_array().unwrap();
    assert!(
        launch
            .iter()
            .any(|l| l["url"] == "https://datalabs.esa.int/datalab-launch-wizard/jl-euclid-dps"),
        "{launch:?}"
    );
    for key in PRIVATE_KEYS {
        assert!(
            doc.get(key).is_none(),
            "anonymous reader sees private field {key}"
        );
    }

    // The Planck volume's launch links carry its mount path.
    let pla: Value = s
        .get("/api/v1/assets/planck-legacy-archive")
        .json()
        .unwrap();
    let links = pla["links"]["launch"].as_array().unwrap();
    assert!(!links.is_empty());
    assert!(
        links
            .iter()
            .all(|l| l["mountPath"] == "/data/user/pla_datalabs"),
        "{links:?}"
    );

    // Draft, in-review and private assets do not exist for anonymous readers.
    let fixtures = crate::common::fixtures();
    let hidden: Vec<&Value> = fixtures
        .iter()
        .filter(|a| a["status"] != "published" || a["visibility"]["audience"] == "private")
        .collect();
    assert!(
        hidden.len() >= 4,
        "the demo catalogue has private and draft assets"
    );
    for a in hidden {
        let id = a["id"].as_str().unwrap();
        let r = s.get(&format!("/api/v1/assets/{id}"));
        assert_eq!(r.status(), 404, "{id} is visible");
        assert_eq!(r.headers()["content-type"], "application/problem+json");
        assert_eq!(s.get(&format!("/id/{id}")).status(), 404);
        assert_eq!(s.get(&format!("/assets/{id}")).status(), 404);
        let home = s.get("/").text().unwrap();
        assert!(
            !home.contains(&format!("/assets/{id}\"")),
            "home page lists {id}"
        );
    }
}

#[test]
fn content_negotiation_and_iri_redirects() {
    let (_dir, s) = demo();
    for (accept, format) in [
        ("text/turtle", RdfFormat::Turtle),
        ("application/n-triples", RdfFormat::NTriples),
        ("application/rdf+xml", RdfFormat::RdfXml),
        (
            "application/ld+json",
            RdfFormat::JsonLd {
                profile: oxigraph::io::JsonLdProfileSet::empty(),
            },
        ),
    ] {
        let r = s.get_accept("/api/v1/assets/goce-mission", accept);
        assert_eq!(r.status(), 200, "{accept}");
        assert!(
            r.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with(accept)
        );
        let body = r.bytes().unwrap();
        let triples: Vec<_> = RdfParser::from_format(format)
            .for_slice(&body)
            .collect::<Result<_, _>>()
            .unwrap();
        assert!(triples.len() > 10, "{accept}: {} triples", triples.len());
        let text = triples
            .iter()
            .map(|t| t.to_string())
            .collect::<Vec<_>>()
            .join("\n");
        assert!(text.contains(&format!("<{}/id/goce-mission>", s.base)));
        assert!(text.contains("https://schema.org/name"));
        for private in [
            "publicationStatus",
            "allowedGroup",
            "datalabImage",
            "dateCreated",
            "buildStatus",
            "esado#audience",
        ] {
            assert!(!text.contains(private), "{accept} leaks {private}");
        }
    }
    assert_eq!(
        s.get_accept("/api/v1/assets/goce-mission", "image/png")
            .status(),
        406
    );

    let r = s.get_accept(
        "/id/goce-mission",
        "text/html,application/xhtml+xml,*/*;q=0.8",
    );
    assert_eq!(r.status(), 303);
    assert_eq!(
        r.headers()["location"],
        format!("{}/assets/goce-mission", s.base)
    );
    let r = s.get_accept("/id/goce-mission", "text/turtle");
    assert_eq!(r.status(), 303);
    assert_eq!(
        r.headers()["location"],
        format!("{}/api/v1/assets/goce-mission", s.base)
    );
    let page = s.get("/assets/goce-mission").text().unwrap();
    assert!(page.contains("GOCE"));
    assert!(page.contains("datalab-launch-wizard/x-glab"));
}

#[test]
fn vocabularies_licences_resolve_and_operations() {
    let (_dir, s) = demo();
    let missions: Value = s.get("/api/v1/vocabularies/missions").json().unwrap();
    let jwst = missions["concepts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["prefLabel"] == "JWST")
        .unwrap();
    assert!(
        jwst["altLabels"]
            .as_array()
            .unwrap()
            .iter()
            .any(|l| l == "James Webb Space Telescope")
    );
    let r = s.get("/api/v1/vocabularies/nope");
    assert_eq!(r.status(), 404);
    assert_eq!(r.headers()["content-type"], "application/problem+json");
    let list: Value = s.get("/api/v1/vocabularies").json().unwrap();
    assert_eq!(list["schemes"].as_array().unwrap().len(), 8);

    let licences: Value = s.get("/api/v1/licenses").json().unwrap();
    let ids: Vec<&str> = licences
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["id"].as_str().unwrap())
        .collect();
    for id in [
        "Apache-2.0",
        "CC-BY-4.0",
        "ESA-PL-2.4-Permissive",
        "ESA-CL-2.4-Strong-Copyleft",
        "ESA-PL-2.4-Weak-Copyleft",
    ] {
        assert!(ids.contains(&id), "{id} missing from {ids:?}");
    }

    let r = s.get("/api/v1/resolve?ivoid=ivo://orrery.local/goce-mission");
    assert_eq!(r.status(), 303);
    assert_eq!(
        r.headers()["location"],
        format!("{}/api/v1/assets/goce-mission", s.base)
    );
    assert_eq!(
        s.get("/api/v1/resolve?ivoid=ivo://orrery.local/gaia-archeology")
            .status(),
        404
    );
    assert_eq!(s.get("/api/v1/resolve").status(), 400);
    assert_eq!(s.get("/api/v1/resolve?doi=nonsense").status(), 400);
    assert_eq!(s.get("/api/v1/resolve?doi=10.9999/none").status(), 404);
    assert_eq!(s.get("/api/v1/resolve?bogus=1").status(), 400);

    let health: Value = s.get("/healthz").json().unwrap();
    assert_eq!(health["status"], "ok");
    assert!(
        health.get("revision").is_none(),
        "the revision counts private writes too"
    );
    let metrics = s.get("/metrics").text().unwrap();
    assert!(metrics.contains("orrery_http_requests_total"), "{metrics}");
    assert!(metrics.contains("orrery_store_revision"));
    let api: Value = s.get("/openapi.json").json().unwrap();
    assert!(api["paths"]["/api/v1/assets/{id}"].is_object());
    let docs = s.get("/docs/");
    assert_eq!(docs.status(), 200);
    assert!(docs.text().unwrap().contains("swagger"));

    let r = s.get("/no/such/thing");
    assert_eq!(r.status(), 404);
    assert_eq!(r.headers()["content-type"], "application/problem+json");
    assert_eq!(s.get("/api/v1/assets/Bad%20Id").status(), 404);
    assert!(
        s.get("/api/v1/assets/jupyterlab")
            .headers()
            .contains_key("x-request-id")
    );
}
