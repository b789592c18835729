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

use base64::Engine as _;
use serde::Serialize;

use crate::tap::result::{Datatype, Field, ResultTable, Value};

/// The Content-Type of a VOTable answer named by a short format name.
pub const VOTABLE_MIME: &str = "application/x-votable+xml";
const CSV_MIME: &str = "text/csv;header=present";
const TSV_MIME: &str = "text/tab-separated-values";
const JSON_MIME: &str = "application/json";
const VOTABLE_OPEN: &[u8] = b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
<VOTABLE version=\"1.4\" xmlns=\"http://www.ivoa.net/xml/VOTable/v1.3\">\n\
<RESOURCE type=\"results\">\n";
const VOTABLE_CLOSE: &[u8] = b"</RESOURCE>\n</VOTABLE>\n";

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
        Format::TableData | Format::Binary2 => write_votable(out, table, &cols, format, infos),
        Format::Csv => write_csv(out, table, &cols),
        Format::Tsv => write_tsv(out, table, &cols),
        Format::Json => write_json(out, table, &cols),
    };
}

/// A VOTable error document: the results RESOURCE with
/// `<INFO name="QUERY_STATUS" value="ERROR">message</INFO>` and no TABLE.
pub fn error_document(message: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(VOTABLE_OPEN.len() + message.len() + 100);
    out.extend_from_slice(VOTABLE_OPEN);
    out.extend_from_slice(b"<INFO name=\"QUERY_STATUS\" value=\"ERROR\">");
    escape(&mut out, message, false);
    out.extend_from_slice(b"</INFO>\n");
    out.extend_from_slice(VOTABLE_CLOSE);
    out
}

// ---------------------------------------------------------------------------------------------
// Columns and cell coercion

/// The length of a string column's values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Size {
    Variable,
    Fixed(usize),
}

/// What a column's cells are written as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
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
struct Col<'a> {
    name: Cow<'a, str>,
    field: &'a Field,
    kind: Kind,
    /// The arraysize attribute, consistent with `kind` (numeric columns are scalars).
    arraysize: Option<Cow<'a, str>>,
}

fn columns(fields: &[Field]) -> Vec<Col<'_>> {
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
fn unique_names(fields: &[Field]) -> Vec<Cow<'_, str>> {
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
enum Cell<'a> {
    Null,
    Int(i64),
    Real(f64),
    /// Text as given: in a string column, or in a numeric column (for the untyped formats).
    Text(&'a str),
}

fn cell(kind: Kind, v: &Value) -> Cell<'_> {
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
fn typed_cell(kind: Kind, v: &Value) -> Cell<'_> {
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

fn real_cell(r: f64) -> Cell<'static> {
    if r.is_nan() {
        Cell::Null
    } else {
        Cell::Real(r)
    }
}

fn kind_int(kind: Kind, i: i64) -> Cell<'static> {
    kind.fit_int(i).map_or(Cell::Null, Cell::Int)
}

fn real_in_int(kind: Kind, r: f64) -> Cell<'static> {
    let r = r.round();
    // i64::MAX as f64 rounds up to 2^63, which no longer fits.
    if r.is_finite() && r >= i64::MIN as f64 && r < i64::MAX as f64 {
        kind_int(kind, r as i64)
    } else {
        Cell::Null
    }
}

fn row_value(row: &[Value], i: usize) -> &Value {
    row.get(i).unwrap_or(&Value::Null)
}

// ---------------------------------------------------------------------------------------------
// VOTable

fn write_votable(
    out: &mut Vec<u8>,
    table: &ResultTable,
    cols: &[Col],
    format: Format,
    infos: &[(&str, &str)],
) -> io::Result<()> {
    out.extend_from_slice(VOTABLE_OPEN);
    out.extend_from_slice(b"<INFO name=\"QUERY_STATUS\" value=\"OK\"/>\n");
    for (name, value) in infos {
        out.extend_from_slice(b"<INFO name=\"");
        escape(out, name, true);
        out.extend_from_slice(b"\" value=\"");
        escape(out, value, true);
        out.extend_from_slice(b"\"/>\n");
    }
    // The schema wants at least one FIELD in a TABLE; a result without columns has no TABLE.
    if !cols.is_empty() {
        out.extend_from_slice(b"<TABLE>\n");
        for c in cols {
            write_field(out, c);
        }
        out.extend_from_slice(b"<DATA>");
        match format {
            Format::Binary2 => write_binary2(out, table, cols)?,
            _ => write_tabledata(out, table, cols)?,
        }
        out.extend_from_slice(b"</DATA>\n</TABLE>\n");
    }
    if table.overflow {
        out.extend_from_slice(b"<INFO name=\"QUERY_STATUS\" value=\"OVERFLOW\"/>\n");
    }
    out.extend_from_slice(VOTABLE_CLOSE);
    Ok(())
}

fn write_field(out: &mut Vec<u8>, c: &Col) {
    let f = c.field;
    out.extend_from_slice(b"<FIELD name=\"");
    escape(out, &c.name, true);
    out.extend_from_slice(b"\" datatype=\"");
    out.extend_from_slice(f.datatype.as_str().as_bytes());
    out.push(b'"');
    let ucd = f.ucd.as_deref().filter(|u| is_ucd_token(u));
    let attrs = [
        ("arraysize", c.arraysize.as_deref()),
        ("xtype", f.xtype.as_deref()),
        ("unit", f.unit.as_deref()),
        ("ucd", ucd),
        ("utype", f.utype.as_deref()),
    ];
    for (name, value) in attrs {
        if let Some(v) = value {
            out.push(b' ');
            out.extend_from_slice(name.as_bytes());
            out.extend_from_slice(b"=\"");
            escape(out, v, true);
            out.push(b'"');
        }
    }
    let null = c.kind.null_int();
    if f.description.is_none() && null.is_none() {
        out.extend_from_slice(b"/>\n");
        return;
    }
    out.push(b'>');
    if let Some(d) = &f.description {
        out.extend_from_slice(b"<DESCRIPTION>");
        escape(out, d, false);
        out.extend_from_slice(b"</DESCRIPTION>");
    }
    if let Some(n) = null {
        out.extend_from_slice(b"<VALUES null=\"");
        out.extend_from_slice(n.to_string().as_bytes());
        out.extend_from_slice(b"\"/>");
    }
    out.extend_from_slice(b"</FIELD>\n");
}

/// Whether a UCD fits the schema's `ucdType` pattern; one that does not is left out rather than
/// making the document invalid.
fn is_ucd_token(u: &str) -> bool {
    u.bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"_.:;-".contains(&b))
}

fn write_tabledata(out: &mut Vec<u8>, table: &ResultTable, cols: &[Col]) -> io::Result<()> {
    out.extend_from_slice(b"<TABLEDATA>\n");
    for row in &table.rows {
        out.extend_from_slice(b"<TR>");
        for (i, c) in cols.iter().enumerate() {
            let cell = cell(c.kind, row_value(row, i));
            let cell = match (cell, c.kind.null_int()) {
                (Cell::Null, Some(null)) => Cell::Int(null),
                (cell, _) => cell,
            };
            match cell {
                Cell::Null => {
                    out.extend_from_slice(b"<TD/>");
                    continue;
                }
                Cell::Int(v) => write!(out, "<TD>{v}")?,
                Cell::Real(r) => {
                    out.extend_from_slice(b"<TD>");
                    if c.kind == Kind::Float {
                        write_real(out, f64::from(r as f32), VOTABLE_INF, Some(r as f32))?;
                    } else {
                        write_real(out, r, VOTABLE_INF, None)?;
                    }
                }
                Cell::Text(s) => {
                    out.extend_from_slice(b"<TD>");
                    escape(out, s, false);
                }
            }
            out.extend_from_slice(b"</TD>");
        }
        out.extend_from_slice(b"</TR>\n");
    }
    out.extend_from_slice(b"</TABLEDATA>");
    Ok(())
}

const VOTABLE_INF: [&str; 2] = ["+Inf", "-Inf"];
const TEXT_INF: [&str; 2] = ["Infinity", "-Infinity"];

/// A real in its shortest round-tripping form (`{:?}`: exponent for very large or small
/// magnitudes). `single` writes the f32 form for a `float` column.
fn write_real(out: &mut Vec<u8>, r: f64, inf: [&str; 2], single: Option<f32>) -> io::Result<()> {
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

/// Raw bytes are base64-encoded in lines of 76 characters, a block at a time.
const B64_LINE: usize = 57;
const B64_BLOCK: usize = B64_LINE * 1024;

fn write_binary2(out: &mut Vec<u8>, table: &ResultTable, cols: &[Col]) -> io::Result<()> {
    out.extend_from_slice(b"<BINARY2><STREAM encoding=\"base64\">\n");
    let mask_len = cols.len().div_ceil(8);
    let mut raw = Vec::with_capacity(B64_BLOCK * 2);
    let mut b64 = String::with_capacity(B64_BLOCK / 3 * 4 + B64_BLOCK / B64_LINE + 8);
    let mut scratch = Vec::new();
    for row in &table.rows {
        let mask_at = raw.len();
        raw.resize(mask_at + mask_len, 0);
        for (i, c) in cols.iter().enumerate() {
            let cell = typed_cell(c.kind, row_value(row, i));
            if cell == Cell::Null {
                raw[mask_at + i / 8] |= 0x80 >> (i % 8);
            }
            write_binary_cell(&mut raw, c.kind, cell, &mut scratch)?;
        }
        if raw.len() >= B64_BLOCK {
            flush_base64(out, &mut raw, &mut b64, false);
        }
    }
    flush_base64(out, &mut raw, &mut b64, true);
    out.extend_from_slice(b"</STREAM></BINARY2>");
    Ok(())
}

fn write_binary_cell(
    raw: &mut Vec<u8>,
    kind: Kind,
    cell: Cell,
    scratch: &mut Vec<u8>,
) -> io::Result<()> {
    match kind {
        Kind::Text { unicode, size } => {
            let text = match cell {
                Cell::Null => "",
                Cell::Text(s) => s,
                Cell::Int(i) => {
                    scratch.clear();
                    write!(scratch, "{i}")?;
                    std::str::from_utf8(scratch).unwrap_or_default()
                }
                Cell::Real(r) => {
                    scratch.clear();
                    write_real(scratch, r, TEXT_INF, None)?;
                    std::str::from_utf8(scratch).unwrap_or_default()
                }
            };
            write_binary_text(raw, text, unicode, size);
        }
        Kind::Short | Kind::Int | Kind::Long => {
            let v = match cell {
                Cell::Int(v) => v,
                _ => kind.null_int().unwrap_or_default(),
            };
            match kind {
                Kind::Short => raw.extend_from_slice(&(v as i16).to_be_bytes()),
                Kind::Int => raw.extend_from_slice(&(v as i32).to_be_bytes()),
                _ => raw.extend_from_slice(&v.to_be_bytes()),
            }
        }
        Kind::Float | Kind::Double => {
            let r = match cell {
                Cell::Real(r) => r,
                _ => f64::NAN,
            };
            if kind == Kind::Float {
                raw.extend_from_slice(&(r as f32).to_be_bytes());
            } else {
                raw.extend_from_slice(&r.to_be_bytes());
            }
        }
    }
    Ok(())
}

/// A string cell: a 4-byte count then the characters for a variable size, exactly `n`
/// characters (cut or padded with NUL) for a fixed one.
fn write_binary_text(raw: &mut Vec<u8>, s: &str, unicode: bool, size: Size) {
    let (limit, count_at) = match size {
        Size::Variable => {
            raw.extend_from_slice(&[0; 4]);
            (usize::MAX, Some(raw.len() - 4))
        }
        Size::Fixed(n) => (n, None),
    };
    let mut count = 0usize;
    if !unicode && s.is_ascii() && s.len() <= limit {
        raw.extend_from_slice(s.as_bytes());
        count = s.len();
    } else {
        for ch in s.chars().take(limit) {
            if unicode {
                let unit = u16::try_from(u32::from(ch)).unwrap_or(u16::from(b'?'));
                raw.extend_from_slice(&unit.to_be_bytes());
            } else {
                raw.push(if ch.is_ascii() { ch as u8 } else { b'?' });
            }
            count += 1;
        }
    }
    match count_at {
        Some(at) => {
            let n = u32::try_from(count).unwrap_or(u32::MAX);
            raw[at..at + 4].copy_from_slice(&n.to_be_bytes());
        }
        None => {
            let width = if unicode { 2 } else { 1 };
            raw.resize(raw.len() + (limit - count) * width, 0);
        }
    }
}

/// Encodes the whole lines of `raw` (all of it when `last`) into `out`, keeping the rest.
fn flush_base64(out: &mut Vec<u8>, raw: &mut Vec<u8>, b64: &mut String, last: bool) {
    let upto = if last {
        raw.len()
    } else {
        raw.len() / B64_LINE * B64_LINE
    };
    b64.clear();
    for line in raw[..upto].chunks(B64_LINE) {
        base64::engine::general_purpose::STANDARD.encode_string(line, b64);
        b64.push('\n');
    }
    out.extend_from_slice(b64.as_bytes());
    raw.drain(..upto);
}

/// XML-escapes `s` into `out`; in an attribute also quotes and the whitespace that attribute
/// normalisation would eat. Characters XML 1.0 cannot carry become `?`.
fn escape(out: &mut Vec<u8>, s: &str, attr: bool) {
    let bytes = s.as_bytes();
    let mut start = 0;
    let mut i = 0;
    while i < bytes.len() {
        let (replacement, width): (&[u8], usize) = match bytes[i] {
            b'<' => (b"&lt;", 1),
            b'>' => (b"&gt;", 1),
            b'&' => (b"&amp;", 1),
            b'"' if attr => (b"&quot;", 1),
            b'\r' => (b"&#13;", 1),
            b'\t' if attr => (b"&#9;", 1),
            b'\n' if attr => (b"&#10;", 1),
            b'\t' | b'\n' => {
                i += 1;
                continue;
            }
            0..=0x1f => (b"?", 1),
            // U+FFFE and U+FFFF, encoded EF BF BE / EF BF BF.
            0xef if bytes.get(i + 1) == Some(&0xbf)
                && matches!(bytes.get(i + 2), Some(0xbe | 0xbf)) =>
            {
                (b"?", 3)
            }
            _ => {
                i += 1;
                continue;
            }
        };
        out.extend_from_slice(&bytes[start..i]);
        out.extend_from_slice(replacement);
        i += width;
        start = i;
    }
    out.extend_from_slice(&bytes[start..]);
}

// ---------------------------------------------------------------------------------------------
// CSV, TSV, JSON

fn write_csv(out: &mut Vec<u8>, table: &ResultTable, cols: &[Col]) -> io::Result<()> {
    for (i, c) in cols.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        csv_text(out, &c.name);
    }
    out.extend_from_slice(b"\r\n");
    for row in &table.rows {
        for (i, c) in cols.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            match cell(c.kind, row_value(row, i)) {
                Cell::Null => {}
                Cell::Text(s) => csv_text(out, s),
                Cell::Int(v) => write!(out, "{v}")?,
                Cell::Real(r) => write_real(out, r, TEXT_INF, None)?,
            }
        }
        out.extend_from_slice(b"\r\n");
    }
    Ok(())
}

/// One CSV field, quoted when RFC 4180 needs it, when blanks at its ends would be lost, or when
/// empty (to tell the empty string from NULL).
fn csv_text(out: &mut Vec<u8>, s: &str) {
    let quote = s.is_empty()
        || s.starts_with([' ', '\t'])
        || s.ends_with([' ', '\t'])
        || s.bytes().any(|b| matches!(b, b',' | b'"' | b'\r' | b'\n'));
    if !quote {
        out.extend_from_slice(s.as_bytes());
        return;
    }
    out.push(b'"');
    for part in s.split_inclusive('"') {
        out.extend_from_slice(part.as_bytes());
        if part.ends_with('"') {
            out.push(b'"');
        }
    }
    out.push(b'"');
}

fn write_tsv(out: &mut Vec<u8>, table: &ResultTable, cols: &[Col]) -> io::Result<()> {
    for (i, c) in cols.iter().enumerate() {
        if i > 0 {
            out.push(b'\t');
        }
        tsv_text(out, &c.name);
    }
    out.push(b'\n');
    for row in &table.rows {
        for (i, c) in cols.iter().enumerate() {
            if i > 0 {
                out.push(b'\t');
            }
            match cell(c.kind, row_value(row, i)) {
                Cell::Null => {}
                Cell::Text(s) => tsv_text(out, s),
                Cell::Int(v) => write!(out, "{v}")?,
                Cell::Real(r) => write_real(out, r, TEXT_INF, None)?,
            }
        }
        out.push(b'\n');
    }
    Ok(())
}

fn tsv_text(out: &mut Vec<u8>, s: &str) {
    out.extend(s.bytes().map(|b| {
        if matches!(b, b'\t' | b'\n' | b'\r') {
            b' '
        } else {
            b
        }
    }));
}

#[derive(Serialize)]
struct JsonColumn<'a> {
    name: &'a str,
    datatype: &'a str,
    arraysize: Option<&'a str>,
    xtype: Option<&'a str>,
    unit: Option<&'a str>,
    ucd: Option<&'a str>,
    description: Option<&'a str>,
}

fn write_json(out: &mut Vec<u8>, table: &ResultTable, cols: &[Col]) -> io::Result<()> {
    out.extend_from_slice(b"{\"columns\":[");
    for (i, c) in cols.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        let column = JsonColumn {
            name: &c.name,
            datatype: c.field.datatype.as_str(),
            arraysize: c.arraysize.as_deref(),
            xtype: c.field.xtype.as_deref(),
            unit: c.field.unit.as_deref(),
            ucd: c.field.ucd.as_deref(),
            description: c.field.description.as_deref(),
        };
        serde_json::to_writer(&mut *out, &column)?;
    }
    out.extend_from_slice(b"],\n\"data\":[");
    let mut scratch = Vec::new();
    for (r, row) in table.rows.iter().enumerate() {
        out.extend_from_slice(if r == 0 { b"\n[" } else { b",\n[" });
        for (i, c) in cols.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            let text_column = matches!(c.kind, Kind::Text { .. });
            match typed_cell(c.kind, row_value(row, i)) {
                Cell::Null => out.extend_from_slice(b"null"),
                Cell::Text(s) => serde_json::to_writer(&mut *out, s)?,
                Cell::Int(v) if text_column => write!(out, "\"{v}\"")?,
                Cell::Int(v) => write!(out, "{v}")?,
                Cell::Real(r) if text_column => {
                    scratch.clear();
                    write_real(&mut scratch, r, TEXT_INF, None)?;
                    out.push(b'"');
                    out.extend_from_slice(&scratch);
                    out.push(b'"');
                }
                Cell::Real(r) if r.is_finite() => write!(out, "{r:?}")?,
                Cell::Real(_) => out.extend_from_slice(b"null"),
            }
        }
        out.push(b']');
    }
    let status: &[u8] = if table.overflow { b"OVERFLOW" } else { b"OK" };
    out.extend_from_slice(b"],\n\"queryStatus\":\"");
    out.extend_from_slice(status);
    out.extend_from_slice(b"\"}\n");
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};
    use std::process::Command;

    use super::*;

    const VALIDATE: &str = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../shared/corpus/xsd/validate-example.sh"
    );

    fn field(name: &str, datatype: Datatype) -> Field {
        Field::computed(name, datatype)
    }

    fn text(s: &str) -> Value {
        Value::Text(s.to_owned())
    }

    /// Strings (non-ASCII, an emoji, markup, an empty one), integers and reals with NULLs and
    /// NaN, a timestamp, duplicate names, and values of another type than their column's.
    fn sample(overflow: bool) -> ResultTable {
        let mut created = field("created", Datatype::Char);
        created.xtype = Some("timestamp".into());
        created.description = Some("When it was <made> & \"by whom\"".into());
        let mut f = field("f", Datatype::Float);
        f.unit = Some("deg".into());
        f.ucd = Some("pos.eq.ra;meta.main".into());
        f.utype = Some("stc:Position".into());
        let fields = vec![
            field("id", Datatype::Int),
            field("title", Datatype::UnicodeChar),
            field("code", Datatype::Char),
            field("val", Datatype::Double),
            created,
            field("id", Datatype::Int),
            field("small", Datatype::Short),
            field("big", Datatype::Long),
            f,
            field("ID", Datatype::Int),
        ];
        let rows = vec![
            vec![
                Value::Int(1),
                text("Ångström"),
                text("a, \"q\""),
                Value::Real(1.5),
                text("2024-01-01T00:00:00"),
                Value::Int(10),
                Value::Int(-3),
                Value::Int(1 << 40),
                Value::Real(0.25),
                Value::Int(7),
            ],
            vec![
                Value::Null,
                text("emoji 🙂 ok"),
                text("Ångström"),
                Value::Null,
                Value::Null,
                Value::Null,
                Value::Null,
                Value::Null,
                Value::Null,
                Value::Null,
            ],
            vec![
                Value::Real(2.6),
                text("x <&> y"),
                text("tab\tline\nend"),
                Value::Real(f64::NAN),
                text("2024-02-29T12:30:00.5"),
                Value::Int(-1),
                text("42"),
                Value::Int(-5),
                Value::Int(3),
                Value::Real(-0.4),
            ],
        ];
        ResultTable {
            fields,
            rows,
            overflow,
        }
    }

    fn render(table: &ResultTable, format: Format) -> Vec<u8> {
        let mut out = Vec::new();
        let infos = [
            ("QUERY", "SELECT * FROM rr.resource WHERE a < 'x&y'"),
            ("request_date", "2024"),
        ];
        write(&mut out, table, format, &infos);
        out
    }

    fn save(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
        let path = dir.join(name);
        std::fs::write(&path, bytes).unwrap();
        path
    }

    fn run(program: &str, args: &[&str]) -> (bool, String, String) {
        let out = Command::new(program)
            .args(args)
            .output()
            .unwrap_or_else(|e| panic!("cannot run {program} (is it installed?): {e}"));
        let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
        (out.status.success(), text(&out.stdout), text(&out.stderr))
    }

    fn assert_valid(path: &Path) {
        let (ok, stdout, stderr) = run("sh", &[VALIDATE, path.to_str().unwrap()]);
        assert!(
            ok && stderr.contains("validates"),
            "{}: {stdout}{stderr}",
            path.display()
        );
    }

    /// votlint prints nothing for a clean file (and exits 0 even with errors); its INFO lines
    /// are remarks, such as that a `char` FIELD without arraysize holds one character.
    fn assert_votlint_clean(path: &Path) {
        let (ok, stdout, stderr) = run(
            "stilts",
            &["votlint", &format!("votable={}", path.display())],
        );
        let complaints: Vec<&str> = stdout
            .lines()
            .chain(stderr.lines())
            .filter(|l| !l.starts_with("INFO ("))
            .collect();
        assert!(
            ok && complaints.iter().all(|l| l.trim().is_empty()),
            "{stdout}{stderr}"
        );
    }

    /// A table read back by STILTS and written as CSV.
    fn stilts_rows(path: &Path, ifmt: &str) -> Vec<Vec<Option<String>>> {
        let input = format!("in={}", path.display());
        let ifmt = format!("ifmt={ifmt}");
        let (ok, stdout, stderr) = run("stilts", &["tcopy", &input, &ifmt, "ofmt=csv", "out=-"]);
        assert!(ok, "{stderr}");
        parse_csv(&stdout)
    }

    /// RFC 4180 records; an unquoted empty field is `None`, a quoted one `Some("")`.
    fn parse_csv(s: &str) -> Vec<Vec<Option<String>>> {
        let mut rows = Vec::new();
        let mut row = Vec::new();
        let mut chars = s.chars().peekable();
        while chars.peek().is_some() {
            let mut value = String::new();
            let mut quoted = false;
            if chars.peek() == Some(&'"') {
                quoted = true;
                chars.next();
                while let Some(c) = chars.next() {
                    if c == '"' {
                        if chars.peek() == Some(&'"') {
                            chars.next();
                        } else {
                            break;
                        }
                    }
                    value.push(c);
                }
            }
            loop {
                match chars.next() {
                    None | Some('\n') => {
                        row.push((quoted || !value.is_empty()).then_some(value));
                        rows.push(std::mem::take(&mut row));
                        break;
                    }
                    Some('\r') if chars.peek() == Some(&'\n') => {}
                    Some(',') => {
                        row.push((quoted || !value.is_empty()).then_some(value));
                        break;
                    }
                    Some(c) => {
                        assert!(!quoted, "text after a closing quote");
                        value.push(c);
                    }
                }
            }
        }
        rows
    }

    fn votable_str(table: &ResultTable, format: Format) -> String {
        String::from_utf8(render(table, format)).unwrap()
    }

    fn some(cells: &[&str]) -> Vec<Option<String>> {
        cells.iter().map(|c| Some((*c).to_owned())).collect()
    }

    fn header() -> Vec<Option<String>> {
        some(&[
            "id", "title", "code", "val", "created", "id_2", "small", "big", "f", "ID_3",
        ])
    }

    /// The sample as a reader gets it back; `binary` for what BINARY2 `char` and `unicodeChar`
    /// can carry.
    fn expected_rows(binary: bool) -> Vec<Vec<Option<String>>> {
        let mut second = vec![None; 10];
        second[1] = Some(
            if binary {
                "emoji ? ok"
            } else {
                "emoji 🙂 ok"
            }
            .to_owned(),
        );
        second[2] = Some(if binary { "?ngstr?m" } else { "Ångström" }.to_owned());
        vec![
            header(),
            some(&[
                "1",
                "Ångström",
                "a, \"q\"",
                "1.5",
                "2024-01-01T00:00:00",
                "10",
                "-3",
                "1099511627776",
                "0.25",
                "7",
            ]),
            second,
            vec![
                Some("3".into()),
                Some("x <&> y".into()),
                Some("tab\tline\nend".into()),
                None,
                Some("2024-02-29T12:30:00.5".into()),
                Some("-1".into()),
                Some("42".into()),
                Some("-5".into()),
                Some("3.0".into()),
                Some("0".into()),
            ],
        ]
    }

    #[test]
    fn tabledata_validates_lints_and_reads_back() {
        let dir = tempfile::tempdir().unwrap();
        for overflow in [false, true] {
            let path = save(
                dir.path(),
                "td.xml",
                &render(&sample(overflow), Format::TableData),
            );
            assert_valid(&path);
            assert_votlint_clean(&path);
            assert_eq!(stilts_rows(&path, "votable"), expected_rows(false));
        }
    }

    #[test]
    fn binary2_validates_lints_and_reads_back() {
        let dir = tempfile::tempdir().unwrap();
        for overflow in [false, true] {
            let path = save(
                dir.path(),
                "b2.xml",
                &render(&sample(overflow), Format::Binary2),
            );
            assert_valid(&path);
            assert_votlint_clean(&path);
            assert_eq!(stilts_rows(&path, "votable"), expected_rows(true));
        }
    }

    /// Enough rows that the stream is encoded in several blocks.
    #[test]
    fn long_binary2_stream_reads_back() {
        let rows = 20_000;
        let table = ResultTable {
            fields: vec![
                field("i", Datatype::Long),
                field("s", Datatype::UnicodeChar),
            ],
            rows: (0..rows)
                .map(|i| {
                    let s = if i % 3 == 0 {
                        Value::Null
                    } else {
                        text(&format!("ü{i}"))
                    };
                    vec![Value::Int(i), s]
                })
                .collect(),
            overflow: true,
        };
        let dir = tempfile::tempdir().unwrap();
        let path = save(dir.path(), "long.xml", &render(&table, Format::Binary2));
        let read = stilts_rows(&path, "votable");
        assert_eq!(read.len(), rows as usize + 1);
        for (i, row) in read[1..].iter().enumerate() {
            let s = (i % 3 != 0).then(|| format!("ü{i}"));
            assert_eq!(row, &vec![Some(i.to_string()), s]);
        }
    }

    #[test]
    fn votable_shape_status_infos_and_nulls() {
        for format in [Format::TableData, Format::Binary2] {
            let doc = votable_str(&sample(true), format);
            assert_eq!(doc.matches("<RESOURCE").count(), 1);
            assert!(doc.contains("<RESOURCE type=\"results\">\n<INFO name=\"QUERY_STATUS\" value=\"OK\"/>\n<INFO name=\"QUERY\" value=\"SELECT * FROM rr.resource WHERE a &lt; 'x&amp;y'\"/>\n<INFO name=\"request_date\" value=\"2024\"/>\n<TABLE>"));
            assert!(doc.ends_with("</TABLE>\n<INFO name=\"QUERY_STATUS\" value=\"OVERFLOW\"/>\n</RESOURCE>\n</VOTABLE>\n"));
            assert!(doc.contains(
                "<FIELD name=\"small\" datatype=\"short\"><VALUES null=\"-32768\"/></FIELD>"
            ));
            assert!(doc.contains("<FIELD name=\"created\" datatype=\"char\" arraysize=\"*\" xtype=\"timestamp\"><DESCRIPTION>"));
            let doc = votable_str(&sample(false), format);
            assert!(!doc.contains("OVERFLOW"));
            assert_eq!(doc.matches("QUERY_STATUS").count(), 1);
        }
        let td = votable_str(&sample(false), Format::TableData);
        assert!(td.contains("<TR><TD>-2147483648</TD><TD>emoji 🙂 ok</TD><TD>Ångström</TD><TD/><TD/><TD>-2147483648</TD><TD>-32768</TD><TD>-9223372036854775808</TD><TD/>"));
    }

    #[test]
    fn empty_and_metadata_only_tables_are_valid() {
        let dir = tempfile::tempdir().unwrap();
        for overflow in [false, true] {
            let mut table = sample(overflow);
            table.rows.clear();
            for format in [Format::TableData, Format::Binary2] {
                let path = save(dir.path(), "empty.xml", &render(&table, format));
                assert_valid(&path);
                assert_votlint_clean(&path);
                assert_eq!(stilts_rows(&path, "votable"), vec![header()]);
                let doc = std::fs::read_to_string(&path).unwrap();
                assert_eq!(doc.contains("value=\"OVERFLOW\"/>\n</RESOURCE>"), overflow);
            }
        }
        let no_columns = ResultTable::default();
        let path = save(
            dir.path(),
            "none.xml",
            &render(&no_columns, Format::TableData),
        );
        assert_valid(&path);
        assert!(!std::fs::read_to_string(&path).unwrap().contains("<TABLE"));
    }

    #[test]
    fn error_document_is_a_valid_votable_with_the_message() {
        let doc = error_document("unknown column \"x\" in <rr.resource> & \u{1} more");
        let dir = tempfile::tempdir().unwrap();
        let path = save(dir.path(), "error.xml", &doc);
        assert_valid(&path);
        assert_votlint_clean(&path);
        let doc = String::from_utf8(doc).unwrap();
        assert!(doc.contains("<RESOURCE type=\"results\">\n<INFO name=\"QUERY_STATUS\" value=\"ERROR\">unknown column \"x\" in &lt;rr.resource&gt; &amp; ? more</INFO>\n</RESOURCE>"));
        assert!(!doc.contains("<TABLE"));
    }

    /// The BINARY2 stream of one row, decoded by hand: null mask, then each cell.
    #[test]
    fn binary2_row_layout() {
        let mut fixed = field("fixed", Datatype::Char);
        fixed.arraysize = Some("3".into());
        let mut single = field("one", Datatype::Char);
        single.arraysize = None;
        let table = ResultTable {
            fields: vec![
                field("s", Datatype::Char),
                field("u", Datatype::UnicodeChar),
                field("i", Datatype::Short),
                field("d", Datatype::Double),
                field("f", Datatype::Float),
                field("n", Datatype::Long),
                fixed,
                single,
                field("t", Datatype::Int),
            ],
            rows: vec![vec![
                text("Å1"),
                text("é🙂"),
                Value::Int(258),
                Value::Null,
                Value::Real(0.5),
                text("abc"),
                text("ab"),
                text("xyz"),
                Value::Real(1e12),
            ]],
            overflow: false,
        };
        let doc = votable_str(&table, Format::Binary2);
        assert!(doc.contains("<FIELD name=\"fixed\" datatype=\"char\" arraysize=\"3\"/>"));
        assert!(doc.contains("<FIELD name=\"one\" datatype=\"char\"/>"));
        let start = doc.find("base64\">").unwrap() + 8;
        let end = doc.find("</STREAM>").unwrap();
        let b64: String = doc[start..end].split_whitespace().collect();
        let raw = base64::engine::general_purpose::STANDARD
            .decode(b64)
            .unwrap();
        let mut expected = vec![0b0001_0100, 0b1000_0000]; // d, n (unparsable text) and t NULL
        expected.extend([0, 0, 0, 2, b'?', b'1']);
        expected.extend([0, 0, 0, 2, 0x00, 0xe9, 0x00, b'?']);
        expected.extend(258i16.to_be_bytes());
        expected.extend(f64::NAN.to_be_bytes());
        expected.extend(0.5f32.to_be_bytes());
        expected.extend(i64::MIN.to_be_bytes());
        expected.extend([b'a', b'b', 0]);
        expected.extend([b'x']);
        expected.extend(i32::MIN.to_be_bytes());
        assert_eq!(raw, expected);
        let dir = tempfile::tempdir().unwrap();
        let path = save(dir.path(), "layout.xml", doc.as_bytes());
        assert_valid(&path);
        assert_votlint_clean(&path);
    }

    #[test]
    fn values_follow_the_column_type() {
        let table = ResultTable {
            fields: vec![
                field("n", Datatype::Long),
                field("s", Datatype::Short),
                field("d", Datatype::Double),
                field("c", Datatype::Char),
            ],
            rows: vec![
                vec![text("abc"), Value::Int(70000), text("2.5"), Value::Int(12)],
                vec![
                    text(" 17 "),
                    Value::Real(f64::INFINITY),
                    Value::Int(4),
                    Value::Real(0.5),
                ],
            ],
            overflow: false,
        };
        let td = votable_str(&table, Format::TableData);
        assert!(
            td.contains("<TR><TD>abc</TD><TD>-32768</TD><TD>2.5</TD><TD>12</TD></TR>"),
            "{td}"
        );
        assert!(
            td.contains("<TR><TD> 17 </TD><TD>-32768</TD><TD>4.0</TD><TD>0.5</TD></TR>"),
            "{td}"
        );
        let dir = tempfile::tempdir().unwrap();
        let path = save(dir.path(), "types.xml", &render(&table, Format::Binary2));
        let rows = stilts_rows(&path, "votable");
        assert_eq!(
            rows[1],
            vec![None, None, Some("2.5".into()), Some("12".into())]
        );
        assert_eq!(
            rows[2],
            vec![
                Some("17".into()),
                None,
                Some("4.0".into()),
                Some("0.5".into())
            ]
        );
        let json: serde_json::Value =
            serde_json::from_slice(&render(&table, Format::Json)).unwrap();
        assert_eq!(
            json["data"],
            serde_json::json!([[null, null, 2.5, "12"], [17, null, 4.0, "0.5"]])
        );
    }

    #[test]
    fn csv_is_rfc4180_and_reads_back() {
        let out = render(&sample(true), Format::Csv);
        let csv = String::from_utf8(out.clone()).unwrap();
        assert!(csv.starts_with("id,title,code,val,created,id_2,small,big,f,ID_3\r\n"));
        assert!(csv.contains("\r\n1,Ångström,\"a, \"\"q\"\"\",1.5,2024-01-01T00:00:00,"));
        assert!(csv.contains("\r\n,emoji 🙂 ok,Ångström,,,,,,,\r\n"));
        assert!(csv.contains("\"tab\tline\nend\""));
        let expected = expected_rows(false);
        assert_eq!(parse_csv(&csv), expected);
        let dir = tempfile::tempdir().unwrap();
        let path = save(dir.path(), "t.csv", &out);
        // STILTS reads CSV bytes as Latin-1: undo that to compare the UTF-8 text.
        let read: Vec<Vec<Option<String>>> = stilts_rows(&path, "csv")
            .into_iter()
            .map(|row| {
                row.into_iter()
                    .map(|c| c.map(|c| latin1_to_utf8(&c)))
                    .collect()
            })
            .collect();
        assert_eq!(read, expected);

        let table = ResultTable {
            fields: vec![field("a", Datatype::Char), field("b", Datatype::Double)],
            rows: vec![
                vec![text(""), Value::Real(f64::NEG_INFINITY)],
                vec![text(" x"), Value::Real(1e300)],
            ],
            overflow: false,
        };
        let csv = String::from_utf8(render(&table, Format::Csv)).unwrap();
        assert_eq!(csv, "a,b\r\n\"\",-Infinity\r\n\" x\",1e300\r\n");
    }

    fn latin1_to_utf8(s: &str) -> String {
        let bytes: Vec<u8> = s
            .chars()
            .map(|c| u8::try_from(u32::from(c)).unwrap())
            .collect();
        String::from_utf8(bytes).unwrap()
    }

    #[test]
    fn tsv_has_one_line_per_row() {
        let tsv = String::from_utf8(render(&sample(false), Format::Tsv)).unwrap();
        let lines: Vec<&str> = tsv.lines().collect();
        assert_eq!(lines.len(), 4);
        assert_eq!(
            lines[0],
            "id\ttitle\tcode\tval\tcreated\tid_2\tsmall\tbig\tf\tID_3"
        );
        assert_eq!(lines[2], "\temoji 🙂 ok\tÅngström\t\t\t\t\t\t\t");
        assert_eq!(
            lines[3],
            "3\tx <&> y\ttab line end\t\t2024-02-29T12:30:00.5\t-1\t42\t-5\t3.0\t0"
        );
        assert!(tsv.ends_with('\n') && !tsv.contains('\r'));
    }

    #[test]
    fn json_has_columns_typed_data_and_status() {
        for overflow in [false, true] {
            let json: serde_json::Value =
                serde_json::from_slice(&render(&sample(overflow), Format::Json)).unwrap();
            assert_eq!(
                json["queryStatus"],
                if overflow { "OVERFLOW" } else { "OK" }
            );
            let columns = json["columns"].as_array().unwrap();
            assert_eq!(columns.len(), 10);
            assert_eq!(columns[5]["name"], "id_2");
            assert_eq!(columns[4]["xtype"], "timestamp");
            assert_eq!(columns[4]["arraysize"], "*");
            assert_eq!(columns[8]["unit"], "deg");
            assert_eq!(columns[8]["datatype"], "float");
            assert_eq!(columns[0]["description"], serde_json::Value::Null);
            let data = json["data"].as_array().unwrap();
            assert_eq!(
                data[0],
                serde_json::json!([
                    1,
                    "Ångström",
                    "a, \"q\"",
                    1.5,
                    "2024-01-01T00:00:00",
                    10,
                    -3,
                    1_099_511_627_776_i64,
                    0.25,
                    7
                ])
            );
            assert_eq!(
                data[1],
                serde_json::json!([
                    null,
                    "emoji 🙂 ok",
                    "Ångström",
                    null,
                    null,
                    null,
                    null,
                    null,
                    null,
                    null
                ])
            );
            assert_eq!(data[2][0], 3);
            assert_eq!(data[2][3], serde_json::Value::Null);
            assert_eq!(data[2][6], 42);
        }
    }

    #[test]
    fn format_names_and_mime_types() {
        let ok = |v: &str, f: Format, mime: &str| {
            assert_eq!(Format::from_param(v), Some((f, mime.to_owned())), "{v}");
        };
        let votable = "application/x-votable+xml";
        for v in ["votable", "VOTable", "votable/td", "VOTABLETD"] {
            ok(v, Format::TableData, votable);
        }
        for v in ["votable/b2", "votableB2", "binary2"] {
            ok(v, Format::Binary2, votable);
        }
        ok("application/x-votable+xml", Format::TableData, votable);
        ok("Application/X-VOTable+XML", Format::TableData, votable);
        ok("text/xml", Format::TableData, "text/xml");
        let td = "application/x-votable+xml;serialization=TABLEDATA";
        ok(td, Format::TableData, td);
        ok(
            "application/x-votable+xml ; Serialization = tabledata",
            Format::TableData,
            td,
        );
        let b2 = "application/x-votable+xml;serialization=BINARY2";
        ok(b2, Format::Binary2, b2);
        ok(
            "application/x-votable+xml;serialization=binary2",
            Format::Binary2,
            b2,
        );
        ok(
            "text/xml;serialization=BINARY2",
            Format::Binary2,
            "text/xml;serialization=BINARY2",
        );
        for v in [
            "csv",
            "CSV",
            "text/csv",
            "text/csv;header=present",
            "text/csv; header=present",
        ] {
            ok(v, Format::Csv, "text/csv;header=present");
        }
        for v in ["tsv", "text/tab-separated-values"] {
            ok(v, Format::Tsv, "text/tab-separated-values");
        }
        for v in ["json", "application/json"] {
            ok(v, Format::Json, "application/json");
        }
        assert_eq!(
            Format::default_votable(),
            (Format::TableData, votable.to_owned())
        );
        for v in [
            "",
            "fits",
            "application/fits",
            "votable/fits",
            "application/x-votable+xml;serialization=BINARY",
            "application/x-votable+xml;serialization=FITS",
            "application/x-votable+xml;serialization",
            "text/csv;header=absent",
            "text/html",
            "votable;serialization=binary2",
            "csvx",
        ] {
            assert_eq!(Format::from_param(v), None, "{v}");
        }
    }

    #[test]
    fn duplicate_and_empty_names_become_unique() {
        let names = |ns: &[&str]| {
            let fields: Vec<Field> = ns.iter().map(|n| field(n, Datatype::Int)).collect();
            unique_names(&fields)
                .into_iter()
                .map(Cow::into_owned)
                .collect::<Vec<_>>()
        };
        assert_eq!(names(&["a", "b"]), ["a", "b"]);
        assert_eq!(names(&["a", "a", "a"]), ["a", "a_2", "a_3"]);
        assert_eq!(names(&["a", "a", "a_2"]), ["a", "a_3", "a_2"]);
        assert_eq!(names(&["ivoid", "IVOID"]), ["ivoid", "IVOID_2"]);
        assert_eq!(names(&["", "col1", " "]), ["col1_2", "col1", "col3"]);
    }

    #[test]
    fn escaping_keeps_xml_well_formed() {
        let esc = |s: &str, attr: bool| {
            let mut out = Vec::new();
            escape(&mut out, s, attr);
            String::from_utf8(out).unwrap()
        };
        assert_eq!(esc("a<b>&c\"", false), "a&lt;b&gt;&amp;c\"");
        assert_eq!(esc("a<b>&c\"", true), "a&lt;b&gt;&amp;c&quot;");
        assert_eq!(esc("t\tn\nr\r", false), "t\tn\nr&#13;");
        assert_eq!(esc("t\tn\nr\r", true), "t&#9;n&#10;r&#13;");
        assert_eq!(
            esc("\u{0}x\u{1b}\u{fffe}\u{ffff}\u{fffd}é🙂", false),
            "?x???\u{fffd}é🙂"
        );
    }
}
