//! The graph a document was read into, with the few questions a mapping asks of it: the
//! objects of a subject's property, its text in the reader's language, its types, an RDF
//! list's members. schema.org's two namespaces are read as one (`http://schema.org/`).

use oxigraph::model::{
    Literal, NamedNode, NamedOrBlankNode, NamedOrBlankNodeRef, Quad, Term, TermRef, Triple,
};

const HTTPS_SDO: &str = "https://schema.org/";
pub const SDO: &str = "http://schema.org/";
const RDF: &str = "http://www.w3.org/1999/02/22-rdf-syntax-ns#";

/// A document's triples.
#[derive(Debug, Default, Clone)]
pub struct Graph(oxigraph::model::Graph);

fn named(n: NamedNode) -> NamedNode {
    match n.as_str().strip_prefix(HTTPS_SDO) {
        Some(local) => NamedNode::new_unchecked(format!("{SDO}{local}")),
        None => n,
    }
}

fn subject(s: NamedOrBlankNode) -> NamedOrBlankNode {
    match s {
        NamedOrBlankNode::NamedNode(n) => NamedOrBlankNode::NamedNode(named(n)),
        b => b,
    }
}

impl Graph {
    /// Adds a quad's triple (its graph name is dropped), with schema.org's IRIs made one.
    pub fn insert(&mut self, q: Quad) {
        let object = match q.object {
            Term::NamedNode(n) => Term::NamedNode(named(n)),
            o => o,
        };
        self.0
            .insert(&Triple::new(subject(q.subject), named(q.predicate), object));
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The objects of `s`'s property `p` (a full IRI).
    pub fn objects<'a>(&'a self, s: NamedOrBlankNodeRef<'a>, p: &str) -> Vec<TermRef<'a>> {
        let p = NamedNode::new_unchecked(p);
        self.0
            .objects_for_subject_predicate(s, &p)
            .collect::<Vec<_>>()
    }

    /// The objects of the first of `preds` that has any, RDF lists opened.
    pub fn first_of<'a>(&'a self, s: NamedOrBlankNodeRef<'a>, preds: &[&str]) -> Vec<TermRef<'a>> {
        for p in preds {
            let found: Vec<TermRef<'a>> = self
                .objects(s, p)
                .into_iter()
                .flat_map(|o| self.list(o))
                .collect();
            if !found.is_empty() {
                return found;
            }
        }
        Vec::new()
    }

    /// The members of an RDF list, or the term itself when it is none.
    pub fn list<'a>(&'a self, t: TermRef<'a>) -> Vec<TermRef<'a>> {
        let mut out = Vec::new();
        let mut at = t;
        for _ in 0..10_000 {
            let Some(node) = as_node(at) else {
                break;
            };
            let first = self.objects(node, &format!("{RDF}first"));
            let rest = self.objects(node, &format!("{RDF}rest"));
            match (first.first(), rest.first()) {
                (Some(f), Some(r)) => {
                    out.push(*f);
                    at = *r;
                }
                _ => break,
            }
        }
        if out.is_empty() {
            let nil = matches!(t, TermRef::NamedNode(n) if n.as_str() == format!("{RDF}nil"));
            if !nil {
                out.push(t);
            }
        }
        out
    }

    /// The types of a subject, as IRIs.
    pub fn types(&self, s: NamedOrBlankNodeRef<'_>) -> Vec<String> {
        self.objects(s, &format!("{RDF}type"))
            .into_iter()
            .filter_map(|t| match t {
                TermRef::NamedNode(n) => Some(n.as_str().to_owned()),
                _ => None,
            })
            .collect()
    }

    /// Every subject typed with one of `classes`, in a stable order (IRIs, then blank nodes).
    pub fn typed(&self, classes: &[&str]) -> Vec<NamedOrBlankNode> {
        let rdf_type = NamedNode::new_unchecked(format!("{RDF}type"));
        let mut out: Vec<NamedOrBlankNode> = Vec::new();
        for c in classes {
            let class = NamedNode::new_unchecked(*c);
            for s in self.0.subjects_for_predicate_object(&rdf_type, &class) {
                let s = s.into_owned();
                if !out.contains(&s) {
                    out.push(s);
                }
            }
        }
        out.sort_by_key(|s| match s {
            NamedOrBlankNode::NamedNode(n) => (0, n.as_str().to_owned()),
            NamedOrBlankNode::BlankNode(b) => (1, b.as_str().to_owned()),
        });
        out
    }

    /// The text of `s`'s first property among `preds` that has one, in English or without a
    /// language first; an IRI's text is the IRI.
    pub fn text(&self, s: NamedOrBlankNodeRef<'_>, preds: &[&str]) -> Option<String> {
        let found = self.first_of(s, preds);
        let rank = |t: &TermRef<'_>| match t {
            TermRef::Literal(l) => match l.language() {
                Some(lang) if lang == "en" || lang.starts_with("en-") => 0,
                None => 1,
                Some(_) => 2,
            },
            TermRef::NamedNode(_) => 3,
            _ => 4,
        };
        found
            .into_iter()
            .filter(|t| !matches!(t, TermRef::BlankNode(_)))
            .min_by_key(rank)
            .map(|t| term_text(t).trim().to_owned())
            .filter(|t| !t.is_empty())
    }

    /// Every text of `s`'s first property among `preds` that has any (literals and IRIs), one
    /// language only: English or none when there is such a value.
    pub fn texts(&self, s: NamedOrBlankNodeRef<'_>, preds: &[&str]) -> Vec<String> {
        let found = self.first_of(s, preds);
        let english = |l: &Literal| {
            l.language().is_none()
                || l.language()
                    .is_some_and(|x| x == "en" || x.starts_with("en-"))
        };
        let any_english = found
            .iter()
            .any(|t| matches!(t, TermRef::Literal(l) if english(&l.into_owned())));
        found
            .into_iter()
            .filter(|t| match t {
                TermRef::Literal(l) => !any_english || english(&l.into_owned()),
                TermRef::NamedNode(_) => true,
                _ => false,
            })
            .map(|t| term_text(t).trim().to_owned())
            .filter(|t| !t.is_empty())
            .collect()
    }
}

/// A term as a subject, when it can be one.
pub fn as_node(t: TermRef<'_>) -> Option<NamedOrBlankNodeRef<'_>> {
    match t {
        TermRef::NamedNode(n) => Some(n.into()),
        TermRef::BlankNode(b) => Some(b.into()),
        _ => None,
    }
}

/// A literal's value, an IRI, or a blank node's label.
pub fn term_text(t: TermRef<'_>) -> String {
    match t {
        TermRef::Literal(l) => l.value().to_owned(),
        TermRef::NamedNode(n) => n.as_str().to_owned(),
        TermRef::BlankNode(b) => format!("_:{}", b.as_str()),
        #[allow(unreachable_patterns)]
        _ => String::new(),
    }
}

/// A subject's name for notices: its IRI, or `_:label`.
pub fn subject_text(s: NamedOrBlankNodeRef<'_>) -> String {
    match s {
        NamedOrBlankNodeRef::NamedNode(n) => n.as_str().to_owned(),
        NamedOrBlankNodeRef::BlankNode(b) => format!("_:{}", b.as_str()),
    }
}
