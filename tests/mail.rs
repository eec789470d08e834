//! Probes end to end against real mail servers: Debian's postfix and dovecot on 127.0.0.1,
//! started by `.ci/mail-servers.sh` (which `.ci/run` calls). `probe send` mails the fixture shop's
//! published address through postfix (it lands in the test company's mailbox) and submits its
//! contact form to the loopback HTTP server, which records what arrived; a responder answers once
//! automatically and once as a person a few seconds later; `probe poll` reads the auditor's
//! mailbox from dovecot over IMAP, matches and classifies both, and `probe status` has the right
//! timings. Without the servers these tests fail with the command that starts them — they never
//! pass silently.

mod support;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use lettre::Transport as _;
use reachaudit::probe::inbox::{Fetched, ImapSettings, read_imap};
use reachaudit::probe::send::Secret;
use reachaudit::store::{Probe, ProbeState, Store};
use serde_json::Value;
use support::{TestServer, reachaudit_env as reachaudit};

const SMTP_PLAIN: &str = "smtp://127.0.0.1:2525?tls=none";
const IMAP_PLAIN: &str = "imap://127.0.0.1:1143";
const PASSWORD: &str = "reachaudit-test";
const FROM: &str = "Erika Mustermann <auditor@audit.test>";
const CA: &str = "/etc/reachaudit-test/ca.pem";

/// Fails loudly, with the fix, when the servers are not running.
fn servers() {
    for port in [2525, 4465, 1143, 1993] {
        if std::net::TcpStream::connect_timeout(
            &format!("127.0.0.1:{port}").parse().unwrap(),
            Duration::from_secs(3),
        )
        .is_err()
        {
            panic!(
                "no mail server on 127.0.0.1:{port}; start postfix and dovecot with `bash .ci/mail-servers.sh` (.ci/run does)"
            );
        }
    }
}

const AUDITOR: [(&str, &str); 2] = [
    ("REACHAUDIT_IMAP_USER", "auditor@audit.test"),
    ("REACHAUDIT_IMAP_PASSWORD", PASSWORD),
];

/// Every message in a test mailbox, read with reachaudit's own IMAP reader.
fn mailbox(user: &str) -> Vec<Fetched> {
    let settings = ImapSettings {
        url: IMAP_PLAIN.into(),
        user: user.into(),
        password: Secret(PASSWORD.into()),
        ca_file: None,
    };
    let mut all = Vec::new();
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(read_imap(
            &settings,
            None,
            None,
            Duration::from_secs(10),
            &mut |batch, _| {
                all.extend(batch);
                Ok(())
            },
        ))
        .unwrap();
    all
}

/// Waits (delivery is asynchronous) for messages containing `needle` in a mailbox.
fn wait_for(user: &str, needle: &str, count: usize) -> Vec<Fetched> {
    let start = Instant::now();
    loop {
        let found: Vec<Fetched> = mailbox(user)
            .into_iter()
            .filter(|m| String::from_utf8_lossy(&m.raw).contains(needle))
            .collect();
        if found.len() >= count || start.elapsed() > Duration::from_secs(30) {
            return found;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// The responder: a message from the company's mail server, exactly as written.
fn smtp_raw(from: &str, to: &str, raw: &str) -> Result<(), String> {
    let transport = lettre::SmtpTransport::builder_dangerous("127.0.0.1")
        .port(2525)
        .build();
    let envelope = lettre::address::Envelope::new(
        Some(from.parse().unwrap()),
        vec![to.parse().map_err(|e| format!("{e}"))?],
    )
    .unwrap();
    transport
        .send_raw(&envelope, raw.replace('\n', "\r\n").as_bytes())
        .map(|_| ())
        .map_err(|e| e.to_string())
}

/// `Date:` now, in RFC 5322 form.
fn rfc2822_now() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    mail_parser::DateTime::from_timestamp(i64::try_from(secs).unwrap()).to_rfc822()
}

fn probes(db: &Path) -> Vec<Probe> {
    Store::open(db).unwrap().probes(None).unwrap()
}

fn send_args<'a>(site: &'a str, db: &'a str) -> Vec<&'a str> {
    vec![
        "probe",
        "send",
        site,
        "--allow-private",
        "--from",
        FROM,
        "--smtp",
        SMTP_PLAIN,
        "--db",
        db,
        "--pause",
        "0",
        "--no-config",
    ]
}

/// One crawl of the site, saved as a report for the probe commands (the usual workflow: scan,
/// then plan and send from the saved report).
fn scanned(url: &str, dir: &Path) -> String {
    let path = dir.join("report.json");
    let out = format!("json={}", path.display());
    let (code, _, err) = reachaudit(
        &[
            "scan",
            url,
            "--allow-private",
            "--rate",
            "50",
            "--output",
            &out,
            "--format",
            "json",
            "--no-config",
        ],
        &[],
    );
    assert!(code == 0 || code == 1, "{err}");
    path.to_string_lossy().into_owned()
}

#[test]
fn send_poll_and_status_end_to_end() {
    servers();
    let site = TestServer::fixture("acme-shop");
    site.accept_form("/kontakt/senden");
    let dir = tempfile::tempdir().unwrap();
    let db_path = dir.path().join("probes.db");
    let db = db_path.to_str().unwrap();
    let url = site.url("/");
    let saved = scanned(&url, dir.path());

    // Shown, never sent, without --yes.
    let (code, out, err) = reachaudit(&send_args(&saved, db), &[]);
    assert_eq!(code, 2, "{out}{err}");
    assert!(
        out.contains("To: service@acme-shop.de")
            && out.contains("Reply-To: auditor+<token>@audit.test"),
        "{out}"
    );
    assert!(out.contains("Form: http://127.0.0.1:") && out.contains("Erreichbarkeitstest"));
    assert!(err.contains("add --yes"), "{err}");
    assert!(probes(&db_path).is_empty(), "nothing written down");
    assert!(site.posted().is_empty(), "nothing submitted");

    // Sent.
    let mut args = send_args(&saved, db);
    args.push("--yes");
    let (code, out, err) = reachaudit(&args, &[]);
    assert_eq!(code, 0, "{out}{err}");
    let sent = probes(&db_path);
    assert_eq!(sent.len(), 2, "{out}{err}");
    assert!(
        sent.iter().all(|p| p.state == ProbeState::Sent),
        "{sent:#?}"
    );
    let mail = sent.iter().find(|p| p.new.channel == "email").unwrap();
    let form = sent
        .iter()
        .find(|p| p.new.channel == "contact_form")
        .unwrap();
    assert_eq!(mail.new.target, "service@acme-shop.de");
    assert!(
        mail.outcome.as_deref().unwrap().starts_with("250"),
        "{mail:?}"
    );

    // The form got what a person would have typed, and what the page set, and nothing else.
    let posted = site.posted();
    assert_eq!(posted.len(), 1);
    let field = |name: &str| {
        posted[0]
            .fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_else(|| panic!("no field {name}: {:?}", posted[0].fields))
    };
    assert_eq!(field("csrf_token"), "9f2c41d8e07b4a1c8e55d3b6a90f7c12");
    assert_eq!(field("website"), "", "the honeypot stays empty");
    assert_eq!(field("bestellnummer"), "", "no invented order number");
    assert_eq!(field("name"), "Erika Mustermann");
    assert_eq!(field("email"), form.new.reply_to);
    assert!(field("nachricht").contains(&form.new.token));
    assert_eq!(field("datenschutz"), "on");
    assert!(posted[0].cookie.starts_with("sid=s"), "{:?}", posted[0]);
    assert!(posted[0].user_agent.contains("reachaudit"));
    assert!(posted[0].referer.contains("/kontakt"), "{:?}", posted[0]);

    // The e-mail reached the company, with the token in its reply address and Message-ID.
    let arrived = wait_for("service@company.test", &mail.new.token, 1);
    assert_eq!(arrived.len(), 1, "delivered exactly once");
    let raw = String::from_utf8_lossy(&arrived[0].raw).into_owned();
    assert!(
        raw.lines()
            .any(|l| l.starts_with("Reply-To:") && l.contains(&format!("<{}>", mail.new.reply_to))),
        "{raw}"
    );
    assert!(raw.contains("MIME-Version: 1.0"), "{raw}");
    assert!(
        raw.contains(&format!("Return-Path: <{}>", mail.new.reply_to)),
        "bounces come back with the token: {raw}"
    );
    assert!(
        raw.contains(&format!("Message-ID: {}", mail.new.message_id)),
        "{raw}"
    );

    // The company answers: a machine at once, a person after a pause.
    let (token, reply_to, message_id) = (&mail.new.token, &mail.new.reply_to, &mail.new.message_id);
    smtp_raw(
        "service@company.test",
        reply_to,
        &format!(
            "From: ACME Kundenservice <service@company.test>\n\
             To: {reply_to}\n\
             Subject: Automatische Antwort: {subject}\n\
             Date: {date}\n\
             Message-ID: <auto-{token}@company.test>\n\
             In-Reply-To: {message_id}\n\
             Auto-Submitted: auto-replied\n\
             X-Autoreply: yes\n\
             Content-Type: text/plain; charset=utf-8\n\
             \n\
             Vielen Dank für Ihre Nachricht. Ihre Anfrage ist bei uns eingegangen und wird\n\
             schnellstmöglich bearbeitet.\n",
            subject = mail.new.subject,
            date = rfc2822_now(),
        ),
    )
    .unwrap();
    std::thread::sleep(Duration::from_secs(3));
    smtp_raw(
        "service@company.test",
        reply_to,
        &format!(
            "From: Jan Berger <service@company.test>\n\
             To: Erika Mustermann <{reply_to}>\n\
             Subject: Re: {subject}\n\
             Date: {date}\n\
             Message-ID: <human-{token}@company.test>\n\
             In-Reply-To: {message_id}\n\
             References: {message_id}\n\
             Content-Type: text/plain; charset=utf-8\n\
             \n\
             Guten Tag Frau Mustermann,\n\
             \n\
             ja, hier sind Sie richtig. Telefonisch erreichen Sie uns unter 089 2154 3670.\n\
             \n\
             Viele Grüße\n\
             Jan Berger\n\
             \n\
             Erika Mustermann schrieb:\n\
             > Guten Tag,\n\
             > ist diese Adresse der richtige Weg?\n",
            subject = mail.new.subject,
            date = rfc2822_now(),
        ),
    )
    .unwrap();
    assert_eq!(wait_for("auditor@audit.test", token, 2).len(), 2);

    let poll = [
        "probe",
        "poll",
        "--imap",
        IMAP_PLAIN,
        "--db",
        db,
        "--no-config",
    ];
    let (code, out, err) = reachaudit(&poll, &AUDITOR);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("2 new reply(ies) stored"), "{out}");
    assert!(
        out.contains(&format!("{token} ")) && out.contains(": human from Jan Berger"),
        "{out}"
    );
    let (code, out, _) = reachaudit(&poll, &AUDITOR);
    assert_eq!(code, 0);
    assert!(
        out.contains("0 new reply(ies) stored"),
        "polling again adds nothing: {out}"
    );

    // The same replies read from a Maildir copy are the same replies.
    let maildir = dir.path().join("Maildir");
    std::fs::create_dir_all(maildir.join("new")).unwrap();
    std::fs::create_dir_all(maildir.join("cur")).unwrap();
    for (i, m) in wait_for("auditor@audit.test", token, 2).iter().enumerate() {
        std::fs::write(
            maildir
                .join("new")
                .join(format!("{}.M{i}P1.test", m.arrived.unwrap())),
            &m.raw,
        )
        .unwrap();
    }
    let (code, out, err) = reachaudit(
        &[
            "probe",
            "poll",
            "--maildir",
            maildir.to_str().unwrap(),
            "--db",
            db,
            "--no-config",
        ],
        &[],
    );
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("2 answer a probe, 0 new reply(ies) stored"),
        "{out}"
    );

    let store = Store::open(&db_path).unwrap();
    let replies = store.replies(mail.id).unwrap();
    assert_eq!(replies.len(), 2);
    assert!(
        replies[0].new.automated == Some(true) && replies[0].new.class != "human",
        "{replies:#?}"
    );
    assert_eq!(replies[1].new.class, "human");
    assert_eq!(replies[1].new.matched_by, "to");

    let (code, out, _) = reachaudit(&["probe", "status", "--db", db, "--format", "json"], &[]);
    assert_eq!(code, 0);
    let status: Value = serde_json::from_str(&out).unwrap();
    let t = status["probes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["token"] == token.as_str())
        .unwrap();
    let first = t["first_reply_secs"].as_i64().unwrap();
    let human = t["first_human_secs"].as_i64().unwrap();
    assert!(human >= 2 && human > first && human < 120, "{t}");
    assert_eq!(t["outcome"], "answered");
    assert_eq!(t["replies"], 2);
    let f = status["probes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["token"] == form.new.token.as_str())
        .unwrap();
    assert_eq!(f["outcome"], "pending", "nobody answered the form yet");
    let company = &status["companies"][0];
    assert_eq!(
        (company["sent"].as_u64(), company["answered"].as_u64()),
        (Some(2), Some(1))
    );

    // The results join the site's report and its responsiveness score.
    let (code, out, err) = reachaudit(
        &[
            "scan",
            &url,
            "--allow-private",
            "--rate",
            "50",
            "--probes",
            db,
            "--format",
            "json",
            "--no-config",
        ],
        &[],
    );
    assert!(code == 0 || code == 1, "{err}");
    let report: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        report["probes"].as_array().unwrap().len(),
        2,
        "{}",
        report["probes"]
    );
    let responsiveness = report["score"]["categories"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "responsiveness")
        .unwrap();
    assert_eq!(
        responsiveness["score"], 100,
        "answered by a person within a day: {responsiveness}"
    );
    assert!(
        responsiveness["items"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("1 of 1")
    );
    let (_, text, _) = reachaudit(
        &[
            "scan",
            &url,
            "--allow-private",
            "--rate",
            "50",
            "--probes",
            db,
            "--no-config",
        ],
        &[],
    );
    assert!(
        text.contains("Test contacts (2)")
            && text.contains(&format!("{token} email service@acme-shop.de: answered")),
        "{text}"
    );
    let (code, _, err) = reachaudit(
        &[
            "scan",
            &url,
            "--allow-private",
            "--rate",
            "50",
            "--probes",
            "no-such.db",
            "--no-config",
        ],
        &[],
    );
    assert_eq!(code, 2);
    assert!(
        err.contains("--probes no-such.db: no probe database"),
        "{err}"
    );

    // Running send again sends nothing twice.
    let (code, out, err) = reachaudit(&args, &[]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("Nothing to send") && out.contains("already probed"),
        "{out}"
    );
    assert_eq!(site.posted().len(), 1);
    assert_eq!(probes(&db_path).len(), 2);
}

/// A site publishing two addresses of the test company, one of which does not exist.
fn company_site() -> tempfile::TempDir {
    support::temp_site(&[(
        "index.html",
        r#"<!DOCTYPE html><html lang="de"><head><title>Beispiel GmbH</title></head><body>
        <h1>Kontakt</h1><p>Kundenservice: <a href="mailto:service@company.test">service@company.test</a></p>
        <p>Allgemein: <a href="mailto:gibtsnicht@company.test">gibtsnicht@company.test</a></p>
        <p>Telefon: <a href="tel:+4930123456">030 123456</a></p></body></html>"#,
    )])
}

#[test]
fn tls_both_ways_and_a_refused_address_is_a_failed_probe() {
    servers();
    let site = company_site();
    let dir = tempfile::tempdir().unwrap();
    let db_path = dir.path().join("tls.db");
    let db = db_path.to_str().unwrap();
    let target = site.path().to_str().unwrap();
    let base = [
        "probe",
        "send",
        target,
        "--from",
        FROM,
        "--db",
        db,
        "--pause",
        "0",
        "--no-config",
        "--yes",
    ];

    // A certificate nobody vouched for stops the run before anything is written down.
    let mut args = base.to_vec();
    args.extend(["--smtp", "smtps://127.0.0.1:4465"]);
    let (code, out, err) = reachaudit(&args, &[]);
    assert_eq!(code, 2, "{out}{err}");
    assert!(
        err.contains("--smtp smtps://127.0.0.1:4465") && err.lines().count() == 1,
        "{err}"
    );
    assert!(probes(&db_path).is_empty());

    // Plain text off loopback is refused outright.
    let mut args = base.to_vec();
    args.extend(["--smtp", "smtp://mail.example.org?tls=none"]);
    let (code, _, err) = reachaudit(&args, &[]);
    assert_eq!(code, 2);
    assert!(err.contains("loopback server only"), "{err}");

    // Implicit TLS with the test CA: one address works, the other is refused by the server.
    let mut args = base.to_vec();
    args.extend(["--smtp", "smtps://127.0.0.1:4465", "--smtp-ca", CA]);
    let (code, out, err) = reachaudit(&args, &[]);
    assert_eq!(code, 0, "{out}{err}");
    let all = probes(&db_path);
    assert_eq!(all.len(), 2, "{out}");
    let ok = all
        .iter()
        .find(|p| p.new.target == "service@company.test")
        .unwrap();
    let bad = all
        .iter()
        .find(|p| p.new.target == "gibtsnicht@company.test")
        .unwrap();
    assert_eq!(ok.state, ProbeState::Sent, "{ok:?}");
    assert_eq!(bad.state, ProbeState::Failed, "{bad:?}");
    assert!(
        bad.error.as_deref().unwrap().contains("550")
            || bad.error.as_deref().unwrap().contains("5.1.1"),
        "{bad:?}"
    );
    assert!(out.contains("failed:"), "{out}");

    // STARTTLS on the submission port works the same way (a fresh database, same site).
    let db2 = dir.path().join("starttls.db");
    let mut args = base.to_vec();
    let db2s = db2.to_str().unwrap();
    args[6] = db2s;
    args.extend([
        "--smtp",
        "smtp://127.0.0.1:2525",
        "--smtp-ca",
        CA,
        "--max-per-company",
        "1",
    ]);
    let (code, out, err) = reachaudit(&args, &[]);
    assert_eq!(code, 0, "{out}{err}");
    let p2 = probes(&db2);
    assert_eq!(p2.len(), 1, "the cap of one per company holds: {out}");
    assert_eq!(p2[0].state, ProbeState::Sent);
    assert!(out.contains("cap of 1 probes per company"), "{out}");

    // The reply is read back over IMAPS.
    smtp_raw(
        "service@company.test",
        &ok.new.reply_to,
        &format!(
            "From: Service <service@company.test>\nTo: {}\nSubject: Re: {}\nDate: {}\nMessage-ID: <tls-{}@company.test>\n\nJa, gern. Grüße, Mia\n",
            ok.new.reply_to, ok.new.subject, rfc2822_now(), ok.new.token
        ),
    )
    .unwrap();
    assert_eq!(wait_for("auditor@audit.test", &ok.new.token, 1).len(), 1);
    let imaps = [
        "probe",
        "poll",
        "--imap",
        "imaps://127.0.0.1:1993/INBOX",
        "--db",
        db,
        "--no-config",
    ];
    let (code, _, err) = reachaudit(&imaps, &AUDITOR);
    assert_eq!(code, 2, "an unknown CA is refused");
    assert!(
        err.contains("--imap imaps://127.0.0.1:1993/INBOX") && err.contains("TLS"),
        "{err}"
    );
    let mut with_ca = imaps.to_vec();
    with_ca.extend(["--imap-ca", CA]);
    let (code, out, err) = reachaudit(&with_ca, &AUDITOR);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("1 new reply(ies) stored") && out.contains("human"),
        "{out}"
    );
    let (code, _, err) = reachaudit(
        &with_ca,
        &[
            ("REACHAUDIT_IMAP_USER", "auditor@audit.test"),
            ("REACHAUDIT_IMAP_PASSWORD", "wrong"),
        ],
    );
    assert_eq!(code, 2);
    assert!(
        err.contains("login refused") && !err.contains("wrong"),
        "the password is never printed: {err}"
    );
}

#[test]
fn opt_out_and_daily_caps_hold_back_probes() {
    servers();
    let site = company_site();
    let dir = tempfile::tempdir().unwrap();
    let list = dir.path().join("opt-out.txt");
    std::fs::write(&list, "# asked us on 2026-11-02\ncompany.test\n").unwrap();
    let db_path = dir.path().join("o.db");
    let db = db_path.to_str().unwrap();
    let target = site.path().to_str().unwrap();
    let args = [
        "probe",
        "send",
        target,
        "--from",
        FROM,
        "--db",
        db,
        "--smtp",
        SMTP_PLAIN,
        "--pause",
        "0",
        "--no-config",
        "--yes",
    ];
    let mut opted = args.to_vec();
    opted.extend(["--opt-out", list.to_str().unwrap()]);
    let (code, out, err) = reachaudit(&opted, &[]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("Nothing to send") && out.contains("company.test is on the opt-out list"),
        "{out}"
    );
    assert!(probes(&db_path).is_empty());

    let mut daily = args.to_vec();
    daily.extend(["--max-per-day", "1"]);
    let (code, out, err) = reachaudit(&daily, &[]);
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(probes(&db_path).len(), 1);
    assert!(out.contains("cap of 1 probes per day"), "{out}");

    std::fs::write(&list, "company.test.\nnot a domain\n").unwrap();
    let (code, _, err) = reachaudit(&opted, &[]);
    assert_eq!(code, 2);
    assert!(
        err.contains("opt-out.txt:2:") && err.contains("one domain per line"),
        "{err}"
    );
}

/// A mail server that takes a message and then never answers: the moment a killed run cannot
/// know whether its probe left.
fn stalling_smtp() -> (u16, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    use std::io::{BufRead, BufReader, Write};
    use std::sync::atomic::{AtomicUsize, Ordering};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let taken = std::sync::Arc::new(AtomicUsize::new(0));
    let counter = taken.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { continue };
            let counter = counter.clone();
            std::thread::spawn(move || {
                let mut w = stream.try_clone().unwrap();
                let mut r = BufReader::new(stream);
                let _ = w.write_all(b"220 stall.test ESMTP\r\n");
                let mut line = String::new();
                let mut in_data = false;
                while r.read_line(&mut line).map(|n| n > 0).unwrap_or(false) {
                    let l = line.trim_end().to_ascii_uppercase();
                    let reply: &[u8] = if in_data {
                        if l == "." {
                            counter.fetch_add(1, Ordering::SeqCst);
                            // Taken, never acknowledged.
                            std::thread::sleep(Duration::from_secs(600));
                        }
                        b""
                    } else if l.starts_with("EHLO") {
                        b"250-stall.test\r\n250 8BITMIME\r\n"
                    } else if l.starts_with("DATA") {
                        in_data = true;
                        b"354 go ahead\r\n"
                    } else if l.starts_with("QUIT") {
                        let _ = w.write_all(b"221 bye\r\n");
                        break;
                    } else {
                        b"250 ok\r\n"
                    };
                    let _ = w.write_all(reply);
                    line.clear();
                }
            });
        }
    });
    (port, taken)
}

#[test]
fn a_killed_send_loses_nothing_and_sends_nothing_twice() {
    servers();
    let site = TestServer::fixture("acme-shop");
    site.accept_form("/kontakt/senden");
    let dir = tempfile::tempdir().unwrap();
    let db_path: PathBuf = dir.path().join("kill.db");
    let db = db_path.to_str().unwrap().to_owned();
    let (port, taken) = stalling_smtp();
    let url = site.url("/");
    let saved = scanned(&url, dir.path());
    let stall = format!("smtp://127.0.0.1:{port}?tls=none");
    let mut args = send_args(&saved, &db);
    args[7] = &stall;
    args.push("--yes");
    // What the child says goes to a file, so a run that never reaches the server says why.
    let said = dir.path().join("send.stderr");
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_reachaudit"))
        .env("REACHAUDIT_RENDER", "never")
        .args(&args)
        .stdout(std::process::Stdio::null())
        .stderr(std::fs::File::create(&said).unwrap())
        .spawn()
        .unwrap();
    // Kill it once the e-mail is handed over and unanswered, and the form still waits.
    let start = Instant::now();
    loop {
        let states: Vec<(String, ProbeState)> = if db_path.exists() {
            Store::open(&db_path)
                .and_then(|s| s.probes(None))
                .map(|ps| ps.into_iter().map(|p| (p.new.channel, p.state)).collect())
                .unwrap_or_default()
        } else {
            Vec::new()
        };
        let sending = states
            .iter()
            .any(|(c, s)| c == "email" && *s == ProbeState::Sending);
        if sending && taken.load(std::sync::atomic::Ordering::SeqCst) == 1 {
            assert!(
                states
                    .iter()
                    .any(|(c, s)| c == "contact_form" && *s == ProbeState::Planned),
                "{states:?}"
            );
            break;
        }
        // A hang detector, not a speed test: the whole suite may be running beside it.
        assert!(
            start.elapsed() < Duration::from_secs(120),
            "send never reached the mail server: {states:?}; exited: {:?}; it said: {}",
            child.try_wait(),
            std::fs::read_to_string(&said).unwrap_or_default()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    child.kill().unwrap();
    child.wait().unwrap();

    // The next run (with a working server) sends the planned form probe and not the e-mail again.
    let (code, out, err) = reachaudit(
        &{
            let mut a = send_args(&saved, &db);
            a.push("--yes");
            a
        },
        &[],
    );
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("resumed") && out.contains("not sent again"),
        "{out}"
    );
    let all = probes(&db_path);
    assert_eq!(all.len(), 2, "nothing lost, nothing added: {all:#?}");
    let mail = all.iter().find(|p| p.new.channel == "email").unwrap();
    let form = all
        .iter()
        .find(|p| p.new.channel == "contact_form")
        .unwrap();
    assert_eq!(mail.state, ProbeState::Sending, "unconfirmed, never resent");
    assert_eq!(form.state, ProbeState::Sent);
    assert_eq!(
        site.posted().len(),
        1,
        "the form got exactly one submission"
    );
    assert_eq!(taken.load(std::sync::atomic::Ordering::SeqCst), 1);
    std::thread::sleep(Duration::from_secs(1));
    assert!(
        mailbox("service@company.test")
            .iter()
            .all(|m| !String::from_utf8_lossy(&m.raw).contains(&mail.new.token)),
        "the e-mail did not go out a second time through the working server"
    );

    let (_, out, _) = reachaudit(&["probe", "status", "--db", &db, "--format", "json"], &[]);
    let status: Value = serde_json::from_str(&out).unwrap();
    let outcomes: Vec<&str> = status["probes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["outcome"].as_str().unwrap())
        .collect();
    assert!(
        outcomes.contains(&"unconfirmed") && outcomes.contains(&"pending"),
        "{outcomes:?}"
    );
}

#[test]
fn the_test_server_never_relays_off_the_machine() {
    servers();
    let refused = smtp_raw(
        "auditor@audit.test",
        "someone@example.com",
        "Subject: must not leave\n\nx\n",
    )
    .expect_err("mail to other domains is refused");
    assert!(
        refused.contains("550") && refused.contains("delivers only locally"),
        "{refused}"
    );
}

#[test]
fn the_probe_table_in_reachaudit_toml_carries_servers_and_password_files() {
    use std::os::unix::fs::PermissionsExt as _;
    servers();
    let dir = tempfile::tempdir().unwrap();
    drop(Store::open(&dir.path().join("study.db")).unwrap());
    let secret = dir.path().join("imap-password");
    std::fs::write(&secret, format!("{PASSWORD}\n")).unwrap();
    std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(0o644)).unwrap();
    let config = dir.path().join("reachaudit.toml");
    std::fs::write(
        &config,
        "[probe]\nimap = \"imaps://127.0.0.1:1993/INBOX\"\nimap_user = \"auditor@audit.test\"\n\
         imap_password_file = \"imap-password\"\nimap_ca = \"/etc/reachaudit-test/ca.pem\"\ndb = \"study.db\"\n",
    )
    .unwrap();
    let cfg = config.to_str().unwrap();
    let poll = ["probe", "poll", "--config", cfg];
    let (code, _, err) = reachaudit(&poll, &[("REACHAUDIT_IMAP_PASSWORD", "")]);
    assert_eq!(code, 2);
    assert!(
        err.contains("readable by others") && err.contains("chmod 600"),
        "{err}"
    );
    std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(0o600)).unwrap();
    let (code, out, err) = reachaudit(&poll, &[("REACHAUDIT_IMAP_PASSWORD", "")]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("imap://auditor@audit.test@127.0.0.1:1993/INBOX") && out.contains("0 new"),
        "paths resolve next to the file, the password comes from it: {out}"
    );
    assert!(!out.contains(PASSWORD) && !err.contains(PASSWORD));

    std::fs::write(&config, "[probe]\nsmtp_password = \"hunter2\"\n").unwrap();
    let (code, _, err) = reachaudit(&poll, &[]);
    assert_eq!(code, 2);
    assert!(
        err.contains("reachaudit.toml:2:") && err.contains("smtp_password"),
        "{err}"
    );
}
