//! The platform's own artefacts, read as they come: CWL documents and pipeline bundles,
//! datalab packages.
//!
//! A protocol of layer 5 beside `search`, `linked` and `ivoa`: it knows the formats, not the
//! store. [`cwl`] reads a CWL v1.0–v1.2 document or bundle (YAML or JSON, packed `$graph`,
//! `$import`/`$include`/`run:` resolved inside the bundle only) into what a pipeline asset
//! says of it; [`yaml`] is the located tree every reader works on, so that each complaint names
//! the file, line and column it is about. Nothing here ever reaches the network because of a
//! document's content.

pub mod archive;
pub mod cwl;
pub mod datalab;
pub mod trs;
pub mod yaml;

use yaml::Pos;

/// Why an artefact was refused: the file, where in it, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", self.render())]
pub struct ArtefactError {
    pub file: String,
    pub at: Pos,
    pub message: String,
}

impl ArtefactError {
    pub fn new(file: &str, at: Pos, message: impl Into<String>) -> ArtefactError {
        ArtefactError {
            file: file.to_owned(),
            at,
            message: message.into(),
        }
    }

    fn render(&self) -> String {
        match (self.at.line, self.at.column) {
            (0, _) => format!("{}: {}", self.file, self.message),
            (l, 0) => format!("{}:{l}: {}", self.file, self.message),
            (l, c) => format!("{}:{l}:{c}: {}", self.file, self.message),
        }
    }
}

/// At most `n` characters of `s`.
pub fn clip(s: &str, n: usize) -> String {
    s.chars().take(n).collect()
}

/// An asset id from a name: lower case letters, digits, `.`, `_` and `-`, at most 64;
/// `fallback` when the name has none of them.
pub fn slug(name: &str, fallback: &str) -> String {
    let mut out = String::new();
    for c in name.chars() {
        match c {
            'a'..='z' | '0'..='9' | '.' | '_' => out.push(c),
            'A'..='Z' => out.push(c.to_ascii_lowercase()),
            _ if !out.ends_with('-') => out.push('-'),
            _ => {}
        }
    }
    let out = out.trim_matches(|c: char| !c.is_ascii_alphanumeric());
    let out: String = out.chars().take(64).collect();
    let out = out.trim_end_matches(['-', '.', '_']).to_owned();
    if out.is_empty() {
        fallback.to_owned()
    } else {
        out
    }
}

/// A text's abstract (its first paragraph on one line, at most 5,000 characters) and, when
/// there is more than that paragraph, the whole text as the description.
pub fn split_text(text: &str) -> (Option<String>, Option<String>) {
    let t = text.trim();
    let first = t.split("\n\n").next().unwrap_or(t).trim();
    let abstract_ = clip(
        &first.split_whitespace().collect::<Vec<_>>().join(" "),
        5000,
    );
    let description = (first.len() < t.len()).then(|| clip(t, 100_000));
    (Some(abstract_).filter(|a| !a.is_empty()), description)
}

/// A licence as the licence catalogue names it; `None`, with a notice, when the catalogue
/// does not know it (the artefact is kept, without its licence).
pub fn licence(
    vocab: &crate::model::Vocabularies,
    given: &str,
    notices: &mut Vec<String>,
) -> Option<String> {
    use crate::model::Scheme;
    match vocab.resolve(Scheme::Licenses, given) {
        Ok(c) => Some(c.value(Scheme::Licenses).to_owned()),
        Err(_) => {
            notices.push(format!(
                "licence {given:?} is not in the licence catalogue: left out"
            ));
            None
        }
    }
}
