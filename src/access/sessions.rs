//! Browser sessions: a person signs in once and the portal knows them by a cookie.
//!
//! A session is opened by a proof of identity — today a bearer token (`SignIn::Token`) — and
//! named by 256 random bits that travel only in an `HttpOnly` cookie; the database keeps their
//! SHA-256, so a copy of it opens nothing. Every request re-reads the session and the token it
//! came from: a revoked or expired token ends its sessions at once, and a session never
//! outlives its token (nor `MAX_AGE`). Each session carries its own CSRF token, which every form
//! of a signed-in page sends back.
//!
//! The seam for the platform's single sign-on is `SignIn`: an OpenID Connect login would add a
//! variant carrying the verified ID token's issuer, subject and claims, map them to an account
//! with its roles and groups, and open the same `Session` through `open`; everything after
//! sign-in (cookie, CSRF, expiry, sign-out) stays as it is.

use chrono::{DateTime, Duration, Utc};

use super::accounts::{Accounts, AccountsError, Authentication, Result, col};
use crate::access::Caller;
use crate::store::db::text;

/// How long a session lasts at most, whatever its token's lifetime.
pub const MAX_AGE: Duration = Duration::hours(12);

/// How a person proves who they are when signing in.
pub enum SignIn<'a> {
    /// A bearer token issued by `orrery token create`.
    Token(&'a str),
}

/// A session just opened: the cookie's value (shown once, never stored) and when it ends.
#[derive(Debug, Clone)]
pub struct Opened {
    pub cookie: String,
    pub expires: DateTime<Utc>,
}

/// A live session: who it is and the token its forms must carry.
#[derive(Debug, Clone, PartialEq)]
pub struct Session {
    pub caller: Caller,
    pub csrf: String,
}

/// The outcome of presenting a session cookie.
#[derive(Debug, Clone, PartialEq)]
pub enum Lookup {
    Valid(Session),
    /// Not a session (forged, unknown, signed out), or ended: expired, or its token was
    /// revoked or expired.
    Ended,
}

fn random_text(bytes: usize) -> Result<String> {
    use base64::Engine as _;
    let raw =
        crate::secrets::random_bytes(bytes).map_err(|e| AccountsError::Random(e.to_string()))?;
    Ok(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw))
}

fn stamp(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// Whether `cookie` has the shape of a session cookie (43 characters of base64url).
fn well_formed(cookie: &str) -> bool {
    cookie.len() == 43
        && cookie
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

impl Accounts {
    /// Opens a session for whoever `proof` proves; the refusal says why when it proves nobody.
    pub async fn open_session(
        &self,
        proof: SignIn<'_>,
    ) -> Result<std::result::Result<Opened, Authentication>> {
        let SignIn::Token(token) = proof;
        let token = token.trim();
        let (info, standing) = self.presented(token).await?;
        let (Some(info), Authentication::Valid(_)) = (info, &standing) else {
            return Ok(Err(standing));
        };
        let now = Utc::now();
        let mut expires = now + MAX_AGE;
        if let Some(e) = info
            .expires
            .as_deref()
            .and_then(|e| DateTime::parse_from_rfc3339(e).ok())
        {
            expires = expires.min(e.with_timezone(&Utc));
        }
        let cookie = random_text(32)?;
        self.db()
            .execute(
                "INSERT INTO sessions (hash, source, token_id, csrf, created, expires) VALUES ($1, 'token', $2, $3, $4, $5)",
                &[
                    text(super::accounts::hash(&cookie)),
                    text(&info.id),
                    text(random_text(32)?),
                    text(stamp(now)),
                    text(stamp(expires)),
                ],
            )
            .await?;
        Ok(Ok(Opened { cookie, expires }))
    }

    /// The session a cookie names, checked against its token as it stands now.
    pub async fn session(&self, cookie: &str) -> Result<Lookup> {
        if !well_formed(cookie) {
            return Ok(Lookup::Ended);
        }
        let row = self
            .db()
            .one(
                "SELECT token_id, csrf, expires FROM sessions WHERE hash = $1",
                &[text(super::accounts::hash(cookie))],
            )
            .await?;
        let Some(row) = row else {
            return Ok(Lookup::Ended);
        };
        let ended = super::accounts::passed(&col(&row, 2).unwrap_or_default());
        let token_id = col(&row, 0);
        let caller = match token_id {
            Some(id) if !ended => self.token_caller(&id).await?,
            _ => None,
        };
        Ok(match caller {
            Some(caller) => Lookup::Valid(Session {
                caller,
                csrf: col(&row, 1).unwrap_or_default(),
            }),
            None => Lookup::Ended,
        })
    }

    /// Ends the session a cookie names (signing out); true when there was one.
    pub async fn close_session(&self, cookie: &str) -> Result<bool> {
        let done = self
            .db()
            .execute(
                "DELETE FROM sessions WHERE hash = $1",
                &[text(super::accounts::hash(cookie))],
            )
            .await?;
        Ok(done == 1)
    }

    /// Forgets sessions that have ended; returns how many.
    pub async fn sweep_sessions(&self) -> Result<u64> {
        Ok(self
            .db()
            .execute(
                "DELETE FROM sessions WHERE expires <= $1",
                &[text(stamp(Utc::now()))],
            )
            .await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::access::accounts::NewToken;
    use crate::access::accounts::tests::accounts;
    use crate::model::fields::Role;

    fn new(user: &str, expires: Option<DateTime<Utc>>) -> NewToken {
        NewToken {
            user: user.into(),
            roles: vec![Role::Developer],
            groups: vec![],
            expires,
        }
    }

    #[tokio::test]
    async fn a_session_lasts_while_its_token_does() {
        let (_d, a) = accounts().await;
        let (info, token) = a.create(&new("alice", None)).await.unwrap();
        let opened = a
            .open_session(SignIn::Token(&token))
            .await
            .unwrap()
            .unwrap();
        assert!(opened.expires <= Utc::now() + MAX_AGE);
        let Lookup::Valid(s) = a.session(&opened.cookie).await.unwrap() else {
            panic!("the session is not valid");
        };
        assert_eq!(
            s.caller,
            Caller::Account {
                user: "alice".into(),
                groups: vec![],
                roles: vec![Role::Developer]
            }
        );
        assert_eq!(s.csrf.len(), 43);
        // Nothing stored is the cookie.
        let stored = a.db().all("SELECT hash FROM sessions", &[]).await.unwrap();
        assert!(stored.iter().all(|h| col(h, 0).unwrap() != opened.cookie));
        // A forged cookie of the right shape, and junk, name no session.
        assert_eq!(a.session(&"A".repeat(43)).await.unwrap(), Lookup::Ended);
        assert_eq!(a.session("junk").await.unwrap(), Lookup::Ended);
        // Revoking the token ends the session at once.
        assert!(a.revoke(&info.id).await.unwrap());
        assert_eq!(a.session(&opened.cookie).await.unwrap(), Lookup::Ended);
    }

    #[tokio::test]
    async fn signing_out_ends_the_session_and_bad_tokens_open_none() {
        let (_d, a) = accounts().await;
        let (_, token) = a.create(&new("bob", None)).await.unwrap();
        let opened = a
            .open_session(SignIn::Token(&token))
            .await
            .unwrap()
            .unwrap();
        assert!(a.close_session(&opened.cookie).await.unwrap());
        assert_eq!(a.session(&opened.cookie).await.unwrap(), Lookup::Ended);
        assert_eq!(
            a.open_session(SignIn::Token("orr_nope"))
                .await
                .unwrap()
                .err(),
            Some(Authentication::Unknown)
        );
        let (_, old) = a
            .create(&new("carol", Some(Utc::now() - Duration::seconds(1))))
            .await
            .unwrap();
        assert_eq!(
            a.open_session(SignIn::Token(&old)).await.unwrap().err(),
            Some(Authentication::Expired)
        );
    }

    #[tokio::test]
    async fn a_session_ends_with_a_short_lived_token() {
        let (_d, a) = accounts().await;
        let soon = Utc::now() + Duration::minutes(5);
        let (_, token) = a.create(&new("dan", Some(soon))).await.unwrap();
        let opened = a
            .open_session(SignIn::Token(&token))
            .await
            .unwrap()
            .unwrap();
        assert!(opened.expires <= soon);
        // An ended session is swept.
        a.db()
            .execute("UPDATE sessions SET expires = '2000-01-01T00:00:00Z'", &[])
            .await
            .unwrap();
        assert_eq!(a.session(&opened.cookie).await.unwrap(), Lookup::Ended);
        assert_eq!(a.sweep_sessions().await.unwrap(), 1);
    }
}
