//! The synthesize stage: all observations of a site in, one list of channels out. Pure.
//!
//! The same hotline in every page footer is one channel, not fifty: observations are merged by
//! kind and identity (E.164 number, lower-case address, vendor and link, form action, postcode
//! and street, else the value), the channel's `clicks` is the fewest clicks of any page showing
//! it, labels and hours are merged, and its evidence is ordered best (fewest clicks) first, one
//! entry per page, at most [`MAX_EVIDENCE`].

use std::collections::HashMap;

use crate::extract::{Observation, PageSignal};
use crate::model::{Channel, Evidence, Mode, Signal};

/// Evidence entries kept per channel: enough to show where it is, not every footer.
pub const MAX_EVIDENCE: usize = 5;
/// Hours notes kept per channel: pages that repeat the hours in other words add nothing.
pub const MAX_HOURS: usize = 4;

/// A channel being merged, with its evidence and the clicks of the page each came from.
type Merging = (Channel, Vec<(Option<u32>, Evidence)>);

/// Merges observations into channels. `clicks` gives each page's clicks from the start page
/// (`None` for pages only the sitemap leads to).
#[must_use]
pub fn channels(
    observations: Vec<Observation>,
    clicks: &HashMap<String, Option<u32>>,
) -> Vec<Channel> {
    let page_clicks = |url: &str| clicks.get(url).copied().flatten();
    let mut order: Vec<String> = Vec::new();
    let mut merged: HashMap<String, Merging> = HashMap::new();
    for Observation {
        channel: seen,
        evidence: seen_at,
        ..
    } in observations
    {
        let key = format!("{}|{}", seen.kind.as_str(), Channel::identity(&seen));
        let here = page_clicks(&seen_at.url);
        let (channel, evidence) = merged.entry(key.clone()).or_insert_with(|| {
            order.push(key);
            (seen.clone(), Vec::new())
        });
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
        .map(|(mut channel, mut evidence)| {
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
    out
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
                evidence.push((here, s.evidence));
            }
            None => merged.push((
                Signal {
                    id: s.id,
                    deflection: s.deflection,
                    pages: 1,
                    evidence: Vec::new(),
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
            e164: e164.to_owned(),
            kind: PhoneType::TollFree,
            region: Some("DE".into()),
        });
        channel.mode = Mode::Human;
        Observation {
            channel,
            block: None,
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
        let channels = channels(obs, &clicks);
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
}
