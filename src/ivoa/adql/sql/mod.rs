//! SQL from an ADQL tree, for one backend (SQLite or PostgreSQL).
//!
//! Every name is written quoted (regular ADQL identifiers folded to lower case, as they are
//! created), every literal re-escaped, every function mapped from a fixed table — nothing of
//! the query text reaches the SQL but through the tree. `TOP` and the caller's row cap become
//! `LIMIT`; set operations nest as subqueries where the backend would otherwise read them
//! left to right. Assumptions about the connection: on SQLite, `PRAGMA case_sensitive_like =
//! ON` (ADQL's `LIKE` is case-sensitive) and the math functions; the RegTAP function
//! `ivo_hasword` is a word match (SQLite: `REGEXP`, which the connection must provide, one
//! expression per word of the needle; PostgreSQL: English text search, so stemmed).

use std::fmt::Write;

use super::ast::*;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Sqlite,
    Postgres,
}

/// Why a valid ADQL tree has no SQL here.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TranslateError {
    #[error("unknown function {0}")]
    UnknownFunction(String),
    #[error("{name} takes {expected} arguments, not {given}")]
    Arity {
        name: String,
        expected: &'static str,
        given: usize,
    },
    #[error("{0} is not supported by this service")]
    Unsupported(String),
    /// A geometry that is no region: a MOC that does not parse, a radius out of range…
    #[error("{0}")]
    Geometry(String),
}

type R = Result<(), TranslateError>;

/// Translates a query; `cap` limits the rows (the smaller of it and `TOP` wins).
pub fn to_sql(q: &Query, dialect: Dialect, cap: Option<u64>) -> Result<String, TranslateError> {
    let mut t = Translator {
        dialect,
        out: String::with_capacity(256),
        derived: 0,
        bare: false,
        scopes: Vec::new(),
    };
    t.query(q, cap)?;
    Ok(t.out)
}

struct Translator {
    dialect: Dialect,
    out: String,
    /// Counter for the names of generated subqueries.
    derived: usize,
    /// The next RegTAP predicate function is written as a bare condition (see `condition`).
    bare: bool,
    /// For each SELECT being written (innermost last), its named tables: the name a column
    /// qualifies them by, and the table's own name (`schema.table`).
    scopes: Vec<Vec<(Vec<Ident>, String)>>,
}

/// The named tables of a FROM clause (through joins, not into derived tables).
fn named_tables(from: &[TableRef], out: &mut Vec<(Vec<Ident>, String)>) {
    for t in from {
        match t {
            TableRef::Table { name, alias } => {
                let own: Vec<String> = name.iter().map(Ident::canonical).collect();
                let by = alias.clone().map_or_else(|| name.clone(), |a| vec![a]);
                out.push((by, own.join(".")));
            }
            TableRef::Derived { .. } => {}
            TableRef::Join { left, right, .. } => {
                named_tables(std::slice::from_ref(left), out);
                named_tables(std::slice::from_ref(right), out);
            }
        }
    }
}

/// The RegTAP functions that are conditions returning 1 or 0.
fn is_predicate(name: &Ident) -> bool {
    let name = name.canonical().to_ascii_lowercase();
    [
        "ivo_hasword",
        "ivo_nocasematch",
        "ivo_hashlist_has",
        "ivo_interval_overlaps",
        "contains",
        "intersects",
    ]
    .contains(&name.as_str())
}

/// A quoted identifier. SQLite reads an unknown double-quoted name as a string literal, so
/// names go in backticks there (which it never reads as a string).
fn quote(name: &str, dialect: Dialect) -> String {
    match dialect {
        Dialect::Postgres => format!("\"{}\"", name.replace('"', "\"\"")),
        Dialect::Sqlite => format!("`{}`", name.replace('`', "``")),
    }
}

fn literal(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

impl Translator {
    fn push(&mut self, s: &str) {
        self.out.push_str(s);
    }

    fn name(&mut self, parts: &[Ident]) {
        let quoted: Vec<String> = parts
            .iter()
            .map(|p| quote(&p.canonical(), self.dialect))
            .collect();
        self.push(&quoted.join("."));
    }

    fn query(&mut self, q: &Query, cap: Option<u64>) -> R {
        if !q.with.is_empty() {
            self.push("WITH ");
            for (i, (name, sub)) in q.with.iter().enumerate() {
                if i > 0 {
                    self.push(", ");
                }
                self.name(std::slice::from_ref(name));
                self.push(" AS (");
                self.query(sub, None)?;
                self.push(")");
            }
            self.push(" ");
        }
        // A lone SELECT's TOP joins the query's LIMIT; inside set operations each member
        // keeps its own.
        let top = match &q.body {
            SetExpr::Select(s) => s.top,
            SetExpr::Op { .. } => None,
        };
        self.set_expr(&q.body, false)?;
        if !q.order_by.is_empty() {
            self.push(" ORDER BY ");
            for (i, o) in q.order_by.iter().enumerate() {
                if i > 0 {
                    self.push(", ");
                }
                self.expr(&o.expr)?;
                self.push(if o.descending { " DESC" } else { " ASC" });
            }
        }
        let limit = match (top, cap) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        match (limit, q.offset) {
            (Some(n), off) => {
                let _ = write!(self.out, " LIMIT {n}");
                if let Some(o) = off {
                    let _ = write!(self.out, " OFFSET {o}");
                }
            }
            (None, Some(o)) => {
                // SQLite needs a LIMIT before OFFSET; -1 is "no limit" there.
                match self.dialect {
                    Dialect::Sqlite => {
                        let _ = write!(self.out, " LIMIT -1 OFFSET {o}");
                    }
                    Dialect::Postgres => {
                        let _ = write!(self.out, " OFFSET {o}");
                    }
                }
            }
            (None, None) => {}
        }
        Ok(())
    }

    /// `nested`: this set expression is an operand of a set operation.
    fn set_expr(&mut self, e: &SetExpr, nested: bool) -> R {
        match e {
            SetExpr::Select(s) => {
                if nested && s.top.is_some() {
                    // A member with its own TOP: a subquery, so its LIMIT stays its own.
                    self.wrapped(|t| t.select(s, true))
                } else {
                    self.select(s, false)
                }
            }
            SetExpr::Op {
                op,
                all,
                left,
                right,
            } => {
                if *all && *op != SetOp::Union && self.dialect == Dialect::Sqlite {
                    return Err(TranslateError::Unsupported(format!(
                        "{} ALL",
                        if *op == SetOp::Intersect {
                            "INTERSECT"
                        } else {
                            "EXCEPT"
                        }
                    )));
                }
                // The left operand may be a chain (read left to right by every backend);
                // a compound right operand becomes a subquery.
                self.set_expr(left, true)?;
                self.push(match op {
                    SetOp::Union => " UNION ",
                    SetOp::Intersect => " INTERSECT ",
                    SetOp::Except => " EXCEPT ",
                });
                if *all {
                    self.push("ALL ");
                }
                match right.as_ref() {
                    SetExpr::Op { .. } => self.wrapped(|t| t.set_expr(right, false)),
                    other => self.set_expr(other, true),
                }
            }
        }
    }

    /// `SELECT * FROM (…) AS "_sN"`.
    fn wrapped(&mut self, inner: impl FnOnce(&mut Translator) -> R) -> R {
        self.derived += 1;
        let n = self.derived;
        self.push("SELECT * FROM (");
        inner(self)?;
        let _ = write!(self.out, ") AS \"_s{n}\"");
        Ok(())
    }

    /// `own_limit`: write the SELECT's TOP as its LIMIT (a member of a set operation).
    fn select(&mut self, s: &Select, own_limit: bool) -> R {
        let mut scope = Vec::new();
        named_tables(&s.from, &mut scope);
        self.scopes.push(scope);
        let r = self.select_in_scope(s, own_limit);
        self.scopes.pop();
        r
    }

    /// The qualifier (written) of the table `table` that the column `column` of the current
    /// SELECT belongs to, when the column is one of `names` and the table is certain.
    fn owner(&self, column: &Expr, table: &str, names: &[&str]) -> Option<String> {
        let Expr::Column(parts) = column else {
            return None;
        };
        let (last, qualifier) = parts.split_last()?;
        if !names.contains(&last.canonical().as_str()) {
            return None;
        }
        let scope = self.scopes.last()?;
        let mut candidates = scope.iter().filter(|(by, own)| {
            own == table && (qualifier.is_empty() || by.as_slice() == qualifier)
        });
        let (by, _) = candidates.next()?;
        if candidates.next().is_some() {
            return None;
        }
        let quoted: Vec<String> = by
            .iter()
            .map(|p| quote(&p.canonical(), self.dialect))
            .collect();
        Some(quoted.join("."))
    }

    fn select_in_scope(&mut self, s: &Select, own_limit: bool) -> R {
        self.push("SELECT ");
        if s.distinct {
            self.push("DISTINCT ");
        }
        for (i, item) in s.items.iter().enumerate() {
            if i > 0 {
                self.push(", ");
            }
            match item {
                SelectItem::All => self.push("*"),
                SelectItem::AllOf(name) => {
                    self.name(name);
                    self.push(".*");
                }
                SelectItem::Expr { expr, alias } => {
                    self.expr(expr)?;
                    if let Some(a) = alias {
                        self.push(" AS ");
                        self.name(std::slice::from_ref(a));
                    }
                }
            }
        }
        self.push(" FROM ");
        for (i, t) in s.from.iter().enumerate() {
            if i > 0 {
                self.push(", ");
            }
            self.table(t)?;
        }
        if let Some(w) = &s.filter {
            self.push(" WHERE ");
            self.condition(w)?;
        }
        if !s.group_by.is_empty() {
            self.push(" GROUP BY ");
            for (i, g) in s.group_by.iter().enumerate() {
                if i > 0 {
                    self.push(", ");
                }
                self.expr(g)?;
            }
        }
        if let Some(h) = &s.having {
            self.push(" HAVING ");
            self.condition(h)?;
        }
        if own_limit && let Some(n) = s.top {
            let _ = write!(self.out, " LIMIT {n}");
        }
        Ok(())
    }

    fn table(&mut self, t: &TableRef) -> R {
        match t {
            TableRef::Table { name, alias } => {
                self.name(name);
                if let Some(a) = alias {
                    self.push(" AS ");
                    self.name(std::slice::from_ref(a));
                }
            }
            TableRef::Derived { query, alias } => {
                self.push("(");
                self.query(query, None)?;
                self.push(") AS ");
                self.name(std::slice::from_ref(alias));
            }
            TableRef::Join {
                kind,
                left,
                right,
                constraint,
            } => {
                self.table(left)?;
                self.push(" ");
                if matches!(constraint, JoinConstraint::Natural) {
                    self.push("NATURAL ");
                }
                self.push(match kind {
                    JoinKind::Inner => "JOIN ",
                    JoinKind::Left => "LEFT OUTER JOIN ",
                    JoinKind::Right => "RIGHT OUTER JOIN ",
                    JoinKind::Full => "FULL OUTER JOIN ",
                    JoinKind::Cross => "CROSS JOIN ",
                });
                // A join as the right operand keeps its grouping.
                let paren = matches!(right.as_ref(), TableRef::Join { .. });
                if paren {
                    self.push("(");
                }
                self.table(right)?;
                if paren {
                    self.push(")");
                }
                match constraint {
                    JoinConstraint::On(e) => {
                        self.push(" ON ");
                        self.expr(e)?;
                    }
                    JoinConstraint::Using(cols) => {
                        self.push(" USING (");
                        for (i, c) in cols.iter().enumerate() {
                            if i > 0 {
                                self.push(", ");
                            }
                            self.name(std::slice::from_ref(c));
                        }
                        self.push(")");
                    }
                    JoinConstraint::Natural | JoinConstraint::None => {}
                }
            }
        }
        Ok(())
    }
}

mod expressions;
mod functions;
mod geometry;
#[cfg(test)]
mod tests;
