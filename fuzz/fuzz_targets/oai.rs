//! Fuzzes the OAI-PMH request parsing: any query string or form body must yield either a
//! well-formed request or an OAI-PMH error, never a panic; a resumption token must be refused
//! unless it was signed with the key.
#![no_main]

use libfuzzer_sys::fuzz_target;

const KEY: &[u8] = b"a fixed key that signs nothing the fuzzer can forge";

fuzz_target!(|data: &[u8]| {
    let args: Vec<(String, String)> = form_urlencoded::parse(data)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    match orrery::ivoa::oai::parse(&args, KEY) {
        Ok(orrery::ivoa::oai::Request::List {
            start: orrery::ivoa::oai::Start::Resume(_),
            ..
        }) => panic!("a resumption token the fuzzer made up was accepted"),
        Ok(_) => {}
        Err(e) => assert!(matches!(
            e.code,
            "badVerb" | "badArgument" | "badResumptionToken" | "cannotDisseminateFormat" | "noRecordsMatch"
        )),
    }
});
