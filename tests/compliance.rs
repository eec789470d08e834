//! Every compliance rule against its cases in `fixtures/compliance/<jurisdiction>.toml`: each case
//! is a small site (pages, channels, signals) described in TOML, the rule runs on it, and the
//! status must be the expected one. Every rule must have at least one passing and one failing
//! (or warning) case, so a rule cannot be added without proof that it can tell the two apart.

use std::collections::BTreeMap;
use std::path::Path;

use reachaudit::check;
use reachaudit::model::{
    Channel, ChannelKind, Crawl, EmailInfo, Evidence, FindingStatus, FormInfo, Limits, Mode, Page,
    PageKind, PhoneInfo, PhoneType, Report, RobotsStatus, Score, Signal, SourceKind, Target, Tool,
};
use reachaudit::rules::Rules;
use reachaudit::rules::compliance::parse_date;
use serde::Deserialize;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    case: Vec<Case>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    rule: String,
    expect: FindingStatus,
    about: String,
    #[serde(default)]
    today: Option<String>,
    #[serde(default)]
    pages: Vec<CasePage>,
    #[serde(default)]
    channels: Vec<CaseChannel>,
    #[serde(default)]
    signals: Vec<CaseSignal>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CasePage {
    url: String,
    kinds: Vec<PageKind>,
    clicks: Option<u32>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CaseChannel {
    kind: ChannelKind,
    #[serde(default)]
    pages: Vec<String>,
    #[serde(default)]
    mode: Option<Mode>,
    #[serde(rename = "type", default)]
    phone_type: Option<PhoneType>,
    #[serde(default)]
    labels: Vec<String>,
    #[serde(default)]
    price_note: Option<String>,
    #[serde(default)]
    no_reply: bool,
    #[serde(default)]
    login_required: bool,
    #[serde(default)]
    captcha: Option<String>,
    #[serde(default)]
    value: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CaseSignal {
    id: String,
    pages: u32,
}

const ORIGIN: &str = "https://shop.example";

fn url(path: &str) -> String {
    format!("{ORIGIN}{path}")
}

fn report(case: &Case) -> Report {
    let mut pages: Vec<Page> = case
        .pages
        .iter()
        .map(|p| Page {
            url: url(&p.url),
            status: 200,
            clicks: p.clicks,
            kinds: p.kinds.clone(),
            title: None,
            content_type: Some("text/html".into()),
            redirected_from: vec![],
            truncated: false,
            truncated_by: None,
            reached_from: None,
            link_text: None,
            rendered: false,
            request: 0,
        })
        .collect();
    if pages.is_empty() {
        pages.push(Page {
            url: url("/"),
            status: 200,
            clicks: Some(0),
            kinds: vec![PageKind::Home],
            title: None,
            content_type: Some("text/html".into()),
            redirected_from: vec![],
            truncated: false,
            truncated_by: None,
            reached_from: None,
            link_text: None,
            rendered: false,
            request: 0,
        });
    }
    let clicks_of = |path: &str| {
        pages
            .iter()
            .find(|p| p.url == url(path))
            .and_then(|p| p.clicks)
    };
    let channels = case
        .channels
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let value = c.value.clone().unwrap_or_else(|| match c.kind {
                ChannelKind::Phone | ChannelKind::Fax => format!("+49 30 1234{i:03}"),
                ChannelKind::Email => format!("kontakt{i}@shop.example"),
                _ => format!("{} {i}", c.kind.as_str()),
            });
            let seen: Vec<&str> = if c.pages.is_empty() {
                vec!["/"]
            } else {
                c.pages.iter().map(String::as_str).collect()
            };
            let mut channel = Channel::new(c.kind, value.clone());
            channel.mode = c.mode.unwrap_or(Mode::Human);
            channel.labels.clone_from(&c.labels);
            channel.price_note.clone_from(&c.price_note);
            channel.seen_on = seen.iter().map(|p| url(p)).collect();
            channel.clicks = seen.iter().filter_map(|p| clicks_of(p)).min();
            channel.evidence = seen
                .iter()
                .map(|p| Evidence {
                    url: url(p),
                    source: "case".into(),
                    snippet: value.clone(),
                })
                .collect();
            if matches!(c.kind, ChannelKind::Phone | ChannelKind::Fax) {
                channel.phone = Some(PhoneInfo {
                    extension: None,
                    e164: format!("+49301234{i:03}"),
                    kind: c.phone_type.unwrap_or(PhoneType::FixedLine),
                    region: Some("DE".into()),
                });
            }
            if c.kind == ChannelKind::Email {
                channel.email = Some(EmailInfo {
                    address: value,
                    obfuscated: false,
                    no_reply: c.no_reply,
                });
            }
            if c.kind == ChannelKind::ContactForm {
                channel.form = Some(FormInfo {
                    fields: vec![],
                    captcha: c.captcha.clone(),
                    login_required: c.login_required,
                    method: "POST".into(),
                });
            }
            channel
        })
        .collect();
    let signals = case
        .signals
        .iter()
        .map(|s| Signal {
            id: s.id.clone(),
            title: s.id.replace('_', " "),
            deflection: false,
            pages: s.pages,
            evidence: vec![Evidence {
                url: url("/"),
                source: "case".into(),
                snippet: s.id.clone(),
            }],
            seen_on: vec![url("/")],
        })
        .collect();
    Report {
        schema_version: "1".into(),
        tool: Tool::current(),
        target: Target {
            input: ORIGIN.into(),
            start_url: url("/"),
            site: "shop.example".into(),
            source: SourceKind::Http,
        },
        evaluated: true,
        reason: None,
        crawl: Crawl {
            pages,
            requests: 1,
            robots: RobotsStatus::Missing,
            errors: vec![],
            skipped: vec![],
            limits: Limits {
                max_pages: 50,
                max_depth: 5,
                rate: Some(2.0),
                timeout_secs: 10.0,
                page_budget_secs: None,
                max_bytes: 5_242_880,
                max_redirects: 10,
                user_agent: "test".into(),
            },
            duration_ms: 0,
            render: reachaudit::model::Render::default(),
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

fn cases() -> Vec<(String, Case)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/compliance");
    let mut out = Vec::new();
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        let parsed: File =
            toml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        out.extend(parsed.case.into_iter().map(|c| (name.clone(), c)));
    }
    out
}

#[test]
fn every_rule_gives_the_expected_status_on_its_cases() {
    let rules = Rules::embedded().unwrap();
    let mut problems = Vec::new();
    let default_today = parse_date("2026-11-25").unwrap();
    for (file, case) in cases() {
        let Some(rule) = rules.compliance.iter().find(|r| r.id == case.rule) else {
            problems.push(format!("{file}: case for unknown rule {}", case.rule));
            continue;
        };
        let today = case
            .today
            .as_deref()
            .map(|d| parse_date(d).unwrap_or_else(|| panic!("{file}: bad date {d}")))
            .unwrap_or(default_today);
        let finding = check::run(&report(&case), rule, today);
        if finding.status != case.expect {
            problems.push(format!(
                "{}: {:?}, expected {:?} ({})\n      {}",
                case.rule, finding.status, case.expect, case.about, finding.message
            ));
        }
        assert!(!finding.message.is_empty());
    }
    assert!(
        problems.is_empty(),
        "{} case(s) wrong:\n  {}",
        problems.len(),
        problems.join("\n  ")
    );
}

#[test]
fn every_rule_has_a_passing_and_a_failing_case() {
    let rules = Rules::embedded().unwrap();
    let mut seen: BTreeMap<&str, (bool, bool)> = BTreeMap::new();
    let cases = cases();
    for (_, case) in &cases {
        let entry = seen.entry(case.rule.as_str()).or_default();
        entry.0 |= case.expect == FindingStatus::Pass;
        entry.1 |= matches!(case.expect, FindingStatus::Fail | FindingStatus::Warn);
    }
    let missing: Vec<String> = rules
        .compliance
        .iter()
        .filter(|r| seen.get(r.id.as_str()) != Some(&(true, true)))
        .map(|r| r.id.clone())
        .collect();
    assert!(
        missing.is_empty(),
        "rules without a passing and a failing case: {missing:?}"
    );
    for j in ["eu", "de", "at", "ch", "uk", "es", "fr"] {
        assert!(
            rules.compliance.iter().any(|r| r.jurisdiction == j),
            "no rules for {j}"
        );
    }
}
