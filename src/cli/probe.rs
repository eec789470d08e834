//! `reachaudit probe`.

use std::fmt::Write as _;
use std::path::PathBuf;

use anyhow::{Result, bail};
use serde::Serialize;

use super::Exit;
use super::args::{ProbeArgs, ProbeCommand};
use crate::probe::{Classification, classify};
use crate::rules::Rules;

/// Larger files are not replies to a one-sentence question; refusing them keeps a stray mailbox
/// export from being read into memory.
const MAX_MAIL_BYTES: u64 = 50 * 1024 * 1024;

pub(super) fn run(args: ProbeArgs) -> Result<Exit> {
    match args.command {
        ProbeCommand::Classify {
            files,
            format,
            rules,
        } => classify_files(&files, format.as_deref(), rules.as_deref()),
    }
}

#[derive(Serialize)]
struct Classified {
    file: String,
    #[serde(flatten)]
    result: Classification,
}

fn classify_files(
    files: &[PathBuf],
    format: Option<&str>,
    rules: Option<&std::path::Path>,
) -> Result<Exit> {
    let json = match format.map(str::to_ascii_lowercase).as_deref() {
        None | Some("text") => false,
        Some("json") => true,
        Some(other) => bail!("--format {other}: unknown format; use text or json"),
    };
    let rules = Rules::load(rules)?;
    let mut out = Vec::with_capacity(files.len());
    for file in files {
        let shown = file.display().to_string();
        let size = std::fs::metadata(file)
            .map_err(|e| anyhow::anyhow!("{shown}: cannot read it ({e}); give an .eml file"))?
            .len();
        if size > MAX_MAIL_BYTES {
            bail!("{shown}: {size} bytes is not a single e-mail; give one message per file");
        }
        let raw = std::fs::read(file)
            .map_err(|e| anyhow::anyhow!("{shown}: cannot read it ({e}); give an .eml file"))?;
        out.push(Classified {
            file: shown,
            result: classify(&raw, &rules.mail),
        });
    }
    let text = if json {
        let mut s = match out.as_slice() {
            [one] => serde_json::to_string_pretty(one)?,
            many => serde_json::to_string_pretty(many)?,
        };
        s.push('\n');
        s
    } else {
        let mut s = String::new();
        for c in &out {
            let _ = writeln!(
                s,
                "{}  {}{}",
                c.file,
                c.result.class.as_str(),
                if c.result.automated {
                    " (automated)"
                } else {
                    ""
                }
            );
            for signal in &c.result.signals {
                let clean: String = signal
                    .chars()
                    .map(|ch| if ch.is_control() { ' ' } else { ch })
                    .collect();
                let _ = writeln!(s, "    {clean}");
            }
        }
        s
    };
    super::print(&text)?;
    Ok(Exit::Ok)
}
