//! The reference engine: one tantivy `Collector` that gives a search's page, its exact total
//! and the exact disjunctive counts of every facet in one pass, run on tantivy's own executor
//! (a segment per core).
//!
//! Tantivy finds the candidates: the text's documents (without text, those matching all facet
//! filters but one) that the caller may see, visibility being one more required clause over
//! the `readers` terms. The collector then reads each candidate's facets from the fast-field
//! columns: a candidate that passes every filter is a hit, counted for every facet and offered
//! to the page; one that fails exactly one filter counts only for that filter's facet, whose
//! counts therefore ignore its own filter, as a multi-select facet panel needs. Keywords, with
//! thousands of values, are counted exactly by ordinal and named once per segment.
//!
//! Written to be read: no per-segment tables, no strategy to choose, nothing tuned. `collect`
//! keeps a faster pass over its own tables; both answer alike (see `tests`).

use std::collections::BinaryHeap;
use std::sync::Arc;

use tantivy::collector::{Collector, SegmentCollector};
use tantivy::columnar::{ColumnValues, StrColumn};
use tantivy::query::{BooleanQuery, ConstScoreQuery, Occur, Query, TermQuery};
use tantivy::schema::IndexRecordOption;
use tantivy::{DocAddress, DocId, Score, Searcher, SegmentOrdinal, SegmentReader, Term};

use super::collect::{
    Filter, Found, MAX_WORDS, Scan, SortBy, SortKey, Visibility, after_in_segment, join,
    merge_found, modified_key, popularity_key, score_key, values_i64, values_u64,
};
use super::schema::Fields;

/// Runs `scan` over `query`'s documents by the reference collector.
pub fn run(
    scan: &Scan,
    searcher: &Searcher,
    query: &dyn Query,
    fields: &Fields,
    words: usize,
) -> tantivy::Result<Found> {
    let collector = Reference {
        scan,
        fields,
        words: words.min(MAX_WORDS),
    };
    match visible(&scan.visibility, fields) {
        None => searcher.search(query, &collector),
        Some(visibility) => {
            let query = BooleanQuery::new(vec![
                (Occur::Must, query.box_clone()),
                (Occur::Must, visibility),
            ]);
            searcher.search(&query, &collector)
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
struct Reference<'a> {
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

impl Collector for Reference<'_> {
    type Fruit = Found;
    type Child = ReferenceSegment;

    fn for_segment(
        &self,
        segment: SegmentOrdinal,
        reader: &SegmentReader,
    ) -> tantivy::Result<ReferenceSegment> {
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
        Ok(ReferenceSegment {
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
struct ReferenceSegment {
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

impl ReferenceSegment {
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

impl SegmentCollector for ReferenceSegment {
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
