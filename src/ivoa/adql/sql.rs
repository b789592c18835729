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

    /// A search condition (WHERE, HAVING), where NULL counts as false: through its ANDs and ORs,
    /// `1 = f(…)` for a RegTAP predicate function is written as the bare predicate, which the
    /// database can answer from an index (PostgreSQL's full-text and expression indexes); the
    /// CASE that turns it into 1 or 0 elsewhere would hide it from the planner.
    fn condition(&mut self, e: &Expr) -> R {
        match e {
            Expr::Binary {
                op: op @ (BinOp::And | BinOp::Or),
                left,
                right,
            } => {
                self.push("(");
                self.condition(left)?;
                self.push(if *op == BinOp::And { " AND " } else { " OR " });
                self.condition(right)?;
                self.push(")");
                Ok(())
            }
            Expr::Binary {
                op: BinOp::Eq,
                left,
                right,
            } => match (&**left, &**right) {
                (Expr::Number(one), f @ Expr::Function { name, .. })
                | (f @ Expr::Function { name, .. }, Expr::Number(one))
                    if one == "1" && is_predicate(name) =>
                {
                    self.bare = true;
                    let r = self.expr(f);
                    self.bare = false;
                    r
                }
                _ => self.expr(e),
            },
            _ => self.expr(e),
        }
    }

    fn expr(&mut self, e: &Expr) -> R {
        match e {
            Expr::Column(name) => self.name(name),
            Expr::Str(s) => self.push(&literal(s)),
            Expr::Number(n) => self.push(n),
            Expr::Null => self.push("NULL"),
            Expr::Not(inner) => {
                self.push("(NOT ");
                self.expr(inner)?;
                self.push(")");
            }
            Expr::Negate(inner) => {
                self.push("(- ");
                self.expr(inner)?;
                self.push(")");
            }
            Expr::Binary { op, left, right } => {
                self.push("(");
                self.expr(left)?;
                self.push(match op {
                    BinOp::Or => " OR ",
                    BinOp::And => " AND ",
                    BinOp::Eq => " = ",
                    BinOp::NotEq => " <> ",
                    BinOp::Lt => " < ",
                    BinOp::LtEq => " <= ",
                    BinOp::Gt => " > ",
                    BinOp::GtEq => " >= ",
                    BinOp::Plus => " + ",
                    BinOp::Minus => " - ",
                    BinOp::Times => " * ",
                    BinOp::Divide => " / ",
                    BinOp::Concat => " || ",
                });
                self.expr(right)?;
                self.push(")");
            }
            Expr::Function {
                name,
                args,
                distinct,
                star,
            } => self.function(name, args, *distinct, *star)?,
            Expr::Cast { expr, ty } => {
                self.push("CAST(");
                self.expr(expr)?;
                self.push(" AS ");
                let ty = self.cast_type(ty)?;
                self.push(&ty);
                self.push(")");
            }
            Expr::Case {
                operand,
                whens,
                otherwise,
            } => {
                self.push("(CASE");
                if let Some(o) = operand {
                    self.push(" ");
                    self.expr(o)?;
                }
                for (w, t) in whens {
                    self.push(" WHEN ");
                    self.expr(w)?;
                    self.push(" THEN ");
                    self.expr(t)?;
                }
                if let Some(o) = otherwise {
                    self.push(" ELSE ");
                    self.expr(o)?;
                }
                self.push(" END)");
            }
            Expr::Between {
                expr,
                low,
                high,
                negated,
            } => {
                self.push("(");
                self.expr(expr)?;
                self.push(if *negated {
                    " NOT BETWEEN "
                } else {
                    " BETWEEN "
                });
                self.expr(low)?;
                self.push(" AND ");
                self.expr(high)?;
                self.push(")");
            }
            Expr::Like {
                expr,
                pattern,
                negated,
                case_insensitive,
            } => {
                let not = if *negated { "NOT " } else { "" };
                self.push("(");
                match (case_insensitive, self.dialect) {
                    (false, _) => {
                        self.expr(expr)?;
                        let _ = write!(self.out, " {not}LIKE ");
                        self.expr(pattern)?;
                    }
                    (true, Dialect::Postgres) => {
                        self.expr(expr)?;
                        let _ = write!(self.out, " {not}ILIKE ");
                        self.expr(pattern)?;
                    }
                    (true, Dialect::Sqlite)
                        if !*negated
                            && let Some(q) =
                                self.owner(expr, "rr.res_subject", &["res_subject"])
                            && let Some(phrase) = substring_phrase(pattern) =>
                    {
                        // `%text%` with 3 characters or more: the trigram index finds the
                        // rows that contain the text, ignoring case.
                        let _ = write!(
                            self.out,
                            "{q}.`rowid` IN (SELECT `rowid` FROM `rr`.`res_subject_words` WHERE `res_subject_words` MATCH {})",
                            literal(&phrase)
                        );
                    }
                    (true, Dialect::Sqlite) => {
                        self.push("lower(");
                        self.expr(expr)?;
                        let _ = write!(self.out, ") {not}LIKE lower(");
                        self.expr(pattern)?;
                        self.push(")");
                    }
                }
                self.push(")");
            }
            Expr::IsNull { expr, negated } => {
                self.push("(");
                self.expr(expr)?;
                self.push(if *negated {
                    " IS NOT NULL)"
                } else {
                    " IS NULL)"
                });
            }
            Expr::InList {
                expr,
                list,
                negated,
            } => {
                self.push("(");
                self.expr(expr)?;
                self.push(if *negated { " NOT IN (" } else { " IN (" });
                for (i, x) in list.iter().enumerate() {
                    if i > 0 {
                        self.push(", ");
                    }
                    self.expr(x)?;
                }
                self.push("))");
            }
            Expr::InQuery {
                expr,
                query,
                negated,
            } => {
                self.push("(");
                self.expr(expr)?;
                self.push(if *negated { " NOT IN (" } else { " IN (" });
                self.query(query, None)?;
                self.push("))");
            }
            Expr::Exists { query, negated } => {
                self.push(if *negated {
                    "(NOT EXISTS ("
                } else {
                    "(EXISTS ("
                });
                self.query(query, None)?;
                self.push("))");
            }
            Expr::Subquery(q) => {
                self.push("(");
                self.query(q, None)?;
                self.push(")");
            }
        }
        Ok(())
    }

    fn cast_type(&self, ty: &str) -> Result<String, TranslateError> {
        let base = ty.split('(').next().unwrap_or(ty);
        Ok(match (base, self.dialect) {
            ("smallint" | "integer" | "bigint", Dialect::Sqlite) => "INTEGER".into(),
            ("real" | "double precision", Dialect::Sqlite) => "REAL".into(),
            ("char" | "varchar" | "timestamp", Dialect::Sqlite) => "TEXT".into(),
            ("char" | "varchar", Dialect::Postgres) => ty.to_ascii_uppercase(),
            (
                "smallint" | "integer" | "bigint" | "real" | "double precision" | "timestamp",
                Dialect::Postgres,
            ) => base.to_ascii_uppercase(),
            _ => return Err(TranslateError::Unsupported(format!("CAST to {ty}"))),
        })
    }

    /// Writes `f(a, b, …)` under the backend's name for it.
    fn call(&mut self, name: &str, args: &[Expr]) -> R {
        self.push(name);
        self.push("(");
        for (i, a) in args.iter().enumerate() {
            if i > 0 {
                self.push(", ");
            }
            self.expr(a)?;
        }
        self.push(")");
        Ok(())
    }

    /// A boolean condition as the integer 0/1 ADQL's functions return.
    fn as_int(&mut self, cond: impl FnOnce(&mut Translator) -> R) -> R {
        if std::mem::take(&mut self.bare) {
            self.push("(");
            cond(self)?;
            self.push(")");
            return Ok(());
        }
        self.push("(CASE WHEN ");
        cond(self)?;
        self.push(" THEN 1 ELSE 0 END)");
        Ok(())
    }

    fn function(&mut self, name: &Ident, args: &[Expr], distinct: bool, star: bool) -> R {
        let lower = name.canonical().to_ascii_lowercase();
        let n = args.len();
        let arity = |expected: &'static str, ok: bool| -> R {
            if ok {
                Ok(())
            } else {
                Err(TranslateError::Arity {
                    name: lower.to_ascii_uppercase(),
                    expected,
                    given: n,
                })
            }
        };
        let pg = self.dialect == Dialect::Postgres;
        match lower.as_str() {
            "count" | "min" | "max" | "sum" | "avg" => {
                if star {
                    if lower != "count" {
                        return Err(TranslateError::Unsupported(format!(
                            "{}(*)",
                            lower.to_ascii_uppercase()
                        )));
                    }
                    self.push("COUNT(*)");
                    return Ok(());
                }
                arity("1", n == 1)?;
                let _ = write!(
                    self.out,
                    "{}({}",
                    lower.to_ascii_uppercase(),
                    if distinct { "DISTINCT " } else { "" }
                );
                self.expr(&args[0])?;
                self.push(")");
            }
            _ if star || distinct => {
                return Err(TranslateError::Unsupported(format!(
                    "{} with * or DISTINCT",
                    lower.to_ascii_uppercase()
                )));
            }
            "abs" | "floor" | "sqrt" | "exp" | "sin" | "cos" | "tan" | "asin" | "acos" | "atan"
            | "degrees" | "radians" | "lower" | "upper" => {
                arity("1", n == 1)?;
                self.call(&lower, args)?;
            }
            "ceiling" => {
                arity("1", n == 1)?;
                self.call(if pg { "ceiling" } else { "ceil" }, args)?;
            }
            "log" => {
                arity("1", n == 1)?;
                self.call("ln", args)?;
            }
            "log10" => {
                arity("1", n == 1)?;
                self.call("log10", args)?;
            }
            "cot" => {
                arity("1", n == 1)?;
                self.push("(1.0 / tan(");
                self.expr(&args[0])?;
                self.push("))");
            }
            "atan2" | "mod" | "power" => {
                arity("2", n == 2)?;
                self.call(&lower, args)?;
            }
            "round" | "truncate" => {
                arity("1 or 2", n == 1 || n == 2)?;
                let f = if lower == "round" { "round" } else { "trunc" };
                if n == 2 && !pg && lower == "truncate" {
                    // trunc(x * 10^n) / 10^n
                    self.push("(trunc(");
                    self.expr(&args[0])?;
                    self.push(" * power(10, ");
                    self.expr(&args[1])?;
                    self.push(")) / power(10, ");
                    self.expr(&args[1])?;
                    self.push("))");
                } else if pg && n == 2 {
                    // PostgreSQL rounds to places only on numeric.
                    let _ = write!(self.out, "{f}(CAST(");
                    self.expr(&args[0])?;
                    self.push(" AS NUMERIC), ");
                    self.expr(&args[1])?;
                    self.push(")");
                } else {
                    self.call(f, args)?;
                }
            }
            "pi" => {
                arity("0", n == 0)?;
                self.push("pi()");
            }
            "rand" => {
                arity("0 or 1", n <= 1)?;
                self.push(if pg {
                    "random()"
                } else {
                    "((random() / 18446744073709551616.0) + 0.5)"
                });
            }
            "coalesce" => {
                arity("at least 1", n >= 1)?;
                self.call("COALESCE", args)?;
            }
            "ivo_nocasematch" => {
                arity("2", n == 2)?;
                self.as_int(|t| {
                    t.push("lower(");
                    t.expr(&args[0])?;
                    t.push(") LIKE lower(");
                    t.expr(&args[1])?;
                    t.push(")");
                    Ok(())
                })?;
            }
            "ivo_hashlist_has" => {
                arity("2", n == 2)?;
                self.as_int(|t| {
                    if pg {
                        t.push("position(('#' || lower(");
                        t.expr(&args[1])?;
                        t.push(") || '#') in ('#' || ");
                        t.expr(&args[0])?;
                        t.push(" || '#')) > 0");
                    } else {
                        t.push("instr('#' || ");
                        t.expr(&args[0])?;
                        t.push(" || '#', '#' || lower(");
                        t.expr(&args[1])?;
                        t.push(") || '#') > 0");
                    }
                    Ok(())
                })?;
            }
            "ivo_interval_overlaps" => {
                // Touching ends overlap; reversed bounds are swapped first (pyvo sends energy
                // ranges converted from wavelengths unsorted).
                arity("4", n == 4)?;
                let (least, greatest) = if pg {
                    ("LEAST", "GREATEST")
                } else {
                    ("min", "max")
                };
                self.as_int(|t| {
                    for (i, (a, b, c, d)) in [(0, 1, 2, 3), (2, 3, 0, 1)].into_iter().enumerate() {
                        if i > 0 {
                            t.push(" AND ");
                        }
                        let _ = write!(t.out, "{least}(");
                        t.expr(&args[a])?;
                        t.push(", ");
                        t.expr(&args[b])?;
                        let _ = write!(t.out, ") <= {greatest}(");
                        t.expr(&args[c])?;
                        t.push(", ");
                        t.expr(&args[d])?;
                        t.push(")");
                    }
                    Ok(())
                })?;
            }
            "ivo_string_agg" => {
                arity("2", n == 2)?;
                self.push("COALESCE(");
                self.call(if pg { "string_agg" } else { "group_concat" }, args)?;
                self.push(", '')");
            }
            "ivo_hasword" => {
                arity("2", n == 2)?;
                if pg {
                    self.as_int(|t| {
                        t.push("to_tsvector('english', COALESCE(");
                        t.expr(&args[0])?;
                        t.push(", '')) @@ plainto_tsquery('english', ");
                        t.expr(&args[1])?;
                        t.push(")");
                        Ok(())
                    })?;
                } else {
                    // Each word of the needle as a regular expression bounded by non-letters
                    // (sqlx's REGEXP caches the compiled expression per statement).
                    let Expr::Str(needle) = &args[1] else {
                        return Err(TranslateError::Unsupported(
                            "ivo_hasword with a needle that is not a string literal".into(),
                        ));
                    };
                    let words = hasword_patterns(needle);
                    if words.is_empty() {
                        self.push("0");
                        return Ok(());
                    }
                    let column = ["res_title", "res_description"];
                    if let Some(q) = self.owner(&args[0], "rr.resource", &column)
                        && let Expr::Column(parts) = &args[0]
                    {
                        // A column of rr.resource: its word index answers.
                        let col = parts.last().map(Ident::canonical).unwrap_or_default();
                        let query: Vec<String> = words_of(needle)
                            .iter()
                            .map(|w| format!("{col} : \"{w}\""))
                            .collect();
                        return self.as_int(|t| {
                            let _ = write!(
                                t.out,
                                "{q}.`rowid` IN (SELECT `rowid` FROM `rr`.`resource_words` WHERE `resource_words` MATCH {})",
                                literal(&query.join(" AND "))
                            );
                            Ok(())
                        });
                    }
                    self.as_int(|t| {
                        for (i, w) in words.iter().enumerate() {
                            if i > 0 {
                                t.push(" AND ");
                            }
                            t.push("(COALESCE(");
                            t.expr(&args[0])?;
                            t.push(", '') REGEXP ");
                            t.push(&literal(w));
                            t.push(")");
                        }
                        Ok(())
                    })?;
                }
            }
            _ => return Err(TranslateError::UnknownFunction(name.text.clone())),
        }
        Ok(())
    }
}

/// The words of an `ivo_hasword` needle: runs of letters and digits.
fn words_of(needle: &str) -> Vec<&str> {
    needle
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect()
}

/// The text of a `LIKE` pattern `%text%` (text of 3 characters or more, without wildcards or
/// escapes) as an FTS5 phrase.
fn substring_phrase(pattern: &Expr) -> Option<String> {
    let Expr::Str(p) = pattern else {
        return None;
    };
    let text = p.strip_prefix('%')?.strip_suffix('%')?;
    if text.chars().count() < 3 || text.contains(['%', '_', '\\']) {
        return None;
    }
    Some(format!("\"{}\"", text.replace('"', "\"\"")))
}

/// The regular expressions (Rust `regex` syntax) that find each word of an `ivo_hasword`
/// needle as a whole word, ignoring case: words are runs of letters and digits.
fn hasword_patterns(needle: &str) -> Vec<String> {
    words_of(needle)
        .into_iter()
        .map(|w| format!("(?i)(?:^|[^\\p{{L}}\\p{{N}}]){w}(?:[^\\p{{L}}\\p{{N}}]|$)"))
        .collect()
}

#[cfg(test)]
mod tests {
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
        let pyvo = include_str!("../../../fuzz/seeds/adql/pyvo.adql");
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
                && s.contains(
                    "'res_title : \"x\" AND res_title : \"ray\" AND res_title : \"sky\"'"
                ),
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
}
