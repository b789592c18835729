//! schema.org and DCAT resources as asset documents.
//!
//! The class picks the asset type: `schema:Dataset`, `dcat:Dataset` and `dcat:DatasetSeries`
//! a Dataset; `schema:SoftwareApplication` and `schema:WebApplication` a Datalab;
//! `schema:ComputationalWorkflow` (schema.org's or Bioschemas') a Pipeline. Each field is read
//! from the schema.org property first and the DCAT / Dublin Core one after (the catalogue's
//! own exports write both): name (`schema:name`, `dct:title`), description, keywords, licence
//! (by SPDX id, IRI or label, against the licence catalogue), version, creators and publisher
//! (persons and organisations, ORCID, email, affiliation; `foaf:`/`vcard:` agents), DOI,
//! landing page, dates, temporal coverage (`schema:temporalCoverage`, `dct:temporal` with its
//! start and end), a place on Earth (`schema:spatialCoverage` with a `GeoShape` box,
//! `dct:spatial` with `dcat:bbox`), distributions (`schema:DataDownload`, `dcat:Distribution`)
//! and the citation. Values are clipped to the asset document's limits.

use oxigraph::model::{NamedOrBlankNodeRef, TermRef};

use super::Imported;
use super::graph::{Graph, SDO, as_node, subject_text, term_text};
use crate::model::asset::{Agent, AgentKind, Coverage, Distribution, PipelineInfo, Place};
use crate::model::text::{clip, licence, slug, split_text};
use crate::model::{Asset, Scheme, Vocabularies};

const DCAT: &str = "http://www.w3.org/ns/dcat#";
const DCT: &str = "http://purl.org/dc/terms/";
const FOAF: &str = "http://xmlns.com/foaf/0.1/";
const VCARD: &str = "http://www.w3.org/2006/vcard/ns#";
const OWL_VERSION: &str = "http://www.w3.org/2002/07/owl#versionInfo";
const ADMS: &str = "http://www.w3.org/ns/adms#";
const SKOS_NOTATION: &str = "http://www.w3.org/2004/02/skos/core#notation";
const SKOS_PREF: &str = "http://www.w3.org/2004/02/skos/core#prefLabel";
const RDFS_LABEL: &str = "http://www.w3.org/2000/01/rdf-schema#label";
const LOCN_GEOMETRY: &str = "http://www.w3.org/ns/locn#geometry";
const TIME: &str = "http://www.w3.org/2006/time#";
const BIOSCHEMAS_WORKFLOW: &str = "https://bioschemas.org/ComputationalWorkflow";

fn sdo(local: &str) -> String {
    format!("{SDO}{local}")
}

/// The asset type of a resource's classes.
fn kind_of(types: &[String]) -> Option<&'static str> {
    let has = |iri: &str| types.iter().any(|t| t == iri);
    if has(&sdo("ComputationalWorkflow")) || has(BIOSCHEMAS_WORKFLOW) {
        Some("Pipeline")
    } else if has(&sdo("SoftwareApplication")) || has(&sdo("WebApplication")) {
        Some("Datalab")
    } else if has(&sdo("Dataset"))
        || has(&format!("{DCAT}Dataset"))
        || has(&format!("{DCAT}DatasetSeries"))
    {
        Some("Dataset")
    } else {
        None
    }
}

/// Every resource of a class the catalogue knows, as an asset.
pub fn assets(g: &Graph, vocab: &Vocabularies) -> Vec<Imported> {
    let classes = [
        sdo("Dataset"),
        sdo("SoftwareApplication"),
        sdo("WebApplication"),
        sdo("ComputationalWorkflow"),
        BIOSCHEMAS_WORKFLOW.to_owned(),
        format!("{DCAT}Dataset"),
        format!("{DCAT}DatasetSeries"),
    ];
    let refs: Vec<&str> = classes.iter().map(String::as_str).collect();
    let mut taken: Vec<String> = Vec::new();
    let mut out = Vec::new();
    for s in g.typed(&refs) {
        let Some(kind) = kind_of(&g.types(s.as_ref())) else {
            continue;
        };
        let mut imported = resource(g, s.as_ref(), kind, vocab);
        // Two resources of one document never share an id.
        let base = imported.asset.id.clone();
        let mut n = 1;
        while taken.contains(&imported.asset.id) {
            n += 1;
            imported.asset.id = format!("{}-{n}", clip(&base, 60));
        }
        taken.push(imported.asset.id.clone());
        out.push(imported);
    }
    out
}

/// An id from a resource's IRI (its last path segment or fragment), else from its name.
fn id_of(s: NamedOrBlankNodeRef<'_>, name: &str) -> String {
    if let NamedOrBlankNodeRef::NamedNode(n) = s {
        let iri = n.as_str().trim_end_matches(['/', '#']);
        let tail = iri.rsplit(['/', '#', ':']).next().unwrap_or(iri);
        let id = slug(tail, "");
        if !id.is_empty() && id.chars().any(|c| c.is_ascii_alphabetic()) {
            return id;
        }
    }
    slug(name, "asset")
}

fn resource(g: &Graph, s: NamedOrBlankNodeRef<'_>, kind: &str, vocab: &Vocabularies) -> Imported {
    let mut notices = Vec::new();
    let name = g
        .text(s, &[&sdo("name"), &format!("{DCT}title"), RDFS_LABEL])
        .unwrap_or_else(|| subject_text(s));
    let text = g.text(s, &[&sdo("description"), &format!("{DCT}description")]);
    let (first, description) = text.as_deref().map(split_text).unwrap_or_default();
    let abstract_ = g
        .text(s, &[&sdo("abstract")])
        .map(|a| clip(&a, 5000))
        .or(first);
    let description = description.or_else(|| {
        // A one-paragraph description is the abstract, unless an abstract was given.
        g.text(s, &[&sdo("abstract")]).and(text.clone())
    });
    let mut keywords: Vec<String> = Vec::new();
    for k in g.first_of(s, &[&sdo("keywords"), &format!("{DCAT}keyword")]) {
        let words: Vec<String> = match k {
            TermRef::Literal(l) => l.value().split(',').map(|w| w.trim().to_owned()).collect(),
            other => as_node(other)
                .and_then(|n| g.text(n, &[&sdo("name"), SKOS_PREF, RDFS_LABEL]))
                .into_iter()
                .collect(),
        };
        for w in words {
            if !w.is_empty() && !keywords.contains(&w) && keywords.len() < 100 {
                keywords.push(clip(&w, 200));
            }
        }
    }
    let license = license_of(g, s, vocab, &mut notices);
    let creator: Vec<Agent> = g
        .first_of(
            s,
            &[&sdo("creator"), &sdo("author"), &format!("{DCT}creator")],
        )
        .into_iter()
        .filter_map(|t| agent(g, t))
        .take(200)
        .collect();
    let publisher = g
        .first_of(s, &[&sdo("publisher"), &format!("{DCT}publisher")])
        .into_iter()
        .find_map(|t| agent(g, t));
    let identifier = doi(g, s);
    let url = g
        .first_of(
            s,
            &[
                &sdo("url"),
                &format!("{DCAT}landingPage"),
                &format!("{FOAF}homepage"),
            ],
        )
        .into_iter()
        .map(term_text)
        .find(|u| u.starts_with("http://") || u.starts_with("https://"));
    let version = g.text(
        s,
        &[
            &sdo("version"),
            &sdo("softwareVersion"),
            &format!("{DCAT}version"),
            OWL_VERSION,
            &format!("{ADMS}version"),
        ],
    );
    let date = |preds: &[&str]| g.text(s, preds).and_then(|d| iso_date(&d));
    // The catalogue's publication and modification times are date-times.
    let stamp = |preds: &[&str]| {
        date(preds).map(|d| {
            if d.len() == 10 {
                format!("{d}T00:00:00Z")
            } else {
                d
            }
        })
    };
    let citation = g
        .first_of(
            s,
            &[&sdo("citation"), &format!("{DCT}bibliographicCitation")],
        )
        .into_iter()
        .find_map(|t| match t {
            TermRef::Literal(l) => Some(l.value().to_owned()),
            TermRef::NamedNode(n) => Some(n.as_str().to_owned()),
            TermRef::BlankNode(b) => {
                g.text(b.into(), &[&sdo("name"), &sdo("url"), &sdo("identifier")])
            }
            #[allow(unreachable_patterns)]
            _ => None,
        })
        .map(|c| clip(&c, 2000));
    let temporal = temporal(g, s);
    let spatial = spatial(g, s);
    let coverage = (temporal.is_some() || spatial.is_some()).then(|| Coverage {
        temporal,
        spatial,
        ..Coverage::default()
    });
    let distribution = distributions(g, s, vocab, &mut notices);
    let asset = Asset {
        id: id_of(s, &name),
        kind: kind.to_owned(),
        name: clip(&name, 500),
        alternate_name: g.text(s, &[&sdo("alternateName")]).map(|a| clip(&a, 500)),
        abstract_,
        description: description.map(|d| clip(&d, 100_000)),
        keywords,
        license,
        version: version.map(|v| clip(&v, 100)),
        creator,
        publisher,
        identifier,
        url,
        citation,
        coverage,
        distribution,
        date_created: date(&[&sdo("dateCreated")]),
        date_published: stamp(&[&sdo("datePublished"), &format!("{DCT}issued")]),
        date_modified: stamp(&[&sdo("dateModified"), &format!("{DCT}modified")]),
        pipeline: (kind == "Pipeline").then(PipelineInfo::default),
        ..Asset::default()
    };
    Imported {
        subject: subject_text(s),
        asset,
        notices,
    }
}

/// A date or date-time as the asset document writes it: `YYYY-MM-DD`, or the RFC 3339
/// date-time as given.
fn iso_date(d: &str) -> Option<String> {
    let d = d.trim();
    if chrono::DateTime::parse_from_rfc3339(d).is_ok() {
        return Some(d.to_owned());
    }
    let day = d.get(..10)?;
    chrono::NaiveDate::parse_from_str(day, "%Y-%m-%d")
        .ok()
        .map(|_| day.to_owned())
}

/// The licence, by the catalogue's id or label, by its IRI, or by the IRI's last segment
/// (`https://spdx.org/licenses/CC-BY-4.0` is `CC-BY-4.0`).
fn license_of(
    g: &Graph,
    s: NamedOrBlankNodeRef<'_>,
    vocab: &Vocabularies,
    notices: &mut Vec<String>,
) -> Option<String> {
    let found = g.first_of(s, &[&sdo("license"), &format!("{DCT}license")]);
    let first = found.first().copied()?;
    let mut candidates: Vec<String> = Vec::new();
    if let TermRef::Literal(_) | TermRef::NamedNode(_) = first {
        let text = term_text(first);
        let tail = text
            .trim_end_matches('/')
            .rsplit('/')
            .next()
            .unwrap_or(&text)
            .trim_end_matches(".html")
            .trim_end_matches(".json")
            .to_owned();
        candidates.push(text.clone());
        if tail != text {
            candidates.push(tail);
        }
    }
    if let Some(node) = as_node(first) {
        for p in [
            sdo("identifier"),
            sdo("name"),
            format!("{DCT}identifier"),
            format!("{DCT}title"),
            RDFS_LABEL.to_owned(),
        ] {
            if let Some(t) = g.text(node, &[&p]) {
                candidates.push(t);
            }
        }
    }
    let mut quiet = Vec::new();
    for c in &candidates {
        if let Some(l) = licence(vocab, c, &mut quiet) {
            return Some(l);
        }
    }
    notices.push(format!(
        "licence {} is not in the licence catalogue: left out",
        candidates
            .first()
            .map_or("(unnamed)".to_owned(), |c| format!("{c:?}"))
    ));
    None
}

/// A person or organisation: its name (schema.org, FOAF or vCard), email, ORCID, affiliation.
fn agent(g: &Graph, t: TermRef<'_>) -> Option<Agent> {
    let node = match t {
        TermRef::Literal(l) => {
            let name = l.value().trim();
            return (!name.is_empty()).then(|| Agent {
                name: clip(name, 500),
                ..Agent::default()
            });
        }
        other => as_node(other)?,
    };
    let types = g.types(node);
    let is = |local: &str| {
        types.iter().any(|t| {
            *t == sdo(local)
                || *t == format!("{FOAF}{local}")
                || (local == "Organization" && *t == format!("{VCARD}Organization"))
                || (local == "Person" && *t == format!("{VCARD}Individual"))
        })
    };
    let given = g.text(node, &[&sdo("givenName")]);
    let family = g.text(node, &[&sdo("familyName")]);
    let name = g
        .text(
            node,
            &[
                &sdo("name"),
                &format!("{FOAF}name"),
                &format!("{VCARD}fn"),
                &format!("{VCARD}organization-name"),
                RDFS_LABEL,
                SKOS_PREF,
            ],
        )
        .or_else(|| match (given, family) {
            (Some(g), Some(f)) => Some(format!("{g} {f}")),
            (Some(n), None) | (None, Some(n)) => Some(n),
            (None, None) => None,
        })?;
    let email = g
        .text(
            node,
            &[
                &sdo("email"),
                &format!("{FOAF}mbox"),
                &format!("{VCARD}hasEmail"),
            ],
        )
        .map(|e| e.trim_start_matches("mailto:").to_owned())
        .filter(|e| e.contains('@'));
    let iri = match node {
        NamedOrBlankNodeRef::NamedNode(n) => Some(n.as_str().to_owned()),
        NamedOrBlankNodeRef::BlankNode(_) => None,
    };
    let orcid = iri
        .into_iter()
        .chain(g.texts(node, &[&sdo("identifier")]))
        .chain(g.texts(node, &[&sdo("sameAs")]))
        .find_map(|x| orcid(&x));
    let affiliation = g
        .first_of(node, &[&sdo("affiliation"), &sdo("memberOf")])
        .into_iter()
        .find_map(|a| match a {
            TermRef::Literal(l) => Some(l.value().to_owned()),
            other => {
                as_node(other).and_then(|n| g.text(n, &[&sdo("name"), &format!("{FOAF}name")]))
            }
        });
    let url = g
        .text(node, &[&sdo("url"), &format!("{FOAF}homepage")])
        .filter(|u| u.starts_with("http"));
    Some(Agent {
        name: clip(&name, 500),
        kind: if is("Organization") {
            Some(AgentKind::Organization)
        } else if is("Person") {
            Some(AgentKind::Person)
        } else {
            None
        },
        email,
        orcid,
        affiliation: affiliation.map(|a| clip(&a, 500)),
        url,
    })
}

/// An ORCID iD as `https://orcid.org/…`, from an IRI or a bare id.
fn orcid(x: &str) -> Option<String> {
    let id = x
        .trim()
        .trim_start_matches("https://orcid.org/")
        .trim_start_matches("http://orcid.org/")
        .trim_start_matches("orcid:");
    let ok = id.len() == 19
        && id.chars().enumerate().all(|(i, c)| match i {
            4 | 9 | 14 => c == '-',
            18 => c.is_ascii_digit() || c == 'X',
            _ => c.is_ascii_digit(),
        });
    (ok && x.contains("orcid")).then(|| format!("https://orcid.org/{id}"))
}

/// The resource's DOI, as `doi:10.…`, from `schema:identifier` (text, IRI or
/// `PropertyValue`), `dct:identifier`, `adms:identifier` or `schema:sameAs`.
fn doi(g: &Graph, s: NamedOrBlankNodeRef<'_>) -> Option<String> {
    let mut texts: Vec<String> = Vec::new();
    for p in [
        sdo("identifier"),
        format!("{DCT}identifier"),
        format!("{ADMS}identifier"),
        sdo("sameAs"),
    ] {
        for t in g.first_of(s, &[&p]) {
            match t {
                TermRef::Literal(l) => texts.push(l.value().to_owned()),
                TermRef::NamedNode(n) => {
                    texts.push(n.as_str().to_owned());
                    texts.extend(g.texts(n.into(), &[&sdo("value"), SKOS_NOTATION, &sdo("url")]));
                }
                TermRef::BlankNode(b) => {
                    texts.extend(g.texts(b.into(), &[&sdo("value"), SKOS_NOTATION, &sdo("url")]));
                }
                #[allow(unreachable_patterns)]
                _ => {}
            }
        }
    }
    texts.iter().find_map(|t| {
        let t = t.trim();
        let rest = t
            .trim_start_matches("https://doi.org/")
            .trim_start_matches("http://doi.org/")
            .trim_start_matches("https://dx.doi.org/")
            .trim_start_matches("doi:");
        (rest.starts_with("10.") && rest.contains('/') && !rest.contains(char::is_whitespace))
            .then(|| format!("doi:{rest}"))
    })
}

/// The temporal coverage as an ISO 8601 interval (`..` for an open end).
fn temporal(g: &Graph, s: NamedOrBlankNodeRef<'_>) -> Option<String> {
    if let Some(t) = g.text(s, &[&sdo("temporalCoverage")]) {
        let t = t.trim();
        if let Some((a, b)) = t.split_once('/') {
            let a = if a.is_empty() { ".." } else { a };
            let b = if b.is_empty() { ".." } else { b };
            return Some(format!("{a}/{b}"));
        }
        if iso_date(t).is_some() || t.len() == 4 && t.chars().all(|c| c.is_ascii_digit()) {
            return Some(format!("{t}/{t}"));
        }
    }
    for period in g.first_of(s, &[&format!("{DCT}temporal")]) {
        let Some(p) = as_node(period) else { continue };
        // A bound is a DCAT or schema.org date, or an OWL-Time instant.
        let bound = |date: &str, instant: &str| {
            g.text(p, &[&format!("{DCAT}{date}"), &sdo(date)])
                .or_else(|| {
                    g.first_of(p, &[&format!("{TIME}{instant}")])
                        .into_iter()
                        .filter_map(as_node)
                        .find_map(|i| {
                            let stamps = ["inXSDDateTimeStamp", "inXSDDate", "inXSDDateTime"]
                                .map(|x| format!("{TIME}{x}"));
                            let refs: Vec<&str> = stamps.iter().map(String::as_str).collect();
                            g.text(i, &refs)
                        })
                })
        };
        let (start, end) = (
            bound("startDate", "hasBeginning"),
            bound("endDate", "hasEnd"),
        );
        if start.is_some() || end.is_some() {
            return Some(format!(
                "{}/{}",
                start.as_deref().unwrap_or(".."),
                end.as_deref().unwrap_or("..")
            ));
        }
    }
    None
}

/// A place on Earth: a name and a south, west, north, east box.
fn spatial(g: &Graph, s: NamedOrBlankNodeRef<'_>) -> Option<Place> {
    for place in g.first_of(s, &[&sdo("spatialCoverage"), &format!("{DCT}spatial")]) {
        let Some(p) = as_node(place) else {
            if let TermRef::Literal(l) = place {
                return Some(Place {
                    name: Some(clip(l.value(), 500)),
                    bbox: None,
                });
            }
            continue;
        };
        let name = g.text(p, &[&sdo("name"), SKOS_PREF, RDFS_LABEL]);
        let mut bbox = None;
        for geo in g.first_of(p, &[&sdo("geo")]) {
            if let Some(geo) = as_node(geo)
                && let Some(b) = g.text(geo, &[&sdo("box")])
            {
                let n: Vec<f64> = b
                    .split([' ', ','])
                    .filter(|x| !x.is_empty())
                    .filter_map(|x| x.parse().ok())
                    .collect();
                // schema.org: "south west north east" (lat lon lat lon).
                if let [s_, w, n_, e] = n.as_slice() {
                    bbox = Some(vec![*s_, *w, *n_, *e]);
                }
            }
        }
        if bbox.is_none()
            && let Some(wkt) = g.text(p, &[&format!("{DCAT}bbox"), LOCN_GEOMETRY])
        {
            bbox = wkt_box(&wkt);
        }
        if name.is_some() || bbox.is_some() {
            return Some(Place {
                name: name.map(|n| clip(&n, 500)),
                bbox,
            });
        }
    }
    None
}

/// The bounding box (south, west, north, east) of a WKT geometry's coordinates (`lon lat`).
fn wkt_box(wkt: &str) -> Option<Vec<f64>> {
    let body = wkt.split_once('(')?.1;
    let numbers: Vec<f64> = body
        .split(|c: char| c == ',' || c == '(' || c == ')' || c.is_whitespace())
        .filter(|x| !x.is_empty())
        .filter_map(|x| x.parse().ok())
        .collect();
    if numbers.len() < 2 || !numbers.len().is_multiple_of(2) {
        return None;
    }
    let (mut s, mut w, mut n, mut e) = (f64::MAX, f64::MAX, f64::MIN, f64::MIN);
    for pair in numbers.chunks(2) {
        let (lon, lat) = (pair[0], pair[1]);
        s = s.min(lat);
        n = n.max(lat);
        w = w.min(lon);
        e = e.max(lon);
    }
    let valid = (-90.0..=90.0).contains(&s)
        && (-90.0..=90.0).contains(&n)
        && (-180.0..=180.0).contains(&w)
        && (-180.0..=180.0).contains(&e);
    valid.then(|| vec![s, w, n, e])
}

/// The distributions: `schema:DataDownload` and `dcat:Distribution`.
fn distributions(
    g: &Graph,
    s: NamedOrBlankNodeRef<'_>,
    vocab: &Vocabularies,
    notices: &mut Vec<String>,
) -> Vec<Distribution> {
    let mut out = Vec::new();
    for d in g.first_of(s, &[&sdo("distribution"), &format!("{DCAT}distribution")]) {
        let Some(node) = as_node(d) else { continue };
        let url = |preds: &[&str]| {
            g.first_of(node, preds)
                .into_iter()
                .map(term_text)
                .find(|u| {
                    u.starts_with("http://") || u.starts_with("https://") || u.starts_with("ftp://")
                })
        };
        let download = url(&[&sdo("contentUrl"), &format!("{DCAT}downloadURL")]);
        let Some(access) =
            url(&[&format!("{DCAT}accessURL"), &sdo("url")]).or_else(|| download.clone())
        else {
            notices.push(format!(
                "a distribution of {} has no access or download URL: left out",
                subject_text(s)
            ));
            continue;
        };
        let media_type = g
            .text(node, &[&format!("{DCAT}mediaType"), &sdo("encodingFormat")])
            .map(|m| {
                m.trim_start_matches("https://www.iana.org/assignments/media-types/")
                    .trim_start_matches("http://www.iana.org/assignments/media-types/")
                    .to_owned()
            })
            .filter(|m| m.contains('/') && !m.contains("://"));
        // A format is a file type of the catalogue's vocabulary (by label, or the last
        // segment of an EU file-type IRI such as `…/file-type/CSV`).
        let file_type = g.text(node, &[&format!("{DCT}format")]).and_then(|f| {
            let tail = f.trim_end_matches('/').rsplit('/').next().unwrap_or(&f).to_owned();
            let found = [f.as_str(), tail.as_str()]
                .iter()
                .find_map(|c| vocab.resolve(Scheme::FileTypes, c).ok())
                .map(|c| c.value(Scheme::FileTypes).to_owned());
            if found.is_none() {
                notices.push(format!(
                    "file type {tail:?} of a distribution is not in the file-types vocabulary: left out"
                ));
            }
            found
        });
        let byte_size = g
            .text(node, &[&format!("{DCAT}byteSize"), &sdo("contentSize")])
            .and_then(|b| b.trim().parse::<u64>().ok());
        out.push(Distribution {
            access_url: access,
            download_url: download,
            media_type,
            format: file_type,
            byte_size,
            title: g
                .text(node, &[&sdo("name"), &format!("{DCT}title")])
                .map(|t| clip(&t, 500)),
        });
    }
    // RDF keeps no order among a property's values: the same document in two syntaxes reads
    // alike.
    out.sort_by(|a, b| a.access_url.cmp(&b.access_url));
    out.truncate(100);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn orcids_and_boxes() {
        assert_eq!(
            orcid("https://orcid.org/0000-0002-1825-0097").as_deref(),
            Some("https://orcid.org/0000-0002-1825-0097")
        );
        assert_eq!(
            orcid("0000-0002-1825-0097"),
            None,
            "a bare number is not said to be an ORCID"
        );
        assert_eq!(
            wkt_box("POLYGON((-10 35, 30 35, 30 70, -10 70, -10 35))"),
            Some(vec![35.0, -10.0, 70.0, 30.0])
        );
        assert_eq!(wkt_box("POINT(1)"), None);
        assert_eq!(
            iso_date("2020-01-31T10:00:00Z").as_deref(),
            Some("2020-01-31T10:00:00Z")
        );
        assert_eq!(iso_date("2020-01-31").as_deref(), Some("2020-01-31"));
        assert_eq!(iso_date("last year"), None);
    }
}
