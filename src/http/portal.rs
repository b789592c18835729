//! Server-rendered portal pages: the home page listing the catalogue and an asset's landing page.

use std::fmt::Write as _;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};

use super::AppState;
use super::assets::{load, view};
use super::error::{ApiError, ApiResult};
use crate::access::{self, Caller};

use crate::escape::html as escape;

fn page(title: &str, body: &str) -> String {
    page_with_head(title, "", body)
}

/// A page with extra elements in its head (meta tags, JSON-LD).
fn page_with_head(title: &str, head: &str, body: &str) -> String {
    format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{}</title>{head}<style>body{{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;line-height:1.5}}\
         li{{margin:.3rem 0}} .t{{color:#555;font-size:.85em}} dt{{font-weight:600}}</style></head><body>{body}</body></html>",
        escape(title)
    )
}

/// Where the catalogue lives, for the schema.org mapping.
pub fn site(state: &AppState) -> crate::linked::schemaorg::Site<'_> {
    crate::linked::schemaorg::Site {
        base_url: &state.config.base_url,
        launch_base: &state.config.launch_base,
        catalog_name: CATALOG_NAME,
        publisher: &state.config.publisher,
    }
}

/// The catalogue's name on its pages and in its `DataCatalog`.
pub const CATALOG_NAME: &str = "orrery catalogue";

/// `/catalog.jsonld`: the catalogue as a schema.org `DataCatalog`.
#[utoipa::path(get, path = "/catalog.jsonld", tag = "linked data",
    responses((status = 200, description = "the catalogue as a schema.org DataCatalog", content_type = "application/ld+json")))]
pub async fn catalog_jsonld(State(state): State<AppState>) -> axum::response::Response {
    let body = crate::linked::schemaorg::catalog(&site(&state));
    (
        [(axum::http::header::CONTENT_TYPE, "application/ld+json")],
        serde_json::to_vec_pretty(&body).unwrap_or_default(),
    )
        .into_response()
}

/// The home page: every asset an anonymous visitor may see, by type.
#[utoipa::path(get, path = "/", tag = "portal",
    responses((status = 200, description = "the catalogue's home page", content_type = "text/html")))]
pub async fn home(State(state): State<AppState>) -> ApiResult<Html<String>> {
    let ids = state
        .catalog
        .assets
        .recent_with_status("published", 2000)
        .await
        .map_err(crate::catalog::CatalogError::from)?;
    let st = state.clone();
    let body = tokio::task::spawn_blocking(move || -> ApiResult<String> {
        let store = &st.catalog.store;
        let mut by_type: std::collections::BTreeMap<String, Vec<(String, String, String)>> = Default::default();
        for id in ids {
            if let Some(a) = access::read_asset(store, &Caller::Anonymous, &id)? {
                by_type.entry(a.kind.clone()).or_default().push((a.id, a.name, a.abstract_.unwrap_or_default()));
            }
        }
        let mut body = String::from(
            "<h1>orrery</h1><p>The platform's catalogue of datalabs, pipelines, datasets and data volumes \
             (the most recently published). API: <a href=\"/docs\">/docs</a>.</p>",
        );
        for (kind, mut items) in by_type {
            items.sort_by_key(|a| a.1.to_lowercase());
            let _ = write!(body, "<h2>{} <span class=t>({})</span></h2><ul>", escape(&kind), items.len());
            for (id, name, abs) in items {
                let _ = write!(body, "<li><a href=\"/assets/{}\">{}</a> <span class=t>{}</span></li>", escape(&id), escape(&name), escape(&abs));
            }
            body.push_str("</ul>");
        }
        Ok(page("orrery catalogue", &body))
    })
    .await
    .map_err(ApiError::internal)??;
    Ok(Html(body))
}

/// An asset's landing page.
#[utoipa::path(get, path = "/assets/{id}", tag = "portal",
    params(("id" = String, Path, description = "the asset id")),
    responses((status = 200, description = "the asset's page for people, with its schema.org JSON-LD", content_type = "text/html"),
              (status = 404, description = "no such asset, or not one an anonymous visitor may see", content_type = "text/html")))]
pub async fn landing(State(state): State<AppState>, Path(id): Path<String>) -> Response {
    let st = state.clone();
    let started = std::time::Instant::now();
    let result = tokio::task::spawn_blocking(move || -> ApiResult<String> {
        let caller = Caller::Anonymous;
        let v = view(&st, &caller, load(&st, &caller, &id)?)?;
        let a = &v.asset;
        let mut body = format!(
            "<h1>{}</h1><p class=t>{}</p>",
            escape(&a.name),
            escape(&a.kind)
        );
        if let Some(abs) = &a.abstract_ {
            let _ = write!(body, "<p>{}</p>", escape(abs));
        }
        if let Some(d) = &a.description {
            let _ = write!(body, "<div>{}</div>", escape(d).replace("\n\n", "<br><br>"));
        }
        body.push_str("<dl>");
        for (label, values) in [
            ("Domain", &a.domain),
            ("Properties", &a.property),
            ("Missions", &a.mission),
            ("Wavebands", &a.waveband),
            ("File types", &a.associated_file_type),
            ("Keywords", &a.keywords),
        ] {
            if !values.is_empty() {
                let _ = write!(
                    body,
                    "<dt>{label}</dt><dd>{}</dd>",
                    escape(&values.join(", "))
                );
            }
        }
        if let Some(l) = &a.license {
            let _ = write!(body, "<dt>Licence</dt><dd>{}</dd>", escape(l));
        }
        body.push_str("</dl>");
        if !v.links.launch.is_empty() {
            body.push_str("<h2>Launch a datalab on this asset</h2><ul>");
            for l in &v.links.launch {
                let _ = write!(
                    body,
                    "<li><a href=\"{}\">{}</a></li>",
                    escape(&l.url),
                    escape(&l.datalab)
                );
            }
            body.push_str("</ul>");
        }
        let _ = write!(
            body,
            "<p class=t>IRI <a href=\"{0}\">{0}</a> · IVOA id {1} · <a href=\"{2}\">JSON</a></p>",
            escape(&v.links.iri),
            escape(&v.links.ivoid),
            escape(&v.links.self_)
        );
        let site = site(&st);
        let description = crate::linked::schemaorg::description(a, &site);
        let short: String = description.chars().take(300).collect();
        let jsonld = crate::linked::schemaorg::asset(a, &site, st.catalog.store.vocab());
        // `</` may not appear inside a script element.
        let jsonld = serde_json::to_string(&jsonld)
            .unwrap_or_default()
            .replace("</", "<\\/");
        let head = format!(
            "<link rel=\"canonical\" href=\"{page}\"><meta name=\"description\" content=\"{desc}\">\
             <meta property=\"og:type\" content=\"website\"><meta property=\"og:title\" content=\"{title}\">\
             <meta property=\"og:description\" content=\"{desc}\"><meta property=\"og:url\" content=\"{page}\">\
             <meta property=\"og:site_name\" content=\"{site_name}\">\
             <link rel=\"alternate\" type=\"application/ld+json\" href=\"{json}\">\
             <script type=\"application/ld+json\">{jsonld}</script>",
            page = escape(&v.links.landing_page),
            desc = escape(&short),
            title = escape(&a.name),
            site_name = escape(site.catalog_name),
            json = escape(&v.links.self_),
        );
        Ok(page_with_head(&a.name, &head, &body))
    })
    .await;
    match result {
        Ok(Ok(html)) => {
            super::search::server_timing(Html(html).into_response(), "page", started.elapsed())
        }
        Ok(Err(e)) if e.status == StatusCode::NOT_FOUND => (
            StatusCode::NOT_FOUND,
            Html(page("Not found", "<h1>Not found</h1><p>No such asset.</p>")),
        )
            .into_response(),
        Ok(Err(e)) => e.into_response(),
        Err(e) => ApiError::internal(e).into_response(),
    }
}
