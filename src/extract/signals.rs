//! Page signals that are not channels: deflection wording (`rules/cues/signals.toml`) and whether
//! the page's navigation, header or footer links to a contact or imprint page — the way most
//! customers look for a way to reach someone.

use scraper::Selector;

use super::text::is_hidden;
use crate::crawl::PageView;
use crate::crawl::classify::{link_priority, starts_word};
use crate::model::{Evidence, PageKind};
use crate::rules::{Rules, SignalKind};

/// One page signal with where it was seen.
#[derive(Debug, Clone, PartialEq)]
pub struct PageSignal {
    /// Signal id (`faq_first`, `contact_link_in_navigation`).
    pub id: String,
    /// Whether it pushes customers away from people.
    pub deflection: bool,
    /// Where it was seen.
    pub evidence: Evidence,
}

/// The id of the navigation signal.
pub const CONTACT_LINK_IN_NAVIGATION: &str = "contact_link_in_navigation";

/// Signals on one page. `blocks_lower` are the page's text blocks, lower case.
pub(super) fn observe(
    view: &PageView<'_>,
    rules: &Rules,
    blocks_lower: &[String],
    page_text_lower: &str,
) -> Vec<PageSignal> {
    let mut out = Vec::new();
    for signal in &rules.signals.signals {
        // One fast substring search over the page before looking for the block.
        if !signal
            .words
            .iter()
            .any(|w| page_text_lower.contains(w.as_str()))
        {
            continue;
        }
        let hit = blocks_lower
            .iter()
            .find(|b| signal.words.iter().any(|w| starts_word(b, w)));
        if let Some(block) = hit {
            out.push(PageSignal {
                id: signal.id.clone(),
                deflection: signal.kind == SignalKind::Deflection,
                evidence: Evidence {
                    url: view.url.to_string(),
                    source: "text".to_owned(),
                    snippet: super::shorten(block, super::SNIPPET_MAX),
                },
            });
        }
    }
    if let Some(link) = navigation_contact_link(view, rules) {
        out.push(PageSignal {
            id: CONTACT_LINK_IN_NAVIGATION.to_owned(),
            deflection: false,
            evidence: Evidence {
                url: view.url.to_string(),
                source: "navigation".to_owned(),
                snippet: link,
            },
        });
    }
    out
}

/// The text of the first link in `nav`, `header` or `footer` that leads to a contact page.
fn navigation_contact_link(view: &PageView<'_>, rules: &Rules) -> Option<String> {
    thread_local! {
        static NAV_LINKS: Selector = Selector::parse(
            "nav a[href], header a[href], footer a[href], [role=navigation] a[href], [role=contentinfo] a[href], [role=banner] a[href]",
        )
        .expect("valid selector");
    }
    let contact_priority = rules
        .pages
        .kinds
        .iter()
        .find(|k| k.kind == PageKind::Contact)
        .map_or(u32::MAX, |k| k.priority);
    NAV_LINKS.with(|links| {
        view.document.select(links).find_map(|a| {
            if is_hidden(a.value()) {
                return None;
            }
            let href = a.value().attr("href")?;
            let target = view.url.join(href).ok()?;
            let text = crate::crawl::collapse(&a.text().collect::<String>());
            (link_priority(&rules.pages, &target, &text) >= contact_priority)
                .then(|| format!("{text} → {}", target.path()))
        })
    })
}
