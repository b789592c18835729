//! Launch links: which datalabs can open an asset, as URLs of the platform's launch wizard
//! (`{launch_base}/datalab-launch-wizard/{datalab-id}`, `spec/metadata.md`).
//!
//! An asset's links are the datalabs in its `analysableWith`, plus every datalab the caller may
//! see whose `associatedFileType` meets one of the asset's distribution formats. A data volume's
//! link carries its mount path.

use oxigraph::sparql::{QueryResults, SparqlEvaluator};
use serde::Serialize;
use utoipa::ToSchema;

use crate::access::{self, Caller};
use crate::model::{Asset, Scheme, ns};
use crate::store::{Result, Store};

/// One way to open an asset.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct LaunchLink {
    pub datalab: String,
    pub url: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mount_path: Option<String>,
}

/// The file-type concept IRIs an asset's distributions are in (by format or media type).
fn formats(store: &Store, asset: &Asset) -> Vec<String> {
    let vocab = store.vocab();
    let mut out = Vec::new();
    for d in &asset.distribution {
        if let Some(c) = d
            .format
            .as_deref()
            .and_then(|f| vocab.by_label(Scheme::FileTypes, f))
        {
            out.push(c.iri.clone());
        }
        if let Some(m) = &d.media_type {
            out.extend(
                vocab
                    .concepts(Scheme::FileTypes)
                    .iter()
                    .filter(|c| c.media_types.iter().any(|t| t.eq_ignore_ascii_case(m)))
                    .map(|c| c.iri.clone()),
            );
        }
    }
    out.sort();
    out.dedup();
    out
}

/// Datalabs whose associated file types include one of `formats`.
fn datalabs_for(store: &Store, formats: &[String]) -> Result<Vec<String>> {
    if formats.is_empty() {
        return Ok(Vec::new());
    }
    let values: Vec<String> = formats.iter().map(|f| format!("<{f}>")).collect();
    let query = format!(
        "SELECT DISTINCT ?dl WHERE {{ VALUES ?ft {{ {} }} GRAPH ?g {{ ?dl a <{}Datalab> ; <{}associatedFileType> ?ft }} }}",
        values.join(" "),
        ns::ESADO,
        ns::ESADO
    );
    let prefix = format!("{}/id/", store.base());
    let mut out = Vec::new();
    let results = SparqlEvaluator::new()
        .parse_query(&query)
        .map_err(|e| crate::store::StoreError::Corrupt(e.to_string()))?
        .on_store(store.oxigraph())
        .execute()
        .map_err(|e| crate::store::StoreError::Corrupt(e.to_string()))?;
    if let QueryResults::Solutions(solutions) = results {
        for s in solutions {
            let s = s.map_err(|e| crate::store::StoreError::Corrupt(e.to_string()))?;
            if let Some(oxigraph::model::Term::NamedNode(n)) = s.get("dl")
                && let Some(id) = n.as_str().strip_prefix(&prefix)
            {
                out.push(id.to_owned());
            }
        }
    }
    Ok(out)
}

/// The launch links of `asset` that `caller` may follow.
pub fn links(
    store: &Store,
    caller: &Caller,
    asset: &Asset,
    launch_base: &str,
) -> Result<Vec<LaunchLink>> {
    let mut candidates: Vec<String> = if asset.kind == "Datalab" {
        vec![asset.id.clone()]
    } else {
        Vec::new()
    };
    candidates.extend(asset.analysable_with.iter().cloned());
    candidates.extend(datalabs_for(store, &formats(store, asset))?);
    let mut seen = std::collections::HashSet::new();
    candidates.retain(|c| seen.insert(c.clone()));
    let mount_path = asset.volume.as_ref().map(|v| v.mount_path.clone());
    let mut out = Vec::new();
    for id in candidates {
        let Some(datalab) = access::read_asset(store, caller, &id)? else {
            continue;
        };
        if datalab.kind != "Datalab" {
            continue;
        }
        let mut url = format!(
            "{}/datalab-launch-wizard/{id}",
            launch_base.trim_end_matches('/')
        );
        if let Some(path) = &mount_path {
            let query: String = form_urlencoded::Serializer::new(String::new())
                .append_pair("volume", &asset.id)
                .append_pair("mountPath", path)
                .finish();
            url = format!("{url}?{query}");
        }
        out.push(LaunchLink {
            datalab: id,
            url,
            mount_path: mount_path.clone(),
        });
    }
    Ok(out)
}
