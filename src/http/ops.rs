//! Operations endpoints: health and metrics.

use axum::Json;
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use serde::Serialize;
use utoipa::ToSchema;

use super::AppState;
use super::error::ApiResult;

#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    /// `ok`, or `building` while a projection is still being built from the store.
    pub status: &'static str,
    /// The projections still being built (absent when none is).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub building: Vec<Building>,
}

/// A projection being built: the search index (`search`), the assets table (`assets`), the
/// OAI-PMH log (`oai`) or the RegTAP tables (`regtap`).
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Building {
    pub projection: &'static str,
    /// How much of its build is done, in percent, once it is known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub percent: Option<f64>,
    /// Seconds left at the rate so far, once it is known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub eta_seconds: Option<u64>,
}

/// Seconds a client is told to wait while projections build.
const RETRY_AFTER: &str = "10";

/// Liveness and readiness: 200 once the store answers and every projection has caught up; 503
/// with `Retry-After` while a projection is still being built (a first start on a large
/// catalogue), saying which and how far it has come. The service answers other requests
/// meanwhile: searches from the index as far as it is built, `/tap` and `/oai` with 503.
#[utoipa::path(get, path = "/healthz", tag = "operations", responses(
    (status = 200, body = Health, description = "ready"),
    (status = 503, body = Health, description = "projections are still being built")))]
pub async fn healthz(State(state): State<AppState>) -> ApiResult<axum::response::Response> {
    // Reading the revision proves the store answers; the number itself stays private, since it
    // counts writes to private assets too (hence percentages, not counts, below).
    state.catalog.store.revision()?;
    let building: Vec<Building> = state
        .catalog
        .builds()
        .into_iter()
        .map(|(projection, b)| Building {
            projection,
            percent: b.map(|b| (b.fraction() * 1000.0).round() / 10.0),
            eta_seconds: b.and_then(|b| b.eta_seconds()).map(|s| s.ceil() as u64),
        })
        .collect();
    if building.is_empty() {
        return Ok(Json(Health {
            status: "ok",
            building,
        })
        .into_response());
    }
    Ok((
        axum::http::StatusCode::SERVICE_UNAVAILABLE,
        [(header::RETRY_AFTER, RETRY_AFTER)],
        Json(Health {
            status: "building",
            building,
        }),
    )
        .into_response())
}

/// Prometheus metrics (text exposition format).
#[utoipa::path(get, path = "/metrics", tag = "operations",
    responses((status = 200, description = "Prometheus text format", content_type = "text/plain")))]
pub async fn metrics(State(state): State<AppState>) -> ApiResult<impl IntoResponse> {
    state
        .metrics
        .store_revision
        .set(state.catalog.store.revision()? as i64);
    let builds = state.catalog.builds();
    for name in ["assets", "oai", "search", "regtap"] {
        let labels = crate::telemetry::ProjectionLabels {
            projection: name.to_owned(),
        };
        let build = builds.iter().find(|(n, _)| *n == name);
        let m = &state.metrics;
        m.building
            .get_or_create(&labels)
            .set(i64::from(build.is_some()));
        let b = build.and_then(|(_, b)| *b);
        m.build_backlog
            .get_or_create(&labels)
            .set(b.map_or(0, |b| b.total.saturating_sub(b.done) as i64));
        m.build_rate
            .get_or_create(&labels)
            .set(b.map_or(0.0, |b| b.rate()));
    }
    Ok((
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        state.metrics.render(),
    ))
}
