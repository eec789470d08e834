//! Probe tokens: `ra-` and ten characters without look-alikes (`0/o`, `1/l/i`), unique per probe,
//! carried in the reply address (plus-addressing), the subject, the Message-ID and the text, so a
//! reply can be matched however much of it a mail client or helpdesk keeps.

use std::sync::LazyLock;

use regex::Regex;

/// The alphabet of the random part.
pub const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";

/// A token anywhere in a text.
pub static TOKEN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\bra-[a-hjkmnp-z2-9]{10}\b").expect("valid constant pattern")
});
