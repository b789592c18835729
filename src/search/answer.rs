//! Answering a search: the request resolved against the caller's visibility and the index,
//! one pass over the segments for the page, the exact total and every facet's disjunctive
//! counts, then the hits read and highlighted; and suggestions for the search box.

use super::*;
use tantivy::{DocId, DocSet as _};

impl SearchIndex {
    fn visibility(caller: &Caller) -> Visibility {
        match access::reader_keys(caller) {
            None => Visibility::All,
            Some(keys) if keys == [access::PUBLIC_READERS] => Visibility::Anonymous,
            Some(keys) => Visibility::Keys(keys),
        }
    }

    fn fingerprint(&self, req: &SearchRequest, sort: SortBy, caller: &Caller) -> String {
        let mut h = schema::Fnv::default();
        h.write(req.q.trim().as_bytes());
        let mut filters = req.filters.clone();
        filters.sort_by_key(|(f, _)| f.name());
        for (f, values) in &filters {
            h.write(f.name().as_bytes());
            let mut v = values.clone();
            v.sort();
            for x in v {
                h.write(&[0]);
                h.write(x.as_bytes());
            }
            h.write(&[1]);
        }
        h.write(req.coverage.fingerprint().as_bytes());
        h.write(sort.name().as_bytes());
        h.write(format!("{:?}", access::reader_keys(caller)).as_bytes());
        format!("{:016x}", h.0)
    }

    fn pin(&self, searcher: &Searcher) {
        if let Ok(mut pinned) = self.pinned.lock() {
            let now = Instant::now();
            pinned.retain(|(t, _)| now.duration_since(*t) < PINNED_FOR);
            let g = searcher.generation().generation_id();
            if !pinned
                .iter()
                .any(|(_, s)| s.generation().generation_id() == g)
            {
                pinned.push_back((now, searcher.clone()));
            }
            while pinned.len() > PINNED {
                pinned.pop_front();
            }
        }
    }

    fn pinned(&self, generation: u64) -> Option<Searcher> {
        let pinned = self.pinned.lock().ok()?;
        pinned
            .iter()
            .find(|(_, s)| s.generation().generation_id() == generation)
            .map(|(_, s)| s.clone())
    }

    /// Answers a search for `caller`; `launch_base` is the platform whose launch wizard opens
    /// datalabs. Blocking.
    pub fn search(
        &self,
        caller: &Caller,
        req: &SearchRequest,
        launch_base: &str,
    ) -> Result<SearchResponse> {
        let limit = req.limit.unwrap_or(DEFAULT_LIMIT);
        if limit == 0 || limit > MAX_LIMIT {
            return Err(bad(
                "limit",
                None,
                format!("limit must be between 1 and {MAX_LIMIT}"),
            ));
        }
        if req.offset > MAX_OFFSET {
            return Err(bad(
                "offset",
                None,
                format!("a page may start at most {MAX_OFFSET} hits deep"),
            ));
        }
        let parsed = query::parse(&req.q).map_err(|e| bad("q", Some(e.position), e.message))?;
        let sort = req.sort.unwrap_or(if parsed.is_some() {
            SortBy::Relevance
        } else {
            SortBy::Name
        });
        let fingerprint = self.fingerprint(req, sort, caller);
        let (searcher, after) = match &req.cursor {
            None => (self.searcher(), None),
            Some(text) => {
                let (c, key) = Cursor::decode(text, &self.secret(), &fingerprint, sort)
                    .map_err(|e: CursorError| bad("cursor", None, e.to_string()))?;
                (
                    self.pinned(c.g).unwrap_or_else(|| self.searcher()),
                    Some(key),
                )
            }
        };

        let Resolved {
            filters,
            queries: filter_queries,
            selected,
        } = self.resolve_filters(req)?;
        let (text, mut marks) = self.plan_text(&searcher, parsed.as_ref())?;
        let candidates = self.with_coverage(candidates(text.as_deref(), filter_queries), req);
        let scan = Scan {
            bits: self.table.bits.len(),
            filters,
            visibility: Self::visibility(caller),
            sort,
            keep: req.offset + limit + 1,
            after,
        };
        let pass = |q: &dyn Query| {
            collect::run(
                &scan,
                &searcher,
                q,
                &self.fields,
                self.table.words,
                &self.public,
            )
        };
        let mut found: Found = pass(&*candidates)?;
        // No asset has every word: those with all words but one (the same on every page of a
        // cursor, which pins the index).
        let mut relaxed = false;
        if found.total == 0
            && !req.all_words
            && let Some(node) = parsed.as_ref()
        {
            let mut planner = self.planner(&searcher);
            if let Some(most) = planner.most_words(node) {
                let candidates = self.with_coverage(most, req);
                found = pass(&*candidates)?;
                relaxed = found.total > 0;
                if relaxed {
                    marks = planner.marks;
                }
            }
        }

        let mut top = found.top;
        top.drain(..req.offset.min(top.len()));
        let more = top.len() > limit;
        top.truncate(limit);
        let next_cursor = if more {
            top.last().map(|(key, _)| {
                self.pin(&searcher);
                Cursor::new(
                    searcher.generation().generation_id(),
                    sort,
                    key,
                    &fingerprint,
                )
                .encode(&self.secret())
            })
        } else {
            None
        };
        let hits = self.hits(&searcher, &marks, &top, sort, launch_base)?;
        let facets = self.facet_counts(
            &found.bit_counts,
            &found.keyword_counts,
            &selected,
            req.facet_limit.unwrap_or(DEFAULT_FACET_LIMIT),
        );
        Ok(SearchResponse {
            total: found.total,
            hits,
            facets,
            next_cursor,
            sort: sort.name().to_owned(),
            limit,
            relaxed,
        })
    }

    /// The facet filters of a request, as collector filters and as index queries, with the
    /// values selected per facet (for the counts); every unknown value is a problem named.
    fn resolve_filters(&self, req: &SearchRequest) -> Result<Resolved> {
        let mut filters = Vec::new();
        let mut filter_queries: Vec<Box<dyn Query>> = Vec::new();
        let mut selected: HashMap<Facet, Vec<String>> = HashMap::new();
        let mut problems = Vec::new();
        for (facet, values) in &req.filters {
            let mut terms = Vec::new();
            for v in values {
                match plan::facet_terms(&self.vocab, *facet, v, false) {
                    Ok(t) => terms.extend(t),
                    Err(closest) => problems.push(Problem::parameter(
                        facet.name(),
                        None,
                        format!("{v:?} is not a value of {}", facet.name()),
                        closest,
                    )),
                }
            }
            terms.sort();
            terms.dedup();
            if terms.is_empty() {
                continue;
            }
            let (filter, field) = if *facet == Facet::Keyword {
                (Filter::Keywords(terms.clone()), self.fields.keyword)
            } else {
                let mut mask = vec![0u64; self.table.words];
                for t in &terms {
                    if let Some(b) = self.table.bit_of_term(t) {
                        mask[b / 64] |= 1 << (b % 64);
                    }
                }
                (
                    Filter::Bits {
                        facet: *facet,
                        mask,
                        facet_mask: self.table.mask(*facet),
                    },
                    self.fields.concept,
                )
            };
            selected
                .entry(*facet)
                .or_default()
                .extend(terms.iter().map(|t| {
                    self.table
                        .bit_of_term(t)
                        .map_or_else(|| t.clone(), |b| self.table.bits[b].value.clone())
                }));
            filters.push(filter);
            filter_queries.push(Box::new(BooleanQuery::new(
                terms
                    .iter()
                    .map(|t| {
                        let q: Box<dyn Query> = Box::new(TermQuery::new(
                            Term::from_field_text(field, t),
                            IndexRecordOption::Basic,
                        ));
                        (Occur::Should, q)
                    })
                    .collect(),
            )));
        }
        if !problems.is_empty() {
            return Err(SearchError::BadRequest(problems));
        }
        Ok(Resolved {
            filters,
            queries: filter_queries,
            selected,
        })
    }

    /// The text query of `q`, planned against `searcher`'s index (`None` without words), and
    /// its leaves for highlighting.
    fn plan_text(
        &self,
        searcher: &Searcher,
        parsed: Option<&query::Node>,
    ) -> Result<(Option<TextQuery>, Vec<Mark>)> {
        let mut planner = self.planner(searcher);
        let text = match parsed {
            Some(node) => planner.plan(node).map_err(|e: PlanError| {
                SearchError::BadRequest(vec![Problem::parameter(
                    "q",
                    Some(e.position),
                    e.message,
                    e.closest,
                )])
            }),
            None => Ok(None),
        }?;
        Ok((text, planner.marks))
    }

    fn planner<'a>(&'a self, searcher: &'a Searcher) -> Planner<'a> {
        Planner::new(
            &self.fields,
            &self.vocab,
            &self.labels,
            searcher,
            &self.near,
        )
    }

    /// The candidates within the request's coverage, if it has one: one more conjunct, which
    /// applies to every count like the text.
    fn with_coverage(&self, candidates: Box<dyn Query>, req: &SearchRequest) -> Box<dyn Query> {
        if req.coverage.is_empty() {
            return candidates;
        }
        let place: Box<dyn Query> = Box::new(super::coverage::CoverageQuery::new(
            req.coverage.clone(),
            self.fields.coverage,
        ));
        if candidates.downcast_ref::<AllQuery>().is_some() {
            place
        } else {
            Box::new(BooleanQuery::new(vec![
                (Occur::Must, candidates),
                (Occur::Must, place),
            ]))
        }
    }

    fn hits(
        &self,
        searcher: &Searcher,
        marks: &[Mark],
        top: &[(SortKey, tantivy::DocAddress)],
        sort: SortBy,
        launch_base: &str,
    ) -> Result<Vec<Hit>> {
        let name_field = self.fields.text[0];
        let abstract_field = self.fields.text[4];
        let marked = marked_stems(searcher, marks, top, &self.fields)?;
        // Each hit is read and highlighted on its own: on every core at once.
        let hits: Vec<Option<Hit>> = top
            .par_iter()
            .zip(marked.par_iter())
            .map(|((key, address), stems)| -> Result<Option<Hit>> {
                let generator = |field, max| {
                    SnippetGenerator::new(
                        stems.get(&field).cloned().unwrap_or_default(),
                        schema::english(),
                        field,
                        max,
                    )
                };
                let name_gen = generator(name_field, 1_000);
                let abstract_gen = generator(abstract_field, 240);
                let doc: TantivyDocument = searcher.doc(*address)?;
                let Some(stored) = doc
                    .get_first(self.fields.hit)
                    .and_then(|v| v.as_str())
                    .and_then(|s| serde_json::from_str::<StoredHit>(s).ok())
                else {
                    return Ok(None);
                };
                let mut name = name_gen.snippet(&stored.name);
                name.set_snippet_prefix_postfix("<mark>", "</mark>");
                let name_html = if name.is_empty() {
                    crate::escape::html(&stored.name).into_owned()
                } else {
                    name.to_html()
                };
                let abstract_html = stored.abstract_.as_deref().map(|a| {
                    let mut s = abstract_gen.snippet(a);
                    s.set_snippet_prefix_postfix("<mark>", "</mark>");
                    if s.fragment().is_empty() {
                        crate::escape::html(&a.chars().take(240).collect::<String>()).into_owned()
                    } else {
                        s.to_html()
                    }
                });
                let score = match (sort, key) {
                    (SortBy::Relevance, SortKey::Num(k)) => Some(collect::key_score(*k)),
                    _ => None,
                };
                let base = self.store.base().trim_end_matches('/');
                let id = &stored.id;
                let launch = if stored.kind == "Datalab" {
                    format!(
                        "{}/datalab-launch-wizard/{id}",
                        launch_base.trim_end_matches('/')
                    )
                } else {
                    format!("{base}/api/v1/assets/{id}#launch")
                };
                Ok(Some(Hit {
                    id: stored.id.clone(),
                    kind: stored.kind.clone(),
                    name: stored.name.clone(),
                    alternate_name: stored.alternate_name.clone(),
                    abstract_: stored.abstract_.clone(),
                    date_modified: stored.date_modified.clone(),
                    popularity: stored.popularity,
                    facets: stored.facets.into_iter().collect(),
                    highlight: Highlight {
                        name: name_html,
                        abstract_: abstract_html,
                    },
                    links: HitLinks {
                        self_: format!("{base}/api/v1/assets/{id}"),
                        landing_page: format!("{base}/assets/{id}"),
                        launch,
                    },
                    score,
                }))
            })
            .collect::<Result<_>>()?;
        Ok(hits.into_iter().flatten().collect())
    }

    /// Each facet's values with their counts, the most frequent `limit` first, then any selected
    /// value the limit left out (a chosen value is always there, with its count, zero if none).
    fn facet_counts(
        &self,
        bit_counts: &[u64],
        keyword_counts: &[(Arc<str>, u64)],
        selected: &HashMap<Facet, Vec<String>>,
        limit: usize,
    ) -> Vec<FacetCounts> {
        let mut out = Vec::with_capacity(Facet::ALL.len());
        for facet in Facet::ALL {
            let chosen = selected.get(&facet).cloned().unwrap_or_default();
            if facet == Facet::Keyword {
                out.push(keyword_facet(keyword_counts, &chosen, limit));
                continue;
            }
            let mut values: Vec<FacetValue> = self
                .table
                .bits
                .iter()
                .enumerate()
                .filter(|(_, b)| b.facet == facet)
                .filter_map(|(i, b)| {
                    let count = bit_counts.get(i).copied().unwrap_or(0);
                    let sel = chosen.contains(&b.value);
                    (count > 0 || sel).then(|| FacetValue {
                        value: b.value.clone(),
                        count,
                        selected: sel,
                    })
                })
                .collect();
            values.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.value.cmp(&b.value)));
            let mut kept = Vec::with_capacity(limit.min(values.len()));
            let mut other_values = 0;
            for (i, v) in values.into_iter().enumerate() {
                if i < limit || v.selected {
                    kept.push(v);
                } else {
                    other_values += 1;
                }
            }
            out.push(FacetCounts {
                name: facet.name().to_owned(),
                values: kept,
                other_values,
            });
        }
        out
    }

    /// The first `limit` hits of `q`'s text alone by tantivy's own `TopDocs`: no facet, no
    /// total, no visibility, no stored fields. What the hits alone cost, against which the
    /// search benchmark measures a full answer. Blocking.
    pub fn top_docs(&self, q: &str, limit: usize) -> Result<usize> {
        let parsed = query::parse(q).map_err(|e| bad("q", Some(e.position), e.message))?;
        let searcher = self.searcher();
        let (text, _) = self.plan_text(&searcher, parsed.as_ref())?;
        let text = text.unwrap_or_else(|| Box::new(AllQuery));
        let top = searcher.search(
            &*text,
            &tantivy::collector::TopDocs::with_limit(limit).order_by_score(),
        )?;
        Ok(top.len())
    }

    /// Prefix suggestions for `caller`. Blocking.
    pub fn suggest(
        &self,
        caller: &Caller,
        prefix: &str,
        limit: usize,
    ) -> Result<Vec<suggest::Suggestion>> {
        suggest::suggest(&self.searcher(), &self.fields, caller, prefix, limit)
    }
}

/// The keyword facet from counts in name order: the `limit` most frequent keywords (ties in
/// name order) and every chosen one, zero if no hit has it; only those are made into values,
/// since a catalogue's keywords run into thousands.
fn keyword_facet(counts: &[(Arc<str>, u64)], chosen: &[String], limit: usize) -> FacetCounts {
    let rank = |a: &usize, b: &usize| {
        let (x, y) = (&counts[*a], &counts[*b]);
        y.1.cmp(&x.1).then_with(|| x.0.cmp(&y.0))
    };
    let mut top: Vec<usize> = (0..counts.len()).collect();
    if limit > 0 && top.len() > limit {
        top.select_nth_unstable_by(limit - 1, rank);
    }
    top.truncate(limit);
    let mut values: Vec<FacetValue> = top
        .iter()
        .map(|&i| FacetValue {
            value: counts[i].0.to_string(),
            count: counts[i].1,
            selected: chosen.iter().any(|c| *c == *counts[i].0),
        })
        .collect();
    let mut chosen_beyond = 0;
    for c in chosen {
        if values.iter().any(|v| v.value == *c) {
            continue;
        }
        let count = counts
            .binary_search_by(|(k, _)| (**k).cmp(c.as_str()))
            .map_or(0, |i| counts[i].1);
        if count > 0 {
            chosen_beyond += 1;
        }
        values.push(FacetValue {
            value: c.clone(),
            count,
            selected: true,
        });
    }
    values.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.value.cmp(&b.value)));
    FacetCounts {
        name: Facet::Keyword.name().to_owned(),
        values,
        other_values: (counts.len() - top.len() - chosen_beyond) as u64,
    }
}

/// The facet filters of a request, resolved.
struct Resolved {
    filters: Vec<Filter>,
    queries: Vec<Box<dyn Query>>,
    selected: HashMap<Facet, Vec<String>>,
}

/// The documents a pass looks at: the text's; without text, those matching all filters but
/// one (the filters themselves are checked on the facet table, cheaper than intersecting their
/// posting lists).
fn candidates(text: Option<&dyn Query>, filter_queries: Vec<Box<dyn Query>>) -> Box<dyn Query> {
    match text {
        Some(t) => t.box_clone(),
        None if filter_queries.len() >= 2 => {
            let need = filter_queries.len() - 1;
            Box::new(ConstScoreQuery::new(
                Box::new(BooleanQuery::with_minimum_required_clauses(
                    filter_queries
                        .into_iter()
                        .map(|q| (Occur::Should, q))
                        .collect(),
                    need,
                )),
                0.0,
            ))
        }
        None => Box::new(AllQuery),
    }
}

/// A planned text query.
type TextQuery = Box<dyn Query>;

/// For each hit, the stems to mark in each displayed field: those of the query's leaves that
/// match the hit (a word or phrase of the ranked field, its pairs or the concept labels marks
/// the name and the abstract; a fielded one its own field). Stopwords are marked only when the
/// query has nothing else. Each leaf walks each segment's hits once, in document order.
fn marked_stems(
    searcher: &Searcher,
    marks: &[Mark],
    top: &[(SortKey, tantivy::DocAddress)],
    fields: &Fields,
) -> Result<Vec<HashMap<tantivy::schema::Field, BTreeMap<String, f32>>>> {
    let (name, abstract_) = (fields.text[0], fields.text[4]);
    let content = marks
        .iter()
        .any(|m| m.stems.iter().any(|s| !plan::is_stopword(s)));
    let mut out = vec![HashMap::new(); top.len()];
    let mut by_segment: BTreeMap<u32, Vec<(DocId, usize)>> = BTreeMap::new();
    for (i, (_, a)) in top.iter().enumerate() {
        by_segment
            .entry(a.segment_ord)
            .or_default()
            .push((a.doc_id, i));
    }
    for docs in by_segment.values_mut() {
        docs.sort_unstable();
    }
    for mark in marks {
        let stems: Vec<&String> = mark
            .stems
            .iter()
            .filter(|s| !content || !plan::is_stopword(s))
            .collect();
        if stems.is_empty() {
            continue;
        }
        let targets = if mark.field == fields.ranked
            || mark.field == fields.pairs
            || mark.field == fields.text[3]
        {
            vec![name, abstract_]
        } else if mark.field == name || mark.field == abstract_ {
            vec![mark.field]
        } else {
            continue;
        };
        let weight = mark
            .query
            .weight(tantivy::query::EnableScoring::disabled_from_searcher(
                searcher,
            ))?;
        for (segment, docs) in &by_segment {
            let reader = searcher.segment_reader(*segment);
            let mut scorer = weight.scorer(reader, 1.0)?;
            for (doc, i) in docs {
                if scorer.doc() <= *doc && scorer.seek(*doc) == *doc {
                    for f in &targets {
                        let set = out[*i].entry(*f).or_insert_with(BTreeMap::new);
                        for s in &stems {
                            set.insert((*s).clone(), 1.0);
                        }
                    }
                }
            }
        }
    }
    Ok(out)
}
