//! The signed-in pages' routes: sign-in and sign-out, my assets and the new-asset form, an
//! asset's editor, visibility and workflow buttons, and the moderators' review. The pages are
//! built in `crate::portal::account`; here the session is opened and closed, forms are checked
//! (`session::verify`) and read, and the answers carry their cookies and cache headers.

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::Utc;
use cookie::SameSite;

use super::AppState;
use super::error::{ApiError, ApiResult};
use super::session::{
    self, Browser, LOGIN, SESSION, clear_session, cookie, cross_site, fields, login_address,
    page_response, secure, set_cookie, verify,
};
use crate::access::accounts::Authentication;
use crate::access::sessions::{Lookup, SignIn};
use crate::catalog::write::Transition;
use crate::portal::Viewer;
use crate::portal::account::Outcome;

fn query(raw: Option<&str>, key: &str) -> Option<String> {
    form_urlencoded::parse(raw.unwrap_or("").as_bytes())
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.into_owned())
}

fn answer(outcome: Outcome) -> Response {
    match outcome {
        Outcome::Redirect(to) => Redirect::to(&to).into_response(),
        Outcome::Page(page) => page_response(page, true),
    }
}

fn fresh_token() -> ApiResult<String> {
    use base64::Engine as _;
    let raw = crate::secrets::random_bytes(32)
        .map_err(|e| ApiError::internal(format_args!("cannot draw random bytes: {e}")))?;
    Ok(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw))
}

/// The sign-in page answered with a fresh sign-in cookie for its form.
fn login_answer(
    state: &AppState,
    next: &str,
    error: Option<String>,
    notice: Option<String>,
    status: u16,
) -> ApiResult<Response> {
    let token = fresh_token()?;
    let page =
        state
            .portal
            .login_page(&Viewer::anonymous(), next, &token, error, notice, status)?;
    let mut r = page_response(page, true);
    let h = r.headers_mut();
    h.append(
        header::SET_COOKIE,
        set_cookie(
            LOGIN,
            &token,
            3600,
            "/login",
            SameSite::Strict,
            secure(state),
        ),
    );
    Ok(r)
}

/// The sign-in form.
#[utoipa::path(get, path = "/login", tag = "portal",
    params(("next" = Option<String>, Query, description = "the local page to go back to")),
    responses((status = 200, description = "the sign-in form (an access token)", content_type = "text/html"),
              (status = 303, description = "already signed in: on to `next`")))]
pub async fn login_form(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> ApiResult<Response> {
    let next = session::local_path(&query(raw.as_deref(), "next").unwrap_or_else(|| "/me".into()));
    if let Some(c) = cookie(&headers, SESSION) {
        match state.catalog.accounts.session(&c).await? {
            Lookup::Valid(_) => return Ok(Redirect::to(&next).into_response()),
            Lookup::Ended => {
                let mut r = login_answer(
                    &state,
                    &next,
                    None,
                    Some("Your session has ended. Sign in again.".into()),
                    200,
                )?;
                r.headers_mut()
                    .append(header::SET_COOKIE, clear_session(secure(&state)));
                return Ok(r);
            }
        }
    }
    let notice =
        query(raw.as_deref(), "ended").map(|_| "Your session has ended. Sign in again.".to_owned());
    login_answer(&state, &next, None, notice, 200)
}

/// Sign in with an access token: a session cookie, then on to `next`.
#[utoipa::path(post, path = "/login", tag = "portal",
    request_body(content = String, content_type = "application/x-www-form-urlencoded", description = "token, next, _csrf"),
    responses((status = 303, description = "signed in: the session cookie is set"),
              (status = 401, description = "the token is unknown, expired or revoked: the form again", content_type = "text/html"),
              (status = 403, description = "the form's token is missing or the form came from another site", content_type = "text/html")))]
pub async fn login(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Response> {
    let form = fields(&body);
    let get = |k: &str| {
        form.iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.as_str())
            .unwrap_or("")
    };
    let next = session::local_path(get("next"));
    let ours = cookie(&headers, LOGIN);
    let csrf_ok = ours
        .as_deref()
        .is_some_and(|o| !o.is_empty() && o == get("_csrf"));
    if !csrf_ok || cross_site(&headers, &state) {
        return Ok(session::refused(&state, &Viewer::anonymous()));
    }
    let opened = state
        .catalog
        .accounts
        .open_session(SignIn::Token(get("token")))
        .await?;
    match opened {
        Ok(o) => {
            // Sessions that have ended are forgotten as new ones open.
            state.catalog.accounts.sweep_sessions().await?;
            let secs = (o.expires - Utc::now()).num_seconds();
            let mut r = Redirect::to(&next).into_response();
            let h = r.headers_mut();
            h.append(
                header::SET_COOKIE,
                set_cookie(SESSION, &o.cookie, secs, "/", SameSite::Lax, secure(&state)),
            );
            h.append(
                header::SET_COOKIE,
                set_cookie(LOGIN, "", 0, "/login", SameSite::Strict, secure(&state)),
            );
            Ok(r)
        }
        Err(why) => {
            let text = match why {
                Authentication::Expired => "That token has expired. Ask for a new one.",
                Authentication::Revoked => "That token has been revoked. Ask for a new one.",
                _ => "That is not a token this catalogue issued. Check it and try again.",
            };
            login_answer(&state, &next, Some(text.into()), None, 401)
        }
    }
}

/// Sign out: the session ends on the server and its cookie is cleared.
#[utoipa::path(post, path = "/logout", tag = "portal",
    request_body(content = String, content_type = "application/x-www-form-urlencoded", description = "_csrf"),
    responses((status = 303, description = "signed out, back to the search page"),
              (status = 403, description = "the form's token is missing or the form came from another site", content_type = "text/html")))]
pub async fn logout(
    State(state): State<AppState>,
    Browser(viewer): Browser,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Response> {
    let form = fields(&body);
    if let Some(r) = verify(&state, &viewer, &headers, &form, "/") {
        return Ok(r);
    }
    if let Some(c) = cookie(&headers, SESSION) {
        state.catalog.accounts.close_session(&c).await?;
    }
    let mut r = Redirect::to("/").into_response();
    r.headers_mut()
        .insert(header::SET_COOKIE, clear_session(secure(&state)));
    Ok(r)
}

fn signed_in(viewer: &Viewer, path: &str) -> Option<Response> {
    viewer
        .user()
        .is_none()
        .then(|| Redirect::to(&login_address(path, false)).into_response())
}

/// The signed-in reader's assets by state, and the new-asset form.
#[utoipa::path(get, path = "/me", tag = "portal",
    responses((status = 200, description = "my assets: drafts, sent back, in review, pending edits, shared privately, published; and a new asset", content_type = "text/html"),
              (status = 303, description = "not signed in: the sign-in page")))]
pub async fn me(
    State(state): State<AppState>,
    Browser(viewer): Browser,
    RawQuery(raw): RawQuery,
) -> ApiResult<Response> {
    if let Some(r) = signed_in(&viewer, "/me") {
        return Ok(r);
    }
    let notice = query(raw.as_deref(), "welcome").map(|_| "Signed in.".to_owned());
    let page = state
        .portal
        .me_page(&viewer, notice, ("", "Datalab", ""), None, 200)
        .await?;
    Ok(page_response(page, true))
}

/// Create a draft from the new-asset form.
#[utoipa::path(post, path = "/me/new", tag = "portal",
    request_body(content = String, content_type = "application/x-www-form-urlencoded", description = "id, type, name, _csrf"),
    responses((status = 303, description = "created: on to its editor"),
              (status = 409, description = "the id is taken: the form again with the reason", content_type = "text/html"),
              (status = 422, description = "not a valid asset: the form again with the reasons", content_type = "text/html")))]
pub async fn create(
    State(state): State<AppState>,
    Browser(viewer): Browser,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Response> {
    let form = fields(&body);
    if let Some(r) = verify(&state, &viewer, &headers, &form, "/me") {
        return Ok(r);
    }
    Ok(answer(state.portal.create(&viewer, &form).await?))
}

fn notice_of(raw: Option<&str>) -> Option<String> {
    if query(raw, "created").is_some() {
        return Some("Draft created. Fill in its metadata, then publish it.".into());
    }
    if let Some(r) = query(raw, "saved") {
        return Some(format!("Saved (revision {r})."));
    }
    if query(raw, "submitted").is_some() {
        return Some("Submitted.".into());
    }
    None
}

/// The metadata editor of an asset.
#[utoipa::path(get, path = "/assets/{id}/edit", tag = "portal",
    params(("id" = String, Path, description = "the asset id")),
    responses((status = 200, description = "the editor: every field the reader may write as a control, the rest read-only with why", content_type = "text/html"),
              (status = 303, description = "not signed in: the sign-in page"),
              (status = 403, description = "not the owner, a moderator or sciapps", content_type = "text/html"),
              (status = 404, description = "no such asset the reader may see", content_type = "text/html")))]
pub async fn edit_form(
    State(state): State<AppState>,
    Browser(viewer): Browser,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> ApiResult<Response> {
    if let Some(r) = signed_in(&viewer, &format!("/assets/{id}/edit")) {
        return Ok(r);
    }
    let page = state
        .portal
        .edit_page(&viewer, &id, notice_of(raw.as_deref()))
        .await?;
    Ok(page_response(page, true))
}

/// Save the editor's form (with `If-Match` on the revision it was drawn from), or preview it.
#[utoipa::path(post, path = "/assets/{id}/edit", tag = "portal",
    params(("id" = String, Path, description = "the asset id")),
    request_body(content = String, content_type = "application/x-www-form-urlencoded", description = "_csrf, revision, _fields and the fields"),
    responses((status = 303, description = "saved: back to the editor"),
              (status = 403, description = "a field the reader may not write, or a refused form: nothing changed", content_type = "text/html"),
              (status = 409, description = "the asset changed since the form was drawn: what changed, and the reader's input kept", content_type = "text/html"),
              (status = 422, description = "invalid values: the messages next to their fields", content_type = "text/html")))]
pub async fn edit(
    State(state): State<AppState>,
    Browser(viewer): Browser,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Response> {
    let form = fields(&body);
    if let Some(r) = verify(
        &state,
        &viewer,
        &headers,
        &form,
        &format!("/assets/{id}/edit"),
    ) {
        return Ok(r);
    }
    Ok(answer(state.portal.save(&viewer, &id, &form).await?))
}

/// Who may see an asset.
#[utoipa::path(get, path = "/assets/{id}/sharing", tag = "portal",
    params(("id" = String, Path, description = "the asset id")),
    responses((status = 200, description = "the audience now, and the form to change it", content_type = "text/html"),
              (status = 303, description = "not signed in: the sign-in page"),
              (status = 404, description = "no such asset the reader may see", content_type = "text/html")))]
pub async fn sharing_form(
    State(state): State<AppState>,
    Browser(viewer): Browser,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> ApiResult<Response> {
    if let Some(r) = signed_in(&viewer, &format!("/assets/{id}/sharing")) {
        return Ok(r);
    }
    let page = state
        .portal
        .sharing_page(&viewer, &id, notice_of(raw.as_deref()))
        .await?;
    Ok(page_response(page, true))
}

/// Change who may see an asset: public (after review) or private to users and groups.
#[utoipa::path(post, path = "/assets/{id}/sharing", tag = "portal",
    params(("id" = String, Path, description = "the asset id")),
    request_body(content = String, content_type = "application/x-www-form-urlencoded", description = "_csrf, revision, audience, users, groups"),
    responses((status = 303, description = "saved"),
              (status = 409, description = "the asset changed since the form was drawn", content_type = "text/html"),
              (status = 422, description = "a name that is not an account or group name", content_type = "text/html")))]
pub async fn share(
    State(state): State<AppState>,
    Browser(viewer): Browser,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Response> {
    let form = fields(&body);
    if let Some(r) = verify(
        &state,
        &viewer,
        &headers,
        &form,
        &format!("/assets/{id}/sharing"),
    ) {
        return Ok(r);
    }
    Ok(answer(state.portal.share(&viewer, &id, &form).await?))
}

async fn workflow(
    state: AppState,
    viewer: Viewer,
    id: String,
    headers: HeaderMap,
    body: Bytes,
    which: Transition,
) -> ApiResult<Response> {
    let form = fields(&body);
    if let Some(r) = verify(&state, &viewer, &headers, &form, &format!("/assets/{id}")) {
        return Ok(r);
    }
    Ok(answer(
        state.portal.transition(&viewer, &id, which, &form).await?,
    ))
}

/// Submit an asset from its editor (public: to review; private: shared at once).
#[utoipa::path(post, path = "/assets/{id}/submit", tag = "portal",
    params(("id" = String, Path, description = "the asset id")),
    request_body(content = String, content_type = "application/x-www-form-urlencoded", description = "_csrf, revision"),
    responses((status = 303, description = "submitted: back to the editor"),
              (status = 409, description = "not a draft, or changed since: the reason on the editor", content_type = "text/html"),
              (status = 422, description = "a licence is missing: the reason on the editor", content_type = "text/html")))]
pub async fn submit(
    State(state): State<AppState>,
    Browser(viewer): Browser,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Response> {
    workflow(state, viewer, id, headers, body, Transition::Submit).await
}

/// Approve a submission (a moderator other than the owner).
#[utoipa::path(post, path = "/assets/{id}/approve", tag = "portal",
    params(("id" = String, Path, description = "the asset id")),
    request_body(content = String, content_type = "application/x-www-form-urlencoded", description = "_csrf, revision"),
    responses((status = 303, description = "approved: back to the queue"),
              (status = 403, description = "not a moderator, or the moderator's own asset: the reason on the review page", content_type = "text/html")))]
pub async fn approve(
    State(state): State<AppState>,
    Browser(viewer): Browser,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Response> {
    workflow(state, viewer, id, headers, body, Transition::Approve).await
}

/// Reject a submission with a comment for its owner.
#[utoipa::path(post, path = "/assets/{id}/reject", tag = "portal",
    params(("id" = String, Path, description = "the asset id")),
    request_body(content = String, content_type = "application/x-www-form-urlencoded", description = "_csrf, revision, comment"),
    responses((status = 303, description = "sent back to draft: back to the queue"),
              (status = 422, description = "no comment: the reason on the review page", content_type = "text/html")))]
pub async fn reject(
    State(state): State<AppState>,
    Browser(viewer): Browser,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Response> {
    workflow(state, viewer, id, headers, body, Transition::Reject).await
}

/// The moderators' queue.
#[utoipa::path(get, path = "/review", tag = "portal",
    responses((status = 200, description = "assets and pending edits waiting for a moderator", content_type = "text/html"),
              (status = 303, description = "not signed in: the sign-in page"),
              (status = 403, description = "not a moderator", content_type = "text/html")))]
pub async fn queue(
    State(state): State<AppState>,
    Browser(viewer): Browser,
    RawQuery(raw): RawQuery,
) -> ApiResult<Response> {
    if let Some(r) = signed_in(&viewer, "/review") {
        return Ok(r);
    }
    let notice = query(raw.as_deref(), "approved")
        .map(|id| format!("Approved and published {id}."))
        .or_else(|| {
            query(raw.as_deref(), "rejected").map(|id| format!("Sent {id} back to its owner."))
        });
    let page = state.portal.queue_page(&viewer, notice).await?;
    Ok(page_response(page, true))
}

/// A submission's review page: what it changes against the published version.
#[utoipa::path(get, path = "/assets/{id}/review", tag = "portal",
    params(("id" = String, Path, description = "the asset id")),
    responses((status = 200, description = "the field-level differences, approve, reject with a comment", content_type = "text/html"),
              (status = 303, description = "not signed in: the sign-in page"),
              (status = 403, description = "not a moderator", content_type = "text/html")))]
pub async fn review(
    State(state): State<AppState>,
    Browser(viewer): Browser,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    if let Some(r) = signed_in(&viewer, &format!("/assets/{id}/review")) {
        return Ok(r);
    }
    let page = state.portal.review_page(&viewer, &id).await?;
    Ok(page_response(page, true))
}
