//! A catalogue whose truth is shared in PostgreSQL (`--database-url`): writes append to the
//! revision log there, and every node, the writer too, follows the log into its own RDF
//! store, from which its other projections catch up as they do embedded. A node's store holds
//! the revision it applied atomically with its data, so a node that stops at any instant
//! resumes from there.
//!
//! One node maintains the tables that live in PostgreSQL beside the log (the rr tables and
//! TAP_SCHEMA, the OAI-PMH log, the assets table): the one that holds the leader's advisory
//! lock, taken by nodes that may write.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use sqlx::Connection as _;

use super::{Catalog, CatalogError, Result};
use crate::store::log::{self, Append, Op, PgLog, Refused, RevisionLog};

/// How many log entries a node applies to its store at a time.
const BATCH: usize = 2_000;

/// How long a leader's check of its session, or an attempt to lead, may take.
const LEAD_TIMEOUT: Duration = Duration::from_secs(5);

/// Seconds between a follower writer's attempts to lead.
const LEAD_EVERY: u64 = 10;

/// How long a writer that does not lead waits for the leader's tables to take its write in
/// before acknowledging it.
const KEPT_WAIT: Duration = Duration::from_secs(2);

/// The advisory lock key of the leader (`orrery` in ASCII).
const LEADER_KEY: i64 = 0x6f72_7265_7279;

/// The log and what a node keeps of it.
pub struct Shared {
    pub log: Arc<PgLog>,
    url: String,
    /// Whether this node may write (and so lead).
    writes: bool,
    /// One follower at a time applies the log (the guard goes with each batch into the
    /// blocking task that applies it, so a request dropped meanwhile cannot let another
    /// follower in before that batch is in).
    pub(super) following: Arc<tokio::sync::Mutex<()>>,
    /// The session holding the leader's lock, while this node leads.
    leader: tokio::sync::Mutex<Option<sqlx::PgConnection>>,
    leading: AtomicBool,
    /// When this node last tried to lead (seconds since it opened the log).
    tried: std::sync::atomic::AtomicU64,
    opened: std::time::Instant,
    /// Set while the log cannot be reached.
    unavailable: AtomicBool,
    /// Why the log cannot be applied here, while it cannot (an entry this node refuses).
    failing: std::sync::Mutex<Option<String>>,
    /// One digest at a time (they read every projection whole).
    digesting: tokio::sync::Semaphore,
    /// Set once this node has applied the whole log as it stood at some point since it
    /// started: until then, it is catching up and keeps out of a balancer's rotation.
    caught_up: AtomicBool,
    /// Set once this node, leading, has made sure of the tables it keeps (the rr tables and
    /// TAP_SCHEMA); cleared when it stops leading, so that a failure is tried again.
    prepared: AtomicBool,
    /// The revision the assets table kept in PostgreSQL has applied, as last read (by one
    /// waiter at a time: `kept_poll`).
    kept: tokio::sync::watch::Sender<u64>,
    kept_poll: tokio::sync::Mutex<()>,
    /// Set when the catalogue closes: the follower stops.
    pub(super) closing: AtomicBool,
}

impl Shared {
    pub async fn open(url: &str, writes: bool) -> Result<Shared> {
        Ok(Shared {
            log: Arc::new(PgLog::open(url).await?),
            url: url.to_owned(),
            writes,
            following: Arc::new(tokio::sync::Mutex::new(())),
            leader: tokio::sync::Mutex::new(None),
            leading: AtomicBool::new(false),
            tried: std::sync::atomic::AtomicU64::new(0),
            opened: std::time::Instant::now(),
            unavailable: AtomicBool::new(false),
            failing: std::sync::Mutex::new(None),
            digesting: tokio::sync::Semaphore::new(1),
            caught_up: AtomicBool::new(false),
            prepared: AtomicBool::new(false),
            kept: tokio::sync::watch::Sender::new(0),
            kept_poll: tokio::sync::Mutex::new(()),
            closing: AtomicBool::new(false),
        })
    }

    /// Whether this node maintains the tables beside the log.
    pub fn leads(&self) -> bool {
        self.leading.load(Ordering::SeqCst)
    }

    /// Whether this node has caught up with the log since it started (a fresh node, or one
    /// that was down a while, answers nothing from a partial catalogue meanwhile).
    pub fn caught_up(&self) -> bool {
        self.caught_up.load(Ordering::SeqCst)
    }

    /// Whether this node may write.
    pub fn writes(&self) -> bool {
        self.writes
    }

    /// Whether the log could not be reached the last time it was asked.
    pub fn unavailable(&self) -> bool {
        self.unavailable.load(Ordering::SeqCst)
    }

    /// Whether the last attempt to apply the log here failed for another reason than an
    /// unreachable database (the node stays behind until it is fixed: see its log).
    pub fn failing(&self) -> bool {
        self.failing
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .is_some()
    }

    fn set_failing(&self, why: Option<String>) {
        let mut failing = self.failing.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(w) = &why
            && failing.as_ref() != Some(w)
        {
            tracing::error!(error = %w, "the revision log cannot be applied here");
        }
        *failing = why;
    }

    /// Takes the leader's lock if this node may write and nobody holds it; keeps it while its
    /// session lives. Returns whether this node leads.
    pub async fn try_lead(&self) -> bool {
        if !self.writes || self.log.is_standby() {
            return false;
        }
        let mut held = self.leader.lock().await;
        if let Some(c) = held.as_mut() {
            if matches!(
                tokio::time::timeout(LEAD_TIMEOUT, c.ping()).await,
                Ok(Ok(()))
            ) {
                return true;
            }
            // The session is gone, and the lock with it.
            *held = None;
            self.leading.store(false, Ordering::SeqCst);
            self.prepared.store(false, Ordering::SeqCst);
            tracing::warn!("this node's leader session ended: it leads no longer");
        }
        let Ok(Ok(mut c)) =
            tokio::time::timeout(LEAD_TIMEOUT, sqlx::PgConnection::connect(&self.url)).await
        else {
            return false;
        };
        let got = tokio::time::timeout(
            LEAD_TIMEOUT,
            sqlx::query_scalar::<_, bool>("SELECT pg_try_advisory_lock($1)")
                .bind(LEADER_KEY)
                .fetch_one(&mut c),
        )
        .await;
        let got = matches!(got, Ok(Ok(true)));
        if got {
            *held = Some(c);
            self.leading.store(true, Ordering::SeqCst);
            tracing::info!(
                "this node leads: it keeps the rr tables, TAP_SCHEMA, the OAI-PMH log and the assets table"
            );
        }
        got
    }

    fn set_unavailable(&self, down: bool) {
        if self.unavailable.swap(down, Ordering::SeqCst) != down {
            if down {
                tracing::warn!("the revision log cannot be reached: retrying");
            } else {
                tracing::info!("the revision log is reachable again");
            }
        }
    }
}

impl Catalog {
    /// The shared truth, when the catalogue has one.
    pub fn shared(&self) -> Option<&Shared> {
        self.shared.as_ref()
    }

    /// Where the state shared beside the catalogue lives (harvest state): PostgreSQL in a
    /// deployment of several nodes, else the data directory's SQLite.
    pub fn state_db(&self) -> crate::store::db::Db {
        // The accounts' own: `share` moves them there.
        self.accounts.db().clone()
    }

    /// The revision every projection of this node has applied.
    pub fn applied(&self) -> u64 {
        *self.applied.borrow()
    }

    /// The head of the revision log (this node's store, embedded).
    pub async fn head(&self) -> Result<u64> {
        match &self.shared {
            Some(s) => {
                let h = s.log.head().await;
                s.set_unavailable(matches!(&h, Err(e) if e.is_unavailable()));
                Ok(h?)
            }
            None => Ok(self.store.revision()?),
        }
    }

    /// Records that every projection has applied the store's revision (unless some are still
    /// being built in the background).
    pub(super) fn mark_applied(&self) -> Result<()> {
        if !self.building() {
            let rev = self.store.revision()?;
            log::advance(&self.applied, rev);
        }
        Ok(())
    }

    /// Waits until every projection of this node has applied `revision`, and in a shared
    /// deployment the assets table the leader keeps in PostgreSQL too, for at most `within`;
    /// returns whether they have.
    pub async fn wait_applied(&self, revision: u64, within: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + within;
        let mut rx = self.applied.subscribe();
        if tokio::time::timeout(within, rx.wait_for(|a| *a >= revision))
            .await
            .is_err()
        {
            return false;
        }
        // The assets table of a shared deployment is the leader's: it must have applied the
        // revision too (and this node's PostgreSQL, a standby perhaps, have received that).
        match &self.shared {
            Some(shared) if self.assets.is_shared() => {
                self.wait_kept(shared, revision, deadline).await
            }
            _ => true,
        }
    }

    /// Waits until the assets table kept in PostgreSQL has applied `revision`, or `deadline`.
    /// One waiter at a time reads its watermark (every 20 ms); the others wait for what it
    /// reads, so that many waiting requests cost the pool one query at a time.
    async fn wait_kept(
        &self,
        shared: &Shared,
        revision: u64,
        deadline: tokio::time::Instant,
    ) -> bool {
        use crate::project::Projection;
        let mut seen = shared.kept.subscribe();
        loop {
            if *seen.borrow_and_update() >= revision {
                return true;
            }
            if tokio::time::Instant::now() >= deadline {
                return false;
            }
            let poll = Duration::from_millis(20);
            match shared.kept_poll.try_lock() {
                Ok(_polling) => {
                    if let Ok(w) = self.assets.watermark().await {
                        log::advance(&shared.kept, w);
                    }
                    if *shared.kept.borrow() < revision {
                        tokio::time::sleep(poll).await;
                    }
                }
                Err(_) => {
                    let _ = tokio::time::timeout(poll * 2, seen.changed()).await;
                }
            }
        }
    }

    /// Applies the log to this node's store up to its head, then lets every projection catch
    /// up. Returns the revision applied. Embedded, there is nothing to follow.
    pub async fn follow(&self) -> Result<u64> {
        let Some(shared) = &self.shared else {
            return Ok(self.store.revision()?);
        };
        let following = shared.following.clone().lock_owned().await;
        let r = self.follow_locked(shared, following).await;
        let down = matches!(&r, Err(e) if e.is_unavailable());
        shared.set_unavailable(down);
        shared.set_failing(match &r {
            Err(e) if !down => Some(e.to_string()),
            _ => None,
        });
        r
    }

    async fn follow_locked(
        &self,
        shared: &Shared,
        mut following: tokio::sync::OwnedMutexGuard<()>,
    ) -> Result<u64> {
        loop {
            let at = self.store.revision()?;
            let entries = shared.log.read(at, BATCH).await?;
            if entries.is_empty() {
                break;
            }
            let store = self.store.clone();
            let (guard, applied) = tokio::task::spawn_blocking(move || {
                let applied = log::apply(&store, &entries);
                (following, applied)
            })
            .await
            .map_err(|e| CatalogError::Task(e.to_string()))?;
            following = guard;
            applied?;
        }
        if shared.leads() {
            // Before the rr tables are written: whether the lock still holds (the session may
            // have been cut, and another writer may lead by now).
            shared.try_lead().await;
        } else if shared.writes {
            // Now and then: whether the writer that leads is gone.
            let now = shared.opened.elapsed().as_secs() + LEAD_EVERY;
            if shared.tried.load(Ordering::SeqCst) + LEAD_EVERY <= now {
                shared.tried.store(now, Ordering::SeqCst);
                shared.try_lead().await;
            }
        }
        if shared.leads() && !shared.prepared.load(Ordering::SeqCst) {
            // Led by another node until now (or a first attempt failed): make sure of the
            // tables before writing them, and describe them in TAP_SCHEMA as this node's
            // version publishes them.
            if let Some(r) = self.regtap.get() {
                r.prepare().await?;
                if let crate::ivoa::regtap::project::Database::Postgres(url) = r.database() {
                    use crate::ivoa::tap::{query, tap_schema};
                    let setup = tap_schema::statements(r.database().backend());
                    query::set_up_postgres(url, setup)
                        .await
                        .map_err(crate::project::ProjectionError::from)?;
                }
                shared.prepared.store(true, Ordering::SeqCst);
            }
        }
        {
            let _writing = self.writing.lock().await;
            self.catch_up().await?;
        }
        if !self.building() {
            shared.caught_up.store(true, Ordering::SeqCst);
        }
        self.mark_applied()?;
        drop(following);
        Ok(self.store.revision()?)
    }

    /// Follows the log for as long as the service runs: at each new revision (notified, or
    /// seen by polling), and after a failure once the log can be reached again.
    pub async fn follow_forever(self: Arc<Self>) {
        let Some(shared) = &self.shared else {
            return;
        };
        let mut first = true;
        loop {
            if !first {
                let at = self.store.revision().unwrap_or(0);
                let _ = shared.log.wait_for(at + 1, Duration::from_secs(1)).await;
            }
            // (The first pass at once: the node is out of rotation until it has caught up.)
            first = false;
            if shared.closing.load(Ordering::SeqCst) {
                return;
            }
            let c = self.clone();
            match tokio::spawn(async move { c.follow().await }).await {
                Ok(Ok(_)) => {}
                Ok(Err(e)) => {
                    tracing::warn!(error = %e, "following the revision log failed: retrying in 1 s");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
                Err(e) => {
                    tracing::error!(error = %e, "following the revision log panicked: retrying in 1 s");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
            }
        }
    }

    /// Appends `batch` to the shared log and follows it until this node has applied it, so that
    /// what is acknowledged is also found here. Returns the revisions, or what refused them
    /// (after following, so that a retry sees the change that won).
    pub(super) async fn append_shared(
        &self,
        shared: &Shared,
        batch: Vec<Append>,
        if_empty: bool,
    ) -> Result<std::result::Result<Vec<u64>, Refused>> {
        // What every node will do with these changes must work here first: an entry no node
        // can apply would stop them all.
        let (store, checked) = (self.store.clone(), batch.clone());
        tokio::task::spawn_blocking(move || {
            for a in &checked {
                let asset = match &a.op {
                    Op::Put { asset, .. } => Some(asset),
                    Op::Mutate(m) => match &m.body {
                        crate::store::Body::Put(asset) => Some(asset),
                        _ => None,
                    },
                    Op::Versions { .. } => None,
                };
                if let Some(asset) = asset {
                    crate::model::rdf::to_quads(asset, store.base(), store.vocab())
                        .map_err(crate::store::StoreError::from)?;
                }
            }
            Ok::<(), CatalogError>(())
        })
        .await
        .map_err(|e| CatalogError::Task(e.to_string()))??;
        let appended = if if_empty {
            shared.log.append_if_empty(batch).await?
        } else {
            shared.log.append(batch).await?
        };
        let last = match &appended {
            Ok(revs) => revs.last().copied(),
            Err(_) => None,
        };
        match last {
            Some(rev) => {
                self.follow().await?;
                if self.store.revision()? < rev {
                    return Err(CatalogError::Task(format!(
                        "revision {rev} was committed but is not yet readable here"
                    )));
                }
                if shared.writes && !shared.leads() && self.assets.is_shared() {
                    // The listings (my assets, the moderators' queue) are the leader's: the
                    // page a serving writer shows next lists the write once the leader has
                    // it. The write is in the log already: past the bound it is acknowledged
                    // anyway. (`ingest` and `harvest`, which never lead, do not wait.)
                    let bound = tokio::time::Instant::now() + KEPT_WAIT;
                    self.wait_kept(shared, rev, bound).await;
                }
            }
            None => {
                self.follow().await?;
            }
        }
        Ok(appended)
    }
}

impl Catalog {
    /// An order-free digest of each projection of this node: the store (every quad but its
    /// own settings), the assets table (in a shared deployment, the one the leader keeps in
    /// PostgreSQL, as this node's PostgreSQL shows it) and the search index.
    ///
    /// Writes are not held back meanwhile: the digests are taken again (up to three times)
    /// until the node applied nothing while they were taken. `None` while another digest is
    /// being taken.
    pub async fn digests(
        &self,
    ) -> Result<Option<std::collections::BTreeMap<&'static str, String>>> {
        let _one = match &self.shared {
            Some(s) => match s.digesting.try_acquire() {
                Ok(permit) => Some(permit),
                Err(_) => return Ok(None),
            },
            None => None,
        };
        let mut taken = None;
        for _ in 0..3 {
            let before = (self.store.revision()?, self.applied());
            let (store, search) = (self.store.clone(), self.search.clone());
            let (store, search) = tokio::task::spawn_blocking(move || {
                Ok::<_, CatalogError>((store.digest()?, search.digest()?))
            })
            .await
            .map_err(|e| CatalogError::Task(e.to_string()))??;
            let assets = self.assets.digest().await?;
            taken = Some(
                [("store", store), ("assets", assets), ("search", search)]
                    .into_iter()
                    .collect(),
            );
            if (self.store.revision()?, self.applied()) == before {
                break;
            }
        }
        Ok(taken)
    }
}

/// The actor of a change, from its history event.
pub(super) fn actor_of(op: &Op) -> String {
    let event = match op {
        Op::Put { event, .. } => Some(event),
        Op::Mutate(m) => Some(&m.event),
        Op::Versions { .. } => None,
    };
    event
        .and_then(|e| e.get("by"))
        .and_then(|b| b.as_str())
        .unwrap_or("operator")
        .to_owned()
}
