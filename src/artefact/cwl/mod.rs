//! CWL documents and bundles read into what a pipeline asset says of them.
//!
//! A pipeline comes as one `.cwl` file, a packed document (`$graph` with `#main`), or a bundle
//! of files (a zip or tar.gz with `manifest.json`). [`read`] starts at the entry file, expands
//! `$import` and `$include`, follows every step's `run:` (a file of the bundle or a process of
//! a packed graph), checks each process the way a CWL loader does (known classes, fields and
//! types, references that resolve, sources that name an input or a step's output), and
//! extracts the entry process's description: name, documentation, authors and the rest of its
//! `schema.org` metadata, inputs and outputs, steps, requirements and the container images of
//! every process reached.
//!
//! References resolve inside the bundle only. A URL resolves only when a [`Mirror`] holds a
//! copy of what it names (the EOAP schemas, say); anything else is refused with the file, line
//! and column that named it. Nothing is fetched.
//!
//! `load` reads the files and expands references; `process` checks and normalises one
//! process; `types` renders CWL types in their short form; `meta` reads the `s:`/`dct:`
//! metadata; `extract` puts it all together.

mod asset;
mod extract;
mod load;
mod meta;
mod process;
mod types;

use std::borrow::Cow;
use std::collections::BTreeMap;

pub use asset::to_asset;
pub use extract::{Extracted, read};
pub use meta::Metadata;

use super::ArtefactError;
use super::yaml::Pos;

/// Where the files of a pipeline come from.
pub trait Source {
    /// The bytes of a file of the bundle, by its normalised relative path.
    fn file(&self, path: &str) -> Option<Cow<'_, [u8]>>;
}

/// How far a pipeline may reach.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Files read (documents, imports and includes).
    pub max_files: usize,
    /// Bytes read, summed over the files.
    pub max_bytes: usize,
    /// Nesting of `run:`, `$import` and `$include`.
    pub max_depth: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_files: 1_000,
            max_bytes: 64 << 20,
            max_depth: 32,
        }
    }
}

/// The files of a bundle, in memory, by normalised relative path.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Bundle {
    files: BTreeMap<String, Vec<u8>>,
}

impl Bundle {
    /// A bundle of one file.
    pub fn single(name: &str, bytes: Vec<u8>) -> Result<Bundle, ArtefactError> {
        let mut b = Bundle::default();
        b.insert(name, bytes)?;
        Ok(b)
    }

    /// Adds a file; its path must stay inside the bundle (no absolute path, no `..` above the
    /// root) and not name a file already there.
    pub fn insert(&mut self, path: &str, bytes: Vec<u8>) -> Result<(), ArtefactError> {
        let norm = normalise(path).ok_or_else(|| {
            ArtefactError::new(
                path,
                Pos::default(),
                "a file of the bundle must have a relative path inside it (no absolute path, no `..` above its root)",
            )
        })?;
        if self.files.contains_key(&norm) {
            return Err(ArtefactError::new(
                path,
                Pos::default(),
                "the bundle holds two files of this name",
            ));
        }
        self.files.insert(norm, bytes);
        Ok(())
    }

    pub fn paths(&self) -> impl Iterator<Item = &str> {
        self.files.keys().map(String::as_str)
    }

    pub fn files(&self) -> impl Iterator<Item = (&str, &[u8])> {
        self.files.iter().map(|(k, v)| (k.as_str(), v.as_slice()))
    }

    pub fn len(&self) -> usize {
        self.files.len()
    }

    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    /// The bytes of all files.
    pub fn size(&self) -> usize {
        self.files.values().map(Vec::len).sum()
    }
}

impl Source for Bundle {
    fn file(&self, path: &str) -> Option<Cow<'_, [u8]>> {
        self.files.get(path).map(|b| Cow::Borrowed(b.as_slice()))
    }
}

/// The files under a directory, read as they are asked for (a CWL file on disk and its
/// neighbours). A path that leads outside the directory, through `..` or a symbolic link, is
/// not found.
#[derive(Debug, Clone)]
pub struct Directory(pub std::path::PathBuf);

impl Source for Directory {
    fn file(&self, path: &str) -> Option<Cow<'_, [u8]>> {
        let root = self.0.canonicalize().ok()?;
        let full = root.join(normalise(path)?).canonicalize().ok()?;
        if !full.starts_with(&root) || !full.is_file() {
            return None;
        }
        std::fs::read(full).ok().map(Cow::Owned)
    }
}

/// A local copy of documents a CWL file names by URL: `prefix` + a path of `files`.
pub struct Mirror<'a> {
    pub prefix: String,
    pub files: &'a dyn Source,
}

/// Local folders serving documents named by URL, as configured (`PREFIX=DIR`).
#[derive(Debug, Clone, Default)]
pub struct Mirrors(Vec<(String, Directory)>);

impl Mirrors {
    /// Reads `PREFIX=DIR` settings.
    pub fn parse(settings: &[String]) -> Result<Mirrors, String> {
        settings
            .iter()
            .map(|m| {
                m.split_once('=')
                    .filter(|(p, d)| !p.is_empty() && !d.is_empty())
                    .map(|(p, d)| (p.to_owned(), Directory(std::path::PathBuf::from(d))))
                    .ok_or_else(|| format!("a mirror is PREFIX=DIR, not {m:?}"))
            })
            .collect::<Result<_, _>>()
            .map(Mirrors)
    }

    /// The mirrors as [`read`] takes them.
    pub fn as_mirrors(&self) -> Vec<Mirror<'_>> {
        self.0
            .iter()
            .map(|(prefix, files)| Mirror {
                prefix: prefix.clone(),
                files,
            })
            .collect()
    }
}

/// `a/./b/../c` → `a/c`; `None` for an absolute path, a URL-like path, or one that climbs
/// above the root.
pub fn normalise(path: &str) -> Option<String> {
    if path.is_empty() || path.starts_with('/') || path.starts_with('\\') || path.contains('\0') {
        return None;
    }
    let path = path.replace('\\', "/");
    if path
        .split('/')
        .next()
        .is_some_and(|first| first.contains(':'))
        && path.contains("://")
    {
        return None;
    }
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            p => parts.push(p),
        }
    }
    (!parts.is_empty()).then(|| parts.join("/"))
}

/// The directory part of a normalised path (`""` at the root).
fn dir_of(path: &str) -> &str {
    path.rfind('/').map_or("", |i| &path[..i])
}

/// `reference` (relative to the file at `from`) as a normalised bundle path.
pub fn join(from: &str, reference: &str) -> Option<String> {
    let dir = dir_of(from);
    if dir.is_empty() {
        normalise(reference)
    } else {
        normalise(&format!("{dir}/{reference}"))
    }
}

#[cfg(test)]
mod tests;
