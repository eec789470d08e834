//! Postal addresses in text blocks, by the conventions of `rules/cues/address.toml` (street and
//! number, then postcode and town).

use super::Observation;
use super::structured::format_address;
use crate::crawl::PageView;
use crate::model::{ChannelKind, Mode, PostalAddress};
use crate::rules::Rules;

/// Addresses written in one block of text.
pub(super) fn in_text(
    view: &PageView<'_>,
    text: &str,
    rules: &Rules,
    region: Option<&str>,
) -> Vec<Observation> {
    let mut out = Vec::new();
    // Spans already read: the conventions overlap (a British street with and without its
    // house-number line), and one written address is one sighting.
    let mut taken: Vec<(usize, usize)> = Vec::new();
    // Capturing is far slower than matching, and most blocks hold no address at all: one scan
    // over the block with every convention at once tells which to capture.
    let matching = rules.address.any.as_ref().map(|set| set.matches(text));
    for (index, (convention, pattern)) in rules.address.patterns.iter().enumerate() {
        if matching.as_ref().is_some_and(|m| !m.matched(index)) {
            continue;
        }
        for caps in pattern.captures_iter(text) {
            let Some(whole) = caps.get(0) else {
                continue;
            };
            let start = whole.start();
            if taken.iter().any(|(s, e)| start < *e && whole.end() > *s) {
                continue;
            }
            taken.push((start, whole.end()));
            let get = |name: &str| caps.name(name).map(|m| crate::crawl::collapse(m.as_str()));
            let postcode = get("postcode").map(|p| p.replace('\u{a0}', " "));
            let country = match (*convention, postcode.as_deref().map(str::len)) {
                // "Via Roma 12, 00184 Roma": a five-digit postcode of the page's own country.
                ("dach", Some(5)) => Some(
                    region
                        .filter(|r| matches!(*r, "IT" | "FR" | "ES" | "SM" | "MC"))
                        .unwrap_or("DE")
                        .to_owned(),
                ),
                ("dach" | "fr", Some(4)) => region
                    .filter(|r| matches!(*r, "AT" | "CH" | "LI" | "BE" | "LU"))
                    .map(str::to_owned),
                ("fr", Some(5)) => Some("FR".to_owned()),
                ("uk", _) => Some("GB".to_owned()),
                ("ie", _) => Some("IE".to_owned()),
                ("us", _) => Some("US".to_owned()),
                ("ca", _) => Some("CA".to_owned()),
                ("es", _) => Some("ES".to_owned()),
                ("nl", _) => Some("NL".to_owned()),
                _ => None,
            };
            // "C/ Mayor, 12": Spanish pages put a comma before the number; the street is the same.
            let street = get("street").map(|s| {
                if *convention == "es" {
                    tidy_number_comma(&s)
                } else {
                    s
                }
            });
            // "75334 Paris Cedex 07": the delivery office belongs to the town; "Paris
            // (Francia)": the country in brackets does not.
            let town = get("town").map(|t| match (*convention, t.find(" (")) {
                ("fr" | "nl" | "ie", Some(open)) if t.ends_with(')') => t[..open].to_owned(),
                _ => t,
            });
            let town = match (town, get("cedex")) {
                (Some(t), Some(c)) => Some(format!("{t} {}", c.trim())),
                (t, _) => t,
            };
            let address = PostalAddress {
                street,
                postcode,
                locality: town,
                country,
            };
            let value = format_address(&address);
            let mut obs = Observation::new(
                ChannelKind::PostalAddress,
                &value,
                view,
                "text",
                whole.as_str(),
            );
            obs.channel.address = Some(address);
            obs.channel.mode = Mode::Human;
            obs.at = Some(start);
            out.push(obs);
        }
    }
    out
}

/// "C/ Mayor, 12" as "C/ Mayor 12".
fn tidy_number_comma(street: &str) -> String {
    match street.rfind(',') {
        Some(comma)
            if street[comma + 1..]
                .trim_start()
                .starts_with(|c: char| c.is_ascii_digit()) =>
        {
            format!(
                "{} {}",
                street[..comma].trim_end(),
                street[comma + 1..].trim_start()
            )
        }
        _ => street.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::extract::TestPage;

    fn found(text: &str, region: Option<&str>) -> Vec<(String, Option<String>)> {
        let page = TestPage::new("", "https://acme.de/");
        in_text(&page.view(), text, &page.rules, region)
            .into_iter()
            .map(|o| {
                let country = o.channel.address.as_ref().and_then(|a| a.country.clone());
                (o.channel.value, country)
            })
            .collect()
    }

    #[test]
    fn addresses_as_companies_write_them() {
        let de = |t| found(t, Some("DE"));
        assert_eq!(
            de("ACME Haushaltswaren GmbH\nMusterstraße 12\n80331 München"),
            [(
                "Musterstraße 12, 80331 München".to_owned(),
                Some("DE".to_owned())
            )]
        );
        assert_eq!(
            de("Kaputt Handel e.K. · Alte Messe 7 · D-04103 Leipzig"),
            [(
                "Alte Messe 7, 04103 Leipzig".to_owned(),
                Some("DE".to_owned())
            )]
        );
        assert_eq!(
            de("Industriestr. 3a, 12345 Bad Musterstadt"),
            [(
                "Industriestr. 3a, 12345 Bad Musterstadt".to_owned(),
                Some("DE".to_owned())
            )]
        );
        assert_eq!(
            found("Mariahilfer Straße 101, 1060 Wien", Some("AT")),
            [(
                "Mariahilfer Straße 101, 1060 Wien".to_owned(),
                Some("AT".to_owned())
            )]
        );
        assert_eq!(
            found(
                "Northwind Energy Ltd\n12 Wellington Street\nLeeds LS1 4DL",
                Some("GB")
            ),
            [(
                "12 Wellington Street, LS1 4DL Leeds".to_owned(),
                Some("GB".to_owned())
            )]
        );
        assert_eq!(
            found("1200 South Sixth Street, Springfield, IL 62703", Some("US")),
            [(
                "1200 South Sixth Street, 62703 Springfield".to_owned(),
                Some("US".to_owned())
            )]
        );
        assert_eq!(
            found("Calle de Alcalá 45, 28014 Madrid", Some("ES")),
            [(
                "Calle de Alcalá 45, 28014 Madrid".to_owned(),
                Some("ES".to_owned())
            )]
        );
        assert!(de("Lieferung in 2–3 Werktagen an 12345 Kunden").is_empty());
        assert_eq!(
            de("Stadtwerke Musterstadt GmbH, Kundenservice, Postfach 1120, 29201 Musterstadt"),
            [(
                "Postfach 1120, 29201 Musterstadt".to_owned(),
                Some("DE".to_owned())
            )]
        );
        assert_eq!(
            de("…können Sie die Schlichtungsstelle Energie e. V., Friedrichstraße 133, 10117 Berlin, anrufen").len(),
            1,
            "another organisation's address is found; whose it is, is decided by extract::owner"
        );
        let ch = |t| found(t, Some("CH"));
        assert_eq!(
            ch("Bergbahnen Alpina AG · Via Plaun 4 · 7149 Alpina GR"),
            [("Via Plaun 4, 7149 Alpina".to_owned(), Some("CH".to_owned()))]
        );
        assert_eq!(
            ch(
                "…Verkaufsbüro an der Löwenstrasse 20, 8001 Zürich. Telefon Verkaufsbüro: 044 215 40 27"
            ),
            [(
                "Löwenstrasse 20, 8001 Zürich".to_owned(),
                Some("CH".to_owned())
            )]
        );
        assert_eq!(
            found("Write to: PO Box 7420, Leeds LS1 9NE", Some("GB")),
            [(
                "PO Box 7420, LS1 9NE Leeds".to_owned(),
                Some("GB".to_owned())
            )]
        );
        assert_eq!(
            found("P.O. Box 19240, Springfield, IL 62794-9240", Some("US")),
            [(
                "P.O. Box 19240, 62794-9240 Springfield".to_owned(),
                Some("US".to_owned())
            )]
        );
        assert_eq!(
            found("655 N Grand Ave E, Springfield, IL 62702", Some("US")),
            [(
                "655 N Grand Ave E, 62702 Springfield".to_owned(),
                Some("US".to_owned())
            )]
        );
        assert_eq!(
            found(
                "Northwind Energy, 12 Wellington Street, LEEDS LS1 4DL",
                Some("GB")
            ),
            [(
                "12 Wellington Street, LS1 4DL LEEDS".to_owned(),
                Some("GB".to_owned())
            )]
        );
    }

    #[test]
    fn addresses_of_france_benelux_ireland_canada_and_british_lines() {
        let one = |t: &str, r: &str| {
            found(t, Some(r))
                .into_iter()
                .map(|(v, c)| format!("{v} [{}]", c.unwrap_or_default()))
                .collect::<Vec<_>>()
        };
        assert_eq!(
            one(
                "Siège : 14 rue des Trois Frères Barthélemy, 13006 Marseille",
                "FR"
            ),
            ["14 rue des Trois Frères Barthélemy, 13006 Marseille [FR]"]
        );
        assert_eq!(
            one(
                "CNIL – 3 place de Fontenoy – TSA 80715 – 75334 Paris Cedex 07",
                "FR"
            ),
            ["3 place de Fontenoy, 75334 Paris Cedex 07 [FR]"]
        );
        assert_eq!(
            one(
                "245 avenue de la Fleuride\nCS 80112\n13685 Aubagne Cedex",
                "FR"
            ),
            ["245 avenue de la Fleuride, 13685 Aubagne Cedex [FR]"]
        );
        assert_eq!(
            one("70 rue Saint-Lazare, 75009 Paris (Francia)", "IT"),
            ["70 rue Saint-Lazare, 75009 Paris [FR]"]
        );
        assert_eq!(
            one("Keizersgracht 123\n1015 CJ Amsterdam", "NL"),
            ["Keizersgracht 123, 1015 CJ Amsterdam [NL]"]
        );
        assert_eq!(
            one(
                "de Autoriteit Persoonsgegevens, Postbus 93374, 2509 AJ Den Haag",
                "NL"
            ),
            ["Postbus 93374, 2509 AJ Den Haag [NL]"]
        );
        assert_eq!(
            one(
                "2nd Floor, 1-2 Haddington Road, Dublin 4, D04 XN32, Ierland",
                "NL"
            ),
            ["1-2 Haddington Road, D04 XN32 Dublin 4 [IE]"]
        );
        assert_eq!(
            one(
                "1180, rue Sainte-Catherine Ouest\nMontréal (Québec) H3B 1A7",
                "CA"
            ),
            ["1180, rue Sainte-Catherine Ouest, H3B 1A7 Montréal [CA]"]
        );
        assert_eq!(
            one("468 Queen St W\nToronto, ON M5V 2A9", "CA"),
            ["468 Queen St W, M5V 2A9 Toronto [CA]"]
        );
        assert_eq!(
            one(
                "Wycliffe House\nWater Lane\nWilmslow\nCheshire\nSK9 5AF",
                "GB"
            ),
            ["Water Lane, SK9 5AF Wilmslow [GB]"]
        );
        assert_eq!(
            one(
                "200 Independence Avenue, S.W., Washington, D.C. 20201",
                "US"
            ),
            ["200 Independence Avenue, S.W., 20201 Washington [US]"]
        );
        assert_eq!(
            one("Bayerisches Landesamt, Promenade 18, 91522 Ansbach", "DE"),
            ["Promenade 18, 91522 Ansbach [DE]"]
        );
    }
}
