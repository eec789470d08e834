//! The hostile web, from the server's side: a raw TCP server on 127.0.0.1 that answers the way
//! broken and malicious servers do — loops, drips, silence, resets, endless and compressed bodies,
//! malformed HTTP, traps, absurd robots.txt and sitemaps. Every scenario must end within its
//! time, without a panic, with the problem named in `crawl.errors` (or held back in
//! `crawl.skipped`/`crawl.traps`), and with the start page's phone number still found.

mod support;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use reachaudit::crawl::{CrawlOptions, Start};
use reachaudit::model::{ErrorKind, Report};
use reachaudit::rules::Rules;
use reachaudit::{AuditOptions, audit};

/// The start page every scenario serves: a phone number to find, and a link into the trap.
const START: &str = "<!DOCTYPE html><html lang=\"de\"><head><title>Start</title></head><body>\
    <p>Telefon: <a href=\"tel:+4930901820\">030 901820</a></p><a href=\"/trap\">weiter</a></body></html>";
const PHONE: &str = "+4930901820";
/// Per-request timeout in the scenarios: long enough for loopback, short enough for a test.
const TIMEOUT: Duration = Duration::from_secs(2);
/// Largest body read in the scenarios.
const MAX_BYTES: u64 = 1 << 20;

type Handler = dyn Fn(&str, &mut TcpStream) + Send + Sync;

/// A server that hands every request's path and connection to `handler`, one thread per
/// connection; stops when dropped.
struct Hostile {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
}

impl Hostile {
    fn serve(handler: impl Fn(&str, &mut TcpStream) + Send + Sync + 'static) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        listener.set_nonblocking(true).unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let handler: Arc<Handler> = Arc::new(handler);
        let stopped = stop.clone();
        std::thread::spawn(move || {
            while !stopped.load(Ordering::Relaxed) {
                match listener.accept() {
                    Ok((mut stream, _)) => {
                        let handler = handler.clone();
                        std::thread::spawn(move || {
                            stream.set_nonblocking(false).unwrap();
                            stream.set_read_timeout(Some(Duration::from_secs(5))).ok();
                            if let Some(path) = read_request(&mut stream) {
                                handler(&path, &mut stream);
                            }
                        });
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(5)),
                }
            }
        });
        Self { addr, stop }
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }
}

impl Drop for Hostile {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// The request line's path, once the head has arrived (at most 64 KiB read).
fn read_request(stream: &mut TcpStream) -> Option<String> {
    let mut head = Vec::new();
    let mut buf = [0u8; 4096];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < 65_536 {
        let n = stream.read(&mut buf).ok()?;
        if n == 0 {
            return None;
        }
        head.extend_from_slice(&buf[..n]);
    }
    let line = String::from_utf8_lossy(&head);
    line.split_whitespace().nth(1).map(str::to_owned)
}

fn respond(stream: &mut TcpStream, status: &str, headers: &[(&str, &str)], body: &[u8]) {
    let mut head = format!("HTTP/1.1 {status}\r\nConnection: close\r\n");
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    if !headers
        .iter()
        .any(|(n, _)| n.eq_ignore_ascii_case("content-length"))
    {
        head.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    head.push_str("\r\n");
    let _ = stream.write_all(head.as_bytes());
    let _ = stream.write_all(body);
}

fn html(stream: &mut TcpStream, body: &str) {
    respond(
        stream,
        "200 OK",
        &[("Content-Type", "text/html; charset=utf-8")],
        body.as_bytes(),
    );
}

/// A site: `/` is the start page, `/robots.txt` and `/sitemap.xml` are missing unless `trap`
/// answers them, and everything else goes to `trap`.
fn site(trap: impl Fn(&str, &mut TcpStream) -> bool + Send + Sync + 'static) -> Hostile {
    Hostile::serve(move |path, stream| {
        if trap(path, stream) {
            return;
        }
        match path {
            "/" => html(stream, START),
            _ => respond(stream, "404 Not Found", &[], b"not here"),
        }
    })
}

fn crawl_options() -> CrawlOptions {
    CrawlOptions {
        allow_private: true,
        rate: Some(500.0),
        timeout: TIMEOUT,
        max_bytes: MAX_BYTES,
        max_pages: 20,
        ..CrawlOptions::default()
    }
}

fn scan(server: &Hostile, crawl: CrawlOptions) -> (Report, Duration) {
    let options = AuditOptions {
        crawl,
        country: Some("DE".into()),
        ..AuditOptions::default()
    };
    let url = server.url("/");
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let start = Start::from_input(&url).unwrap();
    let began = Instant::now();
    let report = runtime
        .block_on(audit(&url, &start, &options, &Rules::embedded().unwrap()))
        .unwrap();
    (report, began.elapsed())
}

/// Numbers the scenarios serve on purpose, besides the start page's: the only ones that may be
/// reported.
const SERVED: &[&str] = &["+4930901821", "+4930901822", "+4930901828", "+4930901829"];

/// Runs a scenario: done within `limit`, the start page's phone found, and `error` (if any)
/// recorded for a URL whose path starts with `on`.
fn expect(server: &Hostile, limit: Duration, error: Option<(ErrorKind, &str)>) -> Report {
    expect_only(server, limit, error, |n| SERVED.contains(&n))
}

/// [`expect`], and nothing invented: every channel reported is a phone number that `served`
/// accepts (or the start page's) — no number read out of garbage, digit runs or error pages, no
/// e-mail address, form or chat from a page that has none.
fn expect_only(
    server: &Hostile,
    limit: Duration,
    error: Option<(ErrorKind, &str)>,
    served: impl Fn(&str) -> bool,
) -> Report {
    let (report, took) = scan(server, crawl_options());
    assert!(took < limit, "took {took:?}, more than {limit:?}");
    let invented: Vec<_> = report
        .channels
        .iter()
        .filter(|c| {
            c.phone
                .as_ref()
                .is_none_or(|p| p.e164 != PHONE && !served(&p.e164))
        })
        .map(|c| {
            (
                c.kind,
                c.value.as_str(),
                c.evidence.first().map(|e| e.url.as_str()),
            )
        })
        .collect();
    assert!(
        invented.is_empty(),
        "reported but never served: {invented:?}"
    );
    assert!(
        report
            .channels
            .iter()
            .any(|c| c.phone.as_ref().is_some_and(|p| p.e164 == PHONE)),
        "the start page's phone is lost: {:?} {:?}",
        report.reason,
        report.crawl.errors
    );
    if let Some((kind, on)) = error {
        let origin = server.url("");
        assert!(
            report.crawl.errors.iter().any(|e| e.kind == kind
                && e.url
                    .strip_prefix(&origin)
                    .is_some_and(|p| p.starts_with(on))),
            "no {} error on {on}: {:?}",
            kind.as_str(),
            report.crawl.errors
        );
    }
    report
}

const QUICK: Duration = Duration::from_secs(20);

#[test]
fn a_redirect_loop() {
    let server = site(|path, s| match path {
        "/trap" => {
            respond(s, "301 Moved", &[("Location", "/trap-b")], b"");
            true
        }
        "/trap-b" => {
            respond(s, "302 Found", &[("Location", "/trap")], b"");
            true
        }
        _ => false,
    });
    expect(&server, QUICK, Some((ErrorKind::RedirectLoop, "/trap")));
}

#[test]
fn an_endless_redirect_chain() {
    let server = site(|path, s| {
        let Some(n) = path.strip_prefix("/trap") else {
            return false;
        };
        let next = n.parse::<u64>().unwrap_or(0) + 1;
        respond(
            s,
            "302 Found",
            &[("Location", &format!("/trap{next}"))],
            b"",
        );
        true
    });
    expect(&server, QUICK, Some((ErrorKind::TooManyRedirects, "/trap")));
}

#[test]
fn a_redirect_off_the_site_is_not_followed() {
    let server = site(|path, s| {
        if path != "/trap" {
            return false;
        }
        respond(
            s,
            "302 Found",
            &[("Location", "http://elsewhere.invalid/")],
            b"",
        );
        true
    });
    expect(&server, QUICK, Some((ErrorKind::OffSiteRedirect, "/trap")));
}

/// The start page moves the site, as it may (example.de → example-group.com), but to an address
/// inside the network the audit runs in: every spelling of it is refused before connecting. Only
/// the start's own host and port may be private (`private_start`), so the guard is as a real
/// audit has it for everything the site leads to.
#[test]
fn a_redirect_to_a_private_address_is_refused_before_connecting() {
    let canary = TcpListener::bind("127.0.0.1:0").unwrap();
    canary.set_nonblocking(true).unwrap();
    let port = canary.local_addr().unwrap().port();
    let mut targets = vec![
        format!("http://127.0.0.1:{port}/"),
        // Not an address but a name: the resolver's answer is what gets checked.
        format!("http://localhost:{port}/"),
        format!("http://[::ffff:127.0.0.1]:{port}/"),
        format!("http://[::1]:{port}/"),
        // 127.0.0.1 written as one decimal number and as hex short form.
        format!("http://2130706433:{port}/"),
        format!("http://0x7f.1:{port}/"),
        // Linux connects 0.0.0.0 to the machine itself.
        format!("http://0.0.0.0:{port}/"),
        "http://169.254.169.254/latest/meta-data/".to_owned(),
        "http://10.0.0.1/admin".to_owned(),
        "http://[fd00::1]/".to_owned(),
    ];
    let redirects = Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let redirects_served = redirects.clone();
    let asked = Arc::new(Asked::default());
    let log = asked.clone();
    let server = Hostile::serve(move |path, s| {
        let n: usize = path
            .strip_prefix("/go/")
            .and_then(|n| n.parse().ok())
            .unwrap_or(usize::MAX);
        log.count(path);
        let to = redirects_served.lock().unwrap().get(n).cloned();
        match to {
            Some(to) => respond(s, "302 Found", &[("Location", &to)], b""),
            None => respond(s, "404 Not Found", &[], b""),
        }
    });
    // The start's own server under another name is another origin.
    targets.push(format!("http://localhost:{}/", server.addr.port()));
    redirects.lock().unwrap().clone_from(&targets);
    let guarded = CrawlOptions {
        allow_private: false,
        private_start: true,
        ..crawl_options()
    };
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let rules = Rules::embedded().unwrap();
    for (n, target) in targets.iter().enumerate() {
        let url = server.url(&format!("/go/{n}"));
        let options = AuditOptions {
            crawl: guarded.clone(),
            ..AuditOptions::default()
        };
        let start = Start::from_input(&url).unwrap();
        let report = runtime
            .block_on(audit(&url, &start, &options, &rules))
            .unwrap();
        assert!(!report.evaluated, "{target} was audited");
        assert!(
            report.crawl.pages.is_empty(),
            "{target}: {:?}",
            report.crawl.pages
        );
        let refused = report
            .crawl
            .errors
            .iter()
            .find(|e| e.kind == ErrorKind::RefusedPrivate)
            .unwrap_or_else(|| panic!("{target}: not refused: {:?}", report.crawl.errors));
        // The start itself was asked (its origin may be private); what it led to was refused.
        assert_eq!(asked.times(&format!("/go/{n}")), 1, "{target}: {refused:?}");
        assert!(
            refused.message.contains("--allow-private"),
            "{}",
            refused.message
        );
        assert!(
            report
                .reason
                .as_deref()
                .is_some_and(|r| r.contains("refused_private")),
            "{target}: {:?}",
            report.reason
        );
    }
    assert!(
        matches!(canary.accept(), Err(e) if e.kind() == std::io::ErrorKind::WouldBlock),
        "a redirect reached the address it should have been refused"
    );
}

#[test]
fn headers_that_never_come() {
    let server = site(|path, _| {
        if path != "/trap" {
            return false;
        }
        std::thread::sleep(Duration::from_secs(8));
        true
    });
    expect(&server, QUICK, Some((ErrorKind::Timeout, "/trap")));
}

#[test]
fn a_body_that_drips() {
    let server = site(|path, s| {
        if path != "/trap" {
            return false;
        }
        let _ = s.write_all(
            b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 100000\r\n\r\n",
        );
        for _ in 0..200 {
            if s.write_all(b"<p>").is_err() {
                break;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        true
    });
    expect(&server, QUICK, Some((ErrorKind::Timeout, "/trap")));
}

#[test]
fn a_connection_closed_mid_body() {
    let server = site(|path, s| {
        if path != "/trap" {
            return false;
        }
        let _ = s.write_all(
            b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 100000\r\n\r\n<html><p>cut",
        );
        true
    });
    expect(&server, QUICK, Some((ErrorKind::Body, "/trap")));
}

#[test]
fn a_connection_reset() {
    let server = site(|path, s| {
        if path != "/trap" {
            return false;
        }
        // SO_LINGER 0: closing sends a reset instead of a goodbye.
        let socket = socket2::SockRef::from(&*s);
        let _ = socket.set_linger(Some(Duration::ZERO));
        true
    });
    let report = expect(&server, QUICK, None);
    assert!(
        report
            .crawl
            .errors
            .iter()
            .any(|e| e.url.ends_with("/trap")
                && matches!(e.kind, ErrorKind::Connect | ErrorKind::Body)),
        "{:?}",
        report.crawl.errors
    );
}

#[test]
fn an_endless_chunked_body() {
    let server = site(|path, s| {
        if path != "/trap" {
            return false;
        }
        let _ = s.write_all(
            b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nTransfer-Encoding: chunked\r\n\r\n",
        );
        let chunk = format!("{:x}\r\n{}\r\n", 65_536, "<p>x</p>".repeat(8_192));
        while s.write_all(chunk.as_bytes()).is_ok() {}
        true
    });
    expect(&server, QUICK, Some((ErrorKind::Truncated, "/trap")));
}

#[test]
fn a_body_larger_than_it_is_worth() {
    let server = site(|path, s| {
        if path != "/trap" {
            return false;
        }
        let _ = s.write_all(
            b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 10000000000\r\n\r\n",
        );
        let block = "<p>x</p>".repeat(8_192);
        while s.write_all(block.as_bytes()).is_ok() {}
        true
    });
    expect(&server, QUICK, Some((ErrorKind::Truncated, "/trap")));
}

/// 64 MiB of `<p>` compressed to some 64 KiB.
fn bomb(deflate: bool) -> Vec<u8> {
    let block = "<p>a</p>".repeat(8_192);
    if deflate {
        let mut e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
        for _ in 0..1_024 {
            e.write_all(block.as_bytes()).unwrap();
        }
        e.finish().unwrap()
    } else {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        for _ in 0..1_024 {
            e.write_all(block.as_bytes()).unwrap();
        }
        e.finish().unwrap()
    }
}

#[test]
fn compression_bombs() {
    let brotli = std::fs::read(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/hostile/bomb-1gib.br"),
    )
    .unwrap();
    for (encoding, body) in [
        ("gzip", bomb(false)),
        ("deflate", bomb(true)),
        ("br", brotli),
    ] {
        let body = Arc::new(body);
        let server = site(move |path, s| {
            if path != "/trap" {
                return false;
            }
            respond(
                s,
                "200 OK",
                &[
                    ("Content-Type", "text/html"),
                    ("Content-Encoding", encoding),
                ],
                &body,
            );
            true
        });
        expect(&server, QUICK, Some((ErrorKind::Truncated, "/trap")));
    }
}

#[test]
fn malformed_status_lines_and_headers() {
    let answers: [&[u8]; 5] = [
        b"HTTP/1.1 abc\r\n\r\n",
        b"hello, world\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 50\r\n\r\nhello",
        b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nBad Header Without Colon\r\n\r\n<p>x</p>",
        b"HTTP/1.1 999 Whatever\r\nContent-Length: 0\r\n\r\n",
    ];
    for answer in answers {
        let server = site(move |path, s| {
            if path != "/trap" {
                return false;
            }
            let _ = s.write_all(answer);
            true
        });
        let report = expect(&server, QUICK, None);
        assert!(
            report.crawl.errors.iter().any(|e| e.url.ends_with("/trap")),
            "{}: {:?}",
            String::from_utf8_lossy(answer),
            report.crawl.errors
        );
    }
}

#[test]
fn a_header_of_a_megabyte() {
    let server = site(|path, s| {
        if path != "/trap" {
            return false;
        }
        let cookie = "a".repeat(1 << 20);
        let _ = s.write_all(
            format!("HTTP/1.1 200 OK\r\nSet-Cookie: {cookie}\r\nContent-Length: 0\r\n\r\n")
                .as_bytes(),
        );
        true
    });
    let report = expect(&server, QUICK, None);
    assert!(
        report.crawl.errors.iter().any(|e| e.url.ends_with("/trap")),
        "{:?}",
        report.crawl.errors
    );
}

#[test]
fn ten_thousand_links() {
    let server = site(|path, s| match path {
        "/trap" => {
            let links: String = (0..10_000)
                .map(|i| format!("<a href=\"/p{i}\">Seite {i}</a> "))
                .collect();
            html(s, &format!("<html><body>{links}</body></html>"));
            true
        }
        p if p.starts_with("/p") => {
            html(s, "<html><body><p>nichts</p></body></html>");
            true
        }
        _ => false,
    });
    let report = expect(&server, QUICK, None);
    assert!(report.crawl.pages.len() <= 20, "the page budget holds");
}

#[test]
fn broken_encodings_still_show_the_number() {
    // Invalid UTF-8 declared as UTF-8, binary garbage declared as HTML, and UTF-16LE without a
    // byte order mark declared in the header.
    let page =
        "<html><body><p>Service: <a href=\"tel:+4930901821\">030 901821</a></p></body></html>";
    let mut invalid = b"<html><body>\xff\xfe\xc3\x28 ".to_vec();
    invalid.extend_from_slice(page.as_bytes());
    let utf16: Vec<u8> = page.encode_utf16().flat_map(u16::to_le_bytes).collect();
    let mut garbage: Vec<u8> = (0..1_000_000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    garbage.extend_from_slice(page.as_bytes());
    for (charset, body) in [("utf-8", invalid), ("utf-16le", utf16), ("utf-8", garbage)] {
        let body = Arc::new(body);
        let server = site(move |path, s| {
            if path != "/trap" {
                return false;
            }
            let content_type = format!("text/html; charset={charset}");
            respond(s, "200 OK", &[("Content-Type", &content_type)], &body);
            true
        });
        let report = expect(&server, QUICK, None);
        assert!(
            report
                .channels
                .iter()
                .any(|c| c.phone.as_ref().is_some_and(|p| p.e164 == "+4930901821")),
            "{charset}: the number on the page is lost"
        );
    }
}

#[test]
fn a_calendar_without_end() {
    let server = site(|path, s| {
        let Some(rest) = path.strip_prefix("/trap") else {
            return false;
        };
        let month: u32 = rest
            .trim_matches('/')
            .rsplit('-')
            .next()
            .and_then(|m| m.parse().ok())
            .unwrap_or(0);
        let (year, next) = (2024 + (month + 1) / 12, (month + 1) % 12 + 1);
        html(
            s,
            &format!(
                "<html><body><h1>Programm</h1><a href=\"/trap/{year}-{next:02}/\">nächster Monat</a></body></html>"
            ),
        );
        true
    });
    let report = expect(&server, QUICK, None);
    assert!(
        report
            .crawl
            .traps
            .iter()
            .any(|t| t.pattern.starts_with("/trap/{date}")),
        "the month pages are held back as a family: {:?}",
        report.crawl.traps
    );
}

#[test]
fn robots_txt_that_fails_disallows_everything() {
    let server = site(|path, s| {
        if path != "/robots.txt" {
            return false;
        }
        respond(s, "503 Service Unavailable", &[], b"busy");
        true
    });
    let (report, took) = scan(&server, crawl_options());
    assert!(took < QUICK);
    assert!(!report.evaluated);
    assert!(
        report
            .crawl
            .errors
            .iter()
            .any(|e| e.kind == ErrorKind::RobotsUnavailable),
        "{:?}",
        report.crawl.errors
    );
}

#[test]
fn robots_txt_huge_looping_or_binary() {
    let huge: String = (0..400_000).map(|i| format!("Disallow: /x{i}\n")).collect();
    let huge = Arc::new(format!("User-agent: *\n{huge}"));
    let server = site(move |path, s| {
        if path != "/robots.txt" {
            return false;
        }
        respond(
            s,
            "200 OK",
            &[("Content-Type", "text/plain")],
            huge.as_bytes(),
        );
        true
    });
    expect(&server, QUICK, None);

    let server = site(|path, s| {
        if path != "/robots.txt" {
            return false;
        }
        respond(s, "301 Moved", &[("Location", "/robots.txt")], b"");
        true
    });
    expect(&server, QUICK, None);

    let server = site(|path, s| {
        if path != "/robots.txt" {
            return false;
        }
        let binary: Vec<u8> = (0..100_000u32).map(|i| (i * 7 % 251) as u8).collect();
        respond(
            s,
            "200 OK",
            &[("Content-Type", "application/octet-stream")],
            &binary,
        );
        true
    });
    expect(&server, QUICK, None);
}

#[test]
fn an_absurd_crawl_delay_is_capped_and_said() {
    let server = site(|path, s| {
        if path != "/robots.txt" {
            return false;
        }
        respond(s, "200 OK", &[], b"User-agent: *\nCrawl-delay: 86400\n");
        true
    });
    let crawl = CrawlOptions {
        // The rate the test runs at is not the point: the cap is.
        rate: Some(4.0),
        max_crawl_delay: Duration::from_millis(500),
        max_pages: 3,
        ..crawl_options()
    };
    let (report, took) = scan(&server, crawl);
    assert!(took < QUICK, "{took:?}");
    assert!(
        report
            .crawl
            .errors
            .iter()
            .any(|e| e.kind == ErrorKind::CrawlDelayCapped && e.message.contains("86400")),
        "{:?}",
        report.crawl.errors
    );
    assert_eq!(
        report.crawl.limits.rate,
        Some(2.0),
        "the capped delay sets the rate used"
    );
}

#[test]
fn sitemap_bombs_and_index_loops() {
    let urls: String = (0..200_000)
        .map(|i| format!("<url><loc>/s{i}</loc></url>"))
        .collect();
    let big = Arc::new(format!(
        "<?xml version=\"1.0\"?><urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">{urls}</urlset>"
    ));
    let server = site(move |path, s| match path {
        "/sitemap.xml" => {
            respond(
                s,
                "200 OK",
                &[("Content-Type", "application/xml")],
                big.as_bytes(),
            );
            true
        }
        p if p.starts_with("/s") => {
            html(s, "<html><body>x</body></html>");
            true
        }
        _ => false,
    });
    let report = expect(&server, QUICK, None);
    assert!(report.crawl.pages.len() <= 20);

    let server = site(|path, s| {
        if path != "/sitemap.xml" {
            return false;
        }
        respond(
            s,
            "200 OK",
            &[("Content-Type", "application/xml")],
            b"<?xml version=\"1.0\"?><sitemapindex xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\"><sitemap><loc>/sitemap.xml</loc></sitemap></sitemapindex>",
        );
        true
    });
    expect(&server, QUICK, None);
}

#[test]
fn errors_on_every_page_but_the_start() {
    let server = Hostile::serve(|path, s| match path {
        "/" => html(
            s,
            &START.replace(
                "</body>",
                "<a href=\"/a\">a</a><a href=\"/b\">b</a><a href=\"/c\">c</a></body>",
            ),
        ),
        "/robots.txt" => respond(s, "404 Not Found", &[], b""),
        "/a" => respond(s, "500 Internal Server Error", &[], b"boom"),
        "/b" => respond(
            s,
            "429 Too Many Requests",
            &[("Retry-After", "1")],
            b"slow down",
        ),
        _ => respond(
            s,
            "503 Service Unavailable",
            &[("Retry-After", "999999")],
            b"",
        ),
    });
    let report = expect(&server, QUICK, Some((ErrorKind::HttpStatus, "/a")));
    for path in ["/b", "/c", "/trap"] {
        assert!(
            report.crawl.errors.iter().any(|e| e.url.ends_with(path)),
            "{path}: {:?}",
            report.crawl.errors
        );
    }
}

#[test]
fn deep_nesting_and_wide_pages_finish() {
    let deep = format!(
        "<html><body>{}<a href=\"tel:+4930901822\">030 901822</a>{}</body></html>",
        "<div>".repeat(10_000),
        "</div>".repeat(10_000)
    );
    let inline = format!(
        "<html><body><p>{}</p></body></html>",
        "<b><i><span>".repeat(3_000)
    );
    let siblings = format!("<html><body>{}</body></html>", "<p>x</p>".repeat(100_000));
    for body in [deep, inline, siblings] {
        serve_and_expect(body, Duration::from_secs(60), |n| n == "+4930901822");
    }
}

fn serve_and_expect(body: String, limit: Duration, served: impl Fn(&str) -> bool) {
    let body = Arc::new(body);
    let server = site(move |path, s| {
        if path != "/trap" {
            return false;
        }
        html(s, &body);
        true
    });
    expect_only(&server, limit, None, served);
}

#[test]
fn many_tel_links_and_digit_runs_finish() {
    let tel_links: String = (0..10_000)
        .map(|i| format!("<a href=\"tel:+49309{i:06}\">x</a>"))
        .collect();
    let digits = "12 34 56 78 90 / ".repeat(60_000);
    let linked = |n: &str| {
        n.strip_prefix("+49309")
            .and_then(|i| i.parse::<u32>().ok())
            .is_some_and(|i| i < 10_000)
    };
    serve_and_expect(
        format!("<html><body>{tel_links}</body></html>"),
        Duration::from_secs(60),
        linked,
    );
    // Digit runs are not numbers: nothing but the start page's is reported.
    serve_and_expect(
        format!("<html><body><p>{digits}</p></body></html>"),
        Duration::from_secs(60),
        |_| false,
    );
}

#[test]
fn a_page_over_its_budget_is_cut_short_and_the_crawl_goes_on() {
    // A megabyte of tel: links in one paragraph takes a debug build longer than the budget.
    let links: String = (0..30_000)
        .map(|i| format!("<a href=\"tel:+49309{i:06}\">030 9{i:06}</a> "))
        .collect();
    let trap = Arc::new(format!(
        "<html><body><a href=\"/kontakt\">Kontakt</a><p>{links}</p></body></html>"
    ));
    let server = site(move |path, s| match path {
        "/trap" => {
            html(s, &trap);
            true
        }
        "/kontakt" => {
            html(
                s,
                "<html><body><p>Service: <a href=\"tel:+4930901829\">030 901829</a></p></body></html>",
            );
            true
        }
        _ => false,
    });
    let budget = Duration::from_millis(200);
    let (report, took) = scan(
        &server,
        CrawlOptions {
            page_budget: Some(budget),
            ..crawl_options()
        },
    );
    assert!(took < QUICK, "took {took:?}");
    let page = |path: &str| {
        report
            .crawl
            .pages
            .iter()
            .find(|p| p.url.ends_with(path))
            .unwrap_or_else(|| panic!("{path} not fetched: {:?}", report.crawl.pages))
    };
    let cut = page("/trap");
    assert!(cut.truncated);
    assert_eq!(
        cut.truncated_by,
        Some(reachaudit::model::Truncation::Budget)
    );
    assert!(
        report
            .crawl
            .errors
            .iter()
            .any(|e| e.kind == ErrorKind::PageBudget && e.url.ends_with("/trap")),
        "{:?}",
        report.crawl.errors
    );
    // The links of the cut page were still followed, and the pages after it read whole.
    assert_eq!(page("/kontakt").truncated_by, None);
    for phone in [PHONE, "+4930901829"] {
        assert!(
            report
                .channels
                .iter()
                .any(|c| c.phone.as_ref().is_some_and(|p| p.e164 == phone)),
            "{phone} lost"
        );
    }
    assert_eq!(report.crawl.limits.page_budget_secs, Some(0.2));
}

#[test]
fn retry_after_is_honoured_up_to_the_cap() {
    let asked = Arc::new(std::sync::atomic::AtomicU32::new(0));
    let counter = asked.clone();
    let server = Hostile::serve(move |path, s| match path {
        "/" => html(
            s,
            &START.replace(
                "</body>",
                "<a href=\"/busy\">b</a><a href=\"/later\">l</a></body>",
            ),
        ),
        // Busy once, asking for a second's patience; then it answers.
        "/busy" if counter.fetch_add(1, Ordering::SeqCst) == 0 => respond(
            s,
            "429 Too Many Requests",
            &[("Retry-After", "1")],
            b"slow down",
        ),
        "/busy" => html(
            s,
            "<html><body><p>Hotline <a href=\"tel:+4930901828\">030 901828</a></p></body></html>",
        ),
        "/later" => respond(
            s,
            "503 Service Unavailable",
            &[("Retry-After", "Fri, 31 Dec 2100 23:59:59 GMT")],
            b"",
        ),
        _ => respond(s, "404 Not Found", &[], b""),
    });
    let (report, took) = scan(&server, crawl_options());
    assert!(
        took >= Duration::from_secs(1) && took < QUICK,
        "took {took:?}"
    );
    assert_eq!(asked.load(Ordering::SeqCst), 2, "asked /busy once more");
    assert!(
        report
            .channels
            .iter()
            .any(|c| c.phone.as_ref().is_some_and(|p| p.e164 == "+4930901828")),
        "the page that answered on the second try was read"
    );
    let later = report
        .crawl
        .errors
        .iter()
        .find(|e| e.url.ends_with("/later"))
        .expect("the 503 is reported");
    assert!(
        later.message.contains("longer than the 30 s cap") && later.message.contains("not retried"),
        "{}",
        later.message
    );
}

/// Counts requests per path.
#[derive(Default)]
struct Asked(std::sync::Mutex<std::collections::HashMap<String, u32>>);

impl Asked {
    /// Counts this request; returns how often the path was asked before.
    fn count(&self, path: &str) -> u32 {
        let mut asked = self.0.lock().unwrap();
        let n = asked.entry(path.to_owned()).or_default();
        *n += 1;
        *n - 1
    }

    fn times(&self, path: &str) -> u32 {
        self.0.lock().unwrap().get(path).copied().unwrap_or(0)
    }
}

/// The start page with links to `/p1` … `/p<n>`.
fn start_with_pages(n: usize) -> String {
    let links: String = (1..=n)
        .map(|i| format!("<a href=\"/p{i}\">{i}</a>"))
        .collect();
    START.replace("</body>", &format!("{links}</body>"))
}

fn has_phone(report: &Report, e164: &str) -> bool {
    report
        .channels
        .iter()
        .any(|c| c.phone.as_ref().is_some_and(|p| p.e164 == e164))
}

/// A site whose start page links to `/p1` … `/p10` (and `/trap`), every one of them answering
/// 429, with `retry_after` if given; returns the times each page was asked.
fn busy_site(retry_after: Option<&'static str>) -> (Hostile, Arc<std::sync::Mutex<Vec<Instant>>>) {
    let asked = Arc::new(std::sync::Mutex::new(Vec::new()));
    let log = asked.clone();
    let start = start_with_pages(10);
    let server = Hostile::serve(move |path, s| match path {
        "/" => html(s, &start),
        p if p.starts_with("/p") || p == "/trap" => {
            log.lock().unwrap().push(Instant::now());
            let headers: Vec<(&str, &str)> =
                retry_after.iter().map(|v| ("Retry-After", *v)).collect();
            respond(s, "429 Too Many Requests", &headers, b"slow down");
        }
        _ => respond(s, "404 Not Found", &[], b""),
    });
    (server, asked)
}

fn slowed_down(report: &Report) -> Vec<&str> {
    report
        .crawl
        .errors
        .iter()
        .filter(|e| e.kind == ErrorKind::SlowedDown)
        .map(|e| e.message.as_str())
        .collect()
}

fn left_alone(report: &Report) -> usize {
    report
        .crawl
        .skipped
        .iter()
        .filter(|s| s.reason == reachaudit::model::SkipReason::HostBusy)
        .count()
}

/// A host that answers 429 to every page, whatever the pace: the crawl slows down, waits for one
/// Retry-After, and after three busy answers in a row asks for nothing more.
#[test]
fn a_host_that_stays_busy_is_slowed_down_then_left_alone() {
    let (server, asked) = busy_site(Some("1"));
    let crawl = CrawlOptions {
        max_crawl_delay: Duration::from_secs(1),
        ..crawl_options()
    };
    let (report, took) = scan(&server, crawl);
    assert!(took < QUICK, "took {took:?}");
    assert!(has_phone(&report, PHONE), "{:?}", report.crawl.errors);
    assert_eq!(
        asked.lock().unwrap().len(),
        3,
        "two asks of the first page, one of the next, then none"
    );
    let notes = slowed_down(&report);
    assert!(
        notes.iter().any(|m| m.contains("at most once every 1 s")),
        "{notes:?}"
    );
    assert_eq!(
        notes
            .iter()
            .filter(|m| m.contains("3 times in a row"))
            .count(),
        1,
        "{notes:?}"
    );
    // Two of the eleven pages asked (the first twice); the other nine left.
    assert_eq!(left_alone(&report), 9, "{:?}", report.crawl.skipped);
    assert_eq!(
        report.crawl.limits.rate,
        Some(1.0),
        "the rate used is reported"
    );
}

/// Without a Retry-After the crawl still backs off: the requests after a 429 come one, then
/// two seconds apart, not at the old pace.
#[test]
fn a_busy_answer_without_retry_after_slows_the_host_down() {
    let (server, asked) = busy_site(None);
    let (report, took) = scan(&server, crawl_options());
    assert!(took < QUICK, "took {took:?}");
    assert!(has_phone(&report, PHONE));
    let asked = asked.lock().unwrap().clone();
    assert_eq!(asked.len(), 3, "three busy answers, then none");
    let gaps: Vec<Duration> = asked.windows(2).map(|w| w[1] - w[0]).collect();
    assert!(
        gaps[0] >= Duration::from_millis(950) && gaps[1] >= Duration::from_millis(1950),
        "{gaps:?}"
    );
    let notes = slowed_down(&report);
    assert!(
        notes.iter().any(|m| m.contains("at most once every 1 s"))
            && notes.iter().any(|m| m.contains("at most once every 2 s")),
        "{notes:?}"
    );
    // Three of the eleven pages asked once each; the other eight left.
    assert_eq!(left_alone(&report), 8, "{:?}", report.crawl.skipped);
}

/// Each page is busy once and asks for a second: the crawl waits twice (its budget is twice
/// `--max-crawl-delay`), then reports the rest instead of waiting on.
#[test]
fn retry_after_waits_have_a_budget_per_crawl() {
    let asked = Arc::new(Asked::default());
    let log = asked.clone();
    let start = start_with_pages(3);
    let server = Hostile::serve(move |path, s| {
        let before = log.count(path);
        match path {
            "/" => html(s, &start),
            p if p.starts_with("/p") && before == 0 => {
                respond(s, "503 Service Unavailable", &[("Retry-After", "1")], b"")
            }
            p if p.starts_with("/p") => html(s, "<html><body><p>ok</p></body></html>"),
            _ => respond(s, "404 Not Found", &[], b""),
        }
    });
    let crawl = CrawlOptions {
        max_crawl_delay: Duration::from_secs(1),
        ..crawl_options()
    };
    let (report, took) = scan(&server, crawl);
    assert!(
        took >= Duration::from_secs(2) && took < QUICK,
        "took {took:?}"
    );
    assert!(has_phone(&report, PHONE));
    let twice = (1..=3)
        .filter(|i| asked.times(&format!("/p{i}")) == 2)
        .count();
    let once: Vec<_> = (1..=3)
        .filter(|i| asked.times(&format!("/p{i}")) == 1)
        .collect();
    assert_eq!((twice, once.len()), (2, 1), "two retried, one not");
    let unretried = report
        .crawl
        .errors
        .iter()
        .find(|e| e.url.ends_with(&format!("/p{}", once[0])) && e.kind == ErrorKind::HttpStatus)
        .expect("the page not retried is reported");
    assert!(
        unretried
            .message
            .contains("spent its 2 s for Retry-After waits"),
        "{}",
        unretried.message
    );
}

/// Peak resident memory of a whole `reachaudit scan` against the worst bodies a server can
/// send at once (a gigabyte behind Brotli, an endless chunked body, a megabyte of links and a
/// 10 GB Content-Length), read from the kernel's high-water mark of the process.
#[test]
fn memory_stays_bounded_whatever_the_server_sends() {
    let brotli = Arc::new(
        std::fs::read(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/hostile/bomb-1gib.br"),
        )
        .unwrap(),
    );
    let links: Arc<String> = Arc::new(
        (0..100_000)
            .map(|i| format!("<a href=\"/p{i}\">{i}</a>"))
            .collect(),
    );
    let server = Hostile::serve(move |path, s| {
        match path {
        "/" => html(
            s,
            &START.replace(
                "</body>",
                "<a href=\"/br\">1</a><a href=\"/chunked\">2</a><a href=\"/links\">3</a><a href=\"/huge\">4</a></body>",
            ),
        ),
        "/br" => respond(
            s,
            "200 OK",
            &[("Content-Type", "text/html"), ("Content-Encoding", "br")],
            &brotli,
        ),
        "/chunked" => {
            let _ = s.write_all(
                b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nTransfer-Encoding: chunked\r\n\r\n",
            );
            let chunk = format!("{:x}\r\n{}\r\n", 65_536, "<p>x</p>".repeat(8_192));
            while s.write_all(chunk.as_bytes()).is_ok() {}
        }
        "/links" => html(s, &format!("<html><body>{links}</body></html>")),
        "/huge" => {
            let _ = s.write_all(
                b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 10000000000\r\n\r\n",
            );
            let block = "<div>".repeat(20_000);
            while s.write_all(block.as_bytes()).is_ok() {}
        }
        _ => respond(s, "404 Not Found", &[], b""),
    }
    });
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_reachaudit"))
        .args([
            "scan",
            &server.url("/"),
            "--allow-private",
            "--max-pages",
            "30",
        ])
        .args(["--rate", "100", "--timeout", "5", "--format", "json"])
        .env("REACHAUDIT_RENDER", "never")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let status = format!("/proc/{}/status", child.id());
    let mut peak_kib = 0u64;
    let began = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if let Some(hwm) = std::fs::read_to_string(&status).ok().and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        }) {
            peak_kib = peak_kib.max(hwm);
        }
        assert!(
            began.elapsed() < Duration::from_secs(120),
            "scan did not finish"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(peak_kib > 0, "no memory reading");
    eprintln!("peak RSS of the scan: {} MiB", peak_kib / 1024);
    assert!(
        peak_kib < 256 * 1024,
        "peak RSS {} MiB, over the 256 MiB bound",
        peak_kib / 1024
    );
}
