//! ADQL 2.1 (the IVOA's query language for TAP): a recursive-descent parser from query text to
//! an abstract syntax tree (`ast`). SQL for a backend is generated from the tree, never pasted
//! from the text; errors name the line and column where the query stops making sense.
//!
//! Covered: `WITH`, `SELECT [ALL|DISTINCT] [TOP n]`, select lists with aliases and `t.*`,
//! `FROM` with comma joins, `[NATURAL] [INNER|LEFT|RIGHT|FULL [OUTER]] JOIN … ON|USING`,
//! `CROSS JOIN`, derived tables, `WHERE`, `GROUP BY`, `HAVING`,
//! `UNION|INTERSECT|EXCEPT [ALL]`, `ORDER BY … ASC|DESC`, `OFFSET`; expressions with
//! `+ - * / ||`, comparisons, `[NOT] BETWEEN`, `[NOT] LIKE|ILIKE`, `IS [NOT] NULL`,
//! `[NOT] IN (list|query)`, `[NOT] EXISTS`, scalar subqueries, `CASE`, `CAST`, function calls
//! (aggregates with `DISTINCT` and `COUNT(*)`), delimited identifiers and comments.

pub mod ast;
pub mod lexer;
pub mod names;
pub mod sql;

use ast::*;
use lexer::{Pos, Tok, Token, tokenize};

/// A syntax error, with where it is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}, column {column}: {message}")]
pub struct ParseError {
    pub message: String,
    pub line: usize,
    pub column: usize,
}

impl ParseError {
    pub fn at(pos: Pos, message: impl Into<String>) -> ParseError {
        ParseError {
            message: message.into(),
            line: pos.line,
            column: pos.column,
        }
    }
}

/// Words that cannot be regular identifiers (they start or continue clauses); the ADQL
/// reserved words a column might be named after must be written delimited.
const RESERVED: &[&str] = &[
    "all",
    "and",
    "as",
    "asc",
    "between",
    "by",
    "case",
    "cast",
    "cross",
    "desc",
    "distinct",
    "else",
    "end",
    "except",
    "exists",
    "from",
    "full",
    "group",
    "having",
    "ilike",
    "in",
    "inner",
    "intersect",
    "is",
    "join",
    "left",
    "like",
    "natural",
    "not",
    "null",
    "offset",
    "on",
    "or",
    "order",
    "outer",
    "right",
    "select",
    "then",
    "top",
    "union",
    "using",
    "when",
    "where",
    "with",
];

/// The largest query text accepted, in characters.
pub const MAX_QUERY_CHARS: usize = 100_000;
/// The deepest nesting of expressions and subqueries accepted.
const MAX_DEPTH: usize = 128;

/// Parses one ADQL query (an optional trailing `;` is allowed).
pub fn parse(text: &str) -> Result<Query, ParseError> {
    if text.chars().count() > MAX_QUERY_CHARS {
        return Err(ParseError {
            message: format!("the query is longer than {MAX_QUERY_CHARS} characters"),
            line: 1,
            column: 1,
        });
    }
    let tokens = tokenize(text)?;
    let end = end_pos(text);
    let mut p = Parser {
        tokens,
        at: 0,
        end,
        depth: 0,
    };
    let q = p.query()?;
    p.eat_sym(";");
    if let Some(t) = p.peek() {
        return Err(ParseError::at(
            t.pos,
            format!("unexpected {} after the end of the query", describe(&t.tok)),
        ));
    }
    Ok(q)
}

fn end_pos(text: &str) -> Pos {
    let line = text.matches('\n').count() + 1;
    let column = text.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    Pos { line, column }
}

fn describe(t: &Tok) -> String {
    match t {
        Tok::Word(w) => format!("{w:?}"),
        Tok::Quoted(w) => format!("\"{w}\""),
        Tok::Str(s) => format!("the string '{s}'"),
        Tok::Number(n) => format!("the number {n}"),
        Tok::Sym(s) => format!("{s:?}"),
    }
}

struct Parser {
    tokens: Vec<Token>,
    at: usize,
    end: Pos,
    depth: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.at)
    }

    fn peek_at(&self, n: usize) -> Option<&Tok> {
        self.tokens.get(self.at + n).map(|t| &t.tok)
    }

    fn pos(&self) -> Pos {
        self.peek().map_or(self.end, |t| t.pos)
    }

    fn error<T>(&self, expected: &str) -> Result<T, ParseError> {
        let found = self
            .peek()
            .map_or_else(|| "the end of the query".to_owned(), |t| describe(&t.tok));
        Err(ParseError::at(
            self.pos(),
            format!("expected {expected}, found {found}"),
        ))
    }

    fn is_kw(&self, kw: &str) -> bool {
        matches!(self.peek_at(0), Some(Tok::Word(w)) if w.eq_ignore_ascii_case(kw))
    }

    fn is_kw_at(&self, n: usize, kw: &str) -> bool {
        matches!(self.peek_at(n), Some(Tok::Word(w)) if w.eq_ignore_ascii_case(kw))
    }

    fn eat_kw(&mut self, kw: &str) -> bool {
        if self.is_kw(kw) {
            self.at += 1;
            true
        } else {
            false
        }
    }

    fn expect_kw(&mut self, kw: &str) -> Result<(), ParseError> {
        if self.eat_kw(kw) {
            Ok(())
        } else {
            self.error(&kw.to_ascii_uppercase())
        }
    }

    fn is_sym(&self, s: &str) -> bool {
        matches!(self.peek_at(0), Some(Tok::Sym(x)) if *x == s)
    }

    fn eat_sym(&mut self, s: &str) -> bool {
        if self.is_sym(s) {
            self.at += 1;
            true
        } else {
            false
        }
    }

    fn expect_sym(&mut self, s: &str) -> Result<(), ParseError> {
        if self.eat_sym(s) {
            Ok(())
        } else {
            self.error(&format!("{s:?}"))
        }
    }

    fn enter(&mut self) -> Result<(), ParseError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(ParseError::at(
                self.pos(),
                format!("the query nests deeper than {MAX_DEPTH} levels"),
            ));
        }
        Ok(())
    }

    fn ident(&mut self) -> Result<Ident, ParseError> {
        match self.peek_at(0).cloned() {
            Some(Tok::Word(w)) if !RESERVED.contains(&w.to_ascii_lowercase().as_str()) => {
                self.at += 1;
                Ok(Ident {
                    text: w,
                    delimited: false,
                })
            }
            Some(Tok::Quoted(q)) => {
                self.at += 1;
                Ok(Ident {
                    text: q,
                    delimited: true,
                })
            }
            _ => self.error("a name"),
        }
    }

    fn is_ident(&self) -> bool {
        match self.peek_at(0) {
            Some(Tok::Word(w)) => !RESERVED.contains(&w.to_ascii_lowercase().as_str()),
            Some(Tok::Quoted(_)) => true,
            _ => false,
        }
    }

    fn unsigned(&mut self, what: &str) -> Result<u64, ParseError> {
        match self.peek_at(0).cloned() {
            Some(Tok::Number(n)) => {
                let pos = self.pos();
                self.at += 1;
                n.parse::<u64>().map_err(|_| {
                    ParseError::at(pos, format!("{what} must be a whole number, not {n}"))
                })
            }
            _ => self.error(&format!("a whole number ({what})")),
        }
    }

    fn query(&mut self) -> Result<Query, ParseError> {
        self.enter()?;
        let mut with = Vec::new();
        if self.eat_kw("with") {
            loop {
                let name = self.ident()?;
                self.expect_kw("as")?;
                self.expect_sym("(")?;
                let q = self.query()?;
                self.expect_sym(")")?;
                with.push((name, q));
                if !self.eat_sym(",") {
                    break;
                }
            }
        }
        let body = self.set_expr()?;
        let mut order_by = Vec::new();
        if self.eat_kw("order") {
            self.expect_kw("by")?;
            loop {
                let expr = self.expr()?;
                let descending = if self.eat_kw("desc") {
                    true
                } else {
                    self.eat_kw("asc");
                    false
                };
                order_by.push(OrderItem { expr, descending });
                if !self.eat_sym(",") {
                    break;
                }
            }
        }
        let offset = if self.eat_kw("offset") {
            Some(self.unsigned("OFFSET")?)
        } else {
            None
        };
        self.depth -= 1;
        Ok(Query {
            with,
            body,
            order_by,
            offset,
        })
    }

    fn set_expr(&mut self) -> Result<SetExpr, ParseError> {
        let mut left = self.set_term()?;
        loop {
            let op = if self.eat_kw("union") {
                SetOp::Union
            } else if self.eat_kw("except") {
                SetOp::Except
            } else {
                break;
            };
            let all = self.eat_kw("all");
            if !all {
                self.eat_kw("distinct");
            }
            let right = self.set_term()?;
            left = SetExpr::Op {
                op,
                all,
                left: Box::new(left),
                right: Box::new(right),
            };
        }
        Ok(left)
    }

    /// INTERSECT binds tighter than UNION and EXCEPT.
    fn set_term(&mut self) -> Result<SetExpr, ParseError> {
        let mut left = self.set_primary()?;
        while self.eat_kw("intersect") {
            let all = self.eat_kw("all");
            if !all {
                self.eat_kw("distinct");
            }
            let right = self.set_primary()?;
            left = SetExpr::Op {
                op: SetOp::Intersect,
                all,
                left: Box::new(left),
                right: Box::new(right),
            };
        }
        Ok(left)
    }

    fn set_primary(&mut self) -> Result<SetExpr, ParseError> {
        if self.is_sym("(") && self.is_kw_at(1, "select") {
            self.enter()?;
            self.at += 1;
            let inner = self.set_expr()?;
            self.expect_sym(")")?;
            self.depth -= 1;
            return Ok(inner);
        }
        Ok(SetExpr::Select(Box::new(self.select()?)))
    }

    fn select(&mut self) -> Result<Select, ParseError> {
        self.expect_kw("select")?;
        let distinct = if self.eat_kw("distinct") {
            true
        } else {
            self.eat_kw("all");
            false
        };
        let top = if self.eat_kw("top") {
            Some(self.unsigned("TOP")?)
        } else {
            None
        };
        let mut items = Vec::new();
        loop {
            items.push(self.select_item()?);
            if !self.eat_sym(",") {
                break;
            }
        }
        self.expect_kw("from")?;
        let mut from = Vec::new();
        loop {
            from.push(self.table_ref()?);
            if !self.eat_sym(",") {
                break;
            }
        }
        let filter = if self.eat_kw("where") {
            Some(self.expr()?)
        } else {
            None
        };
        let mut group_by = Vec::new();
        if self.eat_kw("group") {
            self.expect_kw("by")?;
            loop {
                group_by.push(self.expr()?);
                if !self.eat_sym(",") {
                    break;
                }
            }
        }
        let having = if self.eat_kw("having") {
            Some(self.expr()?)
        } else {
            None
        };
        Ok(Select {
            distinct,
            top,
            items,
            from,
            filter,
            group_by,
            having,
        })
    }

    fn select_item(&mut self) -> Result<SelectItem, ParseError> {
        if self.eat_sym("*") {
            return Ok(SelectItem::All);
        }
        // `a.b.*`
        let start = self.at;
        if self.is_ident() {
            let mut name = vec![self.ident()?];
            while self.eat_sym(".") {
                if self.eat_sym("*") {
                    return Ok(SelectItem::AllOf(name));
                }
                name.push(self.ident()?);
            }
            self.at = start;
        }
        let expr = self.expr()?;
        let alias = if self.eat_kw("as") || self.is_ident() {
            Some(self.ident()?)
        } else {
            None
        };
        Ok(SelectItem::Expr { expr, alias })
    }

    fn table_ref(&mut self) -> Result<TableRef, ParseError> {
        let mut left = self.table_primary()?;
        loop {
            let natural = self.eat_kw("natural");
            let kind = if self.eat_kw("cross") {
                JoinKind::Cross
            } else if self.eat_kw("inner") {
                JoinKind::Inner
            } else if self.eat_kw("left") {
                self.eat_kw("outer");
                JoinKind::Left
            } else if self.eat_kw("right") {
                self.eat_kw("outer");
                JoinKind::Right
            } else if self.eat_kw("full") {
                self.eat_kw("outer");
                JoinKind::Full
            } else if self.is_kw("join") {
                JoinKind::Inner
            } else if natural {
                return self.error("JOIN");
            } else {
                return Ok(left);
            };
            self.expect_kw("join")?;
            let right = self.table_primary()?;
            let constraint = if natural {
                if kind == JoinKind::Cross {
                    return Err(ParseError::at(self.pos(), "NATURAL CROSS JOIN is not ADQL"));
                }
                JoinConstraint::Natural
            } else if kind == JoinKind::Cross {
                JoinConstraint::None
            } else if self.eat_kw("on") {
                JoinConstraint::On(self.expr()?)
            } else if self.eat_kw("using") {
                self.expect_sym("(")?;
                let mut cols = vec![self.ident()?];
                while self.eat_sym(",") {
                    cols.push(self.ident()?);
                }
                self.expect_sym(")")?;
                JoinConstraint::Using(cols)
            } else {
                return self.error("ON or USING");
            };
            left = TableRef::Join {
                kind,
                left: Box::new(left),
                right: Box::new(right),
                constraint,
            };
        }
    }

    fn table_primary(&mut self) -> Result<TableRef, ParseError> {
        if self.is_sym("(") {
            self.enter()?;
            self.at += 1;
            if self.is_kw("select") || self.is_kw("with") {
                let query = self.query()?;
                self.expect_sym(")")?;
                self.eat_kw("as");
                let alias = self.ident()?;
                self.depth -= 1;
                return Ok(TableRef::Derived {
                    query: Box::new(query),
                    alias,
                });
            }
            let inner = self.table_ref()?;
            self.expect_sym(")")?;
            self.depth -= 1;
            return Ok(inner);
        }
        let mut name = vec![self.ident()?];
        while self.eat_sym(".") {
            name.push(self.ident()?);
        }
        if name.len() > 3 {
            return Err(ParseError::at(
                self.pos(),
                "a table name has at most three parts (catalog.schema.table)",
            ));
        }
        let alias = if self.eat_kw("as") || self.is_ident() {
            Some(self.ident()?)
        } else {
            None
        };
        Ok(TableRef::Table { name, alias })
    }

    fn expr(&mut self) -> Result<Expr, ParseError> {
        self.enter()?;
        let e = self.or_expr();
        self.depth -= 1;
        e
    }

    fn or_expr(&mut self) -> Result<Expr, ParseError> {
        let mut left = self.and_expr()?;
        while self.eat_kw("or") {
            let right = self.and_expr()?;
            left = binary(BinOp::Or, left, right);
        }
        Ok(left)
    }

    fn and_expr(&mut self) -> Result<Expr, ParseError> {
        let mut left = self.not_expr()?;
        while self.eat_kw("and") {
            let right = self.not_expr()?;
            left = binary(BinOp::And, left, right);
        }
        Ok(left)
    }

    fn not_expr(&mut self) -> Result<Expr, ParseError> {
        if self.is_kw("not") && !self.is_kw_at(1, "exists") {
            self.at += 1;
            self.enter()?;
            let inner = self.not_expr()?;
            self.depth -= 1;
            return Ok(Expr::Not(Box::new(inner)));
        }
        self.predicate()
    }

    fn predicate(&mut self) -> Result<Expr, ParseError> {
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

    fn additive(&mut self) -> Result<Expr, ParseError> {
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

    fn multiplicative(&mut self) -> Result<Expr, ParseError> {
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

    fn unary(&mut self) -> Result<Expr, ParseError> {
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

    fn primary(&mut self) -> Result<Expr, ParseError> {
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

    fn call(&mut self, name: Ident) -> Result<Expr, ParseError> {
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

    fn case(&mut self) -> Result<Expr, ParseError> {
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
    fn type_name(&mut self) -> Result<String, ParseError> {
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

#[cfg(test)]
mod tests;
