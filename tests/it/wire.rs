//! Snapshots of every wire format a client parses, served by the real server on the demo
//! catalogue: asset JSON, JSON-LD, Turtle, VOResource, an OAI-PMH page, a VOTable and the CSV
//! of a TAP query, TAP errors, problem+json and the landing page. A change to any of them shows
//! in review as a changed `tests/snapshots/*.snap` (accept with `INSTA_UPDATE=always`).
//!
//! What differs from run to run is replaced before the comparison: the port-free base URL is
//! fixed with `--base-url`, times become `[time]`, request ids `[request-id]`.

use crate::common::Server;

const BASE: &str = "http://orrery.test";

/// A response as its snapshot shows it: status and content type, then the body.
fn shown(r: reqwest::blocking::Response) -> String {
    let status = r.status().as_u16();
    let ct = r
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let body = r.text().unwrap();
    // JSON pretty-printed, so that a change shows as the lines it changes.
    let body = match serde_json::from_str::<serde_json::Value>(&body) {
        Ok(v) if ct.contains("json") => serde_json::to_string_pretty(&v).unwrap(),
        _ => body,
    };
    format!("{status} {ct}\n\n{body}")
}

/// `GET path` with `accept`.
fn fetch(s: &Server, path: &str, accept: &str) -> String {
    shown(s.get_accept(path, accept))
}

/// `POST path` with a form.
fn post_form(s: &Server, path: &str, form: &[(&str, &str)]) -> String {
    let url = format!("{}{path}", s.base);
    shown(s.client.post(url).form(form).send().unwrap())
}

macro_rules! snapshot {
    ($name:expr, $body:expr) => {
        // The demo catalogue is seeded today: the dates it is stamped with are today's.
        let today = chrono::Utc::now().date_naive().to_string();
        insta::with_settings!({filters => vec![
            (r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})?", "[time]"),
            (today.as_str(), "[today]"),
            (r"urn:request:[0-9a-f-]+", "urn:request:[request-id]"),
            (r#"resumptionToken[^>]*>[^<]+<"#, "resumptionToken>[token]<"),
            (r#""nextCursor": ?"[^"]*""#, r#""nextCursor":"[cursor]""#),
            (r"/static/portal\.[0-9a-f]+\.(css|js)", "/static/portal.[hash].$1"),
        ]}, {
            insta::assert_snapshot!($name, $body);
        });
    };
}

fn asset_json(s: &Server) {
    snapshot!(
        "asset_json",
        fetch(s, "/api/v1/assets/goce-mission", "application/json")
    );
}

fn asset_json_ld(s: &Server) {
    snapshot!(
        "asset_json_ld",
        fetch(s, "/api/v1/assets/gaia-dr3", "application/ld+json")
    );
}

fn asset_turtle(s: &Server) {
    snapshot!(
        "asset_turtle",
        fetch(s, "/api/v1/assets/hello-pipeman", "text/turtle")
    );
}

fn asset_voresource(s: &Server) {
    snapshot!(
        "asset_voresource",
        fetch(s, "/api/v1/assets/gaia-dr3", "application/xml")
    );
}

fn oai_pmh_page(s: &Server) {
    snapshot!(
        "oai_list_identifiers",
        fetch(
            s,
            "/oai?verb=ListIdentifiers&metadataPrefix=ivo_vor",
            "text/xml"
        )
    );
    snapshot!(
        "oai_get_record",
        fetch(
            s,
            "/oai?verb=GetRecord&metadataPrefix=oai_dc&identifier=ivo://orrery.local/goce-mission",
            "text/xml"
        )
    );
    snapshot!(
        "oai_error",
        fetch(s, "/oai?verb=ListRecords&metadataPrefix=nope", "text/xml")
    );
}

fn tap_results_and_errors(s: &Server) {
    let query = "SELECT ivoid, res_type, res_title FROM rr.resource WHERE ivoid LIKE 'ivo://orrery.local/g%' ORDER BY ivoid";
    for (name, format) in [
        ("tap_votable", "votable"),
        ("tap_binary2", "votable/b2"),
        ("tap_csv", "csv"),
        ("tap_tsv", "tsv"),
        ("tap_json", "json"),
    ] {
        snapshot!(
            name,
            post_form(
                s,
                "/tap/sync",
                &[
                    ("REQUEST", "doQuery"),
                    ("LANG", "ADQL"),
                    ("RESPONSEFORMAT", format),
                    ("QUERY", query)
                ]
            )
        );
    }
    snapshot!(
        "tap_error_syntax",
        post_form(
            s,
            "/tap/sync",
            &[("LANG", "ADQL"), ("QUERY", "SELECT FROM WHERE")]
        )
    );
    snapshot!(
        "tap_error_table",
        post_form(
            s,
            "/tap/sync",
            &[
                ("LANG", "ADQL"),
                ("QUERY", "SELECT * FROM secret.passwords")
            ]
        )
    );
}

fn problem_json(s: &Server) {
    snapshot!(
        "problem_not_found",
        fetch(s, "/api/v1/assets/no-such-asset", "application/json")
    );
    snapshot!(
        "problem_bad_search",
        fetch(
            s,
            "/api/v1/assets?limit=1000&colour=red",
            "application/json"
        )
    );
    let r = s
        .call(
            "POST",
            "/api/v1/assets",
            "",
            Some("application/json"),
            Some("{}".into()),
            None,
        )
        .text()
        .unwrap();
    snapshot!("problem_unauthorised", r);
}

fn landing_page(s: &Server) {
    snapshot!(
        "landing_page",
        fetch(s, "/assets/goce-mission", "text/html")
    );
}

fn search_page_of_hits(s: &Server) {
    snapshot!(
        "search_gaia",
        fetch(s, "/api/v1/assets?q=gaia&limit=3", "application/json")
    );
}

fn portal_pages_and_feeds(s: &Server) {
    snapshot!(
        "portal_search",
        fetch(s, "/?q=gaia&mission=Gaia+DR3&limit=3", "text/html")
    );
    snapshot!("portal_pipelines", fetch(s, "/pipelines", "text/html"));
    snapshot!(
        "portal_pipeline_page",
        fetch(s, "/assets/hello-pipeman", "text/html")
    );
    snapshot!(
        "portal_atom",
        fetch(s, "/search.atom?q=gaia&limit=3", "application/atom+xml")
    );
    snapshot!(
        "portal_opensearch",
        fetch(
            s,
            "/opensearch.xml",
            "application/opensearchdescription+xml"
        )
    );
}

#[test]
fn wire_formats() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(dir.path(), &["--base-url", BASE]);
    asset_json(&s);
    asset_json_ld(&s);
    asset_turtle(&s);
    asset_voresource(&s);
    oai_pmh_page(&s);
    tap_results_and_errors(&s);
    problem_json(&s);
    landing_page(&s);
    search_page_of_hits(&s);
    portal_pages_and_feeds(&s);
}
