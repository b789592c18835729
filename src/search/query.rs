//! The search box's query language, parsed into a tree.
//!
//! What people already type into search engines: free words (all required), `"phrases"`,
//! `field:value` and `field:"a phrase"`, `AND`, `OR`, `NOT`, `-term`, `+term`, `prefix*` and
//! parentheses. Operators are upper case (`and`, `or` and `not` in lower case are words).
//! Errors name the 1-based character position. The parser bounds the input (length, terms,
//! nesting) so that no query can exhaust the stack or the planner.

/// Longest query accepted, in characters.
pub const MAX_CHARS: usize = 1_000;
/// Most terms (words, phrases, fielded terms) in one query.
pub const MAX_TERMS: usize = 64;
/// Deepest nesting of parentheses.
pub const MAX_DEPTH: usize = 16;

/// A term's value.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Word(String),
    Phrase(String),
    Prefix(String),
}

/// The query tree.
#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    /// Every child must match.
    And(Vec<Node>),
    /// At least one child must match.
    Or(Vec<Node>),
    /// Must not match.
    Not(Box<Node>),
    /// A free term.
    Term { value: Value, position: usize },
    /// A fielded term.
    Field {
        field: String,
        value: Value,
        position: usize,
    },
}

/// A syntax error.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("at position {position}: {message}")]
pub struct SyntaxError {
    pub position: usize,
    pub message: String,
}

fn err<T>(position: usize, message: impl Into<String>) -> Result<T, SyntaxError> {
    Err(SyntaxError {
        position,
        message: message.into(),
    })
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Open,
    Close,
    And,
    Or,
    Not,
    Minus,
    Plus,
    Term(Value),
    Field(String, Value),
}

fn lex(input: &str) -> Result<Vec<(usize, Tok)>, SyntaxError> {
    let chars: Vec<char> = input.chars().collect();
    if chars.len() > MAX_CHARS {
        return err(
            MAX_CHARS + 1,
            format!("the query is longer than {MAX_CHARS} characters"),
        );
    }
    let mut out = Vec::new();
    let mut i = 0;
    let quoted = |i: usize| -> Result<(String, usize), SyntaxError> {
        // chars[i] is the opening quote.
        let mut j = i + 1;
        let mut text = String::new();
        while j < chars.len() && chars[j] != '"' {
            text.push(chars[j]);
            j += 1;
        }
        if j == chars.len() {
            return err(i + 1, "unbalanced quote: this phrase is never closed");
        }
        Ok((text, j + 1))
    };
    while i < chars.len() {
        let c = chars[i];
        let pos = i + 1;
        if c.is_whitespace() {
            i += 1;
        } else if c == '(' {
            out.push((pos, Tok::Open));
            i += 1;
        } else if c == ')' {
            out.push((pos, Tok::Close));
            i += 1;
        } else if c == '"' {
            let (text, next) = quoted(i)?;
            out.push((pos, Tok::Term(Value::Phrase(text))));
            i = next;
        } else if (c == '-' || c == '+')
            && chars
                .get(i + 1)
                .is_some_and(|n| !n.is_whitespace() && *n != ')')
            && (i == 0 || chars[i - 1].is_whitespace() || chars[i - 1] == '(')
        {
            out.push((pos, if c == '-' { Tok::Minus } else { Tok::Plus }));
            i += 1;
        } else {
            let start = i;
            while i < chars.len()
                && !chars[i].is_whitespace()
                && !matches!(chars[i], '(' | ')' | '"')
            {
                i += 1;
            }
            let word: String = chars[start..i].iter().collect();
            match word.as_str() {
                "AND" | "&&" => out.push((pos, Tok::And)),
                "OR" | "||" => out.push((pos, Tok::Or)),
                "NOT" => out.push((pos, Tok::Not)),
                _ => {
                    if let Some((field, value)) = split_field(&word) {
                        let value = if value.is_empty() {
                            if chars.get(i) == Some(&'"') {
                                let (text, next) = quoted(i)?;
                                i = next;
                                Value::Phrase(text)
                            } else {
                                return err(pos, format!("{field}: needs a value"));
                            }
                        } else {
                            word_value(value, pos + field.chars().count() + 1)?
                        };
                        out.push((pos, Tok::Field(field.to_owned(), value)));
                    } else {
                        out.push((pos, Tok::Term(word_value(&word, pos)?)));
                    }
                }
            }
        }
    }
    Ok(out)
}

/// `field:value` when the part before the first colon is a field name.
fn split_field(word: &str) -> Option<(&str, &str)> {
    let (field, value) = word.split_once(':')?;
    (!field.is_empty() && field.chars().all(|c| c.is_ascii_alphabetic())).then_some((field, value))
}

fn word_value(word: &str, pos: usize) -> Result<Value, SyntaxError> {
    if let Some(stem) = word.strip_suffix('*') {
        if stem.is_empty() || stem.contains('*') {
            return err(pos, "a prefix needs at least one character before '*'");
        }
        return Ok(Value::Prefix(stem.to_owned()));
    }
    if word.contains('*') {
        return err(pos, "'*' is only allowed at the end of a word");
    }
    Ok(Value::Word(word.to_owned()))
}

struct Parser {
    toks: Vec<(usize, Tok)>,
    at: usize,
    end: usize,
    terms: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.at).map(|(_, t)| t)
    }

    fn pos(&self) -> usize {
        self.toks.get(self.at).map_or(self.end, |(p, _)| *p)
    }

    fn or(&mut self, depth: usize) -> Result<Node, SyntaxError> {
        let mut alts = vec![self.and(depth)?];
        while self.peek() == Some(&Tok::Or) {
            self.at += 1;
            alts.push(self.and(depth)?);
        }
        Ok(if alts.len() == 1 {
            alts.remove(0)
        } else {
            Node::Or(alts)
        })
    }

    fn and(&mut self, depth: usize) -> Result<Node, SyntaxError> {
        let mut parts = vec![self.unary(depth)?];
        loop {
            match self.peek() {
                None | Some(Tok::Or) | Some(Tok::Close) => break,
                Some(Tok::And) => {
                    self.at += 1;
                    parts.push(self.unary(depth)?);
                }
                Some(_) => parts.push(self.unary(depth)?),
            }
        }
        Ok(if parts.len() == 1 {
            parts.remove(0)
        } else {
            Node::And(parts)
        })
    }

    fn unary(&mut self, depth: usize) -> Result<Node, SyntaxError> {
        match self.peek() {
            Some(Tok::Not) | Some(Tok::Minus) => {
                self.at += 1;
                Ok(Node::Not(Box::new(self.unary(depth)?)))
            }
            Some(Tok::Plus) => {
                self.at += 1;
                self.primary(depth)
            }
            _ => self.primary(depth),
        }
    }

    fn primary(&mut self, depth: usize) -> Result<Node, SyntaxError> {
        let pos = self.pos();
        let Some((_, tok)) = self.toks.get(self.at).cloned() else {
            return err(pos, "the query ends where a term was expected");
        };
        self.at += 1;
        match tok {
            Tok::Open => {
                if depth >= MAX_DEPTH {
                    return err(pos, format!("parentheses nest deeper than {MAX_DEPTH}"));
                }
                if self.peek() == Some(&Tok::Close) {
                    return err(pos, "empty parentheses");
                }
                let inner = self.or(depth + 1)?;
                if self.peek() != Some(&Tok::Close) {
                    return err(pos, "unbalanced parenthesis: this one is never closed");
                }
                self.at += 1;
                Ok(inner)
            }
            Tok::Close => err(pos, "unbalanced parenthesis: nothing to close here"),
            Tok::And | Tok::Or => err(pos, "an operator needs a term on each side"),
            Tok::Not | Tok::Minus | Tok::Plus => err(pos, "an operator needs a term after it"),
            Tok::Term(value) => {
                self.count(pos)?;
                Ok(Node::Term {
                    value,
                    position: pos,
                })
            }
            Tok::Field(field, value) => {
                self.count(pos)?;
                Ok(Node::Field {
                    field,
                    value,
                    position: pos,
                })
            }
        }
    }

    fn count(&mut self, pos: usize) -> Result<(), SyntaxError> {
        self.terms += 1;
        if self.terms > MAX_TERMS {
            return err(pos, format!("more than {MAX_TERMS} terms"));
        }
        Ok(())
    }
}

/// Parses a query; `None` for a query with no terms (match everything).
pub fn parse(input: &str) -> Result<Option<Node>, SyntaxError> {
    let toks = lex(input)?;
    if toks.is_empty() {
        return Ok(None);
    }
    let mut p = Parser {
        toks,
        at: 0,
        end: input.chars().count() + 1,
        terms: 0,
    };
    let node = p.or(0)?;
    if let Some((pos, tok)) = p.toks.get(p.at) {
        return match tok {
            Tok::Close => err(*pos, "unbalanced parenthesis: nothing to close here"),
            _ => err(*pos, "unexpected token"),
        };
    }
    Ok(Some(node))
}

/// A fielded term the whole query requires (`type:datalab` at the top level, not negated, not
/// in parentheses, in a query with no top-level `OR`), with the query without it, so that a
/// search page can show it as a filter and offer to remove it.
#[derive(Debug, Clone, PartialEq)]
pub struct RequiredField {
    pub field: String,
    pub value: String,
    /// The input without this term (an `AND` joining it to the rest removed with it, the spaces
    /// around it collapsed); it always parses.
    pub without: String,
}

/// The required fielded terms of a query that parses; none of one that does not.
pub fn required_fields(input: &str) -> Vec<RequiredField> {
    let Ok(toks) = lex(input) else {
        return Vec::new();
    };
    if parse(input).is_err() {
        return Vec::new();
    }
    // `OR` binds looser than `AND`: with one at the top level, no term is required by itself.
    let mut depth = 0usize;
    for (_, tok) in &toks {
        match tok {
            Tok::Open => depth += 1,
            Tok::Close => depth = depth.saturating_sub(1),
            Tok::Or if depth == 0 => return Vec::new(),
            _ => {}
        }
    }
    let chars: Vec<char> = input.chars().collect();
    // Where token `i` starts in `chars` (positions are 1-based), and where the input ends.
    let at = |i: usize| toks.get(i).map_or(chars.len(), |(p, _)| p - 1);
    let mut depth = 0usize;
    let mut out = Vec::new();
    for (i, (_, tok)) in toks.iter().enumerate() {
        match tok {
            Tok::Open => depth += 1,
            Tok::Close => depth = depth.saturating_sub(1),
            Tok::Field(field, value) if depth == 0 => {
                // The operators written before the term: a `+` is kept with it, a `-` or
                // `NOT` anywhere before it negates it.
                let mut first = i;
                while first > 0 && matches!(toks[first - 1].1, Tok::Plus | Tok::Minus | Tok::Not) {
                    first -= 1;
                }
                if toks[first..i]
                    .iter()
                    .any(|(_, t)| matches!(t, Tok::Minus | Tok::Not))
                {
                    continue;
                }
                let mut last = i + 1;
                // An `AND` joining the term to the rest goes with it.
                if first > 0 && matches!(toks[first - 1].1, Tok::And) {
                    first -= 1;
                } else if matches!(toks.get(last).map(|t| &t.1), Some(Tok::And)) {
                    last += 1;
                }
                let rest: String = chars[..at(first)]
                    .iter()
                    .chain(&chars[at(last)..])
                    .collect();
                let without = rest.split_whitespace().collect::<Vec<_>>().join(" ");
                if parse(&without).is_err() {
                    continue;
                }
                let value = match value {
                    Value::Word(w) | Value::Phrase(w) => w.clone(),
                    Value::Prefix(p) => format!("{p}*"),
                };
                out.push(RequiredField {
                    field: field.clone(),
                    value,
                    without,
                });
            }
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn word(w: &str, position: usize) -> Node {
        Node::Term {
            value: Value::Word(w.into()),
            position,
        }
    }

    #[test]
    fn required_fields_name_the_filters_typed_in_the_box() {
        let f = required_fields(r#"GOCE type:datalab property:"Analysis Tool" -mission:Gaia"#);
        assert_eq!(f.len(), 2, "{f:?}");
        assert_eq!(
            (f[0].field.as_str(), f[0].value.as_str()),
            ("type", "datalab")
        );
        assert_eq!(
            f[0].without,
            r#"GOCE property:"Analysis Tool" -mission:Gaia"#
        );
        assert_eq!(f[1].value, "Analysis Tool");
        assert_eq!(f[1].without, "GOCE type:datalab -mission:Gaia");
        assert!(required_fields("type:datalab OR type:pipeline").is_empty());
        assert!(required_fields("(type:datalab gaia)").is_empty());
        assert!(required_fields("NOT type:datalab").is_empty());
        assert!(required_fields(r#"type:"unclosed"#).is_empty());
        assert_eq!(required_fields("+type:dataset x")[0].without, "x");
        // OR binds looser than AND: nothing is required on its own.
        assert!(required_fields("type:datalab gaia OR goce").is_empty());
        assert!(required_fields("NOT +type:x gaia").is_empty());
        // An AND joining the term goes with it, so the rest still parses.
        assert_eq!(required_fields("gaia AND type:x")[0].without, "gaia");
        assert_eq!(required_fields("type:x AND gaia")[0].without, "gaia");
        assert_eq!(required_fields("type:x")[0].without, "");
    }

    #[test]
    fn portal_query() {
        let q = parse(r#"GOCE type:datalab property:"Analysis Tool""#)
            .unwrap()
            .unwrap();
        assert_eq!(
            q,
            Node::And(vec![
                word("GOCE", 1),
                Node::Field {
                    field: "type".into(),
                    value: Value::Word("datalab".into()),
                    position: 6
                },
                Node::Field {
                    field: "property".into(),
                    value: Value::Phrase("Analysis Tool".into()),
                    position: 19
                },
            ])
        );
    }

    #[test]
    fn operators_and_precedence() {
        let q = parse("a OR b c -d NOT (e*)").unwrap().unwrap();
        assert_eq!(
            q,
            Node::Or(vec![
                word("a", 1),
                Node::And(vec![
                    word("b", 6),
                    word("c", 8),
                    Node::Not(Box::new(word("d", 11))),
                    Node::Not(Box::new(Node::Term {
                        value: Value::Prefix("e".into()),
                        position: 18
                    })),
                ]),
            ])
        );
        assert_eq!(parse("x-ray").unwrap().unwrap(), word("x-ray", 1));
        assert_eq!(parse("  ").unwrap(), None);
    }

    #[test]
    fn errors_name_the_position() {
        let e = parse(r#"gaia "deep field"#).unwrap_err();
        assert_eq!(e.position, 6);
        let e = parse("(gaia OR planck").unwrap_err();
        assert_eq!(e.position, 1);
        let e = parse("gaia)").unwrap_err();
        assert_eq!(e.position, 5);
        let e = parse("gaia OR").unwrap_err();
        assert_eq!(e.position, 8);
        let e = parse("ga*ia").unwrap_err();
        assert_eq!(e.position, 1);
        assert!(parse(&"(".repeat(40)).is_err());
        assert!(parse(&"a ".repeat(100)).is_err());
        assert!(parse(&"a".repeat(2000)).is_err());
    }
}
