//! The integration tests, in one binary (built and linked once): each module starts the real
//! `orrery` binary — a server on a free loopback port with a temporary data directory, or the
//! CLI — and talks to it as its clients do, with the real clients where there are some.

mod api;
mod authoring;
mod browser;
mod cli;
mod common;
mod concurrency;
mod crawlers;
mod cwl;
mod datalabs;
mod dcat;
mod fixtures;
mod harvest;
mod leak;
mod linked_import;
mod oai;
mod pipelines;
mod rdf_clients;
mod relevance;
mod replicas;
mod schemaorg;
mod search_api;
mod sparql;
mod tap;
mod trs;
mod wire;
mod write_api;
