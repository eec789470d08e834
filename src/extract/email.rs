//! E-mail addresses from `mailto:` links, checked for syntax and flagged when nobody reads them.

use percent_encoding::percent_decode_str;

/// The addresses of a `mailto:` URI (RFC 6068 allows several, comma-separated), lower case, in
/// order, invalid ones dropped.
#[must_use]
pub fn from_mailto(href: &str) -> Vec<String> {
    let rest = href.trim();
    let Some(rest) = rest
        .get(..7)
        .filter(|p| p.eq_ignore_ascii_case("mailto:"))
        .map(|_| &rest[7..])
    else {
        return Vec::new();
    };
    let to = rest.split('?').next().unwrap_or("");
    let to = percent_decode_str(to).decode_utf8_lossy();
    to.split(',')
        .map(|a| a.trim().to_lowercase())
        .filter(|a| is_valid(a))
        .collect()
}

/// A pragmatic address check: one `@`, a sane local part, and a domain of LDH labels with a dot.
#[must_use]
pub fn is_valid(address: &str) -> bool {
    let Some((local, domain)) = address.rsplit_once('@') else {
        return false;
    };
    let local_ok = !local.is_empty()
        && local.len() <= 64
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.contains("..")
        && local
            .chars()
            .all(|c| c.is_alphanumeric() || "!#$%&'*+/=?^_`{|}~.-".contains(c));
    let labels: Vec<&str> = domain.split('.').collect();
    let domain_ok = domain.len() <= 253
        && labels.len() >= 2
        && labels.iter().all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_alphanumeric() || c == '-')
        })
        && labels
            .last()
            .is_some_and(|tld| tld.chars().all(char::is_alphabetic) && tld.len() >= 2);
    local_ok && domain_ok
}

/// Whether the local part says nobody reads it.
#[must_use]
pub fn is_no_reply(address: &str, patterns: &[String]) -> bool {
    let local = address.split('@').next().unwrap_or("");
    patterns.iter().any(|p| local.contains(p.as_str()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mailto_forms() {
        assert_eq!(
            from_mailto("mailto:Service@Acme-Shop.de?subject=Frage"),
            ["service@acme-shop.de"]
        );
        assert_eq!(from_mailto("MAILTO:a@b.de,%20c@d.de"), ["a@b.de", "c@d.de"]);
        assert!(from_mailto("mailto:").is_empty());
        assert!(from_mailto("mailto:kein-at.de").is_empty());
        assert!(from_mailto("https://e.de").is_empty());
    }

    #[test]
    fn syntax_and_no_reply() {
        assert!(is_valid("info@müller-shop.de"));
        assert!(!is_valid("a@b"));
        assert!(!is_valid("a..b@c.de"));
        assert!(!is_valid("a@-b.de"));
        let patterns = vec!["noreply".to_owned(), "no-reply".to_owned()];
        assert!(is_no_reply("noreply@cloudnote.io", &patterns));
        assert!(!is_no_reply("support@noreply-gmbh.de", &patterns));
    }
}
