//! The command-line front door: parse, validate once, run one handler per subcommand, and turn
//! the outcome into an exit code at the end (0 ok, 1 assertion failed, 2 usage or configuration
//! error, 3 a target could not be evaluated). Nothing in the library imports this module.

pub mod args;
mod batch;
pub mod config;
pub mod options;
mod probe;
mod report;
mod rules;
mod scan;

use std::process::ExitCode;

use clap::Parser;

/// Exit codes of the v1 contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Exit {
    /// Success, and every CI assertion held.
    Ok = 0,
    /// An assertion failed (threshold, rule at level error, regression).
    AssertionFailed = 1,
    /// Usage or configuration error.
    Usage = 2,
    /// A target could not be evaluated (unreachable, blocked, nothing fetched).
    NotEvaluated = 3,
}

impl From<Exit> for ExitCode {
    fn from(exit: Exit) -> Self {
        ExitCode::from(exit as u8)
    }
}

/// Runs the command line and returns the exit code.
#[must_use]
pub fn main() -> ExitCode {
    let cli = match args::Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() {
                Exit::Usage
            } else {
                Exit::Ok
            }
            .into();
        }
    };
    let result = match cli.command {
        args::Command::Scan(args) => scan::run(*args),
        args::Command::Rules(args) => rules::run(args),
        args::Command::Batch(args) => batch::run(*args),
        args::Command::Report(args) => report::run(args),
        args::Command::Probe(args) => probe::run(args),
        args::Command::Init(args) => init(&args),
        args::Command::Schema => schema(),
    };
    match result {
        Ok(exit) => exit.into(),
        Err(e) => {
            eprintln!("error: {e:#}");
            Exit::Usage.into()
        }
    }
}

/// `reachaudit init`: the commented example configuration, never over an existing file unless
/// asked.
fn init(args: &args::InitArgs) -> anyhow::Result<Exit> {
    use std::io::Write as _;
    let path = &args.path;
    let mut options = std::fs::OpenOptions::new();
    options.write(true);
    if args.force {
        options.create(true).truncate(true);
    } else {
        options.create_new(true);
    }
    let mut file = match options.open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => anyhow::bail!(
            "{}: already exists; edit it, or pass --force to replace it",
            path.display()
        ),
        Err(e) => anyhow::bail!("{}: cannot write it ({e})", path.display()),
    };
    file.write_all(config::EXAMPLE.as_bytes())
        .map_err(|e| anyhow::anyhow!("{}: cannot write it ({e})", path.display()))?;
    eprintln!(
        "reachaudit: wrote {}; edit targets and assertions, then run `reachaudit scan`",
        path.display()
    );
    Ok(Exit::Ok)
}

/// `reachaudit schema`: the JSON Schema of the report, generated from the model itself so the
/// two cannot drift apart.
fn schema() -> anyhow::Result<Exit> {
    let schema = schemars::schema_for!(crate::model::Report);
    let mut text = serde_json::to_string_pretty(&schema)?;
    text.push('\n');
    print(&text)?;
    Ok(Exit::Ok)
}

/// Writes a file whole or not at all: into a temporary file beside it, then renamed over it, so a
/// reader never sees half a report. Only for regular files: a device, pipe or symlink
/// (`/dev/stderr`, a CI step-summary link) is written in place, never replaced.
fn write_file(
    path: &std::path::Path,
    write: &mut dyn FnMut(&mut dyn std::io::Write) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    if std::fs::symlink_metadata(path).is_ok_and(|m| !m.file_type().is_file()) {
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .truncate(true)
            .open(path)?;
        return write(&mut file);
    }
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(std::path::Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let result = (|| -> anyhow::Result<()> {
        let mut file = std::io::BufWriter::new(std::fs::File::create(&tmp)?);
        write(&mut file)?;
        file.into_inner()
            .map_err(std::io::IntoInnerError::into_error)?
            .sync_all()?;
        std::fs::rename(&tmp, path)?;
        Ok(())
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// Writes to standard output; a closed pipe (`| head`) is the reader's choice, not a failure.
fn print(text: &str) -> anyhow::Result<()> {
    use std::io::Write as _;
    let mut lock = std::io::stdout().lock();
    match lock.write_all(text.as_bytes()).and_then(|()| lock.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(anyhow::Error::new(e).context("cannot write to standard output"))
        }
        _ => Ok(()),
    }
}
