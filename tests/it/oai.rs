//! The OAI-PMH publishing registry against a real server: every response validated offline
//! against the official XSDs (OAI-PMH, VOResource, VODataService, VORegistry, oai_dc), every
//! error code, harvests that stay stable while the catalogue changes, deletions, and a real
//! harvester (sickle) going through more than three resumption pages.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::common::{Server, token, validate};
use serde_json::{Value, json};

const PAGE: usize = 10;

struct Oai<'a> {
    s: &'a Server,
}

impl Oai<'_> {
    /// GET /oai?query: checks HTTP 200, text/xml and XSD validity; returns the body.
    fn get(&self, query: &str) -> String {
        let r = self.s.get(&format!("/oai?{query}"));
        assert_eq!(r.status(), 200, "{query}");
        assert_eq!(r.headers()["content-type"], "text/xml; charset=utf-8");
        let body = r.text().unwrap();
        validate(&body);
        body
    }

    fn post(&self, form: &str) -> String {
        let r = self
            .s
            .client
            .post(format!("{}/oai", self.s.base))
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body(form.to_owned())
            .send()
            .unwrap();
        assert_eq!(r.status(), 200);
        let body = r.text().unwrap();
        validate(&body);
        body
    }

    fn error(&self, query: &str) -> String {
        let body = self.get(query);
        error_code(&body).unwrap_or_else(|| panic!("no OAI error for {query}: {body}"))
    }
}

fn error_code(body: &str) -> Option<String> {
    let at = body.find("<error code=\"")? + 13;
    Some(body[at..at + body[at..].find('"')?].to_owned())
}

/// The texts of every `<tag>` element.
fn all(body: &str, tag: &str) -> Vec<String> {
    let open = format!("<{tag}>");
    body.split(&open)
        .skip(1)
        .filter_map(|p| p.split_once(&format!("</{tag}>")).map(|(t, _)| unescape(t)))
        .collect()
}

fn unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&amp;", "&")
}

/// The resumption token (text and attributes) of a list response.
fn resumption(body: &str) -> Option<(Option<String>, BTreeMap<String, String>)> {
    let start = body.find("<resumptionToken")?;
    let rest = &body[start + "<resumptionToken".len()..];
    let end = rest.find('>')?;
    let attrs_text = rest[..end].trim_end_matches('/');
    let mut attrs = BTreeMap::new();
    for part in attrs_text.split('"').collect::<Vec<_>>().chunks(2) {
        if let [k, v] = part {
            attrs.insert(k.trim().trim_end_matches('=').to_owned(), v.to_string());
        }
    }
    let token = if rest[..end].ends_with('/') {
        None
    } else {
        rest[end + 1..]
            .split_once("</resumptionToken>")
            .map(|(t, _)| unescape(t))
            .filter(|t| !t.is_empty())
    };
    Some((token, attrs))
}

/// Headers of a full list harvest: (identifier, datestamp, deleted), following tokens.
fn harvest(oai: &Oai, first: &str) -> (Vec<(String, String, bool)>, usize) {
    let mut out = Vec::new();
    let mut body = oai.get(first);
    let mut pages = 1;
    loop {
        for h in body.split("<header").skip(1) {
            let deleted = h.starts_with(" status=\"deleted\"");
            let id = all(h, "identifier").into_iter().next().unwrap();
            let stamp = all(h, "datestamp").into_iter().next().unwrap();
            out.push((id, stamp, deleted));
        }
        match resumption(&body) {
            Some((Some(token), attrs)) => {
                assert_eq!(
                    attrs["cursor"].parse::<usize>().unwrap(),
                    (pages - 1) * PAGE
                );
                assert!(
                    attrs.contains_key("completeListSize") && attrs.contains_key("expirationDate")
                );
                let verb = if first.contains("ListRecords") {
                    "ListRecords"
                } else {
                    "ListIdentifiers"
                };
                body = oai.get(&format!(
                    "verb={verb}&resumptionToken={}",
                    urlencode(&token)
                ));
                pages += 1;
            }
            Some((None, attrs)) => {
                assert_eq!(
                    attrs["completeListSize"].parse::<usize>().unwrap(),
                    out.len(),
                    "completeListSize"
                );
                break;
            }
            None => break,
        }
    }
    (out, pages)
}

fn urlencode(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

fn python() -> PathBuf {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/venv/bin/python");
    assert!(
        p.exists(),
        "{} is missing: run scripts/prereqs.sh (make test does) to install the test clients",
        p.display()
    );
    p
}

fn sickle(s: &Server, verb: &str, prefix: &str, from: Option<&str>) -> Vec<Value> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/clients/harvest.py");
    let mut cmd = Command::new(python());
    cmd.arg(script)
        .arg(format!("{}/oai", s.base))
        .arg(verb)
        .arg(prefix);
    if let Some(f) = from {
        cmd.arg(f);
    }
    let out = cmd.output().expect("run sickle");
    assert!(
        out.status.success(),
        "sickle failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("sickle's JSON")
}

fn start() -> (tempfile::TempDir, Server) {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(
        dir.path(),
        &[
            "--oai-page-size",
            &PAGE.to_string(),
            "--authority",
            "orrery.example",
        ],
    );
    (dir, s)
}

#[test]
fn verbs_records_and_errors() {
    let (_dir, s) = start();
    let oai = Oai { s: &s };
    // Identify: the registry's own vg:Registry record in the description, persistent deletes,
    // seconds granularity, the base URL as harvesters call it.
    let id = oai.get("verb=Identify");
    assert!(id.contains("<deletedRecord>persistent</deletedRecord>"));
    assert!(id.contains("<granularity>YYYY-MM-DDThh:mm:ssZ</granularity>"));
    assert_eq!(all(&id, "baseURL"), [format!("{}/oai", s.base)]);
    assert!(id.contains("xsi:type=\"vg:Registry\"") && id.contains("xmlns=\"\""));
    assert!(id.contains("standardID=\"ivo://ivoa.net/std/Registry\""));
    assert!(id.contains(&format!("<maxRecords>{PAGE}</maxRecords>")));
    assert!(id.contains("<managedAuthority>orrery.example</managedAuthority>"));
    let formats = oai.get("verb=ListMetadataFormats");
    assert_eq!(all(&formats, "metadataPrefix"), ["ivo_vor", "oai_dc"]);
    let sets = oai.get("verb=ListSets");
    assert_eq!(all(&sets, "setSpec"), ["ivo_managed"]);
    // POST works like GET.
    let strip = |b: &str| {
        b.split("</responseDate>")
            .nth(1)
            .unwrap_or_default()
            .to_owned()
    };
    assert_eq!(strip(&oai.post("verb=ListSets")), strip(&sets));
    assert_eq!(
        strip(&oai.post(
            "verb=GetRecord&metadataPrefix=ivo_vor&identifier=ivo%3A%2F%2Forrery.example%2Fgaia-dr3"
        )),
        strip(
            &oai.get(
                "verb=GetRecord&metadataPrefix=ivo_vor&identifier=ivo://orrery.example/gaia-dr3"
            )
        )
    );
    assert_eq!(
        error_code(&oai.post("verb=Nope")).as_deref(),
        Some("badVerb")
    );

    // Records: a datalab as vr:Service launching through the wizard, a dataset as
    // vs:DataCollection; the IVOA identifier in the header; both formats validate.
    let r = oai
        .get("verb=GetRecord&metadataPrefix=ivo_vor&identifier=ivo://orrery.example/jl-euclid-dps");
    assert!(r.contains("xsi:type=\"vr:Service\""));
    assert!(r.contains("datalab-launch-wizard/jl-euclid-dps"));
    assert_eq!(
        all(&r, "identifier")[0],
        "ivo://orrery.example/jl-euclid-dps"
    );
    let r =
        oai.get("verb=GetRecord&metadataPrefix=ivo_vor&identifier=IVO://ORRERY.EXAMPLE/GAIA-DR3");
    assert!(r.contains("xsi:type=\"vs:DataCollection\""), "{r}");
    let r =
        oai.get("verb=GetRecord&metadataPrefix=oai_dc&identifier=ivo://orrery.example/gaia-dr3");
    assert!(r.contains("<oai_dc:dc") && r.contains("<dc:title>"));
    let r = oai.get("verb=GetRecord&metadataPrefix=ivo_vor&identifier=ivo://orrery.example");
    assert!(r.contains("xsi:type=\"vg:Authority\"") && r.contains("<managingOrg>"));
    let r =
        oai.get("verb=GetRecord&metadataPrefix=ivo_vor&identifier=ivo://orrery.example/registry");
    assert!(r.contains("xsi:type=\"vg:Registry\""));
    // The TAP service is a record of the registry too, so that registries find it.
    let r = oai.get("verb=GetRecord&metadataPrefix=ivo_vor&identifier=ivo://orrery.example/tap");
    assert!(r.contains("xsi:type=\"vs:CatalogService\"") && r.contains("tr:TableAccess"));
    let r = oai.get("verb=GetRecord&metadataPrefix=oai_dc&identifier=ivo://orrery.example/tap");
    assert!(r.contains("<dc:type>Service</dc:type>"), "{r}");

    // Every error code, always HTTP 200 (checked in `get`), the request echoed without
    // attributes for badVerb and badArgument.
    for (query, code) in [
        ("", "badVerb"),
        ("verb=Nope", "badVerb"),
        ("verb=Identify&verb=Identify", "badVerb"),
        ("verb=Identify&extra=1", "badArgument"),
        ("verb=ListRecords", "badArgument"),
        (
            "verb=ListRecords&metadataPrefix=ivo_vor&metadataPrefix=ivo_vor",
            "badArgument",
        ),
        (
            "verb=ListRecords&metadataPrefix=ivo_vor&from=2024-13-01",
            "badArgument",
        ),
        (
            "verb=ListRecords&metadataPrefix=ivo_vor&from=2024-01-01T00:00:00",
            "badArgument",
        ),
        (
            "verb=ListRecords&metadataPrefix=ivo_vor&from=2024-01-01&until=2024-02-01T00:00:00Z",
            "badArgument",
        ),
        (
            "verb=ListRecords&metadataPrefix=ivo_vor&from=2024-02-01&until=2024-01-01",
            "badArgument",
        ),
        (
            "verb=ListRecords&metadataPrefix=ivo_vor&resumptionToken=x",
            "badArgument",
        ),
        (
            "verb=GetRecord&identifier=ivo://orrery.example/gaia-dr3",
            "badArgument",
        ),
        (
            "verb=ListRecords&resumptionToken=garbage",
            "badResumptionToken",
        ),
        (
            "verb=ListRecords&resumptionToken=e30.AAAA",
            "badResumptionToken",
        ),
        (
            "verb=ListSets&resumptionToken=anything",
            "badResumptionToken",
        ),
        (
            "verb=ListRecords&metadataPrefix=dc",
            "cannotDisseminateFormat",
        ),
        (
            "verb=GetRecord&metadataPrefix=marc&identifier=ivo://orrery.example/gaia-dr3",
            "cannotDisseminateFormat",
        ),
        (
            "verb=GetRecord&metadataPrefix=ivo_vor&identifier=ivo://orrery.example/no-such",
            "idDoesNotExist",
        ),
        (
            "verb=GetRecord&metadataPrefix=ivo_vor&identifier=ivo://elsewhere.org/gaia-dr3",
            "idDoesNotExist",
        ),
        (
            "verb=GetRecord&metadataPrefix=ivo_vor&identifier=not-an-ivoid",
            "idDoesNotExist",
        ),
        (
            "verb=ListMetadataFormats&identifier=ivo://orrery.example/no-such",
            "idDoesNotExist",
        ),
        (
            "verb=ListRecords&metadataPrefix=ivo_vor&from=2999-01-01",
            "noRecordsMatch",
        ),
        (
            "verb=ListIdentifiers&metadataPrefix=ivo_vor&set=other",
            "noRecordsMatch",
        ),
    ] {
        let body = oai.get(query);
        assert_eq!(error_code(&body).as_deref(), Some(code), "{query}: {body}");
        if matches!(code, "badVerb" | "badArgument") {
            assert!(
                body.contains("<request>"),
                "{query}: request echoed without attributes"
            );
        }
    }
    // Private, draft and never-public assets do not exist for harvesters.
    for hidden in [
        "euclid-mer-validation",
        "gaia-archeology",
        "jl-jwst-ers-team",
        "rosetta-osiris-67p-mosaics",
    ] {
        let q = format!(
            "verb=GetRecord&metadataPrefix=ivo_vor&identifier=ivo://orrery.example/{hidden}"
        );
        assert_eq!(oai.error(&q), "idDoesNotExist", "{hidden}");
    }
    // A tampered token is refused.
    let first = oai.get("verb=ListIdentifiers&metadataPrefix=ivo_vor");
    let (token, _) = resumption(&first).unwrap();
    let token = token.unwrap();
    let mut tampered = token.clone();
    tampered.insert(
        3,
        if token.as_bytes()[3] == b'A' {
            'B'
        } else {
            'A'
        },
    );
    assert_eq!(
        oai.error(&format!(
            "verb=ListIdentifiers&resumptionToken={}",
            urlencode(&tampered)
        )),
        "badResumptionToken"
    );
    assert_eq!(
        oai.error(&format!(
            "verb=ListRecords&resumptionToken={}",
            urlencode(&token)
        )),
        "badResumptionToken",
        "a token of another verb"
    );
}

#[test]
fn harvests_are_stable_and_see_deletions() {
    let (dir, s) = start();
    let oai = Oai { s: &s };
    let alice = token(dir.path(), "alice", &["developer"], &[]);
    let mo = token(dir.path(), "mo", &["moderator"], &[]);
    let publish = |id: &str, name: &str| {
        let doc = json!({"id": id, "type": "Dataset", "name": name, "license": "CC-BY-4.0", "waveband": ["Optical"],
                         "coverage": {"temporal": "2020-01-01/2021-01-01"}, "distribution": [{"accessURL": "https://example.org/d", "mediaType": "application/fits"}],
                         "analysableWith": ["jl-esdc", "jl-jwst-ers-team"]});
        for (m, path, tok, body) in [
            (
                "POST",
                "/api/v1/assets".to_owned(),
                &alice,
                Some(doc.to_string()),
            ),
            ("POST", format!("/api/v1/assets/{id}/submit"), &alice, None),
            ("POST", format!("/api/v1/assets/{id}/approve"), &mo, None),
        ] {
            let r = s.call(m, &path, tok, Some("application/json"), body, None);
            assert!(
                r.status().is_success(),
                "{m} {path}: {}",
                r.text().unwrap_or_default()
            );
        }
    };
    publish("harvest-one", "Harvest one");
    // The new record validates, relates only to public datalabs (jl-jwst-ers-team is private).
    let rec = oai
        .get("verb=GetRecord&metadataPrefix=ivo_vor&identifier=ivo://orrery.example/harvest-one");
    assert!(rec.contains("IsServedBy") && rec.contains("ivo://orrery.example/jl-esdc"));
    assert!(
        !rec.contains("jl-jwst-ers-team"),
        "a private datalab's id leaked: {rec}"
    );
    // The interval's end date is a whole day: through 2021-01-01, to MJD 59216.
    assert!(
        rec.contains("<waveband>Optical</waveband>")
            && rec.contains("<temporal>58849 59216</temporal>"),
        "{rec}"
    );

    // A full harvest page by page, with the catalogue changing half-way.
    let (before, _) = harvest(&oai, "verb=ListIdentifiers&metadataPrefix=ivo_vor");
    let before_ids: BTreeSet<String> = before.iter().map(|h| h.0.clone()).collect();
    assert_eq!(before_ids.len(), before.len(), "no record twice");
    let first = oai.get("verb=ListIdentifiers&metadataPrefix=ivo_vor");
    let (token, _) = resumption(&first).unwrap();
    // Datestamps have seconds granularity: what changes next is in a later second.
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let since = chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string();
    let since = &since;
    let mut seen: Vec<String> = all(&first, "identifier");
    // Change (through review, so their public graph and datestamp move) a record already
    // listed and one not yet listed, publish a new one, delete one.
    let asset_id = |ivoid: &str| {
        let id = ivoid.strip_prefix("ivo://orrery.example/")?;
        (id != "registry" && id != "tap").then(|| id.to_owned())
    };
    let early = seen.iter().find_map(|i| asset_id(i)).unwrap();
    let late = before.iter().rev().find_map(|h| asset_id(&h.0)).unwrap();
    assert!(!seen.contains(&format!("ivo://orrery.example/{late}")));
    for id in [&early, &late] {
        for (m, path, body) in [
            (
                "PATCH",
                format!("/api/v1/assets/{id}"),
                Some(json!({"keywords": ["changed during harvest"]}).to_string()),
            ),
            ("POST", format!("/api/v1/assets/{id}/submit"), None),
            ("POST", format!("/api/v1/assets/{id}/approve"), None),
        ] {
            let ct = if m == "PATCH" {
                Some("application/merge-patch+json")
            } else {
                None
            };
            let r = s.call(m, &path, &mo, ct, body, None);
            assert!(
                r.status().is_success(),
                "{m} {path}: {}",
                r.text().unwrap_or_default()
            );
        }
    }
    publish("harvest-two", "Harvest two");
    let r = s.call(
        "DELETE",
        "/api/v1/assets/harvest-one",
        &alice,
        None,
        None,
        None,
    );
    assert_eq!(r.status(), 204);
    let mut next = token;
    while let Some(t) = next {
        let body = oai.get(&format!(
            "verb=ListIdentifiers&resumptionToken={}",
            urlencode(&t)
        ));
        seen.extend(all(&body, "identifier"));
        next = resumption(&body).and_then(|(t, _)| t);
    }
    let seen_set: BTreeSet<String> = seen.iter().cloned().collect();
    assert_eq!(
        seen_set.len(),
        seen.len(),
        "a record was listed twice during a changing harvest"
    );
    assert_eq!(
        seen_set, before_ids,
        "the harvest lists the catalogue as it was when it began"
    );

    // The next incremental harvest sees the new record and the deletion.
    let (after, _) = harvest(
        &oai,
        &format!("verb=ListIdentifiers&metadataPrefix=ivo_vor&from={since}"),
    );
    let find = |id: &str| {
        after
            .iter()
            .find(|h| h.0 == format!("ivo://orrery.example/{id}"))
            .cloned()
    };
    assert!(find("harvest-two").is_some_and(|h| !h.2));
    assert!(
        find("harvest-one").is_some_and(|h| h.2),
        "the deletion is announced"
    );
    let gr = oai
        .get("verb=GetRecord&metadataPrefix=ivo_vor&identifier=ivo://orrery.example/harvest-one");
    assert!(gr.contains("<header status=\"deleted\">") && !gr.contains("<metadata>"));
    // A draft deleted before it was ever public leaves no trace.
    let r = s.call(
        "POST",
        "/api/v1/assets",
        &alice,
        Some("application/json"),
        Some(json!({"id": "never-public", "type": "Dataset", "name": "Never"}).to_string()),
        None,
    );
    assert_eq!(r.status(), 201);
    assert_eq!(
        s.call(
            "DELETE",
            "/api/v1/assets/never-public",
            &alice,
            None,
            None,
            None
        )
        .status(),
        204
    );
    assert_eq!(
        oai.error(
            "verb=GetRecord&metadataPrefix=ivo_vor&identifier=ivo://orrery.example/never-public"
        ),
        "idDoesNotExist"
    );

    // A real harvester: sickle through every resumption page, in both formats, incrementally.
    let records = sickle(&s, "ListRecords", "ivo_vor", None);
    assert!(
        records.len() > 3 * PAGE,
        "more than three pages: {}",
        records.len()
    );
    let live: Vec<&Value> = records.iter().filter(|r| r["deleted"] == false).collect();
    assert!(
        live.iter().all(|r| r["ivoid"] == r["identifier"]),
        "header identifier = record identifier"
    );
    assert!(live.iter().any(|r| r["type"] == "vg:Registry"));
    assert!(live.iter().any(|r| r["type"] == "vg:Authority"));
    assert!(live.iter().any(|r| r["type"] == "vr:Service"));
    assert!(live.iter().any(|r| r["type"] == "vs:DataCollection"));
    assert!(
        records
            .iter()
            .any(|r| r["identifier"] == "ivo://orrery.example/harvest-one" && r["deleted"] == true)
    );
    assert!(records.iter().all(|r| r["sets"] == json!(["ivo_managed"])));
    let ids: BTreeSet<&str> = records
        .iter()
        .map(|r| r["identifier"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), records.len());
    let dc = sickle(&s, "ListRecords", "oai_dc", None);
    assert_eq!(dc.len(), records.len());
    let incremental = sickle(&s, "ListIdentifiers", "ivo_vor", Some(since));
    assert!(
        incremental
            .iter()
            .any(|r| r["identifier"] == "ivo://orrery.example/harvest-two")
    );
    assert!(incremental.len() < records.len());
    // The record log agrees with the store: live records and tombstones (`orrery check`).
    s.stop();
    let out = crate::common::orrery(dir.path(), &["check"]);
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{report}");
    // Rebuilt from the store, the log still announces the deletion (tombstones are persistent).
    assert!(
        crate::common::orrery(dir.path(), &["reindex"])
            .status
            .success()
    );
    let out = crate::common::orrery(dir.path(), &["check"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let s = Server::start(dir.path(), &["--authority", "orrery.example"]);
    let oai = Oai { s: &s };
    let gr = oai
        .get("verb=GetRecord&metadataPrefix=ivo_vor&identifier=ivo://orrery.example/harvest-one");
    assert!(gr.contains("<header status=\"deleted\">"), "{gr}");
    assert_eq!(
        oai.error(
            "verb=GetRecord&metadataPrefix=ivo_vor&identifier=ivo://orrery.example/never-public"
        ),
        "idDoesNotExist"
    );
}

#[test]
fn without_tap_the_registry_publishes_no_tap_record() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(dir.path(), &["--authority", "orrery.example", "--no-tap"]);
    let oai = Oai { s: &s };
    let ids = oai.get("verb=ListIdentifiers&metadataPrefix=ivo_vor");
    // Listed as deleted (harvesters that had it from an earlier run drop it), never served.
    assert!(
        ids.contains("<header status=\"deleted\"><identifier>ivo://orrery.example/tap<"),
        "{ids}"
    );
    let r = oai.get("verb=GetRecord&metadataPrefix=ivo_vor&identifier=ivo://orrery.example/tap");
    assert!(!r.contains("vs:CatalogService"), "{r}");
    assert!(ids.contains("ivo://orrery.example/registry<"), "{ids}");
    assert_eq!(s.get("/tap/sync?LANG=ADQL&QUERY=SELECT+1").status(), 404);
    assert!(!dir.path().join("regtap.sqlite").exists());
    // The rest of the service is there.
    assert_eq!(s.get("/api/v1/assets?q=gaia").status(), 200);
}
