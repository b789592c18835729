//! Faceted search for the Data Discovery Portal: a tantivy index kept as a projection of the
//! store, and the search and suggestion queries answered from it.
//!
//! The index is fed by revision like every projection: its watermark lives in the payload of
//! its last commit, so a commit moves documents and watermark together. Every write commits and
//! reopens the reader before it returns, so a change is searchable as soon as it is
//! acknowledged. Visibility is decided inside the index (`access::readers` files each document
//! under reader keys), so totals, facet counts and suggestions are exact for each caller and
//! never count what the caller may not see.

mod answer;
pub mod collect;
pub mod coverage;
pub mod cursor;
mod filtered;
pub mod plan;
pub mod query;
pub mod schema;
pub mod statistics;
pub mod suggest;
pub mod without;

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::Serialize;
use tantivy::query::{AllQuery, BooleanQuery, ConstScoreQuery, Occur, Query, TermQuery};
use tantivy::schema::{IndexRecordOption, Value as _};
use tantivy::snippet::SnippetGenerator;
use tantivy::{Index, IndexReader, IndexWriter, ReloadPolicy, Searcher, TantivyDocument, Term};
use utoipa::ToSchema;

use crate::access::{self, Caller};
use crate::model::{Asset, Problem, Vocabularies};
use crate::project::{Projection, ProjectionError, Row};
use crate::store::Store;
use collect::{Filter, Found, Scan, SortBy, SortKey, Visibility};
use cursor::{Cursor, CursorError};
use plan::{ConceptLabels, Mark, PlanError, Planner};
use rayon::prelude::*;
use schema::{Facet, FacetTable, Fields, StoredHit};

/// Bumped whenever the schema or the document layout changes: an older index is rebuilt.
const LAYOUT: u32 = 7;
/// Bytes of documents compressed together in the document store. A page's hits are read one
/// by one from blocks that rarely hold two of them, so each costs the decompression of its
/// whole block: at 100k assets (5 segments of 20k), 2 KiB blocks instead of tantivy's 16 KiB
/// took the query mix's server-side p50 from 0.75-0.81 to 0.67-0.76 ms and wrk from
/// 1,348-1,552 to 1,500-1,707 queries/s, for a store of 31 MB instead of 18.
const DOC_BLOCK: usize = 2048;
/// Largest page.
pub const MAX_LIMIT: usize = 100;
/// Default page size.
pub const DEFAULT_LIMIT: usize = 20;
/// Deepest hit a numbered page may start at: deeper pages are reached by cursor.
pub const MAX_OFFSET: usize = 10_000;
/// Values returned per facet unless the request says (`facetLimit`; selected ones always are).
pub const DEFAULT_FACET_LIMIT: usize = 10;
/// Most values a request may ask for per facet.
pub const MAX_FACET_LIMIT: usize = 100;
/// Terms whose public document counts are kept (per segment).
const PUBLIC_COUNTS: usize = 100_000;
/// Snapshots kept for cursors.
const PINNED: usize = 32;
const PINNED_FOR: Duration = Duration::from_secs(600);

/// Errors of the search layer.
#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    /// The request is wrong; each problem names the parameter (and position).
    #[error("bad search request")]
    BadRequest(Vec<Problem>),
    #[error("search index: {0}")]
    Index(#[from] tantivy::TantivyError),
    #[error("search index directory: {0}")]
    Io(#[from] std::io::Error),
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    #[error(transparent)]
    Secret(#[from] crate::secrets::SecretError),
}

impl From<SearchError> for ProjectionError {
    fn from(e: SearchError) -> Self {
        ProjectionError::Projection {
            projection: "search",
            source: Box::new(e),
        }
    }
}

pub type Result<T> = std::result::Result<T, SearchError>;

fn bad(parameter: &str, position: Option<usize>, message: impl Into<String>) -> SearchError {
    SearchError::BadRequest(vec![Problem::parameter(
        parameter,
        position,
        message,
        Vec::new(),
    )])
}

/// A search as the portal asks it.
#[derive(Debug, Clone, Default)]
pub struct SearchRequest {
    pub q: String,
    /// Facet filters: values of one facet are alternatives, facets are all required.
    pub filters: Vec<(Facet, Vec<String>)>,
    pub sort: Option<SortBy>,
    pub limit: Option<usize>,
    pub cursor: Option<String>,
    /// Hits to skip before the page (numbered pages of the portal; at most `MAX_OFFSET`).
    pub offset: usize,
    /// Where and when: sky, time and spectral conditions, applying to hits and counts alike.
    pub coverage: coverage::CoverageFilter,
    /// Values returned per facet, the most frequent first (`DEFAULT_FACET_LIMIT` when `None`).
    pub facet_limit: Option<usize>,
    /// Never relax `q` to most of its words when no asset has all of them.
    pub all_words: bool,
}

/// One value of a facet with its count.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FacetValue {
    pub value: String,
    pub count: u64,
    /// Whether the request filters on this value.
    pub selected: bool,
}

/// The counts of one facet.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FacetCounts {
    pub name: String,
    pub values: Vec<FacetValue>,
    /// How many more values have a count but were left out by the facet limit.
    #[serde(rename = "otherValues")]
    pub other_values: u64,
}

/// Highlighted fragments (HTML-escaped, matches in `<mark>`).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Highlight {
    pub name: String,
    #[serde(rename = "abstract", skip_serializing_if = "Option::is_none")]
    pub abstract_: Option<String>,
}

/// Where a hit leads.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct HitLinks {
    /// The asset in the API.
    #[serde(rename = "self")]
    pub self_: String,
    pub landing_page: String,
    /// The launch wizard (datalabs) or the asset's launch links (other assets).
    pub launch: String,
}

/// One search hit.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Hit {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alternate_name: Option<String>,
    #[serde(rename = "abstract", skip_serializing_if = "Option::is_none")]
    pub abstract_: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub date_modified: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub popularity: Option<u64>,
    /// Facet name → the asset's values.
    #[schema(value_type = Object)]
    pub facets: BTreeMap<String, Vec<String>>,
    pub highlight: Highlight,
    pub links: HitLinks,
    /// Relevance score (relevance order only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub score: Option<f32>,
}

/// A page of results.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SearchResponse {
    /// Exact number of hits visible to the caller.
    pub total: u64,
    pub hits: Vec<Hit>,
    /// Every facet, disjunctive: a facet's counts ignore that facet's own filter.
    pub facets: Vec<FacetCounts>,
    /// Opaque; pass as `cursor` for the next page. Absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
    pub sort: String,
    pub limit: usize,
    /// No asset has every word of `q`: the hits have all but one (one of two). Absent otherwise.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub relaxed: bool,
}

/// The index a search reads and a write feeds, in its directory: replaced whole when a
/// rebuild beside it is done.
struct Live {
    reader: IndexReader,
    writer: Mutex<IndexWriter>,
    watermark: AtomicU64,
    dir: PathBuf,
}

/// The search index.
pub struct SearchIndex {
    live: std::sync::RwLock<Arc<Live>>,
    fields: Fields,
    table: FacetTable,
    labels: ConceptLabels,
    vocab: Arc<Vocabularies>,
    store: Arc<Store>,
    /// Signs cursors: this data directory's own, or the deployment's (`use_secret`).
    secret: std::sync::RwLock<Arc<[u8]>>,
    pinned: Mutex<VecDeque<(Instant, Searcher)>>,
    near: plan::NearSpellings,
    /// Public document counts, for scoring callers who cannot see everything.
    public: statistics::PublicCounts,
}

#[derive(serde::Serialize, serde::Deserialize)]
struct Payload {
    revision: u64,
    facets: String,
    layout: u32,
}

/// A new, empty index in `dir`.
fn create(dir: &Path, schema: &tantivy::schema::Schema) -> tantivy::Result<Index> {
    let settings = tantivy::IndexSettings {
        docstore_blocksize: DOC_BLOCK,
        ..Default::default()
    };
    Index::builder()
        .schema(schema.clone())
        .settings(settings)
        .create_in_dir(dir)
}

/// The directory of the index until a rebuild replaces it.
const INDEX_DIR: &str = "index";
/// The file naming the directory of the live index once a rebuild replaced the first.
const LIVE_FILE: &str = "search.live";

/// Whether `name` is the name of an index directory: `index`, or `index-N` of a rebuild.
fn is_index_dir(name: &str) -> bool {
    name == INDEX_DIR
        || name
            .strip_prefix("index-")
            .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

/// The directory of the live index of `data_dir`.
fn live_dir(data_dir: &Path) -> Result<PathBuf> {
    let named = match std::fs::read_to_string(data_dir.join(LIVE_FILE)) {
        Ok(text) => Some(text.trim().to_owned()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(e.into()),
    };
    Ok(data_dir.join(
        named
            .filter(|n| is_index_dir(n))
            .unwrap_or_else(|| INDEX_DIR.to_owned()),
    ))
}

/// The name of the directory a rebuild of the index in `dir` goes to.
fn next_dir_name(dir: &Path) -> String {
    let n = dir
        .file_name()
        .and_then(|n| n.to_str())
        .and_then(|n| n.strip_prefix("index-"))
        .and_then(|n| n.parse::<u64>().ok())
        .unwrap_or(0);
    format!("index-{}", n + 1)
}

/// Opens (or creates) the index in `dir`; one of another layout or facet table is discarded.
fn open_live(dir: &Path, schema_def: &tantivy::schema::Schema, table: &FacetTable) -> Result<Live> {
    std::fs::create_dir_all(dir)?;
    let mut index = match Index::open_in_dir(dir) {
        Ok(index) => {
            let metas = index.load_metas()?;
            let compatible = metas
                .payload
                .as_deref()
                .and_then(|p| serde_json::from_str::<Payload>(p).ok())
                .is_some_and(|p| p.layout == LAYOUT && p.facets == table.fingerprint());
            if compatible {
                index
            } else {
                tracing::info!("search index layout changed: rebuilding");
                drop(index);
                std::fs::remove_dir_all(dir)?;
                std::fs::create_dir_all(dir)?;
                create(dir, schema_def)?
            }
        }
        Err(_) => {
            if std::fs::read_dir(dir)?.next().is_some() {
                std::fs::remove_dir_all(dir)?;
                std::fs::create_dir_all(dir)?;
            }
            create(dir, schema_def)?
        }
    };
    schema::register_tokenizers(&index);
    // Searches by tantivy's executor pass over a segment per core.
    index.set_default_multithread_executor()?;
    let watermark = index
        .load_metas()?
        .payload
        .as_deref()
        .and_then(|p| serde_json::from_str::<Payload>(p).ok())
        .map_or(0, |p| p.revision);
    let writer = index.writer(128_000_000)?;
    let reader = index
        .reader_builder()
        .reload_policy(ReloadPolicy::Manual)
        .doc_store_cache_num_blocks(64)
        .try_into()?;
    Ok(Live {
        reader,
        writer: Mutex::new(writer),
        watermark: AtomicU64::new(watermark),
        dir: dir.to_owned(),
    })
}

impl SearchIndex {
    /// Opens (or creates) the index of the data directory `data_dir`: in `index/`, or where
    /// the last rebuild put it (`search.live` names it). An index of another layout or facet
    /// table is discarded and rebuilt by the next catch-up; what an interrupted rebuild left is
    /// removed.
    pub fn open(
        data_dir: &Path,
        store: Arc<Store>,
        vocab: Arc<Vocabularies>,
    ) -> Result<SearchIndex> {
        let table = FacetTable::new(&vocab);
        if table.words > collect::MAX_WORDS {
            return Err(SearchError::Index(tantivy::TantivyError::InvalidArgument(
                "too many vocabulary concepts for the facet bitmask".into(),
            )));
        }
        let live = live_dir(data_dir)?;
        for entry in std::fs::read_dir(data_dir)? {
            let path = entry?.path();
            let name = path
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or_default();
            if is_index_dir(name) && path != live {
                tracing::info!(dir = %path.display(), "removing what an interrupted rebuild left");
                std::fs::remove_dir_all(&path)?;
            }
        }
        let (schema_def, fields) = schema::schema(table.words);
        let live = open_live(&live, &schema_def, &table)?;
        let secret = crate::secrets::load_or_create(&data_dir.join("search.key"))?;
        Ok(SearchIndex::around(
            live,
            fields,
            table,
            vocab,
            store,
            secret.into(),
        ))
    }

    /// The search index over `live`, with nothing cached yet.
    fn around(
        live: Live,
        fields: Fields,
        table: FacetTable,
        vocab: Arc<Vocabularies>,
        store: Arc<Store>,
        secret: Arc<[u8]>,
    ) -> SearchIndex {
        SearchIndex {
            live: std::sync::RwLock::new(Arc::new(live)),
            public: statistics::PublicCounts::new(fields.readers, PUBLIC_COUNTS),
            fields,
            table,
            labels: ConceptLabels::new(&vocab),
            vocab,
            store,
            secret: std::sync::RwLock::new(secret),
            pinned: Mutex::new(VecDeque::new()),
            near: Default::default(),
        }
    }

    fn live(&self) -> Arc<Live> {
        self.live.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// A new, empty index beside this one, in a directory of its own, to be filled (as a
    /// projection, from the store) while this one serves, then put in its place (`adopt`).
    pub fn beside(&self) -> Result<SearchIndex> {
        let live = self.live();
        let parent = live.dir.parent().unwrap_or(Path::new("."));
        let next = parent.join(next_dir_name(&live.dir));
        if next.exists() {
            std::fs::remove_dir_all(&next)?;
        }
        let (schema_def, _) = schema::schema(self.table.words);
        let fresh = open_live(&next, &schema_def, &self.table)?;
        Ok(SearchIndex::around(
            fresh,
            self.fields.clone(),
            FacetTable::new(&self.vocab),
            self.vocab.clone(),
            self.store.clone(),
            self.secret(),
        ))
    }

    /// Puts `next` (made by `beside` and filled since) in this index's place: its directory is
    /// named live in `search.live` (written whole, then renamed, so that a crash leaves one
    /// or the other), searches and writes go to it from now on, and the directory of the
    /// index it replaces is returned, to be removed once nothing reads it. Blocking; the
    /// caller holds writes back.
    pub fn adopt(&self, next: &SearchIndex) -> Result<PathBuf> {
        // Everything in it is committed (each batch fed commits with its watermark).
        let fresh = next.live();
        let parent = fresh.dir.parent().unwrap_or(Path::new("."));
        let name = fresh
            .dir
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or(INDEX_DIR);
        let pointer = parent.join(LIVE_FILE);
        let temporary = parent.join(format!("{LIVE_FILE}.new"));
        {
            use std::io::Write as _;
            let mut f = std::fs::File::create(&temporary)?;
            f.write_all(name.as_bytes())?;
            f.sync_all()?;
        }
        std::fs::rename(&temporary, &pointer)?;
        // The rename itself is durable before the old index is removed.
        std::fs::File::open(parent)?.sync_all()?;
        let old = std::mem::replace(
            &mut *self.live.write().unwrap_or_else(|e| e.into_inner()),
            fresh,
        );
        // Cursors and spellings name snapshots of the index replaced.
        if let Ok(mut pinned) = self.pinned.lock() {
            pinned.clear();
        }
        self.near.forget();
        Ok(old.dir.clone())
    }

    /// Signs cursors with `secret` from now on (a deployment's nodes share one, so that a
    /// cursor one issued pages on another).
    pub fn use_secret(&self, secret: Vec<u8>) {
        *self.secret.write().unwrap_or_else(|e| e.into_inner()) = secret.into();
    }

    fn secret(&self) -> Arc<[u8]> {
        self.secret
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    pub fn fields(&self) -> &Fields {
        &self.fields
    }

    /// The current snapshot.
    pub fn searcher(&self) -> Searcher {
        self.live().reader.searcher()
    }

    /// An order-free digest of the documents of the current snapshot (their ids and the
    /// revision each was indexed at), to compare replicas.
    pub fn digest(&self) -> Result<String> {
        let searcher = self.searcher();
        let mut d = crate::store::digest::OrderFree::default();
        for segment in searcher.segment_readers() {
            let store = segment.get_store_reader(0)?;
            for doc in store.iter::<TantivyDocument>(segment.alive_bitset()) {
                let doc = doc?;
                if let Some(id) = doc.get_first(self.fields.id).and_then(|v| v.as_str()) {
                    d.add(id.as_bytes());
                }
            }
        }
        Ok(d.finish())
    }

    /// Number of live documents in the current snapshot.
    pub fn num_docs(&self) -> u64 {
        self.searcher().num_docs()
    }

    /// Indexes the given assets (`None`: deleted) and moves the watermark to `upto`, in one
    /// commit; then reopens the reader. Blocking.
    pub fn index_batch(&self, items: &[(String, Option<Asset>)], upto: u64) -> Result<()> {
        let live = self.live();
        let mut writer = live
            .writer
            .lock()
            .map_err(|_| bad("index", None, "index writer poisoned"))?;
        for (id, asset) in items {
            writer.delete_term(Term::from_field_text(self.fields.id, id));
            if let Some(a) = asset {
                writer.add_document(schema::document(&self.fields, &self.table, &self.vocab, a))?;
            }
        }
        let revision = live.watermark.load(Ordering::SeqCst).max(upto);
        let payload = serde_json::to_string(&Payload {
            revision,
            facets: self.table.fingerprint(),
            layout: LAYOUT,
        })
        .unwrap_or_default();
        let mut prepared = writer.prepare_commit()?;
        prepared.set_payload(&payload);
        prepared.commit()?;
        live.watermark.store(revision, Ordering::SeqCst);
        drop(writer);
        live.reader.reload()?;
        Ok(())
    }

    /// Indexes rows by reading their assets from the store. Blocking.
    fn apply_blocking(&self, rows: &[Row], upto: u64) -> Result<()> {
        let mut items = Vec::with_capacity(rows.len());
        for r in rows {
            let asset = if r.deleted {
                None
            } else {
                self.store.get_full(&r.id)?
            };
            items.push((r.id.clone(), asset));
        }
        self.index_batch(&items, upto)
    }

    fn clear_blocking(&self) -> Result<()> {
        let live = self.live();
        let mut writer = live
            .writer
            .lock()
            .map_err(|_| bad("index", None, "index writer poisoned"))?;
        writer.delete_all_documents()?;
        let payload = serde_json::to_string(&Payload {
            revision: 0,
            facets: self.table.fingerprint(),
            layout: LAYOUT,
        })
        .unwrap_or_default();
        let mut prepared = writer.prepare_commit()?;
        prepared.set_payload(&payload);
        prepared.commit()?;
        live.watermark.store(0, Ordering::SeqCst);
        drop(writer);
        live.reader.reload()?;
        Ok(())
    }

    /// Commits anything pending (keeping the watermark).
    pub fn close(&self) -> Result<()> {
        self.index_batch(&[], 0)
    }

    /// Size of the index directory in bytes.
    pub fn size_on_disk(&self) -> u64 {
        std::fs::read_dir(&self.live().dir)
            .map(|rd| {
                rd.filter_map(|e| e.ok())
                    .filter_map(|e| e.metadata().ok())
                    .filter(|m| m.is_file())
                    .map(|m| m.len())
                    .sum()
            })
            .unwrap_or(0)
    }
}

impl Projection for Arc<SearchIndex> {
    fn name(&self) -> &'static str {
        "search"
    }

    async fn watermark(&self) -> std::result::Result<u64, ProjectionError> {
        Ok(self.live().watermark.load(Ordering::SeqCst))
    }

    async fn apply(&self, rows: &[Row], upto: u64) -> std::result::Result<(), ProjectionError> {
        let (me, rows) = (self.clone(), rows.to_vec());
        tokio::task::spawn_blocking(move || me.apply_blocking(&rows, upto))
            .await
            .map_err(|e| ProjectionError::Task(e.to_string()))??;
        Ok(())
    }

    async fn clear(&self) -> std::result::Result<(), ProjectionError> {
        let me = self.clone();
        tokio::task::spawn_blocking(move || me.clear_blocking())
            .await
            .map_err(|e| ProjectionError::Task(e.to_string()))??;
        Ok(())
    }
}
#[cfg(test)]
mod tests;
