//! Projections: read models derived from the store, each fed by store revision.
//!
//! A projection records the last revision it applied (its watermark). `catch_up` feeds it every
//! change after that watermark, in revision order, in batches that each move the watermark, so
//! a crash at any point leaves a projection that simply resumes. `rebuild` starts from zero.

pub mod assets;
pub mod oai;
pub mod pool;
pub mod progress;

pub use progress::Progress;

use std::future::Future;

use crate::store::{Change, Store, StoreError};

/// Errors of the projection layer.
#[derive(Debug, thiserror::Error)]
pub enum ProjectionError {
    #[error("relational database: {0}")]
    Sql(#[from] sqlx::Error),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("background task failed: {0}")]
    Task(String),
    /// A projection's own failure (the search index's, say), kept as it is.
    #[error("projection {projection}: {source}")]
    Projection {
        projection: &'static str,
        source: Box<dyn std::error::Error + Send + Sync>,
    },
}

pub type Result<T> = std::result::Result<T, ProjectionError>;

/// What every projection needs to know of a changed asset.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub id: String,
    /// Asset type label (empty for a deleted asset).
    pub kind: String,
    /// Publication status (empty for a deleted asset or one that has none).
    pub status: String,
    pub revision: u64,
    pub datestamp: String,
    pub deleted: bool,
    /// Whether anonymous readers see it (published, public audience, not deleted).
    pub public: bool,
    /// When its public graph last changed.
    pub public_datestamp: String,
    /// Whether anonymous readers ever saw it.
    pub ever_public: bool,
    /// Whether this registry publishes its record (public, and not another registry's resource).
    pub published_here: bool,
    /// The account that owns it (empty when none does).
    pub owner: String,
    /// The publication status of its pending revision (empty when it has none).
    pub pending: String,
}

impl Row {
    /// The row of a change, reading the asset's type and status from the store.
    pub fn from_store(store: &Store, change: Change) -> std::result::Result<Row, StoreError> {
        let (kind, status, audience_public) = if change.deleted {
            (String::new(), String::new(), false)
        } else {
            store.summary(&change.id)?
        };
        let (owner, pending) = if change.deleted {
            (String::new(), String::new())
        } else {
            (
                store.owner(&change.id)?,
                pending_status(store.pending(&change.id)?.as_ref()),
            )
        };
        let public = !change.deleted
            && crate::model::Asset::publication_state(&status, audience_public).is_public();
        let published_here = public && !store.is_harvested(&change.id)?;
        Ok(Row {
            id: change.id,
            kind,
            status,
            revision: change.revision,
            datestamp: change.datestamp,
            deleted: change.deleted,
            public,
            public_datestamp: change.public_datestamp,
            ever_public: change.ever_public,
            published_here,
            owner,
            pending,
        })
    }
}

/// The publication status of a pending revision, as a row keeps it.
pub fn pending_status(pending: Option<&crate::model::Asset>) -> String {
    pending
        .map(|p| p.status.map(|s| s.as_str()).unwrap_or("draft").to_owned())
        .unwrap_or_default()
}

/// A read model fed by store revision.
pub trait Projection: Sync {
    fn name(&self) -> &'static str;
    /// The last store revision applied.
    fn watermark(&self) -> impl Future<Output = Result<u64>> + Send;
    /// Applies rows (in revision order) and moves the watermark to `upto`, atomically. Applying
    /// is idempotent and never moves a row or the watermark backwards, so concurrent writers
    /// that feed the same rows in a different order leave the same result.
    fn apply(&self, rows: &[Row], upto: u64) -> impl Future<Output = Result<()>> + Send;
    /// Forgets everything (watermark back to zero).
    fn clear(&self) -> impl Future<Output = Result<()>> + Send;
    /// Whether it lives in a database the nodes of a deployment share (kept by the leading
    /// node): a node whose store is behind it waits for its store rather than starting it over.
    fn shared(&self) -> bool {
        false
    }
}

const BATCH: usize = 5_000;

/// Below this many changes a catch-up is not reported as a build.
const REPORTED: usize = 2 * BATCH;

/// The rows of `changes`, read from the store on a blocking thread.
async fn rows_of(store: std::sync::Arc<Store>, changes: Vec<Change>) -> Result<Vec<Row>> {
    Ok(tokio::task::spawn_blocking(move || {
        changes
            .into_iter()
            .map(|c| Row::from_store(&store, c))
            .collect::<std::result::Result<Vec<Row>, StoreError>>()
    })
    .await
    .map_err(|e| ProjectionError::Task(e.to_string()))??)
}

/// Feeds `projection` every change it has not applied yet, in batches that each move its
/// watermark (the next batch's rows are read from the store while one is applied). A long
/// catch-up is reported in `progress`. Returns how many changes it applied.
pub async fn catch_up<P: Projection>(
    store: &std::sync::Arc<Store>,
    projection: &P,
    progress: &Progress,
) -> Result<usize> {
    let watermark = projection.watermark().await?;
    let head = store.revision()?;
    if watermark == head {
        return Ok(0);
    }
    if watermark > head && projection.shared() {
        // Another node took it further than this node's store is yet: this node's follower
        // brings the store there first.
        return Ok(0);
    }
    if watermark > head {
        // The store was replaced by an older one: start over.
        projection.clear().await?;
        return Box::pin(catch_up(store, projection, progress)).await;
    }
    let s = store.clone();
    let changes = tokio::task::spawn_blocking(move || s.changes_since(watermark))
        .await
        .map_err(|e| ProjectionError::Task(e.to_string()))??;
    let total = changes.len();
    let name = projection.name();
    let reported = total >= REPORTED;
    if reported {
        progress.start(name, total as u64);
    }
    let fed = feed(store, projection, progress, changes, head).await;
    if reported {
        progress.finish(name);
    }
    fed?;
    tracing::info!(
        projection = name,
        applied = total,
        revision = head,
        "projection caught up"
    );
    Ok(total)
}

async fn feed<P: Projection>(
    store: &std::sync::Arc<Store>,
    projection: &P,
    progress: &Progress,
    changes: Vec<Change>,
    head: u64,
) -> Result<()> {
    let mut chunks: std::collections::VecDeque<Vec<Change>> = std::collections::VecDeque::new();
    let mut changes = changes.into_iter().peekable();
    while changes.peek().is_some() {
        chunks.push_back(changes.by_ref().take(BATCH).collect());
    }
    let mut next = chunks
        .pop_front()
        .map(|c| tokio::spawn(rows_of(store.clone(), c)));
    while let Some(reading) = next.take() {
        let rows = reading
            .await
            .map_err(|e| ProjectionError::Task(e.to_string()))??;
        next = chunks
            .pop_front()
            .map(|c| tokio::spawn(rows_of(store.clone(), c)));
        let upto = rows.last().map_or(head, |r| r.revision);
        projection.apply(&rows, upto).await?;
        progress.advance(projection.name(), rows.len() as u64);
    }
    projection.apply(&[], head).await
}

/// Rebuilds `projection` from scratch.
pub async fn rebuild<P: Projection>(
    store: &std::sync::Arc<Store>,
    projection: &P,
    progress: &Progress,
) -> Result<usize> {
    projection.clear().await?;
    catch_up(store, projection, progress).await
}
