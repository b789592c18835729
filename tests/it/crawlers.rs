//! What crawlers read: `/robots.txt` and the sitemap, whole or split into an index of parts.

use std::collections::BTreeSet;
use std::process::Command;

use crate::common::Server;

/// Every public asset id, from the search API as an anonymous reader pages through it.
fn public_ids(s: &Server) -> BTreeSet<String> {
    let mut ids = BTreeSet::new();
    let mut path = "/api/v1/assets?limit=100".to_owned();
    loop {
        let page: serde_json::Value = s.get(&path).json().unwrap();
        for h in page["hits"].as_array().unwrap() {
            ids.insert(h["id"].as_str().unwrap().to_owned());
        }
        match page["nextCursor"].as_str() {
            Some(c) => path = format!("/api/v1/assets?limit=100&cursor={c}"),
            None => return ids,
        }
    }
}

/// The `<loc>`s of a sitemap document, checked well-formed by xmllint.
fn locs(xml: &str) -> Vec<String> {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("s.xml");
    std::fs::write(&f, xml).unwrap();
    let ok = Command::new("xmllint")
        .arg("--noout")
        .arg(&f)
        .status()
        .expect("xmllint (scripts/prereqs.sh installs it)");
    assert!(ok.success(), "not well-formed: {xml}");
    xml.split("<loc>")
        .skip(1)
        .map(|p| p.split("</loc>").next().unwrap().replace("&amp;", "&"))
        .collect()
}

fn ids_of(s: &Server, locs: &[String]) -> Vec<String> {
    locs.iter()
        .map(|l| {
            l.strip_prefix(&format!("{}/assets/", s.base))
                .unwrap_or_else(|| panic!("{l} is not a landing page"))
                .to_owned()
        })
        .collect()
}

#[test]
fn robots_and_a_single_sitemap() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(dir.path(), &[]);
    let robots = s.get("/robots.txt").text().unwrap();
    assert!(robots.contains(&format!("Sitemap: {}/sitemap.xml", s.base)));
    assert!(robots.contains("User-agent: *"));
    let r = s.get("/sitemap.xml");
    assert_eq!(r.status(), 200);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/xml")
    );
    let xml = r.text().unwrap();
    assert!(xml.contains("<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">"));
    assert_eq!(
        xml.matches("<lastmod>").count(),
        xml.matches("<loc>").count()
    );
    let listed = ids_of(&s, &locs(&xml));
    let set: BTreeSet<String> = listed.iter().cloned().collect();
    assert_eq!(set.len(), listed.len(), "no page twice");
    assert_eq!(set, public_ids(&s), "exactly the public assets");
    for id in &listed {
        assert_eq!(s.get(&format!("/assets/{id}")).status(), 200, "{id}");
    }
    assert_eq!(
        s.get("/sitemaps/1.xml").status(),
        404,
        "no parts while one file holds all"
    );
}

#[test]
fn a_large_sitemap_becomes_an_index_of_parts() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(dir.path(), &["--sitemap-size", "7"]);
    let index = s.get("/sitemap.xml").text().unwrap();
    assert!(index.contains("<sitemapindex"), "{index}");
    let parts = locs(&index);
    let public = public_ids(&s);
    assert_eq!(parts.len(), public.len().div_ceil(7));
    let mut all = Vec::new();
    for (n, part) in parts.iter().enumerate() {
        assert_eq!(part, &format!("{}/sitemaps/{}.xml", s.base, n + 1));
        let xml = s.get(part.strip_prefix(&s.base).unwrap()).text().unwrap();
        let ids = ids_of(&s, &locs(&xml));
        assert!(
            !ids.is_empty() && ids.len() <= 7,
            "part {} has {}",
            n + 1,
            ids.len()
        );
        all.extend(ids);
    }
    let set: BTreeSet<String> = all.iter().cloned().collect();
    assert_eq!(set.len(), all.len(), "no page in two parts");
    assert_eq!(set, public);
    for bad in ["0.xml", "x.xml", "1", &format!("{}.xml", parts.len() + 1)] {
        assert_eq!(s.get(&format!("/sitemaps/{bad}")).status(), 404, "{bad}");
    }
}
