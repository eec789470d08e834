//! `reachaudit scan`.

use std::io::IsTerminal as _;

use anyhow::{Context as _, Result};

use super::Exit;
use super::args::ScanArgs;
use super::options::ScanOptions;
use crate::model::{Report, SourceKind};
use crate::report::{Format, renderer};

pub(super) fn run(args: ScanArgs) -> Result<Exit> {
    let options = ScanOptions::from_args(args)?;
    let mut reports = audit_all(&options)?;
    let single = reports.len() == 1;
    for report in reports.iter_mut().filter(|r| r.evaluated) {
        let baseline = match &options.baseline {
            None => None,
            Some((file, saved)) => Some(crate::gate::Baseline {
                file,
                report: baseline_for(report, saved, file, single)?,
                tolerance: options.tolerance,
            }),
        };
        report.gate = Some(crate::gate::evaluate(report, &options.assertions, baseline));
    }
    for (format, path) in &options.outputs {
        let text = renderer(*format).render(&reports);
        super::write_file(path, &mut |w| Ok(w.write_all(text.as_bytes())?)).with_context(|| {
            format!(
                "--output {format}={}: cannot write the report",
                path.display()
            )
        })?;
    }
    super::print(&renderer(options.format).render(&reports))?;
    if options.format != Format::Text {
        summarize(&reports);
    }
    Ok(exit(&reports, options.report_only))
}

/// Audits every target in order, saying on standard error which could not be evaluated.
pub(super) fn audit_all(options: &ScanOptions) -> Result<Vec<Report>> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let store = match &options.probes {
        // Reading must never create an empty database in the wrong place.
        Some(db) if !db.is_file() => anyhow::bail!(
            "--probes {}: no probe database there; give the file `probe send` wrote",
            db.display()
        ),
        Some(db) => Some(crate::store::Store::open(db)?),
        None => None,
    };
    let (audit, renderer) = options.with_browser(&runtime)?;
    let mut reports: Vec<Report> = Vec::with_capacity(options.targets.len());
    let terminal = std::io::stderr().is_terminal();
    for (input, start) in &options.targets {
        // A progress line on a terminal only: a CI log or a pipe gets none.
        let bar = terminal.then(|| {
            let bar = indicatif::ProgressBar::new_spinner();
            bar.set_style(
                indicatif::ProgressStyle::with_template("{spinner} {prefix} {msg}")
                    .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
            );
            bar.set_prefix(crate::report::clean(input));
            bar.set_message("starting");
            bar.enable_steady_tick(std::time::Duration::from_millis(120));
            bar
        });
        let mut audit = audit.clone();
        audit.crawl.progress.clone_from(&bar);
        let result = runtime.block_on(crate::audit(input, start, &audit, &options.rules));
        if let Some(bar) = &bar {
            bar.finish_and_clear();
        }
        let mut report = result.with_context(|| format!("{input}: cannot start the crawl"))?;
        if let Some(store) = &store
            && report.evaluated
        {
            report.probes = crate::probe::timings::results_for(
                store,
                report.target.name(),
                super::probe::now(),
                crate::probe::timings::DEFAULT_WINDOW_SECS,
            )?;
            report.score = crate::score::score(&report, &options.rules.scoring);
        }
        if let Some(reason) = &report.reason {
            eprintln!("reachaudit: {input}: not evaluated: {reason}");
        }
        reports.push(report);
    }
    super::options::stop_browser(&runtime, audit, renderer);
    Ok(reports)
}

/// The run's exit code: nothing evaluated beats a failed assertion, and `--report-only` never
/// hides an unevaluated site — a run that saw nothing is not a pass.
fn exit(reports: &[Report], report_only: bool) -> Exit {
    let blind = reports.iter().any(|r| !r.evaluated);
    let failed = reports
        .iter()
        .any(|r| r.gate.as_ref().is_some_and(|g| !g.passed));
    if blind {
        Exit::NotEvaluated
    } else if failed && !report_only {
        Exit::AssertionFailed
    } else {
        Exit::Ok
    }
}

/// One line per failed assertion and regression on standard error, so a CI log says why the
/// build failed even when standard output is JSON or SARIF.
fn summarize(reports: &[Report]) {
    for r in reports {
        let Some(gate) = &r.gate else { continue };
        for a in gate.assertions.iter().filter(|a| !a.passed && !a.known) {
            eprintln!(
                "reachaudit: {}: {} {}: expected {}, got {}",
                r.target.input,
                a.level.as_str(),
                a.id,
                a.expected,
                a.actual
            );
        }
        for c in gate.baseline.iter().flat_map(|d| &d.worse) {
            eprintln!(
                "reachaudit: {}: {} worse than baseline: {}: {}",
                r.target.input,
                c.level.as_str(),
                c.subject,
                c.message
            );
        }
    }
}

/// The baseline report of the same target: by input, else by site (for websites: local
/// directories all share the placeholder site), else the only one of a one-target run.
fn baseline_for<'a>(
    report: &Report,
    saved: &'a [Report],
    file: &str,
    single: bool,
) -> Result<&'a Report> {
    let web = |r: &Report| r.target.source == SourceKind::Http;
    let input = report.target.normalized_input();
    let found = saved
        .iter()
        .find(|b| b.target.normalized_input() == input)
        .or_else(|| {
            saved
                .iter()
                .find(|b| web(b) && web(report) && b.target.site == report.target.site)
        })
        .or(match saved {
            [only] if single => Some(only),
            _ => None,
        })
        .with_context(|| {
            format!(
                "--baseline {file}: has no report for {}; save the baseline from a run over the same targets",
                report.target.input
            )
        })?;
    if !found.evaluated {
        anyhow::bail!(
            "--baseline {file}: the saved report of {} was not evaluated, so there is nothing to compare with; save a new baseline",
            found.target.input
        );
    }
    Ok(found)
}
