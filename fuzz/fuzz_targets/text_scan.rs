//! Any text as a page's text block: the phone-number scanner (candidate runs, inner readings,
//! figures that are not numbers, libphonenumber parsing for no region, DE, US and GB) and the
//! e-mail scanners (plain, written out, script-assembled, mailto:, data- attributes).

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    reachaudit::fuzzing::text(text);
});
