//! Running an ADQL query on the relational registry: parse, refuse unpublished tables,
//! translate, execute on a read-only connection under a time limit and a row limit, and type
//! the result columns as TAP_SCHEMA declares them.
//!
//! Connections see the registry file attached as `rr` and TAP_SCHEMA in an attached in-memory
//! database filled at connect time; they are `query_only`, ADQL's `LIKE` is case-sensitive
//! there, and `REGEXP` (for `ivo_hasword`) is available. Only the published tables can be
//! named (the translator maps only known functions), so nothing else in the database — its
//! bookkeeping, SQLite's own tables, table-valued pragmas — is reachable.

use std::path::Path;
use std::time::{Duration, Instant};

use sqlx::sqlite::{SqlitePool, SqlitePoolOptions, SqliteRow};
use sqlx::{Column as _, Executor as _, Row as _, Statement as _, TypeInfo as _, ValueRef as _};

use super::result::{Datatype, Field, ResultTable, Value};
use crate::adql::ast::{Ident, Query, SelectItem, SetExpr, TableRef};
use crate::adql::sql::{Dialect, TranslateError, to_sql};
use crate::adql::{ParseError, names, parse};
use crate::regtap::schema::Table;

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
        let rr = crate::regtap::schema::TABLES.iter().map(|table| Published {
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

/// Executes queries.
pub struct Engine {
    pool: SqlitePool,
    tables: Vec<Published>,
}

impl Engine {
    /// Opens up to `connections` read-only connections to the registry file `path`; `setup`
    /// creates and fills TAP_SCHEMA (in a database attached as `tap_schema`).
    pub async fn open(
        path: &Path,
        tables: Vec<Published>,
        setup: Vec<String>,
        connections: u32,
    ) -> sqlx::Result<Engine> {
        let file = path.to_owned();
        let setup = std::sync::Arc::new(setup);
        let pool = SqlitePoolOptions::new()
            .max_connections(connections.max(1))
            .after_connect(move |conn, _| {
                let (file, setup) = (file.clone(), setup.clone());
                Box::pin(async move {
                    crate::regtap::project::attach(conn, &file).await?;
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
            .connect_with(crate::regtap::project::attach_options().with_regexp())
            .await?;
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
        let sql = to_sql(&q, Dialect::Sqlite, Some(maxrec.saturating_add(1)))?;
        let mut conn = self
            .pool
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
                    .prepare(sqlx::SqlSafeStr::into_sql_str(sqlx::AssertSqlSafe(
                        sql.clone(),
                    )))
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
        let mut values: Vec<Vec<Value>> = rows.iter().map(|r| row_values(r, names.len())).collect();
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
                            expr: crate::adql::ast::Expr::Column(parts),
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
                                expr: crate::adql::ast::Expr::Function { name: f, .. },
                                alias: None,
                            }) if plain_items => f.canonical().to_ascii_lowercase(),
                            Some(SelectItem::Expr {
                                expr: crate::adql::ast::Expr::Column(_),
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
        self.pool.close().await;
    }
}

/// A database error as the client should read it.
fn db_error(e: sqlx::Error, time_limit: Duration) -> QueryError {
    match e {
        sqlx::Error::Database(d) => {
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

fn leftmost(e: &SetExpr) -> &crate::adql::ast::Select {
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

fn row_values(row: &SqliteRow, width: usize) -> Vec<Value> {
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
