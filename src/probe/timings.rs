//! How long a company took to answer: per probe the time to the first reply of any kind and to
//! the first reply by a person; per company the medians over its probes and the share of probes
//! no person answered within the window. An auto-reply or a ticket acknowledgement is a reply, but
//! not an answer: the figures that matter count people only.

use serde::Serialize;

use crate::model::ProbeResult;
use crate::store::{Probe, ProbeState, Reply, Store, StoreError};

/// The default window: a person who answers after two weeks has, for a customer, not answered.
pub const DEFAULT_WINDOW_SECS: i64 = 14 * 86_400;

/// One company's figures.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CompanyTiming {
    /// The company's site.
    pub company: String,
    /// Probes sent.
    pub sent: usize,
    /// Probes a person answered within the window.
    pub answered: usize,
    /// Probes whose window is still open without a person's answer.
    pub pending: usize,
    /// Probes that bounced.
    pub bounced: usize,
    /// Probes a challenge-response filter holds until a person confirms.
    pub challenged: usize,
    /// Median seconds to the first reply of any kind, over probes with one.
    pub median_first_reply_secs: Option<i64>,
    /// Median seconds to the first reply by a person, over probes with one.
    pub median_first_human_secs: Option<i64>,
    /// Share (0–1) of probes with a closed window that no person answered within it; `null`
    /// while no window has closed.
    pub unanswered_share: Option<f64>,
}

/// Figures for every probe (in store order) and every company (by name).
#[must_use]
pub fn timings(
    probes: &[(Probe, Vec<Reply>)],
    now: i64,
    window: i64,
) -> (Vec<ProbeResult>, Vec<CompanyTiming>) {
    let per_probe: Vec<ProbeResult> = probes
        .iter()
        .map(|(p, replies)| probe_timing(p, replies, now, window))
        .collect();
    let mut companies: Vec<String> = per_probe.iter().map(|t| t.company.clone()).collect();
    companies.sort();
    companies.dedup();
    let per_company = companies
        .into_iter()
        .map(|company| {
            let mine: Vec<&ProbeResult> = per_probe
                .iter()
                .filter(|t| t.company == company && t.sent_at.is_some())
                .collect();
            let count = |o: &str| mine.iter().filter(|t| t.outcome == o).count();
            let closed = count("answered") + count("late") + count("unanswered");
            CompanyTiming {
                sent: mine.len(),
                answered: count("answered"),
                pending: count("pending"),
                bounced: mine.iter().filter(|t| t.bounced).count(),
                challenged: mine.iter().filter(|t| t.challenged).count(),
                median_first_reply_secs: median(mine.iter().filter_map(|t| t.first_reply_secs)),
                median_first_human_secs: median(mine.iter().filter_map(|t| t.first_human_secs)),
                unanswered_share: (closed > 0)
                    .then(|| (count("late") + count("unanswered")) as f64 / closed as f64),
                company,
            }
        })
        .collect();
    (per_probe, per_company)
}

/// The results of one company's probes, for `scan --probes`: what the score's responsiveness
/// category and the report show.
///
/// # Errors
/// A failed query.
pub fn results_for(
    store: &Store,
    company: &str,
    now: i64,
    window: i64,
) -> Result<Vec<ProbeResult>, StoreError> {
    let mut rows = Vec::new();
    for p in store.probes(Some(company))? {
        let replies = store.replies(p.id)?;
        rows.push((p, replies));
    }
    Ok(timings(&rows, now, window).0)
}

fn probe_timing(p: &Probe, replies: &[Reply], now: i64, window: i64) -> ProbeResult {
    let sent_at = p.sent_at.filter(|_| p.state == ProbeState::Sent);
    let after = |r: &Reply| sent_at.map(|s| (r.new.received_at - s).max(0));
    let first = replies.first();
    let human = replies.iter().find(|r| r.new.class == "human");
    // A bounce outranks a delay warning that came before it.
    let notice = replies
        .iter()
        .find(|r| r.new.class == "bounce")
        .or_else(|| {
            // A delay that ended in a person's answer is history, not a finding.
            replies
                .iter()
                .find(|r| r.new.class == "delayed")
                .filter(|_| human.is_none())
        });
    let first_human_secs = human.and_then(after);
    let outcome = match (sent_at, first_human_secs) {
        (None, _) if p.state == ProbeState::Sending => "unconfirmed",
        (None, _) => "not_sent",
        (Some(_), Some(secs)) if secs <= window => "answered",
        (Some(_), Some(_)) => "late",
        (Some(s), None) if now - s >= window => "unanswered",
        (Some(_), None) => "pending",
    };
    ProbeResult {
        token: p.new.token.clone(),
        company: p.new.company.clone(),
        channel: p.new.channel.clone(),
        target: p.new.target.clone(),
        state: p.state.as_str().to_owned(),
        sent_at,
        replies: replies.len(),
        first_reply_secs: first.and_then(after),
        first_reply_class: first.map(|r| r.new.class.clone()),
        first_human_secs,
        bounced: replies.iter().any(|r| r.new.class == "bounce"),
        delivery_status: notice.and_then(|r| r.new.status.clone()),
        failed_recipient: notice
            .and_then(|r| r.new.failed_recipient.clone())
            .filter(|a| !a.eq_ignore_ascii_case(&p.new.target)),
        challenged: replies.iter().any(|r| r.new.class == "challenge_response"),
        outcome: outcome.to_owned(),
    }
}

/// The median, the mean of the two middle values for an even count.
fn median(values: impl Iterator<Item = i64>) -> Option<i64> {
    let mut v: Vec<i64> = values.collect();
    if v.is_empty() {
        return None;
    }
    v.sort_unstable();
    let mid = v.len() / 2;
    Some(if v.len() % 2 == 1 {
        v[mid]
    } else {
        (v[mid - 1] + v[mid]) / 2
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{NewProbe, NewReply};

    fn probe(id: i64, company: &str, sent_at: Option<i64>) -> Probe {
        Probe {
            id,
            new: NewProbe {
                token: format!("ra-aaaaaaaaa{id}"),
                company: company.into(),
                channel: "email".into(),
                target: format!("service@{company}"),
                page_url: None,
                sender: "E <e@x.org>".into(),
                reply_to: "e+t@x.org".into(),
                message_id: format!("<{id}@p>"),
                subject: "s".into(),
                body: "b".into(),
            },
            state: if sent_at.is_some() {
                ProbeState::Sent
            } else {
                ProbeState::Planned
            },
            error: None,
            outcome: None,
            created_at: 0,
            sending_at: sent_at,
            sent_at,
        }
    }

    fn reply(probe_id: i64, at: i64, class: &str) -> Reply {
        Reply {
            id: at,
            new: NewReply {
                probe_id,
                message_key: format!("<{at}@r>"),
                received_at: at,
                sender: None,
                subject: None,
                class: class.into(),
                automated: Some(class != "human"),
                signals: vec![],
                failed_recipient: None,
                status: None,
                matched_by: "to".into(),
                source: "test".into(),
            },
        }
    }

    #[test]
    fn people_count_and_robots_do_not() {
        let day = 86_400;
        let probes = vec![
            // Auto-reply at once, a person after two days.
            (
                probe(1, "a.de", Some(0)),
                vec![reply(1, 60, "auto_reply"), reply(1, 2 * day, "human")],
            ),
            // Only a ticket acknowledgement, window over.
            (probe(2, "a.de", Some(0)), vec![reply(2, 120, "ticket_ack")]),
            // A person after 20 days: late.
            (probe(3, "a.de", Some(0)), vec![reply(3, 20 * day, "human")]),
            // Sent yesterday, nothing yet.
            (probe(4, "b.de", Some(29 * day)), vec![]),
            // Bounced.
            (probe(5, "b.de", Some(0)), vec![reply(5, 30, "bounce")]),
            (probe(6, "b.de", None), vec![]),
        ];
        let (per_probe, per_company) = timings(&probes, 30 * day, DEFAULT_WINDOW_SECS);
        let outcomes: Vec<&str> = per_probe.iter().map(|t| t.outcome.as_str()).collect();
        assert_eq!(
            outcomes,
            [
                "answered",
                "unanswered",
                "late",
                "pending",
                "unanswered",
                "not_sent"
            ]
        );
        assert_eq!(per_probe[0].first_reply_secs, Some(60));
        assert_eq!(per_probe[0].first_human_secs, Some(2 * day));
        let a = &per_company[0];
        assert_eq!((a.sent, a.answered, a.pending), (3, 1, 0));
        assert_eq!(a.median_first_human_secs, Some(11 * day));
        assert_eq!(a.median_first_reply_secs, Some(120));
        assert_eq!(a.unanswered_share, Some(2.0 / 3.0));
        let b = &per_company[1];
        assert_eq!((b.sent, b.pending, b.bounced), (2, 1, 1));
        assert_eq!(b.unanswered_share, Some(1.0));
        assert_eq!(b.median_first_human_secs, None);
    }

    #[test]
    fn notices_say_what_failed_and_a_delay_a_person_outlived_is_history() {
        let notice = |id, at, class: &str, status: &str, to: &str| {
            let mut r = reply(id, at, class);
            r.new.status = Some(status.into());
            r.new.failed_recipient = Some(to.into());
            r
        };
        let probes = vec![
            // A delay warning, then the bounce: the bounce tells, and the forward is named.
            (
                probe(1, "a.de", Some(0)),
                vec![
                    notice(1, 60, "delayed", "4.2.2", "owner@mail.example"),
                    notice(1, 600, "bounce", "5.2.2", "owner@mail.example"),
                ],
            ),
            // Delayed, then a person answered: nothing to report.
            (
                probe(2, "a.de", Some(0)),
                vec![
                    notice(2, 60, "delayed", "4.4.1", "service@a.de"),
                    reply(2, 900, "human"),
                ],
            ),
            // Only delayed so far; the failed address is the one written to.
            (
                probe(3, "a.de", Some(0)),
                vec![notice(3, 60, "delayed", "4.4.1", "SERVICE@a.de")],
            ),
        ];
        let (per_probe, _) = timings(&probes, 3600, DEFAULT_WINDOW_SECS);
        let said: Vec<Option<String>> = per_probe.iter().map(ProbeResult::delivery).collect();
        assert_eq!(
            said,
            [
                Some("bounced (5.2.2) at owner@mail.example".to_owned()),
                None,
                Some("delayed (4.4.1)".to_owned()),
            ]
        );
    }
}
