//! IRIs of the vocabularies the model maps to, and of the store's own bookkeeping graphs.

pub const ESADO: &str = "https://w3id.org/esado#";
pub const SCHEME: &str = "https://w3id.org/esado/scheme/";
/// Named graphs holding the ontology files (`{VOCAB_GRAPH}{file stem}`).
pub const VOCAB_GRAPH: &str = "https://w3id.org/esado/graph/";
pub const SDO: &str = "https://schema.org/";
pub const DCAT: &str = "http://www.w3.org/ns/dcat#";
pub const DCT: &str = "http://purl.org/dc/terms/";
pub const RDF_TYPE: &str = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type";
pub const XSD: &str = "http://www.w3.org/2001/XMLSchema#";
pub const IANA_MEDIA: &str = "https://www.iana.org/assignments/media-types/";
pub const ORCID: &str = "https://orcid.org/";

pub const SKOS_IN_SCHEME: &str = "http://www.w3.org/2004/02/skos/core#inScheme";
pub const SKOS_PREF_LABEL: &str = "http://www.w3.org/2004/02/skos/core#prefLabel";
pub const SKOS_ALT_LABEL: &str = "http://www.w3.org/2004/02/skos/core#altLabel";
pub const SKOS_NOTATION: &str = "http://www.w3.org/2004/02/skos/core#notation";
pub const SKOS_DEFINITION: &str = "http://www.w3.org/2004/02/skos/core#definition";
pub const FOAF_PAGE: &str = "http://xmlns.com/foaf/0.1/page";
pub const ESADO_MEDIA_TYPE: &str = "https://w3id.org/esado#mediaType";
pub const ESADO_LICENSE_GROUP: &str = "https://w3id.org/esado#licenseGroup";

/// Store bookkeeping (never part of any public graph).
pub const META_GRAPH: &str = "urn:orrery:meta";
pub const STATE_GRAPH: &str = "urn:orrery:state";
pub const ORR: &str = "urn:orrery:";
