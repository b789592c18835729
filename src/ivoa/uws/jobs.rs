//! The job list itself: creating, running, waiting on, changing and destroying jobs, each
//! started job a tokio task of its own.

use super::*;

pub(super) struct Entry {
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

    pub(super) fn lock(&self) -> MutexGuard<'_, HashMap<String, Entry>> {
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
