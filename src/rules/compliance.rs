//! Compliance rule packs (`rules/compliance/<jurisdiction>.toml`): each rule's meta — id, title,
//! legal reference, applies-from date, severity, source, what, why, limits — and which predicate
//! of `src/check/` runs it with which parameters. Loading checks everything a predicate will rely
//! on (known predicate, known parameter names and value kinds, known channel and page kinds and
//! phone types), so a broken rule fails at load with file, line and reason, never mid-audit.

use std::collections::HashSet;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::{RulesError, invalid_at, parse};
use crate::model::Severity;

/// Jurisdictions with rule packs.
pub const JURISDICTIONS: &[&str] = &["eu", "de", "at", "ch", "uk", "es", "fr"];

/// One compliance rule.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    /// Stable id, prefixed with its jurisdiction (`de.ddg.5.email`).
    pub id: String,
    /// `eu`, `de`, `at`, `ch`, `uk`, `es` or `fr`.
    pub jurisdiction: String,
    /// What passing means.
    pub title: String,
    /// What failing means.
    pub fail_title: String,
    /// The legal reference: law, article, paragraph.
    pub law: String,
    /// ISO date from which the duty applies.
    #[serde(default)]
    pub applies_from: Option<String>,
    /// How serious a failure is.
    pub severity: Severity,
    /// Public source.
    pub source: String,
    /// What is checked.
    pub what: String,
    /// The duty in plain words.
    pub why: String,
    /// What a crawler cannot see.
    pub limits: String,
    /// Why the severity is only a warning, where the duty is disputed.
    #[serde(default)]
    pub disputed: Option<String>,
    /// The predicate.
    pub check: String,
    /// The predicate's parameters.
    #[serde(default)]
    pub params: toml::Table,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    rule: Vec<Rule>,
}

/// What a predicate accepts: parameter name and kind of value.
#[derive(Debug, Clone, Copy)]
enum Param {
    ChannelKinds,
    PageKinds,
    PhoneTypes,
    Words,
    Number,
    Share,
    Bool,
    Signal,
}

/// The predicates of `src/check/` and their parameters.
pub const PREDICATES: &[&str] = &[
    "channel_present",
    "channel_on_page",
    "phone_types_absent",
    "price_note_present",
    "page_reachable",
    "signal_share",
    "button_path",
    "ai_disclosed",
    "human_channel",
    "numbers_consistent",
];

fn params_of(check: &str) -> &'static [(&'static str, Param, bool)] {
    // (name, kind, required)
    match check {
        "channel_present" => &[
            ("all_of", Param::ChannelKinds, false),
            ("any_of", Param::ChannelKinds, false),
            ("exclude_no_reply", Param::Bool, false),
            ("max_clicks", Param::Number, false),
        ],
        "channel_on_page" => &[
            ("kinds", Param::ChannelKinds, true),
            ("page_kinds", Param::PageKinds, true),
        ],
        "phone_types_absent" => &[
            ("types", Param::PhoneTypes, true),
            ("except_labels", Param::Words, false),
        ],
        "price_note_present" => &[("types", Param::PhoneTypes, true)],
        "page_reachable" => &[
            ("page_kinds", Param::PageKinds, true),
            ("max_clicks", Param::Number, true),
        ],
        "signal_share" => &[
            ("signal", Param::Signal, true),
            ("min_share", Param::Share, true),
            ("needed_if", Param::Signal, false),
        ],
        "button_path" => &[
            ("signal", Param::Signal, true),
            ("confirm_signal", Param::Signal, false),
            ("needed_if", Param::Signal, false),
        ],
        "ai_disclosed" => &[("signal", Param::Signal, true)],
        "human_channel" => &[("needed_if", Param::Signal, false)],
        "numbers_consistent" => &[
            ("from_page_kinds", Param::PageKinds, true),
            ("to_page_kinds", Param::PageKinds, true),
        ],
        _ => &[],
    }
}

const CHANNEL_KINDS: &[&str] = &[
    "phone",
    "email",
    "contact_form",
    "chat",
    "messenger",
    "callback",
    "video",
    "appointment",
    "postal_address",
    "fax",
    "social",
];
const PAGE_KINDS: &[&str] = &[
    "home",
    "contact",
    "imprint",
    "help",
    "cancellation",
    "privacy",
    "other",
];
const PHONE_TYPES: &[&str] = &[
    "fixed_line",
    "mobile",
    "fixed_line_or_mobile",
    "toll_free",
    "premium_rate",
    "shared_cost",
    "voip",
    "personal_number",
    "pager",
    "uan",
    "voicemail",
    "unknown",
];

/// Loads and validates rule files; `signals` are the known signal ids.
///
/// # Errors
/// A broken rule: file, line and reason.
pub fn load(files: &[(PathBuf, String)], signals: &[String]) -> Result<Vec<Rule>, RulesError> {
    let mut rules: Vec<Rule> = Vec::new();
    let mut ids = HashSet::new();
    for (file, text) in files {
        let parsed: File = parse(file, text)?;
        for rule in parsed.rule {
            let at = |reason: String| invalid_at(file, text, &format!("\"{}\"", rule.id), reason);
            if !JURISDICTIONS.contains(&rule.jurisdiction.as_str()) {
                return Err(at(format!(
                    "rule \"{}\": unknown jurisdiction \"{}\"; use one of {}",
                    rule.id,
                    rule.jurisdiction,
                    JURISDICTIONS.join(", ")
                )));
            }
            if !rule.id.starts_with(&format!("{}.", rule.jurisdiction))
                || !rule.id.chars().all(|c| {
                    c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-')
                })
            {
                return Err(at(format!(
                    "rule id \"{}\" must be lower case and start with its jurisdiction (\"{}.\")",
                    rule.id, rule.jurisdiction
                )));
            }
            if !ids.insert(rule.id.clone()) {
                return Err(at(format!("rule id \"{}\" is defined twice", rule.id)));
            }
            if let Some(date) = &rule.applies_from
                && parse_date(date).is_none()
            {
                return Err(at(format!(
                    "rule \"{}\": applies_from \"{date}\" is not a date like 2026-06-19",
                    rule.id
                )));
            }
            if !rule.source.starts_with("https://") && !rule.source.starts_with("http://") {
                return Err(at(format!(
                    "rule \"{}\": source must be a public URL",
                    rule.id
                )));
            }
            for (name, value) in [
                ("title", &rule.title),
                ("fail_title", &rule.fail_title),
                ("law", &rule.law),
                ("what", &rule.what),
                ("why", &rule.why),
                ("limits", &rule.limits),
            ] {
                if value.trim().is_empty() {
                    return Err(at(format!(
                        "rule \"{}\": {name} must not be empty",
                        rule.id
                    )));
                }
            }
            if !PREDICATES.contains(&rule.check.as_str()) {
                return Err(at(format!(
                    "rule \"{}\": unknown check \"{}\"; known: {}",
                    rule.id,
                    rule.check,
                    PREDICATES.join(", ")
                )));
            }
            validate_params(&rule, signals).map_err(at)?;
            rules.push(rule);
        }
    }
    Ok(rules)
}

fn validate_params(rule: &Rule, signals: &[String]) -> Result<(), String> {
    let spec = params_of(&rule.check);
    for (key, value) in &rule.params {
        let Some((_, kind, _)) = spec.iter().find(|(name, _, _)| name == key) else {
            let known: Vec<&str> = spec.iter().map(|(n, _, _)| *n).collect();
            return Err(format!(
                "rule \"{}\": check {} has no parameter {key}; known: {}",
                rule.id,
                rule.check,
                if known.is_empty() {
                    "none".to_owned()
                } else {
                    known.join(", ")
                }
            ));
        };
        let strings = |allowed: Option<&[&str]>| -> Result<(), String> {
            let list = value
                .as_array()
                .ok_or_else(|| format!("rule \"{}\": {key} must be a list", rule.id))?;
            for item in list {
                let s = item
                    .as_str()
                    .ok_or_else(|| format!("rule \"{}\": {key} must hold strings", rule.id))?;
                if let Some(allowed) = allowed
                    && !allowed.contains(&s)
                {
                    return Err(format!(
                        "rule \"{}\": {key} has unknown value \"{s}\"; use {}",
                        rule.id,
                        allowed.join(", ")
                    ));
                }
            }
            Ok(())
        };
        match kind {
            Param::ChannelKinds => strings(Some(CHANNEL_KINDS))?,
            Param::PageKinds => strings(Some(PAGE_KINDS))?,
            Param::PhoneTypes => strings(Some(PHONE_TYPES))?,
            Param::Words => strings(None)?,
            Param::Number => {
                if value.as_integer().is_none_or(|n| n < 0) {
                    return Err(format!(
                        "rule \"{}\": {key} must be a whole number",
                        rule.id
                    ));
                }
            }
            Param::Share => {
                let v = value
                    .as_float()
                    .or_else(|| value.as_integer().map(|i| i as f64));
                if v.is_none_or(|v| !(0.0..=1.0).contains(&v)) {
                    return Err(format!(
                        "rule \"{}\": {key} must be between 0 and 1",
                        rule.id
                    ));
                }
            }
            Param::Bool => {
                if value.as_bool().is_none() {
                    return Err(format!("rule \"{}\": {key} must be true or false", rule.id));
                }
            }
            Param::Signal => {
                let s = value
                    .as_str()
                    .ok_or_else(|| format!("rule \"{}\": {key} must be a signal id", rule.id))?;
                if !signals.iter().any(|k| k == s) {
                    return Err(format!(
                        "rule \"{}\": {key} names unknown signal \"{s}\"; see rules/cues/signals.toml",
                        rule.id
                    ));
                }
            }
        }
    }
    for (name, _, required) in spec {
        if *required && !rule.params.contains_key(*name) {
            return Err(format!(
                "rule \"{}\": check {} needs parameter {name}",
                rule.id, rule.check
            ));
        }
    }
    Ok(())
}

/// Days since 1970-01-01 of an ISO date, for comparing dates without a date library.
#[must_use]
pub fn parse_date(date: &str) -> Option<i64> {
    let mut parts = date.trim().splitn(3, '-');
    let y: i64 = parts.next()?.parse().ok()?;
    let m: i64 = parts.next()?.parse().ok()?;
    let d: i64 = parts.next()?.parse().ok()?;
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return None;
    }
    // Howard Hinnant's days_from_civil.
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    Some(era * 146_097 + doe - 719_468)
}
