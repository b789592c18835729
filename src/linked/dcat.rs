//! The catalogue as DCAT-AP 3 (for EU open-data portals): one `dcat:Catalog`, a `dcat:Dataset`
//! with its `dcat:Distribution`s for every public dataset and data volume, and a
//! `dcat:DataService` for each protocol endpoint that serves the catalogue.
//!
//! DCAT-AP's SHACL shapes check the class of every object, so every node written here is typed
//! (publishers `foaf:Agent`, licences `dct:LicenseDocument`, media types `dct:MediaType`,
//! periods `dct:PeriodOfTime`, pages `foaf:Document`, contacts `vcard:Kind`).

use oxigraph::model::vocab::{rdf, xsd};
use oxigraph::model::{Literal, NamedNode, Term, Triple};

use crate::model::{Asset, Scheme, Vocabularies, ns};

const DCAT: &str = "http://www.w3.org/ns/dcat#";
const DCT: &str = "http://purl.org/dc/terms/";
const FOAF: &str = "http://xmlns.com/foaf/0.1/";
const VCARD: &str = "http://www.w3.org/2006/vcard/ns#";
const SKOS: &str = "http://www.w3.org/2004/02/skos/core#";
/// The EU data theme every entry belongs to, from the theme taxonomy DCAT-AP recommends.
const THEMES: &str = "http://publications.europa.eu/resource/authority/data-theme";
const THEME: &str = "http://publications.europa.eu/resource/authority/data-theme/TECH";
const LANGUAGE: &str = "http://publications.europa.eu/resource/authority/language/ENG";

fn n(ns: &str, local: &str) -> NamedNode {
    NamedNode::new_unchecked(format!("{ns}{local}"))
}

/// An IRI from text that may not be one (user data): `None` when it is not valid.
fn iri(text: &str) -> Option<NamedNode> {
    NamedNode::new(text).ok()
}

fn en(text: &str) -> Term {
    Literal::new_language_tagged_literal_unchecked(text, "en").into()
}

fn stamp(text: &str) -> Term {
    if chrono::DateTime::parse_from_rfc3339(text).is_ok() {
        Literal::new_typed_literal(text, xsd::DATE_TIME).into()
    } else {
        Literal::new_typed_literal(text, xsd::DATE).into()
    }
}

/// Collects triples.
struct Out(Vec<Triple>);

impl Out {
    fn add(&mut self, s: &NamedNode, p: NamedNode, o: impl Into<Term>) {
        self.0.push(Triple::new(s.clone(), p, o.into()));
    }

    fn typed(&mut self, s: &NamedNode, class: NamedNode) {
        self.add(s, rdf::TYPE.into_owned(), class);
    }
}

/// The catalogue's own triples: the `dcat:Catalog`, its publisher and its data services.
pub fn catalog(base: &str, title: &str, publisher: &str, email: &str) -> Vec<Triple> {
    let mut o = Out(Vec::new());
    let cat = n(base, "/");
    let scheme = n(THEMES, "");
    o.typed(&scheme, n(SKOS, "ConceptScheme"));
    o.add(&scheme, n(DCT, "title"), en("Data theme"));
    o.add(&cat, n(DCAT, "themeTaxonomy"), scheme);
    let theme = n(THEME, "");
    o.typed(&theme, n(SKOS, "Concept"));
    o.add(&theme, n(SKOS, "prefLabel"), en("Science and technology"));
    let language = n(LANGUAGE, "");
    o.typed(&language, n(DCT, "LinguisticSystem"));
    o.add(&cat, n(DCT, "language"), language);
    let contact = n(base, "/#contact");
    o.typed(&contact, n(VCARD, "Kind"));
    o.add(
        &contact,
        n(VCARD, "fn"),
        Literal::new_simple_literal(publisher),
    );
    if let Some(mail) = iri(&format!("mailto:{email}")) {
        o.add(&contact, n(VCARD, "hasEmail"), mail);
    }
    o.typed(&cat, n(DCAT, "Catalog"));
    o.add(&cat, n(DCT, "title"), en(title));
    o.add(
        &cat,
        n(DCT, "description"),
        en("The catalogue of a science platform: datalabs, pipelines, datasets and data volumes."),
    );
    let agent = n(base, "/#publisher");
    o.typed(&agent, n(FOAF, "Agent"));
    o.add(
        &agent,
        n(FOAF, "name"),
        Literal::new_simple_literal(publisher),
    );
    o.add(&cat, n(DCT, "publisher"), agent.clone());
    let home = n(base, "/");
    o.add(&cat, n(FOAF, "homepage"), home.clone());
    o.typed(&home, n(FOAF, "Document"));
    for (local, title, endpoint, standard) in [
        (
            "oai",
            "OAI-PMH publishing registry (VOResource records)",
            "/oai",
            "http://www.openarchives.org/OAI/2.0/",
        ),
        (
            "sitemap",
            "Sitemap of the landing pages",
            "/sitemap.xml",
            "http://www.sitemaps.org/schemas/sitemap/0.9",
        ),
    ] {
        let svc = n(base, &format!("/dcat#{local}"));
        o.typed(&svc, n(DCAT, "DataService"));
        o.add(&svc, n(DCT, "title"), en(title));
        o.add(&svc, n(DCAT, "endpointURL"), n(base, endpoint));
        o.add(&svc, n(DCAT, "contactPoint"), contact.clone());
        o.add(&svc, n(DCT, "publisher"), agent.clone());
        o.add(&svc, n(DCAT, "theme"), theme.clone());
        let std = n(standard, "");
        o.add(&svc, n(DCT, "conformsTo"), std.clone());
        o.typed(&std, n(DCT, "Standard"));
        o.add(&cat, n(DCAT, "service"), svc);
    }
    o.0
}

/// Whether an asset is described as a DCAT dataset.
pub fn is_dataset(a: &Asset) -> bool {
    matches!(a.kind.as_str(), "Dataset" | "DataVolume")
}

/// The triples of one public dataset, and its membership in the catalogue.
pub fn dataset(base: &str, a: &Asset, vocab: &Vocabularies) -> Vec<Triple> {
    let mut o = Out(Vec::new());
    let cat = n(base, "/");
    let d = n(base, &format!("/id/{}", a.id));
    o.add(&cat, n(DCAT, "dataset"), d.clone());
    o.typed(&d, n(DCAT, "Dataset"));
    o.add(&d, n(DCAT, "theme"), n(THEME, ""));
    o.add(&d, n(DCT, "title"), en(&a.name));
    let description = a
        .abstract_
        .clone()
        .or_else(|| a.description.clone())
        .unwrap_or_else(|| a.name.clone());
    o.add(&d, n(DCT, "description"), en(&description));
    o.add(
        &d,
        n(DCT, "identifier"),
        Literal::new_simple_literal(format!("{base}/id/{}", a.id)),
    );
    for k in a.keywords.iter().chain(&a.mission) {
        o.add(&d, n(DCAT, "keyword"), en(k));
    }
    let page = n(base, &format!("/assets/{}", a.id));
    o.add(&d, n(DCAT, "landingPage"), page.clone());
    o.typed(&page, n(FOAF, "Document"));
    if let Some(t) = &a.date_published {
        o.add(&d, n(DCT, "issued"), stamp(t));
    }
    if let Some(t) = &a.date_modified {
        o.add(&d, n(DCT, "modified"), stamp(t));
    }
    if let Some(v) = &a.version {
        o.add(&d, n(DCAT, "version"), Literal::new_simple_literal(v));
    }
    match a.publisher.as_ref().map(|p| p.name.clone()) {
        Some(p) => {
            let agent = n(base, &format!("/id/{}#publisher", a.id));
            o.typed(&agent, n(FOAF, "Agent"));
            o.add(&agent, n(FOAF, "name"), Literal::new_simple_literal(p));
            o.add(&d, n(DCT, "publisher"), agent);
        }
        None => o.add(&d, n(DCT, "publisher"), n(base, "/#publisher")),
    }
    if !a.creator.iter().any(|c| c.email.is_some()) {
        o.add(&d, n(DCAT, "contactPoint"), n(base, "/#contact"));
    }
    for (i, c) in a.creator.iter().enumerate() {
        let agent = n(base, &format!("/id/{}#creator-{i}", a.id));
        o.typed(&agent, n(FOAF, "Agent"));
        o.add(
            &agent,
            n(FOAF, "name"),
            Literal::new_simple_literal(&c.name),
        );
        o.add(&d, n(DCT, "creator"), agent);
        if let Some(e) = &c.email
            && let Some(mail) = iri(&format!("mailto:{e}"))
        {
            let kind = n(base, &format!("/id/{}#contact-{i}", a.id));
            o.typed(&kind, n(VCARD, "Kind"));
            o.add(&kind, n(VCARD, "fn"), Literal::new_simple_literal(&c.name));
            o.add(&kind, n(VCARD, "hasEmail"), mail);
            o.add(&d, n(DCAT, "contactPoint"), kind);
        }
    }
    if let Some(t) = a.coverage.as_ref().and_then(|c| c.temporal.as_deref())
        && let Some((start, end)) = t.split_once('/')
    {
        let period = n(base, &format!("/id/{}#temporal", a.id));
        o.typed(&period, n(DCT, "PeriodOfTime"));
        for (p, v) in [("startDate", start), ("endDate", end)] {
            if v != ".." && !v.is_empty() {
                o.add(&period, n(DCAT, p), stamp(v));
            }
        }
        o.add(&d, n(DCT, "temporal"), period);
    }
    let license = a
        .license
        .as_deref()
        .and_then(|l| vocab.by_label(Scheme::Licenses, l))
        .and_then(|c| c.page.as_deref())
        .and_then(iri);
    for (i, dist) in a.distribution.iter().enumerate() {
        let Some(access) = iri(&dist.access_url) else {
            continue;
        };
        let x = n(base, &format!("/id/{}#distribution-{i}", a.id));
        o.typed(&x, n(DCAT, "Distribution"));
        o.add(&x, n(DCAT, "accessURL"), access);
        if let Some(u) = dist.download_url.as_deref().and_then(iri) {
            o.add(&x, n(DCAT, "downloadURL"), u);
        }
        if let Some(t) = &dist.title {
            o.add(&x, n(DCT, "title"), en(t));
        }
        o.add(
            &x,
            n(DCT, "description"),
            en(&format!(
                "Access to {}",
                dist.title.as_deref().unwrap_or(&a.name)
            )),
        );
        if let Some(m) = dist
            .media_type
            .as_deref()
            .and_then(|m| iri(&format!("{}{m}", ns::IANA_MEDIA)))
        {
            o.typed(&m, n(DCT, "MediaType"));
            o.add(&x, n(DCAT, "mediaType"), m);
        }
        if let Some(size) = dist.byte_size {
            o.add(
                &x,
                n(DCAT, "byteSize"),
                Literal::new_typed_literal(size.to_string(), xsd::NON_NEGATIVE_INTEGER),
            );
        }
        if let Some(l) = &license {
            o.typed(l, n(DCT, "LicenseDocument"));
            o.add(&x, n(DCT, "license"), l.clone());
        }
        o.add(&d, n(DCAT, "distribution"), x);
    }
    o.0
}
