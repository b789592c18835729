//! Fuzzes the datalab package reader: any bytes as a descriptor (manifest, OCI config or
//! annotations, application-hub profile, Dockerfile), alone or beside a manifest, read into a
//! manifest and an asset; an answer or a refusal, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use orrery::artefact::cwl::Bundle;
use orrery::artefact::datalab::{self, Given};

fuzz_target!(|data: &[u8]| {
    let given = Given {
        image: Some("registry.example.org/lab:1.0"),
        profile: None,
    };
    for name in ["datalab.yaml", "config.json", "Dockerfile"] {
        if let Ok(b) = Bundle::single(name, data.to_vec()) {
            let _ = datalab::read(&b, Given::default());
            let _ = datalab::read(&b, given);
        }
    }
    let mut b = Bundle::default();
    if b.insert("datalab.json", br#"{"image": "x:1"}"#.to_vec()).is_ok()
        && b.insert("Dockerfile", data.to_vec()).is_ok()
    {
        let _ = datalab::read(&b, Given::default());
    }
    let text = String::from_utf8_lossy(data);
    let _ = datalab::dockerfile::labels(&text);
});
