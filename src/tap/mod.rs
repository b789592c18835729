//! TAP 1.1 over the RegTAP tables: the result table a query produces (`result`) and its
//! serialisations (`votable`), the query engine (`query`), a TAP request whether sync or async
//! (`service`, `params`), the UWS job list behind `/tap/async` (`uws`), the VOSI documents
//! (`vosi`) and TAP_SCHEMA (`tap_schema`).

pub mod params;
pub mod query;
pub mod result;
pub mod service;
pub mod tap_schema;
pub mod uws;
pub mod vosi;
pub mod votable;
