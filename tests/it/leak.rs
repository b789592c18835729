//! The leak test: private, draft, in-review, rejected, deleted and pending content, each field
//! carrying a canary string, must never reach an anonymous reader — not as text, not as a count.
//!
//! It seeds a published public asset first and takes a snapshot of what anonymous readers get
//! from every surface; then it writes the secrets through the API (including private fields of
//! that public asset and a pending edit of it), crawls every anonymous surface that exists,
//! following every link it finds, and probes each secret directly. Any canary in any answer,
//! any answer about a secret that differs from the answer about an id that never existed, and
//! any count or listing that differs from the snapshot, fails. Finally it checks that the
//! authorised accounts do see what was hidden from the others.
//!
//! Every new anonymous surface joins `SURFACES` (or is reachable by a link from one).

use std::collections::{BTreeSet, VecDeque};

use crate::common::{Server, token};
use serde_json::{Value, json};

/// Text canary: in every field value of the secrets.
const CANARY: &str = "zqxleak";
/// Id marker of the secrets (ids are echoed back by a 404 for them, so they are checked only
/// in answers to requests that did not name them).
const SECRET_ID: &str = "zqxid";

/// The anonymous entry points; the crawl follows every same-site link from them.
const SURFACES: &[&str] = &[
    "/",
    // The portal: the catalogues, searches for the canary, facet selections (the crawl does
    // not follow `rel=nofollow` links, the facet toggles, whose combinations are endless), a
    // page past the last, the feeds and exports, the OpenSearch description.
    "/datalabs",
    "/pipelines",
    "/datasets",
    "/volumes",
    "/?q=zqxleak",
    "/?q=zqxleak*",
    "/?q=name:zqxleak",
    "/?q=zqxlaek",
    "/?keyword=zqxleakkw",
    "/?mission=Gaia",
    "/?mission=Gaia&type=Dataset&property=Analysis+Tool",
    "/?waveband=Optical&fileType=FITS&audience=Researcher",
    "/?sort=popularity",
    "/?sort=name&page=99",
    "/datasets?mission=Gaia&q=zqxleak",
    "/search.atom",
    "/search.atom?q=zqxleak",
    "/search.atom?mission=Gaia",
    "/search.csv",
    "/search.csv?mission=Gaia",
    "/search.jsonl",
    "/search.jsonl?q=zqxleak",
    "/opensearch.xml",
    "/api/v1/suggest?q=zqx&format=opensearch",
    "/api/v1/assets?limit=100",
    "/api/v1/assets?limit=100&facetLimit=100",
    "/api/v1/assets?q=zqxleak+gaia&sort=name",
    "/api/v1/assets?limit=100&sort=dateModified",
    "/api/v1/assets?limit=100&sort=popularity",
    "/api/v1/assets?q=zqxleak",
    "/api/v1/assets?q=zqxleak*",
    "/api/v1/assets?q=name:zqxleak",
    "/api/v1/assets?q=keyword:zqxleakkw",
    "/api/v1/assets?q=id:zqxid*",
    "/api/v1/assets?q=zqxlaek",
    "/api/v1/assets?q=%22zqxleak%20name%22",
    "/api/v1/assets?keyword=zqxleakkw",
    "/api/v1/suggest?q=zq",
    "/api/v1/suggest?q=zqx",
    "/api/v1/suggest?q=zqxleak",
    "/api/v1/suggest?q=zqxid",
    "/api/v1/vocabularies",
    "/api/v1/licenses",
    "/openapi.json",
    "/docs/",
    "/healthz",
    "/robots.txt",
    "/dcat",
    "/catalog.jsonld",
    "/sitemap.xml",
    "/oai?verb=Identify",
    "/oai?verb=ListSets",
    "/oai?verb=ListMetadataFormats",
    "/oai?verb=ListRecords&metadataPrefix=ivo_vor",
    "/oai?verb=ListRecords&metadataPrefix=oai_dc",
    "/oai?verb=ListIdentifiers&metadataPrefix=ivo_vor",
    // The tool registry (GA4GH TRS): the listing, filtered by the canary, under both roots.
    "/ga4gh/trs/v2/service-info",
    "/ga4gh/trs/v2/toolClasses",
    "/ga4gh/trs/v2/tools",
    "/ga4gh/trs/v2/tools?toolname=zqxleak",
    "/ga4gh/trs/v2/tools?description=zqxleak",
    "/ga4gh/trs/v2/tools?author=zqxleak",
    "/api/ga4gh/v2/tools",
    "/sparql",
    // Everything the default graph holds, everything in any named graph, a search for the
    // canary in any literal, and the secrets described by IRI.
    "/sparql?query=SELECT%20*%20WHERE%20%7B%3Fs%20%3Fp%20%3Fo%7D&format=tsv",
    "/sparql?query=SELECT%20*%20WHERE%20%7BGRAPH%20%3Fg%20%7B%3Fs%20%3Fp%20%3Fo%7D%7D&format=csv",
    "/sparql?query=SELECT%20*%20WHERE%20%7B%3Fs%20%3Fp%20%3Fo%20FILTER(CONTAINS(STR(%3Fo)%2C%22zqxleak%22))%7D",
    "/sparql?query=CONSTRUCT%20WHERE%20%7B%3Fs%20%3Fp%20%3Fo%7D",
    "/sparql?query=DESCRIBE%20%3Cid%2Fzqxid-draft%3E%20%3Cid%2Fzqxid-shared-user%3E%20%3Cid%2Fzqxid-review%3E",
    // TAP: every row of every RegTAP table, TAP_SCHEMA, and a word search for the canary.
    "/tap",
    "/tap/capabilities",
    "/tap/tables",
    "/tap/sync?LANG=ADQL&MAXREC=100000&RESPONSEFORMAT=csv&QUERY=SELECT%20*%20FROM%20rr.resource",
    "/tap/sync?LANG=ADQL&MAXREC=100000&RESPONSEFORMAT=csv&QUERY=SELECT%20*%20FROM%20rr.res_subject",
    "/tap/sync?LANG=ADQL&MAXREC=100000&RESPONSEFORMAT=csv&QUERY=SELECT%20*%20FROM%20rr.res_role",
    "/tap/sync?LANG=ADQL&MAXREC=100000&RESPONSEFORMAT=csv&QUERY=SELECT%20*%20FROM%20rr.res_detail",
    "/tap/sync?LANG=ADQL&MAXREC=100000&RESPONSEFORMAT=csv&QUERY=SELECT%20*%20FROM%20rr.relationship",
    "/tap/sync?LANG=ADQL&MAXREC=100000&RESPONSEFORMAT=csv&QUERY=SELECT%20*%20FROM%20rr.alt_identifier",
    "/tap/sync?LANG=ADQL&MAXREC=100000&RESPONSEFORMAT=csv&QUERY=SELECT%20*%20FROM%20rr.res_date",
    "/tap/sync?LANG=ADQL&MAXREC=100000&RESPONSEFORMAT=csv&QUERY=SELECT%20*%20FROM%20rr.capability%20NATURAL%20JOIN%20rr.interface",
    "/tap/sync?LANG=ADQL&MAXREC=100000&RESPONSEFORMAT=csv&QUERY=SELECT%20*%20FROM%20rr.res_table%20NATURAL%20JOIN%20rr.table_column",
    "/tap/sync?LANG=ADQL&MAXREC=100000&QUERY=SELECT%20ivoid%20FROM%20rr.resource%20WHERE%201%3Divo_hasword(res_description%2C%27zqxleak%27)%20OR%20res_title%20LIKE%20%27%25zqxleak%25%27",
];

struct Secret {
    id: &'static str,
    /// Accounts that may read it (besides owner and moderator).
    readers: &'static [&'static str],
}

const SECRETS: &[Secret] = &[
    Secret {
        id: "zqxid-draft",
        readers: &[],
    },
    Secret {
        id: "zqxid-review",
        readers: &[],
    },
    Secret {
        id: "zqxid-rejected",
        readers: &[],
    },
    Secret {
        id: "zqxid-shared-user",
        readers: &["bob"],
    },
    Secret {
        id: "zqxid-shared-group",
        readers: &["bob"],
    },
];

/// A document with a canary in every field a developer writes.
fn canary_doc(id: &str, audience: &str, users: &[&str], groups: &[&str]) -> Value {
    let c = |f: &str| format!("{CANARY} {f} {id}");
    json!({
        "id": id,
        "type": "Dataset",
        "name": format!("{CANARY} name {id}"),
        "alternateName": c("alt"),
        "abstract": c("abstract"),
        "description": c("description"),
        "keywords": [format!("{CANARY}kw"), c("keyword")],
        "mission": ["Gaia"],
        "waveband": ["Optical"],
        "property": ["Analysis Tool"],
        "associatedFileType": ["FITS"],
        "audienceType": ["Researcher"],
        "ESAOfficial": false,
        "citation": c("citation"),
        "license": "CC-BY-4.0",
        "version": format!("1.0.0-{CANARY}"),
        "creator": [{"name": c("creator"), "email": format!("{CANARY}@example.org"), "affiliation": c("affiliation")}],
        "url": format!("https://{CANARY}.example.org/{id}/docs"),
        "coverage": {"temporal": "2020-01-01/2021-01-01", "spatial": {"name": c("place")}},
        "distribution": [{"accessURL": format!("https://{CANARY}.example.org/{id}/data"), "title": c("distribution")}],
        "analysableWith": ["jl-esdc"],
        "pipeline": {"entryPoint": format!("{CANARY}.cwl"), "steps": [c("step")]},
        "datalabImage": {"keyword": [c("image-keyword")]},
        "visibility": {"audience": audience, "users": users, "groups": groups},
    })
}

struct Probe<'a> {
    s: &'a Server,
    /// A signed-in reader's session cookie; anonymous without one.
    session: Option<&'a crate::common::Session>,
}

impl Probe<'_> {
    /// GET (anonymously, or with the session): status, content type and body.
    fn get(&self, path: &str, accept: Option<&str>) -> (u16, String, String) {
        let mut req = self.s.client.get(format!("{}{path}", self.s.base));
        if let Some(session) = self.session {
            req = req.header("Cookie", format!("orrery_session={}", session.cookie));
        }
        if let Some(a) = accept {
            req = req.header("Accept", a);
        }
        let r = req.send().expect("GET");
        let status = r.status().as_u16();
        let ct = r
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        let location = r
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .map(|l| format!("\nLocation: {l}"))
            .unwrap_or_default();
        (status, ct, r.text().unwrap_or_default() + &location)
    }
}

/// Same-site links in a body: href/src attributes and JSON string values that are paths or
/// URLs under `base`.
fn links(base: &str, body: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut push = |raw: &str| {
        let raw = raw.replace("&amp;", "&").replace("&#38;", "&");
        let path = if let Some(rest) = raw.strip_prefix(base) {
            rest.to_owned()
        } else if raw.starts_with('/') && !raw.starts_with("//") {
            raw
        } else {
            return;
        };
        let path = path.split('#').next().unwrap_or_default().to_owned();
        if !path.is_empty() {
            out.push(path);
        }
    };
    for tag in ["<loc>"] {
        for part in body.split(tag).skip(1) {
            if let Some(end) = part.find('<') {
                push(&part[..end]);
            }
        }
    }
    for attr in ["href=\"", "src=\""] {
        let mut parts = body.split(attr);
        let mut before = parts.next().unwrap_or_default();
        for part in parts {
            // A link marked nofollow (a facet toggle) is not followed, as crawlers do.
            let tag_start = &before[before.rfind('<').unwrap_or(0)..];
            let tag_end = &part[..part.find('>').unwrap_or(part.len())];
            let nofollow =
                tag_start.contains("rel=\"nofollow\"") || tag_end.contains("rel=\"nofollow\"");
            if let Some(end) = part.find('"')
                && !nofollow
            {
                push(&part[..end]);
            }
            before = part;
        }
    }
    if let Ok(v) = serde_json::from_str::<Value>(body) {
        let mut stack = vec![&v];
        while let Some(v) = stack.pop() {
            match v {
                Value::String(s) => push(s),
                Value::Array(a) => stack.extend(a),
                Value::Object(o) => stack.extend(o.values()),
                _ => {}
            }
        }
    }
    out
}

/// Crawls from `SURFACES`; returns every page fetched (path, status, body).
fn crawl(s: &Server, limit: usize) -> Vec<(String, u16, String)> {
    let start: Vec<String> = SURFACES.iter().map(|x| x.to_string()).collect();
    crawl_from(Probe { s, session: None }, &start, limit)
}

/// Crawls from `start` as the probe's reader; returns every page fetched.
fn crawl_from(p: Probe, start: &[String], limit: usize) -> Vec<(String, u16, String)> {
    let s = p.s;
    let mut seen: BTreeSet<String> = start.iter().cloned().collect();
    let mut queue: VecDeque<String> = start.iter().cloned().collect();
    let mut pages = Vec::new();
    while let Some(path) = queue.pop_front() {
        assert!(
            pages.len() < limit,
            "the crawl did not end within {limit} pages"
        );
        let (status, _, body) = p.get(&path, None);
        for l in links(&s.base, &body) {
            if seen.insert(l.clone()) {
                queue.push_back(l);
            }
        }
        pages.push((path, status, body));
    }
    pages
}

/// An anonymous answer with what varies between two identical catalogues removed: search
/// cursors (they name the index snapshot) and revision-derived tags.
fn normalised(body: &str) -> String {
    // OAI-PMH answers carry the time of the response.
    if let Some((head, rest)) = body.split_once("<responseDate>")
        && let Some((_, tail)) = rest.split_once("</responseDate>")
    {
        return format!("{head}{tail}");
    }
    match serde_json::from_str::<Value>(body) {
        Ok(mut v) => {
            let mut stack = vec![&mut v];
            while let Some(v) = stack.pop() {
                match v {
                    Value::Object(o) => {
                        o.remove("nextCursor");
                        stack.extend(o.values_mut());
                    }
                    Value::Array(a) => stack.extend(a.iter_mut()),
                    _ => {}
                }
            }
            v.to_string()
        }
        Err(_) => body.to_owned(),
    }
}

/// Paths whose answers legitimately change with any write (operations counters) or with
/// every request (the sign-in form's fresh token).
fn volatile(path: &str) -> bool {
    path.starts_with("/metrics") || path.starts_with("/login")
}

/// Makes a token every node knows: user, roles, groups.
type MakeToken<'a> = &'a dyn Fn(&str, &[&str], &[&str]) -> String;

/// Where the leak test writes and where it reads.
struct Nodes<'a> {
    /// Takes the writes (and the sign-ins).
    writer: &'a Server,
    /// Is crawled and probed.
    reader: &'a Server,
    token: MakeToken<'a>,
    /// Waits until the reader has applied every write made so far.
    settle: &'a dyn Fn(),
    /// Whether the nodes share PostgreSQL (their `/healthz` then tells the revision they
    /// applied, which moves with every write).
    shared: bool,
}

#[test]
fn nothing_private_reaches_anonymous_readers() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(dir.path(), &[]);
    let d = dir.path();
    let make = |user: &str, roles: &[&str], groups: &[&str]| token(d, user, roles, groups);
    leaks(&Nodes {
        writer: &s,
        reader: &s,
        token: &make,
        settle: &|| {},
        shared: false,
    });
}

/// The same, on a reader of a deployment sharing PostgreSQL, written through its writer: what
/// the log carries to a reader reveals no more than the embedded catalogue does.
#[test]
fn nothing_private_reaches_anonymous_readers_of_a_shared_deployment() {
    let pg = crate::common::postgres::Postgres::start();
    let url = pg.url();
    let (w_dir, r_dir, nowhere) = (
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
    );
    // Both nodes publish the reader's address (as they would a balancer's), which the crawl
    // follows.
    let port = crate::common::free_port();
    let base = format!("http://127.0.0.1:{port}");
    let shared = ["--base-url", &base, "--database-url", &url];
    let writer = Server::start(w_dir.path(), &[&shared[..], &["--role", "writer"]].concat());
    let reader = Server::start_on(
        r_dir.path(),
        port,
        &[&shared[..], &["--role", "reader", "--no-demo"]].concat(),
    );
    let make = |user: &str, roles: &[&str], groups: &[&str]| {
        crate::common::token_in(nowhere.path(), Some(&url), user, roles, groups)
    };
    let settle = || {
        let h: Value = writer.get("/healthz").json().unwrap();
        let head = h["revision"]["head"].as_u64().expect("the log's head");
        let r = reader.get(&format!("/healthz?min_revision={head}"));
        assert_eq!(r.status(), 200, "the reader applies revision {head}");
    };
    leaks(&Nodes {
        writer: &writer,
        reader: &reader,
        token: &make,
        settle: &settle,
        shared: true,
    });
    // The writer is a node too: none of its anonymous surfaces shows a canary either (those
    // that ask for one echo the request).
    for path in SURFACES
        .iter()
        .filter(|p| !p.contains(CANARY) && !p.contains(SECRET_ID))
    {
        let body = writer.get(path).text().unwrap();
        assert!(
            !body.contains(CANARY),
            "canary in {path} on the writer: {body}"
        );
    }
}

fn leaks(nodes: &Nodes) {
    let s = nodes.reader;
    let token = nodes.token;
    let alice = token("alice", &["developer"], &["team-a"]);
    let bob = token("bob", &["developer"], &["team-b"]);
    let carol = token("carol", &["developer"], &["team-c"]);
    let mo = token("mo", &["moderator"], &[]);
    let sa = token("sa", &["sciapps"], &[]);
    let app = token("build-service", &["application"], &[]);
    let call = |method: &str, path: &str, tok: &str, ct: Option<&str>, body: Option<Value>| {
        let r = nodes
            .writer
            .call(method, path, tok, ct, body.map(|b| b.to_string()), None);
        let status = r.status().as_u16();
        assert!(
            (200..300).contains(&status),
            "{method} {path}: {status} {}",
            r.text().unwrap_or_default()
        );
    };
    let json_ct = Some("application/json");
    let merge = Some("application/merge-patch+json");

    // A published public asset whose public fields carry no canary: it is in the snapshot.
    let public_id = "open-zqxpub";
    let mut doc = json!({"id": public_id, "type": "Dataset", "name": "Open dataset", "abstract": "Nothing to hide here.",
                         "license": "CC-BY-4.0", "mission": ["Gaia"], "keywords": ["open"]});
    call("POST", "/api/v1/assets", &alice, json_ct, Some(doc.clone()));
    call(
        "POST",
        &format!("/api/v1/assets/{public_id}/submit"),
        &alice,
        None,
        None,
    );
    call(
        "POST",
        &format!("/api/v1/assets/{public_id}/approve"),
        &mo,
        None,
        None,
    );

    (nodes.settle)();
    let before = crawl(s, 5000);
    assert!(
        before
            .iter()
            .any(|(p, st, _)| p == &format!("/assets/{public_id}") && *st == 200),
        "the crawl reaches the public asset's landing page"
    );
    for (path, status, body) in before
        .iter()
        .filter(|(p, _, _)| SURFACES.contains(&p.as_str()))
    {
        assert_eq!(*status, 200, "{path} answers: {body}");
    }

    // Secrets, each field with a canary.
    for (i, secret) in SECRETS.iter().enumerate() {
        let (audience, users, groups): (&str, &[&str], &[&str]) = match secret.id {
            "zqxid-shared-user" => ("private", &["bob"], &[]),
            "zqxid-shared-group" => ("private", &[], &["team-b"]),
            _ => ("public", &[], &[]),
        };
        let doc = canary_doc(secret.id, audience, users, groups);
        call("POST", "/api/v1/assets", &alice, json_ct, Some(doc));
        let path = format!("/api/v1/assets/{}", secret.id);
        // Fields written by other roles carry canaries too.
        call(
            "PATCH",
            &path,
            &sa,
            merge,
            Some(json!({"identifier": format!("doi:10.5555/{CANARY}-{i}"),
            "publisher": {"name": format!("{CANARY} publisher")}, "domain": ["Space Science"]})),
        );
        call(
            "PATCH",
            &path,
            &app,
            merge,
            Some(
                json!({"build": {"status": "SUCCESS", "log": format!("{CANARY} build log"),
            "version": format!("{CANARY}-b")}, "datalabImage": {"id": format!("{CANARY}-img"), "platform": format!("{CANARY}-p")},
            "dateCreated": "2020-02-02", "popularity": 99}),
            ),
        );
        match secret.id {
            "zqxid-draft" => {}
            "zqxid-review" => call("POST", &format!("{path}/submit"), &alice, None, None),
            "zqxid-rejected" => {
                call("POST", &format!("{path}/submit"), &alice, None, None);
                call(
                    "POST",
                    &format!("{path}/reject"),
                    &mo,
                    json_ct,
                    Some(json!({"comment": format!("{CANARY} moderator comment")})),
                );
            }
            _ => call("POST", &format!("{path}/submit"), &alice, None, None),
        }
    }
    // A deleted asset with canaries, never public.
    call(
        "POST",
        "/api/v1/assets",
        &alice,
        json_ct,
        Some(canary_doc("zqxid-deleted", "public", &[], &[])),
    );
    call(
        "POST",
        "/api/v1/assets/zqxid-deleted/submit",
        &alice,
        None,
        None,
    );
    // Reviewed and sent back, but never public: an asset that was public leaves a tombstone
    // for harvesters instead (tests/oai.rs checks that one).
    call(
        "POST",
        "/api/v1/assets/zqxid-deleted/reject",
        &mo,
        json_ct,
        Some(json!({"comment": "not this one"})),
    );
    call("DELETE", "/api/v1/assets/zqxid-deleted", &alice, None, None);
    // The public asset: canaries in its private fields, and a pending edit full of them.
    let public_path = format!("/api/v1/assets/{public_id}");
    call(
        "PATCH",
        &public_path,
        &app,
        merge,
        Some(json!({"build": {"log": format!("{CANARY} build log")},
        "datalabImage": {"id": format!("{CANARY}-img")}, "dateCreated": "2020-02-02"})),
    );
    call(
        "PATCH",
        &public_path,
        &alice,
        merge,
        Some(
            json!({"datalabImage": {"keyword": [format!("{CANARY}-tag")]},
        "visibility": {"audience": "public", "users": [format!("{CANARY}user")], "groups": []}}),
        ),
    );
    doc = canary_doc(public_id, "public", &[], &[]);
    doc["license"] = json!("CC-BY-4.0");
    call("PUT", &public_path, &alice, json_ct, Some(doc));
    call("POST", &format!("{public_path}/submit"), &alice, None, None);

    // 1. The crawl after: no canary anywhere, no secret id in anything not asking for it, and
    //    every page as it was before (counts, totals, listings, suggestions).
    (nodes.settle)();
    let after = crawl(s, 5000);
    // Answers to requests that name a canary or a secret id may echo the request (a selected
    // facet value, a 404 naming the id); they are covered by the comparison with the snapshot.
    for (path, status, body) in &after {
        if !path.contains(CANARY) && !path.contains(SECRET_ID) {
            assert!(
                !body.contains(CANARY),
                "canary in {path} ({status}): {body}"
            );
            assert!(
                !body.contains("zqxid-"),
                "a secret id in {path} ({status}): {body}"
            );
        }
    }
    // 2. Signed in as another developer (carol: no asset of hers, nothing shared with her),
    //    every page the crawl reaches, her own pages and each secret's editor, visibility,
    //    review and landing pages: no canary, no secret id.
    let carol_session = nodes.writer.sign_in(&carol);
    let mut start: Vec<String> = SURFACES.iter().map(|x| x.to_string()).collect();
    start.extend(["/me".to_owned(), "/review".to_owned()]);
    for secret in SECRETS.iter().map(|x| x.id).chain(["zqxid-deleted"]) {
        for tail in ["", "/edit", "/sharing", "/review"] {
            start.push(format!("/assets/{secret}{tail}"));
        }
    }
    start.push(format!("/assets/{public_id}/edit"));
    start.push(format!("/assets/{public_id}/review"));
    let signed_in = crawl_from(
        Probe {
            s,
            session: Some(&carol_session),
        },
        &start,
        5000,
    );
    assert!(
        signed_in
            .iter()
            .any(|(p, st, b)| p == "/me" && *st == 200 && b.contains("carol")),
        "the crawl is signed in"
    );
    for (path, status, body) in &signed_in {
        if !path.contains(CANARY) && !path.contains(SECRET_ID) {
            assert!(
                !body.contains(CANARY),
                "canary in {path} ({status}) signed in as carol: {body}"
            );
            assert!(
                !body.contains("zqxid-"),
                "a secret id in {path} ({status}) signed in as carol: {body}"
            );
        } else {
            // A request naming the canary is echoed (the box, the title); field values are not.
            for field in [
                "name",
                "abstract",
                "description",
                "citation",
                "creator",
                "build log",
            ] {
                assert!(
                    !body.contains(&format!("{CANARY} {field}")),
                    "the {field} of a secret in {path} ({status}) signed in as carol: {body}"
                );
            }
        }
    }
    let before_pages: std::collections::BTreeMap<&str, (u16, String)> = before
        .iter()
        .map(|(p, st, b)| (p.as_str(), (*st, normalised(b))))
        .collect();
    let after_paths: BTreeSet<&str> = after.iter().map(|(p, _, _)| p.as_str()).collect();
    assert_eq!(
        before_pages.keys().copied().collect::<BTreeSet<_>>(),
        after_paths,
        "the anonymous crawl reaches the same pages"
    );
    for (path, status, body) in &after {
        if volatile(path) || (nodes.shared && path == "/healthz") {
            continue;
        }
        let (st0, b0) = &before_pages[path.as_str()];
        assert_eq!(st0, status, "{path}");
        assert_eq!(
            b0,
            &normalised(body),
            "{path} changed for anonymous readers"
        );
    }
    // The search crawl is self-consistent: the total and every facet count agree with the
    // hits an anonymous reader can page through.
    let all = s.get_json("/api/v1/assets?limit=100&facetLimit=100", "");
    let mut hits: Vec<Value> = all["hits"].as_array().unwrap().clone();
    let mut next = all["nextCursor"].as_str().map(str::to_owned);
    while let Some(c) = next {
        let page = s.get_json(&format!("/api/v1/assets?limit=100&cursor={c}"), "");
        hits.extend(page["hits"].as_array().unwrap().iter().cloned());
        next = page["nextCursor"].as_str().map(str::to_owned);
    }
    assert_eq!(all["total"].as_u64().unwrap(), hits.len() as u64);
    // The crawl reached every anonymous asset in each of its forms.
    for h in &hits {
        let id = h["id"].as_str().unwrap();
        for path in [format!("/assets/{id}"), format!("/api/v1/assets/{id}")] {
            assert!(
                after_paths.contains(path.as_str()),
                "the crawl missed {path}"
            );
        }
    }
    eprintln!(
        "leak test: {} anonymous pages crawled, {} assets",
        after.len(),
        hits.len()
    );
    for facet in all["facets"].as_array().unwrap() {
        let name = facet["name"].as_str().unwrap();
        for v in facet["values"].as_array().unwrap() {
            let value = &v["value"];
            if matches!(name, "skyCell" | "decade") {
                // Derived from the coverage, not listed with each hit: the count is the total
                // of the search that selects the value.
                let one = s.get_json(
                    &format!("/api/v1/assets?{name}={}", value.as_str().unwrap()),
                    "",
                );
                assert_eq!(v["count"], one["total"], "facet {name}={value}");
                continue;
            }
            let n = hits
                .iter()
                .filter(|h| {
                    h["facets"][name]
                        .as_array()
                        .is_some_and(|vs| vs.contains(value))
                })
                .count() as u64;
            assert_eq!(v["count"].as_u64().unwrap(), n, "facet {name}={value}");
        }
    }

    // 2. Direct probes of each secret: every representation answers exactly as for an id that
    //    never existed.
    let p = Probe { s, session: None };
    let ids: Vec<&str> = SECRETS
        .iter()
        .map(|x| x.id)
        .chain(["zqxid-deleted"])
        .collect();
    for id in &ids {
        for (tmpl, accept) in [
            ("/api/v1/assets/{}", None),
            ("/api/v1/assets/{}", Some("application/ld+json")),
            ("/api/v1/assets/{}", Some("text/turtle")),
            ("/api/v1/assets/{}", Some("application/n-triples")),
            ("/api/v1/assets/{}", Some("application/rdf+xml")),
            ("/api/v1/assets/{}", Some("text/html")),
            ("/api/v1/assets/{}", Some("application/xml")),
            ("/id/{}", None),
            ("/id/{}", Some("text/html")),
            ("/assets/{}", None),
            ("/api/v1/assets/{}/history", None),
            ("/ga4gh/trs/v2/tools/%23workflow%2F{}", None),
            ("/ga4gh/trs/v2/tools/%23workflow%2F{}/versions", None),
            (
                "/api/ga4gh/v2/tools/%23workflow%2F{}/versions/latest/CWL/files",
                None,
            ),
            ("/api/v1/resolve?ivoid=ivo://orrery.local/{}", None),
            (
                "/oai?verb=GetRecord&metadataPrefix=ivo_vor&identifier=ivo://orrery.local/{}",
                None,
            ),
            (
                "/oai?verb=GetRecord&metadataPrefix=oai_dc&identifier=ivo://orrery.local/{}",
                None,
            ),
            (
                "/oai?verb=ListMetadataFormats&identifier=ivo://orrery.local/{}",
                None,
            ),
        ] {
            let secret = tmpl.replace("{}", id);
            let never = tmpl.replace("{}", &id.replace(SECRET_ID, "zqxnever"));
            let (st, ct, body) = p.get(&secret, accept);
            let (st2, ct2, body2) = p.get(&never, accept);
            assert!(!body.contains(CANARY), "{secret}: {body}");
            assert_eq!(
                (st, &ct),
                (st2, &ct2),
                "{secret} answers unlike an unknown id"
            );
            assert_eq!(
                normalised(&body.replace(id, "ID")),
                normalised(&body2.replace(&id.replace(SECRET_ID, "zqxnever"), "ID")),
                "{secret} answers unlike an unknown id"
            );
        }
    }
    for i in 0..SECRETS.len() + 1 {
        let (st, _, body) = p.get(&format!("/api/v1/resolve?doi=10.5555/{CANARY}-{i}"), None);
        assert_eq!(st, 404, "{body}");
        assert!(!body.contains(CANARY));
    }
    // Every anonymous asset in every RDF syntax (the public asset has canaries in its private
    // graph and its pending edit).
    for h in &hits {
        let id = h["id"].as_str().unwrap();
        for accept in [
            "application/ld+json",
            "text/turtle",
            "application/n-triples",
            "application/rdf+xml",
            "application/xml",
        ] {
            let (st, _, body) = p.get(&format!("/api/v1/assets/{id}"), Some(accept));
            assert_eq!(st, 200, "{id} as {accept}");
            assert!(!body.contains(CANARY), "canary in {id} as {accept}: {body}");
        }
    }
    let public_now = s.get_json(&public_path, "");
    assert_eq!(public_now["name"], "Open dataset");
    assert!(!public_now.to_string().contains(CANARY));

    // 3. Authorised readers see them: the owner everything, bob what is shared with him (public
    //    fields only), the moderator and sciapps everything, carol nothing.
    let total = |tok: &str| {
        s.get_json("/api/v1/assets?q=zqxleak", tok)["total"]
            .as_u64()
            .unwrap()
    };
    assert_eq!(total(&alice), SECRETS.len() as u64);
    assert_eq!(total(&mo), SECRETS.len() as u64);
    assert_eq!(total(&sa), SECRETS.len() as u64);
    assert_eq!(total(&bob), 2);
    assert_eq!(total(&carol), 0);
    assert_eq!(total(""), 0);
    for secret in SECRETS {
        let path = format!("/api/v1/assets/{}", secret.id);
        let own = s.get_json(&path, &alice);
        assert!(own["build"]["log"].as_str().unwrap().contains(CANARY));
        assert!(
            s.get_json(&path, &mo)["name"]
                .as_str()
                .unwrap()
                .contains(CANARY)
        );
        let bob_reads = s.call("GET", &path, &bob, None, None, None);
        if secret.readers.contains(&"bob") {
            let v: Value = bob_reads.json().unwrap();
            assert!(v["name"].as_str().unwrap().contains(CANARY));
            assert!(
                v.get("build").is_none(),
                "a shared reader sees public fields only"
            );
        } else {
            assert_eq!(bob_reads.status(), 404);
        }
        assert_eq!(s.call("GET", &path, &carol, None, None, None).status(), 404);
    }
    let suggest = s.get_json("/api/v1/suggest?q=zqxleak", &alice);
    assert!(!suggest["suggestions"].as_array().unwrap().is_empty());
    assert!(
        s.get_json("/api/v1/suggest?q=zqxleak", &carol)["suggestions"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    let own_public = s.get_json(&public_path, &alice);
    assert!(
        own_public["pending"]["name"]
            .as_str()
            .unwrap()
            .contains(CANARY)
    );
    assert!(
        own_public["build"]["log"]
            .as_str()
            .unwrap()
            .contains(CANARY)
    );
}
