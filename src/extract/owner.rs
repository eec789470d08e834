//! Whose contact detail is it? Real imprints and privacy pages print the supervising chamber's
//! address, the data-protection authority's phone, the hoster's and the web agency's details next
//! to the company's own; a doctor's page lists poison-control and crisis lines. Reading them as the
//! company's makes every figure after it wrong, so each sighting gets an owner here, from (nearest
//! first):
//!
//! 1. a number or domain `rules/owners.toml` knows (a poison-control centre's published number);
//! 2. the words just before the detail, back into the blocks above it in the same part of the
//!    page ("Zuständige Kammer: Landesärztekammer …, Tel."), where a word of the company's own
//!    ("unser Kundenservice") nearer to the detail keeps it the company's;
//! 3. the headings it stands under ("Aufsichtsbehörde", "Hosting");
//! 4. an organisation name with a legal form right before it ("Strato AG"), which the synthesize
//!    stage compares with the site's own names.
//!
//! Placeholders (`example.org`, "Max Mustermann", `instagram.com/tu_cuenta`) are nobody's channel
//! and are dropped.

use super::Observation;
use super::labels::{word_ends_at as ends_word, word_starts_at as starts_word};
use super::text::Block;
use crate::model::{ChannelKind, Owner, OwnerKind};
use crate::rules::Rules;
use crate::rules::owners::OwnerWord;

/// Characters of text read before a detail for the words that say whose it is: an
/// organisation's name often comes before its whole address.
const WINDOW: usize = 200;
/// Blocks above a detail read into the window.
const BLOCKS_BACK: usize = 3;
/// Most words before a detail in its own block for the blocks above to count as its label.
const LABEL_WORDS: usize = 3;
/// Headings read, innermost first.
const HEADINGS_UP: usize = 2;

/// What the text around a detail says about its owner.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Hint {
    /// Nothing: the company's.
    Own,
    /// A third party, decided here.
    Third(Owner),
    /// An organisation name stands right before it; whether it is the site's own is for the
    /// synthesize stage, which knows the site's names.
    Named(String),
}

/// Sets each observation's owner, and drops placeholders.
pub(super) fn attribute(observations: &mut Vec<Observation>, blocks: &[Block], rules: &Rules) {
    observations.retain(|o| !placeholder(o, blocks, rules));
    // A link and the same number read in the text share a place: read its words once.
    let mut hints: std::collections::HashMap<(usize, Option<usize>), Hint> =
        std::collections::HashMap::new();
    for obs in observations.iter_mut() {
        if let Some(owner) = known(obs, rules) {
            obs.channel.owner = owner;
            obs.known = true;
            continue;
        }
        let Some(i) = obs.block.filter(|i| *i < blocks.len()) else {
            continue;
        };
        let said = hints
            .entry((i, obs.at))
            .or_insert_with(|| hint(blocks, i, obs.at, rules))
            .clone();
        match said {
            Hint::Own => {}
            Hint::Third(owner) => obs.channel.owner = owner,
            Hint::Named(name) => obs.org = Some(name),
        }
    }
}

/// The owner `rules/owners.toml` knows for a number, an address's or a link's domain.
fn known(obs: &Observation, rules: &Rules) -> Option<Owner> {
    let owners = &rules.owners;
    let (entry, what) = if let Some(phone) = &obs.channel.phone {
        (owners.known_number(&phone.e164)?, "number")
    } else if let Some(email) = &obs.channel.email {
        let domain = email.address.rsplit_once('@')?.1;
        (owners.known_domain(domain)?, "domain")
    } else {
        // Links are not looked up: a booking link to Doctolib or a form posting to a form
        // service is the company's channel on a vendor's host.
        return None;
    };
    Some(Owner {
        kind: entry.owner,
        name: Some(entry.name.clone()),
        because: Some(format!("a {what} {} publishes", entry.name)),
    })
}

/// Sample data: an example domain, a placeholder number or profile name, a sample person's name
/// in the detail's own block.
fn placeholder(obs: &Observation, blocks: &[Block], rules: &Rules) -> bool {
    let owners = &rules.owners;
    let index = &owners.index;
    if let Some(email) = &obs.channel.email
        && let Some((_, domain)) = email.address.rsplit_once('@')
        && owners.placeholder_domain(domain)
    {
        return true;
    }
    if let Some(phone) = &obs.channel.phone {
        if index.placeholder_numbers.contains(&phone.e164) {
            return true;
        }
        if let Some(runs) = &index.placeholder_names
            && runs.find(&phone.e164).is_some()
        {
            return true;
        }
    }
    if let Some(link) = obs.channel.url.as_deref()
        && matches!(
            obs.channel.kind,
            ChannelKind::Social | ChannelKind::Messenger
        )
        && let Ok(url) = url::Url::parse(link)
    {
        if url.host_str().is_some_and(|h| owners.placeholder_domain(h)) {
            return true;
        }
        let handle = |segment: &str| {
            let s = segment.trim_start_matches('@').to_lowercase();
            index.placeholder_handles.contains(&s)
        };
        if url.path_segments().is_some_and(|mut s| s.any(handle)) {
            return true;
        }
    }
    if matches!(
        obs.channel.kind,
        ChannelKind::Phone | ChannelKind::Fax | ChannelKind::Email | ChannelKind::PostalAddress
    ) && let Some(block) = obs.block.and_then(|i| blocks.get(i))
        && let Some(names) = &index.placeholder_names
    {
        // Around the detail only: a huge block is not lowercased for every detail in it.
        let at = obs.at.unwrap_or(0).min(block.text.len());
        let mut from = at.saturating_sub(4 * WINDOW);
        while !block.text.is_char_boundary(from) {
            from += 1;
        }
        let mut to = (at + 4 * WINDOW).min(block.text.len());
        while !block.text.is_char_boundary(to) {
            to -= 1;
        }
        let lower = block.text[from..to].to_lowercase();
        // Whole words only: "John Doe", not "John Doerr".
        if names.find_iter(&lower).any(|m| {
            !lower[m.start()..m.end()]
                .bytes()
                .all(|b| b.is_ascii_digit())
                && starts_word(&lower, m.start())
                && ends_word(&lower, m.end())
        }) {
            return true;
        }
    }
    false
}

/// Lower case with one char per char, so offsets in the folded text are offsets in the original
/// counted in chars.
fn fold(text: &str) -> String {
    text.chars()
        .map(|c| c.to_lowercase().next().unwrap_or(c))
        .collect()
}

/// A cue found in a window: where (byte range in the folded text) and what it says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cue {
    Third(OwnerKind),
    /// A role word of the company's ("Kundenservice", "Zentrale").
    Own,
    /// A word the company speaks of itself with ("unser", "wir"): it outweighs a third party
    /// named before it in the same text, but says nothing on its own ("Wir hosten bei …").
    Pronoun,
    LegalForm,
}

/// Every cue in a folded text, in order of position.
fn cues(text: &str, folded: &str, rules: &Rules) -> Vec<(usize, usize, Cue)> {
    let mut out = Vec::new();
    let index = &rules.owners.index;
    if let Some(words) = &index.words {
        for hit in words.find_overlapping_iter(folded) {
            let (meaning, _) = index.meaning[hit.pattern().as_usize()];
            let (start, end) = (hit.start(), hit.end());
            let cue = match meaning {
                OwnerWord::Start(kind) if starts_word(folded, start) => Cue::Third(kind),
                OwnerWord::End(kind) if ends_word(folded, end) => Cue::Third(kind),
                OwnerWord::LegalForm
                    if starts_word(folded, start)
                        && ends_word(folded, end)
                        && written_as_legal_form(text, folded, start, end) =>
                {
                    Cue::LegalForm
                }
                _ => continue,
            };
            out.push((start, end, cue));
        }
    }
    // A cue inside a longer one of another kind is part of that one's name: "Bank" in
    // "Central Bank of Ireland", "Aufsichtsbehörde" in "Datenschutz-Aufsichtsbehörde".
    let spans: Vec<(usize, usize)> = out.iter().map(|(s, e, _)| (*s, *e)).collect();
    out.retain(|(s, e, c)| {
        !matches!(c, Cue::Third(_))
            || !spans
                .iter()
                .any(|(os, oe)| os <= s && e <= oe && (oe - os) > (e - s))
    });
    if let Some(own) = &rules.voice.own_index {
        for hit in own.find_overlapping_iter(folded) {
            if starts_word(folded, hit.start()) && ends_word(folded, hit.end()) {
                out.push((hit.start(), hit.end(), Cue::Pronoun));
            }
        }
    }
    // The company's own role words ("Kundenservice", "Zentrale") speak for it too, unless they
    // are part of a third party's word ("Datenschutz" in "Datenschutzbehörde").
    if let Some(labels) = &rules.labels.index.automaton {
        for hit in labels.find_overlapping_iter(folded) {
            let (list, _) = rules.labels.index.words[hit.pattern().as_usize()];
            // Whole words only: "Technik" is a role, "Technikumstrasse" a street.
            if matches!(list, crate::rules::LabelList::Role(_))
                && starts_word(folded, hit.start())
                && ends_word(folded, hit.end())
            {
                let word_end = word_end(folded, hit.start());
                let inside_third = out.iter().any(|(s, e, c)| {
                    matches!(c, Cue::Third(_)) && *s < word_end && *e > hit.start()
                });
                if !inside_third {
                    out.push((hit.start(), hit.end(), Cue::Own));
                }
            }
        }
    }
    out.sort_by_key(|(s, e, _)| (*s, *e));
    out
}

/// Where (in `folded`) the sentence holding the detail at the end of `text` starts, when it has
/// words of its own before the detail; 0 otherwise. "Dr. Müller", "Str. 5" and "e. V." end no
/// sentence: the word before the stop must have four letters or more.
fn sentence_start(text: &str, folded: &str) -> usize {
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let mut start_char = 0;
    for (k, &(_, c)) in chars.iter().enumerate() {
        if !matches!(c, '.' | '!' | '?') {
            continue;
        }
        let letters_before = chars[..k]
            .iter()
            .rev()
            .take_while(|(_, c)| c.is_alphabetic())
            .count();
        let next = chars[k + 1..].iter().find(|(_, c)| !c.is_whitespace());
        let spaced = chars.get(k + 1).is_some_and(|(_, c)| c.is_whitespace());
        if letters_before >= 4 && spaced && next.is_some_and(|(_, c)| c.is_uppercase()) {
            let rest = &text[chars[k].0 + 1..];
            if rest.split_whitespace().count() > LABEL_WORDS {
                start_char = k + 1;
            }
        }
    }
    folded
        .char_indices()
        .nth(start_char)
        .map_or(if start_char == 0 { 0 } else { folded.len() }, |(b, _)| b)
}

/// Whether a legal form is written as one: with a capital ("GmbH", "Ltd", "SE"), and a short
/// one without dots ("SE", "SA", "Ltd") right after a capitalised word that ends no sentence, so
/// "il se trouve", "NAIC company code" and "Madrid. Se trata" are words, not legal forms.
fn written_as_legal_form(text: &str, folded: &str, start: usize, end: usize) -> bool {
    let from = original_offset(text, folded, start);
    let to = original_offset(text, folded, end);
    let Some(written) = text.get(from..to) else {
        return false;
    };
    if !written.chars().any(char::is_uppercase) {
        return false;
    }
    let short = !written.contains(['.', '&', ' ']) && written.chars().count() <= 3;
    if !short {
        return true;
    }
    let previous = text[..from].split_whitespace().next_back().unwrap_or("");
    // "Cie. KG" is a name; "Madrid. Se trata" is a new sentence.
    let ends_sentence = previous.ends_with(['!', '?', ':'])
        || (previous.ends_with('.') && previous.chars().filter(|c| c.is_alphabetic()).count() >= 4);
    previous.chars().next().is_some_and(char::is_uppercase) && !ends_sentence
}

fn word_end(text: &str, from: usize) -> usize {
    text[from..]
        .find(|c: char| !c.is_alphanumeric())
        .map_or(text.len(), |i| from + i)
}

/// The text of block `i` before the detail at `at` (the whole block when unknown), at most the
/// last few hundred bytes: what is read for its owner lies close to it, and a page of one huge
/// block with many numbers must not be read again for each of them.
fn before_in_block(blocks: &[Block], i: usize, at: Option<usize>) -> &str {
    let own = &blocks[i].text;
    let before = at
        .filter(|a| own.is_char_boundary(*a))
        .map_or(own.as_str(), |a| &own[..a]);
    let mut from = before.len().saturating_sub(4 * WINDOW);
    while !before.is_char_boundary(from) {
        from += 1;
    }
    &before[from..]
}

/// The text read before a detail: its own block up to the detail, and blocks above it in the
/// same part of the page, at most [`WINDOW`] chars.
fn window(blocks: &[Block], i: usize, at: Option<usize>) -> String {
    let before = before_in_block(blocks, i, at);
    let mut parts: Vec<&str> = vec![before];
    let mut length = before.chars().count();
    let mut j = i;
    // Blocks above speak for a detail that starts its line ("<p>Landesärztekammer</p>
    // <p>Tel. 0711 …</p>"), not for one that has a sentence of its own before it.
    let line = before.rsplit('\n').next().unwrap_or(before);
    let introduced = line.split_whitespace().count() <= LABEL_WORDS;
    while introduced && length < WINDOW && parts.len() <= BLOCKS_BACK && j > 0 {
        j -= 1;
        let block = &blocks[j];
        if block.part != blocks[i].part || block.is_heading {
            break;
        }
        length += block.text.chars().count() + 1;
        parts.push(&block.text);
    }
    parts.reverse();
    let text = parts.join("\n");
    let skip = text.chars().count().saturating_sub(WINDOW);
    text.chars().skip(skip).collect()
}

/// What the text around the detail in block `i` (at byte `at`) says about its owner.
pub(crate) fn hint(blocks: &[Block], i: usize, at: Option<usize>, rules: &Rules) -> Hint {
    let text = window(blocks, i, at);
    let folded = fold(&text);
    let mut found = cues(&text, &folded, rules);
    // A third party named in an earlier sentence ("Zahlungsdaten gehen an den
    // Zahlungsdienstleister. Auskunft per E-Mail an …") is not who this detail belongs to.
    let cut = sentence_start(&text, &folded);
    // A role word speaks for the company only as the detail's label, right before it
    // ("Unser Kundenservice: 0800 …"), not in prose further up ("complaints about NHS services").
    let label_from = folded
        .char_indices()
        .nth(
            folded
                .chars()
                .count()
                .saturating_sub(crate::extract::labels::WINDOW),
        )
        .map_or(0, |(b, _)| b);
    // …and in the detail's own block, or as a block of its own ("<dt>Kundenservice</dt>").
    let own_chars = before_in_block(blocks, i, at).chars().count();
    let own_start = folded
        .char_indices()
        .nth(folded.chars().count().saturating_sub(own_chars))
        .map_or(folded.len(), |(b, _)| b);
    let label_line = |at: usize| {
        let from = folded[..at].rfind('\n').map_or(0, |i| i + 1);
        let to = folded[at..].find('\n').map_or(folded.len(), |i| at + i);
        folded[from..to].split_whitespace().count() <= LABEL_WORDS
    };
    // "Gesellschaftsrecht, Handelsregister, Vereinsregister": a list of topics names no one.
    let topic_list = |at: usize| {
        let from = folded[..at].rfind('\n').map_or(0, |i| i + 1);
        let to = folded[at..].find('\n').map_or(folded.len(), |i| at + i);
        let items: Vec<&str> = folded[from..to].split(',').map(str::trim).collect();
        items.len() >= 3
            && items.iter().all(|item| {
                item.split_whitespace().count() <= 2 && !item.bytes().any(|b| b.is_ascii_digit())
            })
    };
    // "Hafenlicht Medien GmbH": a role word inside an organisation's name is no label.
    let legal_lines: Vec<(usize, usize)> = found
        .iter()
        .filter(|(_, _, c)| *c == Cue::LegalForm)
        .map(|(at, _, _)| {
            let from = folded[..*at].rfind('\n').map_or(0, |i| i + 1);
            let to = folded[*at..].find('\n').map_or(folded.len(), |i| at + i);
            (from, to)
        })
        .collect();
    let in_name = |at: usize| {
        legal_lines
            .iter()
            .any(|(from, to)| (*from..*to).contains(&at))
    };
    found.retain(|(s, _, c)| match c {
        Cue::Third(_) => *s >= cut && !topic_list(*s),
        Cue::Own => *s >= label_from && (*s >= own_start || label_line(*s)) && !in_name(*s),
        _ => true,
    });
    let third_before = |at: usize| {
        found
            .iter()
            .any(|(s, _, c)| *s < at && matches!(c, Cue::Third(_)))
    };
    match found.iter().rev().find(|(_, _, c)| *c != Cue::LegalForm) {
        Some((start, _, Cue::Third(kind))) => {
            return Hint::Third(Owner {
                kind: *kind,
                name: name_around(&text, &folded, *start, rules),
                because: Some(format!(
                    "named next to it: “{}”",
                    line_at(&text, &folded, *start)
                )),
            });
        }
        Some((_, _, Cue::Own)) => return Hint::Own,
        Some((at, _, Cue::Pronoun)) if third_before(*at) => return Hint::Own,
        _ => {}
    }
    // Headings: the innermost first.
    let mut heading = blocks[i].heading;
    for _ in 0..HEADINGS_UP {
        let Some(h) = heading.filter(|h| *h < blocks.len()) else {
            break;
        };
        let title = &blocks[h].text;
        let folded_title = fold(title);
        match cues(title, &folded_title, rules)
            .iter()
            .rev()
            .find(|(_, _, c)| matches!(c, Cue::Third(_) | Cue::Own))
        {
            Some((_, _, Cue::Third(kind))) => {
                let name = first_line_name(blocks, h)
                    .or_else(|| name_around(&text, &folded, legal_form_start(&found)?, rules));
                return Hint::Third(Owner {
                    kind: *kind,
                    name: name.or_else(|| Some(crate::crawl::collapse(title))),
                    because: Some(format!("under the heading “{}”", title.trim())),
                });
            }
            // "Kundenservice" or "Datenschutzerklärung" above it: no third party is named
            // there, and the headings above that one speak of the page, not the detail.
            Some((_, _, Cue::Own)) => break,
            _ => heading = blocks[h].heading,
        }
    }
    // A legal name counts only in the detail's own block ("Hersteller: Miele & Cie. KG,
    // Carl-Miele-Straße 29"): one further up is too loose a tie.
    let own_chars = before_in_block(blocks, i, at).chars().count();
    let skip = folded.chars().count().saturating_sub(own_chars);
    let own_start = folded
        .char_indices()
        .nth(skip)
        .map_or(folded.len(), |(b, _)| b);
    match found
        .iter()
        .rev()
        .find(|(s, _, c)| *c == Cue::LegalForm && *s >= own_start)
        .and_then(|(s, e, _)| name_ending(&text, &folded, *s, *e))
    {
        Some(name) => match rules.owners.known_name(&name) {
            Some(known) => Hint::Third(Owner {
                kind: known.owner,
                because: Some(format!(
                    "named next to it: “{name}”, which is {}",
                    known.name
                )),
                name: Some(name),
            }),
            None => Hint::Named(name),
        },
        None => Hint::Own,
    }
}

/// The organisation name that a legal form (at `start..end` of `folded`) ends: the capitalised
/// words before it on its line ("das Team der Stadtwerke Musterstadt Netz GmbH zuständig" →
/// "Stadtwerke Musterstadt Netz GmbH").
fn name_ending(text: &str, folded: &str, start: usize, end: usize) -> Option<String> {
    const JOINERS: &[&str] = &[
        "&", "+", "und", "and", "et", "y", "-", "von", "van", "de", "der",
    ];
    const MAX_WORDS: usize = 6;
    let start_o = original_offset(text, folded, start);
    let end_o = original_offset(text, folded, end);
    let line_start = text[..start_o]
        .rfind(['\n', ':', '(', '·', '|', ';'])
        .map_or(0, |i| {
            i + text[i..].chars().next().map_or(1, char::len_utf8)
        });
    let before = &text[line_start..start_o];
    let mut words: Vec<&str> = Vec::new();
    for word in before.split_whitespace().rev() {
        let bare = word.trim_end_matches(',');
        let capital = bare.chars().next().is_some_and(char::is_uppercase);
        if words.len() >= MAX_WORDS
            || (!capital && !JOINERS.contains(&bare))
            || (bare.len() != word.len() && !words.is_empty())
        {
            break;
        }
        words.push(word);
    }
    while words.last().is_some_and(|w| JOINERS.contains(w)) {
        words.pop();
    }
    if words.is_empty() {
        return None;
    }
    words.reverse();
    let name = format!("{} {}", words.join(" "), &text[start_o..end_o]);
    let name = crate::crawl::collapse(name.trim());
    (name.chars().filter(|c| c.is_alphabetic()).count() >= 3).then_some(name)
}

/// The names a page gives its site: declared ones (`og:site_name`, an organisation's `name` in
/// JSON-LD), the `<title>`, and the first organisation name with a legal form among its first
/// blocks (the imprint's "ACME Haushaltswaren GmbH").
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PageNames {
    /// `og:site_name`, `application-name` and JSON-LD organisation names.
    pub declared: Vec<String>,
    /// The page title.
    pub title: Option<String>,
    /// The first legal name written on the page.
    pub legal: Option<String>,
}

/// Blocks searched for the first legal name.
const LEGAL_NAME_BLOCKS: usize = 15;

pub(super) fn names(
    view: &crate::crawl::PageView<'_>,
    blocks: &[Block],
    rules: &Rules,
) -> PageNames {
    // One walk over the elements for the meta tags, the title and the JSON-LD scripts.
    let mut declared = Vec::new();
    let mut title = None;
    let mut scripts = 0;
    for node in view.document.tree.nodes() {
        let Some(element) = node.value().as_element() else {
            continue;
        };
        match element.name() {
            "meta" => {
                let mut key = None;
                let mut content = None;
                for (name, value) in element.attrs() {
                    match name {
                        "property" | "name" => key = Some(value),
                        "content" => content = Some(value),
                        _ => {}
                    }
                }
                if let (Some(key), Some(content)) = (key, content)
                    && matches!(
                        key,
                        "og:site_name" | "application-name" | "apple-mobile-web-app-title"
                    )
                    && declared.len() < 4
                {
                    declared.push(crate::crawl::collapse(content));
                }
            }
            "title" if title.is_none() => {
                if let Some(t) = scraper::ElementRef::wrap(node) {
                    title = Some(crate::crawl::collapse(&t.text().collect::<String>()));
                }
            }
            "script"
                if scripts < 8
                    && element
                        .attr("type")
                        .is_some_and(|t| t.eq_ignore_ascii_case("application/ld+json")) =>
            {
                scripts += 1;
                let Some(script) = scraper::ElementRef::wrap(node) else {
                    continue;
                };
                let text: String = script.text().collect();
                if let Ok(value) = serde_json::from_str::<serde_json::Value>(text.trim()) {
                    let items = match &value {
                        serde_json::Value::Array(items) => items.iter().collect::<Vec<_>>(),
                        v => match v.get("@graph").and_then(|g| g.as_array()) {
                            Some(graph) => graph.iter().collect(),
                            None => vec![v],
                        },
                    };
                    for item in items.into_iter().take(50) {
                        // The organisation the page is about: it has a name and a way to reach it.
                        let about_org = ["telephone", "address", "email", "contactPoint", "logo"]
                            .iter()
                            .any(|k| item.get(k).is_some());
                        if about_org && let Some(name) = item.get("name").and_then(|n| n.as_str()) {
                            declared.push(crate::crawl::collapse(name));
                        }
                    }
                }
            }
            _ => {}
        }
    }
    // The legal name counts on the home page and the imprint only (see `own_names` in lib.rs):
    // other pages need not be read for it.
    let path = view.url.path().to_ascii_lowercase();
    let imprint = rules
        .pages
        .kinds
        .iter()
        .filter(|k| k.kind == crate::model::PageKind::Imprint)
        .any(|k| k.paths.iter().any(|p| path.contains(p.as_str())));
    let wanted = path == "/"
        || path.ends_with("/index.html")
        || imprint
        || title.as_deref().is_some_and(|t| {
            let t = t.to_lowercase();
            rules
                .pages
                .kinds
                .iter()
                .filter(|k| k.kind == crate::model::PageKind::Imprint)
                .any(|k| k.words.iter().any(|w| t.contains(w.as_str())))
        });
    let legal = blocks
        .iter()
        .take(if wanted { LEGAL_NAME_BLOCKS } else { 0 })
        .find_map(|b| {
            // A name stands at the start of its block.
            let mut end = b.text.len().min(2 * WINDOW);
            while !b.text.is_char_boundary(end) {
                end -= 1;
            }
            let head = &b.text[..end];
            let folded = fold(head);
            let found = cues(head, &folded, rules);
            if found.iter().any(|(_, _, c)| matches!(c, Cue::Third(_))) {
                return None;
            }
            let (start, end, _) = found.iter().find(|(_, _, c)| *c == Cue::LegalForm)?;
            name_ending(head, &folded, *start, *end)
        });
    declared.retain(|d| !d.is_empty());
    PageNames {
        declared,
        title,
        legal,
    }
}

/// The start of the last legal form ("GmbH", "Inc.") in the window.
fn legal_form_start(found: &[(usize, usize, Cue)]) -> Option<usize> {
    found
        .iter()
        .rev()
        .find(|(_, _, c)| *c == Cue::LegalForm)
        .map(|(s, _, _)| *s)
}

/// The byte offset in `text` of the char at byte `at` of `folded`.
fn original_offset(text: &str, folded: &str, at: usize) -> usize {
    let chars = folded[..at].chars().count();
    text.char_indices()
        .nth(chars)
        .map_or(text.len(), |(i, _)| i)
}

/// The line (between line breaks and separators) of `text` holding the cue at `at` of `folded`.
fn line_at(text: &str, folded: &str, at: usize) -> String {
    let at = original_offset(text, folded, at);
    let start = text[..at].rfind(['\n', '·', '|', ';']).map_or(0, |i| {
        i + text[i..].chars().next().map_or(1, char::len_utf8)
    });
    let end = text[at..]
        .find(['\n', '·', '|', ';'])
        .map_or(text.len(), |i| at + i);
    crate::crawl::collapse(text[start..end].trim())
}

/// The organisation's name around a cue word: the capitalised words before the word on its
/// line, the word, and what follows up to a comma, a figure or the end of the line
/// ("Zuständige Kammer: Landesärztekammer Baden-Württemberg, Jahnstraße 40" → "Landesärztekammer
/// Baden-Württemberg"; "können Sie die Schlichtungsstelle Energie e. V., Friedrichstraße" →
/// "Schlichtungsstelle Energie e. V."). A comma followed by a legal form stays ("GitHub, Inc.").
fn name_around(text: &str, folded: &str, at: usize, rules: &Rules) -> Option<String> {
    const STOPS: &[char] = &['\n', ':', '(', ')', '·', '|', ';', '•', '–'];
    let at = original_offset(text, folded, at);
    let word_start = text[..at]
        .char_indices()
        .rev()
        .take_while(|(_, c)| c.is_alphanumeric() || *c == '-')
        .last()
        .map_or(at, |(i, _)| i);
    let line_start = text[..word_start].rfind(STOPS).map_or(0, |i| {
        i + text[i..].chars().next().map_or(1, char::len_utf8)
    });
    // "Bayerisches Landesamt für Datenschutzaufsicht (BayLDA)", "Studio Pixelbrique – agence
    // web": the cue is a short form or a description after the name; the name stands before.
    let lead = text[..word_start].trim_end();
    if let Some(mark) = lead
        .strip_suffix('(')
        .or_else(|| lead.strip_suffix('–'))
        .or_else(|| lead.strip_suffix(" -"))
    {
        let from = mark.rfind(STOPS).map_or(0, |i| {
            i + mark[i..].chars().next().map_or(1, char::len_utf8)
        });
        let before = mark[from..].trim();
        let before = before.rsplit_once(':').map_or(before, |(_, b)| b.trim());
        if before.chars().next().is_some_and(char::is_uppercase)
            && before.split_whitespace().count() <= 8
            && !before.bytes().any(|b| b.is_ascii_digit())
        {
            let name: String = crate::crawl::collapse(before).chars().take(80).collect();
            if name.chars().filter(|c| c.is_alphabetic()).count() >= 3 {
                return Some(name);
            }
        }
    }
    let mut front: Vec<&str> = Vec::new();
    for word in text[line_start..word_start].split_whitespace().rev() {
        let capital = word.chars().next().is_some_and(char::is_uppercase);
        if front.len() >= 4 || !capital || word.ends_with([',', '.']) {
            break;
        }
        front.push(word);
    }
    front.reverse();
    let mut rest = &text[word_start..];
    let mut end = rest
        .find(|c: char| STOPS.contains(&c) || c.is_ascii_digit())
        .unwrap_or(rest.len());
    // "Fotos: Fotostudio Lichtblick, Landshut": the cue is a label; the name follows it. But a
    // name of several words before one word is the organisation and its division ("Ombudsman
    // Services: Communications"): both stay.
    let division = |after: &str| {
        let word_end = after
            .find(|c: char| STOPS.contains(&c) || c.is_ascii_digit() || c == ',')
            .unwrap_or(after.len());
        rest[..end].split_whitespace().count() >= 2
            && after[..word_end].split_whitespace().count() == 1
    };
    if rest[end..].starts_with(':') && rest[..end].split_whitespace().count() <= 3 {
        let after = rest[end + 1..].trim_start();
        if after.chars().next().is_some_and(char::is_uppercase) && division(after) {
            let word_end = after
                .find(|c: char| STOPS.contains(&c) || c.is_ascii_digit() || c == ',')
                .unwrap_or(after.len());
            let name = format!("{}: {}", rest[..end].trim(), after[..word_end].trim());
            return Some(crate::crawl::collapse(&name).chars().take(80).collect());
        }
        if after.chars().next().is_some_and(char::is_uppercase) {
            front.clear();
            rest = after;
            end = rest
                .find(|c: char| STOPS.contains(&c) || c.is_ascii_digit())
                .unwrap_or(rest.len());
        }
    }
    let mut parts = rest[..end].split(',');
    let mut kept = parts.next().unwrap_or("").trim().to_owned();
    for part in parts {
        let part = part.trim();
        let legal_form = part.chars().count() <= 16
            && rules
                .owners
                .legal_forms
                .words
                .iter()
                .any(|w| *w == fold(part));
        if !legal_form {
            break;
        }
        kept.push_str(", ");
        kept.push_str(part);
    }
    let mut name = front.join(" ");
    if !name.is_empty() {
        name.push(' ');
    }
    name.push_str(kept.trim().trim_end_matches([',', '-', '–']).trim());
    let name: String = crate::crawl::collapse(&name).chars().take(80).collect();
    (name.chars().filter(|c| c.is_alphabetic()).count() >= 3).then_some(name)
}

/// The first line of the first block under heading `h`, when it reads like a name (no digits,
/// no address): "Landesärztekammer Hessen" under "Zuständige Kammer".
fn first_line_name(blocks: &[Block], h: usize) -> Option<String> {
    let next = blocks.get(h + 1)?;
    if next.heading != Some(h) {
        return None;
    }
    let line = next.text.lines().next()?.trim();
    let line = line.split([',', '·', '|']).next()?.trim();
    (!line.is_empty()
        && line.chars().count() <= 80
        && !line.contains('@')
        && !line.bytes().any(|b| b.is_ascii_digit())
        && !line.ends_with(':'))
    .then(|| crate::crawl::collapse(line))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::extract::TestPage;

    /// The hint for the first occurrence of `detail` on a page.
    fn owner_of(html: &str, detail: &str) -> Hint {
        let page = TestPage::new(html, "https://praxis-berger.de/impressum/");
        let blocks = page.blocks();
        let (i, at) = blocks
            .iter()
            .enumerate()
            .find_map(|(i, b)| b.text.find(detail).map(|at| (i, at)))
            .unwrap_or_else(|| panic!("{detail} not on the page"));
        hint(&blocks, i, Some(at), &page.rules)
    }

    fn kind(hint: &Hint) -> Option<OwnerKind> {
        match hint {
            Hint::Third(o) => Some(o.kind),
            _ => None,
        }
    }

    #[test]
    fn a_role_word_inside_a_company_name_is_no_label() {
        // "Medien" labels a press contact, but not inside "Hafenlicht Medien GmbH".
        let html = "<h1>Impressum</h1><p>Kulturhaus am Fluss gGmbH<br>Elbuferweg 7<br>39104 Magdeburg</p>\
                    <h2>Webdesign &amp; Umsetzung</h2><p>Hafenlicht Medien GmbH<br>\
                    Am Handelshafen 9, 39124 Magdeburg<br>Tel. 0391 7235790</p>";
        assert_eq!(
            kind(&owner_of(html, "0391 7235790")),
            Some(OwnerKind::WebAgency)
        );
        assert_eq!(
            kind(&owner_of(html, "Am Handelshafen")),
            Some(OwnerKind::WebAgency)
        );
    }

    #[test]
    fn a_chamber_named_before_its_address() {
        let html = "<h1>Impressum</h1><p>Praxis Dr. Berger<br>Hauptstraße 1<br>70173 Stuttgart<br>\
                    Tel. 0711 123456</p><h2>Berufsrechtliche Angaben</h2>\
                    <p>Zuständige Kammer: Landesärztekammer Baden-Württemberg, Jahnstraße 40, \
                    70597 Stuttgart, Tel. 0711 769890</p>";
        assert_eq!(owner_of(html, "0711 123456"), Hint::Own);
        let h = owner_of(html, "0711 769890");
        assert_eq!(kind(&h), Some(OwnerKind::Chamber));
        let Hint::Third(owner) = h else {
            unreachable!()
        };
        assert_eq!(
            owner.name.as_deref(),
            Some("Landesärztekammer Baden-Württemberg")
        );
    }

    #[test]
    fn a_heading_decides_for_the_blocks_under_it_but_not_for_the_footer() {
        let html = "<main><h2>Zuständige Aufsichtsbehörde</h2>\
                    <p>Kassenärztliche Vereinigung Bayerns</p><p>Elsenheimerstraße 39</p>\
                    <p>80687 München</p><p>Telefon 089 57093-0</p></main>\
                    <footer><p>Praxis Dr. Berger · Tel. 0711 123456</p></footer>";
        let h = owner_of(html, "089 57093-0");
        assert!(kind(&h).is_some(), "{h:?}");
        assert_eq!(owner_of(html, "0711 123456"), Hint::Own);
    }

    #[test]
    fn the_companys_own_words_nearer_than_a_third_party_keep_it_the_companys() {
        let html =
            "<p>Die Schlichtungsstelle nennen wir unten. Unser Kundenservice: 0800 330 1000</p>";
        assert_eq!(owner_of(html, "0800"), Hint::Own);
        let html = "<p>Sie können sich an die Schlichtungsstelle Energie e. V., \
                    Friedrichstraße 133, 10117 Berlin wenden, Tel. 030 2757240-0</p>";
        assert_eq!(
            kind(&owner_of(html, "030 2757240-0")),
            Some(OwnerKind::Arbitration)
        );
    }

    #[test]
    fn hoster_and_web_agency_credits() {
        for html in [
            "<h2>Hosting</h2><p>Wir hosten bei: Strato AG, Otto-Ostrowski-Straße 7, 10249 Berlin</p>",
            "<p>Unser Hoster ist die Strato AG, Otto-Ostrowski-Straße 7, 10249 Berlin.</p>",
        ] {
            assert_eq!(
                kind(&owner_of(html, "Otto-Ostrowski")),
                Some(OwnerKind::Hoster),
                "{html}"
            );
        }
        let html = "<footer><p>Webdesign: Pixelwerk Studio, Tel. 0711 9876543</p></footer>";
        assert_eq!(
            kind(&owner_of(html, "0711 9876543")),
            Some(OwnerKind::WebAgency)
        );
    }

    #[test]
    fn an_organisation_with_a_legal_form_is_named_for_the_site_to_compare() {
        let html = "<p>Hersteller: Miele &amp; Cie. KG, Carl-Miele-Straße 29, 33332 Gütersloh</p>";
        match owner_of(html, "Carl-Miele") {
            Hint::Named(name) => assert_eq!(name, "Miele & Cie. KG"),
            other => panic!("{other:?}"),
        }
        let html = "<p>Für Anschlüsse ist das Team der Stadtwerke Musterstadt Netz GmbH zuständig.</p>\
                    <p>Telefon: 05141 709-450</p>";
        assert_eq!(
            owner_of(html, "05141"),
            Hint::Own,
            "a name in another block is no tie"
        );
        let html = "<p>Gehostet von GitHub, Inc., 88 Colin P Kelly Jr St, San Francisco</p>";
        match owner_of(html, "88 Colin") {
            Hint::Named(name) => assert_eq!(name, "GitHub, Inc."),
            Hint::Third(owner) => assert_eq!(owner.kind, OwnerKind::Hoster),
            other => panic!("{other:?}"),
        }
    }
}
