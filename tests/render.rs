//! Rendering in a real headless Chromium (Debian's, installed by `.ci/test-deps`): four sites
//! whose channels exist only after JavaScript runs (`fixtures/js-sites/`) — a single-page app
//! drawing its contact page from JSON behind client-side routes, a shop whose tag container
//! builds the chat vendor's URL from pieces and adds a WhatsApp button, a chat held back by a
//! consent manager, a chat loaded on the first scroll or after a delay.
//!
//! With `--render always` and `auto` every channel of `expected.json` is found, and those only
//! JavaScript draws are marked so; with `never` they are missing, which proves the test is real.
//! Over HTTP, every request the browser made reached the server through the crawler (its user
//! agent, nothing disallowed by robots.txt), and no third-party host was asked for.

mod support;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use reachaudit::crawl::render::{Renderer, find_browser};
use reachaudit::crawl::{CrawlOptions, Start};
use reachaudit::model::{Channel, RenderMode, Report};
use reachaudit::rules::Rules;
use reachaudit::{AuditOptions, audit};
use serde::Deserialize;
use support::{Fault, TestServer};

#[derive(Debug, Deserialize)]
struct Expected {
    country: Option<String>,
    rendered: Vec<Want>,
    #[serde(rename = "static")]
    statics: Vec<Want>,
    #[serde(default)]
    blocked_until_consent: Vec<Want>,
    #[serde(default)]
    not_found: Vec<Want>,
}

/// A channel by what identifies it.
#[derive(Debug, Deserialize)]
struct Want {
    kind: String,
    e164: Option<String>,
    address: Option<String>,
    postal: Option<String>,
    vendor: Option<String>,
    url: Option<String>,
    /// For `blocked_until_consent`: the consent manager's name.
    by: Option<String>,
}

impl Want {
    fn matches(&self, c: &Channel) -> bool {
        c.kind.as_str() == self.kind
            && self
                .e164
                .as_ref()
                .is_none_or(|e| c.phone.as_ref().is_some_and(|p| &p.e164 == e))
            && self
                .address
                .as_ref()
                .is_none_or(|a| c.email.as_ref().is_some_and(|m| &m.address == a))
            && self.postal.as_ref().is_none_or(|p| {
                let street = p.split(',').next().unwrap_or(p);
                c.value.contains(street)
            })
            && self
                .vendor
                .as_ref()
                .is_none_or(|v| c.vendor.as_ref() == Some(v))
            && self.url.as_ref().is_none_or(|u| c.url.as_ref() == Some(u))
    }

    fn shown(&self) -> String {
        [
            Some(&self.kind),
            self.e164.as_ref(),
            self.address.as_ref(),
            self.postal.as_ref(),
            self.vendor.as_ref(),
            self.url.as_ref(),
        ]
        .into_iter()
        .flatten()
        .cloned()
        .collect::<Vec<_>>()
        .join(" ")
    }
}

const SITES: [&str; 4] = [
    "spa-kontakt",
    "shop-tagmanager",
    "consent-chat",
    "lazy-chat",
];

fn site_dir(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/js-sites")
        .join(name)
}

fn expected(name: &str) -> Expected {
    let file = site_dir(name).join("expected.json");
    let text = std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", file.display()))
}

fn options(
    mode: RenderMode,
    renderer: Option<&Arc<Renderer>>,
    country: Option<&str>,
) -> AuditOptions {
    AuditOptions {
        crawl: CrawlOptions {
            allow_private: true,
            rate: Some(500.0),
            // No test asks DNS: third-party hosts the pages name fail at once.
            only_resolved: true,
            render: mode,
            renderer: if mode == RenderMode::Never {
                None
            } else {
                renderer.cloned()
            },
            ..CrawlOptions::default()
        },
        country: country.map(str::to_owned),
        ..AuditOptions::default()
    }
}

/// What is wrong with a report against the site's expectations, one line each.
fn check(name: &str, mode: RenderMode, report: &Report, want: &Expected) -> Vec<String> {
    let mut wrong = Vec::new();
    let find = |w: &Want| report.channels.iter().find(|c| w.matches(c));
    let is_static = |w: &Want| {
        want.statics.iter().any(|s| {
            s.shown() == w.shown() || (s.kind == w.kind && s.e164 == w.e164 && s.e164.is_some())
        })
    };
    for w in &want.rendered {
        let needed = mode != RenderMode::Never || is_static(w);
        match (find(w), needed) {
            (None, true) => wrong.push(format!("{name} --render {mode}: missing {}", w.shown())),
            (Some(c), false) => wrong.push(format!(
                "{name} --render never: found {} ({}), which only JavaScript draws; the test proves nothing",
                w.shown(),
                c.value
            )),
            (Some(c), true) if mode != RenderMode::Never && c.rendered_only == is_static(w) => {
                wrong.push(format!(
                    "{name} --render {mode}: {} has rendered_only {} but it is {}in the server's HTML",
                    w.shown(),
                    c.rendered_only,
                    if is_static(w) { "" } else { "not " }
                ));
            }
            _ => {}
        }
    }
    for w in &want.statics {
        if find(w).is_none() {
            wrong.push(format!(
                "{name} --render {mode}: missing static {}",
                w.shown()
            ));
        }
    }
    for w in &want.blocked_until_consent {
        match find(w) {
            None => wrong.push(format!("{name} --render {mode}: missing {}", w.shown())),
            Some(c) if c.blocked_until_consent.as_deref() != w.by.as_deref() => {
                wrong.push(format!(
                    "{name} --render {mode}: {} blocked by {:?}, expected {:?}",
                    w.shown(),
                    c.blocked_until_consent,
                    w.by
                ))
            }
            _ => {}
        }
    }
    for w in &want.not_found {
        if let Some(c) = find(w) {
            wrong.push(format!(
                "{name} --render {mode}: {} must not be a channel ({})",
                w.shown(),
                c.value
            ));
        }
    }
    let rendered = report.crawl.pages.iter().filter(|p| p.rendered).count();
    match mode {
        RenderMode::Never if rendered > 0 => {
            wrong.push(format!("{name} --render never: {rendered} pages rendered"));
        }
        RenderMode::Always
            if rendered
                != report
                    .crawl
                    .pages
                    .iter()
                    .filter(|p| p.status == 200)
                    .count() =>
        {
            wrong.push(format!(
                "{name} --render always: only {rendered} pages rendered"
            ));
        }
        RenderMode::Auto | RenderMode::Always if report.crawl.render.browser.is_none() => {
            wrong.push(format!(
                "{name} --render {mode}: no browser named in the report"
            ));
        }
        _ => {}
    }
    wrong
}

fn browser(runtime: &tokio::runtime::Runtime) -> Arc<Renderer> {
    let path = find_browser(None).expect("Chromium is installed by .ci/test-deps");
    Arc::new(
        runtime
            .block_on(Renderer::launch(&path))
            .expect("the browser starts"),
    )
}

/// Every JS-only site, as a directory (the browser fetches only the site's own files), in all
/// three modes, with one browser for all of them.
#[test]
fn channels_drawn_by_javascript_are_found_only_when_rendered() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let rules = Rules::embedded().unwrap();
    let renderer = browser(&runtime);
    let mut wrong = Vec::new();
    for name in SITES {
        let want = expected(name);
        let dir = site_dir(name);
        let input = dir.display().to_string();
        let start = Start::from_input(&input).unwrap();
        for mode in [RenderMode::Always, RenderMode::Auto, RenderMode::Never] {
            let options = options(mode, Some(&renderer), want.country.as_deref());
            let report = runtime
                .block_on(audit(&input, &start, &options, &rules))
                .unwrap();
            wrong.extend(check(name, mode, &report, &want));
        }
    }
    drop(Arc::try_unwrap(renderer).map(|r| runtime.block_on(r.close())));
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// Over HTTP the browser's requests go through the crawler: every one the server saw carries
/// the crawler's user agent, none is for a path robots.txt disallows, and the data the app
/// fetches counts as pages' requests.
#[test]
fn the_browser_fetches_through_the_crawler_and_obeys_robots_txt() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let rules = Rules::embedded().unwrap();
    let renderer = browser(&runtime);
    let scratch = tempfile::tempdir().unwrap();
    let root = scratch.path().join("spa");
    support::copy_dir(&site_dir("spa-kontakt"), &root);
    // The imprint's data is off limits: the app must draw no imprint from it.
    std::fs::write(
        root.join("robots.txt"),
        "User-agent: *\nDisallow: /api/impressum.json\n",
    )
    .unwrap();
    let server = TestServer::serve(&root);
    server.fault(
        "/api/kontakt.json",
        Fault::Delay(std::time::Duration::from_millis(300)),
    );
    let input = server.url("/");
    let start = Start::from_input(&input).unwrap();
    let options = options(RenderMode::Always, Some(&renderer), Some("DE"));
    let report = runtime
        .block_on(audit(&input, &start, &options, &rules))
        .unwrap();
    drop(Arc::try_unwrap(renderer).map(|r| runtime.block_on(r.close())));
    let log = server.log();
    assert!(
        log.iter().any(|l| l.path == "/api/kontakt.json"),
        "the app's data was fetched: {:?}",
        log.iter().map(|l| &l.path).collect::<Vec<_>>()
    );
    assert!(
        log.iter().all(|l| l.user_agent.starts_with("reachaudit/")),
        "a request did not come from the crawler: {:?}",
        log.iter()
            .filter(|l| !l.user_agent.starts_with("reachaudit/"))
            .map(|l| (&l.path, &l.user_agent))
            .collect::<Vec<_>>()
    );
    assert!(
        !log.iter()
            .any(|l| l.path.starts_with("/api/impressum.json")),
        "robots.txt disallows the imprint data"
    );
    let phone = report
        .channels
        .iter()
        .find(|c| c.phone.as_ref().is_some_and(|p| p.e164 == "+493040998120"))
        .expect("the contact page drawn from JSON over HTTP");
    assert!(phone.rendered_only);
    assert!(
        report.crawl.requests as usize >= log.len(),
        "the browser's requests count as the crawl's"
    );
}

/// The command line: `always` without a browser is a usage error naming the fix; `auto`
/// without one says in the report what may be missing; `never` on an app shell says how to see
/// more.
#[test]
fn without_a_browser_the_command_line_says_what_to_do() {
    let site = site_dir("spa-kontakt");
    let site = site.to_str().unwrap();
    let (code, _, err) = support::reachaudit(&[
        "scan",
        site,
        "--render",
        "always",
        "--browser",
        "/nonexistent/chromium",
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("--render always") && err.contains("apt install chromium"),
        "{err}"
    );

    let (code, out, err) = support::reachaudit_env(
        &["scan", site, "--render", "auto", "--format", "json"],
        &[("PATH", "/nonexistent")],
    );
    assert_eq!(
        code, 3,
        "an app shell without a browser shows nothing: {err}"
    );
    let report: serde_json::Value = serde_json::from_str(&out).unwrap();
    let note = report["crawl"]["render"]["note"]
        .as_str()
        .unwrap_or_default();
    assert!(note.contains("no browser found"), "{note}");

    let (code, _, err) = support::reachaudit(&["scan", site, "--render", "never"]);
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("--render always"), "{err}");
}

/// `[crawl] render` in reachaudit.toml is read like the flag, and a wrong value is refused where
/// it is written.
#[test]
fn the_configuration_file_sets_rendering() {
    let dir = tempfile::tempdir().unwrap();
    let site = site_dir("spa-kontakt");
    std::fs::write(
        dir.path().join("reachaudit.toml"),
        format!(
            "targets = [{:?}]\n\n[crawl]\nrender = \"sometimes\"\n",
            site.display().to_string()
        ),
    )
    .unwrap();
    let run = |dir: &Path| {
        let out = assert_cmd::Command::cargo_bin("reachaudit")
            .unwrap()
            .env_remove("REACHAUDIT_RENDER")
            .current_dir(dir)
            .args(["scan", "--format", "json"])
            .output()
            .unwrap();
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8(out.stdout).unwrap(),
            String::from_utf8(out.stderr).unwrap(),
        )
    };
    let (code, _, err) = run(dir.path());
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("reachaudit.toml:4:") && err.contains("render"),
        "{err}"
    );

    std::fs::write(
        dir.path().join("reachaudit.toml"),
        format!(
            "targets = [{:?}]\n\n[crawl]\nrender = \"never\"\n",
            site.display().to_string()
        ),
    )
    .unwrap();
    let (code, out, err) = run(dir.path());
    assert_eq!(
        code, 3,
        "never renders, so the app shell shows nothing: {err}"
    );
    let report: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(report["crawl"]["render"]["mode"], "never");
}
