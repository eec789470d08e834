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
    for (kind, id) in [
        (PageKind::Contact, CONTACT_LINK_IN_NAVIGATION),
        (PageKind::Imprint, IMPRINT_LINK_IN_NAVIGATION),
    ] {
        if let Some(link) = navigation_link(view, rules, kind) {
            out.push(PageSignal {
                id: id.to_owned(),
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

/// The text of the first link in `nav`, `header` or `footer` that leads to a page of `kind`; also
/// in the `div`s older templates name so (`<div id="navigation">`, `class="site-footer"`).
fn navigation_link(view: &PageView<'_>, rules: &Rules, kind: PageKind) -> Option<String> {
    thread_local! {
        static NAV_LINKS: Selector = Selector::parse(
            "nav a[href], header a[href], footer a[href], [role=navigation] a[href], [role=contentinfo] a[href], [role=banner] a[href], \
             [id*=navigation] a[href], [class*=navigation] a[href], [id=nav] a[href], [class~=nav] a[href], [class*=navbar] a[href], \
             [id*=menu] a[href], [class*=menu] a[href], [id*=header] a[href], [class~=header] a[href], [id*=footer] a[href], [class*=footer] a[href]",
        )
        .expect("valid selector");
    }
    let cue = rules.pages.kinds.iter().find(|k| k.kind == kind)?;
    NAV_LINKS.with(|links| {
        view.document.select(links).find_map(|a| {
            if is_hidden(a.value()) {
                return None;
            }
            let href = a.value().attr("href")?;
            let target = view.url.join(href).ok()?;
            let text = crate::crawl::collapse(&a.text().collect::<String>());
            crate::crawl::classify::leads_to(cue, &target, &text)
                .then(|| format!("{text} → {}", target.path()))
        })
    })
}
