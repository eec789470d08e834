//! One self-contained HTML file for publishing a market comparison: summary figures, a sortable
//! ranking, sectors side by side, which channels each company offers, the score distribution as
//! inline SVG, the method, and a page of evidence per company. No external assets, so it opens
//! offline and from an e-mail attachment years later.
//!
//! Everything from a crawled site is hostile: every string is escaped for HTML text and quoted
//! attributes, links are made only of `http(s)` URLs, and a Content-Security-Policy admits only
//! this file's own script and style (by hash), so even a missed escape could not run code.
//!
//! Written in two passes over the results, so memory stays flat however many sites: the first
//! ([`HtmlReport::add`]) keeps a small summary per site for the ranking, sectors, matrix and chart;
//! the second ([`HtmlReport::write_site`]) streams each site's evidence page straight out.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::io::Write;

use base64::Engine as _;

use super::Renderer;
use super::summary::{SiteSummary, median, ranking};
use crate::model::{ChannelKind, Company, FindingStatus, Limits, Mode, Report, RobotsStatus};

/// `--format html` for reports of a `scan`.
pub(super) struct Html;

impl Renderer for Html {
    fn render(&self, reports: &[Report]) -> String {
        let mut html = HtmlReport::new("reachaudit report", "");
        for r in reports {
            html.add(r);
        }
        let mut out = Vec::new();
        let written = html.write_start(&mut out).and_then(|()| {
            for (i, r) in reports.iter().enumerate() {
                html.write_site(i, Some(r), &mut out)?;
            }
            html.write_end(&mut out)
        });
        debug_assert!(written.is_ok(), "writing to memory cannot fail");
        String::from_utf8(out).unwrap_or_default()
    }
}

/// Escapes text for HTML content and double- or single-quoted attribute values; control
/// characters (which HTML forbids) and bidirectional overrides (which could make a company's
/// name read as another) become spaces.
fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\n' | '\t' => out.push(c),
            c if super::unsafe_char(c) => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// A link when `url` is http(s) (a site's `javascript:` or `data:` URL never becomes one), else
/// the text alone; so are the placeholder `.invalid` URLs of local directories, which lead
/// nowhere.
fn link(url: &str, text: &str) -> String {
    let lower = url.trim_start().to_ascii_lowercase();
    let host = lower
        .split_once("://")
        .map(|(_, rest)| rest.split(['/', '?', '#']).next().unwrap_or(""))
        .unwrap_or("");
    let placeholder = host.split(':').next().unwrap_or("").ends_with(".invalid");
    if (lower.starts_with("https://") || lower.starts_with("http://")) && !placeholder {
        format!(
            "<a href=\"{}\" rel=\"noopener noreferrer nofollow\">{}</a>",
            esc(url.trim_start()),
            esc(text)
        )
    } else {
        esc(text)
    }
}

/// Readers' names of the channel kinds.
fn kind_title(kind: ChannelKind) -> &'static str {
    match kind {
        ChannelKind::Phone => "Phone",
        ChannelKind::Email => "E-mail",
        ChannelKind::ContactForm => "Contact form",
        ChannelKind::Chat => "Chat",
        ChannelKind::Messenger => "Messenger",
        ChannelKind::Callback => "Callback",
        ChannelKind::Video => "Video",
        ChannelKind::Appointment => "Appointment",
        ChannelKind::PostalAddress => "Postal address",
        ChannelKind::Fax => "Fax",
        ChannelKind::Social => "Social media",
    }
}

fn mode_title(mode: Mode) -> &'static str {
    match mode {
        Mode::Human => "people",
        Mode::Hybrid => "bot first, then people",
        Mode::Bot => "bot only",
        Mode::Unknown => "not known",
    }
}

fn grade_class(grade: Option<&str>) -> String {
    match grade {
        Some(g) if g.len() == 1 && g.chars().all(|c| c.is_ascii_alphabetic()) => {
            format!("g g-{}", g.to_ascii_uppercase())
        }
        _ => "g".to_owned(),
    }
}

fn yes(b: bool) -> &'static str {
    if b { "yes" } else { "–" }
}

#[allow(clippy::cast_precision_loss)]
fn share(part: usize, whole: usize) -> String {
    if whole == 0 {
        "–".to_owned()
    } else {
        format!("{:.0} %", part as f64 * 100.0 / whole as f64)
    }
}

/// How often a rule failed, warned or needed review across the sites.
#[derive(Default)]
struct RuleTally {
    title: String,
    law: String,
    checked: usize,
    fail: usize,
    warn: usize,
    review: usize,
}

/// Builds the HTML report one site at a time.
pub struct HtmlReport {
    title: String,
    about: String,
    grades: Vec<(String, u32)>,
    sites: Vec<SiteSummary>,
    categories: Vec<(String, String, f64)>,
    items: BTreeMap<String, Vec<(String, f64)>>,
    limits: Option<Limits>,
    rules: BTreeMap<String, RuleTally>,
    probes: usize,
    robots_ignored: usize,
    written: std::cell::Cell<usize>,
}

impl HtmlReport {
    /// An empty report; `about` says where the results come from (run, list, date, versions).
    #[must_use]
    pub fn new(title: &str, about: &str) -> Self {
        Self {
            title: title.to_owned(),
            about: about.to_owned(),
            grades: Vec::new(),
            sites: Vec::new(),
            categories: Vec::new(),
            items: BTreeMap::new(),
            limits: None,
            rules: BTreeMap::new(),
            probes: 0,
            robots_ignored: 0,
            written: std::cell::Cell::new(0),
        }
    }

    /// The grade bands (grade, lowest total) for the method section.
    pub fn grades(&mut self, bands: Vec<(String, u32)>) {
        self.grades = bands;
    }

    /// First pass: adds one site's figures.
    pub fn add(&mut self, r: &Report) {
        let summary = SiteSummary::of(r);
        if r.evaluated && self.categories.is_empty() && !r.score.categories.is_empty() {
            for c in &r.score.categories {
                self.categories
                    .push((c.id.clone(), c.title.clone(), c.weight));
                self.items.insert(
                    c.id.clone(),
                    c.items
                        .iter()
                        .map(|i| (i.title.clone(), i.weight))
                        .collect(),
                );
            }
        }
        if self.limits.is_none() && r.evaluated {
            self.limits = Some(r.crawl.limits.clone());
        }
        for f in &r.findings {
            let t = self.rules.entry(f.rule.clone()).or_default();
            if t.title.is_empty() {
                t.title.clone_from(&f.title);
                t.law.clone_from(&f.law);
            }
            if f.status != FindingStatus::NotApplicable {
                t.checked += 1;
            }
            match f.status {
                FindingStatus::Fail => t.fail += 1,
                FindingStatus::Warn => t.warn += 1,
                FindingStatus::NeedsReview => t.review += 1,
                _ => {}
            }
        }
        self.probes += r.probes.len();
        if r.crawl.robots == RobotsStatus::Ignored {
            self.robots_ignored += 1;
        }
        self.sites.push(summary);
    }

    /// First pass: adds a site whose audit could not start.
    pub fn add_failed(&mut self, company: &Company, url: &str, reason: &str) {
        self.sites.push(SiteSummary::failed(company, url, reason));
    }

    /// Second pass, first: everything up to the companies' evidence pages.
    ///
    /// # Errors
    /// What the writer returns.
    pub fn write_start(&self, out: &mut dyn Write) -> std::io::Result<()> {
        let order = ranking(&self.sites);
        let mut body = String::new();
        let _ = write!(
            body,
            "<header><h1>{}</h1><p class=\"about\">{}</p>",
            esc(&self.title),
            esc(&self.about)
        );
        body.push_str(
            "<nav><a href=\"#overview\">Overview</a><a href=\"#ranking-section\">Ranking</a><a href=\"#sectors\">Sectors</a><a href=\"#channels\">Channels</a><a href=\"#distribution\">Distribution</a><a href=\"#legal\">Legal checks</a><a href=\"#method\">Method</a><a href=\"#details\">Companies</a></nav></header><main>",
        );
        self.overview(&mut body);
        self.ranking_table(&mut body, &order);
        self.sectors(&mut body);
        self.matrix(&mut body, &order);
        self.distribution(&mut body);
        self.legal(&mut body);
        self.method(&mut body);
        body.push_str("<section id=\"details\"><h2>Companies</h2><p>Pick a company in the ranking or the channel table to see its evidence here.</p><input type=\"checkbox\" id=\"show-all\"> <label for=\"show-all\">Show every company (long)</label><div class=\"sites\">");
        let csp = format!(
            "default-src 'none'; img-src data:; style-src 'sha256-{}'; script-src 'sha256-{}'; base-uri 'none'; form-action 'none'",
            sha256_b64(STYLE),
            sha256_b64(SCRIPT)
        );
        write!(
            out,
            "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><meta http-equiv=\"Content-Security-Policy\" content=\"{csp}\"><meta name=\"referrer\" content=\"no-referrer\"><meta name=\"generator\" content=\"reachaudit\"><title>{}</title><style>{STYLE}</style></head><body>{body}",
            esc(&self.title)
        )
    }

    /// Second pass, for each site in the order they were added: its evidence page. `report` is
    /// `None` for a site added with [`HtmlReport::add_failed`].
    ///
    /// # Errors
    /// What the writer returns.
    pub fn write_site(
        &self,
        index: usize,
        report: Option<&Report>,
        out: &mut dyn Write,
    ) -> std::io::Result<()> {
        let changed = || {
            std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                "the results changed between the two passes over them (a batch still writing?); make the report again once the run has finished",
            )
        };
        let summary = self.sites.get(index).ok_or_else(changed)?;
        if report.is_some_and(|r| r.target.input != summary.url) {
            return Err(changed());
        }
        self.written.set(self.written.get() + 1);
        let mut page = String::new();
        site_details(&mut page, index, summary, report);
        out.write_all(page.as_bytes())
    }

    /// Second pass, last: closes the document.
    ///
    /// # Errors
    /// What the writer returns.
    pub fn write_end(&self, out: &mut dyn Write) -> std::io::Result<()> {
        if self.written.get() != self.sites.len() {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                "the results changed between the two passes over them (a batch still writing?); make the report again once the run has finished",
            ));
        }
        writeln!(
            out,
            "</div></section></main><footer>Made with reachaudit {}. Scores and legal checks are automated readings of public web pages; check the evidence before publishing a claim about a company.</footer><script>{SCRIPT}</script></body></html>",
            esc(env!("CARGO_PKG_VERSION"))
        )
    }

    fn evaluated(&self) -> impl Iterator<Item = &SiteSummary> {
        self.sites.iter().filter(|s| s.evaluated)
    }

    fn overview(&self, out: &mut String) {
        let n = self.evaluated().count();
        let mut totals: Vec<u32> = self.evaluated().filter_map(|s| s.total).collect();
        let med = median(&mut totals).map_or_else(|| "–".to_owned(), |m| format!("{m:.0}"));
        let count = |f: &dyn Fn(&SiteSummary) -> bool| self.evaluated().filter(|s| f(s)).count();
        let figures = [
            ("companies", self.sites.len().to_string()),
            ("evaluated", n.to_string()),
            ("median score", med),
            ("with a phone number", share(count(&|s| s.has_phone), n)),
            ("with an e-mail address", share(count(&|s| s.has_email), n)),
            (
                "with people in the chat",
                share(count(&|s| s.has_human_chat), n),
            ),
            (
                "with a bot-only chat",
                share(count(&|s| s.bot_only_chat), n),
            ),
            (
                "with a premium-rate hotline",
                share(count(&|s| s.premium_hotline), n),
            ),
        ];
        out.push_str("<section id=\"overview\"><h2>Overview</h2><dl class=\"figures\">");
        for (label, value) in figures {
            let _ = write!(
                out,
                "<div><dt>{}</dt><dd>{}</dd></div>",
                esc(label),
                esc(&value)
            );
        }
        out.push_str("</dl>");
        let failed = self.sites.len() - n;
        if failed > 0 {
            let _ = write!(
                out,
                "<p class=\"note\">{failed} compan{} could not be evaluated (unreachable, blocked, or nothing readable); they are listed last and left out of every share and chart.</p>",
                if failed == 1 { "y" } else { "ies" }
            );
        }
        out.push_str("</section>");
    }

    fn ranking_table(&self, out: &mut String, order: &[usize]) {
        out.push_str("<section id=\"ranking-section\"><h2>Ranking</h2><p>Sorted by total score. Select a column heading to sort by it; type to filter.</p><p><label>Filter <input type=\"search\" id=\"filter\" placeholder=\"company, sector, site\"></label></p><div class=\"wide\"><table id=\"ranking\" class=\"sortable\"><thead><tr><th data-key=\"rank\" data-dir=\"asc\">#</th><th data-key=\"name\" data-type=\"text\" data-dir=\"asc\">Company</th><th data-key=\"sector\" data-type=\"text\" data-dir=\"asc\">Sector</th><th data-key=\"score\">Score</th><th data-key=\"grade\" data-type=\"text\" data-dir=\"asc\">Grade</th>");
        // The key columns come right after the grade, so they show without scrolling sideways
        // on a 1280-pixel screen; the category scores and the rest follow.
        out.push_str("<th data-key=\"clicks\" data-dir=\"asc\">Clicks to a person</th><th data-key=\"failed_rules\" data-dir=\"asc\">Legal checks failed</th>");
        for (id, title, _) in &self.categories {
            let _ = write!(
                out,
                "<th data-key=\"{}\" class=\"cat\">{}</th>",
                esc(id),
                esc(title)
            );
        }
        out.push_str("<th data-key=\"phone\" data-type=\"text\">Phone</th><th data-key=\"email\" data-type=\"text\">E-mail</th><th data-key=\"human_chat\" data-type=\"text\">People in chat</th><th data-key=\"pages\">Pages</th></tr></thead><tbody>");
        // Competition ranking: equal totals share a place (1, 1, 3); no total, no place.
        let mut rank = 0;
        let mut previous = None;
        for (place, &i) in order.iter().enumerate() {
            let s = &self.sites[i];
            let total = s.total.filter(|_| s.evaluated);
            if total.is_some() && total != previous {
                rank = place + 1;
                previous = total;
            }
            let shown = if total.is_some() { rank } else { 0 };
            let opt = |v: Option<u32>| v.map(|n| n.to_string()).unwrap_or_default();
            let _ = write!(
                out,
                "<tr class=\"{}\"><td data-v=\"{}\">{}</td><td><a href=\"#site-{i}\">{}</a><br><small>{}</small></td><td>{}</td><td data-v=\"{}\" class=\"num\">{}</td><td data-v=\"{}\"><span class=\"{}\">{}</span></td>",
                if s.evaluated { "ok" } else { "failed" },
                if shown > 0 {
                    shown
                } else {
                    order.len() + place
                },
                if shown > 0 {
                    shown.to_string()
                } else {
                    "–".to_owned()
                },
                esc(&s.name),
                esc(if s.site.is_empty() { &s.url } else { &s.site }),
                esc(s.sector.as_deref().unwrap_or("")),
                opt(s.total),
                s.total.map_or_else(|| "n/a".to_owned(), |t| t.to_string()),
                esc(s.grade.as_deref().unwrap_or("")),
                grade_class(s.grade.as_deref()),
                esc(s.grade.as_deref().unwrap_or("–")),
            );
            if !s.evaluated {
                let _ = write!(
                    out,
                    "<td colspan=\"{}\" class=\"reason\" data-v=\"\">not evaluated: {}</td></tr>",
                    self.categories.len() + 6,
                    esc(s.reason.as_deref().unwrap_or("nothing fetched"))
                );
                continue;
            }
            let legal = if s.legally_checked {
                format!(
                    "<td data-v=\"{}\" class=\"num\">{}</td>",
                    s.failed_rules.len(),
                    s.failed_rules.len()
                )
            } else {
                "<td data-v=\"-1\" class=\"num\" title=\"no rule pack applied\">–</td>".to_owned()
            };
            let _ = write!(
                out,
                "<td data-v=\"{}\" class=\"num\">{}</td>{legal}",
                opt(s.clicks_to_human),
                s.clicks_to_human
                    .map_or_else(|| "none".to_owned(), |n| n.to_string()),
            );
            for (id, _, _) in &self.categories {
                let v = s.categories.get(id).copied().flatten();
                let _ = write!(
                    out,
                    "<td data-v=\"{}\" class=\"num\">{}</td>",
                    opt(v),
                    v.map_or_else(|| "–".to_owned(), |n| n.to_string())
                );
            }
            let _ = write!(
                out,
                "<td>{}</td><td>{}</td><td>{}</td><td class=\"num\">{}</td></tr>",
                yes(s.has_phone),
                yes(s.has_email),
                if s.has_human_chat {
                    "yes"
                } else if s.bot_only_chat {
                    "bot only"
                } else {
                    "–"
                },
                s.pages
            );
        }
        out.push_str("</tbody></table></div></section>");
    }

    fn sectors(&self, out: &mut String) {
        out.push_str("<section id=\"sectors\"><h2>Sectors</h2>");
        let mut by: BTreeMap<&str, Vec<&SiteSummary>> = BTreeMap::new();
        for s in self.evaluated() {
            if let Some(sector) = s.sector.as_deref().filter(|x| !x.is_empty()) {
                by.entry(sector).or_default().push(s);
            }
        }
        if by.is_empty() {
            out.push_str("<p class=\"note\">No sectors: give the list a <code>sector</code> column to compare them.</p></section>");
            return;
        }
        out.push_str("<div class=\"wide\"><table id=\"sector-table\" class=\"sortable\"><thead><tr><th data-key=\"sector\" data-type=\"text\" data-dir=\"asc\">Sector</th><th data-key=\"sites\">Companies</th><th data-key=\"median\">Median score</th><th data-key=\"best\">Best</th><th data-key=\"worst\">Worst</th><th data-key=\"phone\">With phone</th><th data-key=\"email\">With e-mail</th><th data-key=\"human_chat\">People in chat</th><th data-key=\"bot_only\">Bot-only chat</th><th data-key=\"failed\">Failing a legal check</th></tr></thead><tbody>");
        for (sector, sites) in &by {
            let n = sites.len();
            let mut totals: Vec<u32> = sites.iter().filter_map(|s| s.total).collect();
            let med = median(&mut totals);
            let count = |f: &dyn Fn(&SiteSummary) -> bool| sites.iter().filter(|s| f(s)).count();
            let best = sites
                .iter()
                .filter(|s| s.total.is_some())
                .max_by_key(|s| s.total);
            let worst = sites
                .iter()
                .filter(|s| s.total.is_some())
                .min_by_key(|s| s.total);
            let who = |s: Option<&&SiteSummary>| {
                s.map_or_else(String::new, |s| {
                    format!("{} ({})", s.name, s.total.unwrap_or_default())
                })
            };
            let pct = |k: usize| {
                #[allow(clippy::cast_precision_loss)]
                let v = k as f64 * 100.0 / n as f64;
                format!("<td data-v=\"{v:.1}\" class=\"num\">{}</td>", share(k, n))
            };
            let _ = write!(
                out,
                "<tr><td>{}</td><td class=\"num\">{n}</td><td data-v=\"{}\" class=\"num\">{}</td><td data-v=\"{}\">{}</td><td data-v=\"{}\">{}</td>{}{}{}{}{}</tr>",
                esc(sector),
                med.map(|m| format!("{m:.1}")).unwrap_or_default(),
                med.map_or_else(|| "–".to_owned(), |m| format!("{m:.0}")),
                best.and_then(|s| s.total).unwrap_or_default(),
                esc(&who(best)),
                worst.and_then(|s| s.total).unwrap_or_default(),
                esc(&who(worst)),
                pct(count(&|s| s.has_phone)),
                pct(count(&|s| s.has_email)),
                pct(count(&|s| s.has_human_chat)),
                pct(count(&|s| s.bot_only_chat)),
                {
                    // Only sites a rule pack was checked for count, whichever way.
                    let checked = count(&|s| s.legally_checked);
                    if checked == 0 {
                        "<td data-v=\"-1\" class=\"num\">–</td>".to_owned()
                    } else {
                        #[allow(clippy::cast_precision_loss)]
                        let k = count(&|s| s.legally_checked && !s.failed_rules.is_empty());
                        let v = k as f64 * 100.0 / checked as f64;
                        format!(
                            "<td data-v=\"{v:.1}\" class=\"num\">{}</td>",
                            share(k, checked)
                        )
                    }
                },
            );
        }
        out.push_str("</tbody></table></div></section>");
    }

    fn matrix(&self, out: &mut String, order: &[usize]) {
        let kinds: BTreeSet<ChannelKind> = self
            .evaluated()
            .flat_map(|s| s.kinds.keys().copied())
            .collect();
        out.push_str("<section id=\"channels\"><h2>Channels</h2><p>Which ways of contact each company offers on its website. <span class=\"m m-human\">●</span> people answer, <span class=\"m m-hybrid\">◐</span> a bot first, then people, <span class=\"m m-unknown\">○</span> not known who answers, <span class=\"m m-bot\">bot</span> only a bot; the number is the fewest clicks from the home page.</p><div class=\"wide\"><table id=\"matrix\" class=\"sortable\"><thead><tr><th data-key=\"name\" data-type=\"text\" data-dir=\"asc\">Company</th>");
        for k in &kinds {
            let _ = write!(
                out,
                "<th data-key=\"{}\">{}</th>",
                k.as_str(),
                kind_title(*k)
            );
        }
        out.push_str("</tr></thead><tbody>");
        for &i in order {
            let s = &self.sites[i];
            if !s.evaluated {
                continue;
            }
            let _ = write!(
                out,
                "<tr><td><a href=\"#site-{i}\">{}</a></td>",
                esc(&s.name)
            );
            for k in &kinds {
                match s.kinds.get(k) {
                    None => out.push_str("<td data-v=\"\"></td>"),
                    Some(cell) => {
                        let (symbol, class, v) = match cell.mode {
                            Mode::Human => ("●", "m-human", 3),
                            Mode::Hybrid => ("◐", "m-hybrid", 2),
                            Mode::Unknown => ("○", "m-unknown", 1),
                            Mode::Bot => ("bot", "m-bot", 0),
                        };
                        let clicks = cell.clicks.map(|c| c.to_string()).unwrap_or_default();
                        let _ = write!(
                            out,
                            "<td data-v=\"{v}\" title=\"{} · {}\"><span class=\"m {class}\">{symbol}</span><small>{clicks}</small></td>",
                            mode_title(cell.mode),
                            cell.clicks.map_or_else(
                                || "not on the crawled path".to_owned(),
                                |c| format!("{c} click(s)")
                            )
                        );
                    }
                }
            }
            out.push_str("</tr>");
        }
        let n = self.evaluated().count();
        out.push_str("</tbody><tfoot><tr><th>Share of companies</th>");
        for k in &kinds {
            let _ = write!(
                out,
                "<td class=\"num\">{}</td>",
                share(
                    self.evaluated().filter(|s| s.kinds.contains_key(k)).count(),
                    n
                )
            );
        }
        out.push_str("</tr></tfoot></table></div></section>");
    }

    fn distribution(&self, out: &mut String) {
        let mut bins = [0usize; 10];
        for t in self.evaluated().filter_map(|s| s.total) {
            bins[(t.min(100) as usize / 10).min(9)] += 1;
        }
        let max = bins.iter().copied().max().unwrap_or(0).max(1);
        let (w, h, left, bottom, top) = (640.0_f64, 260.0_f64, 40.0_f64, 40.0_f64, 20.0_f64);
        let bar = (w - left - 10.0) / 10.0;
        let _ = write!(
            out,
            "<section id=\"distribution\"><h2>Score distribution</h2><svg id=\"histogram\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {w} {h}\" role=\"img\" aria-labelledby=\"hist-title\"><title id=\"hist-title\">Number of companies per score band</title><line x1=\"{left}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" class=\"axis\"/>",
            h - bottom,
            w - 10.0,
            h - bottom
        );
        #[allow(clippy::cast_precision_loss)]
        for (i, &count) in bins.iter().enumerate() {
            let bh = (h - bottom - top) * count as f64 / max as f64;
            let x = left + bar * i as f64;
            let y = h - bottom - bh;
            let label = if i == 9 {
                "90–100".to_owned()
            } else {
                format!("{}–{}", i * 10, i * 10 + 9)
            };
            let _ = write!(
                out,
                "<g class=\"bin b{i}\"><rect x=\"{:.1}\" y=\"{y:.1}\" width=\"{:.1}\" height=\"{bh:.1}\" data-count=\"{count}\"><title>{label}: {count} compan{}</title></rect><text x=\"{:.1}\" y=\"{:.1}\" class=\"count\">{}</text><text x=\"{:.1}\" y=\"{:.1}\" class=\"label\">{label}</text></g>",
                x + 4.0,
                bar - 8.0,
                if count == 1 { "y" } else { "ies" },
                x + bar / 2.0,
                y - 4.0,
                if count > 0 {
                    count.to_string()
                } else {
                    String::new()
                },
                x + bar / 2.0,
                h - bottom + 18.0,
            );
        }
        let _ = write!(
            out,
            "<text x=\"{}\" y=\"{}\" class=\"label\">total score</text></svg></section>",
            left + (w - left) / 2.0,
            h - 4.0
        );
    }

    fn legal(&self, out: &mut String) {
        out.push_str("<section id=\"legal\"><h2>Legal checks</h2>");
        if self.rules.is_empty() {
            out.push_str("<p class=\"note\">No legal rules were checked.</p></section>");
            return;
        }
        out.push_str("<p>How many companies fail each rule, most failed first. \"Review\" means a person must still look: the machine can show where, not decide.</p><div class=\"wide\"><table id=\"rules\" class=\"sortable\"><thead><tr><th data-key=\"rule\" data-type=\"text\" data-dir=\"asc\">Rule</th><th data-key=\"law\" data-type=\"text\" data-dir=\"asc\">Law</th><th data-key=\"checked\">Checked</th><th data-key=\"fail\">Fail</th><th data-key=\"warn\">Warn</th><th data-key=\"review\">Review</th></tr></thead><tbody>");
        let mut rules: Vec<(&String, &RuleTally)> =
            self.rules.iter().filter(|(_, t)| t.checked > 0).collect();
        rules.sort_by(|a, b| {
            (b.1.fail, b.1.warn, b.1.review)
                .cmp(&(a.1.fail, a.1.warn, a.1.review))
                .then_with(|| a.0.cmp(b.0))
        });
        for (id, t) in rules {
            let _ = write!(
                out,
                "<tr><td><code>{}</code><br>{}</td><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
                esc(id),
                esc(&t.title),
                esc(&t.law),
                t.checked,
                t.fail,
                t.warn,
                t.review
            );
        }
        out.push_str("</tbody></table></div></section>");
    }

    fn method(&self, out: &mut String) {
        out.push_str("<section id=\"method\"><h2>Method</h2><p>reachaudit visited each company's website like a customer looking for help: it followed links from the home page, read every page it reached, and noted each way of contact (phone with its cost class, e-mail, contact form, chat with people or only a bot, messengers, callback, video, appointments, postal address) with the page, the words around it and the fewest clicks from the home page. Chat widgets are recognised by their vendors' published embed code, and whether people or a bot answer by the vendor's product and the page's wording.</p>");
        if let Some(l) = &self.limits {
            let _ = write!(
                out,
                "<p>Crawl limits per site (as for the first company; runs combined from several files may differ): at most {} pages and {} clicks deep, {} per host, {} s per request, pages up to {} KiB. {} The crawler named itself: <code>{}</code>.</p>",
                l.max_pages,
                l.max_depth,
                l.rate.map_or_else(
                    || "no rate limit".to_owned(),
                    |r| format!("{r} requests per second")
                ),
                l.timeout_secs,
                l.max_bytes / 1024,
                if self.robots_ignored == 0 {
                    "Every site's robots.txt was obeyed.".to_owned()
                } else {
                    format!(
                        "robots.txt was ignored for {} of the sites (--ignore-robots, for sites the auditor runs).",
                        self.robots_ignored
                    )
                },
                esc(&l.user_agent)
            );
        }
        if !self.categories.is_empty() {
            out.push_str("<p>The score follows a customer with a problem (an order, a bill, a contract) from the start page to a person, at once (telephone, a chat with people, a callback) and in writing (e-mail, a form). Only the company's own channels for customers count: not the press office, jobs, sales to new customers, business desks, emergency lines, or any other organisation's number. The way there is counted in clicks plus gates (a forced topic picker, a login, a CAPTCHA, a chatbot on the help pages); a number shown only in the imprint is the legal minimum and counts for less. The total (0–100) is the weighted mean of these categories; a category nothing in could be judged is left out and the others are reweighted. A failed legal duty about reaching people (a paid customer line, only automated contact) caps the grade, whatever the points, and the site's total is held below the next better grade:</p><table class=\"method\"><thead><tr><th>Category</th><th>Weight</th><th>Made of</th></tr></thead><tbody>");
            for (id, title, weight) in &self.categories {
                let items = self.items.get(id).map_or_else(String::new, |items| {
                    items
                        .iter()
                        .map(|(t, w)| format!("{} ({:.0} %)", esc(t), w * 100.0))
                        .collect::<Vec<_>>()
                        .join("; ")
                });
                let _ = write!(
                    out,
                    "<tr><td>{}</td><td class=\"num\">{:.0} %</td><td>{items}</td></tr>",
                    esc(title),
                    weight * 100.0
                );
            }
            out.push_str("</tbody></table>");
        }
        if !self.grades.is_empty() {
            let bands: Vec<String> = self
                .grades
                .iter()
                .map(|(g, min)| format!("{} from {min}", esc(g)))
                .collect();
            let _ = write!(out, "<p>Grades: {}; below that F.</p>", bands.join(", "));
        }
        if self.probes > 0 {
            let _ = write!(
                out,
                "<p>{} honest test contacts (e-mails and contact forms, signed with the auditor's name) were sent, and the replies timed: a person's answer within a day scores full marks, later answers less, an auto-reply alone nothing.</p>",
                self.probes
            );
        }
        out.push_str("<p>Limits: a crawler sees what a website shows without logging in and without running its scripts in full, so channels reachable only inside a customer account or an app are not counted. Legal checks are automated readings: \"fail\" means the evidence on the pages does not meet the rule, which a lawyer should confirm before it is published as a breach.</p></section>");
    }
}

fn site_details(out: &mut String, index: usize, s: &SiteSummary, r: Option<&Report>) {
    {
        let _ = write!(
            out,
            "<section class=\"site\" id=\"site-{index}\"><h3>{} <span class=\"{}\">{}</span> <span class=\"total\">{}</span></h3><p class=\"meta\">{}{}{}</p>",
            esc(&s.name),
            grade_class(s.grade.as_deref()),
            esc(s.grade.as_deref().unwrap_or("–")),
            s.total
                .map_or_else(|| "not evaluated".to_owned(), |t| format!("{t}/100")),
            link(&s.url, &s.url),
            s.sector
                .as_deref()
                .map(|x| format!(" · {}", esc(x)))
                .unwrap_or_default(),
            r.map(|r| format!(
                " · {} page(s), {} request(s)",
                r.crawl.pages.len(),
                r.crawl.requests
            ))
            .unwrap_or_default()
        );
        if !s.evaluated {
            let _ = write!(
                out,
                "<p class=\"reason\">Not evaluated: {}</p>",
                esc(s.reason.as_deref().unwrap_or("nothing fetched"))
            );
        }
        if let Some(r) = r {
            for cap in &r.score.caps {
                let _ = write!(
                    out,
                    "<p class=\"reason\">Grade capped at {}: {}{}</p>",
                    esc(&cap.grade),
                    esc(&cap.reason),
                    if cap.law.is_empty() {
                        String::new()
                    } else {
                        format!(" <small>({})</small>", esc(&cap.law))
                    }
                );
            }
            if r.evaluated && !r.score.paths.is_empty() {
                out.push_str("<h4>The customer's way to a person</h4><ul class=\"paths\">");
                for path in &r.score.paths {
                    let _ = write!(
                        out,
                        "<li><b>{}</b>: {}</li>",
                        path.title(),
                        esc(&path.summary)
                    );
                }
                out.push_str("</ul>");
            }
            if r.evaluated && !r.score.categories.is_empty() {
                out.push_str("<table class=\"scores\"><tbody>");
                for c in &r.score.categories {
                    let _ = write!(
                        out,
                        "<tr><td>{}</td><td>{}</td><td class=\"num\">{}</td><td><small>{}</small></td></tr>",
                        esc(&c.title),
                        c.score.map_or_else(String::new, |v| format!(
                            "<meter min=\"0\" max=\"100\" value=\"{v}\"></meter>"
                        )),
                        c.score
                            .map_or_else(|| "not judged".to_owned(), |v| v.to_string()),
                        c.why_not_higher
                            .as_deref()
                            .map(|w| format!("why not higher: {}", esc(w)))
                            .unwrap_or_default()
                    );
                }
                out.push_str("</tbody></table>");
            }
            if !r.channels.is_empty() {
                out.push_str("<h4>Channels</h4><table class=\"channels\"><thead><tr><th>Kind</th><th>Contact</th><th>Who answers</th><th>Clicks</th><th>Evidence</th></tr></thead><tbody>");
                for c in &r.channels {
                    let mut detail = String::new();
                    if let Some(p) = &c.phone {
                        let _ = write!(detail, " <small>{}</small>", esc(p.kind.as_str()));
                    }
                    if let Some(v) = &c.vendor {
                        let _ = write!(detail, " <small>{}</small>", esc(v));
                    }
                    for mark in super::channel_marks(c) {
                        let _ = write!(detail, " <small class=\"mark\">{}</small>", esc(&mark));
                    }
                    let evidence = c
                        .evidence
                        .first()
                        .map(|e| {
                            format!(
                                "{}<br><q>{}</q> <small>{}</small>",
                                link(&e.url, &e.url),
                                esc(&e.snippet),
                                esc(&e.source)
                            )
                        })
                        .unwrap_or_default();
                    let _ = write!(
                        out,
                        "<tr><td>{}</td><td>{}{detail}</td><td>{}</td><td class=\"num\">{}</td><td class=\"ev\">{evidence}</td></tr>",
                        kind_title(c.kind),
                        esc(&c.value),
                        mode_title(c.mode),
                        c.clicks.map(|n| n.to_string()).unwrap_or_default()
                    );
                }
                out.push_str("</tbody></table>");
            }
            if !r.third_parties.is_empty() {
                out.push_str("<h4>Other organisations' contacts</h4><p>Shown on the site, not counted as the company's.</p><table class=\"channels\"><thead><tr><th>Kind</th><th>Contact</th><th>Whose</th><th>Why</th><th>Evidence</th></tr></thead><tbody>");
                for c in &r.third_parties {
                    let whose = match &c.owner.name {
                        Some(name) => {
                            format!("{} <small>{}</small>", esc(name), esc(c.owner.kind.title()))
                        }
                        None => esc(c.owner.kind.title()),
                    };
                    let evidence = c
                        .evidence
                        .first()
                        .map(|e| format!("{}<br><q>{}</q>", link(&e.url, &e.url), esc(&e.snippet)))
                        .unwrap_or_default();
                    let _ = write!(
                        out,
                        "<tr><td>{}</td><td>{}</td><td>{whose}</td><td>{}</td><td class=\"ev\">{evidence}</td></tr>",
                        kind_title(c.kind),
                        esc(&c.value),
                        esc(c.owner.because.as_deref().unwrap_or(""))
                    );
                }
                out.push_str("</tbody></table>");
            }
            let open: Vec<_> = r
                .findings
                .iter()
                .filter(|f| {
                    matches!(
                        f.status,
                        FindingStatus::Fail | FindingStatus::Warn | FindingStatus::NeedsReview
                    )
                })
                .collect();
            let passed = r
                .findings
                .iter()
                .filter(|f| f.status == FindingStatus::Pass)
                .count();
            if !r.findings.is_empty() {
                let _ = write!(
                    out,
                    "<h4>Legal checks</h4><p>{passed} passed, {} to look at.</p>",
                    open.len()
                );
            } else if let Some(note) = &r.legal_note {
                let _ = write!(out, "<h4>Legal checks</h4><p>None: {}.</p>", esc(note));
            }
            if !open.is_empty() {
                out.push_str("<ul class=\"findings\">");
                for f in open {
                    let status = match f.status {
                        FindingStatus::Fail => "fail",
                        FindingStatus::Warn => "warn",
                        _ => "review",
                    };
                    let ev = f
                        .evidence
                        .first()
                        .map(|e| {
                            let quote = if e.snippet.trim().is_empty() {
                                String::new()
                            } else {
                                format!(" <q>{}</q>", esc(&e.snippet))
                            };
                            format!(" — {}{quote}", link(&e.url, &e.url))
                        })
                        .unwrap_or_default();
                    let _ = write!(
                        out,
                        "<li class=\"{status}\"><b>{status}</b> {} <small>({}, <code>{}</code>)</small><br>{}{ev}</li>",
                        esc(&f.title),
                        esc(&f.law),
                        esc(&f.rule),
                        esc(&f.message)
                    );
                }
                out.push_str("</ul>");
            }
            if !r.probes.is_empty() {
                out.push_str("<h4>Test contacts</h4><table class=\"probes\"><thead><tr><th>Channel</th><th>To</th><th>Outcome</th><th>First reply</th><th>First person</th></tr></thead><tbody>");
                for p in &r.probes {
                    let time = |secs: Option<i64>| {
                        secs.map_or_else(|| "–".to_owned(), crate::model::human_duration)
                    };
                    let _ = write!(
                        out,
                        "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                        esc(&p.channel),
                        esc(&p.target),
                        esc(&p
                            .delivery()
                            .map_or_else(|| p.outcome.clone(), |d| format!("{}, {d}", p.outcome))),
                        esc(&time(p.first_reply_secs)),
                        esc(&time(p.first_human_secs))
                    );
                }
                out.push_str("</tbody></table>");
            }
            if !r.crawl.errors.is_empty() {
                let _ = write!(
                    out,
                    "<h4>Crawl problems</h4><p>{} page(s) could not be read{}:</p><ul class=\"errors\">",
                    r.crawl.errors.len(),
                    if r.crawl.errors.len() > 10 {
                        "; the first 10"
                    } else {
                        ""
                    }
                );
                for e in r.crawl.errors.iter().take(10) {
                    let _ = write!(
                        out,
                        "<li>{}: {}</li>",
                        link(&e.url, &e.url),
                        esc(&e.message)
                    );
                }
                out.push_str("</ul>");
            }
        }
        out.push_str("<p><a href=\"#ranking-section\">↑ Ranking</a></p></section>");
    }
}

fn sha256_b64(text: &str) -> String {
    let digest = ring::digest::digest(&ring::digest::SHA256, text.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(digest.as_ref())
}

/// The page's one style sheet; admitted by its hash in the Content-Security-Policy.
const STYLE: &str = r#"
:root{--fg:#1b1f24;--muted:#5b6570;--line:#d8dde3;--bg:#fff;--accent:#0b5cad}
*{box-sizing:border-box}
body{font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:var(--bg);margin:0 auto;max-width:1200px;padding:0 1rem 2rem}
header{border-bottom:1px solid var(--line);margin-bottom:1rem}
h1{font-size:1.6rem;margin:1rem 0 .2rem}
h2{font-size:1.25rem;margin:2rem 0 .5rem;border-bottom:1px solid var(--line)}
h3{font-size:1.15rem}
.about,.note,small,.meta{color:var(--muted)}
nav a{margin-right:1rem;color:var(--accent)}
a{color:var(--accent)}
.figures{display:grid;grid-template-columns:repeat(auto-fill,minmax(160px,1fr));gap:.5rem}
.figures div{border:1px solid var(--line);border-radius:6px;padding:.5rem}
.figures dt{color:var(--muted);font-size:.85rem}
.figures dd{margin:0;font-size:1.4rem;font-weight:600}
.wide{overflow-x:auto}
table{border-collapse:collapse;width:100%;margin:.5rem 0}
th,td{border-bottom:1px solid var(--line);padding:.3rem .45rem;text-align:left;vertical-align:top}
thead th{background:#f3f5f7;position:sticky;top:0}
#ranking th,#ranking td{padding:.3rem .35rem}
#ranking th.cat{font-size:.78rem;font-weight:500;max-width:7rem}
th button{font:inherit;font-weight:600;background:none;border:0;padding:0;cursor:pointer;color:inherit;text-align:left}
th[aria-sort=ascending] button::after{content:" ▲"}
th[aria-sort=descending] button::after{content:" ▼"}
.num{text-align:right;font-variant-numeric:tabular-nums}
tr.failed td{color:var(--muted)}
.g{display:inline-block;min-width:1.6em;text-align:center;border-radius:4px;font-weight:700;background:#ccc}
.g-A{background:#1a7f37;color:#fff}.g-B{background:#57a639;color:#fff}.g-C{background:#d4a72c}.g-D{background:#e8792b}.g-E{background:#d1452b;color:#fff}.g-F{background:#8b1a1a;color:#fff}
.m{font-weight:700}.m-human{color:#1a7f37}.m-hybrid{color:#b7791f}.m-unknown{color:#5b6570}.m-bot{color:#c0392b;font-size:.8em}
#matrix td{text-align:center}#matrix td:first-child{text-align:left}
svg{max-width:680px;width:100%;height:auto}
svg rect{fill:var(--accent)}
svg .axis{stroke:var(--fg)}
svg text{font-size:12px;text-anchor:middle;fill:var(--fg)}
.ev{overflow-wrap:anywhere}.ev q{color:var(--muted)}
.findings li{margin:.4rem 0}
.findings .fail b{color:#c0392b}.findings .warn b{color:#b7791f}.findings .review b{color:#5b6570}
.site{display:none;border-top:2px solid var(--line);margin-top:1rem}
.site:target,#show-all:checked~.sites .site{display:block}
meter{width:10rem}
footer{margin-top:3rem;color:var(--muted);font-size:.85rem}
@media print{nav,#filter,th button::after{display:none}.site{display:block;break-before:page}thead th{position:static}}
"#;

/// Sorting and filtering; the page is complete without it. `?sort=KEY&dir=asc|desc&q=TEXT`
/// opens the ranking sorted and filtered, so a link can show a particular view.
const SCRIPT: &str = r#"
(function(){
"use strict";
function val(td){var v=td.getAttribute("data-v");return v===null?td.textContent.trim():v;}
function sortBy(table,col,dir){
  var body=table.tBodies[0],rows=Array.prototype.slice.call(body.rows),head=table.tHead.rows[0].cells;
  var text=head[col].getAttribute("data-type")==="text";
  rows.sort(function(a,b){
    if(!a.cells[col]||!b.cells[col]){return a.cells[col]?-1:(b.cells[col]?1:0);}
    var x=val(a.cells[col]),y=val(b.cells[col]);
    if(x===""||y===""){return x===y?0:(x===""?1:-1);}
    var c=text?x.localeCompare(y,undefined,{sensitivity:"base"}):parseFloat(x)-parseFloat(y);
    if(isNaN(c)){c=x.localeCompare(y);}
    return dir==="asc"?c:-c;
  });
  rows.forEach(function(r){body.appendChild(r);});
  for(var i=0;i<head.length;i++){head[i].setAttribute("aria-sort",i===col?(dir==="asc"?"ascending":"descending"):"none");}
  table.setAttribute("data-sorted",head[col].getAttribute("data-key")+" "+dir);
}
var tables=document.querySelectorAll("table.sortable");
Array.prototype.forEach.call(tables,function(t){
  Array.prototype.forEach.call(t.tHead.rows[0].cells,function(th,i){
    var b=document.createElement("button");b.type="button";
    while(th.firstChild){b.appendChild(th.firstChild);}
    th.appendChild(b);
    b.addEventListener("click",function(){
      var cur=th.getAttribute("aria-sort");
      var dir=cur==="ascending"?"desc":cur==="descending"?"asc":(th.getAttribute("data-dir")||"desc");
      sortBy(t,i,dir);
    });
  });
});
var q=new URLSearchParams(location.search),ranking=document.getElementById("ranking");
if(ranking&&q.get("sort")){
  var head=ranking.tHead.rows[0].cells;
  for(var i=0;i<head.length;i++){if(head[i].getAttribute("data-key")===q.get("sort")){sortBy(ranking,i,q.get("dir")==="asc"?"asc":"desc");}}
}
var filter=document.getElementById("filter");
if(filter&&ranking){
  var apply=function(){
    var s=filter.value.toLowerCase();
    Array.prototype.forEach.call(ranking.tBodies[0].rows,function(r){r.hidden=s!==""&&r.textContent.toLowerCase().indexOf(s)<0;});
  };
  filter.addEventListener("input",apply);
  if(q.get("q")){filter.value=q.get("q");apply();}
}
document.documentElement.setAttribute("data-ready","1");
})();
"#;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Channel, ChannelKind, Evidence};
    use crate::report::sample;

    fn hostile() -> Report {
        let mut r = sample::report();
        let evil = "\"><script>alert(1)</script><img src=x onerror=alert(2)>'";
        r.company = Some(Company {
            name: format!("Evil {evil}"),
            sector: Some(format!("retail{evil}")),
            ..Company::default()
        });
        r.channels.push(Channel {
            evidence: vec![Evidence {
                url: "javascript:alert(3)".into(),
                source: evil.into(),
                snippet: evil.into(),
            }],
            ..Channel::new(ChannelKind::Email, evil)
        });
        r.target.input = format!("https://evil.example/{evil}");
        r
    }

    #[test]
    fn site_text_is_escaped_and_never_becomes_markup_or_a_script_link() {
        let html = Html.render(&[hostile()]);
        assert!(!html.contains("<script>alert"), "raw script tag");
        assert!(!html.contains("<img src=x"), "raw img tag");
        assert!(!html.contains("href=\"javascript:"), "script link");
        assert!(html.contains("Evil &quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"));
        // The only script is the page's own, and the policy admits nothing else.
        assert_eq!(html.matches("<script").count(), 1);
        assert!(html.contains(&format!("script-src 'sha256-{}'", sha256_b64(SCRIPT))));
    }

    #[test]
    fn equal_scores_share_a_place_and_a_failed_row_sorts_as_empty() {
        let mut a = sample::report();
        a.score.total = Some(80);
        let mut b = a.clone();
        b.target.input = "https://b.example".into();
        let mut c = a.clone();
        c.score.total = Some(60);
        c.target.input = "https://c.example".into();
        let mut html = HtmlReport::new("t", "");
        for r in [&a, &b, &c] {
            html.add(r);
        }
        html.add_failed(&Company::default(), "https://d.example", "unreachable");
        let mut out = Vec::new();
        html.write_start(&mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        let places: Vec<&str> = text
            .match_indices("<tr class=\"")
            .map(|(i, _)| {
                let row = &text[i..];
                let v = row.find("<td data-v=\"").unwrap() + 12;
                &row[v..v + row[v..].find('"').unwrap()]
            })
            .collect();
        assert_eq!(places, ["1", "1", "3", "7"]);
        assert!(text.contains("class=\"reason\" data-v=\"\">not evaluated: unreachable"));
        // The second pass must meet the same sites in the same order.
        let mut out = Vec::new();
        assert!(html.write_site(0, Some(&c), &mut out).is_err());
        assert!(html.write_end(&mut out).is_err());
    }

    #[test]
    fn a_site_no_rule_pack_checked_counts_in_no_legal_share() {
        let mut checked = sample::report();
        checked.score.total = Some(70);
        checked.company = Some(Company {
            name: "Checked".into(),
            sector: Some("dental".into()),
            ..Company::default()
        });
        checked.findings.push(crate::model::Finding {
            rule: "uk.ccr.41.basic_rate".into(),
            jurisdiction: "uk".into(),
            status: FindingStatus::Pass,
            severity: crate::model::Severity::Warning,
            title: "No premium-rate number".into(),
            law: String::new(),
            message: String::new(),
            evidence: vec![],
            source: String::new(),
            why: String::new(),
            check: "phone_types_absent".into(),
        });
        let mut unchecked = checked.clone();
        unchecked.findings.clear();
        unchecked.legal_note = Some("no rule pack for US; choose one with --jurisdiction".into());
        unchecked.target.input = "https://us.example".into();
        unchecked.company = Some(Company {
            name: "Unchecked".into(),
            sector: Some("dental".into()),
            ..Company::default()
        });
        let html = Html.render(&[checked, unchecked]);
        let sector = &html[html.find("id=\"sector-table\"").unwrap()..];
        let row = &sector[sector.find("<td>dental</td>").unwrap()..];
        let row = &row[..row.find("</tr>").unwrap()];
        assert!(
            row.ends_with("<td data-v=\"0.0\" class=\"num\">0 %</td>"),
            "{row}"
        );
        assert!(html.contains("title=\"no rule pack applied\">–</td>"));
        assert!(html.contains("<h4>Legal checks</h4><p>None: no rule pack for US"));
    }

    #[test]
    fn ranking_sectors_matrix_and_chart_are_present() {
        let mut a = sample::report();
        a.evaluated = true;
        a.score.total = Some(72);
        a.score.grade = Some("B".into());
        a.company = Some(Company {
            name: "Acme".into(),
            sector: Some("retail".into()),
            ..Company::default()
        });
        let mut b = a.clone();
        b.score.total = Some(31);
        b.score.grade = Some("E".into());
        b.company = Some(Company {
            name: "Bravo".into(),
            sector: Some("retail".into()),
            ..Company::default()
        });
        let mut html = HtmlReport::new("Shops 2026", "run 1");
        html.add(&b);
        html.add(&a);
        html.add_failed(
            &Company {
                name: "Gone".into(),
                ..Company::default()
            },
            "https://gone.example",
            "unreachable",
        );
        let mut out = Vec::new();
        html.write_start(&mut out).unwrap();
        for (i, r) in [Some(&b), Some(&a), None].into_iter().enumerate() {
            html.write_site(i, r, &mut out).unwrap();
        }
        html.write_end(&mut out).unwrap();
        let out = String::from_utf8(out).unwrap();
        let acme = out.find("<a href=\"#site-1\">Acme").unwrap();
        let bravo = out.find("<a href=\"#site-0\">Bravo").unwrap();
        let gone = out.find("<a href=\"#site-2\">Gone").unwrap();
        assert!(acme < bravo && bravo < gone, "ranked by score, failed last");
        assert!(out.contains("<td>retail</td><td class=\"num\">2</td><td data-v=\"51.5\""));
        assert!(out.contains("data-count=\"1\"><title>70–79"));
        assert!(out.contains("data-count=\"1\"><title>30–39"));
        assert!(out.contains("<th data-key=\"phone\">Phone</th>"));
        assert!(out.contains("not evaluated: unreachable"));
        assert!(out.contains("id=\"site-2\""));
    }
}
