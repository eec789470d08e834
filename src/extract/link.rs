//! `tel:` and `mailto:` links — the channels a site marks up on purpose.

use ego_tree::NodeId;
use scraper::{ElementRef, Node, Selector};

use super::{Observation, email, phone, shorten};
use crate::crawl::{PageView, classify::starts_word, collapse};
use crate::model::{ChannelKind, EmailInfo, Evidence, Mode};
use crate::rules::Rules;

/// How much text before a link is read to find its label ("Fax:", "Hotline").
const LABEL_WINDOW: usize = 48;
/// Longest evidence snippet.
const SNIPPET_MAX: usize = 160;

pub(super) fn observe(
    view: &PageView<'_>,
    rules: &Rules,
    region: Option<&str>,
) -> Vec<Observation> {
    thread_local! {
        static LINKS: Selector = Selector::parse("a[href], area[href]").expect("valid selector");
    }
    LINKS.with(|links| {
        view.document
            .select(links)
            .flat_map(|a| {
                let href = a.value().attr("href").unwrap_or("").trim();
                let scheme = href.split(':').next().unwrap_or("").to_ascii_lowercase();
                match scheme.as_str() {
                    "tel" | "callto" => tel(view, a, href, rules, region).into_iter().collect(),
                    "mailto" => mailto(view, a, href, rules),
                    _ => Vec::new(),
                }
            })
            .collect()
    })
}

fn tel(
    view: &PageView<'_>,
    a: ElementRef<'_>,
    href: &str,
    rules: &Rules,
    region: Option<&str>,
) -> Option<Observation> {
    let raw = href
        .split_once(':')
        .map_or("", |(_, r)| r)
        .trim_start_matches('/');
    let raw = percent_encoding::percent_decode_str(raw).decode_utf8_lossy();
    let raw = raw.split(';').next().unwrap_or("");
    let text = collapse(&a.text().collect::<String>());
    // A wrong href with a right visible number is common; the visible text is the fallback.
    let number = phone::parse(raw, region).or_else(|| phone::parse(&text, region))?;
    let before = text_before(a);
    let kind = if is_fax(&before, &text, rules) {
        ChannelKind::Fax
    } else {
        ChannelKind::Phone
    };
    Some(Observation {
        kind,
        value: number.display,
        phone: Some(number.info),
        email: None,
        vendor: None,
        // A published number is meant for people; IVR-only lines are judged by later extractors.
        mode: Mode::Human,
        evidence: evidence(view, "tel_link", &before, &text),
    })
}

fn mailto(view: &PageView<'_>, a: ElementRef<'_>, href: &str, rules: &Rules) -> Vec<Observation> {
    let text = collapse(&a.text().collect::<String>());
    let before = text_before(a);
    email::from_mailto(href)
        .into_iter()
        .map(|address| {
            let no_reply = email::is_no_reply(&address, &rules.labels.no_reply);
            Observation {
                kind: ChannelKind::Email,
                value: address.clone(),
                phone: None,
                email: Some(EmailInfo {
                    address,
                    obfuscated: false,
                    no_reply,
                }),
                vendor: None,
                mode: if no_reply { Mode::Unknown } else { Mode::Human },
                evidence: evidence(view, "mailto_link", &before, &text),
            }
        })
        .collect()
}

/// Whether the label nearest before the number (or the link text itself) says fax.
fn is_fax(before: &str, link_text: &str, rules: &Rules) -> bool {
    let link_text = link_text.to_lowercase();
    if rules.labels.fax.iter().any(|w| starts_word(&link_text, w)) {
        return true;
    }
    let before = before.to_lowercase();
    let last = |words: &[String]| {
        words
            .iter()
            .filter_map(|w| {
                before
                    .match_indices(w.as_str())
                    .filter(|(i, _)| {
                        before[..*i]
                            .chars()
                            .next_back()
                            .is_none_or(|c| !c.is_alphanumeric())
                    })
                    .map(|(i, _)| i)
                    .last()
            })
            .max()
    };
    match (last(&rules.labels.fax), last(&rules.labels.phone)) {
        (Some(fax), Some(phone)) => fax > phone,
        (Some(_), None) => true,
        _ => false,
    }
}

/// The text shortly before a link: within its parent, else within the grandparent
/// (`<dt>Fax</dt><dd><a href=tel:…>`).
fn text_before(a: ElementRef<'_>) -> String {
    let target = a.id();
    for ancestor in a.ancestors().take(2) {
        let text = preceding_text(ancestor, target);
        let text = collapse(&text);
        if !text.is_empty() {
            let start = text.chars().count().saturating_sub(LABEL_WINDOW);
            return text.chars().skip(start).collect();
        }
    }
    String::new()
}

fn preceding_text(ancestor: ego_tree::NodeRef<'_, Node>, target: NodeId) -> String {
    let mut out = String::new();
    for node in ancestor.descendants() {
        if node.id() == target {
            break;
        }
        if let Node::Text(t) = node.value() {
            out.push_str(t);
            out.push(' ');
        }
    }
    out
}

fn evidence(view: &PageView<'_>, source: &str, before: &str, text: &str) -> Evidence {
    Evidence {
        url: view.url.to_string(),
        source: source.to_owned(),
        snippet: shorten(collapse(&format!("{before} {text}")).trim(), SNIPPET_MAX),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use scraper::Html;
    use url::Url;

    fn run(html: &str, region: Option<&str>) -> Vec<Observation> {
        let rules = Rules::embedded().unwrap();
        let document = Html::parse_document(html);
        let url = Url::parse("https://e.de/kontakt/").unwrap();
        let view = PageView {
            url: &url,
            document: &document,
            lang: None,
        };
        observe(&view, &rules, region)
    }

    #[test]
    fn phone_fax_and_mail_with_labels() {
        let found = run(
            r#"<p>Telefon: <a href="tel:+49-89-1234560">089 123456-0</a><br>
               Fax: <a href="tel:+49891234569">089 123456-9</a></p>
               <dl><dt>Telefax</dt><dd><a href="tel:089%201234568">089 1234568</a></dd></dl>
               <a href="mailto:Service@Acme-Shop.de?subject=Hallo">Schreiben Sie uns</a>
               <a href="mailto:noreply@acme-shop.de">noreply</a>"#,
            Some("DE"),
        );
        let summary: Vec<_> = found.iter().map(|o| (o.kind, o.value.as_str())).collect();
        assert_eq!(
            summary,
            [
                (ChannelKind::Phone, "+49 89 1234560"),
                (ChannelKind::Fax, "+49 89 1234569"),
                (ChannelKind::Fax, "+49 89 1234568"),
                (ChannelKind::Email, "service@acme-shop.de"),
                (ChannelKind::Email, "noreply@acme-shop.de"),
            ]
        );
        assert_eq!(found[0].evidence.snippet, "Telefon: 089 123456-0");
        assert_eq!(found[0].evidence.source, "tel_link");
        assert!(found[4].email.as_ref().unwrap().no_reply);
        assert!(!found[3].email.as_ref().unwrap().no_reply);
    }

    #[test]
    fn bad_href_falls_back_to_text_and_garbage_is_dropped() {
        let found = run(
            r#"<a href="tel:">+49 800 3301000</a><a href="tel:123">Anrufen</a><a href="TEL:0800-330-1000">x</a>"#,
            Some("DE"),
        );
        assert_eq!(found.len(), 2);
        assert!(
            found
                .iter()
                .all(|o| o.phone.as_ref().unwrap().e164 == "+498003301000")
        );
    }
}
