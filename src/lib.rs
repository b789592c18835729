//! orrery: the metadata catalogue and discovery service of a space-science platform.
//!
//! Layers, bottom to top: `model` (asset document, field table, vocabularies, RDF mapping),
//! `store` (oxigraph, the single source of truth), `access` (the one visibility decision),
//! `project` (read models fed by store revision), `accounts` (bearer tokens), `search` (the tantivy index and its queries), `registry` (VOResource and OAI-PMH), `linked` (schema.org), `catalog` (the service core), `write` (the write path and workflow), then the
//! surfaces: `http` and `cli`.

pub mod access;
pub mod accounts;
pub mod adql;
pub mod catalog;
pub mod cli;
pub mod config;
pub mod harvest;
pub mod http;
pub mod launch;
pub mod linked;
pub mod model;
pub mod panics;
pub mod project;
pub mod registry;
pub mod regtap;
pub mod search;
pub mod store;
pub mod tap;
pub mod telemetry;
#[cfg(test)]
mod testing;
pub mod write;
