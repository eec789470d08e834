//! Phone numbers, validated and typed with libphonenumber's metadata (the `phonenumber` crate), so
//! that "0800" means toll-free in Germany and "0900" premium rate because the numbering plan says
//! so, not because of a hand-written prefix table.

use std::sync::LazyLock;

use phonenumber::{Mode as Format, PhoneNumber, Type, country, metadata::DATABASE};
use regex::Regex;

use crate::model::{PhoneInfo, PhoneType};

/// A valid number with its display form.
#[derive(Debug, Clone, PartialEq)]
pub struct Number {
    /// International display form, e.g. `+49 800 3301000`.
    pub display: String,
    /// E.164, type and region.
    pub info: PhoneInfo,
}

/// Parsed numbers by (text as written, region).
type ParseCache = std::collections::HashMap<(String, Option<String>), Option<Number>>;

/// Parses what a `tel:` URI or a page writes, with `region` (ISO 3166 alpha-2) for national
/// formats. Returns `None` for anything libphonenumber does not accept as a valid number.
#[must_use]
pub fn parse(raw: &str, region: Option<&str>) -> Option<Number> {
    // The same footer number is parsed on every page of a site, and libphonenumber's parser is
    // the costliest step of extraction: remember the answers (bounded, per thread).
    const CACHE_MAX: usize = 4096;
    thread_local! {
        static CACHE: std::cell::RefCell<ParseCache> = std::cell::RefCell::default();
    }
    let key = (raw.to_owned(), region.map(str::to_owned));
    if let Some(hit) = CACHE.with(|c| c.borrow().get(&key).cloned()) {
        return hit;
    }
    let parsed = parse_uncached(raw, region);
    CACHE.with(|c| {
        let mut cache = c.borrow_mut();
        if cache.len() >= CACHE_MAX {
            cache.clear();
        }
        cache.insert(key, parsed.clone());
    });
    parsed
}

fn parse_uncached(raw: &str, region: Option<&str>) -> Option<Number> {
    let cleaned = clean(&vanity_to_digits(raw));
    if cleaned.chars().filter(char::is_ascii_digit).count() < 5 {
        return None;
    }
    let id = region.and_then(|r| r.to_ascii_uppercase().parse::<country::Id>().ok());
    let number: PhoneNumber = phonenumber::parse(id, &cleaned).ok()?;
    if !phonenumber::is_valid(&number) {
        return None;
    }
    let kind = map_type(number.number_type(&DATABASE));
    Some(Number {
        display: number.format().mode(Format::International).to_string(),
        info: PhoneInfo {
            e164: number.format().mode(Format::E164).to_string(),
            kind,
            region: number.country().id().map(|id| id.as_ref().to_owned()),
        },
    })
}

/// Turns the letters of a vanity number (`1-800-FLOWERS`) into keypad digits. Done here rather
/// than by libphonenumber because a letter `X` would otherwise be read as "extension".
fn vanity_to_digits(raw: &str) -> std::borrow::Cow<'_, str> {
    let letters = raw.chars().filter(char::is_ascii_uppercase).count();
    let lower = raw.chars().filter(char::is_ascii_lowercase).count();
    if letters < 3 || lower > 0 {
        return raw.into();
    }
    raw.chars()
        .map(|c| match c {
            'A'..='C' => '2',
            'D'..='F' => '3',
            'G'..='I' => '4',
            'J'..='L' => '5',
            'M'..='O' => '6',
            'P'..='S' => '7',
            'T'..='V' => '8',
            'W'..='Z' => '9',
            other => other,
        })
        .collect::<String>()
        .into()
}

/// Removes what people write around numbers that libphonenumber would stumble over: the German
/// "(0)" trunk hint after a country code, slashes, and dots.
fn clean(raw: &str) -> String {
    let mut s = raw.trim().to_owned();
    if s.starts_with('+') || s.starts_with("00") {
        s = s.replace("(0)", "").replace("( 0 )", "").replace("[0]", "");
    }
    s.chars()
        .map(|c| {
            if matches!(c, '/' | '.' | '\u{a0}' | '\u{2011}' | '\u{2013}') {
                ' '
            } else {
                c
            }
        })
        .collect()
}

/// A phone-number-shaped run of text: digits with the separators people use between them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Candidate {
    /// Byte range in the text.
    pub start: usize,
    /// Byte range end.
    pub end: usize,
}

/// Runs in `text` that could be phone numbers. What they are is decided by [`accept`] with the
/// label and the surrounding text.
pub(crate) fn candidates(text: &str) -> Vec<Candidate> {
    static RUN: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(
            r"(?-u:\b)1[\s.\-]?\(?8[0-9]{2}\)?[\s.\-]?[A-Z0-9]{2,4}[\s.\-]?[A-Z0-9]{2,5}(?-u:\b)|(?:\+\s?|(?-u:\b)00\s?)?\(?\d(?:[ \u{a0}./\-–()]{0,3}\d)+",
        )
        .expect("valid regex")
    });
    RUN.find_iter(text)
        .map(|m| {
            let run = m.as_str();
            // An unclosed "(" starts what follows the number: "0800 1234 (0,14 €/Min.)".
            let end = match run.rfind('(') {
                Some(open) if open > 0 && !run[open..].contains(')') => {
                    m.start() + run[..open].trim_end_matches([' ', '\u{a0}']).len()
                }
                _ => m.end(),
            };
            Candidate {
                start: m.start(),
                end,
            }
        })
        .collect()
}

/// Parses a run, or the run without its last group or two of digits: a run can swallow the start
/// of what follows (`01805 123456 (0,14 €/Min.)` reads `01805 123456 (0`). Returns the number and
/// the length of the text it used.
pub(crate) fn parse_run(run: &str, region: Option<&str>) -> Option<(Number, usize)> {
    let mut end = run.len();
    for _ in 0..3 {
        let part = run[..end].trim_end_matches(|c: char| !c.is_ascii_alphanumeric());
        if part.chars().filter(char::is_ascii_alphanumeric).count() < 6 {
            return None;
        }
        if let Some(number) = parse(part, region) {
            return Some((number, part.len()));
        }
        // Drop the last group: everything after the last separator.
        end = part.rfind(|c: char| !c.is_ascii_alphanumeric())?;
    }
    None
}

/// Why a run of digits is not a phone number, judged from its own shape and its neighbours.
pub(crate) fn looks_like_other_figure(text: &str, c: &Candidate) -> bool {
    static DATE: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"^\d{1,2}\.\s?\d{1,2}\.\s?(?:\d{2}|\d{4})$|^\d{4}-\d{2}-\d{2}$|^\d{1,2}/\d{1,2}/\d{2,4}$")
            .expect("valid regex")
    });
    static GROUPED: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"^\d{1,3}(?:[.,']\d{3})+$").expect("valid regex"));
    static TIMES: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"\d{1,2}[.:]\d{2}\s*[-–]\s*\d{1,2}[.:]\d{2}|^\d{1,2}\s*[-–]\s*\d{1,2}$")
            .expect("valid regex")
    });
    let run = &text[c.start..c.end];
    if DATE.is_match(run) || GROUPED.is_match(run) || TIMES.is_match(run) {
        return true;
    }
    let before = text[..c.start].trim_end();
    let after = text[c.end..].trim_start();
    // Glued to letters or digits: IBAN (DE89…), VAT id (DE123…), article numbers (A-1234), versions (v2.1).
    let mut back = text[..c.start].chars().rev();
    let glued_before = match back.next() {
        Some(ch) if ch.is_alphanumeric() || ch == '_' => true,
        // "A-0800…", "Nr/0301…": a code joined to letters by a dash or slash.
        Some('-' | '/' | '.') => back.next().is_some_and(char::is_alphanumeric),
        _ => false,
    };
    let glued_after = text[c.end..]
        .chars()
        .next()
        .is_some_and(|ch| ch.is_alphanumeric() || ch == '_' || ch == '%');
    if glued_before || glued_after {
        return true;
    }
    // Money: "€ 1.234,00", "1234 EUR", "$ 1,000".
    let currency = [
        "€", "eur", "euro", "chf", "$", "£", "usd", "gbp", "%", "stück", "x ",
    ];
    let after_lower = after.to_lowercase();
    if currency.iter().any(|c| after_lower.starts_with(c))
        || ["€", "$", "£", "eur", "chf"]
            .iter()
            .any(|c| before.to_lowercase().ends_with(c))
    {
        return true;
    }
    // A decimal comma or a time right after: "0800,50", "12:30".
    if after.starts_with(',') && after[1..].starts_with(|ch: char| ch.is_ascii_digit()) {
        return true;
    }
    if after.starts_with(':') && after[1..].starts_with(|ch: char| ch.is_ascii_digit()) {
        return true;
    }
    // A postcode followed by a town: "80331 München", "1010 Wien", "8001 Zürich".
    let digits = run.chars().filter(char::is_ascii_digit).count();
    if (4..=5).contains(&digits) && run.chars().all(|ch| ch.is_ascii_digit()) {
        return true;
    }
    false
}

/// Whether a run's shape marks it as a phone number even without a label: written with a
/// country code or trunk prefix (`+49 …`, `0049 …`, `089 …`, `(0800) …`), or in the North American
/// `(212) 555-0100` / `1-800-…` layout where the numbering plan has no trunk zero.
pub(crate) fn shaped_like_phone(run: &str, region: Option<&str>) -> bool {
    static NANP: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(
            r"^(?:1[\s.\-]?)?\(?[2-9]\d{2}\)?[\s.\-]?[2-9A-Z][0-9A-Z]{2}[\s.\-]?[0-9A-Z]{4}$",
        )
        .expect("valid regex")
    });
    let trimmed = run.trim_start_matches('(');
    if run.starts_with('+') || trimmed.starts_with('0') {
        return true;
    }
    let nanp_region = region.is_some_and(|r| matches!(r, "US" | "CA"));
    nanp_region && NANP.is_match(run) && run.contains([' ', '-', '.', ')'])
}

fn map_type(t: Type) -> PhoneType {
    match t {
        Type::FixedLine => PhoneType::FixedLine,
        Type::Mobile => PhoneType::Mobile,
        Type::FixedLineOrMobile => PhoneType::FixedLineOrMobile,
        Type::TollFree => PhoneType::TollFree,
        Type::PremiumRate => PhoneType::PremiumRate,
        Type::SharedCost => PhoneType::SharedCost,
        Type::Voip => PhoneType::Voip,
        Type::PersonalNumber => PhoneType::PersonalNumber,
        Type::Pager => PhoneType::Pager,
        Type::Uan => PhoneType::Uan,
        Type::Voicemail => PhoneType::Voicemail,
        _ => PhoneType::Unknown,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn national_and_international_forms() {
        let n = parse("+49 (0)89 123456-0", None).unwrap();
        assert_eq!(n.info.e164, "+49891234560");
        assert_eq!(n.info.region.as_deref(), Some("DE"));
        let toll = parse("0800 330 1000", Some("de")).unwrap();
        assert_eq!(
            (toll.info.e164.as_str(), toll.info.kind),
            ("+498003301000", PhoneType::TollFree)
        );
        assert_eq!(toll.display, "+49 800 3301000");
        let us = parse("1-800-356-9377", Some("US")).unwrap();
        assert_eq!(
            (us.info.e164.as_str(), us.info.kind),
            ("+18003569377", PhoneType::TollFree)
        );
    }

    #[test]
    fn vanity_numbers_use_keypad_digits() {
        let n = parse("1-800-FLOWERS", Some("US")).unwrap();
        assert_eq!(n.info.e164, "+18003569377");
        let x = parse("1-800-4-GLOBEX", Some("US")).unwrap();
        assert_eq!(
            x.info.e164, "+18004456239",
            "X is a letter here, not 'extension'"
        );
        assert!(parse("Anrufen", Some("DE")).is_none());
    }

    fn found(text: &str, region: Option<&str>) -> Vec<String> {
        candidates(text)
            .iter()
            .filter(|c| !looks_like_other_figure(text, c))
            .filter(|c| shaped_like_phone(&text[c.start..c.end], region))
            .filter_map(|c| parse_run(&text[c.start..c.end], region))
            .map(|(n, _)| n.info.e164)
            .collect()
    }

    #[test]
    fn numbers_as_people_write_them() {
        let de = Some("DE");
        for (text, e164) in [
            ("Tel. 0 89 / 12 34 56-0", "+49891234560"),
            ("+49 (0)30 1234567", "+49301234567"),
            ("089-123456-0", "+49891234560"),
            ("(0800) 330 1000", "+498003301000"),
            ("0049 89 1234560", "+49891234560"),
            ("Hotline: 01805 123456 (0,14 €/Min.)", "+491805123456"),
        ] {
            assert_eq!(found(text, de), [e164], "{text}");
        }
        assert_eq!(found("044 123 45 67", Some("CH")), ["+41441234567"]);
        assert_eq!(
            found("Call 1-800-356-9377 today", Some("US")),
            ["+18003569377"]
        );
        assert_eq!(found("(217) 492-3000", Some("US")), ["+12174923000"]);
        assert_eq!(found("Call 1-800-FLOWERS", Some("US")), ["+18003569377"]);
        assert_eq!(found("0113 496 0123", Some("GB")), ["+441134960123"]);
    }

    #[test]
    fn figures_that_only_look_like_numbers() {
        let de = Some("DE");
        for text in [
            "Stand: 01.02.2024",
            "Mo–Fr 08.00–18.00 Uhr",
            "Preis 1.299,00 €",
            "IBAN DE89 3704 0044 0532 0130 00",
            "USt-IdNr. DE123456789",
            "80331 München",
            "Version 2.10.3",
            "Artikel A-08001234567",
            "Summe: 0800,50 EUR",
            "1.000.000 Kunden",
        ] {
            assert!(found(text, de).is_empty(), "{text}: {:?}", found(text, de));
        }
    }

    #[test]
    fn invalid_or_regionless_national_numbers_are_rejected() {
        assert!(parse("0800 330 1000", None).is_none());
        assert!(parse("12345", Some("DE")).is_none());
        assert!(parse("0800 1", Some("DE")).is_none());
    }
}
