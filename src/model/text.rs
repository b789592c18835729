//! Text as the asset document keeps it, for every reader that turns a foreign format into an
//! asset (CWL, datalab packages, schema.org and DCAT): values clipped to the document's
//! limits, ids made from names, a description split into its abstract, a licence looked up in
//! the licence catalogue.

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
    vocab: &super::Vocabularies,
    given: &str,
    notices: &mut Vec<String>,
) -> Option<String> {
    use super::Scheme;
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
