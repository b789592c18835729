//! Fuzzes the portal's reading of a page's query string: any string yields a state (with
//! notices, never a panic), its normalised URL reads back to the same state, and the links a
//! page builds from it (a facet toggled, the query's fielded terms removed) stay normalised.
#![no_main]

use libfuzzer_sys::fuzz_target;
use orrery::portal::state::{Catalogue, PageState};
use orrery::search::query::required_fields;
use orrery::search::schema::Facet;

fuzz_target!(|data: &[u8]| {
    let Ok(raw) = std::str::from_utf8(data) else {
        return;
    };
    for preset in [None, Some(Catalogue::Pipelines)] {
        let (state, _) = PageState::parse(Some(raw), preset);
        let qs = state.query_string();
        let (again, notices) = PageState::parse(Some(&qs), preset);
        assert_eq!(again, state, "{qs}");
        assert!(notices.is_empty(), "a normalised URL needs no notice: {qs} {notices:?}");
        let toggled = state.toggled(Facet::Mission, "Gaia");
        assert_eq!(toggled.toggled(Facet::Mission, "Gaia").query_string(), state.at_page(1).query_string());
        for f in required_fields(&state.q) {
            let _ = state.with_q(&f.without).href("/");
        }
        let _ = state.request(preset);
    }
});
