//! Reading an asset document from outside: JSON syntax, the JSON Schema, then vocabularies.
//!
//! Each step reports every problem it finds with the JSON pointer of the offending value, so a
//! client can fix a document in one go. Nothing here touches the store.

use std::sync::OnceLock;

use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

use super::asset::*;
use super::vocab::{Scheme, UnknownValue, Vocabularies};

/// The asset document's JSON Schema (Draft 2020-12).
pub const SCHEMA_TEXT: &str = include_str!("../../schemas/asset.schema.json");

/// One thing wrong with a document.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Problem {
    /// JSON pointer of the offending value ("" for the whole document).
    pub pointer: String,
    pub message: String,
    /// For unknown vocabulary values: the closest known values.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub closest: Vec<String>,
    /// For problems with a query parameter: its name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parameter: Option<String>,
    /// For problems inside a parameter's value: the 1-based character position.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub position: Option<usize>,
    /// For problems inside an uploaded file (a pipeline's CWL): the file, and the 1-based
    /// line and column.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<u64>,
}

impl Problem {
    pub(crate) fn new(pointer: impl Into<String>, message: impl Into<String>) -> Problem {
        Problem {
            pointer: pointer.into(),
            message: message.into(),
            closest: Vec::new(),
            parameter: None,
            position: None,
            file: None,
            line: None,
            column: None,
        }
    }

    /// A problem at a place in an uploaded file (line and column 0 when unknown).
    pub fn in_file(file: &str, line: u64, column: u64, message: impl Into<String>) -> Problem {
        Problem {
            file: Some(file.to_owned()),
            line: (line > 0).then_some(line),
            column: (column > 0).then_some(column),
            ..Problem::new("", message)
        }
    }

    /// A problem with a query parameter, optionally at a position inside its value.
    pub fn parameter(
        name: impl Into<String>,
        position: Option<usize>,
        message: impl Into<String>,
        closest: Vec<String>,
    ) -> Problem {
        Problem {
            pointer: String::new(),
            message: message.into(),
            closest,
            parameter: Some(name.into()),
            position,
            file: None,
            line: None,
            column: None,
        }
    }
}

/// Why a document was refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DocumentError {
    #[error("malformed JSON at line {line}, column {column}: {message}")]
    Syntax {
        line: usize,
        column: usize,
        message: String,
    },
    #[error("the document does not match the asset schema")]
    Schema(Vec<Problem>),
    #[error("unknown vocabulary values")]
    Vocabulary(Vec<Problem>),
}

impl DocumentError {
    pub fn problems(&self) -> Vec<Problem> {
        match self {
            DocumentError::Syntax {
                line,
                column,
                message,
            } => {
                vec![Problem::new(
                    "",
                    format!("line {line}, column {column}: {message}"),
                )]
            }
            DocumentError::Schema(p) | DocumentError::Vocabulary(p) => p.clone(),
        }
    }
}

/// Compiles a JSON Schema (draft 2020-12, formats checked) the binary carries: the asset
/// schema, the pipeline and datalab manifests.
pub fn compile_schema(text: &str) -> Result<jsonschema::Validator, String> {
    let schema: Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
    jsonschema::options()
        .with_draft(jsonschema::Draft::Draft202012)
        .should_validate_formats(true)
        .build(&schema)
        .map_err(|e| e.to_string())
}

fn validator() -> &'static jsonschema::Validator {
    static VALIDATOR: OnceLock<jsonschema::Validator> = OnceLock::new();
    VALIDATOR.get_or_init(|| {
        // The schema is part of the binary and covered by tests: failing here is a build defect.
        #[allow(clippy::expect_used)]
        compile_schema(SCHEMA_TEXT).expect("asset schema compiles")
    })
}

/// Parses JSON text into a value, reporting the position of a syntax error.
pub fn parse_json(bytes: &[u8]) -> Result<Value, DocumentError> {
    serde_json::from_slice(bytes).map_err(|e| DocumentError::Syntax {
        line: e.line(),
        column: e.column(),
        message: e.to_string(),
    })
}

/// Checks a JSON value against the schema and turns it into an (unnormalised) asset.
pub fn from_value(value: Value) -> Result<Asset, DocumentError> {
    let problems: Vec<Problem> = validator()
        .iter_errors(&value)
        .map(|e| Problem::new(e.instance_path().to_string(), e.to_string()))
        .collect();
    if !problems.is_empty() {
        return Err(DocumentError::Schema(problems));
    }
    serde_json::from_value(value)
        .map_err(|e| DocumentError::Schema(vec![Problem::new("", e.to_string())]))
}

/// Parses, validates and normalises one document.
pub fn parse(bytes: &[u8], vocab: &Vocabularies) -> Result<Asset, DocumentError> {
    let asset = from_value(parse_json(bytes)?)?;
    normalize(asset, vocab)
}

fn sort_dedup(v: &mut Vec<String>) {
    v.sort();
    v.dedup();
}

fn canonical(
    vocab: &Vocabularies,
    scheme: Scheme,
    pointer: String,
    value: &str,
    problems: &mut Vec<Problem>,
) -> String {
    match vocab.resolve(scheme, value) {
        Ok(c) => c.value(scheme).to_owned(),
        Err(UnknownValue { closest, .. }) => {
            problems.push(Problem {
                pointer,
                message: format!("{value:?} is not in the {} vocabulary", scheme.slug()),
                closest,
                parameter: None,
                position: None,
                file: None,
                line: None,
                column: None,
            });
            value.to_owned()
        }
    }
}

fn canonical_list(
    vocab: &Vocabularies,
    scheme: Scheme,
    key: &str,
    values: &mut Vec<String>,
    problems: &mut Vec<Problem>,
) {
    let mut out: Vec<String> = values
        .iter()
        .enumerate()
        .map(|(i, v)| canonical(vocab, scheme, format!("/{key}/{i}"), v, problems))
        .collect();
    out.sort_by_key(|v| v.to_lowercase());
    out.dedup();
    *values = out;
}

/// Refuses URLs that match the schema's loose pattern but are not valid IRIs.
fn check_iris(a: &Asset) -> Result<(), DocumentError> {
    let mut urls: Vec<(String, &str)> = Vec::new();
    urls.extend(a.url.as_deref().map(|u| ("/url".to_owned(), u)));
    for (i, c) in a.creator.iter().enumerate() {
        urls.extend(c.url.as_deref().map(|u| (format!("/creator/{i}/url"), u)));
    }
    urls.extend(
        a.publisher
            .as_ref()
            .and_then(|p| p.url.as_deref())
            .map(|u| ("/publisher/url".to_owned(), u)),
    );
    for (i, d) in a.distribution.iter().enumerate() {
        urls.push((format!("/distribution/{i}/accessURL"), &d.access_url));
        urls.extend(
            d.download_url
                .as_deref()
                .map(|u| (format!("/distribution/{i}/downloadURL"), u)),
        );
    }
    let problems: Vec<Problem> = urls
        .into_iter()
        .filter(|(_, u)| oxigraph::model::NamedNode::new(*u).is_err())
        .map(|(pointer, u)| Problem::new(pointer, format!("{u:?} is not a valid URL")))
        .collect();
    if problems.is_empty() {
        Ok(())
    } else {
        Err(DocumentError::Schema(problems))
    }
}

/// Brings an asset to its canonical form: vocabulary values as their canonical labels, sets
/// sorted, empty sub-objects dropped, read-only keys cleared.
pub fn normalize(mut a: Asset, vocab: &Vocabularies) -> Result<Asset, DocumentError> {
    let mut problems = Vec::new();
    a.kind = canonical(
        vocab,
        Scheme::AssetTypes,
        "/type".into(),
        &a.kind,
        &mut problems,
    );
    canonical_list(
        vocab,
        Scheme::Domains,
        "domain",
        &mut a.domain,
        &mut problems,
    );
    canonical_list(
        vocab,
        Scheme::Properties,
        "property",
        &mut a.property,
        &mut problems,
    );
    canonical_list(
        vocab,
        Scheme::Missions,
        "mission",
        &mut a.mission,
        &mut problems,
    );
    canonical_list(
        vocab,
        Scheme::Wavebands,
        "waveband",
        &mut a.waveband,
        &mut problems,
    );
    canonical_list(
        vocab,
        Scheme::FileTypes,
        "associatedFileType",
        &mut a.associated_file_type,
        &mut problems,
    );
    canonical_list(
        vocab,
        Scheme::Audiences,
        "audienceType",
        &mut a.audience_type,
        &mut problems,
    );
    if let Some(l) = &a.license {
        a.license = Some(canonical(
            vocab,
            Scheme::Licenses,
            "/license".into(),
            l,
            &mut problems,
        ));
    }
    for (i, d) in a.distribution.iter_mut().enumerate() {
        if let Some(f) = &d.format {
            d.format = Some(canonical(
                vocab,
                Scheme::FileTypes,
                format!("/distribution/{i}/format"),
                f,
                &mut problems,
            ));
        }
    }
    if !problems.is_empty() {
        return Err(DocumentError::Vocabulary(problems));
    }
    check_iris(&a)?;
    if let Some(c) = &a.coverage {
        let wrong: Vec<Problem> = super::coverage::problems(c)
            .into_iter()
            .map(|(pointer, message)| Problem::new(pointer, message))
            .collect();
        if !wrong.is_empty() {
            return Err(DocumentError::Schema(wrong));
        }
    }
    sort_dedup(&mut a.keywords);
    sort_dedup(&mut a.analysable_with);
    if let Some(img) = &mut a.datalab_image {
        sort_dedup(&mut img.keyword);
        sort_dedup(&mut img.mount_paths);
    }
    if let Some(p) = &mut a.pipeline {
        sort_dedup(&mut p.requirements);
        sort_dedup(&mut p.images);
    }
    if let Some(v) = &mut a.visibility {
        sort_dedup(&mut v.users);
        sort_dedup(&mut v.groups);
    }
    a.visibility = a
        .visibility
        .filter(|v| v.audience.is_some() || !v.users.is_empty() || !v.groups.is_empty());
    if let Some(c) = &mut a.coverage {
        c.spatial = c
            .spatial
            .take()
            .filter(|p| p.name.is_some() || p.bbox.is_some());
    }
    if let Some(c) = &mut a.coverage {
        sort_dedup(&mut c.spectral);
    }
    a.coverage = a.coverage.filter(|c| {
        c.temporal.is_some() || c.sky.is_some() || c.spatial.is_some() || !c.spectral.is_empty()
    });
    a.pipeline = a.pipeline.filter(|p| *p != PipelineInfo::default());
    a.build = a.build.filter(|b| *b != Build::default());
    a.revision = None;
    a.links = None;
    Ok(a)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vocab() -> Vocabularies {
        Vocabularies::load().unwrap()
    }

    #[test]
    fn spec_example_document_is_accepted() {
        let doc = br#"{
          "id": "jl-euclid-dps", "type": "Datalab", "name": "Euclid DPS JupyterLab",
          "alternateName": "jl-euclid-dps", "abstract": "JupyterLab with the Euclid tools.",
          "description": "Longer **Markdown** text.", "keywords": ["euclid", "jupyterlab"],
          "domain": ["Space Science"], "property": ["Analysis Tool"], "mission": ["Euclid"],
          "waveband": ["Optical", "Infrared"], "associatedFileType": ["FITS"], "audienceType": ["Researcher"],
          "ESAOfficial": true, "citation": "doi:10.1051/0004-6361/202450810", "license": "Apache-2.0",
          "version": "1.4.0", "creator": [{"name": "Science Apps Team", "email": "apps@example.org"}],
          "publisher": {"name": "European Space Agency"}, "url": "https://example.org/docs/jl-euclid-dps",
          "identifier": "doi:10.5270/esa-xxxx",
          "coverage": {"temporal": "2023-07-01/..", "sky": {"frame": "ICRS", "circle": [266.4, -29.0, 1.5]}},
          "distribution": [{"accessURL": "https://example.org/archive/q1", "mediaType": "application/fits"}],
          "analysableWith": ["jl-esdc", "aladin"],
          "datalabImage": {"id": "img-5f3a", "platform": "0.7.0", "keyword": ["latest"]},
          "pipeline": {"entryPoint": "Hello_PIPEMAN.pipeline.cwl", "defaultEngine": "cwltool", "steps": ["figlet", "figlet", "command"]},
          "volume": {"mountPath": "/data/user/pla_datalabs"},
          "visibility": {"audience": "public", "users": [], "groups": []},
          "dateCreated": "2022-06-15"
        }"#;
        let a = parse(doc, &vocab()).unwrap();
        assert_eq!(a.waveband, vec!["Infrared", "Optical"]);
        assert_eq!(a.analysable_with, vec!["aladin", "jl-esdc"]);
        let steps: Vec<String> = a
            .pipeline
            .unwrap()
            .steps
            .into_iter()
            .map(|s| s.id)
            .collect();
        assert_eq!(steps, vec!["figlet", "figlet", "command"]);
    }

    #[test]
    fn a_coverage_that_does_not_read_is_refused_where_it_is() {
        for (coverage, pointer, says) in [
            (
                r#"{"sky": {"frame": "ICRS", "moc": "3/1 0/12"}}"#,
                "/coverage/sky/moc",
                "at character 7",
            ),
            (
                r#"{"sky": {"frame": "ICRS", "circle": [10, 20, 200]}}"#,
                "/coverage/sky/circle",
                "radius",
            ),
            (
                r#"{"sky": {"frame": "ICRS", "polygon": [10, 10, 20, 20, 20, 10, 10, 20]}}"#,
                "/coverage/sky/polygon",
                "crosses itself",
            ),
            (
                r#"{"sky": {"frame": "ICRS", "moc": "5/"}}"#,
                "/coverage/sky/moc",
                "no cell",
            ),
            (
                r#"{"temporal": "2020-05-01/2019-01-01"}"#,
                "/coverage/temporal",
                "before it starts",
            ),
            (
                r#"{"spectral": ["Optical", "5 parsecs"]}"#,
                "/coverage/spectral/1",
                "",
            ),
        ] {
            let doc =
                format!(r#"{{"id": "a", "type": "Dataset", "name": "A", "coverage": {coverage}}}"#);
            let err = parse(doc.as_bytes(), &vocab()).unwrap_err();
            let DocumentError::Schema(problems) = &err else {
                panic!("{coverage}: {err:?}")
            };
            assert_eq!(problems[0].pointer, pointer, "{coverage}");
            assert!(
                problems[0].message.contains(says),
                "{coverage}: {problems:?}"
            );
        }
        // Bands of every kind, kept in order of their text.
        let a = parse(
            br#"{"id": "a", "type": "Dataset", "name": "A",
                 "coverage": {"spectral": ["Optical", "1 keV/10 keV", "88 MHz/102 MHz"]}}"#,
            &vocab(),
        )
        .unwrap();
        assert_eq!(a.coverage.unwrap().spectral.len(), 3);
    }

    #[test]
    fn unknown_keys_are_refused_with_their_pointer() {
        let err = parse(
            br#"{"id":"a","type":"Dataset","name":"A","nmae":"typo"}"#,
            &vocab(),
        )
        .unwrap_err();
        let DocumentError::Schema(problems) = err else {
            panic!("{err:?}")
        };
        assert!(
            problems.iter().any(|p| p.message.contains("nmae")),
            "{problems:?}"
        );
        let err = parse(br#"{"id":"a","type":"Dataset","name":"A","coverage":{"sky":{"frame":"ICRS","circle":[1,2,3],"x":1}}}"#, &vocab()).unwrap_err();
        let DocumentError::Schema(problems) = err else {
            panic!("{err:?}")
        };
        assert!(
            problems.iter().any(|p| p.pointer == "/coverage/sky"),
            "{problems:?}"
        );
    }

    #[test]
    fn bad_values_name_their_pointer() {
        let err = parse(
            br#"{"id":"Bad Id","type":"Dataset","name":"A","keywords":["x",3]}"#,
            &vocab(),
        )
        .unwrap_err();
        let DocumentError::Schema(problems) = err else {
            panic!("{err:?}")
        };
        let pointers: Vec<&str> = problems.iter().map(|p| p.pointer.as_str()).collect();
        assert!(
            pointers.contains(&"/id") && pointers.contains(&"/keywords/1"),
            "{pointers:?}"
        );
    }

    #[test]
    fn unknown_vocabulary_values_name_the_closest_labels() {
        let err = parse(
            br#"{"id":"a","type":"Dataset","name":"A","mission":["Gaia","Plank"]}"#,
            &vocab(),
        )
        .unwrap_err();
        let DocumentError::Vocabulary(problems) = err else {
            panic!("{err:?}")
        };
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].pointer, "/mission/1");
        assert!(
            problems[0].closest.contains(&"Planck".to_owned()),
            "{problems:?}"
        );
    }

    #[test]
    fn urls_must_be_valid_iris() {
        let err = parse(br#"{"id":"a","type":"Dataset","name":"A","distribution":[{"accessURL":"http://a<b>"}]}"#, &vocab()).unwrap_err();
        let DocumentError::Schema(problems) = err else {
            panic!("{err:?}")
        };
        assert_eq!(problems[0].pointer, "/distribution/0/accessURL");
    }

    #[test]
    fn syntax_errors_give_a_position() {
        let err = parse(b"{\n \"id\": }", &vocab()).unwrap_err();
        assert!(
            matches!(err, DocumentError::Syntax { line: 2, .. }),
            "{err:?}"
        );
    }
}
