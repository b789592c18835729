//! RegTAP 1.1: the relational `rr` schema of a searchable registry (`schema`) and the rows a
//! VOResource record becomes in it (`rows`), with the standard's normalisation rules.

pub mod project;
pub mod rows;
pub mod schema;

#[cfg(test)]
mod tests;
