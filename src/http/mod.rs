//! The HTTP surface (axum): routers per surface, one error conversion, request ids, metrics.
//!
//! Handlers parse requests and render responses; what an asset is and who may see it is decided
//! below, in `catalog`, `access` and `model`.

pub mod account;
pub mod assets;
pub mod auth;
pub mod conneg;
pub mod crawl;
pub mod error;
pub mod oai;
pub mod openapi;
pub mod ops;
pub mod portal;
pub mod replica;
pub mod routes;
pub mod search;
pub mod session;
pub mod sparql;
pub mod tap;
pub mod trs;
pub mod uws;
pub mod vocab;
pub mod write;

use std::sync::Arc;
use std::time::Instant;

use axum::Router;
use axum::extract::{MatchedPath, Request, State};
use axum::http::Method;
use axum::http::{HeaderName, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::compression::CompressionLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::{DefaultOnResponse, TraceLayer};

use crate::catalog::Catalog;
use crate::config::Config;
use crate::telemetry::{Metrics, RequestLabels, RouteLabels};
use routes::{Route, route};

/// Shared state of every handler.
#[derive(Clone)]
pub struct AppState {
    pub catalog: Arc<Catalog>,
    pub config: Arc<Config>,
    pub metrics: Arc<Metrics>,
    /// Bounds the SPARQL evaluations running at once (one per core).
    pub sparql_slots: Arc<tokio::sync::Semaphore>,
    /// Bounds the searches running or waiting (`Config::search_queue`).
    pub search_slots: Arc<tokio::sync::Semaphore>,
    /// Bounds the exports streaming at once (one per core): an export lasts as long as its
    /// reader reads, so it takes no place among the searches.
    pub export_slots: Arc<tokio::sync::Semaphore>,
    /// The TAP service on the relational registry.
    pub tap: Option<Arc<tap::TapState>>,
    /// The pages for people.
    pub portal: Arc<crate::portal::Portal>,
    /// The tool registry's directory.
    pub tools: Arc<crate::catalog::tools::Tools>,
}

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

async fn record_metrics(State(metrics): State<Arc<Metrics>>, req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |m| m.as_str().to_owned());
    let method = req.method().to_string();
    let start = Instant::now();
    let response = next.run(req).await;
    metrics
        .latency
        .get_or_create(&RouteLabels {
            route: route.clone(),
        })
        .observe(start.elapsed().as_secs_f64());
    metrics
        .requests
        .get_or_create(&RequestLabels {
            method,
            route,
            status: response.status().as_u16(),
        })
        .inc();
    response
}

/// Rewrites error responses produced outside our handlers (extractor rejections, the body
/// limit) into problem details, so every error a client sees has one form; a failure inside
/// the service (a 500, a panic) is answered opaquely with the request id it was logged under.
async fn errors_as_problems(req: Request, next: Next) -> Response {
    // TAP speaks its own error forms (VOTable documents, UWS plain text), TRS its own JSON,
    // and /healthz says what is building in its own document.
    let path = req.uri().path();
    let under = |root: &str| path.strip_prefix(root).is_some_and(|r| r.starts_with('/'));
    let tap =
        path.starts_with("/tap/") || under(trs::ROOT) || under(trs::ALIAS) || path == "/healthz";
    let request_id = req.headers().get(REQUEST_ID).cloned();
    let response = next.run(req).await;
    if response.extensions().get::<error::Internal>().is_some() {
        let id = request_id.as_ref().and_then(|v| v.to_str().ok());
        return error::internal_problem(id.unwrap_or("-"));
    }
    if tap {
        return response;
    }
    let status = response.status();
    let is_problem_or_page = response
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| {
            ct.starts_with("application/problem+json") || ct.starts_with("text/html")
        });
    if status.as_u16() < 400 || is_problem_or_page {
        return response;
    }
    let body = axum::body::to_bytes(response.into_body(), 4096)
        .await
        .unwrap_or_default();
    let detail = String::from_utf8_lossy(&body).trim().to_owned();
    error::problem(status, (!detail.is_empty()).then_some(detail), Vec::new())
}

/// Names the server in every answer (clients and validators such as taplint look for it).
async fn server_header(mut response: Response) -> Response {
    response.headers_mut().insert(
        axum::http::header::SERVER,
        axum::http::HeaderValue::from_static(concat!("orrery/", env!("CARGO_PKG_VERSION"))),
    );
    response
}

/// What answers a path nothing serves: a page for a browser, a problem for everyone else.
async fn not_found(headers: axum::http::HeaderMap) -> Response {
    let browser = headers
        .get(axum::http::header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("text/html"));
    if browser {
        let page = crate::portal::message_page(
            portal::CATALOG_NAME,
            404,
            "Page not found",
            "There is nothing at this address. Search the catalogue instead.",
        );
        return (StatusCode::NOT_FOUND, axum::response::Html(page.html)).into_response();
    }
    error::problem(
        StatusCode::NOT_FOUND,
        Some("no such resource".into()),
        Vec::new(),
    )
}

async fn method_not_allowed() -> Response {
    error::problem(
        StatusCode::METHOD_NOT_ALLOWED,
        Some("method not allowed on this resource".into()),
        Vec::new(),
    )
}

/// The routes of the API, the protocols and the pages but TAP's.
pub fn api_routes() -> Vec<Route<AppState>> {
    use Method as M;
    vec![
        route(M::GET, "/api/v1/assets", search::search),
        route(M::POST, "/api/v1/assets", write::create),
        route(M::POST, "/api/v1/pipelines", write::push),
        route(M::POST, "/api/v1/datalabs", write::push_datalab),
        route(M::POST, "/api/v1/import", write::import),
        route(M::GET, "/api/v1/suggest", search::suggest),
        route(M::GET, "/api/v1/assets/{id}", assets::get_asset),
        route(M::PUT, "/api/v1/assets/{id}", write::replace),
        route(M::PATCH, "/api/v1/assets/{id}", write::patch),
        route(M::DELETE, "/api/v1/assets/{id}", write::delete),
        route(M::POST, "/api/v1/assets/{id}/submit", write::submit),
        route(M::POST, "/api/v1/assets/{id}/approve", write::approve),
        route(M::POST, "/api/v1/assets/{id}/reject", write::reject),
        route(M::GET, "/api/v1/assets/{id}/history", write::history),
        route(M::GET, "/api/v1/resolve", assets::resolve),
        route(M::GET, "/api/v1/vocabularies", vocab::list),
        route(M::GET, "/api/v1/vocabularies/{scheme}", vocab::scheme),
        route(M::GET, "/api/v1/licenses", vocab::licenses),
        route(M::GET, "/id/{id}", assets::get_iri),
        route(M::GET, "/oai", oai::get),
        route(M::POST, "/oai", oai::post),
        route(M::GET, "/robots.txt", crawl::robots),
        route(M::GET, "/catalog.jsonld", portal::catalog_jsonld),
        route(M::GET, "/dcat", crawl::dcat),
        route(M::GET, "/sparql", sparql::get),
        route(M::POST, "/sparql", sparql::post),
        route(M::GET, "/sitemap.xml", crawl::sitemap),
        route(M::GET, "/sitemaps/{file}", crawl::sitemap_part),
        route(M::GET, "/", portal::home),
        route(M::GET, "/datalabs", portal::datalabs),
        route(M::GET, "/pipelines", portal::pipelines),
        route(M::GET, "/datasets", portal::datasets),
        route(M::GET, "/volumes", portal::volumes),
        route(M::GET, "/assets/{id}", portal::landing),
        route(M::GET, "/login", account::login_form),
        route(M::POST, "/login", account::login),
        route(M::POST, "/logout", account::logout),
        route(M::GET, "/me", account::me),
        route(M::POST, "/me/new", account::create),
        route(M::GET, "/review", account::queue),
        route(M::GET, "/assets/{id}/edit", account::edit_form),
        route(M::POST, "/assets/{id}/edit", account::edit),
        route(M::GET, "/assets/{id}/sharing", account::sharing_form),
        route(M::POST, "/assets/{id}/sharing", account::share),
        route(M::POST, "/assets/{id}/submit", account::submit),
        route(M::POST, "/assets/{id}/approve", account::approve),
        route(M::POST, "/assets/{id}/reject", account::reject),
        route(M::GET, "/assets/{id}/review", account::review),
        route(M::GET, "/search.atom", portal::atom),
        route(M::GET, "/search.csv", portal::csv),
        route(M::GET, "/search.jsonl", portal::jsonl),
        route(M::GET, "/opensearch.xml", portal::opensearch),
        route(M::GET, "/static/{file}", portal::static_file),
        route(M::GET, "/healthz", ops::healthz),
        route(M::GET, "/metrics", ops::metrics),
    ]
}

/// The whole application router.
pub fn router(state: AppState) -> Router {
    let metrics = state.metrics.clone();
    let limit = state.config.max_body_bytes;
    let tap = state.tap.clone();
    let tools = routes::router(trs::routes());
    let replica = middleware::from_fn_with_state(state.clone(), replica::consistency);
    let api = routes::router(api_routes())
        .nest(trs::ROOT, tools.clone())
        .nest(trs::ALIAS, tools)
        .method_not_allowed_fallback(method_not_allowed)
        .with_state(state);
    let api = match tap {
        Some(t) => api.merge(tap::router(t)),
        None => api,
    };
    edge(api.merge(openapi::docs()).layer(replica), limit, metrics)
}

/// What every request passes through: the fallback, caught panics, the body limit, errors as
/// problems (internal ones opaque), the server header, metrics, the trace span, request ids and,
/// for a client that accepts it, gzip.
fn edge(app: Router, limit: usize, metrics: Arc<Metrics>) -> Router {
    app.fallback(not_found)
        .layer(CatchPanicLayer::custom(error::panicked))
        .layer(RequestBodyLimitLayer::new(limit))
        .layer(middleware::from_fn(errors_as_problems))
        .layer(middleware::map_response(server_header))
        .layer(middleware::from_fn_with_state(metrics, record_metrics))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(|req: &Request| {
                    let id = req.headers().get(REQUEST_ID).and_then(|v| v.to_str().ok()).unwrap_or("-");
                    tracing::info_span!("request", request_id = %id, method = %req.method(), uri = %req.uri())
                })
                .on_response(DefaultOnResponse::new().level(tracing::Level::INFO))
                // Every answer is logged above with its status; a 503 while projections build
                // is expected, and an internal failure is logged where it happens.
                .on_failure(()),
        )
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
        .layer(CompressionLayer::new())
}

/// Serves until ctrl-c or SIGTERM.
pub async fn serve(state: AppState) -> std::io::Result<()> {
    let addr = state.config.addr;
    let listener = tokio::net::TcpListener::bind(addr).await?;
    tracing::info!(addr = %listener.local_addr()?, base_url = %state.config.base_url, "listening");
    axum::serve(listener, router(state))
        .with_graceful_shutdown(shutdown_signal())
        .await
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutting down");
}

#[cfg(test)]
mod tests {
    use axum::body::Body;
    use axum::http::Request;
    use axum::routing::get;
    use tower::ServiceExt as _;

    use super::*;

    async fn answer(path: &str) -> (StatusCode, String, serde_json::Value) {
        let app = Router::new()
            .route(
                "/fails",
                get(|| async {
                    Err::<(), _>(error::ApiError::internal("the disk /srv/x is full"))
                }),
            )
            .route(
                "/panics",
                get(|| async {
                    let v: Vec<u8> = Vec::new();
                    // An out-of-bounds index: a bug met while answering.
                    format!("{}", v[usize::from(v.is_empty())])
                }),
            );
        let app = edge(app, 1024, Arc::new(Metrics::new()));
        let req = Request::get(path)
            .header(REQUEST_ID, "req-42")
            .body(Body::empty())
            .unwrap();
        let res = app.oneshot(req).await.unwrap();
        let status = res.status();
        let ct = res.headers()[axum::http::header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .to_owned();
        let body = axum::body::to_bytes(res.into_body(), 1 << 16)
            .await
            .unwrap();
        (status, ct, serde_json::from_slice(&body).unwrap())
    }

    #[tokio::test]
    async fn an_internal_error_is_opaque_and_names_the_request() {
        let (status, ct, body) = answer("/fails").await;
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(ct, "application/problem+json");
        assert_eq!(body["instance"], "urn:request:req-42");
        assert_eq!(body["detail"], error::INTERNAL_DETAIL);
        assert!(!body.to_string().contains("/srv/x"), "{body}");
    }

    #[tokio::test]
    async fn a_handler_that_panics_is_answered_and_the_service_goes_on() {
        let (status, _, body) = answer("/panics").await;
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(body["instance"], "urn:request:req-42");
        assert!(!body.to_string().contains("index out of bounds"), "{body}");
        let (status, _, _) = answer("/nowhere").await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    }
}
