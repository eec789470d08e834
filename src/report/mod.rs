//! The report stage: one [`Renderer`] per output format, each turning reports into a string. A
//! renderer knows only the [`crate::model`]; where the string goes (stdout, `--output` files) is
//! the CLI's business. [`renderer`] is the one place that maps a [`Format`] to its renderer.

mod compare;
mod html;
mod json;
mod junit;
mod markdown;
mod sarif;
mod summary;
mod text;

pub use compare::{Change, Comparison, ModeChange, Movement};
pub use html::HtmlReport;
pub use summary::{KindCell, SiteSummary, ranking};

use std::fmt;
use std::str::FromStr;

use crate::model::Report;

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Format {
    /// A readable terminal report.
    Text,
    /// The JSON contract (one object, or an array for several targets).
    Json,
    /// Markdown for CI step summaries and pull-request comments.
    Markdown,
    /// SARIF 2.1.0 for code-scanning dashboards.
    Sarif,
    /// JUnit XML for CI test views.
    Junit,
    /// One self-contained HTML page: ranking, sectors, channels, chart, evidence per site.
    Html,
}

impl Format {
    /// Every format, for help texts and error messages.
    pub const ALL: &'static [Format] = &[
        Format::Text,
        Format::Json,
        Format::Markdown,
        Format::Sarif,
        Format::Junit,
        Format::Html,
    ];

    /// The name used on the command line.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::Text => "text",
            Self::Json => "json",
            Self::Markdown => "markdown",
            Self::Sarif => "sarif",
            Self::Junit => "junit",
            Self::Html => "html",
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Format {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .iter()
            .copied()
            .find(|f| f.name().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| {
                let names: Vec<_> = Self::ALL.iter().map(|f| f.name()).collect();
                format!("unknown format '{s}'; use one of {}", names.join(", "))
            })
    }
}

impl<'de> serde::Deserialize<'de> for Format {
    /// By name, as on the command line (`[output]` keys of `reachaudit.toml`).
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let name = String::deserialize(deserializer)?;
        name.parse().map_err(serde::de::Error::custom)
    }
}

/// What a reader must know about how a channel was seen: held back until consent, or drawn only
/// by JavaScript. Raw text: each renderer escapes it.
#[must_use]
pub fn channel_marks(c: &crate::model::Channel) -> Vec<String> {
    let mut marks = Vec::new();
    if let Some(cmp) = &c.blocked_until_consent {
        marks.push(format!("blocked until consent ({cmp})"));
    }
    if c.rendered_only {
        marks.push("only after rendering".to_owned());
    }
    marks
}

/// One line on rendering: how many pages a browser drew, or why none.
#[must_use]
pub fn render_line(r: &crate::model::Report) -> Option<String> {
    let render = &r.crawl.render;
    match (&render.browser, &render.note) {
        (_, Some(note)) => Some(note.clone()),
        (Some(browser), None) => Some(format!(
            "{} of {} pages rendered in {browser} (--render {})",
            render.pages,
            r.crawl.pages.len(),
            render.mode
        )),
        (None, None) => None,
    }
}

/// Removes control characters (ESC, BEL, CR, ...) from untrusted text bound for a terminal, and
/// the bidirectional overrides that would let a name show other than it is (U+202A–U+202E,
/// U+2066–U+2069, "Trojan Source").
#[must_use]
pub fn clean(s: &str) -> String {
    s.chars()
        .map(|c| if unsafe_char(c) { ' ' } else { c })
        .collect()
}

/// Control characters and bidirectional overrides: never shown as they come from a site.
pub(crate) fn unsafe_char(c: char) -> bool {
    c.is_control() || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// Spreadsheets run cells that start with = + - @ (or a tab or CR) as formulas; a leading
/// apostrophe makes them text (OWASP "CSV injection"). Negative numbers stay numbers; a leading
/// `+` is always defused, which also keeps the plus of a phone number that a spreadsheet would
/// drop.
#[must_use]
pub fn defuse(cell: &str) -> String {
    let negative_number = cell.starts_with('-') && cell.parse::<f64>().is_ok();
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) && !negative_number {
        format!("'{cell}")
    } else {
        cell.to_owned()
    }
}

/// A phone number for a spreadsheet cell: RFC 3966 (`tel:+49-89-1234567`). "+49 89 …" starts
/// like a formula and would have to be defused into `'+49 89 …`, which shows the apostrophe;
/// the `tel:` form is text in every spreadsheet, keeps the country code and its grouping, and
/// opens a dialler when clicked.
#[must_use]
pub fn phone_cell(international: &str) -> String {
    let grouped: Vec<&str> = international.split_whitespace().collect();
    format!("tel:{}", grouped.join("-"))
}

/// Turns reports into one document of some format.
pub trait Renderer {
    /// Renders all reports of one run (one per target).
    fn render(&self, reports: &[Report]) -> String;
}

/// The renderer for a format.
#[must_use]
pub fn renderer(format: Format) -> Box<dyn Renderer> {
    match format {
        Format::Text => Box::new(text::Text {
            width: text::width(),
        }),
        Format::Json => Box::new(json::Json),
        Format::Markdown => Box::new(markdown::Markdown),
        Format::Sarif => Box::new(sarif::Sarif),
        Format::Junit => Box::new(junit::Junit),
        Format::Html => Box::new(html::Html),
    }
}

/// Sample reports shared by every renderer's tests.
#[cfg(test)]
pub(crate) mod sample {
    use crate::model::*;

    pub(crate) fn report() -> Report {
        Report {
            schema_version: SCHEMA_VERSION.into(),
            tool: Tool {
                name: "reachaudit".into(),
                version: "0.1.0".into(),
            },
            target: Target {
                input: "https://www.acme-shop.de".into(),
                start_url: "https://www.acme-shop.de/".into(),
                site: "acme-shop.de".into(),
                source: SourceKind::Http,
            },
            evaluated: true,
            reason: None,
            crawl: Crawl {
                pages: vec![
                    Page {
                        url: "https://www.acme-shop.de/".into(),
                        status: 200,
                        clicks: Some(0),
                        kinds: vec![PageKind::Home],
                        title: Some("Acme Versand \u{1b}[31m– Start".into()),
                        content_type: Some("text/html".into()),
                        redirected_from: vec![],
                        truncated: false,
                        truncated_by: None,
                        reached_from: None,
                        link_text: None,
                        rendered: false,
                        request: 2,
                    },
                    Page {
                        url: "https://www.acme-shop.de/kontakt/".into(),
                        status: 200,
                        clicks: Some(1),
                        kinds: vec![PageKind::Contact],
                        title: Some("Kontakt".into()),
                        content_type: Some("text/html".into()),
                        redirected_from: vec!["https://www.acme-shop.de/kontakt.html".into()],
                        truncated: false,
                        truncated_by: None,
                        reached_from: Some("https://www.acme-shop.de/".into()),
                        link_text: Some("Kontakt".into()),
                        rendered: false,
                        request: 4,
                    },
                ],
                requests: 4,
                robots: RobotsStatus::Obeyed,
                errors: vec![CrawlError {
                    url: "https://www.acme-shop.de/alt/a".into(),
                    kind: ErrorKind::RedirectLoop,
                    message: "redirects come back to https://www.acme-shop.de/alt/a".into(),
                    status: Some(301),
                }],
                skipped: vec![Skipped {
                    url: "https://www.acme-shop.de/intern/".into(),
                    reason: SkipReason::RobotsTxt,
                }],
                traps: vec![],
                stopped_early: None,
                limits: Limits {
                    max_pages: 50,
                    max_depth: 5,
                    rate: Some(2.0),
                    timeout_secs: 10.0,
                    page_budget_secs: None,
                    max_bytes: 5_242_880,
                    max_redirects: 10,
                    user_agent: "reachaudit/0.1.0".into(),
                },
                duration_ms: 1500,
                render: crate::model::Render::default(),
            },
            third_parties: Vec::new(),
            channels: vec![
                Channel {
                    kind: ChannelKind::Phone,
                    value: "+49 800 3301000".into(),
                    phone: Some(PhoneInfo {
                        extension: None,
                        e164: "+498003301000".into(),
                        kind: PhoneType::TollFree,
                        region: Some("DE".into()),
                    }),
                    email: None,
                    vendor: None,
                    mode: Mode::Human,
                    clicks: Some(1),
                    evidence: vec![Evidence {
                        url: "https://www.acme-shop.de/kontakt/".into(),
                        source: "tel_link".into(),
                        snippet: "Hotline: 0800 330 1000".into(),
                    }],
                    labels: vec!["customer_service".into()],
                    price_note: Some("kostenlos".into()),
                    ..Channel::new(ChannelKind::Phone, "")
                },
                Channel {
                    kind: ChannelKind::Email,
                    value: "service@acme-shop.de".into(),
                    phone: None,
                    email: Some(EmailInfo {
                        address: "service@acme-shop.de".into(),
                        obfuscated: false,
                        no_reply: false,
                    }),
                    vendor: None,
                    mode: Mode::Human,
                    clicks: None,
                    evidence: vec![Evidence {
                        url: "https://www.acme-shop.de/service/rueckruf.html".into(),
                        source: "mailto_link".into(),
                        snippet: "E-Mail: service@acme-shop.de".into(),
                    }],
                    ..Channel::new(ChannelKind::Email, "")
                },
            ],
            findings: vec![],
            jurisdictions: vec![],
            legal_note: None,
            score: Score::not_computed(),
            probes: vec![],
            company: None,
            gate: None,
            signals: vec![],
            widget_notes: vec![],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_defused_negative_numbers_kept_and_bidi_overrides_removed() {
        assert_eq!(defuse("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(defuse("-2+3+cmd|' /C calc'!A0"), "'-2+3+cmd|' /C calc'!A0");
        assert_eq!(defuse("-15"), "-15");
        assert_eq!(defuse("+4930123456"), "'+4930123456");
        assert_eq!(defuse("Acme"), "Acme");
        assert_eq!(phone_cell("+49 89 1234567"), "tel:+49-89-1234567");
        assert_eq!(
            defuse(&phone_cell("+49 180 6 709300")),
            "tel:+49-180-6-709300"
        );
        assert_eq!(clean("Bank\u{202e}gnp.exe\u{1b}[2J"), "Bank gnp.exe [2J");
    }

    #[test]
    fn formats_parse_by_name_and_unknown_ones_name_the_choices() {
        assert_eq!("JSON".parse::<Format>(), Ok(Format::Json));
        let err = "xml".parse::<Format>().unwrap_err();
        assert_eq!(
            err,
            "unknown format 'xml'; use one of text, json, markdown, sarif, junit, html"
        );
    }
}
