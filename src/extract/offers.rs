//! Contact offers named by links, buttons and headings (`rules/cues/offers.toml`): a callback,
//! a video consultation, an appointment, a chat, where no vendor's embed code gives them away.

use scraper::Selector;

use super::Observation;
use super::text::{self, is_hidden};
use super::widget::{cues_in, refine};
use crate::crawl::PageView;
use crate::crawl::classify::starts_word;
use crate::model::ChannelKind;
use crate::rules::Rules;

/// Longest text of a link, button or heading that can name an offer.
const MAX_LABEL: usize = 80;

/// Offers on one page.
pub(super) fn observe(
    view: &PageView<'_>,
    rules: &Rules,
    page_text_lower: &str,
) -> Vec<Observation> {
    thread_local! {
        static ELEMENTS: Selector = Selector::parse("a, button, [role=button], h1, h2, h3, h4")
            .expect("valid selector");
    }
    let mut out: Vec<Observation> = Vec::new();
    // What the page says about its chat, read once for every offer on it.
    let said = std::cell::OnceCell::new();
    // Most pages name no offer at all: one substring search per word over the page's visible
    // text first (which is why only elements with visible text are read below).
    let any = rules
        .offers
        .offers
        .iter()
        .any(|o| o.words.iter().any(|w| page_text_lower.contains(w.as_str())));
    if !any {
        return out;
    }
    ELEMENTS.with(|elements| {
        for element in view.document.select(elements) {
            if is_hidden(element.value())
                || element
                    .ancestors()
                    .any(|a| a.value().as_element().is_some_and(is_hidden))
            {
                continue;
            }
            let label = text::of(element);
            if label.is_empty() || label.chars().count() > MAX_LABEL {
                continue;
            }
            let lower = label.to_lowercase();
            // A heading that lists several services ("Live-Chat, Videoberatung und Terminbuchung"
            // over a privacy section) names topics, not an offer.
            let is_heading = matches!(element.value().name(), "h1" | "h2" | "h3" | "h4");
            if is_heading
                && (lower.contains(',')
                    || [" und ", " and ", " & ", " y ", " oder ", " or "]
                        .iter()
                        .any(|j| lower.contains(j)))
            {
                continue;
            }
            let Some(offer) = rules
                .offers
                .offers
                .iter()
                .find(|o| o.words.iter().any(|w| starts_word(&lower, w)))
            else {
                continue;
            };
            let (mode, handoff) = if offer.kind == ChannelKind::Chat {
                let said = *said.get_or_init(|| cues_in(page_text_lower, &rules.chat));
                (refine(offer.mode, said), said.handoff)
            } else {
                (offer.mode, false)
            };
            let href = element
                .value()
                .attr("href")
                .map(str::trim)
                .filter(|h| !h.is_empty() && !h.starts_with('#') && !h.starts_with("javascript:"))
                .and_then(|h| view.url.join(h).ok())
                .filter(|u| matches!(u.scheme(), "http" | "https"));
            let mut obs = Observation::new(offer.kind, &label, view, "offer", &label);
            obs.channel.mode = mode;
            obs.channel.handoff = handoff;
            // A button or heading offers it on this page: the page is where to go for it, so a
            // "Rückruf anfordern" link elsewhere and the heading of the page it leads to are one offer.
            obs.channel.url = Some(href.map_or_else(
                || view.url.to_string(),
                |u| super::widget::normalize_link(u.as_str()),
            ));
            if !out
                .iter()
                .any(|o| o.channel.kind == offer.kind && o.channel.url == obs.channel.url)
            {
                out.push(obs);
            }
        }
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::extract::TestPage;
    use crate::model::Mode;

    fn run(html: &str) -> Vec<(ChannelKind, String, Mode, Option<String>)> {
        let page = TestPage::new(html, "https://acme.de/service/");
        observe(&page.view(), &page.rules, &page.text_lower())
            .into_iter()
            .map(|o| {
                (
                    o.channel.kind,
                    o.channel.value,
                    o.channel.mode,
                    o.channel.url,
                )
            })
            .collect()
    }

    #[test]
    fn links_buttons_and_headings_name_offers() {
        let found = run(
            "<h2>Rückruf-Service</h2><a href='/rueckruf/'>Rückruf anfordern</a>\
             <button>Videoberatung starten</button>\
             <a href='https://termine.acme.de/buchen'>Termin vereinbaren</a>\
             <p>Über unseren Rückruf-Service erfahren Sie mehr in unserem langen Artikel über Kundenservice, der hier nicht als Angebot zählt.</p>\
             <h3>Live-Chat, Videoberatung und Terminbuchung</h3>\
             <a href='#' style='display:none'>Chat starten</a>",
        );
        assert_eq!(
            found,
            [
                (
                    ChannelKind::Callback,
                    "Rückruf-Service".to_owned(),
                    Mode::Human,
                    Some("https://acme.de/service/".to_owned())
                ),
                (
                    ChannelKind::Callback,
                    "Rückruf anfordern".to_owned(),
                    Mode::Human,
                    Some("https://acme.de/rueckruf/".to_owned())
                ),
                (
                    ChannelKind::Video,
                    "Videoberatung starten".to_owned(),
                    Mode::Human,
                    Some("https://acme.de/service/".to_owned())
                ),
                (
                    ChannelKind::Appointment,
                    "Termin vereinbaren".to_owned(),
                    Mode::Human,
                    Some("https://termine.acme.de/buchen".to_owned())
                ),
            ]
        );
    }

    #[test]
    fn a_chat_button_takes_its_mode_from_the_page() {
        let found =
            run("<button>Chat starten</button><p>Unser virtueller Assistent hilft Ihnen.</p>");
        assert_eq!(found[0].2, Mode::Bot);
        let found = run("<button>Chat starten</button>");
        assert_eq!(found[0].2, Mode::Unknown);
    }
}
