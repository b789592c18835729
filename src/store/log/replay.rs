//! Applies log entries to a node's RDF store, in order, each atomically with the store's
//! revision: a node that stops at any instant resumes from the revision its store holds.

use super::{Entry, LogError, Op, Result};
use crate::store::{Store, StoreError};

/// Applies `entries` (in revision order) to `store`, skipping those it already holds; returns
/// the store's revision afterwards. Consecutive puts written at the same time (one batch on
/// the writer) are applied as one store commit, as the writer made them.
pub fn apply(store: &Store, entries: &[Entry]) -> Result<u64> {
    let mut at = store.revision()?;
    let mut i = 0;
    while i < entries.len() {
        let e = &entries[i];
        if e.revision <= at {
            i += 1;
            continue;
        }
        if e.revision != at + 1 {
            return Err(LogError::Entry {
                revision: e.revision,
                why: format!("the store is at revision {at}: the log skips revisions"),
            });
        }
        let op = e.op.as_ref().ok_or_else(|| LogError::Entry {
            revision: e.revision,
            why: "the entry carries no change to apply".into(),
        })?;
        match op {
            Op::Put { .. } => {
                let run: Vec<&Entry> = entries[i..]
                    .iter()
                    .take_while(|n| n.at == e.at && matches!(n.op, Some(Op::Put { .. })))
                    .collect();
                let mut assets = Vec::with_capacity(run.len());
                let mut events = Vec::with_capacity(run.len());
                for n in &run {
                    if let Some(Op::Put { asset, event }) = &n.op {
                        assets.push((**asset).clone());
                        events.push(event.clone());
                    }
                }
                let revisions = store.put(&assets, &events, &e.at)?;
                expect_revisions(&run, &revisions)?;
                i += run.len();
            }
            Op::Mutate(m) => {
                match store.mutate(m, &e.at)? {
                    Ok(rev) if rev == e.revision => {}
                    Ok(rev) => {
                        return Err(diverged(e.revision, format!("applied as revision {rev}")));
                    }
                    Err(c) => {
                        return Err(diverged(
                            e.revision,
                            format!(
                                "{} is at revision {:?} here, which the writer did not see",
                                m.id, c.current
                            ),
                        ));
                    }
                }
                i += 1;
            }
            Op::Versions { versions } => {
                // An asset deleted since its versions were sent has none: every node sees the
                // same at this revision, so every node skips the same.
                let mut live = Vec::with_capacity(versions.len());
                for v in versions {
                    if store.change(&v.0)?.is_some_and(|c| !c.deleted) {
                        live.push(v.clone());
                    }
                }
                store.attach_versions_at(&live, e.revision)?;
                i += 1;
            }
        }
        at = store.revision()?;
    }
    Ok(at)
}

fn expect_revisions(run: &[&Entry], got: &[u64]) -> Result<()> {
    for (e, &r) in run.iter().zip(got) {
        if e.revision != r {
            return Err(diverged(e.revision, format!("applied as revision {r}")));
        }
    }
    Ok(())
}

fn diverged(revision: u64, why: String) -> LogError {
    LogError::Store(StoreError::Corrupt(format!(
        "the replica diverged from the log at revision {revision}: {why}"
    )))
}
