//! Linked data for crawlers and the semantic web: schema.org JSON-LD, DCAT-AP and SPARQL out;
//! schema.org and DCAT documents in.

pub mod dcat;
pub mod import;
pub mod schemaorg;
pub mod sparql;
