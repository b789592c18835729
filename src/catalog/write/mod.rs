//! The write path: create, replace, merge-patch and delete assets, and the publication
//! workflow (submit, approve, reject), each as one conditional commit with its history event.
//!
//! Every operation reads the asset as it stands (and its pending revision), decides with
//! `access::grant` whether the caller may see it at all and with `access::policy` whether it
//! may change each field it changes, then commits compare-and-set on the revision it read. A
//! client's `If-Match` names that revision; without one a lost race is simply retried.
//!
//! Publication rules: a public audience needs a moderator's approval (never the owner's); a
//! private audience is shared at once on submit. Editing a published public asset leaves the
//! published version as it is and writes a pending revision, which goes through the same review.

use std::sync::Arc;

use serde_json::{Map, Value, json};

use crate::access::{self, Caller, policy};
use crate::catalog::{Catalog, CatalogError};
use crate::clock::now;
use crate::model::diff::{FieldChange, diff};
use crate::model::fields::{FIELDS, Role, SUBFIELDS};
use crate::model::{Asset, Audience, DocumentError, Problem, Status, document};
use crate::store::{Body, Expect, Mutation, NewVersion, Store, StoreError};

mod datalab;
mod import;
mod push;
mod workflow;

pub use datalab::{DatalabPush, push_datalab};
pub use import::{Imported, MAX_RESOURCES, Made, import};
pub(crate) use push::version_meta;
pub use push::{Push, Pushed, push};
pub use workflow::{Transition, history, pending, transition};

/// Why a write was refused.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    #[error("{0}")]
    Forbidden(String, Vec<String>),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Taken(String),
    #[error("{0}")]
    State(String),
    #[error("{}", stale_text(*expected, *current))]
    Stale {
        expected: Option<u64>,
        current: Option<u64>,
    },
    #[error("{0}")]
    Document(DocumentError),
    #[error("{0}")]
    Invalid(String, Vec<Problem>),
    #[error(transparent)]
    Catalog(#[from] CatalogError),
}

impl From<StoreError> for WriteError {
    fn from(e: StoreError) -> Self {
        WriteError::Catalog(e.into())
    }
}

pub type Result<T> = std::result::Result<T, WriteError>;

fn stale_text(expected: Option<u64>, current: Option<u64>) -> String {
    let named = expected.map_or("the ETag given".to_owned(), |r| format!("revision {r}"));
    match current {
        Some(c) => format!(
            "If-Match names {named}, but the asset is at revision {c}: read it again and redo the change"
        ),
        None => format!("If-Match names {named}, but the asset no longer exists"),
    }
}

/// The `If-Match` precondition of a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IfMatch {
    /// `*`: the asset must exist.
    Any,
    /// One of these revisions.
    Revisions(Vec<u64>),
}

impl IfMatch {
    fn check(this: Option<&IfMatch>, current: u64) -> Result<()> {
        match this {
            Some(IfMatch::Revisions(rs)) if !rs.contains(&current) => Err(WriteError::Stale {
                expected: rs.first().copied(),
                current: Some(current),
            }),
            _ => Ok(()),
        }
    }
}

/// What a write committed: its revision and the asset as it now stands (`None` once deleted),
/// with its pending revision.
#[derive(Debug, Clone)]
pub struct Written {
    pub revision: u64,
    pub asset: Option<Asset>,
    pub pending: Option<Asset>,
}

/// An asset as a write finds it.
struct Current {
    asset: Asset,
    revision: u64,
    pending: Option<Asset>,
}

impl Current {
    /// What an edit or a transition works on: the pending revision when there is one.
    fn target(&self) -> &Asset {
        self.pending.as_ref().unwrap_or(&self.asset)
    }

    fn owner(&self) -> Option<&str> {
        self.asset.owner.as_deref()
    }
}

fn user_of(caller: &Caller) -> (&str, Vec<Role>) {
    match caller {
        Caller::Account { user, roles, .. } => (user, roles.clone()),
        Caller::Operator => ("operator", Vec::new()),
        Caller::Anonymous => ("anonymous", Vec::new()),
    }
}

fn has(caller: &Caller, role: Role) -> bool {
    matches!(caller, Caller::Account { roles, .. } if roles.contains(&role))
}

fn event(caller: &Caller, action: &str) -> Map<String, Value> {
    let (user, roles) = user_of(caller);
    let mut m = Map::new();
    m.insert("action".into(), action.into());
    m.insert("by".into(), user.into());
    m.insert("roles".into(), json!(roles));
    m
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> std::result::Result<T, StoreError> + Send + 'static,
) -> Result<T> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| WriteError::Catalog(CatalogError::Task(e.to_string())))?
        .map_err(WriteError::from)
}

/// Reads the asset `caller` wants to change; 404 when it does not exist or is not visible.
async fn current(catalog: &Catalog, caller: &Caller, id: &str) -> Result<Current> {
    let not_found = || WriteError::NotFound(format!("no asset {id:?}"));
    if !crate::model::is_valid_id(id) {
        return Err(not_found());
    }
    if catalog.shared().is_some() {
        // Another node may have written since: decide on the log's head.
        catalog.follow().await?;
    }
    let store: Arc<Store> = catalog.store.clone();
    let key = id.to_owned();
    let found = blocking(move || {
        let Some(change) = store.change(&key)?.filter(|c| !c.deleted) else {
            return Ok(None);
        };
        let Some(asset) = store.get_full(&key)? else {
            return Ok(None);
        };
        Ok(Some(Current {
            asset,
            revision: change.revision,
            pending: store.pending(&key)?,
        }))
    })
    .await?
    .ok_or_else(not_found)?;
    if access::grant(caller, &found.asset).is_none() {
        return Err(not_found());
    }
    Ok(found)
}

/// Commits `m`; a conflict becomes 412 under `If-Match` and a retry (`Ok(None)`) without.
async fn commit(catalog: &Catalog, m: Mutation, if_match: Option<&IfMatch>) -> Result<Option<u64>> {
    let expected = match m.expect {
        Expect::Revision(r) => Some(r),
        Expect::Absent => None,
    };
    match catalog.commit(m).await? {
        Ok(rev) => Ok(Some(rev)),
        Err(conflict) if if_match.is_some() => Err(WriteError::Stale {
            expected,
            current: conflict.current,
        }),
        Err(_) => Ok(None),
    }
}

/// How often a write that lost a race without `If-Match` is recomputed before giving up.
const RETRIES: usize = 1000;

fn forbidden_fields(fields: Vec<String>) -> WriteError {
    WriteError::Forbidden(
        format!(
            "you may not write {}: nothing was changed",
            fields
                .iter()
                .map(|f| format!("{f:?}"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        fields,
    )
}

fn parse(bytes: &[u8], catalog: &Catalog) -> Result<Asset> {
    document::parse(bytes, &catalog.vocab).map_err(WriteError::Document)
}

fn to_map(a: &Asset) -> Map<String, Value> {
    match serde_json::to_value(a) {
        Ok(Value::Object(m)) => m,
        _ => Map::new(),
    }
}

fn from_map(m: Map<String, Value>, catalog: &Catalog) -> Result<Asset> {
    let a = document::from_value(Value::Object(m)).map_err(WriteError::Document)?;
    document::normalize(a, &catalog.vocab).map_err(WriteError::Document)
}

/// RFC 7396 JSON merge patch.
fn merge_patch(target: &mut Value, patch: &Value) {
    let Value::Object(p) = patch else {
        *target = patch.clone();
        return;
    };
    if !target.is_object() {
        *target = Value::Object(Map::new());
    }
    if let Value::Object(t) = target {
        for (k, v) in p {
            if v.is_null() {
                t.remove(k);
            } else {
                merge_patch(t.entry(k.clone()).or_insert(Value::Null), v);
            }
        }
    }
}

/// The document a replace leaves: `new`, plus every field of `base` that `new` leaves out and
/// the caller may not write (a replace never removes what its author may not touch), with the
/// service's own keys (owner, status) carried over.
fn keep_unwritable(caller: &Caller, base: &Asset, new: Asset, catalog: &Catalog) -> Result<Asset> {
    let owner = base.owner.as_deref();
    let (old, mut out) = (to_map(base), to_map(&new));
    for f in FIELDS {
        let subs: Vec<&str> = SUBFIELDS
            .iter()
            .filter(|(k, _, _)| *k == f.key)
            .map(|(_, s, _)| *s)
            .collect();
        if subs.is_empty() {
            if !out.contains_key(f.key)
                && !policy::may_write(caller, owner, f.key)
                && let Some(v) = old.get(f.key)
            {
                out.insert(f.key.to_owned(), v.clone());
            }
            continue;
        }
        for sub in subs {
            let name = format!("{}.{sub}", f.key);
            let absent = out.get(f.key).and_then(|o| o.get(sub)).is_none();
            if absent
                && !policy::may_write(caller, owner, &name)
                && let Some(v) = old.get(f.key).and_then(|o| o.get(sub))
            {
                let obj = out
                    .entry(f.key.to_owned())
                    .or_insert_with(|| Value::Object(Map::new()));
                if let Value::Object(o) = obj {
                    o.insert(sub.to_owned(), v.clone());
                }
            }
        }
    }
    Ok(carry_service_keys(base, from_map(out, catalog)?))
}

/// Whether a change of `field` shows in the published version: a public field that is not
/// maintained by the platform's services (popularity, publication dates).
fn shows_publicly(field: &str) -> bool {
    let key = field.split('.').next().unwrap_or(field);
    crate::model::fields::field(key).is_some_and(|f| {
        f.visibility == crate::model::fields::Visibility::Public
            && f.write != crate::model::fields::WriteRule::Roles(&[Role::Application])
    })
}

fn next_is_public(a: &Asset) -> bool {
    a.audience() == Audience::Public
}

/// `target` with the given field changes made to it.
fn apply_changes(target: &Asset, changes: &[FieldChange], catalog: &Catalog) -> Result<Asset> {
    let mut m = to_map(target);
    for c in changes {
        match c.field.split_once('.') {
            Some((key, sub)) => {
                let obj = m
                    .entry(key.to_owned())
                    .or_insert_with(|| Value::Object(Map::new()));
                if let Value::Object(o) = obj {
                    match &c.to {
                        Some(v) => o.insert(sub.to_owned(), v.clone()),
                        None => o.remove(sub),
                    };
                }
            }
            None => {
                match &c.to {
                    Some(v) => m.insert(c.field.clone(), v.clone()),
                    None => m.remove(&c.field),
                };
            }
        }
    }
    let mut out = from_map(m, catalog)?;
    out.owner = target.owner.clone();
    out.status = target.status;
    Ok(out)
}

/// An edited document keeps the keys the service owns: the owner always, the status unless
/// the document names one (a different one is then refused by the write policy).
fn carry_service_keys(base: &Asset, mut edited: Asset) -> Asset {
    edited.owner = base.owner.clone();
    if edited.status.is_none() {
        edited.status = base.status;
    }
    edited
}

fn changes_json(changes: &[FieldChange]) -> Value {
    serde_json::to_value(changes).unwrap_or(Value::Null)
}

/// `POST /api/v1/assets`: creates a draft owned by the caller. Returns id and revision.
pub async fn create(catalog: &Catalog, caller: &Caller, body: &[u8]) -> Result<Written> {
    let asset = parse(body, catalog)?;
    create_asset(catalog, caller, asset, None).await
}

/// Creates a draft owned by the caller, with a pushed version if there is one.
async fn create_asset(
    catalog: &Catalog,
    caller: &Caller,
    mut asset: Asset,
    version: Option<NewVersion>,
) -> Result<Written> {
    let (user, _) = user_of(caller);
    match asset.status {
        None | Some(Status::Draft) => asset.status = Some(Status::Draft),
        Some(_) => return Err(forbidden_fields(vec!["status".into()])),
    }
    asset.owner = match caller {
        Caller::Account { user, .. } => Some(user.clone()),
        _ => None,
    };
    let changes: Vec<FieldChange> = diff(None, Some(&asset))
        .into_iter()
        .filter(|c| !matches!(c.field.as_str(), "owner" | "status"))
        .collect();
    let refused = policy::refused(caller, Some(user), changes.iter().map(|c| c.field.as_str()));
    if !refused.is_empty() {
        return Err(forbidden_fields(refused));
    }
    let stamp = now();
    if !changes.iter().any(|c| c.field == "dateModified") {
        asset.date_modified = Some(stamp.clone());
    }
    let mut e = event(caller, "create");
    e.insert("changes".into(), changes_json(&changes));
    e.insert("status".into(), json!({"to": "draft"}));
    let id = asset.id.clone();
    let m = Mutation {
        id: id.clone(),
        expect: Expect::Absent,
        body: Body::Put(Box::new(asset.clone())),
        pending: Some(None),
        event: Value::Object(e),
        version: version.map(Box::new),
    };
    match catalog.commit(m).await? {
        Ok(revision) => Ok(Written {
            revision,
            asset: Some(asset),
            pending: None,
        }),
        Err(_) => Err(WriteError::Taken(format!("the id {id:?} is taken"))),
    }
}

/// How an edit reaches the asset.
enum Edit {
    /// `PUT`: the whole document.
    Replace(Box<Asset>),
    /// `PATCH`: an RFC 7396 merge patch.
    Patch(Value),
}

/// `PUT /api/v1/assets/{id}`.
pub async fn replace(
    catalog: &Catalog,
    caller: &Caller,
    id: &str,
    body: &[u8],
    if_match: Option<&IfMatch>,
) -> Result<Written> {
    let new = parse(body, catalog)?;
    if new.id != id {
        return Err(WriteError::Invalid(
            format!(
                "the document's id {:?} is not the id in the path {id:?}",
                new.id
            ),
            vec![Problem::parameter(
                "id",
                None,
                "must equal the id in the path",
                Vec::new(),
            )],
        ));
    }
    edit(
        catalog,
        caller,
        id,
        Edit::Replace(Box::new(new)),
        if_match,
        None,
    )
    .await
}

/// `PATCH /api/v1/assets/{id}` with `application/merge-patch+json`.
pub async fn patch(
    catalog: &Catalog,
    caller: &Caller,
    id: &str,
    body: &[u8],
    if_match: Option<&IfMatch>,
) -> Result<Written> {
    let patch = document::parse_json(body).map_err(WriteError::Document)?;
    if !patch.is_object() {
        return Err(WriteError::Invalid(
            "a merge patch of an asset is a JSON object".into(),
            Vec::new(),
        ));
    }
    edit(catalog, caller, id, Edit::Patch(patch), if_match, None).await
}

async fn edit(
    catalog: &Catalog,
    caller: &Caller,
    id: &str,
    edit: Edit,
    if_match: Option<&IfMatch>,
    version: Option<NewVersion>,
) -> Result<Written> {
    let pushed = version.is_some();
    retrying(catalog, caller, id, if_match, version, |cur| {
        let base = cur.target().clone();
        let merged = match &edit {
            Edit::Replace(new) => keep_unwritable(caller, &base, (**new).clone(), catalog)?,
            Edit::Patch(p) => {
                let mut doc = Value::Object(to_map(&base));
                merge_patch(&mut doc, p);
                let Value::Object(m) = doc else {
                    return Err(WriteError::Invalid("not an object".into(), Vec::new()));
                };
                carry_service_keys(&base, from_map(m, catalog)?)
            }
        };
        if merged.id != id {
            return Err(WriteError::Forbidden(
                "an asset's id is fixed once created".into(),
                vec!["id".into()],
            ));
        }
        let changes = diff(Some(&base), Some(&merged));
        if changes.is_empty() {
            if pushed {
                // The files of a version may change while what is read of them does not:
                // the push is kept (with its history event), the asset stays as it is.
                let mut e = event(caller, "update");
                e.insert("changes".into(), changes_json(&changes));
                return Ok(Plan::Commit(Body::Keep, None, e));
            }
            return Ok(Plan::Unchanged);
        }
        let refused = policy::refused(
            caller,
            cur.owner(),
            changes.iter().map(|c| c.field.as_str()),
        );
        if !refused.is_empty() {
            return Err(forbidden_fields(refused));
        }
        // What readers of the published version see changes only with a public field (or
        // with the audience becoming public); platform-maintained counters do not count.
        let visible = changes.iter().any(|c| shows_publicly(&c.field))
            || (next_is_public(&merged) && cur.asset.audience() != Audience::Public);
        let mut next = merged;
        if visible && !changes.iter().any(|c| c.field == "dateModified") {
            next.date_modified = Some(now());
        }
        let published = cur.asset.status == Some(Status::Published);
        let mut e = event(caller, "update");
        e.insert("changes".into(), changes_json(&changes));
        Ok(
            if published && visible && next.audience() == Audience::Public {
                // The published version stays as readers know it; the edit waits for review.
                if cur.pending.is_none() {
                    next.status = Some(Status::Draft);
                }
                e.insert("pending".into(), true.into());
                Plan::Commit(Body::Keep, Some(Some(Box::new(next))), e)
            } else if published && cur.pending.is_some() {
                // A change no reader sees goes to the published version and the pending one alike.
                let live = apply_changes(&cur.asset, &changes, catalog)?;
                Plan::Commit(Body::Put(Box::new(live)), Some(Some(Box::new(next))), e)
            } else {
                if published {
                    next.status = Some(Status::Published);
                }
                Plan::Commit(Body::Put(Box::new(next)), Some(None), e)
            },
        )
    })
    .await
}

/// What an operation decided from the asset as it stands.
enum Plan {
    /// Nothing to change.
    Unchanged,
    /// Commit this body and pending revision, with this history event.
    Commit(Body, Option<Option<Box<Asset>>>, Map<String, Value>),
}

/// Reads the asset, checks `If-Match`, lets `plan` decide, and commits on the revision read;
/// a lost race without `If-Match` starts over.
async fn retrying(
    catalog: &Catalog,
    caller: &Caller,
    id: &str,
    if_match: Option<&IfMatch>,
    version: Option<NewVersion>,
    mut plan: impl FnMut(&Current) -> Result<Plan>,
) -> Result<Written> {
    for _ in 0..RETRIES {
        let cur = current(catalog, caller, id).await?;
        IfMatch::check(if_match, cur.revision)?;
        let decided = plan(&cur)?;
        let Plan::Commit(body, pending, event) = decided else {
            return Ok(Written {
                revision: cur.revision,
                asset: Some(cur.asset),
                pending: cur.pending,
            });
        };
        let after = Written {
            revision: 0,
            asset: match &body {
                Body::Put(a) => Some((**a).clone()),
                Body::Keep => Some(cur.asset.clone()),
                Body::Delete => None,
            },
            pending: match &pending {
                Some(p) => p.as_deref().cloned(),
                None => cur.pending.clone(),
            },
        };
        let m = Mutation {
            id: id.to_owned(),
            expect: Expect::Revision(cur.revision),
            body,
            pending,
            event: Value::Object(event),
            version: version.clone().map(Box::new),
        };
        if let Some(revision) = commit(catalog, m, if_match).await? {
            return Ok(Written { revision, ..after });
        }
    }
    Err(WriteError::State(format!(
        "{id:?} is changing too fast to write; try again"
    )))
}

/// `DELETE /api/v1/assets/{id}`: the owner, a moderator or sciapps; leaves a tombstone.
pub async fn delete(
    catalog: &Catalog,
    caller: &Caller,
    id: &str,
    if_match: Option<&IfMatch>,
) -> Result<Written> {
    retrying(catalog, caller, id, if_match, None, |cur| {
        let allowed = matches!(caller, Caller::Operator)
            || has(caller, Role::Moderator)
            || has(caller, Role::Sciapps)
            || (has(caller, Role::Developer) && cur.owner() == Some(user_of(caller).0));
        if !allowed {
            return Err(WriteError::Forbidden(
                "only the owner, a moderator or sciapps may delete an asset".into(),
                Vec::new(),
            ));
        }
        let mut e = event(caller, "delete");
        e.insert(
            "status".into(),
            json!({"from": cur.asset.status.map(Status::as_str), "to": "deleted"}),
        );
        Ok(Plan::Commit(Body::Delete, Some(None), e))
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::merge_patch;
    use serde_json::json;

    #[test]
    fn merge_patch_follows_rfc_7396() {
        // The examples of RFC 7396, appendix A.
        let cases = [
            (json!({"a": "b"}), json!({"a": "c"}), json!({"a": "c"})),
            (
                json!({"a": "b"}),
                json!({"b": "c"}),
                json!({"a": "b", "b": "c"}),
            ),
            (json!({"a": "b"}), json!({"a": null}), json!({})),
            (
                json!({"a": "b", "b": "c"}),
                json!({"a": null}),
                json!({"b": "c"}),
            ),
            (json!({"a": ["b"]}), json!({"a": "c"}), json!({"a": "c"})),
            (json!({"a": "c"}), json!({"a": ["b"]}), json!({"a": ["b"]})),
            (
                json!({"a": {"b": "c"}}),
                json!({"a": {"b": "d", "c": null}}),
                json!({"a": {"b": "d"}}),
            ),
            (
                json!({"a": [{"b": "c"}]}),
                json!({"a": [1]}),
                json!({"a": [1]}),
            ),
            (
                json!({"e": null}),
                json!({"a": 1}),
                json!({"e": null, "a": 1}),
            ),
            (
                json!([1, 2]),
                json!({"a": "b", "c": null}),
                json!({"a": "b"}),
            ),
            (
                json!({}),
                json!({"a": {"bb": {"ccc": null}}}),
                json!({"a": {"bb": {}}}),
            ),
        ];
        for (mut target, patch, want) in cases {
            merge_patch(&mut target, &patch);
            assert_eq!(target, want, "{patch}");
        }
    }
}
