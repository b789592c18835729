//! The publication workflow of an asset: submit, approve, reject (with the rules of who may
//! do which, from which state), its history and its pending revision.

use super::*;

/// A publication transition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transition {
    Submit,
    Approve,
    Reject,
}

impl Transition {
    fn name(self) -> &'static str {
        match self {
            Transition::Submit => "submit",
            Transition::Approve => "approve",
            Transition::Reject => "reject",
        }
    }
}

/// `POST /api/v1/assets/{id}/submit|approve|reject`.
pub async fn transition(
    catalog: &Catalog,
    caller: &Caller,
    id: &str,
    which: Transition,
    comment: Option<String>,
    if_match: Option<&IfMatch>,
) -> Result<Written> {
    let comment = comment
        .map(|c| c.trim().to_owned())
        .filter(|c| !c.is_empty());
    if which == Transition::Reject && comment.is_none() {
        return Err(WriteError::Invalid(
            "a rejection needs a comment telling the owner what to change".into(),
            vec![Problem::parameter("comment", None, "required", Vec::new())],
        ));
    }
    if comment.as_ref().is_some_and(|c| c.chars().count() > 10_000) {
        return Err(WriteError::Invalid(
            "the comment is longer than 10000 characters".into(),
            vec![Problem::parameter("comment", None, "too long", Vec::new())],
        ));
    }
    retrying(catalog, caller, id, if_match, None, |cur| {
        let (user, _) = user_of(caller);
        let owns = cur.owner() == Some(user);
        match which {
            Transition::Submit => {
                if !(owns || has(caller, Role::Moderator) || has(caller, Role::Sciapps)) {
                    return Err(WriteError::Forbidden(
                        "only the owner (or a moderator or sciapps) submits an asset".into(),
                        Vec::new(),
                    ));
                }
            }
            Transition::Approve | Transition::Reject => {
                if !has(caller, Role::Moderator) {
                    return Err(WriteError::Forbidden(
                        format!("only a moderator may {} an asset", which.name()),
                        Vec::new(),
                    ));
                }
                if owns {
                    return Err(WriteError::Forbidden(
                        format!("a moderator may not {} their own asset", which.name()),
                        Vec::new(),
                    ));
                }
            }
        }
        let target = cur.target().clone();
        let from = target.status.unwrap_or(Status::Draft);
        let (expected, to) = match which {
            Transition::Submit if target.audience() == Audience::Private => {
                (Status::Draft, Status::Published)
            }
            Transition::Submit => (Status::Draft, Status::InReview),
            Transition::Approve => (Status::InReview, Status::Published),
            Transition::Reject => (Status::InReview, Status::Draft),
        };
        if from != expected {
            return Err(WriteError::State(format!(
                "{} needs the {} to be {}, it is {}",
                which.name(),
                if cur.pending.is_some() {
                    "pending revision"
                } else {
                    "asset"
                },
                expected.as_str(),
                from.as_str()
            )));
        }
        if which == Transition::Submit && target.license.is_none() {
            return Err(WriteError::Invalid(
                "a licence from the licence catalogue (/api/v1/licenses) is required to submit"
                    .into(),
                vec![Problem {
                    pointer: "/license".into(),
                    message: "required to submit".into(),
                    closest: Vec::new(),
                    parameter: None,
                    position: None,
                    file: None,
                    line: None,
                    column: None,
                }],
            ));
        }
        let stamp = now();
        let mut next = target;
        next.status = Some(to);
        match which {
            Transition::Reject => next.moderator_comment = comment.clone(),
            Transition::Approve => next.moderator_comment = None,
            Transition::Submit => {}
        }
        if to == Status::Published {
            next.date_published = cur.asset.date_published.clone().or(Some(stamp.clone()));
            next.date_modified = Some(stamp.clone());
        }
        let mut e = event(caller, which.name());
        e.insert(
            "status".into(),
            json!({"from": from.as_str(), "to": to.as_str()}),
        );
        if let Some(c) = &comment {
            e.insert("comment".into(), c.clone().into());
        }
        if cur.pending.is_some() {
            e.insert("pending".into(), true.into());
        }
        Ok(if to == Status::Published {
            Plan::Commit(Body::Put(Box::new(next)), Some(None), e)
        } else if cur.pending.is_some() {
            Plan::Commit(Body::Keep, Some(Some(Box::new(next))), e)
        } else {
            Plan::Commit(Body::Put(Box::new(next)), None, e)
        })
    })
    .await
}

/// `GET /api/v1/assets/{id}/history`: for the owner, moderators and sciapps.
pub async fn history(catalog: &Catalog, caller: &Caller, id: &str) -> Result<Vec<Value>> {
    let cur = current(catalog, caller, id).await?;
    let (user, _) = user_of(caller);
    let allowed = matches!(caller, Caller::Operator)
        || has(caller, Role::Moderator)
        || has(caller, Role::Sciapps)
        || cur.owner() == Some(user);
    if !allowed {
        return Err(WriteError::Forbidden(
            "an asset's history is for its owner, moderators and sciapps".into(),
            Vec::new(),
        ));
    }
    let store = catalog.store.clone();
    let key = id.to_owned();
    blocking(move || store.history(&key)).await
}

/// The pending revision of an asset, for a caller who may read the asset whole.
pub async fn pending(catalog: &Catalog, caller: &Caller, id: &str) -> Result<Option<Asset>> {
    let cur = current(catalog, caller, id).await?;
    Ok(match access::grant(caller, &cur.asset) {
        Some(access::Grant::Full) => cur.pending,
        _ => None,
    })
}
