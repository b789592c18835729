//! schema.org JSON-LD for crawlers (Google Dataset Search and the like), from an asset's public
//! view: datasets and data volumes as `Dataset`, datalabs as `WebApplication`, pipelines as
//! `SoftwareSourceCode` typed also as a Bioschemas `ComputationalWorkflow`; the catalogue itself
//! as a `DataCatalog`.
//!
//! It follows Google's Dataset guidelines and avoids what they reject: `creator` (never
//! `author`), a licence as a URL, every distribution with a `contentUrl`, only http(s) `sameAs`,
//! every nested object typed, no empty values, a description of 50 to 5,000 characters, and
//! `spatialCoverage` only for places on Earth (sky coverage is not geography).

use serde_json::{Map, Value, json};

use crate::model::asset::{Agent, AgentKind};
use crate::model::{Asset, Scheme, Vocabularies};

/// Where the asset lives on the web.
pub struct Site<'a> {
    /// Public base URL of the service.
    pub base_url: &'a str,
    /// Base URL of the launch wizard.
    pub launch_base: &'a str,
    /// Name of the catalogue (the `DataCatalog`).
    pub catalog_name: &'a str,
    /// Who publishes the catalogue.
    pub publisher: &'a str,
}

const BIOSCHEMAS_WORKFLOW: &str =
    "https://bioschemas.org/profiles/ComputationalWorkflow/1.0-RELEASE";

/// The plain schema.org context, which every consumer understands.
fn plain_context() -> Value {
    "https://schema.org/".into()
}

/// schema.org plus the Bioschemas and Dublin Core prefixes workflows need.
fn context() -> Value {
    json!({
        "@vocab": "https://schema.org/",
        "bioschemas": "https://bioschemas.org/",
        "dct": "http://purl.org/dc/terms/"
    })
}

/// A description Google accepts: 50 to 5,000 characters, from the abstract and description,
/// completed from the other metadata when they are short.
pub fn description(a: &Asset, site: &Site) -> String {
    let mut text = a.abstract_.clone().unwrap_or_default();
    if let Some(d) = &a.description {
        if !text.is_empty() {
            text.push_str("\n\n");
        }
        text.push_str(d);
    }
    if text.chars().count() < 50 {
        let mut more = format!(
            "{} {} in the {} catalogue",
            if text.is_empty() { &a.name } else { "" },
            a.kind.to_lowercase(),
            site.catalog_name
        );
        let topics: Vec<&str> = a
            .mission
            .iter()
            .chain(&a.keywords)
            .map(String::as_str)
            .collect();
        if !topics.is_empty() {
            more.push_str(&format!(" about {}", topics.join(", ")));
        }
        more.push('.');
        text = format!("{} {}", text.trim_end(), more.trim_start())
            .trim()
            .to_owned();
        while text.chars().count() < 50 {
            text.push_str(" More on its landing page.");
        }
    }
    if text.chars().count() > 5000 {
        text = text.chars().take(4999).collect::<String>() + "…";
    }
    text
}

fn agent(a: &Agent) -> Value {
    let kind = match a.kind {
        Some(AgentKind::Person) => "Person",
        Some(AgentKind::Organization) => "Organization",
        None if a.orcid.is_some() => "Person",
        None => "Organization",
    };
    let mut m = Map::new();
    m.insert("@type".into(), kind.into());
    m.insert("name".into(), a.name.clone().into());
    if let Some(e) = &a.email {
        m.insert("email".into(), e.clone().into());
    }
    if let Some(u) = a.url.as_ref().filter(|u| is_http(u)) {
        m.insert("url".into(), u.clone().into());
    }
    if let Some(o) = &a.orcid {
        let id = o.trim_start_matches("https://orcid.org/");
        m.insert("sameAs".into(), format!("https://orcid.org/{id}").into());
    }
    if let Some(aff) = &a.affiliation {
        // A person is affiliated; an organisation belongs to a parent one.
        let key = if kind == "Person" {
            "affiliation"
        } else {
            "parentOrganization"
        };
        m.insert(key.into(), json!({"@type": "Organization", "name": aff}));
    }
    Value::Object(m)
}

fn is_http(u: &str) -> bool {
    u.starts_with("https://") || u.starts_with("http://")
}

fn doi_of(a: &Asset) -> Option<String> {
    let id = a.identifier.as_deref()?;
    let bare = id
        .trim()
        .trim_start_matches("doi:")
        .trim_start_matches("https://doi.org/")
        .trim_start_matches("http://doi.org/");
    bare.starts_with("10.").then(|| bare.to_owned())
}

/// Sets `key` unless the value is empty (Google rejects empty values).
fn put(m: &mut Map<String, Value>, key: &str, v: Value) {
    let empty = match &v {
        Value::Null => true,
        Value::String(s) => s.trim().is_empty(),
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.is_empty(),
        _ => false,
    };
    if !empty {
        m.insert(key.to_owned(), v);
    }
}

/// The properties every asset type shares.
fn common(a: &Asset, site: &Site, vocab: &Vocabularies) -> Map<String, Value> {
    let page = format!("{}/assets/{}", site.base_url, a.id);
    let mut m = Map::new();
    m.insert("@context".into(), context());
    m.insert(
        "@id".into(),
        format!("{}/id/{}", site.base_url, a.id).into(),
    );
    m.insert("name".into(), a.name.clone().into());
    m.insert("description".into(), description(a, site).into());
    m.insert("url".into(), page.into());
    if let Some(alt) = &a.alternate_name {
        put(&mut m, "alternateName", alt.clone().into());
    }
    let mut same_as: Vec<String> = Vec::new();
    let mut identifiers = Vec::new();
    if let Some(doi) = doi_of(a) {
        identifiers.push(json!({
            "@type": "PropertyValue",
            "propertyID": "https://registry.identifiers.org/registry/doi",
            "value": format!("doi:{doi}"),
            "url": format!("https://doi.org/{doi}")
        }));
        same_as.push(format!("https://doi.org/{doi}"));
    }
    put(&mut m, "identifier", Value::Array(identifiers));
    put(&mut m, "sameAs", json!(same_as));
    let mut keywords: Vec<String> = a.keywords.clone();
    keywords.extend(a.mission.iter().cloned());
    keywords.extend(a.domain.iter().cloned());
    keywords.dedup();
    put(&mut m, "keywords", json!(keywords));
    if let Some(url) = a
        .license
        .as_deref()
        .and_then(|l| vocab.by_label(Scheme::Licenses, l))
        .and_then(|c| c.page.clone())
        .filter(|u| is_http(u))
    {
        m.insert("license".into(), url.into());
    }
    put(
        &mut m,
        "creator",
        Value::Array(a.creator.iter().map(agent).collect()),
    );
    let publisher = a.publisher.as_ref().map_or_else(
        || json!({"@type": "Organization", "name": site.publisher}),
        agent,
    );
    m.insert("publisher".into(), publisher);
    if let Some(v) = &a.version {
        put(&mut m, "version", v.clone().into());
    }
    if let Some(d) = &a.date_modified {
        put(&mut m, "dateModified", d.clone().into());
    }
    if let Some(d) = &a.date_published {
        put(&mut m, "datePublished", d.clone().into());
    }
    if let Some(c) = &a.citation {
        put(&mut m, "citation", c.clone().into());
    }
    put(&mut m, "audience", {
        let list: Vec<Value> = a
            .audience_type
            .iter()
            .map(|t| json!({"@type": "Audience", "audienceType": t}))
            .collect();
        Value::Array(list)
    });
    if let Some(u) = a.url.as_ref().filter(|u| is_http(u)) {
        put(
            &mut m,
            "subjectOf",
            json!({"@type": "WebPage", "name": "Documentation", "url": u}),
        );
    }
    m
}

/// The JSON-LD of an asset's public view.
pub fn asset(a: &Asset, site: &Site, vocab: &Vocabularies) -> Value {
    let mut m = common(a, site, vocab);
    match a.kind.as_str() {
        "Datalab" => {
            m.insert("@type".into(), "WebApplication".into());
            m.insert(
                "applicationCategory".into(),
                if a.property.is_empty() {
                    "Datalab".to_owned()
                } else {
                    a.property.join(", ")
                }
                .into(),
            );
            m.insert("operatingSystem".into(), "Web browser".into());
            if let Some(v) = &a.version {
                m.insert("softwareVersion".into(), v.clone().into());
            }
            let launch = format!("{}/datalab-launch-wizard/{}", site.launch_base, a.id);
            m.insert(
                "potentialAction".into(),
                json!({
                    "@type": "UseAction",
                    "name": "Launch this datalab",
                    "target": {"@type": "EntryPoint", "urlTemplate": launch}
                }),
            );
            let mut features: Vec<String> = a.property.clone();
            features.extend(
                a.associated_file_type
                    .iter()
                    .map(|f| format!("Opens {f} files")),
            );
            put(&mut m, "featureList", json!(features));
            m.insert("isAccessibleForFree".into(), true.into());
        }
        "Pipeline" => {
            m.insert(
                "@type".into(),
                json!(["SoftwareSourceCode", "bioschemas:ComputationalWorkflow"]),
            );
            m.insert("dct:conformsTo".into(), json!({"@id": BIOSCHEMAS_WORKFLOW}));
            // The profile's other required properties: when it was made (else when it was
            // published here), who made it (else who publishes it), who wrote this description.
            if let Some(d) = a.date_created.as_ref().or(a.date_published.as_ref()) {
                m.insert("dateCreated".into(), d.clone().into());
            }
            if a.creator.is_empty()
                && let Some(p) = m.get("publisher").cloned()
            {
                m.insert("creator".into(), json!([p]));
            }
            m.insert(
                "sdPublisher".into(),
                json!({"@type": "Organization", "name": site.publisher, "url": format!("{}/", site.base_url)}),
            );
            m.insert(
                "programmingLanguage".into(),
                json!({"@type": "ComputerLanguage", "name": "CWL", "url": "https://www.commonwl.org/"}),
            );
            if let Some(p) = &a.pipeline {
                let steps: Vec<Value> = p
                    .steps
                    .iter()
                    .enumerate()
                    .map(|(i, s)| {
                        json!({"@type": "SoftwareApplication", "name": s.id, "position": i + 1})
                    })
                    .collect();
                put(&mut m, "hasPart", Value::Array(steps));
                let params = |list: &[crate::model::asset::Parameter]| -> Value {
                    Value::Array(
                        list.iter()
                            .map(|x| {
                                let mut p = Map::new();
                                p.insert("@type".into(), "bioschemas:FormalParameter".into());
                                p.insert("name".into(), x.id.clone().into());
                                if let Some(t) = &x.kind {
                                    p.insert("additionalType".into(), t.clone().into());
                                }
                                if let Some(l) = &x.label {
                                    p.insert("description".into(), l.clone().into());
                                }
                                Value::Object(p)
                            })
                            .collect(),
                    )
                };
                // Required by the profile, so written even when empty.
                m.insert("bioschemas:input".into(), params(&p.inputs));
                m.insert("bioschemas:output".into(), params(&p.outputs));
                if let Some(e) = &p.entry_point {
                    m.insert(
                        "mainEntity".into(),
                        json!({"@type": "CreativeWork", "name": e}),
                    );
                }
                if let Some(engine) = &p.default_engine {
                    m.insert("runtimePlatform".into(), engine.clone().into());
                }
            }
        }
        // Other registries' services and resources (organisations, standards…) are not
        // datasets: a Dataset type would put them into dataset search.
        "Service" => {
            m.insert("@type".into(), "WebAPI".into());
        }
        "Resource" => {
            m.insert("@type".into(), "CreativeWork".into());
        }
        _ => {
            m.insert("@type".into(), "Dataset".into());
            m.insert("isAccessibleForFree".into(), true.into());
            m.insert(
                "includedInDataCatalog".into(),
                json!({"@type": "DataCatalog", "name": site.catalog_name, "url": format!("{}/", site.base_url)}),
            );
            let downloads: Vec<Value> = a
                .distribution
                .iter()
                .map(|d| {
                    let mut x = Map::new();
                    x.insert("@type".into(), "DataDownload".into());
                    x.insert(
                        "contentUrl".into(),
                        d.download_url
                            .clone()
                            .unwrap_or_else(|| d.access_url.clone())
                            .into(),
                    );
                    let format = d.media_type.clone().or_else(|| d.format.clone());
                    if let Some(f) = format {
                        x.insert("encodingFormat".into(), f.into());
                    }
                    if let Some(t) = &d.title {
                        x.insert("name".into(), t.clone().into());
                    }
                    if let Some(n) = d.byte_size {
                        x.insert("contentSize".into(), format!("{n} B").into());
                    }
                    Value::Object(x)
                })
                .collect();
            put(&mut m, "distribution", Value::Array(downloads));
            if let Some(c) = &a.coverage {
                if let Some(t) = &c.temporal {
                    put(&mut m, "temporalCoverage", t.clone().into());
                }
                if let Some(place) = &c.spatial {
                    let mut p = Map::new();
                    p.insert("@type".into(), "Place".into());
                    if let Some(n) = &place.name {
                        p.insert("name".into(), n.clone().into());
                    }
                    if let Some(b) = place.bbox.as_ref().filter(|b| b.len() == 4) {
                        p.insert(
                            "geo".into(),
                            json!({"@type": "GeoShape", "box": format!("{} {} {} {}", b[0], b[1], b[2], b[3])}),
                        );
                    }
                    m.insert("spatialCoverage".into(), Value::Object(p));
                }
            }
            put(
                &mut m,
                "measurementTechnique",
                json!(
                    a.waveband
                        .iter()
                        .map(|w| format!("{w} observations"))
                        .collect::<Vec<_>>()
                ),
            );
        }
    }
    Value::Object(m)
}

/// The catalogue itself as a `DataCatalog` (`/catalog.jsonld`); its datasets point to it with
/// `includedInDataCatalog`, and the sitemap lists their pages.
pub fn catalog(site: &Site) -> Value {
    json!({
        "@context": plain_context(),
        "@type": "DataCatalog",
        "@id": format!("{}/", site.base_url),
        "name": site.catalog_name,
        "description": "The catalogue of a science platform: datalabs, pipelines, datasets and data volumes, each with a landing page, linked data and launch links.",
        "url": format!("{}/", site.base_url),
        "publisher": {"@type": "Organization", "name": site.publisher}
    })
}
