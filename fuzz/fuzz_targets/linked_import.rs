//! Fuzzes the linked-data import: any bytes as JSON-LD, Turtle, RDF/XML or N-Triples, read
//! into assets against the bundled contexts; an answer or a refusal, never a panic, and never
//! a fetch.
#![no_main]

use libfuzzer_sys::fuzz_target;
use orrery::linked::import::{self, Format};
use orrery::model::Vocabularies;

fuzz_target!(|data: &[u8]| {
    static VOCAB: std::sync::OnceLock<Option<Vocabularies>> = std::sync::OnceLock::new();
    let Some(vocab) = VOCAB.get_or_init(|| Vocabularies::load().ok()).as_ref() else {
        return;
    };
    for format in [Format::JsonLd, Format::Turtle, Format::RdfXml, Format::NTriples] {
        let _ = import::read(data, format, "https://example.org/", vocab);
    }
});
