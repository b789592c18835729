use super::rows::{Value, rows};
use super::schema::TABLES;
use crate::ivoa::voresource::resource::{Record, read};
use crate::model::Vocabularies;

fn corpus() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/voresource")
}

/// Every record of the corpus, as its standalone resource document.
fn records() -> Vec<(String, String)> {
    let vocab = Vocabularies::load().unwrap();
    let mut files: Vec<std::path::PathBuf> = std::fs::read_dir(corpus())
        .unwrap()
        .chain(std::fs::read_dir(corpus().join("rofr-standards")).unwrap())
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "xml"))
        .collect();
    files.sort();
    let mut out = Vec::new();
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        if let Ok(Record::Resource(a)) = read(&text, &vocab) {
            out.push((
                f.file_name().unwrap().to_string_lossy().into_owned(),
                a.voresource.unwrap(),
            ));
        }
    }
    assert!(out.len() > 60, "{}", out.len());
    out
}

fn text(v: &Value) -> &str {
    match v {
        Value::Text(t) => t,
        other => panic!("not text: {other:?}"),
    }
}

#[test]
fn every_corpus_record_gives_rows_of_the_right_shape() {
    for (file, xml) in records() {
        let r = rows(&xml).unwrap_or_else(|e| panic!("{file}: {e}"));
        assert_eq!(r.of("resource").len(), 1, "{file}");
        for (table, rows) in &r.tables {
            let width = TABLES
                .iter()
                .find(|t| t.name == *table)
                .unwrap()
                .columns
                .len();
            for row in rows {
                assert_eq!(row.len(), width, "{file}: {table}");
                // Normalised: no empty strings, no surrounding blanks.
                for v in row {
                    if let Value::Text(t) = v {
                        assert!(!t.is_empty() && t.trim() == t, "{file}: {table}: {t:?}");
                    }
                }
            }
        }
    }
}

#[test]
fn a_data_collection_normalised() {
    let xml =
        std::fs::read_to_string(corpus().join("ivoa-std-VODataService__samples-collection.xml"))
            .unwrap();
    let r = rows(&xml).unwrap();
    let res = &r.of("resource")[0];
    assert_eq!(text(&res[0]), "ivo://bima.ncsa/bima");
    assert_eq!(text(&res[1]), "vs:datacollection");
    assert_eq!(text(&res[2]), "2000-01-01T09:00:00");
    assert_eq!(text(&res[4]), "NCSA BIMA Data Archive");
    assert_eq!(text(&res[9]), "Dr. Richard Crutcher");
    assert_eq!(text(&res[15]), "millimeter");
    let publisher = r
        .of("res_role")
        .iter()
        .find(|row| text(&row[7]) == "publisher")
        .unwrap();
    assert_eq!(text(&publisher[1]), "NCSA Radio Astronomy Imaging");
    assert_eq!(text(&publisher[2]), "ivo://rai.ncsa/rai");
    assert_eq!(r.of("res_subject").len(), 3);
    let created = &r.of("res_date")[0];
    assert_eq!(text(&created[1]), "1993-01-01T00:00:00");
    assert_eq!(text(&created[2]), "created");
}

#[test]
fn capabilities_interfaces_and_details() {
    let xml =
        std::fs::read_to_string(corpus().join("ivoa-std-VODataService__samples-conesearch.xml"))
            .unwrap();
    let r = rows(&xml).unwrap();
    assert_eq!(text(&r.of("resource")[0][1]), "vs:catalogservice");
    let cap = &r.of("capability")[0];
    assert_eq!(cap[1], Value::Int(1));
    assert_eq!(text(&cap[2]), "cs:conesearch");
    assert_eq!(text(&cap[4]), "ivo://ivoa.net/std/conesearch");
    let intf = &r.of("interface")[0];
    assert_eq!(text(&intf[3]), "vs:paramhttp");
    assert_eq!(text(&intf[4]), "std");
    assert_eq!(text(&intf[9]), "base");
    assert_eq!(
        text(&intf[10]),
        "http://adil.ncsa.uiuc.edu/vocone?survey=f&"
    );
    assert_eq!(intf[12], Value::Int(0));
    let details: Vec<(&str, &str)> = r
        .of("res_detail")
        .iter()
        .map(|d| (text(&d[2]), text(&d[3])))
        .collect();
    assert!(
        details.contains(&("/capability/maxSR", "10")),
        "{details:?}"
    );
    assert!(
        details.contains(&("/capability/maxRecords", "5000")),
        "{details:?}"
    );
    let ipac = std::fs::read_to_string(corpus().join("ivoa-std-VODataService__ipac-resource.xml"))
        .unwrap();
    let r = rows(&ipac).unwrap();
    let params = r.of("intf_param");
    assert_eq!(params.len(), 2);
    assert_eq!(text(&params[0][2]), "objname");
    assert_eq!(text(&params[0][12]), "required");
    assert_eq!(text(&r.of("interface")[0][6]), "get");
    let columns = r.of("table_column");
    assert!(columns.len() >= 3, "{columns:?}");
    assert!(
        columns
            .iter()
            .any(|c| c[12] == Value::Text("vs:votabletype".into()))
    );
}

/// The rows of the whole corpus load into the DDL on a real SQLite.
#[tokio::test]
async fn the_rows_load_into_the_schema() {
    let mut c = super::schema::in_memory_sqlite().await;
    let mut seen = std::collections::HashSet::new();
    for (file, xml) in records() {
        let r = rows(&xml).unwrap();
        // The same resource in two files (a standard in its repository and in the RofR).
        if !seen.insert(format!("{:?}", r.of("resource")[0][0])) {
            continue;
        }
        for (table, rows) in &r.tables {
            for row in rows {
                let marks = vec!["?"; row.len()].join(", ");
                let sql = format!("INSERT INTO rr.{table} VALUES ({marks})");
                let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
                for v in row {
                    q = match v {
                        Value::Null => q.bind(None::<String>),
                        Value::Text(t) => q.bind(t.clone()),
                        Value::Int(i) => q.bind(*i),
                        Value::Real(f) => q.bind(*f),
                    };
                }
                q.execute(&mut c)
                    .await
                    .unwrap_or_else(|e| panic!("{file}: {table}: {e}"));
            }
        }
    }
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM rr.resource")
        .fetch_one(&mut c)
        .await
        .unwrap();
    assert_eq!(n as usize, seen.len());
}
