//! Reading other registries' VOResource records into catalogue assets (the reverse of
//! `voresource`): for `orrery harvest` and for ingesting VOResource XML files.
//!
//! A record becomes a published public asset whose id is derived from its IVOA identifier (the
//! same identifier always gives the same id, so a harvest updates what it imported before). The
//! fields people search and browse by are mapped (title, short name, description, subjects,
//! curation, reference URL, wavebands, dates, DOI); the whole record is kept verbatim in
//! `voresource`, so that the registry interfaces serve it exactly as its publisher wrote it.

use quick_xml::Reader;
use quick_xml::events::Event;
use serde_json::{Value, json};

use crate::ivoa::xml::{attr, name};

use crate::model::{Asset, DocumentError, Scheme, Vocabularies, document};

/// Why a record could not be read.
#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    #[error("not well-formed XML: {0}")]
    Xml(String),
    #[error("not a VOResource record: {0}")]
    NotAResource(String),
    #[error("the record {ivoid} does not make a valid asset: {source}")]
    Document {
        ivoid: String,
        #[source]
        source: DocumentError,
    },
    /// Reading the record failed inside orrery (a bug met on this record, reported as its
    /// failure rather than lost).
    #[error("internal error while reading the record: {0}")]
    Internal(String),
}

/// What a record says: an asset to keep, or the deletion of one.
#[derive(Debug)]
pub enum Record {
    Resource(Box<Asset>),
    /// `status="deleted"`: the asset with this id goes.
    Deleted {
        id: String,
        ivoid: String,
    },
}

/// The asset id of an IVOA identifier: the identifier lower-cased (IVOA identifiers compare
/// case-insensitively) with `ivo://` dropped and every run of other characters than
/// `[a-z0-9._-]` turned into `-`; when that loses information or is too long, a hash of the
/// identifier keeps ids apart.
pub fn id_for(ivoid: &str) -> String {
    let lower = ivoid.trim().to_ascii_lowercase();
    let rest = lower.strip_prefix("ivo://").unwrap_or(&lower);
    let mut slug = String::with_capacity(rest.len());
    let mut lossy = false;
    for c in rest.chars() {
        if c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-') {
            slug.push(c);
        } else {
            // '/' is the usual separator; anything else is a loss.
            lossy |= c != '/';
            if !slug.ends_with('-') {
                slug.push('-');
            }
        }
    }
    let slug = slug.trim_matches(|c| c == '-' || c == '.' || c == '_');
    if !lossy && !slug.is_empty() && slug.len() <= 64 && rest.matches('/').count() <= 1 {
        return slug.to_owned();
    }
    use sha2::Digest;
    let hash = sha2::Sha256::digest(lower.as_bytes());
    let tag: String = hash[..5].iter().map(|b| format!("{b:02x}")).collect();
    let keep: String = slug.chars().take(64 - 11).collect();
    let keep = keep.trim_end_matches(['-', '.', '_']);
    if keep.is_empty() {
        format!("ivo-{tag}")
    } else {
        format!("{keep}-{tag}")
    }
}

/// The catalogue's asset type for a record's `xsi:type` (local name).
pub fn kind_for(xsi_type: &str) -> &'static str {
    let local = xsi_type.rsplit(':').next().unwrap_or(xsi_type);
    match local {
        "DataCollection" | "CatalogService" | "CatalogResource" => "Dataset",
        "Service" | "DataService" | "Registry" | "SkyService" | "TableService"
        | "StandardSTCService" => "Service",
        _ => "Resource",
    }
}

#[derive(Default)]
struct Fields {
    xsi_type: String,
    status: String,
    created: String,
    updated: String,
    title: String,
    short_name: String,
    identifier: String,
    alt_identifiers: Vec<String>,
    publisher: String,
    creators: Vec<String>,
    contact_email: String,
    version: String,
    date_created: String,
    subjects: Vec<String>,
    description: String,
    reference_url: String,
    wavebands: Vec<String>,
    /// `coverage/spatial`: its frame attribute and its MOC.
    spatial: Option<(String, String)>,
    spatial_frame: String,
    temporal: Vec<String>,
    spectral: Vec<String>,
}

/// Collapses whitespace runs (records are often indented inside their elements).
fn tidy(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Reads one VOResource record: a document whose root is the resource, or an OAI-PMH
/// response (or fragment of one) that carries one record.
pub fn read(xml: &str, vocab: &Vocabularies) -> Result<Record, RecordError> {
    match fields(xml) {
        Err(RecordError::NotAResource(why)) => match unwrap(xml)? {
            Some(Unwrapped::Resource(inner)) => read_resource(&inner, vocab),
            Some(Unwrapped::Deleted(ivoid)) => Ok(Record::Deleted {
                id: id_for(&ivoid),
                ivoid,
            }),
            None => Err(RecordError::NotAResource(why)),
        },
        Err(e) => Err(e),
        Ok(_) => read_resource(xml, vocab),
    }
}

enum Unwrapped {
    Resource(String),
    Deleted(String),
}

/// The record inside an OAI-PMH envelope: its resource element as a standalone document, or
/// the identifier of a deleted record's header.
fn unwrap(xml: &str) -> Result<Option<Unwrapped>, RecordError> {
    let mut reader = Reader::from_str(xml);
    let mut scopes: Vec<Vec<(String, String)>> = Vec::new();
    let mut in_deleted_header = false;
    let mut text = String::new();
    loop {
        let before = reader.buffer_position() as usize;
        let event = reader
            .read_event()
            .map_err(|e| RecordError::Xml(format!("at byte {}: {e}", reader.error_position())))?;
        match event {
            Event::Start(e) => {
                let name = name(&e);
                if name.eq_ignore_ascii_case("resource") && !scopes.is_empty() {
                    let doc = crate::ivoa::xml::cut_out(&mut reader, xml, before, &e, &scopes)
                        .map_err(RecordError::Xml)?;
                    return Ok(Some(Unwrapped::Resource(doc)));
                }
                if name == "header" && attr(&e, "status").as_deref() == Some("deleted") {
                    in_deleted_header = true;
                }
                scopes.push(crate::ivoa::xml::prefixes(&e));
                text.clear();
            }
            Event::Text(t) => {
                text.push_str(&t.unescape().map_err(|e| RecordError::Xml(e.to_string()))?)
            }
            Event::End(e) => {
                let name = String::from_utf8_lossy(e.local_name().as_ref()).into_owned();
                if in_deleted_header && name == "identifier" {
                    return Ok(Some(Unwrapped::Deleted(tidy(&text))));
                }
                scopes.pop();
                text.clear();
            }
            Event::Eof => return Ok(None),
            _ => {}
        }
    }
}

fn read_resource(xml: &str, vocab: &Vocabularies) -> Result<Record, RecordError> {
    let f = fields(xml)?;
    if f.identifier.is_empty() {
        return Err(RecordError::NotAResource("it has no identifier".into()));
    }
    let ivoid = f.identifier.clone();
    let id = id_for(&ivoid);
    if f.status.eq_ignore_ascii_case("deleted") {
        return Ok(Record::Deleted { id, ivoid });
    }
    let mut doc = document_of(&f, &id, xml, vocab);
    match coverage_of(&f) {
        Ok(Some(c)) => {
            doc["coverage"] = c;
        }
        Ok(None) => {}
        Err((pointer, message)) => {
            return Err(RecordError::Document {
                ivoid,
                source: DocumentError::Schema(vec![document::Problem::new(pointer, message)]),
            });
        }
    }
    let bytes = serde_json::to_vec(&doc).map_err(|e| RecordError::Xml(e.to_string()))?;
    let asset = document::parse(&bytes, vocab).map_err(|source| RecordError::Document {
        ivoid: ivoid.clone(),
        source,
    })?;
    Ok(Record::Resource(Box::new(asset)))
}

fn fields(xml: &str) -> Result<Fields, RecordError> {
    let mut reader = Reader::from_str(xml);
    let mut f = Fields::default();
    // Element names from the resource element down (unqualified children).
    let mut path: Vec<String> = Vec::new();
    let mut text = String::new();
    let mut date_role = String::new();
    let mut root_seen = false;
    loop {
        let event = reader
            .read_event()
            .map_err(|e| RecordError::Xml(format!("at byte {}: {e}", reader.error_position())))?;
        match event {
            Event::Start(e) => {
                let name = name(&e);
                if !root_seen {
                    root_seen = true;
                    if !name.eq_ignore_ascii_case("resource") {
                        return Err(RecordError::NotAResource(format!(
                            "the root element is {name}, not a resource"
                        )));
                    }
                    f.xsi_type = attr(&e, "type").unwrap_or_default();
                    f.status = attr(&e, "status").unwrap_or_default();
                    f.created = attr(&e, "created").unwrap_or_default();
                    f.updated = attr(&e, "updated").unwrap_or_default();
                }
                if name == "date" {
                    date_role = attr(&e, "role").unwrap_or_default();
                }
                if name == "spatial" {
                    f.spatial_frame = attr(&e, "frame").unwrap_or_default();
                }
                path.push(name);
                text.clear();
            }
            Event::Empty(e) if !root_seen => {
                return Err(RecordError::NotAResource(format!(
                    "the root element {} is empty",
                    name(&e)
                )));
            }
            Event::Text(t) => {
                let t = t.unescape().map_err(|e| RecordError::Xml(e.to_string()))?;
                text.push_str(&t);
            }
            Event::CData(t) => text.push_str(&String::from_utf8_lossy(&t)),
            Event::End(_) => {
                let value = tidy(&text);
                let p: Vec<&str> = path.iter().map(String::as_str).collect();
                match p.as_slice() {
                    [_, "title"] => f.title = value,
                    [_, "shortName"] => f.short_name = value,
                    [_, "identifier"] => f.identifier = value,
                    [_, "altIdentifier"] => f.alt_identifiers.push(value),
                    [_, "curation", "publisher"] => f.publisher = value,
                    [_, "curation", "creator", "name"] => f.creators.push(value),
                    [_, "curation", "contact", "email"] if f.contact_email.is_empty() => {
                        f.contact_email = value
                    }
                    [_, "curation", "version"] => f.version = value,
                    [_, "curation", "date"]
                        if (date_role.eq_ignore_ascii_case("created") || date_role.is_empty())
                            && f.date_created.is_empty() =>
                    {
                        f.date_created = value
                    }
                    [_, "content", "subject"] => f.subjects.push(value),
                    [_, "content", "description"] => f.description = value,
                    [_, "content", "referenceURL"] => f.reference_url = value,
                    [_, "coverage", "waveband"] => f.wavebands.push(value),
                    [_, "coverage", "spatial"] => {
                        f.spatial = Some((std::mem::take(&mut f.spatial_frame), value))
                    }
                    [_, "coverage", "temporal"] => f.temporal.push(value),
                    [_, "coverage", "spectral"] => f.spectral.push(value),
                    _ => {}
                }
                path.pop();
                text.clear();
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if !root_seen {
        return Err(RecordError::NotAResource("the document is empty".into()));
    }
    Ok(f)
}

/// The first sentence (or the first 300 characters) of a description, as an abstract.
fn abstract_of(description: &str) -> String {
    // The first sentence, or the first 1,000 bytes (cut at a character boundary) when no
    // sentence ends before them.
    let end = description
        .char_indices()
        .find_map(|(i, c)| {
            if i > 1000 {
                Some(i)
            } else if c == '.' && i > 20 && description[i + 1..].starts_with(' ') {
                Some(i + 1)
            } else {
                None
            }
        })
        .unwrap_or(description.len());
    let first = &description[..end];
    if first.chars().count() <= 300 {
        return first.to_owned();
    }
    let cut: String = first.chars().take(297).collect();
    format!("{}…", cut.trim_end())
}

/// A date (`YYYY-MM-DD`) from the start of a VOResource date or datetime.
fn date(text: &str) -> Option<String> {
    let d = text.get(..10)?;
    chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d")
        .ok()
        .map(|_| d.to_owned())
}

/// An RFC 3339 time from a VOResource datetime (which may lack the zone: UTC is meant).
fn datetime(text: &str) -> Option<String> {
    let t = text.trim();
    if chrono::DateTime::parse_from_rfc3339(t).is_ok() {
        return Some(t.to_owned());
    }
    let naive = chrono::NaiveDateTime::parse_from_str(t, "%Y-%m-%dT%H:%M:%S%.f")
        .ok()
        .or_else(|| {
            chrono::NaiveDate::parse_from_str(t.get(..10)?, "%Y-%m-%d")
                .ok()?
                .and_hms_opt(0, 0, 0)
        })?;
    Some(
        naive
            .and_utc()
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
    )
}

/// A record's `vs:coverage` as the asset's: the MOC (ICRS; another frame is kept out, as it
/// cannot be compared), the time intervals as one ISO interval of whole days spanning them all,
/// the energy intervals in joules. An element that does not read refuses the record, naming
/// the element (JSON pointer, message).
fn coverage_of(f: &Fields) -> Result<Option<Value>, (String, String)> {
    use crate::model::coverage::{EnergyInterval, Sky};
    let mut o = serde_json::Map::new();
    if let Some((frame, text)) = &f.spatial
        && (frame.is_empty() || frame.eq_ignore_ascii_case("ICRS"))
    {
        let sky = Sky::parse_ascii(text).map_err(|e| {
            let at = e
                .position
                .map(|p| format!(" (at character {})", p + 1))
                .unwrap_or_default();
            (
                "/coverage/sky/moc".to_owned(),
                format!("coverage/spatial: {}{at}", e.message),
            )
        })?;
        if !sky.is_empty() {
            o.insert(
                "sky".into(),
                json!({"frame": "ICRS", "moc": sky.to_ascii()}),
            );
        }
    }
    let mut span: Option<(f64, f64)> = None;
    for t in &f.temporal {
        let numbers: Vec<f64> = t
            .split_whitespace()
            .filter_map(|n| n.parse::<f64>().ok())
            .filter(|n| n.is_finite())
            .collect();
        let [a, b] = numbers[..] else {
            return Err((
                "/coverage/temporal".into(),
                format!("coverage/temporal {t:?} is not two MJD numbers"),
            ));
        };
        let (lo, hi) = (a.min(b), a.max(b));
        span = Some(span.map_or((lo, hi), |(x, y)| (x.min(lo), y.max(hi))));
    }
    if let Some((lo, hi)) = span {
        let day = |mjd: f64| {
            chrono::NaiveDate::from_ymd_opt(1858, 11, 17)
                .and_then(|epoch| {
                    epoch.checked_add_signed(chrono::TimeDelta::days(mjd.floor() as i64))
                })
                .map(|d| d.format("%Y-%m-%d").to_string())
        };
        // The end is the last day any of it reaches (an end at midnight closes the day before).
        if let (Some(a), Some(b)) = (day(lo), day((hi.ceil() - 1.0).max(lo))) {
            o.insert("temporal".into(), format!("{a}/{b}").into());
        }
    }
    let mut bands: Vec<Value> = Vec::new();
    for (i, s) in f.spectral.iter().enumerate() {
        let numbers: Vec<&str> = s.split_whitespace().collect();
        let interval = match numbers[..] {
            [a, b] => a
                .parse::<f64>()
                .ok()
                .zip(b.parse::<f64>().ok())
                .and_then(|(a, b)| EnergyInterval::between(a, b).ok())
                .filter(|e| e.low > 0.0 && e.high.is_finite()),
            _ => None,
        };
        let Some(e) = interval else {
            return Err((
                format!("/coverage/spectral/{i}"),
                format!("coverage/spectral {s:?} is not two energies in joules"),
            ));
        };
        bands.push(format!("{:e} J/{:e} J", e.low, e.high).into());
    }
    if !bands.is_empty() {
        o.insert("spectral".into(), bands.into());
    }
    Ok((!o.is_empty()).then_some(Value::Object(o)))
}

fn clip(text: &str, max: usize) -> String {
    text.chars().take(max).collect()
}

fn document_of(f: &Fields, id: &str, xml: &str, vocab: &Vocabularies) -> Value {
    let mut o = serde_json::Map::new();
    let name = if f.title.is_empty() {
        &f.identifier
    } else {
        &f.title
    };
    o.insert("id".into(), id.into());
    o.insert("type".into(), kind_for(&f.xsi_type).into());
    o.insert("name".into(), clip(name, 500).into());
    o.insert("ivoid".into(), f.identifier.clone().into());
    o.insert("voresource".into(), xml.into());
    o.insert("status".into(), "published".into());
    o.insert("visibility".into(), json!({"audience": "public"}));
    if !f.short_name.is_empty() {
        o.insert("alternateName".into(), clip(&f.short_name, 200).into());
    }
    if !f.description.is_empty() {
        o.insert("abstract".into(), abstract_of(&f.description).into());
        o.insert("description".into(), clip(&f.description, 100_000).into());
    }
    let mut keywords: Vec<String> = Vec::new();
    for s in &f.subjects {
        let s = clip(s, 200);
        if !s.is_empty() && !keywords.contains(&s) && keywords.len() < 100 {
            keywords.push(s);
        }
    }
    if !keywords.is_empty() {
        o.insert("keywords".into(), keywords.into());
    }
    let wavebands: Vec<String> = f
        .wavebands
        .iter()
        .filter_map(|w| vocab.resolve(Scheme::Wavebands, w).ok())
        .map(|c| c.value(Scheme::Wavebands).to_owned())
        .collect();
    if !wavebands.is_empty() {
        o.insert("waveband".into(), wavebands.into());
    }
    if !f.publisher.is_empty() {
        o.insert(
            "publisher".into(),
            json!({"name": clip(&f.publisher, 500), "type": "Organization"}),
        );
    }
    let creators: Vec<Value> = f
        .creators
        .iter()
        .filter(|c| !c.is_empty())
        .take(200)
        .map(|c| json!({"name": clip(c, 500)}))
        .collect();
    if !creators.is_empty() {
        o.insert("creator".into(), creators.into());
    }
    if let Ok(url) = oxigraph::model::NamedNode::new(&f.reference_url)
        && (url.as_str().starts_with("http://") || url.as_str().starts_with("https://"))
    {
        o.insert("url".into(), url.as_str().into());
    }
    if let Some(doi) = f
        .alt_identifiers
        .iter()
        .find_map(|a| {
            a.strip_prefix("doi:")
                .or_else(|| a.strip_prefix("https://doi.org/"))
        })
        .filter(|d| d.starts_with("10.") && !d.contains(char::is_whitespace))
    {
        o.insert("identifier".into(), format!("doi:{doi}").into());
    }
    if !f.version.is_empty() {
        o.insert("version".into(), clip(&f.version, 100).into());
    }
    if let Some(d) = date(&f.date_created).or_else(|| date(&f.created)) {
        o.insert("dateCreated".into(), d.into());
    }
    if let Some(t) = datetime(&f.updated).or_else(|| datetime(&f.created)) {
        o.insert("dateModified".into(), t.into());
    }
    if let Some(t) = datetime(&f.created) {
        o.insert("datePublished".into(), t.into());
    }
    Value::Object(o)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_stable_slugs_and_never_collide_on_case_or_punctuation() {
        assert_eq!(id_for("ivo://bima.ncsa/bima"), "bima.ncsa-bima");
        assert_eq!(id_for("ivo://BIMA.ncsa/BIMA"), "bima.ncsa-bima");
        assert_eq!(id_for("ivo://ivoa.net"), "ivoa.net");
        let a = id_for("ivo://org.gavo.dc/tap");
        let b = id_for("ivo://org.gavo.dc/__system__/tap");
        assert_ne!(a, b);
        assert!(crate::model::is_valid_id(&b), "{b}");
        let long = id_for(&format!("ivo://x.org/{}", "a".repeat(200)));
        assert!(crate::model::is_valid_id(&long), "{long}");
        assert_ne!(id_for("ivo://x.org/a?b"), id_for("ivo://x.org/a#b"));
        for weird in ["ivo://", "ivo://?/?", "ivo://é/ü"] {
            assert!(crate::model::is_valid_id(&id_for(weird)), "{weird}");
        }
    }

    #[test]
    fn kinds_follow_the_record_type() {
        assert_eq!(kind_for("vs:CatalogService"), "Dataset");
        assert_eq!(kind_for("vs:DataCollection"), "Dataset");
        assert_eq!(kind_for("vr:Service"), "Service");
        assert_eq!(kind_for("vg:Registry"), "Service");
        assert_eq!(kind_for("vr:Organisation"), "Resource");
        assert_eq!(kind_for("vstd:Standard"), "Resource");
    }

    #[test]
    fn abstracts_are_the_first_sentence() {
        assert_eq!(
            abstract_of("The BIMA archive holds data. It is large."),
            "The BIMA archive holds data."
        );
        let long = "word ".repeat(200);
        assert!(abstract_of(&long).chars().count() <= 300);
    }

    #[test]
    fn a_long_description_without_a_sentence_end_is_cut_between_characters() {
        for tail in ["é", "日本", "🔭", "aé"] {
            for pad in 995..1005 {
                let text = format!("{}{}", "a".repeat(pad), tail.repeat(400));
                let got = abstract_of(&text);
                assert!(got.chars().count() <= 300, "{pad} {tail}");
                assert!(text.starts_with(got.trim_end_matches('…')), "{pad} {tail}");
            }
        }
        let dotted = format!("{}.é and more", "é".repeat(30));
        assert_eq!(abstract_of(&dotted), dotted);
    }
}
