//! Any bytes as a reply (an .eml): classified (person, auto-reply, out-of-office, ticket,
//! bounce, delay, challenge) and searched for a probe token.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    reachaudit::fuzzing::mail(data);
});
