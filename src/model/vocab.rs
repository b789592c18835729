//! Controlled vocabularies: the SKOS concept schemes and the licence catalogue in `ontologies/`.
//!
//! The Turtle files are compiled into the binary so that a fresh data directory needs nothing
//! else; the store loads the same triples into one named graph per file. Values are accepted by
//! preferred or alternative label, case-insensitively, and stored as concept IRIs; an unknown
//! value is refused with the closest labels of its scheme.

use std::collections::HashMap;

use oxigraph::io::{RdfFormat, RdfParser};
use oxigraph::model::{NamedOrBlankNode, Quad, Term};
use serde::Serialize;
use utoipa::ToSchema;

use super::ns;

/// The ontology files, as (graph-name stem, Turtle text).
pub const ONTOLOGY_FILES: &[(&str, &str)] = &[
    ("esado", include_str!("../../ontologies/esado.ttl")),
    (
        "asset-types",
        include_str!("../../ontologies/asset-types.ttl"),
    ),
    ("domains", include_str!("../../ontologies/domains.ttl")),
    (
        "properties",
        include_str!("../../ontologies/properties.ttl"),
    ),
    ("missions", include_str!("../../ontologies/missions.ttl")),
    (
        "file-types",
        include_str!("../../ontologies/file-types.ttl"),
    ),
    ("audiences", include_str!("../../ontologies/audiences.ttl")),
    ("wavebands", include_str!("../../ontologies/wavebands.ttl")),
    ("licenses", include_str!("../../ontologies/licenses.ttl")),
];

/// The concept schemes the asset document draws values from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Scheme {
    AssetTypes,
    Domains,
    Properties,
    Missions,
    FileTypes,
    Audiences,
    Wavebands,
    Licenses,
}

impl Scheme {
    pub const ALL: [Scheme; 8] = [
        Scheme::AssetTypes,
        Scheme::Domains,
        Scheme::Properties,
        Scheme::Missions,
        Scheme::FileTypes,
        Scheme::Audiences,
        Scheme::Wavebands,
        Scheme::Licenses,
    ];

    pub fn slug(self) -> &'static str {
        match self {
            Scheme::AssetTypes => "asset-types",
            Scheme::Domains => "domains",
            Scheme::Properties => "properties",
            Scheme::Missions => "missions",
            Scheme::FileTypes => "file-types",
            Scheme::Audiences => "audiences",
            Scheme::Wavebands => "wavebands",
            Scheme::Licenses => "licenses",
        }
    }

    pub fn from_slug(slug: &str) -> Option<Scheme> {
        Scheme::ALL.into_iter().find(|s| s.slug() == slug)
    }

    pub fn iri(self) -> String {
        format!("{}{}", ns::SCHEME, self.slug())
    }
}

/// One SKOS concept.
#[derive(Debug, Clone, Default, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Concept {
    pub iri: String,
    pub pref_label: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub alt_labels: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notation: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub definition: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub media_types: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub page: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
}

impl Concept {
    /// The value written in asset documents: the notation for licences, else the preferred label.
    pub fn value(&self, scheme: Scheme) -> &str {
        match (scheme, &self.notation) {
            (Scheme::Licenses, Some(n)) => n,
            _ => &self.pref_label,
        }
    }
}

#[derive(Debug, Default)]
struct SchemeIndex {
    concepts: Vec<Concept>,
    by_label: HashMap<String, usize>,
    by_iri: HashMap<String, usize>,
}

/// A value that matches no concept of its scheme.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UnknownValue {
    pub scheme: Scheme,
    pub value: String,
    pub closest: Vec<String>,
}

/// All concept schemes, indexed by label and IRI.
#[derive(Debug)]
pub struct Vocabularies {
    schemes: HashMap<Scheme, SchemeIndex>,
}

/// A broken ontology file: a defect of the build, reported with the file it is in.
#[derive(Debug, thiserror::Error)]
#[error("ontology {file}: {message}")]
pub struct OntologyError {
    pub file: &'static str,
    pub message: String,
}

/// Parses every ontology file into quads, each file in its own named graph.
pub fn ontology_quads() -> Result<Vec<Quad>, OntologyError> {
    let mut quads = Vec::new();
    for (stem, text) in ONTOLOGY_FILES {
        let graph = oxigraph::model::NamedNode::new_unchecked(format!("{}{stem}", ns::VOCAB_GRAPH));
        for quad in RdfParser::from_format(RdfFormat::Turtle)
            .with_default_graph(graph.clone())
            .for_slice(text.as_bytes())
        {
            quads.push(quad.map_err(|e| OntologyError {
                file: stem,
                message: e.to_string(),
            })?);
        }
    }
    Ok(quads)
}

fn literal_value(term: &Term) -> Option<String> {
    match term {
        Term::Literal(l) => Some(l.value().to_owned()),
        Term::NamedNode(n) => Some(n.as_str().to_owned()),
        _ => None,
    }
}

impl Vocabularies {
    /// Builds the indexes from the compiled-in ontology files.
    pub fn load() -> Result<Vocabularies, OntologyError> {
        let quads = ontology_quads()?;
        let scheme_of: HashMap<String, Scheme> =
            Scheme::ALL.iter().map(|s| (s.iri(), *s)).collect();
        let mut concepts: HashMap<String, (Option<Scheme>, Concept)> = HashMap::new();
        for q in &quads {
            let NamedOrBlankNode::NamedNode(s) = &q.subject else {
                continue;
            };
            let p = q.predicate.as_str();
            let entry = || {
                (
                    None,
                    Concept {
                        iri: s.as_str().to_owned(),
                        ..Concept::default()
                    },
                )
            };
            let Some(value) = literal_value(&q.object) else {
                continue;
            };
            let c = match p {
                ns::SKOS_IN_SCHEME
                | ns::SKOS_PREF_LABEL
                | ns::SKOS_ALT_LABEL
                | ns::SKOS_NOTATION
                | ns::SKOS_DEFINITION
                | ns::ESADO_MEDIA_TYPE
                | ns::FOAF_PAGE
                | ns::ESADO_LICENSE_GROUP => {
                    concepts.entry(s.as_str().to_owned()).or_insert_with(entry)
                }
                _ => continue,
            };
            match p {
                ns::SKOS_IN_SCHEME => c.0 = scheme_of.get(&value).copied().or(c.0),
                ns::SKOS_PREF_LABEL => c.1.pref_label = value,
                ns::SKOS_ALT_LABEL => c.1.alt_labels.push(value),
                ns::SKOS_NOTATION => {
                    c.1.notation.get_or_insert(value);
                }
                ns::SKOS_DEFINITION => c.1.definition = Some(value),
                ns::ESADO_MEDIA_TYPE => c.1.media_types.push(value),
                ns::FOAF_PAGE => c.1.page = Some(value),
                _ => c.1.group = Some(value),
            }
        }
        let mut schemes: HashMap<Scheme, SchemeIndex> = HashMap::new();
        let mut list: Vec<(Scheme, Concept)> = concepts
            .into_values()
            .filter_map(|(s, c)| s.map(|s| (s, c)))
            .collect();
        list.sort_by(|a, b| {
            a.1.pref_label
                .to_lowercase()
                .cmp(&b.1.pref_label.to_lowercase())
        });
        for (scheme, mut concept) in list {
            if concept.pref_label.is_empty() {
                return Err(OntologyError {
                    file: scheme.slug(),
                    message: format!("{} has no prefLabel", concept.iri),
                });
            }
            concept.alt_labels.sort();
            let index = schemes.entry(scheme).or_default();
            let i = index.concepts.len();
            let mut labels = vec![concept.pref_label.clone()];
            labels.extend(concept.alt_labels.iter().cloned());
            labels.extend(concept.notation.iter().cloned());
            for label in labels {
                if let Some(j) = index.by_label.insert(label.to_lowercase(), i)
                    && j != i
                {
                    return Err(OntologyError {
                        file: scheme.slug(),
                        message: format!("label {label:?} names two concepts"),
                    });
                }
            }
            index.by_iri.insert(concept.iri.clone(), i);
            index.concepts.push(concept);
        }
        for scheme in Scheme::ALL {
            if schemes.get(&scheme).is_none_or(|s| s.concepts.is_empty()) {
                return Err(OntologyError {
                    file: scheme.slug(),
                    message: "scheme has no concepts".into(),
                });
            }
        }
        Ok(Vocabularies { schemes })
    }

    fn index(&self, scheme: Scheme) -> &SchemeIndex {
        // `load` guarantees every scheme is present.
        &self.schemes[&scheme]
    }

    /// Every concept of a scheme, sorted by preferred label.
    pub fn concepts(&self, scheme: Scheme) -> &[Concept] {
        &self.index(scheme).concepts
    }

    /// The concept a label (preferred, alternative or notation) names, case-insensitively.
    pub fn by_label(&self, scheme: Scheme, label: &str) -> Option<&Concept> {
        let index = self.index(scheme);
        index
            .by_label
            .get(&label.trim().to_lowercase())
            .map(|&i| &index.concepts[i])
    }

    pub fn by_iri(&self, scheme: Scheme, iri: &str) -> Option<&Concept> {
        let index = self.index(scheme);
        index.by_iri.get(iri).map(|&i| &index.concepts[i])
    }

    /// Resolves a label to its concept or says which labels come closest.
    pub fn resolve(&self, scheme: Scheme, label: &str) -> Result<&Concept, UnknownValue> {
        self.by_label(scheme, label).ok_or_else(|| UnknownValue {
            scheme,
            value: label.to_owned(),
            closest: self.closest(scheme, label, 3),
        })
    }

    /// The `n` concept values whose labels are most similar to `label`.
    pub fn closest(&self, scheme: Scheme, label: &str, n: usize) -> Vec<String> {
        let needle = label.trim().to_lowercase();
        let index = self.index(scheme);
        let mut scored: Vec<(f64, usize)> = index
            .by_label
            .iter()
            .map(|(l, &i)| (strsim::jaro_winkler(&needle, l), i))
            .collect();
        scored.sort_by(|a, b| b.0.total_cmp(&a.0));
        let mut out: Vec<String> = Vec::new();
        for (_, i) in scored {
            let value = index.concepts[i].value(scheme).to_owned();
            if !out.contains(&value) {
                out.push(value);
            }
            if out.len() == n {
                break;
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vocab() -> Vocabularies {
        Vocabularies::load().unwrap()
    }

    #[test]
    fn labels_resolve_case_insensitively_to_iris() {
        let v = vocab();
        let jwst = v
            .resolve(Scheme::Missions, "james webb space telescope")
            .unwrap();
        assert_eq!(jwst.pref_label, "JWST");
        assert_eq!(v.resolve(Scheme::Missions, "jwst").unwrap().iri, jwst.iri);
        assert_eq!(
            v.resolve(Scheme::Wavebands, "optical").unwrap().iri,
            "http://www.ivoa.net/rdf/messenger#Optical"
        );
        assert_eq!(
            v.resolve(Scheme::AssetTypes, "data volume").unwrap().iri,
            "https://w3id.org/esado#DataVolume"
        );
        let lic = v.resolve(Scheme::Licenses, "apache-2.0").unwrap();
        assert_eq!(lic.value(Scheme::Licenses), "Apache-2.0");
    }

    #[test]
    fn unknown_values_name_the_closest_labels() {
        let err = vocab().resolve(Scheme::Missions, "Gaja").unwrap_err();
        assert!(err.closest.contains(&"Gaia".to_owned()), "{err:?}");
        assert_eq!(err.closest.len(), 3);
    }

    #[test]
    fn required_terms_exist() {
        let v = vocab();
        for (scheme, labels) in [
            (
                Scheme::Domains,
                &[
                    "Space Science",
                    "Earth Observation",
                    "Planetary Science",
                    "Heliophysics",
                    "Navigation",
                ][..],
            ),
            (
                Scheme::Properties,
                &[
                    "Query Tool",
                    "Visualization Tool",
                    "Analysis Tool",
                    "Data Volume",
                ],
            ),
            (
                Scheme::Wavebands,
                &[
                    "Radio",
                    "Millimeter",
                    "Infrared",
                    "Optical",
                    "UV",
                    "EUV",
                    "X-ray",
                    "Gamma-ray",
                ],
            ),
            (
                Scheme::Licenses,
                &[
                    "ESA-PL-2.4-Permissive",
                    "ESA-CL-2.4-Strong-Copyleft",
                    "CC-BY-4.0",
                    "MIT",
                ],
            ),
        ] {
            for l in labels {
                assert!(v.by_label(scheme, l).is_some(), "{scheme:?} lacks {l}");
            }
        }
    }
}
