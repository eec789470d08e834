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
    /// Written as its numbering plan writes it: with the trunk prefix where one is required
    /// (libphonenumber's VALID leniency for text).
    pub(crate) prefix_ok: bool,
}

/// Longest text read as one number (libphonenumber's `MAX_INPUT_STRING_LENGTH`).
const MAX_INPUT_LENGTH: usize = 250;

/// Most digits one candidate run holds. A number with country code, trunk prefix and extension
/// has fewer (libphonenumber reads at most 17 national digits). A longer run is a list of
/// figures without words between them: libphonenumber's matcher finds no number in it either
/// (its inner matches are single groups), and cutting it up guesses where numbers start, which
/// reads numbers that are not there. Leaving it out also bounds the work on a hostile page's
/// megabyte of digit groups: every reading [`inner`] tries is at most this long.
const MAX_RUN_DIGITS: usize = 24;

fn digits_in(run: &str) -> usize {
    run.bytes().filter(u8::is_ascii_digit).count()
}

/// Parsed numbers by (text as written, region).
type ParseCache = std::collections::HashMap<(String, Option<String>), Option<Number>>;

/// Parses what a `tel:` URI or a page writes, with `region` (ISO 3166 alpha-2) for national
/// formats. Returns `None` for anything libphonenumber does not accept as a valid number.
#[must_use]
pub fn parse(raw: &str, region: Option<&str>) -> Option<Number> {
    // libphonenumber's MAX_INPUT_STRING_LENGTH: longer input is not a number, and neither
    // parsed nor cached (a hostile page's megabyte of digits would fill the cache).
    if raw.len() > MAX_INPUT_LENGTH {
        return None;
    }
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

/// Parses a number written in running text, with libphonenumber's VALID leniency: besides being
/// valid, a number written in national form must carry the trunk prefix its numbering plan
/// writes ("020 7946 0018", not "20 7946 0018"; "01 23 45 67 89", not "1 23 45 67 89").
#[must_use]
pub fn parse_text(raw: &str, region: Option<&str>) -> Option<Number> {
    parse(raw, region).filter(|n| n.prefix_ok)
}

/// libphonenumber's `isNationalPrefixPresentIfRequired`, on the `phonenumber` crate's metadata:
/// for a number parsed from national form, the formatting rule of its pattern decides whether
/// the national prefix must be written.
fn national_prefix_present(number: &PhoneNumber, cleaned: &str) -> bool {
    use phonenumber::country::Source;
    if !matches!(number.code().source(), Source::Default) {
        return true;
    }
    let Some(meta) = number.metadata(&DATABASE) else {
        return true;
    };
    let digits: String = cleaned.chars().filter(char::is_ascii_digit).collect();
    // Written with its prefix, as nearly every national number is: nothing to look up (the
    // formats' patterns are compiled lazily and are the costliest part of parsing).
    if meta.national_prefix().is_none_or(|p| digits.starts_with(p)) {
        return true;
    }
    let national = number.national().to_string();
    let whole = |m: Option<regex::Match<'_>>| {
        m.is_some_and(|m| m.start() == 0 && m.end() == national.len())
    };
    let Some(format) = meta.formats().iter().find(|f| {
        f.leading_digits()
            .last()
            .is_none_or(|l| l.find(&national).is_some_and(|m| m.start() == 0))
            && whole(f.pattern().find(&national))
    }) else {
        return true;
    };
    let Some(rule) = format.national_prefix() else {
        return true;
    };
    // "$FG" and "($FG)" write no prefix; "$NP$FG" (or "0$1") does.
    let bare = rule
        .replace("$FG", "")
        .replace("$1", "")
        .replace(['(', ')', ' '], "");
    if bare.is_empty() || format.is_national_prefix_optional() {
        return true;
    }
    // The prefix is required and was not written.
    false
}

fn parse_uncached(raw: &str, region: Option<&str>) -> Option<Number> {
    let cleaned = clean(&vanity_to_digits(raw));
    if cleaned.chars().filter(char::is_ascii_digit).count() < 5 {
        return None;
    }
    let id = region.and_then(|r| r.to_ascii_uppercase().parse::<country::Id>().ok());
    let number: PhoneNumber = parse_dialled(id, &cleaned)?;
    let prefix_ok = national_prefix_present(&number, &cleaned);
    let kind = map_type(number.number_type(&DATABASE));
    Some(Number {
        display: number.format().mode(Format::International).to_string(),
        info: PhoneInfo {
            extension: None,
            e164: number.format().mode(Format::E164).to_string(),
            kind,
            region: number.country().id().map(|id| id.as_ref().to_owned()),
        },
        prefix_ok,
    })
}

/// Parses a number as dialled from `id`: the region's international prefix ("011 33 …" from
/// Canada, "810 49 …" from Russia) and national prefix ("8 800 …" in Russia) are read from its
/// metadata where the `phonenumber` crate's parser does not strip them itself.
fn parse_dialled(id: Option<country::Id>, cleaned: &str) -> Option<PhoneNumber> {
    let valid = |text: &str, id: Option<country::Id>| {
        phonenumber::parse(id, text)
            .ok()
            .filter(phonenumber::is_valid)
    };
    let meta = id.and_then(|id| DATABASE.by_id(id.as_ref()));
    let digits: String = cleaned.chars().filter(char::is_ascii_digit).collect();
    let national = !cleaned.trim_start().starts_with('+') && digits.len() >= 7;
    if national
        && let Some(idd) = meta.and_then(|m| m.international_prefix())
        && let Some(m) = idd.find(&digits)
        && m.start() == 0
        && m.end() < digits.len()
        && let Some(number) = valid(&format!("+{}", &digits[m.end()..]), None)
    {
        return Some(number);
    }
    if let Some(number) = valid(cleaned, id) {
        return Some(number);
    }
    if !national {
        return None;
    }
    let prefix = meta?.national_prefix()?;
    let rest = digits.strip_prefix(prefix)?;
    valid(rest, id)
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
    // "0~0 49 …": a wait for the dial tone between the digits of an international prefix.
    let mut s = raw.trim().replace('~', "");
    if s.starts_with('+') || s.starts_with("00") {
        s = s.replace("(0)", "").replace("( 0 )", "").replace("[0]", "");
    }
    s.chars()
        .map(|c| {
            if matches!(
                c,
                '/' | '.'
                    | '\u{a0}'
                    | '\u{2010}'
                    | '\u{2011}'
                    | '\u{2012}'
                    | '\u{2013}'
                    | '\u{2212}'
            ) {
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
            r"(?-u:\b)1[\s.\-]?\(?8[0-9]{2}\)?[\s.\-]?[A-Z0-9]{1,4}[\s.\-]?[A-Z0-9]{0,6}[A-Z][A-Z0-9]{0,6}(?-u:\b)|\([2-9][0-9]{2}\)[\s.\-]?[0-9]{0,3}[\s.\-]?[A-Z]{3,7}(?-u:\b)|(?:\+\s?|(?-u:\b)00\s?)?\(?\d(?:[ \u{a0}./\-–‐‑‒−~()]{0,3}\d)+",
        )
        .expect("valid regex")
    });
    let mut out = Vec::new();
    for m in RUN.find_iter(text) {
        let run = m.as_str();
        // An unclosed "(" starts what follows the number: "0800 1234 (0,14 €/Min.)".
        let end = match run.rfind('(') {
            Some(open) if open > 0 && !run[open..].contains(')') => {
                m.start() + run[..open].trim_end_matches([' ', '\u{a0}']).len()
            }
            _ => m.end(),
        };
        let mut start = m.start();
        // "10:30 089 1234567": the minutes of a time are not the number's first group.
        if time_before(&text[..start])
            && let Some(space) = text[start..end].find([' ', '\u{a0}'])
        {
            start += space;
            start += text[start..end].len() - text[start..end].trim_start().len();
        }
        out.extend(
            split_alternatives(text, start, end)
                .into_iter()
                .filter(|c| digits_in(&text[c.start..c.end]) <= MAX_RUN_DIGITS),
        );
    }
    out
}

/// Whether text ends in the hour of a time ("10:", "18.", "9h").
fn time_before(before: &str) -> bool {
    let mut chars = before.chars().rev();
    matches!(chars.next(), Some(':' | 'h' | '.'))
        && chars.next().is_some_and(|c| c.is_ascii_digit())
}

/// Splits a run where a slash separates two numbers rather than an area code from its number:
/// "030 1234567 / 0171 1234567" (a second number with its own trunk prefix) and "0871
/// 23001/25311", "089 12 34 56 / 57" (a second ending as long as the group it replaces, which the
/// abbreviation reader then completes).
fn split_alternatives(text: &str, start: usize, end: usize) -> Vec<Candidate> {
    let run = &text[start..end];
    if let Some(slash) = run.rfind('/') {
        let before = run[..slash].trim_end();
        let after = run[slash + 1..].trim_start();
        let spaced = before.len() < slash || after.len() + slash + 1 < run.len();
        let last_group = before
            .rsplit(|c: char| !c.is_ascii_digit())
            .next()
            .unwrap_or("");
        let first_group_ends = before.find(|c: char| !c.is_ascii_digit() && c != '+');
        let digits = |t: &str| t.chars().filter(char::is_ascii_digit).count();
        // "901 100 099 / 912 663 517": two whole numbers; "0 89 / 21 54 36-00": an area code
        // and its number.
        let new_number = spaced
            && (after.starts_with(['0', '+']) || (digits(before) >= 6 && digits(after) >= 6));
        let same_length = first_group_ends.is_some()
            && !after.is_empty()
            && after.bytes().all(|b| b.is_ascii_digit())
            && after.len() == last_group.len();
        if new_number || same_length {
            let mut out = vec![Candidate {
                start,
                end: start + before.len(),
            }];
            if new_number {
                out.push(Candidate {
                    start: end - after.len(),
                    end,
                });
            }
            return out;
        }
    }
    vec![Candidate { start, end }]
}

/// The run itself, then what libphonenumber's inner matches try when the whole does not read as
/// a number: the part before its first space, slash or bracket ("415-666-7777 100$" holds
/// "415-666-7777"), and each part that starts after a space or slash or at a bracket ("$20
/// 415-666-7777" holds "415-666-7777", "01 (449)978-0001" holds "(449)978-0001"). Never inside a
/// group: "650-253-4561--212-736-5000" holds nothing.
pub(crate) fn inner(text: &str, c: &Candidate) -> Vec<Candidate> {
    let run = &text[c.start..c.end];
    let mut out = vec![c.clone()];
    let first_cut = run.find([' ', '\u{a0}', '/', '(']).filter(|i| *i > 0);
    // "(415) 666 7777. 94043 is my zip": a full stop and a space end a number.
    let full_stop = run.find(". ");
    for cut in [full_stop, first_cut].into_iter().flatten() {
        out.push(Candidate {
            start: c.start,
            end: c.start + run[..cut].trim_end().len(),
        });
    }
    let mut previous = None;
    for (i, ch) in run.char_indices() {
        let starts_here = match previous {
            Some(' ' | '\u{a0}' | '/') => ch.is_ascii_digit() || ch == '(' || ch == '+',
            Some(_) => ch == '(',
            None => false,
        };
        if starts_here {
            out.push(Candidate {
                start: c.start + i,
                end: c.end,
            });
        }
        previous = Some(ch);
    }
    out
}

/// Parses a run as it is (without trailing punctuation), as libphonenumber's matcher reads a
/// candidate; shorter readings come from [`inner`]. Returns the number and the length of the text
/// it used.
pub(crate) fn parse_run(run: &str, region: Option<&str>) -> Option<(Number, usize)> {
    let part = run.trim_end_matches(|c: char| !c.is_ascii_alphanumeric());
    if part.chars().filter(char::is_ascii_alphanumeric).count() < 6 {
        return None;
    }
    parse_text(part, region).map(|number| (number, part.len()))
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
    // Only the words right beside the run decide; the rest of a long block is not read.
    let before = super::last_chars(&text[..c.start], 16).trim_end();
    let after = super::first_chars(&text[c.end..], 16).trim_start();
    // libphonenumber at VALID: a figure glued to a Latin letter ("abc8005001234",
    // "8005001234def", IBAN "DE89…", VAT id "DE123…") or to a percent or currency sign is not a
    // number, unless it opens with "+" or "(" ("call+44 …"); letters of other scripts do not glue
    // ("请拨打010-…").
    let glued = |ch: char| is_latin_letter(ch) || ch == '_' || ch == '%' || is_currency(ch);
    let opens = run.starts_with(['+', '(']);
    let mut back = text[..c.start].chars().rev();
    let glued_before = !opens
        && match back.next() {
            Some(ch) if glued(ch) => true,
            // "Nr/0301…", "Art.0301…": a code joined to letters by a slash or dot.
            Some('/' | '.') => back.next().is_some_and(char::is_alphanumeric),
            // "A-0800…", "X1-0171…": an article code's short prefix, not "number-415-…".
            Some('-') => {
                let code: String = back.take_while(|c| c.is_alphanumeric()).collect();
                !code.is_empty()
                    && code.chars().count() <= 3
                    && code.chars().any(|c| c.is_uppercase() || c.is_ascii_digit())
            }
            _ => false,
        };
    // A written-out number ("0 899 23 41 76") followed by a capitalised word ("Service 0,80 €")
    // is two inline elements whose text meets without a space, not a code with letters.
    let word_follows = {
        let mut next = text[c.end..].chars();
        next.next().is_some_and(char::is_uppercase)
            && next.next().is_some_and(char::is_lowercase)
            && run.contains([' ', '\u{a0}', '-', '/', '.'])
    };
    let glued_after = extension(&text[c.end..]).is_none()
        && !word_follows
        && text[c.end..].chars().next().is_some_and(glued);
    if glued_before || glued_after {
        return true;
    }
    // Money: "€ 1.234,00", "1234 EUR", "$ 1,000".
    let currency = [
        "€", "eur", "euro", "chf", "$", "£", "usd", "gbp", "%", "stück",
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
fn is_latin_letter(c: char) -> bool {
    c.is_ascii_alphabetic()
        || (c.is_alphabetic()
            && matches!(c as u32, 0x00c0..=0x024f | 0x1e00..=0x1eff | 0x2c60..=0x2c7f | 0xa720..=0xa7ff))
}

fn is_currency(c: char) -> bool {
    matches!(c, '$' | '€' | '£' | '¥' | '₹' | '₽' | '¢') || matches!(c as u32, 0x20a0..=0x20cf)
}

/// The extension written right after a number ("x 456", "ext. 12", "#3", ";ext=12",
/// "extensión 12", "int. 12", "доб. 123"), as libphonenumber's extension patterns read it: its
/// digits and how many bytes of `after` it takes.
#[must_use]
pub(crate) fn extension(after: &str) -> Option<(String, usize)> {
    static EXT: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(
            r"(?i)^[ \u{a0}]*,?[ \u{a0}]*(?:;ext=|(?:extensi[oó]n|extn?|xtn?|x|int|anexo|доб|#)\.?[ \u{a0}]*:?[ \u{a0}]*)(\d{1,10})",
        )
        .expect("valid regex")
    });
    let caps = EXT.captures(after)?;
    let digits = caps.get(1)?;
    // "x 456" and "#3" end where the digits end: "x 4567890123456" is no extension.
    if after[digits.end()..].starts_with(|c: char| c.is_ascii_digit()) {
        return None;
    }
    Some((digits.as_str().to_owned(), digits.end()))
}

pub(crate) fn shaped_like_phone(run: &str, region: Option<&str>, number: &Number) -> bool {
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
    if nanp_region && NANP.is_match(run) && run.contains([' ', '-', '.', ')']) {
        return true;
    }
    // Written in groups ("900 123 456", "612 34 56 78"), a service number (free, shared-cost,
    // premium: written without a trunk prefix in ES, IT, AU) or any number of a plan that has no
    // trunk prefix (ES, IT, PT, DK, NO, GR) is written as people write phone numbers.
    let groups = run
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|g| !g.is_empty())
        .count();
    if groups < 3 {
        return false;
    }
    let service = matches!(
        number.info.kind,
        PhoneType::TollFree | PhoneType::SharedCost | PhoneType::PremiumRate | PhoneType::Uan
    );
    let no_trunk_prefix = number
        .info
        .region
        .as_deref()
        .and_then(|r| r.parse::<country::Id>().ok())
        .and_then(|id| DATABASE.by_id(id.as_ref()))
        .is_some_and(|meta| meta.national_prefix().is_none());
    service || no_trunk_prefix
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
            .filter_map(|c| {
                let run = &text[c.start..c.end];
                parse_run(run, region)
                    .filter(|(n, used)| shaped_like_phone(&run[..*used], region, n))
            })
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
    fn runs_longer_than_any_number_are_figures() {
        let de = Some("DE");
        // Two numbers in one run (20 digits) are still read; a list of them is not guessed at.
        assert_eq!(candidates("030 1234567 030 7654321").len(), 1);
        assert!(candidates(&"030 1234567 ".repeat(3)).is_empty());
        assert!(candidates(&"1 ".repeat(100_000)).is_empty());
        assert!(parse(&"1".repeat(MAX_INPUT_LENGTH + 1), de).is_none());
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
