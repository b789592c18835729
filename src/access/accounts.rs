//! Accounts and bearer tokens, kept in the relational database (`catalog.sqlite`, or the
//! shared PostgreSQL of a deployment of several nodes: see `db`).
//!
//! A token is `orr_{id}_{secret}`: the id names it in listings and revocations, the secret
//! (256 random bits) proves it. Only the SHA-256 of the whole token is stored, so a copy of the
//! database grants nothing. Tokens carry the account name, its roles and groups, and an optional
//! expiry; revoking keeps the row (for the record) and refuses the token from then on. The
//! command line writes here while the service may be running: SQLite in WAL mode lets both share
//! the file, and every request looks its token up afresh, so a revocation takes effect at once.

use std::path::Path;

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::store::db::{Db, Row, text};

use crate::access::Caller;
use crate::model::fields::Role;

/// Errors of the accounts database.
#[derive(Debug, thiserror::Error)]
pub enum AccountsError {
    #[error("accounts database: {0}")]
    Sql(#[from] sqlx::Error),
    #[error("cannot draw random bytes: {0}")]
    Random(String),
    #[error("{0}")]
    Invalid(String),
}

pub type Result<T> = std::result::Result<T, AccountsError>;

const SCHEMA: &[&str] = &[
    "CREATE TABLE IF NOT EXISTS tokens (
        id TEXT PRIMARY KEY,
        hash TEXT NOT NULL,
        user TEXT NOT NULL,
        roles TEXT NOT NULL,
        groups TEXT NOT NULL,
        created TEXT NOT NULL,
        expires TEXT,
        revoked TEXT
    )",
    // Browser sessions (`access::sessions`): the cookie's SHA-256, what opened it, its CSRF
    // token and end.
    "CREATE TABLE IF NOT EXISTS sessions (
        hash TEXT PRIMARY KEY,
        source TEXT NOT NULL,
        token_id TEXT,
        csrf TEXT NOT NULL,
        created TEXT NOT NULL,
        expires TEXT NOT NULL
    )",
    "CREATE INDEX IF NOT EXISTS sessions_token ON sessions (token_id)",
];

/// What a new token grants.
#[derive(Debug, Clone)]
pub struct NewToken {
    pub user: String,
    pub roles: Vec<Role>,
    pub groups: Vec<String>,
    pub expires: Option<DateTime<Utc>>,
}

/// A stored token, without its secret.
#[derive(Debug, Clone, Serialize)]
pub struct TokenInfo {
    pub id: String,
    pub user: String,
    pub roles: Vec<Role>,
    pub groups: Vec<String>,
    pub created: String,
    pub expires: Option<String>,
    pub revoked: Option<String>,
}

/// The outcome of presenting a bearer token.
#[derive(Debug, Clone, PartialEq)]
pub enum Authentication {
    Valid(Caller),
    /// Not a token this service issued (or malformed).
    Unknown,
    Expired,
    Revoked,
}

/// The accounts database.
#[derive(Clone)]
pub struct Accounts {
    db: Db,
}

pub(super) fn hash(token: &str) -> String {
    Sha256::digest(token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Compares two strings in time independent of where they differ.
pub fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// The id part of a token, when it has the token's shape.
fn token_id(token: &str) -> Option<&str> {
    let rest = token.strip_prefix("orr_")?;
    let (id, secret) = rest.split_once('_')?;
    (id.len() == 12 && id.bytes().all(|b| b.is_ascii_hexdigit()) && secret.len() == 43)
        .then_some(id)
}

fn parse_roles(text: &str) -> Vec<Role> {
    text.split(',')
        .filter_map(|r| match r {
            "developer" => Some(Role::Developer),
            "moderator" => Some(Role::Moderator),
            "sciapps" => Some(Role::Sciapps),
            "application" => Some(Role::Application),
            _ => None,
        })
        .collect()
}

fn role_name(r: Role) -> &'static str {
    match r {
        Role::Developer => "developer",
        Role::Moderator => "moderator",
        Role::Sciapps => "sciapps",
        Role::Application => "application",
    }
}

/// Parses a lifetime such as `90d`, `12h`, `30m`, `2w` or `1y` (a year is 365 days).
pub fn parse_lifetime(text: &str) -> Result<Duration> {
    let bad = || {
        AccountsError::Invalid(format!(
            "{text:?} is not a lifetime: give a number and a unit, e.g. 90d, 12h, 30m, 2w, 1y"
        ))
    };
    let text = text.trim();
    let unit = text.chars().last().ok_or_else(bad)?;
    let n: i64 = text[..text.len() - unit.len_utf8()]
        .parse()
        .map_err(|_| bad())?;
    if n <= 0 || n > 100_000 {
        return Err(bad());
    }
    Ok(match unit {
        'm' => Duration::minutes(n),
        'h' => Duration::hours(n),
        'd' => Duration::days(n),
        'w' => Duration::weeks(n),
        'y' => Duration::days(365 * n),
        _ => return Err(bad()),
    })
}

/// Whether `name` may name an account or group: what the sharing lists hold.
pub fn is_valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 200
        && name
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '.' | '_' | '-' | '@'))
}

/// The columns `token_of` reads, the secret's hash last (a macro, so that queries stay
/// literal SQL).
macro_rules! token_columns {
    () => {
        "id, \"user\", roles, \"groups\", created, expires, revoked, hash"
    };
}

/// Column `i` of a row (NULL or missing: `None`).
pub(super) fn col(r: &Row, i: usize) -> Option<String> {
    r.get(i).cloned().flatten()
}

/// A row of `token_columns!` as a stored token.
fn token_of(r: &Row) -> TokenInfo {
    TokenInfo {
        id: col(r, 0).unwrap_or_default(),
        user: col(r, 1).unwrap_or_default(),
        roles: parse_roles(&col(r, 2).unwrap_or_default()),
        groups: serde_json::from_str(&col(r, 3).unwrap_or_default()).unwrap_or_default(),
        created: col(r, 4).unwrap_or_default(),
        expires: col(r, 5),
        revoked: col(r, 6),
    }
}

/// Whether an RFC 3339 time has passed (one that cannot be read has).
pub(super) fn passed(time: &str) -> bool {
    DateTime::parse_from_rfc3339(time).map_or(true, |t| t.with_timezone(&Utc) <= Utc::now())
}

/// What a stored token grants now.
fn standing(info: &TokenInfo) -> Authentication {
    if info.revoked.is_some() {
        return Authentication::Revoked;
    }
    if info.expires.as_deref().is_some_and(passed) {
        return Authentication::Expired;
    }
    Authentication::Valid(Caller::Account {
        user: info.user.clone(),
        roles: info.roles.clone(),
        groups: info.groups.clone(),
    })
}

impl Accounts {
    /// Opens (creating if needed) the accounts tables in the database file at `path`.
    pub async fn open(path: &Path) -> Result<Accounts> {
        let pool = crate::store::sqlite::open(path).await?;
        for stmt in SCHEMA {
            sqlx::query(*stmt).execute(&pool).await?;
        }
        Ok(Accounts {
            db: Db::Sqlite(pool),
        })
    }

    /// The accounts of a deployment whose nodes share PostgreSQL (the tables come with the
    /// revision log's migrations).
    pub fn on_postgres(pool: sqlx::PgPool) -> Accounts {
        Accounts {
            db: Db::Postgres(pool),
        }
    }

    /// The database the accounts live in (the state beside the catalogue shares it).
    pub fn db(&self) -> &Db {
        &self.db
    }

    /// The stored token `id`, with the hash of its secret.
    async fn stored(&self, id: &str) -> Result<Option<(TokenInfo, String)>> {
        let row = self
            .db
            .one(
                concat!("SELECT ", token_columns!(), " FROM tokens WHERE id = $1"),
                &[text(id)],
            )
            .await?;
        Ok(row.map(|r| (token_of(&r), col(&r, 7).unwrap_or_default())))
    }

    /// The stored token a bearer token is, when it is one this service issued, and what it
    /// grants now.
    pub(super) async fn presented(
        &self,
        token: &str,
    ) -> Result<(Option<TokenInfo>, Authentication)> {
        let Some(id) = token_id(token) else {
            return Ok((None, Authentication::Unknown));
        };
        Ok(match self.stored(id).await? {
            Some((info, stored_hash)) if same(&stored_hash, &hash(token)) => {
                let standing = standing(&info);
                (Some(info), standing)
            }
            _ => (None, Authentication::Unknown),
        })
    }

    /// Who the token `id` grants, while it is neither revoked nor expired.
    pub(super) async fn token_caller(&self, id: &str) -> Result<Option<Caller>> {
        Ok(match self.stored(id).await? {
            Some((info, _)) => match standing(&info) {
                Authentication::Valid(caller) => Some(caller),
                _ => None,
            },
            None => None,
        })
    }

    /// Issues a token; returns what was stored and the token itself (shown once, never stored).
    pub async fn create(&self, new: &NewToken) -> Result<(TokenInfo, String)> {
        if !is_valid_name(&new.user) {
            return Err(AccountsError::Invalid(format!(
                "{:?} is not an account name (letters, digits, . _ - @)",
                new.user
            )));
        }
        if let Some(g) = new.groups.iter().find(|g| !is_valid_name(g)) {
            return Err(AccountsError::Invalid(format!(
                "{g:?} is not a group name (letters, digits, . _ - @)"
            )));
        }
        if new.roles.is_empty() {
            return Err(AccountsError::Invalid("a token needs a role".into()));
        }
        let bytes =
            crate::secrets::random_bytes(38).map_err(|e| AccountsError::Random(e.to_string()))?;
        let id: String = bytes[..6].iter().map(|b| format!("{b:02x}")).collect();
        use base64::Engine as _;
        let secret = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&bytes[6..]);
        let token = format!("orr_{id}_{secret}");
        let mut roles: Vec<&str> = new.roles.iter().map(|r| role_name(*r)).collect();
        roles.sort_unstable();
        roles.dedup();
        let info = TokenInfo {
            id: id.clone(),
            user: new.user.clone(),
            roles: parse_roles(&roles.join(",")),
            groups: new.groups.clone(),
            created: crate::clock::now(),
            expires: new
                .expires
                .map(|e| e.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
            revoked: None,
        };
        self.db
            .execute(
                "INSERT INTO tokens (id, hash, \"user\", roles, \"groups\", created, expires) VALUES ($1, $2, $3, $4, $5, $6, $7)",
                &[
                    text(&info.id),
                    text(hash(&token)),
                    text(&info.user),
                    text(roles.join(",")),
                    text(serde_json::to_string(&info.groups).unwrap_or_else(|_| "[]".into())),
                    text(&info.created),
                    info.expires.clone(),
                ],
            )
            .await?;
        Ok((info, token))
    }

    /// Every token, oldest first.
    pub async fn list(&self) -> Result<Vec<TokenInfo>> {
        let rows = self
            .db
            .all(
                concat!(
                    "SELECT ",
                    token_columns!(),
                    " FROM tokens ORDER BY created, id"
                ),
                &[],
            )
            .await?;
        Ok(rows.iter().map(token_of).collect())
    }

    /// Revokes a token given by its id or as the token itself. Returns false when there is no
    /// such token or it was already revoked.
    pub async fn revoke(&self, id_or_token: &str) -> Result<bool> {
        let id = token_id(id_or_token).unwrap_or(id_or_token);
        let done = self
            .db
            .execute(
                "UPDATE tokens SET revoked = $1 WHERE id = $2 AND revoked IS NULL",
                &[text(crate::clock::now()), text(id)],
            )
            .await?;
        Ok(done == 1)
    }

    /// Who presents this bearer token.
    pub async fn authenticate(&self, token: &str) -> Result<Authentication> {
        Ok(self.presented(token).await?.1)
    }

    pub async fn close(&self) {
        self.db.close().await;
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    /// Accounts in a fresh database file.
    pub(crate) async fn accounts() -> (tempfile::TempDir, Accounts) {
        let dir = tempfile::tempdir().unwrap();
        let a = Accounts::open(&dir.path().join("catalog.sqlite"))
            .await
            .unwrap();
        (dir, a)
    }

    fn new(user: &str, roles: &[Role]) -> NewToken {
        NewToken {
            user: user.into(),
            roles: roles.to_vec(),
            groups: vec!["g1".into()],
            expires: None,
        }
    }

    #[tokio::test]
    async fn tokens_authenticate_until_revoked() {
        let (_d, a) = accounts().await;
        let (info, token) = a.create(&new("alice", &[Role::Developer])).await.unwrap();
        assert_eq!(
            a.authenticate(&token).await.unwrap(),
            Authentication::Valid(Caller::Account {
                user: "alice".into(),
                groups: vec!["g1".into()],
                roles: vec![Role::Developer],
            })
        );
        // A token with the right id but another secret is unknown.
        let forged = format!("orr_{}_{}", info.id, "A".repeat(43));
        assert_eq!(
            a.authenticate(&forged).await.unwrap(),
            Authentication::Unknown
        );
        assert_eq!(
            a.authenticate("garbage").await.unwrap(),
            Authentication::Unknown
        );
        assert!(a.revoke(&info.id).await.unwrap());
        assert!(!a.revoke(&info.id).await.unwrap());
        assert_eq!(
            a.authenticate(&token).await.unwrap(),
            Authentication::Revoked
        );
        let listed = a.list().await.unwrap();
        assert_eq!(listed.len(), 1);
        assert!(listed[0].revoked.is_some());
        // Nothing in the database is the token.
        let stored = a.db.all("SELECT hash FROM tokens", &[]).await.unwrap();
        assert!(
            stored
                .iter()
                .all(|h| !col(h, 0).unwrap().contains(&token[4..]))
        );
    }

    #[tokio::test]
    async fn expired_tokens_are_refused() {
        let (_d, a) = accounts().await;
        let mut n = new("bob", &[Role::Moderator]);
        n.expires = Some(Utc::now() - Duration::seconds(1));
        let (_, token) = a.create(&n).await.unwrap();
        assert_eq!(
            a.authenticate(&token).await.unwrap(),
            Authentication::Expired
        );
    }

    #[test]
    fn lifetimes() {
        assert_eq!(parse_lifetime("90d").unwrap(), Duration::days(90));
        assert_eq!(parse_lifetime("12h").unwrap(), Duration::hours(12));
        assert_eq!(parse_lifetime("1y").unwrap(), Duration::days(365));
        for bad in ["", "d", "0d", "-1d", "5x", "1.5d", "99999999999d"] {
            assert!(parse_lifetime(bad).is_err(), "{bad}");
        }
    }
}
