//! The tables a query reads: every table reference in it, at any depth (joins, derived tables,
//! subqueries in any clause, common table expressions), so that a service can refuse names it
//! does not publish before any SQL is written.

use super::ast::*;

/// The tables of `q`: the names of common table expressions it defines (which may then be
/// referenced by one-part names) and every table reference, as written.
#[derive(Debug, Default)]
pub struct Tables {
    pub defined: Vec<Ident>,
    pub referenced: Vec<Vec<Ident>>,
}

/// Collects the tables of a query.
pub fn tables(q: &Query) -> Tables {
    let mut t = Tables::default();
    query(q, &mut t);
    t
}

fn query(q: &Query, t: &mut Tables) {
    for (name, sub) in &q.with {
        t.defined.push(name.clone());
        query(sub, t);
    }
    set_expr(&q.body, t);
    for o in &q.order_by {
        expr(&o.expr, t);
    }
}

fn set_expr(e: &SetExpr, t: &mut Tables) {
    match e {
        SetExpr::Select(s) => select(s, t),
        SetExpr::Op { left, right, .. } => {
            set_expr(left, t);
            set_expr(right, t);
        }
    }
}

fn select(s: &Select, t: &mut Tables) {
    for item in &s.items {
        if let SelectItem::Expr { expr: e, .. } = item {
            expr(e, t);
        }
    }
    for r in &s.from {
        table(r, t);
    }
    for e in s.filter.iter().chain(&s.group_by).chain(&s.having) {
        expr(e, t);
    }
}

fn table(r: &TableRef, t: &mut Tables) {
    match r {
        TableRef::Table { name, .. } => t.referenced.push(name.clone()),
        TableRef::Derived { query: q, .. } => query(q, t),
        TableRef::Join {
            left,
            right,
            constraint,
            ..
        } => {
            table(left, t);
            table(right, t);
            if let JoinConstraint::On(e) = constraint {
                expr(e, t);
            }
        }
    }
}

fn expr(e: &Expr, t: &mut Tables) {
    match e {
        Expr::Column(_) | Expr::Str(_) | Expr::Number(_) | Expr::Null => {}
        Expr::Not(x) | Expr::Negate(x) | Expr::Cast { expr: x, .. } => expr(x, t),
        Expr::IsNull { expr: x, .. } => expr(x, t),
        Expr::Binary { left, right, .. } => {
            expr(left, t);
            expr(right, t);
        }
        Expr::Function { args, .. } => args.iter().for_each(|a| expr(a, t)),
        Expr::Case {
            operand,
            whens,
            otherwise,
        } => {
            for x in operand.iter().chain(otherwise) {
                expr(x, t);
            }
            for (w, th) in whens {
                expr(w, t);
                expr(th, t);
            }
        }
        Expr::Between {
            expr: x, low, high, ..
        } => {
            expr(x, t);
            expr(low, t);
            expr(high, t);
        }
        Expr::Like {
            expr: x, pattern, ..
        } => {
            expr(x, t);
            expr(pattern, t);
        }
        Expr::InList { expr: x, list, .. } => {
            expr(x, t);
            list.iter().for_each(|a| expr(a, t));
        }
        Expr::InQuery {
            expr: x, query: q, ..
        } => {
            expr(x, t);
            query(q, t);
        }
        Expr::Exists { query: q, .. } | Expr::Subquery(q) => query(q, t),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ivoa::adql::parse;

    fn names(q: &str) -> Vec<String> {
        let mut v: Vec<String> = tables(&parse(q).unwrap())
            .referenced
            .iter()
            .map(|n| n.iter().map(Ident::canonical).collect::<Vec<_>>().join("."))
            .collect();
        v.sort();
        v
    }

    #[test]
    fn every_reference_is_found() {
        assert_eq!(
            names(
                "WITH w AS (SELECT * FROM rr.res_date) \
                 SELECT (SELECT MAX(x) FROM s.scalar), a FROM rr.Resource AS r \
                 NATURAL JOIN (SELECT * FROM rr.capability) AS c JOIN \"Q\".t ON 1 IN (SELECT y FROM s.inon) \
                 WHERE EXISTS (SELECT 1 FROM s.ex) AND b IN (SELECT z FROM s.i1 UNION SELECT z FROM s.i2) \
                 GROUP BY a HAVING COUNT(*) > (SELECT 1 FROM s.hav) ORDER BY (SELECT 1 FROM s.ord)"
            ),
            [
                "Q.t",
                "rr.capability",
                "rr.res_date",
                "rr.resource",
                "s.ex",
                "s.hav",
                "s.i1",
                "s.i2",
                "s.inon",
                "s.ord",
                "s.scalar"
            ]
        );
        let t = tables(&parse("WITH w AS (SELECT 1 FROM rr.resource) SELECT * FROM w").unwrap());
        assert_eq!(t.defined, [Ident::regular("w")]);
    }
}
