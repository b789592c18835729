//! The common terms of each segment, kept between queries as one byte per document.
//!
//! Most words of catalogue text are in a large part of every segment (in the benchmark's
//! catalogue, every word of its vocabulary is in about half of the assets). Summing such a
//! term's scores from its postings costs, for every posting, a decode, a field-norm read and a
//! BM25 division, document by document. Kept instead as its frequency in every document (zero
//! where it is absent) beside the field's norms, its score in a document is a table lookup
//! made in document order, and the documents that hold it are a bitset ORed word by word.
//!
//! What is kept depends on the segment alone (not on the index statistics BM25 reads), so it
//! stays valid while the segment lives; `retain` forgets the segments that are gone. The terms
//! are a quick-cache of at most `budget` bytes (its size is `Config::term_cache_bytes`).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tantivy::fieldnorm::FieldNormReader;
use tantivy::index::SegmentId;
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::{SegmentReader, Term};

use super::bits::set_bit;

/// A term is kept when at least one document in this many holds it (below that, its postings
/// are cheaper than a pass over every document).
const DENSE: u32 = 8;
/// Highest frequency kept (a term found more often in a document is read from its postings).
pub const MAX_FREQ: u32 = 63;
/// The default budget (`--term-cache-mib`).
pub const BUDGET: usize = 512 << 20;

/// A term of one segment.
pub struct DenseTerm {
    /// Per document, the term's frequency in it (0: absent).
    pub freqs: Vec<u8>,
    /// The documents that hold it.
    pub docs: Vec<u64>,
    /// Its highest frequency.
    pub max_freq: u8,
}

impl DenseTerm {
    /// Bytes it holds, for a segment of `n` documents.
    fn bytes_for(n: usize) -> usize {
        n + n.div_ceil(64) * 8
    }

    fn bytes(&self) -> usize {
        self.freqs.len() + self.docs.len() * 8
    }
}

/// A field's norms in one segment.
pub struct Norms {
    /// Per document, its norm id.
    pub ids: Vec<u8>,
    /// The ids that occur.
    pub present: Vec<u8>,
}

type Key = (SegmentId, Term, bool);
/// `None` when the term cannot be kept (a frequency above `MAX_FREQ`).
type Kept = Option<Arc<DenseTerm>>;

/// A kept term weighs its bytes (one for a term found not to be keepable).
#[derive(Clone)]
struct TermBytes;

impl quick_cache::Weighter<Key, Kept> for TermBytes {
    fn weight(&self, _: &Key, kept: &Kept) -> u64 {
        kept.as_ref().map_or(1, |t| t.bytes() as u64).max(1)
    }
}

/// The kept terms and field norms of the segments in use.
pub struct DenseTerms {
    /// Terms, evicted by quick-cache's policy once they weigh more than the budget.
    terms: quick_cache::sync::Cache<Key, Kept, TermBytes>,
    /// Norms are never evicted: a segment's are few, one per text field.
    norms: Mutex<HashMap<(SegmentId, Field), Arc<Norms>>>,
    budget: usize,
    /// Whether scores are looked up with vector instructions where the CPU has them (tests
    /// turn this off to check the portable loop).
    pub vectors: bool,
}

impl DenseTerms {
    /// A cache of at most `budget` bytes of terms (0: no term is kept, every term is read from
    /// its postings).
    pub fn new(budget: usize) -> DenseTerms {
        DenseTerms {
            terms: quick_cache::sync::Cache::with_weighter(
                (budget / (64 << 10)).clamp(16, 1 << 16),
                budget as u64,
                TermBytes,
            ),
            norms: Mutex::new(HashMap::new()),
            budget,
            vectors: true,
        }
    }

    fn norms_map(&self) -> std::sync::MutexGuard<'_, HashMap<(SegmentId, Field), Arc<Norms>>> {
        self.norms.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The term as kept for `reader`'s segment, read from its postings on first use; `None`
    /// when it is not common enough (`doc_freq` in the segment) or cannot be kept.
    pub fn term(
        &self,
        reader: &SegmentReader,
        term: &Term,
        option: IndexRecordOption,
        doc_freq: u32,
    ) -> tantivy::Result<Kept> {
        let n = reader.max_doc();
        if doc_freq == 0 || u64::from(doc_freq) * u64::from(DENSE) < u64::from(n) {
            return Ok(None);
        }
        // A term that could never be kept is read from its postings, not built for one query.
        if DenseTerm::bytes_for(n as usize) > self.budget {
            return Ok(None);
        }
        let key = (reader.segment_id(), term.clone(), option.has_freq());
        self.terms
            .get_or_insert_with(&key, || Ok(build(reader, term, option)?.map(Arc::new)))
    }

    /// The norms of `field` in `reader`'s segment, one byte per document.
    pub fn norms(&self, reader: &SegmentReader, field: Field) -> tantivy::Result<Arc<Norms>> {
        let key = (reader.segment_id(), field);
        if let Some(n) = self.norms_map().get(&key) {
            return Ok(n.clone());
        }
        let r = field_norms(reader, field)?;
        let ids: Vec<u8> = (0..reader.max_doc()).map(|d| r.fieldnorm_id(d)).collect();
        let mut seen = [false; 256];
        for &id in &ids {
            seen[usize::from(id)] = true;
        }
        let present = (0..=255u8).filter(|&id| seen[usize::from(id)]).collect();
        let norms = Arc::new(Norms { ids, present });
        Ok(self.norms_map().entry(key).or_insert(norms).clone())
    }

    /// Forgets the segments not in `live`.
    pub fn retain(&self, live: &[SegmentId]) {
        self.terms.retain(|(s, _, _), _| live.contains(s));
        self.norms_map().retain(|(s, _), _| live.contains(s));
    }

    /// Bytes held: the kept terms and the norms.
    pub fn bytes(&self) -> usize {
        let norms: usize = self.norms_map().values().map(|n| n.ids.len()).sum();
        let terms: usize = self
            .terms
            .iter()
            .map(|(_, kept)| kept.map_or(0, |t| t.bytes()))
            .sum();
        terms + norms
    }
}

/// Reads a term's postings into a `DenseTerm`; `None` when a frequency is above `MAX_FREQ`.
fn build(
    reader: &SegmentReader,
    term: &Term,
    option: IndexRecordOption,
) -> tantivy::Result<Option<DenseTerm>> {
    let n = reader.max_doc() as usize;
    let mut freqs = vec![0u8; n];
    let mut docs = vec![0u64; n.div_ceil(64)];
    let mut max_freq = 0u8;
    let inverted = reader.inverted_index(term.field())?;
    if let Some(mut block) = inverted.read_block_postings(term, option)? {
        loop {
            let block_docs = block.docs();
            if block_docs.is_empty() {
                break;
            }
            for (i, &d) in block_docs.iter().enumerate() {
                let tf = block.freq(i);
                if tf > MAX_FREQ {
                    return Ok(None);
                }
                if let Some(f) = freqs.get_mut(d as usize) {
                    // `tf` is at most MAX_FREQ: it fits.
                    *f = tf as u8;
                    max_freq = max_freq.max(tf as u8);
                    set_bit(&mut docs, d);
                }
            }
            block.advance();
        }
    }
    Ok(Some(DenseTerm {
        freqs,
        docs,
        max_freq,
    }))
}

/// A field's norms as a term scorer reads them (constant when the field keeps none).
pub(super) fn field_norms(
    reader: &SegmentReader,
    field: Field,
) -> tantivy::Result<FieldNormReader> {
    Ok(reader
        .fieldnorms_readers()
        .get_field(field)?
        .unwrap_or_else(|| FieldNormReader::constant(reader.max_doc(), 1)))
}
