//! `reachaudit scan`.

use std::io::Write as _;
use std::path::Path;

use anyhow::{Context as _, Result};

use super::Exit;
use super::args::ScanArgs;
use super::options::ScanOptions;
use crate::model::Report;
use crate::report::renderer;

pub(super) fn run(args: ScanArgs) -> Result<Exit> {
    let options = ScanOptions::from_args(args)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let mut reports: Vec<Report> = Vec::with_capacity(options.targets.len());
    for (input, start) in &options.targets {
        let report = runtime
            .block_on(crate::audit(input, start, &options.audit, &options.rules))
            .with_context(|| format!("{input}: cannot start the crawl"))?;
        if let Some(reason) = &report.reason {
            eprintln!("reachaudit: {input}: not evaluated: {reason}");
        }
        reports.push(report);
    }
    for (format, path) in &options.outputs {
        write_atomically(path, renderer(*format).render(&reports).as_bytes()).with_context(
            || {
                format!(
                    "--output {format}={}: cannot write the report",
                    path.display()
                )
            },
        )?;
    }
    let stdout = renderer(options.format).render(&reports);
    let mut lock = std::io::stdout().lock();
    if let Err(e) = lock
        .write_all(stdout.as_bytes())
        .and_then(|()| lock.flush())
    {
        // A closed pipe (`| head`) is the reader's choice, not our failure.
        if e.kind() != std::io::ErrorKind::BrokenPipe {
            return Err(e).context("cannot write to standard output");
        }
    }
    Ok(if reports.iter().all(|r| r.evaluated) {
        Exit::Ok
    } else {
        Exit::NotEvaluated
    })
}

/// Writes via a temporary file in the same directory, so a reader never sees half a report.
fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(&tmp, path).inspect_err(|_| {
        let _ = std::fs::remove_file(&tmp);
    })
}
