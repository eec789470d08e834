//! The real mail servers the probe tests run against (Debian's postfix and dovecot on 127.0.0.1,
//! started by `.ci/mail-servers.sh`, which `.ci/run` calls): a reply sent through postfix to the
//! auditor's plus-address lands in the Maildir, is read back over IMAP from dovecot, carries its
//! token in `Delivered-To`, and is classified; mail to any other domain is refused, so a test can
//! never send anything off the machine. Without the servers these tests fail with the command
//! that starts them — they never pass silently.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

const SMTP: &str = "127.0.0.1:2525";
const IMAP: &str = "127.0.0.1:1143";
const PASSWORD: &str = "reachaudit-test";

fn connect(addr: &str) -> TcpStream {
    let stream = TcpStream::connect_timeout(&addr.parse().unwrap(), Duration::from_secs(3))
        .unwrap_or_else(|e| {
            panic!(
                "no mail server at {addr} ({e}); start postfix and dovecot with `bash .ci/mail-servers.sh` (.ci/run does)"
            )
        });
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    stream
}

/// A minimal SMTP client: one message, every reply code checked.
fn smtp_send(from: &str, to: &str, message: &str) -> Result<(), String> {
    let stream = connect(SMTP);
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut writer = stream;
    let mut expect = |code: &str| -> Result<(), String> {
        loop {
            let mut line = String::new();
            reader.read_line(&mut line).map_err(|e| e.to_string())?;
            if !line.starts_with(code) {
                return Err(line.trim_end().to_owned());
            }
            if line.as_bytes().get(3) != Some(&b'-') {
                return Ok(());
            }
        }
    };
    expect("220")?;
    let mut send = |cmd: &str, code: &str| -> Result<(), String> {
        writer
            .write_all(format!("{cmd}\r\n").as_bytes())
            .map_err(|e| e.to_string())?;
        expect(code)
    };
    send("EHLO test.reachaudit.invalid", "250")?;
    send(&format!("MAIL FROM:<{from}>"), "250")?;
    send(&format!("RCPT TO:<{to}>"), "250")?;
    send("DATA", "354")?;
    let body = message.replace("\n.", "\n..").replace('\n', "\r\n");
    send(&format!("{body}\r\n."), "250")?;
    send("QUIT", "221")
}

/// A minimal IMAP client: the full messages in INBOX whose Delivered-To holds `token`.
fn imap_fetch(user: &str, token: &str) -> Vec<Vec<u8>> {
    let stream = connect(IMAP);
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut writer = stream;
    let mut greeting = String::new();
    reader.read_line(&mut greeting).unwrap();
    assert!(greeting.starts_with("* OK"), "{greeting}");
    let mut tag = 0;
    let mut command = |cmd: &str| -> Vec<Vec<u8>> {
        tag += 1;
        writer
            .write_all(format!("a{tag} {cmd}\r\n").as_bytes())
            .unwrap();
        let mut lines = Vec::new();
        loop {
            let mut line = Vec::new();
            reader.read_until(b'\n', &mut line).unwrap();
            assert!(!line.is_empty(), "IMAP connection closed");
            // A literal {n}: the next n bytes are data.
            if let Some(n) = std::str::from_utf8(&line)
                .ok()
                .and_then(|l| l.trim_end().strip_suffix('}'))
                .and_then(|l| l.rsplit_once('{'))
                .and_then(|(_, n)| n.parse::<usize>().ok())
            {
                let mut data = vec![0; n];
                reader.read_exact(&mut data).unwrap();
                lines.push(data);
                continue;
            }
            let text = String::from_utf8_lossy(&line).into_owned();
            if text.starts_with(&format!("a{tag} ")) {
                assert!(text.starts_with(&format!("a{tag} OK")), "{cmd}: {text}");
                return lines;
            }
            lines.push(line);
        }
    };
    command(&format!("LOGIN \"{user}\" \"{PASSWORD}\""));
    command("SELECT INBOX");
    let found = command(&format!("UID SEARCH HEADER Delivered-To \"{token}\""));
    let uids: Vec<String> = found
        .iter()
        .map(|l| String::from_utf8_lossy(l).into_owned())
        .filter_map(|l| {
            l.strip_prefix("* SEARCH").map(|rest| {
                rest.split_whitespace()
                    .map(str::to_owned)
                    .collect::<Vec<_>>()
            })
        })
        .flatten()
        .collect();
    let mut messages = Vec::new();
    for uid in uids {
        let parts = command(&format!("UID FETCH {uid} BODY.PEEK[]"));
        let body = parts
            .into_iter()
            .filter(|p| !p.starts_with(b"* ") && p.as_slice() != b")\r\n")
            .max_by_key(Vec::len)
            .unwrap();
        messages.push(body);
    }
    command("LOGOUT");
    messages
}

fn fresh_token() -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let alphabet = reachaudit::probe::token::ALPHABET;
    let mut n = nanos ^ (u128::from(std::process::id()) << 64);
    let tail: String = (0..10)
        .map(|_| {
            let c = alphabet[(n % alphabet.len() as u128) as usize] as char;
            n /= alphabet.len() as u128;
            c
        })
        .collect();
    format!("ra-{tail}")
}

#[test]
fn a_reply_travels_through_postfix_and_dovecot_and_is_classified() {
    let token = fresh_token();
    let reply = format!(
        "From: Jan Becker <service@company.test>\n\
         To: auditor+{token}@audit.test\n\
         Subject: Re: Kurze Frage zur Erreichbarkeit [{token}]\n\
         In-Reply-To: <{token}@probe.reachaudit.invalid>\n\
         Message-ID: <{token}-reply@company.test>\n\
         Date: Wed, 25 Nov 2026 10:00:00 +0100\n\
         Content-Type: text/plain; charset=utf-8\n\
         \n\
         Ja, rufen Sie uns gern an: 030 1234567.\n\
         .A line that starts with a dot survives.\n\
         Gruß, Jan Becker\n"
    );
    smtp_send(
        "service@company.test",
        &format!("auditor+{token}@audit.test"),
        &reply,
    )
    .expect("postfix accepts mail for the auditor");

    // Delivery is asynchronous: poll the mailbox for a few seconds.
    let mut found = Vec::new();
    for _ in 0..50 {
        found = imap_fetch("auditor@audit.test", &token);
        if !found.is_empty() {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(
        found.len(),
        1,
        "the reply is in the auditor's INBOX exactly once"
    );
    let raw = String::from_utf8_lossy(&found[0]);
    assert!(
        raw.contains(&format!("Delivered-To: auditor+{token}@audit.test")),
        "plus-addressing keeps the token: {raw}"
    );
    assert!(raw.contains("\n.A line that starts with a dot survives."));
    let rules = reachaudit::rules::Rules::load(None).unwrap();
    let class = reachaudit::probe::classify(&found[0], &rules.mail);
    assert_eq!(
        class.class,
        reachaudit::probe::ReplyClass::Human,
        "{class:?}"
    );
}

#[test]
fn the_test_server_never_relays_off_the_machine() {
    let refused = smtp_send(
        "auditor@audit.test",
        "someone@example.com",
        "Subject: must not leave\n\nx\n",
    )
    .expect_err("mail to other domains is refused");
    assert!(refused.starts_with("5"), "{refused}");
}
