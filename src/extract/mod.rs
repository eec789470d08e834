//! The extract stage: one parsed page in, observations out, each with its evidence (page URL,
//! which extractor saw it, the text around it). Pure: no network, no other pages, no law.
//!
//! Each kind of channel has its own extractor; they share the page's visible text blocks
//! ([`text`]) and the label reading ([`labels`]), and all return [`Observation`]s, which the
//! synthesize stage merges across pages.

mod address;
pub mod email;
pub(crate) mod form;
mod hours;
mod labels;
mod link;
mod offers;
mod owner;
pub mod phone;
mod prose;
pub mod signals;
mod structured;
pub mod text;
mod widget;

pub use owner::PageNames;
pub use signals::PageSignal;

use std::collections::HashMap;
use std::time::Instant;

use ego_tree::NodeId;

use crate::crawl::PageView;
use crate::model::{Channel, ChannelKind, Evidence};
use crate::rules::Rules;

/// Longest evidence snippet, in characters.
pub(crate) const SNIPPET_MAX: usize = 160;

/// One sighting of a channel on one page: the channel as this page shows it (without clicks),
/// and where it was seen.
#[derive(Debug, Clone, PartialEq)]
pub struct Observation {
    /// The channel as seen here.
    pub channel: Channel,
    /// Where it was seen.
    pub evidence: Evidence,
    /// The text block it was written in, for attaching hours written next to it.
    pub(crate) block: Option<usize>,
    /// Where in that block it starts (bytes), so the words before it can say whose it is.
    pub(crate) at: Option<usize>,
    /// An organisation name written right before it, for the synthesize stage to compare with
    /// the site's own names.
    pub org: Option<String>,
    /// The owner comes from a number or domain `rules/owners.toml` knows, which no page's
    /// wording outweighs.
    pub known: bool,
    /// Seen on a community page (a forum thread, a guest book): a visitor's unless the company
    /// shows it elsewhere too.
    pub visitor_page: bool,
}

/// Everything extraction found on one page.
#[derive(Debug, Clone, Default)]
pub struct PageFindings {
    /// Channel sightings.
    pub observations: Vec<Observation>,
    /// Page signals (deflection, navigation).
    pub signals: Vec<PageSignal>,
    /// The names the page gives its site.
    pub names: PageNames,
    /// Embedded products that are not channels (switched off, retired, possible).
    pub widget_notes: Vec<crate::model::WidgetNote>,
    /// Extraction stopped at the page budget; the findings are those of the page's start.
    pub cut: bool,
}

impl Observation {
    /// A sighting of a channel of `kind` with `value` on `view`'s page.
    pub(crate) fn new(
        kind: ChannelKind,
        value: impl Into<String>,
        view: &PageView<'_>,
        source: &str,
        snippet: &str,
    ) -> Self {
        Self {
            channel: Channel::new(kind, value),
            evidence: Evidence {
                url: view.url.to_string(),
                source: source.to_owned(),
                snippet: shorten(crate::crawl::collapse(snippet).trim(), SNIPPET_MAX),
            },
            block: None,
            at: None,
            org: None,
            known: false,
            visitor_page: false,
        }
    }
}

/// A number and, when its label names telephone and fax together ("Tel./Fax"), the same number
/// as the other kind too.
pub(crate) fn with_twin(obs: Observation, both: bool) -> Vec<Observation> {
    if !both {
        return vec![obs];
    }
    let mut twin = obs.clone();
    twin.channel.kind = match obs.channel.kind {
        ChannelKind::Fax => ChannelKind::Phone,
        _ => ChannelKind::Fax,
    };
    vec![obs, twin]
}

/// The page source, lower-cased once on first use, to tell addresses a page writes out plainly
/// from those it hides (entities, scripts, `[at]`).
pub(crate) struct Plain<'a> {
    html: &'a str,
    lower: std::cell::OnceCell<String>,
}

impl<'a> Plain<'a> {
    pub(crate) fn new(html: &'a str) -> Self {
        Self {
            html,
            lower: std::cell::OnceCell::new(),
        }
    }

    /// Whether the source writes this (lower-case) address as it is.
    pub(crate) fn writes(&self, address: &str) -> bool {
        self.lower
            .get_or_init(|| self.html.to_lowercase())
            .contains(address)
    }
}

/// What extraction needs besides the page.
#[derive(Debug, Clone, Copy)]
pub struct Context<'a> {
    /// Cue words and labels.
    pub rules: &'a Rules,
    /// `--country`, which beats every guess.
    pub country: Option<&'a str>,
    /// The region the site's domain suggests (`.de` → DE).
    pub site_region: Option<&'a str>,
    /// The language other pages of the site declared, for pages that declare none.
    pub site_lang: Option<&'a str>,
    /// When reading this page must stop (`--page-budget`); `None` reads it whole.
    pub deadline: Option<Instant>,
}

impl Context<'_> {
    /// Whether the page budget is used up: extraction then stops and returns what it found.
    fn spent(&self) -> bool {
        self.deadline.is_some_and(|d| Instant::now() >= d)
    }
}

/// All observations and signals on one page. Past the context's deadline no further kind of
/// detail is looked for; what was found until then is labelled and returned, marked `cut`.
#[must_use]
pub fn page(view: &PageView<'_>, context: &Context<'_>) -> PageFindings {
    let rules = context.rules;
    let region = region_for(context, view.lang.or(context.site_lang));
    let region = region.as_deref();
    let text::PageText { blocks, silenced } = text::read(view.document, &rules.voice);
    let blocks_lower: Vec<String> = blocks.iter().map(|b| b.text.to_lowercase()).collect();
    let page_text_lower = blocks_lower.join("\n");

    // Which text block each link sits in, so hours written next to a link reach its channel.
    let block_of = blocks_of_links(&blocks);
    let plain = Plain::new(view.html);
    let mut out: Vec<Observation>;
    let mut widget_notes = Vec::new();
    let spent = || context.spent();
    // Each kind of detail in turn, while the budget lasts.
    // Whether the budget ran out before every kind was looked for (not merely by the end).
    let cut = 'read: {
        out = link::observe(
            view, &blocks, &block_of, &silenced, &plain, rules, region, &spent,
        );
        if spent() {
            break 'read true;
        }
        out.extend(prose::phones(view, &blocks, rules, region, &spent));
        if spent() {
            break 'read true;
        }
        out.extend(prose::emails(view, &blocks, &plain, rules));
        for (i, block) in blocks.iter().enumerate() {
            if spent() {
                break 'read true;
            }
            if block.text.bytes().any(|b| b.is_ascii_digit()) {
                out.extend(
                    address::in_text(view, &block.text, rules, region)
                        .into_iter()
                        .map(|mut o| {
                            o.block = Some(i);
                            o
                        }),
                );
            }
        }
        out.extend(structured::observe(view, rules, region));
        if spent() {
            break 'read true;
        }
        let mut widgets = widget::observe(view, &block_of, &silenced, rules, &page_text_lower);
        widget_notes = std::mem::take(&mut widgets.notes);
        out.extend(form::observe(
            view,
            rules,
            &widgets.captchas,
            &page_text_lower,
        ));
        // A "Chat starten" button on a page that embeds a chat product is that product, and a
        // "Termin buchen" link to a booking vendor is that vendor's channel: not a second one.
        let offers: Vec<Observation> = offers::observe(view, rules, &page_text_lower)
            .into_iter()
            .filter(|offer| {
                !widgets.observations.iter().any(|w| {
                    w.channel.kind == offer.channel.kind
                        && (w.channel.url.is_none() || w.channel.url == offer.channel.url)
                })
            })
            .collect();
        // A form service recognised by the <form> element itself (Formspree) is that form, which
        // the form extractor already reports with its fields: not a second channel.
        // It keeps the vendor's name.
        for w in widgets.observations {
            let same_form = (w.channel.kind == ChannelKind::ContactForm
                && w.channel.url.is_none()
                && w.evidence.snippet == "<form>")
                .then(|| {
                    out.iter_mut().find(|o| {
                        o.channel.kind == ChannelKind::ContactForm
                            && o.channel.form.is_some()
                            && o.channel.vendor.is_none()
                    })
                })
                .flatten();
            match same_form {
                Some(form) => form.channel.vendor = w.channel.vendor,
                None => out.push(w),
            }
        }
        out.extend(offers);
        if spent() {
            break 'read true;
        }
        out.extend(vendor_texts(view, &blocks, rules));
        let beside = messengers_beside_numbers(&out, &blocks, rules);
        out.extend(beside);
        false
    };
    // What was found is labelled and attributed whatever the budget: each step is linear in the
    // findings, and an unlabelled number would be counted as the company's.
    label_emails(&mut out, &blocks, rules);
    label_from_headings(&mut out, &blocks, rules);
    label_from_mailbox(&mut out, rules);
    owner::attribute(&mut out, &blocks, rules);
    if rules.voice.user_content.page(view.url) {
        for obs in &mut out {
            obs.visitor_page = true;
        }
    }
    attach_hours(&mut out, &blocks, rules);
    PageFindings {
        names: owner::names(view, &blocks, rules),
        observations: out,
        signals: if cut {
            Vec::new()
        } else {
            signals::observe(view, rules, &blocks_lower, &page_text_lower)
        },
        widget_notes,
        cut,
    }
}

/// The text block each link (`<a>`) sits in.
fn blocks_of_links(blocks: &[text::Block]) -> HashMap<NodeId, usize> {
    blocks
        .iter()
        .enumerate()
        .flat_map(|(i, b)| b.anchors.iter().map(move |a| (*a, i)))
        .collect()
}

/// What extractor unit tests need: a parsed page, its view, text and the embedded rules.
#[cfg(test)]
pub(crate) struct TestPage {
    pub(crate) rules: Rules,
    document: scraper::Html,
    url: url::Url,
    html: String,
}

#[cfg(test)]
impl TestPage {
    pub(crate) fn new(html: &str, url: &str) -> Self {
        Self {
            rules: Rules::embedded().expect("embedded rules"),
            document: scraper::Html::parse_document(html),
            url: url::Url::parse(url).expect("test URL"),
            html: html.to_owned(),
        }
    }

    pub(crate) fn view(&self) -> PageView<'_> {
        PageView {
            url: &self.url,
            document: &self.document,
            lang: None,
            html: &self.html,
            rendered: None,
        }
    }

    pub(crate) fn blocks(&self) -> Vec<text::Block> {
        text::read(&self.document, &self.rules.voice).blocks
    }

    pub(crate) fn text_lower(&self) -> String {
        self.blocks()
            .iter()
            .map(|b| b.text.to_lowercase())
            .collect::<Vec<_>>()
            .join("\n")
    }

    pub(crate) fn blocks_of_links(&self) -> HashMap<NodeId, usize> {
        blocks_of_links(&self.blocks())
    }

    pub(crate) fn plain(&self) -> Plain<'_> {
        Plain::new(&self.html)
    }
}

/// Messenger names written in text ("Skype: acme.sales"), by the vendors' `text` patterns.
fn vendor_texts(view: &PageView<'_>, blocks: &[text::Block], rules: &Rules) -> Vec<Observation> {
    let mut out = Vec::new();
    for vendor in rules.vendors.list.iter().filter(|v| !v.text.is_empty()) {
        let (Some(template), Some(kind)) = (&vendor.text_url, vendor.kind.channel()) else {
            continue;
        };
        for (i, block) in blocks.iter().enumerate() {
            for pattern in &vendor.text {
                for caps in pattern.captures_iter(&block.text) {
                    let (Some(whole), Some(id)) = (caps.get(0), caps.name("id")) else {
                        continue;
                    };
                    let url = template.replace("{id}", &id.as_str().to_lowercase());
                    let mut obs = Observation::new(
                        kind,
                        format!("{} {}", vendor.name, id.as_str()),
                        view,
                        "text",
                        whole.as_str(),
                    );
                    obs.channel.vendor = Some(vendor.id.clone());
                    obs.channel.url = Some(url);
                    obs.channel.mode = vendor.mode;
                    obs.block = Some(i);
                    obs.at = Some(whole.start());
                    out.push(obs);
                }
            }
        }
    }
    out
}

/// Characters around a number read for a messenger's name ("Handy oder WhatsApp: …", "… (auch
/// WhatsApp)").
const MESSENGER_NEAR: usize = 32;

/// A messenger named right next to a number reaches it there: its link for that number.
fn messengers_beside_numbers(
    observations: &[Observation],
    blocks: &[text::Block],
    rules: &Rules,
) -> Vec<Observation> {
    let mut out = Vec::new();
    for obs in observations {
        let (Some(phone), Some(i), Some(at)) = (&obs.channel.phone, obs.block, obs.at) else {
            continue;
        };
        if obs.channel.kind != ChannelKind::Phone {
            continue;
        }
        let Some(text) = blocks.get(i).map(|b| b.text.as_str()) else {
            continue;
        };
        if !text.is_char_boundary(at) {
            continue;
        }
        let mut from = at.saturating_sub(4 * MESSENGER_NEAR);
        while !text.is_char_boundary(from) {
            from += 1;
        }
        let before = labels::window(&text[from..at], None);
        let before: String = before
            .chars()
            .rev()
            .take(MESSENGER_NEAR)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        // After the number: up to the next figure, within a few lines of text (a block of ten
        // thousand numbers must not be read to its end for each of them).
        let rest = first_chars(&text[at..], 8 * MESSENGER_NEAR).trim_start_matches(|c: char| {
            c.is_ascii_digit() || c.is_whitespace() || "+-/().\u{a0}".contains(c)
        });
        let segment: String = rest.chars().take_while(|c| !c.is_ascii_digit()).collect();
        // "… Cell. / WhatsApp: 347 …": a name that leads into the next number is that one's label.
        let leads_on = segment.contains(':')
            || (segment.chars().count() <= MESSENGER_NEAR && segment.len() < rest.len());
        let after: String = if leads_on {
            String::new()
        } else {
            segment
                .chars()
                .take(MESSENGER_NEAR)
                .collect::<String>()
                .to_lowercase()
        };
        let digits = phone.e164.trim_start_matches('+');
        for cue in &rules.labels.messengers {
            let named = cue
                .words
                .iter()
                .any(|w| before.contains(w.as_str()) || after.contains(w.as_str()));
            if !named {
                continue;
            }
            let Some(vendor) = rules.vendors.list.iter().find(|v| v.id == cue.vendor) else {
                continue;
            };
            let mut m = obs.clone();
            m.channel = crate::model::Channel::new(
                ChannelKind::Messenger,
                format!("{} {}", vendor.name, phone.e164),
            );
            m.channel.vendor = Some(vendor.id.clone());
            m.channel.url = Some(cue.url.replace("{digits}", digits));
            m.channel.mode = vendor.mode;
            m.evidence.source = "text".into();
            out.push(m);
        }
    }
    out
}

/// What an address is for, from the label written before it ("Datenschutzbeauftragter:
/// dpo@…", "Sales: sales@…"), read as for numbers.
fn label_emails(observations: &mut [Observation], blocks: &[text::Block], rules: &Rules) {
    for obs in observations.iter_mut() {
        if obs.channel.kind != ChannelKind::Email || !obs.channel.labels.is_empty() {
            continue;
        }
        let Some(i) = obs.block.filter(|i| *i < blocks.len()) else {
            continue;
        };
        let text = &blocks[i].text;
        let before = obs
            .at
            .filter(|at| text.is_char_boundary(*at))
            .map_or(text.as_str(), |at| &text[..at]);
        // An address needs no guard against the previous number's label: read its sentence.
        let start = before
            .char_indices()
            .rev()
            .nth(EMAIL_LABEL_WINDOW)
            .map_or(0, |(b, _)| b);
        let previous = i.checked_sub(1).map(|p| blocks[p].text.as_str());
        let window = labels::window(&before[start..], previous);
        let mut roles = labels::read(&window, &rules.labels).roles;
        if roles.is_empty() {
            let sentence = labels::without_number_labels(&before[start..]);
            roles = labels::read(&sentence.to_lowercase(), &rules.labels).roles;
        }
        obs.channel.labels = roles;
    }
}

/// Characters before an address read for its label.
const EMAIL_LABEL_WINDOW: usize = 120;

/// What an address or number without a label of its own is for, from the heading it stands
/// under ("<h2>Sales</h2> … sales@…", "<h2>Kundenservice</h2><p>Telefon: 0512 …"). A label of
/// its own wins: a section heading often names several lines at once.
fn label_from_headings(observations: &mut [Observation], blocks: &[text::Block], rules: &Rules) {
    for obs in observations.iter_mut() {
        if !obs.channel.labels.is_empty()
            || !matches!(obs.channel.kind, ChannelKind::Email | ChannelKind::Phone)
        {
            continue;
        }
        let Some(heading) = obs
            .block
            .and_then(|i| blocks.get(i))
            .and_then(|b| b.heading)
            .and_then(|h| blocks.get(h))
        else {
            continue;
        };
        // The end of a heading names the section; a hostile one may be a whole page long.
        let text = &heading.text;
        let start = text
            .char_indices()
            .rev()
            .nth(labels::WINDOW)
            .map_or(0, |(b, _)| b);
        obs.channel.labels = labels::read(&text[start..].to_lowercase(), &rules.labels).roles;
    }
}

/// What an address with no label at all is for, from its mailbox name ("privacy@", "presse@",
/// "jobs@"): the role mailboxes RFC 2142 describes, as `rules/cues/labels.toml` lists them.
fn label_from_mailbox(observations: &mut [Observation], rules: &Rules) {
    for obs in observations.iter_mut() {
        if !obs.channel.labels.is_empty() || obs.channel.kind != ChannelKind::Email {
            continue;
        }
        let Some(info) = &obs.channel.email else {
            continue;
        };
        let local = info.address.split('@').next().unwrap_or("").to_lowercase();
        let parts: Vec<&str> = std::iter::once(local.as_str())
            .chain(local.split(['.', '-', '_']))
            .collect();
        obs.channel.labels = rules
            .labels
            .roles
            .iter()
            .filter(|r| r.mailboxes.iter().any(|m| parts.contains(&m.as_str())))
            .map(|r| r.role.clone())
            .collect();
    }
}

/// Hours written in a channel's own block, else in the block after it, else the one before.
fn attach_hours(observations: &mut [Observation], blocks: &[text::Block], rules: &Rules) {
    let mut cache: Vec<Option<Vec<String>>> = vec![None; blocks.len()];
    let mut hours_of = |i: usize| -> Vec<String> {
        cache[i]
            .get_or_insert_with(|| hours::in_text(&blocks[i].text, &rules.hours))
            .clone()
    };
    // An embedded chat sits in no text block; its hours are those of the block that talks about
    // the chat ("Live-Chat mit unseren Mitarbeitern, Mo–Fr 8–20 Uhr").
    let chat_block = (0..blocks.len())
        .find(|&i| blocks[i].text.to_lowercase().contains("chat") && !hours_of(i).is_empty());
    for obs in observations.iter_mut() {
        if obs.block.is_none() && obs.channel.kind == ChannelKind::Chat {
            obs.block = chat_block;
        }
        let Some(i) = obs.block else { continue };
        if !matches!(
            obs.channel.kind,
            ChannelKind::Phone
                | ChannelKind::Chat
                | ChannelKind::Callback
                | ChannelKind::Video
                | ChannelKind::Messenger
        ) || !obs.channel.hours.is_empty()
        {
            continue;
        }
        // "<dt>Telefon</dt><dd>…</dd><dt>Öffnungszeiten</dt><dd>Mo–Fr …</dd>": past a label.
        let after_label = blocks.get(i + 1).is_some_and(|b| {
            let lower = b.text.to_lowercase();
            lower.chars().count() <= 40
                && rules
                    .hours
                    .labels
                    .iter()
                    .any(|l| lower.contains(l.as_str()))
        });
        let beyond = after_label.then_some(i + 2);
        for j in [Some(i), i.checked_add(1), i.checked_sub(1), beyond]
            .into_iter()
            .flatten()
        {
            if j < blocks.len() {
                let hours = hours_of(j);
                if !hours.is_empty() {
                    obs.channel.hours = hours;
                    break;
                }
            }
        }
    }
}

/// The default region for national phone numbers on a page: `--country`, else the page's
/// `lang` region (`de-CH` → CH), else the domain's country, else the language's main country.
#[must_use]
pub fn region_for(context: &Context<'_>, lang: Option<&str>) -> Option<String> {
    if let Some(country) = context.country {
        return Some(country.to_ascii_uppercase());
    }
    let mut parts = lang.unwrap_or("").split(['-', '_']);
    let language = parts.next().unwrap_or("").to_ascii_lowercase();
    let lang_region = parts
        .find(|p| p.len() == 2 && p.chars().all(|c| c.is_ascii_alphabetic()))
        .map(str::to_ascii_uppercase);
    lang_region
        .or_else(|| context.site_region.map(str::to_owned))
        .or_else(|| {
            // Languages spoken mainly in one country; English and others are ambiguous.
            let region = match language.as_str() {
                "de" => "DE",
                "fr" => "FR",
                "es" => "ES",
                "it" => "IT",
                "nl" => "NL",
                "pl" => "PL",
                "da" => "DK",
                "sv" => "SE",
                "fi" => "FI",
                "cs" => "CZ",
                _ => return None,
            };
            Some(region.to_owned())
        })
}

/// The country a domain suggests: its country-code TLD (`.co.uk` → GB), none for generic TLDs.
#[must_use]
pub fn region_of_site(site: &str) -> Option<String> {
    let host = site.split(':').next().unwrap_or(site);
    let tld = host.rsplit('.').next()?.to_ascii_lowercase();
    match tld.as_str() {
        "uk" => Some("GB".to_owned()),
        "eu" => None,
        t if t.len() == 2 && t.chars().all(|c| c.is_ascii_alphabetic()) && host.contains('.') => {
            Some(t.to_ascii_uppercase())
        }
        _ => None,
    }
}

/// The last `n` characters of `text`, found from its end: a pass that looks only at what stands
/// right before a place must not walk everything before it (that is quadratic on a long block).
pub(crate) fn last_chars(text: &str, n: usize) -> &str {
    match n
        .checked_sub(1)
        .and_then(|k| text.char_indices().rev().nth(k))
    {
        Some((i, _)) => &text[i..],
        None if n == 0 => "",
        None => text,
    }
}

/// The first `n` characters of `text`.
pub(crate) fn first_chars(text: &str, n: usize) -> &str {
    text.char_indices().nth(n).map_or(text, |(i, _)| &text[..i])
}

/// Shortens a snippet to at most `max` characters on a character boundary.
#[must_use]
pub fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let mut out: String = text.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_and_last_characters() {
        assert_eq!(last_chars("Grüße", 3), "üße");
        assert_eq!(last_chars("Grüße", 9), "Grüße");
        assert_eq!(last_chars("Grüße", 0), "");
        assert_eq!(first_chars("Grüße", 3), "Grü");
        assert_eq!(first_chars("Grüße", 9), "Grüße");
    }

    #[test]
    fn region_precedence() {
        let rules = Rules::embedded().unwrap();
        let ctx = |country, site_region| Context {
            rules: &rules,
            country,
            site_region,
            site_lang: None,
            deadline: None,
        };
        assert_eq!(
            region_for(&ctx(Some("at"), Some("DE")), Some("de-CH")).as_deref(),
            Some("AT")
        );
        assert_eq!(
            region_for(&ctx(None, Some("DE")), Some("de-CH")).as_deref(),
            Some("CH")
        );
        assert_eq!(
            region_for(&ctx(None, Some("GB")), Some("en")).as_deref(),
            Some("GB")
        );
        assert_eq!(
            region_for(&ctx(None, None), Some("de")).as_deref(),
            Some("DE")
        );
        assert_eq!(region_for(&ctx(None, None), Some("en")), None);
        assert_eq!(
            region_of_site("northwind-energy.co.uk").as_deref(),
            Some("GB")
        );
        assert_eq!(region_of_site("globex-insurance.com"), None);
        assert_eq!(region_of_site("127.0.0.1:8080"), None);
    }

    #[test]
    fn messengers_and_older_profile_links() {
        let page = TestPage::new(
            "<footer><p>Skype: acme.service · <a href='skype:acme.sales?call'>Skype</a> · \
             <a href='https://signal.me/#p/+4915112345678'>Signal</a> · <a href='weixin://dl/chat?acme'>WeChat</a></p>\
             <p>Handy oder WhatsApp: <a href='tel:+4915112345679'>0151 12345679</a></p>\
             <p><a href='http://twitter.com/#!/acmeshop'>Twitter</a> \
             <a href='https://www.facebook.com/p/ACME-Haushaltswaren-100063123456789/'>Facebook</a></p></footer>",
            "https://acme.de/",
        );
        let rules = &page.rules;
        let found = super::page(
            &page.view(),
            &Context {
                rules,
                country: Some("DE"),
                site_region: None,
                site_lang: None,
                deadline: None,
            },
        );
        let mut got: Vec<String> = found
            .observations
            .iter()
            .filter(|o| matches!(o.channel.kind, ChannelKind::Messenger | ChannelKind::Social))
            .map(|o| {
                format!(
                    "{} {}",
                    o.channel.vendor.as_deref().unwrap_or(""),
                    o.channel.url.as_deref().unwrap_or("")
                )
            })
            .collect();
        got.sort();
        got.dedup();
        assert_eq!(
            got,
            [
                "facebook https://www.facebook.com/p/ACME-Haushaltswaren-100063123456789/",
                "signal https://signal.me/#p/+4915112345678",
                "skype skype:acme.sales?call",
                "skype skype:acme.service",
                "wechat weixin://dl/chat?acme",
                "whatsapp https://wa.me/4915112345679",
                "x-twitter http://twitter.com/#!/acmeshop",
            ]
        );
    }
}
