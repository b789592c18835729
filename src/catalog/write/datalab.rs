//! `POST /api/v1/datalabs`: a datalab package pushed as it is — its manifest, an OCI image
//! config or annotations, `docker inspect` output, an application-hub profile, a Dockerfile,
//! or a zip or tar.gz bundle of them — becomes a new version of a datalab asset (made on its
//! first push): an image build. What the package says fills the asset's fields
//! (`artefact::datalab`); every file is kept as it came, with the version, so that the
//! registry serves the Dockerfile an image was built from.

use super::push::{invalid, refused, store};
use super::{Pushed, Result, WriteError};
use crate::access::Caller;
use crate::artefact::archive::{self, Caps, Kind};
use crate::artefact::cwl::Bundle;
use crate::artefact::datalab::{self, Given, Refusal};
use crate::catalog::Catalog;
use crate::model::{Problem, document};
use crate::store::NewVersion;

/// What a datalab push carries.
#[derive(Debug, Clone, Default)]
pub struct DatalabPush {
    pub bytes: Vec<u8>,
    /// The name of a single pushed file (`datalab.json` when not given).
    pub file_name: Option<String>,
    pub id: Option<String>,
    pub version: Option<String>,
    pub version_description: Option<String>,
    /// The image reference, when the package cannot say it.
    pub image: Option<String>,
    /// Which profile of an application-hub configuration.
    pub profile: Option<String>,
}

fn refusal(r: Refusal) -> WriteError {
    match r {
        Refusal::At(e) => invalid(e),
        Refusal::Schema {
            ref file,
            ref problems,
            ..
        } => WriteError::Invalid(
            r.to_string(),
            problems
                .iter()
                .map(|(pointer, message)| {
                    let mut p = Problem::in_file(file, 0, 0, message.clone());
                    p.pointer.clone_from(pointer);
                    p
                })
                .collect(),
        ),
    }
}

/// Pushes a datalab package: a new version of the datalab it names.
pub async fn push_datalab(catalog: &Catalog, caller: &Caller, p: DatalabPush) -> Result<Pushed> {
    let bundle = match archive::kind(&p.bytes) {
        Kind::Zip | Kind::TarGz => {
            archive::read(&p.bytes, "the upload", Caps::default()).map_err(invalid)?
        }
        Kind::Document => {
            let name = p.file_name.as_deref().unwrap_or("datalab.json");
            Bundle::single(name, p.bytes.clone()).map_err(invalid)?
        }
    };
    let package = datalab::read(
        &bundle,
        Given {
            image: p.image.as_deref(),
            profile: p.profile.as_deref(),
        },
    )
    .map_err(refusal)?;
    let (mut asset, mut notices) = datalab::to_asset(&package, &catalog.vocab);
    notices.splice(0..0, package.notices.iter().cloned());
    if let Some(id) = &p.id {
        asset.id.clone_from(id);
    }
    if let Some(v) = &p.version {
        asset.version = Some(v.clone());
    }
    let Some(version) = asset.version.clone() else {
        return Err(refused(format!(
            "the push names no version: give `version` (a parameter or in {}), or tag the image with one",
            package.descriptor
        )));
    };
    if version.is_empty() || version.chars().count() > 100 {
        return Err(refused("a version name is 1 to 100 characters"));
    }
    // The asset must be a valid document before anything is stored.
    let text = serde_json::to_vec(&asset).map_err(|e| WriteError::State(e.to_string()))?;
    let asset = document::parse(&text, &catalog.vocab).map_err(WriteError::Document)?;
    let meta = datalab::asset::version_meta(&package, &asset);
    let mut files: Vec<(String, Vec<u8>)> = bundle
        .files()
        .map(|(p, b)| (p.to_owned(), b.to_vec()))
        .collect();
    files.sort_by(|a, b| a.0.cmp(&b.0));
    let version = NewVersion {
        name: version,
        description: p
            .version_description
            .clone()
            .or(package.manifest.version_description.clone()),
        actor: None,
        // The descriptor is no workflow language the registry serves: no entry.
        entry: None,
        files,
        meta,
    };
    store(catalog, caller, asset, version, notices).await
}
