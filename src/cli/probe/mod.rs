//! `reachaudit probe`.

mod poll;
mod send;

use std::fmt::Write as _;
use std::path::PathBuf;

use anyhow::{Result, bail};
use serde::Serialize;

use super::Exit;
use super::args::{CrawlArgs, ProbeArgs, ProbeCommand, ScanArgs};
use super::options::{ScanOptions, read_reports};
use crate::model::Report;
use crate::probe::plan::{DEFAULT_MAX_PER_COMPANY, Plan};
use crate::probe::{Classification, classify};
use crate::report::clean;
use crate::rules::Rules;

/// Larger files are not replies to a one-sentence question; refusing them keeps a stray mailbox
/// export from being read into memory.
const MAX_MAIL_BYTES: u64 = 50 * 1024 * 1024;

pub(super) fn run(args: ProbeArgs) -> Result<Exit> {
    match args.command {
        ProbeCommand::Status {
            db,
            window,
            company,
            format,
            config,
            no_config,
        } => {
            let cfg = probe_config(config.as_deref(), no_config)?;
            let db = db
                .or(cfg.db)
                .unwrap_or_else(|| PathBuf::from(crate::store::DEFAULT_PATH));
            status(&db, window, company.as_deref(), format.as_deref())
        }
        ProbeCommand::Plan {
            inputs,
            sender,
            max_per_company,
            format,
            rules,
        } => plan(&inputs, sender, max_per_company, format.as_deref(), rules),
        ProbeCommand::Classify {
            files,
            format,
            rules,
        } => classify_files(&files, format.as_deref(), rules.as_deref()),
        ProbeCommand::Send {
            inputs,
            from,
            reply_to,
            smtp,
            smtp_ca,
            db,
            max_per_company,
            max_per_day,
            window,
            opt_out,
            allow_private,
            yes,
            pause,
            rules,
            config,
            no_config,
        } => {
            let cfg = probe_config(config.as_deref(), no_config)?;
            send::run(send::SendArgs {
                inputs,
                from: from.or_else(|| cfg.from.clone()),
                reply_to: reply_to.or_else(|| cfg.reply_to.clone()),
                smtp: smtp.or_else(|| cfg.smtp.clone()),
                smtp_ca: smtp_ca.or_else(|| cfg.smtp_ca.clone()),
                db: db.or_else(|| cfg.db.clone()),
                max_per_company: max_per_company.or(cfg.max_per_company),
                max_per_day: max_per_day.or(cfg.max_per_day),
                window: window.or(cfg.window),
                opt_out: if opt_out.is_empty() {
                    cfg.opt_out.clone()
                } else {
                    opt_out
                },
                allow_private: allow_private || cfg.allow_private.unwrap_or(false),
                yes,
                pause,
                rules,
                cfg,
            })
        }
        ProbeCommand::Poll {
            imap,
            imap_ca,
            maildir,
            db,
            format,
            rules,
            config,
            no_config,
        } => {
            let cfg = probe_config(config.as_deref(), no_config)?;
            poll::run(poll::PollArgs {
                imap: if maildir.is_some() {
                    None
                } else {
                    imap.or_else(|| cfg.imap.clone())
                },
                imap_ca: imap_ca.or_else(|| cfg.imap_ca.clone()),
                maildir: maildir.or_else(|| cfg.maildir.clone()),
                db: db.or_else(|| cfg.db.clone()),
                format,
                rules,
                cfg,
            })
        }
    }
}

fn probe_config(path: Option<&std::path::Path>, skip: bool) -> Result<super::config::ProbeConfig> {
    Ok(super::config::load(path, skip)?
        .map(|l| l.probe())
        .unwrap_or_default())
}

/// Unix seconds now.
pub(super) fn now() -> i64 {
    i64::try_from(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs()),
    )
    .unwrap_or(i64::MAX)
}

/// A password from the environment, else from a file only its owner can read.
pub(super) fn secret(
    env: &str,
    file: Option<&std::path::Path>,
) -> Result<Option<crate::probe::send::Secret>> {
    use crate::probe::send::Secret;
    if let Ok(v) = std::env::var(env)
        && !v.is_empty()
    {
        return Ok(Some(Secret(v)));
    }
    let Some(file) = file else { return Ok(None) };
    let shown = file.display();
    let meta = std::fs::metadata(file)
        .map_err(|e| anyhow::anyhow!("{shown}: cannot read the password file ({e})"))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = meta.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            bail!(
                "{shown}: the password file is readable by others (mode {mode:o}); run chmod 600 on it"
            );
        }
    }
    #[cfg(not(unix))]
    let _ = meta;
    let text = std::fs::read_to_string(file)
        .map_err(|e| anyhow::anyhow!("{shown}: cannot read the password file ({e})"))?;
    let password = text.trim_end_matches(['\r', '\n']).to_owned();
    if password.is_empty() {
        bail!("{shown}: the password file is empty");
    }
    Ok(Some(Secret(password)))
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
                match c.result.automated {
                    Some(true) => " (automated)",
                    Some(false) => " (a person)",
                    None => " (undecided)",
                }
            );
            for signal in &c.result.signals {
                let _ = writeln!(s, "    {}", clean(signal));
            }
        }
        s
    };
    super::print(&text)?;
    Ok(Exit::Ok)
}

/// Reports from saved JSON files, and from scanning the other inputs; the rules in use; whether
/// every report could be evaluated.
pub(super) fn reports_for(
    inputs: &[String],
    rules_dir: Option<PathBuf>,
    allow_private: bool,
) -> Result<(Vec<Report>, Rules)> {
    let (saved, targets): (Vec<&String>, Vec<&String>) = inputs
        .iter()
        .partition(|i| i.to_ascii_lowercase().ends_with(".json"));
    let mut reports: Vec<Report> = Vec::new();
    for file in saved {
        reports.extend(read_reports(std::path::Path::new(file), "")?.1);
    }
    let rules = if targets.is_empty() {
        Rules::load(rules_dir.as_deref())?
    } else {
        let options = ScanOptions::from_args(ScanArgs {
            targets: targets.into_iter().cloned().collect(),
            crawl: CrawlArgs {
                rules: rules_dir,
                allow_private,
                ..CrawlArgs::default()
            },
            ..ScanArgs::default()
        })?;
        reports.extend(super::scan::audit_all(&options)?);
        options.rules
    };
    Ok((reports, rules))
}

/// `probe plan`: reports from saved JSON files, or from scanning the other inputs first.
fn plan(
    inputs: &[String],
    sender: Option<String>,
    max: Option<usize>,
    format: Option<&str>,
    rules_dir: Option<PathBuf>,
) -> Result<Exit> {
    let json = match format.map(str::to_ascii_lowercase).as_deref() {
        None | Some("text") => false,
        Some("json") => true,
        Some(other) => bail!("--format {other}: unknown format; use text or json"),
    };
    let max = max.unwrap_or(DEFAULT_MAX_PER_COMPANY);
    if max == 0 {
        bail!("--max-per-company 0: must be at least 1");
    }
    let name = match sender.as_deref().map(str::trim) {
        Some("") => bail!("--sender: give the name that signs the message"),
        Some(n) if n.chars().any(char::is_control) => {
            bail!("--sender: must be printable text")
        }
        Some(n) => n.to_owned(),
        None => "<your name>".to_owned(),
    };
    let (reports, rules) = reports_for(inputs, rules_dir, false)?;
    let plans: Vec<Plan> = reports
        .iter()
        .filter(|r| r.evaluated)
        .map(|r| crate::probe::plan::plan(r, &rules.probe, &name, max))
        .collect();
    let text = if json {
        let mut s = serde_json::to_string_pretty(&plans)?;
        s.push('\n');
        s
    } else {
        render_plans(&plans)
    };
    super::print(&text)?;
    Ok(if reports.iter().all(|r| r.evaluated) {
        Exit::Ok
    } else {
        Exit::NotEvaluated
    })
}

fn render_plans(plans: &[Plan]) -> String {
    let mut s = String::new();
    for p in plans {
        let _ = writeln!(
            s,
            "{} ({}): {} probe(s) would be sent, {} channel(s) left out",
            clean(&p.site),
            p.lang,
            p.probes.len(),
            p.skipped.len()
        );
        for (i, probe) in p.probes.iter().enumerate() {
            let _ = writeln!(
                s,
                "\n  {}. {} {}{}",
                i + 1,
                probe.channel,
                clean(&probe.target),
                probe
                    .page_url
                    .as_deref()
                    .map_or_else(String::new, |u| format!("  (on {})", clean(u)))
            );
            if !probe.fields.is_empty() {
                let fields: Vec<String> = probe
                    .fields
                    .iter()
                    .map(|(f, purpose)| format!("{} ← {purpose}", clean(f)))
                    .collect();
                let _ = writeln!(s, "     fields: {}", fields.join(", "));
            }
            let _ = writeln!(
                s,
                "     Subject: {}",
                probe.subject.replace("{token}", "<token>")
            );
            for line in probe.body.replace("{token}", "<token>").lines() {
                let _ = writeln!(s, "     | {line}");
            }
        }
        if !p.skipped.is_empty() {
            let _ = writeln!(s, "\n  Left out:");
            for k in &p.skipped {
                let _ = writeln!(s, "    {} {}: {}", k.channel, clean(&k.target), k.reason);
            }
        }
        s.push('\n');
    }
    s.push_str("Nothing was sent. Each probe gets its own token when it is sent.\n");
    s
}

/// `probe status`.
fn status(
    db: &std::path::Path,
    window: u32,
    company: Option<&str>,
    format: Option<&str>,
) -> Result<Exit> {
    use crate::probe::timings::timings;
    let format = format.map(str::to_ascii_lowercase);
    if !matches!(format.as_deref(), None | Some("text" | "json" | "csv")) {
        bail!(
            "--format {}: unknown format; use text, json or csv",
            format.unwrap_or_default()
        );
    }
    if window == 0 {
        bail!("--window 0: give the days a person has to answer, e.g. 14");
    }
    // Reading must never create an empty database in the wrong place.
    if !db.is_file() {
        bail!(
            "--db {}: no probe database there; give the file `probe send` wrote (default reachaudit.db)",
            db.display()
        );
    }
    let store = crate::store::Store::open(db)?;
    let mut rows = Vec::new();
    for p in store.probes(company)? {
        let replies = store.replies(p.id)?;
        rows.push((p, replies));
    }
    let now = now();
    let (per_probe, per_company) = timings(&rows, now, i64::from(window) * 86_400);
    let text = match format.as_deref() {
        Some("json") => {
            let mut s = serde_json::to_string_pretty(&serde_json::json!({
                "window_days": window,
                "companies": per_company,
                "probes": per_probe,
            }))?;
            s.push('\n');
            s
        }
        Some("csv") => {
            let mut w = csv::Writer::from_writer(Vec::new());
            w.write_record([
                "company",
                "token",
                "channel",
                "target",
                "state",
                "sent_at",
                "replies",
                "first_reply_secs",
                "first_reply_class",
                "first_human_secs",
                "bounced",
                "challenged",
                "outcome",
                "delivery_status",
                "failed_recipient",
            ])?;
            let opt = |v: Option<i64>| v.map(|x| x.to_string()).unwrap_or_default();
            for t in &per_probe {
                w.write_record([
                    defuse(&t.company),
                    defuse(&t.token),
                    defuse(&t.channel),
                    defuse(&t.target),
                    defuse(&t.state),
                    opt(t.sent_at),
                    t.replies.to_string(),
                    opt(t.first_reply_secs),
                    defuse(t.first_reply_class.as_deref().unwrap_or_default()),
                    opt(t.first_human_secs),
                    t.bounced.to_string(),
                    t.challenged.to_string(),
                    defuse(&t.outcome),
                    defuse(t.delivery_status.as_deref().unwrap_or_default()),
                    defuse(t.failed_recipient.as_deref().unwrap_or_default()),
                ])?;
            }
            String::from_utf8(w.into_inner().map_err(|e| anyhow::anyhow!("{e}"))?)?
        }
        _ => {
            let mut s = String::new();
            let dur =
                |v: Option<i64>| v.map_or_else(|| "–".to_owned(), crate::model::human_duration);
            for c in &per_company {
                let share = c.unanswered_share.map_or_else(
                    || "window still open".to_owned(),
                    |x| format!("{:.0}% unanswered", x * 100.0),
                );
                let _ = writeln!(
                    s,
                    "{}: {} sent, {} answered by a person, {} pending, {} bounced, {} held for a challenge a person must confirm; median first reply {}, first human reply {}; {share} within {window} days",
                    clean(&c.company),
                    c.sent,
                    c.answered,
                    c.pending,
                    c.bounced,
                    c.challenged,
                    dur(c.median_first_reply_secs),
                    dur(c.median_first_human_secs),
                );
                for t in per_probe.iter().filter(|t| t.company == c.company) {
                    let _ = writeln!(
                        s,
                        "  {} {} {}: {}{} ({} replies; first {} {}, person {})",
                        t.token,
                        t.channel,
                        clean(&t.target),
                        t.outcome,
                        t.delivery()
                            .map_or_else(String::new, |d| format!(", {}", clean(&d))),
                        t.replies,
                        t.first_reply_class.as_deref().unwrap_or("–"),
                        dur(t.first_reply_secs),
                        dur(t.first_human_secs)
                    );
                }
            }
            if per_company.is_empty() {
                s.push_str("no probes in the database\n");
            }
            s
        }
    };
    super::print(&text)?;
    Ok(Exit::Ok)
}

use crate::report::defuse;
