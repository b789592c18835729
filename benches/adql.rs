//! The cost of turning ADQL into SQL, per query: parsing alone and parsing plus SQL for each
//! backend, on what VO clients send (pyvo's registry search, a TAP_SCHEMA lookup, a join with a
//! subquery; pyvo's query is the fuzzer's seed, shared with the parser's tests).
//! `cargo bench --bench adql`.

use criterion::{Criterion, criterion_group, criterion_main};
use orrery::ivoa::adql::{parse, sql};

const QUERIES: &[(&str, &str)] = &[
    (
        "pyvo registry.search(keywords, servicetype)",
        include_str!("../fuzz/seeds/adql/pyvo.adql"),
    ),
    (
        "TAP_SCHEMA columns of a table",
        "SELECT column_name, datatype, unit, ucd FROM TAP_SCHEMA.columns WHERE table_name = 'rr.resource' ORDER BY column_index",
    ),
    (
        "join with an EXISTS subquery",
        "SELECT TOP 100 r.ivoid, r.res_title, c.standard_id FROM rr.resource AS r JOIN rr.capability AS c ON c.ivoid = r.ivoid WHERE EXISTS (SELECT 1 FROM rr.res_role AS o WHERE o.ivoid = r.ivoid AND o.base_role = 'creator' AND o.role_name LIKE '%Smith%') ORDER BY r.res_title",
    ),
];

fn translation(c: &mut Criterion) {
    for (name, text) in QUERIES {
        c.bench_function(&format!("parse: {name}"), |b| {
            b.iter(|| parse(std::hint::black_box(text)))
        });
        for (dialect, label) in [
            (sql::Dialect::Sqlite, "SQLite"),
            (sql::Dialect::Postgres, "PostgreSQL"),
        ] {
            c.bench_function(&format!("parse + SQL ({label}): {name}"), |b| {
                b.iter(|| {
                    let q = parse(std::hint::black_box(text)).ok()?;
                    sql::to_sql(&q, dialect, Some(10_000)).ok()
                })
            });
        }
    }
}

criterion_group!(benches, translation);
criterion_main!(benches);
