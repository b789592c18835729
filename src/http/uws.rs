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

use super::routes::{self, Route, route};
use axum::Router;
use axum::body::Bytes;
use axum::extract::{FromRequest, Multipart, Path, Request, State};
use axum::http::{Method, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::ivoa::params::Params;
use crate::ivoa::uws::{
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
pub(crate) struct Ctx<R: Runner> {
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

/// The UWS resources of a job list, relative to the list.
pub(crate) fn routes<R: Runner>() -> Vec<Route<Ctx<R>>> {
    vec![
        route(Method::GET, "/", list::<R>),
        route(Method::POST, "/", create::<R>),
        route(Method::GET, "/{id}", job::<R>),
        route(Method::POST, "/{id}", post_job::<R>),
        route(Method::DELETE, "/{id}", delete_job::<R>),
        route(Method::GET, "/{id}/phase", phase::<R>),
        route(Method::POST, "/{id}/phase", post_phase::<R>),
        route(
            Method::GET,
            "/{id}/executionduration",
            execution_duration::<R>,
        ),
        route(
            Method::POST,
            "/{id}/executionduration",
            post_execution_duration::<R>,
        ),
        route(Method::GET, "/{id}/destruction", destruction::<R>),
        route(Method::POST, "/{id}/destruction", post_destruction::<R>),
        route(Method::GET, "/{id}/quote", quote::<R>),
        route(Method::GET, "/{id}/owner", owner::<R>),
        route(Method::GET, "/{id}/error", error_document::<R>),
        route(Method::GET, "/{id}/parameters", parameters::<R>),
        route(Method::POST, "/{id}/parameters", post_parameters::<R>),
        route(Method::GET, "/{id}/results", results::<R>),
        route(Method::GET, "/{id}/results/result", result::<R>),
    ]
}

/// The job list's router; `base` is the list's absolute URL (e.g. `http://host/tap/async`, no
/// trailing slash).
pub fn router<R: Runner>(jobs: Arc<Jobs<R>>, base: String) -> Router {
    let ctx = Ctx {
        jobs,
        base: base.trim_end_matches('/').into(),
    };
    routes::router(routes::<R>()).with_state(ctx)
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

/// The job list.
#[utoipa::path(get, path = "/tap/async", tag = "protocols",
    params(("PHASE" = Option<Vec<String>>, Query, description = "only jobs in these phases"),
           ("AFTER" = Option<String>, Query, description = "only jobs created after this instant (ISO 8601)"),
           ("LAST" = Option<u32>, Query, description = "only the most recent jobs")),
    responses((status = 200, description = "the UWS 1.1 job list", content_type = "text/xml")))]
pub(crate) async fn list<R: Runner>(State(ctx): State<Ctx<R>>, req: Request) -> Response {
    let params = match read_params(req).await {
        Ok(p) => p,
        Err(e) => return bad_request(e),
    };
    answer(Filter::from_params(&params).map(|f| xml(jobs_xml(&ctx.jobs.list(&f), &ctx.base))))
}

/// Creates a job from TAP parameters (as for /tap/sync); PHASE=RUN starts it at once.
#[utoipa::path(post, path = "/tap/async", tag = "protocols",
    request_body(content = String, content_type = "application/x-www-form-urlencoded", description = "REQUEST, LANG, QUERY, MAXREC, RESPONSEFORMAT, RUNID, PHASE=RUN (also multipart/form-data)"),
    responses((status = 303, description = "the new job (Location)"),
              (status = 400, description = "unreadable parameters", content_type = "text/plain"),
              (status = 503, description = "the job list is full", content_type = "text/plain")))]
pub(crate) async fn create<R: Runner>(State(ctx): State<Ctx<R>>, req: Request) -> Response {
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

/// A job; its parts are child resources (phase, parameters, results/result, error, …).
#[utoipa::path(get, path = "/tap/async/{id}", tag = "protocols",
    params(("id" = String, Path, description = "the job id"),
           ("WAIT" = Option<i64>, Query, description = "block up to this many seconds (-1: the service's maximum) while the job is pending, queued or executing"),
           ("PHASE" = Option<String>, Query, description = "with WAIT: wait only while the job is in this phase")),
    responses((status = 200, description = "the UWS 1.1 job document", content_type = "text/xml"),
              (status = 404, description = "no such job", content_type = "text/plain")))]
pub(crate) async fn job<R: Runner>(
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

#[utoipa::path(post, path = "/tap/async/{id}", tag = "protocols",
    params(("id" = String, Path, description = "the job id")),
    request_body(content = String, content_type = "application/x-www-form-urlencoded", description = "PHASE=RUN|ABORT, ACTION=DELETE, DESTRUCTION, EXECUTIONDURATION, or parameters while PENDING"),
    responses((status = 303, description = "the job (Location), or the job list after ACTION=DELETE"), (status = 404, description = "no such job", content_type = "text/plain")))]
pub(crate) async fn post_job<R: Runner>(
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

/// Deletes a job and its result.
#[utoipa::path(delete, path = "/tap/async/{id}", tag = "protocols",
    params(("id" = String, Path, description = "the job id")),
    responses((status = 303, description = "back to the job list"),
              (status = 404, description = "no such job", content_type = "text/plain")))]
pub(crate) async fn delete_job<R: Runner>(
    State(ctx): State<Ctx<R>>,
    Path(id): Path<String>,
) -> Response {
    answer(
        ctx.jobs
            .delete(&id)
            .map(|()| see_other(ctx.base.to_string())),
    )
}

#[utoipa::path(get, path = "/tap/async/{id}/phase", tag = "protocols",
    params(("id" = String, Path, description = "the job id")),
    responses((status = 200, description = "the phase: PENDING, QUEUED, EXECUTING, COMPLETED, ERROR, ABORTED, HELD, SUSPENDED or ARCHIVED", content_type = "text/plain"), (status = 404, description = "no such job", content_type = "text/plain")))]
pub(crate) async fn phase<R: Runner>(
    State(ctx): State<Ctx<R>>,
    Path(id): Path<String>,
) -> Response {
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

#[utoipa::path(post, path = "/tap/async/{id}/phase", tag = "protocols",
    params(("id" = String, Path, description = "the job id")),
    request_body(content = String, content_type = "application/x-www-form-urlencoded", description = "PHASE=RUN or PHASE=ABORT"),
    responses((status = 303, description = "the job (Location)"), (status = 404, description = "no such job", content_type = "text/plain")))]
pub(crate) async fn post_phase<R: Runner>(
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

#[utoipa::path(get, path = "/tap/async/{id}/executionduration", tag = "protocols",
    params(("id" = String, Path, description = "the job id")),
    responses((status = 200, description = "the seconds the job may run", content_type = "text/plain"), (status = 404, description = "no such job", content_type = "text/plain")))]
pub(crate) async fn execution_duration<R: Runner>(
    State(ctx): State<Ctx<R>>,
    Path(id): Path<String>,
) -> Response {
    answer(
        ctx.jobs
            .get(&id)
            .map(|job| plain(job.execution_duration.to_string())),
    )
}

#[utoipa::path(post, path = "/tap/async/{id}/executionduration", tag = "protocols",
    params(("id" = String, Path, description = "the job id")),
    request_body(content = String, content_type = "application/x-www-form-urlencoded", description = "EXECUTIONDURATION=seconds (at most the service's limit)"),
    responses((status = 303, description = "the job (Location)"), (status = 404, description = "no such job", content_type = "text/plain")))]
pub(crate) async fn post_execution_duration<R: Runner>(
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

#[utoipa::path(get, path = "/tap/async/{id}/destruction", tag = "protocols",
    params(("id" = String, Path, description = "the job id")),
    responses((status = 200, description = "when the job will be destroyed (ISO 8601)", content_type = "text/plain"), (status = 404, description = "no such job", content_type = "text/plain")))]
pub(crate) async fn destruction<R: Runner>(
    State(ctx): State<Ctx<R>>,
    Path(id): Path<String>,
) -> Response {
    answer(
        ctx.jobs
            .get(&id)
            .map(|job| plain(format_instant(&job.destruction))),
    )
}

#[utoipa::path(post, path = "/tap/async/{id}/destruction", tag = "protocols",
    params(("id" = String, Path, description = "the job id")),
    request_body(content = String, content_type = "application/x-www-form-urlencoded", description = "DESTRUCTION=ISO 8601 instant (at most the retention period)"),
    responses((status = 303, description = "the job (Location)"), (status = 404, description = "no such job", content_type = "text/plain")))]
pub(crate) async fn post_destruction<R: Runner>(
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
#[utoipa::path(get, path = "/tap/async/{id}/quote", tag = "protocols",
    params(("id" = String, Path, description = "the job id")),
    responses((status = 200, description = "empty: no estimate is made", content_type = "text/plain"), (status = 404, description = "no such job", content_type = "text/plain")))]
pub(crate) async fn quote<R: Runner>(
    State(ctx): State<Ctx<R>>,
    Path(id): Path<String>,
) -> Response {
    answer(ctx.jobs.get(&id).map(|_| plain(String::new())))
}

#[utoipa::path(get, path = "/tap/async/{id}/owner", tag = "protocols",
    params(("id" = String, Path, description = "the job id")),
    responses((status = 200, description = "empty: jobs are anonymous", content_type = "text/plain"), (status = 404, description = "no such job", content_type = "text/plain")))]
pub(crate) async fn owner<R: Runner>(
    State(ctx): State<Ctx<R>>,
    Path(id): Path<String>,
) -> Response {
    answer(
        ctx.jobs
            .get(&id)
            .map(|job| plain(job.owner.unwrap_or_default())),
    )
}

#[utoipa::path(get, path = "/tap/async/{id}/error", tag = "protocols",
    params(("id" = String, Path, description = "the job id")),
    responses((status = 200, description = "the VOTable error document of a job in ERROR", content_type = "application/x-votable+xml"), (status = 404, description = "no such job", content_type = "text/plain")))]
pub(crate) async fn error_document<R: Runner>(
    State(ctx): State<Ctx<R>>,
    Path(id): Path<String>,
) -> Response {
    answer(ctx.jobs.error_document(&id).map(|doc| match doc {
        Some(doc) => ([(header::CONTENT_TYPE, doc.content_type)], doc.body).into_response(),
        None => text(
            StatusCode::NOT_FOUND,
            format!("job {id} is not in ERROR and has no error document"),
        ),
    }))
}

#[utoipa::path(get, path = "/tap/async/{id}/parameters", tag = "protocols",
    params(("id" = String, Path, description = "the job id")),
    responses((status = 200, description = "the UWS parameters element", content_type = "text/xml"), (status = 404, description = "no such job", content_type = "text/plain")))]
pub(crate) async fn parameters<R: Runner>(
    State(ctx): State<Ctx<R>>,
    Path(id): Path<String>,
) -> Response {
    answer(ctx.jobs.get(&id).map(|job| xml(parameters_xml(&job))))
}

#[utoipa::path(post, path = "/tap/async/{id}/parameters", tag = "protocols",
    params(("id" = String, Path, description = "the job id")),
    request_body(content = String, content_type = "application/x-www-form-urlencoded", description = "parameters to change while the job is PENDING"),
    responses((status = 303, description = "the job (Location)"), (status = 404, description = "no such job", content_type = "text/plain")))]
pub(crate) async fn post_parameters<R: Runner>(
    State(ctx): State<Ctx<R>>,
    Path(id): Path<String>,
    req: Request,
) -> Response {
    post_with(ctx, id, req, |jobs, id, p| jobs.update_parameters(id, p)).await
}

#[utoipa::path(get, path = "/tap/async/{id}/results", tag = "protocols",
    params(("id" = String, Path, description = "the job id")),
    responses((status = 200, description = "the UWS results element", content_type = "text/xml"), (status = 404, description = "no such job", content_type = "text/plain")))]
pub(crate) async fn results<R: Runner>(
    State(ctx): State<Ctx<R>>,
    Path(id): Path<String>,
) -> Response {
    answer(
        ctx.jobs
            .get(&id)
            .map(|job| xml(results_xml(&job, &ctx.base))),
    )
}

#[utoipa::path(get, path = "/tap/async/{id}/results/result", tag = "protocols",
    params(("id" = String, Path, description = "the job id")),
    responses((status = 200, description = "the result of a COMPLETED job, in its RESPONSEFORMAT"), (status = 404, description = "no such job", content_type = "text/plain")))]
pub(crate) async fn result<R: Runner>(
    State(ctx): State<Ctx<R>>,
    Path(id): Path<String>,
) -> Response {
    answer(ctx.jobs.result(&id).await.map(|out| match out {
        Some(out) => ([(header::CONTENT_TYPE, out.content_type)], out.body).into_response(),
        None => text(
            StatusCode::NOT_FOUND,
            format!("job {id} has no result: it has not COMPLETED"),
        ),
    }))
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;
    use std::time::{Duration, Instant};

    use axum::body::Body;
    use axum::http::HeaderMap;
    use tower::ServiceExt;

    use super::*;
    use crate::ivoa::uws::{Failure, Limits, Output};

    const BASE: &str = "http://example.org/tap/async";

    /// Acts on its QUERY: `ok` answers a fixed table, `fail` fails, `sleep N` sleeps N seconds
    /// and then answers, `panic` panics.
    struct Fake;

    impl Runner for Fake {
        async fn run(&self, params: Params) -> Result<Output, Failure> {
            let query = params.get("QUERY").ok().flatten().unwrap_or("").to_owned();
            if let Some(secs) = query.strip_prefix("sleep ") {
                let secs: u64 = secs.parse().unwrap();
                tokio::time::sleep(Duration::from_secs(secs)).await;
            }
            match query.as_str() {
                "fail" => Err(Failure {
                    message: "no such table: nowhere".into(),
                    document: Output {
                        body: b"<VOTABLE>no such table: nowhere</VOTABLE>".to_vec(),
                        content_type: "application/x-votable+xml".into(),
                    },
                }),
                "panic" => panic!("the runner broke"),
                _ => Ok(Output {
                    body: b"<VOTABLE>rows</VOTABLE>".to_vec(),
                    content_type: "application/x-votable+xml".into(),
                }),
            }
        }
    }

    struct Service {
        app: Router,
        jobs: Arc<Jobs<Fake>>,
        dir: tempfile::TempDir,
    }

    fn limits() -> Limits {
        Limits {
            default_duration: 60,
            max_duration: 600,
            retention: 3600,
            max_wait: 30,
            max_jobs: 20,
        }
    }

    fn service(limits: Limits) -> Service {
        let dir = tempfile::tempdir().unwrap();
        let jobs = Jobs::new(Arc::new(Fake), dir.path().join("results"), limits);
        Service {
            app: router(Arc::clone(&jobs), BASE.to_owned()),
            jobs,
            dir,
        }
    }

    struct Answer {
        status: StatusCode,
        headers: HeaderMap,
        body: String,
    }

    impl Answer {
        fn content_type(&self) -> &str {
            self.headers
                .get(header::CONTENT_TYPE)
                .map(|v| v.to_str().unwrap())
                .unwrap_or("")
        }

        fn location(&self) -> &str {
            self.headers[header::LOCATION].to_str().unwrap()
        }
    }

    impl Service {
        async fn send(&self, req: Request) -> Answer {
            let response = self.app.clone().oneshot(req).await.unwrap();
            let status = response.status();
            let headers = response.headers().clone();
            let body = axum::body::to_bytes(response.into_body(), usize::MAX)
                .await
                .unwrap();
            Answer {
                status,
                headers,
                body: String::from_utf8(body.to_vec()).unwrap(),
            }
        }

        async fn get(&self, uri: &str) -> Answer {
            self.send(Request::get(uri).body(Body::empty()).unwrap())
                .await
        }

        async fn post(&self, uri: &str, form: &str) -> Answer {
            self.send(
                Request::post(uri)
                    .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                    .body(Body::from(form.to_owned()))
                    .unwrap(),
            )
            .await
        }

        /// Creates a job; returns its id.
        async fn create(&self, form: &str) -> String {
            let a = self.post("/", form).await;
            assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
            let location = a.location();
            let id = location.strip_prefix(&format!("{BASE}/")).unwrap();
            assert!(!id.is_empty() && !id.contains('/'), "{location}");
            id.to_owned()
        }

        async fn phase(&self, id: &str) -> String {
            let a = self.get(&format!("/{id}/phase")).await;
            assert_eq!(a.status, StatusCode::OK);
            a.body
        }

        /// Waits (polling) until the job leaves the active phases.
        async fn finished(&self, id: &str) -> String {
            for _ in 0..200 {
                let phase = self.phase(id).await;
                if !["PENDING", "QUEUED", "EXECUTING"].contains(&phase.as_str()) {
                    return phase;
                }
                tokio::time::sleep(Duration::from_millis(25)).await;
            }
            panic!("job {id} did not finish");
        }

        fn result_file(&self, id: &str) -> PathBuf {
            self.dir.path().join("results").join(id)
        }
    }

    /// The text of the first element with this local name, e.g. `uws:phase`.
    fn element<'a>(xml: &'a str, name: &str) -> Option<&'a str> {
        let open = format!("<{name}>");
        let start = xml.find(&open)? + open.len();
        let end = xml[start..].find(&format!("</{name}>"))?;
        Some(&xml[start..start + end])
    }

    fn validate(xml: &str) {
        crate::testing::validate(xml.as_bytes());
    }

    #[tokio::test]
    async fn a_created_job_is_pending_and_echoes_its_parameters() {
        let s = service(limits());
        let id = s
            .create("REQUEST=doQuery&LANG=ADQL&QUERY=SELECT+1+FROM+rr.resource&MAXREC=10&RUNID=TAPLINT-001")
            .await;
        let a = s.get(&format!("/{id}")).await;
        assert_eq!(a.status, StatusCode::OK);
        assert!(
            a.content_type().starts_with("text/xml"),
            "{}",
            a.content_type()
        );
        assert!(a.body.contains("<uws:job "), "{}", a.body);
        assert!(a.body.contains(r#"version="1.1""#));
        assert_eq!(element(&a.body, "uws:jobId"), Some(id.as_str()));
        assert_eq!(element(&a.body, "uws:phase"), Some("PENDING"));
        assert_eq!(element(&a.body, "uws:runId"), Some("TAPLINT-001"));
        assert!(a.body.contains(r#"<uws:ownerId xsi:nil="true"/>"#));
        assert!(a.body.contains(r#"<uws:startTime xsi:nil="true"/>"#));
        for p in [
            r#"<uws:parameter id="REQUEST">doQuery</uws:parameter>"#,
            r#"<uws:parameter id="LANG">ADQL</uws:parameter>"#,
            r#"<uws:parameter id="QUERY">SELECT 1 FROM rr.resource</uws:parameter>"#,
            r#"<uws:parameter id="MAXREC">10</uws:parameter>"#,
            r#"<uws:parameter id="RUNID">TAPLINT-001</uws:parameter>"#,
        ] {
            assert!(a.body.contains(p), "{p} in {}", a.body);
        }
        assert_eq!(element(&a.body, "uws:executionDuration"), Some("60"));
        validate(&a.body);
        assert_eq!(s.phase(&id).await, "PENDING");

        let params = s.get(&format!("/{id}/parameters")).await;
        assert!(params.content_type().starts_with("text/xml"));
        assert!(
            params
                .body
                .contains(r#"<uws:parameter id="RUNID">TAPLINT-001"#)
        );
        validate(&params.body);
        let results = s.get(&format!("/{id}/results")).await;
        assert!(results.content_type().starts_with("text/xml"));
        validate(&results.body);
    }

    #[tokio::test]
    async fn text_resources_agree_with_the_job_document() {
        let s = service(limits());
        let id = s.create("QUERY=ok").await;
        let doc = s.get(&format!("/{id}")).await.body;
        let duration = s.get(&format!("/{id}/executionduration")).await;
        assert!(duration.content_type().starts_with("text/plain"));
        assert_eq!(
            Some(duration.body.as_str()),
            element(&doc, "uws:executionDuration")
        );
        let destruction = s.get(&format!("/{id}/destruction")).await;
        assert!(destruction.content_type().starts_with("text/plain"));
        assert_eq!(
            Some(destruction.body.as_str()),
            element(&doc, "uws:destruction")
        );
        let quote = s.get(&format!("/{id}/quote")).await;
        assert_eq!((quote.status, quote.body.as_str()), (StatusCode::OK, ""));
        assert!(quote.content_type().starts_with("text/plain"));
        let owner = s.get(&format!("/{id}/owner")).await;
        assert_eq!((owner.status, owner.body.as_str()), (StatusCode::OK, ""));
        let phase = s.get(&format!("/{id}/phase")).await;
        assert!(phase.content_type().starts_with("text/plain"));
    }

    #[tokio::test]
    async fn a_run_job_completes_and_serves_its_result() {
        let s = service(limits());
        let id = s.create("QUERY=ok&RUNID=r1").await;
        assert_eq!(
            s.get(&format!("/{id}/results/result")).await.status,
            StatusCode::NOT_FOUND
        );
        let a = s.post(&format!("/{id}/phase"), "PHASE=RUN").await;
        assert_eq!(a.status, StatusCode::SEE_OTHER);
        assert_eq!(a.location(), format!("{BASE}/{id}"));
        assert_eq!(s.finished(&id).await, "COMPLETED");
        let doc = s.get(&format!("/{id}")).await.body;
        let href = format!("{BASE}/{id}/results/result");
        assert!(
            doc.contains(&format!(r#"<uws:result id="result" xlink:href="{href}""#)),
            "{doc}"
        );
        assert!(element(&doc, "uws:startTime").is_some());
        assert!(element(&doc, "uws:endTime").is_some());
        assert!(!doc.contains("errorSummary"));
        validate(&doc);
        validate(&s.get(&format!("/{id}/results")).await.body);
        let result = s.get(&format!("/{id}/results/result")).await;
        assert_eq!(result.status, StatusCode::OK);
        assert_eq!(result.content_type(), "application/x-votable+xml");
        assert_eq!(result.body, "<VOTABLE>rows</VOTABLE>");
        assert!(s.result_file(&id).exists());
        assert_eq!(
            s.get(&format!("/{id}/error")).await.status,
            StatusCode::NOT_FOUND
        );
    }

    #[tokio::test]
    async fn phase_run_in_the_creation_request_starts_the_job() {
        let s = service(limits());
        let id = s.create("QUERY=ok&PHASE=RUN").await;
        assert_eq!(s.finished(&id).await, "COMPLETED");
        let doc = s.get(&format!("/{id}")).await.body;
        assert!(!doc.contains(r#"id="PHASE""#), "{doc}");
    }

    #[tokio::test]
    async fn a_failing_job_ends_in_error_with_its_document() {
        let s = service(limits());
        let id = s.create("QUERY=fail&PHASE=RUN").await;
        assert_eq!(s.finished(&id).await, "ERROR");
        let doc = s.get(&format!("/{id}")).await.body;
        assert!(
            doc.contains(r#"<uws:errorSummary type="fatal" hasDetail="true">"#),
            "{doc}"
        );
        assert_eq!(element(&doc, "uws:message"), Some("no such table: nowhere"));
        validate(&doc);
        let error = s.get(&format!("/{id}/error")).await;
        assert_eq!(error.status, StatusCode::OK);
        assert_eq!(error.content_type(), "application/x-votable+xml");
        assert_eq!(error.body, "<VOTABLE>no such table: nowhere</VOTABLE>");
        assert_eq!(
            s.get(&format!("/{id}/results/result")).await.status,
            StatusCode::NOT_FOUND
        );
    }

    #[tokio::test]
    async fn a_panicking_runner_ends_the_job_in_error() {
        let s = service(limits());
        let id = s.create("QUERY=panic&PHASE=RUN").await;
        assert_eq!(s.finished(&id).await, "ERROR");
    }

    #[tokio::test]
    async fn a_job_past_its_execution_duration_ends_in_error() {
        let s = service(limits());
        let id = s
            .create("QUERY=sleep+30&EXECUTIONDURATION=1&PHASE=RUN")
            .await;
        let started = Instant::now();
        assert_eq!(s.finished(&id).await, "ERROR");
        assert!(started.elapsed() < Duration::from_secs(4));
        let doc = s.get(&format!("/{id}")).await.body;
        let message = element(&doc, "uws:message").unwrap();
        assert!(message.contains("execution duration of 1 s"), "{message}");
        let error = s.get(&format!("/{id}/error")).await;
        assert_eq!(error.status, StatusCode::OK);
        assert!(error.body.contains("execution duration"));
    }

    #[tokio::test]
    async fn execution_duration_is_clamped_and_only_changes_while_pending() {
        let s = service(limits());
        let id = s.create("QUERY=ok&EXECUTIONDURATION=100000").await;
        assert_eq!(s.get(&format!("/{id}/executionduration")).await.body, "600");
        let a = s
            .post(&format!("/{id}/executionduration"), "EXECUTIONDURATION=5")
            .await;
        assert_eq!(a.status, StatusCode::SEE_OTHER);
        assert_eq!(a.location(), format!("{BASE}/{id}"));
        assert_eq!(s.get(&format!("/{id}/executionduration")).await.body, "5");
        let bad = s
            .post(
                &format!("/{id}/executionduration"),
                "EXECUTIONDURATION=soon",
            )
            .await;
        assert_eq!(bad.status, StatusCode::BAD_REQUEST);
        s.post(&format!("/{id}/phase"), "PHASE=RUN").await;
        s.finished(&id).await;
        let late = s
            .post(&format!("/{id}/executionduration"), "EXECUTIONDURATION=7")
            .await;
        assert_eq!(late.status, StatusCode::FORBIDDEN);
    }

    #[tokio::test]
    async fn abort_stops_a_job() {
        let s = service(limits());
        let pending = s.create("QUERY=ok").await;
        let a = s.post(&format!("/{pending}/phase"), "PHASE=ABORT").await;
        assert_eq!(a.status, StatusCode::SEE_OTHER);
        assert_eq!(s.phase(&pending).await, "ABORTED");

        let running = s.create("QUERY=sleep+30&PHASE=RUN").await;
        assert_eq!(s.phase(&running).await, "EXECUTING");
        s.post(&format!("/{running}/phase"), "PHASE=ABORT").await;
        assert_eq!(s.phase(&running).await, "ABORTED");
        let doc = s.get(&format!("/{running}")).await.body;
        validate(&doc);
        // An aborted job cannot run again; PHASE takes only RUN and ABORT.
        let again = s.post(&format!("/{running}/phase"), "PHASE=RUN").await;
        assert_eq!(again.status, StatusCode::FORBIDDEN);
        let odd = s.post(&format!("/{running}/phase"), "PHASE=SUSPEND").await;
        assert_eq!(odd.status, StatusCode::BAD_REQUEST);
    }

    #[tokio::test]
    async fn wait_returns_when_the_job_finishes() {
        let s = service(limits());
        let id = s.create("QUERY=sleep+1&PHASE=RUN").await;
        let started = Instant::now();
        let a = s.get(&format!("/{id}?WAIT=20")).await;
        assert_eq!(element(&a.body, "uws:phase"), Some("COMPLETED"));
        assert!(started.elapsed() < Duration::from_secs(10));

        let id = s.create("QUERY=sleep+1&PHASE=RUN").await;
        let a = s.get(&format!("/{id}?wait=-1")).await;
        assert_eq!(element(&a.body, "uws:phase"), Some("COMPLETED"));
    }

    #[tokio::test]
    async fn wait_gives_up_after_the_time_asked() {
        let s = service(limits());
        let id = s.create("QUERY=ok").await;
        let started = Instant::now();
        let a = s.get(&format!("/{id}?WAIT=1")).await;
        let waited = started.elapsed();
        assert_eq!(element(&a.body, "uws:phase"), Some("PENDING"));
        assert!(waited >= Duration::from_millis(950), "{waited:?}");
        assert!(waited < Duration::from_secs(5), "{waited:?}");
        // With PHASE, a job in another phase answers at once.
        let started = Instant::now();
        let a = s.get(&format!("/{id}?WAIT=10&PHASE=EXECUTING")).await;
        assert_eq!(element(&a.body, "uws:phase"), Some("PENDING"));
        assert!(started.elapsed() < Duration::from_millis(500));
        let bad = s.get(&format!("/{id}?WAIT=soon")).await;
        assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    }

    #[tokio::test]
    async fn a_deleted_job_is_gone_with_its_result() {
        let s = service(limits());
        let id = s.create("QUERY=ok&PHASE=RUN").await;
        s.finished(&id).await;
        assert!(s.result_file(&id).exists());
        let a = s
            .send(
                Request::delete(format!("/{id}"))
                    .body(Body::empty())
                    .unwrap(),
            )
            .await;
        assert_eq!(a.status, StatusCode::SEE_OTHER);
        assert_eq!(a.location(), BASE);
        let gone = s.get(&format!("/{id}")).await;
        assert_eq!(gone.status, StatusCode::NOT_FOUND);
        assert!(gone.content_type().starts_with("text/plain"));
        assert!(!s.result_file(&id).exists());

        let id = s.create("QUERY=ok&PHASE=RUN").await;
        s.finished(&id).await;
        let a = s.post(&format!("/{id}"), "ACTION=DELETE").await;
        assert_eq!(a.status, StatusCode::SEE_OTHER);
        assert_eq!(a.location(), BASE);
        assert_eq!(s.get(&format!("/{id}")).await.status, StatusCode::NOT_FOUND);
        assert_eq!(
            s.get(&format!("/{id}/phase")).await.status,
            StatusCode::NOT_FOUND
        );
        assert!(!s.result_file(&id).exists());
        assert_eq!(s.get("/nosuchjob").await.status, StatusCode::NOT_FOUND);
    }

    #[tokio::test]
    async fn a_job_past_its_destruction_is_removed() {
        let s = service(limits());
        let id = s.create("QUERY=ok&PHASE=RUN").await;
        s.finished(&id).await;
        let later = s.create("QUERY=ok").await;
        let a = s
            .post(
                &format!("/{id}/destruction"),
                "DESTRUCTION=2000-01-01T00:00:00Z",
            )
            .await;
        assert_eq!(a.status, StatusCode::SEE_OTHER);
        assert_eq!(s.jobs.reap(), 1);
        assert!(!s.result_file(&id).exists());
        assert_eq!(s.get(&format!("/{id}")).await.status, StatusCode::NOT_FOUND);
        assert_eq!(s.get(&format!("/{later}")).await.status, StatusCode::OK);
        // Access alone removes an expired job too.
        s.post(&format!("/{later}/destruction"), "DESTRUCTION=2000-01-01")
            .await;
        assert_eq!(
            s.get(&format!("/{later}")).await.status,
            StatusCode::NOT_FOUND
        );
    }

    #[tokio::test]
    async fn destruction_moves_earlier_but_not_past_the_retention() {
        let s = service(limits());
        let id = s.create("QUERY=ok").await;
        let first = s.get(&format!("/{id}/destruction")).await.body;
        s.post(
            &format!("/{id}/destruction"),
            "DESTRUCTION=2999-01-01T00:00:00Z",
        )
        .await;
        assert_eq!(s.get(&format!("/{id}/destruction")).await.body, first);
        s.post(
            &format!("/{id}/destruction"),
            "DESTRUCTION=2998-06-01T00:00:00Z",
        )
        .await;
        assert_eq!(s.get(&format!("/{id}/destruction")).await.body, first);
        let soon = chrono::Utc::now() + chrono::TimeDelta::seconds(600);
        let soon = soon.format("%Y-%m-%dT%H:%M:%SZ").to_string();
        s.post(&format!("/{id}"), &format!("DESTRUCTION={soon}"))
            .await;
        let now = s.get(&format!("/{id}/destruction")).await.body;
        assert_eq!(now, format!("{}.000Z", soon.trim_end_matches('Z')));
        let bad = s
            .post(&format!("/{id}/destruction"), "DESTRUCTION=never")
            .await;
        assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    }

    #[tokio::test]
    async fn parameters_change_only_while_pending() {
        let s = service(limits());
        let id = s.create("REQUEST=doQuery&QUERY=ok&RUNID=TAPLINT-001").await;
        let a = s
            .post(&format!("/{id}/parameters"), "runId=TAPLINT-002")
            .await;
        assert_eq!(a.status, StatusCode::SEE_OTHER);
        let doc = s.get(&format!("/{id}")).await.body;
        assert_eq!(element(&doc, "uws:runId"), Some("TAPLINT-002"));
        assert_eq!(doc.matches("TAPLINT").count(), 2, "{doc}");
        s.post(&format!("/{id}"), "MAXREC=3").await;
        let params = s.get(&format!("/{id}/parameters")).await.body;
        assert!(params.contains(r#"<uws:parameter id="MAXREC">3</uws:parameter>"#));
        s.post(&format!("/{id}/phase"), "PHASE=RUN").await;
        s.finished(&id).await;
        let late = s.post(&format!("/{id}/parameters"), "MAXREC=4").await;
        assert_eq!(late.status, StatusCode::FORBIDDEN);
    }

    #[tokio::test]
    async fn the_job_list_filters_by_phase_time_and_count() {
        let s = service(limits());
        let pending = s.create("QUERY=ok&RUNID=p").await;
        tokio::time::sleep(Duration::from_millis(20)).await;
        let done = s.create("QUERY=ok&PHASE=RUN").await;
        s.finished(&done).await;
        tokio::time::sleep(Duration::from_millis(20)).await;
        let failed = s.create("QUERY=fail&PHASE=RUN").await;
        s.finished(&failed).await;

        let all = s.get("/").await;
        assert_eq!(all.status, StatusCode::OK);
        assert!(all.content_type().starts_with("text/xml"));
        assert!(all.body.contains(r#"<uws:jobs "#) && all.body.contains(r#"version="1.1""#));
        assert!(all.body.contains(&format!(
            r#"<uws:jobref id="{pending}" xlink:href="{BASE}/{pending}"><uws:phase>PENDING</uws:phase><uws:runId>p</uws:runId>"#
        )), "{}", all.body);
        validate(&all.body);
        let ids = |body: &str| -> Vec<String> {
            body.split(r#"<uws:jobref id=""#)
                .skip(1)
                .map(|s| s[..s.find('"').unwrap()].to_owned())
                .collect()
        };
        // Most recent first.
        assert_eq!(ids(&all.body), [&*failed, &*done, &*pending]);
        let finished = s.get("/?PHASE=COMPLETED&phase=ERROR").await.body;
        assert_eq!(ids(&finished), [&*failed, &*done]);
        assert_eq!(ids(&s.get("/?LAST=2").await.body), [&*failed, &*done]);
        assert_eq!(
            ids(&s.get("/?LAST=1&PHASE=PENDING").await.body),
            [&*pending]
        );
        let created = s.jobs.get(&pending).unwrap().creation_time;
        let after = crate::ivoa::uws::format_instant(&created);
        assert_eq!(
            ids(&s.get(&format!("/?AFTER={after}")).await.body),
            [&*failed, &*done]
        );
        assert!(ids(&s.get("/?AFTER=2999-01-01T00:00:00Z").await.body).is_empty());
        validate(&s.get("/?PHASE=ARCHIVED").await.body);
        assert_eq!(s.get("/?LAST=0").await.status, StatusCode::BAD_REQUEST);
        assert_eq!(s.get("/?PHASE=DONE").await.status, StatusCode::BAD_REQUEST);
    }

    #[tokio::test]
    async fn a_full_job_list_refuses_new_jobs() {
        let s = service(Limits {
            max_jobs: 2,
            ..limits()
        });
        let first = s.create("QUERY=ok").await;
        s.create("QUERY=ok").await;
        let refused = s.post("/", "QUERY=ok").await;
        assert_eq!(refused.status, StatusCode::SERVICE_UNAVAILABLE);
        assert!(refused.body.contains("limit"), "{}", refused.body);
        s.post(&format!("/{first}"), "ACTION=DELETE").await;
        s.create("QUERY=ok").await;
    }

    #[tokio::test]
    async fn creation_refuses_bad_control_values() {
        let s = service(limits());
        assert_eq!(
            s.post("/", "QUERY=ok&PHASE=ABORT").await.status,
            StatusCode::BAD_REQUEST
        );
        assert_eq!(
            s.post("/", "QUERY=ok&EXECUTIONDURATION=-3").await.status,
            StatusCode::BAD_REQUEST
        );
        let twice = s.post("/", "QUERY=ok&PHASE=RUN&phase=ABORT").await;
        assert_eq!(twice.status, StatusCode::BAD_REQUEST);
        assert!(twice.body.contains("PHASE"), "{}", twice.body);
        let unsupported = s
            .send(
                Request::post("/")
                    .header(header::CONTENT_TYPE, "application/json")
                    .body(Body::from("{}"))
                    .unwrap(),
            )
            .await;
        assert_eq!(unsupported.status, StatusCode::BAD_REQUEST);
        assert!(unsupported.body.contains("application/json"));
        assert!(s.jobs.list(&Filter::default()).is_empty());
    }

    fn multipart(parts: &[(&str, Option<&str>, &str)]) -> (String, String) {
        let boundary = "XyZzy42";
        let mut body = String::new();
        for (name, file, value) in parts {
            body.push_str(&format!("--{boundary}\r\n"));
            match file {
                Some(f) => body.push_str(&format!(
                    "Content-Disposition: form-data; name=\"{name}\"; filename=\"{f}\"\r\n\
                     Content-Type: application/x-votable+xml\r\n\r\n"
                )),
                None => body.push_str(&format!(
                    "Content-Disposition: form-data; name=\"{name}\"\r\n\r\n"
                )),
            }
            body.push_str(value);
            body.push_str("\r\n");
        }
        body.push_str(&format!("--{boundary}--\r\n"));
        (format!("multipart/form-data; boundary={boundary}"), body)
    }

    async fn params_of(req: Request) -> Result<Params, String> {
        read_params(req).await
    }

    #[tokio::test]
    async fn read_params_takes_query_strings_and_urlencoded_bodies() {
        let get = Request::get("/sync?REQUEST=doQuery&lang=ADQL&QUERY=SELECT%20*%20FROM%20t")
            .body(Body::empty())
            .unwrap();
        let p = params_of(get).await.unwrap();
        assert_eq!(p.get("LANG"), Ok(Some("ADQL")));
        assert_eq!(p.get("query"), Ok(Some("SELECT * FROM t")));

        let post = Request::post("/sync?MAXREC=5")
            .header(
                header::CONTENT_TYPE,
                "application/x-www-form-urlencoded; charset=UTF-8",
            )
            .body(Body::from("Query=SELECT+%27a%2Bb%27+FROM+t&Lang=ADQL"))
            .unwrap();
        let p = params_of(post).await.unwrap();
        assert_eq!(p.get("MAXREC"), Ok(Some("5")));
        assert_eq!(p.get("QUERY"), Ok(Some("SELECT 'a+b' FROM t")));
        assert_eq!(
            p.iter().map(|(n, _)| n).collect::<Vec<_>>(),
            ["MAXREC", "Query", "Lang"]
        );

        let twice = Request::post("/sync?LANG=ADQL")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from("lang=PQL"))
            .unwrap();
        let e = params_of(twice).await.unwrap().get("LANG").unwrap_err();
        assert!(e.to_string().contains("LANG"));
    }

    #[tokio::test]
    async fn read_params_takes_multipart_bodies() {
        let (ct, body) = multipart(&[
            ("REQUEST", None, "doQuery"),
            ("lang", None, "ADQL"),
            ("QUERY", None, "SELECT * FROM TAP_UPLOAD.t"),
            ("t", Some("t.xml"), "<VOTABLE/>"),
        ]);
        let req = Request::post("/sync?RUNID=m")
            .header(header::CONTENT_TYPE, ct)
            .body(Body::from(body))
            .unwrap();
        let p = params_of(req).await.unwrap();
        assert_eq!(p.get("LANG"), Ok(Some("ADQL")));
        assert_eq!(p.get("query"), Ok(Some("SELECT * FROM TAP_UPLOAD.t")));
        assert_eq!(p.get("RUNID"), Ok(Some("m")));
        assert!(!p.contains("t"), "file parts are left out");
    }

    #[tokio::test]
    async fn read_params_refuses_other_bodies_naming_their_type() {
        let req = Request::post("/sync")
            .header(header::CONTENT_TYPE, "text/plain")
            .body(Body::from("SELECT 1"))
            .unwrap();
        let e = params_of(req).await.unwrap_err();
        assert!(e.contains("text/plain"), "{e}");
        // An empty body of any type is no parameters.
        let req = Request::post("/sync?LANG=ADQL")
            .header(header::CONTENT_TYPE, "text/plain")
            .body(Body::empty())
            .unwrap();
        assert_eq!(params_of(req).await.unwrap().get("LANG"), Ok(Some("ADQL")));
        let req = Request::post("/sync").body(Body::from("x")).unwrap();
        assert!(params_of(req).await.is_err());
    }
}
