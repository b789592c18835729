//! Helpers for tests that run the real `orrery` binary: a server on a free loopback port with a
//! temporary data directory, the CLI, and a PostgreSQL server of their own.

#![allow(dead_code)]

/// The XSD validation the library's unit tests use.
#[path = "../../../src/testing.rs"]
mod testing;

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

pub mod postgres {
    include!("postgres.rs");
}

pub fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_orrery")
}

/// `../shared` beside the clone; tests that need it fail loudly when it is missing.
pub fn shared() -> PathBuf {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared");
    assert!(
        p.join("tools/gen_corpus.py").exists(),
        "../shared (with tools/gen_corpus.py) must be beside the clone"
    );
    p
}

/// The real VOResource records of the corpus, as `orrery ingest` arguments: every `.xml` file
/// of `corpus/voresource` and the `rofr-standards` folder.
pub fn voresource_corpus() -> Vec<String> {
    let corpus = shared().join("corpus/voresource");
    let mut paths: Vec<String> = std::fs::read_dir(&corpus)
        .expect("the VOResource corpus")
        .map(|e| e.expect("a corpus entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "xml"))
        .map(|p| p.display().to_string())
        .collect();
    paths.sort();
    paths.push(corpus.join("rofr-standards").display().to_string());
    paths
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// Runs `orrery ARGS --data DIR` to completion.
pub fn orrery(data: &Path, args: &[&str]) -> Output {
    orrery_with(data, None, args)
}

/// `orrery`, writing to the revision log in the PostgreSQL `database_url` when one is given.
pub fn orrery_with(data: &Path, database_url: Option<&str>, args: &[&str]) -> Output {
    let mut command = Command::new(bin());
    command
        .args(args)
        .arg("--data")
        .arg(data)
        .env("RUST_LOG", "warn");
    if let Some(url) = database_url {
        command.env("ORRERY_DATABASE_URL", url);
    }
    command.output().expect("run orrery")
}

pub struct Server {
    pub child: Child,
    pub base: String,
    pub client: reqwest::blocking::Client,
}

impl Server {
    /// Starts `orrery serve` on a free port and waits until `/healthz` says it is ready.
    pub fn start(data: &Path, extra: &[&str]) -> Server {
        Server::start_on(data, free_port(), extra)
    }

    /// Starts `orrery serve` on `port` and waits until `/healthz` says it is ready.
    pub fn start_on(data: &Path, port: u16, extra: &[&str]) -> Server {
        Server::launch(data, port, extra, true)
    }

    /// Starts `orrery serve` on a free port and waits only until it answers at all (`/healthz`
    /// may still say that projections are building).
    pub fn start_answering(data: &Path, extra: &[&str]) -> Server {
        Server::launch(data, free_port(), extra, false)
    }

    fn launch(data: &Path, port: u16, extra: &[&str], ready: bool) -> Server {
        let base = format!("http://127.0.0.1:{port}");
        let child = Command::new(bin())
            .arg("serve")
            .arg("--data")
            .arg(data)
            .arg("--addr")
            .arg(format!("127.0.0.1:{port}"))
            .args(extra)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start orrery serve");
        let client = reqwest::blocking::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(30))
            .build()
            .expect("http client");
        let mut server = Server {
            child,
            base,
            client,
        };
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            if let Ok(r) = server.client.get(format!("{}/healthz", server.base)).send()
                && (r.status().is_success() || !ready)
            {
                return server;
            }
            if let Ok(Some(status)) = server.child.try_wait() {
                panic!("orrery serve exited early: {status}");
            }
            assert!(
                Instant::now() < deadline,
                "orrery serve did not become healthy"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    pub fn get(&self, path: &str) -> reqwest::blocking::Response {
        self.client
            .get(format!("{}{path}", self.base))
            .send()
            .expect("GET")
    }

    pub fn get_accept(&self, path: &str, accept: &str) -> reqwest::blocking::Response {
        self.client
            .get(format!("{}{path}", self.base))
            .header("Accept", accept)
            .send()
            .expect("GET")
    }

    /// Stops the server with SIGTERM and waits for it.
    pub fn stop(mut self) {
        terminate(&mut self.child);
    }
}

fn terminate(child: &mut Child) {
    let _ = Command::new("kill")
        .arg("-TERM")
        .arg(child.id().to_string())
        .status();
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        if let Ok(Some(_)) = child.try_wait() {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = child.kill();
    let _ = child.wait();
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            terminate(&mut self.child);
        }
    }
}

/// Issues a token with `orrery token create` (which works beside a running server) and
/// returns it: the last line of stdout.
pub fn token(data: &Path, user: &str, roles: &[&str], groups: &[&str]) -> String {
    token_in(data, None, user, roles, groups)
}

/// `token`, for a node of a deployment sharing the PostgreSQL `database_url` (where the
/// accounts then live) when one is given.
pub fn token_in(
    data: &Path,
    database_url: Option<&str>,
    user: &str,
    roles: &[&str],
    groups: &[&str],
) -> String {
    let mut args = vec!["token", "create", "--user", user];
    for r in roles {
        args.extend(["--role", r]);
    }
    for g in groups {
        args.extend(["--group", g]);
    }
    let mut command = Command::new(bin());
    command
        .args(&args)
        .arg("--data")
        .arg(data)
        .env("RUST_LOG", "warn");
    if let Some(url) = database_url {
        command.env("ORRERY_DATABASE_URL", url);
    }
    let out = command.output().expect("run orrery");
    assert!(
        out.status.success(),
        "token create: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).expect("utf-8");
    stdout
        .lines()
        .last()
        .expect("a token line")
        .trim()
        .to_owned()
}

impl Server {
    /// A request with a bearer token (none when `token` is empty).
    pub fn call(
        &self,
        method: &str,
        path: &str,
        token: &str,
        content_type: Option<&str>,
        body: Option<String>,
        if_match: Option<&str>,
    ) -> reqwest::blocking::Response {
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
        let mut req = self.client.request(method, format!("{}{path}", self.base));
        if !token.is_empty() {
            req = req.bearer_auth(token);
        }
        if let Some(ct) = content_type {
            req = req.header("Content-Type", ct);
        }
        if let Some(tag) = if_match {
            req = req.header("If-Match", tag);
        }
        if let Some(b) = body {
            req = req.body(b);
        }
        req.send().expect("request")
    }

    /// `GET` with a bearer token, as JSON; panics unless 200.
    pub fn get_json(&self, path: &str, token: &str) -> serde_json::Value {
        let r = self.call("GET", path, token, None, None, None);
        assert_eq!(r.status(), 200, "GET {path}");
        r.json().expect("JSON")
    }

    /// `POST /api/v1/assets` of `doc` with a bearer token.
    #[allow(dead_code)]
    pub fn create(&self, token: &str, doc: &serde_json::Value) -> reqwest::blocking::Response {
        self.call(
            "POST",
            "/api/v1/assets",
            token,
            Some("application/json"),
            Some(doc.to_string()),
            None,
        )
    }
}

/// A browser's session: the session cookie set at sign-in.
pub struct Session {
    pub cookie: String,
}

/// The value of the hidden input `name` in a page (the first one).
pub fn hidden(body: &str, name: &str) -> Option<String> {
    let marker = format!("name=\"{name}\" value=\"");
    let start = body.find(&marker)? + marker.len();
    let end = body[start..].find('"')?;
    Some(body[start..start + end].to_owned())
}

/// The value a `Set-Cookie` header of `r` gives cookie `name`.
pub fn set_cookie(r: &reqwest::blocking::Response, name: &str) -> Option<String> {
    r.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|v| {
            let first = v.split(';').next()?;
            let (n, value) = first.split_once('=')?;
            (n.trim() == name).then(|| value.trim().to_owned())
        })
}

impl Server {
    /// Signs in through the sign-in form with `token`, as a browser does.
    pub fn sign_in(&self, token: &str) -> Session {
        let r = self.get("/login");
        assert_eq!(r.status(), 200, "GET /login");
        let login = set_cookie(&r, "orrery_login").expect("the sign-in cookie");
        let csrf = hidden(&r.text().expect("body"), "_csrf").expect("the sign-in form's token");
        assert_eq!(csrf, login, "the form's token is the sign-in cookie's");
        let r = self
            .client
            .post(format!("{}/login", self.base))
            .header("Cookie", format!("orrery_login={login}"))
            .form(&[("token", token), ("_csrf", &csrf), ("next", "/me")])
            .send()
            .expect("POST /login");
        assert_eq!(r.status(), 303, "sign-in answers with a redirect");
        Session {
            cookie: set_cookie(&r, "orrery_session").expect("the session cookie"),
        }
    }

    /// `GET` with a session cookie.
    pub fn get_as(&self, s: &Session, path: &str) -> reqwest::blocking::Response {
        self.client
            .get(format!("{}{path}", self.base))
            .header("Cookie", format!("orrery_session={}", s.cookie))
            .send()
            .expect("GET")
    }

    /// A form `POST` with a session cookie.
    pub fn post_as(
        &self,
        s: &Session,
        path: &str,
        form: &[(&str, &str)],
        extra: &[(&str, &str)],
    ) -> reqwest::blocking::Response {
        let mut req = self
            .client
            .post(format!("{}{path}", self.base))
            .header("Cookie", format!("orrery_session={}", s.cookie));
        for (k, v) in extra {
            req = req.header(*k, *v);
        }
        req.form(form).send().expect("POST")
    }
}

/// The demo catalogue's documents as JSON.
pub fn fixtures() -> Vec<serde_json::Value> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/assets");
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).expect("fixtures/assets") {
        let text = std::fs::read_to_string(e.expect("entry").path()).expect("read fixture");
        out.push(serde_json::from_str(&text).expect("fixture JSON"));
    }
    out
}

/// Validates an XML document with the offline validator beside the corpus.
pub fn validate(xml: &str) {
    shared();
    testing::validate(xml.as_bytes());
}

/// An answer that must be an RFC 9457 problem of `status`: its body.
pub fn problem(r: reqwest::blocking::Response, status: u16) -> serde_json::Value {
    assert_eq!(r.status(), status);
    assert_eq!(r.headers()["content-type"], "application/problem+json");
    r.json().unwrap()
}
