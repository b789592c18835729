//! The OAI-PMH record log: for every record a harvester may ever see, its header (datestamp,
//! deleted) with the store revisions during which that header held. It lives in the data
//! directory's SQLite, or, in a deployment of several nodes, in PostgreSQL beside the revision
//! log, kept by the leading node and read by every node (`migrations/postgres`); each query is
//! written once for both.
//!
//! A record enters when its asset first becomes visible to anonymous readers; its datestamp is
//! the time of the last change of its public graph (private changes and pending edits do not
//! move it); when it stops being visible (deleted, withdrawn, made private) it becomes a
//! tombstone, kept for good (`deletedRecord` persistent). Never-public assets never appear.
//!
//! Keeping each header's revision range lets a harvest list the catalogue as it stood when the
//! harvest began (its resumption tokens carry that revision): a record changed during the
//! harvest is listed once, with the header it had then, and neither skipped nor repeated.

use sqlx::Row as _;
use sqlx::postgres::PgPool;

use super::pool::{LOCK_PROJECTION, Pool, SET_WATERMARK, on};
use super::{Projection, Result, Row};

/// `rev_to` of the current header of a record.
pub const OPEN: i64 = i64::MAX;

/// Pseudo-ids of the registry's own records, which are always present.
pub const REGISTRY: &str = "#registry";
pub const AUTHORITY: &str = "#authority";
pub const TAP: &str = "#tap";

const SCHEMA: &[&str] = &[
    "CREATE TABLE IF NOT EXISTS projection_state (name TEXT PRIMARY KEY, revision INTEGER NOT NULL)",
    "CREATE TABLE IF NOT EXISTS oai_log (
        id TEXT NOT NULL,
        rev_from INTEGER NOT NULL,
        rev_to INTEGER NOT NULL,
        datestamp TEXT NOT NULL,
        deleted INTEGER NOT NULL
    )",
    "CREATE INDEX IF NOT EXISTS oai_log_order ON oai_log (datestamp, id)",
    "CREATE INDEX IF NOT EXISTS oai_log_id ON oai_log (id, rev_to)",
];

/// One OAI-PMH header.
#[derive(Debug, Clone, PartialEq)]
pub struct Header {
    pub id: String,
    pub datestamp: String,
    pub deleted: bool,
}

/// What a list request selects.
#[derive(Debug, Clone)]
pub struct Selection {
    /// The store revision the harvest lists the catalogue at.
    pub at: u64,
    pub from: String,
    pub until: String,
    /// Resume after this (datestamp, id).
    pub after: Option<(String, String)>,
}

/// The OAI-PMH record log.
#[derive(Clone)]
pub struct OaiLog {
    pool: Pool,
    created: String,
}

impl OaiLog {
    /// Opens the log in the database at `path`; `created` dates the registry's own records.
    pub async fn open(path: &std::path::Path, created: &str) -> Result<OaiLog> {
        let pool = crate::store::sqlite::open(path).await?;
        for stmt in SCHEMA {
            sqlx::query(*stmt).execute(&pool).await?;
        }
        let log = OaiLog {
            pool: Pool::Sqlite(pool),
            created: created.to_owned(),
        };
        log.own_records().await?;
        Ok(log)
    }

    /// The log of a deployment of several nodes, in its PostgreSQL (made, with the registry's
    /// own records, by its migrations).
    pub fn on_postgres(pool: PgPool, created: &str) -> OaiLog {
        OaiLog {
            pool: Pool::Postgres(pool),
            created: created.to_owned(),
        }
    }

    /// Whether the log lives in PostgreSQL, beside the revision log.
    pub fn is_shared(&self) -> bool {
        self.pool.is_shared()
    }

    async fn own_records(&self) -> Result<()> {
        for id in [REGISTRY, AUTHORITY, TAP] {
            on!(self, |pool, q| {
                q(
                    "INSERT INTO oai_log (id, rev_from, rev_to, datestamp, deleted)
                   SELECT $1, 0, $2, $3, 0 WHERE NOT EXISTS (SELECT 1 FROM oai_log WHERE id = $1)",
                )
                .bind(id)
                .bind(OPEN)
                .bind(&self.created)
                .execute(pool)
                .await?;
            });
        }
        Ok(())
    }

    /// The headers selected, in (datestamp, id) order, at most `limit`.
    pub async fn list(&self, s: &Selection, limit: usize) -> Result<Vec<Header>> {
        // Two statements rather than one with an OR, so that the resume point is a range
        // on the (datestamp, id) index and each page costs its own size, not the offset.
        Ok(on!(self, |pool, q| {
            let rows = match &s.after {
                Some((d, i)) => {
                    q("SELECT id, datestamp, deleted FROM oai_log
                       WHERE (datestamp, id) > ($2, $3) AND datestamp <= $4
                         AND rev_from <= $1 AND rev_to > $1
                       ORDER BY datestamp, id LIMIT $5")
                    .bind(s.at as i64)
                    .bind(d)
                    .bind(i)
                    .bind(&s.until)
                    .bind(limit as i64)
                    .fetch_all(pool)
                    .await?
                }
                None => {
                    q("SELECT id, datestamp, deleted FROM oai_log
                       WHERE datestamp >= $2 AND datestamp <= $3
                         AND rev_from <= $1 AND rev_to > $1
                       ORDER BY datestamp, id LIMIT $4")
                    .bind(s.at as i64)
                    .bind(&s.from)
                    .bind(&s.until)
                    .bind(limit as i64)
                    .fetch_all(pool)
                    .await?
                }
            };
            rows.into_iter()
                .map(|r| Header {
                    id: r.get(0),
                    datestamp: r.get(1),
                    deleted: r.get::<i64, _>(2) != 0,
                })
                .collect()
        }))
    }

    /// How many headers a selection holds (ignoring `after`).
    pub async fn count(&self, s: &Selection) -> Result<u64> {
        let n: i64 = on!(self, |pool, q| {
            q("SELECT COUNT(*) FROM oai_log
               WHERE rev_from <= $1 AND rev_to > $1 AND datestamp >= $2 AND datestamp <= $3")
            .bind(s.at as i64)
            .bind(&s.from)
            .bind(&s.until)
            .fetch_one(pool)
            .await?
            .get(0)
        });
        Ok(n as u64)
    }

    /// The current header of a record, if it has one.
    pub async fn header(&self, id: &str) -> Result<Option<Header>> {
        Ok(on!(self, |pool, q| {
            q("SELECT id, datestamp, deleted FROM oai_log WHERE id = $1 AND rev_to = $2")
                .bind(id)
                .bind(OPEN)
                .fetch_optional(pool)
                .await?
                .map(|r| Header {
                    id: r.get(0),
                    datestamp: r.get(1),
                    deleted: r.get::<i64, _>(2) != 0,
                })
        }))
    }

    /// How many records (the registry's own aside) are live and how many are tombstones now.
    pub async fn current_counts(&self) -> Result<(u64, u64)> {
        let (live, gone): (i64, i64) = on!(self, |pool, q| {
            let row = q(
                "SELECT COALESCE(SUM(CASE WHEN deleted = 0 THEN 1 ELSE 0 END), 0),
                        COALESCE(SUM(CASE WHEN deleted = 1 THEN 1 ELSE 0 END), 0)
                 FROM oai_log WHERE rev_to = $1 AND id NOT IN ($2, $3, $4)",
            )
            .bind(OPEN)
            .bind(REGISTRY)
            .bind(AUTHORITY)
            .bind(TAP)
            .fetch_one(pool)
            .await?;
            (row.get(0), row.get(1))
        });
        Ok((live as u64, gone as u64))
    }

    /// The earliest datestamp of any record.
    pub async fn earliest(&self) -> Result<String> {
        let d: Option<String> = on!(self, |pool, q| {
            q("SELECT MIN(datestamp) FROM oai_log")
                .fetch_one(pool)
                .await?
                .get(0)
        });
        Ok(d.unwrap_or_else(|| self.created.clone()))
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }
}

impl Projection for OaiLog {
    fn name(&self) -> &'static str {
        "oai"
    }

    async fn watermark(&self) -> Result<u64> {
        self.pool.watermark("oai").await
    }

    async fn apply(&self, rows: &[Row], upto: u64) -> Result<()> {
        on!(self, |pool, q, shared| {
            let mut tx = pool.begin().await?;
            if shared {
                q(LOCK_PROJECTION).bind("oai").execute(&mut *tx).await?;
            }
            for r in rows {
                let current = q(
                    "SELECT rev_from, datestamp, deleted FROM oai_log WHERE id = $1 AND rev_to = $2",
                )
                .bind(&r.id)
                .bind(OPEN)
                .fetch_optional(&mut *tx)
                .await?
                .map(|c| {
                    (
                        c.get::<i64, _>(0) as u64,
                        c.get::<String, _>(1),
                        c.get::<i64, _>(2) != 0,
                    )
                });
                let Some((datestamp, deleted)) = next_header(current.as_ref(), r) else {
                    continue;
                };
                q("UPDATE oai_log SET rev_to = $1 WHERE id = $2 AND rev_to = $3")
                    .bind(r.revision as i64)
                    .bind(&r.id)
                    .bind(OPEN)
                    .execute(&mut *tx)
                    .await?;
                q(
                    "INSERT INTO oai_log (id, rev_from, rev_to, datestamp, deleted)
                   VALUES ($1, $2, $3, $4, $5)",
                )
                .bind(&r.id)
                .bind(r.revision as i64)
                .bind(OPEN)
                .bind(&datestamp)
                .bind(deleted as i64)
                .execute(&mut *tx)
                .await?;
            }
            // The watermark moves forward only, with the headers it covers.
            q(SET_WATERMARK)
                .bind("oai")
                .bind(upto as i64)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
        });
        Ok(())
    }

    fn shared(&self) -> bool {
        self.pool.is_shared()
    }

    async fn clear(&self) -> Result<()> {
        on!(self, |pool, q| {
            let mut tx = pool.begin().await?;
            q("DELETE FROM oai_log").execute(&mut *tx).await?;
            q("DELETE FROM projection_state WHERE name = 'oai'")
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
        });
        self.own_records().await
    }
}

/// The header a change gives its record, when it changes it: `current` is the record's
/// header now (its first revision, datestamp and whether it is a tombstone).
fn next_header(current: Option<&(u64, String, bool)>, r: &Row) -> Option<(String, bool)> {
    if current.is_some_and(|(from, _, _)| *from >= r.revision) {
        return None;
    }
    let next = match (current, r.published_here) {
        (_, true) => (r.public_datestamp.clone(), false),
        // It was live here: it becomes a tombstone.
        (Some((_, _, false)), false) => (r.datestamp.clone(), true),
        // Rebuilding from the store: it was public once, so harvesters have seen it.
        (None, false) if r.ever_public => (r.datestamp.clone(), true),
        _ => return None,
    };
    if current.is_some_and(|(_, d, del)| *d == next.0 && *del == next.1) {
        return None;
    }
    Some(next)
}
