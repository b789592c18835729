//! Where and when: the search's coverage filters (`sky` with `skyRelation`, `time`,
//! `spectral`), answered exactly from the index.
//!
//! Each document carries its coverage twice. As terms, for finding candidates: the cells of its
//! sky MOC seen at order [`TERM_ORDER`] (`c<uniq>`) and their ancestors (`a<uniq>`), and a
//! presence term for each kind of coverage. As fast fields, for the exact answer: the MOC's
//! order-29 ranges, the time interval (MJD), the energy bands (J). A filter is a query whose
//! candidates come from the terms (a region overlaps a document only if, at order 6, one of the
//! document's cells is one of the region's, an ancestor of one, or a descendant of one) and
//! whose every candidate is then checked on the fast fields, so totals and facet counts stay
//! exact and a filter costs in proportion to the documents near the region, not the catalogue.
//! A filter scores nothing: relevance is the text's.

use std::sync::Arc;

use tantivy::columnar::{BytesColumn, Column};
use tantivy::query::{
    BooleanQuery, EmptyQuery, EnableScoring, Explanation, Occur, Query, Scorer, TermQuery, Weight,
};
use tantivy::schema::{FAST, Field, IndexRecordOption, STRING, SchemaBuilder};
use tantivy::{DocId, DocSet, Score, SegmentReader, TantivyDocument, Term};

use super::filtered::Filtered;

use crate::model::Asset;
use crate::model::coverage::sky::{Sky, uniq};
use crate::model::coverage::{self, EnergyInterval, TimeInterval};

/// The order of the cells indexed as terms.
pub const TERM_ORDER: u8 = 6;

/// How a document's sky must relate to the region of a `sky` filter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Relation {
    /// They share a point.
    #[default]
    Overlaps,
    /// The document covers the whole region.
    Covers,
    /// The document lies within the region.
    Enclosed,
}

impl Relation {
    pub fn parse(text: &str) -> Option<Relation> {
        match text {
            "overlaps" => Some(Relation::Overlaps),
            "covers" => Some(Relation::Covers),
            "enclosed" => Some(Relation::Enclosed),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Relation::Overlaps => "overlaps",
            Relation::Covers => "covers",
            Relation::Enclosed => "enclosed",
        }
    }
}

/// The coverage conditions of a search (all must hold).
#[derive(Debug, Clone, Default)]
pub struct CoverageFilter {
    pub sky: Option<(Sky, Relation)>,
    pub time: Option<TimeInterval>,
    pub spectral: Option<EnergyInterval>,
}

impl CoverageFilter {
    pub fn is_empty(&self) -> bool {
        self.sky.is_none() && self.time.is_none() && self.spectral.is_none()
    }

    /// A stable text of the filter, for cursors (a cursor belongs to one filter).
    pub fn fingerprint(&self) -> String {
        let mut out = String::new();
        if let Some((sky, relation)) = &self.sky {
            out.push_str(&format!("sky:{}:{}|", relation.name(), sky.to_ascii()));
        }
        if let Some(t) = &self.time {
            out.push_str(&format!("time:{}:{}|", t.start, t.end));
        }
        if let Some(s) = &self.spectral {
            out.push_str(&format!("spectral:{}:{}|", s.low, s.high));
        }
        out
    }
}

/// A `sky` parameter: `ra,dec,radius` (a cone, degrees), `ra1,dec1,ra2,dec2,ra3,dec3,…` (a
/// polygon) or an ASCII MOC; shapes become MOCs at the coverage model's shape order. A fault
/// names its character position where it has one.
pub fn parse_sky(text: &str) -> Result<Sky, coverage::SkyError> {
    let bad = |message: String, position: Option<usize>| coverage::SkyError { message, position };
    if text.contains('/') {
        let sky = Sky::parse_ascii(text)?;
        if sky.is_empty() {
            return Err(bad("the MOC covers no cell".into(), None));
        }
        return Ok(sky);
    }
    let mut numbers = Vec::new();
    let mut at = 0;
    for part in text.split(',') {
        let trimmed = part.trim();
        let start = at + (part.len() - part.trim_start().len());
        let n: f64 = trimmed.parse().map_err(|_| {
            bad(
                format!("{trimmed:?} is not a number: a cone is ra,dec,radius and a polygon ra,dec pairs (degrees)"),
                Some(start),
            )
        })?;
        numbers.push(n);
        at += part.len() + 1;
    }
    match numbers.as_slice() {
        [ra, dec, r] => Sky::cone(*ra, *dec, *r, coverage::sky::SHAPE_ORDER),
        n if n.len() >= 6 && n.len() % 2 == 0 => {
            let vertices: Vec<(f64, f64)> = n.chunks(2).map(|v| (v[0], v[1])).collect();
            Sky::polygon(&vertices, coverage::sky::SHAPE_ORDER)
        }
        n => Err(bad(
            format!(
                "{} numbers: a cone is ra,dec,radius and a polygon at least three ra,dec pairs",
                n.len()
            ),
            None,
        )),
    }
}

/// The coverage fields of the index.
#[derive(Debug, Clone, Copy)]
pub struct CoverageFields {
    /// Cell, ancestor and presence terms.
    pub terms: Field,
    /// The sky MOC's order-29 ranges, little-endian `u64` pairs.
    pub sky: Field,
    pub time_start: Field,
    pub time_end: Field,
    /// The energy bands, little-endian `f64` pairs.
    pub bands: Field,
}

const SKY: &str = "sky_ranges";
const TIME_START: &str = "time_start";
const TIME_END: &str = "time_end";
const BANDS: &str = "bands";
const HAS_SKY: &str = "m";
const HAS_TIME: &str = "t";
const HAS_BANDS: &str = "s";

pub fn add_fields(b: &mut SchemaBuilder) -> CoverageFields {
    CoverageFields {
        terms: b.add_text_field("coverage", STRING),
        sky: b.add_bytes_field(SKY, FAST),
        time_start: b.add_f64_field(TIME_START, FAST),
        time_end: b.add_f64_field(TIME_END, FAST),
        bands: b.add_bytes_field(BANDS, FAST),
    }
}

/// The cells of a MOC seen at [`TERM_ORDER`]: its own cells down to that order, deeper ones as
/// the cell of that order holding them.
fn term_cells(sky: &Sky) -> Vec<(u8, u64)> {
    let mut cells: Vec<(u8, u64)> = sky
        .cells()
        .into_iter()
        .map(|(o, c)| {
            if o > TERM_ORDER {
                (TERM_ORDER, c >> (2 * u32::from(o - TERM_ORDER)))
            } else {
                (o, c)
            }
        })
        .collect();
    cells.dedup();
    cells
}

/// An asset's sky coverage as a MOC (`None` when it has none, or one that does not read:
/// documents were checked when written).
pub fn sky_of(asset: &Asset) -> Option<Sky> {
    asset
        .coverage
        .as_ref()?
        .sky
        .as_ref()
        .and_then(|s| coverage::sky(s).ok())
}

/// Adds an asset's coverage to its document, `sky` being its sky coverage ([`sky_of`]); what
/// does not read is left out.
pub fn index(doc: &mut TantivyDocument, f: &CoverageFields, asset: &Asset, sky: Option<&Sky>) {
    let Some(c) = &asset.coverage else {
        return;
    };
    if let Some(sky) = sky {
        doc.add_text(f.terms, HAS_SKY);
        let mut ancestors = std::collections::BTreeSet::new();
        for (o, cell) in term_cells(sky) {
            doc.add_text(f.terms, format!("c{}", uniq(o, cell)));
            for up in 0..o {
                ancestors.insert(uniq(up, cell >> (2 * u32::from(o - up))));
            }
        }
        for a in ancestors {
            doc.add_text(f.terms, format!("a{a}"));
        }
        let mut bytes = Vec::new();
        for r in sky.ranges() {
            bytes.extend_from_slice(&r.start.to_le_bytes());
            bytes.extend_from_slice(&r.end.to_le_bytes());
        }
        doc.add_bytes(f.sky, &bytes);
    }
    if let Some(t) = coverage::time(c) {
        doc.add_text(f.terms, HAS_TIME);
        doc.add_f64(f.time_start, t.start);
        doc.add_f64(f.time_end, t.end);
    }
    let bands = coverage::spectral(c);
    if !bands.is_empty() {
        doc.add_text(f.terms, HAS_BANDS);
        let mut bytes = Vec::new();
        for b in bands {
            bytes.extend_from_slice(&b.low.to_le_bytes());
            bytes.extend_from_slice(&b.high.to_le_bytes());
        }
        doc.add_bytes(f.bands, &bytes);
    }
}

fn term(f: &CoverageFields, text: &str) -> Box<dyn Query> {
    Box::new(TermQuery::new(
        Term::from_field_text(f.terms, text),
        IndexRecordOption::Basic,
    ))
}

/// The documents that may match the filter, from the terms alone (a superset).
fn candidates(filter: &CoverageFilter, f: &CoverageFields) -> Box<dyn Query> {
    let mut must: Vec<(Occur, Box<dyn Query>)> = Vec::new();
    if let Some((region, _)) = &filter.sky {
        let mut should: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        let mut seen = std::collections::BTreeSet::new();
        for (o, cell) in term_cells(region) {
            // The document's cell is this one, or an ancestor of it, or lies within it.
            if seen.insert(format!("a{}", uniq(o, cell))) {
                should.push((Occur::Should, term(f, &format!("a{}", uniq(o, cell)))));
            }
            for up in 0..=o {
                let c = format!("c{}", uniq(up, cell >> (2 * u32::from(o - up))));
                if seen.insert(c.clone()) {
                    should.push((Occur::Should, term(f, &c)));
                }
            }
        }
        must.push((Occur::Must, Box::new(BooleanQuery::new(should))));
    }
    if filter.time.is_some() {
        must.push((Occur::Must, term(f, HAS_TIME)));
    }
    if filter.spectral.is_some() {
        must.push((Occur::Must, term(f, HAS_BANDS)));
    }
    match must.len() {
        0 => Box::new(EmptyQuery),
        1 => must
            .pop()
            .map_or_else(|| Box::new(EmptyQuery) as _, |(_, q)| q),
        _ => Box::new(BooleanQuery::new(must)),
    }
}

/// The documents whose coverage meets the filter; scores 0.
#[derive(Debug, Clone)]
pub struct CoverageQuery {
    filter: Arc<CoverageFilter>,
    fields: CoverageFields,
}

impl CoverageQuery {
    pub fn new(filter: CoverageFilter, fields: CoverageFields) -> CoverageQuery {
        CoverageQuery {
            filter: Arc::new(filter),
            fields,
        }
    }
}

impl Query for CoverageQuery {
    fn weight(&self, enable_scoring: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        let disabled = match enable_scoring.searcher() {
            Some(searcher) => EnableScoring::disabled_from_searcher(searcher),
            None => EnableScoring::disabled_from_schema(enable_scoring.schema()),
        };
        let candidates = candidates(&self.filter, &self.fields).weight(disabled)?;
        let region = self
            .filter
            .sky
            .as_ref()
            .map(|(sky, _)| sky.ranges().iter().map(|r| (r.start, r.end)).collect())
            .unwrap_or_default();
        Ok(Box::new(CoverageWeight {
            candidates,
            filter: self.filter.clone(),
            region: Arc::new(region),
        }))
    }

    fn query_terms<'a>(&'a self, _visitor: &mut dyn FnMut(&'a Term, bool)) {
        // Nothing to highlight.
    }
}

struct CoverageWeight {
    candidates: Box<dyn Weight>,
    filter: Arc<CoverageFilter>,
    /// The region's order-29 ranges.
    region: Arc<Vec<(u64, u64)>>,
}

impl Weight for CoverageWeight {
    fn scorer(&self, reader: &SegmentReader, _boost: Score) -> tantivy::Result<Box<dyn Scorer>> {
        let fast = reader.fast_fields();
        let mut check = Check {
            filter: self.filter.clone(),
            region: self.region.clone(),
            sky: fast.bytes(SKY)?,
            time: (fast.f64(TIME_START)?, fast.f64(TIME_END)?),
            bands: fast.bytes(BANDS)?,
            buffer: Vec::new(),
        };
        let candidates = self.candidates.scorer(reader, 1.0)?;
        Ok(Box::new(Filtered::new(
            candidates,
            move |doc| check.matches(doc),
            false,
        )))
    }

    fn explain(&self, reader: &SegmentReader, doc: DocId) -> tantivy::Result<Explanation> {
        let mut scorer = self.scorer(reader, 1.0)?;
        if scorer.seek(doc) != doc {
            return Err(tantivy::TantivyError::InvalidArgument(format!(
                "document {doc} does not match"
            )));
        }
        Ok(Explanation::new("coverage", 0.0))
    }
}

/// The exact test of a candidate, on the segment's fast fields.
struct Check {
    filter: Arc<CoverageFilter>,
    region: Arc<Vec<(u64, u64)>>,
    sky: Option<BytesColumn>,
    time: (Column<f64>, Column<f64>),
    bands: Option<BytesColumn>,
    buffer: Vec<u8>,
}

/// The first value of a bytes column for a document.
fn bytes_of(column: &Option<BytesColumn>, doc: DocId, buffer: &mut Vec<u8>) -> bool {
    buffer.clear();
    let Some(c) = column else {
        return false;
    };
    let Some(ord) = c.term_ords(doc).next() else {
        return false;
    };
    c.ord_to_bytes(ord, buffer).unwrap_or(false)
}

fn pairs<T>(bytes: &[u8], read: impl Fn([u8; 8]) -> T) -> Vec<(T, T)> {
    bytes
        .chunks_exact(16)
        .map(|c| {
            let mut a = [0u8; 8];
            let mut b = [0u8; 8];
            a.copy_from_slice(&c[..8]);
            b.copy_from_slice(&c[8..]);
            (read(a), read(b))
        })
        .collect()
}

impl Check {
    /// Whether the candidate `doc` meets every condition.
    fn matches(&mut self, doc: DocId) -> bool {
        let filter = self.filter.clone();
        if let Some((_, relation)) = &filter.sky {
            if !bytes_of(&self.sky, doc, &mut self.buffer) {
                return false;
            }
            let ranges = pairs(&self.buffer, u64::from_le_bytes);
            let region = self.region.as_slice();
            let ok = match relation {
                Relation::Overlaps => overlaps(&ranges, region),
                Relation::Covers => covers(&ranges, region),
                Relation::Enclosed => covers(region, &ranges),
            };
            if !ok {
                return false;
            }
        }
        if let Some(t) = &filter.time {
            let (Some(start), Some(end)) = (self.time.0.first(doc), self.time.1.first(doc)) else {
                return false;
            };
            if !(start <= t.end && t.start <= end) {
                return false;
            }
        }
        if let Some(s) = &filter.spectral {
            if !bytes_of(&self.bands, doc, &mut self.buffer) {
                return false;
            }
            if !pairs(&self.buffer, f64::from_le_bytes)
                .iter()
                .any(|(low, high)| *low <= s.high && s.low <= *high)
            {
                return false;
            }
        }
        true
    }
}

/// Whether sorted disjoint ranges share a cell with the region.
fn overlaps(ranges: &[(u64, u64)], theirs: &[(u64, u64)]) -> bool {
    let (mut i, mut j) = (0, 0);
    while i < ranges.len() && j < theirs.len() {
        let (a, b) = (ranges[i], theirs[j]);
        if a.0 < b.1 && b.0 < a.1 {
            return true;
        }
        if a.1 <= b.1 {
            i += 1;
        } else {
            j += 1;
        }
    }
    false
}

/// Whether the sorted disjoint, merged ranges `outer` hold every range of `inner`.
fn covers(outer: &[(u64, u64)], inner: &[(u64, u64)]) -> bool {
    let mut i = 0;
    for r in inner {
        while i < outer.len() && outer[i].1 <= r.0 {
            i += 1;
        }
        if i == outer.len() || !(outer[i].0 <= r.0 && r.1 <= outer[i].1) {
            return false;
        }
    }
    true
}
