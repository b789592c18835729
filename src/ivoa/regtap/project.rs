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
use super::schema::{Backend, Table, Type, all_tables, c, ddl};
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
        Ok(self.texts(sql, args).await?.into_iter().next())
    }

    /// The texts in the first column of every row.
    async fn texts(&mut self, sql: &str, args: Vec<Arg>) -> Result<Vec<String>> {
        Ok(match self {
            Tx::Sqlite(tx) => {
                bind_all!(
                    sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_owned())),
                    args
                )
                .fetch_all(&mut **tx)
                .await?
            }
            Tx::Postgres(tx) => {
                bind_all!(sqlx::query_scalar(sqlx::AssertSqlSafe(numbered(sql))), args)
                    .fetch_all(&mut **tx)
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
    /// The tables were built for another identity (or never): they are rebuilt from scratch.
    stale: std::sync::atomic::AtomicBool,
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

/// Creates the tables, their indexes and the bookkeeping where missing.
async fn create(pool: &Pool, backend: Backend) -> Result<()> {
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
    tx.commit().await
}

impl RegTap {
    /// Opens (creating the tables if needed) `database`; `own` are the registry's own records
    /// (pseudo-id, standalone VOResource document). Rebuilds when the identity changed since
    /// the last run. Unless `maintain`, the tables are another node's to create and keep (a
    /// node of a shared deployment that does not lead): they are only opened.
    pub async fn open(
        database: Database,
        store: Arc<Store>,
        info: RegistryInfo,
        own: Vec<(&'static str, Vec<u8>)>,
        maintain: bool,
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
        if maintain {
            create(&pool, database.backend()).await?;
        }
        let r = RegTap {
            pool,
            database,
            store,
            info,
            own,
            stale: std::sync::atomic::AtomicBool::new(false),
        };
        if maintain {
            r.check_identity().await?;
        }
        Ok(r)
    }

    /// Makes the tables ready for this node to keep (when it comes to lead after another
    /// node): creates what is missing and checks the identity they were built for.
    pub async fn prepare(&self) -> Result<()> {
        create(&self.pool, self.database.backend()).await?;
        self.check_identity().await
    }

    /// Marks the tables stale when they were built for another identity, or never.
    async fn check_identity(&self) -> Result<()> {
        let r = self;
        match r.state("identity").await? {
            Some(id) if id == r.identity() => {}
            Some(_) => {
                tracing::info!(
                    "registry identity changed (authority, base URL, publisher or contact): the rr tables are rebuilt"
                );
                r.stale.store(true, std::sync::atomic::Ordering::SeqCst);
            }
            None => {
                tracing::info!("the rr tables are built for the first time");
                r.stale.store(true, std::sync::atomic::Ordering::SeqCst);
            }
        }
        Ok(())
    }

    /// Whether the tables must be rebuilt from scratch (`clear`, then a catch-up) before they
    /// are used: they were built for another identity, or never.
    pub fn is_stale(&self) -> bool {
        self.stale.load(std::sync::atomic::Ordering::SeqCst)
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

/// The most values one statement binds (SQLite's historical limit, far under PostgreSQL's).
const MAX_PARAMS: usize = 999;

/// `(?, ?, …)` with `n` placeholders.
fn placeholders(n: usize) -> String {
    format!("({})", vec!["?"; n].join(", "))
}

/// Runs `sql(list)` for the `values` in chunks, `list` being the chunk's placeholders.
async fn for_chunks(tx: &mut Tx, values: &[String], sql: impl Fn(&str) -> String) -> Result<()> {
    for chunk in values.chunks(MAX_PARAMS) {
        let args = chunk.iter().map(|v| Arg::text(v)).collect();
        tx.execute(&sql(&placeholders(chunk.len())), args).await?;
    }
    Ok(())
}

/// The texts `sql(list)` selects for the `values`, in chunks as [`for_chunks`].
async fn select_chunks(
    tx: &mut Tx,
    values: &[String],
    sql: impl Fn(&str) -> String,
) -> Result<Vec<String>> {
    let mut out = Vec::new();
    for chunk in values.chunks(MAX_PARAMS) {
        let args = chunk.iter().map(|v| Arg::text(v)).collect();
        out.extend(tx.texts(&sql(&placeholders(chunk.len())), args).await?);
    }
    Ok(out)
}

/// The last item of each key, in the order of those last items.
fn last_of_each<T>(items: Vec<T>, key: impl Fn(&T) -> String) -> Vec<T> {
    let mut seen = std::collections::HashSet::new();
    let mut out: Vec<T> = items
        .into_iter()
        .rev()
        .filter(|t| seen.insert(key(t)))
        .collect();
    out.reverse();
    out
}

/// Removes every row of the identifiers `ivoids`, their sources' included.
async fn remove(tx: &mut Tx, ivoids: &[String]) -> Result<()> {
    if matches!(tx, Tx::Sqlite(_)) {
        for (index, table) in [
            ("resource_words", "resource"),
            ("res_subject_words", "res_subject"),
        ] {
            for_chunks(tx, ivoids, |list| {
                format!(
                    "DELETE FROM rr.{index} WHERE rowid IN (SELECT rowid FROM rr.{table} WHERE ivoid IN {list})"
                )
            })
            .await?;
        }
    }
    for t in all_tables() {
        for_chunks(tx, ivoids, |list| {
            format!("DELETE FROM rr.{} WHERE ivoid IN {list}", t.name)
        })
        .await?;
    }
    for_chunks(tx, ivoids, |list| {
        format!("DELETE FROM rr.orrery_source WHERE ivoid IN {list}")
    })
    .await
}

/// Inserts `rows` into `table`, as many rows a statement as its values allow.
async fn insert(tx: &mut Tx, table: &Table, rows: &[&Vec<Value>]) -> Result<()> {
    let columns: Vec<&str> = table.columns.iter().map(|c| c.name).collect();
    let per = (MAX_PARAMS / columns.len().max(1)).max(1);
    for chunk in rows.chunks(per) {
        let one = placeholders(columns.len());
        let sql = format!(
            "INSERT INTO rr.{} ({}) VALUES {}",
            table.name,
            columns.join(", "),
            vec![one.as_str(); chunk.len()].join(", ")
        );
        let args = chunk
            .iter()
            .flat_map(|row| row.iter().zip(table.columns).map(|(v, c)| Arg::of(v, c.ty)))
            .collect();
        tx.execute(&sql, args).await?;
    }
    Ok(())
}

/// Replaces what each source of `batch` contributed by the rows of its record (or by nothing),
/// as if one after the other: a later record with an identifier an earlier one (or another
/// source) had takes it over, since a resource has one record per identifier. A batch costs a
/// few statements a table, whatever its size; a first build deletes nothing.
async fn replace(tx: &mut Tx, batch: Vec<(String, Option<Rows>)>) -> Result<()> {
    let ids: Vec<String> = batch.iter().map(|(id, _)| id.clone()).collect();
    let with_ivoid: Vec<(String, String, Rows)> = batch
        .into_iter()
        .filter_map(|(id, rows)| {
            let rows = rows?;
            match rows.of("resource").first()?.first() {
                Some(Value::Text(ivoid)) => Some((id, ivoid.clone(), rows)),
                _ => None,
            }
        })
        .collect();
    // The last record of each identifier (the batch's sources are distinct).
    let news = last_of_each(with_ivoid, |(_, ivoid, _)| ivoid.clone());
    // The identifiers whose rows go: the sources' own, and those the new records take.
    let taken: Vec<String> = news.iter().map(|(_, v, _)| v.clone()).collect();
    let mut gone = select_chunks(tx, &ids, |list| {
        format!("SELECT ivoid FROM rr.orrery_source WHERE id IN {list}")
    })
    .await?;
    gone.extend(
        select_chunks(tx, &taken, |list| {
            format!("SELECT ivoid FROM rr.orrery_source WHERE ivoid IN {list}")
        })
        .await?,
    );
    gone.sort();
    gone.dedup();
    remove(tx, &gone).await?;
    let sqlite = matches!(tx, Tx::Sqlite(_));
    // New rows get rowids above every present one: the text indexes take those.
    let mut marks = Vec::new();
    if sqlite {
        for table in ["resource", "res_subject"] {
            let sql = format!("SELECT CAST(COALESCE(MAX(rowid), 0) AS TEXT) FROM rr.{table}");
            marks.push(
                tx.text(&sql, Vec::new())
                    .await?
                    .unwrap_or_else(|| "0".into()),
            );
        }
    }
    for t in all_tables() {
        let rows: Vec<&Vec<Value>> = news.iter().flat_map(|(_, _, r)| r.of(t.name)).collect();
        insert(tx, t, &rows).await?;
    }
    if let [resource, subject] = marks.as_slice() {
        for (stmt, mark) in [
            (
                "INSERT INTO rr.resource_words (rowid, res_title, res_description) SELECT rowid, res_title, res_description FROM rr.resource WHERE rowid > CAST(? AS INTEGER)",
                resource,
            ),
            (
                "INSERT INTO rr.res_subject_words (rowid, res_subject) SELECT rowid, res_subject FROM rr.res_subject WHERE rowid > CAST(? AS INTEGER)",
                subject,
            ),
        ] {
            tx.execute(stmt, vec![Arg::text(mark)]).await?;
        }
    }
    let sources: Vec<Vec<Value>> = news
        .into_iter()
        .map(|(id, ivoid, _)| vec![Value::Text(id), Value::Text(ivoid)])
        .collect();
    insert(tx, &SOURCE, &sources.iter().collect::<Vec<_>>()).await
}

/// The bookkeeping table of which source gave which identifier, as [`insert`] writes it.
const SOURCE: Table = Table {
    name: "orrery_source",
    description: "",
    columns: &[c("id", Type::Text, ""), c("ivoid", Type::Text, "")],
    primary_key: &["id"],
};

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
        let ids = last_of_each(
            rows.iter()
                .filter(|r| r.revision > watermark)
                .map(|r| r.id.clone())
                .collect(),
            String::clone,
        );
        let batch = {
            let this = RegTapRecords {
                store: self.store.clone(),
                info: self.info.clone(),
            };
            tokio::task::spawn_blocking(move || {
                let records = this.records(&ids)?;
                Ok::<_, ProjectionError>(ids.into_iter().zip(records).collect())
            })
            .await
            .map_err(|e| ProjectionError::Task(e.to_string()))??
        };
        let mut tx = self.pool.begin().await?;
        replace(&mut tx, batch).await?;
        if upto > watermark {
            set_state(&mut tx, "watermark", &upto.to_string()).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    fn shared(&self) -> bool {
        matches!(self.database, Database::Postgres(_))
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
        let mut own = Vec::with_capacity(self.own.len());
        for (id, xml) in &self.own {
            let rows = rows(&String::from_utf8_lossy(xml))
                .map_err(|e| ProjectionError::Task(format!("own record {id}: {e}")))?;
            own.push(((*id).to_owned(), Some(rows)));
        }
        replace(&mut tx, own).await?;
        set_state(&mut tx, "watermark", "0").await?;
        set_state(&mut tx, "identity", &self.identity()).await?;
        tx.commit().await?;
        self.stale.store(false, std::sync::atomic::Ordering::SeqCst);
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
    /// The rows of `ids` as they are now (`None`: not visible, or not a usable record), built
    /// on every core.
    fn records(&self, ids: &[String]) -> Result<Vec<Option<Rows>>> {
        let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
        let per = ids.len().div_ceil(threads).max(64);
        std::thread::scope(|scope| {
            let parts: Vec<_> = ids
                .chunks(per)
                .map(|part| scope.spawn(move || self.records_of(part)))
                .collect();
            let mut out = Vec::with_capacity(ids.len());
            for part in parts {
                let rows = part.join().map_err(|panic| {
                    ProjectionError::Task(format!(
                        "building rr rows failed: {}",
                        crate::panics::message(&*panic)
                    ))
                })??;
                out.extend(rows);
            }
            Ok(out)
        })
    }

    fn records_of(&self, ids: &[String]) -> Result<Vec<Option<Rows>>> {
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Three resources of the corpus as rows, with their identifiers.
    fn three() -> Vec<(String, Rows)> {
        super::super::tests::records()
            .into_iter()
            .take(3)
            .map(|(_, xml)| {
                let r = rows(&xml).unwrap();
                let Some(Value::Text(ivoid)) = r.of("resource")[0].first().cloned() else {
                    panic!("no identifier")
                };
                (ivoid, r)
            })
            .collect()
    }

    async fn state(tx: &mut Tx) -> (Vec<String>, Vec<String>, Vec<String>) {
        let sources = tx
            .texts(
                "SELECT id || '=' || ivoid FROM rr.orrery_source ORDER BY id",
                Vec::new(),
            )
            .await
            .unwrap();
        let resources = tx
            .texts("SELECT ivoid FROM rr.resource ORDER BY ivoid", Vec::new())
            .await
            .unwrap();
        let words = tx
            .texts(
                "SELECT r.ivoid FROM rr.resource_words w JOIN rr.resource r ON r.rowid = w.rowid ORDER BY r.ivoid",
                Vec::new(),
            )
            .await
            .unwrap();
        (sources, resources, words)
    }

    #[tokio::test]
    async fn a_batch_replaces_its_sources_as_if_one_after_the_other() {
        let dir = tempfile::tempdir().unwrap();
        let pool = Pool::Sqlite(sqlite_pool(&dir.path().join("rr.sqlite")).await.unwrap());
        create(&pool, Backend::Sqlite).await.unwrap();
        let [(x, rx), (y, ry), (z, rz)]: [(String, Rows); 3] = three().try_into().unwrap();
        let mut tx = pool.begin().await.unwrap();
        replace(
            &mut tx,
            vec![
                ("a".into(), Some(rx.clone())),
                ("b".into(), Some(ry.clone())),
            ],
        )
        .await
        .unwrap();
        let (sources, resources, words) = state(&mut tx).await;
        assert_eq!(sources, [format!("a={x}"), format!("b={y}")]);
        let mut both = vec![x.clone(), y.clone()];
        both.sort();
        assert_eq!(resources, both);
        assert_eq!(words, both);
        // `a` goes; `c` takes `b`'s identifier, then `b` takes another.
        replace(
            &mut tx,
            vec![
                ("a".into(), None),
                ("c".into(), Some(ry.clone())),
                ("b".into(), Some(rz.clone())),
            ],
        )
        .await
        .unwrap();
        let (sources, resources, words) = state(&mut tx).await;
        assert_eq!(sources, [format!("b={z}"), format!("c={y}")]);
        let mut both = vec![y.clone(), z.clone()];
        both.sort();
        assert_eq!(resources, both);
        assert_eq!(words, both);
        let subjects = tx
            .texts(
                "SELECT DISTINCT ivoid FROM rr.res_subject WHERE ivoid NOT IN (SELECT ivoid FROM rr.resource)",
                Vec::new(),
            )
            .await
            .unwrap();
        assert!(
            subjects.is_empty(),
            "rows of removed resources: {subjects:?}"
        );
        // Two sources of one identifier in one batch: the later keeps it.
        replace(
            &mut tx,
            vec![("d".into(), Some(rx.clone())), ("e".into(), Some(rx))],
        )
        .await
        .unwrap();
        let (sources, resources, words) = state(&mut tx).await;
        assert_eq!(
            sources,
            [format!("b={z}"), format!("c={y}"), format!("e={x}")]
        );
        let mut all = vec![x, y, z];
        all.sort();
        assert_eq!(resources, all);
        assert_eq!(words, all);
        let subjects = tx
            .texts(
                "SELECT CAST((SELECT COUNT(*) FROM rr.res_subject_words) AS TEXT) || '/' || CAST((SELECT COUNT(*) FROM rr.res_subject) AS TEXT)",
                Vec::new(),
            )
            .await
            .unwrap();
        let [counts] = subjects.as_slice() else {
            panic!("{subjects:?}")
        };
        let (indexed, all) = counts.split_once('/').unwrap();
        assert_eq!(indexed, all);
        assert_ne!(all, "0");
        tx.commit().await.unwrap();
    }
}
