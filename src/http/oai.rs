//! `GET|POST /oai`: the OAI-PMH endpoint. 200 `text/xml`, OAI-PMH errors included; 503 with
//! `Retry-After` while the OAI-PMH log is still being built, or, in a deployment of several
//! nodes, while this node has not applied the revision the shared OAI-PMH log is at.

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};

use super::AppState;
use crate::ivoa::oai::Oai;

/// How far (in revisions) the shared OAI-PMH log may be behind this node before it is taken
/// as being built, and answered 503: a leader keeps it within a batch or two otherwise.
const BEHIND: u64 = 10_000;

fn pairs(raw: &[u8]) -> Vec<(String, String)> {
    form_urlencoded::parse(raw)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

async fn answer(state: &AppState, args: Vec<(String, String)>) -> Response {
    if state.catalog.building() {
        // A harvester asking from a datestamp would miss records the log has yet to take in:
        // it is told to come back (OAI-PMH 2.0, 3.1.2.1: 503 with Retry-After).
        return super::error::ApiError::unavailable(
            "the OAI-PMH log is being built from the catalogue; try again later",
            30,
        )
        .into_response();
    }
    if state.catalog.oai.is_shared() {
        // The log in PostgreSQL may be ahead of this node's store, from which the records
        // are rendered: the node answers once it has applied what the log lists.
        use crate::project::Projection as _;
        let at = match state.catalog.oai.watermark().await {
            Ok(at) => at,
            Err(e) => {
                return super::error::ApiError::from(crate::catalog::CatalogError::from(e))
                    .into_response();
            }
        };
        if state.catalog.applied().saturating_sub(at) > BEHIND {
            // The leader is bringing it up to date from far behind (a first build): a
            // harvester asking from a datestamp would miss what it has yet to take in.
            return super::error::ApiError::unavailable(
                format!(
                    "the OAI-PMH log is at revision {at}, being brought up to revision {} by \
                     the leading node; try again later",
                    state.catalog.applied()
                ),
                30,
            )
            .into_response();
        }
        let within = std::time::Duration::from_millis(state.config.min_revision_wait_ms);
        if !state.catalog.wait_applied(at, within).await {
            return super::error::ApiError::unavailable(
                format!(
                    "this node has applied revision {} and the OAI-PMH log is at revision \
                     {at}: try again",
                    state.catalog.applied()
                ),
                1,
            )
            .into_response();
        }
    }
    let info = state.config.registry_info(&state.catalog.store.created());
    let oai = Oai {
        store: &state.catalog.store,
        log: &state.catalog.oai,
        info: &info,
        secret: &state.catalog.oai_key,
    };
    let body = oai.respond(&args).await;
    ([(header::CONTENT_TYPE, "text/xml; charset=utf-8")], body).into_response()
}

/// OAI-PMH over GET (arguments in the query string).
#[utoipa::path(get, path = "/oai", tag = "protocols",
    params(("verb" = String, Query, description = "Identify, ListMetadataFormats, ListSets, ListIdentifiers, ListRecords or GetRecord; with metadataPrefix (ivo_vor, oai_dc), identifier, from, until, set, resumptionToken as the verb takes them")),
    responses((status = 200, description = "an OAI-PMH 2.0 document (also for OAI-PMH errors)", content_type = "text/xml"),
              (status = 503, description = "the OAI-PMH log is still being built (a first start on a large catalogue), or, in a deployment of several nodes, this node has not yet applied the revision the shared OAI-PMH log is at; Retry-After says when to come back", content_type = "application/problem+json")))]
pub async fn get(State(state): State<AppState>, RawQuery(raw): RawQuery) -> Response {
    answer(&state, pairs(raw.unwrap_or_default().as_bytes())).await
}

/// OAI-PMH over POST (`application/x-www-form-urlencoded` body).
#[utoipa::path(post, path = "/oai", tag = "protocols",
    request_body(content = String, content_type = "application/x-www-form-urlencoded", description = "the same arguments as GET"),
    responses((status = 200, description = "an OAI-PMH 2.0 document (also for OAI-PMH errors)", content_type = "text/xml"),
              (status = 503, description = "the OAI-PMH log is still being built (a first start on a large catalogue), or, in a deployment of several nodes, this node has not yet applied the revision the shared OAI-PMH log is at; Retry-After says when to come back", content_type = "application/problem+json")))]
pub async fn post(State(state): State<AppState>, body: Bytes) -> Response {
    answer(&state, pairs(&body)).await
}
