//! The whole result set of any search as CSV (`/search.csv`) or JSON Lines
//! (`/search.jsonl`): read page after page along the search's cursor and handed on as it is
//! read, so that an export of many hits is streamed rather than held.

use super::search_page::Searched;
use super::state::PageState;
use super::{Portal, PortalError, Result};
use crate::access::Caller;
use crate::search::schema::Facet;
use crate::search::{Hit, MAX_LIMIT};

/// How an export is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    JsonLines,
}

impl Format {
    pub fn media_type(self) -> &'static str {
        match self {
            Format::Csv => "text/csv; charset=utf-8; header=present",
            Format::JsonLines => "application/jsonl; charset=utf-8",
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::JsonLines => "jsonl",
        }
    }
}

/// The columns of a CSV export before the facets.
const COLUMNS: [&str; 7] = [
    "id",
    "type",
    "name",
    "abstract",
    "dateModified",
    "popularity",
    "landingPage",
];

fn csv_header() -> Vec<u8> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let header = COLUMNS.iter().copied().chain(
        Facet::ALL
            .iter()
            .filter(|f| !f.is_derived())
            .map(|f| f.name()),
    );
    // Writing to memory cannot fail.
    let _ = w.write_record(header);
    w.into_inner().unwrap_or_default()
}

/// A text cell as a spreadsheet may open it: one that would start a formula (`=`, `+`, `-`,
/// `@`, a tab or a carriage return) is written after an apostrophe, so that opening an export
/// never runs what an asset's author wrote.
fn cell(text: &str) -> String {
    match text.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{text}"),
        _ => text.to_owned(),
    }
}

fn csv_rows(hits: &[Hit]) -> Vec<u8> {
    let mut w = csv::Writer::from_writer(Vec::new());
    for h in hits {
        let mut row: Vec<String> = vec![
            h.id.clone(),
            h.kind.clone(),
            cell(&h.name),
            cell(h.abstract_.as_deref().unwrap_or_default()),
            h.date_modified.clone().unwrap_or_default(),
            h.popularity.map(|p| p.to_string()).unwrap_or_default(),
            h.links.landing_page.clone(),
        ];
        for f in Facet::ALL.into_iter().filter(|f| !f.is_derived()) {
            row.push(cell(
                &h.facets
                    .get(f.name())
                    .map(|v| v.join("; "))
                    .unwrap_or_default(),
            ));
        }
        let _ = w.write_record(&row);
    }
    w.into_inner().unwrap_or_default()
}

fn json_lines(hits: &[Hit]) -> Vec<u8> {
    let mut out = Vec::new();
    for h in hits {
        let Ok(serde_json::Value::Object(mut m)) = serde_json::to_value(h) else {
            continue;
        };
        // The page's markup and the order's score are not the asset's.
        m.remove("highlight");
        m.remove("score");
        if serde_json::to_writer(&mut out, &m).is_ok() {
            out.push(b'\n');
        }
    }
    out
}

impl Portal {
    /// Exports the whole result set of the search `raw` asks for, as `caller`, handing `sink`
    /// one chunk at a time; `sink` returns false when nobody reads any more. An unusable query
    /// is refused before anything is handed on. Blocking.
    pub fn export(
        &self,
        caller: &Caller,
        raw: Option<&str>,
        format: Format,
        mut sink: impl FnMut(Vec<u8>) -> bool,
    ) -> Result<()> {
        let (mut state, _) = PageState::parse(raw, None);
        state.page = 1;
        state.per_page = MAX_LIMIT;
        let Searched {
            state, response, ..
        } = self.run_strict(caller, raw, state)?;
        let Some(mut response) = response else {
            return Err(PortalError::BadRequest(
                "the search could not be run".into(),
            ));
        };
        if format == Format::Csv && !sink(csv_header()) {
            return Ok(());
        }
        loop {
            let chunk = match format {
                Format::Csv => csv_rows(&response.hits),
                Format::JsonLines => json_lines(&response.hits),
            };
            if !sink(chunk) {
                return Ok(());
            }
            let Some(cursor) = response.next_cursor.take() else {
                return Ok(());
            };
            let mut req = state.request(None);
            req.cursor = Some(cursor);
            req.offset = 0;
            response = self
                .catalog
                .search
                .search(caller, &req, &self.site.launch_base)?;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_cell_starts_a_formula() {
        assert_eq!(cell("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(cell("-1+2"), "'-1+2");
        assert_eq!(cell("Gaia DR3"), "Gaia DR3");
    }

    #[test]
    fn the_csv_header_names_every_facet() {
        let header = String::from_utf8(csv_header()).unwrap_or_default();
        assert!(header.starts_with("id,type,name,abstract,"));
        assert!(header.trim_end().ends_with("esaOfficial"));
    }
}
