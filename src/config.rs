//! Service configuration: one struct, filled from flags and environment, logged once at start.

use std::net::SocketAddr;
use std::path::PathBuf;

use serde::Serialize;

/// Everything the service needs to know about its deployment.
#[derive(Debug, Clone, Serialize)]
pub struct Config {
    /// The data directory (store, projections).
    pub data: PathBuf,
    /// Address to listen on.
    pub addr: SocketAddr,
    /// Public base URL; asset IRIs are `{base_url}/id/{id}`.
    pub base_url: String,
    /// Base URL of the platform whose launch wizard opens datalabs.
    pub launch_base: String,
    /// IVOA naming authority: assets are `ivo://{authority}/{id}`.
    pub authority: String,
    /// Largest request body accepted, in bytes.
    pub max_body_bytes: usize,
    /// Documents a pushed CWL file may name by URL, served from local folders (`PREFIX=DIR`,
    /// the EOAP schemas say); nothing is ever fetched.
    pub cwl_mirrors: Vec<String>,
    /// Who publishes the registry (its records' publisher and contact).
    pub publisher: String,
    /// The registry's contact address (OAI-PMH adminEmail).
    pub admin_email: String,
    /// Records per OAI-PMH list response.
    pub oai_page_size: usize,
    /// URLs per sitemap file (50,000 by the sitemaps protocol).
    pub sitemap_size: usize,
    /// How long one SPARQL query may run, in milliseconds.
    pub sparql_timeout_ms: u64,
    /// The most results (solutions or triples) one SPARQL query may return.
    pub sparql_max_results: usize,
    /// The most searches running or waiting at once; past it a search answers 503.
    pub search_queue: usize,
    /// TAP: rows without MAXREC, and the most rows ever.
    pub tap_default_maxrec: u64,
    pub tap_hard_maxrec: u64,
    /// TAP: seconds a synchronous query, and an async job, may run.
    pub tap_sync_timeout: u64,
    pub tap_async_timeout: u64,
    /// TAP: seconds an async job is kept.
    pub tap_retention: u64,
    /// No TAP service (nor its rr tables); the registry then publishes no TAP record.
    pub no_tap: bool,
    /// TAP: the longest rr backlog caught up before serving (longer: built in the background).
    pub tap_inline_backlog: u64,
    /// The relational registry holds the whole VO registry (declares the RegTAP data model).
    pub full_registry: bool,
    /// The PostgreSQL database holding the shared truth (the revision log) and the relational
    /// registry; without it everything is embedded in `data`. Not logged: it may hold a
    /// password.
    #[serde(skip)]
    pub database_url: Option<String>,
    /// What this node does in a shared deployment.
    pub role: Role,
    /// Where a reader sends the writes it refuses (the writers' address behind the balancer).
    pub writer_url: Option<String>,
    /// How long a read asking for `min_revision` waits for it, in milliseconds.
    pub min_revision_wait_ms: u64,
}

/// What a node does: take writes, serve reads, or both (the default, and the only choice
/// embedded).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, clap::ValueEnum, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Writer,
    Reader,
    All,
}

impl Role {
    /// Whether the node takes writes.
    pub fn writes(self) -> bool {
        self != Role::Reader
    }
}

impl Config {
    /// The default base URL for an address: what a browser on this machine would use.
    pub fn default_base_url(addr: &SocketAddr) -> String {
        let host = if addr.ip().is_unspecified() {
            "127.0.0.1".to_owned()
        } else {
            addr.ip().to_string()
        };
        let host = if addr.is_ipv6() && !addr.ip().is_unspecified() {
            format!("[{host}]")
        } else {
            host
        };
        format!("http://{host}:{}", addr.port())
    }

    /// The registry's identity, for VOResource and OAI-PMH; `created` dates its own records.
    pub fn registry_info(&self, created: &str) -> crate::ivoa::voresource::RegistryInfo {
        crate::ivoa::voresource::RegistryInfo {
            authority: self.authority.clone(),
            base_url: self.base_url.clone(),
            launch_base: self.launch_base.clone(),
            publisher: self.publisher.clone(),
            email: self.admin_email.clone(),
            created: created.to_owned(),
            max_records: self.oai_page_size,
            tap: (!self.no_tap).then(|| self.tap_info()),
        }
    }

    /// What the TAP service's capabilities declare.
    pub fn tap_info(&self) -> crate::ivoa::voresource::capabilities::TapInfo {
        crate::ivoa::voresource::capabilities::TapInfo {
            base: format!("{}/tap", self.base_url),
            default_maxrec: self.tap_default_maxrec,
            hard_maxrec: self.tap_hard_maxrec,
            execution_duration: self.tap_async_timeout,
            retention: self.tap_retention,
            full_registry: self.full_registry,
            schemas: crate::ivoa::vosi::schemas(),
        }
    }

    /// Where the portal is served and who publishes it, under the catalogue's `name`.
    pub fn portal_site(&self, name: &str) -> crate::portal::Site {
        crate::portal::Site {
            base_url: self.base_url.clone(),
            launch_base: self.launch_base.clone(),
            name: name.to_owned(),
            publisher: self.publisher.clone(),
            authority: self.authority.clone(),
        }
    }

    /// The IVOA identifier of an asset.
    pub fn ivoid(&self, id: &str) -> String {
        format!("ivo://{}/{id}", self.authority)
    }
}
