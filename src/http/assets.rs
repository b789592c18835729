//! Reading assets: `GET /api/v1/assets/{id}` (negotiated), `GET /id/{id}`, `GET /api/v1/resolve`.

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use oxigraph::io::{RdfFormat, RdfSerializer};
use oxigraph::model::{GraphName, Quad};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::AppState;
use super::auth::Auth;
use super::conneg::{Representation, negotiate};
use super::error::{ApiError, ApiResult};
use crate::access::{self, Caller};
use crate::catalog::launch::{self, LaunchLink};
use crate::model::rdf::{AssetIris, to_quads};
use crate::model::{Asset, is_valid_id, ns};

const ASSET_REPRESENTATIONS: &[Representation] = &[
    Representation::Json,
    Representation::Rdf(RdfFormat::JsonLd {
        profile: oxigraph::io::JsonLdProfileSet::empty(),
    }),
    Representation::Rdf(RdfFormat::Turtle),
    Representation::Rdf(RdfFormat::NTriples),
    Representation::Rdf(RdfFormat::RdfXml),
    Representation::Html,
    Representation::VoResource,
];

/// Links computed for an asset (read-only).
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AssetLinks {
    #[serde(rename = "self")]
    pub self_: String,
    pub iri: String,
    pub landing_page: String,
    pub ivoid: String,
    pub launch: Vec<LaunchLink>,
}

/// The asset document as read: its visible fields plus the read-only keys.
#[derive(Debug, Serialize, ToSchema)]
pub struct AssetView {
    #[serde(flatten)]
    pub asset: Asset,
    pub revision: u64,
    pub links: AssetLinks,
    /// An edit of the published asset waiting for review (its status draft or in_review);
    /// shown to those who may read the asset whole.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pending: Option<Asset>,
}

/// Loads an asset as the caller may see it, or answers 404 (also for assets it may not see).
pub(super) fn load(state: &AppState, caller: &Caller, id: &str) -> ApiResult<Asset> {
    if !is_valid_id(id) {
        return Err(ApiError::not_found(format!("no asset {id:?}")));
    }
    access::read_asset(&state.catalog.store, caller, id)?
        .ok_or_else(|| ApiError::not_found(format!("no asset {id:?}")))
}

pub(super) fn view(state: &AppState, caller: &Caller, asset: Asset) -> ApiResult<AssetView> {
    let revision = visible_revision(state, caller, &asset)?;
    let pending = match access::grant(caller, &asset) {
        Some(access::Grant::Full) => state.catalog.store.pending(&asset.id)?,
        _ => None,
    };
    view_at(state, caller, asset, revision, pending)
}

/// The view of an asset whose revision and pending revision are known.
pub(super) fn view_at(
    state: &AppState,
    caller: &Caller,
    asset: Asset,
    revision: u64,
    pending: Option<Asset>,
) -> ApiResult<AssetView> {
    let base = &state.config.base_url;
    let id = asset.id.clone();
    let launch = launch::links(
        &state.catalog.store,
        caller,
        &asset,
        &state.config.launch_base,
    )?;
    // Another registry's resource keeps its own identifier.
    let ivoid = asset
        .ivoid
        .clone()
        .unwrap_or_else(|| state.config.ivoid(&id));
    Ok(AssetView {
        asset,
        revision,
        pending,
        links: AssetLinks {
            self_: format!("{base}/api/v1/assets/{id}"),
            iri: format!("{base}/id/{id}"),
            landing_page: format!("{base}/assets/{id}"),
            ivoid,
            launch,
        },
    })
}

/// The revision a caller is told about: the last change of what it may read. Readers of the
/// public graph learn nothing of private changes or pending edits, not even that they happened.
pub(super) fn visible_revision(state: &AppState, caller: &Caller, asset: &Asset) -> ApiResult<u64> {
    let change = state.catalog.store.change(&asset.id)?;
    Ok(match (change, access::grant(caller, asset)) {
        (Some(c), Some(access::Grant::Full)) => c.revision,
        (Some(c), _) => c.public_revision,
        (None, _) => 0,
    })
}

/// The VOResource record of an asset: the registry's mapping of the caller's view, relating it
/// only to datalabs the caller may see.
fn voresource_bytes(state: &AppState, caller: &Caller, asset: &Asset) -> ApiResult<Vec<u8>> {
    use crate::ivoa::voresource::{Record, asset_record};
    let store = &state.catalog.store;
    let mut served_by = Vec::new();
    for d in &asset.analysable_with {
        if let Some(lab) = access::read_asset(store, caller, d)? {
            served_by.push((lab.id, lab.name));
        }
    }
    let info = state.config.registry_info(&store.created());
    let record = Record {
        asset,
        served_by: &served_by,
    };
    asset_record(&info, store.vocab(), &record, false).map_err(ApiError::internal)
}

/// Serialises the triples of an asset (as one graph) in an RDF syntax.
pub(super) fn rdf_bytes(state: &AppState, asset: &Asset, format: RdfFormat) -> ApiResult<Vec<u8>> {
    let store = &state.catalog.store;
    let quads = to_quads(asset, store.base(), store.vocab()).map_err(ApiError::internal)?;
    let mut ser = RdfSerializer::from_format(format);
    for (p, iri) in [
        ("sdo", ns::SDO),
        ("esado", ns::ESADO),
        ("dcat", ns::DCAT),
        ("dct", ns::DCT),
    ] {
        ser = ser.with_prefix(p, iri).map_err(ApiError::internal)?;
    }
    let mut w = ser.for_writer(Vec::new());
    for q in quads {
        let triple = Quad::new(q.subject, q.predicate, q.object, GraphName::DefaultGraph);
        w.serialize_quad(&triple).map_err(ApiError::internal)?;
    }
    w.finish().map_err(ApiError::internal)
}

/// The entity tag of a representation: the asset's revision, plus the syntax for RDF ones
/// (each representation needs its own strong validator).
fn etag(revision: u64, rep: Representation) -> HeaderValue {
    let suffix = match rep {
        Representation::Json | Representation::Html => "",
        Representation::VoResource => "-vor",
        Representation::Rdf(RdfFormat::JsonLd { .. }) => "-jsonld",
        Representation::Rdf(RdfFormat::Turtle) => "-ttl",
        Representation::Rdf(RdfFormat::NTriples) => "-nt",
        Representation::Rdf(RdfFormat::RdfXml) => "-rdfxml",
        Representation::Rdf(_) => "-rdf",
    };
    HeaderValue::from_str(&format!("\"{revision}{suffix}\""))
        .unwrap_or(HeaderValue::from_static("\"0\""))
}

/// One asset, in the representation the `Accept` header asks for.
#[utoipa::path(
    get, path = "/api/v1/assets/{id}", tag = "assets",
    params(("id" = String, Path, description = "local asset id")),
    responses(
        (status = 200, description = "the asset document (or JSON-LD, Turtle, N-Triples, RDF/XML by Accept)", body = AssetView),
        (status = 404, description = "no such asset, or not visible to the caller", body = super::error::ProblemDetails, content_type = "application/problem+json"),
        (status = 406, description = "no acceptable representation", body = super::error::ProblemDetails, content_type = "application/problem+json"),
    )
)]
pub async fn get_asset(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Auth(caller): Auth,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let rep = negotiate(&headers, ASSET_REPRESENTATIONS)
        .ok_or_else(|| ApiError::new(StatusCode::NOT_ACCEPTABLE, "acceptable: application/json, application/ld+json, text/turtle, application/n-triples, application/rdf+xml, application/xml (VOResource)"))?;
    let st = state.clone();
    let (rep, body, revision) =
        tokio::task::spawn_blocking(move || -> ApiResult<(Representation, Vec<u8>, u64)> {
            let asset = load(&st, &caller, &id)?;
            match rep {
                Representation::Json | Representation::Html => {
                    let v = view(&st, &caller, asset)?;
                    let rev = v.revision;
                    let body = serde_json::to_vec_pretty(&v).map_err(ApiError::internal)?;
                    Ok((Representation::Json, body, rev))
                }
                Representation::Rdf(format) => {
                    let rev = visible_revision(&st, &caller, &asset)?;
                    Ok((rep, rdf_bytes(&st, &asset, format)?, rev))
                }
                Representation::VoResource => {
                    let rev = visible_revision(&st, &caller, &asset)?;
                    Ok((rep, voresource_bytes(&st, &caller, &asset)?, rev))
                }
            }
        })
        .await
        .map_err(ApiError::internal)??;
    Ok((
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static(rep.media_type()),
            ),
            (header::VARY, HeaderValue::from_static("Accept")),
            (header::ETAG, etag(revision, rep)),
        ],
        body,
    )
        .into_response())
}

/// The asset's IRI: 303 to the landing page for browsers, to the data otherwise.
#[utoipa::path(
    get, path = "/id/{id}", tag = "assets",
    params(("id" = String, Path, description = "local asset id")),
    responses(
        (status = 303, description = "see the landing page (HTML) or the API representation"),
        (status = 404, description = "no such asset", body = super::error::ProblemDetails, content_type = "application/problem+json"),
    )
)]
pub async fn get_iri(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Auth(caller): Auth,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let st = state.clone();
    let lookup = id.clone();
    tokio::task::spawn_blocking(move || load(&st, &caller, &lookup))
        .await
        .map_err(ApiError::internal)??;
    let base = &state.config.base_url;
    let target = match negotiate(&headers, &[Representation::Html, Representation::Json]) {
        Some(Representation::Html) if headers.contains_key(header::ACCEPT) => {
            format!("{base}/assets/{id}")
        }
        _ => format!("{base}/api/v1/assets/{id}"),
    };
    Ok((
        StatusCode::SEE_OTHER,
        [(header::LOCATION, target), (header::VARY, "Accept".into())],
    )
        .into_response())
}

/// `GET /api/v1/resolve` parameters: exactly one of them.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ResolveParams {
    /// A DOI, bare (`10.5270/…`), as `doi:10.5270/…` or as a doi.org URL.
    pub doi: Option<String>,
    /// An IVOA identifier `ivo://{authority}/{id}`.
    pub ivoid: Option<String>,
}

/// Resolves a DOI or IVOA identifier to the asset: 303 to its API representation.
#[utoipa::path(
    get, path = "/api/v1/resolve", tag = "assets", params(ResolveParams),
    responses(
        (status = 303, description = "see the asset"),
        (status = 400, description = "neither or both parameters", body = super::error::ProblemDetails, content_type = "application/problem+json"),
        (status = 404, description = "nothing has that identifier", body = super::error::ProblemDetails, content_type = "application/problem+json"),
    )
)]
pub async fn resolve(
    State(state): State<AppState>,
    Auth(caller): Auth,
    params: Result<Query<ResolveParams>, axum::extract::rejection::QueryRejection>,
) -> ApiResult<Response> {
    let Query(params) = params.map_err(|e| ApiError::bad_request(e.body_text()))?;
    let st = state.clone();
    let id = tokio::task::spawn_blocking(move || -> ApiResult<String> {
        let id = match (params.doi, params.ivoid) {
            (Some(doi), None) => resolve_doi(&st, &doi)?,
            (None, Some(ivoid)) => resolve_ivoid(&st, &ivoid)?,
            _ => {
                return Err(ApiError::bad_request(
                    "give exactly one of the parameters doi and ivoid",
                ));
            }
        };
        let id = id.ok_or_else(|| ApiError::not_found("no asset has this identifier"))?;
        load(&st, &caller, &id)?;
        Ok(id)
    })
    .await
    .map_err(ApiError::internal)??;
    let target = format!("{}/api/v1/assets/{id}", state.config.base_url);
    Ok((StatusCode::SEE_OTHER, [(header::LOCATION, target)]).into_response())
}

fn resolve_ivoid(state: &AppState, ivoid: &str) -> ApiResult<Option<String>> {
    let lower = ivoid.trim().to_ascii_lowercase();
    // A harvested resource: its id derives from its identifier, which it carries.
    let harvested = crate::ivoa::voresource::resource::id_for(&lower);
    if let Some(a) = state.catalog.store.get_full(&harvested)?
        && a.ivoid.as_deref().map(str::to_ascii_lowercase) == Some(lower.clone())
    {
        return Ok(Some(harvested));
    }
    let prefix = format!("ivo://{}/", state.config.authority.to_ascii_lowercase());
    Ok(lower
        .strip_prefix(&prefix)
        .filter(|id| is_valid_id(id))
        .map(str::to_owned))
}

fn resolve_doi(state: &AppState, doi: &str) -> ApiResult<Option<String>> {
    let doi = doi.trim();
    let bare = [
        "doi:",
        "https://doi.org/",
        "http://doi.org/",
        "https://dx.doi.org/",
        "http://dx.doi.org/",
    ]
    .iter()
    .find_map(|p| {
        doi.get(..p.len())
            .filter(|h| h.eq_ignore_ascii_case(p))
            .map(|_| &doi[p.len()..])
    })
    .unwrap_or(doi);
    if !bare.starts_with("10.") {
        return Err(ApiError::bad_request(format!("{doi:?} is not a DOI")));
    }
    let store = &state.catalog.store;
    let identifier = oxigraph::model::NamedNode::new_unchecked(format!("{}identifier", ns::SDO));
    for candidate in [
        format!("doi:{bare}"),
        bare.to_owned(),
        format!("https://doi.org/{bare}"),
    ] {
        let lit = oxigraph::model::Literal::new_simple_literal(candidate);
        for q in store.oxigraph().quads_for_pattern(
            None,
            Some(identifier.as_ref()),
            Some(lit.as_ref().into()),
            None,
        ) {
            let q = q.map_err(crate::store::StoreError::from)?;
            let prefix = format!("{}/id/", store.base());
            if let oxigraph::model::NamedOrBlankNode::NamedNode(n) = &q.subject
                && let Some(id) = n.as_str().strip_prefix(&prefix)
                && is_valid_id(id)
                && q.graph_name == AssetIris::new(store.base(), id).public.into()
            {
                return Ok(Some(id.to_owned()));
            }
        }
    }
    Ok(None)
}
