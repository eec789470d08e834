//! Markdown for a CI step summary or a pull-request comment: the verdict and what to fix first,
//! details folded away. GitHub renders HTML inside Markdown, so every string from a crawled site
//! is escaped — a page title must not become a link, an image or a tag in someone's PR.

use std::fmt::Write as _;

use super::Renderer;
use crate::model::{FindingStatus, Level, Report};

pub(super) struct Markdown;

impl Renderer for Markdown {
    fn render(&self, reports: &[Report]) -> String {
        let mut out = String::new();
        for r in reports {
            render_one(&mut out, r);
        }
        out
    }
}

/// Escapes Markdown and HTML syntax and folds line breaks, so text stays one table cell.
fn md(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '|' => out.push_str("&#124;"),
            // No @mentions of people or teams from a site's text in a pull request.
            '@' => out.push_str("&#64;"),
            '\\' | '`' | '*' | '_' | '[' | ']' | '#' | '!' | '~' => {
                out.push('\\');
                out.push(c);
            }
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

fn render_one(out: &mut String, r: &Report) {
    // Passed or failed only where a gate ran: a batch result has none, and "passed" next to
    // failing legal checks would contradict itself.
    let verdict = match (&r.gate, r.evaluated) {
        (_, false) => "⚠️ not evaluated",
        (Some(g), true) if !g.passed => "❌ failed",
        (Some(_), true) => "✅ passed",
        (None, true) => "not gated",
    };
    let _ = writeln!(
        out,
        "### reachaudit · {} — {verdict}\n",
        md(r.target.name())
    );
    if !r.evaluated {
        let _ = writeln!(
            out,
            "Nothing could be evaluated: {}\n",
            md(r.reason.as_deref().unwrap_or("nothing fetched"))
        );
        return;
    }
    let score = match (r.score.total, &r.score.grade) {
        (Some(t), Some(g)) => format!("**{t}/100** (grade {g})"),
        _ => "not computed".to_owned(),
    };
    let failing = r
        .findings
        .iter()
        .filter(|f| matches!(f.status, FindingStatus::Fail | FindingStatus::Warn))
        .count();
    let _ = writeln!(
        out,
        "Score {score} · {} channels · {} pages · {failing} legal checks failing\n",
        r.channels.len(),
        r.crawl.pages.len()
    );
    if let Some(gate) = &r.gate {
        let failed: Vec<_> = gate.assertions.iter().filter(|a| !a.passed).collect();
        if !failed.is_empty() {
            out.push_str("| | Check | Found |\n|---|---|---|\n");
            for a in failed {
                let mark = match (a.level, a.known) {
                    (_, true) => "known",
                    (Level::Error, _) => "❌",
                    _ => "⚠️",
                };
                // A rule's finding says more than "expected pass, got fail".
                let found = match a.id.strip_prefix("rule.") {
                    Some(rule) => r.findings.iter().find(|f| f.rule == rule).map_or_else(
                        || md(&a.actual),
                        |f| format!("{} — {}", md(&f.title), md(&f.law)),
                    ),
                    None => format!("{} (expected {})", md(&a.actual), md(&a.expected)),
                };
                let _ = writeln!(out, "| {mark} | `{}` | {found} |", a.id.replace('`', ""));
            }
            out.push('\n');
        }
        if let Some(diff) = &gate.baseline {
            let _ = writeln!(
                out,
                "Against baseline `{}`: {} worse, {} better.\n",
                diff.file.replace('`', ""),
                diff.worse.len(),
                diff.better.len()
            );
            for c in &diff.worse {
                let mark = if c.level == Level::Error {
                    "❌"
                } else {
                    "⚠️"
                };
                let _ = writeln!(out, "- {mark} {}: {}", md(&c.subject), md(&c.message));
            }
            for c in &diff.better {
                let _ = writeln!(out, "- ✅ {}: {}", md(&c.subject), md(&c.message));
            }
            if !diff.worse.is_empty() || !diff.better.is_empty() {
                out.push('\n');
            }
        }
    }
    for cap in &r.score.caps {
        let _ = writeln!(
            out,
            "> Grade capped at **{}**: {}{}\n",
            md(&cap.grade),
            md(&cap.reason),
            if cap.law.is_empty() {
                String::new()
            } else {
                format!(" ({})", md(&cap.law))
            }
        );
    }
    if !r.score.paths.is_empty() {
        out.push_str("| The customer's way to a person | |\n|---|---|\n");
        for path in &r.score.paths {
            let _ = writeln!(out, "| {} | {} |", path.title(), md(&path.summary));
        }
        out.push('\n');
    }
    if !r.score.categories.is_empty() {
        out.push_str("| Category | Score | Why not higher |\n|---|---|---|\n");
        for c in &r.score.categories {
            let s = c
                .score
                .map_or_else(|| "not measured".to_owned(), |s| s.to_string());
            let _ = writeln!(
                out,
                "| {} | {s} | {} |",
                md(&c.title),
                c.why_not_higher.as_deref().map(md).unwrap_or_default()
            );
        }
        out.push('\n');
    }
    let _ = writeln!(
        out,
        "<details><summary>Channels ({})</summary>\n",
        r.channels.len()
    );
    if r.channels.is_empty() {
        out.push_str("None found on the pages crawled.\n");
    } else {
        out.push_str("| Kind | Value | Mode | Clicks | Seen on |\n|---|---|---|---|---|\n");
        for c in &r.channels {
            let clicks = c
                .clicks
                .map_or_else(|| "sitemap".to_owned(), |n| n.to_string());
            let mut mode = crate::model::json_name(&c.mode);
            for mark in super::channel_marks(c) {
                mode.push_str(", ");
                mode.push_str(&md(&mark));
            }
            let seen = c.evidence.first().map_or(String::new(), |e| md(&e.url));
            let _ = writeln!(
                out,
                "| {} | {} | {mode} | {clicks} | {seen} |",
                c.kind.as_str(),
                md(&c.value)
            );
        }
    }
    out.push_str("\n</details>\n\n");
    if !r.widget_notes.is_empty() {
        let _ = writeln!(
            out,
            "<details><summary>Embedded but not counted ({})</summary>\n",
            r.widget_notes.len()
        );
        for n in &r.widget_notes {
            let seen = n.evidence.first().map_or(String::new(), |e| md(&e.url));
            let _ = writeln!(out, "- {} ({seen})", md(&n.message));
        }
        out.push_str("\n</details>\n\n");
    }
    if let Some(line) = super::render_line(r) {
        let _ = writeln!(out, "Rendering: {}\n", md(&line));
    }
    if !r.third_parties.is_empty() {
        let _ = writeln!(
            out,
            "<details><summary>Other organisations' contacts ({}, not counted)</summary>\n\n| Kind | Value | Whose | Why | Seen on |\n|---|---|---|---|---|",
            r.third_parties.len()
        );
        for c in &r.third_parties {
            let whose = match &c.owner.name {
                Some(name) => format!("{} ({})", md(name), c.owner.kind.title()),
                None => c.owner.kind.title().to_owned(),
            };
            let seen = c.evidence.first().map_or(String::new(), |e| md(&e.url));
            let _ = writeln!(
                out,
                "| {} | {} | {whose} | {} | {seen} |",
                c.kind.as_str(),
                md(&c.value),
                md(c.owner.because.as_deref().unwrap_or(""))
            );
        }
        out.push_str("\n</details>\n\n");
    }
    if r.findings.is_empty()
        && let Some(note) = &r.legal_note
    {
        let _ = writeln!(out, "Legal checks: none; {}\n", md(note));
    }
    let problems: Vec<_> = r
        .findings
        .iter()
        .filter(|f| !matches!(f.status, FindingStatus::Pass | FindingStatus::NotApplicable))
        .collect();
    if !problems.is_empty() {
        let _ = writeln!(
            out,
            "<details><summary>Legal checks to act on ({})</summary>\n",
            problems.len()
        );
        for f in problems {
            let status = match f.status {
                FindingStatus::Fail => "fail",
                FindingStatus::Warn => "warn",
                _ => "review",
            };
            let _ = writeln!(
                out,
                "- **{status}** `{}` {} — {}",
                f.rule.replace('`', ""),
                md(&f.title),
                md(&f.law)
            );
        }
        out.push_str("\n</details>\n\n");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::sample;

    #[test]
    fn site_text_cannot_inject_markup() {
        assert_eq!(
            md("<img src=x onerror=alert(1)> [a](javascript:x) | `c`"),
            "&lt;img src=x onerror=alert(1)&gt; \\[a\\](javascript:x) &#124; \\`c\\`"
        );
        let mut report = sample::report();
        report.channels[0].value = "<script>alert(1)</script>|x".into();
        let text = Markdown.render(&[report]);
        assert!(!text.contains("<script>"), "{text}");
        assert!(text.contains("&lt;script&gt;alert(1)&lt;/script&gt;&#124;x"));
        assert!(
            text.starts_with("### reachaudit · acme-shop.de — not gated"),
            "no gate ran, so neither passed nor failed: {text}"
        );
    }

    #[test]
    fn passed_and_failed_only_where_a_gate_ran() {
        let mut report = sample::report();
        report.gate = Some(crate::model::Gate {
            passed: true,
            assertions: vec![],
            baseline: None,
        });
        let text = Markdown.render(std::slice::from_ref(&report));
        assert!(
            text.starts_with("### reachaudit · acme-shop.de — ✅ passed"),
            "{text}"
        );
        report.gate.as_mut().unwrap().passed = false;
        let text = Markdown.render(&[report]);
        assert!(
            text.starts_with("### reachaudit · acme-shop.de — ❌ failed"),
            "{text}"
        );
    }
}
