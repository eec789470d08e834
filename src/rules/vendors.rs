//! Vendor fingerprints (`rules/vendors/*.toml`): which chat, bot, messenger, callback, video,
//! booking, form, social and CAPTCHA products a page embeds, recognised by the traces their embed
//! code leaves in static HTML, with each product's default mode and its public source.
//!
//! Every pattern is compiled once, at load time, into one `RegexSet` per kind of trace (and one
//! selector list for DOM patterns), so a page is scanned once per trace kind however many vendors
//! there are. A pattern that does not compile is a rule-file error with file, line and reason.

use std::path::Path;

use regex::{Regex, RegexSet, RegexSetBuilder};
use scraper::Selector;
use serde::Deserialize;

use super::{RulesError, invalid_at};
use crate::model::{ChannelKind, Mode};

/// What a vendor's product is, as a channel (or not).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VendorKind {
    /// Live chat or chatbot.
    Chat,
    /// WhatsApp, Messenger, Telegram, Apple Messages.
    Messenger,
    /// Callback request.
    Callback,
    /// Video consultation.
    Video,
    /// Appointment booking.
    Appointment,
    /// A contact or ticket form (helpdesk widgets, form services).
    ContactForm,
    /// A social profile.
    Social,
    /// A CAPTCHA: not a channel, but a hurdle in front of a form.
    Captcha,
    /// A consent manager: not a channel, but it tells a widget held back until the visitor
    /// agrees from one switched off for good.
    Consent,
    /// Looks like a channel but is not one (share buttons, tracking code).
    None,
}

impl VendorKind {
    /// The channel kind a match becomes, if any.
    #[must_use]
    pub fn channel(self) -> Option<ChannelKind> {
        match self {
            Self::Chat => Some(ChannelKind::Chat),
            Self::Messenger => Some(ChannelKind::Messenger),
            Self::Callback => Some(ChannelKind::Callback),
            Self::Video => Some(ChannelKind::Video),
            Self::Appointment => Some(ChannelKind::Appointment),
            Self::ContactForm => Some(ChannelKind::ContactForm),
            Self::Social => Some(ChannelKind::Social),
            Self::Captcha | Self::Consent | Self::None => None,
        }
    }
}

/// One vendor entry as written in TOML.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawVendor {
    id: String,
    name: String,
    kind: VendorKind,
    mode: Mode,
    category: Category,
    confidence: u8,
    source: String,
    #[serde(default)]
    note: Option<String>,
    #[serde(default)]
    script_src: Vec<String>,
    #[serde(default)]
    iframe_src: Vec<String>,
    #[serde(default)]
    inline: Vec<String>,
    #[serde(default)]
    links: Vec<String>,
    #[serde(default)]
    text: Vec<String>,
    #[serde(default)]
    text_url: Option<String>,
    #[serde(default)]
    dom: Vec<String>,
    #[serde(default)]
    globals: Vec<String>,
    #[serde(default)]
    not_if: Vec<String>,
    #[serde(default)]
    hosts: Vec<String>,
    #[serde(default)]
    possible: bool,
    #[serde(default)]
    retired: Option<String>,
    #[serde(default)]
    opens: Vec<String>,
    #[serde(default)]
    opens_url: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default)]
    vendor: Vec<RawVendor>,
}

/// The product category of the research note (live chat, AI-first, bot framework, …).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
#[allow(missing_docs)]
pub enum Category {
    LiveChat,
    Hybrid,
    Bot,
    ContactCenter,
    Helpdesk,
    Messaging,
    Callback,
    Video,
    Scheduling,
    Social,
    Captcha,
    FormService,
    Trap,
    Consent,
}

/// A vendor, validated.
#[derive(Debug, Clone)]
pub struct Vendor {
    /// Stable id (`userlike`).
    pub id: String,
    /// Display name.
    pub name: String,
    /// What a match becomes.
    pub kind: VendorKind,
    /// What a visitor reaches by default.
    pub mode: Mode,
    /// Product category.
    pub category: Category,
    /// How sure a match means the product is present (0–100).
    pub confidence: u8,
    /// Public source for the signals and the mode.
    pub source: String,
    /// Caveats.
    pub note: Option<String>,
    /// JS globals the widget defines, for a rendering crawler.
    pub globals: Vec<String>,
    /// Selectors that void a match.
    pub not_if: Vec<Selector>,
    /// The DOM selectors, each alone (for telling which vendor a combined match belongs to).
    pub dom: Vec<Selector>,
    /// The inline patterns, each alone (for quoting the matched snippet as evidence).
    pub inline: Vec<Regex>,
    /// A loader that shows chat only if the account switched it on: "possible chat".
    pub possible: bool,
    /// The day the product was shut down (`2024-05-09`): its snippet renders nothing.
    pub retired: Option<String>,
    /// Patterns on the widget's settings (inline code, and the attributes of its `dom`
    /// elements written as `name="value"`) that capture the number or account it opens, each
    /// with an `id` group: a chat button's WhatsApp number lives there, not in a link.
    pub opens: Vec<Regex>,
    /// The link such a capture stands for, with `{id}` for its digits (`https://wa.me/{id}`).
    pub opens_url: Option<String>,
    /// Patterns of the visible text that name the channel without a link ("Skype: acme.sales"),
    /// each with an `id` group.
    pub text: Vec<Regex>,
    /// The link such a text stands for, with `{id}` for the captured name (`skype:{id}`).
    pub text_url: Option<String>,
}

impl Vendor {
    /// The first stretch of `text` one of this vendor's inline patterns matches.
    #[must_use]
    pub fn inline_snippet(&self, text: &str) -> Option<String> {
        self.inline
            .iter()
            .find_map(|r| r.find(text))
            .map(|m| m.as_str().chars().take(120).collect())
    }
}

/// Unicode word boundaries keep the regex engine off its fast DFA; vendor patterns describe URLs
/// and code, where an ASCII boundary means the same.
fn ascii_boundaries(pattern: &str) -> String {
    pattern.replace(r"\b", r"(?-u:\b)")
}

/// Hosts many unrelated products are served from: owning one proves nothing, so a vendor names
/// such a place with a `script_src` pattern (host and path) instead.
const SHARED_HOSTS: &[&str] = &[
    "amazonaws.com",
    "cloudfront.net",
    "googleapis.com",
    "gstatic.com",
    "google.com",
    "googletagmanager.com",
    "jsdelivr.net",
    "unpkg.com",
    "cloudflare.com",
    "azureedge.net",
    "azurewebsites.net",
    "windows.net",
    "herokuapp.com",
    "appspot.com",
    "github.io",
    "githubusercontent.com",
    "netlify.app",
    "vercel.app",
    "akamaihd.net",
    "akamaized.net",
    "fastly.net",
    "b-cdn.net",
    "facebook.net",
    "facebook.com",
    "microsoft.com",
    "wp.com",
    "wordpress.com",
    "shopify.com",
    "myshopify.com",
    "firebaseapp.com",
    "web.app",
];

/// Whether a vendor's host names a product-specific place (lower-case name with a dot, no
/// scheme, path, port or wildcard, not shared infrastructure).
fn host_problem(host: &str) -> Option<String> {
    let plain = host
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.');
    if !plain || !host.contains('.') || host.starts_with('.') || host.ends_with('.') {
        return Some(format!(
            "host \"{host}\" must be a lower-case host name like \"widget.example.com\" (no scheme, path, port or wildcard)"
        ));
    }
    // A private suffix (`ladesk.com`) is a vendor giving its customers subdomains: its own.
    if psl::suffix(host.as_bytes())
        .is_some_and(|s| s.as_bytes() == host.as_bytes() && s.typ() == Some(psl::Type::Icann))
    {
        return Some(format!(
            "host \"{host}\" is a public suffix, not a vendor's host"
        ));
    }
    SHARED_HOSTS
        .iter()
        .find(|shared| host == **shared || host.ends_with(&format!(".{shared}")))
        .map(|shared| {
            format!(
                "host \"{host}\" is shared infrastructure ({shared}) serving many products; use a script_src pattern with the vendor's path instead"
            )
        })
}

/// All vendors with their patterns compiled for one-pass matching.
#[derive(Debug, Clone)]
pub struct Vendors {
    /// The vendors, in file order.
    pub list: Vec<Vendor>,
    /// `script src` patterns and the vendor index of each.
    pub script_src: (RegexSet, Vec<usize>),
    /// `iframe src` patterns.
    pub iframe_src: (RegexSet, Vec<usize>),
    /// Inline script, noscript and comment patterns.
    pub inline: (RegexSet, Vec<usize>),
    /// Link patterns.
    pub links: (RegexSet, Vec<usize>),
    /// Every DOM selector of every vendor in one list, for a single pass over the page.
    pub dom_any: Option<Selector>,
    /// Host name → the vendors that own it; a URL on the host or any subdomain proves them.
    hosts: std::collections::HashMap<String, Vec<usize>>,
}

impl Vendors {
    /// Parses and validates vendor files given as (path, text), in order.
    ///
    /// # Errors
    /// Unknown keys, bad values, duplicate ids, patterns that do not compile, entries without a
    /// pattern that static HTML can show.
    pub fn load(files: &[(std::path::PathBuf, String)]) -> Result<Self, RulesError> {
        let mut list = Vec::new();
        let mut sets: [(Vec<String>, Vec<usize>); 4] = Default::default();
        let mut dom_all: Vec<String> = Vec::new();
        let mut hosts: std::collections::HashMap<String, Vec<usize>> =
            std::collections::HashMap::new();
        for (file, text) in files {
            let raw: RawFile = super::parse(file, text)?;
            for v in raw.vendor {
                let at = |reason: String| invalid_at(file, text, &format!("\"{}\"", v.id), reason);
                if v.id.is_empty()
                    || !v
                        .id
                        .chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
                {
                    return Err(at(format!(
                        "vendor id \"{}\" must be lower-case letters, digits and dashes",
                        v.id
                    )));
                }
                if list.iter().any(|o: &Vendor| o.id == v.id) {
                    return Err(at(format!(
                        "vendor id \"{}\" is defined twice; ids must be unique across rules/vendors/",
                        v.id
                    )));
                }
                if v.confidence > 100 {
                    return Err(at(format!(
                        "vendor \"{}\": confidence must be 0 to 100",
                        v.id
                    )));
                }
                if !v.source.starts_with("https://") && !v.source.starts_with("http://") {
                    return Err(at(format!(
                        "vendor \"{}\": source must be a public URL (https://…)",
                        v.id
                    )));
                }
                if let Some(problem) = v.hosts.iter().find_map(|h| host_problem(h)) {
                    return Err(at(format!("vendor \"{}\": {problem}", v.id)));
                }
                if let Some(day) = &v.retired
                    && !is_day(day)
                {
                    return Err(at(format!(
                        "vendor \"{}\": retired must be the day of shutdown as YYYY-MM-DD, not \"{day}\"",
                        v.id
                    )));
                }
                if v.kind == VendorKind::Consent && v.dom.is_empty() {
                    return Err(at(format!(
                        "consent manager \"{}\" needs `dom` selectors matching the <script> elements it holds back",
                        v.id
                    )));
                }
                if (v.possible || v.retired.is_some()) && v.kind != VendorKind::Chat {
                    return Err(at(format!(
                        "vendor \"{}\": possible and retired describe chat products; kind must be \"chat\"",
                        v.id
                    )));
                }
                if v.script_src.is_empty()
                    && v.hosts.is_empty()
                    && v.iframe_src.is_empty()
                    && v.inline.is_empty()
                    && v.links.is_empty()
                    && v.dom.is_empty()
                {
                    return Err(at(format!(
                        "vendor \"{}\" has no pattern static HTML can show; add hosts, script_src, iframe_src, inline, links or dom",
                        v.id
                    )));
                }
                let index = list.len();
                for host in &v.hosts {
                    let owners = hosts.entry(host.clone()).or_default();
                    if !owners.contains(&index) {
                        owners.push(index);
                    }
                }
                for (slot, patterns) in [&v.script_src, &v.iframe_src, &v.inline, &v.links]
                    .into_iter()
                    .enumerate()
                {
                    for pattern in patterns {
                        Regex::new(pattern).map_err(|e| {
                            invalid_at(
                                file,
                                text,
                                pattern,
                                format!(
                                    "vendor \"{}\": pattern does not compile: {}",
                                    v.id,
                                    e.to_string().replace('\n', " ")
                                ),
                            )
                        })?;
                        sets[slot].0.push(ascii_boundaries(pattern));
                        sets[slot].1.push(index);
                    }
                }
                let selectors = |list: &[String]| -> Result<Vec<Selector>, RulesError> {
                    list.iter()
                        .map(|s| {
                            Selector::parse(s).map_err(|e| {
                                invalid_at(
                                    file,
                                    text,
                                    s,
                                    format!(
                                        "vendor \"{}\": CSS selector does not parse: {e:?}",
                                        v.id
                                    ),
                                )
                            })
                        })
                        .collect()
                };
                let dom = selectors(&v.dom)?;
                let not_if = selectors(&v.not_if)?;
                dom_all.extend(v.dom.iter().cloned());
                let inline = v
                    .inline
                    .iter()
                    .map(|p| case_insensitive(p))
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(|e| at(e.to_string()))?;
                let text_patterns = v
                    .text
                    .iter()
                    .map(|p| case_insensitive(&ascii_boundaries(p)))
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(|e| at(e.to_string()))?;
                if let Some(p) = text_patterns
                    .iter()
                    .find(|p| p.capture_names().all(|n| n != Some("id")))
                {
                    return Err(at(format!(
                        "text pattern {p} has no (?P<id>…) group naming what the link is built from"
                    )));
                }
                let opens = v
                    .opens
                    .iter()
                    .map(|p| case_insensitive(p))
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(|e| at(e.to_string()))?;
                if let Some(p) = opens
                    .iter()
                    .find(|p| p.capture_names().all(|n| n != Some("id")))
                {
                    return Err(at(format!(
                        "opens pattern {p} has no (?P<id>…) group capturing the number it opens"
                    )));
                }
                if opens.is_empty() != v.opens_url.is_none()
                    || v.opens_url.as_deref().is_some_and(|u| !u.contains("{id}"))
                {
                    return Err(at(
                        "`opens` and `opens_url` go together, and opens_url needs {id} for the captured number"
                            .to_owned(),
                    ));
                }
                if text_patterns.is_empty() != v.text_url.is_none() {
                    return Err(at(
                        "`text` and `text_url` go together: a text pattern needs the link it stands for"
                            .to_owned(),
                    ));
                }
                list.push(Vendor {
                    text: text_patterns,
                    text_url: v.text_url,
                    id: v.id,
                    name: v.name,
                    kind: v.kind,
                    mode: v.mode,
                    category: v.category,
                    confidence: v.confidence,
                    source: v.source,
                    note: v.note,
                    globals: v.globals,
                    possible: v.possible,
                    retired: v.retired,
                    opens,
                    opens_url: v.opens_url,
                    not_if,
                    dom,
                    inline,
                });
            }
        }
        let build = |(patterns, owners): (Vec<String>, Vec<usize>)| {
            RegexSetBuilder::new(&patterns)
                .case_insensitive(true)
                .size_limit(64 << 20)
                .build()
                .map(|set| (set, owners))
        };
        let [scripts, iframes, inline, links] = sets;
        let too_big = |e: regex::Error| RulesError::Invalid {
            file: Path::new("rules/vendors").to_owned(),
            line: 1,
            column: 1,
            reason: format!("the vendor patterns together are too large: {e}"),
        };
        Ok(Self {
            script_src: build(scripts).map_err(too_big)?,
            iframe_src: build(iframes).map_err(too_big)?,
            inline: build(inline).map_err(too_big)?,
            links: build(links).map_err(too_big)?,
            dom_any: if dom_all.is_empty() {
                None
            } else {
                Selector::parse(&dom_all.join(", ")).ok()
            },
            list,
            hosts,
        })
    }

    /// The vendors owning a URL's host or a parent of it (`js.intercomcdn.com` → `intercomcdn.com`).
    pub fn by_host(&self, url: &str) -> impl Iterator<Item = usize> + '_ {
        let host = url::Url::parse(url).ok().and_then(|u| {
            u.host_str()
                .map(|h| h.trim_end_matches('.').to_ascii_lowercase())
        });
        let mut found: Vec<usize> = Vec::new();
        if let Some(host) = host {
            let mut rest = host.as_str();
            loop {
                if let Some(owners) = self.hosts.get(rest) {
                    for owner in owners {
                        if !found.contains(owner) {
                            found.push(*owner);
                        }
                    }
                }
                match rest.split_once('.') {
                    Some((_, parent)) if parent.contains('.') => rest = parent,
                    _ => break,
                }
            }
        }
        found.into_iter()
    }

    /// The consent manager (its index in `list`) whose selector matches a held-back script.
    #[must_use]
    pub fn consent_for(&self, script: &scraper::ElementRef<'_>) -> Option<usize> {
        self.list
            .iter()
            .position(|v| v.kind == VendorKind::Consent && v.dom.iter().any(|s| s.matches(script)))
    }
}

fn is_day(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit())
}

fn case_insensitive(pattern: &str) -> Result<Regex, regex::Error> {
    regex::RegexBuilder::new(&ascii_boundaries(pattern))
        .case_insensitive(true)
        .build()
}
