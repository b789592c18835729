//! The demo catalogue is valid, consistent, and its pipelines match their real CWL files.

use std::collections::HashMap;
use std::path::Path;

use orrery::model::{Asset, Status, Vocabularies, document};
use yaml_serde::Value as Yaml;

fn load() -> Vec<(String, Asset)> {
    let vocab = Vocabularies::load().unwrap();
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/assets");
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let path = e.unwrap().path();
        let bytes = std::fs::read(&path).unwrap();
        let asset =
            document::parse(&bytes, &vocab).unwrap_or_else(|e| panic!("{}: {e:?}", path.display()));
        out.push((
            path.file_stem().unwrap().to_string_lossy().into_owned(),
            asset,
        ));
    }
    out
}

#[test]
fn demo_catalogue_is_complete_and_consistent() {
    let assets = load();
    let by_id: HashMap<&str, &Asset> = assets.iter().map(|(_, a)| (a.id.as_str(), a)).collect();
    for (stem, a) in &assets {
        assert_eq!(stem, &a.id, "file name and id differ");
        for d in &a.analysable_with {
            assert_eq!(
                by_id.get(d.as_str()).map(|x| x.kind.as_str()),
                Some("Datalab"),
                "{}: analysableWith {d}",
                a.id
            );
        }
        assert!(
            a.abstract_.as_deref().is_some_and(|s| s.len() >= 15),
            "{} needs a real abstract",
            a.id
        );
    }
    let talk = [
        "aladin",
        "filezilla",
        "fv",
        "jl-esdc",
        "jl-euclid-dps",
        "jl-herschel",
        "jl-juice",
        "jl-pangaia",
        "jupyterlab",
        "jlwst",
        "jlwst-miricle",
        "jlwst-nips",
        "jlwst-nsrt",
        "qfitsview",
        "theia-python",
        "x-glab",
        "x-octave",
        "bc-mcam",
        "jwst",
        "image2",
        "detector1",
        "timestamp",
        "scatter-gather",
        "cdr-demo",
        "hello-pipeman",
        "simple",
        "planck-legacy-archive",
        "goce-mission",
        "gaia-dr3",
        "jwst-archive",
        "herschel-science-archive",
    ];
    for id in talk {
        assert!(by_id.contains_key(id), "the demo catalogue lacks {id}");
    }
    assert_eq!(
        by_id["planck-legacy-archive"]
            .volume
            .as_ref()
            .unwrap()
            .mount_path,
        "/data/user/pla_datalabs"
    );
    let hidden = assets
        .iter()
        .filter(|(_, a)| {
            a.status != Some(Status::Published) || a.audience() == orrery::model::Audience::Private
        })
        .count();
    assert!(
        hidden >= 4,
        "the demo catalogue shows the access rules with private and draft assets"
    );
}

fn cwl_params(doc: &Yaml, key: &str) -> Vec<(String, String)> {
    let short = |t: &Yaml| match t {
        Yaml::String(s) => s.clone(),
        Yaml::Mapping(m) => match m.get("type") {
            Some(Yaml::String(s)) => s.clone(),
            Some(Yaml::Mapping(inner))
                if inner.get("type") == Some(&Yaml::String("array".into())) =>
            {
                format!(
                    "{}[]",
                    inner.get("items").and_then(|i| i.as_str()).unwrap_or("Any")
                )
            }
            _ => String::new(),
        },
        _ => String::new(),
    };
    match doc.get(key) {
        Some(Yaml::Mapping(m)) => m
            .iter()
            .map(|(k, v)| (k.as_str().unwrap_or_default().to_owned(), short(v)))
            .collect(),
        Some(Yaml::Sequence(s)) => s
            .iter()
            .map(|v| {
                (
                    v.get("id")
                        .and_then(|i| i.as_str())
                        .unwrap_or_default()
                        .to_owned(),
                    short(v),
                )
            })
            .collect(),
        _ => Vec::new(),
    }
}

#[test]
fn pipelines_match_their_cwl_files() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/cwl");
    let mut checked = 0;
    for (_, a) in load().into_iter().filter(|(_, a)| a.kind == "Pipeline") {
        let p = a
            .pipeline
            .as_ref()
            .unwrap_or_else(|| panic!("{} has no pipeline block", a.id));
        let entry = root.join(&a.id).join(p.entry_point.as_deref().unwrap());
        let doc: Yaml = yaml_serde::from_str(&std::fs::read_to_string(&entry).unwrap()).unwrap();
        assert_eq!(
            doc.get("class").and_then(|c| c.as_str()),
            Some("Workflow"),
            "{}",
            entry.display()
        );
        let steps: Vec<String> = match doc.get("steps") {
            Some(Yaml::Mapping(m)) => m
                .values()
                .map(|s| s.get("run").and_then(|r| r.as_str()).unwrap().to_owned())
                .collect(),
            Some(Yaml::Sequence(s)) => s
                .iter()
                .map(|s| s.get("run").and_then(|r| r.as_str()).unwrap().to_owned())
                .collect(),
            _ => panic!("{} has no steps", entry.display()),
        };
        for run in &steps {
            assert!(
                root.join(&a.id).join(run).exists(),
                "{}: step file {run} missing",
                a.id
            );
        }
        let stems: Vec<String> = steps
            .iter()
            .map(|r| r.trim_end_matches(".cwl").to_owned())
            .collect();
        let ids: Vec<String> = p.steps.iter().map(|s| s.id.clone()).collect();
        assert_eq!(ids, stems, "{}", a.id);
        let inputs: Vec<(String, String)> = p
            .inputs
            .iter()
            .map(|i| (i.id.clone(), i.kind.clone().unwrap_or_default()))
            .collect();
        assert_eq!(inputs, cwl_params(&doc, "inputs"), "{} inputs", a.id);
        let outputs: Vec<(String, String)> = p
            .outputs
            .iter()
            .map(|i| (i.id.clone(), i.kind.clone().unwrap_or_default()))
            .collect();
        assert_eq!(outputs, cwl_params(&doc, "outputs"), "{} outputs", a.id);
        checked += 1;
    }
    assert!(checked >= 9, "{checked} pipelines checked");
}
