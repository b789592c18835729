//! Fuzzes the ADQL parser: any text must parse or give an error with a position inside the
//! text (or just after it), never panic, overflow the stack or hang.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Err(e) = orrery::adql::parse(&text) {
        let lines = text.matches('\n').count() + 1;
        assert!(e.line >= 1 && e.line <= lines, "{e} in {lines} lines");
        assert!(e.column >= 1);
    }
});
