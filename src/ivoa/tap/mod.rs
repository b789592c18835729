//! TAP 1.1 over the RegTAP tables: the result table a query produces (`result`) and its
//! serialisations (`output`: VOTable, CSV, TSV, JSON), the query engine (`query`), a TAP request whether sync or async
//! (`service`) and TAP_SCHEMA (`tap_schema`). The job list behind `/tap/async` is `ivoa::uws`,
//! the VOSI documents `ivoa::vosi`.

pub mod output;
pub mod query;
pub mod result;
pub mod service;
pub mod tap_schema;
