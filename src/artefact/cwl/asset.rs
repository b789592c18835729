//! A reading of a pipeline as a pipeline asset: its name, documentation and `schema.org`
//! metadata in the asset's own fields, the rest under `pipeline`. Values are kept within the
//! asset document's limits; a licence the licence catalogue does not know is left out with a
//! notice rather than refusing the pipeline.

use super::Extracted;
use crate::model::text::{clip, licence, slug, split_text};
use crate::model::{Asset, Vocabularies};

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
    let (abstract_, description) = text.map(|t| split_text(t)).unwrap_or_default();
    let license = x
        .metadata
        .license
        .as_deref()
        .and_then(|l| licence(vocab, l, &mut notices));
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
        id: slug(&name, "pipeline"),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs() {
        assert_eq!(slug("Hello_PIPEMAN", "pipeline"), "hello_pipeman");
        assert_eq!(slug("GEDI Subsetter", "pipeline"), "gedi-subsetter");
        assert_eq!(slug("  --  ", "pipeline"), "pipeline");
        assert_eq!(
            slug("Water bodies: NDWI/otsu", "x"),
            "water-bodies-ndwi-otsu"
        );
    }
}
