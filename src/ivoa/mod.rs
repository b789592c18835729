//! The IVOA protocols: the one VOResource mapping of the catalogue (`voresource`, with the
//! capability descriptions every record and VOSI document shares), the OAI-PMH publishing
//! registry and its harvesting side (`oai`), the RegTAP tables (`regtap`), ADQL (`adql`), TAP
//! (`tap`) with its UWS job list (`uws`) and VOSI documents (`vosi`).
//!
//! Inside, too, imports point one way: `xml`, `params` and `adql` at the bottom, then `uws` and
//! `voresource`, then `regtap`, then `tap`, then `vosi` and `oai`.

pub mod adql;
pub mod oai;
pub mod params;
pub mod regtap;
pub mod tap;
pub mod uws;
pub mod voresource;
pub mod vosi;
pub mod xml;
