//! The portal in a real browser: `tests/browser/portal.py` drives Debian's headless Chromium
//! with Playwright (both installed by `scripts/prereqs.sh`) against the demo catalogue, with a
//! private asset its owner shares with one other account. Flows with the script on and off, a
//! keyboard-only run, facet counts against the API for three callers, axe-core on every kind
//! of page, and the exports of one URL against its page. Screenshots go to
//! `target/screenshots/`.

use std::path::Path;
use std::process::Command;

use crate::common::{Server, token};
use serde_json::json;

#[test]
fn the_portal_in_a_browser() {
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

    let dir = tempfile::tempdir().expect("temp dir");
    let s = Server::start(dir.path(), &[]);
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

    let out = Command::new(&python)
        .arg(root.join("tests/browser/portal.py"))
        .args([
            &s.base,
            &shots.display().to_string(),
            &axe.display().to_string(),
        ])
        .args([&owner, &shared, id])
        .output()
        .expect("run the browser checks");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    eprintln!("{stdout}");
    assert!(
        out.status.success(),
        "browser checks failed:\n{stdout}\n{stderr}"
    );
}
