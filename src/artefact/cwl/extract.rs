//! A pipeline read end to end: the entry document loaded, every process it reaches checked,
//! and the entry process described.

use super::load::{Loader, Loc};
use super::meta::{self, Metadata};
use super::process::Checker;
use super::{ArtefactError, Limits, Mirror, Pos, Source, normalise};
use crate::artefact::yaml::Node;
use crate::model::asset::PipelineInfo;

/// What a pipeline's CWL says of it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Extracted {
    pub pipeline: PipelineInfo,
    pub metadata: Metadata,
    /// The entry process's `id`, `label` and `doc`.
    pub id: Option<String>,
    pub label: Option<String>,
    pub doc: Option<String>,
    /// The bundle's files the pipeline reads (documents, imports, includes), as they came.
    pub files: Vec<(String, Vec<u8>)>,
}

/// Reads the pipeline whose entry is `entry` (a path of `source`, optionally with
/// `#process`).
pub fn read(
    source: &dyn Source,
    entry: &str,
    mirrors: &[Mirror<'_>],
    limits: Limits,
) -> Result<Extracted, ArtefactError> {
    let (path, fragment) = match entry.split_once('#') {
        Some((p, f)) => (p, Some(f)),
        None => (entry, None),
    };
    let path = normalise(path).ok_or_else(|| {
        ArtefactError::new(
            entry,
            Pos::default(),
            "the entry must be a relative path inside the bundle",
        )
    })?;
    let mut loader = Loader::new(source, mirrors, limits);
    let loc = Loc::Bundle(path.clone());
    let root = loader.document(&loc, Pos::default(), 0)?;
    if root.map().is_none() {
        return Err(loader.err(
            root.at,
            format!("a CWL document is a mapping, not {}", root.kind()),
        ));
    }
    let mut checker = Checker::new(&mut loader);
    let entry_proc = match checker.pick(&root, &loc, fragment, None, root.at)? {
        Some(p) => p,
        None => {
            // A graph of several processes and no #main: each is checked; the entry is its
            // only workflow, else its first process.
            checker.check_graph(&root, &loc)?;
            let items = root.get("$graph").and_then(Node::seq).unwrap_or_default();
            let workflows: Vec<&Node> = items
                .iter()
                .filter(|i| i.get_str("class") == Some("Workflow"))
                .collect();
            let chosen = match workflows.as_slice() {
                [one] => (*one).clone(),
                _ => items
                    .first()
                    .cloned()
                    .unwrap_or_else(|| Node::new(crate::artefact::yaml::Value::Null)),
            };
            checker
                .pick(&root, &loc, chosen.get_str("id"), None, root.at)?
                .ok_or_else(|| loader_err(&root))?
        }
    };
    let checked = checker.check(&entry_proc)?;
    let namespaces = super::process::namespaces_of(&root);
    let node = &entry_proc.node;
    let metadata = meta::read(node, Some(&root), &namespaces);
    let pipeline = PipelineInfo {
        entry_point: Some(match fragment {
            Some(f) => format!("{path}#{f}"),
            None => path,
        }),
        default_engine: None,
        cwl_version: Some(entry_proc.version.clone()),
        process_class: Some(checked.class),
        code_repository: metadata.code_repository.clone(),
        steps: checked.steps,
        inputs: checked.inputs,
        outputs: checked.outputs,
        requirements: checked.requirements,
        images: checked.images.into_iter().collect(),
    };
    let text = |k: &str| node.get(k).and_then(super::process::doc_text);
    let id = node.get_str("id").map(|i| {
        let i = i.trim_start_matches('#');
        i.rsplit_once('/').map_or(i, |(_, l)| l).to_owned()
    });
    let label = text("label");
    let doc = text("doc");
    drop(checker);
    Ok(Extracted {
        pipeline,
        metadata,
        id,
        label,
        doc,
        files: loader.into_files(),
    })
}

fn loader_err(root: &Node) -> ArtefactError {
    ArtefactError::new("(document)", root.at, "$graph holds no process")
}
