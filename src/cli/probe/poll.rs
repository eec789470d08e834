//! `reachaudit probe poll`.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context as _, Result, bail};

use super::super::Exit;
use super::super::config::ProbeConfig;
use super::{now, secret};
use crate::model::human_duration;
use crate::probe::inbox::{ImapSettings, Summary, absorb, read_imap, read_maildir};
use crate::report::clean;
use crate::rules::Rules;
use crate::store::Store;

pub(super) struct PollArgs {
    pub imap: Option<String>,
    pub imap_ca: Option<PathBuf>,
    pub maildir: Option<PathBuf>,
    pub db: Option<PathBuf>,
    pub format: Option<String>,
    pub rules: Option<PathBuf>,
    pub cfg: ProbeConfig,
}

pub(super) fn run(a: PollArgs) -> Result<Exit> {
    let json = match a.format.as_deref().map(str::to_ascii_lowercase).as_deref() {
        None | Some("text") => false,
        Some("json") => true,
        Some(other) => bail!("--format {other}: unknown format; use text or json"),
    };
    let db =
        a.db.clone()
            .unwrap_or_else(|| PathBuf::from(crate::store::DEFAULT_PATH));
    // Polling into a fresh, empty database would match nothing and say so quietly.
    if !db.is_file() {
        bail!(
            "--db {}: no probe database there; give the file `probe send` wrote (default reachaudit.db)",
            db.display()
        );
    }
    let rules = Rules::load(a.rules.as_deref())?;
    let mut store = Store::open(&db)?;
    let started = now();
    // A day's slack for clocks and for Maildir names written by another host.
    let since = store
        .probes(None)?
        .iter()
        .map(|p| p.created_at)
        .min()
        .unwrap_or(started)
        - 86_400;
    let mut summary = Summary::default();
    let source = match (&a.imap, &a.maildir) {
        (Some(url), _) => {
            let user = std::env::var("REACHAUDIT_IMAP_USER")
                .ok()
                .filter(|u| !u.is_empty())
                .or_else(|| a.cfg.imap_user.clone())
                .with_context(|| {
                    format!("--imap {url}: set REACHAUDIT_IMAP_USER (or imap_user in [probe])")
                })?;
            let password = secret(
                "REACHAUDIT_IMAP_PASSWORD",
                a.cfg.imap_password_file.as_deref(),
            )?
            .with_context(|| {
                format!(
                    "--imap {url}: set REACHAUDIT_IMAP_PASSWORD (or imap_password_file in [probe])"
                )
            })?;
            let settings = ImapSettings {
                url: url.clone(),
                user,
                password,
                ca_file: a.imap_ca.clone(),
            };
            let source = settings.source()?;
            let cursor = store.mailbox_cursor(&source)?;
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .context("cannot start the async runtime")?;
            runtime.block_on(read_imap(
                &settings,
                cursor,
                Some(since),
                Duration::from_secs(60),
                &mut |messages, (validity, last)| {
                    summary.add(absorb(&mut store, &messages, &rules.mail, started)?);
                    // Only after the batch's replies are stored: a crash before here re-reads
                    // them, and storing is idempotent.
                    store.set_mailbox_cursor(&source, validity, last, now())?;
                    Ok(())
                },
            ))?;
            source
        }
        (None, Some(dir)) => {
            let messages = read_maildir(dir, since)?;
            summary.add(absorb(&mut store, &messages, &rules.mail, started)?);
            format!("maildir:{}", dir.display())
        }
        (None, None) => bail!(
            "--imap or --maildir: give the mailbox replies arrive in, e.g. --imap imaps://imap.example.org/INBOX"
        ),
    };
    let text = if json {
        let mut s = serde_json::to_string_pretty(&summary)?;
        s.push('\n');
        s
    } else {
        let mut s = String::new();
        for r in &summary.new {
            let _ = writeln!(
                s,
                "{} {}: {} from {} after {} (matched by {})",
                r.token,
                clean(&r.company),
                r.class,
                r.sender.as_deref().map_or("?".to_owned(), clean),
                r.after_secs.map_or_else(|| "?".to_owned(), human_duration),
                r.matched_by
            );
        }
        let _ = writeln!(
            s,
            "{}: {} message(s) read, {} answer a probe, {} new reply(ies) stored{}",
            clean(&source),
            summary.read,
            summary.matched,
            summary.stored,
            if summary.confirmed > 0 {
                format!(
                    ", {} interrupted probe(s) now known to have left",
                    summary.confirmed
                )
            } else {
                String::new()
            }
        );
        s
    };
    super::super::print(&text)?;
    Ok(Exit::Ok)
}
