//! The customer's path: which of the company's channels serve a customer with a problem, and
//! the way from the start page to the best of them, with every gate on it. What counts for
//! customers, and what stands in their way, is data (`rules/scoring.toml` `[roles]`, `[path]`).

use std::collections::HashMap;

use crate::model::{
    Channel, ChannelKind, Contact, CustomerPath, Mode, Page, PathChannel, PathGate, PathStep,
    Report,
};
use crate::rules::scoring::Scoring;

/// Longest path shown; a deeper one is cut (the clicks still count).
const MAX_STEPS: usize = 16;

/// Longest step label shown, in characters.
const MAX_LABEL_CHARS: usize = 40;

/// Why a channel counts for customers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Role {
    /// A customer role label (`customer_service`, `complaints` …).
    Labelled(String),
    /// No role label, shown where customers look.
    General,
    /// Shown only in the imprint or privacy policy, whatever its label.
    LegalMinimum,
}

impl Role {
    fn as_str(&self) -> &str {
        match self {
            Self::Labelled(label) => label,
            Self::General => "general",
            Self::LegalMinimum => "legal_minimum",
        }
    }
}

/// A company channel that serves customers, with what it is worth as a way to a person.
#[derive(Debug, Clone)]
pub(super) struct Served<'a> {
    pub channel: &'a Channel,
    pub role: Role,
    /// 0–1 from the item's parameters (a bot-first chat without hand-off is worth less).
    pub value: f64,
}

/// The best way of one kind of contact, and how it was chosen.
#[derive(Debug, Clone)]
pub(super) struct Way<'a> {
    pub served: Served<'a>,
    pub path: CustomerPath,
}

/// Everything the score reads about the customer's side of the site.
pub(super) struct Customer<'a> {
    pub at_once: Option<Way<'a>>,
    /// The line the company announces for customers (a labelled customer-service number), when
    /// it is not the best way at once: where the company sends customers, shown beside it.
    pub announced: Option<Way<'a>>,
    pub in_writing: Option<Way<'a>>,
    /// Every served channel, for the cost, hours and walls items.
    pub served: Vec<Served<'a>>,
    /// Company channels that serve someone else (press, jobs, sales …), to say what was left out.
    pub not_for_customers: Vec<&'a Channel>,
    /// Chats that answer with a machine and show no way to a person.
    pub bots: Vec<&'a Channel>,
    pages: HashMap<&'a str, &'a Page>,
}

impl<'a> Customer<'a> {
    pub(super) fn read(report: &'a Report, scoring: &Scoring) -> Self {
        let pages: HashMap<&str, &Page> = report
            .crawl
            .pages
            .iter()
            .map(|p| (p.url.as_str(), p))
            .collect();
        let mut served = Vec::new();
        let mut not_for_customers = Vec::new();
        let mut bots = Vec::new();
        for channel in &report.channels {
            if is_bot(channel) {
                bots.push(channel);
                if channel.mode == Mode::Bot {
                    continue;
                }
            }
            let Some(contact) = contact_of(channel) else {
                continue;
            };
            let Some(role) = role(channel, scoring, &pages) else {
                not_for_customers.push(channel);
                continue;
            };
            let value = value(channel, &role, contact, scoring);
            if value > 0.0 {
                served.push(Served {
                    channel,
                    role,
                    value,
                });
            }
        }
        let mut customer = Self {
            at_once: None,
            announced: None,
            in_writing: None,
            served,
            not_for_customers,
            bots,
            pages,
        };
        // Each served channel's way, built once for both choices below.
        let ways: Vec<(Contact, &Served<'a>, CustomerPath)> = customer
            .served
            .iter()
            .filter_map(|s| {
                let contact = contact_of(s.channel)?;
                Some((contact, s, customer.path(contact, s, report, scoring)))
            })
            .collect();
        for contact in [Contact::AtOnce, Contact::InWriting] {
            let best = ways
                .iter()
                .filter(|(c, _, _)| *c == contact)
                .map(|(_, s, path)| (s.value * nearness(path.effort, contact, scoring), *s, path))
                // The best trade of who answers and how far; then the nearer; then the cheaper
                // line (a customer calls the 0341 number, not the 0900 one beside it).
                .max_by(|a, b| {
                    (
                        a.0,
                        a.1.value,
                        std::cmp::Reverse(a.2.effort.unwrap_or(u32::MAX)),
                        super::line_price(a.1.channel, scoring),
                    )
                        .partial_cmp(&(
                            b.0,
                            b.1.value,
                            std::cmp::Reverse(b.2.effort.unwrap_or(u32::MAX)),
                            super::line_price(b.1.channel, scoring),
                        ))
                        .unwrap_or(std::cmp::Ordering::Equal)
                })
                .map(|(_, s, path)| Way {
                    served: s.clone(),
                    path: path.clone(),
                });
            match contact {
                Contact::AtOnce => customer.at_once = best,
                Contact::InWriting => customer.in_writing = best,
            }
        }
        // Shown only when it is further or dearer than the best way: then it tells the reader
        // where the company sends customers, and what that costs them.
        let best = customer.at_once.as_ref().map(|w| w.served.channel);
        let best_effort = customer
            .at_once
            .as_ref()
            .and_then(|w| w.path.effort)
            .unwrap_or(u32::MAX);
        let best_price = best.map_or(0.0, |c| super::line_price(c, scoring));
        let announced = ways
            .iter()
            .filter(|(_, s, _)| {
                s.channel.kind == ChannelKind::Phone
                    && matches!(s.role, Role::Labelled(_))
                    && best.is_none_or(|b| !std::ptr::eq(b, s.channel))
            })
            .map(|(_, s, path)| (*s, path))
            .min_by(|(a, pa), (b, pb)| {
                (
                    pa.effort.unwrap_or(u32::MAX),
                    -super::line_price(a.channel, scoring),
                )
                    .partial_cmp(&(
                        pb.effort.unwrap_or(u32::MAX),
                        -super::line_price(b.channel, scoring),
                    ))
                    .unwrap_or(std::cmp::Ordering::Equal)
            })
            .filter(|(s, p)| {
                p.effort.unwrap_or(u32::MAX) > best_effort
                    || super::line_price(s.channel, scoring) < best_price
            })
            .map(|(s, path)| Way {
                served: s.clone(),
                path: path.clone(),
            });
        customer.announced = announced;
        customer
    }

    /// Both paths as the report shows them; a missing one says so.
    pub(super) fn paths(&self) -> Vec<CustomerPath> {
        let announced = self.announced.as_ref().map(|w| CustomerPath {
            announced: true,
            ..w.path.clone()
        });
        [
            (Contact::AtOnce, &self.at_once),
            (Contact::InWriting, &self.in_writing),
        ]
        .into_iter()
        .map(|(contact, way)| match way {
            Some(way) => way.path.clone(),
            None => CustomerPath {
                contact,
                channel: None,
                steps: Vec::new(),
                clicks: None,
                gates: Vec::new(),
                effort: None,
                announced: false,
                summary: match contact {
                    Contact::AtOnce => {
                        "no telephone, chat with people, callback or video call for customers"
                            .to_owned()
                    }
                    Contact::InWriting => {
                        "no e-mail address or contact form for customers".to_owned()
                    }
                },
            },
        })
        .chain(announced)
        .collect()
    }

    /// The nearer of the two ways.
    pub(super) fn nearest(&self) -> Option<&Way<'a>> {
        [&self.at_once, &self.in_writing]
            .into_iter()
            .flatten()
            .min_by_key(|w| w.path.effort.unwrap_or(u32::MAX))
    }

    /// The telephone lines offered to customers. The imprint's switchboard counts only when
    /// there is nothing else: it does not excuse a paid customer line.
    pub(super) fn customer_lines(&self) -> Vec<&'a Channel> {
        let phones: Vec<&Served<'a>> = self
            .served
            .iter()
            .filter(|s| s.channel.kind == ChannelKind::Phone)
            .collect();
        let offered = phones.iter().any(|s| s.role != Role::LegalMinimum);
        phones
            .into_iter()
            .filter(|s| !offered || s.role != Role::LegalMinimum)
            .map(|s| s.channel)
            .collect()
    }

    /// Whether a page is the start page or one of `[path] front_pages`: where the most prominent
    /// help offer is.
    pub(super) fn is_front(&self, url: &str, scoring: &Scoring) -> bool {
        self.pages
            .get(url)
            .is_some_and(|p| p.clicks == Some(0) || of_kinds(p, &scoring.path.front_pages))
    }

    /// The way from the start page to the page that shows `served` with the fewest clicks.
    fn path(
        &self,
        contact: Contact,
        served: &Served<'_>,
        report: &Report,
        scoring: &Scoring,
    ) -> CustomerPath {
        let channel = served.channel;
        // The nearest page that shows it; of equally near ones, one a customer looks at (the
        // contact page, not the imprint).
        let legal = |p: &Page| only_of_kinds(p, &scoring.roles.legal_pages);
        let target = shown_on(channel)
            .filter_map(|u| self.pages.get(u).copied())
            .min_by_key(|p| (p.clicks.unwrap_or(u32::MAX), legal(p)));
        let mut steps: Vec<&Page> = Vec::new();
        if let Some(page) = target {
            let mut at = Some(page);
            while let Some(page) = at {
                if steps.len() >= MAX_STEPS || steps.iter().any(|s| s.url == page.url) {
                    break;
                }
                steps.push(page);
                at = page
                    .reached_from
                    .as_deref()
                    .and_then(|u| self.pages.get(u).copied());
            }
            steps.reverse();
        }
        let on_path = |url: &str| steps.iter().any(|p| p.url == url);
        let mut gates: Vec<PathGate> = Vec::new();
        for signal in &report.signals {
            if !scoring.path.gates.contains(&signal.id) {
                continue;
            }
            let seen = signal
                .seen_on
                .iter()
                .chain(signal.evidence.iter().map(|e| &e.url));
            if let Some(url) = seen.into_iter().find(|u| on_path(u)) {
                gates.push(PathGate {
                    id: signal.id.clone(),
                    detail: None,
                    url: url.clone(),
                });
            }
        }
        if let (Some(form), Some(page)) = (&channel.form, target) {
            if let Some(captcha) = &form.captcha {
                gates.push(PathGate {
                    id: "captcha".to_owned(),
                    detail: Some(captcha.clone()),
                    url: page.url.clone(),
                });
            }
            if form.login_required && !gates.iter().any(|g| g.id == "login_to_contact") {
                gates.push(PathGate {
                    id: "login".to_owned(),
                    detail: None,
                    url: page.url.clone(),
                });
            }
        }
        // A bot on a help or contact page before the channel is what the customer meets first
        // there. (A bot on the start page is the `no_bot_in_front` item's question: a footer
        // link passes it by.)
        let before = &steps[..steps.len().saturating_sub(1)];
        if let Some((bot, page)) = self.bots.iter().find_map(|b| {
            before
                .iter()
                .filter(|p| of_kinds(p, &scoring.path.bot_gate_pages))
                .find(|p| shown_on(b).any(|u| u == p.url))
                .map(|p| (b, p))
        }) {
            gates.push(PathGate {
                id: "bot_first".to_owned(),
                detail: bot.vendor.clone(),
                url: page.url.clone(),
            });
        }
        let clicks = target.and_then(|p| p.clicks);
        #[allow(clippy::cast_possible_truncation)]
        let effort = clicks.map(|c| c + gates.len() as u32);
        let mut labels: Vec<String> = steps
            .iter()
            .map(|p| {
                if p.clicks == Some(0) {
                    "home".to_owned()
                } else {
                    let label = p
                        .link_text
                        .clone()
                        .or_else(|| p.title.clone())
                        .unwrap_or_else(|| p.url.clone());
                    // A card link carries a whole teaser; its first words name it.
                    match label.char_indices().nth(MAX_LABEL_CHARS) {
                        Some((cut, _)) => format!("{}…", label[..cut].trim_end()),
                        None => label,
                    }
                }
            })
            .collect();
        if target.is_some_and(|p| p.clicks.is_none()) {
            labels.insert(0, "sitemap".to_owned());
        }
        labels.push(match &served.role {
            Role::Labelled(label) => format!("{} ({})", describe(channel), label.replace('_', " ")),
            Role::LegalMinimum => format!("{} (only in the imprint)", describe(channel)),
            Role::General => describe(channel),
        });
        let gate_words = if gates.is_empty() {
            "no gate".to_owned()
        } else {
            format!(
                "{} gate{} ({})",
                gates.len(),
                if gates.len() == 1 { "" } else { "s" },
                gates
                    .iter()
                    .map(|g| match &g.detail {
                        Some(detail) => format!("{} ({detail})", g.id.replace('_', " ")),
                        None => g.id.replace('_', " "),
                    })
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        };
        let summary = format!(
            "{}: {}, {gate_words}",
            labels.join(" → "),
            match clicks {
                Some(1) => "1 click".to_owned(),
                Some(n) => format!("{n} clicks"),
                None => "only via the sitemap".to_owned(),
            }
        );
        CustomerPath {
            contact,
            channel: Some(PathChannel {
                kind: channel.kind,
                value: channel.value.clone(),
                role: served.role.as_str().to_owned(),
            }),
            steps: steps
                .iter()
                .zip(&labels)
                .map(|(p, label)| PathStep {
                    url: p.url.clone(),
                    label: label.clone(),
                })
                .collect(),
            clicks,
            gates,
            effort,
            summary,
            announced: false,
        }
    }
}

/// Whether a page is of one of these kinds (`help`, `contact` …).
fn of_kinds(page: &Page, kinds: &[String]) -> bool {
    page.kinds
        .iter()
        .any(|k| kinds.iter().any(|want| want == k.as_str()))
}

/// Whether a page is of these kinds and no other (an imprint, not an imprint that is also the
/// contact page).
fn only_of_kinds(page: &Page, kinds: &[String]) -> bool {
    !page.kinds.is_empty()
        && page
            .kinds
            .iter()
            .all(|k| kinds.iter().any(|want| want == k.as_str()))
}

/// How near a way is, 0–1, as the score counts it: the `effort` item's table by steps, never
/// below the contact item's `far` (a person at the end of a long way is still half a person).
pub(super) fn nearness(effort: Option<u32>, contact: Contact, scoring: &Scoring) -> f64 {
    let by_steps = scoring
        .item("effort")
        .zip(effort)
        .and_then(|(item, steps)| item.param_list("by_steps").get(steps as usize).copied())
        .unwrap_or(0.0);
    let far = scoring
        .item(match contact {
            Contact::AtOnce => "at_once",
            Contact::InWriting => "in_writing",
        })
        .map_or(0.0, |i| i.param("far"));
    by_steps.max(far)
}

/// The channel in a few words, as a path ends: "phone 0800 …", "chat (userlike)".
pub(super) fn describe(c: &Channel) -> String {
    let vendor = c.vendor.as_deref().unwrap_or("");
    match c.kind {
        ChannelKind::Phone => format!("phone {}", c.value),
        ChannelKind::Email => format!("e-mail {}", c.value),
        ChannelKind::ContactForm => "contact form".to_owned(),
        ChannelKind::Chat => format!(
            "chat ({})",
            if vendor.is_empty() { &c.value } else { vendor }
        ),
        ChannelKind::Messenger => format!("messenger {}", c.url.as_deref().unwrap_or(&c.value)),
        ChannelKind::Callback => "callback".to_owned(),
        ChannelKind::Video => "video call".to_owned(),
        other => format!("{} {}", other.as_str(), c.value),
    }
}

/// Pages that show a channel: every page, else its evidence.
fn shown_on(c: &Channel) -> impl Iterator<Item = &str> {
    c.seen_on
        .iter()
        .map(String::as_str)
        .chain(c.evidence.iter().map(|e| e.url.as_str()))
}

/// A chat that answers with a machine and offers no person: a bot, or bot-first without hand-off.
fn is_bot(c: &Channel) -> bool {
    c.kind == ChannelKind::Chat && (c.mode == Mode::Bot || (c.mode == Mode::Hybrid && !c.handoff))
}

/// Whether a channel reaches a person at once, in writing, or not at all.
fn contact_of(c: &Channel) -> Option<Contact> {
    match c.kind {
        ChannelKind::Phone | ChannelKind::Callback | ChannelKind::Video => {
            (c.mode != Mode::Bot).then_some(Contact::AtOnce)
        }
        ChannelKind::Chat => (c.mode != Mode::Bot).then_some(Contact::AtOnce),
        ChannelKind::Email => c
            .email
            .as_ref()
            .is_none_or(|e| !e.no_reply)
            .then_some(Contact::InWriting),
        ChannelKind::ContactForm | ChannelKind::Messenger => Some(Contact::InWriting),
        _ => None,
    }
}

/// Whom a channel serves: customers (and why), or someone else (`None`). A detail shown only in
/// the imprint or privacy policy is the legal minimum whatever its label: the switchboard an
/// imprint must give is not an offer to customers.
fn role(c: &Channel, scoring: &Scoring, pages: &HashMap<&str, &Page>) -> Option<Role> {
    let roles = &scoring.roles;
    let customer = c.labels.iter().find(|l| roles.customer.contains(l));
    if customer.is_none() && c.labels.iter().any(|l| roles.not_customer.contains(l)) {
        return None;
    }
    let mut shown = shown_on(c).peekable();
    let legal_only = shown.peek().is_some()
        && shown.all(|u| {
            pages
                .get(u)
                .is_some_and(|p| only_of_kinds(p, &roles.legal_pages))
        });
    Some(match customer {
        _ if legal_only => Role::LegalMinimum,
        Some(label) => Role::Labelled(label.clone()),
        None => Role::General,
    })
}

/// What a served channel is worth as a way to a person (the item's parameters).
fn value(c: &Channel, role: &Role, contact: Contact, scoring: &Scoring) -> f64 {
    let item = scoring.item(match contact {
        Contact::AtOnce => "at_once",
        Contact::InWriting => "in_writing",
    });
    let p = |key: &str| item.map_or(1.0, |i| i.param(key));
    let base = match c.kind {
        ChannelKind::Phone => p("phone"),
        ChannelKind::Chat => match (c.mode, c.handoff) {
            (Mode::Human, _) => p("chat_human"),
            (Mode::Hybrid, true) => p("chat_hybrid_handoff"),
            (Mode::Hybrid, false) => p("chat_hybrid"),
            _ => p("chat_unknown"),
        },
        ChannelKind::Video => p("video"),
        ChannelKind::Callback => p("callback"),
        ChannelKind::Email => p("email"),
        ChannelKind::ContactForm if c.form.as_ref().is_some_and(|f| f.login_required) => {
            p("login_form")
        }
        ChannelKind::ContactForm => p("contact_form"),
        ChannelKind::Messenger => p("messenger"),
        _ => 0.0,
    };
    if *role == Role::LegalMinimum {
        base * p("legal_minimum")
    } else {
        base
    }
}
