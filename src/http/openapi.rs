//! The OpenAPI description, generated from the handlers' annotations; `/openapi.json`, the docs
//! UI at `/docs` (Swagger UI, its assets compiled into the binary), and the checked-in
//! `openapi.yaml` that a test keeps in sync.

use utoipa::OpenApi;
use utoipa_swagger_ui::SwaggerUi;

use super::{
    account, assets, crawl, error, oai, ops, portal, search, sparql, tap, trs, uws, vocab, write,
};
use crate::model::asset;
use crate::model::document::Problem;

#[derive(OpenApi)]
#[openapi(
    info(title = "orrery", description = "Metadata catalogue and discovery service of a space-science platform: datalabs, pipelines, datasets and data volumes."),
    paths(
        search::search, search::suggest,
        assets::get_asset, assets::get_iri, assets::resolve,
        write::create, write::push, write::push_datalab, write::import, write::replace, write::patch, write::delete,
        write::submit, write::approve, write::reject, write::history,
        oai::get, oai::post, tap::root, tap::sync_get, tap::sync_post, tap::capabilities,
        tap::availability, tap::tables, tap::table, uws::list, uws::create, uws::job, uws::post_job,
        uws::delete_job, uws::phase, uws::post_phase, uws::execution_duration,
        uws::post_execution_duration, uws::destruction, uws::post_destruction, uws::quote, uws::owner,
        uws::error_document, uws::parameters, uws::post_parameters, uws::results, uws::result,
        crawl::robots, crawl::sitemap, crawl::sitemap_part, crawl::dcat, sparql::get, sparql::post,
        portal::catalog_jsonld, portal::home, portal::datalabs, portal::pipelines, portal::datasets,
        portal::volumes, portal::landing, portal::atom, portal::csv, portal::jsonl,
        portal::opensearch, portal::static_file,
        account::login_form, account::login, account::logout, account::me, account::create,
        account::queue, account::edit_form, account::edit, account::sharing_form, account::share,
        account::submit, account::approve, account::reject, account::review,
        vocab::list, vocab::scheme, vocab::licenses,
        ops::healthz, ops::metrics,
        trs::service_info, trs::tool_classes, trs::tools, trs::tool, trs::versions, trs::version,
        trs::descriptor, trs::descriptor_at, trs::tests, trs::files, trs::containerfile,
    ),
    components(schemas(
        asset::Asset, asset::Agent, asset::AgentKind, asset::Coverage, asset::SkyRegion, asset::Place,
        asset::Distribution, asset::DatalabImage, asset::PipelineInfo, asset::Step, asset::Parameter, asset::Volume,
        asset::Sharing, asset::Audience, asset::Build, asset::Status,
        assets::AssetView, assets::AssetLinks, crate::catalog::launch::LaunchLink,
        error::ProblemDetails, Problem, vocab::SchemeView, vocab::SchemeList, vocab::SchemeSummary, vocab::License,
        crate::model::vocab::Concept, ops::Health, ops::Building, ops::Revision, crate::config::Role,
        crate::search::SearchResponse, crate::search::Hit, crate::search::Highlight, crate::search::HitLinks,
        write::TransitionBody, write::History, write::PushAnswer, write::PushedVersion, write::PushedFile, write::ImportAnswer, write::ImportedAsset,
        crate::search::FacetCounts, crate::search::FacetValue, search::Suggestions, crate::search::suggest::Suggestion,
    )),
    tags(
        (name = "search", description = "Faceted search and autocomplete"),
        (name = "assets", description = "Reading assets"),
        (name = "write", description = "Writing assets (bearer token; the field table decides who writes what)"),
        (name = "workflow", description = "Publication workflow and history"),
        (name = "protocols", description = "The IVOA publishing registry (OAI-PMH 2.0, VOResource) and the searchable registry (RegTAP 1.1 over TAP 1.1, UWS 1.1, VOSI)"),
        (name = "crawlers", description = "robots.txt and the sitemap"),
        (name = "linked data", description = "The catalogue as DCAT-AP and schema.org"),
        (name = "vocabularies", description = "SKOS concept schemes and the licence catalogue"),
        (name = "operations", description = "Health and metrics"),
        (name = "tools", description = "GA4GH Tool Registry Service 2.0 (read-only) over the pipelines (`#workflow/{id}`) and datalabs (`#datalab/{id}`); the same routes answer under /api/ga4gh/v2, where cwltool looks. Its errors are TRS's `{code, message}`."),
        (name = "portal", description = "Pages for people"),
    ),
    modifiers(&BearerAuth)
)]
pub struct ApiDoc;

/// Declares the bearer-token security scheme the write operations name.
struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("a token from `orrery token create`"))
                    .build(),
            ),
        );
    }
}

/// The OpenAPI document.
pub fn spec() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}

/// The docs UI at `/docs`, which also serves `/openapi.json`.
pub fn docs() -> SwaggerUi {
    SwaggerUi::new("/docs").url("/openapi.json", spec())
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use crate::http::routes::listed;

    /// Every route of the router is described, with its method, and every description has
    /// its route (the docs UI's own two paths aside).
    #[test]
    fn every_route_is_described_and_every_description_routed() {
        let mut routed: BTreeSet<(String, String)> = BTreeSet::new();
        routed.extend(listed(&crate::http::api_routes(), ""));
        routed.extend(listed(&crate::http::tap::routes(), ""));
        routed.extend(listed(&crate::http::trs::routes(), crate::http::trs::ROOT));
        routed.extend(listed(
            &crate::http::uws::routes::<crate::ivoa::tap::service::JobRunner>(),
            crate::http::tap::ASYNC,
        ));
        let spec = super::spec();
        let mut described: BTreeSet<(String, String)> = BTreeSet::new();
        for (path, item) in &spec.paths.paths {
            for (method, op) in [
                ("GET", &item.get),
                ("POST", &item.post),
                ("PUT", &item.put),
                ("PATCH", &item.patch),
                ("DELETE", &item.delete),
            ] {
                if op.is_some() {
                    described.insert((method.to_owned(), path.clone()));
                }
            }
        }
        let undescribed: Vec<_> = routed.difference(&described).collect();
        let unrouted: Vec<_> = described.difference(&routed).collect();
        assert!(
            undescribed.is_empty() && unrouted.is_empty(),
            "routes without a description: {undescribed:?}; descriptions without a route: {unrouted:?}"
        );
    }

    /// `openapi.yaml` is generated from the code; regenerate with `ORRERY_WRITE_OPENAPI=1 cargo test openapi`.
    #[test]
    fn openapi_yaml_is_in_sync() {
        let generated = super::spec().to_yaml().unwrap();
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/openapi.yaml");
        if std::env::var_os("ORRERY_WRITE_OPENAPI").is_some() {
            std::fs::write(path, &generated).unwrap();
        }
        let checked_in = std::fs::read_to_string(path).unwrap_or_default();
        assert!(
            checked_in == generated,
            "openapi.yaml is out of date: run ORRERY_WRITE_OPENAPI=1 cargo test openapi"
        );
    }
}
