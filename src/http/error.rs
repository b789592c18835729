//! The one conversion from errors to HTTP responses: RFC 9457 problem details.

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
}

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
}

/// Renders a problem response.
pub fn problem(status: StatusCode, detail: Option<String>, errors: Vec<Problem>) -> Response {
    let body = ProblemDetails {
        kind: "about:blank".into(),
        title: status.canonical_reason().unwrap_or("Error").into(),
        status: status.as_u16(),
        detail,
        errors,
    };
    let json = serde_json::to_vec(&body).unwrap_or_default();
    (
        status,
        [(header::CONTENT_TYPE, "application/problem+json")],
        json,
    )
        .into_response()
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
        tracing::error!(error = %e, "store error");
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal storage error")
    }
}

impl From<crate::write::WriteError> for ApiError {
    fn from(e: crate::write::WriteError) -> ApiError {
        use crate::write::WriteError as W;
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
        tracing::error!(error = %e, "catalogue error");
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal error")
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
