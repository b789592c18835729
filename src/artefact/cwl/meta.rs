//! The `schema.org` (and Dublin Core) metadata of a CWL document: `s:author`, `s:license`,
//! `s:keywords`… on the process, or at the root of a packed document (merged into its entry
//! process, the process's own values first). Prefixes are whatever `$namespaces` binds to
//! `http(s)://schema.org/` or `http://purl.org/dc/terms/`. Values come in the shapes real
//! documents use: text, lists, and typed objects (`s:Person` with given and family names, a
//! `s:CreativeWork` licence, `s:DefinedTerm` keywords).

use crate::artefact::yaml::{Node, Value};
use crate::model::asset::{Agent, AgentKind};

/// What the metadata says of a pipeline.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Metadata {
    pub name: Option<String>,
    pub description: Option<String>,
    pub keywords: Vec<String>,
    /// An SPDX id where the document names one (by id or by its spdx.org URL), else as given.
    pub license: Option<String>,
    pub authors: Vec<Agent>,
    pub version: Option<String>,
    pub date_created: Option<String>,
    pub code_repository: Option<String>,
    pub citation: Option<String>,
}

const SCHEMA_ORG: &[&str] = &["https://schema.org/", "http://schema.org/"];
const DCT: &str = "http://purl.org/dc/terms/";

/// Reads the metadata of a process (`own`) and of its document's root (`root`).
pub(super) fn read(own: &Node, root: Option<&Node>, namespaces: &[(String, String)]) -> Metadata {
    let m = Lookup {
        nodes: [Some(own), root].into_iter().flatten().collect(),
        namespaces,
    };
    let mut authors = Vec::new();
    for key in ["author", "creator"] {
        for n in m.all_schema(key) {
            authors.extend(agents(n, namespaces));
        }
    }
    for n in m.all(DCT, "creator") {
        authors.extend(agents(n, namespaces));
    }
    let mut seen = std::collections::HashSet::new();
    authors.retain(|a| seen.insert((a.name.clone(), a.orcid.clone(), a.email.clone())));
    Metadata {
        name: m.schema("name").and_then(|n| text(n, namespaces)),
        description: m
            .schema("description")
            .or_else(|| m.first(DCT, "description"))
            .and_then(|n| text(n, namespaces)),
        keywords: m
            .schema("keywords")
            .map(|n| keywords(n, namespaces))
            .unwrap_or_default(),
        license: m
            .schema("license")
            .or_else(|| m.first(DCT, "license"))
            .and_then(|n| license(n, namespaces)),
        authors,
        version: m
            .schema("softwareVersion")
            .or_else(|| m.schema("version"))
            .and_then(|n| text(n, namespaces)),
        date_created: m.schema("dateCreated").and_then(|n| text(n, namespaces)),
        code_repository: m.schema("codeRepository").and_then(|n| text(n, namespaces)),
        citation: m.schema("citation").and_then(|n| citation(n, namespaces)),
    }
}

struct Lookup<'a> {
    nodes: Vec<&'a Node>,
    namespaces: &'a [(String, String)],
}

impl<'a> Lookup<'a> {
    /// Every value of the property `ns` + `local`, the process's first.
    fn all(&self, ns: &str, local: &str) -> Vec<&'a Node> {
        let mut out = Vec::new();
        for node in &self.nodes {
            for (k, v) in node.map().unwrap_or_default() {
                if expand(k, self.namespaces).is_some_and(|iri| iri == format!("{ns}{local}")) {
                    out.push(v);
                }
            }
        }
        out
    }

    fn first(&self, ns: &str, local: &str) -> Option<&'a Node> {
        self.all(ns, local).into_iter().next()
    }

    fn all_schema(&self, local: &str) -> Vec<&'a Node> {
        let mut out = Vec::new();
        for ns in SCHEMA_ORG {
            out.extend(self.all(ns, local));
        }
        out
    }

    fn schema(&self, local: &str) -> Option<&'a Node> {
        SCHEMA_ORG.iter().find_map(|ns| self.first(ns, local))
    }
}

/// `s:name` → `https://schema.org/name` when `s` is bound; full IRIs stay as they are.
fn expand(key: &str, namespaces: &[(String, String)]) -> Option<String> {
    if key.starts_with("http://") || key.starts_with("https://") {
        return Some(key.to_owned());
    }
    let (prefix, local) = key.split_once(':')?;
    namespaces
        .iter()
        .find(|(p, _)| p == prefix)
        .map(|(_, iri)| format!("{iri}{local}"))
}

/// The value of a schema.org property of an object node (`s:name`, `name`).
fn prop<'n>(node: &'n Node, local: &str, namespaces: &[(String, String)]) -> Option<&'n Node> {
    node.map()?.iter().find_map(|(k, v)| {
        let hit = k == local
            || expand(k, namespaces)
                .is_some_and(|iri| SCHEMA_ORG.iter().any(|ns| iri == format!("{ns}{local}")));
        hit.then_some(v)
    })
}

fn prop_text(node: &Node, local: &str, namespaces: &[(String, String)]) -> Option<String> {
    prop(node, local, namespaces).and_then(|n| text(n, namespaces))
}

/// Text from a scalar, a list of scalars (joined), or an object's name.
fn text(node: &Node, namespaces: &[(String, String)]) -> Option<String> {
    let t = match &node.value {
        Value::Str(s) => s.trim().to_owned(),
        Value::Int(i) => i.to_string(),
        Value::Float(f) => f.to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Seq(items) => items
            .iter()
            .filter_map(|i| text(i, namespaces))
            .collect::<Vec<_>>()
            .join("\n"),
        Value::Map(_) => return prop_text(node, "name", namespaces),
        Value::Null => return None,
    };
    (!t.is_empty()).then_some(t)
}

fn keywords(node: &Node, namespaces: &[(String, String)]) -> Vec<String> {
    let mut out: Vec<String> = match &node.value {
        Value::Str(s) => s.split(',').map(|k| k.trim().to_owned()).collect(),
        Value::Seq(items) => items
            .iter()
            .flat_map(|i| match &i.value {
                Value::Map(_) => prop_text(i, "name", namespaces).into_iter().collect(),
                _ => keywords(i, namespaces),
            })
            .collect(),
        _ => text(node, namespaces).into_iter().collect(),
    };
    out.retain(|k| !k.is_empty() && k.chars().count() <= 200);
    out.sort();
    out.dedup();
    out
}

/// An SPDX id from `Apache-2.0`, `https://spdx.org/licenses/Apache-2.0(.html)`, or a
/// CreativeWork naming one; other licences as their URL or name.
fn license(node: &Node, namespaces: &[(String, String)]) -> Option<String> {
    let raw = match &node.value {
        Value::Map(_) => prop_text(node, "identifier", namespaces)
            .or_else(|| prop_text(node, "url", namespaces))
            .or_else(|| prop_text(node, "name", namespaces)),
        Value::Seq(items) => items.first().and_then(|i| license(i, namespaces)),
        _ => text(node, namespaces),
    }?;
    let spdx = ["https://spdx.org/licenses/", "http://spdx.org/licenses/"]
        .iter()
        .find_map(|p| raw.strip_prefix(p))
        .map(|id| {
            id.trim_end_matches(".html")
                .trim_end_matches(".json")
                .to_owned()
        });
    Some(spdx.unwrap_or(raw))
}

fn citation(node: &Node, namespaces: &[(String, String)]) -> Option<String> {
    match &node.value {
        Value::Map(_) => prop_text(node, "url", namespaces)
            .or_else(|| prop_text(node, "identifier", namespaces))
            .or_else(|| prop_text(node, "name", namespaces)),
        _ => text(node, namespaces),
    }
}

/// The agents a node names: one object, a list of them, or plain names.
fn agents(node: &Node, namespaces: &[(String, String)]) -> Vec<Agent> {
    match &node.value {
        Value::Seq(items) => items.iter().flat_map(|i| agents(i, namespaces)).collect(),
        Value::Map(_) => agent(node, namespaces).into_iter().collect(),
        _ => text(node, namespaces)
            .map(|name| Agent {
                name,
                ..Agent::default()
            })
            .into_iter()
            .collect(),
    }
}

fn agent(node: &Node, namespaces: &[(String, String)]) -> Option<Agent> {
    let class = ["class", "@type", "type"]
        .iter()
        .find_map(|k| node.get_str(k))
        .map(|c| c.rsplit([':', '/']).next().unwrap_or(c).to_owned());
    let kind = match class.as_deref() {
        Some("Person") => Some(AgentKind::Person),
        Some("Organization") => Some(AgentKind::Organization),
        _ => None,
    };
    let given = prop_text(node, "givenName", namespaces);
    let family = prop_text(node, "familyName", namespaces);
    let name = prop_text(node, "name", namespaces).or_else(|| {
        let whole = [given, family]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" ");
        (!whole.is_empty()).then_some(whole)
    })?;
    let ids: Vec<String> = ["identifier", "sameAs", "id"]
        .iter()
        .filter_map(|k| prop_text(node, k, namespaces))
        .chain(node.get_str("id").map(str::to_owned))
        .collect();
    let orcid = ids.iter().find_map(|i| orcid_of(i));
    let email = prop_text(node, "email", namespaces)
        .map(|e| e.trim_start_matches("mailto:").to_owned())
        .filter(|e| {
            e.split_once('@').is_some_and(|(a, b)| {
                !a.is_empty()
                    && !b.is_empty()
                    && !b.contains('@')
                    && !e.contains(char::is_whitespace)
            })
        });
    let affiliation = prop(node, "affiliation", namespaces).and_then(|a| text(a, namespaces));
    let url = prop_text(node, "url", namespaces)
        .filter(|u| (u.starts_with("https://") || u.starts_with("http://")) && !u.contains(' '));
    Some(Agent {
        name: name.chars().take(500).collect(),
        kind,
        email,
        orcid,
        affiliation: affiliation.map(|a| a.chars().take(500).collect()),
        url,
    })
}

/// The ORCID iD in `https://orcid.org/0000-0002-1825-0097` or a bare iD.
fn orcid_of(s: &str) -> Option<String> {
    let id = s
        .trim()
        .trim_start_matches("https://orcid.org/")
        .trim_start_matches("http://orcid.org/")
        .trim_end_matches('/');
    let b = id.as_bytes();
    let ok = b.len() == 19
        && b.iter().enumerate().all(|(i, c)| match i {
            4 | 9 | 14 => *c == b'-',
            18 => c.is_ascii_digit() || *c == b'X',
            _ => c.is_ascii_digit(),
        });
    ok.then(|| id.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::artefact::yaml::parse;

    fn ns() -> Vec<(String, String)> {
        vec![("s".into(), "https://schema.org/".into())]
    }

    #[test]
    fn authors_in_their_usual_shapes() {
        let doc = parse(
            "s:author:\n  - class: s:Person\n    s:identifier: https://orcid.org/0000-0002-1825-0097\n    s:email: mailto:a@b.org\n    s:name: Ann\n    s:affiliation: {class: s:Organization, s:name: ESA}\n  - '@type': s:Person\n    s:givenName: John\n    s:familyName: Doe\n",
            "t",
        )
        .unwrap();
        let m = read(&doc, None, &ns());
        assert_eq!(m.authors.len(), 2);
        assert_eq!(m.authors[0].orcid.as_deref(), Some("0000-0002-1825-0097"));
        assert_eq!(m.authors[0].email.as_deref(), Some("a@b.org"));
        assert_eq!(m.authors[0].affiliation.as_deref(), Some("ESA"));
        assert_eq!(m.authors[0].kind, Some(AgentKind::Person));
        assert_eq!(m.authors[1].name, "John Doe");
    }

    #[test]
    fn root_metadata_fills_what_the_process_lacks() {
        let root = parse(
            "s:license: https://spdx.org/licenses/Apache-2.0\ns:version: '2'\ns:keywords: 'a, b'\n",
            "t",
        )
        .unwrap();
        let own = parse("s:version: '3'\n", "t").unwrap();
        let m = read(&own, Some(&root), &ns());
        assert_eq!(m.license.as_deref(), Some("Apache-2.0"));
        assert_eq!(m.version.as_deref(), Some("3"));
        assert_eq!(m.keywords, vec!["a", "b"]);
    }
}
