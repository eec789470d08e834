//! The terminal report: what a consumer advocate reads first. Channels lead (with where they were
//! seen and how many clicks away), then what the crawl saw and what went wrong.
//!
//! Every string that came from a crawled site is stripped of control characters, so a page title
//! cannot smuggle terminal escape sequences into the reader's terminal.

use std::fmt::Write as _;

use super::{Renderer, clean};
use crate::model::{
    Assertion, Channel, ChannelKind, FindingStatus, Gate, Level, Mode, Report, RobotsStatus,
    Signal, SourceKind,
};

/// The text renderer, fitting its tables into `width` columns.
pub(super) struct Text {
    pub(super) width: usize,
}

/// Width when nothing says otherwise (not a terminal, no `COLUMNS`).
pub(super) const DEFAULT_WIDTH: usize = 100;
/// Narrowest a cut column gets.
const MIN_COLUMN: usize = 16;

/// The width to fit: `COLUMNS` when set, else the terminal's when stdout is one, else 100.
#[must_use]
pub(super) fn width() -> usize {
    if let Some(columns) = std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.trim().parse::<usize>().ok())
        .filter(|c| *c >= 40)
    {
        return columns;
    }
    let term = console::Term::stdout();
    if term.is_term() {
        return usize::from(term.size().1).max(40);
    }
    DEFAULT_WIDTH
}

impl Renderer for Text {
    fn render(&self, reports: &[Report]) -> String {
        let mut out = String::new();
        for (i, report) in reports.iter().enumerate() {
            if i > 0 {
                out.push_str("\n\n");
            }
            render_one(&mut out, report, self.width);
        }
        out
    }
}

fn clicks(c: Option<u32>) -> String {
    match c {
        Some(0) => "start page".to_owned(),
        Some(1) => "1 click".to_owned(),
        Some(n) => format!("{n} clicks"),
        None => "sitemap only".to_owned(),
    }
}

fn render_one(out: &mut String, r: &Report, width: usize) {
    let source = match r.target.source {
        SourceKind::Http => String::new(),
        SourceKind::Directory => format!(" (local directory {})", clean(&r.target.input)),
        SourceKind::File => format!(" (local file {})", clean(&r.target.input)),
    };
    let _ = writeln!(
        out,
        "reachaudit {} · {}",
        r.tool.version,
        clean(&r.target.site)
    );
    let _ = writeln!(out, "  start   {}{source}", clean(&r.target.start_url));
    if let Some(line) = super::render_line(r) {
        let _ = writeln!(out, "  render  {}", clean(&line));
    }
    if !r.evaluated {
        let _ = writeln!(
            out,
            "  result  NOT EVALUATED: {}",
            clean(r.reason.as_deref().unwrap_or("nothing could be fetched"))
        );
        let _ = writeln!(
            out,
            "          Nothing below says anything about how reachable this company is."
        );
    }
    match (r.score.total, &r.score.grade) {
        (Some(total), Some(grade)) => {
            let _ = writeln!(out, "  score   {total}/100 (grade {grade})");
            if let Some(note) = &r.score.note {
                let _ = writeln!(out, "          {}", clean(note));
            }
            for cap in &r.score.caps {
                let _ = writeln!(
                    out,
                    "          capped at {}: {}{}",
                    cap.grade,
                    clean(&cap.reason),
                    if cap.law.is_empty() {
                        String::new()
                    } else {
                        format!(" ({})", clean(&cap.law))
                    }
                );
            }
        }
        _ => {
            let _ = writeln!(
                out,
                "  score   {}",
                r.score.note.as_deref().unwrap_or("not computed")
            );
        }
    }
    if let Some(gate) = &r.gate {
        let failed = gate.assertions.iter().filter(|a| !a.passed).count();
        let verdict = if gate.passed { "passed" } else { "FAILED" };
        let held = if gate.assertions.is_empty() {
            "no assertion applied".to_owned()
        } else {
            format!(
                "{} of {} assertions held",
                gate.assertions.len() - failed,
                gate.assertions.len()
            )
        };
        let _ = writeln!(
            out,
            "  gate    {verdict}: {held}{}",
            gate.baseline.as_ref().map_or_else(String::new, |d| format!(
                "; {} worse, {} better than {}",
                d.worse.len(),
                d.better.len(),
                clean(&d.file)
            ))
        );
    }
    if !r.score.paths.is_empty() {
        let _ = writeln!(out, "\n  The customer's way to a person");
        for path in &r.score.paths {
            let _ = writeln!(out, "    {:<10} {}", path.title(), clean(&path.summary));
        }
    }
    for category in &r.score.categories {
        let score = category
            .score
            .map_or_else(|| "not measured".to_owned(), |s| format!("{s}/100"));
        let _ = writeln!(out, "\n  {} — {score}", clean(&category.title));
        if let Some(why) = &category.why_not_higher {
            let _ = writeln!(out, "    why not higher: {}", clean(why));
        }
        for item in &category.items {
            let mark = match item.score {
                None => "  –  ".to_owned(),
                Some(s) => format!("{:>3}% ", (s * 100.0).round()),
            };
            let _ = writeln!(
                out,
                "    {mark}{}: {}",
                clean(&item.title),
                clean(&item.reason)
            );
        }
    }
    if !r.probes.is_empty() {
        let _ = writeln!(out, "\nTest contacts ({})", r.probes.len());
        for p in &r.probes {
            let after = |secs: Option<i64>| {
                secs.map_or_else(|| "–".to_owned(), crate::model::human_duration)
            };
            let _ = writeln!(
                out,
                "  {} {} {}: {}{} (first reply {} {}, first by a person {})",
                p.token,
                p.channel,
                clean(&p.target),
                p.outcome,
                p.delivery()
                    .map_or_else(String::new, |d| format!(", {}", clean(&d))),
                p.first_reply_class
                    .as_deref()
                    .map_or_else(|| "–".to_owned(), clean),
                after(p.first_reply_secs),
                after(p.first_human_secs)
            );
        }
    }
    let deflection: Vec<&Signal> = r.signals.iter().filter(|s| s.deflection).collect();
    if !deflection.is_empty() {
        let _ = writeln!(out, "\nDeflection ({})", deflection.len());
        for s in deflection {
            let seen = s
                .evidence
                .first()
                .map(|e| format!("{}  «{}»", clean(&e.url), clean(&e.snippet)))
                .unwrap_or_default();
            let title = if s.title.is_empty() {
                s.id.replace('_', " ")
            } else {
                clean(&s.title)
            };
            let _ = writeln!(out, "  {title}  {seen}");
        }
    }

    let _ = writeln!(out, "\nChannels ({})", r.channels.len());
    if r.channels.is_empty() {
        let _ = writeln!(out, "  none found on the pages crawled");
    } else {
        let origin = r.target.start_url.trim_end_matches('/');
        let rows: Vec<[String; 5]> = r.channels.iter().map(|c| channel_row(c, origin)).collect();
        table(
            out,
            width,
            ["KIND", "VALUE", "DETAIL", "REACHED", "SEEN ON"],
            &rows,
        );
    }

    if !r.widget_notes.is_empty() {
        let _ = writeln!(out, "\nEmbedded but not counted ({})", r.widget_notes.len());
        for n in &r.widget_notes {
            let seen = n.evidence.first().map_or(String::new(), |e| clean(&e.url));
            let _ = writeln!(out, "  {}  {seen}", clean(&n.message));
        }
    }

    if !r.third_parties.is_empty() {
        let _ = writeln!(
            out,
            "\nOther organisations' contacts ({}, not counted as the company's)",
            r.third_parties.len()
        );
        let rows: Vec<[String; 4]> = r.third_parties.iter().map(third_party_row).collect();
        table(out, width, ["KIND", "VALUE", "WHOSE", "WHY"], &rows);
    }

    if r.findings.is_empty()
        && let Some(note) = &r.legal_note
    {
        let _ = writeln!(out, "\nLegal checks\n  none: {}", clean(note));
    }
    if !r.findings.is_empty() {
        let count = |s: FindingStatus| r.findings.iter().filter(|f| f.status == s).count();
        let _ = writeln!(
            out,
            "\nLegal checks ({} fail, {} warn, {} to review, {} pass, {} not applicable)",
            count(FindingStatus::Fail),
            count(FindingStatus::Warn),
            count(FindingStatus::NeedsReview),
            count(FindingStatus::Pass),
            count(FindingStatus::NotApplicable)
        );
        let mut jurisdictions: Vec<&str> = Vec::new();
        for f in &r.findings {
            if !jurisdictions.contains(&f.jurisdiction.as_str()) {
                jurisdictions.push(&f.jurisdiction);
            }
        }
        for j in jurisdictions {
            let _ = writeln!(out, "  {}", j.to_ascii_uppercase());
            for f in r.findings.iter().filter(|f| f.jurisdiction == j) {
                let mark = match f.status {
                    FindingStatus::Pass => "[ ok ]",
                    FindingStatus::Fail => "[FAIL]",
                    FindingStatus::Warn => "[warn]",
                    FindingStatus::NeedsReview => "[ ?? ]",
                    FindingStatus::NotApplicable => "[ -- ]",
                };
                let _ = writeln!(out, "  {mark} {} — {}", clean(&f.title), clean(&f.law));
                if !matches!(f.status, FindingStatus::Pass | FindingStatus::NotApplicable) {
                    let _ = writeln!(out, "         {}  ({})", clean(&f.message), f.rule);
                }
            }
        }
        let _ = writeln!(
            out,
            "  An audit aid, not legal advice: `reachaudit rules explain ID` gives each rule's source and limits."
        );
    }

    let robots = match r.crawl.robots {
        RobotsStatus::Obeyed => "robots.txt obeyed",
        RobotsStatus::Missing => "no robots.txt",
        RobotsStatus::Ignored => "robots.txt ignored",
    };
    let rate = r.crawl.limits.rate.map_or_else(
        || "no rate limit".to_owned(),
        |rate| format!("{rate} req/s"),
    );
    let _ = writeln!(
        out,
        "\nPages ({} fetched, {} requests, {robots}, {rate}, {:.1} s)",
        r.crawl.pages.len(),
        r.crawl.requests,
        r.crawl.duration_ms as f64 / 1000.0
    );
    let rows: Vec<[String; 5]> = r
        .crawl
        .pages
        .iter()
        .map(|p| {
            let kinds: Vec<&str> = p.kinds.iter().map(|k| k.as_str()).collect();
            [
                clicks(p.clicks),
                p.status.to_string(),
                kinds.join(","),
                clean(&p.url),
                clean(p.title.as_deref().unwrap_or("")),
            ]
        })
        .collect();
    table(
        out,
        width,
        ["REACHED", "STATUS", "KINDS", "URL", "TITLE"],
        &rows,
    );
    if let Some(n) = r.all_found_at_request() {
        let _ = writeln!(
            out,
            "  all {} channels found after {n} of {} requests",
            r.channels.len(),
            r.crawl.requests
        );
    }
    if let Some(why) = &r.crawl.stopped_early {
        let _ = writeln!(out, "  stopped early: {}", clean(why));
    }
    if !r.crawl.traps.is_empty() {
        let _ = writeln!(out, "\nCrawl traps held back ({})", r.crawl.traps.len());
        let rows: Vec<[String; 4]> = r
            .crawl
            .traps
            .iter()
            .map(|t| {
                [
                    clean(&t.pattern),
                    format!("{} fetched, {} held back", t.fetched, t.skipped),
                    clean(&t.why),
                    clean(&t.example),
                ]
            })
            .collect();
        table(out, width, ["FAMILY", "PAGES", "WHY", "EXAMPLE"], &rows);
    }

    if !r.crawl.skipped.is_empty() {
        let _ = writeln!(out, "\nNot fetched ({})", r.crawl.skipped.len());
        let rows: Vec<[String; 2]> = r
            .crawl
            .skipped
            .iter()
            .map(|s| {
                let reason = crate::model::json_name(&s.reason);
                [reason, clean(&s.url)]
            })
            .collect();
        table(out, width, ["REASON", "URL"], &rows);
    }

    if !r.crawl.errors.is_empty() {
        let _ = writeln!(out, "\nErrors ({})", r.crawl.errors.len());
        let rows: Vec<[String; 3]> = r
            .crawl
            .errors
            .iter()
            .map(|e| [e.kind.as_str().to_owned(), clean(&e.url), clean(&e.message)])
            .collect();
        table(out, width, ["KIND", "URL", "WHAT HAPPENED"], &rows);
    }
    if let Some(gate) = &r.gate {
        render_gate(out, gate);
    }
}

/// The assertions that did not hold (held ones are in the checklist above) and the baseline diff.
fn render_gate(out: &mut String, gate: &Gate) {
    let failed: Vec<&Assertion> = gate.assertions.iter().filter(|a| !a.passed).collect();
    let _ = writeln!(
        out,
        "\nCI gate: {} ({} of {} assertions failed)",
        if gate.passed { "passed" } else { "FAILED" },
        failed.len(),
        gate.assertions.len()
    );
    for a in failed {
        let mark = match (a.level, a.known) {
            (_, true) => "[known]",
            (Level::Error, _) => "[error]",
            _ => "[warn] ",
        };
        if a.id.starts_with("rule.") {
            // The rule's message is in the legal checklist above.
            let _ = writeln!(out, "  {mark} {}: {}", a.id, clean(&a.actual));
            continue;
        }
        let _ = writeln!(
            out,
            "  {mark} {}: expected {}, got {}",
            a.id,
            clean(&a.expected),
            clean(&a.actual)
        );
        let _ = writeln!(out, "          {}", clean(&a.message));
    }
    if let Some(diff) = &gate.baseline {
        let _ = writeln!(
            out,
            "  Against {} (baseline score {}, tolerance {} points):",
            clean(&diff.file),
            diff.score_before
                .map_or_else(|| "not computed".to_owned(), |s| s.to_string()),
            diff.tolerance
        );
        for c in &diff.worse {
            let mark = if c.level == Level::Error {
                "[worse]"
            } else {
                "[warn] "
            };
            let _ = writeln!(out, "  {mark} {}: {}", clean(&c.subject), clean(&c.message));
        }
        for c in &diff.better {
            let _ = writeln!(
                out,
                "  [better] {}: {}",
                clean(&c.subject),
                clean(&c.message)
            );
        }
        if diff.worse.is_empty() && diff.better.is_empty() {
            let _ = writeln!(out, "  no change");
        }
    }
}

/// A channel as a table row; pages of the site itself by their path (the header names the site).
fn channel_row(c: &Channel, origin: &str) -> [String; 5] {
    let mut detail = Vec::new();
    if let Some(phone) = &c.phone {
        detail.push(phone.kind.as_str().to_owned());
    }
    if let Some(email) = &c.email {
        if email.no_reply {
            detail.push("no-reply".to_owned());
        }
        if email.obfuscated {
            detail.push("obfuscated".to_owned());
        }
    }
    if let Some(vendor) = &c.vendor {
        detail.push(clean(vendor));
    }
    // Who answers matters for chats, messengers and offers; for numbers, addresses and forms
    // only when it is not the expected "a person".
    let mode_matters = matches!(
        c.kind,
        ChannelKind::Chat
            | ChannelKind::Messenger
            | ChannelKind::Callback
            | ChannelKind::Video
            | ChannelKind::Appointment
    ) || (matches!(
        c.kind,
        ChannelKind::Phone | ChannelKind::Fax | ChannelKind::Email | ChannelKind::ContactForm
    ) && c.mode != Mode::Human);
    if mode_matters {
        detail.push(format!("mode {}", mode_name(c.mode)));
    }
    if let Some(note) = &c.price_note {
        detail.push(format!("«{}»", clean(note)));
    }
    if !c.labels.is_empty() {
        detail.push(c.labels.join("/"));
    }
    if let Some(form) = &c.form {
        if let Some(captcha) = &form.captcha {
            detail.push(format!("CAPTCHA {}", clean(captcha)));
        }
        if form.login_required {
            detail.push("login required".to_owned());
        }
    }
    // One form of the hours: the page's own words over the machine-readable form of
    // structured data ("Monday,Tuesday,… 08:00–20:00") saying the same.
    let written: Vec<&String> = c
        .hours
        .iter()
        .filter(|h| !h.contains("day,") && !h.contains("Mo-Fr") && !h.starts_with("Mo,"))
        .collect();
    let shown: Vec<&String> = if written.is_empty() {
        c.hours.iter().collect()
    } else {
        written
    };
    for hours in shown.into_iter().take(2) {
        detail.push(clean(hours));
    }
    detail.extend(super::channel_marks(c).iter().map(|m| clean(m)));
    let seen = c
        .evidence
        .first()
        .map(|e| {
            let more = if c.evidence.len() > 1 {
                format!(" (+{} more)", c.evidence.len() - 1)
            } else {
                String::new()
            };
            let url = e
                .url
                .strip_prefix(origin)
                .filter(|p| p.starts_with('/'))
                .unwrap_or(&e.url);
            format!("{}{more}  «{}»", clean(url), clean(&e.snippet))
        })
        .unwrap_or_default();
    [
        c.kind.as_str().to_owned(),
        clean(&c.value),
        detail.join(", "),
        clicks(c.clicks),
        seen,
    ]
}

/// A third party's detail: what it is, whose, and what said so.
fn third_party_row(c: &Channel) -> [String; 4] {
    let whose = match &c.owner.name {
        Some(name) => format!("{} ({})", clean(name), c.owner.kind.title()),
        None => c.owner.kind.title().to_owned(),
    };
    let why = c
        .evidence
        .first()
        .map(|e| {
            format!(
                "{} — {}",
                clean(c.owner.because.as_deref().unwrap_or("")),
                clean(&e.url)
            )
        })
        .unwrap_or_default();
    [c.kind.as_str().to_owned(), clean(&c.value), whose, why]
}

fn mode_name(mode: Mode) -> &'static str {
    match mode {
        Mode::Human => "human",
        Mode::Hybrid => "hybrid",
        Mode::Bot => "bot",
        Mode::Unknown => "unknown",
    }
}

/// Left-aligned columns fitted into `width`: while the table is wider, the widest column from
/// the third on (the first two name the thing: kind and value) is narrowed, down to
/// [`MIN_COLUMN`], and its cells cut with "…". The last column is not padded.
fn table<const N: usize>(out: &mut String, width: usize, header: [&str; N], rows: &[[String; N]]) {
    let mut widths = header.map(|h| h.chars().count());
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let first_cut = if N > 2 { 2 } else { N - 1 };
    loop {
        let total = 2 + widths.iter().sum::<usize>() + 2 * (N - 1);
        if total <= width {
            break;
        }
        let Some((i, w)) = widths
            .iter()
            .enumerate()
            .skip(first_cut)
            .filter(|(_, w)| **w > MIN_COLUMN)
            .max_by_key(|(i, w)| (**w, *i))
            .map(|(i, w)| (i, *w))
        else {
            break;
        };
        widths[i] = w.saturating_sub(total - width).max(MIN_COLUMN);
    }
    let line = |out: &mut String, cells: &[&str]| {
        out.push_str("  ");
        for (i, cell) in cells.iter().enumerate() {
            let shown = cut(cell, widths[i]);
            out.push_str(&shown);
            if i + 1 < cells.len() {
                let pad = widths[i] - shown.chars().count() + 2;
                out.extend(std::iter::repeat_n(' ', pad));
            }
        }
        out.push('\n');
    };
    line(out, &header);
    for row in rows {
        let cells: Vec<&str> = row.iter().map(String::as_str).collect();
        line(out, &cells);
    }
}

/// A cell cut to `width` characters, the last one "…" when cut.
fn cut(cell: &str, width: usize) -> String {
    if cell.chars().count() <= width {
        return cell.to_owned();
    }
    let mut shown: String = cell.chars().take(width.saturating_sub(1)).collect();
    shown.push('…');
    shown
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::sample;

    #[test]
    fn reads_like_a_report_and_strips_escape_sequences() {
        let text = Text {
            // Wide enough for every cell whole; fitting is tested below.
            width: 400,
        }
        .render(&[sample::report()]);
        assert!(text.starts_with("reachaudit 0.1.0 · acme-shop.de\n"));
        assert!(text.contains("score   not computed yet"));
        assert!(text.contains("Channels (2)"));
        assert!(text.contains("phone  +49 800 3301000"));
        assert!(text.contains("toll_free"));
        assert!(text.contains("1 click"));
        assert!(text.contains("sitemap only"));
        assert!(text.contains("«Hotline: 0800 330 1000»"));
        assert!(text.contains("robots_txt  https://www.acme-shop.de/intern/"));
        assert!(text.contains("redirect_loop"));
        assert!(
            !text.contains('\u{1b}'),
            "terminal escapes from a page title must not pass"
        );
    }

    #[test]
    fn tables_fit_the_width_and_hours_appear_once() {
        let mut report = sample::report();
        report.channels[0].hours = vec![
            "Monday,Tuesday,Wednesday,Thursday,Friday 08:00–20:00".into(),
            "Mo–Fr 8–20 Uhr".into(),
        ];
        report.channels[0].evidence[0].snippet = "Hotline ".repeat(60);
        for width in [80, 100, 160] {
            let text = Text { width }.render(&[report.clone()]);
            let channels: Vec<&str> = text
                .lines()
                .skip_while(|l| !l.starts_with("Channels"))
                .skip(1)
                .take_while(|l| !l.is_empty())
                .collect();
            assert!(channels.len() >= 2, "{text}");
            for line in &channels {
                assert!(line.chars().count() <= width, "{width}: {line}");
            }
            assert!(
                channels[1].contains('…'),
                "the evidence is cut: {}",
                channels[1]
            );
            assert!(channels[1].contains("+49 800 3301000"), "values stay whole");
            assert!(channels[1].contains("Mo–Fr 8–20 Uhr") || width < 160);
            assert!(
                !channels[1].contains("Monday,"),
                "one hours form: {}",
                channels[1]
            );
        }
    }

    #[test]
    fn an_unevaluated_site_says_so_first() {
        let mut report = sample::report();
        report.evaluated = false;
        report.reason = Some("connection refused".into());
        let text = Text {
            width: DEFAULT_WIDTH,
        }
        .render(&[report]);
        let header: String = text.lines().take(3).collect::<Vec<_>>().join("\n");
        assert!(
            header.contains("NOT EVALUATED: connection refused"),
            "{header}"
        );
    }
}
