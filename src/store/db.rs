//! One SQL text for the two databases the state beside the catalogue lives in: SQLite in the
//! data directory, or, in a deployment of several nodes, PostgreSQL beside the revision log,
//! so that every node shares it (accounts, tokens and sessions; harvest state).
//!
//! Each query is written once, with PostgreSQL's numbered parameters (`$1`…), which SQLite
//! takes as `?1`…; every value bound and read is text (or NULL).

use sqlx::postgres::PgPool;
use sqlx::{Row as _, SqlitePool};

/// One of the two databases.
#[derive(Clone)]
pub enum Db {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// A row, every column as text.
pub type Row = Vec<Option<String>>;

/// The SQLite spelling of a query's parameters.
fn sqlite(sql: &str) -> sqlx::AssertSqlSafe<String> {
    sqlx::AssertSqlSafe(sql.replace('$', "?"))
}

fn columns_sqlite(r: &sqlx::sqlite::SqliteRow) -> sqlx::Result<Row> {
    (0..r.len())
        .map(|i| r.try_get::<Option<String>, _>(i))
        .collect()
}

fn columns_pg(r: &sqlx::postgres::PgRow) -> sqlx::Result<Row> {
    (0..r.len())
        .map(|i| r.try_get::<Option<String>, _>(i))
        .collect()
}

macro_rules! bound {
    ($q:expr, $args:expr) => {{
        let mut q = $q;
        for a in $args {
            q = q.bind(a.clone());
        }
        q
    }};
}

impl Db {
    /// Runs a statement; returns the rows it changed.
    pub async fn execute(&self, sql: &'static str, args: &[Option<String>]) -> sqlx::Result<u64> {
        Ok(match self {
            Db::Sqlite(p) => bound!(sqlx::query(sqlite(sql)), args)
                .execute(p)
                .await?
                .rows_affected(),
            Db::Postgres(p) => bound!(sqlx::query(sql), args)
                .execute(p)
                .await?
                .rows_affected(),
        })
    }

    /// The first row of a query, if any.
    pub async fn one(
        &self,
        sql: &'static str,
        args: &[Option<String>],
    ) -> sqlx::Result<Option<Row>> {
        match self {
            Db::Sqlite(p) => bound!(sqlx::query(sqlite(sql)), args)
                .fetch_optional(p)
                .await?
                .map(|r| columns_sqlite(&r))
                .transpose(),
            Db::Postgres(p) => bound!(sqlx::query(sql), args)
                .fetch_optional(p)
                .await?
                .map(|r| columns_pg(&r))
                .transpose(),
        }
    }

    /// Every row of a query.
    pub async fn all(&self, sql: &'static str, args: &[Option<String>]) -> sqlx::Result<Vec<Row>> {
        match self {
            Db::Sqlite(p) => bound!(sqlx::query(sqlite(sql)), args)
                .fetch_all(p)
                .await?
                .iter()
                .map(columns_sqlite)
                .collect(),
            Db::Postgres(p) => bound!(sqlx::query(sql), args)
                .fetch_all(p)
                .await?
                .iter()
                .map(columns_pg)
                .collect(),
        }
    }

    pub async fn close(&self) {
        match self {
            Db::Sqlite(p) => p.close().await,
            // The pool is the revision log's, closed with it.
            Db::Postgres(_) => {}
        }
    }
}

/// A text value to bind.
pub fn text(v: impl Into<String>) -> Option<String> {
    Some(v.into())
}
