//! The tool registry's directory: every pipeline and datalab as a GA4GH TRS tool, kept in memory
//! at the store's revision, so that listing and filtering thousands of tools costs a pass over
//! a vector and no store read.
//!
//! Each entry holds the tool as its owner and curators see it (the whole asset, every version)
//! and, once published, as everyone it is shared with sees it (the public graph, published
//! versions only), both already serialised, with what `access` needs to decide between them.
//! A read first brings the directory to the store's revision from the store's change log, so a
//! push is listed by the next request that follows it.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, RwLock};

use crate::access::{self, Caller};
use crate::artefact::trs::{self, Registry, Tool, ToolKind, ToolSource};
use crate::model::rdf::from_quads;
use crate::model::{Asset, Status};
use crate::store::{Change, Result, Store, StoreError, Version};

/// A tool as one kind of reader sees it.
pub struct ToolView {
    pub tool: Tool,
    /// `tool` as JSON.
    pub json: Vec<u8>,
    /// The versions this reader may fetch files of.
    pub versions: Vec<Version>,
    /// Lower-case text of the filters that match by substring.
    text: Filters,
}

#[derive(Default)]
struct Filters {
    name: String,
    description: String,
    authors: Vec<String>,
    organization: String,
    images: Vec<String>,
    registries: Vec<String>,
    tags: Vec<String>,
}

/// One tool of the directory.
pub struct Entry {
    pub kind: ToolKind,
    pub asset_id: String,
    owner: Option<String>,
    readers: Vec<String>,
    full: ToolView,
    public: Option<ToolView>,
}

impl Entry {
    /// The view `caller` may read, if any (the rule of `access::grant`, restated on what the
    /// entry keeps; a test checks the two agree).
    pub fn view_for(&self, caller: &Caller, keys: Option<&[String]>) -> Option<&ToolView> {
        if keys.is_none() {
            return Some(&self.full);
        }
        if let (Caller::Account { user, .. }, Some(owner)) = (caller, &self.owner)
            && user == owner
        {
            return Some(&self.full);
        }
        if access::finds(keys, &self.readers) {
            return self.public.as_ref();
        }
        None
    }
}

/// The filters of `GET /tools`; each given one must match.
#[derive(Debug, Clone, Default)]
pub struct Query {
    pub id: Option<String>,
    pub alias: Option<String>,
    pub tool_class: Option<String>,
    pub descriptor_type: Option<String>,
    pub tags: Vec<String>,
    pub registry: Option<String>,
    pub organization: Option<String>,
    pub name: Option<String>,
    pub toolname: Option<String>,
    pub description: Option<String>,
    pub author: Option<String>,
    pub checker: Option<bool>,
}

fn contains(hay: &str, needle: &Option<String>) -> bool {
    needle
        .as_ref()
        .is_none_or(|n| hay.contains(&n.to_lowercase()))
}

impl Query {
    fn matches(&self, v: &ToolView) -> bool {
        let t = &v.tool;
        let f = &v.text;
        self.id.as_ref().is_none_or(|id| *id == t.id)
            && self.alias.as_ref().is_none_or(|a| t.aliases.contains(a))
            && self
                .tool_class
                .as_ref()
                .is_none_or(|c| *c == t.toolclass.id || *c == t.toolclass.name)
            && self.descriptor_type.as_ref().is_none_or(|d| {
                t.versions
                    .iter()
                    .any(|tv| tv.descriptor_type.iter().any(|x| x.eq_ignore_ascii_case(d)))
            })
            && self
                .tags
                .iter()
                .all(|tag| f.tags.contains(&tag.to_lowercase()))
            && self
                .registry
                .as_ref()
                .is_none_or(|r| f.registries.contains(&r.to_lowercase()))
            && contains(&f.organization, &self.organization)
            && (self.name.is_none() || f.images.iter().any(|i| contains(i, &self.name)))
            && contains(&f.name, &self.toolname)
            && contains(&f.description, &self.description)
            && (self.author.is_none() || f.authors.iter().any(|a| contains(a, &self.author)))
            && self.checker.is_none_or(|c| c == t.has_checker)
    }
}

#[derive(Default)]
struct Directory {
    revision: u64,
    /// By tool id (the listing's order).
    entries: BTreeMap<String, Arc<Entry>>,
}

/// The directory of tools.
pub struct Tools {
    root: String,
    organization: String,
    state: RwLock<Directory>,
    /// Held while the directory catches up, so that one reader does it for all.
    refreshing: Mutex<()>,
}

impl Tools {
    /// An empty directory of the registry at `root` (`{base}/ga4gh/trs/v2`), crediting tools
    /// without publisher to `organization`.
    pub fn new(root: String, organization: String) -> Tools {
        Tools {
            root,
            organization,
            state: RwLock::new(Directory::default()),
            refreshing: Mutex::new(()),
        }
    }

    fn registry(&self) -> Registry<'_> {
        Registry {
            root: &self.root,
            organization: &self.organization,
        }
    }

    /// Brings the directory to the store's revision.
    pub fn refresh(&self, store: &Store) -> Result<()> {
        let head = store.revision()?;
        if self.read().revision >= head {
            return Ok(());
        }
        let _one = self.refreshing.lock().unwrap_or_else(|e| e.into_inner());
        let at = self.read().revision;
        if at >= head {
            return Ok(());
        }
        let mut updates: Vec<(String, Option<Entry>)> = Vec::new();
        let mut upto = at;
        for change in store.changes_since(at)? {
            upto = upto.max(change.revision);
            updates.push((change.id.clone(), self.entry(store, &change)?));
        }
        let mut dir = self.state.write().unwrap_or_else(|e| e.into_inner());
        for (asset_id, entry) in updates {
            for kind in [ToolKind::Pipeline, ToolKind::Datalab] {
                dir.entries.remove(&trs::tool_id(kind, &asset_id));
            }
            if let Some(e) = entry {
                dir.entries
                    .insert(trs::tool_id(e.kind, &e.asset_id), Arc::new(e));
            }
        }
        dir.revision = upto.max(head);
        Ok(())
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Directory> {
        self.state.read().unwrap_or_else(|e| e.into_inner())
    }

    /// The entry of one changed asset, `None` when it is no tool (or no longer exists).
    fn entry(&self, store: &Store, change: &Change) -> Result<Option<Entry>> {
        if change.deleted {
            return Ok(None);
        }
        let (label, _, _) = store.summary(&change.id)?;
        if label != "Pipeline" && label != "Datalab" {
            return Ok(None);
        }
        let Some(full) = store.get_full(&change.id)? else {
            return Ok(None);
        };
        let Some(kind) = ToolKind::of(&full) else {
            return Ok(None);
        };
        let versions: Vec<Version> = store.versions(&change.id)?.into_iter().map(slim).collect();
        let public = if full.status == Some(Status::Published) {
            let quads = store.public_quads(&change.id)?;
            from_quads(&change.id, store.base(), store.vocab(), quads)?
        } else {
            None
        };
        let public_view = match public {
            Some(p) => {
                let published: Vec<Version> =
                    versions.iter().filter(|v| v.published).cloned().collect();
                Some(self.view(kind, &p, published, change.public_revision)?)
            }
            None => None,
        };
        Ok(Some(Entry {
            kind,
            asset_id: change.id.clone(),
            owner: full.owner.clone(),
            readers: access::readers(&full),
            public: public_view,
            full: self.view(kind, &full, versions, change.revision)?,
        }))
    }

    fn view(
        &self,
        kind: ToolKind,
        asset: &Asset,
        versions: Vec<Version>,
        revision: u64,
    ) -> Result<ToolView> {
        let tool = self.registry().tool(&ToolSource {
            kind,
            asset,
            versions: &versions,
            revision,
        });
        let json = serde_json::to_vec(&tool).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let lower = |s: &str| s.to_lowercase();
        let images: Vec<&trs::ImageData> = tool.versions.iter().flat_map(|v| &v.images).collect();
        let text = Filters {
            name: lower(&tool.name),
            description: lower(tool.description.as_deref().unwrap_or_default()),
            authors: asset
                .creator
                .iter()
                .map(|c| lower(&c.name))
                .chain(
                    tool.versions
                        .iter()
                        .flat_map(|v| v.author.iter().map(|a| lower(a))),
                )
                .collect(),
            organization: lower(&tool.organization),
            images: images.iter().map(|i| lower(&i.image_name)).collect(),
            registries: images
                .iter()
                .filter_map(|i| i.registry_host.as_deref().map(lower))
                .collect(),
            tags: asset.keywords.iter().map(|k| lower(k)).collect(),
        };
        Ok(ToolView {
            tool,
            json,
            versions,
            text,
        })
    }

    /// The tools `caller` may read that match `q`, in id order: the total and the serialised
    /// tools of the page `[offset, offset + limit)`.
    pub fn list(
        &self,
        caller: &Caller,
        q: &Query,
        offset: usize,
        limit: usize,
    ) -> (usize, Vec<Vec<u8>>) {
        let keys = access::reader_keys(caller);
        let dir = self.read();
        let mut total = 0;
        let mut page = Vec::new();
        for e in dir.entries.values() {
            let Some(v) = e.view_for(caller, keys.as_deref()) else {
                continue;
            };
            if !q.matches(v) {
                continue;
            }
            if total >= offset && page.len() < limit {
                page.push(v.json.clone());
            }
            total += 1;
        }
        (total, page)
    }

    /// One tool as `caller` may read it.
    pub fn get(&self, caller: &Caller, tool_id: &str) -> Option<Arc<Entry>> {
        let keys = access::reader_keys(caller);
        let dir = self.read();
        let e = dir.entries.get(tool_id)?;
        e.view_for(caller, keys.as_deref())?;
        Some(e.clone())
    }
}

/// A version as the directory keeps it: what the TRS documents use of its metadata.
fn slim(mut v: Version) -> Version {
    let images = v
        .meta
        .get("pipeline")
        .and_then(|p| p.get("images"))
        .cloned();
    let mut meta = serde_json::Map::new();
    for key in ["name", "cwlVersion", "image", "created"] {
        if let Some(x) = v.meta.get(key) {
            meta.insert(key.to_owned(), x.clone());
        }
    }
    if let Some(i) = images {
        meta.insert("pipeline".into(), serde_json::json!({ "images": i }));
    }
    v.meta = serde_json::Value::Object(meta);
    v
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::asset::{Audience, Sharing};
    use crate::model::fields::Role;

    fn asset(owner: &str, status: Status, audience: Audience, users: &[&str]) -> Asset {
        Asset {
            id: "p".into(),
            kind: "Pipeline".into(),
            name: "P".into(),
            owner: Some(owner.into()),
            status: Some(status),
            visibility: Some(Sharing {
                audience: Some(audience),
                users: users.iter().map(|u| (*u).to_owned()).collect(),
                groups: vec!["g".into()],
            }),
            ..Default::default()
        }
    }

    fn entry(a: &Asset) -> Entry {
        let tools = Tools::new("http://x/ga4gh/trs/v2".into(), "Org".into());
        let published = a.status == Some(Status::Published);
        Entry {
            kind: ToolKind::Pipeline,
            asset_id: a.id.clone(),
            owner: a.owner.clone(),
            readers: access::readers(a),
            full: tools.view(ToolKind::Pipeline, a, vec![], 2).unwrap(),
            public: published.then(|| tools.view(ToolKind::Pipeline, a, vec![], 1).unwrap()),
        }
    }

    /// The entry's decision is `access::grant`'s, for every kind of caller and asset.
    #[test]
    fn views_follow_the_grant() {
        let callers = [
            Caller::Anonymous,
            Caller::Operator,
            Caller::Account {
                user: "alice".into(),
                groups: vec![],
                roles: vec![],
            },
            Caller::Account {
                user: "bob".into(),
                groups: vec![],
                roles: vec![],
            },
            Caller::Account {
                user: "carol".into(),
                groups: vec!["g".into()],
                roles: vec![],
            },
            Caller::Account {
                user: "mod".into(),
                groups: vec![],
                roles: vec![Role::Moderator],
            },
        ];
        for status in [Status::Draft, Status::InReview, Status::Published] {
            for audience in [Audience::Public, Audience::Private] {
                let a = asset("alice", status, audience, &["bob"]);
                let e = entry(&a);
                for c in &callers {
                    let keys = access::reader_keys(c);
                    let got = e
                        .view_for(c, keys.as_deref())
                        .map(|v| v.tool.meta_version.clone());
                    let want = match access::grant(c, &a) {
                        Some(access::Grant::Full) => Some("2".to_owned()),
                        Some(access::Grant::Public) => Some("1".to_owned()),
                        None => None,
                    };
                    assert_eq!(got, want, "{c:?} {status:?} {audience:?}");
                }
            }
        }
    }

    #[test]
    fn filters_match_by_substring_and_exact_ids() {
        let mut a = asset("alice", Status::Published, Audience::Public, &[]);
        a.name = "Hello PIPEMAN".into();
        a.description = Some("Writes block text".into());
        a.keywords = vec!["Example".into()];
        let e = entry(&a);
        let v = &e.full;
        let q = |f: &dyn Fn(&mut Query)| {
            let mut q = Query::default();
            f(&mut q);
            q.matches(v)
        };
        assert!(q(&|q| q.toolname = Some("pipeman".into())));
        assert!(!q(&|q| q.toolname = Some("other".into())));
        assert!(q(&|q| q.description = Some("BLOCK".into())));
        assert!(q(&|q| q.id = Some("#workflow/p".into())));
        assert!(!q(&|q| q.id = Some("#workflow/pp".into())));
        assert!(q(&|q| q.tags = vec!["example".into()]));
        assert!(q(&|q| q.tool_class = Some("Workflow".into())));
        assert!(!q(&|q| q.tool_class = Some("Service".into())));
        assert!(q(&|q| q.checker = Some(false)));
        assert!(!q(&|q| q.checker = Some(true)));
        assert!(q(&|q| q.organization = Some("org".into())));
    }
}
