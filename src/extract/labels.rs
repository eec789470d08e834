//! What the words just before a contact detail say about it: fax or telephone, not a phone number
//! at all (IBAN, register number, postcode), what it is for (customer service, outages, press),
//! and whether it is announced as free.
//!
//! One rule for every extractor (`tel:` links, numbers in text, structured data): the label nearest
//! to the detail wins, and the text read for labels stops at the previous number, so "Telefax:
//! 089 1 Kundenservice: 089 2" never makes the second number a fax.

use std::sync::LazyLock;

use regex::Regex;

use crate::crawl::classify::starts_word;
use crate::rules::{LabelCues, LabelList};

/// Characters of label text read before a detail.
pub(crate) const WINDOW: usize = 56;

/// The last place each label list matches in a window, in one pass over it.
#[derive(Debug, Default)]
struct Matches {
    fax: Option<(usize, usize)>,
    phone: Option<(usize, usize)>,
    not_phone: Option<(usize, usize)>,
    /// (role, start, length) of each role's last match.
    roles: Vec<(usize, usize, usize)>,
}

fn scan(window: &str, cues: &LabelCues) -> Matches {
    let mut m = Matches::default();
    let Some(automaton) = &cues.index.automaton else {
        return m;
    };
    let mut role_hits: Vec<(usize, usize, usize)> = Vec::new();
    for hit in automaton.find_overlapping_iter(window) {
        let at = hit.start();
        if !word_starts_at(window, at) {
            continue;
        }
        let (list, len) = cues.index.words[hit.pattern().as_usize()];
        let here = Some((at, len));
        let keep = |slot: &mut Option<(usize, usize)>| {
            if *slot < here {
                *slot = here;
            }
        };
        match list {
            LabelList::Fax => keep(&mut m.fax),
            LabelList::Phone => keep(&mut m.phone),
            LabelList::NotPhone => keep(&mut m.not_phone),
            LabelList::NotPhoneWhole => {
                if word_ends_at(window, hit.end()) {
                    keep(&mut m.not_phone);
                }
            }
            LabelList::Free => {}
            LabelList::Role(i) => role_hits.push((i, at, len)),
        }
    }
    // A role word inside a longer one is the longer one's: "Zentrale Kontaktstelle" (the DSA
    // point of contact) is not "Zentrale" (the switchboard). One sweep by start, longer first,
    // remembering the furthest end so far: linear after the sort, however many hits.
    role_hits.sort_by_key(|&(_, at, len)| (at, std::cmp::Reverse(len)));
    let mut furthest: Option<(usize, usize)> = None;
    for &(i, at, len) in &role_hits {
        let end = at + len;
        let inside = furthest.is_some_and(|(start, far)| far > end || (far == end && start < at));
        if furthest.is_none_or(|(_, far)| end > far) {
            furthest = Some((at, end));
        }
        if inside {
            continue;
        }
        match m.roles.iter_mut().find(|(r, _, _)| *r == i) {
            Some((_, pos, l)) => {
                if at >= *pos {
                    (*pos, *l) = (at, len);
                }
            }
            None => m.roles.push((i, at, len)),
        }
    }
    m
}

/// What a detail's label says.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Label {
    /// Telephone and fax are named together ("Tel./Fax"): the number is both.
    pub both: bool,
    /// The nearest label says fax.
    pub fax: bool,
    /// The nearest label says telephone.
    pub phone: bool,
    /// The nearest label names a figure that is not a phone number.
    pub not_phone: bool,
    /// Roles named in the window, nearest first.
    pub roles: Vec<String>,
}

static NUMBER: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\d(?:[ \u{a0}./\-–()]{0,3}\d){5,}").expect("valid regex"));

/// The start of the text after the last phone-like figure: labels of an earlier number end there.
fn after_last_number(text: &str) -> &str {
    // Labels are read from the last WINDOW characters; a few times that is enough to find
    // where the last number before them ended, without reading a long block from its start.
    let text = super::last_chars(text, 4 * WINDOW);
    NUMBER
        .find_iter(text)
        .last()
        .map_or(text, |m| &text[m.end()..])
}

/// A sentence without its numbers and the label words written right before each
/// ("Telefon (Zentrale): 0341 …"): what is left may label an address later in the sentence, but
/// a number's own label is the number's.
pub(crate) fn without_number_labels(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut from = 0;
    for m in NUMBER.find_iter(text) {
        let head = &text[from..m.start()];
        let mut cut = head.len();
        let mut words = 0;
        let mut chars = head.char_indices().rev().peekable();
        while let Some(&(i, c)) = chars.peek() {
            if c.is_alphanumeric() {
                while chars.peek().is_some_and(|(_, c)| c.is_alphanumeric()) {
                    cut = chars.next().map_or(cut, |(i, _)| i);
                }
                words += 1;
                if words == 2 {
                    break;
                }
            } else if c.is_whitespace() || matches!(c, ':' | '(' | ')' | '-' | '.' | '/' | '+') {
                cut = i;
                chars.next();
            } else {
                break;
            }
        }
        out.push_str(&head[..cut]);
        out.push(' ');
        from = m.end();
    }
    out.push_str(&text[from..]);
    out
}

/// The label text before a detail: `before` is the text in its own block before it, `previous`
/// the block before that (read only when the detail starts its block).
pub(crate) fn window(before: &str, previous: Option<&str>) -> String {
    let own = after_last_number(before);
    let mut text = own.to_owned();
    // The block above labels a detail that starts its block, not one that follows another
    // number in it ("Tel. 901 100 099 / 912 663 517").
    if own.chars().filter(|c| c.is_alphabetic()).count() < 2
        && own.len() == before.len()
        && let Some(previous) = previous
    {
        let previous = after_last_number(previous);
        text = format!("{previous} {own}");
    }
    let start = text.chars().count().saturating_sub(WINDOW);
    text.chars().skip(start).collect::<String>().to_lowercase()
}

/// The last place a word of `words` starts in `text`, with the word's length (longer wins a tie:
/// "telefax" beats "tel" at the same place).
fn last_match(text: &str, words: &[String]) -> Option<(usize, usize)> {
    words
        .iter()
        .filter_map(|w| {
            text.match_indices(w.as_str())
                .filter(|(i, _)| word_starts_at(text, *i))
                .map(|(i, _)| (i, w.len()))
                .last()
        })
        .max()
}

/// Whether a word starts at byte `i` of `text` (no letter or digit right before it).
pub(crate) fn word_starts_at(text: &str, i: usize) -> bool {
    text[..i]
        .chars()
        .next_back()
        .is_none_or(|c| !c.is_alphanumeric())
}

/// Whether a word ends at byte `i` of `text` (no letter or digit right after it).
pub(crate) fn word_ends_at(text: &str, i: usize) -> bool {
    text[i..]
        .chars()
        .next()
        .is_none_or(|c| !c.is_alphanumeric())
}

/// Reads the label window (already lower case, see [`window`]).
pub(crate) fn read(window: &str, cues: &LabelCues) -> Label {
    let mut m = scan(window, cues);
    // "F +41 44 …", "Fx: 0141 …": a short label counts as the word right before the number.
    let trimmed =
        window.trim_end_matches(|c: char| c.is_whitespace() || matches!(c, ':' | '.' | '-'));
    let word_start = trimmed
        .char_indices()
        .rev()
        .take_while(|(_, c)| c.is_alphanumeric())
        .last()
        .map(|(i, _)| i);
    // "C.F. 0284…" (codice fiscale): a letter of a dotted abbreviation is no label of its own.
    let word_start = word_start.filter(|&s| !trimmed[..s].ends_with('.'));
    if let Some(start) = word_start {
        let word = &trimmed[start..];
        let here = Some((start, word.len()));
        if cues.fax_short.iter().any(|w| w == word) {
            m.fax = m.fax.max(here);
        } else if cues.phone_short.iter().any(|w| w == word) {
            m.phone = m.phone.max(here);
        }
    }
    let nearest = [(m.fax, 0u8), (m.phone, 1), (m.not_phone, 2)]
        .into_iter()
        .filter_map(|(hit, which)| hit.map(|hit| (hit, which)))
        .max_by_key(|(hit, _)| *hit)
        .map(|(_, which)| which);
    // "Tel./Fax 0228 …", "Fax/Tel.:": one number for both.
    let joined = |a: Option<(usize, usize)>, b: Option<(usize, usize)>| match (a, b) {
        (Some((a_at, a_len)), Some((b_at, _))) if a_at + a_len <= b_at => {
            window.get(a_at + a_len..b_at).is_some_and(|between| {
                between.len() <= 4
                    && between.chars().all(|c| {
                        c.is_whitespace() || matches!(c, '/' | '.' | '&' | '+' | ',' | '|')
                    })
            })
        }
        _ => false,
    };
    let both = joined(m.phone, m.fax) || joined(m.fax, m.phone);
    let mut roles = m.roles;
    roles.sort_by_key(|(_, at, _)| std::cmp::Reverse(*at));
    Label {
        both,
        fax: nearest == Some(0),
        phone: nearest == Some(1),
        not_phone: nearest == Some(2),
        roles: roles
            .into_iter()
            .map(|(i, _, _)| cues.roles[i].role.clone())
            .collect(),
    }
}

/// A price note written right after a number (`0,14 €/Min.`, `(kostenlos)`), or a free-of-charge
/// word in its label.
pub(crate) fn price_note(after: &str, label_window: &str, cues: &LabelCues) -> Option<String> {
    static PRICE: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(
            r"(?i)(?:(?:€|eur|chf|£|\$)\s*\d+(?:[.,]\d+)?|\d+(?:[.,]\d+)?\s*(?:€|eur(?:o)?|cent|ct|chf|rp\.?|£|p|\$))\s*(?:/|pro|je|per|a|an)\s*(?:min(?:ute)?|anruf|call|gespräch|minute)\.?",
        )
        .expect("valid regex")
    });
    // Only the text up to the next number belongs to this one.
    let after: String = after.chars().take(120).collect();
    let own = next_number_start(&after).map_or(after.as_str(), |i| &after[..i]);
    let own_lower = own.to_lowercase();
    if let Some(m) = PRICE.find(own) {
        // Keep the whole parenthesised note when the price sits in one.
        let note = match (own[..m.start()].rfind('('), own[m.start()..].find(')')) {
            (Some(open), Some(close)) => &own[open + 1..m.start() + close],
            _ => m.as_str(),
        };
        return Some(crate::crawl::collapse(note));
    }
    if let Some(word) = cues.free.iter().find(|w| starts_word(&own_lower, w)) {
        return Some(word.clone());
    }
    // In the label only when it is about the line — right before the number, or next to a phone
    // word ("Kostenlose Hotline:", "Teléfono gratuito", "Hotline (kostenlos):") — not about
    // something else the sentence offers ("Der Kundendienst kommt kostenlos vorbei:").
    const NEAR: usize = 24;
    cues.free.iter().find_map(|w| {
        let (at, len) = last_match(label_window, std::slice::from_ref(w))?;
        let rest = &label_window[at + len..];
        // "kostenlos:", "free on", "gratis al": at most a preposition between it and the number.
        let words: Vec<&str> = rest
            .trim_start_matches(|c: char| c.is_alphabetic())
            .split(|c: char| !c.is_alphabetic())
            .filter(|w| !w.is_empty())
            .collect();
        const JOINERS: &[&str] = &[
            "on", "at", "via", "unter", "über", "an", "al", "en", "au", "sur",
        ];
        let at_the_number = words.len() <= 1 && words.iter().all(|w| JOINERS.contains(w));
        let phone_word_near = cues.phone.iter().any(|p| {
            label_window
                .match_indices(p.as_str())
                .any(|(i, _)| i.abs_diff(at) <= NEAR)
        });
        (at_the_number || phone_word_near).then(|| w.clone())
    })
}

fn next_number_start(text: &str) -> Option<usize> {
    static NUMBER: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"(?:\+|(?-u:\b)0)\d(?:[ \u{a0}./\-–()]{0,3}\d){5,}").expect("valid regex")
    });
    NUMBER.find(text).map(|m| m.start())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::Rules;

    fn label(before: &str, previous: Option<&str>) -> Label {
        let rules = Rules::embedded().unwrap();
        read(&window(before, previous), &rules.labels)
    }

    #[test]
    fn nearest_label_wins_and_stops_at_the_previous_number() {
        assert!(label("Telefax: ", None).fax);
        assert!(label("Fax ", None).fax);
        assert!(label("Tel. ", None).phone);
        assert!(label("Telefon 089 1234560, Telefax ", None).fax);
        let l = label("Telefax: 089 1234569 Kundenservice: ", None);
        assert!(!l.fax, "the fax label belongs to the earlier number");
        assert_eq!(l.roles, ["customer_service"]);
        assert!(label("", Some("Telefax")).fax, "<dt>Telefax</dt><dd>…");
        assert!(label("IBAN: ", None).not_phone);
        assert!(label("Registergericht München, HRB ", None).not_phone);
        assert!(label("USt-IdNr.: ", None).not_phone);
        assert!(label("Company number ", None).not_phone);
        assert!(!label("Bestellhotline: ", None).not_phone);
    }

    #[test]
    fn roles_are_read_nearest_first() {
        assert_eq!(
            label("24h-Störungsdienst Strom: ", None).roles,
            ["outage"],
            "a word matches where it starts, so compounds that begin with it count"
        );
        assert_eq!(label("Störung Strom (24h): ", None).roles, ["outage"]);
        assert_eq!(label("Presse und Medien: ", None).roles, ["press"]);
        assert_eq!(
            label("Zentrale, Vertrieb: ", None).roles,
            ["sales", "switchboard"]
        );
        assert_eq!(
            label(
                "Zentrale Kontaktstelle für Behörden nach Art. 11 DSA: ",
                None
            )
            .roles,
            ["authorities"],
            "a role word inside a longer one is the longer one's"
        );
        assert_eq!(
            label("Vertrieb Geschäftskunden: ", None).roles,
            ["business", "sales"]
        );
    }

    #[test]
    fn a_numbers_own_label_is_taken_out_of_the_sentence() {
        let words = |text: &str| {
            without_number_labels(text)
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
        };
        assert_eq!(
            words("Telefon (Zentrale): 0341 98394-410 E-Mail: "),
            "E-Mail:"
        );
        assert_eq!(
            words("Datenschutzbeauftragter Herr Kurz, Tel. 089 123456, E-Mail: "),
            "Datenschutzbeauftragter Herr Kurz, , E-Mail:"
        );
        // Hostile text: no number, numbers only, letters of other scripts.
        assert_eq!(words("ÄÖÜ äöü"), "ÄÖÜ äöü");
        assert_eq!(words("089 123456 089 654321"), "");
        assert_eq!(
            words("電話：03 1234 5678"),
            "電話：",
            "cut at char boundaries only"
        );
    }

    #[test]
    fn price_notes() {
        let rules = Rules::embedded().unwrap();
        let cues = &rules.labels;
        assert_eq!(
            price_note(" (0,14 €/Min. aus dem dt. Festnetz)", "", cues).as_deref(),
            Some("0,14 €/Min. aus dem dt. Festnetz")
        );
        assert_eq!(
            price_note(" – 0,42 EUR pro Minute", "", cues).as_deref(),
            Some("0,42 EUR pro Minute")
        );
        assert_eq!(
            price_note(" (kostenlos)", "", cues).as_deref(),
            Some("kostenlos")
        );
        assert_eq!(
            price_note(" (CHF 0.08/Min. aus dem Festnetz)", "", cues).as_deref(),
            Some("CHF 0.08/Min. aus dem Festnetz")
        );
        assert_eq!(
            price_note(" ", "kostenlose hotline:", cues).as_deref(),
            Some("kostenlos")
        );
        assert_eq!(
            price_note(
                " (Mo–Fr 7–15 Uhr).",
                "der montage-kundendienst kommt kostenlos vorbei:",
                cues
            ),
            None,
            "the visit is free, not the call"
        );
        assert_eq!(
            price_note(" ", "kostenfrei:", cues).as_deref(),
            Some("kostenfrei")
        );
        assert_eq!(
            price_note(" · horario", "teléfono gratuito para pedidos", cues).as_deref(),
            Some("gratuito")
        );
        assert_eq!(
            price_note(" ", "hotline (kostenlos):", cues).as_deref(),
            Some("kostenlos")
        );
        assert_eq!(
            price_note(", 24 hours a day.", "gas emergency service free on ", cues).as_deref(),
            Some("free")
        );
        assert_eq!(
            price_note(" oder Fax 089 1234 (0,14 €/Min.)", "", cues),
            None,
            "the note after the next number is not ours"
        );
    }
}
