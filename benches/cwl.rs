//! The cost of reading pipelines: the whole CWL v1.2 conformance suite (every `.cwl` file of
//! `../shared/corpus/cwl/cwl-v1.2-suite`, each read with everything it runs, as a push reads
//! it) and one bundle (the demo's Hello_PIPEMAN: a workflow and its two tools) from a zip.
//! Prints files read per second beside criterion's times. `cargo bench --bench cwl`.

use std::path::{Path, PathBuf};
use std::time::Instant;

use criterion::{Criterion, criterion_group, criterion_main};
use orrery::artefact::archive::{self, Caps};
use orrery::artefact::cwl::{self, Bundle, Directory, Limits};

/// Every file under `dir`.
fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() {
            walk(&p, out);
        } else {
            out.push(p);
        }
    }
}

fn suite_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/cwl/cwl-v1.2-suite")
}

/// The suite read into memory once (so that the bench times reading CWL, not the disk), and
/// its `.cwl` files.
fn suite_bundle() -> (Bundle, Vec<String>) {
    let root = suite_root();
    let mut all = Vec::new();
    walk(&root, &mut all);
    let mut b = Bundle::default();
    let mut files = Vec::new();
    for p in all {
        let (Ok(rel), Ok(bytes)) = (p.strip_prefix(&root), std::fs::read(&p)) else {
            continue;
        };
        let rel = rel.to_string_lossy().into_owned();
        if rel.ends_with(".cwl") {
            files.push(rel.clone());
        }
        let _ = b.insert(&rel, bytes);
    }
    files.sort();
    (b, files)
}

fn hello_zip() -> Vec<u8> {
    use std::io::Write;
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/cwl/hello-pipeman");
    let mut buf = std::io::Cursor::new(Vec::new());
    let mut w = zip::ZipWriter::new(&mut buf);
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if w.start_file(name, zip::write::SimpleFileOptions::default())
            .is_ok()
        {
            let _ = w.write_all(&std::fs::read(e.path()).unwrap_or_default());
        }
    }
    let _ = w.finish();
    buf.into_inner()
}

fn reading(c: &mut Criterion) {
    let (bundle, files) = suite_bundle();
    assert!(
        !files.is_empty(),
        "../shared/corpus/cwl/cwl-v1.2-suite is missing"
    );
    let read_all = || {
        let mut read = 0usize;
        for f in &files {
            if let Ok(x) = cwl::read(&bundle, f, &[], Limits::default()) {
                read += x.files.len();
            }
        }
        read
    };
    let started = Instant::now();
    let per_pass = read_all();
    let secs = started.elapsed().as_secs_f64();
    println!(
        "conformance suite: {} entry files ({per_pass} files read with what they run) in {:.1} ms: {:.0} entry files/s, {:.0} files read/s",
        files.len(),
        secs * 1e3,
        files.len() as f64 / secs,
        per_pass as f64 / secs
    );
    c.bench_function(
        "read the CWL v1.2 conformance suite (every entry file)",
        |b| b.iter(read_all),
    );
    let zip = hello_zip();
    let unpacked = archive::read(&zip, "hello.zip", Caps::default());
    assert!(
        unpacked.is_ok_and(
            |b| cwl::read(&b, "Hello_PIPEMAN.pipeline.cwl", &[], Limits::default()).is_ok()
        ),
        "the Hello_PIPEMAN bundle reads"
    );
    c.bench_function(
        "push reading: Hello_PIPEMAN zip (unpack + read 3 files)",
        |b| {
            b.iter(|| {
                let bundle =
                    archive::read(std::hint::black_box(&zip), "hello.zip", Caps::default()).ok()?;
                cwl::read(
                    &bundle,
                    "Hello_PIPEMAN.pipeline.cwl",
                    &[],
                    Limits::default(),
                )
                .ok()
            })
        },
    );
    // From disk, as `orrery ingest` reads a file and its neighbours.
    let dir = Directory(suite_root());
    let entry = "tests/count-lines1-wf.cwl";
    let read = cwl::read(&dir, entry, &[], Limits::default());
    assert!(read.is_ok(), "{entry}: {read:?}");
    c.bench_function(
        "ingest reading from disk: count-lines1-wf.cwl and its 2 tools",
        |b| b.iter(|| cwl::read(&dir, entry, &[], Limits::default()).ok()),
    );
}

criterion_group!(benches, reading);
criterion_main!(benches);
