//! A TAP request, whether synchronous or an async job: its parameters checked as TAP 1.1 and
//! DALI say (REQUEST, LANG, QUERY, MAXREC, RESPONSEFORMAT/FORMAT, UPLOAD), the query run, the
//! result serialised. Every failure comes back as a VOTable error document.

use std::sync::Arc;
use std::time::Duration;

use super::output::{self, Format};
use super::query::{Engine, QueryError};
use crate::ivoa::params::Params;
use crate::ivoa::uws::{Failure, Output, Runner};

/// Row limits of the service.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Rows returned when the request names no MAXREC.
    pub default_maxrec: u64,
    /// Rows never exceeded, whatever MAXREC says.
    pub hard_maxrec: u64,
}

/// A failed request: whether the client can fix it, whether the service cannot answer yet
/// (the rr tables are being built), and the message.
#[derive(Debug, Clone)]
pub struct TapError {
    pub client: bool,
    pub unavailable: bool,
    pub message: String,
}

/// What a client is told of a failure inside the service.
const INTERNAL: &str = "the service failed to run this query; the failure has been logged";

impl TapError {
    pub fn client(message: impl Into<String>) -> TapError {
        TapError {
            client: true,
            unavailable: false,
            message: message.into(),
        }
    }

    /// Refused while the rr tables are being built.
    pub fn building() -> TapError {
        TapError {
            client: false,
            unavailable: true,
            message: BUILDING.to_owned(),
        }
    }

    /// The VOTable error document.
    pub fn document(&self) -> Output {
        Output {
            body: output::error_document(&self.message),
            content_type: "application/x-votable+xml".to_owned(),
        }
    }
}

impl From<QueryError> for TapError {
    fn from(e: QueryError) -> TapError {
        let client = e.is_client_error();
        let message = if client {
            e.to_string()
        } else {
            // The cause is logged; the client is told no more than that it is not theirs.
            tracing::error!(error = %e, "tap query failed inside the service");
            INTERNAL.to_owned()
        };
        TapError {
            client,
            unavailable: false,
            message,
        }
    }
}

/// Executes TAP requests.
pub struct Tap {
    pub engine: Engine,
    pub limits: Limits,
    /// How long a synchronous query, and an async job's query, may run.
    pub sync_time_limit: Duration,
    pub async_time_limit: Duration,
    /// Set while the rr tables are being built: queries are refused meanwhile.
    pub building: Arc<std::sync::atomic::AtomicBool>,
}

/// Why queries are refused while the rr tables are being built.
pub const BUILDING: &str = "The registry tables are being built from the catalogue after a \
    first start; queries are answered once they are complete. Try again in a few minutes.";

impl Tap {
    /// Whether the rr tables are still being built.
    pub fn is_building(&self) -> bool {
        self.building.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// Runs one request described by its parameters; its query may run `time_limit`.
    pub async fn execute(&self, params: &Params, time_limit: Duration) -> Result<Output, TapError> {
        if self.is_building() {
            return Err(TapError::building());
        }
        let get = |name: &str| {
            params
                .get(name)
                .map_err(|e| TapError::client(e.to_string()))
        };
        if let Some(r) = get("REQUEST")?
            && r != "doQuery"
        {
            return Err(TapError::client(format!(
                "REQUEST={r} is not supported here; use REQUEST=doQuery"
            )));
        }
        match get("LANG")? {
            None => {
                return Err(TapError::client(
                    "LANG is missing; this service speaks LANG=ADQL",
                ));
            }
            Some(l) if ["ADQL", "ADQL-2.0", "ADQL-2.1"].contains(&l) => {}
            Some(l) => {
                return Err(TapError::client(format!(
                    "unknown query language {l}; this service speaks ADQL, ADQL-2.0 and ADQL-2.1"
                )));
            }
        }
        let Some(query) = get("QUERY")?.filter(|q| !q.trim().is_empty()) else {
            return Err(TapError::client("QUERY is missing"));
        };
        if get("UPLOAD")?.is_some() {
            return Err(TapError::client("table uploads are not supported here"));
        }
        let (format, content_type) = match get("RESPONSEFORMAT")?.or(get("FORMAT")?) {
            None => Format::default_votable(),
            Some(f) => Format::from_param(f).ok_or_else(|| {
                TapError::client(format!(
                    "unknown RESPONSEFORMAT {f}; this service writes votable, votable/b2, csv, tsv and json"
                ))
            })?,
        };
        let maxrec = match get("MAXREC")? {
            None => self.limits.default_maxrec,
            Some(m) => m
                .trim()
                .parse::<u64>()
                .map_err(|_| TapError::client(format!("MAXREC={m} is not a non-negative integer")))?
                .min(self.limits.hard_maxrec),
        };
        let table = self.engine.run(query, maxrec, time_limit).await?;
        let mut body = Vec::with_capacity(1024 + table.rows.len() * 128);
        output::write(&mut body, &table, format, &[("QUERY", query)]);
        Ok(Output { body, content_type })
    }
}

/// Async jobs run the same requests.
pub struct JobRunner(pub Arc<Tap>);

impl Runner for JobRunner {
    async fn run(&self, params: Params) -> Result<Output, Failure> {
        let limit = self.0.async_time_limit;
        self.0.execute(&params, limit).await.map_err(|e| Failure {
            document: e.document(),
            message: e.message,
        })
    }

    fn timeout_failure(&self, secs: u64) -> Failure {
        let e = TapError::client(format!(
            "the job ran into its execution duration of {secs} s"
        ));
        Failure {
            document: e.document(),
            message: e.message,
        }
    }
}
