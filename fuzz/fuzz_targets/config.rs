//! Any text as a `reachaudit.toml`: parsed, checked, validated against the rules and filled into
//! the scan options.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    reachaudit::fuzzing::config(text);
});
