//! The command line (clap): `serve`, `ingest`, `harvest`, `reindex`, `check`, `export`, `token`.

mod bars;
mod ingest;
mod token;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::access::{self, Caller};
use crate::catalog::Catalog;
use crate::config::Config;
use crate::http::{self, AppState};
use crate::telemetry::LogFormat;
use crate::telemetry::{self, Metrics};

#[derive(Parser)]
#[command(
    name = "orrery",
    version,
    about = "Metadata catalogue and discovery service of a space-science platform"
)]
struct Cli {
    #[command(flatten)]
    global: Global,
    #[command(subcommand)]
    command: Command,
}

#[derive(Args)]
struct Global {
    /// Data directory (store, search index, relational projections).
    #[arg(
        long,
        global = true,
        env = "ORRERY_DATA",
        default_value = "./orrery-data"
    )]
    data: PathBuf,
    /// Public base URL; asset IRIs are {base-url}/id/{id}. Fixed when the data directory is created.
    #[arg(long, global = true, env = "ORRERY_BASE_URL")]
    base_url: Option<String>,
    /// Log line format.
    #[arg(
        long,
        global = true,
        env = "ORRERY_LOG_FORMAT",
        value_enum,
        default_value = "text"
    )]
    log_format: LogFormat,
}

#[derive(Subcommand)]
enum Command {
    /// Run the HTTP service (an empty data directory is seeded with the demo catalogue).
    Serve(ServeArgs),
    /// Load asset documents: JSON (one document or an array), JSON Lines; directories recursively.
    Ingest(ingest::IngestArgs),
    /// Import the VOResource records of another IVOA registry over OAI-PMH (incrementally:
    /// a later harvest asks only for what changed; an interrupted one resumes).
    Harvest(HarvestArgs),
    /// Rebuild every projection from the store.
    Reindex,
    /// Verify that store and projections agree; exits non-zero when they don't.
    Check,
    /// Write the whole catalogue (all fields) to stdout or a file.
    Export(ExportArgs),
    /// Bearer tokens: create, list, revoke (works whether or not the service is running).
    #[command(subcommand)]
    Token(token::TokenCommand),
}

#[derive(Args)]
struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "ORRERY_ADDR", default_value = "127.0.0.1:8080")]
    addr: SocketAddr,
    /// Do not seed an empty data directory with the demo catalogue.
    #[arg(long)]
    no_demo: bool,
    /// Base URL of the platform whose launch wizard opens datalabs.
    #[arg(
        long,
        env = "ORRERY_LAUNCH_BASE",
        default_value = "https://datalabs.esa.int"
    )]
    launch_base: String,
    /// IVOA naming authority of this catalogue's assets.
    #[arg(long, env = "ORRERY_AUTHORITY", default_value = "orrery.local")]
    authority: String,
    /// Largest request body accepted, in bytes.
    #[arg(long, env = "ORRERY_MAX_BODY", default_value_t = 1 << 20)]
    max_body_bytes: usize,
    /// Serve documents a pushed CWL file names under the URL PREFIX from DIR (`PREFIX=DIR`,
    /// repeatable; say, the EOAP schemas). Nothing is ever fetched.
    #[arg(long = "cwl-mirror", value_name = "PREFIX=DIR")]
    cwl_mirrors: Vec<String>,
    /// Publisher of the registry records.
    #[arg(long, env = "ORRERY_PUBLISHER", default_value = "orrery catalogue")]
    publisher: String,
    /// Contact address of the registry (OAI-PMH adminEmail); default registry@{authority}.
    #[arg(long, env = "ORRERY_ADMIN_EMAIL")]
    admin_email: Option<String>,
    /// Records per OAI-PMH list response (the harvest capability's maxRecords).
    #[arg(long, env = "ORRERY_OAI_PAGE_SIZE", default_value_t = 1000, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    oai_page_size: u32,
    /// URLs per sitemap file; past it /sitemap.xml becomes an index (tests lower it).
    #[arg(long, hide = true, default_value_t = 50_000, value_parser = clap::value_parser!(u32).range(1..=50_000))]
    sitemap_size: u32,
    /// Seconds one SPARQL query may run before it is stopped.
    #[arg(long, env = "ORRERY_SPARQL_TIMEOUT", default_value_t = 10.0)]
    sparql_timeout: f64,
    /// The most results (solutions or triples) one SPARQL query may return.
    #[arg(long, env = "ORRERY_SPARQL_MAX_RESULTS", default_value_t = 100_000, value_parser = clap::value_parser!(u32).range(1..))]
    sparql_max_results: u32,
    /// The most searches (and suggestions) running or waiting at once; past it they answer 503
    /// with Retry-After.
    #[arg(long, env = "ORRERY_SEARCH_QUEUE", default_value_t = 256, value_parser = clap::value_parser!(u32).range(1..))]
    search_queue: u32,
    /// Rows a TAP query returns when it names no MAXREC.
    #[arg(long, env = "ORRERY_TAP_DEFAULT_MAXREC", default_value_t = 20_000)]
    tap_default_maxrec: u64,
    /// Rows a TAP query never exceeds, whatever its MAXREC.
    #[arg(long, env = "ORRERY_TAP_HARD_MAXREC", default_value_t = 1_000_000)]
    tap_hard_maxrec: u64,
    /// Seconds a synchronous TAP query may run.
    #[arg(long, env = "ORRERY_TAP_SYNC_TIMEOUT", default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..))]
    tap_sync_timeout: u64,
    /// Seconds an asynchronous TAP job may run.
    #[arg(long, env = "ORRERY_TAP_ASYNC_TIMEOUT", default_value_t = 600, value_parser = clap::value_parser!(u64).range(1..))]
    tap_async_timeout: u64,
    /// Seconds an asynchronous TAP job and its result are kept.
    #[arg(long, env = "ORRERY_TAP_RETENTION", default_value_t = 172_800, value_parser = clap::value_parser!(u64).range(1..))]
    tap_retention: u64,
    /// Run no TAP service (RegTAP): no /tap, no rr tables, no TAP record in the registry.
    #[arg(long, env = "ORRERY_NO_TAP")]
    no_tap: bool,
    /// Revisions the TAP service's rr tables may lag behind the catalogue at start and still
    /// be caught up before the service answers; a longer backlog (a first start on a large
    /// catalogue) is built in the background while /tap answers 503.
    #[arg(long, env = "ORRERY_TAP_INLINE_BACKLOG", default_value_t = 1_000)]
    tap_inline_backlog: u64,
    /// The relational registry holds the whole VO registry (harvested from the registry of
    /// registries): declare the RegTAP data model, which clients then treat as authoritative.
    #[arg(long, env = "ORRERY_FULL_REGISTRY")]
    full_registry: bool,
    /// PostgreSQL database (postgres://user:password@host:port/db) holding the truth of a
    /// deployment of several nodes: the revision log every node follows, the relational
    /// registry and TAP_SCHEMA (schemas rr and tap_schema). Without it everything lives in
    /// the data directory.
    #[arg(long, env = "ORRERY_DATABASE_URL", hide_env_values = true)]
    database_url: Option<String>,
    /// What this node does with --database-url: take writes (writer), refuse them (reader,
    /// which may follow a streaming standby), or both (all).
    #[arg(long, env = "ORRERY_ROLE", value_enum, default_value = "all")]
    role: crate::config::Role,
    /// Where a reader tells clients to send writes (the writers' URL behind the balancer).
    #[arg(long, env = "ORRERY_WRITER_URL")]
    writer_url: Option<String>,
    /// Seconds a read with min_revision= waits for this node to apply that revision before
    /// answering 503.
    #[arg(long, env = "ORRERY_MIN_REVISION_WAIT", default_value_t = 5.0)]
    min_revision_wait: f64,
}

#[derive(Args)]
struct HarvestArgs {
    /// The registry's OAI-PMH base URL.
    url: String,
    /// Harvest only this set (ivo_managed: the records the registry manages itself).
    #[arg(long)]
    set: Option<String>,
    /// Harvest what changed from this date (YYYY-MM-DD or YYYY-MM-DDThh:mm:ssZ) instead of
    /// since the last harvest of this source.
    #[arg(long)]
    from: Option<String>,
}

#[derive(Clone, Copy, ValueEnum)]
enum ExportFormat {
    Json,
    Jsonl,
    Ttl,
    Nq,
}

#[derive(Args)]
struct ExportArgs {
    #[arg(long, value_enum, default_value = "jsonl")]
    format: ExportFormat,
    /// Write to this file instead of stdout.
    #[arg(long, short)]
    output: Option<PathBuf>,
}

/// Entry point of the binary.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    telemetry::init_logging(cli.global.log_format);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// Opens the catalogue for a command and lets its projections catch up, with a progress bar
/// for each long build.
async fn open(global: &Global, default_base: &str) -> anyhow::Result<Catalog> {
    let catalog = open_following(global, default_base).await?;
    catalog.catch_up().await?;
    Ok(catalog)
}

/// Opens the catalogue for a command, with a progress bar for each long build, leaving the
/// projections as they are (for `reindex`, which rebuilds them all).
async fn open_following(global: &Global, default_base: &str) -> anyhow::Result<Catalog> {
    let catalog =
        Catalog::open_without_catch_up(&global.data, global.base_url.as_deref(), default_base)
            .await?;
    bars::follow(&catalog.progress);
    Ok(catalog)
}

async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let g = &cli.global;
    match cli.command {
        Command::Serve(args) => serve(g, args).await,
        Command::Ingest(args) => {
            let catalog = open_for_writes(g).await?;
            let code = ingest::run(&catalog, args).await?;
            catalog.close().await?;
            Ok(code)
        }
        Command::Harvest(args) => {
            let catalog = open_for_writes(g).await?;
            let source = crate::catalog::harvest::Source {
                url: args.url,
                set: args.set,
                from: args.from,
            };
            let pages = bars::spinner("pages");
            let outcome = crate::catalog::harvest::harvest(&catalog, &source, &mut |line| {
                if line.starts_with("page ") {
                    pages.inc(1);
                }
                pages.suspend(|| eprintln!("{line}"));
            })
            .await;
            pages.finish_and_clear();
            catalog.close().await?;
            let report = outcome?;
            for s in &report.skipped {
                eprintln!("skipped {s}");
            }
            println!(
                "harvested {}{}: {} pages, {} records written, {} deleted, {} skipped{}",
                source.url,
                report
                    .from
                    .as_deref()
                    .map(|f| format!(" from {f}"))
                    .unwrap_or_default(),
                report.pages,
                report.written,
                report.deleted,
                report.skipped.len(),
                if report.resumed {
                    " (resumed an interrupted harvest)"
                } else {
                    ""
                }
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Reindex => {
            let catalog = open_following(g, "http://127.0.0.1:8080").await?;
            // Nothing is caught up first: everything is rebuilt. In a shared deployment the
            // rr tables are the leading node's.
            if serve_defaults()?.database_url.is_none() {
                attach_rr(&catalog, 0).await?;
            }
            let (n, took) = catalog.reindex().await?;
            for (projection, secs) in took {
                println!("{projection}: rebuilt in {secs:.1} s");
            }
            println!("reindexed: {n} asset changes replayed into every projection");
            catalog.close().await?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Check => {
            let catalog = open_without_catch_up(g).await?;
            let report = catalog.check().await?;
            catalog.close().await?;
            println!(
                "store revision {}: {} live assets, {} deleted",
                report.store_revision, report.live_assets, report.deleted_assets
            );
            for p in &report.problems {
                println!("problem: {p}");
            }
            if report.problems.is_empty() {
                println!("check: store and projections agree");
                Ok(ExitCode::SUCCESS)
            } else {
                println!("check: {} problems", report.problems.len());
                Ok(ExitCode::FAILURE)
            }
        }
        Command::Token(cmd) => token::run(&g.data, cmd).await,
        Command::Export(args) => {
            let catalog = open(g, "http://127.0.0.1:8080").await?;
            export(&catalog, args)?;
            catalog.close().await?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Opens the catalogue for a command that writes (ingest, harvest). Embedded, its projections
/// catch up and it keeps the rr tables too (see `attach_rr`). In a shared deployment
/// (`ORRERY_DATABASE_URL`) it writes to the revision log, after following it into this data
/// directory; the leading node keeps the rr tables.
async fn open_for_writes(g: &Global) -> anyhow::Result<Catalog> {
    let default_base = Config::default_base_url(&SocketAddr::from(([127, 0, 0, 1], 8080)));
    let mut catalog = open_following(g, &default_base).await?;
    match serve_defaults()?.database_url {
        Some(url) => {
            // It writes to the log, but never leads: the rr tables are a serving writer's.
            catalog.share(&url, false).await?;
            catalog.follow().await?;
        }
        None => {
            catalog.catch_up().await?;
            attach_rr(&catalog, u64::MAX).await?;
        }
    }
    Ok(catalog)
}

/// `check` must see projections as they are, so it opens the catalogue without catching up.
async fn open_without_catch_up(g: &Global) -> anyhow::Result<Catalog> {
    Ok(Catalog::open_as_is(&g.data, g.base_url.as_deref()).await?)
}

/// The SPARQL time limit in milliseconds, from seconds (0.001 to one hour).
fn sparql_timeout_ms(seconds: f64) -> anyhow::Result<u64> {
    if !(0.001..=3600.0).contains(&seconds) {
        anyhow::bail!("--sparql-timeout must be between 0.001 and 3600 seconds, not {seconds}");
    }
    Ok((seconds * 1000.0).round() as u64)
}

async fn serve(g: &Global, args: ServeArgs) -> anyhow::Result<ExitCode> {
    let started = std::time::Instant::now();
    let mut catalog = Catalog::open_for_service(
        &g.data,
        g.base_url.as_deref(),
        &Config::default_base_url(&args.addr),
    )
    .await?;
    if args.database_url.is_none() && args.role != crate::config::Role::All {
        anyhow::bail!(
            "--role {:?} needs --database-url: an embedded catalogue is its only node",
            args.role
        );
    }
    if let Some(url) = &args.database_url {
        catalog.share(url, args.role.writes()).await?;
        if let Some(shared) = catalog.shared() {
            shared.try_lead().await;
        }
        // What the log holds beyond this node's store is applied in the background.
    }
    if !args.no_demo && args.role.writes() {
        catalog.seed_demo_if_empty().await?;
    }
    let config = service_config(&g.data, args, catalog.store.base())?;
    tracing::info!(config = %serde_json::to_string(&config).unwrap_or_default(), "configuration");
    tracing::info!(
        revision = catalog.store.revision()?,
        startup_ms = started.elapsed().as_millis() as u64,
        "catalogue open"
    );
    let tap = if config.no_tap {
        None
    } else {
        Some(tap_service(&catalog, &config).await?)
    };
    let catalog = Arc::new(catalog);
    log_progress(&catalog);
    if catalog.shared().is_some() {
        tokio::spawn(catalog.clone().follow_forever());
    }
    {
        // Builds what is behind; a failure (a database gone, a panic) is reported and the
        // build resumes from where it was.
        let catalog = catalog.clone();
        tokio::spawn(async move {
            loop {
                let c = catalog.clone();
                let why = match tokio::spawn(async move { c.build().await }).await {
                    Ok(Ok(())) => break,
                    Ok(Err(e)) => e.to_string(),
                    Err(e) => e.to_string(),
                };
                tracing::error!(error = %why, "building the projections failed: trying again in 10 s");
                tokio::time::sleep(std::time::Duration::from_secs(10)).await;
            }
        });
    }
    #[cfg(unix)]
    rebuild_on_hangup(catalog.clone());
    let search_queue = config.search_queue;
    let portal = Arc::new(crate::portal::Portal::new(
        catalog.clone(),
        config.portal_site(http::portal::CATALOG_NAME),
    ));
    let tools = Arc::new(crate::catalog::tools::Tools::new(
        format!("{}{}", config.base_url, http::trs::ROOT),
        config.publisher.clone(),
    ));
    {
        // The directory is filled before the first tool request needs it.
        let (tools, store) = (tools.clone(), catalog.store.clone());
        tokio::task::spawn_blocking(move || {
            if let Err(e) = tools.refresh(&store) {
                tracing::error!(error = %e, "filling the tool registry failed");
            }
        });
    }
    let state = AppState {
        catalog: catalog.clone(),
        config: Arc::new(config),
        metrics: Arc::new(Metrics::new()),
        sparql_slots: Arc::new(tokio::sync::Semaphore::new(
            std::thread::available_parallelism().map_or(2, |n| n.get()),
        )),
        search_slots: Arc::new(tokio::sync::Semaphore::new(search_queue)),
        export_slots: Arc::new(tokio::sync::Semaphore::new(
            std::thread::available_parallelism().map_or(2, |n| n.get()),
        )),
        tap: tap.clone(),
        portal,
        tools,
    };
    http::serve(state).await?;
    if let Some(tap) = tap {
        tap.tap.engine.close().await;
    }
    catalog.close().await?;
    Ok(ExitCode::SUCCESS)
}

/// The service's configuration from its flags (and their environment variables).
fn service_config(
    data: &std::path::Path,
    args: ServeArgs,
    base_url: &str,
) -> anyhow::Result<Config> {
    Ok(Config {
        data: data.to_owned(),
        addr: args.addr,
        base_url: base_url.to_owned(),
        launch_base: args.launch_base,
        admin_email: args
            .admin_email
            .unwrap_or_else(|| format!("registry@{}", args.authority)),
        authority: args.authority,
        max_body_bytes: args.max_body_bytes,
        cwl_mirrors: {
            crate::artefact::cwl::Mirrors::parse(&args.cwl_mirrors)
                .map_err(|e| anyhow::anyhow!("--cwl-mirror: {e}"))?;
            args.cwl_mirrors
        },
        publisher: args.publisher,
        oai_page_size: args.oai_page_size as usize,
        sitemap_size: args.sitemap_size as usize,
        sparql_timeout_ms: sparql_timeout_ms(args.sparql_timeout)?,
        sparql_max_results: args.sparql_max_results as usize,
        search_queue: args.search_queue as usize,
        tap_default_maxrec: args.tap_default_maxrec.min(args.tap_hard_maxrec),
        tap_hard_maxrec: args.tap_hard_maxrec,
        tap_sync_timeout: args.tap_sync_timeout,
        tap_async_timeout: args.tap_async_timeout,
        tap_retention: args.tap_retention,
        tap_inline_backlog: args.tap_inline_backlog,
        no_tap: args.no_tap,
        full_registry: args.full_registry,
        database_url: args.database_url,
        role: args.role,
        writer_url: args.writer_url,
        min_revision_wait_ms: if (0.0..=600.0).contains(&args.min_revision_wait) {
            (args.min_revision_wait * 1000.0).round() as u64
        } else {
            anyhow::bail!(
                "--min-revision-wait must be between 0 and 600 seconds, not {}",
                args.min_revision_wait
            )
        },
    })
}

/// What `serve` would be started with here: its flags' defaults and environment variables
/// (`ORRERY_AUTHORITY`, `ORRERY_PUBLISHER`, `ORRERY_DATABASE_URL`…), so that other commands
/// write the same registry records into the rr tables.
fn serve_defaults() -> anyhow::Result<ServeArgs> {
    #[derive(Parser)]
    struct Defaults {
        #[command(flatten)]
        serve: ServeArgs,
    }
    Ok(Defaults::try_parse_from(["orrery"])?.serve)
}

/// The registry's identity and its own records (the registry, its authority, its TAP service).
fn registry_records(config: &Config, created: &str) -> anyhow::Result<RegistryRecords> {
    use crate::ivoa::voresource;
    let info = config.registry_info(created);
    let tap_info = config.tap_info();
    let own = vec![
        (
            "#registry",
            voresource::registry_record(&info, &info.created, false)?,
        ),
        (
            "#authority",
            voresource::authority_record(&info, &info.created, false)?,
        ),
        (
            "#tap",
            voresource::tap_record(&info, &tap_info, &info.created, false)?,
        ),
    ];
    Ok((info, own))
}

type RegistryRecords = (
    crate::ivoa::voresource::RegistryInfo,
    Vec<(&'static str, Vec<u8>)>,
);

/// Lets a command that writes (ingest, harvest, reindex) keep the rr tables caught up too, with
/// the registry records `serve` would write here (see `serve_defaults`), so that a start after
/// it has nothing to build. Without a TAP service (`ORRERY_NO_TAP`) there are no rr tables.
/// A backlog longer than `inline_backlog` is not caught up here (`reindex` rebuilds it).
async fn attach_rr(catalog: &Catalog, inline_backlog: u64) -> anyhow::Result<()> {
    let args = serve_defaults()?;
    if args.no_tap {
        return Ok(());
    }
    let config = service_config(&catalog.data_dir, args, catalog.store.base())?;
    let (info, own) = registry_records(&config, &catalog.store.created())?;
    catalog
        .attach_regtap(info, own, config.database_url.as_deref(), inline_backlog)
        .await?;
    Ok(())
}

/// On SIGHUP, rebuilds the search index beside the live one, which serves meanwhile (to
/// compact it into fresh segments, or to rule out a damaged one without stopping the node).
#[cfg(unix)]
fn rebuild_on_hangup(catalog: Arc<Catalog>) {
    use tokio::signal::unix::{SignalKind, signal};
    tokio::spawn(async move {
        let mut hangups = match signal(SignalKind::hangup()) {
            Ok(h) => h,
            Err(e) => {
                tracing::warn!(error = %e, "SIGHUP cannot be heard: no rebuild on it");
                return;
            }
        };
        while hangups.recv().await.is_some() {
            if catalog.building() {
                tracing::warn!("SIGHUP: the search index is still being built; no rebuild");
                continue;
            }
            match catalog.rebuild_search().await {
                Ok(Some(_)) => {}
                Ok(None) => tracing::warn!("SIGHUP: a rebuild of the search index is under way"),
                Err(e) => tracing::error!(
                    error = %e,
                    "rebuilding the search index failed: the live one serves on"
                ),
            }
        }
    });
}

/// Logs the progress of long projection builds every few seconds while they run.
fn log_progress(catalog: &Catalog) {
    let last = std::sync::Mutex::new(std::time::Instant::now());
    catalog.progress.watch(Box::new(move |name, build| {
        let Some(b) = build else {
            return;
        };
        let mut last = last.lock().unwrap_or_else(|e| e.into_inner());
        if last.elapsed() < std::time::Duration::from_secs(5) && b.done != 0 {
            return;
        }
        *last = std::time::Instant::now();
        tracing::info!(
            projection = name,
            done = b.done,
            total = b.total,
            per_second = b.rate().round() as u64,
            eta_seconds = b.eta_seconds().map_or(0, |s| s.ceil() as u64),
            "building"
        );
    }));
}

/// Opens the relational registry (with the registry's own records) and the TAP service on it.
async fn tap_service(
    catalog: &Catalog,
    config: &Config,
) -> anyhow::Result<Arc<http::tap::TapState>> {
    use crate::ivoa::tap::{query, service, tap_schema};
    use crate::ivoa::uws;
    let (info, own) = registry_records(config, &catalog.store.created())?;
    let tap_info = config.tap_info();
    let started = std::time::Instant::now();
    let regtap = catalog
        .attach_regtap(
            info,
            own,
            config.database_url.as_deref(),
            config.tap_inline_backlog,
        )
        .await?;
    if catalog
        .regtap_building()
        .load(std::sync::atomic::Ordering::SeqCst)
    {
        tracing::info!(database = ?regtap.database(), "relational registry open, built in the background");
    } else {
        tracing::info!(
            database = ?regtap.database(),
            resources = regtap.count().await?,
            ms = started.elapsed().as_millis() as u64,
            "relational registry up to date"
        );
    }
    // TAP_SCHEMA is written by the node that keeps the rr tables: embedded, here; in a shared
    // deployment, by the leader when it takes the lead (`Catalog::follow`).
    let setup = if catalog.shared().is_none() {
        tap_schema::statements(regtap.database().backend())
    } else {
        Vec::new()
    };
    let engine = query::Engine::open(
        regtap.database(),
        query::Published::all(),
        setup,
        std::thread::available_parallelism().map_or(2, |n| n.get()) as u32,
    )
    .await?;
    let tap = Arc::new(service::Tap {
        engine,
        limits: service::Limits {
            default_maxrec: config.tap_default_maxrec,
            hard_maxrec: config.tap_hard_maxrec,
        },
        sync_time_limit: std::time::Duration::from_secs(config.tap_sync_timeout),
        async_time_limit: std::time::Duration::from_secs(config.tap_async_timeout),
        building: catalog.regtap_building(),
    });
    let results = config.data.join("tap-results");
    std::fs::create_dir_all(&results)?;
    let jobs = uws::Jobs::new(
        Arc::new(service::JobRunner(tap.clone())),
        results,
        uws::Limits {
            default_duration: config.tap_async_timeout,
            max_duration: config.tap_async_timeout,
            retention: config.tap_retention,
            max_wait: 60,
            max_jobs: 1000,
        },
    );
    jobs.start_reaper(std::time::Duration::from_secs(60));
    Ok(Arc::new(http::tap::TapState {
        tap,
        info: tap_info,
        up_since: crate::clock::now(),
        jobs,
    }))
}

fn export(catalog: &Catalog, args: ExportArgs) -> anyhow::Result<()> {
    use std::io::Write;
    let mut out: Box<dyn Write> = match &args.output {
        Some(path) => Box::new(std::io::BufWriter::new(std::fs::File::create(path)?)),
        None => Box::new(std::io::BufWriter::new(std::io::stdout().lock())),
    };
    let store = &catalog.store;
    match args.format {
        ExportFormat::Ttl => store.dump(&mut out, oxigraph::io::RdfFormat::Turtle)?,
        ExportFormat::Nq => store.dump(&mut out, oxigraph::io::RdfFormat::NQuads)?,
        ExportFormat::Json | ExportFormat::Jsonl => {
            let mut ids = store.live_ids()?;
            ids.sort();
            let json = matches!(args.format, ExportFormat::Json);
            if json {
                out.write_all(b"[")?;
            }
            for (i, id) in ids.iter().enumerate() {
                let Some(asset) = access::read_asset(store, &Caller::Operator, id)? else {
                    continue;
                };
                if json && i > 0 {
                    out.write_all(b",")?;
                }
                if json {
                    out.write_all(b"\n")?;
                }
                serde_json::to_writer(&mut out, &asset)?;
                if !json {
                    out.write_all(b"\n")?;
                }
            }
            if json {
                out.write_all(b"\n]\n")?;
            }
        }
    }
    out.flush()?;
    Ok(())
}
