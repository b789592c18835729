use super::*;
use crate::ivoa::adql::parse;

fn sql(q: &str, d: Dialect) -> String {
    to_sql(&parse(q).unwrap(), d, None).unwrap()
}

#[test]
fn names_are_quoted_and_folded_literals_escaped() {
    assert_eq!(
        sql(
            "SELECT TOP 5 Res_Title, \"Size\" FROM rr.Resource WHERE x = 'it''s' ORDER BY 1",
            Dialect::Sqlite
        ),
        "SELECT `res_title`, `Size` FROM `rr`.`resource` WHERE (`x` = 'it''s') ORDER BY 1 ASC LIMIT 5"
    );
}

#[test]
fn top_and_the_cap_take_the_smaller() {
    let q = parse("SELECT TOP 50 a FROM t OFFSET 10").unwrap();
    assert!(
        to_sql(&q, Dialect::Sqlite, Some(20))
            .unwrap()
            .ends_with("LIMIT 20 OFFSET 10")
    );
    let q = parse("SELECT a FROM t OFFSET 10").unwrap();
    assert!(
        to_sql(&q, Dialect::Sqlite, None)
            .unwrap()
            .ends_with("LIMIT -1 OFFSET 10")
    );
    assert!(
        to_sql(&q, Dialect::Postgres, None)
            .unwrap()
            .ends_with(" OFFSET 10")
    );
}

#[test]
fn set_operations_keep_their_grouping() {
    let s = sql(
        "SELECT a FROM t UNION SELECT a FROM u INTERSECT SELECT a FROM v",
        Dialect::Sqlite,
    );
    assert_eq!(
        s,
        "SELECT `a` FROM `t` UNION SELECT * FROM (SELECT `a` FROM `u` INTERSECT SELECT `a` FROM `v`) AS \"_s1\""
    );
    let e = to_sql(
        &parse("SELECT a FROM t INTERSECT ALL SELECT a FROM u").unwrap(),
        Dialect::Sqlite,
        None,
    )
    .unwrap_err();
    assert!(matches!(e, TranslateError::Unsupported(_)));
}

#[test]
fn regtap_functions() {
    let s = sql(
        "SELECT ivo_string_agg(COALESCE(access_url, ''), ':') FROM rr.interface WHERE 1 = ivo_hashlist_has(waveband, 'Optical') AND 1=ivo_nocasematch(detail_value, 'ivo://ivoa.net/std/obscore%')",
        Dialect::Sqlite,
    );
    assert!(
        s.contains("COALESCE(group_concat(COALESCE(`access_url`, ''), ':'), '')"),
        "{s}"
    );
    assert!(
        s.contains("instr('#' || `waveband` || '#', '#' || lower('Optical') || '#') > 0"),
        "{s}"
    );
    assert!(
        s.contains("lower(`detail_value`) LIKE lower('ivo://ivoa.net/std/obscore%')"),
        "{s}"
    );
    let p = sql(
        "SELECT a FROM t WHERE 1=ivo_hasword(res_description, 'gaia') AND b ILIKE '%x%'",
        Dialect::Postgres,
    );
    assert!(p.contains("plainto_tsquery('english', 'gaia')"), "{p}");
    assert!(p.contains("ILIKE '%x%'"), "{p}");
    let l = sql("SELECT a FROM t WHERE b ILIKE '%X%'", Dialect::Sqlite);
    assert!(l.contains("lower(`b`) LIKE lower('%X%')"), "{l}");
}

#[test]
fn predicates_in_conditions_are_bare_so_indexes_apply() {
    let p = sql(
        "SELECT 1 = ivo_hasword(res_title, 'x') AS h FROM rr.resource \
         WHERE 1 = ivo_hasword(res_title, 'gaia') OR (ivo_nocasematch(res_description, 'a%') = 1 AND x = 1)",
        Dialect::Postgres,
    );
    assert!(
        p.contains(
            "WHERE ((to_tsvector('english', COALESCE(\"res_title\", '')) @@ plainto_tsquery('english', 'gaia')) \
             OR ((lower(\"res_description\") LIKE lower('a%')) AND (\"x\" = 1)))"
        ),
        "{p}"
    );
    // Elsewhere the predicate stays 1 or 0 (NULL is not false there).
    assert!(p.starts_with("SELECT (1 = (CASE WHEN to_tsvector"), "{p}");
    let n = sql(
        "SELECT a FROM t WHERE NOT 1 = ivo_nocasematch(b, 'x')",
        Dialect::Postgres,
    );
    assert!(n.contains("(NOT (1 = (CASE WHEN"), "{n}");
}

#[test]
fn text_searches_on_sqlite_use_the_text_indexes_when_the_table_is_certain() {
    let pyvo = include_str!("../../../../fuzz/seeds/adql/pyvo.adql");
    let s = sql(pyvo, Dialect::Sqlite);
    assert!(s.contains("`rr`.`resource`.`rowid` IN (SELECT `rowid` FROM `rr`.`resource_words` WHERE `resource_words` MATCH 'res_description : \"gaia\"')"), "{s}");
    assert!(s.contains("`res_subject_words` MATCH '\"gaia\"'"), "{s}");
    // An alias, two words.
    let s = sql(
        "SELECT r.ivoid FROM rr.resource AS r WHERE 1=ivo_hasword(r.res_title, 'x-ray sky')",
        Dialect::Sqlite,
    );
    assert!(
        s.contains("`r`.`rowid` IN")
            && s.contains("'res_title : \"x\" AND res_title : \"ray\" AND res_title : \"sky\"'"),
        "{s}"
    );
    // Not certain (a derived table, two resource tables, a short or wild pattern): a scan.
    for q in [
        "SELECT ivoid FROM (SELECT ivoid, res_title FROM rr.resource) AS x WHERE 1=ivo_hasword(res_title, 'a')",
        "SELECT a.ivoid FROM rr.resource AS a, rr.resource AS b WHERE 1=ivo_hasword(res_title, 'a')",
        "SELECT ivoid FROM rr.res_subject WHERE res_subject ILIKE '%ab%'",
        "SELECT ivoid FROM rr.res_subject WHERE res_subject ILIKE '%a_c%'",
        "SELECT ivoid FROM rr.res_subject WHERE res_subject ILIKE 'abc%'",
        "SELECT ivoid FROM rr.res_subject WHERE res_subject NOT ILIKE '%abc%'",
    ] {
        let s = sql(q, Dialect::Sqlite);
        assert!(!s.contains("_words"), "{q} -> {s}");
    }
}

#[test]
fn unknown_functions_and_wrong_arities_are_errors() {
    let q = parse("SELECT pg_sleep(10) FROM t").unwrap();
    assert_eq!(
        to_sql(&q, Dialect::Postgres, None),
        Err(TranslateError::UnknownFunction("pg_sleep".into()))
    );
    let q = parse("SELECT ivo_hasword(a) FROM t").unwrap();
    assert!(matches!(
        to_sql(&q, Dialect::Sqlite, None),
        Err(TranslateError::Arity { .. })
    ));
    let q = parse("SELECT SUM(*) FROM t").unwrap();
    assert!(to_sql(&q, Dialect::Sqlite, None).is_err());
}

#[test]
fn joins_keep_their_kind_and_grouping() {
    let s = sql(
        "SELECT * FROM rr.resource NATURAL LEFT OUTER JOIN rr.capability NATURAL LEFT OUTER JOIN rr.interface",
        Dialect::Sqlite,
    );
    assert_eq!(
        s,
        "SELECT * FROM `rr`.`resource` NATURAL LEFT OUTER JOIN `rr`.`capability` NATURAL LEFT OUTER JOIN `rr`.`interface`"
    );
    let s = sql(
        "SELECT * FROM a JOIN (b JOIN c USING (x)) ON a.x = b.x",
        Dialect::Postgres,
    );
    assert!(
        s.contains("JOIN (\"b\" JOIN \"c\" USING (\"x\")) ON"),
        "{s}"
    );
}

/// The SQL runs on a real SQLite, with the RegTAP shapes pyvo relies on.
#[tokio::test]
async fn runs_on_sqlite() {
    use sqlx::{ConnectOptions, Row};
    let mut c = "sqlite::memory:"
        .parse::<sqlx::sqlite::SqliteConnectOptions>()
        .unwrap()
        .with_regexp()
        .connect()
        .await
        .unwrap();
    for stmt in [
        "PRAGMA case_sensitive_like = ON",
        "ATTACH DATABASE ':memory:' AS rr",
        "CREATE TABLE rr.resource (ivoid TEXT, res_title TEXT, waveband TEXT)",
        "CREATE TABLE rr.capability (ivoid TEXT, cap_index INTEGER, standard_id TEXT)",
        "CREATE TABLE rr.interface (ivoid TEXT, cap_index INTEGER, intf_index INTEGER, access_url TEXT)",
        "INSERT INTO rr.resource VALUES ('ivo://a/tap', 'A TAP', 'optical#radio'), ('ivo://b/x', 'B', 'x-ray')",
        "INSERT INTO rr.capability VALUES ('ivo://a/tap', 1, 'ivo://ivoa.net/std/tap'), ('ivo://a/tap', 2, 'ivo://ivoa.net/std/vosi#capabilities')",
        "INSERT INTO rr.interface VALUES ('ivo://a/tap', 1, 1, 'http://a/tap'), ('ivo://a/tap', 2, 1, 'http://a/tap/capabilities')",
        "CREATE VIRTUAL TABLE rr.resource_words USING fts5(res_title, res_description, tokenize = 'unicode61 remove_diacritics 0')",
        "INSERT INTO rr.resource_words (rowid, res_title, res_description) SELECT rowid, res_title, '' FROM rr.resource",
    ] {
        sqlx::query(stmt).execute(&mut c).await.unwrap();
    }
    let adql = "SELECT ivoid, res_title, ivo_string_agg(COALESCE(access_url, ''), ':::py VO sep:::') AS access_urls \
        FROM rr.resource NATURAL LEFT OUTER JOIN rr.capability NATURAL LEFT OUTER JOIN rr.interface \
        WHERE (1 = ivo_hashlist_has(rr.resource.waveband, 'Optical')) \
        AND (ivoid IN (SELECT ivoid FROM rr.capability WHERE standard_id IN ('ivo://ivoa.net/std/tap') \
             UNION SELECT ivoid FROM rr.resource WHERE res_title LIKE 'B%')) \
        GROUP BY ivoid, res_title ORDER BY ivoid";
    let sql = to_sql(&parse(adql).unwrap(), Dialect::Sqlite, Some(100)).unwrap();
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
        .fetch_all(&mut c)
        .await
        .unwrap();
    assert_eq!(rows.len(), 1, "{sql}");
    let urls: String = rows[0].get("access_urls");
    let mut urls: Vec<&str> = urls.split(":::py VO sep:::").collect();
    urls.sort();
    assert_eq!(urls, ["http://a/tap", "http://a/tap/capabilities"]);
    // Case-sensitive LIKE, case-insensitive ILIKE, an empty aggregate is ''.
    for (adql, n) in [
        ("SELECT ivoid FROM rr.resource WHERE res_title LIKE 'a%'", 0),
        (
            "SELECT ivoid FROM rr.resource WHERE res_title ILIKE 'a%'",
            1,
        ),
        ("SELECT TOP 1 ivoid FROM rr.resource", 1),
        ("SELECT ivoid FROM rr.resource OFFSET 1", 1),
        (
            "SELECT ivoid FROM rr.resource EXCEPT SELECT ivoid FROM rr.capability",
            1,
        ),
        (
            "SELECT ivoid FROM rr.resource WHERE 1 = ivo_interval_overlaps(1, 2, 2, 3)",
            2,
        ),
        (
            "SELECT ivoid FROM rr.resource WHERE 1 = ivo_interval_overlaps(1, 2, 3, 2.5)",
            0,
        ),
        (
            "SELECT ivoid FROM rr.resource WHERE 1 = ivo_interval_overlaps(1, 2, 1.5, 0)",
            2,
        ),
        // Whole words, any case, every word of the needle; NULL never matches.
        (
            "SELECT ivoid FROM rr.resource WHERE 1 = ivo_hasword(res_title, 'tap')",
            1,
        ),
        (
            "SELECT ivoid FROM rr.resource WHERE 1 = ivo_hasword(res_title, 'TA')",
            0,
        ),
        (
            "SELECT ivoid FROM rr.resource WHERE 1 = ivo_hasword(res_title, 'a tap')",
            1,
        ),
        (
            "SELECT ivoid FROM rr.resource WHERE 1 = ivo_hasword(res_title, 'b tap')",
            0,
        ),
        (
            "SELECT ivoid FROM rr.resource WHERE 1 = ivo_hasword(waveband, 'radio')",
            1,
        ),
        (
            "SELECT ivoid FROM rr.resource WHERE 0 = ivo_hasword(res_title, '(.*)')",
            2,
        ),
        (
            "SELECT ivoid FROM rr.resource WHERE 1 = ivo_hasword(NULL, 'a')",
            0,
        ),
    ] {
        let sql = to_sql(&parse(adql).unwrap(), Dialect::Sqlite, None).unwrap();
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
            .fetch_all(&mut c)
            .await
            .unwrap();
        assert_eq!(rows.len(), n, "{adql} -> {sql}");
    }
    let sql = to_sql(
        &parse("SELECT ivo_string_agg(access_url, ',') AS u FROM rr.interface WHERE 1 = 0")
            .unwrap(),
        Dialect::Sqlite,
        None,
    )
    .unwrap();
    let row = sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
        .fetch_one(&mut c)
        .await
        .unwrap();
    assert_eq!(row.get::<String, _>("u"), "");
}
