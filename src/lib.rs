//! orrery: the metadata catalogue and discovery service of a space-science platform.
//!
//! The modules stand in layers, and a module imports only from layers below its own (the test
//! in `layers.rs` reads every `crate::` and `super::` path of `src/` against this table):
//!
//! | layer | modules | what they hold |
//! |---|---|---|
//! | 0 | `clock`, `secrets`, `panics`, `escape` | the time, signing secrets, panics as reported failures, HTML and XML escaping |
//! | 1 | `model` | the asset document, field table, vocabularies, RDF mapping |
//! | 2 | `store` | oxigraph (the single source of truth), its revision log, the SQLite files |
//! | 3 | `access` | the one visibility decision; accounts and bearer tokens |
//! | 4 | `project` | read models fed by store revision: the projection trait, assets table, OAI log |
//! | 5 | `search`, `linked`, `ivoa`, `artefact` | the protocols: the tantivy index and its queries; schema.org, DCAT and SPARQL; VOResource, OAI-PMH, RegTAP, ADQL, TAP, UWS, VOSI; CWL documents and bundles |
//! | 6 | `catalog` | the service core: the store with its projections, the write path and workflow, harvest, launch links |
//! | 7 | `portal` | the pages for people: search, catalogues, asset pages, feeds and exports, from compiled templates |
//! | 8 | `telemetry` | logs and metrics |
//! | 9 | `config` | the service's one configuration struct |
//! | 10 | `http` | the HTTP surface: routers, extractors, the one error conversion, OpenAPI |
//! | 11 | `cli` | the command line, which also starts the HTTP service |
//!
//! The protocols of layer 5 never import one another. Inside `ivoa` the same holds between its
//! parts (see its own map).

pub mod access;
pub mod artefact;
pub mod catalog;
pub mod cli;
pub mod clock;
pub mod config;
pub mod escape;
pub mod http;
pub mod ivoa;
#[cfg(test)]
mod layers;
pub mod linked;
pub mod model;
pub mod panics;
pub mod portal;
pub mod project;
pub mod search;
pub mod secrets;
pub mod store;
pub mod telemetry;
#[cfg(test)]
mod testing;
