//! The exact two-way mapping between an asset document and RDF.
//!
//! Every field goes to the asset's public or private named graph as the field table says.
//! Ordered lists (creators, distributions, pipeline steps and parameters) become nodes
//! `{iri}#{kind}-{n}` carrying `schema:position`; sets (keywords, vocabulary values) become
//! repeated triples and come back sorted. A normalised asset (see `vocab`) maps to RDF and back
//! unchanged.

use std::collections::{BTreeMap, HashMap};

use oxigraph::model::{GraphName, Literal, NamedNode, NamedOrBlankNode, Quad, Term};

use super::asset::*;
use super::fields::{self, Visibility};
use super::ns::{self, DCAT, DCT, ESADO, SDO, XSD};
use super::vocab::{Scheme, Vocabularies};

mod read;
mod write;

pub use read::from_quads;
pub use write::to_quads;

/// Where an asset lives in the store.
#[derive(Debug, Clone)]
pub struct AssetIris {
    pub subject: NamedNode,
    pub public: NamedNode,
    pub private: NamedNode,
}

impl AssetIris {
    pub fn new(base: &str, id: &str) -> AssetIris {
        AssetIris {
            subject: NamedNode::new_unchecked(format!("{base}/id/{id}")),
            public: NamedNode::new_unchecked(format!("{base}/graph/{id}/public")),
            private: NamedNode::new_unchecked(format!("{base}/graph/{id}/private")),
        }
    }

    fn node(&self, fragment: &str) -> NamedNode {
        NamedNode::new_unchecked(format!("{}#{fragment}", self.subject.as_str()))
    }
}

/// Why an asset could not be mapped to or from RDF.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum MappingError {
    #[error("{pointer}: {value:?} is not a valid IRI")]
    BadIri { pointer: String, value: String },
    #[error("{pointer}: {value:?} is not a known {scheme} value")]
    UnknownConcept {
        pointer: String,
        value: String,
        scheme: &'static str,
    },
    #[error("stored asset {id} is malformed: {message}")]
    Stored { id: String, message: String },
}

fn p(ns: &str, local: &str) -> NamedNode {
    NamedNode::new_unchecked(format!("{ns}{local}"))
}

fn typed(value: &str, datatype: &str) -> Term {
    Literal::new_typed_literal(value, p(XSD, datatype)).into()
}

fn text(value: &str) -> Term {
    Literal::new_simple_literal(value).into()
}

/// The IANA IRI of a media type. `#` and `^` (allowed in media type names, not as such in an
/// IRI path) are percent-encoded; the schema admits no `%`, so decoding is exact.
fn media_type_iri(media_type: &str) -> String {
    format!(
        "{}{}",
        ns::IANA_MEDIA,
        media_type.replace('#', "%23").replace('^', "%5E")
    )
}

fn media_type_from_iri(iri: &str) -> String {
    iri.strip_prefix(ns::IANA_MEDIA)
        .unwrap_or(iri)
        .replace("%23", "#")
        .replace("%5E", "^")
}

fn numbers(values: &[f64]) -> String {
    values
        .iter()
        .map(f64::to_string)
        .collect::<Vec<_>>()
        .join(" ")
}
