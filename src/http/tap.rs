//! TAP 1.1 under `/tap`: `/sync` (GET and POST), `/async` (the UWS job list), and the VOSI
//! resources `/capabilities`, `/availability`, `/tables` (and `/tables/{name}`), plus a page
//! for people at the root. Query errors are VOTable error documents, with 400 when the client
//! can fix the request and 500 when the service failed.

use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, Query, Request, State};
use axum::http::Method;
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};

use super::routes::{self, Route, route};
use crate::ivoa::tap::service::{JobRunner, Tap, TapError};
use crate::ivoa::uws::Jobs;
use crate::ivoa::voresource::capabilities::TapInfo;
use crate::ivoa::vosi;

/// What the TAP handlers share.
pub struct TapState {
    pub tap: Arc<Tap>,
    pub info: TapInfo,
    /// When the service started (VOSI availability).
    pub up_since: String,
    pub jobs: Arc<Jobs<JobRunner>>,
}

/// Where the UWS job list is nested.
pub const ASYNC: &str = "/tap/async";

/// The `/tap` routes but the job list.
pub fn routes() -> Vec<Route<Arc<TapState>>> {
    vec![
        route(Method::GET, "/tap", root),
        route(Method::GET, "/tap/sync", sync_get),
        route(Method::POST, "/tap/sync", sync_post),
        route(Method::GET, "/tap/capabilities", capabilities),
        route(Method::GET, "/tap/availability", availability),
        route(Method::GET, "/tap/tables", tables),
        route(Method::GET, "/tap/tables/{name}", table),
    ]
}

/// The `/tap` routes, the job list at `ASYNC`.
pub fn router(state: Arc<TapState>) -> Router {
    let jobs = crate::http::uws::router(state.jobs.clone(), format!("{}/async", state.info.base));
    routes::router(routes()).with_state(state).nest(ASYNC, jobs)
}

fn xml(body: Vec<u8>) -> Response {
    ([(header::CONTENT_TYPE, "text/xml; charset=utf-8")], body).into_response()
}

/// The VOTable error document of a failure: 400 when the client can fix the request, 503
/// (with Retry-After) while the rr tables are being built, else 500.
fn failure(e: &TapError) -> Response {
    let doc = e.document();
    let content_type = (header::CONTENT_TYPE, doc.content_type);
    if e.unavailable {
        let retry = (header::RETRY_AFTER, "60".to_owned());
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            [content_type, retry],
            doc.body,
        )
            .into_response();
    }
    let status = if e.client {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::INTERNAL_SERVER_ERROR
    };
    (status, [content_type], doc.body).into_response()
}

/// A synchronous TAP query by GET.
#[utoipa::path(get, path = "/tap/sync", tag = "protocols",
    params(("LANG" = String, Query, description = "ADQL, ADQL-2.0 or ADQL-2.1"),
           ("QUERY" = String, Query, description = "the ADQL query (tables rr.* and tap_schema.*)"),
           ("REQUEST" = Option<String>, Query, description = "doQuery"),
           ("MAXREC" = Option<u64>, Query, description = "most rows (default and hard limit in /tap/capabilities); more set QUERY_STATUS=OVERFLOW"),
           ("RESPONSEFORMAT" = Option<String>, Query, description = "votable (TABLEDATA), votable/b2 (BINARY2), csv, tsv, json or their media types; FORMAT is a synonym")),
    responses((status = 200, description = "the result (VOTable 1.4 by default)", content_type = "application/x-votable+xml"),
              (status = 400, description = "a VOTable with QUERY_STATUS=ERROR and the message (syntax error with line and column, unknown table or column, bad parameter, time limit)", content_type = "application/x-votable+xml"),
              (status = 503, description = "the rr tables are still being built after a first start on a large catalogue: a VOTable with QUERY_STATUS=ERROR saying so, and Retry-After", content_type = "application/x-votable+xml")))]
pub(crate) async fn sync_get(state: State<Arc<TapState>>, req: Request) -> Response {
    sync(state, req).await
}

/// A synchronous TAP query by POST (the GET parameters as a form).
#[utoipa::path(post, path = "/tap/sync", tag = "protocols",
    request_body(content = String, content_type = "application/x-www-form-urlencoded", description = "LANG, QUERY, REQUEST, MAXREC, RESPONSEFORMAT (also multipart/form-data)"),
    responses((status = 200, description = "the result (VOTable 1.4 by default)", content_type = "application/x-votable+xml"),
              (status = 400, description = "a VOTable with QUERY_STATUS=ERROR and the message", content_type = "application/x-votable+xml"),
              (status = 503, description = "the rr tables are still being built: a VOTable with QUERY_STATUS=ERROR saying so, and Retry-After", content_type = "application/x-votable+xml")))]
pub(crate) async fn sync_post(state: State<Arc<TapState>>, req: Request) -> Response {
    sync(state, req).await
}

async fn sync(State(s): State<Arc<TapState>>, req: Request) -> Response {
    if s.tap.is_building() {
        return failure(&TapError::building());
    }
    let params = match crate::http::uws::read_params(req).await {
        Ok(p) => p,
        Err(message) => {
            return failure(&TapError::client(message));
        }
    };
    match s.tap.execute(&params, s.tap.sync_time_limit).await {
        Ok(out) => ([(header::CONTENT_TYPE, out.content_type)], out.body).into_response(),
        Err(e) => failure(&e),
    }
}

/// VOSI capabilities with TAPRegExt 1.0.
#[utoipa::path(get, path = "/tap/capabilities", tag = "protocols",
    responses((status = 200, description = "the capabilities document", content_type = "text/xml")))]
pub(crate) async fn capabilities(State(s): State<Arc<TapState>>) -> Response {
    xml(vosi::capabilities(&s.info))
}

/// VOSI availability.
#[utoipa::path(get, path = "/tap/availability", tag = "protocols",
    responses((status = 200, description = "the availability document", content_type = "text/xml")))]
pub(crate) async fn availability(State(s): State<Arc<TapState>>) -> Response {
    let (available, note) = if s.tap.is_building() {
        (false, crate::ivoa::tap::service::BUILDING)
    } else {
        (true, "The service is accepting queries.")
    };
    xml(vosi::availability(&s.up_since, available, note))
}

#[derive(serde::Deserialize)]
pub(crate) struct TablesQuery {
    detail: Option<String>,
}

/// VOSI tableset: the rr and tap_schema tables.
#[utoipa::path(get, path = "/tap/tables", tag = "protocols",
    params(("detail" = Option<String>, Query, description = "min: tables without their columns")),
    responses((status = 200, description = "the tableset", content_type = "text/xml")))]
pub(crate) async fn tables(Query(q): Query<TablesQuery>) -> Response {
    let min = q.detail.as_deref() == Some("min");
    xml(vosi::tableset(min))
}

/// One table of the tableset.
#[utoipa::path(get, path = "/tap/tables/{name}", tag = "protocols",
    params(("name" = String, Path, description = "a table name as in TAP_SCHEMA, e.g. rr.resource")),
    responses((status = 200, description = "the table with its columns and keys", content_type = "text/xml"),
              (status = 404, description = "no such table", content_type = "text/plain")))]
pub(crate) async fn table(Path(name): Path<String>) -> Response {
    match vosi::table(&name) {
        Some(doc) => xml(doc),
        None => (
            StatusCode::NOT_FOUND,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            format!("no table {name} here; GET /tap/tables lists them"),
        )
            .into_response(),
    }
}

/// A page for people: what the service is and its links.
#[utoipa::path(get, path = "/tap", tag = "protocols",
    responses((status = 200, description = "an HTML page", content_type = "text/html")))]
pub(crate) async fn root(State(s): State<Arc<TapState>>) -> Response {
    let base = &s.info.base;
    Html(format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>RegTAP service</title></head><body>\
         <h1>RegTAP service</h1>\
         <p>The registry's resources as the RegTAP 1.1 tables (schema <code>rr</code>), queried in ADQL through TAP 1.1. \
         Clients: pyvo (<code>pyvo.registry.search</code> with <code>IVOA_REGISTRY={base}</code>), TOPCAT, STILTS.</p>\
         <ul><li><a href=\"{base}/capabilities\">capabilities</a></li>\
         <li><a href=\"{base}/tables\">tables</a></li>\
         <li><a href=\"{base}/availability\">availability</a></li>\
         <li><a href=\"{base}/sync?REQUEST=doQuery&amp;LANG=ADQL&amp;QUERY=SELECT%20TOP%2010%20ivoid%2C%20res_title%20FROM%20rr.resource\">ten resources</a> (synchronous query)</li>\
         <li><a href=\"{base}/async\">asynchronous jobs</a></li></ul></body></html>"
    ))
    .into_response()
}
