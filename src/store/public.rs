//! The public graph: one named graph holding exactly what anonymous readers may see as RDF —
//! the public graphs of published public assets and the vocabularies.
//!
//! SPARQL queries run on this graph alone, so no query (however written) can reach a draft, a
//! private field, a pending edit or the store's bookkeeping. It is kept in the same transaction
//! as every change of an asset, so it is exact at every revision. The subjects of an asset's
//! graphs are its own IRI and fragments of it (`…/id/{id}#…`), and the vocabularies describe
//! concepts, so no two sources contribute the same triple: removing one asset's triples can
//! never remove another's.

use oxigraph::model::{GraphName, NamedNode, NamedNodeRef, Quad, QuadRef, Term};

use super::{Result, Store, orr};
use crate::model::Asset;
use crate::model::ns;
use crate::model::rdf::AssetIris;
use crate::model::vocab::ONTOLOGY_FILES;

/// The name of the public graph (bookkeeping namespace: it is never dumped, being a copy).
pub const PUBLIC_GRAPH: &str = "urn:orrery:public";

/// The layout version of the public graph; a store without it (or with another) rebuilds it.
const LAYOUT: &str = "1";

fn public_graph() -> NamedNode {
    NamedNode::new_unchecked(PUBLIC_GRAPH)
}

/// The named graphs holding the vocabularies.
pub fn vocabulary_graphs() -> Vec<NamedNode> {
    ONTOLOGY_FILES
        .iter()
        .map(|(stem, _)| NamedNode::new_unchecked(format!("{}{stem}", ns::VOCAB_GRAPH)))
        .collect()
}

/// `q` moved into the public graph.
fn publish(q: &Quad) -> Quad {
    Quad::new(
        q.subject.clone(),
        q.predicate.clone(),
        q.object.clone(),
        public_graph(),
    )
}

/// The public-graph copies of those of `quads` that lie in `graph`.
pub(super) fn copies(quads: &[Quad], graph: NamedNodeRef<'_>) -> Vec<Quad> {
    quads
        .iter()
        .filter(|q| q.graph_name.as_ref() == graph.into())
        .map(publish)
        .collect()
}

/// Removes from the public graph every triple that `graph` holds now (inside `t`).
pub(super) fn withdraw(
    t: &mut oxigraph::store::Transaction<'_>,
    graph: NamedNodeRef<'_>,
) -> Result<()> {
    let old: Vec<Quad> = t
        .quads_for_pattern(None, None, None, Some(graph.into()))
        .collect::<std::result::Result<_, _>>()?;
    for q in &old {
        t.remove(&publish(q));
    }
    Ok(())
}

impl Store {
    /// The public graph's name, for readers that evaluate queries on it.
    pub fn public_graph(&self) -> NamedNode {
        public_graph()
    }

    /// Whether the asset is another registry's resource (it carries its VOResource record).
    pub fn is_harvested(&self, id: &str) -> Result<bool> {
        let iris = AssetIris::new(&self.base, id);
        let p = NamedNode::new_unchecked(format!("{}voresource", ns::ESADO));
        Ok(self
            .db
            .quads_for_pattern(
                Some(iris.subject.as_ref().into()),
                Some(p.as_ref()),
                None,
                Some(iris.public.as_ref().into()),
            )
            .next()
            .transpose()?
            .is_some())
    }

    /// Whether the asset (by its stored state) is seen by anonymous readers.
    pub(super) fn stored_public(&self, id: &str) -> Result<bool> {
        let (_, status, public) = self.summary(id)?;
        Ok(Asset::publication_state(&status, public).is_public())
    }

    /// The graphs the public graph copies: the vocabularies and the public graph of every live
    /// public asset.
    fn public_sources(&self) -> Result<Vec<NamedNode>> {
        let mut sources = vocabulary_graphs();
        for c in self.changes_since(0)? {
            if !c.deleted && self.stored_public(&c.id)? {
                sources.push(AssetIris::new(&self.base, &c.id).public);
            }
        }
        Ok(sources)
    }

    /// Builds the public graph from scratch when the store has none of this layout (a store
    /// created before it existed, or by an older layout). Runs at open, before any writer.
    pub(super) fn init_public_graph(&self) -> Result<()> {
        if self.meta_value("publicGraph")?.as_deref() == Some(LAYOUT) {
            return Ok(());
        }
        self.rebuild_public_graph()
    }

    /// Rebuilds the public graph from the assets' graphs and the vocabularies (for `reindex`).
    pub fn rebuild_public_graph(&self) -> Result<()> {
        let _guard = self.lock();
        self.db.clear_graph(public_graph().as_ref())?;
        let sources = self.public_sources()?;
        let mut loader = self.db.bulk_loader().with_num_threads(1);
        let db = &self.db;
        loader.load_ok_quads::<oxigraph::store::StorageError, super::StoreError>(
            sources.iter().flat_map(|g| {
                db.quads_for_pattern(None, None, None, Some(g.as_ref().into()))
                    .map(|q| q.map(|q| publish(&q)))
            }),
        )?;
        loader.commit()?;
        let (s, p, g) = (orr("store"), orr("publicGraph"), Self::meta_graph());
        let mut t = self.db.start_transaction()?;
        super::remove_all(&mut t, s.as_ref(), Some(p.as_ref()), g.as_ref())?;
        t.insert(QuadRef::new(
            s.as_ref(),
            p.as_ref(),
            &Term::from(oxigraph::model::Literal::new_simple_literal(LAYOUT)),
            g.as_ref(),
        ));
        t.commit()?;
        Ok(())
    }

    /// Compares the public graph with what it must hold: every triple of the public graph of
    /// every live public asset and of the vocabularies, and nothing else. Returns the problems.
    pub fn check_public_graph(&self) -> Result<Vec<String>> {
        let mut problems = Vec::new();
        let sources = self.public_sources()?;
        let target: GraphName = public_graph().into();
        let mut expected = 0usize;
        for g in &sources {
            let mut missing = 0usize;
            for q in self
                .db
                .quads_for_pattern(None, None, None, Some(g.as_ref().into()))
            {
                let mut q = q?;
                q.graph_name = target.clone();
                expected += 1;
                if !self.db.contains(&q)? {
                    missing += 1;
                }
            }
            if missing > 0 {
                problems.push(format!(
                    "the public graph lacks {missing} triples of {}",
                    g.as_str()
                ));
            }
        }
        let held = self
            .db
            .quads_for_pattern(None, None, None, Some(public_graph().as_ref().into()))
            .count();
        if held != expected {
            problems.push(format!(
                "the public graph holds {held} triples, the public sources {expected}"
            ));
        }
        Ok(problems)
    }
}
