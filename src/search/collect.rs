//! One pass over the candidates of a query: exact total, the page of hits, and disjunctive
//! facet counts.
//!
//! Candidates are the documents that match the text, are visible to the caller and fail at
//! most one facet filter. A document that fails none is a hit and counts for every facet; one
//! that fails exactly the filter of facet F counts only for F, whose counts therefore ignore
//! F's own filter, as a multi-select facet panel needs.
//!
//! The pass reads each candidate's facets from a dense per-segment table (`SegTable`: the
//! facet bitmask, visibility bit and keyword ordinals of every document, built once per
//! segment when the segment appears), so that checking filters and counting every facet
//! costs a cache line or two per document. Scores are computed only for hits, not for the
//! candidates the filters reject.

use std::collections::{BinaryHeap, HashMap};
use std::sync::{Arc, Mutex};

use tantivy::columnar::{Cardinality, Column, ColumnValues, StrColumn};
use tantivy::index::SegmentId;
use tantivy::query::{EnableScoring, Query};
use tantivy::schema::IndexRecordOption;
use tantivy::{DocAddress, DocId, DocSet, Score, Searcher, SegmentReader, TERMINATED, Term};

use super::schema::{Facet, Fields};

/// Most words of the facet bitmask.
pub const MAX_WORDS: usize = 8;

/// Who may find what, inside the index.
#[derive(Debug, Clone, PartialEq)]
pub enum Visibility {
    /// Every document.
    All,
    /// Documents anyone may find.
    Anonymous,
    /// Documents filed under one of these reader keys.
    Keys(Vec<String>),
}

/// A facet filter: the values of one facet, any of which passes.
#[derive(Debug, Clone)]
pub enum Filter {
    /// Bits of the facet bitmask (any set passes); `facet_mask` is all bits of the facet.
    Bits {
        facet: Facet,
        mask: Vec<u64>,
        facet_mask: Vec<u64>,
    },
    /// Keyword values (normal form).
    Keywords(Vec<String>),
}

/// The orders a page can be sorted in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortBy {
    Relevance,
    Name,
    DateModified,
    Popularity,
}

impl SortBy {
    pub fn parse(s: &str) -> Option<SortBy> {
        match s {
            "relevance" => Some(SortBy::Relevance),
            "name" => Some(SortBy::Name),
            "dateModified" => Some(SortBy::DateModified),
            "popularity" => Some(SortBy::Popularity),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            SortBy::Relevance => "relevance",
            SortBy::Name => "name",
            SortBy::DateModified => "dateModified",
            SortBy::Popularity => "popularity",
        }
    }
}

/// A position in a sorted result list; smaller comes first.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum SortKey {
    /// Relevance, date and popularity: an order-preserving number and the tie-break.
    Num(u128),
    /// Name order: the lower-cased name and the tie-break.
    Name(String, u64),
}

/// What the pass found.
#[derive(Debug, Default)]
pub struct Found {
    pub total: u64,
    /// Per bit of the facet table.
    pub bit_counts: Vec<u64>,
    pub keyword_counts: HashMap<String, u64>,
    /// Best first, at most `keep`.
    pub top: Vec<(SortKey, DocAddress)>,
}

/// The facets of every document of one segment, laid out for the pass.
pub struct SegTable {
    words: usize,
    /// `words` words of facet bits per document.
    bits: Vec<u64>,
    /// One bit per document: anyone may find it.
    anonymous: Vec<u64>,
    /// Keyword ordinals of document d: `keyword_ords[keyword_start[d]..keyword_start[d + 1]]`.
    keyword_start: Vec<u32>,
    keyword_ords: Vec<u32>,
    keywords: Option<StrColumn>,
    tiebreak: Vec<u64>,
}

fn values_u64(col: Column<u64>) -> Arc<dyn ColumnValues<u64>> {
    if col.get_cardinality() == Cardinality::Full {
        col.values
    } else {
        col.first_or_default_col(0)
    }
}

fn values_i64(col: Column<i64>) -> Arc<dyn ColumnValues<i64>> {
    if col.get_cardinality() == Cardinality::Full {
        col.values
    } else {
        col.first_or_default_col(i64::MIN)
    }
}

fn dense(col: &Arc<dyn ColumnValues<u64>>, n: u32) -> Vec<u64> {
    let mut out = vec![0u64; n as usize];
    col.get_range(0, &mut out);
    out
}

impl SegTable {
    /// Reads the table of a segment from its fast fields.
    pub fn build(
        reader: &SegmentReader,
        fields: &Fields,
        words: usize,
    ) -> tantivy::Result<SegTable> {
        let ff = reader.fast_fields();
        let schema = reader.schema();
        let name_of = |f| schema.get_field_name(f).to_owned();
        let n = reader.max_doc();
        let mut columns = Vec::with_capacity(words);
        for f in fields.facets.iter().take(words) {
            columns.push(dense(&values_u64(ff.u64(&name_of(*f))?), n));
        }
        let mut bits = vec![0u64; n as usize * words];
        for (w, col) in columns.iter().enumerate() {
            for (d, v) in col.iter().enumerate() {
                bits[d * words + w] = *v;
            }
        }
        let anon_values = dense(&values_u64(ff.u64(&name_of(fields.anonymous))?), n);
        let mut anonymous = vec![0u64; (n as usize).div_ceil(64)];
        for (d, v) in anon_values.iter().enumerate() {
            if *v == 1 {
                anonymous[d / 64] |= 1 << (d % 64);
            }
        }
        let keywords = ff.str(&name_of(fields.keyword))?;
        let mut keyword_start = Vec::with_capacity(n as usize + 1);
        let mut keyword_ords = Vec::new();
        keyword_start.push(0);
        for d in 0..n {
            if let Some(col) = &keywords {
                keyword_ords.extend(col.term_ords(d).map(|o| o as u32));
            }
            keyword_start.push(keyword_ords.len() as u32);
        }
        let tiebreak = dense(&values_u64(ff.u64(&name_of(fields.tiebreak))?), n);
        Ok(SegTable {
            words,
            bits,
            anonymous,
            keyword_start,
            keyword_ords,
            keywords,
            tiebreak,
        })
    }

    /// Bytes held.
    pub fn heap_bytes(&self) -> usize {
        8 * (self.bits.len() + self.anonymous.len() + self.tiebreak.len())
            + 4 * (self.keyword_start.len() + self.keyword_ords.len())
    }

    #[inline]
    fn keywords_of(&self, doc: DocId) -> &[u32] {
        let d = doc as usize;
        match (self.keyword_start.get(d), self.keyword_start.get(d + 1)) {
            (Some(&a), Some(&b)) => self.keyword_ords.get(a as usize..b as usize).unwrap_or(&[]),
            _ => &[],
        }
    }
}

/// The tables of the segments in use, by segment.
#[derive(Default)]
pub struct Tables {
    by_segment: Mutex<HashMap<SegmentId, Arc<SegTable>>>,
}

impl Tables {
    /// The tables of every segment of a searcher, building the missing ones.
    pub fn of(
        &self,
        searcher: &Searcher,
        fields: &Fields,
        words: usize,
    ) -> tantivy::Result<Vec<Arc<SegTable>>> {
        let mut out = Vec::with_capacity(searcher.segment_readers().len());
        let mut missing = Vec::new();
        {
            let map = self.by_segment.lock().unwrap_or_else(|e| e.into_inner());
            for r in searcher.segment_readers() {
                match map.get(&r.segment_id()) {
                    Some(t) => out.push(Some(t.clone())),
                    None => {
                        missing.push(out.len());
                        out.push(None);
                    }
                }
            }
        }
        for i in missing {
            let reader = &searcher.segment_readers()[i];
            let table = Arc::new(SegTable::build(reader, fields, words)?);
            self.by_segment
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .insert(reader.segment_id(), table.clone());
            out[i] = Some(table);
        }
        Ok(out.into_iter().flatten().collect())
    }

    /// Builds the tables of a searcher's segments and forgets those of segments no longer in
    /// `live`.
    pub fn warm(
        &self,
        searcher: &Searcher,
        live: &[SegmentId],
        fields: &Fields,
        words: usize,
    ) -> tantivy::Result<()> {
        self.of(searcher, fields, words)?;
        self.by_segment
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .retain(|id, _| live.contains(id));
        Ok(())
    }

    /// Bytes held by all tables.
    pub fn heap_bytes(&self) -> usize {
        self.by_segment
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .values()
            .map(|t| t.heap_bytes())
            .sum()
    }
}

/// The pass.
pub struct Scan {
    pub fields: Fields,
    pub bits: usize,
    pub words: usize,
    pub filters: Vec<Filter>,
    pub visibility: Visibility,
    pub sort: SortBy,
    /// How many hits to keep.
    pub keep: usize,
    /// Only hits after this position.
    pub after: Option<SortKey>,
}

enum SegVisibility {
    All,
    /// Anonymous ones, when `public`; and those in the bitset (from the caller's other keys).
    Some {
        public: bool,
        shared: Vec<u64>,
    },
}

enum SegSort {
    Score,
    Desc(Arc<dyn ColumnValues<u64>>),
    DescSigned(Arc<dyn ColumnValues<i64>>),
    Name(Column<u64>),
}

enum SegFilter {
    Bits {
        mask: [u64; MAX_WORDS],
        facet_mask: [u64; MAX_WORDS],
    },
    Keywords(Vec<u32>),
}

/// The order-preserving number of a score (higher scores first).
pub fn score_key(score: Score) -> u64 {
    u64::from(u32::MAX - score.max(0.0).to_bits())
}

fn join(primary: u64, tiebreak: u64) -> u128 {
    (u128::from(primary) << 64) | u128::from(tiebreak)
}

#[inline]
fn has_bit(set: &[u64], doc: DocId) -> bool {
    let d = doc as usize;
    set.get(d / 64).is_some_and(|w| w & (1 << (d % 64)) != 0)
}

/// Counters of one segment.
struct Counts {
    total: u64,
    bits: Vec<u64>,
    keywords: Vec<u64>,
}

impl Counts {
    #[inline]
    fn bits(&mut self, words: &[u64], restrict: Option<&[u64; MAX_WORDS]>) {
        for (i, w) in words.iter().enumerate() {
            let mut x = match restrict {
                Some(m) => w & m[i],
                None => *w,
            };
            while x != 0 {
                let bit = x.trailing_zeros() as usize;
                if let Some(c) = self.bits.get_mut(i * 64 + bit) {
                    *c += 1;
                }
                x &= x - 1;
            }
        }
    }

    #[inline]
    fn keywords(&mut self, ords: &[u32]) {
        for &o in ords {
            if let Some(c) = self.keywords.get_mut(o as usize) {
                *c += 1;
            }
        }
    }
}

impl Scan {
    /// Runs the pass over every segment of `searcher`.
    pub fn run(
        &self,
        searcher: &Searcher,
        query: &dyn Query,
        tables: &Tables,
    ) -> tantivy::Result<Found> {
        let scoring = if self.sort == SortBy::Relevance {
            EnableScoring::enabled_from_searcher(searcher)
        } else {
            EnableScoring::disabled_from_searcher(searcher)
        };
        let weight = query.weight(scoring)?;
        let tables = tables.of(searcher, &self.fields, self.words)?;
        let mut out = Found {
            bit_counts: vec![0; self.bits],
            ..Found::default()
        };
        let mut top = Vec::new();
        for (ord, (reader, table)) in searcher.segment_readers().iter().zip(&tables).enumerate() {
            let mut scorer = weight.scorer(reader, 1.0)?;
            let found = self.segment(ord as u32, reader, table, scorer.as_mut())?;
            out.total += found.total;
            for (a, b) in out.bit_counts.iter_mut().zip(found.bit_counts) {
                *a += b;
            }
            for (k, v) in found.keyword_counts {
                *out.keyword_counts.entry(k).or_default() += v;
            }
            top.extend(found.top);
        }
        top.sort_by(|a, b| a.0.cmp(&b.0));
        top.truncate(self.keep);
        out.top = top;
        Ok(out)
    }

    fn segment(
        &self,
        segment: u32,
        reader: &SegmentReader,
        table: &SegTable,
        scorer: &mut dyn tantivy::query::Scorer,
    ) -> tantivy::Result<Found> {
        let ff = reader.fast_fields();
        let schema = reader.schema();
        let name_of = |f| schema.get_field_name(f).to_owned();
        let words = table.words.min(MAX_WORDS);
        let visibility = match &self.visibility {
            Visibility::All => SegVisibility::All,
            Visibility::Anonymous => SegVisibility::Some {
                public: true,
                shared: Vec::new(),
            },
            Visibility::Keys(keys) => {
                let mut shared = Vec::new();
                let inverted = reader.inverted_index(self.fields.readers)?;
                for k in keys
                    .iter()
                    .filter(|k| k.as_str() != crate::access::PUBLIC_READERS)
                {
                    let term = Term::from_field_text(self.fields.readers, k);
                    if let Some(mut postings) =
                        inverted.read_postings(&term, IndexRecordOption::Basic)?
                    {
                        if shared.is_empty() {
                            shared = vec![0u64; (reader.max_doc() as usize).div_ceil(64)];
                        }
                        let mut d = postings.doc();
                        while d != TERMINATED {
                            shared[d as usize / 64] |= 1 << (d % 64);
                            d = postings.advance();
                        }
                    }
                }
                SegVisibility::Some {
                    public: keys.iter().any(|k| k == crate::access::PUBLIC_READERS),
                    shared,
                }
            }
        };
        let mut filters = Vec::with_capacity(self.filters.len());
        for f in &self.filters {
            filters.push(match f {
                Filter::Bits {
                    mask, facet_mask, ..
                } => {
                    let mut m = [0u64; MAX_WORDS];
                    let mut fm = [0u64; MAX_WORDS];
                    for i in 0..words {
                        m[i] = mask.get(i).copied().unwrap_or(0);
                        fm[i] = facet_mask.get(i).copied().unwrap_or(0);
                    }
                    SegFilter::Bits {
                        mask: m,
                        facet_mask: fm,
                    }
                }
                Filter::Keywords(values) => {
                    let mut ords = Vec::new();
                    if let Some(col) = &table.keywords {
                        for v in values {
                            if let Some(o) = col.dictionary().term_ord(v)? {
                                ords.push(o as u32);
                            }
                        }
                    }
                    SegFilter::Keywords(ords)
                }
            });
        }
        let mut names = None;
        let sort = match self.sort {
            SortBy::Relevance => SegSort::Score,
            SortBy::Popularity => {
                SegSort::Desc(values_u64(ff.u64(&name_of(self.fields.popularity))?))
            }
            SortBy::DateModified => {
                SegSort::DescSigned(values_i64(ff.i64(&name_of(self.fields.modified))?))
            }
            SortBy::Name => {
                let col = ff.str(&name_of(self.fields.name_sort))?;
                names = col.clone();
                match col {
                    Some(c) => SegSort::Name(c.ords().clone()),
                    None => SegSort::Score,
                }
            }
        };
        let after = match (&self.after, &names) {
            (None, _) => None,
            (Some(SortKey::Num(k)), _) => Some(*k),
            (Some(SortKey::Name(s, t)), Some(col)) => {
                match col.dictionary().term_ord_or_next(s.as_bytes())? {
                    tantivy_sstable::TermOrdHit::Exact(o) => Some(join(o, *t)),
                    tantivy_sstable::TermOrdHit::Next(o) => join(o, 0).checked_sub(1),
                }
            }
            (Some(SortKey::Name(..)), None) => None,
        };
        let mut counts = Counts {
            total: 0,
            bits: vec![0; self.bits],
            keywords: vec![0; table.keywords.as_ref().map_or(0, |k| k.num_terms())],
        };
        let mut heap: BinaryHeap<(u128, DocId)> = BinaryHeap::with_capacity(self.keep + 1);
        let alive = reader.alive_bitset();
        let empty = [0u64; MAX_WORDS];
        let mut doc = scorer.doc();
        while doc != TERMINATED {
            let d = doc;
            'visit: {
                if alive.is_some_and(|a| !a.is_alive(d)) {
                    break 'visit;
                }
                let visible = match &visibility {
                    SegVisibility::All => true,
                    SegVisibility::Some { public, shared } => {
                        (*public && has_bit(&table.anonymous, d)) || has_bit(shared, d)
                    }
                };
                if !visible {
                    break 'visit;
                }
                let start = d as usize * table.words;
                let record = table
                    .bits
                    .get(start..start + words)
                    .unwrap_or(&empty[..words]);
                let mut failed: Option<usize> = None;
                let mut rejected = false;
                for (i, f) in filters.iter().enumerate() {
                    let pass = match f {
                        SegFilter::Bits { mask, .. } => {
                            record.iter().zip(mask).any(|(w, m)| w & m != 0)
                        }
                        SegFilter::Keywords(ords) => {
                            table.keywords_of(d).iter().any(|o| ords.contains(o))
                        }
                    };
                    if !pass {
                        if failed.is_some() {
                            rejected = true;
                            break;
                        }
                        failed = Some(i);
                    }
                }
                if rejected {
                    break 'visit;
                }
                match failed {
                    None => {
                        counts.total += 1;
                        counts.bits(record, None);
                        counts.keywords(table.keywords_of(d));
                        let primary = match &sort {
                            SegSort::Score => score_key(scorer.score()),
                            SegSort::Desc(col) => u64::MAX - col.get_val(d),
                            SegSort::DescSigned(col) => {
                                u64::MAX - ((col.get_val(d) as u64) ^ (1 << 63))
                            }
                            SegSort::Name(col) => col.first(d).unwrap_or(u64::MAX),
                        };
                        let key = join(
                            primary,
                            table.tiebreak.get(d as usize).copied().unwrap_or(0),
                        );
                        if after.is_some_and(|a| key <= a) {
                            break 'visit;
                        }
                        if heap.len() < self.keep {
                            heap.push((key, d));
                        } else if heap.peek().is_some_and(|(top, _)| key < *top) {
                            heap.pop();
                            heap.push((key, d));
                        }
                    }
                    Some(i) => match &filters[i] {
                        SegFilter::Bits { facet_mask, .. } => counts.bits(record, Some(facet_mask)),
                        SegFilter::Keywords(_) => counts.keywords(table.keywords_of(d)),
                    },
                }
            }
            doc = scorer.advance();
        }
        let mut keyword_counts = HashMap::new();
        if let Some(col) = &table.keywords {
            let mut s = String::new();
            for (ord, &n) in counts.keywords.iter().enumerate() {
                if n > 0 {
                    s.clear();
                    if col.ord_to_str(ord as u64, &mut s).unwrap_or(false) {
                        keyword_counts.insert(s.clone(), n);
                    }
                }
            }
        }
        let mut top: Vec<(SortKey, DocAddress)> = Vec::with_capacity(heap.len());
        for (key, d) in heap.into_vec() {
            let sort_key = match &names {
                Some(col) => {
                    let mut s = String::new();
                    let ord = (key >> 64) as u64;
                    let _ = col.ord_to_str(ord, &mut s);
                    SortKey::Name(s, key as u64)
                }
                None => SortKey::Num(key),
            };
            top.push((sort_key, DocAddress::new(segment, d)));
        }
        top.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(Found {
            total: counts.total,
            bit_counts: counts.bits,
            keyword_counts,
            top,
        })
    }
}
