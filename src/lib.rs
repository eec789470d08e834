//! reachaudit: how easily can a customer reach a human at a company?
//!
//! The pipeline runs one way — crawl → extract → synthesize → (check → score) → report — with the
//! [`model`] types passed between stages. [`audit`] runs it for one target; the `cli` module is
//! only the command-line front door and nothing in the library depends on it.

#![warn(missing_docs, unreachable_pub)]

pub mod batch;
pub mod check;
pub mod cli;
pub mod crawl;
pub mod extract;
#[doc(hidden)]
pub mod fuzzing;
pub mod gate;
pub mod model;
pub mod probe;
pub mod report;
pub mod rules;
pub mod score;
pub mod store;
pub mod synthesize;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crawl::{CrawlOptions, CrawlSetupError, Start};
use model::{Crawl, Report, Score, SourceKind, Target, Tool};
use rules::Rules;

/// Everything one audit needs besides the target. Built once, read-only afterwards.
#[derive(Debug, Clone, Default)]
pub struct AuditOptions {
    /// Crawl limits and manners.
    pub crawl: CrawlOptions,
    /// Default region for national phone numbers (ISO 3166 alpha-2), beating every guess.
    pub country: Option<String>,
    /// Jurisdictions whose rules are checked; `None` infers them from the country or domain.
    pub jurisdictions: Option<Vec<String>>,
    /// The audit date (days since 1970-01-01) for rules that apply from a date; `None` = today.
    pub today: Option<i64>,
}

/// A target the user wrote that cannot be audited.
#[derive(Debug, thiserror::Error)]
#[error("{input}: {reason}")]
pub struct TargetError {
    /// The target as written.
    pub input: String,
    /// What is wrong and how to fix it.
    pub reason: String,
}

impl Start {
    /// Reads a target as written on the command line: an `http(s)://` URL, a directory laid out
    /// like a static site, or one `.html` file.
    ///
    /// # Errors
    /// A malformed URL, an unsupported scheme, a missing path or a file that is not HTML.
    pub fn from_input(input: &str) -> Result<Self, TargetError> {
        let fail = |reason: String| TargetError {
            input: input.to_owned(),
            reason,
        };
        let lower = input.trim().to_ascii_lowercase();
        if lower.starts_with("http://") || lower.starts_with("https://") {
            let url = url::Url::parse(input.trim()).map_err(|e| {
                fail(format!(
                    "not a valid URL ({e}); write it like https://www.example.de/"
                ))
            })?;
            if url.host_str().is_none_or(str::is_empty) {
                return Err(fail(
                    "the URL has no host; write it like https://www.example.de/".into(),
                ));
            }
            if !url.username().is_empty() || url.password().is_some() {
                return Err(fail(
                    "URLs with user names or passwords are not audited; remove the credentials"
                        .into(),
                ));
            }
            return Ok(Self::Url(url));
        }
        if let Some((scheme, _)) = input.split_once("://") {
            return Err(fail(format!(
                "unsupported scheme '{scheme}'; give an http(s):// URL, a directory or an .html file"
            )));
        }
        let path = PathBuf::from(input);
        match std::fs::metadata(&path) {
            Ok(meta) if meta.is_dir() => {
                if !path.join("index.html").is_file() {
                    return Err(fail(
                        "directory has no index.html to start from; point at the site's root directory".into(),
                    ));
                }
                std::fs::read_dir(&path).map_err(|e| {
                    fail(format!(
                        "cannot read directory ({e}); check its permissions"
                    ))
                })?;
                Ok(Self::Directory(path))
            }
            Ok(_) => {
                let is_html = path.extension().and_then(|e| e.to_str()).is_some_and(|e| {
                    e.eq_ignore_ascii_case("html") || e.eq_ignore_ascii_case("htm")
                });
                if !is_html {
                    return Err(fail(
                        "not an .html file; give an http(s):// URL, a directory or an .html file"
                            .into(),
                    ));
                }
                std::fs::File::open(&path)
                    .map_err(|e| fail(format!("cannot read file ({e}); check its permissions")))?;
                Ok(Self::File(path))
            }
            Err(_) if looks_like_domain(input) => Err(fail(format!(
                "no such file or directory; to audit a website write https://{input}"
            ))),
            Err(e) => Err(fail(format!(
                "{}; give an http(s):// URL, a directory or an .html file",
                lowercase_first(&e.to_string())
            ))),
        }
    }
}

/// The names the site gives itself: every declared name, the titles of the home page and the
/// first legal name of the imprint and home pages (other pages' titles name their topics).
fn own_names(pages: &[model::Page], names: Vec<(String, extract::PageNames)>) -> Vec<String> {
    let kinds: HashMap<&str, &[model::PageKind]> = pages
        .iter()
        .map(|p| (p.url.as_str(), p.kinds.as_slice()))
        .collect();
    let mut out = Vec::new();
    for (url, page) in names {
        let kinds = kinds.get(url.as_str()).copied().unwrap_or_default();
        let home = kinds.contains(&model::PageKind::Home);
        out.extend(page.declared);
        if home {
            out.extend(page.title);
        }
        if home || kinds.contains(&model::PageKind::Imprint) {
            out.extend(page.legal);
        }
    }
    out
}

pub(crate) fn looks_like_domain(input: &str) -> bool {
    !input.contains(['/', '\\'])
        && input.contains('.')
        && !Path::new(input)
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("html"))
}

fn lowercase_first(s: &str) -> String {
    let mut chars = s.chars();
    chars
        .next()
        .map_or_else(String::new, |c| c.to_lowercase().chain(chars).collect())
}

/// Audits one target: crawls it, extracts and merges its channels, and returns the report.
/// A site that misbehaves is described in the report (`evaluated`, `crawl.errors`), not an error.
///
/// # Errors
/// Only when the crawl cannot start (HTTP client setup, unreadable directory).
pub async fn audit(
    input: &str,
    start: &Start,
    options: &AuditOptions,
    rules: &Rules,
) -> Result<Report, CrawlSetupError> {
    let mut observations = Vec::new();
    let mut signals = Vec::new();
    let mut widget_notes: Vec<model::WidgetNote> = Vec::new();
    let mut names: Vec<(String, extract::PageNames)> = Vec::new();
    let mut site_region: Option<String> = match start {
        Start::Url(url) => crawl::site_of(url).and_then(|s| extract::region_of_site(&s)),
        _ => options
            .crawl
            .base_url
            .as_ref()
            .and_then(crawl::site_of)
            .and_then(|s| extract::region_of_site(&s)),
    };
    let mut site_lang: Option<String> = None;
    let hints = crawl::RenderHints {
        globals: rules
            .vendors
            .list
            .iter()
            .flat_map(|v| v.globals.iter().cloned())
            .collect(),
        loaders: rules.scripts.loaders.clone(),
        shells: rules.scripts.app_shells.clone(),
    };
    let output = {
        let mut observe = |view: &crawl::PageView<'_>| {
            if site_lang.is_none() {
                site_lang = view.lang.map(str::to_owned);
            }
            let context = extract::Context {
                rules,
                country: options.country.as_deref(),
                site_region: site_region.as_deref(),
                site_lang: site_lang.as_deref(),
                deadline: options
                    .crawl
                    .page_budget
                    .map(|b| std::time::Instant::now() + b),
            };
            let mut found = extract::page(view, &context);
            // A page cut short has no complete server reading to compare with.
            if let Some(rendered) = view.rendered.as_ref().filter(|_| !found.cut) {
                // What the server's HTML shows too is not "only after rendering".
                let server = crawl::PageView {
                    url: view.url,
                    document: rendered.server_document,
                    lang: view.lang,
                    html: rendered.server_html,
                    rendered: None,
                };
                let seen: std::collections::HashSet<(model::ChannelKind, String)> =
                    extract::page(&server, &context)
                        .observations
                        .iter()
                        .map(|o| (o.channel.kind, o.channel.identity()))
                        .collect();
                for o in &mut found.observations {
                    o.channel.rendered_only =
                        !seen.contains(&(o.channel.kind, o.channel.identity()));
                }
            }
            observations.extend(found.observations);
            signals.extend(found.signals);
            synthesize::merge_notes(&mut widget_notes, found.widget_notes);
            names.push((view.url.to_string(), found.names));
            found.cut
        };
        crawl::crawl(start, &options.crawl, &rules.pages, &hints, &mut observe).await?
    };
    // The start page may have moved the site to another domain; that domain's country counts.
    if let Some(region) = extract::region_of_site(&output.site) {
        site_region.get_or_insert(region);
    }
    let clicks: HashMap<String, Option<u32>> = output
        .pages
        .iter()
        .map(|p| (p.url.clone(), p.clicks))
        .collect();
    let identity = synthesize::Identity::new(&output.site, &own_names(&output.pages, names));
    let synthesize::Channels {
        company: mut channels,
        mut third_parties,
    } = synthesize::channels(observations, &clicks, &identity);
    let requests: HashMap<&str, u32> = output
        .pages
        .iter()
        .map(|p| (p.url.as_str(), p.request))
        .collect();
    for channel in channels.iter_mut().chain(third_parties.iter_mut()) {
        channel.found_at_request = channel
            .seen_on
            .iter()
            .filter_map(|url| requests.get(url.as_str()).copied())
            .filter(|r| *r > 0)
            .min();
    }
    let signals = synthesize::signals(signals, &clicks);
    synthesize::settle_notes(&mut widget_notes, &channels);
    let source = match start {
        Start::Url(_) => SourceKind::Http,
        Start::Directory(_) => SourceKind::Directory,
        Start::File(_) => SourceKind::File,
    };
    let duration_ms = u64::try_from(output.duration.as_millis()).unwrap_or(u64::MAX);
    // Pages but not a single channel: a crawler cannot tell a company without contacts from a
    // site that draws everything with JavaScript, so the run says it saw nothing rather than
    // scoring and checking an empty list (exit 3, never a pass).
    let failure = output.failure.or_else(|| {
        channels.is_empty().then(|| {
            let hint = if output.render.pages > 0 {
                format!(", {} of them rendered in a browser", output.render.pages)
            } else {
                "; if the site draws its content with JavaScript, scan with --render always (needs Chromium) or audit its pre-rendered build output".to_owned()
            };
            format!(
                "no contact channel found on the {} page(s) fetched{hint}",
                output.pages.len()
            )
        })
    });
    let mut report = Report {
        schema_version: model::SCHEMA_VERSION.to_owned(),
        tool: Tool::current(),
        target: Target {
            input: input.to_owned(),
            start_url: output.start_url.to_string(),
            site: output.site,
            source,
        },
        evaluated: failure.is_none(),
        reason: failure,
        crawl: Crawl {
            pages: output.pages,
            requests: output.requests,
            robots: output.robots,
            errors: output.errors,
            skipped: output.skipped,
            limits: output.limits,
            duration_ms,
            render: output.render,
            traps: output.traps,
            stopped_early: output.stopped_early,
        },
        channels,
        third_parties,
        signals,
        widget_notes,
        findings: Vec::new(),
        jurisdictions: Vec::new(),
        legal_note: None,
        score: Score::not_computed(),
        probes: Vec::new(),
        company: None,
        gate: None,
    };
    // The same guess as for national phone numbers: --country, the domain, the language.
    let context = extract::Context {
        rules,
        country: options.country.as_deref(),
        site_region: site_region.as_deref(),
        site_lang: site_lang.as_deref(),
        deadline: None,
    };
    let region = extract::region_for(&context, site_lang.as_deref());
    let jurisdictions = options
        .jurisdictions
        .clone()
        .unwrap_or_else(|| check::infer_jurisdictions(region.as_deref()));
    if jurisdictions.is_empty() && report.evaluated {
        let packs = "eu, de, at, ch, uk, es, fr";
        report.legal_note = Some(match &region {
            Some(r) => format!(
                "no rule pack for {r}; choose one with --jurisdiction ({packs}) to check the site against that law"
            ),
            None => format!(
                "the site's country is unknown; give --country or choose rule packs with --jurisdiction ({packs})"
            ),
        });
    }
    report.jurisdictions.clone_from(&jurisdictions);
    report.findings = check::check(
        &report,
        &rules.compliance,
        &jurisdictions,
        options.today.unwrap_or_else(check::today),
    );
    report.score = score::score(&report, &rules.scoring);
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_are_read_or_refused_with_a_fix() {
        assert!(matches!(
            Start::from_input("https://www.example.de/"),
            Ok(Start::Url(_))
        ));
        let err = |s: &str| Start::from_input(s).unwrap_err().to_string();
        assert!(err("https://").contains("not a valid URL"));
        assert!(err("ftp://example.de").contains("unsupported scheme 'ftp'"));
        assert!(err("example.de").contains("write https://example.de"));
        assert!(err("/no/such/dir").contains("no such file"));
        assert!(err("https://user:pw@example.de/").contains("credentials"));
        let dir = tempfile::tempdir().unwrap();
        assert!(err(dir.path().to_str().unwrap()).contains("no index.html"));
        std::fs::write(dir.path().join("index.html"), "<p>x</p>").unwrap();
        std::fs::write(dir.path().join("notes.txt"), "x").unwrap();
        assert!(matches!(
            Start::from_input(dir.path().to_str().unwrap()),
            Ok(Start::Directory(_))
        ));
        assert!(err(dir.path().join("notes.txt").to_str().unwrap()).contains("not an .html file"));
        let page = dir.path().join("index.html");
        assert!(matches!(
            Start::from_input(page.to_str().unwrap()),
            Ok(Start::File(_))
        ));
    }
}
