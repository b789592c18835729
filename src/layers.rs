//! The layer table of `lib.rs`, checked: every `crate::` and `super::` path in `src/` (outside
//! test code) must name a module of a lower layer, or of its own module tree; the protocols
//! never name one another; inside `ivoa` its parts keep their own order; and no two sibling
//! modules name each other. A failure names the file, the line and the rule.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Top-level modules by layer, bottom first (the table of `lib.rs`).
const LAYERS: &[&[&str]] = &[
    &["clock", "secrets", "panics", "escape", "testing"],
    &["model"],
    &["store"],
    &["access"],
    &["project"],
    &["search", "linked", "ivoa", "artefact"],
    &["catalog"],
    &["portal"],
    &["telemetry"],
    &["config"],
    &["http"],
    &["cli"],
];

/// The protocols: layer-5 modules that may not name one another.
const PROTOCOLS: &[&str] = &["search", "linked", "ivoa", "artefact"];

/// The parts of `ivoa` by layer, bottom first (the map of `ivoa/mod.rs`).
const IVOA: &[&[&str]] = &[
    &["xml", "params", "adql"],
    &["uws", "voresource"],
    &["regtap"],
    &["tap"],
    &["vosi", "oai"],
];

fn rank(table: &[&[&str]], name: &str) -> Option<usize> {
    table.iter().position(|l| l.contains(&name))
}

/// `src/a/b.rs` and `src/a/b/mod.rs` are both module `a::b`.
fn module_of(src: &Path, file: &Path) -> Vec<String> {
    let rel = file.strip_prefix(src).unwrap_or(file);
    let mut parts: Vec<String> = rel
        .iter()
        .map(|p| p.to_string_lossy().trim_end_matches(".rs").to_owned())
        .collect();
    if matches!(
        parts.last().map(String::as_str),
        Some("mod" | "lib" | "main")
    ) {
        parts.pop();
    }
    parts
}

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// Test code: the files of tests, and whatever follows a `#[cfg(test)]` module in a file.
fn is_test_file(module: &[String]) -> bool {
    module
        .last()
        .is_some_and(|m| m == "tests" || m.ends_with("_tests") || m == "testing" || m == "layers")
}

/// The module paths named on a line: `crate::a::b::C` gives `[a, b, C]`, `super::x` resolved
/// against `module`.
fn paths_on(line: &str, module: &[String]) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    let bytes = line.as_bytes();
    let mut i = 0;
    while i < line.len() {
        let rest = &line[i..];
        let start_ok =
            i == 0 || !(bytes[i - 1].is_ascii_alphanumeric() || b"_.:".contains(&bytes[i - 1]));
        let (base, skip): (Vec<String>, usize) = if start_ok && rest.starts_with("crate::") {
            (Vec::new(), "crate::".len())
        } else if start_ok && rest.starts_with("super::") {
            // `super` is the parent of the module path (a `mod.rs` is its directory's module).
            let mut base = module.to_vec();
            let mut skip = 0;
            while rest[skip..].starts_with("super::") {
                base.pop();
                skip += "super::".len();
            }
            (base, skip)
        } else {
            i += rest.chars().next().map_or(1, char::len_utf8);
            continue;
        };
        let tail = &rest[skip..];
        let mut path = base;
        for seg in tail.split("::") {
            let ident: String = seg
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            if ident.is_empty() {
                break;
            }
            let whole = ident.len() == seg.len();
            path.push(ident);
            if !whole {
                break;
            }
        }
        out.push(path);
        i += skip;
    }
    out
}

/// The longest known module that `path` starts with.
fn resolve(path: &[String], modules: &BTreeSet<Vec<String>>) -> Option<Vec<String>> {
    (1..=path.len())
        .rev()
        .map(|n| path[..n].to_vec())
        .find(|p| modules.contains(p))
}

/// Why `from` may not name `to`, if it may not.
fn violation(from: &[String], to: &[String]) -> Option<String> {
    let (Some(f), Some(t)) = (from.first(), to.first()) else {
        return None;
    };
    if f == t {
        if f == "ivoa" {
            let (Some(fp), Some(tp)) = (from.get(1), to.get(1)) else {
                return None;
            };
            if fp == tp {
                return None;
            }
            let (Some(a), Some(b)) = (rank(IVOA, fp), rank(IVOA, tp)) else {
                return Some(format!("ivoa::{fp} or ivoa::{tp} is not in the ivoa table"));
            };
            if b >= a {
                return Some(format!(
                    "ivoa::{fp} (part {a}) may not name ivoa::{tp} (part {b})"
                ));
            }
        }
        return None;
    }
    let (Some(a), Some(b)) = (rank(LAYERS, f), rank(LAYERS, t)) else {
        return Some(format!("{f} or {t} is not in the layer table"));
    };
    if PROTOCOLS.contains(&f.as_str()) && PROTOCOLS.contains(&t.as_str()) {
        return Some(format!("the protocol {f} may not name the protocol {t}"));
    }
    (b >= a).then(|| format!("{f} (layer {a}) may not name {t} (layer {b})"))
}

#[test]
fn every_import_points_down() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut all = Vec::new();
    files(&src, &mut all);
    all.sort();
    let modules: BTreeSet<Vec<String>> = all.iter().map(|f| module_of(&src, f)).collect();
    let mut problems = Vec::new();
    // Sibling modules naming each other, for the cycle check: (parent, from, to) -> where.
    let mut siblings: BTreeMap<(Vec<String>, String, String), String> = BTreeMap::new();
    for file in &all {
        let module = module_of(&src, file);
        if is_test_file(&module) {
            continue;
        }
        let text = std::fs::read_to_string(file).unwrap_or_default();
        let mut lines = text.lines().enumerate().peekable();
        while let Some((n, line)) = lines.next() {
            let code = line.trim_start();
            if code.starts_with("#[cfg(test)]") {
                // A test module runs to the end of the file; a test item is one line.
                if lines
                    .peek()
                    .is_some_and(|(_, l)| l.contains("mod ") && l.contains('{'))
                {
                    break;
                }
                lines.next();
                continue;
            }
            if code.starts_with("//") {
                continue;
            }
            let code = code.split(" //").next().unwrap_or(code);
            for path in paths_on(code, &module) {
                let Some(target) = resolve(&path, &modules) else {
                    continue;
                };
                let at = format!("{}:{}", file.display(), n + 1);
                if let Some(why) = violation(&module, &target) {
                    problems.push(format!("{at}: {why}: {}", code.trim()));
                }
                // Siblings: same parent, neither inside the other.
                let common = module
                    .iter()
                    .zip(&target)
                    .take_while(|(a, b)| a == b)
                    .count();
                if common < module.len() && common < target.len() {
                    siblings
                        .entry((
                            module[..common].to_vec(),
                            module[common].clone(),
                            target[common].clone(),
                        ))
                        .or_insert(at);
                }
            }
        }
    }
    for ((parent, a, b), at) in &siblings {
        if a < b
            && let Some(back) = siblings.get(&(parent.clone(), b.clone(), a.clone()))
        {
            let p = parent.join("::");
            problems.push(format!(
                "{p}::{a} and {p}::{b} name each other ({at}; {back})"
            ));
        }
    }
    assert!(
        problems.is_empty(),
        "imports against the layer table of lib.rs:\n{}",
        problems.join("\n")
    );
}

#[test]
fn the_check_sees_a_path_that_points_up() {
    let m = |s: &str| s.split("::").map(str::to_owned).collect::<Vec<_>>();
    assert!(violation(&m("store"), &m("catalog")).is_some());
    assert!(violation(&m("search"), &m("ivoa::tap")).is_some());
    assert!(violation(&m("ivoa::voresource"), &m("ivoa::tap::vosi")).is_some());
    assert!(violation(&m("ivoa::tap::query"), &m("ivoa::regtap::project")).is_none());
    assert!(violation(&m("http::oai"), &m("ivoa::oai")).is_none());
    let got = paths_on(
        "use super::dense::X; crate::store::Store::open(); x.crate::no",
        &m("search::leaves"),
    );
    assert_eq!(
        got,
        vec![m("search::dense::X"), m("store::Store::open")],
        "{got:?}"
    );
    assert_eq!(
        paths_on("use super::Result;", &m("search::suggest")),
        vec![m("search::Result")]
    );
}
