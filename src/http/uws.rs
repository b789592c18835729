//! The UWS 1.1 REST binding of a job list (TAP's `/async`): the job list, each job and its
//! child resources, and the reading of TAP/UWS request parameters that `/sync` shares.
//!
//! [`router`] serves the paths relative to the job list; whoever mounts it nests it at the
//! list's path and passes the list's absolute URL, from which every `Location` and `xlink:href`
//! is built. Containers (list, job, parameters, results) answer `text/xml`, atomic values
//! `text/plain`; state changes answer 303 See Other, as UWS requires. Errors are plain text:
//! 404 for an unknown or destroyed job, 400 for a malformed value, 403 for a change the job's
//! phase forbids (UWS 1.1 §2.2), 503 when the list is full.

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{FromRequest, Multipart, Path, Request, State};
use axum::http::{Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use crate::tap::params::Params;
use crate::tap::uws::{
    Filter, JobError, Jobs, Phase, Posted, Runner, format_instant, job_xml, jobs_xml,
    parameters_xml, results_xml,
};

/// The parameters of a TAP or UWS request: the query string, and for POST also the body, an
/// `application/x-www-form-urlencoded` form or `multipart/form-data` (whose file parts are
/// left out: inline uploads are not read). Another body type is refused, naming it.
pub async fn read_params(req: Request) -> Result<Params, String> {
    let mut params: Params = req
        .uri()
        .query()
        .map(|q| pairs(q.as_bytes()))
        .unwrap_or_default();
    if req.method() != Method::POST {
        return Ok(params);
    }
    let media = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|v| v.trim().to_ascii_lowercase())
        .unwrap_or_default();
    match media.as_str() {
        "application/x-www-form-urlencoded" => {
            let body = Bytes::from_request(req, &())
                .await
                .map_err(|e| e.body_text())?;
            params.extend(pairs(&body));
        }
        "multipart/form-data" => {
            let mut form = Multipart::from_request(req, &())
                .await
                .map_err(|e| e.body_text())?;
            while let Some(field) = form.next_field().await.map_err(|e| e.body_text())? {
                if field.file_name().is_some() {
                    continue;
                }
                let Some(name) = field.name().map(str::to_owned) else {
                    continue;
                };
                let value = field.text().await.map_err(|e| e.body_text())?;
                params.push(name, value);
            }
        }
        other => {
            let body = Bytes::from_request(req, &())
                .await
                .map_err(|e| e.body_text())?;
            if !body.is_empty() {
                let named = if other.is_empty() { "(none)" } else { other };
                return Err(format!(
                    "unsupported body type {named}: send application/x-www-form-urlencoded \
                     or multipart/form-data"
                ));
            }
        }
    }
    Ok(params)
}

fn pairs(raw: &[u8]) -> Params {
    form_urlencoded::parse(raw)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

/// What every handler shares: the jobs and the job list's absolute URL.
struct Ctx<R: Runner> {
    jobs: Arc<Jobs<R>>,
    base: Arc<str>,
}

impl<R: Runner> Clone for Ctx<R> {
    fn clone(&self) -> Ctx<R> {
        Ctx {
            jobs: Arc::clone(&self.jobs),
            base: Arc::clone(&self.base),
        }
    }
}

impl<R: Runner> Ctx<R> {
    fn job_url(&self, id: &str) -> String {
        format!("{}/{id}", self.base)
    }
}

/// The UWS resources of a job list, relative to the list; `base` is the list's absolute URL
/// (e.g. `http://host/tap/async`, no trailing slash).
pub fn router<R: Runner>(jobs: Arc<Jobs<R>>, base: String) -> Router {
    let ctx = Ctx {
        jobs,
        base: base.trim_end_matches('/').into(),
    };
    Router::new()
        .route("/", get(list::<R>).post(create::<R>))
        .route(
            "/{id}",
            get(job::<R>).post(post_job::<R>).delete(delete_job::<R>),
        )
        .route("/{id}/phase", get(phase::<R>).post(post_phase::<R>))
        .route(
            "/{id}/executionduration",
            get(execution_duration::<R>).post(post_execution_duration::<R>),
        )
        .route(
            "/{id}/destruction",
            get(destruction::<R>).post(post_destruction::<R>),
        )
        .route("/{id}/quote", get(quote::<R>))
        .route("/{id}/owner", get(owner::<R>))
        .route("/{id}/error", get(error_document::<R>))
        .route(
            "/{id}/parameters",
            get(parameters::<R>).post(post_parameters::<R>),
        )
        .route("/{id}/results", get(results::<R>))
        .route("/{id}/results/result", get(result::<R>))
        .with_state(ctx)
}

fn text(status: StatusCode, body: String) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        body,
    )
        .into_response()
}

fn plain(body: String) -> Response {
    text(StatusCode::OK, body)
}

fn xml(doc: std::io::Result<Vec<u8>>) -> Response {
    match doc {
        Ok(body) => ([(header::CONTENT_TYPE, "text/xml; charset=utf-8")], body).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "cannot write a UWS document");
            text(StatusCode::INTERNAL_SERVER_ERROR, "internal error".into())
        }
    }
}

fn see_other(location: String) -> Response {
    (StatusCode::SEE_OTHER, [(header::LOCATION, location)]).into_response()
}

fn bad_request(message: String) -> Response {
    text(StatusCode::BAD_REQUEST, message)
}

fn error(e: JobError) -> Response {
    let status = match &e {
        JobError::NotFound(_) => StatusCode::NOT_FOUND,
        JobError::Full(_) => StatusCode::SERVICE_UNAVAILABLE,
        JobError::Invalid(_) => StatusCode::BAD_REQUEST,
        JobError::State(_) => StatusCode::FORBIDDEN,
        JobError::Io(io) => {
            tracing::error!(error = %io, "cannot read a job's result");
            return text(StatusCode::INTERNAL_SERVER_ERROR, "internal error".into());
        }
    };
    text(status, e.to_string())
}

/// Runs a handler body whose errors are job errors.
fn answer(r: Result<Response, JobError>) -> Response {
    r.unwrap_or_else(error)
}

/// One single-valued parameter that a POST must carry.
fn required(params: &Params, name: &str) -> Result<String, JobError> {
    params
        .get(name)?
        .map(str::to_owned)
        .ok_or_else(|| JobError::Invalid(format!("{name} is missing")))
}

async fn list<R: Runner>(State(ctx): State<Ctx<R>>, req: Request) -> Response {
    let params = match read_params(req).await {
        Ok(p) => p,
        Err(e) => return bad_request(e),
    };
    answer(Filter::from_params(&params).map(|f| xml(jobs_xml(&ctx.jobs.list(&f), &ctx.base))))
}

async fn create<R: Runner>(State(ctx): State<Ctx<R>>, req: Request) -> Response {
    let params = match read_params(req).await {
        Ok(p) => p,
        Err(e) => return bad_request(e),
    };
    answer(
        ctx.jobs
            .create(params)
            .map(|job| see_other(ctx.job_url(&job.id))),
    )
}

async fn job<R: Runner>(
    State(ctx): State<Ctx<R>>,
    Path(id): Path<String>,
    req: Request,
) -> Response {
    let params = match read_params(req).await {
        Ok(p) => p,
        Err(e) => return bad_request(e),
    };
    answer(job_answer(&ctx, &id, &params).await)
}

async fn job_answer<R: Runner>(
    ctx: &Ctx<R>,
    id: &str,
    params: &Params,
) -> Result<Response, JobError> {
    let job = match params.get("WAIT")? {
        None => ctx.jobs.get(id)?,
        Some(wait) => {
            let wait = ctx.jobs.wait_time(wait)?;
            let phase = params
                .get("PHASE")?
                .map(|p| {
                    Phase::parse(p).ok_or_else(|| JobError::Invalid(format!("unknown phase {p:?}")))
                })
                .transpose()?;
            ctx.jobs.wait(id, wait, phase).await?
        }
    };
    Ok(xml(job_xml(&job, &ctx.base)))
}

async fn post_job<R: Runner>(
    State(ctx): State<Ctx<R>>,
    Path(id): Path<String>,
    req: Request,
) -> Response {
    let params = match read_params(req).await {
        Ok(p) => p,
        Err(e) => return bad_request(e),
    };
    answer(ctx.jobs.post(&id, params).map(|posted| match posted {
        Posted::Deleted => see_other(ctx.base.to_string()),
        Posted::Updated => see_other(ctx.job_url(&id)),
    }))
}

async fn delete_job<R: Runner>(State(ctx): State<Ctx<R>>, Path(id): Path<String>) -> Response {
    answer(
        ctx.jobs
            .delete(&id)
            .map(|()| see_other(ctx.base.to_string())),
    )
}

async fn phase<R: Runner>(State(ctx): State<Ctx<R>>, Path(id): Path<String>) -> Response {
    answer(
        ctx.jobs
            .get(&id)
            .map(|job| plain(job.phase.as_str().to_owned())),
    )
}

/// Reads a POST's parameters, then applies them to the job.
async fn post_with<R: Runner>(
    ctx: Ctx<R>,
    id: String,
    req: Request,
    apply: impl FnOnce(&Arc<Jobs<R>>, &str, Params) -> Result<(), JobError>,
) -> Response {
    let params = match read_params(req).await {
        Ok(p) => p,
        Err(e) => return bad_request(e),
    };
    answer(apply(&ctx.jobs, &id, params).map(|()| see_other(ctx.job_url(&id))))
}

async fn post_phase<R: Runner>(
    State(ctx): State<Ctx<R>>,
    Path(id): Path<String>,
    req: Request,
) -> Response {
    post_with(ctx, id, req, |jobs, id, p| {
        jobs.get(id)?;
        jobs.set_phase(id, &required(&p, "PHASE")?)
    })
    .await
}

async fn execution_duration<R: Runner>(
    State(ctx): State<Ctx<R>>,
    Path(id): Path<String>,
) -> Response {
    answer(
        ctx.jobs
            .get(&id)
            .map(|job| plain(job.execution_duration.to_string())),
    )
}

async fn post_execution_duration<R: Runner>(
    State(ctx): State<Ctx<R>>,
    Path(id): Path<String>,
    req: Request,
) -> Response {
    post_with(ctx, id, req, |jobs, id, p| {
        jobs.get(id)?;
        jobs.set_execution_duration(id, &required(&p, "EXECUTIONDURATION")?)
    })
    .await
}

async fn destruction<R: Runner>(State(ctx): State<Ctx<R>>, Path(id): Path<String>) -> Response {
    answer(
        ctx.jobs
            .get(&id)
            .map(|job| plain(format_instant(&job.destruction))),
    )
}

async fn post_destruction<R: Runner>(
    State(ctx): State<Ctx<R>>,
    Path(id): Path<String>,
    req: Request,
) -> Response {
    post_with(ctx, id, req, |jobs, id, p| {
        jobs.get(id)?;
        jobs.set_destruction(id, &required(&p, "DESTRUCTION")?)
    })
    .await
}

/// No quote is made: the empty string UWS prescribes for "unknown".
async fn quote<R: Runner>(State(ctx): State<Ctx<R>>, Path(id): Path<String>) -> Response {
    answer(ctx.jobs.get(&id).map(|_| plain(String::new())))
}

async fn owner<R: Runner>(State(ctx): State<Ctx<R>>, Path(id): Path<String>) -> Response {
    answer(
        ctx.jobs
            .get(&id)
            .map(|job| plain(job.owner.unwrap_or_default())),
    )
}

async fn error_document<R: Runner>(State(ctx): State<Ctx<R>>, Path(id): Path<String>) -> Response {
    answer(ctx.jobs.error_document(&id).map(|doc| match doc {
        Some(doc) => ([(header::CONTENT_TYPE, doc.content_type)], doc.body).into_response(),
        None => text(
            StatusCode::NOT_FOUND,
            format!("job {id} is not in ERROR and has no error document"),
        ),
    }))
}

async fn parameters<R: Runner>(State(ctx): State<Ctx<R>>, Path(id): Path<String>) -> Response {
    answer(ctx.jobs.get(&id).map(|job| xml(parameters_xml(&job))))
}

async fn post_parameters<R: Runner>(
    State(ctx): State<Ctx<R>>,
    Path(id): Path<String>,
    req: Request,
) -> Response {
    post_with(ctx, id, req, |jobs, id, p| jobs.update_parameters(id, p)).await
}

async fn results<R: Runner>(State(ctx): State<Ctx<R>>, Path(id): Path<String>) -> Response {
    answer(
        ctx.jobs
            .get(&id)
            .map(|job| xml(results_xml(&job, &ctx.base))),
    )
}

async fn result<R: Runner>(State(ctx): State<Ctx<R>>, Path(id): Path<String>) -> Response {
    answer(ctx.jobs.result(&id).await.map(|out| match out {
        Some(out) => ([(header::CONTENT_TYPE, out.content_type)], out.body).into_response(),
        None => text(
            StatusCode::NOT_FOUND,
            format!("job {id} has no result: it has not COMPLETED"),
        ),
    }))
}
