//! `A NOT B`: the documents of one query that another does not match.
//!
//! tantivy's own exclusion probes the excluded scorer with `seek_danger` from wherever the
//! included one stands, which a phrase scorer already past that point refuses (a debug
//! assertion, hit by queries as plain as `galaxy -"deep field"`). This exclusion only ever moves
//! the excluded scorer forward with `seek`, so every scorer sees the forward-only use it is
//! written for. Scores are those of the included query.

use tantivy::query::{EnableScoring, Explanation, Query, Scorer, Weight};
use tantivy::{DocId, DocSet, Score, SegmentReader, Term};

use super::filtered::Filtered;

/// Documents of `include` that `exclude` does not match.
#[derive(Debug)]
pub struct Without {
    include: Box<dyn Query>,
    exclude: Box<dyn Query>,
}

impl Clone for Without {
    fn clone(&self) -> Self {
        Without {
            include: self.include.box_clone(),
            exclude: self.exclude.box_clone(),
        }
    }
}

impl Without {
    pub fn new(include: Box<dyn Query>, exclude: Box<dyn Query>) -> Without {
        Without { include, exclude }
    }

    pub fn include(&self) -> &dyn Query {
        self.include.as_ref()
    }

    pub fn exclude(&self) -> &dyn Query {
        self.exclude.as_ref()
    }
}

impl Query for Without {
    fn weight(&self, enable_scoring: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        let include = self.include.weight(enable_scoring)?;
        let disabled = match enable_scoring.searcher() {
            Some(searcher) => EnableScoring::disabled_from_searcher(searcher),
            None => EnableScoring::disabled_from_schema(enable_scoring.schema()),
        };
        let exclude = self.exclude.weight(disabled)?;
        Ok(Box::new(WithoutWeight { include, exclude }))
    }

    fn query_terms<'a>(&'a self, visitor: &mut dyn FnMut(&'a Term, bool)) {
        // Only the included terms: excluded words are never highlighted.
        self.include.query_terms(visitor);
    }
}

struct WithoutWeight {
    include: Box<dyn Weight>,
    exclude: Box<dyn Weight>,
}

impl Weight for WithoutWeight {
    fn scorer(&self, reader: &SegmentReader, boost: Score) -> tantivy::Result<Box<dyn Scorer>> {
        let include = self.include.scorer(reader, boost)?;
        let mut exclude = self.exclude.scorer(reader, 1.0)?;
        // `exclude` only ever moves forward, with `seek`.
        let mut excluded = move |doc: DocId| {
            let mut at = exclude.doc();
            if at < doc {
                at = exclude.seek(doc);
            }
            at == doc
        };
        Ok(Box::new(Filtered::new(
            include,
            move |d| !excluded(d),
            true,
        )))
    }

    fn explain(&self, reader: &SegmentReader, doc: DocId) -> tantivy::Result<Explanation> {
        let mut scorer = self.scorer(reader, 1.0)?;
        if scorer.seek(doc) != doc {
            return Err(tantivy::TantivyError::InvalidArgument(format!(
                "document {doc} does not match"
            )));
        }
        Ok(Explanation::new("without", scorer.score()))
    }
}
