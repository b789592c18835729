//! For crawlers: `/robots.txt` and the sitemap of every public asset's landing page.
//!
//! `/sitemap.xml` is a `urlset` while the catalogue fits one sitemap (50,000 URLs, the
//! protocol's limit) and a `sitemapindex` of `/sitemaps/{n}.xml` parts beyond. Every sitemap is
//! streamed from the relational projection a page of rows at a time, so memory stays flat
//! whatever the size of the catalogue. Only assets anonymous readers see are listed, with the
//! time their public graph last changed as `lastmod`.

use axum::body::{Body, Bytes};
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures_util::stream;

use super::AppState;
use super::conneg::{Representation, negotiate};
use super::error::ApiError;
use crate::escape::html as escape;
use crate::project::assets::AssetsTable;
use oxigraph::io::RdfFormat;

/// Rows read per database round trip while streaming.
const CHUNK: i64 = 1000;

const XML: &str = "application/xml; charset=utf-8";

/// `/robots.txt`: crawl the pages, not the APIs; here is the sitemap.
#[utoipa::path(get, path = "/robots.txt", tag = "crawlers",
    responses((status = 200, description = "crawl rules and the sitemap's address", content_type = "text/plain")))]
pub async fn robots(State(state): State<AppState>) -> Response {
    let base = &state.config.base_url;
    let body = format!(
        "User-agent: *\nAllow: /\nDisallow: /api/\nDisallow: /oai\nDisallow: /sparql\nDisallow: /tap/\n\nSitemap: {base}/sitemap.xml\n"
    );
    ([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], body).into_response()
}

/// Streams the `<url>` entries of up to `len` public assets after id `after`.
fn urls(
    table: AssetsTable,
    base: String,
    after: String,
    len: i64,
    head: String,
    tail: &'static str,
) -> Body {
    enum Step {
        Head,
        Rows,
        Done,
    }
    let state = (Step::Head, after, len);
    let s = stream::unfold(state, move |(step, after, left)| {
        let (table, base, head) = (table.clone(), base.clone(), head.clone());
        async move {
            match step {
                Step::Head => Some((Ok(Bytes::from(head)), (Step::Rows, after, left))),
                Step::Rows if left > 0 => {
                    let rows = match table.public_page(&after, left.min(CHUNK)).await {
                        Ok(r) => r,
                        Err(e) => {
                            tracing::error!(error = %e, "sitemap");
                            return Some((
                                Err(std::io::Error::other("sitemap read failed")),
                                (Step::Done, after, 0),
                            ));
                        }
                    };
                    if rows.is_empty() {
                        return Some((
                            Ok(Bytes::from_static(tail.as_bytes())),
                            (Step::Done, after, 0),
                        ));
                    }
                    let mut out = String::with_capacity(rows.len() * 120);
                    for (id, stamp) in &rows {
                        out.push_str("<url><loc>");
                        out.push_str(&escape(&format!("{base}/assets/{id}")));
                        out.push_str("</loc><lastmod>");
                        out.push_str(&escape(stamp));
                        out.push_str("</lastmod></url>\n");
                    }
                    let last = rows.last().map(|r| r.0.clone()).unwrap_or(after);
                    Some((
                        Ok(Bytes::from(out)),
                        (Step::Rows, last, left - rows.len() as i64),
                    ))
                }
                Step::Rows => Some((
                    Ok(Bytes::from_static(tail.as_bytes())),
                    (Step::Done, after, 0),
                )),
                Step::Done => None,
            }
        }
    });
    Body::from_stream(s)
}

const URLSET_HEAD: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n";
const URLSET_TAIL: &str = "</urlset>\n";

/// `/sitemap.xml`: every public landing page, or the index of the parts that list them.
#[utoipa::path(get, path = "/sitemap.xml", tag = "crawlers",
    responses((status = 200, description = "a urlset of every public landing page, or an index of parts past 50,000", content_type = "application/xml")))]
pub async fn sitemap(State(state): State<AppState>) -> Result<Response, ApiError> {
    let table = state.catalog.assets.clone();
    let size = state.config.sitemap_size as u64;
    let count = table
        .count_public()
        .await
        .map_err(crate::catalog::CatalogError::from)?;
    let base = state.config.base_url.clone();
    if count <= size {
        let body = urls(
            table,
            base,
            String::new(),
            size as i64,
            URLSET_HEAD.to_owned(),
            URLSET_TAIL,
        );
        return Ok(([(header::CONTENT_TYPE, XML)], body).into_response());
    }
    let parts = count.div_ceil(size);
    let mut out = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<sitemapindex xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n",
    );
    for n in 0..parts {
        let part = table
            .public_part((n * size) as i64, size as i64)
            .await
            .map_err(crate::catalog::CatalogError::from)?;
        let Some((_, newest)) = part else { break };
        out.push_str(&format!(
            "<sitemap><loc>{}</loc><lastmod>{}</lastmod></sitemap>\n",
            escape(&format!("{base}/sitemaps/{}.xml", n + 1)),
            escape(&newest)
        ));
    }
    out.push_str("</sitemapindex>\n");
    Ok(([(header::CONTENT_TYPE, XML)], out).into_response())
}

/// `/sitemaps/{n}.xml`: the n-th part (from 1) of a sitemap too large for one file.
#[utoipa::path(get, path = "/sitemaps/{file}", tag = "crawlers",
    params(("file" = String, Path, description = "{n}.xml, n from 1")),
    responses((status = 200, description = "one part of the sitemap", content_type = "application/xml"),
              (status = 404, description = "no such part", body = super::error::ProblemDetails, content_type = "application/problem+json")))]
pub async fn sitemap_part(
    State(state): State<AppState>,
    Path(file): Path<String>,
) -> Result<Response, ApiError> {
    let not_found = || ApiError::new(StatusCode::NOT_FOUND, format!("no sitemap {file:?}"));
    let n: u64 = file
        .strip_suffix(".xml")
        .and_then(|n| n.parse().ok())
        .filter(|n| *n >= 1)
        .ok_or_else(not_found)?;
    let size = state.config.sitemap_size as u64;
    let table = state.catalog.assets.clone();
    let count = table
        .count_public()
        .await
        .map_err(crate::catalog::CatalogError::from)?;
    if count <= size || (n - 1) * size >= count {
        return Err(not_found());
    }
    let (start, _) = table
        .public_part(((n - 1) * size) as i64, size as i64)
        .await
        .map_err(crate::catalog::CatalogError::from)?
        .ok_or_else(not_found)?;
    let body = urls(
        table,
        state.config.base_url.clone(),
        start,
        size as i64,
        URLSET_HEAD.to_owned(),
        URLSET_TAIL,
    );
    Ok(([(header::CONTENT_TYPE, XML)], body).into_response())
}

/// A writer that sends what is written, in chunks, to a response body.
struct ChannelWriter {
    tx: tokio::sync::mpsc::Sender<std::io::Result<Bytes>>,
    buf: Vec<u8>,
}

impl ChannelWriter {
    fn send(&mut self) -> std::io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let chunk = Bytes::from(std::mem::take(&mut self.buf));
        self.tx
            .blocking_send(Ok(chunk))
            .map_err(|_| std::io::Error::new(std::io::ErrorKind::BrokenPipe, "client gone"))
    }
}

impl std::io::Write for ChannelWriter {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.buf.extend_from_slice(data);
        if self.buf.len() >= 1 << 16 {
            self.send()?;
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.send()
    }
}

/// The syntaxes `/dcat` offers, the first by default.
const DCAT_FORMATS: &[Representation] = &[
    Representation::Rdf(RdfFormat::Turtle),
    Representation::Rdf(RdfFormat::JsonLd {
        profile: oxigraph::io::JsonLdProfileSet::empty(),
    }),
    Representation::Rdf(RdfFormat::RdfXml),
    Representation::Rdf(RdfFormat::NTriples),
];

/// Writes the whole DCAT-AP catalogue in `format`, reading the public assets a page at a time.
fn write_dcat(
    state: &AppState,
    format: RdfFormat,
    out: ChannelWriter,
    runtime: &tokio::runtime::Handle,
) -> std::io::Result<()> {
    use crate::linked::dcat;
    use oxigraph::io::RdfSerializer;
    let base = &state.config.base_url;
    let mut ser = RdfSerializer::from_format(format);
    for (p, iri) in [
        ("dcat", "http://www.w3.org/ns/dcat#"),
        ("dct", "http://purl.org/dc/terms/"),
        ("foaf", "http://xmlns.com/foaf/0.1/"),
        ("vcard", "http://www.w3.org/2006/vcard/ns#"),
        ("skos", "http://www.w3.org/2004/02/skos/core#"),
        ("xsd", "http://www.w3.org/2001/XMLSchema#"),
    ] {
        ser = ser.with_prefix(p, iri).map_err(std::io::Error::other)?;
    }
    let mut w = ser.for_writer(out);
    let head = dcat::catalog(
        base,
        super::portal::CATALOG_NAME,
        &state.config.publisher,
        &state.config.admin_email,
    );
    for t in &head {
        w.serialize_triple(t)?;
    }
    let store = &state.catalog.store;
    let mut after = String::new();
    loop {
        let rows = runtime
            .block_on(state.catalog.assets.public_page(&after, CHUNK))
            .map_err(std::io::Error::other)?;
        let Some(last) = rows.last().map(|r| r.0.clone()) else {
            break;
        };
        for (id, _) in &rows {
            let asset = crate::access::read_asset(store, &crate::access::Caller::Anonymous, id)
                .map_err(std::io::Error::other)?;
            if let Some(a) = asset.filter(dcat::is_dataset) {
                for t in dcat::dataset(base, &a, store.vocab()) {
                    w.serialize_triple(&t)?;
                }
            }
        }
        after = last;
    }
    let mut out = w.finish()?;
    std::io::Write::flush(&mut out)
}

/// `/dcat`: the catalogue as DCAT-AP 3 (Turtle by default; JSON-LD, RDF/XML or N-Triples by
/// `Accept`), streamed: a page of assets is read at a time and written as it is serialised.
#[utoipa::path(get, path = "/dcat", tag = "linked data",
    responses((status = 200, description = "the catalogue as DCAT-AP 3", content_type = "text/turtle"),
              (status = 406, description = "none of the offered syntaxes is acceptable", body = super::error::ProblemDetails, content_type = "application/problem+json")))]
pub async fn dcat(State(state): State<AppState>, headers: axum::http::HeaderMap) -> Response {
    let Some(rep @ Representation::Rdf(format)) = negotiate(&headers, DCAT_FORMATS) else {
        let offered: Vec<&str> = DCAT_FORMATS.iter().map(|r| r.media_type()).collect();
        return ApiError::new(
            StatusCode::NOT_ACCEPTABLE,
            format!("acceptable: {}", offered.join(", ")),
        )
        .into_response();
    };
    let media = rep.media_type();
    let (tx, rx) = tokio::sync::mpsc::channel(4);
    let runtime = tokio::runtime::Handle::current();
    let errors = tx.clone();
    tokio::task::spawn_blocking(move || {
        let out = ChannelWriter {
            tx,
            buf: Vec::with_capacity(1 << 16),
        };
        if let Err(e) = write_dcat(&state, format, out, &runtime) {
            tracing::error!(error = %e, "dcat");
            let _ = errors.blocking_send(Err(e));
        }
    });
    let body = stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|x| (x, rx)) });
    (
        [(header::CONTENT_TYPE, media), (header::VARY, "Accept")],
        Body::from_stream(body),
    )
        .into_response()
}
