//! The bytes a TAP query answers with: a [`ResultTable`] as a VOTable 1.4 document (TABLEDATA or
//! BINARY2 serialisation), as CSV, TSV or JSON, and the VOTable error document DALI asks for.
//!
//! Everything is written straight into the caller's `Vec<u8>`, row by row, because results run
//! to a million rows: no DOM, no per-cell allocation.
//!
//! Choices a client can rely on:
//! - Column names are unique in every format. The first column keeps its name; a later column
//!   whose name equals an earlier one (ignoring case, as ADQL does) becomes `name_2`, `name_3`, …
//!   (the first suffix no other column uses). An empty name becomes `colN`, N its 1-based position.
//! - Values are coerced to the declared datatype: a real in an integer column is rounded, an
//!   integer in a floating-point column widened, a number in a string column written as text. An
//!   integer outside its column's range, or a non-finite real in an integer column, is NULL.
//!   Text in a numeric column is written as it stands in TABLEDATA, CSV and TSV; BINARY2 and
//!   JSON, which are typed, parse it and write NULL when it is no number.
//! - VOTable NULLs: empty `TD` for strings and reals (NaN in BINARY2); integer columns declare
//!   `<VALUES null="…"/>` with the type's minimum and carry that value.
//! - XML text is escaped; characters XML 1.0 cannot carry (control characters other than tab,
//!   newline and carriage return, U+FFFE, U+FFFF) become `?`. BINARY2 `char` writes one byte per
//!   character (non-ASCII as `?`), `unicodeChar` UCS-2 (characters outside the BMP as `?`).
//! - CSV follows RFC 4180 with CRLF line ends and a header row; NULL is an empty field and an
//!   empty string is `""`. TSV uses LF line ends; tabs and line breaks inside values become
//!   spaces. Infinite reals are `Infinity`/`-Infinity` there, `+Inf`/`-Inf` in VOTable.

use std::borrow::Cow;
use std::collections::HashSet;
use std::io::{self, Write as _};

use crate::ivoa::tap::result::{Datatype, Field, ResultTable, Value};

mod json;
mod text;
mod votable;

pub use votable::error_document;

/// The Content-Type of a VOTable answer named by a short format name.
pub const VOTABLE_MIME: &str = "application/x-votable+xml";
const CSV_MIME: &str = "text/csv;header=present";
const TSV_MIME: &str = "text/tab-separated-values";
const JSON_MIME: &str = "application/json";
/// An output serialisation of a query result.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    TableData,
    Binary2,
    Csv,
    Tsv,
    Json,
}

impl Format {
    /// A RESPONSEFORMAT/FORMAT value → the format and the Content-Type to answer with; `None`
    /// when unsupported. Names are case-insensitive. A client that named a MIME type gets that
    /// MIME type back (its `serialization` parameter normalised, other parameters dropped);
    /// `text/csv` is answered as `text/csv;header=present` since the header row is always sent.
    pub fn from_param(v: &str) -> Option<(Format, String)> {
        let mut parts = v.split(';');
        let main = parts.next()?.trim().to_ascii_lowercase();
        let mut serialization = None;
        let mut header = None;
        let mut has_params = false;
        for p in parts {
            let p = p.trim();
            if p.is_empty() {
                continue;
            }
            has_params = true;
            let (key, value) = p.split_once('=')?;
            let value = value.trim().trim_matches('"').trim().to_ascii_lowercase();
            match key.trim().to_ascii_lowercase().as_str() {
                "serialization" => serialization = Some(value),
                "header" => header = Some(value),
                _ => {}
            }
        }
        let short = |f: Format, mime: &str| (!has_params).then(|| (f, mime.to_owned()));
        match main.as_str() {
            "votable" | "votable/td" | "votabletd" => short(Format::TableData, VOTABLE_MIME),
            "votable/b2" | "votableb2" | "binary2" => short(Format::Binary2, VOTABLE_MIME),
            "csv" => short(Format::Csv, CSV_MIME),
            "tsv" => short(Format::Tsv, TSV_MIME),
            "json" => short(Format::Json, JSON_MIME),
            "application/x-votable+xml" | "text/xml" => match serialization.as_deref() {
                None => Some((Format::TableData, main)),
                Some("tabledata") => Some((Format::TableData, main + ";serialization=TABLEDATA")),
                Some("binary2") => Some((Format::Binary2, main + ";serialization=BINARY2")),
                Some(_) => None,
            },
            "text/csv" => match header.as_deref() {
                None | Some("present") => Some((Format::Csv, CSV_MIME.to_owned())),
                Some(_) => None,
            },
            "text/tab-separated-values" => Some((Format::Tsv, TSV_MIME.to_owned())),
            "application/json" => Some((Format::Json, JSON_MIME.to_owned())),
            _ => None,
        }
    }

    /// What a request without RESPONSEFORMAT gets: TABLEDATA VOTable.
    pub fn default_votable() -> (Format, String) {
        (Format::TableData, VOTABLE_MIME.to_owned())
    }
}

/// Writes the whole answer for `table` in `format`. `infos` are extra (name, value) INFO
/// elements of a VOTable's results RESOURCE, written after `QUERY_STATUS` and before the TABLE;
/// the other formats have no place for them.
pub fn write(out: &mut Vec<u8>, table: &ResultTable, format: Format, infos: &[(&str, &str)]) {
    let cols = columns(&table.fields);
    // io::Write for Vec<u8> never fails, and serde_json cannot fail on strings: the Result
    // only exists because `write!` and `serde_json::to_writer` speak io::Write.
    let _infallible = match format {
        Format::TableData | Format::Binary2 => {
            votable::write_votable(out, table, &cols, format, infos)
        }
        Format::Csv => text::write_csv(out, table, &cols),
        Format::Tsv => text::write_tsv(out, table, &cols),
        Format::Json => json::write_json(out, table, &cols),
    };
}

/// The length of a string column's values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Size {
    Variable,
    Fixed(usize),
}

/// What a column's cells are written as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    Text { unicode: bool, size: Size },
    Short,
    Int,
    Long,
    Float,
    Double,
}

impl Kind {
    fn of(f: &Field) -> Kind {
        match f.datatype {
            Datatype::Char | Datatype::UnicodeChar => Kind::Text {
                unicode: f.datatype == Datatype::UnicodeChar,
                size: match f.arraysize.as_deref().map(str::trim) {
                    None => Size::Fixed(1),
                    Some(a) => a.parse().map_or(Size::Variable, Size::Fixed),
                },
            },
            Datatype::Short => Kind::Short,
            Datatype::Int => Kind::Int,
            Datatype::Long => Kind::Long,
            Datatype::Float => Kind::Float,
            Datatype::Double => Kind::Double,
        }
    }

    /// The NULL value of an integer column: the type's minimum.
    fn null_int(self) -> Option<i64> {
        match self {
            Kind::Short => Some(i16::MIN.into()),
            Kind::Int => Some(i32::MIN.into()),
            Kind::Long => Some(i64::MIN),
            _ => None,
        }
    }

    fn is_real(self) -> bool {
        matches!(self, Kind::Float | Kind::Double)
    }

    /// An integer as this integer column holds it; `None` (NULL) when out of its range.
    fn fit_int(self, i: i64) -> Option<i64> {
        let fits = match self {
            Kind::Short => i16::try_from(i).is_ok(),
            Kind::Int => i32::try_from(i).is_ok(),
            _ => true,
        };
        fits.then_some(i)
    }
}

/// A result column as written: its unique name, metadata and cell kind.
pub(super) struct Col<'a> {
    name: Cow<'a, str>,
    field: &'a Field,
    kind: Kind,
    /// The arraysize attribute, consistent with `kind` (numeric columns are scalars).
    arraysize: Option<Cow<'a, str>>,
}

pub(super) fn columns(fields: &[Field]) -> Vec<Col<'_>> {
    unique_names(fields)
        .into_iter()
        .zip(fields)
        .map(|(name, field)| {
            let kind = Kind::of(field);
            let arraysize = match kind {
                Kind::Text {
                    size: Size::Fixed(1),
                    ..
                } if field.arraysize.is_none() => None,
                Kind::Text {
                    size: Size::Fixed(n),
                    ..
                } => Some(Cow::Owned(n.to_string())),
                Kind::Text {
                    size: Size::Variable,
                    ..
                } => match field.arraysize.as_deref() {
                    Some(a) if a.trim().ends_with('*') => Some(Cow::Borrowed(a.trim())),
                    _ => Some(Cow::Borrowed("*")),
                },
                _ => None,
            };
            Col {
                name,
                field,
                kind,
                arraysize,
            }
        })
        .collect()
}

/// Column names made unique (see the module documentation for the rule).
pub(super) fn unique_names(fields: &[Field]) -> Vec<Cow<'_, str>> {
    let mut taken: HashSet<String> = fields
        .iter()
        .map(|f| f.name.trim().to_lowercase())
        .filter(|n| !n.is_empty())
        .collect();
    let mut kept = HashSet::new();
    let mut names = Vec::with_capacity(fields.len());
    for (i, f) in fields.iter().enumerate() {
        let name = f.name.trim();
        if !name.is_empty() && kept.insert(name.to_lowercase()) {
            names.push(Cow::Borrowed(name));
            continue;
        }
        let base = if name.is_empty() {
            format!("col{}", i + 1)
        } else {
            name.to_owned()
        };
        if name.is_empty() && taken.insert(base.to_lowercase()) {
            names.push(Cow::Owned(base));
            continue;
        }
        let mut n = 2;
        loop {
            let candidate = format!("{base}_{n}");
            if taken.insert(candidate.to_lowercase()) {
                names.push(Cow::Owned(candidate));
                break;
            }
            n += 1;
        }
    }
    names
}

/// A cell coerced to its column's kind.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Cell<'a> {
    Null,
    Int(i64),
    Real(f64),
    /// Text as given: in a string column, or in a numeric column (for the untyped formats).
    Text(&'a str),
}

pub(super) fn cell(kind: Kind, v: &Value) -> Cell<'_> {
    match (v, kind) {
        (Value::Null, _) => Cell::Null,
        (Value::Text(s), _) => Cell::Text(s),
        (Value::Int(i), Kind::Text { .. }) => Cell::Int(*i),
        (Value::Real(r), Kind::Text { .. }) => Cell::Real(*r),
        (Value::Int(i), k) if k.is_real() => Cell::Real(*i as f64),
        (Value::Real(r), k) if k.is_real() => real_cell(*r),
        (Value::Int(i), k) => kind_int(k, *i),
        (Value::Real(r), k) => real_in_int(k, *r),
    }
}

/// A cell of a typed serialisation: text in a numeric column parsed, NULL when no number.
pub(super) fn typed_cell(kind: Kind, v: &Value) -> Cell<'_> {
    match cell(kind, v) {
        Cell::Text(s) if !matches!(kind, Kind::Text { .. }) => {
            let s = s.trim();
            if kind.is_real() {
                s.parse().map_or(Cell::Null, real_cell)
            } else if let Ok(i) = s.parse() {
                kind_int(kind, i)
            } else {
                s.parse().map_or(Cell::Null, |r| real_in_int(kind, r))
            }
        }
        c => c,
    }
}

pub(super) fn real_cell(r: f64) -> Cell<'static> {
    if r.is_nan() {
        Cell::Null
    } else {
        Cell::Real(r)
    }
}

pub(super) fn kind_int(kind: Kind, i: i64) -> Cell<'static> {
    kind.fit_int(i).map_or(Cell::Null, Cell::Int)
}

pub(super) fn real_in_int(kind: Kind, r: f64) -> Cell<'static> {
    let r = r.round();
    // i64::MAX as f64 rounds up to 2^63, which no longer fits.
    if r.is_finite() && r >= i64::MIN as f64 && r < i64::MAX as f64 {
        kind_int(kind, r as i64)
    } else {
        Cell::Null
    }
}

pub(super) fn row_value(row: &[Value], i: usize) -> &Value {
    row.get(i).unwrap_or(&Value::Null)
}

pub(super) const VOTABLE_INF: [&str; 2] = ["+Inf", "-Inf"];
pub(super) const TEXT_INF: [&str; 2] = ["Infinity", "-Infinity"];

/// A real in its shortest round-tripping form (`{:?}`: exponent for very large or small
/// magnitudes). `single` writes the f32 form for a `float` column.
pub(super) fn write_real(
    out: &mut Vec<u8>,
    r: f64,
    inf: [&str; 2],
    single: Option<f32>,
) -> io::Result<()> {
    if r.is_nan() {
        out.extend_from_slice(b"NaN");
    } else if r.is_infinite() {
        out.extend_from_slice(inf[usize::from(r < 0.0)].as_bytes());
    } else if let Some(s) = single {
        write!(out, "{s:?}")?;
    } else {
        write!(out, "{r:?}")?;
    }
    Ok(())
}

#[cfg(test)]
mod tests;
