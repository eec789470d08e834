//! Every vendor in `rules/vendors/` is recognised from its own embed snippet
//! (`fixtures/vendors/<id>.html`, modelled on the vendor's install docs), and the same snippet
//! switched off, or held back by a consent manager, is told apart:
//!
//! - a product that is a channel is reported as a channel of that vendor;
//! - a loader-only install (`possible`) and a shut-down product (`retired`) are notes, never
//!   channels; a CAPTCHA guards the page's form; a consent manager holds a chat back ("blocked
//!   until consent"); a trap (share links, tracking code) is nothing at all;
//! - for every vendor recognised from a script, the same page with its scripts given a type no
//!   browser runs yields no channel but a "switched off" note, and with the consent manager's
//!   attribute added yields the channel marked as blocked until consent.

use std::path::{Path, PathBuf};

use reachaudit::crawl::{CrawlOptions, Start};
use reachaudit::model::{Report, WidgetState};
use reachaudit::rules::{Rules, Vendor, VendorKind};
use reachaudit::{AuditOptions, audit};

fn fixture_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/vendors")
}

async fn scan(file: &Path, rules: &Rules) -> Report {
    let options = AuditOptions {
        crawl: CrawlOptions::default(),
        country: Some("DE".to_owned()),
        jurisdictions: Some(Vec::new()),
        today: None,
    };
    audit(
        &file.display().to_string(),
        &Start::File(file.to_owned()),
        &options,
        rules,
    )
    .await
    .expect("a local file always starts")
}

/// Channels of the vendor, the company's or not (the test is about recognition, not ownership).
fn channels_of<'r>(
    report: &'r Report,
    id: &str,
) -> impl Iterator<Item = &'r reachaudit::model::Channel> + 'r {
    let id = id.to_owned();
    report
        .channels
        .iter()
        .chain(&report.third_parties)
        .filter(move |c| c.vendor.as_deref() == Some(id.as_str()))
}

fn has_note(report: &Report, id: &str, state: WidgetState) -> bool {
    report
        .widget_notes
        .iter()
        .any(|n| n.vendor == id && n.state == state)
}

/// What the vendor's own snippet must yield; `Err` says what it yielded instead.
fn check_snippet(vendor: &Vendor, report: &Report) -> Result<(), String> {
    let id = vendor.id.as_str();
    let seen = || {
        let channels: Vec<String> = report
            .channels
            .iter()
            .chain(&report.third_parties)
            .map(|c| format!("{:?} {:?}", c.kind, c.vendor))
            .collect();
        let notes: Vec<String> = report
            .widget_notes
            .iter()
            .map(|n| format!("{:?} {}", n.state, n.vendor))
            .collect();
        format!("channels {channels:?}, notes {notes:?}")
    };
    let ok = if vendor.retired.is_some() {
        has_note(report, id, WidgetState::Retired) && channels_of(report, id).next().is_none()
    } else if vendor.possible {
        has_note(report, id, WidgetState::Possible) && channels_of(report, id).next().is_none()
    } else {
        match vendor.kind {
            VendorKind::None => channels_of(report, id).next().is_none(),
            VendorKind::Captcha => report
                .channels
                .iter()
                .chain(&report.third_parties)
                .any(|c| c.form.as_ref().and_then(|f| f.captcha.as_deref()) == Some(id)),
            VendorKind::Consent => report
                .channels
                .iter()
                .chain(&report.third_parties)
                .any(|c| c.blocked_until_consent.as_deref() == Some(vendor.name.as_str())),
            _ => {
                let kind = vendor.kind.channel();
                // A chat button that names the number it opens is a channel to that number.
                let opens = vendor
                    .opens_url
                    .as_deref()
                    .and_then(|u| u.split("{id}").next());
                channels_of(report, id).any(|c| {
                    Some(c.kind) == kind
                        && opens.is_none_or(|prefix| {
                            c.url.as_deref().is_some_and(|u| {
                                u.strip_prefix(prefix)
                                    .is_some_and(|digits| digits.len() >= 6)
                            })
                        })
                })
            }
        }
    };
    if ok { Ok(()) } else { Err(seen()) }
}

/// The page with a type no browser runs put first on every script (the first of two equal
/// attributes wins), plus `extra` attributes.
fn retype_scripts(html: &str, attributes: &str) -> String {
    html.replace("<script", &format!("<script {attributes}"))
        .replace("<SCRIPT", &format!("<SCRIPT {attributes}"))
}

#[tokio::test]
async fn every_vendor_is_recognised_from_its_own_snippet_and_told_apart_when_switched_off() {
    let rules = Rules::embedded().expect("embedded rules load");
    let cookiebot = rules
        .vendors
        .list
        .iter()
        .find(|v| v.id == "cookiebot")
        .expect("rules/vendors/consent.toml has Cookiebot");
    let scratch = tempfile::tempdir().expect("temp dir");
    let mut failures = Vec::new();
    let mut script_based = 0;
    for vendor in &rules.vendors.list {
        let file = fixture_dir().join(format!("{}.html", vendor.id));
        let Ok(html) = std::fs::read_to_string(&file) else {
            failures.push(format!(
                "{}: no snippet fixture {}",
                vendor.id,
                file.display()
            ));
            continue;
        };
        let report = scan(&file, &rules).await;
        if let Err(seen) = check_snippet(vendor, &report) {
            failures.push(format!(
                "{} ({:?}): its snippet yields {seen}",
                vendor.id, vendor.kind
            ));
            continue;
        }
        // Switching the scripts off and holding them back apply to live channels found in a
        // script, the way a visitor's browser would treat them.
        let from_script = channels_of(&report, &vendor.id).any(|c| {
            c.evidence
                .iter()
                .all(|e| e.source == "vendor_script" || e.source == "vendor_inline")
        });
        if vendor.kind == VendorKind::Consent
            || vendor.possible
            || vendor.retired.is_some()
            || !from_script
        {
            continue;
        }
        script_based += 1;
        let commented = html
            .replace("<script", "<!-- <script")
            .replace("</script>", "</script> -->");
        for (how, page) in [
            (
                "with its scripts given a type no browser runs",
                retype_scripts(&html, r#"type="text/plain""#),
            ),
            ("with its scripts commented out", commented),
        ] {
            let off = scratch.path().join(format!("{}-off.html", vendor.id));
            std::fs::write(&off, page).expect("write");
            let report = scan(&off, &rules).await;
            // A link, an iframe or a noscript fallback works without the script.
            let still_code = channels_of(&report, &vendor.id).any(|c| {
                c.evidence.iter().any(|e| {
                    !matches!(
                        e.source.as_str(),
                        "vendor_link" | "vendor_iframe" | "vendor_noscript" | "link"
                    )
                })
            });
            let on_its_own = channels_of(&report, &vendor.id).next().is_some() && !still_code;
            if still_code || (!on_its_own && !has_note(&report, &vendor.id, WidgetState::Disabled))
            {
                failures.push(format!(
                    "{}: {how}, expected no channel and a switched-off note; got {}",
                    vendor.id,
                    check_snippet(vendor, &report).err().unwrap_or_default()
                ));
            }
        }
        let held = scratch.path().join(format!("{}-consent.html", vendor.id));
        std::fs::write(
            &held,
            retype_scripts(&html, r#"type="text/plain" data-cookieconsent="marketing""#),
        )
        .expect("write");
        let report = scan(&held, &rules).await;
        if !channels_of(&report, &vendor.id)
            .any(|c| c.blocked_until_consent.as_deref() == Some(cookiebot.name.as_str()))
        {
            failures.push(format!(
                "{}: held back by Cookiebot, expected the channel blocked until consent",
                vendor.id
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} vendors fail:\n{}",
        failures.len(),
        rules.vendors.list.len(),
        failures.join("\n")
    );
    assert!(
        script_based > 100,
        "only {script_based} vendors were checked switched off; the snippets lost their scripts?"
    );
}

/// Snippet fixtures for vendors that no longer exist would test nothing.
#[test]
fn every_snippet_fixture_belongs_to_a_vendor() {
    let rules = Rules::embedded().expect("embedded rules load");
    let orphans: Vec<String> = std::fs::read_dir(fixture_dir())
        .expect("fixtures/vendors exists")
        .flatten()
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            let id = name.strip_suffix(".html")?.to_owned();
            (!rules.vendors.list.iter().any(|v| v.id == id)).then_some(name)
        })
        .collect();
    assert!(orphans.is_empty(), "fixtures without a vendor: {orphans:?}");
}
