//! OAI-PMH 2.0 as profiled by IVOA Registry Interfaces 1.1: the six verbs, `ivo_vor` and
//! `oai_dc`, the set `ivo_managed`, seconds granularity, persistent deleted records, and
//! stateless signed resumption tokens that list the catalogue as it stood when the harvest
//! began (the record log keeps each header's revision range).
//!
//! Every answer is HTTP 200 `text/xml` with an OAI-PMH document; every problem with a request
//! is an OAI-PMH `<error code=…>`.

mod dc;
pub mod pmh;
mod request;

use dc::{dc_asset, dc_registry, dc_tap};
pub use request::{ListState, Request, Start, parse};
use request::{check_prefix, encode_token};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, KeyInit, Mac};
use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesText, Event};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use super::voresource::{self, R, RegistryInfo, W, text};
use crate::access::{self, Caller};
use crate::project::oai::OaiLog;
use crate::project::oai::{AUTHORITY, Header, REGISTRY, Selection, TAP};
use crate::project::{Projection, ProjectionError};
use crate::store::Store;

const NS_OAI: &str = "http://www.openarchives.org/OAI/2.0/";
const NS_OAI_DC: &str = "http://www.openarchives.org/OAI/2.0/oai_dc/";
const NS_DC: &str = "http://purl.org/dc/elements/1.1/";
const SET: &str = "ivo_managed";
/// How long a resumption token stays valid.
const TOKEN_HOURS: i64 = 24;

/// An OAI-PMH error: its code and a message for people.
#[derive(Debug)]
pub struct OaiError {
    pub code: &'static str,
    pub message: String,
}

fn err(code: &'static str, message: impl Into<String>) -> OaiError {
    OaiError {
        code,
        message: message.into(),
    }
}

/// A failure inside the registry, logged with its cause; the harvester is told no more than
/// that (OAI-PMH has no code of its own for it).
fn internal(e: impl std::fmt::Display) -> OaiError {
    tracing::error!(error = %e, "oai");
    err("badArgument", "the registry could not answer this request")
}

impl From<ProjectionError> for OaiError {
    fn from(e: ProjectionError) -> Self {
        internal(e)
    }
}

impl From<crate::store::StoreError> for OaiError {
    fn from(e: crate::store::StoreError) -> Self {
        internal(e)
    }
}

/// The record id behind an OAI identifier (an IVOA identifier), if it is one of ours.
fn record_id(info: &RegistryInfo, identifier: &str) -> Option<String> {
    let lower = identifier.trim().to_ascii_lowercase();
    let authority = info.authority_ivoid().to_ascii_lowercase();
    if lower == authority {
        return Some(AUTHORITY.to_owned());
    }
    if lower == info.registry_ivoid().to_ascii_lowercase() {
        return Some(REGISTRY.to_owned());
    }
    if info.tap.is_some() && lower == info.tap_ivoid().to_ascii_lowercase() {
        return Some(TAP.to_owned());
    }
    let id = lower.strip_prefix(&format!("{authority}/"))?;
    crate::model::is_valid_id(id).then(|| id.to_owned())
}

fn identifier_of(info: &RegistryInfo, id: &str) -> String {
    match id {
        REGISTRY => info.registry_ivoid(),
        AUTHORITY => info.authority_ivoid(),
        TAP => info.tap_ivoid(),
        _ => info.ivoid(id),
    }
}

/// The registry's answer to one request.
pub struct Oai<'a> {
    /// The store, for the records' content.
    pub store: &'a std::sync::Arc<Store>,
    /// The log of what was published when, for headers, lists and tombstones.
    pub log: &'a OaiLog,
    pub info: &'a RegistryInfo,
    pub secret: &'a [u8],
}

impl Oai<'_> {
    /// Answers the request whose arguments are `args` (query string or form body).
    pub async fn respond(&self, args: &[(String, String)]) -> Vec<u8> {
        let now = crate::clock::now();
        let outcome = match parse(args, self.secret) {
            Ok(request) => self.execute(request).await,
            Err(e) => Err(e),
        };
        let mut buf = Vec::with_capacity(8192);
        let written = self.envelope(&mut buf, &now, args, outcome);
        if written.is_err() {
            buf.clear();
        }
        buf
    }

    async fn execute(&self, request: Request) -> Result<Body, OaiError> {
        match request {
            Request::Identify => self.identify().await,
            Request::ListMetadataFormats(identifier) => self.list_formats(identifier).await,
            Request::ListSets => Ok(Body::Sets),
            Request::GetRecord { identifier, prefix } => {
                self.get_record(&identifier, &prefix).await
            }
            Request::List { verb, start } => self.list(verb, start).await,
        }
    }

    async fn identify(&self) -> Result<Body, OaiError> {
        Ok(Body::Identify {
            earliest: self.log.earliest().await?,
        })
    }

    async fn list_formats(&self, identifier: Option<String>) -> Result<Body, OaiError> {
        if let Some(i) = identifier {
            let known = match record_id(self.info, &i) {
                Some(id) => self.log.header(&id).await?.is_some(),
                None => false,
            };
            if !known {
                return Err(err(
                    "idDoesNotExist",
                    format!("no record has the identifier {i:?}"),
                ));
            }
        }
        Ok(Body::Formats)
    }

    async fn get_record(&self, identifier: &str, prefix: &str) -> Result<Body, OaiError> {
        let header = match record_id(self.info, identifier) {
            Some(id) => self.log.header(&id).await?,
            None => None,
        };
        let header = header.ok_or_else(|| {
            err(
                "idDoesNotExist",
                format!("no record has the identifier {identifier:?}"),
            )
        })?;
        check_prefix(prefix)?;
        let record = self
            .render(std::slice::from_ref(&header), prefix, true)
            .await?
            .pop()
            .unwrap_or_default();
        Ok(Body::Record(record))
    }

    async fn list(&self, verb: &'static str, start: Start) -> Result<Body, OaiError> {
        let state = match start {
            Start::Resume(state) => state,
            Start::Fresh {
                prefix,
                from,
                until,
            } => {
                let at = self.log.watermark().await?;
                let mut state = ListState {
                    verb: verb.to_owned(),
                    prefix,
                    from,
                    until,
                    at,
                    after: None,
                    cursor: 0,
                    total: 0,
                    expires: 0,
                };
                state.total = self.log.count(&self.selection(&state)).await?;
                state
            }
        };
        let mut headers = self
            .log
            .list(&self.selection(&state), self.info.max_records + 1)
            .await?;
        if headers.is_empty() && state.cursor == 0 {
            return Err(err("noRecordsMatch", "no record matches these arguments"));
        }
        let more = headers.len() > self.info.max_records;
        headers.truncate(self.info.max_records);
        let next = if more {
            let last = headers.last().map(|h| (h.datestamp.clone(), h.id.clone()));
            let mut n = state.clone();
            n.after = last;
            n.cursor = state.cursor + headers.len() as u64;
            n.expires = (chrono::Utc::now() + chrono::Duration::hours(TOKEN_HOURS)).timestamp();
            Some(n)
        } else {
            None
        };
        let items = self
            .render(&headers, &state.prefix, verb == "ListRecords")
            .await?;
        let token = next.as_ref().map(|n| encode_token(self.secret, n));
        let expires = next.as_ref().map(|n| {
            chrono::DateTime::from_timestamp(n.expires, 0)
                .unwrap_or_default()
                .format("%Y-%m-%dT%H:%M:%SZ")
                .to_string()
        });
        Ok(Body::List {
            verb: if verb == "ListRecords" {
                "ListRecords"
            } else {
                "ListIdentifiers"
            },
            items,
            resumption: (state.cursor > 0 || more).then_some(Resumption {
                token,
                expires,
                total: state.total,
                cursor: state.cursor,
            }),
        })
    }

    fn selection(&self, s: &ListState) -> Selection {
        Selection {
            at: s.at,
            from: s.from.clone(),
            until: s.until.clone(),
            after: s.after.clone(),
        }
    }

    /// Records (or headers only) as XML, for a page of headers: the content of each is the
    /// public view of its asset as anonymous readers see it now (a record hidden since the
    /// harvest began is reported deleted).
    async fn render(
        &self,
        headers: &[Header],
        prefix: &str,
        metadata: bool,
    ) -> Result<Vec<Vec<u8>>, OaiError> {
        // A page is rendered in as many parts as there are cores, each on a blocking thread.
        let parts = std::thread::available_parallelism().map_or(1, |n| n.get());
        let chunk = headers.len().div_ceil(parts).max(64);
        let mut tasks = Vec::new();
        for part in headers.chunks(chunk) {
            let info = self.info.clone();
            let store = self.store.clone();
            let part = part.to_vec();
            let prefix = prefix.to_owned();
            tasks.push(tokio::task::spawn_blocking(
                move || -> Result<Vec<Vec<u8>>, OaiError> {
                    // Datalabs named by many records are looked up once per part.
                    let mut labs = std::collections::HashMap::new();
                    let mut out = Vec::with_capacity(part.len());
                    for h in &part {
                        let body = if h.deleted {
                            None
                        } else {
                            content(&store, &info, &h.id, &prefix, metadata, &mut labs)?
                        };
                        out.push(wrap(&info, h, body.as_deref(), metadata).map_err(internal)?);
                    }
                    Ok(out)
                },
            ));
        }
        let mut out = Vec::with_capacity(headers.len());
        for t in tasks {
            out.extend(t.await.map_err(internal)??);
        }
        Ok(out)
    }

    fn envelope(
        &self,
        buf: &mut Vec<u8>,
        now: &str,
        args: &[(String, String)],
        outcome: Result<Body, OaiError>,
    ) -> R {
        let mut w = Writer::new(buf);
        w.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
        w.create_element("OAI-PMH")
            .with_attribute(("xmlns", NS_OAI))
            .with_attribute(("xmlns:xsi", voresource::NS_XSI))
            .with_attribute((
                "xsi:schemaLocation",
                "http://www.openarchives.org/OAI/2.0/ http://www.openarchives.org/OAI/2.0/OAI-PMH.xsd",
            ))
            .write_inner_content(|w| {
                text(w, "responseDate", now)?;
                let bare = matches!(&outcome, Err(e) if matches!(e.code, "badVerb" | "badArgument"));
                let mut req = w.create_element("request");
                if !bare {
                    for (k, v) in args {
                        if matches!(
                            k.as_str(),
                            "verb" | "identifier" | "metadataPrefix" | "from" | "until" | "set" | "resumptionToken"
                        ) {
                            req = req.with_attribute((k.as_str(), v.as_str()));
                        }
                    }
                }
                req.write_text_content(BytesText::new(&self.info.oai_url()))?;
                match &outcome {
                    Err(e) => {
                        w.create_element("error")
                            .with_attribute(("code", e.code))
                            .write_text_content(BytesText::new(&e.message))?;
                    }
                    Ok(body) => self.body(w, body)?,
                }
                Ok(())
            })?;
        Ok(())
    }

    fn body(&self, w: &mut W, body: &Body) -> R {
        use std::io::Write as _;
        match body {
            Body::Identify { earliest } => {
                w.create_element("Identify").write_inner_content(|w| {
                    text(w, "repositoryName", "orrery publishing registry")?;
                    text(w, "baseURL", &self.info.oai_url())?;
                    text(w, "protocolVersion", "2.0")?;
                    text(w, "adminEmail", &self.info.email)?;
                    text(w, "earliestDatestamp", earliest)?;
                    text(w, "deletedRecord", "persistent")?;
                    text(w, "granularity", "YYYY-MM-DDThh:mm:ssZ")?;
                    w.create_element("description").write_inner_content(|w| {
                        let record =
                            voresource::registry_record(self.info, &self.info.created, true)?;
                        w.get_mut().write_all(&record)
                    })?;
                    Ok(())
                })?;
            }
            Body::Formats => {
                w.create_element("ListMetadataFormats").write_inner_content(|w| {
                    for (prefix, schema, ns) in [
                        (
                            "ivo_vor",
                            "http://www.ivoa.net/xml/RegistryInterface/RegistryInterface-v1.0.xsd",
                            voresource::NS_RI,
                        ),
                        ("oai_dc", "http://www.openarchives.org/OAI/2.0/oai_dc.xsd", NS_OAI_DC),
                    ] {
                        w.create_element("metadataFormat").write_inner_content(|w| {
                            text(w, "metadataPrefix", prefix)?;
                            text(w, "schema", schema)?;
                            text(w, "metadataNamespace", ns)
                        })?;
                    }
                    Ok(())
                })?;
            }
            Body::Sets => {
                w.create_element("ListSets").write_inner_content(|w| {
                    w.create_element("set").write_inner_content(|w| {
                        text(w, "setSpec", SET)?;
                        text(w, "setName", "Resources managed by this registry")
                    })?;
                    Ok(())
                })?;
            }
            Body::Record(xml) => {
                w.create_element("GetRecord")
                    .write_inner_content(|w| w.get_mut().write_all(xml))?;
            }
            Body::List {
                verb,
                items,
                resumption,
            } => {
                w.create_element(*verb).write_inner_content(|w| {
                    for i in items {
                        w.get_mut().write_all(i)?;
                    }
                    if let Some(r) = resumption {
                        let total = r.total.to_string();
                        let cursor = r.cursor.to_string();
                        let mut e = w
                            .create_element("resumptionToken")
                            .with_attribute(("completeListSize", total.as_str()))
                            .with_attribute(("cursor", cursor.as_str()));
                        if let Some(x) = &r.expires {
                            e = e.with_attribute(("expirationDate", x.as_str()));
                        }
                        match &r.token {
                            Some(t) => {
                                e.write_text_content(BytesText::new(t))?;
                            }
                            None => {
                                e.write_empty()?;
                            }
                        }
                    }
                    Ok(())
                })?;
            }
        }
        Ok(())
    }
}

/// The metadata of one live record (`None` when it is no longer visible); with `metadata`
/// false only visibility is checked and an empty body stands for "live".
fn content(
    store: &crate::store::Store,
    info: &RegistryInfo,
    id: &str,
    prefix: &str,
    metadata: bool,
    labs: &mut std::collections::HashMap<String, Option<String>>,
) -> Result<Option<Vec<u8>>, OaiError> {
    let xml = match id {
        REGISTRY if prefix == "oai_dc" => dc_registry(info, true),
        REGISTRY => voresource::registry_record(info, &info.created, true),
        AUTHORITY if prefix == "oai_dc" => dc_registry(info, false),
        AUTHORITY => voresource::authority_record(info, &info.created, true),
        TAP => match &info.tap {
            Some(t) if prefix == "oai_dc" => dc_tap(info, t),
            Some(t) => voresource::tap_record(info, t, &info.created, true),
            None => return Ok(None),
        },
        _ => {
            if !metadata {
                return Ok(access::anonymous_sees(store, id)?.then(Vec::new));
            }
            if prefix == "oai_dc" {
                let Some(asset) = access::read_asset(store, &Caller::Anonymous, id)? else {
                    return Ok(None);
                };
                dc_asset(info, &asset)
            } else {
                return Ok(voresource::public_record(store, info, id, true, labs)?);
            }
        }
    };
    xml.map(Some).map_err(internal)
}

/// A header, or a record with its header and metadata; deleted when `body` is `None`.
fn wrap(
    info: &RegistryInfo,
    h: &Header,
    body: Option<&[u8]>,
    metadata: bool,
) -> std::io::Result<Vec<u8>> {
    let mut buf = Vec::with_capacity(body.map_or(256, |b| b.len() + 256));
    let mut w = Writer::new(&mut buf);
    let identifier = identifier_of(info, &h.id);
    let header = |w: &mut W, deleted: bool| -> R {
        let mut e = w.create_element("header");
        if deleted {
            e = e.with_attribute(("status", "deleted"));
        }
        e.write_inner_content(|w| {
            text(w, "identifier", &identifier)?;
            text(w, "datestamp", &h.datestamp)?;
            text(w, "setSpec", SET)
        })?;
        Ok(())
    };
    match (body, metadata) {
        (None, false) => header(&mut w, true)?,
        (Some(_), false) => header(&mut w, false)?,
        (None, true) => {
            w.create_element("record")
                .write_inner_content(|w| header(w, true))?;
        }
        (Some(xml), true) => {
            w.create_element("record").write_inner_content(|w| {
                header(w, false)?;
                w.create_element("metadata").write_inner_content(|w| {
                    use std::io::Write as _;
                    w.get_mut().write_all(xml)
                })?;
                Ok(())
            })?;
        }
    }
    Ok(buf)
}

struct Resumption {
    token: Option<String>,
    expires: Option<String>,
    total: u64,
    cursor: u64,
}

enum Body {
    Identify {
        earliest: String,
    },
    Formats,
    Sets,
    Record(Vec<u8>),
    List {
        verb: &'static str,
        items: Vec<Vec<u8>>,
        resumption: Option<Resumption>,
    },
}
