pub mod service;
pub mod tap_schema;
pub mod uws;
pub mod votable;
pub mod vosi;
