//! Datalab packages as they are pushed: what a datalab says of itself beside its container
//! image, read into one manifest (`schemas/datalab-manifest.schema.json`) whatever form it
//! came in:
//!
//! - the manifest itself (`datalab.json`, YAML or JSON);
//! - an OCI image config (`config.Labels`), or `docker inspect`'s output (`Config.Labels`,
//!   `RepoTags`);
//! - an OCI image manifest or index (`annotations`), or a flat map of annotations;
//! - an EOEPCA application-hub profile (`definition.kubespawner_override.image`,
//!   `display_name`, `default_url`, `groups`, `volumes[].volume_mount.mount_path`), alone or
//!   as one entry of a `profiles` list;
//! - a Dockerfile, through its `LABEL`s.
//!
//! A bundle (zip or tar.gz) holds one of these at its root and, usually, the Dockerfile the
//! image is built from, whose labels fill what the descriptor leaves out. The manifest is then
//! checked against its schema, so that every form is held to the same rules and each problem
//! names the file and the JSON pointer it is about.

pub mod asset;
pub mod dockerfile;
mod labels;

use serde::Deserialize;
use serde_json::{Map, Value};

use super::ArtefactError;
use super::cwl::{Bundle, Source};
use super::yaml::{self, Pos};

pub use asset::to_asset;

/// The manifest's JSON schema.
pub const SCHEMA: &str = include_str!("../../../schemas/datalab-manifest.schema.json");

/// The forms a package's descriptor may take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Form {
    Manifest,
    OciConfig,
    DockerInspect,
    OciManifest,
    Annotations,
    AppHubProfile,
    Dockerfile,
}

impl Form {
    pub fn name(self) -> &'static str {
        match self {
            Form::Manifest => "datalab manifest",
            Form::OciConfig => "OCI image config",
            Form::DockerInspect => "docker inspect output",
            Form::OciManifest => "OCI image manifest",
            Form::Annotations => "OCI annotations",
            Form::AppHubProfile => "application-hub profile",
            Form::Dockerfile => "Dockerfile labels",
        }
    }
}

/// An author as a manifest names one.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(untagged)]
pub enum Author {
    /// `Name <email>`, as OCI's `authors` writes it.
    Text(String),
    Full {
        name: String,
        email: Option<String>,
        orcid: Option<String>,
        affiliation: Option<String>,
        #[serde(rename = "type")]
        kind: Option<String>,
    },
}

/// The manifest (see its schema for what each key means).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Manifest {
    pub image: String,
    pub id: Option<String>,
    pub name: Option<String>,
    pub display_name: Option<String>,
    pub description: Option<String>,
    #[serde(rename = "abstract")]
    pub abstract_: Option<String>,
    pub version: Option<String>,
    pub version_description: Option<String>,
    pub license: Option<String>,
    #[serde(default)]
    pub authors: Vec<Author>,
    pub vendor: Option<String>,
    #[serde(default)]
    pub keywords: Vec<String>,
    pub documentation: Option<String>,
    pub source: Option<String>,
    pub citation: Option<String>,
    pub created: Option<String>,
    pub default_url: Option<String>,
    #[serde(default)]
    pub mount_paths: Vec<String>,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub groups: Vec<String>,
    #[serde(default)]
    pub users: Vec<String>,
    #[serde(default)]
    pub file_types: Vec<String>,
    #[serde(default)]
    pub property: Vec<String>,
    #[serde(default)]
    pub mission: Vec<String>,
    #[serde(default)]
    pub domain: Vec<String>,
    #[serde(default)]
    pub audience_type: Vec<String>,
    pub esa_official: Option<bool>,
}

/// A package read: its manifest, the file it was read from and in what form.
#[derive(Debug, Clone, PartialEq)]
pub struct Package {
    pub manifest: Manifest,
    pub descriptor: String,
    pub form: Form,
    /// What was left out, and why.
    pub notices: Vec<String>,
}

/// What the push says beside the package.
#[derive(Debug, Clone, Copy, Default)]
pub struct Given<'a> {
    /// The image reference, when the descriptor cannot say it (an OCI config does not).
    pub image: Option<&'a str>,
    /// Which profile of an application-hub `profiles` list (its `id` or `slug`).
    pub profile: Option<&'a str>,
}

/// Why a package was refused: one problem, or the manifest's schema problems (each with the
/// JSON pointer it is about).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Refusal {
    #[error("{0}")]
    At(#[from] ArtefactError),
    #[error("{file} ({}) does not follow the datalab manifest schema", form.name())]
    Schema {
        file: String,
        form: Form,
        problems: Vec<(String, String)>,
    },
}

fn refuse(file: &str, message: impl Into<String>) -> Refusal {
    Refusal::At(ArtefactError::new(file, Pos::default(), message))
}

/// The descriptors a bundle may hold at its root, in the order they are looked for.
const DESCRIPTORS: &[&str] = &[
    "datalab.json",
    "datalab.yaml",
    "datalab.yml",
    "manifest.json",
    "config.json",
    "annotations.json",
    "profile.yaml",
    "profile.yml",
    "profile.json",
    "config.yaml",
    "config.yml",
];

/// The container files a bundle may hold at its root.
const CONTAINERFILES: &[&str] = &["Dockerfile", "Containerfile"];

/// Whether a path names a container file (`Dockerfile`, `Containerfile`, `x.Dockerfile`,
/// `Dockerfile.x`, in any case).
pub fn is_containerfile(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path).to_ascii_lowercase();
    ["dockerfile", "containerfile"].iter().any(|c| {
        name == *c
            || name
                .strip_prefix(c)
                .is_some_and(|rest| rest.starts_with('.'))
            || name.strip_suffix(c).is_some_and(|rest| rest.ends_with('.'))
    })
}

/// Reads a package: a bundle, or a bundle of the one file pushed.
pub fn read(bundle: &Bundle, given: Given<'_>) -> Result<Package, Refusal> {
    let (descriptor, form, mut value, mut notices) = descriptor(bundle, given)?;
    // A Dockerfile beside the descriptor fills what it leaves out.
    if form != Form::Dockerfile
        && let Some(path) = CONTAINERFILES
            .iter()
            .find(|c| Source::file(bundle, c).is_some())
        && let Some(bytes) = Source::file(bundle, path)
    {
        let text = String::from_utf8_lossy(&bytes);
        let (found, more) = dockerfile::labels(&text);
        notices.extend(more);
        let from_labels = labels::to_manifest(&found, &mut notices);
        for (k, v) in from_labels {
            value.entry(k).or_insert(v);
        }
    }
    if let Some(image) = given.image {
        value.insert("image".into(), Value::String(image.to_owned()));
    }
    if !value.contains_key("image") {
        return Err(refuse(
            &descriptor,
            format!(
                "the {} does not name the container image: give it with the `image` parameter",
                form.name()
            ),
        ));
    }
    let value = Value::Object(value);
    check(&descriptor, form, &value)?;
    let manifest: Manifest = serde_json::from_value(value)
        .map_err(|e| refuse(&descriptor, format!("not a datalab manifest: {e}")))?;
    Ok(Package {
        manifest,
        descriptor,
        form,
        notices,
    })
}

type Found = (String, Form, Map<String, Value>, Vec<String>);

/// The descriptor of a package and what it says, as manifest keys.
fn descriptor(bundle: &Bundle, given: Given<'_>) -> Result<Found, Refusal> {
    let path = if bundle.len() == 1 {
        bundle.paths().next().map(str::to_owned)
    } else {
        DESCRIPTORS
            .iter()
            .chain(CONTAINERFILES)
            .find(|d| Source::file(bundle, d).is_some())
            .map(|d| (*d).to_owned())
    };
    let Some(path) = path else {
        return Err(refuse(
            "the upload",
            format!(
                "a datalab package holds at its root one of {} (or a Dockerfile with labels)",
                DESCRIPTORS.join(", ")
            ),
        ));
    };
    let bytes = Source::file(bundle, &path).unwrap_or_default();
    let text = std::str::from_utf8(&bytes).map_err(|_| refuse(&path, "not UTF-8 text"))?;
    let mut notices = Vec::new();
    if is_containerfile(&path) || looks_like_dockerfile(text) {
        let (found, more) = dockerfile::labels(text);
        notices.extend(more);
        let value = labels::to_manifest(&found, &mut notices);
        return Ok((path, Form::Dockerfile, value, notices));
    }
    let node = yaml::parse(text, &path)?;
    let json = node.to_json();
    let (form, value) = shape(&path, json, given, &mut notices)?;
    Ok((path, form, value, notices))
}

/// A document whose first instruction is `FROM` (or `ARG`, `#` directives before it).
fn looks_like_dockerfile(text: &str) -> bool {
    text.lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with('#'))
        .and_then(|l| l.split_whitespace().next())
        .is_some_and(|w| w.eq_ignore_ascii_case("FROM") || w.eq_ignore_ascii_case("ARG"))
}

fn object(v: &Value) -> Option<&Map<String, Value>> {
    v.as_object()
}

/// Tells the form of a structured descriptor and reads it into manifest keys.
fn shape(
    path: &str,
    json: Value,
    given: Given<'_>,
    notices: &mut Vec<String>,
) -> Result<(Form, Map<String, Value>), Refusal> {
    // `docker inspect IMAGE` prints a list of one object.
    if let Value::Array(items) = &json {
        return match items.as_slice() {
            [one] if object(one).is_some_and(|o| o.contains_key("Config")) => {
                Ok((Form::DockerInspect, labels::docker_inspect(one, notices)))
            }
            _ => Err(refuse(
                path,
                "a list is read only as `docker inspect` output of one image",
            )),
        };
    }
    let Some(map) = object(&json) else {
        return Err(refuse(
            path,
            "not a datalab descriptor: a mapping is expected",
        ));
    };
    if let Some(Value::Array(profiles)) = map.get("profiles") {
        let profile = pick_profile(path, profiles, given.profile)?;
        return Ok((Form::AppHubProfile, labels::app_hub(profile)));
    }
    if map.get("definition").is_some_and(Value::is_object) {
        return Ok((Form::AppHubProfile, labels::app_hub(&json)));
    }
    if let Some(config) = map.get("config").and_then(object)
        && (map.contains_key("architecture")
            || map.contains_key("rootfs")
            || config.contains_key("Labels"))
    {
        let found = labels::string_map(config.get("Labels"));
        return Ok((Form::OciConfig, labels::to_manifest(&found, notices)));
    }
    if map.contains_key("Config") {
        return Ok((Form::DockerInspect, labels::docker_inspect(&json, notices)));
    }
    if map.contains_key("schemaVersion") || map.contains_key("mediaType") {
        let found = labels::string_map(map.get("annotations"));
        if found.is_empty() {
            return Err(refuse(
                path,
                "an OCI image manifest without annotations says nothing of the datalab",
            ));
        }
        return Ok((Form::OciManifest, labels::to_manifest(&found, notices)));
    }
    if map.keys().any(|k| k.starts_with(labels::OCI)) {
        let found = labels::string_map(Some(&json));
        return Ok((Form::Annotations, labels::to_manifest(&found, notices)));
    }
    if map.contains_key("image") {
        return Ok((Form::Manifest, map.clone()));
    }
    Err(refuse(
        path,
        "not a datalab descriptor: expected a datalab manifest (with `image`), an OCI image config, manifest or annotations, `docker inspect` output, or an application-hub profile",
    ))
}

fn pick_profile<'a>(
    path: &str,
    profiles: &'a [Value],
    asked: Option<&str>,
) -> Result<&'a Value, Refusal> {
    let names = |p: &Value| -> Vec<String> {
        let id = p.get("id").and_then(Value::as_str);
        let slug = p
            .get("definition")
            .and_then(|d| d.get("slug"))
            .and_then(Value::as_str);
        id.into_iter().chain(slug).map(str::to_owned).collect()
    };
    match (asked, profiles) {
        (None, [one]) => Ok(one),
        (Some(a), _) => profiles
            .iter()
            .find(|p| names(p).iter().any(|n| n == a))
            .ok_or_else(|| refuse(path, format!("no profile {a:?} in the `profiles` list"))),
        (None, _) => {
            let all: Vec<String> = profiles
                .iter()
                .flat_map(|p| names(p).into_iter().take(1))
                .collect();
            Err(refuse(
                path,
                format!(
                    "the `profiles` list holds {} profiles ({}): name one with the `profile` parameter",
                    profiles.len(),
                    all.join(", ")
                ),
            ))
        }
    }
}

/// The manifest's schema, compiled once.
fn validator() -> &'static Result<jsonschema::Validator, String> {
    static VALIDATOR: std::sync::OnceLock<Result<jsonschema::Validator, String>> =
        std::sync::OnceLock::new();
    VALIDATOR.get_or_init(|| crate::model::document::compile_schema(SCHEMA))
}

fn check(file: &str, form: Form, value: &Value) -> Result<(), Refusal> {
    let v = validator()
        .as_ref()
        .map_err(|e| refuse(file, format!("the manifest schema does not compile: {e}")))?;
    let problems: Vec<(String, String)> = v
        .iter_errors(value)
        .map(|e| (e.instance_path().to_string(), e.to_string()))
        .collect();
    if problems.is_empty() {
        Ok(())
    } else {
        Err(Refusal::Schema {
            file: file.to_owned(),
            form,
            problems,
        })
    }
}

#[cfg(test)]
mod tests;
