//! Fuzzes the ADQL parser and translator: any text must parse or give an error with a position
//! inside the text (or just after it), and a parsed query must translate (or be refused) for
//! both backends, never panic, overflow the stack or hang.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    match orrery::ivoa::adql::parse(&text) {
        Err(e) => {
            let lines = text.matches('\n').count() + 1;
            assert!(e.line >= 1 && e.line <= lines, "{e} in {lines} lines");
            assert!(e.column >= 1);
        }
        Ok(q) => {
            use orrery::ivoa::adql::sql::{Dialect, to_sql};
            let _ = orrery::ivoa::adql::names::tables(&q);
            let _ = to_sql(&q, Dialect::Sqlite, Some(1000));
            let _ = to_sql(&q, Dialect::Postgres, None);
        }
    }
});
