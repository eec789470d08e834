//! Every fixture site, scanned over loopback HTTP and as a directory, must yield exactly the
//! channels of its `expected.json` with the right clicks, the listed page kinds and errors, and
//! the server must never see a request for a path robots.txt disallows.

mod support;

use std::collections::BTreeMap;

use reachaudit::crawl::{CrawlOptions, Start};
use reachaudit::model::{Channel, ChannelKind, Report};
use reachaudit::rules::Rules;
use reachaudit::{AuditOptions, audit};
use serde::Deserialize;
use support::{TestServer, fixtures};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Expected {
    #[allow(dead_code)]
    about: String,
    country: Option<String>,
    channels: Vec<ExpectedChannel>,
    pages: Vec<ExpectedPage>,
    #[serde(default)]
    never_requested: Vec<String>,
    /// Other organisations' contact details the site shows (exactly these), with their owner.
    #[serde(default)]
    third_parties: Vec<ExpectedChannel>,
    #[serde(default)]
    not_found: Vec<ExpectedChannel>,
    #[serde(default)]
    errors: Vec<ExpectedError>,
    /// Deflection signals the site must show (exactly these).
    #[serde(default)]
    deflection: Vec<String>,
    /// Whether pages link to the contact page from navigation, header or footer.
    #[serde(default)]
    contact_link_in_navigation: Option<bool>,
    /// URL families the crawl must recognise as traps (`crawl.traps`).
    #[serde(default)]
    traps: Vec<ExpectedTrap>,
}

/// A trap family: URLs under `path_prefix`, with the query parameter `param` if given.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ExpectedTrap {
    path_prefix: String,
    param: Option<String>,
    #[allow(dead_code)]
    kind: String,
    #[allow(dead_code)]
    note: Option<String>,
}

/// One channel: `kind` plus what identifies it (`e164`, `address`, `postal`, `vendor`, `url`,
/// `value`), `clicks`, and optional attributes to check.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ExpectedChannel {
    kind: String,
    e164: Option<String>,
    address: Option<String>,
    postal: Option<String>,
    vendor: Option<String>,
    url: Option<String>,
    value: Option<String>,
    #[serde(default)]
    clicks: Option<u32>,
    mode: Option<String>,
    #[serde(rename = "type")]
    phone_type: Option<String>,
    labels: Option<Vec<String>>,
    price_note: Option<String>,
    hours: Option<bool>,
    obfuscated: Option<bool>,
    no_reply: Option<bool>,
    captcha: Option<String>,
    login_required: Option<bool>,
    /// For third parties: the kind of organisation (`chamber`, `hoster` …).
    owner: Option<String>,
    /// For third parties: a part of the organisation's name the report must give.
    name: Option<String>,
    #[allow(dead_code)]
    note: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ExpectedPage {
    path: String,
    clicks: Option<u32>,
    kinds: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
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
        ..AuditOptions::default()
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

/// A URL of the site itself as its path (the port differs per run); other sites' URLs whole.
fn site_relative(url: &str, origin: &str) -> String {
    match url.strip_prefix(origin.trim_end_matches('/')) {
        Some(rest) if rest.starts_with('/') || rest.is_empty() => {
            if rest.is_empty() {
                "/".to_owned()
            } else {
                rest.to_owned()
            }
        }
        _ => url.to_owned(),
    }
}

fn found_key(c: &Channel, origin: &str) -> String {
    let id = if let Some(p) = &c.phone {
        p.e164.clone()
    } else if let Some(e) = &c.email {
        e.address.clone()
    } else if c.kind == ChannelKind::PostalAddress {
        c.value.to_lowercase()
    } else if let Some(v) = &c.vendor {
        match &c.url {
            Some(u) => format!("{v} {}", site_relative(u, origin)),
            None => v.clone(),
        }
    } else if let Some(u) = &c.url {
        site_relative(u, origin)
    } else {
        c.value.to_lowercase()
    };
    format!("{} {id}", c.kind.as_str())
}

fn wanted_key(c: &ExpectedChannel) -> String {
    let id = c
        .e164
        .clone()
        .or_else(|| c.address.clone())
        .or_else(|| c.postal.as_ref().map(|p| p.to_lowercase()))
        .or_else(|| match (&c.vendor, &c.url) {
            (Some(v), Some(u)) => Some(format!("{v} {u}")),
            (Some(v), None) => Some(v.clone()),
            (None, Some(u)) => Some(u.clone()),
            (None, None) => None,
        })
        .or_else(|| c.value.as_ref().map(|v| v.to_lowercase()))
        .unwrap_or_else(|| "?".to_owned());
    format!("{} {id}", c.kind)
}

fn enum_name<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// The optional attribute checks of one expected channel against the channel found.
fn attributes(key: &str, want: &ExpectedChannel, got: &Channel, problems: &mut Vec<String>) {
    let mut check = |what: &str, expected: Option<String>, actual: String| {
        if let Some(expected) = expected
            && expected != actual
        {
            problems.push(format!("{key}: {what} {actual:?}, expected {expected:?}"));
        }
    };
    check("mode", want.mode.clone(), enum_name(&got.mode));
    check(
        "type",
        want.phone_type.clone(),
        got.phone
            .as_ref()
            .map(|p| p.kind.as_str().to_owned())
            .unwrap_or_default(),
    );
    check(
        "labels",
        want.labels.as_ref().map(|l| l.join(",")),
        got.labels.join(","),
    );
    check(
        "price_note",
        want.price_note.clone(),
        got.price_note.clone().unwrap_or_default(),
    );
    check(
        "hours",
        want.hours.map(|h| h.to_string()),
        (!got.hours.is_empty()).to_string(),
    );
    check(
        "obfuscated",
        want.obfuscated.map(|b| b.to_string()),
        got.email.as_ref().is_some_and(|e| e.obfuscated).to_string(),
    );
    check(
        "no_reply",
        want.no_reply.map(|b| b.to_string()),
        got.email.as_ref().is_some_and(|e| e.no_reply).to_string(),
    );
    check(
        "captcha",
        want.captcha.clone(),
        got.form
            .as_ref()
            .and_then(|f| f.captcha.clone())
            .unwrap_or_default(),
    );
    check(
        "owner",
        want.owner.clone(),
        got.owner.kind.as_str().to_owned(),
    );
    check(
        "login_required",
        want.login_required.map(|b| b.to_string()),
        got.form
            .as_ref()
            .is_some_and(|f| f.login_required)
            .to_string(),
    );
    if let Some(name) = &want.name {
        let got_name = got.owner.name.clone().unwrap_or_default();
        if !got_name.to_lowercase().contains(&name.to_lowercase()) {
            problems.push(format!(
                "{key}: owner name {got_name:?} lacks {name:?} ({})",
                got.owner.because.as_deref().unwrap_or("")
            ));
        }
    }
}

/// Compares found channels with expected ones (exactly these, with their clicks and attributes);
/// returns the keys found.
fn compare(
    what: &str,
    channels: &[Channel],
    expected: &[ExpectedChannel],
    origin: &str,
    problems: &mut Vec<String>,
) -> std::collections::BTreeSet<String> {
    let found: BTreeMap<String, &Channel> =
        channels.iter().map(|c| (found_key(c, origin), c)).collect();
    let mut wanted = BTreeMap::new();
    for c in expected {
        let key = wanted_key(c);
        if wanted.insert(key.clone(), c).is_some() {
            problems.push(format!("expected.json lists {key} twice"));
        }
    }
    for (key, want) in &wanted {
        match found.get(key) {
            None => problems.push(format!("missing {what} {key}")),
            Some(got) => {
                if got.clicks != want.clicks {
                    problems.push(format!(
                        "{key}: clicks {:?}, expected {:?}",
                        got.clicks, want.clicks
                    ));
                }
                attributes(key, want, got, problems);
            }
        }
    }
    for (key, got) in &found {
        if !wanted.contains_key(key) {
            let seen = got
                .evidence
                .first()
                .map(|e| format!("{} «{}»", site_relative(&e.url, origin), e.snippet))
                .unwrap_or_default();
            let owner = if got.owner.is_company() {
                String::new()
            } else {
                format!(
                    " owned by {} {:?} ({})",
                    got.owner.kind.as_str(),
                    got.owner.name.as_deref().unwrap_or(""),
                    got.owner.because.as_deref().unwrap_or("")
                )
            };
            problems.push(format!(
                "unexpected {what} {key} (clicks {:?}){owner} at {seen}",
                got.clicks
            ));
        }
    }
    found.into_keys().collect()
}

/// Compares a report with the expectations; returns every mismatch, not just the first.
fn check(name: &str, report: &Report, expected: &Expected, origin: &str) -> Vec<String> {
    let mut problems = Vec::new();
    assert!(
        report.evaluated,
        "{name}: not evaluated: {:?}",
        report.reason
    );
    let found = compare(
        "channel",
        &report.channels,
        &expected.channels,
        origin,
        &mut problems,
    );
    let found_third = compare(
        "third-party detail",
        &report.third_parties,
        &expected.third_parties,
        origin,
        &mut problems,
    );
    for c in &expected.not_found {
        let key = wanted_key(c);
        if found.contains(&key) || found_third.contains(&key) {
            problems.push(format!(
                "{key} must not be found (a decoy or a disallowed page)"
            ));
        }
    }
    let deflection: Vec<&str> = report
        .signals
        .iter()
        .filter(|s| s.deflection)
        .map(|s| s.id.as_str())
        .collect();
    let mut want_deflection: Vec<&str> = expected.deflection.iter().map(String::as_str).collect();
    want_deflection.sort_unstable();
    let mut got_deflection = deflection.clone();
    got_deflection.sort_unstable();
    if got_deflection != want_deflection {
        problems.push(format!(
            "deflection signals {got_deflection:?}, expected {want_deflection:?}"
        ));
    }
    if let Some(want) = expected.contact_link_in_navigation {
        let got = report
            .signals
            .iter()
            .any(|s| s.id == "contact_link_in_navigation");
        if got != want {
            problems.push(format!("contact_link_in_navigation {got}, expected {want}"));
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
    for trap in &expected.traps {
        let param = trap.param.as_deref().map(str::to_lowercase);
        let held = report.crawl.traps.iter().any(|t| {
            let Ok(example) = url::Url::parse(&t.example) else {
                return false;
            };
            example.path().starts_with(trap.path_prefix.as_str())
                && param
                    .as_ref()
                    .is_none_or(|p| example.query_pairs().any(|(k, _)| k.to_lowercase() == *p))
        });
        if !held {
            let families: Vec<String> = report
                .crawl
                .traps
                .iter()
                .map(|t| format!("{} ({})", t.pattern, t.example))
                .collect();
            problems.push(format!(
                "trap {}{} not recognised; families held back: {families:?}",
                trap.path_prefix,
                trap.param
                    .as_deref()
                    .map(|p| format!("?{p}="))
                    .unwrap_or_default()
            ));
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
    let origin = server.url("/");
    let report = run(&origin, &options(expected.country.as_deref()));
    let mut problems = check(name, &report, &expected, &origin);
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
    let problems = check(
        name,
        &report,
        &expected,
        reachaudit::crawl::DEFAULT_LOCAL_BASE,
    );
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
fixture!(mobilfunk_blitz, "mobilfunk-blitz");
fixture!(versicherung_nordlicht, "versicherung-nordlicht");
fixture!(tienda_sol, "tienda-sol");
fixture!(reisebuero_sonnenschein, "reisebuero-sonnenschein");
fixture!(schadcode_gmbh, "schadcode-gmbh");
fixture!(notariat_lindner, "notariat-lindner");
fixture!(clinica_dental_sonrisa, "clinica-dental-sonrisa");
fixture!(glenview_pharmacy, "glenview-pharmacy");
fixture!(praxis_dr_berger, "praxis-dr-berger");
fixture!(zahnarzt_wien, "zahnarzt-wien");
fixture!(boulangerie_martin, "boulangerie-martin");
fixture!(trattoria_da_luca, "trattoria-da-luca");
fixture!(bloemenwinkel_de_tulp, "bloemenwinkel-de-tulp");
fixture!(maison_dupont_bxl, "maison-dupont-bxl");
fixture!(maple_street_dental, "maple-street-dental");
fixture!(north_shore_outfitters, "north-shore-outfitters");
fixture!(optik_zuerich, "optik-zuerich");
fixture!(autohaus_kfz_huber, "autohaus-kfz-huber");
fixture!(harrow_solicitors, "harrow-solicitors");
fixture!(devhub_api, "devhub-api");
fixture!(modehaus_lumen, "modehaus-lumen");
fixture!(stromfix_energie, "stromfix-energie");
fixture!(schreinerei_holzmann, "schreinerei-holzmann");
fixture!(kulturhaus_am_fluss, "kulturhaus-am-fluss");
fixture!(moebelmarkt_faceted, "moebelmarkt-faceted");
fixture!(tageblatt_regional, "tageblatt-regional");
fixture!(stadtbibliothek_sessions, "stadtbibliothek-sessions");
fixture!(sitemap_only_kontakt, "sitemap-only-kontakt");
fixture!(werkstatt_tiefer_footer, "werkstatt-tiefer-footer");
fixture!(paketblitz, "paketblitz");
fixture!(viajes_costa_azul, "viajes-costa-azul");
fixture!(fastfibre_broadband, "fastfibre-broadband");
fixture!(achat_malin_fr, "achat-malin-fr");
fixture!(ashford_building_society, "ashford-building-society");
fixture!(versandapotheke_alpin, "versandapotheke-alpin");
fixture!(fitnessclub_pulse, "fitnessclub-pulse");
fixture!(vakantiepark_zeewind, "vakantiepark-zeewind");
fixture!(energia_lombarda, "energia-lombarda");

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
