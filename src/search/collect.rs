//! One pass over the candidates of a query: exact total, the page of hits, and disjunctive
//! facet counts.
//!
//! Candidates are the documents that match the text, are visible to the caller and fail at
//! most one facet filter. A document that fails none is a hit and counts for every facet; one
//! that fails exactly the filter of facet F counts only for F, whose counts therefore ignore
//! F's own filter, as a multi-select facet panel needs. Facet values are read as bits from a
//! few fast-field words per document; keywords as ordinals of a string column.

use std::collections::{BinaryHeap, HashMap};
use std::sync::Arc;

use tantivy::collector::{Collector, SegmentCollector};
use tantivy::columnar::{Cardinality, Column, ColumnValues, StrColumn};
use tantivy::{DocAddress, DocId, Score, SegmentOrdinal, SegmentReader};

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
    /// Best first, at most `limit + 1`.
    pub top: Vec<(SortKey, DocAddress)>,
}

/// The collector.
pub struct FacetCollector {
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
    Anonymous(Arc<dyn ColumnValues<u64>>),
    Keys(Column<u64>, Vec<u64>),
    Nothing,
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
    Keywords(Vec<u64>),
}

pub struct FacetSegment {
    segment: SegmentOrdinal,
    words: usize,
    columns: Vec<Arc<dyn ColumnValues<u64>>>,
    keywords: Option<StrColumn>,
    visibility: SegVisibility,
    filters: Vec<SegFilter>,
    sort: SegSort,
    tiebreak: Arc<dyn ColumnValues<u64>>,
    names: Option<StrColumn>,
    /// Hits must have a key strictly greater than this.
    after: Option<u128>,
    keep: usize,
    heap: BinaryHeap<(u128, DocId)>,
    total: u64,
    bit_counts: Vec<u64>,
    keyword_counts: Vec<u64>,
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

fn str_column(segment: &SegmentReader, name: &str) -> tantivy::Result<Option<StrColumn>> {
    segment.fast_fields().str(name)
}

/// The order-preserving number of a score (higher scores first).
pub fn score_key(score: Score) -> u64 {
    u64::from(u32::MAX - score.max(0.0).to_bits())
}

fn join(primary: u64, tiebreak: u64) -> u128 {
    (u128::from(primary) << 64) | u128::from(tiebreak)
}

impl Collector for FacetCollector {
    type Fruit = Found;
    type Child = FacetSegment;

    fn for_segment(
        &self,
        segment: SegmentOrdinal,
        reader: &SegmentReader,
    ) -> tantivy::Result<FacetSegment> {
        let ff = reader.fast_fields();
        let schema = reader.schema();
        let name_of = |f| schema.get_field_name(f).to_owned();
        let mut columns = Vec::with_capacity(self.words);
        for f in self.fields.facets.iter().take(self.words) {
            columns.push(values_u64(ff.u64(&name_of(*f))?));
        }
        let keywords = str_column(reader, &name_of(self.fields.keyword))?;
        let visibility = match &self.visibility {
            Visibility::All => SegVisibility::All,
            Visibility::Anonymous => {
                SegVisibility::Anonymous(values_u64(ff.u64(&name_of(self.fields.anonymous))?))
            }
            Visibility::Keys(keys) => match str_column(reader, &name_of(self.fields.readers))? {
                Some(col) => {
                    let mut ords = Vec::new();
                    for k in keys {
                        if let Some(o) = col.dictionary().term_ord(k)? {
                            ords.push(o);
                        }
                    }
                    let (_, ord_column) = col.into_parts();
                    SegVisibility::Keys(ord_column, ords)
                }
                None => SegVisibility::Nothing,
            },
        };
        let mut filters = Vec::with_capacity(self.filters.len());
        for f in &self.filters {
            filters.push(match f {
                Filter::Bits {
                    mask, facet_mask, ..
                } => {
                    let mut m = [0u64; MAX_WORDS];
                    let mut fm = [0u64; MAX_WORDS];
                    for i in 0..self.words.min(MAX_WORDS) {
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
                    if let Some(col) = &keywords {
                        for v in values {
                            if let Some(o) = col.dictionary().term_ord(v)? {
                                ords.push(o);
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
                let col = str_column(reader, &name_of(self.fields.name_sort))?;
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
        let keyword_terms = keywords.as_ref().map_or(0, |k| k.num_terms());
        Ok(FacetSegment {
            segment,
            words: self.words.min(MAX_WORDS),
            columns,
            keywords,
            visibility,
            filters,
            sort,
            tiebreak: values_u64(ff.u64(&name_of(self.fields.tiebreak))?),
            names,
            after,
            keep: self.keep,
            heap: BinaryHeap::with_capacity(self.keep + 1),
            total: 0,
            bit_counts: vec![0; self.bits],
            keyword_counts: vec![0; keyword_terms],
        })
    }

    fn requires_scoring(&self) -> bool {
        self.sort == SortBy::Relevance
    }

    fn merge_fruits(&self, fruits: Vec<Found>) -> tantivy::Result<Found> {
        let mut out = Found {
            bit_counts: vec![0; self.bits],
            ..Found::default()
        };
        let mut top = Vec::new();
        for f in fruits {
            out.total += f.total;
            for (a, b) in out.bit_counts.iter_mut().zip(f.bit_counts) {
                *a += b;
            }
            for (k, v) in f.keyword_counts {
                *out.keyword_counts.entry(k).or_default() += v;
            }
            top.extend(f.top);
        }
        top.sort_by(|a, b| a.0.cmp(&b.0));
        top.truncate(self.keep);
        out.top = top;
        Ok(out)
    }
}

impl FacetSegment {
    #[inline]
    fn visible(&self, doc: DocId) -> bool {
        match &self.visibility {
            SegVisibility::All => true,
            SegVisibility::Anonymous(col) => col.get_val(doc) == 1,
            SegVisibility::Keys(col, ords) => col.values_for_doc(doc).any(|o| ords.contains(&o)),
            SegVisibility::Nothing => false,
        }
    }

    #[inline]
    fn count_bits(&mut self, words: &[u64; MAX_WORDS], restrict: Option<&[u64; MAX_WORDS]>) {
        for (i, w) in words.iter().enumerate().take(self.words) {
            let mut x = match restrict {
                Some(m) => w & m[i],
                None => *w,
            };
            while x != 0 {
                let bit = x.trailing_zeros() as usize;
                if let Some(c) = self.bit_counts.get_mut(i * 64 + bit) {
                    *c += 1;
                }
                x &= x - 1;
            }
        }
    }

    #[inline]
    fn count_keywords(&mut self, doc: DocId) {
        if let Some(col) = &self.keywords {
            for o in col.term_ords(doc) {
                if let Some(c) = self.keyword_counts.get_mut(o as usize) {
                    *c += 1;
                }
            }
        }
    }

    fn key(&self, doc: DocId, score: Score) -> u128 {
        let primary = match &self.sort {
            SegSort::Score => score_key(score),
            SegSort::Desc(col) => u64::MAX - col.get_val(doc),
            SegSort::DescSigned(col) => u64::MAX - ((col.get_val(doc) as u64) ^ (1 << 63)),
            SegSort::Name(col) => col.first(doc).unwrap_or(u64::MAX),
        };
        join(primary, self.tiebreak.get_val(doc))
    }
}

impl SegmentCollector for FacetSegment {
    type Fruit = Found;

    fn collect(&mut self, doc: DocId, score: Score) {
        if !self.visible(doc) {
            return;
        }
        let mut words = [0u64; MAX_WORDS];
        for (w, col) in words.iter_mut().zip(&self.columns) {
            *w = col.get_val(doc);
        }
        let mut failed: Option<usize> = None;
        for (i, f) in self.filters.iter().enumerate() {
            let pass = match f {
                SegFilter::Bits { mask, .. } => words.iter().zip(mask).any(|(w, m)| w & m != 0),
                SegFilter::Keywords(ords) => self
                    .keywords
                    .as_ref()
                    .is_some_and(|c| c.term_ords(doc).any(|o| ords.contains(&o))),
            };
            if !pass {
                if failed.is_some() {
                    return;
                }
                failed = Some(i);
            }
        }
        match failed {
            None => {
                self.total += 1;
                self.count_bits(&words, None);
                self.count_keywords(doc);
                let key = self.key(doc, score);
                if self.after.is_some_and(|a| key <= a) {
                    return;
                }
                if self.heap.len() < self.keep {
                    self.heap.push((key, doc));
                } else if self.heap.peek().is_some_and(|(top, _)| key < *top) {
                    self.heap.pop();
                    self.heap.push((key, doc));
                }
            }
            Some(i) => match &self.filters[i] {
                SegFilter::Bits { facet_mask, .. } => {
                    let m = *facet_mask;
                    self.count_bits(&words, Some(&m));
                }
                SegFilter::Keywords(_) => self.count_keywords(doc),
            },
        }
    }

    fn harvest(self) -> Found {
        let mut keyword_counts = HashMap::new();
        if let Some(col) = &self.keywords {
            let mut s = String::new();
            for (ord, &n) in self.keyword_counts.iter().enumerate() {
                if n > 0 {
                    s.clear();
                    if col.ord_to_str(ord as u64, &mut s).unwrap_or(false) {
                        keyword_counts.insert(s.clone(), n);
                    }
                }
            }
        }
        let mut top: Vec<(SortKey, DocAddress)> = Vec::with_capacity(self.heap.len());
        for (key, doc) in self.heap.into_vec() {
            let sort_key = match &self.names {
                Some(col) => {
                    let mut s = String::new();
                    let ord = (key >> 64) as u64;
                    let _ = col.ord_to_str(ord, &mut s);
                    SortKey::Name(s, key as u64)
                }
                None => SortKey::Num(key),
            };
            top.push((sort_key, DocAddress::new(self.segment, doc)));
        }
        top.sort_by(|a, b| a.0.cmp(&b.0));
        Found {
            total: self.total,
            bit_counts: self.bit_counts,
            keyword_counts,
            top,
        }
    }
}
