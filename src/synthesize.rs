//! The synthesize stage: all observations of a site in, one list of channels out. Pure.
//!
//! The same hotline in every page footer is one channel, not fifty: observations are merged by
//! kind and identity (E.164 number, lower-case address, vendor and link, form action, postcode
//! and street, else the value), the channel's `clicks` is the fewest clicks of any page showing
//! it, labels and hours are merged, and its evidence is ordered best (fewest clicks) first, one
//! entry per page, at most [`MAX_EVIDENCE`].

use std::collections::{HashMap, HashSet};

use crate::extract::{Observation, PageSignal};
use crate::model::{Channel, Evidence, Mode, Owner, OwnerKind, Signal, WidgetNote, WidgetState};
use crate::rules::owners::name_tokens;

/// Evidence entries kept per channel: enough to show where it is, not every footer.
pub const MAX_EVIDENCE: usize = 5;
/// Hours notes kept per channel: pages that repeat the hours in other words add nothing.
pub const MAX_HOURS: usize = 4;

/// How the sightings of one channel voted on its owner.
#[derive(Debug, Default)]
struct Votes {
    /// Seen on a page that is not a community page.
    on_company_page: bool,
    /// A known organisation's number or domain.
    known: Option<Owner>,
    /// Sightings that said nothing: the company's.
    own: usize,
    /// Sightings next to a third party's name, heading or known number.
    third: Vec<Owner>,
    /// Organisation names written right before it.
    named: Vec<String>,
}

/// A channel being merged, with its evidence, the clicks of the page each came from, and the
/// owner votes.
type Merging = (Channel, Vec<(Option<u32>, Evidence)>, Votes);

/// The company's channels and the contact details of others the site names.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Channels {
    /// The company's own.
    pub company: Vec<Channel>,
    /// Other organisations'.
    pub third_parties: Vec<Channel>,
}

/// Who the site says it is: the names it gives itself (`og:site_name`, structured data, the
/// imprint's first legal name, the home page's title) and its domain, so that an organisation
/// named next to a contact detail can be told from the company itself.
#[derive(Debug, Clone, Default)]
pub struct Identity {
    tokens: HashSet<String>,
    domains: Vec<String>,
}

impl Identity {
    /// The identity of the site `site` (its registrable domain or host) calling itself `names`.
    #[must_use]
    pub fn new(site: &str, names: &[String]) -> Self {
        let host = site.split(':').next().unwrap_or(site);
        let domains = host
            .split('.')
            .filter(|l| l.len() >= 3)
            .map(|l| l.replace(['-', '_'], ""))
            .collect();
        Self {
            tokens: names.iter().flat_map(|n| name_tokens(n)).collect(),
            domains,
        }
    }

    fn adopt(&mut self, name: &str) {
        self.tokens.extend(name_tokens(name));
    }

    /// Whether a domain is the site's own: the site's domain or one that spells its name
    /// (kaputt-handel.de for "Kaputt Handel e.K.").
    #[must_use]
    pub fn owns_domain(&self, domain: &str) -> bool {
        let domain = domain.to_ascii_lowercase();
        let labels: Vec<&str> = domain.split('.').collect();
        // The label before the public suffix is the name: acme-shop in www.acme-shop.co.uk.
        let name = psl::domain_str(&domain)
            .and_then(|d| d.split('.').next())
            .or_else(|| labels.first().copied())
            .unwrap_or("");
        let squashed = name.replace(['-', '_'], "");
        squashed.len() >= 3
            && (self.domains.contains(&squashed)
                || (!self.tokens.is_empty() && self.owns(&name.replace(['-', '_'], " "))))
    }

    /// Whether `name` is the site's own: a word of it is a word of the site's names, or its
    /// domain spells it ("ACME Haushaltswaren GmbH" on acme-shop.de).
    #[must_use]
    pub fn owns(&self, name: &str) -> bool {
        let tokens = name_tokens(name);
        if tokens.is_empty() {
            return true;
        }
        tokens.iter().any(|t| {
            self.tokens.contains(t)
                || (t.len() >= 4 && self.domains.iter().any(|d| d.contains(t.as_str())))
        }) || {
            let joined: String = tokens.concat();
            joined.len() >= 4
                && self
                    .domains
                    .iter()
                    .any(|d| d.contains(&joined) || joined.contains(d.as_str()))
        }
    }
}

/// Merges observations into channels and splits them by owner. `clicks` gives each page's
/// clicks from the start page (`None` for pages only the sitemap leads to).
///
/// A channel is another organisation's when a known number or domain says so, or when more of
/// its sightings stand next to a third party (a heading, a label, a foreign organisation's
/// name) than stand alone: the hotline in fifty footers stays the company's even if one page
/// prints it under the wrong heading. An e-mail address at a domain that spells the site's own
/// name is the company's unless a known organisation's.
#[must_use]
pub fn channels(
    observations: Vec<Observation>,
    clicks: &HashMap<String, Option<u32>>,
    identity: &Identity,
) -> Channels {
    let mut identity = identity.clone();
    // The organisation name written on most pages (the footer's) is the site's own.
    let mut named_pages: HashMap<&str, HashSet<&str>> = HashMap::new();
    for obs in &observations {
        if let Some(name) = &obs.org {
            named_pages
                .entry(name)
                .or_default()
                .insert(obs.evidence.url.as_str());
        }
    }
    let pages: HashSet<&str> = observations
        .iter()
        .map(|o| o.evidence.url.as_str())
        .collect();
    let common = (pages.len() / 2).max(3);
    for (name, on) in &named_pages {
        if on.len() >= common {
            identity.adopt(name);
        }
    }
    drop(named_pages);
    let page_clicks = |url: &str| clicks.get(url).copied().flatten();
    let mut order: Vec<String> = Vec::new();
    let mut merged: HashMap<String, Merging> = HashMap::new();
    for Observation {
        channel: seen,
        evidence: seen_at,
        org,
        known,
        visitor_page,
        ..
    } in observations
    {
        let key = format!("{}|{}", seen.kind.as_str(), Channel::identity(&seen));
        let here = page_clicks(&seen_at.url);
        let (channel, evidence, votes) = merged.entry(key.clone()).or_insert_with(|| {
            order.push(key);
            (seen.clone(), Vec::new(), Votes::default())
        });
        votes.on_company_page |= !visitor_page;
        match (&seen.owner, org) {
            (owner, _) if known => votes.known = Some(owner.clone()),
            (owner, _) if !owner.is_company() => votes.third.push(owner.clone()),
            (_, Some(name)) if !identity.owns(&name) => votes.named.push(name),
            _ => votes.own += 1,
        }
        merge(channel, seen);
        if !channel.seen_on.contains(&seen_at.url) {
            channel.seen_on.push(seen_at.url.clone());
        }
        if !evidence.iter().any(|(_, e)| e.url == seen_at.url) {
            evidence.push((here, seen_at));
        }
    }
    let mut out: Vec<Channel> = order
        .into_iter()
        .filter_map(|key| merged.remove(&key))
        // What only forum threads and guest books show, visitors wrote.
        .filter(|(_, _, votes)| votes.on_company_page)
        .map(|(mut channel, mut evidence, mut votes)| {
            if let Some(email) = &channel.email
                && let Some((_, domain)) = email.address.rsplit_once('@')
                && identity.owns_domain(domain)
            {
                votes.third.clear();
                votes.named.clear();
            }
            channel.owner = decide(votes);
            // Fewest clicks first; pages reached only via the sitemap last.
            evidence.sort_by_key(|(c, _)| c.unwrap_or(u32::MAX));
            channel.clicks = evidence.iter().filter_map(|(c, _)| *c).min();
            channel.evidence = evidence
                .into_iter()
                .take(MAX_EVIDENCE)
                .map(|(_, e)| e)
                .collect();
            channel
        })
        .collect();
    out.sort_by_key(|c| (c.kind, c.clicks.unwrap_or(u32::MAX)));
    let (company, third_parties) = out.into_iter().partition(|c| c.owner.is_company());
    Channels {
        company,
        third_parties,
    }
}

/// The owner the sightings agree on: a known organisation always; else a third party when its
/// sightings are at least as many as the company's.
fn decide(votes: Votes) -> Owner {
    if let Some(owner) = votes.known {
        return owner;
    }
    let others = votes.third.len() + votes.named.len();
    if others <= votes.own {
        return Owner::default();
    }
    if let Some(owner) = votes.third.into_iter().next() {
        return owner;
    }
    let name = votes.named.into_iter().next();
    Owner {
        kind: OwnerKind::OtherCompany,
        because: name
            .as_ref()
            .map(|n| format!("named next to it: “{n}”, which is not the site's own name")),
        name,
    }
}

/// Folds one page's widget notes into the site's: one note per vendor and state, with the
/// evidence of the first pages that show it.
pub fn merge_notes(site: &mut Vec<WidgetNote>, page: Vec<WidgetNote>) {
    for note in page {
        match site
            .iter_mut()
            .find(|n| n.vendor == note.vendor && n.state == note.state)
        {
            Some(known) => {
                if known.evidence.len() < MAX_EVIDENCE {
                    known.evidence.extend(note.evidence);
                }
            }
            None => site.push(note),
        }
    }
}

/// Drops the notes a channel contradicts: a snippet switched off on one page says nothing when
/// the same product is a channel, and a possible chat is moot once the vendor's chat is seen.
pub fn settle_notes(notes: &mut Vec<WidgetNote>, channels: &[Channel]) {
    notes.retain(|n| {
        if n.state == WidgetState::Retired {
            return true;
        }
        if channels
            .iter()
            .any(|c| c.vendor.as_deref() == Some(n.vendor.as_str()))
        {
            return false;
        }
        // A loader that may show a chat is settled where a chat was seen on the same page: the
        // browser showed what it loaded.
        !(n.state == WidgetState::Possible
            && channels.iter().any(|c| {
                c.kind == crate::model::ChannelKind::Chat
                    && n.evidence.iter().any(|e| c.seen_on.contains(&e.url))
            }))
    });
}

/// Merges page signals by id: how many pages show each, and where, fewest clicks first.
#[must_use]
pub fn signals(seen: Vec<PageSignal>, clicks: &HashMap<String, Option<u32>>) -> Vec<Signal> {
    let mut merged: Vec<(Signal, Vec<(u32, Evidence)>)> = Vec::new();
    for s in seen {
        let here = clicks
            .get(&s.evidence.url)
            .copied()
            .flatten()
            .unwrap_or(u32::MAX);
        match merged.iter_mut().find(|(m, _)| m.id == s.id) {
            Some((signal, evidence)) => {
                signal.pages += 1;
                signal.seen_on.push(s.evidence.url.clone());
                evidence.push((here, s.evidence));
            }
            None => merged.push((
                Signal {
                    id: s.id,
                    title: s.title,
                    deflection: s.deflection,
                    pages: 1,
                    evidence: Vec::new(),
                    seen_on: vec![s.evidence.url.clone()],
                },
                vec![(here, s.evidence)],
            )),
        }
    }
    merged
        .into_iter()
        .map(|(mut signal, mut evidence)| {
            evidence.sort_by_key(|(c, _)| *c);
            signal.evidence = evidence
                .into_iter()
                .take(MAX_EVIDENCE)
                .map(|(_, e)| e)
                .collect();
            signal
        })
        .collect()
}

/// Folds one more sighting into a channel: the most human mode, every label and hours note once,
/// the first price note, and "obfuscated" only if every page hides the address.
fn merge(channel: &mut Channel, seen: Channel) {
    channel.mode = stronger(channel.mode, seen.mode);
    channel.handoff |= seen.handoff;
    // Held back only if every page holds it back; seen without a browser on any page is enough.
    if seen.blocked_until_consent.is_none() {
        channel.blocked_until_consent = None;
    }
    channel.rendered_only &= seen.rendered_only;
    if let (Some(info), Some(new)) = (&mut channel.email, &seen.email) {
        info.obfuscated &= new.obfuscated;
    }
    for label in seen.labels {
        if !channel.labels.contains(&label) {
            channel.labels.push(label);
        }
    }
    for hours in seen.hours {
        if channel.hours.len() < MAX_HOURS && !channel.hours.contains(&hours) {
            channel.hours.push(hours);
        }
    }
    if channel.price_note.is_none() {
        channel.price_note = seen.price_note;
    }
    if channel.vendor.is_none() {
        channel.vendor = seen.vendor;
    }
    if channel.url.is_none() {
        channel.url = seen.url;
    }
    if channel.address.is_none() {
        channel.address = seen.address;
    }
    if let (Some(form), Some(new)) = (&mut channel.form, seen.form) {
        // The same form guarded on one page and not on another: report the guard.
        form.login_required |= new.login_required;
        if form.captcha.is_none() {
            form.captcha = new.captcha;
        }
    }
}

/// When pages disagree about a channel's mode, the most human reading wins: one page saying
/// "our staff answer" outweighs another that does not say.
fn stronger(a: Mode, b: Mode) -> Mode {
    let rank = |m: Mode| match m {
        Mode::Human => 3,
        Mode::Hybrid => 2,
        Mode::Bot => 1,
        Mode::Unknown => 0,
    };
    if rank(b) > rank(a) { b } else { a }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{ChannelKind, PhoneInfo, PhoneType};

    fn phone(url: &str, e164: &str) -> Observation {
        let mut channel = Channel::new(ChannelKind::Phone, e164);
        channel.phone = Some(PhoneInfo {
            extension: None,
            e164: e164.to_owned(),
            kind: PhoneType::TollFree,
            region: Some("DE".into()),
        });
        channel.mode = Mode::Human;
        Observation {
            channel,
            block: None,
            at: None,
            org: None,
            known: false,
            visitor_page: false,
            evidence: Evidence {
                url: url.to_owned(),
                source: "tel_link".into(),
                snippet: String::new(),
            },
        }
    }

    #[test]
    fn merges_by_number_and_takes_fewest_clicks() {
        let clicks = HashMap::from([
            ("https://e.de/".to_owned(), Some(0)),
            ("https://e.de/kontakt/".to_owned(), Some(1)),
            ("https://e.de/nur-sitemap".to_owned(), None),
        ]);
        let obs = vec![
            phone("https://e.de/kontakt/", "+498003301000"),
            phone("https://e.de/nur-sitemap", "+498912345"),
            phone("https://e.de/", "+498003301000"),
            phone("https://e.de/kontakt/", "+498003301000"),
        ];
        let channels = channels(obs, &clicks, &Identity::default()).company;
        assert_eq!(channels.len(), 2);
        assert_eq!(channels[0].clicks, Some(0));
        let urls: Vec<_> = channels[0]
            .evidence
            .iter()
            .map(|e| e.url.as_str())
            .collect();
        assert_eq!(urls, ["https://e.de/", "https://e.de/kontakt/"]);
        assert_eq!(channels[1].clicks, None);
    }

    fn named(url: &str, e164: &str, org: &str) -> Observation {
        let mut o = phone(url, e164);
        o.org = Some(org.to_owned());
        o
    }

    #[test]
    fn owners_by_the_sightings_and_the_sites_own_names() {
        let clicks = HashMap::from([
            ("https://e.de/".to_owned(), Some(0)),
            ("https://e.de/impressum/".to_owned(), Some(1)),
        ]);
        let identity = Identity::new("acme-shop.de", &["ACME Haushaltswaren GmbH".to_owned()]);
        let mut chamber = phone("https://e.de/impressum/", "+49711769890");
        chamber.channel.owner = Owner {
            kind: OwnerKind::Chamber,
            name: Some("Landesärztekammer".into()),
            because: Some("named next to it".into()),
        };
        // The hotline in the footer of two pages, once under a wrong heading: still the company's.
        let mut misread = phone("https://e.de/impressum/", "+498003301000");
        misread.channel.owner = chamber.channel.owner.clone();
        let obs = vec![
            phone("https://e.de/", "+498003301000"),
            phone("https://e.de/impressum/", "+498003301000"),
            misread,
            chamber,
            named("https://e.de/impressum/", "+4952418900", "Miele & Cie. KG"),
            named(
                "https://e.de/impressum/",
                "+498921543600",
                "ACME Vertriebs GmbH",
            ),
        ];
        let split = channels(obs, &clicks, &identity);
        let ids = |list: &[Channel]| -> Vec<(String, &'static str)> {
            list.iter()
                .map(|c| {
                    (
                        c.phone.as_ref().unwrap().e164.clone(),
                        c.owner.kind.as_str(),
                    )
                })
                .collect()
        };
        assert_eq!(
            ids(&split.company),
            [
                ("+498003301000".to_owned(), "company"),
                ("+498921543600".to_owned(), "company")
            ]
        );
        assert_eq!(
            ids(&split.third_parties),
            [
                ("+49711769890".to_owned(), "chamber"),
                ("+4952418900".to_owned(), "other_company")
            ]
        );
        assert!(identity.owns_domain("acme-shop.de"));
        assert!(!identity.owns_domain("miele.de"));
    }
}
