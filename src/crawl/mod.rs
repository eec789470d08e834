//! The crawl stage: from a target and limits to fetched pages with their clicks from the start
//! page. It knows nothing about channels or law; it hands each parsed page to an observer (the
//! extract stage) and keeps only what the report needs, so memory stays flat on large sites.
//!
//! Politeness is the default and lives here: robots.txt per origin (with Crawl-delay and
//! RFC 9309's "unreachable means disallowed"), one rate limiter per host name, a per-host
//! concurrency cap, bounded pages, depth, body size, redirects and time, and one honest user agent.

pub mod classify;
pub(crate) mod decode;
pub(crate) mod depth;
mod fetch;
pub mod frontier;
pub mod guard;
pub mod local;
pub mod render;
pub mod robots;
pub mod sitemap;
mod traps;

use std::collections::{HashMap, HashSet, VecDeque};
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures::stream::{FuturesUnordered, StreamExt};
use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use scraper::{ElementRef, Html, Selector};
use tokio::sync::{OnceCell, Semaphore};
use url::Url;

use crate::model::{
    CrawlError, ErrorKind, Limits, Page, PageKind, Render, RenderMode, RobotsStatus, SkipReason,
    Skipped, Truncation,
};
use crate::rules::PageCues;
use fetch::{Declined, Hop, HopError, HttpSettings, Source};
use frontier::Frontier;
use robots::Robots;

/// The user agent sent by default: product token, version and where to learn what we are.
pub const DEFAULT_USER_AGENT: &str = concat!(
    "reachaudit/",
    env!("CARGO_PKG_VERSION"),
    " (+https://github.com/reachaudit/reachaudit)"
);
/// Default page budget.
pub const DEFAULT_MAX_PAGES: u32 = 50;
/// Default depth limit in clicks.
pub const DEFAULT_MAX_DEPTH: u32 = 5;
/// Default requests per second per host.
pub const DEFAULT_RATE: f64 = 2.0;
/// Default per-request timeout.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);
/// Default body size limit.
pub const DEFAULT_MAX_BYTES: u64 = 5 * 1024 * 1024;
/// Default redirect limit per request.
pub const DEFAULT_MAX_REDIRECTS: u32 = 10;
/// Most pages rendered per site when `--render auto` picks them.
pub const DEFAULT_RENDER_MAX_PAGES: u32 = 8;
/// Longest time one page may take in the browser.
pub const DEFAULT_RENDER_TIMEOUT: Duration = Duration::from_secs(20);
/// Base URL given to pages of a local directory, whose root-relative links need an origin.
pub const DEFAULT_LOCAL_BASE: &str = "https://site.invalid/";

/// Longest Crawl-delay obeyed by default.
pub const DEFAULT_MAX_CRAWL_DELAY: Duration = Duration::from_secs(30);
/// Longest time extraction spends on one page: ordinary pages take milliseconds, a hostile
/// 5 MiB page a few seconds; past this the page is reported cut short and the crawl goes on.
pub const DEFAULT_PAGE_BUDGET: Duration = Duration::from_secs(5);
/// Most sitemap files read per crawl (indexes included).
const MAX_SITEMAP_FILES: usize = 10;
/// 429 or 503 answers in a row after which a host's remaining pages are not requested.
const BUSY_IN_A_ROW: u32 = 3;
/// The pace a busy host is slowed to at least (when the crawl ran faster or without a limit).
const MIN_BACKOFF: Duration = Duration::from_secs(1);
/// Retry-After waits of one crawl, in total, as a multiple of `max_crawl_delay`: a site that asks
/// for the cap on every page must not hold a batch worker for pages × cap.
const RETRY_WAIT_BUDGET: u32 = 2;
/// Most entries listed in `crawl.skipped` per reason; the rest are counted in a message.
const MAX_SKIPPED_LISTED: usize = 100;
/// Link texts kept per target to decide its page kind.
const MAX_ANCHOR_TEXTS: usize = 8;

/// File extensions that are never HTML; links to them are not fetched.
const NON_HTML_EXTENSIONS: &[&str] = &[
    "pdf", "jpg", "jpeg", "png", "gif", "webp", "svg", "ico", "bmp", "tif", "tiff", "mp3", "mp4",
    "m4a", "wav", "avi", "mov", "webm", "ogg", "zip", "gz", "tgz", "rar", "7z", "exe", "dmg",
    "msi", "doc", "docx", "xls", "xlsx", "ppt", "pptx", "odt", "ods", "csv", "css", "js", "json",
    "woff", "woff2", "ttf", "eot", "ics", "vcf", "apk",
];

/// What to crawl.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Start {
    /// A site on the web.
    Url(Url),
    /// A directory laid out like a static site (`index.html` as start).
    Directory(PathBuf),
    /// A single HTML file: only that page is read.
    File(PathBuf),
}

/// Limits and manners of one crawl. Built once by the CLI; read-only afterwards.
#[derive(Debug, Clone)]
pub struct CrawlOptions {
    /// Most pages requested.
    pub max_pages: u32,
    /// Most clicks from the start page.
    pub max_depth: u32,
    /// Requests per second per host; `None` = no limit (benchmarks, own servers). Crawl-delay
    /// can only make it slower.
    pub rate: Option<f64>,
    /// Requests in flight per host.
    pub host_concurrency: usize,
    /// Per-request timeout (connect, headers and body).
    pub timeout: Duration,
    /// Largest body read; longer bodies are truncated and noted.
    pub max_bytes: u64,
    /// Most redirects followed per request.
    pub max_redirects: u32,
    /// The User-Agent header.
    pub user_agent: String,
    /// Allow loopback, private and link-local addresses.
    pub allow_private: bool,
    /// Allow them for the start URL's own host and port only: everything the site leads to
    /// (redirects, other ports, other names) is still checked. For a library user auditing one
    /// intranet host, and for tests that serve a site on loopback and check the guard.
    pub private_start: bool,
    /// Ignore robots.txt (for auditing one's own site only).
    pub ignore_robots: bool,
    /// Fixed name → address mappings, like curl's `--resolve` (still subject to the SSRF guard).
    pub resolve: HashMap<String, Vec<IpAddr>>,
    /// Origin for pages of a local directory or file.
    pub base_url: Option<Url>,
    /// Resolve only the names in `resolve`; every other name fails without a DNS query (tests,
    /// and air-gapped runs whose rendered pages name third-party hosts).
    pub only_resolved: bool,
    /// When pages are rendered in the browser.
    pub render: RenderMode,
    /// The browser, started once by the caller; `None` renders nothing.
    pub renderer: Option<Arc<render::Renderer>>,
    /// What the report says about rendering when no browser could be used.
    pub render_note: Option<String>,
    /// Most pages rendered per site in `auto` mode.
    pub render_max_pages: u32,
    /// Longest time one rendering may take.
    pub render_timeout: Duration,
    /// End the crawl once the contact and imprint pages are fetched and no link left in the
    /// queue carries a contact, legal, help or service cue (`--stop-when-found`).
    pub stop_when_found: bool,
    /// Longest robots.txt `Crawl-delay` obeyed; a longer one is capped and the cap reported (a
    /// delay of a day would stall a batch for weeks).
    pub max_crawl_delay: Duration,
    /// Longest time the observer may spend reading one page (`--page-budget`); `None` = no
    /// limit (benchmarks).
    pub page_budget: Option<Duration>,
    /// A progress line to keep current (pages fetched, queue, current URL); the CLI sets one
    /// only when standard error is a terminal.
    pub progress: Option<indicatif::ProgressBar>,
}

/// What tells the crawler a page needs a browser, and what to ask the browser afterwards.
#[derive(Debug, Clone, Default)]
pub struct RenderHints {
    /// Vendor globals (`Tawk_API`, `$zoho.salesiq`) to look for after rendering.
    pub globals: Vec<String>,
    /// Source snippets of tag managers and loaders that add widgets at runtime (lower-case).
    pub loaders: Vec<String>,
    /// Source snippets of app shells that draw everything with JavaScript (lower-case).
    pub shells: Vec<String>,
}

impl Default for CrawlOptions {
    fn default() -> Self {
        Self {
            max_pages: DEFAULT_MAX_PAGES,
            max_depth: DEFAULT_MAX_DEPTH,
            rate: Some(DEFAULT_RATE),
            host_concurrency: 1,
            timeout: DEFAULT_TIMEOUT,
            max_bytes: DEFAULT_MAX_BYTES,
            max_redirects: DEFAULT_MAX_REDIRECTS,
            user_agent: DEFAULT_USER_AGENT.to_owned(),
            allow_private: false,
            private_start: false,
            ignore_robots: false,
            resolve: HashMap::new(),
            base_url: None,
            only_resolved: false,
            render: RenderMode::Never,
            renderer: None,
            render_note: None,
            render_max_pages: DEFAULT_RENDER_MAX_PAGES,
            render_timeout: DEFAULT_RENDER_TIMEOUT,
            stop_when_found: false,
            max_crawl_delay: DEFAULT_MAX_CRAWL_DELAY,
            page_budget: Some(DEFAULT_PAGE_BUDGET),
            progress: None,
        }
    }
}

/// One parsed page, as the observer sees it.
#[derive(Debug)]
pub struct PageView<'a> {
    /// The final URL.
    pub url: &'a Url,
    /// The parsed document.
    pub document: &'a Html,
    /// The `lang` attribute of `<html>`, if any.
    pub lang: Option<&'a str>,
    /// The decoded source, for telling what a page writes plainly from what it hides.
    pub html: &'a str,
    /// When the browser drew the page: `document` and `html` are what it showed, and this holds
    /// the server's own HTML, the requests the page made and the globals its scripts defined.
    pub rendered: Option<RenderedView<'a>>,
}

/// What a rendering adds to a page view.
#[derive(Debug, Clone, Copy)]
pub struct RenderedView<'a> {
    /// The HTML the server sent, parsed, to tell what only the browser showed.
    pub server_document: &'a Html,
    /// The server's HTML as text.
    pub server_html: &'a str,
    /// Every request the page attempted.
    pub requests: &'a [render::Request],
    /// Vendor globals the page's scripts defined.
    pub globals: &'a [String],
}

/// What the crawl produced.
#[derive(Debug, Clone)]
pub struct CrawlOutput {
    /// The first URL requested.
    pub start_url: Url,
    /// The scope: registrable domain (or host for IPs and local names).
    pub site: String,
    /// Pages in fetch order, with clicks and kinds.
    pub pages: Vec<Page>,
    /// Requests sent.
    pub requests: u32,
    /// How robots.txt was treated.
    pub robots: RobotsStatus,
    /// Failures.
    pub errors: Vec<CrawlError>,
    /// URLs not fetched on purpose.
    pub skipped: Vec<Skipped>,
    /// Limits in force.
    pub limits: Limits,
    /// Wall-clock duration.
    pub duration: Duration,
    /// Why not a single page could be read, if so.
    pub failure: Option<String>,
    /// How a browser was used.
    pub render: crate::model::Render,
    /// URL families held back as traps.
    pub traps: Vec<crate::model::TrapFamily>,
    /// Why the crawl ended before its budget (`--stop-when-found`).
    pub stopped_early: Option<String>,
}

/// A crawl that could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CrawlSetupError {
    /// The HTTP client could not be built (TLS roots, resolver).
    #[error("cannot set up the HTTP client: {0}")]
    Client(#[from] reqwest::Error),
    /// The local directory or file cannot be read.
    #[error("{}: {source}", path.display())]
    Local {
        /// The path.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
}

/// The scope key of a URL: its registrable domain, or the host (with port) for IP addresses and
/// names without a public suffix. Scheme and `www.` do not matter: http→https and apex→www
/// redirects stay on the site.
#[must_use]
pub fn site_of(url: &Url) -> Option<String> {
    match url.host()? {
        url::Host::Domain(domain) => {
            let domain = domain.trim_end_matches('.').to_ascii_lowercase();
            match psl::domain_str(&domain) {
                Some(registrable) if domain.contains('.') => Some(registrable.to_owned()),
                _ => Some(with_port(&domain, url)),
            }
        }
        host => Some(with_port(&host.to_string(), url)),
    }
}

fn with_port(host: &str, url: &Url) -> String {
    match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_owned(),
    }
}

/// Crawls a target, calling `observe` with every parsed HTML page; `observe` returns `true` when
/// it stopped reading the page at the page budget, and the page is reported cut short.
///
/// # Errors
/// Only when the crawl cannot start at all; everything the site does wrong is in the output.
pub async fn crawl(
    start: &Start,
    options: &CrawlOptions,
    cues: &PageCues,
    hints: &RenderHints,
    observe: &mut dyn FnMut(&PageView<'_>) -> bool,
) -> Result<CrawlOutput, CrawlSetupError> {
    let started = Instant::now();
    let base = options
        .base_url
        .clone()
        .unwrap_or_else(|| Url::parse(DEFAULT_LOCAL_BASE).expect("valid constant"));
    let (source, start_url, single_page) = match start {
        Start::Url(url) => {
            let settings = HttpSettings {
                user_agent: &options.user_agent,
                timeout: options.timeout,
                allow_private: options.allow_private,
                private_start: options.private_start.then_some(url),
                resolve: &options.resolve,
                only_resolved: options.only_resolved,
            };
            (Source::http(&settings)?, url.clone(), false)
        }
        Start::Directory(dir) => {
            let site = local::StaticSite::open(dir).map_err(|source| CrawlSetupError::Local {
                path: dir.clone(),
                source,
            })?;
            let origin = base.origin().ascii_serialization();
            (Source::Local { site, origin }, base.clone(), false)
        }
        Start::File(file) => {
            let dir = file
                .parent()
                .map_or_else(|| PathBuf::from("."), PathBuf::from);
            let site = local::StaticSite::open(&dir).map_err(|source| CrawlSetupError::Local {
                path: dir.clone(),
                source,
            })?;
            let name = file
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let url = base.join(&name).unwrap_or_else(|_| base.clone());
            let origin = base.origin().ascii_serialization();
            (Source::Local { site, origin }, url, true)
        }
    };
    let ignore_robots = options.ignore_robots || single_page;
    let crawler = Crawler {
        options,
        cues,
        source,
        ignore_robots,
        origins: Mutex::new(HashMap::new()),
        hosts: Mutex::new(HashMap::new()),
        frontier: Mutex::new(Frontier::default()),
        traps: Mutex::new(traps::Traps::new(&cues.crawl)),
        notes: Mutex::new(Vec::new()),
        requests: AtomicU32::new(0),
        robots_found: AtomicU32::new(0),
        site: Mutex::new(site_of(&start_url).unwrap_or_default()),
        used_rate: Mutex::new(options.rate),
        retry_waited: Mutex::new(Duration::ZERO),
        hints,
        rendered: AtomicU32::new(0),
        render_failures: Mutex::new(Vec::new()),
        base_origin: base.origin().ascii_serialization(),
    };
    let mut state = State::default();
    crawler
        .run(&start_url, single_page, &mut state, observe)
        .await;
    Ok(crawler.finish(start_url, state, started))
}

/// Per-origin robots.txt, fetched once.
#[derive(Debug, Default)]
struct Origin {
    robots: OnceCell<Robots>,
}

/// Per-host manners: the pace (slowed by Crawl-delay and by busy answers) and a concurrency cap.
struct Host {
    pace: Mutex<Pace>,
    slots: Semaphore,
}

#[derive(Default)]
struct Pace {
    /// Time between requests; `None` = no limit.
    period: Option<Duration>,
    limiter: Option<Arc<DefaultDirectRateLimiter>>,
    /// No request before this: an honoured Retry-After holds every request to the host, not only
    /// the one retried.
    not_before: Option<tokio::time::Instant>,
    /// 429 and 503 answers to page requests in a row.
    busy: u32,
    /// [`BUSY_IN_A_ROW`] were reached: no further page is asked for, whatever comes back from
    /// requests already under way.
    gave_up: bool,
}

impl Pace {
    fn set_period(&mut self, period: Option<Duration>) {
        self.period = period;
        self.limiter = period.and_then(limiter);
    }

    /// Holds every request to the host for `wait` from now (or longer, if already held).
    fn pause(&mut self, wait: Duration) {
        let until = tokio::time::Instant::now() + wait;
        self.not_before = Some(self.not_before.map_or(until, |t| t.max(until)));
    }
}

impl Host {
    /// Waits for this host's turn: the end of a Retry-After pause, then the rate limiter. A
    /// pause or a slower pace set while waiting (another request's 429) is waited for too.
    async fn turn(&self) {
        loop {
            let (not_before, limiter) = {
                let pace = self.pace.lock().expect("lock");
                (pace.not_before, pace.limiter.clone())
            };
            if let Some(at) = not_before.filter(|at| *at > tokio::time::Instant::now()) {
                tokio::time::sleep_until(at).await;
                continue;
            }
            let Some(limiter) = limiter else {
                return;
            };
            limiter.until_ready().await;
            let pace = self.pace.lock().expect("lock");
            let moved = pace
                .not_before
                .is_some_and(|at| at > tokio::time::Instant::now());
            let replaced = !pace
                .limiter
                .as_ref()
                .is_some_and(|now| Arc::ptr_eq(now, &limiter));
            if !moved && !replaced {
                return;
            }
        }
    }

    fn given_up(&self) -> bool {
        self.pace.lock().expect("lock").gave_up
    }
}

fn limiter(period: Duration) -> Option<Arc<DefaultDirectRateLimiter>> {
    Quota::with_period(period)
        .map(|q| Arc::new(RateLimiter::direct(q.allow_burst(NonZeroU32::MIN))))
}

/// Everything the main loop learns, turned into the output at the end.
#[derive(Default)]
struct State {
    pages: Vec<Page>,
    /// Final URL → index into `pages`.
    page_index: HashMap<String, usize>,
    /// Requested URL → where it redirected.
    redirects: HashMap<String, String>,
    /// Page (final URL) → link targets (as written, resolved) with the link's text.
    links: HashMap<String, Vec<(String, String)>>,
    /// Target → texts of links to it.
    anchors: HashMap<String, Vec<String>>,
    /// Page → (title, h1) for classification at the end.
    headings: HashMap<String, (Option<String>, Option<String>)>,
    errors: Vec<CrawlError>,
    skipped: Vec<Skipped>,
    skipped_seen: HashSet<String>,
    too_deep: Vec<String>,
    start_final: Option<String>,
    robots_found: bool,
    /// Page fetches started (the `max_pages` budget).
    budget_used: u32,
    /// Trap URLs listed in `skipped` so far (the families count the rest).
    traps_listed: usize,
    /// Pages of hosts left alone as busy listed in `skipped` so far.
    busy_listed: usize,
    /// Kinds of the pages fetched so far, judged by URL and title (for `--stop-when-found`).
    kinds_seen: HashSet<PageKind>,
    /// Why the crawl stopped before its budget.
    stopped_early: Option<String>,
}

/// The result of one page task.
enum Outcome {
    Page {
        final_url: Url,
        chain: Vec<Url>,
        hop: Hop,
        depth: u32,
        rendered: Option<Box<render::Rendered>>,
    },
    /// Redirected to a URL already fetched or being fetched.
    Joined {
        chain: Vec<Url>,
        target: Url,
    },
    Skipped(Url, SkipReason),
    Failed {
        chain: Vec<Url>,
        url: Url,
        error: HopError,
        status: Option<u16>,
    },
}

struct Crawler<'a> {
    options: &'a CrawlOptions,
    cues: &'a PageCues,
    source: Source,
    ignore_robots: bool,
    origins: Mutex<HashMap<String, Arc<Origin>>>,
    hosts: Mutex<HashMap<String, Arc<Host>>>,
    frontier: Mutex<Frontier>,
    traps: Mutex<traps::Traps<'a>>,
    /// Problems noted outside a page's own fetch (a capped Crawl-delay).
    notes: Mutex<Vec<CrawlError>>,
    requests: AtomicU32,
    robots_found: AtomicU32,
    site: Mutex<String>,
    used_rate: Mutex<Option<f64>>,
    /// Time spent on Retry-After waits so far.
    retry_waited: Mutex<Duration>,
    hints: &'a RenderHints,
    /// Renderings started (the `auto` budget).
    rendered: AtomicU32,
    render_failures: Mutex<Vec<(String, String)>>,
    /// The origin local pages are served under; a local rendering fetches nothing else.
    base_origin: String,
}

impl Crawler<'_> {
    fn in_scope(&self, url: &Url) -> bool {
        let site = self.site.lock().expect("lock");
        matches!(url.scheme(), "http" | "https") && site_of(url).as_deref() == Some(site.as_str())
    }

    fn host(&self, url: &Url) -> Arc<Host> {
        let key = url.host_str().unwrap_or("").to_owned();
        let mut hosts = self.hosts.lock().expect("lock");
        hosts
            .entry(key)
            .or_insert_with(|| {
                let period = self
                    .options
                    .rate
                    .filter(|_| !self.source.is_local())
                    .map(|r| Duration::from_secs_f64(1.0 / r));
                let mut pace = Pace::default();
                pace.set_period(period);
                Arc::new(Host {
                    pace: Mutex::new(pace),
                    slots: Semaphore::new(self.options.host_concurrency.max(1)),
                })
            })
            .clone()
    }

    /// Sends one request through the host's limiter and concurrency cap.
    async fn request(
        &self,
        url: &Url,
        want_body: impl Fn(Option<&str>) -> bool,
    ) -> Result<Hop, HopError> {
        self.send(url, want_body, false)
            .await
            .expect("only page requests are held back")
    }

    /// [`Self::request`], but a page request (`page`) to a host given up as busy while the
    /// request waited for its turn is not sent (`None`).
    async fn send(
        &self,
        url: &Url,
        want_body: impl Fn(Option<&str>) -> bool,
        page: bool,
    ) -> Option<Result<Hop, HopError>> {
        let host = self.host(url);
        // Before waiting for a turn, so a host's queue drains at once when it is left alone.
        if page && host.given_up() {
            return None;
        }
        let _slot = host.slots.acquire().await.expect("semaphore never closed");
        host.turn().await;
        if page && host.given_up() {
            return None;
        }
        let seq = self.requests.fetch_add(1, Ordering::Relaxed) + 1;
        let max = usize::try_from(self.options.max_bytes).unwrap_or(usize::MAX);
        Some(self.source.get(url, max, want_body).await.map(|mut hop| {
            hop.seq = seq;
            hop
        }))
    }

    /// The robots.txt rules for a URL's origin, fetched on first use.
    async fn robots(&self, url: &Url) -> Arc<Origin> {
        let key = url.origin().ascii_serialization();
        let origin = self
            .origins
            .lock()
            .expect("lock")
            .entry(key)
            .or_default()
            .clone();
        origin
            .robots
            .get_or_init(|| async {
                if self.ignore_robots {
                    return Robots::Ignored;
                }
                let robots = self.fetch_robots(url).await;
                if let Robots::Found(_) = robots {
                    self.robots_found.fetch_add(1, Ordering::Relaxed);
                }
                if let Some(delay) = robots.crawl_delay() {
                    self.apply_crawl_delay(url, delay);
                }
                robots
            })
            .await;
        origin
    }

    async fn fetch_robots(&self, url: &Url) -> Robots {
        let Ok(mut current) = url.join("/robots.txt") else {
            return Robots::Missing;
        };
        // RFC 9309 §2.3.1.2: follow at least five redirects.
        for _ in 0..5 {
            match self.request(&current, |_| true).await {
                Ok(hop) if (300..400).contains(&hop.status) => {
                    match hop.location.and_then(|l| current.join(&l).ok()) {
                        Some(next) if next != current => current = next,
                        _ => return Robots::Missing,
                    }
                }
                Ok(hop) => return Robots::from_response(hop.status, &hop.body),
                // The host itself is unreachable: the page request would fail the same way, so
                // report the cause, not the robots.txt consequence.
                Err(e) => return Robots::Unavailable(e.kind, e.message),
            }
        }
        Robots::Missing
    }

    /// Slows a host down to its Crawl-delay if that is slower than our rate.
    fn apply_crawl_delay(&self, url: &Url, delay: f64) {
        if self.source.is_local() {
            return;
        }
        let cap = self.options.max_crawl_delay.as_secs_f64();
        let delay = if delay > cap {
            self.notes.lock().expect("lock").push(CrawlError {
                url: url.join("/robots.txt").map_or_else(|_| url.to_string(), |u| u.to_string()),
                kind: ErrorKind::CrawlDelayCapped,
                message: format!(
                    "robots.txt asks for a Crawl-delay of {delay} s; capped at {cap} s, so the crawl ends in reasonable time"
                ),
                status: None,
            });
            cap
        } else {
            delay
        };
        let ours = self.options.rate.map_or(0.0, |r| 1.0 / r);
        if delay <= ours {
            return;
        }
        let host = self.host(url);
        let mut pace = host.pace.lock().expect("lock");
        pace.set_period(Some(Duration::from_secs_f64(delay)));
        if let Some(l) = &pace.limiter {
            // The robots.txt request just used this host's turn.
            let _ = l.check();
        }
        self.note_rate(1.0 / delay);
    }

    /// Keeps the slowest rate used, for the report's limits.
    fn note_rate(&self, rate: f64) {
        let mut used = self.used_rate.lock().expect("lock");
        *used = Some(used.map_or(rate, |r| r.min(rate)));
    }

    /// A page answered 429 or 503: the host is asked half as often from now on (at least
    /// [`MIN_BACKOFF`] apart, at most `--max-crawl-delay`), as polite crawlers back off, and after
    /// [`BUSY_IN_A_ROW`] such answers in a row it is not asked for further pages.
    fn slow_down(&self, url: &Url, status: u16) {
        if self.source.is_local() {
            return;
        }
        let name = url.host_str().unwrap_or("the host");
        let host = self.host(url);
        let mut pace = host.pace.lock().expect("lock");
        if pace.gave_up {
            return;
        }
        pace.busy += 1;
        let message = if pace.busy >= BUSY_IN_A_ROW {
            pace.gave_up = true;
            format!(
                "{name} answered HTTP {status} {BUSY_IN_A_ROW} times in a row (a retry counts), even after slowing down: its remaining pages are not requested"
            )
        } else {
            let cap = self.options.max_crawl_delay;
            let slower = pace
                .period
                .map_or(MIN_BACKOFF, |p| (p * 2).max(MIN_BACKOFF))
                .min(cap);
            if slower.is_zero() || pace.period.is_some_and(|p| slower <= p) {
                return;
            }
            pace.set_period(Some(slower));
            if let Some(l) = &pace.limiter {
                // The busy answer used this turn: the next request waits a whole new period.
                let _ = l.check();
            }
            self.note_rate(1.0 / slower.as_secs_f64());
            format!(
                "{name} answered HTTP {status}: from now on it is asked at most once every {} s",
                slower.as_secs_f64()
            )
        };
        self.notes.lock().expect("lock").push(CrawlError {
            url: url.to_string(),
            kind: ErrorKind::SlowedDown,
            message,
            status: Some(status),
        });
    }

    /// Whether the crawl may wait `wait` for a Retry-After: each wait at most
    /// `--max-crawl-delay`, all of them together at most [`RETRY_WAIT_BUDGET`] times that.
    fn may_wait(&self, wait: Duration) -> Result<(), Declined> {
        let cap = self.options.max_crawl_delay;
        let mut waited = self.retry_waited.lock().expect("lock");
        if wait > cap {
            return Err(Declined::TooLong);
        }
        if *waited + wait > cap * RETRY_WAIT_BUDGET {
            return Err(Declined::Budget);
        }
        *waited += wait;
        Ok(())
    }

    /// Fetches one page, following redirects hop by hop with scope, robots and loop checks.
    async fn fetch_page(&self, url: Url, depth: u32, priority: u32, is_start: bool) -> Outcome {
        let mut current = url.clone();
        let mut chain: Vec<Url> = Vec::new();
        loop {
            let origin = self.robots(&current).await;
            let robots = origin.robots.get().expect("initialised above");
            if !robots.allows(&current) {
                if let Robots::Unavailable(kind, why) = robots {
                    return Outcome::Failed {
                        chain,
                        url: current,
                        error: HopError {
                            kind: *kind,
                            message: why.clone(),
                        },
                        status: None,
                    };
                }
                return Outcome::Skipped(current, SkipReason::RobotsTxt);
            }
            let host = self.host(&current);
            let Some(mut answer) = self.send(&current, is_html_type, true).await else {
                return Outcome::Skipped(current, SkipReason::HostBusy);
            };
            // "429 Too Many Requests" or "503": slow the host down; with a Retry-After the caps
            // allow, hold the host that long and ask once more (a longer wait is reported, not
            // waited for).
            if let Ok(hop) = &mut answer
                && matches!(hop.status, 429 | 503)
            {
                self.slow_down(&current, hop.status);
                if let Some(wait) = hop.retry_after {
                    let may = if host.given_up() {
                        Err(Declined::HostBusy)
                    } else {
                        self.may_wait(wait)
                    };
                    hop.declined = may.err();
                    if may.is_ok() {
                        host.pace.lock().expect("lock").pause(wait);
                        match self.send(&current, is_html_type, true).await {
                            Some(again) => {
                                answer = again.map(|mut again| {
                                    again.waited = Some(wait);
                                    again
                                });
                                if let Ok(hop) = &answer
                                    && matches!(hop.status, 429 | 503)
                                {
                                    self.slow_down(&current, hop.status);
                                }
                            }
                            // Another page's answer left the host alone while this one waited.
                            None => hop.declined = Some(Declined::HostBusy),
                        }
                    }
                }
            }
            if let Ok(hop) = &answer
                && !matches!(hop.status, 429 | 503)
            {
                let mut pace = host.pace.lock().expect("lock");
                if !pace.gave_up {
                    pace.busy = 0;
                }
            }
            let hop = match answer {
                Ok(hop) => hop,
                Err(error) => {
                    return Outcome::Failed {
                        chain,
                        url: current,
                        error,
                        status: None,
                    };
                }
            };
            if !(300..400).contains(&hop.status) || hop.location.is_none() {
                let rendered = if self.wants_rendering(&hop, priority, is_start) {
                    self.render(&current, &hop).await.map(Box::new)
                } else {
                    None
                };
                return Outcome::Page {
                    final_url: current,
                    chain,
                    hop,
                    depth,
                    rendered,
                };
            }
            let location = hop.location.as_deref().unwrap_or_default();
            let Ok(mut next) = current.join(location) else {
                return Outcome::Failed {
                    chain,
                    url: current,
                    error: HopError {
                        kind: ErrorKind::HttpStatus,
                        message: format!("redirect to an invalid URL: {location:?}"),
                    },
                    status: Some(hop.status),
                };
            };
            next.set_fragment(None);
            if next == current || chain.contains(&next) || next == url {
                return Outcome::Failed {
                    chain,
                    url: url.clone(),
                    error: HopError {
                        kind: ErrorKind::RedirectLoop,
                        message: format!("redirects come back to {next}"),
                    },
                    status: Some(hop.status),
                };
            }
            if u32::try_from(chain.len()).unwrap_or(u32::MAX) >= self.options.max_redirects {
                return Outcome::Failed {
                    chain,
                    url: url.clone(),
                    error: HopError {
                        kind: ErrorKind::TooManyRedirects,
                        message: format!(
                            "more than {} redirects (last: {next})",
                            self.options.max_redirects
                        ),
                    },
                    status: Some(hop.status),
                };
            }
            if is_start {
                // The start page may move the whole site (example.de → example-group.com);
                // the site is wherever the company's start page lives.
                if let Some(site) = site_of(&next) {
                    *self.site.lock().expect("lock") = site;
                }
            } else if !self.in_scope(&next) {
                return Outcome::Failed {
                    chain,
                    url: current,
                    error: HopError {
                        kind: ErrorKind::OffSiteRedirect,
                        message: format!("redirects off the site to {next}"),
                    },
                    status: Some(hop.status),
                };
            }
            chain.push(current);
            current = next;
            if !self.frontier.lock().expect("lock").claim(&current) {
                return Outcome::Joined {
                    chain,
                    target: current,
                };
            }
        }
    }

    async fn run(
        &self,
        start_url: &Url,
        single_page: bool,
        state: &mut State,
        observe: &mut dyn FnMut(&PageView<'_>) -> bool,
    ) {
        self.frontier.lock().expect("lock").claim(start_url);
        state.budget_used = 1;
        let outcome = self.fetch_page(start_url.clone(), 0, u32::MAX, true).await;
        self.settle(outcome, state, observe);
        if single_page {
            return;
        }
        if let Some(home) = state.start_final.clone()
            && let Ok(home) = Url::parse(&home)
        {
            self.seed_sitemaps(&home, state).await;
        }

        let max_in_flight = self.options.host_concurrency.max(1) * 2;
        let mut in_flight = FuturesUnordered::new();
        loop {
            while in_flight.len() < max_in_flight && state.budget_used < self.options.max_pages {
                if self.options.stop_when_found && state.stopped_early.is_none() {
                    state.stopped_early = self.found_enough(state);
                }
                if state.stopped_early.is_some() {
                    break;
                }
                let Some(entry) = self.frontier.lock().expect("lock").pop() else {
                    break;
                };
                if !self
                    .traps
                    .lock()
                    .expect("lock")
                    .admit(&entry.url, entry.strong)
                {
                    state.skip_trap(entry.url.as_str());
                    continue;
                }
                state.budget_used += 1;
                in_flight.push(self.fetch_page(entry.url, entry.depth, entry.priority, false));
            }
            let Some(outcome) = in_flight.next().await else {
                break;
            };
            if let Outcome::Skipped(..) | Outcome::Joined { .. } = outcome {
                // The budget counts pages. A robots.txt refusal fetches nothing, and a redirect
                // that lands on a page already claimed yields no page of its own.
                state.budget_used -= 1;
            }
            if let (Some(bar), Outcome::Page { final_url, .. }) = (&self.options.progress, &outcome)
            {
                bar.set_message(format!(
                    "{} pages of at most {}, {} queued · {}",
                    state.pages.len() + 1,
                    self.options.max_pages,
                    self.frontier.lock().expect("lock").waiting(),
                    crate::report::clean(final_url.as_str())
                ));
            }
            self.settle(outcome, state, observe);
        }
        state.robots_found = self.robots_found.load(Ordering::Relaxed) > 0;

        let rest = self.frontier.lock().expect("lock").drain();
        let (held, rest): (Vec<_>, Vec<_>) = {
            let traps = self.traps.lock().expect("lock");
            rest.into_iter()
                .partition(|e| !e.strong && traps.is_trap(&e.url))
        };
        {
            let mut traps = self.traps.lock().expect("lock");
            for entry in &held {
                traps.hold_back(&entry.url);
                state.skip_trap(entry.url.as_str());
            }
        }
        let left = rest.len();
        let reason = if state.stopped_early.is_some() {
            SkipReason::StoppedEarly
        } else {
            SkipReason::MaxPages
        };
        for entry in rest.into_iter().take(MAX_SKIPPED_LISTED) {
            state.skip(entry.url.as_str(), reason);
        }
        if left > MAX_SKIPPED_LISTED && state.stopped_early.is_none() {
            state.errors.push(CrawlError {
                url: start_url.to_string(),
                kind: ErrorKind::Truncated,
                message: format!(
                    "--max-pages {} reached with {left} pages unvisited; {MAX_SKIPPED_LISTED} are listed in crawl.skipped",
                    self.options.max_pages
                ),
                status: None,
            });
        }
        let deep: Vec<String> = std::mem::take(&mut state.too_deep);
        for url in deep.iter().take(MAX_SKIPPED_LISTED) {
            if !state.page_index.contains_key(url) {
                state.skip(url, SkipReason::MaxDepth);
            }
        }
    }

    /// `--stop-when-found`: the contact and imprint pages are in, and nothing left in the queue
    /// carries a cue (contact, legal, help, service); the reason, or `None` to go on.
    fn found_enough(&self, state: &State) -> Option<String> {
        let wanted = [PageKind::Contact, PageKind::Imprint];
        if !wanted.iter().all(|k| state.kinds_seen.contains(k)) {
            return None;
        }
        let best = self.frontier.lock().expect("lock").best_waiting();
        let c = &self.cues.crawl;
        // Only plain content links left: no cue, no header, menu or footer link.
        let cue_left = best.is_some_and(|p| p > c.base);
        (!cue_left).then(|| {
            format!(
                "--stop-when-found: contact and imprint pages fetched after {} pages, and no link left in the queue promises contact details",
                state.budget_used
            )
        })
    }

    /// Reads robots.txt `Sitemap:` lines (or `/sitemap.xml`) and queues the pages they list.
    async fn seed_sitemaps(&self, home: &Url, state: &mut State) {
        let origin = self.robots(home).await;
        let robots = origin.robots.get().expect("initialised");
        let declared: Vec<Url> = robots
            .sitemaps()
            .iter()
            .filter_map(|s| home.join(s).ok())
            .collect();
        let guessed = declared.is_empty();
        let mut queue: VecDeque<Url> = if guessed {
            home.join("/sitemap.xml").into_iter().collect()
        } else {
            declared.into_iter().collect()
        };
        let mut read = 0;
        while let Some(url) = queue.pop_front() {
            if read >= MAX_SITEMAP_FILES {
                break;
            }
            read += 1;
            if !self.in_scope(&url) || !robots.allows(&url) {
                continue;
            }
            let hop = match self.request(&url, |_| true).await {
                Ok(hop) => hop,
                Err(e) => {
                    state.error(&url, e.kind, e.message, None);
                    continue;
                }
            };
            if hop.status >= 400 {
                if !guessed {
                    state.error(
                        &url,
                        ErrorKind::Sitemap,
                        format!("sitemap named in robots.txt answered HTTP {}", hop.status),
                        Some(hop.status),
                    );
                }
                continue;
            }
            match sitemap::parse(&hop.body) {
                Ok(sitemap::Sitemap::Index(children)) => {
                    queue.extend(children.iter().filter_map(|c| url.join(c).ok()));
                }
                Ok(sitemap::Sitemap::Pages(pages)) => {
                    let traps = self.traps.lock().expect("lock");
                    let mut frontier = self.frontier.lock().expect("lock");
                    for page in pages.iter().filter_map(|p| url.join(p).ok()) {
                        if self.in_scope(&page) && !is_non_html_path(&page) {
                            let place = classify::LinkPlace {
                                trap: traps.shape(&page).trap.is_some(),
                                ..classify::LinkPlace::default()
                            };
                            let (priority, strong) =
                                classify::frontier_priority(self.cues, &page, "", place);
                            frontier.push(page, 1, priority, strong);
                        }
                    }
                }
                Err(why) => {
                    if !guessed || hop.status < 300 {
                        state.error(&url, ErrorKind::Sitemap, why, Some(hop.status));
                    }
                }
            }
        }
    }

    /// Records an outcome; parses HTML pages, calls the observer and queues their links.
    fn settle(
        &self,
        outcome: Outcome,
        state: &mut State,
        observe: &mut dyn FnMut(&PageView<'_>) -> bool,
    ) {
        match outcome {
            Outcome::Skipped(url, reason) => state.skip(url.as_str(), reason),
            Outcome::Joined { chain, target } => {
                for from in chain {
                    state.redirects.insert(from.to_string(), target.to_string());
                }
            }
            Outcome::Failed {
                chain,
                url,
                error,
                status,
            } => {
                let first = chain.first().cloned().unwrap_or_else(|| url.clone());
                state.error(&first, error.kind, error.message, status);
            }
            Outcome::Page {
                final_url,
                chain,
                hop,
                depth,
                rendered,
            } => self.settle_page(final_url, chain, hop, depth, rendered, state, observe),
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn settle_page(
        &self,
        final_url: Url,
        chain: Vec<Url>,
        hop: Hop,
        depth: u32,
        rendered: Option<Box<render::Rendered>>,
        state: &mut State,
        observe: &mut dyn FnMut(&PageView<'_>) -> bool,
    ) {
        let final_key = final_url.to_string();
        for from in &chain {
            state.redirects.insert(from.to_string(), final_key.clone());
        }
        if state.start_final.is_none() {
            state.start_final = Some(final_key.clone());
        }
        let media_type = hop.content_type.as_deref().map(|c| {
            c.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        });
        let mut page = Page {
            url: final_key.clone(),
            status: hop.status,
            clicks: None,
            kinds: Vec::new(),
            title: None,
            content_type: media_type.clone(),
            redirected_from: chain.iter().map(Url::to_string).collect(),
            truncated: hop.truncated,
            truncated_by: hop.truncated.then_some(Truncation::Size),
            reached_from: None,
            link_text: None,
            rendered: rendered.is_some(),
            request: hop.seq,
        };
        if hop.status >= 400 {
            let cap = self.options.max_crawl_delay;
            let status = hop.status;
            let secs = |d: Duration| d.as_secs_f64();
            let message = match (hop.retry_after, hop.waited, hop.declined) {
                (_, Some(waited), _) => format!(
                    "HTTP {status} again after waiting {} s as Retry-After asked",
                    secs(waited)
                ),
                (Some(wait), None, Some(Declined::TooLong)) => format!(
                    "HTTP {status} asking to retry after {} s, longer than the {} s cap (--max-crawl-delay): not retried",
                    secs(wait),
                    secs(cap)
                ),
                (Some(wait), None, Some(Declined::Budget)) => format!(
                    "HTTP {status} asking to retry after {} s: not retried, this crawl has spent its {} s for Retry-After waits (twice --max-crawl-delay)",
                    secs(wait),
                    secs(cap * RETRY_WAIT_BUDGET)
                ),
                (Some(wait), None, _) => format!(
                    "HTTP {status} asking to retry after {} s: not retried, the host answered busy too often (slowed_down)",
                    secs(wait)
                ),
                (None, _, _) => format!("HTTP {status}"),
            };
            state.error(&final_url, ErrorKind::HttpStatus, message, Some(hop.status));
        }
        if hop.truncated {
            state.error(
                &final_url,
                ErrorKind::Truncated,
                format!(
                    "body larger than {} bytes; only the first {} bytes were read",
                    self.options.max_bytes, self.options.max_bytes
                ),
                Some(hop.status),
            );
        }
        let is_html = is_html_type(hop.content_type.as_deref());
        if (200..300).contains(&hop.status) && is_html {
            let (mut server_text, _encoding) = decode::html(&hop.body, hop.content_type.as_deref());
            drop(hop);
            if let Some(cut) = depth::element_cut(&server_text) {
                server_text.truncate(cut);
                page.truncated = true;
                page.truncated_by = Some(Truncation::Size);
                state.error(
                    &final_url,
                    ErrorKind::Truncated,
                    format!(
                        "more than {} elements; the rest of the page was not read",
                        depth::MAX_ELEMENTS
                    ),
                    Some(200),
                );
            }
            let server_text = match depth::limit(&server_text, depth::MAX_DEPTH) {
                std::borrow::Cow::Owned(flat) => flat,
                std::borrow::Cow::Borrowed(_) => server_text,
            };
            let server_document = Html::parse_document(&server_text);
            // What the browser drew replaces the server's HTML for reading and for links; the
            // server's stays beside it, to tell what only the browser showed.
            let drawn = rendered
                .as_ref()
                .map(|r| (Html::parse_document(&r.html), r.html.as_str()));
            let (document, text) = match &drawn {
                Some((document, html)) => (document, *html),
                None => (&server_document, server_text.as_ref()),
            };
            let facts = PageFacts::read(document, &self.cues.crawl);
            page.title.clone_from(&facts.title);
            state.headings.insert(
                final_key.clone(),
                (facts.title.clone(), facts.heading.clone()),
            );
            let cut = observe(&PageView {
                url: &final_url,
                document,
                lang: facts.lang.as_deref(),
                html: text,
                rendered: rendered.as_ref().map(|r| RenderedView {
                    server_document: &server_document,
                    server_html: &server_text,
                    requests: &r.requests,
                    globals: &r.globals,
                }),
            });
            if cut {
                page.truncated = true;
                page.truncated_by = Some(Truncation::Budget);
                let budget = self.options.page_budget.unwrap_or_default().as_secs_f64();
                state.error(
                    &final_url,
                    ErrorKind::PageBudget,
                    format!(
                        "reading the page took over {budget} s (--page-budget); what it showed until then counts, the rest was not read"
                    ),
                    Some(200),
                );
            }
            let base = facts
                .base
                .as_deref()
                .and_then(|b| final_url.join(b).ok())
                .filter(|b| matches!(b.scheme(), "http" | "https"))
                .unwrap_or_else(|| final_url.clone());
            let mut targets = Vec::new();
            let (title, heading) = (facts.title.as_deref(), facts.heading.as_deref());
            // Kinds so far, for `--stop-when-found` only: the report's are judged at the end,
            // with every link to the page known.
            if self.options.stop_when_found {
                state.kinds_seen.extend(classify::page_kinds(
                    self.cues,
                    &final_url,
                    title,
                    heading,
                    state.anchors.get(&final_key).map_or(&[][..], Vec::as_slice),
                    false,
                ));
            }
            let on_service_page = classify::is_service_page(self.cues, &final_url, title, heading);
            let mut traps = self.traps.lock().expect("lock");
            traps.observe(&final_url, facts.fingerprint);
            let mut frontier = self.frontier.lock().expect("lock");
            for Link {
                href,
                text,
                label,
                placement,
            } in facts.links
            {
                let Ok(mut target) = base.join(href.trim()) else {
                    continue;
                };
                target.set_fragment(None);
                if !self.in_scope(&target) {
                    continue;
                }
                traps.clean(&mut target);
                let key = target.to_string();
                let texts = state.anchors.entry(key.clone()).or_default();
                if !text.is_empty() && texts.len() < MAX_ANCHOR_TEXTS && !texts.contains(&text) {
                    texts.push(text.clone());
                }
                targets.push((key.clone(), text.clone()));
                if is_non_html_path(&target) {
                    continue;
                }
                if depth + 1 > self.options.max_depth {
                    if !frontier.is_taken(&target) {
                        state.too_deep.push(key);
                    }
                    continue;
                }
                let place = classify::LinkPlace {
                    placement,
                    on_service_page,
                    trap: traps.shape(&target).trap.is_some(),
                };
                let cue_text = match &label {
                    Some(label) if !text.contains(label.as_str()) => format!("{text} {label}"),
                    _ => text.clone(),
                };
                let (priority, strong) =
                    classify::frontier_priority(self.cues, &target, &cue_text, place);
                frontier.push(target, depth + 1, priority, strong);
            }
            state.links.insert(final_key.clone(), targets);
        }
        if !state.page_index.contains_key(&final_key) {
            state.page_index.insert(final_key, state.pages.len());
            state.pages.push(page);
        }
    }

    fn finish(self, start_url: Url, mut state: State, started: Instant) -> CrawlOutput {
        state
            .errors
            .extend(std::mem::take(&mut *self.notes.lock().expect("lock")));
        // Clicks: breadth-first over the link graph from the start page, through redirects.
        let resolve = |target: &str| -> String {
            let mut current = target.to_owned();
            for _ in 0..=self.options.max_redirects {
                match state.redirects.get(&current) {
                    Some(next) if *next != current => current = next.clone(),
                    _ => break,
                }
            }
            current
        };
        // The first link found to a page on a shortest path is the one a report shows as the way.
        let mut clicks: HashMap<String, u32> = HashMap::new();
        let mut reached: HashMap<String, (String, String)> = HashMap::new();
        let mut queue = VecDeque::new();
        if let Some(home) = &state.start_final {
            clicks.insert(home.clone(), 0);
            queue.push_back(home.clone());
        }
        while let Some(page) = queue.pop_front() {
            let here = clicks[&page];
            for (target, text) in state.links.get(&page).into_iter().flatten() {
                let target = resolve(target);
                if state.page_index.contains_key(&target) && !clicks.contains_key(&target) {
                    clicks.insert(target.clone(), here + 1);
                    reached.insert(target.clone(), (page.clone(), text.clone()));
                    queue.push_back(target);
                }
            }
        }
        // Link texts point at requested URLs; credit them to where those URLs ended up.
        let mut anchors: HashMap<String, Vec<String>> = HashMap::new();
        for (target, texts) in std::mem::take(&mut state.anchors) {
            anchors.entry(resolve(&target)).or_default().extend(texts);
        }
        let start_final = state.start_final.clone();
        for page in &mut state.pages {
            page.clicks = clicks.get(&page.url).copied();
            if let Some((from, text)) = reached.remove(&page.url) {
                page.reached_from = Some(from);
                page.link_text = (!text.is_empty()).then_some(text);
            }
            if page.status < 300 && is_html_media(page.content_type.as_deref()) {
                let url = Url::parse(&page.url).expect("came from a Url");
                let (title, heading) = state.headings.get(&page.url).cloned().unwrap_or_default();
                let texts = anchors.get(&page.url).cloned().unwrap_or_default();
                let is_start = start_final.as_deref() == Some(page.url.as_str());
                page.kinds = classify::page_kinds(
                    self.cues,
                    &url,
                    title.as_deref(),
                    heading.as_deref(),
                    &texts,
                    is_start,
                );
            }
        }
        let robots = if self.ignore_robots {
            RobotsStatus::Ignored
        } else if state.robots_found {
            RobotsStatus::Obeyed
        } else {
            RobotsStatus::Missing
        };
        let readable = state
            .pages
            .iter()
            .any(|p| (200..300).contains(&p.status) && is_html_media(p.content_type.as_deref()));
        let failure = (!readable).then(|| explain_failure(&state));
        let limits = Limits {
            max_pages: self.options.max_pages,
            max_depth: self.options.max_depth,
            rate: if self.source.is_local() {
                None
            } else {
                *self.used_rate.lock().expect("lock")
            },
            timeout_secs: self.options.timeout.as_secs_f64(),
            page_budget_secs: self.options.page_budget.map(|b| b.as_secs_f64()),
            max_bytes: self.options.max_bytes,
            max_redirects: self.options.max_redirects,
            user_agent: self.options.user_agent.clone(),
        };
        let site = self.site.lock().expect("lock").clone();
        CrawlOutput {
            start_url,
            site,
            pages: state.pages,
            requests: self.requests.load(Ordering::Relaxed),
            robots,
            errors: state.errors,
            skipped: state.skipped,
            traps: self.traps.lock().expect("lock").report(),
            stopped_early: state.stopped_early,
            limits,
            duration: started.elapsed(),
            failure,
            render: Render {
                mode: self.options.render,
                browser: self
                    .options
                    .renderer
                    .as_ref()
                    .map(|r| r.version().to_owned()),
                pages: self.rendered.load(Ordering::Relaxed),
                note: self.render_note(),
            },
        }
    }

    /// What a reader must know about rendering: no browser, or pages it failed on.
    fn render_note(&self) -> Option<String> {
        let failures = self.render_failures.lock().expect("lock");
        if let Some((url, why)) = failures.first() {
            let more = match failures.len() {
                1 => String::new(),
                n => format!(" (and {} more pages)", n - 1),
            };
            return Some(format!(
                "the browser could not render {url}{more}: {why}; content only JavaScript draws may be missing there"
            ));
        }
        self.options.render_note.clone()
    }

    /// Whether a fetched page goes to the browser: `always` renders every HTML page; `auto`
    /// renders, up to its budget, the start page, contact, imprint and help pages, and pages
    /// that look drawn by JavaScript or load a tag manager.
    fn wants_rendering(&self, hop: &Hop, priority: u32, is_start: bool) -> bool {
        if self.options.renderer.is_none()
            || !(200..300).contains(&hop.status)
            || !is_html_type(hop.content_type.as_deref())
        {
            return false;
        }
        let wanted = match self.options.render {
            RenderMode::Never => false,
            RenderMode::Always => true,
            RenderMode::Auto => {
                is_start
                    || priority >= self.help_priority()
                    || looks_scripted(&hop.body, self.hints)
            }
        };
        if !wanted {
            return false;
        }
        let budget = match self.options.render {
            RenderMode::Always => u32::MAX,
            _ => self.options.render_max_pages,
        };
        self.rendered
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| {
                (n < budget).then_some(n + 1)
            })
            .is_ok()
    }

    /// Link priority from which `auto` renders a page: that of help pages in
    /// `rules/cues/pages.toml`, so contact, imprint and help pages (which rank at least as high)
    /// are rendered.
    fn help_priority(&self) -> u32 {
        self.cues
            .kinds
            .iter()
            .find(|k| k.kind == crate::model::PageKind::Help)
            .map_or(u32::MAX, |k| k.priority)
    }

    /// Loads a page in the browser, answering its requests the way pages are fetched.
    async fn render(&self, url: &Url, hop: &Hop) -> Option<render::Rendered> {
        let renderer = self.options.renderer.as_ref()?;
        let max = usize::try_from(self.options.max_bytes).unwrap_or(usize::MAX);
        let fetch = |target: Url| async move {
            if self.source.is_local() && target.origin().ascii_serialization() != self.base_origin {
                return Err("a local site's rendering fetches only its own files".to_owned());
            }
            let origin = self.robots(&target).await;
            let robots = origin.robots.get().expect("initialised");
            if !robots.allows(&target) {
                return Err("disallowed by robots.txt".to_owned());
            }
            let host = self.host(&target);
            let _slot = host.slots.acquire().await.expect("semaphore never closed");
            host.turn().await;
            self.requests.fetch_add(1, Ordering::Relaxed);
            self.source
                .get(&target, max, |_| true)
                .await
                .map_err(|e| e.message)
        };
        match render::render(
            renderer,
            url,
            hop,
            &self.hints.globals,
            self.options.render_timeout,
            fetch,
        )
        .await
        {
            Ok(rendered) => Some(rendered),
            Err(e) => {
                self.render_failures
                    .lock()
                    .expect("lock")
                    .push((url.to_string(), e.to_string()));
                None
            }
        }
    }
}

/// Whether a page's source shows a tag manager or loader that adds widgets at runtime, or an
/// app shell that draws the page with JavaScript (little text, a root element, "enable
/// JavaScript").
fn looks_scripted(body: &[u8], hints: &RenderHints) -> bool {
    let head = &body[..body.len().min(512 * 1024)];
    let lower = String::from_utf8_lossy(head).to_ascii_lowercase();
    if hints
        .loaders
        .iter()
        .chain(&hints.shells)
        .any(|h| lower.contains(h.as_str()))
    {
        return true;
    }
    // Little visible text: count what is left outside scripts and styles.
    let document = Html::parse_document(&lower);
    let body_text: usize = document
        .select(&Selector::parse("body").expect("valid selector"))
        .next()
        .map_or(0, |b| {
            b.descendants()
                .filter(|n| {
                    n.parent()
                        .and_then(|p| p.value().as_element())
                        .is_none_or(|e| {
                            !matches!(e.name(), "script" | "style" | "noscript" | "template")
                        })
                })
                .filter_map(|n| n.value().as_text())
                .map(|t| t.trim().len())
                .sum()
        });
    body_text < 200
}

impl Frontier {
    /// Claims a URL for fetching; `false` if it was already taken.
    fn claim(&mut self, url: &Url) -> bool {
        if self.is_taken(url) {
            return false;
        }
        self.mark_taken(url);
        true
    }
}

impl State {
    fn error(&mut self, url: &Url, kind: ErrorKind, message: String, status: Option<u16>) {
        self.errors.push(CrawlError {
            url: url.to_string(),
            kind,
            message,
            status,
        });
    }

    /// A URL held back as part of a trap family: listed up to the usual limit, counted always.
    fn skip_trap(&mut self, url: &str) {
        if self.traps_listed < MAX_SKIPPED_LISTED {
            self.traps_listed += 1;
            self.skip(url, SkipReason::Trap);
        }
    }

    fn skip(&mut self, url: &str, reason: SkipReason) {
        if reason == SkipReason::HostBusy {
            // The `slowed_down` error says why; a long queue is not listed page by page.
            if self.busy_listed >= MAX_SKIPPED_LISTED {
                return;
            }
            self.busy_listed += 1;
        }
        if self.skipped_seen.insert(url.to_owned()) {
            self.skipped.push(Skipped {
                url: url.to_owned(),
                reason,
            });
        }
    }
}

/// Why no page could be read: the start page's own error, else a summary.
fn explain_failure(state: &State) -> String {
    if let Some(e) = state.errors.first() {
        return format!("{} ({}): {}", e.url, e.kind.as_str(), e.message);
    }
    if let Some(s) = state.skipped.first()
        && s.reason == SkipReason::RobotsTxt
    {
        return format!("{}: robots.txt disallows it for reachaudit", s.url);
    }
    if let Some(p) = state.pages.first() {
        return format!(
            "{}: not an HTML page ({})",
            p.url,
            p.content_type.as_deref().unwrap_or("no content type")
        );
    }
    "no page could be fetched".to_owned()
}

fn is_html_media(media: Option<&str>) -> bool {
    matches!(media, Some("text/html" | "application/xhtml+xml"))
}

/// Whether a Content-Type header announces HTML. A missing header is treated as HTML, as
/// browsers sniff such responses and render them.
fn is_html_type(content_type: Option<&str>) -> bool {
    match content_type {
        None => true,
        Some(ct) => {
            let media = ct
                .split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase();
            media == "text/html" || media == "application/xhtml+xml"
        }
    }
}

fn is_non_html_path(url: &Url) -> bool {
    url.path_segments()
        .and_then(|mut s| s.next_back())
        .and_then(|last| last.rsplit_once('.'))
        .is_some_and(|(_, ext)| NON_HTML_EXTENSIONS.contains(&ext.to_ascii_lowercase().as_str()))
}

/// A link as the crawl weighs it.
struct Link {
    href: String,
    /// The text a reader sees.
    text: String,
    /// Its `aria-label` or `title`, which may name the target better ("Kontakt" on an icon).
    label: Option<String>,
    placement: classify::Placement,
}

/// What the crawl itself needs from a page.
struct PageFacts {
    title: Option<String>,
    heading: Option<String>,
    lang: Option<String>,
    base: Option<String>,
    links: Vec<Link>,
    /// A SimHash of the main text, to tell near-identical pages.
    fingerprint: u64,
}

fn selector(s: &str) -> Selector {
    Selector::parse(s).expect("valid constant selector")
}

impl PageFacts {
    fn read(document: &Html, cues: &crate::rules::CrawlCues) -> Self {
        thread_local! {
            static SELECTORS: [Selector; 5] = [
                selector("title"),
                selector("h1"),
                selector("html"),
                selector("base[href]"),
                selector("a[href], area[href]"),
            ];
        }
        SELECTORS.with(|[title, h1, html, base, links]| {
            let first_text = |sel: &Selector| {
                document
                    .select(sel)
                    .next()
                    .map(|e| collapse(&e.text().collect::<String>()))
                    .filter(|t| !t.is_empty())
            };
            let mut facts = Self {
                title: first_text(title),
                heading: first_text(h1),
                lang: document
                    .select(html)
                    .next()
                    .and_then(|e| e.value().attr("lang"))
                    .map(str::to_owned),
                base: document
                    .select(base)
                    .next()
                    .and_then(|e| e.value().attr("href"))
                    .map(str::to_owned),
                links: document
                    .select(links)
                    .filter_map(|a| {
                        Some(Link {
                            href: a.value().attr("href")?.to_owned(),
                            text: link_text(a),
                            label: a
                                .value()
                                .attr("aria-label")
                                .or_else(|| a.value().attr("title"))
                                .map(collapse),
                            placement: placement(a, cues),
                        })
                    })
                    .collect(),
                fingerprint: 0,
            };
            facts.fingerprint = fingerprint(document, &facts.links);
            facts
        })
    }
}

/// Where an element sits: in the footer, the header or a navigation menu (by element, ARIA role,
/// or a class or id such as `site-footer`, `main-nav`), else the content. The nearest such
/// ancestor decides; the walk up is bounded, as a hostile page may nest deeply.
fn placement(element: ElementRef<'_>, cues: &crate::rules::CrawlCues) -> classify::Placement {
    use classify::Placement;
    const MAX_LEVELS: usize = 24;
    let named = |words: &[String], c: &str| {
        words
            .iter()
            .any(|w| c.starts_with(w.as_str()) || c.ends_with(&format!("-{w}")))
    };
    for e in element
        .ancestors()
        .take(MAX_LEVELS)
        .filter_map(ElementRef::wrap)
    {
        let v = e.value();
        let role = v.attr("role").unwrap_or_default();
        let words: Vec<String> = v
            .classes()
            .chain(v.id())
            .map(str::to_ascii_lowercase)
            .collect();
        if v.name() == "footer"
            || role == "contentinfo"
            || words.iter().any(|c| named(&cues.footer_classes, c))
        {
            return Placement::Footer;
        }
        if matches!(v.name(), "header" | "nav")
            || matches!(role, "banner" | "navigation")
            || words.iter().any(|c| named(&cues.navigation_classes, c))
        {
            return Placement::Navigation;
        }
    }
    Placement::Content
}

/// A SimHash of the page's main text (`<main>`, else the body, at most 20,000 words) and of its
/// link targets: near-identical pages share both their words and their template's links.
fn fingerprint(document: &Html, links: &[Link]) -> u64 {
    thread_local! {
        static MAIN: [Selector; 2] = [selector("main, [role=main]"), selector("body")];
    }
    MAIN.with(|[main, body]| {
        let root = document
            .select(main)
            .next()
            .or_else(|| document.select(body).next())
            .unwrap_or_else(|| document.root_element());
        traps::simhash(
            root.text()
                .flat_map(str::split_whitespace)
                .take(20_000)
                .chain(links.iter().take(2_000).map(|l| l.href.as_str())),
        )
    })
}

/// A link's text as a reader sees it: its text, else an image's alt, else its title or label.
/// Cut at a sentence's length: a hostile page may wrap a whole book in one link.
fn link_text(a: ElementRef<'_>) -> String {
    // Text nodes joined by a space: a card link holds a heading and a teaser in separate blocks.
    let mut text = collapse(&a.text().collect::<Vec<_>>().join(" "));
    if let Some((cut, _)) = text.char_indices().nth(MAX_LINK_TEXT_CHARS) {
        text.truncate(cut);
    }
    if !text.is_empty() {
        return text;
    }
    thread_local! {
        static IMG: Selector = selector("img[alt]");
    }
    IMG.with(|img| {
        a.select(img)
            .next()
            .and_then(|i| i.value().attr("alt"))
            .or_else(|| a.value().attr("aria-label"))
            .or_else(|| a.value().attr("title"))
            .map(collapse)
            .unwrap_or_default()
    })
}

/// Longest link text kept, in characters.
const MAX_LINK_TEXT_CHARS: usize = 120;

/// Collapses whitespace runs to one space.
#[must_use]
pub fn collapse(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scope_is_the_registrable_domain() {
        let site = |s: &str| site_of(&Url::parse(s).unwrap()).unwrap();
        assert_eq!(site("https://www.acme-shop.de/kontakt"), "acme-shop.de");
        assert_eq!(site("http://acme-shop.de/"), "acme-shop.de");
        assert_eq!(
            site("https://shop.northwind-energy.co.uk/"),
            "northwind-energy.co.uk"
        );
        assert_eq!(site("http://127.0.0.1:8080/"), "127.0.0.1:8080");
        assert_eq!(site("http://localhost:8080/"), "localhost:8080");
        assert_ne!(site("https://acme-shop.de.evil.com/"), "acme-shop.de");
    }

    #[test]
    fn non_html_links_are_recognised_by_extension() {
        let u = |s: &str| Url::parse(s).unwrap();
        assert!(is_non_html_path(&u("https://e.de/downloads/AGB.PDF")));
        assert!(!is_non_html_path(&u("https://e.de/kontakt/")));
        assert!(!is_non_html_path(&u("https://e.de/kontakt.html")));
        assert!(is_html_type(Some("text/html; charset=utf-8")));
        assert!(!is_html_type(Some("application/pdf")));
    }
}
