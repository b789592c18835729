//! The search index's schema and the document built from an asset.
//!
//! Text fields are analysed for English (lower-cased, ASCII-folded, stemmed). Free text is
//! matched and ranked in one field, `text`, into which each weighted field is written as many
//! times as its weight: term frequencies then add up across fields with the field weights, and
//! one BM25 over the sum ranks the document (the simple form of BM25F, which ranks better than
//! taking the best field and costs one posting list per word instead of six). Concept labels
//! are the exception (see `TEXT_WEIGHTS`). The per-field
//! copies serve fielded queries (`name:…`) and highlighting. The `all` field keeps unstemmed
//! words for typo tolerance and prefixes. Facet
//! values are filed twice: as concept IRIs (`concept` terms, for filtering) and as bits of a
//! per-document bitmask (fast fields `facets0..n`), so that counting every facet for every
//! matching document costs a few word reads. Only fields the metadata table marks PUBLIC are
//! indexed; `readers` and `anonymous` carry the visibility decision of `access`.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use tantivy::Index;
use tantivy::TantivyDocument;
use tantivy::schema::{
    FAST, Field, INDEXED, IndexRecordOption, STORED, STRING, Schema, TextFieldIndexing, TextOptions,
};
use tantivy::tokenizer::{
    AsciiFoldingFilter, Language, LowerCaser, RemoveLongFilter, SimpleTokenizer, Stemmer,
    TextAnalyzer,
};

use crate::access;
use crate::model::{Asset, Scheme, Vocabularies};

/// Tokenizer of the weighted text fields.
pub const ENGLISH: &str = "orrery_en";
/// Tokenizer of the unstemmed `all` field.
pub const PLAIN: &str = "orrery_plain";

/// The facets of the portal, in response order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Facet {
    Type,
    Domain,
    Property,
    Mission,
    Waveband,
    FileType,
    Audience,
    License,
    Keyword,
    EsaOfficial,
    /// The HEALPix cells of order 0 and 1 the sky coverage touches (`0/5`, `1/21`).
    SkyCell,
    /// The decades the time coverage overlaps (`2010s`).
    Decade,
}

/// The decades the `decade` facet has (an open interval counts up to the last).
const DECADES: std::ops::RangeInclusive<i32> = 195..=203;

impl Facet {
    pub const ALL: [Facet; 12] = [
        Facet::Type,
        Facet::Domain,
        Facet::Property,
        Facet::Mission,
        Facet::Waveband,
        Facet::FileType,
        Facet::Audience,
        Facet::License,
        Facet::Keyword,
        Facet::EsaOfficial,
        Facet::SkyCell,
        Facet::Decade,
    ];

    /// The parameter name (and the key in responses).
    pub fn name(self) -> &'static str {
        match self {
            Facet::Type => "type",
            Facet::Domain => "domain",
            Facet::Property => "property",
            Facet::Mission => "mission",
            Facet::Waveband => "waveband",
            Facet::FileType => "fileType",
            Facet::Audience => "audience",
            Facet::License => "license",
            Facet::Keyword => "keyword",
            Facet::EsaOfficial => "esaOfficial",
            Facet::SkyCell => "skyCell",
            Facet::Decade => "decade",
        }
    }

    pub fn from_name(name: &str) -> Option<Facet> {
        Facet::ALL.into_iter().find(|f| f.name() == name)
    }

    /// The concept scheme a facet draws from (none for keywords and the ESA-official flag).
    pub fn scheme(self) -> Option<Scheme> {
        match self {
            Facet::Type => Some(Scheme::AssetTypes),
            Facet::Domain => Some(Scheme::Domains),
            Facet::Property => Some(Scheme::Properties),
            Facet::Mission => Some(Scheme::Missions),
            Facet::Waveband => Some(Scheme::Wavebands),
            Facet::FileType => Some(Scheme::FileTypes),
            Facet::Audience => Some(Scheme::Audiences),
            Facet::License => Some(Scheme::Licenses),
            Facet::Keyword | Facet::EsaOfficial | Facet::SkyCell | Facet::Decade => None,
        }
    }

    /// The asset's values for this facet (canonical labels as the document holds them).
    pub fn values(self, asset: &Asset) -> Vec<String> {
        match self {
            Facet::Type => vec![asset.kind.clone()],
            Facet::Domain => asset.domain.clone(),
            Facet::Property => asset.property.clone(),
            Facet::Mission => asset.mission.clone(),
            Facet::Waveband => asset.waveband.clone(),
            Facet::FileType => asset.associated_file_type.clone(),
            Facet::Audience => asset.audience_type.clone(),
            Facet::License => asset.license.iter().cloned().collect(),
            Facet::Keyword => asset.keywords.iter().map(|k| keyword_key(k)).collect(),
            Facet::EsaOfficial => asset
                .esa_official
                .map(|b| vec![b.to_string()])
                .unwrap_or_default(),
            Facet::SkyCell => sky_cells(super::coverage::sky_of(asset).as_ref()),
            Facet::Decade => asset
                .coverage
                .as_ref()
                .and_then(crate::model::coverage::time)
                .map(|t| {
                    DECADES
                        .filter(|d| {
                            let start = crate::model::coverage::time::mjd(&format!("{d}0-01-01"));
                            let end =
                                crate::model::coverage::time::mjd(&format!("{}0-01-01", d + 1));
                            matches!((start, end), (Some(s), Some(e)) if t.start < e && s <= t.end)
                        })
                        .map(|d| format!("{d}0s"))
                        .collect()
                })
                .unwrap_or_default(),
        }
    }

    /// Whether the facet is computed from the coverage rather than a field's values: counted
    /// and filtered like the others, but not listed with each hit.
    pub fn is_derived(self) -> bool {
        matches!(self, Facet::SkyCell | Facet::Decade)
    }

    /// Whether the facet's values are filed as flag terms (no concept, no keyword).
    pub fn is_flag(self) -> bool {
        matches!(self, Facet::EsaOfficial | Facet::SkyCell | Facet::Decade)
    }

    /// Every value of a flag facet, in display order.
    pub fn flag_values(self) -> Vec<String> {
        match self {
            Facet::EsaOfficial => vec!["true".into(), "false".into()],
            Facet::SkyCell => (0..12)
                .map(|c| format!("0/{c}"))
                .chain((0..48).map(|c| format!("1/{c}")))
                .collect(),
            Facet::Decade => DECADES.map(|d| format!("{d}0s")).collect(),
            _ => Vec::new(),
        }
    }

    /// The key of the asset document this facet reads.
    pub fn document_key(self) -> &'static str {
        match self {
            Facet::Type => "type",
            Facet::Domain => "domain",
            Facet::Property => "property",
            Facet::Mission => "mission",
            Facet::Waveband => "waveband",
            Facet::FileType => "associatedFileType",
            Facet::Audience => "audienceType",
            Facet::License => "license",
            Facet::Keyword => "keywords",
            Facet::EsaOfficial => "ESAOfficial",
            Facet::SkyCell | Facet::Decade => "coverage",
        }
    }
}

/// The normal form of a keyword facet value.
pub fn keyword_key(k: &str) -> String {
    k.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// The term filed for a facet value that has no concept IRI.
pub fn flag_term(facet: Facet, value: &str) -> String {
    format!("{}:{value}", facet.name())
}

/// One bit of the facet bitmask.
#[derive(Debug, Clone)]
pub struct FacetBit {
    pub facet: Facet,
    /// The value shown in responses and accepted in filters.
    pub value: String,
    /// The term filed under `concept` for this value.
    pub term: String,
}

/// The assignment of facet values to bits, derived from the vocabularies.
#[derive(Debug, Clone)]
pub struct FacetTable {
    pub bits: Vec<FacetBit>,
    by_term: HashMap<String, usize>,
    /// For each facet with bits: one mask per word.
    masks: HashMap<Facet, Vec<u64>>,
    pub words: usize,
}

impl FacetTable {
    pub fn new(vocab: &Vocabularies) -> FacetTable {
        let mut bits = Vec::new();
        for facet in Facet::ALL {
            if let Some(scheme) = facet.scheme() {
                for c in vocab.concepts(scheme) {
                    bits.push(FacetBit {
                        facet,
                        value: c.value(scheme).to_owned(),
                        term: c.iri.clone(),
                    });
                }
            } else if facet.is_flag() {
                for v in facet.flag_values() {
                    bits.push(FacetBit {
                        facet,
                        term: flag_term(facet, &v),
                        value: v,
                    });
                }
            }
        }
        let words = bits.len().div_ceil(64).max(1);
        let mut masks: HashMap<Facet, Vec<u64>> = HashMap::new();
        let mut by_term = HashMap::new();
        for (i, b) in bits.iter().enumerate() {
            by_term.insert(b.term.clone(), i);
            masks.entry(b.facet).or_insert_with(|| vec![0; words])[i / 64] |= 1 << (i % 64);
        }
        FacetTable {
            bits,
            by_term,
            masks,
            words,
        }
    }

    pub fn bit_of_term(&self, term: &str) -> Option<usize> {
        self.by_term.get(term).copied()
    }

    /// The mask of all bits of a facet (all zero for keyword).
    pub fn mask(&self, facet: Facet) -> Vec<u64> {
        self.masks
            .get(&facet)
            .cloned()
            .unwrap_or_else(|| vec![0; self.words])
    }

    /// A fingerprint of the assignment: an index built with another one must be rebuilt.
    pub fn fingerprint(&self) -> String {
        let mut h = Fnv::default();
        for b in &self.bits {
            h.write(b.term.as_bytes());
            h.write(&[0]);
        }
        format!("{:016x}", h.0)
    }
}

/// FNV-1a, 64 bits: stable across builds and platforms (used for tie-breaks and fingerprints).
pub struct Fnv(pub u64);

impl Default for Fnv {
    fn default() -> Self {
        Fnv(0xcbf2_9ce4_8422_2325)
    }
}

impl Fnv {
    pub fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 ^= u64::from(*b);
            self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
        }
    }

    pub fn hash(bytes: &[u8]) -> u64 {
        let mut h = Fnv::default();
        h.write(bytes);
        h.0
    }
}

/// The weighted text fields, with their weights (name > alternateName > keywords = abstract >
/// description): how many times each is written into the ranked `text` field. Concept labels
/// keep their own field (`concepts`, boosted at query time by their weight): every asset of a
/// mission carries all of the mission's labels, and phrase queries for a label should meet the
/// assets that mention it in their own words, not wade through those.
///
/// Chosen on the judged queries of `tests/relevance` (nDCG@10 over 160 queries, one rebuild
/// per weighting, in order name, alternateName, keywords, concepts, abstract, description):
/// all 1 (BM25 alone) 0.912; 5 4 3 3 2 1 0.912; 3 3 2 2 2 1 0.912; 8 4 3 3 2 1 0.909;
/// 5 4 3 3 3 1 0.913; 5 4 3 1 2 1 0.915; 5 4 3 1 3 2 0.914; 5 4 3 2 3 1 0.914;
/// 5 4 3 1 4 1 0.916; 5 4 3 1 3 1 0.916.
pub const TEXT_WEIGHTS: [(&str, usize); 6] = [
    ("name", 5),
    ("alternateName", 4),
    ("keywords", 3),
    ("concepts", 1),
    ("abstract", 3),
    ("description", 1),
];

/// The fields of the index.
#[derive(Debug, Clone)]
pub struct Fields {
    pub id: Field,
    pub tiebreak: Field,
    pub readers: Field,
    pub anonymous: Field,
    pub hit: Field,
    /// The weighted text fields, in `TEXT_WEIGHTS` order.
    pub text: Vec<Field>,
    /// All weighted text fields, each repeated by its weight: where free text is matched.
    pub ranked: Field,
    /// Every two adjacent words of the ranked field (stemmed, `"a b"`), repeated like it: a
    /// two-word phrase is then one posting list instead of two with positions to compare.
    pub pairs: Field,
    pub all: Field,
    pub concept: Field,
    pub keyword: Field,
    pub facets: Vec<Field>,
    pub name_sort: Field,
    pub modified: Field,
    pub popularity: Field,
    pub suggest_terms: Field,
    pub suggest_names: Field,
    /// Sky, time and spectral coverage (`coverage`).
    pub coverage: super::coverage::CoverageFields,
}

impl Fields {
    pub fn text_field(&self, key: &str) -> Option<Field> {
        TEXT_WEIGHTS
            .iter()
            .position(|(k, _)| *k == key)
            .map(|i| self.text[i])
    }
}

/// The schema for a facet table of `words` words.
pub fn schema(words: usize) -> (Schema, Fields) {
    let mut b = Schema::builder();
    let english = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer(ENGLISH)
            .set_index_option(IndexRecordOption::WithFreqsAndPositions),
    );
    let plain = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer(PLAIN)
            .set_index_option(IndexRecordOption::WithFreqs),
    );
    let id = b.add_text_field("id", STRING | STORED);
    let tiebreak = b.add_u64_field("tiebreak", FAST);
    let readers = b.add_text_field("readers", STRING | FAST);
    let anonymous = b.add_u64_field("anonymous", FAST);
    let hit = b.add_text_field("hit", STORED);
    let text = TEXT_WEIGHTS
        .iter()
        .map(|(k, _)| b.add_text_field(k, english.clone()))
        .collect();
    let ranked = b.add_text_field("text", english.clone());
    let pairs = b.add_text_field(
        "pairs",
        TextOptions::default().set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer("raw")
                .set_index_option(IndexRecordOption::WithFreqs),
        ),
    );
    let all = b.add_text_field("all", plain);
    let concept = b.add_text_field("concept", STRING);
    let keyword = b.add_text_field("keyword", STRING | FAST);
    let facets = (0..words)
        .map(|i| b.add_u64_field(&format!("facets{i}"), FAST))
        .collect();
    let name_sort = b.add_text_field("name_sort", STRING | FAST);
    let modified = b.add_i64_field("modified", FAST | INDEXED);
    let popularity = b.add_u64_field("popularity", FAST);
    let suggest_terms = b.add_text_field("suggest_terms", STRING);
    let suggest_names = b.add_text_field("suggest_names", STRING);
    let coverage = super::coverage::add_fields(&mut b);
    let fields = Fields {
        id,
        tiebreak,
        readers,
        anonymous,
        hit,
        text,
        ranked,
        pairs,
        all,
        concept,
        keyword,
        facets,
        name_sort,
        modified,
        popularity,
        suggest_terms,
        suggest_names,
        coverage,
    };
    (b.build(), fields)
}

/// Registers the analysers the schema names.
pub fn register_tokenizers(index: &Index) {
    index.tokenizers().register(ENGLISH, english());
    index.tokenizers().register(PLAIN, plain());
}

pub fn english() -> TextAnalyzer {
    TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(48))
        .filter(LowerCaser)
        .filter(AsciiFoldingFilter)
        .filter(Stemmer::new(Language::English))
        .build()
}

pub fn plain() -> TextAnalyzer {
    TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(48))
        .filter(LowerCaser)
        .filter(AsciiFoldingFilter)
        .build()
}

/// The tokens an analyser makes of a text.
pub fn tokens(analyzer: &mut TextAnalyzer, text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut stream = analyzer.token_stream(text);
    while let Some(t) = stream.next() {
        out.push(t.text.clone());
    }
    out
}

/// The adjacent words of a text as the ranked field holds them (`"a b"`: stems next to each
/// other, as a phrase query would find them).
pub fn word_pairs(analyzer: &mut TextAnalyzer, text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut stream = analyzer.token_stream(text);
    let mut last: Option<(usize, String)> = None;
    while let Some(t) = stream.next() {
        if let Some((position, word)) = &last
            && position + 1 == t.position
        {
            out.push(pair(word, &t.text));
        }
        last = Some((t.position, t.text.clone()));
    }
    out
}

/// The term of a two-word phrase in the `pairs` field.
pub fn pair(first: &str, second: &str) -> String {
    format!("{first} {second}")
}

/// What a hit shows, stored with the document.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StoredHit {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alternate_name: Option<String>,
    #[serde(default, rename = "abstract", skip_serializing_if = "Option::is_none")]
    pub abstract_: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date_modified: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub popularity: Option<u64>,
    /// Facet name → values.
    pub facets: Vec<(String, Vec<String>)>,
}

/// The document keys the index reads: all must be PUBLIC in the metadata table.
pub const INDEXED_KEYS: &[&str] = &[
    "id",
    "coverage",
    "type",
    "name",
    "alternateName",
    "abstract",
    "description",
    "keywords",
    "domain",
    "property",
    "mission",
    "waveband",
    "associatedFileType",
    "audienceType",
    "license",
    "ESAOfficial",
    "popularity",
    "dateModified",
];

/// Word starts of a text from which suggestions may match, at most `max`.
fn word_starts(lower: &str, max: usize) -> Vec<&str> {
    let mut out = vec![lower];
    let bytes = lower.as_bytes();
    for (i, &c) in bytes.iter().enumerate().skip(1) {
        if out.len() >= max {
            break;
        }
        if c != b' ' && bytes[i - 1] == b' ' {
            out.push(&lower[i..]);
        }
    }
    out
}

/// The separator inside suggestion terms.
pub const SEP: char = '\u{1f}';

/// The sky-cell facet's values of a sky coverage: the cells of order 0 and 1 it touches.
fn sky_cells(sky: Option<&crate::model::coverage::Sky>) -> Vec<String> {
    let Some(sky) = sky else {
        return Vec::new();
    };
    let mut v: Vec<String> = Vec::new();
    for order in [0u8, 1] {
        v.extend(sky.cells_at(order).iter().map(|c| format!("{order}/{c}")));
    }
    v
}

/// Builds the index document of an asset (the full asset: visibility is derived here, only
/// PUBLIC fields are indexed).
pub fn document(
    fields: &Fields,
    table: &FacetTable,
    vocab: &Vocabularies,
    asset: &Asset,
) -> TantivyDocument {
    let mut doc = TantivyDocument::default();
    doc.add_text(fields.id, &asset.id);
    doc.add_u64(fields.tiebreak, Fnv::hash(asset.id.as_bytes()));
    let readers = access::readers(asset);
    let anonymous = readers.iter().any(|r| r == access::PUBLIC_READERS);
    for r in &readers {
        doc.add_text(fields.readers, r);
    }
    doc.add_u64(fields.anonymous, u64::from(anonymous));
    // The sky coverage, computed once for the cell terms and the sky-cell facet.
    let sky = super::coverage::sky_of(asset);
    super::coverage::index(&mut doc, &fields.coverage, asset, sky.as_ref());
    // Suggestion terms are filed per reader key so that a prefix scan only meets what the
    // caller may see.
    let suggest_keys: Vec<String> = readers
        .iter()
        .map(|r| if anonymous { "p".to_owned() } else { r.clone() })
        .collect();
    let mut suggest_terms: Vec<(String, &'static str, String)> = Vec::new();
    let mut suggest_names: Vec<(String, &'static str, String)> = Vec::new();

    let texts: [(&str, Vec<&str>); 6] = [
        ("name", vec![asset.name.as_str()]),
        (
            "alternateName",
            asset.alternate_name.iter().map(String::as_str).collect(),
        ),
        (
            "keywords",
            asset.keywords.iter().map(String::as_str).collect(),
        ),
        ("concepts", Vec::new()),
        (
            "abstract",
            asset.abstract_.iter().map(String::as_str).collect(),
        ),
        (
            "description",
            asset.description.iter().map(String::as_str).collect(),
        ),
    ];
    let mut english = self::english();
    for (i, (_, values)) in texts.iter().enumerate() {
        for v in values {
            doc.add_text(fields.text[i], v);
            doc.add_text(fields.all, v);
            let pairs = word_pairs(&mut english, v);
            for _ in 0..TEXT_WEIGHTS[i].1 {
                doc.add_text(fields.ranked, v);
                for p in &pairs {
                    doc.add_text(fields.pairs, p);
                }
            }
        }
    }
    suggest_names.push((asset.name.clone(), "name", asset.name.clone()));
    if let Some(alt) = &asset.alternate_name {
        suggest_names.push((alt.clone(), "alternateName", alt.clone()));
    }
    for k in &asset.keywords {
        suggest_terms.push((k.clone(), "keyword", k.clone()));
        doc.add_text(fields.keyword, keyword_key(k));
    }

    let concepts_field = fields.text[3];
    let mut bits = vec![0u64; table.words];
    let mut facets: Vec<(String, Vec<String>)> = Vec::new();
    for facet in Facet::ALL {
        let values = match facet {
            Facet::SkyCell => sky_cells(sky.as_ref()),
            _ => facet.values(asset),
        };
        if let Some(scheme) = facet.scheme() {
            for v in &values {
                let Some(c) = vocab.by_label(scheme, v) else {
                    continue;
                };
                doc.add_text(fields.concept, &c.iri);
                if let Some(bit) = table.bit_of_term(&c.iri) {
                    bits[bit / 64] |= 1 << (bit % 64);
                }
                let mut labels: Vec<&str> = vec![c.pref_label.as_str()];
                labels.extend(c.alt_labels.iter().map(String::as_str));
                labels.extend(c.notation.iter().map(String::as_str));
                for l in labels {
                    doc.add_text(concepts_field, l);
                    doc.add_text(fields.all, l);
                }
                suggest_terms.push((c.pref_label.clone(), facet.name(), c.pref_label.clone()));
                for alt in &c.alt_labels {
                    suggest_terms.push((alt.clone(), facet.name(), alt.clone()));
                }
            }
        } else if facet.is_flag() {
            for v in &values {
                let term = flag_term(facet, v);
                if let Some(bit) = table.bit_of_term(&term) {
                    bits[bit / 64] |= 1 << (bit % 64);
                }
                doc.add_text(fields.concept, &term);
            }
        }
        if !values.is_empty() && !facet.is_derived() {
            facets.push((facet.name().to_owned(), values));
        }
    }
    for (f, w) in fields.facets.iter().zip(&bits) {
        doc.add_u64(*f, *w);
    }
    doc.add_text(fields.name_sort, asset.name.to_lowercase());
    let modified = asset
        .date_modified
        .as_deref()
        .and_then(parse_time)
        .unwrap_or(i64::MIN);
    doc.add_i64(fields.modified, modified);
    doc.add_u64(fields.popularity, asset.popularity.unwrap_or(0));

    for key in &suggest_keys {
        for (text, kind, shown) in &suggest_terms {
            let lower = suggest_key(text);
            for start in word_starts(&lower, 6) {
                doc.add_text(
                    fields.suggest_terms,
                    format!("{key}{SEP}{start}{SEP}{kind}{SEP}{shown}"),
                );
            }
        }
        for (text, kind, shown) in &suggest_names {
            let lower = suggest_key(text);
            for start in word_starts(&lower, 4) {
                doc.add_text(
                    fields.suggest_names,
                    format!("{key}{SEP}{start}{SEP}{kind}{SEP}{shown}"),
                );
            }
        }
    }

    let hit = StoredHit {
        id: asset.id.clone(),
        kind: asset.kind.clone(),
        name: asset.name.clone(),
        alternate_name: asset.alternate_name.clone(),
        abstract_: asset.abstract_.clone(),
        date_modified: asset.date_modified.clone(),
        popularity: asset.popularity,
        facets,
    };
    doc.add_text(
        fields.hit,
        serde_json::to_string(&hit).unwrap_or_else(|_| "{}".to_owned()),
    );
    doc
}

/// The normal form of suggestion text: lower case, single spaces, no separator characters.
pub fn suggest_key(text: &str) -> String {
    text.split(|c: char| c.is_whitespace() || c == SEP)
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// Seconds since the epoch of an RFC 3339 timestamp or an ISO date.
pub fn parse_time(s: &str) -> Option<i64> {
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(s) {
        return Some(t.timestamp());
    }
    chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc().timestamp())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::fields;

    #[test]
    fn the_index_reads_only_public_fields() {
        for key in INDEXED_KEYS {
            assert!(fields::is_public(key), "{key} is not PUBLIC");
        }
        for facet in Facet::ALL {
            assert!(INDEXED_KEYS.contains(&facet.document_key()));
        }
    }

    #[test]
    fn word_starts_cover_each_word() {
        assert_eq!(
            word_starts("james webb space telescope", 6),
            vec![
                "james webb space telescope",
                "webb space telescope",
                "space telescope",
                "telescope"
            ]
        );
        assert_eq!(word_starts("a b c", 2), vec!["a b c", "b c"]);
    }

    #[test]
    fn facet_table_covers_every_scheme() {
        let vocab = Vocabularies::load().expect("vocabularies");
        let table = FacetTable::new(&vocab);
        for facet in Facet::ALL {
            if facet != Facet::Keyword {
                assert!(
                    table.mask(facet).iter().any(|w| *w != 0),
                    "{facet:?} has no bits"
                );
            }
        }
        assert_eq!(table.fingerprint(), FacetTable::new(&vocab).fingerprint());
    }
}
