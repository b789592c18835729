//! THE visibility decision: which assets a caller may read, and which of their graphs.
//!
//! Every read surface goes through `read_asset` (or `grant` for bulk surfaces), so the rule
//! lives in one place: anonymous readers see the public graph of published public assets only;
//! everything else about an asset they may not see answers "not found". An asset's owner and
//! the curating roles (moderator, sciapps, and the platform's own services) read everything of
//! it; accounts it is shared with read its public graph once it is published.

pub mod accounts;
pub mod policy;
pub mod sessions;

use oxigraph::model::Quad;

use crate::model::fields::Role;
use crate::model::rdf::{AssetIris, from_quads};
use crate::model::{Asset, Audience, Status};
use crate::store::{Result, Store};

/// Who is asking.
#[derive(Debug, Clone, PartialEq)]
pub enum Caller {
    /// No credentials.
    Anonymous,
    /// An authenticated account.
    Account {
        user: String,
        groups: Vec<String>,
        roles: Vec<Role>,
    },
    /// The operator on the command line with direct access to the data directory.
    Operator,
}

/// What a caller may read of one asset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Grant {
    /// The public graph only.
    Public,
    /// Public and private graphs.
    Full,
}

/// The decision for one asset, from its publication state and sharing.
pub fn grant(caller: &Caller, asset: &Asset) -> Option<Grant> {
    let published = asset.status == Some(Status::Published);
    let public = asset.audience() == Audience::Public;
    match caller {
        Caller::Operator => Some(Grant::Full),
        Caller::Anonymous => asset.is_public().then_some(Grant::Public),
        Caller::Account {
            user,
            groups,
            roles,
        } => {
            if curates(roles) || asset.owner.as_ref() == Some(user) {
                return Some(Grant::Full);
            }
            let sharing = asset.visibility.as_ref();
            let shared = sharing.is_some_and(|v| {
                v.users.contains(user) || v.groups.iter().any(|g| groups.contains(g))
            });
            (published && (public || shared)).then_some(Grant::Public)
        }
    }
}

/// Whether these roles read every asset whole: moderators review, sciapps curate, and the
/// platform's services (application) maintain build and image fields of any asset.
pub fn curates(roles: &[Role]) -> bool {
    roles
        .iter()
        .any(|r| matches!(r, Role::Moderator | Role::Sciapps | Role::Application))
}

/// The key under which an index files assets that anyone may find.
pub const PUBLIC_READERS: &str = "public";

/// The keys under which a search index files `asset`: a caller finds it when one of its
/// `reader_keys` is among them (or when it has no restriction). This is `grant` restated for
/// indexes, so that totals and counts computed inside an index agree with what `grant` lets a
/// caller read; a test checks the two agree.
pub fn readers(asset: &Asset) -> Vec<String> {
    let mut keys: Vec<String> = asset.owner.iter().map(|o| format!("owner:{o}")).collect();
    if asset.status != Some(Status::Published) {
        return keys;
    }
    if asset.audience() == Audience::Public {
        keys.push(PUBLIC_READERS.to_owned());
        return keys;
    }
    if let Some(v) = &asset.visibility {
        keys.extend(v.users.iter().map(|u| format!("user:{u}")));
        keys.extend(v.groups.iter().map(|g| format!("group:{g}")));
    }
    keys
}

/// The reader keys a caller holds; `None` means the caller may find every asset.
pub fn reader_keys(caller: &Caller) -> Option<Vec<String>> {
    match caller {
        Caller::Operator => None,
        Caller::Anonymous => Some(vec![PUBLIC_READERS.to_owned()]),
        Caller::Account {
            user,
            groups,
            roles,
        } => {
            if curates(roles) {
                return None;
            }
            let mut keys = vec![
                PUBLIC_READERS.to_owned(),
                format!("user:{user}"),
                format!("owner:{user}"),
            ];
            keys.extend(groups.iter().map(|g| format!("group:{g}")));
            Some(keys)
        }
    }
}

/// Whether a caller holding `keys` finds an asset filed under `readers`.
pub fn finds(keys: Option<&[String]>, readers: &[String]) -> bool {
    keys.is_none_or(|k| k.iter().any(|key| readers.contains(key)))
}

/// Whether anonymous readers may see an asset at all, from its stored publication state.
pub fn anonymous_sees(store: &Store, id: &str) -> Result<bool> {
    let (_, status, public) = store.summary(id)?;
    Ok(grant(
        &Caller::Anonymous,
        &Asset::publication_state(&status, public),
    ) == Some(Grant::Public))
}

/// Reads one asset as `caller` may see it; `None` when it does not exist or may not be seen.
pub fn read_asset(store: &Store, caller: &Caller, id: &str) -> Result<Option<Asset>> {
    if *caller == Caller::Anonymous {
        // Anonymous readers (crawlers, harvesters) are the bulk of reads: decide from the
        // publication state alone, then read the public graph only.
        if !anonymous_sees(store, id)? {
            return Ok(None);
        }
        return Ok(from_quads(
            id,
            store.base(),
            store.vocab(),
            store.public_quads(id)?,
        )?);
    }
    let quads = store.asset_quads(id)?;
    let Some(full) = from_quads(id, store.base(), store.vocab(), quads.iter().cloned())? else {
        return Ok(None);
    };
    match grant(caller, &full) {
        None => Ok(None),
        Some(Grant::Full) => Ok(Some(full)),
        Some(Grant::Public) => {
            let public = AssetIris::new(store.base(), id).public;
            let public_quads = quads
                .into_iter()
                .filter(|q: &Quad| q.graph_name == public.clone().into());
            Ok(from_quads(id, store.base(), store.vocab(), public_quads)?)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::asset::Sharing;

    fn asset(status: Status, audience: Audience, groups: &[&str]) -> Asset {
        Asset {
            status: Some(status),
            visibility: Some(Sharing {
                audience: Some(audience),
                users: vec![],
                groups: groups.iter().map(|g| g.to_string()).collect(),
            }),
            ..Asset::default()
        }
    }

    #[test]
    fn anonymous_sees_only_published_public_assets() {
        assert_eq!(
            grant(
                &Caller::Anonymous,
                &asset(Status::Published, Audience::Public, &[])
            ),
            Some(Grant::Public)
        );
        assert_eq!(
            grant(
                &Caller::Anonymous,
                &asset(Status::Draft, Audience::Public, &[])
            ),
            None
        );
        assert_eq!(
            grant(
                &Caller::Anonymous,
                &asset(Status::InReview, Audience::Public, &[])
            ),
            None
        );
        assert_eq!(
            grant(
                &Caller::Anonymous,
                &asset(Status::Published, Audience::Private, &["g"])
            ),
            None
        );
        assert_eq!(grant(&Caller::Anonymous, &Asset::default()), None);
    }

    #[test]
    fn reader_keys_agree_with_grant() {
        let callers = [
            Caller::Anonymous,
            Caller::Operator,
            Caller::Account {
                user: "u".into(),
                groups: vec!["g".into()],
                roles: vec![Role::Developer],
            },
            Caller::Account {
                user: "v".into(),
                groups: vec![],
                roles: vec![Role::Application],
            },
            Caller::Account {
                user: "m".into(),
                groups: vec![],
                roles: vec![Role::Moderator],
            },
        ];
        let mut assets = Vec::new();
        for status in [
            None,
            Some(Status::Draft),
            Some(Status::InReview),
            Some(Status::Published),
        ] {
            for audience in [None, Some(Audience::Public), Some(Audience::Private)] {
                for (users, groups, owner) in [
                    (vec![], vec![], None),
                    (vec!["u"], vec![], None),
                    (vec![], vec!["g"], None),
                    (vec![], vec![], Some("u")),
                    (vec![], vec![], Some("w")),
                ] {
                    assets.push(Asset {
                        owner: owner.map(str::to_owned),
                        status,
                        visibility: audience.map(|a| Sharing {
                            audience: Some(a),
                            users: users.iter().map(|s| s.to_string()).collect(),
                            groups: groups.iter().map(|s| s.to_string()).collect(),
                        }),
                        ..Asset::default()
                    });
                }
            }
        }
        for caller in &callers {
            let keys = reader_keys(caller);
            for asset in &assets {
                assert_eq!(
                    grant(caller, asset).is_some(),
                    finds(keys.as_deref(), &readers(asset)),
                    "{caller:?} {asset:?}"
                );
            }
        }
    }

    #[test]
    fn shared_accounts_see_private_assets_shared_with_them() {
        let member = Caller::Account {
            user: "u".into(),
            groups: vec!["g".into()],
            roles: vec![Role::Developer],
        };
        let outsider = Caller::Account {
            user: "v".into(),
            groups: vec!["h".into()],
            roles: vec![Role::Developer],
        };
        let shared = asset(Status::Published, Audience::Private, &["g"]);
        assert_eq!(grant(&member, &shared), Some(Grant::Public));
        assert_eq!(grant(&outsider, &shared), None);
        let curator = Caller::Account {
            user: "c".into(),
            groups: vec![],
            roles: vec![Role::Sciapps],
        };
        assert_eq!(
            grant(&curator, &asset(Status::Draft, Audience::Private, &[])),
            Some(Grant::Full)
        );
    }
}
