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

use super::params::{ParamError, Params};

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

struct Entry {
    job: Job,
    /// Tells waiting readers the phase; dropped with the job, which wakes them.
    phase: watch::Sender<Phase>,
    /// Stops the running task when sent or dropped.
    cancel: Option<oneshot::Sender<()>>,
    error_document: Option<Output>,
}

impl Entry {
    fn set_phase(&mut self, phase: Phase) {
        self.job.phase = phase;
        if !phase.is_unfinished() {
            self.job.end_time = Some(now());
            self.cancel = None;
        }
        self.phase.send_replace(phase);
    }
}

/// The job list.
pub struct Jobs<R: Runner> {
    runner: Arc<R>,
    results_dir: PathBuf,
    limits: Limits,
    table: Mutex<HashMap<String, Entry>>,
}

impl<R: Runner> Jobs<R> {
    pub fn new(runner: Arc<R>, results_dir: PathBuf, limits: Limits) -> Arc<Jobs<R>> {
        Arc::new(Jobs {
            runner,
            results_dir,
            limits,
            table: Mutex::new(HashMap::new()),
        })
    }

    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<String, Entry>> {
        self.table.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn result_path(&self, id: &str) -> PathBuf {
        self.results_dir.join(id)
    }

    fn part_path(&self, id: &str) -> PathBuf {
        self.results_dir.join(format!("{id}.part"))
    }

    fn remove_files(&self, id: &str) {
        for path in [self.result_path(id), self.part_path(id)] {
            if let Err(e) = std::fs::remove_file(&path)
                && e.kind() != io::ErrorKind::NotFound
            {
                tracing::warn!(path = %path.display(), error = %e, "cannot remove a job's result");
            }
        }
    }

    /// Removes the jobs past their destruction time; returns how many.
    pub fn reap(&self) -> usize {
        let now = now();
        let expired: Vec<String> = {
            let mut table = self.lock();
            let ids: Vec<String> = table
                .values()
                .filter(|e| e.job.destruction <= now)
                .map(|e| e.job.id.clone())
                .collect();
            for id in &ids {
                table.remove(id);
            }
            ids
        };
        for id in &expired {
            self.remove_files(id);
        }
        expired.len()
    }

    /// Sweeps destroyed jobs away every `every`, for as long as the list exists.
    pub fn start_reaper(self: &Arc<Self>, every: Duration) -> tokio::task::JoinHandle<()> {
        let jobs: Weak<Jobs<R>> = Arc::downgrade(self);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            loop {
                tick.tick().await;
                match jobs.upgrade() {
                    Some(jobs) => {
                        jobs.reap();
                    }
                    None => return,
                }
            }
        })
    }

    fn duration(&self, value: &str) -> Result<u64, JobError> {
        let secs: u64 = value.trim().parse().map_err(|_| {
            JobError::Invalid(format!(
                "EXECUTIONDURATION={value:?} is not a whole number of seconds"
            ))
        })?;
        // 0 asks for no limit: the longest we allow.
        Ok(if secs == 0 || secs > self.limits.max_duration {
            self.limits.max_duration
        } else {
            secs
        })
    }

    fn destruction(&self, created: DateTime<Utc>, value: &str) -> Result<DateTime<Utc>, JobError> {
        let asked = parse_instant(value).ok_or_else(|| {
            JobError::Invalid(format!("DESTRUCTION={value:?} is not an ISO 8601 instant"))
        })?;
        Ok(asked.min(created + self.retention()))
    }

    fn retention(&self) -> TimeDelta {
        TimeDelta::seconds(i64::try_from(self.limits.retention).unwrap_or(i64::MAX / 1000))
    }

    /// Creates a job from the parameters of the creating request; `PHASE=RUN` among them
    /// starts it (so, like [`Jobs::run`], within a tokio runtime).
    pub fn create(self: &Arc<Self>, mut params: Params) -> Result<Job, JobError> {
        let run = match params.get("PHASE")? {
            None => false,
            Some(p) if p.eq_ignore_ascii_case("RUN") => true,
            Some(p) => {
                return Err(JobError::Invalid(format!(
                    "PHASE={p:?}: a job can only be created with PHASE=RUN"
                )));
            }
        };
        let now = now();
        let execution_duration = match params.get("EXECUTIONDURATION")? {
            Some(v) => self.duration(v)?,
            None => self.limits.default_duration,
        };
        let destruction = match params.get("DESTRUCTION")? {
            Some(v) => self.destruction(now, v)?,
            None => now + self.retention(),
        };
        for name in CONTROL {
            params.remove(name);
        }
        self.reap();
        let job = Job {
            id: uuid::Uuid::new_v4().simple().to_string(),
            owner: None,
            phase: Phase::Pending,
            creation_time: now,
            start_time: None,
            end_time: None,
            execution_duration,
            destruction,
            parameters: params,
            result: None,
            error: None,
        };
        {
            let mut table = self.lock();
            if table.len() >= self.limits.max_jobs {
                return Err(JobError::Full(self.limits.max_jobs));
            }
            let entry = Entry {
                job: job.clone(),
                phase: watch::Sender::new(Phase::Pending),
                cancel: None,
                error_document: None,
            };
            table.insert(job.id.clone(), entry);
        }
        if run {
            self.run(&job.id)?;
            return self.get(&job.id);
        }
        Ok(job)
    }

    /// The job, unless destroyed.
    pub fn get(&self, id: &str) -> Result<Job, JobError> {
        self.reap();
        self.lock()
            .get(id)
            .map(|e| e.job.clone())
            .ok_or_else(|| JobError::NotFound(id.to_owned()))
    }

    /// The jobs the filter admits, the most recently created first.
    pub fn list(&self, filter: &Filter) -> Vec<Job> {
        self.reap();
        let mut jobs: Vec<Job> = self
            .lock()
            .values()
            .filter(|e| filter.admits(&e.job))
            .map(|e| e.job.clone())
            .collect();
        jobs.sort_by(|a, b| {
            b.creation_time
                .cmp(&a.creation_time)
                .then_with(|| a.id.cmp(&b.id))
        });
        if let Some(n) = filter.last {
            jobs.truncate(n);
        }
        jobs
    }

    /// The job once its phase changes, or after `wait` at most (UWS 1.1 blocking). With
    /// `phase`, blocks only while the job is in that phase; never blocks unless the job is
    /// PENDING, QUEUED or EXECUTING.
    pub async fn wait(
        &self,
        id: &str,
        wait: Duration,
        phase: Option<Phase>,
    ) -> Result<Job, JobError> {
        let (job, mut rx) = {
            let table = self.lock();
            let entry = table
                .get(id)
                .ok_or_else(|| JobError::NotFound(id.to_owned()))?;
            (entry.job.clone(), entry.phase.subscribe())
        };
        let blocking = phase.unwrap_or(job.phase);
        if !job.phase.is_active() || job.phase != blocking {
            return Ok(job);
        }
        let _ = tokio::time::timeout(wait, rx.wait_for(|p| *p != blocking)).await;
        self.get(id)
    }

    /// How long a `WAIT=value` blocks.
    pub fn wait_time(&self, value: &str) -> Result<Duration, JobError> {
        let secs: i64 = value.trim().parse().map_err(|_| {
            JobError::Invalid(format!("WAIT={value:?} is not a whole number of seconds"))
        })?;
        let max = self.limits.max_wait;
        let secs = u64::try_from(secs).map_or(max, |s| s.min(max));
        Ok(Duration::from_secs(secs))
    }

    /// Starts a PENDING (or HELD) job as a task on the current tokio runtime; a job already
    /// running is left alone.
    pub fn run(self: &Arc<Self>, id: &str) -> Result<(), JobError> {
        let (params, secs, cancelled) = {
            let mut table = self.lock();
            let entry = table
                .get_mut(id)
                .ok_or_else(|| JobError::NotFound(id.to_owned()))?;
            match entry.job.phase {
                Phase::Pending | Phase::Held => {}
                Phase::Queued | Phase::Executing => return Ok(()),
                other => {
                    return Err(JobError::State(format!(
                        "job {id} is {other} and cannot run again"
                    )));
                }
            }
            let (tx, rx) = oneshot::channel();
            entry.cancel = Some(tx);
            entry.job.start_time = Some(now());
            entry.set_phase(Phase::Executing);
            (
                entry.job.parameters.clone(),
                entry.job.execution_duration,
                rx,
            )
        };
        let jobs = Arc::clone(self);
        let id = id.to_owned();
        tokio::spawn(async move { jobs.execute(id, params, secs, cancelled).await });
        Ok(())
    }

    async fn execute(
        self: Arc<Self>,
        id: String,
        params: Params,
        secs: u64,
        cancelled: oneshot::Receiver<()>,
    ) {
        let runner = Arc::clone(&self.runner);
        // Its own task, so that a panicking runner ends the job in ERROR.
        let mut work = tokio::spawn(async move { runner.run(params).await });
        let limit = if secs == 0 {
            Duration::MAX
        } else {
            Duration::from_secs(secs)
        };
        let outcome = tokio::select! {
            _ = cancelled => {
                work.abort();
                return;
            }
            outcome = tokio::time::timeout(limit, &mut work) => outcome,
        };
        let ending = match outcome {
            Err(_) => {
                work.abort();
                Err(self.runner.timeout_failure(secs))
            }
            Ok(Err(e)) => {
                tracing::error!(job = %id, error = %e, "job task failed");
                Err(Failure::plain("the job failed unexpectedly"))
            }
            Ok(Ok(ending)) => ending,
        };
        match ending {
            Ok(output) => self.complete(&id, output).await,
            Err(failure) => self.fail(&id, failure),
        }
    }

    /// Stores a result, then marks the job COMPLETED unless it was aborted or deleted
    /// meanwhile (the stored file is then dropped).
    async fn complete(&self, id: &str, output: Output) {
        let part = self.part_path(id);
        let written = match tokio::fs::create_dir_all(&self.results_dir).await {
            Ok(()) => tokio::fs::write(&part, &output.body).await,
            Err(e) => Err(e),
        };
        if let Err(e) = written {
            tracing::error!(job = %id, error = %e, "cannot store a job's result");
            self.fail(id, Failure::plain("the job's result could not be stored"));
            return;
        }
        let mut table = self.lock();
        let Some(entry) = table
            .get_mut(id)
            .filter(|e| e.job.phase == Phase::Executing)
        else {
            drop(table);
            self.remove_files(id);
            return;
        };
        match std::fs::rename(&part, self.result_path(id)) {
            Ok(()) => {
                entry.job.result = Some(ResultInfo {
                    content_type: output.content_type,
                    size: output.body.len() as u64,
                });
                entry.set_phase(Phase::Completed);
            }
            Err(e) => {
                tracing::error!(job = %id, error = %e, "cannot store a job's result");
                let failure = Failure::plain("the job's result could not be stored");
                entry.job.error = Some(failure.message);
                entry.error_document = Some(failure.document);
                entry.set_phase(Phase::Error);
            }
        }
    }

    fn fail(&self, id: &str, failure: Failure) {
        let mut table = self.lock();
        if let Some(entry) = table
            .get_mut(id)
            .filter(|e| e.job.phase == Phase::Executing)
        {
            entry.job.error = Some(failure.message);
            entry.error_document = Some(failure.document);
            entry.set_phase(Phase::Error);
        }
    }

    /// Aborts an unfinished job; a finished one keeps its phase.
    pub fn abort(&self, id: &str) -> Result<(), JobError> {
        let mut table = self.lock();
        let entry = table
            .get_mut(id)
            .ok_or_else(|| JobError::NotFound(id.to_owned()))?;
        if entry.job.phase.is_unfinished() {
            entry.set_phase(Phase::Aborted);
        }
        Ok(())
    }

    /// Destroys a job: stops it and removes its result.
    pub fn delete(&self, id: &str) -> Result<(), JobError> {
        let removed = self.lock().remove(id);
        match removed {
            Some(_) => {
                self.remove_files(id);
                Ok(())
            }
            None => Err(JobError::NotFound(id.to_owned())),
        }
    }

    /// `PHASE=RUN` or `PHASE=ABORT`.
    pub fn set_phase(self: &Arc<Self>, id: &str, value: &str) -> Result<(), JobError> {
        if value.eq_ignore_ascii_case("RUN") {
            self.run(id)
        } else if value.eq_ignore_ascii_case("ABORT") {
            self.abort(id)
        } else {
            Err(JobError::Invalid(format!(
                "PHASE={value:?}: only RUN and ABORT can be asked for"
            )))
        }
    }

    fn pending(&self, id: &str, what: &str, f: impl FnOnce(&mut Job)) -> Result<(), JobError> {
        let mut table = self.lock();
        let entry = table
            .get_mut(id)
            .ok_or_else(|| JobError::NotFound(id.to_owned()))?;
        if entry.job.phase != Phase::Pending {
            return Err(JobError::State(format!(
                "job {id} is {}: {what} can only change while it is PENDING",
                entry.job.phase
            )));
        }
        f(&mut entry.job);
        Ok(())
    }

    /// `EXECUTIONDURATION=secs`, clamped to the limit; only while PENDING.
    pub fn set_execution_duration(&self, id: &str, value: &str) -> Result<(), JobError> {
        let secs = self.duration(value)?;
        self.pending(id, "the execution duration", |job| {
            job.execution_duration = secs
        })
    }

    /// `DESTRUCTION=instant`, no later than the retention limit allows.
    pub fn set_destruction(&self, id: &str, value: &str) -> Result<(), JobError> {
        let mut table = self.lock();
        let entry = table
            .get_mut(id)
            .ok_or_else(|| JobError::NotFound(id.to_owned()))?;
        entry.job.destruction = self.destruction(entry.job.creation_time, value)?;
        Ok(())
    }

    /// Replaces parameters (each name given replaces all its values); only while PENDING.
    pub fn update_parameters(&self, id: &str, params: Params) -> Result<(), JobError> {
        self.pending(id, "the parameters", |job| job.parameters.merge(params))
    }

    /// A POST to the job itself: `ACTION=DELETE`, or any of the job control parameters and
    /// parameter updates.
    pub fn post(self: &Arc<Self>, id: &str, mut params: Params) -> Result<Posted, JobError> {
        match params.get("ACTION")? {
            Some(a) if a.eq_ignore_ascii_case("DELETE") => {
                self.delete(id)?;
                return Ok(Posted::Deleted);
            }
            Some(a) => {
                return Err(JobError::Invalid(format!(
                    "ACTION={a:?}: only DELETE is known"
                )));
            }
            None => {}
        }
        params.remove("ACTION");
        let duration = params.get("EXECUTIONDURATION")?.map(str::to_owned);
        let destruction = params.get("DESTRUCTION")?.map(str::to_owned);
        let phase = params.get("PHASE")?.map(str::to_owned);
        for name in CONTROL {
            params.remove(name);
        }
        self.get(id)?;
        if !params.is_empty() {
            self.update_parameters(id, params)?;
        }
        if let Some(v) = duration {
            self.set_execution_duration(id, &v)?;
        }
        if let Some(v) = destruction {
            self.set_destruction(id, &v)?;
        }
        if let Some(v) = phase {
            self.set_phase(id, &v)?;
        }
        Ok(Posted::Updated)
    }

    /// The result of a COMPLETED job; `None` before.
    pub async fn result(&self, id: &str) -> Result<Option<Output>, JobError> {
        let Some(info) = self.get(id)?.result else {
            return Ok(None);
        };
        match tokio::fs::read(self.result_path(id)).await {
            Ok(body) => Ok(Some(Output {
                body,
                content_type: info.content_type,
            })),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Err(JobError::NotFound(id.to_owned())),
            Err(e) => Err(JobError::Io(e)),
        }
    }

    /// The error document of a job in ERROR; `None` otherwise.
    pub fn error_document(&self, id: &str) -> Result<Option<Output>, JobError> {
        self.reap();
        self.lock()
            .get(id)
            .map(|e| e.error_document.clone())
            .ok_or_else(|| JobError::NotFound(id.to_owned()))
    }
}

type W<'w> = Writer<&'w mut Vec<u8>>;

fn text(w: &mut W, name: &str, value: &str) -> io::Result<()> {
    w.create_element(name)
        .write_text_content(BytesText::new(value))?;
    Ok(())
}

fn nil(w: &mut W, name: &str) -> io::Result<()> {
    w.create_element(name)
        .with_attribute(("xsi:nil", "true"))
        .write_empty()?;
    Ok(())
}

fn instant_or_nil(w: &mut W, name: &str, t: Option<&DateTime<Utc>>) -> io::Result<()> {
    match t {
        Some(t) => text(w, name, &format_instant(t)),
        None => nil(w, name),
    }
}

fn document(body: impl FnOnce(&mut W) -> io::Result<()>) -> io::Result<Vec<u8>> {
    let mut buf = Vec::with_capacity(2048);
    let mut w = Writer::new(&mut buf);
    w.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
    body(&mut w)?;
    Ok(buf)
}

const NAMESPACES: [(&str, &str); 3] = [
    ("xmlns:uws", NS_UWS),
    ("xmlns:xlink", NS_XLINK),
    ("xmlns:xsi", NS_XSI),
];

fn parameters(w: &mut W, job: &Job, root: bool) -> io::Result<()> {
    let mut e = w.create_element("uws:parameters");
    if root {
        e = e.with_attributes(NAMESPACES);
    }
    e.write_inner_content(|w| {
        for (name, value) in job.parameters.iter() {
            w.create_element("uws:parameter")
                .with_attribute(("id", name))
                .write_text_content(BytesText::new(value))?;
        }
        Ok::<_, io::Error>(())
    })?;
    Ok(())
}

fn results(w: &mut W, job: &Job, base: &str, root: bool) -> io::Result<()> {
    let mut e = w.create_element("uws:results");
    if root {
        e = e.with_attributes(NAMESPACES);
    }
    e.write_inner_content(|w| {
        if let Some(info) = &job.result {
            let href = format!("{base}/{}/results/result", job.id);
            let size = info.size.to_string();
            w.create_element("uws:result")
                .with_attributes([
                    ("id", "result"),
                    ("xlink:href", href.as_str()),
                    ("size", size.as_str()),
                    ("mime-type", info.content_type.as_str()),
                ])
                .write_empty()?;
        }
        Ok::<_, io::Error>(())
    })?;
    Ok(())
}

/// `<uws:job>`: one job. `base` is the absolute URL of the job list.
pub fn job_xml(job: &Job, base: &str) -> io::Result<Vec<u8>> {
    document(|w| {
        w.create_element("uws:job")
            .with_attributes(NAMESPACES)
            .with_attribute(("version", "1.1"))
            .write_inner_content(|w| {
                text(w, "uws:jobId", &job.id)?;
                if let Some(run_id) = job.run_id() {
                    text(w, "uws:runId", run_id)?;
                }
                match &job.owner {
                    Some(owner) => text(w, "uws:ownerId", owner)?,
                    None => nil(w, "uws:ownerId")?,
                }
                text(w, "uws:phase", job.phase.as_str())?;
                text(w, "uws:creationTime", &format_instant(&job.creation_time))?;
                instant_or_nil(w, "uws:startTime", job.start_time.as_ref())?;
                instant_or_nil(w, "uws:endTime", job.end_time.as_ref())?;
                text(
                    w,
                    "uws:executionDuration",
                    &job.execution_duration.to_string(),
                )?;
                text(w, "uws:destruction", &format_instant(&job.destruction))?;
                parameters(w, job, false)?;
                results(w, job, base, false)?;
                if let Some(message) = &job.error {
                    w.create_element("uws:errorSummary")
                        .with_attributes([("type", "fatal"), ("hasDetail", "true")])
                        .write_inner_content(|w| text(w, "uws:message", message))?;
                }
                Ok(())
            })?;
        Ok(())
    })
}

/// `<uws:jobs>`: references to the listed jobs.
pub fn jobs_xml(jobs: &[Job], base: &str) -> io::Result<Vec<u8>> {
    document(|w| {
        w.create_element("uws:jobs")
            .with_attributes(NAMESPACES)
            .with_attribute(("version", "1.1"))
            .write_inner_content(|w| {
                for job in jobs {
                    let href = format!("{base}/{}", job.id);
                    w.create_element("uws:jobref")
                        .with_attributes([("id", job.id.as_str()), ("xlink:href", href.as_str())])
                        .write_inner_content(|w| {
                            text(w, "uws:phase", job.phase.as_str())?;
                            if let Some(run_id) = job.run_id() {
                                text(w, "uws:runId", run_id)?;
                            }
                            match &job.owner {
                                Some(owner) => text(w, "uws:ownerId", owner)?,
                                None => nil(w, "uws:ownerId")?,
                            }
                            text(w, "uws:creationTime", &format_instant(&job.creation_time))
                        })?;
                }
                Ok(())
            })?;
        Ok(())
    })
}

/// `<uws:parameters>` of a job, as a document of its own.
pub fn parameters_xml(job: &Job) -> io::Result<Vec<u8>> {
    document(|w| parameters(w, job, true))
}

/// `<uws:results>` of a job, as a document of its own.
pub fn results_xml(job: &Job, base: &str) -> io::Result<Vec<u8>> {
    document(|w| results(w, job, base, true))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instants_parse_in_the_forms_clients_send() {
        let t = parse_instant("2024-03-01T10:20:30Z").unwrap();
        assert_eq!(format_instant(&t), "2024-03-01T10:20:30.000Z");
        assert_eq!(
            parse_instant("2024-03-01T10:20:30.5")
                .unwrap()
                .timestamp_subsec_millis(),
            500
        );
        assert_eq!(
            parse_instant("2024-03-01T12:20:30+02:00").unwrap(),
            parse_instant("2024-03-01T10:20:30Z").unwrap()
        );
        assert_eq!(
            parse_instant("2024-03-01").unwrap(),
            parse_instant("2024-03-01T00:00:00Z").unwrap()
        );
        assert!(parse_instant("yesterday").is_none());
    }

    struct Instant;

    impl Runner for Instant {
        async fn run(&self, _: Params) -> Result<Output, Failure> {
            Ok(Output {
                body: b"done".to_vec(),
                content_type: "text/plain".into(),
            })
        }
    }

    #[tokio::test]
    async fn the_reaper_sweeps_destroyed_jobs_without_being_asked() {
        let dir = tempfile::tempdir().unwrap();
        let limits = Limits {
            default_duration: 10,
            max_duration: 10,
            retention: 60,
            max_wait: 1,
            max_jobs: 5,
        };
        let jobs = Jobs::new(Arc::new(Instant), dir.path().to_owned(), limits);
        let doomed = jobs.create(Params::new()).unwrap();
        let kept = jobs.create(Params::new()).unwrap();
        jobs.set_destruction(&doomed.id, "2001-01-01T00:00:00Z")
            .unwrap();
        let reaper = jobs.start_reaper(Duration::from_millis(20));
        tokio::time::sleep(Duration::from_millis(200)).await;
        let left: Vec<String> = jobs.lock().keys().cloned().collect();
        assert_eq!(left, [kept.id]);
        // The sweep ends with the list.
        drop(jobs);
        tokio::time::timeout(Duration::from_secs(2), reaper)
            .await
            .unwrap()
            .unwrap();
    }

    #[test]
    fn filters_read_phase_after_and_last() {
        let p: Params = [("phase", "ERROR"), ("PHASE", "COMPLETED"), ("last", "2")]
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect();
        let f = Filter::from_params(&p).unwrap();
        assert_eq!(f.phases, [Phase::Error, Phase::Completed]);
        assert_eq!(f.last, Some(2));
        let bad: Params = [("LAST".to_string(), "0".to_string())]
            .into_iter()
            .collect();
        assert!(matches!(
            Filter::from_params(&bad),
            Err(JobError::Invalid(_))
        ));
        let bad: Params = [("PHASE".to_string(), "DONE".to_string())]
            .into_iter()
            .collect();
        assert!(matches!(
            Filter::from_params(&bad),
            Err(JobError::Invalid(_))
        ));
    }
}
