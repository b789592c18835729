//! Every form a datalab package comes in reads into the same manifest.

use super::*;

fn one(name: &str, text: &str) -> Bundle {
    Bundle::single(name, text.as_bytes().to_vec()).unwrap_or_default()
}

fn read_one(name: &str, text: &str) -> Result<Package, Refusal> {
    read(&one(name, text), Given::default())
}

#[test]
fn a_manifest() {
    let p = read_one(
        "datalab.yaml",
        "image: registry.example.org/labs/euclid-dps:1.4.2\nname: Euclid DPS lab\ndefaultUrl: /lab\nmountPaths: [/data, /home/user]\nauthors:\n  - Jane Doe <jane@example.org>\n  - {name: ESA, type: Organization}\n",
    )
    .unwrap();
    assert_eq!(p.form, Form::Manifest);
    assert_eq!(p.manifest.name.as_deref(), Some("Euclid DPS lab"));
    assert_eq!(p.manifest.mount_paths, vec!["/data", "/home/user"]);
    assert_eq!(p.manifest.authors.len(), 2);
    assert_eq!(asset::version_of(&p.manifest).as_deref(), Some("1.4.2"));
}

#[test]
fn schema_problems_name_their_pointer() {
    let err = read_one(
        "datalab.json",
        r#"{"image": "x:1", "defaultUrl": "lab", "authors": [{"name": "A", "orcid": "nope"}], "colour": 1}"#,
    )
    .unwrap_err();
    let Refusal::Schema { file, problems, .. } = err else {
        panic!("{err:?}")
    };
    assert_eq!(file, "datalab.json");
    let pointers: Vec<&str> = problems.iter().map(|(p, _)| p.as_str()).collect();
    assert!(pointers.contains(&"/defaultUrl"), "{problems:?}");
    assert!(pointers.contains(&"/authors/0/orcid"), "{problems:?}");
    assert!(pointers.contains(&""), "{problems:?}");
}

#[test]
fn an_oci_image_config_needs_the_image_named() {
    let config = r#"{"architecture": "amd64", "os": "linux",
      "config": {"Labels": {"org.opencontainers.image.title": "QFitsView",
        "org.opencontainers.image.version": "4.2",
        "org.opencontainers.image.licenses": "GPL-2.0-only",
        "org.opencontainers.image.created": "not a date",
        "org.w3id.esado.default-url": "desktop",
        "org.w3id.esado.mount-paths": "/data, /media/home"}},
      "rootfs": {"type": "layers", "diff_ids": []}}"#;
    let err = read_one("config.json", config).unwrap_err();
    assert!(err.to_string().contains("`image` parameter"), "{err}");
    let p = read(
        &one("config.json", config),
        Given {
            image: Some("registry.example.org/qfitsview:4.2"),
            profile: None,
        },
    )
    .unwrap();
    assert_eq!(p.form, Form::OciConfig);
    assert_eq!(p.manifest.name.as_deref(), Some("QFitsView"));
    assert_eq!(p.manifest.default_url.as_deref(), Some("/desktop"));
    assert_eq!(p.manifest.mount_paths, vec!["/data", "/media/home"]);
    assert_eq!(p.manifest.created, None);
    assert!(
        p.notices.iter().any(|n| n.contains("created")),
        "{:?}",
        p.notices
    );
}

#[test]
fn docker_inspect_output() {
    let p = read_one(
        "inspect.json",
        r#"[{"Id": "sha256:1", "RepoTags": ["aladin:12.0"], "Created": "2024-03-01T10:00:00Z",
            "Config": {"Labels": {"org.label-schema.name": "Aladin Desktop", "maintainer": "CDS <cds@example.org>"}}}]"#,
    )
    .unwrap();
    assert_eq!(p.form, Form::DockerInspect);
    assert_eq!(p.manifest.image, "aladin:12.0");
    assert_eq!(p.manifest.name.as_deref(), Some("Aladin Desktop"));
    assert_eq!(p.manifest.created.as_deref(), Some("2024-03-01T10:00:00Z"));
    assert_eq!(
        p.manifest.authors,
        vec![Author::Text("CDS <cds@example.org>".into())]
    );
}

#[test]
fn oci_manifest_annotations() {
    let p = read(
        &one(
            "manifest.json",
            r#"{"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "annotations": {"org.opencontainers.image.title": "JupyterLab ESDC",
                "org.opencontainers.image.ref.name": "3.1",
                "org.opencontainers.image.source": "https://example.org/src"}}"#,
        ),
        Given {
            image: Some("example.org/jl-esdc"),
            profile: None,
        },
    )
    .unwrap();
    assert_eq!(p.form, Form::OciManifest);
    assert_eq!(p.manifest.tags, vec!["3.1"]);
    assert_eq!(
        p.manifest.source.as_deref(),
        Some("https://example.org/src")
    );
}

#[test]
fn application_hub_profiles() {
    let config = "profiles:\n- id: profile_1\n  groups: [group-A]\n  definition:\n    display_name: Coder demo\n    slug: coder_slug\n    kubespawner_override:\n      cpu_limit: 2\n      image: eoepca/iat-coder:dev\n  default_url: lab\n  volumes:\n  - name: workspace\n    volume_mount:\n      name: workspace\n      mount_path: /workspace\n- id: profile_2\n  definition:\n    display_name: Lab\n    kubespawner_override:\n      image: eoepca/iat-jupyterlab:main\n";
    let err = read_one("config.yml", config).unwrap_err();
    assert!(err.to_string().contains("profile_1, profile_2"), "{err}");
    let p = read(
        &one("config.yml", config),
        Given {
            image: None,
            profile: Some("coder_slug"),
        },
    )
    .unwrap();
    assert_eq!(p.form, Form::AppHubProfile);
    assert_eq!(p.manifest.image, "eoepca/iat-coder:dev");
    assert_eq!(p.manifest.id.as_deref(), Some("profile_1"));
    assert_eq!(p.manifest.name.as_deref(), Some("Coder demo"));
    assert_eq!(p.manifest.default_url.as_deref(), Some("/lab"));
    assert_eq!(p.manifest.groups, vec!["group-A"]);
    assert_eq!(p.manifest.mount_paths, vec!["/workspace"]);
}

#[test]
fn a_bundle_with_a_dockerfile() {
    let mut b = Bundle::default();
    b.insert(
        "datalab.json",
        br#"{"image": "registry.example.org/fv:5.5", "keywords": ["FITS"]}"#.to_vec(),
    )
    .unwrap();
    b.insert(
        "Dockerfile",
        b"FROM debian:12\nLABEL org.opencontainers.image.title=\"fv\" org.opencontainers.image.description=\"FITS viewer.\n\"\n".to_vec(),
    )
    .unwrap();
    let p = read(&b, Given::default()).unwrap();
    assert_eq!(p.form, Form::Manifest);
    assert_eq!(p.descriptor, "datalab.json");
    assert_eq!(p.manifest.name.as_deref(), Some("fv"));
    assert_eq!(p.manifest.keywords, vec!["FITS"]);
}

#[test]
fn a_dockerfile_alone() {
    let p = read(
        &one(
            "Dockerfile",
            "FROM x\nLABEL org.opencontainers.image.title=Theia org.w3id.esado.id=theia-python\n",
        ),
        Given {
            image: Some("theia:1.0"),
            profile: None,
        },
    )
    .unwrap();
    assert_eq!(p.form, Form::Dockerfile);
    assert_eq!(p.manifest.id.as_deref(), Some("theia-python"));
}

#[test]
fn what_is_not_a_package() {
    for (name, text) in [
        ("a.json", "[1, 2]"),
        ("a.json", "\"text\""),
        ("a.json", "{\"cwlVersion\": \"v1.2\"}"),
        ("a.yaml", "a: &a [*a]"),
        ("a.json", "{\"image\": \"x\", \"image\": \"y\"}"),
        ("manifest.json", "{\"schemaVersion\": 2}"),
    ] {
        assert!(read_one(name, text).is_err(), "{text}");
    }
    assert!(read(&Bundle::default(), Given::default()).is_err());
}

#[test]
fn containerfile_names() {
    for yes in [
        "Dockerfile",
        "Containerfile",
        "docker/Dockerfile.gpu",
        "lab.Dockerfile",
    ] {
        assert!(is_containerfile(yes), "{yes}");
    }
    for no in [
        "Dockerfiles",
        "README.md",
        "mydockerfile",
        "dockerfile-notes.md",
    ] {
        assert!(!is_containerfile(no), "{no}");
    }
}
