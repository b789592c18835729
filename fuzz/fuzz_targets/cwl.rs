//! Fuzzes the CWL reader: any bytes as a pipeline's one file, or beside a workflow that runs
//! them, read under the caps; an answer or a refusal naming a file of the bundle, never a
//! panic, and never a file outside the bundle.
#![no_main]

use libfuzzer_sys::fuzz_target;
use orrery::artefact::cwl::{self, Bundle, Limits};

const WF: &str = "cwlVersion: v1.2\nclass: Workflow\ninputs: {x: string}\noutputs: []\nsteps:\n  s:\n    run: tool.cwl\n    in: {a: x}\n    out: []\n";

fuzz_target!(|data: &[u8]| {
    let limits = Limits {
        max_files: 8,
        max_bytes: 1 << 20,
        max_depth: 8,
    };
    if let Ok(b) = Bundle::single("tool.cwl", data.to_vec()) {
        match cwl::read(&b, "tool.cwl", &[], limits) {
            Ok(x) => assert!(x.files.iter().all(|(p, _)| p == "tool.cwl")),
            Err(e) => assert!(e.file == "tool.cwl" || e.file.is_empty(), "{e}"),
        }
    }
    let mut b = Bundle::default();
    if b.insert("wf.cwl", WF.as_bytes().to_vec()).is_ok()
        && b.insert("tool.cwl", data.to_vec()).is_ok()
    {
        if let Err(e) = cwl::read(&b, "wf.cwl", &[], limits) {
            assert!(["wf.cwl", "tool.cwl", ""].contains(&e.file.as_str()), "{e}");
        }
    }
});
