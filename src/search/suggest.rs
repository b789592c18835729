//! Prefix suggestions for the search box.
//!
//! Suggestion terms are filed in the index under the reader keys of their asset (`p` for what
//! anyone may find), so a caller's prefix scan only meets terms it may see. Keywords and
//! concept labels (few, shared by many assets) are scanned in full and ranked by how many
//! assets carry them; names and alternate names (one per asset) follow, in name order, from a
//! bounded scan. Every suggestion is checked against the live documents, so nothing deleted or
//! withdrawn is ever suggested.

use std::collections::HashMap;

use serde::Serialize;
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::{DocSet, Searcher, TERMINATED, Term};
use utoipa::ToSchema;

use super::schema::{Fields, SEP, suggest_key};
use super::{Result, SearchError};
use crate::access::{self, Caller};

/// Longest prefix accepted.
pub const MAX_PREFIX: usize = 100;
/// Most name terms read per segment and reader key.
const NAME_SCAN: usize = 64;
/// Most keyword and label terms read per segment and reader key.
const TERM_SCAN: usize = 4_096;

/// One suggestion.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Suggestion {
    /// The text to complete to.
    pub text: String,
    /// Where it comes from: name, alternateName, keyword, or a facet name (mission, type…).
    pub kind: String,
}

struct Candidate {
    weight: u64,
    kind: String,
    text: String,
    terms: Vec<Vec<u8>>,
}

fn scan(
    searcher: &Searcher,
    field: Field,
    start: &str,
    cap: usize,
    out: &mut HashMap<(String, String), Candidate>,
) -> Result<()> {
    for segment in searcher.segment_readers() {
        let inverted = segment.inverted_index(field)?;
        let mut end = start.as_bytes().to_vec();
        end.push(0xff);
        let mut stream = inverted
            .terms()
            .range()
            .ge(start.as_bytes())
            .lt(&end)
            .into_stream()?;
        let mut n = 0;
        while stream.advance() {
            n += 1;
            if n > cap {
                break;
            }
            let Ok(key) = std::str::from_utf8(stream.key()) else {
                continue;
            };
            let mut parts = key.splitn(4, SEP);
            let (_, _, Some(kind), Some(text)) =
                (parts.next(), parts.next(), parts.next(), parts.next())
            else {
                continue;
            };
            let c = out
                .entry((text.to_lowercase(), kind.to_owned()))
                .or_insert_with(|| Candidate {
                    weight: 0,
                    kind: kind.to_owned(),
                    text: text.to_owned(),
                    terms: Vec::new(),
                });
            c.weight += u64::from(stream.value().doc_freq);
            if !c.terms.iter().any(|t| t.as_slice() == stream.key()) {
                c.terms.push(stream.key().to_vec());
            }
        }
    }
    Ok(())
}

/// Whether a live document carries one of the terms.
fn alive(searcher: &Searcher, field: Field, terms: &[Vec<u8>]) -> Result<bool> {
    for segment in searcher.segment_readers() {
        let inverted = segment.inverted_index(field)?;
        for t in terms {
            let Ok(text) = std::str::from_utf8(t) else {
                continue;
            };
            let term = Term::from_field_text(field, text);
            let Some(mut postings) = inverted.read_postings(&term, IndexRecordOption::Basic)?
            else {
                continue;
            };
            let mut doc = postings.doc();
            while doc != TERMINATED {
                if segment.alive_bitset().is_none_or(|a| a.is_alive(doc)) {
                    return Ok(true);
                }
                doc = postings.advance();
            }
        }
    }
    Ok(false)
}

/// Suggestions completing `prefix`, best first.
pub fn suggest(
    searcher: &Searcher,
    fields: &Fields,
    caller: &Caller,
    prefix: &str,
    limit: usize,
) -> Result<Vec<Suggestion>> {
    if prefix.chars().count() > MAX_PREFIX {
        return Err(SearchError::BadRequest(vec![
            crate::model::Problem::parameter(
                "q",
                Some(MAX_PREFIX + 1),
                format!("a prefix is at most {MAX_PREFIX} characters"),
                Vec::new(),
            ),
        ]));
    }
    let p = suggest_key(prefix);
    if p.is_empty() {
        return Ok(Vec::new());
    }
    // Curators find everything in search; suggestions stay within what is published to them.
    let keys: Vec<String> = match access::reader_keys(caller) {
        Some(keys) => keys,
        None => match caller {
            Caller::Account { user, groups, .. } => {
                let mut k = vec![access::PUBLIC_READERS.to_owned(), format!("user:{user}")];
                k.extend(groups.iter().map(|g| format!("group:{g}")));
                k
            }
            _ => vec![access::PUBLIC_READERS.to_owned()],
        },
    };
    let filed: Vec<String> = keys
        .iter()
        .map(|k| {
            if k == access::PUBLIC_READERS {
                "p".to_owned()
            } else {
                k.clone()
            }
        })
        .collect();

    let mut terms = HashMap::new();
    let mut names = HashMap::new();
    for k in &filed {
        let start = format!("{k}{SEP}{p}");
        scan(
            searcher,
            fields.suggest_terms,
            &start,
            TERM_SCAN,
            &mut terms,
        )?;
        scan(
            searcher,
            fields.suggest_names,
            &start,
            NAME_SCAN,
            &mut names,
        )?;
    }
    let mut ranked: Vec<Candidate> = terms.into_values().collect();
    ranked.sort_by(|a, b| {
        b.weight
            .cmp(&a.weight)
            .then_with(|| a.text.len().cmp(&b.text.len()))
            .then_with(|| a.text.cmp(&b.text))
    });
    let mut named: Vec<Candidate> = names.into_values().collect();
    named.sort_by(|a, b| {
        a.text
            .to_lowercase()
            .cmp(&b.text.to_lowercase())
            .then_with(|| a.kind.cmp(&b.kind))
    });
    let mut out: Vec<Suggestion> = Vec::new();
    for (c, field) in ranked
        .into_iter()
        .map(|c| (c, fields.suggest_terms))
        .chain(named.into_iter().map(|c| (c, fields.suggest_names)))
    {
        if out.len() >= limit {
            break;
        }
        if out.iter().any(|s| s.text.eq_ignore_ascii_case(&c.text)) {
            continue;
        }
        if alive(searcher, field, &c.terms)? {
            out.push(Suggestion {
                text: c.text,
                kind: c.kind,
            });
        }
    }
    Ok(out)
}
