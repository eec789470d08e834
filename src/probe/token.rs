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

/// A fresh token from the operating system's random source: 31^10 ≈ 8·10^14 values, so two
/// probes never share one and nobody can guess another auditor's.
///
/// # Errors
/// The operating system has no random source.
pub fn new_token() -> Result<String, getrandom::Error> {
    let mut token = String::from("ra-");
    while token.len() < 13 {
        let mut bytes = [0u8; 16];
        getrandom::fill(&mut bytes)?;
        // Rejection sampling: 248 = 8 · 31, so every letter is equally likely.
        for b in bytes.into_iter().filter(|b| *b < 248) {
            if token.len() < 13 {
                token.push(char::from(ALPHABET[usize::from(b % 31)]));
            }
        }
    }
    Ok(token)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fresh_tokens_match_the_pattern_and_differ() {
        let a = new_token().unwrap();
        let b = new_token().unwrap();
        assert_ne!(a, b);
        for t in [&a, &b] {
            assert_eq!(t.len(), 13);
            assert_eq!(TOKEN.find(t).map(|m| m.as_str()), Some(t.as_str()), "{t}");
        }
    }
}
