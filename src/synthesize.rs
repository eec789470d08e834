//! The synthesize stage: all observations of a site in, one list of channels out. Pure.
//!
//! The same hotline in every page footer is one channel, not fifty: observations are merged by
//! kind and identity (E.164 number, lower-case address, else the value), the channel's `clicks` is
//! the fewest clicks of any page showing it, and its evidence is ordered best (fewest clicks)
//! first, one entry per page, at most [`MAX_EVIDENCE`].

use std::collections::HashMap;

use crate::extract::Observation;
use crate::model::{Channel, Evidence, Mode};

/// A channel being merged, with its evidence and the clicks of the page each came from.
type Merging = (Channel, Vec<(Option<u32>, Evidence)>);

/// Evidence entries kept per channel: enough to show where it is, not every footer.
pub const MAX_EVIDENCE: usize = 5;

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
    for obs in observations {
        let key = format!("{}|{}", obs.kind.as_str(), identity(&obs));
        let here = page_clicks(&obs.evidence.url);
        let entry = merged.entry(key.clone()).or_insert_with(|| {
            order.push(key);
            (
                Channel {
                    kind: obs.kind,
                    value: obs.value.clone(),
                    phone: obs.phone.clone(),
                    email: obs.email.clone(),
                    vendor: obs.vendor.clone(),
                    mode: obs.mode,
                    clicks: None,
                    evidence: Vec::new(),
                },
                Vec::new(),
            )
        });
        let (channel, evidence) = entry;
        channel.mode = stronger(channel.mode, obs.mode);
        if let (Some(info), Some(new)) = (&mut channel.email, &obs.email) {
            info.obfuscated &= new.obfuscated;
        }
        if !evidence.iter().any(|(_, e)| e.url == obs.evidence.url) {
            evidence.push((here, obs.evidence));
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

fn identity(obs: &Observation) -> String {
    if let Some(phone) = &obs.phone {
        return phone.e164.clone();
    }
    if let Some(email) = &obs.email {
        return email.address.clone();
    }
    obs.value.to_lowercase()
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
        Observation {
            kind: ChannelKind::Phone,
            value: e164.to_owned(),
            phone: Some(PhoneInfo {
                e164: e164.to_owned(),
                kind: PhoneType::TollFree,
                region: Some("DE".into()),
            }),
            email: None,
            vendor: None,
            mode: Mode::Human,
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
