//! Faceted search for the Data Discovery Portal: a tantivy index kept as a projection of the
//! store, and the search and suggestion queries answered from it.
//!
//! The index is fed by revision like every projection: its watermark lives in the payload of
//! its last commit, so a commit moves documents and watermark together. Every write commits and
//! reopens the reader before it returns, so a change is searchable as soon as it is
//! acknowledged. Visibility is decided inside the index (`access::readers` files each document
//! under reader keys), so totals, facet counts and suggestions are exact for each caller and
//! never count what the caller may not see.

mod bits;
pub mod collect;
pub mod cursor;
pub mod dense;
pub mod leaves;
pub mod plan;
pub mod query;
pub mod schema;
pub mod suggest;
pub mod without;

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::path::Path;
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
use collect::{Filter, Found, Scan, SortBy, SortKey, Strategy, Tables, Visibility};
use cursor::{Cursor, CursorError};
use plan::{ConceptLabels, PlanError, Planner};
use rayon::prelude::*;
use schema::{Facet, FacetTable, Fields, StoredHit};

/// Bumped whenever the schema or the document layout changes: an older index is rebuilt.
const LAYOUT: u32 = 5;
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
/// Keyword values returned per response (selected ones always are).
const KEYWORD_VALUES: usize = 20;
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
}

impl From<SearchError> for ProjectionError {
    fn from(e: SearchError) -> Self {
        ProjectionError::Task(e.to_string())
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
    /// How segments are counted; `Auto` but in tests that compare the strategies.
    pub strategy: Strategy,
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
}

/// The search index.
pub struct SearchIndex {
    reader: IndexReader,
    writer: Mutex<IndexWriter>,
    fields: Fields,
    table: FacetTable,
    labels: ConceptLabels,
    vocab: Arc<Vocabularies>,
    store: Arc<Store>,
    watermark: AtomicU64,
    secret: Vec<u8>,
    pinned: Mutex<VecDeque<(Instant, Searcher)>>,
    tables: Tables,
    near: plan::NearSpellings,
    dir: std::path::PathBuf,
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

impl SearchIndex {
    /// Opens (or creates) the index in `dir`; an index of another layout or facet table is
    /// discarded and rebuilt by the next catch-up.
    pub fn open(dir: &Path, store: Arc<Store>, vocab: Arc<Vocabularies>) -> Result<SearchIndex> {
        let table = FacetTable::new(&vocab);
        if table.words > collect::MAX_WORDS {
            return Err(SearchError::Index(tantivy::TantivyError::InvalidArgument(
                "too many vocabulary concepts for the facet bitmask".into(),
            )));
        }
        let (schema_def, fields) = schema::schema(table.words);
        std::fs::create_dir_all(dir)?;
        let index = match Index::open_in_dir(dir) {
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
                    create(dir, &schema_def)?
                }
            }
            Err(_) => {
                if std::fs::read_dir(dir)?.next().is_some() {
                    std::fs::remove_dir_all(dir)?;
                    std::fs::create_dir_all(dir)?;
                }
                create(dir, &schema_def)?
            }
        };
        schema::register_tokenizers(&index);
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
        let secret = load_secret(&dir.join("..").join("search.key"))?;
        let labels = ConceptLabels::new(&vocab);
        let tables = Tables::new(fields.clone(), table.words, table.bits.len());
        let index = SearchIndex {
            reader,
            writer: Mutex::new(writer),
            fields,
            table,
            labels,
            vocab,
            store,
            watermark: AtomicU64::new(watermark),
            secret,
            pinned: Mutex::new(VecDeque::new()),
            tables,
            near: Default::default(),
            dir: dir.to_owned(),
        };
        index.warm()?;
        Ok(index)
    }

    pub fn fields(&self) -> &Fields {
        &self.fields
    }

    /// The current snapshot.
    pub fn searcher(&self) -> Searcher {
        self.reader.searcher()
    }

    /// Number of live documents in the current snapshot.
    pub fn num_docs(&self) -> u64 {
        self.searcher().num_docs()
    }

    /// Indexes the given assets (`None`: deleted) and moves the watermark to `upto`, in one
    /// commit; then reopens the reader. Blocking.
    pub fn index_batch(&self, items: &[(String, Option<Asset>)], upto: u64) -> Result<()> {
        let mut writer = self
            .writer
            .lock()
            .map_err(|_| bad("index", None, "index writer poisoned"))?;
        for (id, asset) in items {
            writer.delete_term(Term::from_field_text(self.fields.id, id));
            if let Some(a) = asset {
                writer.add_document(schema::document(&self.fields, &self.table, &self.vocab, a))?;
            }
        }
        let revision = self.watermark.load(Ordering::SeqCst).max(upto);
        let payload = serde_json::to_string(&Payload {
            revision,
            facets: self.table.fingerprint(),
            layout: LAYOUT,
        })
        .unwrap_or_default();
        let mut prepared = writer.prepare_commit()?;
        prepared.set_payload(&payload);
        prepared.commit()?;
        self.watermark.store(revision, Ordering::SeqCst);
        drop(writer);
        self.reader.reload()?;
        self.warm()
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
        let mut writer = self
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
        self.watermark.store(0, Ordering::SeqCst);
        drop(writer);
        self.reader.reload()?;
        self.warm()
    }

    /// Builds the facet tables of the current segments (so that no query waits for them) and
    /// forgets those of segments no search can reach any more.
    fn warm(&self) -> Result<()> {
        let searcher = self.reader.searcher();
        let mut live: Vec<tantivy::index::SegmentId> = searcher
            .segment_readers()
            .iter()
            .map(|r| r.segment_id())
            .collect();
        if let Ok(pinned) = self.pinned.lock() {
            for (_, s) in pinned.iter() {
                live.extend(s.segment_readers().iter().map(|r| r.segment_id()));
            }
        }
        self.tables.warm(&searcher, &live)?;
        Ok(())
    }

    fn visibility(caller: &Caller) -> Visibility {
        match access::reader_keys(caller) {
            None => Visibility::All,
            Some(keys) if keys == [access::PUBLIC_READERS] => Visibility::Anonymous,
            Some(keys) => Visibility::Keys(keys),
        }
    }

    fn fingerprint(&self, req: &SearchRequest, sort: SortBy, caller: &Caller) -> String {
        let mut h = schema::Fnv::default();
        h.write(req.q.trim().as_bytes());
        let mut filters = req.filters.clone();
        filters.sort_by_key(|(f, _)| f.name());
        for (f, values) in &filters {
            h.write(f.name().as_bytes());
            let mut v = values.clone();
            v.sort();
            for x in v {
                h.write(&[0]);
                h.write(x.as_bytes());
            }
            h.write(&[1]);
        }
        h.write(sort.name().as_bytes());
        h.write(format!("{:?}", access::reader_keys(caller)).as_bytes());
        format!("{:016x}", h.0)
    }

    fn pin(&self, searcher: &Searcher) {
        if let Ok(mut pinned) = self.pinned.lock() {
            let now = Instant::now();
            pinned.retain(|(t, _)| now.duration_since(*t) < PINNED_FOR);
            let g = searcher.generation().generation_id();
            if !pinned
                .iter()
                .any(|(_, s)| s.generation().generation_id() == g)
            {
                pinned.push_back((now, searcher.clone()));
            }
            while pinned.len() > PINNED {
                pinned.pop_front();
            }
        }
    }

    fn pinned(&self, generation: u64) -> Option<Searcher> {
        let pinned = self.pinned.lock().ok()?;
        pinned
            .iter()
            .find(|(_, s)| s.generation().generation_id() == generation)
            .map(|(_, s)| s.clone())
    }

    /// Answers a search for `caller`; `launch_base` is the platform whose launch wizard opens
    /// datalabs. Blocking.
    pub fn search(
        &self,
        caller: &Caller,
        req: &SearchRequest,
        launch_base: &str,
    ) -> Result<SearchResponse> {
        let limit = req.limit.unwrap_or(DEFAULT_LIMIT);
        if limit == 0 || limit > MAX_LIMIT {
            return Err(bad(
                "limit",
                None,
                format!("limit must be between 1 and {MAX_LIMIT}"),
            ));
        }
        let parsed = query::parse(&req.q).map_err(|e| bad("q", Some(e.position), e.message))?;
        let sort = req.sort.unwrap_or(if parsed.is_some() {
            SortBy::Relevance
        } else {
            SortBy::Name
        });
        let fingerprint = self.fingerprint(req, sort, caller);
        let (searcher, after) = match &req.cursor {
            None => (self.searcher(), None),
            Some(text) => {
                let (c, key) = Cursor::decode(text, &self.secret, &fingerprint, sort)
                    .map_err(|e: CursorError| bad("cursor", None, e.to_string()))?;
                (
                    self.pinned(c.g).unwrap_or_else(|| self.searcher()),
                    Some(key),
                )
            }
        };

        // Filters: resolved values, as collector filters and as index queries.
        let mut filters = Vec::new();
        let mut filter_queries: Vec<Box<dyn Query>> = Vec::new();
        let mut selected: HashMap<Facet, Vec<String>> = HashMap::new();
        let mut problems = Vec::new();
        for (facet, values) in &req.filters {
            let mut terms = Vec::new();
            for v in values {
                match plan::facet_terms(&self.vocab, *facet, v, false) {
                    Ok(t) => terms.extend(t),
                    Err(closest) => problems.push(Problem::parameter(
                        facet.name(),
                        None,
                        format!("{v:?} is not a value of {}", facet.name()),
                        closest,
                    )),
                }
            }
            terms.sort();
            terms.dedup();
            if terms.is_empty() {
                continue;
            }
            let (filter, field) = if *facet == Facet::Keyword {
                (Filter::Keywords(terms.clone()), self.fields.keyword)
            } else {
                let mut mask = vec![0u64; self.table.words];
                for t in &terms {
                    if let Some(b) = self.table.bit_of_term(t) {
                        mask[b / 64] |= 1 << (b % 64);
                    }
                }
                (
                    Filter::Bits {
                        facet: *facet,
                        mask,
                        facet_mask: self.table.mask(*facet),
                    },
                    self.fields.concept,
                )
            };
            selected
                .entry(*facet)
                .or_default()
                .extend(terms.iter().map(|t| {
                    self.table
                        .bit_of_term(t)
                        .map_or_else(|| t.clone(), |b| self.table.bits[b].value.clone())
                }));
            filters.push(filter);
            filter_queries.push(Box::new(BooleanQuery::new(
                terms
                    .iter()
                    .map(|t| {
                        let q: Box<dyn Query> = Box::new(TermQuery::new(
                            Term::from_field_text(field, t),
                            IndexRecordOption::Basic,
                        ));
                        (Occur::Should, q)
                    })
                    .collect(),
            )));
        }
        if !problems.is_empty() {
            return Err(SearchError::BadRequest(problems));
        }

        let mut planner = Planner::new(
            &self.fields,
            &self.vocab,
            &self.labels,
            &searcher,
            &self.near,
        );
        let text: Option<Box<dyn Query>> = match &parsed {
            Some(node) => planner.plan(node).map_err(|e: PlanError| {
                SearchError::BadRequest(vec![Problem::parameter(
                    "q",
                    Some(e.position),
                    e.message,
                    e.closest,
                )])
            })?,
            None => None,
        };
        // Candidates: the text (filters are checked on the facet table, which is cheaper than
        // intersecting their posting lists); without text, at least all filters but one.
        let candidates: Box<dyn Query> = match &text {
            Some(t) => t.box_clone(),
            None if filter_queries.len() >= 2 => {
                let need = filter_queries.len() - 1;
                Box::new(ConstScoreQuery::new(
                    Box::new(BooleanQuery::with_minimum_required_clauses(
                        filter_queries
                            .into_iter()
                            .map(|q| (Occur::Should, q))
                            .collect(),
                        need,
                    )),
                    0.0,
                ))
            }
            None => Box::new(AllQuery),
        };
        let scan = Scan {
            bits: self.table.bits.len(),
            filters,
            visibility: Self::visibility(caller),
            sort,
            keep: limit + 1,
            after,
            strategy: req.strategy,
            shape: leaves::shape(&*candidates),
        };
        let found: Found = scan.run(&searcher, &*candidates, &self.tables)?;

        let mut top = found.top;
        let more = top.len() > limit;
        top.truncate(limit);
        let next_cursor = if more {
            top.last().map(|(key, _)| {
                self.pin(&searcher);
                Cursor::new(
                    searcher.generation().generation_id(),
                    sort,
                    key,
                    &fingerprint,
                )
                .encode(&self.secret)
            })
        } else {
            None
        };
        let hits = self.hits(&searcher, text.as_deref(), &top, sort, launch_base)?;
        let facets = self.facet_counts(&found.bit_counts, &found.keyword_counts, &selected);
        Ok(SearchResponse {
            total: found.total,
            hits,
            facets,
            next_cursor,
            sort: sort.name().to_owned(),
            limit,
        })
    }

    fn hits(
        &self,
        searcher: &Searcher,
        text: Option<&dyn Query>,
        top: &[(SortKey, tantivy::DocAddress)],
        sort: SortBy,
        launch_base: &str,
    ) -> Result<Vec<Hit>> {
        let name_field = self.fields.text[0];
        let abstract_field = self.fields.text[4];
        let mut terms: HashMap<tantivy::schema::Field, BTreeMap<String, f32>> = HashMap::new();
        if let Some(q) = text {
            let (ranked, pairs) = (self.fields.ranked, self.fields.pairs);
            q.query_terms(&mut |term, _| {
                if let Some(s) = term.value().as_str() {
                    // Words matched in the ranked field (or its pairs) are highlighted
                    // wherever they occur.
                    let targets = if term.field() == ranked || term.field() == pairs {
                        vec![name_field, abstract_field]
                    } else {
                        vec![term.field()]
                    };
                    for f in targets {
                        for word in s.split(' ') {
                            terms.entry(f).or_default().insert(word.to_owned(), 1.0);
                        }
                    }
                }
            });
        }
        let generator = |field, max| {
            SnippetGenerator::new(
                terms.get(&field).cloned().unwrap_or_default(),
                schema::english(),
                field,
                max,
            )
        };
        let name_gen = generator(name_field, 1_000);
        let abstract_gen = generator(abstract_field, 240);
        // Each hit is read and highlighted on its own: on every core at once.
        let hits: Vec<Option<Hit>> = top
            .par_iter()
            .map(|(key, address)| -> Result<Option<Hit>> {
                let doc: TantivyDocument = searcher.doc(*address)?;
                let Some(stored) = doc
                    .get_first(self.fields.hit)
                    .and_then(|v| v.as_str())
                    .and_then(|s| serde_json::from_str::<StoredHit>(s).ok())
                else {
                    return Ok(None);
                };
                let mut name = name_gen.snippet(&stored.name);
                name.set_snippet_prefix_postfix("<mark>", "</mark>");
                let name_html = if name.is_empty() {
                    html_escape(&stored.name)
                } else {
                    name.to_html()
                };
                let abstract_html = stored.abstract_.as_deref().map(|a| {
                    let mut s = abstract_gen.snippet(a);
                    s.set_snippet_prefix_postfix("<mark>", "</mark>");
                    if s.fragment().is_empty() {
                        html_escape(&a.chars().take(240).collect::<String>())
                    } else {
                        s.to_html()
                    }
                });
                let score = match (sort, key) {
                    (SortBy::Relevance, SortKey::Num(k)) => Some(collect::key_score(*k)),
                    _ => None,
                };
                let base = self.store.base().trim_end_matches('/');
                let id = &stored.id;
                let launch = if stored.kind == "Datalab" {
                    format!(
                        "{}/datalab-launch-wizard/{id}",
                        launch_base.trim_end_matches('/')
                    )
                } else {
                    format!("{base}/api/v1/assets/{id}#launch")
                };
                Ok(Some(Hit {
                    id: stored.id.clone(),
                    kind: stored.kind.clone(),
                    name: stored.name.clone(),
                    alternate_name: stored.alternate_name.clone(),
                    abstract_: stored.abstract_.clone(),
                    date_modified: stored.date_modified.clone(),
                    popularity: stored.popularity,
                    facets: stored.facets.into_iter().collect(),
                    highlight: Highlight {
                        name: name_html,
                        abstract_: abstract_html,
                    },
                    links: HitLinks {
                        self_: format!("{base}/api/v1/assets/{id}"),
                        landing_page: format!("{base}/assets/{id}"),
                        launch,
                    },
                    score,
                }))
            })
            .collect::<Result<_>>()?;
        Ok(hits.into_iter().flatten().collect())
    }

    fn facet_counts(
        &self,
        bit_counts: &[u64],
        keyword_counts: &HashMap<Arc<str>, u64>,
        selected: &HashMap<Facet, Vec<String>>,
    ) -> Vec<FacetCounts> {
        let mut out = Vec::with_capacity(Facet::ALL.len());
        for facet in Facet::ALL {
            let chosen = selected.get(&facet).cloned().unwrap_or_default();
            let mut values: Vec<FacetValue> = if facet == Facet::Keyword {
                let mut v: Vec<FacetValue> = keyword_counts
                    .iter()
                    .map(|(k, &n)| FacetValue {
                        value: k.to_string(),
                        count: n,
                        selected: chosen.iter().any(|c| **c == **k),
                    })
                    .collect();
                v.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.value.cmp(&b.value)));
                let (mut keep, rest): (Vec<_>, Vec<_>) = v
                    .into_iter()
                    .enumerate()
                    .partition(|(i, fv)| *i < KEYWORD_VALUES || fv.selected);
                drop(rest);
                for c in &chosen {
                    if !keep.iter().any(|(_, fv)| &fv.value == c) {
                        keep.push((
                            usize::MAX,
                            FacetValue {
                                value: c.clone(),
                                count: 0,
                                selected: true,
                            },
                        ));
                    }
                }
                keep.into_iter().map(|(_, fv)| fv).collect()
            } else {
                self.table
                    .bits
                    .iter()
                    .enumerate()
                    .filter(|(_, b)| b.facet == facet)
                    .filter_map(|(i, b)| {
                        let count = bit_counts.get(i).copied().unwrap_or(0);
                        let sel = chosen.contains(&b.value);
                        (count > 0 || sel).then(|| FacetValue {
                            value: b.value.clone(),
                            count,
                            selected: sel,
                        })
                    })
                    .collect()
            };
            values.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.value.cmp(&b.value)));
            out.push(FacetCounts {
                name: facet.name().to_owned(),
                values,
            });
        }
        out
    }

    /// Prefix suggestions for `caller`. Blocking.
    pub fn suggest(
        &self,
        caller: &Caller,
        prefix: &str,
        limit: usize,
    ) -> Result<Vec<suggest::Suggestion>> {
        suggest::suggest(&self.searcher(), &self.fields, caller, prefix, limit)
    }

    /// Commits anything pending (keeping the watermark).
    pub fn close(&self) -> Result<()> {
        self.index_batch(&[], 0)
    }

    /// Size of the index directory in bytes.
    pub fn size_on_disk(&self) -> u64 {
        std::fs::read_dir(&self.dir)
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

fn html_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A signing secret (cursors, resumption tokens): created once, kept in the data directory.
pub(crate) fn load_secret(path: &Path) -> Result<Vec<u8>> {
    if let Ok(bytes) = std::fs::read(path)
        && bytes.len() >= 32
    {
        return Ok(bytes);
    }
    let mut secret = Vec::with_capacity(32);
    secret.extend_from_slice(uuid::Uuid::new_v4().as_bytes());
    secret.extend_from_slice(uuid::Uuid::new_v4().as_bytes());
    std::fs::write(path, &secret)?;
    Ok(secret)
}

impl Projection for Arc<SearchIndex> {
    fn name(&self) -> &'static str {
        "search"
    }

    async fn watermark(&self) -> std::result::Result<u64, ProjectionError> {
        Ok(self.watermark.load(Ordering::SeqCst))
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
