//! The value expressions of ADQL 2.1, by precedence: OR, AND, NOT, predicates (comparison,
//! BETWEEN, IN, LIKE, IS NULL, EXISTS), arithmetic and concatenation, unary signs, primaries
//! (literals, columns, function calls, CASE, CAST, subqueries).

use super::*;

impl Parser {
    pub(super) fn expr(&mut self) -> Result<Expr, ParseError> {
        self.enter()?;
        let e = self.or_expr();
        self.depth -= 1;
        e
    }

    pub(super) fn or_expr(&mut self) -> Result<Expr, ParseError> {
        let mut left = self.and_expr()?;
        while self.eat_kw("or") {
            let right = self.and_expr()?;
            left = binary(BinOp::Or, left, right);
        }
        Ok(left)
    }

    pub(super) fn and_expr(&mut self) -> Result<Expr, ParseError> {
        let mut left = self.not_expr()?;
        while self.eat_kw("and") {
            let right = self.not_expr()?;
            left = binary(BinOp::And, left, right);
        }
        Ok(left)
    }

    pub(super) fn not_expr(&mut self) -> Result<Expr, ParseError> {
        if self.is_kw("not") && !self.is_kw_at(1, "exists") {
            self.at += 1;
            self.enter()?;
            let inner = self.not_expr()?;
            self.depth -= 1;
            return Ok(Expr::Not(Box::new(inner)));
        }
        self.predicate()
    }

    pub(super) fn predicate(&mut self) -> Result<Expr, ParseError> {
        if self.is_kw("exists") || (self.is_kw("not") && self.is_kw_at(1, "exists")) {
            let negated = self.eat_kw("not");
            self.expect_kw("exists")?;
            self.expect_sym("(")?;
            let query = self.query()?;
            self.expect_sym(")")?;
            return Ok(Expr::Exists {
                query: Box::new(query),
                negated,
            });
        }
        let left = self.additive()?;
        for (sym, op) in [
            ("=", BinOp::Eq),
            ("<>", BinOp::NotEq),
            ("!=", BinOp::NotEq),
            ("<=", BinOp::LtEq),
            (">=", BinOp::GtEq),
            ("<", BinOp::Lt),
            (">", BinOp::Gt),
        ] {
            if self.eat_sym(sym) {
                let right = self.additive()?;
                return Ok(binary(op, left, right));
            }
        }
        if self.eat_kw("is") {
            let negated = self.eat_kw("not");
            self.expect_kw("null")?;
            return Ok(Expr::IsNull {
                expr: Box::new(left),
                negated,
            });
        }
        let negated = self.eat_kw("not");
        if self.eat_kw("between") {
            let low = self.additive()?;
            self.expect_kw("and")?;
            let high = self.additive()?;
            return Ok(Expr::Between {
                expr: Box::new(left),
                low: Box::new(low),
                high: Box::new(high),
                negated,
            });
        }
        let like = self.eat_kw("like");
        if like || self.eat_kw("ilike") {
            let pattern = self.additive()?;
            return Ok(Expr::Like {
                expr: Box::new(left),
                pattern: Box::new(pattern),
                negated,
                case_insensitive: !like,
            });
        }
        if self.eat_kw("in") {
            self.expect_sym("(")?;
            if self.is_kw("select") || self.is_kw("with") {
                let query = self.query()?;
                self.expect_sym(")")?;
                return Ok(Expr::InQuery {
                    expr: Box::new(left),
                    query: Box::new(query),
                    negated,
                });
            }
            let mut list = vec![self.expr()?];
            while self.eat_sym(",") {
                list.push(self.expr()?);
            }
            self.expect_sym(")")?;
            return Ok(Expr::InList {
                expr: Box::new(left),
                list,
                negated,
            });
        }
        if negated {
            return self.error("BETWEEN, LIKE, ILIKE or IN after NOT");
        }
        Ok(left)
    }

    pub(super) fn additive(&mut self) -> Result<Expr, ParseError> {
        let mut left = self.multiplicative()?;
        loop {
            let op = if self.eat_sym("+") {
                BinOp::Plus
            } else if self.eat_sym("-") {
                BinOp::Minus
            } else if self.eat_sym("||") {
                BinOp::Concat
            } else {
                return Ok(left);
            };
            let right = self.multiplicative()?;
            left = binary(op, left, right);
        }
    }

    pub(super) fn multiplicative(&mut self) -> Result<Expr, ParseError> {
        let mut left = self.unary()?;
        loop {
            let op = if self.eat_sym("*") {
                BinOp::Times
            } else if self.eat_sym("/") {
                BinOp::Divide
            } else {
                return Ok(left);
            };
            let right = self.unary()?;
            left = binary(op, left, right);
        }
    }

    pub(super) fn unary(&mut self) -> Result<Expr, ParseError> {
        if self.eat_sym("-") {
            self.enter()?;
            let inner = self.unary()?;
            self.depth -= 1;
            return Ok(Expr::Negate(Box::new(inner)));
        }
        if self.eat_sym("+") {
            return self.unary();
        }
        self.primary()
    }

    pub(super) fn primary(&mut self) -> Result<Expr, ParseError> {
        let Some(token) = self.peek().cloned() else {
            return self.error("an expression");
        };
        match token.tok {
            Tok::Str(s) => {
                self.at += 1;
                Ok(Expr::Str(s))
            }
            Tok::Number(n) => {
                self.at += 1;
                Ok(Expr::Number(n))
            }
            Tok::Sym("(") => {
                self.at += 1;
                if self.is_kw("select") || self.is_kw("with") {
                    let q = self.query()?;
                    self.expect_sym(")")?;
                    return Ok(Expr::Subquery(Box::new(q)));
                }
                let e = self.expr()?;
                self.expect_sym(")")?;
                Ok(e)
            }
            Tok::Word(w) if w.eq_ignore_ascii_case("null") => {
                self.at += 1;
                Ok(Expr::Null)
            }
            Tok::Word(w) if w.eq_ignore_ascii_case("case") => self.case(),
            Tok::Word(w) if w.eq_ignore_ascii_case("cast") => {
                self.at += 1;
                self.expect_sym("(")?;
                let expr = self.expr()?;
                self.expect_kw("as")?;
                let ty = self.type_name()?;
                self.expect_sym(")")?;
                Ok(Expr::Cast {
                    expr: Box::new(expr),
                    ty,
                })
            }
            Tok::Word(_) | Tok::Quoted(_) if self.is_ident() => {
                let first = self.ident()?;
                if self.is_sym("(") {
                    return self.call(first);
                }
                let mut name = vec![first];
                while self.eat_sym(".") {
                    name.push(self.ident()?);
                }
                if name.len() > 4 {
                    return Err(ParseError::at(
                        token.pos,
                        "a column name has at most four parts",
                    ));
                }
                Ok(Expr::Column(name))
            }
            _ => self.error("an expression"),
        }
    }

    pub(super) fn call(&mut self, name: Ident) -> Result<Expr, ParseError> {
        self.expect_sym("(")?;
        if self.eat_sym("*") {
            self.expect_sym(")")?;
            return Ok(Expr::Function {
                name,
                args: Vec::new(),
                distinct: false,
                star: true,
            });
        }
        let distinct = if self.eat_kw("distinct") {
            true
        } else {
            self.eat_kw("all");
            false
        };
        let mut args = Vec::new();
        if !self.is_sym(")") {
            loop {
                args.push(self.expr()?);
                if !self.eat_sym(",") {
                    break;
                }
            }
        }
        self.expect_sym(")")?;
        Ok(Expr::Function {
            name,
            args,
            distinct,
            star: false,
        })
    }

    pub(super) fn case(&mut self) -> Result<Expr, ParseError> {
        self.expect_kw("case")?;
        let operand = if self.is_kw("when") {
            None
        } else {
            Some(Box::new(self.expr()?))
        };
        let mut whens = Vec::new();
        while self.eat_kw("when") {
            let cond = self.expr()?;
            self.expect_kw("then")?;
            let value = self.expr()?;
            whens.push((cond, value));
        }
        if whens.is_empty() {
            return self.error("WHEN");
        }
        let otherwise = if self.eat_kw("else") {
            Some(Box::new(self.expr()?))
        } else {
            None
        };
        self.expect_kw("end")?;
        Ok(Expr::Case {
            operand,
            whens,
            otherwise,
        })
    }

    /// A CAST target: one of ADQL's types, with an optional length.
    pub(super) fn type_name(&mut self) -> Result<String, ParseError> {
        const TYPES: &[&str] = &[
            "smallint",
            "integer",
            "bigint",
            "real",
            "double",
            "char",
            "varchar",
            "timestamp",
            "interval",
            "point",
            "circle",
            "polygon",
        ];
        let pos = self.pos();
        let Some(Tok::Word(w)) = self.peek_at(0).cloned() else {
            return self.error("a type");
        };
        let lower = w.to_ascii_lowercase();
        if !TYPES.contains(&lower.as_str()) {
            return Err(ParseError::at(
                pos,
                format!("{w} is not an ADQL type ({})", TYPES.join(", ")),
            ));
        }
        self.at += 1;
        let mut ty = lower;
        if ty == "double" {
            self.expect_kw("precision")?;
            ty = "double precision".into();
        }
        if self.eat_sym("(") {
            let n = self.unsigned("the length")?;
            self.expect_sym(")")?;
            ty = format!("{ty}({n})");
        }
        Ok(ty)
    }
}

fn binary(op: BinOp, left: Expr, right: Expr) -> Expr {
    Expr::Binary {
        op,
        left: Box::new(left),
        right: Box::new(right),
    }
}
