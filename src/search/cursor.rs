//! Opaque paging cursors.
//!
//! A cursor carries the index snapshot it was cut from, the sort position of the last hit
//! returned and a fingerprint of the query and caller, signed with the index's secret key so
//! that a forged or altered cursor is refused. The next page is read from the same snapshot
//! while it is retained (so pages stay consistent while the index changes), otherwise from the
//! current one, strictly after the last position.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, KeyInit, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use super::collect::{SortBy, SortKey};

/// How long a cursor stays valid.
pub const TTL_SECONDS: i64 = 3_600;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Cursor {
    /// Searcher generation.
    pub g: u64,
    /// Sort order name.
    pub s: String,
    /// Numeric key (decimal u128) or name.
    pub k: String,
    /// Tie-break of a name key.
    #[serde(default)]
    pub t: u64,
    /// Query fingerprint.
    pub f: String,
    /// Issued at (seconds since the epoch).
    pub i: i64,
}

/// Why a cursor was refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CursorError {
    #[error("the cursor is not one this service issued")]
    Forged,
    #[error("the cursor has expired; start again from the first page")]
    Stale,
    #[error("the cursor belongs to another query (q, filters, sort or caller changed)")]
    OtherQuery,
}

type HmacSha256 = Hmac<Sha256>;

fn mac(secret: &[u8], payload: &[u8]) -> Option<Vec<u8>> {
    let mut m = HmacSha256::new_from_slice(secret).ok()?;
    m.update(payload);
    Some(m.finalize().into_bytes()[..16].to_vec())
}

impl Cursor {
    pub fn new(generation: u64, sort: SortBy, key: &SortKey, fingerprint: &str) -> Cursor {
        let (k, t) = match key {
            SortKey::Num(n) => (n.to_string(), 0),
            SortKey::Name(s, t) => (s.clone(), *t),
        };
        Cursor {
            g: generation,
            s: sort.name().to_owned(),
            k,
            t,
            f: fingerprint.to_owned(),
            i: chrono::Utc::now().timestamp(),
        }
    }

    pub fn encode(&self, secret: &[u8]) -> String {
        let payload = serde_json::to_vec(self).unwrap_or_default();
        let sig = mac(secret, &payload).unwrap_or_default();
        format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(&payload),
            URL_SAFE_NO_PAD.encode(sig)
        )
    }

    /// Decodes and checks a cursor for a query with `fingerprint` sorted by `sort`.
    pub fn decode(
        text: &str,
        secret: &[u8],
        fingerprint: &str,
        sort: SortBy,
    ) -> Result<(Cursor, SortKey), CursorError> {
        let (payload, sig) = text.split_once('.').ok_or(CursorError::Forged)?;
        let payload = URL_SAFE_NO_PAD
            .decode(payload)
            .map_err(|_| CursorError::Forged)?;
        let sig = URL_SAFE_NO_PAD
            .decode(sig)
            .map_err(|_| CursorError::Forged)?;
        let mut m = HmacSha256::new_from_slice(secret).map_err(|_| CursorError::Forged)?;
        m.update(&payload);
        m.verify_truncated_left(&sig)
            .map_err(|_| CursorError::Forged)?;
        if sig.len() != 16 {
            return Err(CursorError::Forged);
        }
        let cursor: Cursor = serde_json::from_slice(&payload).map_err(|_| CursorError::Forged)?;
        if chrono::Utc::now().timestamp() - cursor.i > TTL_SECONDS {
            return Err(CursorError::Stale);
        }
        if cursor.f != fingerprint || cursor.s != sort.name() {
            return Err(CursorError::OtherQuery);
        }
        let key = if sort == SortBy::Name {
            SortKey::Name(cursor.k.clone(), cursor.t)
        } else {
            SortKey::Num(cursor.k.parse().map_err(|_| CursorError::Forged)?)
        };
        Ok((cursor, key))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_tampering() {
        let secret = b"0123456789abcdef0123456789abcdef";
        let c = Cursor::new(7, SortBy::Relevance, &SortKey::Num(42), "fp");
        let text = c.encode(secret);
        let (back, key) = Cursor::decode(&text, secret, "fp", SortBy::Relevance).unwrap();
        assert_eq!(back, c);
        assert_eq!(key, SortKey::Num(42));
        assert_eq!(
            Cursor::decode(&text, secret, "other", SortBy::Relevance),
            Err(CursorError::OtherQuery)
        );
        assert_eq!(
            Cursor::decode(&text, b"another secret", "fp", SortBy::Relevance),
            Err(CursorError::Forged)
        );
        let mut forged = Cursor::new(7, SortBy::Relevance, &SortKey::Num(1), "fp")
            .encode(secret)
            .split('.')
            .next()
            .unwrap()
            .to_owned();
        forged.push('.');
        forged.push_str(text.split('.').nth(1).unwrap());
        assert_eq!(
            Cursor::decode(&forged, secret, "fp", SortBy::Relevance),
            Err(CursorError::Forged)
        );
        assert_eq!(
            Cursor::decode("garbage", secret, "fp", SortBy::Relevance),
            Err(CursorError::Forged)
        );
        let mut old = c.clone();
        old.i -= TTL_SECONDS + 10;
        assert_eq!(
            Cursor::decode(&old.encode(secret), secret, "fp", SortBy::Relevance),
            Err(CursorError::Stale)
        );
    }
}
