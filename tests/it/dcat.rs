//! `/dcat`: the catalogue as DCAT-AP 3, validated with pyshacl against the DCAT-AP 3.0.1 shapes
//! (core: no violation; recommended: no violation, warnings counted), and exactly the public
//! datasets and data volumes in it.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

use crate::common::{Server, shared};
use oxigraph::io::{RdfFormat, RdfParser};

fn pyshacl(shapes: &str, data: &Path) -> String {
    let bin = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/venv/bin/pyshacl");
    assert!(
        bin.exists(),
        "{} is missing: run scripts/prereqs.sh (make test does)",
        bin.display()
    );
    let shapes = shared().join("corpus/dcat/shacl").join(shapes);
    let out = Command::new(bin)
        .arg("-s")
        .arg(shapes)
        .arg("-df")
        .arg("turtle")
        .arg(data)
        .output()
        .expect("run pyshacl");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn dcat_ap_validates_and_lists_the_public_datasets() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(dir.path(), &[]);
    let r = s.get("/dcat");
    assert_eq!(r.status(), 200);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/turtle")
    );
    let ttl = r.text().unwrap();
    let file = dir.path().join("dcat.ttl");
    std::fs::write(&file, &ttl).unwrap();

    // DCAT-AP 3.0.1 core shapes: conforms. (The release's combined dcat-ap-SHACL.ttl names a
    // property shape it does not define, which pyshacl refuses to load; the HTML release's
    // shape files are the same constraints, split into core and recommended.)
    let core = pyshacl("dcat-ap-3.0.1-html-shapes.ttl", &file);
    assert!(core.contains("Conforms: True"), "{core}");
    let recommended = pyshacl("dcat-ap-3.0.1-html-shapes_recommended.ttl", &file);
    assert!(!recommended.contains("sh:Violation"), "{recommended}");
    eprintln!(
        "dcat: recommended shapes give {} warnings",
        recommended.matches("Severity: sh:Warning").count()
    );

    // Exactly the public datasets and data volumes.
    let mut in_dcat = BTreeSet::new();
    let dataset = "http://www.w3.org/ns/dcat#Dataset";
    for t in RdfParser::from_format(RdfFormat::Turtle).for_slice(ttl.as_bytes()) {
        let t = t.expect("valid Turtle");
        if t.predicate.as_str() == "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
            && t.object.to_string() == format!("<{dataset}>")
        {
            let subject = t.subject.to_string();
            in_dcat.insert(
                subject
                    .trim_matches(|c| c == '<' || c == '>')
                    .rsplit('/')
                    .next()
                    .unwrap()
                    .to_owned(),
            );
        }
    }
    let mut expected = BTreeSet::new();
    for kind in ["Dataset", "DataVolume"] {
        let page: serde_json::Value = s
            .get(&format!("/api/v1/assets?type={kind}&limit=100"))
            .json()
            .unwrap();
        for h in page["hits"].as_array().unwrap() {
            expected.insert(h["id"].as_str().unwrap().to_owned());
        }
    }
    assert!(expected.len() >= 5);
    assert_eq!(in_dcat, expected);

    // The same graph in the other syntaxes (no blank nodes: triple sets compare directly).
    let triples = |text: &str, format: RdfFormat| -> BTreeSet<String> {
        RdfParser::from_format(format)
            .for_slice(text.as_bytes())
            .map(|t| t.expect("valid RDF").to_string())
            .collect()
    };
    let turtle = triples(&ttl, RdfFormat::Turtle);
    for (accept, format) in [
        (
            "application/ld+json",
            RdfFormat::JsonLd {
                profile: oxigraph::io::JsonLdProfileSet::empty(),
            },
        ),
        ("application/rdf+xml", RdfFormat::RdfXml),
        ("application/n-triples", RdfFormat::NTriples),
    ] {
        let r = s.get_accept("/dcat", accept);
        assert_eq!(r.status(), 200, "{accept}");
        assert_eq!(r.headers()["content-type"], accept);
        assert_eq!(r.headers()["vary"], "Accept");
        assert_eq!(triples(&r.text().unwrap(), format), turtle, "{accept}");
    }
    assert_eq!(s.get_accept("/dcat", "image/png").status(), 406);
}
