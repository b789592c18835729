//! Fuzzes the metadata editor's reading of a submitted form: any body (as a browser, or anyone,
//! may send) yields a document and messages, never a panic; a field the form does not name is
//! left as it was; every message belongs to a field the form named.
#![no_main]

use libfuzzer_sys::fuzz_target;
use orrery::portal::editor::{apply, field_of_pointer};
use serde_json::json;

fuzz_target!(|data: &[u8]| {
    let form: Vec<(String, String)> = form_urlencoded::parse(data).into_owned().collect();
    let base = json!({"id": "a", "type": "Dataset", "name": "A", "keywords": ["x"],
        "creator": [{"name": "Ada"}], "license": "CC-BY-4.0", "ESAOfficial": true});
    let Some(base) = base.as_object() else {
        return;
    };
    let (doc, state) = apply(base, &form);
    let named: Vec<&str> = form
        .iter()
        .filter(|(k, _)| k == "_fields")
        .map(|(_, v)| v.as_str())
        .collect();
    for (key, value) in base {
        if !named.contains(&key.as_str()) {
            assert_eq!(doc.get(key), Some(value), "{key} changed though the form did not name it");
        }
    }
    for key in state.errors.keys() {
        assert!(named.contains(&key.as_str()), "a message for {key}, which the form did not name");
    }
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = field_of_pointer(text);
    }
});
