//! The UWS 1.1 job list behind TAP's `/async`: jobs, their phases and lifetimes, and the
//! UWS XML documents that describe them. Nothing here knows HTTP or what a job computes: a
//! [`Runner`] runs a job's parameters, and `http::uws` exposes the list as UWS resources.
//!
//! Each started job runs as its own tokio task, stopped when it outlives its execution
//! duration (the job ends in ERROR with the runner's [`Runner::timeout_failure`]) or is
//! aborted. A finished job's result is one file, `results_dir/<job id>`, deleted with the
//! job. Job metadata lives in memory only: jobs do not survive a restart (their result files
//! are then orphans, which a fresh `results_dir` avoids). Jobs past their destruction time are
//! removed on every access to the list and by [`Jobs::start_reaper`]'s periodic sweep.

use std::collections::HashMap;
use std::future::Future;
use std::io;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};
use std::time::Duration;

use chrono::{DateTime, NaiveDate, NaiveDateTime, SubsecRound, TimeDelta, Utc};
use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesText, Event};
use tokio::sync::{oneshot, watch};

use crate::ivoa::params::{ParamError, Params};

pub const NS_UWS: &str = "http://www.ivoa.net/xml/UWS/v1.0";
const NS_XLINK: &str = "http://www.w3.org/1999/xlink";
const NS_XSI: &str = "http://www.w3.org/2001/XMLSchema-instance";

/// Parameters that steer the job rather than its query; they are not kept among the job's
/// parameters.
const CONTROL: [&str; 3] = ["PHASE", "EXECUTIONDURATION", "DESTRUCTION"];

/// A document a job produced: its result, or the detail of its error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Output {
    pub body: Vec<u8>,
    pub content_type: String,
}

/// Why a job ended in ERROR: the summary shown in the job and the `/error` document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub message: String,
    pub document: Output,
}

impl Failure {
    /// A failure whose document is its message as plain text.
    pub fn plain(message: impl Into<String>) -> Failure {
        let message = message.into();
        Failure {
            document: Output {
                body: message.clone().into_bytes(),
                content_type: "text/plain; charset=utf-8".into(),
            },
            message,
        }
    }
}

/// What a job does.
pub trait Runner: Send + Sync + 'static {
    /// Runs a job's query; Err = the job ends in ERROR with this failure.
    fn run(&self, params: Params) -> impl Future<Output = Result<Output, Failure>> + Send;

    /// The failure of a job stopped after running `secs` seconds, its execution duration.
    /// A runner overrides it to give the error document its protocol's form.
    fn timeout_failure(&self, secs: u64) -> Failure {
        Failure::plain(format!(
            "the job ran longer than its execution duration of {secs} s and was stopped"
        ))
    }
}

/// The bounds of the job list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Execution duration of a job that asks for none, in seconds.
    pub default_duration: u64,
    /// The longest execution duration a job may ask for, in seconds.
    pub max_duration: u64,
    /// Seconds from creation to destruction; the latest destruction a job may ask for.
    pub retention: u64,
    /// The longest a `WAIT` blocks, in seconds (`WAIT=-1` waits this long).
    pub max_wait: u64,
    /// Jobs held at once; creating one more is refused.
    pub max_jobs: usize,
}

/// A UWS execution phase.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    Pending,
    Queued,
    Executing,
    Completed,
    Error,
    Aborted,
    Unknown,
    Held,
    Suspended,
    Archived,
}

const PHASES: [Phase; 10] = [
    Phase::Pending,
    Phase::Queued,
    Phase::Executing,
    Phase::Completed,
    Phase::Error,
    Phase::Aborted,
    Phase::Unknown,
    Phase::Held,
    Phase::Suspended,
    Phase::Archived,
];

impl Phase {
    pub fn as_str(self) -> &'static str {
        match self {
            Phase::Pending => "PENDING",
            Phase::Queued => "QUEUED",
            Phase::Executing => "EXECUTING",
            Phase::Completed => "COMPLETED",
            Phase::Error => "ERROR",
            Phase::Aborted => "ABORTED",
            Phase::Unknown => "UNKNOWN",
            Phase::Held => "HELD",
            Phase::Suspended => "SUSPENDED",
            Phase::Archived => "ARCHIVED",
        }
    }

    pub fn parse(s: &str) -> Option<Phase> {
        PHASES.into_iter().find(|p| p.as_str() == s)
    }

    /// The phases a `WAIT` may block in (UWS 1.1 §2.2.1.2).
    pub fn is_active(self) -> bool {
        matches!(self, Phase::Pending | Phase::Queued | Phase::Executing)
    }

    /// Whether the job has not finished yet (it may still be aborted).
    fn is_unfinished(self) -> bool {
        self.is_active() || matches!(self, Phase::Held | Phase::Suspended)
    }
}

impl std::fmt::Display for Phase {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a finished job's result is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResultInfo {
    pub content_type: String,
    pub size: u64,
}

/// The state of one job, as its documents show it.
#[derive(Debug, Clone)]
pub struct Job {
    pub id: String,
    /// `None`: created anonymously.
    pub owner: Option<String>,
    pub phase: Phase,
    pub creation_time: DateTime<Utc>,
    pub start_time: Option<DateTime<Utc>>,
    pub end_time: Option<DateTime<Utc>>,
    /// Seconds the job may run.
    pub execution_duration: u64,
    pub destruction: DateTime<Utc>,
    /// As sent, less the job control parameters (PHASE, EXECUTIONDURATION, DESTRUCTION).
    pub parameters: Params,
    /// Set once the job is COMPLETED.
    pub result: Option<ResultInfo>,
    /// The error summary, set once the job is in ERROR.
    pub error: Option<String>,
}

impl Job {
    /// The client's tag for the job: its `RUNID` parameter.
    pub fn run_id(&self) -> Option<&str> {
        self.parameters.all("RUNID").next()
    }
}

/// Why a request about jobs cannot be granted.
#[derive(Debug, thiserror::Error)]
pub enum JobError {
    #[error("no job {0}")]
    NotFound(String),
    #[error("the service holds {0} jobs, its limit; delete finished jobs or try again later")]
    Full(usize),
    #[error("{0}")]
    Invalid(String),
    /// Not allowed in the job's current phase.
    #[error("{0}")]
    State(String),
    #[error("the job's result cannot be read: {0}")]
    Io(#[from] io::Error),
}

impl From<ParamError> for JobError {
    fn from(e: ParamError) -> JobError {
        JobError::Invalid(e.to_string())
    }
}

/// What a POST to a job did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Posted {
    Deleted,
    Updated,
}

/// The job list's filters (UWS 1.1 §2.2.2.1), combined with AND.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    /// Any of these phases (PHASE may repeat); empty: all but ARCHIVED.
    pub phases: Vec<Phase>,
    /// Created strictly after this instant.
    pub after: Option<DateTime<Utc>>,
    /// Only the this many most recently created.
    pub last: Option<usize>,
}

impl Filter {
    pub fn from_params(p: &Params) -> Result<Filter, JobError> {
        let phases = p
            .all("PHASE")
            .map(|v| {
                Phase::parse(v).ok_or_else(|| JobError::Invalid(format!("unknown phase {v:?}")))
            })
            .collect::<Result<_, _>>()?;
        let after = p
            .get("AFTER")?
            .map(|v| {
                parse_instant(v).ok_or_else(|| {
                    JobError::Invalid(format!("AFTER={v:?} is not an ISO 8601 instant"))
                })
            })
            .transpose()?;
        let last = p
            .get("LAST")?
            .map(|v| match v.trim().parse::<usize>() {
                Ok(n) if n > 0 => Ok(n),
                _ => Err(JobError::Invalid(format!(
                    "LAST={v:?} is not an integer greater than 0"
                ))),
            })
            .transpose()?;
        Ok(Filter {
            phases,
            after,
            last,
        })
    }

    fn admits(&self, job: &Job) -> bool {
        let phase_ok = if self.phases.is_empty() {
            job.phase != Phase::Archived
        } else {
            self.phases.contains(&job.phase)
        };
        phase_ok && self.after.is_none_or(|a| job.creation_time > a)
    }
}

/// An ISO 8601 instant as UWS clients write them: with a zone (`Z` or an offset), or without
/// one (then UTC), to any precision down to the day.
pub fn parse_instant(s: &str) -> Option<DateTime<Utc>> {
    let s = s.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.with_timezone(&Utc));
    }
    let bare = s.strip_suffix('Z').unwrap_or(s);
    ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%dT%H:%M"]
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(bare, f).ok())
        .or_else(|| {
            NaiveDate::parse_from_str(bare, "%Y-%m-%d")
                .ok()
                .and_then(|d| d.and_hms_opt(0, 0, 0))
        })
        .map(|t| t.and_utc())
}

/// The present instant, to the millisecond that the documents show: a client's `AFTER` copied
/// from a job's `creationTime` then excludes that job.
fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(3)
}

/// The form of every instant in the UWS documents and text resources.
pub fn format_instant(t: &DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

mod jobs;
mod xml;

pub use jobs::Jobs;
pub use xml::{job_xml, jobs_xml, parameters_xml, results_xml};

#[cfg(test)]
mod tests;
