//! ADQL and RegTAP functions in SQL for each backend: the standard functions, `ivo_hasword`
//! (full-text search where the table is certain), `ivo_hashlist_has`, `ivo_nocasematch`,
//! `ivo_string_agg` and the rest, with their arities checked; the geometry functions in
//! `geometry`.

use super::*;

impl Translator {
    /// Writes `f(a, b, …)` under the backend's name for it.
    pub(super) fn call(&mut self, name: &str, args: &[Expr]) -> R {
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
    pub(super) fn as_int(&mut self, cond: impl FnOnce(&mut Translator) -> R) -> R {
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

    pub(super) fn function(
        &mut self,
        name: &Ident,
        args: &[Expr],
        distinct: bool,
        star: bool,
    ) -> R {
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
            "contains" | "intersects" => self.spatial(lower == "contains", args)?,
            "point" | "circle" | "polygon" | "moc" => {
                return Err(TranslateError::Unsupported(format!(
                    "{} outside CONTAINS or INTERSECTS",
                    lower.to_ascii_uppercase()
                )));
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
pub(super) fn words_of(needle: &str) -> Vec<&str> {
    needle
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect()
}

/// The text of a `LIKE` pattern `%text%` (text of 3 characters or more, without wildcards or
/// escapes) as an FTS5 phrase.
pub(super) fn substring_phrase(pattern: &Expr) -> Option<String> {
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
pub(super) fn hasword_patterns(needle: &str) -> Vec<String> {
    words_of(needle)
        .into_iter()
        .map(|w| format!("(?i)(?:^|[^\\p{{L}}\\p{{N}}]){w}(?:[^\\p{{L}}\\p{{N}}]|$)"))
        .collect()
}
