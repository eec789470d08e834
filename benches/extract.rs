//! Extraction throughput (MB/s of HTML) on the fixture sites' pages and on one 1 MB page, next to
//! bare HTML parsing (`scraper::Html::parse_document`) of the same bytes, so the cost of
//! extraction on top of parsing can be read off directly:
//! - `parse/…`: parsing only;
//! - `extract/…`: parsing plus every extractor (`reachaudit::extract::page`).

use std::path::Path;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use reachaudit::crawl::PageView;
use reachaudit::extract::{Context, page};
use reachaudit::rules::Rules;
use scraper::Html;
use url::Url;

fn fixture_pages() -> Vec<(Url, String)> {
    fn walk(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "html") {
                out.push(path);
            }
        }
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/sites");
    let mut files = Vec::new();
    walk(&root, &mut files);
    files.sort();
    files
        .into_iter()
        .map(|f| {
            let rel = f
                .strip_prefix(&root)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            let url = Url::parse(&format!("https://site.invalid/{rel}")).unwrap();
            (
                url,
                String::from_utf8_lossy(&std::fs::read(&f).unwrap()).into_owned(),
            )
        })
        .collect()
}

/// A 1 MB page like a big shop category page: navigation, hundreds of product tiles with prices
/// and article numbers (decoys), a footer with every kind of contact detail, inline scripts.
fn big_page() -> String {
    let mut html = String::from(
        "<!doctype html><html lang=de><head><meta charset=utf-8><title>Alle Produkte</title>\
         <script src='https://code.tidio.co/abcdefghijklmnopqrstuvwxyz123456.js'></script></head><body>\
         <nav><a href=/kontakt/>Kontakt</a> <a href=/hilfe/>Hilfe</a> <a href=/impressum/>Impressum</a></nav><main>",
    );
    let mut i = 0;
    while html.len() < 1_000_000 {
        html.push_str(&format!(
            "<div class=tile><h3>Produkt {i}</h3><p>Art.-Nr. 0800{i:06} · Preis 1.{i:03},99 € · \
             lieferbar ab 01.02.2026</p><p>Fragen? Tel. 089 2154 36-{:02} (Mo–Fr 8–20 Uhr)</p>\
             <a href='/p/{i}.html'>Details</a><script>var s{i} = 'x' + '{i}';</script></div>\n",
            i % 100
        ));
        i += 1;
    }
    html.push_str(
        "</main><footer><p>ACME GmbH · Musterstraße 12 · 80331 München</p>\
         <p>service [at] acme [punkt] de · <a href='mailto:info@acme.de'>info@acme.de</a></p>\
         <form action=/kontakt method=post><textarea name=msg></textarea></form></footer></body></html>",
    );
    html
}

fn bench(c: &mut Criterion) {
    let rules = Rules::embedded().unwrap();
    let context = Context {
        rules: &rules,
        country: Some("DE"),
        site_region: None,
        site_lang: None,
        deadline: None,
    };
    let corpus = fixture_pages();
    let bytes: usize = corpus.iter().map(|(_, h)| h.len()).sum();
    let big = big_page();
    let big_url = Url::parse("https://acme.de/produkte/").unwrap();

    let mut group = c.benchmark_group("fixture_pages");
    group.throughput(Throughput::Bytes(bytes as u64));
    group.bench_function("parse", |b| {
        b.iter(|| {
            for (_, html) in &corpus {
                std::hint::black_box(Html::parse_document(html));
            }
        });
    });
    group.bench_function("extract", |b| {
        b.iter(|| {
            let mut found = 0;
            for (url, html) in &corpus {
                let document = Html::parse_document(html);
                let view = PageView {
                    url,
                    document: &document,
                    lang: None,
                    html,
                    rendered: None,
                };
                found += page(&view, &context).observations.len();
            }
            std::hint::black_box(found)
        });
    });
    group.finish();

    let mut group = c.benchmark_group("page_1mb");
    group.throughput(Throughput::Bytes(big.len() as u64));
    group.sample_size(20);
    group.bench_function("parse", |b| {
        b.iter(|| std::hint::black_box(Html::parse_document(&big)));
    });
    group.bench_function("extract", |b| {
        b.iter(|| {
            let document = Html::parse_document(&big);
            let view = PageView {
                url: &big_url,
                document: &document,
                lang: Some("de"),
                html: &big,
                rendered: None,
            };
            std::hint::black_box(page(&view, &context).observations.len())
        });
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
