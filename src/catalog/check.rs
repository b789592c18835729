//! `orrery check`: whether every projection agrees with the store, revision by revision and
//! asset by asset.

use super::*;

/// What `check` found.
#[derive(Debug, Default)]
pub struct CheckReport {
    pub store_revision: u64,
    pub live_assets: usize,
    pub deleted_assets: usize,
    pub problems: Vec<String>,
}

impl Catalog {
    /// Verifies that every projection agrees with the store.
    pub async fn check(&self) -> Result<CheckReport> {
        use project::Projection;
        let store = self.store.clone();
        let (revision, expected, public_graph) =
            tokio::task::spawn_blocking(move || -> std::result::Result<_, StoreError> {
                let revision = store.revision()?;
                let rows: Vec<Row> = store
                    .changes_since(0)?
                    .into_iter()
                    .map(|c| Row::from_store(&store, c))
                    .collect::<std::result::Result<_, _>>()?;
                Ok((revision, rows, store.check_public_graph()?))
            })
            .await
            .map_err(|e| CatalogError::Task(e.to_string()))??;
        let mut report = CheckReport {
            store_revision: revision,
            live_assets: expected.iter().filter(|r| !r.deleted).count(),
            deleted_assets: expected.iter().filter(|r| r.deleted).count(),
            problems: public_graph,
        };
        if let Some(last) = expected.iter().map(|r| r.revision).max()
            && last != revision
        {
            report.problems.push(format!(
                "store revision {revision} but the newest asset change is {last}"
            ));
        }
        // A node of a shared deployment keeps no assets table or OAI-PMH log of its own: the
        // leading node keeps the deployment's in PostgreSQL.
        let own_tables = !self.store.follows_a_log()?;
        let oai_watermark = self.oai.watermark().await?;
        if own_tables && oai_watermark != revision {
            report.problems.push(format!(
                "projection oai is at revision {oai_watermark}, the store at {revision}"
            ));
        }
        let (live, tombstones) = self.oai.current_counts().await?;
        let public = expected.iter().filter(|r| r.published_here).count() as u64;
        let hidden = expected
            .iter()
            .filter(|r| !r.published_here && r.ever_public)
            .count() as u64;
        if own_tables && (live, tombstones) != (public, hidden) {
            report.problems.push(format!(
                "projection oai has {live} live records and {tombstones} tombstones, the store {public} public assets and {hidden} that were public"
            ));
        }
        let watermark = self.assets.watermark().await?;
        if own_tables && watermark != revision {
            report.problems.push(format!(
                "projection assets is at revision {watermark}, the store at {revision}"
            ));
        }
        let search_watermark = self.search.watermark().await?;
        if search_watermark != revision {
            report.problems.push(format!(
                "projection search is at revision {search_watermark}, the store at {revision}"
            ));
        }
        let indexed = self.search.num_docs();
        if indexed != report.live_assets as u64 {
            report.problems.push(format!(
                "projection search holds {indexed} documents, the store {} live assets",
                report.live_assets
            ));
        }
        if own_tables {
            let mut expected = expected;
            expected.sort_by(|a, b| a.id.cmp(&b.id));
            compare_assets(&expected, &self.assets.rows().await?, &mut report.problems);
        }
        Ok(report)
    }
}

/// The differences between the assets table (`actual`) and the rows the store gives
/// (`expected`), both ordered by id.
fn compare_assets(expected: &[Row], actual: &[Row], problems: &mut Vec<String>) {
    let mut a = actual.iter().peekable();
    for e in expected {
        while a.peek().is_some_and(|r| r.id < e.id) {
            if let Some(r) = a.next() {
                problems.push(format!(
                    "projection assets has {} which the store does not",
                    r.id
                ));
            }
        }
        match a.peek() {
            Some(r) if r.id == e.id => {
                if *r != e {
                    problems.push(format!(
                        "projection assets differs for {}: {:?} vs store {:?}",
                        e.id, r, e
                    ));
                }
                a.next();
            }
            _ => problems.push(format!("projection assets lacks {}", e.id)),
        }
    }
    for r in a {
        problems.push(format!(
            "projection assets has {} which the store does not",
            r.id
        ));
    }
}
