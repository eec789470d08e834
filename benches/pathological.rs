//! Pathological pages: the time to audit one page (decode, depth limit, parse, every extractor,
//! merge, score) as the page grows, to show that no pass is worse than linear in its size.
//! Each shape is measured at sizes ten times apart; a linear pass takes ten times as long at
//! the next size (criterion's throughput column stays flat).
//!
//! - `nested_div/N`: N nested `<div>`s around a phone number;
//! - `nested_inline/N`: N nested `<b>`, `<i>`, `<span>` inside one paragraph;
//! - `siblings/N`: N sibling paragraphs;
//! - `long_line/N`: one line of N bytes of prose without a tag;
//! - `tel_links/N`: N distinct `tel:` links;
//! - `attributes/N`: one element with N attributes;
//! - `digit_runs/N`: N bytes of digit groups and separators, as in a price list gone wrong;
//! - `binary/N`: N bytes of random bytes served as HTML.
//!
//! Pages of more than 100,000 elements are read up to that element (`nested_div/1000000` measures
//! the cut), as the crawler does.
//!
//! `REACHAUDIT_BENCH_ONCE=1 cargo bench --bench pathological` audits each page once and prints
//! the seconds, for a quick look without criterion's repetitions.

use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, Throughput};
use reachaudit::crawl::{CrawlOptions, Start};
use reachaudit::rules::Rules;
use reachaudit::{AuditOptions, audit};

const PHONE: &str = "<p>Kundenservice: Tel. 089 2154 3600</p>";

fn wrap(body: &str) -> String {
    format!(
        "<!doctype html><html lang=de><head><meta charset=utf-8><title>Kontakt</title></head>\
         <body>{PHONE}{body}</body></html>"
    )
}

/// The shapes, each as (name, sizes, page of a size).
#[allow(clippy::type_complexity)]
fn shapes() -> Vec<(&'static str, Vec<usize>, fn(usize) -> Vec<u8>)> {
    vec![
        ("nested_div", vec![10_000, 100_000, 1_000_000], |n| {
            wrap(&format!(
                "{}Tel. 030 1234567{}",
                "<div>".repeat(n),
                "</div>".repeat(n)
            ))
            .into_bytes()
        }),
        ("nested_inline", vec![10_000, 100_000], |n| {
            let open: String = ["<b>", "<i>", "<span>"]
                .iter()
                .cycle()
                .take(n)
                .copied()
                .collect();
            wrap(&format!("<p>{open}Tel. 030 1234567</p>")).into_bytes()
        }),
        ("siblings", vec![10_000, 100_000], |n| {
            wrap(&"<p>Ein Absatz.</p>".repeat(n)).into_bytes()
        }),
        ("long_line", vec![5_000_000, 50_000_000], |n| {
            let words = "Wir beraten Sie gern montags bis freitags ";
            let mut line = words.repeat(n / words.len() + 1);
            line.truncate(n);
            wrap(&format!("<p>{line}</p>")).into_bytes()
        }),
        ("tel_links", vec![1_000, 10_000, 100_000], |n| {
            let links: String = (0..n)
                .map(|i| format!("<a href=\"tel:+4930{i:07}\">030 {i:07}</a> "))
                .collect();
            wrap(&links).into_bytes()
        }),
        ("attributes", vec![10_000, 100_000], |n| {
            let attributes: String = (0..n).map(|i| format!(" data-a{i}=\"x{i}\"")).collect();
            wrap(&format!("<div{attributes}>Tel. 030 1234567</div>")).into_bytes()
        }),
        ("digit_runs", vec![100_000, 1_000_000], |n| {
            let run = "12 34 56 78 90 / 0 12-3 ";
            let mut text = run.repeat(n / run.len() + 1);
            text.truncate(n);
            wrap(&format!("<p>{text}</p>")).into_bytes()
        }),
        ("binary", vec![400_000, 4_000_000], |n| {
            // xorshift: the same bytes on every run.
            let mut state = 0x2545_f491_4f6c_dd1d_u64;
            let mut bytes = Vec::with_capacity(n);
            while bytes.len() < n {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                bytes.extend_from_slice(&state.to_le_bytes());
            }
            bytes.truncate(n);
            bytes
        }),
    ]
}

fn options() -> AuditOptions {
    AuditOptions {
        crawl: CrawlOptions {
            max_bytes: 64 * 1024 * 1024,
            // The passes themselves are measured: no budget cuts them short.
            page_budget: None,
            ..CrawlOptions::default()
        },
        country: Some("DE".into()),
        ..AuditOptions::default()
    }
}

fn audit_once(runtime: &tokio::runtime::Runtime, rules: &Rules, path: &str) -> usize {
    let start = Start::from_input(path).unwrap();
    let report = runtime
        .block_on(audit(path, &start, &options(), rules))
        .unwrap();
    report.channels.len()
}

fn main() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let rules = Rules::embedded().unwrap();
    let dir = tempfile::tempdir().unwrap();
    // `REACHAUDIT_BENCH_ONCE=1`, or `=shape` / `=shape:size` for one page only.
    let once = std::env::var("REACHAUDIT_BENCH_ONCE").ok();
    let mut criterion = Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(5))
        .configure_from_args();
    for (name, sizes, make) in shapes() {
        let mut group = criterion.benchmark_group(name);
        for size in sizes {
            let page = make(size);
            let path = dir.path().join(format!("{name}-{size}.html"));
            std::fs::write(&path, &page).unwrap();
            let path = path.to_str().unwrap().to_owned();
            if let Some(only) = &once {
                let (shape, at) = only.split_once(':').unwrap_or((only, ""));
                if !(only == "1" || shape == name && (at.is_empty() || at == size.to_string())) {
                    continue;
                }
                let started = Instant::now();
                let found = audit_once(&runtime, &rules, &path);
                println!(
                    "{name}/{size}: {:.3} s, {} bytes, {found} channels",
                    started.elapsed().as_secs_f64(),
                    page.len()
                );
                continue;
            }
            group.throughput(Throughput::Bytes(page.len() as u64));
            group.bench_with_input(BenchmarkId::from_parameter(size), &path, |b, path| {
                b.iter(|| audit_once(&runtime, &rules, path));
            });
        }
        group.finish();
    }
    criterion.final_summary();
}
