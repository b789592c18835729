//! Running an ADQL query on the relational registry: parse, refuse unpublished tables,
//! translate, execute on a read-only connection under a time limit and a row limit, and type
//! the result columns as TAP_SCHEMA declares them.
//!
//! On SQLite, connections see the registry file attached as `rr` and TAP_SCHEMA in an attached
//! in-memory database filled at connect time; they are `query_only`, ADQL's `LIKE` is
//! case-sensitive there, `REGEXP` (for `ivo_hasword`) is available, and a progress handler
//! enforces the time limit. On PostgreSQL, the schemas `rr` and `tap_schema` are filled once at
//! start; the sessions are read-only (`default_transaction_read_only`) and each query runs in
//! its own transaction under `SET LOCAL statement_timeout`. Only the published tables can be
//! named (the translator maps only known functions), so nothing else in the database — its
//! bookkeeping, the system catalogues, table-valued pragmas — is reachable.

use std::path::Path;
use std::time::{Duration, Instant};

use sqlx::postgres::{PgDatabaseError, PgPool, PgPoolOptions, PgRow, PgValueFormat};
use sqlx::sqlite::{SqlitePool, SqlitePoolOptions, SqliteRow};
use sqlx::{
    Column as _, Connection as _, Executor as _, Row as _, Statement as _, TypeInfo as _,
    ValueRef as _,
};

use super::result::{Datatype, Field, ResultTable, Value};
use crate::ivoa::adql::ast::{Ident, Query, SelectItem, SetExpr, TableRef};
use crate::ivoa::adql::sql::{Dialect, TranslateError, to_sql};
use crate::ivoa::adql::{ParseError, names, parse};
use crate::ivoa::regtap::project::Database;
use crate::ivoa::regtap::schema::Table;

/// Why a query has no result.
#[derive(Debug, thiserror::Error)]
pub enum QueryError {
    #[error("syntax error at {0}")]
    Syntax(#[from] ParseError),
    #[error("{0}")]
    Unknown(String),
    #[error(transparent)]
    Translate(#[from] TranslateError),
    #[error("the query ran into the time limit of {0} s; make it more selective or use /async")]
    Timeout(u64),
    /// Refused by the database (a client error: an unknown column, a type mismatch…).
    #[error("{0}")]
    Refused(String),
    /// The database failed.
    #[error("database failure: {0}")]
    Internal(String),
}

impl QueryError {
    /// Whether the client can fix it (HTTP 400) rather than the service (500).
    pub fn is_client_error(&self) -> bool {
        !matches!(self, QueryError::Internal(_))
    }
}

/// A published table: the name users write (`schema.table`, lower case) and its description.
#[derive(Debug, Clone, Copy)]
pub struct Published {
    pub schema: &'static str,
    pub table: &'static Table,
}

impl Published {
    pub fn name(&self) -> String {
        format!("{}.{}", self.schema, self.table.name)
    }

    /// Every table of the service: the RegTAP tables and TAP_SCHEMA.
    pub fn all() -> Vec<Published> {
        let rr = crate::ivoa::regtap::schema::TABLES
            .iter()
            .map(|table| Published {
                schema: "rr",
                table,
            });
        let ts = super::tap_schema::TABLES.iter().map(|table| Published {
            schema: super::tap_schema::SCHEMA_NAME,
            table,
        });
        rr.chain(ts).collect()
    }
}

/// The read-only connections queries run on.
enum Pool {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// Executes queries.
pub struct Engine {
    pool: Pool,
    tables: Vec<Published>,
}

/// The column names and the rows of a result.
type Fetched = (Vec<String>, Vec<Vec<Value>>);

impl Engine {
    /// Opens up to `connections` read-only connections to `database`; `setup` creates and fills
    /// TAP_SCHEMA (`tap_schema::statements` for the database's backend): on SQLite in a
    /// database attached as `tap_schema` on every connection, on PostgreSQL once, in one
    /// transaction, in the schema `tap_schema`.
    pub async fn open(
        database: &Database,
        tables: Vec<Published>,
        setup: Vec<String>,
        connections: u32,
    ) -> sqlx::Result<Engine> {
        let pool = match database {
            Database::Sqlite(path) => Pool::Sqlite(sqlite_pool(path, setup, connections).await?),
            Database::Postgres(url) => Pool::Postgres(pg_pool(url, setup, connections).await?),
        };
        Ok(Engine { pool, tables })
    }

    /// The published tables.
    pub fn tables(&self) -> &[Published] {
        &self.tables
    }

    fn published(&self, name: &[Ident]) -> Option<&Published> {
        let name: Vec<String> = name.iter().map(Ident::canonical).collect();
        match name.as_slice() {
            [schema, table] => self
                .tables
                .iter()
                .find(|p| p.schema.eq_ignore_ascii_case(schema) && p.table.name == table),
            _ => None,
        }
    }

    /// Refuses a query naming a table that is not published.
    fn check_tables(&self, q: &Query) -> Result<(), QueryError> {
        let t = names::tables(q);
        for name in &t.referenced {
            if let [one] = name.as_slice()
                && t.defined.contains(one)
            {
                continue;
            }
            if self.published(name).is_some() {
                continue;
            }
            let written: Vec<&str> = name.iter().map(|i| i.text.as_str()).collect();
            let written = written.join(".");
            let last = name.last().map(Ident::canonical).unwrap_or_default();
            let hint = self
                .tables
                .iter()
                .find(|p| p.table.name == last)
                .map(|p| format!("; did you mean {}?", p.name()))
                .unwrap_or_default();
            return Err(QueryError::Unknown(format!(
                "table {written} is not known here{hint} (the tables are listed in TAP_SCHEMA.tables)"
            )));
        }
        Ok(())
    }

    /// Runs `adql`, returning at most `maxrec` rows (more are cut off and flagged), stopping it
    /// after `time_limit`.
    pub async fn run(
        &self,
        adql: &str,
        maxrec: u64,
        time_limit: Duration,
    ) -> Result<ResultTable, QueryError> {
        let q = parse(adql)?;
        self.check_tables(&q)?;
        let dialect = match self.pool {
            Pool::Sqlite(_) => Dialect::Sqlite,
            Pool::Postgres(_) => Dialect::Postgres,
        };
        let sql = to_sql(&q, dialect, Some(maxrec.saturating_add(1)))?;
        let (names, mut values) = match &self.pool {
            Pool::Sqlite(p) => run_sqlite(p, sql, time_limit).await?,
            Pool::Postgres(p) => run_postgres(p, sql, time_limit).await?,
        };
        let overflow = values.len() as u64 > maxrec;
        values.truncate(usize::try_from(maxrec).unwrap_or(usize::MAX));
        let fields = self.fields(&q, &names, &values);
        Ok(ResultTable {
            fields,
            rows: values,
            overflow: overflow || maxrec == 0,
        })
    }

    /// Column metadata: a column of a published table keeps its declared metadata (under the
    /// result's name); computed columns are typed from their values.
    fn fields(&self, q: &Query, names: &[String], values: &[Vec<Value>]) -> Vec<Field> {
        let select = leftmost(&q.body);
        let mut from: Vec<&Published> = Vec::new();
        for t in &select.from {
            self.collect_from(t, &mut from);
        }
        let plain_items = select
            .items
            .iter()
            .all(|i| matches!(i, SelectItem::Expr { .. }));
        names
            .iter()
            .enumerate()
            .map(|(i, name)| {
                // The declared column this result column is, if it is one.
                let source: Option<String> = if plain_items {
                    match select.items.get(i) {
                        Some(SelectItem::Expr {
                            expr: crate::ivoa::adql::ast::Expr::Column(parts),
                            ..
                        }) => parts.last().map(Ident::canonical),
                        _ => None,
                    }
                } else {
                    Some(name.clone())
                };
                let declared = source.and_then(|col| {
                    from.iter().find_map(|p| {
                        // `"size"` is declared delimited (a reserved word).
                        p.table
                            .columns
                            .iter()
                            .find(|c| c.name.trim_matches('"') == col)
                    })
                });
                match declared {
                    Some(c) => Field {
                        name: name.clone(),
                        ..Field::of_column(c)
                    },
                    None => {
                        // An expression without an alias is named after its function, as
                        // other TAP services do, rather than after its text.
                        let generated = match select.items.get(i) {
                            Some(SelectItem::Expr {
                                expr: crate::ivoa::adql::ast::Expr::Function { name: f, .. },
                                alias: None,
                            }) if plain_items => f.canonical().to_ascii_lowercase(),
                            Some(SelectItem::Expr {
                                expr: crate::ivoa::adql::ast::Expr::Column(_),
                                ..
                            }) => name.clone(),
                            Some(SelectItem::Expr { alias: None, .. }) if plain_items => {
                                format!("col{}", i + 1)
                            }
                            _ => name.clone(),
                        };
                        Field::computed(&generated, infer(values.iter().map(|r| &r[i])))
                    }
                }
            })
            .collect()
    }

    fn collect_from<'a>(&'a self, t: &TableRef, out: &mut Vec<&'a Published>) {
        match t {
            TableRef::Table { name, .. } => {
                if let Some(p) = self.published(name) {
                    out.push(p);
                }
            }
            TableRef::Derived { .. } => {}
            TableRef::Join { left, right, .. } => {
                self.collect_from(left, out);
                self.collect_from(right, out);
            }
        }
    }

    /// Closes the connections.
    pub async fn close(&self) {
        match &self.pool {
            Pool::Sqlite(p) => p.close().await,
            Pool::Postgres(p) => p.close().await,
        }
    }
}

/// SQLite connections with the registry file attached as `rr` and TAP_SCHEMA filled by
/// `setup` in an attached in-memory database.
async fn sqlite_pool(
    path: &Path,
    setup: Vec<String>,
    connections: u32,
) -> sqlx::Result<SqlitePool> {
    let file = path.to_owned();
    let setup = std::sync::Arc::new(setup);
    SqlitePoolOptions::new()
        .max_connections(connections.max(1))
        .after_connect(move |conn, _| {
            let (file, setup) = (file.clone(), setup.clone());
            Box::pin(async move {
                crate::ivoa::regtap::project::attach(conn, &file).await?;
                sqlx::query("ATTACH DATABASE ':memory:' AS tap_schema")
                    .execute(&mut *conn)
                    .await?;
                for stmt in setup.iter() {
                    sqlx::query(sqlx::AssertSqlSafe(stmt.clone()))
                        .execute(&mut *conn)
                        .await?;
                }
                sqlx::query("PRAGMA case_sensitive_like = ON")
                    .execute(&mut *conn)
                    .await?;
                sqlx::query("PRAGMA query_only = ON")
                    .execute(&mut *conn)
                    .await?;
                Ok(())
            })
        })
        .connect_with(crate::ivoa::regtap::project::attach_options().with_regexp())
        .await
}

/// Runs `setup` (`tap_schema::statements` for PostgreSQL) on the database at `url`, in one
/// transaction: what the node that keeps the rr tables does when it opens TAP or starts to
/// lead.
pub async fn set_up_postgres(url: &str, setup: Vec<String>) -> sqlx::Result<()> {
    if setup.is_empty() {
        return Ok(());
    }
    let options = Database::pg_options(url)?;
    let mut conn = sqlx::PgConnection::connect_with(&options).await?;
    let mut tx = conn.begin().await?;
    for stmt in setup {
        sqlx::query(sqlx::AssertSqlSafe(stmt))
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    conn.close().await
}

/// Fills TAP_SCHEMA with `setup` (one transaction, so readers never see it half written), then
/// opens read-only sessions.
async fn pg_pool(url: &str, setup: Vec<String>, connections: u32) -> sqlx::Result<PgPool> {
    set_up_postgres(url, setup).await?;
    let options = Database::pg_options(url)?;
    PgPoolOptions::new()
        .max_connections(connections.max(1))
        .connect_with(options.options([("default_transaction_read_only", "on")]))
        .await
}

/// Runs `sql` on SQLite, interrupted by a progress handler at the deadline.
async fn run_sqlite(
    pool: &SqlitePool,
    sql: String,
    time_limit: Duration,
) -> Result<Fetched, QueryError> {
    let mut conn = pool
        .acquire()
        .await
        .map_err(|e| QueryError::Internal(e.to_string()))?;
    let deadline = Instant::now() + time_limit;
    conn.lock_handle()
        .await
        .map_err(|e| QueryError::Internal(e.to_string()))?
        .set_progress_handler(10_000, move || Instant::now() < deadline);
    let fetched = sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
        .fetch_all(&mut *conn)
        .await;
    let names = match &fetched {
        Ok(rows) if rows.is_empty() => {
            // No row to read the columns from: ask the statement.
            (&mut *conn)
                .prepare(sqlx::SqlSafeStr::into_sql_str(sqlx::AssertSqlSafe(sql)))
                .await
                .map(|s| s.columns().iter().map(|c| c.name().to_owned()).collect())
                .unwrap_or_default()
        }
        Ok(rows) => rows
            .first()
            .map(|r| r.columns().iter().map(|c| c.name().to_owned()).collect())
            .unwrap_or_default(),
        Err(_) => Vec::new(),
    };
    if let Ok(mut h) = conn.lock_handle().await {
        h.remove_progress_handler();
    }
    let rows = fetched.map_err(|e| db_error(e, time_limit))?;
    let values = rows.iter().map(|r| sqlite_values(r, names.len())).collect();
    Ok((names, values))
}

/// Runs `sql` on PostgreSQL in a transaction of its own, cancelled by the server at the time
/// limit.
async fn run_postgres(
    pool: &PgPool,
    sql: String,
    time_limit: Duration,
) -> Result<Fetched, QueryError> {
    let internal = |e: sqlx::Error| QueryError::Internal(e.to_string());
    let mut tx = pool.begin().await.map_err(internal)?;
    let ms = time_limit.as_millis().clamp(1, i32::MAX as u128);
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "SET LOCAL statement_timeout = {ms}"
    )))
    .execute(&mut *tx)
    .await
    .map_err(internal)?;
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
        .fetch_all(&mut *tx)
        .await
        .map_err(|e| db_error(e, time_limit))?;
    let names: Vec<String> = match rows.first() {
        Some(r) => r.columns().iter().map(|c| c.name().to_owned()).collect(),
        // No row to read the columns from: ask the statement.
        None => (&mut *tx)
            .prepare(sqlx::SqlSafeStr::into_sql_str(sqlx::AssertSqlSafe(sql)))
            .await
            .map(|s| s.columns().iter().map(|c| c.name().to_owned()).collect())
            .map_err(|e| db_error(e, time_limit))?,
    };
    tx.rollback().await.map_err(internal)?;
    let values = rows.iter().map(|r| pg_values(r, names.len())).collect();
    Ok((names, values))
}

/// A database error as the client should read it.
fn db_error(e: sqlx::Error, time_limit: Duration) -> QueryError {
    match e {
        sqlx::Error::Database(d) => {
            if let Some(pg) = d.try_downcast_ref::<PgDatabaseError>() {
                return pg_error(pg, time_limit);
            }
            let m = d.message();
            if m.contains("interrupted") {
                QueryError::Timeout(time_limit.as_secs().max(1))
            } else if let Some(col) = m.strip_prefix("no such column: ") {
                QueryError::Unknown(format!("column {col} is not known here"))
            } else {
                QueryError::Refused(m.to_owned())
            }
        }
        other => QueryError::Internal(other.to_string()),
    }
}

/// A PostgreSQL error by its SQLSTATE: the client's mistakes (syntax and access rules, data
/// exceptions, unsupported features, limits, writing in a read-only transaction) are refused;
/// the rest is the service's failure.
fn pg_error(e: &PgDatabaseError, time_limit: Duration) -> QueryError {
    let code = e.code();
    let m = e.message();
    match code {
        "57014" => QueryError::Timeout(time_limit.as_secs().max(1)),
        "42703" => {
            // `column "x" does not exist`
            let col = m.split('"').nth(1).unwrap_or(m);
            QueryError::Unknown(format!("column {col} is not known here"))
        }
        _ if ["21", "22", "25", "42", "0A", "54"].contains(&code.get(..2).unwrap_or("")) => {
            QueryError::Refused(m.to_owned())
        }
        _ => QueryError::Internal(format!("{code}: {m}")),
    }
}

fn leftmost(e: &SetExpr) -> &crate::ivoa::adql::ast::Select {
    match e {
        SetExpr::Select(s) => s,
        SetExpr::Op { left, .. } => leftmost(left),
    }
}

/// The type of a computed column from its values: text wins, then reals, then integers.
fn infer<'a>(values: impl Iterator<Item = &'a Value>) -> Datatype {
    let (mut text, mut unicode, mut real, mut int) = (false, false, false, false);
    for v in values {
        match v {
            Value::Text(s) => {
                text = true;
                unicode |= !s.is_ascii();
            }
            Value::Real(_) => real = true,
            Value::Int(_) => int = true,
            Value::Null => {}
        }
    }
    if unicode {
        Datatype::UnicodeChar
    } else if text || !(real || int) {
        Datatype::Char
    } else if real {
        Datatype::Double
    } else {
        Datatype::Long
    }
}

fn sqlite_values(row: &SqliteRow, width: usize) -> Vec<Value> {
    (0..width)
        .map(|i| {
            let Ok(raw) = row.try_get_raw(i) else {
                return Value::Null;
            };
            if raw.is_null() {
                return Value::Null;
            }
            match raw.type_info().name() {
                "INTEGER" => row.try_get::<i64, _>(i).map_or(Value::Null, Value::Int),
                "REAL" => row.try_get::<f64, _>(i).map_or(Value::Null, Value::Real),
                "BLOB" => row.try_get::<Vec<u8>, _>(i).map_or(Value::Null, |b| {
                    Value::Text(String::from_utf8_lossy(&b).into())
                }),
                _ => row.try_get::<String, _>(i).map_or(Value::Null, Value::Text),
            }
        })
        .collect()
}

fn pg_values(row: &PgRow, width: usize) -> Vec<Value> {
    (0..width)
        .map(|i| {
            let Ok(raw) = row.try_get_raw(i) else {
                return Value::Null;
            };
            if raw.is_null() {
                return Value::Null;
            }
            match raw.type_info().name() {
                "INT2" => row
                    .try_get::<i16, _>(i)
                    .map_or(Value::Null, |v| Value::Int(v.into())),
                "INT4" => row
                    .try_get::<i32, _>(i)
                    .map_or(Value::Null, |v| Value::Int(v.into())),
                "INT8" => row.try_get::<i64, _>(i).map_or(Value::Null, Value::Int),
                "FLOAT4" => row
                    .try_get::<f32, _>(i)
                    .map_or(Value::Null, |v| Value::Real(v.into())),
                "FLOAT8" => row.try_get::<f64, _>(i).map_or(Value::Null, Value::Real),
                "BOOL" => row
                    .try_get::<bool, _>(i)
                    .map_or(Value::Null, |v| Value::Int(v.into())),
                "NUMERIC" => numeric(raw.format(), raw.as_bytes().unwrap_or_default()),
                _ => match row.try_get::<String, _>(i) {
                    Ok(s) => Value::Text(s),
                    // Any other type in its text form when the server sent text, else nothing.
                    Err(_) => match raw.format() {
                        PgValueFormat::Text => raw
                            .as_str()
                            .map_or(Value::Null, |s| Value::Text(s.to_owned())),
                        PgValueFormat::Binary => Value::Null,
                    },
                },
            }
        })
        .collect()
}

/// A NUMERIC as a double: from its text, or from the binary form (digit count, weight of the
/// first base-10000 digit, sign, display scale, then the digits).
fn numeric(format: PgValueFormat, bytes: &[u8]) -> Value {
    if format == PgValueFormat::Text {
        return std::str::from_utf8(bytes)
            .ok()
            .and_then(|s| s.trim().parse().ok())
            .map_or(Value::Null, Value::Real);
    }
    let word = |i: usize| -> Option<u16> {
        let b = bytes.get(i * 2..i * 2 + 2)?;
        Some(u16::from_be_bytes([b[0], b[1]]))
    };
    let (Some(n), Some(weight), Some(sign)) = (word(0), word(1), word(2)) else {
        return Value::Null;
    };
    let weight = i32::from(weight as i16);
    let mut v = 0.0f64;
    for k in 0..usize::from(n) {
        let Some(d) = word(4 + k) else {
            return Value::Null;
        };
        v += f64::from(d) * 10_000f64.powi(weight - k as i32);
    }
    match sign {
        0x0000 => Value::Real(v),
        0x4000 => Value::Real(-v),
        0xD000 => Value::Real(f64::INFINITY),
        0xF000 => Value::Real(f64::NEG_INFINITY),
        _ => Value::Real(f64::NAN),
    }
}

#[cfg(test)]
mod tests {
    use sqlx::Connection as _;

    use super::*;
    use crate::ivoa::regtap::schema::{Backend, ddl};
    use crate::ivoa::tap::tap_schema;

    mod postgres {
        include!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/it/common/postgres.rs"
        ));
    }

    /// A PostgreSQL with the rr tables holding two resources, and a writable connection to it.
    async fn regtap_postgres() -> (postgres::Postgres, sqlx::PgConnection) {
        let pg = postgres::Postgres::start();
        let mut c = sqlx::PgConnection::connect(&pg.url()).await.unwrap();
        for stmt in ddl(Backend::Postgres) {
            sqlx::query(sqlx::AssertSqlSafe(stmt.clone()))
                .execute(&mut c)
                .await
                .unwrap_or_else(|e| panic!("{stmt}: {e}"));
        }
        sqlx::raw_sql(
            "INSERT INTO rr.resource (ivoid, res_type, res_title, res_description, created) VALUES
               ('ivo://x/gal', 'vs:catalogservice', 'Galaxy survey', 'Redshifts of nearby galaxies.', '2020-01-02T03:04:05'),
               ('ivo://x/star', 'vs:datacollection', 'Star catalogue', NULL, NULL);
             INSERT INTO rr.res_subject (ivoid, res_subject) VALUES ('ivo://x/gal', 'Galaxies');",
        )
        .execute(&mut c)
        .await
        .unwrap();
        (pg, c)
    }

    async fn engine(url: &str) -> Engine {
        Engine::open(
            &Database::Postgres(url.to_owned()),
            Published::all(),
            tap_schema::statements(Backend::Postgres),
            2,
        )
        .await
        .unwrap()
    }

    fn pg(e: &Engine) -> &PgPool {
        match &e.pool {
            Pool::Postgres(p) => p,
            Pool::Sqlite(_) => panic!("not PostgreSQL"),
        }
    }

    #[tokio::test]
    async fn postgres_answers_typed_results_and_client_errors() {
        let (pg_server, _c) = regtap_postgres().await;
        let e = engine(&pg_server.url()).await;
        let limit = Duration::from_secs(10);
        // Stemmed full-text search: "galaxy" finds "galaxies".
        let r = e
            .run(
                "SELECT ivoid, created FROM rr.resource WHERE 1 = ivo_hasword(res_description, 'galaxy')",
                100,
                limit,
            )
            .await
            .unwrap();
        assert_eq!(
            r.rows,
            [vec![
                Value::Text("ivo://x/gal".into()),
                Value::Text("2020-01-02T03:04:05".into())
            ]]
        );
        assert_eq!(r.fields[1].xtype.as_deref(), Some("timestamp"));
        let r = e
            .run(
                "SELECT COUNT(*) AS n, AVG(column_index) AS a, MAX(std) AS s, 1.5 AS f \
                 FROM tap_schema.columns",
                100,
                limit,
            )
            .await
            .unwrap();
        let row = &r.rows[0];
        assert!(matches!(row[0], Value::Int(n) if n > 100), "{row:?}");
        assert!(matches!(row[1], Value::Real(a) if a > 1.0), "{row:?}");
        assert_eq!(row[2], Value::Int(1));
        assert_eq!(row[3], Value::Real(1.5));
        assert_eq!(r.fields[0].datatype, Datatype::Long);
        assert_eq!(r.fields[1].datatype, Datatype::Double);
        // No rows: the columns still come from the statement; the row cap flags overflow.
        let r = e
            .run("SELECT ivoid FROM rr.resource WHERE 1 = 0", 100, limit)
            .await
            .unwrap();
        assert_eq!((r.fields.len(), r.rows.len()), (1, 0));
        let r = e
            .run("SELECT ivoid FROM rr.resource", 1, limit)
            .await
            .unwrap();
        assert!(r.overflow && r.rows.len() == 1);
        let err = e
            .run("SELECT nope FROM rr.resource", 100, limit)
            .await
            .unwrap_err();
        assert!(
            matches!(&err, QueryError::Unknown(m) if m.contains("nope")),
            "{err:?}"
        );
        let err = e
            .run("SELECT ivoid FROM rr.resource WHERE ivoid = 1", 100, limit)
            .await
            .unwrap_err();
        assert!(matches!(err, QueryError::Refused(_)), "{err:?}");
        e.close().await;
    }

    #[tokio::test]
    async fn postgres_queries_stop_at_the_time_limit_and_cannot_write() {
        let (pg_server, _c) = regtap_postgres().await;
        let e = engine(&pg_server.url()).await;
        let started = Instant::now();
        let err = e
            .run(
                "SELECT COUNT(*) FROM tap_schema.columns AS a, tap_schema.columns AS b, \
                 tap_schema.columns AS c, tap_schema.columns AS d",
                10,
                Duration::from_secs(1),
            )
            .await
            .unwrap_err();
        assert!(matches!(err, QueryError::Timeout(1)), "{err:?}");
        assert!(started.elapsed() < Duration::from_secs(5));
        // The connection is usable again, without the limit of the stopped query.
        let r = e
            .run(
                "SELECT COUNT(*) AS n FROM rr.resource",
                10,
                Duration::from_secs(10),
            )
            .await
            .unwrap();
        assert_eq!(r.rows, [vec![Value::Int(2)]]);
        // The reading sessions are read-only, whatever SQL reaches them.
        for write in [
            "DELETE FROM rr.resource",
            "CREATE TABLE rr.intruder (a INTEGER)",
            "UPDATE tap_schema.tables SET description = 'x'",
        ] {
            let err = sqlx::query(write).execute(pg(&e)).await.unwrap_err();
            let code = err.as_database_error().and_then(|d| d.code()).unwrap();
            assert_eq!(code, "25006", "{write}: {err}");
        }
        e.close().await;
    }

    #[tokio::test]
    async fn postgres_text_search_uses_its_indexes() {
        let (_pg, mut c) = regtap_postgres().await;
        sqlx::query("SET enable_seqscan = off")
            .execute(&mut c)
            .await
            .unwrap();
        for (adql, index) in [
            (
                "SELECT ivoid FROM rr.resource WHERE 1 = ivo_hasword(res_title, 'survey')",
                "resource_res_title_fts",
            ),
            (
                "SELECT ivoid FROM rr.resource WHERE 1 = ivo_hasword(res_description, 'galaxy') \
                 OR 1 = ivo_hasword(res_title, 'galaxy')",
                "resource_res_description_fts",
            ),
            (
                "SELECT ivoid FROM rr.res_subject WHERE 1 = ivo_nocasematch(res_subject, 'gal%')",
                "res_subject_res_subject_lower",
            ),
        ] {
            let q = crate::ivoa::adql::parse(adql).unwrap();
            let sql = to_sql(&q, Dialect::Postgres, Some(100)).unwrap();
            let plan: Vec<String> =
                sqlx::query_scalar(sqlx::AssertSqlSafe(format!("EXPLAIN {sql}")))
                    .fetch_all(&mut c)
                    .await
                    .unwrap();
            let plan = plan.join("\n");
            assert!(plan.contains(index), "{adql}\n{sql}\n{plan}");
        }
    }

    #[test]
    fn numerics_decode_from_their_binary_form() {
        // 12345.678: digits 1, 2345, 6780; weight 1; positive; scale 3.
        let bytes: Vec<u8> = [3u16, 1, 0, 3, 1, 2345, 6780]
            .iter()
            .flat_map(|w| w.to_be_bytes())
            .collect();
        assert_eq!(
            numeric(PgValueFormat::Binary, &bytes),
            Value::Real(12345.678)
        );
        // -0.05: one digit 500 of weight -1.
        let bytes: Vec<u8> = [1u16, 0xFFFF, 0x4000, 2, 500]
            .iter()
            .flat_map(|w| w.to_be_bytes())
            .collect();
        assert_eq!(numeric(PgValueFormat::Binary, &bytes), Value::Real(-0.05));
        assert_eq!(numeric(PgValueFormat::Text, b"2.5"), Value::Real(2.5));
        assert_eq!(numeric(PgValueFormat::Binary, &[0, 1]), Value::Null);
    }
}
