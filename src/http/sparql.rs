//! `GET|POST /sparql`: the SPARQL 1.1 Protocol (query operation only) over the public catalogue.
//!
//! Requests follow the protocol's three forms: GET with `query`, POST of an urlencoded form,
//! POST of `application/sparql-query`; `default-graph-uri` and `named-graph-uri` may repeat.
//! The results format comes from `format` (a short name or media type, as many endpoints
//! accept) or else from `Accept`. Without a query, the endpoint describes itself (SPARQL
//! Service Description; a query form for browsers). Evaluations run on the blocking pool, at
//! most as many at once as the machine has cores, each under the configured time limit.

use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use oxigraph::io::RdfFormat;
use oxigraph::sparql::CancellationToken;

use super::AppState;
use super::conneg::best;
use super::error::ApiError;
use crate::linked::sparql::{self, Form, Format, Limits, SparqlError};

/// The protocol parameters of one request.
#[derive(Default)]
struct Params {
    query: Vec<String>,
    update: bool,
    default_graphs: Vec<String>,
    named_graphs: Vec<String>,
    format: Option<String>,
}

fn params(raw: &[u8], p: &mut Params) {
    for (k, v) in form_urlencoded::parse(raw) {
        match &*k {
            "query" => p.query.push(v.into_owned()),
            "update" => p.update = true,
            "default-graph-uri" => p.default_graphs.push(v.into_owned()),
            "named-graph-uri" => p.named_graphs.push(v.into_owned()),
            "format" | "output" => p.format = Some(v.into_owned()),
            _ => {}
        }
    }
}

fn error(e: SparqlError) -> Response {
    let status = match e {
        SparqlError::Syntax(_) | SparqlError::Graph(..) | SparqlError::Unsupported(_) => {
            StatusCode::BAD_REQUEST
        }
        SparqlError::Update => StatusCode::FORBIDDEN,
        SparqlError::NotAcceptable(_) => StatusCode::NOT_ACCEPTABLE,
        // The protocol's QueryRequestRefused: the query is valid but this service will not
        // answer it in full.
        SparqlError::Timeout(_) | SparqlError::TooMany(_) => StatusCode::SERVICE_UNAVAILABLE,
        SparqlError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
    };
    if status == StatusCode::INTERNAL_SERVER_ERROR {
        return with_cors(ApiError::internal(format_args!("sparql: {e}")).into_response());
    }
    with_cors(ApiError::new(status, e.to_string()).into_response())
}

fn with_cors(mut r: Response) -> Response {
    r.headers_mut().insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    r
}

/// The format for a query's results, from `format` or `Accept`.
fn choose(form: Form, format: Option<&str>, headers: &HeaderMap) -> Result<Format, SparqlError> {
    let offers = sparql::offers(form);
    if let Some(f) = format {
        // A short name or a media type, or a list of them (SPARQLWrapper sends one).
        let f = f.trim().to_ascii_lowercase();
        let chosen = f.split(',').find_map(|one| {
            let one = one.split(';').next().unwrap_or("").trim();
            offers
                .iter()
                .find(|(m, short, _)| *short == one || *m == one)
                .map(|(_, _, chosen)| *chosen)
        });
        if let Some(chosen) = chosen {
            return Ok(chosen);
        }
        let mut names: Vec<&str> = offers.iter().map(|(_, s, _)| *s).collect();
        names.dedup();
        return Err(SparqlError::Syntax(format!(
            "format {f:?} is not offered for this query; one of: {}",
            names.join(", ")
        )));
    }
    let media: Vec<&str> = offers.iter().map(|(m, _, _)| *m).collect();
    best(headers, &media)
        .map(|i| offers[i].2)
        .ok_or_else(|| SparqlError::NotAcceptable(media.join(", ")))
}

async fn answer(state: AppState, p: Params, headers: HeaderMap) -> Response {
    if p.update {
        return error(SparqlError::Update);
    }
    let text = match p.query.as_slice() {
        [] => return describe(&state, &headers),
        [one] => one.clone(),
        _ => {
            return error(SparqlError::Syntax(
                "the query parameter is given more than once".into(),
            ));
        }
    };
    let base = state.config.base_url.clone();
    let prepared = match sparql::prepare(&text, &base, &p.default_graphs, &p.named_graphs) {
        Ok(q) => q,
        Err(e) => return error(e),
    };
    let format = match choose(prepared.form(), p.format.as_deref(), &headers) {
        Ok(f) => f,
        Err(e) => return error(e),
    };
    let limits = Limits {
        timeout: Duration::from_millis(state.config.sparql_timeout_ms),
        max_results: state.config.sparql_max_results,
    };
    let timed_out = || error(SparqlError::Timeout(limits.timeout.as_secs().max(1)));
    let started = tokio::time::Instant::now();
    // Waiting for a free slot counts against the time limit.
    let slot = match tokio::time::timeout(
        limits.timeout,
        state.sparql_slots.clone().acquire_owned(),
    )
    .await
    {
        Ok(Ok(slot)) => slot,
        _ => return timed_out(),
    };
    let cancel = CancellationToken::new();
    let token = cancel.clone();
    let store = state.catalog.store.clone();
    let remaining = limits.timeout.saturating_sub(started.elapsed());
    let limits = Limits {
        timeout: remaining,
        ..limits
    };
    let task = tokio::task::spawn_blocking(move || {
        let _slot = slot;
        sparql::evaluate(&store, prepared, format, limits, token)
    });
    let outcome = tokio::time::timeout(remaining, task).await;
    let body = match outcome {
        Err(_) => {
            cancel.cancel();
            return timed_out();
        }
        Ok(Err(join)) => return error(SparqlError::Internal(join.to_string())),
        Ok(Ok(Err(SparqlError::Timeout(_)))) => return timed_out(),
        Ok(Ok(Err(e))) => return error(e),
        Ok(Ok(Ok(body))) => body,
    };
    with_cors(
        (
            [
                (header::CONTENT_TYPE, format.media_type()),
                (header::VARY, "Accept"),
            ],
            body,
        )
            .into_response(),
    )
}

/// The endpoint without a query: a form for browsers, else its Service Description.
fn describe(state: &AppState, headers: &HeaderMap) -> Response {
    const OFFERS: &[(&str, Option<RdfFormat>)] = &[
        ("text/turtle", Some(RdfFormat::Turtle)),
        ("text/html", None),
        (
            "application/ld+json",
            Some(RdfFormat::JsonLd {
                profile: oxigraph::io::JsonLdProfileSet::empty(),
            }),
        ),
        ("application/n-triples", Some(RdfFormat::NTriples)),
        ("application/rdf+xml", Some(RdfFormat::RdfXml)),
    ];
    let media: Vec<&str> = OFFERS.iter().map(|(m, _)| *m).collect();
    let Some(i) = best(headers, &media) else {
        return ApiError::new(
            StatusCode::NOT_ACCEPTABLE,
            format!("acceptable: {}", media.join(", ")),
        )
        .into_response();
    };
    let base = &state.config.base_url;
    let timeout_s = (state.config.sparql_timeout_ms / 1000).max(1);
    match OFFERS[i].1 {
        None => with_cors(Html(form_page(base)).into_response()),
        Some(format) => {
            let triples =
                sparql::service_description(base, state.config.sparql_max_results, timeout_s);
            match sparql::write_triples(&triples, format) {
                Ok(body) => with_cors(
                    (
                        [
                            (header::CONTENT_TYPE, Format::Rdf(format).media_type()),
                            (header::VARY, "Accept"),
                        ],
                        body,
                    )
                        .into_response(),
                ),
                Err(e) => error(e),
            }
        }
    }
}

fn form_page(base: &str) -> String {
    let example = "PREFIX esado: &lt;https://w3id.org/esado#&gt;\nPREFIX sdo: &lt;https://schema.org/&gt;\nSELECT ?asset ?name WHERE {\n  ?asset a esado:Dataset ; sdo:name ?name\n} ORDER BY ?name LIMIT 20";
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>SPARQL endpoint</title>\
<link rel=\"alternate\" type=\"text/turtle\" href=\"{base}/sparql\"></head><body>\
<h1>SPARQL endpoint</h1><p>SPARQL 1.1 queries over the public catalogue of {base}: every published \
public asset and the vocabularies. Read-only.</p>\
<form method=\"get\" action=\"{base}/sparql\"><textarea name=\"query\" rows=\"12\" cols=\"90\">{example}</textarea><br>\
<select name=\"format\"><option>json</option><option>xml</option><option>csv</option><option>tsv</option>\
<option>turtle</option><option>json-ld</option></select> <button type=\"submit\">Run</button></form></body></html>"
    )
}

/// SPARQL over GET (`query` in the query string).
#[utoipa::path(get, path = "/sparql", tag = "linked data",
    params(("query" = Option<String>, Query, description = "a SPARQL 1.1 query; without it, the Service Description"),
           ("default-graph-uri" = Option<Vec<String>>, Query, description = "narrows the default graph to vocabulary graphs"),
           ("named-graph-uri" = Option<Vec<String>>, Query, description = "narrows the named graphs to vocabulary graphs"),
           ("format" = Option<String>, Query, description = "json, xml, csv, tsv (SELECT, ASK); turtle, json-ld, ntriples, rdfxml (CONSTRUCT, DESCRIBE); overrides Accept")),
    responses((status = 200, description = "query results", content_type = "application/sparql-results+json"),
              (status = 400, description = "malformed query (the parser's message) or a graph that is not offered", body = super::error::ProblemDetails, content_type = "application/problem+json"),
              (status = 403, description = "an update: the endpoint is read-only", body = super::error::ProblemDetails, content_type = "application/problem+json"),
              (status = 406, description = "no acceptable results format", body = super::error::ProblemDetails, content_type = "application/problem+json"),
              (status = 503, description = "the time limit or the result limit was hit", body = super::error::ProblemDetails, content_type = "application/problem+json")))]
pub async fn get(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Response {
    let mut p = Params::default();
    params(raw.unwrap_or_default().as_bytes(), &mut p);
    answer(state, p, headers).await
}

/// SPARQL over POST: an urlencoded form (`query`, graphs, `format`) or the query itself as
/// `application/sparql-query` (graphs and `format` in the query string).
#[utoipa::path(post, path = "/sparql", tag = "linked data",
    request_body(content = String, content_type = "application/sparql-query", description = "the query; or an application/x-www-form-urlencoded form with the GET parameters"),
    responses((status = 200, description = "query results", content_type = "application/sparql-results+json"),
              (status = 400, description = "malformed query", body = super::error::ProblemDetails, content_type = "application/problem+json"),
              (status = 403, description = "an update: the endpoint is read-only", body = super::error::ProblemDetails, content_type = "application/problem+json"),
              (status = 415, description = "another body type", body = super::error::ProblemDetails, content_type = "application/problem+json"),
              (status = 503, description = "the time limit or the result limit was hit", body = super::error::ProblemDetails, content_type = "application/problem+json")))]
pub async fn post(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
    body: Bytes,
) -> Response {
    let media = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|v| v.trim().to_ascii_lowercase())
        .unwrap_or_default();
    let mut p = Params::default();
    match media.as_str() {
        "application/x-www-form-urlencoded" => params(&body, &mut p),
        "application/sparql-query" => {
            params(raw.unwrap_or_default().as_bytes(), &mut p);
            p.query.clear();
            match String::from_utf8(body.to_vec()) {
                Ok(q) => p.query.push(q),
                Err(_) => {
                    return error(SparqlError::Syntax("the query is not UTF-8".into()));
                }
            }
        }
        "application/sparql-update" => return error(SparqlError::Update),
        _ => {
            return with_cors(
                ApiError::new(
                    StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    "send application/sparql-query or an application/x-www-form-urlencoded form",
                )
                .into_response(),
            );
        }
    }
    answer(state, p, headers).await
}
