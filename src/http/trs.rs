//! The GA4GH Tool Registry Service 2.0 over the pipelines and datalabs, read-only, at
//! `/ga4gh/trs/v2` and at `/api/ga4gh/v2` (where cwltool's `--add-ga4gh-tool-registry` asks).
//!
//! Errors take TRS's own form (`{"code", "message"}`, `application/json`). Who sees what is
//! the rule of every other surface: a caller reads the tools it may read the assets of, by
//! bearer token; a private or unpublished pipeline answers 404 to anyone else, as a tool that
//! never existed does. The descriptor type in a path is read as the definition spells it
//! (`CWL`, `PLAIN_CWL`) and as cwltool does (`plain-CWL`).

use std::sync::Arc;

use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::AppState;
use super::auth::Auth;
use super::routes::{Route, route};
use crate::access::Caller;
use crate::artefact::trs::{self, FileWrapper, LATEST, ToolVersion};
use crate::catalog::tools::{Entry, Query, ToolView};
use crate::store::{Version, VersionFile};

pub use crate::artefact::trs::{ALIAS, ROOT};
/// The largest page of `GET /tools` (also its default, as the definition says).
pub const MAX_LIMIT: usize = 1000;

/// An error in TRS's form.
#[derive(Debug)]
pub struct TrsError {
    status: StatusCode,
    message: String,
}

impl TrsError {
    fn new(status: StatusCode, message: impl Into<String>) -> TrsError {
        TrsError {
            status,
            message: message.into(),
        }
    }

    fn not_found(message: impl Into<String>) -> TrsError {
        TrsError::new(StatusCode::NOT_FOUND, message)
    }

    fn bad_request(message: impl Into<String>) -> TrsError {
        TrsError::new(StatusCode::BAD_REQUEST, message)
    }

    fn internal(cause: impl std::fmt::Display) -> TrsError {
        tracing::error!(error = %cause, "internal error");
        TrsError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            super::error::INTERNAL_DETAIL,
        )
    }
}

impl IntoResponse for TrsError {
    fn into_response(self) -> Response {
        if self.status == StatusCode::INTERNAL_SERVER_ERROR {
            let mut r = self.status.into_response();
            r.extensions_mut().insert(super::error::Internal);
            return r;
        }
        let body = json!({"code": self.status.as_u16(), "message": self.message});
        (
            self.status,
            [(header::CONTENT_TYPE, "application/json")],
            body.to_string(),
        )
            .into_response()
    }
}

type TrsResult<T> = Result<T, TrsError>;

/// The routes, relative to `ROOT` (and `ALIAS`).
pub fn routes() -> Vec<Route<AppState>> {
    use axum::http::Method as M;
    vec![
        route(M::GET, "/service-info", service_info),
        route(M::GET, "/toolClasses", tool_classes),
        route(M::GET, "/tools", tools),
        route(M::GET, "/tools/{id}", tool),
        route(M::GET, "/tools/{id}/versions", versions),
        route(M::GET, "/tools/{id}/versions/{version_id}", version),
        route(
            M::GET,
            "/tools/{id}/versions/{version_id}/containerfile",
            containerfile,
        ),
        route(
            M::GET,
            "/tools/{id}/versions/{version_id}/{type}/descriptor",
            descriptor,
        ),
        route(
            M::GET,
            "/tools/{id}/versions/{version_id}/{type}/descriptor/{*relative_path}",
            descriptor_at,
        ),
        route(
            M::GET,
            "/tools/{id}/versions/{version_id}/{type}/tests",
            tests,
        ),
        route(
            M::GET,
            "/tools/{id}/versions/{version_id}/{type}/files",
            files,
        ),
    ]
}

fn json_body(bytes: Vec<u8>) -> Response {
    ([(header::CONTENT_TYPE, "application/json")], bytes).into_response()
}

fn json_of<T: serde::Serialize>(value: &T) -> TrsResult<Response> {
    serde_json::to_vec(value)
        .map(json_body)
        .map_err(TrsError::internal)
}

/// Brings the directory up to the store before a read.
async fn refresh(state: &AppState) -> TrsResult<()> {
    let (tools, store) = (state.tools.clone(), state.catalog.store.clone());
    tokio::task::spawn_blocking(move || tools.refresh(&store))
        .await
        .map_err(TrsError::internal)?
        .map_err(TrsError::internal)
}

/// GA4GH service-info.
#[utoipa::path(get, path = "/ga4gh/trs/v2/service-info", tag = "tools",
    responses((status = 200, description = "GA4GH service-info 1.0 of the tool registry", content_type = "application/json")))]
pub async fn service_info(State(state): State<AppState>) -> Response {
    let c = &state.config;
    let body = json!({
        "id": format!("{}.trs", c.authority),
        "name": "orrery tool registry",
        "type": {"group": "org.ga4gh", "artifact": "trs", "version": "2.0.1"},
        "description": "The platform's CWL pipelines and datalabs as a GA4GH Tool Registry Service (read-only).",
        "organization": {"name": c.publisher, "url": c.base_url},
        "contactUrl": format!("mailto:{}", c.admin_email),
        "documentationUrl": format!("{}/docs", c.base_url),
        "createdAt": state.catalog.store.created(),
        "environment": "production",
        "version": env!("CARGO_PKG_VERSION"),
    });
    json_body(body.to_string().into_bytes())
}

/// The tool classes.
#[utoipa::path(get, path = "/ga4gh/trs/v2/toolClasses", tag = "tools",
    responses((status = 200, description = "every ToolClass: Workflow, CommandLineTool, Service", content_type = "application/json")))]
pub async fn tool_classes() -> TrsResult<Response> {
    json_of(&trs::tool_classes())
}

fn parse_query(pairs: &[(String, String)]) -> TrsResult<(Query, usize, usize)> {
    let mut q = Query::default();
    let mut offset = 0;
    let mut limit = MAX_LIMIT;
    // An empty parameter is one not given (clients send the form's empty fields).
    for (k, v) in pairs.iter().filter(|(_, v)| !v.is_empty()) {
        let text = Some(v.clone());
        match k.as_str() {
            "id" => q.id = text,
            "alias" => q.alias = text,
            "toolClass" => q.tool_class = text,
            "descriptorType" => {
                if !["CWL", "WDL", "NFL", "GALAXY", "SMK"].contains(&v.as_str()) {
                    return Err(TrsError::bad_request(
                        "descriptorType is one of CWL, WDL, NFL, GALAXY, SMK",
                    ));
                }
                q.descriptor_type = text
            }
            "tags" => q.tags.extend(
                v.split(',')
                    .map(str::trim)
                    .filter(|t| !t.is_empty())
                    .map(str::to_owned),
            ),
            "registry" => q.registry = text,
            "organization" => q.organization = text,
            "name" => q.name = text,
            "toolname" => q.toolname = text,
            "description" => q.description = text,
            "author" => q.author = text,
            "checker" => {
                q.checker = Some(match v.as_str() {
                    "true" => true,
                    "false" => false,
                    _ => return Err(TrsError::bad_request("checker is true or false")),
                })
            }
            // The definition lets a registry choose its offsets and answers an offset past
            // the results with an empty page: one that is not an index of ours is past them.
            "offset" => offset = v.parse().unwrap_or(usize::MAX),
            "limit" => {
                // int32, as the definition types it.
                let n: i32 = v.parse().map_err(|_| {
                    TrsError::bad_request(format!("limit is a number from 1 to {MAX_LIMIT}"))
                })?;
                // Read into the range served; the headers say which limit was used.
                limit = usize::try_from(n.max(1))
                    .unwrap_or(MAX_LIMIT)
                    .min(MAX_LIMIT);
            }
            _ => {}
        }
    }
    Ok((q, offset, limit))
}

/// The page's URL at `offset`, with the request's filters.
fn page_url(base: &str, pairs: &[(String, String)], offset: usize, limit: usize) -> String {
    let mut s = form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs.iter().filter(|(k, _)| k != "offset" && k != "limit") {
        s.append_pair(k, v);
    }
    s.append_pair("offset", &offset.to_string());
    s.append_pair("limit", &limit.to_string());
    format!("{base}{ROOT}/tools?{}", s.finish())
}

/// Lists the tools, filtered, a page at a time.
#[utoipa::path(get, path = "/ga4gh/trs/v2/tools", tag = "tools",
    params(
        ("id" = Option<String>, Query, description = "a tool id (`#workflow/{asset}`, `#datalab/{asset}`)"),
        ("alias" = Option<String>, Query, description = "an alias (DOI, IVOA identifier)"),
        ("toolClass" = Option<String>, Query, description = "Workflow, CommandLineTool or Service"),
        ("descriptorType" = Option<String>, Query, description = "CWL"),
        ("tags" = Option<String>, Query, description = "keywords, comma-separated; every one must be the tool's"),
        ("registry" = Option<String>, Query, description = "the host of an image's registry"),
        ("organization" = Option<String>, Query, description = "part of the publishing organisation's name"),
        ("name" = Option<String>, Query, description = "part of an image's name"),
        ("toolname" = Option<String>, Query, description = "part of the tool's name"),
        ("description" = Option<String>, Query, description = "part of the tool's description"),
        ("author" = Option<String>, Query, description = "part of an author's name"),
        ("checker" = Option<bool>, Query, description = "checker workflows only (there are none)"),
        ("offset" = Option<String>, Query, description = "the index of the first tool, from 0"),
        ("limit" = Option<i32>, Query, description = "tools per page, 1 to 1000 (default 1000)"),
    ),
    responses((status = 200, description = "the page of tools, with the paging headers next_page, last_page, self_link, current_offset and current_limit", content_type = "application/json"),
              (status = 400, description = "a malformed parameter", content_type = "application/json")))]
pub async fn tools(
    State(state): State<AppState>,
    Auth(caller): Auth,
    RawQuery(raw): RawQuery,
) -> TrsResult<Response> {
    let pairs = super::search::pairs(raw.as_deref());
    let (q, offset, limit) = parse_query(&pairs)?;
    refresh(&state).await?;
    let (total, page) = state.tools.list(&caller, &q, offset, limit);
    let mut body = Vec::with_capacity(2 + page.iter().map(|t| t.len() + 1).sum::<usize>());
    body.push(b'[');
    for (i, t) in page.iter().enumerate() {
        if i > 0 {
            body.push(b',');
        }
        body.extend_from_slice(t);
    }
    body.push(b']');
    let base = &state.config.base_url;
    let last = if total == 0 {
        0
    } else {
        (total - 1) / limit * limit
    };
    let mut headers = HeaderMap::new();
    let mut put = |name: &'static str, value: String| {
        if let Ok(v) = HeaderValue::from_str(&value) {
            headers.insert(HeaderName::from_static(name), v);
        }
    };
    put("self_link", page_url(base, &pairs, offset, limit));
    put("last_page", page_url(base, &pairs, last, limit));
    if offset.saturating_add(limit) < total {
        put("next_page", page_url(base, &pairs, offset + limit, limit));
    }
    let given = pairs
        .iter()
        .rev()
        .find(|(k, v)| k == "offset" && !v.is_empty());
    put(
        "current_offset",
        given.map_or_else(|| offset.to_string(), |(_, v)| v.clone()),
    );
    put("current_limit", limit.to_string());
    put("x-total-count", total.to_string());
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    Ok((headers, body).into_response())
}

/// The entry of a tool id the caller may read.
async fn entry(state: &AppState, caller: &Caller, id: &str) -> TrsResult<Arc<Entry>> {
    refresh(state).await?;
    state
        .tools
        .get(caller, id)
        .ok_or_else(|| TrsError::not_found(format!("no tool {id:?}")))
}

fn view<'e>(entry: &'e Entry, caller: &Caller) -> TrsResult<&'e ToolView> {
    let keys = crate::access::reader_keys(caller);
    entry
        .view_for(caller, keys.as_deref())
        .ok_or_else(|| TrsError::not_found("no such tool"))
}

/// One tool.
#[utoipa::path(get, path = "/ga4gh/trs/v2/tools/{id}", tag = "tools",
    params(("id" = String, Path, description = "the tool id, percent-encoded (`%23workflow%2Fhello-pipeman`)")),
    responses((status = 200, description = "the Tool with its versions", content_type = "application/json"),
              (status = 404, description = "no tool the caller may read has this id", content_type = "application/json")))]
pub async fn tool(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Path(id): Path<String>,
) -> TrsResult<Response> {
    let e = entry(&state, &caller, &id).await?;
    Ok(json_body(view(&e, &caller)?.json.clone()))
}

/// The versions of a tool.
#[utoipa::path(get, path = "/ga4gh/trs/v2/tools/{id}/versions", tag = "tools",
    params(("id" = String, Path, description = "the tool id")),
    responses((status = 200, description = "its ToolVersions, oldest first (none for a tool the caller may not read)", content_type = "application/json")))]
pub async fn versions(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Path(id): Path<String>,
) -> TrsResult<Response> {
    // The definition answers this route with 200 only: a tool the caller cannot see (or
    // that does not exist) has no versions to list.
    match entry(&state, &caller, &id).await {
        Ok(e) => json_of(&view(&e, &caller)?.tool.versions),
        Err(e) if e.status == StatusCode::NOT_FOUND => json_of(&Vec::<ToolVersion>::new()),
        Err(e) => Err(e),
    }
}

/// A version as TRS names it: its document and, for a pipeline, the stored version.
fn find<'v>(
    view: &'v ToolView,
    version_id: &str,
) -> TrsResult<(&'v ToolVersion, Option<&'v Version>)> {
    let name = if version_id == LATEST {
        let newest = trs::latest(&view.versions).map(|v| v.name.as_str());
        match (newest, view.tool.versions.last()) {
            (Some(n), _) => n.to_owned(),
            (None, Some(tv)) if view.versions.is_empty() && tv.is_production => tv.id.clone(),
            _ => {
                return Err(TrsError::not_found(format!(
                    "{} has no published version",
                    view.tool.id
                )));
            }
        }
    } else {
        version_id.to_owned()
    };
    let tv = view
        .tool
        .versions
        .iter()
        .find(|v| v.id == name)
        .ok_or_else(|| {
            TrsError::not_found(format!("{} has no version {version_id:?}", view.tool.id))
        })?;
    Ok((tv, view.versions.iter().find(|v| v.name == name)))
}

/// One version of a tool.
#[utoipa::path(get, path = "/ga4gh/trs/v2/tools/{id}/versions/{version_id}", tag = "tools",
    params(("id" = String, Path, description = "the tool id"), ("version_id" = String, Path, description = "a version, or `latest` (the newest published)")),
    responses((status = 200, description = "the ToolVersion", content_type = "application/json"),
              (status = 404, description = "no such tool or version", content_type = "application/json")))]
pub async fn version(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Path((id, version_id)): Path<(String, String)>,
) -> TrsResult<Response> {
    let e = entry(&state, &caller, &id).await?;
    let (tv, _) = find(view(&e, &caller)?, &version_id)?;
    json_of(tv)
}

/// A descriptor type of a path: `CWL` or plain `CWL` (the only language of this registry).
fn descriptor_type(text: &str) -> TrsResult<bool> {
    let norm = text.to_ascii_uppercase().replace('-', "_");
    let (plain, language) = match norm.strip_prefix("PLAIN_") {
        Some(l) => (true, l),
        None => (false, norm.as_str()),
    };
    match language {
        "CWL" => Ok(plain),
        "WDL" | "NFL" | "GALAXY" | "SMK" => Err(TrsError::not_found(format!(
            "no {language} descriptor: the tools of this registry are described in CWL"
        ))),
        // The definition answers 404 for a type the tool "can not be output in".
        _ => Err(TrsError::not_found(format!(
            "{text:?} is not a descriptor type (CWL, WDL, NFL, GALAXY, SMK, or PLAIN_ before one)"
        ))),
    }
}

/// The stored version a file request is about.
async fn stored(
    state: &AppState,
    caller: &Caller,
    id: &str,
    version_id: &str,
) -> TrsResult<(Arc<Entry>, Version, String)> {
    let e = entry(state, caller, id).await?;
    let v = view(&e, caller)?;
    let (tv, stored) = find(v, version_id)?;
    let Some(stored) = stored.cloned() else {
        return Err(TrsError::not_found(format!(
            "{} {} has no files (a datalab is an image)",
            v.tool.id, tv.id
        )));
    };
    let url = tv.url.clone();
    Ok((e, stored, url))
}

async fn bytes_of(state: &AppState, file: &VersionFile) -> TrsResult<Vec<u8>> {
    let (store, sha) = (state.catalog.store.clone(), file.sha256.clone());
    tokio::task::spawn_blocking(move || store.blob(&sha))
        .await
        .map_err(TrsError::internal)?
        .map_err(TrsError::internal)?
        .ok_or_else(|| TrsError::internal(format!("blob {} is missing", file.sha256)))
}

/// A file of a version: its bytes plainly, or wrapped.
async fn serve_file(
    state: &AppState,
    version_url: &str,
    file: &VersionFile,
    plain: bool,
) -> TrsResult<Response> {
    let bytes = bytes_of(state, file).await?;
    if plain {
        let ct = if std::str::from_utf8(&bytes).is_ok() {
            "text/plain; charset=utf-8"
        } else {
            "application/octet-stream"
        };
        return Ok(([(header::CONTENT_TYPE, ct)], bytes).into_response());
    }
    json_of(&wrapped(version_url, file, bytes, Some("CWL")))
}

fn plain_url(version_url: &str, path: &str) -> String {
    let encoded: Vec<String> = path.split('/').map(trs::segment).collect();
    format!("{version_url}/PLAIN_CWL/descriptor/{}", encoded.join("/"))
}

fn wrapped(
    version_url: &str,
    file: &VersionFile,
    bytes: Vec<u8>,
    image_type: Option<&str>,
) -> FileWrapper {
    let content = String::from_utf8(bytes).ok();
    trs::wrap(
        file,
        content,
        plain_url(version_url, &file.path),
        image_type,
    )
}

/// The primary descriptor.
#[utoipa::path(get, path = "/ga4gh/trs/v2/tools/{id}/versions/{version_id}/{type}/descriptor", tag = "tools",
    params(("id" = String, Path, description = "the tool id"), ("version_id" = String, Path, description = "a version, or `latest`"),
           ("type" = String, Path, description = "CWL (a FileWrapper) or PLAIN_CWL (the file as it came; also plain-CWL)")),
    responses((status = 200, description = "the entry CWL file", content_type = "application/json"),
              (status = 404, description = "no such tool, version or descriptor", content_type = "application/json")))]
pub async fn descriptor(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Path((id, version_id, kind)): Path<(String, String, String)>,
) -> TrsResult<Response> {
    let plain = descriptor_type(&kind)?;
    let (_, v, url) = stored(&state, &caller, &id, &version_id).await?;
    let entry = v.entry.as_deref().unwrap_or_default();
    let file = v
        .files
        .iter()
        .find(|f| f.path == entry)
        .ok_or_else(|| TrsError::not_found("this version has no primary descriptor"))?;
    serve_file(&state, &url, file, plain).await
}

/// A file of a version by its path relative to the primary descriptor.
#[utoipa::path(get, path = "/ga4gh/trs/v2/tools/{id}/versions/{version_id}/{type}/descriptor/{relative_path}", tag = "tools",
    params(("id" = String, Path, description = "the tool id"), ("version_id" = String, Path, description = "a version, or `latest`"),
           ("type" = String, Path, description = "CWL or PLAIN_CWL"),
           ("relative_path" = String, Path, description = "a path relative to the primary descriptor's folder, encoded or not")),
    responses((status = 200, description = "the file", content_type = "application/json"),
              (status = 404, description = "no such file", content_type = "application/json")))]
pub async fn descriptor_at(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Path((id, version_id, kind, relative)): Path<(String, String, String, String)>,
) -> TrsResult<Response> {
    let plain = descriptor_type(&kind)?;
    let (_, v, url) = stored(&state, &caller, &id, &version_id).await?;
    let path = trs::resolve_relative(v.entry.as_deref(), &relative)
        .ok_or_else(|| TrsError::not_found(format!("no file {relative:?}")))?;
    let file = v
        .files
        .iter()
        .find(|f| f.path == path)
        .ok_or_else(|| TrsError::not_found(format!("no file {relative:?} in this version")))?;
    serve_file(&state, &url, file, plain).await
}

/// The test parameter files of a version.
#[utoipa::path(get, path = "/ga4gh/trs/v2/tools/{id}/versions/{version_id}/{type}/tests", tag = "tools",
    params(("id" = String, Path, description = "the tool id"), ("version_id" = String, Path, description = "a version, or `latest`"),
           ("type" = String, Path, description = "CWL or PLAIN_CWL")),
    responses((status = 200, description = "FileWrappers of its job files", content_type = "application/json"),
              (status = 404, description = "no such tool or version", content_type = "application/json")))]
pub async fn tests(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Path((id, version_id, kind)): Path<(String, String, String)>,
) -> TrsResult<Response> {
    descriptor_type(&kind)?;
    let (_, v, url) = stored(&state, &caller, &id, &version_id).await?;
    let mut out = Vec::new();
    for f in v
        .files
        .iter()
        .filter(|f| trs::file_type(&f.path, v.entry.as_deref()) == "TEST_FILE")
    {
        let bytes = bytes_of(&state, f).await?;
        out.push(wrapped(&url, f, bytes, None));
    }
    json_of(&out)
}

/// The container files of a version.
#[utoipa::path(get, path = "/ga4gh/trs/v2/tools/{id}/versions/{version_id}/containerfile", tag = "tools",
    params(("id" = String, Path, description = "the tool id"), ("version_id" = String, Path, description = "a version, or `latest`")),
    responses((status = 200, description = "FileWrappers of its Dockerfiles", content_type = "application/json"),
              (status = 404, description = "no such tool or version, or it has no container file", content_type = "application/json")))]
pub async fn containerfile(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Path((id, version_id)): Path<(String, String)>,
) -> TrsResult<Response> {
    let (_, v, url) = stored(&state, &caller, &id, &version_id).await?;
    let mut out = Vec::new();
    for f in v
        .files
        .iter()
        .filter(|f| trs::file_type(&f.path, v.entry.as_deref()) == "CONTAINERFILE")
    {
        let bytes = bytes_of(&state, f).await?;
        out.push(wrapped(&url, f, bytes, Some("Docker")));
    }
    if out.is_empty() {
        return Err(TrsError::not_found(
            "this version has no container specification",
        ));
    }
    json_of(&out)
}

/// The files of a version, listed or zipped.
#[utoipa::path(get, path = "/ga4gh/trs/v2/tools/{id}/versions/{version_id}/{type}/files", tag = "tools",
    params(("id" = String, Path, description = "the tool id"), ("version_id" = String, Path, description = "a version, or `latest`"),
           ("type" = String, Path, description = "CWL"),
           ("format" = Option<String>, Query, description = "`zip`: every file in one zip archive")),
    responses((status = 200, description = "ToolFiles (path, file_type, checksum), or the zip", content_type = "application/json"),
              (status = 404, description = "no such tool or version, or a format other than zip", content_type = "application/json")))]
pub async fn files(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Path((id, version_id, kind)): Path<(String, String, String)>,
    RawQuery(raw): RawQuery,
) -> TrsResult<Response> {
    descriptor_type(&kind)?;
    let format = form_urlencoded::parse(raw.unwrap_or_default().as_bytes())
        .find(|(k, _)| k == "format")
        .map(|(_, v)| v.into_owned());
    let (_, v, _) = stored(&state, &caller, &id, &version_id).await?;
    match format.as_deref() {
        None => json_of(&trs::tool_files(&v)),
        Some("zip") => {
            let mut files = Vec::with_capacity(v.files.len());
            for f in &v.files {
                files.push((f.path.clone(), bytes_of(&state, f).await?));
            }
            let zip = tokio::task::spawn_blocking(move || zip_of(&files))
                .await
                .map_err(TrsError::internal)?
                .map_err(TrsError::internal)?;
            let name = format!(
                "attachment; filename=\"{}-{}.zip\"",
                trs::parse_tool_id(&id).map_or("tool", |(_, a)| a),
                v.name
                    .chars()
                    .filter(|c| c.is_ascii_alphanumeric() || ".-_".contains(*c))
                    .collect::<String>()
            );
            Ok((
                [
                    (header::CONTENT_TYPE, "application/zip".to_owned()),
                    (header::CONTENT_DISPOSITION, name),
                ],
                zip,
            )
                .into_response())
        }
        // The definition answers 404 for files that "can not be output" as asked.
        Some(other) => Err(TrsError::not_found(format!(
            "format {other:?}: the files are listed as JSON, or zipped with format=zip"
        ))),
    }
}

fn zip_of(files: &[(String, Vec<u8>)]) -> zip::result::ZipResult<Vec<u8>> {
    use std::io::Write as _;
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (path, bytes) in files {
        w.start_file(path.as_str(), options)?;
        w.write_all(bytes)?;
    }
    Ok(w.finish()?.into_inner())
}
