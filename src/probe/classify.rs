//! What kind of answer a reply is: a person, an auto-reply, an out-of-office notice, a ticket
//! acknowledgement, a bounce, or unknown. A ticket acknowledgement is not a human reply, and a
//! bounce means the published address does not work — both are findings in their own right.
//!
//! The order of the checks is fixed here; the headers, helpdesks and words are data in
//! `rules/cues/mail.toml`. Every class comes with the signals that decided it, so a reader can
//! check the call. Wording is only looked for in the reply's own text: the quoted probe below a
//! person's answer must never make it look automated.

use mail_parser::{Message, MessageParser, MimeHeaders, PartType};
use serde::Serialize;

use crate::rules::MailCues;
use crate::rules::cues::ClassWords;

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
}

/// Classifies a raw message (RFC 5322 bytes).
#[must_use]
pub fn classify(raw: &[u8], cues: &MailCues) -> Classification {
    match MessageParser::default().parse(raw) {
        Some(message) => classify_message(&message, cues),
        None => Classification {
            class: ReplyClass::Unknown,
            automated: None,
            signals: vec!["not a parseable e-mail".to_owned()],
        },
    }
}

/// Classifies a parsed message.
#[must_use]
pub fn classify_message(message: &Message<'_>, cues: &MailCues) -> Classification {
    let subject = message.subject().unwrap_or_default().to_lowercase();
    let own = own_text(message, cues);
    let mut signals = Vec::new();

    // 1. Delivery reports: a failed one is a bounce, a delayed one only a notice.
    if let Some(action) = delivery_action(message) {
        let failed = action.starts_with("failed");
        signals.push(format!("delivery report: Action: {action}"));
        return Classification {
            class: if failed {
                ReplyClass::Bounce
            } else if action.starts_with("delayed") {
                ReplyClass::Delayed
            } else {
                ReplyClass::AutoReply
            },
            automated: Some(true),
            signals,
        };
    }
    if let Some(failed) = message.header_raw("X-Failed-Recipients") {
        signals.push(format!("X-Failed-Recipients: {}", failed.trim()));
        return bounce(signals);
    }
    let sender_local = message
        .from()
        .and_then(|a| a.first())
        .and_then(|a| a.address())
        .and_then(|a| a.split('@').next())
        .unwrap_or_default()
        .to_ascii_lowercase();
    let from_daemon = cues
        .bounce
        .senders
        .iter()
        .any(|s| sender_local == *s || sender_local.starts_with(&format!("{s}-")));
    let bounce_subject = find_word(&subject, &cues.bounce.subject);
    if let (true, Some(word)) = (from_daemon, bounce_subject) {
        signals.push(format!("from {sender_local}"));
        signals.push(format!("subject: {word}"));
        return bounce(signals);
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
    }
}

/// Nothing says who wrote it: `automated` stays `null`, never a silent "a person".
fn undecided(signals: Vec<String>) -> Classification {
    Classification {
        class: ReplyClass::Unknown,
        automated: None,
        signals,
    }
}

fn bounce(signals: Vec<String>) -> Classification {
    done(ReplyClass::Bounce, true, signals)
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

/// The `Action:` of a `message/delivery-status` part (RFC 3464), the worst one when there are
/// several recipients.
fn delivery_action(message: &Message<'_>) -> Option<String> {
    let is_report = message.content_type().is_some_and(|c| {
        c.ctype().eq_ignore_ascii_case("multipart")
            && c.subtype()
                .is_some_and(|s| s.eq_ignore_ascii_case("report"))
    });
    let mut actions = Vec::new();
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
        for line in text.lines() {
            if let Some((name, value)) = line.split_once(':')
                && name.trim().eq_ignore_ascii_case("action")
            {
                actions.push(value.trim().to_ascii_lowercase());
            }
        }
    }
    if actions.is_empty() && is_report {
        return None;
    }
    let rank = |a: &str| match a {
        a if a.starts_with("failed") => 0,
        a if a.starts_with("delayed") => 1,
        _ => 2,
    };
    actions.into_iter().min_by_key(|a| rank(a))
}

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
