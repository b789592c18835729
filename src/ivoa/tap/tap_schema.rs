//! TAP_SCHEMA 1.1, the self-description every TAP service carries: its five tables as data,
//! and the statements that create and fill them with the description of `rr` and of
//! TAP_SCHEMA itself.
//!
//! The VOSI /tables document (`vosi`) is written from the same `schemas()` and
//! `column_meta()`, so the two descriptions cannot disagree (taplint compares them, TMC).

use crate::ivoa::regtap::schema::{self, Backend, Column, ForeignKey, Table, Type::*, c, i};
use crate::ivoa::tap::result::Field;

pub const SCHEMA_NAME: &str = "tap_schema";

pub use crate::ivoa::voresource::capabilities::REGTAP_UTYPE;

/// The five TAP_SCHEMA tables with every TAP 1.1 column.
pub const TABLES: &[Table] = &[
    Table {
        name: "schemas",
        description: "The schemas of this service.",
        primary_key: &["schema_name"],
        columns: &[
            i("schema_name", Text, "Schema name, as used in queries."),
            c(
                "utype",
                Text,
                "The data model this schema implements as a whole, if any.",
            ),
            c("description", Text, "A description of the schema."),
            c(
                "schema_index",
                Integer,
                "A recommended order for listing the schemas.",
            ),
        ],
    },
    Table {
        name: "tables",
        description: "The tables of this service.",
        primary_key: &["table_name"],
        columns: &[
            c("schema_name", Text, "The schema the table belongs to."),
            i(
                "table_name",
                Text,
                "Table name qualified with its schema, as used in queries.",
            ),
            c("table_type", Text, "One of table or view."),
            c(
                "utype",
                Text,
                "The data model element this table implements, if any.",
            ),
            c("description", Text, "A description of the table."),
            c(
                "table_index",
                Integer,
                "A recommended order for listing the tables.",
            ),
        ],
    },
    Table {
        name: "columns",
        description: "The columns of the tables of this service.",
        primary_key: &["table_name", "column_name"],
        columns: &[
            i(
                "table_name",
                Text,
                "The qualified name of the table the column belongs to.",
            ),
            i("column_name", Text, "Column name, as used in queries."),
            c(
                "datatype",
                Text,
                "The VOTable datatype of the column's values (char, unicodeChar, int, double).",
            ),
            c(
                "arraysize",
                Text,
                "The VOTable arraysize: * for strings of any length, NULL for scalars.",
            ),
            c(
                "xtype",
                Text,
                "The DALI extended type of the values, e.g. timestamp.",
            ),
            // Delimited everywhere (DDL, column_name, /tables, FIELD): SIZE is an ADQL reserved
            // word, and TAP 1.1 (section 4.3) and taplint expect the column as `"size"`.
            c(
                "\"size\"",
                Integer,
                "The length of fixed-length values, as in arraysize (deprecated; NULL for variable length).",
            ),
            c("description", Text, "A description of the column."),
            c(
                "utype",
                Text,
                "The data model element this column implements, if any.",
            ),
            c("unit", Text, "The VOUnit of the values."),
            c("ucd", Text, "The UCD describing the meaning of the values."),
            c("indexed", Integer, "1 if the column is indexed, else 0."),
            c(
                "principal",
                Integer,
                "1 if the column is of primary interest, else 0.",
            ),
            c(
                "std",
                Integer,
                "1 if a standard defines the column, else 0.",
            ),
            c(
                "column_index",
                Integer,
                "A recommended order for listing the columns of a table.",
            ),
        ],
    },
    Table {
        name: "keys",
        description: "The foreign keys between the tables of this service.",
        primary_key: &["key_id"],
        columns: &[
            i("key_id", Text, "Identifier of the foreign key."),
            c(
                "from_table",
                Text,
                "The qualified name of the table holding the key.",
            ),
            c(
                "target_table",
                Text,
                "The qualified name of the table the key points to.",
            ),
            c("description", Text, "A description of the key."),
            c(
                "utype",
                Text,
                "The data model element this key implements, if any.",
            ),
        ],
    },
    Table {
        name: "key_columns",
        description: "The column pairs of the foreign keys.",
        primary_key: &[],
        columns: &[
            i("key_id", Text, "The foreign key the pair belongs to."),
            c("from_column", Text, "Column of the table holding the key."),
            c(
                "target_column",
                Text,
                "Column of the table the key points to.",
            ),
        ],
    },
];

/// The foreign keys TAP 1.1 (section 4.4) declares between the TAP_SCHEMA tables.
pub const KEYS: &[ForeignKey] = &[
    ForeignKey {
        from: "tables",
        target: "schemas",
        columns: &[("schema_name", "schema_name")],
        description: "The schema a table belongs to.",
    },
    ForeignKey {
        from: "columns",
        target: "tables",
        columns: &[("table_name", "table_name")],
        description: "The table a column belongs to.",
    },
    ForeignKey {
        from: "keys",
        target: "tables",
        columns: &[("from_table", "table_name")],
        description: "The table holding a key.",
    },
    ForeignKey {
        from: "keys",
        target: "tables",
        columns: &[("target_table", "table_name")],
        description: "The table a key points to.",
    },
    ForeignKey {
        from: "key_columns",
        target: "keys",
        columns: &[("key_id", "key_id")],
        description: "The key a column pair belongs to.",
    },
];

/// A schema of this service as TAP_SCHEMA and /tables describe it.
#[derive(Debug, Clone, Copy)]
pub struct Schema {
    pub name: &'static str,
    pub description: &'static str,
    pub utype: Option<&'static str>,
    pub tables: &'static [Table],
    pub keys: &'static [ForeignKey],
}

impl Schema {
    /// A table's name as users type it: qualified with the schema.
    pub fn qualified(&self, table: &str) -> String {
        format!("{}.{table}", self.name)
    }

    /// A foreign key's identifier, unique within the service.
    pub fn key_id(&self, k: &ForeignKey) -> String {
        let from: Vec<&str> = k.columns.iter().map(|(f, _)| *f).collect();
        format!("{}({})", self.qualified(k.from), from.join(","))
    }
}

/// The schemas this service holds: `rr` and `tap_schema`. RegTAP 1.2 has the `rr` schema carry
/// the data model's identifier as its utype in any case (sect. 5); only the `dataModel`
/// declaration of the TAP capability is left to a registry holding the whole VO.
pub fn schemas() -> [Schema; 2] {
    [
        Schema {
            name: "rr",
            description: "The relational registry (RegTAP 1.2): the resources this catalogue publishes, with their capabilities, interfaces, tables, relationships and coverage.",
            utype: Some(REGTAP_UTYPE),
            tables: schema::TABLES,
            keys: schema::FOREIGN_KEYS,
        },
        Schema {
            name: SCHEMA_NAME,
            description: "The self-description of this TAP service (TAP 1.1): its schemas, tables, columns and foreign keys.",
            utype: None,
            tables: TABLES,
            keys: KEYS,
        },
    ]
}

/// What TAP_SCHEMA.columns and a VODataService column say about one column.
#[derive(Debug, Clone, PartialEq)]
pub struct ColumnMeta {
    /// Name, VOTable type, unit, description: what a result FIELD of this column carries.
    pub field: Field,
    pub indexed: bool,
    /// Part of the table's primary key.
    pub primary: bool,
    /// Every column here is defined by RegTAP or TAP.
    pub std: bool,
    pub principal: bool,
}

impl ColumnMeta {
    /// TAP 1.1's `"size"`: the number of a fixed arraysize, NULL for `*` and scalars.
    pub fn size(&self) -> Option<i64> {
        let a = self.field.arraysize.as_deref()?;
        a.trim_end_matches('*').parse().ok()
    }
}

pub fn column_meta(t: &Table, col: &Column) -> ColumnMeta {
    let primary = t.primary_key.contains(&col.name);
    ColumnMeta {
        field: Field::of_column(col),
        // The primary key's index covers its columns.
        indexed: col.indexed || primary,
        primary,
        std: true,
        principal: true,
    }
}

/// An SQL literal.
enum Lit<'a> {
    Str(&'a str),
    Int(i64),
    Null,
}

fn opt(s: Option<&str>) -> Lit<'_> {
    s.map_or(Lit::Null, Lit::Str)
}

fn insert(table: &str, row: &[(&str, Lit)]) -> String {
    let names: Vec<&str> = row.iter().map(|(n, _)| *n).collect();
    let values: Vec<String> = row
        .iter()
        .map(|(_, v)| match v {
            Lit::Str(s) => format!("'{}'", s.replace('\'', "''")),
            Lit::Int(n) => n.to_string(),
            Lit::Null => "NULL".to_owned(),
        })
        .collect();
    format!(
        "INSERT INTO {SCHEMA_NAME}.{table} ({}) VALUES ({})",
        names.join(", "),
        values.join(", ")
    )
}

/// The statements that create TAP_SCHEMA and fill it with the description of `rr` and of
/// TAP_SCHEMA itself. They first empty the tables, so they
/// can run again on every start. SQLite: the tables live in a database attached as
/// `tap_schema`; Postgres: in the schema `tap_schema`.
pub fn statements(backend: Backend) -> Vec<String> {
    let mut out = schema::create_tables(SCHEMA_NAME, TABLES, backend);
    for t in TABLES.iter().rev() {
        out.push(format!("DELETE FROM {SCHEMA_NAME}.{}", t.name));
    }
    let mut table_index = 0;
    for (schema_index, s) in (1..).zip(schemas()) {
        out.push(insert(
            "schemas",
            &[
                ("schema_name", Lit::Str(s.name)),
                ("utype", opt(s.utype)),
                ("description", Lit::Str(s.description)),
                ("schema_index", Lit::Int(schema_index)),
            ],
        ));
        for t in s.tables {
            table_index += 1;
            let name = s.qualified(t.name);
            out.push(insert(
                "tables",
                &[
                    ("schema_name", Lit::Str(s.name)),
                    ("table_name", Lit::Str(&name)),
                    (
                        "table_type",
                        Lit::Str(if schema::is_view(t.name) {
                            "view"
                        } else {
                            "table"
                        }),
                    ),
                    ("utype", Lit::Null),
                    ("description", Lit::Str(t.description)),
                    ("table_index", Lit::Int(table_index)),
                ],
            ));
            for (column_index, col) in (1..).zip(t.columns) {
                let m = column_meta(t, col);
                let f = &m.field;
                out.push(insert(
                    "columns",
                    &[
                        ("table_name", Lit::Str(&name)),
                        ("column_name", Lit::Str(&f.name)),
                        ("datatype", Lit::Str(f.datatype.as_str())),
                        ("arraysize", opt(f.arraysize.as_deref())),
                        ("xtype", opt(f.xtype.as_deref())),
                        ("\"size\"", m.size().map_or(Lit::Null, Lit::Int)),
                        ("description", opt(f.description.as_deref())),
                        ("utype", opt(f.utype.as_deref())),
                        ("unit", opt(f.unit.as_deref())),
                        ("ucd", opt(f.ucd.as_deref())),
                        ("indexed", Lit::Int(m.indexed.into())),
                        ("principal", Lit::Int(m.principal.into())),
                        ("std", Lit::Int(m.std.into())),
                        ("column_index", Lit::Int(column_index)),
                    ],
                ));
            }
        }
        for k in s.keys {
            let key_id = s.key_id(k);
            out.push(insert(
                "keys",
                &[
                    ("key_id", Lit::Str(&key_id)),
                    ("from_table", Lit::Str(&s.qualified(k.from))),
                    ("target_table", Lit::Str(&s.qualified(k.target))),
                    ("description", Lit::Str(k.description)),
                    ("utype", Lit::Null),
                ],
            ));
            for (from, target) in k.columns {
                out.push(insert(
                    "key_columns",
                    &[
                        ("key_id", Lit::Str(&key_id)),
                        ("from_column", Lit::Str(from)),
                        ("target_column", Lit::Str(target)),
                    ],
                ));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use sqlx::{Connection, Row};

    /// SQLite with `rr` and a filled TAP_SCHEMA.
    async fn filled() -> sqlx::SqliteConnection {
        let mut db = schema::in_memory_sqlite().await;
        sqlx::query("ATTACH DATABASE ':memory:' AS tap_schema")
            .execute(&mut db)
            .await
            .unwrap();
        for stmt in statements(Backend::Sqlite) {
            sqlx::query(sqlx::AssertSqlSafe(stmt.clone()))
                .execute(&mut db)
                .await
                .unwrap_or_else(|e| panic!("{stmt}: {e}"));
        }
        db
    }

    async fn strings(db: &mut sqlx::SqliteConnection, q: &'static str) -> Vec<Vec<Option<String>>> {
        sqlx::query(q)
            .fetch_all(db)
            .await
            .unwrap()
            .iter()
            .map(|r| {
                (0..r.len())
                    .map(|i| r.try_get::<Option<String>, _>(i).unwrap())
                    .collect()
            })
            .collect()
    }

    #[tokio::test]
    async fn every_rr_and_tap_schema_column_is_described_once_with_its_votable_type() {
        let mut db = filled().await;
        let rows = strings(
            &mut db,
            "SELECT table_name, column_name, datatype, arraysize, xtype, unit, description, \
             CAST(std AS TEXT), CAST(\"size\" AS TEXT) FROM tap_schema.columns",
        )
        .await;
        let mut expected = 0;
        for s in schemas() {
            for t in s.tables {
                for col in t.columns {
                    expected += 1;
                    let name = format!("{}.{}", s.name, t.name);
                    let found: Vec<_> = rows
                        .iter()
                        .filter(|r| {
                            r[0].as_deref() == Some(&name) && r[1].as_deref() == Some(col.name)
                        })
                        .collect();
                    assert_eq!(found.len(), 1, "{name}.{}", col.name);
                    let r = found[0];
                    let (datatype, arraysize, xtype) = match col.ty {
                        Text if col.unicode => ("unicodeChar", Some("*"), None),
                        Text => ("char", Some("*"), None),
                        Timestamp => ("char", Some("*"), Some("timestamp")),
                        Moc => ("char", Some("*"), Some("moc")),
                        Integer => ("int", None, None),
                        Long => ("long", None, None),
                        Real => ("double", None, None),
                    };
                    assert_eq!(r[2].as_deref(), Some(datatype), "{name}.{}", col.name);
                    assert_eq!(r[3].as_deref(), arraysize, "{name}.{}", col.name);
                    assert_eq!(r[4].as_deref(), xtype, "{name}.{}", col.name);
                    // Descriptions survive the quoting (several hold an apostrophe).
                    assert_eq!(r[6].as_deref(), Some(col.description));
                    assert_eq!(r[7].as_deref(), Some("1"), "RegTAP and TAP columns are std");
                    assert_eq!(r[8], None, "no fixed-length columns");
                }
            }
        }
        assert_eq!(rows.len(), expected);
        let unit = |t: &str, c: &str| {
            rows.iter()
                .find(|r| r[0].as_deref() == Some(t) && r[1].as_deref() == Some(c))
                .unwrap()[5]
                .clone()
        };
        assert_eq!(
            unit("rr.resource", "region_of_regard").as_deref(),
            Some("deg")
        );
        assert_eq!(unit("rr.resource", "ivoid"), None);
        assert_eq!(unit("rr.stc_temporal", "time_start").as_deref(), Some("d"));
        assert_eq!(
            unit("rr.stc_spectral", "spectral_end").as_deref(),
            Some("J")
        );
        // The reserved word is written delimited, as TAP 1.1 and taplint want it.
        assert!(
            rows.iter()
                .any(|r| r[0].as_deref() == Some("tap_schema.columns")
                    && r[1].as_deref() == Some("\"size\""))
        );
    }

    #[tokio::test]
    async fn tables_and_schemas_are_listed_with_indexes() {
        let mut db = filled().await;
        let schemas_rows = strings(
            &mut db,
            "SELECT schema_name, utype, CAST(schema_index AS TEXT) FROM tap_schema.schemas \
             ORDER BY schema_index",
        )
        .await;
        assert_eq!(
            schemas_rows,
            [
                vec![
                    Some("rr".to_owned()),
                    Some(REGTAP_UTYPE.to_owned()),
                    Some("1".to_owned())
                ],
                vec![Some("tap_schema".to_owned()), None, Some("2".to_owned())],
            ]
        );
        let tables = strings(
            &mut db,
            "SELECT schema_name, table_name, table_type FROM tap_schema.tables",
        )
        .await;
        let views: Vec<&str> = tables
            .iter()
            .filter(|r| r[2].as_deref() == Some("view"))
            .filter_map(|r| r[1].as_deref())
            .collect();
        assert_eq!(views, ["rr.tap_table"]);
        assert_eq!(tables.len(), schema::TABLES.len() + TABLES.len());
        for t in schema::TABLES {
            let name = format!("rr.{}", t.name);
            assert_eq!(
                tables
                    .iter()
                    .filter(|r| r[1].as_deref() == Some(&name))
                    .count(),
                1
            );
        }
        for t in ["schemas", "tables", "columns", "keys", "key_columns"] {
            let name = format!("tap_schema.{t}");
            assert!(
                tables.iter().any(
                    |r| r[0].as_deref() == Some("tap_schema") && r[1].as_deref() == Some(&name)
                )
            );
        }
        // Each table's columns are numbered 1..n.
        let bad = strings(
            &mut db,
            "SELECT table_name FROM tap_schema.columns GROUP BY table_name \
             HAVING MIN(column_index) <> 1 OR MAX(column_index) <> COUNT(*)",
        )
        .await;
        assert!(bad.is_empty(), "{bad:?}");
    }

    #[tokio::test]
    async fn the_rr_schema_carries_the_regtap_1_2_utype() {
        let mut db = filled().await;
        let rr = strings(
            &mut db,
            "SELECT utype FROM tap_schema.schemas WHERE schema_name = 'rr'",
        )
        .await;
        assert_eq!(rr, [vec![Some(REGTAP_UTYPE.to_owned())]]);
    }

    #[tokio::test]
    async fn keys_join_existing_tables_and_columns() {
        let mut db = filled().await;
        let keys = strings(&mut db, "SELECT key_id FROM tap_schema.keys").await;
        assert_eq!(keys.len(), schema::FOREIGN_KEYS.len() + KEYS.len());
        let dangling = strings(
            &mut db,
            "SELECT k.key_id FROM tap_schema.keys AS k \
             LEFT JOIN tap_schema.tables AS f ON f.table_name = k.from_table \
             LEFT JOIN tap_schema.tables AS t ON t.table_name = k.target_table \
             WHERE f.table_name IS NULL OR t.table_name IS NULL",
        )
        .await;
        assert!(dangling.is_empty(), "{dangling:?}");
        let dangling = strings(
            &mut db,
            "SELECT kc.key_id, kc.from_column, kc.target_column FROM tap_schema.key_columns AS kc \
             JOIN tap_schema.keys AS k ON k.key_id = kc.key_id \
             LEFT JOIN tap_schema.columns AS f \
               ON f.table_name = k.from_table AND f.column_name = kc.from_column \
             LEFT JOIN tap_schema.columns AS t \
               ON t.table_name = k.target_table AND t.column_name = kc.target_column \
             WHERE f.column_name IS NULL OR t.column_name IS NULL OR f.datatype <> t.datatype",
        )
        .await;
        assert!(dangling.is_empty(), "{dangling:?}");
        let orphans = strings(
            &mut db,
            "SELECT key_id FROM tap_schema.key_columns \
             WHERE key_id NOT IN (SELECT key_id FROM tap_schema.keys)",
        )
        .await;
        assert!(orphans.is_empty());
        let pairs = strings(
            &mut db,
            "SELECT from_column, target_column FROM tap_schema.key_columns \
             WHERE key_id = 'rr.interface(ivoid,cap_index)' ORDER BY from_column",
        )
        .await;
        assert_eq!(pairs.len(), 2);
    }

    #[tokio::test]
    async fn running_the_statements_again_leaves_one_description() {
        let mut db = filled().await;
        for stmt in statements(Backend::Sqlite) {
            sqlx::query(sqlx::AssertSqlSafe(stmt))
                .execute(&mut db)
                .await
                .unwrap();
        }
        let n = strings(
            &mut db,
            "SELECT CAST(COUNT(*) AS TEXT) FROM tap_schema.schemas",
        )
        .await;
        assert_eq!(n, [vec![Some("2".to_owned())]]);
        db.close().await.unwrap();
    }

    #[test]
    fn postgres_gets_a_schema_and_schema_qualified_indexes() {
        let s = statements(Backend::Postgres);
        assert_eq!(s[0], "CREATE SCHEMA IF NOT EXISTS tap_schema");
        assert!(s.iter().any(|x| {
            x.starts_with("CREATE INDEX IF NOT EXISTS columns_column_name ON tap_schema.columns")
        }));
        assert!(s.iter().any(|x| {
            x.contains("(table_name, column_name, datatype, arraysize, xtype, \"size\",")
        }));
    }
}
