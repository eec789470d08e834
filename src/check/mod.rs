//! The check stage: site channels, pages and signals in, compliance findings out. Pure: no HTTP,
//! no HTML. Every rule comes from `rules/compliance/*.toml` and names one of the predicates in
//! [`predicates`]; a rule whose duty does not apply yet is `not_applicable`, one the crawl cannot
//! decide is `needs_review`, and every message says what was found, where, and what a person must
//! still check — a crawler reports indicators, not legal conclusions.

mod predicates;

use crate::model::{Evidence, Finding, FindingStatus, Report, Severity};
use crate::rules::compliance::{Rule, parse_date};

/// What one predicate concluded.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Outcome {
    /// `true` pass, `false` fail; `None` with a status for the other results.
    pub status: Verdict,
    /// What was found and where.
    pub message: String,
    /// Pages that show it.
    pub evidence: Vec<Evidence>,
}

/// A predicate's verdict before severity turns a failure into `fail` or `warn`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verdict {
    Pass,
    Fail,
    NeedsReview,
    NotApplicable,
}

/// Runs the rules of `jurisdictions` over a report, as on `today` (days since 1970-01-01).
#[must_use]
pub fn check(
    report: &Report,
    rules: &[Rule],
    jurisdictions: &[String],
    today: i64,
) -> Vec<Finding> {
    if !report.evaluated {
        return Vec::new();
    }
    rules
        .iter()
        .filter(|r| jurisdictions.contains(&r.jurisdiction))
        .map(|rule| run(report, rule, today))
        .collect()
}

/// Runs one rule.
#[must_use]
pub fn run(report: &Report, rule: &Rule, today: i64) -> Finding {
    let outcome = match rule.applies_from.as_deref().and_then(parse_date) {
        Some(from) if from > today => Outcome {
            status: Verdict::NotApplicable,
            message: format!(
                "applies from {}; not yet in force on the audit date",
                rule.applies_from.as_deref().unwrap_or("")
            ),
            evidence: Vec::new(),
        },
        _ => predicates::evaluate(report, rule),
    };
    let status = match outcome.status {
        Verdict::Pass => FindingStatus::Pass,
        Verdict::Fail if rule.severity == Severity::Error => FindingStatus::Fail,
        Verdict::Fail => FindingStatus::Warn,
        Verdict::NeedsReview => FindingStatus::NeedsReview,
        Verdict::NotApplicable => FindingStatus::NotApplicable,
    };
    let title = if matches!(status, FindingStatus::Fail | FindingStatus::Warn) {
        rule.fail_title.clone()
    } else {
        rule.title.clone()
    };
    let mut message = outcome.message;
    if !matches!(status, FindingStatus::NotApplicable) {
        message.push_str(". Still to check: ");
        message.push_str(rule.limits.trim_end_matches('.'));
        message.push('.');
    }
    if let Some(disputed) = rule
        .disputed
        .as_deref()
        .filter(|_| status == FindingStatus::Warn)
    {
        message.push_str(" Disputed: ");
        message.push_str(disputed);
    }
    Finding {
        rule: rule.id.clone(),
        jurisdiction: rule.jurisdiction.clone(),
        status,
        severity: rule.severity,
        title,
        law: rule.law.clone(),
        message,
        evidence: outcome.evidence,
        source: rule.source.clone(),
        why: rule.why.clone(),
        check: rule.check.clone(),
    }
}

/// Today as days since 1970-01-01 (UTC), from the system clock.
#[must_use]
pub fn today() -> i64 {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    i64::try_from(secs / 86_400).unwrap_or(0)
}

/// The jurisdictions a site falls under when the user names none: its country's, plus the EU's
/// for EU member states (`.de` → `eu, de`).
#[must_use]
pub fn infer_jurisdictions(country: Option<&str>) -> Vec<String> {
    const EU: &[&str] = &[
        "AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE", "IT",
        "LV", "LT", "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE",
    ];
    let Some(country) = country.map(str::to_ascii_uppercase) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    if EU.contains(&country.as_str()) {
        out.push("eu".to_owned());
    }
    let own = match country.as_str() {
        "GB" => Some("uk"),
        "DE" => Some("de"),
        "AT" => Some("at"),
        "CH" => Some("ch"),
        "ES" => Some("es"),
        "FR" => Some("fr"),
        _ => None,
    };
    if let Some(own) = own {
        out.push(own.to_owned());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jurisdictions_follow_the_country() {
        assert_eq!(infer_jurisdictions(Some("de")), ["eu", "de"]);
        assert_eq!(infer_jurisdictions(Some("GB")), ["uk"]);
        assert_eq!(infer_jurisdictions(Some("CH")), ["ch"]);
        assert_eq!(infer_jurisdictions(Some("IT")), ["eu"]);
        assert!(infer_jurisdictions(Some("US")).is_empty());
        assert!(infer_jurisdictions(None).is_empty());
    }

    #[test]
    fn dates_compare() {
        assert_eq!(parse_date("1970-01-01"), Some(0));
        assert_eq!(parse_date("2026-06-19"), Some(20_623));
        assert!(parse_date("2026-13-01").is_none());
        assert!(parse_date("19.06.2026").is_none());
    }
}
