//! The clock every layer reads: UTC now in the forms the catalogue writes (RFC 3339 seconds for
//! datestamps and history, Unix seconds for signed tokens).

use chrono::{DateTime, SecondsFormat, Utc};

/// Now, as an RFC 3339 UTC timestamp with seconds precision (`2026-12-02T15:04:05Z`).
pub fn now() -> String {
    Utc::now().to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// Now, as a time.
pub fn now_utc() -> DateTime<Utc> {
    Utc::now()
}

/// Now, in seconds since the Unix epoch.
pub fn unix_now() -> i64 {
    Utc::now().timestamp()
}

#[cfg(test)]
mod tests {
    #[test]
    fn datestamps_have_seconds_and_a_zulu_zone() {
        let n = super::now();
        assert_eq!(n.len(), 20, "{n}");
        assert!(n.ends_with('Z'));
        assert!(chrono::DateTime::parse_from_rfc3339(&n).is_ok());
    }
}
