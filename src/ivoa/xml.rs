//! Reading XML of other registries with quick-xml: local names, attributes by local name, and
//! an element cut out of a larger document as a standalone one (OAI-PMH envelopes carry
//! VOResource records whose namespace prefixes are declared on the envelope).

use quick_xml::Reader;
use quick_xml::events::BytesStart;

/// An element's local name.
pub fn name(e: &BytesStart<'_>) -> String {
    String::from_utf8_lossy(e.local_name().as_ref()).into_owned()
}

/// The value of an element's attribute, by local name (`xsi:type` is found as `type`).
pub fn attr(e: &BytesStart<'_>, local: &str) -> Option<String> {
    e.attributes().flatten().find_map(|a| {
        let key = a.key.as_ref();
        let name = key.rsplit(|&b| b == b':').next().unwrap_or(key);
        (name == local.as_bytes())
            .then(|| a.unescape_value().ok().map(|v| v.into_owned()))
            .flatten()
    })
}

/// The `xmlns:prefix` declarations of an element.
pub fn prefixes(e: &BytesStart<'_>) -> Vec<(String, String)> {
    e.attributes()
        .flatten()
        .filter_map(|a| {
            let key = String::from_utf8_lossy(a.key.as_ref()).into_owned();
            let prefix = key.strip_prefix("xmlns:")?.to_owned();
            let value = a.unescape_value().ok()?.into_owned();
            Some((prefix, value))
        })
        .collect()
}

/// The element `e` (whose start tag begins at byte `before` of `xml`) with all its content, as
/// a standalone document declaring the prefixes it borrows from its ancestors (`scopes`); the
/// reader is left after its end tag.
pub fn cut_out(
    reader: &mut Reader<&[u8]>,
    xml: &str,
    before: usize,
    e: &BytesStart<'_>,
    scopes: &[Vec<(String, String)>],
) -> Result<String, String> {
    let inherited: Vec<(String, String)> = scopes.iter().flatten().cloned().collect();
    let own = prefixes(e);
    reader
        .read_to_end(e.name())
        .map_err(|err| err.to_string())?;
    let end = reader.buffer_position() as usize;
    let raw = xml.get(before..end).unwrap_or_default();
    Ok(standalone(raw, &inherited, &own))
}

/// `raw` (an element cut out of a larger document) with the prefixes it may use from its
/// ancestors declared on its start tag.
fn standalone(raw: &str, inherited: &[(String, String)], own: &[(String, String)]) -> String {
    let mut extra = String::new();
    let mut declared: Vec<&str> = own.iter().map(|(p, _)| p.as_str()).collect();
    // Nearer declarations win: walk the inherited ones from the innermost.
    for (prefix, uri) in inherited.iter().rev() {
        if declared.contains(&prefix.as_str()) {
            continue;
        }
        declared.push(prefix);
        extra.push_str(&format!(
            " xmlns:{prefix}=\"{}\"",
            quick_xml::escape::escape(uri.as_str())
        ));
    }
    // Insert after the element name.
    let name_end = raw
        .char_indices()
        .skip(1)
        .find(|(_, c)| c.is_whitespace() || *c == '>' || *c == '/')
        .map_or(raw.len(), |(i, _)| i);
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n{}{}{}",
        &raw[..name_end],
        extra,
        &raw[name_end..]
    )
}
