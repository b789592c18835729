//! BM25 statistics of what anyone may find. Scores computed from the whole index would let a
//! caller notice private assets: adding a private asset with a word lowers that word's weight,
//! so the score of a public hit shifts. Callers who cannot see everything are therefore scored
//! with document counts taken over public documents only (a term's documents intersected with
//! the `readers` term of public assets) and token totals over public documents only (from
//! their field norms); both are cached per segment, which never changes.

use tantivy::index::SegmentId;
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

    /// Public documents (deleted ones included, as in tantivy's own counts) of `term` in one
    /// segment; `None` counts every public document.
    fn in_segment(&self, reader: &SegmentReader, term: Option<&Term>) -> tantivy::Result<u64> {
        let public = Term::from_field_text(self.readers, crate::access::PUBLIC_READERS);
        let key = Key::Docs(
            reader.segment_id(),
            term.map(|t| (t.field().field_id(), t.serialized_value_bytes().to_vec())),
        );
        if let Some(n) = self.cache.get(&key) {
            return Ok(n);
        }
        let Some(mut public_docs) = reader
            .inverted_index(self.readers)?
            .read_postings(&public, IndexRecordOption::Basic)?
        else {
            return Ok(0);
        };
        let n = match term {
            None => u64::from(public_docs.doc_freq()),
            Some(term) => match reader
                .inverted_index(term.field())?
                .read_postings(term, IndexRecordOption::Basic)?
            {
                None => 0,
                Some(mut docs) => {
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
                    n
                }
            },
        };
        self.cache.insert(key, n);
        Ok(n)
    }
}

impl PublicCounts {
    /// Tokens of `field` over the public documents of one segment, from their field norms.
    fn tokens_in_segment(&self, reader: &SegmentReader, field: Field) -> tantivy::Result<u64> {
        let key = Key::Tokens(reader.segment_id(), field.field_id());
        if let Some(n) = self.cache.get(&key) {
            return Ok(n);
        }
        let public = Term::from_field_text(self.readers, crate::access::PUBLIC_READERS);
        let norms = reader.get_fieldnorms_reader(field)?;
        let mut n = 0u64;
        if let Some(mut docs) = reader
            .inverted_index(self.readers)?
            .read_postings(&public, IndexRecordOption::Basic)?
        {
            let mut d = docs.doc();
            while d != TERMINATED {
                n += u64::from(norms.fieldnorm(d));
                d = docs.advance();
            }
        }
        self.cache.insert(key, n);
        Ok(n)
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
