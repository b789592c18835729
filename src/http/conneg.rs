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
    let offers: Vec<(&str, Representation)> = allowed
        .iter()
        .flat_map(|a| OFFERS.iter().filter(move |(_, r)| r == a).copied())
        .collect();
    let media: Vec<&str> = offers.iter().map(|(m, _)| *m).collect();
    best(headers, &media).map(|i| offers[i].1)
}

/// The index of the best of `offers` (media types without parameters, the first being the
/// default) for the request's `Accept` header; `None` when none is acceptable (406).
pub fn best(headers: &HeaderMap, offers: &[&str]) -> Option<usize> {
    let Some(accept) = headers
        .get(axum::http::header::ACCEPT)
        .and_then(|v| v.to_str().ok())
    else {
        return (!offers.is_empty()).then_some(0);
    };
    let mut best: Option<((f32, i64), usize)> = None;
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
        let candidate = if media == "*/*" {
            (!offers.is_empty()).then_some(0)
        } else if let Some(major) = media.strip_suffix("/*") {
            offers
                .iter()
                .position(|m| m.split('/').next() == Some(major))
        } else {
            offers.iter().position(|m| *m == media)
        };
        if let Some(i) = candidate {
            // Higher q wins; on a tie, a specific type beats a wildcard, then the earlier range.
            let specific: i64 = if media.ends_with("/*") { 0 } else { 1 };
            let rank = (q, specific * 100_000 - order as i64);
            if best.is_none_or(|(b, _)| rank > b) {
                best = Some((rank, i));
            }
        }
    }
    best.map(|(_, i)| i)
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
