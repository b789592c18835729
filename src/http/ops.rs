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
    /// `ok`; `building` while a projection is still being built from the store; for a node of
    /// a shared deployment, `catching-up` until it has first applied the whole log since it
    /// started (a fresh node, or one that was down: 503, so that a balancer sends it nothing
    /// yet), then `behind` while it has not applied the log's head (200: it answers, and
    /// `min_revision` reads wait); `unavailable` while its PostgreSQL cannot be reached;
    /// `failing` while it cannot apply an entry of the log.
    pub status: &'static str,
    /// The projections still being built (absent when none is).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub building: Vec<Building>,
    /// A node of a shared deployment: where it stands in the revision log.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revision: Option<Revision>,
}

/// Where a node stands in the revision log. (Embedded, the revision is not told: it counts
/// writes to private assets too.)
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Revision {
    /// What this node does: `writer`, `reader` or `all`.
    pub role: crate::config::Role,
    /// Whether it keeps the tables beside the log (the rr tables).
    pub leader: bool,
    /// The revision every projection of this node has applied.
    pub applied: u64,
    /// The log's head, as this node's PostgreSQL shows it (a standby's may trail its
    /// primary's).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub head: Option<u64>,
    /// Revisions not yet applied here.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lag: Option<u64>,
    /// With `?digest=true`: an order-free digest of each projection of this node (`store`,
    /// `assets`, `search`), equal on replicas that applied the same revisions.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub digests: Option<std::collections::BTreeMap<&'static str, String>>,
}

/// The query of `/healthz` (other parameters a probe may add are ignored).
#[derive(Debug, serde::Deserialize)]
pub struct HealthQuery {
    #[serde(default)]
    pub digest: bool,
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
#[utoipa::path(get, path = "/healthz", tag = "operations",
    params(("digest" = Option<bool>, Query, description = "a node of a shared deployment: add each projection's digest")),
    responses(
    (status = 200, body = Health, description = "ready"),
    (status = 503, body = Health, description = "projections are still being built")))]
pub async fn healthz(
    State(state): State<AppState>,
    axum::extract::Query(query): axum::extract::Query<HealthQuery>,
) -> ApiResult<axum::response::Response> {
    // Reading the revision proves the store answers; embedded, the number itself stays
    // private, since it counts writes to private assets too (hence percentages, not counts,
    // below).
    state.catalog.store.revision()?;
    let revision = match state.catalog.shared() {
        Some(_) => Some(revision(&state, query.digest).await?),
        None => None,
    };
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
    let unavailable = state.catalog.shared().is_some_and(|s| s.unavailable());
    let failing = state.catalog.shared().is_some_and(|s| s.failing());
    let status = if unavailable {
        "unavailable"
    } else if failing {
        // An entry of the log this node cannot apply: it stays behind (its log says why).
        "failing"
    } else if !building.is_empty() {
        "building"
    } else if state.catalog.shared().is_some_and(|s| !s.caught_up()) {
        "catching-up"
    } else if revision
        .as_ref()
        .is_some_and(|r| r.lag.is_some_and(|l| l > 0))
    {
        // Behind, but answering: a balancer keeps it; `min_revision` reads wait.
        "behind"
    } else {
        "ok"
    };
    let health = Health {
        status,
        building,
        revision,
    };
    if status == "ok" || status == "behind" {
        return Ok(Json(health).into_response());
    }
    Ok((
        axum::http::StatusCode::SERVICE_UNAVAILABLE,
        [(header::RETRY_AFTER, RETRY_AFTER)],
        Json(health),
    )
        .into_response())
}

/// Where this node stands in the shared log (its head unknown while PostgreSQL is gone).
async fn revision(state: &AppState, digest: bool) -> ApiResult<Revision> {
    let catalog = &state.catalog;
    let applied = catalog.applied();
    let head = catalog.head().await.ok();
    let digests = if digest {
        match catalog.digests().await? {
            Some(d) => Some(d),
            None => {
                return Err(super::error::ApiError::unavailable(
                    "another digest is being taken: try again",
                    1,
                ));
            }
        }
    } else {
        None
    };
    Ok(Revision {
        role: state.config.role,
        leader: catalog.shared().is_some_and(|s| s.leads()),
        applied,
        head,
        lag: head.map(|h| h.saturating_sub(applied)),
        digests,
    })
}

/// Prometheus metrics (text exposition format).
#[utoipa::path(get, path = "/metrics", tag = "operations",
    responses((status = 200, description = "Prometheus text format", content_type = "text/plain")))]
pub async fn metrics(State(state): State<AppState>) -> ApiResult<impl IntoResponse> {
    state
        .metrics
        .store_revision
        .set(state.catalog.store.revision()? as i64);
    if state.catalog.shared().is_some() {
        let applied = state.catalog.applied();
        let lag = match state.catalog.head().await {
            Ok(h) => h.saturating_sub(applied) as i64,
            Err(_) => -1,
        };
        state.metrics.applied_revision.set(applied as i64);
        state.metrics.replica_lag.set(lag);
    }
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
