//! Embedded products — chat, bots, messengers, callback, video, booking, form services, social
//! profiles, CAPTCHAs — recognised from `rules/vendors/` by the traces their embed code leaves in
//! static HTML: script and iframe sources, inline snippets, comments, links and DOM patterns.
//!
//! A match says a product is embedded, not who answers: the vendor's default mode is refined by
//! what the page itself says (`rules/cues/chat.toml`), and a chat whose answerer is not stated
//! keeps the vendor's default, which is never `human` for products that put bots first.

use std::collections::{BTreeMap, HashMap};

use ego_tree::NodeId;
use scraper::Node;
use url::Url;

use super::Observation;
use super::text::is_hidden;
use crate::crawl::PageView;
use crate::crawl::classify::starts_word;
use crate::model::{ChannelKind, Evidence, Mode, WidgetNote, WidgetState};
use crate::rules::{ChatCues, Rules, ScriptRuns, VendorKind};

/// What the vendor scan of one page found.
#[derive(Debug, Default)]
pub(super) struct Widgets {
    /// Channels offered by embedded products.
    pub observations: Vec<Observation>,
    /// Ids of CAPTCHA products on the page.
    pub captchas: Vec<String>,
    /// Embedded products that are not channels (switched off, retired, possible).
    pub notes: Vec<WidgetNote>,
}

/// Where a vendor was seen on the page, for its evidence.
#[derive(Debug, Clone)]
struct Trace {
    what: &'static str,
    detail: String,
    state: Runs,
}

/// Whether the code a vendor was seen in can run. Ordered: a vendor seen both in a comment and
/// in a live script is live.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Runs {
    /// In an HTML comment, or a script type no browser runs and no consent manager enables.
    No,
    /// Held back by the consent manager (index into the vendors) until the visitor agrees.
    AfterConsent(usize),
    /// Runs (now, after the first interaction, or as the page's own data).
    Yes,
}

impl Runs {
    fn rank(self) -> u8 {
        match self {
            Self::No => 0,
            Self::AfterConsent(_) => 1,
            Self::Yes => 2,
        }
    }
}

/// Records a vendor sighting, keeping the one whose code can run best.
fn note_hit(hits: &mut BTreeMap<usize, Trace>, owner: usize, trace: impl FnOnce() -> Trace) {
    match hits.get(&owner) {
        Some(t) if t.state.rank() >= Runs::Yes.rank() => {}
        Some(t) => {
            let new = trace();
            if new.state.rank() > t.state.rank() {
                hits.insert(owner, new);
            }
        }
        None => {
            hits.insert(owner, trace());
        }
    }
}

/// Every URL a script element names: `src`, and the attributes that delay and consent tools
/// move it to (`data-src`, `data-rocket-src`, `data-cmp-src`, `consent-original-src-_`).
fn script_urls<'a>(e: &'a scraper::node::Element) -> impl Iterator<Item = &'a str> + 'a {
    e.attrs()
        .filter(|(name, _)| name.contains("src") && !name.contains("srcset"))
        .map(|(_, v)| v.trim())
        .filter(|v| v.starts_with("http://") || v.starts_with("https://") || v.starts_with('/'))
}

/// The `src` values of tags written inside a comment.
fn urls_in_code(text: &str) -> impl Iterator<Item = &str> {
    text.match_indices("src=").filter_map(|(at, _)| {
        let rest = &text[at + 4..];
        let quote = rest.chars().next().filter(|c| *c == '"' || *c == '\'')?;
        let rest = &rest[1..];
        rest.find(quote).map(|end| rest[..end].trim())
    })
}

/// Scans one page for every vendor of the rules.
pub(super) fn observe(
    view: &PageView<'_>,
    block_of: &HashMap<NodeId, usize>,
    silenced: &std::collections::HashSet<NodeId>,
    rules: &Rules,
    page_text_lower: &str,
) -> Widgets {
    let vendors = &rules.vendors;
    // Vendor index → best trace, apart for the vendor's code (scripts, inline code, comments)
    // and what stands on its own or waits for that code (links, iframes, noscript fallbacks,
    // elements); per-link vendors also collect each distinct link.
    let mut code: BTreeMap<usize, Trace> = BTreeMap::new();
    let mut other: BTreeMap<usize, Trace> = BTreeMap::new();
    let mut links: BTreeMap<usize, Vec<(String, String, Option<usize>)>> = BTreeMap::new();
    // Inline code by whether it can run: live, held back by a consent manager, switched off.
    let mut inline: BTreeMap<Runs, String> = BTreeMap::new();
    // The fallback for visitors without JavaScript: a link there works without any script.
    let mut noscript = String::new();
    // Comments: a commented-out snippet, or only the marker a vendor puts around live code.
    let mut comments = String::new();
    let join = |raw: &str| -> String {
        view.url
            .join(raw)
            .map_or_else(|_| raw.to_owned(), |u| u.to_string())
    };
    let url_hits = |hits: &mut BTreeMap<usize, Trace>,
                    (set, owners): &(regex::RegexSet, Vec<usize>),
                    url: &str,
                    what: &'static str,
                    state: Runs| {
        let trace = || Trace {
            what,
            detail: url.chars().take(120).collect(),
            state,
        };
        for i in set.matches(url).iter() {
            note_hit(hits, owners[i], trace);
        }
        for owner in vendors.by_host(url) {
            note_hit(hits, owner, trace);
        }
    };
    // A consent manager's mark decides first: some keep a type that runs and block the script
    // while it loads (CookieYes), others hold it back as a template (Borlabs).
    let script_state = |node: ego_tree::NodeRef<'_, Node>, e: &scraper::node::Element| -> Runs {
        let consent = scraper::ElementRef::wrap(node).and_then(|el| vendors.consent_for(&el));
        match consent {
            Some(cmp) => Runs::AfterConsent(cmp),
            None if rules.scripts.runs(e.attr("type")) == ScriptRuns::Yes => Runs::Yes,
            None => Runs::No,
        }
    };
    for node in view.document.tree.nodes() {
        match node.value() {
            Node::Element(e) => match e.name() {
                "script" => {
                    let state = script_state(node, e);
                    for raw in script_urls(e) {
                        url_hits(&mut code, &vendors.script_src, &join(raw), "script", state);
                    }
                    if e.attr("src").is_none() {
                        let code = inline.entry(state).or_default();
                        // Real Cookie Banner keeps a held-back inline script in an attribute.
                        if let Some(held) = e.attr("consent-inline") {
                            code.push_str(held);
                            code.push('\n');
                        }
                        for child in node.children() {
                            if let Node::Text(t) = child.value() {
                                code.push_str(t);
                            }
                        }
                        code.push('\n');
                    }
                }
                "iframe" => {
                    for attr in ["src", "data-src"] {
                        if let Some(raw) = e.attr(attr).map(str::trim).filter(|r| !r.is_empty()) {
                            url_hits(
                                &mut other,
                                &vendors.iframe_src,
                                &join(raw),
                                "iframe",
                                Runs::Yes,
                            );
                        }
                    }
                }
                "a" | "area" => {
                    let hidden = is_hidden(e)
                        || silenced.contains(&node.id())
                        || node
                            .ancestors()
                            .any(|a| a.value().as_element().is_some_and(is_hidden));
                    let href = e.attr("href").map(str::trim).filter(|r| !r.is_empty());
                    if let (Some(raw), false) = (href, hidden) {
                        let href = join(raw);
                        let (set, owners) = &vendors.links;
                        for i in set.matches(&href).iter() {
                            let owner = owners[i];
                            let text: String = scraper::ElementRef::wrap(node)
                                .map(|a| crate::crawl::collapse(&a.text().collect::<String>()))
                                .unwrap_or_default();
                            let list = links.entry(owner).or_default();
                            if !list.iter().any(|(h, _, _)| *h == href) {
                                list.push((href.clone(), text, block_of.get(&node.id()).copied()));
                            }
                            note_hit(&mut other, owner, || Trace {
                                what: "link",
                                detail: href.clone(),
                                state: Runs::Yes,
                            });
                        }
                    }
                }
                _ => {}
            },
            Node::Text(t) => {
                let in_noscript = node
                    .parent()
                    .and_then(|p| p.value().as_element())
                    .is_some_and(|p| p.name() == "noscript");
                if in_noscript {
                    noscript.push_str(t);
                    noscript.push('\n');
                }
            }
            Node::Comment(c) => {
                // Code in a comment is a snippet switched off; words alone are the marker a
                // vendor puts around live code.
                if c.to_ascii_lowercase().contains("<script") {
                    for url in urls_in_code(c) {
                        url_hits(
                            &mut code,
                            &vendors.script_src,
                            &join(url),
                            "commented",
                            Runs::No,
                        );
                    }
                    inline.entry(Runs::No).or_default().push_str(c);
                    inline.entry(Runs::No).or_default().push('\n');
                } else {
                    comments.push_str(c);
                    comments.push('\n');
                }
            }
            _ => {}
        }
    }
    // What the browser saw: every request the page made proves the code behind it ran, and a
    // vendor's global defined by the page's scripts proves its loader.
    if let Some(rendered) = &view.rendered {
        for request in rendered.requests {
            url_hits(
                &mut code,
                &vendors.script_src,
                &request.url,
                "request",
                Runs::Yes,
            );
            let (set, owners) = &vendors.iframe_src;
            for i in set.matches(&request.url).iter() {
                note_hit(&mut code, owners[i], || Trace {
                    what: "request",
                    detail: request.url.chars().take(120).collect(),
                    state: Runs::Yes,
                });
            }
        }
        for global in rendered.globals {
            for (index, vendor) in vendors.list.iter().enumerate() {
                if vendor.globals.iter().any(|g| g == global) {
                    note_hit(&mut code, index, || Trace {
                        what: "global",
                        detail: format!("window.{global}"),
                        state: Runs::Yes,
                    });
                }
            }
        }
    }
    // Live code first, so a vendor seen both live and switched off is live.
    let (set, owners) = &vendors.inline;
    for (state, text) in inline.iter().rev() {
        for i in set.matches(text).iter() {
            let owner = owners[i];
            note_hit(&mut code, owner, || Trace {
                what: "inline",
                detail: vendors.list[owner]
                    .inline_snippet(text)
                    .unwrap_or_else(|| "inline snippet".to_owned()),
                state: *state,
            });
        }
    }
    for i in set.matches(&comments).iter() {
        let owner = owners[i];
        note_hit(&mut code, owner, || Trace {
            what: "comment",
            detail: vendors.list[owner]
                .inline_snippet(&comments)
                .unwrap_or_else(|| "HTML comment".to_owned()),
            state: Runs::No,
        });
    }
    for i in set.matches(&noscript).iter() {
        let owner = owners[i];
        note_hit(&mut other, owner, || Trace {
            what: "noscript",
            detail: vendors.list[owner]
                .inline_snippet(&noscript)
                .unwrap_or_else(|| "noscript fallback".to_owned()),
            state: Runs::Yes,
        });
    }
    if let Some(any) = &vendors.dom_any {
        for element in view.document.select(any) {
            let is_script = element.value().name() == "script";
            let state = if is_script {
                script_state(*element, element.value())
            } else {
                Runs::Yes
            };
            for (index, vendor) in vendors.list.iter().enumerate() {
                if vendor.kind != VendorKind::Consent
                    && vendor.dom.iter().any(|s| s.matches(&element))
                {
                    let trace = || Trace {
                        what: "element",
                        detail: format!("<{}>", element.value().name()),
                        state,
                    };
                    if is_script {
                        note_hit(&mut code, index, trace);
                    } else {
                        note_hit(&mut other, index, trace);
                    }
                }
            }
        }
    }
    // The vendor's code decides whether its widget can show: an element the loader would fill
    // is empty when the loader is switched off. A link, an iframe or a noscript fallback works
    // on its own.
    let mut hits = code;
    for (index, trace) in other {
        match hits.get(&index) {
            None => {
                hits.insert(index, trace);
            }
            // A marker comment says nothing against the elements it surrounds.
            Some(t) if t.state == Runs::No && (trace.what != "element" || t.what == "comment") => {
                hits.insert(index, trace);
            }
            Some(_) => {}
        }
    }

    let mut out = Widgets::default();
    // What the page says about its chat, read once for every vendor found on it.
    let said = std::cell::OnceCell::new();
    for (index, trace) in hits {
        let vendor = &vendors.list[index];
        if vendor
            .not_if
            .iter()
            .any(|s| view.document.select(s).next().is_some())
        {
            continue;
        }
        if vendor.kind == VendorKind::Consent {
            continue;
        }
        let note = |state: WidgetState, message: String| WidgetNote {
            vendor: vendor.id.clone(),
            name: vendor.name.clone(),
            state,
            message,
            evidence: vec![Evidence {
                url: view.url.to_string(),
                source: format!("vendor_{}", trace.what),
                snippet: trace.detail.clone(),
            }],
        };
        if let Some(day) = &vendor.retired {
            out.notes.push(note(
                WidgetState::Retired,
                format!(
                    "{} was shut down on {day}; its snippet shows nothing",
                    vendor.name
                ),
            ));
            continue;
        }
        if trace.state == Runs::No {
            let how = match trace.what {
                "commented" => "its snippet is commented out",
                "script" | "element" => {
                    "its script has a type no browser runs, and no consent manager switches it on"
                }
                _ => "its snippet is switched off: commented out, or a script type no browser runs",
            };
            out.notes.push(note(
                WidgetState::Disabled,
                format!("{}: {how}", vendor.name),
            ));
            continue;
        }
        if vendor.kind == VendorKind::Captcha {
            out.captchas.push(vendor.id.clone());
            continue;
        }
        if vendor.possible {
            out.notes.push(note(
                WidgetState::Possible,
                format!(
                    "{}: the loader shows a chat only if the account switched it on; not counted unless a browser shows the chat",
                    vendor.name
                ),
            ));
            continue;
        }
        let consent = match trace.state {
            Runs::AfterConsent(cmp) => Some(vendors.list[cmp].name.clone()),
            _ => None,
        };
        let Some(kind) = vendor.kind.channel() else {
            continue;
        };
        let (mode, handoff) = if kind == ChannelKind::Chat {
            let said = *said.get_or_init(|| cues_in(page_text_lower, &rules.chat));
            (refine(vendor.mode, said), said.handoff)
        } else {
            (vendor.mode, false)
        };
        // A chat button's settings name the number it opens: each is a channel of its own.
        let opened = opened_numbers(
            vendor,
            view,
            inline.get(&Runs::Yes).map_or("", String::as_str),
        );
        if !opened.is_empty() {
            for (url, shown) in opened {
                let mut obs = Observation::new(
                    kind,
                    format!("{} {}", vendor.name, url.trim_start_matches("https://")),
                    view,
                    "vendor_settings",
                    &shown,
                );
                obs.channel.vendor = Some(vendor.id.clone());
                obs.channel.url = Some(url);
                obs.channel.mode = mode;
                obs.channel.blocked_until_consent.clone_from(&consent);
                out.observations.push(obs);
            }
            continue;
        }
        let per_link = matches!(
            vendor.kind,
            VendorKind::Messenger | VendorKind::Social | VendorKind::Appointment
        );
        match links.get(&index) {
            Some(list) if per_link => {
                for (href, text, block) in list {
                    let shown = href
                        .trim_start_matches("https://")
                        .trim_start_matches("http://")
                        .trim_end_matches('/');
                    let mut obs = Observation::new(
                        kind,
                        format!("{} {shown}", vendor.name),
                        view,
                        "link",
                        &format!("{text} → {href}"),
                    );
                    obs.channel.vendor = Some(vendor.id.clone());
                    obs.channel.url = Some(normalize_link(href));
                    obs.channel.mode = mode;
                    obs.channel.handoff = handoff;
                    obs.channel.blocked_until_consent.clone_from(&consent);
                    obs.block = *block;
                    out.observations.push(obs);
                }
            }
            _ => {
                let mut obs = Observation::new(
                    kind,
                    vendor.name.clone(),
                    view,
                    &format!("vendor_{}", trace.what),
                    &trace.detail,
                );
                obs.channel.vendor = Some(vendor.id.clone());
                obs.channel.mode = mode;
                obs.channel.handoff = handoff;
                obs.channel.blocked_until_consent = consent;
                out.observations.push(obs);
            }
        }
    }
    out
}

/// The links a widget's settings open (`https://wa.me/4915…`), with the setting as evidence,
/// read from live inline code and from the attributes of the vendor's own elements.
fn opened_numbers(
    vendor: &crate::rules::Vendor,
    view: &PageView<'_>,
    code: &str,
) -> Vec<(String, String)> {
    let Some(template) = &vendor.opens_url else {
        return Vec::new();
    };
    let mut settings = String::new();
    for selector in &vendor.dom {
        for element in view.document.select(selector) {
            for (name, value) in element.value().attrs() {
                settings.push_str(name);
                settings.push_str("=\"");
                settings.push_str(value);
                settings.push_str("\"\n");
            }
        }
    }
    let mut out: Vec<(String, String)> = Vec::new();
    for text in [settings.as_str(), code] {
        for pattern in &vendor.opens {
            for caps in pattern.captures_iter(text) {
                let (Some(whole), Some(id)) = (caps.get(0), caps.name("id")) else {
                    continue;
                };
                let digits: String = id.as_str().chars().filter(char::is_ascii_digit).collect();
                if digits.len() < 6 {
                    continue;
                }
                let url = template.replace("{id}", &digits);
                if !out.iter().any(|(u, _)| *u == url) {
                    out.push((url, whole.as_str().chars().take(120).collect()));
                }
            }
        }
    }
    out
}

/// Links that differ only in tracking parameters or a fragment are one channel.
pub(super) fn normalize_link(href: &str) -> String {
    let Ok(mut url) = Url::parse(href) else {
        return href.to_owned();
    };
    let tracking = |k: &str| k.starts_with("utm_") || k == "fbclid" || k == "gclid";
    // Rewritten only when there is something to drop: re-serialising would turn "?call" into
    // "?call=".
    if url.query_pairs().any(|(k, _)| tracking(&k)) {
        let kept: Vec<(String, String)> = url
            .query_pairs()
            .filter(|(k, _)| !tracking(k))
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        if kept.is_empty() {
            url.set_query(None);
        } else {
            url.query_pairs_mut().clear().extend_pairs(kept);
        }
    }
    // A fragment on a bare host is the address itself ("twitter.com/#!/name",
    // "signal.me/#p/+49…"); elsewhere it is a place on the page.
    if !matches!(url.path(), "" | "/") {
        url.set_fragment(None);
    }
    url.to_string()
}

/// Which chat cues a page's text carries.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct ChatSignals {
    pub bot: bool,
    pub human: bool,
    pub handoff: bool,
}

pub(super) fn cues_in(text_lower: &str, cues: &ChatCues) -> ChatSignals {
    let any = |words: &[String]| words.iter().any(|w| starts_word(text_lower, w));
    ChatSignals {
        bot: any(&cues.bot),
        human: any(&cues.human),
        handoff: any(&cues.handoff),
    }
}

/// The mode of a chat from its vendor's default and what the page says. A stated bot with a
/// stated way to people is hybrid; a human-first product with a disclosed bot is hybrid; a bot
/// product promising people is hybrid (the bot still answers first); nothing stated keeps the
/// default, so an AI-first product never becomes `human` on silence.
pub(super) fn refine(default: Mode, s: ChatSignals) -> Mode {
    match (s.bot, s.human || s.handoff) {
        (true, true) => Mode::Hybrid,
        (true, false) => match default {
            Mode::Human | Mode::Hybrid => Mode::Hybrid,
            Mode::Bot | Mode::Unknown => Mode::Bot,
        },
        (false, true) => match default {
            Mode::Bot => Mode::Hybrid,
            Mode::Hybrid if !s.human => Mode::Hybrid,
            Mode::Unknown if !s.human => Mode::Hybrid,
            _ => Mode::Human,
        },
        (false, false) => default,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mode_refinement_never_guesses_human_on_silence() {
        let none = ChatSignals::default();
        let bot = ChatSignals { bot: true, ..none };
        let human = ChatSignals {
            human: true,
            ..none
        };
        let handoff = ChatSignals {
            handoff: true,
            ..none
        };
        assert_eq!(refine(Mode::Hybrid, none), Mode::Hybrid);
        assert_eq!(refine(Mode::Unknown, none), Mode::Unknown);
        assert_eq!(refine(Mode::Human, bot), Mode::Hybrid);
        assert_eq!(refine(Mode::Unknown, bot), Mode::Bot);
        assert_eq!(refine(Mode::Bot, human), Mode::Hybrid);
        assert_eq!(refine(Mode::Hybrid, human), Mode::Human);
        assert_eq!(refine(Mode::Unknown, handoff), Mode::Hybrid);
        assert_eq!(
            refine(
                Mode::Human,
                ChatSignals {
                    bot: true,
                    handoff: true,
                    human: false
                }
            ),
            Mode::Hybrid
        );
    }

    #[test]
    fn tracking_parameters_do_not_split_a_link() {
        assert_eq!(
            normalize_link("https://wa.me/4915112345678?utm_source=site#x"),
            "https://wa.me/4915112345678"
        );
        assert_eq!(
            normalize_link("https://api.whatsapp.com/send?phone=49151&utm_medium=x"),
            "https://api.whatsapp.com/send?phone=49151"
        );
    }
}
