//! Crawl throughput on a generated site of 2,000 pages (a tree with fan-out 10, a shared nav and
//! footer with tel:/mailto: links, ~6 KB per page), rate limit lifted:
//! - `http_loopback`: the whole pipeline over the loopback test server (8 requests in flight);
//! - `directory`: the same site read from disk, so parsing and extraction alone are measured.
//!
//! Criterion reports elements/s = pages/s.

use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use reachaudit::crawl::{CrawlOptions, Start};
use reachaudit::model::RenderMode;
use reachaudit::rules::Rules;
use reachaudit::{AuditOptions, audit};

#[path = "../tests/support/mod.rs"]
mod support;

const PAGES: usize = 2_000;

fn generate() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let nav: String = [
        "kontakt",
        "impressum",
        "hilfe",
        "agb",
        "datenschutz",
        "ueber-uns",
        "karriere",
        "presse",
    ]
    .iter()
    .map(|p| format!("<li><a href=\"/{p}.html\">{p}</a></li>"))
    .collect();
    let filler = "<p>Unsere Produkte werden in Deutschland gefertigt und mit Sorgfalt verpackt. \
                  Lieferzeiten und Preise finden Sie auf den jeweiligen Produktseiten.</p>\n"
        .repeat(25);
    let page = |i: usize, title: &str| {
        let children: String = (1..=10)
            .map(|k| 10 * i + k)
            .filter(|c| *c < PAGES)
            .map(|c| format!("<li><a href=\"/p/{c}.html\">Produkt {c}</a></li>"))
            .collect();
        format!(
            "<!doctype html><html lang=\"de\"><head><meta charset=\"utf-8\"><title>{title}</title></head>\
             <body><nav><ul>{nav}</ul></nav><main><h1>{title}</h1>{filler}<ul>{children}</ul></main>\
             <footer>Telefon: <a href=\"tel:+49891234560\">089 123456-0</a> · \
             <a href=\"mailto:service@example.de\">service@example.de</a></footer></body></html>"
        )
    };
    std::fs::create_dir_all(dir.path().join("p")).unwrap();
    std::fs::write(dir.path().join("index.html"), page(0, "Start")).unwrap();
    for i in 1..PAGES {
        std::fs::write(
            dir.path().join(format!("p/{i}.html")),
            page(i, &format!("Produkt {i}")),
        )
        .unwrap();
    }
    for name in [
        "kontakt",
        "impressum",
        "hilfe",
        "agb",
        "datenschutz",
        "ueber-uns",
        "karriere",
        "presse",
    ] {
        std::fs::write(dir.path().join(format!("{name}.html")), page(0, name)).unwrap();
    }
    dir
}

fn options() -> AuditOptions {
    AuditOptions {
        crawl: CrawlOptions {
            max_pages: (PAGES + 20) as u32,
            max_depth: 20,
            rate: None,
            host_concurrency: 8,
            allow_private: true,
            ..CrawlOptions::default()
        },
        country: Some("DE".into()),
        ..AuditOptions::default()
    }
}

fn bench(c: &mut Criterion) {
    let site = generate();
    let server = support::TestServer::serve(site.path());
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let rules = Rules::embedded().unwrap();
    let all = options();
    let mut group = c.benchmark_group("crawl_2000_pages");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(40));
    group.throughput(Throughput::Elements(PAGES as u64 + 8));

    let url = server.url("/");
    let start = Start::from_input(&url).unwrap();
    group.bench_function("http_loopback", |b| {
        b.iter(|| {
            let report = runtime.block_on(audit(&url, &start, &all, &rules)).unwrap();
            assert_eq!(report.crawl.pages.len(), PAGES + 8);
        });
    });

    let dir = site.path().to_str().unwrap().to_owned();
    let local = Start::from_input(&dir).unwrap();
    group.bench_function("directory", |b| {
        b.iter(|| {
            let report = runtime.block_on(audit(&dir, &local, &all, &rules)).unwrap();
            assert_eq!(report.crawl.pages.len(), PAGES + 8);
        });
    });
    group.finish();

    // The same site in a headless browser: every page rendered versus none, on the first
    // pages of the crawl (a rendering waits for the page to settle, so 2,000 would take an hour).
    let Ok(browser) = reachaudit::crawl::render::find_browser(None) else {
        eprintln!("no Chromium on PATH: the rendering benchmark is skipped");
        return;
    };
    let renderer = std::sync::Arc::new(
        runtime
            .block_on(reachaudit::crawl::render::Renderer::launch(&browser))
            .unwrap(),
    );
    let mut group = c.benchmark_group("crawl_20_pages");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(60));
    group.throughput(Throughput::Elements(RENDERED_PAGES));
    for mode in [RenderMode::Never, RenderMode::Always] {
        let mut options = self::options();
        options.crawl.max_pages = RENDERED_PAGES as u32;
        options.crawl.host_concurrency = 4;
        options.crawl.render = mode;
        options.crawl.renderer = Some(renderer.clone());
        group.bench_function(format!("render_{mode}"), |b| {
            b.iter(|| {
                let report = runtime
                    .block_on(audit(&url, &start, &options, &rules))
                    .unwrap();
                assert_eq!(report.crawl.pages.len(), RENDERED_PAGES as usize);
            });
        });
    }
    group.finish();
}

/// Pages crawled in the rendering comparison.
const RENDERED_PAGES: u64 = 20;

criterion_group!(benches, bench);
criterion_main!(benches);
