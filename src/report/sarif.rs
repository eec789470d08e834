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
use crate::model::{ChangeKind, Finding, FindingStatus, Level, Report, Severity, SourceKind, Tool};

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
                // The score behind the findings, per site: the customer's ways to a person, the
                // caps and why each category is not higher (a property bag, SARIF 2.1.0 §3.8).
                "properties": {"sites": reports.iter().map(score_properties).collect::<Vec<_>>()},
            }],
        });
        let mut out = serde_json::to_string_pretty(&doc).expect("JSON values always serialize");
        out.push('\n');
        out
    }
}

fn score_properties(r: &Report) -> Value {
    json!({
        "target": r.target.input,
        "score": r.score.total,
        "grade": r.score.grade,
        "paths": r.score.paths.iter().map(|p| json!({
            "contact": p.id(),
            "summary": p.summary,
        })).collect::<Vec<_>>(),
        "caps": r.score.caps.iter().map(|c| json!({
            "rule": c.rule,
            "grade": c.grade,
            "reason": c.reason,
        })).collect::<Vec<_>>(),
        "why_not_higher": r.score.categories.iter()
            .filter_map(|c| c.why_not_higher.as_ref().map(|w| (c.id.clone(), json!(w))))
            .collect::<serde_json::Map<String, Value>>(),
    })
}

fn collect(report: &Report, rules: &mut BTreeMap<String, Value>, results: &mut Vec<Value>) {
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
            report,
            "reachaudit.not_evaluated",
            "error",
            "fail",
            report
                .reason
                .as_deref()
                .unwrap_or("nothing could be fetched"),
            start,
            "",
        ));
        return;
    }
    let gate = report.gate.as_ref();
    for finding in &report.findings {
        // With a gate, its assertions hold each rule's configured level, and a rule without one
        // is `off`; without a gate (an old report) the severity decides.
        let (level, known) = match gate {
            Some(g) => match g
                .assertions
                .iter()
                .find(|a| a.id.strip_prefix("rule.") == Some(finding.rule.as_str()))
            {
                Some(a) => (a.level, a.known),
                None => continue,
            },
            None => (
                match finding.severity {
                    Severity::Error => Level::Error,
                    _ => Level::Warn,
                },
                false,
            ),
        };
        let (sarif_level, kind) = match finding.status {
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
            report,
            &finding.rule,
            sarif_level,
            kind,
            &format!("{} — {}: {}", finding.title, finding.law, finding.message),
            url,
            &finding.rule,
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
            report,
            &rule_id,
            level,
            "fail",
            &format!("expected {}, got {}: {}", a.expected, a.actual, a.message),
            start,
            &a.id,
        ));
    }
    // A rule newly failing is already a result of its own (the rule's assertion).
    for change in gate
        .baseline
        .iter()
        .flat_map(|d| &d.worse)
        .filter(|c| c.kind != ChangeKind::RuleFailing)
    {
        let kind = crate::model::json_name(&change.kind);
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
            report,
            &rule_id,
            level,
            "fail",
            &format!("{}: {}", change.subject, change.message),
            start,
            &change.subject,
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

fn result(
    report: &Report,
    rule: &str,
    level: &str,
    kind: &str,
    message: &str,
    url: &str,
    subject: &str,
) -> Value {
    // Stable across runs and unique per problem, so dashboards track one alert per site, rule
    // and subject, however the target was spelt on the command line.
    let fingerprint = format!("{}|{rule}|{subject}", site_key(report));
    json!({
        "ruleId": rule,
        "level": level,
        "kind": kind,
        "message": {"text": message},
        "locations": [location(report, url)],
        "partialFingerprints": {"reachaudit/v1": fingerprint},
    })
}

/// Where a result is. Code scanning resolves physical locations against the repository checkout
/// and refuses `https:` URIs, so a page of a build directory is located at its source file
/// (static-host conventions: `/a/` is `a/index.html`, `/a` is `a.html`); a page on the web only
/// logically, by its URL.
fn location(report: &Report, url: &str) -> Value {
    let logical = json!([{"fullyQualifiedName": url, "kind": "resource"}]);
    let file = match report.target.source {
        SourceKind::Http => None,
        SourceKind::File => Some(report.target.normalized_input().to_owned()),
        SourceKind::Directory => {
            let origin = url::Url::parse(&report.target.start_url)
                .ok()
                .map(|u| u.origin());
            url::Url::parse(url)
                .ok()
                .filter(|u| Some(u.origin()) == origin)
                .map(|u| {
                    let path = percent_encoding::percent_decode_str(u.path())
                        .decode_utf8_lossy()
                        .into_owned();
                    let mut rel = path.trim_start_matches('/').to_owned();
                    if rel.is_empty() || rel.ends_with('/') {
                        rel.push_str("index.html");
                    } else if !rel.rsplit('/').next().unwrap_or_default().contains('.') {
                        rel.push_str(".html");
                    }
                    let dir = report.target.normalized_input();
                    if dir.is_empty() {
                        rel
                    } else {
                        format!("{dir}/{rel}")
                    }
                })
        }
    };
    match file {
        Some(path) => json!({
            "physicalLocation": {
                "artifactLocation": {"uri": file_uri(&path)},
                "region": {"startLine": 1},
            },
            "logicalLocations": logical,
        }),
        None => json!({"logicalLocations": logical}),
    }
}

/// A relative path stays a relative reference; an absolute one becomes a `file:` URI. Either is
/// percent-encoded where URI syntax needs it.
fn file_uri(path: &str) -> String {
    const KEEP: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'/')
        .remove(b'-')
        .remove(b'_')
        .remove(b'.')
        .remove(b'~');
    let encoded = percent_encoding::utf8_percent_encode(path, KEEP).to_string();
    if path.starts_with('/') {
        format!("file://{encoded}")
    } else {
        encoded
    }
}

/// The site as a fingerprint part: the start URL for websites, the cleaned path for local ones.
fn site_key(report: &Report) -> String {
    match report.target.source {
        SourceKind::Http => report.target.start_url.clone(),
        _ => report.target.normalized_input().to_owned(),
    }
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
    fn the_score_behind_the_findings_is_a_run_property() {
        let mut report = sample::report();
        let rules = crate::rules::Rules::embedded().unwrap();
        report.score = crate::score::score(&report, &rules.scoring);
        let doc: Value = serde_json::from_str(&Sarif.render(&[report])).unwrap();
        let site = &doc["runs"][0]["properties"]["sites"][0];
        assert_eq!(site["paths"][0]["contact"], "at_once", "{site}");
        assert!(
            site["paths"][0]["summary"]
                .as_str()
                .unwrap()
                .starts_with("home")
        );
        assert!(site["grade"].is_string(), "{site}");
    }

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
            check: String::new(),
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
            result["locations"][0]["logicalLocations"][0]["fullyQualifiedName"],
            "https://www.acme-shop.de/impressum/",
            "a web page is located by its URL, never as a physical https: file"
        );
        assert!(result["locations"][0].get("physicalLocation").is_none());
        assert_eq!(camel("de.ddg.5.email"), "DeDdg5Email");
    }
}
