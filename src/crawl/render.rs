//! Pages as a visitor's browser shows them: a headless Chromium driven over the DevTools protocol
//! (`chromiumoxide`), for chat widgets a tag manager injects and contact pages a single-page app
//! draws from JSON.
//!
//! The browser never touches the network itself. Every request it makes is paused
//! (`Fetch.requestPaused`) and answered by the crawler: robots.txt, the per-host rate limit, the
//! SSRF guard, the size limit and the user agent apply exactly as to pages. What it would fetch
//! without asking (WebSockets, prefetches) goes to a proxy address where nothing listens. Images,
//! fonts, styles and media are recorded but not fetched: they never carry a contact channel and
//! would spend the site's rate budget. Requests other than GET and HEAD are refused, nothing is
//! clicked, and cookies from responses are dropped, so a rendered page cannot submit or accept
//! anything.

use std::future::Future;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use base64::Engine as _;
use chromiumoxide::cdp::browser_protocol::fetch::{
    self, EventRequestPaused, FailRequestParams, FulfillRequestParams, HeaderEntry, RequestPattern,
    RequestStage,
};
use chromiumoxide::cdp::browser_protocol::network::{
    self, ErrorReason, EventWebSocketCreated, ResourceType,
};
use chromiumoxide::{Browser, BrowserConfig};
use futures::stream::{FuturesUnordered, StreamExt};
use url::Url;

use super::fetch::Hop;

/// Names a Chromium or Chrome is installed under, tried on `PATH` in this order.
const BROWSER_NAMES: &[&str] = &[
    "chromium",
    "chromium-browser",
    "google-chrome",
    "google-chrome-stable",
    "chrome",
    "chrome-headless-shell",
    "headless_shell",
];

/// After the load event: how long the network must stay quiet before the page counts as drawn.
const QUIET: Duration = Duration::from_millis(800);
/// After the load event: the least time given to widgets that load after a delay or on the
/// first scroll.
const SETTLE: Duration = Duration::from_millis(2500);

/// A browser that could not be found, started or driven.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    /// No browser at the given path or under the usual names.
    #[error(
        "no Chromium or Chrome found{0}; install one (Debian/Ubuntu: apt install chromium) or pass --browser PATH"
    )]
    NotFound(String),
    /// The browser did not start.
    #[error("cannot start the browser {path}: {reason}")]
    Launch {
        /// The executable.
        path: String,
        /// What went wrong.
        reason: String,
    },
    /// A page could not be rendered.
    #[error("rendering {url} failed: {reason}")]
    Page {
        /// The page.
        url: String,
        /// What went wrong.
        reason: String,
    },
}

/// Finds the browser: the path given, else the usual names on `PATH`.
///
/// # Errors
/// Nothing executable there.
pub fn find_browser(explicit: Option<&Path>) -> Result<PathBuf, RenderError> {
    if let Some(path) = explicit {
        return if path.is_file() {
            Ok(path.to_owned())
        } else {
            Err(RenderError::NotFound(format!(" at {}", path.display())))
        };
    }
    let dirs = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&dirs)
        .flat_map(|dir| BROWSER_NAMES.iter().map(move |name| dir.join(name)))
        .find(|candidate| candidate.is_file())
        .ok_or_else(|| RenderError::NotFound(" on PATH".to_owned()))
}

/// One headless browser, started once per scan or batch worker and shared by its pages.
pub struct Renderer {
    browser: Browser,
    handler: tokio::task::JoinHandle<()>,
    version: String,
    _profile: tempfile::TempDir,
}

impl std::fmt::Debug for Renderer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Renderer")
            .field("version", &self.version)
            .finish_non_exhaustive()
    }
}

impl Renderer {
    /// Starts the browser at `path` with an empty profile of its own.
    ///
    /// # Errors
    /// The browser does not start or does not answer on the DevTools protocol.
    pub async fn launch(path: &Path) -> Result<Self, RenderError> {
        let failed = |reason: String| RenderError::Launch {
            path: path.display().to_string(),
            reason,
        };
        let profile = tempfile::Builder::new()
            .prefix("reachaudit-browser-")
            .tempdir()
            .map_err(|e| failed(format!("cannot create a profile directory: {e}")))?;
        let config = BrowserConfig::builder()
            .chrome_executable(path)
            .user_data_dir(profile.path())
            .no_sandbox()
            .launch_timeout(Duration::from_secs(30))
            .request_timeout(Duration::from_secs(30))
            .args([
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--disable-default-apps",
                "--mute-audio",
                "--disable-breakpad",
                "--disable-crash-reporter",
                "--dns-prefetch-disable",
                // Whatever escapes the request interception (WebSockets, prefetches) goes to a
                // port where nothing listens, loopback included.
                "--proxy-server=http://127.0.0.1:9",
                "--proxy-bypass-list=<-loopback>",
            ])
            .build()
            .map_err(failed)?;
        let (browser, mut handler) = Browser::launch(config)
            .await
            .map_err(|e| failed(e.to_string()))?;
        let handler = tokio::spawn(async move {
            while let Some(event) = handler.next().await {
                if event.is_err() {
                    // A message the crate cannot read is not fatal; a closed connection ends
                    // the stream.
                    continue;
                }
            }
        });
        let version = browser
            .version()
            .await
            .map(|v| v.product)
            .map_err(|e| failed(e.to_string()))?;
        Ok(Self {
            browser,
            handler,
            version,
            _profile: profile,
        })
    }

    /// The browser as it names itself (`Chrome/120.0.6099.224`).
    #[must_use]
    pub fn version(&self) -> &str {
        &self.version
    }

    /// Stops the browser and waits for it.
    pub async fn close(mut self) {
        let _ = self.browser.close().await;
        let _ = self.browser.wait().await;
        self.handler.abort();
    }
}

/// A request the rendered page attempted.
#[derive(Debug, Clone)]
pub struct Request {
    /// The URL.
    pub url: String,
    /// What the browser wanted it for (`Script`, `XHR`, `WebSocket` …).
    pub kind: String,
}

/// A page as the browser drew it.
#[derive(Debug, Clone)]
pub struct Rendered {
    /// The DOM after scripts ran, serialised.
    pub html: String,
    /// Every request the page attempted, fetched or not.
    pub requests: Vec<Request>,
    /// The vendor globals the page's scripts defined.
    pub globals: Vec<String>,
}

/// What the crawler answers for one request of the browser.
pub(crate) type Answer = Result<Hop, String>;

/// Resource types never fetched for a rendering: no channel hides in them.
fn skipped(kind: &ResourceType) -> bool {
    matches!(
        kind,
        ResourceType::Image
            | ResourceType::Media
            | ResourceType::Font
            | ResourceType::Stylesheet
            | ResourceType::TextTrack
            | ResourceType::Manifest
            | ResourceType::Ping
            | ResourceType::CspViolationReport
            | ResourceType::Prefetch
            | ResourceType::SignedExchange
    )
}

fn kind_name(kind: &ResourceType) -> String {
    serde_json::to_value(kind)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_else(|| format!("{kind:?}"))
}

/// Renders `url`, whose document the crawler already fetched (`document`), answering every
/// further request of the browser with `fetch`. Stops when the network has been quiet for a
/// moment after the load event and the settle time has passed, or at `budget`.
pub(crate) async fn render<F, Fut>(
    renderer: &Renderer,
    url: &Url,
    document: &Hop,
    globals: &[String],
    budget: Duration,
    fetch: F,
) -> Result<Rendered, RenderError>
where
    F: Fn(Url) -> Fut,
    Fut: Future<Output = Answer>,
{
    let failed = |reason: String| RenderError::Page {
        url: url.to_string(),
        reason,
    };
    let page = renderer
        .browser
        .new_page("about:blank")
        .await
        .map_err(|e| failed(e.to_string()))?;
    let result = drive(&page, url, document, globals, budget, &fetch)
        .await
        .map_err(failed);
    let _ = page.close().await;
    result
}

async fn drive<F, Fut>(
    page: &chromiumoxide::Page,
    url: &Url,
    document: &Hop,
    globals: &[String],
    budget: Duration,
    fetch: &F,
) -> Result<Rendered, String>
where
    F: Fn(Url) -> Fut,
    Fut: Future<Output = Answer>,
{
    let e = |e: chromiumoxide::error::CdpError| e.to_string();
    let mut paused = page
        .event_listener::<EventRequestPaused>()
        .await
        .map_err(e)?;
    let mut sockets = page
        .event_listener::<EventWebSocketCreated>()
        .await
        .map_err(e)?;
    page.execute(network::EnableParams::default())
        .await
        .map_err(e)?;
    page.execute(fetch::EnableParams {
        patterns: Some(vec![RequestPattern {
            url_pattern: Some("*".to_owned()),
            resource_type: None,
            request_stage: Some(RequestStage::Request),
        }]),
        handle_auth_requests: None,
    })
    .await
    .map_err(e)?;

    let mut requests: Vec<Request> = Vec::new();
    let mut answering = FuturesUnordered::new();
    let mut document_served = false;
    let started = Instant::now();
    let mut loaded_at: Option<Instant> = None;
    let mut last_activity = Instant::now();
    let navigation = page.goto(url.as_str());
    tokio::pin!(navigation);
    loop {
        let now = Instant::now();
        if now.duration_since(started) > budget {
            break;
        }
        if let Some(loaded) = loaded_at
            && answering.is_empty()
            && now.duration_since(last_activity) > QUIET
            && now.duration_since(loaded) > SETTLE
        {
            break;
        }
        tokio::select! {
            event = paused.next() => {
                let Some(event) = event else { break };
                last_activity = Instant::now();
                let request_url = event.request.url.clone();
                requests.push(Request { url: request_url.clone(), kind: kind_name(&event.resource_type) });
                let id = event.request_id.clone();
                let method = event.request.method.to_ascii_uppercase();
                let is_document = event.resource_type == ResourceType::Document;
                let same_page = Url::parse(&request_url).is_ok_and(|u| {
                    let mut u = u;
                    u.set_fragment(None);
                    u == *url
                });
                if is_document && same_page && !document_served {
                    document_served = true;
                    answering.push(futures::future::Either::Left(futures::future::ready((
                        id,
                        Ok(Hop {
                            status: document.status,
                            location: None,
                            content_type: document.content_type.clone(),
                            body: document.body.clone(),
                            truncated: document.truncated,
                            seq: 0,
                            retry_after: None,
                            waited: None,
                            declined: None,
                        }),
                    ))));
                } else if skipped(&event.resource_type) || !matches!(method.as_str(), "GET" | "HEAD") {
                    answering.push(futures::future::Either::Left(futures::future::ready((
                        id,
                        Err("not fetched for rendering".to_owned()),
                    ))));
                } else {
                    match Url::parse(&request_url) {
                        Ok(target) if matches!(target.scheme(), "http" | "https") => {
                            let answer = fetch(target);
                            answering.push(futures::future::Either::Right(async move {
                                (id, answer.await)
                            }));
                        }
                        _ => answering.push(futures::future::Either::Left(futures::future::ready((
                            id,
                            Err("not an http(s) URL".to_owned()),
                        )))),
                    }
                }
            }
            socket = sockets.next() => {
                if let Some(socket) = socket {
                    requests.push(Request { url: socket.url.clone(), kind: "WebSocket".to_owned() });
                }
            }
            Some((id, answer)) = answering.next() => {
                last_activity = Instant::now();
                respond(page, id, answer).await;
            }
            _ = &mut navigation, if loaded_at.is_none() => {
                loaded_at = Some(Instant::now());
                last_activity = Instant::now();
                // Widgets that wait for the first scroll or mouse movement load now; nothing is
                // clicked.
                let _ = page
                    .evaluate(
                        "window.scrollTo(0, document.body ? document.body.scrollHeight : 0); \
                         window.dispatchEvent(new Event('scroll')); \
                         ['mousemove', 'mouseover', 'pointermove', 'pointerover'].forEach(function (t) { \
                           document.dispatchEvent(new MouseEvent(t, {bubbles: true})); }); \
                         ['touchstart', 'touchmove', 'wheel', 'keydown'].forEach(function (t) { \
                           window.dispatchEvent(new Event(t, {bubbles: true})); \
                           document.dispatchEvent(new Event(t, {bubbles: true})); }); \
                         true",
                    )
                    .await;
            }
            () = tokio::time::sleep(Duration::from_millis(100)) => {}
        }
    }
    let probe = format!(
        "JSON.stringify({}.filter(function (g) {{ try {{ var o = window; var parts = g.split('.'); for (var i = 0; i < parts.length; i++) {{ if (o == null) return false; o = o[parts[i]]; }} return typeof o !== 'undefined'; }} catch (e) {{ return false; }} }}))",
        serde_json::to_string(globals).unwrap_or_else(|_| "[]".to_owned())
    );
    let defined: Vec<String> = page
        .evaluate(probe)
        .await
        .ok()
        .and_then(|r| r.into_value::<String>().ok())
        .and_then(|s| serde_json::from_str(&s).ok())
        .unwrap_or_default();
    let html = page.content().await.map_err(e)?;
    Ok(Rendered {
        html,
        requests,
        globals: defined,
    })
}

/// Answers one paused request: the crawler's response (without cookies), or a refusal.
async fn respond(page: &chromiumoxide::Page, id: fetch::RequestId, answer: Answer) {
    match answer {
        Ok(hop) => {
            let mut headers = Vec::new();
            if let Some(kind) = &hop.content_type {
                headers.push(HeaderEntry {
                    name: "Content-Type".to_owned(),
                    value: kind.clone(),
                });
            }
            if let Some(location) = &hop.location {
                headers.push(HeaderEntry {
                    name: "Location".to_owned(),
                    value: location.clone(),
                });
            }
            let body = base64::engine::general_purpose::STANDARD.encode(&hop.body);
            let mut params = FulfillRequestParams::new(id, i64::from(hop.status));
            params.response_headers = Some(headers);
            params.body = Some(body.into());
            let _ = page.execute(params).await;
        }
        Err(_) => {
            let _ = page
                .execute(FailRequestParams::new(id, ErrorReason::BlockedByClient))
                .await;
        }
    }
}
