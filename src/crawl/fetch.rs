//! One request, one response: the HTTP client (limits, SSRF guard, decompression) or a local
//! static site. Redirects, robots.txt and rate limits are decided one level up, per hop, so every
//! hop of a redirect chain passes the same checks.

use std::collections::HashMap;
use std::error::Error as _;
use std::net::IpAddr;
use std::time::Duration;

use url::Url;

use super::guard::{self, GuardedResolver, PrivateAddress};
use super::local::StaticSite;
use crate::model::ErrorKind;

/// One response, body cut at the size limit.
#[derive(Debug)]
pub(crate) struct Hop {
    pub status: u16,
    pub location: Option<String>,
    pub content_type: Option<String>,
    pub body: Vec<u8>,
    pub truncated: bool,
    /// The request's number in the crawl (set by the crawler; 0 until then).
    pub seq: u32,
    /// How long a 429 or 503 answer asked to wait before asking again (`Retry-After`, seconds
    /// or an HTTP date).
    pub retry_after: Option<Duration>,
    /// How long the crawler waited before this answer, on an earlier answer's `Retry-After`.
    pub waited: Option<Duration>,
    /// Why this answer's `Retry-After` was not waited for.
    pub declined: Option<Declined>,
}

/// Why a `Retry-After` was not waited for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Declined {
    /// Longer than `--max-crawl-delay`.
    TooLong,
    /// The crawl's waits together would exceed their budget.
    Budget,
    /// The host answered busy too often and is left alone.
    HostBusy,
}

/// A `Retry-After` value (RFC 9110 §10.2.3): delay-seconds or an HTTP date.
fn retry_after(value: &str) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = httpdate::parse_http_date(value).ok()?;
    Some(
        at.duration_since(std::time::SystemTime::now())
            .unwrap_or_default(),
    )
}

/// A request that got no usable response.
#[derive(Debug, Clone)]
pub(crate) struct HopError {
    pub kind: ErrorKind,
    pub message: String,
}

/// Where pages come from.
#[derive(Debug)]
pub(crate) enum Source {
    Http {
        client: reqwest::Client,
        allow_private: bool,
        /// The start's own origin, allowed to be private when nothing else is.
        start: Option<Box<TrustedOrigin>>,
    },
    Local {
        site: StaticSite,
        origin: String,
    },
}

/// One host and port that may be private, with a client whose resolver lets it be.
#[derive(Debug)]
pub(crate) struct TrustedOrigin {
    host: String,
    port: Option<u16>,
    client: reqwest::Client,
}

impl TrustedOrigin {
    fn covers(&self, url: &Url) -> bool {
        url.host_str() == Some(self.host.as_str()) && url.port_or_known_default() == self.port
    }
}

/// Settings of the HTTP client.
pub(crate) struct HttpSettings<'a> {
    pub user_agent: &'a str,
    pub timeout: Duration,
    pub allow_private: bool,
    /// The start URL, when its own host and port may be private (`CrawlOptions::private_start`).
    pub private_start: Option<&'a Url>,
    pub resolve: &'a HashMap<String, Vec<IpAddr>>,
    pub only_resolved: bool,
}

impl Source {
    pub(crate) fn http(settings: &HttpSettings<'_>) -> Result<Self, reqwest::Error> {
        let start = match settings.private_start {
            Some(url) if !settings.allow_private => Some(Box::new(TrustedOrigin {
                host: url.host_str().unwrap_or_default().to_owned(),
                port: url.port_or_known_default(),
                client: client(settings, true)?,
            })),
            _ => None,
        };
        Ok(Self::Http {
            client: client(settings, settings.allow_private)?,
            allow_private: settings.allow_private,
            start,
        })
    }

    pub(crate) fn is_local(&self) -> bool {
        matches!(self, Self::Local { .. })
    }
}

fn client(
    settings: &HttpSettings<'_>,
    allow_private: bool,
) -> Result<reqwest::Client, reqwest::Error> {
    // reqwest is built without a default crypto provider so that we can pick ring (pure Rust
    // + asm, no cmake); installing twice is harmless.
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .user_agent(settings.user_agent)
        .redirect(reqwest::redirect::Policy::none())
        .timeout(settings.timeout)
        .connect_timeout(settings.timeout.min(Duration::from_secs(10)))
        .gzip(true)
        .brotli(true)
        .deflate(true)
        // A proxy would resolve names itself and defeat the private-address check.
        .no_proxy()
        .dns_resolver(
            GuardedResolver::new(allow_private, settings.resolve.clone())
                .only_overrides(settings.only_resolved),
        )
        .build()
}

impl Source {
    /// Fetches one URL without following redirects. `want_body` false skips reading the body of
    /// responses we will not parse (images, PDFs).
    pub(crate) async fn get(
        &self,
        url: &Url,
        max_bytes: usize,
        want_body: impl Fn(Option<&str>) -> bool,
    ) -> Result<Hop, HopError> {
        match self {
            Self::Local { site, origin } => {
                let response = site.respond(url.path(), origin);
                let content_type = response.header("content-type").map(str::to_owned);
                let location = response.header("location").map(str::to_owned);
                let mut body = response.body;
                let truncated = body.len() > max_bytes;
                body.truncate(max_bytes);
                if !want_body(content_type.as_deref()) {
                    body.clear();
                }
                Ok(Hop {
                    status: response.status,
                    location,
                    content_type,
                    body,
                    truncated,
                    seq: 0,
                    retry_after: None,
                    waited: None,
                    declined: None,
                })
            }
            Self::Http {
                client,
                allow_private,
                start,
            } => {
                let trusted = start.as_deref().filter(|t| t.covers(url));
                if trusted.is_none()
                    && let Some(host) = url.host()
                {
                    guard::check_host(&host, *allow_private).map_err(|e| HopError {
                        kind: ErrorKind::RefusedPrivate,
                        message: e.to_string(),
                    })?;
                }
                let client = trusted.map_or(client, |t| &t.client);
                let mut response = client
                    .get(url.clone())
                    .send()
                    .await
                    .map_err(|e| classify(e, url))?;
                let status = response.status().as_u16();
                let header = |name: reqwest::header::HeaderName| {
                    response
                        .headers()
                        .get(name)
                        .and_then(|v| v.to_str().ok())
                        .map(str::to_owned)
                };
                let location = header(reqwest::header::LOCATION);
                let content_type = header(reqwest::header::CONTENT_TYPE);
                let retry_after = matches!(status, 429 | 503)
                    .then(|| header(reqwest::header::RETRY_AFTER))
                    .flatten()
                    .and_then(|v| retry_after(&v));
                let mut body = Vec::new();
                let mut truncated = false;
                if want_body(content_type.as_deref()) {
                    while let Some(chunk) = response.chunk().await.map_err(|e| classify(e, url))? {
                        let room = max_bytes - body.len();
                        if chunk.len() > room {
                            body.extend_from_slice(&chunk[..room]);
                            truncated = true;
                            break;
                        }
                        body.extend_from_slice(&chunk);
                    }
                }
                Ok(Hop {
                    status,
                    location,
                    content_type,
                    body,
                    truncated,
                    seq: 0,
                    retry_after,
                    waited: None,
                    declined: None,
                })
            }
        }
    }
}

/// Maps a reqwest error to a crawl error kind with a one-line message in words (what happened,
/// to which host, what to check), the library's own text only as the last resort.
fn classify(error: reqwest::Error, url: &Url) -> HopError {
    let mut chain = Vec::new();
    let mut private = None;
    let mut tls = false;
    let mut io_kind = None;
    let mut source: Option<&(dyn std::error::Error + 'static)> = error.source();
    while let Some(e) = source {
        if let Some(p) = e.downcast_ref::<PrivateAddress>() {
            private = Some(p.to_string());
        }
        if e.downcast_ref::<rustls::Error>().is_some() {
            tls = true;
        }
        if let Some(io) = e.downcast_ref::<std::io::Error>() {
            io_kind.get_or_insert(io.kind());
        }
        chain.push(e.to_string());
        source = e.source();
    }
    chain.dedup();
    let detail = chain.join(": ");
    let host = url.host_str().unwrap_or("the host");
    let place = match url.port_or_known_default() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_owned(),
    };
    let (kind, message) = if let Some(message) = private {
        (ErrorKind::RefusedPrivate, message)
    } else if error.is_timeout() {
        (
            ErrorKind::Timeout,
            format!("{place} sent no response within the timeout (--timeout)"),
        )
    } else if tls || detail.contains("certificate") || detail.contains("tls handshake") {
        let why = chain.last().map_or(detail.as_str(), String::as_str);
        (
            ErrorKind::Tls,
            format!("the secure connection to {place} failed: {why}"),
        )
    } else if detail.contains("dns error") || detail.contains("failed to lookup address") {
        (
            ErrorKind::Dns,
            format!(
                "the name {host} does not resolve — is it spelt right, and does the site exist?"
            ),
        )
    } else if error.is_connect() {
        let message = match io_kind {
            Some(std::io::ErrorKind::ConnectionRefused) => {
                format!("connection refused by {place} — is the site up?")
            }
            Some(std::io::ErrorKind::ConnectionReset | std::io::ErrorKind::ConnectionAborted) => {
                format!("{place} closed the connection at once — is the site up?")
            }
            Some(std::io::ErrorKind::TimedOut) => {
                format!("no connection to {place} within the timeout — is the site up?")
            }
            Some(std::io::ErrorKind::NetworkUnreachable | std::io::ErrorKind::HostUnreachable) => {
                format!("no route to {place} — is this machine online?")
            }
            _ => format!(
                "cannot connect to {place}: {}",
                chain.last().map_or(detail.as_str(), String::as_str)
            ),
        };
        (ErrorKind::Connect, message)
    } else {
        let why = chain.last().map_or(detail.as_str(), String::as_str);
        (
            ErrorKind::Body,
            format!("{place} broke off the response: {why}"),
        )
    };
    HopError { kind, message }
}
