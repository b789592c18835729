//! The clock every layer reads: UTC now as the catalogue writes it (RFC 3339 with seconds, for
//! datestamps, history and the registry's own records).

use chrono::{SecondsFormat, Utc};

/// Now, as an RFC 3339 UTC timestamp with seconds precision (`2026-12-02T15:04:05Z`).
pub fn now() -> String {
    Utc::now().to_rfc3339_opts(SecondsFormat::Secs, true)
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
