//! Turning response bytes into text the way browsers do (WHATWG encoding sniffing, simplified):
//! byte-order mark, then the `Content-Type` charset, then a `<meta>` charset in the first 1024
//! bytes; without any of them, UTF-8 if the bytes are valid UTF-8, else windows-1252 — the legacy
//! default for German and English pages that declare nothing.

use encoding_rs::{Encoding, UTF_8, WINDOWS_1252};

/// How many leading bytes are searched for a `<meta>` charset (the HTML standard's prescan length).
const PRESCAN_BYTES: usize = 1024;

/// Decodes an HTML body; returns the text and the name of the encoding used.
#[must_use]
pub(crate) fn html(body: &[u8], content_type: Option<&str>) -> (String, &'static str) {
    let utf16 = |e: &'static Encoding| e == encoding_rs::UTF_16LE || e == encoding_rs::UTF_16BE;
    let encoding = Encoding::for_bom(body)
        .map(|(e, _)| e)
        .or_else(|| {
            // A header may declare UTF-16 for a body without a byte order mark; believe it when
            // the bytes look like it (every other byte zero for Latin text).
            content_type.and_then(charset_param).map(|e| {
                if utf16(e) && !looks_utf16(body) {
                    UTF_8
                } else {
                    e
                }
            })
        })
        .or_else(|| {
            // A page cannot really be UTF-16 if its meta tag was readable as ASCII.
            meta_charset(&body[..body.len().min(PRESCAN_BYTES)])
                .map(|e| if utf16(e) { UTF_8 } else { e })
        })
        .unwrap_or_else(|| {
            if std::str::from_utf8(body).is_ok() {
                UTF_8
            } else {
                WINDOWS_1252
            }
        });
    let (text, used, _had_errors) = encoding.decode(body);
    (text.into_owned(), used.name())
}

/// Whether the start of a body has the zero bytes of UTF-16 text (a quarter or more).
fn looks_utf16(body: &[u8]) -> bool {
    let head = &body[..body.len().min(PRESCAN_BYTES)];
    !head.is_empty() && head.iter().filter(|b| **b == 0).count() * 4 >= head.len()
}

fn charset_param(content_type: &str) -> Option<&'static Encoding> {
    content_type.split(';').skip(1).find_map(|param| {
        let (name, value) = param.split_once('=')?;
        name.trim()
            .eq_ignore_ascii_case("charset")
            .then(|| Encoding::for_label(value.trim().trim_matches(['"', '\'']).as_bytes()))
            .flatten()
    })
}

/// Finds `charset=` inside a `<meta ...>` tag.
fn meta_charset(head: &[u8]) -> Option<&'static Encoding> {
    let lower = head.to_ascii_lowercase();
    let mut from = 0;
    while let Some(pos) = find(&lower[from..], b"<meta") {
        let start = from + pos;
        let end = find(&lower[start..], b">").map_or(lower.len(), |e| start + e);
        let tag = &lower[start..end];
        if let Some(c) = find(tag, b"charset") {
            let rest = &tag[c + b"charset".len()..];
            let rest = rest
                .trim_ascii_start()
                .strip_prefix(b"=")?
                .trim_ascii_start();
            let rest = rest
                .strip_prefix(b"\"")
                .or_else(|| rest.strip_prefix(b"'"))
                .unwrap_or(rest);
            let label_end = rest
                .iter()
                .position(|b| matches!(b, b'"' | b'\'' | b';' | b' ' | b'/' | b'>'))
                .unwrap_or(rest.len());
            if let Some(e) = Encoding::for_label(&rest[..label_end]) {
                return Some(e);
            }
        }
        from = end;
    }
    None
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_beats_meta_and_meta_beats_sniffing() {
        let latin1 = b"<meta charset=\"utf-8\"><p>Gr\xfc\xdfe</p>";
        assert_eq!(
            html(latin1, Some("text/html; charset=ISO-8859-1")).0,
            "<meta charset=\"utf-8\"><p>Grüße</p>"
        );
        let meta = b"<meta http-equiv=\"Content-Type\" content=\"text/html; charset=iso-8859-1\"><p>M\xfcnchen</p>";
        assert!(html(meta, Some("text/html")).0.contains("München"));
    }

    #[test]
    fn undeclared_bytes_are_sniffed() {
        assert!(html("<p>Grüße</p>".as_bytes(), None).0.contains("Grüße"));
        assert!(
            html(b"<p>Gr\xfc\xdfe</p>", Some("text/html"))
                .0
                .contains("Grüße")
        );
        let (text, name) = html(
            b"\xef\xbb\xbf<p>x</p>",
            Some("text/html; charset=iso-8859-1"),
        );
        assert_eq!((text.as_str(), name), ("<p>x</p>", "UTF-8"));
    }
}
