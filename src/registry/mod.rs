//! The IVOA publishing registry: the VOResource mapping of the catalogue and the OAI-PMH
//! endpoint harvesters read it through.

pub mod oai;
pub mod pmh;
pub mod resource;
pub mod voresource;
