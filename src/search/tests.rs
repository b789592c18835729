//! Search behaviour against brute force over the same assets, for several callers.

use std::collections::{BTreeMap, BTreeSet};

use super::collect::SortBy;
use super::schema::{Facet, keyword_key};
use super::{SearchRequest, SearchResponse};
use crate::access::{self, Caller};
use crate::catalog::Catalog;
use crate::model::asset::Sharing;
use crate::model::fields::Role;
use crate::model::{Asset, Audience, Status};

const LAUNCH: &str = "https://launch.example";

/// A small deterministic generator (xorshift).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
        xs[(self.next() % xs.len() as u64) as usize]
    }
    fn some(&mut self, xs: &[&str], max: u64) -> Vec<String> {
        let n = 1 + self.next() % max;
        let set: BTreeSet<String> = (0..n).map(|_| self.pick(xs).to_owned()).collect();
        set.into_iter().collect()
    }
}

const TYPES: &[&str] = &["Dataset", "Datalab", "Pipeline", "DataVolume"];
const DOMAINS: &[&str] = &["Space Science", "Earth Observation", "Planetary Science"];
const PROPERTIES: &[&str] = &["Analysis Tool", "Visualization Tool", "Query Tool"];
const MISSIONS: &[&str] = &["Gaia", "Planck", "JWST", "Herschel", "Euclid", "GOCE"];
const WAVEBANDS: &[&str] = &["Radio", "Infrared", "Optical", "X-ray"];
const FILETYPES: &[&str] = &["FITS", "VOTable", "CSV"];
const AUDIENCES: &[&str] = &["Researcher", "Student", "Educator"];
const LICENSES: &[&str] = &["CC-BY-4.0", "CC0-1.0", "MIT"];
const KEYWORDS: &[&str] = &[
    "lensing",
    "halo",
    "parallax",
    "Proper Motion",
    "dust",
    "flare",
];
const WORDS: &[&str] = &["star", "galaxy", "nebula", "survey", "mosaic", "cloud"];

fn generate(n: usize, seed: u64) -> Vec<Asset> {
    let mut r = Rng(seed);
    (0..n)
        .map(|i| {
            let status = match r.next() % 10 {
                0 => Status::Draft,
                1 => Status::InReview,
                _ => Status::Published,
            };
            let visibility = match r.next() % 5 {
                0 => Some(Sharing {
                    audience: Some(Audience::Private),
                    users: vec![r.pick(&["u1", "u2"]).to_owned()],
                    groups: vec![],
                }),
                1 => Some(Sharing {
                    audience: Some(Audience::Private),
                    users: vec![],
                    groups: vec![r.pick(&["g1", "g2"]).to_owned()],
                }),
                _ => None,
            };
            Asset {
                id: format!("a{i:04}"),
                kind: r.pick(TYPES).to_owned(),
                name: format!("{} {} {i}", r.pick(MISSIONS), r.pick(WORDS)),
                abstract_: Some(format!("About {} and {}.", r.pick(WORDS), r.pick(WORDS))),
                keywords: r.some(KEYWORDS, 2),
                domain: vec![r.pick(DOMAINS).to_owned()],
                property: r.some(PROPERTIES, 2),
                mission: vec![r.pick(MISSIONS).to_owned()],
                waveband: r.some(WAVEBANDS, 2),
                associated_file_type: r.some(FILETYPES, 1),
                audience_type: vec![r.pick(AUDIENCES).to_owned()],
                license: Some(r.pick(LICENSES).to_owned()),
                esa_official: Some(r.next().is_multiple_of(3)),
                popularity: Some(r.next() % 100),
                status: Some(status),
                visibility,
                ..Asset::default()
            }
        })
        .collect()
}

async fn catalog(dir: &std::path::Path, assets: Vec<Asset>) -> Catalog {
    let catalog = Catalog::open(dir, None, "http://search.test")
        .await
        .expect("open");
    catalog.write(assets).await.expect("write");
    catalog
}

fn callers() -> Vec<Caller> {
    vec![
        Caller::Anonymous,
        Caller::Account {
            user: "u1".into(),
            groups: vec!["g1".into()],
            roles: vec![Role::Developer],
        },
        Caller::Account {
            user: "m".into(),
            groups: vec![],
            roles: vec![Role::Moderator],
        },
    ]
}

fn search(c: &Catalog, caller: &Caller, req: &SearchRequest) -> SearchResponse {
    c.search.search(caller, req, LAUNCH).expect("search")
}

/// Facet counts as the response gives them.
fn counts(resp: &SearchResponse) -> BTreeMap<(String, String), u64> {
    resp.facets
        .iter()
        .flat_map(|f| {
            f.values
                .iter()
                .filter(|v| v.count > 0)
                .map(|v| ((f.name.clone(), v.value.clone()), v.count))
        })
        .collect()
}

fn values(facet: Facet, a: &Asset) -> Vec<String> {
    match facet {
        Facet::Keyword => a.keywords.iter().map(|k| keyword_key(k)).collect(),
        _ => facet.values(a),
    }
}

/// What the response should say, computed by brute force.
fn expected(
    assets: &[Asset],
    caller: &Caller,
    filters: &[(Facet, Vec<String>)],
) -> (BTreeSet<String>, BTreeMap<(String, String), u64>) {
    let visible: Vec<&Asset> = assets
        .iter()
        .filter(|a| access::grant(caller, a).is_some())
        .collect();
    let passes = |a: &Asset, f: &(Facet, Vec<String>)| {
        let v = values(f.0, a);
        f.1.iter()
            .any(|want| v.iter().any(|x| x.eq_ignore_ascii_case(want)))
    };
    let hits: BTreeSet<String> = visible
        .iter()
        .filter(|a| filters.iter().all(|f| passes(a, f)))
        .map(|a| a.id.clone())
        .collect();
    let mut counts = BTreeMap::new();
    for facet in Facet::ALL {
        for a in &visible {
            let others_pass = filters
                .iter()
                .filter(|f| f.0 != facet)
                .all(|f| passes(a, f));
            if others_pass {
                for v in values(facet, a) {
                    *counts.entry((facet.name().to_owned(), v)).or_default() += 1;
                }
            }
        }
    }
    (hits, counts)
}

/// Whether a word of the generated names and abstracts is in an asset's text.
fn has_word(a: &Asset, w: &str) -> bool {
    let text = format!("{} {}", a.name, a.abstract_.as_deref().unwrap_or_default());
    text.split(|c: char| !c.is_alphanumeric())
        .any(|t| t.eq_ignore_ascii_case(w))
}

fn all_pages(c: &Catalog, caller: &Caller, mut req: SearchRequest) -> Vec<String> {
    let mut ids = Vec::new();
    loop {
        let r = search(c, caller, &req);
        ids.extend(r.hits.iter().map(|h| h.id.clone()));
        match r.next_cursor {
            Some(cursor) => req.cursor = Some(cursor),
            None => return ids,
        }
    }
}

#[tokio::test]
async fn totals_hits_and_disjunctive_counts_match_brute_force_for_every_caller() {
    let dir = tempfile::tempdir().expect("tempdir");
    let assets = generate(400, 0x9e37_79b9_7f4a_7c15);
    let c = catalog(dir.path(), assets.clone()).await;
    let mut r = Rng(7);
    let facets = [
        (Facet::Type, TYPES),
        (Facet::Domain, DOMAINS),
        (Facet::Property, PROPERTIES),
        (Facet::Mission, MISSIONS),
        (Facet::Waveband, WAVEBANDS),
        (Facet::FileType, FILETYPES),
        (Facet::Audience, AUDIENCES),
        (Facet::License, LICENSES),
        (Facet::Keyword, KEYWORDS),
        (Facet::EsaOfficial, &["true", "false"][..]),
    ];
    for round in 0..60 {
        let n = r.next() % 4;
        let mut filters: Vec<(Facet, Vec<String>)> = Vec::new();
        for _ in 0..n {
            let (facet, vals) = facets[(r.next() % facets.len() as u64) as usize];
            if filters.iter().any(|f| f.0 == facet) {
                continue;
            }
            let mut v = r.some(vals, 2);
            if facet == Facet::Keyword {
                v = v.iter().map(|k| keyword_key(k)).collect();
            }
            filters.push((facet, v));
        }
        // Two rounds in three also search one or two words of the names and abstracts.
        let words: Vec<&str> = match round % 3 {
            0 => vec![],
            1 => vec![r.pick(WORDS)],
            _ => vec![r.pick(WORDS), r.pick(WORDS)],
        };
        let word = (!words.is_empty()).then(|| words.join(" "));
        let matching: Vec<Asset> = assets
            .iter()
            .filter(|a| words.iter().all(|w| has_word(a, w)))
            .cloned()
            .collect();
        for caller in callers() {
            let req = SearchRequest {
                q: word.clone().unwrap_or_default(),
                filters: filters.clone(),
                limit: Some(100),
                sort: Some(match round % 4 {
                    0 => SortBy::Name,
                    1 | 2 if word.is_some() => SortBy::Relevance,
                    _ => SortBy::Popularity,
                }),
                // The brute force requires every word.
                all_words: true,
                ..SearchRequest::default()
            };
            let (hits, want) = expected(&matching, &caller, &filters);
            let resp = search(&c, &caller, &req);
            let page: Vec<String> = resp.hits.iter().map(|h| h.id.clone()).collect();
            assert_eq!(
                resp.total,
                hits.len() as u64,
                "{caller:?} {word:?} {filters:?}"
            );
            assert_eq!(counts(&resp), want, "{caller:?} {word:?} {filters:?}");
            let paged: Vec<String> = all_pages(&c, &caller, req.clone());
            assert_eq!(
                paged.get(..page.len()),
                Some(&page[..]),
                "the first page starts the walk"
            );
            let paged_set: BTreeSet<String> = paged.iter().cloned().collect();
            assert_eq!(paged.len(), paged_set.len(), "a page repeated a hit");
            assert_eq!(paged_set, hits, "{caller:?} {filters:?}");
            for f in &resp.facets {
                for v in &f.values {
                    let selected = filters
                        .iter()
                        .any(|(ff, vals)| ff.name() == f.name && vals.contains(&v.value));
                    assert_eq!(v.selected, selected, "{} {}", f.name, v.value);
                }
            }
        }
    }
    c.close().await.expect("close");
}

#[tokio::test]
async fn sorted_pages_follow_the_order_and_stay_consistent_while_the_index_changes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut assets = generate(150, 42);
    for a in &mut assets {
        a.status = Some(Status::Published);
        a.visibility = None;
    }
    let c = catalog(dir.path(), assets.clone()).await;
    let mut by_name: Vec<(String, String)> = assets
        .iter()
        .map(|a| (a.name.to_lowercase(), a.id.clone()))
        .collect();
    by_name.sort();
    let req = SearchRequest {
        sort: Some(SortBy::Name),
        limit: Some(10),
        ..SearchRequest::default()
    };
    let first = search(&c, &Caller::Anonymous, &req);
    let first_ids: Vec<String> = first.hits.iter().map(|h| h.id.clone()).collect();
    let want: Vec<String> = by_name.iter().take(10).map(|(_, id)| id.clone()).collect();
    assert_eq!(first_ids, want);

    // The index changes between pages: new assets that sort first, deletions further on.
    let mut fresh = generate(5, 99);
    for (i, a) in fresh.iter_mut().enumerate() {
        a.id = format!("new{i}");
        a.name = format!("AAA new {i}");
        a.status = Some(Status::Published);
        a.visibility = None;
    }
    c.write(fresh).await.expect("write");
    for (_, id) in by_name.iter().skip(50).take(5) {
        assert!(c.delete(id).await.expect("delete"));
    }
    let mut ids = first_ids;
    let mut cursor = first.next_cursor;
    while let Some(cur) = cursor {
        let page = search(
            &c,
            &Caller::Anonymous,
            &SearchRequest {
                cursor: Some(cur),
                ..req.clone()
            },
        );
        ids.extend(page.hits.iter().map(|h| h.id.clone()));
        cursor = page.next_cursor;
    }
    let snapshot: Vec<String> = by_name.iter().map(|(_, id)| id.clone()).collect();
    assert_eq!(ids, snapshot, "pages read the snapshot of the first page");

    // A fresh search sees the changes.
    let now = search(&c, &Caller::Anonymous, &req);
    assert_eq!(now.total, 150);
    assert!(now.hits[0].id.starts_with("new"));

    // Popularity and date orders are total orders too.
    for sort in [SortBy::Popularity, SortBy::DateModified, SortBy::Relevance] {
        let all = all_pages(
            &c,
            &Caller::Anonymous,
            SearchRequest {
                sort: Some(sort),
                limit: Some(7),
                ..SearchRequest::default()
            },
        );
        assert_eq!(all.len(), 150, "{sort:?}");
        assert_eq!(all.iter().collect::<BTreeSet<_>>().len(), 150, "{sort:?}");
    }
    let pops = search(
        &c,
        &Caller::Anonymous,
        &SearchRequest {
            sort: Some(SortBy::Popularity),
            limit: Some(100),
            ..SearchRequest::default()
        },
    );
    let p: Vec<u64> = pops
        .hits
        .iter()
        .map(|h| h.popularity.unwrap_or(0))
        .collect();
    assert!(p.windows(2).all(|w| w[0] >= w[1]), "{p:?}");
    c.close().await.expect("close");
}

#[tokio::test]
async fn writes_deletes_and_withdrawals_show_at_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let c = catalog(dir.path(), generate(10, 5)).await;
    let find = |c: &Catalog, q: &str| {
        search(
            c,
            &Caller::Anonymous,
            &SearchRequest {
                q: q.into(),
                ..SearchRequest::default()
            },
        )
        .total
    };
    let mut a = generate(1, 77).remove(0);
    a.id = "fresh".into();
    a.name = "Zyzzyvan survey".into();
    a.status = Some(Status::Published);
    a.visibility = None;
    let started = std::time::Instant::now();
    c.write(vec![a.clone()]).await.expect("write");
    assert_eq!(find(&c, "zyzzyvan"), 1);
    assert!(started.elapsed() < std::time::Duration::from_secs(1));
    // Withdrawn to a draft: gone for anonymous callers, still there for a moderator.
    a.status = Some(Status::Draft);
    c.write(vec![a.clone()]).await.expect("write");
    assert_eq!(find(&c, "zyzzyvan"), 0);
    let moderator = &callers()[2];
    let r = search(
        &c,
        moderator,
        &SearchRequest {
            q: "zyzzyvan".into(),
            ..SearchRequest::default()
        },
    );
    assert_eq!(r.total, 1);
    a.status = Some(Status::Published);
    c.write(vec![a]).await.expect("write");
    assert_eq!(find(&c, "zyzzyvan"), 1);
    assert!(c.delete("fresh").await.expect("delete"));
    assert_eq!(find(&c, "zyzzyvan"), 0);
    assert!(c.check().await.expect("check").problems.is_empty());
    // Reindexing gives the same answers.
    c.reindex().await.expect("reindex");
    assert_eq!(find(&c, "zyzzyvan"), 0);
    assert!(c.check().await.expect("check").problems.is_empty());
    c.close().await.expect("close");
}

fn named(id: &str, name: &str, text: &str) -> Asset {
    Asset {
        id: id.into(),
        kind: "Dataset".into(),
        name: name.into(),
        description: Some(text.into()),
        status: Some(Status::Published),
        ..Asset::default()
    }
}

#[tokio::test]
async fn relevance_synonyms_typos_stemming_and_operators() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut webb = named(
        "webb",
        "Deep field images",
        "Observations by the James Webb Space Telescope.",
    );
    webb.keywords = vec!["deep field".into()];
    let mut gaia = named("gaia", "Astrometric catalogue", "Positions of stars.");
    gaia.mission = vec!["Gaia".into()];
    let in_name = named("in-name", "Galaxy zoo", "Pictures.");
    let in_text = named("in-text", "Pictures", "A galaxy zoo of many pictures.");
    let galaxies = named("galaxies", "Spectra", "Spectra of distant galaxies.");
    let private = Asset {
        visibility: Some(Sharing {
            audience: Some(Audience::Private),
            users: vec!["u1".into()],
            groups: vec![],
        }),
        ..named("secret", "Canaryname galaxy", "Private notes.")
    };
    let c = catalog(
        dir.path(),
        vec![webb, gaia, in_name, in_text, galaxies, private],
    )
    .await;
    let ids = |q: &str| -> Vec<String> {
        search(
            &c,
            &Caller::Anonymous,
            &SearchRequest {
                q: q.into(),
                ..SearchRequest::default()
            },
        )
        .hits
        .into_iter()
        .map(|h| h.id)
        .collect()
    };
    assert_eq!(ids("JWST"), vec!["webb"], "altLabel synonym");
    assert_eq!(
        ids("\"Gaia DR3\""),
        vec!["gaia"],
        "a release names its mission"
    );
    assert_eq!(ids("Gaia DR3"), vec!["gaia"]);
    assert_eq!(ids("mission:gaia"), vec!["gaia"]);
    let zoo = ids("galaxy zoo");
    assert_eq!(
        zoo[..2],
        ["in-name", "in-text"],
        "name outweighs description"
    );
    assert!(ids("galaxy").contains(&"galaxies".to_owned()), "stemming");
    assert!(ids("galxy").contains(&"in-name".to_owned()), "one typo");
    assert!(ids("galaxi*").contains(&"galaxies".to_owned()), "prefix");
    assert_eq!(ids("\"zoo of many\""), vec!["in-text"], "phrase");
    // Two-word phrases: the words next to each other, in that order, within one value.
    assert_eq!(
        ids("\"galaxy zoo\""),
        vec!["in-name", "in-text"],
        "name first"
    );
    assert!(ids("\"zoo galaxy\"").is_empty(), "order matters");
    assert!(ids("\"galaxy many\"").is_empty(), "adjacent words only");
    assert!(
        ids("\"zoo pictures\"").is_empty(),
        "not across name and description"
    );
    assert_eq!(
        ids("\"distant galaxies\""),
        vec!["galaxies"],
        "stemmed like the text"
    );
    assert_eq!(ids("\"deep field\""), vec!["webb"]);
    assert_eq!(ids("galaxy -zoo"), vec!["galaxies"], "negation");
    assert_eq!(ids("galaxy NOT zoo"), vec!["galaxies"]);
    // An excluded phrase whose first match lies after the first candidate.
    let mut without = ids("-\"many pictures\"");
    without.sort();
    assert_eq!(without, vec!["gaia", "galaxies", "in-name", "webb"]);
    let mut without = ids("(pictures OR spectra) NOT \"zoo of many\"");
    without.sort();
    assert_eq!(without, vec!["galaxies", "in-name"]);
    let mut either = ids("stars OR spectra");
    either.sort();
    assert_eq!(either, vec!["gaia", "galaxies"]);
    assert!(ids("canaryname").is_empty(), "private assets stay hidden");
    let shared = search(
        &c,
        &callers()[1],
        &SearchRequest {
            q: "canaryname".into(),
            ..SearchRequest::default()
        },
    );
    assert_eq!(shared.total, 1, "the user it is shared with finds it");
    let hit = &search(
        &c,
        &Caller::Anonymous,
        &SearchRequest {
            q: "zoo".into(),
            ..SearchRequest::default()
        },
    )
    .hits[0];
    assert_eq!(hit.highlight.name, "Galaxy <mark>zoo</mark>");
    assert_eq!(hit.links.landing_page, "http://search.test/assets/in-name");

    // Suggestions: labels and keywords by frequency, names; never a private one.
    let s = |caller: &Caller, p: &str| -> Vec<String> {
        c.search
            .suggest(caller, p, 10)
            .expect("suggest")
            .into_iter()
            .map(|s| s.text)
            .collect()
    };
    assert_eq!(
        s(&Caller::Anonymous, "gai").first().map(String::as_str),
        Some("Gaia")
    );
    assert!(s(&Caller::Anonymous, "astro").contains(&"Astrometric catalogue".to_owned()));
    assert!(s(&Caller::Anonymous, "galaxy").contains(&"Galaxy zoo".to_owned()));
    assert!(s(&Caller::Anonymous, "deep").contains(&"deep field".to_owned()));
    assert!(s(&Caller::Anonymous, "canary").is_empty());
    assert_eq!(s(&callers()[1], "canary"), vec!["Canaryname galaxy"]);
    assert!(c.delete("in-name").await.expect("delete"));
    assert!(!s(&Caller::Anonymous, "galaxy z").contains(&"Galaxy zoo".to_owned()));
    c.close().await.expect("close");
}

#[tokio::test]
async fn bad_requests_name_the_parameter_and_position() {
    let dir = tempfile::tempdir().expect("tempdir");
    let c = catalog(dir.path(), generate(5, 3)).await;
    let problem = |req: SearchRequest| match c.search.search(&Caller::Anonymous, &req, LAUNCH) {
        Err(super::SearchError::BadRequest(p)) => p,
        other => panic!("expected a bad request, got {other:?}"),
    };
    let p = problem(SearchRequest {
        q: "gaia \"deep".into(),
        ..SearchRequest::default()
    });
    assert_eq!(
        (p[0].parameter.as_deref(), p[0].position),
        (Some("q"), Some(6))
    );
    let p = problem(SearchRequest {
        q: "colour:red".into(),
        ..SearchRequest::default()
    });
    assert_eq!(p[0].position, Some(1));
    let p = problem(SearchRequest {
        filters: vec![(Facet::Mission, vec!["Gaiaa".into()])],
        ..SearchRequest::default()
    });
    assert_eq!(p[0].parameter.as_deref(), Some("mission"));
    assert_eq!(p[0].closest.first().map(String::as_str), Some("Gaia"));
    let p = problem(SearchRequest {
        limit: Some(101),
        ..SearchRequest::default()
    });
    assert_eq!(p[0].parameter.as_deref(), Some("limit"));
    let p = problem(SearchRequest {
        cursor: Some("eyJnIjoxfQ.AAAA".into()),
        ..SearchRequest::default()
    });
    assert_eq!(p[0].parameter.as_deref(), Some("cursor"));
    // A cursor of another query.
    let page = search(
        &c,
        &Caller::Anonymous,
        &SearchRequest {
            limit: Some(1),
            ..SearchRequest::default()
        },
    );
    let p = problem(SearchRequest {
        q: "other".into(),
        limit: Some(1),
        cursor: page.next_cursor,
        ..SearchRequest::default()
    });
    assert_eq!(p[0].parameter.as_deref(), Some("cursor"));
    c.close().await.expect("close");
}

/// A relevance page is tantivy's own ranking of the planned query (concept labels, near
/// spellings, OR, NOT, a prefix beside a word), for a caller who sees everything and for one
/// whose visibility is a clause of the query (scored by the statistics of public documents):
/// the same total, each score tantivy's, and the page the best of all matches.
#[tokio::test]
async fn relevance_pages_are_tantivys_ranking_of_the_planned_query() {
    use tantivy::TantivyDocument;
    use tantivy::collector::TopDocs;
    use tantivy::schema::document::Value;

    use super::plan::Planner;
    use super::schema::StoredHit;

    let dir = tempfile::tempdir().expect("tempdir");
    let mut assets = generate(600, 0x5eed_1eaf);
    for a in &mut assets {
        a.status = Some(Status::Published);
        a.visibility = None;
    }
    let c = catalog(dir.path(), assets).await;
    let index = &c.search;
    let searcher = index.searcher();
    // Tantivy's scores of every match of a query, by asset id.
    // (With the statistics of public documents for a caller who cannot see everything.)
    let tantivy_scores = |q: &str, public: bool| -> BTreeMap<String, f32> {
        let node = super::query::parse(q).expect("parse").expect("a query");
        let mut planner = Planner::new(
            &index.fields,
            &index.vocab,
            &index.labels,
            &searcher,
            &index.near,
        );
        let query = planner.plan(&node).expect("plan").expect("a query");
        let collector = TopDocs::with_limit(10_000).order_by_score();
        let top = match public {
            true => searcher.search_with_statistics_provider(
                &*query,
                &collector,
                &index.public.of(&searcher),
            ),
            false => searcher.search(&*query, &collector),
        }
        .expect("tantivy search");
        top.into_iter()
            .map(|(score, address)| {
                let doc: TantivyDocument = searcher.doc(address).expect("doc");
                let stored: StoredHit = doc
                    .get_first(index.fields.hit)
                    .and_then(|v| v.as_str())
                    .and_then(|s| serde_json::from_str(s).ok())
                    .expect("stored hit");
                (stored.id, score)
            })
            .collect()
    };
    let (anonymous, moderator) = (&callers()[0], &callers()[2]);
    for q in [
        "Gaia star",
        "Planck",
        "JWST galaxy",
        "galxy",
        "nebulla survey",
        "star OR nebula",
        "Gaia OR Herschel",
        "Gaia -cloud",
        "gal* star",
        "\"Gaia DR3\" OR mosaic",
        "(star OR galaxy) (cloud OR survey)",
    ] {
        let mut pages = Vec::new();
        for caller in [moderator, anonymous] {
            let want = tantivy_scores(q, caller == anonymous);
            let req = SearchRequest {
                q: q.into(),
                sort: Some(SortBy::Relevance),
                limit: Some(100),
                ..SearchRequest::default()
            };
            let resp = search(&c, caller, &req);
            assert_eq!(resp.total, want.len() as u64, "{q:?} {caller:?}");
            assert!(!resp.hits.is_empty(), "{q:?} finds something");
            for h in &resp.hits {
                let got = h.score.expect("a relevance score");
                let theirs = want.get(&h.id).copied().expect("tantivy matches it too");
                assert!(
                    (got - theirs).abs() <= 1e-5 * theirs.abs().max(1.0),
                    "{q:?} {caller:?} {}: {got} vs tantivy's {theirs}",
                    h.id
                );
            }
            // The page is the best of all matches.
            let mut best: Vec<f32> = want.values().copied().collect();
            best.sort_by(|a, b| b.total_cmp(a));
            let floor = best[resp.hits.len() - 1];
            for h in &resp.hits {
                assert!(h.score.expect("score") >= floor - 1e-5 * floor.abs().max(1.0));
            }
            pages.push(
                resp.hits
                    .iter()
                    .map(|h| (h.id.clone(), h.score))
                    .collect::<Vec<_>>(),
            );
        }
        // Every asset is public here: both rankings find the same hits.
        let ids =
            |p: &Vec<(String, Option<f32>)>| p.iter().map(|h| h.0.clone()).collect::<BTreeSet<_>>();
        assert_eq!(
            ids(&pages[0]),
            ids(&pages[1]),
            "{q:?}: the same hits whoever asks"
        );
    }
    c.close().await.expect("close");
}

/// Near spellings are remembered per index generation: a word written later is a near
/// spelling of a typo at once.
#[tokio::test]
async fn a_typo_finds_a_word_written_after_it_was_first_searched() {
    let dir = tempfile::tempdir().expect("tempdir");
    let c = catalog(
        dir.path(),
        vec![named("pics", "Pictures", "Plain pictures.")],
    )
    .await;
    let ids = |q: &str| -> Vec<String> {
        let req = SearchRequest {
            q: q.into(),
            ..SearchRequest::default()
        };
        search(&c, &Caller::Anonymous, &req)
            .hits
            .into_iter()
            .map(|h| h.id)
            .collect()
    };
    assert!(ids("nebulla").is_empty());
    c.write(vec![named("neb", "Nebula atlas", "Maps.")])
        .await
        .expect("write");
    assert_eq!(ids("nebulla"), vec!["neb"]);
    assert_eq!(ids("picturess"), vec!["pics"]);
    c.close().await.expect("close");
}

#[tokio::test]
async fn sorted_pages_follow_the_order_when_the_hits_come_late_in_it() {
    // 250 assets that do not match sort before 150 that do; searches with a filter make the
    // hits sparse, others dense. Every page size is followed to the end by cursor.
    let dir = tempfile::tempdir().expect("tempdir");
    let mut assets = Vec::new();
    for i in 0..400 {
        let (name, text) = match i < 250 {
            true => (format!("aa {i:03}"), "plain".to_owned()),
            false => (format!("zz {i:03}"), "zebra".to_owned()),
        };
        let mut a = named(&format!("a{i:03}"), &name, &text);
        a.popularity = Some(if i < 250 { 1_000 + i } else { 400 - i });
        a.keywords = vec![if i % 3 == 0 { "odd" } else { "even" }.to_owned()];
        assets.push(a);
    }
    let c = catalog(dir.path(), assets.clone()).await;
    for (q, keyword) in [("zebra", None), ("", None), ("zebra", Some("odd"))] {
        for sort in [SortBy::Name, SortBy::Popularity] {
            let mut want: Vec<&Asset> = assets
                .iter()
                .filter(|a| q.is_empty() || a.description.as_deref() == Some(q))
                .filter(|a| keyword.is_none_or(|k| a.keywords[0] == k))
                .collect();
            match sort {
                SortBy::Name => want.sort_by_key(|a| a.name.clone()),
                _ => want.sort_by_key(|a| std::cmp::Reverse(a.popularity)),
            }
            let want: Vec<String> = want.iter().map(|a| a.id.clone()).collect();
            let filters = keyword
                .map(|k| vec![(Facet::Keyword, vec![k.to_owned()])])
                .unwrap_or_default();
            for limit in [1, 7, 100] {
                let req = SearchRequest {
                    q: q.to_owned(),
                    filters: filters.clone(),
                    sort: Some(sort),
                    limit: Some(limit),
                    ..SearchRequest::default()
                };
                let got = all_pages(&c, &Caller::Anonymous, req);
                assert_eq!(got, want, "{q:?} {keyword:?} {sort:?} {limit}");
            }
        }
    }
    c.close().await.expect("close");
}

/// Hits of equal score come in the order of their tie-breaks, on pages of every size followed
/// to the end: the page keeps the right ones among hundreds of ties.
#[tokio::test]
async fn tied_scores_follow_the_tie_break_on_every_page() {
    use super::schema::Fnv;

    let dir = tempfile::tempdir().expect("tempdir");
    // 300 assets of one text (one score for all) and 100 that do not match.
    let mut assets: Vec<Asset> = (0..300)
        .map(|i| named(&format!("t{i:03}"), "Tied comet", "comet tail"))
        .collect();
    assets.extend((0..100).map(|i| named(&format!("o{i:03}"), "Other", "plain")));
    let c = catalog(dir.path(), assets).await;
    let mut want: Vec<String> = (0..300).map(|i| format!("t{i:03}")).collect();
    want.sort_by_key(|id| Fnv::hash(id.as_bytes()));
    for limit in [1, 7, 20, 100] {
        let req = SearchRequest {
            q: "comet".into(),
            sort: Some(SortBy::Relevance),
            limit: Some(limit),
            ..SearchRequest::default()
        };
        let got = all_pages(&c, &callers()[0], req);
        assert_eq!(got, want, "pages of {limit}");
    }
    c.close().await.expect("close");
}

/// Sky, time and spectral filters give exactly the assets whose coverage meets them, with
/// exact totals and facet counts, alone and with text: compared with the coverage model's own
/// set operations on every asset.
#[tokio::test]
async fn coverage_filters_find_exactly_what_the_coverage_meets() {
    use super::coverage::{CoverageFilter, Relation, parse_sky};
    use crate::model::asset::{Coverage, SkyRegion};
    use crate::model::coverage::{self, EnergyInterval, TimeInterval};
    let dir = tempfile::tempdir().expect("tempdir");
    let mut assets = generate(400, 23);
    let mut r = Rng(77);
    let unit = |r: &mut Rng| (r.next() % 1_000_000) as f64 / 1_000_000.0;
    for (i, a) in assets.iter_mut().enumerate() {
        a.status = Some(Status::Published);
        a.visibility = None;
        if i % 7 == 0 {
            continue;
        }
        let (ra, dec) = (unit(&mut r) * 360.0, unit(&mut r) * 160.0 - 80.0);
        let radius = 0.2 + unit(&mut r) * 25.0;
        let start = 1990 + r.next() % 30;
        let bands = [
            "400 nm/700 nm",
            "1 keV/10 keV",
            "88 MHz/102 MHz",
            "Infrared",
            "10 um/20 um",
        ];
        a.coverage = Some(Coverage {
            temporal: (i % 5 != 0).then(|| format!("{start}-01-01/{}-06-30", start + r.next() % 8)),
            sky: (i % 3 != 0).then(|| SkyRegion {
                frame: "ICRS".into(),
                circle: Some(vec![ra, dec, radius]),
                polygon: None,
                moc: None,
            }),
            spatial: None,
            spectral: if i % 4 == 0 {
                vec![]
            } else {
                vec![r.pick(&bands).to_owned()]
            },
        });
    }
    let c = catalog(dir.path(), assets.clone()).await;
    let skies: BTreeMap<String, crate::model::coverage::Sky> = assets
        .iter()
        .filter_map(|a| {
            let s = a.coverage.as_ref()?.sky.as_ref()?;
            Some((a.id.clone(), coverage::sky(s).ok()?))
        })
        .collect();
    let sky_of = |a: &Asset| skies.get(&a.id);
    let mut checked = 0;
    for k in 0..60u64 {
        let (ra, dec) = (unit(&mut r) * 360.0, unit(&mut r) * 160.0 - 80.0);
        let text = match k % 3 {
            0 => format!("{ra},{dec},{}", 1.0 + unit(&mut r) * 30.0),
            1 => format!(
                "{ra},{dec},{},{dec},{},{}",
                (ra + 10.0) % 360.0,
                (ra + 5.0) % 360.0,
                (dec + 8.0).min(89.0)
            ),
            _ => crate::model::coverage::Sky::cone(ra, dec, 20.0, 4)
                .unwrap()
                .to_ascii(),
        };
        let region = parse_sky(&text).unwrap();
        let relation = [Relation::Overlaps, Relation::Covers, Relation::Enclosed][(k % 3) as usize];
        let time = (k % 2 == 0).then(|| {
            let y = 1990 + r.next() % 35;
            TimeInterval::parse(&format!("{y}/{}", y + 2)).unwrap()
        });
        let spectral = (k % 4 == 1).then(|| EnergyInterval::parse("500 nm").unwrap());
        let q = if k % 5 == 0 { r.pick(WORDS) } else { "" };
        let req = SearchRequest {
            q: q.to_owned(),
            limit: Some(100),
            facet_limit: Some(crate::search::MAX_FACET_LIMIT),
            coverage: CoverageFilter {
                sky: Some((region.clone(), relation)),
                time,
                spectral,
            },
            ..SearchRequest::default()
        };
        let resp = search(&c, &Caller::Anonymous, &req);
        let want: BTreeSet<String> = assets
            .iter()
            .filter(|a| {
                let Some(sky) = sky_of(a) else { return false };
                let ok = match relation {
                    Relation::Overlaps => sky.overlaps(&region),
                    Relation::Covers => sky.covers(&region),
                    Relation::Enclosed => region.covers(sky),
                };
                let cov = a.coverage.as_ref().unwrap();
                ok && time.is_none_or(|t| coverage::time(cov).is_some_and(|x| x.overlaps(&t)))
                    && spectral
                        .is_none_or(|s| coverage::spectral(cov).iter().any(|b| b.overlaps(&s)))
            })
            .filter(|a| {
                q.is_empty() || {
                    let text = format!("{} {}", a.name, a.abstract_.clone().unwrap_or_default());
                    text.to_lowercase().contains(q)
                }
            })
            .map(|a| a.id.clone())
            .collect();
        let got: BTreeSet<String> = resp.hits.iter().map(|h| h.id.clone()).collect();
        if q.is_empty() {
            assert_eq!(got, want, "{text} {relation:?} {time:?} {spectral:?}");
            assert_eq!(resp.total as usize, want.len());
            let types = counts(&resp);
            for t in TYPES {
                let n = assets
                    .iter()
                    .filter(|a| want.contains(&a.id) && a.kind == *t)
                    .count() as u64;
                assert_eq!(
                    types
                        .get(&("type".to_owned(), (*t).to_owned()))
                        .copied()
                        .unwrap_or(0),
                    n,
                    "{t}: {text}"
                );
            }
            // The sky-cell and decade facets count what the filter keeps.
            for facet in [Facet::SkyCell, Facet::Decade] {
                let mut want_counts: BTreeMap<(String, String), u64> = BTreeMap::new();
                for a in assets.iter().filter(|a| want.contains(&a.id)) {
                    for v in facet.values(a) {
                        *want_counts.entry((facet.name().to_owned(), v)).or_default() += 1;
                    }
                }
                let got_counts: BTreeMap<(String, String), u64> = types
                    .iter()
                    .filter(|((f, _), _)| f == facet.name())
                    .map(|(k, v)| (k.clone(), *v))
                    .collect();
                assert_eq!(got_counts, want_counts, "{}: {text}", facet.name());
            }
        } else {
            // Text matching is the search's own (stems, labels): the filter only narrows it.
            assert!(got.is_subset(&want), "{q} {text}");
            assert_eq!(resp.total as usize, got.len());
        }
        checked += want.len();
    }
    assert!(checked > 100, "the filters found something: {checked}");
}

/// Private assets leave no trace in what others see of a search, scores included: a public
/// hit scores exactly the same for an anonymous caller and for a sharee whether or not
/// private assets share its words (for a curator, who sees them, they count).
#[tokio::test]
async fn private_assets_do_not_move_the_scores_of_public_hits() {
    let public = || {
        vec![
            named("p1", "Comet tails", "Dust and ions of a comet."),
            named("p2", "Comet survey", "A survey of comets and asteroids."),
            named("p3", "Asteroid belt", "Rocks between Mars and Jupiter."),
        ]
    };
    let mut with_private = public();
    for i in 0..5 {
        let mut a = named(
            &format!("secret{i}"),
            "Comet comet comet",
            "An unpublished comet study of many comet words, comet after comet.",
        );
        a.visibility = Some(Sharing {
            audience: Some(Audience::Private),
            users: vec!["someone".into()],
            groups: vec![],
        });
        with_private.push(a);
    }
    let (d1, d2) = (
        tempfile::tempdir().expect("tempdir"),
        tempfile::tempdir().expect("tempdir"),
    );
    let plain = catalog(d1.path(), public()).await;
    let mixed = catalog(d2.path(), with_private).await;
    let scores = |c: &Catalog, caller: &Caller, q: &str| -> Vec<(String, Option<f32>)> {
        let req = SearchRequest {
            q: q.into(),
            sort: Some(SortBy::Relevance),
            ..SearchRequest::default()
        };
        search(c, caller, &req)
            .hits
            .into_iter()
            .filter(|h| h.id.starts_with('p'))
            .map(|h| (h.id, h.score))
            .collect()
    };
    let sharee = Caller::Account {
        user: "reader".into(),
        groups: vec![],
        roles: vec![],
    };
    for q in ["comet", "comet survey", "comet OR asteroid"] {
        for caller in [&Caller::Anonymous, &sharee] {
            let want = scores(&plain, caller, q);
            assert!(!want.is_empty(), "{q:?} finds public assets");
            assert_eq!(scores(&mixed, caller, q), want, "{q:?} for {caller:?}");
        }
        assert_ne!(
            scores(&mixed, &Caller::Operator, q),
            scores(&plain, &Caller::Operator, q),
            "{q:?}: the private assets count for who sees them"
        );
    }
    plain.close().await.expect("close");
    mixed.close().await.expect("close");
}
