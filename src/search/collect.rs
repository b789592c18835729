//! One pass over the candidates of a query: exact total, the page of hits, and disjunctive
//! facet counts.
//!
//! Candidates are the documents that match the text, are visible to the caller and fail at
//! most one facet filter. A document that fails none is a hit and counts for every facet; one
//! that fails exactly the filter of facet F counts only for F, whose counts therefore ignore
//! F's own filter, as a multi-select facet panel needs.
//!
//! Facets are read from a dense per-segment table (`SegTable`, built once per segment when
//! the segment appears): every document's facet bitmask and keyword ordinals, and every
//! facet value's documents as a bitset. A segment is then counted one of two ways, which
//! give the same answer:
//!
//! - **per document**, when the text matches few documents: each candidate's bitmask is
//!   checked against the filters and its bits counted; only hits are scored;
//! - **by sets**, when it matches many: the candidates become a bitset, filters are ANDed in
//!   word by word, each facet value is counted by a popcount of its bitset against the hits
//!   (or, for the facet of a filter, against the documents that pass every other filter),
//!   and the page of a relevance search comes from scores summed term at a time (`leaves`)
//!   over the query's documents. (Block-max ranking of the hits was dropped: on catalogue
//!   text, where every posting block holds some short field with the word, a block's bound
//!   rarely falls below the page's entry score, and seeking every term for every hit cost
//!   more than summing the scores of every posting.)
//!
//! Segments are independent, so they are passed over on every core at once and merged.

use std::collections::{BinaryHeap, HashMap};
use std::sync::{Arc, Mutex};

use tantivy::columnar::{Cardinality, Column, ColumnValues, StrColumn};
use tantivy::index::SegmentId;
use tantivy::query::{EnableScoring, Query, Scorer, Weight};
use tantivy::schema::IndexRecordOption;
use tantivy::{DocAddress, DocId, DocSet, Score, Searcher, SegmentReader, TERMINATED, Term};

use super::bits::{has_bit, set_bit, set_bits};
use super::dense::DenseTerms;
use super::leaves::{LeafScorers, Shape, ShapeWeight};
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
    /// Keywords with a count, in name order (a segment's dictionary order).
    pub keyword_counts: Vec<(Arc<str>, u64)>,
    /// Best first, at most `keep`.
    pub top: Vec<(SortKey, DocAddress)>,
}

/// The facets of every document of one segment, laid out for the pass.
pub struct SegTable {
    words: usize,
    max_doc: u32,
    /// `words` words of facet bits per document.
    bits: Vec<u64>,
    /// One bit per document: anyone may find it.
    anonymous: Vec<u64>,
    /// Keyword ordinals of document d: `keyword_ords[keyword_start[d]..keyword_start[d + 1]]`.
    keyword_start: Vec<u32>,
    keyword_ords: Vec<u32>,
    keywords: Option<StrColumn>,
    /// The keywords by ordinal (read from the dictionary once, not for every count).
    keyword_names: Vec<Arc<str>>,
    tiebreak: Vec<u64>,
    /// The first byte of each tie-break: a hit that ties with the last one kept on a full page
    /// is mostly turned away by it, without the cache miss of reading its tie-break.
    tiebreak_top: Vec<u8>,
    /// The orders other than relevance (by name: the ordinal of the name in the segment's
    /// `name_sort` column).
    by_popularity: SortColumn,
    by_modified: SortColumn,
    by_name: SortColumn,
    /// That column, for the names of a page's keys.
    names: Option<StrColumn>,
    /// Per facet bit: its documents (`None` when no document has it).
    value_sets: Vec<Option<Vec<u64>>>,
    /// Per keyword ordinal: its documents as a bitset when it is frequent...
    keyword_sets: Vec<Option<Vec<u64>>>,
    /// ...or as a list when it is rare (less than one document in 128).
    keyword_docs: Vec<Vec<u32>>,
}

pub(super) fn values_u64(col: Column<u64>) -> Arc<dyn ColumnValues<u64>> {
    if col.get_cardinality() == Cardinality::Full {
        col.values
    } else {
        col.first_or_default_col(0)
    }
}

pub(super) fn values_i64(col: Column<i64>) -> Arc<dyn ColumnValues<i64>> {
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

/// How many bits `a` and `b` share: the inner loop of counting by sets.
fn and_count(a: &[u64], b: &[u64]) -> u64 {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx512f")
            && std::arch::is_x86_feature_detected!("avx512vpopcntdq")
        {
            // SAFETY: the CPU has just been found to support both features.
            return unsafe { and_count_avx512(a, b) };
        }
        if std::arch::is_x86_feature_detected!("avx2")
            && std::arch::is_x86_feature_detected!("popcnt")
        {
            // SAFETY: the CPU has just been found to support both features.
            return unsafe { and_count_avx2(a, b) };
        }
    }
    and_count_portable(a, b)
}

/// The loop with AVX-512's population count of eight words at once (memory-bound then: in a
/// loop over 18 MB of sets, 0.81 -> 0.75 ms against AVX2's scalar counts).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512vpopcntdq")]
fn and_count_avx512(a: &[u64], b: &[u64]) -> u64 {
    use std::arch::x86_64::*;
    let n = a.len().min(b.len());
    let whole = n / 8 * 8;
    let mut sum = _mm512_setzero_si512();
    for i in (0..whole).step_by(8) {
        // SAFETY: `i + 8 <= whole <= n`: eight words of each slice.
        let (x, y) = unsafe {
            (
                _mm512_loadu_si512(a.as_ptr().add(i).cast()),
                _mm512_loadu_si512(b.as_ptr().add(i).cast()),
            )
        };
        sum = _mm512_add_epi64(sum, _mm512_popcnt_epi64(_mm512_and_si512(x, y)));
    }
    _mm512_reduce_add_epi64(sum) as u64 + and_count_portable(&a[whole..n], &b[whole..n])
}

#[inline(always)]
fn and_count_portable(a: &[u64], b: &[u64]) -> u64 {
    a.iter()
        .zip(b)
        .map(|(x, y)| u64::from((x & y).count_ones()))
        .sum()
}

/// The same loop compiled for AVX2 and POPCNT, which the baseline x86-64 target lacks
/// (without them a popcount is a dozen instructions per word).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,popcnt")]
fn and_count_avx2(a: &[u64], b: &[u64]) -> u64 {
    and_count_portable(a, b)
}

impl SegTable {
    /// Reads the table of a segment from its fast fields.
    pub fn build(
        reader: &SegmentReader,
        fields: &Fields,
        words: usize,
        bits: usize,
    ) -> tantivy::Result<SegTable> {
        let ff = reader.fast_fields();
        let schema = reader.schema();
        let name_of = |f| schema.get_field_name(f).to_owned();
        let n = reader.max_doc();
        let set_words = (n as usize).div_ceil(64);
        let mut columns = Vec::with_capacity(words);
        for f in fields.facets.iter().take(words) {
            columns.push(dense(&values_u64(ff.u64(&name_of(*f))?), n));
        }
        let mut record = vec![0u64; n as usize * words];
        let mut value_sets: Vec<Option<Vec<u64>>> = vec![None; bits];
        for (w, col) in columns.iter().enumerate() {
            for (d, v) in col.iter().enumerate() {
                record[d * words + w] = *v;
                let mut x = *v;
                while x != 0 {
                    let bit = w * 64 + x.trailing_zeros() as usize;
                    x &= x - 1;
                    if let Some(slot) = value_sets.get_mut(bit) {
                        set_bit(
                            slot.get_or_insert_with(|| vec![0u64; set_words]),
                            d as DocId,
                        );
                    }
                }
            }
        }
        let anon_values = dense(&values_u64(ff.u64(&name_of(fields.anonymous))?), n);
        let mut anonymous = vec![0u64; set_words];
        for (d, v) in anon_values.iter().enumerate() {
            if *v == 1 {
                set_bit(&mut anonymous, d as DocId);
            }
        }
        let keywords = ff.str(&name_of(fields.keyword))?;
        let num_terms = keywords.as_ref().map_or(0, |k| k.num_terms());
        let mut keyword_names = Vec::with_capacity(num_terms);
        if let Some(col) = &keywords {
            let mut s = String::new();
            for ord in 0..num_terms as u64 {
                s.clear();
                col.ord_to_str(ord, &mut s)?;
                keyword_names.push(Arc::from(s.as_str()));
            }
        }
        let mut keyword_start = Vec::with_capacity(n as usize + 1);
        let mut keyword_ords = Vec::new();
        keyword_start.push(0);
        let mut df = vec![0u32; num_terms];
        for d in 0..n {
            if let Some(col) = &keywords {
                for o in col.term_ords(d) {
                    keyword_ords.push(o as u32);
                    if let Some(c) = df.get_mut(o as usize) {
                        *c += 1;
                    }
                }
            }
            keyword_start.push(keyword_ords.len() as u32);
        }
        let frequent = (n / 128).max(1);
        let mut keyword_sets: Vec<Option<Vec<u64>>> = df
            .iter()
            .map(|&c| (c >= frequent).then(|| vec![0u64; set_words]))
            .collect();
        let mut keyword_docs: Vec<Vec<u32>> = vec![Vec::new(); num_terms];
        for d in 0..n {
            let (a, b) = (keyword_start[d as usize], keyword_start[d as usize + 1]);
            for &o in &keyword_ords[a as usize..b as usize] {
                match keyword_sets.get_mut(o as usize) {
                    Some(Some(set)) => set_bit(set, d),
                    _ => {
                        if let Some(list) = keyword_docs.get_mut(o as usize) {
                            list.push(d);
                        }
                    }
                }
            }
        }
        let tiebreak = dense(&values_u64(ff.u64(&name_of(fields.tiebreak))?), n);
        let popularity = values_u64(ff.u64(&name_of(fields.popularity))?);
        let modified = values_i64(ff.i64(&name_of(fields.modified))?);
        let names = ff.str(&name_of(fields.name_sort))?;
        let (mut by_popularity, mut by_modified, mut by_name) = (
            Vec::with_capacity(n as usize),
            Vec::with_capacity(n as usize),
            Vec::with_capacity(n as usize),
        );
        for d in 0..n {
            by_popularity.push(popularity_key(popularity.get_val(d)));
            by_modified.push(modified_key(modified.get_val(d)));
            by_name.push(
                names
                    .as_ref()
                    .and_then(|c| c.ords().first(d))
                    .unwrap_or(u64::MAX),
            );
        }
        let tiebreak_top = tiebreak.iter().map(|t| (t >> 56) as u8).collect();
        let by_popularity = SortColumn::new(by_popularity, &tiebreak);
        let by_modified = SortColumn::new(by_modified, &tiebreak);
        let by_name = SortColumn::new(by_name, &tiebreak);
        Ok(SegTable {
            words,
            max_doc: n,
            bits: record,
            anonymous,
            keyword_start,
            keyword_ords,
            keywords,
            keyword_names,
            tiebreak,
            tiebreak_top,
            by_popularity,
            by_modified,
            by_name,
            names,
            value_sets,
            keyword_sets,
            keyword_docs,
        })
    }

    #[inline]
    fn keywords_of(&self, doc: DocId) -> &[u32] {
        let d = doc as usize;
        match (self.keyword_start.get(d), self.keyword_start.get(d + 1)) {
            (Some(&a), Some(&b)) => self.keyword_ords.get(a as usize..b as usize).unwrap_or(&[]),
            _ => &[],
        }
    }

    /// ORs the documents of keyword `ord` into `out`.
    fn or_keyword(&self, ord: u32, out: &mut [u64]) {
        match self.keyword_sets.get(ord as usize) {
            Some(Some(set)) => {
                for (o, w) in out.iter_mut().zip(set) {
                    *o |= w;
                }
            }
            _ => {
                for &d in self
                    .keyword_docs
                    .get(ord as usize)
                    .map_or(&[][..], Vec::as_slice)
                {
                    set_bit(out, d);
                }
            }
        }
    }

    /// How many documents of keyword `ord` are in `set`.
    fn count_keyword(&self, ord: usize, set: &[u64]) -> u64 {
        match self.keyword_sets.get(ord) {
            Some(Some(ks)) => and_count(ks, set),
            _ => self
                .keyword_docs
                .get(ord)
                .map_or(0, |l| l.iter().filter(|&&d| has_bit(set, d)).count() as u64),
        }
    }
}

/// One order of a segment's documents other than relevance.
pub struct SortColumn {
    /// Per document, the first part of its key (smaller first): read once here rather than
    /// from the columns for every hit.
    keys: Vec<u64>,
    /// The documents in the order of their full keys (the first part, then the tie-break).
    order: Vec<DocId>,
}

impl SortColumn {
    fn new(keys: Vec<u64>, tiebreak: &[u64]) -> SortColumn {
        let key = |d: DocId| {
            let i = d as usize;
            join(
                keys.get(i).copied().unwrap_or(u64::MAX),
                tiebreak.get(i).copied().unwrap_or(0),
            )
        };
        let mut order: Vec<DocId> = (0..keys.len() as DocId).collect();
        order.sort_unstable_by_key(|&d| key(d));
        SortColumn { keys, order }
    }

    #[inline]
    fn key(&self, doc: usize) -> u64 {
        self.keys.get(doc).copied().unwrap_or(u64::MAX)
    }
}

/// The tables of the segments in use, by segment.
pub struct Tables {
    fields: Fields,
    words: usize,
    bits: usize,
    by_segment: Mutex<HashMap<SegmentId, Arc<SegTable>>>,
    /// The segments' common terms, kept between queries.
    pub dense: DenseTerms,
}

impl Tables {
    /// Tables for an index with these fields and a facet table of `bits` bits in `words` words.
    /// `term_cache_bytes` bounds the kept common terms.
    pub fn new(fields: Fields, words: usize, bits: usize, term_cache_bytes: usize) -> Tables {
        Tables {
            fields,
            words,
            bits,
            by_segment: Mutex::new(HashMap::new()),
            dense: DenseTerms::new(term_cache_bytes),
        }
    }

    /// The tables of every segment of a searcher, building the missing ones.
    pub fn of(&self, searcher: &Searcher) -> tantivy::Result<Vec<Arc<SegTable>>> {
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
            let table = Arc::new(SegTable::build(
                reader,
                &self.fields,
                self.words,
                self.bits,
            )?);
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
    pub fn warm(&self, searcher: &Searcher, live: &[SegmentId]) -> tantivy::Result<()> {
        self.of(searcher)?;
        self.by_segment
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .retain(|id, _| live.contains(id));
        self.dense.retain(live);
        Ok(())
    }
}

/// How a segment is counted (both give the same answer; tests force each).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Strategy {
    /// By the expected number of candidates.
    #[default]
    Auto,
    PerDocument,
    BySets,
    /// Tantivy's executor with the reference collector (`reference`).
    Reference,
}

/// The pass.
pub struct Scan {
    pub bits: usize,
    pub filters: Vec<Filter>,
    pub visibility: Visibility,
    pub sort: SortBy,
    /// How many hits to keep.
    pub keep: usize,
    /// Only hits after this position.
    pub after: Option<SortKey>,
    pub strategy: Strategy,
    /// The query as a conjunction of disjunctions of leaves (see `leaves`): its documents are
    /// matched, and a relevance page scored, from it.
    pub shape: Shape,
}

/// What a query weighs, for every segment.
struct Weights<'a> {
    /// The query's own weight, made for the first segment counted per document (a segment
    /// counted by sets does not need it, and making it looks up every term in every segment).
    query: &'a std::sync::OnceLock<Box<dyn Weight>>,
    query_of: &'a (dyn Fn() -> tantivy::Result<Box<dyn Weight>> + Sync),
    shape: &'a ShapeWeight,
    /// Whether relevance is the sum of the shape's leaves.
    by_leaves: bool,
    /// The segments' common terms.
    dense: &'a DenseTerms,
}

enum SegVisibility {
    All,
    /// Anonymous ones, when `public`; and those in the bitset (from the caller's other keys).
    Some {
        public: bool,
        shared: Vec<u64>,
    },
}

enum SegSort<'a> {
    Score,
    Keys(&'a SortColumn),
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

/// The score of a relevance sort key (see `score_key`).
pub fn key_score(key: u128) -> Score {
    f32::from_bits(u32::MAX - ((key >> 64) as u32))
}

/// The sort key of a popularity (most popular first).
pub(super) fn popularity_key(popularity: u64) -> u64 {
    u64::MAX - popularity
}

/// The sort key of a modification time (latest first).
pub(super) fn modified_key(modified: i64) -> u64 {
    u64::MAX - ((modified as u64) ^ (1 << 63))
}

pub(super) fn join(primary: u64, tiebreak: u64) -> u128 {
    (u128::from(primary) << 64) | u128::from(tiebreak)
}

/// A cursor's position in one segment's keys (a name becomes the ordinal of the name, or the
/// position just before the next one when the segment lacks it).
pub(super) fn after_in_segment(
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
pub(super) fn merge_found(per_segment: Vec<Found>, bits: usize, keep: usize) -> Found {
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

/// What a segment's pass needs, resolved for the segment.
struct Prep<'a> {
    segment: u32,
    table: &'a SegTable,
    words: usize,
    visibility: SegVisibility,
    filters: Vec<SegFilter>,
    sort: SegSort<'a>,
    names: Option<StrColumn>,
    after: Option<u128>,
    counts: Counts,
    heap: BinaryHeap<(u128, DocId)>,
    keep: usize,
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

impl Prep<'_> {
    #[inline]
    fn key(&self, doc: DocId, score: Score) -> u128 {
        let primary = match &self.sort {
            SegSort::Score => score_key(score),
            SegSort::Keys(column) => column.key(doc as usize),
        };
        join(
            primary,
            self.table.tiebreak.get(doc as usize).copied().unwrap_or(0),
        )
    }

    /// Offers a hit to the page; true when it entered.
    #[inline]
    fn offer(&mut self, key: u128, doc: DocId) -> bool {
        if self.after.is_some_and(|a| key <= a) {
            return false;
        }
        if self.heap.len() < self.keep {
            self.heap.push((key, doc));
            true
        } else if self.heap.peek().is_some_and(|(top, _)| key < *top) {
            self.heap.pop();
            self.heap.push((key, doc));
            true
        } else {
            false
        }
    }

    fn finish(self) -> Found {
        let mut keyword_counts = Vec::new();
        for (ord, &n) in self.counts.keywords.iter().enumerate() {
            if let (true, Some(name)) = (n > 0, self.table.keyword_names.get(ord)) {
                keyword_counts.push((name.clone(), n));
            }
        }
        let mut top: Vec<(SortKey, DocAddress)> = Vec::with_capacity(self.heap.len());
        for (key, d) in self.heap.into_vec() {
            let sort_key = match &self.names {
                Some(col) => {
                    let mut s = String::new();
                    let ord = (key >> 64) as u64;
                    let _ = col.ord_to_str(ord, &mut s);
                    SortKey::Name(s, key as u64)
                }
                None => SortKey::Num(key),
            };
            top.push((sort_key, DocAddress::new(self.segment, d)));
        }
        top.sort_by(|a, b| a.0.cmp(&b.0));
        Found {
            total: self.counts.total,
            bit_counts: self.counts.bits,
            keyword_counts,
            top,
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
        let weight = std::sync::OnceLock::new();
        let relevance = self.sort == SortBy::Relevance;
        let make_weight = || {
            query.weight(if relevance {
                EnableScoring::enabled_from_searcher(searcher)
            } else {
                EnableScoring::disabled_from_searcher(searcher)
            })
        };
        let f = &tables.fields;
        let shape = ShapeWeight::new(&self.shape, searcher, &|field| {
            field == f.ranked || field == f.pairs || f.text.contains(&field)
        })?;
        let by_leaves = self.sort == SortBy::Relevance;
        let segment_tables = tables.of(searcher)?;
        // Segments are independent: they are counted on every core at once, and merged. Each
        // core takes the largest segment left until none is (a search's time is that of its
        // last core: splitting the list in halves left one core with most of the work when
        // the small segments fell in the other half).
        let readers = searcher.segment_readers();
        let mut largest_first: Vec<usize> = (0..readers.len()).collect();
        largest_first.sort_by_key(|&i| std::cmp::Reverse(readers[i].max_doc()));
        let next = std::sync::atomic::AtomicUsize::new(0);
        let done: Vec<Mutex<Option<tantivy::Result<Found>>>> =
            readers.iter().map(|_| Mutex::new(None)).collect();
        let weights = Weights {
            query: &weight,
            query_of: &make_weight,
            shape: &shape,
            by_leaves,
            dense: &tables.dense,
        };
        let work = || {
            while let Some(&i) =
                largest_first.get(next.fetch_add(1, std::sync::atomic::Ordering::Relaxed))
            {
                if let (Some(reader), Some(table), Some(slot)) =
                    (readers.get(i), segment_tables.get(i), done.get(i))
                {
                    let found = self.segment(i as u32, reader, table, &tables.fields, &weights);
                    *slot.lock().unwrap_or_else(|e| e.into_inner()) = Some(found);
                }
            }
        };
        rayon::scope(|s| {
            for _ in 1..rayon::current_num_threads().min(readers.len()) {
                s.spawn(|_| work());
            }
            work();
        });
        let mut per_segment = Vec::with_capacity(done.len());
        for slot in done {
            if let Some(found) = slot.into_inner().unwrap_or_else(|e| e.into_inner()) {
                per_segment.push(found?);
            }
        }
        Ok(merge_found(per_segment, self.bits, self.keep))
    }

    /// The pass over one segment.
    fn segment(
        &self,
        ord: u32,
        reader: &SegmentReader,
        table: &SegTable,
        fields: &Fields,
        w: &Weights<'_>,
    ) -> tantivy::Result<Found> {
        let prep = self.prepare(ord, reader, table, fields)?;
        // How many documents may match: from the shape, as building the query's scorer may
        // already cost a pass over its postings (a prefix's does).
        let expected = w.shape.size_bound(reader)?;
        let by_sets = match self.strategy {
            // (The reference engine is not this pass; a scan asked for it counts per document.)
            Strategy::PerDocument | Strategy::Reference => false,
            Strategy::BySets => true,
            // Sets cost a pass over every value's bitset, a fixed cost per segment that streams;
            // counting per document reads each candidate's record and keywords, scattered. At
            // 1M assets sets win from one document in 256 (the bench mix's median went from
            // 3.95 to 3.68 ms when this moved from 1 in 32; 1 in 8,192 measured the same).
            Strategy::Auto => {
                table.max_doc >= 4096 && u64::from(expected) * 256 >= u64::from(table.max_doc)
            }
        };
        if by_sets {
            self.by_sets(prep, reader, w)
        } else {
            let weight = match w.query.get() {
                Some(weight) => weight,
                None => {
                    let made = (w.query_of)()?;
                    w.query.get_or_init(|| made)
                }
            };
            let scorer = weight.scorer(reader, 1.0)?;
            let leaves = match w.by_leaves {
                true => Some(w.shape.scorers(reader)?),
                false => None,
            };
            Ok(self.per_document(prep, reader, scorer, leaves))
        }
    }

    fn prepare<'a>(
        &self,
        segment: u32,
        reader: &SegmentReader,
        table: &'a SegTable,
        fields: &Fields,
    ) -> tantivy::Result<Prep<'a>> {
        let words = table.words.min(MAX_WORDS);
        let visibility = match &self.visibility {
            Visibility::All => SegVisibility::All,
            Visibility::Anonymous => SegVisibility::Some {
                public: true,
                shared: Vec::new(),
            },
            Visibility::Keys(keys) => {
                let mut shared = Vec::new();
                let inverted = reader.inverted_index(fields.readers)?;
                for k in keys
                    .iter()
                    .filter(|k| k.as_str() != crate::access::PUBLIC_READERS)
                {
                    let term = Term::from_field_text(fields.readers, k);
                    if let Some(mut postings) =
                        inverted.read_postings(&term, IndexRecordOption::Basic)?
                    {
                        if shared.is_empty() {
                            shared = vec![0u64; (reader.max_doc() as usize).div_ceil(64)];
                        }
                        let mut d = postings.doc();
                        while d != TERMINATED {
                            set_bit(&mut shared, d);
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
            SortBy::Popularity => SegSort::Keys(&table.by_popularity),
            SortBy::DateModified => SegSort::Keys(&table.by_modified),
            SortBy::Name => {
                names = table.names.clone();
                match names {
                    Some(_) => SegSort::Keys(&table.by_name),
                    None => SegSort::Score,
                }
            }
        };
        let after = after_in_segment(self.after.as_ref(), names.as_ref())?;
        Ok(Prep {
            segment,
            table,
            words,
            visibility,
            filters,
            sort,
            names,
            after,
            counts: Counts {
                total: 0,
                bits: vec![0; self.bits],
                keywords: vec![0; table.keywords.as_ref().map_or(0, |k| k.num_terms())],
            },
            heap: BinaryHeap::with_capacity(self.keep + 1),
            keep: self.keep,
        })
    }

    /// Counts document by document; scores only hits.
    fn per_document(
        &self,
        mut p: Prep<'_>,
        reader: &SegmentReader,
        mut scorer: Box<dyn Scorer>,
        mut leaves: Option<LeafScorers<'_>>,
    ) -> Found {
        let table = p.table;
        let words = p.words;
        let alive = reader.alive_bitset();
        let empty = [0u64; MAX_WORDS];
        let mut doc = scorer.doc();
        while doc != TERMINATED {
            let d = doc;
            'visit: {
                if alive.is_some_and(|a| !a.is_alive(d)) {
                    break 'visit;
                }
                let visible = match &p.visibility {
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
                for (i, f) in p.filters.iter().enumerate() {
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
                        p.counts.total += 1;
                        p.counts.bits(record, None);
                        p.counts.keywords(table.keywords_of(d));
                        let score = match (&p.sort, &mut leaves) {
                            (SegSort::Score, Some(l)) => l.score(d),
                            (SegSort::Score, None) => scorer.score(),
                            _ => 0.0,
                        };
                        let key = p.key(d, score);
                        p.offer(key, d);
                    }
                    Some(i) => match &p.filters[i] {
                        SegFilter::Bits { facet_mask, .. } => {
                            let m = *facet_mask;
                            p.counts.bits(record, Some(&m));
                        }
                        SegFilter::Keywords(_) => p.counts.keywords(table.keywords_of(d)),
                    },
                }
            }
            doc = scorer.advance();
        }
        p.finish()
    }

    /// Counts with bitsets; the page from the hits.
    fn by_sets(
        &self,
        mut p: Prep<'_>,
        reader: &SegmentReader,
        w: &Weights<'_>,
    ) -> tantivy::Result<Found> {
        let table = p.table;
        let n = table.anonymous.len();
        // Each filter's documents.
        let mut passes: Vec<Vec<u64>> = Vec::with_capacity(p.filters.len());
        for f in &p.filters {
            let mut set = vec![0u64; n];
            match f {
                SegFilter::Bits { mask, .. } => {
                    for bit in set_bits(&mask[..p.words]) {
                        if let Some(Some(vs)) = table.value_sets.get(bit) {
                            for (o, v) in set.iter_mut().zip(vs) {
                                *o |= v;
                            }
                        }
                    }
                }
                SegFilter::Keywords(ords) => {
                    for &o in ords {
                        table.or_keyword(o, &mut set);
                    }
                }
            }
            passes.push(set);
        }
        // Who may see what.
        let visible: Option<Vec<u64>> = match &p.visibility {
            SegVisibility::All => None,
            SegVisibility::Some { public, shared } => Some(
                (0..n)
                    .map(|i| {
                        let anon = if *public { table.anonymous[i] } else { 0 };
                        anon | shared.get(i).copied().unwrap_or(0)
                    })
                    .collect(),
            ),
        };
        // Candidates: text, alive (then visible).
        // Leaf scores, when the page is ranked from them.
        let mut leaf_scores: Option<Vec<Score>> = None;
        let mut text = if w.by_leaves {
            // One score per document of the segment: the thread's buffer, kept between passes.
            let mut scores = SCORES.with(|s| std::mem::take(&mut *s.borrow_mut()));
            // Only a document the caller may see that passes every filter can be on the page:
            // the others are matched, for the counts, but not scored.
            let mut wanted: Option<Vec<u64>> = visible.clone();
            for set in &passes {
                match &mut wanted {
                    Some(w) => w.iter_mut().zip(set).for_each(|(o, s)| *o &= s),
                    None => wanted = Some(set.clone()),
                }
            }
            // (Testing every posting costs more than it saves unless few are wanted: a test
            // that fails a third of the time is a mispredicted branch as often. At 1M assets,
            // scoring only the wanted from one in two to one in eight: text pass per segment
            // 312 -> 279 us.)
            let selective = wanted.as_ref().is_some_and(|w| {
                let kept: u64 = w.iter().map(|x| u64::from(x.count_ones())).sum();
                kept * 8 < u64::from(table.max_doc)
            });
            let wanted = wanted.as_deref().filter(|_| selective);
            let text = w.shape.accumulate(reader, &mut scores, wanted, w.dense)?;
            leaf_scores = Some(scores);
            text
        } else {
            w.shape.matches(reader, w.dense)?
        };
        if let Some(alive) = reader.alive_bitset() {
            for (i, w) in text.iter_mut().enumerate() {
                let mut x = *w;
                while x != 0 {
                    let bit = x.trailing_zeros();
                    x &= x - 1;
                    if !alive.is_alive(i as u32 * 64 + bit) {
                        *w &= !(1u64 << bit);
                    }
                }
            }
        }
        if let Some(v) = &visible {
            for (w, m) in text.iter_mut().zip(v) {
                *w &= m;
            }
        }
        // Hits, and for each filter the documents passing every other filter.
        let all_but = |skip: Option<usize>| -> Vec<u64> {
            let mut out = text.clone();
            for (i, set) in passes.iter().enumerate() {
                if Some(i) != skip {
                    for (o, s) in out.iter_mut().zip(set) {
                        *o &= s;
                    }
                }
            }
            out
        };
        let hits = all_but(None);
        let others: Vec<Vec<u64>> = (0..passes.len()).map(|i| all_but(Some(i))).collect();
        p.counts.total = hits.iter().map(|w| u64::from(w.count_ones())).sum();
        // Facet values: against the hits, or, for a filtered facet, against `others`.
        let mut bit_source: Vec<Option<usize>> = vec![None; p.counts.bits.len()];
        let mut keyword_source = None;
        for (i, f) in p.filters.iter().enumerate() {
            match f {
                SegFilter::Bits { facet_mask, .. } => {
                    for bit in set_bits(&facet_mask[..p.words]) {
                        if let Some(s) = bit_source.get_mut(bit) {
                            *s = Some(i);
                        }
                    }
                }
                SegFilter::Keywords(_) => keyword_source = Some(i),
            }
        }
        for (bit, c) in p.counts.bits.iter_mut().enumerate() {
            if let Some(Some(vs)) = table.value_sets.get(bit) {
                let against = match bit_source[bit] {
                    Some(i) => &others[i],
                    None => &hits,
                };
                *c = and_count(vs, against);
            }
        }
        let against = match keyword_source {
            Some(i) => &others[i],
            None => &hits,
        };
        for (ord, c) in p.counts.keywords.iter_mut().enumerate() {
            *c = table.count_keyword(ord, against);
        }
        // The page.
        let column = match &p.sort {
            SegSort::Keys(c) => Some(*c),
            SegSort::Score => None,
        };
        match (&leaf_scores, column) {
            (Some(scores), _) => page_by_score(&mut p, &hits, scores),
            (None, Some(column)) => page_in_order(&mut p, &hits, column),
            // By name in a segment that holds no name: by the tie-break alone.
            (None, None) => page_over(&mut p, &hits, |_| score_key(0.0)),
        }
        if let Some(scores) = leaf_scores {
            SCORES.with(|s| *s.borrow_mut() = scores);
        }
        Ok(p.finish())
    }
}

thread_local! {
    /// A pass's per-document scores (see `ShapeWeight::accumulate`).
    static SCORES: std::cell::RefCell<Vec<Score>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Makes the page of an order other than relevance: by walking the segment's documents in
/// that order from the cursor until the page is full, when the hits are dense enough that
/// this looks at fewer documents than there are hits (a page of 20 among a tenth of the
/// documents: some 200); by offering every hit (`page_over`) otherwise.
fn page_in_order(p: &mut Prep<'_>, hits: &[u64], column: &SortColumn) {
    let total = p.counts.total as usize;
    let expected = p.keep.saturating_mul(column.order.len()) / total.max(1);
    // Hits may gather at the end of the order: past twice the expected walk, every hit is
    // offered instead.
    if total > 0 && expected < total / 2 && walk_order(p, hits, column, expected * 2 + 64) {
        return;
    }
    p.heap.clear();
    page_over(p, hits, |d| column.key(d));
}

/// Offers the hits in `column`'s order from the cursor on, until the page is full or the
/// order ends; false when `budget` documents were looked at first.
fn walk_order(p: &mut Prep<'_>, hits: &[u64], column: &SortColumn, budget: usize) -> bool {
    // `column` is the page's order, so `Prep::key` gives a document's full key in it.
    let start = match p.after {
        Some(after) => column.order.partition_point(|&d| p.key(d, 0.0) <= after),
        None => 0,
    };
    let rest = column.order.get(start..).unwrap_or(&[]);
    for (walked, &d) in rest.iter().enumerate() {
        if p.heap.len() >= p.keep {
            return true;
        }
        if walked == budget {
            return false;
        }
        if has_bit(hits, d) {
            let key = p.key(d, 0.0);
            p.offer(key, d);
        }
    }
    true
}

/// Offers the hits to a relevance page, by their scores: once the page is full, the hits of 64
/// documents that may still enter are found by comparing the 64 scores with the last one kept
/// at once (four vector compares), and only those are looked at one by one.
fn page_by_score(p: &mut Prep<'_>, hits: &[u64], scores: &[Score]) {
    let (tiebreak, top) = (&p.table.tiebreak, &p.table.tiebreak_top);
    let mut bar = u128::MAX;
    // The score a hit must reach to enter (the last kept, which may lose on the tie-break).
    let mut floor: Option<Score> = None;
    for (w, &word) in hits.iter().enumerate() {
        let mut x = word;
        if x == 0 {
            continue;
        }
        if let (Some(floor), Some(chunk)) = (floor, scores.get(w * 64..w * 64 + 64)) {
            x &= reaching(chunk, floor);
        }
        while x != 0 {
            let d = w * 64 + x.trailing_zeros() as usize;
            x &= x - 1;
            let primary = score_key(scores.get(d).copied().unwrap_or(0.0));
            if loses_tie(primary, top.get(d), bar) {
                continue;
            }
            let key = join(primary, tiebreak.get(d).copied().unwrap_or(0));
            if key < bar && p.offer(key, d as DocId) && p.heap.len() >= p.keep {
                bar = p.heap.peek().map_or(u128::MAX, |(k, _)| *k);
                floor = Some(key_score(bar));
            }
        }
    }
}

/// Whether a hit whose key starts with `primary`, and whose tie-break starts with byte `top`,
/// comes after `bar` (the last key kept on a full page) on these alone.
#[inline]
fn loses_tie(primary: u64, top: Option<&u8>, bar: u128) -> bool {
    let bar_tiebreak = bar as u64;
    primary == (bar >> 64) as u64 && top.is_some_and(|&t| u64::from(t) > bar_tiebreak >> 56)
}

/// Bit i set when score i of the 64 (as a key orders it: below zero counts as zero) is at
/// least `floor`.
fn reaching(chunk: &[Score], floor: Score) -> u64 {
    #[cfg(target_arch = "x86_64")]
    {
        if chunk.len() == 64 && std::arch::is_x86_feature_detected!("avx512f") {
            // SAFETY: the CPU has just been found to support AVX-512F, and the chunk holds
            // the 64 scores the four unaligned loads read.
            return unsafe { reaching_avx512(chunk, floor) };
        }
    }
    chunk
        .iter()
        .enumerate()
        .fold(0, |m, (i, s)| m | (u64::from(s.max(0.0) >= floor) << i))
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
fn reaching_avx512(chunk: &[Score], floor: Score) -> u64 {
    use std::arch::x86_64::*;
    let zero = _mm512_setzero_ps();
    let floor = _mm512_set1_ps(floor);
    let mut mask = 0u64;
    for q in 0..4 {
        // SAFETY: `chunk` holds 64 scores (checked by the caller): this reads 16 of them.
        let v = unsafe { _mm512_loadu_ps(chunk.as_ptr().add(q * 16)) };
        let m = _mm512_cmp_ps_mask::<_CMP_GE_OQ>(_mm512_max_ps(v, zero), floor);
        mask |= u64::from(m) << (q * 16);
    }
    mask
}

/// Offers every hit to the page, keyed by `primary` and the tie-break; a hit whose key does not
/// come before the last one kept on a full page is passed over without touching the page.
fn page_over(p: &mut Prep<'_>, hits: &[u64], primary: impl Fn(usize) -> u64) {
    let (tiebreak, top) = (&p.table.tiebreak, &p.table.tiebreak_top);
    let mut bar = u128::MAX;
    for d in set_bits(hits) {
        // The tie-break is read only for a hit that may enter: read for every hit, it was a
        // cache miss each (the keys of a sparse hit set lie far apart).
        let first = primary(d);
        if first > (bar >> 64) as u64 || loses_tie(first, top.get(d), bar) {
            continue;
        }
        let key = join(first, tiebreak.get(d).copied().unwrap_or(0));
        if key < bar && p.offer(key, d as DocId) && p.heap.len() >= p.keep {
            bar = p.heap.peek().map_or(u128::MAX, |(k, _)| *k);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every compiled form of the set-counting loop counts alike, whole vectors or not.
    #[test]
    fn and_count_forms_agree() {
        let mut x = 0x2545_f491_4f6c_dd1d_u64;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        for len in [0, 1, 7, 8, 9, 63, 64, 65, 2501] {
            let a: Vec<u64> = (0..len).map(|_| next() & next()).collect();
            let b: Vec<u64> = (0..len).map(|_| next() | next()).collect();
            let want: u64 = a
                .iter()
                .zip(&b)
                .map(|(p, q)| u64::from((p & q).count_ones()))
                .sum();
            assert_eq!(and_count_portable(&a, &b), want, "{len}");
            assert_eq!(and_count(&a, &b), want, "{len}");
            #[cfg(target_arch = "x86_64")]
            {
                if std::arch::is_x86_feature_detected!("avx2") {
                    // SAFETY: the CPU supports AVX2 and POPCNT.
                    assert_eq!(unsafe { and_count_avx2(&a, &b) }, want, "{len}");
                }
                if std::arch::is_x86_feature_detected!("avx512vpopcntdq") {
                    // SAFETY: the CPU supports AVX-512F and VPOPCNTDQ.
                    assert_eq!(unsafe { and_count_avx512(&a, &b) }, want, "{len}");
                }
            }
        }
    }
}
