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
mod expressions;
pub mod lexer;
pub mod names;
pub mod sql;
mod statements;

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
}

#[cfg(test)]
mod tests;
