//! The GA4GH Tool Registry Service 2.0 documents (`Tool`, `ToolVersion`, `ToolFile`,
//! `FileWrapper`, `ToolClass`) of the platform's pipelines and datalabs, as the official
//! definition (`corpus/trs/openapi/openapi.yaml`) and its clients (cwltool, Dockstore's) shape
//! them.
//!
//! Ids: a pipeline is the tool `#workflow/{asset id}` (the form cwltool's
//! `--add-ga4gh-tool-registry` resolver asks for), a datalab the tool `#datalab/{asset id}`;
//! asset ids never change, so neither do tool ids when an asset is renamed. A pipeline's
//! versions are its pushed versions; a datalab's is its current image build. The version
//! `latest` names the newest published version, as cwltool asks when none is given.

use serde::{Deserialize, Serialize};

use crate::model::Asset;
use crate::store::{Version, VersionFile};

/// Where the registry is served.
pub const ROOT: &str = "/ga4gh/trs/v2";
/// The same registry where cwltool looks for it (`--add-ga4gh-tool-registry BASE`).
pub const ALIAS: &str = "/api/ga4gh/v2";

/// The prefix of a pipeline's tool id.
pub const WORKFLOW_PREFIX: &str = "#workflow/";
/// The prefix of a datalab's tool id.
pub const DATALAB_PREFIX: &str = "#datalab/";
/// The version id that names the newest published version.
pub const LATEST: &str = "latest";

/// What kind of tool an asset is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ToolKind {
    Pipeline,
    Datalab,
}

impl ToolKind {
    /// The kind of tool an asset is, if it is one.
    pub fn of(asset: &Asset) -> Option<ToolKind> {
        match asset.kind.as_str() {
            "Pipeline" => Some(ToolKind::Pipeline),
            "Datalab" => Some(ToolKind::Datalab),
            _ => None,
        }
    }

    fn prefix(self) -> &'static str {
        match self {
            ToolKind::Pipeline => WORKFLOW_PREFIX,
            ToolKind::Datalab => DATALAB_PREFIX,
        }
    }
}

/// The tool id of an asset of `kind`.
pub fn tool_id(kind: ToolKind, asset_id: &str) -> String {
    format!("{}{asset_id}", kind.prefix())
}

/// The asset a tool id names, with its kind.
pub fn parse_tool_id(id: &str) -> Option<(ToolKind, &str)> {
    [ToolKind::Pipeline, ToolKind::Datalab]
        .into_iter()
        .find_map(|k| id.strip_prefix(k.prefix()).map(|rest| (k, rest)))
        .filter(|(_, rest)| !rest.is_empty())
}

/// `Checksum`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checksum {
    pub checksum: String,
    /// The GA4GH hash algorithm name (`sha-256`).
    #[serde(rename = "type")]
    pub kind: String,
}

fn sha256(hex: &str) -> Checksum {
    Checksum {
        checksum: hex.to_owned(),
        kind: "sha-256".into(),
    }
}

/// `ToolClass`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ToolClass {
    pub id: String,
    pub name: String,
    pub description: String,
}

/// The tool classes of this registry.
pub fn tool_classes() -> Vec<ToolClass> {
    let class = |id: &str, description: &str| ToolClass {
        id: id.to_owned(),
        name: id.to_owned(),
        description: description.to_owned(),
    };
    vec![
        class(
            "Workflow",
            "A CWL workflow: a pipeline of the platform whose steps run tools or other workflows.",
        ),
        class(
            "CommandLineTool",
            "A pipeline of one CWL process (CommandLineTool, ExpressionTool or Operation).",
        ),
        class(
            "Service",
            "A datalab: an interactive environment served from a container image.",
        ),
    ]
}

fn class_of(kind: ToolKind, asset: &Asset) -> ToolClass {
    let id = match kind {
        ToolKind::Datalab => "Service",
        ToolKind::Pipeline => match asset
            .pipeline
            .as_ref()
            .and_then(|p| p.process_class.as_deref())
        {
            Some("Workflow") | None => "Workflow",
            Some(_) => "CommandLineTool",
        },
    };
    tool_classes()
        .into_iter()
        .find(|c| c.id == id)
        .unwrap_or_else(|| ToolClass {
            id: id.to_owned(),
            name: id.to_owned(),
            description: String::new(),
        })
}

/// `ImageData`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImageData {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub registry_host: Option<String>,
    pub image_name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub updated: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub checksum: Vec<Checksum>,
    pub image_type: String,
}

/// The image data of a container reference (`[host[:port]/]path[:tag][@sha256:digest]`): the
/// host when the first component names one (it has a dot or a port, or is `localhost`, as
/// Docker reads it), the digest as a checksum.
pub fn image_data(reference: &str) -> ImageData {
    let (name, digest) = match reference.split_once("@sha256:") {
        Some((n, d)) => (n, Some(d)),
        None => (reference, None),
    };
    let registry_host = name.split_once('/').and_then(|(first, _)| {
        (first.contains('.') || first.contains(':') || first == "localhost")
            .then(|| first.to_owned())
    });
    ImageData {
        registry_host,
        image_name: reference.to_owned(),
        updated: None,
        checksum: digest
            .map(|d| {
                vec![Checksum {
                    checksum: d.to_owned(),
                    kind: "sha256".into(),
                }]
            })
            .unwrap_or_default(),
        image_type: "Docker".into(),
    }
}

/// `ToolVersion`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ToolVersion {
    pub url: String,
    pub id: String,
    pub name: String,
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub author: Vec<String>,
    pub is_production: bool,
    pub images: Vec<ImageData>,
    pub descriptor_type: Vec<String>,
    #[serde(skip_serializing_if = "serde_json::Map::is_empty", default)]
    pub descriptor_type_version: serde_json::Map<String, serde_json::Value>,
    pub containerfile: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    pub meta_version: String,
    pub verified: bool,
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub verified_source: Vec<String>,
    pub signed: bool,
}

/// `Tool`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Tool {
    pub url: String,
    pub id: String,
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub aliases: Vec<String>,
    pub organization: String,
    pub name: String,
    pub toolclass: ToolClass,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    pub meta_version: String,
    pub has_checker: bool,
    pub versions: Vec<ToolVersion>,
}

/// `ToolFile`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ToolFile {
    pub path: String,
    pub file_type: String,
    pub checksum: Checksum,
}

/// `FileWrapper`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileWrapper {
    /// The text of the file (absent for a file that is not UTF-8: `url` serves its bytes).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content: Option<String>,
    pub checksum: Vec<Checksum>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image_type: Option<String>,
    pub url: String,
}

/// What a file of a version is to TRS: the entry is the primary descriptor; other CWL (and
/// YAML or JSON a CWL document imports) secondary descriptors; job files (`*-job.yml`,
/// `*.job.json`, files under `test/` or `tests/`) test files; `Dockerfile`s and
/// `Containerfile`s container files; `manifest.json` and anything else other files.
pub fn file_type(path: &str, entry: Option<&str>) -> &'static str {
    if Some(path) == entry {
        return "PRIMARY_DESCRIPTOR";
    }
    let name = path.rsplit('/').next().unwrap_or(path);
    let lower = name.to_ascii_lowercase();
    let stem = lower
        .rsplit_once('.')
        .map_or(lower.as_str(), |(stem, _)| stem);
    let yaml_or_json = [".yml", ".yaml", ".json"]
        .iter()
        .any(|e| lower.ends_with(e));
    let in_tests = path
        .split('/')
        .rev()
        .skip(1)
        .any(|d| d == "test" || d == "tests");
    if super::datalab::is_containerfile(path) {
        "CONTAINERFILE"
    } else if yaml_or_json
        && (in_tests
            || stem.ends_with("-job")
            || stem.ends_with("_job")
            || stem.ends_with(".job")
            || stem.ends_with("-test")
            || stem.ends_with("_test"))
    {
        "TEST_FILE"
    } else if lower.ends_with(".cwl") || (yaml_or_json && lower != "manifest.json") {
        "SECONDARY_DESCRIPTOR"
    } else {
        "OTHER"
    }
}

/// The `ToolFile`s of a version.
pub fn tool_files(v: &Version) -> Vec<ToolFile> {
    v.files
        .iter()
        .map(|f: &VersionFile| ToolFile {
            path: f.path.clone(),
            file_type: file_type(&f.path, v.entry.as_deref()).to_owned(),
            checksum: sha256(&f.sha256),
        })
        .collect()
}

/// A file of a version wrapped for the JSON descriptor forms.
/// `image_type` is `CWL` for a descriptor, `Docker` for a container file.
pub fn wrap(
    file: &VersionFile,
    content: Option<String>,
    url: String,
    image_type: Option<&str>,
) -> FileWrapper {
    FileWrapper {
        content,
        checksum: vec![sha256(&file.sha256)],
        image_type: image_type.map(str::to_owned),
        url,
    }
}

/// The path a request names, relative to the entry's folder (TRS: "relative to the main
/// descriptor"), normalised; `None` when it climbs above the bundle's root.
/// A path beginning with `/` is taken from the bundle's root.
pub fn resolve_relative(entry: Option<&str>, relative: &str) -> Option<String> {
    match relative.strip_prefix('/') {
        Some(from_root) => super::cwl::normalise(from_root),
        None => super::cwl::join(entry.unwrap_or_default(), relative),
    }
}

/// The newest published version (by the revision it was pushed at).
pub fn latest(versions: &[Version]) -> Option<&Version> {
    versions
        .iter()
        .filter(|v| v.published)
        .max_by_key(|v| v.revision)
}

/// What a path segment keeps as it is: RFC 3986's unreserved characters.
const SEGMENT: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'.')
    .remove(b'-')
    .remove(b'_')
    .remove(b'~');

/// Percent-encodes one path segment (a tool or version id).
pub fn segment(text: &str) -> String {
    percent_encoding::utf8_percent_encode(text, SEGMENT).to_string()
}

/// What a tool is built from: an asset as the caller may see it, and its versions the caller
/// may see (published ones only, unless it reads the asset whole).
pub struct ToolSource<'a> {
    pub kind: ToolKind,
    pub asset: &'a Asset,
    pub versions: &'a [Version],
    /// The store revision of the asset's last change the caller may see.
    pub revision: u64,
}

/// Where the registry is, and who runs it.
pub struct Registry<'a> {
    /// `{base}/ga4gh/trs/v2`.
    pub root: &'a str,
    /// The organisation a tool without publisher is credited to.
    pub organization: &'a str,
}

impl Registry<'_> {
    /// The URL of a tool.
    pub fn tool_url(&self, id: &str) -> String {
        format!("{}/tools/{}", self.root, segment(id))
    }

    /// The URL of one version of a tool.
    pub fn version_url(&self, id: &str, version: &str) -> String {
        format!("{}/versions/{}", self.tool_url(id), segment(version))
    }

    /// The `Tool` of a source.
    pub fn tool(&self, s: &ToolSource<'_>) -> Tool {
        let a = s.asset;
        let id = tool_id(s.kind, &a.id);
        let mut aliases = Vec::new();
        if let Some(doi) = &a.identifier {
            aliases.push(doi.clone());
        }
        if let Some(ivoid) = &a.ivoid {
            aliases.push(ivoid.clone());
        }
        let organization = a
            .publisher
            .as_ref()
            .map(|p| p.name.clone())
            .or_else(|| {
                a.creator
                    .iter()
                    .find(|c| c.kind == Some(crate::model::asset::AgentKind::Organization))
                    .map(|c| c.name.clone())
            })
            .unwrap_or_else(|| self.organization.to_owned());
        let versions = match s.kind {
            ToolKind::Pipeline => s
                .versions
                .iter()
                .map(|v| self.pipeline_version(&id, a, v))
                .collect(),
            ToolKind::Datalab if !s.versions.is_empty() => s
                .versions
                .iter()
                .map(|v| self.pushed_datalab_version(&id, a, v))
                .collect(),
            ToolKind::Datalab => self
                .datalab_version(&id, a, s.revision)
                .into_iter()
                .collect(),
        };
        Tool {
            url: self.tool_url(&id),
            id,
            aliases,
            organization,
            name: a.name.clone(),
            toolclass: class_of(s.kind, a),
            description: a
                .description
                .clone()
                .or_else(|| a.abstract_.clone())
                .filter(|d| !d.is_empty()),
            meta_version: s.revision.to_string(),
            has_checker: false,
            versions,
        }
    }

    fn authors(a: &Asset) -> Vec<String> {
        a.creator
            .iter()
            .map(|c| match &c.email {
                Some(e) => format!("{} <{e}>", c.name),
                None => c.name.clone(),
            })
            .collect()
    }

    fn verified(a: &Asset) -> (bool, Vec<String>) {
        let official = a.esa_official == Some(true);
        let source = a
            .publisher
            .as_ref()
            .and_then(|p| p.url.clone().or_else(|| Some(p.name.clone())))
            .into_iter()
            .filter(|_| official)
            .collect();
        (official, source)
    }

    fn pipeline_version(&self, id: &str, a: &Asset, v: &Version) -> ToolVersion {
        let images: Vec<ImageData> = v
            .meta
            .get("pipeline")
            .and_then(|p| p.get("images"))
            .and_then(|i| i.as_array())
            .map(|list| {
                list.iter()
                    .filter_map(|i| i.as_str())
                    .map(image_data)
                    .collect()
            })
            .unwrap_or_default();
        let mut dtv = serde_json::Map::new();
        if let Some(cv) = v.meta.get("cwlVersion").and_then(|c| c.as_str()) {
            dtv.insert("CWL".into(), serde_json::json!([cv]));
        }
        let mut tv = self.pushed_version(id, a, v, images);
        tv.descriptor_type = vec!["CWL".into()];
        tv.descriptor_type_version = dtv;
        tv
    }

    /// A pushed version of a datalab: the image it names, its Dockerfile when the package
    /// held one.
    fn pushed_datalab_version(&self, id: &str, a: &Asset, v: &Version) -> ToolVersion {
        let images = v
            .meta
            .get("image")
            .and_then(|i| i.as_str())
            .map(|image| {
                let mut d = image_data(image);
                d.updated = v
                    .meta
                    .get("created")
                    .and_then(|c| c.as_str())
                    .map(str::to_owned);
                d
            })
            .into_iter()
            .collect();
        self.pushed_version(id, a, v, images)
    }

    /// What every pushed version says: its name, authors, publication, container file.
    fn pushed_version(
        &self,
        id: &str,
        a: &Asset,
        v: &Version,
        images: Vec<ImageData>,
    ) -> ToolVersion {
        let (verified, verified_source) = Self::verified(a);
        let name = v
            .meta
            .get("name")
            .and_then(|n| n.as_str())
            .map_or_else(|| v.name.clone(), |n| format!("{n} {}", v.name));
        ToolVersion {
            url: self.version_url(id, &v.name),
            id: v.name.clone(),
            name,
            author: Self::authors(a),
            is_production: v.published,
            images,
            descriptor_type: Vec::new(),
            descriptor_type_version: serde_json::Map::new(),
            containerfile: v
                .files
                .iter()
                .any(|f| file_type(&f.path, v.entry.as_deref()) == "CONTAINERFILE"),
            description: v.description.clone(),
            meta_version: v.revision.to_string(),
            verified,
            verified_source,
            signed: false,
        }
    }

    /// A datalab's one version when none was pushed: its current image build, named by the
    /// asset's version (or the build's).
    fn datalab_version(&self, id: &str, a: &Asset, revision: u64) -> Option<ToolVersion> {
        let name = a
            .version
            .clone()
            .or_else(|| a.build.as_ref().and_then(|b| b.version.clone()))?;
        let images = a
            .datalab_image
            .as_ref()
            .and_then(|i| i.id.as_deref())
            .map(|image| {
                let mut d = image_data(image);
                d.updated = a.build.as_ref().and_then(|b| b.date.clone());
                d
            })
            .into_iter()
            .collect();
        let (verified, verified_source) = Self::verified(a);
        Some(ToolVersion {
            url: self.version_url(id, &name),
            id: name.clone(),
            name: format!("{} {name}", a.name),
            author: Self::authors(a),
            is_production: a.status == Some(crate::model::Status::Published),
            images,
            descriptor_type: Vec::new(),
            descriptor_type_version: serde_json::Map::new(),
            containerfile: false,
            description: None,
            meta_version: revision.to_string(),
            verified,
            verified_source,
            signed: false,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tool_ids_round_trip_and_other_ids_are_none() {
        assert_eq!(tool_id(ToolKind::Pipeline, "hello"), "#workflow/hello");
        assert_eq!(
            parse_tool_id("#workflow/hello"),
            Some((ToolKind::Pipeline, "hello"))
        );
        assert_eq!(
            parse_tool_id("#datalab/jl-esdc"),
            Some((ToolKind::Datalab, "jl-esdc"))
        );
        assert_eq!(parse_tool_id("hello"), None);
        assert_eq!(parse_tool_id("#workflow/"), None);
    }

    #[test]
    fn images_name_their_registry_and_digest() {
        let d = image_data("docker.io/library/debian:stable-slim");
        assert_eq!(d.registry_host.as_deref(), Some("docker.io"));
        let d = image_data("debian:stable");
        assert_eq!(d.registry_host, None);
        let d = image_data("localhost:5000/x@sha256:abcd");
        assert_eq!(d.registry_host.as_deref(), Some("localhost:5000"));
        assert_eq!(d.checksum[0].checksum, "abcd");
    }

    #[test]
    fn files_are_typed_by_role() {
        let e = Some("Hello.cwl");
        assert_eq!(file_type("Hello.cwl", e), "PRIMARY_DESCRIPTOR");
        assert_eq!(file_type("steps/figlet.cwl", e), "SECONDARY_DESCRIPTOR");
        assert_eq!(file_type("schemas/types.yml", e), "SECONDARY_DESCRIPTOR");
        assert_eq!(file_type("hello-job.yml", e), "TEST_FILE");
        assert_eq!(file_type("tests/input.json", e), "TEST_FILE");
        assert_eq!(file_type("Dockerfile", e), "CONTAINERFILE");
        assert_eq!(file_type("docker/tool.Dockerfile", e), "CONTAINERFILE");
        assert_eq!(file_type("manifest.json", e), "OTHER");
        assert_eq!(file_type("README.md", e), "OTHER");
    }

    #[test]
    fn relative_paths_resolve_from_the_entry_and_stay_inside() {
        assert_eq!(
            resolve_relative(Some("Hello.cwl"), "steps/figlet.cwl").as_deref(),
            Some("steps/figlet.cwl")
        );
        assert_eq!(
            resolve_relative(Some("wf/main.cwl"), "tool.cwl").as_deref(),
            Some("wf/tool.cwl")
        );
        assert_eq!(
            resolve_relative(Some("wf/main.cwl"), "../x.cwl").as_deref(),
            Some("x.cwl")
        );
        assert_eq!(resolve_relative(Some("main.cwl"), "../x.cwl"), None);
        assert_eq!(
            resolve_relative(Some("wf/main.cwl"), "/x.cwl").as_deref(),
            Some("x.cwl")
        );
    }

    #[test]
    fn segments_keep_unreserved_characters() {
        assert_eq!(segment("#workflow/hello"), "%23workflow%2Fhello");
        assert_eq!(segment("0.0.8"), "0.0.8");
        assert_eq!(segment("a b"), "a%20b");
    }
}
