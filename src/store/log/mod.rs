//! The revision log: every change to the catalogue, numbered without gaps in commit order.
//!
//! One trait, two homes. Embedded (the default), the RDF store is the log: its revision counter
//! and state graph are the head and the changes, and an append is a store commit. With
//! `--database-url`, PostgreSQL holds the truth (`postgres`): a table of revisions, each with the
//! change as every node applies it, and a table of current assets; every node keeps its own RDF
//! store as a replica, applying the log in order (`replay`), and its other projections follow
//! that store as they do embedded.
//!
//! An entry carries an `Op`: what `Store::put`, `Store::mutate` or `Store::attach_versions`
//! did on the node that wrote it, so that replaying it on another node's store gives the same
//! graphs, state and history.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::{Body, Expect, Mutation, NewVersion, StoreError};
use crate::model::Asset;

mod embedded;
pub mod postgres;
mod replay;
#[cfg(test)]
mod tests;

pub use embedded::Embedded;
pub use postgres::PgLog;
pub use replay::apply;

/// Moves a watched revision forward to `revision` (never back), waking its waiters when it
/// moved.
pub fn advance(watched: &tokio::sync::watch::Sender<u64>, revision: u64) {
    watched.send_if_modified(|at| {
        let newer = revision > *at;
        if newer {
            *at = revision;
        }
        newer
    });
}

/// A boxed future, so that the log can be used as a trait object.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Errors of the revision log.
#[derive(Debug, thiserror::Error)]
pub enum LogError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("PostgreSQL: {0}")]
    Postgres(#[from] sqlx::Error),
    #[error("PostgreSQL migrations: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("revision {revision}: {why}")]
    Entry { revision: u64, why: String },
    #[error("background task failed: {0}")]
    Task(String),
}

impl LogError {
    /// Whether the log's database could not be reached (a node answers 503 and retries).
    pub fn is_unavailable(&self) -> bool {
        matches!(self, LogError::Postgres(e) if unreachable(e))
    }
}

/// Whether a database error means the server could not be reached, or went away (shut down,
/// restarting, connection cut), rather than that the request was wrong.
pub fn unreachable(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Io(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::Tls(_)
        | sqlx::Error::WorkerCrashed => true,
        sqlx::Error::Database(e) => e
            .code()
            .is_some_and(|c| c.starts_with("57P") || c.starts_with("08")),
        _ => false,
    }
}

pub type Result<T> = std::result::Result<T, LogError>;

/// One change as the log carries it.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "lowercase")]
pub enum Op {
    /// One asset of a batch written whatever was stored before (ingest, harvest, the demo).
    Put {
        asset: Box<Asset>,
        /// Its history event.
        event: serde_json::Value,
    },
    /// A conditional write (the REST API and the publication workflow).
    Mutate(Box<Mutation>),
    /// Versions of assets already written (no change to the assets themselves).
    Versions { versions: Vec<(String, NewVersion)> },
}

impl Op {
    /// The asset the change is about (the first one, for versions).
    pub fn asset(&self) -> &str {
        match self {
            Op::Put { asset, .. } => &asset.id,
            Op::Mutate(m) => &m.id,
            Op::Versions { versions } => versions.first().map(|(id, _)| id.as_str()).unwrap_or(""),
        }
    }

    /// The operation's name in the log's table.
    pub fn name(&self) -> &'static str {
        match self {
            Op::Put { .. } => "put",
            Op::Mutate(m) => match m.body {
                Body::Delete => "delete",
                Body::Put(_) => "update",
                Body::Keep => "workflow",
            },
            Op::Versions { .. } => "versions",
        }
    }

    /// What the asset's current state must be for the change to go in (checked under the
    /// log's lock, against the table of current assets).
    pub fn expect(&self) -> Option<Expect> {
        match self {
            Op::Mutate(m) => Some(m.expect),
            _ => None,
        }
    }

    /// Whether the asset is gone after the change; `None` when the change leaves the asset's
    /// content as it was.
    pub fn deletes(&self) -> Option<bool> {
        match self {
            Op::Put { .. } => Some(false),
            Op::Mutate(m) => match m.body {
                Body::Delete => Some(true),
                Body::Put(_) => Some(false),
                Body::Keep => None,
            },
            Op::Versions { .. } => None,
        }
    }
}

/// A change to append: what it does, who did it and when (RFC 3339).
#[derive(Debug, Clone)]
pub struct Append {
    pub op: Op,
    pub actor: String,
    pub at: String,
}

/// A change in the log.
#[derive(Debug, Clone)]
pub struct Entry {
    pub revision: u64,
    pub asset: String,
    /// What to apply; `None` where the log is the store itself (embedded), which holds the
    /// change already.
    pub op: Option<Op>,
    pub actor: String,
    pub at: String,
}

/// A batch refused as a whole because one of its changes expected another state of its asset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused {
    pub asset: String,
    /// The asset's live revision, if it has one.
    pub current: Option<u64>,
}

/// The revision log.
pub trait RevisionLog: Send + Sync {
    /// Appends a batch of changes atomically, in order, and returns their revisions (one
    /// each, contiguous), or what refused the batch.
    fn append(
        &self,
        batch: Vec<Append>,
    ) -> BoxFuture<'_, Result<std::result::Result<Vec<u64>, Refused>>>;

    /// Up to `limit` changes after revision `after`, in revision order and without gaps.
    fn read(&self, after: u64, limit: usize) -> BoxFuture<'_, Result<Vec<Entry>>>;

    /// The last revision committed.
    fn head(&self) -> BoxFuture<'_, Result<u64>>;

    /// Waits until the head reaches `revision` or `within` has passed; returns the head.
    fn wait_for(&self, revision: u64, within: Duration) -> BoxFuture<'_, Result<u64>>;
}
