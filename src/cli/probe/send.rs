//! `reachaudit probe send`.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context as _, Result, bail};

use super::super::Exit;
use super::super::config::ProbeConfig;
use super::{now, reports_for, secret};
use crate::probe::plan::{DEFAULT_MAX_PER_COMPANY, plan};
use crate::probe::send::{
    DEFAULT_MAX_PER_DAY, Delivery, FormSettings, Identity, OptOut, Policy, Sender, SmtpSettings,
    draft, select, write_down,
};
use crate::probe::timings::DEFAULT_WINDOW_SECS;
use crate::report::clean;
use crate::store::{NewProbe, Store};

pub(super) struct SendArgs {
    pub inputs: Vec<String>,
    pub from: Option<String>,
    pub reply_to: Option<String>,
    pub smtp: Option<String>,
    pub smtp_ca: Option<PathBuf>,
    pub db: Option<PathBuf>,
    pub max_per_company: Option<u32>,
    pub max_per_day: Option<u32>,
    pub window: Option<u32>,
    pub opt_out: Vec<PathBuf>,
    pub allow_private: bool,
    pub yes: bool,
    pub pause: Option<f64>,
    pub rules: Option<PathBuf>,
    pub cfg: ProbeConfig,
}

pub(super) fn run(a: SendArgs) -> Result<Exit> {
    let Some(from) = a.from.as_deref() else {
        bail!(
            "--from: give who is writing, as \"Erika Mustermann <erika@example.org>\"; nothing was sent"
        );
    };
    let identity = Identity::parse(from, a.reply_to.as_deref())?;
    let max_per_company = a
        .max_per_company
        .unwrap_or(u32::try_from(DEFAULT_MAX_PER_COMPANY).unwrap_or(2));
    if max_per_company == 0 {
        bail!("--max-per-company 0: must be at least 1");
    }
    let max_per_day = a.max_per_day.unwrap_or(DEFAULT_MAX_PER_DAY);
    if max_per_day == 0 {
        bail!("--max-per-day 0: must be at least 1");
    }
    let window_days = a.window.unwrap_or(14);
    if window_days == 0 {
        bail!("--window 0: give the days before a channel may be probed again, e.g. 14");
    }
    let pause = a.pause.unwrap_or(2.0);
    if !pause.is_finite() || !(0.0..=3600.0).contains(&pause) {
        bail!("--pause {pause}: give seconds between 0 and 3600");
    }
    let opt_out = OptOut::read(&a.opt_out)?;
    let policy = Policy {
        max_per_company,
        max_per_day,
        window_secs: if a.window.is_some() {
            i64::from(window_days) * 86_400
        } else {
            DEFAULT_WINDOW_SECS
        },
        opt_out,
    };

    let (reports, rules) = reports_for(&a.inputs, a.rules.clone(), a.allow_private)?;
    let blind = reports.iter().any(|r| !r.evaluated);
    let plans: Vec<_> = reports
        .iter()
        .filter(|r| r.evaluated)
        .map(|r| plan(r, &rules.probe, &identity.name, max_per_company as usize))
        .collect();

    let db =
        a.db.clone()
            .unwrap_or_else(|| PathBuf::from(crate::store::DEFAULT_PATH));
    let mut store = Store::open(&db)?;
    let started = now();
    let selection = select(&plans, &store, &policy, started)?;
    let drafts: Vec<NewProbe> = selection
        .new
        .iter()
        .map(|(company, planned)| draft(company, planned, &identity))
        .collect::<Result<_, _>>()?;

    // Exactly what will go out.
    let mut text = String::new();
    let mut shown = 0;
    for p in &selection.resumed {
        shown += 1;
        let _ = writeln!(
            text,
            "{shown}. {} (resumed: written down by an interrupted run)",
            clean(&p.new.company)
        );
        render(&mut text, &p.new, None);
    }
    for d in &drafts {
        shown += 1;
        let _ = writeln!(text, "{shown}. {}", clean(&d.company));
        render(&mut text, d, (!a.yes).then_some(d.token.as_str()));
    }
    for p in &selection.unconfirmed {
        let _ = writeln!(
            text,
            "   not sent again: {} to {} was being handed over when a run stopped; it may have left ({})",
            p.new.token,
            clean(&p.new.target),
            p.error
                .as_deref()
                .map_or_else(|| "interrupted".to_owned(), clean)
        );
    }
    for p in &plans {
        for k in &p.skipped {
            let _ = writeln!(
                text,
                "   left out: {} {} ({}): {}",
                k.channel,
                clean(&k.target),
                clean(&p.site),
                clean(&k.reason)
            );
        }
    }
    for h in &selection.held {
        let _ = writeln!(
            text,
            "   held back: {} {} ({}): {}",
            h.channel,
            clean(&h.target),
            clean(&h.company),
            clean(&h.reason)
        );
    }
    if shown == 0 {
        text.push_str("Nothing to send.\n");
        super::super::print(&text)?;
        return Ok(if blind { Exit::NotEvaluated } else { Exit::Ok });
    }
    if !a.yes {
        let _ = writeln!(
            text,
            "\nNothing was sent. Each probe gets its own token in place of <token> when sent."
        );
        super::super::print(&text)?;
        bail!(
            "{shown} probe(s) shown above were not sent; check them, then add --yes to send them"
        );
    }

    let needs_mail = drafts.iter().any(|d| d.channel == "email")
        || selection.resumed.iter().any(|p| p.new.channel == "email");
    let smtp = match (&a.smtp, needs_mail) {
        (Some(url), _) => Some(SmtpSettings {
            url: url.clone(),
            user: std::env::var("REACHAUDIT_SMTP_USER")
                .ok()
                .filter(|u| !u.is_empty())
                .or_else(|| a.cfg.smtp_user.clone()),
            password: secret(
                "REACHAUDIT_SMTP_PASSWORD",
                a.cfg.smtp_password_file.as_deref(),
            )?,
            ca_file: a.smtp_ca.clone(),
        }),
        (None, true) => bail!(
            "--smtp: e-mail probes need an outgoing mail server, e.g. --smtp smtps://mail.example.org; nothing was sent"
        ),
        (None, false) => None,
    };
    let forms = FormSettings {
        user_agent: crate::crawl::DEFAULT_USER_AGENT.to_owned(),
        timeout: Duration::from_secs(30),
        allow_private: a.allow_private,
    };
    let sender = Sender::new(smtp.as_ref(), &forms, Arc::new(rules.probe.clone()))?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    if let Some(s) = &smtp {
        // Before anything is written down or claimed: a wrong server or password stops here.
        runtime.block_on(sender.check(&s.url))?;
    }
    let written = write_down(&mut store, &drafts, now(), policy.window_secs)?;
    let mut queue = selection.resumed.clone();
    queue.extend(written);
    super::super::print(&text)?;
    let (mut sent, mut failed, mut retry, mut unknown) = (0, 0, 0, 0);
    runtime.block_on(crate::probe::send::run(
        &mut store,
        queue,
        &sender,
        &identity.name,
        &now,
        Duration::from_secs_f64(pause),
        |o| {
            let line = match &o.delivery {
                None => "taken by another run".to_owned(),
                Some(Delivery::Sent(answer)) => {
                    sent += 1;
                    format!("sent ({})", clean(answer))
                }
                Some(Delivery::Refused(e)) => {
                    failed += 1;
                    format!("failed: {}", clean(e))
                }
                Some(Delivery::Retry(e)) => {
                    retry += 1;
                    format!("not sent, will retry on the next run: {}", clean(e))
                }
                Some(Delivery::Unknown(e)) => {
                    unknown += 1;
                    format!(
                        "unconfirmed: it may have left, and is never sent again ({})",
                        clean(e)
                    )
                }
            };
            let _ = super::super::print(&format!(
                "{} {} {}: {line}\n",
                o.probe.new.token,
                o.probe.new.channel,
                clean(&o.probe.new.target)
            ));
        },
    ))?;
    eprintln!(
        "reachaudit: {sent} sent, {failed} failed, {retry} to retry, {unknown} unconfirmed; replies: `reachaudit probe poll --db {}`",
        db.display()
    );
    Ok(if blind { Exit::NotEvaluated } else { Exit::Ok })
}

/// One probe as it goes out: the e-mail's headers and text, or the form and what goes in it.
fn render(s: &mut String, p: &NewProbe, hide_token: Option<&str>) {
    let shown = |t: &str| {
        let t = match hide_token {
            Some(token) => t.replace(token, "<token>"),
            None => t.to_owned(),
        };
        clean(&t)
    };
    if p.channel == "email" {
        let _ = writeln!(s, "   From: {}", shown(&p.sender));
        let _ = writeln!(s, "   Reply-To: {}", shown(&p.reply_to));
        let _ = writeln!(s, "   To: {}", shown(&p.target));
    } else {
        let _ = writeln!(
            s,
            "   Form: {} (on {})",
            shown(&p.target),
            shown(p.page_url.as_deref().unwrap_or("?"))
        );
        let _ = writeln!(
            s,
            "   Name: {}; e-mail field: {}",
            shown(&identity_name(&p.sender)),
            shown(&p.reply_to)
        );
    }
    let _ = writeln!(s, "   Subject: {}", shown(&p.subject));
    for line in p.body.lines() {
        let _ = writeln!(s, "   | {}", shown(line));
    }
    s.push('\n');
}

fn identity_name(sender: &str) -> String {
    sender
        .split('<')
        .next()
        .unwrap_or(sender)
        .trim()
        .trim_matches('"')
        .to_owned()
}
