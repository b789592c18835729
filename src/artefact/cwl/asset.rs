//! A reading of a pipeline as a pipeline asset: its name, documentation and `schema.org`
//! metadata in the asset's own fields, the rest under `pipeline`. Values are kept within the
//! asset document's limits; a licence the licence catalogue does not know is left out with a
//! notice rather than refusing the pipeline.

use super::Extracted;
use crate::model::{Asset, Scheme, Vocabularies};

/// The asset a reading describes, and notices of what was left out.
pub fn to_asset(x: &Extracted, vocab: &Vocabularies) -> (Asset, Vec<String>) {
    let mut notices = Vec::new();
    let entry = x.pipeline.entry_point.as_deref().unwrap_or("pipeline.cwl");
    let stem = entry
        .split('#')
        .next()
        .unwrap_or(entry)
        .rsplit('/')
        .next()
        .unwrap_or(entry)
        .trim_end_matches(".cwl")
        .trim_end_matches(".yaml")
        .trim_end_matches(".yml")
        .trim_end_matches(".pipeline");
    let name = [&x.metadata.name, &x.label, &x.id]
        .into_iter()
        .flatten()
        .find(|n| !n.trim().is_empty())
        .cloned()
        .unwrap_or_else(|| stem.to_owned());
    let text = x.metadata.description.as_ref().or(x.doc.as_ref());
    let (abstract_, description) = match text {
        Some(t) => {
            let t = t.trim();
            let first = t.split("\n\n").next().unwrap_or(t).trim();
            let abstract_ = clip(
                &first.split_whitespace().collect::<Vec<_>>().join(" "),
                5000,
            );
            let description = (first.len() < t.len()).then(|| clip(t, 100_000));
            (Some(abstract_).filter(|a| !a.is_empty()), description)
        }
        None => (None, None),
    };
    let license = match &x.metadata.license {
        Some(l) => match vocab.resolve(Scheme::Licenses, l) {
            Ok(c) => Some(c.value(Scheme::Licenses).to_owned()),
            Err(_) => {
                notices.push(format!(
                    "licence {l:?} is not in the licence catalogue: left out"
                ));
                None
            }
        },
        None => None,
    };
    let date_created = x.metadata.date_created.as_deref().and_then(|d| {
        let day = d.get(..10)?;
        let ok = chrono::NaiveDate::parse_from_str(day, "%Y-%m-%d").is_ok();
        ok.then(|| day.to_owned())
    });
    let mut pipeline = x.pipeline.clone();
    pipeline.code_repository = pipeline.code_repository.map(|r| clip(&r, 500));
    for p in pipeline
        .inputs
        .iter_mut()
        .chain(pipeline.outputs.iter_mut())
    {
        p.id = clip(&p.id, 200);
        p.kind = p.kind.take().map(|k| clip(&k, 200));
        p.label = p
            .label
            .take()
            .map(|l| clip(&l, 500))
            .filter(|l| !l.is_empty());
        p.doc = p
            .doc
            .take()
            .map(|d| clip(&d, 20_000))
            .filter(|d| !d.is_empty());
        p.default = p.default.take().filter(|d| d.len() <= 20_000);
        p.format = p
            .format
            .take()
            .map(|f| clip(&f, 500))
            .filter(|f| !f.is_empty());
    }
    for s in &mut pipeline.steps {
        s.id = clip(&s.id, 200);
        s.run = s.run.take().map(|r| clip(&r, 500));
        s.when = s.when.take().map(|w| clip(&w, 5000));
    }
    let asset = Asset {
        id: slug(&name),
        kind: "Pipeline".to_owned(),
        name: clip(&name, 500),
        abstract_,
        description,
        keywords: x.metadata.keywords.iter().take(100).cloned().collect(),
        license,
        version: x.metadata.version.as_ref().map(|v| clip(v, 100)),
        creator: x.metadata.authors.clone(),
        citation: x.metadata.citation.as_ref().map(|c| clip(c, 2000)),
        date_created,
        pipeline: Some(pipeline),
        ..Asset::default()
    };
    (asset, notices)
}

/// At most `n` characters of `s`.
fn clip(s: &str, n: usize) -> String {
    s.chars().take(n).collect()
}

/// An asset id from a name: lower case letters, digits, `.`, `_` and `-`, at most 64.
pub fn slug(name: &str) -> String {
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
        "pipeline".to_owned()
    } else {
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs() {
        assert_eq!(slug("Hello_PIPEMAN"), "hello_pipeman");
        assert_eq!(slug("GEDI Subsetter"), "gedi-subsetter");
        assert_eq!(slug("  --  "), "pipeline");
        assert_eq!(slug("Water bodies: NDWI/otsu"), "water-bodies-ndwi-otsu");
    }
}
