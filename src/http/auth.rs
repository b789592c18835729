//! Who is calling: the `Authorization: Bearer` token, looked up for every request.
//!
//! No header means an anonymous reader. A header that is not a valid token — unknown, expired,
//! revoked, or another scheme — is refused with 401 rather than downgraded to anonymous, so a
//! client with a broken token learns it at once instead of seeing less than it expects.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{StatusCode, header};

use super::AppState;
use super::error::ApiError;
use crate::access::Caller;
use crate::access::accounts::Authentication;

/// The caller of a request, from its bearer token.
pub struct Auth(pub Caller);

fn unauthorized(detail: &str, challenge: String) -> ApiError {
    ApiError::new(StatusCode::UNAUTHORIZED, detail).with_header(header::WWW_AUTHENTICATE, challenge)
}

/// 401 for an operation that needs an account.
pub fn required() -> ApiError {
    unauthorized(
        "this operation needs a bearer token (orrery token create)",
        r#"Bearer realm="orrery""#.into(),
    )
}

fn invalid(description: &str) -> ApiError {
    unauthorized(
        &format!("the bearer token is {description}"),
        format!(
            r#"Bearer realm="orrery", error="invalid_token", error_description="the token is {description}""#
        ),
    )
}

impl FromRequestParts<AppState> for Auth {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Auth, ApiError> {
        let Some(value) = parts.headers.get(header::AUTHORIZATION) else {
            return Ok(Auth(Caller::Anonymous));
        };
        let value = value.to_str().map_err(|_| invalid("not readable"))?;
        let (scheme, token) = value.trim().split_once(' ').unwrap_or((value, ""));
        if !scheme.eq_ignore_ascii_case("bearer") {
            return Err(unauthorized(
                "only bearer tokens are accepted",
                r#"Bearer realm="orrery""#.into(),
            ));
        }
        match state.catalog.accounts.authenticate(token.trim()).await {
            Ok(Authentication::Valid(caller)) => Ok(Auth(caller)),
            Ok(Authentication::Unknown) => Err(invalid("unknown")),
            Ok(Authentication::Expired) => Err(invalid("expired")),
            Ok(Authentication::Revoked) => Err(invalid("revoked")),
            Err(e) => Err(e.into()),
        }
    }
}

impl Auth {
    /// The caller, who must hold an account.
    pub fn account(self) -> Result<Caller, ApiError> {
        match self.0 {
            Caller::Anonymous => Err(required()),
            c => Ok(c),
        }
    }
}
