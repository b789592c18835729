//! Reading other registries' OAI-PMH `ListRecords` responses (the harvesting side of OAI-PMH).
//!
//! A page gives its records — header (identifier, datestamp, deleted or not) and, for live
//! records, the metadata element cut out verbatim as a standalone XML document (the namespace
//! prefixes it borrows from the envelope are declared on it) — and the resumption token, if
//! the list goes on.

use quick_xml::Reader;
use quick_xml::events::Event;

use crate::ivoa::xml::{attr, cut_out, name, prefixes};

/// One record of a page.
#[derive(Debug, Clone, PartialEq)]
pub struct Harvested {
    pub identifier: String,
    pub datestamp: String,
    pub deleted: bool,
    /// The metadata's root element as a document (absent for deleted records).
    pub metadata: Option<String>,
}

/// One `ListRecords` response.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Page {
    pub response_date: String,
    pub records: Vec<Harvested>,
    /// The token of the next page (absent or empty on the last one).
    pub token: Option<String>,
    pub complete_list_size: Option<u64>,
}

/// Why a response is not a page.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PageError {
    #[error("the response is not OAI-PMH XML: {0}")]
    Xml(String),
    /// An OAI-PMH error (`noRecordsMatch` means an empty list, not a failure).
    #[error("the registry answered {code}: {message}")]
    Oai { code: String, message: String },
}

/// Parses one `ListRecords` response.
pub fn parse_page(xml: &str) -> Result<Page, PageError> {
    let mut reader = Reader::from_str(xml);
    let mut page = Page::default();
    let mut path: Vec<String> = Vec::new();
    // Namespace prefixes declared by each open element.
    let mut scopes: Vec<Vec<(String, String)>> = Vec::new();
    let mut text = String::new();
    let mut error: Option<(String, String)> = None;
    let mut record: Option<Harvested> = None;
    let mut root_seen = false;
    loop {
        let before = reader.buffer_position() as usize;
        let event = reader
            .read_event()
            .map_err(|e| PageError::Xml(format!("at byte {}: {e}", reader.error_position())))?;
        match event {
            Event::Start(e) => {
                let n = name(&e);
                if !root_seen {
                    root_seen = true;
                    if n != "OAI-PMH" {
                        return Err(PageError::Xml(format!("the root element is {n}")));
                    }
                }
                if path.last().map(String::as_str) == Some("metadata") && path.len() == 4 {
                    // The metadata root: cut it out whole.
                    let doc =
                        cut_out(&mut reader, xml, before, &e, &scopes).map_err(PageError::Xml)?;
                    if let Some(r) = record.as_mut() {
                        r.metadata = Some(doc);
                    }
                    continue;
                }
                match n.as_str() {
                    "record" => record = Some(empty_record()),
                    "header" if attr(&e, "status").as_deref() == Some("deleted") => {
                        if let Some(r) = record.as_mut() {
                            r.deleted = true;
                        }
                    }
                    "resumptionToken" => {
                        page.complete_list_size =
                            attr(&e, "completeListSize").and_then(|v| v.parse().ok());
                    }
                    "error" => error = Some((attr(&e, "code").unwrap_or_default(), String::new())),
                    _ => {}
                }
                scopes.push(prefixes(&e));
                path.push(n);
                text.clear();
            }
            Event::Empty(e) => {
                if name(&e) == "resumptionToken" {
                    page.complete_list_size =
                        attr(&e, "completeListSize").and_then(|v| v.parse().ok());
                } else if name(&e) == "error" {
                    error = Some((attr(&e, "code").unwrap_or_default(), String::new()));
                }
            }
            Event::Text(t) => {
                text.push_str(&t.unescape().map_err(|e| PageError::Xml(e.to_string()))?)
            }
            Event::End(_) => {
                let value = text.trim().to_owned();
                match path.last().map(String::as_str) {
                    Some("responseDate") => page.response_date = value,
                    Some("identifier") if path.len() == 5 => {
                        if let Some(r) = record.as_mut() {
                            r.identifier = value;
                        }
                    }
                    Some("datestamp") if path.len() == 5 => {
                        if let Some(r) = record.as_mut() {
                            r.datestamp = value;
                        }
                    }
                    Some("record") => {
                        if let Some(r) = record.take() {
                            page.records.push(r);
                        }
                    }
                    Some("resumptionToken") => page.token = Some(value).filter(|t| !t.is_empty()),
                    Some("error") => {
                        if let Some(e) = error.as_mut() {
                            e.1 = value;
                        }
                    }
                    _ => {}
                }
                path.pop();
                scopes.pop();
                text.clear();
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if !root_seen {
        return Err(PageError::Xml("the response is empty".into()));
    }
    if let Some((code, message)) = error {
        return Err(PageError::Oai { code, message });
    }
    Ok(page)
}

fn empty_record() -> Harvested {
    Harvested {
        identifier: String::new(),
        datestamp: String::new(),
        deleted: false,
        metadata: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PAGE: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/" xmlns:ri="http://www.ivoa.net/xml/RegistryInterface/v1.0" xmlns:vr="http://www.ivoa.net/xml/VOResource/v1.0">
  <responseDate>2026-01-02T03:04:05Z</responseDate>
  <request verb="ListRecords">http://x/oai</request>
  <ListRecords>
    <record><header><identifier>ivo://x.org/a</identifier><datestamp>2026-01-01T00:00:00Z</datestamp></header>
      <metadata><ri:Resource xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="vr:Organisation" status="active" created="2020-01-01T00:00:00" updated="2020-01-01T00:00:00" xmlns=""><title>A &amp; B</title><identifier>ivo://x.org/a</identifier></ri:Resource></metadata>
    </record>
    <record><header status="deleted"><identifier>ivo://x.org/b</identifier><datestamp>2026-01-01T00:00:00Z</datestamp></header></record>
    <resumptionToken completeListSize="10" cursor="0">tok&amp;1</resumptionToken>
  </ListRecords>
</OAI-PMH>"#;

    #[test]
    fn reads_records_deletions_and_the_token() {
        let p = parse_page(PAGE).unwrap();
        assert_eq!(p.response_date, "2026-01-02T03:04:05Z");
        assert_eq!(p.token.as_deref(), Some("tok&1"));
        assert_eq!(p.complete_list_size, Some(10));
        assert_eq!(p.records.len(), 2);
        assert_eq!(p.records[0].identifier, "ivo://x.org/a");
        assert!(!p.records[0].deleted);
        let m = p.records[0].metadata.as_deref().unwrap();
        assert!(
            m.contains("xmlns:ri=\"http://www.ivoa.net/xml/RegistryInterface/v1.0\""),
            "{m}"
        );
        assert!(m.contains("xmlns:vr="), "{m}");
        assert!(m.ends_with("</ri:Resource>"), "{m}");
        assert!(m.contains("<title>A &amp; B</title>"), "{m}");
        assert!(p.records[1].deleted);
        assert_eq!(p.records[1].metadata, None);
    }

    #[test]
    fn errors_are_reported_with_their_code() {
        let xml = r#"<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/"><responseDate>x</responseDate><error code="noRecordsMatch">none</error></OAI-PMH>"#;
        assert_eq!(
            parse_page(xml),
            Err(PageError::Oai {
                code: "noRecordsMatch".into(),
                message: "none".into()
            })
        );
        assert!(parse_page("<html/>").is_err());
        assert!(parse_page("not xml <").is_err());
        assert!(parse_page("").is_err());
    }
}
