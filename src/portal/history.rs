//! An asset's history as people read it: each change and transition with who, when, what
//! changed (before and after) and the comment — the store's history events made into rows.

use serde_json::Value;

/// One changed field of an event, its values written out as text.
#[derive(Debug, Clone, PartialEq)]
pub struct ChangeView {
    pub field: String,
    pub from: Option<String>,
    pub to: Option<String>,
}

/// One event.
#[derive(Debug, Clone, PartialEq)]
pub struct EventView {
    pub revision: u64,
    /// RFC 3339, for `<time datetime>`.
    pub at: String,
    /// As people read it.
    pub at_text: String,
    pub by: String,
    /// What happened, in words ("Submitted for review", "Edited (pending review)").
    pub what: String,
    pub changes: Vec<ChangeView>,
    /// Fields named without values (an ingest names only the fields it changed).
    pub fields: Vec<String>,
    pub comment: Option<String>,
}

/// A JSON value as one line of text: strings as they are, lists joined with commas, objects
/// as `key: value` pairs joined with semicolons (empty ones left out).
pub fn value_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Array(items) if items.iter().all(Value::is_string) => items
            .iter()
            .filter_map(Value::as_str)
            .collect::<Vec<_>>()
            .join(", "),
        Value::Array(items) => items
            .iter()
            .map(|i| match i {
                Value::Object(_) => format!("({})", value_text(i)),
                other => value_text(other),
            })
            .collect::<Vec<_>>()
            .join(", "),
        Value::Object(m) => m
            .iter()
            .map(|(k, v)| (k, value_text(v)))
            .filter(|(_, v)| !v.is_empty())
            .map(|(k, v)| format!("{k}: {v}"))
            .collect::<Vec<_>>()
            .join("; "),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// An RFC 3339 time as people read it: `2026-12-05 12:51 UTC`.
pub fn when(at: &str) -> String {
    match (at.get(..10), at.get(11..16)) {
        (Some(day), Some(time)) if at.ends_with('Z') => format!("{day} {time} UTC"),
        _ => at.to_owned(),
    }
}

fn status_words(s: &str) -> &str {
    match s {
        "draft" => "draft",
        "in_review" => "in review",
        "published" => "published",
        "deleted" => "deleted",
        other => other,
    }
}

fn what(e: &Value) -> String {
    let action = e["action"].as_str().unwrap_or("change");
    let pending = e["pending"].as_bool() == Some(true);
    let to = e["status"]["to"].as_str();
    let changes = e["changes"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default();
    let build_only = !changes.is_empty()
        && changes
            .iter()
            .all(|c| c["field"].as_str().is_some_and(|f| f == "build"));
    let mut words = match (action, to) {
        ("update", _) if build_only => match changes[0]["to"]["status"].as_str() {
            Some(status) => format!("Build recorded with status {status}"),
            None => "Build recorded".to_owned(),
        },
        ("create", _) => "Created".to_owned(),
        ("update", _) if e["via"] == "ingest" => "Loaded from a file".to_owned(),
        ("update", _) => "Edited".to_owned(),
        ("submit", Some("published")) => "Shared (private audience)".to_owned(),
        ("submit", _) => "Submitted for review".to_owned(),
        ("approve", _) => "Approved and published".to_owned(),
        ("reject", _) => "Sent back to draft".to_owned(),
        ("delete", _) => "Deleted".to_owned(),
        (other, _) => other.to_owned(),
    };
    if let (Some(from), Some(to)) = (e["status"]["from"].as_str(), to) {
        words.push_str(&format!(" ({} → {})", status_words(from), status_words(to)));
    }
    if pending {
        words.push_str(", on the pending revision");
    }
    words
}

/// The events of a history, newest first.
pub fn events(history: &[Value]) -> Vec<EventView> {
    let mut out: Vec<EventView> = history
        .iter()
        .map(|e| EventView {
            revision: e["revision"].as_u64().unwrap_or(0),
            at: e["at"].as_str().unwrap_or("").to_owned(),
            at_text: when(e["at"].as_str().unwrap_or("")),
            by: e["by"].as_str().unwrap_or("").to_owned(),
            what: what(e),
            changes: e["changes"]
                .as_array()
                .map(|cs| {
                    cs.iter()
                        .map(|c| ChangeView {
                            field: super::editor::label(c["field"].as_str().unwrap_or("")),
                            from: c.get("from").map(value_text),
                            to: c.get("to").map(value_text),
                        })
                        .collect()
                })
                .unwrap_or_default(),
            fields: e["fields"]
                .as_array()
                .map(|fs| {
                    fs.iter()
                        .filter_map(|f| f.as_str().map(super::editor::label))
                        .collect()
                })
                .unwrap_or_default(),
            comment: e["comment"].as_str().map(str::to_owned),
        })
        .collect();
    out.reverse();
    out
}

/// The events after revision `after` (what changed since a reader opened an asset), oldest
/// first.
pub fn since(history: &[Value], after: u64) -> Vec<EventView> {
    let mut v: Vec<EventView> = events(history)
        .into_iter()
        .filter(|e| e.revision > after)
        .collect();
    v.reverse();
    v
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn events_read_as_sentences_newest_first() {
        let h = vec![
            json!({"revision": 1, "at": "2026-01-01T00:00:00Z", "action": "create", "by": "alice",
                   "changes": [{"field": "name", "to": "A"}], "status": {"to": "draft"}}),
            json!({"revision": 2, "at": "2026-01-02T00:00:00Z", "action": "submit", "by": "alice",
                   "status": {"from": "draft", "to": "in_review"}}),
            json!({"revision": 3, "at": "2026-01-03T00:00:00Z", "action": "reject", "by": "mo",
                   "status": {"from": "in_review", "to": "draft"}, "comment": "add a licence"}),
            json!({"revision": 4, "action": "update", "by": "build-service", "pending": true,
                   "changes": [{"field": "keywords", "from": ["a", "b"], "to": ["a"]}]}),
        ];
        let e = events(&h);
        assert_eq!(e[0].revision, 4);
        assert_eq!(e[0].what, "Edited, on the pending revision");
        assert_eq!(e[0].changes[0].from.as_deref(), Some("a, b"));
        assert_eq!(e[0].changes[0].field, "Keywords");
        assert_eq!(e[3].at_text, "2026-01-01 00:00 UTC");
        assert_eq!(
            value_text(&json!({"audience": "private", "users": ["ben"], "groups": []})),
            "audience: private; users: ben"
        );
        assert_eq!(e[1].what, "Sent back to draft (in review → draft)");
        assert_eq!(e[1].comment.as_deref(), Some("add a licence"));
        assert_eq!(e[3].what, "Created");
        assert_eq!(e[3].changes[0].from, None);
        let build = events(&[
            json!({"revision": 5, "action": "update", "by": "build-service",
            "changes": [{"field": "build", "to": {"status": "BUILD_SUCCESS"}}]}),
        ]);
        assert_eq!(build[0].what, "Build recorded with status BUILD_SUCCESS");
        let later: Vec<u64> = since(&h, 2).iter().map(|e| e.revision).collect();
        assert_eq!(later, [3, 4]);
    }
}
