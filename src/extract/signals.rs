//! Page signals that are not channels: deflection wording (`rules/cues/signals.toml`) and whether
//! the page's navigation, header or footer links to a contact or imprint page — the way most
//! customers look for a way to reach someone.

use scraper::Selector;

use super::text::is_hidden;
use crate::crawl::PageView;
use crate::crawl::classify::starts_word;
use crate::model::{Evidence, PageKind};
use crate::rules::{Rules, SignalKind, SignalScope};

/// One page signal with where it was seen.
#[derive(Debug, Clone, PartialEq)]
pub struct PageSignal {
    /// Signal id (`faq_first`, `contact_link_in_navigation`).
    pub id: String,
    /// What it means, for people.
    pub title: String,
    /// Whether it pushes customers away from people.
    pub deflection: bool,
    /// Where it was seen.
    pub evidence: Evidence,
}

pub use crate::rules::cues::{CONTACT_LINK_IN_NAVIGATION, IMPRINT_LINK_IN_NAVIGATION};

/// Signals on one page. `blocks_lower` are the page's text blocks, lower case.
pub(super) fn observe(
    view: &PageView<'_>,
    rules: &Rules,
    blocks_lower: &[String],
    page_text_lower: &str,
) -> Vec<PageSignal> {
    thread_local! {
        static BUTTONS: Selector =
            Selector::parse("a, button, [role=button]")
                .expect("valid selector");
    }
    let mut out = Vec::new();
    // Link and button texts, read only if some signal needs them.
    let mut buttons: Option<Vec<String>> = None;
    for signal in &rules.signals.signals {
        // One fast substring search over the page's visible text (which holds the link texts
        // too) before looking for the place.
        if !signal
            .words
            .iter()
            .any(|w| page_text_lower.contains(w.as_str()))
        {
            continue;
        }
        let hit = match signal.scope {
            SignalScope::Text => blocks_lower
                .iter()
                .find(|b| signal.words.iter().any(|w| starts_word(b, w)))
                .cloned(),
            SignalScope::Links => {
                let buttons = buttons.get_or_insert_with(|| {
                    BUTTONS.with(|sel| {
                        view.document
                            .select(sel)
                            .filter(|e| !is_hidden(e.value()))
                            .map(|e| super::text::of(e).to_lowercase())
                            .filter(|t| !t.is_empty() && t.chars().count() <= 80)
                            .collect()
                    })
                });
                buttons
                    .iter()
                    .find(|b| signal.words.iter().any(|w| starts_word(b, w)))
                    .cloned()
            }
        };
        if let Some(block) = hit {
            out.push(PageSignal {
                id: signal.id.clone(),
                title: signal.title.clone(),
                deflection: signal.kind == SignalKind::Deflection,
                evidence: Evidence {
                    url: view.url.to_string(),
                    source: match signal.scope {
                        SignalScope::Text => "text",
                        SignalScope::Links => "link",
                    }
                    .to_owned(),
                    snippet: super::shorten(&block, super::SNIPPET_MAX),
                },
            });
        }
    }
    let nav = navigation_links(view);
    for (kind, id) in [
        (PageKind::Contact, CONTACT_LINK_IN_NAVIGATION),
        (PageKind::Imprint, IMPRINT_LINK_IN_NAVIGATION),
    ] {
        if let Some(link) = navigation_link(view, rules, &nav, kind) {
            out.push(PageSignal {
                id: id.to_owned(),
                title: rules.signals.title(id),
                deflection: false,
                evidence: Evidence {
                    url: view.url.to_string(),
                    source: "navigation".to_owned(),
                    snippet: link,
                },
            });
        }
    }
    out
}

/// Whether an element is a page's navigation, header or footer: by its element or role, or by
/// the id or class older templates give such `div`s (`<div id="navigation">`, `class="site-footer"`).
fn is_navigation(element: &scraper::node::Element) -> bool {
    // A theme's class on the page itself ("menu-open") does not make the page a menu.
    if matches!(element.name(), "html" | "body" | "main") {
        return false;
    }
    if matches!(element.name(), "nav" | "header" | "footer")
        || element
            .attr("role")
            .is_some_and(|r| matches!(r, "navigation" | "contentinfo" | "banner"))
    {
        return true;
    }
    let named = |value: &str| {
        value.split_ascii_whitespace().any(|token| {
            let token = token.to_ascii_lowercase();
            token == "nav"
                || token == "header"
                || ["navigation", "navbar", "menu", "footer"]
                    .iter()
                    .any(|w| token.contains(w))
        })
    };
    element.attr("id").is_some_and(|id| {
        let id = id.to_ascii_lowercase();
        id == "nav"
            || ["navigation", "menu", "header", "footer"]
                .iter()
                .any(|w| id.contains(w))
    }) || element.attr("class").is_some_and(named)
}

/// Every visible link inside the page's navigation, header or footer, found in one walk of the
/// tree.
fn navigation_links(view: &PageView<'_>) -> Vec<ego_tree::NodeId> {
    use ego_tree::iter::Edge;
    let mut out = Vec::new();
    // Depth inside navigation and inside hidden elements.
    let (mut inside, mut hidden) = (0usize, 0usize);
    for edge in view.document.tree.root().traverse() {
        match edge {
            Edge::Open(node) => {
                let Some(element) = node.value().as_element() else {
                    continue;
                };
                if hidden > 0 || is_hidden(element) {
                    hidden += 1;
                    continue;
                }
                if inside > 0 || is_navigation(element) {
                    inside += 1;
                }
                if inside > 0 && element.name() == "a" && element.attr("href").is_some() {
                    out.push(node.id());
                }
            }
            Edge::Close(node) => {
                if node.value().as_element().is_none() {
                    continue;
                }
                if hidden > 0 {
                    hidden -= 1;
                } else {
                    inside = inside.saturating_sub(1);
                }
            }
        }
    }
    out
}

/// The text of the first navigation link that leads to a page of `kind`.
fn navigation_link(
    view: &PageView<'_>,
    rules: &Rules,
    links: &[ego_tree::NodeId],
    kind: PageKind,
) -> Option<String> {
    let cue = rules.pages.kinds.iter().find(|k| k.kind == kind)?;
    links.iter().find_map(|id| {
        let a = scraper::ElementRef::wrap(view.document.tree.get(*id)?)?;
        let target = view.url.join(a.value().attr("href")?).ok()?;
        let text = crate::crawl::collapse(&a.text().collect::<String>());
        crate::crawl::classify::leads_to(cue, &target, &text)
            .then(|| format!("{text} → {}", target.path()))
    })
}
