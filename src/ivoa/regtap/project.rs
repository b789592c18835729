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
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use sha2::{Digest, Sha256};
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions};
use sqlx::{Postgres, Sqlite, SqliteConnection, Transaction};

use super::rows::{Rows, Value, rows};
use super::schema::{Backend, Type, all_tables, ddl};
use crate::ivoa::voresource::{RegistryInfo, public_record};
use crate::project::{Projection, ProjectionError, Result, Row};
use crate::store::Store;

const STATE: &[&str] = &[
    "CREATE TABLE IF NOT EXISTS rr.orrery_state (name TEXT PRIMARY KEY, value TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS rr.orrery_source (id TEXT PRIMARY KEY, ivoid TEXT NOT NULL)",
];

/// Text indexes of SQLite (PostgreSQL has GIN indexes instead, in the DDL): the words of
/// titles and descriptions for `ivo_hasword`, and the trigrams of subjects for `ILIKE '%…%'`.
/// Their rowids are those of the rows they index; the ADQL translator uses them.
const SQLITE_TEXT: &[&str] = &[
    "CREATE VIRTUAL TABLE IF NOT EXISTS rr.resource_words USING fts5(res_title, res_description, tokenize = 'unicode61 remove_diacritics 0')",
    "CREATE VIRTUAL TABLE IF NOT EXISTS rr.res_subject_words USING fts5(res_subject, tokenize = 'trigram')",
];

/// Bumped when what the tables hold for the same records changes: the tables are rebuilt.
const LAYOUT: &str = "3";

/// The index of the bookkeeping, as each backend names it.
fn state_index(backend: Backend) -> &'static str {
    match backend {
        Backend::Sqlite => {
            "CREATE INDEX IF NOT EXISTS rr.orrery_source_ivoid ON orrery_source (ivoid)"
        }
        Backend::Postgres => {
            "CREATE INDEX IF NOT EXISTS orrery_source_ivoid ON rr.orrery_source (ivoid)"
        }
    }
}

/// Where the rr tables live.
#[derive(Clone)]
pub enum Database {
    /// A SQLite file, attached as `rr`.
    Sqlite(PathBuf),
    /// A PostgreSQL database (by URL), in its schema `rr`.
    Postgres(String),
}

impl Database {
    pub fn backend(&self) -> Backend {
        match self {
            Database::Sqlite(_) => Backend::Sqlite,
            Database::Postgres(_) => Backend::Postgres,
        }
    }

    /// The connection options of a PostgreSQL URL.
    pub(crate) fn pg_options(url: &str) -> sqlx::Result<PgConnectOptions> {
        url.parse()
    }
}

/// For logs: the file, or the PostgreSQL server and database without credentials.
impl fmt::Debug for Database {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Database::Sqlite(p) => write!(f, "sqlite:{}", p.display()),
            Database::Postgres(url) => match Database::pg_options(url) {
                Ok(o) => write!(
                    f,
                    "postgres://{}:{}/{}",
                    o.get_host(),
                    o.get_port(),
                    o.get_database().unwrap_or_default()
                ),
                Err(_) => f.write_str("postgres (unreadable URL)"),
            },
        }
    }
}

/// The connections the projection writes with.
enum Pool {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// A value bound to a statement, typed so that a NULL has its column's type on PostgreSQL.
enum Arg {
    Text(Option<String>),
    Int(Option<i64>),
    Real(Option<f64>),
}

impl Arg {
    fn text(s: &str) -> Arg {
        Arg::Text(Some(s.to_owned()))
    }

    /// A row value for a column of type `ty`.
    fn of(v: &Value, ty: Type) -> Arg {
        match (v, ty) {
            (Value::Null, Type::Integer | Type::Long) => Arg::Int(None),
            (Value::Null, Type::Real) => Arg::Real(None),
            (Value::Null, _) => Arg::Text(None),
            (Value::Text(s), _) => Arg::Text(Some(s.clone())),
            (Value::Int(i), _) => Arg::Int(Some(*i)),
            (Value::Real(r), _) => Arg::Real(Some(*r)),
        }
    }
}

/// Binds `args` in order (the same code for both backends' query types).
macro_rules! bind_all {
    ($q:expr, $args:expr) => {{
        let mut q = $q;
        for a in $args {
            q = match a {
                Arg::Text(v) => q.bind(v),
                Arg::Int(v) => q.bind(v),
                Arg::Real(v) => q.bind(v),
            };
        }
        q
    }};
}

/// `?` placeholders as PostgreSQL numbers them (`$1`, `$2`…). The statements here hold no
/// other question mark.
fn numbered(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len() + 8);
    let mut n = 0;
    for ch in sql.chars() {
        if ch == '?' {
            n += 1;
            out.push('$');
            out.push_str(&n.to_string());
        } else {
            out.push(ch);
        }
    }
    out
}

/// One transaction on either backend; statements are written with `?` placeholders.
enum Tx {
    Sqlite(Transaction<'static, Sqlite>),
    Postgres(Transaction<'static, Postgres>),
}

impl Pool {
    async fn begin(&self) -> Result<Tx> {
        Ok(match self {
            Pool::Sqlite(p) => Tx::Sqlite(p.begin().await?),
            Pool::Postgres(p) => Tx::Postgres(p.begin().await?),
        })
    }

    async fn close(&self) {
        match self {
            Pool::Sqlite(p) => p.close().await,
            Pool::Postgres(p) => p.close().await,
        }
    }
}

impl Tx {
    async fn execute(&mut self, sql: &str, args: Vec<Arg>) -> Result<()> {
        match self {
            Tx::Sqlite(tx) => {
                bind_all!(sqlx::query(sqlx::AssertSqlSafe(sql.to_owned())), args)
                    .execute(&mut **tx)
                    .await?;
            }
            Tx::Postgres(tx) => {
                bind_all!(sqlx::query(sqlx::AssertSqlSafe(numbered(sql))), args)
                    .execute(&mut **tx)
                    .await?;
            }
        }
        Ok(())
    }

    /// The text in the first column of the first row, if any.
    async fn text(&mut self, sql: &str, args: Vec<Arg>) -> Result<Option<String>> {
        Ok(match self {
            Tx::Sqlite(tx) => {
                bind_all!(
                    sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_owned())),
                    args
                )
                .fetch_optional(&mut **tx)
                .await?
            }
            Tx::Postgres(tx) => {
                bind_all!(sqlx::query_scalar(sqlx::AssertSqlSafe(numbered(sql))), args)
                    .fetch_optional(&mut **tx)
                    .await?
            }
        })
    }

    async fn commit(self) -> Result<()> {
        match self {
            Tx::Sqlite(tx) => tx.commit().await?,
            Tx::Postgres(tx) => tx.commit().await?,
        }
        Ok(())
    }
}

/// The relational registry.
pub struct RegTap {
    pool: Pool,
    database: Database,
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

/// One writing connection to the SQLite file.
async fn sqlite_pool(path: &Path) -> sqlx::Result<SqlitePool> {
    let file = path.to_owned();
    SqlitePoolOptions::new()
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
        .await
}

impl RegTap {
    /// Opens (creating the tables if needed) `database`; `own` are the registry's own records
    /// (pseudo-id, standalone VOResource document). Rebuilds when the identity changed since
    /// the last run.
    pub async fn open(
        database: Database,
        store: Arc<Store>,
        info: RegistryInfo,
        own: Vec<(&'static str, Vec<u8>)>,
    ) -> Result<RegTap> {
        let pool = match &database {
            Database::Sqlite(path) => Pool::Sqlite(sqlite_pool(path).await?),
            Database::Postgres(url) => Pool::Postgres(
                PgPoolOptions::new()
                    .max_connections(1)
                    .connect_with(Database::pg_options(url)?)
                    .await?,
            ),
        };
        let backend = database.backend();
        let mut tx = pool.begin().await?;
        for stmt in ddl(backend)
            .iter()
            .map(String::as_str)
            .chain(STATE.iter().copied())
            .chain([state_index(backend)])
        {
            tx.execute(stmt, Vec::new()).await?;
        }
        if backend == Backend::Sqlite {
            for stmt in SQLITE_TEXT {
                tx.execute(stmt, Vec::new()).await?;
            }
        }
        tx.commit().await?;
        let r = RegTap {
            pool,
            database,
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

    /// Where the tables live.
    pub fn database(&self) -> &Database {
        &self.database
    }

    fn identity(&self) -> String {
        let i = &self.info;
        let mut h = Sha256::new();
        h.update(LAYOUT.as_bytes());
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
        h.finalize().iter().map(|b| format!("{b:02x}")).collect()
    }

    async fn state(&self, name: &str) -> Result<Option<String>> {
        let mut tx = self.pool.begin().await?;
        let v = tx
            .text(
                "SELECT value FROM rr.orrery_state WHERE name = ?",
                vec![Arg::text(name)],
            )
            .await?;
        tx.commit().await?;
        Ok(v)
    }

    /// How many resources the tables hold.
    pub async fn count(&self) -> Result<i64> {
        let mut tx = self.pool.begin().await?;
        let n = tx
            .text("SELECT CAST(COUNT(*) AS TEXT) FROM rr.resource", Vec::new())
            .await?;
        tx.commit().await?;
        Ok(n.and_then(|n| n.parse().ok()).unwrap_or(0))
    }

    /// Closes the connections.
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// Removes every row of `ivoid`.
async fn remove(tx: &mut Tx, ivoid: &str) -> Result<()> {
    if matches!(tx, Tx::Sqlite(_)) {
        for (index, table) in [
            ("resource_words", "resource"),
            ("res_subject_words", "res_subject"),
        ] {
            tx.execute(
                &format!(
                    "DELETE FROM rr.{index} WHERE rowid IN (SELECT rowid FROM rr.{table} WHERE ivoid = ?)"
                ),
                vec![Arg::text(ivoid)],
            )
            .await?;
        }
    }
    for t in all_tables() {
        tx.execute(
            &format!("DELETE FROM rr.{} WHERE ivoid = ?", t.name),
            vec![Arg::text(ivoid)],
        )
        .await?;
    }
    Ok(())
}

/// Replaces what `id` contributed by `rows` (or nothing).
async fn replace(tx: &mut Tx, id: &str, new: Option<&Rows>) -> Result<()> {
    let old = tx
        .text(
            "SELECT ivoid FROM rr.orrery_source WHERE id = ?",
            vec![Arg::text(id)],
        )
        .await?;
    if let Some(old) = old {
        remove(tx, &old).await?;
        tx.execute(
            "DELETE FROM rr.orrery_source WHERE id = ?",
            vec![Arg::text(id)],
        )
        .await?;
    }
    let Some(new) = new else {
        return Ok(());
    };
    let Some(Value::Text(ivoid)) = new.of("resource").first().and_then(|r| r.first()) else {
        return Ok(());
    };
    // Another source with the same identifier gives way (one resource per identifier).
    remove(tx, ivoid).await?;
    tx.execute(
        "DELETE FROM rr.orrery_source WHERE ivoid = ?",
        vec![Arg::text(ivoid)],
    )
    .await?;
    for (table, rows) in &new.tables {
        let Some(t) = all_tables().find(|t| t.name == *table) else {
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
            let args = row
                .iter()
                .zip(t.columns)
                .map(|(v, c)| Arg::of(v, c.ty))
                .collect();
            tx.execute(&sql, args).await?;
        }
    }
    if matches!(tx, Tx::Sqlite(_)) {
        for stmt in [
            "INSERT INTO rr.resource_words (rowid, res_title, res_description) SELECT rowid, res_title, res_description FROM rr.resource WHERE ivoid = ?",
            "INSERT INTO rr.res_subject_words (rowid, res_subject) SELECT rowid, res_subject FROM rr.res_subject WHERE ivoid = ?",
        ] {
            tx.execute(stmt, vec![Arg::text(ivoid)]).await?;
        }
    }
    tx.execute(
        "INSERT INTO rr.orrery_source (id, ivoid) VALUES (?, ?)",
        vec![Arg::text(id), Arg::text(ivoid)],
    )
    .await?;
    Ok(())
}

async fn set_state(tx: &mut Tx, name: &str, value: &str) -> Result<()> {
    tx.execute(
        "INSERT INTO rr.orrery_state (name, value) VALUES (?, ?)
         ON CONFLICT (name) DO UPDATE SET value = excluded.value",
        vec![Arg::text(name), Arg::text(value)],
    )
    .await
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
        for t in all_tables() {
            tx.execute(&format!("DELETE FROM rr.{}", t.name), Vec::new())
                .await?;
        }
        tx.execute("DELETE FROM rr.orrery_source", Vec::new())
            .await?;
        if matches!(tx, Tx::Sqlite(_)) {
            for index in ["resource_words", "res_subject_words"] {
                tx.execute(&format!("DELETE FROM rr.{index}"), Vec::new())
                    .await?;
            }
        }
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
