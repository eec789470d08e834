//! The score stage: channels, signals, findings and crawl facts in, a transparent reachability
//! score out. Pure; the method and every weight live in `rules/scoring.toml`, each with its
//! reasoning.
//!
//! The score follows a customer with a problem from the start page to a person (`path`): only
//! the company's channels that serve customers count, and the way there is measured in clicks
//! plus every gate on it. Every item scores 0.0–1.0 with a reason a reader can check, or `None`
//! when it does not apply (no phone → no cost question). A category is the weighted mean of its
//! applicable items, `None` when none applies; the total is the weighted mean of the categories
//! that have a score. So "unknown" is never averaged in as zero — Lighthouse's `arithmeticMean`
//! falls back to 0 when every weight is 0, which is exactly what an audit of reachability must
//! not do. Last, failed legal duties about reaching people cap the grade.

mod path;

use std::fmt::Write as _;

use crate::model::{
    CategoryScore, Channel, ChannelKind, Contact, FindingStatus, GradeCap, ItemScore, Mode,
    ProbeResult, Report, Score,
};
use crate::rules::scoring::{Item, Scoring, Week};
use path::{Customer, Role, Served, describe};

/// Everything the score reads: the report's channels, signals, findings and pages.
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
            paths: Vec::new(),
            caps: Vec::new(),
        };
    }
    let customer = Customer::read(report, scoring);
    let facts = Facts {
        report,
        scoring,
        customer: &customer,
        pages: u32::try_from(report.crawl.pages.len()).unwrap_or(u32::MAX),
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
            why_not_higher: why_not_higher(score, &items),
            items,
        });
    }
    let points = (weights > 0.0).then(|| to_percent(weighted / weights / 100.0));
    let (total, grade, caps) = match points {
        Some(points) => {
            let (total, grade, caps) = capped(points, report, &customer, scoring);
            (Some(total), Some(grade), caps)
        }
        None => (None, None, Vec::new()),
    };
    let mut notes = Vec::new();
    if !unmeasured.is_empty() {
        notes.push(format!(
            "not measured, left out of the total: {}",
            unmeasured.join(", ")
        ));
    }
    if let (Some(points), Some(total)) = (points, total)
        && points != total
    {
        notes.push(format!(
            "held at {total} from {points} points by a cap on the grade"
        ));
    }
    Score {
        total,
        grade,
        categories,
        note: (!notes.is_empty()).then(|| notes.join("; ")),
        paths: customer.paths(),
        caps,
    }
}

/// The items that cost the most here, in one line: what a reader would fix first.
fn why_not_higher(score: Option<u32>, items: &[ItemScore]) -> Option<String> {
    if score.is_none_or(|s| s >= 100) {
        return None;
    }
    let mut lost: Vec<(f64, &ItemScore)> = items
        .iter()
        .filter_map(|i| i.score.map(|s| ((1.0 - s) * i.weight, i)))
        .filter(|(l, _)| *l > 0.0)
        .collect();
    lost.sort_by(|a, b| b.0.total_cmp(&a.0));
    let parts: Vec<String> = lost
        .iter()
        .take(2)
        .map(|(_, i)| format!("{}: {}", i.title, i.reason))
        .collect();
    (!parts.is_empty()).then(|| parts.join("; "))
}

/// The grade for the points, then every cap that holds and is stricter. A capped total is held
/// just below the next better grade, so a ranking by total agrees with the grades.
fn capped(
    points: u32,
    report: &Report,
    customer: &Customer<'_>,
    scoring: &Scoring,
) -> (u32, String, Vec<GradeCap>) {
    let bands = scoring.grade_bands();
    let rank = |grade: &str| {
        bands
            .iter()
            .position(|(g, _)| g == grade)
            .unwrap_or(bands.len())
    };
    let mut grade = scoring.grade(points);
    let mut total = points;
    let mut caps = Vec::new();
    for cap in &scoring.caps {
        let finding = report.findings.iter().find(|f| {
            f.rule == cap.when && matches!(f.status, FindingStatus::Fail | FindingStatus::Warn)
        });
        let holds = match cap.when.as_str() {
            "no_person" => customer.at_once.is_none() && customer.in_writing.is_none(),
            "no_person_at_once_and_deflection" => {
                customer.at_once.is_none()
                    && report
                        .signals
                        .iter()
                        .any(|s| scoring.path.pushed_away.contains(&s.id))
            }
            "paid_customer_lines_only" => {
                let lines = customer.customer_lines();
                !lines.is_empty() && lines.iter().all(|c| line_price(c, scoring) < 1.0)
            }
            _ => finding.is_some(),
        };
        if !holds || rank(&cap.grade) <= rank(&scoring.grade(points)) {
            continue;
        }
        caps.push(GradeCap {
            rule: cap.when.clone(),
            grade: cap.grade.clone(),
            law: finding.map(|f| f.law.clone()).unwrap_or_default(),
            reason: cap.why.clone(),
        });
        if rank(&cap.grade) > rank(&grade) {
            grade.clone_from(&cap.grade);
            // The best total of this grade: one below the next better grade's threshold.
            let ceiling = rank(&grade)
                .checked_sub(1)
                .and_then(|better| bands.get(better))
                .map_or(100, |(_, min)| min.saturating_sub(1));
            total = total.min(ceiling);
        }
    }
    (total, grade, caps)
}

struct Facts<'a> {
    report: &'a Report,
    scoring: &'a Scoring,
    customer: &'a Customer<'a>,
    pages: u32,
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

#[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
fn to_percent(x: f64) -> u32 {
    (x.clamp(0.0, 1.0) * 100.0).round() as u32
}

/// "(customer_service, 1 click, no gate)"
fn way_words(s: &Served<'_>, path: &crate::model::CustomerPath) -> String {
    let role = match &s.role {
        Role::Labelled(l) => l.clone(),
        Role::General => "no role given".to_owned(),
        Role::LegalMinimum => "only in the imprint or privacy policy".to_owned(),
    };
    let clicks = match path.clicks {
        Some(0) => "on the start page".to_owned(),
        Some(1) => "1 click".to_owned(),
        Some(n) => format!("{n} clicks"),
        None => "only via the sitemap".to_owned(),
    };
    let gates = match path.gates.len() {
        0 => String::new(),
        1 => ", 1 gate".to_owned(),
        n => format!(", {n} gates"),
    };
    format!("{role}, {clicks}{gates}")
}

/// What the company offers that does not count for customers, for a reason that explains a 0.
fn left_out(f: &Facts<'_>, contact: Contact) -> String {
    let others: Vec<String> = f
        .customer
        .not_for_customers
        .iter()
        .filter(|c| {
            matches!(
                (contact, c.kind),
                (
                    Contact::AtOnce,
                    ChannelKind::Phone | ChannelKind::Chat | ChannelKind::Callback
                ) | (
                    Contact::InWriting,
                    ChannelKind::Email | ChannelKind::ContactForm
                )
            )
        })
        .take(2)
        .map(|c| format!("{} ({})", describe(c), c.labels.join(", ")))
        .collect();
    if others.is_empty() {
        String::new()
    } else {
        format!("; not for customers: {}", others.join(", "))
    }
}

/// What calling a line is worth, 0–1: the `line_cost` item's parameter named after the line's
/// type (`premium_rate`, `shared_cost` …), else 1 (a normal call). The one table for the score's
/// cost item, its cap and the choice between equally good lines.
pub(crate) fn line_price(c: &Channel, scoring: &Scoring) -> f64 {
    let Some(kind) = c.phone.as_ref().map(|p| p.kind.as_str()) else {
        return 1.0;
    };
    scoring
        .item("line_cost")
        .filter(|i| i.params.contains_key(kind))
        .map_or(1.0, |i| i.param(kind))
}

/// How long the hours notes say someone answers: `None` without notes, `Some(Hours::Always)` round
/// the clock, `Some(Hours::Weekly(h))` hours a week, `Some(Hours::Unread)` hours given that could not
/// be read. The same hours written twice (on two pages, in two wordings) count once.
fn weekly_hours(notes: &[String], week: &Week) -> Option<Hours> {
    if notes.is_empty() {
        return None;
    }
    if notes.iter().any(|n| week.round_the_clock(n)) {
        return Some(Hours::Always);
    }
    let mut seen: Vec<(u32, Vec<(u32, u32)>)> = Vec::new();
    let mut total = 0.0;
    for note in notes {
        let ranges = ranges_in(note);
        if ranges.is_empty() {
            continue;
        }
        let days = week.days(note);
        // Compared in minutes, so two wordings of the same hours are one.
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let key = (
            days as u32,
            ranges
                .iter()
                .map(|(a, b)| ((a * 60.0) as u32, (b * 60.0) as u32))
                .collect::<Vec<_>>(),
        );
        if seen.contains(&key) {
            continue;
        }
        seen.push(key);
        let per_day: f64 = ranges
            .iter()
            .map(|(from, to)| {
                let d = to - from;
                if d > 0.0 { d } else { d + 24.0 }
            })
            .sum();
        total += per_day.min(24.0) * days;
    }
    Some(if seen.is_empty() {
        Hours::Unread
    } else {
        Hours::Weekly(total.min(168.0))
    })
}

/// What the hours notes say.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Hours {
    Always,
    Weekly(f64),
    Unread,
}

/// The time ranges of a note, in hours of the day ("8–20 Uhr" → 8–20, "9am–5pm" → 9–17).
fn ranges_in(note: &str) -> Vec<(f64, f64)> {
    static RANGE: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        let time = r"(\d{1,2})(?:[:.h](\d{2}))?\s*(am|pm|a\.m\.|p\.m\.)?";
        regex::Regex::new(&format!(
            r"(?i){time}\s*(?:uhr|h|uur)?\s*(?:–|-|bis|to|a|à|au|al|alle|tot)\s*{time}"
        ))
        .expect("valid regex")
    });
    let hour = |c: &regex::Captures<'_>, at: usize| -> Option<f64> {
        let h: f64 = c.get(at)?.as_str().parse().ok()?;
        let m: f64 = c
            .get(at + 1)
            .map_or(Some(0.0), |m| m.as_str().parse().ok())?;
        let pm = c
            .get(at + 2)
            .is_some_and(|s| s.as_str().to_ascii_lowercase().starts_with('p'));
        let h = if pm && h < 12.0 { h + 12.0 } else { h };
        (h <= 24.0 && m < 60.0).then_some(h + m / 60.0)
    };
    RANGE
        .captures_iter(note)
        .filter_map(|c| Some((hour(&c, 1)?, hour(&c, 4)?)))
        .collect()
}

/// One item: its score (None = not applicable) and the reason.
#[allow(clippy::too_many_lines)]
fn evaluate(item: &Item, f: &Facts<'_>) -> (Option<f64>, String) {
    let p = |key: &str| item.param(key);
    let customer = f.customer;
    match item.id.as_str() {
        "at_once" | "in_writing" => {
            let (way, contact) = if item.id == "at_once" {
                (&customer.at_once, Contact::AtOnce)
            } else {
                (&customer.in_writing, Contact::InWriting)
            };
            match way {
                Some(w) => {
                    let mut reason = format!(
                        "{} ({})",
                        describe(w.served.channel),
                        way_words(&w.served, &w.path)
                    );
                    if w.served.channel.kind == ChannelKind::Chat {
                        reason.push_str(match (w.served.channel.mode, w.served.channel.handoff) {
                            (Mode::Hybrid, true) => "; a bot first, with a way to a person",
                            (Mode::Hybrid, false) => "; a bot first, no way to a person shown",
                            (Mode::Unknown, _) => "; not known who answers",
                            _ => "",
                        });
                    }
                    // A person at the end of a long way is still a person, but less of one
                    // for a customer: the value times the way's nearness, never below `far`.
                    let near = path::nearness(w.path.effort, contact, f.scoring);
                    if near < 1.0 {
                        let _ = write!(reason, "; far from the start page: ×{near:.2}");
                    }
                    (Some((w.served.value * near).min(1.0)), reason)
                }
                None => (
                    Some(0.0),
                    format!(
                        "{}{}",
                        match contact {
                            Contact::AtOnce =>
                                "no telephone, chat with people, callback or video call for customers",
                            Contact::InWriting =>
                                "no e-mail address people read and no contact form for customers",
                        },
                        left_out(f, contact)
                    ),
                ),
            }
        }
        "effort" => match customer.nearest() {
            Some(w) => match w.path.effort {
                Some(steps) => (
                    Some(
                        item.param_list("by_steps")
                            .get(steps as usize)
                            .copied()
                            .unwrap_or(0.0),
                    ),
                    format!(
                        "{} step{}: {}",
                        steps,
                        if steps == 1 { "" } else { "s" },
                        w.path.summary
                    ),
                ),
                None => (Some(0.0), w.path.summary.clone()),
            },
            None => (Some(0.0), "no way to a person for customers".to_owned()),
        },
        "contact_link" => {
            let with = f
                .report
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
                .report
                .signals
                .iter()
                .filter(|s| s.deflection)
                .map(|s| s.id.as_str())
                .collect();
            if found.is_empty() {
                return (Some(1.0), "no deflection wording found".to_owned());
            }
            let cost: f64 = found
                .iter()
                .map(|id| {
                    if item.params.contains_key(*id) {
                        p(id)
                    } else {
                        p("per_signal")
                    }
                })
                .sum();
            let said: Vec<String> = f
                .report
                .signals
                .iter()
                .filter(|s| s.deflection)
                .map(|s| {
                    if s.title.is_empty() {
                        s.id.replace('_', " ")
                    } else {
                        s.title.clone()
                    }
                })
                .collect();
            (
                Some((1.0 - cost).max(0.0)),
                format!("deflection wording: {}", said.join("; ")),
            )
        }
        "no_bot_in_front" => {
            let Some(bot) = customer.bots.iter().find(|b| {
                b.seen_on.iter().any(|u| customer.is_front(u, f.scoring)) || b.clicks == Some(0)
            }) else {
                return (
                    None,
                    "no chatbot without a way to people up front".to_owned(),
                );
            };
            let vendor = bot.vendor.as_deref().unwrap_or("chatbot");
            // The nearest person that is not the bot itself (a bot-first chat without hand-off
            // is a way at once, but not a person in front of it), at once or in writing.
            let person = [&customer.at_once, &customer.in_writing]
                .into_iter()
                .flatten()
                .filter(|w| !std::ptr::eq(w.served.channel, *bot))
                .filter_map(|w| w.path.effort)
                .min();
            let bot_steps = bot.clicks.unwrap_or(0);
            // A bot-first chat without a hand-off still has people behind it (the rubric's
            // minor fault); a bot alone has none.
            let worst = if bot.mode == Mode::Hybrid {
                p("as_near")
            } else {
                0.0
            };
            match person {
                Some(steps) if steps <= bot_steps => (
                    Some(p("as_near")),
                    format!("a chatbot ({vendor}) answers first up front; people are as near"),
                ),
                Some(steps) => (
                    Some(worst),
                    format!(
                        "a chatbot ({vendor}) is the first help offer; a person is {} step{} further",
                        steps - bot_steps,
                        if steps - bot_steps == 1 { "" } else { "s" }
                    ),
                ),
                None => (
                    Some(worst),
                    format!("a chatbot ({vendor}) is the only help offered"),
                ),
            }
        }
        "line_cost" => {
            let offered = customer.customer_lines();
            if offered.is_empty() {
                return (
                    None,
                    "no customer telephone line, so no cost question".to_owned(),
                );
            }
            let price = |c: &Channel| line_price(c, f.scoring);
            let best = offered
                .iter()
                .max_by(|a, b| price(a).total_cmp(&price(b)))
                .expect("not empty");
            let dearest = offered
                .iter()
                .min_by(|a, b| price(a).total_cmp(&price(b)))
                .expect("not empty");
            let kind = |c: &Channel| {
                c.phone
                    .as_ref()
                    .map_or("unknown", |p| p.kind.as_str())
                    .replace('_', " ")
            };
            let best_price = price(best);
            if best_price < 1.0 {
                (
                    Some(best_price),
                    format!(
                        "the cheapest customer line is {} ({})",
                        best.value,
                        kind(best)
                    ),
                )
            } else if price(dearest) < 1.0 {
                (
                    Some((1.0 - p("paid_beside")).max(0.0)),
                    format!(
                        "{} costs a normal call, but customers are also offered {} ({})",
                        best.value,
                        dearest.value,
                        kind(dearest)
                    ),
                )
            } else {
                (
                    Some(1.0),
                    format!(
                        "{} ({}) costs no more than a normal call",
                        best.value,
                        kind(best)
                    ),
                )
            }
        }
        "hours" => {
            let sync: Vec<&Served<'_>> = customer
                .served
                .iter()
                .filter(|s| {
                    matches!(
                        s.channel.kind,
                        ChannelKind::Phone | ChannelKind::Chat | ChannelKind::Callback
                    )
                })
                .collect();
            if sync.is_empty() {
                return (None, "no customer telephone or chat".to_owned());
            }
            // The path's channel first: its hours are the ones a customer needs.
            let first = customer
                .at_once
                .as_ref()
                .filter(|w| !w.served.channel.hours.is_empty())
                .map(|w| w.served.channel);
            let Some(c) =
                first.or_else(|| sync.iter().map(|s| s.channel).find(|c| !c.hours.is_empty()))
            else {
                return (
                    Some(0.0),
                    "no hours written next to a customer telephone line or chat".to_owned(),
                );
            };
            let published = p("published").min(1.0);
            let full = p("full_at_hours").max(1.0);
            match weekly_hours(&c.hours, &f.scoring.week) {
                Some(Hours::Always) => (
                    Some(1.0),
                    format!("{}: round the clock ({})", c.value, c.hours.join("; ")),
                ),
                Some(Hours::Weekly(h)) => (
                    Some(published + (1.0 - published) * (h / full).min(1.0)),
                    format!(
                        "{}: {} (about {h:.0} hours a week)",
                        c.value,
                        c.hours.join("; ")
                    ),
                ),
                Some(Hours::Unread) => (
                    Some(published),
                    format!("{}: {} (hours not read)", c.value, c.hours.join("; ")),
                ),
                None => (Some(0.0), "no hours".to_owned()),
            }
        }
        "no_walls" => {
            let forms: Vec<&Channel> = customer
                .served
                .iter()
                .map(|s| s.channel)
                .filter(|c| c.kind == ChannelKind::ContactForm)
                .collect();
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
            #[allow(clippy::cast_precision_loss)]
            let mean = sum / forms.len() as f64;
            (
                Some(mean),
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
                .report
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
            if f.report.probes.is_empty() {
                (None, "not measured: no test contacts were sent".to_owned())
            } else if known.is_empty() {
                let pending = f
                    .report
                    .probes
                    .iter()
                    .filter(|r| r.outcome == "pending")
                    .count();
                (
                    None,
                    format!(
                        "not measured yet: {pending} test contact(s) still within the window, {} not (or not surely) sent",
                        f.report.probes.len() - pending
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

/// The item ids this version knows how to score, each with the parameters it reads; the rules
/// loader refuses other ids and items that lack one (a missing weight must never read as 0).
pub const ITEMS: &[(&str, &[&str])] = &[
    (
        "at_once",
        &[
            "phone",
            "chat_human",
            "chat_hybrid_handoff",
            "chat_hybrid",
            "chat_unknown",
            "video",
            "callback",
            "legal_minimum",
            "far",
        ],
    ),
    (
        "in_writing",
        &[
            "email",
            "contact_form",
            "login_form",
            "messenger",
            "legal_minimum",
            "far",
        ],
    ),
    ("effort", &["by_steps"]),
    ("contact_link", &["full_at"]),
    ("no_deflection", &["per_signal"]),
    ("no_bot_in_front", &["as_near"]),
    ("line_cost", &["paid_beside"]),
    ("hours", &["published", "full_at_hours"]),
    ("no_walls", &["captcha", "login"]),
    ("probes", &["full_within_hours", "window_days", "at_window"]),
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{
        Crawl, EmailInfo, Evidence, Finding, FormInfo, Limits, Page, PageKind, PhoneInfo,
        PhoneType, RobotsStatus, Severity, Signal, SourceKind, Target, Tool,
    };
    use crate::rules::Rules;

    /// The test site: start page, a contact page and a help page one click away, the imprint one
    /// click away, a topic page two and a deep contact page three clicks away.
    const PAGES: u32 = 6;

    fn page(path: &str, clicks: u32, kind: PageKind, from: Option<&str>, link: &str) -> Page {
        Page {
            url: url(path),
            status: 200,
            clicks: Some(clicks),
            kinds: vec![kind],
            title: Some(link.to_owned()),
            content_type: Some("text/html".into()),
            redirected_from: vec![],
            truncated: false,
            truncated_by: None,
            reached_from: from.map(url),
            link_text: Some(link.to_owned()),
            rendered: false,
            request: clicks + 2,
        }
    }

    fn url(path: &str) -> String {
        format!("https://e.de{path}")
    }

    fn report(channels: Vec<Channel>, signals: Vec<Signal>) -> Report {
        Report {
            schema_version: "1".into(),
            tool: Tool::current(),
            target: Target {
                input: "x".into(),
                start_url: url("/"),
                site: "e.de".into(),
                source: SourceKind::Http,
            },
            evaluated: true,
            reason: None,
            crawl: Crawl {
                pages: vec![
                    page("/", 0, PageKind::Home, None, "Start"),
                    page("/kontakt", 1, PageKind::Contact, Some("/"), "Kontakt"),
                    page("/hilfe", 1, PageKind::Help, Some("/"), "Hilfe"),
                    page("/impressum", 1, PageKind::Imprint, Some("/"), "Impressum"),
                    page(
                        "/hilfe/vertrag",
                        2,
                        PageKind::Help,
                        Some("/hilfe"),
                        "Vertrag",
                    ),
                    page(
                        "/hilfe/vertrag/kontakt",
                        3,
                        PageKind::Contact,
                        Some("/hilfe/vertrag"),
                        "Nein, ich benötige weitere Hilfe",
                    ),
                ],
                requests: PAGES,
                robots: RobotsStatus::Missing,
                errors: vec![],
                skipped: vec![],
                limits: Limits {
                    max_pages: 50,
                    max_depth: 5,
                    rate: None,
                    timeout_secs: 1.0,
                    page_budget_secs: None,
                    max_bytes: 1,
                    max_redirects: 1,
                    user_agent: String::new(),
                },
                duration_ms: 0,
                render: crate::model::Render::default(),
                traps: vec![],
                stopped_early: None,
            },
            channels,
            third_parties: Vec::new(),
            signals,
            widget_notes: vec![],
            findings: vec![],
            jurisdictions: vec![],
            legal_note: None,
            score: Score::not_computed(),
            probes: vec![],
            company: None,
            gate: None,
        }
    }

    /// Where a channel with so many clicks is shown on the test site.
    fn shown(c: &mut Channel, clicks: u32) {
        let path = match clicks {
            0 => "/",
            1 => "/kontakt",
            2 => "/hilfe/vertrag",
            _ => "/hilfe/vertrag/kontakt",
        };
        c.clicks = Some(clicks);
        c.seen_on = vec![url(path)];
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
        shown(&mut c, clicks);
        c
    }

    fn labelled(mut c: Channel, label: &str) -> Channel {
        c.labels = vec![label.to_owned()];
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
        shown(&mut c, 1);
        c
    }

    fn in_imprint(mut c: Channel) -> Channel {
        c.seen_on = vec![url("/impressum")];
        c.clicks = Some(1);
        c
    }

    fn bot(on: &[&str]) -> Channel {
        let mut c = Channel::new(ChannelKind::Chat, "Dialogflow Messenger");
        c.vendor = Some("dialogflow-messenger".into());
        c.mode = Mode::Bot;
        c.clicks = Some(0);
        c.seen_on = on.iter().map(|p| url(p)).collect();
        c
    }

    fn signal(id: &str, deflection: bool, on: &[&str]) -> Signal {
        Signal {
            id: id.into(),
            title: id.replace('_', " "),
            deflection,
            pages: u32::try_from(on.len()).unwrap(),
            evidence: on
                .iter()
                .take(1)
                .map(|p| Evidence {
                    url: url(p),
                    source: "text".into(),
                    snippet: id.into(),
                })
                .collect(),
            seen_on: on.iter().map(|p| url(p)).collect(),
        }
    }

    fn nav(pages: u32) -> Signal {
        Signal {
            id: "contact_link_in_navigation".into(),
            title: "a contact link in the navigation".into(),
            deflection: false,
            pages,
            evidence: vec![],
            seen_on: vec![],
        }
    }

    fn category(score: &Score, id: &str) -> Option<u32> {
        score.categories.iter().find(|c| c.id == id).unwrap().score
    }

    fn item(score: &Score, id: &str) -> Option<f64> {
        item_score(score, id).score
    }

    fn item_score<'a>(score: &'a Score, id: &str) -> &'a ItemScore {
        score
            .categories
            .iter()
            .flat_map(|c| &c.items)
            .find(|i| i.id == id)
            .unwrap()
    }

    fn path(score: &Score, contact: Contact) -> &crate::model::CustomerPath {
        score.paths.iter().find(|p| p.contact == contact).unwrap()
    }

    #[test]
    fn a_reachable_company_scores_high_and_unmeasured_categories_stay_out() {
        let rules = Rules::embedded().unwrap();
        let mut hours = phone(PhoneType::TollFree, 0);
        hours.hours = vec!["Mo–Fr 8–20 Uhr".into()];
        let s = score(
            &report(vec![hours, email(false)], vec![nav(PAGES)]),
            &rules.scoring,
        );
        assert_eq!(category(&s, "responsiveness"), None);
        assert_eq!(category(&s, "cost_and_hours"), Some(100), "{s:#?}");
        assert!(
            item_score(&s, "hours")
                .reason
                .contains("about 60 hours a week"),
            "{s:#?}"
        );
        assert_eq!(
            item(&s, "no_walls"),
            None,
            "no form: not applicable, not zero"
        );
        assert_eq!(item(&s, "no_bot_in_front"), None, "no bot: not applicable");
        assert!(s.total.unwrap() >= 88, "{s:#?}");
        assert_eq!(s.grade.as_deref(), Some("A"));
        assert!(s.note.as_deref().unwrap().contains("Responsiveness"));
        assert!(s.caps.is_empty());
        assert_eq!(
            path(&s, Contact::AtOnce).summary,
            "home → phone +49 800 1: 0 clicks, no gate"
        );
        assert!(
            s.categories
                .iter()
                .filter(|c| c.score == Some(100))
                .all(|c| c.why_not_higher.is_none())
        );
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
            delivery_status: None,
            failed_recipient: None,
            challenged: false,
            outcome: outcome.into(),
        }
    }

    #[test]
    fn test_contacts_answered_by_people_score_and_open_ones_wait() {
        let rules = Rules::embedded().unwrap();
        let mut r = report(vec![phone(PhoneType::FixedLine, 0)], vec![nav(PAGES)]);
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
    fn the_path_counts_clicks_and_gates_and_a_bot_in_front_costs_points() {
        let rules = Rules::embedded().unwrap();
        // The hotline is three clicks deep behind a topic picker, with a bot on the way; the
        // imprint has the legal minimum.
        let hotline = labelled(phone(PhoneType::FixedLine, 3), "customer_service");
        let r = report(
            vec![
                hotline,
                in_imprint(email(false)),
                bot(&["/", "/hilfe", "/hilfe/vertrag"]),
            ],
            vec![
                nav(PAGES),
                signal("topic_picker", true, &["/hilfe/vertrag"]),
            ],
        );
        let s = score(&r, &rules.scoring);
        let way = path(&s, Contact::AtOnce);
        assert_eq!(
            way.summary,
            "home → Hilfe → Vertrag → Nein, ich benötige weitere Hilfe → phone +49 800 1 \
             (customer service): 3 clicks, 2 gates (topic picker, bot first (dialogflow-messenger))"
        );
        assert_eq!((way.clicks, way.effort), (Some(3), Some(5)));
        assert_eq!(way.channel.as_ref().unwrap().role, "customer_service");
        // Far from the start page: the person counts half.
        assert_eq!(item(&s, "at_once"), Some(0.5));
        // The imprint e-mail is the nearest way, as the legal minimum: half an address.
        let writing = path(&s, Contact::InWriting);
        assert_eq!(writing.channel.as_ref().unwrap().role, "legal_minimum");
        assert_eq!(item(&s, "in_writing"), Some(0.5));
        assert_eq!(
            item(&s, "effort"),
            Some(1.0),
            "the imprint is one click away"
        );
        // The nearest person is the imprint's address, one click on.
        assert_eq!(item(&s, "no_bot_in_front"), Some(0.0), "{s:#?}");
        assert!(
            item_score(&s, "no_bot_in_front")
                .reason
                .contains("1 step further"),
            "{s:#?}"
        );
        assert!(
            s.categories
                .iter()
                .find(|c| c.id == "person")
                .unwrap()
                .why_not_higher
                .as_deref()
                .is_some_and(|w| w.contains("at once")),
            "{s:#?}"
        );
        assert!(s.total.unwrap() < 75, "{s:#?}");
    }

    #[test]
    fn the_announced_customer_line_is_shown_beside_a_nearer_imprint_number() {
        let rules = Rules::embedded().unwrap();
        let mut switchboard = in_imprint(phone(PhoneType::FixedLine, 1));
        switchboard.value = "+49 341 1".into();
        let hotline = labelled(phone(PhoneType::SharedCost, 3), "customer_service");
        let s = score(&report(vec![switchboard, hotline], vec![]), &rules.scoring);
        let ways: Vec<&str> = s.paths.iter().map(|p| p.summary.as_str()).collect();
        assert_eq!(
            ways,
            [
                "home → Impressum → phone +49 341 1 (only in the imprint): 1 click, no gate",
                "no e-mail address or contact form for customers",
                "home → Hilfe → Vertrag → Nein, ich benötige weitere Hilfe → phone +49 800 1 \
                 (customer service): 3 clicks, no gate",
            ]
        );
    }

    #[test]
    fn only_customer_lines_count_and_paid_ones_cap_the_grade() {
        let rules = Rules::embedded().unwrap();
        // A free line for new customers, a press line and a shared-cost service line.
        let sales = labelled(phone(PhoneType::TollFree, 0), "sales");
        let mut press = labelled(phone(PhoneType::FixedLine, 0), "press");
        press.value = "+49 89 2".into();
        let mut service = labelled(phone(PhoneType::SharedCost, 1), "customer_service");
        service.value = "+49 180 6 1".into();
        service.hours = vec!["Mo–Sa 8–20 Uhr".into()];
        let r = report(vec![sales, press, service, email(false)], vec![nav(PAGES)]);
        let s = score(&r, &rules.scoring);
        assert_eq!(
            path(&s, Contact::AtOnce).channel.as_ref().unwrap().value,
            "+49 180 6 1"
        );
        assert_eq!(item(&s, "line_cost"), Some(0.1), "{s:#?}");
        assert_eq!(s.caps.len(), 1, "{s:#?}");
        assert_eq!(s.caps[0].rule, "paid_customer_lines_only");
        assert_eq!(s.grade.as_deref(), Some("C"));
        assert!(s.total.unwrap() < 75, "held below B: {s:#?}");
        assert!(s.note.as_deref().unwrap().contains("held at"), "{s:#?}");

        // A basic-rate customer line beside it lifts the cap, not the paid line's cost.
        let mut basic = labelled(phone(PhoneType::FixedLine, 0), "customer_service");
        basic.value = "+49 89 1".into();
        let mut r = r;
        r.channels.push(basic);
        let s = score(&r, &rules.scoring);
        assert_eq!(item(&s, "line_cost"), Some(0.7), "{s:#?}");
        assert!(s.caps.is_empty(), "{s:#?}");

        // The imprint's basic-rate switchboard does not excuse a paid customer line.
        let switchboard = r.channels.pop().unwrap();
        r.channels
            .push(in_imprint(labelled(switchboard, "switchboard")));
        let s = score(&r, &rules.scoring);
        assert_eq!(item(&s, "line_cost"), Some(0.1), "{s:#?}");
    }

    #[test]
    fn a_failed_legal_duty_caps_the_grade_and_says_which() {
        let rules = Rules::embedded().unwrap();
        let mut r = report(
            vec![phone(PhoneType::FixedLine, 0), email(false)],
            vec![nav(PAGES)],
        );
        r.findings.push(Finding {
            rule: "eu.dsa.12.not_solely_automated".into(),
            jurisdiction: "eu".into(),
            status: FindingStatus::Warn,
            severity: Severity::Warning,
            title: String::new(),
            law: "Art. 12(1) DSA".into(),
            message: String::new(),
            evidence: vec![],
            source: String::new(),
            why: String::new(),
            check: String::new(),
        });
        let s = score(&r, &rules.scoring);
        assert_eq!(s.grade.as_deref(), Some("D"), "{s:#?}");
        assert_eq!(s.caps[0].rule, "eu.dsa.12.not_solely_automated");
        assert_eq!(s.caps[0].law, "Art. 12(1) DSA");
        // Held just below the next better grade, so a ranking by total agrees.
        assert_eq!(s.total, Some(59));
    }

    #[test]
    fn pushed_away_without_a_phone_is_never_an_a() {
        let rules = Rules::embedded().unwrap();
        let mut form = Channel::new(ChannelKind::ContactForm, "Kontakt");
        shown(&mut form, 1);
        form.form = Some(FormInfo {
            fields: vec![],
            captcha: None,
            login_required: false,
            method: "POST".into(),
        });
        let s = score(
            &report(
                vec![form, email(false)],
                vec![nav(PAGES), signal("no_phone_support", true, &["/kontakt"])],
            ),
            &rules.scoring,
        );
        assert_eq!(item(&s, "at_once"), Some(0.0));
        assert_eq!(item(&s, "no_deflection"), Some(0.0));
        assert_eq!(item(&s, "line_cost"), None, "no line, no cost question");
        assert!(
            ["C", "D", "E", "F"].contains(&s.grade.as_deref().unwrap()),
            "{s:#?}"
        );
    }

    #[test]
    fn no_human_channel_at_all_scores_f_and_bots_do_not_count() {
        let rules = Rules::embedded().unwrap();
        let s = score(
            &report(vec![bot(&["/"]), email(true)], vec![]),
            &rules.scoring,
        );
        assert_eq!(item(&s, "at_once"), Some(0.0));
        assert_eq!(item(&s, "in_writing"), Some(0.0));
        assert_eq!(item(&s, "effort"), Some(0.0));
        assert_eq!(s.grade.as_deref(), Some("F"), "{s:#?}");
        assert!(path(&s, Contact::AtOnce).channel.is_none());
    }

    #[test]
    fn walls_in_front_of_forms_cost_points() {
        let rules = Rules::embedded().unwrap();
        let mut form = Channel::new(ChannelKind::ContactForm, "Kontakt");
        shown(&mut form, 1);
        form.form = Some(FormInfo {
            fields: vec![],
            captcha: Some("recaptcha".into()),
            login_required: true,
            method: "POST".into(),
        });
        let s = score(&report(vec![form], vec![nav(PAGES)]), &rules.scoring);
        assert_eq!(item(&s, "no_walls"), Some(0.0));
        let writing = path(&s, Contact::InWriting);
        let gates: Vec<&str> = writing.gates.iter().map(|g| g.id.as_str()).collect();
        assert_eq!(gates, ["captcha", "login"]);
        assert!(
            writing.summary.contains("captcha (recaptcha), login"),
            "{writing:?}"
        );
        assert_eq!(
            item(&s, "in_writing"),
            Some(0.25),
            "half a form, three steps away: half of that"
        );
    }

    #[test]
    fn weekly_hours_are_read_from_day_and_time_ranges() {
        let rules = Rules::embedded().unwrap();
        let week = &rules.scoring.week;
        let h = |notes: &[&str]| {
            weekly_hours(
                &notes.iter().map(|n| (*n).to_owned()).collect::<Vec<_>>(),
                week,
            )
        };
        assert_eq!(h(&["Mo–Fr 8–20 Uhr"]), Some(Hours::Weekly(60.0)));
        assert_eq!(
            h(&["Mo. – Fr. 9:00–17:30", "Sa 9–13 Uhr"]),
            Some(Hours::Weekly(46.5))
        );
        assert_eq!(
            h(&["Mo–Fr 8–20 Uhr", "Montag bis Freitag 8 bis 20 Uhr"]),
            Some(Hours::Weekly(60.0)),
            "the same hours in two wordings count once"
        );
        assert_eq!(h(&["Mon–Fri 9am–5pm"]), Some(Hours::Weekly(40.0)));
        assert_eq!(
            h(&["de lunes a viernes de 9:00 a 18:00 h"]),
            Some(Hours::Weekly(45.0))
        );
        assert_eq!(
            h(&["lundi au vendredi, de 8h à 16h"]),
            Some(Hours::Weekly(40.0))
        );
        assert_eq!(h(&["Mo–So 0–24 Uhr"]), Some(Hours::Weekly(168.0)));
        assert_eq!(h(&["24/7"]), Some(Hours::Always), "round the clock");
        assert_eq!(h(&["rund um die Uhr"]), Some(Hours::Always));
        assert_eq!(h(&["Sprechstunde nach Vereinbarung"]), Some(Hours::Unread));
        assert_eq!(h(&[]), None);
    }

    #[test]
    fn a_site_that_could_not_be_evaluated_has_no_score() {
        let rules = Rules::embedded().unwrap();
        let mut r = report(vec![], vec![]);
        r.evaluated = false;
        let s = score(&r, &rules.scoring);
        assert_eq!((s.total, s.grade), (None, None));
        assert!(s.paths.is_empty());
    }
}
