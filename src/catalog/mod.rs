//! The catalogue service: the store of truth with its projections, opened from one data
//! directory, kept in step on every write (`write` holds the write path and the publication
//! workflow, `harvest` takes in other registries, `check` compares the projections with the
//! store, `launch` finds the datalabs that open an asset). The HTTP and CLI layers hold a
//! `Catalog` and call into it; nothing here knows of either.

mod check;
pub mod harvest;
pub mod launch;
mod rebuild;
pub mod shared;
pub mod tools;
pub mod write;

pub use check::CheckReport;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::access::accounts::{Accounts, AccountsError};
use crate::clock::now;
use crate::ivoa::regtap::project::{Database, RegTap};
use crate::ivoa::voresource::RegistryInfo;
use crate::model::{Asset, DocumentError, Status, Vocabularies, document};
use crate::project::assets::AssetsTable;
use crate::project::oai::OaiLog;
use crate::project::{self, Row};
use crate::search::SearchIndex;
use crate::store::{Conflict, Mutation, Store, StoreError};

include!(concat!(env!("OUT_DIR"), "/demo.rs"));

/// Errors of the catalogue service.
#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Projection(#[from] project::ProjectionError),
    #[error("cannot use data directory {path}: {source}")]
    DataDir {
        path: String,
        source: std::io::Error,
    },
    #[error("demo asset {file}: {source}")]
    Demo { file: String, source: DocumentError },
    #[error("demo pipeline {id}: {why}")]
    DemoPipeline { id: String, why: String },
    #[error(transparent)]
    Search(#[from] crate::search::SearchError),
    #[error("background task failed: {0}")]
    Task(String),
    #[error(transparent)]
    Accounts(#[from] AccountsError),
    #[error(transparent)]
    Secret(#[from] crate::secrets::SecretError),
    #[error(transparent)]
    Log(#[from] crate::store::log::LogError),
}

impl CatalogError {
    /// Whether the shared database could not be reached (answered with 503; it recovers by
    /// itself).
    pub fn is_unavailable(&self) -> bool {
        match self {
            CatalogError::Log(e) => e.is_unavailable(),
            CatalogError::Projection(project::ProjectionError::Sql(e)) => {
                crate::store::log::unreachable(e)
            }
            _ => false,
        }
    }
}

pub type Result<T> = std::result::Result<T, CatalogError>;

/// The history events of an ingested batch: what each asset changed against the stored one.
fn ingest_events(
    store: &Store,
    assets: &[Asset],
) -> std::result::Result<Vec<serde_json::Value>, StoreError> {
    let mut events = Vec::with_capacity(assets.len());
    let fresh = store.revision()? == 0;
    for a in assets {
        let old = if fresh { None } else { store.get_full(&a.id)? };
        let action = if old.is_some() { "update" } else { "create" };
        let fields: Vec<String> = crate::model::diff::diff(old.as_ref(), Some(a))
            .into_iter()
            .map(|c| c.field)
            .collect();
        events.push(serde_json::json!({"action": action, "by": "operator", "via": "ingest", "fields": fields}));
    }
    Ok(events)
}

/// A committed change waiting for the projections: its row and the asset's content (`None`
/// once deleted).
type Queued = (Row, Option<Asset>);

/// The open catalogue.
pub struct Catalog {
    pub store: Arc<Store>,
    pub vocab: Arc<Vocabularies>,
    pub assets: AssetsTable,
    pub search: Arc<SearchIndex>,
    pub accounts: Accounts,
    pub oai: OaiLog,
    /// Signs OAI-PMH resumption tokens.
    pub oai_key: Vec<u8>,
    pub data_dir: PathBuf,
    /// Held from a write's commit until every projection has it, so projections see the
    /// writes in revision order and a write is acknowledged only once it is searchable.
    writing: tokio::sync::Mutex<()>,
    /// Changes committed by `commit` and not yet fed to the projections, in revision order.
    queue: Arc<std::sync::Mutex<Vec<Queued>>>,
    /// The relational registry, when the service runs one (it needs the registry's identity,
    /// which only `serve` knows; other commands leave it behind and it catches up at start).
    regtap: std::sync::OnceLock<RegTap>,
    /// Set while the relational registry is built in the background (see `attach_regtap`).
    regtap_building: Arc<std::sync::atomic::AtomicBool>,
    /// Set while the assets table, the OAI-PMH log and the search index are brought up to date
    /// in the background (see `open_for_service`): writes leave them to that build meanwhile.
    building: Arc<std::sync::atomic::AtomicBool>,
    /// Which of those are still behind (for `builds`).
    behind: std::sync::Mutex<Vec<&'static str>>,
    /// Held while the search index is rebuilt beside the live one (one rebuild at a time).
    rebuilding: tokio::sync::Mutex<()>,
    /// The projection builds under way.
    pub progress: project::Progress,
    /// The revision log in PostgreSQL, when the truth is shared between nodes.
    shared: Option<shared::Shared>,
    /// The revision every projection has applied (see `mark_applied`).
    applied: tokio::sync::watch::Sender<u64>,
}

impl Catalog {
    /// Opens the data directory (creating it), the store and the projections, and lets every
    /// projection catch up with the store.
    pub async fn open(
        data_dir: &Path,
        base_url: Option<&str>,
        default_base: &str,
    ) -> Result<Catalog> {
        let catalog = Self::open_inner(data_dir, base_url, default_base).await?;
        catalog.catch_up().await?;
        catalog.mark_applied()?;
        Ok(catalog)
    }

    /// Opens the data directory (creating it), the store and the projections, leaving them as
    /// they are: the caller lets them catch up (`catch_up`) once it follows their progress.
    pub async fn open_without_catch_up(
        data_dir: &Path,
        base_url: Option<&str>,
        default_base: &str,
    ) -> Result<Catalog> {
        Self::open_inner(data_dir, base_url, default_base).await
    }

    /// Opens an existing catalogue without letting the projections catch up (for `check`).
    pub async fn open_as_is(data_dir: &Path, base_url: Option<&str>) -> Result<Catalog> {
        if !data_dir.join("store").exists() {
            return Err(CatalogError::DataDir {
                path: data_dir.display().to_string(),
                source: std::io::Error::new(std::io::ErrorKind::NotFound, "no catalogue here"),
            });
        }
        Self::open_inner(data_dir, base_url, "http://127.0.0.1:8080").await
    }

    async fn open_inner(
        data_dir: &Path,
        base_url: Option<&str>,
        default_base: &str,
    ) -> Result<Catalog> {
        std::fs::create_dir_all(data_dir).map_err(|source| CatalogError::DataDir {
            path: data_dir.display().to_string(),
            source,
        })?;
        let vocab = Arc::new(Vocabularies::load().map_err(StoreError::from)?);
        let (dir, base, v) = (
            data_dir.join("store"),
            base_url.map(str::to_owned),
            vocab.clone(),
        );
        let default_base = default_base.to_owned();
        let store = tokio::task::spawn_blocking(move || {
            Store::open(&dir, base.as_deref(), &default_base, v)
        })
        .await
        .map_err(|e| CatalogError::Task(e.to_string()))??;
        let assets = AssetsTable::open(&data_dir.join("catalog.sqlite")).await?;
        let accounts = Accounts::open(&data_dir.join("catalog.sqlite")).await?;
        let oai = OaiLog::open(&data_dir.join("catalog.sqlite"), &store.created()).await?;
        let store = Arc::new(store);
        let (s, v, dir) = (store.clone(), vocab.clone(), data_dir.to_owned());
        let search = tokio::task::spawn_blocking(move || SearchIndex::open(&dir, s, v))
            .await
            .map_err(|e| CatalogError::Task(e.to_string()))??;
        Ok(Catalog {
            store,
            vocab,
            assets,
            search: Arc::new(search),
            accounts,
            oai,
            oai_key: crate::secrets::load_or_create(&data_dir.join("oai.key"))?,
            data_dir: data_dir.to_owned(),
            writing: tokio::sync::Mutex::new(()),
            queue: Arc::new(std::sync::Mutex::new(Vec::new())),
            regtap: std::sync::OnceLock::new(),
            regtap_building: Arc::new(std::sync::atomic::AtomicBool::new(false)),
            building: Arc::new(std::sync::atomic::AtomicBool::new(false)),
            behind: std::sync::Mutex::new(Vec::new()),
            rebuilding: tokio::sync::Mutex::new(()),
            progress: project::Progress::default(),
            shared: None,
            applied: tokio::sync::watch::Sender::new(0),
        })
    }

    /// Makes this catalogue a node of a deployment whose truth is the revision log in the
    /// PostgreSQL database `url`: writes (when `writes`) go there, and `follow` brings this
    /// node's store and projections up to it.
    pub async fn share(&mut self, url: &str, writes: bool) -> Result<()> {
        let shared = shared::Shared::open(url, writes).await?;
        let created = shared.log.created().await?;
        {
            use crate::store::log::RevisionLog;
            self.store
                .bind_log(&shared.log.id().await?, shared.log.head().await?)?;
        }
        self.store.share_created(&created)?;
        self.oai_key = shared.log.key("oai_key").await?;
        self.search.use_secret(shared.log.key("cursor_key").await?);
        self.accounts.close().await;
        self.accounts = Accounts::on_postgres(shared.log.pool().clone());
        self.oai.close().await;
        self.oai = OaiLog::on_postgres(shared.log.pool().clone(), &created);
        self.caught_up("oai");
        self.assets.close().await;
        self.assets = AssetsTable::on_postgres(shared.log.pool().clone());
        self.caught_up("assets");
        self.shared = Some(shared);
        Ok(())
    }

    /// Opens the catalogue for the service, which answers at once: projections that are
    /// behind the store are marked as building, and `build` brings them up to date in the
    /// background.
    pub async fn open_for_service(
        data_dir: &Path,
        base_url: Option<&str>,
        default_base: &str,
    ) -> Result<Catalog> {
        use project::Projection;
        let catalog = Self::open_inner(data_dir, base_url, default_base).await?;
        let head = catalog.store.revision()?;
        // A node of a shared deployment keeps no assets table or OAI-PMH log of its own (the
        // leader keeps the deployment's in PostgreSQL).
        let own_tables = !catalog.store.follows_a_log()?;
        let mut behind = Vec::new();
        for (name, at) in [
            ("assets", catalog.assets.watermark().await?),
            ("oai", catalog.oai.watermark().await?),
            ("search", catalog.search.watermark().await?),
        ] {
            if at != head && (own_tables || name == "search") {
                behind.push(name);
            }
        }
        if !behind.is_empty() {
            tracing::info!(
                revision = head,
                projections = behind.join(", "),
                "projections behind the store: built in the background"
            );
        }
        catalog
            .building
            .store(!behind.is_empty(), std::sync::atomic::Ordering::SeqCst);
        *catalog.behind.lock().unwrap_or_else(|e| e.into_inner()) = behind;
        catalog.mark_applied()?;
        Ok(catalog)
    }

    /// The projections still being built, each with how far its build has come when it is long
    /// enough to be followed.
    pub fn builds(&self) -> Vec<(&'static str, Option<project::progress::Build>)> {
        let mut names = Vec::new();
        if self.building() {
            names.extend(self.behind.lock().unwrap_or_else(|e| e.into_inner()).iter());
        }
        if self
            .regtap_building
            .load(std::sync::atomic::Ordering::SeqCst)
        {
            names.push("regtap");
        }
        let progress = self.progress.builds();
        names
            .into_iter()
            .map(|n| {
                let b = progress.iter().find(|(p, _)| *p == n).map(|(_, b)| *b);
                (n, b)
            })
            .collect()
    }

    /// Whether the assets table, the OAI-PMH log and the search index are still being built.
    pub fn building(&self) -> bool {
        self.building.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// Brings the projections marked as building up to date (see `open_for_service`): first
    /// the assets table, the OAI-PMH log and the search index, then the relational registry.
    /// Each catches up, then takes the last changes with writes held back, so none is missed.
    pub async fn build(&self) -> Result<()> {
        self.build_behind(
            &self.building,
            || self.catch_up_now(),
            "search index, assets table and OAI-PMH log built",
        )
        .await?;
        self.build_behind(
            &self.regtap_building,
            || self.catch_up_regtap_now(),
            "relational registry built",
        )
        .await?;
        self.mark_applied()
    }

    /// Finishes a background build marked by `flag`: `catch_up` runs, then runs again with
    /// writes held back, so that no change is missed, and the flag is cleared.
    async fn build_behind<F, Fut>(
        &self,
        flag: &std::sync::atomic::AtomicBool,
        catch_up: F,
        done: &str,
    ) -> Result<()>
    where
        F: Fn() -> Fut,
        Fut: std::future::Future<Output = Result<()>>,
    {
        use std::sync::atomic::Ordering;
        if !flag.load(Ordering::SeqCst) {
            return Ok(());
        }
        let started = std::time::Instant::now();
        catch_up().await?;
        let _writing = self.writing.lock().await;
        catch_up().await?;
        flag.store(false, Ordering::SeqCst);
        tracing::info!(ms = started.elapsed().as_millis() as u64, "{done}");
        Ok(())
    }

    /// Brings every projection up to the store revision (those being built in the background
    /// are left to that build).
    pub async fn catch_up(&self) -> Result<()> {
        if !self.building() {
            self.catch_up_now().await?;
        }
        self.catch_up_regtap().await
    }

    async fn catch_up_now(&self) -> Result<()> {
        self.catch_up_kept(&self.assets).await?;
        self.caught_up("assets");
        self.catch_up_kept(&self.oai).await?;
        self.caught_up("oai");
        project::catch_up(&self.store, &self.search, &self.progress).await?;
        self.caught_up("search");
        Ok(())
    }

    /// Feeds a relational projection (the assets table, the OAI-PMH log), if this node keeps
    /// it: in a shared deployment the leader keeps them in PostgreSQL (and one ahead of this
    /// node's store waits for it, `Projection::shared`).
    async fn catch_up_kept<P: project::Projection>(&self, projection: &P) -> Result<()> {
        if !projection.shared() || self.maintains_shared_tables() {
            project::catch_up(&self.store, projection, &self.progress).await?;
        }
        Ok(())
    }

    /// `name` is no longer reported as behind.
    fn caught_up(&self, name: &str) {
        self.behind
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .retain(|n| *n != name);
    }

    /// Feeds the relational registry, unless it is being built in the background (which
    /// takes every change in).
    async fn catch_up_regtap(&self) -> Result<()> {
        if self
            .regtap_building
            .load(std::sync::atomic::Ordering::SeqCst)
        {
            return Ok(());
        }
        self.catch_up_regtap_now().await
    }

    /// Whether this node keeps the tables of the relational registry and of OAI-PMH: always
    /// embedded; in a shared deployment, the leader only (the others read what it writes).
    pub fn maintains_shared_tables(&self) -> bool {
        self.shared.as_ref().is_none_or(|s| s.leads())
    }

    async fn catch_up_regtap_now(&self) -> Result<()> {
        if !self.maintains_shared_tables() {
            return Ok(());
        }
        if let Some(r) = self.regtap.get() {
            if r.is_stale() {
                use project::Projection;
                r.clear().await?;
            }
            project::catch_up(&self.store, r, &self.progress).await?;
        }
        Ok(())
    }

    /// Whether the relational registry is still being built in the background; shared with
    /// the TAP service, which answers 503 meanwhile.
    pub fn regtap_building(&self) -> Arc<std::sync::atomic::AtomicBool> {
        self.regtap_building.clone()
    }

    /// Opens the relational registry for the registry `info` whose own records are `own` —
    /// in the PostgreSQL database `database_url` when given, else in `regtap.sqlite` in the data
    /// directory — brings it up to date, and feeds it every later write. When it is more than
    /// `inline_backlog` revisions behind (a first start on a large catalogue), it is marked as
    /// building instead and `build` brings it up to date in the background.
    pub async fn attach_regtap(
        &self,
        info: RegistryInfo,
        own: Vec<(&'static str, Vec<u8>)>,
        database_url: Option<&str>,
        inline_backlog: u64,
    ) -> Result<&RegTap> {
        let database = match database_url {
            Some(url) => Database::Postgres(url.to_owned()),
            None => Database::Sqlite(self.data_dir.join("regtap.sqlite")),
        };
        let maintain = self.maintains_shared_tables();
        let r = RegTap::open(database, self.store.clone(), info, own, maintain).await?;
        let head = self.store.revision()?;
        let behind = if !maintain {
            0
        } else if r.is_stale() {
            head + 1
        } else {
            use project::Projection;
            let at = r.watermark().await?;
            if at > head { head } else { head - at }
        };
        if self.regtap.set(r).is_err() {
            return Err(CatalogError::Task(
                "the relational registry is already open".into(),
            ));
        }
        if behind > inline_backlog {
            tracing::info!(
                behind,
                "relational registry far behind the store: built in the background"
            );
            self.regtap_building
                .store(true, std::sync::atomic::Ordering::SeqCst);
        } else {
            self.catch_up_regtap().await?;
        }
        self.regtap
            .get()
            .ok_or_else(|| CatalogError::Task("the relational registry is not open".into()))
    }

    /// The relational registry, when attached.
    pub fn regtap(&self) -> Option<&RegTap> {
        self.regtap.get()
    }

    /// Rebuilds every projection from scratch; returns the number of changes replayed and the
    /// seconds each projection took.
    pub async fn reindex(&self) -> Result<(usize, Vec<(&'static str, f64)>)> {
        let mut took = Vec::new();
        let started = std::time::Instant::now();
        let mut n = 0;
        // A node of a shared deployment keeps no assets table, OAI-PMH log or rr tables of its
        // own: the leading node keeps the deployment's in PostgreSQL.
        let own_tables = !self.store.follows_a_log()?;
        if own_tables {
            n = project::rebuild(&self.store, &self.assets, &self.progress).await?;
            took.push(("assets", started.elapsed().as_secs_f64()));
        }
        let started = std::time::Instant::now();
        if own_tables {
            project::rebuild(&self.store, &self.oai, &self.progress).await?;
            took.push(("oai", started.elapsed().as_secs_f64()));
        }
        let started = std::time::Instant::now();
        // Beside the old one, which stays whole if the rebuild stops half-way.
        n = n.max(self.rebuild_search().await?.unwrap_or(0));
        took.push(("search", started.elapsed().as_secs_f64()));
        let started = std::time::Instant::now();
        let store = self.store.clone();
        tokio::task::spawn_blocking(move || store.rebuild_public_graph())
            .await
            .map_err(|e| CatalogError::Task(e.to_string()))??;
        took.push(("public graph", started.elapsed().as_secs_f64()));
        let started = std::time::Instant::now();
        match self.regtap.get() {
            Some(r) => {
                project::rebuild(&self.store, r, &self.progress).await?;
                took.push(("regtap", started.elapsed().as_secs_f64()));
            }
            None => {
                // Rebuilt by the next service start.
                for suffix in ["", "-wal", "-shm"] {
                    let f = self.data_dir.join(format!("regtap.sqlite{suffix}"));
                    if f.exists() {
                        std::fs::remove_file(&f).map_err(|source| CatalogError::DataDir {
                            path: f.display().to_string(),
                            source,
                        })?;
                    }
                }
            }
        }
        Ok((n, took))
    }

    /// Fills the service-managed fields of an asset about to be written by ingest.
    pub fn prepare_for_ingest(mut asset: Asset, datestamp: &str) -> Asset {
        let status = *asset.status.get_or_insert(Status::Published);
        if asset.date_modified.is_none() {
            asset.date_modified = Some(datestamp.to_owned());
        }
        if status == Status::Published && asset.date_published.is_none() {
            asset.date_published = Some(datestamp.to_owned());
        }
        asset
    }

    /// Commits a batch of normalised assets (one revision each, one transaction) and feeds the
    /// projections. Returns the revisions.
    pub async fn write(&self, assets: Vec<Asset>) -> Result<Vec<u64>> {
        self.write_batch(assets, false).await
    }

    async fn write_batch(&self, assets: Vec<Asset>, if_empty: bool) -> Result<Vec<u64>> {
        let datestamp = now();
        let assets: Vec<Asset> = assets
            .into_iter()
            .map(|a| Self::prepare_for_ingest(a, &datestamp))
            .collect();
        if let Some(shared) = &self.shared {
            self.follow().await?;
            let store = self.store.clone();
            let (events, assets) = tokio::task::spawn_blocking(move || {
                ingest_events(&store, &assets).map(|e| (e, assets))
            })
            .await
            .map_err(|e| CatalogError::Task(e.to_string()))??;
            let batch = assets
                .into_iter()
                .zip(events)
                .map(|(a, event)| {
                    let op = crate::store::log::Op::Put {
                        asset: Box::new(a),
                        event,
                    };
                    crate::store::log::Append {
                        actor: shared::actor_of(&op),
                        op,
                        at: datestamp.clone(),
                    }
                })
                .collect();
            return Ok(self
                .append_shared(shared, batch, if_empty)
                .await?
                .unwrap_or_default());
        }
        let store = self.store.clone();
        let stamp = datestamp.clone();
        let _writing = self.writing.lock().await;
        let (revisions, rows, assets) =
            tokio::task::spawn_blocking(move || -> std::result::Result<_, StoreError> {
                let fresh = store.revision()? == 0;
                let events = ingest_events(&store, &assets)?;
                let revisions = store.put(&assets, &events, &stamp)?;
                let mut rows: Vec<Row> = Vec::with_capacity(assets.len());
                for (a, &revision) in assets.iter().zip(&revisions) {
                    let public = a.is_public();
                    let published_here = a.is_published_here();
                    // Only a hidden asset needs the store's word on whether it was ever seen.
                    let ever_public =
                        published_here || store.change(&a.id)?.is_some_and(|c| c.ever_public);
                    rows.push(Row {
                        public,
                        id: a.id.clone(),
                        kind: a.kind.clone(),
                        status: a.status.map(|s| s.as_str().to_owned()).unwrap_or_default(),
                        revision,
                        datestamp: stamp.clone(),
                        deleted: false,
                        public_datestamp: stamp.clone(),
                        ever_public,
                        published_here,
                        owner: a.owner.clone().unwrap_or_default(),
                        // An ingest leaves a pending revision as it was.
                        pending: if fresh {
                            String::new()
                        } else {
                            crate::project::pending_status(store.pending(&a.id)?.as_ref())
                        },
                    });
                }
                Ok((revisions, rows, assets))
            })
            .await
            .map_err(|e| CatalogError::Task(e.to_string()))??;
        self.apply_rows(&rows, assets).await?;
        self.mark_applied()?;
        Ok(revisions)
    }

    /// Applies freshly committed rows to the projections when they are exactly next in line,
    /// otherwise lets them catch up from the store.
    async fn apply_rows(&self, rows: &[Row], assets: Vec<Asset>) -> Result<()> {
        use project::Projection;
        let (Some(first), Some(last)) = (rows.first(), rows.last()) else {
            return Ok(());
        };
        if self.building() {
            return self.feed_regtap(rows).await;
        }
        let upto = last.revision;
        if self.assets.watermark().await? + 1 == first.revision {
            self.assets.apply(rows, upto).await?;
        } else {
            project::catch_up(&self.store, &self.assets, &self.progress).await?;
        }
        if self.oai.watermark().await? + 1 == first.revision {
            self.oai.apply(rows, upto).await?;
        } else {
            project::catch_up(&self.store, &self.oai, &self.progress).await?;
        }
        // The search index and the rr tables are fed side by side.
        let search = async {
            if self.search.watermark().await? + 1 == first.revision {
                // The assets are at hand: index them without reading them back.
                let items: Vec<(String, Option<Asset>)> = assets
                    .into_iter()
                    .map(|a| (a.id.clone(), Some(a)))
                    .collect();
                let search = self.search.clone();
                tokio::task::spawn_blocking(move || search.index_batch(&items, upto))
                    .await
                    .map_err(|e| CatalogError::Task(e.to_string()))??;
            } else {
                project::catch_up(&self.store, &self.search, &self.progress).await?;
            }
            Ok::<(), CatalogError>(())
        };
        tokio::try_join!(search, self.feed_regtap(rows))?;
        Ok(())
    }

    /// Feeds freshly committed rows to the relational registry when they continue its
    /// watermark (else it catches up from the store), unless it is being built in the
    /// background.
    async fn feed_regtap(&self, rows: &[Row]) -> Result<()> {
        use project::Projection;
        if !self.maintains_shared_tables() {
            return Ok(());
        }
        if let (Some(r), Some(first), Some(last)) = (self.regtap.get(), rows.first(), rows.last())
            && !self
                .regtap_building
                .load(std::sync::atomic::Ordering::SeqCst)
            && !r.is_stale()
        {
            let at = r.watermark().await?;
            if at + 1 >= first.revision && at < last.revision {
                let newer: Vec<Row> = rows.iter().filter(|w| w.revision > at).cloned().collect();
                return Ok(r.apply(&newer, last.revision).await?);
            }
        }
        self.catch_up_regtap().await
    }

    /// Deletes an asset as the operator, leaving a tombstone. Returns false if there was no
    /// such asset.
    pub async fn delete(&self, id: &str) -> Result<bool> {
        if self.shared.is_some() {
            loop {
                self.follow().await?;
                let Some(current) = self.store.change(id)?.filter(|c| !c.deleted) else {
                    return Ok(false);
                };
                let m = Mutation {
                    id: id.to_owned(),
                    expect: crate::store::Expect::Revision(current.revision),
                    body: crate::store::Body::Delete,
                    pending: None,
                    event: serde_json::json!({"action": "delete", "by": "operator"}),
                    version: None,
                };
                if self.commit(m).await?.is_ok() {
                    return Ok(true);
                }
            }
        }
        let (store, id, stamp) = (self.store.clone(), id.to_owned(), now());
        let _writing = self.writing.lock().await;
        let event = serde_json::json!({"action": "delete", "by": "operator"});
        let rev = tokio::task::spawn_blocking(move || store.delete(&id, event, &stamp))
            .await
            .map_err(|e| CatalogError::Task(e.to_string()))??;
        self.catch_up().await?;
        self.mark_applied()?;
        Ok(rev.is_some())
    }

    /// Commits one conditional write and feeds it to every projection before returning, so
    /// that what is acknowledged is also found. Returns the new revision, or the conflict.
    ///
    /// Group commit: the store commit is short and queues the change; then one writer at a
    /// time brings the projections up to date with everything queued so far (one index commit
    /// for all of it), and writers whose change was carried along return at once. Concurrent
    /// writers thus share the costly index commit instead of waiting for one each.
    pub async fn commit(&self, m: Mutation) -> Result<std::result::Result<u64, Conflict>> {
        if let Some(shared) = &self.shared {
            let op = crate::store::log::Op::Mutate(Box::new(m));
            let append = crate::store::log::Append {
                actor: shared::actor_of(&op),
                op,
                at: now(),
            };
            return Ok(
                match self.append_shared(shared, vec![append], false).await? {
                    Ok(revs) => Ok(revs.last().copied().unwrap_or(0)),
                    Err(refused) => Err(Conflict {
                        current: refused.current,
                    }),
                },
            );
        }
        let (store, stamp, queue) = (self.store.clone(), now(), self.queue.clone());
        let committed = tokio::task::spawn_blocking(move || {
            // The queue lock spans the commit so that the queue is in revision order.
            let mut queue = queue.lock().unwrap_or_else(|e| e.into_inner());
            let rev = match store.mutate(&m, &stamp)? {
                Ok(rev) => rev,
                Err(c) => return Ok(Err(c)),
            };
            let change = store
                .change(&m.id)?
                .ok_or_else(|| StoreError::Corrupt(format!("{} vanished", m.id)))?;
            let row = Row::from_store(&store, change)?;
            let asset = if row.deleted {
                None
            } else {
                store.get_full(&m.id)?
            };
            queue.push((row, asset));
            Ok::<_, StoreError>(Ok(rev))
        })
        .await
        .map_err(|e| CatalogError::Task(e.to_string()))??;
        let rev = match committed {
            Ok(rev) => rev,
            Err(c) => return Ok(Err(c)),
        };
        let _writing = self.writing.lock().await;
        self.feed_queued(rev).await?;
        self.mark_applied()?;
        Ok(Ok(rev))
    }

    /// Brings the projections to at least revision `rev` from the queue of committed changes
    /// (or from the store, when the queue does not continue their watermark). Called with the
    /// `writing` lock held.
    async fn feed_queued(&self, rev: u64) -> Result<()> {
        use project::Projection;
        if self.building() {
            // The background build takes every change in, queued ones included.
            self.queue.lock().unwrap_or_else(|e| e.into_inner()).clear();
            return self.catch_up_regtap().await;
        }
        let search_at = self.search.watermark().await?;
        let assets_at = self.assets.watermark().await?;
        let oai_at = self.oai.watermark().await?;
        if search_at >= rev && assets_at >= rev && oai_at >= rev {
            return self.catch_up_regtap().await;
        }
        let batch: Vec<Queued> = {
            let mut queue = self.queue.lock().unwrap_or_else(|e| e.into_inner());
            std::mem::take(&mut *queue)
        };
        let from = search_at.min(assets_at).min(oai_at);
        let batch: Vec<(Row, Option<Asset>)> = batch
            .into_iter()
            .filter(|(r, _)| r.revision > from)
            .collect();
        let contiguous = batch
            .iter()
            .enumerate()
            .all(|(i, (r, _))| r.revision == from + 1 + i as u64);
        let Some(upto) = batch.last().map(|(r, _)| r.revision).filter(|_| contiguous) else {
            project::catch_up(&self.store, &self.assets, &self.progress).await?;
            project::catch_up(&self.store, &self.oai, &self.progress).await?;
            project::catch_up(&self.store, &self.search, &self.progress).await?;
            return self.catch_up_regtap().await;
        };
        let rows: Vec<Row> = batch
            .iter()
            .filter(|(r, _)| r.revision > assets_at)
            .map(|(r, _)| r.clone())
            .collect();
        self.assets.apply(&rows, upto).await?;
        let rows: Vec<Row> = batch
            .iter()
            .filter(|(r, _)| r.revision > oai_at)
            .map(|(r, _)| r.clone())
            .collect();
        self.oai.apply(&rows, upto).await?;
        let all: Vec<Row> = batch.iter().map(|(r, _)| r.clone()).collect();
        // One document per asset: its last state in the batch.
        let mut items: Vec<(String, Option<Asset>)> = Vec::with_capacity(batch.len());
        for (r, a) in batch.into_iter().filter(|(r, _)| r.revision > search_at) {
            items.retain(|(id, _)| *id != r.id);
            items.push((r.id, a));
        }
        let search = self.search.clone();
        tokio::task::spawn_blocking(move || search.index_batch(&items, upto))
            .await
            .map_err(|e| CatalogError::Task(e.to_string()))??;
        self.feed_regtap(&all).await
    }

    /// Seeds an empty catalogue with the demo assets; returns how many were loaded.
    pub async fn seed_demo_if_empty(&self) -> Result<usize> {
        if self.head().await? > 0 {
            return Ok(0);
        }
        let mut assets = Vec::with_capacity(DEMO.len());
        for (file, text) in DEMO {
            let asset = document::parse(text.as_bytes(), &self.vocab).map_err(|source| {
                CatalogError::Demo {
                    file: (*file).to_owned(),
                    source,
                }
            })?;
            assets.push(asset);
        }
        let n = assets.len();
        if self.write_batch(assets, true).await?.is_empty() {
            // Another node seeded it first.
            return Ok(0);
        }
        self.seed_demo_versions().await?;
        tracing::info!(assets = n, "seeded the demo catalogue");
        Ok(n)
    }

    /// Gives each demo pipeline its CWL files as its published version (the one its document
    /// names), as if it had been pushed with it: the tool registry serves them, cwltool runs
    /// them. Stored beside the assets just written, before anything reads the catalogue.
    async fn seed_demo_versions(&self) -> Result<()> {
        use crate::artefact::cwl::{self, Bundle, Limits};
        use crate::store::NewVersion;
        let demo = |id: &str, why: String| CatalogError::DemoPipeline {
            id: id.to_owned(),
            why,
        };
        let mut versions = Vec::new();
        for (id, files) in DEMO_CWL {
            let Some(asset) = self.store.get_full(id)? else {
                continue;
            };
            let entry = asset.pipeline.as_ref().and_then(|p| p.entry_point.clone());
            let (Some(name), Some(entry)) = (asset.version.clone(), entry) else {
                continue;
            };
            let mut bundle = Bundle::default();
            for (file, text) in *files {
                bundle
                    .insert(file, text.as_bytes().to_vec())
                    .map_err(|e| demo(id, e.to_string()))?;
            }
            let reading = cwl::read(&bundle, &entry, &[], Limits::default())
                .map_err(|e| demo(id, e.to_string()))?;
            let (read, _) = cwl::to_asset(&reading, &self.vocab);
            versions.push((
                (*id).to_owned(),
                NewVersion {
                    name,
                    description: Some("The demo catalogue's version.".into()),
                    actor: Some("operator".into()),
                    entry: Some(entry),
                    files: files
                        .iter()
                        .map(|(f, t)| ((*f).to_owned(), t.as_bytes().to_vec()))
                        .collect(),
                    meta: write::version_meta(&read),
                },
            ));
        }
        self.attach_versions(versions).await?;
        Ok(())
    }

    /// Stores the versions of assets just ingested (see `Store::attach_versions`); returns
    /// what was kept as it was.
    pub async fn attach_versions(
        &self,
        versions: Vec<(String, crate::store::NewVersion)>,
    ) -> Result<Vec<String>> {
        if versions.is_empty() {
            return Ok(Vec::new());
        }
        if let Some(shared) = &self.shared {
            self.follow().await?;
            let mut kept = Vec::new();
            for (id, v) in &versions {
                if self
                    .store
                    .version(id, &v.name)?
                    .is_some_and(|old| old.published)
                {
                    kept.push(format!(
                        "version {} of {id} is published: its files were kept as they were (name a new version)",
                        v.name
                    ));
                }
            }
            let append = crate::store::log::Append {
                op: crate::store::log::Op::Versions { versions },
                actor: "operator".into(),
                at: now(),
            };
            self.append_shared(shared, vec![append], false)
                .await?
                .map_err(|r| CatalogError::Task(format!("versions of {} were refused", r.asset)))?;
            return Ok(kept);
        }
        let store = self.store.clone();
        Ok(
            tokio::task::spawn_blocking(move || store.attach_versions(&versions))
                .await
                .map_err(|e| CatalogError::Task(e.to_string()))??,
        )
    }

    /// Closes the projections' connections and flushes the store.
    pub async fn close(&self) -> Result<()> {
        if let Some(s) = &self.shared {
            s.closing.store(true, std::sync::atomic::Ordering::SeqCst);
            // A follow under way finishes first.
            let _following = s.following.lock().await;
        }
        if let Some(r) = self.regtap.get() {
            r.close().await;
        }
        self.assets.close().await;
        self.oai.close().await;
        self.accounts.close().await;
        let search = self.search.clone();
        tokio::task::spawn_blocking(move || search.close())
            .await
            .map_err(|e| CatalogError::Task(e.to_string()))??;
        self.store.flush()?;
        Ok(())
    }
}
