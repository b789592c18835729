//! Turns a parsed query into a tantivy query.
//!
//! A free word is searched in the ranked `text` field (BM25 over the weighted fields, see
//! `schema`), in concept labels, and, from five letters, as the words of the index within one
//! edit (two from nine letters), which weigh less. A run of words or a phrase that names a SKOS
//! concept also finds the concept's assets and every other label of it (`JWST` finds "James
//! Webb Space Telescope", `Gaia DR3` finds Gaia). Fielded terms on vocabulary fields are
//! resolved through the vocabularies, so `property:"analysis tool"` and `mission:gaia` work and
//! an unknown value is refused with the closest known ones.

use std::collections::{BTreeSet, HashMap};
use std::sync::Mutex;

use tantivy::Searcher;
use tantivy::Term;
use tantivy::query::{
    AllQuery, BooleanQuery, BoostQuery, ConstScoreQuery, EmptyQuery, FuzzyTermQuery, Occur,
    PhraseQuery, Query, RegexQuery, TermQuery,
};
use tantivy::schema::IndexRecordOption;
use tantivy::tokenizer::TextAnalyzer;

use super::query::{Node, Value};
use super::schema::{self, Facet, Fields};
use super::without::Without;
use crate::model::vocab::Concept;
use crate::model::{Scheme, Vocabularies};

/// A query that names something the catalogue does not know.
#[derive(Debug, Clone, PartialEq)]
pub struct PlanError {
    pub position: usize,
    pub message: String,
    pub closest: Vec<String>,
}

/// Words dropped from free text when other words remain.
const STOPWORDS: &[&str] = &[
    "a", "an", "and", "are", "as", "at", "be", "by", "for", "from", "in", "into", "is", "it", "of",
    "on", "or", "the", "to", "with",
];

/// Whether a word (or its stem) is a stopword.
pub fn is_stopword(word: &str) -> bool {
    STOPWORDS.contains(&word.to_lowercase().as_str())
}

/// Fields a query may name besides the facets.
const TEXT_QUERY_FIELDS: &[(&str, &str)] = &[
    ("name", "name"),
    ("alternateName", "alternateName"),
    ("abstract", "abstract"),
    ("description", "description"),
    ("keyword", "keywords"),
    ("keywords", "keywords"),
];

/// Every concept label, lower-cased, with the concepts it names.
pub struct ConceptLabels {
    by_label: HashMap<String, Vec<(Scheme, Concept)>>,
    longest: usize,
}

impl ConceptLabels {
    pub fn new(vocab: &Vocabularies) -> ConceptLabels {
        let mut by_label: HashMap<String, Vec<(Scheme, Concept)>> = HashMap::new();
        let mut longest = 1;
        for scheme in Scheme::ALL {
            for c in vocab.concepts(scheme) {
                let mut labels = vec![c.pref_label.clone()];
                labels.extend(c.alt_labels.iter().cloned());
                labels.extend(c.notation.iter().cloned());
                for l in labels {
                    let key = normal(&l);
                    longest = longest.max(key.split(' ').count());
                    let entry = by_label.entry(key).or_default();
                    if !entry.iter().any(|(_, e)| e.iri == c.iri) {
                        entry.push((scheme, c.clone()));
                    }
                }
            }
        }
        ConceptLabels {
            by_label,
            longest: longest.min(6),
        }
    }

    fn get(&self, words: &[&str]) -> Option<&[(Scheme, Concept)]> {
        self.by_label
            .get(&normal(&words.join(" ")))
            .map(Vec::as_slice)
    }
}

fn normal(s: &str) -> String {
    s.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// Near spellings already looked up, for one generation of the index (its words change only
/// with it): finding them walks every segment's dictionary with an automaton built for the
/// word, the largest part of planning a query.
#[derive(Default)]
pub struct NearSpellings {
    found: Mutex<(u64, HashMap<String, Vec<String>>)>,
}

/// Most words whose near spellings are kept.
const NEAR_KEPT: usize = 20_000;

impl NearSpellings {
    /// Forgets every spelling kept (the index they were found in is replaced).
    pub fn forget(&self) {
        if let Ok(mut found) = self.found.lock() {
            *found = (0, HashMap::new());
        }
    }

    fn get(&self, generation: u64, token: &str) -> Option<Vec<String>> {
        let found = self.found.lock().ok()?;
        if found.0 != generation {
            return None;
        }
        found.1.get(token).cloned()
    }

    fn keep(&self, generation: u64, token: &str, spellings: &[String]) {
        if let Ok(mut found) = self.found.lock() {
            if found.0 != generation || found.1.len() >= NEAR_KEPT {
                found.1.clear();
                found.0 = generation;
            }
            found.1.insert(token.to_owned(), spellings.to_vec());
        }
    }
}

/// A leaf of a planned text query (a word or phrase in one field) and the stems it would mark
/// in a hit that it matches: highlights mark what matched, not every word the query tried
/// (a concept's other labels, near spellings).
pub struct Mark {
    pub query: Box<dyn Query>,
    /// The field the leaf searches (the ranked field, its pairs, concept labels or one text
    /// field).
    pub field: tantivy::schema::Field,
    pub stems: Vec<String>,
}

/// Builds queries against one searcher.
pub struct Planner<'a> {
    pub fields: &'a Fields,
    pub vocab: &'a Vocabularies,
    pub labels: &'a ConceptLabels,
    pub searcher: &'a Searcher,
    pub near: &'a NearSpellings,
    pub english: TextAnalyzer,
    pub plain: TextAnalyzer,
    /// The leaves planned so far, for highlighting.
    pub marks: Vec<Mark>,
}

type Q = Box<dyn Query>;

impl<'a> Planner<'a> {
    pub fn new(
        fields: &'a Fields,
        vocab: &'a Vocabularies,
        labels: &'a ConceptLabels,
        searcher: &'a Searcher,
        near: &'a NearSpellings,
    ) -> Planner<'a> {
        Planner {
            fields,
            vocab,
            labels,
            searcher,
            near,
            english: schema::english(),
            plain: schema::plain(),
            marks: Vec::new(),
        }
    }

    /// The query for a tree; `None` for a tree that constrains nothing (only stopwords or
    /// punctuation).
    pub fn plan(&mut self, node: &Node) -> Result<Option<Q>, PlanError> {
        match node {
            Node::And(children) => self.and(children),
            Node::Or(children) => {
                let mut should: Vec<(Occur, Q)> = Vec::new();
                for c in children {
                    match self.plan(c)? {
                        Some(q) => should.push((Occur::Should, q)),
                        // An alternative that constrains nothing matches everything.
                        None => return Ok(None),
                    }
                }
                Ok(Some(Box::new(BooleanQuery::new(should))))
            }
            Node::Not(inner) => Ok(Some(match self.plan(inner)? {
                Some(q) => Box::new(Without::new(Box::new(AllQuery), q)),
                None => Box::new(EmptyQuery),
            })),
            Node::Term { .. } | Node::Field { .. } => self.and(std::slice::from_ref(node)),
        }
    }

    /// For a query of free words only, with at least two that are not stopwords: those words,
    /// all but one of which must match (one of two), ranked as usual. `None` for any other
    /// query. Asked when no asset has every word, so that "cosmic microwave background" still
    /// finds what says "microwave background".
    pub fn most_words(&mut self, node: &Node) -> Option<Q> {
        let Node::And(children) = node else {
            return None;
        };
        let mut words = Vec::new();
        for c in children {
            match c {
                Node::Term {
                    value: Value::Word(w),
                    ..
                } if !is_stopword(w) => words.push(w.as_str()),
                Node::Term {
                    value: Value::Word(_),
                    ..
                } => {}
                _ => return None,
            }
        }
        if words.len() < 2 {
            return None;
        }
        let clauses: Vec<(Occur, Q)> = words
            .iter()
            .filter_map(|w| self.word(w))
            .map(|q| (Occur::Should, q))
            .collect();
        let need = clauses.len().saturating_sub(1).max(1);
        (clauses.len() >= 2)
            .then(|| Box::new(BooleanQuery::with_minimum_required_clauses(clauses, need)) as Q)
    }

    fn and(&mut self, children: &[Node]) -> Result<Option<Q>, PlanError> {
        let mut must: Vec<(Occur, Q)> = Vec::new();
        let mut must_not: Vec<(Occur, Q)> = Vec::new();
        let words: Vec<Option<&str>> = children
            .iter()
            .map(|c| match c {
                Node::Term {
                    value: Value::Word(w),
                    ..
                } => Some(w.as_str()),
                _ => None,
            })
            .collect();
        let content_words = words.iter().flatten().filter(|w| !is_stopword(w)).count();
        let drop_stopwords = content_words > 0 || children.len() > words.iter().flatten().count();
        let mut i = 0;
        while i < children.len() {
            // The longest run of free words from here that names a concept.
            if words[i].is_some() {
                let mut run = 0;
                while i + run < children.len() && words[i + run].is_some() {
                    run += 1;
                }
                let mut matched = None;
                for n in (1..=run.min(self.labels.longest)).rev() {
                    let ws: Vec<&str> = words[i..i + n].iter().flatten().copied().collect();
                    if let Some(concepts) = self.labels.get(&ws) {
                        matched = Some((n, ws, concepts));
                        break;
                    }
                }
                if let Some((n, ws, concepts)) = matched {
                    let mut plain: Vec<(Occur, Q)> = Vec::new();
                    for w in &ws {
                        if let Some(q) = self.word(w) {
                            plain.push((Occur::Must, q));
                        }
                    }
                    let mut should: Vec<(Occur, Q)> = Vec::new();
                    if !plain.is_empty() {
                        should.push((Occur::Should, Box::new(BooleanQuery::new(plain))));
                    }
                    should.extend(self.concept_expansion(concepts, &ws.join(" ")));
                    must.push((Occur::Must, Box::new(BooleanQuery::new(should))));
                    i += n;
                    continue;
                }
                let w = words[i].unwrap_or_default();
                i += 1;
                if drop_stopwords && is_stopword(w) {
                    continue;
                }
                if let Some(q) = self.word(w) {
                    must.push((Occur::Must, q));
                }
                continue;
            }
            let child = &children[i];
            i += 1;
            match child {
                Node::Not(inner) => {
                    if let Some(q) = self.plan(inner)? {
                        must_not.push((Occur::Should, q));
                    } else {
                        return Ok(Some(Box::new(EmptyQuery)));
                    }
                }
                Node::Term { value, .. } => {
                    if let Some(q) = self.free(value) {
                        must.push((Occur::Must, q));
                    }
                }
                Node::Field {
                    field,
                    value,
                    position,
                } => must.push((Occur::Must, self.field(field, value, *position)?)),
                Node::And(_) | Node::Or(_) => {
                    if let Some(q) = self.plan(child)? {
                        must.push((Occur::Must, q));
                    }
                }
            }
        }
        if must.is_empty() && must_not.is_empty() {
            return Ok(None);
        }
        let include: Q = match must.len() {
            0 => Box::new(AllQuery),
            1 => must
                .pop()
                .map_or_else(|| Box::new(AllQuery) as Q, |(_, q)| q),
            _ => Box::new(BooleanQuery::new(must)),
        };
        Ok(Some(match must_not.len() {
            0 => include,
            1 => Box::new(Without::new(
                include,
                must_not
                    .pop()
                    .map_or_else(|| Box::new(EmptyQuery) as Q, |(_, q)| q),
            )),
            _ => Box::new(Without::new(include, Box::new(BooleanQuery::new(must_not)))),
        }))
    }

    /// Clauses that find a concept: its IRI among the assets' values and its other labels in
    /// their text.
    fn concept_expansion(
        &mut self,
        concepts: &[(Scheme, Concept)],
        typed: &str,
    ) -> Vec<(Occur, Q)> {
        let mut out: Vec<(Occur, Q)> = Vec::new();
        let mut seen = BTreeSet::new();
        seen.insert(normal(typed));
        for (_, c) in concepts {
            let term = Term::from_field_text(self.fields.concept, &c.iri);
            out.push((
                Occur::Should,
                Box::new(BoostQuery::new(
                    Box::new(TermQuery::new(term, IndexRecordOption::Basic)),
                    2.0,
                )),
            ));
            let mut labels = vec![c.pref_label.as_str()];
            labels.extend(c.alt_labels.iter().map(String::as_str));
            for l in labels.into_iter().take(8) {
                if seen.insert(normal(l))
                    && let Some(q) = self.phrase(l, 0.8)
                {
                    out.push((Occur::Should, q));
                }
            }
        }
        out
    }

    fn free(&mut self, value: &Value) -> Option<Q> {
        match value {
            Value::Word(w) => self.word(w),
            Value::Phrase(p) => {
                let words: Vec<&str> = p.split_whitespace().collect();
                let base = self.phrase(p, 1.0)?;
                match self.labels.get(&words) {
                    Some(concepts) => {
                        let mut should = vec![(Occur::Should, base)];
                        should.extend(self.concept_expansion(concepts, p));
                        Some(Box::new(BooleanQuery::new(should)))
                    }
                    None => Some(base),
                }
            }
            Value::Prefix(p) => self.prefix(self.fields.all, p),
        }
    }

    /// A free word in the ranked field, in concept labels when some label has it, and its near
    /// spellings.
    fn word(&mut self, w: &str) -> Option<Q> {
        let stems = schema::tokens(&mut self.english, w);
        if stems.is_empty() {
            return None;
        }
        let exact = self.phrase_in(self.fields.ranked, &stems)?;
        let plain = schema::tokens(&mut self.plain, w);
        let mut alternatives: Vec<(Occur, Q)> = Vec::new();
        // Concept labels, when some label has the word.
        let concepts = self.fields.text[3];
        if stems.iter().all(|s| {
            self.searcher
                .doc_freq(&Term::from_field_text(concepts, s))
                .is_ok_and(|n| n > 0)
        }) && let Some(q) = self.phrase_in(concepts, &stems)
        {
            alternatives.push((
                Occur::Should,
                Box::new(BoostQuery::new(q, schema::TEXT_WEIGHTS[3].1 as f32)),
            ));
        }
        if let [token] = plain.as_slice() {
            let mut seen = BTreeSet::new();
            seen.insert(stems.join(" "));
            for spelling in self.near_spellings(token) {
                let near_stems = schema::tokens(&mut self.english, &spelling);
                if seen.insert(near_stems.join(" "))
                    && let Some(q) = self.phrase_in(self.fields.ranked, &near_stems)
                {
                    alternatives.push((Occur::Should, Box::new(BoostQuery::new(q, 0.3))));
                }
            }
        }
        if alternatives.is_empty() {
            return Some(exact);
        }
        alternatives.insert(0, (Occur::Should, exact));
        Some(Box::new(BooleanQuery::new(alternatives)))
    }

    /// Words of the index within one edit of `token` (two from nine letters), for tokens of
    /// five letters or more; the token itself excluded.
    fn near_spellings(&self, token: &str) -> Vec<String> {
        let len = token.chars().count();
        if len < 5 {
            return Vec::new();
        }
        let generation = self.searcher.generation().generation_id();
        if let Some(found) = self.near.get(generation, token) {
            return found;
        }
        let found = self.find_near_spellings(token, len);
        self.near.keep(generation, token, &found);
        found
    }

    fn find_near_spellings(&self, token: &str, len: usize) -> Vec<String> {
        let distance = if len >= 9 { 2 } else { 1 };
        let fuzzy = FuzzyTermQuery::new(
            Term::from_field_text(self.fields.all, token),
            distance,
            true,
        );
        let Ok(automaton) = fuzzy.automaton() else {
            return Vec::new();
        };
        let mut out = BTreeSet::new();
        for segment in self.searcher.segment_readers() {
            let Ok(inverted) = segment.inverted_index(self.fields.all) else {
                continue;
            };
            let Ok(mut stream) = inverted.terms().search(&automaton).into_stream() else {
                continue;
            };
            while stream.advance() {
                if let Ok(t) = std::str::from_utf8(stream.key())
                    && t != token
                {
                    out.insert(t.to_owned());
                }
                if out.len() >= 16 {
                    break;
                }
            }
        }
        out.into_iter().collect()
    }

    /// A phrase in the ranked field.
    fn phrase(&mut self, text: &str, scale: f32) -> Option<Q> {
        let stems = schema::tokens(&mut self.english, text);
        let q = self.phrase_in(self.fields.ranked, &stems)?;
        Some(if scale == 1.0 {
            q
        } else {
            Box::new(BoostQuery::new(q, scale))
        })
    }

    fn phrase_in(&mut self, field: tantivy::schema::Field, stems: &[String]) -> Option<Q> {
        let q: Q = match stems {
            [] => return None,
            // Two words in the ranked field: one term of the pairs field.
            [a, b] if field == self.fields.ranked => Box::new(TermQuery::new(
                Term::from_field_text(self.fields.pairs, &schema::pair(a, b)),
                IndexRecordOption::WithFreqs,
            )),
            [one] => Box::new(TermQuery::new(
                Term::from_field_text(field, one),
                IndexRecordOption::WithFreqs,
            )),
            many => Box::new(PhraseQuery::new(
                many.iter()
                    .map(|s| Term::from_field_text(field, s))
                    .collect(),
            )),
        };
        self.marks.push(Mark {
            query: q.box_clone(),
            field,
            stems: stems.to_vec(),
        });
        Some(q)
    }

    /// Words of `field` starting with the prefix (earlier words of a multi-word prefix must
    /// occur too).
    fn prefix(&mut self, field: tantivy::schema::Field, p: &str) -> Option<Q> {
        let mut tokens = schema::tokens(&mut self.plain, p);
        let last = tokens.pop()?;
        let escaped: String = last
            .chars()
            .map(|c| {
                if c.is_alphanumeric() {
                    c.to_string()
                } else {
                    format!("\\{c}")
                }
            })
            .collect();
        let regex = RegexQuery::from_pattern(&format!("{escaped}.*"), field).ok()?;
        let mut must: Vec<(Occur, Q)> = vec![(
            Occur::Must,
            Box::new(ConstScoreQuery::new(Box::new(regex), 1.0)),
        )];
        for t in tokens {
            if let Some(q) = self.word(&t) {
                must.push((Occur::Must, q));
            }
        }
        Some(Box::new(BooleanQuery::new(must)))
    }

    fn field(&mut self, field: &str, value: &Value, position: usize) -> Result<Q, PlanError> {
        let value_position = position + field.chars().count() + 1;
        if let Some(facet) = Facet::from_name(field)
            && facet != Facet::Keyword
        {
            let terms = self.facet_terms(facet, value, value_position)?;
            let should: Vec<(Occur, Q)> = terms
                .into_iter()
                .map(|t| {
                    let q: Q = Box::new(ConstScoreQuery::new(
                        Box::new(TermQuery::new(
                            Term::from_field_text(self.fields.concept, &t),
                            IndexRecordOption::Basic,
                        )),
                        1.0,
                    ));
                    (Occur::Should, q)
                })
                .collect();
            return Ok(Box::new(BooleanQuery::new(should)));
        }
        if field == "id" {
            let text = match value {
                Value::Word(w) | Value::Phrase(w) | Value::Prefix(w) => w,
            };
            return Ok(Box::new(TermQuery::new(
                Term::from_field_text(self.fields.id, text),
                IndexRecordOption::Basic,
            )));
        }
        let Some((_, key)) = TEXT_QUERY_FIELDS.iter().find(|(name, _)| *name == field) else {
            let mut known: Vec<&str> = Facet::ALL.iter().map(|f| f.name()).collect();
            for (n, _) in TEXT_QUERY_FIELDS {
                if !known.contains(n) {
                    known.push(n);
                }
            }
            known.push("id");
            let mut closest: Vec<(f64, &str)> = known
                .iter()
                .map(|k| {
                    (
                        strsim::jaro_winkler(&field.to_lowercase(), &k.to_lowercase()),
                        *k,
                    )
                })
                .collect();
            closest.sort_by(|a, b| b.0.total_cmp(&a.0));
            return Err(PlanError {
                position,
                message: format!(
                    "unknown field {field:?}; fields are {} (quote a value that contains ':')",
                    known.join(", ")
                ),
                closest: closest
                    .into_iter()
                    .take(3)
                    .map(|(_, k)| k.to_owned())
                    .collect(),
            });
        };
        let Some(f) = self.fields.text_field(key) else {
            return Ok(Box::new(EmptyQuery));
        };
        let q = match value {
            Value::Prefix(p) => self.prefix(f, p),
            Value::Word(w) | Value::Phrase(w) => {
                let stems = schema::tokens(&mut self.english, w);
                self.phrase_in(f, &stems)
            }
        };
        Ok(q.unwrap_or_else(|| Box::new(EmptyQuery)))
    }

    /// The `concept` terms a facet value stands for.
    pub fn facet_terms(
        &self,
        facet: Facet,
        value: &Value,
        position: usize,
    ) -> Result<Vec<String>, PlanError> {
        let text = match value {
            Value::Word(w) | Value::Phrase(w) | Value::Prefix(w) => w.as_str(),
        };
        facet_terms(self.vocab, facet, text, matches!(value, Value::Prefix(_))).map_err(|closest| {
            PlanError {
                position,
                message: format!("{text:?} is not a value of {}", facet.name()),
                closest,
            }
        })
    }
}

/// The `concept` terms a facet value stands for, or the closest known values.
pub fn facet_terms(
    vocab: &Vocabularies,
    facet: Facet,
    text: &str,
    prefix: bool,
) -> Result<Vec<String>, Vec<String>> {
    match facet.scheme() {
        Some(scheme) => {
            if prefix {
                let p = text.to_lowercase();
                let terms: Vec<String> = vocab
                    .concepts(scheme)
                    .iter()
                    .filter(|c| {
                        c.pref_label.to_lowercase().starts_with(&p)
                            || c.alt_labels
                                .iter()
                                .any(|l| l.to_lowercase().starts_with(&p))
                            || c.notation
                                .as_ref()
                                .is_some_and(|n| n.to_lowercase().starts_with(&p))
                    })
                    .map(|c| c.iri.clone())
                    .collect();
                if terms.is_empty() {
                    return Err(vocab.closest(scheme, text, 3));
                }
                return Ok(terms);
            }
            vocab
                .resolve(scheme, text)
                .map(|c| vec![c.iri.clone()])
                .map_err(|u| u.closest)
        }
        None if facet == Facet::EsaOfficial => match text.to_lowercase().as_str() {
            "true" | "yes" | "1" => Ok(vec![schema::flag_term(facet, "true")]),
            "false" | "no" | "0" => Ok(vec![schema::flag_term(facet, "false")]),
            _ => Err(vec!["true".into(), "false".into()]),
        },
        None if facet.is_flag() => {
            let values = facet.flag_values();
            if values.iter().any(|v| v == text) {
                Ok(vec![schema::flag_term(facet, text)])
            } else {
                Err(values.into_iter().take(3).collect())
            }
        }
        None => Ok(vec![schema::keyword_key(text)]),
    }
}
