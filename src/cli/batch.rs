//! `reachaudit batch LIST`.

use std::io::IsTerminal as _;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result, bail};

use super::Exit;
use super::args::{BatchArgs, ScanArgs};
use super::config::BatchConfig;
use super::options::ScanOptions;
use crate::batch::export::{Exports, write};
use crate::batch::{DEFAULT_CONCURRENCY, DEFAULT_LEASE, Event, Work, host_groups, read_list};
use crate::report::clean;
use crate::store::runs::{How, JoinRequest, Joined, RunProgress};
use crate::store::{Database, RunStore, SiteRow, WorkerId};

pub(super) fn run(a: BatchArgs) -> Result<Exit> {
    let list = read_list(&a.list)?;
    for d in &list.duplicates {
        eprintln!("reachaudit: skipped: {d}");
    }
    for n in &list.notes {
        eprintln!("reachaudit: {n}");
    }
    let cfg = super::config::load(a.config.as_deref(), a.no_config)?
        .map(|loaded| loaded.batch())
        .unwrap_or_default();
    let concurrency = a
        .concurrency
        .or(cfg.concurrency)
        .unwrap_or(DEFAULT_CONCURRENCY);
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
    let lease = match a.lease.or(cfg.lease) {
        None => DEFAULT_LEASE,
        Some(secs) if (1..=86_400).contains(&secs) => Duration::from_secs(secs),
        Some(secs) => bail!(
            "--lease {secs}: give the seconds a claimed site lasts without renewal, 1 to 86400 (default 300)"
        ),
    };
    let db = database(a.db.as_deref(), &cfg)?;
    let shown_db = db.shown();
    // Everything that touches the database, so that its errors can say which one it was.
    let audited = (move || -> Result<Exit> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .context("cannot start the async runtime")?;
        // Opened inside the runtime: a PostgreSQL connection is driven by it.
        let store = runtime.block_on(RunStore::open(&db))?;
        let rules_version = options.rules.version();
        let now = crate::store::now;
        let tool = env!("CARGO_PKG_VERSION");
        let shown_list = a.list.display().to_string();
        let groups = host_groups(&list.entries);
        let worker = WorkerId::current();
        let joined = runtime.block_on(store.join(
            &JoinRequest {
                list: &shown_list,
                digest: &list.digest,
                tool_version: tool,
                rules_version: &rules_version,
                rerun: a.rerun,
                retry_failed: a.retry_failed,
                groups: &groups,
            },
            now(),
        ))?;
        let Some(Joined { run, how }) = joined else {
            bail!(
                "--retry-failed: {shown_list} has no earlier run to retry; run it once without the flag"
            );
        };
        match how {
            How::Retrying(n) => {
                eprintln!(
                    "reachaudit: retrying {n} failed site(s) of run {} of {shown_list}",
                    run.id
                );
            }
            How::Resumed => eprintln!(
                "reachaudit: resuming run {} of {shown_list} (started {} s ago)",
                run.id,
                now() - run.started_at
            ),
            How::Finished => eprintln!(
                "reachaudit: run {} of this list finished already; writing its exports again (--rerun audits anew and keeps both)",
                run.id
            ),
            How::Started => {}
        }
        if run.rules_version != rules_version && run.finished_at.is_none() {
            eprintln!(
                "reachaudit: warning: run {} began with rules {}, these are {}; pass --rerun for comparable results",
                run.id, run.rules_version, rules_version
            );
        }
        let total = list.entries.len();
        let before = runtime.block_on(store.progress(run.id, &worker))?;
        let mut progress = Progress::new(
            total,
            usize::try_from(before.done + before.failed).unwrap_or(0),
        );
        if run.finished_at.is_none() {
            // One browser for the whole run: every site's pages open as tabs of it.
            let (audit, renderer) = options.with_browser(&runtime)?;
            let plan = Work {
                run_id: run.id,
                worker: &worker,
                lease,
                concurrency,
            };
            let worked = runtime.block_on(crate::batch::work(
            &store,
            &list.entries,
            plan,
            &audit,
            &options.rules,
            |event| -> Result<()> {
                match event {
                    Event::Site { row, stored, run, .. } => progress.site(row, stored, run),
                    Event::LeaseLost(domain) => eprintln!(
                        "reachaudit: the lease on {} ran out before this worker renewed it; another worker audits the rest of it",
                        clean(domain)
                    ),
                    Event::Waiting(state) => progress.waiting(&state),
                }
                Ok(())
            },
        ));
            super::options::stop_browser(&runtime, audit, renderer);
            worked?;
        }
        progress.done();
        // Read again: the run may have finished just now.
        let run = runtime
            .block_on(store.runs(Some(&list.digest)))?
            .into_iter()
            .find(|r| r.id == run.id)
            .unwrap_or(run);
        let written =
            runtime.block_on(write(&store, &run, &exports, &options.rules, &list.columns))?;
        let (done, failed) = runtime.block_on(store.site_counts(run.id))?;
        let files: Vec<String> = a
            .output
            .iter()
            .filter_map(|o| o.split_once('=').map(|(_, p)| p.to_owned()))
            .collect();
        eprintln!(
            "reachaudit: run {}: {written} site(s) stored in {} ({done} evaluated, {failed} failed){}",
            run.id,
            db.shown(),
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
    })();
    audited.map_err(|e| name_db(e, &shown_db))
}

/// An SQLite statement's error does not say which file it was about; the others name it already.
pub(super) fn name_db(error: anyhow::Error, shown: &str) -> anyhow::Error {
    if matches!(
        error.downcast_ref::<crate::store::StoreError>(),
        Some(crate::store::StoreError::Sql(_))
    ) {
        error.context(format!("--db {shown}"))
    } else {
        error
    }
}

/// The batch database: `--db`, else `[batch] db`, else `reachaudit.db`; a PostgreSQL password
/// from the URL, else `PGPASSWORD`, else `[batch] db_password_file`, else `~/.pgpass`.
pub(super) fn database(flag: Option<&str>, cfg: &BatchConfig) -> Result<Database> {
    let mut db = Database::parse(
        flag.or(cfg.db.as_deref())
            .unwrap_or(crate::store::DEFAULT_PATH),
    )?;
    if let Database::Postgres(target) = &mut db
        && !target.has_password()
        && let Some(password) = super::probe::secret("PGPASSWORD", cfg.db_password_file.as_deref())?
    {
        target.set_password(&password.0);
    }
    Ok(db)
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

/// Sites done and failed (the whole run's, when other workers share it), pages, rate and time
/// left: an indicatif bar on a terminal, a plain line per site otherwise (CI, nohup), where a bar
/// would be noise in a log.
struct Progress {
    total: usize,
    /// This worker's sites.
    done: usize,
    failed: usize,
    pages: i64,
    /// Stored when this worker started.
    resumed: usize,
    /// The whole run, as last read from the database.
    run: Option<RunProgress>,
    /// Whether the last line said this worker waits for others.
    waiting: bool,
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
            run: None,
            waiting: false,
            started: Instant::now(),
            bar,
        }
    }

    /// Sites stored in the whole run: as the database last said, or as this worker counted.
    fn stored(&self) -> usize {
        let own = self.resumed + self.done + self.failed;
        self.run.map_or(own, |r| {
            usize::try_from(r.done + r.failed).unwrap_or(0).max(own)
        })
    }

    /// The run's rate since this worker started and the time left at it.
    fn rate(&self) -> (f64, String) {
        let stored = self.stored();
        let secs = self.started.elapsed().as_secs_f64().max(0.001);
        #[allow(clippy::cast_precision_loss)]
        let per_min = stored.saturating_sub(self.resumed) as f64 / secs * 60.0;
        let left = self.total.saturating_sub(stored);
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
        (per_min, eta)
    }

    /// What other workers hold, when they hold something.
    fn others(&self) -> String {
        match self.run {
            Some(r) if r.claimed_by_others > 0 => {
                format!(", {} host(s) with other workers", r.claimed_by_others)
            }
            _ => String::new(),
        }
    }

    fn site(&mut self, row: &SiteRow, stored: bool, run: Option<RunProgress>) {
        self.waiting = false;
        if run.is_some() {
            self.run = run;
        }
        if stored {
            if row.status == "done" {
                self.done += 1;
            } else {
                self.failed += 1;
            }
            self.pages += row.pages;
        }
        let (per_min, eta) = self.rate();
        let others = self.others();
        let message = format!(
            "{} done, {} failed, {} pages, {per_min:.1} sites/min{others}",
            self.done, self.failed, self.pages
        );
        if let Some(bar) = &self.bar {
            bar.set_message(message);
            bar.set_position(self.stored() as u64);
        } else {
            let what = match &row.error {
                _ if !stored => "stored before by another worker; kept theirs".to_owned(),
                Some(e) if row.status == "failed" => format!("failed: {}", clean(e)),
                _ => "done".to_owned(),
            };
            eprintln!(
                "[{}/{}] {message}, ETA {eta} · {} {what}",
                self.stored(),
                self.total,
                clean(&row.url)
            );
        }
    }

    /// Nothing is free: the rest of the run is with other workers. Said once per wait.
    fn waiting(&mut self, run: &RunProgress) {
        self.run = Some(*run);
        if let Some(bar) = &self.bar {
            bar.set_position(self.stored() as u64);
            bar.set_message(format!(
                "waiting for {} host(s) with other workers",
                run.claimed_by_others
            ));
        } else if !self.waiting {
            eprintln!(
                "[{}/{}] waiting: {} host(s) are with other workers; this worker takes over any whose lease runs out",
                self.stored(),
                self.total,
                run.claimed_by_others
            );
        }
        self.waiting = true;
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
