//! Content negotiation: which representation of an asset the `Accept` header asks for.

use axum::http::HeaderMap;
use oxigraph::io::{JsonLdProfileSet, RdfFormat};

/// The representations of an asset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Representation {
    Json,
    Html,
    Rdf(RdfFormat),
    /// The asset's VOResource record (IVOA registry XML).
    VoResource,
}

impl Representation {
    pub fn media_type(self) -> &'static str {
        match self {
            Representation::Json => "application/json",
            Representation::Html => "text/html; charset=utf-8",
            Representation::Rdf(RdfFormat::JsonLd { .. }) => "application/ld+json",
            Representation::Rdf(RdfFormat::Turtle) => "text/turtle; charset=utf-8",
            Representation::Rdf(RdfFormat::NTriples) => "application/n-triples",
            Representation::Rdf(RdfFormat::RdfXml) => "application/rdf+xml",
            Representation::Rdf(_) => "application/n-quads",
            Representation::VoResource => "application/xml",
        }
    }
}

const OFFERS: &[(&str, Representation)] = &[
    ("application/json", Representation::Json),
    (
        "application/ld+json",
        Representation::Rdf(RdfFormat::JsonLd {
            profile: JsonLdProfileSet::empty(),
        }),
    ),
    ("text/turtle", Representation::Rdf(RdfFormat::Turtle)),
    (
        "application/x-turtle",
        Representation::Rdf(RdfFormat::Turtle),
    ),
    (
        "application/n-triples",
        Representation::Rdf(RdfFormat::NTriples),
    ),
    (
        "application/rdf+xml",
        Representation::Rdf(RdfFormat::RdfXml),
    ),
    ("text/html", Representation::Html),
    ("application/xhtml+xml", Representation::Html),
    ("application/xml", Representation::VoResource),
    ("text/xml", Representation::VoResource),
];

/// Picks the best offer for an `Accept` header among `allowed` (the first allowed is the
/// default). Returns `None` when the client accepts none of them (406).
pub fn negotiate(headers: &HeaderMap, allowed: &[Representation]) -> Option<Representation> {
    let Some(accept) = headers
        .get(axum::http::header::ACCEPT)
        .and_then(|v| v.to_str().ok())
    else {
        return allowed.first().copied();
    };
    let mut best: Option<(f32, i64, Representation)> = None;
    for (order, range) in accept.split(',').enumerate() {
        let mut parts = range.split(';');
        let media = parts.next().unwrap_or("").trim().to_ascii_lowercase();
        let q = parts
            .filter_map(|p| p.trim().strip_prefix("q="))
            .find_map(|v| v.trim().parse::<f32>().ok())
            .unwrap_or(1.0);
        if q <= 0.0 {
            continue;
        }
        let candidate = if media == "*/*"
            || media == "application/*" && allowed.contains(&Representation::Json)
        {
            allowed.first().copied()
        } else {
            OFFERS
                .iter()
                .find(|(m, r)| *m == media && allowed.contains(r))
                .map(|(_, r)| *r)
        };
        if let Some(rep) = candidate {
            // Higher q wins; on a tie, a specific type beats a wildcard, then the earlier range.
            let specific: i64 = if media.ends_with("/*") { 0 } else { 1 };
            let rank = (q, specific * 100_000 - order as i64);
            if best.is_none_or(|(bq, bo, _)| (rank.0, rank.1) > (bq, bo)) {
                best = Some((rank.0, rank.1, rep));
            }
        }
    }
    best.map(|(_, _, r)| r)
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn pick(accept: &str) -> Option<Representation> {
        let mut h = HeaderMap::new();
        h.insert(
            axum::http::header::ACCEPT,
            HeaderValue::from_str(accept).unwrap(),
        );
        negotiate(
            &h,
            &[
                Representation::Json,
                Representation::Rdf(RdfFormat::Turtle),
                Representation::Html,
            ],
        )
    }

    #[test]
    fn picks_by_quality_and_specificity() {
        assert_eq!(
            pick("text/turtle"),
            Some(Representation::Rdf(RdfFormat::Turtle))
        );
        assert_eq!(
            pick("text/html,application/xhtml+xml,*/*;q=0.8"),
            Some(Representation::Html)
        );
        assert_eq!(pick("*/*"), Some(Representation::Json));
        assert_eq!(
            pick("text/turtle;q=0.5, application/json"),
            Some(Representation::Json)
        );
        assert_eq!(pick("image/png"), None);
        assert_eq!(pick("text/turtle;q=0"), None);
    }
}
