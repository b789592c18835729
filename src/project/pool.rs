//! Where a relational projection lives: the data directory's SQLite, or, in a deployment of
//! several nodes, PostgreSQL beside the revision log, where the leading node keeps it and every
//! node reads it (`migrations/postgres`). Each query is written once, with PostgreSQL's
//! numbered parameters (`$1`…), which SQLite reads as `?1`…; `on!` runs one body on either,
//! each arm typed for its own database.

use sqlx::SqlitePool;
use sqlx::postgres::PgPool;

use super::Result;

/// The database of a relational projection.
#[derive(Clone)]
pub enum Pool {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// Runs `$body` on the database of `$projection.pool`, with `$pool` its pool and `$q` making a
/// query of a SQL text written with numbered parameters; `$shared`, when named, tells the body
/// which database it runs on (for what only PostgreSQL does, such as its locks).
macro_rules! on {
    ($projection:expr, |$pool:ident, $q:ident| $body:expr) => {
        on!($projection, |$pool, $q, _shared| $body)
    };
    ($projection:expr, |$pool:ident, $q:ident, $shared:ident| $body:expr) => {
        match &$projection.pool {
            $crate::project::pool::Pool::Sqlite($pool) => {
                let $q = |sql: &'static str| {
                    sqlx::query::<sqlx::Sqlite>(sqlx::AssertSqlSafe(sql.replace('$', "?")))
                };
                let $shared = false;
                $body
            }
            $crate::project::pool::Pool::Postgres($pool) => {
                let $q = |sql: &'static str| {
                    sqlx::query::<sqlx::Postgres>(sqlx::AssertSqlSafe(sql.to_owned()))
                };
                let $shared = true;
                $body
            }
        }
    };
}
pub(crate) use on;

/// Taken by a transaction that applies rows to a projection in PostgreSQL (`pg_advisory_xact_lock`
/// on `$1`, a key per projection): two nodes that both believe they lead, for the moment one
/// takes over from the other, apply one after the other, the second seeing what the first did.
pub const LOCK_PROJECTION: &str =
    "SELECT pg_advisory_xact_lock(hashtext('orrery projection ' || $1))";

/// Moves projection `$1`'s watermark to `$2`, never back, inside the transaction that applies
/// its rows.
pub const SET_WATERMARK: &str = "INSERT INTO projection_state (name, revision) VALUES ($1, $2)
     ON CONFLICT (name) DO UPDATE SET revision = CASE
       WHEN excluded.revision > projection_state.revision THEN excluded.revision
       ELSE projection_state.revision END";

/// What `on!` needs of a projection: its pool.
struct Of<'a> {
    pool: &'a Pool,
}

impl Pool {
    /// Whether this is PostgreSQL, shared between the nodes of a deployment.
    pub fn is_shared(&self) -> bool {
        matches!(self, Pool::Postgres(_))
    }

    /// The watermark of projection `name` (0 before its first change).
    pub async fn watermark(&self, name: &'static str) -> Result<u64> {
        use sqlx::Row as _;
        let rev: Option<i64> = on!(Of { pool: self }, |pool, q| {
            q("SELECT revision FROM projection_state WHERE name = $1")
                .bind(name)
                .fetch_optional(pool)
                .await?
                .map(|r| r.get(0))
        });
        Ok(rev.unwrap_or(0) as u64)
    }

    pub async fn close(&self) {
        match self {
            Pool::Sqlite(p) => p.close().await,
            // The revision log's pool, closed with it.
            Pool::Postgres(_) => {}
        }
    }
}
