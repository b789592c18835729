//! YAML and JSON documents read into a tree that remembers where each node stood, so that a
//! complaint about a document's content (a missing reference, a field of the wrong shape) can
//! name its line and column, not only a parse error.
//!
//! Untrusted text is read with `serde-saphyr`: duplicate keys are an error, aliases are replayed
//! under a budget (an alias bomb is refused, not expanded), and the text is capped in size
//! before it is read at all. JSON is read by the same parser (JSON is YAML 1.2 flow style).

use std::fmt;

use serde::Deserialize;
use serde::de::{self, MapAccess, SeqAccess, Visitor};
use serde_saphyr::Spanned;

use super::ArtefactError;

/// The largest document read (a CWL file is rarely over a few hundred kilobytes).
pub const MAX_DOCUMENT_BYTES: usize = 8 << 20;

/// Where a node starts (1-based; 0 when unknown), and in which file of a reading (an index
/// its reader keeps; 0 for a document read alone).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Pos {
    pub file: u32,
    pub line: u64,
    pub column: u64,
}

/// A node of the document and where it stands (and, for a mapping's value, where its key
/// stands: a complaint about a field names the field).
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub value: Value,
    pub at: Pos,
    pub key: Pos,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Seq(Vec<Node>),
    /// Keys in document order (unique: duplicates are refused on reading).
    Map(Vec<(String, Node)>),
}

impl Node {
    pub fn new(value: Value) -> Node {
        Node {
            value,
            at: Pos::default(),
            key: Pos::default(),
        }
    }

    /// `value` standing where `like` stands (a short form expanded in place).
    pub fn like(value: Value, like: &Node) -> Node {
        Node {
            value,
            at: like.at,
            key: like.key,
        }
    }

    /// Where a complaint about this node points: its key when it is a mapping's value.
    pub fn place(&self) -> Pos {
        if self.key.line > 0 { self.key } else { self.at }
    }

    pub fn str(&self) -> Option<&str> {
        match &self.value {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    pub fn seq(&self) -> Option<&[Node]> {
        match &self.value {
            Value::Seq(s) => Some(s),
            _ => None,
        }
    }

    pub fn map(&self) -> Option<&[(String, Node)]> {
        match &self.value {
            Value::Map(m) => Some(m),
            _ => None,
        }
    }

    pub fn is_null(&self) -> bool {
        matches!(self.value, Value::Null)
    }

    /// The value of `key` when this node is a mapping that has it.
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.map()?.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    pub fn get_str(&self, key: &str) -> Option<&str> {
        self.get(key).and_then(Node::str)
    }

    /// A short name of the node's kind, for messages.
    pub fn kind(&self) -> &'static str {
        match self.value {
            Value::Null => "null",
            Value::Bool(_) => "a boolean",
            Value::Int(_) | Value::Float(_) => "a number",
            Value::Str(_) => "a string",
            Value::Seq(_) => "a list",
            Value::Map(_) => "a mapping",
        }
    }

    /// The node as JSON (defaults and metadata values are kept as JSON).
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value as J;
        match &self.value {
            Value::Null => J::Null,
            Value::Bool(b) => J::Bool(*b),
            Value::Int(i) => J::from(*i),
            Value::Float(f) => serde_json::Number::from_f64(*f).map_or(J::Null, J::Number),
            Value::Str(s) => J::String(s.clone()),
            Value::Seq(items) => J::Array(items.iter().map(Node::to_json).collect()),
            Value::Map(m) => J::Object(m.iter().map(|(k, v)| (k.clone(), v.to_json())).collect()),
        }
    }

    /// Marks this node and every node under it as standing in file `file`.
    pub fn set_file(&mut self, file: u32) {
        self.at.file = file;
        self.key.file = file;
        match &mut self.value {
            Value::Seq(items) => items.iter_mut().for_each(|n| n.set_file(file)),
            Value::Map(m) => m.iter_mut().for_each(|(_, n)| n.set_file(file)),
            _ => {}
        }
    }
}

/// Reads one YAML or JSON document. `file` names it in errors.
pub fn parse(text: &str, file: &str) -> Result<Node, ArtefactError> {
    if text.len() > MAX_DOCUMENT_BYTES {
        return Err(ArtefactError::new(
            file,
            Pos::default(),
            format!(
                "the document is {} bytes, over the limit of {MAX_DOCUMENT_BYTES}",
                text.len()
            ),
        ));
    }
    let options = serde_saphyr::options! {
        duplicate_keys: serde_saphyr::options::DuplicateKeyPolicy::Error,
        alias_limits: serde_saphyr::alias_limits! {
            max_total_replayed_events: 200_000,
            max_replay_stack_depth: 32,
            max_alias_expansions_per_anchor: 1_000,
        },
    };
    match serde_saphyr::from_str_with_options::<Option<Spanned<Tree>>>(text, options) {
        Ok(Some(root)) => Ok(node(root)),
        Ok(None) => Ok(Node::new(Value::Null)),
        Err(e) => {
            let at = e
                .location()
                .map(|l| Pos {
                    file: 0,
                    line: l.line(),
                    column: l.column(),
                })
                .unwrap_or_default();
            Err(ArtefactError::new(file, at, brief(&e.to_string())))
        }
    }
}

/// The first line of the parser's message, without its own rendering of the location.
fn brief(message: &str) -> String {
    let first = message.lines().next().unwrap_or(message).trim();
    first.to_owned()
}

fn node(s: Spanned<Tree>) -> Node {
    Node {
        at: Pos {
            file: 0,
            line: s.referenced.line(),
            column: s.referenced.column(),
        },
        value: s.value.0,
        key: Pos::default(),
    }
}

/// The serde form of a node (its location comes from the `Spanned` around it).
struct Tree(Value);

impl<'de> Deserialize<'de> for Tree {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Tree, D::Error> {
        d.deserialize_any(TreeVisitor).map(Tree)
    }
}

struct TreeVisitor;

impl<'de> Visitor<'de> for TreeVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a YAML value")
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_some<D: de::Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(TreeVisitor)
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Int(v))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(i64::try_from(v).map_or(Value::Float(v as f64), Value::Int))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(Value::Float(v))
    }

    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::Str(v.to_owned()))
    }

    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::Str(v))
    }

    fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<Value, E> {
        String::from_utf8(v.to_vec())
            .map(Value::Str)
            .map_err(|_| E::custom("binary values are not read"))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element::<Spanned<Tree>>()? {
            items.push(node(item));
        }
        Ok(Value::Seq(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut entries: Vec<(String, Node)> = Vec::new();
        while let Some(key) = map.next_key::<Spanned<Tree>>()? {
            let key_at = key.referenced;
            let key = match key.value.0 {
                Value::Str(s) => s,
                Value::Int(i) => i.to_string(),
                Value::Float(f) => f.to_string(),
                Value::Bool(b) => b.to_string(),
                Value::Null => "null".to_owned(),
                Value::Seq(_) | Value::Map(_) => {
                    return Err(de::Error::custom(format!(
                        "line {}: a key must be a scalar",
                        key.referenced.line()
                    )));
                }
            };
            let mut value = node(map.next_value::<Spanned<Tree>>()?);
            value.key = Pos {
                file: 0,
                line: key_at.line(),
                column: key_at.column(),
            };
            if entries.iter().any(|(k, _)| *k == key) {
                return Err(de::Error::custom(format!("duplicate key {key:?}")));
            }
            entries.push((key, value));
        }
        Ok(Value::Map(entries))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nodes_know_where_they_stand() {
        let doc = parse("a: 1\nb:\n  - x\n  - {c: true}\n", "t.cwl").unwrap();
        let b = doc.get("b").unwrap();
        assert_eq!(
            b.seq().unwrap()[1].get("c").unwrap().value,
            Value::Bool(true)
        );
        assert_eq!(b.seq().unwrap()[0].at.line, 3);
        assert_eq!(doc.get("a").unwrap().value, Value::Int(1));
    }

    #[test]
    fn json_reads_as_yaml() {
        let doc = parse("{\"a\": [1, 2.5, null, \"s\"]}", "t.json").unwrap();
        assert_eq!(doc.get("a").unwrap().seq().unwrap().len(), 4);
    }

    #[test]
    fn duplicate_keys_are_refused_with_their_place() {
        let e = parse("a: 1\nb: 2\na: 3\n", "t.cwl").unwrap_err();
        assert_eq!(e.file, "t.cwl");
        assert!(e.message.contains("uplicate"), "{e}");
        assert!(e.at.line >= 1, "{e:?}");
    }

    #[test]
    fn an_alias_bomb_is_refused() {
        let mut bomb = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 0..9 {
            let prev = if i == 0 {
                "a".to_owned()
            } else {
                format!("l{}", i - 1)
            };
            bomb.push_str(&format!(
                "l{i}: &l{i} [*{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}]\n"
            ));
        }
        let e = parse(&bomb, "bomb.cwl").unwrap_err();
        assert!(!e.message.is_empty());
    }

    #[test]
    fn broken_yaml_names_line_and_column() {
        let e = parse("a: [1, 2\nb: c\n", "t.cwl").unwrap_err();
        assert!(e.at.line > 0, "{e:?}");
    }
}
