//! Routes declared once: each is a method, a path and its handler, so that the router is built
//! from the same table the test compares with the OpenAPI description (`openapi.rs`): a route
//! without its documentation, or documentation without its route, fails the build's tests.

use axum::Router;
use axum::handler::Handler;
use axum::http::Method;
use axum::routing::{MethodFilter, MethodRouter, on};

/// One method on one path.
pub struct Route<S> {
    pub method: Method,
    pub path: &'static str,
    handler: MethodRouter<S>,
}

/// `method` on `path` answered by `handler`.
pub fn route<S, H, T>(method: Method, path: &'static str, handler: H) -> Route<S>
where
    H: Handler<T, S>,
    S: Clone + Send + Sync + 'static,
    T: 'static,
{
    let filter = MethodFilter::try_from(method.clone()).unwrap_or(MethodFilter::GET);
    Route {
        method,
        path,
        handler: on(filter, handler),
    }
}

/// The router of `routes`, the methods of one path merged.
pub fn router<S>(routes: Vec<Route<S>>) -> Router<S>
where
    S: Clone + Send + Sync + 'static,
{
    let mut by_path: Vec<(&'static str, MethodRouter<S>)> = Vec::new();
    for r in routes {
        match by_path.iter().position(|(p, _)| *p == r.path) {
            Some(i) => {
                let (path, m) = by_path.swap_remove(i);
                by_path.push((path, m.merge(r.handler)));
            }
            None => by_path.push((r.path, r.handler)),
        }
    }
    by_path
        .into_iter()
        .fold(Router::new(), |router, (path, m)| router.route(path, m))
}

/// `(METHOD, path)` of each route, with `prefix` before the paths (of a nested router), a
/// wildcard `{*rest}` written as OpenAPI writes a parameter (`{rest}`).
pub fn listed<S>(routes: &[Route<S>], prefix: &str) -> Vec<(String, String)> {
    routes
        .iter()
        .map(|r| {
            let path = match (prefix, r.path) {
                ("", p) => p.to_owned(),
                (pre, "/") => pre.to_owned(),
                (pre, p) => format!("{pre}{p}"),
            };
            (r.method.as_str().to_owned(), path.replace("{*", "{"))
        })
        .collect()
}
