//! The one conversion from errors to HTTP responses: RFC 9457 problem details.
//!
//! Every domain error converts here. A failure inside the service is logged (with the request
//! id of the span it happens in) and answered as an opaque 500 whose `instance` is that request
//! id, so that an operator can find the log line and a client learns nothing of the internals.

use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

use crate::catalog::CatalogError;
use crate::model::Problem;
use crate::store::StoreError;

/// An RFC 9457 problem document.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProblemDetails {
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// Individual problems, each with the JSON pointer or parameter it concerns.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<Problem>,
    /// This occurrence: `urn:request:{id}` of a failure inside the service, the request id
    /// under which it was logged.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub instance: Option<String>,
}

/// Marks a response as a failure inside the service, for the edge to answer opaquely.
#[derive(Debug, Clone, Copy)]
pub struct Internal;

/// What a client is told of a failure inside the service.
pub const INTERNAL_DETAIL: &str =
    "the service failed to answer this request; it has been logged under the request id";

/// An error answered to a client.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub detail: String,
    pub errors: Vec<Problem>,
    /// Extra response headers (`WWW-Authenticate`, `Accept-Patch`…).
    pub headers: Vec<(HeaderName, String)>,
}

impl ApiError {
    pub fn new(status: StatusCode, detail: impl Into<String>) -> ApiError {
        ApiError {
            status,
            detail: detail.into(),
            errors: Vec::new(),
            headers: Vec::new(),
        }
    }

    /// The same error with one more response header.
    pub fn with_header(mut self, name: HeaderName, value: impl Into<String>) -> ApiError {
        self.headers.push((name, value.into()));
        self
    }

    pub fn not_found(what: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, what)
    }

    pub fn bad_request(detail: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, detail)
    }

    /// A failure inside the service: logged here with its cause, answered without it.
    pub fn internal(cause: impl std::fmt::Display) -> ApiError {
        tracing::error!(error = %cause, "internal error");
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, INTERNAL_DETAIL)
    }

    /// 503 with `Retry-After`: the service is too busy (or not ready) for this request now.
    pub fn unavailable(detail: impl Into<String>, retry_after_seconds: u64) -> ApiError {
        ApiError::new(StatusCode::SERVICE_UNAVAILABLE, detail)
            .with_header(header::RETRY_AFTER, retry_after_seconds.to_string())
    }
}

/// Renders a problem response.
pub fn problem(status: StatusCode, detail: Option<String>, errors: Vec<Problem>) -> Response {
    let body = ProblemDetails {
        kind: "about:blank".into(),
        title: status.canonical_reason().unwrap_or("Error").into(),
        status: status.as_u16(),
        detail,
        errors,
        instance: None,
    };
    let json = serde_json::to_vec(&body).unwrap_or_default();
    let mut response = (
        status,
        [(header::CONTENT_TYPE, "application/problem+json")],
        json,
    )
        .into_response();
    if status == StatusCode::INTERNAL_SERVER_ERROR {
        response.extensions_mut().insert(Internal);
    }
    response
}

/// The opaque answer to a failure inside the service, naming the request id it was logged
/// under.
pub fn internal_problem(request_id: &str) -> Response {
    let body = ProblemDetails {
        kind: "about:blank".into(),
        title: "Internal Server Error".into(),
        status: 500,
        detail: Some(INTERNAL_DETAIL.into()),
        errors: Vec::new(),
        instance: Some(format!("urn:request:{request_id}")),
    };
    let json = serde_json::to_vec(&body).unwrap_or_default();
    (
        StatusCode::INTERNAL_SERVER_ERROR,
        [(header::CONTENT_TYPE, "application/problem+json")],
        json,
    )
        .into_response()
}

/// The answer to a handler that panicked: logged, then answered like any internal failure.
pub fn panicked(panic: Box<dyn std::any::Any + Send + 'static>) -> Response {
    tracing::error!(panic = %crate::panics::message(&*panic), "a handler panicked");
    problem(
        StatusCode::INTERNAL_SERVER_ERROR,
        Some(INTERNAL_DETAIL.into()),
        Vec::new(),
    )
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = problem(self.status, Some(self.detail), self.errors);
        for (name, value) in self.headers {
            if let Ok(v) = HeaderValue::from_str(&value) {
                response.headers_mut().append(name, v);
            }
        }
        response
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> ApiError {
        ApiError::internal(format_args!("store: {e}"))
    }
}

impl From<crate::search::SearchError> for ApiError {
    fn from(e: crate::search::SearchError) -> ApiError {
        use crate::search::SearchError;
        match e {
            SearchError::BadRequest(errors) => ApiError {
                status: StatusCode::BAD_REQUEST,
                detail: errors
                    .iter()
                    .map(|p| match (&p.parameter, p.position) {
                        (Some(name), Some(pos)) => {
                            format!("{name}, at position {pos}: {}", p.message)
                        }
                        (Some(name), None) => format!("{name}: {}", p.message),
                        _ => p.message.clone(),
                    })
                    .collect::<Vec<_>>()
                    .join("; "),
                errors,
                headers: Vec::new(),
            },
            other => ApiError::internal(format_args!("search: {other}")),
        }
    }
}

impl From<crate::portal::PortalError> for ApiError {
    fn from(e: crate::portal::PortalError) -> ApiError {
        use crate::portal::PortalError as P;
        match e {
            P::Search(s) => s.into(),
            P::Store(s) => s.into(),
            P::BadRequest(detail) => ApiError::bad_request(detail),
            P::Internal(detail) => ApiError::internal(format_args!("{detail}")),
            P::Render(r) => ApiError::internal(format_args!("rendering a page: {r}")),
        }
    }
}

impl From<crate::access::accounts::AccountsError> for ApiError {
    fn from(e: crate::access::accounts::AccountsError) -> ApiError {
        if let crate::access::accounts::AccountsError::Sql(sql) = &e
            && crate::store::log::unreachable(sql)
        {
            tracing::warn!(error = %e, "the accounts' database cannot be reached");
            return ApiError::unavailable(
                "the catalogue's database cannot be reached: try again shortly",
                2,
            );
        }
        ApiError::internal(format_args!("accounts: {e}"))
    }
}

impl From<tokio::task::JoinError> for ApiError {
    fn from(e: tokio::task::JoinError) -> ApiError {
        ApiError::internal(format_args!("a worker failed: {e}"))
    }
}

impl From<crate::catalog::write::WriteError> for ApiError {
    fn from(e: crate::catalog::write::WriteError) -> ApiError {
        use crate::catalog::write::WriteError as W;
        let detail = e.to_string();
        let (status, errors) = match e {
            W::Forbidden(_, fields) => (
                StatusCode::FORBIDDEN,
                fields
                    .iter()
                    .map(|f| Problem {
                        pointer: format!("/{}", f.replace('.', "/")),
                        message: "you may not write this field".into(),
                        closest: Vec::new(),
                        parameter: None,
                        position: None,
                        file: None,
                        line: None,
                        column: None,
                    })
                    .collect(),
            ),
            W::NotFound(_) => (StatusCode::NOT_FOUND, Vec::new()),
            W::Taken(_) | W::State(_) => (StatusCode::CONFLICT, Vec::new()),
            W::Stale { .. } => (StatusCode::PRECONDITION_FAILED, Vec::new()),
            W::Document(d @ crate::model::DocumentError::Syntax { .. }) => {
                (StatusCode::BAD_REQUEST, d.problems())
            }
            W::Document(d) => (StatusCode::UNPROCESSABLE_ENTITY, d.problems()),
            W::Invalid(_, problems) => (StatusCode::UNPROCESSABLE_ENTITY, problems),
            W::Catalog(c) => return c.into(),
        };
        ApiError {
            status,
            detail,
            errors,
            headers: Vec::new(),
        }
    }
}

impl From<CatalogError> for ApiError {
    fn from(e: CatalogError) -> ApiError {
        if e.is_unavailable() {
            // The shared database is gone for now: the node recovers by itself.
            tracing::warn!(error = %e, "the shared database cannot be reached");
            return ApiError::unavailable(
                "the catalogue's database cannot be reached: try again shortly",
                2,
            );
        }
        ApiError::internal(format_args!("catalogue: {e}"))
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
