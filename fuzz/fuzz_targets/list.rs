//! Any bytes as a `reachaudit batch` company list, read once as a CSV file and once as a text
//! file of URLs.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    reachaudit::fuzzing::list(data);
});
