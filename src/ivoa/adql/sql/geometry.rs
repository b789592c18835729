//! ADQL's geometry over the RegTAP 1.2 spatial coverage: `CONTAINS` and `INTERSECTS` between
//! `rr.stc_spatial.coverage` and a constant region — `POINT`, `CIRCLE`, `POLYGON`, and the
//! `MOC(order, geometry)` / `MOC('ascii')` forms registry clients send (pyvo's `Spatial`).
//!
//! The constant region becomes a MOC here (through the coverage model), and the predicate
//! becomes plain SQL over the cell index `rr.stc_cell`, exact and the same on every backend:
//! a resource cell overlapping the region is either inside one of the region's order-29
//! ranges (found by the index on `lo`) or a strict ancestor of one of its cells (found by the
//! index on `uniq`), and the area the two share is known for each. The region overlaps a
//! resource when such a cell exists; the resource covers the region when the shared areas add
//! up to the region's area; the resource lies within the region when they add up to the
//! resource's own area. A bare `POINT` is the order-29 cell holding it; a bare `CIRCLE` or
//! `POLYGON` is taken at [`SHAPE_ORDER`](crate::model::coverage::sky::SHAPE_ORDER).

use std::collections::BTreeMap;

use super::*;
use crate::model::coverage::Sky;
use crate::model::coverage::sky::{MAX_ORDER, SHAPE_ORDER, cell_span as span, uniq};

/// How a resource's coverage must relate to the region.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Relation {
    Overlaps,
    /// The coverage holds every cell of the region.
    Covers,
    /// Every cell of the coverage is in the region.
    Enclosed,
}

fn bad(message: String) -> TranslateError {
    TranslateError::Geometry(message)
}

/// A constant number: a literal, negated or combined by arithmetic.
fn number(e: &Expr) -> Option<f64> {
    match e {
        Expr::Number(n) => n.parse().ok(),
        Expr::Negate(x) => number(x).map(|v| -v),
        Expr::Binary { op, left, right } => {
            let (a, b) = (number(left)?, number(right)?);
            match op {
                BinOp::Plus => Some(a + b),
                BinOp::Minus => Some(a - b),
                BinOp::Times => Some(a * b),
                BinOp::Divide => Some(a / b),
                _ => None,
            }
        }
        _ => None,
    }
}

/// The numbers of a geometry's arguments, after an optional coordinate system string (ADQL
/// 2.0's first argument), which must name ICRS if it names anything.
fn coordinates(name: &str, args: &[Expr]) -> Result<Vec<f64>, TranslateError> {
    let args = match args.first() {
        Some(Expr::Str(frame)) => {
            let f = frame.trim().to_ascii_uppercase();
            if !(f.is_empty() || f.starts_with("ICRS") || f == "J2000") {
                return Err(bad(format!(
                    "{name}: coordinates are ICRS here, not {frame:?}"
                )));
            }
            &args[1..]
        }
        _ => args,
    };
    args.iter()
        .enumerate()
        .map(|(i, a)| {
            number(a).ok_or_else(|| {
                bad(format!(
                    "{name}: argument {} is not a constant number",
                    i + 1
                ))
            })
        })
        .collect()
}

/// The region of a constant geometry at `order` (`None`: the geometry's own default), or
/// `None` when the expression is not a constant geometry.
fn region(e: &Expr, order: Option<u8>) -> Result<Option<Sky>, TranslateError> {
    let Expr::Function { name, args, .. } = e else {
        return Ok(None);
    };
    let lower = name.canonical().to_ascii_lowercase();
    let sky = |r: Result<Sky, crate::model::coverage::SkyError>, what: &str| {
        r.map_err(|e| bad(format!("{what}: {}", e.message)))
    };
    let region = match lower.as_str() {
        "moc" => match args.as_slice() {
            [Expr::Str(ascii)] => {
                let m = Sky::parse_ascii(ascii).map_err(|e| {
                    bad(match e.position {
                        Some(p) => format!("MOC('…'): {} (at character {})", e.message, p + 1),
                        None => format!("MOC('…'): {}", e.message),
                    })
                })?;
                match order {
                    Some(o) if o < m.depth() => m.degraded(o),
                    _ => m,
                }
            }
            [o, geometry] => {
                let o = number(o)
                    .filter(|o| o.fract() == 0.0 && (0.0..=f64::from(MAX_ORDER)).contains(o))
                    .ok_or_else(|| {
                        bad(format!(
                            "MOC(order, geometry): the order is an integer from 0 to {MAX_ORDER}"
                        ))
                    })? as u8;
                region(geometry, Some(o))?.ok_or_else(|| {
                    bad("MOC(order, geometry): the geometry is a constant POINT, CIRCLE, POLYGON or MOC".into())
                })?
            }
            _ => {
                return Err(TranslateError::Arity {
                    name: "MOC".into(),
                    expected: "1 (an ASCII MOC) or 2 (order, geometry)",
                    given: args.len(),
                });
            }
        },
        "point" => match coordinates("POINT", args)?.as_slice() {
            [ra, dec] => sky(Sky::point(*ra, *dec, order.unwrap_or(MAX_ORDER)), "POINT")?,
            other => {
                return Err(TranslateError::Arity {
                    name: "POINT".into(),
                    expected: "2 (ra, dec)",
                    given: other.len(),
                });
            }
        },
        "circle" => match coordinates("CIRCLE", args)?.as_slice() {
            [ra, dec, r] => sky(
                Sky::cone(*ra, *dec, *r, order.unwrap_or(SHAPE_ORDER)),
                "CIRCLE",
            )?,
            other => {
                return Err(TranslateError::Arity {
                    name: "CIRCLE".into(),
                    expected: "3 (ra, dec, radius)",
                    given: other.len(),
                });
            }
        },
        "polygon" => {
            let c = coordinates("POLYGON", args)?;
            if c.len() < 6 || c.len() % 2 != 0 {
                return Err(TranslateError::Arity {
                    name: "POLYGON".into(),
                    expected: "an even number, at least 6 (ra, dec of each vertex)",
                    given: c.len(),
                });
            }
            let vertices: Vec<(f64, f64)> = c.chunks(2).map(|p| (p[0], p[1])).collect();
            sky(
                Sky::polygon(&vertices, order.unwrap_or(SHAPE_ORDER)),
                "POLYGON",
            )?
        }
        _ => return Ok(None),
    };
    if region.is_empty() {
        return Err(bad(format!(
            "{}: the region is empty",
            lower.to_ascii_uppercase()
        )));
    }
    Ok(Some(region))
}

impl Translator {
    /// `CONTAINS(a, b)` (`a` inside `b`) or `INTERSECTS(a, b)` as 1 or 0.
    pub(super) fn spatial(&mut self, contains: bool, args: &[Expr]) -> R {
        let name = if contains { "CONTAINS" } else { "INTERSECTS" };
        let [a, b] = args else {
            return Err(TranslateError::Arity {
                name: name.into(),
                expected: "2",
                given: args.len(),
            });
        };
        let (ra, rb) = (region(a, None)?, region(b, None)?);
        if let (Some(x), Some(y)) = (&ra, &rb) {
            let yes = if contains { y.covers(x) } else { x.overlaps(y) };
            self.as_int(|t| {
                t.push(if yes { "1 = 1" } else { "1 = 0" });
                Ok(())
            })?;
            return Ok(());
        }
        let coverage = |e: &Expr| self.owner(e, "rr.stc_spatial", &["coverage"]);
        let (owner, region, relation) = match (ra, rb) {
            (Some(q), None) => match coverage(b) {
                Some(o) => (
                    o,
                    q,
                    if contains {
                        Relation::Covers
                    } else {
                        Relation::Overlaps
                    },
                ),
                None => return Err(unsupported(name)),
            },
            (None, Some(q)) => match coverage(a) {
                Some(o) => (
                    o,
                    q,
                    if contains {
                        Relation::Enclosed
                    } else {
                        Relation::Overlaps
                    },
                ),
                None => return Err(unsupported(name)),
            },
            _ => return Err(unsupported(name)),
        };
        let subquery = cell_query(&region, relation);
        self.as_int(|t| {
            let _ = write!(t.out, "{owner}.ivoid IN ({subquery})");
            Ok(())
        })
    }
}

fn unsupported(name: &str) -> TranslateError {
    TranslateError::Unsupported(format!(
        "{name} other than between rr.stc_spatial.coverage and a constant POINT, CIRCLE, \
         POLYGON or MOC"
    ))
}

/// The SQL listing the resources whose coverage stands in `relation` to `region`.
fn cell_query(region: &Sky, relation: Relation) -> String {
    let cells = region.cells();
    let area: i64 = region
        .ranges()
        .iter()
        .map(|r| (r.end - r.start) as i64)
        .sum();
    // The strict ancestors of the region's cells, each with the area of the region inside it.
    let mut ancestors: BTreeMap<i64, i64> = BTreeMap::new();
    for (order, cell) in &cells {
        let (lo, hi) = span(*order, *cell);
        for up in 0..*order {
            let parent = cell >> (2 * u32::from(order - up));
            *ancestors.entry(uniq(up, parent)).or_default() += hi - lo;
        }
    }
    let values = |pairs: &mut dyn Iterator<Item = (i64, i64)>| {
        let rows: Vec<String> = pairs.map(|(a, b)| format!("({a}, {b})")).collect();
        format!("(VALUES {})", rows.join(", "))
    };
    let ranges = values(
        &mut region
            .ranges()
            .into_iter()
            .map(|r| (r.start as i64, r.end as i64)),
    );
    let mut parts = format!(
        "SELECT c.ivoid AS ivoid, c.hi - c.lo AS part, c.total AS total \
         FROM rr.stc_cell AS c, {ranges} AS r \
         WHERE c.lo >= r.column1 AND c.lo < r.column2 AND c.hi <= r.column2"
    );
    if !ancestors.is_empty() {
        let up = values(&mut ancestors.into_iter());
        let _ = write!(
            parts,
            " UNION ALL SELECT c.ivoid, a.column2, c.total \
             FROM rr.stc_cell AS c, {up} AS a WHERE c.uniq = a.column1"
        );
    }
    match relation {
        Relation::Overlaps => format!("SELECT k.ivoid FROM ({parts}) AS k"),
        Relation::Covers => format!(
            "SELECT k.ivoid FROM ({parts}) AS k GROUP BY k.ivoid HAVING SUM(k.part) = {area}"
        ),
        Relation::Enclosed => format!(
            "SELECT k.ivoid FROM ({parts}) AS k GROUP BY k.ivoid \
             HAVING SUM(k.part) = MAX(k.total)"
        ),
    }
}
