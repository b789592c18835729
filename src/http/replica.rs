//! What a node of a shared deployment adds to every request: a reader refuses writes (421,
//! naming where to write), a read may ask `min_revision=` to see a write it made elsewhere
//! (it waits, bounded, for this node to apply it, else 503 with `Retry-After`), and every
//! answer of a node of a shared deployment says in `Orrery-Revision` the revision this node
//! had applied (a write, embedded too: its own).

use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::{HeaderName, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::Response;

use super::AppState;
use super::error::problem;

/// The response header naming a revision.
pub const REVISION: HeaderName = HeaderName::from_static("orrery-revision");

/// The query parameter a read names the revision it must see with.
const MIN_REVISION: &str = "min_revision";

/// Whether a request writes (every unsafe method but those of protocols that read with POST;
/// signing in and out write sessions).
fn is_write(method: &Method, path: &str) -> bool {
    if matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS) {
        return false;
    }
    !(path == "/oai" || path == "/sparql" || path == "/tap" || path.starts_with("/tap/"))
}

/// Takes `min_revision` out of a query; `Err` when it is there but not a revision.
fn take_min_revision(query: &str) -> Result<(Option<u64>, String), String> {
    let mut wanted = None;
    let mut rest = form_urlencoded::Serializer::new(String::new());
    let mut kept = false;
    for (k, v) in form_urlencoded::parse(query.as_bytes()) {
        if k == MIN_REVISION {
            wanted = Some(v.parse::<u64>().map_err(|_| {
                format!("min_revision must be a revision (a whole number), not {v:?}")
            })?);
        } else {
            rest.append_pair(&k, &v);
            kept = true;
        }
    }
    Ok((wanted, if kept { rest.finish() } else { String::new() }))
}

pub async fn consistency(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let catalog = &state.catalog;
    if !state.config.role.writes() && is_write(req.method(), req.uri().path()) {
        let to = state.config.writer_url.as_deref();
        let detail = match to {
            Some(url) => format!("this node is a reader: send writes to {url}"),
            None => "this node is a reader: send writes to a writer of this deployment".into(),
        };
        let mut response = problem(StatusCode::MISDIRECTED_REQUEST, Some(detail), Vec::new());
        if let Some(link) =
            to.and_then(|u| HeaderValue::from_str(&format!("<{u}>; rel=\"writer\"")).ok())
        {
            response.headers_mut().insert(header::LINK, link);
        }
        return response;
    }
    if let Some(query) = req.uri().query().filter(|q| q.contains(MIN_REVISION)) {
        let (wanted, rest) = match take_min_revision(query) {
            Ok(v) => v,
            Err(why) => return problem(StatusCode::BAD_REQUEST, Some(why), Vec::new()),
        };
        // Embedded, a write is applied everywhere before it is acknowledged: there is
        // nothing to wait for (and the count of every write is not told).
        if let Some(wanted) = wanted.filter(|_| catalog.shared().is_some()) {
            let within = Duration::from_millis(state.config.min_revision_wait_ms);
            if !catalog.wait_applied(wanted, within).await {
                let mut response = problem(
                    StatusCode::SERVICE_UNAVAILABLE,
                    Some(format!(
                        "this node has applied revision {} and not yet {wanted}: try again",
                        catalog.applied()
                    )),
                    Vec::new(),
                );
                response
                    .headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
                return with_revision(response, catalog.applied());
            }
        }
        let path = req.uri().path().to_owned();
        let target = if rest.is_empty() {
            path
        } else {
            format!("{path}?{rest}")
        };
        if let Ok(uri) = target.parse() {
            *req.uri_mut() = uri;
        }
    }
    let response = next.run(req).await;
    if catalog.shared().is_none() {
        // Embedded, only a write names its revision (the count of every write, private ones
        // included, is not told to readers).
        return response;
    }
    let applied = catalog.applied();
    with_revision(response, applied)
}

/// Names `revision` in the answer unless it names its own (a write's).
fn with_revision(mut response: Response, revision: u64) -> Response {
    if !response.headers().contains_key(REVISION) {
        response
            .headers_mut()
            .insert(REVISION, HeaderValue::from(revision));
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn min_revision_is_taken_out_of_the_query() {
        assert_eq!(
            take_min_revision("q=gaia&min_revision=12&type=dataset"),
            Ok((Some(12), "q=gaia&type=dataset".to_owned()))
        );
        assert_eq!(
            take_min_revision("min_revision=3"),
            Ok((Some(3), String::new()))
        );
        assert!(take_min_revision("min_revision=soon").is_err());
        assert!(take_min_revision("min_revision=-1").is_err());
    }

    #[test]
    fn reads_by_post_are_not_writes() {
        assert!(is_write(&Method::POST, "/api/v1/assets"));
        assert!(is_write(&Method::DELETE, "/api/v1/assets/x"));
        assert!(is_write(&Method::POST, "/assets/x/edit"));
        assert!(!is_write(&Method::POST, "/sparql"));
        assert!(!is_write(&Method::POST, "/tap/sync"));
        assert!(!is_write(&Method::POST, "/oai"));
        assert!(!is_write(&Method::GET, "/api/v1/assets"));
        assert!(is_write(&Method::POST, "/login"));
    }
}
