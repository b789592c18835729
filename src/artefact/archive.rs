//! Bundles as they are pushed: a zip, or a tar compressed with gzip, read into a [`Bundle`]
//! under caps on the number of files and their total size (sizes are counted as the bytes come
//! out, not as the headers claim). An entry that would land outside the bundle (an absolute
//! path, `..` above the root) or that is a link is refused, never followed. An archive of one
//! folder holding the bundle reads as that folder.

use std::io::Read;

use super::ArtefactError;
use super::cwl::Bundle;
use super::yaml::Pos;

/// How much a bundle may hold.
#[derive(Debug, Clone, Copy)]
pub struct Caps {
    pub max_files: usize,
    pub max_bytes: u64,
}

impl Default for Caps {
    fn default() -> Caps {
        Caps {
            max_files: 1_000,
            max_bytes: 64 << 20,
        }
    }
}

/// What kind of upload the bytes are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Zip,
    TarGz,
    /// A single document (CWL in YAML or JSON).
    Document,
}

/// Tells a zip (`PK\x03\x04`, or an empty zip's `PK\x05\x06`) and a gzip stream from a
/// document by their first bytes.
pub fn kind(bytes: &[u8]) -> Kind {
    if bytes.starts_with(b"PK\x03\x04") || bytes.starts_with(b"PK\x05\x06") {
        Kind::Zip
    } else if bytes.starts_with(&[0x1f, 0x8b]) {
        Kind::TarGz
    } else {
        Kind::Document
    }
}

fn refuse(name: &str, message: impl Into<String>) -> ArtefactError {
    ArtefactError::new(name, Pos::default(), message)
}

/// Reads at most `left` bytes of `r`, refusing more.
fn take(r: impl Read, name: &str, left: u64) -> Result<Vec<u8>, ArtefactError> {
    let mut out = Vec::new();
    r.take(left + 1)
        .read_to_end(&mut out)
        .map_err(|e| refuse(name, format!("cannot read it from the archive: {e}")))?;
    if out.len() as u64 > left {
        return Err(refuse(
            name,
            "the bundle is larger than allowed once unpacked",
        ));
    }
    Ok(out)
}

/// Reads an archive (`name` names it in errors).
pub fn read(bytes: &[u8], name: &str, caps: Caps) -> Result<Bundle, ArtefactError> {
    let bundle = match kind(bytes) {
        Kind::Zip => zip(bytes, name, caps)?,
        Kind::TarGz => tar_gz(bytes, name, caps)?,
        Kind::Document => {
            return Err(refuse(name, "not a zip or tar.gz archive"));
        }
    };
    if bundle.is_empty() {
        return Err(refuse(name, "the archive holds no file"));
    }
    Ok(unwrap_folder(bundle))
}

struct Budget {
    files: usize,
    bytes: u64,
    caps: Caps,
}

impl Budget {
    fn add(&mut self, name: &str) -> Result<u64, ArtefactError> {
        self.files += 1;
        if self.files > self.caps.max_files {
            return Err(refuse(
                name,
                format!("the bundle holds more than {} files", self.caps.max_files),
            ));
        }
        Ok(self.caps.max_bytes.saturating_sub(self.bytes))
    }
}

fn zip(bytes: &[u8], name: &str, caps: Caps) -> Result<Bundle, ArtefactError> {
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes))
        .map_err(|e| refuse(name, format!("not a readable zip: {e}")))?;
    let mut bundle = Bundle::default();
    let mut budget = Budget {
        files: 0,
        bytes: 0,
        caps,
    };
    for i in 0..archive.len() {
        let file = archive
            .by_index(i)
            .map_err(|e| refuse(name, format!("entry {i}: {e}")))?;
        let path = file
            .name()
            .map_err(|e| refuse(name, format!("entry {i}: its name: {e}")))?
            .into_owned();
        if file.is_dir() {
            continue;
        }
        if file.is_symlink() {
            return Err(refuse(
                &path,
                "a link in the bundle is refused (it could point anywhere)",
            ));
        }
        let left = budget.add(&path)?;
        let data = take(file, &path, left)?;
        budget.bytes += data.len() as u64;
        bundle.insert(&path, data)?;
    }
    Ok(bundle)
}

fn tar_gz(bytes: &[u8], name: &str, caps: Caps) -> Result<Bundle, ArtefactError> {
    let gz = flate2::read::GzDecoder::new(bytes);
    let mut archive = tar::Archive::new(gz);
    let entries = archive
        .entries()
        .map_err(|e| refuse(name, format!("not a readable tar.gz: {e}")))?;
    let mut bundle = Bundle::default();
    let mut budget = Budget {
        files: 0,
        bytes: 0,
        caps,
    };
    for entry in entries {
        let entry = entry.map_err(|e| refuse(name, format!("not a readable tar.gz: {e}")))?;
        let path = entry
            .path()
            .map_err(|e| refuse(name, format!("an entry's name: {e}")))?
            .to_string_lossy()
            .into_owned();
        let kind = entry.header().entry_type();
        if kind.is_dir() || kind.is_pax_global_extensions() || kind.is_pax_local_extensions() {
            continue;
        }
        if kind.is_symlink() || kind.is_hard_link() {
            return Err(refuse(
                &path,
                "a link in the bundle is refused (it could point anywhere)",
            ));
        }
        if !kind.is_file() {
            return Err(refuse(&path, "only files and folders may be in a bundle"));
        }
        let left = budget.add(&path)?;
        let data = take(entry, &path, left)?;
        budget.bytes += data.len() as u64;
        bundle.insert(&path, data)?;
    }
    Ok(bundle)
}

/// `hello/manifest.json`, `hello/x.cwl` → `manifest.json`, `x.cwl`: an archive of one folder.
fn unwrap_folder(bundle: Bundle) -> Bundle {
    let dir = {
        let first: Vec<&str> = bundle
            .paths()
            .map(|p| p.split_once('/').map_or("", |(d, _)| d))
            .collect();
        match first.first() {
            Some(d) if !d.is_empty() && first.iter().all(|x| x == d) => (*d).to_owned(),
            _ => return bundle,
        }
    };
    let mut out = Bundle::default();
    let moved = bundle.files().all(|(p, b)| {
        let inner = p.get(dir.len() + 1..).unwrap_or(p);
        out.insert(inner, b.to_vec()).is_ok()
    });
    if moved { out } else { bundle }
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    fn zip_of(files: &[(&str, &[u8])]) -> Vec<u8> {
        let mut buf = std::io::Cursor::new(Vec::new());
        {
            let mut w = zip::ZipWriter::new(&mut buf);
            let opts = zip::write::SimpleFileOptions::default()
                .compression_method(zip::CompressionMethod::Deflated);
            for (name, data) in files {
                w.start_file(*name, opts).unwrap();
                w.write_all(data).unwrap();
            }
            w.finish().unwrap();
        }
        buf.into_inner()
    }

    fn tar_gz_of(files: &[(&str, &[u8])]) -> Vec<u8> {
        let gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        let mut t = tar::Builder::new(gz);
        for (name, data) in files {
            let mut h = tar::Header::new_gnu();
            h.set_size(data.len() as u64);
            h.set_mode(0o644);
            h.set_cksum();
            t.append_data(&mut h, name, *data).unwrap();
        }
        t.into_inner().unwrap().finish().unwrap()
    }

    #[test]
    fn zips_and_tarballs_read_alike() {
        let files: &[(&str, &[u8])] = &[("hello/manifest.json", b"{}"), ("hello/a.cwl", b"x")];
        for bytes in [zip_of(files), tar_gz_of(files)] {
            let b = read(&bytes, "up", Caps::default()).unwrap();
            assert_eq!(
                b.paths().collect::<Vec<_>>(),
                vec!["a.cwl", "manifest.json"]
            );
        }
    }

    #[test]
    fn a_zip_slip_is_refused() {
        let bytes = zip_of(&[("../../etc/passwd", b"x")]);
        let e = read(&bytes, "up", Caps::default()).unwrap_err();
        assert_eq!(e.file, "../../etc/passwd");
        assert!(e.message.contains("inside"), "{e}");
        let bytes = zip_of(&[("/abs.cwl", b"x")]);
        assert!(read(&bytes, "up", Caps::default()).is_err());
    }

    #[test]
    fn caps_hold_whatever_the_headers_say() {
        let big = vec![b'a'; 10_000];
        let bytes = zip_of(&[("a.cwl", &big)]);
        let caps = Caps {
            max_files: 10,
            max_bytes: 1_000,
        };
        let e = read(&bytes, "up", caps).unwrap_err();
        assert!(e.message.contains("larger"), "{e}");
        let many: Vec<(String, Vec<u8>)> = (0..5).map(|i| (format!("{i}.cwl"), vec![])).collect();
        let refs: Vec<(&str, &[u8])> = many
            .iter()
            .map(|(n, d)| (n.as_str(), d.as_slice()))
            .collect();
        let caps = Caps {
            max_files: 3,
            max_bytes: 1_000,
        };
        assert!(read(&zip_of(&refs), "up", caps).is_err());
        assert!(read(b"not an archive", "up", caps).is_err());
        assert!(read(b"PK\x03\x04garbage", "up", caps).is_err());
        assert!(read(&[0x1f, 0x8b, 0, 1, 2], "up", caps).is_err());
    }
}
