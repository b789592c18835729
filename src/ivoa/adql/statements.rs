//! The statements of ADQL 2.1: a query with its common table expressions, set operations,
//! the select list, FROM with joins and subqueries, WHERE, GROUP BY, HAVING, ORDER BY, OFFSET.

use super::*;

impl Parser {
    pub(super) fn query(&mut self) -> Result<Query, ParseError> {
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

    pub(super) fn set_expr(&mut self) -> Result<SetExpr, ParseError> {
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
    pub(super) fn set_term(&mut self) -> Result<SetExpr, ParseError> {
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

    pub(super) fn set_primary(&mut self) -> Result<SetExpr, ParseError> {
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

    pub(super) fn select(&mut self) -> Result<Select, ParseError> {
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

    pub(super) fn select_item(&mut self) -> Result<SelectItem, ParseError> {
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

    pub(super) fn table_ref(&mut self) -> Result<TableRef, ParseError> {
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

    pub(super) fn table_primary(&mut self) -> Result<TableRef, ParseError> {
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
}
