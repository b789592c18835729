//! Linked data for crawlers and the semantic web: schema.org JSON-LD and DCAT-AP.

pub mod dcat;
pub mod schemaorg;
