//! Time coverage as intervals of Modified Julian Date (days since 1858-11-17T00:00 UTC), as
//! RegTAP 1.2's `rr.stc_temporal` keeps them; an open end is infinite.

/// An interval of MJD, `start <= end`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TimeInterval {
    pub start: f64,
    pub end: f64,
}

/// Why a time was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct TimeError(pub String);

const UNIX_EPOCH_MJD: f64 = 40_587.0;

/// The MJD of an ISO 8601 date, date-time (UTC when no offset) or year.
pub fn mjd(iso: &str) -> Option<f64> {
    let t = iso.trim();
    if let Ok(dt) = chrono::DateTime::parse_from_rfc3339(t) {
        return Some(UNIX_EPOCH_MJD + dt.timestamp_millis() as f64 / 86_400_000.0);
    }
    if let Ok(dt) = chrono::NaiveDateTime::parse_from_str(t, "%Y-%m-%dT%H:%M:%S%.f") {
        return Some(UNIX_EPOCH_MJD + dt.and_utc().timestamp_millis() as f64 / 86_400_000.0);
    }
    let day = match t.len() {
        4 => chrono::NaiveDate::from_ymd_opt(t.parse().ok()?, 1, 1)?,
        7 => chrono::NaiveDate::parse_from_str(&format!("{t}-01"), "%Y-%m-%d").ok()?,
        _ => chrono::NaiveDate::parse_from_str(t, "%Y-%m-%d").ok()?,
    };
    Some(UNIX_EPOCH_MJD + day.and_hms_opt(0, 0, 0)?.and_utc().timestamp() as f64 / 86_400.0)
}

/// The end of the period an ISO value names (a year ends with its last day, a day at its
/// midnight), so that `2020/2021` covers both years whole.
fn mjd_end(iso: &str) -> Option<f64> {
    let t = iso.trim();
    let start = mjd(t)?;
    Some(match t.len() {
        4 => mjd(&format!("{}", t.parse::<i32>().ok()? + 1))?,
        7 => {
            let d = chrono::NaiveDate::parse_from_str(&format!("{t}-01"), "%Y-%m-%d").ok()?;
            let next = d.checked_add_months(chrono::Months::new(1))?;
            mjd(&next.format("%Y-%m-%d").to_string())?
        }
        10 => start + 1.0,
        _ => start,
    })
}

impl TimeInterval {
    /// An interval as a search or a document writes it: ISO `start/end` (either end `..` or
    /// empty for open), one ISO date or year (the period it names), or MJD numbers
    /// (`start end`, `start/end`, or one instant).
    pub fn parse(text: &str) -> Result<TimeInterval, TimeError> {
        let t = text.trim();
        if t.is_empty() {
            return Err(TimeError("an empty time".into()));
        }
        // Numbers are MJD, except a bare four-digit number: that is a year.
        let numbers: Vec<&str> = t.split([' ', '/', ',']).filter(|x| !x.is_empty()).collect();
        if numbers
            .iter()
            .all(|n| (n.contains('.') || n.len() != 4) && n.parse::<f64>().is_ok())
            && (1..=2).contains(&numbers.len())
        {
            let a: f64 = numbers[0].parse().unwrap_or(f64::NAN);
            let b: f64 = numbers.get(1).and_then(|x| x.parse().ok()).unwrap_or(a);
            return TimeInterval::new(a, b);
        }
        let (a, b) = match t.split_once('/') {
            Some((a, b)) => (a.trim(), b.trim()),
            None => (t, t),
        };
        let open = |x: &str| x.is_empty() || x == "..";
        let start = if open(a) {
            f64::NEG_INFINITY
        } else {
            mjd(a).ok_or_else(|| TimeError(format!("{a:?} is not an ISO 8601 date or time")))?
        };
        let end = if open(b) {
            f64::INFINITY
        } else {
            let bad = || TimeError(format!("{b:?} is not an ISO 8601 date or time"));
            // The end names a period that must not begin before the start.
            if mjd(b).ok_or_else(bad)? < start {
                return Err(TimeError(format!(
                    "the interval ends ({b}) before it starts ({a})"
                )));
            }
            mjd_end(b).ok_or_else(bad)?
        };
        TimeInterval::new(start, end)
    }

    pub fn new(start: f64, end: f64) -> Result<TimeInterval, TimeError> {
        if start.is_nan() || end.is_nan() {
            return Err(TimeError(
                "a time is a number of days (MJD) or an ISO 8601 date".into(),
            ));
        }
        if start > end {
            return Err(TimeError(format!(
                "the interval ends ({end}) before it starts ({start})"
            )));
        }
        Ok(TimeInterval { start, end })
    }

    pub fn overlaps(&self, other: &TimeInterval) -> bool {
        self.start <= other.end && other.start <= self.end
    }

    pub fn covers(&self, other: &TimeInterval) -> bool {
        self.start <= other.start && other.end <= self.end
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_as_mjd() {
        assert_eq!(mjd("1858-11-17"), Some(0.0));
        assert_eq!(mjd("2000-01-01T12:00:00Z"), Some(51_544.5));
        assert_eq!(mjd("2000"), Some(51_544.0));
        let y = TimeInterval::parse("2020/2021").unwrap();
        assert_eq!(
            (y.start, y.end),
            (mjd("2020").unwrap(), mjd("2022").unwrap())
        );
        let open = TimeInterval::parse("2023-07-01/..").unwrap();
        assert!(open.end.is_infinite());
        assert_eq!(TimeInterval::parse("51544 51545").unwrap().end, 51_545.0);
        assert!(TimeInterval::parse("2021/2020").is_err());
        assert!(TimeInterval::parse("soon").is_err());
    }
}
