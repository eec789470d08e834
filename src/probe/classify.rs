//! What kind of answer a reply is: a person, an auto-reply, an out-of-office notice, a ticket
//! acknowledgement, a bounce, or unknown. A ticket acknowledgement is not a human reply, and a
//! bounce means the published address does not work — both are findings in their own right.
//!
//! The order of the checks is fixed here; the headers, helpdesks and words are data in
//! `rules/cues/mail.toml`. Every class comes with the signals that decided it, so a reader can
//! check the call. Wording is only looked for in the reply's own text: the quoted probe below a
//! person's answer must never make it look automated.

use std::sync::LazyLock;

use mail_parser::{Message, MessageParser, MimeHeaders, PartType};
use regex::Regex;
use serde::Serialize;

use crate::rules::MailCues;
use crate::rules::cues::{ClassWords, MailSystem};

/// The class of a reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ReplyClass {
    /// A person answered.
    Human,
    /// An automatic answer without a ticket.
    AutoReply,
    /// An absence notice.
    OutOfOffice,
    /// A helpdesk confirmed receipt: a machine, and no answer yet.
    TicketAck,
    /// The message could not be delivered.
    Bounce,
    /// Delivery is delayed and still being retried: not a bounce yet, and not an answer.
    Delayed,
    /// A filter holds the probe until the sender proves to be a person: automated, not an
    /// answer, and only a person can release it.
    ChallengeResponse,
    /// None of the above (a newsletter, mail that answers nothing).
    Unknown,
}

impl ReplyClass {
    /// The snake-case name.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Human => "human",
            Self::AutoReply => "auto_reply",
            Self::OutOfOffice => "out_of_office",
            Self::TicketAck => "ticket_ack",
            Self::Bounce => "bounce",
            Self::Delayed => "delayed",
            Self::ChallengeResponse => "challenge_response",
            Self::Unknown => "unknown",
        }
    }
}

/// A class with the reasons for it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Classification {
    /// The class.
    pub class: ReplyClass,
    /// Sent by a machine (`true`), written by a person (`false`, only when the evidence says so:
    /// a reply with its own text and no automation header or wording), or undecided (`null`).
    pub automated: Option<bool>,
    /// What decided it: headers as `Name: value`, wording as `subject: …` or `text: …`.
    pub signals: Vec<String>,
    /// For a bounce or a delay warning: the address that failed, as the notice names it.
    pub recipient: Option<String>,
    /// For a bounce or a delay warning: the RFC 3463 status (`5.1.1`), from the notice or, when
    /// it gives none, from its wording. 5.x.x is permanent, 4.x.x temporary.
    pub status: Option<String>,
}

/// Classifies a raw message (RFC 5322 bytes).
#[must_use]
pub fn classify(raw: &[u8], cues: &MailCues) -> Classification {
    match MessageParser::default().parse(raw) {
        Some(message) => classify_message(&message, cues),
        None => undecided(vec!["not a parseable e-mail".to_owned()]),
    }
}

/// Classifies a parsed message.
#[must_use]
pub fn classify_message(message: &Message<'_>, cues: &MailCues) -> Classification {
    let subject = message.subject().unwrap_or_default().to_lowercase();
    let own = own_text(message, cues);
    let mut signals = Vec::new();

    // 1. Delivery notices: a failed one is a bounce, a delayed one only a warning.
    if let Some(notice) = delivery_notice(message, &subject, &own, cues) {
        return notice;
    }

    // 2. What the headers say.
    let mut automated = false;
    for header in &cues.headers {
        for value in header_values(message, &header.name) {
            let v = value.trim().to_ascii_lowercase();
            let counts = if !header.values.is_empty() {
                header.values.iter().any(|x| v.starts_with(x.as_str()))
            } else {
                !header.except.contains(&v)
            };
            if counts {
                automated = true;
                signals.push(format!("{}: {}", canonical(&header.name), value.trim()));
            }
        }
    }
    let helpdesk = helpdesk(message, cues);
    if let Some(id) = &helpdesk {
        signals.push(format!("helpdesk: {id}"));
    }
    let list = !message.list_unsubscribe().is_empty() || !message.list_id().is_empty();

    // 3. Wording, strongest class first. Helpdesks stamp their agents' answers with the same
    // automation headers as their acknowledgements, so there only wording decides.
    // A challenge holds the probe whatever else it says ("automatic", "received").
    if let Some(s) = words(&subject, &own, &cues.challenge) {
        signals.push(s);
        signals.push("a person must confirm before the probe is delivered".to_owned());
        return done(ReplyClass::ChallengeResponse, true, signals);
    }
    if let Some(s) = words(&subject, &own, &cues.out_of_office) {
        signals.push(s);
        return done(ReplyClass::OutOfOffice, true, signals);
    }
    if let Some(s) = words(&subject, &own, &cues.ticket_ack) {
        signals.push(s);
        return done(ReplyClass::TicketAck, true, signals);
    }
    if let Some(s) = words(&subject, &own, &cues.auto_reply) {
        signals.push(s);
        return done(ReplyClass::AutoReply, true, signals);
    }
    if list {
        signals.push("mailing-list headers (List-Unsubscribe/List-Id)".to_owned());
        return done(ReplyClass::Unknown, true, signals);
    }
    if automated && helpdesk.is_none() {
        return done(ReplyClass::AutoReply, true, signals);
    }
    if own.trim().is_empty() {
        signals.push("no text of its own".to_owned());
        return undecided(signals);
    }
    if !is_reply(message, &subject, cues) {
        signals.push(
            "not a reply: no In-Reply-To or References, no reply prefix, no probe token".to_owned(),
        );
        return undecided(signals);
    }
    signals.push(match &helpdesk {
        Some(id) => {
            format!("written by a person through {id}: no acknowledgement or automatic wording")
        }
        None => "no automation header or wording".to_owned(),
    });
    done(ReplyClass::Human, false, signals)
}

/// Some sign that the mail answers something: threading headers, a reply prefix, or a token.
fn is_reply(message: &Message<'_>, subject: &str, cues: &MailCues) -> bool {
    if !message.in_reply_to().is_empty() || !message.references().is_empty() {
        return true;
    }
    let trimmed = subject.trim_start_matches(|c: char| c == '[' || c.is_whitespace());
    if cues.reply.prefixes.iter().any(|p| {
        subject.starts_with(p.as_str())
            || trimmed.contains(&format!(" {p}"))
            || trimmed.starts_with(p.as_str())
    }) {
        return true;
    }
    super::token::TOKEN.is_match(&String::from_utf8_lossy(message.raw_message()))
}

fn done(class: ReplyClass, automated: bool, signals: Vec<String>) -> Classification {
    Classification {
        class,
        automated: Some(automated),
        signals,
        recipient: None,
        status: None,
    }
}

/// Nothing says who wrote it: `automated` stays `null`, never a silent "a person".
fn undecided(signals: Vec<String>) -> Classification {
    Classification {
        class: ReplyClass::Unknown,
        automated: None,
        signals,
        recipient: None,
        status: None,
    }
}

/// `auto-submitted` → `Auto-Submitted`, for signals people read.
fn canonical(name: &str) -> String {
    name.split('-')
        .map(|p| {
            let mut c = p.chars();
            c.next()
                .map(|f| f.to_uppercase().chain(c).collect::<String>())
                .unwrap_or_default()
        })
        .collect::<Vec<_>>()
        .join("-")
}

fn header_values<'a>(message: &'a Message<'_>, name: &str) -> Vec<&'a str> {
    message
        .headers_raw()
        .filter(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v)
        .collect()
}

fn helpdesk(message: &Message<'_>, cues: &MailCues) -> Option<String> {
    let names: Vec<String> = message
        .headers_raw()
        .map(|(n, _)| n.to_ascii_lowercase())
        .collect();
    let message_id = message
        .message_id()
        .unwrap_or_default()
        .to_ascii_lowercase();
    cues.helpdesks
        .iter()
        .find(|h| {
            h.headers.iter().any(|x| names.contains(x))
                || h.message_id.iter().any(|x| message_id.contains(x.as_str()))
        })
        .map(|h| h.id.clone())
}

/// A delivery notice: an RFC 3464 report, an `X-Failed-Recipients` header, or a mail system's
/// own wording (`rules/cues/mail.toml`). `None` when the mail is not one.
fn delivery_notice(
    message: &Message<'_>,
    subject: &str,
    own: &str,
    cues: &MailCues,
) -> Option<Classification> {
    let report = delivery_report(message);
    let text = notice_text(message, report.as_ref());
    let mut signals = Vec::new();
    let sender = Sender::of(message);
    let names: Vec<String> = message
        .headers_raw()
        .map(|(n, _)| n.to_ascii_lowercase())
        .collect();
    let by_sender = cues
        .systems
        .iter()
        .find(|s| sender.is(&s.senders, &s.names) || s.headers.iter().any(|h| names.contains(h)));
    let from_system = by_sender.is_some() || sender.is(&cues.bounce.senders, &cues.bounce.names);
    // A mail system's notice is read whole; anybody else's text only up to the quote.
    let body = if from_system { text.as_str() } else { own };
    let delay_subject = system_word(subject, &cues.delayed.subject, cues, |s| &s.delayed_subject);
    let delay_body = system_word(body, &cues.delayed.body, cues, |s| &s.delayed_body);
    let fail_subject = system_word(subject, &cues.bounce.subject, cues, |s| &s.subject);
    let fail_body = system_word(body, &cues.bounce.body, cues, |s| &s.body);
    let code = first_status_code(&text);

    let class = if let Some(report) = &report
        && let Some(action) = &report.action
    {
        signals.push(format!("delivery report: Action: {action}"));
        if action.starts_with("failed") {
            ReplyClass::Bounce
        } else if action.starts_with("delayed") {
            ReplyClass::Delayed
        } else {
            // relayed, delivered, expanded: a success report says nothing about a person.
            return Some(done(ReplyClass::AutoReply, true, signals));
        }
    } else if let Some(failed) = message.header_raw("X-Failed-Recipients") {
        signals.push(format!("X-Failed-Recipients: {}", failed.trim()));
        ReplyClass::Bounce
    } else if from_system && (delay_subject.is_some() || delay_body.is_some()) {
        signals.push(format!("from {}", sender.describe()));
        signals.extend(delay_subject.map(|(w, _)| format!("subject: {w}")));
        signals.extend(delay_body.map(|(w, _)| format!("text: {w}")));
        ReplyClass::Delayed
    } else if (from_system && (fail_subject.is_some() || fail_body.is_some()))
        || (fail_subject.is_some() && fail_body.is_some())
    {
        if from_system {
            signals.push(format!("from {}", sender.describe()));
        }
        signals.extend(fail_subject.map(|(w, _)| format!("subject: {w}")));
        signals.extend(fail_body.map(|(w, _)| format!("text: {w}")));
        ReplyClass::Bounce
    } else if from_system && let Some(code) = &code {
        // No wording either way: the status code says whether it is final.
        signals.push(format!("from {}", sender.describe()));
        signals.push(format!("status code {code} in the text"));
        if code.starts_with('5') {
            ReplyClass::Bounce
        } else {
            ReplyClass::Delayed
        }
    } else {
        return None;
    };

    let system = by_sender
        .or_else(|| {
            // Text wording is more particular to a system than a subject line.
            [delay_body, fail_body, delay_subject, fail_subject]
                .into_iter()
                .flatten()
                .find_map(|(_, s)| s)
        })
        .map(|s| s.name.as_str());
    if let Some(name) = system {
        signals.push(format!("mail system: {name}"));
    }
    let recipient = report
        .as_ref()
        .and_then(|r| r.recipient.clone())
        .or_else(|| {
            message
                .header_raw("X-Failed-Recipients")
                .and_then(|v| v.split(',').next())
                .map(|v| v.trim().trim_matches(['<', '>']).to_ascii_lowercase())
                .filter(|v| v.contains('@'))
        })
        .or_else(|| recipient_in_text(&text, message, cues));
    let status = settle_status(
        report.as_ref().and_then(|r| r.status.clone()),
        code,
        class,
        &text,
        cues,
    );
    if let Some(r) = &recipient {
        signals.push(format!("failed recipient: {r}"));
    }
    if let Some((code, meaning)) = &status {
        let kind = if code.starts_with('5') {
            "permanent"
        } else {
            "temporary"
        };
        signals.push(match meaning {
            Some(m) => format!("status {code}: {kind}, {m}"),
            None => format!("status {code}: {kind}"),
        });
    }
    Some(Classification {
        class,
        automated: Some(true),
        signals,
        recipient,
        status: status.map(|(code, _)| code),
    })
}

/// Who sent a mail: local part and display name, lower case.
struct Sender {
    local: String,
    name: String,
}

impl Sender {
    fn of(message: &Message<'_>) -> Self {
        let first = message.from().and_then(|a| a.first());
        Self {
            local: first
                .and_then(|a| a.address())
                .and_then(|a| a.split('@').next())
                .unwrap_or_default()
                .to_lowercase(),
            name: first
                .and_then(|a| a.name())
                .unwrap_or_default()
                .to_lowercase(),
        }
    }

    /// The local part is one of `locals` (or one of them and a suffix: `mailer-daemon-7`), or
    /// the display name contains one of `names`.
    fn is(&self, locals: &[String], names: &[String]) -> bool {
        locals
            .iter()
            .any(|s| self.local == *s || self.local.starts_with(&format!("{s}-")))
            || names.iter().any(|n| self.name.contains(n.as_str()))
    }

    fn describe(&self) -> String {
        if self.name.is_empty() {
            self.local.clone()
        } else {
            format!("{} ({})", self.local, self.name)
        }
    }
}

/// A wording cue: a mail system's own first (so the signal can name it), then the generic one.
fn system_word<'a>(
    haystack: &str,
    generic: &'a [String],
    cues: &'a MailCues,
    pick: impl Fn(&MailSystem) -> &Vec<String>,
) -> Option<(&'a str, Option<&'a MailSystem>)> {
    cues.systems
        .iter()
        .find_map(|s| find_word(haystack, pick(s)).map(|w| (w, Some(s))))
        .or_else(|| find_word(haystack, generic).map(|w| (w, None)))
}

/// What a `message/delivery-status` part (RFC 3464) says: the worst `Action:` when there are
/// several recipients, and that recipient's address and status.
struct Report {
    action: Option<String>,
    recipient: Option<String>,
    status: Option<String>,
    text: String,
}

fn delivery_report(message: &Message<'_>) -> Option<Report> {
    let rank = |a: &str| match a {
        a if a.starts_with("failed") => 0,
        a if a.starts_with("delayed") => 1,
        _ => 2,
    };
    let mut best: Option<(usize, Report)> = None;
    let mut all = String::new();
    for part in &message.parts {
        let Some(ct) = part.content_type() else {
            continue;
        };
        let delivery_status = ct.ctype().eq_ignore_ascii_case("message")
            && ct
                .subtype()
                .is_some_and(|s| s.eq_ignore_ascii_case("delivery-status"));
        if !delivery_status {
            continue;
        }
        let text = match &part.body {
            PartType::Message(m) => String::from_utf8_lossy(m.raw_message()).into_owned(),
            _ => String::from_utf8_lossy(part.contents()).into_owned(),
        };
        all.push_str(&text);
        // Per-recipient fields come in blocks separated by blank lines.
        for block in text.split("\n\n").flat_map(|b| b.split("\r\n\r\n")) {
            let mut report = Report {
                action: None,
                recipient: None,
                status: None,
                text: String::new(),
            };
            for line in block.lines() {
                let Some((name, value)) = line.split_once(':') else {
                    continue;
                };
                let value = value.trim();
                match name.trim().to_ascii_lowercase().as_str() {
                    "action" => report.action = Some(value.to_ascii_lowercase()),
                    "final-recipient" => {
                        let address = value.rsplit(';').next().unwrap_or(value).trim();
                        let address = address.trim_matches(['<', '>']).to_ascii_lowercase();
                        if address.contains('@') {
                            report.recipient = Some(address);
                        }
                    }
                    "status" => {
                        report.status = value
                            .split_whitespace()
                            .next()
                            .filter(|c| is_status_code(c))
                            .map(str::to_owned);
                    }
                    _ => {}
                }
            }
            if let Some(action) = &report.action {
                let r = rank(action);
                if best.as_ref().is_none_or(|(b, _)| r < *b) {
                    best = Some((r, report));
                }
            }
        }
    }
    best.map(|(_, mut r)| {
        r.text = all;
        r
    })
}

/// The notice's text: its first text part (HTML as text) and the report's fields, lower case.
fn notice_text(message: &Message<'_>, report: Option<&Report>) -> String {
    let mut text = message
        .body_text(0)
        .map(|t| t.into_owned())
        .unwrap_or_default();
    if let Some(r) = report {
        text.push('\n');
        text.push_str(&r.text);
    }
    text.to_lowercase()
}

/// `5.1.1`, `4.4.7`, `5.1.10`: an RFC 3463 code of a failure (class 4 or 5).
fn is_status_code(code: &str) -> bool {
    let parts: Vec<&str> = code.split('.').collect();
    parts.len() == 3
        && matches!(parts[0], "4" | "5")
        && parts[1..]
            .iter()
            .all(|p| (1..=3).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_digit()))
}

/// The failure code of a text: the first one inside a quoted SMTP reply (`550 5.1.1`,
/// `550-'5.1.1 …'`, `#550 5.1.1`), else the first one at all (`#5.1.1`). Runs of digits and dots
/// are taken whole, so versions (`v21.5.2`), addresses (`203.0.113.9`) and dates (`4.3.2024`)
/// never pass for one.
fn first_status_code(text: &str) -> Option<String> {
    static RUN: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"[0-9.]+").expect("valid constant pattern"));
    let mut first = None;
    for run in RUN.find_iter(text) {
        let at = run.start();
        let code = run.as_str().trim_end_matches('.');
        if !is_status_code(code) {
            continue;
        }
        // What comes before, without the quoting between reply code and status.
        let before = text[..at]
            .trim_end_matches([' ', '-', '\'', '"', '('])
            .as_bytes();
        let reply = before.len() >= 3
            && before[before.len() - 3..].iter().all(u8::is_ascii_digit)
            && matches!(before[before.len() - 3], b'4' | b'5')
            && before
                .get(before.len().wrapping_sub(4))
                .is_none_or(|b| !b.is_ascii_digit() && *b != b'.');
        if reply {
            return Some(code.to_owned());
        }
        first.get_or_insert_with(|| code.to_owned());
    }
    first
}

/// The status to report: the report's unless it only says X.0.0 and the text is more precise,
/// else the text's code, else the wording's meaning with the class digit of the notice.
fn settle_status(
    reported: Option<String>,
    in_text: Option<String>,
    class: ReplyClass,
    text: &str,
    cues: &MailCues,
) -> Option<(String, Option<String>)> {
    let vague = |c: &str| c.ends_with(".0.0");
    let code = match (reported, in_text) {
        (Some(r), Some(t)) if vague(&r) && !vague(&t) && r[..1] == t[..1] => Some(t),
        (Some(r), _) => Some(r),
        (None, t) => t,
    };
    let class_digit = if class == ReplyClass::Delayed {
        '4'
    } else {
        '5'
    };
    let inferred = || {
        cues.statuses
            .iter()
            .find(|s| find_word(text, &s.words).is_some())
    };
    match code {
        Some(c) if !vague(&c) => {
            // The code's registered meaning, unless the wording says something else: some
            // systems use codes their own way (Mimecast's 5.4.1 is "access denied").
            let detail = c.split_once('.').map(|(_, d)| d).unwrap_or_default();
            let meaning = match inferred() {
                Some(s) if s.detail != detail => None,
                _ => cues.statuses.iter().find(|s| s.detail == detail),
            };
            Some((c, meaning.map(|s| s.meaning.clone())))
        }
        Some(c) => match inferred() {
            Some(s) => Some((format!("{}.{}", &c[..1], s.detail), Some(s.meaning.clone()))),
            None => Some((c, None)),
        },
        None => inferred().map(|s| {
            (
                format!("{class_digit}.{}", s.detail),
                Some(s.meaning.clone()),
            )
        }),
    }
}

/// The failed address when no report names it: the first address in the notice that is not the
/// notice's sender, not ours (the probe's token, the notice's recipients) and not a mail
/// system's mailbox.
fn recipient_in_text(text: &str, message: &Message<'_>, cues: &MailCues) -> Option<String> {
    let ours: Vec<String> = message
        .from()
        .into_iter()
        .chain(message.to())
        .flat_map(|a| a.iter())
        .filter_map(|a| a.address())
        .map(str::to_lowercase)
        .collect();
    ADDRESS
        .find_iter(text)
        .map(|m| m.as_str().trim_end_matches('.').to_owned())
        .find(|a| {
            let local = a.split('@').next().unwrap_or_default();
            !ours.contains(a)
                && !super::token::TOKEN.is_match(a)
                && !cues.bounce.senders.iter().any(|s| s == local)
                && !cues
                    .systems
                    .iter()
                    .any(|s| s.senders.iter().any(|x| x == local))
        })
}

/// An e-mail address in running text.
static ADDRESS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"[a-z0-9][a-z0-9._%+\-]*@[a-z0-9][a-z0-9\-]*(?:\.[a-z0-9\-]+)*\.[a-z]{2,}")
        .expect("valid constant pattern")
});

/// The reply's own text, lower case: the first text body (or the HTML one as text), cut where
/// the quoted original begins.
fn own_text(message: &Message<'_>, cues: &MailCues) -> String {
    let text = message
        .body_text(0)
        .map(|t| t.into_owned())
        .unwrap_or_default()
        .to_lowercase();
    let mut out = String::with_capacity(text.len());
    let lines: Vec<&str> = text.lines().collect();
    for (i, line) in lines.iter().enumerate() {
        let t = line.trim();
        if t.starts_with('>') {
            // A quote block: the rest is the original (top-posting) or interleaved quotes.
            continue;
        }
        if cues.quote.markers.iter().any(|m| t.starts_with(m.as_str())) {
            break;
        }
        if t.ends_with(':') && find_word(t, &cues.quote.attribution).is_some() {
            break;
        }
        // An Outlook-style header block: "Von: …" followed within two lines by another header.
        if cues.quote.headers.iter().any(|h| t.starts_with(h.as_str()))
            && lines[i + 1..]
                .iter()
                .take(3)
                .any(|n| n.trim().contains(':') && n.trim().len() < 200)
        {
            break;
        }
        out.push_str(t);
        out.push('\n');
    }
    out
}

/// The first class word in the subject, else in the own text, as a signal.
fn words(subject: &str, own: &str, words: &ClassWords) -> Option<String> {
    if let Some(w) = find_word(subject, &words.subject) {
        return Some(format!("subject: {w}"));
    }
    find_word(own, &words.body).map(|w| format!("text: {w}"))
}

/// The first cue that occurs where a word starts. Scripts written without spaces (Japanese,
/// Chinese) have no word starts: their cues match anywhere.
fn find_word<'a>(haystack: &str, cues: &'a [String]) -> Option<&'a str> {
    cues.iter()
        .find(|cue| {
            let spaced = cue
                .chars()
                .next()
                .is_some_and(|c| !c.is_alphanumeric() || u32::from(c) < 0x2E80);
            haystack.match_indices(cue.as_str()).any(|(i, _)| {
                !spaced
                    || haystack[..i]
                        .chars()
                        .next_back()
                        .is_none_or(|c| !c.is_alphanumeric())
            })
        })
        .map(String::as_str)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::Rules;

    fn class(raw: &str) -> Classification {
        classify(raw.as_bytes(), &Rules::load(None).unwrap().mail)
    }

    #[test]
    fn status_codes_are_told_from_versions_addresses_and_dates() {
        assert_eq!(
            first_status_code("mdaemon pro v21.5.2, host 203.0.113.9, 4.3.2024"),
            None
        );
        assert_eq!(first_status_code("(#5.1.1)").as_deref(), Some("5.1.1"));
        assert_eq!(
            first_status_code("status 5.1.10.").as_deref(),
            Some("5.1.10")
        );
        // The code inside the quoted reply beats the gateway's own summary before it.
        assert_eq!(
            first_status_code("5.1.0 - unknown address error 550-'5.1.1 user unknown'").as_deref(),
            Some("5.1.1")
        );
        assert_eq!(first_status_code("2.0.0 ok, 250 2.1.5"), None);
    }

    #[test]
    fn people_writing_about_delays_and_failures_are_not_notices() {
        let shop = class(
            "From: Jana Wolf <service@shop.example>\r\nIn-Reply-To: <ra-7kx3m9p2qd@probe.reachaudit.invalid>\r\nSubject: Re: Delivery delayed\r\n\r\nYour parcel has been delayed and could not be delivered yesterday; it will come tomorrow.\r\n",
        );
        assert_eq!(shop.class, ReplyClass::Human, "{shop:?}");
        assert_eq!((shop.recipient, shop.status), (None, None));
    }

    #[test]
    fn a_notice_without_a_report_names_the_address_and_the_status() {
        let delayed = class(
            "From: MAILER-DAEMON@mx.example.net\r\nTo: auditor+ra-7kx3m9p2qd@audit.example.org\r\nSubject: Warning: message 1abc delayed 4 hours\r\n\r\nA message that you sent has not yet been delivered to one or more of its recipients.\r\n\r\n  info@shop.example\r\n\r\nDelay reason: connection timed out\r\n",
        );
        assert_eq!(delayed.class, ReplyClass::Delayed, "{delayed:?}");
        assert_eq!(delayed.recipient.as_deref(), Some("info@shop.example"));
        // No code given: the wording's meaning, with the class digit of a delay.
        assert_eq!(delayed.status.as_deref(), Some("4.4.1"));
        // No wording either way: a mail system's code decides.
        let coded = class(
            "From: postmaster@mx.example.net\r\nTo: auditor@audit.example.org\r\nSubject: Kurze Frage\r\n\r\n<info@shop.example>: host mx.shop.example said: 550 5.1.1 <info@shop.example>: User unknown\r\n",
        );
        assert_eq!(coded.class, ReplyClass::Bounce, "{coded:?}");
        assert_eq!(coded.status.as_deref(), Some("5.1.1"));
        assert!(
            coded
                .signals
                .iter()
                .any(|s| s == "status 5.1.1: permanent, the address does not exist")
        );
    }

    #[test]
    fn the_quoted_probe_never_makes_a_person_look_automated() {
        let c = class(
            "From: Jan Becker <jan@example.de>\r\nTo: auditor+ra-7kx3m9p2qd@audit.example.org\r\nSubject: Re: Kurze Frage\r\n\r\nJa, rufen Sie uns gern an.\r\n\r\nAm 3. März schrieb Erika Mustermann:\r\n> Vielen Dank für Ihre Nachricht\r\n> Dies ist eine automatisch erzeugte Testanfrage\r\n",
        );
        assert_eq!(c.class, ReplyClass::Human, "{c:?}");
        assert_eq!(c.automated, Some(false));
    }

    #[test]
    fn headers_and_words_decide_in_order() {
        let auto = class(
            "From: service@example.de\r\nAuto-Submitted: auto-replied\r\nSubject: Re: Frage\r\n\r\nWir melden uns.\r\n",
        );
        assert_eq!(auto.class, ReplyClass::AutoReply);
        assert_eq!(auto.signals, ["Auto-Submitted: auto-replied"]);
        let not_auto = class(
            "From: jan@example.de\r\nAuto-Submitted: no\r\nSubject: Re: Frage\r\n\r\nGern.\r\n",
        );
        assert_eq!(not_auto.class, ReplyClass::Human);
        let ooo = class(
            "From: jan@example.de\r\nAuto-Submitted: auto-replied\r\nSubject: Abwesenheitsnotiz: Frage\r\n\r\nIch bin im Urlaub.\r\n",
        );
        assert_eq!(ooo.class, ReplyClass::OutOfOffice);
        let ack = class(
            "From: support@example.de\r\nX-Zendesk-From-Account-Id: 12ab\r\nSubject: [Ticket #123] Frage\r\n\r\nIhre Anfrage ist bei uns eingegangen. Ihre Ticketnummer lautet 123.\r\n",
        );
        assert_eq!(ack.class, ReplyClass::TicketAck);
        assert!(ack.signals.contains(&"helpdesk: zendesk".to_owned()));
        let agent = class(
            "From: Lena <support@example.de>\r\nX-Zendesk-From-Account-Id: 12ab\r\nSubject: [Ticket #123] Re: Frage\r\n\r\nHallo, ja, unsere Hotline ist kostenlos. Viele Grüße, Lena\r\n",
        );
        assert_eq!(agent.class, ReplyClass::Human, "{agent:?}");
    }
}
