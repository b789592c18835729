//! Escaping, in one place: text and attribute values for the HTML pages, the search
//! highlights and the XML documents orrery writes (quick-xml does the entity work).
//!
//! XML 1.0 cannot carry most C0 controls nor U+FFFE/U+FFFF even as character references, so
//! the XML forms write `?` for them; attribute values keep tabs, newlines and carriage returns
//! as character references (a parser would otherwise normalise them to spaces).

use std::borrow::Cow;

/// `s` safe in HTML text and in a quoted attribute value.
pub fn html(s: &str) -> Cow<'_, str> {
    quick_xml::escape::escape(s)
}

/// Whether `c` cannot stand in an XML 1.0 document at all.
fn not_xml(c: char) -> bool {
    matches!(c, '\u{0}'..='\u{8}' | '\u{b}' | '\u{c}' | '\u{e}'..='\u{1f}' | '\u{fffe}' | '\u{ffff}')
}

/// `s` as XML character data: `<`, `>` and `&` escaped, `\r` kept as a reference, characters
/// XML cannot hold as `?`.
pub fn xml_text(s: &str) -> Cow<'_, str> {
    xml(s, false)
}

/// `s` as an XML attribute value in double quotes: as `xml_text`, and `"`, tabs and newlines
/// as references.
pub fn xml_attr(s: &str) -> Cow<'_, str> {
    xml(s, true)
}

fn xml(s: &str, attr: bool) -> Cow<'_, str> {
    let special = |c: char| not_xml(c) || c == '\r' || (attr && matches!(c, '\t' | '\n' | '"'));
    // The entities first (`<`, `>`, `&` never stand for a special), then the rest.
    let escaped = quick_xml::escape::partial_escape(s);
    if !escaped.chars().any(special) {
        return escaped;
    }
    let mut out = String::with_capacity(escaped.len() + 16);
    for c in escaped.chars() {
        match c {
            '\r' => out.push_str("&#13;"),
            '\t' if attr => out.push_str("&#9;"),
            '\n' if attr => out.push_str("&#10;"),
            '"' if attr => out.push_str("&quot;"),
            c if not_xml(c) => out.push('?'),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_escapes_markup_and_quotes() {
        assert_eq!(html("a<b>&\"c'"), "a&lt;b&gt;&amp;&quot;c&apos;");
        assert!(matches!(html("plain"), Cow::Borrowed("plain")));
    }

    #[test]
    fn xml_text_and_attributes_survive_a_parser() {
        assert_eq!(xml_text("a<b>&\"'\t\n\r"), "a&lt;b&gt;&amp;\"'\t\n&#13;");
        assert_eq!(xml_attr("a\"b\t\n\r<"), "a&quot;b&#9;&#10;&#13;&lt;");
        assert_eq!(xml_text("x\u{1}y\u{fffe}z"), "x?y?z");
        assert!(matches!(xml_text("plain"), Cow::Borrowed("plain")));
    }
}
