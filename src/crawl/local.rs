//! A directory laid out like a static site, answered the way a static host would answer.
//!
//! Scanning a build directory before deploy must give the same result as scanning the deployed
//! site, so the directory is not walked file by file: it is asked for URLs, exactly as a web server
//! would be, following the conventions of static hosts (Netlify, Cloudflare Pages): `index.html` for
//! directories, `/dir` → 301 `/dir/`, `_redirects` and `_headers` files. The test server serves the
//! fixture sites through this same type, so both paths share one set of rules.
//!
//! Every path comes from a crawled page and is hostile: `..` segments, encoded separators and
//! absolute paths never leave the root.

use std::collections::HashMap;
use std::path::{Component, Path, PathBuf};

/// The placeholder origin fixture files use for the site's own absolute URLs (sitemaps,
/// robots.txt `Sitemap:` lines); replaced by the real origin when a file is served.
pub const ORIGIN_PLACEHOLDER: &str = "http://SITE_ORIGIN";

/// A static site rooted at a directory.
#[derive(Debug, Clone)]
pub struct StaticSite {
    root: PathBuf,
    redirects: HashMap<String, (String, u16)>,
    headers: HashMap<String, Vec<(String, String)>>,
}

/// What the site answers for one path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaticResponse {
    /// HTTP status.
    pub status: u16,
    /// Response headers (`Content-Type`, `Location`, and `_headers` entries).
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
}

impl StaticResponse {
    /// The first header of that name (case-insensitive).
    #[must_use]
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

impl StaticSite {
    /// Opens a site directory and reads its `_redirects` and `_headers`.
    ///
    /// # Errors
    /// The root is not a readable directory, or a rule file cannot be read.
    pub fn open(root: &Path) -> std::io::Result<Self> {
        let root = root.canonicalize()?;
        if !root.is_dir() {
            return Err(std::io::Error::new(
                std::io::ErrorKind::NotADirectory,
                "not a directory",
            ));
        }
        let redirects = match std::fs::read_to_string(root.join("_redirects")) {
            Ok(text) => parse_redirects(&text),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => HashMap::new(),
            Err(e) => return Err(e),
        };
        let headers = match std::fs::read_to_string(root.join("_headers")) {
            Ok(text) => parse_headers(&text),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => HashMap::new(),
            Err(e) => return Err(e),
        };
        Ok(Self {
            root,
            redirects,
            headers,
        })
    }

    /// The directory the site is rooted at.
    #[must_use]
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Answers a request for `path` (percent-encoded, starting with `/`, query ignored), with
    /// `origin` (e.g. `http://127.0.0.1:8080`) substituted for [`ORIGIN_PLACEHOLDER`] in text files.
    #[must_use]
    pub fn respond(&self, path: &str, origin: &str) -> StaticResponse {
        let path = path.split(['?', '#']).next().unwrap_or("/");
        if let Some((to, status)) = self.redirects.get(path)
            && *status == 200
            && to.starts_with('/')
            && self
                .redirects
                .get(to.as_str())
                .is_none_or(|(_, s)| *s != 200)
        {
            // A rewrite, as static hosts do for single-page apps: the route shows the app's file.
            return self.respond(to, origin);
        }
        if let Some((to, status)) = self.redirects.get(path) {
            let location = to.replace(ORIGIN_PLACEHOLDER, origin);
            return self.finish(
                path,
                StaticResponse {
                    status: *status,
                    headers: vec![("Location".into(), location)],
                    body: Vec::new(),
                },
            );
        }
        let Some(relative) = safe_relative(path) else {
            return not_found();
        };
        if relative
            .components()
            .any(|c| c.as_os_str().to_string_lossy().starts_with(['_', '.']))
        {
            return not_found();
        }
        let mut file = self.root.join(&relative);
        if file.is_dir() {
            if !path.ends_with('/') {
                return StaticResponse {
                    status: 301,
                    headers: vec![("Location".into(), format!("{path}/"))],
                    body: Vec::new(),
                };
            }
            file = file.join("index.html");
        } else if !file.is_file() && file.extension().is_none() {
            // Pretty URLs: `/agb` serves `agb.html`, as static hosts do.
            file.set_extension("html");
        }
        // Symlinks could point outside the root; the canonical path must stay inside it.
        let Ok(file) = file.canonicalize() else {
            return not_found();
        };
        if !file.starts_with(&self.root) || !file.is_file() {
            return not_found();
        }
        let Ok(mut body) = std::fs::read(&file) else {
            return not_found();
        };
        let content_type = content_type_for(&file);
        if (content_type.starts_with("text/") || content_type.contains("xml"))
            && let Ok(text) = std::str::from_utf8(&body)
            && text.contains(ORIGIN_PLACEHOLDER)
        {
            body = text.replace(ORIGIN_PLACEHOLDER, origin).into_bytes();
        }
        self.finish(
            path,
            StaticResponse {
                status: 200,
                headers: vec![("Content-Type".into(), content_type.into())],
                body,
            },
        )
    }

    /// Applies `_headers` entries for `path`, replacing headers of the same name.
    fn finish(&self, path: &str, mut response: StaticResponse) -> StaticResponse {
        if let Some(extra) = self.headers.get(path) {
            for (name, value) in extra {
                response
                    .headers
                    .retain(|(n, _)| !n.eq_ignore_ascii_case(name));
                response.headers.push((name.clone(), value.clone()));
            }
        }
        response
    }
}

fn not_found() -> StaticResponse {
    StaticResponse {
        status: 404,
        headers: vec![("Content-Type".into(), "text/html; charset=utf-8".into())],
        body: b"<!doctype html><title>404 Not Found</title><h1>Not Found</h1>".to_vec(),
    }
}

/// The path below the root, or `None` if it tries to leave it.
fn safe_relative(path: &str) -> Option<PathBuf> {
    let decoded = percent_decode(path.strip_prefix('/')?)?;
    if decoded.contains('\\') || decoded.contains('\0') {
        return None;
    }
    let relative = PathBuf::from(decoded);
    relative
        .components()
        .all(|c| matches!(c, Component::Normal(_)))
        .then_some(relative)
}

fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = s.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

fn content_type_for(file: &Path) -> &'static str {
    match file
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        // No charset: a page that declares none must be decoded by sniffing, as on a real server
        // that sends a bare `text/html`; `_headers` adds one where a fixture needs it.
        Some("html" | "htm") => "text/html",
        Some("xml") => "application/xml",
        Some("txt") => "text/plain",
        Some("json") => "application/json",
        Some("css") => "text/css",
        Some("js") => "text/javascript",
        Some("pdf") => "application/pdf",
        Some("png") => "image/png",
        Some("jpg" | "jpeg") => "image/jpeg",
        Some("svg") => "image/svg+xml",
        _ => "application/octet-stream",
    }
}

/// `_redirects`: `FROM TO [STATUS]` per line, `#` comments.
fn parse_redirects(text: &str) -> HashMap<String, (String, u16)> {
    text.lines()
        .map(|line| line.split('#').next().unwrap_or(""))
        .filter_map(|line| {
            let mut parts = line.split_whitespace();
            let from = parts.next()?;
            let to = parts.next()?;
            let status = parts
                .next()
                .and_then(|s| s.trim_end_matches('!').parse().ok())
                .unwrap_or(301);
            Some((from.to_owned(), (to.to_owned(), status)))
        })
        .collect()
}

/// `_headers`: a path line, then indented `Name: value` lines.
fn parse_headers(text: &str) -> HashMap<String, Vec<(String, String)>> {
    let mut map: HashMap<String, Vec<(String, String)>> = HashMap::new();
    let mut current: Option<String> = None;
    for line in text.lines() {
        if line.trim().is_empty() || line.trim_start().starts_with('#') {
            continue;
        }
        if line.starts_with([' ', '\t']) {
            if let (Some(path), Some((name, value))) = (&current, line.trim().split_once(':')) {
                map.entry(path.clone())
                    .or_default()
                    .push((name.trim().to_owned(), value.trim().to_owned()));
            }
        } else {
            current = Some(line.trim().to_owned());
        }
    }
    map
}

#[cfg(test)]
mod tests {
    use super::*;

    fn site() -> (tempfile::TempDir, StaticSite) {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("kontakt")).unwrap();
        std::fs::write(root.join("index.html"), "<h1>Home</h1>").unwrap();
        std::fs::write(root.join("kontakt/index.html"), "<h1>Kontakt</h1>").unwrap();
        std::fs::write(root.join("agb.html"), "<h1>AGB</h1>").unwrap();
        std::fs::write(
            root.join("sitemap.xml"),
            "<loc>http://SITE_ORIGIN/agb</loc>",
        )
        .unwrap();
        std::fs::write(
            root.join("_redirects"),
            "# old\n/kontakt.html /kontakt/ 301\n/a /b 302\n",
        )
        .unwrap();
        std::fs::write(
            root.join("_headers"),
            "/agb.html\n  Content-Type: text/html; charset=iso-8859-1\n",
        )
        .unwrap();
        let site = StaticSite::open(root).unwrap();
        (dir, site)
    }

    #[test]
    fn serves_like_a_static_host() {
        let (_dir, site) = site();
        assert_eq!(site.respond("/", "http://x").body, b"<h1>Home</h1>");
        let r = site.respond("/kontakt", "http://x");
        assert_eq!((r.status, r.header("location")), (301, Some("/kontakt/")));
        assert_eq!(site.respond("/kontakt/", "http://x").status, 200);
        let r = site.respond("/kontakt.html", "http://x");
        assert_eq!((r.status, r.header("Location")), (301, Some("/kontakt/")));
        assert_eq!(site.respond("/a", "http://x").status, 302);
        assert_eq!(site.respond("/agb", "http://x").status, 200);
        assert_eq!(
            site.respond("/agb.html", "http://x").header("content-type"),
            Some("text/html; charset=iso-8859-1")
        );
        assert_eq!(
            site.respond("/sitemap.xml", "http://127.0.0.1:9").body,
            b"<loc>http://127.0.0.1:9/agb</loc>"
        );
        assert_eq!(site.respond("/fehlt/", "http://x").status, 404);
    }

    #[test]
    fn never_leaves_the_root() {
        let (dir, site) = site();
        std::fs::write(dir.path().parent().unwrap().join("secret.html"), "x").ok();
        for path in [
            "/../secret.html",
            "/%2e%2e/secret.html",
            "/kontakt/../../secret.html",
            "/_redirects",
            "/_headers",
            "//etc/passwd",
            "/%00",
            "/..%5csecret.html",
        ] {
            assert_eq!(site.respond(path, "http://x").status, 404, "{path}");
        }
    }
}
