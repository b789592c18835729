//! The `LABEL`s of a Dockerfile (or Containerfile): a datalab package is often a Dockerfile
//! whose labels already say what the image is (`org.opencontainers.image.title` …).
//!
//! Only what Docker's own parser accepts for `LABEL` is read: `key=value` pairs (values bare,
//! double- or single-quoted), several on one instruction, lines continued with a trailing
//! backslash (or the escape character a `# escape=` directive chooses), comments and blank
//! lines between continued lines, and the older one-pair form `LABEL key value`. A value that
//! still holds a `$` substitution is left out: what it stands for is known only at build time.

/// The labels, in the order they appear (a later label of the same key wins, as in Docker),
/// and a notice for each value left out.
pub fn labels(text: &str) -> (Vec<(String, String)>, Vec<String>) {
    let escape = escape_char(text);
    let mut out: Vec<(String, String)> = Vec::new();
    let mut notices = Vec::new();
    for instruction in instructions(text, escape) {
        let trimmed = instruction.trim_start();
        let Some((word, rest)) = trimmed.split_once(char::is_whitespace) else {
            continue;
        };
        if !word.eq_ignore_ascii_case("LABEL") {
            continue;
        }
        for (k, v) in pairs(rest.trim(), escape) {
            if v.contains('$') {
                notices.push(format!(
                    "the Dockerfile's label {k} is set from a build argument ({v}): left out"
                ));
                continue;
            }
            out.retain(|(key, _)| *key != k);
            out.push((k, v));
        }
    }
    (out, notices)
}

/// The escape character of a `# escape=` parser directive at the top of the file.
fn escape_char(text: &str) -> char {
    for line in text.lines() {
        let l = line.trim();
        let Some(directive) = l.strip_prefix('#') else {
            break;
        };
        let Some((name, value)) = directive.split_once('=') else {
            break;
        };
        if name.trim().eq_ignore_ascii_case("escape") {
            return match value.trim() {
                "`" => '`',
                _ => '\\',
            };
        }
    }
    '\\'
}

/// The instructions of the file, each with its continuation lines joined.
fn instructions(text: &str, escape: char) -> Vec<String> {
    let mut out = Vec::new();
    let mut current: Option<String> = None;
    for line in text.lines() {
        let t = line.trim();
        if current.is_some() && (t.is_empty() || t.starts_with('#')) {
            continue;
        }
        if current.is_none() && (t.is_empty() || t.starts_with('#')) {
            continue;
        }
        let (body, continued) = match t.strip_suffix(escape) {
            Some(b) => (b, true),
            None => (t, false),
        };
        let acc = current.get_or_insert_with(String::new);
        if !acc.is_empty() {
            acc.push(' ');
        }
        acc.push_str(body);
        if !continued && let Some(done) = current.take() {
            out.push(done);
        }
    }
    out.extend(current);
    out
}

/// The `key=value` pairs of a `LABEL` instruction (or its one `key value` pair).
fn pairs(rest: &str, escape: char) -> Vec<(String, String)> {
    let words = words(rest, escape);
    if words.iter().all(|(w, _)| !w.contains('=')) {
        // The older form: the first word is the key, the rest the value.
        let mut it = words.into_iter();
        return match it.next() {
            Some((k, _)) => {
                let v: Vec<String> = it.map(|(w, _)| w).collect();
                vec![(k, v.join(" "))]
            }
            None => Vec::new(),
        };
    }
    words
        .into_iter()
        .filter_map(|(w, eq)| {
            let at = eq?;
            let (k, v) = (w[..at].to_owned(), w[at + 1..].to_owned());
            (!k.is_empty()).then_some((k, v))
        })
        .collect()
}

/// The words of an instruction with their quotes removed, each with where its first unquoted
/// `=` stood (in the unquoted word).
fn words(s: &str, escape: char) -> Vec<(String, Option<usize>)> {
    let mut out = Vec::new();
    let mut word = String::new();
    let mut eq: Option<usize> = None;
    let mut started = false;
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            c if c.is_whitespace() => {
                if started {
                    out.push((std::mem::take(&mut word), eq.take()));
                    started = false;
                }
            }
            '"' | '\'' => {
                started = true;
                let quote = c;
                while let Some(q) = chars.next() {
                    if q == quote {
                        break;
                    }
                    if q == escape
                        && quote == '"'
                        && let Some(&n) = chars.peek()
                    {
                        word.push(n);
                        chars.next();
                        continue;
                    }
                    word.push(q);
                }
            }
            c if c == escape => {
                started = true;
                if let Some(n) = chars.next() {
                    word.push(n);
                }
            }
            '=' => {
                started = true;
                if eq.is_none() {
                    eq = Some(word.len());
                }
                word.push('=');
            }
            c => {
                started = true;
                word.push(c);
            }
        }
    }
    if started {
        out.push((word, eq));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_labels_as_docker_does() {
        let text = r#"# syntax=docker/dockerfile:1
FROM jupyter/scipy-notebook:2024-01-15
ARG VERSION=1.2
LABEL org.opencontainers.image.title="Euclid DPS lab" \
      # a comment between continued lines
      org.opencontainers.image.version=$VERSION \
      org.opencontainers.image.licenses='Apache-2.0'
LABEL maintainer Jane Doe <jane@example.org>
label org.opencontainers.image.description="Says \"hello\"; and a=b"
LABEL org.opencontainers.image.title=Euclid\ lab
RUN echo LABEL not=this
"#;
        let (labels, notices) = labels(text);
        assert_eq!(
            labels,
            vec![
                (
                    "org.opencontainers.image.licenses".to_owned(),
                    "Apache-2.0".to_owned()
                ),
                (
                    "maintainer".to_owned(),
                    "Jane Doe <jane@example.org>".to_owned()
                ),
                (
                    "org.opencontainers.image.description".to_owned(),
                    "Says \"hello\"; and a=b".to_owned()
                ),
                (
                    "org.opencontainers.image.title".to_owned(),
                    "Euclid lab".to_owned()
                ),
            ]
        );
        assert_eq!(notices.len(), 1, "{notices:?}");
        assert!(notices[0].contains("org.opencontainers.image.version"));
    }

    #[test]
    fn a_backtick_escape() {
        let text = "# escape=`\nFROM x\nLABEL a=\"1\" `\n  b=2\n";
        assert_eq!(
            labels(text).0,
            vec![("a".into(), "1".into()), ("b".into(), "2".into())]
        );
    }

    #[test]
    fn nothing_breaks_it() {
        for t in [
            "LABEL",
            "LABEL =",
            "LABEL \"",
            "LABEL a=\"",
            "LABEL \\",
            "\\",
        ] {
            let _ = labels(t);
        }
    }
}
