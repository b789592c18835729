//! The ADQL abstract syntax tree: what a query says, independent of any SQL dialect.

/// An identifier: regular ones compare case-insensitively, delimited ones exactly.
#[derive(Debug, Clone)]
pub struct Ident {
    pub text: String,
    pub delimited: bool,
}

impl Ident {
    pub fn regular(text: &str) -> Ident {
        Ident {
            text: text.to_owned(),
            delimited: false,
        }
    }

    /// The name as the database knows it: a regular identifier is folded to lower case.
    pub fn canonical(&self) -> String {
        if self.delimited {
            self.text.clone()
        } else {
            self.text.to_ascii_lowercase()
        }
    }
}

impl PartialEq for Ident {
    fn eq(&self, other: &Ident) -> bool {
        self.canonical() == other.canonical()
    }
}

/// A whole query: common table expressions, a set expression, ordering and offset.
#[derive(Debug, Clone, PartialEq)]
pub struct Query {
    pub with: Vec<(Ident, Query)>,
    pub body: SetExpr,
    pub order_by: Vec<OrderItem>,
    pub offset: Option<u64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SetOp {
    Union,
    Intersect,
    Except,
}

#[derive(Debug, Clone, PartialEq)]
pub enum SetExpr {
    Select(Box<Select>),
    Op {
        op: SetOp,
        all: bool,
        left: Box<SetExpr>,
        right: Box<SetExpr>,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct Select {
    pub distinct: bool,
    pub top: Option<u64>,
    pub items: Vec<SelectItem>,
    pub from: Vec<TableRef>,
    pub filter: Option<Expr>,
    pub group_by: Vec<Expr>,
    pub having: Option<Expr>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum SelectItem {
    /// `*`
    All,
    /// `t.*`
    AllOf(Vec<Ident>),
    Expr {
        expr: Expr,
        alias: Option<Ident>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JoinKind {
    Inner,
    Left,
    Right,
    Full,
    Cross,
}

#[derive(Debug, Clone, PartialEq)]
pub enum JoinConstraint {
    On(Expr),
    Using(Vec<Ident>),
    Natural,
    None,
}

#[derive(Debug, Clone, PartialEq)]
pub enum TableRef {
    /// A table by (qualified) name.
    Table {
        name: Vec<Ident>,
        alias: Option<Ident>,
    },
    /// `(SELECT …) AS alias`
    Derived { query: Box<Query>, alias: Ident },
    Join {
        kind: JoinKind,
        left: Box<TableRef>,
        right: Box<TableRef>,
        constraint: JoinConstraint,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct OrderItem {
    pub expr: Expr,
    pub descending: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinOp {
    Or,
    And,
    Eq,
    NotEq,
    Lt,
    LtEq,
    Gt,
    GtEq,
    Plus,
    Minus,
    Times,
    Divide,
    Concat,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    /// A (qualified) column reference.
    Column(Vec<Ident>),
    Str(String),
    /// A numeric literal as written.
    Number(String),
    Null,
    Not(Box<Expr>),
    Negate(Box<Expr>),
    Binary {
        op: BinOp,
        left: Box<Expr>,
        right: Box<Expr>,
    },
    /// A function call; `star` for `COUNT(*)`.
    Function {
        name: Ident,
        args: Vec<Expr>,
        distinct: bool,
        star: bool,
    },
    Cast {
        expr: Box<Expr>,
        ty: String,
    },
    Case {
        operand: Option<Box<Expr>>,
        whens: Vec<(Expr, Expr)>,
        otherwise: Option<Box<Expr>>,
    },
    Between {
        expr: Box<Expr>,
        low: Box<Expr>,
        high: Box<Expr>,
        negated: bool,
    },
    Like {
        expr: Box<Expr>,
        pattern: Box<Expr>,
        negated: bool,
        case_insensitive: bool,
    },
    IsNull {
        expr: Box<Expr>,
        negated: bool,
    },
    InList {
        expr: Box<Expr>,
        list: Vec<Expr>,
        negated: bool,
    },
    InQuery {
        expr: Box<Expr>,
        query: Box<Query>,
        negated: bool,
    },
    Exists {
        query: Box<Query>,
        negated: bool,
    },
    /// A scalar subquery.
    Subquery(Box<Query>),
}
