//! The signed-in pages: sign-in, my assets, the new-asset form, the metadata editor and the
//! visibility form of an asset, and the moderators' queue and review page.
//!
//! Every change goes through the write path the API uses (`catalog::write`: the one field
//! policy, the workflow, `If-Match` on the revision the form was drawn from), so the browser can
//! do nothing the API would refuse; a refusal is shown on the page with the write path's reason,
//! next to the fields it names, and the reader's input is kept.

use std::sync::Arc;

use askama::Template;
use serde_json::{Map, Value, json};

use super::editor::{self, FieldView, FormState};
use super::history::{EventView, since};
use super::review::{DiffRow, rows};
use super::search_page::type_label;
use super::{Layout, Page, Portal, PortalError, Result, Viewer};
use crate::access::{self, Caller, Grant, accounts::is_valid_name};
use crate::catalog::write::{self, IfMatch, Transition, WriteError};
use crate::model::fields::Role;
use crate::model::{Asset, Audience, Status};
use crate::store::Store;

/// What a form handler answers: go elsewhere, or this page.
#[derive(Debug)]
pub enum Outcome {
    Redirect(String),
    Page(Page),
}

/// An asset as an editor finds it: the live version, its pending revision (when the reader
/// reads it whole) and the revision a form's `If-Match` names.
#[derive(Debug, Clone)]
pub struct Loaded {
    pub asset: Asset,
    pub pending: Option<Asset>,
    pub revision: u64,
    pub grant: Grant,
}

impl Loaded {
    /// What an edit works on: the pending revision when there is one.
    pub fn target(&self) -> &Asset {
        self.pending.as_ref().unwrap_or(&self.asset)
    }
}

/// The tabs of an asset's management pages.
#[derive(Debug, Clone)]
pub struct ManageTab {
    pub href: String,
    pub label: &'static str,
    pub current: bool,
}

fn manage_tabs(id: &str, current: &str, review: bool) -> Vec<ManageTab> {
    let mut tabs = vec![
        ("edit", "Metadata", format!("/assets/{id}/edit")),
        ("sharing", "Visibility", format!("/assets/{id}/sharing")),
        ("history", "History", format!("/assets/{id}#history")),
        ("page", "Public page", format!("/assets/{id}")),
    ];
    if review {
        tabs.insert(2, ("review", "Review", format!("/assets/{id}/review")));
    }
    tabs.into_iter()
        .map(|(key, label, href)| ManageTab {
            href,
            label,
            current: key == current,
        })
        .collect()
}

fn status_text(s: Option<Status>) -> &'static str {
    match s {
        Some(Status::Published) => "Published",
        Some(Status::InReview) => "In review",
        Some(Status::Draft) | None => "Draft",
    }
}

/// The audience of an asset in plain words.
pub fn audience_text(a: &Asset) -> String {
    let v = a.visibility.as_ref();
    match a.audience() {
        Audience::Public => {
            "Public: everyone can find and use it once a moderator has approved it.".into()
        }
        Audience::Private => {
            let users = v.map(|v| v.users.clone()).unwrap_or_default();
            let groups = v.map(|v| v.groups.clone()).unwrap_or_default();
            if users.is_empty() && groups.is_empty() {
                return "Private, shared with nobody yet: only you (and the platform's moderators) see it.".into();
            }
            let mut parts = Vec::new();
            if !users.is_empty() {
                parts.push(format!("users {}", users.join(", ")));
            }
            if !groups.is_empty() {
                parts.push(format!("groups {}", groups.join(", ")));
            }
            format!(
                "Private: shared with {} once published.",
                parts.join(" and ")
            )
        }
    }
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> std::result::Result<T, crate::store::StoreError> + Send + 'static,
) -> Result<T> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| PortalError::Internal(format!("a task failed: {e}")))?
        .map_err(PortalError::from)
}

/// The sign-in page.
#[derive(Template)]
#[template(path = "portal/login.html")]
pub struct LoginTemplate {
    pub layout: Layout,
    pub next: String,
    pub csrf: String,
    pub error: Option<String>,
    pub notice: Option<String>,
}

/// One asset on "my assets".
#[derive(Debug, Clone)]
pub struct MeItem {
    pub id: String,
    pub name: String,
    pub type_label: String,
    pub type_class: String,
    pub state: &'static str,
    pub comment: Option<String>,
    pub audience: &'static str,
    pub modified: String,
}

/// A group of "my assets" by state.
#[derive(Debug, Clone)]
pub struct MeGroup {
    pub id: &'static str,
    pub title: &'static str,
    pub items: Vec<MeItem>,
}

#[derive(Template)]
#[template(path = "portal/me.html")]
pub struct MeTemplate {
    pub layout: Layout,
    pub user: String,
    pub groups: Vec<MeGroup>,
    pub total: usize,
    pub types: Vec<(String, String)>,
    pub csrf: String,
    pub new_id: String,
    pub new_type: String,
    pub new_name: String,
    pub error: Option<String>,
    pub notice: Option<String>,
}

#[derive(Template)]
#[template(path = "portal/edit.html")]
pub struct EditTemplate {
    pub layout: Layout,
    pub id: String,
    pub name: String,
    pub type_label: String,
    pub status: &'static str,
    pub tabs: Vec<ManageTab>,
    pub csrf: String,
    pub revision: u64,
    pub fields: Vec<FieldView>,
    pub service: Vec<(&'static str, String)>,
    pub errors: Vec<String>,
    pub notice: Option<String>,
    pub stale: Option<Vec<EventView>>,
    pub pending: Option<String>,
    pub comment: Option<String>,
    pub publish: Option<String>,
    pub audience: String,
}

impl EditTemplate {
    /// Each field's message with where it links: the control, or the field's box when it
    /// is read-only.
    pub fn field_errors(&self) -> Vec<(String, &'static str, &str)> {
        self.fields
            .iter()
            .filter_map(|f| {
                let anchor = if f.writable {
                    format!("i-{}", f.key)
                } else {
                    format!("f-{}", f.key)
                };
                f.error.as_deref().map(|e| (anchor, f.label, e))
            })
            .collect()
    }
}

#[derive(Template)]
#[template(path = "portal/sharing.html")]
pub struct SharingTemplate {
    pub layout: Layout,
    pub id: String,
    pub name: String,
    pub tabs: Vec<ManageTab>,
    pub csrf: String,
    pub revision: u64,
    pub public: bool,
    pub users: String,
    pub groups: String,
    pub now: String,
    pub writable: bool,
    pub errors: Vec<String>,
    pub notice: Option<String>,
    pub stale: Option<Vec<EventView>>,
}

/// One asset waiting for a moderator.
#[derive(Debug, Clone)]
pub struct QueueItem {
    pub id: String,
    pub name: String,
    pub type_label: String,
    pub owner: String,
    pub what: &'static str,
    pub since: String,
    pub own: bool,
}

#[derive(Template)]
#[template(path = "portal/queue.html")]
pub struct QueueTemplate {
    pub layout: Layout,
    pub items: Vec<QueueItem>,
    pub notice: Option<String>,
}

#[derive(Template)]
#[template(path = "portal/review.html")]
pub struct ReviewTemplate {
    pub layout: Layout,
    pub id: String,
    pub name: String,
    pub owner: String,
    pub tabs: Vec<ManageTab>,
    pub csrf: String,
    pub revision: u64,
    pub what: &'static str,
    pub rows: Vec<DiffRow>,
    pub in_review: bool,
    pub own: bool,
    pub comment: String,
    pub errors: Vec<String>,
}

/// A refused write as a page says it: the status, the message, and the problems by field.
fn refusal(e: WriteError, state: &mut FormState) -> Result<(u16, Vec<String>)> {
    let message = e.to_string();
    Ok(match e {
        WriteError::Forbidden(_, fields) => {
            for f in fields {
                let key = f.split('.').next().unwrap_or(&f).to_owned();
                state
                    .errors
                    .insert(key, "You may not change this field.".into());
            }
            (403, vec![message])
        }
        WriteError::NotFound(_) => (404, vec![message]),
        WriteError::Taken(_) | WriteError::State(_) => (409, vec![message]),
        WriteError::Stale { .. } => (412, vec![message]),
        WriteError::Document(d) => {
            let syntax = matches!(d, crate::model::DocumentError::Syntax { .. });
            let mut general = editor::place(&d.problems(), state);
            if general.is_empty() {
                general.push("Some fields need changing: see the messages next to them.".into());
            } else {
                general.insert(0, message);
            }
            (if syntax { 400 } else { 422 }, general)
        }
        WriteError::Invalid(m, problems) => {
            let mut general = editor::place(&problems, state);
            general.insert(0, m);
            (422, general)
        }
        WriteError::Catalog(c) => {
            return Err(PortalError::Internal(format!("the catalogue failed: {c}")));
        }
    })
}

fn form_value<'a>(form: &'a [(String, String)], key: &str) -> Option<&'a str> {
    form.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
}

fn form_revision(form: &[(String, String)]) -> Option<u64> {
    form_value(form, "revision").and_then(|r| r.trim().parse().ok())
}

fn to_map(a: &Asset) -> Map<String, Value> {
    match serde_json::to_value(a) {
        Ok(Value::Object(m)) => m,
        _ => Map::new(),
    }
}

/// Whether `caller` may change anything of an asset at all (owner or curator).
fn may_manage(caller: &Caller, loaded: &Loaded) -> bool {
    loaded.grant == Grant::Full
        && match caller {
            Caller::Operator => true,
            Caller::Anonymous => false,
            Caller::Account { user, roles, .. } => {
                loaded.asset.owner.as_deref() == Some(user)
                    || roles
                        .iter()
                        .any(|r| matches!(r, Role::Moderator | Role::Sciapps))
            }
        }
}

impl Portal {
    fn frame(&self, viewer: &Viewer, title: &str, description: &str) -> Layout {
        let mut l = self.layout(
            format!("{title} · {}", self.site.name),
            description.to_owned(),
            "",
        );
        l.account = viewer.nav();
        l
    }

    /// The sign-in page. `csrf` is the token of the sign-in cookie the answer sets.
    pub fn login_page(
        &self,
        viewer: &Viewer,
        next: &str,
        csrf: &str,
        error: Option<String>,
        notice: Option<String>,
        status: u16,
    ) -> Result<Page> {
        let t = LoginTemplate {
            layout: self.frame(viewer, "Sign in", "Sign in to publish and manage assets."),
            next: next.to_owned(),
            csrf: csrf.to_owned(),
            error,
            notice,
        };
        Ok(Page {
            status,
            html: t.render()?,
        })
    }

    /// Reads asset `id` for `caller` with its pending revision and current revision.
    pub async fn load(&self, caller: &Caller, id: &str) -> Result<Option<Loaded>> {
        if !crate::model::is_valid_id(id) {
            return Ok(None);
        }
        let store: Arc<Store> = self.catalog.store.clone();
        let (caller, id) = (caller.clone(), id.to_owned());
        blocking(move || {
            let Some(change) = store.change(&id)?.filter(|c| !c.deleted) else {
                return Ok(None);
            };
            let Some(full) = store.get_full(&id)? else {
                return Ok(None);
            };
            let Some(grant) = access::grant(&caller, &full) else {
                return Ok(None);
            };
            // A reader of the whole asset has it already; any other reads its public graph.
            let (asset, pending) = match grant {
                Grant::Full => {
                    let pending = store.pending(&id)?;
                    (full, pending)
                }
                Grant::Public => match access::read_asset(&store, &caller, &id)? {
                    Some(asset) => (asset, None),
                    None => return Ok(None),
                },
            };
            Ok(Some(Loaded {
                asset,
                pending,
                revision: change.revision,
                grant,
            }))
        })
        .await
    }

    /// Asset `id` for a reader who manages it (its owner or a curator); otherwise the page to
    /// answer instead: 404, or 403 for a reader who may only see it.
    async fn managed(
        &self,
        viewer: &Viewer,
        id: &str,
    ) -> Result<std::result::Result<Loaded, Page>> {
        let Some(loaded) = self.load(&viewer.caller, id).await? else {
            return Ok(Err(self.missing(viewer)));
        };
        if !may_manage(&viewer.caller, &loaded) {
            return Ok(Err(self.not_yours(viewer)));
        }
        Ok(Ok(loaded))
    }

    fn missing(&self, viewer: &Viewer) -> Page {
        self.message(
            viewer,
            404,
            "No such asset",
            "There is no asset at this address, or it is not one you may see.",
        )
    }

    fn not_yours(&self, viewer: &Viewer) -> Page {
        self.message(
            viewer,
            403,
            "Not yours to manage",
            "Only the asset's owner, moderators and the science-applications team manage an asset.",
        )
    }

    /// "My assets": the reader's assets by state, and the new-asset form.
    pub async fn me_page(
        &self,
        viewer: &Viewer,
        notice: Option<String>,
        new: (&str, &str, &str),
        error: Option<String>,
        status: u16,
    ) -> Result<Page> {
        let Some(user) = viewer.user().map(str::to_owned) else {
            return Ok(self.message(viewer, 401, "Sign in", "Sign in to see your assets."));
        };
        let listed = self
            .catalog
            .assets
            .owned_by(&user, 1000)
            .await
            .map_err(|e| PortalError::Internal(e.to_string()))?;
        let store = self.catalog.store.clone();
        let read = blocking(move || {
            let mut out = Vec::with_capacity(listed.len());
            for l in listed {
                let Some(a) = store.get_full(&l.id)? else {
                    continue;
                };
                let pending = if l.pending.is_empty() {
                    None
                } else {
                    store.pending(&l.id)?
                };
                out.push((l, a, pending));
            }
            Ok(out)
        })
        .await?;
        let mut groups: Vec<MeGroup> = [
            ("drafts", "Drafts"),
            ("rejected", "Sent back by a moderator"),
            ("review", "In review"),
            ("pending", "Published, with an edit pending"),
            ("private", "Shared privately"),
            ("published", "Published"),
        ]
        .into_iter()
        .map(|(id, title)| MeGroup {
            id,
            title,
            items: Vec::new(),
        })
        .collect();
        let total = read.len();
        for (l, a, pending) in read {
            let target = pending.as_ref().unwrap_or(&a);
            let comment = target.moderator_comment.clone();
            let (group, state) = match (a.status, &pending) {
                (Some(Status::Published), Some(p)) => (
                    3,
                    if p.status == Some(Status::InReview) {
                        "Edit in review"
                    } else if comment.is_some() {
                        "Edit sent back"
                    } else {
                        "Edit in draft"
                    },
                ),
                (Some(Status::Published), None) if a.audience() == Audience::Private => {
                    (4, "Shared privately")
                }
                (Some(Status::Published), None) => (5, "Published"),
                (Some(Status::InReview), _) => (2, "In review"),
                _ if comment.is_some() => (1, "Sent back"),
                _ => (0, "Draft"),
            };
            groups[group].items.push(MeItem {
                name: a.name.clone(),
                type_label: type_label(&a.kind).to_owned(),
                type_class: a.kind.to_lowercase(),
                state,
                comment,
                audience: if a.audience() == Audience::Public {
                    "Public"
                } else {
                    "Private"
                },
                modified: super::history::when(&a.date_modified.clone().unwrap_or(l.datestamp)),
                id: l.id,
            });
        }
        groups.retain(|g| !g.items.is_empty());
        let types = self
            .catalog
            .vocab
            .concepts(crate::model::Scheme::AssetTypes)
            .iter()
            .map(|c| (c.pref_label.clone(), type_label(&c.pref_label).to_owned()))
            .collect();
        let t = MeTemplate {
            layout: self.frame(viewer, "My assets", "Your assets by state, and a new one."),
            user,
            groups,
            total,
            types,
            csrf: viewer.csrf.clone().unwrap_or_default(),
            new_id: new.0.to_owned(),
            new_type: new.1.to_owned(),
            new_name: new.2.to_owned(),
            error,
            notice,
        };
        Ok(Page {
            status,
            html: t.render()?,
        })
    }

    /// The new-asset form sent: a draft owned by the reader, then its editor.
    pub async fn create(&self, viewer: &Viewer, form: &[(String, String)]) -> Result<Outcome> {
        let id = form_value(form, "id").unwrap_or("").trim();
        let kind = form_value(form, "type").unwrap_or("").trim();
        let name = form_value(form, "name").unwrap_or("").trim();
        let doc = json!({"id": id, "type": kind, "name": name});
        let body = serde_json::to_vec(&doc).unwrap_or_default();
        match write::create(&self.catalog, &viewer.caller, &body).await {
            Ok(_) => Ok(Outcome::Redirect(format!("/assets/{id}/edit?created=1"))),
            Err(e) => {
                let mut state = FormState::default();
                let (status, mut general) = refusal(e, &mut state)?;
                for (k, v) in state.errors {
                    general.push(format!("{}: {v}", editor::label(&k)));
                }
                let page = self
                    .me_page(
                        viewer,
                        None,
                        (id, kind, name),
                        Some(general.join(" ")),
                        status,
                    )
                    .await?;
                Ok(Outcome::Page(page))
            }
        }
    }

    fn edit_template(
        &self,
        viewer: &Viewer,
        loaded: &Loaded,
        doc: &Map<String, Value>,
        state: &FormState,
        revision: u64,
    ) -> EditTemplate {
        let target = loaded.target();
        let caller = &viewer.caller;
        let owner = loaded.asset.owner.as_deref();
        let kind = doc
            .get("type")
            .and_then(Value::as_str)
            .unwrap_or(&target.kind)
            .to_owned();
        let fields = editor::fields(doc, &kind, caller, owner, &self.catalog.vocab, state);
        let mut service = vec![
            ("Id", target.id.clone()),
            ("Status", status_text(target.status).to_owned()),
            ("Owner", target.owner.clone().unwrap_or_default()),
        ];
        if let Some(i) = &target.ivoid {
            service.push(("IVOA identifier", i.clone()));
        }
        let pending = loaded.pending.as_ref().map(|p| {
            format!(
                "You are editing a pending revision ({}). Readers see the published version until a moderator approves it.",
                status_text(p.status).to_lowercase()
            )
        });
        let draft = target.status.unwrap_or(Status::Draft) == Status::Draft;
        let may_submit = draft
            && (owner == viewer.user() || viewer.has(Role::Moderator) || viewer.has(Role::Sciapps));
        let publish = may_submit.then(|| {
            if target.audience() == Audience::Public {
                "Publish: a moderator will review it before anyone else sees it.".to_owned()
            } else {
                "Share: it is private, so it is shared at once with the users and groups on the Visibility tab.".to_owned()
            }
        });
        EditTemplate {
            layout: self.frame(
                viewer,
                &format!("Edit {}", target.name),
                "The metadata editor.",
            ),
            id: target.id.clone(),
            name: target.name.clone(),
            type_label: type_label(&target.kind).to_owned(),
            status: status_text(target.status),
            tabs: manage_tabs(
                &target.id,
                "edit",
                viewer.has(Role::Moderator) && target.status == Some(Status::InReview),
            ),
            csrf: viewer.csrf.clone().unwrap_or_default(),
            revision,
            fields,
            service,
            errors: Vec::new(),
            notice: None,
            stale: None,
            pending,
            comment: target.moderator_comment.clone(),
            publish,
            audience: audience_text(target),
        }
    }

    /// The editor of asset `id`, with a notice after a save or a transition.
    pub async fn edit_page(
        &self,
        viewer: &Viewer,
        id: &str,
        notice: Option<String>,
    ) -> Result<Page> {
        let loaded = match self.managed(viewer, id).await? {
            Ok(loaded) => loaded,
            Err(page) => return Ok(page),
        };
        let doc = to_map(loaded.target());
        let mut t = self.edit_template(
            viewer,
            &loaded,
            &doc,
            &FormState::default(),
            loaded.revision,
        );
        t.notice = notice;
        Ok(Page {
            status: 200,
            html: t.render()?,
        })
    }

    /// Events of asset `id` after revision `after`.
    async fn changes_since(&self, id: &str, after: u64) -> Result<Vec<EventView>> {
        let store = self.catalog.store.clone();
        let key = id.to_owned();
        let history = blocking(move || store.history(&key)).await?;
        Ok(since(&history, after))
    }

    /// The editor's form sent: preview, or save with `If-Match` on the form's revision.
    pub async fn save(
        &self,
        viewer: &Viewer,
        id: &str,
        form: &[(String, String)],
    ) -> Result<Outcome> {
        let loaded = match self.managed(viewer, id).await? {
            Ok(loaded) => loaded,
            Err(page) => return Ok(Outcome::Page(page)),
        };
        let Some(revision) = form_revision(form) else {
            return Ok(Outcome::Page(self.message(
                viewer,
                400,
                "The form is incomplete",
                "The editor's form names the revision it was drawn from; this one did not. Open the editor again.",
            )));
        };
        let (doc, mut state) = editor::apply(&to_map(loaded.target()), form);
        let preview = form_value(form, "_action") == Some("preview");
        let render = |t: EditTemplate, status: u16| -> Result<Outcome> {
            Ok(Outcome::Page(Page {
                status,
                html: t.render()?,
            }))
        };
        if preview || !state.errors.is_empty() {
            state.preview = preview;
            let mut t = self.edit_template(viewer, &loaded, &doc, &state, revision);
            if !t.field_errors().is_empty() {
                t.errors.push(
                    "Some fields need changing: see the messages next to them. Nothing was saved."
                        .into(),
                );
            } else {
                t.notice = Some("A preview: nothing is saved until you press Save.".into());
            }
            let status = if t.errors.is_empty() { 200 } else { 422 };
            return render(t, status);
        }
        let body = serde_json::to_vec(&Value::Object(doc.clone())).unwrap_or_default();
        let pre = IfMatch::Revisions(vec![revision]);
        match write::replace(&self.catalog, &viewer.caller, id, &body, Some(&pre)).await {
            Ok(w) => Ok(Outcome::Redirect(format!(
                "/assets/{id}/edit?saved={}",
                w.revision
            ))),
            Err(WriteError::Stale { current, .. }) => {
                let Some(current) = current else {
                    return Ok(Outcome::Page(self.missing(viewer)));
                };
                let mut t = self.edit_template(viewer, &loaded, &doc, &state, current);
                t.stale = Some(self.changes_since(id, revision).await?);
                t.errors.push(format!(
                    "Someone changed this asset after you opened it (revision {revision}, now {current}). \
                     Your input is below, unsaved; the changes since are listed. Save again to write your version over theirs."
                ));
                render(t, 409)
            }
            Err(e) => {
                let (status, general) = refusal(e, &mut state)?;
                let mut t = self.edit_template(viewer, &loaded, &doc, &state, revision);
                t.errors = general;
                t.errors.push("Nothing was saved.".into());
                render(t, status)
            }
        }
    }

    fn sharing_template(
        &self,
        viewer: &Viewer,
        loaded: &Loaded,
        revision: u64,
        (public, users, groups): (bool, String, String),
    ) -> SharingTemplate {
        let target = loaded.target();
        SharingTemplate {
            layout: self.frame(
                viewer,
                &format!("Visibility of {}", target.name),
                "Who may see the asset.",
            ),
            id: target.id.clone(),
            name: target.name.clone(),
            tabs: manage_tabs(
                &target.id,
                "sharing",
                viewer.has(Role::Moderator) && target.status == Some(Status::InReview),
            ),
            csrf: viewer.csrf.clone().unwrap_or_default(),
            revision,
            public,
            users,
            groups,
            now: audience_text(target),
            writable: editor::writable(&viewer.caller, loaded.asset.owner.as_deref(), "visibility"),
            errors: Vec::new(),
            notice: None,
            stale: None,
        }
    }

    /// The visibility form of asset `id`.
    pub async fn sharing_page(
        &self,
        viewer: &Viewer,
        id: &str,
        notice: Option<String>,
    ) -> Result<Page> {
        let loaded = match self.managed(viewer, id).await? {
            Ok(loaded) => loaded,
            Err(page) => return Ok(page),
        };
        let target = loaded.target();
        let v = target.visibility.clone().unwrap_or_default();
        let mut t = self.sharing_template(
            viewer,
            &loaded,
            loaded.revision,
            (
                target.audience() == Audience::Public,
                v.users.join("\n"),
                v.groups.join("\n"),
            ),
        );
        t.notice = notice;
        Ok(Page {
            status: 200,
            html: t.render()?,
        })
    }

    /// The visibility form sent.
    pub async fn share(
        &self,
        viewer: &Viewer,
        id: &str,
        form: &[(String, String)],
    ) -> Result<Outcome> {
        let loaded = match self.managed(viewer, id).await? {
            Ok(loaded) => loaded,
            Err(page) => return Ok(Outcome::Page(page)),
        };
        let revision = form_revision(form).unwrap_or(0);
        let public = form_value(form, "audience") != Some("private");
        let lines = |key: &str| -> Vec<String> {
            form_value(form, key)
                .unwrap_or("")
                .split(['\n', ','])
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect()
        };
        let (users, groups) = (lines("users"), lines("groups"));
        let input = (public, users.join("\n"), groups.join("\n"));
        let bad: Vec<&String> = users
            .iter()
            .chain(&groups)
            .filter(|n| !is_valid_name(n))
            .collect();
        let mut t = self.sharing_template(viewer, &loaded, revision, input);
        if !bad.is_empty() {
            t.errors.push(format!(
                "Not an account or group name: {}. Names hold letters, digits and . _ - @. Nothing was saved.",
                bad.iter().map(|s| format!("“{s}”")).collect::<Vec<_>>().join(", ")
            ));
            return Ok(Outcome::Page(Page {
                status: 422,
                html: t.render()?,
            }));
        }
        let mut doc = to_map(loaded.target());
        doc.insert(
            "visibility".into(),
            json!({"audience": if public { "public" } else { "private" }, "users": users, "groups": groups}),
        );
        let body = serde_json::to_vec(&Value::Object(doc)).unwrap_or_default();
        let pre = IfMatch::Revisions(vec![revision]);
        match write::replace(&self.catalog, &viewer.caller, id, &body, Some(&pre)).await {
            Ok(w) => Ok(Outcome::Redirect(format!(
                "/assets/{id}/sharing?saved={}",
                w.revision
            ))),
            Err(WriteError::Stale { current, .. }) => {
                t.revision = current.unwrap_or(revision);
                t.stale = Some(self.changes_since(id, revision).await?);
                t.errors.push(
                    "Someone changed this asset after you opened it; your choice is below, unsaved. Save again to apply it."
                        .into(),
                );
                Ok(Outcome::Page(Page {
                    status: 409,
                    html: t.render()?,
                }))
            }
            Err(e) => {
                let mut state = FormState::default();
                let (status, general) = refusal(e, &mut state)?;
                t.errors = general;
                t.errors.push("Nothing was saved.".into());
                Ok(Outcome::Page(Page {
                    status,
                    html: t.render()?,
                }))
            }
        }
    }

    /// A workflow button pressed: submit (from the editor), approve or reject (from the review
    /// page).
    pub async fn transition(
        &self,
        viewer: &Viewer,
        id: &str,
        which: Transition,
        form: &[(String, String)],
    ) -> Result<Outcome> {
        let revision = form_revision(form);
        let comment = form_value(form, "comment").map(str::to_owned);
        let pre = revision.map(|r| IfMatch::Revisions(vec![r]));
        match write::transition(
            &self.catalog,
            &viewer.caller,
            id,
            which,
            comment.clone(),
            pre.as_ref(),
        )
        .await
        {
            Ok(w) => Ok(Outcome::Redirect(match which {
                Transition::Submit => format!("/assets/{id}/edit?submitted={}", w.revision),
                Transition::Approve => format!("/review?approved={id}"),
                Transition::Reject => format!("/review?rejected={id}"),
            })),
            Err(WriteError::NotFound(_)) => Ok(Outcome::Page(self.missing(viewer))),
            Err(e) => {
                let mut state = FormState::default();
                let (status, mut general) = refusal(e, &mut state)?;
                general.extend(
                    state
                        .errors
                        .iter()
                        .map(|(k, v)| format!("{}: {v}", editor::label(k))),
                );
                general.push("Nothing was changed.".into());
                let Some(loaded) = self.load(&viewer.caller, id).await? else {
                    return Ok(Outcome::Page(self.missing(viewer)));
                };
                let page = if which == Transition::Submit {
                    let doc = to_map(loaded.target());
                    let mut t = self.edit_template(
                        viewer,
                        &loaded,
                        &doc,
                        &FormState::default(),
                        loaded.revision,
                    );
                    t.errors = general;
                    Page {
                        status,
                        html: t.render()?,
                    }
                } else {
                    let mut t = self.review_template(viewer, &loaded);
                    t.errors = general;
                    t.comment = comment.unwrap_or_default();
                    Page {
                        status,
                        html: t.render()?,
                    }
                };
                Ok(Outcome::Page(page))
            }
        }
    }

    /// The moderators' queue.
    pub async fn queue_page(&self, viewer: &Viewer, notice: Option<String>) -> Result<Page> {
        if !viewer.has(Role::Moderator) {
            return Ok(self.message(
                viewer,
                403,
                "For moderators",
                "The review queue is for moderators.",
            ));
        }
        let listed = self
            .catalog
            .assets
            .awaiting_review(500)
            .await
            .map_err(|e| PortalError::Internal(e.to_string()))?;
        let store = self.catalog.store.clone();
        let me = viewer.user().unwrap_or("").to_owned();
        let items = blocking(move || {
            let mut out = Vec::new();
            for l in listed {
                let name = match store.pending(&l.id)? {
                    Some(p) if l.pending == "in_review" => p.name,
                    _ => store.get_full(&l.id)?.map(|a| a.name).unwrap_or_default(),
                };
                out.push(QueueItem {
                    name,
                    type_label: type_label(&l.kind).to_owned(),
                    what: if l.status == "in_review" {
                        "New asset"
                    } else {
                        "Edit of a published asset"
                    },
                    since: super::history::when(&l.datestamp),
                    own: l.owner == me,
                    owner: l.owner,
                    id: l.id,
                });
            }
            Ok(out)
        })
        .await?;
        let t = QueueTemplate {
            layout: self.frame(viewer, "Review", "Assets waiting for a moderator."),
            items,
            notice,
        };
        Ok(Page {
            status: 200,
            html: t.render()?,
        })
    }

    fn review_template(&self, viewer: &Viewer, loaded: &Loaded) -> ReviewTemplate {
        let target = loaded.target();
        let (published, what) = match &loaded.pending {
            Some(_) => (
                Some(&loaded.asset),
                "An edit of a published asset: the fields it changes",
            ),
            None => (None, "A new asset: every field it sets"),
        };
        ReviewTemplate {
            layout: self.frame(
                viewer,
                &format!("Review {}", target.name),
                "A submission to review.",
            ),
            id: target.id.clone(),
            name: target.name.clone(),
            owner: loaded.asset.owner.clone().unwrap_or_default(),
            tabs: manage_tabs(&target.id, "review", true),
            csrf: viewer.csrf.clone().unwrap_or_default(),
            revision: loaded.revision,
            what,
            rows: rows(published, target),
            in_review: target.status == Some(Status::InReview),
            own: loaded.asset.owner.as_deref() == viewer.user(),
            comment: String::new(),
            errors: Vec::new(),
        }
    }

    /// The review page of asset `id`: what it changes, approve or reject.
    pub async fn review_page(&self, viewer: &Viewer, id: &str) -> Result<Page> {
        if !viewer.has(Role::Moderator) {
            return Ok(self.message(viewer, 403, "For moderators", "Reviews are for moderators."));
        }
        let Some(loaded) = self.load(&viewer.caller, id).await? else {
            return Ok(self.missing(viewer));
        };
        let t = self.review_template(viewer, &loaded);
        Ok(Page {
            status: 200,
            html: t.render()?,
        })
    }
}
