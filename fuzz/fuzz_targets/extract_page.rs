//! Any bytes as an HTML response body: decoded, flattened and parsed as the crawler does, then
//! read by every extractor (links, text, structured data, widgets, forms, signals).

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = reachaudit::fuzzing::page(data);
});
