//! Reading the files of a pipeline: each document parsed once, `$import` replaced by the
//! document it names and `$include` by the text of the file, under the caps of [`Limits`].
//! References resolve against the file that holds them, inside the bundle, or inside a
//! [`Mirror`] when they are a URL it copies; anything else is refused where it is written.

use std::collections::HashMap;
use std::rc::Rc;

use super::{ArtefactError, Limits, Mirror, Pos, Source, join, normalise};
use crate::artefact::yaml::{self, Node, Value};

/// Where a document comes from: a path of the bundle, or a URL a mirror copies.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(super) enum Loc {
    Bundle(String),
    Mirror { mirror: usize, path: String },
}

pub(super) struct Loader<'a> {
    source: &'a dyn Source,
    mirrors: &'a [Mirror<'a>],
    limits: Limits,
    bytes: usize,
    /// Files opened (documents, imports, includes).
    opened: usize,
    /// File names by index (the `file` of every node's position).
    names: Vec<String>,
    docs: HashMap<Loc, Rc<Node>>,
    /// The bundle's files read, as they came (mirrored documents are not the bundle's).
    read: Vec<(String, Vec<u8>)>,
}

impl<'a> Loader<'a> {
    pub(super) fn new(source: &'a dyn Source, mirrors: &'a [Mirror<'a>], limits: Limits) -> Self {
        Loader {
            source,
            mirrors,
            limits,
            bytes: 0,
            opened: 0,
            names: Vec::new(),
            docs: HashMap::new(),
            read: Vec::new(),
        }
    }

    /// The name of a document (its bundle path, or its URL).
    pub(super) fn name(&self, loc: &Loc) -> String {
        match loc {
            Loc::Bundle(p) => p.clone(),
            Loc::Mirror { mirror, path } => format!("{}{path}", self.mirrors[*mirror].prefix),
        }
    }

    /// An error about `node`, in the file the node stands in.
    pub(super) fn err(&self, at: Pos, message: impl Into<String>) -> ArtefactError {
        let file = self
            .names
            .get(at.file as usize)
            .map_or("(document)", String::as_str);
        ArtefactError::new(file, at, message)
    }

    /// The bundle's files read so far, by path, as they came.
    pub(super) fn into_files(self) -> Vec<(String, Vec<u8>)> {
        self.read
    }

    /// Where `reference`, written in the document at `from` (at `at`), points: a document and
    /// a fragment (without its `#`).
    pub(super) fn resolve(
        &self,
        from: &Loc,
        reference: &str,
        at: Pos,
    ) -> Result<(Loc, Option<String>), ArtefactError> {
        let (path, fragment) = match reference.split_once('#') {
            Some((p, f)) => (p, Some(f.to_owned())),
            None => (reference, None),
        };
        if path.is_empty() {
            return Ok((from.clone(), fragment));
        }
        let path = path.strip_prefix("file://").map_or(path, |p| p);
        if path.contains("://") {
            for (i, m) in self.mirrors.iter().enumerate() {
                if let Some(rest) = path.strip_prefix(&m.prefix)
                    && let Some(p) = normalise(rest)
                {
                    return Ok((Loc::Mirror { mirror: i, path: p }, fragment));
                }
            }
            return Err(self.err(
                at,
                format!("{reference:?} is outside the bundle: references are resolved inside the bundle only, never fetched"),
            ));
        }
        let joined = match from {
            Loc::Bundle(f) => join(f, path).map(Loc::Bundle),
            Loc::Mirror { mirror, path: f } => join(f, path).map(|p| Loc::Mirror {
                mirror: *mirror,
                path: p,
            }),
        };
        joined.map(|l| (l, fragment)).ok_or_else(|| {
            self.err(
                at,
                format!(
                    "{reference:?} leaves the bundle (an absolute path or `..` above its root)"
                ),
            )
        })
    }

    fn bytes_of(&mut self, loc: &Loc, at: Pos) -> Result<Vec<u8>, ArtefactError> {
        let bytes = match loc {
            Loc::Bundle(p) => self.source.file(p),
            Loc::Mirror { mirror, path } => self.mirrors[*mirror].files.file(path),
        }
        .ok_or_else(|| {
            self.err(
                at,
                format!("{:?} is not a file of the bundle", self.name(loc)),
            )
        })?
        .into_owned();
        self.opened += 1;
        if self.opened > self.limits.max_files {
            return Err(self.err(
                at,
                format!(
                    "the pipeline reads more than {} files",
                    self.limits.max_files
                ),
            ));
        }
        self.bytes += bytes.len();
        if let Loc::Bundle(p) = loc
            && !self.read.iter().any(|(q, _)| q == p)
        {
            self.read.push((p.clone(), bytes.clone()));
        }
        if self.bytes > self.limits.max_bytes {
            return Err(self.err(
                at,
                format!(
                    "the pipeline's files add up to more than {} bytes",
                    self.limits.max_bytes
                ),
            ));
        }
        Ok(bytes)
    }

    /// The document at `loc`, parsed and with its imports and includes expanded (read once).
    pub(super) fn document(
        &mut self,
        loc: &Loc,
        at: Pos,
        depth: usize,
    ) -> Result<Rc<Node>, ArtefactError> {
        if let Some(d) = self.docs.get(loc) {
            return Ok(d.clone());
        }
        if depth > self.limits.max_depth {
            return Err(self.err(
                at,
                format!(
                    "references nest deeper than {} levels (a cycle?)",
                    self.limits.max_depth
                ),
            ));
        }
        let bytes = self.bytes_of(loc, at)?;
        let name = self.name(loc);
        let text = std::str::from_utf8(&bytes).map_err(|e| {
            ArtefactError::new(&name, Pos::default(), format!("not UTF-8 text: {e}"))
        })?;
        let file = u32::try_from(self.names.len()).unwrap_or(u32::MAX);
        self.names.push(name.clone());
        let mut root = yaml::parse(text, &name)?;
        root.set_file(file);
        let root = self.expand(root, loc, depth)?;
        let root = Rc::new(root);
        self.docs.insert(loc.clone(), root.clone());
        Ok(root)
    }

    /// Replaces `{$import: ref}` by the document it names and `{$include: ref}` by the text
    /// of the file, everywhere under `node`.
    fn expand(&mut self, node: Node, loc: &Loc, depth: usize) -> Result<Node, ArtefactError> {
        let (at, key_at) = (node.at, node.key);
        match node.value {
            Value::Map(entries) => {
                if let Some((key, target)) = entries
                    .iter()
                    .find(|(k, _)| k == "$import" || k == "$include")
                {
                    let Some(reference) = target.str() else {
                        return Err(self.err(target.at, format!("{key} takes a file name")));
                    };
                    let (target_loc, fragment) = self.resolve(loc, reference, target.at)?;
                    if key == "$include" {
                        let bytes = self.bytes_of(&target_loc, target.at)?;
                        let text = String::from_utf8(bytes).map_err(|_| {
                            self.err(target.at, format!("{reference:?} is not UTF-8 text"))
                        })?;
                        return Ok(Node {
                            value: Value::Str(text),
                            at,
                            key: key_at,
                        });
                    }
                    let doc = self.document(&target_loc, target.at, depth + 1)?;
                    let found = match fragment {
                        None => Ok((*doc).clone()),
                        Some(f) => find_id(&doc, &f, false).cloned().ok_or_else(|| {
                            self.err(
                                target.at,
                                format!("{reference:?}: no #{f} in that document"),
                            )
                        }),
                    };
                    return found.map(|mut n| {
                        n.key = key_at;
                        n
                    });
                }
                let mut out = Vec::with_capacity(entries.len());
                for (k, v) in entries {
                    out.push((k, self.expand(v, loc, depth)?));
                }
                Ok(Node {
                    value: Value::Map(out),
                    at,
                    key: key_at,
                })
            }
            Value::Seq(items) => {
                let mut out = Vec::with_capacity(items.len());
                for v in items {
                    let imported = v.get("$import").is_some();
                    match self.expand(v, loc, depth)? {
                        // A list imported into a list is spliced in (a file of type
                        // definitions among a SchemaDefRequirement's types).
                        Node {
                            value: Value::Seq(inner),
                            ..
                        } if imported => out.extend(inner),
                        n => out.push(n),
                    }
                }
                Ok(Node {
                    value: Value::Seq(out),
                    at,
                    key: key_at,
                })
            }
            other => Ok(Node {
                value: other,
                at,
                key: key_at,
            }),
        }
    }
}

/// The mapping under `node` whose `id` is `fragment` (with or without `#`); with `process`,
/// only a mapping that has a `class` (a workflow output may share a process's name).
pub(super) fn find_id<'n>(node: &'n Node, fragment: &str, process: bool) -> Option<&'n Node> {
    let want = fragment.trim_start_matches('#');
    match &node.value {
        Value::Map(entries) => {
            if node
                .get_str("id")
                .is_some_and(|id| id.trim_start_matches('#') == want)
                && (!process || node.get("class").is_some())
            {
                return Some(node);
            }
            entries.iter().find_map(|(_, v)| find_id(v, want, process))
        }
        Value::Seq(items) => items.iter().find_map(|v| find_id(v, want, process)),
        _ => None,
    }
}
