//! VOTable 1.4 answers: the results RESOURCE with its INFOs, the FIELDs, and the rows as
//! TABLEDATA or BINARY2; and the error document DALI asks for.

use std::io::{self, Write as _};

use base64::Engine as _;

use super::*;

const VOTABLE_OPEN: &[u8] = b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
<VOTABLE version=\"1.4\" xmlns=\"http://www.ivoa.net/xml/VOTable/v1.3\">\n\
<RESOURCE type=\"results\">\n";
const VOTABLE_CLOSE: &[u8] = b"</RESOURCE>\n</VOTABLE>\n";

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

pub(super) fn write_votable(
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

/// `s` escaped as XML text, or as a double-quoted attribute value when `attr`.
pub(super) fn escape(out: &mut Vec<u8>, s: &str, attr: bool) {
    let escaped = if attr {
        crate::escape::xml_attr(s)
    } else {
        crate::escape::xml_text(s)
    };
    out.extend_from_slice(escaped.as_bytes());
}
