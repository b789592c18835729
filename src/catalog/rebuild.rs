//! Rebuilding the search index while it serves: a new index is filled beside the live one
//! from the store (what it holds when the rebuild starts), then, with writes held back, the
//! changes made meanwhile; then it takes the live one's place in one step. Searches never
//! see an empty or partial index, and a rebuild that stops half-way leaves the live index as
//! it was (the next start removes what it left).

use std::sync::Arc;

use super::{Catalog, CatalogError, Result};
use crate::project;

impl Catalog {
    /// Rebuilds the search index beside the live one and swaps it in; returns the number of
    /// changes replayed into it, or `None` when a rebuild is already under way.
    pub async fn rebuild_search(&self) -> Result<Option<usize>> {
        let Ok(_one) = self.rebuilding.try_lock() else {
            return Ok(None);
        };
        let started = std::time::Instant::now();
        let live = self.search.clone();
        let next = Arc::new(
            tokio::task::spawn_blocking(move || live.beside())
                .await
                .map_err(|e| CatalogError::Task(e.to_string()))??,
        );
        tracing::info!("rebuilding the search index beside the live one");
        let replayed = project::catch_up(&self.store, &next, &self.progress).await?;
        let old = {
            let _writing = self.writing.lock().await;
            // The changes made since the rebuild read the store.
            let tail = project::catch_up(&self.store, &next, &self.progress).await?;
            let (live, fresh) = (self.search.clone(), next.clone());
            let old = tokio::task::spawn_blocking(move || live.adopt(&fresh))
                .await
                .map_err(|e| CatalogError::Task(e.to_string()))??;
            tracing::info!(
                changes = replayed + tail,
                ms = started.elapsed().as_millis() as u64,
                "search index rebuilt and in service"
            );
            old
        };
        drop(next);
        // Searches under way keep reading the old files until they finish (they stay open).
        let removed = tokio::task::spawn_blocking(move || std::fs::remove_dir_all(&old)).await;
        if !matches!(removed, Ok(Ok(()))) {
            tracing::warn!(
                "the replaced search index could not be removed: the next start removes it"
            );
        }
        Ok(Some(replayed))
    }
}
