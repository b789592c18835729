//! BM25 statistics of what anyone may find. Scores computed from the whole index would let a
//! caller notice private assets: adding a private asset with a word lowers that word's weight,
//! so the score of a public hit shifts. Callers who cannot see everything are therefore scored
//! with document counts taken over public documents only (a term's documents intersected with
//! the `readers` term of public assets) and token totals over public documents only (from
//! their field norms); both are cached per segment, which never changes.

use tantivy::index::SegmentId;
use tantivy::postings::SegmentPostings;
use tantivy::query::Bm25StatisticsProvider;
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::{DocSet, Searcher, SegmentReader, TERMINATED, Term};

/// Public document counts per segment and term, kept between searches.
pub struct PublicCounts {
    readers: Field,
    cache: quick_cache::sync::Cache<Key, u64>,
}

/// What a cached count counts, in one segment.
#[derive(Clone, PartialEq, Eq, Hash)]
enum Key {
    /// Public documents holding a term (field and value), or every public document.
    Docs(SegmentId, Option<(u32, Vec<u8>)>),
    /// Tokens of a field over public documents.
    Tokens(SegmentId, u32),
}

impl PublicCounts {
    /// Counts for an index whose reader keys are in `readers`, keeping at most `entries`.
    pub fn new(readers: Field, entries: usize) -> PublicCounts {
        PublicCounts {
            readers,
            cache: quick_cache::sync::Cache::new(entries),
        }
    }

    /// The statistics provider of `searcher`'s snapshot.
    pub fn of<'a>(&'a self, searcher: &'a Searcher) -> PublicStatistics<'a> {
        PublicStatistics {
            counts: self,
            searcher,
        }
    }

    /// The public documents of one segment (deleted ones included, as in tantivy's own
    /// counts), in document order.
    fn public_docs(&self, reader: &SegmentReader) -> tantivy::Result<Option<SegmentPostings>> {
        let public = Term::from_field_text(self.readers, crate::access::PUBLIC_READERS);
        Ok(reader
            .inverted_index(self.readers)?
            .read_postings(&public, IndexRecordOption::Basic)?)
    }

    /// Public documents of `term` in one segment; `None` counts every public document.
    fn in_segment(&self, reader: &SegmentReader, term: Option<&Term>) -> tantivy::Result<u64> {
        let key = Key::Docs(
            reader.segment_id(),
            term.map(|t| (t.field().field_id(), t.serialized_value_bytes().to_vec())),
        );
        self.cache.get_or_insert_with(&key, || {
            let Some(mut public_docs) = self.public_docs(reader)? else {
                return Ok(0);
            };
            let Some(term) = term else {
                return Ok(u64::from(public_docs.doc_freq()));
            };
            let Some(mut docs) = reader
                .inverted_index(term.field())?
                .read_postings(term, IndexRecordOption::Basic)?
            else {
                return Ok(0);
            };
            let mut n = 0;
            let mut d = docs.doc();
            while d != TERMINATED {
                // (A scorer only ever seeks forward.)
                let at = match public_docs.doc() {
                    p if p < d => public_docs.seek(d),
                    p => p,
                };
                if at == d {
                    n += 1;
                }
                d = docs.advance();
            }
            Ok(n)
        })
    }

    /// Tokens of `field` over the public documents of one segment, from their field norms (a
    /// field without norms counts one a document, as tantivy's scorers take it).
    fn tokens_in_segment(&self, reader: &SegmentReader, field: Field) -> tantivy::Result<u64> {
        let key = Key::Tokens(reader.segment_id(), field.field_id());
        self.cache.get_or_insert_with(&key, || {
            let norms = match reader.schema().get_field_entry(field).has_fieldnorms() {
                true => Some(reader.get_fieldnorms_reader(field)?),
                false => None,
            };
            let mut n = 0u64;
            if let Some(mut docs) = self.public_docs(reader)? {
                let mut d = docs.doc();
                while d != TERMINATED {
                    n += norms.as_ref().map_or(1, |r| u64::from(r.fieldnorm(d)));
                    d = docs.advance();
                }
            }
            Ok(n)
        })
    }
}

/// The statistics of one snapshot.
pub struct PublicStatistics<'a> {
    counts: &'a PublicCounts,
    searcher: &'a Searcher,
}

impl PublicStatistics<'_> {
    fn sum(&self, term: Option<&Term>) -> tantivy::Result<u64> {
        let mut n = 0;
        for reader in self.searcher.segment_readers() {
            n += self.counts.in_segment(reader, term)?;
        }
        Ok(n)
    }
}

impl Bm25StatisticsProvider for PublicStatistics<'_> {
    fn total_num_tokens(&self, field: Field) -> tantivy::Result<u64> {
        let mut n = 0;
        for reader in self.searcher.segment_readers() {
            n += self.counts.tokens_in_segment(reader, field)?;
        }
        Ok(n)
    }

    fn total_num_docs(&self) -> tantivy::Result<u64> {
        self.sum(None)
    }

    fn doc_freq(&self, term: &Term) -> tantivy::Result<u64> {
        self.sum(Some(term))
    }
}
