//! Batch audits: a list of companies (CSV or a text file of URLs) audited concurrently, each
//! result stored the moment its site finishes, so an interrupted run resumes where it stopped.
//!
//! Each site keeps its own politeness limits (the crawl's per-host rate limit and robots.txt);
//! the concurrency here is across sites, which are different hosts. One site's failure is recorded
//! with its reason and never stops the batch.

pub mod export;

use std::collections::{BTreeMap, HashSet};
use std::path::Path;

use futures::StreamExt as _;

use crate::model::{Company, Report};
use crate::rules::Rules;
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

/// Audits the entries not in `skip`, `concurrency` at a time, handing each result to `each` as
/// soon as it is ready (in finishing order).
///
/// # Errors
/// What `each` returns: the batch stops there, and everything handed over before is kept.
pub async fn run<E>(
    entries: &[Entry],
    skip: &HashSet<String>,
    options: &AuditOptions,
    rules: &Rules,
    concurrency: usize,
    mut each: impl FnMut(&Entry, Outcome) -> Result<(), E>,
) -> Result<(), E> {
    let todo = entries.iter().filter(|e| !skip.contains(&e.url));
    let mut results = futures::stream::iter(todo)
        .map(|entry| async move {
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
        })
        .buffer_unordered(concurrency.max(1));
    while let Some((entry, outcome)) = results.next().await {
        each(entry, outcome)?;
    }
    Ok(())
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
