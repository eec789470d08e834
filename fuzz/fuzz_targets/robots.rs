//! Any bytes as a robots.txt answered with HTTP 200: parsed, asked about paths, Crawl-delay and
//! Sitemap lines.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    reachaudit::fuzzing::robots(data);
});
