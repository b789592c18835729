//! The RegTAP 1.2 coverage rows of a record: its spatial MOC (`rr.stc_spatial`, at most
//! [`ORDER`], as RegTAP recommends and registry clients query at), its time intervals
//! (`rr.stc_temporal`, MJD) and energy intervals (`rr.stc_spectral`, J), and the cells of the
//! MOC for the index the geometry functions read (`rr.stc_cell`).
//!
//! A coverage element that cannot be read (a MOC that does not parse, a MOC in another frame
//! than ICRS, an interval that is not two numbers) gives no row; the record's other rows stay.

use super::record::El;
use super::{Rows, Value};
use crate::model::coverage::Sky;
use crate::model::coverage::sky::{cell_span as span, uniq};

/// The deepest order of the MOCs in `rr.stc_spatial`.
pub const ORDER: u8 = 6;

/// The MOC a record's `spatial` element states, as `rr.stc_spatial` holds it.
fn spatial(e: &El) -> Option<Sky> {
    let frame = e.attr("frame").map(str::trim).unwrap_or("ICRS");
    if !frame.eq_ignore_ascii_case("icrs") {
        return None;
    }
    let sky = Sky::parse_ascii(&e.text).ok()?;
    if sky.is_empty() {
        return None;
    }
    Some(if sky.depth() > ORDER {
        sky.degraded(ORDER)
    } else {
        sky
    })
}

/// The two numbers of a `vs:FloatInterval`, in increasing order.
fn interval(text: &str) -> Option<(f64, f64)> {
    let mut parts = text.split_whitespace().map(str::parse::<f64>);
    let (Some(Ok(a)), Some(Ok(b)), None) = (parts.next(), parts.next(), parts.next()) else {
        return None;
    };
    (a.is_finite() && b.is_finite()).then(|| (a.min(b), a.max(b)))
}

/// Adds the coverage rows of the record `ivoid` from its `coverage` element.
pub(super) fn rows(out: &mut Rows, ivoid: &Value, coverage: &El) {
    if let Some(sky) = coverage.first("spatial").and_then(spatial) {
        let cells = sky.cells();
        let total: i64 = cells
            .iter()
            .map(|(o, c)| {
                let (lo, hi) = span(*o, *c);
                hi - lo
            })
            .sum();
        out.add(
            "stc_spatial",
            vec![ivoid.clone(), Value::Text(sky.to_ascii()), Value::Null],
        );
        for (o, c) in cells {
            let (lo, hi) = span(o, c);
            out.add(
                "stc_cell",
                vec![
                    ivoid.clone(),
                    Value::Int(uniq(o, c)),
                    Value::Int(lo),
                    Value::Int(hi),
                    Value::Int(total),
                ],
            );
        }
    }
    for (element, table) in [("temporal", "stc_temporal"), ("spectral", "stc_spectral")] {
        for e in coverage.all(element) {
            if let Some((lo, hi)) = interval(&e.text) {
                out.add(table, vec![ivoid.clone(), Value::Real(lo), Value::Real(hi)]);
            }
        }
    }
}
