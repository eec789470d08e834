//! E-mail addresses: from `mailto:` links, from text (including the ways sites hide addresses from
//! harvesters: `[at]`, `(punkt)`, split markup, reversed text, `data-` attributes, string
//! concatenation in inline scripts), checked for syntax and flagged when nobody reads them.
//!
//! Undoing obfuscation is deliberately limited to forms a reader can undo in their head or that
//! a page assembles for display: a script has to *build* an address from pieces for it to count,
//! so library code that merely contains an address-like string (error-tracker DSNs) is ignored.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::LazyLock;

use percent_encoding::percent_decode_str;
use regex::Regex;

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

/// A pragmatic address check: one `@`, a sane local part, and a domain of LDH labels with a dot
/// under a top-level domain that exists (the Public Suffix List's, or one reserved for examples,
/// tests and private networks). Text that only looks like an address — `x@y.ëÿrf` out of binary
/// garbage, `admin@nas.local` — is not one.
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
    local_ok && domain_ok && labels.last().is_some_and(|tld| known_tld(tld))
}

/// Top-level domains reserved for documentation and tests (RFC 2606), which example pages use,
/// and for private networks (`.internal`, ICANN 2024), which intranet pages use.
const RESERVED_TLDS: &[&str] = &["example", "test", "invalid", "internal"];

fn known_tld(tld: &str) -> bool {
    let tld = tld.to_lowercase();
    RESERVED_TLDS.contains(&tld.as_str())
        || psl::suffix(tld.as_bytes()).is_some_and(|s| s.is_known())
}

/// File names that look like addresses (`logo@2x.png`) have a file extension where a top-level
/// domain would be.
const FILE_EXTENSIONS: &[&str] = &[
    "png", "jpg", "jpeg", "gif", "webp", "svg", "avif", "ico", "js", "css", "map", "json", "pdf",
    "woff", "woff2", "ttf", "mp4", "webm",
];

static ADDRESS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"[\p{L}\p{N}._%+\-]+@[\p{L}\p{N}\-]+(?:\.[\p{L}\p{N}\-]+)*\.\p{L}{2,}")
        .expect("valid regex")
});

/// Valid addresses written plainly in `text`, lower case, in order.
#[must_use]
pub fn in_text(text: &str) -> Vec<String> {
    ADDRESS
        .find_iter(text)
        .map(|m| m.as_str().trim_matches(['.', '-', '_']).to_lowercase())
        .filter(|a| is_valid(a) && !is_file_name(a))
        .collect()
}

fn is_file_name(address: &str) -> bool {
    address
        .rsplit('.')
        .next()
        .is_some_and(|tld| FILE_EXTENSIONS.contains(&tld))
}

/// Undoes the written-out forms of `@` and `.`: `info [at] acme [dot] de`, `info(ät)acme(punkt)de`,
/// `info{at}acme[.]de`, `info<at>acme.de`, `info-at-acme.de`, and the bare `info at acme dot de`
/// in German, English, French, Spanish, Italian and Dutch (`contact chez acme point fr`,
/// `info arroba acme punto es`, `info chiocciola acme punto it`, `info apenstaartje acme punt nl`). Returns `None` when nothing was
/// undone, so callers can tell hidden addresses from plain ones.
#[must_use]
pub fn deobfuscate(text: &str) -> Option<String> {
    static BRACKETED_AT: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"(?i)\s*[\[\(\{<]\s*(?:at|ät|@|aet|a|chez|arroba|chiocciola|bei|apenstaartje)\s*[\]\)\}>]\s*")
            .expect("valid regex")
    });
    static BRACKETED_DOT: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"(?i)\s*[\[\(\{<]\s*(?:dot|punkt|\.|pkt|point|punto|punt|piste)\s*[\]\)\}>]\s*")
            .expect("valid regex")
    });
    // Bare words need an obfuscated dot as well ("info at acme dot de"): "write to us at
    // shop.acme.de" is English, not an address.
    static BARE: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(
            r"(?i)(?-u:\b)([\p{L}\p{N}._%+\-]+)\s+(?:at|ät|bei|chez|arroba|chiocciola|apenstaartje)\s+([\p{L}\p{N}\-]+(?:(?:\s+(?:dot|punkt|point|punto|punt)\s+|\.)[\p{L}\p{N}\-]+)*\s+(?:dot|punkt|point|punto|punt)\s+\p{L}{2,})(?-u:\b)",
        )
        .expect("valid regex")
    });
    static BARE_DOT: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"(?i)\s+(?:dot|punkt|point|punto|punt)\s+").expect("valid regex")
    });
    // "info-at-acme.de": the at written between hyphens.
    static DASHED_AT: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"(?i)([\p{L}\p{N}._%+]+)-(?:at|ät)-([\p{L}\p{N}\-]+\.\p{L}{2,})")
            .expect("valid regex")
    });
    let mut out: Cow<'_, str> = Cow::Borrowed(text);
    if BRACKETED_AT.is_match(&out) {
        out = Cow::Owned(BRACKETED_AT.replace_all(&out, "@").into_owned());
        out = Cow::Owned(BRACKETED_DOT.replace_all(&out, ".").into_owned());
    }
    if DASHED_AT.is_match(&out) {
        out = Cow::Owned(DASHED_AT.replace_all(&out, "$1@$2").into_owned());
    }
    if BARE.is_match(&out) {
        out = Cow::Owned(
            BARE.replace_all(&out, |caps: &regex::Captures<'_>| {
                format!("{}@{}", &caps[1], BARE_DOT.replace_all(&caps[2], "."))
            })
            .into_owned(),
        );
    }
    match out {
        Cow::Borrowed(_) => None,
        Cow::Owned(s) => Some(s),
    }
}

/// Addresses that `data-` attributes of one element spell out: a user and a domain in separate
/// attributes (`data-user="info" data-domain="acme.de"`), or a whole address, possibly written
/// out or reversed, in one.
#[must_use]
pub fn in_data_attributes<'a>(attrs: impl Iterator<Item = (&'a str, &'a str)>) -> Vec<String> {
    let mut user = None;
    let mut domain = None;
    let mut tld = None;
    let mut found = Vec::new();
    for (name, value) in attrs {
        let Some(key) = name.strip_prefix("data-") else {
            continue;
        };
        match key {
            "user" | "name" | "local" | "mailbox" | "account" | "u" | "mail-user"
            | "email-user" => {
                user = Some(value);
            }
            "domain" | "host" | "server" | "d" | "mail-domain" | "email-domain" => {
                domain = Some(value)
            }
            "tld" => tld = Some(value),
            _ => {
                let plain = deobfuscate(value).unwrap_or_else(|| value.to_owned());
                let mut hits = in_text(&plain);
                if hits.is_empty() {
                    hits = in_text(&plain.chars().rev().collect::<String>());
                }
                found.extend(hits);
            }
        }
    }
    if let (Some(user), Some(domain)) = (user, domain) {
        let address = match tld {
            Some(tld) => format!("{user}@{domain}.{}", tld.trim_start_matches('.')),
            None => format!("{user}@{domain}"),
        };
        let address = address.trim().to_lowercase();
        if is_valid(&address) {
            found.push(address);
        }
    }
    found
}

/// Addresses an inline script assembles for display: concatenated string literals and variables
/// (`'info' + '@' + domain`), `String.fromCharCode(…)`, and reversed strings
/// (`'ed.emca@ofni'.split('').reverse().join('')`).
#[must_use]
pub fn in_script(script: &str) -> Vec<String> {
    let tokens = tokenize(script);
    let mut vars: HashMap<&str, String> = HashMap::new();
    let mut built: Vec<String> = Vec::new();
    let mut i = 0;
    while i < tokens.len() {
        // `var|let|const NAME = <chain>` records the value; any other chain is evaluated as is.
        let assigns = matches!(tokens[i], Token::Ident("var" | "let" | "const"))
            && matches!(tokens.get(i + 1), Some(Token::Ident(_)))
            && matches!(tokens.get(i + 2), Some(Token::Other('=')));
        let (name, start) = match (assigns, &tokens.get(i + 1)) {
            (true, Some(Token::Ident(name))) => (Some(*name), i + 3),
            _ => (None, i),
        };
        if let Some((value, assembled, next)) = chain(&tokens, start, &vars) {
            if assembled {
                built.push(value.clone());
            }
            if let Some(name) = name {
                vars.insert(name, value);
            }
            i = next.max(i + 1);
        } else {
            i += 1;
        }
    }
    let mut found = Vec::new();
    for value in built {
        let decoded = decode_entities(&value);
        let plain = deobfuscate(&decoded).unwrap_or(decoded);
        found.extend(in_text(&plain));
    }
    found
}

#[derive(Debug, Clone, PartialEq)]
enum Token<'a> {
    Str(String),
    Ident(&'a str),
    Plus,
    Other(char),
}

fn tokenize(script: &str) -> Vec<Token<'_>> {
    let bytes = script.as_bytes();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        match c {
            b'\'' | b'"' | b'`' => {
                let mut value = String::new();
                let mut j = i + 1;
                while j < bytes.len() && bytes[j] != c {
                    if bytes[j] == b'\\' && j + 1 < bytes.len() {
                        j += 1;
                    }
                    // Only ASCII is rebuilt byte by byte; other characters are copied whole.
                    let ch = script[j..].chars().next().unwrap_or(' ');
                    value.push(ch);
                    j += ch.len_utf8();
                }
                tokens.push(Token::Str(value));
                i = j + 1;
            }
            b'+' => {
                tokens.push(Token::Plus);
                i += 1;
            }
            b'/' if bytes.get(i + 1) == Some(&b'/') => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                i = script[i + 2..]
                    .find("*/")
                    .map_or(bytes.len(), |e| i + 2 + e + 2);
            }
            c if c.is_ascii_alphabetic() || c == b'_' || c == b'$' => {
                let start = i;
                while i < bytes.len()
                    && (bytes[i].is_ascii_alphanumeric()
                        || bytes[i] == b'_'
                        || bytes[i] == b'$'
                        || bytes[i] == b'.')
                {
                    i += 1;
                }
                tokens.push(Token::Ident(&script[start..i]));
            }
            c if c.is_ascii_whitespace() => i += 1,
            _ => {
                let ch = script[i..].chars().next().unwrap_or(' ');
                tokens.push(Token::Other(ch));
                i += ch.len_utf8();
            }
        }
    }
    tokens
}

/// One term of a concatenation: a literal, a known variable, `String.fromCharCode(…)`, or a
/// literal reversed with `.split('').reverse().join('')`. Returns the value, the next index, and
/// whether the term was decoded (reversed, char codes) rather than written as is.
fn term(
    tokens: &[Token<'_>],
    i: usize,
    vars: &HashMap<&str, String>,
) -> Option<(String, usize, bool)> {
    match tokens.get(i)? {
        Token::Str(s) => {
            let reversed = matches!(tokens.get(i + 1), Some(Token::Other('.')))
                || matches!(tokens.get(i + 1), Some(Token::Ident(x)) if x.starts_with(".split"));
            if reversed {
                // `'…'.split('').reverse().join('')`: skip to the closing parenthesis of join.
                let rest = &tokens[i + 1..];
                let joins = rest
                    .iter()
                    .take(16)
                    .position(|t| matches!(t, Token::Ident(x) if x.contains("join")));
                if rest
                    .iter()
                    .take(16)
                    .any(|t| matches!(t, Token::Ident(x) if x.contains("reverse")))
                    && let Some(j) = joins
                {
                    let close = rest[j..]
                        .iter()
                        .position(|t| matches!(t, Token::Other(')')))?;
                    return Some((s.chars().rev().collect(), i + 1 + j + close + 1, true));
                }
            }
            Some((s.clone(), i + 1, false))
        }
        Token::Ident("String.fromCharCode") => {
            let mut j = i + 1;
            if tokens.get(j) != Some(&Token::Other('(')) {
                return None;
            }
            j += 1;
            let mut value = String::new();
            let mut digits = String::new();
            // Numbers arrive as Other tokens one character at a time.
            while let Some(t) = tokens.get(j) {
                match t {
                    Token::Other(')') => break,
                    Token::Other(',') => {
                        value.push(char::from_u32(digits.parse().ok()?)?);
                        digits.clear();
                    }
                    Token::Other(d) if d.is_ascii_digit() => digits.push(*d),
                    _ => return None,
                }
                j += 1;
            }
            if !digits.is_empty() {
                value.push(char::from_u32(digits.parse().ok()?)?);
            }
            Some((value, j + 1, true))
        }
        Token::Ident(name) => vars.get(name).map(|v| (v.clone(), i + 1, false)),
        _ => None,
    }
}

/// A chain `term (+ term)*`: the joined value, whether it was assembled (several terms or a
/// decoded one), and the next index.
fn chain(
    tokens: &[Token<'_>],
    start: usize,
    vars: &HashMap<&str, String>,
) -> Option<(String, bool, usize)> {
    let (mut value, mut i, mut assembled) = term(tokens, start, vars)?;
    while tokens.get(i) == Some(&Token::Plus) {
        let Some((next, after, _)) = term(tokens, i + 1, vars) else {
            break;
        };
        value.push_str(&next);
        assembled = true;
        i = after;
    }
    Some((value, assembled, i))
}

/// Decodes the numeric and `&commat;`/`&period;` entities that scripts write into HTML strings.
fn decode_entities(s: &str) -> String {
    static ENTITY: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"&#(x[0-9a-fA-F]+|[0-9]+);|&(commat|period|at|dot);").expect("valid regex")
    });
    ENTITY
        .replace_all(s, |caps: &regex::Captures<'_>| {
            if let Some(num) = caps.get(1) {
                let n = num.as_str();
                let code = if let Some(hex) = n.strip_prefix('x') {
                    u32::from_str_radix(hex, 16).ok()
                } else {
                    n.parse().ok()
                };
                code.and_then(char::from_u32)
                    .map(String::from)
                    .unwrap_or_default()
            } else {
                match &caps[2] {
                    "commat" | "at" => "@".to_owned(),
                    _ => ".".to_owned(),
                }
            }
        })
        .into_owned()
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
    fn plain_and_written_out_addresses_in_text() {
        assert_eq!(
            in_text("Schreiben Sie an Service@Acme-Shop.de."),
            ["service@acme-shop.de"]
        );
        assert!(in_text("logo@2x.png und icon@3x.webp").is_empty());
        for (text, want) in [
            ("info [at] acme [dot] de", "info@acme.de"),
            ("info(at)acme(punkt)de", "info@acme.de"),
            ("info (ät) acme.de", "info@acme.de"),
            ("info{at}acme[.]de", "info@acme.de"),
            ("kontakt AT acme DOT co DOT uk", "kontakt@acme.co.uk"),
            ("service [@] acme [.] at", "service@acme.at"),
        ] {
            let plain = deobfuscate(text).unwrap_or_else(|| panic!("{text}: nothing undone"));
            assert_eq!(in_text(&plain), [want], "{text}");
        }
        assert_eq!(deobfuscate("Schreiben Sie uns at any time"), None);
        assert!(
            deobfuscate("Visit us at shop.acme.de").is_none(),
            "a bare 'at' needs an obfuscated dot too"
        );
    }

    #[test]
    fn data_attributes_spell_addresses() {
        let attrs = [
            ("data-user", "info"),
            ("data-domain", "acme.de"),
            ("class", "x"),
        ];
        assert_eq!(in_data_attributes(attrs.into_iter()), ["info@acme.de"]);
        let reversed = [("data-contact", "ed.emca@ecivres")];
        assert_eq!(
            in_data_attributes(reversed.into_iter()),
            ["service@acme.de"]
        );
        let tld = [
            ("data-name", "hilfe"),
            ("data-domain", "acme"),
            ("data-tld", "at"),
        ];
        assert_eq!(in_data_attributes(tld.into_iter()), ["hilfe@acme.at"]);
    }

    #[test]
    fn scripts_that_assemble_addresses() {
        assert_eq!(
            in_script(
                "var u = 'kontakt'; var d = 'acme' + '.de'; document.write('<a href=\"mailto:' + u + '@' + d + '\">' + u + '@' + d + '</a>');"
            ),
            ["kontakt@acme.de", "kontakt@acme.de"]
        );
        assert_eq!(
            in_script("el.textContent = 'ed.emca@ofni'.split('').reverse().join('');"),
            ["info@acme.de"]
        );
        assert_eq!(
            in_script("x = String.fromCharCode(105,64,97,99,109,101,46,100,101);"),
            ["i@acme.de"]
        );
        assert_eq!(
            in_script("m = 'presse' + '&#64;' + 'acme.de';"),
            ["presse@acme.de"]
        );
        assert!(
            in_script("Sentry.init({dsn: 'https://abc123@o1.ingest.sentry.io/42'});").is_empty(),
            "a literal that is not assembled is library configuration, not a published address"
        );
        assert!(in_script("var a = 'x' + 'y'; // 'a@b.de'").is_empty());
    }

    #[test]
    fn syntax_and_no_reply() {
        assert!(is_valid("info@müller-shop.de"));
        assert!(is_valid("kontakt@пример.рф"));
        assert!(is_valid("hello@acme.shop"));
        assert!(is_valid("info@acme.example"));
        assert!(is_valid("it-hilfe@corp.internal"));
        // Top-level domains that do not exist: binary garbage read as Latin-1, home networks.
        assert!(!is_valid("áñ9@h.ëÿrf"));
        assert!(!is_valid("admin@nas.local"));
        assert!(!is_valid("root@build.lan"));
        assert!(!is_valid("a@b"));
        assert!(!is_valid("a..b@c.de"));
        assert!(!is_valid("a@-b.de"));
        let patterns = vec!["noreply".to_owned(), "no-reply".to_owned()];
        assert!(is_no_reply("noreply@cloudnote.io", &patterns));
        assert!(!is_no_reply("support@noreply-gmbh.de", &patterns));
    }

    #[test]
    fn written_out_forms_in_six_languages() {
        let undo = |t: &str| deobfuscate(t).map(|s| in_text(&s)).unwrap_or_default();
        assert_eq!(undo("Mail: info<at>acme.de"), ["info@acme.de"]);
        assert_eq!(undo("info-at-acme.de"), ["info@acme.de"]);
        assert_eq!(
            undo("contact chez boulangerie point fr"),
            ["contact@boulangerie.fr"]
        );
        assert_eq!(undo("info arroba clinica punto es"), ["info@clinica.es"]);
        assert_eq!(
            undo("info chiocciola trattoria punto it"),
            ["info@trattoria.it"]
        );
        assert_eq!(undo("info apenstaartje tulp punt nl"), ["info@tulp.nl"]);
        assert_eq!(
            undo("dpo at harrow-solicitors dot co dot uk"),
            ["dpo@harrow-solicitors.co.uk"]
        );
        assert!(deobfuscate("We are at home in Leeds.").is_none());
    }
}
