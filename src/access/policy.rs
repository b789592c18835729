//! THE write decision: which fields of an asset a caller may change.
//!
//! It reads the field table (`model::fields`) and nothing else, so the platform's metadata
//! table is enforced from the one place it is written down: a role writes the fields whose
//! write column names it; the owner writes DEVELOPER fields of its own asset; moderators and
//! sciapps write DEVELOPER fields of any asset; application accounts write APPLICATION fields
//! only. Workflow and read-only fields are never written directly.

use super::Caller;
use crate::model::fields::{FIELDS, Role, SUBFIELDS, WriteRule};

/// The write rule of a field as `model::diff` names it (`key` or `datalabImage.{sub}`).
fn rule(field: &str) -> Option<WriteRule> {
    if let Some((key, sub)) = field.split_once('.') {
        return SUBFIELDS
            .iter()
            .find(|(k, s, _)| *k == key && *s == sub)
            .map(|(_, _, r)| *r);
    }
    FIELDS.iter().find(|f| f.key == field).map(|f| f.write)
}

/// Whether `caller` may change `field` of an asset owned by `owner` (for a new asset, the
/// owner is the caller).
pub fn may_write(caller: &Caller, owner: Option<&str>, field: &str) -> bool {
    let Some(rule) = rule(field) else {
        return false;
    };
    let (user, roles) = match caller {
        Caller::Anonymous => return false,
        Caller::Operator => {
            return matches!(rule, WriteRule::Roles(_) | WriteRule::OnCreate);
        }
        Caller::Account { user, roles, .. } => (user, roles),
    };
    let owns = owner == Some(user.as_str());
    let has = |r: Role| roles.contains(&r);
    let developer = (has(Role::Developer) && owns) || has(Role::Moderator) || has(Role::Sciapps);
    match rule {
        WriteRule::Roles(allowed) => allowed.iter().any(|r| match r {
            Role::Developer => developer,
            other => has(*other),
        }),
        WriteRule::OnCreate => developer,
        WriteRule::Workflow | WriteRule::ReadOnly => false,
    }
}

/// The fields among `changed` that `caller` may not change; empty when the write may go ahead.
pub fn refused<'a>(
    caller: &Caller,
    owner: Option<&str>,
    changed: impl IntoIterator<Item = &'a str>,
) -> Vec<String> {
    changed
        .into_iter()
        .filter(|f| !may_write(caller, owner, f))
        .map(str::to_owned)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn account(user: &str, roles: &[Role]) -> Caller {
        Caller::Account {
            user: user.into(),
            groups: vec![],
            roles: roles.to_vec(),
        }
    }

    #[test]
    fn the_metadata_table_decides() {
        let dev = account("alice", &[Role::Developer]);
        let other_dev = account("bob", &[Role::Developer]);
        let moderator = account("mo", &[Role::Moderator]);
        let sciapps = account("sa", &[Role::Sciapps]);
        let app = account("build-service", &[Role::Application]);
        let owner = Some("alice");
        // DEVELOPER fields: the owner, moderators and sciapps; not another developer, not the
        // application.
        for f in [
            "abstract",
            "name",
            "keywords",
            "datalabImage.keyword",
            "visibility",
        ] {
            assert!(may_write(&dev, owner, f), "{f}");
            assert!(!may_write(&other_dev, owner, f), "{f}");
            assert!(may_write(&moderator, owner, f), "{f}");
            assert!(may_write(&sciapps, owner, f), "{f}");
            assert!(!may_write(&app, owner, f), "{f}");
        }
        // APPLICATION fields: the application only.
        for f in [
            "datalabImage.platform",
            "datalabImage.id",
            "dateCreated",
            "build",
            "popularity",
        ] {
            assert!(may_write(&app, owner, f), "{f}");
            assert!(!may_write(&dev, owner, f), "{f}");
            assert!(!may_write(&moderator, owner, f), "{f}");
        }
        // Named roles.
        assert!(may_write(&sciapps, owner, "domain"));
        assert!(may_write(&moderator, owner, "domain"));
        assert!(!may_write(&dev, owner, "domain"));
        assert!(may_write(&sciapps, owner, "publisher"));
        assert!(!may_write(&moderator, owner, "publisher"));
        assert!(may_write(&moderator, owner, "moderatorComment"));
        assert!(!may_write(&dev, owner, "moderatorComment"));
        // Workflow and read-only fields: nobody.
        for c in [&dev, &moderator, &sciapps, &app, &Caller::Operator] {
            assert!(!may_write(c, owner, "status"));
            assert!(!may_write(c, owner, "owner"));
            assert!(!may_write(c, owner, "revision"));
        }
        assert!(!may_write(&Caller::Anonymous, owner, "name"));
        assert!(!may_write(&dev, owner, "no-such-field"));
        assert_eq!(
            refused(&dev, owner, ["name", "domain", "build"]),
            ["domain", "build"]
        );
    }
}
