//! `reachaudit batch LIST`.

use std::io::IsTerminal as _;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result, bail};

use super::Exit;
use super::args::{BatchArgs, ScanArgs};
use super::options::ScanOptions;
use crate::batch::export::{Exports, write};
use crate::batch::{DEFAULT_CONCURRENCY, Outcome, read_list};
use crate::report::clean;
use crate::store::{SiteRow, Store};

pub(super) fn run(a: BatchArgs) -> Result<Exit> {
    let list = read_list(&a.list)?;
    for d in &list.duplicates {
        eprintln!("reachaudit: skipped: {d}");
    }
    for n in &list.notes {
        eprintln!("reachaudit: {n}");
    }
    let concurrency = a.concurrency.unwrap_or(DEFAULT_CONCURRENCY);
    if !(1..=64).contains(&concurrency) {
        bail!("--concurrency {concurrency}: give between 1 and 64 sites at once");
    }
    let mut exports = exports(&a.output, a.bom)?;
    exports.title.clone_from(&a.title);
    // The same checks and limits as `scan`, for every URL of the list at once.
    let options = ScanOptions::from_args(ScanArgs {
        targets: list.entries.iter().map(|e| e.url.clone()).collect(),
        no_config: true,
        crawl: a.crawl.clone(),
        ..ScanArgs::default()
    })?;
    let db =
        a.db.clone()
            .unwrap_or_else(|| PathBuf::from(crate::store::DEFAULT_PATH));
    let mut store = Store::open(&db)?;
    let rules_version = options.rules.version();
    let now = super::probe::now;
    let tool = env!("CARGO_PKG_VERSION");
    let mut last = store.runs(Some(&list.digest))?.pop();
    if a.retry_failed {
        match &mut last {
            Some(r) => {
                let n = store.forget_failed(r.id)?;
                eprintln!(
                    "reachaudit: retrying {n} failed site(s) of run {} of {}",
                    r.id,
                    a.list.display()
                );
                if n > 0 {
                    r.finished_at = None;
                }
            }
            None => bail!(
                "--retry-failed: {} has no earlier run to retry; run it once without the flag",
                a.list.display()
            ),
        }
    }
    let run = match last {
        Some(r) if !a.rerun && r.finished_at.is_none() => {
            eprintln!(
                "reachaudit: resuming run {} of {} (started {} s ago)",
                r.id,
                a.list.display(),
                now() - r.started_at
            );
            r
        }
        Some(r) if !a.rerun => {
            eprintln!(
                "reachaudit: run {} of this list finished already; writing its exports again (--rerun audits anew and keeps both)",
                r.id
            );
            r
        }
        _ => store.start_run(
            &a.list.display().to_string(),
            &list.digest,
            tool,
            &rules_version,
            now(),
        )?,
    };
    if run.rules_version != rules_version && run.finished_at.is_none() {
        eprintln!(
            "reachaudit: warning: run {} began with rules {}, these are {}; pass --rerun for comparable results",
            run.id, run.rules_version, rules_version
        );
    }
    let finished = store.finished_urls(run.id)?;
    let todo = list
        .entries
        .iter()
        .filter(|e| !finished.contains(&e.url))
        .count();
    let total = list.entries.len();
    let mut progress = Progress::new(total, total - todo);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    if todo > 0 && run.finished_at.is_none() {
        // One browser for the whole run: every site's pages open as tabs of it.
        let (audit, renderer) = options.with_browser(&runtime)?;
        runtime.block_on(crate::batch::run(
            &list.entries,
            &finished,
            &audit,
            &options.rules,
            concurrency,
            |entry, outcome| -> Result<()> {
                let metadata = serde_json::to_string(&entry.metadata)?;
                let company = entry.company();
                let row = match outcome {
                    Outcome::Audited(mut report) => SiteRow {
                        position: i64::try_from(entry.position).unwrap_or(i64::MAX),
                        name: entry.name.clone(),
                        url: entry.url.clone(),
                        metadata,
                        status: if report.evaluated { "done" } else { "failed" }.into(),
                        error: report.reason.clone(),
                        pages: i64::try_from(report.crawl.pages.len()).unwrap_or(0),
                        report: {
                            report.company = Some(company);
                            Some(serde_json::to_string(&report)?)
                        },
                    },
                    Outcome::Failed(reason) => SiteRow {
                        position: i64::try_from(entry.position).unwrap_or(i64::MAX),
                        name: entry.name.clone(),
                        url: entry.url.clone(),
                        metadata,
                        status: "failed".into(),
                        error: Some(reason),
                        pages: 0,
                        report: None,
                    },
                };
                // Stored before anything else: an interruption now loses nothing finished.
                store.record_site(run.id, &row, now())?;
                progress.site(&row);
                Ok(())
            },
        ))?;
        super::options::stop_browser(&runtime, audit, renderer);
        store.finish_run(run.id, now())?;
    } else if run.finished_at.is_none() {
        store.finish_run(run.id, now())?;
    }
    progress.done();
    // Read again: the run may have finished just now.
    let run = store
        .runs(Some(&list.digest))?
        .into_iter()
        .find(|r| r.id == run.id)
        .unwrap_or(run);
    let written = write(&store, &run, &exports, &options.rules, &list.columns)?;
    let (done, failed) = store.site_counts(run.id)?;
    let files: Vec<String> = a
        .output
        .iter()
        .filter_map(|o| o.split_once('=').map(|(_, p)| p.to_owned()))
        .collect();
    eprintln!(
        "reachaudit: run {}: {written} site(s) stored in {} ({done} evaluated, {failed} failed){}",
        run.id,
        db.display(),
        if files.is_empty() {
            "; add -o csv=PATH (or jsonl, json, channels, html) for files".to_owned()
        } else {
            format!("; wrote {}", files.join(", "))
        }
    );
    // Like scan: nothing evaluated is exit 3, some sites failed is exit 1 (retry them alone
    // with --retry-failed), all evaluated is 0.
    Ok(if done == 0 && failed > 0 {
        Exit::NotEvaluated
    } else if failed > 0 {
        eprintln!(
            "reachaudit: {failed} site(s) failed; `reachaudit batch {} --retry-failed` audits only those again",
            a.list.display()
        );
        Exit::AssertionFailed
    } else {
        Exit::Ok
    })
}

fn exports(outputs: &[String], bom: bool) -> Result<Exports> {
    let mut e = Exports {
        bom,
        ..Exports::default()
    };
    for o in outputs {
        let Some((format, path)) = o.split_once('=').filter(|(_, p)| !p.is_empty()) else {
            bail!("--output {o}: write FORMAT=PATH, e.g. csv=results.csv");
        };
        let slot = match format.to_ascii_lowercase().as_str() {
            "jsonl" => &mut e.jsonl,
            "json" => &mut e.json,
            "csv" => &mut e.csv,
            "channels" => &mut e.channels,
            "html" => &mut e.html,
            other => {
                bail!("--output {other}=…: unknown format; use jsonl, json, csv, channels or html")
            }
        };
        *slot = Some(PathBuf::from(path));
    }
    Ok(e)
}

/// Sites done and failed, pages, rate and time left: an indicatif bar on a terminal, a plain
/// line per site otherwise (CI, nohup), where a bar would be noise in a log.
struct Progress {
    total: usize,
    done: usize,
    failed: usize,
    pages: i64,
    resumed: usize,
    started: Instant,
    bar: Option<indicatif::ProgressBar>,
}

impl Progress {
    fn new(total: usize, resumed: usize) -> Self {
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = indicatif::ProgressBar::new(total as u64);
            bar.set_style(
                indicatif::ProgressStyle::with_template(
                    "{bar:30.cyan/blue} {pos}/{len} sites · {msg} · ETA {eta}",
                )
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
            );
            bar.set_position(resumed as u64);
            bar.reset_eta();
            bar.enable_steady_tick(Duration::from_millis(500));
            bar
        });
        Self {
            total,
            done: 0,
            failed: 0,
            pages: 0,
            resumed,
            started: Instant::now(),
            bar,
        }
    }

    fn site(&mut self, row: &SiteRow) {
        if row.status == "done" {
            self.done += 1;
        } else {
            self.failed += 1;
        }
        self.pages += row.pages;
        let finished = self.done + self.failed;
        let secs = self.started.elapsed().as_secs_f64().max(0.001);
        #[allow(clippy::cast_precision_loss)]
        let per_min = finished as f64 / secs * 60.0;
        let left = self.total - self.resumed - finished;
        #[allow(
            clippy::cast_precision_loss,
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss
        )]
        let eta = if per_min > 0.0 {
            let secs = (left as f64 / per_min * 60.0).ceil() as u64;
            if secs < 120 {
                format!("{secs} s")
            } else {
                format!("{} min", secs.div_ceil(60))
            }
        } else {
            "?".to_owned()
        };
        let line = format!(
            "[{}/{}] {} done, {} failed, {} pages, {per_min:.1} sites/min, ETA {eta}",
            self.resumed + finished,
            self.total,
            self.done,
            self.failed,
            self.pages,
        );
        if let Some(bar) = &self.bar {
            bar.set_message(format!(
                "{} done, {} failed, {} pages, {per_min:.1} sites/min",
                self.done, self.failed, self.pages
            ));
            bar.inc(1);
        } else {
            let what = match &row.error {
                Some(e) if row.status == "failed" => format!("failed: {}", clean(e)),
                _ => "done".to_owned(),
            };
            eprintln!("{line} · {} {what}", clean(&row.url));
        }
    }

    fn done(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
            eprintln!(
                "reachaudit: {} done, {} failed, {} pages in {} s",
                self.done,
                self.failed,
                self.pages,
                self.started.elapsed().as_secs()
            );
        }
    }
}
