//! The auditor's mailbox: reading it (IMAP over TLS, or a Maildir folder), finding the probe a
//! message answers, and storing each reply once.
//!
//! Reading never changes the mailbox: IMAP opens it read-only (`EXAMINE`, `BODY.PEEK`) and a
//! Maildir is only listed and read. IMAP remembers the last UID stored per mailbox and
//! UIDVALIDITY, so an hourly poll fetches only what is new; a Maildir is read from the first
//! probe's day on. Storing is idempotent either way: a reply is keyed by its Message-ID.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use futures::TryStreamExt;
use mail_parser::{Message, MessageParser, PartType};

use super::classify::classify_message;
use super::send::Secret;
use super::token::TOKEN;
use crate::rules::MailCues;
use crate::store::{NewReply, ProbeState, Store, StoreError};

/// Larger messages are not replies to a one-sentence question.
pub const MAX_MESSAGE_BYTES: u32 = 25 * 1024 * 1024;

/// What can stop a poll.
#[derive(Debug, thiserror::Error)]
pub enum InboxError {
    /// A setting is wrong; the message names it and the fix.
    #[error("{0}")]
    Setting(String),
    /// The server or folder could not be read.
    #[error("{0}")]
    Read(String),
    /// The database.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// One message as read.
#[derive(Debug, Clone)]
pub struct Fetched {
    /// RFC 5322 bytes.
    pub raw: Vec<u8>,
    /// Where it was read (`imap://host/INBOX;UIDVALIDITY=…/;UID=…`, a Maildir file).
    pub source: String,
    /// When the auditor's server took it (IMAP INTERNALDATE, Maildir delivery time), unix seconds.
    pub arrived: Option<i64>,
}

/// How to reach the auditor's IMAP mailbox.
#[derive(Debug, Clone)]
pub struct ImapSettings {
    /// `imaps://host[:993][/MAILBOX]`, or `imap://127.0.0.1:PORT[/MAILBOX]` (plain, loopback only).
    pub url: String,
    /// Login name.
    pub user: String,
    /// Password.
    pub password: Secret,
    /// Extra CA certificate (PEM) to trust.
    pub ca_file: Option<PathBuf>,
}

struct Endpoint {
    host: String,
    port: u16,
    tls: bool,
    mailbox: String,
}

impl ImapSettings {
    fn endpoint(&self) -> Result<Endpoint, InboxError> {
        let bad = |why: &str| {
            InboxError::Setting(format!("--imap {}: {why}", super::redacted(&self.url)))
        };
        let (url, host) = super::server_url(
            &self.url,
            "imaps://imap.example.org/INBOX",
            "REACHAUDIT_IMAP_PASSWORD",
        )
        .map_err(|why| bad(&why))?;
        let (tls, port) = match url.scheme() {
            "imaps" => (true, url.port().unwrap_or(993)),
            "imap" => (false, url.port().unwrap_or(143)),
            _ => return Err(bad("use imaps:// (TLS)")),
        };
        if !tls && !super::is_loopback(&host) {
            return Err(bad(
                "plain text would expose the password; use imaps:// (plain imap:// is for loopback only)",
            ));
        }
        let mailbox = percent_encoding::percent_decode_str(url.path().trim_start_matches('/'))
            .decode_utf8_lossy()
            .into_owned();
        Ok(Endpoint {
            host,
            port,
            tls,
            mailbox: if mailbox.is_empty() {
                "INBOX".to_owned()
            } else {
                mailbox
            },
        })
    }

    /// The name the read position is stored under (server, user and folder; no secret).
    ///
    /// # Errors
    /// A bad URL.
    pub fn source(&self) -> Result<String, InboxError> {
        let e = self.endpoint()?;
        Ok(format!(
            "imap://{}@{}:{}/{}",
            self.user, e.host, e.port, e.mailbox
        ))
    }
}

/// Hands new messages in the IMAP mailbox to `batch`, fifty at a time, each with the position
/// after it (UIDVALIDITY, last UID) to store once the batch is processed — so a poll that breaks
/// off keeps what it did. Without a valid stored position, only messages since `since` (unix
/// seconds: the first probe's day) are read.
///
/// # Errors
/// Connection, TLS, login or folder errors, each with the fix, or what `batch` returns.
pub async fn read_imap(
    settings: &ImapSettings,
    cursor: Option<(u32, u32)>,
    since: Option<i64>,
    timeout: Duration,
    batch: &mut dyn FnMut(Vec<Fetched>, (u32, u32)) -> Result<(), InboxError>,
) -> Result<(), InboxError> {
    let e = settings.endpoint()?;
    let shown = settings.url.clone();
    let fail = |what: &str, err: &dyn std::fmt::Display| {
        InboxError::Read(format!("--imap {shown}: {what}: {err}"))
    };
    let tcp = tokio::time::timeout(
        timeout,
        tokio::net::TcpStream::connect((e.host.as_str(), e.port)),
    )
    .await
    .map_err(|_| fail("cannot connect", &"timed out"))?
    .map_err(|err| fail("cannot connect", &err))?;
    if e.tls {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let mut roots = rustls::RootCertStore::empty();
        for cert in rustls_native_certs::load_native_certs().certs {
            let _ = roots.add(cert);
        }
        if let Some(ca) = &settings.ca_file {
            use rustls::pki_types::CertificateDer;
            use rustls::pki_types::pem::PemObject;
            let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(ca)
                .and_then(Iterator::collect)
                .map_err(|err| {
                    InboxError::Setting(format!(
                        "--imap-ca {}: not a PEM certificate file ({err})",
                        ca.display()
                    ))
                })?;
            for cert in certs {
                roots.add(cert).map_err(|err| {
                    InboxError::Setting(format!("--imap-ca {}: {err}", ca.display()))
                })?;
            }
        }
        let config = rustls::ClientConfig::builder()
            .with_root_certificates(roots)
            .with_no_client_auth();
        let name = rustls::pki_types::ServerName::try_from(e.host.clone())
            .map_err(|err| fail("bad host name", &err))?;
        let stream = tokio::time::timeout(
            timeout,
            tokio_rustls::TlsConnector::from(Arc::new(config)).connect(name, tcp),
        )
        .await
        .map_err(|_| fail("TLS", &"timed out"))?
        .map_err(|err| fail("TLS", &err))?;
        let client = async_imap::Client::new(stream);
        session(client, settings, &e, (cursor, since), timeout, batch).await
    } else {
        let client = async_imap::Client::new(tcp);
        session(client, settings, &e, (cursor, since), timeout, batch).await
    }
}

async fn session<T>(
    mut client: async_imap::Client<T>,
    settings: &ImapSettings,
    e: &Endpoint,
    (cursor, since): (Option<(u32, u32)>, Option<i64>),
    timeout: Duration,
    batch: &mut dyn FnMut(Vec<Fetched>, (u32, u32)) -> Result<(), InboxError>,
) -> Result<(), InboxError>
where
    T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + std::fmt::Debug + Send,
{
    let shown = settings.url.clone();
    let fail = |what: &str, err: &dyn std::fmt::Display| {
        InboxError::Read(format!("--imap {shown}: {what}: {err}"))
    };
    let within = |what: &'static str| {
        let shown = shown.clone();
        move |_| InboxError::Read(format!("--imap {shown}: {what}: timed out"))
    };
    tokio::time::timeout(timeout, client.read_response())
        .await
        .map_err(within("greeting"))?
        .map_err(|err| fail("greeting", &err))?;
    let mut session =
        tokio::time::timeout(timeout, client.login(&settings.user, &settings.password.0))
            .await
            .map_err(within("login"))?
            .map_err(|(err, _)| {
                fail(
                    "login refused (check REACHAUDIT_IMAP_USER and REACHAUDIT_IMAP_PASSWORD)",
                    &err,
                )
            })?;
    // Read-only: the auditor's unread marks stay as they are.
    let mailbox = tokio::time::timeout(timeout, session.examine(&e.mailbox))
        .await
        .map_err(within("open folder"))?
        .map_err(|err| fail(&format!("cannot open folder {}", e.mailbox), &err))?;
    let validity = mailbox.uid_validity.unwrap_or(0);
    let (after, since) = match cursor {
        Some((v, last)) if v == validity => (last, None),
        // New, or renumbered by the server (UIDVALIDITY changed): from the first probe's day.
        _ => (0, since),
    };
    let query = match since {
        Some(ts) => {
            let d = mail_parser::DateTime::from_timestamp(ts);
            let month = [
                "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
            ]
            .get(usize::from(d.month.saturating_sub(1)))
            .copied()
            .unwrap_or("Jan");
            format!(
                "UID {}:* SINCE {}-{month}-{}",
                after.saturating_add(1),
                d.day,
                d.year
            )
        }
        None => format!("UID {}:*", after.saturating_add(1)),
    };
    let mut uids: Vec<u32> = tokio::time::timeout(timeout, session.uid_search(query))
        .await
        .map_err(within("search"))?
        .map_err(|err| fail("search", &err))?
        .into_iter()
        // `n:*` always names the last message, even when it is older than n.
        .filter(|u| *u > after)
        .collect();
    uids.sort_unstable();
    let mut last = after;
    for chunk in uids.chunks(50) {
        let mut out = Vec::new();
        let set = chunk
            .iter()
            .map(u32::to_string)
            .collect::<Vec<_>>()
            .join(",");
        let sizes: Vec<(u32, u32)> = {
            let stream =
                tokio::time::timeout(timeout, session.uid_fetch(&set, "(UID RFC822.SIZE)"))
                    .await
                    .map_err(within("fetch"))?
                    .map_err(|err| fail("fetch", &err))?;
            let fetched: Vec<_> = tokio::time::timeout(timeout, stream.try_collect::<Vec<_>>())
                .await
                .map_err(within("fetch"))?
                .map_err(|err| fail("fetch", &err))?;
            fetched
                .iter()
                .filter_map(|f| Some((f.uid?, f.size.unwrap_or(0))))
                .collect()
        };
        let wanted: Vec<String> = sizes
            .iter()
            .filter(|(_, size)| *size <= MAX_MESSAGE_BYTES)
            .map(|(uid, _)| uid.to_string())
            .collect();
        if !wanted.is_empty() {
            let stream = tokio::time::timeout(
                timeout,
                session.uid_fetch(wanted.join(","), "(UID INTERNALDATE BODY.PEEK[])"),
            )
            .await
            .map_err(within("fetch"))?
            .map_err(|err| fail("fetch", &err))?;
            let fetched: Vec<_> = tokio::time::timeout(timeout * 4, stream.try_collect::<Vec<_>>())
                .await
                .map_err(within("fetch"))?
                .map_err(|err| fail("fetch", &err))?;
            for f in &fetched {
                let (Some(uid), Some(body)) = (f.uid, f.body()) else {
                    continue;
                };
                out.push(Fetched {
                    raw: body.to_vec(),
                    source: format!(
                        "imap://{}:{}/{};UIDVALIDITY={validity}/;UID={uid}",
                        e.host, e.port, e.mailbox
                    ),
                    arrived: f.internal_date().map(|d| d.timestamp()),
                });
            }
        }
        last = last.max(chunk.iter().copied().max().unwrap_or(last));
        batch(out, (validity, last))?;
    }
    if uids.is_empty() {
        batch(Vec::new(), (validity, last))?;
    }
    let _ = tokio::time::timeout(timeout, session.logout()).await;
    Ok(())
}

/// Messages in a Maildir (`new/` and `cur/`) delivered at or after `since` (unix seconds).
///
/// # Errors
/// Not a Maildir, or unreadable.
pub fn read_maildir(dir: &Path, since: i64) -> Result<Vec<Fetched>, InboxError> {
    let shown = dir.display();
    if !dir.join("cur").is_dir() && !dir.join("new").is_dir() {
        return Err(InboxError::Setting(format!(
            "--maildir {shown}: not a Maildir (no cur/ or new/ inside); give the folder that holds them"
        )));
    }
    let mut out = Vec::new();
    for sub in ["new", "cur"] {
        let folder = dir.join(sub);
        if !folder.is_dir() {
            continue;
        }
        let entries = std::fs::read_dir(&folder).map_err(|e| {
            InboxError::Read(format!("--maildir {shown}/{sub}: cannot read it ({e})"))
        })?;
        for entry in entries {
            let entry = entry.map_err(|e| InboxError::Read(format!("--maildir {shown}: {e}")))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.starts_with('.') {
                continue;
            }
            let meta = entry
                .metadata()
                .map_err(|e| InboxError::Read(format!("--maildir {shown}/{sub}/{name}: {e}")))?;
            if !meta.is_file() || meta.len() > u64::from(MAX_MESSAGE_BYTES) {
                continue;
            }
            // Maildir names start with the delivery time; the file's time is the fallback.
            let delivered = name
                .split('.')
                .next()
                .and_then(|s| s.parse::<i64>().ok())
                .or_else(|| {
                    meta.modified().ok().and_then(|t| {
                        t.duration_since(std::time::UNIX_EPOCH)
                            .ok()
                            .and_then(|d| i64::try_from(d.as_secs()).ok())
                    })
                });
            if delivered.is_some_and(|d| d < since) {
                continue;
            }
            let raw = std::fs::read(entry.path())
                .map_err(|e| InboxError::Read(format!("--maildir {shown}/{sub}/{name}: {e}")))?;
            // The unique part stays when a message moves from new/ to cur/ and gets flags.
            let unique = name.split(':').next().unwrap_or(&name).to_owned();
            out.push(Fetched {
                raw,
                source: format!("maildir:{}/{unique}", dir.display()),
                arrived: delivered,
            });
        }
    }
    out.sort_by(|a, b| a.arrived.cmp(&b.arrived).then(a.source.cmp(&b.source)));
    Ok(out)
}

/// Which probe a message answers, and where its token was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Match {
    /// The token.
    pub token: String,
    /// `to` (the reply address), `in_reply_to` (In-Reply-To/References), `subject`, `body`
    /// (quoted text), `attachment` (the original inside a bounce).
    pub matched_by: &'static str,
}

/// Finds the first token `known` accepts, in the order a reply most reliably keeps it.
#[must_use]
pub fn find_token(message: &Message<'_>, known: &dyn Fn(&str) -> bool) -> Option<Match> {
    let first = |text: &str| {
        TOKEN
            .find_iter(text)
            .map(|m| m.as_str().to_ascii_lowercase())
            .find(|t| known(t))
    };
    let headers = |names: &[&str]| {
        message
            .headers_raw()
            .filter(|(n, _)| names.iter().any(|x| n.eq_ignore_ascii_case(x)))
            .map(|(_, v)| v)
            .collect::<Vec<_>>()
            .join("\n")
    };
    let places: [(&'static str, String); 3] = [
        (
            "to",
            headers(&[
                "To",
                "Cc",
                "Delivered-To",
                "X-Original-To",
                "Envelope-To",
                "X-Envelope-To",
            ]),
        ),
        ("in_reply_to", headers(&["In-Reply-To", "References"])),
        ("subject", message.subject().unwrap_or_default().to_owned()),
    ];
    for (by, text) in &places {
        if let Some(token) = first(text) {
            return Some(Match {
                token,
                matched_by: by,
            });
        }
    }
    let mut i = 0;
    while let Some(text) = message.body_text(i) {
        if let Some(token) = first(&text) {
            return Some(Match {
                token,
                matched_by: "body",
            });
        }
        i += 1;
    }
    for part in &message.parts {
        let text = match &part.body {
            PartType::Message(inner) => String::from_utf8_lossy(inner.raw_message()).into_owned(),
            PartType::Text(t) | PartType::Html(t) => t.to_string(),
            PartType::Binary(b) | PartType::InlineBinary(b) => {
                String::from_utf8_lossy(b).into_owned()
            }
            PartType::Multipart(_) => continue,
        };
        if let Some(token) = first(&text) {
            return Some(Match {
                token,
                matched_by: "attachment",
            });
        }
    }
    None
}

/// What a poll did.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Summary {
    /// Messages read.
    pub read: usize,
    /// Messages that answer a probe.
    pub matched: usize,
    /// Replies stored now (the rest were stored by an earlier poll).
    pub stored: usize,
    /// Probes left `sending` by an interrupted run that a reply now proves sent.
    pub confirmed: usize,
    /// The replies stored now.
    pub new: Vec<NewReplySummary>,
}

impl Summary {
    /// Adds a later batch's figures.
    pub fn add(&mut self, other: Self) {
        self.read += other.read;
        self.matched += other.matched;
        self.stored += other.stored;
        self.confirmed += other.confirmed;
        self.new.extend(other.new);
    }
}

/// One reply stored by this poll.
#[derive(Debug, Clone, serde::Serialize)]
pub struct NewReplySummary {
    /// The probe's token.
    pub token: String,
    /// The company.
    pub company: String,
    /// The class.
    pub class: String,
    /// Seconds after the probe was sent.
    pub after_secs: Option<i64>,
    /// From.
    pub sender: Option<String>,
    /// How it was matched.
    pub matched_by: String,
}

/// Matches, classifies and stores messages; storing twice adds nothing.
///
/// # Errors
/// A failed write.
pub fn absorb(
    store: &mut Store,
    messages: &[Fetched],
    cues: &MailCues,
    now: i64,
) -> Result<Summary, InboxError> {
    let probes = store.probes(None)?;
    let own_ids: std::collections::HashSet<String> = probes
        .iter()
        .map(|p| normalize_id(&p.new.message_id))
        .collect();
    let own_addresses: std::collections::HashSet<String> = probes
        .iter()
        .filter_map(|p| address_of(&p.new.sender))
        .collect();
    let tokens: std::collections::HashSet<&str> =
        probes.iter().map(|p| p.new.token.as_str()).collect();
    let mut summary = Summary::default();
    for m in messages {
        summary.read += 1;
        let Some(message) = MessageParser::default().parse(&m.raw) else {
            continue;
        };
        let id = message.message_id().map(normalize_id);
        // A copy of our own probe (a Bcc, a sent folder, a company echoing it back unchanged).
        if id.as_ref().is_some_and(|id| own_ids.contains(id)) {
            continue;
        }
        // The auditor's own follow-up or a sent-folder copy quotes the token too.
        if message
            .header_raw("From")
            .and_then(address_of)
            .is_some_and(|a| own_addresses.contains(&a))
        {
            continue;
        }
        let Some(found) = find_token(&message, &|t| tokens.contains(t)) else {
            continue;
        };
        let Some(probe) = probes.iter().find(|p| p.new.token == found.token) else {
            continue;
        };
        summary.matched += 1;
        let received_at = m
            .arrived
            .or_else(|| {
                message
                    .received()
                    .and_then(|r| r.date())
                    .map(|d| d.to_timestamp())
            })
            .or_else(|| message.date().map(mail_parser::DateTime::to_timestamp))
            .unwrap_or(now);
        let class = classify_message(&message, cues);
        let key = id.unwrap_or_else(|| format!("sha256:{}", digest(&m.raw)));
        let sender = message
            .header_raw("From")
            .map(|f| crate::report::clean(f.trim()));
        let reply = NewReply {
            probe_id: probe.id,
            message_key: key,
            received_at,
            sender: sender.clone(),
            subject: message.subject().map(crate::report::clean),
            class: class.class.as_str().to_owned(),
            automated: class.automated,
            signals: class.signals,
            failed_recipient: class.recipient,
            status: class.status,
            matched_by: found.matched_by.to_owned(),
            source: m.source.clone(),
        };
        let proves_arrival = probe.state == ProbeState::Sending
            || (probe.state == ProbeState::Failed && class.class != super::ReplyClass::Bounce);
        if proves_arrival
            && store.confirm_sent(probe.id, &format!("a reply arrived ({})", m.source))?
        {
            summary.confirmed += 1;
        }
        if store.add_reply(&reply)? {
            summary.stored += 1;
            let sent_at = probe.sent_at.or(probe.sending_at);
            summary.new.push(NewReplySummary {
                token: probe.new.token.clone(),
                company: probe.new.company.clone(),
                class: reply.class.clone(),
                after_secs: sent_at.map(|s| (received_at - s).max(0)),
                sender,
                matched_by: reply.matched_by,
            });
        }
    }
    Ok(summary)
}

/// The bare, lower-case address in `Name <address>` or a plain address.
fn address_of(mailbox: &str) -> Option<String> {
    let inner = match (mailbox.rfind('<'), mailbox.rfind('>')) {
        (Some(a), Some(b)) if a < b => &mailbox[a + 1..b],
        _ => mailbox,
    };
    let inner = inner.trim();
    inner.contains('@').then(|| inner.to_ascii_lowercase())
}

fn normalize_id(id: &str) -> String {
    format!(
        "<{}>",
        id.trim()
            .trim_start_matches('<')
            .trim_end_matches('>')
            .to_ascii_lowercase()
    )
}

fn digest(raw: &[u8]) -> String {
    ring::digest::digest(&ring::digest::SHA256, raw)
        .as_ref()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(raw: &str) -> Message<'_> {
        MessageParser::default().parse(raw.as_bytes()).unwrap()
    }

    #[test]
    fn the_token_is_found_wherever_a_reply_kept_it() {
        let known = |t: &str| t == "ra-abcdefghjk";
        let cases = [
            (
                "To: Erika <auditor+ra-abcdefghjk@audit.test>\r\nSubject: Re: Frage\r\n\r\nJa.\r\n",
                "to",
            ),
            (
                "To: auditor@audit.test\r\nIn-Reply-To: <ra-abcdefghjk@audit.test>\r\nSubject: Re\r\n\r\nJa.\r\n",
                "in_reply_to",
            ),
            (
                "To: auditor@audit.test\r\nSubject: =?utf-8?q?AW=3A_Frage_=5Bra-abcdefghjk=5D?=\r\n\r\nJa.\r\n",
                "subject",
            ),
            (
                "To: auditor@audit.test\r\nSubject: Ihre Anfrage\r\n\r\nJa.\r\n> Referenz: ra-abcdefghjk\r\n",
                "body",
            ),
            (
                "To: auditor@audit.test\r\nSubject: Undelivered Mail\r\nContent-Type: multipart/report; report-type=delivery-status; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nSorry.\r\n--b\r\nContent-Type: message/rfc822\r\n\r\nMessage-ID: <ra-abcdefghjk@audit.test>\r\nSubject: Frage\r\n\r\nHallo\r\n--b--\r\n",
                "attachment",
            ),
        ];
        for (raw, by) in cases {
            let m = find_token(&parse(raw), &known);
            assert_eq!(
                m,
                Some(Match {
                    token: "ra-abcdefghjk".into(),
                    matched_by: by
                }),
                "{raw}"
            );
        }
        let stranger = parse("To: a@b.test\r\nSubject: [ra-zzzzzzzzzz]\r\n\r\nx\r\n");
        assert_eq!(
            find_token(&stranger, &known),
            None,
            "only our own tokens count"
        );
    }

    #[test]
    fn own_copies_are_skipped_and_a_reply_confirms_an_unconfirmed_probe() {
        use crate::store::{NewProbe, ProbeState, Store};
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("r.db")).unwrap();
        let p = store
            .plan(
                &NewProbe {
                    token: "ra-abcdefghjk".into(),
                    company: "example.de".into(),
                    channel: "email".into(),
                    target: "service@example.de".into(),
                    page_url: None,
                    sender: "Erika Mustermann <Erika@Audit.test>".into(),
                    reply_to: "erika+ra-abcdefghjk@audit.test".into(),
                    message_id: "<ra-abcdefghjk@audit.test>".into(),
                    subject: "Frage [ra-abcdefghjk]".into(),
                    body: "Referenz: ra-abcdefghjk".into(),
                },
                100,
            )
            .unwrap();
        store
            .transition(p.id, ProbeState::Planned, ProbeState::Sending, 110, None)
            .unwrap();
        let mail = |raw: &str, source: &str| Fetched {
            raw: raw.replace('\n', "\r\n").into_bytes(),
            source: source.into(),
            arrived: Some(500),
        };
        let messages = [
            // The probe itself, e.g. a Bcc copy.
            mail(
                "From: Erika <erika@audit.test>\nMessage-ID: <ra-abcdefghjk@audit.test>\nSubject: Frage [ra-abcdefghjk]\n\nx\n",
                "1",
            ),
            // The auditor's own follow-up.
            mail(
                "From: erika@audit.test\nMessage-ID: <f@audit.test>\nSubject: Re: Frage [ra-abcdefghjk]\n\nNachfrage\n",
                "2",
            ),
            // The company's answer.
            mail(
                "From: Jan <jan@example.de>\nTo: erika+ra-abcdefghjk@audit.test\nMessage-ID: <a@example.de>\nSubject: Re: Frage\n\nJa, gern.\n",
                "3",
            ),
        ];
        let rules = crate::rules::Rules::load(None).unwrap();
        let s = absorb(&mut store, &messages, &rules.mail, 600).unwrap();
        assert_eq!((s.read, s.matched, s.stored, s.confirmed), (3, 1, 1, 1));
        let p = store.probe_by_token("ra-abcdefghjk").unwrap().unwrap();
        assert_eq!((p.state, p.sent_at), (ProbeState::Sent, Some(110)));
        let s = absorb(&mut store, &messages, &rules.mail, 700).unwrap();
        assert_eq!((s.matched, s.stored), (1, 0), "stored once");
    }
}
