//! Filling a contact form the way a person's browser would: the visible fields a customer fills
//! in get the probe's name, reply address, subject and text; everything else is sent exactly as
//! the page set it. So CSRF tokens and form ids from the page are kept, and honeypot fields (hidden
//! traps for bots) go out empty, as a person never sees them. Pure: the page comes in as text.

use scraper::{ElementRef, Html, Selector};
use url::Url;

use crate::extract::form::{field, hidden};
use crate::probe::plan::purpose;
use crate::rules::probe::ProbeRules;

/// What goes into the fields a customer fills in.
#[derive(Debug, Clone)]
pub struct Values<'a> {
    /// The sender's name.
    pub name: &'a str,
    /// The reply address (with the token).
    pub email: &'a str,
    /// The subject line.
    pub subject: &'a str,
    /// The message.
    pub message: &'a str,
}

/// A filled-in form, ready to submit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Submission {
    /// `GET` or `POST`.
    pub method: String,
    /// Where it goes.
    pub action: Url,
    /// `multipart/form-data` instead of URL-encoded.
    pub multipart: bool,
    /// Name–value pairs in document order, as a browser sends them.
    pub pairs: Vec<(String, String)>,
}

fn selector(s: &str) -> Selector {
    Selector::parse(s).expect("valid constant selector")
}

/// Fills the form on `page` (fetched from `page_url`) that sends to `action`.
///
/// # Errors
/// The form is gone, or it now asks for something a test contact cannot truthfully give.
pub fn fill(
    page: &str,
    page_url: &Url,
    action: &Url,
    values: &Values<'_>,
    rules: &ProbeRules,
) -> Result<Submission, String> {
    let document = Html::parse_document(page);
    let forms = selector("form");
    let controls = selector("input, select, textarea, button");
    let resolve = |form: ElementRef<'_>| {
        form.value()
            .attr("action")
            .map(str::trim)
            .filter(|a| !a.is_empty())
            .and_then(|a| page_url.join(a).ok())
            .unwrap_or_else(|| page_url.clone())
    };
    let same = |a: &Url, b: &Url| {
        let (mut a, mut b) = (a.clone(), b.clone());
        a.set_fragment(None);
        b.set_fragment(None);
        a == b
    };
    let form = document
        .select(&forms)
        .find(|f| same(&resolve(*f), action))
        .ok_or_else(|| format!("the form sending to {action} is no longer on {page_url}"))?;
    let method = form
        .value()
        .attr("method")
        .unwrap_or("get")
        .to_ascii_uppercase();
    let multipart = form
        .value()
        .attr("enctype")
        .is_some_and(|e| e.eq_ignore_ascii_case("multipart/form-data"));
    let mut pairs = Vec::new();
    let mut submitter = None;
    for control in form.select(&controls) {
        let e = control.value();
        let Some(name) = e.attr("name").filter(|n| !n.is_empty()) else {
            continue;
        };
        if e.attr("disabled").is_some() {
            continue;
        }
        let name = name.to_owned();
        let value_attr = e.attr("value").unwrap_or_default().to_owned();
        let kind = match e.name() {
            "input" => e.attr("type").unwrap_or("text").to_ascii_lowercase(),
            other => other.to_owned(),
        };
        let kind = if e.name() == "button" {
            e.attr("type").unwrap_or("submit").to_ascii_lowercase()
        } else {
            kind
        };
        match kind.as_str() {
            "submit" | "image" => {
                submitter.get_or_insert((name, value_attr));
                continue;
            }
            "button" | "reset" | "file" => continue,
            "hidden" => {
                // CSRF tokens, form ids, timestamps: exactly as the page set them.
                pairs.push((name, value_attr));
                continue;
            }
            _ => {}
        }
        if hidden(control) {
            // A honeypot: a person's browser sends its default, which is what the page expects.
            if !matches!(kind.as_str(), "checkbox" | "radio") || e.attr("checked").is_some() {
                pairs.push((name, default_value(control, &kind)));
            }
            continue;
        }
        let described = field(&document, form, control);
        let label = described
            .as_ref()
            .and_then(|f| f.label.clone())
            .unwrap_or_else(|| name.clone());
        let required = described.as_ref().is_some_and(|f| f.required);
        let purpose = described.as_ref().map_or("empty", |f| purpose(f, rules));
        match kind.as_str() {
            "checkbox" => {
                let marketing = rules
                    .form
                    .marketing
                    .iter()
                    .any(|w| label.to_lowercase().contains(w.as_str()));
                if purpose == "consent" && marketing && required {
                    return Err(format!(
                        "the form requires agreeing to advertising (\"{label}\"); a test contact does not"
                    ));
                }
                if purpose == "consent" && !marketing {
                    // Acknowledging the privacy notice is what any customer writing in does;
                    // agreeing to advertising is not.
                    let v = if value_attr.is_empty() {
                        "on".to_owned()
                    } else {
                        value_attr
                    };
                    pairs.push((name, v));
                } else if e.attr("checked").is_some() {
                    pairs.push((name, default_value(control, &kind)));
                } else if required {
                    return Err(format!("the form now requires ticking \"{label}\""));
                }
            }
            "radio" => {
                if e.attr("checked").is_some() {
                    pairs.push((name, default_value(control, &kind)));
                }
            }
            "select" => {
                let chosen = if purpose == "salutation" {
                    // A neutral choice, or none: never a claim about the sender.
                    Some(neutral_option(control, rules).unwrap_or_default())
                } else {
                    selected_option(control)
                };
                match chosen {
                    Some(v) if !(v.is_empty() && required) => pairs.push((name, v)),
                    _ if required => {
                        return Err(format!(
                            "the form now requires choosing \"{label}\", with no neutral choice"
                        ));
                    }
                    _ => {}
                }
            }
            _ => {
                let value = match purpose {
                    "name" => values.name.to_owned(),
                    "email" => values.email.to_owned(),
                    "subject" => values.subject.to_owned(),
                    "message" => values.message.to_owned(),
                    _ => default_value(control, &kind),
                };
                if value.is_empty() && required {
                    return Err(format!(
                        "the form now requires \"{label}\", which a test contact cannot fill in truthfully"
                    ));
                }
                pairs.push((name, value));
            }
        }
    }
    if !pairs.iter().any(|(_, v)| v == values.message) {
        return Err(format!(
            "the form sending to {action} has no field for the message any more"
        ));
    }
    if let Some(s) = submitter {
        pairs.push(s);
    }
    let mut action = action.clone();
    action.set_fragment(None);
    Ok(Submission {
        method: if method == "POST" {
            method
        } else {
            "GET".into()
        },
        action,
        multipart,
        pairs,
    })
}

/// What a browser submits for a control nobody touched.
fn default_value(control: ElementRef<'_>, kind: &str) -> String {
    match control.value().name() {
        "textarea" => control.text().collect(),
        "select" => selected_option(control).unwrap_or_default(),
        _ if matches!(kind, "checkbox" | "radio") => {
            control.value().attr("value").unwrap_or("on").to_owned()
        }
        _ => control.value().attr("value").unwrap_or_default().to_owned(),
    }
}

fn option_value(option: ElementRef<'_>) -> String {
    option.value().attr("value").map_or_else(
        || option.text().collect::<String>().trim().to_owned(),
        str::to_owned,
    )
}

/// The option marked `selected`, else the first, as a browser picks it.
fn selected_option(select: ElementRef<'_>) -> Option<String> {
    let options = selector("option");
    let mut all = select
        .select(&options)
        .filter(|o| o.value().attr("disabled").is_none());
    let first = all.next();
    std::iter::once(first)
        .flatten()
        .chain(all)
        .find(|o| o.value().attr("selected").is_some())
        .or(first)
        .map(option_value)
}

/// A choice that claims nothing about the sender ("keine Angabe", "divers").
fn neutral_option(select: ElementRef<'_>, rules: &ProbeRules) -> Option<String> {
    let options = selector("option");
    select
        .select(&options)
        .filter(|o| o.value().attr("disabled").is_none())
        .find(|o| {
            let text = o.text().collect::<String>().to_lowercase();
            let text = text.trim();
            rules
                .form
                .neutral
                .iter()
                .any(|n| text == n || text.contains(n.as_str()))
        })
        .map(option_value)
        .filter(|v| !v.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::Rules;

    const PAGE: &str = r#"<html><body>
      <form action="/suche" method="get"><input name="q"><textarea name="x"></textarea></form>
      <form action="/kontakt/senden#top" method="post">
        <input type="hidden" name="csrf_token" value="t0k3n">
        <label for="anrede">Anrede</label>
        <select id="anrede" name="anrede"><option value="">Bitte wählen</option>
          <option>Frau</option><option>Herr</option><option value="x">Keine Angabe</option></select>
        <label for="n">Ihr Name *</label><input id="n" name="your-name" required>
        <label for="m">E-Mail *</label><input id="m" type="email" name="your-email" required>
        <label for="b">Betreff</label><input id="b" name="betreff">
        <label for="t">Nachricht *</label><textarea id="t" name="nachricht" required></textarea>
        <div style="display:none"><input name="website" value=""></div>
        <label><input type="checkbox" name="datenschutz" value="1" required> Ich akzeptiere die Datenschutzerklärung</label>
        <label><input type="checkbox" name="newsletter" value="1"> Newsletter</label>
        <label><input type="checkbox" name="werbung" value="ja"> Einwilligung in Werbung per E-Mail</label>
        <button type="submit" name="action" value="send">Senden</button>
      </form></body></html>"#;

    fn values() -> Values<'static> {
        Values {
            name: "Erika Mustermann",
            email: "auditor+ra-abcdefghjk@audit.test",
            subject: "Kurze Frage [ra-abcdefghjk]",
            message: "Guten Tag, …",
        }
    }

    #[test]
    fn a_form_is_filled_as_a_person_would_and_traps_stay_empty() {
        let rules = Rules::load(None).unwrap();
        let page = Url::parse("https://www.example.de/kontakt/").unwrap();
        let action = Url::parse("https://www.example.de/kontakt/senden").unwrap();
        let s = fill(PAGE, &page, &action, &values(), &rules.probe).unwrap();
        assert_eq!(s.method, "POST");
        assert!(!s.multipart);
        let pairs: Vec<(&str, &str)> = s
            .pairs
            .iter()
            .map(|(a, b)| (a.as_str(), b.as_str()))
            .collect();
        assert_eq!(
            pairs,
            [
                ("csrf_token", "t0k3n"),
                ("anrede", "x"),
                ("your-name", "Erika Mustermann"),
                ("your-email", "auditor+ra-abcdefghjk@audit.test"),
                ("betreff", "Kurze Frage [ra-abcdefghjk]"),
                ("nachricht", "Guten Tag, …"),
                ("website", ""),
                ("datenschutz", "1"),
                ("action", "send"),
            ]
        );
    }

    #[test]
    fn a_changed_or_vanished_form_is_refused_with_the_reason() {
        let rules = Rules::load(None).unwrap();
        let page = Url::parse("https://www.example.de/kontakt/").unwrap();
        let gone = Url::parse("https://www.example.de/anfrage").unwrap();
        let err = fill(PAGE, &page, &gone, &values(), &rules.probe).unwrap_err();
        assert!(err.contains("no longer on"), "{err}");
        let stricter = PAGE.replace(
            r#"<label for="b">Betreff</label>"#,
            r#"<label for="k">Kundennummer</label><input id="k" name="kdnr" required>"#,
        );
        let action = Url::parse("https://www.example.de/kontakt/senden").unwrap();
        let err = fill(&stricter, &page, &action, &values(), &rules.probe).unwrap_err();
        assert!(err.contains("\"Kundennummer\""), "{err}");
        let gendered = PAGE
            .replace(r#"<option value="x">Keine Angabe</option>"#, "")
            .replace(r#"name="anrede">"#, r#"name="anrede" required>"#);
        let err = fill(&gendered, &page, &action, &values(), &rules.probe).unwrap_err();
        assert!(
            err.contains("\"Anrede\"") && err.contains("no neutral choice"),
            "{err}"
        );
        let optional = PAGE.replace(r#"<option value="x">Keine Angabe</option>"#, "");
        let s = fill(&optional, &page, &action, &values(), &rules.probe).unwrap();
        assert!(
            s.pairs.contains(&("anrede".into(), String::new())),
            "no salutation rather than a false one: {:?}",
            s.pairs
        );
        let pushy = PAGE.replace(r#"value="ja">"#, r#"value="ja" required>"#);
        let err = fill(&pushy, &page, &action, &values(), &rules.probe).unwrap_err();
        assert!(err.contains("advertising"), "{err}");
    }
}
