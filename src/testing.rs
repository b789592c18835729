//! What the unit tests of several modules share: the offline validation of XML documents
//! against the official IVOA schemas (`../shared/corpus/xsd/validate-example.sh`, xmllint).

/// Validates a document against the IVOA schemas; panics with the validator's report.
pub(crate) fn validate(xml: &[u8]) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("doc.xml");
    std::fs::write(&file, xml).unwrap();
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../shared/corpus/xsd/validate-example.sh"
    );
    let out = std::process::Command::new("sh")
        .arg(script)
        .arg(&file)
        .output()
        .expect("run the XSD validator (needs xmllint: scripts/prereqs.sh installs it)");
    let report = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.status.success() && report.contains("validates"),
        "{report}\n{}",
        String::from_utf8_lossy(xml)
    );
}
