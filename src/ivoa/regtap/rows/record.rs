//! A VOResource record read into a tree of elements (local names, attributes by local name,
//! text), its `xsi:type` values with their canonical prefixes, for the rows to be read from.

use std::collections::HashMap;

use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};

use super::{RowsError, Value, text};

/// An element of the record: local name, attributes by local name, text, children.
#[derive(Debug, Default, Clone)]
pub(super) struct El {
    pub(super) name: String,
    pub(super) attrs: Vec<(String, String)>,
    /// `xsi:type` with the canonical prefix of its namespace, lower-cased.
    pub(super) xsi_type: Option<String>,
    pub(super) text: String,
    pub(super) children: Vec<El>,
}

impl El {
    pub(super) fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    pub(super) fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a El> + 'a {
        self.children.iter().filter(move |c| c.name == name)
    }

    pub(super) fn first(&self, name: &str) -> Option<&El> {
        self.children.iter().find(|c| c.name == name)
    }

    /// The text of the first child `name`, normalised.
    pub(super) fn child_text(&self, name: &str) -> Value {
        self.first(name).map_or(Value::Null, |c| text(&c.text))
    }
}

/// The canonical prefixes of the VOResource family's namespaces.
fn canonical_prefix(uri: &str) -> Option<&'static str> {
    let base = uri.trim_end_matches('/');
    let table: &[(&str, &str)] = &[
        ("http://www.ivoa.net/xml/VOResource/", "vr"),
        ("http://www.ivoa.net/xml/VODataService/", "vs"),
        ("http://www.ivoa.net/xml/VORegistry/", "vg"),
        ("http://www.ivoa.net/xml/TAPRegExt/", "tr"),
        ("http://www.ivoa.net/xml/StandardsRegExt/", "vstd"),
        ("http://www.ivoa.net/xml/DocRegExt/", "doc"),
        ("http://www.ivoa.net/xml/ConeSearch/", "cs"),
        ("http://www.ivoa.net/xml/SIA/", "sia"),
        // Both SSA namespaces (v1.0, v1.1) are `ssap` (RegTAP 1.2, table 1).
        ("http://www.ivoa.net/xml/SSA/", "ssap"),
        ("http://www.ivoa.net/xml/SLAP/", "slap"),
        ("http://www.ivoa.net/xml/RegistryInterface/", "ri"),
    ];
    table
        .iter()
        .find(|(ns, _)| base.starts_with(ns))
        .map(|(_, p)| *p)
}

/// Parses the record into elements, resolving `xsi:type` prefixes.
pub(super) fn parse(xml: &str) -> Result<El, RowsError> {
    let mut reader = Reader::from_str(xml);
    let mut stack: Vec<El> = Vec::new();
    let mut scopes: Vec<HashMap<String, String>> = Vec::new();
    let mut root: Option<El> = None;
    let open = |e: &BytesStart<'_>, scopes: &mut Vec<HashMap<String, String>>| -> El {
        let mut ns = HashMap::new();
        let mut el = El {
            name: String::from_utf8_lossy(e.local_name().as_ref()).into_owned(),
            ..El::default()
        };
        let mut raw_type = None;
        for a in e.attributes().flatten() {
            let key = String::from_utf8_lossy(a.key.as_ref()).into_owned();
            let value = a
                .unescape_value()
                .map(|v| v.into_owned())
                .unwrap_or_default();
            if let Some(prefix) = key.strip_prefix("xmlns:") {
                ns.insert(prefix.to_owned(), value);
            } else if key == "xmlns" {
                ns.insert(String::new(), value);
            } else {
                let local = key.rsplit(':').next().unwrap_or(&key).to_owned();
                if local == "type" && key.contains(':') {
                    raw_type = Some(value.clone());
                }
                el.attrs.push((local, value));
            }
        }
        scopes.push(ns);
        if let Some(t) = raw_type {
            let (prefix, local) = t.split_once(':').unwrap_or(("", t.as_str()));
            let uri = scopes.iter().rev().find_map(|s| s.get(prefix));
            let canonical = uri.and_then(|u| canonical_prefix(u)).unwrap_or(prefix);
            el.xsi_type = Some(format!("{canonical}:{local}").to_ascii_lowercase());
        }
        el
    };
    loop {
        match reader
            .read_event()
            .map_err(|e| RowsError::Xml(format!("at byte {}: {e}", reader.error_position())))?
        {
            Event::Start(e) => {
                let el = open(&e, &mut scopes);
                stack.push(el);
            }
            Event::Empty(e) => {
                let el = open(&e, &mut scopes);
                scopes.pop();
                match stack.last_mut() {
                    Some(parent) => parent.children.push(el),
                    None => root = Some(el),
                }
            }
            Event::Text(t) => {
                if let Some(top) = stack.last_mut() {
                    top.text
                        .push_str(&t.unescape().map_err(|e| RowsError::Xml(e.to_string()))?);
                }
            }
            Event::CData(t) => {
                if let Some(top) = stack.last_mut() {
                    top.text.push_str(&String::from_utf8_lossy(&t));
                }
            }
            Event::End(_) => {
                scopes.pop();
                let Some(done) = stack.pop() else {
                    return Err(RowsError::Xml("unbalanced end tag".into()));
                };
                match stack.last_mut() {
                    Some(parent) => parent.children.push(done),
                    None => root = Some(done),
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    let root = root.ok_or_else(|| RowsError::NotAResource("the document is empty".into()))?;
    if !root.name.eq_ignore_ascii_case("resource") {
        return Err(RowsError::NotAResource(format!(
            "the root element is {}",
            root.name
        )));
    }
    Ok(root)
}
