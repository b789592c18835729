//! Image labels and annotations, and application-hub profiles, read into manifest keys.
//!
//! The OCI annotation keys (`org.opencontainers.image.*`) come first; the older Label Schema
//! keys (`org.label-schema.*`) and `maintainer` fill what they leave out; the keys of the
//! datalab manifest itself may be given as labels under `org.w3id.esado.` (lists comma
//! separated), since an image's labels are the only place a Dockerfile can say them.

use serde_json::{Map, Value};

/// The OCI annotation prefix.
pub const OCI: &str = "org.opencontainers.image.";

#[derive(Clone, Copy)]
enum Shape {
    Text,
    /// Comma-separated.
    List,
    Url,
    Date,
    Path,
    Flag,
}

/// Label → manifest key, in order of precedence.
const TABLE: &[(&str, &str, Shape)] = &[
    ("org.opencontainers.image.title", "name", Shape::Text),
    (
        "org.opencontainers.image.description",
        "description",
        Shape::Text,
    ),
    ("org.opencontainers.image.version", "version", Shape::Text),
    ("org.opencontainers.image.licenses", "license", Shape::Text),
    ("org.opencontainers.image.authors", "authors", Shape::List),
    ("org.opencontainers.image.vendor", "vendor", Shape::Text),
    (
        "org.opencontainers.image.documentation",
        "documentation",
        Shape::Url,
    ),
    ("org.opencontainers.image.url", "documentation", Shape::Url),
    ("org.opencontainers.image.source", "source", Shape::Url),
    ("org.opencontainers.image.created", "created", Shape::Date),
    ("org.w3id.esado.id", "id", Shape::Text),
    ("org.w3id.esado.name", "name", Shape::Text),
    ("org.w3id.esado.display-name", "displayName", Shape::Text),
    ("org.w3id.esado.abstract", "abstract", Shape::Text),
    (
        "org.w3id.esado.version-description",
        "versionDescription",
        Shape::Text,
    ),
    ("org.w3id.esado.keywords", "keywords", Shape::List),
    ("org.w3id.esado.citation", "citation", Shape::Text),
    ("org.w3id.esado.default-url", "defaultUrl", Shape::Path),
    ("org.w3id.esado.mount-paths", "mountPaths", Shape::List),
    ("org.w3id.esado.tags", "tags", Shape::List),
    ("org.w3id.esado.groups", "groups", Shape::List),
    ("org.w3id.esado.users", "users", Shape::List),
    ("org.w3id.esado.file-types", "fileTypes", Shape::List),
    ("org.w3id.esado.property", "property", Shape::List),
    ("org.w3id.esado.mission", "mission", Shape::List),
    ("org.w3id.esado.domain", "domain", Shape::List),
    ("org.w3id.esado.audience-type", "audienceType", Shape::List),
    ("org.w3id.esado.esa-official", "esaOfficial", Shape::Flag),
    ("org.label-schema.name", "name", Shape::Text),
    ("org.label-schema.description", "description", Shape::Text),
    ("org.label-schema.version", "version", Shape::Text),
    ("org.label-schema.vendor", "vendor", Shape::Text),
    ("org.label-schema.usage", "documentation", Shape::Url),
    ("org.label-schema.url", "documentation", Shape::Url),
    ("org.label-schema.vcs-url", "source", Shape::Url),
    ("org.label-schema.build-date", "created", Shape::Date),
    ("maintainer", "authors", Shape::List),
];

/// The string values of a JSON object (labels, annotations), in its order.
pub fn string_map(v: Option<&Value>) -> Vec<(String, String)> {
    v.and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| v.as_str().map(|s| (k.clone(), s.to_owned())))
                .collect()
        })
        .unwrap_or_default()
}

/// Manifest keys from labels; a value of the wrong shape is left out with a notice.
pub fn to_manifest(labels: &[(String, String)], notices: &mut Vec<String>) -> Map<String, Value> {
    let mut out = Map::new();
    for (label, key, shape) in TABLE {
        let Some((_, raw)) = labels.iter().rev().find(|(k, _)| k == label) else {
            continue;
        };
        let raw = raw.trim();
        if raw.is_empty() || out.contains_key(*key) {
            continue;
        }
        let value = match shape {
            Shape::Text => Some(Value::String(raw.to_owned())),
            Shape::List => Some(Value::Array(
                raw.split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(|s| Value::String(s.to_owned()))
                    .collect(),
            )),
            Shape::Url => url::Url::parse(raw)
                .ok()
                .filter(|u| matches!(u.scheme(), "http" | "https"))
                .map(|_| Value::String(raw.to_owned())),
            Shape::Date => chrono::DateTime::parse_from_rfc3339(raw)
                .ok()
                .map(|_| Value::String(raw.to_owned())),
            Shape::Path => Some(Value::String(path(raw))),
            Shape::Flag => match raw.to_ascii_lowercase().as_str() {
                "true" | "yes" | "1" => Some(Value::Bool(true)),
                "false" | "no" | "0" => Some(Value::Bool(false)),
                _ => None,
            },
        };
        match value {
            Some(v) => {
                out.insert((*key).to_owned(), v);
            }
            None => notices.push(format!(
                "the label {label} ({raw:?}) is not {}: left out",
                match shape {
                    Shape::Url => "an http(s) URL",
                    Shape::Date => "an RFC 3339 date-time",
                    _ => "true or false",
                }
            )),
        }
    }
    if let Some(Value::String(r)) = labels
        .iter()
        .find(|(k, _)| k == "org.opencontainers.image.ref.name")
        .map(|(_, v)| Value::String(v.clone()))
        && !r.contains(['/', ':', '@'])
        && !out.contains_key("tags")
    {
        out.insert("tags".into(), Value::Array(vec![Value::String(r)]));
    }
    out
}

/// `/lab` from `lab` or `/lab`.
fn path(raw: &str) -> String {
    if raw.starts_with('/') {
        raw.to_owned()
    } else {
        format!("/{raw}")
    }
}

/// One image of `docker inspect`: its labels, the reference it was pulled as, when it was
/// built.
pub fn docker_inspect(image: &Value, notices: &mut Vec<String>) -> Map<String, Value> {
    let config = image.get("Config").or_else(|| image.get("config"));
    let found = string_map(config.and_then(|c| c.get("Labels")));
    let mut out = to_manifest(&found, notices);
    let reference = ["RepoTags", "RepoDigests"]
        .iter()
        .filter_map(|k| image.get(k).and_then(Value::as_array))
        .flatten()
        .find_map(Value::as_str);
    if let Some(r) = reference {
        out.entry("image").or_insert(Value::String(r.to_owned()));
    }
    if let Some(c) = image.get("Created").and_then(Value::as_str)
        && chrono::DateTime::parse_from_rfc3339(c).is_ok()
    {
        out.entry("created").or_insert(Value::String(c.to_owned()));
    }
    out
}

/// An application-hub profile (`id`, `groups`, `definition`, `default_url`, `volumes`).
pub fn app_hub(profile: &Value) -> Map<String, Value> {
    let mut out = Map::new();
    let text = |v: Option<&Value>| v.and_then(Value::as_str).map(str::to_owned);
    let definition = profile.get("definition");
    let at = |k: &str| definition.and_then(|d| d.get(k));
    let over = at("kubespawner_override");
    if let Some(image) = text(over.and_then(|o| o.get("image"))) {
        out.insert("image".into(), Value::String(image));
    }
    let id = text(profile.get("id")).or_else(|| text(at("slug")));
    if let Some(id) = id {
        out.insert(
            "id".into(),
            Value::String(crate::model::text::slug(&id, "datalab")),
        );
    }
    if let Some(n) = text(at("display_name")) {
        out.insert("name".into(), Value::String(n));
    }
    if let Some(d) = text(at("description")).filter(|d| !d.trim().is_empty()) {
        out.insert("description".into(), Value::String(d));
    }
    let default_url = text(profile.get("default_url"))
        .or_else(|| text(at("default_url")))
        .or_else(|| text(over.and_then(|o| o.get("default_url"))));
    if let Some(u) = default_url.filter(|u| !u.trim().is_empty()) {
        out.insert("defaultUrl".into(), Value::String(path(u.trim())));
    }
    if let Some(groups) = profile.get("groups").and_then(Value::as_array) {
        let list: Vec<Value> = groups
            .iter()
            .filter_map(Value::as_str)
            .map(|g| Value::String(g.to_owned()))
            .collect();
        if !list.is_empty() {
            out.insert("groups".into(), Value::Array(list));
        }
    }
    let mounts: Vec<Value> = profile
        .get("volumes")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|v| v.get("volume_mount")?.get("mount_path")?.as_str())
        .map(|p| Value::String(p.to_owned()))
        .collect();
    if !mounts.is_empty() {
        out.insert("mountPaths".into(), Value::Array(mounts));
    }
    out
}
