//! The report model: the one value every stage fills in and every renderer reads.
//!
//! The JSON form of [`Report`] is a public contract (`schema_version` "1"). The keys listed in
//! DESIGN.md — `schema_version, tool, target, crawl{pages, requests, robots, errors}, channels[kind,
//! value, phone, email, vendor, mode, clicks, evidence], findings, score{total, grade, categories},
//! probes` — are never renamed or removed; new keys may be added. Consumers should ignore keys they do
//! not know. Enums serialize in snake case; absent optional values are `null`, never omitted, for the
//! contract keys, so a consumer can tell "not found" from "not reported".

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The version of the JSON contract. Bumped only for breaking changes.
pub const SCHEMA_VERSION: &str = "1";

/// A reply time for people: `42 s`, `5 min`, `5 h 12 min`, `3 d 4 h` (the score, the text report
/// and `probe status` all say times this way).
#[must_use]
pub fn human_duration(secs: i64) -> String {
    let (d, h, m) = (secs / 86_400, secs % 86_400 / 3600, secs % 3600 / 60);
    match (d, h, m) {
        (0, 0, 0) => format!("{secs} s"),
        (0, 0, m) => format!("{m} min"),
        (0, h, m) => format!("{h} h {m} min"),
        (d, h, _) => format!("{d} d {h} h"),
    }
}

/// The name a unit enum value has in the JSON report (`needs_review`, `channel_lost`), so text
/// renderers and ids spell values exactly as the contract does.
#[must_use]
pub fn json_name<T: Serialize>(value: &T) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// One audit of one site.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Report {
    /// Always [`SCHEMA_VERSION`].
    pub schema_version: String,
    /// Which tool and version produced the report.
    pub tool: Tool,
    /// What was audited.
    pub target: Target,
    /// The company as a batch list names it (name, sector, other columns); absent for `scan`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub company: Option<Company>,
    /// Whether the site could be evaluated at all. `false` means nothing usable was fetched and
    /// every figure below says nothing about the company (exit code 3).
    pub evaluated: bool,
    /// Why the site could not be evaluated; `null` when it was.
    pub reason: Option<String>,
    /// What the crawl did.
    pub crawl: Crawl,
    /// Every contact channel of the company found, deduplicated across pages. Only these count
    /// (score, legal checks, exports); contact details of other organisations the site names
    /// are in `third_parties`.
    pub channels: Vec<Channel>,
    /// Contact details the site shows that belong to someone else (the supervising chamber, the
    /// data-protection authority, a helpline, the hoster, the web agency …), each with its
    /// `owner` and the evidence that decided it. Reported so a reader can check the split, never
    /// counted as the company's.
    #[serde(default)]
    pub third_parties: Vec<Channel>,
    /// Page signals that are not channels: deflection wording, contact links in navigation.
    #[serde(default)]
    pub signals: Vec<Signal>,
    /// Compliance findings (empty until rule packs are checked).
    pub findings: Vec<Finding>,
    /// The rule packs checked (`eu`, `de`, …); empty when none applies.
    #[serde(default)]
    pub jurisdictions: Vec<String>,
    /// Why no rule pack was checked, and how to choose one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub legal_note: Option<String>,
    /// The reachability score.
    pub score: Score,
    /// Results of test contacts to this company (`scan --probes DB`; empty otherwise).
    #[serde(default)]
    pub probes: Vec<ProbeResult>,
    /// Embedded products that are not channels: a chat snippet switched off (in a comment, or a
    /// script type no browser runs), a retired product that renders nothing (Facebook Customer
    /// Chat), a loader that shows chat only if the account enabled it ("possible chat").
    #[serde(default)]
    pub widget_notes: Vec<WidgetNote>,
    /// The CI verdict: every assertion (from `reachaudit.toml`, `--fail-under`, and each rule at
    /// the level of its severity) and the comparison with `--baseline`; `null` when the report
    /// was not evaluated or was not gated.
    #[serde(default)]
    pub gate: Option<Gate>,
}

/// An embedded product that is not a channel, and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct WidgetNote {
    /// The vendor id in `rules/vendors/`.
    pub vendor: String,
    /// The product's name.
    pub name: String,
    /// Why it is not counted.
    pub state: WidgetState,
    /// One sentence for a reader.
    pub message: String,
    /// Where it was seen.
    pub evidence: Vec<Evidence>,
}

/// Why an embedded product is not counted as a channel.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum WidgetState {
    /// The snippet is there but cannot run: inside an HTML comment, or in a script whose type no
    /// browser runs and no consent manager will switch on.
    Disabled,
    /// The product was shut down; its snippet renders nothing.
    Retired,
    /// A vendor's loader that shows chat only if the account switched it on; rendering did not
    /// show the chat.
    Possible,
}

/// The producing tool.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Tool {
    /// Always "reachaudit".
    pub name: String,
    /// The crate version.
    pub version: String,
}

impl Report {
    /// The request by which the crawl had seen every one of the company's channels; `None`
    /// without channels, or when one was seen only on a page fetched outside the crawl.
    #[must_use]
    pub fn all_found_at_request(&self) -> Option<u32> {
        if self.channels.is_empty() {
            return None;
        }
        self.channels
            .iter()
            .map(|c| c.found_at_request)
            .collect::<Option<Vec<u32>>>()
            .and_then(|v| v.into_iter().max())
    }
}

impl Tool {
    /// This build of reachaudit.
    #[must_use]
    pub fn current() -> Self {
        Self {
            name: env!("CARGO_PKG_NAME").to_owned(),
            version: env!("CARGO_PKG_VERSION").to_owned(),
        }
    }
}

/// A company as a batch list describes it: the name and sector a published ranking shows, which
/// the site itself cannot tell reliably.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Company {
    /// The name from the list.
    pub name: String,
    /// The `sector` column, for the per-sector comparison.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sector: Option<String>,
    /// The `country` column (ISO 3166 code).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    /// Every other column of the list, by its header.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub columns: std::collections::BTreeMap<String, String>,
}

/// What the user asked to audit and where the crawl started.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Target {
    /// The target exactly as given on the command line.
    pub input: String,
    /// The first URL fetched.
    pub start_url: String,
    /// The site's registrable domain (or host, for IP addresses and local names): the crawl scope.
    pub site: String,
    /// Where the pages came from.
    pub source: SourceKind,
}

impl Target {
    /// The target as written, without the spellings that name the same place (`./public/` and
    /// `public`), so runs, baselines and SARIF paths agree however the target was typed.
    #[must_use]
    pub fn normalized_input(&self) -> &str {
        normalize_input(&self.input)
    }

    /// The name readers know the target by: the site for websites, the path as given for local
    /// directories and files (which all share a placeholder site).
    #[must_use]
    pub fn name(&self) -> &str {
        match self.source {
            SourceKind::Http => &self.site,
            SourceKind::Directory | SourceKind::File => &self.input,
        }
    }
}

fn normalize_input(input: &str) -> &str {
    let mut s = input.trim();
    while let Some(rest) = s.strip_prefix("./") {
        s = rest;
    }
    s.trim_end_matches('/')
}

/// Where pages come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum SourceKind {
    /// Fetched over HTTP(S).
    Http,
    /// Read from a local directory laid out like a static site.
    Directory,
    /// A single local HTML file.
    File,
}

/// What the crawl fetched, skipped and failed on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Crawl {
    /// Every page requested that answered, in the order fetched.
    pub pages: Vec<Page>,
    /// HTTP requests sent (pages, redirects, robots.txt, sitemaps).
    pub requests: u32,
    /// How robots.txt was treated.
    pub robots: RobotsStatus,
    /// Pages or resources that failed. A failure here never stops the crawl.
    pub errors: Vec<CrawlError>,
    /// URLs deliberately not fetched (robots.txt, limits), so a reader knows what was not seen.
    pub skipped: Vec<Skipped>,
    /// The limits the crawl ran under.
    pub limits: Limits,
    /// Wall-clock duration of the crawl in milliseconds.
    pub duration_ms: u64,
    /// Whether pages were rendered in a browser, and with which.
    #[serde(default)]
    pub render: Render,
    /// URL families the crawl stopped following (calendars, pagination, facets, session ids),
    /// each with an example and how much was fetched and held back.
    #[serde(default)]
    pub traps: Vec<TrapFamily>,
    /// Why the crawl ended before its budget (`--stop-when-found`); `null` when it did not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stopped_early: Option<String>,
}

/// A family of URLs that serve near-identical pages, and what the crawl did with it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct TrapFamily {
    /// The URLs' shape: numbers and dates replaced (`/programm/monat/{date}/`), the query reduced to
    /// its parameter names (`/moebel/*/?farbe&seite`; a view parameter groups sibling pages).
    pub pattern: String,
    /// Why it counts as a trap.
    pub why: String,
    /// The first URL held back.
    pub example: String,
    /// Pages fetched from it.
    pub fetched: u32,
    /// URLs held back (for session ids: the variants merged into one URL).
    pub skipped: u32,
}

/// How the crawl used a browser.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Render {
    /// `auto`, `always` or `never` (`--render`).
    pub mode: RenderMode,
    /// The browser that rendered, as it names itself (`HeadlessChrome/120.0…`); `null` when none
    /// was used.
    #[serde(default)]
    pub browser: Option<String>,
    /// Pages rendered.
    #[serde(default)]
    pub pages: u32,
    /// What the reader should know: no browser was found, so content drawn by JavaScript may be
    /// missing; or the browser failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// When pages are rendered in a headless browser.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum RenderMode {
    /// Pages that look drawn by JavaScript, carry a tag manager or chat loader, or matter most
    /// (home, contact, help), when a browser is found.
    #[default]
    Auto,
    /// Every page; no browser is an error.
    Always,
    /// None: only the HTML the server sends.
    Never,
}

impl std::str::FromStr for RenderMode {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "auto" => Ok(Self::Auto),
            "always" => Ok(Self::Always),
            "never" => Ok(Self::Never),
            other => Err(format!(
                "unknown render mode \"{other}\"; use auto, always or never"
            )),
        }
    }
}

impl std::fmt::Display for RenderMode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Auto => "auto",
            Self::Always => "always",
            Self::Never => "never",
        })
    }
}

/// How robots.txt was treated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum RobotsStatus {
    /// A robots.txt was found and obeyed.
    Obeyed,
    /// No robots.txt exists (4xx), which means everything is allowed.
    Missing,
    /// The user told us to ignore robots.txt (auditing their own site).
    Ignored,
}

/// What cut a page short.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Truncation {
    /// The body was larger than `--max-bytes`; only its start was read.
    Size,
    /// Extraction took longer than `--page-budget` and stopped; what it found until then counts.
    Budget,
}

/// One fetched page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Page {
    /// The final URL after redirects.
    pub url: String,
    /// HTTP status of the final response.
    pub status: u16,
    /// Fewest link clicks from the start page; `null` if only the sitemap leads here.
    pub clicks: Option<u32>,
    /// What the page is about, judged from URL, title, main heading and the text of links to it.
    pub kinds: Vec<PageKind>,
    /// The page title, if any.
    pub title: Option<String>,
    /// The media type of the response (without parameters).
    pub content_type: Option<String>,
    /// URLs that redirected here.
    pub redirected_from: Vec<String>,
    /// Only part of the page was read: its body was cut at the size limit, or extraction
    /// stopped at the page budget (`truncated_by` says which).
    pub truncated: bool,
    /// What cut the page short.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub truncated_by: Option<Truncation>,
    /// The page whose link first reached this one on a shortest click path from the start page,
    /// so a report can show the way a visitor takes ("home → Hilfe → Kontakt").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reached_from: Option<String>,
    /// The text of that link.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link_text: Option<String>,
    /// The page was also loaded in a headless browser, and what the browser showed was read.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub rendered: bool,
    /// The number of the HTTP request that fetched it, counting every request of the crawl
    /// (robots.txt, sitemaps and redirects too): how much of the budget was spent to get here.
    #[serde(default)]
    pub request: u32,
}

/// What a page is about.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum PageKind {
    /// The start page.
    Home,
    /// A contact page.
    Contact,
    /// Imprint / legal notice.
    Imprint,
    /// Help, FAQ, support.
    Help,
    /// Cancelling a contract.
    Cancellation,
    /// Privacy policy.
    Privacy,
    /// None of the above.
    Other,
}

impl PageKind {
    /// The snake-case name used in JSON and rules.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Home => "home",
            Self::Contact => "contact",
            Self::Imprint => "imprint",
            Self::Help => "help",
            Self::Cancellation => "cancellation",
            Self::Privacy => "privacy",
            Self::Other => "other",
        }
    }
}

/// One failure during the crawl.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct CrawlError {
    /// The URL that failed.
    pub url: String,
    /// What kind of failure.
    pub kind: ErrorKind,
    /// A one-line explanation.
    pub message: String,
    /// The HTTP status, when there was a response.
    pub status: Option<u16>,
}

/// Kinds of crawl failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ErrorKind {
    /// No response within the timeout.
    Timeout,
    /// The host name did not resolve.
    Dns,
    /// The connection failed or was refused.
    Connect,
    /// The TLS handshake or certificate failed.
    Tls,
    /// The address is loopback, private, link-local or unspecified and `--allow-private` is off.
    RefusedPrivate,
    /// An error status (4xx, 5xx).
    HttpStatus,
    /// Redirects came back to a URL already visited.
    RedirectLoop,
    /// More redirects than allowed.
    TooManyRedirects,
    /// A redirect left the site.
    OffSiteRedirect,
    /// The body exceeded the size limit and was truncated.
    Truncated,
    /// robots.txt could not be fetched (5xx, network); RFC 9309 says to assume everything is disallowed.
    RobotsUnavailable,
    /// The body could not be read.
    Body,
    /// A sitemap could not be read.
    Sitemap,
    /// A local file could not be read.
    Io,
    /// robots.txt asked for a Crawl-delay longer than the cap; the cap was used.
    CrawlDelayCapped,
    /// Reading a page took longer than `--page-budget`; the rest of the page was not read.
    PageBudget,
    /// The host answered 429 or 503: the crawl asks it less often from then on, and stops asking
    /// it after three such answers in a row.
    SlowedDown,
}

impl ErrorKind {
    /// The snake-case name used in JSON.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Timeout => "timeout",
            Self::Dns => "dns",
            Self::Connect => "connect",
            Self::Tls => "tls",
            Self::RefusedPrivate => "refused_private",
            Self::HttpStatus => "http_status",
            Self::RedirectLoop => "redirect_loop",
            Self::TooManyRedirects => "too_many_redirects",
            Self::OffSiteRedirect => "off_site_redirect",
            Self::Truncated => "truncated",
            Self::RobotsUnavailable => "robots_unavailable",
            Self::Body => "body",
            Self::Sitemap => "sitemap",
            Self::Io => "io",
            Self::CrawlDelayCapped => "crawl_delay_capped",
            Self::PageBudget => "page_budget",
            Self::SlowedDown => "slowed_down",
        }
    }
}

/// A URL deliberately not fetched.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Skipped {
    /// The URL.
    pub url: String,
    /// Why it was not fetched.
    pub reason: SkipReason,
}

/// Why a URL was not fetched.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum SkipReason {
    /// robots.txt disallows it for our user agent.
    RobotsTxt,
    /// `--max-pages` was reached.
    MaxPages,
    /// Its URL family is a crawl trap that was fetched often enough (`crawl.traps`).
    Trap,
    /// `--stop-when-found` ended the crawl before it (`crawl.stopped_early`).
    StoppedEarly,
    /// Deeper than `--max-depth` clicks.
    MaxDepth,
    /// Its host answered 429 or 503 three times in a row, even after the crawl slowed down
    /// (`slowed_down` in `crawl.errors`).
    HostBusy,
}

/// The limits a crawl ran under, echoed so a report can be reproduced.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Limits {
    /// At most this many pages fetched.
    pub max_pages: u32,
    /// At most this many clicks from the start page.
    pub max_depth: u32,
    /// Requests per second per host actually used (after Crawl-delay); `null` = unlimited.
    pub rate: Option<f64>,
    /// Per-request timeout in seconds.
    pub timeout_secs: f64,
    /// Longest time extraction spends on one page, in seconds; `null` = no limit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page_budget_secs: Option<f64>,
    /// Largest body read, in bytes.
    pub max_bytes: u64,
    /// Most redirects followed per request.
    pub max_redirects: u32,
    /// The User-Agent header sent.
    pub user_agent: String,
}

/// One way to reach the company.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Channel {
    /// What kind of channel.
    pub kind: ChannelKind,
    /// A human-readable value (formatted number, address, vendor name).
    pub value: String,
    /// Phone details for `phone` and `fax`.
    pub phone: Option<PhoneInfo>,
    /// E-mail details for `email`.
    pub email: Option<EmailInfo>,
    /// The vendor behind a widget, if known.
    pub vendor: Option<String>,
    /// Whether the channel reaches a person.
    pub mode: Mode,
    /// Fewest clicks from the start page to a page that shows it; `null` if only the sitemap leads there.
    pub clicks: Option<u32>,
    /// The request at which the crawl first saw it (`crawl.pages[].request`): a measure of how
    /// well the crawl spent its budget.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub found_at_request: Option<u32>,
    /// Where it was seen, best (fewest clicks) first.
    pub evidence: Vec<Evidence>,
    /// Every crawled page that shows it (evidence keeps only the best few).
    #[serde(default)]
    pub seen_on: Vec<String>,
    /// What the channel is for, from the labels next to it (`customer_service`, `outage`, `press` …).
    #[serde(default)]
    pub labels: Vec<String>,
    /// The price written next to a number (`0,14 €/Min.`, `kostenlos`).
    #[serde(default)]
    pub price_note: Option<String>,
    /// Opening or service hours written next to the channel.
    #[serde(default)]
    pub hours: Vec<String>,
    /// Where the channel leads: a messenger or booking link, a form's action URL.
    #[serde(default)]
    pub url: Option<String>,
    /// Details of a contact form.
    #[serde(default)]
    pub form: Option<FormInfo>,
    /// The parts of a postal address.
    #[serde(default)]
    pub address: Option<PostalAddress>,
    /// Whose channel it is: the company's own, or another organisation's that the site names.
    #[serde(default)]
    pub owner: Owner,
    /// For a chat: the page offers a way from the bot to a person ("Mit einem Menschen
    /// sprechen"). A bot-first chat counts as reaching people only with this evidence.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub handoff: bool,
    /// The consent manager that holds the widget back until the visitor agrees (its script is
    /// `type="text/plain"` with the manager's attribute): a visitor who declines never sees it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub blocked_until_consent: Option<String>,
    /// Seen only in pages as a browser rendered them (JavaScript ran), never in the HTML the
    /// server sent: a crawler without a browser, and a visitor without JavaScript, miss it.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub rendered_only: bool,
}

/// Whose contact detail a channel is, and what decided it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Owner {
    /// The kind of organisation.
    pub kind: OwnerKind,
    /// The organisation's name as the page writes it, when known.
    #[serde(default)]
    pub name: Option<String>,
    /// What decided it: the heading, label or organisation name next to the detail, or a known
    /// number or domain from `rules/owners.toml`; `null` for the company's own channels.
    #[serde(default)]
    pub because: Option<String>,
}

impl Owner {
    /// Whether the channel is the audited company's own.
    #[must_use]
    pub fn is_company(&self) -> bool {
        self.kind == OwnerKind::Company
    }
}

/// Kinds of organisation a contact detail can belong to.
#[derive(
    Debug,
    Clone,
    Copy,
    Default,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    JsonSchema,
)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum OwnerKind {
    /// The audited company.
    #[default]
    Company,
    /// A public authority (ministry, municipal or trade-licensing office, registry).
    Authority,
    /// A professional or trade chamber.
    Chamber,
    /// A court.
    Court,
    /// A regulator (financial, telecom, energy, legal services).
    Regulator,
    /// A consumer dispute-resolution body or ombudsman.
    Arbitration,
    /// A data-protection supervisory authority.
    DataProtectionAuthority,
    /// An emergency number, poison-control centre, crisis or medical on-call line.
    Helpline,
    /// The site's hoster.
    Hoster,
    /// The shop or site builder, booking or other platform the site runs on.
    PlatformVendor,
    /// The web agency, designer or photographer credited.
    WebAgency,
    /// A bank.
    Bank,
    /// An insurer (a professional's liability insurer, as imprints must name it).
    Insurer,
    /// Another company.
    OtherCompany,
}

impl OwnerKind {
    /// Every kind, in the order reports list them.
    pub const ALL: [Self; 14] = [
        Self::Company,
        Self::Authority,
        Self::Chamber,
        Self::Court,
        Self::Regulator,
        Self::Arbitration,
        Self::DataProtectionAuthority,
        Self::Helpline,
        Self::Hoster,
        Self::PlatformVendor,
        Self::WebAgency,
        Self::Bank,
        Self::Insurer,
        Self::OtherCompany,
    ];

    /// The snake-case name used in JSON and rules.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Company => "company",
            Self::Authority => "authority",
            Self::Chamber => "chamber",
            Self::Court => "court",
            Self::Regulator => "regulator",
            Self::Arbitration => "arbitration",
            Self::DataProtectionAuthority => "data_protection_authority",
            Self::Helpline => "helpline",
            Self::Hoster => "hoster",
            Self::PlatformVendor => "platform_vendor",
            Self::WebAgency => "web_agency",
            Self::Bank => "bank",
            Self::Insurer => "insurer",
            Self::OtherCompany => "other_company",
        }
    }

    /// How reports name the kind for people.
    #[must_use]
    pub fn title(self) -> &'static str {
        match self {
            Self::Company => "the company",
            Self::Authority => "authority",
            Self::Chamber => "chamber",
            Self::Court => "court",
            Self::Regulator => "regulator",
            Self::Arbitration => "dispute resolution",
            Self::DataProtectionAuthority => "data-protection authority",
            Self::Helpline => "helpline",
            Self::Hoster => "hoster",
            Self::PlatformVendor => "platform vendor",
            Self::WebAgency => "web agency",
            Self::Bank => "bank",
            Self::Insurer => "insurer",
            Self::OtherCompany => "another company",
        }
    }
}

impl Channel {
    /// Whether a person answers it: phone and forms, e-mail unless no-reply, and chat, callback
    /// or video when people (not only a bot) are behind it. The score and the batch exports
    /// count human channels by this one test.
    #[must_use]
    pub fn reaches_person(&self) -> bool {
        match self.kind {
            ChannelKind::Phone | ChannelKind::ContactForm => true,
            ChannelKind::Email => self.email.as_ref().is_none_or(|e| !e.no_reply),
            ChannelKind::Chat | ChannelKind::Callback | ChannelKind::Video => {
                matches!(self.mode, Mode::Human | Mode::Hybrid)
            }
            _ => false,
        }
    }

    /// A channel of `kind` with `value` and nothing else known yet.
    #[must_use]
    pub fn new(kind: ChannelKind, value: impl Into<String>) -> Self {
        Self {
            kind,
            value: value.into(),
            phone: None,
            email: None,
            vendor: None,
            mode: Mode::Unknown,
            clicks: None,
            found_at_request: None,
            evidence: Vec::new(),
            seen_on: Vec::new(),
            labels: Vec::new(),
            price_note: None,
            hours: Vec::new(),
            url: None,
            form: None,
            address: None,
            owner: Owner::default(),
            handoff: false,
            blocked_until_consent: None,
            rendered_only: false,
        }
    }

    /// What makes two sightings the same channel (an E.164 number, an address, a vendor and its
    /// link), so pages, runs and baselines can be compared without trusting display text.
    #[must_use]
    pub fn identity(&self) -> String {
        if let Some(phone) = &self.phone {
            return phone.e164.clone();
        }
        if let Some(email) = &self.email {
            return email.address.clone();
        }
        if let Some(address) = &self.address
            && let (Some(postcode), Some(street)) = (&address.postcode, &address.street)
        {
            // "1180, rue Sainte-Catherine" and "1180 Rue Sainte-Catherine" are one street.
            let street: String = street
                .to_lowercase()
                .split(|c: char| c.is_whitespace() || c == ',')
                .filter(|w| !w.is_empty())
                .collect::<Vec<_>>()
                .join(" ");
            return format!("{} {street}", postcode.to_uppercase().replace(' ', ""));
        }
        match (&self.vendor, &self.url) {
            (Some(vendor), Some(url)) => format!("{vendor} {url}"),
            (Some(vendor), None) => vendor.clone(),
            (None, Some(url)) => url.clone(),
            (None, None) => self.value.to_lowercase(),
        }
    }
}

/// A contact form: what it asks for and what stands in the way.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct FormInfo {
    /// The fields a visitor fills in (name or label, type, required).
    pub fields: Vec<FormField>,
    /// The CAPTCHA vendor guarding it (`recaptcha`, `hcaptcha`, `turnstile`, `friendly-captcha`).
    pub captcha: Option<String>,
    /// A login stands before the form.
    pub login_required: bool,
    /// HTTP method.
    pub method: String,
}

/// One form field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct FormField {
    /// The field's name attribute (or id).
    pub name: String,
    /// `text`, `email`, `tel`, `textarea`, `select`, `checkbox`, `file` …
    #[serde(rename = "type")]
    pub kind: String,
    /// The visible label, if any.
    pub label: Option<String>,
    /// Marked as required.
    pub required: bool,
}

/// A postal address, in the parts the page wrote.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct PostalAddress {
    /// Street and number.
    pub street: Option<String>,
    /// Postcode.
    pub postcode: Option<String>,
    /// Town or city.
    pub locality: Option<String>,
    /// ISO 3166 country, when known.
    pub country: Option<String>,
}

/// Kinds of contact channel.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ChannelKind {
    /// A telephone number.
    Phone,
    /// An e-mail address.
    Email,
    /// A web form with a free-text message field.
    ContactForm,
    /// A live chat or chatbot.
    Chat,
    /// WhatsApp, Messenger, Telegram, Apple Messages.
    Messenger,
    /// A callback request.
    Callback,
    /// A video consultation.
    Video,
    /// An appointment booking.
    Appointment,
    /// A postal address.
    PostalAddress,
    /// A fax number.
    Fax,
    /// A social media profile.
    Social,
}

impl ChannelKind {
    /// The snake-case name used in JSON and rules.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Phone => "phone",
            Self::Email => "email",
            Self::ContactForm => "contact_form",
            Self::Chat => "chat",
            Self::Messenger => "messenger",
            Self::Callback => "callback",
            Self::Video => "video",
            Self::Appointment => "appointment",
            Self::PostalAddress => "postal_address",
            Self::Fax => "fax",
            Self::Social => "social",
        }
    }
}

/// Phone number details, from libphonenumber's metadata.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct PhoneInfo {
    /// E.164 form, e.g. `+498003301000`.
    pub e164: String,
    /// libphonenumber's number type.
    #[serde(rename = "type")]
    pub kind: PhoneType,
    /// ISO 3166 region the number belongs to, if known.
    pub region: Option<String>,
    /// The extension written after the number ("ext. 12", "x 456"), if any. The line is the
    /// same channel with or without it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extension: Option<String>,
}

/// libphonenumber's number types in snake case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
#[allow(missing_docs)]
pub enum PhoneType {
    FixedLine,
    Mobile,
    FixedLineOrMobile,
    TollFree,
    PremiumRate,
    SharedCost,
    Voip,
    PersonalNumber,
    Pager,
    Uan,
    Voicemail,
    Unknown,
}

impl PhoneType {
    /// The snake-case name used in JSON and rules.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::FixedLine => "fixed_line",
            Self::Mobile => "mobile",
            Self::FixedLineOrMobile => "fixed_line_or_mobile",
            Self::TollFree => "toll_free",
            Self::PremiumRate => "premium_rate",
            Self::SharedCost => "shared_cost",
            Self::Voip => "voip",
            Self::PersonalNumber => "personal_number",
            Self::Pager => "pager",
            Self::Uan => "uan",
            Self::Voicemail => "voicemail",
            Self::Unknown => "unknown",
        }
    }
}

/// E-mail address details.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct EmailInfo {
    /// The address, lower case.
    pub address: String,
    /// It was hidden from simple scrapers (`[at]`, entities, scripts).
    pub obfuscated: bool,
    /// It is a no-reply address: nobody reads it.
    pub no_reply: bool,
}

/// Whether a channel reaches a person.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// A person answers.
    Human,
    /// A bot first, a person on request or by hand-over.
    Hybrid,
    /// Only a bot or an automaton.
    Bot,
    /// Not known.
    Unknown,
}

/// Where and how a channel was seen.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Evidence {
    /// The page URL.
    pub url: String,
    /// Which extractor saw it (`tel_link`, `mailto_link`, ...).
    pub source: String,
    /// The text around it, whitespace-collapsed and shortened.
    pub snippet: String,
}

/// A page signal, merged across pages.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Signal {
    /// Stable id (`faq_first`, `no_phone_support`, `contact_link_in_navigation`).
    pub id: String,
    /// What it means, for people ("sends customers to the FAQ before contact").
    #[serde(default)]
    pub title: String,
    /// It pushes customers away from people.
    pub deflection: bool,
    /// How many crawled pages show it.
    pub pages: u32,
    /// Where it was seen, fewest clicks first.
    pub evidence: Vec<Evidence>,
    /// Every crawled page that shows it (evidence keeps only the best few), so the score can
    /// tell whether it stands on a customer's path.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub seen_on: Vec<String>,
}

/// One compliance finding.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Finding {
    /// Stable rule id, e.g. `de.ddg.5.email`.
    pub rule: String,
    /// The jurisdiction of the rule (`eu`, `de`, …).
    #[serde(default)]
    pub jurisdiction: String,
    /// The result.
    pub status: FindingStatus,
    /// How serious a failure is.
    pub severity: Severity,
    /// What the rule checks.
    pub title: String,
    /// The legal reference with article.
    pub law: String,
    /// What was found and where, and what a human must still check.
    pub message: String,
    /// Where it was seen.
    pub evidence: Vec<Evidence>,
    /// The public source of the rule.
    #[serde(default)]
    pub source: String,
    /// Why the duty exists, for help texts (SARIF, HTML).
    #[serde(default)]
    pub why: String,
    /// The check that decided it (`phone_types_absent`), so summaries can use the same verdict.
    #[serde(default)]
    pub check: String,
}

/// Result of one rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
#[allow(missing_docs)]
pub enum FindingStatus {
    Pass,
    Fail,
    Warn,
    NeedsReview,
    NotApplicable,
}

/// Severity of a rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
#[allow(missing_docs)]
pub enum Severity {
    Error,
    Warning,
    Info,
}

/// The reachability score. `total` and `grade` are `null` while not computed or when nothing could
/// be evaluated: an unknown score must never read as zero.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Score {
    /// 0–100, or `null`.
    pub total: Option<u32>,
    /// A–F, or `null`.
    pub grade: Option<String>,
    /// Per-category scores.
    pub categories: Vec<CategoryScore>,
    /// Why the score is missing or partial.
    pub note: Option<String>,
    /// The customer's way from the start page to a person, at once and in writing: the pages,
    /// the clicks and every gate on the way. When the line the company announces for customers
    /// is not the best way at once (an imprint number is nearer), its way follows as a third.
    #[serde(default)]
    pub paths: Vec<CustomerPath>,
    /// Legal duties about reaching people that failed and held the grade down.
    #[serde(default)]
    pub caps: Vec<GradeCap>,
}

/// How a customer with a problem reaches a person: the best channel of one kind of contact and
/// the way there from the start page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct CustomerPath {
    /// `at_once` (telephone, a chat with people, callback, video) or `in_writing` (e-mail, form).
    pub contact: Contact,
    /// The channel at the end of the way; `null` when the company offers none for customers.
    pub channel: Option<PathChannel>,
    /// The pages from the start page to the channel, the start page first.
    #[serde(default)]
    pub steps: Vec<PathStep>,
    /// Link clicks from the start page; `null` when only the sitemap leads there.
    pub clicks: Option<u32>,
    /// What stands in the way: topic pickers, FAQ first, logins, CAPTCHAs, a bot first.
    #[serde(default)]
    pub gates: Vec<PathGate>,
    /// Clicks plus gates: the steps a customer takes; `null` when there is no way.
    pub effort: Option<u32>,
    /// The way in one line: "home → Hilfe → Vertrag → Kontakt → phone 01806 …: 3 clicks, 1 gate".
    pub summary: String,
    /// This is the line the company announces for customers, shown beside a better way.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub announced: bool,
}

impl CustomerPath {
    /// What a report calls the path: "at once", "in writing" or "announced line".
    #[must_use]
    pub fn title(&self) -> &'static str {
        if self.announced {
            "announced line"
        } else {
            self.contact.title()
        }
    }

    /// The id used for it in JUnit properties and CSV: `at_once`, `in_writing`, `announced`.
    #[must_use]
    pub fn id(&self) -> &'static str {
        if self.announced {
            "announced"
        } else {
            self.contact.as_str()
        }
    }
}

/// The two kinds of contact a customer needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Contact {
    /// A person answers now: telephone, a chat with people, a callback, a video call.
    AtOnce,
    /// A person answers later: e-mail, a contact form, a messenger.
    InWriting,
}

impl Contact {
    /// The id used in JSON and CSV.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::AtOnce => "at_once",
            Self::InWriting => "in_writing",
        }
    }

    /// The words a report uses.
    #[must_use]
    pub fn title(self) -> &'static str {
        match self {
            Self::AtOnce => "at once",
            Self::InWriting => "in writing",
        }
    }
}

/// The channel a customer path ends at.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct PathChannel {
    /// Its kind.
    pub kind: ChannelKind,
    /// Its value as in `channels`.
    pub value: String,
    /// Why it counts as the customers' channel: its role labels, or `general`, or
    /// `legal_minimum` when it is shown only in the imprint or privacy policy.
    pub role: String,
}

/// One page on a customer path.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct PathStep {
    /// The page.
    pub url: String,
    /// What the visitor clicked to get here (the link text), or the page title.
    pub label: String,
}

/// Something a customer must get past on the way to a person.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct PathGate {
    /// `topic_picker`, `login_to_contact` (the `[path] gates` signals), `login`, `captcha`,
    /// `bot_first`.
    pub id: String,
    /// Which one: the CAPTCHA's or the chatbot's vendor.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// Where it stands.
    pub url: String,
}

/// A grade held down because a legal duty about reaching people failed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct GradeCap {
    /// The failing compliance rule (`de.bgb.312a.5.basic_rate`), or the score's own condition.
    pub rule: String,
    /// The best grade the site can have while it fails.
    pub grade: String,
    /// The legal reference.
    pub law: String,
    /// Why, in one line.
    pub reason: String,
}

impl Score {
    /// The placeholder before the score stage has run, stated as such (never a 0).
    #[must_use]
    pub fn not_computed() -> Self {
        Self {
            total: None,
            grade: None,
            categories: Vec::new(),
            note: Some("not computed yet: the score stage has not run".to_owned()),
            paths: Vec::new(),
            caps: Vec::new(),
        }
    }
}

/// One scored category.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct CategoryScore {
    /// Category id, e.g. `person`.
    pub id: String,
    /// Title for readers.
    #[serde(default)]
    pub title: String,
    /// 0–100, or `null` when nothing in it could be evaluated.
    pub score: Option<u32>,
    /// Its weight in the total.
    pub weight: f64,
    /// What the score is made of, with reasons.
    #[serde(default)]
    pub items: Vec<ItemScore>,
    /// What cost the most points here, in one line; `null` at full marks or when not measured.
    #[serde(default)]
    pub why_not_higher: Option<String>,
}

/// One scored item of a category.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ItemScore {
    /// Item id, e.g. `at_once`.
    pub id: String,
    /// Title for readers.
    pub title: String,
    /// 0.0–1.0, or `null` when it does not apply.
    pub score: Option<f64>,
    /// Its weight in the category.
    pub weight: f64,
    /// Why: what was found, in one line.
    pub reason: String,
}

/// The CI verdict on one report: every assertion with its outcome, and what changed against a
/// baseline. It is computed from the report alone, so any renderer can show why a build failed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Gate {
    /// `false` when an assertion at level `error` failed, or, with a baseline, when something got
    /// worse at level `error`: the run exits with code 1.
    pub passed: bool,
    /// Every assertion checked, in the order of the configuration.
    pub assertions: Vec<Assertion>,
    /// The comparison with `--baseline`; `null` without one.
    pub baseline: Option<BaselineDiff>,
}

/// One checked assertion.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Assertion {
    /// Stable id: `score`, `category.<id>`, `rule.<rule id>`, `channel.<kind>` (`channel.<kind>#2`
    /// for a second requirement of that kind), `phone_types`.
    pub id: String,
    /// `warn` only reports a failure; `error` fails the build.
    pub level: Level,
    /// Whether it held.
    pub passed: bool,
    /// What was required, e.g. `score >= 70`.
    pub expected: String,
    /// What was found, e.g. `score 64`.
    pub actual: String,
    /// Why it failed or held, in one line.
    pub message: String,
    /// With a baseline: it failed there too, so it is known and does not fail the build.
    #[serde(default)]
    pub known: bool,
}

/// How much an assertion or a change matters in CI.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    /// Not checked.
    Off,
    /// Reported, never fails the build.
    Warn,
    /// Fails the build (exit code 1).
    Error,
}

impl Level {
    /// The snake-case name used in configuration and output.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Off => "off",
            Self::Warn => "warn",
            Self::Error => "error",
        }
    }
}

/// What changed against a baseline report of the same site.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct BaselineDiff {
    /// The baseline file as given.
    pub file: String,
    /// The baseline's score total, if it had one.
    pub score_before: Option<u32>,
    /// Score points a total or category may drop before it counts as worse.
    pub tolerance: u32,
    /// What got worse: channels lost, rules newly failing, score drops.
    pub worse: Vec<Change>,
    /// What got better: channels gained, rules now passing, score gains.
    pub better: Vec<Change>,
}

/// One difference against the baseline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Change {
    /// What kind of change.
    pub kind: ChangeKind,
    /// What changed: a channel (`phone +498003301000`), a rule id, `score` or `category.<id>`.
    pub subject: String,
    /// Before and after, in one line.
    pub message: String,
    /// For changes for the worse: whether it fails the build.
    pub level: Level,
}

/// Kinds of change against a baseline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ChangeKind {
    /// A channel the baseline had is gone.
    ChannelLost,
    /// A channel the baseline lacked is new.
    ChannelGained,
    /// A channel now needs more clicks.
    ChannelDeeper,
    /// A channel now needs fewer clicks.
    ChannelCloser,
    /// A channel now reaches a person less (human → hybrid, or to a bot).
    ModeWorse,
    /// A channel now reaches a person more.
    ModeBetter,
    /// A rule that passed (or did not apply) now fails.
    RuleFailing,
    /// A rule that failed now passes.
    RuleFixed,
    /// The total or a category score dropped by more than the tolerance.
    ScoreDrop,
    /// The total or a category score rose by more than the tolerance.
    ScoreGain,
}

/// One test contact and what came of it, from the probe store.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ProbeResult {
    /// The probe's token, as in its reply address and text.
    pub token: String,
    /// The company's site.
    pub company: String,
    /// `email` or `contact_form`.
    pub channel: String,
    /// The address or the form.
    pub target: String,
    /// `planned`, `sending`, `sent`, `failed`.
    pub state: String,
    /// When it was sent (unix seconds).
    pub sent_at: Option<i64>,
    /// Replies of any kind.
    pub replies: usize,
    /// Seconds to the first reply of any kind.
    pub first_reply_secs: Option<i64>,
    /// The class of that reply (`human`, `auto_reply`, `out_of_office`, `ticket_ack`, `bounce`,
    /// `unknown`).
    pub first_reply_class: Option<String>,
    /// Seconds to the first reply by a person.
    pub first_human_secs: Option<i64>,
    /// The address bounced: the published address does not work.
    pub bounced: bool,
    /// What the first bounce or delay notice says: its RFC 3463 status (`5.1.1`: the address
    /// does not exist; 4.x.x: still being retried).
    #[serde(default)]
    pub delivery_status: Option<String>,
    /// The address that notice says failed, when it is not the one written to (a forward to
    /// another mailbox that does not work).
    #[serde(default)]
    pub failed_recipient: Option<String>,
    /// A challenge-response filter holds the probe until a person confirms being one: the
    /// address answers nobody who does not click through.
    #[serde(default)]
    pub challenged: bool,
    /// `answered` (a person within the window), `late` (a person after it), `unanswered`
    /// (window over, no person), `pending` (window still open), `unconfirmed` (interrupted while
    /// being handed over: it may have left, and is never sent again), `not_sent`.
    pub outcome: String,
}

impl ProbeResult {
    /// What the mail system said, for people: `bounced (5.1.1)`, `bounced (5.2.2) at
    /// owner@mail.example`, `delayed (4.4.1)`; `None` without a notice.
    #[must_use]
    pub fn delivery(&self) -> Option<String> {
        let what = if self.bounced {
            "bounced"
        } else if self.delivery_status.is_some() {
            "delayed"
        } else {
            return None;
        };
        let mut out = what.to_owned();
        if let Some(status) = &self.delivery_status {
            out.push_str(&format!(" ({status})"));
        }
        if let Some(at) = &self.failed_recipient {
            out.push_str(&format!(" at {at}"));
        }
        Some(out)
    }
}
