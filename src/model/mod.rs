//! The catalogue's data model: the asset document, the field table, vocabularies, identifiers and
//! the mapping to RDF. Nothing here does I/O beyond parsing what it is given.

pub mod asset;
pub mod coverage;
pub mod diff;
pub mod document;
pub mod fields;
pub mod ns;
pub mod rdf;
pub mod text;
pub mod vocab;

#[cfg(test)]
mod roundtrip_tests;

pub use asset::{Asset, Audience, Status};
pub use document::{DocumentError, Problem};
pub use vocab::{Scheme, Vocabularies};

/// Whether `id` is a valid local identifier: `[a-z0-9][a-z0-9._-]{0,63}`.
pub fn is_valid_id(id: &str) -> bool {
    let b = id.as_bytes();
    !b.is_empty()
        && b.len() <= 64
        && (b[0].is_ascii_lowercase() || b[0].is_ascii_digit())
        && b.iter().all(|c| {
            c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, b'.' | b'_' | b'-')
        })
}

#[cfg(test)]
mod tests {
    #[test]
    fn ids() {
        assert!(super::is_valid_id("jl-euclid-dps"));
        assert!(super::is_valid_id("0.a_b-c"));
        assert!(!super::is_valid_id("-a"));
        assert!(!super::is_valid_id("A"));
        assert!(!super::is_valid_id(""));
        assert!(!super::is_valid_id(&"a".repeat(65)));
        assert!(super::is_valid_id(&"a".repeat(64)));
    }
}
