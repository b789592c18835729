//! The asset document (`spec/metadata.md`) as Rust types.
//!
//! The wire shape is exactly the JSON document: serde renames follow its keys and unknown keys are
//! refused. Vocabulary-valued fields hold labels here; `vocab::Vocabularies::normalize` turns
//! whatever label a client gave into the canonical one, so that a normalised asset round-trips
//! through RDF unchanged.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// One catalogue asset: a datalab, pipeline, dataset or data volume.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Asset {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alternate_name: Option<String>,
    #[serde(default, rename = "abstract", skip_serializing_if = "Option::is_none")]
    pub abstract_: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub keywords: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub domain: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub property: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub mission: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub waveband: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub associated_file_type: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub audience_type: Vec<String>,
    #[serde(
        default,
        rename = "ESAOfficial",
        skip_serializing_if = "Option::is_none"
    )]
    pub esa_official: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub citation: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub license: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub creator: Vec<Agent>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub publisher: Option<Agent>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identifier: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub coverage: Option<Coverage>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub distribution: Vec<Distribution>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub analysable_with: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub datalab_image: Option<DatalabImage>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pipeline: Option<PipelineInfo>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub volume: Option<Volume>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub visibility: Option<Sharing>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub build: Option<Build>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<Status>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub moderator_comment: Option<String>,
    /// The account that created the asset (set by the service; ignored on input).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    /// The IVOA identifier of a resource harvested from another registry (`ivo://…`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ivoid: Option<String>,
    /// The VOResource record of a harvested resource, as its own registry serves it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub voresource: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub popularity: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date_created: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date_published: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date_modified: Option<String>,
    /// Read-only: the store revision of the asset's last change (ignored on input).
    #[serde(default, skip_serializing)]
    pub revision: Option<u64>,
    /// Read-only: computed links (ignored on input).
    #[serde(default, skip_serializing)]
    pub links: Option<serde_json::Value>,
}

/// A person or organisation (creator, publisher).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Agent {
    pub name: String,
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<AgentKind>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub orcid: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub affiliation: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub enum AgentKind {
    Person,
    Organization,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Coverage {
    /// ISO 8601 interval; `..` marks an open end.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub temporal: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sky: Option<SkyRegion>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spatial: Option<Place>,
    /// Bands of the spectrum (energy, wavelength or frequency intervals with their units, or
    /// IVOA messenger names): `400 nm/700 nm`, `1 keV/10 keV`, `Optical`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub spectral: Vec<String>,
}

/// A region of the sky (never a place on Earth).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SkyRegion {
    pub frame: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub circle: Option<Vec<f64>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub polygon: Option<Vec<f64>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub moc: Option<String>,
}

/// A place on Earth.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Place {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// south, west, north, east (degrees, WGS84)
    #[serde(default, rename = "box", skip_serializing_if = "Option::is_none")]
    pub bbox: Option<Vec<f64>>,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Distribution {
    #[serde(rename = "accessURL")]
    pub access_url: String,
    #[serde(
        default,
        rename = "downloadURL",
        skip_serializing_if = "Option::is_none"
    )]
    pub download_url: Option<String>,
    #[serde(default, rename = "mediaType", skip_serializing_if = "Option::is_none")]
    pub media_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format: Option<String>,
    #[serde(default, rename = "byteSize", skip_serializing_if = "Option::is_none")]
    pub byte_size: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct DatalabImage {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub platform: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub keyword: Vec<String>,
    /// The path the datalab opens at (`/lab`), from its package.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_url: Option<String>,
    /// Where the datalab finds data volumes and the user's workspace, from its package.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub mount_paths: Vec<String>,
}

/// What a pipeline's CWL says of it (extracted on push; typed by hand in older documents).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct PipelineInfo {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entry_point: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_engine: Option<String>,
    /// `v1.0`, `v1.1` or `v1.2`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cwl_version: Option<String>,
    /// The entry process's class: `Workflow`, `CommandLineTool`, `ExpressionTool`, `Operation`.
    #[serde(default, rename = "class", skip_serializing_if = "Option::is_none")]
    pub process_class: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code_repository: Option<String>,
    /// The steps in order; repeats allowed. A bare string is a step known by its name only.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub steps: Vec<Step>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub inputs: Vec<Parameter>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub outputs: Vec<Parameter>,
    /// The classes of the entry process's requirements and hints (sorted).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub requirements: Vec<String>,
    /// Every container image the pipeline's processes run in (sorted).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub images: Vec<String>,
}

/// One step of a workflow.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, ToSchema)]
#[serde(from = "StepForm", rename_all = "camelCase")]
pub struct Step {
    pub id: String,
    /// What the step runs: a file of the bundle, `#id` in a packed document, or `inline`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run: Option<String>,
    /// The class of the process it runs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub runs: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub scatter: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scatter_method: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub when: Option<String>,
}

impl Step {
    pub fn named(id: &str) -> Step {
        Step {
            id: id.to_owned(),
            ..Step::default()
        }
    }
}

/// A step as written: its name alone, or the whole object.
#[derive(Deserialize)]
#[serde(untagged)]
enum StepForm {
    Name(String),
    Full(StepFields),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct StepFields {
    id: String,
    #[serde(default)]
    run: Option<String>,
    #[serde(default)]
    runs: Option<String>,
    #[serde(default)]
    scatter: Vec<String>,
    #[serde(default)]
    scatter_method: Option<String>,
    #[serde(default)]
    when: Option<String>,
}

impl From<StepForm> for Step {
    fn from(form: StepForm) -> Step {
        match form {
            StepForm::Name(id) => Step::named(&id),
            StepForm::Full(f) => Step {
                id: f.id,
                run: f.run,
                runs: f.runs,
                scatter: f.scatter,
                scatter_method: f.scatter_method,
                when: f.when,
            },
        }
    }
}

/// A workflow input or output.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Parameter {
    pub id: String,
    /// The CWL type in its short form (`File`, `string?`, `File[]`, `record`…).
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub doc: Option<String>,
    /// The default value, as JSON text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<String>,
    /// The expected file format (an IRI such as an EDAM format).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format: Option<String>,
    /// Whether the parameter may be left out (its type admits null).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub optional: bool,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Volume {
    pub mount_path: String,
}

/// Who the asset is shared with.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Sharing {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audience: Option<Audience>,
    #[serde(default)]
    pub users: Vec<String>,
    #[serde(default)]
    pub groups: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Audience {
    Public,
    Private,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Build {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log: Option<String>,
}

/// Publication state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Draft,
    InReview,
    Published,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Draft => "draft",
            Status::InReview => "in_review",
            Status::Published => "published",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "draft" => Some(Status::Draft),
            "in_review" => Some(Status::InReview),
            "published" => Some(Status::Published),
            _ => None,
        }
    }
}

impl Audience {
    pub fn as_str(self) -> &'static str {
        match self {
            Audience::Public => "public",
            Audience::Private => "private",
        }
    }
}

impl Asset {
    /// THE rule of public visibility: anonymous readers (and every anonymous surface) see an
    /// asset exactly when it is published with a public audience. `access::grant` applies it
    /// to callers; the store and the projections record it with the same function.
    pub fn is_public(&self) -> bool {
        self.status == Some(Status::Published) && self.audience() == Audience::Public
    }

    /// Whether it is a resource of another registry (harvested or ingested as VOResource): this
    /// catalogue shows and searches it, but does not publish its record as its own.
    pub fn is_harvested(&self) -> bool {
        self.voresource.is_some()
    }

    /// Whether this registry publishes (and so announces the deletion of) its record: a public
    /// asset of its own.
    pub fn is_published_here(&self) -> bool {
        self.is_public() && !self.is_harvested()
    }

    /// An asset carrying only its publication state, for deciding visibility from the state
    /// alone (`status` as stored, whether the audience is public).
    pub fn publication_state(status: &str, public_audience: bool) -> Asset {
        Asset {
            status: Status::parse(status),
            visibility: Some(Sharing {
                audience: Some(if public_audience {
                    Audience::Public
                } else {
                    Audience::Private
                }),
                users: Vec::new(),
                groups: Vec::new(),
            }),
            ..Asset::default()
        }
    }

    /// The sharing audience; an asset that names none is public.
    pub fn audience(&self) -> Audience {
        self.visibility
            .as_ref()
            .and_then(|v| v.audience)
            .unwrap_or(Audience::Public)
    }
}
