//! Datalab packages pushed as they are (`POST /api/v1/datalabs`) and ingested
//! (`orrery ingest`): a manifest with its Dockerfile, an application-hub profile, an OCI image
//! config each become a datalab asset with its image fields and a version per image build,
//! served by the tool registry with the Dockerfile it was built from; bad packages are refused
//! where they go wrong and store nothing.

use serde_json::{Value, json};

use crate::common::{Server, orrery, problem, token};
use crate::pipelines::{post, sha256, zip_of};

fn push(
    s: &Server,
    tok: &str,
    query: &str,
    ct: &str,
    body: Vec<u8>,
) -> reqwest::blocking::Response {
    post(s, "/api/v1/datalabs", tok, query, ct, body)
}

const DOCKERFILE: &str = "FROM quay.io/jupyter/scipy-notebook:2024-10-07\n\
LABEL org.opencontainers.image.title=\"Euclid DPS lab\" \\\n\
      org.opencontainers.image.description=\"JupyterLab with the Euclid data processing tools.\" \\\n\
      org.opencontainers.image.licenses=\"Apache-2.0\"\n\
RUN pip install --no-cache-dir astropy\n";

fn manifest(version: &str) -> (String, Vec<u8>) {
    (
        "datalab.json".into(),
        json!({
            "image": format!("registry.example.org/labs/euclid-dps:{version}"),
            "id": "euclid-dps-lab",
            "displayName": "Euclid DPS",
            "versionDescription": "astropy 6",
            "authors": ["Jane Doe <jane@example.org>", {"name": "ESA", "type": "Organization"}],
            "keywords": ["Euclid", "JupyterLab"],
            "defaultUrl": "/lab",
            "mountPaths": ["/data/user", "/media/home"],
            "fileTypes": ["FITS"],
            "created": "2024-10-08T09:00:00Z"
        })
        .to_string()
        .into_bytes(),
    )
}

#[test]
fn a_package_becomes_a_datalab_with_image_builds_as_versions() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(dir.path(), &[]);
    let dev = token(dir.path(), "labdev", &["developer"], &[]);
    let mo = token(dir.path(), "mo", &["moderator"], &[]);
    let files = vec![
        manifest("1.4.2"),
        ("Dockerfile".to_owned(), DOCKERFILE.as_bytes().to_vec()),
    ];
    let r = push(&s, &dev, "", "application/zip", zip_of(&files));
    assert_eq!(r.status(), 201, "{}", r.text().unwrap_or_default());
    assert!(
        r.headers()["location"]
            .to_str()
            .unwrap()
            .ends_with("/api/v1/assets/euclid-dps-lab")
    );
    let v: Value = r.json().unwrap();
    assert_eq!(v["created"], true);
    assert_eq!(
        v["version"]["name"], "1.4.2",
        "the image's tag names the version"
    );
    assert_eq!(v["version"]["description"], "astropy 6");
    let mut sent: Vec<(String, String)> =
        files.iter().map(|(p, b)| (p.clone(), sha256(b))).collect();
    sent.sort();
    let stored: Vec<(String, String)> = v["version"]["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["path"].as_str().unwrap().into(),
                f["sha256"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert_eq!(stored, sent, "every file is kept as it came");
    let a = &v["asset"];
    assert_eq!(a["type"], "Datalab");
    assert_eq!(
        a["name"], "Euclid DPS lab",
        "the Dockerfile's title fills the name"
    );
    assert_eq!(a["alternateName"], "Euclid DPS");
    assert_eq!(a["license"], "Apache-2.0");
    assert_eq!(a["version"], "1.4.2");
    assert_eq!(a["associatedFileType"], json!(["FITS"]));
    assert_eq!(a["creator"][0]["name"], "Jane Doe");
    assert_eq!(a["creator"][0]["email"], "jane@example.org");
    assert_eq!(a["creator"][1]["type"], "Organization");
    let image = &a["datalabImage"];
    assert_eq!(image["defaultUrl"], "/lab");
    assert_eq!(image["mountPaths"], json!(["/data/user", "/media/home"]));
    assert_eq!(image["keyword"], json!(["1.4.2"]));
    // The platform's image identifier is an application's to write, not a developer's.
    assert!(image.get("id").is_none(), "{image}");
    let notices: Vec<&str> = v["notices"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_str().unwrap())
        .collect();
    assert!(
        notices.iter().any(|n| n.starts_with("datalabImage.id ")),
        "{notices:?}"
    );

    // The owner sees the version in the tool registry, with its image and Dockerfile.
    let tool = s.get_json("/ga4gh/trs/v2/tools/%23datalab%2Feuclid-dps-lab", &dev);
    assert_eq!(tool["toolclass"]["name"], "Service");
    let versions = tool["versions"].as_array().unwrap();
    assert_eq!(versions.len(), 1);
    assert_eq!(
        versions[0]["images"][0]["image_name"],
        "registry.example.org/labs/euclid-dps:1.4.2"
    );
    assert_eq!(
        versions[0]["images"][0]["registry_host"],
        "registry.example.org"
    );
    assert_eq!(versions[0]["containerfile"], true);
    let cf = s.get_json(
        "/ga4gh/trs/v2/tools/%23datalab%2Feuclid-dps-lab/versions/1.4.2/containerfile",
        &dev,
    );
    assert_eq!(cf[0]["content"], DOCKERFILE);
    assert_eq!(cf[0]["image_type"], "Docker");
    // An unpublished datalab is nobody else's business.
    let r = s.call(
        "GET",
        "/ga4gh/trs/v2/tools/%23datalab%2Feuclid-dps-lab",
        "",
        None,
        None,
        None,
    );
    assert_eq!(r.status(), 404);

    // Publish it, then push the next image build as an application-hub profile.
    let ok = |r: reqwest::blocking::Response| {
        let st = r.status();
        assert!(st.is_success(), "{st}: {}", r.text().unwrap_or_default());
    };
    let body = json!({"visibility": {"audience": "public", "users": [], "groups": []}}).to_string();
    ok(s.call(
        "PATCH",
        "/api/v1/assets/euclid-dps-lab",
        &dev,
        Some("application/merge-patch+json"),
        Some(body),
        None,
    ));
    ok(s.call(
        "POST",
        "/api/v1/assets/euclid-dps-lab/submit",
        &dev,
        None,
        None,
        None,
    ));
    ok(s.call(
        "POST",
        "/api/v1/assets/euclid-dps-lab/approve",
        &mo,
        None,
        None,
        None,
    ));
    let r = push(&s, &dev, "", "application/zip", zip_of(&files));
    assert_eq!(r.status(), 409, "a published version never changes");
    let profile = "profiles:\n- id: euclid-dps-lab\n  groups: []\n  definition:\n    display_name: Euclid DPS lab\n    kubespawner_override:\n      image: registry.example.org/labs/euclid-dps:1.5.0\n  default_url: lab\n  volumes:\n  - name: data\n    volume_mount:\n      name: data\n      mount_path: /data/user\n";
    let r = push(
        &s,
        &dev,
        "?fileName=config.yml&versionDescription=astropy%207",
        "application/yaml",
        profile.as_bytes().to_vec(),
    );
    assert_eq!(r.status(), 200, "{}", r.text().unwrap_or_default());
    let v: Value = r.json().unwrap();
    assert_eq!(v["version"]["name"], "1.5.0");
    // Readers still see the published build until the new one is reviewed.
    let public = s.get_json("/api/v1/assets/euclid-dps-lab", "");
    assert_eq!(public["version"], "1.4.2");
    let tool = s.get_json("/ga4gh/trs/v2/tools/%23datalab%2Feuclid-dps-lab", "");
    let names: Vec<&str> = tool["versions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["id"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["1.4.2"], "readers see published versions only");
    let whole = s.get_json("/ga4gh/trs/v2/tools/%23datalab%2Feuclid-dps-lab", &dev);
    assert_eq!(whole["versions"].as_array().unwrap().len(), 2);
    // The landing page lists the builds the reader may see.
    let page = s.get("/assets/euclid-dps-lab").text().unwrap();
    assert!(
        page.contains("<h3 id=\"versions-h\">Versions</h3>"),
        "{page}"
    );
    assert!(page.contains("1.4.2"));
    assert!(
        !page.contains(">1.5.0<"),
        "an unpublished build is not shown to readers"
    );
    // Its owner also sees the image fields (private, as the platform's table says) and the
    // build waiting for review.
    let owner = s.sign_in(&dev);
    let page = s.get_as(&owner, "/assets/euclid-dps-lab").text().unwrap();
    assert!(page.contains("<code>/lab</code>"), "{page}");
    assert!(page.contains("<code>/data/user</code>"));
    assert!(
        page.contains(">1.5.0 <span class=\"badge\">unpublished</span>"),
        "{page}"
    );
    s.stop();
}

#[test]
fn bad_packages_are_refused_and_store_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(dir.path(), &[]);
    let dev = token(dir.path(), "labdev", &["developer"], &[]);
    let before = s.get_json("/api/v1/assets?type=Datalab&limit=1", &dev)["total"].clone();
    // Against the manifest's schema: each problem names the file and its pointer.
    let body = json!({"image": "x:1", "defaultUrl": "lab", "authors": [{"name": "A", "orcid": "0000"}], "colour": "red"});
    let p = problem(
        push(
            &s,
            &dev,
            "",
            "application/json",
            body.to_string().into_bytes(),
        ),
        422,
    );
    let pointers: Vec<&str> = p["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["pointer"].as_str().unwrap_or_default())
        .collect();
    assert!(pointers.contains(&"/defaultUrl"), "{p}");
    assert!(pointers.contains(&"/authors/0/orcid"), "{p}");
    // An OCI image config does not name its image.
    let config = json!({"architecture": "amd64", "os": "linux", "config": {"Labels": {"org.opencontainers.image.title": "FITS viewer", "org.opencontainers.image.version": "5.5"}}, "rootfs": {"type": "layers", "diff_ids": []}});
    let p = problem(
        push(
            &s,
            &dev,
            "?fileName=config.json",
            "application/vnd.oci.image.config.v1+json",
            config.to_string().into_bytes(),
        ),
        422,
    );
    assert!(
        p["detail"].as_str().unwrap().contains("`image` parameter"),
        "{p}"
    );
    // With the image named, it is a datalab.
    let r = push(
        &s,
        &dev,
        "?fileName=config.json&image=registry.example.org/fitsview:5.5",
        "application/vnd.oci.image.config.v1+json",
        config.to_string().into_bytes(),
    );
    assert_eq!(r.status(), 201, "{}", r.text().unwrap_or_default());
    let made: Value = r.json().unwrap();
    assert_eq!(made["id"], "fits-viewer");
    // The demo's own fv datalab is not this developer's to push to.
    let r = push(
        &s,
        &dev,
        "?fileName=config.json&id=fv&image=registry.example.org/fv:5.5",
        "application/vnd.oci.image.config.v1+json",
        config.to_string().into_bytes(),
    );
    assert_eq!(r.status(), 403, "{}", r.text().unwrap_or_default());
    // Not a package at all; a YAML alias bomb; a Dockerfile with no version anywhere.
    let p = problem(
        push(
            &s,
            &dev,
            "",
            "application/json",
            br#"{"cwlVersion": "v1.2"}"#.to_vec(),
        ),
        422,
    );
    assert!(
        p["detail"]
            .as_str()
            .unwrap()
            .contains("not a datalab descriptor"),
        "{p}"
    );
    let bomb = "a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\ne: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]\nf: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]\ng: [*f, *f, *f, *f, *f, *f, *f, *f, *f]\n";
    problem(
        push(
            &s,
            &dev,
            "?fileName=datalab.yaml",
            "application/yaml",
            bomb.as_bytes().to_vec(),
        ),
        422,
    );
    let p = problem(
        push(
            &s,
            &dev,
            "?fileName=Dockerfile&image=registry.example.org/x:latest",
            "text/plain",
            b"FROM debian\nLABEL org.opencontainers.image.title=x\n".to_vec(),
        ),
        422,
    );
    assert!(p["detail"].as_str().unwrap().contains("no version"), "{p}");
    // A parameter a push does not know, and no token.
    problem(
        push(&s, &dev, "?colour=red", "application/json", b"{}".to_vec()),
        400,
    );
    problem(push(&s, "", "", "application/json", b"{}".to_vec()), 401);
    // A pipeline's id is not a datalab's.
    let r = push(
        &s,
        &dev,
        "?id=hello-pipeman",
        "application/json",
        br#"{"image": "x:1"}"#.to_vec(),
    );
    assert!(matches!(r.status().as_u16(), 403 | 409), "{}", r.status());
    let after = s.get_json("/api/v1/assets?type=Datalab&limit=1", &dev)["total"].clone();
    assert_eq!(
        after.as_u64().unwrap(),
        before.as_u64().unwrap() + 1,
        "only the good push stored a datalab"
    );
    s.stop();
}

#[test]
fn ingest_stores_the_versions_packages_and_pipelines_name() {
    let data = tempfile::tempdir().unwrap();
    let input = tempfile::tempdir().unwrap();
    let lab = input.path().join("qfits");
    std::fs::create_dir(&lab).unwrap();
    std::fs::write(
        lab.join("datalab.yaml"),
        "image: registry.example.org/qfitsview:4.2\nid: qfitsview-ingested\nname: QFitsView\ndefaultUrl: /desktop\n",
    )
    .unwrap();
    std::fs::write(lab.join("Dockerfile"), "FROM debian:12\nRUN true\n").unwrap();
    let wf = input.path().join("echo");
    std::fs::create_dir(&wf).unwrap();
    std::fs::write(
        wf.join("echo.cwl"),
        "cwlVersion: v1.2\nclass: CommandLineTool\nid: echo-ingested\nlabel: Echo ingested\n$namespaces: {s: https://schema.org/}\ns:softwareVersion: 2.1.0\nbaseCommand: echo\ninputs:\n  m: {type: string, inputBinding: {position: 1}}\noutputs: []\n",
    )
    .unwrap();
    let out = orrery(data.path(), &["ingest", input.path().to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let s = Server::start(data.path(), &[]);
    let op = token(data.path(), "op", &["sciapps"], &[]);
    let tool = s.get_json("/ga4gh/trs/v2/tools/%23datalab%2Fqfitsview-ingested", &op);
    assert_eq!(tool["versions"][0]["id"], "4.2", "{tool}");
    assert_eq!(tool["versions"][0]["containerfile"], true);
    let asset = s.get_json("/api/v1/assets/qfitsview-ingested", &op);
    assert_eq!(asset["datalabImage"]["defaultUrl"], "/desktop");
    let pipeline = s.get_json("/api/v1/assets?type=Pipeline&q=%22Echo%20ingested%22", &op);
    let id = pipeline["hits"][0]["id"].as_str().unwrap().to_owned();
    let tool = s.get_json(&format!("/ga4gh/trs/v2/tools/%23workflow%2F{id}"), &op);
    assert_eq!(tool["versions"][0]["id"], "2.1.0", "{tool}");
    // Ingested assets are published at the version they name: anyone may fetch it, as it was.
    assert_eq!(tool["versions"][0]["is_production"], true);
    let cwl = s
        .get(&format!(
            "/ga4gh/trs/v2/tools/%23workflow%2F{id}/versions/2.1.0/PLAIN_CWL/descriptor"
        ))
        .text()
        .unwrap();
    assert_eq!(cwl, std::fs::read_to_string(wf.join("echo.cwl")).unwrap());
    // Ingesting the same published version again keeps its files as they were.
    std::fs::write(
        wf.join("echo.cwl"),
        std::fs::read_to_string(wf.join("echo.cwl"))
            .unwrap()
            .replace("baseCommand: echo", "baseCommand: printf"),
    )
    .unwrap();
    s.stop();
    let out = orrery(data.path(), &["ingest", wf.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("is published: its files were kept"),
        "{stderr}"
    );
}
