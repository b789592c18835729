//! The portal in a real browser: `tests/browser/portal.py` drives Debian's headless Chromium
//! with Playwright (both installed by `scripts/prereqs.sh`) against the demo catalogue, with a
//! private asset its owner shares with one other account. Flows with the script on and off, a
//! keyboard-only run, facet counts against the API for three callers, axe-core on every kind
//! of page, and the exports of one URL against its page. Screenshots go to
//! `target/screenshots/`.
//!
//! `tests/browser/authoring.py` does the same for the signed-in pages on an empty catalogue: an
//! asset's whole life from sign-in to publication, with the script on and off, the forms that
//! must be refused, sign-out and revocation, axe-core on every signed-in page.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::common::{Server, bin, token};
use serde_json::json;

/// The browser tests' prerequisites, which must be there (the tests fail without them): the
/// Python with Playwright, axe-core and Chromium; and the screenshot folder.
struct Prereqs {
    root: &'static Path,
    python: PathBuf,
    axe: PathBuf,
    shots: PathBuf,
}

fn prereqs() -> Prereqs {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let python = root.join("target/venv/bin/python");
    let axe = root.join("target/npm/node_modules/axe-core/axe.min.js");
    for (what, path) in [
        ("the test clients (make prereqs)", python.as_path()),
        ("axe-core (make prereqs)", axe.as_path()),
        (
            "Debian's chromium (make prereqs)",
            Path::new("/usr/bin/chromium"),
        ),
    ] {
        assert!(path.exists(), "{what} is missing: {}", path.display());
    }
    let shots = root.join("target/screenshots");
    std::fs::create_dir_all(&shots).expect("screenshot folder");
    Prereqs {
        root,
        python,
        axe,
        shots,
    }
}

/// The prerequisites checked, and a server on a fresh data directory (the demo catalogue).
fn started() -> (Prereqs, tempfile::TempDir, Server) {
    let p = prereqs();
    let dir = tempfile::tempdir().expect("temp dir");
    let s = Server::start(dir.path(), &[]);
    (p, dir, s)
}

#[test]
fn the_portal_in_a_browser() {
    let (p, dir, s) = started();
    let owner = token(dir.path(), "browser-owner", &["developer"], &[]);
    let shared = token(dir.path(), "browser-friend", &["developer"], &[]);
    let id = "browser-private";
    let doc = json!({"id": id, "type": "Dataset", "name": "Browser private zzbrowser",
        "abstract": "Shared with one friend.", "license": "CC-BY-4.0", "mission": ["Gaia DR3"],
        "keywords": ["zzbrowser"], "visibility": {"audience": "private", "users": ["browser-friend"]}});
    let r = s.call(
        "POST",
        "/api/v1/assets",
        &owner,
        Some("application/json"),
        Some(doc.to_string()),
        None,
    );
    assert!(
        r.status().is_success(),
        "create: {}",
        r.text().unwrap_or_default()
    );
    // A private audience is shared at once on submission, without review.
    let r = s.call(
        "POST",
        &format!("/api/v1/assets/{id}/submit"),
        &owner,
        None,
        None,
        None,
    );
    assert!(
        r.status().is_success(),
        "submit: {}",
        r.text().unwrap_or_default()
    );

    run(
        &p.python,
        &p.root.join("tests/browser/portal.py"),
        [
            &s.base,
            &p.shots.display().to_string(),
            &p.axe.display().to_string(),
        ],
        &[owner.as_str(), shared.as_str(), id],
    );
}

/// Runs a browser script with the server's address, the screenshot folder, axe-core and
/// `rest`; fails with its output unless every check passed.
fn run(python: &Path, script: &Path, first: [&String; 3], rest: &[&str]) {
    let out = Command::new(python)
        .arg(script)
        .args(first)
        .args(rest)
        .output()
        .expect("run the browser checks");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    eprintln!("{stdout}");
    assert!(
        out.status.success(),
        "browser checks of {} failed:\n{stdout}\n{stderr}",
        script.display()
    );
}

#[test]
fn the_authoring_pages_in_a_browser() {
    let (p, dir, s) = started();
    let ann = token(dir.path(), "dev-ann", &["developer"], &[]);
    let ben = token(dir.path(), "dev-ben", &["developer"], &[]);
    let mia = token(dir.path(), "mod-mia", &["moderator"], &[]);
    // Signs in, then has the token revoked under the session by the script.
    let cat = token(dir.path(), "dev-cat", &["developer"], &[]);

    let data = dir.path().display().to_string();
    run(
        &p.python,
        &p.root.join("tests/browser/authoring.py"),
        [
            &s.base,
            &p.shots.display().to_string(),
            &p.axe.display().to_string(),
        ],
        &[&ann, &ben, &mia, &cat, &data, bin()],
    );
}
