//! The cost of turning ADQL into SQL, per query: parsing alone and parsing plus SQL for each
//! backend, on what VO clients send (pyvo's registry search, a TAP_SCHEMA lookup, a join with a
//! subquery). `cargo bench --bench adql`.

use criterion::{Criterion, criterion_group, criterion_main};
use orrery::adql::{parse, sql};

const QUERIES: &[(&str, &str)] = &[
    (
        "pyvo registry.search(keywords, servicetype)",
        "SELECT
ivoid, res_type, short_name, res_title, content_level, res_description, reference_url, creator_seq, created, updated, rights, content_type, source_format, source_value, region_of_regard, waveband, 
  ivo_string_agg(COALESCE(access_url, ''), ':::py VO sep:::') AS access_urls, 
  ivo_string_agg(COALESCE(standard_id, ''), ':::py VO sep:::') AS standard_ids, 
  ivo_string_agg(COALESCE(intf_type, ''), ':::py VO sep:::') AS intf_types, 
  ivo_string_agg(COALESCE(intf_role, ''), ':::py VO sep:::') AS intf_roles, 
  ivo_string_agg(COALESCE(cap_description, ''), ':::py VO sep:::') AS cap_descriptions
FROM
rr.resource
NATURAL LEFT OUTER JOIN rr.capability
NATURAL LEFT OUTER JOIN rr.interface
WHERE
(ivoid IN (SELECT DISTINCT ivoid FROM rr.resource WHERE 1=ivo_hasword(res_description, 'gaia') UNION ALL SELECT DISTINCT ivoid FROM rr.resource WHERE 1=ivo_hasword(res_title, 'gaia') UNION ALL SELECT DISTINCT ivoid FROM rr.res_subject WHERE rr.res_subject.res_subject ILIKE '%gaia%'))
  AND (standard_id IN ('ivo://ivoa.net/std/tap'))
GROUP BY
ivoid, res_type, short_name, res_title, content_level, res_description, reference_url, creator_seq, created, updated, rights, content_type, source_format, source_value, region_of_regard, waveband",
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
