//! SARIF 2.1.0 for code-scanning dashboards (GitHub, GitLab, Azure DevOps). One run holds every
//! site of the invocation, because GitHub refuses several runs of one tool in one upload.
//!
//! Results are what a reviewer must act on: failed rules (with the legal reference in the rule's
//! help), rules a person must review (`kind: review`), failed CI assertions and baseline
//! regressions. Passing checks are left out, as linters do. Each result is located at the page
//! that shows the problem, or the start page when the problem is an absence.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::Renderer;
use crate::model::{Finding, FindingStatus, Level, Report, Severity, Tool};

pub(super) struct Sarif;

const SCHEMA: &str =
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";
const INFORMATION_URI: &str = "https://github.com/reachaudit/reachaudit";

impl Renderer for Sarif {
    fn render(&self, reports: &[Report]) -> String {
        let mut rules: BTreeMap<String, Value> = BTreeMap::new();
        let mut results = Vec::new();
        for report in reports {
            collect(report, &mut rules, &mut results);
        }
        let index: BTreeMap<&str, usize> = rules
            .keys()
            .enumerate()
            .map(|(i, id)| (id.as_str(), i))
            .collect();
        for result in &mut results {
            let id = result["ruleId"].as_str().unwrap_or_default();
            if let Some(i) = index.get(id) {
                result["ruleIndex"] = json!(i);
            }
        }
        let tool = reports
            .first()
            .map_or_else(Tool::current, |r| r.tool.clone());
        let doc = json!({
            "$schema": SCHEMA,
            "version": "2.1.0",
            "runs": [{
                "tool": {"driver": {
                    "name": tool.name,
                    "version": tool.version,
                    "semanticVersion": tool.version,
                    "informationUri": INFORMATION_URI,
                    "rules": rules.into_values().collect::<Vec<_>>(),
                }},
                "results": results,
                "columnKind": "unicodeCodePoints",
            }],
        });
        let mut out = serde_json::to_string_pretty(&doc).expect("JSON values always serialize");
        out.push('\n');
        out
    }
}

fn collect(report: &Report, rules: &mut BTreeMap<String, Value>, results: &mut Vec<Value>) {
    let site = report.target.name();
    let start = &report.target.start_url;
    if !report.evaluated {
        rules
            .entry("reachaudit.not_evaluated".to_owned())
            .or_insert_with(|| {
                descriptor(
                    "reachaudit.not_evaluated",
                    "NotEvaluated",
                    "The site could not be evaluated",
                    "Nothing usable was fetched, so nothing can be said about how reachable the company is.",
                    "error",
                )
            });
        results.push(result(
            "reachaudit.not_evaluated",
            "error",
            "fail",
            report
                .reason
                .as_deref()
                .unwrap_or("nothing could be fetched"),
            start,
            site,
        ));
        return;
    }
    let gate = report.gate.as_ref();
    let level_of = |f: &Finding| {
        gate.and_then(|g| {
            g.assertions
                .iter()
                .find(|a| a.id.strip_prefix("rule.") == Some(f.rule.as_str()))
                .map(|a| (a.level, a.known))
        })
    };
    for finding in &report.findings {
        let (level, known) = level_of(finding).unwrap_or((
            match finding.severity {
                Severity::Error => Level::Error,
                _ => Level::Warn,
            },
            false,
        ));
        let (sarif_level, kind) = match finding.status {
            FindingStatus::Fail | FindingStatus::Warn if level == Level::Off => continue,
            FindingStatus::Fail | FindingStatus::Warn if level == Level::Error && !known => {
                ("error", "fail")
            }
            FindingStatus::Fail | FindingStatus::Warn => ("warning", "fail"),
            FindingStatus::NeedsReview => ("none", "review"),
            FindingStatus::Pass | FindingStatus::NotApplicable => continue,
        };
        rules
            .entry(finding.rule.clone())
            .or_insert_with(|| rule_descriptor(finding));
        let url = finding.evidence.first().map_or(start.as_str(), |e| &e.url);
        results.push(result(
            &finding.rule,
            sarif_level,
            kind,
            &format!("{} — {}: {}", finding.title, finding.law, finding.message),
            url,
            site,
        ));
    }
    let Some(gate) = gate else { return };
    for a in gate
        .assertions
        .iter()
        .filter(|a| !a.passed && !a.id.starts_with("rule."))
    {
        let rule_id = format!("reachaudit.assert.{}", a.id);
        rules.entry(rule_id.clone()).or_insert_with(|| {
            descriptor(
                &rule_id,
                "Assertion",
                &format!("CI assertion {}", a.id),
                "An assertion from reachaudit.toml or --fail-under.",
                "error",
            )
        });
        let level = if a.level == Level::Error && !a.known {
            "error"
        } else {
            "warning"
        };
        results.push(result(
            &rule_id,
            level,
            "fail",
            &format!("expected {}, got {}: {}", a.expected, a.actual, a.message),
            start,
            site,
        ));
    }
    for change in gate.baseline.iter().flat_map(|d| &d.worse) {
        let kind = serde_json::to_value(change.kind)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default();
        let rule_id = format!("reachaudit.baseline.{kind}");
        rules.entry(rule_id.clone()).or_insert_with(|| {
            descriptor(
                &rule_id,
                "Regression",
                &format!("Worse than the baseline: {}", kind.replace('_', " ")),
                "Compared with the --baseline report of the same site.",
                "error",
            )
        });
        let level = if change.level == Level::Error {
            "error"
        } else {
            "warning"
        };
        results.push(result(
            &rule_id,
            level,
            "fail",
            &format!("{}: {}", change.subject, change.message),
            start,
            site,
        ));
    }
}

fn rule_descriptor(f: &Finding) -> Value {
    let default_level = match f.severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "note",
    };
    let mut help = format!("{}\n\nLegal basis: {}", f.why, f.law);
    if !f.source.is_empty() {
        help.push_str(&format!("\nSource: {}", f.source));
    }
    help.push_str(&format!("\n\nMore: reachaudit rules explain {}", f.rule));
    let mut d = descriptor(&f.rule, &camel(&f.rule), &f.title, &f.why, default_level);
    d["help"] = json!({"text": help});
    d["properties"] = json!({
        "law": f.law,
        "jurisdiction": f.jurisdiction,
        "tags": ["compliance", f.jurisdiction],
    });
    if url::Url::parse(&f.source).is_ok_and(|u| matches!(u.scheme(), "http" | "https")) {
        d["helpUri"] = json!(f.source);
    }
    d
}

fn descriptor(id: &str, name: &str, short: &str, full: &str, level: &str) -> Value {
    json!({
        "id": id,
        "name": name,
        "shortDescription": {"text": short},
        "fullDescription": {"text": if full.is_empty() { short } else { full }},
        "defaultConfiguration": {"level": level},
    })
}

fn result(rule: &str, level: &str, kind: &str, message: &str, url: &str, site: &str) -> Value {
    json!({
        "ruleId": rule,
        "level": level,
        "kind": kind,
        "message": {"text": message},
        "locations": [{"physicalLocation": {"artifactLocation": {"uri": url}}}],
        // Stable across runs, so dashboards track one problem per site and rule.
        "partialFingerprints": {"reachaudit/v1": format!("{site}|{rule}")},
    })
}

/// `de.ddg.5.email` → `DeDdg5Email`: SARIF's `name` is an identifier-like label.
fn camel(id: &str) -> String {
    id.split(['.', '_', '-'])
        .filter(|p| !p.is_empty())
        .map(|p| {
            let mut c = p.chars();
            c.next()
                .map(|f| f.to_uppercase().chain(c).collect::<String>())
                .unwrap_or_default()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Evidence, Finding};
    use crate::report::sample;

    #[test]
    fn failed_rules_become_located_results_with_a_legal_help_text() {
        let mut report = sample::report();
        report.findings.push(Finding {
            rule: "de.ddg.5.email".into(),
            jurisdiction: "de".into(),
            status: FindingStatus::Fail,
            severity: Severity::Error,
            title: "No e-mail address in the imprint".into(),
            law: "§ 5 Abs. 1 Nr. 2 DDG".into(),
            message: "none found".into(),
            evidence: vec![Evidence {
                url: "https://www.acme-shop.de/impressum/".into(),
                source: "page".into(),
                snippet: String::new(),
            }],
            source: "https://www.gesetze-im-internet.de/ddg/__5.html".into(),
            why: "Customers must be able to write quickly.".into(),
        });
        let doc: Value = serde_json::from_str(&Sarif.render(&[report])).unwrap();
        let run = &doc["runs"][0];
        assert_eq!(doc["version"], "2.1.0");
        assert_eq!(run["tool"]["driver"]["rules"][0]["id"], "de.ddg.5.email");
        assert!(
            run["tool"]["driver"]["rules"][0]["help"]["text"]
                .as_str()
                .unwrap()
                .contains("§ 5 Abs. 1 Nr. 2 DDG")
        );
        let result = &run["results"][0];
        assert_eq!(result["level"], "error");
        assert_eq!(result["ruleIndex"], 0);
        assert_eq!(
            result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
            "https://www.acme-shop.de/impressum/"
        );
        assert_eq!(camel("de.ddg.5.email"), "DeDdg5Email");
    }
}
