//! The relational `assets` table: id, type, status, revision, datestamp, deleted, who owns it
//! and whether anonymous readers see it. The portal's listings (my assets, the moderators'
//! queue) and the sitemap read it. It lives in the data directory's SQLite, or, in a
//! deployment of several nodes, in PostgreSQL beside the revision log (see `pool`).

use sqlx::Row as _;

use super::pool::{LOCK_PROJECTION, Pool, SET_WATERMARK, on};
use super::{Projection, Result, Row};

/// Bumped when the table's shape changes: an older table is dropped and rebuilt from the store.
const VERSION: i64 = 5;

const SCHEMA: &[&str] = &[
    "CREATE TABLE IF NOT EXISTS projection_state (name TEXT PRIMARY KEY, revision INTEGER NOT NULL)",
    "CREATE TABLE IF NOT EXISTS assets (
        id TEXT PRIMARY KEY,
        type TEXT NOT NULL,
        status TEXT NOT NULL,
        revision INTEGER NOT NULL,
        datestamp TEXT NOT NULL,
        deleted INTEGER NOT NULL DEFAULT 0,
        public INTEGER NOT NULL DEFAULT 0,
        public_datestamp TEXT NOT NULL DEFAULT '',
        ever_public INTEGER NOT NULL DEFAULT 0,
        published_here INTEGER NOT NULL DEFAULT 0,
        owner TEXT NOT NULL DEFAULT '',
        pending TEXT NOT NULL DEFAULT ''
    )",
    "CREATE INDEX IF NOT EXISTS assets_datestamp ON assets (datestamp)",
    "CREATE INDEX IF NOT EXISTS assets_revision ON assets (revision)",
    "CREATE INDEX IF NOT EXISTS assets_public ON assets (public, id)",
    "CREATE INDEX IF NOT EXISTS assets_owner ON assets (owner, revision)",
    "CREATE INDEX IF NOT EXISTS assets_review ON assets (status, pending)",
];

/// An asset as the signed-in pages list it.
#[derive(Debug, Clone, PartialEq)]
pub struct Listed {
    pub id: String,
    pub kind: String,
    pub status: String,
    /// The status of its pending revision (empty when none).
    pub pending: String,
    pub owner: String,
    pub datestamp: String,
}

/// The relational projection of asset states.
#[derive(Clone)]
pub struct AssetsTable {
    pool: Pool,
}

fn listed<R>(rows: Vec<R>) -> Vec<Listed>
where
    R: sqlx::Row,
    usize: sqlx::ColumnIndex<R>,
    for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    rows.into_iter()
        .map(|r| Listed {
            id: r.get(0),
            kind: r.get(1),
            status: r.get(2),
            pending: r.get(3),
            owner: r.get(4),
            datestamp: r.get(5),
        })
        .collect()
}

impl AssetsTable {
    /// Opens (creating if needed) the SQLite database file.
    pub async fn open(path: &std::path::Path) -> Result<AssetsTable> {
        let pool = crate::store::sqlite::open(path).await?;
        sqlx::query(
            "CREATE TABLE IF NOT EXISTS projection_state (name TEXT PRIMARY KEY, revision INTEGER NOT NULL)",
        )
        .execute(&pool)
        .await?;
        let version: Option<i64> = sqlx::query_scalar(
            "SELECT revision FROM projection_state WHERE name = 'assets-version'",
        )
        .fetch_optional(&pool)
        .await?;
        if version != Some(VERSION) {
            sqlx::query("DROP TABLE IF EXISTS assets")
                .execute(&pool)
                .await?;
            sqlx::query("DELETE FROM projection_state WHERE name = 'assets'")
                .execute(&pool)
                .await?;
            sqlx::query(
                "INSERT INTO projection_state (name, revision) VALUES ('assets-version', ?)
                 ON CONFLICT (name) DO UPDATE SET revision = excluded.revision",
            )
            .bind(VERSION)
            .execute(&pool)
            .await?;
        }
        for stmt in SCHEMA {
            sqlx::query(*stmt).execute(&pool).await?;
        }
        Ok(AssetsTable {
            pool: Pool::Sqlite(pool),
        })
    }

    /// The table of a deployment of several nodes, in its PostgreSQL (made by its migrations).
    pub fn on_postgres(pool: sqlx::postgres::PgPool) -> AssetsTable {
        AssetsTable {
            pool: Pool::Postgres(pool),
        }
    }

    /// Whether the table lives in PostgreSQL, beside the revision log.
    pub fn is_shared(&self) -> bool {
        self.pool.is_shared()
    }

    /// An order-free digest of every row, to compare replicas.
    pub async fn digest(&self) -> Result<String> {
        let mut d = crate::store::digest::OrderFree::default();
        for r in self.rows().await? {
            d.add(format!("{r:?}").as_bytes());
        }
        Ok(d.finish())
    }

    /// Every row, ordered by id.
    pub async fn rows(&self) -> Result<Vec<Row>> {
        Ok(on!(self, |pool, q| {
            q(
                "SELECT id, type, status, revision, datestamp, deleted, public, public_datestamp,
                      ever_public, published_here, owner, pending FROM assets ORDER BY id",
            )
            .fetch_all(pool)
            .await?
            .into_iter()
            .map(|r| Row {
                id: r.get(0),
                kind: r.get(1),
                status: r.get(2),
                revision: r.get::<i64, _>(3) as u64,
                datestamp: r.get(4),
                deleted: r.get::<i64, _>(5) != 0,
                public: r.get::<i64, _>(6) != 0,
                public_datestamp: r.get(7),
                ever_public: r.get::<i64, _>(8) != 0,
                published_here: r.get::<i64, _>(9) != 0,
                owner: r.get(10),
                pending: r.get(11),
            })
            .collect()
        }))
    }

    /// Up to `limit` live assets `owner` owns, most recently changed first.
    pub async fn owned_by(&self, owner: &str, limit: i64) -> Result<Vec<Listed>> {
        Ok(on!(self, |pool, q| {
            listed(
                q(
                    "SELECT id, type, status, pending, owner, datestamp FROM assets
                   WHERE owner = $1 AND deleted = 0 ORDER BY revision DESC LIMIT $2",
                )
                .bind(owner)
                .bind(limit)
                .fetch_all(pool)
                .await?,
            )
        }))
    }

    /// Up to `limit` live assets waiting for a moderator (submitted, or with a submitted
    /// pending revision), longest waiting first.
    pub async fn awaiting_review(&self, limit: i64) -> Result<Vec<Listed>> {
        Ok(on!(self, |pool, q| {
            listed(
                q(
                    "SELECT id, type, status, pending, owner, datestamp FROM assets
                   WHERE deleted = 0 AND (status = 'in_review' OR pending = 'in_review')
                   ORDER BY revision LIMIT $1",
                )
                .bind(limit)
                .fetch_all(pool)
                .await?,
            )
        }))
    }

    /// Ids of live assets with the given status, most recently changed first.
    pub async fn recent_with_status(&self, status: &str, limit: i64) -> Result<Vec<String>> {
        Ok(on!(self, |pool, q| {
            q("SELECT id FROM assets WHERE deleted = 0 AND status = $1
               ORDER BY revision DESC LIMIT $2")
            .bind(status)
            .bind(limit)
            .fetch_all(pool)
            .await?
            .into_iter()
            .map(|r| r.get(0))
            .collect()
        }))
    }

    /// How many assets anonymous readers see.
    pub async fn count_public(&self) -> Result<u64> {
        let n: i64 = on!(self, |pool, q| {
            q("SELECT COUNT(*) FROM assets WHERE public = 1")
                .fetch_one(pool)
                .await?
                .get(0)
        });
        Ok(n as u64)
    }

    /// Up to `limit` assets anonymous readers see, by id after `after`: (id, public datestamp).
    pub async fn public_page(&self, after: &str, limit: i64) -> Result<Vec<(String, String)>> {
        Ok(on!(self, |pool, q| {
            q(
                "SELECT id, public_datestamp FROM assets WHERE public = 1 AND id > $1
               ORDER BY id LIMIT $2",
            )
            .bind(after)
            .bind(limit)
            .fetch_all(pool)
            .await?
            .into_iter()
            .map(|r| (r.get(0), r.get(1)))
            .collect()
        }))
    }

    /// The id just before the `n`-th (0-based) public asset by id ("" for the first), and the
    /// newest public datestamp among the `len` assets from there: where a sitemap part starts.
    pub async fn public_part(&self, n: i64, len: i64) -> Result<Option<(String, String)>> {
        let start: Option<String> = if n == 0 {
            Some(String::new())
        } else {
            on!(self, |pool, q| {
                q("SELECT id FROM assets WHERE public = 1 ORDER BY id LIMIT 1 OFFSET $1")
                    .bind(n - 1)
                    .fetch_optional(pool)
                    .await?
                    .map(|r| r.get(0))
            })
        };
        let Some(start) = start else {
            return Ok(None);
        };
        let newest: Option<String> = on!(self, |pool, q| {
            q(
                "SELECT MAX(public_datestamp) FROM (SELECT public_datestamp FROM assets
               WHERE public = 1 AND id > $1 ORDER BY id LIMIT $2) AS part",
            )
            .bind(&start)
            .bind(len)
            .fetch_one(pool)
            .await?
            .get(0)
        });
        Ok(newest.map(|d| (start, d)))
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }
}

impl Projection for AssetsTable {
    fn name(&self) -> &'static str {
        "assets"
    }

    async fn watermark(&self) -> Result<u64> {
        self.pool.watermark("assets").await
    }

    async fn apply(&self, rows: &[Row], upto: u64) -> Result<()> {
        on!(self, |pool, q, shared| {
            let mut tx = pool.begin().await?;
            if shared {
                q(LOCK_PROJECTION).bind("assets").execute(&mut *tx).await?;
            }
            for r in rows {
                q(
                    "INSERT INTO assets (id, type, status, revision, datestamp, deleted, public,
                       public_datestamp, ever_public, published_here, owner, pending)
                   VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
                   ON CONFLICT (id) DO UPDATE SET type = excluded.type, status = excluded.status,
                   revision = excluded.revision, datestamp = excluded.datestamp,
                   deleted = excluded.deleted, public = excluded.public,
                   public_datestamp = excluded.public_datestamp,
                   ever_public = excluded.ever_public, published_here = excluded.published_here,
                   owner = excluded.owner, pending = excluded.pending
                   WHERE excluded.revision > assets.revision",
                )
                .bind(&r.id)
                .bind(&r.kind)
                .bind(&r.status)
                .bind(r.revision as i64)
                .bind(&r.datestamp)
                .bind(r.deleted as i64)
                .bind(r.public as i64)
                .bind(&r.public_datestamp)
                .bind(r.ever_public as i64)
                .bind(r.published_here as i64)
                .bind(&r.owner)
                .bind(&r.pending)
                .execute(&mut *tx)
                .await?;
            }
            q(SET_WATERMARK)
                .bind("assets")
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
            q("DELETE FROM assets").execute(&mut *tx).await?;
            q("DELETE FROM projection_state WHERE name = 'assets'")
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
        });
        Ok(())
    }
}
