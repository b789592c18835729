//! A query result as TAP returns it: typed column metadata (what a VOTable FIELD declares) and
//! rows of cells, with whether the row limit cut it short.

pub use crate::ivoa::regtap::rows::Value;
use crate::ivoa::regtap::schema;

/// A VOTable primitive datatype.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Datatype {
    Char,
    UnicodeChar,
    Short,
    Int,
    Long,
    Float,
    Double,
}

impl Datatype {
    /// The name a VOTable FIELD or a VODataService column uses.
    pub fn as_str(self) -> &'static str {
        match self {
            Datatype::Char => "char",
            Datatype::UnicodeChar => "unicodeChar",
            Datatype::Short => "short",
            Datatype::Int => "int",
            Datatype::Long => "long",
            Datatype::Float => "float",
            Datatype::Double => "double",
        }
    }
}

/// One result column.
#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    pub name: String,
    pub datatype: Datatype,
    /// `*` for variable-length strings; `None` for scalars.
    pub arraysize: Option<String>,
    pub xtype: Option<String>,
    pub unit: Option<String>,
    pub ucd: Option<String>,
    pub utype: Option<String>,
    pub description: Option<String>,
}

impl Field {
    /// A column of unknown provenance (an expression), typed from its values' SQL type.
    pub fn computed(name: &str, datatype: Datatype) -> Field {
        Field {
            name: name.to_owned(),
            datatype,
            arraysize: matches!(datatype, Datatype::Char | Datatype::UnicodeChar)
                .then(|| "*".to_owned()),
            xtype: None,
            unit: None,
            ucd: None,
            utype: None,
            description: None,
        }
    }

    /// The metadata of a declared column, as TAP_SCHEMA and /tables describe it.
    pub fn of_column(c: &schema::Column) -> Field {
        use schema::Type;
        let datatype = match c.ty {
            Type::Text | Type::Timestamp if c.unicode => Datatype::UnicodeChar,
            Type::Text | Type::Timestamp | Type::Moc => Datatype::Char,
            Type::Integer => Datatype::Int,
            Type::Long => Datatype::Long,
            Type::Real => Datatype::Double,
        };
        Field {
            name: c.name.to_owned(),
            datatype,
            arraysize: matches!(c.ty, Type::Text | Type::Timestamp | Type::Moc)
                .then(|| "*".to_owned()),
            xtype: match c.ty {
                Type::Timestamp => Some("timestamp".to_owned()),
                Type::Moc => Some("moc".to_owned()),
                _ => None,
            },
            unit: c.unit.map(str::to_owned),
            ucd: None,
            utype: None,
            description: Some(c.description.to_owned()),
        }
    }
}

/// A finished query result.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ResultTable {
    pub fields: Vec<Field>,
    /// Each row has one cell per field, in field order.
    pub rows: Vec<Vec<Value>>,
    /// More rows matched than the row limit let through.
    pub overflow: bool,
}
