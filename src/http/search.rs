//! Search and suggestion endpoints of the Data Discovery Portal.
//!
//! Every parameter is checked: unknown parameters, repeated single-valued ones, a limit out of
//! range or an unknown facet value answer 400 with the parameter named. The time spent in the
//! index is reported in a `Server-Timing` header.

use std::time::{Duration, Instant};

use axum::Json;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

use super::AppState;
use super::auth::Auth;
use super::error::{ApiError, ApiResult};
use crate::model::Problem;
use crate::model::coverage::{EnergyInterval, TimeInterval};
use crate::search::collect::SortBy;
use crate::search::coverage::{CoverageFilter, Relation, parse_sky};
use crate::search::schema::Facet;
use crate::search::suggest::Suggestion;
use crate::search::{SearchRequest, SearchResponse};

fn bad_parameter(name: &str, message: impl Into<String>) -> ApiError {
    let message = message.into();
    ApiError {
        status: StatusCode::BAD_REQUEST,
        detail: message.clone(),
        errors: vec![Problem::parameter(name, None, message, Vec::new())],
        headers: Vec::new(),
    }
}

/// A place in the bounded queue of searches, or 503 when it is full: a burst past what the
/// cores can answer is turned away at once instead of queueing without bound.
pub(super) fn queue_slot(state: &AppState) -> ApiResult<tokio::sync::OwnedSemaphorePermit> {
    state
        .search_slots
        .clone()
        .try_acquire_owned()
        .map_err(|_| ApiError::unavailable("too many searches at once; try again shortly", 1))
}

/// Runs `work` on the pool that passes over the segments, with a place in the search queue:
/// the search's own thread then takes its share of the segments at once, and no more searches
/// run at a time than there are cores. A panic there (which would end the process) is caught
/// and answered as a failure. Returns the answer and how long it took.
pub(super) async fn on_search_pool<T, E>(
    state: &AppState,
    work: impl FnOnce() -> Result<T, E> + Send + 'static,
) -> ApiResult<(T, Duration)>
where
    T: Send + 'static,
    E: Into<ApiError> + Send + 'static,
{
    let slot = queue_slot(state)?;
    let (tx, rx) = tokio::sync::oneshot::channel();
    rayon::spawn(move || {
        let started = Instant::now();
        let r = crate::panics::catch(work);
        let took = started.elapsed();
        // The place is given back before the answer, so that a client sending its next search
        // as soon as it has this one finds it free.
        drop(slot);
        let _ = tx.send(r.map(|r| (r, took)));
    });
    let (answer, took) = rx
        .await
        .map_err(|e| ApiError::internal(format_args!("search worker: {e}")))?
        .map_err(|panic| ApiError::internal(format_args!("a search panicked: {panic}")))?;
    Ok((answer.map_err(Into::into)?, took))
}

/// The name-value pairs of a query string, decoded, in order.
pub(super) fn pairs(raw: Option<&str>) -> Vec<(String, String)> {
    raw.map(|q| {
        form_urlencoded::parse(q.as_bytes())
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect()
    })
    .unwrap_or_default()
}

fn single<'a>(pairs: &'a [(String, String)], name: &str) -> ApiResult<Option<&'a str>> {
    let mut values = pairs.iter().filter(|(k, _)| k == name).map(|(_, v)| v);
    let first = values.next();
    if values.next().is_some() {
        return Err(bad_parameter(name, format!("{name} may be given once")));
    }
    Ok(first.map(String::as_str))
}

/// A count parameter (`limit`, `facetLimit`): an integer from 1 to `max`.
fn limit(pairs: &[(String, String)], name: &str, max: usize) -> ApiResult<Option<usize>> {
    single(pairs, name)?
        .map(|l| {
            l.parse::<usize>()
                .ok()
                .filter(|n| (1..=max).contains(n))
                .ok_or_else(|| {
                    bad_parameter(name, format!("{name} must be an integer from 1 to {max}"))
                })
        })
        .transpose()
}

/// A parameter that does not read, with the position of the fault in its value.
fn bad_value(name: &str, position: Option<usize>, message: impl Into<String>) -> ApiError {
    let message = message.into();
    ApiError {
        status: StatusCode::BAD_REQUEST,
        detail: format!("{name}: {message}"),
        errors: vec![Problem::parameter(name, position, message, Vec::new())],
        headers: Vec::new(),
    }
}

/// The coverage parameters: `sky` (a cone, a polygon or an ASCII MOC) with `skyRelation`
/// (`overlaps`, the default, `covers` or `enclosed`), `time` (ISO dates or MJD) and `spectral`
/// (values with their units, or a waveband).
pub fn coverage(pairs: &[(String, String)]) -> ApiResult<CoverageFilter> {
    let relation = single(pairs, "skyRelation")?
        .map(|r| {
            Relation::parse(r).ok_or_else(|| {
                bad_parameter("skyRelation", "skyRelation is overlaps, covers or enclosed")
            })
        })
        .transpose()?;
    let sky = match single(pairs, "sky")?.filter(|s| !s.trim().is_empty()) {
        Some(text) => Some((
            parse_sky(text).map_err(|e| bad_value("sky", e.position.map(|p| p + 1), e.message))?,
            relation.unwrap_or_default(),
        )),
        None if relation.is_some() => {
            return Err(bad_parameter(
                "skyRelation",
                "skyRelation needs a sky region",
            ));
        }
        None => None,
    };
    let time = single(pairs, "time")?
        .filter(|t| !t.trim().is_empty())
        .map(|t| TimeInterval::parse(t).map_err(|e| bad_value("time", None, e.to_string())))
        .transpose()?;
    let spectral = single(pairs, "spectral")?
        .filter(|s| !s.trim().is_empty())
        .map(|s| EnergyInterval::parse(s).map_err(|e| bad_value("spectral", None, e.to_string())))
        .transpose()?;
    Ok(CoverageFilter {
        sky,
        time,
        spectral,
    })
}

const PARAMETERS: &[&str] = &[
    "q",
    "sort",
    "limit",
    "facetLimit",
    "cursor",
    "sky",
    "skyRelation",
    "time",
    "spectral",
];

/// Parses the search parameters.
pub fn request(raw: Option<&str>) -> ApiResult<SearchRequest> {
    let pairs = pairs(raw);
    for (k, _) in &pairs {
        if !PARAMETERS.contains(&k.as_str()) && Facet::from_name(k).is_none() {
            let known: Vec<&str> = PARAMETERS
                .iter()
                .copied()
                .chain(Facet::ALL.iter().map(|f| f.name()))
                .collect();
            return Err(bad_parameter(
                k,
                format!(
                    "unknown parameter {k:?}; parameters are {}",
                    known.join(", ")
                ),
            ));
        }
    }
    let sort = single(&pairs, "sort")?
        .map(|s| {
            SortBy::parse(s).ok_or_else(|| {
                bad_parameter(
                    "sort",
                    "sort must be one of relevance, name, dateModified, popularity",
                )
            })
        })
        .transpose()?;
    let mut filters: Vec<(Facet, Vec<String>)> = Vec::new();
    for facet in Facet::ALL {
        let values: Vec<String> = pairs
            .iter()
            .filter(|(k, _)| k == facet.name())
            .map(|(_, v)| v.trim().to_owned())
            .collect();
        if values.iter().any(String::is_empty) {
            return Err(bad_parameter(facet.name(), "an empty facet value"));
        }
        if !values.is_empty() {
            filters.push((facet, values));
        }
    }
    Ok(SearchRequest {
        q: single(&pairs, "q")?.unwrap_or_default().to_owned(),
        filters,
        sort,
        limit: limit(&pairs, "limit", crate::search::MAX_LIMIT)?,
        facet_limit: limit(&pairs, "facetLimit", crate::search::MAX_FACET_LIMIT)?,
        cursor: single(&pairs, "cursor")?.map(str::to_owned),
        offset: 0,
        coverage: coverage(&pairs)?,
        all_words: false,
    })
}

fn timed(response: Response, took: Duration) -> Response {
    server_timing(response, "search", took)
}

/// Adds a `Server-Timing` entry (milliseconds) to a response.
pub(super) fn server_timing(mut response: Response, name: &str, took: Duration) -> Response {
    let dur = took.as_secs_f64() * 1000.0;
    if let Ok(v) = HeaderValue::from_str(&format!("{name};dur={dur:.3}")) {
        response.headers_mut().insert("server-timing", v);
    }
    response
}

/// Search the catalogue.
#[utoipa::path(get, path = "/api/v1/assets", tag = "search",
    params(
        ("q" = Option<String>, Query, description = "Free words, \"phrases\", field:value, AND/OR/NOT, -term, prefix*"),
        ("type" = Option<Vec<String>>, Query, description = "Facet filter (repeat for OR); likewise domain, property, mission, waveband, fileType, audience, license, keyword, esaOfficial"),
        ("sort" = Option<String>, Query, description = "relevance (default with q), name (default without), dateModified, popularity"),
        ("limit" = Option<usize>, Query, description = "1 to 100, default 20"),
        ("facetLimit" = Option<usize>, Query, description = "Values per facet, the most frequent first (selected ones always): 1 to 100, default 10; otherValues says how many more have a count"),
        ("cursor" = Option<String>, Query, description = "nextCursor of the previous page"),
        ("sky" = Option<String>, Query, description = "A region of the sky (ICRS degrees): a cone ra,dec,radius, a polygon ra1,dec1,ra2,dec2,ra3,dec3,… or an IVOA ASCII MOC"),
        ("skyRelation" = Option<String>, Query, description = "How an asset's sky coverage relates to sky: overlaps (default), covers (the whole region), enclosed (within the region)"),
        ("time" = Option<String>, Query, description = "A time the asset's coverage overlaps: ISO dates or years (2019, 2019-05/2021, 2020-01-01/..) or MJD (58000 59000)"),
        ("spectral" = Option<String>, Query, description = "A band the asset's spectral coverage overlaps: a value or an interval with units (500 nm, 400 nm/700 nm, 1 keV/10 keV, 88 MHz/102 MHz) or an IVOA messenger (Optical, X-ray)"),
    ),
    responses(
        (status = 200, description = "a page of hits with the total and every facet's counts", body = SearchResponse),
        (status = 400, description = "a parameter is wrong (named, with the position in q)", body = super::error::ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn search(
    State(state): State<AppState>,
    Auth(caller): Auth,
    RawQuery(raw): RawQuery,
) -> ApiResult<Response> {
    let req = request(raw.as_deref())?;
    let catalog = state.catalog.clone();
    let launch_base = state.config.launch_base.clone();
    let (response, took) = on_search_pool(&state, move || {
        catalog.search.search(&caller, &req, &launch_base)
    })
    .await?;
    Ok(timed(Json(response).into_response(), took))
}

/// Suggestions for the search box.
#[derive(Debug, Serialize, ToSchema)]
pub struct Suggestions {
    pub suggestions: Vec<Suggestion>,
}

/// Autocomplete a prefix.
#[utoipa::path(get, path = "/api/v1/suggest", tag = "search",
    params(
        ("q" = String, Query, description = "What has been typed so far"),
        ("limit" = Option<usize>, Query, description = "1 to 20, default 8"),
        ("format" = Option<String>, Query, description = "json (default) or opensearch: the OpenSearch suggestions extension's [query, [completions]] as application/x-suggestions+json"),
    ),
    responses(
        (status = 200, description = "completions, best first", body = Suggestions),
        (status = 400, description = "a parameter is wrong", body = super::error::ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn suggest(
    State(state): State<AppState>,
    Auth(caller): Auth,
    RawQuery(raw): RawQuery,
) -> ApiResult<Response> {
    let pairs = pairs(raw.as_deref());
    for (k, _) in &pairs {
        if !matches!(k.as_str(), "q" | "limit" | "format") {
            return Err(bad_parameter(
                k,
                format!("unknown parameter {k:?}; parameters are q, limit, format"),
            ));
        }
    }
    let opensearch = match single(&pairs, "format")? {
        None | Some("json") => false,
        Some("opensearch") => true,
        Some(_) => {
            return Err(bad_parameter("format", "format must be json or opensearch"));
        }
    };
    let q = single(&pairs, "q")?
        .ok_or_else(|| bad_parameter("q", "q is required"))?
        .to_owned();
    let limit = limit(&pairs, "limit", 20)?.unwrap_or(8);
    let q_echo = q.clone();
    let slot = queue_slot(&state)?;
    let catalog = state.catalog.clone();
    let (result, took) = tokio::task::spawn_blocking(move || {
        let _slot = slot;
        let started = Instant::now();
        let r = catalog.search.suggest(&caller, &q, limit);
        (r, started.elapsed())
    })
    .await
    .map_err(ApiError::internal)?;
    let suggestions = result?;
    let response = if opensearch {
        let texts: Vec<&str> = suggestions.iter().map(|s| s.text.as_str()).collect();
        (
            [(
                axum::http::header::CONTENT_TYPE,
                "application/x-suggestions+json",
            )],
            serde_json::to_vec(&(q_echo, texts)).unwrap_or_default(),
        )
            .into_response()
    } else {
        Json(Suggestions { suggestions }).into_response()
    };
    Ok(timed(response, took))
}
