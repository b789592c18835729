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
