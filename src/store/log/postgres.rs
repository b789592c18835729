//! The revision log in PostgreSQL (see `migrations/postgres`).
//!
//! An append is one transaction: it locks the head row, checks each conditional change against
//! the table of current assets (and the changes before it in the batch), inserts the batch
//! numbered from the head, updates the current assets and the head, and sends the new head on
//! the `orrery_revision` channel before committing. That notification is only a hint: a node
//! also polls the head, since a standby cannot LISTEN and a notification can be missed while a
//! connection is down.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use sqlx::Row as _;
use sqlx::postgres::{PgConnectOptions, PgListener, PgPool, PgPoolOptions};

use super::{Append, BoxFuture, Entry, LogError, Op, Refused, Result, RevisionLog};
use crate::store::Expect;

/// The channel a commit notifies with its new head.
const CHANNEL: &str = "orrery_revision";

/// How often a node looks at the head when no notification came.
const POLL: Duration = Duration::from_millis(100);

/// The log's migrations (embedded in the binary).
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// The revision log in a PostgreSQL database.
pub struct PgLog {
    pool: PgPool,
    /// The newest head seen, moved by notifications and polls, for `wait_for`.
    seen: Arc<tokio::sync::watch::Sender<u64>>,
    /// Whether the server is a standby (read-only, no LISTEN).
    standby: bool,
    listener: tokio::task::JoinHandle<()>,
}

impl Drop for PgLog {
    fn drop(&mut self) {
        self.listener.abort();
    }
}

impl PgLog {
    /// Connects to `url`, brings the schema up to date (on a primary) and starts listening
    /// for new revisions. A standby's schema is its primary's.
    pub async fn open(url: &str) -> Result<PgLog> {
        let options: PgConnectOptions = url.parse()?;
        let pool = PgPoolOptions::new()
            .max_connections(8)
            .acquire_timeout(Duration::from_secs(5))
            .connect_with(options)
            .await?;
        let standby: bool = sqlx::query_scalar("SELECT pg_is_in_recovery()")
            .fetch_one(&pool)
            .await?;
        if !standby {
            MIGRATOR.run(&pool).await?;
        }
        let head = head_of(&pool).await?;
        let seen = Arc::new(tokio::sync::watch::Sender::new(head));
        let listener = tokio::spawn(listen(pool.clone(), seen.clone(), standby));
        Ok(PgLog {
            pool,
            seen,
            standby,
            listener,
        })
    }

    /// The connections, for the tables that live beside the log.
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// When the shared catalogue was created (RFC 3339).
    pub async fn created(&self) -> Result<String> {
        Ok(
            sqlx::query_scalar("SELECT value FROM orrery_meta WHERE name = 'created'")
                .fetch_one(&self.pool)
                .await?,
        )
    }

    /// The log's name (random, drawn when it was created).
    pub async fn id(&self) -> Result<String> {
        Ok(
            sqlx::query_scalar("SELECT value FROM orrery_meta WHERE name = 'id'")
                .fetch_one(&self.pool)
                .await?,
        )
    }

    /// A signing key every node shares (`oai_key`, `cursor_key`: see the migrations).
    pub async fn key(&self, name: &str) -> Result<Vec<u8>> {
        let hex: String = sqlx::query_scalar("SELECT value FROM orrery_meta WHERE name = $1")
            .bind(name)
            .fetch_one(&self.pool)
            .await?;
        Ok(hex.into_bytes())
    }

    /// Whether the server is a read-only standby.
    pub fn is_standby(&self) -> bool {
        self.standby
    }

    /// Appends `batch` only to an empty log (the demo catalogue of a first start, which
    /// several nodes may try at once); refused otherwise.
    pub async fn append_if_empty(
        &self,
        batch: Vec<Append>,
    ) -> Result<std::result::Result<Vec<u64>, Refused>> {
        self.append_now(batch, Some(0)).await
    }

    async fn append_now(
        &self,
        batch: Vec<Append>,
        at_head: Option<u64>,
    ) -> Result<std::result::Result<Vec<u64>, Refused>> {
        if batch.is_empty() {
            return Ok(Ok(Vec::new()));
        }
        let mut tx = self.pool.begin().await?;
        let head: i64 = sqlx::query_scalar("SELECT revision FROM orrery_head FOR UPDATE")
            .fetch_one(&mut *tx)
            .await?;
        let head = head as u64;
        if at_head.is_some_and(|h| h != head) {
            tx.rollback().await?;
            return Ok(Err(Refused {
                asset: String::new(),
                current: Some(head),
            }));
        }
        // The state of each asset as the batch leaves it so far: (revision, deleted).
        let mut state: HashMap<String, Option<(u64, bool)>> = HashMap::new();
        let conditional: Vec<String> = batch
            .iter()
            .filter(|a| a.op.expect().is_some())
            .map(|a| a.op.asset().to_owned())
            .collect();
        if !conditional.is_empty() {
            let rows =
                sqlx::query("SELECT id, revision, deleted FROM orrery_assets WHERE id = ANY($1)")
                    .bind(&conditional)
                    .fetch_all(&mut *tx)
                    .await?;
            for r in rows {
                let id: String = r.try_get("id")?;
                let rev: i64 = r.try_get("revision")?;
                state.insert(id, Some((rev as u64, r.try_get("deleted")?)));
            }
        }
        let n = batch.len();
        let (mut revs, mut assets, mut ops, mut docs, mut actors, mut ats) = (
            Vec::with_capacity(n),
            Vec::with_capacity(n),
            Vec::with_capacity(n),
            Vec::with_capacity(n),
            Vec::with_capacity(n),
            Vec::with_capacity(n),
        );
        let mut current: HashMap<String, (i64, bool)> = HashMap::new();
        for (i, a) in batch.iter().enumerate() {
            let rev = head + 1 + i as u64;
            let id = a.op.asset().to_owned();
            if let Some(expect) = a.op.expect() {
                let live = state
                    .get(&id)
                    .copied()
                    .flatten()
                    .filter(|(_, deleted)| !deleted)
                    .map(|(r, _)| r);
                let ok = match expect {
                    Expect::Absent => live.is_none(),
                    Expect::Revision(r) => live == Some(r),
                };
                if !ok {
                    tx.rollback().await?;
                    return Ok(Err(Refused {
                        asset: id,
                        current: live,
                    }));
                }
            }
            let deleted = match a.op.deletes() {
                Some(d) => d,
                None => state
                    .get(&id)
                    .copied()
                    .flatten()
                    .is_some_and(|(_, deleted)| deleted),
            };
            if !matches!(a.op, Op::Versions { .. }) {
                state.insert(id.clone(), Some((rev, deleted)));
                current.insert(id.clone(), (rev as i64, deleted));
            }
            let doc = serde_json::to_string(&a.op).map_err(|e| LogError::Entry {
                revision: rev,
                why: e.to_string(),
            })?;
            revs.push(rev as i64);
            assets.push(id);
            ops.push(a.op.name());
            docs.push(doc);
            actors.push(a.actor.as_str());
            ats.push(a.at.as_str());
        }
        sqlx::query(
            "INSERT INTO orrery_revisions (revision, asset, operation, document, actor, at)
             SELECT * FROM UNNEST($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[])",
        )
        .bind(&revs)
        .bind(&assets)
        .bind(&ops)
        .bind(&docs)
        .bind(&actors)
        .bind(&ats)
        .execute(&mut *tx)
        .await?;
        if !current.is_empty() {
            let (ids, (crevs, dels)): (Vec<String>, (Vec<i64>, Vec<bool>)) =
                current.into_iter().unzip();
            sqlx::query(
                "INSERT INTO orrery_assets (id, revision, deleted)
                 SELECT * FROM UNNEST($1::text[], $2::bigint[], $3::bool[])
                 ON CONFLICT (id) DO UPDATE SET revision = excluded.revision, deleted = excluded.deleted",
            )
            .bind(&ids)
            .bind(&crevs)
            .bind(&dels)
            .execute(&mut *tx)
            .await?;
        }
        let new_head = head + n as u64;
        sqlx::query("UPDATE orrery_head SET revision = $1")
            .bind(new_head as i64)
            .execute(&mut *tx)
            .await?;
        sqlx::query("SELECT pg_notify($1, $2)")
            .bind(CHANNEL)
            .bind(new_head.to_string())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        super::advance(&self.seen, new_head);
        Ok(Ok((head + 1..=new_head).collect()))
    }

    async fn read_now(&self, after: u64, limit: usize) -> Result<Vec<Entry>> {
        let rows = sqlx::query(
            "SELECT revision, asset, document, actor, at FROM orrery_revisions
             WHERE revision > $1 ORDER BY revision LIMIT $2",
        )
        .bind(after as i64)
        .bind(limit.min(i64::MAX as usize) as i64)
        .fetch_all(&self.pool)
        .await?;
        let mut out = Vec::with_capacity(rows.len());
        for (expected, r) in (after + 1..).zip(rows) {
            let revision = r.try_get::<i64, _>("revision")? as u64;
            if revision != expected {
                // Not yet visible here (cannot happen on one server; a standby shows whole
                // transactions too): stop before the gap.
                break;
            }
            let doc: String = r.try_get("document")?;
            let op: Op = serde_json::from_str(&doc).map_err(|e| LogError::Entry {
                revision,
                why: format!("unreadable change: {e}"),
            })?;
            out.push(Entry {
                revision,
                asset: r.try_get("asset")?,
                op: Some(op),
                actor: r.try_get("actor")?,
                at: r.try_get("at")?,
            });
        }
        Ok(out)
    }
}

async fn head_of(pool: &PgPool) -> Result<u64> {
    let h: i64 = sqlx::query_scalar("SELECT revision FROM orrery_head")
        .fetch_one(pool)
        .await?;
    Ok(h as u64)
}

/// Moves `seen` forward on every notification (on a primary) and every poll.
async fn listen(pool: PgPool, seen: Arc<tokio::sync::watch::Sender<u64>>, standby: bool) {
    let mut listener: Option<PgListener> = None;
    loop {
        if !standby
            && listener.is_none()
            && let Ok(mut l) = PgListener::connect_with(&pool).await
            && l.listen(CHANNEL).await.is_ok()
        {
            listener = Some(l);
        }
        let notified = match listener.as_mut() {
            Some(l) => match tokio::time::timeout(POLL, l.try_recv()).await {
                Ok(Ok(Some(n))) => n.payload().parse::<u64>().ok(),
                Ok(Ok(None)) | Err(_) => None,
                Ok(Err(_)) => {
                    listener = None;
                    None
                }
            },
            None => {
                tokio::time::sleep(POLL).await;
                None
            }
        };
        match notified {
            Some(h) => super::advance(&seen, h),
            None => {
                if let Ok(h) = head_of(&pool).await {
                    super::advance(&seen, h);
                }
            }
        }
    }
}

impl RevisionLog for PgLog {
    fn append(
        &self,
        batch: Vec<Append>,
    ) -> BoxFuture<'_, Result<std::result::Result<Vec<u64>, Refused>>> {
        Box::pin(self.append_now(batch, None))
    }

    fn read(&self, after: u64, limit: usize) -> BoxFuture<'_, Result<Vec<Entry>>> {
        Box::pin(self.read_now(after, limit))
    }

    fn head(&self) -> BoxFuture<'_, Result<u64>> {
        Box::pin(async move {
            let h = head_of(&self.pool).await?;
            super::advance(&self.seen, h);
            Ok(h)
        })
    }

    fn wait_for(&self, revision: u64, within: Duration) -> BoxFuture<'_, Result<u64>> {
        Box::pin(async move {
            let mut rx = self.seen.subscribe();
            let _ = tokio::time::timeout(within, rx.wait_for(|h| *h >= revision)).await;
            let h = *rx.borrow();
            Ok(h)
        })
    }
}
