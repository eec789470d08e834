//! Page kinds and link priorities from the cue words in `rules/cues/pages.toml`.
//!
//! Both decisions read the same words: a link labelled "Kontakt" is worth fetching early *and* leads
//! to a contact page. Matching is deliberately simple and explainable — a cue matches where it
//! starts a word — because a reader of the report must be able to tell why a page got its kind.

use percent_encoding::percent_decode_str;
use url::Url;

use crate::model::PageKind;
use crate::rules::PageCues;

/// Whether `word` (lower case) starts a word somewhere in `text_lower`.
#[must_use]
pub fn starts_word(text_lower: &str, word: &str) -> bool {
    text_lower.match_indices(word).any(|(i, _)| {
        text_lower[..i]
            .chars()
            .next_back()
            .is_none_or(|c| !c.is_alphanumeric())
    })
}

/// The decoded, lower-case path segments of a URL.
fn path_segments(url: &Url) -> Vec<String> {
    url.path_segments()
        .map(|segments| {
            segments
                .filter(|s| !s.is_empty())
                .map(|s| percent_decode_str(s).decode_utf8_lossy().to_lowercase())
                .collect()
        })
        .unwrap_or_default()
}

fn path_matches(segments: &[String], tokens: &[String]) -> bool {
    path_matches_except(segments, tokens, &[])
}

fn text_matches(text_lower: &str, words: &[String]) -> bool {
    text_matches_except(text_lower, words, &[])
}

/// [`text_matches_except`] with the kind's automaton when it has one.
fn cue_matches(text_lower: &str, cue: &crate::rules::KindCue) -> bool {
    let Some(index) = &cue.word_index else {
        return text_matches_except(text_lower, &cue.words, &cue.except);
    };
    !text_lower.is_empty()
        && index.find_overlapping_iter(text_lower).any(|m| {
            let i = m.start();
            text_lower[..i]
                .chars()
                .next_back()
                .is_none_or(|c| !c.is_alphanumeric())
                && !cue
                    .except
                    .iter()
                    .any(|e| text_lower[i..].starts_with(e.as_str()))
        })
}

/// Whether a word of `words` starts a word of `text_lower` where no word of `except` starts
/// ("kontakt" in "Kontakt", not in "Kontaktlinsen").
fn text_matches_except(text_lower: &str, words: &[String], except: &[String]) -> bool {
    !text_lower.is_empty()
        && words.iter().any(|w| {
            text_lower.match_indices(w.as_str()).any(|(i, _)| {
                text_lower[..i]
                    .chars()
                    .next_back()
                    .is_none_or(|c| !c.is_alphanumeric())
                    && !except
                        .iter()
                        .any(|e| text_lower[i..].starts_with(e.as_str()))
            })
        })
}

fn path_matches_except(segments: &[String], tokens: &[String], except: &[String]) -> bool {
    segments
        .iter()
        .any(|seg| text_matches_except(seg, tokens, except))
}

/// Whether a link (its target and text) leads to a page of the kind `cue` describes.
#[must_use]
pub fn leads_to(cue: &crate::rules::KindCue, target: &Url, text: &str) -> bool {
    cue_matches(&text.to_lowercase(), cue)
        || path_matches_except(&path_segments(target), &cue.paths, &cue.except)
}

/// How early the frontier should fetch a link (higher = earlier; 0 = no cue).
#[must_use]
pub fn link_priority(cues: &PageCues, target: &Url, text: &str) -> u32 {
    let text = text.to_lowercase();
    let segments = path_segments(target);
    let kinds = cues
        .kinds
        .iter()
        .filter(|c| cue_matches(&text, c) || path_matches_except(&segments, &c.paths, &c.except))
        .map(|c| c.priority);
    // Boost words name menu items ("Standorte", "Über uns"); in a headline ("Bäckerei eröffnet
    // zweite Filiale") they name nothing to fetch.
    let menu_item = text.split_whitespace().count() <= cues.crawl.boost_max_words as usize;
    let boosts = cues
        .boosts
        .iter()
        .filter(|c| {
            (menu_item && text_matches(&text, &c.words)) || path_matches(&segments, &c.paths)
        })
        .map(|c| c.priority);
    kinds.chain(boosts).max().unwrap_or(0)
}

/// Where on its page a link sits.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Placement {
    /// The page's own content.
    #[default]
    Content,
    /// The header or a navigation menu (mostly sections and products).
    Navigation,
    /// The footer (service, legal, store and contact links).
    Footer,
}

/// Where a link sits, for [`frontier_priority`].
#[derive(Debug, Clone, Copy, Default)]
pub struct LinkPlace {
    /// Header, navigation, footer or content.
    pub placement: Placement,
    /// Found on a contact, help, imprint or service page (see [`is_service_page`]).
    pub on_service_page: bool,
    /// Its URL falls into a trap-like family (a date, a page number, a view parameter).
    pub trap: bool,
}

/// A link's place in the frontier (higher = earlier) and whether its cue is strong enough to pass
/// a trap family's cap, after `[crawl]` in `rules/cues/pages.toml`: base, plus the cue, plus
/// placement, minus content and trap penalties.
#[must_use]
pub fn frontier_priority(
    cues: &PageCues,
    target: &Url,
    text: &str,
    place: LinkPlace,
) -> (u32, bool) {
    let c = &cues.crawl;
    let cue = link_priority(cues, target, text);
    let strong = cue >= c.strong_cue;
    let mut priority = c.base + cue;
    priority += match place.placement {
        Placement::Content => 0,
        Placement::Navigation => c.navigation,
        Placement::Footer => c.footer,
    };
    if place.on_service_page {
        priority += c.from_service_page;
    }
    if cue == 0 {
        let text = text.to_lowercase();
        if text_matches(&text, &c.demote_words)
            || path_matches(&path_segments(target), &c.demote_paths)
        {
            priority = priority.saturating_sub(c.demote);
        }
    }
    if place.trap && !strong {
        priority = priority.saturating_sub(c.trap_penalty);
    }
    (priority, strong)
}

/// A page whose links lead on to contact details: a contact, help or imprint page, or one a boost
/// cue names (service, about us, team, branches) by its URL or title.
#[must_use]
pub fn is_service_page(
    cues: &PageCues,
    url: &Url,
    title: Option<&str>,
    heading: Option<&str>,
) -> bool {
    let kinds = page_kinds(cues, url, title, heading, &[], false);
    if kinds
        .iter()
        .any(|k| matches!(k, PageKind::Contact | PageKind::Help | PageKind::Imprint))
    {
        return true;
    }
    let segments = path_segments(url);
    let own = format!("{} | {}", title.unwrap_or(""), heading.unwrap_or("")).to_lowercase();
    cues.boosts
        .iter()
        .any(|b| text_matches(&own, &b.words) || path_matches(&segments, &b.paths))
}

/// What a page is about, from its URL, title, main heading and the text of links pointing to it.
#[must_use]
pub fn page_kinds(
    cues: &PageCues,
    url: &Url,
    title: Option<&str>,
    heading: Option<&str>,
    anchor_texts: &[String],
    is_start: bool,
) -> Vec<PageKind> {
    let segments = path_segments(url);
    let own_text = format!("{} | {}", title.unwrap_or(""), heading.unwrap_or("")).to_lowercase();
    let anchors: Vec<String> = anchor_texts.iter().map(|t| t.to_lowercase()).collect();
    let mut kinds: Vec<PageKind> = Vec::new();
    if is_start {
        kinds.push(PageKind::Home);
    }
    for cue in &cues.kinds {
        // The home page's title names the company, not a kind; only its URL could.
        let by_text = !is_start
            && (cue_matches(&own_text, cue) || anchors.iter().any(|a| cue_matches(a, cue)));
        if by_text || path_matches_except(&segments, &cue.paths, &cue.except) {
            kinds.push(cue.kind);
        }
    }
    if kinds.is_empty() {
        kinds.push(PageKind::Other);
    }
    kinds.sort();
    kinds.dedup();
    kinds
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::Rules;

    fn cues() -> PageCues {
        Rules::embedded().unwrap().pages
    }

    #[test]
    fn cue_must_start_a_word() {
        assert!(starts_word("unser kontaktformular", "kontakt"));
        assert!(starts_word("legal notice", "legal"));
        assert!(!starts_word("illegal", "legal"));
    }

    #[test]
    fn contact_links_come_before_product_links() {
        let cues = cues();
        let base = Url::parse("https://e.de/").unwrap();
        let contact = link_priority(&cues, &base.join("/x/").unwrap(), "Kontakt");
        let kuendigen = link_priority(&cues, &base.join("/k%C3%BCndigen/").unwrap(), "");
        let imprint = link_priority(&cues, &base.join("/impressum.html").unwrap(), "");
        let product = link_priority(&cues, &base.join("/sofa-berlin/").unwrap(), "Sofa Berlin");
        assert!(contact > imprint && imprint > kuendigen && kuendigen > product);
        assert_eq!(product, 0);
    }

    #[test]
    fn navigation_first_content_and_traps_last() {
        let cues = cues();
        let base = Url::parse("https://e.de/").unwrap();
        let at = |path: &str, text: &str, place: LinkPlace| {
            frontier_priority(&cues, &base.join(path).unwrap(), text, place)
        };
        let footer = LinkPlace {
            placement: Placement::Footer,
            ..LinkPlace::default()
        };
        let (contact, strong) = at("/haus/kontakt/", "Kontakt & Anfahrt", footer);
        assert!(strong);
        let (section, _) = at("/haus/", "Das Haus", footer);
        let (teaser, _) = at("/haus/geschichte/", "Geschichte", LinkPlace::default());
        let (article, weak) = at(
            "/aktuelles/sommerfest/",
            "Weiterlesen",
            LinkPlace::default(),
        );
        let (month, _) = at(
            "/programm/2026-04/",
            "April",
            LinkPlace {
                trap: true,
                ..LinkPlace::default()
            },
        );
        assert!(!weak);
        assert!(contact > section && section > teaser && teaser > article && article >= month);
    }

    #[test]
    fn kinds_from_url_title_heading_and_anchor_text() {
        let cues = cues();
        let url = Url::parse("https://e.de/service/seite-42.html").unwrap();
        assert_eq!(
            page_kinds(&cues, &url, Some("Impressum | Acme"), None, &[], false),
            vec![PageKind::Imprint]
        );
        assert_eq!(
            page_kinds(&cues, &url, None, None, &["Häufige Fragen".into()], false),
            vec![PageKind::Help]
        );
        let home = Url::parse("https://e.de/").unwrap();
        assert_eq!(
            page_kinds(
                &cues,
                &home,
                Some("Acme – Kontakt und Service"),
                None,
                &[],
                true
            ),
            vec![PageKind::Home]
        );
        let other = Url::parse("https://e.de/sofas/").unwrap();
        assert_eq!(
            page_kinds(&cues, &other, Some("Sofas"), None, &[], false),
            vec![PageKind::Other]
        );
    }
}
