use super::rows::{Value, rows};
use super::schema::all_tables;
use crate::ivoa::voresource::resource::{Record, read};
use crate::model::Vocabularies;

fn corpus() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/voresource")
}

/// Every record of the corpus, as its standalone resource document.
pub(super) fn records() -> Vec<(String, String)> {
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
            let width = all_tables()
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
        load(&mut c, &r)
            .await
            .unwrap_or_else(|e| panic!("{file}: {e}"));
    }
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM rr.resource")
        .fetch_one(&mut c)
        .await
        .unwrap();
    assert_eq!(n as usize, seen.len());
    // The TAP service the corpus's EPN-TAP record says it is served by, with that table in its
    // own tableset too, a table of its own and an output table.
    let service = r#"<ri:Resource xmlns:ri="http://www.ivoa.net/xml/RegistryInterface/v1.0"
 xmlns:vs="http://www.ivoa.net/xml/VODataService/v1.1" xmlns:tr="http://www.ivoa.net/xml/TAPRegExt/v1.0"
 xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="vs:CatalogService" status="active">
 <title>GAVO Data Center TAP service</title><identifier>ivo://org.gavo.dc/tap</identifier>
 <capability standardID="ivo://ivoa.net/std/TAP" xsi:type="tr:TableAccess">
 <interface xsi:type="vs:ParamHTTP" role="std"><accessURL use="base">http://dc.g-vo.org/tap</accessURL></interface></capability>
 <tableset><schema><name>mpc</name><table><name>mpc.epn_core</name><title>bare</title></table></schema>
 <schema><name>tap_schema</name><table><name>tap_schema.tables</name></table>
 <table type="output"><name>tap_schema.result</name></table></schema></tableset></ri:Resource>"#;
    load(&mut c, &rows(service).unwrap()).await.unwrap();
    // RegTAP 1.2's tap_table: the tables of the corpus's TAP services, each once per service.
    let rows: Vec<(String, String, String)> =
        sqlx::query_as("SELECT resid, svcid, table_name FROM rr.tap_table")
            .fetch_all(&mut c)
            .await
            .unwrap();
    assert!(!rows.is_empty());
    let keys: std::collections::HashSet<(&str, &str)> = rows
        .iter()
        .map(|(_, s, t)| (s.as_str(), t.as_str()))
        .collect();
    assert_eq!(keys.len(), rows.len(), "one row per service and table");
    let outputs: (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM rr.tap_table AS v JOIN rr.res_table AS t \
         ON t.ivoid = v.resid AND t.table_name = v.table_name WHERE t.table_type = 'output'",
    )
    .fetch_one(&mut c)
    .await
    .unwrap();
    assert_eq!(outputs.0, 0, "output tables are not queryable");
    let of = |table: &str| {
        rows.iter()
            .filter(|(_, s, t)| s == "ivo://org.gavo.dc/tap" && t == table)
            .map(|(r, _, _)| r.as_str())
            .collect::<Vec<_>>()
    };
    assert_eq!(
        of("mpc.epn_core"),
        ["ivo://org.gavo.dc/mpc/q/epn_core"],
        "the richer record"
    );
    assert_eq!(of("tap_schema.tables"), ["ivo://org.gavo.dc/tap"]);
    assert!(of("tap_schema.result").is_empty());
}

/// Inserts the rows of one record.
async fn load(c: &mut sqlx::SqliteConnection, r: &super::rows::Rows) -> Result<(), String> {
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
            q.execute(&mut *c)
                .await
                .map_err(|e| format!("{table}: {e}"))?;
        }
    }
    Ok(())
}

/// A record with nothing but an identifier and a coverage element.
fn covered(n: usize, coverage: &str) -> String {
    format!(
        r#"<ri:Resource xmlns:ri="http://www.ivoa.net/xml/RegistryInterface/v1.0"
 xmlns:vs="http://www.ivoa.net/xml/VODataService/v1.1"
 xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="vs:CatalogResource"
 status="active"><title>Record {n}</title><identifier>ivo://test/r{n}</identifier>
 <coverage>{coverage}</coverage></ri:Resource>"#
    )
}

#[test]
fn coverage_gives_the_regtap_1_2_rows() {
    let xml = covered(
        1,
        "<spatial>6/0,1,2\t7/40\n 5/3 0/11</spatial><temporal>51000 51500.5</temporal>\
         <temporal>60000.25 59000</temporal><spectral>2.72e-19 4.14e-19</spectral>\
         <spectral>not numbers</spectral><regionOfRegard>0.5</regionOfRegard>",
    );
    let r = rows(&xml).unwrap();
    let spatial = &r.of("stc_spatial")[0];
    // Unsorted cells, tabs and newlines read; order 7 degraded to RegTAP's order 6.
    let moc = crate::model::coverage::Sky::parse_ascii(text(&spatial[1])).unwrap();
    assert_eq!(moc.depth(), 6);
    assert!(
        moc.covers(
            &crate::model::coverage::Sky::parse_ascii("0/11 5/3 6/0-2 7/40")
                .unwrap()
                .degraded(6)
        )
    );
    assert_eq!(spatial[2], Value::Null);
    let temporal: Vec<(f64, f64)> = r
        .of("stc_temporal")
        .iter()
        .map(|t| match (&t[1], &t[2]) {
            (Value::Real(a), Value::Real(b)) => (*a, *b),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(temporal, vec![(51000.0, 51500.5), (59000.0, 60000.25)]);
    assert_eq!(
        r.of("stc_spectral").len(),
        1,
        "the unreadable interval gives no row"
    );
    // The cells cover the MOC exactly, each with the MOC's whole area.
    let cells = r.of("stc_cell");
    let area: i64 = cells
        .iter()
        .map(|c| match (&c[2], &c[3]) {
            (Value::Int(lo), Value::Int(hi)) => hi - lo,
            other => panic!("{other:?}"),
        })
        .sum();
    assert!(cells.iter().all(|c| c[4] == Value::Int(area)));
    // A MOC in another frame, or one that does not parse, gives no spatial row.
    for bad in [
        "<spatial frame=\"GALACTIC\">0/1</spatial>",
        "<spatial>0/12</spatial>",
        "<spatial>3/</spatial>",
    ] {
        let r = rows(&covered(2, bad)).unwrap();
        assert!(r.of("stc_spatial").is_empty(), "{bad}");
        assert!(r.of("stc_cell").is_empty(), "{bad}");
    }
}

/// A small deterministic generator (xorshift), so that the geometry test needs no seed file.
struct Draw(u64);

impl Draw {
    fn next(&mut self) -> f64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }

    fn between(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.next()
    }
}

/// `CONTAINS` and `INTERSECTS` as pyvo writes them, translated to SQL over the cell index,
/// give the resources the MOC set operations give, for cones, polygons, points and ASCII MOCs
/// of every size against coverages of every size.
#[tokio::test]
async fn geometry_predicates_agree_with_the_moc_set_operations() {
    use crate::ivoa::adql::{parse, sql};
    use crate::model::coverage::Sky;
    let mut c = super::schema::in_memory_sqlite().await;
    let mut d = Draw(0x5eed_cafe);
    let mut skies = Vec::new();
    for n in 0..300 {
        let sky = match n % 10 {
            0 => Sky::parse_ascii("0/0-11").unwrap(),
            1 => Sky::polygon(
                &[
                    (d.between(0.0, 300.0), -10.0),
                    (d.between(0.0, 300.0), 20.0),
                    (310.0, 30.0),
                ],
                6,
            )
            .unwrap_or_else(|_| Sky::parse_ascii("1/5").unwrap()),
            _ => Sky::cone(
                d.between(0.0, 360.0),
                d.between(-89.0, 89.0),
                d.between(0.2, 25.0),
                6,
            )
            .unwrap(),
        };
        let xml = covered(n, &format!("<spatial>{}</spatial>", sky.to_ascii()));
        load(&mut c, &rows(&xml).unwrap()).await.unwrap();
        skies.push((format!("ivo://test/r{n}"), sky));
    }
    let mut checked = 0;
    for k in 0..120 {
        let (ra, dec) = (d.between(0.0, 360.0), d.between(-89.0, 89.0));
        let (geometry, region) = match k % 4 {
            0 => {
                let r = d.between(0.1, 30.0);
                (
                    format!("MOC(6, CIRCLE({ra}, {dec}, {r}))"),
                    Sky::cone(ra, dec, r, 6).unwrap(),
                )
            }
            1 => (
                format!("MOC(6, POINT({ra}, {dec}))"),
                Sky::point(ra, dec, 6).unwrap(),
            ),
            2 => {
                let ascii = Sky::cone(ra, dec, d.between(1.0, 40.0), 4)
                    .unwrap()
                    .to_ascii();
                (format!("MOC('{ascii}')"), Sky::parse_ascii(&ascii).unwrap())
            }
            _ => {
                let v = [
                    (ra, dec.clamp(-80.0, 70.0)),
                    ((ra + 8.0) % 360.0, dec.clamp(-80.0, 70.0)),
                    ((ra + 4.0) % 360.0, dec.clamp(-80.0, 70.0) + 9.0),
                ];
                let text: Vec<String> = v.iter().map(|(a, b)| format!("{a}, {b}")).collect();
                (
                    format!("MOC(6, POLYGON({}))", text.join(", ")),
                    Sky::polygon(&v, 6).unwrap(),
                )
            }
        };
        for (condition, relation) in [
            (format!("1 = CONTAINS({geometry}, coverage)"), "covers"),
            (format!("1 = CONTAINS(coverage, {geometry})"), "enclosed"),
            (format!("1 = INTERSECTS(coverage, {geometry})"), "overlaps"),
        ] {
            let adql = format!(
                "SELECT DISTINCT ivoid FROM rr.stc_spatial WHERE {condition} ORDER BY ivoid"
            );
            let q = sql::to_sql(&parse(&adql).unwrap(), sql::Dialect::Sqlite, None).unwrap();
            let got: Vec<(String,)> = sqlx::query_as(sqlx::AssertSqlSafe(q.clone()))
                .fetch_all(&mut c)
                .await
                .unwrap_or_else(|e| panic!("{q}: {e}"));
            let got: Vec<String> = got.into_iter().map(|(i,)| i).collect();
            let mut want: Vec<String> = skies
                .iter()
                .filter(|(_, s)| match relation {
                    "covers" => s.covers(&region),
                    "enclosed" => region.covers(s),
                    _ => s.overlaps(&region),
                })
                .map(|(i, _)| i.clone())
                .collect();
            want.sort();
            assert_eq!(got, want, "{adql}");
            checked += want.len();
        }
    }
    assert!(checked > 500, "the queries found something: {checked}");
}

/// The `res_detail` pairs of one capability.
fn details_of(r: &super::rows::Rows, cap: i64) -> Vec<(String, String)> {
    r.of("res_detail")
        .iter()
        .filter(|d| d[1] == Value::Int(cap))
        .map(|d| (text(&d[2]).to_owned(), text(&d[3]).to_owned()))
        .collect()
}

/// RegTAP 1.2's rules the 1.1 mapping missed, each on the corpus record that exercises it.
#[test]
fn ssa_capabilities_have_the_ssap_prefix_and_their_details() {
    let xml =
        std::fs::read_to_string(corpus().join("ivoa-std-VODataService__samples-ssa.xml")).unwrap();
    let r = rows(&xml).unwrap();
    let cap = &r.of("capability")[0];
    // Both SSA namespaces have the canonical prefix `ssap` (RegTAP 1.2, table 1).
    assert_eq!(text(&cap[2]), "ssap:simplespectralaccess");
    let d = details_of(&r, 1);
    for (xpath, value) in [
        ("/capability/testQuery/pos/long", "102.2"),
        ("/capability/testQuery/pos/lat", "28.5"),
        ("/capability/testQuery/size", "0.5"),
        (
            "/capability/testQuery/queryDataCmd",
            "POS=102.2,28.5&SIZE=0.5",
        ),
    ] {
        assert!(
            d.contains(&(xpath.to_owned(), value.to_owned())),
            "{xpath}: {d:?}"
        );
    }
    assert!(
        d.iter().any(|(x, _)| x == "/capability/complianceLevel"),
        "{d:?}"
    );
    // Its two interfaces both belong to its one capability.
    let interfaces = r.of("interface");
    assert_eq!(interfaces.len(), 2);
    assert!(interfaces.iter().all(|i| i[1] == Value::Int(1)));
}

#[test]
fn sia_sizes_and_test_queries_are_details_of_their_capability() {
    let xml =
        std::fs::read_to_string(corpus().join("ivoa-std-VODataService__samples-sia.xml")).unwrap();
    let r = rows(&xml).unwrap();
    let d = details_of(&r, 1);
    for (xpath, value) in [
        ("/capability/maxQueryRegionSize/long", "360.0"),
        ("/capability/maxImageExtent/lat", "180.0"),
        ("/capability/maxImageSize/long", "5000"),
        ("/capability/testQuery/pos/long", "120"),
        ("/capability/testQuery/pos/lat", "20"),
    ] {
        assert!(
            d.contains(&(xpath.to_owned(), value.to_owned())),
            "{xpath}: {d:?}"
        );
    }
}

/// `authenticated_only` per interface: 0 without a securityMethod or with one naming no
/// method, 1 when every one names a method; each interface under the capability it is in.
#[test]
fn authentication_is_read_per_interface_and_interfaces_keep_their_capability() {
    let xml = covered(1, "").replace(
        "<coverage></coverage>",
        r#"<capability standardID="ivo://ivoa.net/std/TAP">
  <interface xsi:type="vs:ParamHTTP" role="std"><accessURL>https://a/open</accessURL></interface>
  <interface xsi:type="vs:ParamHTTP" role="std"><accessURL>https://a/either</accessURL>
    <securityMethod/><securityMethod standardID="ivo://ivoa.net/sso#BasicAA"/></interface>
</capability>
<capability standardID="ivo://ivoa.net/std/ConeSearch">
  <interface xsi:type="vs:ParamHTTP" role="std"><accessURL>https://a/token</accessURL>
    <securityMethod standardID="ivo://ivoa.net/sso#OAuth"/>
    <testQueryString>RA=1&amp;DEC=2&amp;SR=0.1</testQueryString></interface>
</capability>"#,
    );
    let r = rows(&xml).unwrap();
    let by_url: Vec<(String, i64, i64)> = r
        .of("interface")
        .iter()
        .map(|i| {
            let (Value::Int(cap), Value::Int(auth)) = (&i[1], &i[12]) else {
                panic!("{i:?}")
            };
            (text(&i[10]).to_owned(), *cap, *auth)
        })
        .collect();
    assert_eq!(
        by_url,
        [
            ("https://a/open".to_owned(), 1, 0),
            ("https://a/either".to_owned(), 1, 0),
            ("https://a/token".to_owned(), 2, 1),
        ]
    );
    let d = details_of(&r, 2);
    assert!(d.contains(&(
        "/capability/interface/testQueryString".to_owned(),
        "RA=1&DEC=2&SR=0.1".to_owned()
    )));
    assert!(d.contains(&(
        "/capability/interface/securityMethod/@standardID".to_owned(),
        "ivo://ivoa.net/sso#OAuth".to_owned()
    )));
}
