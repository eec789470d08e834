//! Any text as a rule file: parsed and validated as a vendor file, a compliance rule pack,
//! `scoring.toml`, `owners.toml` and `cues/voice.toml`.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    reachaudit::fuzzing::rules(text);
});
