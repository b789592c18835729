//! The parameters of a TAP or UWS request: the `(name, value)` pairs as the client sent them,
//! in order.
//!
//! TAP (and DALI, and UWS) names are case-insensitive while values are case-sensitive, so
//! lookups fold the name's case but keep both name and value as sent: a job echoes its
//! parameters exactly as it received them. Parameters that may appear only once are read with
//! [`Params::get`], which refuses two different values; repeatable ones (`UPLOAD`, the job
//! list's `PHASE`) with [`Params::all`].

/// A parameter given more than once where only one value is allowed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("parameter {0} is given more than once with different values")]
pub struct ParamError(pub String);

/// Request parameters, in the order sent.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Params {
    pairs: Vec<(String, String)>,
}

impl Params {
    pub fn new() -> Params {
        Params::default()
    }

    /// Appends one pair (after any of the same name).
    pub fn push(&mut self, name: impl Into<String>, value: impl Into<String>) {
        self.pairs.push((name.into(), value.into()));
    }

    /// The value of a single-valued parameter; the same value repeated counts once.
    pub fn get(&self, name: &str) -> Result<Option<&str>, ParamError> {
        let mut values = self
            .pairs
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str());
        let Some(first) = values.next() else {
            return Ok(None);
        };
        match values.find(|v| *v != first) {
            Some(_) => Err(ParamError(name.to_owned())),
            None => Ok(Some(first)),
        }
    }

    /// Every value given for a name, in order.
    pub fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.pairs
            .iter()
            .filter(move |(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Whether a name is given at all.
    pub fn contains(&self, name: &str) -> bool {
        self.all(name).next().is_some()
    }

    /// All pairs, in order, names as sent.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.pairs.iter().map(|(n, v)| (n.as_str(), v.as_str()))
    }

    pub fn len(&self) -> usize {
        self.pairs.len()
    }

    pub fn is_empty(&self) -> bool {
        self.pairs.is_empty()
    }

    /// Takes every pair of a name out, returning the values in order.
    pub fn remove(&mut self, name: &str) -> Vec<String> {
        let mut taken = Vec::new();
        self.pairs.retain(|(n, v)| {
            let hit = n.eq_ignore_ascii_case(name);
            if hit {
                taken.push(v.clone());
            }
            !hit
        });
        taken
    }

    /// Updates these parameters with newer ones (a UWS parameter update): every name in
    /// `newer` replaces all values of that name here, in the place of its first occurrence;
    /// names not here yet are appended.
    pub fn merge(&mut self, newer: Params) {
        let mut replaced: Vec<String> = Vec::new();
        for (name, value) in newer.pairs {
            if replaced.iter().any(|r| r.eq_ignore_ascii_case(&name)) {
                self.pairs.push((name, value));
                continue;
            }
            let first = self
                .pairs
                .iter()
                .position(|(n, _)| n.eq_ignore_ascii_case(&name));
            match first {
                Some(at) => {
                    let mut i = 0;
                    self.pairs.retain(|(n, _)| {
                        let keep = i <= at || !n.eq_ignore_ascii_case(&name);
                        i += 1;
                        keep
                    });
                    self.pairs[at] = (name.clone(), value);
                }
                None => self.pairs.push((name.clone(), value)),
            }
            replaced.push(name);
        }
    }
}

impl Extend<(String, String)> for Params {
    fn extend<T: IntoIterator<Item = (String, String)>>(&mut self, iter: T) {
        self.pairs.extend(iter);
    }
}

impl IntoIterator for Params {
    type Item = (String, String);
    type IntoIter = std::vec::IntoIter<(String, String)>;

    fn into_iter(self) -> Self::IntoIter {
        self.pairs.into_iter()
    }
}

impl FromIterator<(String, String)> for Params {
    fn from_iter<T: IntoIterator<Item = (String, String)>>(iter: T) -> Params {
        Params {
            pairs: iter.into_iter().collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(pairs: &[(&str, &str)]) -> Params {
        pairs
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn names_fold_case_values_do_not() {
        let p = params(&[("lang", "ADQL"), ("Query", "SELECT x FROM T")]);
        assert_eq!(p.get("LANG"), Ok(Some("ADQL")));
        assert_eq!(p.get("query"), Ok(Some("SELECT x FROM T")));
        assert_eq!(p.get("MAXREC"), Ok(None));
        assert!(p.contains("QUERY"));
        assert_ne!(p.get("LANG"), Ok(Some("adql")));
    }

    #[test]
    fn a_single_valued_parameter_given_twice_differently_is_an_error() {
        let p = params(&[("LANG", "ADQL"), ("lang", "SQL")]);
        let e = p.get("Lang").unwrap_err();
        assert!(e.to_string().contains("Lang"), "{e}");
        let same = params(&[("LANG", "ADQL"), ("lang", "ADQL")]);
        assert_eq!(same.get("LANG"), Ok(Some("ADQL")));
    }

    #[test]
    fn repeated_parameters_keep_their_order() {
        let p = params(&[("PHASE", "ERROR"), ("x", "1"), ("phase", "COMPLETED")]);
        assert_eq!(p.all("Phase").collect::<Vec<_>>(), ["ERROR", "COMPLETED"]);
        assert_eq!(
            p.iter().collect::<Vec<_>>(),
            [("PHASE", "ERROR"), ("x", "1"), ("phase", "COMPLETED")]
        );
    }

    #[test]
    fn merge_replaces_in_place_and_appends_new_names() {
        let mut p = params(&[
            ("REQUEST", "doQuery"),
            ("RUNID", "a"),
            ("LANG", "ADQL"),
            ("runid", "b"),
        ]);
        p.merge(params(&[("runId", "c"), ("MAXREC", "5")]));
        assert_eq!(
            p.iter().collect::<Vec<_>>(),
            [
                ("REQUEST", "doQuery"),
                ("runId", "c"),
                ("LANG", "ADQL"),
                ("MAXREC", "5")
            ]
        );
    }

    #[test]
    fn merge_keeps_every_new_value_of_a_repeated_name() {
        let mut p = params(&[("UPLOAD", "a,x"), ("LANG", "ADQL")]);
        p.merge(params(&[("UPLOAD", "b,y"), ("upload", "c,z")]));
        assert_eq!(p.all("UPLOAD").collect::<Vec<_>>(), ["b,y", "c,z"]);
        assert_eq!(p.get("LANG"), Ok(Some("ADQL")));
    }

    #[test]
    fn remove_takes_every_value() {
        let mut p = params(&[("PHASE", "RUN"), ("QUERY", "q"), ("phase", "RUN")]);
        assert_eq!(p.remove("Phase"), ["RUN", "RUN"]);
        assert_eq!(p.iter().collect::<Vec<_>>(), [("QUERY", "q")]);
    }
}
