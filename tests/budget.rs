//! How well the crawl spends its budget: on every fixture site, the requests the crawl needed
//! until it had seen every channel (`found_at_request`), against an oracle that knows the site's
//! files — robots.txt, then the shortest link path from `/` to a page showing each channel (shared
//! steps counted once, redirects counted as the requests they are), plus the sitemap when a
//! channel is only listed there. Prints the table; the mean ratio must stay at or below 1.5 and
//! every site must show all its channels within the default 50 pages. The same sites scanned with
//! `--stop-when-found` show what the early stop saves and what it costs.

mod support;

use std::collections::{BTreeSet, HashMap, HashSet, VecDeque};

use reachaudit::crawl::local::StaticSite;
use reachaudit::crawl::{CrawlOptions, Start};
use reachaudit::model::Report;
use reachaudit::rules::Rules;
use reachaudit::{AuditOptions, audit};
use scraper::{Html, Selector};
use support::{TestServer, fixtures};

const ORIGIN: &str = "http://oracle.invalid";

fn scan(url: &str, max_pages: u32) -> Report {
    scan_with(url, max_pages, false)
}

fn scan_with(url: &str, max_pages: u32, stop_when_found: bool) -> Report {
    let options = AuditOptions {
        crawl: CrawlOptions {
            allow_private: true,
            rate: Some(500.0),
            max_pages,
            max_depth: if max_pages > 50 { 1000 } else { 5 },
            stop_when_found,
            ..CrawlOptions::default()
        },
        ..AuditOptions::default()
    };
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let start = Start::from_input(url).unwrap();
    let rules = Rules::embedded().unwrap();
    runtime
        .block_on(audit(url, &start, &options, &rules))
        .unwrap()
}

fn path_of(url: &str) -> String {
    url::Url::parse(url)
        .map(|u| u.path().to_owned())
        .unwrap_or_default()
}

/// The site's link graph as its files and static rules make it: path → (request cost, next
/// paths). A redirect is a node whose only edge is its target.
fn graph(site: &StaticSite) -> HashMap<String, Vec<String>> {
    let links = Selector::parse("a[href], area[href]").unwrap();
    let base = url::Url::parse(ORIGIN).unwrap();
    let mut graph = HashMap::new();
    let mut queue = VecDeque::from(["/".to_owned()]);
    while let Some(path) = queue.pop_front() {
        if graph.contains_key(&path) || graph.len() > 20_000 {
            continue;
        }
        let response = site.respond(&path, ORIGIN);
        let mut next = Vec::new();
        if (300..400).contains(&response.status) {
            if let Some(to) = response.header("location")
                && let Ok(to) = base.join(&path).and_then(|b| b.join(to))
                && to.origin() == base.origin()
            {
                next.push(to.path().to_owned());
            }
        } else if response.status == 200
            && response
                .header("content-type")
                .is_some_and(|c| c.contains("html"))
        {
            let page = base.join(&path).unwrap();
            let html = String::from_utf8_lossy(&response.body);
            let document = Html::parse_document(&html);
            for a in document.select(&links) {
                if let Some(href) = a.value().attr("href")
                    && let Ok(to) = page.join(href.trim())
                    && to.origin() == base.origin()
                {
                    next.push(to.path().to_owned());
                }
            }
        }
        queue.extend(next.iter().cloned());
        graph.insert(path, next);
    }
    graph
}

/// Requests an ideal crawler needs: robots.txt, every node on the shortest paths to one page of
/// each channel, and the sitemap once if some channel is only there.
fn oracle(graph: &HashMap<String, Vec<String>>, channels: &[BTreeSet<String>]) -> u32 {
    let mut parent: HashMap<&str, Option<&str>> = HashMap::from([("/", None)]);
    let mut queue = VecDeque::from(["/"]);
    while let Some(node) = queue.pop_front() {
        for next in graph.get(node).into_iter().flatten() {
            if !parent.contains_key(next.as_str()) {
                parent.insert(next, Some(node));
                queue.push_back(next);
            }
        }
    }
    let depth = |start: &str| {
        let mut d = 0;
        let mut n = start.to_owned();
        while let Some(Some(p)) = parent.get(n.as_str()) {
            n = (*p).to_owned();
            d += 1;
        }
        d
    };
    let mut needed: HashSet<String> = HashSet::new();
    let mut sitemap_only: HashSet<&str> = HashSet::new();
    for pages in channels {
        match pages
            .iter()
            .filter(|p| parent.contains_key(p.as_str()))
            .min_by_key(|p| depth(p))
        {
            Some(page) => {
                let mut n = page.clone();
                while let Some(Some(p)) = parent.get(n.as_str()) {
                    needed.insert(n);
                    n = (*p).to_owned();
                }
                needed.insert(n);
            }
            None => {
                // One page of those (the sitemap leads to each), shared with other channels.
                if pages.iter().all(|p| !sitemap_only.contains(p.as_str()))
                    && let Some(first) = pages.iter().next()
                {
                    sitemap_only.insert(first);
                }
            }
        }
    }
    let pages = u32::try_from(needed.len() + sitemap_only.len()).unwrap();
    1 + pages + u32::from(!sitemap_only.is_empty())
}

#[test]
fn every_site_shows_its_channels_within_the_budget_and_near_the_oracle() {
    let mut names: Vec<String> = std::fs::read_dir(fixtures())
        .unwrap()
        .filter_map(|e| {
            let e = e.unwrap();
            e.path()
                .join("expected.json")
                .is_file()
                .then(|| e.file_name().to_string_lossy().into_owned())
        })
        .collect();
    names.sort();
    let mut ratios = Vec::new();
    let mut problems = Vec::new();
    let (mut pages, mut pages_early, mut channels_all, mut channels_early) = (0, 0, 0, 0);
    println!(
        "{:<32} {:>8} {:>8} {:>8} {:>6} {:>12} {:>14}",
        "site", "channels", "needed", "oracle", "ratio", "pages/early", "channels/early"
    );
    for name in &names {
        let server = TestServer::fixture(name);
        let report = scan(&server.url("/"), 50);
        // Every page of the site, to know where each channel can be seen.
        let full = scan(&server.url("/"), 5000);
        let channels: Vec<BTreeSet<String>> = full
            .channels
            .iter()
            .map(|c| c.seen_on.iter().map(|u| path_of(u)).collect())
            .collect();
        let found: BTreeSet<String> = report.channels.iter().map(key).collect();
        let missing: Vec<String> = full
            .channels
            .iter()
            .map(key)
            .filter(|k| !found.contains(k))
            .collect();
        if !missing.is_empty() {
            problems.push(format!(
                "{name}: {} of {} channels not seen within 50 pages: {missing:?}",
                missing.len(),
                full.channels.len()
            ));
        }
        let site = StaticSite::open(&fixtures().join(name)).unwrap();
        let oracle = oracle(&graph(&site), &channels);
        let Some(needed) = report.all_found_at_request() else {
            problems.push(format!("{name}: no found_at_request for every channel"));
            continue;
        };
        let ratio = f64::from(needed) / f64::from(oracle);
        let early = scan_with(&server.url("/"), 50, true);
        if early.crawl.pages.len() > report.crawl.pages.len() {
            problems.push(format!("{name}: --stop-when-found fetched more pages"));
        }
        pages += report.crawl.pages.len();
        pages_early += early.crawl.pages.len();
        channels_all += report.channels.len();
        channels_early += early.channels.len();
        println!(
            "{name:<32} {:>8} {needed:>8} {oracle:>8} {ratio:>6.2} {:>12} {:>14}",
            report.channels.len(),
            format!("{}/{}", report.crawl.pages.len(), early.crawl.pages.len()),
            format!("{}/{}", report.channels.len(), early.channels.len()),
        );
        ratios.push(ratio);
    }
    println!(
        "--stop-when-found: {pages_early} of {pages} pages fetched, {channels_early} of {channels_all} channels found"
    );
    let mean = ratios.iter().sum::<f64>() / ratios.len() as f64;
    println!(
        "mean requests-to-all-channels / oracle over {} sites: {mean:.2}",
        ratios.len()
    );
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    assert!(mean <= 1.5, "mean ratio {mean:.2} above 1.5");
}

fn key(c: &reachaudit::model::Channel) -> String {
    format!("{} {}", c.kind.as_str(), c.value.to_lowercase())
}
