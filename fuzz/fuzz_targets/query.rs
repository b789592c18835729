//! Fuzzes the search box: any text is parsed, planned against a small index and run with the
//! facet scan, and must come back as hits or a positioned error, never a panic.

#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use orrery::model::{Asset, Status, Vocabularies};
use orrery::search::collect::{Scan, SortBy, Strategy, Tables, Visibility};
use orrery::search::plan::{ConceptLabels, NearSpellings, Planner};
use orrery::search::schema::{self, FacetTable};
use orrery::search::query;

struct Fixture {
    vocab: Vocabularies,
    labels: ConceptLabels,
    table: FacetTable,
    fields: schema::Fields,
    reader: tantivy::IndexReader,
    tables: Tables,
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
        let tables = Tables::new(
            fields.clone(),
            table.words,
            table.bits.len(),
            orrery::search::dense::BUDGET,
        );
        Fixture { vocab, labels, table, fields, reader, tables }
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
    let by_sets = data.len() % 2 == 0;
    let scan = Scan {
        bits: f.table.bits.len(),
        filters: Vec::new(),
        visibility: Visibility::Anonymous,
        sort: SortBy::Relevance,
        keep: 10,
        after: None,
        strategy: if by_sets { Strategy::BySets } else { Strategy::PerDocument },
        shape: orrery::search::leaves::shape(&*q),
    };
    let _ = scan.run(&searcher, &*q, &f.tables);
});
