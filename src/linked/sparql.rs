//! SPARQL 1.1 Query over the public catalogue (read-only).
//!
//! The dataset a query sees is fixed here, whatever the query or the request says: its default
//! graph is the store's public graph (the public graphs of published public assets and the
//! vocabularies, kept exact by the store at every write) and its named graphs are the
//! vocabularies, one graph per scheme. `FROM`/`FROM NAMED` and the protocol's
//! `default-graph-uri`/`named-graph-uri` may narrow the dataset to vocabulary graphs; naming
//! any other graph is refused rather than silently answered from nothing. `SERVICE` is not
//! supported (the evaluator has no HTTP client), so a query cannot reach out of the service.
//!
//! Each evaluation stops at a result limit (solutions or triples) and can be cancelled by the
//! caller's time limit; both answer with an error that says which limit was hit.

use std::time::{Duration, Instant};

use oxigraph::io::{JsonLdProfileSet, RdfFormat, RdfSerializer};
use oxigraph::model::{GraphName, NamedNode, NamedOrBlankNode, Triple};
use oxigraph::sparql::results::{QueryResultsFormat, QueryResultsSerializer};
use oxigraph::sparql::{CancellationToken, QueryEvaluationError, QueryResults, SparqlEvaluator};
use spargebra::SparqlParser;

use crate::model::ns;
use crate::store::{Store, vocabulary_graphs};

/// Errors of a SPARQL request, each with the protocol's answer to it.
#[derive(Debug, thiserror::Error)]
pub enum SparqlError {
    /// The query does not parse (the parser's message, with its position).
    #[error("{0}")]
    Syntax(String),
    #[error("this endpoint is read-only: SPARQL Update is not accepted")]
    Update,
    /// The request names a graph that is not part of the public dataset.
    #[error(
        "graph <{0}> is not offered: the default graph is the public catalogue and the named graphs are the vocabularies ({1})"
    )]
    Graph(String, String),
    #[error(
        "the query ran into the time limit of {0} s and was stopped; narrow it (more specific patterns, LIMIT) and try again"
    )]
    Timeout(u64),
    #[error(
        "the query has more than {0} results, this endpoint's limit; page through them with LIMIT and OFFSET (ORDER BY keeps pages stable)"
    )]
    TooMany(usize),
    /// No offered format is acceptable for the query (the offered media types).
    #[error("acceptable for this query: {0}")]
    NotAcceptable(String),
    /// The evaluator refused the query (an unsupported `SERVICE`, for instance).
    #[error("{0}")]
    Unsupported(String),
    /// A failure of the store (not the client's doing).
    #[error("the query could not be evaluated: {0}")]
    Internal(String),
}

/// The form of a query's results, which decides the formats it can be written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Form {
    /// SELECT and ASK: a SPARQL results document.
    Results,
    /// CONSTRUCT and DESCRIBE: an RDF graph.
    Graph,
}

/// A serialisation of the results.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Results(QueryResultsFormat),
    Rdf(RdfFormat),
}

impl Format {
    pub fn media_type(self) -> &'static str {
        match self {
            Format::Results(QueryResultsFormat::Json) => "application/sparql-results+json",
            Format::Results(QueryResultsFormat::Xml) => "application/sparql-results+xml",
            Format::Results(QueryResultsFormat::Csv) => "text/csv; charset=utf-8",
            Format::Results(QueryResultsFormat::Tsv) => "text/tab-separated-values; charset=utf-8",
            Format::Results(_) => "application/octet-stream",
            Format::Rdf(RdfFormat::Turtle) => "text/turtle; charset=utf-8",
            Format::Rdf(RdfFormat::JsonLd { .. }) => "application/ld+json",
            Format::Rdf(RdfFormat::NTriples) => "application/n-triples",
            Format::Rdf(RdfFormat::RdfXml) => "application/rdf+xml",
            Format::Rdf(_) => "application/octet-stream",
        }
    }
}

const JSON_LD: RdfFormat = RdfFormat::JsonLd {
    profile: JsonLdProfileSet::empty(),
};

/// The media types offered for each form (aliases included), the first being the default, and
/// the short names accepted by the `format` parameter.
pub fn offers(form: Form) -> &'static [(&'static str, &'static str, Format)] {
    const RESULTS: &[(&str, &str, Format)] = &[
        (
            "application/sparql-results+json",
            "json",
            Format::Results(QueryResultsFormat::Json),
        ),
        (
            "application/json",
            "json",
            Format::Results(QueryResultsFormat::Json),
        ),
        (
            "application/sparql-results+xml",
            "xml",
            Format::Results(QueryResultsFormat::Xml),
        ),
        (
            "application/xml",
            "xml",
            Format::Results(QueryResultsFormat::Xml),
        ),
        ("text/xml", "xml", Format::Results(QueryResultsFormat::Xml)),
        ("text/csv", "csv", Format::Results(QueryResultsFormat::Csv)),
        (
            "text/tab-separated-values",
            "tsv",
            Format::Results(QueryResultsFormat::Tsv),
        ),
    ];
    const GRAPH: &[(&str, &str, Format)] = &[
        ("text/turtle", "turtle", Format::Rdf(RdfFormat::Turtle)),
        (
            "application/x-turtle",
            "turtle",
            Format::Rdf(RdfFormat::Turtle),
        ),
        ("application/ld+json", "json-ld", Format::Rdf(JSON_LD)),
        ("application/json", "json-ld", Format::Rdf(JSON_LD)),
        (
            "application/n-triples",
            "ntriples",
            Format::Rdf(RdfFormat::NTriples),
        ),
        ("text/plain", "ntriples", Format::Rdf(RdfFormat::NTriples)),
        (
            "application/rdf+xml",
            "rdfxml",
            Format::Rdf(RdfFormat::RdfXml),
        ),
        ("application/xml", "rdfxml", Format::Rdf(RdfFormat::RdfXml)),
        // Short names other clients send for these (Turtle is also valid N3).
        ("application/rdf+xml", "xml", Format::Rdf(RdfFormat::RdfXml)),
        ("application/ld+json", "json", Format::Rdf(JSON_LD)),
        ("text/n3", "n3", Format::Rdf(RdfFormat::Turtle)),
    ];
    match form {
        Form::Results => RESULTS,
        Form::Graph => GRAPH,
    }
}

/// A parsed query bound to the public dataset.
pub struct Prepared {
    query: spargebra::Query,
    default: Vec<GraphName>,
    named: Vec<NamedOrBlankNode>,
}

impl Prepared {
    pub fn form(&self) -> Form {
        match self.query {
            spargebra::Query::Select { .. } | spargebra::Query::Ask { .. } => Form::Results,
            spargebra::Query::Construct { .. } | spargebra::Query::Describe { .. } => Form::Graph,
        }
    }
}

/// The dataset clause of a query, if it has one.
fn query_dataset(q: &spargebra::Query) -> Option<&spargebra::algebra::QueryDataset> {
    match q {
        spargebra::Query::Select { dataset, .. }
        | spargebra::Query::Construct { dataset, .. }
        | spargebra::Query::Describe { dataset, .. }
        | spargebra::Query::Ask { dataset, .. } => dataset.as_ref(),
    }
}

/// Parses a query and fixes its dataset. `default_graphs` and `named_graphs` are the protocol's
/// `default-graph-uri` and `named-graph-uri` (which take precedence over the query's `FROM`).
pub fn prepare(
    text: &str,
    base: &str,
    default_graphs: &[String],
    named_graphs: &[String],
) -> Result<Prepared, SparqlError> {
    let parser = || {
        SparqlParser::new()
            .with_base_iri(format!("{base}/"))
            .map_err(|e| SparqlError::Internal(e.to_string()))
    };
    let query = match parser()?.parse_query(text) {
        Ok(q) => q,
        Err(e) => {
            if parser()?.parse_update(text).is_ok() {
                return Err(SparqlError::Update);
            }
            return Err(SparqlError::Syntax(e.to_string()));
        }
    };
    let vocab = vocabulary_graphs();
    let offered = |iri: &str| -> Result<NamedNode, SparqlError> {
        vocab
            .iter()
            .find(|g| g.as_str() == iri)
            .cloned()
            .ok_or_else(|| {
                let names: Vec<&str> = vocab.iter().map(NamedNode::as_str).collect();
                SparqlError::Graph(iri.to_owned(), names.join(", "))
            })
    };
    let (asked_default, asked_named): (Vec<String>, Option<Vec<String>>) =
        if !default_graphs.is_empty() || !named_graphs.is_empty() {
            (default_graphs.to_vec(), Some(named_graphs.to_vec()))
        } else if let Some(d) = query_dataset(&query) {
            (
                d.default.iter().map(|n| n.as_str().to_owned()).collect(),
                Some(
                    d.named
                        .iter()
                        .flatten()
                        .map(|n| n.as_str().to_owned())
                        .collect(),
                ),
            )
        } else {
            (Vec::new(), None)
        };
    let mut default = Vec::new();
    for g in &asked_default {
        default.push(GraphName::from(offered(g)?));
    }
    let named = match asked_named {
        Some(names) => names
            .iter()
            .map(|g| offered(g).map(NamedOrBlankNode::from))
            .collect::<Result<Vec<_>, _>>()?,
        None => vocab.into_iter().map(NamedOrBlankNode::from).collect(),
    };
    Ok(Prepared {
        query,
        default,
        named,
    })
}

/// The limits of one evaluation.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub timeout: Duration,
    pub max_results: usize,
}

/// Evaluates a prepared query on the store's public dataset and writes its results, stopping
/// when `cancel` is cancelled (by the caller's clock at `limits.timeout`) or more than
/// `limits.max_results` results come.
pub fn evaluate(
    store: &Store,
    prepared: Prepared,
    format: Format,
    limits: Limits,
    cancel: CancellationToken,
) -> Result<Vec<u8>, SparqlError> {
    let started = Instant::now();
    let max_results = limits.max_results;
    let timed_out = || SparqlError::Timeout(limits.timeout.as_secs().max(1));
    let alive = || {
        if cancel.is_cancelled() || started.elapsed() > limits.timeout {
            Err(timed_out())
        } else {
            Ok(())
        }
    };
    let eval = |e: QueryEvaluationError| match e {
        QueryEvaluationError::Cancelled => timed_out(),
        other => eval(other),
    };
    let Prepared {
        query,
        default,
        named,
    } = prepared;
    let default = if default.is_empty() {
        vec![GraphName::from(store.public_graph())]
    } else {
        default
    };
    let mut bound = SparqlEvaluator::new()
        .with_cancellation_token(cancel.clone())
        .for_query(query);
    bound.dataset_mut().set_default_graph(default);
    bound.dataset_mut().set_available_named_graphs(named);
    let results = bound.on_store(store.oxigraph()).execute().map_err(eval)?;
    let mut out = Vec::new();
    match (results, format) {
        (QueryResults::Boolean(b), Format::Results(f)) => {
            QueryResultsSerializer::from_format(f)
                .serialize_boolean_to_writer(&mut out, b)
                .map_err(io)?;
        }
        (QueryResults::Solutions(solutions), Format::Results(f)) => {
            let mut w = QueryResultsSerializer::from_format(f)
                .serialize_solutions_to_writer(&mut out, solutions.variables().to_vec())
                .map_err(io)?;
            for (n, s) in solutions.enumerate() {
                if n >= max_results {
                    return Err(SparqlError::TooMany(max_results));
                }
                alive()?;
                w.serialize(&s.map_err(eval)?).map_err(io)?;
            }
            w.finish().map_err(io)?;
        }
        (QueryResults::Graph(triples), Format::Rdf(f)) => {
            let mut w = serializer(f)?.for_writer(&mut out);
            for (n, t) in triples.enumerate() {
                if n >= max_results {
                    return Err(SparqlError::TooMany(max_results));
                }
                alive()?;
                let t: Triple = t.map_err(eval)?;
                w.serialize_triple(&t).map_err(io)?;
            }
            w.finish().map_err(io)?;
        }
        _ => {
            return Err(SparqlError::Internal(
                "results and format of different forms".into(),
            ));
        }
    }
    Ok(out)
}

fn serializer(format: RdfFormat) -> Result<RdfSerializer, SparqlError> {
    let mut ser = RdfSerializer::from_format(format);
    for (p, iri) in PREFIXES {
        ser = ser
            .with_prefix(*p, *iri)
            .map_err(|e| SparqlError::Internal(e.to_string()))?;
    }
    Ok(ser)
}

const PREFIXES: &[(&str, &str)] = &[
    ("sdo", ns::SDO),
    ("esado", ns::ESADO),
    ("dcat", ns::DCAT),
    ("dct", ns::DCT),
    ("skos", "http://www.w3.org/2004/02/skos/core#"),
];

fn io(e: std::io::Error) -> SparqlError {
    SparqlError::Internal(e.to_string())
}

fn eval(e: QueryEvaluationError) -> SparqlError {
    match e {
        QueryEvaluationError::Dataset(e) | QueryEvaluationError::Unexpected(e) => {
            SparqlError::Internal(e.to_string())
        }
        other => SparqlError::Unsupported(other.to_string()),
    }
}

/// The SPARQL 1.1 Service Description of the endpoint at `{base}/sparql`, as triples.
pub fn service_description(base: &str, max_results: usize, timeout_s: u64) -> Vec<Triple> {
    const SD: &str = "http://www.w3.org/ns/sparql-service-description#";
    const RDF_TYPE: &str = ns::RDF_TYPE;
    let n = |ns: &str, local: &str| NamedNode::new_unchecked(format!("{ns}{local}"));
    let endpoint = n(base, "/sparql");
    let service = n(base, "/sparql#service");
    let dataset = n(base, "/sparql#dataset");
    let default = n(base, "/sparql#public");
    let mut out = vec![
        Triple::new(service.clone(), n(RDF_TYPE, ""), n(SD, "Service")),
        Triple::new(service.clone(), n(SD, "endpoint"), endpoint),
        Triple::new(
            service.clone(),
            n(SD, "supportedLanguage"),
            n(SD, "SPARQL11Query"),
        ),
        Triple::new(service.clone(), n(SD, "defaultDataset"), dataset.clone()),
        Triple::new(dataset.clone(), n(RDF_TYPE, ""), n(SD, "Dataset")),
        Triple::new(dataset.clone(), n(SD, "defaultGraph"), default.clone()),
        Triple::new(default.clone(), n(RDF_TYPE, ""), n(SD, "Graph")),
        Triple::new(
            default,
            n(ns::DCT, "description"),
            oxigraph::model::Literal::new_simple_literal(format!(
                "The public catalogue: every published public asset and the vocabularies. At most {max_results} results per query and {timeout_s} s of evaluation."
            )),
        ),
    ];
    for f in [
        "SPARQL_Results_JSON",
        "SPARQL_Results_XML",
        "SPARQL_Results_CSV",
        "SPARQL_Results_TSV",
        "Turtle",
        "JSON-LD",
        "N-Triples",
        "RDF_XML",
    ] {
        out.push(Triple::new(
            service.clone(),
            n(SD, "resultFormat"),
            n("http://www.w3.org/ns/formats/", f),
        ));
    }
    for (i, g) in vocabulary_graphs().into_iter().enumerate() {
        let node = n(base, &format!("/sparql#named{i}"));
        out.push(Triple::new(
            dataset.clone(),
            n(SD, "namedGraph"),
            node.clone(),
        ));
        out.push(Triple::new(
            node.clone(),
            n(RDF_TYPE, ""),
            n(SD, "NamedGraph"),
        ));
        out.push(Triple::new(node, n(SD, "name"), g));
    }
    out
}

/// Writes triples in `format`.
pub fn write_triples(triples: &[Triple], format: RdfFormat) -> Result<Vec<u8>, SparqlError> {
    let mut out = Vec::new();
    let mut w = serializer(format)?.for_writer(&mut out);
    for t in triples {
        w.serialize_triple(t).map_err(io)?;
    }
    w.finish().map_err(io)?;
    Ok(out)
}
