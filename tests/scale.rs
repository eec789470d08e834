//! A batch over 500 synthetic company sites, each on its own loopback port (its own host as far
//! as politeness goes), all served by one server in this process. It checks that every site is
//! stored, and that memory stays flat as the list grows: the batch streams results into SQLite
//! and out to the exports instead of holding every report.
//!
//! Prints sites per minute and peak memory (VmHWM) for a small and the large list; the closing
//! notes quote them. `REACHAUDIT_SCALE_SITES=2000 cargo test --release --test scale -- --nocapture`
//! measures a longer list.

#[path = "support/memory.rs"]
mod memory;
use memory::peak_kib;

#[path = "support/ports.rs"]
mod ports;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Text a company site has besides its contacts, so pages weigh what real ones do (~6 KB).
const FILLER: &str = "Unsere Produkte werden in Deutschland gefertigt und geprüft. Wir liefern innerhalb von drei Werktagen, versandkostenfrei ab 50 Euro. ";

fn page(title: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html><html lang=\"de\"><head><meta charset=\"utf-8\"><title>{title}</title></head><body><header><nav><a href=\"/\">Start</a> <a href=\"/produkte.html\">Produkte</a> <a href=\"/kontakt.html\">Kontakt</a> <a href=\"/impressum.html\">Impressum</a></nav></header><main>{body}<section>{}</section></main><footer><a href=\"/impressum.html\">Impressum</a> · <a href=\"/kontakt.html\">Kontakt</a></footer></body></html>",
        FILLER.repeat(40)
    )
}

/// Site `i`: a home page, products, contact and imprint; every seventh has a premium hotline,
/// every third no e-mail address, so rankings and exports have something to tell apart.
fn site_page(i: usize, path: &str) -> Option<String> {
    let name = format!("Firma {i:04} GmbH");
    Some(match path {
        "/robots.txt" => "User-agent: *\nAllow: /\n".to_owned(),
        "/" | "/index.html" => page(
            &name,
            &format!(
                "<h1>{name}</h1><p>Willkommen. Fragen? <a href=\"/kontakt.html\">Kontakt</a></p>"
            ),
        ),
        "/produkte.html" => page(
            "Produkte",
            "<h1>Produkte</h1><p>Werkzeug, Garten, Haushalt.</p>",
        ),
        "/kontakt.html" => {
            let mut body = format!(
                "<h1>Kontakt</h1><p>Kundenservice: <a href=\"tel:+4989{:07}\">089 {:07}</a> (Mo–Fr 8–18 Uhr)</p>",
                2_000_000 + i,
                2_000_000 + i
            );
            if !i.is_multiple_of(3) {
                body.push_str(&format!(
                    "<p>E-Mail: <a href=\"mailto:service@firma{i}.example\">service@firma{i}.example</a></p>"
                ));
            }
            if i.is_multiple_of(7) {
                body.push_str(
                    "<p>Technik-Hotline: 0900 5 123456 (1,99 €/Min. aus dem dt. Festnetz)</p>",
                );
            }
            page("Kontakt", &body)
        }
        "/impressum.html" => page(
            "Impressum",
            &format!(
                "<h1>Impressum</h1><p>Angaben gemäß § 5 DDG</p><p>{name}<br>Musterweg {}<br>80331 München</p><p>Telefon: 089 {:07}</p>",
                i % 200 + 1,
                2_000_000 + i
            ),
        ),
        _ => return None,
    })
}

/// One server for all sites: a listener per site on 127.0.0.1, the port telling which site.
struct Sites {
    urls: Vec<String>,
}

fn serve(count: usize) -> Sites {
    Sites {
        urls: ports::serve(count, Duration::ZERO, site_page).homes,
    }
}

/// Requests per second per site: fast by default, `REACHAUDIT_SCALE_RATE=2` for the polite
/// default of real runs.
fn rate() -> String {
    std::env::var("REACHAUDIT_SCALE_RATE").unwrap_or_else(|_| "200".to_owned())
}

struct Measured {
    sites: usize,
    pages: usize,
    secs: f64,
    peak_kib: u64,
}

/// Runs a batch over the first `count` URLs and measures it.
fn batch(urls: &[String], dir: &std::path::Path, tag: &str) -> Measured {
    let list = dir.join(format!("{tag}.txt"));
    std::fs::write(&list, urls.join("\n")).unwrap();
    let csv = dir.join(format!("{tag}.csv"));
    let html = dir.join(format!("{tag}.html"));
    let started = Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_reachaudit"))
        .env("REACHAUDIT_RENDER", "never")
        .args([
            "batch",
            list.to_str().unwrap(),
            "--allow-private",
            "--rate",
            &rate(),
        ])
        .args(["--concurrency", "16", "--db"])
        .arg(dir.join(format!("{tag}.db")))
        .arg("-o")
        .arg(format!("csv={}", csv.display()))
        .arg("-o")
        .arg(format!("html={}", html.display()))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id();
    let stderr = child.stderr.take().unwrap();
    // Drained on a thread so the child never blocks on a full pipe.
    let log = std::thread::spawn(move || std::io::read_to_string(stderr).unwrap_or_default());
    let mut peak = 0;
    let status = loop {
        if let Some(kib) = peak_kib(pid) {
            peak = peak.max(kib);
        }
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(
            started.elapsed() < Duration::from_secs(900),
            "the batch of {} sites did not finish within 15 minutes",
            urls.len()
        );
        std::thread::sleep(Duration::from_millis(10));
    };
    let secs = started.elapsed().as_secs_f64();
    let log = log.join().unwrap();
    assert!(status.success(), "batch failed:\n{log}");
    let mut reader = csv::Reader::from_path(&csv).unwrap();
    let headers = reader.headers().unwrap().clone();
    let status_col = headers.iter().position(|h| h == "status").unwrap();
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), urls.len(), "one row per site");
    let pages_col = headers.iter().position(|h| h == "pages").unwrap();
    let pages: usize = rows
        .iter()
        .map(|r| r[pages_col].parse::<usize>().unwrap())
        .sum();
    let failed: Vec<_> = rows.iter().filter(|r| &r[status_col] != "done").collect();
    assert!(failed.is_empty(), "sites failed: {failed:?}");
    let page = std::fs::read_to_string(&html).unwrap();
    assert_eq!(page.matches("<section class=\"site\"").count(), urls.len());
    Measured {
        sites: urls.len(),
        pages,
        secs,
        peak_kib: peak,
    }
}

#[test]
fn a_batch_of_500_sites_finishes_with_flat_memory() {
    let count: usize = std::env::var("REACHAUDIT_SCALE_SITES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(500)
        .max(500);
    let sites = serve(count);
    let dir = tempfile::tempdir().unwrap();
    let small = batch(&sites.urls[..count / 5], dir.path(), "small");
    let large = batch(&sites.urls, dir.path(), "large");
    for m in [&small, &large] {
        #[allow(clippy::cast_precision_loss)]
        let per_min = m.sites as f64 / m.secs * 60.0;
        eprintln!(
            "scale: {} sites ({} pages) in {:.1} s = {per_min:.0} sites/min at --rate {}, peak memory {:.1} MiB",
            m.sites,
            m.pages,
            m.secs,
            rate(),
            m.peak_kib as f64 / 1024.0
        );
    }
    // Five times the sites: memory may grow by the small summary each site leaves for the
    // ranking (a few KB), never by whole reports or evidence pages (tens of KB each; holding the
    // HTML's evidence pages made it grow by 14 MiB here).
    let allowed = small.peak_kib + small.peak_kib / 8 + (large.sites - small.sites) as u64 * 4;
    assert!(
        large.peak_kib <= allowed,
        "memory grew with the list: {} KiB for {} sites, {} KiB for {} (allowed {allowed})",
        small.peak_kib,
        small.sites,
        large.peak_kib,
        large.sites
    );
}
