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

/// The schema.org, DCAT and Bioschemas classes an asset class specialises (its `rdfs:subClassOf`
/// outside esado in `ontologies/esado.ttl`). They are written beside the asset's own class, so
/// that a SPARQL user asking for `?s a schema:Dataset` or `?s a dcat:Dataset` finds datasets and
/// data volumes without a reasoner; reading an asset back passes over them.
pub fn implied_classes(class: &str) -> &'static [&'static str] {
    const DATASET: &[&str] = &[
        "http://www.w3.org/ns/dcat#Dataset",
        "https://schema.org/Dataset",
    ];
    match class.strip_prefix(ESADO) {
        Some("Dataset" | "DataVolume") => DATASET,
        Some("Datalab") => &[
            "https://schema.org/SoftwareApplication",
            "https://schema.org/WebApplication",
        ],
        Some("Pipeline") => &[
            "https://bioschemas.org/ComputationalWorkflow",
            "https://schema.org/SoftwareSourceCode",
        ],
        _ => &[],
    }
}

/// Whether a class is one that [`implied_classes`] writes for some asset class.
fn is_implied(class: &str) -> bool {
    ["Dataset", "Datalab", "Pipeline"]
        .iter()
        .any(|c| implied_classes(&format!("{ESADO}{c}")).contains(&class))
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

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, BTreeSet};

    use oxigraph::io::{RdfFormat, RdfParser};

    use super::*;

    /// The table of implied classes says what the ontology says, class by class.
    #[test]
    fn implied_classes_are_the_ontologys_superclasses() {
        let ttl = include_str!("../../../ontologies/esado.ttl");
        let mut declared: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for t in RdfParser::from_format(RdfFormat::Turtle).for_slice(ttl.as_bytes()) {
            let t = t.expect("the ontology parses");
            if t.predicate.as_str() == "http://www.w3.org/2000/01/rdf-schema#subClassOf" {
                let (s, o) = (t.subject.to_string(), t.object.to_string());
                let (s, o) = (s.trim_matches(['<', '>']), o.trim_matches(['<', '>']));
                if !o.starts_with(ESADO) {
                    declared
                        .entry(s.to_owned())
                        .or_default()
                        .insert(o.to_owned());
                }
            }
        }
        for class in [
            "Datalab",
            "Pipeline",
            "Dataset",
            "DataVolume",
            "Service",
            "Resource",
        ] {
            let iri = format!("{ESADO}{class}");
            let table: BTreeSet<String> = implied_classes(&iri)
                .iter()
                .map(|c| (*c).to_owned())
                .collect();
            assert_eq!(
                table,
                declared.remove(&iri).unwrap_or_default(),
                "{class}: the table and esado.ttl disagree"
            );
        }
        assert!(is_implied("https://schema.org/Dataset"));
        assert!(!is_implied(&format!("{ESADO}Dataset")));
    }
}
