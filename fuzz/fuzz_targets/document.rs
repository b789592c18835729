//! Fuzzes the asset document parser (JSON, schema, vocabularies) and, for every document it
//! accepts, checks that the RDF mapping round-trips it exactly.

#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use orrery::model::rdf::{from_quads, to_quads};
use orrery::model::{Vocabularies, document};

fn vocab() -> &'static Vocabularies {
    static V: OnceLock<Vocabularies> = OnceLock::new();
    V.get_or_init(|| Vocabularies::load().expect("ontologies load"))
}

fuzz_target!(|data: &[u8]| {
    let Ok(asset) = document::parse(data, vocab()) else { return };
    let base = "http://127.0.0.1:8080";
    let quads = to_quads(&asset, base, vocab()).expect("an accepted document maps to RDF");
    let back = from_quads(&asset.id, base, vocab(), quads).expect("stored asset reads back");
    assert_eq!(back, Some(asset));
});
