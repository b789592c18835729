//! Writing assets: `POST /api/v1/assets`, `PUT|PATCH|DELETE /api/v1/assets/{id}`, the workflow
//! transitions and `GET /api/v1/assets/{id}/history`.
//!
//! Handlers check the request's form (token, content type, `If-Match`) and leave every decision
//! about the asset to `write`; the answer carries the asset as the caller now sees it and its
//! `ETag`.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::AppState;
use super::assets::{load, view, view_at};
use super::auth::Auth;
use super::error::{ApiError, ApiResult};
use crate::access::{self, Caller};
use crate::catalog::write::{self, IfMatch, Transition, Written};

const JSON: &str = "application/json";
const MERGE_PATCH: &str = "application/merge-patch+json";

/// The media type of the body, without parameters, lower-cased.
fn media_type(headers: &HeaderMap) -> Option<String> {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            v.split(';')
                .next()
                .unwrap_or_default()
                .trim()
                .to_ascii_lowercase()
        })
}

fn require_type(headers: &HeaderMap, wanted: &'static str) -> ApiResult<()> {
    match media_type(headers) {
        Some(t) if t == wanted => Ok(()),
        got => {
            let e = ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                format!(
                    "the body must be {wanted}, not {}",
                    got.as_deref().unwrap_or("untyped")
                ),
            );
            Err(if wanted == MERGE_PATCH {
                e.with_header(HeaderName::from_static("accept-patch"), MERGE_PATCH)
            } else {
                e
            })
        }
    }
}

use axum::http::HeaderName;

/// Parses `If-Match`: `*` or a list of entity tags. Weak tags never match (RFC 9110 strong
/// comparison); a tag this service did not issue matches nothing.
fn if_match(headers: &HeaderMap) -> ApiResult<Option<IfMatch>> {
    let values: Vec<&str> = headers
        .get_all(header::IF_MATCH)
        .iter()
        .map(|v| v.to_str())
        .collect::<Result<_, _>>()
        .map_err(|_| ApiError::bad_request("If-Match is not readable"))?;
    if values.is_empty() {
        return Ok(None);
    }
    let mut revisions = Vec::new();
    for tag in values.iter().flat_map(|v| v.split(',')).map(str::trim) {
        if tag == "*" {
            return Ok(Some(IfMatch::Any));
        }
        let Some(inner) = tag.strip_prefix('"').and_then(|t| t.strip_suffix('"')) else {
            continue;
        };
        let digits = inner.split('-').next().unwrap_or_default();
        if let Ok(r) = digits.parse::<u64>() {
            revisions.push(r);
        }
    }
    Ok(Some(IfMatch::Revisions(revisions)))
}

fn etag(revision: u64) -> HeaderValue {
    HeaderValue::from_str(&format!("\"{revision}\"")).unwrap_or(HeaderValue::from_static("\"0\""))
}

/// The `Orrery-Revision` of a write: a read with `min_revision` at it sees the write.
fn revision_header(revision: u64) -> HeaderValue {
    HeaderValue::from(revision)
}

/// The asset as the write left it, read afresh when the caller may not read it whole.
async fn written_view(
    state: &AppState,
    caller: Caller,
    id: String,
    written: Written,
) -> ApiResult<super::assets::AssetView> {
    let st = state.clone();
    tokio::task::spawn_blocking(move || match written.asset {
        Some(asset) if access::grant(&caller, &asset) == Some(access::Grant::Full) => {
            view_at(&st, &caller, asset, written.revision, written.pending)
        }
        _ => {
            let asset = load(&st, &caller, &id)?;
            view(&st, &caller, asset)
        }
    })
    .await
    .map_err(ApiError::internal)?
}

/// The asset as the write left it, with the write's `ETag` (and `Location` when made).
async fn answer(
    state: &AppState,
    caller: Caller,
    id: String,
    written: Written,
    status: StatusCode,
) -> ApiResult<Response> {
    let revision = written.revision;
    let v = written_view(state, caller, id, written).await?;
    let mut response = (
        status,
        [
            (header::ETAG, etag(revision)),
            (super::replica::REVISION, revision_header(revision)),
        ],
        Json(&v),
    )
        .into_response();
    if status == StatusCode::CREATED
        && let Ok(loc) = HeaderValue::from_str(&v.links.self_)
    {
        response.headers_mut().insert(header::LOCATION, loc);
    }
    Ok(response)
}

/// Create an asset (a draft owned by the caller).
#[utoipa::path(post, path = "/api/v1/assets", tag = "write",
    request_body(content = crate::model::Asset, content_type = "application/json"),
    security(("bearer" = [])),
    responses(
        (status = 201, description = "created; Location and ETag name it", body = super::assets::AssetView),
        (status = 400, description = "malformed JSON", body = super::error::ProblemDetails, content_type = "application/problem+json"),
        (status = 401, description = "no valid token", body = super::error::ProblemDetails, content_type = "application/problem+json"),
        (status = 403, description = "a field the caller may not write (named)", body = super::error::ProblemDetails, content_type = "application/problem+json"),
        (status = 409, description = "the id is taken", body = super::error::ProblemDetails, content_type = "application/problem+json"),
        (status = 415, description = "not application/json", body = super::error::ProblemDetails, content_type = "application/problem+json"),
        (status = 422, description = "not a valid asset document (problems with JSON pointers)", body = super::error::ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn create(
    State(state): State<AppState>,
    auth: Auth,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Response> {
    let caller = auth.account()?;
    require_type(&headers, JSON)?;
    let written = write::create(&state.catalog, &caller, &body).await?;
    let id = written
        .asset
        .as_ref()
        .map(|a| a.id.clone())
        .unwrap_or_default();
    answer(&state, caller, id, written, StatusCode::CREATED).await
}

/// Replace an asset (the fields the caller may not write are kept when left out).
#[utoipa::path(put, path = "/api/v1/assets/{id}", tag = "write",
    params(("id" = String, Path, description = "local asset id"),
           ("If-Match" = Option<String>, Header, description = "the ETag the change was made from")),
    request_body(content = crate::model::Asset, content_type = "application/json"),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "the asset now (a published public asset keeps its published version and shows the edit as `pending`)", body = super::assets::AssetView),
        (status = 401, description = "no valid token", body = super::error::ProblemDetails, content_type = "application/problem+json"),
        (status = 403, description = "a field the caller may not write (named)", body = super::error::ProblemDetails, content_type = "application/problem+json"),
        (status = 404, description = "no such asset visible to the caller", body = super::error::ProblemDetails, content_type = "application/problem+json"),
        (status = 412, description = "If-Match names an older revision", body = super::error::ProblemDetails, content_type = "application/problem+json"),
        (status = 415, description = "not application/json", body = super::error::ProblemDetails, content_type = "application/problem+json"),
        (status = 422, description = "not a valid asset document", body = super::error::ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn replace(
    State(state): State<AppState>,
    Path(id): Path<String>,
    auth: Auth,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Response> {
    let caller = auth.account()?;
    require_type(&headers, JSON)?;
    let pre = if_match(&headers)?;
    let written = write::replace(&state.catalog, &caller, &id, &body, pre.as_ref()).await?;
    answer(&state, caller, id, written, StatusCode::OK).await
}

/// Change some fields of an asset (RFC 7396 merge patch).
#[utoipa::path(patch, path = "/api/v1/assets/{id}", tag = "write",
    params(("id" = String, Path, description = "local asset id"),
           ("If-Match" = Option<String>, Header, description = "the ETag the change was made from")),
    request_body(content = Object, content_type = "application/merge-patch+json"),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "the asset now", body = super::assets::AssetView),
        (status = 401, description = "no valid token", body = super::error::ProblemDetails, content_type = "application/problem+json"),
        (status = 403, description = "a field the caller may not write (named)", body = super::error::ProblemDetails, content_type = "application/problem+json"),
        (status = 404, description = "no such asset visible to the caller", body = super::error::ProblemDetails, content_type = "application/problem+json"),
        (status = 412, description = "If-Match names an older revision", body = super::error::ProblemDetails, content_type = "application/problem+json"),
        (status = 415, description = "not application/merge-patch+json", body = super::error::ProblemDetails, content_type = "application/problem+json"),
        (status = 422, description = "the patched document is not valid", body = super::error::ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn patch(
    State(state): State<AppState>,
    Path(id): Path<String>,
    auth: Auth,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Response> {
    let caller = auth.account()?;
    require_type(&headers, MERGE_PATCH)?;
    let pre = if_match(&headers)?;
    let written = write::patch(&state.catalog, &caller, &id, &body, pre.as_ref()).await?;
    answer(&state, caller, id, written, StatusCode::OK).await
}

/// Delete an asset (a tombstone remains for harvesters).
#[utoipa::path(delete, path = "/api/v1/assets/{id}", tag = "write",
    params(("id" = String, Path, description = "local asset id"),
           ("If-Match" = Option<String>, Header, description = "the ETag the deletion was decided on")),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "deleted"),
        (status = 401, description = "no valid token", body = super::error::ProblemDetails, content_type = "application/problem+json"),
        (status = 403, description = "neither owner, moderator nor sciapps", body = super::error::ProblemDetails, content_type = "application/problem+json"),
        (status = 404, description = "no such asset visible to the caller", body = super::error::ProblemDetails, content_type = "application/problem+json"),
        (status = 412, description = "If-Match names an older revision", body = super::error::ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn delete(
    State(state): State<AppState>,
    Path(id): Path<String>,
    auth: Auth,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let caller = auth.account()?;
    let pre = if_match(&headers)?;
    let written = write::delete(&state.catalog, &caller, &id, pre.as_ref()).await?;
    Ok((
        StatusCode::NO_CONTENT,
        [(super::replica::REVISION, revision_header(written.revision))],
    )
        .into_response())
}

/// The optional body of a workflow transition.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TransitionBody {
    /// For the owner (required to reject).
    pub comment: Option<String>,
}

async fn transition(
    state: AppState,
    id: String,
    auth: Auth,
    headers: HeaderMap,
    body: Bytes,
    which: Transition,
) -> ApiResult<Response> {
    let caller = auth.account()?;
    let parsed = if body.iter().all(u8::is_ascii_whitespace) {
        TransitionBody::default()
    } else {
        require_type(&headers, JSON)?;
        serde_json::from_slice(&body).map_err(|e| {
            ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                format!("the body is {{\"comment\": \"...\"}}: {e}"),
            )
        })?
    };
    let pre = if_match(&headers)?;
    let written = write::transition(
        &state.catalog,
        &caller,
        &id,
        which,
        parsed.comment,
        pre.as_ref(),
    )
    .await?;
    answer(&state, caller, id, written, StatusCode::OK).await
}

macro_rules! transition_handler {
    ($name:ident, $which:expr, $path:literal, $doc:literal) => {
        #[doc = $doc]
        #[utoipa::path(post, path = $path, tag = "workflow",
            params(("id" = String, Path, description = "local asset id"),
                   ("If-Match" = Option<String>, Header, description = "the ETag the decision was made on")),
            request_body(content = Option<TransitionBody>, content_type = "application/json"),
            security(("bearer" = [])),
            responses(
                (status = 200, description = "the asset after the transition", body = super::assets::AssetView),
                (status = 401, description = "no valid token", body = super::error::ProblemDetails, content_type = "application/problem+json"),
                (status = 403, description = "not allowed for this caller", body = super::error::ProblemDetails, content_type = "application/problem+json"),
                (status = 404, description = "no such asset visible to the caller", body = super::error::ProblemDetails, content_type = "application/problem+json"),
                (status = 409, description = "the asset is not in a state this transition starts from", body = super::error::ProblemDetails, content_type = "application/problem+json"),
                (status = 412, description = "If-Match names an older revision", body = super::error::ProblemDetails, content_type = "application/problem+json"),
                (status = 422, description = "a licence is missing (submit) or a comment (reject)", body = super::error::ProblemDetails, content_type = "application/problem+json"),
            ))]
        pub async fn $name(
            State(state): State<AppState>,
            Path(id): Path<String>,
            auth: Auth,
            headers: HeaderMap,
            body: Bytes,
        ) -> ApiResult<Response> {
            transition(state, id, auth, headers, body, $which).await
        }
    };
}

transition_handler!(
    submit,
    Transition::Submit,
    "/api/v1/assets/{id}/submit",
    "Submit for publication: a public audience goes to review, a private one is shared at once."
);
transition_handler!(
    approve,
    Transition::Approve,
    "/api/v1/assets/{id}/approve",
    "Approve a submitted asset or pending revision (a moderator other than the owner)."
);
transition_handler!(
    reject,
    Transition::Reject,
    "/api/v1/assets/{id}/reject",
    "Send a submitted asset or pending revision back to draft with a comment (a moderator)."
);

/// An asset's history.
#[derive(Debug, Serialize, ToSchema)]
pub struct History {
    pub id: String,
    /// Every change and transition, oldest first: revision, at, action, by, roles, changes
    /// (field, from, to), status (from, to), comment, pending.
    pub events: Vec<serde_json::Value>,
}

/// Every change and transition of an asset (owner, moderators, sciapps).
#[utoipa::path(get, path = "/api/v1/assets/{id}/history", tag = "workflow",
    params(("id" = String, Path, description = "local asset id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "the events, oldest first", body = History),
        (status = 401, description = "no valid token", body = super::error::ProblemDetails, content_type = "application/problem+json"),
        (status = 403, description = "neither owner, moderator nor sciapps", body = super::error::ProblemDetails, content_type = "application/problem+json"),
        (status = 404, description = "no such asset visible to the caller", body = super::error::ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn history(
    State(state): State<AppState>,
    Path(id): Path<String>,
    auth: Auth,
) -> ApiResult<Response> {
    let caller = auth.account()?;
    let events = write::history(&state.catalog, &caller, &id).await?;
    Ok(Json(History { id, events }).into_response())
}

/// What a push says beside its body (all optional; `manifest.json` and the CWL say the rest).
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PushParams {
    /// The asset id (else the manifest's, else made from the pipeline's name).
    id: Option<String>,
    /// The version name (else the manifest's, else the CWL's `s:softwareVersion`).
    version: Option<String>,
    /// What changed in this version.
    version_description: Option<String>,
    /// The default engine: `cwltool` or `Calrissian`.
    engine: Option<String>,
    /// The CWL file the pipeline starts from (with `#process` for a packed document).
    entry: Option<String>,
    /// The name of a single pushed file (default `pipeline.cwl`).
    file_name: Option<String>,
}

/// What a push stored.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PushAnswer {
    pub id: String,
    /// Whether this push made the asset.
    pub created: bool,
    pub version: PushedVersion,
    /// What the push left out, and why (a licence the catalogue does not know…).
    pub notices: Vec<String>,
    /// The asset as the caller now sees it.
    pub asset: super::assets::AssetView,
}

/// The version a push stored.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PushedVersion {
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    pub published: bool,
    pub revision: u64,
    pub entry: Option<String>,
    /// Every file of the bundle, as it came.
    pub files: Vec<PushedFile>,
}

#[derive(Serialize, ToSchema)]
pub struct PushedFile {
    pub path: String,
    pub sha256: String,
    pub size: u64,
}

/// The media types a push may carry (the content itself is told by its first bytes).
const PUSH_TYPES: &[&str] = &[
    "application/zip",
    "application/gzip",
    "application/x-gzip",
    "application/x-tar",
    "application/x-compressed-tar",
    "application/yaml",
    "application/x-yaml",
    "text/yaml",
    "text/x-yaml",
    "application/json",
    "application/cwl",
    "application/cwl+yaml",
    "application/cwl+json",
    "text/plain",
    "application/octet-stream",
    "application/vnd.oci.image.config.v1+json",
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.oci.image.index.v1+json",
    "text/x-dockerfile",
];

/// Push a CWL pipeline as a new version: one `.cwl` file (YAML or JSON), a packed `$graph`
/// document, or a zip or tar.gz bundle with `manifest.json` (see
/// `schemas/pipeline-manifest.schema.json`).
#[utoipa::path(post, path = "/api/v1/pipelines", tag = "write",
    params(PushParams),
    request_body(content = Vec<u8>, description = "a CWL document, or a zip or tar.gz bundle", content_type = "application/zip"),
    security(("bearer" = [])),
    responses(
        (status = 201, description = "a new pipeline; Location names it", body = PushAnswer),
        (status = 200, description = "a new version of an existing pipeline (of a published public one, pending review)", body = PushAnswer),
        (status = 400, description = "a parameter this push does not know", body = super::error::ProblemDetails, content_type = "application/problem+json"),
        (status = 401, description = "no valid token", body = super::error::ProblemDetails, content_type = "application/problem+json"),
        (status = 403, description = "the caller may not write this pipeline", body = super::error::ProblemDetails, content_type = "application/problem+json"),
        (status = 409, description = "the version is published (immutable), or the id is another's", body = super::error::ProblemDetails, content_type = "application/problem+json"),
        (status = 413, description = "the body is over the size limit", body = super::error::ProblemDetails, content_type = "application/problem+json"),
        (status = 415, description = "not a CWL document or a bundle", body = super::error::ProblemDetails, content_type = "application/problem+json"),
        (status = 422, description = "invalid CWL, a bad bundle or manifest: each problem names the file, line and column", body = super::error::ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn push(
    State(state): State<AppState>,
    auth: Auth,
    headers: HeaderMap,
    uri: axum::http::Uri,
    body: Bytes,
) -> ApiResult<Response> {
    let caller = auth.account()?;
    push_media(&headers, "a CWL document or a zip or tar.gz bundle")?;
    let params: PushParams = push_params(&uri)?;
    let pushed = write::push(
        &state.catalog,
        &caller,
        write::Push {
            bytes: body.to_vec(),
            file_name: params.file_name,
            id: params.id,
            version: params.version,
            version_description: params.version_description,
            engine: params.engine,
            entry: params.entry,
            mirrors: crate::artefact::cwl::Mirrors::parse(&state.config.cwl_mirrors)
                .map_err(ApiError::internal)?,
        },
    )
    .await?;
    pushed_answer(&state, caller, pushed).await
}

/// Refuses a push whose media type is none of [`PUSH_TYPES`] (`what` says what a push is).
fn push_media(headers: &HeaderMap, what: &str) -> ApiResult<()> {
    match media_type(headers) {
        Some(t) if !PUSH_TYPES.contains(&t.as_str()) => Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            format!("a push is {what}, not {t}"),
        )),
        _ => Ok(()),
    }
}

/// A push's query parameters; one it does not know is a 400 naming those it does.
fn push_params<T: serde::de::DeserializeOwned>(uri: &axum::http::Uri) -> ApiResult<T> {
    axum::extract::Query::<T>::try_from_uri(uri)
        .map(|q| q.0)
        .map_err(|e| ApiError::bad_request(format!("a push's parameters: {}", e.body_text())))
}

/// The answer to a push: 201 with Location for a new asset, else 200; the stored version and
/// the asset as the caller now sees it.
async fn pushed_answer(
    state: &AppState,
    caller: Caller,
    pushed: write::Pushed,
) -> ApiResult<Response> {
    let id = pushed.version.asset.clone();
    let status = if pushed.created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    let revision = pushed.written.revision;
    let asset = written_view(state, caller, id.clone(), pushed.written).await?;
    let v = pushed.version;
    let out = PushAnswer {
        id,
        created: pushed.created,
        version: PushedVersion {
            name: v.name,
            description: v.description,
            published: v.published,
            revision: v.revision,
            entry: v.entry,
            files: v
                .files
                .into_iter()
                .map(|f| PushedFile {
                    path: f.path,
                    sha256: f.sha256,
                    size: f.size,
                })
                .collect(),
        },
        notices: pushed.notices,
        asset,
    };
    let mut response = (
        status,
        [
            (header::ETAG, etag(revision)),
            (super::replica::REVISION, revision_header(revision)),
        ],
        Json(&out),
    )
        .into_response();
    if status == StatusCode::CREATED
        && let Ok(loc) = HeaderValue::from_str(&out.asset.links.self_)
    {
        response.headers_mut().insert(header::LOCATION, loc);
    }
    Ok(response)
}

/// What a datalab push says beside its body (all optional; the package says the rest).
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DatalabPushParams {
    /// The asset id (else the package's, else made from the datalab's name).
    id: Option<String>,
    /// The version name (else the package's, else the image's tag).
    version: Option<String>,
    /// What changed in this version.
    version_description: Option<String>,
    /// The image reference (`host/repository:tag`), when the package cannot say it: an OCI
    /// image config or annotations do not name their image.
    image: Option<String>,
    /// Which profile of an application-hub `profiles` list (its id or slug).
    profile: Option<String>,
    /// The name of a single pushed file (default `datalab.json`).
    file_name: Option<String>,
}

/// Push a datalab package as a new version (an image build): its manifest (see
/// `schemas/datalab-manifest.schema.json`), an OCI image config, manifest or annotations,
/// `docker inspect` output, an application-hub profile, a Dockerfile with labels, or a zip or
/// tar.gz bundle of them.
#[utoipa::path(post, path = "/api/v1/datalabs", tag = "write",
    params(DatalabPushParams),
    request_body(content = Vec<u8>, description = "a datalab descriptor (JSON or YAML), a Dockerfile, or a zip or tar.gz bundle", content_type = "application/json"),
    security(("bearer" = [])),
    responses(
        (status = 201, description = "a new datalab; Location names it", body = PushAnswer),
        (status = 200, description = "a new version of an existing datalab (of a published public one, pending review)", body = PushAnswer),
        (status = 400, description = "a parameter this push does not know", body = super::error::ProblemDetails, content_type = "application/problem+json"),
        (status = 401, description = "no valid token", body = super::error::ProblemDetails, content_type = "application/problem+json"),
        (status = 403, description = "the caller may not write this datalab", body = super::error::ProblemDetails, content_type = "application/problem+json"),
        (status = 409, description = "the version is published (immutable), or the id is another's", body = super::error::ProblemDetails, content_type = "application/problem+json"),
        (status = 413, description = "the body is over the size limit", body = super::error::ProblemDetails, content_type = "application/problem+json"),
        (status = 415, description = "not a datalab descriptor or a bundle", body = super::error::ProblemDetails, content_type = "application/problem+json"),
        (status = 422, description = "not a datalab package, or a manifest against its schema: each problem names the file and the JSON pointer", body = super::error::ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn push_datalab(
    State(state): State<AppState>,
    auth: Auth,
    headers: HeaderMap,
    uri: axum::http::Uri,
    body: Bytes,
) -> ApiResult<Response> {
    let caller = auth.account()?;
    push_media(
        &headers,
        "a datalab descriptor (JSON or YAML), a Dockerfile, or a zip or tar.gz bundle",
    )?;
    let params: DatalabPushParams = push_params(&uri)?;
    let pushed = write::push_datalab(
        &state.catalog,
        &caller,
        write::DatalabPush {
            bytes: body.to_vec(),
            file_name: params.file_name,
            id: params.id,
            version: params.version,
            version_description: params.version_description,
            image: params.image,
            profile: params.profile,
        },
    )
    .await?;
    pushed_answer(&state, caller, pushed).await
}

/// What an import made.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ImportAnswer {
    /// The assets made, each a draft owned by the caller, in the document's order.
    pub created: Vec<ImportedAsset>,
    /// What was left out, and why (a licence the catalogue does not know, a field the caller
    /// may not write…).
    pub notices: Vec<String>,
}

#[derive(Serialize, ToSchema)]
pub struct ImportedAsset {
    pub id: String,
    /// The resource it was read from (its IRI, or `_:…` for a blank node).
    pub subject: String,
    pub revision: u64,
    /// Where the asset is.
    pub href: String,
}

/// Import a schema.org or DCAT document: every `schema:Dataset`, `SoftwareApplication`,
/// `WebApplication`, `ComputationalWorkflow`, `dcat:Dataset` and `dcat:DatasetSeries` it
/// describes becomes a draft owned by the caller (all or nothing). JSON-LD contexts of
/// schema.org and DCAT-AP 3 are bundled; nothing is fetched.
#[utoipa::path(post, path = "/api/v1/import", tag = "write",
    request_body(content = Vec<u8>, description = "JSON-LD, Turtle, RDF/XML or N-Triples", content_type = "text/turtle"),
    security(("bearer" = [])),
    responses(
        (status = 201, description = "the assets made", body = ImportAnswer),
        (status = 401, description = "no valid token", body = super::error::ProblemDetails, content_type = "application/problem+json"),
        (status = 403, description = "the caller may not write assets", body = super::error::ProblemDetails, content_type = "application/problem+json"),
        (status = 409, description = "an id is taken: nothing was imported", body = super::error::ProblemDetails, content_type = "application/problem+json"),
        (status = 413, description = "the body is over the size limit", body = super::error::ProblemDetails, content_type = "application/problem+json"),
        (status = 415, description = "not application/ld+json, text/turtle, application/rdf+xml or application/n-triples", body = super::error::ProblemDetails, content_type = "application/problem+json"),
        (status = 422, description = "not readable (the line and column), no resource the catalogue knows, or a resource that is no valid asset: nothing was imported", body = super::error::ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn import(
    State(state): State<AppState>,
    auth: Auth,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Response> {
    let caller = auth.account()?;
    let format = media_type(&headers)
        .as_deref()
        .and_then(crate::linked::import::Format::from_media_type)
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "an import is application/ld+json, text/turtle, application/rdf+xml or application/n-triples",
            )
        })?;
    let base = format!("{}/import/", state.config.base_url.trim_end_matches('/'));
    let done = write::import(&state.catalog, &caller, &body, format, &base).await?;
    let out = ImportAnswer {
        created: done
            .made
            .into_iter()
            .map(|m| ImportedAsset {
                href: format!(
                    "{}/api/v1/assets/{}",
                    state.config.base_url.trim_end_matches('/'),
                    m.id
                ),
                id: m.id,
                subject: m.subject,
                revision: m.revision,
            })
            .collect(),
        notices: done.notices,
    };
    Ok((StatusCode::CREATED, Json(&out)).into_response())
}
