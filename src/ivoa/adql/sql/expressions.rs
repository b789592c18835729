//! Value expressions and conditions in SQL: operators, literals, columns, CASE, CAST and
//! subqueries, with the RegTAP predicates left bare in conditions so that indexes apply.

use super::functions::substring_phrase;
use super::*;

impl Translator {
    /// A search condition (WHERE, HAVING), where NULL counts as false: through its ANDs and ORs,
    /// `1 = f(…)` for a RegTAP predicate function is written as the bare predicate, which the
    /// database can answer from an index (PostgreSQL's full-text and expression indexes); the
    /// CASE that turns it into 1 or 0 elsewhere would hide it from the planner.
    pub(super) fn condition(&mut self, e: &Expr) -> R {
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

    pub(super) fn expr(&mut self, e: &Expr) -> R {
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

    pub(super) fn cast_type(&self, ty: &str) -> Result<String, TranslateError> {
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
}
