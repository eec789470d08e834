//! Batch audits: a list of companies (CSV or a text file of URLs) audited concurrently, each
//! result stored the moment its site finishes, so an interrupted run resumes where it stopped.
//!
//! Each site keeps its own politeness limits (the crawl's per-host rate limit and robots.txt);
//! the concurrency here is across registrable domains, one host at a time. Any number of
//! workers can share a run through the database: each claims domains with a lease (see
//! `store::runs`). One site's failure is recorded with its reason and never stops the batch.

pub mod export;

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::path::Path;
use std::time::{Duration, Instant};

use futures::StreamExt as _;
use futures::stream::FuturesUnordered;

use crate::model::{Company, Report};
use crate::rules::Rules;
use crate::store::runs::{HostGroup, RunProgress};
use crate::store::{RunStore, SiteRow, StoreError, WorkerId};
use crate::{AuditOptions, Start};

/// The default number of sites audited at once.
pub const DEFAULT_CONCURRENCY: usize = 8;

/// A list that cannot be read.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ListError(pub String);

/// One company of the list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// Its place in the list (0-based), the order of every export.
    pub position: usize,
    /// The name from the list, else the URL.
    pub name: String,
    /// What is audited: an `http(s)://` URL (or a local site directory).
    pub url: String,
    /// The `country` column: the default region for its phone numbers.
    pub country: Option<String>,
    /// Every other column (`sector` and whatever the list carries), kept for the exports.
    pub metadata: BTreeMap<String, String>,
}

impl Entry {
    /// The company as reports and exports name it.
    #[must_use]
    pub fn company(&self) -> Company {
        company(&self.name, self.country.clone(), self.metadata.clone())
    }
}

/// A company from its list row: the `sector` column becomes the sector, the rest stay columns.
#[must_use]
pub fn company(
    name: &str,
    country: Option<String>,
    mut columns: BTreeMap<String, String>,
) -> Company {
    Company {
        name: name.to_owned(),
        sector: columns.remove("sector").filter(|s| !s.is_empty()),
        country,
        columns,
    }
}

/// A read list.
#[derive(Debug, Clone)]
pub struct List {
    /// The companies, in order.
    pub entries: Vec<Entry>,
    /// The metadata columns, in the list's order.
    pub columns: Vec<String>,
    /// SHA-256 of the file: the same list resumes the same run.
    pub digest: String,
    /// Lines skipped because their URL came before.
    pub duplicates: Vec<String>,
    /// Lines read other than written (a bare domain taken as its https:// site).
    pub notes: Vec<String>,
}

/// Reads a CSV list (header required, with `name` and `url`; `country`, `sector` and any other
/// columns kept) or a text file with one URL per line (`#` comments).
///
/// # Errors
/// An unreadable file, a CSV without the needed columns, or a line whose URL cannot be audited,
/// each as `FILE:LINE: reason`.
pub fn read_list(path: &Path) -> Result<List, ListError> {
    let shown = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|e| {
        ListError(format!(
            "{shown}: cannot read the list ({e}); give a CSV with name,url columns or a text file of URLs"
        ))
    })?;
    let text = String::from_utf8(bytes.clone()).map_err(|_| {
        ListError(format!(
            "{shown}: not UTF-8 text; save the list as UTF-8 (CSV UTF-8 in spreadsheet programs)"
        ))
    })?;
    let text = text.trim_start_matches('\u{feff}');
    let digest = ring::digest::digest(&ring::digest::SHA256, &bytes)
        .as_ref()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect::<String>();
    let is_csv = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("csv"));
    let mut list = List {
        entries: Vec::new(),
        columns: Vec::new(),
        digest,
        duplicates: Vec::new(),
        notes: Vec::new(),
    };
    let mut seen = HashSet::new();
    let mut push = |list: &mut List, line: usize, mut entry: Entry| -> Result<(), ListError> {
        if let Err(e) = Start::from_input(&entry.url) {
            // A bare domain ("www.tk.de") in a list of companies means their website: read it
            // as https://…/ and keep what the list wrote beside the result.
            let host = entry.url.trim().trim_end_matches('/');
            if crate::looks_like_domain(host) && !host.contains(char::is_whitespace) {
                let url = format!("https://{host}/");
                list.notes
                    .push(format!("{shown}:{line}: {} read as {url}", entry.url));
                entry
                    .metadata
                    .insert("url_as_written".to_owned(), entry.url.clone());
                entry.url = url;
            } else {
                return Err(ListError(format!("{shown}:{line}: {e}")));
            }
        }
        if !seen.insert(entry.url.clone()) {
            list.duplicates
                .push(format!("{shown}:{line}: {} is listed before", entry.url));
            return Ok(());
        }
        list.entries.push(Entry {
            position: list.entries.len(),
            ..entry
        });
        Ok(())
    };
    if is_csv {
        let mut reader = csv::ReaderBuilder::new()
            .flexible(false)
            .from_reader(text.as_bytes());
        let headers: Vec<String> = reader
            .headers()
            .map_err(|e| ListError(format!("{shown}:1: {e}")))?
            .iter()
            .map(|h| h.trim().to_lowercase())
            .collect();
        let col = |name: &str| headers.iter().position(|h| h == name);
        let (Some(name_col), Some(url_col)) = (col("name"), col("url")) else {
            return Err(ListError(format!(
                "{shown}:1: the header needs the columns name and url (found: {}); write name,url[,country,sector] as the first line",
                headers.join(",")
            )));
        };
        let country_col = col("country");
        list.columns = headers
            .iter()
            .enumerate()
            .filter(|(i, _)| ![name_col, url_col].contains(i) && Some(*i) != country_col)
            .map(|(_, h)| h.clone())
            .collect();
        for record in reader.records() {
            let record = record.map_err(|e| {
                let line = e.position().map_or(0, csv::Position::line);
                ListError(format!(
                    "{shown}:{line}: {e}; every row needs as many columns as the header"
                ))
            })?;
            // From the byte offset: the reader's own line count skips blank lines.
            let line = record.position().map_or(0, |p| {
                let mut at = usize::try_from(p.byte()).unwrap_or(0).min(text.len());
                // A record's position can be the blank lines before it.
                while matches!(text.as_bytes().get(at), Some(b'\n' | b'\r')) {
                    at += 1;
                }
                text.as_bytes()[..at]
                    .iter()
                    .filter(|b| **b == b'\n')
                    .count()
                    + 1
            });
            let url = record.get(url_col).unwrap_or_default().trim().to_owned();
            if url.is_empty() && record.iter().all(|c| c.trim().is_empty()) {
                continue;
            }
            if url.is_empty() {
                return Err(ListError(format!(
                    "{shown}:{line}: no url; every row needs one"
                )));
            }
            let name = record.get(name_col).unwrap_or_default().trim().to_owned();
            let metadata = headers
                .iter()
                .enumerate()
                .filter(|(i, _)| ![name_col, url_col].contains(i) && Some(*i) != country_col)
                .map(|(i, h)| {
                    (
                        h.clone(),
                        record.get(i).unwrap_or_default().trim().to_owned(),
                    )
                })
                .collect();
            let country = country_col
                .and_then(|i| record.get(i))
                .map(str::trim)
                .filter(|c| !c.is_empty())
                .map(str::to_uppercase);
            if let Some(c) = &country
                && (c.len() != 2 || !c.chars().all(|ch| ch.is_ascii_alphabetic()))
            {
                return Err(ListError(format!(
                    "{shown}:{line}: country {c:?}: give a two-letter code like DE"
                )));
            }
            push(
                &mut list,
                line,
                Entry {
                    position: 0,
                    name: if name.is_empty() { url.clone() } else { name },
                    url,
                    country,
                    metadata,
                },
            )?;
        }
    } else {
        for (i, line) in text.lines().enumerate() {
            let url = line.split('#').next().unwrap_or_default().trim();
            if url.is_empty() {
                continue;
            }
            push(
                &mut list,
                i + 1,
                Entry {
                    position: 0,
                    name: url.to_owned(),
                    url: url.to_owned(),
                    country: None,
                    metadata: BTreeMap::new(),
                },
            )?;
        }
    }
    if list.entries.is_empty() {
        return Err(ListError(format!(
            "{shown}: no companies in the list; write one URL per line, or a CSV with name,url"
        )));
    }
    Ok(list)
}

/// How one site ended.
#[derive(Debug)]
pub enum Outcome {
    /// Audited (the report may still say it could not be evaluated).
    Audited(Box<Report>),
    /// The audit could not start.
    Failed(String),
}

/// The default lease on a claimed domain: renewed every third of it while the worker crawls;
/// a worker silent for this long is taken for dead and its domain is handed to another.
pub const DEFAULT_LEASE: Duration = Duration::from_secs(300);

/// The list's sites by registrable domain, in list order: the unit workers claim, so one host
/// is crawled by one worker at a time.
#[must_use]
pub fn host_groups(entries: &[Entry]) -> Vec<HostGroup> {
    let mut groups: Vec<HostGroup> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    for entry in entries {
        // A local site directory has no host: it is its own group.
        let domain = url::Url::parse(&entry.url)
            .ok()
            .and_then(|u| crate::crawl::site_of(&u))
            .unwrap_or_else(|| entry.url.clone());
        match index.get(&domain) {
            Some(&i) => groups[i].urls.push(entry.url.clone()),
            None => {
                index.insert(domain.clone(), groups.len());
                groups.push(HostGroup {
                    domain,
                    position: i64::try_from(entry.position).unwrap_or(i64::MAX),
                    urls: vec![entry.url.clone()],
                });
            }
        }
    }
    groups
}

/// A finished site as stored: its report with the list's name and columns, or why it failed.
///
/// # Errors
/// A report that does not serialise (never for reports the audit made).
pub fn site_row(entry: &Entry, outcome: Outcome) -> Result<SiteRow, serde_json::Error> {
    let metadata = serde_json::to_string(&entry.metadata)?;
    let position = i64::try_from(entry.position).unwrap_or(i64::MAX);
    Ok(match outcome {
        Outcome::Audited(mut report) => SiteRow {
            position,
            name: entry.name.clone(),
            url: entry.url.clone(),
            metadata,
            status: if report.evaluated { "done" } else { "failed" }.into(),
            error: report.reason.clone(),
            pages: i64::try_from(report.crawl.pages.len()).unwrap_or(0),
            report: {
                report.company = Some(entry.company());
                Some(serde_json::to_string(&report)?)
            },
        },
        Outcome::Failed(reason) => SiteRow {
            position,
            name: entry.name.clone(),
            url: entry.url.clone(),
            metadata,
            status: "failed".into(),
            error: Some(reason),
            pages: 0,
            report: None,
        },
    })
}

/// Audits one entry of the list, with its country as the default region.
async fn audit<'a>(
    entry: &'a Entry,
    options: &AuditOptions,
    rules: &Rules,
) -> (&'a Entry, Outcome) {
    let outcome = match Start::from_input(&entry.url) {
        Err(e) => Outcome::Failed(e.to_string()),
        Ok(start) => {
            let mut options = options.clone();
            if entry.country.is_some() {
                options.country.clone_from(&entry.country);
            }
            match crate::audit(&entry.url, &start, &options, rules).await {
                Ok(report) => Outcome::Audited(Box::new(report)),
                Err(e) => Outcome::Failed(e.to_string()),
            }
        }
    };
    (entry, outcome)
}

/// How often a worker reads the whole run's progress (counting every stored site is not free
/// on a run of 100,000).
const PROGRESS_EVERY: Duration = Duration::from_secs(2);

/// What a worker tells its caller as it goes.
#[derive(Debug)]
pub enum Event<'a> {
    /// A site finished and was stored (`stored` is false when another worker had stored it
    /// first, after this one's lease ran out).
    Site {
        /// The list's entry.
        entry: &'a Entry,
        /// As stored.
        row: &'a SiteRow,
        /// Whether this worker's result is the one kept.
        stored: bool,
        /// The whole run, read at most every few seconds (`None` in between).
        run: Option<RunProgress>,
    },
    /// This worker's lease on a domain ran out and another worker took it.
    LeaseLost(&'a str),
    /// Nothing is free to claim; other workers hold the rest of the run.
    Waiting(RunProgress),
}

/// How a worker works a run.
#[derive(Debug, Clone, Copy)]
pub struct Work<'a> {
    /// The shared run.
    pub run_id: i64,
    /// This worker.
    pub worker: &'a WorkerId,
    /// The lease on each claimed domain.
    pub lease: Duration,
    /// Sites audited at once.
    pub concurrency: usize,
}

/// Works a shared run until it is finished: claims free domains (up to `concurrency` at once),
/// audits their sites one after another (one host at a time), stores each result the moment it
/// is ready, renews its leases, and when nothing is free waits for the domains other workers
/// hold, taking over any whose lease runs out. Returns when every domain of the run is done.
///
/// # Errors
/// A database error (the database went away), or what `each` returns: the worker stops there,
/// and everything stored before is kept; its claims run out and other workers take them.
pub async fn work<E: From<StoreError>>(
    store: &RunStore,
    entries: &[Entry],
    plan: Work<'_>,
    options: &AuditOptions,
    rules: &Rules,
    mut each: impl FnMut(Event<'_>) -> Result<(), E>,
) -> Result<(), E> {
    let groups = host_groups(entries);
    let by_domain: HashMap<&str, Vec<&Entry>> = {
        let by_url: HashMap<&str, &Entry> = entries.iter().map(|e| (e.url.as_str(), e)).collect();
        groups
            .iter()
            .map(|g| {
                (
                    g.domain.as_str(),
                    g.urls
                        .iter()
                        .filter_map(|u| by_url.get(u.as_str()).copied())
                        .collect(),
                )
            })
            .collect()
    };
    let domain_of: HashMap<&str, &str> = groups
        .iter()
        .flat_map(|g| g.urls.iter().map(|u| (u.as_str(), g.domain.as_str())))
        .collect();
    // The domains held, each with the sites still to audit after the one running; `None` once
    // the lease was lost to another worker. And the site running for each.
    let mut held: HashMap<String, Option<VecDeque<&Entry>>> = HashMap::new();
    let mut current: HashMap<String, String> = HashMap::new();
    let mut running = FuturesUnordered::new();
    let mut renew = tokio::time::interval(plan.lease / 3);
    renew.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let poll = (plan.lease / 4).clamp(Duration::from_millis(250), Duration::from_secs(5));
    let mut free = true;
    let mut last_read: Option<Instant> = None;
    let mut interrupted = std::pin::pin!(interruption());
    loop {
        while free && held.len() < plan.concurrency.max(1) {
            let Some(claim) = store.claim(plan.run_id, plan.worker, plan.lease).await? else {
                free = false;
                break;
            };
            let Some(sites) = by_domain.get(claim.domain.as_str()) else {
                // Claimed from another list, or by a reachaudit that groups hosts otherwise:
                // auditing nothing and closing it would lose its sites.
                store.release(plan.run_id, plan.worker).await?;
                return Err(StoreError::ListMismatch {
                    run: plan.run_id,
                    domain: claim.domain,
                }
                .into());
            };
            let urls: Vec<String> = sites.iter().map(|e| e.url.clone()).collect();
            let stored = store.stored_among(plan.run_id, &urls).await?;
            let running_url = current.get(&claim.domain);
            let mut queue: VecDeque<&Entry> = sites
                .iter()
                .copied()
                .filter(|e| !stored.contains(&e.url) && Some(&e.url) != running_url)
                .collect();
            if running_url.is_some() {
                // Ours again after its lease ran out while a site of it runs: the rest follows
                // that site, as before.
                held.insert(claim.domain, Some(queue));
                continue;
            }
            match queue.pop_front() {
                Some(first) => {
                    current.insert(claim.domain.clone(), first.url.clone());
                    running.push(audit(first, options, rules));
                    held.insert(claim.domain, Some(queue));
                }
                // Every site stored before (a worker died after its last one).
                None => {
                    store.close(plan.run_id, &claim.domain, plan.worker).await?;
                }
            }
        }
        if running.is_empty() {
            if store.finish(plan.run_id, crate::store::now()).await? {
                return Ok(());
            }
            each(Event::Waiting(
                store.progress(plan.run_id, plan.worker).await?,
            ))?;
            tokio::select! {
                () = tokio::time::sleep(poll) => {}
                () = &mut interrupted => {
                    return Err(StoreError::Interrupted.into());
                }
            }
            free = true;
            continue;
        }
        tokio::select! {
            Some((entry, outcome)) = running.next() => {
                let domain = domain_of.get(entry.url.as_str()).copied().unwrap_or_default();
                current.remove(domain);
                let (mut next, mut lost) = match held.get_mut(domain) {
                    Some(Some(queue)) => (queue.pop_front(), false),
                    _ => (None, true),
                };
                // The next site starts only while the domain is still this worker's: another
                // worker may have taken it over since the last renewal, and may have stored it.
                if next.is_some()
                    && !store.renew(plan.run_id, domain, plan.worker, plan.lease).await?
                {
                    next = None;
                    lost = true;
                    each(Event::LeaseLost(domain))?;
                }
                let row = site_row(entry, outcome)
                    .map_err(|e| StoreError::Report(e.to_string()))?;
                // The domain's last site closes its claim, unless another worker holds it now.
                let closes = (next.is_none() && !lost).then_some(domain);
                let stored = store
                    .record(plan.run_id, &row, plan.worker, closes, crate::store::now())
                    .await?;
                let run = if last_read.is_none_or(|t| t.elapsed() >= PROGRESS_EVERY) {
                    last_read = Some(Instant::now());
                    Some(store.progress(plan.run_id, plan.worker).await?)
                } else {
                    None
                };
                each(Event::Site { entry, row: &row, stored, run })?;
                match next {
                    Some(next) => {
                        current.insert(domain.to_owned(), next.url.clone());
                        running.push(audit(next, options, rules));
                    }
                    None => {
                        held.remove(domain);
                        free = true;
                    }
                }
            }
            _ = renew.tick() => {
                let mut lost = Vec::new();
                for (domain, queue) in &held {
                    if queue.is_some()
                        && !store.renew(plan.run_id, domain, plan.worker, plan.lease).await?
                    {
                        lost.push(domain.clone());
                    }
                }
                for domain in lost {
                    // Another worker has it now: finish the site running (its result is kept
                    // only if stored first), audit no more of it, and leave the claim alone.
                    held.insert(domain.clone(), None);
                    each(Event::LeaseLost(&domain))?;
                }
            }
            () = &mut interrupted => {
                // Handed back at once: other workers (or this command, started again) take the
                // hosts without waiting for the leases to run out.
                store.release(plan.run_id, plan.worker).await?;
                return Err(StoreError::Interrupted.into());
            }
        }
    }
}

/// Ctrl-C or SIGTERM (systemd, Kubernetes): the worker stops and gives its claims back.
async fn interruption() {
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(term) => term,
                Err(_) => {
                    let _ = tokio::signal::ctrl_c().await;
                    return;
                }
            };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_and_text_lists_are_read_and_bad_lines_named() {
        let dir = tempfile::tempdir().unwrap();
        let csv = dir.path().join("kassen.csv");
        std::fs::write(
            &csv,
            "\u{feff}Name,URL,country,sector,Notiz\nAOK Nordlicht,https://www.aok-nord.example/,de,health,\"Zentrale, Kiel\"\n,https://tk.example,,health,\n\nDoppelt,https://tk.example,,health,\n",
        )
        .unwrap();
        let list = read_list(&csv).unwrap();
        assert_eq!(list.entries.len(), 2);
        assert_eq!(list.columns, ["sector", "notiz"]);
        let first = &list.entries[0];
        assert_eq!(
            (first.name.as_str(), first.country.as_deref()),
            ("AOK Nordlicht", Some("DE"))
        );
        assert_eq!(first.metadata["notiz"], "Zentrale, Kiel");
        assert_eq!(list.entries[1].name, "https://tk.example");
        assert_eq!(list.duplicates.len(), 1);
        assert!(list.duplicates[0].contains(":5:"), "{:?}", list.duplicates);

        let txt = dir.path().join("shops.txt");
        std::fs::write(
            &txt,
            "# shops\nhttps://a.example\n\nhttps://b.example # big one\n",
        )
        .unwrap();
        let list = read_list(&txt).unwrap();
        assert_eq!(list.entries.len(), 2);
        assert_eq!(list.entries[1].url, "https://b.example");

        std::fs::write(&csv, "firma,adresse\nA,https://a.example\n").unwrap();
        let err = read_list(&csv).unwrap_err().to_string();
        assert!(
            err.contains("kassen.csv:1:") && err.contains("name and url"),
            "{err}"
        );
        std::fs::write(&csv, "name,url\nA,ftp://a.example\n").unwrap();
        let err = read_list(&csv).unwrap_err().to_string();
        assert!(
            err.contains("kassen.csv:2:") && err.contains("ftp"),
            "{err}"
        );
        std::fs::write(&csv, "name,url,country\nA,https://a.example,Deutschland\n").unwrap();
        let err = read_list(&csv).unwrap_err().to_string();
        assert!(err.contains("two-letter"), "{err}");
    }
}
