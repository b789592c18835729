//! The OAI-PMH record log (SQLite): for every record a harvester may ever see, its header
//! (datestamp, deleted) with the store revisions during which that header held.
//!
//! A record enters when its asset first becomes visible to anonymous readers; its datestamp is
//! the time of the last change of its public graph (private changes and pending edits do not
//! move it); when it stops being visible (deleted, withdrawn, made private) it becomes a
//! tombstone, kept for good (`deletedRecord` persistent). Never-public assets never appear.
//!
//! Keeping each header's revision range lets a harvest list the catalogue as it stood when the
//! harvest began (its resumption tokens carry that revision): a record changed during the
//! harvest is listed once, with the header it had then, and neither skipped nor repeated.

use sqlx::{Row as _, SqlitePool};

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
    pool: SqlitePool,
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
            pool,
            created: created.to_owned(),
        };
        log.own_records().await?;
        Ok(log)
    }

    async fn own_records(&self) -> Result<()> {
        for id in [REGISTRY, AUTHORITY, TAP] {
            sqlx::query(
                "INSERT INTO oai_log (id, rev_from, rev_to, datestamp, deleted)
                 SELECT ?, 0, ?, ?, 0 WHERE NOT EXISTS (SELECT 1 FROM oai_log WHERE id = ?)",
            )
            .bind(id)
            .bind(OPEN)
            .bind(&self.created)
            .bind(id)
            .execute(&self.pool)
            .await?;
        }
        Ok(())
    }

    /// The headers selected, in (datestamp, id) order, at most `limit`.
    pub async fn list(&self, s: &Selection, limit: usize) -> Result<Vec<Header>> {
        // Two statements rather than one with an OR, so that the resume point is a range
        // on the (datestamp, id) index and each page costs its own size, not the offset.
        let rows = match &s.after {
            Some((d, i)) => {
                sqlx::query(
                    "SELECT id, datestamp, deleted FROM oai_log
                     WHERE (datestamp, id) > (?2, ?3) AND datestamp <= ?4
                       AND rev_from <= ?1 AND rev_to > ?1
                     ORDER BY datestamp, id LIMIT ?5",
                )
                .bind(s.at as i64)
                .bind(d)
                .bind(i)
                .bind(&s.until)
                .bind(limit as i64)
                .fetch_all(&self.pool)
                .await?
            }
            None => {
                sqlx::query(
                    "SELECT id, datestamp, deleted FROM oai_log
                     WHERE datestamp >= ?2 AND datestamp <= ?3
                       AND rev_from <= ?1 AND rev_to > ?1
                     ORDER BY datestamp, id LIMIT ?4",
                )
                .bind(s.at as i64)
                .bind(&s.from)
                .bind(&s.until)
                .bind(limit as i64)
                .fetch_all(&self.pool)
                .await?
            }
        };
        Ok(rows
            .into_iter()
            .map(|r| Header {
                id: r.get(0),
                datestamp: r.get(1),
                deleted: r.get::<i64, _>(2) != 0,
            })
            .collect())
    }

    /// How many headers a selection holds (ignoring `after`).
    pub async fn count(&self, s: &Selection) -> Result<u64> {
        let n: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM oai_log
             WHERE rev_from <= ?1 AND rev_to > ?1 AND datestamp >= ?2 AND datestamp <= ?3",
        )
        .bind(s.at as i64)
        .bind(&s.from)
        .bind(&s.until)
        .fetch_one(&self.pool)
        .await?;
        Ok(n as u64)
    }

    /// The current header of a record, if it has one.
    pub async fn header(&self, id: &str) -> Result<Option<Header>> {
        let row =
            sqlx::query("SELECT id, datestamp, deleted FROM oai_log WHERE id = ? AND rev_to = ?")
                .bind(id)
                .bind(OPEN)
                .fetch_optional(&self.pool)
                .await?;
        Ok(row.map(|r| Header {
            id: r.get(0),
            datestamp: r.get(1),
            deleted: r.get::<i64, _>(2) != 0,
        }))
    }

    /// How many records (the registry's own aside) are live and how many are tombstones now.
    pub async fn current_counts(&self) -> Result<(u64, u64)> {
        let row = sqlx::query(
            "SELECT COALESCE(SUM(deleted = 0), 0), COALESCE(SUM(deleted = 1), 0) FROM oai_log
             WHERE rev_to = ? AND id NOT IN (?, ?, ?)",
        )
        .bind(OPEN)
        .bind(REGISTRY)
        .bind(AUTHORITY)
        .bind(TAP)
        .fetch_one(&self.pool)
        .await?;
        Ok((row.get::<i64, _>(0) as u64, row.get::<i64, _>(1) as u64))
    }

    /// The earliest datestamp of any record.
    pub async fn earliest(&self) -> Result<String> {
        let d: Option<String> = sqlx::query_scalar("SELECT MIN(datestamp) FROM oai_log")
            .fetch_one(&self.pool)
            .await?;
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
        super::sql_watermark(&self.pool, "oai").await
    }

    async fn apply(&self, rows: &[Row], upto: u64) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        for r in rows {
            let current = sqlx::query(
                "SELECT rev_from, datestamp, deleted FROM oai_log WHERE id = ? AND rev_to = ?",
            )
            .bind(&r.id)
            .bind(OPEN)
            .fetch_optional(&mut *tx)
            .await?;
            let current = current.map(|c| {
                (
                    c.get::<i64, _>(0) as u64,
                    c.get::<String, _>(1),
                    c.get::<i64, _>(2) != 0,
                )
            });
            if current
                .as_ref()
                .is_some_and(|(from, _, _)| *from >= r.revision)
            {
                continue;
            }
            let next = match (&current, r.published_here) {
                (_, true) => Some((r.public_datestamp.clone(), false)),
                // It was live here: it becomes a tombstone.
                (Some((_, _, false)), false) => Some((r.datestamp.clone(), true)),
                // Rebuilding from the store: it was public once, so harvesters have seen it.
                (None, false) if r.ever_public => Some((r.datestamp.clone(), true)),
                _ => None,
            };
            let Some((datestamp, deleted)) = next else {
                continue;
            };
            if current
                .as_ref()
                .is_some_and(|(_, d, del)| *d == datestamp && *del == deleted)
            {
                continue;
            }
            sqlx::query("UPDATE oai_log SET rev_to = ? WHERE id = ? AND rev_to = ?")
                .bind(r.revision as i64)
                .bind(&r.id)
                .bind(OPEN)
                .execute(&mut *tx)
                .await?;
            sqlx::query(
                "INSERT INTO oai_log (id, rev_from, rev_to, datestamp, deleted) VALUES (?, ?, ?, ?, ?)",
            )
            .bind(&r.id)
            .bind(r.revision as i64)
            .bind(OPEN)
            .bind(&datestamp)
            .bind(deleted as i64)
            .execute(&mut *tx)
            .await?;
        }
        super::set_sql_watermark(&mut tx, "oai", upto).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn clear(&self) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("DELETE FROM oai_log").execute(&mut *tx).await?;
        sqlx::query("DELETE FROM projection_state WHERE name = 'oai'")
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        self.own_records().await
    }
}
