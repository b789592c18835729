//! CWL reading checked against the reference tools. cwltool decides which files are valid and
//! cwl-utils what they say; orrery's reader must agree with both on every tool and workflow
//! file of the CWL v1.2 conformance suite and on the EOAP, MAAP and community files in
//! `../shared/corpus/cwl` (the EOAP schema URLs served from the local copy on both sides;
//! nothing is fetched). Every disagreement is listed.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use orrery::artefact::cwl::{self, Directory, Limits, Mirror};
use serde_json::{Value, json};

use crate::common;

const EOAP_SCHEMAS: &str = "https://raw.githubusercontent.com/eoap/schemas/main/";

/// Where orrery and the reference tools knowingly differ, file by file, with why.
const KNOWN: &[(&str, &str)] = &[(
    "eoap/pattern-12.cwl",
    "cwl-utils 0.45 cannot load a SchemaDefRequirement whose types `$import` a list of types \
     (\"Expected a NoneType but got CommentedSeq\"); cwltool validates the file and orrery reads it",
)];

fn cwl_files(corpus: &Path) -> Vec<String> {
    fn walk(dir: &Path, root: &Path, out: &mut Vec<String>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(&p, root, out);
            } else if p.extension().is_some_and(|x| x == "cwl") {
                out.push(p.strip_prefix(root).unwrap().to_string_lossy().into_owned());
            }
        }
    }
    let mut out = Vec::new();
    for folder in ["cwl-v1.2-suite", "eoap", "maap", "cwl-workflows"] {
        walk(&corpus.join(folder), corpus, &mut out);
    }
    out.sort();
    out
}

/// What the reference tools say of each file.
pub fn oracle(corpus: &Path, files: &[String]) -> BTreeMap<String, Value> {
    let python: PathBuf = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/venv/bin/python");
    assert!(
        python.exists(),
        "target/venv is missing: run `make test` (scripts/prereqs.sh)"
    );
    let dir = tempfile::tempdir().unwrap();
    let list = dir.path().join("files.txt");
    std::fs::write(&list, files.join("\n")).unwrap();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/clients/cwl_oracle.py");
    let out = Command::new(&python)
        .arg(&script)
        .arg(corpus)
        .arg(&list)
        .arg(format!(
            "{EOAP_SCHEMAS}={}",
            corpus.join("eoap-schemas").display()
        ))
        .output()
        .expect("the CWL oracle runs");
    assert!(
        out.status.success(),
        "cwl_oracle.py failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("the oracle prints JSON")
}

fn params(ps: &[orrery::model::asset::Parameter]) -> Value {
    Value::Array(
        ps.iter()
            .map(|p| {
                json!({"id": p.id, "type": p.kind, "optional": p.optional, "label": p.label, "doc": p.doc, "format": p.format})
            })
            .collect(),
    )
}

fn ours(x: &cwl::Extracted) -> Value {
    let p = &x.pipeline;
    json!({
        "class": p.process_class,
        "inputs": params(&p.inputs),
        "outputs": params(&p.outputs),
        "steps": p.steps.iter().map(|s| json!({
            "id": s.id, "run": s.run, "runs": s.runs, "scatter": s.scatter,
            "scatterMethod": s.scatter_method, "when": s.when,
        })).collect::<Vec<_>>(),
        "images": p.images,
    })
}

/// The first place two extractions differ.
fn first_difference(path: &str, a: &Value, b: &Value) -> Option<String> {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            let keys: std::collections::BTreeSet<&String> = x.keys().chain(y.keys()).collect();
            keys.into_iter().find_map(|k| {
                first_difference(
                    &format!("{path}/{k}"),
                    x.get(k).unwrap_or(&Value::Null),
                    y.get(k).unwrap_or(&Value::Null),
                )
            })
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => x
            .iter()
            .zip(y)
            .enumerate()
            .find_map(|(i, (p, q))| first_difference(&format!("{path}/{i}"), p, q)),
        _ if a == b => None,
        _ => Some(format!("{path}: orrery {a} ≠ cwl-utils {b}")),
    }
}

#[test]
fn the_cwl_reader_agrees_with_cwltool_and_cwl_utils() {
    let corpus = common::shared().join("corpus/cwl");
    let files = cwl_files(&corpus);
    assert!(
        files.len() > 300,
        "the conformance suite is missing: {} files",
        files.len()
    );
    let oracle = oracle(&corpus, &files);
    let source = Directory(corpus.clone());
    let schemas = Directory(corpus.join("eoap-schemas"));
    let mirrors = [Mirror {
        prefix: EOAP_SCHEMAS.to_owned(),
        files: &schemas,
    }];
    let mut disagreements: Vec<(String, String)> = Vec::new();
    let (mut valid, mut refused) = (0, 0);
    for f in &files {
        let theirs = &oracle[f];
        let mine = cwl::read(&source, f, &mirrors, Limits::default());
        let accepted = theirs["valid"].as_bool().unwrap_or(false);
        match (&mine, accepted) {
            (Ok(x), true) => {
                valid += 1;
                if let Some(e) = theirs.get("extract_error") {
                    disagreements.push((f.clone(), format!("cwl-utils could not read it: {e}")));
                } else if let Some(d) = first_difference("", &ours(x), &theirs["extract"]) {
                    disagreements.push((f.clone(), d));
                }
            }
            (Err(e), false) => {
                refused += 1;
                let _ = e;
            }
            (Ok(_), false) => disagreements.push((
                f.clone(),
                format!(
                    "orrery accepts what cwltool refuses: {}",
                    theirs["error"]
                        .as_str()
                        .unwrap_or("")
                        .lines()
                        .rev()
                        .take(3)
                        .collect::<Vec<_>>()
                        .join(" / ")
                ),
            )),
            (Err(e), true) => disagreements.push((
                f.clone(),
                format!("orrery refuses what cwltool accepts: {e}"),
            )),
        }
    }
    eprintln!(
        "{} CWL files: {valid} valid and read alike, {refused} refused by both, {} disagreements",
        files.len(),
        disagreements.len()
    );
    let unexpected: Vec<String> = disagreements
        .iter()
        .filter(|(f, _)| !KNOWN.iter().any(|(k, _)| k == f))
        .map(|(f, d)| format!("{f}: {d}"))
        .collect();
    let gone: Vec<&str> = KNOWN
        .iter()
        .filter(|(k, _)| !disagreements.iter().any(|(f, _)| f == k))
        .map(|(k, _)| *k)
        .collect();
    assert!(
        unexpected.is_empty() && gone.is_empty(),
        "disagreements with cwltool/cwl-utils:\n{}\nno longer disagreeing (remove from KNOWN): {gone:?}",
        unexpected.join("\n")
    );
}
