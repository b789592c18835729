//! An asset's page (`/assets/{id}`): the Data Discovery Portal's tabs as sections with their
//! own anchors — Overview, Details, Query, Visualize, Analyze, Download — and, for a pipeline,
//! its steps, inputs, outputs and step graph; for a datalab, its version, image and the data it
//! opens. The head carries the canonical link, OpenGraph and the schema.org JSON-LD.
//!
//! The page shows the asset as its reader may see it, and only the datalabs that reader may
//! see; an asset the reader may not see is answered exactly as one that does not exist.

use askama::Template;

use super::graph::{self, Graph};
use super::search_page::{facet_label, type_label};
use super::state::{PageState, truncate};
use super::{Layout, Page, Portal, Result, markdown};
use crate::access::{self, Caller};
use crate::artefact::trs;
use crate::catalog::launch;
use crate::model::asset::{Agent, Parameter};
use crate::model::{Asset, Scheme, Status, is_valid_id};
use crate::search::schema::Facet;

/// One value of a detail: text, linked where it has somewhere to go.
pub struct Item {
    pub text: String,
    pub href: Option<String>,
}

/// A row of the details list.
pub struct Row {
    pub label: &'static str,
    pub items: Vec<Item>,
}

/// A datalab that can open the asset.
pub struct LaunchView {
    pub name: String,
    pub href: String,
    pub abstract_: Option<String>,
    pub url: String,
}

/// One distribution of the asset.
pub struct DistributionView {
    pub title: String,
    pub url: String,
    pub download: Option<String>,
    pub format: Option<String>,
    pub size: Option<String>,
}

/// One input or output of a pipeline.
pub struct ParamView {
    pub id: String,
    pub kind: String,
    pub label: String,
    /// The default value (JSON), for an input.
    pub default: Option<String>,
}

/// One version of a pipeline or datalab, as the reader may see it.
pub struct VersionRow {
    pub name: String,
    pub description: Option<String>,
    pub day: String,
    pub published: bool,
    pub latest: bool,
    /// Its files zipped, from the tool registry.
    pub zip: String,
    /// Its entry file, as it came.
    pub entry: Option<String>,
}

/// What a pipeline shows.
pub struct PipelineView {
    pub entry_point: Option<String>,
    pub engine: Option<String>,
    pub steps: Vec<String>,
    pub inputs: Vec<ParamView>,
    /// Whether any input has a default (the column is shown only then).
    pub defaults: bool,
    pub outputs: Vec<ParamView>,
    pub graph: Option<Graph>,
    pub cwl_version: Option<String>,
    pub class: Option<String>,
    pub images: Vec<String>,
    pub versions: Vec<VersionRow>,
    /// The command that runs it from the tool registry, when it has a published version.
    pub tool: Option<String>,
}

/// What a datalab shows.
pub struct DatalabView {
    pub versions: Vec<VersionRow>,
    /// The path it opens at.
    pub default_url: Option<String>,
    /// Where it finds data volumes.
    pub mount_paths: Vec<String>,
    pub version: Option<String>,
    pub image: Option<String>,
    pub platform: Option<String>,
    pub opens: Vec<Item>,
    pub build: Option<String>,
}

/// The tabs, in order, with whether each has something to show.
pub struct Tab {
    pub id: &'static str,
    pub label: &'static str,
}

#[derive(Template)]
#[template(path = "portal/asset.html")]
pub struct AssetTemplate {
    pub layout: Layout,
    pub name: String,
    pub type_label: String,
    pub type_class: String,
    pub status: Option<&'static str>,
    pub moderator_comment: Option<String>,
    pub alternate_name: Option<String>,
    pub abstract_: Option<String>,
    pub overview: Option<String>,
    pub tabs: Vec<Tab>,
    pub details: Vec<Row>,
    pub citation: Option<String>,
    pub ivoid: String,
    pub adql: String,
    pub pyvo: String,
    pub oai: String,
    pub json: String,
    pub mount_path: Option<String>,
    pub visualize: Vec<LaunchView>,
    pub analyze: Vec<LaunchView>,
    pub launch_self: Option<String>,
    pub distributions: Vec<DistributionView>,
    pub pipeline: Option<PipelineView>,
    pub datalab: Option<DatalabView>,
    pub og_title: String,
    pub og_description: String,
    pub og_url: String,
    /// The JSON-LD, every `<` written `\u003c` so that nothing in it can close the script.
    pub jsonld: String,
    /// For its owner and curators: where to manage it.
    pub manage: Option<ManageView>,
    /// For its owner, moderators and sciapps: every change and transition, newest first.
    pub history: Option<Vec<super::history::EventView>>,
}

/// What an asset's page offers those who manage it.
pub struct ManageView {
    pub id: String,
    pub audience: String,
    /// The state of a pending revision, in words.
    pub pending: Option<String>,
    /// Whether the reader reviews it (a moderator, the asset in review).
    pub review: bool,
}

/// A value of a facet as a link to the search that selects it.
fn search_link(facet: Facet, value: &str) -> Item {
    let (mut state, _) = PageState::parse(None, None);
    state.filters.push((facet, vec![value.to_owned()]));
    Item {
        text: value.to_owned(),
        href: Some(state.href("/")),
    }
}

fn text(value: impl Into<String>) -> Item {
    Item {
        text: value.into(),
        href: None,
    }
}

/// `href` if it is a web address (`http://` or `https://`): an asset's fields are its authors'
/// text, and nothing else of it may become a link.
fn web(href: &str) -> Option<String> {
    let head: String = href
        .chars()
        .take(8)
        .collect::<String>()
        .to_ascii_lowercase();
    (head.starts_with("https://") || head.starts_with("http://")).then(|| href.to_owned())
}

fn link(value: impl Into<String>, href: &str) -> Item {
    Item {
        text: value.into(),
        href: web(href),
    }
}

fn agent(a: &Agent) -> Item {
    let mut name = a.name.clone();
    if let Some(aff) = &a.affiliation {
        name = format!("{name} ({aff})");
    }
    match (&a.orcid, &a.url) {
        (Some(o), _) if o.starts_with("https://") => link(name, o),
        (Some(o), _) => link(name, &format!("https://orcid.org/{o}")),
        (None, Some(u)) => link(name, u),
        _ => text(name),
    }
}

/// A byte count as people read it.
fn size(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "kB", "MB", "GB", "TB"];
    let mut v = bytes as f64;
    let mut unit = 0;
    while v >= 1000.0 && unit < UNITS.len() - 1 {
        v /= 1000.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{v:.1} {}", UNITS[unit])
    }
}

fn params(ps: &[Parameter]) -> Vec<ParamView> {
    ps.iter()
        .map(|p| ParamView {
            id: p.id.clone(),
            kind: p.kind.clone().unwrap_or_else(|| "—".into()),
            label: p.label.clone().unwrap_or_default(),
            default: p.default.clone(),
        })
        .collect()
}

fn status_label(s: Status) -> Option<&'static str> {
    match s {
        Status::Published => None,
        Status::Draft => Some("Draft"),
        Status::InReview => Some("In review"),
    }
}

impl Portal {
    /// The page of asset `id` as `caller` may see it, or the 404 page. Blocking.
    pub fn asset_page(&self, viewer: &super::Viewer, id: &str) -> Result<Page> {
        let caller = &viewer.caller;
        let missing = || {
            self.message(
                viewer,
                404,
                "No such asset",
                "There is no asset at this address, or it is not one you may see.",
            )
        };
        if !is_valid_id(id) {
            return Ok(missing());
        }
        let store = &self.catalog.store;
        let Some(a) = access::read_asset(store, caller, id)? else {
            return Ok(missing());
        };
        let mut template = self.asset_template(caller, &a)?;
        template.layout.account = viewer.nav();
        self.manage(viewer, &a, &mut template)?;
        Ok(Page {
            status: 200,
            html: template.render()?,
        })
    }

    fn asset_template(&self, caller: &Caller, a: &Asset) -> Result<AssetTemplate> {
        let store = &self.catalog.store;
        let vocab = &self.catalog.vocab;
        let base = &self.site.base_url;
        let page_url = format!("{base}/assets/{}", a.id);
        let ivoid = a.ivoid.clone().unwrap_or_else(|| self.site.ivoid(&a.id));

        let mut visualize = Vec::new();
        let mut analyze = Vec::new();
        let mut launch_self = None;
        for l in launch::links(store, caller, a, &self.site.launch_base)? {
            if l.datalab == a.id {
                launch_self = Some(l.url);
                continue;
            }
            let Some(lab) = access::read_asset(store, caller, &l.datalab)? else {
                continue;
            };
            let view = LaunchView {
                name: lab.name.clone(),
                href: format!("/assets/{}", lab.id),
                abstract_: lab.abstract_.clone(),
                url: l.url,
            };
            if lab.property.iter().any(|p| p == "Visualization Tool") {
                visualize.push(view);
            } else {
                analyze.push(view);
            }
        }

        let details = self.details(a);
        let distributions = a
            .distribution
            .iter()
            .map(|d| {
                DistributionView {
                    title: d
                        .title
                        .clone()
                        .unwrap_or_else(|| truncate(&d.access_url, 80)),
                    // Only web addresses become links: a distribution's are its author's text.
                    url: web(&d.access_url).unwrap_or_default(),
                    download: d.download_url.as_deref().and_then(web),
                    format: match (&d.format, &d.media_type) {
                        (Some(f), Some(m)) => Some(format!("{f} ({m})")),
                        (Some(f), None) => Some(f.clone()),
                        (None, Some(m)) => Some(m.clone()),
                        (None, None) => None,
                    },
                    size: d.byte_size.map(size),
                }
            })
            .collect();

        let versions = match (&a.pipeline, trs::ToolKind::of(a)) {
            (Some(_), Some(kind)) => self.versions(caller, a, kind)?,
            _ => Vec::new(),
        };
        let tool = versions.iter().any(|v| v.published).then(|| {
            format!(
                "cwltool --add-ga4gh-tool-registry {base} '{}'",
                trs::tool_id(trs::ToolKind::Pipeline, &a.id)
            )
        });
        let pipeline = a.pipeline.as_ref().map(|p| PipelineView {
            entry_point: p.entry_point.clone(),
            engine: p.default_engine.clone(),
            steps: p.steps.iter().map(|s| s.id.clone()).collect(),
            inputs: params(&p.inputs),
            defaults: p.inputs.iter().any(|i| i.default.is_some()),
            outputs: params(&p.outputs),
            graph: graph::layout(p),
            cwl_version: p.cwl_version.clone(),
            class: p.process_class.clone(),
            images: p.images.clone(),
            versions,
            tool,
        });
        let datalab_versions = match trs::ToolKind::of(a) {
            Some(trs::ToolKind::Datalab) => self.versions(caller, a, trs::ToolKind::Datalab)?,
            _ => Vec::new(),
        };
        let datalab = (a.kind == "Datalab").then(|| DatalabView {
            versions: datalab_versions,
            default_url: a.datalab_image.as_ref().and_then(|i| i.default_url.clone()),
            mount_paths: a
                .datalab_image
                .as_ref()
                .map(|i| i.mount_paths.clone())
                .unwrap_or_default(),
            version: a.version.clone(),
            image: a.datalab_image.as_ref().and_then(|i| i.id.clone()),
            platform: a.datalab_image.as_ref().and_then(|i| i.platform.clone()),
            opens: a
                .associated_file_type
                .iter()
                .map(|f| search_link(Facet::FileType, f))
                .collect(),
            build: a.build.as_ref().and_then(|b| match (&b.status, &b.date) {
                (Some(s), Some(d)) => Some(format!("{s} on {}", day(d))),
                (Some(s), None) => Some(s.clone()),
                _ => None,
            }),
        });

        let site = crate::linked::schemaorg::Site {
            base_url: &self.site.base_url,
            launch_base: &self.site.launch_base,
            catalog_name: &self.site.name,
            publisher: &self.site.publisher,
        };
        let description = crate::linked::schemaorg::description(a, &site);
        let short = truncate(&description, 300);
        let jsonld = crate::linked::schemaorg::asset(a, &site, vocab);
        let jsonld = serde_json::to_string(&jsonld)
            .unwrap_or_default()
            .replace('<', "\\u003c");

        let title = format!("{} · {}", truncate(&a.name, 80), self.site.name);
        let mut layout = self.layout(title, short.clone(), "");
        layout.canonical = Some(page_url.clone());
        layout.atom = None;

        let adql = format!(
            "SELECT ivoid, res_type, res_title, res_description, reference_url\n\
             FROM rr.resource\n\
             WHERE ivoid = '{}'",
            ivoid.to_lowercase().replace('\'', "''")
        );
        // Written as JSON strings, which are Python string literals too: whatever an
        // identifier holds stays inside its string.
        let literal = |s: &str| serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into());
        let pyvo = format!(
            "import pyvo\n\
             tap = pyvo.dal.TAPService({})\n\
             rows = tap.search({}).to_table()\n\
             print(rows)",
            literal(&format!("{base}/tap")),
            literal(&adql.replace('\n', " "))
        );
        let oai = {
            let q: String = form_urlencoded::Serializer::new(String::new())
                .append_pair("verb", "GetRecord")
                .append_pair("metadataPrefix", "ivo_vor")
                .append_pair("identifier", &ivoid)
                .finish();
            format!("/oai?{q}")
        };

        let mut tabs = vec![
            Tab {
                id: "overview",
                label: "Overview",
            },
            Tab {
                id: "details",
                label: "Details",
            },
            Tab {
                id: "query",
                label: "Query",
            },
        ];
        if a.pipeline.is_some() {
            tabs.push(Tab {
                id: "workflow",
                label: "Workflow",
            });
        }
        tabs.extend([
            Tab {
                id: "visualize",
                label: "Visualize",
            },
            Tab {
                id: "analyze",
                label: "Analyze",
            },
            Tab {
                id: "download",
                label: "Download",
            },
        ]);

        Ok(AssetTemplate {
            layout,
            name: a.name.clone(),
            type_label: type_label(&a.kind).to_owned(),
            type_class: a.kind.to_lowercase(),
            status: a.status.and_then(status_label),
            moderator_comment: a.moderator_comment.clone(),
            alternate_name: a.alternate_name.clone(),
            abstract_: a.abstract_.clone(),
            overview: a.description.as_deref().map(markdown::render),
            tabs,
            details,
            citation: a.citation.clone(),
            adql,
            pyvo,
            oai,
            json: format!("/api/v1/assets/{}", a.id),
            ivoid,
            mount_path: a.volume.as_ref().map(|v| v.mount_path.clone()),
            visualize,
            analyze,
            launch_self,
            distributions,
            pipeline,
            datalab,
            og_title: a.name.clone(),
            og_description: short,
            og_url: page_url,
            jsonld,
            manage: None,
            history: None,
        })
    }

    /// The versions of a pipeline or datalab the caller may see (published ones, or all for
    /// those who read it whole), newest first, the newest published marked latest.
    fn versions(&self, caller: &Caller, a: &Asset, kind: trs::ToolKind) -> Result<Vec<VersionRow>> {
        let whole = access::grant(caller, a) == Some(access::Grant::Full);
        let mut all = self.catalog.store.versions(&a.id)?;
        all.retain(|v| whole || v.published);
        let latest = trs::latest(&all).map(|v| v.revision);
        let tool = trs::segment(&trs::tool_id(kind, &a.id));
        Ok(all
            .into_iter()
            .rev()
            .map(|v| {
                let at = format!(
                    "{}/tools/{tool}/versions/{}",
                    trs::ROOT,
                    trs::segment(&v.name)
                );
                VersionRow {
                    latest: Some(v.revision) == latest,
                    zip: format!("{at}/CWL/files?format=zip"),
                    entry: v
                        .entry
                        .as_ref()
                        .map(|_| format!("{at}/PLAIN_CWL/descriptor")),
                    day: day(&v.created),
                    published: v.published,
                    description: v.description,
                    name: v.name,
                }
            })
            .collect())
    }

    /// Adds what the page shows those who manage the asset: links to its editor and review,
    /// its pending revision, and its history (for its owner, moderators and sciapps).
    fn manage(&self, viewer: &super::Viewer, a: &Asset, t: &mut AssetTemplate) -> Result<()> {
        use crate::model::fields::Role;
        if access::grant(&viewer.caller, a) != Some(access::Grant::Full) {
            return Ok(());
        }
        let owns = a.owner.is_some() && a.owner.as_deref() == viewer.user();
        let curator = viewer.has(Role::Moderator) || viewer.has(Role::Sciapps);
        if !(owns || curator || viewer.caller == Caller::Operator) {
            return Ok(());
        }
        let store = &self.catalog.store;
        let pending = store.pending(&a.id)?;
        let in_review = pending.as_ref().map_or(a.status, |p| p.status) == Some(Status::InReview);
        t.manage = Some(ManageView {
            id: a.id.clone(),
            audience: super::account::audience_text(a),
            pending: pending.as_ref().map(|p| {
                format!(
                    "An edit of this asset is {}: readers see the published version below until a moderator approves it.",
                    match p.status {
                        Some(Status::InReview) => "in review",
                        _ => "in draft",
                    }
                )
            }),
            review: in_review && viewer.has(Role::Moderator),
        });
        if let Some(p) = &pending
            && p.moderator_comment.is_some()
        {
            t.moderator_comment = p.moderator_comment.clone();
        }
        t.history = Some(super::history::events(&store.history(&a.id)?));
        t.tabs.push(Tab {
            id: "history",
            label: "History",
        });
        Ok(())
    }

    /// Every public field of the asset, vocabulary values as links to their searches.
    fn details(&self, a: &Asset) -> Vec<Row> {
        let vocab = &self.catalog.vocab;
        let mut rows = vec![Row {
            label: "Type of asset",
            items: vec![search_link(Facet::Type, &a.kind)],
        }];
        for (facet, values) in [
            (Facet::Domain, &a.domain),
            (Facet::Property, &a.property),
            (Facet::Mission, &a.mission),
            (Facet::Waveband, &a.waveband),
            (Facet::FileType, &a.associated_file_type),
            (Facet::Audience, &a.audience_type),
            (Facet::Keyword, &a.keywords),
        ] {
            if !values.is_empty() {
                rows.push(Row {
                    label: facet_label(facet),
                    items: values.iter().map(|v| search_link(facet, v)).collect(),
                });
            }
        }
        if let Some(e) = a.esa_official {
            rows.push(Row {
                label: "ESA official",
                items: vec![Item {
                    text: if e { "Yes" } else { "No" }.into(),
                    href: Some({
                        let (mut s, _) = PageState::parse(None, None);
                        s.filters.push((Facet::EsaOfficial, vec![e.to_string()]));
                        s.href("/")
                    }),
                }],
            });
        }
        if let Some(l) = &a.license {
            let concept = vocab.by_label(Scheme::Licenses, l);
            let mut items = vec![search_link(Facet::License, l)];
            if let Some(page) = concept.and_then(|c| c.page.as_deref()) {
                items.push(link("the licence's text", page));
            }
            rows.push(Row {
                label: "Licence",
                items,
            });
        }
        let mut push = |label: &'static str, items: Vec<Item>| {
            if !items.is_empty() {
                rows.push(Row { label, items });
            }
        };
        push("Version", a.version.iter().map(text).collect());
        push("Creators", a.creator.iter().map(agent).collect());
        push("Publisher", a.publisher.iter().map(agent).collect());
        push(
            "Home page",
            a.url.iter().map(|u| link(u.clone(), u)).collect(),
        );
        push(
            "Identifier",
            a.identifier
                .iter()
                .map(|i| {
                    let doi = i.strip_prefix("doi:").unwrap_or(i);
                    if doi.starts_with("10.") {
                        link(i.clone(), &format!("https://doi.org/{doi}"))
                    } else {
                        link(i.clone(), i)
                    }
                })
                .collect(),
        );
        if let Some(c) = &a.coverage {
            push("Time covered", c.temporal.iter().map(text).collect());
            push("Spectrum covered", c.spectral.iter().map(text).collect());
            push(
                "Sky covered",
                c.sky
                    .iter()
                    .map(|s| {
                        let shape = match (&s.circle, &s.polygon, &s.moc) {
                            (Some(c), _, _) => format!("circle {}", numbers(c)),
                            (_, Some(p), _) => format!("polygon {}", numbers(p)),
                            (_, _, Some(m)) => format!("MOC {}", truncate(m, 60)),
                            _ => String::new(),
                        };
                        text(format!("{} {shape}", s.frame).trim().to_owned())
                    })
                    .collect(),
            );
            push(
                "Place",
                c.spatial
                    .iter()
                    .filter_map(|p| p.name.clone())
                    .map(text)
                    .collect(),
            );
        }
        push(
            "Created",
            a.date_created.iter().map(|d| text(day(d))).collect(),
        );
        push(
            "Published",
            a.date_published.iter().map(|d| text(day(d))).collect(),
        );
        push(
            "Last modified",
            a.date_modified.iter().map(|d| text(day(d))).collect(),
        );
        push(
            "Launches",
            a.popularity.iter().map(|p| text(p.to_string())).collect(),
        );
        rows
    }
}

/// The day of a stored date or instant (`2024-05-01T10:00:00Z` → `2024-05-01`).
fn day(d: &str) -> String {
    d.chars().take(10).collect()
}

fn numbers(v: &[f64]) -> String {
    v.iter()
        .map(|n| format!("{n}"))
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_as_people_write_them() {
        assert_eq!(size(512), "512 B");
        assert_eq!(size(1_500), "1.5 kB");
        assert_eq!(size(3_200_000_000), "3.2 GB");
    }

    #[test]
    fn only_web_addresses_become_links() {
        assert!(link("x", "javascript:alert(1)").href.is_none());
        assert!(link("x", "data:text/html,hi").href.is_none());
        assert_eq!(
            link("x", "https://example.org/").href.as_deref(),
            Some("https://example.org/")
        );
    }

    #[test]
    fn a_facet_value_links_to_its_search() {
        let item = search_link(Facet::Mission, "Gaia DR3");
        assert_eq!(item.href.as_deref(), Some("/?mission=Gaia+DR3"));
    }
}
