//! Politeness, limits and failure handling of the crawler, proven from the server's side: what
//! it was asked for, when, with which headers. Each test fails if its mechanism is removed.

mod support;

use std::time::Duration;

use reachaudit::crawl::{CrawlOptions, Start};
use reachaudit::model::{ErrorKind, Report, SkipReason};
use reachaudit::rules::Rules;
use reachaudit::{AuditOptions, audit};
use support::{Fault, TestServer, temp_site};

fn options(tweak: impl FnOnce(&mut CrawlOptions)) -> AuditOptions {
    let mut crawl = CrawlOptions {
        allow_private: true,
        rate: Some(500.0),
        ..CrawlOptions::default()
    };
    tweak(&mut crawl);
    AuditOptions {
        crawl,
        country: Some("DE".into()),
        ..AuditOptions::default()
    }
}

fn run(input: &str, options: &AuditOptions) -> Report {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let start = Start::from_input(input).unwrap();
    runtime
        .block_on(audit(input, &start, options, &Rules::embedded().unwrap()))
        .unwrap()
}

fn has_phone(report: &Report, e164: &str) -> bool {
    report
        .channels
        .iter()
        .any(|c| c.phone.as_ref().is_some_and(|p| p.e164 == e164))
}

fn gaps(server: &TestServer) -> Vec<Duration> {
    let log = server.log();
    log.windows(2).map(|w| w[1].at - w[0].at).collect()
}

#[test]
fn rate_limit_spaces_every_request_to_a_host() {
    let server = TestServer::fixture("acme-shop");
    let report = run(
        &server.url("/"),
        &options(|c| {
            c.rate = Some(5.0);
            c.max_pages = 6;
        }),
    );
    assert!(report.evaluated);
    let gaps = gaps(&server);
    assert!(
        gaps.len() >= 6,
        "robots.txt, sitemap and pages: {:?}",
        server.paths()
    );
    // 5 requests/s = 200 ms apart; the server clock and scheduling allow a little slack.
    for gap in &gaps {
        assert!(
            *gap >= Duration::from_millis(185),
            "requests {gap:?} apart: {gaps:?}"
        );
    }
    assert_eq!(report.crawl.limits.rate, Some(5.0));
}

#[test]
fn crawl_delay_can_only_slow_the_crawl_down() {
    let site = temp_site(&[
        ("robots.txt", "User-agent: *\nCrawl-delay: 1\n"),
        ("index.html", "<a href=/a.html>a</a><a href=/b.html>b</a>"),
        ("a.html", "<p>a</p>"),
        ("b.html", "<p>b</p>"),
    ]);
    let server = TestServer::serve(site.path());
    let report = run(&server.url("/"), &options(|c| c.rate = Some(100.0)));
    assert_eq!(report.crawl.pages.len(), 3);
    let gaps = gaps(&server);
    for gap in &gaps {
        assert!(
            *gap >= Duration::from_millis(950),
            "Crawl-delay 1 ignored: {gaps:?}"
        );
    }
    assert_eq!(report.crawl.limits.rate, Some(1.0));
}

#[test]
fn robots_disallowed_pages_are_never_requested_and_are_reported() {
    let site = temp_site(&[
        (
            "robots.txt",
            "User-agent: *\nDisallow: /intern/\n\nUser-agent: reachaudit\nDisallow: /nur-fuer-bots/\n",
        ),
        (
            "index.html",
            "<a href=/intern/>i</a><a href=/nur-fuer-bots/>n</a><a href=/ok.html>ok</a>",
        ),
        ("intern/index.html", "<a href='tel:+49891234599'>x</a>"),
        (
            "nur-fuer-bots/index.html",
            "<a href='tel:+49891234598'>x</a>",
        ),
        ("ok.html", "<a href='tel:+49891234560'>x</a>"),
    ]);
    let server = TestServer::serve(site.path());
    let report = run(&server.url("/"), &options(|_| {}));
    let paths = server.paths();
    assert!(
        !paths.iter().any(|p| p.starts_with("/nur-fuer-bots")),
        "{paths:?}"
    );
    // Our own group replaces the * group, so /intern/ is allowed for reachaudit.
    assert!(paths.contains(&"/intern/".to_owned()), "{paths:?}");
    assert!(has_phone(&report, "+49891234560"));
    assert!(!has_phone(&report, "+49891234598"));
    assert!(
        report
            .crawl
            .skipped
            .iter()
            .any(|s| s.reason == SkipReason::RobotsTxt && s.url.ends_with("/nur-fuer-bots/"))
    );
    assert_eq!(report.crawl.robots, reachaudit::model::RobotsStatus::Obeyed);
}

#[test]
fn ignoring_robots_is_possible_and_reported() {
    let site = temp_site(&[
        ("robots.txt", "User-agent: *\nDisallow: /\n"),
        ("index.html", "<a href='tel:+49891234560'>x</a>"),
    ]);
    let server = TestServer::serve(site.path());
    let report = run(&server.url("/"), &options(|c| c.ignore_robots = true));
    assert!(report.evaluated);
    assert!(!server.paths().contains(&"/robots.txt".to_owned()));
    assert_eq!(
        report.crawl.robots,
        reachaudit::model::RobotsStatus::Ignored
    );
}

#[test]
fn robots_txt_server_error_means_disallow_all() {
    let site = temp_site(&[("index.html", "<a href='tel:+49891234560'>x</a>")]);
    let server = TestServer::serve(site.path());
    server.fault("/robots.txt", Fault::Status(503));
    let report = run(&server.url("/"), &options(|_| {}));
    assert!(!report.evaluated);
    assert_eq!(server.paths(), ["/robots.txt"]);
    assert!(report.reason.unwrap().contains("robots_unavailable"));
}

#[test]
fn scope_stays_on_the_site_and_follows_apex_to_www() {
    let site = temp_site(&[
        (
            "index.html",
            "<a href=/kontakt/>Kontakt</a><a href='http://localhost:PORT/fremd.html'>x</a><a href='http://shop.acme-shop.de:PORT/shop.html'>Shop</a><a href='https://www.facebook.com/acme'>fb</a>",
        ),
        ("kontakt/index.html", "<a href='tel:+49891234560'>x</a>"),
        ("fremd.html", "<a href='tel:+49891234599'>x</a>"),
        ("shop.html", "<a href='tel:+49891234561'>x</a>"),
    ]);
    let server = TestServer::serve(site.path());
    let port = server.addr.port();
    let index = site.path().join("index.html");
    std::fs::write(
        &index,
        std::fs::read_to_string(&index)
            .unwrap()
            .replace("PORT", &port.to_string()),
    )
    .unwrap();
    server.canonical_host("www.acme-shop.de");
    let mut opts = options(|c| {
        for host in [
            "acme-shop.de",
            "www.acme-shop.de",
            "shop.acme-shop.de",
            "localhost",
        ] {
            c.resolve
                .insert(host.into(), vec!["127.0.0.1".parse().unwrap()]);
        }
    });
    opts.country = None;
    let report = run(&format!("http://acme-shop.de:{port}/"), &opts);
    assert_eq!(report.target.site, "acme-shop.de");
    let log = server.log();
    // apex → www (301) stays in scope; a subdomain of the same registrable domain is in scope,
    // canonical-host rules then send it to www; localhost and facebook are other sites.
    assert!(
        log.iter().all(|l| !l.host.starts_with("localhost")),
        "{log:?}"
    );
    assert!(log.iter().any(|l| l.host.starts_with("www.acme-shop.de")));
    assert!(has_phone(&report, "+49891234560"), "{:?}", report.crawl);
    assert!(!has_phone(&report, "+49891234599"));
    assert!(report.crawl.pages.iter().all(|p| {
        p.url
            .starts_with(&format!("http://www.acme-shop.de:{port}/"))
    }));
}

#[test]
fn private_addresses_are_refused_by_resolved_address() {
    let site = temp_site(&[("index.html", "<p>x</p>")]);
    let server = TestServer::serve(site.path());
    let port = server.addr.port();
    let no_private = |c: &mut CrawlOptions| {
        c.allow_private = false;
        c.resolve.insert(
            "www.acme-shop.de".into(),
            vec!["127.0.0.1".parse().unwrap()],
        );
    };
    for target in [
        server.url("/"),
        format!("http://localhost:{port}/"),
        format!("http://www.acme-shop.de:{port}/"),
    ] {
        let report = run(&target, &options(no_private));
        assert!(!report.evaluated, "{target}");
        let reason = report.reason.unwrap();
        assert!(
            reason.contains("refused_private") && reason.contains("--allow-private"),
            "{reason}"
        );
    }
    assert!(
        server.log().is_empty(),
        "no request may reach a private address"
    );
}

#[test]
fn page_limit_bounds_the_crawl_and_lists_what_was_left() {
    let server = TestServer::fixture("acme-shop");
    let report = run(&server.url("/"), &options(|c| c.max_pages = 3));
    let pages: Vec<_> = server
        .paths()
        .into_iter()
        .filter(|p| p != "/robots.txt" && !p.ends_with(".xml"))
        .collect();
    assert!(
        pages.len() <= 4,
        "3 pages (+1 redirect hop at most): {pages:?}"
    );
    assert_eq!(report.crawl.pages.len(), 3);
    assert!(
        report
            .crawl
            .skipped
            .iter()
            .any(|s| s.reason == SkipReason::MaxPages)
    );
}

/// A redirect that lands on a page already being fetched yields no page, so it must not use up
/// the page budget: the sitemap lists `/kontakt/` while the start page links `/kontakt`, both are
/// fetched at once, and the second joins the first.
#[test]
fn a_redirect_joining_a_page_in_flight_does_not_use_up_the_page_budget() {
    let site = temp_site(&[
        ("robots.txt", "Sitemap: http://SITE_ORIGIN/sitemap.xml\n"),
        (
            "sitemap.xml",
            "<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\"><url><loc>http://SITE_ORIGIN/kontakt/</loc></url></urlset>",
        ),
        (
            "index.html",
            "<a href=/kontakt>Kontakt</a><a href=/a.html>A</a><a href=/b.html>B</a>",
        ),
        ("kontakt/index.html", "<a href='tel:+49891234560'>x</a>"),
        ("a.html", "<p>a</p>"),
        ("b.html", "<p>b</p>"),
    ]);
    let server = TestServer::serve(site.path());
    let report = run(&server.url("/"), &options(|c| c.max_pages = 3));
    assert_eq!(
        report.crawl.pages.len(),
        3,
        "{:?}",
        report
            .crawl
            .pages
            .iter()
            .map(|p| &p.url)
            .collect::<Vec<_>>()
    );
}

#[test]
fn priority_frontier_fetches_contact_pages_first() {
    let mut pages = vec![("index.html".to_owned(), String::new())];
    let mut links = String::new();
    for i in 0..30 {
        links.push_str(&format!("<a href=/produkt-{i}.html>Produkt {i}</a>"));
        pages.push((format!("produkt-{i}.html"), "<p>Sofa</p>".to_owned()));
    }
    links.push_str("<a href=/ueber/seite.html>Kontakt</a>");
    pages.push((
        "ueber/seite.html".into(),
        "<a href='tel:+49891234560'>x</a>".into(),
    ));
    pages[0].1 = links;
    let refs: Vec<(&str, &str)> = pages
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    let site = temp_site(&refs);
    let server = TestServer::serve(site.path());
    let report = run(&server.url("/"), &options(|c| c.max_pages = 3));
    assert!(
        has_phone(&report, "+49891234560"),
        "the contact page must come before 30 product pages"
    );
}

#[test]
fn depth_limit_stops_following_links() {
    let site = temp_site(&[
        ("index.html", "<a href=/a.html>a</a>"),
        ("a.html", "<a href=/b.html>b</a>"),
        (
            "b.html",
            "<a href=/c.html>c</a><a href='tel:+49891234561'>x</a>",
        ),
        ("c.html", "<a href='tel:+49891234560'>x</a>"),
    ]);
    let server = TestServer::serve(site.path());
    let shallow = run(&server.url("/"), &options(|c| c.max_depth = 2));
    assert!(has_phone(&shallow, "+49891234561"));
    assert!(!has_phone(&shallow, "+49891234560"));
    assert!(!server.paths().contains(&"/c.html".to_owned()));
    assert!(
        shallow
            .crawl
            .skipped
            .iter()
            .any(|s| s.reason == SkipReason::MaxDepth && s.url.ends_with("/c.html"))
    );
    let deep = run(&server.url("/"), &options(|c| c.max_depth = 3));
    let channel = deep
        .channels
        .iter()
        .find(|c| c.phone.as_ref().unwrap().e164 == "+49891234560")
        .unwrap();
    assert_eq!(channel.clicks, Some(3));
}

#[test]
fn huge_pages_are_truncated_and_noted() {
    let site = temp_site(&[
        ("index.html", "<a href=/riesig/>gross</a>"),
        ("riesig/index.html", "x"),
    ]);
    let server = TestServer::serve(site.path());
    server.fault("/riesig/", Fault::Huge(3 * 1024 * 1024));
    let report = run(&server.url("/"), &options(|c| c.max_bytes = 1024 * 1024));
    let page = report
        .crawl
        .pages
        .iter()
        .find(|p| p.url.ends_with("/riesig/"))
        .unwrap();
    assert!(page.truncated);
    assert!(
        report
            .crawl
            .errors
            .iter()
            .any(|e| e.kind == ErrorKind::Truncated && e.url.ends_with("/riesig/"))
    );
    assert!(
        has_phone(&report, "+498003301000"),
        "the start of a huge page is still read"
    );
    assert!(
        !has_phone(&report, "+49891234599"),
        "nothing beyond the limit is read"
    );
}

#[test]
fn redirect_limit_and_chains() {
    let site = temp_site(&[
        (
            "index.html",
            "<a href=/kurz.html>k</a><a href=/lang.html>l</a>",
        ),
        ("kurz.html", "<a href='tel:+49891234560'>x</a>"),
        ("lang.html", "<a href='tel:+49891234561'>x</a>"),
    ]);
    let server = TestServer::serve(site.path());
    server.fault("/kurz.html", Fault::RedirectChain(3));
    server.fault("/lang.html", Fault::RedirectChain(12));
    let report = run(&server.url("/"), &options(|c| c.max_redirects = 10));
    assert!(
        has_phone(&report, "+49891234560"),
        "3 redirects are followed"
    );
    assert!(!has_phone(&report, "+49891234561"));
    let error = report
        .crawl
        .errors
        .iter()
        .find(|e| e.kind == ErrorKind::TooManyRedirects)
        .unwrap();
    assert!(error.url.ends_with("/lang.html"), "{error:?}");
    let hops = server
        .paths()
        .iter()
        .filter(|p| p.starts_with("/lang.html"))
        .count();
    assert_eq!(hops, 11, "the first request and 10 redirects, then stop");
}

#[test]
fn slow_pages_time_out_and_errors_do_not_stop_the_crawl() {
    let site = temp_site(&[
        (
            "index.html",
            "<a href=/langsam/>l</a><a href=/kaputt/>k</a><a href=/fehlt/>f</a><a href=/ok.html>o</a>",
        ),
        ("langsam/index.html", "<a href='tel:+49891234599'>x</a>"),
        ("kaputt/index.html", "x"),
        ("ok.html", "<a href='tel:+49891234560'>x</a>"),
    ]);
    let server = TestServer::serve(site.path());
    server.fault("/langsam/", Fault::Delay(Duration::from_secs(3)));
    server.fault("/kaputt/", Fault::Status(500));
    let report = run(
        &server.url("/"),
        &options(|c| c.timeout = Duration::from_millis(800)),
    );
    assert!(report.evaluated);
    assert!(has_phone(&report, "+49891234560"));
    let kinds: Vec<_> = report
        .crawl
        .errors
        .iter()
        .map(|e| {
            (
                e.kind,
                e.url.rsplit('/').nth(1).unwrap_or("").to_owned(),
                e.status,
            )
        })
        .collect();
    assert!(
        kinds.contains(&(ErrorKind::Timeout, "langsam".into(), None)),
        "{kinds:?}"
    );
    assert!(
        kinds.contains(&(ErrorKind::HttpStatus, "kaputt".into(), Some(500))),
        "{kinds:?}"
    );
    assert!(
        kinds.contains(&(ErrorKind::HttpStatus, "fehlt".into(), Some(404))),
        "{kinds:?}"
    );
}

#[test]
fn identifies_itself_and_decodes_gzip() {
    let site = temp_site(&[
        ("index.html", "<a href=/kontakt.html>Kontakt</a>"),
        ("kontakt.html", "<a href='tel:+49891234560'>x</a>"),
    ]);
    let server = TestServer::serve(site.path());
    server.fault("/kontakt.html", Fault::Gzip);
    let report = run(&server.url("/"), &options(|_| {}));
    assert!(
        has_phone(&report, "+49891234560"),
        "gzip body must be decoded"
    );
    let log = server.log();
    let page = log.iter().find(|l| l.path == "/kontakt.html").unwrap();
    assert!(
        page.user_agent.starts_with("reachaudit/0.1.0 (+https://"),
        "{}",
        page.user_agent
    );
    assert!(
        page.accept_encoding.contains("gzip") && page.accept_encoding.contains("br"),
        "{}",
        page.accept_encoding
    );
}

#[test]
fn charsets_from_header_meta_and_sniffing() {
    let site = temp_site(&[
        (
            "index.html",
            "<a href=/a.html>a</a><a href=/b.html>b</a><a href=/c.html>c</a>",
        ),
        (
            "_headers",
            "/a.html\n  Content-Type: text/html; charset=iso-8859-1\n",
        ),
    ]);
    std::fs::write(
        site.path().join("a.html"),
        b"<title>M\xfcnchen \xdcber</title>".as_slice(),
    )
    .unwrap();
    std::fs::write(
        site.path().join("b.html"),
        b"<meta charset=windows-1252><title>K\xf6ln \x80</title>".as_slice(),
    )
    .unwrap();
    std::fs::write(
        site.path().join("c.html"),
        b"<title>Gr\xfc\xdfe</title>".as_slice(),
    )
    .unwrap();
    let server = TestServer::serve(site.path());
    let report = run(&server.url("/"), &options(|_| {}));
    let title = |path: &str| {
        report
            .crawl
            .pages
            .iter()
            .find(|p| p.url.ends_with(path))
            .and_then(|p| p.title.clone())
    };
    assert_eq!(title("/a.html").as_deref(), Some("München Über"));
    assert_eq!(title("/b.html").as_deref(), Some("Köln €"));
    assert_eq!(title("/c.html").as_deref(), Some("Grüße"));
}

#[test]
fn sitemaps_seed_pages_no_link_reaches() {
    let site = temp_site(&[
        ("robots.txt", "Sitemap: http://SITE_ORIGIN/maps/index.xml\n"),
        (
            "maps/index.xml",
            "<sitemapindex><sitemap><loc>http://SITE_ORIGIN/maps/pages.xml</loc></sitemap></sitemapindex>",
        ),
        (
            "maps/pages.xml",
            "<urlset><url><loc>http://SITE_ORIGIN/versteckt/rueckruf.html</loc></url></urlset>",
        ),
        ("index.html", "<p>Willkommen</p>"),
        (
            "versteckt/rueckruf.html",
            "<a href='tel:+49891234560'>x</a>",
        ),
    ]);
    let server = TestServer::serve(site.path());
    let report = run(&server.url("/"), &options(|_| {}));
    let channel = &report.channels[0];
    assert_eq!(channel.clicks, None, "reachable only through the sitemap");
    assert!(
        !server.paths().contains(&"/sitemap.xml".to_owned()),
        "robots.txt named the sitemap"
    );
}

#[test]
fn unreachable_target_is_not_evaluated() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let report = run(
        &format!("http://127.0.0.1:{port}/"),
        &options(|c| c.timeout = Duration::from_secs(2)),
    );
    assert!(!report.evaluated);
    // Words, not library text: what happened, where, what to check.
    let reason = report.reason.unwrap();
    assert!(
        reason.contains(&format!(
            "connection refused by 127.0.0.1:{port} — is the site up?"
        )),
        "{reason}"
    );
    assert!(
        !reason.contains("os error") && !reason.contains("tcp connect error"),
        "{reason}"
    );
    assert!(report.crawl.pages.is_empty());
}
