//! The RegTAP 1.2 `rr` schema: every table and column the standard names, with the types,
//! units, descriptions and indexes clients rely on, as data — the DDL for each backend,
//! TAP_SCHEMA and the /tables document are generated from this one description. Beside it, one
//! table no client sees: the cells of each spatial coverage, which the ADQL translator reads
//! to answer `CONTAINS` and `INTERSECTS` from B-tree indexes on either backend.

/// A column's ADQL/VOTable type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Type {
    /// `VARCHAR(*)` (unicodeChar in VOTable when `unicode`).
    Text,
    /// `CHAR(19)` holding `YYYY-MM-DDThh:mm:ss`, xtype timestamp.
    Timestamp,
    Integer,
    /// A 64-bit integer.
    Long,
    Real,
    /// An ASCII MOC (IVOA MOC 2.0): `VARCHAR(*)`, xtype `moc`.
    Moc,
}

#[derive(Debug, Clone, Copy)]
pub struct Column {
    pub name: &'static str,
    pub ty: Type,
    pub description: &'static str,
    /// Values may be non-ASCII (VOTable unicodeChar).
    pub unicode: bool,
    /// Part of the table's key or an indexed foreign key.
    pub indexed: bool,
    /// The VOUnit of the values, if they have one.
    pub unit: Option<&'static str>,
}

impl Column {
    /// The column with its values in `unit`.
    pub(crate) const fn in_unit(self, unit: &'static str) -> Column {
        Column {
            unit: Some(unit),
            ..self
        }
    }
}

#[derive(Debug, Clone, Copy)]
pub struct Table {
    pub name: &'static str,
    pub description: &'static str,
    pub columns: &'static [Column],
    /// Columns of the primary key, if the table has one.
    pub primary_key: &'static [&'static str],
}

/// A column.
pub(crate) const fn c(name: &'static str, ty: Type, description: &'static str) -> Column {
    Column {
        name,
        ty,
        description,
        unicode: false,
        indexed: false,
        unit: None,
    }
}

/// A column with non-ASCII text.
pub(crate) const fn u(name: &'static str, description: &'static str) -> Column {
    Column {
        name,
        ty: Type::Text,
        description,
        unicode: true,
        indexed: false,
        unit: None,
    }
}

/// An indexed column.
pub(crate) const fn i(name: &'static str, ty: Type, description: &'static str) -> Column {
    Column {
        name,
        ty,
        description,
        unicode: false,
        indexed: true,
        unit: None,
    }
}

use Type::*;

const IVOID: Column = i("ivoid", Text, "The parent resource.");

pub const TABLES: &[Table] = &[
    Table {
        name: "resource",
        description: "The resources (like services, data collections, organizations) present in this registry.",
        primary_key: &["ivoid"],
        columns: &[
            i(
                "ivoid",
                Text,
                "Unambiguous reference to the resource conforming to the IVOA standard for identifiers.",
            ),
            i(
                "res_type",
                Text,
                "Resource type (something like vg:authority, vs:catalogservice, etc).",
            ),
            c(
                "created",
                Timestamp,
                "The UTC date and time this resource metadata description was created.",
            ),
            u(
                "short_name",
                "A short name or abbreviation given to something.",
            ),
            u("res_title", "The full name given to the resource."),
            c(
                "updated",
                Timestamp,
                "The UTC date this resource metadata description was last updated.",
            ),
            c(
                "content_level",
                Text,
                "A hash-separated list of content levels specifying the intended audience.",
            ),
            u(
                "res_description",
                "An account of the nature of the resource.",
            ),
            c(
                "reference_url",
                Text,
                "URL pointing to a human-readable document describing this resource.",
            ),
            u(
                "creator_seq",
                "The creator(s) of the resource in the order given by the resource record author, separated by semicolons.",
            ),
            c(
                "content_type",
                Text,
                "A hash-separated list of natures or genres of the content of the resource.",
            ),
            c("source_format", Text, "The format of source_value."),
            c(
                "source_value",
                Text,
                "A bibliographic reference from which the present resource is derived or extracted.",
            ),
            c(
                "res_version",
                Text,
                "Label associated with creation or availablilty of a version of a resource.",
            ),
            c(
                "region_of_regard",
                Real,
                "A single numeric value representing the angle, given in decimal degrees, by which a positional query against this resource should be blurred in order to get an appropriate match.",
            )
            .in_unit("deg"),
            c(
                "waveband",
                Text,
                "A hash-separated list of regions of the electro-magnetic spectrum that the resource's spectral coverage overlaps with.",
            ),
            u(
                "rights",
                "A statement of usage conditions (license, attribution, embargo, etc).",
            ),
            c("rights_uri", Text, "A URI identifier for a license"),
        ],
    },
    Table {
        name: "res_role",
        description: "Entities (i.e., persons or organizations) operating on resources: creators, contacts, publishers, contributors.",
        primary_key: &[],
        columns: &[
            IVOID,
            u(
                "role_name",
                "The real-world name or title of a person or organization.",
            ),
            c(
                "role_ivoid",
                Text,
                "An IVOA identifier of a person or organization.",
            ),
            u(
                "street_address",
                "A mailing address for a person or organization.",
            ),
            c(
                "email",
                Text,
                "An email address the entity can be reached at.",
            ),
            c(
                "telephone",
                Text,
                "A telephone number the entity can be reached at.",
            ),
            c(
                "logo",
                Text,
                "URL pointing to a graphical logo, which may be used to help identify the entity.",
            ),
            i(
                "base_role",
                Text,
                "The role played by this entity; this is one of contact, publisher, contributor, or creator.",
            ),
        ],
    },
    Table {
        name: "res_subject",
        description: "Topics, object types, or other descriptive keywords about the resource.",
        primary_key: &[],
        columns: &[
            IVOID,
            u(
                "res_subject",
                "Topics, object types, or other descriptive keywords about the resource.",
            ),
        ],
    },
    Table {
        name: "capability",
        description: "Pieces of behaviour of a resource.",
        primary_key: &["ivoid", "cap_index"],
        columns: &[
            IVOID,
            c(
                "cap_index",
                Integer,
                "An arbitrary identifier of this capability within the resource.",
            ),
            c(
                "cap_type",
                Text,
                "The type of capability covered here. If looking for endpoints implementing a certain standard, you should not use this column; use standard_id instead.",
            ),
            u(
                "cap_description",
                "A human-readable description of what this capability provides as part of the over-all service.",
            ),
            i(
                "standard_id",
                Text,
                "A URI for a standard this capability conforms to.",
            ),
        ],
    },
    Table {
        name: "interface",
        description: "Information on access modes of a capability.",
        primary_key: &["ivoid", "intf_index"],
        columns: &[
            IVOID,
            c("cap_index", Integer, "The index of the parent capability."),
            c(
                "intf_index",
                Integer,
                "An arbitrary identifier for the interfaces of a resource.",
            ),
            c(
                "intf_type",
                Text,
                "The type of the interface (vr:webbrowser, vs:paramhttp, etc).",
            ),
            c(
                "intf_role",
                Text,
                "An identifier for the role the interface plays in the particular capability. If the value is equal to 'std' or begins with 'std:', then the interface refers to a standard interface defined by the standard referred to by the capability's standardID attribute.",
            ),
            c(
                "std_version",
                Text,
                "The version of a standard interface specification that this interface complies with. When the interface is provided in the context of a Capability element, then the standard being refered to is the one identified by the Capability's standardID element.",
            ),
            c(
                "query_type",
                Text,
                "Hash-joined list of expected HTTP method (get or post) supported by the service.",
            ),
            c(
                "result_type",
                Text,
                "The MIME type of a document returned in the HTTP response.",
            ),
            c(
                "wsdl_url",
                Text,
                "The location of the WSDL that describes this Web Service. If NULL, the location can be assumed to be the accessURL with '?wsdl' appended.",
            ),
            c(
                "url_use",
                Text,
                "A flag indicating whether this should be interpreted as a base URL ('base'), a full URL ('full'), or a URL to a directory that will produce a listing of files ('dir').",
            ),
            c(
                "access_url",
                Text,
                "The URL at which the interface is found.",
            ),
            c(
                "mirror_url",
                Text,
                "Secondary access URLs of this interface, separated by hash characters.",
            ),
            c(
                "authenticated_only",
                Integer,
                "A flag for whether this interface requires authentication.",
            ),
        ],
    },
    Table {
        name: "intf_param",
        description: "Input parameters for services.",
        primary_key: &[],
        columns: &[
            IVOID,
            c(
                "intf_index",
                Integer,
                "The index of the interface this parameter belongs to.",
            ),
            c("name", Text, "The name of the parameter."),
            c(
                "ucd",
                Text,
                "A unified content descriptor that describes the scientific content of the parameter.",
            ),
            c(
                "unit",
                Text,
                "The unit associated with all values in the parameter.",
            ),
            c(
                "utype",
                Text,
                "An identifier for a concept in a data model that the data in this schema as a whole represent.",
            ),
            c(
                "std",
                Integer,
                "If 1, the meaning and use of this parameter is reserved and defined by a standard model. If 0, it represents a database-specific parameter that effectively extends beyond the standard.",
            ),
            c(
                "datatype",
                Text,
                "A type of data contained in the parameter.",
            ),
            c(
                "extended_schema",
                Text,
                "An identifier for the schema that the value given by the extended attribute is drawn from.",
            ),
            c(
                "extended_type",
                Text,
                "A custom type for the values this parameter contains.",
            ),
            c(
                "arraysize",
                Text,
                "The shape of the array that constitutes the value, e.g., 4, *, 4*, 5x4, or 5x*, as specified by VOTable.",
            ),
            c(
                "delim",
                Text,
                "The string that is used to delimit elements of an array value when arraysize is not '1'.",
            ),
            c(
                "param_use",
                Text,
                "An indication of whether this parameter is required to be provided for the application or service to work properly (one of required, optional, ignored, or NULL).",
            ),
            u(
                "param_description",
                "An account of the nature of the parameter.",
            ),
        ],
    },
    Table {
        name: "res_schema",
        description: "Sets of tables related to resources.",
        primary_key: &["ivoid", "schema_index"],
        columns: &[
            IVOID,
            c(
                "schema_index",
                Integer,
                "An arbitrary identifier for the res_schema rows belonging to a resource.",
            ),
            u(
                "schema_description",
                "A free text description of the tableset explaining in general how all of the tables are related.",
            ),
            c("schema_name", Text, "A name for the set of tables."),
            u(
                "schema_title",
                "A descriptive, human-interpretable name for the table set.",
            ),
            c(
                "schema_utype",
                Text,
                "An identifier for a concept in a data model that the data in this schema as a whole represent.",
            ),
        ],
    },
    Table {
        name: "res_table",
        description: "(Relational) tables that are part of schemata or resources.",
        primary_key: &["ivoid", "table_index"],
        columns: &[
            IVOID,
            c(
                "schema_index",
                Integer,
                "Index of the schema this table belongs to, if it belongs to a schema (otherwise NULL).",
            ),
            u(
                "table_description",
                "A free-text description of the table's contents",
            ),
            c(
                "table_name",
                Text,
                "The fully qualified name of the table. This name should include all catalog or schema prefixes needed to distinguish it in a query.",
            ),
            c(
                "table_index",
                Integer,
                "An arbitrary identifier for the tables belonging to a resource.",
            ),
            u(
                "table_title",
                "A descriptive, human-interpretable name for the table.",
            ),
            c(
                "table_type",
                Text,
                "A name for the role this table plays. Recognized values include 'output', indicating this table is output from a query; 'base_table', indicating a table whose records represent the main subjects of its schema; and 'view', indicating that the table represents a useful combination or subset of other tables.",
            ),
            i(
                "table_utype",
                Text,
                "An identifier for a concept in a data model that the data in this table as a whole represent.",
            ),
        ],
    },
    Table {
        name: "table_column",
        description: "Metadata on columns of a resource's tables.",
        primary_key: &[],
        columns: &[
            IVOID,
            c(
                "table_index",
                Integer,
                "Index of the table this column belongs to.",
            ),
            c("name", Text, "The name of the column."),
            i(
                "ucd",
                Text,
                "A unified content descriptor that describes the scientific content of the column.",
            ),
            c(
                "unit",
                Text,
                "The unit associated with all values in the column.",
            ),
            i(
                "utype",
                Text,
                "An identifier for a role in a data model that the data in this column represents.",
            ),
            c(
                "std",
                Integer,
                "If 1, the meaning and use of this column is reserved and defined by a standard model. If 0, it represents a database-specific column that effectively extends beyond the standard.",
            ),
            c(
                "datatype",
                Text,
                "The type of the data contained in the column.",
            ),
            c(
                "extended_schema",
                Text,
                "An identifier for the schema that the value given by the extended attribute is drawn from.",
            ),
            c(
                "extended_type",
                Text,
                "A custom type for the values this column contains.",
            ),
            c(
                "arraysize",
                Text,
                "The shape of the array that constitutes the value, e.g., 4, *, 4*, 5x4, or 5x*, as specified by VOTable.",
            ),
            c(
                "delim",
                Text,
                "The string that is used to delimit elements of an array value when arraysize is not '1'.",
            ),
            c(
                "type_system",
                Text,
                "The type system used, as a QName with a canonical prefix; this will ususally be one of vs:simpledatatype, vs:votabletype, and vs:taptype.",
            ),
            c(
                "flag",
                Text,
                "Hash-separated keywords representing traits of the column. Recognized values include 'indexed', 'primary', and 'nullable'.",
            ),
            u(
                "column_description",
                "A free-text description of the column's contents.",
            ),
        ],
    },
    Table {
        name: "relationship",
        description: "Relationships between resources (e.g., mirroring, derivation, serving a data collection).",
        primary_key: &[],
        columns: &[
            IVOID,
            c(
                "relationship_type",
                Text,
                "The named type of relationship; this can be mirror-of, service-for, served-by, derived-from, related-to (see VOResource for details).",
            ),
            i(
                "related_id",
                Text,
                "The IVOA identifier for the resource referred to.",
            ),
            u(
                "related_name",
                "The name of resource that this resource is related to.",
            ),
        ],
    },
    Table {
        name: "validation",
        description: "Validation levels for resources and capabilities.",
        primary_key: &[],
        columns: &[
            IVOID,
            c(
                "validated_by",
                Text,
                "The IVOA ID of the registry or organisation that assigned the validation level.",
            ),
            c(
                "val_level",
                Integer,
                "A numeric grade describing the quality of the resource description, when applicable, to be used to indicate the confidence an end-user can put on the resource as a part of a VO application or research study.",
            ),
            c(
                "cap_index",
                Integer,
                "If non-NULL, the validation only refers to the capability referenced here.",
            ),
        ],
    },
    Table {
        name: "res_date",
        description: "A date associated with an event in the life cycle of the resource. This could be creation or update. The role column can be used to clarify.",
        primary_key: &[],
        columns: &[
            IVOID,
            c(
                "date_value",
                Timestamp,
                "A date associated with an event in the life cycle of the resource.",
            ),
            c(
                "value_role",
                Text,
                "A string indicating what the date refers to, e.g., created, availability, updated.",
            ),
        ],
    },
    Table {
        name: "res_detail",
        description: "XPath-value pairs for members of resource or capability and their derivations that are less used and/or from VOResource extensions. The pairs refer to a resource if cap_index is NULL, otherwise to the referenced capability within that resource.",
        primary_key: &[],
        columns: &[
            IVOID,
            c(
                "cap_index",
                Integer,
                "The index of the parent capability; if NULL the xpath-value pair describes a member of the entire resource.",
            ),
            i("detail_xpath", Text, "The xpath of the data item."),
            c("detail_value", Text, "(Atomic) value of the member."),
        ],
    },
    Table {
        name: "alt_identifier",
        description: "Alternate identifiers for resources and their creators, as URIs (e.g. DOIs as doi:..., ORCIDs as https://orcid.org/...).",
        primary_key: &[],
        columns: &[
            IVOID,
            i(
                "alt_identifier",
                Text,
                "An identifier for the resource or its creator in URI form.",
            ),
        ],
    },
    Table {
        name: "stc_spatial",
        description: "The spatial coverage of resources, as a MOC of ICRS positions (at most order 6, as RegTAP recommends for registry coverage). Query it with CONTAINS and INTERSECTS against MOC(order, POINT|CIRCLE|POLYGON) or MOC('ascii').",
        primary_key: &["ivoid"],
        columns: &[
            IVOID,
            c(
                "coverage",
                Moc,
                "A geometry representing the area a resource contains information on; MOCs are of order 6 or less.",
            ),
            c(
                "ref_system_name",
                Text,
                "Reserved for a future reference system other than ICRS; NULL for now.",
            ),
        ],
    },
    Table {
        name: "stc_temporal",
        description: "The temporal coverage of resources: one row per interval of time the resource has data for.",
        primary_key: &[],
        columns: &[
            IVOID,
            c(
                "time_start",
                Real,
                "Lower limit of a time interval covered by the resource (MJD, TDB at the solar system barycentre).",
            )
            .in_unit("d"),
            c(
                "time_end",
                Real,
                "Upper limit of a time interval covered by the resource (MJD, TDB at the solar system barycentre).",
            )
            .in_unit("d"),
        ],
    },
    Table {
        name: "stc_spectral",
        description: "The spectral coverage of resources: one row per interval of messenger energy the resource has data for.",
        primary_key: &[],
        columns: &[
            IVOID,
            c(
                "spectral_start",
                Real,
                "Lower limit of an energy interval covered by the resource, in Joule (of messenger energy, observed at the solar system barycentre).",
            )
            .in_unit("J"),
            c(
                "spectral_end",
                Real,
                "Upper limit of an energy interval covered by the resource, in Joule (of messenger energy, observed at the solar system barycentre).",
            )
            .in_unit("J"),
        ],
    },
    Table {
        name: "tap_table",
        description: "A view of every table queryable through a TAP service, once per service and table: the dedicated resource describing it where there is one (an auxiliary TAP capability and an isservedby relationship), else the TAP service itself.",
        primary_key: &[],
        columns: &[
            c(
                "resid",
                Text,
                "IVOA identifier of the resource this table was taken from (where there is a dedicated resource containing this table in its tableset, that resource is preferred over a TAP service).",
            ),
            c(
                "svcid",
                Text,
                "IVOA identifier of the TAP service making this table queriable.",
            ),
            u(
                "table_name",
                "The fully qualified name of the table. As per VODataService, this includes all catalog or schema prefixes needed to distinguish it in a query, and it comes with SQL delimiters where necessary.",
            ),
            u(
                "table_title",
                "A descriptive, human-interpretable name for the table.",
            ),
            u(
                "table_description",
                "A free-text description of the table's contents.",
            ),
            c(
                "table_utype",
                Text,
                "An identifier for a concept in a data model that the data in this table as a whole represent.",
            ),
        ],
    },
];

/// The tables of [`TABLES`] that are views of the others, with their definitions (RegTAP 1.2
/// appendix B, the same SQL on both backends; each service and table name once).
pub const VIEWS: &[(&str, &str)] = &[(
    "tap_table",
    "WITH fromres AS (
       SELECT MIN(tab.ivoid) AS resid, rel.related_id AS svcid, tab.table_name,
         MIN(tab.table_title) AS table_title,
         MIN(tab.table_description) AS table_description,
         MIN(tab.table_utype) AS table_utype
       FROM rr.res_table AS tab
       JOIN rr.capability AS tabcap ON tabcap.ivoid = tab.ivoid
       JOIN rr.relationship AS rel ON rel.ivoid = tab.ivoid
       JOIN rr.capability AS svccap ON svccap.ivoid = rel.related_id
       WHERE (tab.table_type <> 'output' OR tab.table_type IS NULL)
         AND svccap.standard_id = 'ivo://ivoa.net/std/tap'
         AND tabcap.standard_id = 'ivo://ivoa.net/std/tap#aux'
         AND rel.relationship_type = 'isservedby'
       GROUP BY rel.related_id, tab.table_name),
     fromtap AS (
       SELECT DISTINCT rt.ivoid AS resid, rt.ivoid AS svcid, rt.table_name, rt.table_title,
         rt.table_description, rt.table_utype
       FROM rr.res_table AS rt
       JOIN rr.capability AS cap ON cap.ivoid = rt.ivoid
       WHERE (rt.table_type <> 'output' OR rt.table_type IS NULL)
         AND cap.standard_id = 'ivo://ivoa.net/std/tap'
         AND NOT EXISTS (SELECT 1 FROM fromres AS fr
           WHERE rt.ivoid = fr.svcid AND rt.table_name = fr.table_name))
     SELECT resid, svcid, table_name, table_title, table_description, table_utype FROM fromtap
     UNION ALL
     SELECT resid, svcid, table_name, table_title, table_description, table_utype FROM fromres",
)];

/// Whether the table is a view (it has no rows of its own).
pub fn is_view(name: &str) -> bool {
    VIEWS.iter().any(|(v, _)| *v == name)
}

/// The index of spatial coverages: each cell of a resource's MOC (as `uniq` = 4·4^order +
/// cell) with its span of order-29 cells `[lo, hi)` and the area of the whole MOC (`total`,
/// in order-29 cells). Not published: only the SQL the ADQL translator writes reads it.
pub const CELLS: Table = Table {
    name: "stc_cell",
    description: "The cells of rr.stc_spatial, for the geometry functions.",
    primary_key: &[],
    columns: &[
        IVOID,
        i("uniq", Long, "The cell as 4 * 4^order + index."),
        i("lo", Long, "The first order-29 cell of the cell."),
        c("hi", Long, "The order-29 cell after the cell's last."),
        c(
            "total",
            Long,
            "The area of the resource's MOC in order-29 cells.",
        ),
    ],
};

/// Every table a resource has rows in: the published ones and the cell index.
pub fn all_tables() -> impl Iterator<Item = &'static Table> {
    TABLES
        .iter()
        .filter(|t| !is_view(t.name))
        .chain(std::iter::once(&CELLS))
}

/// A foreign key: columns of `from` that name a row of `target`.
#[derive(Debug, Clone, Copy)]
pub struct ForeignKey {
    /// Table names within the schema.
    pub from: &'static str,
    pub target: &'static str,
    /// `(from column, target column)` pairs.
    pub columns: &'static [(&'static str, &'static str)],
    pub description: &'static str,
}

const fn to_resource(from: &'static str) -> ForeignKey {
    ForeignKey {
        from,
        target: "resource",
        columns: &[("ivoid", "ivoid")],
        description: "The resource this row belongs to.",
    }
}

/// The explicit foreign keys RegTAP 1.1 asks for between the `rr` tables.
pub const FOREIGN_KEYS: &[ForeignKey] = &[
    to_resource("res_role"),
    to_resource("res_subject"),
    to_resource("capability"),
    ForeignKey {
        from: "interface",
        target: "capability",
        columns: &[("ivoid", "ivoid"), ("cap_index", "cap_index")],
        description: "The capability this interface belongs to.",
    },
    ForeignKey {
        from: "intf_param",
        target: "interface",
        columns: &[("ivoid", "ivoid"), ("intf_index", "intf_index")],
        description: "The interface this parameter belongs to.",
    },
    to_resource("res_schema"),
    to_resource("res_table"),
    ForeignKey {
        from: "table_column",
        target: "res_table",
        columns: &[("ivoid", "ivoid"), ("table_index", "table_index")],
        description: "The table this column belongs to.",
    },
    to_resource("relationship"),
    // (ivoid, cap_index) of a validation is not a key: cap_index is NULL for the resource.
    to_resource("validation"),
    to_resource("res_date"),
    to_resource("res_detail"),
    to_resource("alt_identifier"),
    to_resource("stc_spatial"),
    to_resource("stc_temporal"),
    to_resource("stc_spectral"),
];

/// The backends the schema is created in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// The tables live in a database attached as `rr`.
    Sqlite,
    /// The tables live in the schema `rr`.
    Postgres,
}

/// The statements that create the schema (tables, keys, indexes), in order.
pub fn ddl(backend: Backend) -> Vec<String> {
    let mut out = create_tables("rr", TABLES, backend);
    out.extend(create_tables("rr", std::slice::from_ref(&CELLS), backend));
    for (name, query) in VIEWS {
        if backend == Backend::Postgres {
            out.push(format!("DROP VIEW IF EXISTS rr.{name}"));
        }
        out.push(match backend {
            Backend::Postgres => format!("CREATE VIEW rr.{name} AS {query}"),
            Backend::Sqlite => format!("CREATE VIEW IF NOT EXISTS rr.{name} AS {query}"),
        });
    }
    if backend == Backend::Postgres {
        out.extend(TEXT_SEARCH_INDEXES.iter().map(|s| (*s).to_owned()));
    }
    out
}

/// PostgreSQL indexes for RegTAP's text search: the full-text expression `ivo_hasword`
/// translates to (it must stay the same expression, or the planner cannot use them), and the
/// lower-cased subject `ivo_nocasematch` compares (pattern ops, for prefix patterns in any
/// collation).
pub const TEXT_SEARCH_INDEXES: &[&str] = &[
    "CREATE INDEX IF NOT EXISTS resource_res_title_fts ON rr.resource \
     USING GIN (to_tsvector('english', COALESCE(res_title, '')))",
    "CREATE INDEX IF NOT EXISTS resource_res_description_fts ON rr.resource \
     USING GIN (to_tsvector('english', COALESCE(res_description, '')))",
    "CREATE INDEX IF NOT EXISTS res_subject_res_subject_lower ON rr.res_subject \
     (lower(res_subject) text_pattern_ops)",
];

/// The statements that create `tables` in the schema (Postgres) or attached database (SQLite)
/// `schema`: tables with their primary keys, then an index per indexed column.
pub(crate) fn create_tables(schema: &str, tables: &[Table], backend: Backend) -> Vec<String> {
    let mut out = Vec::new();
    if backend == Backend::Postgres {
        out.push(format!("CREATE SCHEMA IF NOT EXISTS {schema}"));
    }
    for t in tables.iter().filter(|t| !is_view(t.name)) {
        let cols: Vec<String> = t
            .columns
            .iter()
            .map(|c| {
                let ty = match (c.ty, backend) {
                    (Type::Text | Type::Moc, _) => "TEXT",
                    (Type::Timestamp, Backend::Sqlite) => "TEXT",
                    (Type::Timestamp, Backend::Postgres) => "CHAR(19)",
                    (Type::Integer, _) | (Type::Long, Backend::Sqlite) => "INTEGER",
                    (Type::Long, Backend::Postgres) => "BIGINT",
                    (Type::Real, Backend::Sqlite) => "REAL",
                    (Type::Real, Backend::Postgres) => "DOUBLE PRECISION",
                };
                let not_null = if t.primary_key.contains(&c.name) || c.name == "ivoid" {
                    " NOT NULL"
                } else {
                    ""
                };
                format!("{} {ty}{not_null}", c.name)
            })
            .collect();
        let mut body = cols.join(", ");
        if !t.primary_key.is_empty() {
            body.push_str(&format!(", PRIMARY KEY ({})", t.primary_key.join(", ")));
        }
        out.push(format!(
            "CREATE TABLE IF NOT EXISTS {schema}.{} ({body})",
            t.name
        ));
        for c in t.columns.iter().filter(|c| c.indexed) {
            if t.primary_key.first() == Some(&c.name) {
                continue;
            }
            let bare = c.name.trim_matches('"');
            let (index, on) = match backend {
                Backend::Sqlite => (format!("{schema}.{}_{bare}", t.name), t.name.to_owned()),
                Backend::Postgres => (format!("{}_{bare}", t.name), format!("{schema}.{}", t.name)),
            };
            out.push(format!(
                "CREATE INDEX IF NOT EXISTS {index} ON {on} ({})",
                c.name
            ));
        }
    }
    out
}

/// An in-memory SQLite with the schema created in a database attached as `rr` (for tests).
#[cfg(test)]
pub(crate) async fn in_memory_sqlite() -> sqlx::SqliteConnection {
    use sqlx::Connection;
    let mut c = sqlx::SqliteConnection::connect("sqlite::memory:")
        .await
        .unwrap();
    sqlx::query("ATTACH DATABASE ':memory:' AS rr")
        .execute(&mut c)
        .await
        .unwrap();
    for stmt in ddl(Backend::Sqlite) {
        sqlx::query(sqlx::AssertSqlSafe(stmt.clone()))
            .execute(&mut c)
            .await
            .unwrap_or_else(|e| panic!("{stmt}: {e}"));
    }
    c
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_regtap_table_is_there_with_lower_case_names() {
        let names: Vec<&str> = TABLES.iter().map(|t| t.name).collect();
        for t in [
            "resource",
            "res_role",
            "res_subject",
            "capability",
            "interface",
            "intf_param",
            "res_schema",
            "res_table",
            "table_column",
            "relationship",
            "validation",
            "res_date",
            "res_detail",
            "alt_identifier",
            "stc_spatial",
            "stc_temporal",
            "stc_spectral",
            "tap_table",
        ] {
            assert!(names.contains(&t), "{t}");
        }
        for t in TABLES {
            for c in t.columns {
                assert_eq!(c.name, c.name.to_ascii_lowercase());
                assert!(!c.description.is_empty());
            }
        }
        // No same-named extra column in two tables beyond the join keys RegTAP defines (clients
        // NATURAL JOIN them).
        let keys = [
            "ivoid",
            "cap_index",
            "intf_index",
            "table_index",
            "schema_index",
        ];
        let mut seen = std::collections::BTreeMap::new();
        for t in TABLES.iter().filter(|t| !is_view(t.name)) {
            for c in t.columns.iter().filter(|c| !keys.contains(&c.name)) {
                if let Some(other) = seen.insert(c.name, t.name) {
                    // RegTAP itself repeats these in parameter and column metadata.
                    assert!(
                        [
                            "name",
                            "ucd",
                            "unit",
                            "utype",
                            "std",
                            "datatype",
                            "extended_schema",
                            "extended_type",
                            "arraysize",
                            "delim"
                        ]
                        .contains(&c.name),
                        "{} in {} and {other}",
                        c.name,
                        t.name
                    );
                }
            }
        }
    }

    #[test]
    fn foreign_keys_join_existing_columns_with_equal_types() {
        let table = |n: &str| TABLES.iter().find(|t| t.name == n).unwrap();
        for k in FOREIGN_KEYS {
            let (from, target) = (table(k.from), table(k.target));
            // The target columns are the target's primary key, so each key names one row.
            let targets: Vec<&str> = k.columns.iter().map(|(_, t)| *t).collect();
            assert_eq!(targets, target.primary_key, "{}", k.from);
            for (f, t) in k.columns {
                let fc = from.columns.iter().find(|c| c.name == *f).unwrap();
                let tc = target.columns.iter().find(|c| c.name == *t).unwrap();
                assert_eq!(fc.ty, tc.ty, "{}.{f}", k.from);
            }
        }
        // Every table but resource hangs off another one.
        for t in TABLES
            .iter()
            .filter(|t| t.name != "resource" && !is_view(t.name))
        {
            assert!(FOREIGN_KEYS.iter().any(|k| k.from == t.name), "{}", t.name);
        }
    }

    #[tokio::test]
    async fn the_ddl_runs_on_sqlite() {
        in_memory_sqlite().await;
    }
}
