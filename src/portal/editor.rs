//! The metadata editor: every field of an asset as a form control, and a submitted form back
//! as the asset document it asks for.
//!
//! What a reader may change is decided by `access::policy` alone (the same decision the API
//! takes): a field the reader may write becomes a control, any other is shown as it stands with
//! the reason. The form names the fields it carries (`_fields`), so an emptied control clears
//! its field while a field the form never showed is left alone; a field added to the form by
//! hand goes to the write path like any other change and is refused there, as the API would.

use std::collections::HashMap;

use serde_json::{Map, Value};

use crate::access::{Caller, policy};
use crate::model::Problem;
use crate::model::fields::{Role, SUBFIELDS, WriteRule, field};
use crate::model::vocab::{Scheme, Vocabularies};

/// How a field is edited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Control {
    /// One line of text.
    Line,
    /// A web address.
    Url,
    /// Several lines of plain text.
    Text,
    /// Markdown, with a preview.
    Markdown,
    /// A list of strings, one per line.
    Lines,
    /// One value of a vocabulary.
    One(Scheme),
    /// Any values of a vocabulary.
    Many(Scheme),
    /// A licence from the licence catalogue, grouped as the platform lists them.
    Licence,
    /// Yes, no, or not said.
    YesNo,
    /// People and organisations, a row each (name, kind, ORCID, affiliation, email, web
    /// page), with empty rows to add more.
    Agents,
    /// A structured value, written as JSON.
    Json,
}

/// The columns of an `Agents` row: the form's sub-key and the document's key.
const AGENT_COLUMNS: [&str; 6] = ["name", "type", "orcid", "affiliation", "email", "url"];

/// Empty rows offered after the existing ones.
const NEW_ROWS: usize = 2;

/// One person or organisation of an `Agents` control.
#[derive(Debug, Clone, Default)]
pub struct AgentRow {
    pub name: String,
    pub kind: String,
    pub orcid: String,
    pub affiliation: String,
    pub email: String,
    pub url: String,
}

/// One editable field: where it sits in the document and how it is edited.
struct Spec {
    key: &'static str,
    label: &'static str,
    help: &'static str,
    control: Control,
    /// The asset type it belongs to (`None`: every type).
    only: Option<&'static str>,
}

const fn spec(
    key: &'static str,
    label: &'static str,
    help: &'static str,
    control: Control,
) -> Spec {
    Spec {
        key,
        label,
        help,
        control,
        only: None,
    }
}

const fn only(
    key: &'static str,
    label: &'static str,
    help: &'static str,
    control: Control,
    kind: &'static str,
) -> Spec {
    Spec {
        key,
        label,
        help,
        control,
        only: Some(kind),
    }
}

/// The editor's fields in the order they are shown.
const SPECS: &[Spec] = &[
    spec("name", "Name", "", Control::Line),
    spec(
        "alternateName",
        "Alternate name",
        "A short or former name.",
        Control::Line,
    ),
    spec(
        "type",
        "Type of asset",
        "",
        Control::One(Scheme::AssetTypes),
    ),
    spec(
        "abstract",
        "Abstract",
        "One or two sentences of plain text, shown in search results.",
        Control::Text,
    ),
    spec(
        "description",
        "Description",
        "The overview on the asset's page. Markdown.",
        Control::Markdown,
    ),
    spec("keywords", "Keywords", "One per line.", Control::Lines),
    spec("domain", "Domain", "", Control::Many(Scheme::Domains)),
    spec(
        "property",
        "Properties",
        "",
        Control::Many(Scheme::Properties),
    ),
    spec("mission", "Missions", "", Control::Many(Scheme::Missions)),
    spec(
        "waveband",
        "Wavebands",
        "",
        Control::Many(Scheme::Wavebands),
    ),
    spec(
        "associatedFileType",
        "File types",
        "The file types it works with or contains.",
        Control::Many(Scheme::FileTypes),
    ),
    spec(
        "audienceType",
        "Audience",
        "",
        Control::Many(Scheme::Audiences),
    ),
    spec(
        "ESAOfficial",
        "ESA official",
        "Whether the European Space Agency maintains it.",
        Control::YesNo,
    ),
    spec(
        "license",
        "Licence",
        "Required to publish.",
        Control::Licence,
    ),
    spec("version", "Version", "", Control::Line),
    spec("url", "Web page", "https://…", Control::Url),
    spec("citation", "How to cite", "", Control::Text),
    spec(
        "identifier",
        "DOI",
        "e.g. 10.5270/esa-abc123",
        Control::Line,
    ),
    spec(
        "creator",
        "Creators",
        "Every author, in order. Empty a row to remove it; save to get more empty rows.",
        Control::Agents,
    ),
    spec(
        "publisher",
        "Publisher",
        r#"JSON: {"name": "…", "type": "Organization"}"#,
        Control::Json,
    ),
    spec(
        "analysableWith",
        "Analysable with",
        "Ids of the datalabs that open it, one per line.",
        Control::Lines,
    ),
    spec(
        "coverage",
        "Coverage",
        r#"JSON: {"temporal": {"start": "…", "end": "…"}, "sky": {…}}"#,
        Control::Json,
    ),
    spec(
        "distribution",
        "Distributions",
        r#"A JSON list: [{"title": "…", "accessURL": "https://…", "mediaType": "…"}]"#,
        Control::Json,
    ),
    only(
        "pipeline",
        "Pipeline",
        "JSON: entry point, steps, inputs, outputs, execution engine.",
        Control::Json,
        "Pipeline",
    ),
    only(
        "volume",
        "Volume",
        r#"JSON: {"mountPath": "/data/…"}"#,
        Control::Json,
        "DataVolume",
    ),
    only(
        "datalabImage",
        "Datalab image",
        r#"JSON: {"id": …, "platform": …, "keyword": […]}; developers write "keyword", the build service the rest."#,
        Control::Json,
        "Datalab",
    ),
    only(
        "build",
        "Last build",
        "Written by the build service.",
        Control::Json,
        "Datalab",
    ),
    spec(
        "moderatorComment",
        "Moderator's comment",
        "What the moderator asks the owner to change.",
        Control::Text,
    ),
    spec("popularity", "Popularity", "", Control::Line),
    spec("dateCreated", "Created", "", Control::Line),
    spec("datePublished", "Published", "", Control::Line),
    spec("dateModified", "Last modified", "", Control::Line),
];

/// One choice of a vocabulary control.
#[derive(Debug, Clone)]
pub struct Opt {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

/// A group of the licence picker.
#[derive(Debug, Clone)]
pub struct OptGroup {
    pub label: &'static str,
    pub options: Vec<Opt>,
}

/// One field of the editor as the template draws it.
#[derive(Debug, Clone)]
pub struct FieldView {
    pub key: &'static str,
    pub label: &'static str,
    pub help: &'static str,
    /// `line`, `url`, `text`, `markdown`, `lines`, `one`, `many`, `licence`, `yesno`, `json`.
    pub kind: &'static str,
    /// The value as the control shows it.
    pub text: String,
    pub options: Vec<Opt>,
    pub groups: Vec<OptGroup>,
    /// The rows of an `Agents` control, with empty ones to add.
    pub agents: Vec<AgentRow>,
    pub writable: bool,
    /// Why a read-only field may not be changed by this reader.
    pub why: String,
    pub error: Option<String>,
    /// The Markdown preview, when asked for.
    pub preview: Option<String>,
}

impl FieldView {
    pub fn has_text(&self) -> bool {
        !self.text.trim().is_empty()
    }
}

fn kind_name(c: Control) -> &'static str {
    match c {
        Control::Line => "line",
        Control::Url => "url",
        Control::Text => "text",
        Control::Markdown => "markdown",
        Control::Lines => "lines",
        Control::One(_) => "one",
        Control::Many(_) => "many",
        Control::Licence => "licence",
        Control::YesNo => "yesno",
        Control::Agents => "agents",
        Control::Json => "json",
    }
}

fn role_names(roles: &[Role]) -> String {
    let names: Vec<&str> = roles
        .iter()
        .map(|r| match r {
            Role::Developer => "the owner",
            Role::Moderator => "moderators",
            Role::Sciapps => "the science-applications team",
            Role::Application => "the platform's services",
        })
        .collect();
    match names.as_slice() {
        [] => String::new(),
        [one] => (*one).to_owned(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

/// Whether `caller` may change `key` (or one of its sub-keys) of an asset owned by `owner`.
pub fn writable(caller: &Caller, owner: Option<&str>, key: &str) -> bool {
    policy::may_write(caller, owner, key)
        || SUBFIELDS
            .iter()
            .any(|(k, s, _)| *k == key && policy::may_write(caller, owner, &format!("{k}.{s}")))
}

/// Why `caller` may not change `key`, in words.
pub fn why_not(key: &str) -> String {
    match field(key).map(|f| f.write) {
        Some(WriteRule::Workflow) => {
            "Set by the publication workflow (publish, approve, reject).".into()
        }
        Some(WriteRule::ReadOnly) | None => "Set by the service.".into(),
        Some(WriteRule::OnCreate) => "Fixed once the asset is created.".into(),
        Some(WriteRule::Roles(&[Role::Application])) => {
            "Written by the platform's services (the build service, the launch wizard).".into()
        }
        Some(WriteRule::Roles(roles)) => {
            let owner_rule = roles.contains(&Role::Developer);
            let all: Vec<Role> = [
                Role::Developer,
                Role::Moderator,
                Role::Sciapps,
                Role::Application,
            ]
            .into_iter()
            .filter(|r| {
                roles.contains(r) || (owner_rule && matches!(r, Role::Moderator | Role::Sciapps))
            })
            .collect();
            format!("Only {} may change this.", role_names(&all))
        }
    }
}

fn text_of(control: Control, v: Option<&Value>) -> String {
    let Some(v) = v else {
        return String::new();
    };
    match (control, v) {
        (Control::Agents, Value::Array(items)) => items
            .iter()
            .map(|a| a["name"].as_str().unwrap_or_default())
            .collect::<Vec<_>>()
            .join("; "),
        (Control::Json, v) => serde_json::to_string_pretty(v).unwrap_or_default(),
        (_, Value::String(s)) => s.clone(),
        (_, Value::Array(items)) => items
            .iter()
            .map(|i| i.as_str().map_or_else(|| i.to_string(), str::to_owned))
            .collect::<Vec<_>>()
            .join("\n"),
        (_, Value::Null) => String::new(),
        (_, other) => other.to_string(),
    }
}

fn selected_values(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(|i| i.as_str().map(str::to_owned))
            .collect(),
        _ => Vec::new(),
    }
}

fn options(vocab: &Vocabularies, scheme: Scheme, selected: &[String]) -> Vec<Opt> {
    let mut out: Vec<Opt> = vocab
        .concepts(scheme)
        .iter()
        .map(|c| {
            let value = c.value(scheme).to_owned();
            Opt {
                selected: selected.contains(&value),
                label: c.pref_label.clone(),
                value,
            }
        })
        .collect();
    // A value the vocabulary no longer has stays listed, so that saving does not drop it.
    for s in selected {
        if !out.iter().any(|o| &o.value == s) {
            out.push(Opt {
                value: s.clone(),
                label: format!("{s} (not in the vocabulary)"),
                selected: true,
            });
        }
    }
    out
}

fn licence_groups(vocab: &Vocabularies, selected: &[String]) -> Vec<OptGroup> {
    let opts = options(vocab, Scheme::Licenses, selected);
    let group_of = |value: &str| {
        vocab
            .concepts(Scheme::Licenses)
            .iter()
            .find(|c| c.value(Scheme::Licenses) == value)
            .and_then(|c| c.group.clone())
            .unwrap_or_default()
    };
    [
        ("popular", "Popular licences"),
        ("esa", "European Space Agency"),
        ("", "Others"),
    ]
    .into_iter()
    .map(|(g, label)| OptGroup {
        label,
        options: opts
            .iter()
            .filter(|o| {
                let og = group_of(&o.value);
                if g.is_empty() {
                    og != "popular" && og != "esa"
                } else {
                    og == g
                }
            })
            .cloned()
            .collect(),
    })
    .filter(|g| !g.options.is_empty())
    .collect()
}

/// What the form drew its controls from and what went wrong with them.
#[derive(Debug, Default, Clone)]
pub struct FormState {
    /// Text a reader typed that could not become a value (JSON that does not parse), by field.
    pub raw: HashMap<String, String>,
    /// The message next to each field, by field.
    pub errors: HashMap<String, String>,
    /// Whether Markdown fields show their preview.
    pub preview: bool,
    /// Rows of an `Agents` control as typed, when they could not all become values.
    pub agents: HashMap<String, Vec<AgentRow>>,
}

/// The rows an `Agents` control shows: as typed, or from the document; then empty ones.
fn agent_rows(typed: Option<&Vec<AgentRow>>, v: Option<&Value>) -> Vec<AgentRow> {
    let mut rows: Vec<AgentRow> = match typed {
        Some(t) => t.iter().filter(|r| !r.is_empty()).cloned().collect(),
        None => v
            .and_then(Value::as_array)
            .map(|items| {
                items
                    .iter()
                    .map(|a| {
                        let text = |k: &str| a[k].as_str().unwrap_or_default().to_owned();
                        AgentRow {
                            name: text("name"),
                            kind: text("type"),
                            orcid: text("orcid"),
                            affiliation: text("affiliation"),
                            email: text("email"),
                            url: text("url"),
                        }
                    })
                    .collect()
            })
            .unwrap_or_default(),
    };
    rows.extend(std::iter::repeat_n(AgentRow::default(), NEW_ROWS));
    rows
}

impl AgentRow {
    fn is_empty(&self) -> bool {
        [
            &self.name,
            &self.orcid,
            &self.affiliation,
            &self.email,
            &self.url,
        ]
        .iter()
        .all(|t| t.trim().is_empty())
    }

    fn column(&self, i: usize) -> &str {
        match i {
            0 => &self.name,
            1 => &self.kind,
            2 => &self.orcid,
            3 => &self.affiliation,
            4 => &self.email,
            _ => &self.url,
        }
    }

    fn set(&mut self, i: usize, text: String) {
        match i {
            0 => self.name = text,
            1 => self.kind = text,
            2 => self.orcid = text,
            3 => self.affiliation = text,
            4 => self.email = text,
            _ => self.url = text,
        }
    }
}

/// The rows of an `Agents` control as the form sent them (`{key}.{column}`, one per row).
fn typed_agents(key: &str, form: &[(String, String)]) -> Vec<AgentRow> {
    let mut rows: Vec<AgentRow> = Vec::new();
    for (i, column) in AGENT_COLUMNS.iter().enumerate() {
        let name = format!("{key}.{column}");
        for (n, (_, v)) in form.iter().filter(|(k, _)| *k == name).enumerate() {
            if rows.len() <= n {
                rows.resize_with(n + 1, AgentRow::default);
            }
            rows[n].set(i, v.trim().to_owned());
        }
    }
    rows
}

/// Typed rows as the document's list; a row without a name is an error.
fn agents_value(rows: &[AgentRow]) -> std::result::Result<Option<Value>, String> {
    let mut out = Vec::new();
    for (n, row) in rows.iter().filter(|r| !r.is_empty()).enumerate() {
        if row.name.trim().is_empty() {
            return Err(format!(
                "Row {} has no name: every creator needs one.",
                n + 1
            ));
        }
        let mut m = Map::new();
        for (i, column) in AGENT_COLUMNS.iter().enumerate() {
            let text = row.column(i).trim();
            if !text.is_empty() {
                m.insert((*column).to_owned(), Value::String(text.to_owned()));
            }
        }
        out.push(Value::Object(m));
    }
    Ok((!out.is_empty()).then_some(Value::Array(out)))
}

/// The editor's fields for an asset of type `kind` whose document is `doc`.
pub fn fields(
    doc: &Map<String, Value>,
    kind: &str,
    caller: &Caller,
    owner: Option<&str>,
    vocab: &Vocabularies,
    state: &FormState,
) -> Vec<FieldView> {
    SPECS
        .iter()
        .filter(|s| s.only.is_none_or(|k| k == kind))
        .map(|s| {
            let v = doc.get(s.key);
            let selected = selected_values(v);
            let writable = writable(caller, owner, s.key);
            let text = state
                .raw
                .get(s.key)
                .cloned()
                .unwrap_or_else(|| text_of(s.control, v));
            let preview =
                (state.preview && s.control == Control::Markdown && !text.trim().is_empty())
                    .then(|| super::markdown::render(&text));
            FieldView {
                key: s.key,
                label: s.label,
                help: s.help,
                kind: kind_name(s.control),
                options: match s.control {
                    Control::One(scheme) | Control::Many(scheme) => {
                        options(vocab, scheme, &selected)
                    }
                    _ => Vec::new(),
                },
                groups: if s.control == Control::Licence {
                    licence_groups(vocab, &selected)
                } else {
                    Vec::new()
                },
                agents: if s.control == Control::Agents {
                    agent_rows(state.agents.get(s.key), v)
                } else {
                    Vec::new()
                },
                text,
                writable,
                why: if writable {
                    String::new()
                } else {
                    why_not(s.key)
                },
                error: state.errors.get(s.key).cloned(),
                preview,
            }
        })
        .collect()
}

/// The field of the editor a form key names, with its control.
fn control_of(key: &str) -> Option<Control> {
    SPECS.iter().find(|s| s.key == key).map(|s| s.control)
}

/// A submitted value as the document holds it; `Ok(None)` clears the field.
fn value_of(control: Control, values: &[&str]) -> std::result::Result<Option<Value>, String> {
    let first = values.first().map(|v| v.trim()).unwrap_or("");
    Ok(match control {
        Control::Line | Control::Url | Control::Licence | Control::One(_) => {
            (!first.is_empty()).then(|| Value::String(first.to_owned()))
        }
        Control::Text | Control::Markdown => {
            let text = values.first().copied().unwrap_or("").replace("\r\n", "\n");
            let text = text.trim_end();
            (!text.trim().is_empty()).then(|| Value::String(text.to_owned()))
        }
        Control::Lines => {
            let items: Vec<Value> = values
                .iter()
                .flat_map(|v| v.lines())
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .map(|l| Value::String(l.to_owned()))
                .collect();
            (!items.is_empty()).then_some(Value::Array(items))
        }
        Control::Many(_) => {
            let mut items: Vec<String> = values
                .iter()
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
                .collect();
            items.dedup();
            (!items.is_empty())
                .then(|| Value::Array(items.into_iter().map(Value::String).collect()))
        }
        Control::YesNo => match first {
            "" => None,
            "true" => Some(Value::Bool(true)),
            "false" => Some(Value::Bool(false)),
            _ => return Err("Choose yes, no or not said.".into()),
        },
        // Read by `typed_agents`: its values come under its own sub-keys.
        Control::Agents => return Ok(None),
        Control::Json => {
            if first.is_empty() {
                None
            } else {
                Some(serde_json::from_str(first).map_err(|e| {
                    format!(
                        "This is not JSON: line {}, column {}: {e}",
                        e.line(),
                        e.column()
                    )
                })?)
            }
        }
    })
}

/// A form's fields (name, value pairs, in order) applied to `base`: the document the form asks
/// for, with what could not be read kept for the form to show again.
pub fn apply(
    base: &Map<String, Value>,
    form: &[(String, String)],
) -> (Map<String, Value>, FormState) {
    let mut doc = base.clone();
    let mut state = FormState::default();
    let mut carried: Vec<&str> = form
        .iter()
        .filter(|(k, _)| k == "_fields")
        .map(|(_, v)| v.as_str())
        .collect();
    carried.dedup();
    for key in carried {
        let values: Vec<&str> = form
            .iter()
            .filter(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
            .collect();
        let result = match control_of(key) {
            Some(Control::Agents) => {
                let rows = typed_agents(key, form);
                let value = agents_value(&rows);
                if value.is_err() {
                    state.agents.insert(key.to_owned(), rows);
                }
                value
            }
            Some(control) => value_of(control, &values),
            // A field the editor does not draw (added to the form by hand) goes as written, to
            // be judged by the write path.
            None if field(key).is_some() => {
                Ok(values.first().map(|v| Value::String((*v).to_owned())))
            }
            None => continue,
        };
        match result {
            Ok(Some(v)) => {
                doc.insert(key.to_owned(), v);
            }
            Ok(None) => {
                doc.remove(key);
            }
            Err(message) => {
                state.raw.insert(
                    key.to_owned(),
                    values.first().copied().unwrap_or("").to_owned(),
                );
                state.errors.insert(key.to_owned(), message);
            }
        }
    }
    (doc, state)
}

/// The field a problem's JSON pointer is about (`/keywords/2` → `keywords`), or `None` for the
/// document as a whole.
pub fn field_of_pointer(pointer: &str) -> Option<String> {
    let first = pointer.trim_start_matches('/').split('/').next()?;
    (!first.is_empty()).then(|| first.replace("~1", "/").replace("~0", "~"))
}

/// Problems of a refused write placed next to their fields; what belongs to no field is
/// returned apart.
pub fn place(problems: &[Problem], state: &mut FormState) -> Vec<String> {
    let mut general = Vec::new();
    for p in problems {
        let message = if p.closest.is_empty() {
            p.message.clone()
        } else {
            format!("{} (did you mean {}?)", p.message, p.closest.join(", "))
        };
        match field_of_pointer(&p.pointer).or_else(|| p.parameter.clone()) {
            Some(f) if SPECS.iter().any(|s| s.key == f) => {
                let entry = state.errors.entry(f).or_default();
                if !entry.is_empty() {
                    entry.push_str("; ");
                }
                entry.push_str(&message);
            }
            Some(f) => general.push(format!("{f}: {message}")),
            None => general.push(message),
        }
    }
    general
}

/// Labels of the fields the editor does not draw as controls.
const OTHER_LABELS: &[(&str, &str)] = &[
    ("id", "Id"),
    ("visibility", "Visibility"),
    ("status", "Status"),
    ("owner", "Owner"),
    ("ivoid", "IVOA identifier"),
    ("voresource", "VOResource record"),
];

/// The label of a field, for messages, diffs and histories (`datalabImage.keyword` is the
/// label of `datalabImage` and the sub-key).
pub fn label(key: &str) -> String {
    let (top, sub) = match key.split_once('.') {
        Some((t, s)) => (t, Some(s)),
        None => (key, None),
    };
    let name = SPECS
        .iter()
        .find(|s| s.key == top)
        .map(|s| s.label)
        .or_else(|| {
            OTHER_LABELS
                .iter()
                .find(|(k, _)| *k == top)
                .map(|(_, l)| *l)
        })
        .unwrap_or(top);
    match sub {
        Some(sub) => format!("{name}: {sub}"),
        None => name.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn form(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn a_form_becomes_the_document_it_asks_for() {
        let base = json!({"id": "a", "type": "Dataset", "name": "A", "keywords": ["x"],
                          "mission": ["Gaia"], "domain": ["Astronomy"], "license": "CC-BY-4.0"})
        .as_object()
        .cloned()
        .unwrap();
        let (doc, state) = apply(
            &base,
            &form(&[
                ("_csrf", "t"),
                ("_fields", "name"),
                ("name", " B "),
                ("_fields", "keywords"),
                ("keywords", "one\r\n\r\n two \n"),
                ("_fields", "mission"),
                ("_fields", "ESAOfficial"),
                ("ESAOfficial", "true"),
                ("_fields", "creator"),
                ("creator.name", "Ada"),
                ("creator.type", "Person"),
                ("creator.orcid", "0000-0002-1825-0097"),
                ("creator.affiliation", ""),
                ("creator.email", ""),
                ("creator.url", ""),
                ("creator.name", ""),
                ("creator.type", ""),
                ("creator.orcid", ""),
                ("creator.affiliation", ""),
                ("creator.email", ""),
                ("creator.url", ""),
                ("_fields", "abstract"),
                ("abstract", "  "),
            ]),
        );
        assert!(state.errors.is_empty(), "{state:?}");
        assert_eq!(doc["name"], "B");
        assert_eq!(doc["keywords"], json!(["one", "two"]));
        // A control the form carried but left empty clears its field …
        assert!(!doc.contains_key("mission"));
        assert!(!doc.contains_key("abstract"));
        // … one it never carried is left alone.
        assert_eq!(doc["domain"], json!(["Astronomy"]));
        assert_eq!(doc["license"], "CC-BY-4.0");
        assert_eq!(doc["ESAOfficial"], true);
        assert_eq!(
            doc["creator"],
            json!([{"name": "Ada", "type": "Person", "orcid": "0000-0002-1825-0097"}])
        );
        // A row with no name is refused, and shown again as typed.
        let (_, state) = apply(
            &base,
            &form(&[
                ("_fields", "creator"),
                ("creator.name", ""),
                ("creator.email", "a@b.org"),
            ]),
        );
        assert!(state.errors["creator"].contains("no name"));
        assert_eq!(state.agents["creator"][0].email, "a@b.org");
    }

    #[test]
    fn unreadable_values_stay_in_the_form_with_their_message() {
        let base = Map::new();
        let (doc, state) = apply(
            &base,
            &form(&[
                ("_fields", "coverage"),
                ("coverage", "{nope"),
                ("_fields", "status"),
                ("status", "published"),
            ]),
        );
        assert!(!doc.contains_key("coverage"));
        assert_eq!(state.raw["coverage"], "{nope");
        assert!(state.errors["coverage"].starts_with("This is not JSON"));
        // A field the editor never draws goes to the write path to be judged there.
        assert_eq!(doc["status"], "published");
        let (doc, _) = apply(&base, &form(&[("_fields", "no-such"), ("no-such", "x")]));
        assert!(doc.is_empty());
    }

    #[test]
    fn problems_land_next_to_their_fields() {
        let mut state = FormState::default();
        let general = place(
            &[
                Problem {
                    pointer: "/keywords/2".into(),
                    message: "too long".into(),
                    closest: vec![],
                    parameter: None,
                    position: None,
                    file: None,
                    line: None,
                    column: None,
                },
                Problem {
                    pointer: "/mission/0".into(),
                    message: "unknown".into(),
                    closest: vec!["Gaia".into()],
                    parameter: None,
                    position: None,
                    file: None,
                    line: None,
                    column: None,
                },
                Problem {
                    pointer: "".into(),
                    message: "bad".into(),
                    closest: vec![],
                    parameter: None,
                    position: None,
                    file: None,
                    line: None,
                    column: None,
                },
            ],
            &mut state,
        );
        assert_eq!(state.errors["keywords"], "too long");
        assert_eq!(state.errors["mission"], "unknown (did you mean Gaia?)");
        assert_eq!(general, ["bad"]);
        assert_eq!(field_of_pointer("/a~1b/0").as_deref(), Some("a/b"));
    }

    #[test]
    fn the_reason_names_who_may_write() {
        assert_eq!(
            why_not("domain"),
            "Only moderators and the science-applications team may change this."
        );
        assert_eq!(
            why_not("name"),
            "Only the owner, moderators and the science-applications team may change this."
        );
        assert!(why_not("dateCreated").contains("platform's services"));
        assert!(why_not("status").contains("workflow"));
        let dev = Caller::Account {
            user: "alice".into(),
            groups: vec![],
            roles: vec![Role::Developer],
        };
        assert!(writable(&dev, Some("alice"), "datalabImage"));
        assert!(!writable(&dev, Some("alice"), "build"));
        assert!(!writable(&dev, Some("bob"), "name"));
    }
}
