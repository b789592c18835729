//! The capabilities a TAP service declares — `tr:TableAccess` (TAPRegExt 1.0) and the VOSI
//! endpoints — written by the one set of functions that both the service's /capabilities
//! document (`ivoa::vosi`) and its VOResource record (`tap_record`) call, so that the two can
//! never say different things.

use quick_xml::Writer;
use quick_xml::events::BytesText;

const NS_TR: &str = "http://www.ivoa.net/xml/TAPRegExt/v1.0";
/// The RegTAP data model a full registry's TAP service declares.
pub const REGTAP_UTYPE: &str = "ivo://ivoa.net/std/regtap#1.2";

const TAPREGEXT: &str = "ivo://ivoa.net/std/TAPRegExt";

/// What the capabilities say about the TAP service.
#[derive(Debug, Clone)]
pub struct TapInfo {
    /// TAP base URL, no trailing slash.
    pub base: String,
    /// Rows a query returns without MAXREC, and the most it may ask for.
    pub default_maxrec: u64,
    pub hard_maxrec: u64,
    /// Seconds an async job may run.
    pub execution_duration: u64,
    /// Seconds an async job is kept.
    pub retention: u64,
    /// The `rr` tables hold the whole VO registry: only then may the service declare the
    /// RegTAP data model (RegTAP 1.1 section 3).
    pub full_registry: bool,
    /// The `schema` elements of the tables the service serves, as its /tables document writes
    /// them (`ivoa::vosi::schemas`), for the tableset of the service's own record.
    pub schemas: std::sync::Arc<[u8]>,
}

pub type W<'w> = Writer<&'w mut Vec<u8>>;
pub type R = std::io::Result<()>;

pub fn text(w: &mut W, name: &str, value: &str) -> R {
    w.create_element(name)
        .write_text_content(BytesText::new(value))?;
    Ok(())
}

pub fn text_attr(w: &mut W, name: &str, attr: (&str, &str), value: &str) -> R {
    w.create_element(name)
        .with_attribute(attr)
        .write_text_content(BytesText::new(value))?;
    Ok(())
}

/// A `vs:ParamHTTP` interface with one access URL.
pub fn interface(w: &mut W, version: Option<&str>, url_use: &str, url: &str) -> R {
    let mut e = w
        .create_element("interface")
        .with_attribute(("xsi:type", "vs:ParamHTTP"))
        .with_attribute(("role", "std"));
    if let Some(v) = version {
        e = e.with_attribute(("version", v));
    }
    e.write_inner_content(|w| text_attr(w, "accessURL", ("use", url_use), url))?;
    Ok(())
}

/// The RegTAP user-defined functions: form (as taplint parses it) and meaning.
const UDFS: &[(&str, &str)] = &[
    (
        "ivo_hasword(haystack TEXT, needle TEXT) -> INTEGER",
        "1 if needle occurs as a word in haystack, compared case-insensitively, else 0. Words are bounded by non-letters or the ends of the string; a needle of several words matches when every word occurs.",
    ),
    (
        "ivo_hashlist_has(hashlist TEXT, item TEXT) -> INTEGER",
        "1 if item equals, case-insensitively, one of the #-separated words of hashlist, else 0. An item containing # gives an undefined result.",
    ),
    (
        "ivo_nocasematch(value TEXT, pattern TEXT) -> INTEGER",
        "1 if value matches the SQL LIKE pattern, compared case-insensitively, else 0.",
    ),
    (
        "ivo_string_agg(expr TEXT, delim TEXT) -> TEXT",
        "Aggregate: the non-NULL values of expr within the group joined by delim; the empty string for a group without values.",
    ),
    (
        "ivo_interval_overlaps(l1 DOUBLE, h1 DOUBLE, l2 DOUBLE, h2 DOUBLE) -> INTEGER",
        "1 if the intervals [l1, h1] and [l2, h2] overlap, touching ends included, else 0. Reversed bounds are swapped first.",
    ),
];

/// ADQL 2.1 optional features this service supports, by feature type (a TAPRegExt fragment,
/// or a whole URI). COALESCE is supported but not declared: `features-adql-conditional` is not
/// among the TAPRegExt 1.0 feature types, and validators of that version (taplint) reject it
/// as unknown. The geometry functions work on `rr.stc_spatial.coverage`; `MOC` is declared
/// under the extension type registry clients (pyvo's `Spatial`) look for before they send it.
const FEATURES: &[(&str, &[&str])] = &[
    ("#features-adql-sets", &["UNION", "EXCEPT", "INTERSECT"]),
    ("#features-adql-string", &["LOWER", "UPPER", "ILIKE"]),
    ("#features-adql-offset", &["OFFSET"]),
    ("#features-adql-common-table", &["WITH"]),
    ("#features-adql-type", &["CAST"]),
    (
        "#features-adqlgeo",
        &["POINT", "CIRCLE", "POLYGON", "CONTAINS", "INTERSECTS"],
    ),
    ("ivo://org.gavo.dc/std/exts#extra-adql-keywords", &["MOC"]),
];

/// Result formats: TAPRegExt id, MIME type, alias.
const OUTPUT_FORMATS: &[(Option<&str>, &str, &str)] = &[
    (
        Some("#output-votable-td"),
        "application/x-votable+xml;serialization=TABLEDATA",
        "votable",
    ),
    (
        Some("#output-votable-binary2"),
        "application/x-votable+xml;serialization=BINARY2",
        "votable/b2",
    ),
    (None, "text/csv;header=present", "csv"),
    (None, "text/tab-separated-values", "tsv"),
    (None, "application/json", "json"),
];

fn language(w: &mut W) -> R {
    w.create_element("language").write_inner_content(|w| {
        text(w, "name", "ADQL")?;
        text_attr(
            w,
            "version",
            ("ivo-id", "ivo://ivoa.net/std/ADQL#v2.0"),
            "2.0",
        )?;
        text_attr(
            w,
            "version",
            ("ivo-id", "ivo://ivoa.net/std/ADQL#v2.1"),
            "2.1",
        )?;
        text(
            w,
            "description",
            "The Astronomical Data Query Language, with the functions RegTAP defines.",
        )?;
        let udf_type = format!("{TAPREGEXT}#features-udf");
        w.create_element("languageFeatures")
            .with_attribute(("type", udf_type.as_str()))
            .write_inner_content(|w| {
                for (form, description) in UDFS {
                    w.create_element("feature").write_inner_content(|w| {
                        text(w, "form", form)?;
                        text(w, "description", description)
                    })?;
                }
                Ok(())
            })?;
        for (kind, forms) in FEATURES {
            let ty = match kind.strip_prefix('#') {
                Some(fragment) => format!("{TAPREGEXT}#{fragment}"),
                None => (*kind).to_owned(),
            };
            w.create_element("languageFeatures")
                .with_attribute(("type", ty.as_str()))
                .write_inner_content(|w| {
                    for form in *forms {
                        w.create_element("feature")
                            .write_inner_content(|w| text(w, "form", form))?;
                    }
                    Ok(())
                })?;
        }
        Ok(())
    })?;
    Ok(())
}

/// The `tr:TableAccess` capability (TAPRegExt 1.0 only), declaring its own `tr` namespace so
/// it can stand in a capabilities document and in a VOResource record alike.
pub fn write_tap_capability(w: &mut W, t: &TapInfo) -> R {
    w.create_element("capability")
        .with_attribute(("xmlns:tr", NS_TR))
        .with_attribute(("standardID", "ivo://ivoa.net/std/TAP"))
        .with_attribute(("xsi:type", "tr:TableAccess"))
        .write_inner_content(|w| {
            interface(w, Some("1.1"), "base", &t.base)?;
            if t.full_registry {
                text_attr(w, "dataModel", ("ivo-id", REGTAP_UTYPE), "Registry 1.2")?;
            }
            language(w)?;
            for (id, mime, alias) in OUTPUT_FORMATS {
                let mut e = w.create_element("outputFormat");
                let ivo_id = id.map(|f| format!("{TAPREGEXT}{f}"));
                if let Some(i) = &ivo_id {
                    e = e.with_attribute(("ivo-id", i.as_str()));
                }
                e.write_inner_content(|w| {
                    text(w, "mime", mime)?;
                    text(w, "alias", alias)
                })?;
            }
            w.create_element("retentionPeriod")
                .write_inner_content(|w| text(w, "default", &t.retention.to_string()))?;
            w.create_element("executionDuration")
                .write_inner_content(|w| text(w, "default", &t.execution_duration.to_string()))?;
            w.create_element("outputLimit").write_inner_content(|w| {
                text_attr(w, "default", ("unit", "row"), &t.default_maxrec.to_string())?;
                text_attr(w, "hard", ("unit", "row"), &t.hard_maxrec.to_string())
            })?;
            Ok(())
        })?;
    Ok(())
}

/// The VOSI capabilities (capabilities, availability, tables) under the TAP base.
pub fn write_vosi_capabilities(w: &mut W, t: &TapInfo) -> R {
    for (id, path, version) in [
        ("capabilities", "capabilities", None),
        ("availability", "availability", None),
        ("tables-1.1", "tables", Some("1.1")),
    ] {
        let standard_id = format!("ivo://ivoa.net/std/VOSI#{id}");
        let url = format!("{}/{path}", t.base);
        w.create_element("capability")
            .with_attribute(("standardID", standard_id.as_str()))
            .write_inner_content(|w| interface(w, version, "full", &url))?;
    }
    Ok(())
}
