//! `reachaudit.toml`: what a CI job would otherwise spell out in flags — targets, crawl limits,
//! jurisdictions, outputs, the baseline and the assertions that gate the build. Flags given on
//! the command line win over the file. Unknown keys are errors with line and column, because a
//! misspelt assertion that is silently ignored is a silent pass.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Result, bail};
use serde::Deserialize;

use super::args::ScanArgs;
use crate::gate::Assertions;
use crate::model::Level;
use crate::report::Format;
use crate::rules::Rules;

/// The file looked for in the working directory when `--config` is not given.
pub const DEFAULT_FILE: &str = "reachaudit.toml";

/// The commented example `reachaudit init` writes; a test proves it loads and validates.
pub const EXAMPLE: &str = include_str!("reachaudit.example.toml");

/// The whole file.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Sites to audit when none are given on the command line.
    #[serde(default)]
    pub(crate) targets: Vec<String>,
    country: Option<String>,
    jurisdictions: Option<Vec<String>>,
    base_url: Option<String>,
    rules: Option<PathBuf>,
    format: Option<String>,
    baseline: Option<PathBuf>,
    tolerance: Option<u32>,
    #[serde(default)]
    crawl: CrawlConfig,
    /// Format → path, like repeated `--output FORMAT=PATH`.
    #[serde(default)]
    output: BTreeMap<Format, PathBuf>,
    /// The assertions.
    #[serde(default, rename = "assert")]
    pub assertions: Assertions,
    /// Test contacts: who signs, which servers, which limits. Passwords never live here, only
    /// the path of a file holding one (or the environment).
    #[serde(default)]
    pub probe: ProbeConfig,
    /// Batch runs: which database, and how a worker shares a run.
    #[serde(default)]
    pub batch: BatchConfig,
}

/// `[batch]`.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BatchConfig {
    /// The database: an SQLite file (relative to this file) or a `postgres://` URL without a
    /// password.
    pub db: Option<String>,
    /// File holding the PostgreSQL password, readable by its owner only (PGPASSWORD wins).
    pub db_password_file: Option<PathBuf>,
    /// Sites audited at once by one worker.
    pub concurrency: Option<usize>,
    /// Seconds a claimed host stays a worker's without renewal.
    pub lease: Option<u64>,
}

/// `[probe]`.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProbeConfig {
    /// Who signs probes: `Name <address>`.
    pub from: Option<String>,
    /// Reply address pattern with `{token}`.
    pub reply_to: Option<String>,
    /// The probe database.
    pub db: Option<PathBuf>,
    /// Outgoing mail server URL.
    pub smtp: Option<String>,
    /// SMTP login name (REACHAUDIT_SMTP_USER wins).
    pub smtp_user: Option<String>,
    /// File holding the SMTP password, readable by its owner only.
    pub smtp_password_file: Option<PathBuf>,
    /// Extra CA certificate for the mail server.
    pub smtp_ca: Option<PathBuf>,
    /// The auditor's IMAP mailbox URL.
    pub imap: Option<String>,
    /// IMAP login name (REACHAUDIT_IMAP_USER wins).
    pub imap_user: Option<String>,
    /// File holding the IMAP password, readable by its owner only.
    pub imap_password_file: Option<PathBuf>,
    /// Extra CA certificate for the IMAP server.
    pub imap_ca: Option<PathBuf>,
    /// A Maildir to read instead of IMAP.
    pub maildir: Option<PathBuf>,
    /// Opt-out lists of domains.
    #[serde(default)]
    pub opt_out: Vec<PathBuf>,
    /// Probes per company within the window.
    pub max_per_company: Option<u32>,
    /// Probes per day over all companies.
    pub max_per_day: Option<u32>,
    /// Days before a channel may be probed again.
    pub window: Option<u32>,
    /// Allow loopback and private addresses for forms.
    pub allow_private: Option<bool>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct CrawlConfig {
    max_pages: Option<u32>,
    max_depth: Option<u32>,
    rate: Option<f64>,
    host_concurrency: Option<usize>,
    timeout: Option<f64>,
    max_size: Option<String>,
    max_redirects: Option<u32>,
    user_agent: Option<String>,
    ignore_robots: Option<bool>,
    allow_private: Option<bool>,
    #[serde(default)]
    resolve: Vec<String>,
    render: Option<String>,
    browser: Option<PathBuf>,
    stop_when_found: Option<bool>,
    max_crawl_delay: Option<f64>,
    page_budget: Option<f64>,
}

/// A loaded configuration and where it came from.
#[derive(Debug)]
pub struct Loaded {
    /// The file, for messages.
    pub path: PathBuf,
    /// Its contents.
    pub config: Config,
}

/// Finds and reads the configuration: `--config FILE`, else `./reachaudit.toml` if it exists,
/// else none. `--no-config` skips the search.
///
/// # Errors
/// A missing `--config` file, or a file that does not parse, as `FILE:LINE:COLUMN: reason`.
pub fn load(explicit: Option<&Path>, skip: bool) -> Result<Option<Loaded>> {
    let path = match explicit {
        Some(p) => p.to_path_buf(),
        None if skip => return Ok(None),
        None => {
            let p = PathBuf::from(DEFAULT_FILE);
            if !p.is_file() {
                return Ok(None);
            }
            p
        }
    };
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) => bail!(
            "--config {}: cannot read it ({e}); write one with `reachaudit init`",
            path.display()
        ),
    };
    let config = parse(&text)
        .map_err(|(line, col, msg)| anyhow::anyhow!("{}:{line}:{col}: {msg}", path.display()))?;
    Ok(Some(Loaded { path, config }))
}

/// Parses a configuration; errors are (line, column, one-line reason).
pub(crate) fn parse(text: &str) -> Result<Config, (usize, usize, String)> {
    let position = |offset: usize| crate::rules::line_column(text, offset);
    let config = toml::from_str::<Config>(text).map_err(|e| {
        let (line, col) = position(e.span().map_or(0, |s| s.start));
        (line, col, e.message().trim().replace('\n', " "))
    })?;
    // Values the types accept but a crawl cannot run with, reported where they are written.
    let k = &config.crawl;
    let problems = [
        (
            "rate",
            k.rate.is_some_and(|r| !r.is_finite() || r <= 0.0),
            "must be a number greater than 0",
        ),
        (
            "timeout",
            k.timeout.is_some_and(|t| !t.is_finite() || t <= 0.0),
            "must be a number of seconds greater than 0",
        ),
        ("max_pages", k.max_pages == Some(0), "must be at least 1"),
        (
            "render",
            k.render
                .as_deref()
                .is_some_and(|r| !matches!(r, "auto" | "always" | "never")),
            "must be \"auto\", \"always\" or \"never\"",
        ),
        (
            "host_concurrency",
            k.host_concurrency.is_some_and(|n| !(1..=16).contains(&n)),
            "must be between 1 and 16",
        ),
    ];
    for (key, bad, why) in problems {
        if bad {
            let offset = text
                .match_indices(key)
                .find(|(i, _)| {
                    text[..*i]
                        .rsplit('\n')
                        .next()
                        .is_some_and(|l| l.trim().is_empty())
                })
                .map_or(0, |(i, _)| i);
            let (line, col) = position(offset);
            return Err((line, col, format!("[crawl] {key}: {why}")));
        }
    }
    Ok(config)
}

impl Loaded {
    /// The `[probe]` table with its paths resolved against the file's directory.
    #[must_use]
    pub fn probe(&self) -> ProbeConfig {
        let dir = self
            .path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
        let local = |p: Option<PathBuf>| p.map(|p| if p.is_absolute() { p } else { dir.join(p) });
        let mut c = self.config.probe.clone();
        c.db = local(c.db);
        c.smtp_password_file = local(c.smtp_password_file);
        c.smtp_ca = local(c.smtp_ca);
        c.imap_password_file = local(c.imap_password_file);
        c.imap_ca = local(c.imap_ca);
        c.maildir = local(c.maildir);
        c.opt_out = c
            .opt_out
            .into_iter()
            .filter_map(|p| local(Some(p)))
            .collect();
        c
    }

    /// The `[batch]` table with its paths resolved against the file's directory (a `postgres://`
    /// URL stays as it is).
    #[must_use]
    pub fn batch(&self) -> BatchConfig {
        let dir = self
            .path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
        let mut c = self.config.batch.clone();
        c.db = c.db.map(|db| {
            let lower = db.to_ascii_lowercase();
            if lower.starts_with("postgres://")
                || lower.starts_with("postgresql://")
                || Path::new(&db).is_absolute()
            {
                db
            } else {
                dir.join(db).display().to_string()
            }
        });
        c.db_password_file = c
            .db_password_file
            .map(|p| if p.is_absolute() { p } else { dir.join(p) });
        c
    }

    /// Fills every option the command line left open, resolving relative paths against the
    /// file's directory (so a job can run from anywhere in the repository).
    pub fn fill(self, args: &mut ScanArgs) {
        let dir = self
            .path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
        let local = |p: &Path| {
            if p.is_absolute() {
                p.to_path_buf()
            } else {
                dir.join(p)
            }
        };
        let c = self.config;
        if args.targets.is_empty() {
            args.targets = c
                .targets
                .iter()
                .map(|t| {
                    if t.contains("://") {
                        t.clone()
                    } else {
                        local(Path::new(t)).to_string_lossy().into_owned()
                    }
                })
                .collect();
        }
        args.crawl.country = args.crawl.country.take().or(c.country);
        if args.crawl.jurisdiction.is_empty() {
            args.crawl.jurisdiction = match c.jurisdictions {
                // An explicit empty list means "no legal checks", like `--jurisdiction none`.
                Some(list) if list.is_empty() => vec!["none".to_owned()],
                Some(list) => list,
                None => Vec::new(),
            };
        }
        args.crawl.base_url = args.crawl.base_url.take().or(c.base_url);
        args.crawl.rules = args
            .crawl
            .rules
            .take()
            .or_else(|| c.rules.as_deref().map(local));
        args.format = args.format.take().or(c.format);
        args.baseline = args
            .baseline
            .take()
            .or_else(|| c.baseline.as_deref().map(local));
        args.tolerance = args.tolerance.or(c.tolerance);
        let k = c.crawl;
        args.crawl.max_pages = args.crawl.max_pages.or(k.max_pages);
        args.crawl.max_depth = args.crawl.max_depth.or(k.max_depth);
        args.crawl.rate = args.crawl.rate.or(k.rate);
        args.crawl.host_concurrency = args.crawl.host_concurrency.or(k.host_concurrency);
        args.crawl.timeout = args.crawl.timeout.or(k.timeout);
        args.crawl.max_size = args.crawl.max_size.take().or(k.max_size);
        args.crawl.max_redirects = args.crawl.max_redirects.or(k.max_redirects);
        args.crawl.user_agent = args.crawl.user_agent.take().or(k.user_agent);
        if !args.crawl.no_ignore_robots {
            args.crawl.ignore_robots |= k.ignore_robots.unwrap_or(false);
        }
        if !args.crawl.no_allow_private {
            args.crawl.allow_private |= k.allow_private.unwrap_or(false);
        }
        if args.crawl.resolve.is_empty() {
            args.crawl.resolve = k.resolve;
        }
        args.crawl.stop_when_found |= k.stop_when_found.unwrap_or(false);
        args.crawl.max_crawl_delay = args.crawl.max_crawl_delay.or(k.max_crawl_delay);
        args.crawl.page_budget = args.crawl.page_budget.or(k.page_budget);
        args.crawl.render = args.crawl.render.take().or(k.render);
        args.crawl.browser = args
            .crawl
            .browser
            .take()
            .or_else(|| k.browser.as_deref().map(local));
        // Outputs named on the command line replace the file's for the same format.
        for (format, path) in c.output {
            let taken = args.output.iter().any(|o| {
                o.split_once('=')
                    .is_some_and(|(f, _)| f.parse::<Format>() == Ok(format))
            });
            if !taken {
                args.output
                    .push(format!("{format}={}", local(&path).to_string_lossy()));
            }
        }
    }
}

/// Checks the assertions against the loaded rules, so a misspelt rule id or category is an error
/// instead of an assertion that can never fail.
///
/// # Errors
/// The first assertion that names nothing.
pub fn validate(assertions: &Assertions, rules: &Rules, origin: &str) -> Result<()> {
    if let Some(min) = assertions.min_score.filter(|m| *m > 100) {
        bail!("{origin}: min_score {min}: must be between 0 and 100");
    }
    for (id, min) in &assertions.categories {
        if !rules.scoring.categories.iter().any(|c| &c.id == id) {
            let known: Vec<_> = rules
                .scoring
                .categories
                .iter()
                .map(|c| c.id.as_str())
                .collect();
            bail!(
                "{origin}: [assert.categories] {id}: no such score category; use one of {}",
                known.join(", ")
            );
        }
        if *min > 100 {
            bail!("{origin}: [assert.categories] {id} = {min}: must be between 0 and 100");
        }
    }
    for pattern in assertions.rules.keys() {
        let matches = |id: &str| match pattern.strip_suffix('*') {
            Some(prefix) => id.starts_with(prefix),
            None => id == pattern,
        };
        if !rules.compliance.iter().any(|r| matches(&r.id)) {
            bail!(
                "{origin}: [assert.rules] \"{pattern}\": matches no rule; `reachaudit rules list` shows the ids (a trailing * matches a prefix)"
            );
        }
    }
    for r in &assertions.require {
        if r.modes.as_ref().is_some_and(Vec::is_empty) {
            bail!(
                "{origin}: [[assert.require]] kind = \"{}\": modes is empty; leave it out to accept any mode",
                r.kind.as_str()
            );
        }
    }
    if assertions
        .allowed_phone_types
        .as_ref()
        .is_some_and(Vec::is_empty)
        && assertions.phone_types_level != Level::Off
    {
        bail!(
            "{origin}: allowed_phone_types is empty, so every phone number would fail; list the allowed types"
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_keys_name_line_and_column() {
        let (line, col, msg) = parse("targets = [\"a\"]\n\n[assert]\nmin_scor = 3\n").unwrap_err();
        assert_eq!((line, col), (4, 1), "{msg}");
        assert!(msg.contains("unknown field `min_scor`"), "{msg}");
        let (line, _, msg) = parse("[assert.rules]\n\"de.*\" = \"fatal\"\n").unwrap_err();
        assert_eq!(line, 2);
        assert!(msg.contains("fatal"), "{msg}");
    }

    #[test]
    fn the_example_loads_and_validates() {
        let config = parse(EXAMPLE).unwrap_or_else(|e| panic!("{e:?}"));
        let rules = Rules::load(None).unwrap();
        validate(&config.assertions, &rules, "example").unwrap();
        assert!(config.assertions.min_score.is_some());
        assert!(!config.assertions.require.is_empty());
    }

    #[test]
    fn assertions_that_name_nothing_are_refused() {
        let rules = Rules::load(None).unwrap();
        let bad = |toml: &str| {
            let c = parse(toml).unwrap();
            validate(&c.assertions, &rules, "t")
                .unwrap_err()
                .to_string()
        };
        assert!(bad("[assert.rules]\n\"de.ddg.5.emial\" = \"error\"").contains("matches no rule"));
        assert!(bad("[assert.categories]\nspeed = 50").contains("no such score category"));
        assert!(bad("[assert]\nmin_score = 101").contains("between 0 and 100"));
        assert!(bad("[assert]\nallowed_phone_types = []").contains("empty"));
    }

    #[test]
    fn outputs_and_crawl_values_are_checked_where_they_are_written() {
        let (line, col, msg) =
            parse("[output]\nsarif = \"a.sarif\"\nsarf = \"b.sarif\"\n").unwrap_err();
        assert_eq!((line, col), (3, 1), "{msg}");
        assert!(msg.contains("unknown format 'sarf'"), "{msg}");
        let (line, col, msg) = parse("[crawl]\nmax_pages = 5\n  rate = 0\n").unwrap_err();
        assert_eq!((line, col), (3, 3));
        assert_eq!(msg, "[crawl] rate: must be a number greater than 0");
    }
}
