//! The `rr` tables as a projection of the store, in their own SQLite file (`regtap.sqlite`,
//! attached as `rr` so that table names read as clients write them).
//!
//! Fed by revision like every projection: each changed asset's rows are replaced by the rows of
//! its current VOResource record — the same record OAI-PMH serves (built from the asset, or the
//! harvested record as its publisher wrote it) — or removed when anonymous readers no longer
//! see it. The registry's own records (the registry, its authority, its TAP service) are always
//! present. The records depend on the service's identity (authority, base URL, publisher…): a
//! fingerprint of it is kept beside the watermark, and a service started with another identity
//! rebuilds the tables.
//!
//! Bookkeeping lives in the same file (`orrery_state`, `orrery_source`), so a batch and its
//! watermark commit together; the TAP layer only ever lets queries name the RegTAP tables.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use sha2::{Digest, Sha256};
use sqlx::SqliteConnection;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions};

use super::rows::{Rows, Value, rows};
use super::schema::{Backend, TABLES, ddl};
use crate::project::{Projection, ProjectionError, Result, Row};
use crate::registry::voresource::{RegistryInfo, public_record};
use crate::store::Store;

const STATE: &[&str] = &[
    "CREATE TABLE IF NOT EXISTS rr.orrery_state (name TEXT PRIMARY KEY, value TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS rr.orrery_source (id TEXT PRIMARY KEY, ivoid TEXT NOT NULL)",
    "CREATE INDEX IF NOT EXISTS rr.orrery_source_ivoid ON orrery_source (ivoid)",
];

/// The relational registry.
pub struct RegTap {
    pool: SqlitePool,
    path: PathBuf,
    store: Arc<Store>,
    info: RegistryInfo,
    /// The registry's own records, by pseudo-id.
    own: Vec<(&'static str, Vec<u8>)>,
}

/// Options for a connection with the file attached as `rr`.
pub fn attach_options() -> SqliteConnectOptions {
    SqliteConnectOptions::new()
        .filename(":memory:")
        .create_if_missing(true)
        .busy_timeout(std::time::Duration::from_secs(10))
}

/// Attaches the registry file as `rr`.
pub async fn attach(conn: &mut SqliteConnection, path: &Path) -> sqlx::Result<()> {
    sqlx::query("ATTACH DATABASE ? AS rr")
        .bind(path.to_string_lossy().into_owned())
        .execute(conn)
        .await?;
    Ok(())
}

impl RegTap {
    /// Opens (creating if needed) `path`; `own` are the registry's own records (pseudo-id,
    /// standalone VOResource document). Rebuilds when the identity changed since the last run.
    pub async fn open(
        path: &Path,
        store: Arc<Store>,
        info: RegistryInfo,
        own: Vec<(&'static str, Vec<u8>)>,
    ) -> Result<RegTap> {
        let file = path.to_owned();
        let pool = SqlitePoolOptions::new()
            .max_connections(1)
            .after_connect(move |conn, _| {
                let file = file.clone();
                Box::pin(async move {
                    attach(conn, &file).await?;
                    sqlx::query("PRAGMA rr.journal_mode = WAL")
                        .execute(&mut *conn)
                        .await?;
                    sqlx::query("PRAGMA rr.synchronous = NORMAL")
                        .execute(&mut *conn)
                        .await?;
                    Ok(())
                })
            })
            .connect_with(attach_options().journal_mode(SqliteJournalMode::Memory))
            .await?;
        let mut tx = pool.begin().await?;
        for stmt in ddl(Backend::Sqlite)
            .iter()
            .map(String::as_str)
            .chain(STATE.iter().copied())
        {
            sqlx::query(sqlx::AssertSqlSafe(stmt.to_owned()))
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        let r = RegTap {
            pool,
            path: path.to_owned(),
            store,
            info,
            own,
        };
        if r.state("identity").await?.as_deref() != Some(&r.identity()) {
            tracing::info!("registry identity changed: rebuilding the rr tables");
            r.clear().await?;
        }
        Ok(r)
    }

    /// The file the tables live in.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn identity(&self) -> String {
        let i = &self.info;
        let mut h = Sha256::new();
        for part in [
            &i.authority,
            &i.base_url,
            &i.launch_base,
            &i.publisher,
            &i.email,
            &i.created,
        ] {
            h.update(part.as_bytes());
            h.update([0]);
        }
        for (id, xml) in &self.own {
            h.update(id.as_bytes());
            h.update(xml);
        }
        format!("{:x}", h.finalize())
    }

    async fn state(&self, name: &str) -> Result<Option<String>> {
        Ok(
            sqlx::query_scalar("SELECT value FROM rr.orrery_state WHERE name = ?")
                .bind(name)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    /// How many resources the tables hold.
    pub async fn count(&self) -> Result<i64> {
        Ok(sqlx::query_scalar("SELECT COUNT(*) FROM rr.resource")
            .fetch_one(&self.pool)
            .await?)
    }
}

/// Removes every row of `ivoid`.
async fn remove(conn: &mut SqliteConnection, ivoid: &str) -> Result<()> {
    for t in TABLES {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "DELETE FROM rr.{} WHERE ivoid = ?",
            t.name
        )))
        .bind(ivoid)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// Replaces what `id` contributed by `rows` (or nothing).
async fn replace(conn: &mut SqliteConnection, id: &str, new: Option<&Rows>) -> Result<()> {
    let old: Option<String> = sqlx::query_scalar("SELECT ivoid FROM rr.orrery_source WHERE id = ?")
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?;
    if let Some(old) = old {
        remove(conn, &old).await?;
        sqlx::query("DELETE FROM rr.orrery_source WHERE id = ?")
            .bind(id)
            .execute(&mut *conn)
            .await?;
    }
    let Some(new) = new else {
        return Ok(());
    };
    let Some(Value::Text(ivoid)) = new.of("resource").first().and_then(|r| r.first()) else {
        return Ok(());
    };
    // Another source with the same identifier gives way (one resource per identifier).
    remove(conn, ivoid).await?;
    sqlx::query("DELETE FROM rr.orrery_source WHERE ivoid = ?")
        .bind(ivoid)
        .execute(&mut *conn)
        .await?;
    for (table, rows) in &new.tables {
        let Some(t) = TABLES.iter().find(|t| t.name == *table) else {
            continue;
        };
        let columns: Vec<&str> = t.columns.iter().map(|c| c.name).collect();
        let sql = format!(
            "INSERT INTO rr.{} ({}) VALUES ({})",
            t.name,
            columns.join(", "),
            vec!["?"; columns.len()].join(", ")
        );
        for row in rows {
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.clone()));
            for v in row {
                q = match v {
                    Value::Null => q.bind(None::<String>),
                    Value::Text(s) => q.bind(s.clone()),
                    Value::Int(i) => q.bind(*i),
                    Value::Real(r) => q.bind(*r),
                };
            }
            q.execute(&mut *conn).await?;
        }
    }
    sqlx::query("INSERT INTO rr.orrery_source (id, ivoid) VALUES (?, ?)")
        .bind(id)
        .bind(ivoid)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

async fn set_state(conn: &mut SqliteConnection, name: &str, value: &str) -> Result<()> {
    sqlx::query(
        "INSERT INTO rr.orrery_state (name, value) VALUES (?, ?)
         ON CONFLICT (name) DO UPDATE SET value = excluded.value",
    )
    .bind(name)
    .bind(value)
    .execute(conn)
    .await?;
    Ok(())
}

impl RegTap {
    /// Closes the connection.
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

impl Projection for RegTap {
    fn name(&self) -> &'static str {
        "regtap"
    }

    async fn watermark(&self) -> Result<u64> {
        Ok(self
            .state("watermark")
            .await?
            .and_then(|v| v.parse().ok())
            .unwrap_or(0))
    }

    async fn apply(&self, rows: &[Row], upto: u64) -> Result<()> {
        let watermark = self.watermark().await?;
        // The last state of each asset changed after the watermark.
        let mut ids: Vec<String> = Vec::new();
        for r in rows.iter().filter(|r| r.revision > watermark) {
            ids.retain(|id| *id != r.id);
            ids.push(r.id.clone());
        }
        let records = {
            let this = RegTapRecords {
                store: self.store.clone(),
                info: self.info.clone(),
            };
            let ids = ids.clone();
            tokio::task::spawn_blocking(move || this.records(&ids))
                .await
                .map_err(|e| ProjectionError::Task(e.to_string()))??
        };
        let mut tx = self.pool.begin().await?;
        for (id, new) in ids.iter().zip(&records) {
            replace(&mut tx, id, new.as_ref()).await?;
        }
        if upto > watermark {
            set_state(&mut tx, "watermark", &upto.to_string()).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn clear(&self) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        for t in TABLES {
            sqlx::query(sqlx::AssertSqlSafe(format!("DELETE FROM rr.{}", t.name)))
                .execute(&mut *tx)
                .await?;
        }
        sqlx::query("DELETE FROM rr.orrery_source")
            .execute(&mut *tx)
            .await?;
        for (id, xml) in &self.own {
            let rows = rows(&String::from_utf8_lossy(xml))
                .map_err(|e| ProjectionError::Task(format!("own record {id}: {e}")))?;
            replace(&mut tx, id, Some(&rows)).await?;
        }
        set_state(&mut tx, "watermark", "0").await?;
        set_state(&mut tx, "identity", &self.identity()).await?;
        tx.commit().await?;
        Ok(())
    }
}

/// Builds the rows of assets from their current records (on a blocking thread: it reads the
/// store).
struct RegTapRecords {
    store: Arc<Store>,
    info: RegistryInfo,
}

impl RegTapRecords {
    /// The rows of `ids` as they are now (`None`: not visible, or not a usable record).
    fn records(&self, ids: &[String]) -> Result<Vec<Option<Rows>>> {
        let mut labs = HashMap::new();
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            let xml = public_record(&self.store, &self.info, id, false, &mut labs)?;
            out.push(xml.and_then(|xml| {
                rows(&String::from_utf8_lossy(&xml))
                    .inspect_err(|e| tracing::warn!(id, error = %e, "record left out of rr"))
                    .ok()
            }));
        }
        Ok(out)
    }
}
