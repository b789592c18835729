//! Linked data for crawlers and the semantic web: schema.org JSON-LD.

pub mod schemaorg;
