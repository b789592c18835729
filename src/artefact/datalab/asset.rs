//! A datalab package as a datalab asset: the manifest's keys in the asset's own fields (the
//! platform's metadata table), the image under `datalabImage`, and what a version keeps of it.

use serde_json::{Value, json};

use super::{Author, Manifest, Package};
use crate::model::asset::{Agent, AgentKind, Audience, DatalabImage, Sharing};
use crate::model::text::{clip, licence, slug, split_text};
use crate::model::{Asset, Vocabularies};

/// The parts of an image reference: `host/repository`, its tag, its digest.
pub fn image_parts(reference: &str) -> (&str, Option<&str>, Option<&str>) {
    let (rest, digest) = match reference.split_once('@') {
        Some((r, d)) => (r, Some(d)),
        None => (reference, None),
    };
    let last_slash = rest.rfind('/').map_or(0, |i| i + 1);
    match rest[last_slash..].rfind(':') {
        Some(i) => (
            &rest[..last_slash + i],
            Some(&rest[last_slash + i + 1..]),
            digest,
        ),
        None => (rest, None, digest),
    }
}

/// The version a package makes: its own, else its image's tag (unless `latest`, which names
/// no version).
pub fn version_of(m: &Manifest) -> Option<String> {
    m.version.clone().or_else(|| {
        let (_, tag, _) = image_parts(&m.image);
        tag.filter(|t| *t != "latest").map(str::to_owned)
    })
}

/// `Name <email>` read into a person.
fn agent(a: &Author) -> Agent {
    match a {
        Author::Text(t) => {
            let (name, email) = match (t.find('<'), t.rfind('>')) {
                (Some(i), Some(j)) if i < j => (t[..i].trim(), Some(t[i + 1..j].trim())),
                _ => (t.trim(), None),
            };
            let name = if name.is_empty() {
                email.unwrap_or(t)
            } else {
                name
            };
            Agent {
                name: clip(name, 500),
                email: email.filter(|e| e.contains('@')).map(str::to_owned),
                ..Agent::default()
            }
        }
        Author::Full {
            name,
            email,
            orcid,
            affiliation,
            kind,
        } => Agent {
            name: name.clone(),
            kind: match kind.as_deref() {
                Some("Organization") => Some(AgentKind::Organization),
                Some("Person") => Some(AgentKind::Person),
                _ => None,
            },
            email: email.clone(),
            orcid: orcid.as_ref().map(|o| {
                if o.starts_with("https://") {
                    o.clone()
                } else {
                    format!("https://orcid.org/{o}")
                }
            }),
            affiliation: affiliation.clone(),
            url: None,
        },
    }
}

/// The asset a package describes, and notices of what was left out.
pub fn to_asset(p: &Package, vocab: &Vocabularies) -> (Asset, Vec<String>) {
    let m = &p.manifest;
    let mut notices = Vec::new();
    let (repository, tag, _) = image_parts(&m.image);
    let stem = repository.rsplit('/').next().unwrap_or(repository);
    let name = m
        .name
        .clone()
        .or_else(|| m.display_name.clone())
        .unwrap_or_else(|| stem.to_owned());
    let (first, description) = m.description.as_deref().map(split_text).unwrap_or_default();
    let mut creator: Vec<Agent> = m.authors.iter().map(agent).collect();
    if creator.is_empty()
        && let Some(v) = &m.vendor
    {
        creator.push(Agent {
            name: v.clone(),
            kind: Some(AgentKind::Organization),
            ..Agent::default()
        });
    }
    let visibility = (!m.users.is_empty() || !m.groups.is_empty()).then(|| Sharing {
        audience: Some(Audience::Private),
        users: m.users.clone(),
        groups: m.groups.clone(),
    });
    let mut keyword = m.tags.clone();
    if keyword.is_empty()
        && let Some(t) = tag
    {
        keyword.push(t.to_owned());
    }
    let asset = Asset {
        id: m.id.clone().unwrap_or_else(|| slug(&name, "datalab")),
        kind: "Datalab".to_owned(),
        name: clip(&name, 500),
        alternate_name: m.display_name.clone().filter(|d| *d != name),
        abstract_: m.abstract_.clone().or(first),
        description: description.or_else(|| m.abstract_.as_ref().and(m.description.clone())),
        keywords: m.keywords.clone(),
        domain: m.domain.clone(),
        property: m.property.clone(),
        mission: m.mission.clone(),
        associated_file_type: m.file_types.clone(),
        audience_type: m.audience_type.clone(),
        esa_official: m.esa_official,
        citation: m.citation.clone(),
        license: m
            .license
            .as_deref()
            .and_then(|l| licence(vocab, l, &mut notices)),
        version: version_of(m),
        creator,
        url: m.documentation.clone().or_else(|| m.source.clone()),
        datalab_image: Some(DatalabImage {
            id: Some(m.image.clone()),
            platform: None,
            keyword,
            default_url: m.default_url.clone(),
            mount_paths: m.mount_paths.clone(),
        }),
        visibility,
        ..Asset::default()
    };
    (asset, notices)
}

/// What a version of a datalab keeps of its package: the image reference it names (published
/// with the version, like its files), where the datalab opens and finds its volumes, its tags,
/// when and from where it was built, the descriptor and its form. The platform's own image
/// identifier (`datalabImage.id`, private) is not copied here.
pub fn version_meta(p: &Package, asset: &Asset) -> Value {
    let image = asset.datalab_image.as_ref();
    json!({
        "name": asset.name,
        "image": p.manifest.image,
        "defaultUrl": image.and_then(|i| i.default_url.clone()),
        "mountPaths": image.map(|i| i.mount_paths.clone()).unwrap_or_default(),
        "tags": image.map(|i| i.keyword.clone()).unwrap_or_default(),
        "created": p.manifest.created,
        "source": p.manifest.source,
        "form": p.form.name(),
        "descriptor": p.descriptor,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_references() {
        assert_eq!(
            image_parts("registry.example.org:5000/labs/jupyter:4.1@sha256:ab"),
            (
                "registry.example.org:5000/labs/jupyter",
                Some("4.1"),
                Some("sha256:ab")
            )
        );
        assert_eq!(
            image_parts("registry.example.org:5000/labs/jupyter"),
            ("registry.example.org:5000/labs/jupyter", None, None)
        );
        assert_eq!(
            image_parts("aladin:latest"),
            ("aladin", Some("latest"), None)
        );
    }

    #[test]
    fn authors_as_oci_writes_them() {
        let a = agent(&Author::Text("Jane Doe <jane@example.org>".into()));
        assert_eq!(a.name, "Jane Doe");
        assert_eq!(a.email.as_deref(), Some("jane@example.org"));
        let b = agent(&Author::Text("<ops@example.org>".into()));
        assert_eq!(b.name, "ops@example.org");
    }
}
