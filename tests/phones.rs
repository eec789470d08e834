//! The phone scanner against `fixtures/phone/cases.toml`: page texts with the numbers
//! libphonenumber's PhoneNumberMatcher finds in them at leniency VALID (plain cases), and the
//! cases where the words around a number make the scanner answer differently (context cases).
//! Each text is read the way a page shows it: one paragraph, scanned by the extract stage.

use reachaudit::crawl::PageView;
use reachaudit::extract::{self, Context};
use reachaudit::model::ChannelKind;
use reachaudit::rules::Rules;
use serde::Deserialize;

#[derive(Debug, Deserialize)]
struct Cases {
    case: Vec<Case>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    region: String,
    text: String,
    phones: Vec<String>,
    #[serde(default)]
    faxes: Vec<String>,
    #[serde(default)]
    context: bool,
    #[serde(default)]
    #[allow(dead_code)]
    matcher: Vec<String>,
    #[allow(dead_code)]
    why: String,
    #[allow(dead_code)]
    source: String,
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// The phone numbers and fax numbers the extract stage finds in `text`.
fn scan(rules: &Rules, text: &str, region: &str) -> (Vec<String>, Vec<String>) {
    let html = format!(
        "<!doctype html><html><body><p>{}</p></body></html>",
        escape(text)
    );
    let document = scraper::Html::parse_document(&html);
    let url = url::Url::parse("https://company.invalid/kontakt/").unwrap();
    let view = PageView {
        url: &url,
        document: &document,
        lang: None,
        html: &html,
        rendered: None,
    };
    let context = Context {
        rules,
        country: (region != "ZZ").then_some(region),
        site_region: None,
        site_lang: None,
        deadline: None,
    };
    let found = extract::page(&view, &context);
    let mut phones = Vec::new();
    let mut faxes = Vec::new();
    for obs in found.observations {
        let Some(info) = &obs.channel.phone else {
            continue;
        };
        let id = match &info.extension {
            Some(ext) => format!("{};ext={ext}", info.e164),
            None => info.e164.clone(),
        };
        let list = if obs.channel.kind == ChannelKind::Fax {
            &mut faxes
        } else {
            &mut phones
        };
        if !list.contains(&id) {
            list.push(id);
        }
    }
    (phones, faxes)
}

/// The built-in rules without placeholder numbers: the cases write sample numbers like
/// 089 1234567 to test the matcher, which `rules/owners.toml` rightly drops as placeholders on
/// real pages. Loaded through `--rules`' override mechanism, as a user would.
fn matcher_rules() -> Rules {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let owners = std::fs::read_to_string(root.join("rules/owners.toml")).unwrap();
    let mut kept = String::new();
    let mut skipping = false;
    for line in owners.lines() {
        if (line.starts_with("numbers = [") || line.starts_with("digit_runs = ["))
            && kept.contains("[placeholders]")
        {
            let key = line.split('=').next().unwrap().trim();
            kept.push_str(&format!("{key} = []\n"));
            skipping = !line.trim_end().ends_with(']');
            continue;
        }
        if skipping {
            skipping = !line.trim_end().ends_with(']');
            continue;
        }
        kept.push_str(line);
        kept.push('\n');
    }
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("owners.toml"), kept).unwrap();
    Rules::load(Some(dir.path())).unwrap()
}

#[test]
fn phone_cases() {
    let text = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/phone/cases.toml"),
    )
    .unwrap();
    let cases: Cases = toml::from_str(&text).unwrap();
    let rules = matcher_rules();
    let mut failures = Vec::new();
    let (mut plain, mut context) = (0, 0);
    for case in &cases.case {
        if case.context {
            context += 1;
        } else {
            plain += 1;
        }
        let (phones, faxes) = scan(&rules, &case.text, &case.region);
        if phones != case.phones || faxes != case.faxes {
            failures.push(format!(
                "{} {:?}: found {phones:?} fax {faxes:?}, expected {:?} fax {:?}{}",
                case.region,
                case.text,
                case.phones,
                case.faxes,
                if case.context { " (context)" } else { "" }
            ));
        }
    }
    assert!(
        plain >= 250 && context >= 40,
        "{plain} plain, {context} context cases"
    );
    assert!(
        failures.is_empty(),
        "{} of {} cases fail:\n{}",
        failures.len(),
        cases.case.len(),
        failures.join("\n")
    );
}
