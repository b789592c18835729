//! JSON answers: the columns with their metadata, the rows as arrays, the query status.

use std::io::{self, Write as _};

use serde::Serialize;

use super::*;

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

pub(super) fn write_json(out: &mut Vec<u8>, table: &ResultTable, cols: &[Col]) -> io::Result<()> {
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
