//! What a moderator reviews: the fields a submission changes against the published version
//! (all of them for an asset never published), written out side by side.

use crate::model::Asset;
use crate::model::diff::diff;

use super::editor;
use super::history::value_text;

/// One field of a submission: its label, the published value and the submitted one.
#[derive(Debug, Clone, PartialEq)]
pub struct DiffRow {
    pub field: String,
    pub label: String,
    pub before: Option<String>,
    pub after: Option<String>,
}

/// Fields no moderator decides on: the service's bookkeeping of the submission itself.
fn bookkeeping(field: &str) -> bool {
    matches!(
        field,
        "status" | "owner" | "dateModified" | "datePublished" | "moderatorComment"
    )
}

/// The changed fields of `submitted` against `published` (`None` for a first submission).
pub fn rows(published: Option<&Asset>, submitted: &Asset) -> Vec<DiffRow> {
    diff(published, Some(submitted))
        .into_iter()
        .filter(|c| !bookkeeping(&c.field))
        .map(|c| DiffRow {
            label: editor::label(&c.field),
            field: c.field,
            before: c.from.as_ref().map(value_text),
            after: c.to.as_ref().map(value_text),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Status;

    #[test]
    fn a_pending_edit_shows_only_what_it_changes() {
        let published = Asset {
            id: "a".into(),
            kind: "Dataset".into(),
            name: "Old".into(),
            keywords: vec!["x".into()],
            status: Some(Status::Published),
            ..Asset::default()
        };
        let mut pending = published.clone();
        pending.name = "New".into();
        pending.status = Some(Status::InReview);
        let r = rows(Some(&published), &pending);
        assert_eq!(r.len(), 1);
        assert_eq!(r[0].label, "Name");
        assert_eq!(r[0].before.as_deref(), Some("Old"));
        assert_eq!(r[0].after.as_deref(), Some("New"));
        // A first submission shows every field it sets.
        let first = rows(None, &pending);
        assert!(
            first
                .iter()
                .any(|r| r.field == "keywords" && r.after.as_deref() == Some("x"))
        );
        assert!(first.iter().all(|r| r.before.is_none()));
    }
}
