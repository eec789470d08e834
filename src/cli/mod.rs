//! The command-line front door: parse, validate once, run one handler per subcommand, and turn
//! the outcome into an exit code at the end (0 ok, 1 assertion failed, 2 usage or configuration
//! error, 3 a target could not be evaluated). Nothing in the library imports this module.

pub mod args;
pub mod options;
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
    };
    match result {
        Ok(exit) => exit.into(),
        Err(e) => {
            eprintln!("error: {e:#}");
            Exit::Usage.into()
        }
    }
}
