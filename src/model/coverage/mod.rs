//! One coverage model for every asset and record: where on the sky (a HEALPix MOC), when (MJD
//! intervals) and in which band (energy intervals in joules), as IVOA MOC 2.0 and RegTAP 1.2
//! state them. Search, the RegTAP tables and the VOResource records all read and write these
//! types, so that what a record says, what a search matches and what a registry client is
//! told agree.

pub mod sky;
pub mod spectral;
pub mod time;

pub use sky::{Sky, SkyError};
pub use spectral::{EnergyInterval, SpectralError};
pub use time::{TimeError, TimeInterval};

#[cfg(test)]
mod tests;

use super::asset::{Coverage, SkyRegion};

/// The order at which an asset's circles and polygons are published as MOCs, and the most
/// cells a published MOC has (VODataService 1.2 asks for at least order 6 and a few dozen kB).
const PUBLISHED_CELLS: usize = 4096;

/// Whether a region reads as a MOC, without computing a circle's cells (a circle with a valid
/// centre and radius always covers at least the cell of its centre).
fn check_sky(region: &SkyRegion) -> Result<(), SkyError> {
    match (&region.moc, region.circle.as_deref()) {
        (None, Some([ra, dec, r])) if region.frame.eq_ignore_ascii_case("ICRS") => {
            Sky::check_circle(*ra, *dec, *r)
        }
        _ => sky(region).map(|_| ()),
    }
}

/// The region of a sky coverage as a MOC (ICRS only: other frames are not converted).
pub fn sky(region: &SkyRegion) -> Result<Sky, SkyError> {
    if !region.frame.eq_ignore_ascii_case("ICRS") {
        return Err(SkyError {
            message: format!("only ICRS regions become MOCs, not {}", region.frame),
            position: None,
        });
    }
    let m = if let Some(moc) = &region.moc {
        Sky::parse_ascii(moc)?
    } else if let Some([ra, dec, r]) = region.circle.as_deref() {
        Sky::cone(*ra, *dec, *r, sky::SHAPE_ORDER)?
    } else if let Some(p) = &region.polygon {
        let vertices: Vec<(f64, f64)> = p.chunks_exact(2).map(|v| (v[0], v[1])).collect();
        Sky::polygon(&vertices, sky::SHAPE_ORDER)?
    } else {
        return Err(SkyError {
            message: "a sky region is a circle, a polygon or a MOC".into(),
            position: None,
        });
    };
    if m.is_empty() {
        return Err(SkyError {
            message: "the MOC covers no cell".into(),
            position: None,
        });
    }
    Ok(m.bounded(
        sky::SHAPE_ORDER.max(m.depth().min(sky::MAX_ORDER)),
        PUBLISHED_CELLS,
    ))
}

/// The time interval of a coverage, when it has one.
pub fn time(c: &Coverage) -> Option<TimeInterval> {
    c.temporal
        .as_deref()
        .and_then(|t| TimeInterval::parse(t).ok())
}

/// The energy intervals of a coverage (those that read).
pub fn spectral(c: &Coverage) -> Vec<EnergyInterval> {
    c.spectral
        .iter()
        .filter_map(|s| EnergyInterval::parse(s).ok())
        .collect()
}

/// Every part of a coverage that does not read as a region, an interval or a band, as (JSON
/// pointer, message).
pub fn problems(c: &Coverage) -> Vec<(String, String)> {
    let mut out = Vec::new();
    if let Some(region) = &c.sky
        && region.frame.eq_ignore_ascii_case("ICRS")
        && let Err(e) = check_sky(region)
    {
        let field = if region.moc.is_some() {
            "moc"
        } else if region.circle.is_some() {
            "circle"
        } else {
            "polygon"
        };
        let message = match e.position {
            Some(p) => format!("{} (at character {})", e.message, p + 1),
            None => e.message,
        };
        out.push((format!("/coverage/sky/{field}"), message));
    }
    if let Some(t) = &c.temporal
        && let Err(e) = TimeInterval::parse(t)
    {
        out.push(("/coverage/temporal".into(), e.to_string()));
    }
    for (i, s) in c.spectral.iter().enumerate() {
        if let Err(e) = EnergyInterval::parse(s) {
            out.push((format!("/coverage/spectral/{i}"), e.to_string()));
        }
    }
    out
}
