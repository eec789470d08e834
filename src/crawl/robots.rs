//! robots.txt as RFC 9309 and the Robots Exclusion Protocol describe it, parsed by `texting_robots`.
//!
//! The interesting part is what a *missing* file means: 4xx ("unavailable") means everything is
//! allowed; 5xx or a network failure ("unreachable") means everything is disallowed (RFC 9309
//! §2.3.1.3–2.3.1.4), so a site whose robots.txt is down is not crawled behind its back.

use texting_robots::Robot;

use crate::model::ErrorKind;

/// The product token we match in `User-agent:` lines.
pub const AGENT_TOKEN: &str = "reachaudit";

/// RFC 9309 §2.5: parsers must read at least 500 KiB; more is not read.
pub const MAX_ROBOTS_BYTES: usize = 500 * 1024;

/// The robots.txt rules of one host.
#[derive(Debug)]
pub enum Robots {
    /// A file was found: obey it.
    Found(Box<Robot>),
    /// No file (4xx): everything allowed.
    Missing,
    /// 5xx or unreachable: everything disallowed, with what went wrong.
    Unavailable(ErrorKind, String),
    /// The user chose to ignore robots.txt.
    Ignored,
}

impl Robots {
    /// Interprets a robots.txt response.
    #[must_use]
    pub fn from_response(status: u16, body: &[u8]) -> Self {
        match status {
            200..=299 => {
                let body = &body[..body.len().min(MAX_ROBOTS_BYTES)];
                match Robot::new(AGENT_TOKEN, body) {
                    Ok(robot) => Self::Found(Box::new(robot)),
                    // texting_robots is forgiving; if it still fails the file is garbage, which
                    // Google and RFC 9309 treat as "no rules".
                    Err(_) => Self::Missing,
                }
            }
            400..=499 => Self::Missing,
            _ => Self::Unavailable(
                ErrorKind::RobotsUnavailable,
                format!(
                    "robots.txt answered HTTP {status}; RFC 9309 treats an unreachable robots.txt as disallowing everything"
                ),
            ),
        }
    }

    /// Whether our agent may fetch the URL.
    #[must_use]
    pub fn allows(&self, url: &url::Url) -> bool {
        match self {
            Self::Found(robot) => robot.allowed(url.as_str()),
            Self::Missing | Self::Ignored => true,
            Self::Unavailable(..) => false,
        }
    }

    /// The Crawl-delay for our agent, in seconds.
    #[must_use]
    pub fn crawl_delay(&self) -> Option<f64> {
        match self {
            Self::Found(robot) => robot
                .delay
                .map(f64::from)
                .filter(|d| d.is_finite() && *d > 0.0),
            _ => None,
        }
    }

    /// `Sitemap:` lines.
    #[must_use]
    pub fn sitemaps(&self) -> &[String] {
        match self {
            Self::Found(robot) => &robot.sitemaps,
            _ => &[],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> url::Url {
        url::Url::parse(s).unwrap()
    }

    #[test]
    fn obeys_our_group_over_the_star_group() {
        let txt = b"User-agent: *\nDisallow: /intern/\nCrawl-delay: 2\n\n\
                    User-agent: reachaudit\nDisallow: /nur-fuer-uns/\nCrawl-delay: 0.5\n\
                    Sitemap: https://example.de/sitemap.xml\n";
        let robots = Robots::from_response(200, txt);
        assert!(!robots.allows(&url("https://example.de/nur-fuer-uns/x")));
        // Our own group replaces the * group entirely (RFC 9309 §2.2.1).
        assert!(robots.allows(&url("https://example.de/intern/")));
        assert_eq!(robots.crawl_delay(), Some(0.5));
        assert_eq!(robots.sitemaps(), ["https://example.de/sitemap.xml"]);
    }

    #[test]
    fn missing_allows_and_unavailable_disallows() {
        assert!(Robots::from_response(404, b"").allows(&url("https://e.de/a")));
        assert!(!Robots::from_response(503, b"").allows(&url("https://e.de/a")));
        assert!(Robots::Ignored.allows(&url("https://e.de/a")));
    }
}
