//! One pass over the candidates of a search: the page, the exact total and the exact
//! disjunctive counts of every facet, by one tantivy `Collector` on tantivy's executor (a
//! segment per core).
//!
//! Tantivy finds the candidates: the text's documents (without text, those matching all facet
//! filters but one) that the caller may see, visibility being one more required clause over
//! the `readers` terms. The collector reads each candidate's facets from the fast-field
//! columns: a candidate that passes every filter is a hit, counted for every facet and offered
//! to the page; one that fails exactly one filter counts only for that filter's facet, whose
//! counts therefore ignore its own filter, as a multi-select facet panel needs. Keywords, with
//! thousands of values, are counted exactly by ordinal and named once per segment.
//!
//! (A specialised pass over per-segment tables, with bitsets, term-at-a-time scoring and SIMD
//! kernels, once stood beside this one. Measured side by side on the generator's catalogue and
//! query log (`cargo bench --bench search`), it was no faster at 1M assets (mix p50 13.6 ms
//! against this pass's 12.2 ms, 76 against 65 searches/s) and 1.05 times faster at 100k, for
//! some 2,500 lines: it went.)

use std::collections::BinaryHeap;
use std::sync::Arc;

use tantivy::collector::{Collector, SegmentCollector};
use tantivy::columnar::{Cardinality, Column, ColumnValues, StrColumn};
use tantivy::query::{BooleanQuery, ConstScoreQuery, Occur, Query, TermQuery};
use tantivy::schema::IndexRecordOption;
use tantivy::{DocAddress, DocId, Score, Searcher, SegmentOrdinal, SegmentReader, Term};

use super::schema::{Facet, Fields};
use super::statistics::PublicCounts;

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
    /// Keywords with a count, in name order (a segment's dictionary order).
    pub keyword_counts: Vec<(Arc<str>, u64)>,
    /// Best first, at most `keep`.
    pub top: Vec<(SortKey, DocAddress)>,
}

/// A pass: what a search counts and ranks.
pub struct Scan {
    /// Bits of the facet table.
    pub bits: usize,
    pub filters: Vec<Filter>,
    pub visibility: Visibility,
    pub sort: SortBy,
    /// How many hits to keep.
    pub keep: usize,
    /// Only hits after this position.
    pub after: Option<SortKey>,
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

/// The order-preserving number of a score (higher scores first).
pub fn score_key(score: Score) -> u64 {
    u64::from(u32::MAX - score.max(0.0).to_bits())
}

/// The score of a relevance sort key (see `score_key`).
pub fn key_score(key: u128) -> Score {
    f32::from_bits(u32::MAX - ((key >> 64) as u32))
}

/// The sort key of a popularity (most popular first).
fn popularity_key(popularity: u64) -> u64 {
    u64::MAX - popularity
}

/// The sort key of a modification time (latest first).
fn modified_key(modified: i64) -> u64 {
    u64::MAX - ((modified as u64) ^ (1 << 63))
}

fn join(primary: u64, tiebreak: u64) -> u128 {
    (u128::from(primary) << 64) | u128::from(tiebreak)
}

/// A cursor's position in one segment's keys (a name becomes the ordinal of the name, or the
/// position just before the next one when the segment lacks it).
fn after_in_segment(
    after: Option<&SortKey>,
    names: Option<&StrColumn>,
) -> tantivy::Result<Option<u128>> {
    Ok(match (after, names) {
        (None, _) => None,
        (Some(SortKey::Num(k)), _) => Some(*k),
        (Some(SortKey::Name(s, t)), Some(col)) => {
            match col.dictionary().term_ord_or_next(s.as_bytes())? {
                tantivy_sstable::TermOrdHit::Exact(o) => Some(join(o, *t)),
                tantivy_sstable::TermOrdHit::Next(o) => join(o, 0).checked_sub(1),
            }
        }
        (Some(SortKey::Name(..)), None) => None,
    })
}

/// The segments' findings as one: totals and counts summed, the best `keep` of their pages.
fn merge_found(per_segment: Vec<Found>, bits: usize, keep: usize) -> Found {
    let mut out = Found {
        bit_counts: vec![0; bits],
        ..Found::default()
    };
    let mut top = Vec::new();
    for found in per_segment {
        out.total += found.total;
        for (a, b) in out.bit_counts.iter_mut().zip(found.bit_counts) {
            *a += b;
        }
        out.keyword_counts = merge_counts(
            std::mem::take(&mut out.keyword_counts),
            found.keyword_counts,
        );
        top.extend(found.top);
    }
    top.sort_by(|a, b| a.0.cmp(&b.0));
    top.truncate(keep);
    out.top = top;
    out
}

/// Two lists of counts in name order as one, the counts of a name in both added.
fn merge_counts(a: Vec<(Arc<str>, u64)>, b: Vec<(Arc<str>, u64)>) -> Vec<(Arc<str>, u64)> {
    if a.is_empty() {
        return b;
    }
    let mut out = Vec::with_capacity(a.len() + b.len());
    let (mut a, mut b) = (a.into_iter().peekable(), b.into_iter().peekable());
    loop {
        let next = match (a.peek(), b.peek()) {
            (Some(x), Some(y)) => match x.0.cmp(&y.0) {
                std::cmp::Ordering::Less => a.next(),
                std::cmp::Ordering::Greater => b.next(),
                std::cmp::Ordering::Equal => {
                    let n = y.1;
                    b.next();
                    a.next().map(|(k, m)| (k, m + n))
                }
            },
            (Some(_), None) => a.next(),
            (None, Some(_)) => b.next(),
            (None, None) => break,
        };
        out.extend(next);
    }
    out
}

/// Runs `scan` over `query`'s documents: tantivy finds them, the collector counts and ranks.
pub fn run(
    scan: &Scan,
    searcher: &Searcher,
    query: &dyn Query,
    fields: &Fields,
    words: usize,
    public: &PublicCounts,
) -> tantivy::Result<Found> {
    let collector = Pass {
        scan,
        fields,
        words: words.min(MAX_WORDS),
    };
    match visible(&scan.visibility, fields) {
        None => searcher.search(query, &collector),
        // A caller who cannot see everything is scored by statistics of public documents.
        Some(visibility) => {
            let query = BooleanQuery::new(vec![
                (Occur::Must, query.box_clone()),
                (Occur::Must, visibility),
            ]);
            searcher.search_with_statistics_provider(&query, &collector, &public.of(searcher))
        }
    }
}

/// The documents a caller may see, as a query that adds nothing to a score; `None`: all.
fn visible(visibility: &Visibility, fields: &Fields) -> Option<Box<dyn Query>> {
    let keys: Vec<&str> = match visibility {
        Visibility::All => return None,
        Visibility::Anonymous => vec![crate::access::PUBLIC_READERS],
        Visibility::Keys(keys) => keys.iter().map(String::as_str).collect(),
    };
    let any: Vec<(Occur, Box<dyn Query>)> = keys
        .into_iter()
        .map(|k| {
            let q: Box<dyn Query> = Box::new(TermQuery::new(
                Term::from_field_text(fields.readers, k),
                IndexRecordOption::Basic,
            ));
            (Occur::Should, q)
        })
        .collect();
    Some(Box::new(ConstScoreQuery::new(
        Box::new(BooleanQuery::new(any)),
        0.0,
    )))
}

/// The collector.
struct Pass<'a> {
    scan: &'a Scan,
    fields: &'a Fields,
    words: usize,
}

/// A filter resolved in one segment.
enum SegmentFilter {
    Bits {
        mask: [u64; MAX_WORDS],
        facet_mask: [u64; MAX_WORDS],
    },
    Keywords(Vec<u64>),
}

/// How a segment's hits are ordered: by score, or by a per-document key (smaller first).
enum Order {
    Score,
    Popularity(Arc<dyn ColumnValues<u64>>),
    Modified(Arc<dyn ColumnValues<i64>>),
    Name(StrColumn),
}

impl Collector for Pass<'_> {
    type Fruit = Found;
    type Child = SegmentPass;

    fn for_segment(
        &self,
        segment: SegmentOrdinal,
        reader: &SegmentReader,
    ) -> tantivy::Result<SegmentPass> {
        let ff = reader.fast_fields();
        let schema = reader.schema();
        let name_of = |f| schema.get_field_name(f).to_owned();
        let mut facets = Vec::with_capacity(self.words);
        for f in self.fields.facets.iter().take(self.words) {
            facets.push(values_u64(ff.u64(&name_of(*f))?));
        }
        let keywords = ff.str(&name_of(self.fields.keyword))?;
        let mut filters = Vec::with_capacity(self.scan.filters.len());
        for f in &self.scan.filters {
            filters.push(match f {
                Filter::Bits {
                    mask, facet_mask, ..
                } => {
                    let (mut m, mut fm) = ([0u64; MAX_WORDS], [0u64; MAX_WORDS]);
                    for i in 0..self.words {
                        m[i] = mask.get(i).copied().unwrap_or(0);
                        fm[i] = facet_mask.get(i).copied().unwrap_or(0);
                    }
                    SegmentFilter::Bits {
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
                    SegmentFilter::Keywords(ords)
                }
            });
        }
        let names = match self.scan.sort {
            SortBy::Name => ff.str(&name_of(self.fields.name_sort))?,
            _ => None,
        };
        let order = match (self.scan.sort, &names) {
            (SortBy::Relevance, _) | (SortBy::Name, None) => Order::Score,
            (SortBy::Name, Some(col)) => Order::Name(col.clone()),
            (SortBy::Popularity, _) => {
                Order::Popularity(values_u64(ff.u64(&name_of(self.fields.popularity))?))
            }
            (SortBy::DateModified, _) => {
                Order::Modified(values_i64(ff.i64(&name_of(self.fields.modified))?))
            }
        };
        let after = after_in_segment(self.scan.after.as_ref(), names.as_ref())?;
        let num_keywords = keywords.as_ref().map_or(0, |k| k.num_terms());
        Ok(SegmentPass {
            segment,
            facets,
            keywords,
            filters,
            order,
            tiebreak: values_u64(ff.u64(&name_of(self.fields.tiebreak))?),
            after,
            keep: self.scan.keep,
            heap: BinaryHeap::with_capacity(self.scan.keep + 1),
            total: 0,
            bit_counts: vec![0; self.scan.bits],
            keyword_counts: vec![0; num_keywords],
            ords: Vec::new(),
        })
    }

    fn requires_scoring(&self) -> bool {
        self.scan.sort == SortBy::Relevance
    }

    fn merge_fruits(&self, fruits: Vec<Found>) -> tantivy::Result<Found> {
        Ok(merge_found(fruits, self.scan.bits, self.scan.keep))
    }
}

/// The collector of one segment.
struct SegmentPass {
    segment: SegmentOrdinal,
    facets: Vec<Arc<dyn ColumnValues<u64>>>,
    keywords: Option<StrColumn>,
    filters: Vec<SegmentFilter>,
    order: Order,
    tiebreak: Arc<dyn ColumnValues<u64>>,
    after: Option<u128>,
    keep: usize,
    /// The page so far: the largest key kept on top.
    heap: BinaryHeap<(u128, DocId)>,
    total: u64,
    bit_counts: Vec<u64>,
    keyword_counts: Vec<u64>,
    /// The keyword ordinals of the current document.
    ords: Vec<u64>,
}

impl SegmentPass {
    fn count_bits(&mut self, record: &[u64; MAX_WORDS], only: Option<&[u64; MAX_WORDS]>) {
        for (i, &w) in record.iter().enumerate() {
            let mut x = only.map_or(w, |m| w & m[i]);
            while x != 0 {
                if let Some(c) = self
                    .bit_counts
                    .get_mut(i * 64 + x.trailing_zeros() as usize)
                {
                    *c += 1;
                }
                x &= x - 1;
            }
        }
    }

    fn count_keywords(&mut self) {
        for &o in &self.ords {
            if let Some(c) = self.keyword_counts.get_mut(o as usize) {
                *c += 1;
            }
        }
    }

    fn key(&self, doc: DocId, score: Score) -> u128 {
        let primary = match &self.order {
            Order::Score => score_key(score),
            Order::Popularity(col) => popularity_key(col.get_val(doc)),
            Order::Modified(col) => modified_key(col.get_val(doc)),
            Order::Name(col) => col.ords().first(doc).unwrap_or(u64::MAX),
        };
        join(primary, self.tiebreak.get_val(doc))
    }

    fn offer(&mut self, key: u128, doc: DocId) {
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
}

impl SegmentCollector for SegmentPass {
    type Fruit = Found;

    fn collect(&mut self, doc: DocId, score: Score) {
        let mut record = [0u64; MAX_WORDS];
        for (w, col) in record.iter_mut().zip(&self.facets) {
            *w = col.get_val(doc);
        }
        self.ords.clear();
        if let Some(col) = &self.keywords {
            self.ords.extend(col.term_ords(doc));
        }
        // The one filter the document fails, if it fails one; none if it fails two.
        let mut failed = None;
        for (i, f) in self.filters.iter().enumerate() {
            let pass = match f {
                SegmentFilter::Bits { mask, .. } => {
                    record.iter().zip(mask).any(|(w, m)| w & m != 0)
                }
                SegmentFilter::Keywords(wanted) => self.ords.iter().any(|o| wanted.contains(o)),
            };
            if !pass {
                if failed.is_some() {
                    return;
                }
                failed = Some(i);
            }
        }
        match failed.and_then(|i| self.filters.get(i)) {
            None => {
                self.total += 1;
                self.count_bits(&record, None);
                self.count_keywords();
                let key = self.key(doc, score);
                self.offer(key, doc);
            }
            Some(SegmentFilter::Bits { facet_mask, .. }) => {
                let only = *facet_mask;
                self.count_bits(&record, Some(&only));
            }
            Some(SegmentFilter::Keywords(_)) => self.count_keywords(),
        }
    }

    fn harvest(self) -> Found {
        // Named in one walk of the dictionary (looking each ordinal up alone costs a block
        // seek and scan per keyword).
        let mut keyword_counts = Vec::new();
        if let Some(col) = &self.keywords {
            let (ords, counts): (Vec<u64>, Vec<u64>) = self
                .keyword_counts
                .iter()
                .enumerate()
                .filter(|(_, n)| **n > 0)
                .map(|(ord, n)| (ord as u64, *n))
                .unzip();
            let mut counts = counts.into_iter();
            let _ = col.dictionary().sorted_ords_to_term_cb(&ords, |term| {
                if let (Ok(name), Some(n)) = (std::str::from_utf8(term), counts.next()) {
                    keyword_counts.push((Arc::from(name), n));
                }
            });
        }
        let mut name = String::new();
        let mut top = Vec::with_capacity(self.heap.len());
        for (key, doc) in self.heap.into_vec() {
            let sort_key = match &self.order {
                Order::Name(col) => {
                    name.clear();
                    let _ = col.ord_to_str((key >> 64) as u64, &mut name);
                    SortKey::Name(name.clone(), key as u64)
                }
                _ => SortKey::Num(key),
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
