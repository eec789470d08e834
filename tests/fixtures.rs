//! Every fixture site, scanned over loopback HTTP and as a directory, must yield exactly the
//! channels of its `expected.json` with the right clicks, the listed page kinds and errors, and
//! the server must never see a request for a path robots.txt disallows.

mod support;

use std::collections::BTreeMap;

use reachaudit::crawl::{CrawlOptions, Start};
use reachaudit::model::Report;
use reachaudit::rules::Rules;
use reachaudit::{AuditOptions, audit};
use serde::Deserialize;
use support::{TestServer, fixtures};

#[derive(Debug, Deserialize)]
struct Expected {
    country: Option<String>,
    channels: Vec<ExpectedChannel>,
    pages: Vec<ExpectedPage>,
    #[serde(default)]
    never_requested: Vec<String>,
    #[serde(default)]
    not_found: Vec<ExpectedChannel>,
    #[serde(default)]
    errors: Vec<ExpectedError>,
}

#[derive(Debug, Deserialize)]
struct ExpectedChannel {
    kind: String,
    e164: Option<String>,
    address: Option<String>,
    #[serde(default)]
    clicks: Option<u32>,
}

#[derive(Debug, Deserialize)]
struct ExpectedPage {
    path: String,
    clicks: Option<u32>,
    kinds: Vec<String>,
}

#[derive(Debug, Deserialize)]
struct ExpectedError {
    path: String,
    kind: String,
}

fn expected(name: &str) -> Expected {
    let file = fixtures().join(name).join("expected.json");
    let text = std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", file.display()))
}

fn options(country: Option<&str>) -> AuditOptions {
    AuditOptions {
        crawl: CrawlOptions {
            allow_private: true,
            // Loopback answers in microseconds; politeness has its own tests.
            rate: Some(500.0),
            ..CrawlOptions::default()
        },
        country: country.map(str::to_owned),
    }
}

fn run(input: &str, options: &AuditOptions) -> Report {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let start = Start::from_input(input).unwrap();
    let rules = Rules::embedded().unwrap();
    runtime
        .block_on(audit(input, &start, options, &rules))
        .unwrap()
}

fn path_of(url: &str) -> String {
    let url = url::Url::parse(url).unwrap();
    match url.query() {
        Some(q) => format!("{}?{q}", url.path()),
        None => url.path().to_owned(),
    }
}

fn channel_key(kind: &str, e164: Option<&str>, address: Option<&str>) -> String {
    format!("{kind} {}", e164.or(address).unwrap_or("?"))
}

/// Compares a report with the expectations; returns every mismatch, not just the first.
fn check(name: &str, report: &Report, expected: &Expected) -> Vec<String> {
    let mut problems = Vec::new();
    assert!(
        report.evaluated,
        "{name}: not evaluated: {:?}",
        report.reason
    );
    let found: BTreeMap<String, Option<u32>> = report
        .channels
        .iter()
        .map(|c| {
            let key = channel_key(
                c.kind.as_str(),
                c.phone.as_ref().map(|p| p.e164.as_str()),
                c.email.as_ref().map(|e| e.address.as_str()),
            );
            (key, c.clicks)
        })
        .collect();
    let wanted: BTreeMap<String, Option<u32>> = expected
        .channels
        .iter()
        .map(|c| {
            (
                channel_key(&c.kind, c.e164.as_deref(), c.address.as_deref()),
                c.clicks,
            )
        })
        .collect();
    for (key, clicks) in &wanted {
        match found.get(key) {
            None => problems.push(format!("missing channel {key}")),
            Some(got) if got != clicks => {
                problems.push(format!("{key}: clicks {got:?}, expected {clicks:?}"));
            }
            _ => {}
        }
    }
    for key in found.keys().filter(|k| !wanted.contains_key(*k)) {
        problems.push(format!("unexpected channel {key}"));
    }
    for c in &expected.not_found {
        let key = channel_key(&c.kind, c.e164.as_deref(), c.address.as_deref());
        if found.contains_key(&key) {
            problems.push(format!(
                "{key} must not be found (only on a disallowed page)"
            ));
        }
    }
    for page in &expected.pages {
        let Some(got) = report
            .crawl
            .pages
            .iter()
            .find(|p| path_of(&p.url) == page.path)
        else {
            problems.push(format!("page {} not crawled", page.path));
            continue;
        };
        if got.clicks != page.clicks {
            problems.push(format!(
                "page {}: clicks {:?}, expected {:?}",
                page.path, got.clicks, page.clicks
            ));
        }
        let kinds: Vec<&str> = got.kinds.iter().map(|k| k.as_str()).collect();
        for kind in &page.kinds {
            if !kinds.contains(&kind.as_str()) {
                problems.push(format!("page {}: kinds {kinds:?} lack {kind}", page.path));
            }
        }
    }
    for error in &expected.errors {
        if !report
            .crawl
            .errors
            .iter()
            .any(|e| path_of(&e.url) == error.path && e.kind.as_str() == error.kind)
        {
            problems.push(format!(
                "no {} error recorded for {}",
                error.kind, error.path
            ));
        }
    }
    for path in &expected.never_requested {
        if report
            .crawl
            .pages
            .iter()
            .any(|p| path_of(&p.url).starts_with(path.as_str()))
        {
            problems.push(format!(
                "{path} is disallowed by robots.txt but was crawled"
            ));
        }
    }
    problems
}

fn over_http(name: &str) {
    let expected = expected(name);
    let server = TestServer::fixture(name);
    let report = run(&server.url("/"), &options(expected.country.as_deref()));
    let mut problems = check(name, &report, &expected);
    let requested = server.paths();
    for path in &expected.never_requested {
        if requested.iter().any(|p| p.starts_with(path.as_str())) {
            problems.push(format!(
                "server saw a request for {path}, which robots.txt disallows"
            ));
        }
    }
    assert!(
        requested.contains(&"/robots.txt".to_owned()),
        "{name}: robots.txt never read"
    );
    assert!(
        requested.iter().filter(|p| *p == "/robots.txt").count() == 1,
        "{name}: robots.txt read more than once"
    );
    let mut seen = std::collections::HashSet::new();
    for p in requested
        .iter()
        .filter(|p| !p.ends_with(".xml") && *p != "/robots.txt")
    {
        if !seen.insert(p) {
            problems.push(format!("{p} requested twice"));
        }
    }
    assert!(
        problems.is_empty(),
        "{name} over HTTP:\n  {}",
        problems.join("\n  ")
    );
}

fn as_directory(name: &str) {
    let expected = expected(name);
    let dir = fixtures().join(name);
    let report = run(dir.to_str().unwrap(), &options(expected.country.as_deref()));
    let problems = check(name, &report, &expected);
    assert!(
        problems.is_empty(),
        "{name} as a directory:\n  {}",
        problems.join("\n  ")
    );
}

macro_rules! fixture {
    ($module:ident, $name:literal) => {
        mod $module {
            #[test]
            fn over_http() {
                super::over_http($name);
            }
            #[test]
            fn as_directory() {
                super::as_directory($name);
            }
        }
    };
}

fixture!(acme_shop, "acme-shop");
fixture!(stadtwerke_musterstadt, "stadtwerke-musterstadt");
fixture!(northwind_energy, "northwind-energy");
fixture!(globex_insurance, "globex-insurance");
fixture!(bergbahnen_alpina, "bergbahnen-alpina");
fixture!(moebel_wien, "moebel-wien");
fixture!(cloudnote, "cloudnote");
fixture!(kaputt_handel, "kaputt-handel");

#[test]
fn every_fixture_site_has_a_test() {
    let mut names: Vec<String> = std::fs::read_dir(fixtures())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.path().join("expected.json").is_file())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    let source = include_str!("fixtures.rs");
    for name in &names {
        assert!(
            source.contains(&format!("\"{name}\")")),
            "fixture {name} has no fixture!() line"
        );
    }
    assert!(
        names.len() >= 6,
        "at least six fixture sites, found {names:?}"
    );
}
