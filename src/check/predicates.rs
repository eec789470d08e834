//! The predicates compliance rules are made of: small pure functions over the report, each
//! reading only its parameters (validated at load time by `rules::compliance`).

use super::{Outcome, Verdict};
use crate::model::{Channel, ChannelKind, Evidence, Mode, Page, Report};
use crate::rules::compliance::Rule;

fn strings(rule: &Rule, key: &str) -> Vec<String> {
    rule.params
        .get(key)
        .and_then(toml::Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

fn string(rule: &Rule, key: &str) -> Option<String> {
    rule.params
        .get(key)
        .and_then(|v| v.as_str())
        .map(str::to_owned)
}

fn number(rule: &Rule, key: &str) -> Option<u32> {
    rule.params
        .get(key)
        .and_then(toml::Value::as_integer)
        .and_then(|n| u32::try_from(n).ok())
}

fn share(rule: &Rule, key: &str) -> f64 {
    rule.params
        .get(key)
        .and_then(|v| v.as_float().or_else(|| v.as_integer().map(|i| i as f64)))
        .unwrap_or(1.0)
}

fn kind_name(c: &Channel) -> &'static str {
    c.kind.as_str()
}

fn page_kinds_of<'a>(report: &'a Report, url: &str) -> Option<&'a Page> {
    report.crawl.pages.iter().find(|p| p.url == url)
}

fn page_is(report: &Report, url: &str, kinds: &[String]) -> bool {
    page_kinds_of(report, url).is_some_and(|p| {
        p.kinds
            .iter()
            .any(|k| kinds.iter().any(|w| w == k.as_str()))
    })
}

/// Where a channel is seen (every page, or its evidence for older reports).
fn pages_of(c: &Channel) -> Vec<&str> {
    if c.seen_on.is_empty() {
        c.evidence.iter().map(|e| e.url.as_str()).collect()
    } else {
        c.seen_on.iter().map(String::as_str).collect()
    }
}

fn evidence_of(c: &Channel) -> Vec<Evidence> {
    c.evidence.iter().take(2).cloned().collect()
}

fn describe(c: &Channel) -> String {
    let at = c
        .evidence
        .first()
        .map_or_else(String::new, |e| format!(" on {}", e.url));
    format!("{} {}{at}", kind_name(c), c.value)
}

fn counts(c: &Channel, rule: &Rule) -> bool {
    let exclude_no_reply = rule
        .params
        .get("exclude_no_reply")
        .and_then(toml::Value::as_bool)
        .unwrap_or(true);
    if exclude_no_reply && c.email.as_ref().is_some_and(|e| e.no_reply) {
        return false;
    }
    match number(rule, "max_clicks") {
        Some(max) => c.clicks.is_some_and(|k| k <= max),
        None => true,
    }
}

pub(super) fn evaluate(report: &Report, rule: &Rule) -> Outcome {
    match rule.check.as_str() {
        "channel_present" => channel_present(report, rule),
        "channel_on_page" => channel_on_page(report, rule),
        "phone_types_absent" => phone_types_absent(report, rule),
        "price_note_present" => price_note_present(report, rule),
        "page_reachable" => page_reachable(report, rule),
        "signal_share" => signal_share(report, rule),
        "button_path" => button_path(report, rule),
        "ai_disclosed" => ai_disclosed(report, rule),
        "human_channel" => human_channel(report, rule),
        "numbers_consistent" => numbers_consistent(report, rule),
        other => Outcome {
            status: Verdict::NeedsReview,
            message: format!("unknown check {other}"),
            evidence: Vec::new(),
        },
    }
}

fn channel_present(report: &Report, rule: &Rule) -> Outcome {
    let found = |kind: &str| {
        report
            .channels
            .iter()
            .find(|c| kind_name(c) == kind && counts(c, rule))
    };
    let all_of = strings(rule, "all_of");
    let any_of = strings(rule, "any_of");
    let mut evidence = Vec::new();
    let mut seen = Vec::new();
    let mut missing = Vec::new();
    for kind in &all_of {
        match found(kind) {
            Some(c) => {
                seen.push(describe(c));
                evidence.extend(evidence_of(c));
            }
            None => missing.push(kind.clone()),
        }
    }
    if !any_of.is_empty() {
        match any_of.iter().find_map(|k| found(k)) {
            Some(c) => {
                seen.push(describe(c));
                evidence.extend(evidence_of(c));
            }
            None => missing.push(format!("one of {}", any_of.join(", "))),
        }
    }
    let within = number(rule, "max_clicks")
        .map(|m| format!(" within {m} clicks of the start page"))
        .unwrap_or_default();
    if missing.is_empty() {
        Outcome {
            status: Verdict::Pass,
            message: format!("found{within}: {}", seen.join("; ")),
            evidence,
        }
    } else {
        Outcome {
            status: Verdict::Fail,
            message: format!(
                "no {}{within} on the {} pages crawled{}",
                missing.join(", no "),
                report.crawl.pages.len(),
                if seen.is_empty() {
                    String::new()
                } else {
                    format!(" (found: {})", seen.join("; "))
                }
            ),
            evidence,
        }
    }
}

/// Whether a page is of one of the kinds a rule names.
fn of_kinds(page: &Page, kinds: &[String]) -> bool {
    page.kinds
        .iter()
        .any(|k| kinds.iter().any(|w| w == k.as_str()))
}

fn channel_on_page(report: &Report, rule: &Rule) -> Outcome {
    let kinds = strings(rule, "kinds");
    let page_kinds = strings(rule, "page_kinds");
    let pages: Vec<&Page> = report
        .crawl
        .pages
        .iter()
        .filter(|p| of_kinds(p, &page_kinds))
        .collect();
    if pages.is_empty() {
        return Outcome {
            status: Verdict::NeedsReview,
            message: format!(
                "no {} page was found among the {} pages crawled, so its content could not be checked",
                page_kinds.join(" or "),
                report.crawl.pages.len()
            ),
            evidence: Vec::new(),
        };
    }
    let mut missing = Vec::new();
    let mut seen = Vec::new();
    let mut evidence = Vec::new();
    for kind in &kinds {
        let hit = report.channels.iter().find(|c| {
            kind_name(c) == kind
                && counts(c, rule)
                && pages_of(c).iter().any(|u| page_is(report, u, &page_kinds))
        });
        match hit {
            Some(c) => {
                seen.push(describe(c));
                let url = pages_of(c)
                    .into_iter()
                    .find(|u| page_is(report, u, &page_kinds))
                    .unwrap_or_default()
                    .to_owned();
                evidence.push(c.evidence.iter().find(|e| e.url == url).cloned().unwrap_or(
                    Evidence {
                        url,
                        source: "page".to_owned(),
                        snippet: c.value.clone(),
                    },
                ));
            }
            None => missing.push(kind.clone()),
        }
    }
    let where_ = pages
        .iter()
        .map(|p| p.url.as_str())
        .take(3)
        .collect::<Vec<_>>()
        .join(", ");
    if missing.is_empty() {
        Outcome {
            status: Verdict::Pass,
            message: format!(
                "on the {} page ({where_}): {}",
                page_kinds.join("/"),
                seen.join("; ")
            ),
            evidence,
        }
    } else {
        let elsewhere: Vec<String> = missing
            .iter()
            .filter_map(|k| {
                report
                    .channels
                    .iter()
                    .find(|c| kind_name(c) == k)
                    .map(describe)
            })
            .collect();
        Outcome {
            status: Verdict::Fail,
            message: format!(
                "the {} page ({where_}) shows no {}{}",
                page_kinds.join("/"),
                missing.join(", no "),
                if elsewhere.is_empty() {
                    String::new()
                } else {
                    format!(" (elsewhere on the site: {})", elsewhere.join("; "))
                }
            ),
            evidence,
        }
    }
}

fn phone_type(c: &Channel) -> &'static str {
    c.phone.as_ref().map_or("unknown", |p| p.kind.as_str())
}

fn phone_types_absent(report: &Report, rule: &Rule) -> Outcome {
    let types = strings(rule, "types");
    let except = strings(rule, "except_labels");
    let phones: Vec<&Channel> = report
        .channels
        .iter()
        .filter(|c| c.kind == ChannelKind::Phone)
        .collect();
    if phones.is_empty() {
        return Outcome {
            status: Verdict::NotApplicable,
            message: "no phone number was found".to_owned(),
            evidence: Vec::new(),
        };
    }
    let bad: Vec<&&Channel> = phones
        .iter()
        .filter(|c| types.iter().any(|t| t == phone_type(c)))
        .filter(|c| c.labels.is_empty() || !c.labels.iter().all(|l| except.contains(l)))
        .collect();
    if bad.is_empty() {
        let exempt = phones
            .iter()
            .filter(|c| types.iter().any(|t| t == phone_type(c)))
            .count();
        Outcome {
            status: Verdict::Pass,
            message: format!(
                "{} phone number(s), none of type {}{}",
                phones.len(),
                types.join("/"),
                if exempt > 0 {
                    format!(" except {exempt} labelled only {}", except.join("/"))
                } else {
                    String::new()
                }
            ),
            evidence: Vec::new(),
        }
    } else {
        Outcome {
            status: Verdict::Fail,
            message: bad
                .iter()
                .map(|c| {
                    format!(
                        "{} is {}{}{}",
                        describe(c),
                        phone_type(c),
                        c.price_note
                            .as_ref()
                            .map(|n| format!(" ({n})"))
                            .unwrap_or_default(),
                        if c.labels.is_empty() {
                            String::new()
                        } else {
                            format!(", labelled {}", c.labels.join("/"))
                        }
                    )
                })
                .collect::<Vec<_>>()
                .join("; "),
            evidence: bad.iter().flat_map(|c| evidence_of(c)).collect(),
        }
    }
}

fn price_note_present(report: &Report, rule: &Rule) -> Outcome {
    let types = strings(rule, "types");
    let numbers: Vec<&Channel> = report
        .channels
        .iter()
        .filter(|c| c.kind == ChannelKind::Phone && types.iter().any(|t| t == phone_type(c)))
        .collect();
    if numbers.is_empty() {
        return Outcome {
            status: Verdict::NotApplicable,
            message: format!("no phone number of type {}", types.join("/")),
            evidence: Vec::new(),
        };
    }
    let without: Vec<&&Channel> = numbers.iter().filter(|c| c.price_note.is_none()).collect();
    if without.is_empty() {
        Outcome {
            status: Verdict::Pass,
            message: numbers
                .iter()
                .map(|c| format!("{}: «{}»", c.value, c.price_note.as_deref().unwrap_or("")))
                .collect::<Vec<_>>()
                .join("; "),
            evidence: numbers.iter().flat_map(|c| evidence_of(c)).collect(),
        }
    } else {
        Outcome {
            status: Verdict::Fail,
            message: format!(
                "no price stated next to {}",
                without
                    .iter()
                    .map(|c| describe(c))
                    .collect::<Vec<_>>()
                    .join("; ")
            ),
            evidence: without.iter().flat_map(|c| evidence_of(c)).collect(),
        }
    }
}

fn page_reachable(report: &Report, rule: &Rule) -> Outcome {
    let page_kinds = strings(rule, "page_kinds");
    let max = number(rule, "max_clicks").unwrap_or(u32::MAX);
    let best = report
        .crawl
        .pages
        .iter()
        .filter(|p| of_kinds(p, &page_kinds))
        .min_by_key(|p| p.clicks.unwrap_or(u32::MAX));
    match best {
        Some(p) if p.clicks.is_some_and(|c| c <= max) => Outcome {
            status: Verdict::Pass,
            message: format!(
                "{} page {} is {} click(s) from the start page",
                page_kinds.join("/"),
                p.url,
                p.clicks.unwrap_or(0)
            ),
            evidence: vec![page_evidence(p)],
        },
        Some(p) => Outcome {
            status: Verdict::Fail,
            message: format!(
                "the nearest {} page {} is {} from the start page (at most {max} allowed)",
                page_kinds.join("/"),
                p.url,
                p.clicks.map_or_else(
                    || "reachable only via the sitemap".to_owned(),
                    |c| format!("{c} clicks")
                )
            ),
            evidence: vec![page_evidence(p)],
        },
        None => Outcome {
            status: Verdict::Fail,
            message: format!(
                "no {} page among the {} pages crawled",
                page_kinds.join("/"),
                report.crawl.pages.len()
            ),
            evidence: Vec::new(),
        },
    }
}

fn page_evidence(p: &Page) -> Evidence {
    Evidence {
        url: p.url.clone(),
        source: "page".to_owned(),
        snippet: p.title.clone().unwrap_or_default(),
    }
}

/// `needs_review` when the rule names a signal that shows the duty applies and the site shows none.
fn not_needed(report: &Report, rule: &Rule, what: &str) -> Option<Outcome> {
    let needed = string(rule, "needed_if")?;
    signal_found(report, &needed).is_none().then(|| Outcome {
        status: Verdict::NeedsReview,
        message: format!(
            "{what}; nothing on the pages crawled ({}) shows that the duty applies to this site",
            named(report, &needed)
        ),
        evidence: Vec::new(),
    })
}

fn signal_share(report: &Report, rule: &Rule) -> Outcome {
    let id = string(rule, "signal").unwrap_or_default();
    let min = share(rule, "min_share");
    let pages = report.crawl.pages.len().max(1);
    let signal = report.signals.iter().find(|s| s.id == id);
    let with = signal.map_or(0, |s| s.pages as usize);
    let ratio = with as f64 / pages as f64;
    if ratio + 1e-9 < min
        && let Some(review) = not_needed(
            report,
            rule,
            &format!(
                "{with} of {pages} crawled pages show {}",
                named(report, &id)
            ),
        )
    {
        return review;
    }
    Outcome {
        status: if ratio + 1e-9 >= min {
            Verdict::Pass
        } else {
            Verdict::Fail
        },
        message: format!(
            "{with} of {pages} crawled pages show {} (at least {:.0} % expected)",
            named(report, &id),
            min * 100.0
        ),
        evidence: signal
            .map(|s| s.evidence.iter().take(2).cloned().collect())
            .unwrap_or_default(),
    }
}

/// A signal as people read it: its title, else its id's words ("cancellation button").
fn named(report: &Report, id: &str) -> String {
    signal_found(report, id)
        .map(|s| s.title.clone())
        .filter(|t| !t.is_empty())
        .unwrap_or_else(|| id.replace('_', " "))
}

fn signal_found<'a>(report: &'a Report, id: &str) -> Option<&'a crate::model::Signal> {
    report.signals.iter().find(|s| s.id == id)
}

fn button_path(report: &Report, rule: &Rule) -> Outcome {
    let id = string(rule, "signal").unwrap_or_default();
    let Some(button) = signal_found(report, &id) else {
        if let Some(needed) = string(rule, "needed_if")
            && signal_found(report, &needed).is_none()
        {
            return Outcome {
                status: Verdict::NeedsReview,
                message: format!(
                    "no {} found, and nothing on the pages crawled ({}) shows that the duty applies",
                    named(report, &id),
                    named(report, &needed)
                ),
                evidence: Vec::new(),
            };
        }
        return Outcome {
            status: Verdict::Fail,
            message: format!(
                "no {} on any of the {} pages crawled{}",
                named(report, &id),
                report.crawl.pages.len(),
                string(rule, "needed_if")
                    .and_then(|n| signal_found(report, &n))
                    .and_then(|s| s.evidence.first())
                    .map(|e| format!(", although {} shows «{}»", e.url, e.snippet))
                    .unwrap_or_default()
            ),
            evidence: Vec::new(),
        };
    };
    let mut evidence: Vec<Evidence> = button.evidence.iter().take(1).cloned().collect();
    let mut problems = Vec::new();
    if let Some(confirm) = string(rule, "confirm_signal") {
        match signal_found(report, &confirm) {
            Some(s) => evidence.extend(s.evidence.iter().take(1).cloned()),
            None => problems.push(format!("no {} found", named(report, &confirm))),
        }
    }
    // A form on a cancellation page that needs a login first is the classic breach.
    let walled: Vec<&Channel> = report
        .channels
        .iter()
        .filter(|c| {
            c.kind == ChannelKind::ContactForm
                && c.form.as_ref().is_some_and(|f| f.login_required)
                && pages_of(c)
                    .iter()
                    .any(|u| page_is(report, u, &["cancellation".to_owned()]))
        })
        .collect();
    if let Some(c) = walled.first() {
        problems.push(format!(
            "the form on {} requires a login first",
            c.evidence.first().map_or("", |e| e.url.as_str())
        ));
        evidence.extend(evidence_of(c));
    }
    let seen = format!("{} on {} page(s)", named(report, &id), button.pages);
    if problems.is_empty() {
        Outcome {
            status: Verdict::Pass,
            message: seen,
            evidence,
        }
    } else {
        Outcome {
            status: Verdict::Fail,
            message: format!("{seen}, but {}", problems.join("; ")),
            evidence,
        }
    }
}

fn ai_disclosed(report: &Report, rule: &Rule) -> Outcome {
    let bots: Vec<&Channel> = report
        .channels
        .iter()
        .filter(|c| c.kind == ChannelKind::Chat && matches!(c.mode, Mode::Bot | Mode::Hybrid))
        .collect();
    if bots.is_empty() {
        return Outcome {
            status: Verdict::NotApplicable,
            message: "no chat answered by a bot was found".to_owned(),
            evidence: Vec::new(),
        };
    }
    let id = string(rule, "signal").unwrap_or_default();
    let names = bots
        .iter()
        .map(|c| c.value.as_str())
        .collect::<Vec<_>>()
        .join(", ");
    match signal_found(report, &id) {
        Some(s) => Outcome {
            status: Verdict::Pass,
            message: format!(
                "bot chat ({names}); the site says «{}»",
                s.evidence.first().map_or("", |e| e.snippet.as_str())
            ),
            evidence: s.evidence.iter().take(1).cloned().collect(),
        },
        None => Outcome {
            status: Verdict::Fail,
            message: format!(
                "bot chat ({names}) with no wording on the pages crawled that tells visitors they talk to an AI system"
            ),
            evidence: bots.iter().flat_map(|c| evidence_of(c)).collect(),
        },
    }
}

fn human_channel(report: &Report, rule: &Rule) -> Outcome {
    let human = report.channels.iter().find(|c| match c.kind {
        ChannelKind::Phone | ChannelKind::ContactForm | ChannelKind::Callback => true,
        ChannelKind::Email => c.email.as_ref().is_none_or(|e| !e.no_reply),
        ChannelKind::Chat => matches!(c.mode, Mode::Human | Mode::Hybrid),
        _ => false,
    });
    match human {
        Some(c) => Outcome {
            status: Verdict::Pass,
            message: format!("a channel that reaches people: {}", describe(c)),
            evidence: evidence_of(c),
        },
        None => not_needed(report, rule, "no channel that reaches people").unwrap_or(Outcome {
            status: Verdict::Fail,
            message: "every channel found is automated or unread (bots, no-reply addresses)"
                .to_owned(),
            evidence: Vec::new(),
        }),
    }
}

fn numbers_consistent(report: &Report, rule: &Rule) -> Outcome {
    let from = strings(rule, "from_page_kinds");
    let to = strings(rule, "to_page_kinds");
    let to_pages = report
        .crawl
        .pages
        .iter()
        .filter(|p| p.kinds.iter().any(|k| to.iter().any(|w| w == k.as_str())))
        .count();
    if to_pages == 0 {
        return Outcome {
            status: Verdict::NotApplicable,
            message: format!("no {} page was crawled", to.join("/")),
            evidence: Vec::new(),
        };
    }
    let phones: Vec<&Channel> = report
        .channels
        .iter()
        .filter(|c| {
            c.kind == ChannelKind::Phone && pages_of(c).iter().any(|u| page_is(report, u, &from))
        })
        .collect();
    let missing: Vec<&&Channel> = phones
        .iter()
        .filter(|c| !pages_of(c).iter().any(|u| page_is(report, u, &to)))
        .collect();
    if missing.is_empty() {
        Outcome {
            status: Verdict::Pass,
            message: format!(
                "{} number(s) of the {} pages also appear on the {} page",
                phones.len(),
                from.join("/"),
                to.join("/")
            ),
            evidence: Vec::new(),
        }
    } else {
        Outcome {
            status: Verdict::Fail,
            message: format!(
                "shown on the {} pages but not on the {} page: {}",
                from.join("/"),
                to.join("/"),
                missing
                    .iter()
                    .map(|c| c.value.clone())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            evidence: missing.iter().flat_map(|c| evidence_of(c)).collect(),
        }
    }
}
