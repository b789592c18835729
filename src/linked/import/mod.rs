//! Linked data in: schema.org JSON-LD (`Dataset`, `SoftwareApplication`/`WebApplication`,
//! `ComputationalWorkflow`) and DCAT / DCAT-AP (`dcat:Dataset`, `dcat:DatasetSeries`) in
//! JSON-LD, Turtle, RDF/XML or N-Triples become asset documents.
//!
//! The document is read into RDF by oxigraph's parsers. The JSON-LD contexts such documents
//! name by URL — schema.org's, the DCAT-AP 3 context and its examples' — are bundled
//! (`contexts/`) and served to the parser from memory: nothing is ever fetched, and a context
//! that is not bundled is a clear error, not a request. `https://schema.org/` and
//! `http://schema.org/` are read as one vocabulary. Each resource of a class the catalogue
//! knows becomes one asset ([`map`]); what could not be kept is said in notices.

mod graph;
pub mod map;

use oxigraph::io::{JsonLdProfileSet, LoadedDocument, RdfFormat, RdfParser};

use crate::model::{Asset, Vocabularies};

pub use graph::Graph;

/// The formats read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    JsonLd,
    Turtle,
    RdfXml,
    NTriples,
}

impl Format {
    /// The format of a media type (`text/turtle`, `application/ld+json`, …).
    pub fn from_media_type(t: &str) -> Option<Format> {
        match t {
            "application/ld+json" => Some(Format::JsonLd),
            "text/turtle" | "application/x-turtle" => Some(Format::Turtle),
            "application/rdf+xml" => Some(Format::RdfXml),
            "application/n-triples" => Some(Format::NTriples),
            _ => None,
        }
    }

    /// The format of a file by its extension.
    pub fn from_extension(e: &str) -> Option<Format> {
        match e {
            "jsonld" => Some(Format::JsonLd),
            "ttl" => Some(Format::Turtle),
            "rdf" | "owl" => Some(Format::RdfXml),
            "nt" => Some(Format::NTriples),
            _ => None,
        }
    }

    fn rdf(self) -> RdfFormat {
        match self {
            Format::JsonLd => RdfFormat::JsonLd {
                profile: JsonLdProfileSet::empty(),
            },
            Format::Turtle => RdfFormat::Turtle,
            Format::RdfXml => RdfFormat::RdfXml,
            Format::NTriples => RdfFormat::NTriples,
        }
    }
}

/// Why a document could not be read at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ImportError {
    #[error("not {format}: {message}")]
    Syntax {
        format: &'static str,
        message: String,
        line: u64,
        column: u64,
    },
    #[error(
        "it describes no resource of a class the catalogue knows (schema:Dataset, schema:SoftwareApplication, schema:WebApplication, schema:ComputationalWorkflow, dcat:Dataset, dcat:DatasetSeries)"
    )]
    Nothing,
}

/// One resource read as an asset, or why it could not be.
#[derive(Debug, Clone)]
pub struct Imported {
    /// The resource's IRI (or `_:b…` for a blank node).
    pub subject: String,
    pub asset: Asset,
    /// What was left out, and why.
    pub notices: Vec<String>,
}

/// The bundled JSON-LD contexts, by the URLs documents name them with.
const SCHEMA_ORG: &str = include_str!("contexts/schema-org.jsonld");
const DCAT_AP: &str = include_str!("contexts/dcat-ap.jsonld");

fn bundled(url: &str) -> Option<&'static str> {
    let u = url
        .trim_end_matches('/')
        .trim_start_matches("https://")
        .trim_start_matches("http://");
    match u {
        "schema.org"
        | "schema.org/docs/jsonldcontext.json"
        | "schema.org/docs/jsonldcontext.jsonld"
        | "schema.org/version/latest/schema.jsonld" => Some(SCHEMA_ORG),
        _ if u.starts_with("semiceu.github.io/")
            && u.contains("DCAT-AP/releases/")
            && u.ends_with(".jsonld") =>
        {
            Some(DCAT_AP)
        }
        _ => None,
    }
}

fn load(url: &str) -> Result<LoadedDocument, Box<dyn std::error::Error + Send + Sync>> {
    match bundled(url) {
        Some(text) => Ok(LoadedDocument {
            url: url.to_owned(),
            content: text.as_bytes().to_vec(),
            format: RdfFormat::JsonLd {
                profile: JsonLdProfileSet::empty(),
            },
        }),
        None => Err(format!(
            "the JSON-LD context {url} is not one this service bundles (schema.org, DCAT-AP 3), and nothing is fetched: inline it"
        )
        .into()),
    }
}

/// Reads a document into its graph (every named graph merged into one).
pub fn parse(bytes: &[u8], format: Format, base: &str) -> Result<Graph, ImportError> {
    let name = match format {
        Format::JsonLd => "JSON-LD",
        Format::Turtle => "Turtle",
        Format::RdfXml => "RDF/XML",
        Format::NTriples => "N-Triples",
    };
    let mut parser = RdfParser::from_format(format.rdf());
    if let Ok(p) = parser.clone().with_base_iri(base) {
        parser = p;
    }
    let mut graph = Graph::default();
    for quad in parser.for_slice(bytes).with_document_loader(load) {
        match quad {
            Ok(q) => graph.insert(q),
            Err(e) => {
                let (line, column) = e
                    .location()
                    .map_or((0, 0), |l| (l.start.line + 1, l.start.column + 1));
                return Err(ImportError::Syntax {
                    format: name,
                    message: e.to_string(),
                    line,
                    column,
                });
            }
        }
    }
    Ok(graph)
}

/// Reads a document into the assets it describes. `base` resolves relative IRIs.
pub fn read(
    bytes: &[u8],
    format: Format,
    base: &str,
    vocab: &Vocabularies,
) -> Result<Vec<Imported>, ImportError> {
    let graph = parse(bytes, format, base)?;
    let out = map::assets(&graph, vocab);
    if out.is_empty() {
        return Err(ImportError::Nothing);
    }
    Ok(out)
}

#[cfg(test)]
mod tests;
