//! The portal's stylesheet, script and icon, compiled into the binary and served under names that
//! carry a hash of their content (`/static/portal.3f2a….css`), so that a browser may keep them
//! for a year: a new build changes the name, never the content behind an old one.

use std::sync::LazyLock;

use sha2::{Digest, Sha256};

const CSS: &str = include_str!("static/portal.css");
const JS: &str = include_str!("static/portal.js");
const ICON: &str = include_str!("static/icon.svg");

/// One embedded file.
pub struct Static {
    /// The path it is served at.
    pub path: String,
    pub content_type: &'static str,
    pub body: &'static str,
}

fn hashed(stem: &str, ext: &str, body: &'static str, content_type: &'static str) -> Static {
    let digest = Sha256::digest(body.as_bytes());
    let hex: String = digest.iter().take(6).map(|b| format!("{b:02x}")).collect();
    Static {
        path: format!("/static/{stem}.{hex}.{ext}"),
        content_type,
        body,
    }
}

static FILES: LazyLock<[Static; 3]> = LazyLock::new(|| {
    [
        hashed("portal", "css", CSS, "text/css; charset=utf-8"),
        hashed("portal", "js", JS, "text/javascript; charset=utf-8"),
        hashed("icon", "svg", ICON, "image/svg+xml"),
    ]
});

/// The stylesheet's path.
pub fn css_path() -> &'static str {
    &FILES[0].path
}

/// The script's path.
pub fn js_path() -> &'static str {
    &FILES[1].path
}

/// The icon's path.
pub fn icon_path() -> &'static str {
    &FILES[2].path
}

/// The file served at `path` (`/static/…`), if any.
pub fn get(path: &str) -> Option<&'static Static> {
    FILES.iter().find(|f| f.path == path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_carry_the_content_hash() {
        assert!(css_path().starts_with("/static/portal.") && css_path().ends_with(".css"));
        assert_eq!(get(js_path()).map(|f| f.body), Some(JS));
        assert!(get("/static/portal.css").is_none());
    }
}
