//! Harvesting another IVOA registry over OAI-PMH into the catalogue (`orrery harvest`).
//!
//! `ListRecords` with `ivo_vor` pages through the source; each page's records are read into
//! assets (`registry::resource`) and committed before the next page is asked for, and the
//! resumption token is saved with them, so a harvest that fails half-way (network, a crash)
//! resumes where it stopped. A completed harvest remembers the source's own time of its first
//! response; the next harvest asks only for what changed since (`from`), deletions included.
//!
//! Harvested assets are published public assets of their authority, kept apart from the
//! catalogue's own: a record never replaces an asset of this catalogue, and a deletion removes
//! only what a harvest brought in.

use std::time::Duration;

use crate::catalog::Catalog;
use crate::ivoa::oai::pmh::{self, PageError};
use crate::ivoa::voresource::resource::{self, Record, RecordError};
use crate::model::Asset;
use crate::store::db::{Db, text};

/// Why a harvest stopped.
#[derive(Debug, thiserror::Error)]
pub enum HarvestError {
    #[error("{url}: {message}")]
    Fetch { url: String, message: String },
    #[error(transparent)]
    Page(#[from] PageError),
    #[error("--from {0:?} is not an OAI-PMH date (YYYY-MM-DD or YYYY-MM-DDThh:mm:ssZ)")]
    BadFrom(String),
    #[error("another harvest of {0} is running")]
    Busy(String),
    #[error("the harvest state: {0}")]
    State(#[from] sqlx::Error),
    #[error(transparent)]
    Catalog(#[from] crate::catalog::CatalogError),
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
}

/// What to harvest.
#[derive(Debug, Clone)]
pub struct Source {
    /// The OAI-PMH base URL.
    pub url: String,
    pub set: Option<String>,
    /// Harvest changes from this date on instead of since the last harvest.
    pub from: Option<String>,
}

impl Source {
    fn key(&self) -> String {
        format!("{}|{}", self.url, self.set.as_deref().unwrap_or(""))
    }
}

/// What a harvest did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Report {
    pub pages: usize,
    pub written: usize,
    pub deleted: usize,
    /// Records left out (unreadable, or naming an asset of this catalogue), with why.
    pub skipped: Vec<String>,
    /// Whether this run resumed an interrupted one.
    pub resumed: bool,
    /// The `from` this run asked for (none: everything).
    pub from: Option<String>,
}

/// The SQLite table (PostgreSQL's is made by its migrations).
const STATE: &str = "CREATE TABLE IF NOT EXISTS harvest_state (
    source TEXT PRIMARY KEY,
    next_from TEXT,
    token TEXT,
    run_from TEXT,
    run_started TEXT
)";

#[derive(Default)]
struct State {
    next_from: Option<String>,
    token: Option<String>,
    run_from: Option<String>,
    run_started: Option<String>,
}

async fn load(db: &Db, key: &str) -> Result<State, sqlx::Error> {
    if let Db::Sqlite(pool) = db {
        sqlx::query(STATE).execute(pool).await?;
    }
    let row = db
        .one(
            "SELECT next_from, token, run_from, run_started FROM harvest_state WHERE source = $1",
            &[text(key)],
        )
        .await?;
    Ok(match row.as_deref() {
        Some([next_from, token, run_from, run_started]) => State {
            next_from: next_from.clone(),
            token: token.clone(),
            run_from: run_from.clone(),
            run_started: run_started.clone(),
        },
        _ => State::default(),
    })
}

async fn save(db: &Db, key: &str, s: &State) -> Result<(), sqlx::Error> {
    db.execute(
        "INSERT INTO harvest_state (source, next_from, token, run_from, run_started)
         VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (source) DO UPDATE SET next_from = excluded.next_from, token = excluded.token,
         run_from = excluded.run_from, run_started = excluded.run_started",
        &[
            text(key),
            s.next_from.clone(),
            s.token.clone(),
            s.run_from.clone(),
            s.run_started.clone(),
        ],
    )
    .await?;
    Ok(())
}

/// Holds a source for one harvest at a time across the machines of a deployment: a session
/// advisory lock, let go when the harvest ends (its connection closes). Embedded, the data
/// directory is one process's anyway.
async fn hold(db: &Db, key: &str) -> Result<Option<sqlx::PgConnection>, HarvestError> {
    let Db::Postgres(pool) = db else {
        return Ok(None);
    };
    let mut c = pool.acquire().await?.detach();
    let got: bool = sqlx::query_scalar("SELECT pg_try_advisory_lock(hashtext('harvest ' || $1))")
        .bind(key)
        .fetch_one(&mut c)
        .await?;
    if got {
        Ok(Some(c))
    } else {
        Err(HarvestError::Busy(key.to_owned()))
    }
}

/// Whether `text` is an OAI-PMH date at day or second granularity.
fn valid_from(text: &str) -> bool {
    chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d").is_ok()
        || (text.len() == 20
            && text.ends_with('Z')
            && chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%SZ").is_ok())
}

/// Fetches one OAI-PMH response, retrying transient failures (network errors, 5xx, a 503's
/// `Retry-After`) with growing pauses.
async fn fetch(client: &reqwest::Client, url: &str) -> Result<String, HarvestError> {
    let fail = |message: String| HarvestError::Fetch {
        url: url.to_owned(),
        message,
    };
    let mut pause = Duration::from_secs(1);
    let mut attempt = 0;
    loop {
        attempt += 1;
        let outcome = client.get(url).send().await;
        let retry_after = match outcome {
            Ok(r) if r.status().is_success() => {
                return r
                    .text()
                    .await
                    .map_err(|e| fail(format!("reading the response: {e}")));
            }
            Ok(r) if r.status().is_server_error() || r.status().as_u16() == 429 => {
                let wait = r
                    .headers()
                    .get(reqwest::header::RETRY_AFTER)
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.trim().parse::<u64>().ok())
                    .map(|s| Duration::from_secs(s.min(60)));
                if attempt >= 4 {
                    return Err(fail(format!(
                        "HTTP {} (after {attempt} attempts)",
                        r.status()
                    )));
                }
                wait
            }
            Ok(r) => return Err(fail(format!("HTTP {}", r.status()))),
            Err(e) => {
                if attempt >= 4 {
                    return Err(fail(format!("{e} (after {attempt} attempts)")));
                }
                None
            }
        };
        tokio::time::sleep(retry_after.unwrap_or(pause)).await;
        pause *= 2;
    }
}

fn list_url(base: &str, args: &[(&str, &str)]) -> String {
    let query: String = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(args)
        .finish();
    let sep = if base.contains('?') { '&' } else { '?' };
    format!("{base}{sep}{query}")
}

/// Harvests `source` into the catalogue; `progress` hears of every committed page.
pub async fn harvest(
    catalog: &Catalog,
    source: &Source,
    progress: &mut dyn FnMut(&str),
) -> Result<Report, HarvestError> {
    if let Some(f) = &source.from
        && !valid_from(f)
    {
        return Err(HarvestError::BadFrom(f.clone()));
    }
    let db = catalog.state_db();
    let key = source.key();
    let _held = hold(&db, &key).await?;
    let mut state = load(&db, &key).await?;
    let client = reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(30))
        .timeout(Duration::from_secs(600))
        .user_agent(concat!(
            "orrery/",
            env!("CARGO_PKG_VERSION"),
            " (OAI-PMH harvester)"
        ))
        .build()
        .map_err(|e| HarvestError::Fetch {
            url: source.url.clone(),
            message: e.to_string(),
        })?;
    let mut report = Report::default();
    // An explicit --from starts afresh; otherwise an interrupted run resumes.
    let mut token = if source.from.is_some() {
        None
    } else {
        state.token.clone()
    };
    if token.is_some() {
        report.resumed = true;
        report.from = state.run_from.clone();
    } else {
        report.from = source.from.clone().or(state.next_from.clone());
        state.run_from = report.from.clone();
        state.run_started = None;
    }
    loop {
        let url = match &token {
            Some(t) => list_url(
                &source.url,
                &[("verb", "ListRecords"), ("resumptionToken", t)],
            ),
            None => {
                let mut args = vec![("verb", "ListRecords"), ("metadataPrefix", "ivo_vor")];
                if let Some(s) = &source.set {
                    args.push(("set", s));
                }
                if let Some(f) = &state.run_from {
                    args.push(("from", f));
                }
                list_url(&source.url, &args)
            }
        };
        let body = fetch(&client, &url).await?;
        let page = match pmh::parse_page(&body) {
            Ok(p) => p,
            Err(PageError::Oai { code, .. }) if code == "noRecordsMatch" => pmh::Page {
                response_date: response_date(&body),
                ..pmh::Page::default()
            },
            Err(PageError::Oai { code, message })
                if code == "badResumptionToken" && token.is_some() =>
            {
                progress(&format!(
                    "the saved resumption token is no longer valid ({message}); starting the interrupted harvest again"
                ));
                token = None;
                report.resumed = false;
                continue;
            }
            Err(PageError::Oai { code, .. })
                if code == "badArgument"
                    && token.is_none()
                    && state.run_from.as_ref().is_some_and(|f| f.len() > 10) =>
            {
                // A registry with day granularity: ask again by day.
                state.run_from = state.run_from.as_ref().map(|f| f[..10].to_owned());
                report.from = state.run_from.clone();
                continue;
            }
            Err(e) => return Err(e.into()),
        };
        if state.run_started.is_none() && !page.response_date.is_empty() {
            state.run_started = Some(page.response_date.clone());
        }
        let (written, deleted) = apply(catalog, &page, &mut report).await?;
        report.pages += 1;
        report.written += written;
        report.deleted += deleted;
        token = page.token.clone();
        state.token = token.clone();
        if token.is_none() {
            // Complete: the next harvest asks for what changed since this one began, by the
            // source's clock.
            state.next_from = state.run_started.clone().or(state.next_from.take());
            state.run_from = None;
            state.run_started = None;
        }
        save(&db, &key, &state).await?;
        progress(&format!(
            "page {}: {} records ({written} written, {deleted} deleted){}",
            report.pages,
            page.records.len(),
            page.complete_list_size
                .map(|n| format!(", list of {n}"))
                .unwrap_or_default()
        ));
        if token.is_none() {
            return Ok(report);
        }
    }
}

/// The `responseDate` of an OAI-PMH response (also of an error response).
fn response_date(xml: &str) -> String {
    xml.split_once("<responseDate>")
        .and_then(|(_, rest)| rest.split_once("</responseDate>"))
        .map(|(d, _)| d.trim().to_owned())
        .unwrap_or_default()
}

/// Commits one page: its live records as assets, its deletions as deletions. Returns how many
/// were written and deleted.
async fn apply(
    catalog: &Catalog,
    page: &pmh::Page,
    report: &mut Report,
) -> Result<(usize, usize), HarvestError> {
    let mut assets: Vec<Asset> = Vec::new();
    let mut deletions: Vec<String> = Vec::new();
    for r in &page.records {
        let record = match (&r.metadata, r.deleted) {
            (Some(xml), false) => crate::panics::catch(|| resource::read(xml, &catalog.vocab))
                .unwrap_or_else(|panic| Err(RecordError::Internal(panic))),
            _ => Ok(Record::Deleted {
                id: resource::id_for(&r.identifier),
                ivoid: r.identifier.clone(),
            }),
        };
        match record {
            Ok(Record::Resource(a)) => {
                if is_local(catalog, &a.id)? {
                    report.skipped.push(format!(
                        "{}: its id {} names an asset of this catalogue",
                        r.identifier, a.id
                    ));
                } else if let Some(i) = assets.iter().position(|b| b.id == a.id) {
                    assets[i] = *a;
                } else {
                    assets.push(*a);
                }
            }
            Ok(Record::Deleted { id, .. }) => {
                assets.retain(|a| a.id != id);
                deletions.push(id);
            }
            Err(e) => report.skipped.push(format!("{}: {e}", r.identifier)),
        }
    }
    let written = assets.len();
    if !assets.is_empty() {
        catalog.write(assets).await?;
    }
    let mut deleted = 0;
    for id in deletions {
        if catalog.store.is_harvested(&id)? && catalog.delete(&id).await? {
            deleted += 1;
        }
    }
    Ok((written, deleted))
}

/// Whether `id` is a live asset of this catalogue's own (not harvested).
fn is_local(catalog: &Catalog, id: &str) -> Result<bool, HarvestError> {
    let live = catalog.store.change(id)?.is_some_and(|c| !c.deleted);
    Ok(live && !catalog.store.is_harvested(id)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn from_dates_are_checked() {
        assert!(valid_from("2026-01-02"));
        assert!(valid_from("2026-01-02T03:04:05Z"));
        assert!(!valid_from("2026-01-02T03:04:05"));
        assert!(!valid_from("yesterday"));
        assert!(!valid_from("2026-13-01"));
    }

    #[test]
    fn list_urls_keep_the_base_query() {
        assert_eq!(
            list_url(
                "http://x/oai",
                &[("verb", "ListRecords"), ("from", "2026-01-01")]
            ),
            "http://x/oai?verb=ListRecords&from=2026-01-01"
        );
        assert_eq!(
            list_url("http://x/q?a=1", &[("resumptionToken", "a b&c")]),
            "http://x/q?a=1&resumptionToken=a+b%26c"
        );
    }
}
