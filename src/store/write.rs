//! Conditional single-asset writes with their history, and pending revisions.
//!
//! Beside an asset's graphs the store keeps, in bookkeeping graphs that no reader surface ever
//! reads directly:
//! - `urn:orrery:pending`: at most one pending revision per asset (an edit of a published asset
//!   that waits for a moderator), as the asset document in JSON;
//! - `urn:orrery:history`: one event per revision (who, what, which fields changed, comment),
//!   written in the same transaction as the change it describes, so history and state can never
//!   disagree and every projection of the history can be rebuilt from here.
//!
//! A `Mutation` is compare-and-set: it names the revision it was computed from, and it commits
//! only if the asset is still there, under the store's write lock.

use oxigraph::model::{Literal, NamedNode, Quad};
use serde::{Deserialize, Deserializer, Serialize};

use super::{Result, Store, StoreError, int, literal_str, orr, remove_all, state_subject};
use crate::model::Asset;
use crate::model::rdf::{AssetIris, to_quads};

const PENDING_GRAPH: &str = "urn:orrery:pending";
const HISTORY_GRAPH: &str = "urn:orrery:history";

/// What the asset's state must be for a mutation to commit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Expect {
    /// No live asset has the id (a deleted one may be re-created).
    Absent,
    /// The live asset is at this revision.
    Revision(u64),
}

/// What a mutation does to the asset's graphs.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Body {
    /// Leaves them (only the pending revision or the history changes).
    Keep,
    /// Replaces them with this asset.
    Put(Box<Asset>),
    /// Removes them and leaves a tombstone (the pending revision goes too).
    Delete,
}

/// One conditional write of one asset (as the revision log carries it, too).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Mutation {
    pub id: String,
    pub expect: Expect,
    pub body: Body,
    /// `None` leaves the pending revision as it is; `Some(None)` drops it; `Some(Some(a))`
    /// sets it. (Serialised as an absent field, `null` and the asset.)
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "present"
    )]
    pub pending: Option<Option<Box<Asset>>>,
    /// The history entry (a JSON object); the store adds `revision` and `at`.
    pub event: serde_json::Value,
    /// A version pushed with the change (a pipeline's files and what was read of them).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<Box<super::NewVersion>>,
}

/// A field that is present (`null` included) is `Some`; an absent one is `None` by default.
fn present<'de, D, T>(d: D) -> std::result::Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(d).map(Some)
}

/// The asset was not in the expected state; `current` is the live revision, if any.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Conflict {
    pub current: Option<u64>,
}

fn pending_graph() -> NamedNode {
    NamedNode::new_unchecked(PENDING_GRAPH)
}

fn history_graph() -> NamedNode {
    NamedNode::new_unchecked(HISTORY_GRAPH)
}

fn event_subject(rev: u64) -> NamedNode {
    orr(&format!("event:{rev}"))
}

/// The quads of one history event.
pub(super) fn event_quads(id: &str, rev: u64, at: &str, event: &serde_json::Value) -> Vec<Quad> {
    let mut event = event.clone();
    if let Some(o) = event.as_object_mut() {
        o.insert("revision".into(), rev.into());
        o.insert("at".into(), at.into());
    }
    let s = event_subject(rev);
    let g = history_graph();
    vec![
        Quad::new(
            s.clone(),
            orr("asset"),
            Literal::new_simple_literal(id),
            g.clone(),
        ),
        Quad::new(s.clone(), orr("revision"), int(rev), g.clone()),
        Quad::new(
            s,
            orr("event"),
            Literal::new_simple_literal(event.to_string()),
            g,
        ),
    ]
}

impl Store {
    /// Commits `m` if the asset is in the expected state. Returns the new revision.
    pub fn mutate(
        &self,
        m: &Mutation,
        datestamp: &str,
    ) -> Result<std::result::Result<u64, Conflict>> {
        let quads = match &m.body {
            Body::Put(a) => {
                if a.id != m.id {
                    return Err(StoreError::Corrupt(format!(
                        "mutation of {} carries asset {}",
                        m.id, a.id
                    )));
                }
                Some(to_quads(a, &self.base, &self.vocab)?)
            }
            _ => None,
        };
        let pending = match &m.pending {
            Some(Some(a)) => Some(Some(
                serde_json::to_string(a).map_err(|e| StoreError::Corrupt(e.to_string()))?,
            )),
            Some(None) => Some(None),
            None => None,
        };
        let _guard = self.lock();
        let stored = self.change(&m.id)?;
        let was_public = stored.as_ref().is_some_and(|c| c.ever_public);
        let current = stored.filter(|c| !c.deleted);
        let ok = match m.expect {
            Expect::Absent => current.is_none(),
            Expect::Revision(r) => current.as_ref().is_some_and(|c| c.revision == r),
        };
        if !ok {
            return Ok(Err(Conflict {
                current: current.map(|c| c.revision),
            }));
        }
        let rev = self.revision()? + 1;
        let iris = AssetIris::new(&self.base, &m.id);
        let public_changed = match &quads {
            Some(qs) => self.public_graph_differs(&iris, qs)?,
            None => false,
        };
        let public = match &current {
            Some(c) if !public_changed => Some((c.public_revision, c.public_datestamp.as_str())),
            _ => None,
        };
        let mut t = self.db.start_transaction()?;
        let deleted = matches!(m.body, Body::Delete);
        if let Some(qs) = &quads {
            super::public::withdraw(&mut t, iris.public.as_ref())?;
            t.remove_named_graph(iris.public.as_ref())?;
            t.remove_named_graph(iris.private.as_ref())?;
            t.extend(qs);
            if matches!(&m.body, Body::Put(a) if a.is_public()) {
                t.extend(&super::public::copies(qs, iris.public.as_ref()));
            }
        } else if deleted {
            super::public::withdraw(&mut t, iris.public.as_ref())?;
            t.remove_named_graph(iris.public.as_ref())?;
            t.remove_named_graph(iris.private.as_ref())?;
        }
        let pending = if deleted { Some(None) } else { pending };
        if let Some(p) = pending {
            let s = state_subject(&m.id);
            let g = pending_graph();
            remove_all(&mut t, s.as_ref(), None, g.as_ref())?;
            if let Some(json) = p {
                t.insert(&Quad::new(
                    s,
                    orr("pending"),
                    Literal::new_simple_literal(json),
                    g,
                ));
            }
        }
        let ever_public = was_public
            || match &m.body {
                Body::Put(a) => a.is_published_here(),
                Body::Keep => self.stored_public(&m.id)? && !self.is_harvested(&m.id)?,
                Body::Delete => false,
            };
        // A version becomes published (and immutable) when the asset is written published at it:
        // the one written now, or one stored before.
        let published_at = match &m.body {
            Body::Put(a) if a.status == Some(crate::model::Status::Published) => {
                a.version.as_deref()
            }
            _ => None,
        };
        let written_now = m
            .version
            .as_ref()
            .is_some_and(|v| published_at == Some(v.name.as_str()));
        if let Some(v) = &m.version {
            self.put_version(&mut t, &m.id, v, (rev, datestamp), written_now)?;
        }
        if let Some(name) = published_at.filter(|_| !written_now) {
            self.publish_version(&mut t, &m.id, name)?;
        }
        Self::set_state(&mut t, &m.id, rev, datestamp, deleted, public, ever_public)?;
        Self::set_revision(&mut t, rev)?;
        let mut event = m.event.clone();
        if let (Some(v), Some(o)) = (&m.version, event.as_object_mut()) {
            o.insert("version".into(), v.name.clone().into());
        }
        t.extend(&event_quads(&m.id, rev, datestamp, &event));
        t.commit()?;
        Ok(Ok(rev))
    }

    /// Whether `quads` hold another public graph than the stored one.
    fn public_graph_differs(&self, iris: &AssetIris, quads: &[Quad]) -> Result<bool> {
        let graph: oxigraph::model::GraphName = iris.public.clone().into();
        let new: std::collections::HashSet<&Quad> =
            quads.iter().filter(|q| q.graph_name == graph).collect();
        let mut old = 0;
        for q in self
            .db
            .quads_for_pattern(None, None, None, Some(iris.public.as_ref().into()))
        {
            old += 1;
            if !new.contains(&q?) {
                return Ok(true);
            }
        }
        Ok(old != new.len())
    }

    /// The pending revision of an asset, if it has one.
    pub fn pending(&self, id: &str) -> Result<Option<Asset>> {
        let s = state_subject(id);
        let g = pending_graph();
        let p = orr("pending");
        let Some(q) = self
            .db
            .quads_for_pattern(
                Some(s.as_ref().into()),
                Some(p.as_ref()),
                None,
                Some(g.as_ref().into()),
            )
            .next()
            .transpose()?
        else {
            return Ok(None);
        };
        let json = literal_str(&q.object).unwrap_or_default();
        serde_json::from_str(json)
            .map(Some)
            .map_err(|e| StoreError::Corrupt(format!("pending revision of {id}: {e}")))
    }

    /// Every history event of an asset (also of a deleted one), oldest first.
    pub fn history(&self, id: &str) -> Result<Vec<serde_json::Value>> {
        let mut out = Vec::new();
        for text in self.records_of(history_graph().as_ref(), id, orr("event").as_ref())? {
            let v: serde_json::Value = serde_json::from_str(&text)
                .map_err(|err| StoreError::Corrupt(format!("history of {id}: {err}")))?;
            out.push(v);
        }
        out.sort_by_key(|v| v["revision"].as_u64().unwrap_or(0));
        Ok(out)
    }
}
