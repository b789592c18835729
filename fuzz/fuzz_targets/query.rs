//! Fuzzes the search box: any text is parsed, planned against a small index and run through
//! the search's pass (page, total and facet counts), and must come back as hits or a
//! positioned error, never a panic.

#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use orrery::model::{Asset, Status, Vocabularies};
use orrery::search::collect::{self, Scan, SortBy, Visibility};
use orrery::search::plan::{ConceptLabels, NearSpellings, Planner};
use orrery::search::schema::{self, FacetTable};
use orrery::search::query;

struct Fixture {
    vocab: Vocabularies,
    labels: ConceptLabels,
    table: FacetTable,
    fields: schema::Fields,
    reader: tantivy::IndexReader,
}

fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        let vocab = Vocabularies::load().expect("vocabularies");
        let table = FacetTable::new(&vocab);
        let (s, fields) = schema::schema(table.words);
        let index = tantivy::Index::create_in_ram(s);
        schema::register_tokenizers(&index);
        let mut writer: tantivy::IndexWriter = index.writer(15_000_000).expect("writer");
        for (i, name) in ["Gaia galaxy survey", "JWST deep field", "Planck dust maps"].iter().enumerate() {
            let asset = Asset {
                id: format!("a{i}"),
                kind: "Dataset".into(),
                name: (*name).into(),
                abstract_: Some(format!("{name} abstract")),
                keywords: vec!["lensing".into(), "halo".into()],
                mission: vec!["Gaia".into()],
                status: Some(Status::Published),
                ..Asset::default()
            };
            writer
                .add_document(schema::document(&fields, &table, &vocab, &asset))
                .expect("add");
        }
        writer.commit().expect("commit");
        let reader = index.reader().expect("reader");
        let labels = ConceptLabels::new(&vocab);
        Fixture { vocab, labels, table, fields, reader }
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(Some(node)) = query::parse(text) else {
        return;
    };
    let f = fixture();
    let searcher = f.reader.searcher();
    let near = NearSpellings::default();
    let mut planner = Planner::new(&f.fields, &f.vocab, &f.labels, &searcher, &near);
    let Ok(Some(q)) = planner.plan(&node) else {
        return;
    };
    // Half the inputs as the anonymous caller (visibility a clause of the query), sorted by
    // relevance; the others by name for a caller who sees everything.
    let anonymous = data.len() % 2 == 0;
    let scan = Scan {
        bits: f.table.bits.len(),
        filters: Vec::new(),
        visibility: if anonymous { Visibility::Anonymous } else { Visibility::All },
        sort: if anonymous { SortBy::Relevance } else { SortBy::Name },
        keep: 10,
        after: None,
    };
    let public = orrery::search::statistics::PublicCounts::new(f.fields.readers, 1_000);
    let _ = collect::run(&scan, &searcher, &*q, &f.fields, f.table.words, &public);
});
