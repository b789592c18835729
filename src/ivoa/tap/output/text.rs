//! CSV (RFC 4180, CRLF, a header row) and TSV answers.

use std::io::{self, Write as _};

use super::*;

pub(super) fn write_csv(out: &mut Vec<u8>, table: &ResultTable, cols: &[Col]) -> io::Result<()> {
    let mut quoter = csv_core::WriterBuilder::new()
        .quote_style(csv_core::QuoteStyle::Always)
        .build();
    for (i, c) in cols.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        csv_text(&mut quoter, out, &c.name);
    }
    out.extend_from_slice(b"\r\n");
    for row in &table.rows {
        for (i, c) in cols.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            match cell(c.kind, row_value(row, i)) {
                Cell::Null => {}
                Cell::Text(s) => csv_text(&mut quoter, out, s),
                Cell::Int(v) => write!(out, "{v}")?,
                Cell::Real(r) => write_real(out, r, TEXT_INF, None)?,
            }
        }
        out.extend_from_slice(b"\r\n");
    }
    Ok(())
}

/// One CSV field, quoted when RFC 4180 needs it, when blanks at its ends would be lost, or when
/// empty (to tell the empty string from NULL); csv-core writes the quoted form.
fn csv_text(quoter: &mut csv_core::Writer, out: &mut Vec<u8>, s: &str) {
    let quote = s.is_empty()
        || s.starts_with([' ', '\t'])
        || s.ends_with([' ', '\t'])
        || s.bytes().any(|b| matches!(b, b',' | b'"' | b'\r' | b'\n'));
    if !quote {
        out.extend_from_slice(s.as_bytes());
        return;
    }
    // At worst every byte is a quote, doubled, with the two around the field.
    let start = out.len();
    out.resize(start + 2 * s.len() + 2, 0);
    let (_, _, written) = quoter.field(s.as_bytes(), &mut out[start..]);
    let (_, closed) = quoter.finish(&mut out[start + written..]);
    out.truncate(start + written + closed);
}

pub(super) fn write_tsv(out: &mut Vec<u8>, table: &ResultTable, cols: &[Col]) -> io::Result<()> {
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
