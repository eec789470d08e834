//! Which channels of a report can be probed, and with what text. Pure and sending nothing:
//! `probe plan` shows it, `probe send` will carry it out.
//!
//! A channel is probed only when a customer could honestly use it for a question: a readable
//! e-mail address (no no-reply, not a press or privacy desk), or a contact form without CAPTCHA or
//! login whose required fields are all things a customer can truthfully fill in.

use serde::Serialize;

use crate::model::{Channel, ChannelKind, Report};
use crate::rules::probe::ProbeRules;

/// The most probes per company a plan holds by default.
pub const DEFAULT_MAX_PER_COMPANY: usize = 2;

/// The plan for one company.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Plan {
    /// The company's site.
    pub site: String,
    /// The language of the messages.
    pub lang: String,
    /// What would be sent.
    pub probes: Vec<Planned>,
    /// Channels not probed, with the reason.
    pub skipped: Vec<Skipped>,
}

/// One probe that would be sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Planned {
    /// `email` or `contact_form`.
    pub channel: String,
    /// The address, or the form's action URL.
    pub target: String,
    /// The page the channel is on.
    pub page_url: Option<String>,
    /// The subject, with the token still a placeholder.
    pub subject: String,
    /// The text.
    pub body: String,
    /// For forms: each field and what goes into it (`name`, `email`, `subject`, `message`,
    /// `consent`, `salutation`, or `empty`).
    pub fields: Vec<(String, String)>,
}

/// A channel left out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Skipped {
    /// The channel kind.
    pub channel: String,
    /// Its value.
    pub target: String,
    /// Why.
    pub reason: String,
}

/// Plans the probes for one report. `name` signs the message; `{token}` stays a placeholder
/// until a probe is written to the store.
#[must_use]
pub fn plan(report: &Report, rules: &ProbeRules, name: &str, max: usize) -> Plan {
    let lang = language(report, rules);
    let message = rules.message(&lang);
    let mut candidates: Vec<(u32, Planned)> = Vec::new();
    let mut skipped = Vec::new();
    let mut skip = |c: &Channel, reason: String| {
        skipped.push(Skipped {
            channel: c.kind.as_str().to_owned(),
            target: c.value.clone(),
            reason,
        });
    };
    for c in &report.channels {
        if !matches!(c.kind, ChannelKind::Email | ChannelKind::ContactForm) {
            continue;
        }
        if let Some(role) = c
            .labels
            .iter()
            .find(|l| rules.channels.skip_roles.contains(l))
        {
            skip(c, format!("labelled {role}: not for customers' questions"));
            continue;
        }
        let fields = match c.kind {
            ChannelKind::Email => {
                let Some(email) = &c.email else { continue };
                if email.no_reply {
                    skip(c, "a no-reply address: nobody reads it".to_owned());
                    continue;
                }
                let local = email.address.split('@').next().unwrap_or_default();
                let desk = rules.channels.skip_local_parts.iter().find(|p| {
                    local == p.as_str()
                        || local
                            .strip_prefix(p.as_str())
                            .is_some_and(|rest| rest.starts_with(['.', '-', '_']))
                });
                if let Some(desk) = desk {
                    skip(c, format!("a {desk} desk: not for customers' questions"));
                    continue;
                }
                Vec::new()
            }
            _ => {
                let Some(form) = &c.form else { continue };
                if let Some(captcha) = &form.captcha {
                    skip(
                        c,
                        format!("guarded by a CAPTCHA ({captcha}); a person must send it"),
                    );
                    continue;
                }
                if form.login_required {
                    skip(c, "needs a login".to_owned());
                    continue;
                }
                let mut fields = Vec::new();
                let mut unfillable = None;
                for f in &form.fields {
                    let purpose = purpose(f, rules);
                    if purpose == "empty" && f.required {
                        unfillable = Some(f.label.clone().unwrap_or_else(|| f.name.clone()));
                    }
                    fields.push((f.name.clone(), purpose.to_owned()));
                }
                if let Some(field) = unfillable {
                    skip(
                        c,
                        format!(
                            "requires \"{field}\", which a test contact cannot fill in truthfully"
                        ),
                    );
                    continue;
                }
                if !fields.iter().any(|(_, p)| p == "message") {
                    skip(c, "no field for the message found".to_owned());
                    continue;
                }
                fields
            }
        };
        // Customer service first, then the nearest; e-mail before forms at equal rank.
        let preferred = c
            .labels
            .iter()
            .any(|l| rules.channels.prefer_roles.contains(l));
        let rank = u32::from(!preferred) * 1000
            + c.clicks.unwrap_or(100) * 10
            + u32::from(c.kind == ChannelKind::ContactForm);
        let target = match c.kind {
            ChannelKind::Email => c.email.as_ref().map(|e| e.address.clone()),
            _ => c.url.clone(),
        }
        .unwrap_or_else(|| c.value.clone());
        candidates.push((
            rank,
            Planned {
                channel: c.kind.as_str().to_owned(),
                target,
                page_url: c.evidence.first().map(|e| e.url.clone()),
                subject: message.subject.trim().to_owned(),
                body: message.body.trim().replace("{name}", name),
                fields,
            },
        ));
    }
    candidates.sort_by_key(|(rank, _)| *rank);
    // One of each kind before a second of any: an address and a form measure two ways in, two
    // addresses of the same desk mostly one.
    let mut seen = Vec::new();
    let (firsts, seconds): (Vec<_>, Vec<_>) = candidates.into_iter().partition(|(_, p)| {
        let first = !seen.contains(&p.channel);
        if first {
            seen.push(p.channel.clone());
        }
        first
    });
    let mut probes = Vec::new();
    for (_, p) in firsts.into_iter().chain(seconds) {
        if probes.len() < max {
            probes.push(p);
        } else {
            skipped.push(Skipped {
                channel: p.channel,
                target: p.target,
                reason: format!("the cap of {max} probes per company is reached"),
            });
        }
    }
    Plan {
        site: report.target.name().to_owned(),
        lang,
        probes,
        skipped,
    }
}

/// What a form field is for, from its type, name and label.
pub(crate) fn purpose(field: &crate::model::FormField, rules: &ProbeRules) -> &'static str {
    let text = format!(
        "{} {}",
        field.name.to_lowercase(),
        field.label.as_deref().unwrap_or_default().to_lowercase()
    );
    let has = |words: &[String]| words.iter().any(|w| text.contains(w.as_str()));
    match field.kind.as_str() {
        "email" => "email",
        "textarea" => "message",
        "checkbox" if has(&rules.form.consent) => "consent",
        "hidden" | "submit" | "button" => "empty",
        _ if has(&rules.form.email) => "email",
        _ if has(&rules.form.subject) => "subject",
        _ if has(&rules.form.message) => "message",
        _ if has(&rules.form.salutation) => "salutation",
        _ if has(&rules.form.name) => "name",
        _ => "empty",
    }
}

/// The language of the messages: from the site's domain, else its phone numbers' country.
fn language(report: &Report, rules: &ProbeRules) -> String {
    let tld = report.target.site.rsplit('.').next().unwrap_or_default();
    rules
        .language_of(tld)
        .or_else(|| {
            report
                .channels
                .iter()
                .filter_map(|c| c.phone.as_ref()?.region.as_deref())
                .find_map(|cc| rules.language_of(cc))
        })
        .unwrap_or("en")
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{EmailInfo, FormField, FormInfo};
    use crate::report::sample::report;
    use crate::rules::Rules;

    fn form(fields: &[(&str, &str, bool)], captcha: Option<&str>) -> Channel {
        let mut c = Channel::new(ChannelKind::ContactForm, "Kontaktformular");
        c.url = Some("https://www.acme-shop.de/kontakt/senden".into());
        c.clicks = Some(1);
        c.form = Some(FormInfo {
            fields: fields
                .iter()
                .map(|(name, kind, required)| FormField {
                    name: (*name).into(),
                    kind: (*kind).into(),
                    label: None,
                    required: *required,
                })
                .collect(),
            captcha: captcha.map(str::to_owned),
            login_required: false,
            method: "post".into(),
        });
        c
    }

    #[test]
    fn only_channels_a_customer_could_honestly_use_are_planned() {
        let rules = Rules::load(None).unwrap();
        let mut r = report();
        r.channels[1].clicks = Some(0);
        let mut press = Channel::new(ChannelKind::Email, "presse@acme-shop.de");
        press.email = Some(EmailInfo {
            address: "presse@acme-shop.de".into(),
            obfuscated: false,
            no_reply: false,
        });
        press.labels = vec!["press".into()];
        let mut noreply = press.clone();
        noreply.labels.clear();
        noreply.email.as_mut().unwrap().no_reply = true;
        r.channels.push(press);
        r.channels.push(noreply);
        r.channels.push(form(
            &[
                ("name", "text", true),
                ("email", "email", true),
                ("nachricht", "textarea", true),
            ],
            Some("recaptcha"),
        ));
        r.channels.push(form(
            &[
                ("email", "email", true),
                ("kundennummer", "text", true),
                ("nachricht", "textarea", true),
            ],
            None,
        ));
        r.channels.push(form(
            &[
                ("your-name", "text", true),
                ("your-email", "email", true),
                ("your-message", "textarea", true),
                ("datenschutz", "checkbox", true),
                ("website", "text", false),
            ],
            None,
        ));
        let plan = plan(&r, &rules.probe, "Erika Mustermann", 5);
        assert_eq!(plan.lang, "de");
        let targets: Vec<&str> = plan.probes.iter().map(|p| p.target.as_str()).collect();
        assert_eq!(
            targets,
            [
                "service@acme-shop.de",
                "https://www.acme-shop.de/kontakt/senden"
            ],
            "{plan:#?}"
        );
        let reasons: Vec<&str> = plan.skipped.iter().map(|s| s.reason.as_str()).collect();
        assert!(reasons.iter().any(|r| r.contains("labelled press")));
        assert!(reasons.iter().any(|r| r.contains("no-reply")));
        assert!(reasons.iter().any(|r| r.contains("CAPTCHA (recaptcha)")));
        assert!(reasons.iter().any(|r| r.contains("\"kundennummer\"")));
        let form = &plan.probes[1];
        assert!(
            form.fields
                .contains(&("datenschutz".into(), "consent".into()))
        );
        assert!(
            form.fields.contains(&("website".into(), "empty".into())),
            "honeypots stay empty"
        );
        let mail = &plan.probes[0];
        assert!(mail.subject.contains("{token}") && mail.body.contains("Referenz: {token}"));
        assert!(mail.body.contains("Erika Mustermann"));
        assert!(
            mail.body.contains("Erreichbarkeitstest"),
            "it says what it is"
        );

        let capped = super::plan(&r, &rules.probe, "Erika", 1);
        assert_eq!(capped.probes.len(), 1);
        assert!(capped.skipped.iter().any(|s| s.reason.contains("cap of 1")));
    }
}
