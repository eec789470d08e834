//! The score stage: channels, signals and crawl facts in, a transparent reachability score out.
//! Pure; the method and every weight live in `rules/scoring.toml`, each with its reasoning.
//!
//! Every item scores 0.0–1.0 with a reason a reader can check, or `None` when it does not apply
//! (no phone → no premium-rate question). A category is the weighted mean of its applicable items,
//! `None` when none applies; the total is the weighted mean of the categories that have a score.
//! So "unknown" is never averaged in as zero — Lighthouse's `arithmeticMean` falls back to 0 when
//! every weight is 0, which is exactly what an audit of reachability must not do.

use crate::model::{
    CategoryScore, Channel, ChannelKind, ItemScore, Mode, PhoneType, ProbeResult, Report, Score,
    Signal,
};
use crate::rules::scoring::{Item, Scoring};

/// Everything the score reads: the report's channels, signals and pages.
#[must_use]
pub fn score(report: &Report, scoring: &Scoring) -> Score {
    if !report.evaluated {
        return Score {
            total: None,
            grade: None,
            categories: Vec::new(),
            note: Some(
                "not computed: the site could not be evaluated, so nothing is known about it"
                    .to_owned(),
            ),
        };
    }
    let facts = Facts {
        channels: &report.channels,
        signals: &report.signals,
        pages: u32::try_from(report.crawl.pages.len()).unwrap_or(u32::MAX),
        probes: &report.probes,
    };
    let mut categories = Vec::new();
    let mut weighted = 0.0;
    let mut weights = 0.0;
    let mut unmeasured = Vec::new();
    for category in &scoring.categories {
        let items: Vec<ItemScore> = category
            .items
            .iter()
            .map(|item| {
                let (score, reason) = evaluate(item, &facts);
                ItemScore {
                    id: item.id.clone(),
                    title: item.title.clone(),
                    score: score.map(round2),
                    weight: item.weight,
                    reason,
                }
            })
            .collect();
        let (sum, total_weight) = items
            .iter()
            .filter_map(|i| i.score.map(|s| (s * i.weight, i.weight)))
            .fold((0.0, 0.0), |(a, b), (s, w)| (a + s, b + w));
        let score = (total_weight > 0.0).then(|| to_percent(sum / total_weight));
        match score {
            Some(s) if category.weight > 0.0 => {
                weighted += f64::from(s) * category.weight;
                weights += category.weight;
            }
            None => unmeasured.push(category.title.clone()),
            _ => {}
        }
        categories.push(CategoryScore {
            id: category.id.clone(),
            title: category.title.clone(),
            score,
            weight: category.weight,
            items,
        });
    }
    let total = (weights > 0.0).then(|| to_percent(weighted / weights / 100.0));
    let grade = total.map(|t| scoring.grade(t));
    let note = (!unmeasured.is_empty()).then(|| {
        format!(
            "not measured, left out of the total: {}",
            unmeasured.join(", ")
        )
    });
    Score {
        total,
        grade,
        categories,
        note,
    }
}

struct Facts<'a> {
    channels: &'a [Channel],
    signals: &'a [Signal],
    pages: u32,
    probes: &'a [ProbeResult],
}

impl Facts<'_> {
    fn of(&self, kind: ChannelKind) -> impl Iterator<Item = &Channel> {
        self.channels.iter().filter(move |c| c.kind == kind)
    }

    /// Channels a person answers, for findability.
    fn human(&self) -> impl Iterator<Item = &Channel> {
        self.channels.iter().filter(|c| c.reaches_person())
    }
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

#[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
fn to_percent(x: f64) -> u32 {
    (x.clamp(0.0, 1.0) * 100.0).round() as u32
}

fn where_(c: &Channel) -> String {
    match c.clicks {
        Some(0) => "on the start page".to_owned(),
        Some(1) => "1 click away".to_owned(),
        Some(n) => format!("{n} clicks away"),
        None => "only via the sitemap".to_owned(),
    }
}

/// One item: its score (None = not applicable) and the reason.
fn evaluate(item: &Item, f: &Facts<'_>) -> (Option<f64>, String) {
    let p = |key: &str| item.param(key);
    match item.id.as_str() {
        "sync_human" => {
            let mut best: Option<(f64, String)> = None;
            let mut consider = |value: f64, what: String| {
                if best.as_ref().is_none_or(|(b, _)| value > *b) {
                    best = Some((value, what));
                }
            };
            if let Some(c) = f.of(ChannelKind::Phone).next() {
                consider(p("phone"), format!("phone {} ({})", c.value, where_(c)));
            }
            for c in f.of(ChannelKind::Chat) {
                let vendor = c.vendor.as_deref().unwrap_or("chat");
                match c.mode {
                    Mode::Human => consider(p("chat_human"), format!("human chat ({vendor})")),
                    Mode::Hybrid => consider(
                        p("chat_hybrid"),
                        format!("chat with a bot first, people on request ({vendor})"),
                    ),
                    _ => {}
                }
            }
            if f.of(ChannelKind::Video).next().is_some() {
                consider(p("video"), "video consultation".to_owned());
            }
            if f.of(ChannelKind::Callback).next().is_some() {
                consider(p("callback"), "callback on request".to_owned());
            }
            match best {
                Some((v, what)) => (Some(v), format!("best: {what}")),
                None => (
                    Some(0.0),
                    "no phone number, no human chat, no callback or video found".to_owned(),
                ),
            }
        }
        "async_human" => {
            let email = f
                .of(ChannelKind::Email)
                .find(|c| c.email.as_ref().is_none_or(|e| !e.no_reply));
            let form = f.of(ChannelKind::ContactForm).next();
            let messenger = f.of(ChannelKind::Messenger).next();
            if let Some(c) = email {
                (
                    Some(p("email")),
                    format!("e-mail {} ({})", c.value, where_(c)),
                )
            } else if let Some(c) = form {
                (
                    Some(p("contact_form")),
                    format!("contact form ({})", where_(c)),
                )
            } else if let Some(c) = messenger {
                (
                    Some(p("messenger")),
                    format!("only a messenger: {} (may be a bot)", c.value),
                )
            } else {
                let no_reply = f.of(ChannelKind::Email).count();
                (
                    Some(0.0),
                    if no_reply > 0 {
                        "only no-reply e-mail addresses, no contact form".to_owned()
                    } else {
                        "no e-mail address and no contact form found".to_owned()
                    },
                )
            }
        }
        "choice" => {
            let mut kinds: Vec<ChannelKind> = f.human().map(|c| c.kind).collect();
            kinds.extend(
                f.channels
                    .iter()
                    .filter(|c| {
                        matches!(
                            c.kind,
                            ChannelKind::Messenger
                                | ChannelKind::Appointment
                                | ChannelKind::PostalAddress
                        )
                    })
                    .map(|c| c.kind),
            );
            kinds.sort();
            kinds.dedup();
            let full = p("full_at").max(1.0);
            let names: Vec<&str> = kinds.iter().map(|k| k.as_str()).collect();
            (
                Some((kinds.len() as f64 / full).min(1.0)),
                format!("{} kinds: {}", kinds.len(), names.join(", ")),
            )
        }
        "clicks_to_human" => {
            let best = f
                .human()
                .filter_map(|c| c.clicks.map(|k| (k, c)))
                .min_by_key(|(k, _)| *k);
            let table = item.param_list("by_clicks");
            match best {
                Some((clicks, c)) => {
                    let value = table.get(clicks as usize).copied().unwrap_or(0.0);
                    (
                        Some(value),
                        format!("{} {} {}", c.kind.as_str(), c.value, where_(c)),
                    )
                }
                None => (
                    Some(0.0),
                    "no human channel reachable by clicks from the start page".to_owned(),
                ),
            }
        }
        "contact_link" => {
            let with = f
                .signals
                .iter()
                .find(|s| s.id == crate::rules::cues::CONTACT_LINK_IN_NAVIGATION)
                .map_or(0, |s| s.pages);
            if f.pages == 0 {
                return (None, "no pages".to_owned());
            }
            let share = f64::from(with) / f64::from(f.pages);
            (
                Some((share / p("full_at").max(0.01)).min(1.0)),
                format!(
                    "{with} of {} pages link to a contact page from navigation, header or footer",
                    f.pages
                ),
            )
        }
        "no_deflection" => {
            let found: Vec<&str> = f
                .signals
                .iter()
                .filter(|s| s.deflection)
                .map(|s| s.id.as_str())
                .collect();
            if found.is_empty() {
                (Some(1.0), "no deflection wording found".to_owned())
            } else {
                (
                    Some((1.0 - p("per_signal") * found.len() as f64).max(0.0)),
                    format!("deflection: {}", found.join(", ")),
                )
            }
        }
        "no_premium" => {
            let phones: Vec<&Channel> = f.of(ChannelKind::Phone).collect();
            if phones.is_empty() {
                return (None, "no phone number, so no cost question".to_owned());
            }
            let kind = |c: &&Channel| c.phone.as_ref().map(|p| p.kind);
            if let Some(c) = phones
                .iter()
                .find(|c| kind(c) == Some(PhoneType::PremiumRate))
            {
                return (
                    Some(p("premium_rate")),
                    format!("premium-rate number {}", c.value),
                );
            }
            let shared: Vec<&&Channel> = phones
                .iter()
                .filter(|c| kind(c) == Some(PhoneType::SharedCost))
                .collect();
            if !shared.is_empty() && shared.len() == phones.len() {
                return (
                    Some(p("shared_cost_only")),
                    format!("only shared-cost numbers ({})", shared[0].value),
                );
            }
            (
                Some(1.0),
                "a free or basic-rate number is offered".to_owned(),
            )
        }
        "hours_published" => {
            let sync: Vec<&Channel> = f
                .channels
                .iter()
                .filter(|c| {
                    matches!(
                        c.kind,
                        ChannelKind::Phone | ChannelKind::Chat | ChannelKind::Callback
                    )
                })
                .collect();
            if sync.is_empty() {
                return (None, "no phone or chat".to_owned());
            }
            match sync.iter().find(|c| !c.hours.is_empty()) {
                Some(c) => (Some(1.0), format!("{}: {}", c.value, c.hours.join("; "))),
                None => (
                    Some(0.0),
                    "no hours written next to phone or chat".to_owned(),
                ),
            }
        }
        "no_walls" => {
            let forms: Vec<&Channel> = f.of(ChannelKind::ContactForm).collect();
            if forms.is_empty() {
                return (None, "no contact form".to_owned());
            }
            let mut walls = Vec::new();
            let sum: f64 = forms
                .iter()
                .map(|c| {
                    let form = c.form.as_ref();
                    let mut v = 1.0;
                    if let Some(captcha) = form.and_then(|f| f.captcha.as_deref()) {
                        v -= p("captcha");
                        walls.push(format!("CAPTCHA ({captcha})"));
                    }
                    if form.is_some_and(|f| f.login_required) {
                        v -= p("login");
                        walls.push("login".to_owned());
                    }
                    f64::max(v, 0.0)
                })
                .sum();
            walls.sort();
            walls.dedup();
            (
                Some(sum / forms.len() as f64),
                if walls.is_empty() {
                    format!("{} form(s), none behind a login or CAPTCHA", forms.len())
                } else {
                    format!("{} form(s); in front: {}", forms.len(), walls.join(", "))
                },
            )
        }
        "probes" => {
            // Known results only: a probe still in its window without a person's answer, or one
            // never confirmed sent, says nothing yet.
            let full = p("full_within_hours") * 3600.0;
            let window = p("window_days") * 86_400.0;
            let floor = p("at_window").min(1.0);
            let known: Vec<(f64, &ProbeResult)> = f
                .probes
                .iter()
                .filter_map(|r| {
                    let value = match (r.outcome.as_str(), r.first_human_secs) {
                        ("answered", Some(secs)) => {
                            #[allow(clippy::cast_precision_loss)]
                            let secs = secs as f64;
                            if secs <= full || window <= full {
                                1.0
                            } else {
                                let late = ((secs - full) / (window - full)).min(1.0);
                                1.0 - late * (1.0 - floor)
                            }
                        }
                        ("late" | "unanswered", _) => 0.0,
                        _ if r.bounced => 0.0,
                        _ => return None,
                    };
                    Some((value, r))
                })
                .collect();
            if f.probes.is_empty() {
                (None, "not measured: no test contacts were sent".to_owned())
            } else if known.is_empty() {
                let pending = f.probes.iter().filter(|r| r.outcome == "pending").count();
                (
                    None,
                    format!(
                        "not measured yet: {pending} test contact(s) still within the window, {} not (or not surely) sent",
                        f.probes.len() - pending
                    ),
                )
            } else {
                #[allow(clippy::cast_precision_loss)]
                let mean = known.iter().map(|(v, _)| v).sum::<f64>() / known.len() as f64;
                let answered = known
                    .iter()
                    .filter(|(_, r)| r.outcome == "answered")
                    .count();
                let bounced = known.iter().filter(|(_, r)| r.bounced).count();
                let mut times: Vec<i64> = known
                    .iter()
                    .filter_map(|(_, r)| r.first_human_secs)
                    .collect();
                times.sort_unstable();
                let median = times
                    .get(times.len() / 2)
                    .map(|s| {
                        format!(
                            "; median first answer by a person {}",
                            crate::model::human_duration(*s)
                        )
                    })
                    .unwrap_or_default();
                (
                    Some(mean),
                    format!(
                        "{answered} of {} test contact(s) answered by a person in time{}{median}",
                        known.len(),
                        if bounced > 0 {
                            format!(", {bounced} bounced (the published address does not work)")
                        } else {
                            String::new()
                        }
                    ),
                )
            }
        }
        other => (None, format!("unknown item {other}")),
    }
}

/// The item ids this version knows how to score; the rules loader refuses others.
pub const ITEMS: &[&str] = &[
    "sync_human",
    "async_human",
    "choice",
    "clicks_to_human",
    "contact_link",
    "no_deflection",
    "no_premium",
    "hours_published",
    "no_walls",
    "probes",
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{
        Crawl, EmailInfo, FormInfo, Limits, Page, PageKind, PhoneInfo, RobotsStatus, SourceKind,
        Target, Tool,
    };
    use crate::rules::Rules;

    fn report(channels: Vec<Channel>, signals: Vec<Signal>) -> Report {
        Report {
            schema_version: "1".into(),
            tool: Tool::current(),
            target: Target {
                input: "x".into(),
                start_url: "https://e.de/".into(),
                site: "e.de".into(),
                source: SourceKind::Http,
            },
            evaluated: true,
            reason: None,
            crawl: Crawl {
                pages: (0..10)
                    .map(|i| Page {
                        url: format!("https://e.de/{i}"),
                        status: 200,
                        clicks: Some(1),
                        kinds: vec![PageKind::Other],
                        title: None,
                        content_type: None,
                        redirected_from: vec![],
                        truncated: false,
                    })
                    .collect(),
                requests: 10,
                robots: RobotsStatus::Missing,
                errors: vec![],
                skipped: vec![],
                limits: Limits {
                    max_pages: 50,
                    max_depth: 5,
                    rate: None,
                    timeout_secs: 1.0,
                    max_bytes: 1,
                    max_redirects: 1,
                    user_agent: String::new(),
                },
                duration_ms: 0,
            },
            channels,
            third_parties: Vec::new(),
            signals,
            findings: vec![],
            score: Score::not_computed(),
            probes: vec![],
            company: None,
            gate: None,
        }
    }

    fn phone(kind: PhoneType, clicks: u32) -> Channel {
        let mut c = Channel::new(ChannelKind::Phone, "+49 800 1");
        c.phone = Some(PhoneInfo {
            extension: None,
            e164: "+498001".into(),
            kind,
            region: None,
        });
        c.mode = Mode::Human;
        c.clicks = Some(clicks);
        c
    }

    fn email(no_reply: bool) -> Channel {
        let mut c = Channel::new(ChannelKind::Email, "a@e.de");
        c.email = Some(EmailInfo {
            address: "a@e.de".into(),
            obfuscated: false,
            no_reply,
        });
        c.mode = Mode::Human;
        c.clicks = Some(1);
        c
    }

    fn nav(pages: u32) -> Signal {
        Signal {
            id: "contact_link_in_navigation".into(),
            deflection: false,
            pages,
            evidence: vec![],
        }
    }

    fn category(score: &Score, id: &str) -> Option<u32> {
        score.categories.iter().find(|c| c.id == id).unwrap().score
    }

    fn item(score: &Score, id: &str) -> Option<f64> {
        score
            .categories
            .iter()
            .flat_map(|c| &c.items)
            .find(|i| i.id == id)
            .unwrap()
            .score
    }

    #[test]
    fn a_reachable_company_scores_high_and_unmeasured_categories_stay_out() {
        let rules = Rules::embedded().unwrap();
        let mut hours = phone(PhoneType::TollFree, 0);
        hours.hours = vec!["Mo–Fr 8–20 Uhr".into()];
        let s = score(
            &report(vec![hours, email(false)], vec![nav(10)]),
            &rules.scoring,
        );
        assert_eq!(category(&s, "responsiveness"), None);
        assert_eq!(category(&s, "cost_and_access"), Some(100), "{s:#?}");
        assert_eq!(
            item(&s, "no_walls"),
            None,
            "no form: not applicable, not zero"
        );
        assert!(s.total.unwrap() >= 85, "{s:#?}");
        assert_eq!(s.grade.as_deref(), Some("A"));
        assert!(s.note.as_deref().unwrap().contains("Responsiveness"));
    }

    fn probe(outcome: &str, human: Option<i64>, bounced: bool) -> ProbeResult {
        ProbeResult {
            token: "ra-abcdefghjk".into(),
            company: "e.de".into(),
            channel: "email".into(),
            target: "a@e.de".into(),
            state: "sent".into(),
            sent_at: Some(0),
            replies: usize::from(human.is_some()),
            first_reply_secs: human,
            first_reply_class: human.map(|_| "human".into()),
            first_human_secs: human,
            bounced,
            outcome: outcome.into(),
        }
    }

    #[test]
    fn test_contacts_answered_by_people_score_and_open_ones_wait() {
        let rules = Rules::embedded().unwrap();
        let mut r = report(vec![phone(PhoneType::FixedLine, 0)], vec![nav(10)]);
        r.probes = vec![probe("pending", None, false)];
        let s = score(&r, &rules.scoring);
        assert_eq!(category(&s, "responsiveness"), None, "nothing known yet");
        r.probes = vec![
            probe("answered", Some(3600), false),
            probe("answered", Some(24 * 3600 + 13 * 86_400 / 2), false),
            probe("unanswered", None, false),
            probe("pending", None, true),
            probe("pending", None, false),
        ];
        let s = score(&r, &rules.scoring);
        // 1 + (1 − ½·0.75) + 0 + 0 over the four known contacts.
        let expected = (1.0 + (1.0 - 0.5 * 0.75)) / 4.0;
        assert!(
            (item(&s, "probes").unwrap() - expected).abs() < 0.01,
            "{s:#?}"
        );
        let reason = &s
            .categories
            .iter()
            .find(|c| c.id == "responsiveness")
            .unwrap()
            .items[0]
            .reason;
        assert!(
            reason.contains("2 of 4") && reason.contains("1 bounced"),
            "{reason}"
        );
        assert!(s.note.is_none(), "every category measured: {s:#?}");
    }

    #[test]
    fn premium_lines_deflection_walls_and_no_reply_cost_points() {
        let rules = Rules::embedded().unwrap();
        let mut form = Channel::new(ChannelKind::ContactForm, "Kontakt");
        form.clicks = Some(3);
        form.form = Some(FormInfo {
            fields: vec![],
            captcha: Some("recaptcha".into()),
            login_required: true,
            method: "POST".into(),
        });
        let deflect = Signal {
            id: "faq_first".into(),
            deflection: true,
            pages: 1,
            evidence: vec![],
        };
        let s = score(
            &report(
                vec![phone(PhoneType::PremiumRate, 3), email(true), form],
                vec![deflect, nav(2)],
            ),
            &rules.scoring,
        );
        assert_eq!(item(&s, "no_premium"), Some(0.0));
        assert_eq!(item(&s, "no_walls"), Some(0.0));
        assert_eq!(item(&s, "no_deflection"), Some(0.75));
        assert_eq!(item(&s, "clicks_to_human"), Some(0.5));
        assert_eq!(item(&s, "contact_link"), Some(0.25));
        assert_eq!(item(&s, "hours_published"), Some(0.0));
        assert_eq!(
            item(&s, "async_human"),
            Some(1.0),
            "the form still reaches people"
        );
        assert!(s.total.unwrap() < 70, "{s:#?}");
    }

    #[test]
    fn no_human_channel_at_all_scores_zero_there_and_bots_do_not_count() {
        let rules = Rules::embedded().unwrap();
        let mut bot = Channel::new(ChannelKind::Chat, "Botpress");
        bot.mode = Mode::Bot;
        bot.clicks = Some(0);
        let s = score(&report(vec![bot, email(true)], vec![]), &rules.scoring);
        assert_eq!(item(&s, "sync_human"), Some(0.0));
        assert_eq!(item(&s, "async_human"), Some(0.0));
        assert_eq!(item(&s, "clicks_to_human"), Some(0.0));
        assert_eq!(s.grade.as_deref(), Some("F"), "{s:#?}");
    }

    #[test]
    fn a_site_that_could_not_be_evaluated_has_no_score() {
        let rules = Rules::embedded().unwrap();
        let mut r = report(vec![], vec![]);
        r.evaluated = false;
        let s = score(&r, &rules.scoring);
        assert_eq!((s.total, s.grade), (None, None));
    }
}
