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

#[allow(clippy::too_many_arguments)]
pub(super) fn observe(
    view: &PageView<'_>,
    blocks: &[super::text::Block],
    block_of: &std::collections::HashMap<NodeId, usize>,
    silenced: &std::collections::HashSet<NodeId>,
    plain: &super::Plain<'_>,
    rules: &Rules,
    region: Option<&str>,
    spent: &dyn Fn() -> bool,
) -> Vec<Observation> {
    thread_local! {
        static LINKS: Selector = Selector::parse("a[href], area[href]").expect("valid selector");
    }
    // Where the last link's text was found in each block: the next link's text is searched
    // from there, so a block of many links is read once, not once per link.
    let mut cursors: std::collections::HashMap<usize, usize> = std::collections::HashMap::new();
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
            // The budget is looked at every 64 links: a clock read per link would cost more
            // than most links do.
            .enumerate()
            .take_while(|(i, _)| i % 64 != 0 || !spent())
            .flat_map(|(_, a)| {
                let href = a.value().attr("href").unwrap_or("").trim();
                let scheme = href.split(':').next().unwrap_or("").to_ascii_lowercase();
                let block = block_of.get(&a.id()).copied();
                if block.is_none() && !matches!(scheme.as_str(), "tel" | "callto" | "mailto") {
                    return Vec::new();
                }
                // The text of every link in a block is read, contact link or not: it moves the
                // place in the block where the next link's text is looked for.
                let text = collapse(&a.text().collect::<String>());
                let mut found: Vec<Observation> = match scheme.as_str() {
                    "tel" | "callto" => tel(view, a, href, &text, rules, region),
                    "mailto" => mailto(view, a, href, &text, plain, rules),
                    _ => Vec::new(),
                };
                // Where the link's text stands in its block, so only the words before it are
                // read for whose it is.
                let at = block.and_then(|i| {
                    let shown = text.trim();
                    let text = &blocks.get(i)?.text;
                    let cursor = cursors.entry(i).or_default();
                    let at = (!shown.is_empty())
                        .then(|| {
                            find_near(text, *cursor, shown).or_else(|| find_near(text, 0, shown))
                        })
                        .flatten()?;
                    *cursor = at + shown.len();
                    Some(at)
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

/// Where `needle` stands in `text` at or after `from`, looking no further than a few KiB ahead.
fn find_near(text: &str, from: usize, needle: &str) -> Option<usize> {
    const AHEAD: usize = 8 * 1024;
    let mut end = (from + AHEAD + needle.len()).min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text.get(from..end)?.find(needle).map(|i| from + i)
}

fn tel(
    view: &PageView<'_>,
    a: ElementRef<'_>,
    href: &str,
    text: &str,
    rules: &Rules,
    region: Option<&str>,
) -> Vec<Observation> {
    let raw = href
        .split_once(':')
        .map_or("", |(_, r)| r)
        .trim_start_matches('/');
    let raw = percent_encoding::percent_decode_str(raw).decode_utf8_lossy();
    let raw = raw.split(';').next().unwrap_or("");
    // A wrong href with a right visible number is common; the visible text is the fallback.
    let Some(number) = phone::parse(raw, region).or_else(|| phone::parse(text, region)) else {
        return Vec::new();
    };
    let before = text_before(a);
    let window = labels::window(&format!("{before} {}", label_part(text)), None);
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
    text: &str,
    plain: &super::Plain<'_>,
    rules: &Rules,
) -> Vec<Observation> {
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

/// Most nodes walked beside a link to find the words before or after it: a label stands close
/// to its link, and a page of ten thousand links in one paragraph must not cost ten thousand
/// walks of that paragraph.
const MAX_WALK: usize = 256;

/// The node after `node` in document order, not entering `node` itself when `skip_own` is set,
/// and never leaving `scope`.
fn next_in<'a>(
    scope: NodeId,
    node: ego_tree::NodeRef<'a, Node>,
    skip_own: bool,
) -> Option<ego_tree::NodeRef<'a, Node>> {
    if !skip_own && let Some(child) = node.first_child() {
        return Some(child);
    }
    let mut at = node;
    loop {
        if at.id() == scope {
            return None;
        }
        if let Some(next) = at.next_sibling() {
            return Some(next);
        }
        at = at.parent()?;
    }
}

/// The node before `node` in document order, never leaving `scope`.
fn previous_in<'a>(
    scope: NodeId,
    node: ego_tree::NodeRef<'a, Node>,
) -> Option<ego_tree::NodeRef<'a, Node>> {
    match node.prev_sibling() {
        Some(mut previous) => {
            while let Some(last) = previous.last_child() {
                previous = last;
            }
            Some(previous)
        }
        None => node.parent().filter(|p| p.id() != scope),
    }
}

/// The text right after a link within its parent (a price note: `(0,14 €/Min.)`).
fn text_after(a: ElementRef<'_>) -> String {
    let Some(parent) = a.parent() else {
        return String::new();
    };
    let mut out = String::new();
    let mut node = next_in(parent.id(), *a, true);
    for _ in 0..MAX_WALK {
        let Some(here) = node else { break };
        if let Node::Text(t) = here.value() {
            out.push_str(t);
            if out.len() > 160 {
                break;
            }
        }
        node = next_in(parent.id(), here, false);
    }
    collapse(&out)
}

/// The text shortly before a link: within its parent, else within the grandparent
/// (`<dt>Fax</dt><dd><a href=tel:…>`).
fn text_before(a: ElementRef<'_>) -> String {
    for ancestor in a.ancestors().take(2) {
        let text = collapse(&preceding_text(ancestor.id(), *a));
        if !text.is_empty() {
            return super::last_chars(&text, LABEL_WINDOW).to_owned();
        }
    }
    String::new()
}

/// The text before `target` within `scope`, read backwards until it holds a label window of
/// letters.
fn preceding_text(scope: NodeId, target: ego_tree::NodeRef<'_, Node>) -> String {
    let mut parts = Vec::new();
    let mut letters = 0;
    let mut node = previous_in(scope, target);
    for _ in 0..MAX_WALK {
        let Some(here) = node else { break };
        if let Node::Text(t) = here.value() {
            parts.push(&**t);
            letters += t.chars().filter(|c| !c.is_whitespace()).count();
            if letters >= LABEL_WINDOW {
                break;
            }
        }
        node = previous_in(scope, here);
    }
    parts.reverse();
    parts.join(" ")
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
            &|| false,
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
