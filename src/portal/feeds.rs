//! Any search as an Atom feed (`/search.atom`, with the OpenSearch response elements a feed
//! reader or an OpenSearch client reads: total, start index, items per page) and the
//! catalogue's OpenSearch description (`/opensearch.xml`), which browsers offer as a search
//! engine and which names the page, the feed and the suggestions.

use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesText, Event};

use super::search_page::{Searched, type_label};
use super::{Portal, Result};
use crate::access::Caller;

const NS_ATOM: &str = "http://www.w3.org/2005/Atom";
const NS_OPENSEARCH: &str = "http://a9.com/-/spec/opensearch/1.1/";

type W<'a> = Writer<&'a mut Vec<u8>>;
type R = std::io::Result<()>;

fn text(w: &mut W, name: &str, value: &str) -> R {
    w.create_element(name)
        .write_text_content(BytesText::new(value))?;
    Ok(())
}

fn link(w: &mut W, rel: &str, href: &str, kind: &str) -> R {
    w.create_element("link")
        .with_attribute(("rel", rel))
        .with_attribute(("href", href))
        .with_attribute(("type", kind))
        .write_empty()?;
    Ok(())
}

/// An RFC 3339 instant for a stored date (a bare date is midnight UTC).
fn instant(d: &str) -> String {
    match chrono::DateTime::parse_from_rfc3339(d) {
        Ok(t) => t
            .with_timezone(&chrono::Utc)
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        Err(_) => match chrono::NaiveDate::parse_from_str(d.get(..10).unwrap_or(d), "%Y-%m-%d") {
            Ok(day) => format!("{day}T00:00:00Z"),
            Err(_) => "1970-01-01T00:00:00Z".to_owned(),
        },
    }
}

/// A searched page as an Atom document.
fn atom(portal: &Portal, s: &Searched, created: &str) -> std::io::Result<Vec<u8>> {
    let base = &portal.site.base_url;
    let state = &s.state;
    let mut buf = Vec::new();
    let mut w = Writer::new(&mut buf);
    w.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
    let response = s.response.as_ref();
    let hits = response.map(|r| r.hits.as_slice()).unwrap_or_default();
    let total = response.map_or(0, |r| r.total);
    let updated = hits
        .iter()
        .filter_map(|h| h.date_modified.as_deref())
        .map(instant)
        .max()
        .unwrap_or_else(|| instant(created));
    let title = match state.q.trim() {
        "" => format!("{}: search", portal.site.name),
        q => format!("{}: {q}", portal.site.name),
    };
    let page = |n: usize| format!("{base}{}", state.at_page(n).href("/search.atom"));
    let last = super::search_page::pages_in(total, state.per_page);
    w.create_element("feed")
        .with_attribute(("xmlns", NS_ATOM))
        .with_attribute(("xmlns:opensearch", NS_OPENSEARCH))
        .write_inner_content(|w| {
            text(w, "title", &title)?;
            text(w, "id", &page(state.page))?;
            text(w, "updated", &updated)?;
            w.create_element("author")
                .write_inner_content(|w| text(w, "name", &portal.site.publisher))?;
            text(w, "generator", "orrery")?;
            link(w, "self", &page(state.page), "application/atom+xml")?;
            link(
                w,
                "alternate",
                &format!("{base}{}", state.href("/")),
                "text/html",
            )?;
            link(w, "first", &page(1), "application/atom+xml")?;
            if state.page > 1 {
                link(w, "previous", &page(state.page - 1), "application/atom+xml")?;
            }
            if state.page < last {
                link(w, "next", &page(state.page + 1), "application/atom+xml")?;
            }
            link(w, "last", &page(last), "application/atom+xml")?;
            link(
                w,
                "search",
                &format!("{base}/opensearch.xml"),
                "application/opensearchdescription+xml",
            )?;
            text(w, "opensearch:totalResults", &total.to_string())?;
            text(
                w,
                "opensearch:startIndex",
                &((state.page - 1) * state.per_page + 1).to_string(),
            )?;
            text(w, "opensearch:itemsPerPage", &state.per_page.to_string())?;
            w.create_element("opensearch:Query")
                .with_attribute(("role", "request"))
                .with_attribute(("searchTerms", state.q.trim()))
                .with_attribute(("startPage", state.page.to_string().as_str()))
                .write_empty()?;
            for h in hits {
                w.create_element("entry").write_inner_content(|w| {
                    text(w, "id", &format!("{base}/id/{}", h.id))?;
                    text(w, "title", &h.name)?;
                    text(
                        w,
                        "updated",
                        &instant(h.date_modified.as_deref().unwrap_or(created)),
                    )?;
                    link(
                        w,
                        "alternate",
                        &format!("{base}/assets/{}", h.id),
                        "text/html",
                    )?;
                    link(
                        w,
                        "related",
                        &format!("{base}/api/v1/assets/{}", h.id),
                        "application/json",
                    )?;
                    w.create_element("category")
                        .with_attribute(("term", h.kind.as_str()))
                        .with_attribute(("label", type_label(&h.kind)))
                        .write_empty()?;
                    for k in h.facets.get("keyword").into_iter().flatten() {
                        w.create_element("category")
                            .with_attribute(("term", k.as_str()))
                            .with_attribute(("scheme", format!("{base}/?keyword=").as_str()))
                            .write_empty()?;
                    }
                    if let Some(a) = &h.abstract_ {
                        w.create_element("summary")
                            .with_attribute(("type", "text"))
                            .write_text_content(BytesText::new(a))?;
                    }
                    Ok(())
                })?;
            }
            Ok(())
        })?;
    Ok(buf)
}

impl Portal {
    /// The Atom feed of the search `raw` asks for, as `caller`. Blocking.
    pub fn atom(&self, caller: &Caller, raw: Option<&str>) -> Result<Vec<u8>> {
        let (state, _) = super::state::PageState::parse(raw, None);
        let searched = self.run_strict(caller, raw, state)?;
        let created = self.catalog.store.created();
        Ok(atom(self, &searched, &created).unwrap_or_default())
    }

    /// The OpenSearch description of the catalogue.
    pub fn opensearch(&self) -> Vec<u8> {
        self.opensearch_xml().unwrap_or_default()
    }

    fn opensearch_xml(&self) -> std::io::Result<Vec<u8>> {
        let base = &self.site.base_url;
        let mut buf = Vec::new();
        let mut w = Writer::new(&mut buf);
        w.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
        let short: String = self.site.name.chars().take(16).collect();
        let url = |w: &mut W, kind: &str, template: String, rel: &str| -> R {
            w.create_element("Url")
                .with_attribute(("type", kind))
                .with_attribute(("rel", rel))
                .with_attribute(("template", template.as_str()))
                .write_empty()?;
            Ok(())
        };
        w.create_element("OpenSearchDescription")
            .with_attribute(("xmlns", NS_OPENSEARCH))
            .write_inner_content(|w| {
                text(w, "ShortName", &short)?;
                text(
                    w,
                    "Description",
                    &format!(
                        "Search the datalabs, pipelines, datasets and data volumes of {}",
                        self.site.publisher
                    ),
                )?;
                text(w, "Tags", "datalab pipeline dataset astronomy")?;
                url(
                    w,
                    "text/html",
                    format!("{base}/?q={{searchTerms}}"),
                    "results",
                )?;
                url(
                    w,
                    "application/atom+xml",
                    format!("{base}/search.atom?q={{searchTerms}}&page={{startPage?}}"),
                    "results",
                )?;
                url(
                    w,
                    "application/x-suggestions+json",
                    format!("{base}/api/v1/suggest?q={{searchTerms}}&format=opensearch"),
                    "suggestions",
                )?;
                url(
                    w,
                    "application/opensearchdescription+xml",
                    format!("{base}/opensearch.xml"),
                    "self",
                )?;
                text(w, "InputEncoding", "UTF-8")?;
                text(w, "OutputEncoding", "UTF-8")
            })?;
        Ok(buf)
    }
}

#[cfg(test)]
mod tests {
    use super::instant;

    #[test]
    fn dates_become_instants() {
        assert_eq!(instant("2024-05-01"), "2024-05-01T00:00:00Z");
        assert_eq!(instant("2024-05-01T10:00:00+02:00"), "2024-05-01T08:00:00Z");
        assert_eq!(instant("junk"), "1970-01-01T00:00:00Z");
    }
}
