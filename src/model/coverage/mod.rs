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
