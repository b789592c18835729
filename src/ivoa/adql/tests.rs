use super::ast::*;
use super::parse;

/// The query pyvo's `registry.search(keywords=…, servicetype=…)` sends (spec/ivoa.md 6.2), as
/// the ADQL fuzzer's seed keeps it.
const PYVO: &str = include_str!("../../../fuzz/seeds/adql/pyvo.adql");

fn select(q: &Query) -> &Select {
    match &q.body {
        SetExpr::Select(s) => s,
        other => panic!("not a plain select: {other:?}"),
    }
}

#[test]
fn parses_what_pyvo_sends() {
    let q = parse(PYVO).unwrap();
    let s = select(&q);
    assert_eq!(s.items.len(), 21);
    assert_eq!(s.group_by.len(), 16);
    match &s.from[0] {
        TableRef::Join {
            kind: JoinKind::Left,
            constraint: JoinConstraint::Natural,
            left,
            ..
        } => assert!(matches!(
            left.as_ref(),
            TableRef::Join {
                kind: JoinKind::Left,
                constraint: JoinConstraint::Natural,
                ..
            }
        )),
        other => panic!("{other:?}"),
    }
    let Some(Expr::Binary {
        op: BinOp::And,
        left,
        ..
    }) = &s.filter
    else {
        panic!("{:?}", s.filter)
    };
    let Expr::InQuery { query, .. } = left.as_ref() else {
        panic!("{left:?}")
    };
    assert!(matches!(
        query.body,
        SetExpr::Op {
            op: SetOp::Union,
            all: true,
            ..
        }
    ));
}

#[test]
fn identifiers_fold_unless_delimited() {
    let q = parse("select \"Size\", Size from RR.Resource").unwrap();
    let s = select(&q);
    let SelectItem::Expr {
        expr: Expr::Column(a),
        ..
    } = &s.items[0]
    else {
        panic!()
    };
    let SelectItem::Expr {
        expr: Expr::Column(b),
        ..
    } = &s.items[1]
    else {
        panic!()
    };
    assert_ne!(a[0], b[0]);
    assert_eq!(b[0], Ident::regular("size"));
    assert_eq!(a[0].canonical(), "Size");
}

#[test]
fn clauses_and_expressions() {
    let q = parse(
        "WITH t AS (SELECT ivoid FROM rr.resource) \
         SELECT DISTINCT TOP 10 r.*, COUNT(*) AS n, CAST(x AS DOUBLE PRECISION), \
         CASE WHEN a > 1 THEN 'big' ELSE 'small' END label, -a + b * c || 'x' \
         FROM rr.resource AS r JOIN t USING (ivoid) LEFT JOIN rr.capability c ON c.ivoid = r.ivoid \
         , (SELECT 1 AS one FROM rr.interface) AS d CROSS JOIN rr.res_role \
         WHERE a NOT BETWEEN 1 AND 2 AND b NOT LIKE 'x%' AND c IS NOT NULL \
         AND NOT EXISTS (SELECT 1 FROM rr.res_detail WHERE rr.res_detail.ivoid = r.ivoid) \
         AND d IN (1, 2.5, -3E2) AND e NOT IN (SELECT ivoid FROM t) AND f = (SELECT MAX(g) FROM h) \
         GROUP BY a HAVING COUNT(DISTINCT b) >= 2 \
         ORDER BY 1 DESC, a ASC OFFSET 5;",
    )
    .unwrap();
    assert_eq!(q.with.len(), 1);
    assert_eq!(q.offset, Some(5));
    assert_eq!(q.order_by.len(), 2);
    assert!(q.order_by[0].descending);
    let s = select(&q);
    assert!(s.distinct);
    assert_eq!(s.top, Some(10));
    assert_eq!(s.items.len(), 5);
    assert!(matches!(&s.items[0], SelectItem::AllOf(n) if n.len() == 1));
    assert_eq!(s.from.len(), 2);
    assert!(s.having.is_some());
}

#[test]
fn set_operations_bind_as_sql_does() {
    let q = parse("SELECT a FROM t UNION SELECT a FROM u INTERSECT SELECT a FROM v EXCEPT ALL SELECT a FROM w").unwrap();
    let SetExpr::Op {
        op: SetOp::Except,
        all: true,
        left,
        ..
    } = &q.body
    else {
        panic!("{:?}", q.body)
    };
    let SetExpr::Op {
        op: SetOp::Union,
        right,
        ..
    } = left.as_ref()
    else {
        panic!()
    };
    assert!(matches!(
        right.as_ref(),
        SetExpr::Op {
            op: SetOp::Intersect,
            ..
        }
    ));
}

#[test]
fn errors_say_where() {
    let cases = [
        ("SELECT a FROM", (1, 14)),
        ("SELECT a\nFROM t WHERE", (2, 13)),
        ("SELECT a FROM t WHERE x = = 1", (1, 27)),
        ("SELECT FROM t", (1, 8)),
        ("SELECT a FROM t WHERE a NOT 1", (1, 29)),
        ("SELECT TOP x a FROM t", (1, 12)),
        ("SELECT a FROM t t2 t3", (1, 20)),
        ("SELECT CAST(a AS text) FROM t", (1, 18)),
        ("SELECT a FROM t NATURAL t2", (1, 25)),
        ("SELECT a FROM t JOIN u", (1, 23)),
        ("SELECT (a FROM t", (1, 11)),
        ("INSERT INTO t VALUES (1)", (1, 1)),
        ("SELECT a FROM t; DROP TABLE t", (1, 18)),
    ];
    for (text, (line, column)) in cases {
        let e = parse(text).unwrap_err();
        assert_eq!((e.line, e.column), (line, column), "{text}: {e}");
    }
}

#[test]
fn deep_nesting_and_huge_queries_are_refused() {
    let deep = format!("SELECT {}1{} FROM t", "(".repeat(1000), ")".repeat(1000));
    assert!(parse(&deep).unwrap_err().message.contains("nests deeper"));
    let negations = format!("SELECT a FROM t WHERE {}a = 1", "NOT ".repeat(1000));
    assert!(parse(&negations).is_err());
    let huge = format!("SELECT a FROM t WHERE a IN ({}1)", "1, ".repeat(40_000));
    assert!(parse(&huge).unwrap_err().message.contains("longer than"));
}
