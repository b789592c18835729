//! Linked data for crawlers and the semantic web: schema.org JSON-LD, DCAT-AP and SPARQL.

pub mod dcat;
pub mod schemaorg;
pub mod sparql;
