//! Quads → asset: the exact inverse of `write`, from whichever of an asset's graphs the reader
//! may see.

use super::*;

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

    /// The asset classes of `s`, passing over the schema.org, DCAT and Bioschemas classes they
    /// imply.
    fn classes(&self, s: &str) -> Result<Vec<String>, MappingError> {
        let mut out = Vec::new();
        for iri in self.strings(s, ns::RDF_TYPE, "") {
            if super::is_implied(&iri) {
                continue;
            }
            let c = self
                .vocab
                .by_iri(Scheme::AssetTypes, &iri)
                .ok_or_else(|| self.err(format!("unknown asset-types concept {iri}")))?;
            out.push(c.value(Scheme::AssetTypes).to_owned());
        }
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
                doc: self.one(n, ESADO, "doc"),
                default: self.one(n, ESADO, "defaultValue"),
                format: self.one(n, ESADO, "format"),
                optional: self.one(n, ESADO, "optional").as_deref() == Some("true"),
            })
            .collect())
    }

    fn steps(&self, s: &str) -> Result<Vec<Step>, MappingError> {
        Ok(self
            .positioned(s, ESADO, "step")?
            .iter()
            .map(|n| Step {
                id: self.one(n, SDO, "name").unwrap_or_default(),
                run: self.one(n, ESADO, "run"),
                runs: self.one(n, ESADO, "runs"),
                scatter: self
                    .one(n, ESADO, "scatter")
                    .map(|v| v.split(' ').map(str::to_owned).collect())
                    .unwrap_or_default(),
                scatter_method: self.one(n, ESADO, "scatterMethod"),
                when: self.one(n, ESADO, "when"),
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
    let Some(kind) = r.classes(s)?.into_iter().next() else {
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
    let spectral = r.strings(s, ESADO, "spectralCoverage");
    let coverage =
        (temporal.is_some() || sky.is_some() || spatial.is_some() || !spectral.is_empty())
            .then_some(Coverage {
                temporal,
                sky,
                spatial,
                spectral,
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
    let steps = r.steps(s)?;
    let inputs = r.parameters(s, "input")?;
    let outputs = r.parameters(s, "output")?;
    let pipeline = PipelineInfo {
        entry_point,
        default_engine,
        cwl_version: r.one(s, ESADO, "cwlVersion"),
        process_class: r.one(s, ESADO, "processClass"),
        code_repository: r.one(s, SDO, "codeRepository"),
        steps,
        inputs,
        outputs,
        requirements: r.strings(s, ESADO, "requirement"),
        images: r.strings(s, ESADO, "containerImage"),
    };
    let pipeline = (pipeline != PipelineInfo::default()).then_some(pipeline);
    let datalab_image = r.one(s, ESADO, "datalabImage").map(|n| DatalabImage {
        id: r.one(&n, SDO, "identifier"),
        platform: r.one(&n, SDO, "version"),
        keyword: r.strings(&n, DCAT, "keyword"),
        default_url: r.one(&n, ESADO, "defaultUrl"),
        mount_paths: r.strings(&n, ESADO, "mountPath"),
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
