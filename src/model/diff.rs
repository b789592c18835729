//! Field-level differences between two versions of an asset document.
//!
//! The unit of change is a row of the field table: a top-level key, or `datalabImage.{sub}`
//! for the platform rows whose write rule differs per sub-key. The write policy checks each
//! changed field against its rule, and the history records the changes as they are here.

use serde::Serialize;
use serde_json::{Map, Value};
use utoipa::ToSchema;

use super::Asset;
use super::fields::{FIELDS, SUBFIELDS};

/// One changed field: its value before and after (absent when unset).
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct FieldChange {
    pub field: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub to: Option<Value>,
}

fn object(a: Option<&Asset>) -> Map<String, Value> {
    match a.map(serde_json::to_value) {
        Some(Ok(Value::Object(m))) => m,
        _ => Map::new(),
    }
}

/// The fields that differ between `old` and `new` (either may be absent), in field-table order.
pub fn diff(old: Option<&Asset>, new: Option<&Asset>) -> Vec<FieldChange> {
    let (old, new) = (object(old), object(new));
    let mut out = Vec::new();
    for f in FIELDS {
        let (a, b) = (old.get(f.key), new.get(f.key));
        if a == b {
            continue;
        }
        if SUBFIELDS.iter().any(|(k, _, _)| *k == f.key) {
            for (_, sub, _) in SUBFIELDS.iter().filter(|(k, _, _)| *k == f.key) {
                let (x, y) = (a.and_then(|v| v.get(sub)), b.and_then(|v| v.get(sub)));
                if x != y {
                    out.push(FieldChange {
                        field: format!("{}.{sub}", f.key),
                        from: x.cloned(),
                        to: y.cloned(),
                    });
                }
            }
            continue;
        }
        out.push(FieldChange {
            field: f.key.to_owned(),
            from: a.cloned(),
            to: b.cloned(),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::asset::DatalabImage;

    #[test]
    fn reports_changed_fields_and_image_subfields() {
        let a = Asset {
            id: "a".into(),
            kind: "Dataset".into(),
            name: "A".into(),
            keywords: vec!["x".into()],
            datalab_image: Some(DatalabImage {
                id: Some("img-1".into()),
                platform: None,
                keyword: vec!["latest".into()],
                ..Default::default()
            }),
            ..Asset::default()
        };
        let mut b = a.clone();
        b.name = "B".into();
        b.keywords.clear();
        if let Some(i) = b.datalab_image.as_mut() {
            i.id = Some("img-2".into());
        }
        let d = diff(Some(&a), Some(&b));
        let fields: Vec<&str> = d.iter().map(|c| c.field.as_str()).collect();
        assert_eq!(fields, ["datalabImage.id", "name", "keywords"]);
        assert_eq!(d[2].to, None);
        assert_eq!(d[2].from, Some(serde_json::json!(["x"])));
        assert!(diff(Some(&a), Some(&a)).is_empty());
        let created: Vec<String> = diff(None, Some(&a)).into_iter().map(|c| c.field).collect();
        assert_eq!(
            created,
            [
                "datalabImage.id",
                "datalabImage.keyword",
                "id",
                "type",
                "name",
                "keywords"
            ]
        );
    }
}
