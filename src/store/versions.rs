//! Versions of an asset: each push of a pipeline a named version with its description, its
//! files as they came and what was read of them, kept in the bookkeeping graph
//! `urn:orrery:versions` and written in the same transaction as the change of the asset the
//! push makes, so that an asset and its versions never disagree.
//!
//! Files are stored once by content (`urn:orrery:blob:{sha256}`, base64), so a file that does
//! not change from one version to the next costs nothing. A version becomes published when the
//! asset is written published at that version; from then on it is immutable (a push to it is
//! refused by the write path, and the store never rewrites its files).

use base64::Engine as _;
use oxigraph::model::{Literal, NamedNode, Quad};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::{Result, Store, StoreError, orr};

const VERSIONS_GRAPH: &str = "urn:orrery:versions";

fn graph() -> NamedNode {
    NamedNode::new_unchecked(VERSIONS_GRAPH)
}

/// A version to write with a mutation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewVersion {
    pub name: String,
    pub description: Option<String>,
    pub actor: Option<String>,
    /// The file the pipeline starts from.
    pub entry: Option<String>,
    /// Every file, as it came, by its path in the bundle (serialised in base64).
    #[serde(with = "files_base64")]
    pub files: Vec<(String, Vec<u8>)>,
    /// What was read of the files (the pipeline's description at this version).
    pub meta: serde_json::Value,
}

/// A version's files as `[path, base64]` pairs, as the revision log carries them.
mod files_base64 {
    use base64::Engine as _;
    use base64::engine::general_purpose::STANDARD;
    use serde::{Deserialize, Deserializer, Serializer, de::Error as _, ser::SerializeSeq};

    pub fn serialize<S: Serializer>(files: &[(String, Vec<u8>)], s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(files.len()))?;
        for (path, bytes) in files {
            seq.serialize_element(&(path, STANDARD.encode(bytes)))?;
        }
        seq.end()
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Vec<(String, Vec<u8>)>, D::Error> {
        let pairs = Vec::<(String, String)>::deserialize(d)?;
        pairs
            .into_iter()
            .map(|(path, b64)| {
                STANDARD
                    .decode(b64.as_bytes())
                    .map(|bytes| (path, bytes))
                    .map_err(D::Error::custom)
            })
            .collect()
    }
}

/// One file of a version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VersionFile {
    pub path: String,
    /// Hex SHA-256 of the bytes.
    pub sha256: String,
    pub size: u64,
}

/// A stored version.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Version {
    pub asset: String,
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
    pub published: bool,
    /// When it was pushed (RFC 3339) and the store revision of the push.
    pub created: String,
    pub revision: u64,
    #[serde(default)]
    pub actor: Option<String>,
    #[serde(default)]
    pub entry: Option<String>,
    pub files: Vec<VersionFile>,
    #[serde(default)]
    pub meta: serde_json::Value,
}

/// Hex SHA-256.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// `version:{asset}:{name}` with the name percent-encoded (any text may name a version).
fn subject(asset: &str, name: &str) -> NamedNode {
    let encoded: String = name
        .bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'.' | b'-' | b'_' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect();
    orr(&format!("version:{asset}:{encoded}"))
}

fn blob(sha: &str) -> NamedNode {
    orr(&format!("blob:{sha}"))
}

/// The quads that store `v` (pushed at `revision`, `at`) and its files' blobs.
pub(super) fn version_quads(
    asset: &str,
    v: &NewVersion,
    (revision, at): (u64, &str),
    published: bool,
) -> Result<(Version, Vec<Quad>)> {
    let g = graph();
    let mut quads = Vec::new();
    let mut files = Vec::with_capacity(v.files.len());
    for (path, bytes) in &v.files {
        let sha = sha256_hex(bytes);
        quads.push(Quad::new(
            blob(&sha),
            orr("bytes"),
            Literal::new_simple_literal(base64::engine::general_purpose::STANDARD.encode(bytes)),
            g.clone(),
        ));
        files.push(VersionFile {
            path: path.clone(),
            sha256: sha,
            size: bytes.len() as u64,
        });
    }
    let record = Version {
        asset: asset.to_owned(),
        name: v.name.clone(),
        description: v.description.clone(),
        published,
        created: at.to_owned(),
        revision,
        actor: v.actor.clone(),
        entry: v.entry.clone(),
        files,
        meta: v.meta.clone(),
    };
    quads.extend(record_quads(&record)?);
    Ok((record, quads))
}

fn record_quads(v: &Version) -> Result<Vec<Quad>> {
    let g = graph();
    let s = subject(&v.asset, &v.name);
    let json = serde_json::to_string(v).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    Ok(vec![
        Quad::new(
            s.clone(),
            orr("asset"),
            Literal::new_simple_literal(&v.asset),
            g.clone(),
        ),
        Quad::new(s, orr("record"), Literal::new_simple_literal(json), g),
    ])
}

impl Store {
    /// Every version of an asset, oldest first.
    pub fn versions(&self, asset: &str) -> Result<Vec<Version>> {
        let mut out = Vec::new();
        for text in self.records_of(graph().as_ref(), asset, orr("record").as_ref())? {
            let v: Version = serde_json::from_str(&text)
                .map_err(|e| StoreError::Corrupt(format!("a version of {asset}: {e}")))?;
            out.push(v);
        }
        out.sort_by_key(|v| v.revision);
        Ok(out)
    }

    /// One version of an asset.
    pub fn version(&self, asset: &str, name: &str) -> Result<Option<Version>> {
        Ok(self.versions(asset)?.into_iter().find(|v| v.name == name))
    }

    /// The bytes of a stored file, by its SHA-256.
    pub fn blob(&self, sha256: &str) -> Result<Option<Vec<u8>>> {
        let texts = self.texts(
            blob(sha256).as_ref(),
            orr("bytes").as_ref(),
            graph().as_ref(),
        )?;
        texts
            .first()
            .map(|t| {
                base64::engine::general_purpose::STANDARD
                    .decode(t)
                    .map_err(|e| StoreError::Corrupt(format!("blob {sha256}: {e}")))
            })
            .transpose()
    }

    /// Stores versions of assets already written, each at its asset's current revision and
    /// outside any change (no revision, no history event), published when its asset is
    /// published at it: the versions of a seeded demo catalogue, and of what `orrery ingest`
    /// reads (CWL files, datalab packages). A version already published is never rewritten:
    /// it is left as it is and named in the answer.
    pub fn attach_versions(&self, versions: &[(String, NewVersion)]) -> Result<Vec<String>> {
        self.attach_versions_inner(versions, None)
    }

    /// `attach_versions` as a revision of a replicated log: the store's revision moves to
    /// `revision` in the same commit.
    pub fn attach_versions_at(
        &self,
        versions: &[(String, NewVersion)],
        revision: u64,
    ) -> Result<Vec<String>> {
        self.attach_versions_inner(versions, Some(revision))
    }

    fn attach_versions_inner(
        &self,
        versions: &[(String, NewVersion)],
        revision: Option<u64>,
    ) -> Result<Vec<String>> {
        let _guard = self.lock();
        let mut t = self.db.start_transaction()?;
        let mut kept = Vec::new();
        for (id, v) in versions {
            let change = self.change(id)?.filter(|c| !c.deleted).ok_or_else(|| {
                StoreError::Corrupt(format!("no asset {id} for version {}", v.name))
            })?;
            if self.version(id, &v.name)?.is_some_and(|old| old.published) {
                kept.push(format!(
                    "version {} of {id} is published: its files were kept as they were (name a new version)",
                    v.name
                ));
                continue;
            }
            let published = self.get_full(id)?.is_some_and(|a| {
                a.status == Some(crate::model::Status::Published)
                    && a.version.as_deref() == Some(v.name.as_str())
            });
            self.put_version(
                &mut t,
                id,
                v,
                (change.revision, &change.datestamp),
                published,
            )?;
        }
        if let Some(rev) = revision {
            Self::set_revision(&mut t, rev)?;
        }
        t.commit()?;
        Ok(kept)
    }

    /// Inside a mutation's transaction: marks the asset's version `name` published (when it
    /// has one that is not yet).
    pub(super) fn publish_version(
        &self,
        t: &mut oxigraph::store::Transaction<'_>,
        asset: &str,
        name: &str,
    ) -> Result<()> {
        let Some(mut v) = self.version(asset, name)? else {
            return Ok(());
        };
        if v.published {
            return Ok(());
        }
        for q in record_quads(&v)? {
            t.remove(&q);
        }
        v.published = true;
        t.extend(&record_quads(&v)?);
        Ok(())
    }

    /// Inside a mutation's transaction: writes a pushed version (replacing an unpublished one
    /// of the same name), published at once when the asset is written published at it.
    pub(super) fn put_version(
        &self,
        t: &mut oxigraph::store::Transaction<'_>,
        asset: &str,
        v: &NewVersion,
        (revision, at): (u64, &str),
        published: bool,
    ) -> Result<Version> {
        if let Some(old) = self.version(asset, &v.name)? {
            if old.published {
                return Err(StoreError::Corrupt(format!(
                    "version {} of {asset} is published and cannot change",
                    v.name
                )));
            }
            for q in record_quads(&old)? {
                t.remove(&q);
            }
        }
        let (record, quads) = version_quads(asset, v, (revision, at), published)?;
        t.extend(&quads);
        Ok(record)
    }
}
