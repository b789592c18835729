//! Vocabulary and licence catalogue endpoints.

use axum::Json;
use axum::extract::{Path, State};
use serde::Serialize;
use utoipa::ToSchema;

use super::AppState;
use super::error::{ApiError, ApiResult};
use crate::model::Scheme;
use crate::model::vocab::Concept;

/// A concept scheme with its concepts.
#[derive(Debug, Serialize, ToSchema)]
pub struct SchemeView {
    pub scheme: String,
    pub iri: String,
    pub concepts: Vec<Concept>,
}

/// The list of concept schemes.
#[derive(Debug, Serialize, ToSchema)]
pub struct SchemeList {
    pub schemes: Vec<SchemeSummary>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SchemeSummary {
    pub scheme: String,
    pub iri: String,
    pub concepts: usize,
    pub href: String,
}

/// Every concept scheme.
#[utoipa::path(get, path = "/api/v1/vocabularies", tag = "vocabularies",
    responses((status = 200, description = "the concept schemes", body = SchemeList)))]
pub async fn list(State(state): State<AppState>) -> Json<SchemeList> {
    let schemes = Scheme::ALL
        .iter()
        .map(|s| SchemeSummary {
            scheme: s.slug().into(),
            iri: s.iri(),
            concepts: state.catalog.vocab.concepts(*s).len(),
            href: format!("{}/api/v1/vocabularies/{}", state.config.base_url, s.slug()),
        })
        .collect();
    Json(SchemeList { schemes })
}

/// One concept scheme: every concept with its labels.
#[utoipa::path(get, path = "/api/v1/vocabularies/{scheme}", tag = "vocabularies",
    params(("scheme" = String, Path, description = "asset-types, domains, properties, missions, file-types, audiences, wavebands or licenses")),
    responses(
        (status = 200, description = "the scheme", body = SchemeView),
        (status = 404, description = "no such scheme", body = super::error::ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn scheme(
    State(state): State<AppState>,
    Path(slug): Path<String>,
) -> ApiResult<Json<SchemeView>> {
    let scheme = Scheme::from_slug(&slug).ok_or_else(|| {
        let known: Vec<&str> = Scheme::ALL.iter().map(|s| s.slug()).collect();
        ApiError::not_found(format!(
            "no vocabulary {slug:?}; known: {}",
            known.join(", ")
        ))
    })?;
    Ok(Json(SchemeView {
        scheme: scheme.slug().into(),
        iri: scheme.iri(),
        concepts: state.catalog.vocab.concepts(scheme).to_vec(),
    }))
}

/// One licence of the catalogue.
#[derive(Debug, Serialize, ToSchema)]
pub struct License {
    /// The value to put in an asset's `license` (SPDX id or ESA licence id).
    pub id: String,
    pub name: String,
    pub iri: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// popular, esa or other
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
}

/// The licence catalogue an asset's licence is chosen from.
#[utoipa::path(get, path = "/api/v1/licenses", tag = "vocabularies",
    responses((status = 200, description = "the licence catalogue", body = [License])))]
pub async fn licenses(State(state): State<AppState>) -> Json<Vec<License>> {
    Json(
        state
            .catalog
            .vocab
            .concepts(Scheme::Licenses)
            .iter()
            .map(|c| License {
                id: c.value(Scheme::Licenses).into(),
                name: c.pref_label.clone(),
                iri: c.iri.clone(),
                url: c.page.clone(),
                group: c.group.clone(),
            })
            .collect(),
    )
}
