//! `POST /api/v1/import`: a schema.org or DCAT document (JSON-LD, Turtle, RDF/XML,
//! N-Triples) read by `linked::import`; every resource of a class the catalogue knows becomes
//! a draft owned by the caller. All or nothing: each resource is read and checked, and every
//! id found free, before the first is written. The fields the caller may not write (dates
//! the platform keeps, a publisher only curators set) are left out with a notice.

use super::push::writable;
use super::{Result, WriteError, create_asset, current};
use crate::access::Caller;
use crate::catalog::Catalog;
use crate::linked::import::{self, Format, ImportError};
use crate::model::{Asset, Problem, document};

/// The most resources one request imports (`orrery ingest` takes any number).
pub const MAX_RESOURCES: usize = 1000;

/// One asset an import made.
#[derive(Debug, Clone)]
pub struct Made {
    pub id: String,
    /// The resource it was read from.
    pub subject: String,
    pub revision: u64,
}

/// What an import made, and what it left out.
#[derive(Debug, Clone)]
pub struct Imported {
    pub made: Vec<Made>,
    pub notices: Vec<String>,
}

fn refused(e: ImportError) -> WriteError {
    let problem = match &e {
        ImportError::Syntax { line, column, .. } => {
            Problem::in_file("the document", *line, *column, e.to_string())
        }
        ImportError::Nothing => Problem::in_file("the document", 0, 0, e.to_string()),
    };
    WriteError::Invalid(e.to_string(), vec![problem])
}

/// Reads a document and creates the assets it describes.
pub async fn import(
    catalog: &Catalog,
    caller: &Caller,
    bytes: &[u8],
    format: Format,
    base: &str,
) -> Result<Imported> {
    let found = import::read(bytes, format, base, &catalog.vocab).map_err(refused)?;
    if found.len() > MAX_RESOURCES {
        return Err(WriteError::Invalid(
            format!(
                "the document describes {} resources; one request imports at most {MAX_RESOURCES} (orrery ingest takes any number)",
                found.len()
            ),
            Vec::new(),
        ));
    }
    let owner = match caller {
        Caller::Account { user, .. } => Some(user.as_str()),
        _ => None,
    };
    let mut notices = Vec::new();
    let mut ready: Vec<(String, Asset)> = Vec::with_capacity(found.len());
    let mut problems = Vec::new();
    for i in found {
        notices.extend(i.notices.iter().map(|n| format!("{}: {n}", i.subject)));
        let mut own = Vec::new();
        let asset = writable(caller, i.asset, owner, &mut own)?;
        notices.extend(own.into_iter().map(|n| format!("{}: {n}", i.subject)));
        let text = serde_json::to_vec(&asset).map_err(|e| WriteError::State(e.to_string()))?;
        match document::parse(&text, &catalog.vocab) {
            Ok(a) => ready.push((i.subject, a)),
            Err(e) => problems.extend(e.problems().into_iter().map(|mut p| {
                p.message = format!("{}: {}", i.subject, p.message);
                p
            })),
        }
    }
    if !problems.is_empty() {
        return Err(WriteError::Invalid(
            "a resource of the document is not a valid asset: nothing was imported".into(),
            problems,
        ));
    }
    let mut taken = Vec::new();
    for (_, a) in &ready {
        match current(catalog, caller, &a.id).await {
            Err(WriteError::NotFound(_)) => {}
            Ok(_) | Err(WriteError::Forbidden(..)) => taken.push(a.id.clone()),
            Err(e) => return Err(e),
        }
    }
    if !taken.is_empty() {
        return Err(WriteError::Taken(format!(
            "the ids {} are taken: nothing was imported",
            taken.join(", ")
        )));
    }
    let mut made = Vec::with_capacity(ready.len());
    for (subject, a) in ready {
        let id = a.id.clone();
        let written = create_asset(catalog, caller, a, None).await?;
        made.push(Made {
            id,
            subject,
            revision: written.revision,
        });
    }
    Ok(Imported { made, notices })
}
