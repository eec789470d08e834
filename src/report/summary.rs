//! A site reduced to the figures a ranking, a spreadsheet row or a comparison shows. Summaries
//! are small, so a report over thousands of sites keeps these and lets each full report go.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::model::{ChannelKind, Company, CustomerPath, FindingStatus, Mode, PhoneType, Report};

/// How a site offers one kind of channel: the most human mode and the fewest clicks of any
/// channel of that kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct KindCell {
    /// Human, then hybrid, unknown, bot: the best of the kind.
    pub mode: Mode,
    /// Fewest link clicks from the start page; `None` when only seen off the crawled path.
    pub clicks: Option<u32>,
    /// How many channels of the kind.
    pub count: usize,
}

/// One site as a ranking shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SiteSummary {
    /// The list's name, else the site.
    pub name: String,
    /// The audited URL as given.
    pub url: String,
    /// The site's registrable domain (the path, for a local directory).
    pub site: String,
    /// The list's sector column.
    pub sector: Option<String>,
    /// Whether anything could be evaluated.
    pub evaluated: bool,
    /// Why not.
    pub reason: Option<String>,
    /// 0–100.
    pub total: Option<u32>,
    /// A–F.
    pub grade: Option<String>,
    /// Category id → score.
    pub categories: BTreeMap<String, Option<u32>>,
    /// The channel kinds offered.
    pub kinds: BTreeMap<ChannelKind, KindCell>,
    /// A phone number of any kind.
    pub has_phone: bool,
    /// An e-mail address a person reads (not no-reply).
    pub has_email: bool,
    /// A chat with people behind it (human or hybrid).
    pub has_human_chat: bool,
    /// Chat exists, and every chat is a bot.
    pub bot_only_chat: bool,
    /// A premium-rate or shared-cost number.
    pub premium_hotline: bool,
    /// Fewest clicks to any channel a person answers.
    pub clicks_to_human: Option<u32>,
    /// The customer's ways to a person (at once, in writing), as the score found them.
    pub paths: Vec<CustomerPath>,
    /// Steps (clicks and gates) on the nearer of the two ways.
    pub steps_to_person: Option<u32>,
    /// Rules or conditions that capped the grade.
    pub caps: Vec<String>,
    /// Ids of the rules that failed.
    pub failed_rules: Vec<String>,
    /// Some rule pack was checked (a site no pack applies to counts in no legal share).
    pub legally_checked: bool,
    /// Every checked rule's title by id, for people.
    pub rule_titles: BTreeMap<String, String>,
    /// Pages fetched.
    pub pages: usize,
}

/// A premium-rate or shared-cost number for customers: the verdict of the rule packs' cost rules
/// where one was checked (so a sales-only 0180 line that the rule lets pass counts as none, in
/// every output alike), else any such number at all.
fn premium_hotline(r: &Report) -> bool {
    let cost: Vec<&crate::model::Finding> = r
        .findings
        .iter()
        .filter(|f| f.check == "phone_types_absent")
        .collect();
    if cost.is_empty() {
        return r.channels.iter().any(|c| {
            c.phone
                .as_ref()
                .is_some_and(|p| matches!(p.kind, PhoneType::PremiumRate | PhoneType::SharedCost))
        });
    }
    cost.iter()
        .any(|f| matches!(f.status, FindingStatus::Fail | FindingStatus::Warn))
}

/// Ranks modes for "the most human of the kind".
fn humanity(mode: Mode) -> u8 {
    match mode {
        Mode::Human => 3,
        Mode::Hybrid => 2,
        Mode::Unknown => 1,
        Mode::Bot => 0,
    }
}

impl SiteSummary {
    /// The figures of one report.
    #[must_use]
    pub fn of(r: &Report) -> Self {
        let mut kinds: BTreeMap<ChannelKind, KindCell> = BTreeMap::new();
        for c in &r.channels {
            let cell = kinds.entry(c.kind).or_insert(KindCell {
                mode: c.mode,
                clicks: c.clicks,
                count: 0,
            });
            cell.count += 1;
            if humanity(c.mode) > humanity(cell.mode) {
                cell.mode = c.mode;
            }
            cell.clicks = match (cell.clicks, c.clicks) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
        }
        let chats: Vec<_> = r
            .channels
            .iter()
            .filter(|c| c.kind == ChannelKind::Chat)
            .collect();
        let company = r.company.as_ref();
        Self {
            name: company.map_or_else(|| r.target.name().to_owned(), |c| c.name.clone()),
            url: r.target.input.clone(),
            site: r.target.name().to_owned(),
            sector: company.and_then(|c| c.sector.clone()),
            evaluated: r.evaluated,
            reason: r.reason.clone(),
            total: r.score.total,
            grade: r.score.grade.clone(),
            categories: r
                .score
                .categories
                .iter()
                .map(|c| (c.id.clone(), c.score))
                .collect(),
            has_phone: kinds.contains_key(&ChannelKind::Phone),
            has_email: r
                .channels
                .iter()
                .any(|c| c.kind == ChannelKind::Email && c.reaches_person()),
            has_human_chat: chats
                .iter()
                .any(|c| matches!(c.mode, Mode::Human | Mode::Hybrid)),
            bot_only_chat: !chats.is_empty() && chats.iter().all(|c| c.mode == Mode::Bot),
            premium_hotline: premium_hotline(r),
            clicks_to_human: r
                .channels
                .iter()
                .filter(|c| c.reaches_person())
                .filter_map(|c| c.clicks)
                .min(),
            paths: r.score.paths.clone(),
            steps_to_person: r.score.paths.iter().filter_map(|p| p.effort).min(),
            caps: r.score.caps.iter().map(|c| c.rule.clone()).collect(),
            failed_rules: r
                .findings
                .iter()
                .filter(|f| f.status == FindingStatus::Fail)
                .map(|f| f.rule.clone())
                .collect(),
            legally_checked: !r.findings.is_empty(),
            rule_titles: r
                .findings
                .iter()
                .map(|f| (f.rule.clone(), f.title.clone()))
                .collect(),
            pages: r.crawl.pages.len(),
            kinds,
        }
    }

    /// A site whose audit could not even start (a bad URL, a client that could not be built).
    #[must_use]
    pub fn failed(company: &Company, url: &str, reason: &str) -> Self {
        Self {
            name: company.name.clone(),
            url: url.to_owned(),
            site: String::new(),
            sector: company.sector.clone(),
            evaluated: false,
            reason: Some(reason.to_owned()),
            total: None,
            grade: None,
            categories: BTreeMap::new(),
            kinds: BTreeMap::new(),
            has_phone: false,
            has_email: false,
            has_human_chat: false,
            bot_only_chat: false,
            premium_hotline: false,
            clicks_to_human: None,
            paths: Vec::new(),
            steps_to_person: None,
            caps: Vec::new(),
            failed_rules: Vec::new(),
            legally_checked: false,
            rule_titles: BTreeMap::new(),
            pages: 0,
        }
    }
}

/// Ranking order: evaluated sites by total score, best first, then by name; the sites that could
/// not be evaluated last, by name. Returns indexes into `sites`.
#[must_use]
pub fn ranking(sites: &[SiteSummary]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..sites.len()).collect();
    order.sort_by(|&a, &b| {
        let (x, y) = (&sites[a], &sites[b]);
        let key = |s: &SiteSummary| std::cmp::Reverse(s.evaluated.then_some(s.total).flatten());
        key(x)
            .cmp(&key(y))
            .then_with(|| x.name.to_lowercase().cmp(&y.name.to_lowercase()))
            .then_with(|| x.url.cmp(&y.url))
    });
    order
}

/// The median of some scores (the mean of the middle two for an even count).
#[must_use]
pub(super) fn median(values: &mut [u32]) -> Option<f64> {
    values.sort_unstable();
    let n = values.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(f64::from(values[n / 2])),
        _ => Some(f64::midpoint(
            f64::from(values[n / 2 - 1]),
            f64::from(values[n / 2]),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Channel, ChannelKind, Mode};
    use crate::report::sample;

    #[test]
    fn summary_keeps_the_most_human_mode_and_fewest_clicks_per_kind() {
        let mut r = sample::report();
        r.channels.push(Channel {
            mode: Mode::Bot,
            clicks: Some(0),
            ..Channel::new(ChannelKind::Chat, "Bot")
        });
        r.channels.push(Channel {
            mode: Mode::Hybrid,
            clicks: Some(2),
            ..Channel::new(ChannelKind::Chat, "Zendesk")
        });
        let s = SiteSummary::of(&r);
        let chat = s.kinds[&ChannelKind::Chat];
        assert_eq!(
            (chat.mode, chat.clicks, chat.count),
            (Mode::Hybrid, Some(0), 2)
        );
        assert!(s.has_phone && s.has_email && s.has_human_chat && !s.bot_only_chat);
        assert_eq!(s.clicks_to_human, Some(1));
        assert_eq!(s.name, "acme-shop.de");
    }

    #[test]
    fn a_premium_hotline_is_what_the_cost_rule_says_it_is() {
        use crate::model::{Finding, PhoneInfo, Severity};
        let mut r = sample::report();
        r.channels.push(Channel {
            phone: Some(PhoneInfo {
                e164: "+491806709300".into(),
                kind: PhoneType::SharedCost,
                region: Some("DE".into()),
                extension: None,
            }),
            labels: vec!["sales".into()],
            ..Channel::new(ChannelKind::Phone, "+49 180 6 709300")
        });
        // No rule pack checked: any such number counts.
        assert!(SiteSummary::of(&r).premium_hotline);
        let finding = |status| Finding {
            rule: "de.bgb.312a.5.basic_rate".into(),
            jurisdiction: "de".into(),
            status,
            severity: Severity::Error,
            title: String::new(),
            law: String::new(),
            message: String::new(),
            evidence: vec![],
            source: String::new(),
            why: String::new(),
            check: "phone_types_absent".into(),
        };
        // The rule lets a sales-only line pass: so does the summary, and every export with it.
        r.findings = vec![finding(FindingStatus::Pass)];
        assert!(!SiteSummary::of(&r).premium_hotline);
        r.findings = vec![finding(FindingStatus::Fail)];
        assert!(SiteSummary::of(&r).premium_hotline);
    }

    #[test]
    fn ranking_puts_unevaluated_sites_last_and_ties_by_name() {
        let mut a = SiteSummary::of(&sample::report());
        a.name = "b".into();
        a.total = Some(50);
        let mut b = a.clone();
        b.name = "A".into();
        let mut c = a.clone();
        c.total = Some(90);
        c.name = "z".into();
        let mut d = a.clone();
        d.evaluated = false;
        d.total = None;
        d.name = "0".into();
        assert_eq!(ranking(&[a, b, c, d]), [2, 1, 0, 3]);
        assert_eq!(median(&mut [3, 1, 2]), Some(2.0));
        assert_eq!(median(&mut [4, 1, 2, 3]), Some(2.5));
        assert_eq!(median(&mut []), None);
    }
}
