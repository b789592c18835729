//! The VOSI documents of the TAP service: /capabilities (VOSICapabilities 1.0 with a TAPRegExt
//! 1.0 `tr:TableAccess`), /availability (VOSIAvailability 1.0) and /tables, /tables/<name>
//! (VOSITables 1.1 over VODataService 1.2).
//!
//! The TAP capability is written by the functions the service's own VOResource record
//! (`voresource::tap_record`) calls too, and that record carries the schemas written here
//! (`schemas`); the tables come from the same data as TAP_SCHEMA (`tap_schema::schemas`), so no
//! two descriptions can drift apart.
//! Only the root elements are namespaced: VOResource's children are unqualified.

use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesText, Event};

use crate::ivoa::regtap::schema::Table;
use crate::ivoa::tap::tap_schema::{self, Schema};
use crate::ivoa::voresource::capabilities::{
    R, W, text, write_tap_capability, write_vosi_capabilities,
};

const NS_CAPS: &str = "http://www.ivoa.net/xml/VOSICapabilities/v1.0";
const NS_AVAIL: &str = "http://www.ivoa.net/xml/VOSIAvailability/v1.0";
const NS_TABLES: &str = "http://www.ivoa.net/xml/VOSITables/v1.0";
const NS_VR: &str = "http://www.ivoa.net/xml/VOResource/v1.0";
const NS_VS: &str = "http://www.ivoa.net/xml/VODataService/v1.1";
const NS_XSI: &str = "http://www.w3.org/2001/XMLSchema-instance";

fn write_root(w: &mut W, root: &str, attrs: &[(&str, &str)], body: impl FnOnce(&mut W) -> R) -> R {
    w.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
    let mut e = w.create_element(root);
    for a in attrs {
        e = e.with_attribute(*a);
    }
    e.write_inner_content(body)?;
    Ok(())
}

/// A whole document with its XML declaration.
fn document(root: &str, attrs: &[(&str, &str)], body: impl FnOnce(&mut W) -> R) -> Vec<u8> {
    let mut buf = Vec::with_capacity(16 * 1024);
    let mut w = Writer::new_with_indent(&mut buf, b' ', 1);
    if let Err(e) = write_root(&mut w, root, attrs, body) {
        unreachable!("a Vec takes every byte written to it: {e}");
    }
    buf
}

/// The /capabilities document.
pub fn capabilities(t: &crate::ivoa::voresource::capabilities::TapInfo) -> Vec<u8> {
    document(
        "vosi:capabilities",
        &[
            ("xmlns:vosi", NS_CAPS),
            ("xmlns:vr", NS_VR),
            ("xmlns:vs", NS_VS),
            ("xmlns:xsi", NS_XSI),
        ],
        |w| {
            write_tap_capability(w, t)?;
            write_vosi_capabilities(w, t)
        },
    )
}

/// The /availability document of a service that is up (it answers).
pub fn availability(up_since: &str, available: bool, note: &str) -> Vec<u8> {
    document("vosi:availability", &[("xmlns:vosi", NS_AVAIL)], |w| {
        text(
            w,
            "vosi:available",
            if available { "true" } else { "false" },
        )?;
        text(w, "vosi:upSince", up_since)?;
        if !note.is_empty() {
            text(w, "vosi:note", note)?;
        }
        Ok(())
    })
}

/// A table's children: name, description and, unless `detail_min`, columns and foreign keys.
fn table_content(w: &mut W, s: &Schema, t: &Table, detail_min: bool) -> R {
    text(w, "name", &s.qualified(t.name))?;
    text(w, "description", t.description)?;
    if detail_min {
        return Ok(());
    }
    for col in t.columns {
        let m = tap_schema::column_meta(t, col);
        let f = &m.field;
        w.create_element("column")
            .with_attribute(("std", if m.std { "true" } else { "false" }))
            .write_inner_content(|w| {
                text(w, "name", &f.name)?;
                if let Some(d) = &f.description {
                    text(w, "description", d)?;
                }
                if let Some(u) = &f.unit {
                    text(w, "unit", u)?;
                }
                if let Some(u) = &f.ucd {
                    text(w, "ucd", u)?;
                }
                if let Some(u) = &f.utype {
                    text(w, "utype", u)?;
                }
                let mut dt = w
                    .create_element("dataType")
                    .with_attribute(("xsi:type", "vs:VOTableType"));
                if let Some(a) = &f.arraysize {
                    dt = dt.with_attribute(("arraysize", a.as_str()));
                }
                if let Some(x) = &f.xtype {
                    dt = dt.with_attribute(("extendedType", x.as_str()));
                }
                dt.write_text_content(BytesText::new(f.datatype.as_str()))?;
                if m.indexed {
                    text(w, "flag", "indexed")?;
                }
                if m.primary {
                    text(w, "flag", "primary")?;
                }
                Ok(())
            })?;
    }
    for k in s.keys.iter().filter(|k| k.from == t.name) {
        w.create_element("foreignKey").write_inner_content(|w| {
            text(w, "targetTable", &s.qualified(k.target))?;
            for (from, target) in k.columns {
                w.create_element("fkColumn").write_inner_content(|w| {
                    text(w, "fromColumn", from)?;
                    text(w, "targetColumn", target)
                })?;
            }
            text(w, "description", k.description)
        })?;
    }
    Ok(())
}

/// The `schema` elements of a tableset, unindented, as the service's own VOResource record
/// carries them (`TapInfo::schemas`).
pub fn schemas() -> std::sync::Arc<[u8]> {
    let mut buf = Vec::with_capacity(32 * 1024);
    let mut w = Writer::new(&mut buf);
    if let Err(e) = write_schemas(&mut w, false) {
        unreachable!("a Vec takes every byte written to it: {e}");
    }
    buf.into()
}

/// The `schema` elements of a tableset: `rr` (with the RegTAP utype) and
/// `tap_schema`, each table named as in TAP_SCHEMA.
fn write_schemas(w: &mut W, detail_min: bool) -> R {
    for s in tap_schema::schemas() {
        w.create_element("schema").write_inner_content(|w| {
            text(w, "name", s.name)?;
            text(w, "description", s.description)?;
            if let Some(u) = s.utype {
                text(w, "utype", u)?;
            }
            for t in s.tables {
                let mut e = w.create_element("table");
                if crate::ivoa::regtap::schema::is_view(t.name) {
                    e = e.with_attribute(("type", "view"));
                }
                e.write_inner_content(|w| table_content(w, &s, t, detail_min))?;
            }
            Ok(())
        })?;
    }
    Ok(())
}

/// The /tables document; `detail_min` (`?detail=min`) leaves out columns and keys.
pub fn tableset(detail_min: bool) -> Vec<u8> {
    document(
        "vosi:tableset",
        &[
            ("xmlns:vosi", NS_TABLES),
            ("xmlns:vs", NS_VS),
            ("xmlns:xsi", NS_XSI),
        ],
        |w| write_schemas(w, detail_min),
    )
}

/// The /tables/<name> document of one table, its name compared case-insensitively.
pub fn table(name: &str) -> Option<Vec<u8>> {
    let schemas = tap_schema::schemas();
    let (s, t) = schemas.iter().find_map(|s| {
        s.tables
            .iter()
            .find(|t| s.qualified(t.name).eq_ignore_ascii_case(name))
            .map(|t| (s, t))
    })?;
    Some(document(
        "vosi:table",
        &[
            ("xmlns:vosi", NS_TABLES),
            ("xmlns:vs", NS_VS),
            ("xmlns:xsi", NS_XSI),
        ],
        |w| table_content(w, s, t, false),
    ))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::ivoa::regtap::schema::{self, Backend};
    use crate::ivoa::voresource::capabilities::TapInfo;
    use quick_xml::Reader;
    use quick_xml::events::Event as Ev;
    use sqlx::Row;

    pub(crate) use crate::testing::validate;

    /// An element: local name, attributes by qualified name, text, children.
    #[derive(Debug, Default)]
    pub(crate) struct El {
        pub name: String,
        pub attrs: Vec<(String, String)>,
        pub text: String,
        pub children: Vec<El>,
    }

    impl El {
        pub fn parse(xml: &[u8]) -> El {
            let mut r = Reader::from_reader(xml);
            let mut stack = vec![El::default()];
            let open = |e: &quick_xml::events::BytesStart| El {
                name: String::from_utf8_lossy(e.local_name().as_ref()).into_owned(),
                attrs: e
                    .attributes()
                    .map(|a| {
                        let a = a.unwrap();
                        let k = String::from_utf8_lossy(a.key.as_ref()).into_owned();
                        (k, a.unescape_value().unwrap().into_owned())
                    })
                    .collect(),
                ..El::default()
            };
            let mut buf = Vec::new();
            loop {
                match r.read_event_into(&mut buf).unwrap() {
                    Ev::Start(e) => stack.push(open(&e)),
                    Ev::Empty(e) => stack.last_mut().unwrap().children.push(open(&e)),
                    Ev::Text(t) => stack.last_mut().unwrap().text += &t.unescape().unwrap(),
                    Ev::End(_) => {
                        let done = stack.pop().unwrap();
                        stack.last_mut().unwrap().children.push(done);
                    }
                    Ev::Eof => break,
                    _ => {}
                }
                buf.clear();
            }
            stack.pop().unwrap().children.pop().unwrap()
        }

        pub fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a El> {
            self.children.iter().filter(move |c| c.name == name)
        }

        pub fn child(&self, name: &str) -> Option<&str> {
            self.children
                .iter()
                .find(|c| c.name == name)
                .map(|c| c.text.trim())
        }

        pub fn attr(&self, name: &str) -> Option<&str> {
            self.attrs
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.as_str())
        }
    }

    pub(crate) fn info(full_registry: bool) -> TapInfo {
        TapInfo {
            base: "https://example.org/tap".to_owned(),
            default_maxrec: 20000,
            hard_maxrec: 1000000,
            execution_duration: 600,
            retention: 172800,
            full_registry,
            schemas: schemas(),
        }
    }

    /// taplint's UDF form: `name(args) -> TYPE`, the name an ADQL identifier.
    fn udf_form_ok(form: &str) -> bool {
        let Some((head, result)) = form.split_once(')') else {
            return false;
        };
        let Some((name, _args)) = head.split_once('(') else {
            return false;
        };
        let name = name.trim_end();
        name.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
            && result
                .trim_start()
                .strip_prefix("->")
                .is_some_and(|t| !t.trim().is_empty())
    }

    #[test]
    fn capabilities_validate_and_claim_regtap_only_for_a_full_registry() {
        for full in [false, true] {
            let doc = capabilities(&info(full));
            validate(&doc);
            let root = El::parse(&doc);
            let taps: Vec<&El> = root
                .all("capability")
                .filter(|c| c.attr("standardID") == Some("ivo://ivoa.net/std/TAP"))
                .collect();
            assert_eq!(taps.len(), 1);
            let tap = taps[0];
            assert_eq!(tap.attr("xsi:type"), Some("tr:TableAccess"));
            let intf = tap.all("interface").next().unwrap();
            assert_eq!(intf.attr("role"), Some("std"));
            assert_eq!(intf.attr("version"), Some("1.1"));
            let url = intf.all("accessURL").next().unwrap();
            assert_eq!(url.attr("use"), Some("base"));
            assert_eq!(url.text, "https://example.org/tap");
            let models: Vec<&str> = tap
                .all("dataModel")
                .filter_map(|d| d.attr("ivo-id"))
                .collect();
            if full {
                assert_eq!(models, ["ivo://ivoa.net/std/regtap#1.2"]);
            } else {
                assert!(models.is_empty());
            }
            let limits = tap.all("outputLimit").next().unwrap();
            assert_eq!(limits.child("default"), Some("20000"));
            assert_eq!(limits.child("hard"), Some("1000000"));
            assert_eq!(
                tap.all("executionDuration")
                    .next()
                    .unwrap()
                    .child("default"),
                Some("600")
            );
        }
    }

    #[test]
    fn capabilities_name_adql_with_the_regtap_functions_and_union() {
        let root = El::parse(&capabilities(&info(false)));
        let tap = root.all("capability").next().unwrap();
        let adql = tap
            .all("language")
            .find(|l| l.child("name") == Some("ADQL"))
            .unwrap();
        let versions: Vec<(&str, Option<&str>)> = adql
            .all("version")
            .map(|v| (v.text.as_str(), v.attr("ivo-id")))
            .collect();
        assert!(versions.contains(&("2.0", Some("ivo://ivoa.net/std/ADQL#v2.0"))));
        let forms = |ty: &str| -> Vec<String> {
            adql.all("languageFeatures")
                .filter(|f| f.attr("type").is_some_and(|t| t.eq_ignore_ascii_case(ty)))
                .flat_map(|f| f.all("feature"))
                .filter_map(|f| f.child("form").map(str::to_owned))
                .collect()
        };
        // pyvo compares the type case-insensitively, as the ADQL 2.1 text spells it.
        assert!(
            forms("ivo://ivoa.net/std/tapregext#features-adql-sets").contains(&"UNION".to_owned())
        );
        let udfs = forms("ivo://ivoa.net/std/TAPRegExt#features-udf");
        for f in [
            "ivo_hasword",
            "ivo_hashlist_has",
            "ivo_nocasematch",
            "ivo_string_agg",
            "ivo_interval_overlaps",
        ] {
            assert!(udfs.iter().any(|u| u.starts_with(&format!("{f}("))), "{f}");
        }
        assert!(udfs.iter().all(|u| udf_form_ok(u)), "{udfs:?}");
        assert!(!udf_form_ok("ivo_hasword haystack -> INTEGER"));
        for ty in ["features-adql-string", "features-adql-common-table"] {
            assert!(
                !forms(&format!("ivo://ivoa.net/std/TAPRegExt#{ty}")).is_empty(),
                "{ty}"
            );
        }
        let formats: Vec<&str> = tap
            .all("outputFormat")
            .flat_map(|f| f.all("alias"))
            .map(|a| a.text.as_str())
            .collect();
        assert_eq!(formats, ["votable", "votable/b2", "csv", "tsv", "json"]);
    }

    #[test]
    fn vosi_endpoints_sit_beside_the_tap_base() {
        let root = El::parse(&capabilities(&info(false)));
        let url = |id: &str| {
            let cap = root
                .all("capability")
                .find(|c| c.attr("standardID") == Some(id))
                .unwrap();
            let intf = cap.all("interface").next().unwrap();
            assert_eq!(intf.attr("role"), Some("std"));
            intf.child("accessURL").unwrap().to_owned()
        };
        assert_eq!(
            url("ivo://ivoa.net/std/VOSI#capabilities"),
            "https://example.org/tap/capabilities"
        );
        assert_eq!(
            url("ivo://ivoa.net/std/VOSI#availability"),
            "https://example.org/tap/availability"
        );
        assert_eq!(
            url("ivo://ivoa.net/std/VOSI#tables-1.1"),
            "https://example.org/tap/tables"
        );
    }

    #[test]
    fn availability_validates() {
        let doc = availability("2025-01-10T08:30:00Z", true, "RegTAP over the catalogue");
        validate(&doc);
        let root = El::parse(&doc);
        assert_eq!(root.child("available"), Some("true"));
        assert_eq!(root.child("upSince"), Some("2025-01-10T08:30:00Z"));
        validate(&availability("2025-01-10T08:30:00Z", true, ""));
        let down = availability("2025-01-10T08:30:00Z", false, "being built");
        validate(&down);
        assert_eq!(El::parse(&down).child("available"), Some("false"));
    }

    #[test]
    fn the_tableset_validates_in_full_and_min_detail() {
        let doc = tableset(false);
        validate(&doc);
        let root = El::parse(&doc);
        let rr = root
            .all("schema")
            .find(|s| s.child("name") == Some("rr"))
            .unwrap();
        assert_eq!(rr.child("utype"), Some("ivo://ivoa.net/std/regtap#1.2"));
        let min = tableset(true);
        validate(&min);
        let root = El::parse(&min);
        let tables: Vec<&El> = root.all("schema").flat_map(|s| s.all("table")).collect();
        assert_eq!(
            tables.len(),
            schema::TABLES.len() + tap_schema::TABLES.len()
        );
        assert!(
            tables
                .iter()
                .all(|t| t.all("column").next().is_none() && t.all("foreignKey").next().is_none())
        );
    }

    #[test]
    fn one_table_is_found_case_insensitively_and_validates() {
        let doc = table("RR.Resource").unwrap();
        validate(&doc);
        let t = El::parse(&doc);
        assert_eq!(t.name, "table");
        assert_eq!(t.child("name"), Some("rr.resource"));
        let created = t
            .all("column")
            .find(|c| c.child("name") == Some("created"))
            .unwrap();
        let dt = created.all("dataType").next().unwrap();
        assert_eq!(dt.attr("extendedType"), Some("timestamp"));
        assert_eq!(dt.attr("arraysize"), Some("*"));
        validate(&table("tap_schema.columns").unwrap());
        assert!(table("rr.nothing").is_none());
        assert!(table("resource").is_none());
    }

    type ColumnRow = (
        String,
        String,
        String,
        Option<String>,
        Option<String>,
        Option<String>,
        bool,
    );

    #[tokio::test]
    async fn tables_and_tap_schema_describe_the_same_columns_and_keys() {
        let mut db = schema::in_memory_sqlite().await;
        sqlx::query("ATTACH DATABASE ':memory:' AS tap_schema")
            .execute(&mut db)
            .await
            .unwrap();
        for stmt in tap_schema::statements(Backend::Sqlite) {
            sqlx::query(sqlx::AssertSqlSafe(stmt))
                .execute(&mut db)
                .await
                .unwrap();
        }
        let mut from_db: Vec<ColumnRow> = sqlx::query(
            "SELECT table_name, column_name, datatype, arraysize, xtype, unit, indexed \
             FROM tap_schema.columns",
        )
        .fetch_all(&mut db)
        .await
        .unwrap()
        .iter()
        .map(|r| {
            (
                r.get(0),
                r.get(1),
                r.get(2),
                r.get(3),
                r.get(4),
                r.get(5),
                r.get::<i64, _>(6) == 1,
            )
        })
        .collect();
        let mut keys_db: Vec<(String, String, String, String)> = sqlx::query(
            "SELECT from_table, target_table, from_column, target_column \
             FROM tap_schema.keys NATURAL JOIN tap_schema.key_columns",
        )
        .fetch_all(&mut db)
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3)))
        .collect();

        let root = El::parse(&tableset(false));
        let mut from_xml: Vec<ColumnRow> = Vec::new();
        let mut keys_xml = Vec::new();
        for t in root.all("schema").flat_map(|s| s.all("table")) {
            let table = t.child("name").unwrap().to_owned();
            for c in t.all("column") {
                let dt = c.all("dataType").next().unwrap();
                from_xml.push((
                    table.clone(),
                    c.child("name").unwrap().to_owned(),
                    dt.text.clone(),
                    dt.attr("arraysize").map(str::to_owned),
                    dt.attr("extendedType").map(str::to_owned),
                    c.child("unit").map(str::to_owned),
                    c.all("flag").any(|f| f.text == "indexed"),
                ));
            }
            for k in t.all("foreignKey") {
                for fk in k.all("fkColumn") {
                    keys_xml.push((
                        table.clone(),
                        k.child("targetTable").unwrap().to_owned(),
                        fk.child("fromColumn").unwrap().to_owned(),
                        fk.child("targetColumn").unwrap().to_owned(),
                    ));
                }
            }
        }
        from_db.sort();
        from_xml.sort();
        keys_db.sort();
        keys_xml.sort();
        assert!(from_db.len() > 100, "{}", from_db.len());
        assert_eq!(from_db, from_xml);
        let pairs: usize = schema::FOREIGN_KEYS
            .iter()
            .chain(tap_schema::KEYS)
            .map(|k| k.columns.len())
            .sum();
        assert_eq!(keys_db.len(), pairs);
        assert_eq!(keys_db, keys_xml);
    }
}
