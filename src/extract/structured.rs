//! Structured data: JSON-LD (including `@graph`) and microdata about the organisation —
//! `telephone`, `faxNumber`, `email`, `contactPoint` (with `contactType`, `hoursAvailable`),
//! `address` (`PostalAddress`), `openingHours`, `sameAs`.
//!
//! Structured data is what a company tells search engines; it is evidence like any other, but a
//! channel seen only there was not necessarily shown to a visitor, so its source says so.

use scraper::{ElementRef, Selector};
use serde_json::Value;

use super::labels;
use super::{Observation, email, phone};
use crate::crawl::PageView;
use crate::model::{ChannelKind, EmailInfo, Mode, PostalAddress};
use crate::rules::Rules;

/// Most JSON-LD nodes visited per page: a hostile page cannot make extraction walk forever.
const MAX_NODES: usize = 2_000;

/// Channels in the page's JSON-LD and microdata.
pub(super) fn observe(
    view: &PageView<'_>,
    rules: &Rules,
    region: Option<&str>,
) -> Vec<Observation> {
    thread_local! {
        static LD: Selector = Selector::parse("script[type='application/ld+json']").expect("valid selector");
    }
    let mut out = Vec::new();
    LD.with(|ld| {
        for script in view.document.select(ld) {
            let text: String = script.text().collect();
            let Ok(value) = serde_json::from_str::<Value>(text.trim()) else {
                continue;
            };
            let mut budget = MAX_NODES;
            walk(&value, view, rules, region, None, &mut out, &mut budget);
        }
    });
    out.extend(microdata(view, rules, region));
    out
}

fn walk(
    value: &Value,
    view: &PageView<'_>,
    rules: &Rules,
    region: Option<&str>,
    contact_type: Option<&str>,
    out: &mut Vec<Observation>,
    budget: &mut usize,
) {
    if *budget == 0 {
        return;
    }
    *budget -= 1;
    match value {
        Value::Array(items) => {
            for item in items {
                walk(item, view, rules, region, contact_type, out, budget);
            }
        }
        Value::Object(map) => {
            let types = type_names(map.get("@type"));
            let contact_type = map
                .get("contactType")
                .and_then(Value::as_str)
                .or(contact_type);
            let hours = hours_of(map);
            let role = contact_type.map(|t| roles(t, rules)).unwrap_or_default();
            for (key, kind) in [
                ("telephone", ChannelKind::Phone),
                ("faxNumber", ChannelKind::Fax),
            ] {
                for raw in strings(map.get(key)) {
                    if let Some(number) = phone::parse(raw, region) {
                        let mut obs = Observation::new(
                            kind,
                            number.display,
                            view,
                            "json_ld",
                            &format!("{key}: {raw}"),
                        );
                        obs.channel.phone = Some(number.info);
                        obs.channel.mode = Mode::Human;
                        obs.channel.labels.clone_from(&role);
                        obs.channel.hours.clone_from(&hours);
                        out.push(obs);
                    }
                }
            }
            for raw in strings(map.get("email")) {
                for address in email::in_text(raw.trim_start_matches("mailto:")) {
                    out.push(email_obs(
                        view,
                        rules,
                        &address,
                        "json_ld",
                        &format!("email: {raw}"),
                        &role,
                    ));
                }
            }
            if types.contains(&"PostalAddress")
                && let Some(obs) = postal(view, map)
            {
                out.push(obs);
            }
            for (key, child) in map {
                if matches!(
                    key.as_str(),
                    "@context" | "@type" | "telephone" | "faxNumber" | "email"
                ) {
                    continue;
                }
                if key == "address"
                    && let Some(s) = child.as_str()
                {
                    let mut obs =
                        Observation::new(ChannelKind::PostalAddress, s, view, "json_ld", s);
                    obs.channel.address = Some(PostalAddress {
                        street: None,
                        postcode: None,
                        locality: None,
                        country: None,
                    });
                    obs.channel.mode = Mode::Human;
                    out.push(obs);
                    continue;
                }
                let inherited = if key == "contactPoint" {
                    None
                } else {
                    contact_type
                };
                walk(child, view, rules, region, inherited, out, budget);
            }
        }
        _ => {}
    }
}

fn type_names(value: Option<&Value>) -> Vec<&str> {
    match value {
        Some(Value::String(s)) => vec![s.rsplit('/').next().unwrap_or(s)],
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(Value::as_str)
            .map(|s| s.rsplit('/').next().unwrap_or(s))
            .collect(),
        _ => Vec::new(),
    }
}

fn strings(value: Option<&Value>) -> Vec<&str> {
    match value {
        Some(Value::String(s)) => vec![s.as_str()],
        Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
}

fn roles(contact_type: &str, rules: &Rules) -> Vec<String> {
    let window = labels::window(contact_type, None);
    labels::read(&window, &rules.labels).roles
}

/// `openingHours` strings and `hoursAvailable` / `openingHoursSpecification` entries, as text.
fn hours_of(map: &serde_json::Map<String, Value>) -> Vec<String> {
    let mut out: Vec<String> = strings(map.get("openingHours"))
        .into_iter()
        .map(str::to_owned)
        .collect();
    for key in ["hoursAvailable", "openingHoursSpecification"] {
        let specs = match map.get(key) {
            Some(Value::Array(items)) => items.iter().collect(),
            Some(v @ Value::Object(_)) => vec![v],
            _ => Vec::new(),
        };
        for spec in specs {
            let days: Vec<&str> = strings(spec.get("dayOfWeek"))
                .into_iter()
                .map(|d| d.rsplit('/').next().unwrap_or(d))
                .collect();
            let opens = spec.get("opens").and_then(Value::as_str).unwrap_or("");
            let closes = spec.get("closes").and_then(Value::as_str).unwrap_or("");
            if !opens.is_empty() || !days.is_empty() {
                out.push(
                    format!("{} {opens}–{closes}", days.join(","))
                        .trim()
                        .to_owned(),
                );
            }
        }
    }
    out
}

fn postal(view: &PageView<'_>, map: &serde_json::Map<String, Value>) -> Option<Observation> {
    let get = |k: &str| {
        map.get(k)
            .and_then(|v| {
                v.as_str()
                    .map(str::to_owned)
                    .or_else(|| v.get("name").and_then(Value::as_str).map(str::to_owned))
            })
            .map(|s| crate::crawl::collapse(&s))
            .filter(|s| !s.is_empty())
    };
    let address = PostalAddress {
        street: get("streetAddress"),
        postcode: get("postalCode"),
        locality: get("addressLocality"),
        country: get("addressCountry").map(|c| c.to_ascii_uppercase()),
    };
    address.street.as_ref()?;
    let value = format_address(&address);
    let mut obs = Observation::new(ChannelKind::PostalAddress, &value, view, "json_ld", &value);
    obs.channel.address = Some(address);
    obs.channel.mode = Mode::Human;
    Some(obs)
}

/// "Street 1, 12345 Town" (or the parts there are).
pub(super) fn format_address(a: &PostalAddress) -> String {
    let town = [a.postcode.as_deref(), a.locality.as_deref()]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ");
    [a.street.clone(), Some(town).filter(|t| !t.is_empty())]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(", ")
}

fn email_obs(
    view: &PageView<'_>,
    rules: &Rules,
    address: &str,
    source: &str,
    snippet: &str,
    role: &[String],
) -> Observation {
    let no_reply = email::is_no_reply(address, &rules.labels.no_reply);
    let mut obs = Observation::new(ChannelKind::Email, address, view, source, snippet);
    obs.channel.mode = if no_reply { Mode::Unknown } else { Mode::Human };
    obs.channel.labels = role.to_vec();
    obs.channel.email = Some(EmailInfo {
        address: address.to_owned(),
        // Structured data writes the address out in the page source.
        obfuscated: false,
        no_reply,
    });
    obs
}

/// Microdata: `itemprop` telephone, faxNumber, email and PostalAddress parts.
fn microdata(view: &PageView<'_>, rules: &Rules, region: Option<&str>) -> Vec<Observation> {
    thread_local! {
        static PROPS: Selector = Selector::parse("[itemprop]").expect("valid selector");
    }
    let value_of = |e: ElementRef<'_>| -> String {
        let el = e.value();
        el.attr("content")
            .or_else(|| {
                el.attr("href")
                    .map(|h| h.trim_start_matches("tel:").trim_start_matches("mailto:"))
            })
            .map_or_else(|| super::text::of(e), str::to_owned)
    };
    let mut out = Vec::new();
    PROPS.with(|props| {
        for e in view.document.select(props) {
            let prop = e.value().attr("itemprop").unwrap_or("");
            match prop {
                "telephone" | "faxNumber" => {
                    let raw = value_of(e);
                    if let Some(number) = phone::parse(&raw, region) {
                        let kind = if prop == "faxNumber" {
                            ChannelKind::Fax
                        } else {
                            ChannelKind::Phone
                        };
                        let mut obs = Observation::new(
                            kind,
                            number.display,
                            view,
                            "microdata",
                            &format!("{prop}: {raw}"),
                        );
                        obs.channel.phone = Some(number.info);
                        obs.channel.mode = Mode::Human;
                        out.push(obs);
                    }
                }
                "email" => {
                    for address in email::in_text(&value_of(e)) {
                        out.push(email_obs(
                            view,
                            rules,
                            &address,
                            "microdata",
                            &format!("email: {address}"),
                            &[],
                        ));
                    }
                }
                "address" if e.value().attr("itemscope").is_some() => {
                    let part = |name: &str| {
                        Selector::parse(&format!("[itemprop='{name}']"))
                            .ok()
                            .and_then(|s| e.select(&s).next())
                            .map(value_of)
                            .filter(|s| !s.is_empty())
                    };
                    let address = PostalAddress {
                        street: part("streetAddress"),
                        postcode: part("postalCode"),
                        locality: part("addressLocality"),
                        country: part("addressCountry").map(|c| c.to_ascii_uppercase()),
                    };
                    if address.street.is_some() {
                        let value = format_address(&address);
                        let mut obs = Observation::new(
                            ChannelKind::PostalAddress,
                            &value,
                            view,
                            "microdata",
                            &value,
                        );
                        obs.channel.address = Some(address);
                        obs.channel.mode = Mode::Human;
                        out.push(obs);
                    }
                }
                _ => {}
            }
        }
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::extract::TestPage;

    fn run(html: &str) -> Vec<Observation> {
        let page = TestPage::new(html, "https://acme.de/");
        observe(&page.view(), &page.rules, Some("DE"))
    }

    #[test]
    fn json_ld_graph_with_contact_points_and_address() {
        let found = run(
            r#"<script type="application/ld+json">{"@context":"https://schema.org","@graph":[
            {"@type":"Organization","name":"ACME","telephone":"+49 89 2154360","faxNumber":"+49 89 21543699",
             "email":"mailto:Info@acme.de","sameAs":["https://www.facebook.com/acme"],
             "address":{"@type":"PostalAddress","streetAddress":"Musterstraße 12","postalCode":"80331","addressLocality":"München","addressCountry":"de"},
             "contactPoint":[{"@type":"ContactPoint","telephone":"0800 330 1000","contactType":"customer service",
               "hoursAvailable":{"@type":"OpeningHoursSpecification","dayOfWeek":["Monday","Friday"],"opens":"08:00","closes":"20:00"}}]}]}
            </script><script type="application/ld+json">{ broken json </script>"#,
        );
        let summary: Vec<(ChannelKind, &str)> = found
            .iter()
            .map(|o| (o.channel.kind, o.channel.value.as_str()))
            .collect();
        assert_eq!(
            summary,
            [
                (ChannelKind::Phone, "+49 89 2154360"),
                (ChannelKind::Fax, "+49 89 21543699"),
                (ChannelKind::Email, "info@acme.de"),
                (ChannelKind::PostalAddress, "Musterstraße 12, 80331 München"),
                (ChannelKind::Phone, "+49 800 3301000"),
            ]
        );
        let hotline = &found[4].channel;
        assert_eq!(hotline.labels, ["customer_service"]);
        assert_eq!(hotline.hours, ["Monday,Friday 08:00–20:00"]);
        assert_eq!(
            found[3]
                .channel
                .address
                .as_ref()
                .unwrap()
                .country
                .as_deref(),
            Some("DE")
        );
        assert_eq!(found[0].evidence.source, "json_ld");
    }

    #[test]
    fn microdata_organisation() {
        let found = run(
            r#"<div itemscope itemtype="https://schema.org/Organization">
            <span itemprop="telephone">089 2154360</span>
            <a itemprop="email" href="mailto:service@acme.de">Mail</a>
            <div itemprop="address" itemscope itemtype="https://schema.org/PostalAddress">
              <span itemprop="streetAddress">Musterstraße 12</span>, <span itemprop="postalCode">80331</span>
              <span itemprop="addressLocality">München</span></div></div>"#,
        );
        let summary: Vec<(ChannelKind, &str)> = found
            .iter()
            .map(|o| (o.channel.kind, o.channel.value.as_str()))
            .collect();
        assert_eq!(
            summary,
            [
                (ChannelKind::Phone, "+49 89 2154360"),
                (ChannelKind::Email, "service@acme.de"),
                (ChannelKind::PostalAddress, "Musterstraße 12, 80331 München"),
            ]
        );
    }
}
