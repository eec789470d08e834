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
use crate::model::{ChannelKind, Mode};
use crate::rules::{ChatCues, Rules, VendorKind};

/// What the vendor scan of one page found.
#[derive(Debug, Default)]
pub(super) struct Widgets {
    /// Channels offered by embedded products.
    pub observations: Vec<Observation>,
    /// Ids of CAPTCHA products on the page.
    pub captchas: Vec<String>,
}

/// Where a vendor was seen on the page, for its evidence.
#[derive(Debug, Clone)]
struct Trace {
    what: &'static str,
    detail: String,
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
    // Vendor index → first trace; per-link vendors also collect each distinct link.
    let mut hits: BTreeMap<usize, Trace> = BTreeMap::new();
    let mut links: BTreeMap<usize, Vec<(String, String, Option<usize>)>> = BTreeMap::new();
    let mut inline = String::new();
    let hit = |hits: &mut BTreeMap<usize, Trace>,
               owners: &[usize],
               matches: regex::SetMatches,
               what: &'static str,
               detail: &str| {
        for i in matches.iter() {
            hits.entry(owners[i]).or_insert_with(|| Trace {
                what,
                detail: detail.chars().take(120).collect(),
            });
        }
    };
    for node in view.document.tree.nodes() {
        match node.value() {
            Node::Element(e) => {
                let absolute = |attr: &str| -> Option<String> {
                    let raw = e.attr(attr)?.trim();
                    if raw.is_empty() {
                        return None;
                    }
                    Some(
                        view.url
                            .join(raw)
                            .map_or_else(|_| raw.to_owned(), |u| u.to_string()),
                    )
                };
                match e.name() {
                    "script" => {
                        if let Some(src) = absolute("src") {
                            let (set, owners) = &vendors.script_src;
                            hit(&mut hits, owners, set.matches(&src), "script", &src);
                        }
                    }
                    "iframe" => {
                        for attr in ["src", "data-src"] {
                            if let Some(src) = absolute(attr) {
                                let (set, owners) = &vendors.iframe_src;
                                hit(&mut hits, owners, set.matches(&src), "iframe", &src);
                            }
                        }
                    }
                    "a" | "area" => {
                        let hidden = is_hidden(e)
                            || silenced.contains(&node.id())
                            || node
                                .ancestors()
                                .any(|a| a.value().as_element().is_some_and(is_hidden));
                        if let (Some(href), false) = (absolute("href"), hidden) {
                            let (set, owners) = &vendors.links;
                            for i in set.matches(&href).iter() {
                                let owner = owners[i];
                                let text: String = scraper::ElementRef::wrap(node)
                                    .map(|a| crate::crawl::collapse(&a.text().collect::<String>()))
                                    .unwrap_or_default();
                                let list = links.entry(owner).or_default();
                                if !list.iter().any(|(h, _, _)| *h == href) {
                                    list.push((
                                        href.clone(),
                                        text,
                                        block_of.get(&node.id()).copied(),
                                    ));
                                }
                                hits.entry(owner).or_insert_with(|| Trace {
                                    what: "link",
                                    detail: href.clone(),
                                });
                            }
                        }
                    }
                    _ => {}
                }
            }
            Node::Text(t) => {
                let in_code = node
                    .parent()
                    .and_then(|p| p.value().as_element())
                    .is_some_and(|p| {
                        (p.name() == "script" && p.attr("src").is_none()) || p.name() == "noscript"
                    });
                if in_code {
                    inline.push_str(t);
                    inline.push('\n');
                }
            }
            Node::Comment(c) => {
                inline.push_str(c);
                inline.push('\n');
            }
            _ => {}
        }
    }
    if !inline.is_empty() {
        let (set, owners) = &vendors.inline;
        for i in set.matches(&inline).iter() {
            let owner = owners[i];
            if hits.contains_key(&owner) {
                continue;
            }
            let detail = vendors.list[owner]
                .inline_snippet(&inline)
                .unwrap_or_else(|| "inline snippet".to_owned());
            hits.insert(
                owner,
                Trace {
                    what: "inline",
                    detail,
                },
            );
        }
    }
    if let Some(any) = &vendors.dom_any {
        for element in view.document.select(any) {
            for (index, vendor) in vendors.list.iter().enumerate() {
                if !hits.contains_key(&index) && vendor.dom.iter().any(|s| s.matches(&element)) {
                    hits.insert(
                        index,
                        Trace {
                            what: "element",
                            detail: format!("<{}>", element.value().name()),
                        },
                    );
                }
            }
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
        if vendor.kind == VendorKind::Captcha {
            out.captchas.push(vendor.id.clone());
            continue;
        }
        let Some(kind) = vendor.kind.channel() else {
            continue;
        };
        let (mode, handoff) = if kind == ChannelKind::Chat {
            let said = *said.get_or_init(|| cues_in(page_text_lower, &rules.chat));
            (refine(vendor.mode, said), said.handoff)
        } else {
            (vendor.mode, false)
        };
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
                out.observations.push(obs);
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
