//! Turns checked arguments into the one read-only options value the library runs with. Every
//! fallible conversion happens here, once, and every error names the input and the fix.

use std::collections::HashMap;
use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context as _, Result, bail};
use url::Url;

use super::args::ScanArgs;
use super::config;
use crate::AuditOptions;
use crate::crawl::{CrawlOptions, Start};
use crate::gate::Assertions;
use crate::model::{RenderMode, Report};
use crate::report::Format;
use crate::rules::Rules;

/// Highest `--host-concurrency`: more parallel requests to one host is no longer polite.
const MAX_HOST_CONCURRENCY: usize = 16;

/// Everything `scan` needs, validated.
pub struct ScanOptions {
    /// Targets in order, as written and as parsed.
    pub targets: Vec<(String, Start)>,
    /// Options for every audit.
    pub audit: AuditOptions,
    /// Loaded rules.
    pub rules: Rules,
    /// Format for standard output.
    pub format: Format,
    /// Extra outputs.
    pub outputs: Vec<(Format, PathBuf)>,
    /// What the CI gate asserts.
    pub assertions: Assertions,
    /// `--baseline`: the file as given and the reports in it.
    pub baseline: Option<(String, Vec<Report>)>,
    /// Score points the total may drop against the baseline.
    pub tolerance: u32,
    /// Exit 0 even when assertions fail.
    pub report_only: bool,
    /// `--probes`: the probe database whose results join the reports.
    pub probes: Option<PathBuf>,
    /// The configuration file used, if any.
    pub config: Option<PathBuf>,
    /// The browser to render with (`--render`), started by whoever runs the audits.
    pub browser: Option<PathBuf>,
}

impl ScanOptions {
    /// The audit options with the browser started in `runtime`, if rendering is wanted. Under
    /// `auto` a browser that does not start is a note in the report; under `always`, an error.
    ///
    /// # Errors
    /// `--render always` and the browser does not start.
    pub fn with_browser(
        &self,
        runtime: &tokio::runtime::Runtime,
    ) -> Result<(
        AuditOptions,
        Option<std::sync::Arc<crate::crawl::render::Renderer>>,
    )> {
        let mut audit = self.audit.clone();
        let Some(path) = &self.browser else {
            return Ok((audit, None));
        };
        match runtime.block_on(crate::crawl::render::Renderer::launch(path)) {
            Ok(renderer) => {
                let renderer = std::sync::Arc::new(renderer);
                audit.crawl.renderer = Some(renderer.clone());
                Ok((audit, Some(renderer)))
            }
            Err(e) if audit.crawl.render == RenderMode::Always => {
                bail!("--render always: {e}")
            }
            Err(e) => {
                audit.crawl.render_note = Some(format!(
                    "{e}; pages were not rendered, so chats and contact details that only JavaScript draws may be missing"
                ));
                Ok((audit, None))
            }
        }
    }
}

/// Stops a browser once every audit that shared it is done.
pub fn stop_browser(
    runtime: &tokio::runtime::Runtime,
    audit: AuditOptions,
    renderer: Option<std::sync::Arc<crate::crawl::render::Renderer>>,
) {
    drop(audit);
    if let Some(renderer) = renderer.and_then(|r| std::sync::Arc::try_unwrap(r).ok()) {
        runtime.block_on(renderer.close());
    }
}

impl ScanOptions {
    /// Validates the arguments.
    ///
    /// # Errors
    /// The first invalid argument, as one line naming it and the fix.
    pub fn from_args(mut args: ScanArgs) -> Result<Self> {
        let mut assertions = Assertions::default();
        let mut config_path = None;
        // Targets the configuration file names, as written there, so a bad one is reported at
        // its line.
        let mut written: Option<(PathBuf, Vec<String>)> = None;
        if let Some(mut loaded) = config::load(args.config.as_deref(), args.no_config)? {
            assertions = std::mem::take(&mut loaded.config.assertions);
            config_path = Some(loaded.path.clone());
            if args.targets.is_empty() {
                written = Some((loaded.path.clone(), loaded.config.targets.clone()));
            }
            loaded.fill(&mut args);
        }
        if args.targets.is_empty() {
            bail!(
                "no TARGET given: name a URL, a directory or an .html file, or list targets in reachaudit.toml (`reachaudit init` writes one)"
            );
        }
        let targets = args
            .targets
            .iter()
            .enumerate()
            .map(|(i, t)| {
                Start::from_input(t).map(|s| (t.clone(), s)).map_err(|e| {
                    match written.as_ref().and_then(|(file, list)| Some((file, list.get(i)?))) {
                        Some((file, as_written)) => {
                            let line = std::fs::read_to_string(file)
                                .ok()
                                .and_then(|text| {
                                    let quoted = format!("{as_written:?}");
                                    text.find(&quoted)
                                        .map(|at| crate::rules::line_column(&text, at).0)
                                })
                                .unwrap_or(1);
                            anyhow::anyhow!(
                                "{}:{line}: targets: {e}; fix the path there or pass targets on the command line",
                                file.display()
                            )
                        }
                        None => anyhow::Error::new(e),
                    }
                })
            })
            .collect::<Result<Vec<_>>>()?;
        let defaults = CrawlOptions::default();
        let positive = |name: &str, v: f64| -> Result<f64> {
            if !v.is_finite() || v <= 0.0 {
                bail!("--{name} {v}: must be a number greater than 0");
            }
            Ok(v)
        };
        let rate = args.crawl.rate.map(|r| positive("rate", r)).transpose()?;
        let timeout = args
            .crawl
            .timeout
            .map(|t| positive("timeout", t))
            .transpose()?;
        if args.crawl.max_pages == Some(0) {
            bail!("--max-pages 0: must be at least 1");
        }
        let host_concurrency = args
            .crawl
            .host_concurrency
            .unwrap_or(defaults.host_concurrency);
        if !(1..=MAX_HOST_CONCURRENCY).contains(&host_concurrency) {
            bail!(
                "--host-concurrency {host_concurrency}: must be between 1 and {MAX_HOST_CONCURRENCY}"
            );
        }
        let max_bytes = args
            .crawl
            .max_size
            .as_deref()
            .map(parse_size)
            .transpose()?
            .unwrap_or(defaults.max_bytes);
        let country = args
            .crawl
            .country
            .as_deref()
            .map(parse_country)
            .transpose()?;
        let jurisdictions = parse_jurisdictions(&args.crawl.jurisdiction)?;
        let resolve = parse_resolve(&args.crawl.resolve)?;
        let base_url = args
            .crawl
            .base_url
            .as_deref()
            .map(|u| {
                let url = Url::parse(u).with_context(|| {
                    format!(
                        "--base-url {u}: not a valid URL; write it like https://www.example.de/"
                    )
                })?;
                if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
                    bail!("--base-url {u}: must be an http(s):// URL with a host");
                }
                Ok(url)
            })
            .transpose()?;
        if let Some(ua) = &args.crawl.user_agent
            && (ua.trim().is_empty() || ua.chars().any(char::is_control))
        {
            bail!("--user-agent: must be non-empty printable text");
        }
        if let Some(dir) = &args.crawl.rules
            && !dir.is_dir()
        {
            bail!(
                "--rules {}: not a directory; give the folder that holds cues/*.toml",
                dir.display()
            );
        }
        let rules = Rules::load(args.crawl.rules.as_deref())?;
        let render: RenderMode = match args.crawl.render.as_deref() {
            Some(r) => r.parse().map_err(|e| anyhow::anyhow!("--render {e}"))?,
            None => RenderMode::Auto,
        };
        let (browser, render_note) = match render {
            RenderMode::Never => (None, None),
            RenderMode::Always => {
                let path = crate::crawl::render::find_browser(args.crawl.browser.as_deref())
                    .map_err(|e| anyhow::anyhow!("--render always: {e}"))?;
                (Some(path), None)
            }
            RenderMode::Auto => match crate::crawl::render::find_browser(args.crawl.browser.as_deref()) {
                Ok(path) => (Some(path), None),
                Err(e) if args.crawl.browser.is_some() => bail!("--browser: {e}"),
                Err(_) => (
                    None,
                    Some(
                        "no browser found, so pages were not rendered: chats and contact details that only JavaScript draws may be missing (install chromium, or pass --browser PATH)"
                            .to_owned(),
                    ),
                ),
            },
        };
        if let Some(n) = args.fail_under {
            if n > 100 {
                bail!("--fail-under {n}: must be a score between 0 and 100");
            }
            assertions.min_score = Some(n);
        }
        let origin = config_path
            .as_ref()
            .map_or_else(|| "--fail-under".to_owned(), |p| p.display().to_string());
        config::validate(&assertions, &rules, &origin)?;
        let baseline = args
            .baseline
            .as_deref()
            .map(|p| read_reports(p, "--baseline "))
            .transpose()?;
        let format = match &args.format {
            Some(f) => f
                .parse::<Format>()
                .map_err(|e| anyhow::anyhow!("--format {e}"))?,
            None => Format::Text,
        };
        let outputs = args
            .output
            .iter()
            .map(|o| parse_output(o))
            .collect::<Result<Vec<_>>>()?;

        let crawl = CrawlOptions {
            max_pages: args.crawl.max_pages.unwrap_or(defaults.max_pages),
            max_depth: args.crawl.max_depth.unwrap_or(defaults.max_depth),
            rate: rate.or(defaults.rate),
            host_concurrency,
            timeout: timeout.map_or(defaults.timeout, Duration::from_secs_f64),
            max_bytes,
            max_redirects: args.crawl.max_redirects.unwrap_or(defaults.max_redirects),
            user_agent: args.crawl.user_agent.unwrap_or(defaults.user_agent),
            allow_private: args.crawl.allow_private,
            ignore_robots: args.crawl.ignore_robots,
            resolve,
            base_url,
            render,
            render_note,
            stop_when_found: args.crawl.stop_when_found,
            max_crawl_delay: match args.crawl.max_crawl_delay {
                Some(s) if (0.0..1e9).contains(&s) => Duration::from_secs_f64(s),
                Some(s) => anyhow::bail!(
                    "--max-crawl-delay {s}: give the longest Crawl-delay to obey in seconds, e.g. 30"
                ),
                None => defaults.max_crawl_delay,
            },
            page_budget: match args.crawl.page_budget {
                Some(s) if s > 0.0 && s < 1e6 => Some(Duration::from_secs_f64(s)),
                Some(s) => anyhow::bail!(
                    "--page-budget {s}: give the longest time to read one page in seconds, e.g. 5"
                ),
                None => defaults.page_budget,
            },
            ..defaults
        };
        Ok(Self {
            targets,
            audit: AuditOptions {
                crawl,
                country,
                jurisdictions,
                today: None,
            },
            rules,
            format,
            outputs,
            assertions,
            baseline,
            tolerance: args.tolerance.unwrap_or(0),
            report_only: args.report_only,
            probes: args.probes.clone(),
            config: config_path,
            browser,
        })
    }
}

/// Reads a saved JSON report (one object or the array of a multi-target run).
pub(super) fn read_reports(path: &std::path::Path, flag: &str) -> Result<(String, Vec<Report>)> {
    let shown = path.display().to_string();
    let text = std::fs::read_to_string(path).with_context(|| {
        format!("{flag}{shown}: cannot read it; save one with --output json={shown}")
    })?;
    let value: serde_json::Value = serde_json::from_str(&text).with_context(|| {
        format!("{flag}{shown}: not JSON; save a report with --output json={shown}")
    })?;
    let items = match value {
        serde_json::Value::Array(items) => items,
        one => vec![one],
    };
    let mut reports = Vec::with_capacity(items.len());
    for item in items {
        let version = item
            .get("schema_version")
            .and_then(|v| v.as_str())
            .map(str::to_owned);
        if version.as_deref() != Some(crate::model::SCHEMA_VERSION) {
            bail!(
                "{flag}{shown}: not a reachaudit report of schema_version {} (found {}); save one with --output json={shown}",
                crate::model::SCHEMA_VERSION,
                version.unwrap_or_else(|| "none".to_owned())
            );
        }
        let report: Report = serde_json::from_value(item)
            .map_err(|e| anyhow::anyhow!("{flag}{shown}: not a valid reachaudit report ({e})"))?;
        reports.push(report);
    }
    Ok((shown, reports))
}

fn parse_jurisdictions(list: &[String]) -> Result<Option<Vec<String>>> {
    use crate::rules::compliance::JURISDICTIONS;
    if list.is_empty() {
        return Ok(None);
    }
    let mut out = Vec::new();
    for j in list {
        let j = j.trim().to_ascii_lowercase();
        if j == "none" {
            continue;
        }
        if !JURISDICTIONS.contains(&j.as_str()) {
            bail!(
                "--jurisdiction {j}: unknown jurisdiction; use a comma-separated list of {} (or none)",
                JURISDICTIONS.join(", ")
            );
        }
        if !out.contains(&j) {
            out.push(j);
        }
    }
    Ok(Some(out))
}

fn parse_country(cc: &str) -> Result<String> {
    let upper = cc.trim().to_ascii_uppercase();
    if upper.len() != 2 || upper.parse::<phonenumber::country::Id>().is_err() {
        bail!(
            "--country {cc}: unknown country code; use an ISO 3166 alpha-2 code such as DE, AT, CH or GB"
        );
    }
    Ok(upper)
}

/// `5MiB`, `500KiB`, `2MB`, `1048576`.
fn parse_size(s: &str) -> Result<u64> {
    let t = s.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (digits, unit) = t.split_at(split);
    let n: u64 = digits
        .parse()
        .with_context(|| format!("--max-size {s}: write a size like 5MiB, 500KiB or 1048576"))?;
    let factor = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" => 1_000,
        "kib" => 1 << 10,
        "m" | "mb" => 1_000_000,
        "mib" => 1 << 20,
        "g" | "gb" => 1_000_000_000,
        "gib" => 1 << 30,
        _ => bail!("--max-size {s}: unknown unit '{unit}'; use B, KiB, MiB or GiB"),
    };
    let bytes = n.saturating_mul(factor);
    if bytes < 1024 {
        bail!("--max-size {s}: must be at least 1KiB");
    }
    Ok(bytes)
}

fn parse_resolve(entries: &[String]) -> Result<HashMap<String, Vec<IpAddr>>> {
    let mut map: HashMap<String, Vec<IpAddr>> = HashMap::new();
    for entry in entries {
        let (host, addr) = entry
            .split_once(':')
            .filter(|(h, _)| !h.is_empty())
            .with_context(|| {
                format!("--resolve {entry}: write HOST:ADDR, e.g. www.example.de:127.0.0.1")
            })?;
        let addr = addr.trim_start_matches('[').trim_end_matches(']');
        let ip: IpAddr = addr
            .parse()
            .with_context(|| format!("--resolve {entry}: '{addr}' is not an IP address"))?;
        map.entry(host.to_ascii_lowercase()).or_default().push(ip);
    }
    Ok(map)
}

fn parse_output(spec: &str) -> Result<(Format, PathBuf)> {
    let (format, path) = spec
        .split_once('=')
        .filter(|(_, p)| !p.is_empty())
        .with_context(|| {
            format!("--output {spec}: write FORMAT=PATH, e.g. --output json=report.json")
        })?;
    let format = format
        .parse::<Format>()
        .map_err(|e| anyhow::anyhow!("--output {spec}: {e}"))?;
    Ok((format, PathBuf::from(path)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_countries_resolves_and_outputs() {
        assert_eq!(parse_size("5MiB").unwrap(), 5 * 1024 * 1024);
        assert_eq!(parse_size("500 KiB").unwrap(), 500 * 1024);
        assert!(
            parse_size("5 parsecs")
                .unwrap_err()
                .to_string()
                .contains("unknown unit")
        );
        assert_eq!(parse_country("de").unwrap(), "DE");
        assert!(parse_country("XX").is_err());
        let map = parse_resolve(&["WWW.Acme.de:127.0.0.1".into(), "acme.de:[::1]".into()]).unwrap();
        assert_eq!(
            map["www.acme.de"],
            vec!["127.0.0.1".parse::<IpAddr>().unwrap()]
        );
        assert!(parse_resolve(&["acme.de".into()]).is_err());
        assert_eq!(
            parse_output("json=out/r.json").unwrap(),
            (Format::Json, PathBuf::from("out/r.json"))
        );
        assert!(
            parse_output("xml=r.xml")
                .unwrap_err()
                .to_string()
                .contains("unknown format 'xml'")
        );
        assert!(parse_output("json=").is_err());
    }
}
