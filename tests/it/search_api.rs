//! The search and suggestion endpoints against a real server seeded with the demo catalogue.

use crate::common::Server;
use serde_json::Value;

fn demo() -> (tempfile::TempDir, Server) {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &[]);
    (dir, server)
}

fn facet<'a>(body: &'a Value, name: &str) -> &'a Vec<Value> {
    body["facets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == name)
        .unwrap_or_else(|| panic!("facet {name} missing"))["values"]
        .as_array()
        .unwrap()
}

fn count(values: &[Value], value: &str) -> u64 {
    values
        .iter()
        .find(|v| v["value"] == value)
        .map_or(0, |v| v["count"].as_u64().unwrap())
}

#[test]
fn portal_search_with_facets_paging_and_timing() {
    let (_dir, s) = demo();

    // The portal's own example.
    let r = s.get("/api/v1/assets?q=GOCE%20type:datalab%20property:%22Analysis%20Tool%22");
    assert_eq!(r.status(), 200);
    assert!(
        r.headers()["server-timing"]
            .to_str()
            .unwrap()
            .starts_with("search;dur=")
    );
    let body: Value = r.json().unwrap();
    assert!(body["total"].as_u64().unwrap() >= 1);
    for hit in body["hits"].as_array().unwrap() {
        assert_eq!(hit["type"], "Datalab");
        assert!(
            hit["facets"]["property"]
                .as_array()
                .unwrap()
                .contains(&Value::from("Analysis Tool"))
        );
        assert_eq!(
            hit["links"]["landingPage"],
            format!("{}/assets/{}", s.base, hit["id"].as_str().unwrap())
        );
    }
    assert_eq!(body["facets"].as_array().unwrap().len(), 12);

    // Disjunctive counts: selecting a type leaves the type counts as they were.
    let all: Value = s.get("/api/v1/assets").json().unwrap();
    let datalabs: Value = s.get("/api/v1/assets?type=Datalab").json().unwrap();
    let both: Value = s
        .get("/api/v1/assets?type=Datalab&type=Pipeline")
        .json()
        .unwrap();
    let types = facet(&all, "type");
    assert_eq!(facet(&datalabs, "type").len(), types.len());
    assert_eq!(datalabs["total"].as_u64().unwrap(), count(types, "Datalab"));
    assert_eq!(
        both["total"].as_u64().unwrap(),
        count(types, "Datalab") + count(types, "Pipeline")
    );
    assert!(
        facet(&datalabs, "type")
            .iter()
            .any(|v| v["value"] == "Datalab" && v["selected"] == true)
    );
    // Across facets, filters combine with AND.
    let narrow: Value = s
        .get("/api/v1/assets?type=Datalab&mission=JWST")
        .json()
        .unwrap();
    assert_eq!(
        narrow["total"].as_u64().unwrap(),
        count(facet(&datalabs, "mission"), "JWST")
    );

    // Every public asset exactly once through the pages.
    let mut seen = std::collections::BTreeSet::new();
    let mut path = "/api/v1/assets?limit=5&sort=name".to_owned();
    loop {
        let page: Value = s.get(&path).json().unwrap();
        for h in page["hits"].as_array().unwrap() {
            assert!(seen.insert(h["id"].as_str().unwrap().to_owned()));
        }
        match page["nextCursor"].as_str() {
            Some(c) => path = format!("/api/v1/assets?limit=5&sort=name&cursor={c}"),
            None => break,
        }
    }
    assert_eq!(seen.len() as u64, all["total"].as_u64().unwrap());
}

#[test]
fn bad_search_requests_are_problems_naming_the_parameter() {
    let (_dir, s) = demo();
    let cases = [
        ("/api/v1/assets?q=%22unclosed", "q", Some(1)),
        ("/api/v1/assets?q=gaia%20(jwst", "q", Some(6)),
        ("/api/v1/assets?q=gaia)", "q", Some(5)),
        ("/api/v1/assets?q=colour:red", "q", Some(1)),
        ("/api/v1/assets?q=mission:gaiaa", "q", Some(9)),
        ("/api/v1/assets?limit=0", "limit", None),
        ("/api/v1/assets?limit=101", "limit", None),
        ("/api/v1/assets?limit=ten", "limit", None),
        ("/api/v1/assets?facetLimit=0", "facetLimit", None),
        ("/api/v1/assets?facetLimit=101", "facetLimit", None),
        ("/api/v1/assets?colour=red", "colour", None),
        ("/api/v1/assets?mission=Gaiaa", "mission", None),
        ("/api/v1/assets?sort=size", "sort", None),
        ("/api/v1/assets?cursor=forged.cursor", "cursor", None),
        ("/api/v1/assets?q=a&q=b", "q", None),
        ("/api/v1/assets?sky=0/12", "sky", Some(3)),
        ("/api/v1/assets?sky=10,abc,1", "sky", Some(4)),
        ("/api/v1/assets?sky=10,20", "sky", None),
        ("/api/v1/assets?sky=10,20,200", "sky", None),
        ("/api/v1/assets?sky=10,95,1", "sky", None),
        ("/api/v1/assets?sky=10,10,20,20,20,10,10,20", "sky", None),
        ("/api/v1/assets?sky=5/", "sky", None),
        (
            "/api/v1/assets?sky=10,20,1&skyRelation=near",
            "skyRelation",
            None,
        ),
        ("/api/v1/assets?skyRelation=covers", "skyRelation", None),
        ("/api/v1/assets?time=2020-13-01/2021", "time", None),
        ("/api/v1/assets?time=2021/2020", "time", None),
        ("/api/v1/assets?spectral=5%20parsecs", "spectral", None),
        ("/api/v1/suggest", "q", None),
        ("/api/v1/suggest?q=ga&limit=50", "limit", None),
    ];
    for (path, parameter, position) in cases {
        let r = s.get(path);
        assert_eq!(r.status(), 400, "{path}");
        assert_eq!(r.headers()["content-type"], "application/problem+json");
        let p: Value = r.json().unwrap();
        assert_eq!(p["errors"][0]["parameter"], parameter, "{path}: {p}");
        match position {
            Some(pos) => assert_eq!(p["errors"][0]["position"], pos, "{path}: {p}"),
            None => assert!(p["errors"][0].get("position").is_none(), "{path}"),
        }
    }
    // A cursor is bound to its query.
    let page: Value = s.get("/api/v1/assets?limit=1").json().unwrap();
    let cursor = page["nextCursor"].as_str().unwrap();
    let r = s.get(&format!("/api/v1/assets?limit=1&q=gaia&cursor={cursor}"));
    assert_eq!(r.status(), 400);
}

#[test]
fn suggestions_complete_prefixes() {
    let (_dir, s) = demo();
    let r = s.get("/api/v1/suggest?q=gai");
    assert_eq!(r.status(), 200);
    assert!(r.headers().contains_key("server-timing"));
    let body: Value = r.json().unwrap();
    let texts: Vec<&str> = body["suggestions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["text"].as_str().unwrap())
        .collect();
    assert_eq!(texts.first(), Some(&"Gaia"), "{texts:?}");
    let body: Value = s
        .get("/api/v1/suggest?q=jupyterlab&limit=3")
        .json()
        .unwrap();
    let hits = body["suggestions"].as_array().unwrap();
    assert!(!hits.is_empty() && hits.len() <= 3);
    assert!(hits.iter().all(|h| {
        h["text"]
            .as_str()
            .unwrap()
            .to_lowercase()
            .contains("jupyterlab")
    }));
}

/// 24 clients sending 40 searches each at once: each answer's status and `Retry-After`.
fn burst(s: &Server) -> Vec<(u16, Option<String>)> {
    let (base, client) = (s.base.clone(), s.client.clone());
    std::thread::scope(|scope| {
        let workers: Vec<_> = (0..24)
            .map(|_| {
                let (base, client) = (&base, &client);
                scope.spawn(move || {
                    (0..40)
                        .map(|_| {
                            let r = client
                                .get(format!("{base}/api/v1/assets?q=data*%20OR%20mission&limit=100&sort=name"))
                                .send()
                                .unwrap();
                            let retry = r
                                .headers()
                                .get("retry-after")
                                .map(|v| v.to_str().unwrap().to_owned());
                            (r.status().as_u16(), retry)
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().unwrap())
            .collect()
    })
}

/// Past `--search-queue`, a search is turned away at once with 503 and `Retry-After` (never
/// queued without bound), and the service answers again once the burst is over.
#[test]
fn a_burst_past_the_search_queue_is_turned_away_with_retry_after() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(dir.path(), &["--search-queue", "1"]);
    // A burst is retried a few times: on a loaded machine one may by chance never overlap.
    let mut statuses = Vec::new();
    for _ in 0..10 {
        statuses.extend(burst(&s));
        if statuses.iter().any(|(st, _)| *st == 503) {
            break;
        }
    }
    let busy: Vec<_> = statuses.iter().filter(|(st, _)| *st == 503).collect();
    assert!(!busy.is_empty(), "no search was turned away");
    assert!(
        busy.iter().all(|(_, retry)| retry.as_deref() == Some("1")),
        "{busy:?}"
    );
    assert!(
        statuses.iter().all(|(st, _)| *st == 200 || *st == 503),
        "{statuses:?}"
    );
    assert!(statuses.iter().any(|(st, _)| *st == 200));
    assert_eq!(s.get("/api/v1/assets?q=gaia").status(), 200);
}

/// Where and when: the sky, time and spectral filters narrow the hits, the total and every
/// facet's counts together, with the text and facets as usual.
#[test]
fn coverage_filters_narrow_hits_totals_and_counts() {
    let (_dir, s) = demo();
    let ids = |path: &str| -> (Vec<String>, u64, Value) {
        let r = s.get(path);
        assert_eq!(r.status(), 200, "{path}");
        let body: Value = r.json().unwrap();
        let ids = body["hits"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| h["id"].as_str().unwrap().to_owned())
            .collect();
        (ids, body["total"].as_u64().unwrap(), body)
    };
    // Gaia DR3 covers the whole sky from 2014-07-25 to 2017-05-28.
    let (hits, total, body) = ids("/api/v1/assets?sky=266.4,-29.0,1&limit=100");
    assert!(hits.contains(&"gaia-dr3".to_owned()), "{hits:?}");
    assert_eq!(total as usize, hits.len());
    let types: u64 = facet(&body, "type")
        .iter()
        .map(|v| v["count"].as_u64().unwrap())
        .sum();
    assert_eq!(types, total, "the type facet counts what the filter keeps");
    let (all, everything, _) = ids("/api/v1/assets?limit=100");
    assert!(total < everything && all.len() > hits.len());
    let (hits, _, _) = ids("/api/v1/assets?sky=266.4,-29.0,1&skyRelation=covers&limit=100");
    assert!(hits.contains(&"gaia-dr3".to_owned()));
    let (hits, _, _) = ids("/api/v1/assets?sky=266.4,-29.0,1&skyRelation=enclosed&limit=100");
    assert!(
        !hits.contains(&"gaia-dr3".to_owned()),
        "the whole sky is not within a cone"
    );
    let (hits, _, _) = ids("/api/v1/assets?sky=0/0-11&skyRelation=enclosed&limit=100");
    assert!(hits.contains(&"gaia-dr3".to_owned()));
    let (hits, _, _) = ids("/api/v1/assets?time=2015&limit=100");
    assert!(hits.contains(&"gaia-dr3".to_owned()), "{hits:?}");
    let (hits, _, _) = ids("/api/v1/assets?time=1980/1985&limit=100");
    assert!(!hits.contains(&"gaia-dr3".to_owned()));
    let (hits, _, _) = ids("/api/v1/assets?time=57000%2057100&q=gaia&limit=100");
    assert!(hits.contains(&"gaia-dr3".to_owned()), "MJD, with text");
    let (hits, total, _) = ids("/api/v1/assets?sky=266.4,-29.0,1&time=1980/1985");
    assert!(hits.is_empty() && total == 0);
    // The sky-cell and decade facets: counted, and filters like any facet.
    let (hits, _, body) = ids("/api/v1/assets?skyCell=1/30&limit=100");
    assert!(hits.contains(&"gaia-dr3".to_owned()), "{hits:?}");
    assert!(
        facet(&body, "skyCell")
            .iter()
            .any(|v| v["value"] == "0/7" && v["count"].as_u64().unwrap() > 0),
        "{body}"
    );
    let (hits, _, body) = ids("/api/v1/assets?decade=2010s&limit=100");
    assert!(hits.contains(&"gaia-dr3".to_owned()));
    assert!(
        facet(&body, "decade")
            .iter()
            .any(|v| v["value"] == "2010s" && v["selected"] == true)
    );
    assert_eq!(s.get("/api/v1/assets?skyCell=0/12").status(), 400);
    assert_eq!(s.get("/api/v1/assets?decade=1066s").status(), 400);
}

/// A facet returns its most frequent `facetLimit` values (10 unless asked), with how many more
/// have a count; a selected value is always there.
#[test]
fn facet_limit_keeps_the_most_frequent_values_and_the_selected_ones() {
    let (_dir, s) = demo();
    let full: Value = s.get("/api/v1/assets?facetLimit=100").json().unwrap();
    let keywords = facet(&full, "keyword").clone();
    assert!(keywords.len() > 10, "the demo has many keywords");
    let by_default: Value = s.get("/api/v1/assets").json().unwrap();
    for f in by_default["facets"].as_array().unwrap() {
        let name = f["name"].as_str().unwrap();
        let all = facet(&full, name);
        let shown = f["values"].as_array().unwrap();
        assert_eq!(shown.len(), all.len().min(10), "{name}");
        assert_eq!(
            shown.as_slice(),
            &all[..shown.len()],
            "{name}: the most frequent first"
        );
        let beyond = full["facets"]
            .as_array()
            .unwrap()
            .iter()
            .find(|g| g["name"] == name)
            .unwrap()["otherValues"]
            .as_u64()
            .unwrap();
        assert_eq!(
            f["otherValues"].as_u64().unwrap(),
            (all.len() - shown.len()) as u64 + beyond,
            "{name}"
        );
    }
    // The least frequent keyword, selected, is returned beside the two most frequent.
    let rare = keywords.last().unwrap()["value"]
        .as_str()
        .unwrap()
        .to_owned();
    let two: Value = s
        .get(&format!(
            "/api/v1/assets?facetLimit=2&keyword={}",
            url::form_urlencoded::byte_serialize(rare.as_bytes()).collect::<String>()
        ))
        .json()
        .unwrap();
    let values = facet(&two, "keyword");
    assert_eq!(values.len(), 3, "{values:?}");
    assert_eq!(values[..2], keywords[..2]);
    assert_eq!(values[2]["value"], rare.as_str());
    assert_eq!(values[2]["selected"], true);
}

/// Highlights mark what matched: not a stopword of a concept's label, not the words of a label
/// the hit does not have.
#[test]
fn highlights_mark_only_what_matched() {
    let (_dir, s) = demo();
    for q in ["gaia", "GOCE", "herschel"] {
        let body: Value = s.get(&format!("/api/v1/assets?q={q}")).json().unwrap();
        let hits = body["hits"].as_array().unwrap();
        assert!(!hits.is_empty(), "{q}");
        for h in hits {
            let text = h["highlight"].to_string().to_lowercase();
            for stop in ["and", "for", "the", "of"] {
                assert!(
                    !text.contains(&format!("<mark>{stop}</mark>")),
                    "{q}: {stop} marked in {text}"
                );
            }
        }
    }
    let body: Value = s.get("/api/v1/assets?q=gaia").json().unwrap();
    let dr3 = body["hits"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["id"] == "gaia-dr3")
        .unwrap();
    assert!(
        dr3["highlight"]["name"]
            .as_str()
            .unwrap()
            .contains("<mark>Gaia</mark>"),
        "{dr3}"
    );
    // A stopword alone is what the query has: it is searched and marked.
    let body: Value = s.get("/api/v1/assets?q=and").json().unwrap();
    assert!(body["total"].as_u64().unwrap() > 0);
    assert!(
        body["hits"][0]["highlight"]
            .to_string()
            .contains("<mark>and</mark>")
    );
}

/// When no asset has every word, the search answers with those that have all but one and says
/// so; a feed or an export never widens what was asked.
#[test]
fn a_search_no_asset_fully_matches_falls_back_to_most_words() {
    let (_dir, s) = demo();
    let exact: Value = s.get("/api/v1/assets?q=gaia").json().unwrap();
    assert!(exact.get("relaxed").is_none(), "{exact}");
    let body: Value = s.get("/api/v1/assets?q=gaia+zzyzxq").json().unwrap();
    assert_eq!(body["relaxed"], true, "{body}");
    assert_eq!(body["total"], exact["total"]);
    let ids = |b: &Value| {
        let mut v: Vec<String> = b["hits"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| h["id"].as_str().unwrap().to_owned())
            .collect();
        v.sort();
        v
    };
    assert_eq!(ids(&body), ids(&exact));
    // Three words, two of which match: the hits have both.
    let body: Value = s
        .get("/api/v1/assets?q=gaia+astrometry+zzyzxq")
        .json()
        .unwrap();
    assert_eq!(body["relaxed"], true);
    assert_eq!(body["hits"][0]["id"], "gaia-dr3", "{body}");
    let both: Value = s.get("/api/v1/assets?q=gaia+astrometry").json().unwrap();
    assert_eq!(body["total"], both["total"]);
    // A fielded term is never dropped.
    let body: Value = s.get("/api/v1/assets?q=name:zzyzxq+gaia").json().unwrap();
    assert_eq!(body["total"], 0);
    assert!(body.get("relaxed").is_none());
    // The page says so; the feed keeps every word.
    let page = s.get("/?q=gaia+zzyzxq").text().unwrap();
    assert!(page.contains("all of them but one"), "{page}");
    let feed = s.get("/search.atom?q=gaia+zzyzxq").text().unwrap();
    assert!(feed.contains("<opensearch:totalResults>0<"), "{feed}");
}
