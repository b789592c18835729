//! TAP 1.1 over the RegTAP tables: the result table a query produces (`Field`, `ResultTable`)
//! and its serialisations (`votable`), the UWS job list behind `/tap/async` (`uws`), the VOSI
//! documents (`vosi`) and TAP_SCHEMA (`tap_schema`).

pub mod result;
pub mod tap_schema;
pub mod vosi;
