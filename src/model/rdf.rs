//! The exact two-way mapping between an asset document and RDF.
//!
//! Every field goes to the asset's public or private named graph as the field table says.
//! Ordered lists (creators, distributions, pipeline steps and parameters) become nodes
//! `{iri}#{kind}-{n}` carrying `schema:position`; sets (keywords, vocabulary values) become
//! repeated triples and come back sorted. A normalised asset (see `vocab`) maps to RDF and back
//! unchanged.

use std::collections::{BTreeMap, HashMap};

use oxigraph::model::{GraphName, Literal, NamedNode, NamedOrBlankNode, Quad, Term};

use super::asset::*;
use super::fields::{self, Visibility};
use super::ns::{self, DCAT, DCT, ESADO, SDO, XSD};
use super::vocab::{Scheme, Vocabularies};

/// Where an asset lives in the store.
#[derive(Debug, Clone)]
pub struct AssetIris {
    pub subject: NamedNode,
    pub public: NamedNode,
    pub private: NamedNode,
}

impl AssetIris {
    pub fn new(base: &str, id: &str) -> AssetIris {
        AssetIris {
            subject: NamedNode::new_unchecked(format!("{base}/id/{id}")),
            public: NamedNode::new_unchecked(format!("{base}/graph/{id}/public")),
            private: NamedNode::new_unchecked(format!("{base}/graph/{id}/private")),
        }
    }

    fn node(&self, fragment: &str) -> NamedNode {
        NamedNode::new_unchecked(format!("{}#{fragment}", self.subject.as_str()))
    }
}

/// Why an asset could not be mapped to or from RDF.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum MappingError {
    #[error("{pointer}: {value:?} is not a valid IRI")]
    BadIri { pointer: String, value: String },
    #[error("{pointer}: {value:?} is not a known {scheme} value")]
    UnknownConcept {
        pointer: String,
        value: String,
        scheme: &'static str,
    },
    #[error("stored asset {id} is malformed: {message}")]
    Stored { id: String, message: String },
}

fn p(ns: &str, local: &str) -> NamedNode {
    NamedNode::new_unchecked(format!("{ns}{local}"))
}

fn typed(value: &str, datatype: &str) -> Term {
    Literal::new_typed_literal(value, p(XSD, datatype)).into()
}

fn text(value: &str) -> Term {
    Literal::new_simple_literal(value).into()
}

/// Writes quads for one asset.
struct Writer<'a> {
    iris: &'a AssetIris,
    vocab: &'a Vocabularies,
    base: &'a str,
    quads: Vec<Quad>,
}

impl Writer<'_> {
    fn graph(&self, key: &str) -> GraphName {
        match fields::field(key).map(|f| f.visibility) {
            Some(Visibility::Private) => self.iris.private.clone().into(),
            _ => self.iris.public.clone().into(),
        }
    }

    fn add(&mut self, key: &str, s: &NamedNode, pred: NamedNode, o: Term) {
        let g = self.graph(key);
        self.quads.push(Quad::new(s.clone(), pred, o, g));
    }

    fn add_opt(&mut self, key: &str, s: &NamedNode, preds: &[NamedNode], o: Option<&str>) {
        if let Some(v) = o {
            for pred in preds {
                self.add(key, s, pred.clone(), text(v));
            }
        }
    }

    fn iri(&self, pointer: impl Fn() -> String, value: &str) -> Result<NamedNode, MappingError> {
        NamedNode::new(value).map_err(|_| MappingError::BadIri {
            pointer: pointer(),
            value: value.to_owned(),
        })
    }

    fn concept(
        &self,
        scheme: Scheme,
        pointer: String,
        value: &str,
    ) -> Result<NamedNode, MappingError> {
        self.vocab
            .by_label(scheme, value)
            .map(|c| NamedNode::new_unchecked(c.iri.clone()))
            .ok_or(MappingError::UnknownConcept {
                pointer,
                value: value.to_owned(),
                scheme: scheme.slug(),
            })
    }

    fn concepts(
        &mut self,
        key: &str,
        pred: NamedNode,
        scheme: Scheme,
        values: &[String],
    ) -> Result<(), MappingError> {
        let s = self.iris.subject.clone();
        for (i, v) in values.iter().enumerate() {
            let c = self.concept(scheme, format!("/{key}/{i}"), v)?;
            self.add(key, &s, pred.clone(), c.into());
        }
        Ok(())
    }

    fn agent(
        &mut self,
        key: &str,
        node: &NamedNode,
        a: &Agent,
        pointer: &str,
    ) -> Result<(), MappingError> {
        if let Some(kind) = a.kind {
            let class = match kind {
                AgentKind::Person => "Person",
                AgentKind::Organization => "Organization",
            };
            self.add(
                key,
                node,
                NamedNode::new_unchecked(ns::RDF_TYPE),
                p(SDO, class).into(),
            );
        }
        self.add(key, node, p(SDO, "name"), text(&a.name));
        self.add_opt(key, node, &[p(SDO, "email")], a.email.as_deref());
        self.add_opt(
            key,
            node,
            &[p(SDO, "affiliation")],
            a.affiliation.as_deref(),
        );
        if let Some(orcid) = &a.orcid {
            let o = self.iri(
                || format!("{pointer}/orcid"),
                &format!("{}{orcid}", ns::ORCID),
            )?;
            self.add(key, node, p(SDO, "sameAs"), o.into());
        }
        if let Some(url) = &a.url {
            let o = self.iri(|| format!("{pointer}/url"), url)?;
            self.add(key, node, p(SDO, "url"), o.into());
        }
        Ok(())
    }

    fn positioned(&mut self, key: &str, link: NamedNode, fragment: &str, i: usize) -> NamedNode {
        let node = self.iris.node(&format!("{fragment}-{i}"));
        let s = self.iris.subject.clone();
        self.add(key, &s, link, node.clone().into());
        self.add(
            key,
            &node,
            p(SDO, "position"),
            typed(&i.to_string(), "integer"),
        );
        node
    }

    fn parameters(&mut self, link: &str, params: &[Parameter]) {
        for (i, param) in params.iter().enumerate() {
            let node = self.positioned("pipeline", p(ESADO, link), link, i);
            self.add("pipeline", &node, p(SDO, "name"), text(&param.id));
            self.add_opt(
                "pipeline",
                &node,
                &[p(ESADO, "parameterType")],
                param.kind.as_deref(),
            );
            self.add_opt(
                "pipeline",
                &node,
                &[p(SDO, "description")],
                param.label.as_deref(),
            );
        }
    }
}

/// The IANA IRI of a media type. `#` and `^` (allowed in media type names, not as such in an
/// IRI path) are percent-encoded; the schema admits no `%`, so decoding is exact.
fn media_type_iri(media_type: &str) -> String {
    format!(
        "{}{}",
        ns::IANA_MEDIA,
        media_type.replace('#', "%23").replace('^', "%5E")
    )
}

fn media_type_from_iri(iri: &str) -> String {
    iri.strip_prefix(ns::IANA_MEDIA)
        .unwrap_or(iri)
        .replace("%23", "#")
        .replace("%5E", "^")
}

fn numbers(values: &[f64]) -> String {
    values
        .iter()
        .map(f64::to_string)
        .collect::<Vec<_>>()
        .join(" ")
}

/// Maps a normalised asset to quads in its public and private graphs.
pub fn to_quads(
    asset: &Asset,
    base: &str,
    vocab: &Vocabularies,
) -> Result<Vec<Quad>, MappingError> {
    let iris = AssetIris::new(base, &asset.id);
    let mut w = Writer {
        iris: &iris,
        vocab,
        base,
        quads: Vec::with_capacity(64),
    };
    let s = iris.subject.clone();
    let class = w.concept(Scheme::AssetTypes, "/type".into(), &asset.kind)?;
    w.add(
        "type",
        &s,
        NamedNode::new_unchecked(ns::RDF_TYPE),
        class.into(),
    );
    w.add_opt(
        "name",
        &s,
        &[p(SDO, "name"), p(DCT, "title")],
        Some(&asset.name),
    );
    w.add_opt(
        "alternateName",
        &s,
        &[p(SDO, "alternateName")],
        asset.alternate_name.as_deref(),
    );
    w.add_opt(
        "abstract",
        &s,
        &[p(SDO, "abstract")],
        asset.abstract_.as_deref(),
    );
    w.add_opt(
        "description",
        &s,
        &[p(SDO, "description"), p(DCT, "description")],
        asset.description.as_deref(),
    );
    for k in &asset.keywords {
        w.add_opt(
            "keywords",
            &s,
            &[p(DCAT, "keyword"), p(SDO, "keywords")],
            Some(k),
        );
    }
    w.concepts("domain", p(ESADO, "domain"), Scheme::Domains, &asset.domain)?;
    w.concepts(
        "property",
        p(ESADO, "assetProperty"),
        Scheme::Properties,
        &asset.property,
    )?;
    w.concepts(
        "mission",
        p(ESADO, "mission"),
        Scheme::Missions,
        &asset.mission,
    )?;
    w.concepts(
        "waveband",
        p(ESADO, "waveband"),
        Scheme::Wavebands,
        &asset.waveband,
    )?;
    w.concepts(
        "associatedFileType",
        p(ESADO, "associatedFileType"),
        Scheme::FileTypes,
        &asset.associated_file_type,
    )?;
    w.concepts(
        "audienceType",
        p(SDO, "audienceType"),
        Scheme::Audiences,
        &asset.audience_type,
    )?;
    if let Some(b) = asset.esa_official {
        w.add(
            "ESAOfficial",
            &s,
            p(ESADO, "ESAOfficial"),
            typed(if b { "true" } else { "false" }, "boolean"),
        );
    }
    w.add_opt(
        "citation",
        &s,
        &[p(SDO, "citation")],
        asset.citation.as_deref(),
    );
    if let Some(l) = &asset.license {
        let c = w.concept(Scheme::Licenses, "/license".into(), l)?;
        w.add("license", &s, p(SDO, "license"), c.clone().into());
        w.add("license", &s, p(DCT, "license"), c.into());
    }
    w.add_opt(
        "version",
        &s,
        &[p(SDO, "version")],
        asset.version.as_deref(),
    );
    for (i, a) in asset.creator.iter().enumerate() {
        let node = w.positioned("creator", p(SDO, "creator"), "creator", i);
        w.agent("creator", &node, a, &format!("/creator/{i}"))?;
    }
    if let Some(a) = &asset.publisher {
        let node = iris.node("publisher");
        w.add("publisher", &s, p(SDO, "publisher"), node.clone().into());
        w.add("publisher", &s, p(DCT, "publisher"), node.clone().into());
        w.agent("publisher", &node, a, "/publisher")?;
    }
    w.add_opt(
        "identifier",
        &s,
        &[p(SDO, "identifier"), p(DCT, "identifier")],
        asset.identifier.as_deref(),
    );
    if let Some(url) = &asset.url {
        let o = w.iri(|| "/url".into(), url)?;
        w.add("url", &s, p(SDO, "url"), o.into());
    }
    if let Some(c) = &asset.coverage {
        w.coverage(&s, c)?;
    }
    w.distributions(&asset.distribution)?;
    for other in &asset.analysable_with {
        let o = NamedNode::new_unchecked(format!("{}/id/{other}", w.base));
        w.add("analysableWith", &s, p(ESADO, "analysableWith"), o.into());
    }
    if let Some(v) = &asset.volume {
        w.add("volume", &s, p(ESADO, "mountPath"), text(&v.mount_path));
    }
    if let Some(pl) = &asset.pipeline {
        w.pipeline(&s, pl)?;
    }
    if let Some(n) = asset.popularity {
        w.add(
            "popularity",
            &s,
            p(ESADO, "popularity"),
            typed(&n.to_string(), "nonNegativeInteger"),
        );
    }
    if let Some(d) = &asset.date_published {
        w.add(
            "datePublished",
            &s,
            p(SDO, "datePublished"),
            typed(d, "dateTime"),
        );
    }
    if let Some(d) = &asset.date_modified {
        w.add(
            "dateModified",
            &s,
            p(SDO, "dateModified"),
            typed(d, "dateTime"),
        );
    }
    if let Some(d) = &asset.date_created {
        w.add("dateCreated", &s, p(SDO, "dateCreated"), typed(d, "date"));
    }
    if let Some(img) = &asset.datalab_image {
        w.datalab_image(&s, img)?;
    }
    if let Some(v) = &asset.visibility {
        if let Some(a) = v.audience {
            w.add("visibility", &s, p(ESADO, "audience"), text(a.as_str()));
        }
        for u in &v.users {
            w.add("visibility", &s, p(ESADO, "allowedUser"), text(u));
        }
        for g in &v.groups {
            w.add("visibility", &s, p(ESADO, "allowedGroup"), text(g));
        }
    }
    if let Some(b) = &asset.build {
        w.add_opt("build", &s, &[p(ESADO, "buildStatus")], b.status.as_deref());
        if let Some(d) = &b.date {
            w.add("build", &s, p(ESADO, "buildDate"), typed(d, "dateTime"));
        }
        w.add_opt(
            "build",
            &s,
            &[p(ESADO, "buildVersion")],
            b.version.as_deref(),
        );
        w.add_opt("build", &s, &[p(ESADO, "buildLog")], b.log.as_deref());
    }
    if let Some(st) = asset.status {
        w.add(
            "status",
            &s,
            p(ESADO, "publicationStatus"),
            text(st.as_str()),
        );
    }
    w.add_opt(
        "moderatorComment",
        &s,
        &[p(ESADO, "moderatorComment")],
        asset.moderator_comment.as_deref(),
    );
    w.add_opt("owner", &s, &[p(ESADO, "owner")], asset.owner.as_deref());
    w.add_opt("ivoid", &s, &[p(ESADO, "ivoid")], asset.ivoid.as_deref());
    w.add_opt(
        "voresource",
        &s,
        &[p(ESADO, "voresource")],
        asset.voresource.as_deref(),
    );
    Ok(w.quads)
}

/// The parts of an asset with nodes of their own.
impl Writer<'_> {
    /// Sky, time and place coverage.
    fn coverage(&mut self, s: &NamedNode, c: &Coverage) -> Result<(), MappingError> {
        self.add_opt(
            "coverage",
            s,
            &[p(SDO, "temporalCoverage")],
            c.temporal.as_deref(),
        );
        if let Some(sky) = &c.sky {
            let node = self.iris.node("sky");
            self.add("coverage", s, p(ESADO, "skyCoverage"), node.clone().into());
            self.add("coverage", &node, p(ESADO, "frame"), text(&sky.frame));
            self.add_opt(
                "coverage",
                &node,
                &[p(ESADO, "circle")],
                sky.circle.as_deref().map(numbers).as_deref(),
            );
            self.add_opt(
                "coverage",
                &node,
                &[p(ESADO, "polygon")],
                sky.polygon.as_deref().map(numbers).as_deref(),
            );
            self.add_opt("coverage", &node, &[p(ESADO, "moc")], sky.moc.as_deref());
        }
        if let Some(place) = &c.spatial {
            let node = self.iris.node("place");
            self.add(
                "coverage",
                s,
                p(SDO, "spatialCoverage"),
                node.clone().into(),
            );
            self.add(
                "coverage",
                &node,
                NamedNode::new_unchecked(ns::RDF_TYPE),
                p(SDO, "Place").into(),
            );
            self.add_opt("coverage", &node, &[p(SDO, "name")], place.name.as_deref());
            if let Some(b) = &place.bbox {
                let geo = self.iris.node("geo");
                self.add("coverage", &node, p(SDO, "geo"), geo.clone().into());
                self.add(
                    "coverage",
                    &geo,
                    NamedNode::new_unchecked(ns::RDF_TYPE),
                    p(SDO, "GeoShape").into(),
                );
                self.add("coverage", &geo, p(SDO, "box"), text(&numbers(b)));
            }
        }
        Ok(())
    }

    /// The distributions, each a node of its own, in order.
    fn distributions(&mut self, all: &[Distribution]) -> Result<(), MappingError> {
        for (i, d) in all.iter().enumerate() {
            let node = self.positioned("distribution", p(DCAT, "distribution"), "distribution", i);
            let ptr = |f: &str| format!("/distribution/{i}/{f}");
            self.add(
                "distribution",
                &node,
                NamedNode::new_unchecked(ns::RDF_TYPE),
                p(DCAT, "Distribution").into(),
            );
            let access = self.iri(|| ptr("accessURL"), &d.access_url)?;
            self.add("distribution", &node, p(DCAT, "accessURL"), access.into());
            if let Some(u) = &d.download_url {
                let o = self.iri(|| ptr("downloadURL"), u)?;
                self.add("distribution", &node, p(DCAT, "downloadURL"), o.into());
            }
            if let Some(m) = &d.media_type {
                let o = self.iri(|| ptr("mediaType"), &media_type_iri(m))?;
                self.add("distribution", &node, p(DCAT, "mediaType"), o.into());
            }
            if let Some(f) = &d.format {
                let c = self.concept(Scheme::FileTypes, ptr("format"), f)?;
                self.add("distribution", &node, p(DCT, "format"), c.into());
            }
            if let Some(n) = d.byte_size {
                self.add(
                    "distribution",
                    &node,
                    p(DCAT, "byteSize"),
                    typed(&n.to_string(), "nonNegativeInteger"),
                );
            }
            self.add_opt(
                "distribution",
                &node,
                &[p(DCT, "title")],
                d.title.as_deref(),
            );
        }
        Ok(())
    }

    /// A pipeline's steps, inputs and outputs.
    fn pipeline(&mut self, s: &NamedNode, pl: &PipelineInfo) -> Result<(), MappingError> {
        self.add_opt(
            "pipeline",
            s,
            &[p(ESADO, "entryPoint")],
            pl.entry_point.as_deref(),
        );
        self.add_opt(
            "pipeline",
            s,
            &[p(ESADO, "executionEngine")],
            pl.default_engine.as_deref(),
        );
        for (i, step) in pl.steps.iter().enumerate() {
            let node = self.positioned("pipeline", p(ESADO, "step"), "step", i);
            self.add("pipeline", &node, p(SDO, "name"), text(step));
        }
        self.parameters("input", &pl.inputs);
        self.parameters("output", &pl.outputs);
        Ok(())
    }

    /// A datalab's container image.
    fn datalab_image(&mut self, s: &NamedNode, img: &DatalabImage) -> Result<(), MappingError> {
        let node = self.iris.node("image");
        self.add(
            "datalabImage",
            s,
            p(ESADO, "datalabImage"),
            node.clone().into(),
        );
        self.add_opt(
            "datalabImage",
            &node,
            &[p(SDO, "identifier")],
            img.id.as_deref(),
        );
        self.add_opt(
            "datalabImage",
            &node,
            &[p(SDO, "version")],
            img.platform.as_deref(),
        );
        for k in &img.keyword {
            self.add("datalabImage", &node, p(DCAT, "keyword"), text(k));
        }
        Ok(())
    }
}

/// Triples grouped by subject then predicate, for reading.
struct Reader<'a> {
    id: &'a str,
    vocab: &'a Vocabularies,
    by_subject: HashMap<String, BTreeMap<String, Vec<Term>>>,
}

impl Reader<'_> {
    fn err(&self, message: impl Into<String>) -> MappingError {
        MappingError::Stored {
            id: self.id.to_owned(),
            message: message.into(),
        }
    }

    fn objects(&self, s: &str, ns: &str, local: &str) -> &[Term] {
        self.by_subject
            .get(s)
            .and_then(|m| m.get(&format!("{ns}{local}")))
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }

    fn strings(&self, s: &str, ns: &str, local: &str) -> Vec<String> {
        let mut out: Vec<String> = self
            .objects(s, ns, local)
            .iter()
            .map(|t| match t {
                Term::Literal(l) => l.value().to_owned(),
                Term::NamedNode(n) => n.as_str().to_owned(),
                other => other.to_string(),
            })
            .collect();
        out.sort();
        out.dedup();
        out
    }

    fn one(&self, s: &str, ns: &str, local: &str) -> Option<String> {
        self.strings(s, ns, local).into_iter().next()
    }

    fn number<T: std::str::FromStr>(
        &self,
        s: &str,
        ns: &str,
        local: &str,
    ) -> Result<Option<T>, MappingError> {
        self.one(s, ns, local)
            .map(|v| {
                v.parse::<T>()
                    .map_err(|_| self.err(format!("{local} {v:?} is not a number")))
            })
            .transpose()
    }

    fn floats(&self, v: Option<String>) -> Result<Option<Vec<f64>>, MappingError> {
        v.map(|v| {
            v.split(' ')
                .map(|n| {
                    n.parse::<f64>()
                        .map_err(|_| self.err(format!("bad number list {v:?}")))
                })
                .collect()
        })
        .transpose()
    }

    fn concepts(
        &self,
        s: &str,
        ns: &str,
        local: &str,
        scheme: Scheme,
    ) -> Result<Vec<String>, MappingError> {
        let mut out = Vec::new();
        for iri in self.strings(s, ns, local) {
            let c = self
                .vocab
                .by_iri(scheme, &iri)
                .ok_or_else(|| self.err(format!("unknown {} concept {iri}", scheme.slug())))?;
            out.push(c.value(scheme).to_owned());
        }
        out.sort_by_key(|v| v.to_lowercase());
        Ok(out)
    }

    /// The nodes linked from `s` by a positioned list property, in position order.
    fn positioned(&self, s: &str, ns: &str, local: &str) -> Result<Vec<String>, MappingError> {
        let mut nodes = Vec::new();
        for node in self.strings(s, ns, local) {
            let pos: u64 = self
                .number(&node, SDO, "position")?
                .ok_or_else(|| self.err(format!("{node} has no position")))?;
            nodes.push((pos, node));
        }
        nodes.sort();
        Ok(nodes.into_iter().map(|(_, n)| n).collect())
    }

    fn agent(&self, node: &str) -> Agent {
        let kind = self
            .strings(node, ns::RDF_TYPE, "")
            .into_iter()
            .find_map(|t| match t.strip_prefix(SDO) {
                Some("Person") => Some(AgentKind::Person),
                Some("Organization") => Some(AgentKind::Organization),
                _ => None,
            });
        Agent {
            name: self.one(node, SDO, "name").unwrap_or_default(),
            kind,
            email: self.one(node, SDO, "email"),
            orcid: self
                .one(node, SDO, "sameAs")
                .and_then(|u| u.strip_prefix(ns::ORCID).map(str::to_owned)),
            affiliation: self.one(node, SDO, "affiliation"),
            url: self.one(node, SDO, "url"),
        }
    }

    fn parameters(&self, s: &str, link: &str) -> Result<Vec<Parameter>, MappingError> {
        Ok(self
            .positioned(s, ESADO, link)?
            .iter()
            .map(|n| Parameter {
                id: self.one(n, SDO, "name").unwrap_or_default(),
                kind: self.one(n, ESADO, "parameterType"),
                label: self.one(n, SDO, "description"),
            })
            .collect())
    }
}

/// Rebuilds an asset from the quads of whichever of its graphs the reader may see.
/// Returns `None` when the quads hold no asset (no type triple).
pub fn from_quads(
    id: &str,
    base: &str,
    vocab: &Vocabularies,
    quads: impl IntoIterator<Item = Quad>,
) -> Result<Option<Asset>, MappingError> {
    let mut by_subject: HashMap<String, BTreeMap<String, Vec<Term>>> = HashMap::new();
    for q in quads {
        let NamedOrBlankNode::NamedNode(s) = q.subject else {
            continue;
        };
        by_subject
            .entry(s.into_string())
            .or_default()
            .entry(q.predicate.into_string())
            .or_default()
            .push(q.object);
    }
    let r = Reader {
        id,
        vocab,
        by_subject,
    };
    let s = &AssetIris::new(base, id).subject.into_string();
    let Some(kind) = r
        .concepts(s, ns::RDF_TYPE, "", Scheme::AssetTypes)?
        .into_iter()
        .next()
    else {
        return Ok(None);
    };
    let creator = r
        .positioned(s, SDO, "creator")?
        .iter()
        .map(|n| r.agent(n))
        .collect();
    let publisher = r.one(s, SDO, "publisher").map(|n| r.agent(&n));
    let sky = match r.one(s, ESADO, "skyCoverage") {
        Some(n) => Some(SkyRegion {
            frame: r.one(&n, ESADO, "frame").unwrap_or_default(),
            circle: r.floats(r.one(&n, ESADO, "circle"))?,
            polygon: r.floats(r.one(&n, ESADO, "polygon"))?,
            moc: r.one(&n, ESADO, "moc"),
        }),
        None => None,
    };
    let spatial = match r.one(s, SDO, "spatialCoverage") {
        Some(n) => Some(Place {
            name: r.one(&n, SDO, "name"),
            bbox: r.floats(r.one(&n, SDO, "geo").and_then(|g| r.one(&g, SDO, "box")))?,
        }),
        None => None,
    };
    let temporal = r.one(s, SDO, "temporalCoverage");
    let coverage = (temporal.is_some() || sky.is_some() || spatial.is_some()).then_some(Coverage {
        temporal,
        sky,
        spatial,
    });
    let mut distribution = Vec::new();
    for n in r.positioned(s, DCAT, "distribution")? {
        let format = match r.one(&n, DCT, "format") {
            Some(iri) => Some(
                vocab
                    .by_iri(Scheme::FileTypes, &iri)
                    .ok_or_else(|| r.err(format!("unknown format {iri}")))?
                    .pref_label
                    .clone(),
            ),
            None => None,
        };
        distribution.push(Distribution {
            access_url: r.one(&n, DCAT, "accessURL").unwrap_or_default(),
            download_url: r.one(&n, DCAT, "downloadURL"),
            media_type: r
                .one(&n, DCAT, "mediaType")
                .map(|m| media_type_from_iri(&m)),
            format,
            byte_size: r.number(&n, DCAT, "byteSize")?,
            title: r.one(&n, DCT, "title"),
        });
    }
    let id_prefix = format!("{base}/id/");
    let analysable_with = r
        .strings(s, ESADO, "analysableWith")
        .into_iter()
        .filter_map(|i| i.strip_prefix(&id_prefix).map(str::to_owned))
        .collect();
    let entry_point = r.one(s, ESADO, "entryPoint");
    let default_engine = r.one(s, ESADO, "executionEngine");
    let steps: Vec<String> = r
        .positioned(s, ESADO, "step")?
        .iter()
        .map(|n| r.one(n, SDO, "name").unwrap_or_default())
        .collect();
    let inputs = r.parameters(s, "input")?;
    let outputs = r.parameters(s, "output")?;
    let pipeline = (entry_point.is_some()
        || default_engine.is_some()
        || !steps.is_empty()
        || !inputs.is_empty()
        || !outputs.is_empty())
    .then_some(PipelineInfo {
        entry_point,
        default_engine,
        steps,
        inputs,
        outputs,
    });
    let datalab_image = r.one(s, ESADO, "datalabImage").map(|n| DatalabImage {
        id: r.one(&n, SDO, "identifier"),
        platform: r.one(&n, SDO, "version"),
        keyword: r.strings(&n, DCAT, "keyword"),
    });
    let audience = match r.one(s, ESADO, "audience").as_deref() {
        Some("public") => Some(Audience::Public),
        Some("private") => Some(Audience::Private),
        Some(other) => return Err(r.err(format!("bad audience {other:?}"))),
        None => None,
    };
    let users = r.strings(s, ESADO, "allowedUser");
    let groups = r.strings(s, ESADO, "allowedGroup");
    let visibility =
        (audience.is_some() || !users.is_empty() || !groups.is_empty()).then_some(Sharing {
            audience,
            users,
            groups,
        });
    let build = Build {
        status: r.one(s, ESADO, "buildStatus"),
        date: r.one(s, ESADO, "buildDate"),
        version: r.one(s, ESADO, "buildVersion"),
        log: r.one(s, ESADO, "buildLog"),
    };
    let status = match r.one(s, ESADO, "publicationStatus") {
        Some(v) => Some(Status::parse(&v).ok_or_else(|| r.err(format!("bad status {v:?}")))?),
        None => None,
    };
    let license = match r.one(s, SDO, "license") {
        Some(iri) => Some(
            vocab
                .by_iri(Scheme::Licenses, &iri)
                .ok_or_else(|| r.err(format!("unknown licence {iri}")))?
                .value(Scheme::Licenses)
                .to_owned(),
        ),
        None => None,
    };
    Ok(Some(Asset {
        id: id.to_owned(),
        kind,
        name: r.one(s, SDO, "name").unwrap_or_default(),
        alternate_name: r.one(s, SDO, "alternateName"),
        abstract_: r.one(s, SDO, "abstract"),
        description: r.one(s, SDO, "description"),
        keywords: r.strings(s, DCAT, "keyword"),
        domain: r.concepts(s, ESADO, "domain", Scheme::Domains)?,
        property: r.concepts(s, ESADO, "assetProperty", Scheme::Properties)?,
        mission: r.concepts(s, ESADO, "mission", Scheme::Missions)?,
        waveband: r.concepts(s, ESADO, "waveband", Scheme::Wavebands)?,
        associated_file_type: r.concepts(s, ESADO, "associatedFileType", Scheme::FileTypes)?,
        audience_type: r.concepts(s, SDO, "audienceType", Scheme::Audiences)?,
        esa_official: r
            .one(s, ESADO, "ESAOfficial")
            .map(|v| v == "true" || v == "1"),
        citation: r.one(s, SDO, "citation"),
        license,
        version: r.one(s, SDO, "version"),
        creator,
        publisher,
        url: r.one(s, SDO, "url"),
        identifier: r.one(s, SDO, "identifier"),
        coverage,
        distribution,
        analysable_with,
        datalab_image,
        pipeline,
        volume: r
            .one(s, ESADO, "mountPath")
            .map(|mount_path| Volume { mount_path }),
        visibility,
        build: (build != Build::default()).then_some(build),
        status,
        moderator_comment: r.one(s, ESADO, "moderatorComment"),
        owner: r.one(s, ESADO, "owner"),
        ivoid: r.one(s, ESADO, "ivoid"),
        voresource: r.one(s, ESADO, "voresource"),
        popularity: r.number(s, ESADO, "popularity")?,
        date_created: r.one(s, SDO, "dateCreated"),
        date_published: r.one(s, SDO, "datePublished"),
        date_modified: r.one(s, SDO, "dateModified"),
        revision: None,
        links: None,
    }))
}
