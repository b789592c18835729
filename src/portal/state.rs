//! The search page's state, held whole in its URL: what was typed, the facet values chosen, the
//! sort, the page and its size.
//!
//! A page reads its parameters leniently (a person may have typed or truncated the URL): a
//! parameter it does not know, a sort it does not have or a page number that is not one is
//! dropped with a notice, never answered with an error. Every link it writes is normalised —
//! parameters in one order, values sorted and deduplicated, defaults left out — so that one
//! state has one URL, the canonical one.

use crate::model::coverage::TimeInterval;
use crate::model::coverage::sky::{SHAPE_ORDER, Sky};
use crate::search::coverage::{CoverageFilter, Relation};
use std::collections::BTreeSet;

use crate::search::collect::SortBy;
use crate::search::schema::Facet;
use crate::search::{MAX_LIMIT, MAX_OFFSET, SearchRequest};

/// Hits per page unless the URL says otherwise.
pub const PER_PAGE: usize = 20;
/// Longest query string a page reads; a longer one is refused with a page saying so.
pub const MAX_QUERY_STRING: usize = 4096;

/// A catalogue view: the search page preset to one asset type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Catalogue {
    Datalabs,
    Pipelines,
    Datasets,
    Volumes,
}

impl Catalogue {
    pub const ALL: [Catalogue; 4] = [
        Catalogue::Datalabs,
        Catalogue::Pipelines,
        Catalogue::Datasets,
        Catalogue::Volumes,
    ];

    /// The page's path.
    pub fn path(self) -> &'static str {
        match self {
            Catalogue::Datalabs => "/datalabs",
            Catalogue::Pipelines => "/pipelines",
            Catalogue::Datasets => "/datasets",
            Catalogue::Volumes => "/volumes",
        }
    }

    /// The asset type (its label in the type vocabulary) the view is preset to.
    pub fn type_label(self) -> &'static str {
        match self {
            Catalogue::Datalabs => "Datalab",
            Catalogue::Pipelines => "Pipeline",
            Catalogue::Datasets => "Dataset",
            Catalogue::Volumes => "DataVolume",
        }
    }

    /// The heading of the page.
    pub fn title(self) -> &'static str {
        match self {
            Catalogue::Datalabs => "Datalabs",
            Catalogue::Pipelines => "Pipelines",
            Catalogue::Datasets => "Datasets",
            Catalogue::Volumes => "Data volumes",
        }
    }
}

/// Sorts a person may pick, in the order the page offers them.
pub const SORTS: [SortBy; 4] = [
    SortBy::Relevance,
    SortBy::DateModified,
    SortBy::Name,
    SortBy::Popularity,
];

/// What the sort is called on the page.
pub fn sort_label(sort: SortBy) -> &'static str {
    match sort {
        SortBy::Relevance => "Relevance",
        SortBy::DateModified => "Last modified",
        SortBy::Name => "Name",
        SortBy::Popularity => "Popularity",
    }
}

/// The state of a search page.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PageState {
    pub q: String,
    /// Chosen values by facet, in `Facet::ALL` order; each list sorted, without repeats.
    pub filters: Vec<(Facet, Vec<String>)>,
    /// The sort asked for; `None` is the default (relevance with words, else last modified).
    pub sort: Option<SortBy>,
    /// 1-based.
    pub page: usize,
    pub per_page: usize,
    /// Where and when, as typed (kept only when it reads).
    pub place: Place,
    /// Every word required even when no asset has them all (feeds and exports: never wider
    /// than asked).
    pub all_words: bool,
}

/// A cone on the sky (degrees) and a time range (ISO dates or years), as typed in the search
/// page's "where and when" form.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Place {
    pub ra: String,
    pub dec: String,
    pub radius: String,
    pub from: String,
    pub to: String,
}

impl Place {
    pub fn has_cone(&self) -> bool {
        !self.ra.is_empty()
    }

    pub fn has_time(&self) -> bool {
        !self.from.is_empty() || !self.to.is_empty()
    }

    /// The cone, when all three numbers make one.
    fn cone(&self) -> Result<Option<Sky>, String> {
        if self.ra.is_empty() && self.dec.is_empty() && self.radius.is_empty() {
            return Ok(None);
        }
        let number = |name: &str, v: &str| {
            v.parse::<f64>()
                .map_err(|_| format!("the cone's {name} {:?} is not a number", truncate(v, 40)))
        };
        let (ra, dec, r) = (
            number("right ascension", &self.ra)?,
            number("declination", &self.dec)?,
            number("radius", &self.radius)?,
        );
        Sky::cone(ra, dec, r, SHAPE_ORDER)
            .map(Some)
            .map_err(|e| format!("the cone: {}", e.message))
    }

    /// The time range, when it reads (an open end where one is left empty).
    fn time(&self) -> Result<Option<TimeInterval>, String> {
        if !self.has_time() {
            return Ok(None);
        }
        let end = |v: &str| {
            if v.is_empty() {
                "..".to_owned()
            } else {
                v.to_owned()
            }
        };
        TimeInterval::parse(&format!("{}/{}", end(&self.from), end(&self.to)))
            .map(Some)
            .map_err(|e| format!("the time range: {e}"))
    }

    /// The search's coverage filter (what reads of it).
    pub fn filter(&self) -> CoverageFilter {
        CoverageFilter {
            sky: self.cone().ok().flatten().map(|s| (s, Relation::Overlaps)),
            time: self.time().ok().flatten(),
            spectral: None,
        }
    }
}

/// A parameter the page could not use, said to the reader.
#[derive(Debug, Clone, PartialEq)]
pub struct Notice(pub String);

impl PageState {
    /// Reads a query string. The preset catalogue's own type is not a parameter of its page.
    pub fn parse(raw: Option<&str>, preset: Option<Catalogue>) -> (PageState, Vec<Notice>) {
        let mut notices = Vec::new();
        let mut state = PageState {
            page: 1,
            per_page: PER_PAGE,
            ..PageState::default()
        };
        let mut chosen: Vec<BTreeSet<String>> = vec![BTreeSet::new(); Facet::ALL.len()];
        let pairs = form_urlencoded::parse(raw.unwrap_or_default().as_bytes());
        let mut seen_q = false;
        for (key, value) in pairs {
            let value = value.trim();
            match key.as_ref() {
                "q" => {
                    if seen_q {
                        notices.push(Notice("only the first q is searched".into()));
                    } else {
                        state.q = value.to_owned();
                        seen_q = true;
                    }
                }
                "sort" => match SortBy::parse(value) {
                    Some(s) => state.sort = Some(s),
                    None => notices.push(Notice(format!(
                        "there is no sort {value:?}; the default order is used"
                    ))),
                },
                "page" => match value.parse::<usize>() {
                    Ok(n) if n >= 1 => state.page = n,
                    _ => notices.push(Notice(format!(
                        "{value:?} is not a page number; showing the first page"
                    ))),
                },
                "limit" => match value.parse::<usize>() {
                    Ok(n) if (1..=MAX_LIMIT).contains(&n) => state.per_page = n,
                    Ok(n) => {
                        state.per_page = n.clamp(1, MAX_LIMIT);
                        notices.push(Notice(format!(
                            "a page holds 1 to {MAX_LIMIT} hits; showing {}",
                            state.per_page
                        )));
                    }
                    Err(_) => notices.push(Notice(format!(
                        "{value:?} is not a number of hits per page; showing {PER_PAGE}"
                    ))),
                },
                "ra" => state.place.ra = truncate(value, 40),
                "dec" => state.place.dec = truncate(value, 40),
                "radius" => state.place.radius = truncate(value, 40),
                "from" => state.place.from = truncate(value, 40),
                "to" => state.place.to = truncate(value, 40),
                name => match Facet::from_name(name) {
                    Some(Facet::Type) if preset.is_some() => notices.push(Notice(
                        "this catalogue shows one type of asset; the type filter is ignored".into(),
                    )),
                    Some(facet) if !value.is_empty() => {
                        chosen[facet_index(facet)].insert(value.to_owned());
                    }
                    Some(_) => {}
                    None => notices.push(Notice(format!(
                        "the parameter {:?} is not one this page knows; it is ignored",
                        truncate(name, 40)
                    ))),
                },
            }
        }
        if let Err(e) = state.place.cone() {
            notices.push(Notice(format!("{e}; the sky is not filtered")));
            (state.place.ra, state.place.dec, state.place.radius) = Default::default();
        }
        if let Err(e) = state.place.time() {
            notices.push(Notice(format!("{e}; time is not filtered")));
            (state.place.from, state.place.to) = Default::default();
        }
        state.filters = Facet::ALL
            .into_iter()
            .zip(chosen)
            .filter(|(_, v)| !v.is_empty())
            .map(|(f, v)| (f, v.into_iter().collect()))
            .collect();
        let deepest = MAX_OFFSET / state.per_page + 1;
        if state.page > deepest {
            notices.push(Notice(format!(
                "pages go {deepest} deep; narrow the search to see further"
            )));
            state.page = deepest;
        }
        // A sort that is the default order is no choice: the state is the same without it.
        if state.sort.is_some() && state.sort == state.default_sort() {
            state.sort = None;
        }
        (state, notices)
    }

    /// The sort the page uses.
    pub fn effective_sort(&self) -> SortBy {
        match self.sort {
            Some(s) => s,
            None if self.q.trim().is_empty() => SortBy::DateModified,
            None => SortBy::Relevance,
        }
    }

    /// The search this state asks for, with the preset's type added.
    pub fn request(&self, preset: Option<Catalogue>) -> SearchRequest {
        let mut filters = self.filters.clone();
        if let Some(c) = preset {
            filters.retain(|(f, _)| *f != Facet::Type);
            filters.insert(0, (Facet::Type, vec![c.type_label().to_owned()]));
        }
        SearchRequest {
            q: self.q.clone(),
            filters,
            sort: Some(self.effective_sort()),
            limit: Some(self.per_page),
            offset: (self.page - 1) * self.per_page,
            coverage: self.place.filter(),
            // Every value the page can offer: the first few shown, the rest under "show more".
            facet_limit: Some(crate::search::MAX_FACET_LIMIT),
            all_words: self.all_words,
            ..SearchRequest::default()
        }
    }

    pub fn is_selected(&self, facet: Facet, value: &str) -> bool {
        self.values(facet).iter().any(|v| v == value)
    }

    pub fn values(&self, facet: Facet) -> &[String] {
        self.filters
            .iter()
            .find(|(f, _)| *f == facet)
            .map(|(_, v)| v.as_slice())
            .unwrap_or_default()
    }

    /// Whether anything narrows the search.
    pub fn is_narrowed(&self) -> bool {
        !self.q.trim().is_empty()
            || !self.filters.is_empty()
            || self.place.has_cone()
            || self.place.has_time()
    }

    /// The normalised query string (without `?`), empty for the default state.
    pub fn query_string(&self) -> String {
        let mut out = form_urlencoded::Serializer::new(String::new());
        if !self.q.trim().is_empty() {
            out.append_pair("q", self.q.trim());
        }
        for (facet, values) in &self.filters {
            for v in values {
                out.append_pair(facet.name(), v);
            }
        }
        for (name, value) in self.place_pairs() {
            out.append_pair(name, value);
        }
        if let Some(s) = self.sort.filter(|s| Some(*s) != self.default_sort()) {
            out.append_pair("sort", s.name());
        }
        if self.page > 1 {
            out.append_pair("page", &self.page.to_string());
        }
        if self.per_page != PER_PAGE {
            out.append_pair("limit", &self.per_page.to_string());
        }
        out.finish()
    }

    fn default_sort(&self) -> Option<SortBy> {
        Some(
            PageState {
                sort: None,
                ..self.clone()
            }
            .effective_sort(),
        )
    }

    /// `path` with this state.
    pub fn href(&self, path: &str) -> String {
        let qs = self.query_string();
        if qs.is_empty() {
            path.to_owned()
        } else {
            format!("{path}?{qs}")
        }
    }

    /// The state with one facet value chosen or, when it was, no longer; back to page 1.
    pub fn toggled(&self, facet: Facet, value: &str) -> PageState {
        let mut next = self.first_page();
        let i = match next.filters.iter().position(|(f, _)| *f == facet) {
            Some(i) => i,
            None => {
                let at = next
                    .filters
                    .iter()
                    .position(|(f, _)| facet_index(*f) > facet_index(facet))
                    .unwrap_or(next.filters.len());
                next.filters.insert(at, (facet, Vec::new()));
                at
            }
        };
        let values = &mut next.filters[i].1;
        match values.iter().position(|v| v == value) {
            Some(at) => {
                values.remove(at);
            }
            None => {
                values.push(value.to_owned());
                values.sort();
            }
        }
        next.filters.retain(|(_, v)| !v.is_empty());
        next
    }

    /// The state with one facet value chosen (as it was, if it already was); back to page 1.
    pub fn with_value(&self, facet: Facet, value: &str) -> PageState {
        if self.is_selected(facet, value) {
            self.first_page()
        } else {
            self.toggled(facet, value)
        }
    }

    /// The state with another query in the box; back to page 1.
    pub fn with_q(&self, q: &str) -> PageState {
        PageState {
            q: q.to_owned(),
            ..self.first_page()
        }
    }

    /// The state on page `n`.
    pub fn at_page(&self, n: usize) -> PageState {
        PageState {
            page: n,
            ..self.clone()
        }
    }

    /// Nothing chosen, nothing typed: the sort and page size kept.
    pub fn cleared(&self) -> PageState {
        PageState {
            q: String::new(),
            filters: Vec::new(),
            sort: self.sort.filter(|s| *s != SortBy::Relevance),
            page: 1,
            per_page: self.per_page,
            place: Place::default(),
            all_words: self.all_words,
        }
    }

    /// The parameters of the place, as the page writes them.
    pub fn place_pairs(&self) -> Vec<(&'static str, &str)> {
        let p = &self.place;
        [
            ("ra", p.ra.as_str()),
            ("dec", p.dec.as_str()),
            ("radius", p.radius.as_str()),
            ("from", p.from.as_str()),
            ("to", p.to.as_str()),
        ]
        .into_iter()
        .filter(|(_, v)| !v.is_empty())
        .collect()
    }

    /// The state without its cone (`sky`) or its time range; back to page 1.
    pub fn without_place(&self, sky: bool) -> PageState {
        let mut next = self.first_page();
        if sky {
            (next.place.ra, next.place.dec, next.place.radius) = Default::default();
        } else {
            (next.place.from, next.place.to) = Default::default();
        }
        next
    }

    fn first_page(&self) -> PageState {
        self.at_page(1)
    }
}

fn facet_index(facet: Facet) -> usize {
    Facet::ALL.iter().position(|f| *f == facet).unwrap_or(0)
}

/// At most `n` characters of `s`, for quoting a parameter back.
pub fn truncate(s: &str, n: usize) -> String {
    match s.char_indices().nth(n) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_url_is_normalised_and_round_trips() {
        let (s, notices) = PageState::parse(
            Some("mission=Gaia&type=Datalab&mission=GOCE&mission=Gaia&q=+gravity+&page=2"),
            None,
        );
        assert!(notices.is_empty(), "{notices:?}");
        assert_eq!(
            s.query_string(),
            "q=gravity&type=Datalab&mission=GOCE&mission=Gaia&page=2"
        );
        let (again, _) = PageState::parse(Some(&s.query_string()), None);
        assert_eq!(again, s);
        // The default order named is the same state as no order named (found by fuzzing).
        let (named, _) = PageState::parse(Some("q=gravity&sort=relevance"), None);
        let (unnamed, _) = PageState::parse(Some("q=gravity"), None);
        assert_eq!(named, unnamed);
        let (named, _) = PageState::parse(Some("sort=dateModified"), None);
        assert_eq!(named.sort, None);
    }

    #[test]
    fn junk_is_noticed_and_dropped() {
        let (s, notices) = PageState::parse(
            Some("colour=red&sort=sideways&page=-3&limit=5000&type="),
            None,
        );
        assert_eq!(notices.len(), 4, "{notices:?}");
        assert_eq!(s.page, 1);
        assert_eq!(s.per_page, MAX_LIMIT);
        assert!(s.filters.is_empty());
        let (s, notices) = PageState::parse(Some("page=999999999"), None);
        assert_eq!(s.page, MAX_OFFSET / PER_PAGE + 1);
        assert_eq!(notices.len(), 1);
    }

    #[test]
    fn toggling_adds_and_removes_and_resets_the_page() {
        let (s, _) = PageState::parse(Some("mission=Gaia&page=3"), None);
        let t = s.toggled(Facet::Type, "Datalab");
        assert_eq!(t.query_string(), "type=Datalab&mission=Gaia");
        let u = t.toggled(Facet::Mission, "Gaia");
        assert_eq!(u.query_string(), "type=Datalab");
        assert_eq!(u.toggled(Facet::Type, "Datalab").query_string(), "");
    }

    #[test]
    fn the_default_sort_is_left_out() {
        let (s, _) = PageState::parse(Some("q=x&sort=relevance"), None);
        assert_eq!(s.query_string(), "q=x");
        let (s, _) = PageState::parse(Some("sort=dateModified"), None);
        assert_eq!(s.query_string(), "");
        let (s, _) = PageState::parse(Some("q=x&sort=name"), None);
        assert_eq!(s.query_string(), "q=x&sort=name");
    }

    #[test]
    fn a_catalogue_fixes_the_type() {
        let (s, notices) = PageState::parse(Some("type=Dataset"), Some(Catalogue::Pipelines));
        assert_eq!(notices.len(), 1);
        let r = s.request(Some(Catalogue::Pipelines));
        assert_eq!(r.filters, vec![(Facet::Type, vec!["Pipeline".to_owned()])]);
        assert_eq!(r.sort, Some(SortBy::DateModified));
    }

    #[test]
    fn a_cone_and_a_time_range_filter_the_search_and_stay_in_the_url() {
        let (s, notices) = PageState::parse(
            Some("q=gaia&ra=266.4&dec=-29&radius=1.5&from=2015&to="),
            None,
        );
        assert!(notices.is_empty(), "{notices:?}");
        assert_eq!(
            s.query_string(),
            "q=gaia&ra=266.4&dec=-29&radius=1.5&from=2015"
        );
        let f = s.request(None).coverage;
        let (sky, relation) = f.sky.unwrap();
        assert_eq!(relation, Relation::Overlaps);
        assert!(sky.contains_point(266.4, -29.0) && !sky.contains_point(266.4, -25.0));
        let t = f.time.unwrap();
        assert!(t.start > 57_000.0 && t.end.is_infinite());
        assert_eq!(s.without_place(true).query_string(), "q=gaia&from=2015");
        assert_eq!(
            s.without_place(false).query_string(),
            "q=gaia&ra=266.4&dec=-29&radius=1.5"
        );
        assert_eq!(s.cleared().query_string(), "");
        // What does not read is said and dropped.
        let (s, notices) =
            PageState::parse(Some("ra=266.4&dec=95&radius=1&from=2021&to=2019"), None);
        assert_eq!(notices.len(), 2, "{notices:?}");
        assert!(notices[0].0.contains("declination"), "{notices:?}");
        assert!(notices[1].0.contains("time"), "{notices:?}");
        assert_eq!(s.query_string(), "");
        assert!(s.request(None).coverage.is_empty());
    }
}
