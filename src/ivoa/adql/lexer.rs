//! ADQL tokens: identifiers (regular, case-insensitive; or delimited `"…"`, case-sensitive),
//! string literals (`'…'` with `''`), numbers, operators; `--` comments; every token with the
//! line and column where it starts, for error messages.

use super::ParseError;

/// A position in the query text (1-based).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pos {
    pub line: usize,
    pub column: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Tok {
    /// A regular identifier or keyword (as written).
    Word(String),
    /// A delimited identifier (quotes removed, `""` unescaped).
    Quoted(String),
    Str(String),
    /// An unsigned numeric literal, as written.
    Number(String),
    /// Punctuation and operators: `( ) , . * + - / || = <> != < > <= >= ;`
    Sym(&'static str),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Token {
    pub tok: Tok,
    pub pos: Pos,
}

/// Splits a query into tokens.
pub fn tokenize(text: &str) -> Result<Vec<Token>, ParseError> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let (mut i, mut line, mut col) = (0usize, 1usize, 1usize);
    let advance = |c: char, line: &mut usize, col: &mut usize| {
        if c == '\n' {
            *line += 1;
            *col = 1;
        } else {
            *col += 1;
        }
    };
    while i < chars.len() {
        let c = chars[i];
        let pos = Pos { line, column: col };
        if c.is_whitespace() {
            advance(c, &mut line, &mut col);
            i += 1;
            continue;
        }
        if c == '-' && chars.get(i + 1) == Some(&'-') {
            while i < chars.len() && chars[i] != '\n' {
                advance(chars[i], &mut line, &mut col);
                i += 1;
            }
            continue;
        }
        if c.is_ascii_alphabetic() {
            let start = i;
            while i < chars.len() && (chars[i].is_ascii_alphanumeric() || chars[i] == '_') {
                advance(chars[i], &mut line, &mut col);
                i += 1;
            }
            out.push(Token {
                tok: Tok::Word(chars[start..i].iter().collect()),
                pos,
            });
            continue;
        }
        if c == '"' || c == '\'' {
            let mut value = String::new();
            advance(c, &mut line, &mut col);
            i += 1;
            loop {
                match chars.get(i) {
                    None => {
                        let what = if c == '"' {
                            "delimited identifier"
                        } else {
                            "string"
                        };
                        return Err(ParseError::at(pos, format!("unterminated {what}")));
                    }
                    Some(&q) if q == c => {
                        if chars.get(i + 1) == Some(&c) {
                            value.push(c);
                            advance(q, &mut line, &mut col);
                            advance(q, &mut line, &mut col);
                            i += 2;
                        } else {
                            advance(q, &mut line, &mut col);
                            i += 1;
                            break;
                        }
                    }
                    Some(&other) => {
                        value.push(other);
                        advance(other, &mut line, &mut col);
                        i += 1;
                    }
                }
            }
            if c == '"' && value.is_empty() {
                return Err(ParseError::at(pos, "empty delimited identifier"));
            }
            out.push(Token {
                tok: if c == '"' {
                    Tok::Quoted(value)
                } else {
                    Tok::Str(value)
                },
                pos,
            });
            continue;
        }
        if c.is_ascii_digit() || (c == '.' && chars.get(i + 1).is_some_and(char::is_ascii_digit)) {
            let start = i;
            let mut seen_dot = false;
            while i < chars.len() && (chars[i].is_ascii_digit() || (chars[i] == '.' && !seen_dot)) {
                seen_dot |= chars[i] == '.';
                advance(chars[i], &mut line, &mut col);
                i += 1;
            }
            if i < chars.len() && (chars[i] == 'e' || chars[i] == 'E') {
                let mut j = i + 1;
                if j < chars.len() && (chars[j] == '+' || chars[j] == '-') {
                    j += 1;
                }
                if j < chars.len() && chars[j].is_ascii_digit() {
                    while j < chars.len() && chars[j].is_ascii_digit() {
                        j += 1;
                    }
                    while i < j {
                        advance(chars[i], &mut line, &mut col);
                        i += 1;
                    }
                }
            }
            if i < chars.len() && (chars[i].is_ascii_alphabetic() || chars[i] == '_') {
                return Err(ParseError::at(
                    Pos { line, column: col },
                    "a number runs into a name",
                ));
            }
            out.push(Token {
                tok: Tok::Number(chars[start..i].iter().collect()),
                pos,
            });
            continue;
        }
        let two: String = chars[i..(i + 2).min(chars.len())].iter().collect();
        let sym: Option<&'static str> = match two.as_str() {
            "||" => Some("||"),
            "<>" => Some("<>"),
            "!=" => Some("!="),
            "<=" => Some("<="),
            ">=" => Some(">="),
            _ => None,
        };
        if let Some(s) = sym {
            advance(c, &mut line, &mut col);
            advance(chars[i + 1], &mut line, &mut col);
            i += 2;
            out.push(Token {
                tok: Tok::Sym(s),
                pos,
            });
            continue;
        }
        let one: &'static str = match c {
            '(' => "(",
            ')' => ")",
            ',' => ",",
            '.' => ".",
            '*' => "*",
            '+' => "+",
            '-' => "-",
            '/' => "/",
            '=' => "=",
            '<' => "<",
            '>' => ">",
            ';' => ";",
            other => {
                return Err(ParseError::at(
                    pos,
                    format!("unexpected character {other:?}"),
                ));
            }
        };
        advance(c, &mut line, &mut col);
        i += 1;
        out.push(Token {
            tok: Tok::Sym(one),
            pos,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_with_positions() {
        let t =
            tokenize("SELECT \"size\", 'it''s' -- note\n FROM rr.resource WHERE x<>1.5E3").unwrap();
        assert_eq!(t[0].tok, Tok::Word("SELECT".into()));
        assert_eq!(t[1].tok, Tok::Quoted("size".into()));
        assert_eq!(t[3].tok, Tok::Str("it's".into()));
        assert_eq!(t[4].tok, Tok::Word("FROM".into()));
        assert_eq!(t[4].pos, Pos { line: 2, column: 2 });
        assert!(t.iter().any(|x| x.tok == Tok::Sym("<>")));
        assert_eq!(t.last().unwrap().tok, Tok::Number("1.5E3".into()));
    }

    #[test]
    fn errors_name_the_position() {
        let e = tokenize("SELECT 'abc").unwrap_err();
        assert_eq!((e.line, e.column), (1, 8));
        let e = tokenize("SELECT a\n  FROM t WHERE x ? 1").unwrap_err();
        assert_eq!((e.line, e.column), (2, 18));
        assert!(tokenize("SELECT 12abc").is_err());
        assert!(tokenize("SELECT \"\"").is_err());
    }
}
