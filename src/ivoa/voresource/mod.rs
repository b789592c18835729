//! The one mapping from the catalogue to VOResource 1.1 (with VODataService 1.2 and
//! VORegistry): asset records, the registry's own `vg:Registry` record and the `vg:Authority`
//! record. OAI-PMH serves these records; the relational registry tables are built from them.
//!
//! Only what an anonymous reader may see goes in: callers pass the public view of a published
//! public asset, and references to other assets (relationships) are kept only when those are
//! public too. Element order follows the schemas (they are sequences); children of `ri:Resource`
//! are unqualified, so the root carries `xmlns=""` when embedded in another document.

pub mod capabilities;
pub mod resource;

use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesText, Event};

use crate::model::{Asset, Scheme, Vocabularies};
use capabilities::TapInfo;

pub const NS_RI: &str = "http://www.ivoa.net/xml/RegistryInterface/v1.0";
pub const NS_VR: &str = "http://www.ivoa.net/xml/VOResource/v1.0";
pub const NS_VS: &str = "http://www.ivoa.net/xml/VODataService/v1.1";
pub const NS_VG: &str = "http://www.ivoa.net/xml/VORegistry/v1.0";
pub const NS_XSI: &str = "http://www.w3.org/2001/XMLSchema-instance";
const SCHEMA_LOCATION: &str = "http://www.ivoa.net/xml/RegistryInterface/v1.0 http://www.ivoa.net/xml/RegistryInterface/RegistryInterface-v1.0.xsd http://www.ivoa.net/xml/VOResource/v1.0 http://www.ivoa.net/xml/VOResource/VOResource-v1.1.xsd http://www.ivoa.net/xml/VODataService/v1.1 http://www.ivoa.net/xml/VODataService/VODataService-v1.2.xsd http://www.ivoa.net/xml/VORegistry/v1.0 http://www.ivoa.net/xml/VORegistry/VORegistry-v1.1.xsd";

/// The title of the registry's TAP service record.
pub const TAP_TITLE: &str = "orrery RegTAP service";

/// Who this registry is.
#[derive(Debug, Clone)]
pub struct RegistryInfo {
    /// IVOA naming authority of the catalogue's assets.
    pub authority: String,
    /// Public base URL of the service.
    pub base_url: String,
    /// Base URL of the platform whose launch wizard opens datalabs.
    pub launch_base: String,
    /// Publisher and contact of the registry.
    pub publisher: String,
    pub email: String,
    /// When the registry came into being (its own record's `created`).
    pub created: String,
    /// Records per OAI-PMH page, declared as `maxRecords` of the harvest capability.
    pub max_records: usize,
    /// The registry's TAP service, whose own record the registry publishes.
    pub tap: Option<TapInfo>,
}

impl RegistryInfo {
    pub fn ivoid(&self, id: &str) -> String {
        format!("ivo://{}/{id}", self.authority)
    }

    pub fn registry_ivoid(&self) -> String {
        format!("ivo://{}/registry", self.authority)
    }

    pub fn authority_ivoid(&self) -> String {
        format!("ivo://{}", self.authority)
    }

    pub fn tap_ivoid(&self) -> String {
        format!("ivo://{}/tap", self.authority)
    }

    pub fn oai_url(&self) -> String {
        format!("{}/oai", self.base_url)
    }
}

/// An asset as the registry sees it: its public view, and the public assets it relates to.
pub struct Record<'a> {
    pub asset: &'a Asset,
    /// `(id, name)` of the public datalabs that can open it (`IsServedBy`).
    pub served_by: &'a [(String, String)],
}

pub(super) type W<'w> = Writer<&'w mut Vec<u8>>;
pub(super) type R = std::io::Result<()>;

/// `<name>value</name>`.
pub(super) fn text(w: &mut W, name: &str, value: &str) -> R {
    w.create_element(name)
        .write_text_content(BytesText::new(value))?;
    Ok(())
}

fn text_attr(w: &mut W, name: &str, attrs: &[(&str, &str)], value: &str) -> R {
    let mut e = w.create_element(name);
    for a in attrs {
        e = e.with_attribute(*a);
    }
    e.write_text_content(BytesText::new(value))?;
    Ok(())
}

/// Writes `<ri:Resource …>` with its children; `embedded` adds `xmlns=""`.
fn resource(
    w: &mut W,
    xsi_type: &str,
    created: &str,
    updated: &str,
    embedded: bool,
    body: impl FnOnce(&mut W) -> R,
) -> R {
    let mut e = w.create_element("ri:Resource");
    if embedded {
        e = e.with_attribute(("xmlns", ""));
    }
    e.with_attribute(("xmlns:ri", NS_RI))
        .with_attribute(("xmlns:vr", NS_VR))
        .with_attribute(("xmlns:vs", NS_VS))
        .with_attribute(("xmlns:vg", NS_VG))
        .with_attribute(("xmlns:xsi", NS_XSI))
        .with_attribute(("xsi:schemaLocation", SCHEMA_LOCATION))
        .with_attribute(("xsi:type", xsi_type))
        .with_attribute(("created", created))
        .with_attribute(("updated", updated))
        .with_attribute(("status", "active"))
        .with_attribute(("version", "1.1"))
        .write_inner_content(body)?;
    Ok(())
}

/// `YYYY-MM-DDThh:mm:ssZ` from what the catalogue stores (a date or a date-time).
pub fn utc(stamp: &str) -> String {
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(stamp) {
        return t
            .with_timezone(&chrono::Utc)
            .format("%Y-%m-%dT%H:%M:%SZ")
            .to_string();
    }
    if let Ok(d) = chrono::NaiveDate::parse_from_str(stamp, "%Y-%m-%d") {
        return format!("{d}T00:00:00Z");
    }
    "2000-01-01T00:00:00Z".to_owned()
}

/// The `vs:coverage` children of an asset: its sky as a MOC (ICRS regions only; circles and
/// polygons at the coverage model's shape order), its time as one MJD interval (when both ends
/// are known), its bands as energy intervals in joules, and its messengers.
fn coverage(w: &mut W, a: &Asset) -> R {
    let c = a.coverage.as_ref();
    let moc = c
        .and_then(|c| c.sky.as_ref())
        .and_then(|s| crate::model::coverage::sky(s).ok());
    let time = c
        .and_then(crate::model::coverage::time)
        .filter(|t| t.start.is_finite() && t.end.is_finite());
    let bands = c.map(crate::model::coverage::spectral).unwrap_or_default();
    if moc.is_none() && time.is_none() && bands.is_empty() && a.waveband.is_empty() {
        return Ok(());
    }
    w.create_element("coverage").write_inner_content(|w| {
        if let Some(m) = &moc {
            text(w, "spatial", &m.to_ascii())?;
        }
        if let Some(t) = &time {
            text(w, "temporal", &format!("{} {}", t.start, t.end))?;
        }
        for b in bands.iter().filter(|b| b.high.is_finite()) {
            text(w, "spectral", &format!("{:e} {:e}", b.low, b.high))?;
        }
        for b in &a.waveband {
            text(w, "waveband", b)?;
        }
        Ok(())
    })?;
    Ok(())
}

fn content_level(audience: &str) -> Option<&'static str> {
    match audience.to_ascii_lowercase().as_str() {
        "researcher" | "research" | "scientist" => Some("Research"),
        "student" | "university" => Some("University"),
        "general public" | "public" | "general" => Some("General"),
        "amateur" | "amateur astronomer" => Some("Amateur"),
        "educator" | "teacher" => Some("Informal Education"),
        _ => None,
    }
}

/// The xsi:type of an asset's record.
pub fn resource_type(asset: &Asset) -> &'static str {
    match asset.kind.as_str() {
        "Datalab" | "Pipeline" => "vr:Service",
        _ => "vs:DataCollection",
    }
}

fn curation(w: &mut W, info: &RegistryInfo, a: &Asset) -> R {
    w.create_element("curation").write_inner_content(|w| {
        let publisher = a
            .publisher
            .as_ref()
            .map_or(info.publisher.as_str(), |p| p.name.as_str());
        text(w, "publisher", publisher)?;
        for c in &a.creator {
            w.create_element("creator")
                .write_inner_content(|w| text(w, "name", &c.name))?;
        }
        if let Some(d) = &a.date_published {
            text_attr(w, "date", &[("role", "Issued")], &utc(d))?;
        }
        if let Some(d) = &a.date_modified {
            text_attr(w, "date", &[("role", "Updated")], &utc(d))?;
        }
        if let Some(v) = &a.version {
            text(w, "version", v)?;
        }
        let contact = a.creator.iter().find(|c| c.email.is_some());
        w.create_element("contact").write_inner_content(|w| {
            match contact {
                Some(c) => {
                    text(w, "name", &c.name)?;
                    text(w, "email", c.email.as_deref().unwrap_or_default())?;
                }
                None => {
                    text(w, "name", publisher)?;
                    text(w, "email", &info.email)?;
                }
            }
            Ok(())
        })?;
        Ok(())
    })?;
    Ok(())
}

fn content(w: &mut W, info: &RegistryInfo, r: &Record) -> R {
    let a = r.asset;
    w.create_element("content").write_inner_content(|w| {
        let mut subjects: Vec<&str> = a.keywords.iter().map(String::as_str).collect();
        subjects.extend(a.mission.iter().map(String::as_str));
        subjects.extend(a.domain.iter().map(String::as_str));
        if subjects.is_empty() {
            subjects.push(&a.kind);
        }
        let mut seen = std::collections::HashSet::new();
        for s in subjects {
            if seen.insert(s.to_lowercase()) {
                text(w, "subject", s)?;
            }
        }
        let mut description = a.abstract_.clone().unwrap_or_default();
        if let Some(d) = &a.description {
            if !description.is_empty() {
                description.push_str("\n\n");
            }
            description.push_str(d);
        }
        if description.is_empty() {
            description = a.name.clone();
        }
        text(w, "description", &description)?;
        if let Some(c) = &a.citation {
            text_attr(w, "source", &[("format", "doi")], c)?;
        }
        let reference = a
            .url
            .clone()
            .unwrap_or_else(|| format!("{}/assets/{}", info.base_url, a.id));
        text(w, "referenceURL", &reference)?;
        match a.kind.as_str() {
            "Dataset" | "DataVolume" => text(w, "type", "Archive")?,
            _ => {}
        }
        let mut levels: Vec<&str> = a
            .audience_type
            .iter()
            .filter_map(|x| content_level(x))
            .collect();
        levels.dedup();
        for l in levels {
            text(w, "contentLevel", l)?;
        }
        if !r.served_by.is_empty() {
            w.create_element("relationship").write_inner_content(|w| {
                text(w, "relationshipType", "IsServedBy")?;
                for (id, name) in r.served_by {
                    text_attr(w, "relatedResource", &[("ivo-id", &info.ivoid(id))], name)?;
                }
                Ok(())
            })?;
        }
        Ok(())
    })?;
    Ok(())
}

fn rights(w: &mut W, vocab: &Vocabularies, a: &Asset) -> R {
    if let Some(l) = &a.license {
        let page = vocab
            .by_label(Scheme::Licenses, l)
            .and_then(|c| c.page.clone());
        match page {
            Some(uri) => text_attr(w, "rights", &[("rightsURI", &uri)], l)?,
            None => text(w, "rights", l)?,
        }
    }
    Ok(())
}

/// The VOResource record of a public asset.
pub fn asset_record(
    info: &RegistryInfo,
    vocab: &Vocabularies,
    r: &Record,
    embedded: bool,
) -> std::io::Result<Vec<u8>> {
    let a = r.asset;
    if let Some(own) = a.voresource.as_deref().filter(|_| !embedded) {
        // Another registry's resource: its record as its publisher wrote it.
        return Ok(own.as_bytes().to_vec());
    }
    let mut buf = Vec::with_capacity(4096);
    let mut w = Writer::new(&mut buf);
    if !embedded {
        w.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
    }
    let updated = utc(a.date_modified.as_deref().unwrap_or("2000-01-01"));
    let created = utc(a
        .date_published
        .as_deref()
        .or(a.date_modified.as_deref())
        .unwrap_or("2000-01-01"));
    let xsi_type = resource_type(a);
    resource(&mut w, xsi_type, &created, &updated, embedded, |w| {
        text(w, "title", &a.name)?;
        if let Some(short) = a
            .alternate_name
            .as_deref()
            .filter(|s| s.chars().count() <= 16)
        {
            text(w, "shortName", short)?;
        }
        text(w, "identifier", &info.ivoid(&a.id))?;
        if let Some(doi) = &a.identifier {
            let bare = doi
                .trim_start_matches("doi:")
                .trim_start_matches("https://doi.org/");
            text(w, "altIdentifier", &format!("doi:{bare}"))?;
        }
        curation(w, info, a)?;
        content(w, info, r)?;
        if xsi_type == "vr:Service" {
            rights(w, vocab, a)?;
            let (description, url) = if a.kind == "Datalab" {
                (
                    "Launch this datalab on the platform",
                    format!("{}/datalab-launch-wizard/{}", info.launch_base, a.id),
                )
            } else {
                (
                    "The pipeline's page: its steps, inputs and outputs",
                    format!("{}/assets/{}", info.base_url, a.id),
                )
            };
            w.create_element("capability").write_inner_content(|w| {
                text(w, "description", description)?;
                w.create_element("interface")
                    .with_attribute(("xsi:type", "vr:WebBrowser"))
                    .write_inner_content(|w| text_attr(w, "accessURL", &[("use", "full")], &url))?;
                Ok(())
            })?;
        } else {
            rights(w, vocab, a)?;
            let mut formats: Vec<&str> = a
                .distribution
                .iter()
                .filter_map(|d| d.media_type.as_deref())
                .collect();
            formats.sort_unstable();
            formats.dedup();
            for f in formats {
                text_attr(w, "format", &[("isMIMEType", "true")], f)?;
            }
            coverage(w, a)?;
            if let Some(d) = a.distribution.first() {
                text_attr(w, "accessURL", &[("use", "base")], &d.access_url)?;
            }
        }
        Ok(())
    })?;
    Ok(buf)
}

/// The curation of the registry's own records: its publisher, who is also the contact.
fn own_curation(w: &mut W, info: &RegistryInfo) -> R {
    w.create_element("curation").write_inner_content(|w| {
        text(w, "publisher", &info.publisher)?;
        w.create_element("contact").write_inner_content(|w| {
            text(w, "name", &info.publisher)?;
            text(w, "email", &info.email)
        })?;
        Ok(())
    })?;
    Ok(())
}

/// The registry's own `vg:Registry` record.
pub fn registry_record(
    info: &RegistryInfo,
    updated: &str,
    embedded: bool,
) -> std::io::Result<Vec<u8>> {
    let mut buf = Vec::with_capacity(2048);
    let mut w = Writer::new(&mut buf);
    if !embedded {
        w.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
    }
    resource(
        &mut w,
        "vg:Registry",
        &info.created,
        updated,
        embedded,
        |w| {
            text(w, "title", "orrery publishing registry")?;
            text(w, "shortName", "orrery")?;
            text(w, "identifier", &info.registry_ivoid())?;
            own_curation(w, info)?;
            w.create_element("content").write_inner_content(|w| {
            text(w, "subject", "virtual-observatories")?;
            text(
                w,
                "description",
                "The publishing registry of a science platform's catalogue: its datalabs, pipelines, datasets and data volumes as VOResource records.",
            )?;
            text(w, "referenceURL", &format!("{}/", info.base_url))?;
            text(w, "type", "Registry")
        })?;
            w.create_element("capability")
                .with_attribute(("xsi:type", "vg:Harvest"))
                .with_attribute(("standardID", "ivo://ivoa.net/std/Registry"))
                .write_inner_content(|w| {
                    w.create_element("interface")
                        .with_attribute(("xsi:type", "vg:OAIHTTP"))
                        .with_attribute(("role", "std"))
                        .with_attribute(("version", "1.0"))
                        .write_inner_content(|w| {
                            text_attr(w, "accessURL", &[("use", "base")], &info.oai_url())
                        })?;
                    text(w, "maxRecords", &info.max_records.to_string())
                })?;
            text(w, "full", "false")?;
            text(w, "managedAuthority", &info.authority)
        },
    )?;
    Ok(buf)
}

/// The `vg:Authority` record of the managed authority.
pub fn authority_record(
    info: &RegistryInfo,
    updated: &str,
    embedded: bool,
) -> std::io::Result<Vec<u8>> {
    let mut buf = Vec::with_capacity(1024);
    let mut w = Writer::new(&mut buf);
    if !embedded {
        w.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
    }
    resource(
        &mut w,
        "vg:Authority",
        &info.created,
        updated,
        embedded,
        |w| {
            text(
                w,
                "title",
                &format!("The {} naming authority", info.authority),
            )?;
            text(w, "identifier", &info.authority_ivoid())?;
            own_curation(w, info)?;
            w.create_element("content").write_inner_content(|w| {
                text(w, "subject", "virtual-observatories")?;
                text(
                    w,
                    "description",
                    &format!(
                        "Identifiers ivo://{}/… name the assets of this catalogue.",
                        info.authority
                    ),
                )?;
                text(w, "referenceURL", &format!("{}/", info.base_url))?;
                text(w, "type", "Organisation")
            })?;
            text(w, "managingOrg", &info.publisher)
        },
    )?;
    Ok(buf)
}

/// The VOResource record of an asset anonymous readers see (`None` otherwise): standalone, or
/// `embedded` in another document. `labs` caches the names of the datalabs records point to.
pub fn public_record(
    store: &crate::store::Store,
    info: &RegistryInfo,
    id: &str,
    embedded: bool,
    labs: &mut std::collections::HashMap<String, Option<String>>,
) -> crate::store::Result<Option<Vec<u8>>> {
    use crate::access::{Caller, read_asset};
    let Some(asset) = read_asset(store, &Caller::Anonymous, id)? else {
        return Ok(None);
    };
    let mut served_by = Vec::new();
    for d in &asset.analysable_with {
        let name = match labs.get(d) {
            Some(n) => n.clone(),
            None => {
                let n = read_asset(store, &Caller::Anonymous, d)?.map(|l| l.name);
                labs.insert(d.clone(), n.clone());
                n
            }
        };
        if let Some(name) = name {
            served_by.push((d.clone(), name));
        }
    }
    let record = Record {
        asset: &asset,
        served_by: &served_by,
    };
    asset_record(info, store.vocab(), &record, embedded)
        .map(Some)
        .map_err(|e| crate::store::StoreError::Corrupt(format!("record of {id}: {e}")))
}

/// The TAP service's own `vs:CatalogService` record: its TAP capability and VOSI endpoints,
/// written by the same functions as its /capabilities document, and the tableset of its
/// /tables document (columns included), so that a registry search finds the service and what
/// it serves.
pub fn tap_record(
    info: &RegistryInfo,
    t: &TapInfo,
    updated: &str,
    embedded: bool,
) -> std::io::Result<Vec<u8>> {
    let mut buf = Vec::with_capacity(64 * 1024);
    let mut w = Writer::new(&mut buf);
    if !embedded {
        w.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
    }
    resource(
        &mut w,
        "vs:CatalogService",
        &info.created,
        updated,
        embedded,
        |w| {
            text(w, "title", TAP_TITLE)?;
            text(w, "shortName", "orrery TAP")?;
            text(w, "identifier", &info.tap_ivoid())?;
            own_curation(w, info)?;
            w.create_element("content").write_inner_content(|w| {
                text(w, "subject", "virtual-observatories")?;
                text(
                    w,
                    "description",
                    "A TAP service over the relational registry (RegTAP 1.1) of a science platform's catalogue: its datalabs, pipelines, datasets and data volumes, queried in ADQL.",
                )?;
                text(w, "referenceURL", &t.base)?;
                text(w, "type", "Registry")?;
                text(w, "contentLevel", "Research")
            })?;
            capabilities::write_tap_capability(w, t)?;
            capabilities::write_vosi_capabilities(w, t)?;
            w.create_element("tableset").write_inner_content(|w| {
                // Written by `ivoa::vosi::schemas`, as the /tables document has them.
                w.get_mut().extend_from_slice(&t.schemas);
                Ok::<(), std::io::Error>(())
            })?;
            Ok(())
        },
    )?;
    Ok(buf)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ivoa::regtap::rows::{Value, rows};
    use crate::ivoa::regtap::schema::TABLES;
    use crate::ivoa::vosi::{
        self,
        tests::{El, info as tap_info, validate},
    };

    fn info() -> RegistryInfo {
        RegistryInfo {
            authority: "example.org".to_owned(),
            base_url: "https://example.org".to_owned(),
            launch_base: "https://platform.example.org".to_owned(),
            publisher: "Example Space Agency".to_owned(),
            email: "help@example.org".to_owned(),
            created: "2024-05-01T10:00:00Z".to_owned(),
            max_records: 100,
            tap: None,
        }
    }

    /// The cells of `column` in the rows of `table`.
    fn column<'a>(
        r: &'a crate::ivoa::regtap::rows::Rows,
        table: &str,
        column: &str,
    ) -> Vec<&'a Value> {
        let t = TABLES.iter().find(|t| t.name == table).unwrap();
        let i = t.columns.iter().position(|c| c.name == column).unwrap();
        r.of(table).iter().map(|row| &row[i]).collect()
    }

    fn text_value(s: &str) -> Value {
        Value::Text(s.to_owned())
    }

    #[test]
    fn the_tap_record_validates_standalone_and_embedded() {
        for full in [false, true] {
            let xml = tap_record(&info(), &tap_info(full), "2025-01-10T08:30:00Z", false).unwrap();
            validate(&xml);
        }
        let embedded = tap_record(&info(), &tap_info(false), "2025-01-10T08:30:00Z", true).unwrap();
        assert!(
            String::from_utf8(embedded)
                .unwrap()
                .starts_with("<ri:Resource xmlns=\"\"")
        );
    }

    /// An element as comparable text: name, attributes, trimmed text, children.
    fn flat(e: &El) -> String {
        let children: Vec<String> = e.children.iter().map(flat).collect();
        format!(
            "{}{:?}{}[{}]",
            e.name,
            e.attrs,
            e.text.trim(),
            children.join(",")
        )
    }

    #[test]
    fn the_record_declares_the_same_tap_capability_as_the_capabilities_document() {
        let t = tap_info(true);
        let record = El::parse(&tap_record(&info(), &t, "2025-01-10T08:30:00Z", false).unwrap());
        let caps = El::parse(&vosi::capabilities(&t));
        let flat_caps = |e: &El| e.all("capability").map(flat).collect::<Vec<_>>();
        assert_eq!(flat_caps(&record), flat_caps(&caps));
        let tables = El::parse(&vosi::tableset(false));
        let schemas = |e: &El| e.all("schema").map(flat).collect::<Vec<_>>();
        assert_eq!(
            schemas(record.all("tableset").next().unwrap()),
            schemas(&tables)
        );
    }

    #[test]
    fn the_record_gives_the_rows_a_registry_search_for_tap_services_finds() {
        let t = tap_info(false);
        let xml = tap_record(&info(), &t, "2025-01-10T08:30:00Z", false).unwrap();
        let r = rows(std::str::from_utf8(&xml).unwrap()).unwrap();
        assert_eq!(
            column(&r, "resource", "ivoid"),
            [&text_value("ivo://example.org/tap")]
        );
        assert_eq!(
            column(&r, "resource", "res_type"),
            [&text_value("vs:catalogservice")]
        );
        // pyvo's servicetype="tap": standard_id IN ('ivo://ivoa.net/std/tap'), then the std
        // interface's access_url is the TAP base.
        let standard_ids = column(&r, "capability", "standard_id");
        let cap_index = standard_ids
            .iter()
            .position(|s| **s == text_value("ivo://ivoa.net/std/tap"))
            .unwrap();
        assert_eq!(
            column(&r, "capability", "cap_type")[cap_index],
            &text_value("tr:tableaccess")
        );
        let tap_cap = column(&r, "capability", "cap_index")[cap_index].clone();
        let caps = column(&r, "interface", "cap_index");
        let roles = column(&r, "interface", "intf_role");
        let urls = column(&r, "interface", "access_url");
        let i = caps.iter().position(|c| **c == tap_cap).unwrap();
        assert_eq!(roles[i], &text_value("std"));
        assert_eq!(urls[i], &text_value("https://example.org/tap"));
        // Every rr table is listed, named as users query it.
        let names = column(&r, "res_table", "table_name");
        for t in TABLES {
            assert!(
                names.contains(&&text_value(&format!("rr.{}", t.name))),
                "{}",
                t.name
            );
        }
        assert!(names.contains(&&text_value("tap_schema.columns")));
        // Only a full registry is found by pyvo's datamodel="regtap".
        let xpaths = column(&r, "res_detail", "detail_xpath");
        assert!(!xpaths.contains(&&text_value("/capability/dataModel/@ivo-id")));
        let full = tap_record(&info(), &tap_info(true), "2025-01-10T08:30:00Z", false).unwrap();
        let r = rows(std::str::from_utf8(&full).unwrap()).unwrap();
        let xpaths = column(&r, "res_detail", "detail_xpath");
        assert!(xpaths.contains(&&text_value("/capability/dataModel/@ivo-id")));
    }

    /// A dataset's coverage (a circle, an interval of dates, bands with units) is published as
    /// VODataService 1.2 coverage that validates, that the RegTAP 1.2 rows hold, and that
    /// reads back as the same coverage.
    #[test]
    fn an_assets_coverage_is_published_as_vodataservice_coverage() {
        let vocab = Vocabularies::load().unwrap();
        let doc = br#"{"id": "gaia-dr3-sample", "type": "Dataset", "name": "Gaia sample",
          "waveband": ["Optical"],
          "coverage": {"temporal": "2014-07-25/2017-05-28",
            "sky": {"frame": "ICRS", "circle": [266.4, -29.0, 1.5]},
            "spectral": ["330 nm/1050 nm", "X-ray"]},
          "visibility": {"audience": "public"}, "status": "published"}"#;
        let a = crate::model::document::parse(doc, &vocab).unwrap();
        let xml = asset_record(
            &info(),
            &vocab,
            &Record {
                asset: &a,
                served_by: &[],
            },
            false,
        )
        .unwrap();
        validate(&xml);
        let text = String::from_utf8(xml).unwrap();
        let r = rows(&text).unwrap();
        let moc = match &column(&r, "stc_spatial", "coverage")[0] {
            Value::Text(t) => crate::model::coverage::Sky::parse_ascii(t).unwrap(),
            other => panic!("{other:?}"),
        };
        assert!(moc.contains_point(266.4, -29.0));
        assert!(moc.contains_point(266.4, -27.6));
        assert!(!moc.contains_point(266.4, -26.0));
        let times = column(&r, "stc_temporal", "time_start");
        assert_eq!(times, [&Value::Real(56863.0)]);
        assert_eq!(
            column(&r, "stc_temporal", "time_end"),
            [&Value::Real(57902.0)],
            "the last day included"
        );
        let bands = column(&r, "stc_spectral", "spectral_start");
        assert_eq!(bands.len(), 2);
        // 1050 nm is 1.89e-19 J.
        assert!(
            bands
                .iter()
                .any(|b| matches!(b, Value::Real(e) if (e / 1.8918e-19 - 1.0).abs() < 1e-3))
        );
        // Read back as another registry's record.
        let back = match resource::read(&text, &vocab).unwrap() {
            resource::Record::Resource(a) => a,
            _ => panic!("not a resource"),
        };
        let c = back.coverage.unwrap();
        assert_eq!(c.temporal.as_deref(), Some("2014-07-25/2017-05-28"));
        let sky = crate::model::coverage::sky(c.sky.as_ref().unwrap()).unwrap();
        // As published (order 10), within the registry's order-6 view of it.
        assert_eq!(sky.depth(), 10);
        assert!(moc.covers(&sky) && sky.contains_point(266.4, -29.0));
        assert_eq!(c.spectral.len(), 2);
    }
}
