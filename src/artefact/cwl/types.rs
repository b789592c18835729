//! CWL types: checked against the names a document may use, and rendered in their short
//! form (`File`, `string?`, `File[]`, `(int | string)?`, a record or enum by its name) for the
//! asset's parameter list.

use crate::artefact::yaml::{Node, Value};

/// The types every process may name.
const PRIMITIVES: &[&str] = &[
    "null",
    "boolean",
    "int",
    "long",
    "float",
    "double",
    "string",
    "File",
    "Directory",
    "Any",
    "stdin",
    "stdout",
    "stderr",
];

/// The local name of a type reference: `#Foo`, `defs.yml#Foo`, `https://…/x.yaml#Foo` and
/// `#main/Foo` all name `Foo`.
pub(super) fn local_name(reference: &str) -> &str {
    let after_hash = reference.rsplit_once('#').map_or(reference, |(_, f)| f);
    after_hash.rsplit_once('/').map_or(after_hash, |(_, l)| l)
}

/// `X?` → (`X`, true); `X[]` → array of `X`; both may combine (`X[]?`).
fn suffixes(s: &str) -> (&str, usize, bool) {
    let (mut base, optional) = match s.strip_suffix('?') {
        Some(b) => (b, true),
        None => (s, false),
    };
    let mut arrays = 0;
    while let Some(b) = base.strip_suffix("[]") {
        base = b;
        arrays += 1;
    }
    (base, arrays, optional)
}

/// `null` as a type, written as text or as YAML's own null.
fn is_null(t: &Node) -> bool {
    t.is_null() || t.str() == Some("null")
}

/// Whether the type admits null.
pub(super) fn optional(t: &Node) -> bool {
    match &t.value {
        Value::Null => true,
        Value::Str(s) => s == "null" || suffixes(s).2,
        Value::Seq(items) => items.iter().any(is_null),
        _ => false,
    }
}

/// The short form of a type.
pub(super) fn render(t: &Node) -> String {
    match &t.value {
        Value::Str(s) => {
            let (base, arrays, opt) = suffixes(s);
            let base = if PRIMITIVES.contains(&base) {
                base
            } else {
                local_name(base)
            };
            format!(
                "{base}{}{}",
                "[]".repeat(arrays),
                if opt { "?" } else { "" }
            )
        }
        Value::Seq(items) => {
            let members: Vec<String> = items.iter().filter(|i| !is_null(i)).map(render).collect();
            let null = members.len() < items.len();
            match (members.len(), null) {
                (0, _) => "null".to_owned(),
                (1, false) => members[0].clone(),
                (1, true) => format!("{}?", members[0]),
                (_, false) => members.join(" | "),
                (_, true) => format!("({})?", members.join(" | ")),
            }
        }
        Value::Map(_) => match t.get_str("type") {
            Some("array") => {
                let items = t.get("items").map_or_else(|| "Any".to_owned(), render);
                if items.contains(' ') || items.ends_with('?') {
                    format!("({items})[]")
                } else {
                    format!("{items}[]")
                }
            }
            Some(kind @ ("record" | "enum")) => t
                .get_str("name")
                .map_or_else(|| kind.to_owned(), |n| local_name(n).to_owned()),
            _ => t.get("type").map_or_else(|| "Any".to_owned(), render),
        },
        Value::Null => "null".to_owned(),
        _ => "Any".to_owned(),
    }
}

/// Why a type is not one the document may use (`None` when it is). `names` are the local
/// names the document's `SchemaDefRequirement`s define.
pub(super) fn problem(t: &Node, names: &[String]) -> Option<(Node, String)> {
    match &t.value {
        Value::Null => None,
        Value::Str(s) => {
            let (base, _, _) = suffixes(s);
            if PRIMITIVES.contains(&base) || names.iter().any(|n| n == local_name(base)) {
                None
            } else {
                Some((t.clone(), format!("unknown type {s:?}")))
            }
        }
        Value::Seq(items) if items.is_empty() => Some((t.clone(), "an empty union type".into())),
        Value::Seq(items) => items.iter().find_map(|i| problem(i, names)),
        Value::Map(_) => match t.get("type") {
            None => Some((t.clone(), "a type definition needs `type`".into())),
            Some(k) => match k.str() {
                Some("array") => match t.get("items") {
                    None => Some((t.clone(), "an array type needs `items`".into())),
                    Some(items) => problem(items, names),
                },
                Some("enum") => match t.get("symbols").and_then(Node::seq) {
                    None => Some((t.clone(), "an enum type needs a list of `symbols`".into())),
                    Some(_) => None,
                },
                Some("record") => record_problem(t, names),
                _ => problem(k, names),
            },
        },
        _ => Some((t.clone(), format!("a type cannot be {}", t.kind()))),
    }
}

fn record_problem(t: &Node, names: &[String]) -> Option<(Node, String)> {
    let fields = t.get("fields")?;
    match &fields.value {
        Value::Seq(items) => items.iter().find_map(|f| match f.get("type") {
            Some(ft) => problem(ft, names),
            None => Some((f.clone(), "a record field needs `type`".into())),
        }),
        Value::Map(entries) => entries.iter().find_map(|(_, f)| match &f.value {
            Value::Map(_) => match f.get("type") {
                Some(ft) => problem(ft, names),
                None => Some((f.clone(), "a record field needs `type`".into())),
            },
            _ => problem(f, names),
        }),
        _ => Some((
            fields.clone(),
            "record `fields` must be a list or a mapping".into(),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::artefact::yaml::parse;

    fn t(yaml: &str) -> Node {
        parse(yaml, "t").unwrap()
    }

    #[test]
    fn short_forms() {
        assert_eq!(render(&t("File")), "File");
        assert_eq!(render(&t("string?")), "string?");
        assert_eq!(render(&t("File[]?")), "File[]?");
        assert_eq!(render(&t("[null, int, string]")), "(int | string)?");
        assert_eq!(render(&t("[\"null\", File]")), "File?");
        assert_eq!(render(&t("{type: array, items: File}")), "File[]");
        assert_eq!(
            render(&t("{type: array, items: [int, string]}")),
            "(int | string)[]"
        );
        assert_eq!(
            render(&t("{type: enum, symbols: [a], name: Colour}")),
            "Colour"
        );
        assert_eq!(render(&t("{type: record, fields: []}")), "record");
        assert_eq!(render(&t("\"https://x/string_format.yaml#URI\"")), "URI");
        assert!(optional(&t("[null, File]")));
        assert!(!optional(&t("File")));
    }

    #[test]
    fn unknown_types_are_named() {
        assert!(problem(&t("Fiel"), &[]).is_some());
        assert!(problem(&t("URI"), &["URI".into()]).is_none());
        assert!(problem(&t("{type: array}"), &[]).is_some());
        assert!(problem(&t("[]"), &[]).is_some());
    }
}
