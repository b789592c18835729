//! Fuzzes the reading of other registries' documents: an OAI-PMH `ListRecords` page and a
//! VOResource record must each be read or refused with an error, never panic; every record
//! read becomes an asset with a valid id that keeps the record; every identifier maps to a
//! valid id.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use orrery::model::{Vocabularies, is_valid_id};
use orrery::ivoa::oai::pmh;
use orrery::ivoa::voresource::resource;

fn vocab() -> &'static Vocabularies {
    static V: OnceLock<Vocabularies> = OnceLock::new();
    V.get_or_init(|| Vocabularies::load().expect("the vocabularies load"))
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    assert!(is_valid_id(&resource::id_for(&text)));
    if let Ok(page) = pmh::parse_page(&text) {
        for r in page.records {
            if let Some(m) = r.metadata {
                let _ = resource::read(&m, vocab());
            }
        }
    }
    match resource::read(&text, vocab()) {
        Ok(resource::Record::Resource(a)) => {
            assert!(is_valid_id(&a.id), "{}", a.id);
            assert!(a.voresource.is_some() && a.ivoid.is_some());
        }
        Ok(resource::Record::Deleted { id, .. }) => assert!(is_valid_id(&id)),
        Err(_) => {}
    }
});
