//! Any bytes as a sitemap or sitemap index: parsed, and its entries classified as the crawl
//! frontier classifies links.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    reachaudit::fuzzing::sitemap(data);
});
