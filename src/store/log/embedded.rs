//! The embedded revision log: the RDF store itself. Its revision is the head, its state graph
//! the changes (the last one of each asset: a store keeps no older content), and an append is
//! a store commit. Unlike PostgreSQL, a batch is not one commit: puts written together are
//! one, each conditional change another, so a refused change leaves those before it in; and
//! versions take no revision of their own (they go in beside their asset's).

use std::sync::Arc;
use std::time::Duration;

use super::{Append, BoxFuture, Entry, LogError, Op, Refused, Result, RevisionLog};
use crate::store::Store;

/// The store as a revision log.
pub struct Embedded {
    store: Arc<Store>,
    /// The head after each append, for `wait_for`.
    head: tokio::sync::watch::Sender<u64>,
}

impl Embedded {
    pub fn new(store: Arc<Store>) -> Result<Embedded> {
        let head = store.revision()?;
        Ok(Embedded {
            store,
            head: tokio::sync::watch::Sender::new(head),
        })
    }

    /// Tells waiters that the store moved on (a commit made beside the log).
    pub fn committed(&self, revision: u64) {
        super::advance(&self.head, revision);
    }
}

/// Commits a batch to the store, puts written at the same time in one commit.
fn append_now(store: &Store, batch: Vec<Append>) -> Result<std::result::Result<Vec<u64>, Refused>> {
    let mut revisions = Vec::with_capacity(batch.len());
    let mut puts: Vec<Append> = Vec::new();
    let flush = |puts: &mut Vec<Append>, revisions: &mut Vec<u64>| -> Result<()> {
        let Some(at) = puts.first().map(|p| p.at.clone()) else {
            return Ok(());
        };
        let (mut assets, mut events) = (Vec::new(), Vec::new());
        for p in puts.drain(..) {
            if let Op::Put { asset, event } = p.op {
                assets.push(*asset);
                events.push(event);
            }
        }
        revisions.extend(store.put(&assets, &events, &at)?);
        Ok(())
    };
    for a in batch {
        match &a.op {
            Op::Put { .. } => {
                if puts.first().is_some_and(|p| p.at != a.at) {
                    flush(&mut puts, &mut revisions)?;
                }
                puts.push(a);
            }
            Op::Mutate(m) => {
                flush(&mut puts, &mut revisions)?;
                match store.mutate(m, &a.at)? {
                    Ok(rev) => revisions.push(rev),
                    Err(c) => {
                        return Ok(Err(Refused {
                            asset: m.id.clone(),
                            current: c.current,
                        }));
                    }
                }
            }
            Op::Versions { versions } => {
                flush(&mut puts, &mut revisions)?;
                // Embedded, versions go in beside the change they belong to.
                store.attach_versions(versions)?;
            }
        }
    }
    flush(&mut puts, &mut revisions)?;
    Ok(Ok(revisions))
}

impl RevisionLog for Embedded {
    fn append(
        &self,
        batch: Vec<Append>,
    ) -> BoxFuture<'_, Result<std::result::Result<Vec<u64>, Refused>>> {
        Box::pin(async move {
            let store = self.store.clone();
            let done = tokio::task::spawn_blocking(move || append_now(&store, batch))
                .await
                .map_err(|e| LogError::Task(e.to_string()))??;
            self.committed(self.store.revision()?);
            Ok(done)
        })
    }

    fn read(&self, after: u64, limit: usize) -> BoxFuture<'_, Result<Vec<Entry>>> {
        Box::pin(async move {
            let store = self.store.clone();
            let changes = tokio::task::spawn_blocking(move || store.changes_since(after))
                .await
                .map_err(|e| LogError::Task(e.to_string()))??;
            Ok(changes
                .into_iter()
                .take(limit)
                .map(|c| Entry {
                    revision: c.revision,
                    asset: c.id,
                    op: None,
                    actor: String::new(),
                    at: c.datestamp,
                })
                .collect())
        })
    }

    fn head(&self) -> BoxFuture<'_, Result<u64>> {
        Box::pin(async move { Ok(self.store.revision()?) })
    }

    fn wait_for(&self, revision: u64, within: Duration) -> BoxFuture<'_, Result<u64>> {
        Box::pin(async move {
            let mut rx = self.head.subscribe();
            let _ = tokio::time::timeout(within, rx.wait_for(|h| *h >= revision)).await;
            Ok(self.store.revision()?)
        })
    }
}
