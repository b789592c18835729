//! `orrery ingest`: loads asset documents from files and directories.
//!
//! A reader thread splits the input into chunks of raw documents, worker threads parse and
//! validate them in parallel, and the committer writes each chunk's good documents in one store
//! transaction, in input order. Bad documents are reported with file and line while the good
//! ones load. With `--verbose`, a line on stdout acknowledges every committed chunk: what it
//! names is durable.

use std::collections::BTreeMap;
use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, mpsc};

use clap::Args;
use serde_json::value::RawValue;

use crate::catalog::Catalog;
use crate::linked::import::Format;
use crate::model::{Asset, Vocabularies, document};
use crate::store::NewVersion;

#[derive(Args)]
pub struct IngestArgs {
    /// Files (.json: one document or an array; .jsonl/.ndjson: one document per line; .xml: a
    /// VOResource record of another registry; .cwl: a CWL pipeline, with the files it names
    /// beside it; datalab.json/.yaml or NAME.datalab.json/.yaml: a datalab package, with the
    /// Dockerfile beside it; .jsonld (or .json with an @context), .ttl, .rdf, .nt: schema.org
    /// and DCAT datasets, applications and workflows) and directories. A CWL pipeline or datalab package that names its
    /// version is stored with it, as a push would.
    #[arg(required = true)]
    paths: Vec<PathBuf>,
    /// Read documents a CWL file names under the URL PREFIX from DIR (`PREFIX=DIR`; say, the
    /// EOAP schemas). Nothing is ever fetched.
    #[arg(long = "mirror", value_name = "PREFIX=DIR")]
    mirrors: Vec<String>,
    /// Documents per transaction.
    #[arg(long, default_value_t = 1000)]
    batch: usize,
    /// Acknowledge each committed batch on stdout.
    #[arg(long, short)]
    verbose: bool,
}

/// Where a document came from.
#[derive(Debug, Clone)]
struct Source {
    file: Arc<str>,
    line: usize,
}

impl std::fmt::Display for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.file, self.line)
    }
}

/// An asset read, with the version its artefact makes (a CWL file, a datalab package).
struct Ingested {
    asset: Asset,
    version: Option<NewVersion>,
}

impl From<Asset> for Ingested {
    fn from(asset: Asset) -> Ingested {
        Ingested {
            asset,
            version: None,
        }
    }
}

type Parsed = Vec<(Source, Result<Ingested, String>)>;
/// Raw documents (or a read error) with where they came from.
type RawChunk = Vec<(Source, Result<Raw, String>)>;

/// One document to read: its bytes, a CWL file read with the files it names, or a datalab
/// package's descriptor read with the Dockerfile beside it.
enum Raw {
    Document(Vec<u8>),
    Cwl(PathBuf),
    Datalab(PathBuf),
    /// A schema.org or DCAT document, read against the file's own IRI.
    Linked(Vec<u8>, Format, String),
}

/// Whether a file is a datalab package's descriptor, by its name.
fn is_datalab_file(p: &Path) -> bool {
    let name = p.file_name().and_then(|n| n.to_str()).unwrap_or_default();
    ["json", "yaml", "yml"]
        .iter()
        .any(|e| name == format!("datalab.{e}") || name.ends_with(&format!(".datalab.{e}")))
}

/// URL prefixes read from local folders.
type Mirrors = Arc<crate::artefact::cwl::Mirrors>;

fn collect_files(paths: &[PathBuf], out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for p in paths {
        if p.is_dir() {
            let mut entries: Vec<PathBuf> = std::fs::read_dir(p)?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .collect();
            entries.sort();
            let (dirs, files): (Vec<_>, Vec<_>) = entries.into_iter().partition(|e| e.is_dir());
            out.extend(files.into_iter().filter(|f| is_document_file(f)));
            collect_files(&dirs, out)?;
        } else {
            out.push(p.clone());
        }
    }
    Ok(())
}

fn is_document_file(p: &Path) -> bool {
    is_datalab_file(p)
        || p.extension().and_then(|e| e.to_str()).is_some_and(|e| {
            matches!(e, "json" | "jsonl" | "ndjson" | "xml" | "cwl")
                || Format::from_extension(e).is_some()
        })
}

/// Splits a file into raw documents with their line numbers.
fn read_file(path: &Path, chunk: usize, read: &AtomicU64, send: &mut dyn FnMut(RawChunk)) {
    let file: Arc<str> = Arc::from(path.display().to_string());
    let at = |line: usize| Source {
        file: file.clone(),
        line,
    };
    let lines_mode = path
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e == "jsonl" || e == "ndjson");
    let mut buf = Vec::with_capacity(chunk);
    if path.extension().is_some_and(|e| e == "cwl") {
        return send(vec![(at(1), Ok(Raw::Cwl(path.to_path_buf())))]);
    }
    if is_datalab_file(path) {
        return send(vec![(at(1), Ok(Raw::Datalab(path.to_path_buf())))]);
    }
    let base = || {
        std::path::absolute(path)
            .ok()
            .and_then(|p| url::Url::from_file_path(p).ok())
            .map_or_else(|| "file:///".to_owned(), String::from)
    };
    if let Some(format) = path
        .extension()
        .and_then(|e| e.to_str())
        .and_then(Format::from_extension)
    {
        let raw = std::fs::read(path)
            .map(|b| Raw::Linked(b, format, base()))
            .map_err(|e| format!("cannot read: {e}"));
        return send(vec![(at(1), raw)]);
    }
    if lines_mode {
        let mut reader = match std::fs::File::open(path) {
            Ok(f) => std::io::BufReader::with_capacity(1 << 20, f),
            Err(e) => return send(vec![(at(0), Err(format!("cannot read: {e}")))]),
        };
        let mut line_no = 0;
        loop {
            let mut line = Vec::new();
            match reader.read_until(b'\n', &mut line) {
                Ok(0) => break,
                Ok(_) => line_no += 1,
                Err(e) => {
                    buf.push((at(line_no + 1), Err(format!("cannot read: {e}"))));
                    break;
                }
            }
            if line.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            read.fetch_add(line.len() as u64, Ordering::Relaxed);
            buf.push((at(line_no), Ok(Raw::Document(line))));
            if buf.len() == chunk {
                send(std::mem::take(&mut buf));
            }
        }
    } else {
        let bytes = match std::fs::read(path) {
            Ok(b) => b,
            Err(e) => return send(vec![(at(0), Err(format!("cannot read: {e}")))]),
        };
        let first = bytes.iter().find(|b| !b.is_ascii_whitespace());
        if first == Some(&b'[') {
            match serde_json::from_slice::<Vec<&RawValue>>(&bytes) {
                Ok(items) => {
                    for raw in items {
                        let offset =
                            (raw.get().as_ptr() as usize).saturating_sub(bytes.as_ptr() as usize);
                        let line = 1 + bytes
                            .get(..offset)
                            .unwrap_or_default()
                            .iter()
                            .filter(|&&b| b == b'\n')
                            .count();
                        buf.push((at(line), Ok(Raw::Document(raw.get().as_bytes().to_vec()))));
                        if buf.len() == chunk {
                            send(std::mem::take(&mut buf));
                        }
                    }
                }
                Err(e) => buf.push((
                    at(e.line()),
                    Err(format!("malformed JSON at column {}: {e}", e.column())),
                )),
            }
        } else if first == Some(&b'{') && is_json_ld(&bytes) {
            buf.push((at(1), Ok(Raw::Linked(bytes, Format::JsonLd, base()))));
        } else {
            buf.push((at(1), Ok(Raw::Document(bytes))));
        }
    }
    if !buf.is_empty() {
        send(buf);
    }
}

/// Whether a JSON object is JSON-LD (it has an `@context`).
fn is_json_ld(bytes: &[u8]) -> bool {
    serde_json::from_slice::<serde_json::Map<String, serde_json::Value>>(bytes)
        .is_ok_and(|m| m.contains_key("@context"))
}

fn parse_chunk(raw: RawChunk, vocab: &Vocabularies, mirrors: &Mirrors) -> Parsed {
    raw.into_iter()
        .flat_map(|(src, r)| {
            let parsed = match r {
                Ok(raw) => parse_guarded(raw, vocab, mirrors),
                Err(e) => vec![Err(e)],
            };
            parsed.into_iter().map(move |p| (src.clone(), p))
        })
        .collect()
}

/// Parses one document; a parser that panics fails this document alone, with a message that
/// says so, instead of taking its worker (and the documents queued for it) down.
fn parse_guarded(
    raw: Raw,
    vocab: &Vocabularies,
    mirrors: &Mirrors,
) -> Vec<Result<Ingested, String>> {
    crate::panics::catch(|| match raw {
        Raw::Document(bytes) => vec![parse_one(bytes, vocab).map(Ingested::from)],
        Raw::Cwl(path) => vec![pipeline(&path, vocab, mirrors)],
        Raw::Datalab(path) => vec![datalab(&path, vocab)],
        Raw::Linked(bytes, format, base) => linked(&bytes, format, &base, vocab),
    })
    .unwrap_or_else(|panic| vec![Err(format!("internal error while reading: {panic}"))])
}

/// A schema.org or DCAT document: an asset per resource of a class the catalogue knows.
fn linked(
    bytes: &[u8],
    format: Format,
    base: &str,
    vocab: &Vocabularies,
) -> Vec<Result<Ingested, String>> {
    match crate::linked::import::read(bytes, format, base, vocab) {
        Err(e) => vec![Err(e.to_string())],
        Ok(found) => found
            .into_iter()
            .map(|i| {
                for n in &i.notices {
                    eprintln!("{}: {n}", i.subject);
                }
                let bytes = serde_json::to_vec(&i.asset).map_err(|e| e.to_string())?;
                parse_one(bytes, vocab)
                    .map(Ingested::from)
                    .map_err(|e| format!("{}: {e}", i.subject))
            })
            .collect(),
    }
}

/// A CWL file, with the files it names in its folder, as a pipeline asset and, when it names
/// its version (`s:softwareVersion`), that version with the files read.
fn pipeline(path: &Path, vocab: &Vocabularies, mirrors: &Mirrors) -> Result<Ingested, String> {
    use crate::artefact::cwl::{self, Directory, Limits};
    let dir = path.parent().unwrap_or(Path::new("."));
    let entry = path
        .file_name()
        .and_then(|n| n.to_str())
        .ok_or_else(|| "the file name is not UTF-8".to_owned())?;
    let reading = cwl::read(
        &Directory(dir.to_path_buf()),
        entry,
        &mirrors.as_mirrors(),
        Limits::default(),
    )
    .map_err(|e| e.to_string())?;
    let (asset, notices) = cwl::to_asset(&reading, vocab);
    for n in notices {
        eprintln!("{}: {n}", path.display());
    }
    let bytes = serde_json::to_vec(&asset).map_err(|e| e.to_string())?;
    let asset = parse_one(bytes, vocab)?;
    let version = match &asset.version {
        Some(name) => Some(NewVersion {
            name: name.clone(),
            description: None,
            actor: Some("operator".into()),
            entry: Some(entry.to_owned()),
            // The files of its folder it reads; a document read from a mirror is not its own.
            files: reading
                .files
                .iter()
                .filter(|(p, _)| !p.contains("://"))
                .cloned()
                .collect(),
            meta: crate::catalog::write::version_meta(&asset),
        }),
        None => {
            eprintln!(
                "{}: the pipeline names no version (s:softwareVersion): stored without one",
                path.display()
            );
            None
        }
    };
    Ok(Ingested { asset, version })
}

/// A datalab package's descriptor, with the Dockerfile beside it, as a datalab asset and the
/// version it makes.
fn datalab(path: &Path, vocab: &Vocabularies) -> Result<Ingested, String> {
    use crate::artefact::cwl::Bundle;
    use crate::artefact::datalab::{self, Given};
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .ok_or_else(|| "the file name is not UTF-8".to_owned())?;
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read: {e}"))?;
    let mut bundle = Bundle::single(name, bytes).map_err(|e| e.to_string())?;
    let dir = path.parent().unwrap_or(Path::new("."));
    for c in ["Dockerfile", "Containerfile"] {
        if let Ok(b) = std::fs::read(dir.join(c)) {
            bundle.insert(c, b).map_err(|e| e.to_string())?;
            break;
        }
    }
    let package = datalab::read(&bundle, Given::default()).map_err(|e| match e {
        datalab::Refusal::Schema { problems, .. } => {
            let details: Vec<String> = problems
                .iter()
                .map(|(pointer, m)| format!("{pointer}: {m}"))
                .collect();
            format!("not a datalab manifest: {}", details.join("; "))
        }
        other => other.to_string(),
    })?;
    let (asset, notices) = datalab::to_asset(&package, vocab);
    for n in package.notices.iter().chain(&notices) {
        eprintln!("{}: {n}", path.display());
    }
    let bytes = serde_json::to_vec(&asset).map_err(|e| e.to_string())?;
    let asset = parse_one(bytes, vocab)?;
    let version = asset.version.clone().map(|name| NewVersion {
        name,
        description: package.manifest.version_description.clone(),
        actor: Some("operator".into()),
        entry: None,
        files: bundle
            .files()
            .map(|(p, b)| (p.to_owned(), b.to_vec()))
            .collect(),
        meta: datalab::asset::version_meta(&package, &asset),
    });
    if version.is_none() {
        eprintln!(
            "{}: the package names no version (nor does its image's tag): stored without one",
            path.display()
        );
    }
    Ok(Ingested { asset, version })
}

fn parse_one(bytes: Vec<u8>, vocab: &Vocabularies) -> Result<Asset, String> {
    let bytes = bytes
        .strip_prefix(b"\xEF\xBB\xBF")
        .map(<[u8]>::to_vec)
        .unwrap_or(bytes);
    if bytes.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'<') {
        return voresource(&bytes, vocab);
    }
    document::parse(&bytes, vocab).map_err(|e| {
        let details: Vec<String> = e
            .problems()
            .into_iter()
            .map(|p| {
                let hint = if p.closest.is_empty() {
                    String::new()
                } else {
                    format!(" (closest: {})", p.closest.join(", "))
                };
                if p.pointer.is_empty() {
                    format!("{}{hint}", p.message)
                } else {
                    format!("{}: {}{hint}", p.pointer, p.message)
                }
            })
            .collect();
        format!("{e}: {}", details.join("; "))
    })
}

/// A VOResource record as an asset (a record of a deleted resource is refused: there is
/// nothing to load).
fn voresource(bytes: &[u8], vocab: &Vocabularies) -> Result<Asset, String> {
    use crate::ivoa::voresource::resource::{Record, read};
    let text = std::str::from_utf8(bytes).map_err(|e| format!("not UTF-8: {e}"))?;
    match read(text, vocab).map_err(|e| e.to_string())? {
        Record::Resource(a) => Ok(*a),
        Record::Deleted { ivoid, .. } => Err(format!(
            "the record says {ivoid} is deleted: nothing to load"
        )),
    }
}

/// Runs the ingest; the exit code is non-zero when any document failed.
pub async fn run(catalog: &Catalog, args: IngestArgs) -> anyhow::Result<ExitCode> {
    let mirrors: Mirrors = Arc::new(
        crate::artefact::cwl::Mirrors::parse(&args.mirrors)
            .map_err(|e| anyhow::anyhow!("--mirror: {e}"))?,
    );
    let mut files = Vec::new();
    collect_files(&args.paths, &mut files)?;
    let chunk = args.batch.clamp(1, 100_000);
    let workers = std::thread::available_parallelism()
        .map_or(2, |n| n.get())
        .max(1);
    let (raw_tx, raw_rx) = mpsc::sync_channel::<(usize, RawChunk)>(workers * 2);
    let raw_rx = Arc::new(Mutex::new(raw_rx));
    let (parsed_tx, mut parsed_rx) = tokio::sync::mpsc::channel::<(usize, Parsed)>(workers * 2);

    // The bar follows the bytes read (a little ahead of what is committed: at most the chunks
    // the parsers hold).
    let sizes: Vec<u64> = files
        .iter()
        .map(|f| std::fs::metadata(f).map_or(0, |m| m.len()))
        .collect();
    let total: u64 = sizes.iter().sum();
    let read = Arc::new(AtomicU64::new(0));
    let reading = read.clone();
    let reader = std::thread::spawn(move || {
        let mut seq = 0usize;
        let mut done = 0u64;
        for (f, size) in files.iter().zip(sizes) {
            read_file(f, chunk, &reading, &mut |docs| {
                let _ = raw_tx.send((seq, docs));
                seq += 1;
            });
            done += size;
            reading.store(done, Ordering::Relaxed);
        }
    });
    let mut parsers = Vec::new();
    for _ in 0..workers {
        let (rx, tx, vocab) = (raw_rx.clone(), parsed_tx.clone(), catalog.vocab.clone());
        let mirrors = mirrors.clone();
        parsers.push(std::thread::spawn(move || {
            loop {
                let next = rx.lock().map(|r| r.recv());
                let Ok(Ok((seq, raw))) = next else { break };
                if tx
                    .blocking_send((seq, parse_chunk(raw, &vocab, &mirrors)))
                    .is_err()
                {
                    break;
                }
            }
        }));
    }
    drop(parsed_tx);

    let progress = super::bars::bytes(total);
    let started = std::time::Instant::now();
    let (mut loaded, mut failed, mut next) = (0usize, 0usize, 0usize);
    let mut pending: BTreeMap<usize, Parsed> = BTreeMap::new();
    while let Some((seq, parsed)) = parsed_rx.recv().await {
        pending.insert(seq, parsed);
        while let Some(parsed) = pending.remove(&next) {
            next += 1;
            let mut good = Vec::with_capacity(parsed.len());
            let mut versions = Vec::new();
            let mut last = None;
            for (src, r) in parsed {
                match r {
                    Ok(Ingested { asset, version }) => {
                        if let Some(v) = version {
                            versions.push((asset.id.clone(), v));
                        }
                        good.push(asset);
                        last = Some(src);
                    }
                    Err(msg) => {
                        failed += 1;
                        progress.suspend(|| eprintln!("{src}: {msg}"));
                    }
                }
            }
            if let Some(last) = last {
                let n = good.len();
                let revisions = catalog.write(good).await?;
                for kept in catalog.attach_versions(versions).await? {
                    progress.suspend(|| eprintln!("{kept}"));
                }
                loaded += n;
                progress.set_position(read.load(Ordering::Relaxed));
                progress.set_message(format!(
                    "{loaded} documents ({:.0}/s)",
                    loaded as f64 / started.elapsed().as_secs_f64().max(1e-3)
                ));
                if args.verbose {
                    let rev = revisions.last().copied().unwrap_or(0);
                    progress.suspend(|| {
                        println!("committed {n} documents through {last} (revision {rev})")
                    });
                }
            }
        }
    }
    progress.finish_and_clear();
    // A chunk whose worker died never arrived: its documents are failures too.
    for (seq, parsed) in pending {
        failed += parsed.len();
        eprintln!("chunk {seq} was read but not committed: an earlier chunk never arrived");
    }
    if let Err(panic) = reader.join() {
        failed += 1;
        eprintln!(
            "the file reader failed: {}",
            crate::panics::message(&*panic)
        );
    }
    for p in parsers {
        if let Err(panic) = p.join() {
            failed += 1;
            eprintln!("a parser failed: {}", crate::panics::message(&*panic));
        }
    }
    let secs = started.elapsed().as_secs_f64();
    println!(
        "ingested {loaded} assets in {secs:.1} s ({:.0} assets/s); {failed} failed; store revision {}",
        loaded as f64 / secs.max(1e-9),
        catalog.store.revision()?
    );
    Ok(if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
