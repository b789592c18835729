//! The portal's routes: the search page and the catalogues, asset pages, the feeds and exports
//! of any search, the OpenSearch description and the embedded stylesheet and script. The pages
//! themselves are built in `crate::portal`; here they are run on the search pool for the caller
//! and answered with their status, type and cache headers.

use axum::body::{Body, Bytes};
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};

use super::AppState;
use super::error::{ApiError, ApiResult};
use super::search::{on_search_pool, server_timing};
use super::session::{Browser, page_response};
use crate::access::Caller;
use crate::portal::export::Format;
use crate::portal::state::Catalogue;
use crate::portal::{Page, Viewer, statics};

/// Where the catalogue lives, for the schema.org mapping.
pub fn site(state: &AppState) -> crate::linked::schemaorg::Site<'_> {
    crate::linked::schemaorg::Site {
        base_url: &state.config.base_url,
        launch_base: &state.config.launch_base,
        catalog_name: CATALOG_NAME,
        publisher: &state.config.publisher,
    }
}

/// The catalogue's name on its pages and in its `DataCatalog`.
pub const CATALOG_NAME: &str = "orrery catalogue";

/// `/catalog.jsonld`: the catalogue as a schema.org `DataCatalog`.
#[utoipa::path(get, path = "/catalog.jsonld", tag = "linked data",
    responses((status = 200, description = "the catalogue as a schema.org DataCatalog", content_type = "application/ld+json")))]
pub async fn catalog_jsonld(State(state): State<AppState>) -> axum::response::Response {
    let body = crate::linked::schemaorg::catalog(&site(&state));
    (
        [(axum::http::header::CONTENT_TYPE, "application/ld+json")],
        serde_json::to_vec_pretty(&body).unwrap_or_default(),
    )
        .into_response()
}

/// A page for `viewer`: one for a signed-in reader is neither stored nor framed.
fn html(page: Page, took: std::time::Duration, viewer: &Viewer) -> Response {
    server_timing(page_response(page, viewer.csrf.is_some()), "page", took)
}

async fn search_page(
    state: AppState,
    viewer: Viewer,
    raw: Option<String>,
    preset: Option<Catalogue>,
) -> ApiResult<Response> {
    let portal = state.portal.clone();
    let who = viewer.clone();
    let (page, took) = on_search_pool(&state, move || {
        portal.search_page(&who, raw.as_deref(), preset)
    })
    .await?;
    Ok(html(page, took, &viewer))
}

/// The search page of the Data Discovery Portal.
#[utoipa::path(get, path = "/", tag = "portal",
    params(
        ("q" = Option<String>, Query, description = "the query, as in /api/v1/assets"),
        ("type" = Option<Vec<String>>, Query, description = "facet values (repeat for OR); likewise every facet of /api/v1/assets"),
        ("sort" = Option<String>, Query, description = "relevance, dateModified, name, popularity"),
        ("page" = Option<usize>, Query, description = "1-based page number"),
        ("limit" = Option<usize>, Query, description = "hits per page, 1 to 100, default 20"),
    ),
    responses((status = 200, description = "the search page: box, chips, facets with counts, hits, pages", content_type = "text/html"),
              (status = 414, description = "a query string over 4,096 characters", content_type = "text/html")))]
pub async fn home(
    State(state): State<AppState>,
    Browser(viewer): Browser,
    RawQuery(raw): RawQuery,
) -> ApiResult<Response> {
    search_page(state, viewer, raw, None).await
}

/// The datalabs catalogue.
#[utoipa::path(get, path = "/datalabs", tag = "portal",
    responses((status = 200, description = "the search page preset to datalabs, as cards with Launch", content_type = "text/html")))]
pub async fn datalabs(
    State(state): State<AppState>,
    Browser(viewer): Browser,
    RawQuery(raw): RawQuery,
) -> ApiResult<Response> {
    search_page(state, viewer, raw, Some(Catalogue::Datalabs)).await
}

/// The pipelines catalogue.
#[utoipa::path(get, path = "/pipelines", tag = "portal",
    responses((status = 200, description = "the search page preset to pipelines, as cards with keywords, author and date", content_type = "text/html")))]
pub async fn pipelines(
    State(state): State<AppState>,
    Browser(viewer): Browser,
    RawQuery(raw): RawQuery,
) -> ApiResult<Response> {
    search_page(state, viewer, raw, Some(Catalogue::Pipelines)).await
}

/// The datasets catalogue.
#[utoipa::path(get, path = "/datasets", tag = "portal",
    responses((status = 200, description = "the search page preset to datasets", content_type = "text/html")))]
pub async fn datasets(
    State(state): State<AppState>,
    Browser(viewer): Browser,
    RawQuery(raw): RawQuery,
) -> ApiResult<Response> {
    search_page(state, viewer, raw, Some(Catalogue::Datasets)).await
}

/// The data volumes catalogue.
#[utoipa::path(get, path = "/volumes", tag = "portal",
    responses((status = 200, description = "the search page preset to data volumes, with their mount paths", content_type = "text/html")))]
pub async fn volumes(
    State(state): State<AppState>,
    Browser(viewer): Browser,
    RawQuery(raw): RawQuery,
) -> ApiResult<Response> {
    search_page(state, viewer, raw, Some(Catalogue::Volumes)).await
}

/// An asset's landing page.
#[utoipa::path(get, path = "/assets/{id}", tag = "portal",
    params(("id" = String, Path, description = "the asset id")),
    responses((status = 200, description = "the asset's page for people, with its tabs and schema.org JSON-LD", content_type = "text/html"),
              (status = 404, description = "no such asset, or not one the caller may see", content_type = "text/html")))]
pub async fn landing(
    State(state): State<AppState>,
    Browser(viewer): Browser,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let portal = state.portal.clone();
    let who = viewer.clone();
    let (page, took) = on_search_pool(&state, move || portal.asset_page(&who, &id)).await?;
    Ok(html(page, took, &viewer))
}

/// Any search as an Atom feed.
#[utoipa::path(get, path = "/search.atom", tag = "portal",
    responses((status = 200, description = "a page of the search as Atom with OpenSearch totals; same parameters as /", content_type = "application/atom+xml"),
              (status = 400, description = "a parameter or value the search does not know, or a query that does not parse", body = super::error::ProblemDetails, content_type = "application/problem+json")))]
pub async fn atom(
    State(state): State<AppState>,
    Browser(viewer): Browser,
    RawQuery(raw): RawQuery,
) -> ApiResult<Response> {
    let portal = state.portal.clone();
    let (body, took) =
        on_search_pool(&state, move || portal.atom(&viewer.caller, raw.as_deref())).await?;
    let response = (
        [(header::CONTENT_TYPE, "application/atom+xml; charset=utf-8")],
        body,
    )
        .into_response();
    Ok(server_timing(response, "feed", took))
}

/// The OpenSearch description of the catalogue.
#[utoipa::path(get, path = "/opensearch.xml", tag = "portal",
    responses((status = 200, description = "the OpenSearch 1.1 description: the page, the feed and the suggestions", content_type = "application/opensearchdescription+xml")))]
pub async fn opensearch(State(state): State<AppState>) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            "application/opensearchdescription+xml; charset=utf-8",
        )],
        state.portal.opensearch(),
    )
        .into_response()
}

/// A message of a running export.
enum Chunk {
    Data(Vec<u8>),
    Failed(ApiError),
}

async fn export(
    state: AppState,
    caller: Caller,
    raw: Option<String>,
    format: Format,
) -> ApiResult<Response> {
    let slot = state
        .export_slots
        .clone()
        .try_acquire_owned()
        .map_err(|_| ApiError::unavailable("too many exports at once; try again shortly", 5))?;
    let portal = state.portal.clone();
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Chunk>(4);
    tokio::task::spawn_blocking(move || {
        let slot = slot;
        let sink_tx = tx.clone();
        let result = crate::panics::catch(|| {
            portal.export(&caller, raw.as_deref(), format, |chunk| {
                sink_tx.blocking_send(Chunk::Data(chunk)).is_ok()
            })
        });
        let failure: Option<ApiError> = match result {
            Ok(Ok(())) => None,
            Ok(Err(e)) => Some(e.into()),
            Err(panic) => Some(ApiError::internal(format_args!(
                "an export panicked: {panic}"
            ))),
        };
        drop(slot);
        if let Some(e) = failure {
            let _ = tx.blocking_send(Chunk::Failed(e));
        }
    });
    // What goes wrong before the first chunk (a query that does not parse) is answered as an
    // error; what goes wrong later ends the stream short, which the client sees as a failure.
    let first = match rx.recv().await {
        Some(Chunk::Data(d)) => d,
        Some(Chunk::Failed(e)) => return Err(e),
        None => Vec::new(),
    };
    let stream = futures_util::stream::unfold((Some(first), rx), |(first, mut rx)| async move {
        if let Some(f) = first {
            return Some((Ok::<Bytes, std::io::Error>(Bytes::from(f)), (None, rx)));
        }
        match rx.recv().await? {
            Chunk::Data(d) => Some((Ok(Bytes::from(d)), (None, rx))),
            Chunk::Failed(e) => {
                tracing::error!(status = %e.status, detail = %e.detail, "an export failed part-way");
                Some((Err(std::io::Error::other("the export failed")), (None, rx)))
            }
        }
    });
    let disposition = format!("attachment; filename=\"search.{}\"", format.extension());
    let mut response = Response::new(Body::from_stream(stream));
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(format.media_type()),
    );
    if let Ok(v) = HeaderValue::from_str(&disposition) {
        headers.insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(response)
}

/// The whole result set of any search as CSV.
#[utoipa::path(get, path = "/search.csv", tag = "portal",
    responses((status = 200, description = "every hit of the search (not just a page) as CSV, streamed; same parameters as /", content_type = "text/csv"),
              (status = 400, description = "a parameter or value the search does not know, or a query that does not parse", body = super::error::ProblemDetails, content_type = "application/problem+json"),
              (status = 503, description = "as many exports as cores are streaming; Retry-After says when to try again", body = super::error::ProblemDetails, content_type = "application/problem+json")))]
pub async fn csv(
    State(state): State<AppState>,
    Browser(viewer): Browser,
    RawQuery(raw): RawQuery,
) -> ApiResult<Response> {
    export(state, viewer.caller, raw, Format::Csv).await
}

/// The whole result set of any search as JSON Lines.
#[utoipa::path(get, path = "/search.jsonl", tag = "portal",
    responses((status = 200, description = "every hit of the search as JSON Lines, streamed; same parameters as /", content_type = "application/jsonl"),
              (status = 400, description = "a parameter or value the search does not know, or a query that does not parse", body = super::error::ProblemDetails, content_type = "application/problem+json"),
              (status = 503, description = "as many exports as cores are streaming; Retry-After says when to try again", body = super::error::ProblemDetails, content_type = "application/problem+json")))]
pub async fn jsonl(
    State(state): State<AppState>,
    Browser(viewer): Browser,
    RawQuery(raw): RawQuery,
) -> ApiResult<Response> {
    export(state, viewer.caller, raw, Format::JsonLines).await
}

/// The portal's stylesheet and script, named by their content's hash.
#[utoipa::path(get, path = "/static/{file}", tag = "portal",
    params(("file" = String, Path, description = "portal.{hash}.css or portal.{hash}.js")),
    responses((status = 200, description = "the file, to be kept for a year", content_type = "text/css"),
              (status = 404, description = "no such file (an older build's name)", body = super::error::ProblemDetails, content_type = "application/problem+json")))]
pub async fn static_file(Path(file): Path<String>) -> ApiResult<Response> {
    let f = statics::get(&format!("/static/{file}"))
        .ok_or_else(|| ApiError::not_found("no such file"))?;
    Ok((
        [
            (header::CONTENT_TYPE, f.content_type),
            (header::CACHE_CONTROL, "public, max-age=31536000, immutable"),
        ],
        f.body,
    )
        .into_response())
}
