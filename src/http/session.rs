//! Who reads a page in a browser: a bearer token as for the API, or the session cookie set at
//! sign-in; and the checks every form of a signed-in page passes before it changes anything.
//!
//! A cookie that names no live session (forged, expired, signed out, or from a revoked token)
//! is answered with the sign-in page, and the cookie is cleared: never with the page as someone
//! else, nor silently as an anonymous reader. Forms are sent with the session's CSRF token and
//! refused without it, or when the browser says they come from another site.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use cookie::{Cookie, SameSite};

use super::AppState;
use super::auth::Auth;
use super::error::ApiError;
use crate::access::Caller;
use crate::access::accounts::same;
use crate::access::sessions::Lookup;
use crate::portal::Viewer;

/// The session cookie's name.
pub const SESSION: &str = "orrery_session";
/// The sign-in form's CSRF cookie (there is no session yet to hold its token).
pub const LOGIN: &str = "orrery_login";

/// The reader of a page.
pub struct Browser(pub Viewer);

/// The value of cookie `name` in a request, if it sent one.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(Cookie::split_parse)
        .filter_map(Result::ok)
        .find(|c| c.name() == name)
        .map(|c| c.value().to_owned())
}

/// Whether cookies must be sent over https only: when the service is served over https.
pub fn secure(state: &AppState) -> bool {
    state.config.base_url.starts_with("https://")
}

/// A `Set-Cookie` value: `value` for `max_age_secs` (0 clears the cookie).
pub fn set_cookie(
    name: &'static str,
    value: &str,
    max_age_secs: i64,
    path: &'static str,
    same_site: SameSite,
    secure: bool,
) -> HeaderValue {
    let c = Cookie::build((name, value.to_owned()))
        .http_only(true)
        .same_site(same_site)
        .path(path)
        .secure(secure)
        .max_age(cookie::time::Duration::seconds(max_age_secs.max(0)))
        .build();
    HeaderValue::from_str(&c.to_string()).unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// Clears the session cookie.
pub fn clear_session(secure: bool) -> HeaderValue {
    set_cookie(SESSION, "", 0, "/", SameSite::Lax, secure)
}

/// A local path to go back to after sign-in; anything else (another site, `//host`) is `/me`.
pub fn local_path(next: &str) -> String {
    let ok = next.starts_with('/')
        && !next.starts_with("//")
        && !next.contains('\\')
        && !next.chars().any(char::is_control);
    if ok {
        next.to_owned()
    } else {
        "/me".to_owned()
    }
}

/// The sign-in page's address for a reader who was at `path`.
pub fn login_address(path: &str, ended: bool) -> String {
    let next: String = form_urlencoded::byte_serialize(local_path(path).as_bytes()).collect();
    if ended {
        format!("/login?next={next}&ended=1")
    } else {
        format!("/login?next={next}")
    }
}

/// The answer to a cookie that names no live session: the sign-in page, the cookie cleared.
fn ended(parts: &Parts, secure: bool) -> Response {
    let path = parts
        .uri
        .path_and_query()
        .map_or("/", |p| p.as_str())
        .to_owned();
    let mut r = Redirect::to(&login_address(&path, true)).into_response();
    r.headers_mut()
        .insert(header::SET_COOKIE, clear_session(secure));
    r
}

impl FromRequestParts<AppState> for Browser {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Browser, Response> {
        if parts.headers.contains_key(header::AUTHORIZATION) {
            let Auth(caller) = Auth::from_request_parts(parts, state)
                .await
                .map_err(IntoResponse::into_response)?;
            return Ok(Browser(Viewer { caller, csrf: None }));
        }
        let Some(value) = cookie(&parts.headers, SESSION) else {
            return Ok(Browser(Viewer::anonymous()));
        };
        match state.catalog.accounts.session(&value).await {
            Ok(Lookup::Valid(s)) => Ok(Browser(Viewer {
                caller: s.caller,
                csrf: Some(s.csrf),
            })),
            Ok(Lookup::Ended) => Err(ended(parts, secure(state))),
            Err(e) => Err(ApiError::from(e).into_response()),
        }
    }
}

/// The origin (`scheme://host[:port]`) of an absolute URL.
fn origin(url: &str) -> Option<&str> {
    let rest = url.split_once("://")?.1;
    let end = rest
        .find('/')
        .map_or(url.len(), |i| url.len() - rest.len() + i);
    Some(&url[..end])
}

/// Whether the browser says the request comes from another site.
pub fn cross_site(headers: &HeaderMap, state: &AppState) -> bool {
    if headers
        .get("sec-fetch-site")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|s| s == "cross-site")
    {
        return true;
    }
    let Some(sent) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
    let ours = origin(&state.config.base_url);
    let same_host =
        host.is_some_and(|h| sent == format!("http://{h}") || sent == format!("https://{h}"));
    !(Some(sent) == ours || same_host)
}

/// The refusal of a form that fails its checks.
pub fn refused(state: &AppState, viewer: &Viewer) -> Response {
    let page = state.portal.message(
        viewer,
        403,
        "This form was refused",
        "It did not carry this session's form token, or it was sent from another site. Nothing was changed. Go back, reload the page and try again.",
    );
    page_response(page, true)
}

/// Checks a signed-in page's form: a session, its CSRF token, and a same-site origin. `Some`
/// is the answer to give instead.
pub fn verify(
    state: &AppState,
    viewer: &Viewer,
    headers: &HeaderMap,
    form: &[(String, String)],
    path: &str,
) -> Option<Response> {
    if viewer.caller == Caller::Anonymous {
        return Some(Redirect::to(&login_address(path, false)).into_response());
    }
    let sent = form
        .iter()
        .find(|(k, _)| k == "_csrf")
        .map(|(_, v)| v.as_str());
    let ok = match (&viewer.csrf, sent) {
        (Some(ours), Some(sent)) => same(ours, sent),
        _ => false,
    };
    (!ok || cross_site(headers, state)).then(|| refused(state, viewer))
}

/// A form body as its fields, in order.
pub fn fields(body: &[u8]) -> Vec<(String, String)> {
    form_urlencoded::parse(body).into_owned().collect()
}

/// A page as an answer; a page for a signed-in reader is neither stored nor framed.
pub fn page_response(page: crate::portal::Page, private: bool) -> Response {
    let status = StatusCode::from_u16(page.status).unwrap_or(StatusCode::OK);
    let mut r = (status, axum::response::Html(page.html)).into_response();
    if private {
        let h = r.headers_mut();
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        h.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static("frame-ancestors 'none'"),
        );
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_local_paths_are_gone_back_to() {
        assert_eq!(local_path("/assets/a/edit?x=1"), "/assets/a/edit?x=1");
        for bad in [
            "//evil.example/",
            "https://evil.example/",
            "/\\evil",
            "me",
            "",
        ] {
            assert_eq!(local_path(bad), "/me", "{bad}");
        }
        assert_eq!(login_address("/me", true), "/login?next=%2Fme&ended=1");
    }

    #[test]
    fn origins_and_cookies() {
        assert_eq!(
            origin("http://127.0.0.1:8080/x/y"),
            Some("http://127.0.0.1:8080")
        );
        assert_eq!(origin("https://a.example"), Some("https://a.example"));
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            HeaderValue::from_static("a=1; orrery_session=abc; b=2"),
        );
        assert_eq!(cookie(&h, SESSION).as_deref(), Some("abc"));
        assert_eq!(cookie(&h, LOGIN), None);
        let set = set_cookie(SESSION, "v", 60, "/", SameSite::Lax, true);
        let text = set.to_str().unwrap();
        for part in [
            "orrery_session=v",
            "HttpOnly",
            "SameSite=Lax",
            "Secure",
            "Path=/",
            "Max-Age=60",
        ] {
            assert!(text.contains(part), "{text}");
        }
    }
}
