//! The RDF store of truth (oxigraph on RocksDB).
//!
//! Each asset lives in two named graphs (public and private fields). Beside them the store keeps
//! its own bookkeeping: a monotonically increasing revision in `urn:orrery:meta`, and in
//! `urn:orrery:state` one entry per asset with the revision and datestamp of its last change and
//! a deletion mark (the tombstone). A write replaces an asset's graphs, its state entry and the
//! store revision in one transaction, so projections can always catch up from the state graph.

use std::path::Path;
use std::sync::{Arc, Mutex};

use oxigraph::model::{GraphNameRef, Literal, NamedNode, NamedNodeRef, Quad, QuadRef, Term};
use oxigraph::store::{StorageError, Store as Oxigraph};

use crate::model::ns::{self, ORR, XSD};
use crate::model::rdf::{AssetIris, MappingError, from_quads, to_quads};
use crate::model::vocab::{ONTOLOGY_FILES, OntologyError, ontology_quads};
use crate::model::{Asset, Vocabularies};

pub mod db;
pub mod digest;
pub mod log;
mod public;
pub mod sqlite;
mod versions;
mod write;
pub use public::{PUBLIC_GRAPH, vocabulary_graphs};
pub use versions::{NewVersion, Version, VersionFile, sha256_hex};
pub use write::{Body, Conflict, Expect, Mutation};

/// Errors of the storage layer.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("RDF store: {0}")]
    Storage(#[from] StorageError),
    #[error(transparent)]
    Mapping(#[from] MappingError),
    #[error(transparent)]
    Ontology(#[from] OntologyError),
    #[error("the data directory {0} is in use by another orrery process")]
    Locked(String),
    #[error(
        "the data directory was created for base URL {stored}, not {given}; start with --base-url {stored}"
    )]
    BaseMismatch { stored: String, given: String },
    #[error("the store is corrupt: {0}")]
    Corrupt(String),
    #[error("{0}")]
    OtherLog(String),
}

pub type Result<T> = std::result::Result<T, StoreError>;

/// The bookkeeping entry of one asset.
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    pub id: String,
    pub revision: u64,
    /// RFC 3339 time of the change.
    pub datestamp: String,
    pub deleted: bool,
    /// The revision and time of the last change to the asset's public graph: what readers of
    /// the public graph are told (a private change or a pending edit must not show to them).
    pub public_revision: u64,
    pub public_datestamp: String,
    /// Whether anonymous readers ever saw it (so that its disappearance is announced to
    /// harvesters, and the disappearance of one they never saw is not).
    pub ever_public: bool,
}

fn orr(local: &str) -> NamedNode {
    NamedNode::new_unchecked(format!("{ORR}{local}"))
}

fn state_subject(id: &str) -> NamedNode {
    NamedNode::new_unchecked(format!("{ORR}asset:{id}"))
}

fn int(n: u64) -> Term {
    Literal::new_typed_literal(
        n.to_string(),
        NamedNode::new_unchecked(format!("{XSD}integer")),
    )
    .into()
}

fn literal_str(t: &Term) -> Option<&str> {
    match t {
        Term::Literal(l) => Some(l.value()),
        _ => None,
    }
}

/// The catalogue's RDF store.
pub struct Store {
    db: Oxigraph,
    base: String,
    vocab: Arc<Vocabularies>,
    /// Serialises writers so revisions are assigned without gaps or races.
    write_lock: Mutex<()>,
}

impl Store {
    /// Opens (creating if needed) the store under `dir`. A new store is created for `base`
    /// (or `default_base`); an existing one keeps the base it was created with, and refuses a
    /// different one.
    pub fn open(
        dir: &Path,
        base: Option<&str>,
        default_base: &str,
        vocab: Arc<Vocabularies>,
    ) -> Result<Store> {
        #[cfg(feature = "rocksdb")]
        let db = Oxigraph::open(dir);
        #[cfg(not(feature = "rocksdb"))]
        let db = {
            let _ = dir;
            Oxigraph::new()
        };
        let db = db.map_err(|e| {
            let text = e.to_string();
            if text.contains("lock") || text.contains("Resource temporarily unavailable") {
                StoreError::Locked(dir.display().to_string())
            } else {
                StoreError::Storage(e)
            }
        })?;
        let mut store = Store {
            db,
            base: String::new(),
            vocab,
            write_lock: Mutex::new(()),
        };
        let given = base.map(|b| b.trim_end_matches('/').to_owned());
        store.base = match (store.meta_value("base")?, given) {
            (Some(stored), Some(given)) if stored != given => {
                return Err(StoreError::BaseMismatch { stored, given });
            }
            (Some(stored), _) => stored,
            (None, given) => {
                let base = given.unwrap_or_else(|| default_base.trim_end_matches('/').to_owned());
                store.db.insert(QuadRef::new(
                    orr("store").as_ref(),
                    orr("base").as_ref(),
                    &Term::from(Literal::new_simple_literal(&base)),
                    Self::meta_graph().as_ref(),
                ))?;
                base
            }
        };
        if store.meta_value("created")?.is_none() {
            let now = crate::clock::now();
            store.db.insert(QuadRef::new(
                orr("store").as_ref(),
                orr("created").as_ref(),
                &Term::from(Literal::new_simple_literal(&now)),
                Self::meta_graph().as_ref(),
            ))?;
        }
        store.init_ontologies()?;
        store.init_implied_classes()?;
        store.init_public_graph()?;
        Ok(store)
    }

    pub fn base(&self) -> &str {
        &self.base
    }

    /// When this store was created (UTC, seconds).
    pub fn created(&self) -> String {
        self.meta_value("created")
            .ok()
            .flatten()
            .unwrap_or_else(|| "2000-01-01T00:00:00Z".to_owned())
    }

    /// Whether this store follows a revision log shared in PostgreSQL (see `bind_log`).
    pub fn follows_a_log(&self) -> Result<bool> {
        Ok(self.meta_value("log")?.is_some())
    }

    /// Binds the store to the revision log it follows, named by the log's creation time: an
    /// empty store takes it; a store that followed another log, or holds more revisions than
    /// the log, is refused (it would skip the log's revisions it believes it has).
    pub fn bind_log(&self, log: &str, head: u64) -> Result<()> {
        let bound = self.meta_value("log")?;
        let revision = self.revision()?;
        if revision == 0 && bound.is_none() {
            let _guard = self.lock();
            self.db.insert(QuadRef::new(
                orr("store").as_ref(),
                orr("log").as_ref(),
                &Term::from(Literal::new_simple_literal(log)),
                Self::meta_graph().as_ref(),
            ))?;
            return Ok(());
        }
        if bound.as_deref() != Some(log) {
            return Err(StoreError::OtherLog(format!(
                "this data directory holds a catalogue (revision {revision}) that does not follow this database's revision log; start the node on an empty data directory"
            )));
        }
        if revision > head {
            return Err(StoreError::OtherLog(format!(
                "this data directory is at revision {revision}, ahead of the log's head {head} (was the database restored?); start the node on an empty data directory"
            )));
        }
        Ok(())
    }

    /// Takes the creation time of a catalogue shared with other nodes (the revision log's),
    /// so that every replica tells harvesters the same.
    pub fn share_created(&self, created: &str) -> Result<()> {
        if self.meta_value("created")?.as_deref() == Some(created) {
            return Ok(());
        }
        let _guard = self.lock();
        let (s, p, g) = (orr("store"), orr("created"), Self::meta_graph());
        let mut t = self.db.start_transaction()?;
        remove_all(&mut t, s.as_ref(), Some(p.as_ref()), g.as_ref())?;
        t.insert(&Quad::new(s, p, Literal::new_simple_literal(created), g));
        t.commit()?;
        Ok(())
    }

    /// An order-free digest of everything the store holds but its own settings (base URL,
    /// creation time, revision): two replicas that applied the same log have the same one.
    /// Blank nodes (only the ontologies have them, labelled afresh by each store) count
    /// without their labels.
    pub fn digest(&self) -> Result<String> {
        let meta = Term::from(Self::meta_graph()).to_string();
        let mut d = digest::OrderFree::default();
        for q in self.db.iter() {
            let q = q?;
            let graph = q.graph_name.to_string();
            if graph == meta {
                continue;
            }
            let subject = if q.subject.is_blank_node() {
                "_:".to_owned()
            } else {
                q.subject.to_string()
            };
            let object = if q.object.is_blank_node() {
                "_:".to_owned()
            } else {
                q.object.to_string()
            };
            d.add(format!("{subject} {} {object} {graph}", q.predicate).as_bytes());
        }
        Ok(d.finish())
    }

    pub fn vocab(&self) -> &Vocabularies {
        &self.vocab
    }

    /// The underlying oxigraph store, for read-only queries by the layers above.
    pub fn oxigraph(&self) -> &Oxigraph {
        &self.db
    }

    fn meta_graph() -> NamedNode {
        NamedNode::new_unchecked(ns::META_GRAPH)
    }

    fn state_graph() -> NamedNode {
        NamedNode::new_unchecked(ns::STATE_GRAPH)
    }

    fn meta_value(&self, key: &str) -> Result<Option<String>> {
        let g = Self::meta_graph();
        let s = orr("store");
        let p = orr(key);
        let first = self
            .db
            .quads_for_pattern(
                Some(s.as_ref().into()),
                Some(p.as_ref()),
                None,
                Some(g.as_ref().into()),
            )
            .next();
        Ok(first
            .transpose()?
            .and_then(|q| literal_str(&q.object).map(str::to_owned)))
    }

    /// (Re)loads the ontologies into their graphs when the compiled-in files changed.
    fn init_ontologies(&self) -> Result<()> {
        let _guard = self.lock();
        let fingerprint = ontology_fingerprint();
        if self.meta_value("ontologies")?.as_deref() != Some(fingerprint.as_str()) {
            let mut t = self.db.start_transaction()?;
            for (stem, _) in ONTOLOGY_FILES {
                let g = NamedNode::new_unchecked(format!("{}{stem}", ns::VOCAB_GRAPH));
                public::withdraw(&mut t, g.as_ref())?;
                t.remove_named_graph(g.as_ref())?;
            }
            let quads = ontology_quads()?;
            t.extend(&quads);
            for g in vocabulary_graphs() {
                t.extend(&public::copies(&quads, g.as_ref()));
            }
            let (s, p, g) = (orr("store"), orr("ontologies"), Self::meta_graph());
            remove_all(&mut t, s.as_ref(), Some(p.as_ref()), g.as_ref())?;
            t.insert(QuadRef::new(
                s.as_ref(),
                p.as_ref(),
                &Term::from(Literal::new_simple_literal(&fingerprint)),
                g.as_ref(),
            ));
            t.commit()?;
        }
        Ok(())
    }

    /// Gives the assets of a store written before assets carried the schema.org, DCAT and
    /// Bioschemas classes their own class implies (`rdf::implied_classes`) those classes, once,
    /// in the graph that holds their own class; the public graph is then rebuilt from them.
    fn init_implied_classes(&self) -> Result<()> {
        if self.meta_value("impliedClasses")?.is_some() {
            return Ok(());
        }
        let _guard = self.lock();
        let rdf_type = NamedNode::new_unchecked(ns::RDF_TYPE);
        let mut t = self.db.start_transaction()?;
        let typed: Vec<Quad> = t
            .quads_for_pattern(None, Some(rdf_type.as_ref()), None, None)
            .collect::<std::result::Result<_, _>>()?;
        let mut upgraded = false;
        for q in typed {
            let Term::NamedNode(class) = &q.object else {
                continue;
            };
            if q.graph_name.to_string().contains(ns::ORR) {
                continue;
            }
            for implied in crate::model::rdf::implied_classes(class.as_str()) {
                upgraded = true;
                t.insert(QuadRef::new(
                    q.subject.as_ref(),
                    rdf_type.as_ref(),
                    NamedNodeRef::new_unchecked(implied),
                    q.graph_name.as_ref(),
                ));
            }
        }
        let (s, p, g) = (orr("store"), orr("impliedClasses"), Self::meta_graph());
        t.insert(QuadRef::new(
            s.as_ref(),
            p.as_ref(),
            &Term::from(Literal::new_simple_literal("1")),
            g.as_ref(),
        ));
        if upgraded {
            // The public graph is a copy: the next step rebuilds it with the new triples.
            let (p, g) = (orr("publicGraph"), Self::meta_graph());
            remove_all(&mut t, s.as_ref(), Some(p.as_ref()), g.as_ref())?;
        }
        t.commit()?;
        Ok(())
    }

    /// The text of every literal `s p ?o` in graph `g`.
    fn texts(
        &self,
        s: NamedNodeRef<'_>,
        p: NamedNodeRef<'_>,
        g: NamedNodeRef<'_>,
    ) -> Result<Vec<String>> {
        let mut out = Vec::new();
        for q in self
            .db
            .quads_for_pattern(Some(s.into()), Some(p), None, Some(g.into()))
        {
            out.push(literal_str(&q?.object).unwrap_or_default().to_owned());
        }
        Ok(out)
    }

    /// The records of an asset in a bookkeeping graph: the text of `?x record ?o` for every
    /// `?x asset "{id}"` in `g` (history events, versions).
    fn records_of(
        &self,
        g: NamedNodeRef<'_>,
        id: &str,
        record: NamedNodeRef<'_>,
    ) -> Result<Vec<String>> {
        let asset_p = orr("asset");
        let lit: Term = Literal::new_simple_literal(id).into();
        let mut out = Vec::new();
        for q in self.db.quads_for_pattern(
            None,
            Some(asset_p.as_ref()),
            Some(lit.as_ref()),
            Some(g.into()),
        ) {
            if let oxigraph::model::NamedOrBlankNode::NamedNode(s) = &q?.subject {
                out.extend(self.texts(s.as_ref(), record, g)?);
            }
        }
        Ok(out)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, ()> {
        // A panic while holding the lock cannot leave a half-written transaction (it is dropped
        // uncommitted), so a poisoned lock is safe to reuse.
        self.write_lock.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The store revision: the number of asset changes ever committed. Bulk commits add a value
    /// (they cannot remove one); the revision is the largest.
    pub fn revision(&self) -> Result<u64> {
        let (s, p, g) = (orr("store"), orr("revision"), Self::meta_graph());
        let mut max = 0;
        for q in self.db.quads_for_pattern(
            Some(s.as_ref().into()),
            Some(p.as_ref()),
            None,
            Some(g.as_ref().into()),
        ) {
            let q = q?;
            let v = literal_str(&q.object).unwrap_or_default();
            max = max.max(
                v.parse::<u64>()
                    .map_err(|_| StoreError::Corrupt(format!("revision {v:?}")))?,
            );
        }
        Ok(max)
    }

    /// Replaces each asset's graphs (creating it if new), one revision per asset, all in one
    /// atomic commit, with each asset's history event (`events[i]` for `assets[i]`). Returns the
    /// revision of each asset in order.
    ///
    /// A batch of assets that are all new goes through oxigraph's bulk loader (sorted SST files
    /// ingested atomically), which writes each shared term once per batch instead of once per
    /// quad; anything else is a transaction that first removes the old graphs.
    pub fn put(
        &self,
        assets: &[Asset],
        events: &[serde_json::Value],
        datestamp: &str,
    ) -> Result<Vec<u64>> {
        if events.len() != assets.len() {
            return Err(StoreError::Corrupt(format!(
                "{} assets but {} history events",
                assets.len(),
                events.len()
            )));
        }
        let mut quads = Vec::with_capacity(assets.len());
        for a in assets {
            quads.push(to_quads(a, &self.base, &self.vocab)?);
        }
        let _guard = self.lock();
        let start = self.revision()?;
        let revisions: Vec<u64> = (start + 1..=start + assets.len() as u64).collect();
        if self.all_new(assets)? {
            let mut loader = self.db.bulk_loader().with_num_threads(1);
            let mut all: Vec<Quad> = Vec::with_capacity(
                quads.iter().map(Vec::len).sum::<usize>() + 3 * assets.len() + 1,
            );
            for (((a, qs), &rev), e) in assets.iter().zip(quads).zip(&revisions).zip(events) {
                if a.is_public() {
                    let public = AssetIris::new(&self.base, &a.id).public;
                    all.extend(public::copies(&qs, public.as_ref()));
                }
                all.extend(qs);
                all.extend(state_quads(
                    &a.id,
                    rev,
                    datestamp,
                    false,
                    a.is_published_here(),
                ));
                all.extend(write::event_quads(&a.id, rev, datestamp, e));
            }
            all.push(revision_quad(start + assets.len() as u64));
            loader.load_quads(all)?;
            loader.commit()?;
        } else {
            let mut t = self.db.start_transaction()?;
            // Whether an asset put earlier in this batch was seen, so that a batch gives the
            // same state however it is cut into commits (a replica may apply it in parts).
            let mut seen: std::collections::HashSet<&str> = std::collections::HashSet::new();
            for (((a, qs), &rev), e) in assets.iter().zip(&quads).zip(&revisions).zip(events) {
                let iris = AssetIris::new(&self.base, &a.id);
                public::withdraw(&mut t, iris.public.as_ref())?;
                t.remove_named_graph(iris.public.as_ref())?;
                t.remove_named_graph(iris.private.as_ref())?;
                t.extend(qs);
                if a.is_public() {
                    t.extend(&public::copies(qs, iris.public.as_ref()));
                }
                let ever = a.is_published_here()
                    || seen.contains(a.id.as_str())
                    || self.change(&a.id)?.is_some_and(|c| c.ever_public);
                if a.is_published_here() {
                    seen.insert(&a.id);
                }
                Self::set_state(&mut t, &a.id, rev, datestamp, false, None, ever)?;
                t.extend(&write::event_quads(&a.id, rev, datestamp, e));
            }
            Self::set_revision(&mut t, start + assets.len() as u64)?;
            t.commit()?;
        }
        Ok(revisions)
    }

    /// Whether a batch is large enough for the bulk loader and names only assets never stored
    /// (not even deleted ones), each once.
    fn all_new(&self, assets: &[Asset]) -> Result<bool> {
        if assets.len() < BULK_MIN {
            return Ok(false);
        }
        let mut seen = std::collections::HashSet::with_capacity(assets.len());
        for a in assets {
            if !seen.insert(a.id.as_str()) || self.change(&a.id)?.is_some() {
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// Deletes an asset, leaving a tombstone. Returns its revision, or `None` if it did not exist.
    pub fn delete(
        &self,
        id: &str,
        event: serde_json::Value,
        datestamp: &str,
    ) -> Result<Option<u64>> {
        loop {
            let Some(current) = self.change(id)?.filter(|c| !c.deleted) else {
                return Ok(None);
            };
            let m = Mutation {
                id: id.to_owned(),
                expect: Expect::Revision(current.revision),
                body: Body::Delete,
                pending: None,
                event: event.clone(),
                version: None,
            };
            if let Ok(rev) = self.mutate(&m, datestamp)? {
                return Ok(Some(rev));
            }
        }
    }

    /// Replaces every revision value by `new`.
    fn set_revision(t: &mut oxigraph::store::Transaction<'_>, new: u64) -> Result<()> {
        let (s, p, g) = (orr("store"), orr("revision"), Self::meta_graph());
        remove_all(t, s.as_ref(), Some(p.as_ref()), g.as_ref())?;
        t.insert(&revision_quad(new));
        Ok(())
    }

    fn set_state(
        t: &mut oxigraph::store::Transaction<'_>,
        id: &str,
        rev: u64,
        datestamp: &str,
        deleted: bool,
        public: Option<(u64, &str)>,
        ever_public: bool,
    ) -> Result<()> {
        remove_all(
            t,
            state_subject(id).as_ref(),
            None,
            Self::state_graph().as_ref(),
        )?;
        t.extend(&state_quads(id, rev, datestamp, deleted, ever_public));
        if let Some((prev, pstamp)) = public.filter(|(r, _)| *r != rev) {
            let (s, g) = (state_subject(id), Self::state_graph());
            t.insert(&Quad::new(
                s.clone(),
                orr("publicRevision"),
                int(prev),
                g.clone(),
            ));
            let date = Literal::new_typed_literal(
                pstamp,
                NamedNode::new_unchecked(format!("{XSD}dateTime")),
            );
            t.insert(&Quad::new(s, orr("publicDatestamp"), date, g));
        }
        Ok(())
    }

    /// The bookkeeping entry of one asset (also of a deleted one).
    pub fn change(&self, id: &str) -> Result<Option<Change>> {
        let s = state_subject(id);
        let g = Self::state_graph();
        let mut change = Change {
            id: id.to_owned(),
            revision: 0,
            datestamp: String::new(),
            deleted: false,
            public_revision: 0,
            public_datestamp: String::new(),
            ever_public: false,
        };
        let mut found = false;
        for q in
            self.db
                .quads_for_pattern(Some(s.as_ref().into()), None, None, Some(g.as_ref().into()))
        {
            let q = q?;
            found = true;
            apply_state(&mut change, q.predicate.as_ref(), &q.object)?;
        }
        if change.public_revision == 0 {
            change.public_revision = change.revision;
            change.public_datestamp = change.datestamp.clone();
        }
        Ok(found.then_some(change))
    }

    /// Every asset changed after revision `after` (deleted ones included), in revision order.
    pub fn changes_since(&self, after: u64) -> Result<Vec<Change>> {
        let g = Self::state_graph();
        let rev_p = orr("revision");
        let mut ids = Vec::new();
        for q in
            self.db
                .quads_for_pattern(None, Some(rev_p.as_ref()), None, Some(g.as_ref().into()))
        {
            let q = q?;
            let rev: u64 = literal_str(&q.object)
                .and_then(|v| v.parse().ok())
                .ok_or_else(|| StoreError::Corrupt(format!("{q}")))?;
            if rev > after {
                let id = match &q.subject {
                    oxigraph::model::NamedOrBlankNode::NamedNode(n) => n
                        .as_str()
                        .strip_prefix(ORR)
                        .and_then(|s| s.strip_prefix("asset:")),
                    _ => None,
                };
                ids.push(
                    id.ok_or_else(|| StoreError::Corrupt(format!("{q}")))?
                        .to_owned(),
                );
            }
        }
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            if let Some(c) = self.change(&id)? {
                out.push(c);
            }
        }
        out.sort_by_key(|c| c.revision);
        Ok(out)
    }

    /// All quads of an asset's public and private graphs.
    pub fn asset_quads(&self, id: &str) -> Result<Vec<Quad>> {
        let iris = AssetIris::new(&self.base, id);
        let mut out = Vec::new();
        for g in [iris.public, iris.private] {
            for q in self
                .db
                .quads_for_pattern(None, None, None, Some(g.as_ref().into()))
            {
                out.push(q?);
            }
        }
        Ok(out)
    }

    /// The quads of an asset's public graph.
    pub fn public_quads(&self, id: &str) -> Result<Vec<Quad>> {
        let iris = AssetIris::new(&self.base, id);
        self.db
            .quads_for_pattern(None, None, None, Some(iris.public.as_ref().into()))
            .map(|q| q.map_err(StoreError::from))
            .collect()
    }

    /// The full asset (public and private fields), for internal use by layers that decide access.
    pub fn get_full(&self, id: &str) -> Result<Option<Asset>> {
        Ok(from_quads(
            id,
            &self.base,
            &self.vocab,
            self.asset_quads(id)?,
        )?)
    }

    /// An asset's type label, publication status (empty when it has none) and whether its
    /// audience is public, read directly.
    pub fn summary(&self, id: &str) -> Result<(String, String, bool)> {
        let iris = AssetIris::new(&self.base, id);
        let s = iris.subject.as_ref();
        let rdf_type = NamedNode::new_unchecked(ns::RDF_TYPE);
        let mut kind = String::new();
        for q in self.db.quads_for_pattern(
            Some(s.into()),
            Some(rdf_type.as_ref()),
            None,
            Some(iris.public.as_ref().into()),
        ) {
            if let Term::NamedNode(n) = q?.object
                && let Some(c) = self
                    .vocab
                    .by_iri(crate::model::Scheme::AssetTypes, n.as_str())
            {
                kind = c.pref_label.clone();
            }
        }
        let status_p = NamedNode::new_unchecked(format!("{}publicationStatus", ns::ESADO));
        let mut status = String::new();
        for q in self.db.quads_for_pattern(
            Some(s.into()),
            Some(status_p.as_ref()),
            None,
            Some(iris.private.as_ref().into()),
        ) {
            status = literal_str(&q?.object).unwrap_or_default().to_owned();
        }
        let audience_p = NamedNode::new_unchecked(format!("{}audience", ns::ESADO));
        let mut public = true;
        for q in self.db.quads_for_pattern(
            Some(s.into()),
            Some(audience_p.as_ref()),
            None,
            Some(iris.private.as_ref().into()),
        ) {
            public = literal_str(&q?.object) != Some("private");
        }
        Ok((kind, status, public))
    }

    /// The account that owns an asset (empty when none does), read directly.
    pub fn owner(&self, id: &str) -> Result<String> {
        let iris = AssetIris::new(&self.base, id);
        let owner_p = NamedNode::new_unchecked(format!("{}owner", ns::ESADO));
        let mut owner = String::new();
        for q in self.db.quads_for_pattern(
            Some(iris.subject.as_ref().into()),
            Some(owner_p.as_ref()),
            None,
            Some(iris.private.as_ref().into()),
        ) {
            owner = literal_str(&q?.object).unwrap_or_default().to_owned();
        }
        Ok(owner)
    }

    /// The ids of every live asset.
    pub fn live_ids(&self) -> Result<Vec<String>> {
        Ok(self
            .changes_since(0)?
            .into_iter()
            .filter(|c| !c.deleted)
            .map(|c| c.id)
            .collect())
    }

    /// Writes every asset graph (and the vocabularies) as N-Quads, or the union as Turtle.
    pub fn dump(
        &self,
        out: &mut dyn std::io::Write,
        format: oxigraph::io::RdfFormat,
    ) -> Result<()> {
        use oxigraph::io::RdfSerializer;
        let mut ser = RdfSerializer::from_format(format)
            .with_prefix("sdo", ns::SDO)
            .and_then(|s| s.with_prefix("esado", ns::ESADO))
            .and_then(|s| s.with_prefix("dcat", ns::DCAT))
            .and_then(|s| s.with_prefix("dct", ns::DCT))
            .map_err(|e| StoreError::Corrupt(e.to_string()))?
            .for_writer(out);
        let dataset = format.supports_datasets();
        for q in self.db.iter() {
            let q = q?;
            if q.graph_name
                .to_string()
                .starts_with(&format!("<{}", ns::ORR))
            {
                // Bookkeeping (revision, state, pending revisions, history) is not catalogue data.
                continue;
            }
            let q = if dataset {
                q
            } else {
                Quad::new(q.subject, q.predicate, q.object, GraphNameRef::DefaultGraph)
            };
            ser.serialize_quad(&q)
                .map_err(|e| StoreError::Corrupt(e.to_string()))?;
        }
        ser.finish()
            .map_err(|e| StoreError::Corrupt(e.to_string()))?;
        Ok(())
    }

    /// Makes sure everything committed is on disk.
    pub fn flush(&self) -> Result<()> {
        #[cfg(feature = "rocksdb")]
        self.db.flush()?;
        Ok(())
    }
}

/// Removes every quad of `graph` about `subject` (with `predicate`, when given).
fn remove_all(
    t: &mut oxigraph::store::Transaction<'_>,
    subject: NamedNodeRef<'_>,
    predicate: Option<NamedNodeRef<'_>>,
    graph: NamedNodeRef<'_>,
) -> Result<()> {
    let old: Vec<Quad> = t
        .quads_for_pattern(Some(subject.into()), predicate, None, Some(graph.into()))
        .collect::<std::result::Result<_, _>>()?;
    for q in &old {
        t.remove(q);
    }
    Ok(())
}

/// Batches smaller than this are written in a transaction even when all their assets are new.
const BULK_MIN: usize = 64;

fn revision_quad(rev: u64) -> Quad {
    Quad::new(
        orr("store"),
        orr("revision"),
        int(rev),
        NamedNode::new_unchecked(ns::META_GRAPH),
    )
}

/// The bookkeeping quads of one asset.
fn state_quads(id: &str, rev: u64, datestamp: &str, deleted: bool, ever_public: bool) -> Vec<Quad> {
    let s = state_subject(id);
    let g = NamedNode::new_unchecked(ns::STATE_GRAPH);
    let date = Literal::new_typed_literal(
        datestamp,
        NamedNode::new_unchecked(format!("{XSD}dateTime")),
    );
    let mut out = vec![
        Quad::new(s.clone(), orr("revision"), int(rev), g.clone()),
        Quad::new(s.clone(), orr("datestamp"), date, g.clone()),
    ];
    let yes =
        || Literal::new_typed_literal("true", NamedNode::new_unchecked(format!("{XSD}boolean")));
    if ever_public {
        out.push(Quad::new(s.clone(), orr("everPublic"), yes(), g.clone()));
    }
    if deleted {
        out.push(Quad::new(s, orr("deleted"), yes(), g));
    }
    out
}

/// Whether anonymous readers see this asset (published, public audience).
pub fn anonymous_visible(a: &Asset) -> bool {
    a.status == Some(crate::model::Status::Published)
        && a.audience() == crate::model::Audience::Public
}

fn apply_state(change: &mut Change, p: NamedNodeRef<'_>, o: &Term) -> Result<()> {
    let v = literal_str(o).unwrap_or_default();
    match p.as_str().strip_prefix(ORR) {
        Some("revision") => {
            change.revision = v
                .parse()
                .map_err(|_| StoreError::Corrupt(format!("revision {v:?}")))?
        }
        Some("datestamp") => change.datestamp = v.to_owned(),
        Some("publicRevision") => {
            change.public_revision = v
                .parse()
                .map_err(|_| StoreError::Corrupt(format!("public revision {v:?}")))?
        }
        Some("publicDatestamp") => change.public_datestamp = v.to_owned(),
        Some("everPublic") => change.ever_public = v == "true",
        Some("deleted") => change.deleted = v == "true",
        _ => {}
    }
    Ok(())
}

fn ontology_fingerprint() -> String {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    for (stem, text) in ONTOLOGY_FILES {
        stem.hash(&mut h);
        text.hash(&mut h);
    }
    format!("{:016x}", h.finish())
}

#[cfg(test)]
mod tests;
