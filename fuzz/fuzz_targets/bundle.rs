//! Fuzzes the reading of pushed archives: any bytes as a zip or tar.gz give a bundle within
//! its caps whose every path stays inside it, or a refusal; never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use orrery::artefact::archive::{Caps, read};

fuzz_target!(|data: &[u8]| {
    let caps = Caps {
        max_files: 16,
        max_bytes: 1 << 20,
    };
    if let Ok(b) = read(data, "upload", caps) {
        assert!(b.len() <= 16);
        assert!(b.size() <= 1 << 20);
        for p in b.paths() {
            assert!(!p.starts_with('/') && !p.split('/').any(|c| c == ".." || c.is_empty()), "{p}");
        }
    }
});
