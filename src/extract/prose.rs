//! Phone numbers and e-mail addresses a page writes without a link: in its text, in `data-`
//! attributes, or assembled by an inline script.
//!
//! A number in running text is accepted only when it is valid for libphonenumber *and* either
//! written the way phone numbers are written (`+49 …`, `089 …`, `(212) 555-…`) or labelled as one
//! (`Tel.`, `Hotline`), and not labelled or shaped as something else (IBAN, register number,
//! date, price, postcode). An address counts as `obfuscated` when the page source never writes
//! it out plainly.

use std::sync::LazyLock;

use regex::Regex;
use scraper::{Node, Selector};

use super::labels::{self, Label};
use super::text::{Block, is_hidden};
use super::{Observation, email, phone};
use crate::crawl::PageView;
use crate::model::{ChannelKind, EmailInfo, Mode};
use crate::rules::Rules;

/// Characters of text shown on each side of a detail in its evidence snippet.
const CONTEXT: usize = 70;

fn around(text: &str, start: usize, end: usize) -> String {
    let before = {
        let head = &text[..start];
        let s = super::last_chars(head, CONTEXT);
        // Start at a word, not in the middle of one.
        match s.find(' ') {
            Some(space) if s.len() < head.len() => &s[space + 1..],
            _ => s,
        }
    };
    let after = super::first_chars(&text[end..], CONTEXT);
    format!("{before}{}{after}", &text[start..end])
}

/// A number found in a run: the number, where its text ends, and its label.
struct Found {
    number: phone::Number,
    start: usize,
    end: usize,
    label: Label,
    window: String,
}

/// The number a candidate run holds, read with its label: the run itself, else a run starting at
/// one of its later groups (libphonenumber's inner matches).
fn read_run(
    text: &str,
    candidate: &phone::Candidate,
    previous: Option<&str>,
    rules: &Rules,
    region: Option<&str>,
) -> Option<Found> {
    for c in phone::inner(text, candidate) {
        if phone::looks_like_other_figure(text, &c) {
            continue;
        }
        let run = &text[c.start..c.end];
        let window = labels::window(&text[..c.start], previous);
        let label: Label = labels::read(&window, &rules.labels);
        if label.not_phone {
            // A label that makes the figure something else holds for all of it.
            return None;
        }
        let labelled = label.phone || label.fax || !label.roles.is_empty();
        let Some((number, used)) = phone::parse_run(run, region) else {
            continue;
        };
        if !labelled && !phone::shaped_like_phone(&run[..used], region, &number) {
            continue;
        }
        return Some(Found {
            number,
            start: c.start,
            end: c.start + used,
            label,
            window,
        });
    }
    None
}

/// Numbers written in the text blocks of a page.
pub(super) fn phones(
    view: &PageView<'_>,
    blocks: &[Block],
    rules: &Rules,
    region: Option<&str>,
    spent: &dyn Fn() -> bool,
) -> Vec<Observation> {
    let mut out = Vec::new();
    // (block, start, end) of every number read with its tails.
    let mut taken_spans: Vec<(usize, usize, usize)> = Vec::new();
    for (i, block) in blocks.iter().enumerate() {
        if spent() {
            break;
        }
        let text = block.text.as_str();
        if !text.bytes().any(|b| b.is_ascii_digit()) {
            continue;
        }
        let previous = i.checked_sub(1).map(|p| blocks[p].text.as_str());
        // Where the last number (or its written-out tails) ended: a run inside it is done.
        let mut taken = 0;
        for candidate in phone::candidates(text) {
            if candidate.start < taken {
                continue;
            }
            let Some(Found {
                number,
                start,
                end,
                label,
                window,
            }) = read_run(text, &candidate, previous, rules, region)
            else {
                continue;
            };
            taken = end;
            let pair_follows = label.both && abbreviated_follows(&text[end..]);
            // "Tel./Fax 0228 91452-0 / -99": the first number is the telephone.
            let kind = if label.fax && !pair_follows {
                ChannelKind::Fax
            } else {
                ChannelKind::Phone
            };
            let mut obs = Observation::new(
                kind,
                number.display,
                view,
                "text",
                &around(text, start, end),
            );
            let mut info = number.info;
            info.extension = phone::extension(&text[end..]).map(|(digits, _)| digits);
            obs.channel.phone = Some(info);
            obs.channel.mode = Mode::Human;
            obs.channel.labels = label.roles;
            obs.channel.price_note = labels::price_note(&text[end..], &window, &rules.labels);
            obs.block = Some(i);
            obs.at = Some(start);
            let first_kind = obs.channel.kind;
            let first_labels = obs.channel.labels.clone();
            out.extend(super::with_twin(obs, label.both && !pair_follows));
            // "0871 23001 oder 25311", "0228 91452-0 / -99", "-0 (Zentrale), -31 (Vertrieb)":
            // more numbers written as the first one's tail.
            let first = &text[start..end];
            let mut at = end;
            for _ in 0..MAX_TAILS {
                let Some((second, from, to, fax)) = abbreviated(first, &text[at..], region) else {
                    break;
                };
                let kind = match fax {
                    Some(true) => ChannelKind::Fax,
                    Some(false) => ChannelKind::Phone,
                    // "Tel./Fax 0228 91452-0 / -99": the second number is the second label's.
                    None if label.both => ChannelKind::Fax,
                    None => first_kind,
                };
                let mut obs = Observation::new(
                    kind,
                    second.display,
                    view,
                    "text",
                    &around(text, start, at + to),
                );
                obs.channel.phone = Some(second.info);
                obs.channel.mode = Mode::Human;
                obs.channel.labels = first_labels.clone();
                obs.block = Some(i);
                obs.at = Some(at + from);
                out.push(obs);
                at += to;
                taken = at;
            }
            taken_spans.push((i, start, taken.max(end)));
        }
    }
    out.extend(lone_extensions(view, blocks, &out, &taken_spans, region));
    out
}

/// "Durchwahl -20" written on its own (in a staff table, a sentence), on a page whose switchboard
/// number ends in "-0": the extension replaces that "0" ("0228 91452-0" → "0228 91452-20"), as
/// German pages explain ("Die Durchwahlen erreichen Sie, indem Sie die 0 … ersetzen"). Only when
/// the page shows exactly one such switchboard.
fn lone_extensions(
    view: &PageView<'_>,
    blocks: &[Block],
    found: &[Observation],
    taken: &[(usize, usize, usize)],
    region: Option<&str>,
) -> Vec<Observation> {
    static LONE: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"(?i)(?-u:\b)(?:durchwahl|dw|apparat|nebenstelle)\.?:?[ \u{a0}]*-[ \u{a0}]?(\d{1,4})(?-u:\b)")
            .expect("valid regex")
    });
    let spans: std::collections::HashMap<(usize, usize), usize> =
        taken.iter().map(|(b, s, e)| ((*b, *s), *e)).collect();
    let mut switchboards: Vec<(&str, String)> = Vec::new();
    for obs in found {
        let (Some(i), Some(at)) = (obs.block, obs.at) else {
            continue;
        };
        let Some(text) = blocks.get(i).map(|b| b.text.as_str()) else {
            continue;
        };
        let Some(&end) = spans.get(&(i, at)) else {
            continue;
        };
        let span = (i, at, end);
        let written = text.get(span.1..span.2).unwrap_or("");
        // The first number as written: up to its own end, "0228 91452-0".
        let number = written
            .split(|c: char| !(c.is_ascii_digit() || " -/+().\u{a0}".contains(c)))
            .next()
            .unwrap_or("")
            .trim_end();
        let number = number.split(" / ").next().unwrap_or(number).trim_end();
        if let Some(base) = number.strip_suffix("-0")
            && !switchboards.iter().any(|(b, _)| *b == base)
        {
            switchboards.push((base, obs.channel.labels.join(",")));
        }
    }
    let [(base, _)] = switchboards.as_slice() else {
        return Vec::new();
    };
    let mut by_block: std::collections::HashMap<usize, Vec<(usize, usize)>> =
        std::collections::HashMap::new();
    for (b, s, e) in taken {
        by_block.entry(*b).or_default().push((*s, *e));
    }
    let mut out = Vec::new();
    for (i, block) in blocks.iter().enumerate() {
        for caps in LONE.captures_iter(&block.text) {
            let (Some(whole), Some(digits)) = (caps.get(0), caps.get(1)) else {
                continue;
            };
            // Read already as the tail of a number written before it.
            if by_block.get(&i).is_some_and(|list| {
                list.iter()
                    .any(|(s, e)| *s <= whole.start() && whole.end() <= *e)
            }) {
                continue;
            }
            let Some(number) = phone::parse_text(&format!("{base}-{}", digits.as_str()), region)
            else {
                continue;
            };
            let mut obs = Observation::new(
                ChannelKind::Phone,
                number.display,
                view,
                "text",
                &around(&block.text, whole.start(), whole.end()),
            );
            obs.channel.phone = Some(number.info);
            obs.channel.mode = Mode::Human;
            obs.block = Some(i);
            obs.at = Some(whole.start());
            out.push(obs);
        }
    }
    out
}

/// Most tails read after one number ("-0, -31, -32, -33 …").
const MAX_TAILS: usize = 8;

/// The connector and tail of a second number written as the first one's ending: "oder 25311",
/// "/ -99", ", Durchwahl -20", "o 4782 1935", "-0 (Zentrale), -31". A note in brackets may stand
/// between them.
static ABBREVIATED: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)^[ \u{a0}]*(?:\([^()]{1,40}\)[ \u{a0}]*)?(?:oder|bzw\.?|resp\.?|und|and|or|ou|of|o\.|o|y|/|,|;)?[ \u{a0}]*(?:(?P<label>durchwahl|dw|apparat|telefax|fax|tel\.?|fon|phone|f|t)(?:\.|:|\.:)?[ \u{a0}]+)?(?P<tail>-[ \u{a0}]?\d{1,4}|\d{2,}(?:[ \u{a0}]\d{2,})*)",
    )
    .expect("valid regex")
});

/// Whether a switchboard tail ("/ -99") follows: then "Tel./Fax" names the two numbers in turn,
/// not one number twice.
fn abbreviated_follows(after: &str) -> bool {
    ABBREVIATED
        .captures(after)
        .is_some_and(|c| c.name("tail").is_some_and(|t| t.as_str().starts_with('-')))
}

/// A second number written as the tail of `first` in the text right `after` it: the number, where
/// its text starts and ends in `after`, and whether its own label says fax (`Some(true)`), phone
/// (`Some(false)`) or nothing. A tail that is a whole number of its own, a time or a figure with
/// a unit is none.
fn abbreviated(
    first: &str,
    after: &str,
    region: Option<&str>,
) -> Option<(phone::Number, usize, usize, Option<bool>)> {
    // A tail stands right after its number: the regex reads a bounded start of the rest, and
    // what follows the tail is judged on the whole rest (a tail cut short is followed by digits).
    let caps = ABBREVIATED.captures(super::first_chars(after, 160))?;
    let whole = caps.get(0)?;
    let tail = caps.name("tail")?;
    let label = caps.name("label").map(|l| l.as_str().to_lowercase());
    // A connector or a label must join them: "089 1234 25311" is two figures, not one number.
    if whole.as_str()[..tail.start()].trim().is_empty() {
        return None;
    }
    // The tail ends where the figure ends: not a time ("… oder 14:30"), a unit or more digits.
    let rest = &after[tail.end()..];
    let mut next = rest.chars();
    // "oder 0664/123 45 67", "of 06-12345678": more digits follow, so the tail starts a number
    // of its own.
    let ends_figure = match next.next() {
        None => true,
        Some(c) if c.is_alphanumeric() => false,
        Some(':' | '.' | ',' | '/' | '-') => !next.next().is_some_and(|d| d.is_ascii_digit()),
        Some(_) => true,
    };
    if !ends_figure {
        return None;
    }
    // "Durchwahl 20" is read as nothing, as libphonenumber does; "Durchwahl -20" replaces the
    // switchboard's "-0".
    if matches!(label.as_deref(), Some("durchwahl" | "dw" | "apparat"))
        && !tail.as_str().starts_with('-')
    {
        return None;
    }
    let tail_digits: String = tail.as_str().chars().filter(char::is_ascii_digit).collect();
    let candidate = if tail.as_str().starts_with('-') {
        // "91452-0 / -99": the switchboard's extension replaced.
        let (base, _) = first.rsplit_once('-')?;
        format!("{base}-{tail_digits}")
    } else {
        let digits: String = first.chars().filter(char::is_ascii_digit).collect();
        let k = tail_digits.len();
        // A tail about as long as the number is a number of its own; a two-digit tail must end
        // its sentence or list ("… 67 oder 68."), not count something ("oder 12 Monate").
        let followed_by_word = rest.trim_start().starts_with(char::is_alphabetic);
        if k + 2 > digits.len()
            || (k <= 2 && followed_by_word)
            || (k > 4 && tail_digits.starts_with('0') && digits.starts_with('0'))
            || rest.trim_start().starts_with(|c: char| c.is_ascii_digit())
        {
            return None;
        }
        let prefix = if first.trim_start().starts_with('+') {
            "+"
        } else {
            ""
        };
        format!("{prefix}{}{tail_digits}", &digits[..digits.len() - k])
    };
    let number = phone::parse(&candidate, region)?;
    let fax = label
        .as_deref()
        .and_then(|l| match l.trim_end_matches('.') {
            "fax" | "telefax" | "f" => Some(true),
            "tel" | "fon" | "phone" | "t" => Some(false),
            _ => None,
        });
    Some((number, tail.start(), tail.end(), fax))
}

/// E-mail addresses in text blocks (plain or written out), `data-` attributes and inline scripts.
pub(super) fn emails(
    view: &PageView<'_>,
    blocks: &[Block],
    plain: &super::Plain<'_>,
    rules: &Rules,
) -> Vec<Observation> {
    // (address, source, snippet, (block, offset in the block))
    type Found = (String, &'static str, String, Option<(usize, Option<usize>)>);
    let mut found: Vec<Found> = Vec::new();
    for (i, block) in blocks.iter().enumerate() {
        let text = block.text.as_str();
        if !text.contains('@') && !has_written_at(text) {
            continue;
        }
        let mut addresses = email::in_text(text);
        if let Some(plain) = email::deobfuscate(text) {
            addresses.extend(email::in_text(&plain));
        }
        addresses.sort();
        addresses.dedup();
        for address in addresses {
            // Where it is written: the whole address, else its local part as a word (written
            // out: "dpo at …"), not the first time the word occurs ("our Privacy Officer … privacy@").
            let lower = text.to_lowercase();
            let local = address.split('@').next().unwrap_or("");
            let at = lower
                .find(address.as_str())
                .or_else(|| {
                    lower.match_indices(local).map(|(i, _)| i).find(|&i| {
                        lower[i + local.len()..]
                            .trim_start()
                            .starts_with(['@', '[', '(', '{', '<', 'a', 'ä', '-'])
                    })
                })
                .or_else(|| lower.find(local))
                .filter(|at| text.is_char_boundary(*at));
            let snippet = at.map_or_else(|| text.to_owned(), |at| around(text, at, at));
            found.push((address, "text", snippet, Some((i, at))));
        }
    }
    // An address shown as an image ("E-Mail: [picture]") is written in its alt text for screen
    // readers: that is the address, hidden from copy and paste.
    thread_local! {
        static IMAGES: Selector = Selector::parse("img[alt]").expect("valid selector");
    }
    IMAGES.with(|images| {
        for img in view.document.select(images) {
            let alt = img.value().attr("alt").unwrap_or("");
            if alt.len() > 200
                || (!alt.contains('@') && !has_written_at(alt))
                || is_hidden(img.value())
            {
                continue;
            }
            let mut addresses = email::in_text(alt);
            if let Some(plain) = email::deobfuscate(alt) {
                addresses.extend(email::in_text(&plain));
            }
            for address in addresses {
                found.push((address, "image_alt", format!("<img alt=\"{alt}\">"), None));
            }
        }
    });
    for element in view.document.tree.nodes() {
        let Node::Element(e) = element.value() else {
            continue;
        };
        if e.attrs().any(|(n, _)| n.starts_with("data-")) && !is_hidden(e) {
            for address in email::in_data_attributes(e.attrs()) {
                found.push((
                    address,
                    "data_attribute",
                    format!("<{} data-…>", e.name()),
                    None,
                ));
            }
        }
    }
    thread_local! {
        static SCRIPTS: Selector = Selector::parse("script:not([src])").expect("valid selector");
    }
    SCRIPTS.with(|scripts| {
        for script in view.document.select(scripts) {
            let is_js = script.value().attr("type").is_none_or(|t| {
                let t = t.to_ascii_lowercase();
                t.contains("javascript") || t == "module" || t.is_empty()
            });
            if !is_js {
                continue;
            }
            let code: String = script.text().collect();
            if !code.contains('+') && !code.contains("fromCharCode") && !code.contains("reverse") {
                continue;
            }
            for address in email::in_script(&code) {
                found.push((
                    address,
                    "inline_script",
                    "<script> assembles the address".into(),
                    None,
                ));
            }
        }
    });
    if found.is_empty() {
        return Vec::new();
    }
    found
        .into_iter()
        .map(|(address, source, snippet, block)| {
            let no_reply = email::is_no_reply(&address, &rules.labels.no_reply);
            let obfuscated = source == "image_alt" || !plain.writes(&address);
            let mut obs = Observation::new(ChannelKind::Email, &address, view, source, &snippet);
            obs.channel.mode = if no_reply { Mode::Unknown } else { Mode::Human };
            obs.channel.email = Some(EmailInfo {
                address,
                obfuscated,
                no_reply,
            });
            obs.block = block.map(|(i, _)| i);
            obs.at = block.and_then(|(_, at)| at);
            obs
        })
        .collect()
}

/// Whether text may hold a written-out `@` (`[at]`, `(ät)`, ` at `).
fn has_written_at(text: &str) -> bool {
    static FORMS: LazyLock<aho_corasick::AhoCorasick> = LazyLock::new(|| {
        aho_corasick::AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .build([
                "[at]",
                "(at)",
                "{at}",
                " at ",
                "[ at ]",
                "( at )",
                "[ät]",
                "(ät)",
                " ät ",
                "[Ät]",
                "(Ät)",
                "[@]",
                "(@)",
                "[ @ ]",
                "( @ )",
                "(bei)",
                "[bei]",
                " bei ",
                "<at>",
                "-at-",
                " chez ",
                "(chez)",
                "[chez]",
                " arroba ",
                "(arroba)",
                "[arroba]",
                " chiocciola ",
                "(chiocciola)",
                " apenstaartje ",
            ])
            .expect("valid patterns")
    });
    FORMS.is_match(text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::extract::TestPage;

    fn run(html: &str, region: Option<&str>) -> Vec<Observation> {
        let page = TestPage::new(html, "https://acme.de/kontakt/");
        let blocks = page.blocks();
        let mut out = phones(&page.view(), &blocks, &page.rules, region, &|| false);
        out.extend(emails(&page.view(), &blocks, &page.plain(), &page.rules));
        out
    }

    fn summary(found: &[Observation]) -> Vec<(ChannelKind, String)> {
        found
            .iter()
            .map(|o| {
                let id = o
                    .channel
                    .phone
                    .as_ref()
                    .map(|p| p.e164.clone())
                    .or_else(|| o.channel.email.as_ref().map(|e| e.address.clone()))
                    .unwrap_or_default();
                (o.channel.kind, id)
            })
            .collect()
    }

    #[test]
    fn an_imprint_as_german_companies_write_it() {
        let found = run(
            "<h2>Impressum</h2><p>ACME Haushaltswaren GmbH<br>Musterstraße 12<br>80331 München</p>\
             <p>Telefon: 089 2154 36-00<br>Telefax: 089 2154 36-99<br>\
             Kundenservice: 0800 330 1000 (kostenlos)<br>\
             Service-Hotline: 01805 123456 (0,14 €/Min. aus dem dt. Festnetz)</p>\
             <p>Registergericht: Amtsgericht München, HRB 123456<br>USt-IdNr.: DE 812 345 678<br>\
             IBAN: DE89 3704 0044 0532 0130 00, BIC: COBADEFFXXX</p>\
             <p>Stand: 01.02.2026 · Bestellnummer 0301234567</p>",
            Some("DE"),
        );
        assert_eq!(
            summary(&found),
            [
                (ChannelKind::Phone, "+498921543600".to_owned()),
                (ChannelKind::Fax, "+498921543699".to_owned()),
                (ChannelKind::Phone, "+498003301000".to_owned()),
                (ChannelKind::Phone, "+491805123456".to_owned()),
            ]
        );
        assert_eq!(found[2].channel.labels, ["customer_service"]);
        assert_eq!(found[2].channel.price_note.as_deref(), Some("kostenlos"));
        assert_eq!(
            found[3].channel.price_note.as_deref(),
            Some("0,14 €/Min. aus dem dt. Festnetz")
        );
        assert_eq!(found[0].evidence.source, "text");
        assert!(
            found[1]
                .evidence
                .snippet
                .contains("Telefax: 089 2154 36-99")
        );
    }

    #[test]
    fn labels_in_definition_lists_and_tables() {
        let found = run(
            "<dl><dt>Störungsdienst Strom</dt><dd>05141 709-110</dd>\
             <dt>Telefax</dt><dd>05141 709-199</dd></dl>\
             <table><tr><td>Zentrale</td><td>+49 5141 709-0</td></tr></table>",
            Some("DE"),
        );
        assert_eq!(
            summary(&found),
            [
                (ChannelKind::Phone, "+495141709110".to_owned()),
                (ChannelKind::Fax, "+495141709199".to_owned()),
                (ChannelKind::Phone, "+4951417090".to_owned()),
            ]
        );
        assert_eq!(found[0].channel.labels, ["outage"]);
        assert_eq!(found[2].channel.labels, ["switchboard"]);
    }

    #[test]
    fn unlabelled_figures_without_phone_shape_are_not_numbers() {
        assert!(
            run(
                "<p>Über 8123456 zufriedene Kunden seit 1998</p>",
                Some("DE")
            )
            .is_empty()
        );
        assert!(run("<p>Öffnungszeiten: Mo–Fr 8–20 Uhr</p>", Some("DE")).is_empty());
        let found = run("<p>Tel. 8123 4567</p>", Some("CH"));
        assert!(found.is_empty(), "not valid in CH: {:?}", summary(&found));
        let us = run("<p>Claims: (217) 492-3000, 24/7</p>", Some("US"));
        assert_eq!(
            summary(&us),
            [(ChannelKind::Phone, "+12174923000".to_owned())]
        );
    }

    #[test]
    fn hidden_and_obfuscated_addresses() {
        let html = "<p>Schreiben Sie an service [at] acme [punkt] de oder \
                    <span style='unicode-bidi:bidi-override;direction:rtl'>ed.emca@esserp</span></p>\
                    <p>info@acme.de</p>\
                    <p style='display:none'>falle@acme.de</p>\
                    <a class='mail' data-user='kontakt' data-domain='acme.de'>E-Mail schreiben</a>\
                    <script>var u='hilfe'; document.getElementById('m').textContent = u + '&#64;' + 'acme.de';</script>\
                    <p>&#107;&#117;&#110;&#100;&#101;&#110;&#64;acme.de</p>";
        let found = run(html, Some("DE"));
        let mut got: Vec<(String, bool, &str)> = found
            .iter()
            .map(|o| {
                let e = o.channel.email.as_ref().unwrap();
                (e.address.clone(), e.obfuscated, o.evidence.source.as_str())
            })
            .collect();
        got.sort();
        assert_eq!(
            got,
            [
                ("hilfe@acme.de".to_owned(), true, "inline_script"),
                ("info@acme.de".to_owned(), false, "text"),
                ("kontakt@acme.de".to_owned(), true, "data_attribute"),
                ("kunden@acme.de".to_owned(), true, "text"),
                ("presse@acme.de".to_owned(), true, "text"),
                ("service@acme.de".to_owned(), true, "text"),
            ]
        );
    }
}
