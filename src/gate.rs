//! The CI gate: after the score, decide whether a build passes. Assertions (from `reachaudit.toml`
//! or `--fail-under`) are checked against the report, and with a baseline only what got worse
//! counts — the two complaints Lighthouse CI users raise most are silent passes and no regression
//! view, so every assertion is listed with its outcome and every change is named.
//!
//! Pure: a report (and a baseline report) in, a [`Gate`] out. No HTTP, no files.

use std::collections::{BTreeMap, HashMap};

use serde::Deserialize;

use crate::model::{
    Assertion, BaselineDiff, Change, ChangeKind, Channel, ChannelKind, FindingStatus, Gate, Level,
    Mode, PhoneType, Report, Severity,
};

/// What a build asserts about a report: the `[assert]` table of `reachaudit.toml`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Assertions {
    /// Lowest acceptable total score (0–100); `--fail-under` overrides it.
    pub min_score: Option<u32>,
    /// Lowest acceptable score per category id (`person`, `path`, …).
    #[serde(default)]
    pub categories: BTreeMap<String, u32>,
    /// Level per rule id, or per id prefix ending in `*` (`"fr.*" = "off"`). The longest match
    /// wins; a rule named nowhere follows its severity (error → error, else warn).
    #[serde(default)]
    pub rules: BTreeMap<String, Level>,
    /// Channels that must be found.
    #[serde(default)]
    pub require: Vec<Requirement>,
    /// Phone types every phone channel must have (e.g. no `premium_rate`).
    pub allowed_phone_types: Option<Vec<PhoneType>>,
    /// Level of the `allowed_phone_types` assertion [default: error].
    #[serde(default = "error")]
    pub phone_types_level: Level,
}

/// One required channel: `{ kind = "phone", max_clicks = 2, modes = ["human"] }`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Requirement {
    /// The channel kind.
    pub kind: ChannelKind,
    /// At most this many clicks from the start page.
    pub max_clicks: Option<u32>,
    /// One of these modes (e.g. `["human", "hybrid"]`); any mode when absent.
    pub modes: Option<Vec<Mode>>,
    /// `warn` or `error` [default: error].
    #[serde(default = "error")]
    pub level: Level,
}

impl Default for Assertions {
    /// No thresholds, no required channels; rules at the level of their severity.
    fn default() -> Self {
        Self {
            min_score: None,
            categories: BTreeMap::new(),
            rules: BTreeMap::new(),
            require: Vec::new(),
            allowed_phone_types: None,
            phone_types_level: Level::Error,
        }
    }
}

fn error() -> Level {
    Level::Error
}

/// A baseline to compare with, as read from `--baseline`.
#[derive(Debug, Clone, Copy)]
pub struct Baseline<'a> {
    /// The file as the user gave it, for messages.
    pub file: &'a str,
    /// The baseline report of the same site.
    pub report: &'a Report,
    /// Score points the total may drop before the build fails.
    pub tolerance: u32,
}

impl Assertions {
    /// The level a rule is checked at.
    #[must_use]
    pub fn rule_level(&self, rule: &str, severity: Severity) -> Level {
        if let Some(level) = self.rules.get(rule) {
            return *level;
        }
        self.rules
            .iter()
            .filter_map(|(pattern, level)| {
                let prefix = pattern.strip_suffix('*')?;
                rule.starts_with(prefix).then_some((prefix.len(), *level))
            })
            .max_by_key(|(len, _)| *len)
            .map_or(
                match severity {
                    Severity::Error => Level::Error,
                    Severity::Warning | Severity::Info => Level::Warn,
                },
                |(_, level)| level,
            )
    }

    /// Checks every assertion against one report, in configuration order: score, categories,
    /// required channels, phone types, then rules.
    #[must_use]
    pub fn check(&self, report: &Report) -> Vec<Assertion> {
        let mut out = Vec::new();
        if let Some(min) = self.min_score {
            out.push(score_assertion(
                "score",
                "score",
                min,
                report.score.total,
                report.score.note.as_deref(),
            ));
        }
        for (id, min) in &self.categories {
            let category = report.score.categories.iter().find(|c| &c.id == id);
            out.push(score_assertion(
                &format!("category.{id}"),
                id,
                *min,
                category.and_then(|c| c.score),
                category
                    .is_none()
                    .then_some("the category is not in the report"),
            ));
        }
        for (i, requirement) in self.require.iter().enumerate() {
            if requirement.level == Level::Off {
                continue;
            }
            let mut assertion = requirement.check(&report.channels);
            // Several requirements of one kind need ids of their own, or a baseline could take
            // one's failure for another's.
            let same_kind = self.require.iter().filter(|r| r.kind == requirement.kind);
            if same_kind.count() > 1 {
                let nth = self.require[..=i]
                    .iter()
                    .filter(|r| r.kind == requirement.kind)
                    .count();
                assertion.id = format!("{}#{nth}", assertion.id);
            }
            out.push(assertion);
        }
        if let Some(allowed) = self.allowed_phone_types.as_ref()
            && self.phone_types_level != Level::Off
        {
            out.push(phone_types(
                allowed,
                self.phone_types_level,
                &report.channels,
            ));
        }
        for finding in &report.findings {
            let level = self.rule_level(&finding.rule, finding.severity);
            if level == Level::Off {
                continue;
            }
            let failed = matches!(finding.status, FindingStatus::Fail | FindingStatus::Warn);
            let status = crate::model::json_name(&finding.status);
            out.push(Assertion {
                id: format!("rule.{}", finding.rule),
                level,
                passed: !failed,
                expected: "pass".to_owned(),
                actual: status,
                message: format!("{} ({}): {}", finding.title, finding.law, finding.message),
                known: false,
            });
        }
        // A rule named by its full id that did not run (its jurisdiction was not checked) must
        // not pass in silence.
        for (id, level) in &self.rules {
            if id.ends_with('*')
                || *level == Level::Off
                || report.findings.iter().any(|f| &f.rule == id)
            {
                continue;
            }
            let mut checked: Vec<&str> = report
                .findings
                .iter()
                .map(|f| f.jurisdiction.as_str())
                .collect();
            checked.sort_unstable();
            checked.dedup();
            out.push(Assertion {
                id: format!("rule.{id}"),
                level: *level,
                passed: false,
                expected: "pass".to_owned(),
                actual: "not checked".to_owned(),
                message: format!(
                    "the rule did not run: this audit checked the jurisdictions {}; set `jurisdictions` to include its own, or remove it from [assert.rules]",
                    if checked.is_empty() {
                        "none".to_owned()
                    } else {
                        checked.join(", ")
                    }
                ),
                known: false,
            });
        }
        out
    }
}

fn score_assertion(
    id: &str,
    name: &str,
    min: u32,
    actual: Option<u32>,
    why_missing: Option<&str>,
) -> Assertion {
    let (passed, actual, message) = match actual {
        Some(score) if score >= min => {
            (true, format!("{name} {score}"), format!("{score} ≥ {min}"))
        }
        Some(score) => (
            false,
            format!("{name} {score}"),
            format!("{score} is below the minimum of {min}"),
        ),
        // An unknown score never passes a threshold: that would be a silent pass.
        None => (
            false,
            format!("{name} not computed"),
            format!(
                "no score to compare with {min}: {}",
                why_missing.unwrap_or("nothing in it could be evaluated")
            ),
        ),
    };
    Assertion {
        id: id.to_owned(),
        level: Level::Error,
        passed,
        expected: format!("{name} ≥ {min}"),
        actual,
        message,
        known: false,
    }
}

impl Requirement {
    fn describe(&self) -> String {
        let mut text = format!("a {} channel", self.kind.as_str());
        if let Some(modes) = self.modes.as_ref().filter(|m| !m.is_empty()) {
            let names: Vec<_> = modes.iter().map(|m| mode_name(*m)).collect();
            text.push_str(&format!(" reaching {}", names.join(" or ")));
        }
        if let Some(max) = self.max_clicks {
            text.push_str(&format!(
                " within {max} click{}",
                if max == 1 { "" } else { "s" }
            ));
        }
        text
    }

    fn check(&self, channels: &[Channel]) -> Assertion {
        let of_kind: Vec<&Channel> = channels.iter().filter(|c| c.kind == self.kind).collect();
        let mode_ok = |c: &Channel| {
            self.modes
                .as_ref()
                .is_none_or(|m| m.is_empty() || m.contains(&c.mode))
        };
        let fitting: Vec<&&Channel> = of_kind.iter().filter(|c| mode_ok(c)).collect();
        let best = fitting
            .iter()
            .filter_map(|c| c.clicks.map(|k| (k, c)))
            .min_by_key(|(k, _)| *k);
        let within = |clicks: u32| self.max_clicks.is_none_or(|max| clicks <= max);
        let (passed, actual, message) = match (fitting.first(), best) {
            (_, Some((clicks, c))) if within(clicks) => (
                true,
                format!("{} at {clicks} clicks", c.value),
                format!("found {} ({clicks} clicks from the start page)", c.value),
            ),
            (_, Some((clicks, c))) => (
                false,
                format!("nearest at {clicks} clicks"),
                format!(
                    "{} is {clicks} clicks from the start page, more than {}",
                    c.value,
                    self.max_clicks.unwrap_or_default()
                ),
            ),
            (Some(c), None) if self.max_clicks.is_none() => (
                true,
                c.value.clone(),
                format!("found {} (only through the sitemap)", c.value),
            ),
            (Some(c), None) => (
                false,
                "only through the sitemap".to_owned(),
                format!(
                    "{} is on no page reachable by links from the start page",
                    c.value
                ),
            ),
            (None, _) if of_kind.is_empty() => (
                false,
                "none found".to_owned(),
                format!("no {} channel on any crawled page", self.kind.as_str()),
            ),
            (None, _) => (
                false,
                format!("{} found, none in the required mode", of_kind.len()),
                format!(
                    "found {} but it reaches {}",
                    of_kind[0].value,
                    mode_name(of_kind[0].mode)
                ),
            ),
        };
        Assertion {
            id: format!("channel.{}", self.kind.as_str()),
            level: self.level,
            passed,
            expected: self.describe(),
            actual,
            message,
            known: false,
        }
    }
}

/// How close a mode is to a person: human 3, hybrid 2, unknown 1, bot 0.
fn human_rank(mode: Mode) -> u8 {
    match mode {
        Mode::Human => 3,
        Mode::Hybrid => 2,
        Mode::Unknown => 1,
        Mode::Bot => 0,
    }
}

fn mode_name(mode: Mode) -> &'static str {
    match mode {
        Mode::Human => "a person",
        Mode::Hybrid => "a bot, then a person",
        Mode::Bot => "only a bot",
        Mode::Unknown => "someone unknown",
    }
}

fn phone_types(allowed: &[PhoneType], level: Level, channels: &[Channel]) -> Assertion {
    let offending: Vec<String> = channels
        .iter()
        .filter(|c| c.kind == ChannelKind::Phone)
        .filter_map(|c| {
            let phone = c.phone.as_ref()?;
            (!allowed.contains(&phone.kind))
                .then(|| format!("{} ({})", c.value, phone.kind.as_str()))
        })
        .collect();
    let names: Vec<_> = allowed.iter().map(|t| t.as_str()).collect();
    Assertion {
        id: "phone_types".to_owned(),
        level,
        passed: offending.is_empty(),
        expected: format!("phone types in {}", names.join(", ")),
        actual: if offending.is_empty() {
            "all allowed".to_owned()
        } else {
            offending.join(", ")
        },
        message: if offending.is_empty() {
            "every phone number has an allowed type".to_owned()
        } else {
            format!("not allowed: {}", offending.join(", "))
        },
        known: false,
    }
}

/// Checks the assertions, compares with the baseline if there is one, and decides.
///
/// Without a baseline the build fails on any failed assertion at level `error`. With one it fails
/// only on what got worse: an assertion that failed on the baseline too is marked `known`, and a
/// lost channel or a score drop beyond the tolerance fails even when no assertion names it.
#[must_use]
pub fn evaluate(report: &Report, assertions: &Assertions, baseline: Option<Baseline<'_>>) -> Gate {
    let mut checked = assertions.check(report);
    let diff = baseline.map(|b| {
        let before: HashMap<String, bool> = assertions
            .check(b.report)
            .into_iter()
            .map(|a| (a.id, a.passed))
            .collect();
        for a in &mut checked {
            a.known = !a.passed && before.get(&a.id) == Some(&false);
        }
        compare(report, b, assertions)
    });
    let failed = checked
        .iter()
        .any(|a| !a.passed && !a.known && a.level == Level::Error);
    let worse = diff
        .as_ref()
        .is_some_and(|d| d.worse.iter().any(|c| c.level == Level::Error));
    Gate {
        passed: !failed && !worse,
        assertions: checked,
        baseline: diff,
    }
}

fn compare(now: &Report, baseline: Baseline<'_>, assertions: &Assertions) -> BaselineDiff {
    let before = baseline.report;
    let mut worse = Vec::new();
    let mut better = Vec::new();
    let key = |c: &Channel| format!("{} {}", c.kind.as_str(), c.identity());
    let old: HashMap<String, &Channel> = before.channels.iter().map(|c| (key(c), c)).collect();
    let new: HashMap<String, &Channel> = now.channels.iter().map(|c| (key(c), c)).collect();
    for c in &before.channels {
        let k = key(c);
        match new.get(&k) {
            None => worse.push(Change {
                kind: ChangeKind::ChannelLost,
                subject: k,
                message: format!("{} {} is gone", c.kind.as_str(), c.value),
                level: Level::Error,
            }),
            Some(n) => {
                let (was, now) = (human_rank(c.mode), human_rank(n.mode));
                if now != was {
                    let change = Change {
                        kind: ChangeKind::ModeWorse,
                        subject: k.clone(),
                        message: format!(
                            "{} now reaches {}, was {}",
                            n.value,
                            mode_name(n.mode),
                            mode_name(c.mode)
                        ),
                        level: if now <= 1 { Level::Error } else { Level::Warn },
                    };
                    if now < was {
                        worse.push(change);
                    } else {
                        better.push(Change {
                            kind: ChangeKind::ModeBetter,
                            level: Level::Off,
                            ..change
                        });
                    }
                }
                match (c.clicks, n.clicks) {
                    (Some(a), Some(b)) if b > a => worse.push(Change {
                        kind: ChangeKind::ChannelDeeper,
                        subject: k,
                        message: format!("{} now {b} clicks from the start page, was {a}", n.value),
                        level: Level::Warn,
                    }),
                    (Some(a), None) => worse.push(Change {
                        kind: ChangeKind::ChannelDeeper,
                        subject: k,
                        message: format!(
                            "{} now only through the sitemap, was {a} clicks",
                            n.value
                        ),
                        level: Level::Warn,
                    }),
                    (Some(a), Some(b)) if b < a => better.push(Change {
                        kind: ChangeKind::ChannelCloser,
                        subject: k,
                        message: format!("{} now {b} clicks from the start page, was {a}", n.value),
                        level: Level::Off,
                    }),
                    (None, Some(b)) => better.push(Change {
                        kind: ChangeKind::ChannelCloser,
                        subject: k,
                        message: format!("{} now {b} clicks from the start page", n.value),
                        level: Level::Off,
                    }),
                    _ => {}
                }
            }
        }
    }
    for c in &now.channels {
        let k = key(c);
        if !old.contains_key(&k) {
            better.push(Change {
                kind: ChangeKind::ChannelGained,
                subject: k,
                message: format!("{} {} is new", c.kind.as_str(), c.value),
                level: Level::Off,
            });
        }
    }
    let failing = |s: FindingStatus| matches!(s, FindingStatus::Fail | FindingStatus::Warn);
    let old_status: HashMap<&str, FindingStatus> = before
        .findings
        .iter()
        .map(|f| (f.rule.as_str(), f.status))
        .collect();
    for f in &now.findings {
        let level = assertions.rule_level(&f.rule, f.severity);
        if level == Level::Off {
            continue;
        }
        let was = old_status.get(f.rule.as_str()).copied();
        if failing(f.status) && !was.is_some_and(failing) {
            worse.push(Change {
                kind: ChangeKind::RuleFailing,
                subject: f.rule.clone(),
                message: format!("{} ({})", f.title, f.law),
                level,
            });
        } else if !failing(f.status) && was.is_some_and(failing) {
            better.push(Change {
                kind: ChangeKind::RuleFixed,
                subject: f.rule.clone(),
                message: format!("{} ({})", f.title, f.law),
                level: Level::Off,
            });
        }
    }
    let tolerance = baseline.tolerance;
    let mut scores = vec![(
        "score".to_owned(),
        before.score.total,
        now.score.total,
        Level::Error,
    )];
    for c in &now.score.categories {
        if let Some(old) = before.score.categories.iter().find(|o| o.id == c.id) {
            scores.push((
                format!("category.{}", c.id),
                old.score,
                c.score,
                Level::Warn,
            ));
        }
    }
    for (subject, old, new, level) in scores {
        let (Some(old), Some(new)) = (old, new) else {
            continue;
        };
        if new + tolerance < old {
            worse.push(Change {
                kind: ChangeKind::ScoreDrop,
                subject,
                message: format!("{old} → {new} (tolerance {tolerance})"),
                level,
            });
        } else if new > old + tolerance {
            better.push(Change {
                kind: ChangeKind::ScoreGain,
                subject,
                message: format!("{old} → {new}"),
                level: Level::Off,
            });
        }
    }
    BaselineDiff {
        file: baseline.file.to_owned(),
        score_before: before.score.total,
        tolerance,
        worse,
        better,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Channel, Finding, PhoneInfo};
    use crate::report::sample::report as sample_report;

    fn finding(rule: &str, status: FindingStatus, severity: Severity) -> Finding {
        Finding {
            rule: rule.into(),
            jurisdiction: "de".into(),
            status,
            severity,
            title: "t".into(),
            law: "l".into(),
            message: "m".into(),
            evidence: vec![],
            source: String::new(),
            why: String::new(),
            check: String::new(),
        }
    }

    #[test]
    fn the_longest_rule_pattern_wins_and_severity_is_the_default() {
        let a = Assertions {
            rules: [
                ("de.*".to_owned(), Level::Off),
                ("de.bgb.*".to_owned(), Level::Warn),
                ("de.bgb.312k.button".to_owned(), Level::Error),
            ]
            .into(),
            ..Assertions::default()
        };
        assert_eq!(
            a.rule_level("de.bgb.312k.button", Severity::Info),
            Level::Error
        );
        assert_eq!(a.rule_level("de.bgb.356a.x", Severity::Error), Level::Warn);
        assert_eq!(a.rule_level("de.ddg.5.email", Severity::Error), Level::Off);
        assert_eq!(a.rule_level("eu.crd.x", Severity::Error), Level::Error);
        assert_eq!(a.rule_level("eu.crd.x", Severity::Info), Level::Warn);
    }

    #[test]
    fn a_baseline_separates_known_failures_from_new_ones() {
        let mut before = sample_report();
        before.findings = vec![
            finding("de.a", FindingStatus::Fail, Severity::Error),
            finding("de.b", FindingStatus::Pass, Severity::Error),
        ];
        before.score.total = Some(80);
        let mut now = before.clone();
        now.findings[1].status = FindingStatus::Fail;
        now.score.total = Some(77);
        let mut gained = Channel::new(ChannelKind::Phone, "+49 30 1234567");
        gained.phone = Some(PhoneInfo {
            extension: None,
            e164: "+49301234567".into(),
            kind: PhoneType::FixedLine,
            region: Some("DE".into()),
        });
        now.channels.push(gained);
        let baseline = |tolerance| Baseline {
            file: "old.json",
            report: &before,
            tolerance,
        };
        let gate = evaluate(&now, &Assertions::default(), Some(baseline(5)));
        let a = |id: &str| gate.assertions.iter().find(|x| x.id == id).unwrap();
        assert!(a("rule.de.a").known, "failed before too");
        assert!(!a("rule.de.b").known, "newly failing");
        assert!(!gate.passed);
        let diff = gate.baseline.as_ref().unwrap();
        assert_eq!(diff.worse.len(), 1, "{:?}", diff.worse);
        assert_eq!(diff.worse[0].kind, ChangeKind::RuleFailing);
        assert_eq!(diff.better[0].kind, ChangeKind::ChannelGained);
        assert_eq!(diff.better[0].subject, "phone +49301234567");

        // A three-point drop fails only without tolerance.
        now.findings[1].status = FindingStatus::Pass;
        assert!(evaluate(&now, &Assertions::default(), Some(baseline(5))).passed);
        let strict = evaluate(&now, &Assertions::default(), Some(baseline(0)));
        assert!(!strict.passed);
        let drop = &strict.baseline.unwrap().worse[0];
        assert_eq!(
            (drop.kind, drop.subject.as_str()),
            (ChangeKind::ScoreDrop, "score")
        );
    }

    #[test]
    fn an_unknown_score_never_passes_a_threshold() {
        let mut report = sample_report();
        report.score.total = None;
        let a = Assertions {
            min_score: Some(0),
            ..Assertions::default()
        };
        let gate = evaluate(&report, &a, None);
        assert!(!gate.passed);
        assert_eq!(gate.assertions[0].actual, "score not computed");
    }

    #[test]
    fn requirements_of_one_kind_keep_apart_and_a_bot_takeover_is_worse() {
        let mut before = sample_report();
        let mut chat = Channel::new(ChannelKind::Chat, "Userlike");
        chat.vendor = Some("userlike".into());
        chat.mode = Mode::Human;
        chat.clicks = Some(0);
        before.channels.push(chat);
        let req = |modes: Option<Vec<Mode>>, max_clicks| Requirement {
            kind: ChannelKind::Chat,
            max_clicks,
            modes,
            level: Level::Error,
        };
        let a = Assertions {
            require: vec![req(None, Some(0)), req(Some(vec![Mode::Bot]), None)],
            ..Assertions::default()
        };
        let mut now = before.clone();
        now.channels.last_mut().unwrap().mode = Mode::Bot;
        now.channels.last_mut().unwrap().clicks = Some(2);
        let gate = evaluate(
            &now,
            &a,
            Some(Baseline {
                file: "old.json",
                report: &before,
                tolerance: 0,
            }),
        );
        let ids: Vec<&str> = gate.assertions.iter().map(|x| x.id.as_str()).collect();
        assert_eq!(ids, ["channel.chat#1", "channel.chat#2"]);
        let first = &gate.assertions[0];
        assert!(
            !first.passed && !first.known,
            "held on the baseline: a new failure"
        );
        let worse = &gate.baseline.unwrap().worse;
        assert!(
            worse
                .iter()
                .any(|c| c.kind == ChangeKind::ModeWorse && c.level == Level::Error),
            "{worse:?}"
        );
    }
}
