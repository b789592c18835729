//! A VOResource record as RegTAP rows: one `rr.resource` row and the rows of every other `rr`
//! table, normalised as RegTAP 1.1 section 5 says (trimmed, empty as NULL, the listed columns
//! lower-cased, multi-valued items hash-joined, `xsi:type` values with their canonical prefix),
//! and the RegTAP 1.2 coverage rows.

pub mod coverage;
mod record;

use record::{El, parse};

/// A cell.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Text(String),
    Int(i64),
    Real(f64),
}

/// The rows of one record, by table, each in the column order of `schema::TABLES`.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Rows {
    pub tables: Vec<(&'static str, Vec<Vec<Value>>)>,
}

impl Rows {
    fn add(&mut self, table: &'static str, row: Vec<Value>) {
        match self.tables.iter_mut().find(|(t, _)| *t == table) {
            Some((_, rows)) => rows.push(row),
            None => self.tables.push((table, vec![row])),
        }
    }

    /// The rows of one table.
    pub fn of(&self, table: &str) -> &[Vec<Value>] {
        self.tables
            .iter()
            .find(|(t, _)| *t == table)
            .map_or(&[], |(_, r)| r.as_slice())
    }
}

/// Why a record has no rows.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RowsError {
    #[error("not well-formed XML: {0}")]
    Xml(String),
    #[error("not a VOResource record: {0}")]
    NotAResource(String),
}

/// Trimmed text, NULL when empty.
fn text(s: &str) -> Value {
    let t = s.trim();
    if t.is_empty() {
        Value::Null
    } else {
        Value::Text(t.to_owned())
    }
}

fn lower(v: Value) -> Value {
    match v {
        Value::Text(t) => Value::Text(t.to_lowercase()),
        other => other,
    }
}

fn opt(s: Option<&str>) -> Value {
    s.map_or(Value::Null, text)
}

/// Hash-joined values, NULL when there are none.
fn hash_list<'a>(items: impl Iterator<Item = &'a str>, lowercase: bool) -> Value {
    let parts: Vec<String> = items
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            if lowercase {
                s.to_lowercase()
            } else {
                s.to_owned()
            }
        })
        .collect();
    if parts.is_empty() {
        Value::Null
    } else {
        Value::Text(parts.join("#"))
    }
}

/// A VOResource datetime as RegTAP's `YYYY-MM-DDThh:mm:ss` (UTC).
fn timestamp(s: Option<&str>) -> Value {
    let Some(t) = s.map(str::trim).filter(|t| !t.is_empty()) else {
        return Value::Null;
    };
    if let Ok(d) = chrono::DateTime::parse_from_rfc3339(t) {
        return Value::Text(
            d.with_timezone(&chrono::Utc)
                .format("%Y-%m-%dT%H:%M:%S")
                .to_string(),
        );
    }
    let trimmed = t.trim_end_matches('Z');
    if let Ok(n) = chrono::NaiveDateTime::parse_from_str(trimmed, "%Y-%m-%dT%H:%M:%S%.f") {
        return Value::Text(n.format("%Y-%m-%dT%H:%M:%S").to_string());
    }
    if let Ok(d) = chrono::NaiveDate::parse_from_str(trimmed.get(..10).unwrap_or(""), "%Y-%m-%d") {
        return Value::Text(format!("{}T00:00:00", d.format("%Y-%m-%d")));
    }
    Value::Null
}

/// Deprecated relationship and date-role terms, replaced by what VOResource 1.1 uses instead.
fn use_instead(term: &str) -> String {
    let t = term.trim().to_lowercase();
    match t.as_str() {
        "mirror-of" => "ismirrorof".into(),
        "service-for" => "isservicefor".into(),
        "served-by" => "isservedby".into(),
        "derived-from" => "isderivedfrom".into(),
        "related-to" => "related".into(),
        "creation" => "created".into(),
        "update" | "modified" => "updated".into(),
        _ => t,
    }
}

/// The columns a parameter and a table column share: name, ucd, unit, utype, std, datatype,
/// extended_schema, extended_type, arraysize, delim.
fn typed_item(e: &El) -> Vec<Value> {
    let dt = e.first("dataType");
    vec![
        lower(e.child_text("name")),
        lower(e.child_text("ucd")),
        e.child_text("unit"),
        lower(e.child_text("utype")),
        e.attr("std").map_or(Value::Null, |s| {
            Value::Int(i64::from(s.trim() == "true" || s.trim() == "1"))
        }),
        dt.map_or(Value::Null, |d| lower(text(&d.text))),
        opt(dt.and_then(|d| d.attr("extendedSchema"))),
        opt(dt.and_then(|d| d.attr("extendedType"))),
        opt(dt.and_then(|d| d.attr("arraysize"))),
        opt(dt.and_then(|d| d.attr("delim"))),
    ]
}

/// The rows of one record.
pub fn rows(xml: &str) -> Result<Rows, RowsError> {
    let r = parse(xml)?;
    let ivoid = lower(r.child_text("identifier"));
    if ivoid == Value::Null {
        return Err(RowsError::NotAResource("it has no identifier".into()));
    }
    let mut out = Rows::default();
    let curation = r.first("curation").cloned().unwrap_or_default();
    let content = r.first("content").cloned().unwrap_or_default();
    let coverage = r.first("coverage").cloned().unwrap_or_default();
    let creators: Vec<String> = curation
        .all("creator")
        .filter_map(|c| c.first("name").map(|n| n.text.trim().to_owned()))
        .filter(|n| !n.is_empty())
        .collect();
    let rights = r.first("rights");
    let source = content.first("source");
    out.add(
        "resource",
        vec![
            ivoid.clone(),
            opt(r.xsi_type.as_deref()),
            timestamp(r.attr("created")),
            r.child_text("shortName"),
            r.child_text("title"),
            timestamp(r.attr("updated")),
            hash_list(content.all("contentLevel").map(|c| c.text.as_str()), true),
            content.child_text("description"),
            content.child_text("referenceURL"),
            if creators.is_empty() {
                Value::Null
            } else {
                Value::Text(creators.join("; "))
            },
            hash_list(content.all("type").map(|c| c.text.as_str()), true),
            lower(opt(source.and_then(|s| s.attr("format")))),
            source.map_or(Value::Null, |s| text(&s.text)),
            curation.child_text("version"),
            match coverage.child_text("regionOfRegard") {
                Value::Text(t) => t.parse::<f64>().map_or(Value::Null, Value::Real),
                _ => Value::Null,
            },
            hash_list(coverage.all("waveband").map(|c| c.text.as_str()), true),
            rights.map_or(Value::Null, |e| text(&e.text)),
            opt(rights.and_then(|e| e.attr("rightsURI"))),
        ],
    );
    roles(&mut out, &r, &ivoid, &curation, &content);
    details(&mut out, &r, &ivoid, &coverage);
    coverage::rows(&mut out, &ivoid, &coverage);
    capabilities(&mut out, &r, &ivoid);
    tables(&mut out, &r, &ivoid);
    Ok(out)
}

/// A `res_detail` row, unless its value is NULL.
fn detail(out: &mut Rows, ivoid: &Value, cap: Value, xpath: &str, value: Value) {
    if value != Value::Null {
        out.add(
            "res_detail",
            vec![ivoid.clone(), cap, Value::Text(xpath.into()), value],
        );
    }
}

/// The people and organisations of a record (`res_role`), its subjects, dates, relationships,
/// alternative identifiers and validation levels.
fn roles(out: &mut Rows, r: &El, ivoid: &Value, curation: &El, content: &El) {
    let role = |out: &mut Rows,
                name: Value,
                ivo: Option<&str>,
                address: Value,
                email: Value,
                phone: Value,
                logo: Value,
                base: &str| {
        out.add(
            "res_role",
            vec![
                ivoid.clone(),
                name,
                lower(opt(ivo)),
                address,
                email,
                phone,
                logo,
                Value::Text(base.into()),
            ],
        );
    };
    for c in curation.all("contact") {
        let name = c.first("name");
        role(
            out,
            name.map_or(Value::Null, |n| text(&n.text)),
            name.and_then(|n| n.attr("ivo-id")),
            c.child_text("address"),
            c.child_text("email"),
            c.child_text("telephone"),
            Value::Null,
            "contact",
        );
    }
    for p in curation.all("publisher") {
        role(
            out,
            text(&p.text),
            p.attr("ivo-id"),
            Value::Null,
            Value::Null,
            Value::Null,
            Value::Null,
            "publisher",
        );
    }
    for c in curation.all("creator") {
        let name = c.first("name");
        role(
            out,
            name.map_or(Value::Null, |n| text(&n.text)),
            name.and_then(|n| n.attr("ivo-id")),
            Value::Null,
            Value::Null,
            Value::Null,
            c.child_text("logo"),
            "creator",
        );
    }
    for c in curation.all("contributor") {
        role(
            out,
            text(&c.text),
            c.attr("ivo-id"),
            Value::Null,
            Value::Null,
            Value::Null,
            Value::Null,
            "contributor",
        );
    }
    for s in content.all("subject") {
        if let v @ Value::Text(_) = text(&s.text) {
            out.add("res_subject", vec![ivoid.clone(), v]);
        }
    }
    for d in curation.all("date") {
        out.add(
            "res_date",
            vec![
                ivoid.clone(),
                timestamp(Some(&d.text)),
                d.attr("role")
                    .map_or(Value::Text("representative".into()), |r| {
                        Value::Text(use_instead(r))
                    }),
            ],
        );
    }
    for rel in content.all("relationship") {
        let kind = rel
            .first("relationshipType")
            .map_or(Value::Null, |t| Value::Text(use_instead(&t.text)));
        for related in rel.all("relatedResource") {
            out.add(
                "relationship",
                vec![
                    ivoid.clone(),
                    kind.clone(),
                    lower(opt(related.attr("ivo-id"))),
                    text(&related.text),
                ],
            );
        }
    }
    let mut alt: Vec<&str> = r.all("altIdentifier").map(|a| a.text.trim()).collect();
    for c in curation.all("creator") {
        alt.extend(c.all("altIdentifier").map(|a| a.text.trim()));
    }
    for a in alt.into_iter().filter(|a| !a.is_empty()) {
        out.add("alt_identifier", vec![ivoid.clone(), Value::Text(a.into())]);
    }
    for v in r.all("validationLevel") {
        out.add(
            "validation",
            vec![
                ivoid.clone(),
                lower(opt(v.attr("validatedBy"))),
                v.text.trim().parse::<i64>().map_or(Value::Null, Value::Int),
                Value::Null,
            ],
        );
    }
}

/// The resource-level `res_detail` rows.
fn details(out: &mut Rows, r: &El, ivoid: &Value, coverage: &El) {
    let rights = r.first("rights");
    for (xpath, el) in [
        ("/managedAuthority", "managedAuthority"),
        ("/facility", "facility"),
        ("/instrument", "instrument"),
        ("/format", "format"),
        ("/full", "full"),
        ("/deprecated", "deprecated"),
        ("/endorsedVersion", "endorsedVersion"),
    ] {
        for e in r.all(el) {
            detail(out, ivoid, Value::Null, xpath, text(&e.text));
        }
    }
    for e in r.all("format") {
        detail(
            out,
            ivoid,
            Value::Null,
            "/format/@isMIMEType",
            opt(e.attr("isMIMEType")),
        );
    }
    if let Some(m) = r.first("managingOrg") {
        detail(out, ivoid, Value::Null, "/managingOrg", text(&m.text));
    }
    for e in r.all("instrument") {
        detail(
            out,
            ivoid,
            Value::Null,
            "/instrument/@ivo-id",
            opt(e.attr("ivo-id")),
        );
    }
    if r.xsi_type.as_deref() == Some("vs:datacollection") {
        for e in r.all("accessURL") {
            detail(out, ivoid, Value::Null, "/accessURL", text(&e.text));
        }
    }
    for e in coverage.all("footprint") {
        detail(
            out,
            ivoid,
            Value::Null,
            "/coverage/footprint",
            text(&e.text),
        );
        detail(
            out,
            ivoid,
            Value::Null,
            "/coverage/footprint/@ivo-id",
            opt(e.attr("ivo-id")),
        );
    }
    if let Some(rt) = rights {
        detail(out, ivoid, Value::Null, "/rights", text(&rt.text));
        detail(
            out,
            ivoid,
            Value::Null,
            "/rights/@rightsURI",
            opt(rt.attr("rightsURI")),
        );
    }
    for s in r.all("schema") {
        detail(
            out,
            ivoid,
            Value::Null,
            "/schema/@namespace",
            opt(s.attr("namespace")),
        );
    }
}

/// The capabilities, their interfaces and parameters, and their `res_detail` rows.
fn capabilities(out: &mut Rows, r: &El, ivoid: &Value) {
    let mut intf_index = 0i64;
    for (i, cap) in r.all("capability").enumerate() {
        let cap_index = Value::Int(i as i64 + 1);
        // The capability's res_detail pairs (xpath, value).
        let mut found: Vec<(String, Value)> = Vec::new();
        out.add(
            "capability",
            vec![
                ivoid.clone(),
                cap_index.clone(),
                opt(cap.xsi_type.as_deref()),
                cap.child_text("description"),
                lower(opt(cap.attr("standardID"))),
            ],
        );
        for intf in cap.all("interface") {
            intf_index += 1;
            let urls: Vec<&El> = intf.all("accessURL").collect();
            // RegTAP 1.2 sect. 8.6: 0 without a securityMethod or with one that has no
            // standardID (anonymous access is one of the methods), else 1.
            let mut methods = intf.all("securityMethod").peekable();
            let secured = methods.peek().is_some()
                && methods.all(|s| s.attr("standardID").is_some_and(|v| !v.trim().is_empty()));
            out.add(
                "interface",
                vec![
                    ivoid.clone(),
                    cap_index.clone(),
                    Value::Int(intf_index),
                    opt(intf.xsi_type.as_deref()),
                    lower(opt(intf.attr("role"))),
                    lower(opt(intf.attr("version"))),
                    hash_list(intf.all("queryType").map(|q| q.text.as_str()), true),
                    lower(intf.child_text("resultType")),
                    intf.child_text("wsdlURL"),
                    lower(opt(urls.first().and_then(|u| u.attr("use")))),
                    urls.first().map_or(Value::Null, |u| text(&u.text)),
                    hash_list(intf.all("mirrorURL").map(|m| m.text.as_str()), false),
                    Value::Int(i64::from(secured)),
                ],
            );
            for s in intf.all("securityMethod") {
                found.push((
                    "/capability/interface/securityMethod/@standardID".to_string(),
                    opt(s.attr("standardID")),
                ));
            }
            if let Some(q) = intf.first("testQueryString") {
                found.push((
                    "/capability/interface/testQueryString".to_string(),
                    text(&q.text),
                ));
            }
            for p in intf.all("param") {
                let mut row = vec![ivoid.clone(), Value::Int(intf_index)];
                row.extend(typed_item(p));
                row.push(lower(opt(p.attr("use"))));
                row.push(p.child_text("description"));
                out.add("intf_param", row);
            }
        }
        for v in cap.all("validationLevel") {
            out.add(
                "validation",
                vec![
                    ivoid.clone(),
                    lower(opt(v.attr("validatedBy"))),
                    v.text.trim().parse::<i64>().map_or(Value::Null, Value::Int),
                    cap_index.clone(),
                ],
            );
        }
        for (xpath, el) in [
            ("/capability/creationType", "creationType"),
            ("/capability/dataSource", "dataSource"),
            ("/capability/defaultMaxRecords", "defaultMaxRecords"),
            ("/capability/imageServiceType", "imageServiceType"),
            ("/capability/maxFileSize", "maxFileSize"),
            ("/capability/maxRecords", "maxRecords"),
            ("/capability/maxSearchRadius", "maxSearchRadius"),
            ("/capability/maxSR", "maxSR"),
            ("/capability/supportedFrame", "supportedFrame"),
            ("/capability/verbosity", "verbosity"),
            ("/capability/complianceLevel", "complianceLevel"),
            ("/capability/maxAperture", "maxAperture"),
        ] {
            for e in cap.all(el) {
                found.push((xpath.to_string(), text(&e.text)));
            }
        }
        // SIA's sizes: lat/long pairs, or (SIA 1.0's maxImageSize) one number.
        for (xpath, el) in [
            ("/capability/maxImageExtent", "maxImageExtent"),
            ("/capability/maxImageSize", "maxImageSize"),
            ("/capability/maxQueryRegionSize", "maxQueryRegionSize"),
        ] {
            for e in cap.all(el) {
                if e.children.is_empty() {
                    found.push((xpath.to_string(), text(&e.text)));
                }
                for axis in ["lat", "long"] {
                    if let Some(x) = e.first(axis) {
                        found.push((format!("{xpath}/{axis}"), text(&x.text)));
                    }
                }
            }
        }
        // The test queries of cone search, SIA and SSA: every leaf, by its path.
        for t in cap.all("testQuery") {
            leaves(t, "/capability/testQuery", &mut found);
        }
        for dm in cap.all("dataModel") {
            found.push(("/capability/dataModel".to_string(), text(&dm.text)));
            found.push((
                "/capability/dataModel/@ivo-id".to_string(),
                opt(dm.attr("ivo-id")),
            ));
        }
        for lang in cap.all("language") {
            found.push((
                "/capability/language/name".to_string(),
                lang.child_text("name"),
            ));
            for v in lang.all("version") {
                found.push((
                    "/capability/language/version/@ivo-id".to_string(),
                    opt(v.attr("ivo-id")),
                ));
            }
        }
        for f in cap.all("outputFormat") {
            found.push((
                "/capability/outputFormat/mime".to_string(),
                f.child_text("mime"),
            ));
            found.push((
                "/capability/outputFormat/@ivo-id".to_string(),
                opt(f.attr("ivo-id")),
            ));
            for a in f.all("alias") {
                found.push(("/capability/outputFormat/alias".to_string(), text(&a.text)));
            }
        }
        for u in cap.all("uploadMethod") {
            found.push((
                "/capability/uploadMethod/@ivo-id".to_string(),
                opt(u.attr("ivo-id")),
            ));
        }
        for (xpath, el) in [
            ("/capability/executionDuration", "executionDuration"),
            ("/capability/retentionPeriod", "retentionPeriod"),
            ("/capability/outputLimit", "outputLimit"),
            ("/capability/uploadLimit", "uploadLimit"),
        ] {
            for e in cap.all(el) {
                for which in ["default", "hard"] {
                    if let Some(x) = e.first(which) {
                        found.push((format!("{xpath}/{which}"), text(&x.text)));
                        if let Some(unit) = x.attr("unit") {
                            found.push((format!("{xpath}/{which}/@unit"), text(unit)));
                        }
                    }
                }
            }
        }
        for (xpath, value) in found {
            detail(out, ivoid, cap_index.clone(), &xpath, value);
        }
    }
}

/// The `(xpath, value)` of every element under `e` that has no children.
fn leaves(e: &El, xpath: &str, found: &mut Vec<(String, Value)>) {
    for c in &e.children {
        let path = format!("{xpath}/{}", c.name);
        if c.children.is_empty() {
            found.push((path, text(&c.text)));
        } else {
            leaves(c, &path, found);
        }
    }
}

/// The tables (in schemas of a tableset, or directly under the resource) and their columns.
fn tables(out: &mut Rows, r: &El, ivoid: &Value) {
    let mut table_index = 0i64;
    let mut table = |out: &mut Rows, t: &El, schema_index: Value| {
        table_index += 1;
        let ti = Value::Int(table_index);
        out.add(
            "res_table",
            vec![
                ivoid.clone(),
                schema_index,
                t.child_text("description"),
                t.child_text("name"),
                ti.clone(),
                t.child_text("title"),
                lower(opt(t.attr("type"))),
                lower(t.child_text("utype")),
            ],
        );
        for c in t.all("column") {
            let mut row = vec![ivoid.clone(), ti.clone()];
            row.extend(typed_item(c));
            row.push(opt(c.first("dataType").and_then(|d| d.xsi_type.as_deref())));
            row.push(hash_list(c.all("flag").map(|f| f.text.as_str()), true));
            row.push(c.child_text("description"));
            out.add("table_column", row);
        }
    };
    let tableset = r.first("tableset");
    let schemas: Vec<&El> = tableset
        .map(|ts| ts.all("schema").collect())
        .unwrap_or_default();
    for (i, s) in schemas.iter().enumerate() {
        let si = Value::Int(i as i64 + 1);
        out.add(
            "res_schema",
            vec![
                ivoid.clone(),
                si.clone(),
                s.child_text("description"),
                lower(s.child_text("name")),
                s.child_text("title"),
                lower(s.child_text("utype")),
            ],
        );
        for t in s.all("table") {
            table(out, t, si.clone());
        }
    }
    for t in r.all("table") {
        table(out, t, Value::Null);
    }
}
