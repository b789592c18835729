//! The field table: for every term of the asset document, who may see it and who may write it.
//!
//! This is the one place where the platform's metadata table ("Discovery Services: Datalab
//! Metadata") lives in code. The RDF mapping uses it to decide which named graph a field goes to,
//! the read path uses it to strip private fields, and the write path enforces its write roles.

use serde::Serialize;

/// Who may read a field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Visibility {
    /// In the asset's public graph: anyone who may see the asset sees it.
    Public,
    /// In the asset's private graph: only the owner, its sharing audience and curators.
    Private,
}

/// The roles named by the metadata table's write column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Developer,
    Moderator,
    Sciapps,
    Application,
}

/// Who may write a field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum WriteRule {
    /// Written by these roles (a developer only on assets it owns).
    Roles(&'static [Role]),
    /// Given on creation by the developer, fixed afterwards.
    OnCreate,
    /// Changed only by workflow transitions (submit, approve, reject).
    Workflow,
    /// Computed by the service; ignored on input.
    ReadOnly,
}

/// One row of the metadata table.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Field {
    /// Top-level key in the asset document.
    pub key: &'static str,
    /// RDF properties the field maps to (documentation; the mapping lives in `rdf`).
    pub properties: &'static [&'static str],
    pub visibility: Visibility,
    pub write: WriteRule,
}

use Role::*;
use Visibility::*;
use WriteRule::*;

const DEV: WriteRule = Roles(&[Developer]);
const APP: WriteRule = Roles(&[Application]);

/// The metadata table. The first ten platform rows come first (`datalabImage.*` share one key).
pub const FIELDS: &[Field] = &[
    Field {
        key: "abstract",
        properties: &["sdo:abstract"],
        visibility: Public,
        write: DEV,
    },
    Field {
        key: "alternateName",
        properties: &["sdo:alternateName"],
        visibility: Public,
        write: DEV,
    },
    Field {
        key: "associatedFileType",
        properties: &["esado:associatedFileType"],
        visibility: Public,
        write: DEV,
    },
    Field {
        key: "ESAOfficial",
        properties: &["esado:ESAOfficial"],
        visibility: Public,
        write: DEV,
    },
    Field {
        key: "audienceType",
        properties: &["sdo:audienceType"],
        visibility: Public,
        write: DEV,
    },
    Field {
        key: "citation",
        properties: &["sdo:citation"],
        visibility: Public,
        write: DEV,
    },
    // datalabImage.platform and datalabImage.id are APPLICATION, datalabImage.keyword DEVELOPER:
    // the sub-keys carry their own rule in `SUBFIELDS`.
    Field {
        key: "datalabImage",
        properties: &["esado:datalabImage"],
        visibility: Private,
        write: APP,
    },
    Field {
        key: "dateCreated",
        properties: &["sdo:dateCreated"],
        visibility: Private,
        write: APP,
    },
    Field {
        key: "id",
        properties: &[],
        visibility: Public,
        write: OnCreate,
    },
    Field {
        key: "type",
        properties: &["rdf:type"],
        visibility: Public,
        write: DEV,
    },
    Field {
        key: "name",
        properties: &["sdo:name", "dct:title"],
        visibility: Public,
        write: DEV,
    },
    Field {
        key: "description",
        properties: &["sdo:description", "dct:description"],
        visibility: Public,
        write: DEV,
    },
    Field {
        key: "keywords",
        properties: &["dcat:keyword", "sdo:keywords"],
        visibility: Public,
        write: DEV,
    },
    Field {
        key: "domain",
        properties: &["esado:domain"],
        visibility: Public,
        write: Roles(&[Sciapps, Moderator]),
    },
    Field {
        key: "property",
        properties: &["esado:assetProperty"],
        visibility: Public,
        write: DEV,
    },
    Field {
        key: "mission",
        properties: &["esado:mission"],
        visibility: Public,
        write: DEV,
    },
    Field {
        key: "waveband",
        properties: &["esado:waveband"],
        visibility: Public,
        write: DEV,
    },
    Field {
        key: "license",
        properties: &["sdo:license", "dct:license"],
        visibility: Public,
        write: DEV,
    },
    Field {
        key: "version",
        properties: &["sdo:version"],
        visibility: Public,
        write: DEV,
    },
    Field {
        key: "creator",
        properties: &["sdo:creator"],
        visibility: Public,
        write: DEV,
    },
    Field {
        key: "publisher",
        properties: &["sdo:publisher", "dct:publisher"],
        visibility: Public,
        write: Roles(&[Sciapps]),
    },
    Field {
        key: "identifier",
        properties: &["sdo:identifier", "dct:identifier"],
        visibility: Public,
        write: Roles(&[Sciapps]),
    },
    Field {
        key: "url",
        properties: &["sdo:url"],
        visibility: Public,
        write: DEV,
    },
    Field {
        key: "coverage",
        properties: &[
            "sdo:temporalCoverage",
            "esado:skyCoverage",
            "esado:spectralCoverage",
            "sdo:spatialCoverage",
        ],
        visibility: Public,
        write: DEV,
    },
    Field {
        key: "distribution",
        properties: &["dcat:distribution"],
        visibility: Public,
        write: DEV,
    },
    Field {
        key: "analysableWith",
        properties: &["esado:analysableWith"],
        visibility: Public,
        write: Roles(&[Developer, Sciapps]),
    },
    Field {
        key: "volume",
        properties: &["esado:mountPath"],
        visibility: Public,
        write: Roles(&[Sciapps]),
    },
    Field {
        key: "pipeline",
        properties: &[
            "esado:entryPoint",
            "esado:step",
            "esado:input",
            "esado:output",
            "esado:executionEngine",
        ],
        visibility: Public,
        write: DEV,
    },
    Field {
        key: "popularity",
        properties: &["esado:popularity"],
        visibility: Public,
        write: APP,
    },
    Field {
        key: "datePublished",
        properties: &["sdo:datePublished"],
        visibility: Public,
        write: APP,
    },
    Field {
        key: "dateModified",
        properties: &["sdo:dateModified"],
        visibility: Public,
        write: APP,
    },
    Field {
        key: "visibility",
        properties: &["esado:audience", "esado:allowedUser", "esado:allowedGroup"],
        visibility: Private,
        write: DEV,
    },
    Field {
        key: "build",
        properties: &[
            "esado:buildStatus",
            "esado:buildDate",
            "esado:buildVersion",
            "esado:buildLog",
        ],
        visibility: Private,
        write: APP,
    },
    Field {
        key: "status",
        properties: &["esado:publicationStatus"],
        visibility: Private,
        write: Workflow,
    },
    Field {
        key: "moderatorComment",
        properties: &["esado:moderatorComment"],
        visibility: Private,
        write: Roles(&[Moderator]),
    },
    Field {
        key: "owner",
        properties: &["esado:owner"],
        visibility: Private,
        write: ReadOnly,
    },
    // Written by ingest and harvest from other registries' records, never through the API.
    Field {
        key: "ivoid",
        properties: &["esado:ivoid"],
        visibility: Public,
        write: ReadOnly,
    },
    Field {
        key: "voresource",
        properties: &["esado:voresource"],
        visibility: Public,
        write: ReadOnly,
    },
    Field {
        key: "revision",
        properties: &[],
        visibility: Public,
        write: ReadOnly,
    },
    Field {
        key: "links",
        properties: &[],
        visibility: Public,
        write: ReadOnly,
    },
];

/// Sub-keys whose write rule differs from their parent's (the platform's `datalabImage.*` rows).
pub const SUBFIELDS: &[(&str, &str, WriteRule)] = &[
    ("datalabImage", "platform", APP),
    ("datalabImage", "id", APP),
    ("datalabImage", "keyword", DEV),
    ("datalabImage", "defaultUrl", DEV),
    ("datalabImage", "mountPaths", DEV),
];

/// The row for a top-level key.
pub fn field(key: &str) -> Option<&'static Field> {
    FIELDS.iter().find(|f| f.key == key)
}

/// Whether a top-level key is readable by public readers.
pub fn is_public(key: &str) -> bool {
    field(key).is_some_and(|f| f.visibility == Public)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn every_schema_key_has_exactly_one_row() {
        let schema: serde_json::Value =
            serde_json::from_str(include_str!("../../schemas/asset.schema.json")).unwrap();
        let keys: HashSet<&str> = schema["properties"]
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        let rows: HashSet<&str> = FIELDS.iter().map(|f| f.key).collect();
        assert_eq!(rows.len(), FIELDS.len(), "a key appears twice in FIELDS");
        assert_eq!(keys, rows);
    }

    #[test]
    fn platform_rows_are_as_the_platform_defines_them() {
        for key in [
            "abstract",
            "alternateName",
            "associatedFileType",
            "ESAOfficial",
            "audienceType",
            "citation",
        ] {
            let f = field(key).unwrap();
            assert_eq!(f.visibility, Public, "{key}");
            assert_eq!(f.write, Roles(&[Developer]), "{key}");
        }
        assert_eq!(field("dateCreated").unwrap().visibility, Private);
        assert_eq!(field("dateCreated").unwrap().write, Roles(&[Application]));
        assert_eq!(field("datalabImage").unwrap().visibility, Private);
        assert!(SUBFIELDS.contains(&("datalabImage", "keyword", Roles(&[Developer]))));
        assert!(SUBFIELDS.contains(&("datalabImage", "platform", Roles(&[Application]))));
    }
}
