//! The documents of a scorer that a test keeps: the one way this search narrows a scorer by a
//! per-document condition (an exclusion, a coverage check). The test is called once per
//! candidate, with increasing documents, so it may move scorers of its own forward.

use tantivy::query::Scorer;
use tantivy::{DocId, DocSet, Score, TERMINATED};

pub struct Filtered<K: FnMut(DocId) -> bool> {
    inner: Box<dyn Scorer>,
    keep: K,
    /// Whether the inner scores count (else every document scores 0).
    scored: bool,
}

impl<K: FnMut(DocId) -> bool + Send + 'static> Filtered<K> {
    /// The scorer positioned on its first kept document.
    pub fn new(inner: Box<dyn Scorer>, keep: K, scored: bool) -> Filtered<K> {
        let mut f = Filtered {
            inner,
            keep,
            scored,
        };
        let first = f.inner.doc();
        if first != TERMINATED && !(f.keep)(first) {
            f.advance();
        }
        f
    }
}

impl<K: FnMut(DocId) -> bool + Send + 'static> DocSet for Filtered<K> {
    fn advance(&mut self) -> DocId {
        loop {
            let doc = self.inner.advance();
            if doc == TERMINATED || (self.keep)(doc) {
                return doc;
            }
        }
    }

    fn seek(&mut self, target: DocId) -> DocId {
        let doc = self.inner.seek(target);
        if doc == TERMINATED || (self.keep)(doc) {
            return doc;
        }
        self.advance()
    }

    fn doc(&self) -> DocId {
        self.inner.doc()
    }

    fn size_hint(&self) -> u32 {
        self.inner.size_hint()
    }
}

impl<K: FnMut(DocId) -> bool + Send + 'static> Scorer for Filtered<K> {
    fn score(&mut self) -> Score {
        if self.scored { self.inner.score() } else { 0.0 }
    }
}
