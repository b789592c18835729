//! The search page (`/`) and the catalogues (`/datalabs`, `/pipelines`, `/datasets`,
//! `/volumes`): the state read from the URL, the search the API runs for the same caller, and
//! the page built from its answer — chips, facets with their counts, hits, numbered pages.
//!
//! What a person gets wrong is answered on the page: an unparsable query keeps the box with the
//! parser's message beside it, a facet value that does not exist is dropped with a notice, a
//! page past the last shows the last, and a search that finds nothing says which filter to
//! remove and how many hits that would give.

use askama::Template;

use super::state::{Catalogue, MAX_QUERY_STRING, Notice, PageState, SORTS, sort_label};
use super::{Layout, Page, Portal, PortalError, Result};
use crate::access::{self, Caller};
use crate::model::Asset;
use crate::search::collect::SortBy;
use crate::search::query::required_fields;
use crate::search::schema::Facet;
use crate::search::{FacetCounts, Hit, SearchError, SearchRequest, SearchResponse};

/// Facet values shown before "show more".
const TOP_VALUES: usize = 8;
/// Filters tried one at a time when nothing matches.
const MAX_RELAX: usize = 6;

/// What a facet is called on the page.
pub fn facet_label(facet: Facet) -> &'static str {
    match facet {
        Facet::Type => "Type of asset",
        Facet::Domain => "Domain",
        Facet::Property => "Properties",
        Facet::Mission => "Missions",
        Facet::Waveband => "Wavebands",
        Facet::FileType => "File types",
        Facet::Audience => "Audience",
        Facet::License => "Licence",
        Facet::Keyword => "Keywords",
        Facet::EsaOfficial => "ESA official",
        Facet::SkyCell => "Sky region",
        Facet::Decade => "Decade",
    }
}

/// How a facet value reads on the page.
pub fn value_label(facet: Facet, value: &str) -> String {
    match (facet, value) {
        (Facet::EsaOfficial, "true") => "Yes".into(),
        (Facet::EsaOfficial, "false") => "No".into(),
        (Facet::Type, v) => type_label(v).into(),
        (Facet::SkyCell, v) => sky_cell_label(v).unwrap_or_else(|| v.into()),
        _ => value.into(),
    }
}

/// A sky cell (`order/cell`, HEALPix nested at order 0 or 1) as a researcher reads it: the
/// ICRS position of its centre and its size, "RA 45°, Dec +42° (59° cell)".
fn sky_cell_label(value: &str) -> Option<String> {
    let (order, cell) = value.split_once('/')?;
    let (order, cell) = (order.parse::<u8>().ok()?, cell.parse::<u64>().ok()?);
    if order > 1 || cell >= 12 << (2 * order) {
        return None;
    }
    let (lon, lat) = cdshealpix::nested::center(order, cell);
    // The side of a cell of equal area: the sky's 41,253 square degrees over 12 * 4^order.
    let side = (41_253.0 / (12u64 << (2 * order)) as f64).sqrt();
    // (+ 0.0 turns a negative zero into zero.)
    Some(format!(
        "RA {:.0}°, Dec {:+.0}° ({side:.0}° cell)",
        lon.to_degrees() + 0.0,
        lat.to_degrees() + 0.0
    ))
}

/// An asset type as people write it.
pub fn type_label(kind: &str) -> &str {
    match kind {
        "DataVolume" => "Data volume",
        k => k,
    }
}

pub struct Chip {
    pub facet: String,
    pub value: String,
    pub remove: String,
}

pub struct FacetValueView {
    pub label: String,
    pub count: u64,
    pub selected: bool,
    pub href: String,
}

pub struct FacetView {
    pub name: &'static str,
    pub label: &'static str,
    pub top: Vec<FacetValueView>,
    pub more: Vec<FacetValueView>,
    /// Values with a count beyond the most the search returns (`otherValues`).
    pub others: u64,
}

pub struct Tag {
    pub label: String,
    pub href: String,
}

pub struct HitView {
    pub href: String,
    /// Highlighted (escaped, matches in `<mark>`).
    pub name: String,
    pub plain_name: String,
    pub type_label: String,
    pub type_class: String,
    pub abstract_html: Option<String>,
    pub version: Option<String>,
    pub author: Option<String>,
    pub date: Option<String>,
    pub mount_path: Option<String>,
    pub tags: Vec<Tag>,
    pub launch: Option<String>,
}

pub struct SortOption {
    pub value: &'static str,
    pub label: &'static str,
    pub selected: bool,
}

pub struct PageLink {
    pub label: String,
    pub href: String,
    pub current: bool,
}

pub struct Relax {
    pub what: String,
    pub href: String,
    pub count: u64,
}

pub struct Exports {
    pub atom: String,
    pub csv: String,
    pub jsonl: String,
}

#[derive(Template)]
#[template(path = "portal/search.html")]
pub struct SearchTemplate {
    pub layout: Layout,
    pub heading: String,
    pub intro: Option<String>,
    pub path: &'static str,
    pub scope: String,
    pub q: String,
    pub hidden: Vec<(String, String)>,
    pub error: Option<String>,
    pub notices: Vec<String>,
    pub chips: Vec<Chip>,
    pub clear_all: String,
    pub facets: Vec<FacetView>,
    pub showing: String,
    pub sort_hidden: Vec<(String, String)>,
    /// What the "where and when" form sends besides its own fields.
    pub place_hidden: Vec<(String, String)>,
    pub place: super::state::Place,
    pub sorts: Vec<SortOption>,
    pub exports: Exports,
    pub hits: Vec<HitView>,
    pub relax: Vec<Relax>,
    pub first: usize,
    pub layout_class: &'static str,
    pub pages: Vec<PageLink>,
    pub prev: Option<String>,
    pub next: Option<String>,
}

/// The outcome of running a page's search.
pub struct Searched {
    pub state: PageState,
    pub response: Option<SearchResponse>,
    /// The parser's message on the query, with its position.
    pub error: Option<String>,
    pub notices: Vec<Notice>,
}

impl Portal {
    /// Runs the search a page state asks for as `caller`, mending what can be mended: unknown
    /// facet values are dropped, a page past the last becomes the last.
    pub fn run(
        &self,
        caller: &Caller,
        mut state: PageState,
        preset: Option<Catalogue>,
        mut notices: Vec<Notice>,
    ) -> Result<Searched> {
        let vocab = &self.catalog.vocab;
        // Each chosen value as the facet counts name it (a concept's preferred label), so that
        // the page ticks it and its link removes it; a value that is none is dropped, said.
        for (facet, values) in &mut state.filters {
            let mut canonical = Vec::with_capacity(values.len());
            for v in values.drain(..) {
                match canonical_value(vocab, *facet, &v) {
                    Ok(c) => canonical.push(c),
                    Err(closest) => {
                        let hint = match closest.first() {
                            Some(c) => format!("; did you mean {c:?}?"),
                            None => String::new(),
                        };
                        notices.push(Notice(format!(
                            "{:?} is not one of the {}{hint}",
                            super::state::truncate(&v, 60),
                            facet_label(*facet).to_lowercase()
                        )));
                    }
                }
            }
            canonical.sort();
            canonical.dedup();
            *values = canonical;
        }
        state.filters.retain(|(_, v)| !v.is_empty());
        let mut response = match self.search(caller, &state.request(preset)) {
            Ok(r) => r,
            Err(PortalError::Search(SearchError::BadRequest(problems))) => {
                let error = problems
                    .iter()
                    .map(|p| match p.position {
                        Some(at) => format!("At character {at}: {}", p.message),
                        None => p.message.clone(),
                    })
                    .collect::<Vec<_>>()
                    .join("; ");
                return Ok(Searched {
                    state,
                    response: None,
                    error: Some(error),
                    notices,
                });
            }
            Err(e) => return Err(e),
        };
        if response.hits.is_empty() && response.total > 0 && state.page > 1 {
            let last = pages_in(response.total, state.per_page);
            notices.push(Notice(format!(
                "there is no page {}; this is the last one, page {last}",
                state.page
            )));
            state.page = last;
            response = self.search(caller, &state.request(preset))?;
        }
        if response.relaxed {
            notices.push(Notice(
                "no asset has every word of the search; these have all of them but one".into(),
            ));
        }
        Ok(Searched {
            state,
            response: Some(response),
            error: None,
            notices,
        })
    }

    /// Runs the search of a query string for a feed or an export, which have no page to
    /// explain themselves on: whatever a page would mend or notice (an unknown parameter or
    /// value, a query that does not parse, a string too long) is refused instead, so that a
    /// misspelt filter never silently widens what is exported.
    pub fn run_strict(
        &self,
        caller: &Caller,
        raw: Option<&str>,
        state: PageState,
    ) -> Result<Searched> {
        if raw.is_some_and(|r| r.len() > MAX_QUERY_STRING) {
            return Err(PortalError::BadRequest(format!(
                "a search may be at most {MAX_QUERY_STRING} characters long"
            )));
        }
        let (_, notices) = PageState::parse(raw, None);
        let state = PageState {
            all_words: true,
            ..state
        };
        let searched = self.run(caller, state, None, notices)?;
        let mut problems: Vec<String> = searched.notices.iter().map(|n| n.0.clone()).collect();
        problems.extend(searched.error.clone());
        if !problems.is_empty() {
            return Err(PortalError::BadRequest(problems.join("; ")));
        }
        Ok(searched)
    }

    fn search(&self, caller: &Caller, req: &SearchRequest) -> Result<SearchResponse> {
        Ok(self
            .catalog
            .search
            .search(caller, req, &self.site.launch_base)?)
    }

    /// The search page, or a catalogue, for `raw` (the query string) as `caller`. Blocking.
    pub fn search_page(
        &self,
        viewer: &super::Viewer,
        raw: Option<&str>,
        preset: Option<Catalogue>,
    ) -> Result<Page> {
        let caller = &viewer.caller;
        if raw.is_some_and(|r| r.len() > MAX_QUERY_STRING) {
            return Ok(self.message(
                viewer,
                414,
                "That search is too long",
                &format!(
                    "A search link may be at most {MAX_QUERY_STRING} characters long. \
                     Shorten the query or choose fewer filters."
                ),
            ));
        }
        let (state, notices) = PageState::parse(raw, preset);
        let searched = self.run(caller, state, preset, notices)?;
        let relax = match &searched.response {
            Some(r) if r.total == 0 => self.relaxations(caller, &searched.state, preset)?,
            _ => Vec::new(),
        };
        let mut template = self.build(caller, preset, searched, relax)?;
        template.layout.account = viewer.nav();
        Ok(Page {
            status: 200,
            html: template.render()?,
        })
    }

    /// Each filter that narrows a search that found nothing, removed alone, with what the search
    /// then finds.
    fn relaxations(
        &self,
        caller: &Caller,
        state: &PageState,
        preset: Option<Catalogue>,
    ) -> Result<Vec<Relax>> {
        let mut tries: Vec<(String, PageState, Option<Catalogue>)> = Vec::new();
        for (facet, values) in &state.filters {
            for v in values {
                tries.push((
                    format!("{}: {}", facet_label(*facet), value_label(*facet, v)),
                    state.toggled(*facet, v),
                    preset,
                ));
            }
        }
        let typed = required_fields(&state.q);
        for f in &typed {
            tries.push((
                format!("{}:{}", f.field, f.value),
                state.with_q(&f.without),
                preset,
            ));
        }
        // The whole query removed, unless it is one fielded term already offered above.
        let only_one_term = typed.len() == 1 && typed[0].without.is_empty();
        if !state.q.trim().is_empty() && !only_one_term {
            tries.push((
                format!("the words “{}”", state.q.trim()),
                state.with_q(""),
                preset,
            ));
        }
        // A catalogue's own type: the same search over every type.
        if let Some(c) = preset {
            tries.push((
                format!("the type {}", type_label(c.type_label())),
                state.at_page(1),
                None,
            ));
        }
        let mut out = Vec::new();
        for (what, next, preset) in tries.into_iter().take(MAX_RELAX) {
            let mut req = next.request(preset);
            req.limit = Some(1);
            req.offset = 0;
            let count = match self.search(caller, &req) {
                Ok(r) => r.total,
                Err(PortalError::Search(SearchError::BadRequest(_))) => continue,
                Err(e) => return Err(e),
            };
            if count > 0 {
                out.push(Relax {
                    what,
                    href: next.href(preset.map_or("/", Catalogue::path)),
                    count,
                });
            }
        }
        out.sort_by_key(|r| std::cmp::Reverse(r.count));
        Ok(out)
    }

    fn build(
        &self,
        caller: &Caller,
        preset: Option<Catalogue>,
        searched: Searched,
        relax: Vec<Relax>,
    ) -> Result<SearchTemplate> {
        let Searched {
            state,
            response,
            error,
            notices,
        } = searched;
        let path = preset.map_or("/", Catalogue::path);
        let total = response.as_ref().map_or(0, |r| r.total);
        let hits_in_page = response.as_ref().map_or(0, |r| r.hits.len());
        let first = (state.page - 1) * state.per_page + 1;
        let last_page = pages_in(total, state.per_page);
        let showing = match (total, hits_in_page) {
            (0, _) => "No results".to_owned(),
            (t, n) => format!(
                "Showing {first}–{} of {t} {}",
                first + n - 1,
                if t == 1 { "asset" } else { "assets" }
            ),
        };
        let heading = match preset {
            Some(c) => c.title().to_owned(),
            None => "Data Discovery Portal".to_owned(),
        };
        let title = match (state.q.trim(), preset) {
            ("", None) => format!("Search · {}", self.site.name),
            ("", Some(c)) => format!("{} · {}", c.title(), self.site.name),
            (q, None) => format!(
                "{} – search · {}",
                super::state::truncate(q, 60),
                self.site.name
            ),
            (q, Some(c)) => format!(
                "{} – {} · {}",
                super::state::truncate(q, 60),
                c.title(),
                self.site.name
            ),
        };
        let description = match preset {
            Some(c) => format!("{} of the platform, searchable by facet.", c.title()),
            None => {
                "Search the platform's datalabs, pipelines, datasets and data volumes.".to_owned()
            }
        };
        let mut layout = self.layout(title, description, path);
        layout.skip_to = "results";
        layout.skip_label = "Skip to results";
        layout.canonical = Some(format!("{}{}", self.site.base_url, state.href(path)));
        let export_state = match preset {
            Some(c) => {
                let mut s = state.at_page(1);
                s.filters.retain(|(f, _)| *f != Facet::Type);
                s.filters
                    .insert(0, (Facet::Type, vec![c.type_label().to_owned()]));
                s
            }
            None => state.at_page(1),
        };
        let exports = Exports {
            atom: export_state.href("/search.atom"),
            csv: export_state.href("/search.csv"),
            jsonl: export_state.href("/search.jsonl"),
        };
        layout.atom = Some(exports.atom.clone());
        let prev = (state.page > 1 && total > 0).then(|| state.at_page(state.page - 1).href(path));
        let next = (state.page < last_page).then(|| state.at_page(state.page + 1).href(path));
        layout.prev = prev.clone();
        layout.next = next.clone();

        let mut chips: Vec<Chip> = Vec::new();
        for (facet, values) in &state.filters {
            for v in values {
                chips.push(Chip {
                    facet: facet.name().to_owned(),
                    value: value_label(*facet, v),
                    remove: state.toggled(*facet, v).href(path),
                });
            }
        }
        if state.place.has_cone() {
            let p = &state.place;
            chips.push(Chip {
                facet: "sky".to_owned(),
                value: format!("within {}° of {}, {}", p.radius, p.ra, p.dec),
                remove: state.without_place(true).href(path),
            });
        }
        if state.place.has_time() {
            let p = &state.place;
            let end = |v: &str| {
                if v.is_empty() {
                    "…".to_owned()
                } else {
                    v.to_owned()
                }
            };
            chips.push(Chip {
                facet: "time".to_owned(),
                value: format!("{} to {}", end(&p.from), end(&p.to)),
                remove: state.without_place(false).href(path),
            });
        }
        for f in required_fields(&state.q) {
            chips.push(Chip {
                facet: f.field,
                value: f.value,
                remove: state.with_q(&f.without).href(path),
            });
        }

        let facets = response
            .as_ref()
            .map(|r| facet_views(&r.facets, &state, preset, path))
            .unwrap_or_default();
        let hits = match &response {
            Some(r) => self.hit_views(caller, &r.hits, &state, preset, path)?,
            None => Vec::new(),
        };

        let mut hidden: Vec<(String, String)> = state
            .filters
            .iter()
            .flat_map(|(f, vs)| vs.iter().map(|v| (f.name().to_owned(), v.clone())))
            .collect();
        if state.per_page != super::state::PER_PAGE {
            hidden.push(("limit".into(), state.per_page.to_string()));
        }
        // The "where and when" form sends the search box's state with its own fields.
        let mut place_hidden = hidden.clone();
        if !state.q.trim().is_empty() {
            place_hidden.insert(0, ("q".into(), state.q.trim().to_owned()));
        }
        if let Some(s) = state.sort.filter(|s| *s != SortBy::Relevance) {
            place_hidden.push(("sort".into(), s.name().into()));
        }
        for (k, v) in state.place_pairs() {
            hidden.push((k.to_owned(), v.to_owned()));
        }
        let mut sort_hidden = hidden.clone();
        if let Some(s) = state.sort.filter(|s| *s != SortBy::Relevance) {
            hidden.push(("sort".into(), s.name().into()));
        }
        if !state.q.trim().is_empty() {
            sort_hidden.insert(0, ("q".into(), state.q.trim().to_owned()));
        }
        let effective = state.effective_sort();
        let sorts = SORTS
            .into_iter()
            .filter(|s| *s != SortBy::Relevance || !state.q.trim().is_empty())
            .map(|s| SortOption {
                value: s.name(),
                label: sort_label(s),
                selected: s == effective,
            })
            .collect();

        Ok(SearchTemplate {
            layout,
            heading,
            intro: preset.is_none().then(|| {
                "Datalabs, pipelines, datasets and data volumes of the platform: search them, \
                 narrow by facet, launch a datalab on what you find."
                    .to_owned()
            }),
            path,
            scope: match preset {
                Some(c) => c.title().to_lowercase(),
                None => "the catalogue".to_owned(),
            },
            q: state.q.clone(),
            hidden,
            error,
            notices: notices.into_iter().map(|n| n.0).collect(),
            clear_all: state.cleared().href(path),
            chips,
            facets,
            showing,
            sort_hidden,
            place_hidden,
            place: state.place.clone(),
            sorts,
            exports,
            hits,
            relax,
            first,
            layout_class: match preset {
                Some(Catalogue::Datalabs | Catalogue::Pipelines) => "cards",
                _ => "list",
            },
            pages: page_links(&state, last_page, path),
            prev,
            next,
        })
    }

    fn hit_views(
        &self,
        caller: &Caller,
        hits: &[Hit],
        state: &PageState,
        preset: Option<Catalogue>,
        path: &str,
    ) -> Result<Vec<HitView>> {
        let mut out = Vec::with_capacity(hits.len());
        for h in hits {
            // The catalogues show what the hit alone does not carry: author, version, mount.
            let asset: Option<Asset> = match preset {
                Some(_) => access::read_asset(&self.catalog.store, caller, &h.id)?,
                None => None,
            };
            let mut tags = Vec::new();
            for (facet, key, n) in [
                (Facet::Mission, "mission", 4),
                (Facet::Keyword, "keyword", 5),
            ] {
                for v in h.facets.get(key).into_iter().flatten().take(n) {
                    tags.push(Tag {
                        label: v.clone(),
                        href: state.with_value(facet, v).href(path),
                    });
                }
            }
            out.push(HitView {
                href: format!("/assets/{}", h.id),
                name: h.highlight.name.clone(),
                plain_name: h.name.clone(),
                type_label: type_label(&h.kind).to_owned(),
                type_class: h.kind.to_lowercase(),
                abstract_html: h.highlight.abstract_.clone(),
                version: asset.as_ref().and_then(|a| a.version.clone()),
                author: asset
                    .as_ref()
                    .and_then(|a| a.creator.first().map(|c| c.name.clone())),
                date: h
                    .date_modified
                    .as_deref()
                    .or(asset.as_ref().and_then(|a| a.date_created.as_deref()))
                    .map(|d| d.chars().take(10).collect()),
                mount_path: asset
                    .as_ref()
                    .and_then(|a| a.volume.as_ref().map(|v| v.mount_path.clone())),
                tags,
                launch: (h.kind == "Datalab").then(|| h.links.launch.clone()),
            });
        }
        Ok(out)
    }
}

/// A chosen facet value as the facet counts name it, or the closest known values.
fn canonical_value(
    vocab: &crate::model::Vocabularies,
    facet: Facet,
    value: &str,
) -> std::result::Result<String, Vec<String>> {
    match facet.scheme() {
        Some(scheme) => vocab
            .resolve(scheme, value)
            .map(|c| c.pref_label.clone())
            .map_err(|u| u.closest),
        None if matches!(facet, Facet::SkyCell | Facet::Decade) => {
            crate::search::plan::facet_terms(vocab, facet, value, false).map(|_| value.to_owned())
        }
        None if facet == Facet::EsaOfficial => {
            match crate::search::plan::facet_terms(vocab, facet, value, false) {
                Ok(_) if ["true", "yes", "1"].contains(&value.to_lowercase().as_str()) => {
                    Ok("true".into())
                }
                Ok(_) => Ok("false".into()),
                Err(closest) => Err(closest),
            }
        }
        // Keywords are matched as the index files them (spaces collapsed, lower case).
        None => Ok(crate::search::schema::keyword_key(value)),
    }
}

/// How many pages a search of `total` hits has, at most as deep as a page may start.
pub(super) fn pages_in(total: u64, per_page: usize) -> usize {
    let deepest = crate::search::MAX_OFFSET / per_page + 1;
    (total.div_ceil(per_page as u64) as usize).clamp(1, deepest)
}

fn facet_views(
    counts: &[FacetCounts],
    state: &PageState,
    preset: Option<Catalogue>,
    path: &str,
) -> Vec<FacetView> {
    let mut out = Vec::new();
    for c in counts {
        let Some(facet) = Facet::from_name(&c.name) else {
            continue;
        };
        if preset.is_some() && facet == Facet::Type || c.values.is_empty() {
            continue;
        }
        let mut values: Vec<FacetValueView> = c
            .values
            .iter()
            .map(|v| FacetValueView {
                label: value_label(facet, &v.value),
                count: v.count,
                selected: v.selected || state.is_selected(facet, &v.value),
                href: state.toggled(facet, &v.value).href(path),
            })
            .collect();
        // Selected values first among equals is not wanted: the order is by count, but a
        // selected value is never hidden under "show more".
        let more = if values.len() > TOP_VALUES {
            let mut rest = values.split_off(TOP_VALUES);
            let (sel, unsel): (Vec<_>, Vec<_>) = rest.drain(..).partition(|v| v.selected);
            values.extend(sel);
            unsel
        } else {
            Vec::new()
        };
        out.push(FacetView {
            name: facet.name(),
            label: facet_label(facet),
            top: values,
            more,
            others: c.other_values,
        });
    }
    out
}

/// Numbered links: the first, the last, and two either side of the current page.
fn page_links(state: &PageState, last: usize, path: &str) -> Vec<PageLink> {
    if last <= 1 {
        return Vec::new();
    }
    let mut out = Vec::new();
    let mut gap = false;
    for n in 1..=last {
        let near = n.abs_diff(state.page) <= 2;
        if n == 1 || n == last || near {
            out.push(PageLink {
                label: n.to_string(),
                href: state.at_page(n).href(path),
                current: n == state.page,
            });
            gap = false;
        } else if !gap {
            out.push(PageLink {
                label: "…".into(),
                href: String::new(),
                current: false,
            });
            gap = true;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sky_cell_reads_as_its_centre_and_size() {
        // Base cell 5 is centred on the equator at RA 90°, base cell 0 at Dec +42° (the
        // polar cells' centres); cell 1/0 lies in base cell 0.
        assert_eq!(
            value_label(Facet::SkyCell, "0/5"),
            "RA 90°, Dec +0° (59° cell)"
        );
        assert_eq!(
            value_label(Facet::SkyCell, "0/0"),
            "RA 45°, Dec +42° (59° cell)"
        );
        assert!(value_label(Facet::SkyCell, "1/0").ends_with("(29° cell)"));
        // Anything else is shown as it came.
        for v in ["0/12", "2/3", "x", "1/-1"] {
            assert_eq!(value_label(Facet::SkyCell, v), v);
        }
    }
}
