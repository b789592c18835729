//! Logging (tracing, `RUST_LOG`, text or JSON lines) and Prometheus metrics.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;
use serde::Serialize;
use tracing_subscriber::EnvFilter;

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Text,
    Json,
}

/// Installs the global subscriber. `RUST_LOG` overrides the default level (`info`).
pub fn init_logging(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
        LogFormat::Text => builder.try_init(),
    };
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RequestLabels {
    pub method: String,
    pub route: String,
    pub status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RouteLabels {
    pub route: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ProjectionLabels {
    pub projection: String,
}

/// The service's metrics.
pub struct Metrics {
    registry: Registry,
    pub requests: Family<RequestLabels, Counter>,
    pub latency: Family<RouteLabels, Histogram>,
    pub store_revision: Gauge<i64, AtomicI64>,
    /// Per projection: 1 while it is being built, else 0.
    pub building: Family<ProjectionLabels, Gauge<i64, AtomicI64>>,
    /// Per projection: changes still to apply in its build (0 when none runs).
    pub build_backlog: Family<ProjectionLabels, Gauge<i64, AtomicI64>>,
    /// Per projection: changes applied a second in its build so far (0 when none runs).
    pub build_rate: Family<ProjectionLabels, Gauge<f64, std::sync::atomic::AtomicU64>>,
    /// A node of a shared deployment: the revision its projections have applied.
    pub applied_revision: Gauge<i64, AtomicI64>,
    /// A node of a shared deployment: revisions of the log not yet applied (-1 while the log
    /// cannot be reached).
    pub replica_lag: Gauge<i64, AtomicI64>,
}

type AtomicI64 = std::sync::atomic::AtomicI64;

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

impl Metrics {
    pub fn new() -> Metrics {
        let mut registry = Registry::with_prefix("orrery");
        let requests = Family::<RequestLabels, Counter>::default();
        let latency = Family::<RouteLabels, Histogram>::new_with_constructor(|| {
            Histogram::new(exponential_buckets(0.0001, 2.0, 16))
        });
        let store_revision = Gauge::<i64, AtomicI64>::default();
        registry.register(
            "http_requests",
            "HTTP requests by method, route and status",
            requests.clone(),
        );
        registry.register(
            "http_request_duration_seconds",
            "HTTP request latency by route",
            latency.clone(),
        );
        registry.register(
            "store_revision",
            "Current store revision",
            store_revision.clone(),
        );
        let building = Family::<ProjectionLabels, Gauge<i64, AtomicI64>>::default();
        registry.register(
            "projection_building",
            "Whether a projection (search, assets, oai, regtap) is being built",
            building.clone(),
        );
        let build_backlog = Family::<ProjectionLabels, Gauge<i64, AtomicI64>>::default();
        registry.register(
            "projection_build_backlog",
            "Changes a projection's build has still to apply",
            build_backlog.clone(),
        );
        let build_rate =
            Family::<ProjectionLabels, Gauge<f64, std::sync::atomic::AtomicU64>>::default();
        registry.register(
            "projection_build_rate",
            "Changes a second a projection's build has applied so far",
            build_rate.clone(),
        );
        let applied_revision = Gauge::<i64, AtomicI64>::default();
        registry.register(
            "applied_revision",
            "Revision of the shared log every projection of this node has applied",
            applied_revision.clone(),
        );
        let replica_lag = Gauge::<i64, AtomicI64>::default();
        registry.register(
            "replica_lag_revisions",
            "Revisions of the shared log this node has not applied yet (-1: log unreachable)",
            replica_lag.clone(),
        );
        let started = Gauge::<i64, AtomicI64>::default();
        started.set(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_secs() as i64)
                .unwrap_or(0),
        );
        registry.register(
            "start_time_seconds",
            "Unix time the process started",
            started,
        );
        Metrics {
            registry,
            requests,
            latency,
            store_revision,
            building,
            build_backlog,
            build_rate,
            applied_revision,
            replica_lag,
        }
    }

    /// The Prometheus text exposition.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let _ = prometheus_client::encoding::text::encode(&mut out, &self.registry);
        out
    }
}
