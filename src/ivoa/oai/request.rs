//! An OAI-PMH request checked as the protocol requires, before the catalogue is looked at:
//! verb, allowed, required and repeated arguments, dates and their granularity, formats, sets,
//! and the signed resumption tokens that carry a list's state.

use super::*;

/// What a list request asks for; carried in its resumption tokens.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ListState {
    pub(super) verb: String,
    pub(super) prefix: String,
    pub(super) from: String,
    pub(super) until: String,
    pub(super) at: u64,
    pub(super) after: Option<(String, String)>,
    pub(super) cursor: u64,
    pub(super) total: u64,
    pub(super) expires: i64,
}

type HmacSha256 = Hmac<Sha256>;

pub(super) fn sign(secret: &[u8], payload: &[u8]) -> Option<Vec<u8>> {
    let mut m = HmacSha256::new_from_slice(secret).ok()?;
    m.update(payload);
    Some(m.finalize().into_bytes().to_vec())
}

pub(super) fn encode_token(secret: &[u8], state: &ListState) -> String {
    let payload = serde_json::to_vec(state).unwrap_or_default();
    let mac = sign(secret, &payload).unwrap_or_default();
    format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(&payload),
        URL_SAFE_NO_PAD.encode(mac)
    )
}

pub(super) fn decode_token(secret: &[u8], token: &str) -> Result<ListState, OaiError> {
    let bad = || {
        err(
            "badResumptionToken",
            "the resumption token is not one this registry issued",
        )
    };
    let (p, m) = token.split_once('.').ok_or_else(bad)?;
    let payload = URL_SAFE_NO_PAD.decode(p).map_err(|_| bad())?;
    let mac = URL_SAFE_NO_PAD.decode(m).map_err(|_| bad())?;
    let mut check = HmacSha256::new_from_slice(secret).map_err(|_| bad())?;
    check.update(&payload);
    check.verify_slice(&mac).map_err(|_| bad())?;
    let state: ListState = serde_json::from_slice(&payload).map_err(|_| bad())?;
    if state.expires < chrono::Utc::now().timestamp() {
        return Err(err(
            "badResumptionToken",
            "the resumption token has expired",
        ));
    }
    Ok(state)
}

/// Parses an OAI-PMH date: `YYYY-MM-DD` (expanded to the start or end of the day) or
/// `YYYY-MM-DDThh:mm:ssZ`. Returns the stamp and whether it had day granularity.
pub(super) fn parse_date(name: &str, value: &str, end: bool) -> Result<(String, bool), OaiError> {
    if chrono::NaiveDate::parse_from_str(value, "%Y-%m-%d").is_ok() && value.len() == 10 {
        let time = if end { "23:59:59" } else { "00:00:00" };
        return Ok((format!("{value}T{time}Z"), true));
    }
    if value.len() == 20
        && chrono::NaiveDateTime::parse_from_str(value, "%Y-%m-%dT%H:%M:%SZ").is_ok()
    {
        return Ok((value.to_owned(), false));
    }
    Err(err(
        "badArgument",
        format!("{name}={value:?} is not a date of the form YYYY-MM-DD or YYYY-MM-DDThh:mm:ssZ"),
    ))
}

/// A well-formed OAI-PMH request.
#[derive(Debug)]
pub enum Request {
    Identify,
    ListMetadataFormats(Option<String>),
    ListSets,
    GetRecord { identifier: String, prefix: String },
    List { verb: &'static str, start: Start },
}

/// Where a list request starts.
#[derive(Debug)]
pub enum Start {
    /// A new list: format and datestamp range (inclusive, seconds).
    Fresh {
        prefix: String,
        from: String,
        until: String,
    },
    /// A resumption token's list.
    Resume(ListState),
}

/// Checks a request's arguments as OAI-PMH requires, without looking at the catalogue:
/// verb, allowed/required/repeated arguments, dates and their granularity, formats, sets and
/// resumption tokens (signed with `secret`).
pub fn parse(args: &[(String, String)], secret: &[u8]) -> Result<Request, OaiError> {
    let verbs: Vec<&str> = args
        .iter()
        .filter(|(k, _)| k == "verb")
        .map(|(_, v)| v.as_str())
        .collect();
    let verb = match verbs.as_slice() {
        [verb] => *verb,
        [] => return Err(err("badVerb", "the verb argument is missing")),
        _ => return Err(err("badVerb", "the verb argument is repeated")),
    };
    let allowed = arguments(verb)
        .ok_or_else(|| err("badVerb", format!("{verb:?} is not an OAI-PMH verb")))?;
    check_arguments(args, allowed)?;
    let arg = |k: &str| args.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    Ok(match verb {
        "Identify" => Request::Identify,
        "ListMetadataFormats" => Request::ListMetadataFormats(arg("identifier")),
        "ListSets" => {
            if arg("resumptionToken").is_some() {
                return Err(err(
                    "badResumptionToken",
                    "this registry issues no resumption tokens for sets",
                ));
            }
            Request::ListSets
        }
        "GetRecord" => {
            let prefix = arg("metadataPrefix").unwrap_or_default();
            check_prefix(&prefix)?;
            Request::GetRecord {
                identifier: arg("identifier").unwrap_or_default(),
                prefix,
            }
        }
        _ => {
            let verb = if verb == "ListRecords" {
                "ListRecords"
            } else {
                "ListIdentifiers"
            };
            let start = match arg("resumptionToken") {
                Some(token) => {
                    if args.len() != 2 {
                        return Err(err(
                            "badArgument",
                            "resumptionToken is an exclusive argument: give only verb with it",
                        ));
                    }
                    let state = decode_token(secret, &token)?;
                    if state.verb != verb {
                        return Err(err(
                            "badResumptionToken",
                            "this resumption token belongs to another verb",
                        ));
                    }
                    Start::Resume(state)
                }
                None => {
                    let prefix = arg("metadataPrefix").unwrap_or_default();
                    check_prefix(&prefix)?;
                    let from = arg("from")
                        .map(|f| parse_date("from", &f, false))
                        .transpose()?;
                    let until = arg("until")
                        .map(|u| parse_date("until", &u, true))
                        .transpose()?;
                    if let (Some((_, a)), Some((_, b))) = (&from, &until)
                        && a != b
                    {
                        return Err(err(
                            "badArgument",
                            "from and until have different granularities",
                        ));
                    }
                    let from = from.map_or_else(|| "0000-01-01T00:00:00Z".to_owned(), |f| f.0);
                    let until = until.map_or_else(|| "9999-12-31T23:59:59Z".to_owned(), |u| u.0);
                    if from > until {
                        return Err(err("badArgument", "from is later than until"));
                    }
                    if let Some(set) = arg("set")
                        && set != SET
                    {
                        return Err(err(
                            "noRecordsMatch",
                            format!("there is no set {set:?}; the set is {SET}"),
                        ));
                    }
                    Start::Fresh {
                        prefix,
                        from,
                        until,
                    }
                }
            };
            Request::List { verb, start }
        }
    })
}

/// The arguments each verb accepts (`verb` aside): required, optional.
fn arguments(verb: &str) -> Option<(&'static [&'static str], &'static [&'static str])> {
    Some(match verb {
        "Identify" => (&[], &[]),
        "ListMetadataFormats" => (&[], &["identifier"]),
        "ListSets" => (&[], &["resumptionToken"]),
        "GetRecord" => (&["identifier", "metadataPrefix"], &[]),
        "ListIdentifiers" | "ListRecords" => (
            &["metadataPrefix"],
            &["from", "until", "set", "resumptionToken"],
        ),
        _ => return None,
    })
}

pub(super) fn check_prefix(prefix: &str) -> Result<(), OaiError> {
    if matches!(prefix, "ivo_vor" | "oai_dc") {
        Ok(())
    } else {
        Err(err(
            "cannotDisseminateFormat",
            format!("metadataPrefix {prefix:?} is not offered: ivo_vor or oai_dc"),
        ))
    }
}

pub(super) fn check_arguments(
    args: &[(String, String)],
    (required, optional): (&[&str], &[&str]),
) -> Result<(), OaiError> {
    let mut seen = std::collections::HashSet::new();
    for (k, _) in args {
        if !seen.insert(k.as_str()) {
            return Err(err("badArgument", format!("the argument {k} is repeated")));
        }
        if k != "verb" && !required.contains(&k.as_str()) && !optional.contains(&k.as_str()) {
            return Err(err(
                "badArgument",
                format!("{k} is not an argument of this verb"),
            ));
        }
    }
    let exclusive = seen.contains("resumptionToken");
    for r in required {
        if !exclusive && !seen.contains(r) {
            return Err(err("badArgument", format!("the argument {r} is required")));
        }
    }
    Ok(())
}
