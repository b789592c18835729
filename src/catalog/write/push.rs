//! `POST /api/v1/pipelines`: a pipeline pushed as it is — one CWL file, a packed `$graph`
//! document, or a zip or tar.gz bundle with `manifest.json` — becomes a new version of a
//! pipeline asset (created on its first push). The CWL is read and checked (`artefact::cwl`);
//! what it says fills the asset's fields, the manifest and the request's parameters say the
//! rest; every file of the bundle is kept as it came, with the version, in the same commit as
//! the asset's change. A published version is never changed: pushing to it again is refused.
//! A push to a published public pipeline waits for review like any other edit of it.

use std::sync::Arc;

use serde::Deserialize;
use serde_json::{Value, json};

use super::{Edit, IfMatch, Result, WriteError, Written, create_asset, current, edit};
use crate::access::{Caller, policy};
use crate::artefact::ArtefactError;
use crate::artefact::archive::{self, Caps, Kind};
use crate::artefact::cwl::{self, Bundle, Limits};
use crate::catalog::Catalog;
use crate::model::asset::{Asset, Audience, Sharing};
use crate::model::diff::diff;
use crate::model::{Problem, document};
use crate::store::{NewVersion, Version};

const MANIFEST_SCHEMA: &str = include_str!("../../../schemas/pipeline-manifest.schema.json");

/// What a push carries.
#[derive(Debug, Clone, Default)]
pub struct Push {
    pub bytes: Vec<u8>,
    /// The name of a single pushed file (`pipeline.cwl` when not given).
    pub file_name: Option<String>,
    pub id: Option<String>,
    pub version: Option<String>,
    pub version_description: Option<String>,
    pub engine: Option<String>,
    pub entry: Option<String>,
    /// Documents the CWL may name by URL, served from local folders.
    pub mirrors: cwl::Mirrors,
}

/// What a push made.
#[derive(Debug, Clone)]
pub struct Pushed {
    pub written: Written,
    pub version: Version,
    pub created: bool,
    /// What was left out, and why.
    pub notices: Vec<String>,
}

/// `manifest.json` (see `schemas/pipeline-manifest.schema.json`).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Manifest {
    id: Option<String>,
    name: Option<String>,
    description: Option<String>,
    #[serde(default)]
    keywords: Vec<String>,
    version: Option<String>,
    version_description: Option<String>,
    default_engine: Option<String>,
    entry_point: Option<String>,
    license: Option<String>,
    #[serde(default)]
    allowed_users: Vec<String>,
    #[serde(default)]
    allowed_groups: Vec<String>,
}

pub(super) fn invalid(e: ArtefactError) -> WriteError {
    WriteError::Invalid(
        e.to_string(),
        vec![Problem::in_file(&e.file, e.at.line, e.at.column, e.message)],
    )
}

pub(super) fn refused(message: impl Into<String>) -> WriteError {
    let message = message.into();
    WriteError::Invalid(message.clone(), vec![Problem::in_file("", 0, 0, message)])
}

/// The manifest's schema, compiled once.
fn manifest_validator() -> &'static std::result::Result<jsonschema::Validator, String> {
    static VALIDATOR: std::sync::OnceLock<std::result::Result<jsonschema::Validator, String>> =
        std::sync::OnceLock::new();
    VALIDATOR.get_or_init(|| document::compile_schema(MANIFEST_SCHEMA))
}

fn manifest(bundle: &Bundle) -> Result<Manifest> {
    let Some(bytes) = cwl::Source::file(bundle, "manifest.json") else {
        return Ok(Manifest::default());
    };
    let value: Value = serde_json::from_slice(&bytes).map_err(|e| {
        invalid(ArtefactError::new(
            "manifest.json",
            crate::artefact::yaml::Pos {
                file: 0,
                line: e.line() as u64,
                column: e.column() as u64,
            },
            format!("not JSON: {e}"),
        ))
    })?;
    let validator = manifest_validator()
        .as_ref()
        .map_err(|e| WriteError::State(format!("the manifest schema: {e}")))?;
    let problems: Vec<Problem> = validator
        .iter_errors(&value)
        .map(|e| {
            let mut p = Problem::in_file("manifest.json", 0, 0, e.to_string());
            p.pointer = e.instance_path().to_string();
            p
        })
        .collect();
    if !problems.is_empty() {
        return Err(WriteError::Invalid(
            "manifest.json does not follow its schema".into(),
            problems,
        ));
    }
    serde_json::from_value(value).map_err(|e| refused(format!("manifest.json: {e}")))
}

/// The entry file: asked for, named by the manifest, else the bundle's one `*.cwl` at its
/// root (a `*.pipeline.cwl` first).
fn entry_of(bundle: &Bundle, asked: Option<&str>) -> Result<String> {
    if let Some(e) = asked {
        return Ok(e.to_owned());
    }
    let roots: Vec<&str> = bundle
        .paths()
        .filter(|p| !p.contains('/') && p.ends_with(".cwl"))
        .collect();
    let pipelines: Vec<&str> = roots
        .iter()
        .copied()
        .filter(|p| p.ends_with(".pipeline.cwl"))
        .collect();
    match (pipelines.as_slice(), roots.as_slice()) {
        ([one], _) | ([], [one]) => Ok((*one).to_owned()),
        _ => Err(refused(format!(
            "the bundle does not say which CWL file the pipeline starts from (its root holds {}): name it with `entryPoint` in manifest.json or the `entry` parameter",
            if roots.is_empty() {
                "no .cwl file".to_owned()
            } else {
                roots.join(", ")
            }
        ))),
    }
}

/// Reads a push into the asset it describes, the version to store and the notices.
fn read(p: &Push, catalog: &Catalog) -> Result<(Asset, NewVersion, Vec<String>)> {
    let bundle = match archive::kind(&p.bytes) {
        Kind::Zip | Kind::TarGz => {
            archive::read(&p.bytes, "the upload", Caps::default()).map_err(invalid)?
        }
        Kind::Document => {
            let name = p.file_name.as_deref().unwrap_or("pipeline.cwl");
            Bundle::single(name, p.bytes.clone()).map_err(invalid)?
        }
    };
    let m = manifest(&bundle)?;
    let entry = entry_of(&bundle, p.entry.as_deref().or(m.entry_point.as_deref()))?;
    let reading =
        cwl::read(&bundle, &entry, &p.mirrors.as_mirrors(), Limits::default()).map_err(invalid)?;
    let (mut asset, mut notices) = cwl::to_asset(&reading, &catalog.vocab);
    if let Some(name) = &m.name {
        asset.name = name.clone();
    }
    if let Some(d) = &m.description {
        let first = d.trim().split("\n\n").next().unwrap_or(d).trim();
        asset.abstract_ =
            Some(first.chars().take(5000).collect()).filter(|a: &String| !a.is_empty());
        asset.description = Some(d.clone());
    }
    if !m.keywords.is_empty() {
        asset.keywords = m.keywords.clone();
    }
    if let Some(l) = &m.license {
        asset.license = Some(l.clone());
    }
    let version = p
        .version
        .clone()
        .or(m.version.clone())
        .or(asset.version.clone())
        .ok_or_else(|| {
            refused("the push names no version: give `version` (a parameter, in manifest.json, or s:softwareVersion in the CWL)")
        })?;
    if version.is_empty() || version.chars().count() > 100 {
        return Err(refused("a version name is 1 to 100 characters"));
    }
    asset.version = Some(version.clone());
    let engine = p.engine.clone().or(m.default_engine.clone());
    if let Some(e) = &engine
        && e != "cwltool"
        && e != "Calrissian"
    {
        return Err(refused(format!(
            "{e:?} is not an engine this platform runs: cwltool or Calrissian"
        )));
    }
    if let Some(pl) = &mut asset.pipeline {
        pl.default_engine = engine.clone();
    }
    if !m.allowed_users.is_empty() || !m.allowed_groups.is_empty() {
        asset.visibility = Some(Sharing {
            audience: Some(Audience::Private),
            users: m.allowed_users.clone(),
            groups: m.allowed_groups.clone(),
        });
    }
    if let Some(id) = p.id.clone().or(m.id.clone()) {
        asset.id = id;
    }
    // The asset must be a valid document before anything is stored.
    let text = serde_json::to_vec(&asset).map_err(|e| WriteError::State(e.to_string()))?;
    let asset = document::parse(&text, &catalog.vocab).map_err(WriteError::Document)?;
    let meta = version_meta(&asset);
    let mut files: Vec<(String, Vec<u8>)> = bundle
        .files()
        .map(|(p, b)| (p.to_owned(), b.to_vec()))
        .collect();
    files.sort_by(|a, b| a.0.cmp(&b.0));
    notices.extend(
        reading
            .files
            .iter()
            .filter(|(p, _)| cwl::Source::file(&bundle, p).is_none())
            .map(|(p, _)| format!("{p} was read but is not in the bundle")),
    );
    Ok((
        asset,
        NewVersion {
            name: version,
            description: p.version_description.clone().or(m.version_description),
            actor: None,
            entry: Some(entry),
            files,
            meta,
        },
        notices,
    ))
}

/// What a version keeps of what was read of its files: the pipeline's fields, its name, its
/// CWL version.
pub(crate) fn version_meta(asset: &Asset) -> Value {
    json!({
        "pipeline": asset.pipeline,
        "name": asset.name,
        "cwlVersion": asset.pipeline.as_ref().and_then(|p| p.cwl_version.clone()),
    })
}

/// Pushes a pipeline: a new version of the asset it names (made on the first push).
pub async fn push(catalog: &Catalog, caller: &Caller, p: Push) -> Result<Pushed> {
    let (asset, version, notices) = read(&p, catalog)?;
    store(catalog, caller, asset, version, notices).await
}

/// The fields of a pushed asset its caller may write; the others are left out, each with a
/// notice (the version keeps what was read of them). An application account's fields, such
/// as the date an image was built, are not a developer's to set.
pub(super) fn writable(
    caller: &Caller,
    asset: Asset,
    owner: Option<&str>,
    notices: &mut Vec<String>,
) -> Result<Asset> {
    let refused: Vec<String> = diff(None, Some(&asset))
        .into_iter()
        .map(|c| c.field)
        .filter(|f| !matches!(f.as_str(), "id" | "type" | "status" | "owner"))
        .filter(|f| !policy::may_write(caller, owner, f))
        .collect();
    if refused.is_empty() {
        return Ok(asset);
    }
    // A caller who may not write an asset's name may not push to it at all.
    if refused.iter().any(|f| f == "name") {
        return Err(super::forbidden_fields(refused));
    }
    let mut doc = serde_json::to_value(&asset).map_err(|e| WriteError::State(e.to_string()))?;
    for field in &refused {
        notices.push(format!(
            "{field} is not written by this account: kept with the version, left out of the asset"
        ));
        match field.split_once('.') {
            Some((key, sub)) => {
                if let Some(Value::Object(inner)) = doc.get_mut(key) {
                    inner.remove(sub);
                }
            }
            None => {
                if let Value::Object(top) = &mut doc {
                    top.remove(field);
                }
            }
        }
    }
    serde_json::from_value(doc).map_err(|e| WriteError::State(e.to_string()))
}

/// What a push replaces in an asset it updates: every field it sets, whole, except the image
/// fields, set one by one (an image's build id, written by the platform, stays).
fn merged(current: &Asset, pushed: &Asset) -> Result<Asset> {
    let state = |e: serde_json::Error| WriteError::State(e.to_string());
    let mut next = serde_json::to_value(current).map_err(state)?;
    let Value::Object(fields) = serde_json::to_value(pushed).map_err(state)? else {
        return Err(WriteError::State("an asset is a JSON object".into()));
    };
    if let Value::Object(target) = &mut next {
        for (key, value) in fields {
            if matches!(
                key.as_str(),
                "id" | "type" | "status" | "owner" | "revision" | "links" | "dateModified"
            ) {
                continue;
            }
            match (key.as_str(), target.get_mut(&key), value) {
                ("datalabImage", Some(Value::Object(old)), Value::Object(new)) => {
                    old.extend(new);
                }
                (_, _, value) => {
                    target.insert(key, value);
                }
            }
        }
    }
    serde_json::from_value(next).map_err(state)
}

/// Stores a push: the asset made or updated with what the push says, and its version, in one
/// commit.
pub(super) async fn store(
    catalog: &Catalog,
    caller: &Caller,
    asset: Asset,
    mut version: NewVersion,
    mut notices: Vec<String>,
) -> Result<Pushed> {
    version.actor = match caller {
        Caller::Account { user, .. } => Some(user.clone()),
        Caller::Operator => Some("operator".into()),
        Caller::Anonymous => None,
    };
    let id = asset.id.clone();
    let store = catalog.store.clone();
    let (key, name) = (id.clone(), version.name.clone());
    let existing = tokio::task::spawn_blocking(move || store.version(&key, &name))
        .await
        .map_err(|e| WriteError::State(e.to_string()))??;
    if existing.as_ref().is_some_and(|v| v.published) {
        return Err(WriteError::State(format!(
            "version {:?} of {id:?} is published and cannot change: push a new version",
            version.name
        )));
    }
    let found = match current(catalog, caller, &id).await {
        Ok(cur) => Some(cur),
        Err(WriteError::NotFound(_)) => None,
        Err(e) => return Err(e),
    };
    let created = found.is_none();
    let written = if let Some(cur) = found {
        if cur.target().kind != asset.kind {
            return Err(WriteError::Taken(format!(
                "{id:?} is a {}, not a {}: push under another id",
                cur.target().kind,
                asset.kind
            )));
        }
        // What the caller may not write stays as it is, with a notice.
        let owner = cur.target().owner.clone();
        let asset = writable(caller, asset, owner.as_deref(), &mut notices)?;
        let next = merged(cur.target(), &asset)?;
        let if_match = Some(IfMatch::Revisions(vec![cur.revision]));
        edit(
            catalog,
            caller,
            &id,
            Edit::Replace(Box::new(next)),
            if_match.as_ref(),
            Some(version.clone()),
        )
        .await?
    } else {
        let owner = match caller {
            Caller::Account { user, .. } => Some(user.as_str()),
            _ => None,
        };
        let asset = writable(caller, asset, owner, &mut notices)?;
        create_asset(catalog, caller, asset, Some(version.clone())).await?
    };
    let store: Arc<crate::store::Store> = catalog.store.clone();
    let (key, name) = (id.clone(), version.name.clone());
    let stored = tokio::task::spawn_blocking(move || store.version(&key, &name))
        .await
        .map_err(|e| WriteError::State(e.to_string()))??
        .ok_or_else(|| {
            WriteError::State(format!("version {} of {id} was not stored", version.name))
        })?;
    Ok(Pushed {
        written,
        version: stored,
        created,
        notices,
    })
}
