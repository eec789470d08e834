//! JUnit XML, the test-report shape every CI server reads (Jenkins, GitLab, Azure, CircleCI).
//!
//! One `<testsuite>` per site, one `<testcase>` per assertion: every checked rule, score
//! threshold, required channel and baseline regression. A `<failure>` is exactly what fails the
//! build, so the CI's test view and the exit code never disagree; failures at level `warn`, failures
//! already in the baseline, rules to review and rules that do not apply are `<skipped>` with the
//! reason. Untrusted text is escaped, and characters XML 1.0 forbids are dropped.

use std::fmt::Write as _;

use super::Renderer;
use crate::model::{Assertion, FindingStatus, Level, Report};

pub(super) struct Junit;

struct Case {
    name: String,
    classname: String,
    outcome: Outcome,
}

enum Outcome {
    Passed,
    Failed { message: String, detail: String },
    Error { message: String },
    Skipped { message: String },
}

impl Renderer for Junit {
    fn render(&self, reports: &[Report]) -> String {
        let suites: Vec<(&Report, Vec<Case>)> = reports.iter().map(|r| (r, cases(r))).collect();
        let count = |f: fn(&Outcome) -> bool| -> usize {
            suites
                .iter()
                .map(|(_, cases)| cases.iter().filter(|c| f(&c.outcome)).count())
                .sum()
        };
        let tests = count(|_| true);
        let failures = count(|o| matches!(o, Outcome::Failed { .. }));
        let errors = count(|o| matches!(o, Outcome::Error { .. }));
        let skipped = count(|o| matches!(o, Outcome::Skipped { .. }));
        let secs: f64 = reports.iter().map(seconds).sum();
        let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        let _ = writeln!(
            out,
            "<testsuites name=\"reachaudit\" tests=\"{tests}\" failures=\"{failures}\" errors=\"{errors}\" skipped=\"{skipped}\" time=\"{secs:.3}\">"
        );
        for (report, cases) in &suites {
            suite(&mut out, report, cases);
        }
        out.push_str("</testsuites>\n");
        out
    }
}

fn seconds(r: &Report) -> f64 {
    r.crawl.duration_ms as f64 / 1000.0
}

fn suite(out: &mut String, r: &Report, cases: &[Case]) {
    let n = |f: fn(&Outcome) -> bool| cases.iter().filter(|c| f(&c.outcome)).count();
    let _ = writeln!(
        out,
        "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"{}\" time=\"{:.3}\">",
        attr(&format!("reachaudit {}", r.target.name())),
        cases.len(),
        n(|o| matches!(o, Outcome::Failed { .. })),
        n(|o| matches!(o, Outcome::Error { .. })),
        n(|o| matches!(o, Outcome::Skipped { .. })),
        seconds(r)
    );
    out.push_str("    <properties>\n");
    let score = r
        .score
        .total
        .map_or_else(|| "null".to_owned(), |s| s.to_string());
    let mut properties: Vec<(String, String)> = [
        ("target", r.target.input.as_str()),
        ("start_url", r.target.start_url.as_str()),
        ("score", score.as_str()),
        ("grade", r.score.grade.as_deref().unwrap_or("null")),
    ]
    .into_iter()
    .map(|(n, v)| (n.to_owned(), v.to_owned()))
    .collect();
    // The customer's ways, the caps and why each category is not higher: what a CI reader
    // looks for first when the score drops.
    for path in &r.score.paths {
        properties.push((format!("path.{}", path.id()), path.summary.clone()));
    }
    for cap in &r.score.caps {
        properties.push((
            format!("cap.{}", cap.rule),
            format!("{}: {}", cap.grade, cap.reason),
        ));
    }
    for category in &r.score.categories {
        if let Some(why) = &category.why_not_higher {
            properties.push((format!("why_not_higher.{}", category.id), why.clone()));
        }
    }
    for (name, value) in &properties {
        let _ = writeln!(
            out,
            "      <property name=\"{}\" value=\"{}\"/>",
            attr(name),
            attr(value)
        );
    }
    out.push_str("    </properties>\n");
    for case in cases {
        let _ = write!(
            out,
            "    <testcase name=\"{}\" classname=\"{}\" time=\"0\"",
            attr(&case.name),
            attr(&case.classname)
        );
        match &case.outcome {
            Outcome::Passed => out.push_str("/>\n"),
            Outcome::Failed { message, detail } => {
                let _ = writeln!(
                    out,
                    ">\n      <failure type=\"error\" message=\"{}\">{}</failure>\n    </testcase>",
                    attr(message),
                    text(detail)
                );
            }
            Outcome::Error { message } => {
                let _ = writeln!(
                    out,
                    ">\n      <error type=\"not_evaluated\" message=\"{}\"/>\n    </testcase>",
                    attr(message)
                );
            }
            Outcome::Skipped { message } => {
                let _ = writeln!(
                    out,
                    ">\n      <skipped message=\"{}\"/>\n    </testcase>",
                    attr(message)
                );
            }
        }
    }
    out.push_str("  </testsuite>\n");
}

fn cases(r: &Report) -> Vec<Case> {
    let classname = |group: &str| format!("reachaudit.{group}");
    if !r.evaluated {
        return vec![Case {
            name: "the site can be evaluated".to_owned(),
            classname: classname("crawl"),
            outcome: Outcome::Error {
                message: r
                    .reason
                    .clone()
                    .unwrap_or_else(|| "nothing could be fetched".to_owned()),
            },
        }];
    }
    let Some(gate) = &r.gate else {
        // A report rendered without a gate (an old file): the findings alone, by severity.
        return r
            .findings
            .iter()
            .map(|f| Case {
                name: format!("{}: {}", f.rule, f.title),
                classname: classname(&format!("rules.{}", f.jurisdiction)),
                outcome: match f.status {
                    FindingStatus::Fail => Outcome::Failed {
                        message: f.message.clone(),
                        detail: f.law.clone(),
                    },
                    FindingStatus::Pass => Outcome::Passed,
                    other => Outcome::Skipped {
                        message: crate::model::json_name(&other),
                    },
                },
            })
            .collect();
    };
    let mut out: Vec<Case> = gate
        .assertions
        .iter()
        .map(|a| assertion_case(r, a, &classname))
        .collect();
    if let Some(diff) = &gate.baseline {
        // A rule newly failing is already its rule's test case.
        for change in diff
            .worse
            .iter()
            .filter(|c| c.kind != crate::model::ChangeKind::RuleFailing)
        {
            let message = format!("{}: {}", change.subject, change.message);
            out.push(Case {
                name: format!("no regression: {}", change.subject),
                classname: classname("baseline"),
                outcome: if change.level == Level::Error {
                    Outcome::Failed {
                        detail: format!("compared with {}", diff.file),
                        message,
                    }
                } else {
                    Outcome::Skipped {
                        message: format!("warning: {message}"),
                    }
                },
            });
        }
        if diff.worse.is_empty() {
            out.push(Case {
                name: format!("no regression against {}", diff.file),
                classname: classname("baseline"),
                outcome: Outcome::Passed,
            });
        }
    }
    out
}

fn assertion_case(r: &Report, a: &Assertion, classname: &dyn Fn(&str) -> String) -> Case {
    let (name, group) = match a.id.strip_prefix("rule.") {
        Some(rule) => {
            let finding = r.findings.iter().find(|f| f.rule == rule);
            let title = finding.map_or("", |f| f.title.as_str());
            let jurisdiction = finding.map_or("", |f| f.jurisdiction.as_str());
            (format!("{rule}: {title}"), format!("rules.{jurisdiction}"))
        }
        None => (format!("{}: {}", a.id, a.expected), "assertions".to_owned()),
    };
    let outcome = if a.passed {
        match a.actual.as_str() {
            "needs_review" => Outcome::Skipped {
                message: format!("needs review by a person: {}", a.message),
            },
            "not_applicable" => Outcome::Skipped {
                message: format!("not applicable: {}", a.message),
            },
            _ => Outcome::Passed,
        }
    } else if a.known {
        Outcome::Skipped {
            message: format!("known failure, also in the baseline: {}", a.message),
        }
    } else if a.level == Level::Error {
        Outcome::Failed {
            message: format!("expected {}, got {}", a.expected, a.actual),
            detail: a.message.clone(),
        }
    } else {
        Outcome::Skipped {
            message: format!("warning: {}", a.message),
        }
    };
    Case {
        name,
        classname: classname(&group),
        outcome,
    }
}

/// Drops what XML 1.0 cannot carry at all (most C0 controls, lone surrogates cannot occur in
/// a `str`, U+FFFE/U+FFFF), so a hostile page cannot make the report unparsable.
fn allowed(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r') || (c >= ' ' && c != '\u{FFFE}' && c != '\u{FFFF}')
}

fn text(s: &str) -> String {
    let kept: String = s.chars().filter(|c| allowed(*c)).collect();
    quick_xml::escape::escape(kept.as_str()).into_owned()
}

/// Attribute values: also newlines and tabs as character references, which XML would otherwise
/// normalise to spaces.
fn attr(s: &str) -> String {
    text(s)
        .replace('\n', "&#10;")
        .replace('\r', "&#13;")
        .replace('\t', "&#9;")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::sample;

    #[test]
    fn the_customer_paths_and_why_not_higher_are_properties() {
        let mut report = sample::report();
        let rules = crate::rules::Rules::embedded().unwrap();
        report.score = crate::score::score(&report, &rules.scoring);
        let xml = Junit.render(&[report]);
        assert!(
            xml.contains("<property name=\"path.at_once\" value=\"home → Kontakt → phone"),
            "{xml}"
        );
        assert!(xml.contains("<property name=\"path.in_writing\""), "{xml}");
        assert!(xml.contains("<property name=\"why_not_higher."), "{xml}");
    }

    #[test]
    fn hostile_text_stays_well_formed() {
        assert_eq!(attr("a\"<b>&\u{1b}\n"), "a&quot;&lt;b&gt;&amp;&#10;");
        let mut report = sample::report();
        report.target.site = "evil\u{0}\"><x>".into();
        report.evaluated = false;
        report.reason = Some("refused <b>".into());
        let xml = Junit.render(&[report]);
        assert!(xml.contains("errors=\"1\""), "{xml}");
        assert!(xml.contains("evil&quot;&gt;&lt;x&gt;"), "{xml}");
        assert!(!xml.contains('\u{0}'));
        let mut reader = quick_xml::Reader::from_str(&xml);
        loop {
            match reader.read_event() {
                Ok(quick_xml::events::Event::Eof) => break,
                Ok(_) => {}
                Err(e) => panic!("not well-formed: {e}\n{xml}"),
            }
        }
    }
}
