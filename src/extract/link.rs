//! `tel:` and `mailto:` links — the channels a site marks up on purpose.

use ego_tree::NodeId;
use scraper::{ElementRef, Node, Selector};

use super::labels::{self, Label};
use super::{Observation, email, phone};
use crate::crawl::{PageView, collapse};
use crate::model::{ChannelKind, EmailInfo, Mode};
use crate::rules::Rules;

/// How much text before a link is read to find its label ("Fax:", "Hotline").
const LABEL_WINDOW: usize = 160;

pub(super) fn observe(
    view: &PageView<'_>,
    blocks: &[super::text::Block],
    block_of: &std::collections::HashMap<NodeId, usize>,
    silenced: &std::collections::HashSet<NodeId>,
    plain: &super::Plain<'_>,
    rules: &Rules,
    region: Option<&str>,
) -> Vec<Observation> {
    thread_local! {
        static LINKS: Selector = Selector::parse("a[href], area[href]").expect("valid selector");
    }
    let found: Vec<Observation> = LINKS.with(|links| {
        view.document
            .select(links)
            .filter(|a| {
                !silenced.contains(&a.id())
                    && !a
                        .ancestors()
                        .any(|n| n.value().as_element().is_some_and(super::text::is_hidden))
                    && !super::text::is_hidden(a.value())
            })
            .flat_map(|a| {
                let href = a.value().attr("href").unwrap_or("").trim();
                let scheme = href.split(':').next().unwrap_or("").to_ascii_lowercase();
                let mut found: Vec<Observation> = match scheme.as_str() {
                    "tel" | "callto" => tel(view, a, href, rules, region),
                    "mailto" => mailto(view, a, href, plain, rules),
                    _ => Vec::new(),
                };
                let block = block_of.get(&a.id()).copied();
                // Where the link's text stands in its block, so only the words before it are
                // read for whose it is.
                let at = block.and_then(|i| {
                    let shown = collapse(&a.text().collect::<String>());
                    let shown = shown.trim();
                    (!shown.is_empty())
                        .then(|| blocks.get(i)?.text.find(shown))
                        .flatten()
                });
                for obs in &mut found {
                    obs.block = block;
                    obs.at = at;
                }
                found
            })
            .collect()
    });
    found
}

fn tel(
    view: &PageView<'_>,
    a: ElementRef<'_>,
    href: &str,
    rules: &Rules,
    region: Option<&str>,
) -> Vec<Observation> {
    let raw = href
        .split_once(':')
        .map_or("", |(_, r)| r)
        .trim_start_matches('/');
    let raw = percent_encoding::percent_decode_str(raw).decode_utf8_lossy();
    let raw = raw.split(';').next().unwrap_or("");
    let text = collapse(&a.text().collect::<String>());
    // A wrong href with a right visible number is common; the visible text is the fallback.
    let Some(number) = phone::parse(raw, region).or_else(|| phone::parse(&text, region)) else {
        return Vec::new();
    };
    let before = text_before(a);
    let window = labels::window(&format!("{before} {}", label_part(&text)), None);
    let label: Label = labels::read(&window, &rules.labels);
    let kind = if label.fax {
        ChannelKind::Fax
    } else {
        ChannelKind::Phone
    };
    let after = text_after(a);
    let mut obs = Observation::new(
        kind,
        number.display,
        view,
        "tel_link",
        &format!("{} {text}", tail(&before, 48)),
    );
    obs.channel.phone = Some(number.info);
    // A published number is meant for people; IVR-only lines are judged by later extractors.
    obs.channel.mode = Mode::Human;
    obs.channel.labels = label.roles;
    obs.channel.price_note = labels::price_note(&after, &window, &rules.labels);
    super::with_twin(obs, label.both)
}

/// The words of a link text that can label it ("Fax", "Hotline anrufen"), without the number.
fn label_part(text: &str) -> String {
    text.chars()
        .filter(|c| !c.is_ascii_digit())
        .collect::<String>()
}

fn tail(text: &str, max: usize) -> String {
    let start = text.chars().count().saturating_sub(max);
    text.chars().skip(start).collect()
}

fn mailto(
    view: &PageView<'_>,
    a: ElementRef<'_>,
    href: &str,
    plain: &super::Plain<'_>,
    rules: &Rules,
) -> Vec<Observation> {
    let text = collapse(&a.text().collect::<String>());
    let before = tail(&text_before(a), 48);
    email::from_mailto(href)
        .into_iter()
        .map(|address| {
            let no_reply = email::is_no_reply(&address, &rules.labels.no_reply);
            let mut obs = Observation::new(
                ChannelKind::Email,
                &address,
                view,
                "mailto_link",
                &format!("{before} {text}"),
            );
            obs.channel.mode = if no_reply { Mode::Unknown } else { Mode::Human };
            obs.channel.email = Some(EmailInfo {
                obfuscated: !plain.writes(&address),
                address,
                no_reply,
            });
            obs
        })
        .collect()
}

/// The text right after a link within its parent (a price note: `(0,14 €/Min.)`).
fn text_after(a: ElementRef<'_>) -> String {
    let Some(parent) = a.parent() else {
        return String::new();
    };
    let mut seen = false;
    let mut out = String::new();
    for node in parent.descendants() {
        if node.id() == a.id() {
            seen = true;
            continue;
        }
        if seen
            && !node.ancestors().any(|n| n.id() == a.id())
            && let Node::Text(t) = node.value()
        {
            out.push_str(t);
            if out.len() > 160 {
                break;
            }
        }
    }
    collapse(&out)
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::extract::TestPage;

    fn run(html: &str, region: Option<&str>) -> Vec<Observation> {
        let page = TestPage::new(html, "https://e.de/kontakt/");
        observe(
            &page.view(),
            &page.blocks(),
            &page.blocks_of_links(),
            &Default::default(),
            &page.plain(),
            &page.rules,
            region,
        )
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
        let summary: Vec<_> = found
            .iter()
            .map(|o| (o.channel.kind, o.channel.value.as_str()))
            .collect();
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
        assert!(found[4].channel.email.as_ref().unwrap().no_reply);
        assert!(!found[3].channel.email.as_ref().unwrap().no_reply);
    }

    #[test]
    fn a_fax_label_does_not_carry_over_to_the_next_number() {
        let found = run(
            r#"<p>Telefax: <a href="tel:+49891234569">089 123456-9</a><br>
               Kundenservice: <a href="tel:+498003301000">0800 330 1000</a> (kostenlos)</p>"#,
            Some("DE"),
        );
        assert_eq!(found[0].channel.kind, ChannelKind::Fax);
        assert_eq!(found[1].channel.kind, ChannelKind::Phone);
        assert_eq!(found[1].channel.labels, ["customer_service"]);
        assert_eq!(found[1].channel.price_note.as_deref(), Some("kostenlos"));
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
                .all(|o| o.channel.phone.as_ref().unwrap().e164 == "+498003301000")
        );
    }
}
