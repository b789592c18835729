//! Asset → quads: every field in the graph its visibility names (public or private), nodes of
//! their own for coverage, distributions, a pipeline's parts and a datalab's image.

use super::*;

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
            self.add_opt("pipeline", &node, &[p(ESADO, "doc")], param.doc.as_deref());
            self.add_opt(
                "pipeline",
                &node,
                &[p(ESADO, "defaultValue")],
                param.default.as_deref(),
            );
            self.add_opt(
                "pipeline",
                &node,
                &[p(ESADO, "format")],
                param.format.as_deref(),
            );
            if param.optional {
                self.add(
                    "pipeline",
                    &node,
                    p(ESADO, "optional"),
                    typed("true", "boolean"),
                );
            }
        }
    }
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
    for implied in super::implied_classes(class.as_str()) {
        w.add(
            "type",
            &s,
            NamedNode::new_unchecked(ns::RDF_TYPE),
            NamedNode::new_unchecked(*implied).into(),
        );
    }
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
        for band in &c.spectral {
            self.add_opt("coverage", s, &[p(ESADO, "spectralCoverage")], Some(band));
        }
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
        for (property, value) in [
            ("cwlVersion", &pl.cwl_version),
            ("processClass", &pl.process_class),
        ] {
            self.add_opt("pipeline", s, &[p(ESADO, property)], value.as_deref());
        }
        if let Some(repo) = &pl.code_repository {
            // A web address as an IRI; anything else (an scp-like git address) as text.
            let o: Term = match NamedNode::new(repo) {
                Ok(iri) => iri.into(),
                Err(_) => text(repo),
            };
            self.add("pipeline", s, p(SDO, "codeRepository"), o);
        }
        for r in &pl.requirements {
            self.add("pipeline", s, p(ESADO, "requirement"), text(r));
        }
        for image in &pl.images {
            self.add("pipeline", s, p(ESADO, "containerImage"), text(image));
        }
        for (i, step) in pl.steps.iter().enumerate() {
            let node = self.positioned("pipeline", p(ESADO, "step"), "step", i);
            self.add("pipeline", &node, p(SDO, "name"), text(&step.id));
            let scatter = (!step.scatter.is_empty()).then(|| step.scatter.join(" "));
            for (property, value) in [
                ("run", &step.run),
                ("runs", &step.runs),
                ("scatter", &scatter),
                ("scatterMethod", &step.scatter_method),
                ("when", &step.when),
            ] {
                self.add_opt("pipeline", &node, &[p(ESADO, property)], value.as_deref());
            }
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
        self.add_opt(
            "datalabImage",
            &node,
            &[p(ESADO, "defaultUrl")],
            img.default_url.as_deref(),
        );
        for m in &img.mount_paths {
            self.add("datalabImage", &node, p(ESADO, "mountPath"), text(m));
        }
        Ok(())
    }
}
