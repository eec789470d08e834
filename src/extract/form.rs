//! Contact forms: a form with a free-text message field that is not a search, login, newsletter
//! or comment form (`rules/cues/forms.toml`), with its fields, the CAPTCHA guarding it, whether a
//! login stands before it, and where it sends.
//!
//! Fields hidden from people (honeypots, tokens) are left out of the field list: they are traps
//! for bots, and a probe that fills them would be refused.

use scraper::{ElementRef, Selector};

use super::Observation;
use super::text::{self, is_hidden};
use crate::crawl::PageView;
use crate::crawl::classify::starts_word;
use crate::model::{ChannelKind, FormField, FormInfo, Mode};
use crate::rules::Rules;

fn selector(s: &str) -> Selector {
    Selector::parse(s).expect("valid constant selector")
}

/// Contact forms on a page. `captchas` are the CAPTCHA vendors found on it.
pub(super) fn observe(
    view: &PageView<'_>,
    rules: &Rules,
    captchas: &[String],
    page_text_lower: &str,
) -> Vec<Observation> {
    thread_local! {
        static FORMS: Selector = selector("form");
        static FIELDS: Selector = selector("input, select, textarea");
        static TEXTAREA: Selector = selector("textarea");
        static SUBMIT: Selector = selector("button, input[type=submit]");
    }
    let cues = &rules.forms;
    let login_on_page = cues.login.iter().any(|w| starts_word(page_text_lower, w));
    FORMS.with(|forms| {
        TEXTAREA.with(|textarea| {
            FIELDS.with(|fields| {
                SUBMIT.with(|submit| {
                    view.document
                        .select(forms)
                        .filter(|form| !hidden(*form))
                        .filter(|form| form.select(textarea).any(|t| !hidden(t)))
                        .filter(|form| !is_other_form(*form, submit, &cues.not_contact))
                        .map(|form| build(view, form, fields, captchas, login_on_page))
                        .collect()
                })
            })
        })
    })
}

/// Hidden from people (and so a trap for bots, or a token): never filled by a probe.
pub(crate) fn hidden(element: ElementRef<'_>) -> bool {
    is_hidden(element.value())
        || element
            .ancestors()
            .any(|a| a.value().as_element().is_some_and(is_hidden))
}

/// Whether the form announces itself as search, login, newsletter or comments.
fn is_other_form(form: ElementRef<'_>, submit: &Selector, words: &[String]) -> bool {
    let e = form.value();
    let mut names: Vec<String> = ["id", "class", "name", "action", "role", "aria-label"]
        .iter()
        .filter_map(|a| e.attr(a))
        .map(|v| v.to_lowercase().replace(['_', '/', '.', '?', '='], " "))
        .collect();
    names.extend(form.select(submit).map(|b| {
        b.value()
            .attr("value")
            .map_or_else(|| text::of(b), str::to_owned)
            .to_lowercase()
    }));
    thread_local! {
        static PASSWORD: Selector = selector("input[type=password]");
    }
    let has_password = PASSWORD.with(|p| form.select(p).next().is_some());
    has_password
        || names
            .iter()
            .any(|n| words.iter().any(|w| starts_word(n, w)))
}

fn build(
    view: &PageView<'_>,
    form: ElementRef<'_>,
    fields: &Selector,
    captchas: &[String],
    login_on_page: bool,
) -> Observation {
    let action = form
        .value()
        .attr("action")
        .map(str::trim)
        .filter(|a| !a.is_empty() && !a.starts_with("javascript:"))
        .and_then(|a| view.url.join(a).ok())
        .map(|mut url| {
            // "/contact#ContactForm" posts to /contact: the fragment never reaches the server.
            url.set_fragment(None);
            url
        })
        .unwrap_or_else(|| view.url.clone());
    let method = form
        .value()
        .attr("method")
        .unwrap_or("get")
        .to_ascii_uppercase();
    let list: Vec<FormField> = form
        .select(fields)
        .filter(|f| !hidden(*f))
        .filter_map(|f| field(view.document, form, f))
        .collect();
    let captcha = captchas.first().cloned();
    let heading = nearest_heading(form);
    let names: Vec<&str> = list.iter().map(|f| f.name.as_str()).collect();
    let mut obs = Observation::new(
        ChannelKind::ContactForm,
        heading
            .clone()
            .unwrap_or_else(|| format!("Form to {}", action.path())),
        view,
        "form",
        &format!(
            "{}form → {} ({})",
            heading.map(|h| format!("{h}: ")).unwrap_or_default(),
            action,
            names.join(", ")
        ),
    );
    obs.channel.url = Some(action.to_string());
    obs.channel.mode = Mode::Human;
    obs.channel.form = Some(FormInfo {
        fields: list,
        captcha,
        login_required: login_on_page,
        method,
    });
    obs
}

/// A visible field as a person sees it: name, type, label, required. `None` for hidden inputs
/// and buttons.
pub(crate) fn field(
    document: &scraper::Html,
    form: ElementRef<'_>,
    f: ElementRef<'_>,
) -> Option<FormField> {
    let e = f.value();
    let kind = match e.name() {
        "textarea" => "textarea".to_owned(),
        "select" => "select".to_owned(),
        _ => e.attr("type").unwrap_or("text").to_ascii_lowercase(),
    };
    if matches!(
        kind.as_str(),
        "hidden" | "submit" | "button" | "reset" | "image"
    ) {
        return None;
    }
    let name = e
        .attr("name")
        .or_else(|| e.attr("id"))
        .unwrap_or("")
        .to_owned();
    let label = e
        .attr("id")
        .and_then(|id| {
            let sel = Selector::parse(&format!("label[for=\"{}\"]", id.replace('"', ""))).ok()?;
            form.select(&sel)
                .next()
                .or_else(|| document.select(&sel).next())
                .map(text::of)
        })
        .or_else(|| {
            f.ancestors()
                .filter_map(ElementRef::wrap)
                .find(|a| a.value().name() == "label")
                .map(text::of)
        })
        .or_else(|| e.attr("aria-label").map(str::to_owned))
        .or_else(|| e.attr("placeholder").map(str::to_owned))
        .map(|l| l.trim().trim_end_matches('*').trim().to_owned())
        .filter(|l| !l.is_empty());
    Some(FormField {
        name,
        kind,
        label,
        required: e.attr("required").is_some() || e.attr("aria-required") == Some("true"),
    })
}

/// The heading just before the form (or inside it), which names what the form is for.
fn nearest_heading(form: ElementRef<'_>) -> Option<String> {
    let is_heading =
        |e: &ElementRef<'_>| matches!(e.value().name(), "h1" | "h2" | "h3" | "h4" | "legend");
    if let Some(inner) = form
        .descendants()
        .filter_map(ElementRef::wrap)
        .find(is_heading)
    {
        return Some(text::of(inner)).filter(|t| !t.is_empty());
    }
    let mut node = form;
    for _ in 0..3 {
        for sibling in node.prev_siblings().filter_map(ElementRef::wrap) {
            if is_heading(&sibling) {
                return Some(text::of(sibling)).filter(|t| !t.is_empty());
            }
            if let Some(h) = sibling
                .descendants()
                .filter_map(ElementRef::wrap)
                .filter(is_heading)
                .last()
            {
                return Some(text::of(h)).filter(|t| !t.is_empty());
            }
        }
        node = node.parent().and_then(ElementRef::wrap)?;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::extract::TestPage;

    /// Runs the form extractor with the CAPTCHAs the vendor scan finds on the page (as
    /// `extract::page` does), plus `captchas` for guards loaded by a script elsewhere.
    fn run(html: &str, captchas: &[&str]) -> Vec<Observation> {
        let page = TestPage::new(html, "https://acme.de/kontakt/");
        let text = page.text_lower();
        let mut found = crate::extract::widget::observe(
            &page.view(),
            &page.blocks_of_links(),
            &Default::default(),
            &page.rules,
            &text,
        )
        .captchas;
        found.extend(captchas.iter().map(|c| (*c).to_owned()));
        observe(&page.view(), &page.rules, &found, &text)
    }

    #[test]
    fn a_contact_form_with_fields_captcha_and_honeypot() {
        let found = run(
            r#"<h2>Schreiben Sie uns</h2>
            <form action="/kontakt/senden" method="post">
              <label for="n">Ihr Name *</label><input id="n" name="name" required>
              <label>E-Mail <input type="email" name="email" required></label>
              <select name="thema"><option>Bestellung</option></select>
              <textarea name="nachricht" placeholder="Ihre Nachricht"></textarea>
              <input type="hidden" name="csrf" value="x">
              <div style="display:none"><input name="website"></div>
              <div class="g-recaptcha" data-sitekey="x"></div>
              <button type="submit">Absenden</button>
            </form>"#,
            &[],
        );
        assert_eq!(found.len(), 1);
        let c = &found[0].channel;
        assert_eq!(c.value, "Schreiben Sie uns");
        assert_eq!(c.url.as_deref(), Some("https://acme.de/kontakt/senden"));
        let form = c.form.as_ref().unwrap();
        let fields: Vec<(&str, &str, Option<&str>, bool)> = form
            .fields
            .iter()
            .map(|f| {
                (
                    f.name.as_str(),
                    f.kind.as_str(),
                    f.label.as_deref(),
                    f.required,
                )
            })
            .collect();
        assert_eq!(
            fields,
            [
                ("name", "text", Some("Ihr Name"), true),
                ("email", "email", Some("E-Mail"), true),
                ("thema", "select", None, false),
                ("nachricht", "textarea", Some("Ihre Nachricht"), false),
            ]
        );
        assert_eq!(form.captcha.as_deref(), Some("recaptcha"));
        assert_eq!(form.method, "POST");
        assert!(!form.login_required);
    }

    #[test]
    fn search_login_newsletter_and_comment_forms_are_not_contact_forms() {
        let found = run(
            r#"<form role="search" action="/suche"><textarea name="q"></textarea></form>
            <form action="/login"><input name="u"><input type="password" name="p"><textarea></textarea></form>
            <form id="newsletter-signup"><input type="email"><textarea></textarea></form>
            <form id="commentform" action="/wp-comments-post.php"><textarea name="comment"></textarea></form>
            <form action="/suche"><input name="q"></form>"#,
            &[],
        );
        assert!(found.is_empty(), "{found:?}");
    }

    #[test]
    fn a_login_wall_and_a_page_level_captcha_are_reported() {
        let found = run(
            r#"<p>Bitte melden Sie sich an, um uns eine Nachricht zu senden.</p>
            <form method="post"><textarea name="msg"></textarea></form>"#,
            &["friendly-captcha"],
        );
        let form = found[0].channel.form.as_ref().unwrap();
        assert!(form.login_required);
        assert_eq!(form.captcha.as_deref(), Some("friendly-captcha"));
        assert_eq!(
            found[0].channel.url.as_deref(),
            Some("https://acme.de/kontakt/")
        );
    }
}
