//! An asset's Markdown description as HTML a page may carry: rendered by `pulldown-cmark`
//! (CommonMark with tables and strikethrough), then sanitised by `ammonia`, so that whatever an
//! author wrote — raw HTML, `javascript:` links, event attributes — cannot run in a reader's
//! browser. Links to other sites get `rel="noopener noreferrer nofollow"`; headings go two
//! levels down, under the page's own.

use pulldown_cmark::{Event, HeadingLevel, Options, Parser, Tag, TagEnd, html};

/// A heading of the description, two levels down: it sits under the page's `h1` and its
/// section's `h2`.
fn demoted(level: HeadingLevel) -> HeadingLevel {
    match level {
        HeadingLevel::H1 => HeadingLevel::H3,
        HeadingLevel::H2 => HeadingLevel::H4,
        HeadingLevel::H3 => HeadingLevel::H5,
        _ => HeadingLevel::H6,
    }
}

/// The sanitised HTML of `markdown`.
pub fn render(markdown: &str) -> String {
    let mut options = Options::empty();
    options.insert(Options::ENABLE_TABLES);
    options.insert(Options::ENABLE_STRIKETHROUGH);
    let mut raw = String::with_capacity(markdown.len() * 3 / 2);
    let events = Parser::new_ext(markdown, options).map(|e| match e {
        Event::Start(Tag::Heading {
            level,
            id,
            classes,
            attrs,
        }) => Event::Start(Tag::Heading {
            level: demoted(level),
            id,
            classes,
            attrs,
        }),
        Event::End(TagEnd::Heading(level)) => Event::End(TagEnd::Heading(demoted(level))),
        e => e,
    });
    html::push_html(&mut raw, events);
    ammonia::Builder::default()
        .link_rel(Some("noopener noreferrer nofollow"))
        .url_schemes(["http", "https", "mailto"].into())
        .clean(&raw)
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::render;

    #[test]
    fn markdown_is_rendered() {
        let html = render("**Gaia** DR3 in `ECSV`\n\n- one\n- two");
        assert!(html.contains("<strong>Gaia</strong>"), "{html}");
        assert!(html.contains("<code>ECSV</code>"), "{html}");
        assert!(html.contains("<li>two</li>"), "{html}");
    }

    #[test]
    fn headings_sit_under_the_section() {
        let html = render("# Title\n\n## Part");
        assert!(
            html.contains("<h3>Title</h3>") && html.contains("<h4>Part</h4>"),
            "{html}"
        );
    }

    #[test]
    fn nothing_an_author_writes_can_run() {
        let html = render(
            "<script>alert(1)</script> <img src=x onerror=alert(2)> [x](javascript:alert(3)) \
             <a href=\"https://example.org\" onclick=\"alert(4)\">y</a>",
        );
        for bad in ["<script", "onerror", "href=\"javascript:", "onclick"] {
            assert!(!html.contains(bad), "{bad} in {html}");
        }
        let link = render("[click](javascript:alert)");
        assert!(
            link.contains("click") && !link.contains("javascript"),
            "{link}"
        );
        assert!(
            html.contains("rel=\"noopener noreferrer nofollow\""),
            "{html}"
        );
    }
}
