//! Compiles the demo catalogue (`fixtures/assets/*.json`) into the binary, so that `orrery serve`
//! can seed an empty data directory wherever the binary runs.

use std::fmt::Write as _;
use std::path::Path;

fn main() {
    let dir = Path::new("fixtures/assets");
    println!("cargo:rerun-if-changed=fixtures/assets");
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|x| x == "json"))
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    let mut out = String::from(
        "/// The demo catalogue: (file name, JSON text).\npub const DEMO: &[(&str, &str)] = &[\n",
    );
    for f in &files {
        let name = f
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        // Resolved against the manifest directory when the crate compiles, so a clone built
        // elsewhere with the same target directory never reads another checkout's files.
        let _ = writeln!(
            out,
            "    ({name:?}, include_str!(concat!(env!(\"CARGO_MANIFEST_DIR\"), \"/fixtures/assets/{name}\"))),"
        );
        println!("cargo:rerun-if-changed={}", f.display());
    }
    out.push_str("];\n");
    demo_cwl(&mut out);
    let target =
        Path::new(&std::env::var("OUT_DIR").unwrap_or_else(|_| ".".into())).join("demo.rs");
    if let Err(e) = std::fs::write(&target, out) {
        panic!("cannot write {}: {e}", target.display());
    }
}

/// The CWL files of the demo pipelines (`fixtures/cwl/{asset id}/*`), so that the demo seeds each
/// pipeline with its version and files.
fn demo_cwl(out: &mut String) {
    let root = Path::new("fixtures/cwl");
    println!("cargo:rerun-if-changed=fixtures/cwl");
    let mut dirs: Vec<_> = std::fs::read_dir(root)
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .map(|e| e.path())
                .filter(|p| p.is_dir())
                .collect()
        })
        .unwrap_or_default();
    dirs.sort();
    out.push_str(
        "/// The demo pipelines' CWL: (asset id, [(file name, text)]).\npub const DEMO_CWL: &[(&str, &[(&str, &str)])] = &[\n",
    );
    for dir in &dirs {
        let id = dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        println!("cargo:rerun-if-changed={}", dir.display());
        let mut files: Vec<String> = std::fs::read_dir(dir)
            .map(|rd| {
                rd.filter_map(|e| e.ok())
                    .filter(|e| e.path().is_file())
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .collect()
            })
            .unwrap_or_default();
        files.sort();
        let _ = writeln!(out, "    ({id:?}, &[");
        for f in &files {
            println!("cargo:rerun-if-changed={}/{f}", dir.display());
            let _ = writeln!(
                out,
                "        ({f:?}, include_str!(concat!(env!(\"CARGO_MANIFEST_DIR\"), \"/fixtures/cwl/{id}/{f}\"))),"
            );
        }
        out.push_str("    ]),\n");
    }
    out.push_str("];\n");
}
