//! Property tests: any normalised asset maps to RDF and back unchanged, and each field lands in
//! the named graph the field table gives it.

use proptest::collection::vec;
use proptest::option;
use proptest::prelude::*;

use super::asset::*;
use super::document::normalize;
use super::fields::{self, Visibility};
use super::rdf::{AssetIris, from_quads, to_quads};
use super::vocab::{Scheme, Vocabularies};

const BASE: &str = "http://127.0.0.1:8080";

fn vocab() -> &'static Vocabularies {
    static V: std::sync::OnceLock<Vocabularies> = std::sync::OnceLock::new();
    V.get_or_init(|| Vocabularies::load().unwrap())
}

fn labels(scheme: Scheme) -> impl Strategy<Value = Vec<String>> {
    let all: Vec<String> = vocab()
        .concepts(scheme)
        .iter()
        .map(|c| c.value(scheme).to_owned())
        .collect();
    proptest::sample::subsequence(all.clone(), 0..4.min(all.len()))
}

fn label(scheme: Scheme) -> impl Strategy<Value = String> {
    let all: Vec<String> = vocab()
        .concepts(scheme)
        .iter()
        .map(|c| c.value(scheme).to_owned())
        .collect();
    proptest::sample::select(all)
}

fn txt() -> impl Strategy<Value = String> {
    "[^\u{0}]{1,40}"
}

fn slug() -> impl Strategy<Value = String> {
    "[a-z0-9][a-z0-9._-]{0,20}"
}

fn url() -> impl Strategy<Value = String> {
    "https://[a-z]{1,10}\\.org/[a-z0-9/_-]{0,20}"
}

fn num() -> impl Strategy<Value = f64> {
    prop_oneof![-360.0f64..360.0, Just(0.1), Just(-29.0), Just(1e-300)]
}

fn agent() -> impl Strategy<Value = Agent> {
    (
        txt(),
        option::of(prop_oneof![
            Just(AgentKind::Person),
            Just(AgentKind::Organization)
        ]),
        option::of("[a-z]{1,8}@[a-z]{1,8}\\.org"),
        option::of("[0-9]{4}-[0-9]{4}-[0-9]{4}-[0-9]{3}[0-9X]"),
        option::of(txt()),
        option::of(url()),
    )
        .prop_map(|(name, kind, email, orcid, affiliation, url)| Agent {
            name,
            kind,
            email,
            orcid,
            affiliation,
            url,
        })
}

fn param() -> impl Strategy<Value = Parameter> {
    (
        txt(),
        option::of(txt()),
        option::of(txt()),
        option::of(txt()),
        option::of(prop_oneof![
            Just("\"Hello\"".to_owned()),
            Just("[1, 2]".to_owned()),
            txt()
        ]),
        option::of(url()),
        any::<bool>(),
    )
        .prop_map(
            |(id, kind, label, doc, default, format, optional)| Parameter {
                id,
                kind,
                label,
                doc,
                default,
                format,
                optional,
            },
        )
}

fn step() -> impl Strategy<Value = Step> {
    (
        prop_oneof![Just("figlet".to_owned()), txt()],
        option::of(prop_oneof![
            Just("figlet.cwl".to_owned()),
            Just("#main".to_owned()),
            txt()
        ]),
        option::of(prop_oneof![
            Just("CommandLineTool".to_owned()),
            Just("Workflow".to_owned())
        ]),
        vec("[a-z_]{1,8}", 0..3),
        option::of(prop_oneof![
            Just("dotproduct".to_owned()),
            Just("flat_crossproduct".to_owned())
        ]),
        option::of(txt()),
    )
        .prop_map(|(id, run, runs, scatter, scatter_method, when)| Step {
            id,
            run,
            runs,
            scatter,
            scatter_method,
            when,
        })
}

fn coverage() -> impl Strategy<Value = Coverage> {
    let sky = (
        prop_oneof![Just("ICRS"), Just("GALACTIC")],
        0..3usize,
        (0.0..359.0f64, -80.0..80.0f64, 0.01..20.0f64),
        "[1-3]/[0-9]( [4-9]/[0-9]{1,3})?",
    )
        .prop_map(|(frame, which, (ra, dec, r), moc)| SkyRegion {
            frame: frame.into(),
            circle: (which == 0).then(|| vec![ra, dec, r]),
            polygon: (which == 1).then(|| vec![ra, dec, ra + 1.0, dec, ra + 0.5, dec + 1.0]),
            moc: (which == 2).then_some(moc),
        });
    let place = (option::of(txt()), option::of(vec(num(), 4)))
        .prop_map(|(name, bbox)| Place { name, bbox });
    (
        option::of("(19[0-9]{2}|20[0-2][0-9])-(0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8])/\\.\\."),
        option::of(sky),
        option::of(place),
        proptest::collection::btree_set(
            "[1-9][0-9]{0,2} nm/[1-9][0-9]{0,2} nm|Optical|X-ray",
            0..3,
        ),
    )
        .prop_map(|(temporal, sky, spatial, spectral)| Coverage {
            temporal,
            sky,
            spatial,
            spectral: spectral.into_iter().collect(),
        })
}

fn distribution() -> impl Strategy<Value = Distribution> {
    (
        url(),
        option::of(url()),
        option::of(prop_oneof![
            Just("application/fits".to_owned()),
            "[a-zA-Z0-9!#$&^_.+-]{1,10}/[a-zA-Z0-9!#$&^_.+-]{1,10}",
            Just("text/csv".to_owned())
        ]),
        option::of(label(Scheme::FileTypes)),
        option::of(any::<u64>()),
        option::of(txt()),
    )
        .prop_map(
            |(access_url, download_url, media_type, format, byte_size, title)| Distribution {
                access_url,
                download_url,
                media_type,
                format,
                byte_size,
                title,
            },
        )
}

fn asset() -> impl Strategy<Value = Asset> {
    let head = (
        slug(),
        label(Scheme::AssetTypes),
        txt(),
        option::of(txt()),
        option::of(txt()),
        option::of(txt()),
        vec(txt(), 0..4),
        labels(Scheme::Domains),
        labels(Scheme::Properties),
        labels(Scheme::Missions),
        labels(Scheme::Wavebands),
        labels(Scheme::FileTypes),
    );
    let mid = (
        labels(Scheme::Audiences),
        option::of(any::<bool>()),
        option::of(txt()),
        option::of(label(Scheme::Licenses)),
        option::of(txt()),
        vec(agent(), 0..3),
        option::of(agent()),
        option::of(url()),
        option::of("doi:10\\.[0-9]{4}/[a-z0-9.-]{1,10}"),
        option::of(coverage()),
        vec(distribution(), 0..3),
        vec(slug(), 0..3),
    );
    let image = (
        option::of(txt()),
        option::of(txt()),
        vec(txt(), 0..3),
        option::of("/[a-z]{1,8}"),
        vec("/[a-z]{1,8}(/[a-z]{1,8})?", 0..3),
    )
        .prop_map(
            |(id, platform, keyword, default_url, mount_paths)| DatalabImage {
                id,
                platform,
                keyword,
                default_url,
                mount_paths,
            },
        );
    let pipeline = (
        (
            option::of(txt()),
            option::of(prop_oneof![
                Just("cwltool".to_owned()),
                Just("Calrissian".to_owned())
            ]),
            option::of(prop_oneof![
                Just("v1.0".to_owned()),
                Just("v1.2".to_owned())
            ]),
            option::of(prop_oneof![
                Just("Workflow".to_owned()),
                Just("CommandLineTool".to_owned())
            ]),
            option::of(prop_oneof![
                url(),
                Just("git@github.com:esa/x.git".to_owned())
            ]),
        ),
        vec(step(), 0..4),
        vec(param(), 0..3),
        vec(param(), 0..3),
        vec(txt(), 0..3),
        vec(txt(), 0..3),
    )
        .prop_map(
            |(
                (entry_point, default_engine, cwl_version, process_class, code_repository),
                steps,
                inputs,
                outputs,
                requirements,
                images,
            )| PipelineInfo {
                entry_point,
                default_engine,
                cwl_version,
                process_class,
                code_repository,
                steps,
                inputs,
                outputs,
                requirements,
                images,
            },
        );
    let sharing = (
        option::of(prop_oneof![Just(Audience::Public), Just(Audience::Private)]),
        vec(txt(), 0..3),
        vec(txt(), 0..3),
    )
        .prop_map(|(audience, users, groups)| Sharing {
            audience,
            users,
            groups,
        });
    let build = (
        option::of(prop_oneof![
            Just("SUCCESS".to_owned()),
            Just("FAILED".to_owned())
        ]),
        option::of(Just("2022-06-15T21:19:00Z".to_owned())),
        option::of(txt()),
        option::of(txt()),
    )
        .prop_map(|(status, date, version, log)| Build {
            status,
            date,
            version,
            log,
        });
    let tail = (
        option::of(image),
        option::of(pipeline),
        option::of("/[a-z_/]{0,20}".prop_map(|m| Volume { mount_path: m })),
        option::of(sharing),
        option::of(build),
        option::of(prop_oneof![
            Just(Status::Draft),
            Just(Status::InReview),
            Just(Status::Published)
        ]),
        option::of(txt()),
        option::of(any::<u64>()),
        option::of(Just("2022-06-15".to_owned())),
        option::of(Just("2023-05-10T12:00:00Z".to_owned())),
        option::of(Just("2024-01-01T00:00:00.5+01:00".to_owned())),
        (
            option::of(txt()),
            option::of("ivo://[a-z]{3,8}\\.org/[a-z/]{1,12}"),
            option::of(txt()),
        ),
    );
    (head, mid, tail).prop_map(|(h, m, t)| Asset {
        id: h.0,
        kind: h.1,
        name: h.2,
        alternate_name: h.3,
        abstract_: h.4,
        description: h.5,
        keywords: h.6,
        domain: h.7,
        property: h.8,
        mission: h.9,
        waveband: h.10,
        associated_file_type: h.11,
        audience_type: m.0,
        esa_official: m.1,
        citation: m.2,
        license: m.3,
        version: m.4,
        creator: m.5,
        publisher: m.6,
        url: m.7,
        identifier: m.8,
        coverage: m.9,
        distribution: m.10,
        analysable_with: m.11,
        datalab_image: t.0,
        pipeline: t.1,
        volume: t.2,
        visibility: t.3,
        build: t.4,
        status: t.5,
        moderator_comment: t.6,
        popularity: t.7,
        date_created: t.8,
        date_published: t.9,
        date_modified: t.10,
        owner: t.11.0,
        ivoid: t.11.1,
        voresource: t.11.2,
        revision: None,
        links: None,
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn document_rdf_document_is_identity(raw in asset()) {
        let a = normalize(raw, vocab()).unwrap();
        let quads = to_quads(&a, BASE, vocab()).unwrap();
        let back = from_quads(&a.id, BASE, vocab(), quads).unwrap().unwrap();
        prop_assert_eq!(back, a);
    }

    #[test]
    fn json_document_round_trips(raw in asset()) {
        let a = normalize(raw, vocab()).unwrap();
        let json = serde_json::to_value(&a).unwrap();
        let back = super::document::from_value(json.clone()).map_err(|e| TestCaseError::fail(format!("{e:?} {json}")))?;
        prop_assert_eq!(normalize(back, vocab()).unwrap(), a);
    }

    #[test]
    fn public_graph_holds_only_public_fields(raw in asset()) {
        let a = normalize(raw, vocab()).unwrap();
        let iris = AssetIris::new(BASE, &a.id);
        let quads = to_quads(&a, BASE, vocab()).unwrap();
        let public: Vec<_> = quads.iter().filter(|q| q.graph_name == iris.public.clone().into()).cloned().collect();
        let back = from_quads(&a.id, BASE, vocab(), public).unwrap().unwrap();
        let mut json = serde_json::to_value(&a).unwrap();
        json.as_object_mut().unwrap().retain(|k, _| fields::is_public(k));
        prop_assert_eq!(serde_json::to_value(&back).unwrap(), json);
        for q in &quads {
            prop_assert!(q.graph_name == iris.public.clone().into() || q.graph_name == iris.private.clone().into());
        }
        let private_keys = fields::FIELDS.iter().filter(|f| f.visibility == Visibility::Private).count();
        prop_assert!(private_keys >= 5);
    }
}

/// Found by fuzzing: `^` and `#` are legal in media type names but not as such in an IRI.
#[test]
fn media_types_with_iri_delimiters_round_trip() {
    let doc = br#"{"id":"m","type":"Dataset","name":"M","distribution":[{"accessURL":"https://a.org/x","mediaType":"te3t/^pl#in"}]}"#;
    let a = super::document::parse(doc, vocab()).unwrap();
    let quads = to_quads(&a, BASE, vocab()).unwrap();
    assert_eq!(from_quads(&a.id, BASE, vocab(), quads).unwrap(), Some(a));
}
