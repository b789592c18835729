//! A query's score as a sum over its leaves, so that a segment with many hits is scored term
//! at a time.
//!
//! Most queries the planner builds for free text are a conjunction of disjunctions: a word with
//! its concept labels and near spellings, a concept with its IRI and labels, each a (boosted)
//! term. A document that matches such a query scores the sum, over the leaves it holds, of each
//! leaf's score times its boosts — no leaf can hold a document its branch does not match, since
//! every disjunct is a leaf. That sum can be made term at a time: each term's postings are
//! decoded block by block into one score per document, and the clauses' documents into bitsets
//! that are ANDed — much cheaper, when a query matches a large part of a segment, than tantivy's
//! unions and intersections moving document by document. A subquery that is not a term (a
//! phrase of three words or more, a prefix, a conjunction inside a disjunction) is a leaf scored
//! by its own scorer.
//!
//! A term common in the segment is read instead from `dense`, which keeps its frequency in every
//! document: its scores are then looked up document after document (sixteen at a time with
//! AVX-512), with no test or branch per posting.
//!
//! Both counting strategies of `collect` score such a query through this sum, adding the leaves
//! in the same order, so that they give the same floats and the same pages.

use tantivy::query::{
    Bm25Weight, BooleanQuery, BoostWeight, EnableScoring, Occur, Query, Scorer, TermQuery, Weight,
};
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::{DocId, DocSet, Score, Searcher, SegmentReader, TERMINATED, Term};

use super::bits::{clear_bit, has_bit, set_bit};
use super::dense::{DenseTerm, DenseTerms, Norms, field_norms};
use super::without::Without;
use std::sync::Arc;

/// A query whose scores are those of another times a factor; unlike tantivy's `BoostQuery`, its
/// parts can be read, so that `shape` sees through it.
#[derive(Debug)]
pub struct Boosted {
    inner: Box<dyn Query>,
    boost: Score,
}

impl Clone for Boosted {
    fn clone(&self) -> Self {
        Boosted {
            inner: self.inner.box_clone(),
            boost: self.boost,
        }
    }
}

impl Boosted {
    pub fn new(inner: Box<dyn Query>, boost: Score) -> Boosted {
        Boosted { inner, boost }
    }
}

impl Query for Boosted {
    fn weight(&self, enable_scoring: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        let inner = self.inner.weight(enable_scoring)?;
        Ok(if enable_scoring.is_scoring_enabled() {
            Box::new(BoostWeight::new(inner, self.boost))
        } else {
            inner
        })
    }

    fn query_terms<'a>(&'a self, visitor: &mut dyn FnMut(&'a Term, bool)) {
        self.inner.query_terms(visitor)
    }
}

/// A leaf: a subquery and the factors its score is multiplied by, innermost first.
pub struct Leaf {
    pub query: Box<dyn Query>,
    pub boosts: Vec<Score>,
}

/// A query as a conjunction of disjunctions of leaves, less the documents of `exclude`.
pub struct Shape {
    pub clauses: Vec<Vec<Leaf>>,
    pub exclude: Option<Box<dyn Query>>,
}

/// The shape of a query (a query that is none of the above is one leaf).
pub fn shape(q: &dyn Query) -> Shape {
    let (include, exclude) = match q.downcast_ref::<Without>() {
        Some(w) => (w.include(), Some(w.exclude().box_clone())),
        None => (q, None),
    };
    let mut clauses = Vec::new();
    conjuncts(include, &[], &mut clauses);
    Shape { clauses, exclude }
}

fn only(b: &BooleanQuery, occur: Occur) -> bool {
    b.clauses().iter().all(|(o, _)| *o == occur)
}

/// Adds the clauses of a conjunction.
fn conjuncts(q: &dyn Query, boosts: &[Score], out: &mut Vec<Vec<Leaf>>) {
    if let Some(b) = q.downcast_ref::<BooleanQuery>()
        && !b.clauses().is_empty()
        && only(b, Occur::Must)
    {
        for (_, c) in b.clauses() {
            conjuncts(c.as_ref(), boosts, out);
        }
        return;
    }
    if let Some(b) = q.downcast_ref::<Boosted>() {
        let mut inner = boosts.to_vec();
        inner.insert(0, b.boost);
        return conjuncts(b.inner.as_ref(), &inner, out);
    }
    let mut leaves = Vec::new();
    disjuncts(q, boosts, &mut leaves);
    out.push(leaves);
}

/// Adds the leaves of a disjunction.
fn disjuncts(q: &dyn Query, boosts: &[Score], out: &mut Vec<Leaf>) {
    if let Some(b) = q.downcast_ref::<BooleanQuery>() {
        let clauses = b.clauses();
        if !clauses.is_empty() && only(b, Occur::Should) && b.get_minimum_number_should_match() <= 1
        {
            for (_, c) in clauses {
                disjuncts(c.as_ref(), boosts, out);
            }
            return;
        }
        if let [(Occur::Must, c)] = clauses {
            return disjuncts(c.as_ref(), boosts, out);
        }
    }
    if let Some(b) = q.downcast_ref::<Boosted>() {
        let mut inner = boosts.to_vec();
        inner.insert(0, b.boost);
        return disjuncts(b.inner.as_ref(), &inner, out);
    }
    out.push(Leaf {
        query: q.box_clone(),
        boosts: boosts.to_vec(),
    });
}

/// A leaf weighed against a searcher.
struct LeafWeight {
    weight: Box<dyn Weight>,
    boosts: Vec<Score>,
    /// For a term: its postings are read directly, with this option, scored with this weight.
    term: Option<(Term, IndexRecordOption, Bm25Weight)>,
}

/// A shape weighed against a searcher, for every segment.
pub struct ShapeWeight {
    clauses: Vec<Vec<LeafWeight>>,
    exclude: Option<Box<dyn Weight>>,
}

impl ShapeWeight {
    /// `with_freqs` tells the fields whose term queries read frequencies (the planner asks for
    /// them in the text fields, and only there).
    pub fn new(
        shape: &Shape,
        searcher: &Searcher,
        with_freqs: &dyn Fn(Field) -> bool,
    ) -> tantivy::Result<ShapeWeight> {
        let scoring = EnableScoring::enabled_from_searcher(searcher);
        let mut clauses = Vec::with_capacity(shape.clauses.len());
        for clause in &shape.clauses {
            let mut leaves = Vec::with_capacity(clause.len());
            for leaf in clause {
                let term = match leaf.query.downcast_ref::<TermQuery>() {
                    Some(t) => {
                        let term = t.term().clone();
                        let option = if with_freqs(term.field()) {
                            IndexRecordOption::WithFreqs
                        } else {
                            IndexRecordOption::Basic
                        };
                        let bm25 = Bm25Weight::for_terms(searcher, std::slice::from_ref(&term))?;
                        Some((term, option, bm25))
                    }
                    None => None,
                };
                leaves.push(LeafWeight {
                    weight: leaf.query.weight(scoring)?,
                    boosts: leaf.boosts.clone(),
                    term,
                });
            }
            clauses.push(leaves);
        }
        let exclude = match &shape.exclude {
            Some(q) => Some(q.weight(EnableScoring::disabled_from_searcher(searcher))?),
            None => None,
        };
        Ok(ShapeWeight { clauses, exclude })
    }

    /// Every document of the segment that matches, as a bitset (deleted ones included), and
    /// in `scores` the score of every one that matches and is in `wanted` (all when `None`):
    /// the others are only marked, as the page will not hold them (`scores` may be reused
    /// from another pass: the first clause writes a document's score before adding to it, so
    /// its earlier content is never read for a match).
    /// Terms kept in `dense` are read from there.
    pub fn accumulate(
        &self,
        reader: &SegmentReader,
        scores: &mut Vec<Score>,
        wanted: Option<&[u64]>,
        dense: &DenseTerms,
    ) -> tantivy::Result<Vec<u64>> {
        scores.resize(reader.max_doc() as usize, 0.0);
        self.pass(reader, Some((scores, wanted)), dense)
    }

    /// Every document of the segment that matches, as a bitset (deleted ones included).
    pub fn matches(&self, reader: &SegmentReader, dense: &DenseTerms) -> tantivy::Result<Vec<u64>> {
        self.pass(reader, None, dense)
    }

    fn pass(
        &self,
        reader: &SegmentReader,
        mut scores: Option<(&mut [Score], Option<&[u64]>)>,
        dense: &DenseTerms,
    ) -> tantivy::Result<Vec<u64>> {
        let words = (reader.max_doc() as usize).div_ceil(64);
        let mut matches = vec![0u64; words];
        let mut clause_docs = vec![0u64; words];
        // The clause with the fewest postings first: a later clause only looks at the
        // documents that every earlier one matched.
        for (i, clause) in self.in_order(reader)?.into_iter().enumerate() {
            let bound = clause.bound;
            // The first clause marks the matches; each later one its own documents, which
            // the matches are then narrowed to.
            // A later clause skips the documents not matched so far when they are few to its
            // postings: a test that mostly fails costs less than a score; one taken half the
            // time costs more, in mispredicted branches, than the scores it saves.
            let sparse = |bound: u32| {
                let so_far: u64 = matches.iter().map(|w| u64::from(w.count_ones())).sum();
                so_far * 8 < u64::from(bound)
            };
            let (target, within) = match i {
                0 => (&mut matches, None),
                _ => {
                    clause_docs.iter_mut().for_each(|w| *w = 0);
                    let within = sparse(bound).then_some(matches.as_slice());
                    (&mut clause_docs, within)
                }
            };
            for (leaf, &size) in clause.leaves.iter().zip(&clause.sizes) {
                // A common term is read from `dense` (every document wanted: testing is what
                // reading from there saves).
                if let Some((kept, norms)) = leaf.dense(reader, dense, size)? {
                    match &mut scores {
                        Some((scores, _)) => {
                            leaf.add_dense(&kept, &norms, target, scores, i == 0, dense.vectors)
                        }
                        None => or_into(target, &kept.docs),
                    }
                    continue;
                }
                match &mut scores {
                    Some((scores, wanted)) => {
                        leaf.add(reader, target, scores, *wanted, i == 0, within)?
                    }
                    None => leaf.mark(reader, target)?,
                }
            }
            if i > 0 {
                for (m, c) in matches.iter_mut().zip(&clause_docs) {
                    *m &= c;
                }
            }
        }
        if let Some(exclude) = &self.exclude {
            exclude.for_each_no_score(reader, &mut |docs: &[DocId]| {
                for &d in docs {
                    clear_bit(&mut matches, d);
                }
            })?;
        }
        Ok(matches)
    }

    /// At most how many documents of the segment match, cheaply: a term's document frequency,
    /// and, for a leaf that is not a term, every document (finding out would cost as much as
    /// matching it).
    pub fn size_bound(&self, reader: &SegmentReader) -> tantivy::Result<u32> {
        let mut bound = reader.max_doc();
        for clause in &self.clauses {
            bound = bound.min(Ordered::new(clause, reader)?.bound);
        }
        Ok(bound)
    }

    /// The clauses, fewest postings first (ties in the query's order). Both strategies add a
    /// document's leaf scores in this order, so that they give the same floats.
    fn in_order(&self, reader: &SegmentReader) -> tantivy::Result<Vec<Ordered<'_>>> {
        let mut by_size = Vec::with_capacity(self.clauses.len());
        for clause in &self.clauses {
            by_size.push(Ordered::new(clause, reader)?);
        }
        by_size.sort_by_key(|c| c.bound);
        Ok(by_size)
    }

    /// Scorers of every leaf of one segment, to score documents one at a time.
    pub fn scorers(&self, reader: &SegmentReader) -> tantivy::Result<LeafScorers<'_>> {
        let mut leaves = Vec::new();
        for clause in self.in_order(reader)? {
            for leaf in clause.leaves {
                leaves.push((leaf.weight.scorer(reader, 1.0)?, leaf.boosts.as_slice()));
            }
        }
        Ok(LeafScorers { leaves })
    }
}

/// A clause of one segment, with how many postings its leaves hold at most: a term's document
/// frequency, and, for a leaf that is not a term, every document (finding out would cost as
/// much as matching it).
struct Ordered<'a> {
    leaves: &'a [LeafWeight],
    /// Per leaf.
    sizes: Vec<u32>,
    /// Their sum.
    bound: u32,
}

impl<'a> Ordered<'a> {
    fn new(leaves: &'a [LeafWeight], reader: &SegmentReader) -> tantivy::Result<Ordered<'a>> {
        let mut sizes = Vec::with_capacity(leaves.len());
        for leaf in leaves {
            sizes.push(match &leaf.term {
                Some((term, _, _)) => reader
                    .inverted_index(term.field())?
                    .get_term_info(term)?
                    .map_or(0, |info| info.doc_freq),
                None => reader.max_doc(),
            });
        }
        let bound = sizes.iter().fold(0u32, |sum, &n| sum.saturating_add(n));
        Ok(Ordered {
            leaves,
            sizes,
            bound,
        })
    }
}

/// What a pass does with one posting of a leaf.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Take {
    /// Nothing: an earlier clause did not match the document.
    Skip,
    /// Marks the document as matching the clause.
    Mark,
    /// Marks it and adds the leaf's score to its score.
    Score,
}

/// `LeafWeight::add_dense` for the whole words of documents, 16 documents at a time; returns
/// how many documents it did.
///
/// # Safety
/// Needs AVX-512F; every frequency must be below `stride` and `table` hold `256 * stride`
/// scores.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
#[allow(clippy::too_many_arguments)]
unsafe fn add_dense_avx512(
    freqs: &[u8],
    ids: &[u8],
    scores: &mut [Score],
    docs: &mut [u64],
    kept: &[u64],
    table: &[Score],
    stride: usize,
    first: bool,
) -> usize {
    use std::arch::x86_64::*;
    let n = freqs.len().min(ids.len()).min(scores.len());
    let words = (n / 64).min(docs.len()).min(kept.len());
    if table.len() < 256 * stride {
        return 0;
    }
    let strides = _mm512_set1_epi32(stride as i32);
    for w in 0..words {
        let found = docs[w];
        for q in 0..4 {
            let at = w * 64 + q * 16;
            // SAFETY: `at + 16 <= words * 64 <= n`, within all three slices; the gathered
            // indices are below `256 * stride` (see the function's safety).
            unsafe {
                let tf = _mm512_cvtepu8_epi32(_mm_loadu_si128(freqs.as_ptr().add(at).cast()));
                let id = _mm512_cvtepu8_epi32(_mm_loadu_si128(ids.as_ptr().add(at).cast()));
                let index = _mm512_add_epi32(_mm512_mullo_epi32(id, strides), tf);
                let s = _mm512_i32gather_ps::<4>(index, table.as_ptr());
                let p = scores.as_mut_ptr().add(at);
                let earlier = if first {
                    _mm512_maskz_loadu_ps((found >> (q * 16)) as u16, p)
                } else {
                    _mm512_loadu_ps(p)
                };
                _mm512_storeu_ps(p, _mm512_add_ps(earlier, s));
            }
        }
        docs[w] = found | kept[w];
    }
    words * 64
}

/// ORs `set` into `docs`.
fn or_into(docs: &mut [u64], set: &[u64]) {
    for (d, s) in docs.iter_mut().zip(set) {
        *d |= s;
    }
}

impl LeafWeight {
    /// The leaf's term as `dense` keeps it for the segment, with its field's norms, when it is
    /// a term common enough to be kept (`doc_freq`: its document frequency in the segment).
    #[allow(clippy::type_complexity)]
    fn dense(
        &self,
        reader: &SegmentReader,
        dense: &DenseTerms,
        doc_freq: u32,
    ) -> tantivy::Result<Option<(Arc<DenseTerm>, Arc<Norms>)>> {
        let Some((term, option, _)) = &self.term else {
            return Ok(None);
        };
        let Some(kept) = dense.term(reader, term, *option, doc_freq)? else {
            return Ok(None);
        };
        Ok(Some((kept, dense.norms(reader, term.field())?)))
    }

    /// `add` for a term kept in `dense`: every document's score is looked up by its norm and
    /// frequency, in document order (the same floats as from the postings: a document the
    /// term misses adds 0.0; in the first clause, one no earlier leaf found starts from 0.0).
    fn add_dense(
        &self,
        kept: &DenseTerm,
        norms: &Norms,
        docs: &mut [u64],
        scores: &mut [Score],
        first: bool,
        vectors: bool,
    ) {
        let Some((_, _, bm25)) = &self.term else {
            return;
        };
        // The score of every norm id of the segment and frequency (frequency 0 scores 0.0).
        let stride = usize::from(kept.max_freq) + 1;
        let mut table = vec![0.0; 256 * stride];
        for &id in &norms.present {
            let row = usize::from(id) * stride;
            for tf in 1..stride {
                if let Some(slot) = table.get_mut(row + tf) {
                    *slot = boosted(bm25.score(id, tf as u32), &self.boosts);
                }
            }
        }
        let n = kept.freqs.len().min(norms.ids.len()).min(scores.len());
        let mut done = 0;
        #[cfg(not(target_arch = "x86_64"))]
        let _ = vectors;
        #[cfg(target_arch = "x86_64")]
        {
            if vectors && std::arch::is_x86_feature_detected!("avx512f") {
                // SAFETY: the CPU has just been found to support AVX-512F; every frequency is
                // below `stride` and every id below 256, so each index is within `table`.
                done = unsafe {
                    add_dense_avx512(
                        &kept.freqs[..n],
                        &norms.ids[..n],
                        &mut scores[..n],
                        docs,
                        &kept.docs,
                        &table,
                        stride,
                        first,
                    )
                };
            }
        }
        for (w, word) in docs.iter_mut().enumerate().skip(done / 64) {
            let (start, end) = (w * 64, (w * 64 + 64).min(n));
            if start >= end {
                break;
            }
            let found = *word;
            let lanes = kept.freqs[start..end]
                .iter()
                .zip(&norms.ids[start..end])
                .zip(&mut scores[start..end]);
            for (j, ((&tf, &id), x)) in lanes.enumerate() {
                let s = table
                    .get(usize::from(id) * stride + usize::from(tf))
                    .copied()
                    .unwrap_or(0.0);
                let earlier = if first && (found >> j) & 1 == 0 {
                    0.0
                } else {
                    *x
                };
                *x = earlier + s;
            }
            *word = found | kept.docs.get(w).copied().unwrap_or(0);
        }
    }

    /// Marks the leaf's documents in `docs`.
    fn mark(&self, reader: &SegmentReader, docs: &mut [u64]) -> tantivy::Result<()> {
        let Some((term, _, _)) = &self.term else {
            return self
                .weight
                .for_each_no_score(reader, &mut |found: &[DocId]| {
                    for &d in found {
                        set_bit(docs, d);
                    }
                });
        };
        let inverted = reader.inverted_index(term.field())?;
        let Some(mut block) = inverted.read_block_postings(term, IndexRecordOption::Basic)? else {
            return Ok(());
        };
        loop {
            let block_docs = block.docs();
            if block_docs.is_empty() {
                break;
            }
            for &d in block_docs {
                set_bit(docs, d);
            }
            block.advance();
        }
        Ok(())
    }

    /// Marks the leaf's documents in `docs` and adds its scores to theirs (for those in
    /// `wanted`: see `ShapeWeight::accumulate`; in the `first` clause, the first leaf to find
    /// a document writes its score); with `within` (documents every earlier clause matched),
    /// only those documents.
    fn add(
        &self,
        reader: &SegmentReader,
        docs: &mut [u64],
        scores: &mut [Score],
        wanted: Option<&[u64]>,
        first: bool,
        within: Option<&[u64]>,
    ) -> tantivy::Result<()> {
        let take = |wanted: bool| match wanted {
            true => Take::Score,
            false => Take::Mark,
        };
        match (wanted, within) {
            (None, None) => self.add_with(reader, docs, scores, first, |_| Take::Score),
            (Some(w), None) => self.add_with(reader, docs, scores, first, |d| take(has_bit(w, d))),
            (None, Some(m)) => {
                self.add_with(reader, docs, scores, first, |d| match has_bit(m, d) {
                    true => Take::Score,
                    false => Take::Skip,
                })
            }
            (Some(w), Some(m)) => {
                self.add_with(reader, docs, scores, first, |d| match has_bit(m, d) {
                    true => take(has_bit(w, d)),
                    false => Take::Skip,
                })
            }
        }
    }

    /// `add`, doing with each posting what `take` says (a closure, so that each case is
    /// compiled on its own and every document wanted tests nothing).
    #[inline(always)]
    fn add_with(
        &self,
        reader: &SegmentReader,
        docs: &mut [u64],
        scores: &mut [Score],
        first: bool,
        take: impl Fn(DocId) -> Take,
    ) -> tantivy::Result<()> {
        let Some((term, option, bm25)) = &self.term else {
            let mut scorer = self.weight.scorer(reader, 1.0)?;
            let mut d = scorer.doc();
            while d != TERMINATED {
                match take(d) {
                    Take::Skip => {}
                    Take::Mark => set_bit(docs, d),
                    Take::Score => {
                        let s = boosted(scorer.score(), &self.boosts);
                        mark(docs, scores, d, s, first);
                    }
                }
                d = scorer.advance();
            }
            return Ok(());
        };
        let inverted = reader.inverted_index(term.field())?;
        let Some(mut block) = inverted.read_block_postings(term, *option)? else {
            return Ok(());
        };
        let norms = field_norms(reader, term.field())?;
        loop {
            let block_docs = block.docs();
            if block_docs.is_empty() {
                break;
            }
            for (i, &d) in block_docs.iter().enumerate() {
                match take(d) {
                    Take::Skip => continue,
                    Take::Mark => {
                        set_bit(docs, d);
                        continue;
                    }
                    Take::Score => {}
                }
                let s = boosted(
                    bm25.score(norms.fieldnorm_id(d), block.freq(i)),
                    &self.boosts,
                );
                mark(docs, scores, d, s, first);
            }
            block.advance();
        }
        Ok(())
    }
}

#[inline]
fn boosted(mut score: Score, boosts: &[Score]) -> Score {
    for b in boosts {
        score *= b;
    }
    score
}

/// Marks `d` and adds `s` to its score; in the first clause, the first leaf to find `d` writes
/// its score (so that scores need no clearing: a match is always found in the first clause).
#[inline]
fn mark(docs: &mut [u64], scores: &mut [Score], d: DocId, s: Score, first: bool) {
    if let (Some(w), Some(x)) = (docs.get_mut(d as usize / 64), scores.get_mut(d as usize)) {
        let bit = 1u64 << (d % 64);
        if first && *w & bit == 0 {
            *x = s;
        } else {
            *x += s;
        }
        *w |= bit;
    }
}

/// The leaves of a shape in one segment, scoring documents in increasing order.
pub struct LeafScorers<'a> {
    leaves: Vec<(Box<dyn Scorer>, &'a [Score])>,
}

impl LeafScorers<'_> {
    /// The score of a matching document; calls come with increasing `doc`.
    pub fn score(&mut self, doc: DocId) -> Score {
        let mut total: Score = 0.0;
        for (scorer, boosts) in &mut self.leaves {
            let mut at = scorer.doc();
            if at < doc {
                at = scorer.seek(doc);
            }
            if at == doc {
                total += boosted(scorer.score(), boosts);
            }
        }
        total
    }
}
