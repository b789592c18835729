//! Sky coverage as a HEALPix MOC (IVOA MOC 2.0, orders 0 to 29), with the CDS `moc` crate
//! doing the geometry and the set operations.
//!
//! The ASCII serialisation is read by hand, so that a fault names its character position and
//! so that records read as real registries write them: cells separated by spaces, commas, tabs
//! or newlines, in any order, overlapping or repeated (the set is what counts). Circles and
//! polygons become MOCs at [`SHAPE_ORDER`], keeping every cell they touch, so that a search
//! never misses a region it overlaps.

use std::f64::consts::{FRAC_PI_2, FRAC_PI_4, PI};
use std::ops::Range;

use moc::elemset::range::MocRanges;
use moc::moc::range::{CellSelection, RangeMOC};
use moc::moc::{
    CellMOCIterator, CellOrCellRangeMOCIterator, RangeMOCIntoIterator, RangeMOCIterator,
};
use moc::qty::Hpx;

/// The deepest HEALPix order.
pub const MAX_ORDER: u8 = 29;

/// The order circles and polygons are turned into MOCs at: cells of about 3.4 arcmin, fine
/// enough for a registry's coverage, coarse enough to stay small.
pub const SHAPE_ORDER: u8 = 10;

/// A MOC over the sky.
#[derive(Debug, Clone, PartialEq)]
pub struct Sky(RangeMOC<u64, Hpx<u64>>);

/// Why a sky region was refused, and where in the text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct SkyError {
    pub message: String,
    /// The character position (0-based) of the fault in the text, when there is one.
    pub position: Option<usize>,
}

fn err(message: impl Into<String>, position: Option<usize>) -> SkyError {
    SkyError {
        message: message.into(),
        position,
    }
}

/// A cell `(order, index)` as one number: 4·4^order + index (the MOC "NUNIQ" encoding).
pub fn uniq(order: u8, cell: u64) -> i64 {
    ((4u64 << (2 * u32::from(order))) + cell) as i64
}

/// The order-29 cells `[lo, hi)` of a cell, as the signed integers databases store.
pub fn cell_span(order: u8, cell: u64) -> (i64, i64) {
    let r = span(order, cell, cell);
    (r.start as i64, r.end as i64)
}

/// The range of order-29 cells of `cell` at `order`.
fn span(order: u8, first: u64, last: u64) -> Range<u64> {
    let shift = 2 * u32::from(MAX_ORDER - order);
    (first << shift)..((last + 1) << shift)
}

impl Sky {
    fn from_ranges(depth: u8, ranges: Vec<Range<u64>>) -> Sky {
        Sky(RangeMOC::new(depth, MocRanges::new_from(ranges)))
    }

    /// Reads a MOC's ASCII serialisation: `order/cell cell-cell … order/…`, an order with no
    /// cells (`8/`) setting the MOC's depth.
    pub fn parse_ascii(text: &str) -> Result<Sky, SkyError> {
        let mut ranges: Vec<Range<u64>> = Vec::new();
        let mut order: Option<u8> = None;
        let mut depth: u8 = 0;
        let bytes = text.as_bytes();
        let mut i = 0;
        let sep = |b: u8| b == b' ' || b == b',' || b == b'\t' || b == b'\n' || b == b'\r';
        while i < bytes.len() {
            if sep(bytes[i]) {
                i += 1;
                continue;
            }
            let start = i;
            while i < bytes.len() && bytes[i].is_ascii_digit() {
                i += 1;
            }
            if start == i {
                return Err(err(
                    format!(
                        "{:?} is not part of a MOC: orders and cells are numbers",
                        text[start..].chars().next().unwrap_or(' ')
                    ),
                    Some(start),
                ));
            }
            let number: u64 = text[start..i]
                .parse()
                .map_err(|_| err("a number too large for a MOC", Some(start)))?;
            if i < bytes.len() && bytes[i] == b'/' {
                if number > u64::from(MAX_ORDER) {
                    return Err(err(
                        format!("order {number} is beyond {MAX_ORDER}"),
                        Some(start),
                    ));
                }
                let o = number as u8;
                order = Some(o);
                depth = depth.max(o);
                i += 1;
                continue;
            }
            let Some(o) = order else {
                return Err(err("a cell before any order (`order/cell …`)", Some(start)));
            };
            let mut last = number;
            if i < bytes.len() && bytes[i] == b'-' {
                i += 1;
                let s2 = i;
                while i < bytes.len() && bytes[i].is_ascii_digit() {
                    i += 1;
                }
                last = text[s2..i].parse().map_err(|_| {
                    err("a cell range needs its last cell (`first-last`)", Some(s2))
                })?;
                if last < number {
                    return Err(err(
                        format!("the range {number}-{last} ends before it starts"),
                        Some(start),
                    ));
                }
            }
            let cells = 12u64 << (2 * u32::from(o));
            if last >= cells {
                return Err(err(
                    format!("cell {last} does not exist at order {o} (it has {cells} cells)"),
                    Some(start),
                ));
            }
            ranges.push(span(o, number, last));
            if i < bytes.len() && !sep(bytes[i]) {
                return Err(err(
                    format!("{:?} after a cell", text[i..].chars().next().unwrap_or(' ')),
                    Some(i),
                ));
            }
        }
        if order.is_none() {
            return Err(err("an empty text is no MOC", Some(0)));
        }
        Ok(Sky::from_ranges(depth, ranges))
    }

    /// The MOC's ASCII serialisation (IVOA MOC 2.0), cells as ranges, the depth stated.
    pub fn to_ascii(&self) -> String {
        let mut sink = Vec::new();
        let written = (&self.0)
            .into_range_moc_iter()
            .cells()
            .cellranges()
            .to_ascii_ivoa(None, false, &mut sink);
        let mut text = match written {
            Ok(()) => String::from_utf8_lossy(&sink).trim().to_owned(),
            Err(_) => String::new(),
        };
        let depth = self.0.depth_max();
        if !text.contains(&format!("{depth}/")) {
            if !text.is_empty() {
                text.push(' ');
            }
            text.push_str(&format!("{depth}/"));
        }
        text
    }

    /// The cells within `radius` degrees of (`ra`, `dec`) (ICRS degrees), at `order`: every
    /// cell the cone touches. Computed here by refining the HEALPix tree (a cell wholly inside
    /// is kept whole, one that may cross the edge is split), since the `cdshealpix` cone
    /// coverage leaves out cells well inside some cones.
    pub fn cone(ra: f64, dec: f64, radius: f64, order: u8) -> Result<Sky, SkyError> {
        Sky::check_circle(ra, dec, radius)?;
        let order = order.min(MAX_ORDER - 2);
        let centre = unit(ra.to_radians(), dec.to_radians());
        let r = radius.to_radians();
        // Per order, the cosines that decide a cell from the angle between its centre and the
        // cone's: past `r + reach` it is out, within `r - reach` wholly in, where `reach` bounds
        // every cell's centre-to-vertex distance at that order anywhere on the sky, with a
        // margin for edges that bulge past the vertices. (Comparing cosines leaves one sine
        // and cosine pair per cell, for its centre.)
        let limits: Vec<(f64, f64)> = (0..=order)
            .map(|o| {
                let reach = reach(o) * 1.1;
                let out = if r + reach >= PI {
                    -2.0
                } else {
                    (r + reach).cos()
                };
                let whole = if r > reach { (r - reach).cos() } else { 2.0 };
                (out, whole)
            })
            .collect();
        let mut ranges: Vec<Range<u64>> = Vec::new();
        let mut todo: Vec<(u8, u64)> = (0..12).rev().map(|c| (0u8, c)).collect();
        while let Some((o, cell)) = todo.pop() {
            let (lon, lat) = cdshealpix::nested::center(o, cell);
            let c = unit(lon, lat);
            let cos = centre[0] * c[0] + centre[1] * c[1] + centre[2] * c[2];
            let (out, whole) = limits.get(o as usize).copied().unwrap_or((-2.0, 2.0));
            if cos < out {
                continue;
            }
            if cos >= whole || o == order {
                ranges.push(span(o, cell, cell));
            } else {
                for k in (0..4).rev() {
                    todo.push((o + 1, (cell << 2) | k));
                }
            }
        }
        if ranges.is_empty() {
            return Err(err("the region covers no cell of the sky", None));
        }
        Ok(Sky::from_ranges(order, ranges))
    }

    /// Whether a circle's centre and radius (ICRS degrees) can be a cone.
    pub fn check_circle(ra: f64, dec: f64, radius: f64) -> Result<(), SkyError> {
        check_point(ra, dec)?;
        if !(radius > 0.0 && radius <= 180.0) {
            return Err(err(
                format!("a radius is more than 0 and at most 180 degrees, not {radius}"),
                None,
            ));
        }
        Ok(())
    }

    /// The cells of a polygon of (ra, dec) vertices (ICRS degrees, at least three, not
    /// crossing itself), at `order`.
    pub fn polygon(vertices: &[(f64, f64)], order: u8) -> Result<Sky, SkyError> {
        if vertices.len() < 3 {
            return Err(err("a polygon has at least three vertices", None));
        }
        for (ra, dec) in vertices {
            check_point(*ra, *dec)?;
        }
        if self_crossing(vertices) {
            return Err(err("the polygon crosses itself", None));
        }
        let radians: Vec<(f64, f64)> = vertices
            .iter()
            .map(|(a, d)| (a.to_radians(), d.to_radians()))
            .collect();
        let order = order.min(MAX_ORDER);
        guarded(|| RangeMOC::from_polygon(&radians, false, order, CellSelection::All))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The MOC's depth (its deepest order).
    pub fn depth(&self) -> u8 {
        self.0.depth_max()
    }

    /// The sky fraction covered (0 to 1; the crate's `coverage_percentage` is a fraction).
    pub fn fraction(&self) -> f64 {
        self.0.coverage_percentage()
    }

    pub fn union(&self, other: &Sky) -> Sky {
        Sky(self.0.or(&other.0))
    }

    pub fn intersection(&self, other: &Sky) -> Sky {
        Sky(self.0.and(&other.0))
    }

    /// Whether the two share a cell.
    pub fn overlaps(&self, other: &Sky) -> bool {
        !self.0.and(&other.0).is_empty()
    }

    /// Whether every cell of `other` is one of this MOC's.
    pub fn covers(&self, other: &Sky) -> bool {
        // (The crate's `minus` is not used: it leaves cells of `other` out when the two MOCs
        // do not touch.)
        self.0.and(&other.0).moc_ranges() == other.0.moc_ranges()
    }

    /// Whether a point (ICRS degrees) is inside.
    pub fn contains_point(&self, ra: f64, dec: f64) -> bool {
        self.0.is_in(ra.to_radians(), dec.to_radians())
    }

    /// The MOC at a coarser order (each cell widened to the cell of `order` holding it).
    pub fn degraded(&self, order: u8) -> Sky {
        Sky(self.0.degraded(order.min(MAX_ORDER)))
    }

    /// The cells at `order` (at most order 3: 768 cells) the MOC touches.
    pub fn cells_at(&self, order: u8) -> Vec<u64> {
        let order = order.min(3);
        let shift = 2 * u32::from(MAX_ORDER - order);
        let mut out: Vec<u64> = Vec::new();
        for r in self.0.moc_ranges().iter() {
            let (first, last) = (r.start >> shift, (r.end - 1) >> shift);
            for c in first..=last {
                if out.last() != Some(&c) {
                    out.push(c);
                }
            }
        }
        out.dedup();
        out
    }

    /// The MOC's cells in the fewest cells that make it up (each range split into the largest
    /// aligned cells), as `(order, cell)` in order of their first order-29 cell.
    pub fn cells(&self) -> Vec<(u8, u64)> {
        let mut out = Vec::new();
        for r in self.0.moc_ranges().iter() {
            let (mut lo, hi) = (r.start, r.end);
            while lo < hi {
                // The largest cell starting at `lo` that ends within the range.
                let mut order = MAX_ORDER;
                while order > 0 {
                    let shift = 2 * u32::from(MAX_ORDER - order + 1);
                    let size = 1u64 << shift;
                    if lo % size != 0 || lo + size > hi {
                        break;
                    }
                    order -= 1;
                }
                let shift = 2 * u32::from(MAX_ORDER - order);
                out.push((order, lo >> shift));
                lo += 1u64 << shift;
            }
        }
        out
    }

    /// The cell of `order` holding a point (ICRS degrees), as a MOC.
    pub fn point(ra: f64, dec: f64, order: u8) -> Result<Sky, SkyError> {
        check_point(ra, dec)?;
        let order = order.min(MAX_ORDER);
        let cell = cdshealpix::nested::hash(order, ra.to_radians(), dec.to_radians());
        Ok(Sky::from_ranges(order, vec![span(order, cell, cell)]))
    }

    /// The MOC at the deepest order (at most `order`) whose cells number at most `cells`:
    /// a record's coverage as a registry stores it.
    pub fn bounded(&self, order: u8, cells: usize) -> Sky {
        let mut o = self.depth().min(order);
        loop {
            let m = if o < self.depth() {
                self.degraded(o)
            } else {
                self.clone()
            };
            if o == 0 || m.cells().len() <= cells {
                return m;
            }
            o -= 1;
        }
    }

    /// The order-29 ranges (half-open), sorted and disjoint.
    pub fn ranges(&self) -> Vec<Range<u64>> {
        self.0.moc_ranges().iter().cloned().collect()
    }
}

/// An upper bound of the distance (radians) from a cell's centre to its vertices at `order`,
/// anywhere on the sky: the largest of `cdshealpix`'s bounds over the polar caps and both
/// equatorial zones (computed once per order).
fn reach(order: u8) -> f64 {
    static REACH: std::sync::OnceLock<Vec<f64>> = std::sync::OnceLock::new();
    let table = REACH.get_or_init(|| {
        (0..=MAX_ORDER)
            .map(|o| {
                let mut most = 0.0f64;
                for lat in 0..=32 {
                    for lon in 0..=8 {
                        let lon = f64::from(lon) * FRAC_PI_4 / 8.0;
                        let lat = (f64::from(lat) * 0.05).min(FRAC_PI_2);
                        most = most.max(cdshealpix::largest_center_to_vertex_distance(o, lon, lat));
                    }
                }
                most
            })
            .collect()
    });
    table.get(order as usize).copied().unwrap_or(PI)
}

/// The unit vector of a direction (radians).
fn unit(lon: f64, lat: f64) -> [f64; 3] {
    [lat.cos() * lon.cos(), lat.cos() * lon.sin(), lat.sin()]
}

fn check_point(ra: f64, dec: f64) -> Result<(), SkyError> {
    if !(ra.is_finite() && (0.0..=360.0).contains(&ra)) {
        return Err(err(
            format!("a right ascension is 0 to 360 degrees, not {ra}"),
            None,
        ));
    }
    if !(dec.is_finite() && (-90.0..=90.0).contains(&dec)) {
        return Err(err(
            format!("a declination is -90 to 90 degrees, not {dec}"),
            None,
        ));
    }
    Ok(())
}

/// Runs a computation of the `moc` crate, which panics on input it cannot handle, as a
/// refusal.
fn guarded(
    f: impl FnOnce() -> RangeMOC<u64, Hpx<u64>> + std::panic::UnwindSafe,
) -> Result<Sky, SkyError> {
    match crate::panics::catch(f) {
        Ok(m) if m.is_empty() => Err(err("the region covers no cell of the sky", None)),
        // The crate builds a shape's ranges unchecked, in the order of its cell tree, which is
        // not always sorted nor merged: normalised here, or containment and set operations
        // (binary searches over the ranges) miss cells.
        Ok(m) => Ok(Sky::from_ranges(
            m.depth_max(),
            m.moc_ranges().iter().cloned().collect(),
        )),
        Err(why) => Err(err(format!("the region cannot be computed: {why}"), None)),
    }
}

/// Whether two non-adjacent edges of the polygon cross (in a plane projection about the
/// polygon's first vertex, enough for the small polygons of a search).
fn self_crossing(v: &[(f64, f64)]) -> bool {
    let (ra0, _) = v[0];
    let p: Vec<(f64, f64)> = v
        .iter()
        .map(|(ra, dec)| {
            let mut d = ra - ra0;
            if d > 180.0 {
                d -= 360.0;
            } else if d < -180.0 {
                d += 360.0;
            }
            (d * dec.to_radians().cos(), *dec)
        })
        .collect();
    let n = p.len();
    let cross = |a: (f64, f64), b: (f64, f64), c: (f64, f64)| {
        (b.0 - a.0) * (c.1 - a.1) - (b.1 - a.1) * (c.0 - a.0)
    };
    for i in 0..n {
        for j in i + 1..n {
            if j == i + 1 || (i == 0 && j == n - 1) {
                continue;
            }
            let (a, b) = (p[i], p[(i + 1) % n]);
            let (c, d) = (p[j], p[(j + 1) % n]);
            let (d1, d2) = (cross(a, b, c), cross(a, b, d));
            let (d3, d4) = (cross(c, d, a), cross(c, d, b));
            if d1 * d2 < 0.0 && d3 * d4 < 0.0 {
                return true;
            }
        }
    }
    false
}
