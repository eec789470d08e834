//! A run's results as files for publication: JSON Lines (one report per line), one JSON array,
//! a CSV with one row per site and a long CSV with one row per channel. They are written from the
//! store one site at a time, so memory stays flat however long the list, and each file appears
//! whole or not at all (written beside, then renamed).
//!
//! Every CSV cell that a spreadsheet would run as a formula (`= + - @`, tab, CR at the start) is
//! defused, because the text comes from crawled sites; a BOM can be added for spreadsheet programs
//! that otherwise guess the wrong encoding.

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use std::collections::BTreeMap;

use crate::model::{Company, Contact, Report, json_name};
use crate::report::{HtmlReport, SiteSummary};
use crate::rules::Rules;
use crate::store::{Run, RunStore, SiteRow, StoreError};

/// What can go wrong while exporting.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// A file cannot be written.
    #[error("{path}: cannot write it ({source}); check the folder exists and is writable")]
    Write {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The database.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A stored report that does not read back.
    #[error("{0}")]
    Unreadable(String),
}

/// The files to write.
#[derive(Debug, Clone, Default)]
pub struct Exports {
    /// One JSON report per line.
    pub jsonl: Option<PathBuf>,
    /// One JSON array of reports.
    pub json: Option<PathBuf>,
    /// One row per site.
    pub csv: Option<PathBuf>,
    /// One row per channel.
    pub channels: Option<PathBuf>,
    /// The self-contained HTML report.
    pub html: Option<PathBuf>,
    /// The HTML report's heading [default: the list's file name].
    pub title: Option<String>,
    /// Start CSV files with a UTF-8 byte order mark.
    pub bom: bool,
}

pub use crate::report::defuse;

struct Out {
    path: PathBuf,
    w: BufWriter<tempfile::NamedTempFile>,
}

impl Out {
    /// Written to a temporary file of its own beside the target and renamed over it when
    /// complete: a reader never sees half a file, and workers that finish one shared run at the
    /// same moment and write the same path never write into each other's file.
    fn create(path: &Path, bom: bool) -> Result<Self, ExportError> {
        let err = |source| ExportError::Write {
            path: path.to_path_buf(),
            source,
        };
        let dir = path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or_else(|| Path::new("."));
        let name = path
            .file_name()
            .map_or_else(|| "export".into(), |n| n.to_string_lossy().into_owned());
        let prefix = format!(".{name}.");
        let mut builder = tempfile::Builder::new();
        builder.prefix(&prefix).suffix(".partial");
        // As a plain create would make it (the umask applies), not the temporary file's 0600.
        #[cfg(unix)]
        builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o666));
        let tmp = builder.tempfile_in(dir).map_err(err)?;
        let mut w = BufWriter::new(tmp);
        if bom {
            w.write_all("\u{feff}".as_bytes()).map_err(err)?;
        }
        Ok(Self {
            path: path.to_path_buf(),
            w,
        })
    }

    fn write(&mut self, bytes: &[u8]) -> Result<(), ExportError> {
        self.w
            .write_all(bytes)
            .map_err(|source| ExportError::Write {
                path: self.path.clone(),
                source,
            })
    }

    fn finish(self) -> Result<(), ExportError> {
        let err = |source| ExportError::Write {
            path: self.path.clone(),
            source,
        };
        let file = self.w.into_inner().map_err(|e| err(e.into_error()))?;
        file.as_file().sync_all().map_err(err)?;
        file.persist(&self.path).map_err(|e| err(e.error))?;
        Ok(())
    }
}

fn csv_line(cells: &[String]) -> Vec<u8> {
    let mut w = csv::WriterBuilder::new().from_writer(Vec::new());
    let _ = w.write_record(cells.iter().map(|c| defuse(c)));
    w.into_inner().unwrap_or_default()
}

/// The per-site figures of the wide CSV.
const SITE_COLUMNS: &[&str] = &[
    "name",
    "url",
    "status",
    "error",
    "score",
    "grade",
    "has_phone",
    "has_email",
    "has_human_chat",
    "bot_only_chat",
    "premium_hotline",
    "clicks_to_first_human",
    "steps_to_person",
    "path_at_once",
    "path_in_writing",
    "grade_caps",
    "why_not_higher",
    "failed_rules",
    "pages",
];

/// What a run was, in one line for readers: which list, when, with which versions.
#[must_use]
pub fn describe(run: &Run) -> String {
    let when = |t: i64| {
        let iso = mail_parser::DateTime::from_timestamp(t).to_rfc3339();
        iso.get(..16).unwrap_or(&iso).replace('T', " ") + " UTC"
    };
    format!(
        "Run {} of {}, started {}{}; reachaudit {}, rules {}",
        run.id,
        run.list,
        when(run.started_at),
        run.finished_at.map_or_else(
            || ", unfinished".to_owned(),
            |t| format!(", finished {}", when(t))
        ),
        run.tool_version,
        {
            let v = run.rules_version.as_str();
            let hex = v.strip_prefix("sha256:").unwrap_or(v);
            hex.get(..12).unwrap_or(hex)
        }
    )
}

/// The list's view of a stored site: its name, sector, country and other columns.
#[must_use]
pub fn company_of(row: &SiteRow) -> Company {
    let columns: BTreeMap<String, String> = serde_json::from_str(&row.metadata).unwrap_or_default();
    super::company(&row.name, None, columns)
}

/// A stored site's report (`None` when its audit never started), with the list's name and
/// columns when it was stored without them.
///
/// # Errors
/// A stored report that no longer reads as one, named by its place in the list.
pub fn report_of(row: &SiteRow) -> Result<Option<Report>, ExportError> {
    let Some(text) = row.report.as_deref() else {
        return Ok(None);
    };
    let mut report: Report = serde_json::from_str(text).map_err(|e| {
        ExportError::Unreadable(format!(
            "site {} of the run ({}): the stored report cannot be read ({e}); audit it again with batch --rerun",
            row.position + 1,
            row.url
        ))
    })?;
    if report.company.is_none() {
        report.company = Some(company_of(row));
    }
    Ok(Some(report))
}

/// Writes the exports of one run: `rules` give the score categories (columns of the CSV) and
/// the grade bands, `columns` are the list's metadata columns.
///
/// # Errors
/// A file that cannot be written, or a failed query.
pub async fn write(
    store: &RunStore,
    run: &Run,
    exports: &Exports,
    rules: &Rules,
    columns: &[String],
) -> Result<usize, ExportError> {
    let categories: Vec<String> = rules
        .scoring
        .categories
        .iter()
        .map(|c| c.id.clone())
        .collect();
    let categories = categories.as_slice();
    let mut html = exports.html.as_ref().map(|_| {
        let title = exports.title.clone().unwrap_or_else(|| {
            let name = Path::new(&run.list)
                .file_stem()
                .map_or_else(|| run.list.clone(), |s| s.to_string_lossy().into_owned());
            format!("Reachability: {name}")
        });
        let mut page = HtmlReport::new(&title, &describe(run));
        page.grades(rules.scoring.grade_bands());
        page
    });
    let mut jsonl = exports
        .jsonl
        .as_deref()
        .map(|p| Out::create(p, false))
        .transpose()?;
    let mut json = exports
        .json
        .as_deref()
        .map(|p| Out::create(p, false))
        .transpose()?;
    let mut sites = exports
        .csv
        .as_deref()
        .map(|p| Out::create(p, exports.bom))
        .transpose()?;
    let mut channels = exports
        .channels
        .as_deref()
        .map(|p| Out::create(p, exports.bom))
        .transpose()?;
    if let Some(out) = &mut json {
        out.write(b"[")?;
    }
    if let Some(out) = &mut sites {
        let mut header: Vec<String> = SITE_COLUMNS.iter().map(|s| (*s).to_owned()).collect();
        header.extend(categories.iter().map(|c| format!("score_{c}")));
        header.extend(columns.iter().cloned());
        out.write(&csv_line(&header))?;
    }
    if let Some(out) = &mut channels {
        let header = [
            "name",
            "url",
            "kind",
            "value",
            "mode",
            "clicks",
            "phone_type",
            "vendor",
            "evidence_url",
            "owner",
            "owner_name",
        ];
        out.write(&csv_line(&header.map(str::to_owned)))?;
    }
    let mut count = 0;
    // Sites whose audit never started have no report: they are not in the array.
    let mut json_items = 0;
    store
        .each_site(run.id, |row: SiteRow| -> Result<(), ExportError> {
            let report = report_of(&row)?;
            if let Some(page) = &mut html {
                match &report {
                    Some(r) => page.add(r),
                    None => page.add_failed(
                        &company_of(&row),
                        &row.url,
                        row.error.as_deref().unwrap_or("not audited"),
                    ),
                }
            }
            if let (Some(out), Some(text)) = (&mut jsonl, row.report.as_deref()) {
                out.write(text.as_bytes())?;
                out.write(b"\n")?;
            }
            if let (Some(out), Some(text)) = (&mut json, row.report.as_deref()) {
                out.write(if json_items == 0 { b"\n" } else { b",\n" })?;
                json_items += 1;
                out.write(text.as_bytes())?;
            }
            if let Some(out) = &mut sites {
                out.write(&csv_line(&site_cells(
                    &row,
                    report.as_ref(),
                    categories,
                    columns,
                )))?;
            }
            if let (Some(out), Some(r)) = (&mut channels, &report) {
                // The company's channels, then the other organisations' details the site shows,
                // told apart by `owner` ("company" or the kind of organisation).
                for c in r.channels.iter().chain(&r.third_parties) {
                    let cells = [
                        row.name.clone(),
                        row.url.clone(),
                        c.kind.as_str().to_owned(),
                        match &c.phone {
                            Some(_) => crate::report::phone_cell(&c.value),
                            None => c.value.clone(),
                        },
                        json_name(&c.mode),
                        c.clicks.map(|n| n.to_string()).unwrap_or_default(),
                        c.phone
                            .as_ref()
                            .map(|p| json_name(&p.kind))
                            .unwrap_or_default(),
                        c.vendor.clone().unwrap_or_default(),
                        c.evidence
                            .first()
                            .map(|e| e.url.clone())
                            .unwrap_or_default(),
                        c.owner.kind.as_str().to_owned(),
                        c.owner.name.clone().unwrap_or_default(),
                    ];
                    out.write(&csv_line(&cells))?;
                }
            }
            count += 1;
            Ok(())
        })
        .await?;
    if let Some(out) = &mut json {
        out.write(b"\n]\n")?;
    }
    if let (Some(path), Some(page)) = (&exports.html, html) {
        // The second pass: each site's evidence streamed from the store to the file.
        let mut out = Out::create(path, false)?;
        let err = |source| ExportError::Write {
            path: path.clone(),
            source,
        };
        page.write_start(&mut out.w).map_err(err)?;
        let mut index = 0;
        store
            .each_site(run.id, |row: SiteRow| -> Result<(), ExportError> {
                page.write_site(index, report_of(&row)?.as_ref(), &mut out.w)
                    .map_err(err)?;
                index += 1;
                Ok(())
            })
            .await?;
        page.write_end(&mut out.w).map_err(err)?;
        out.finish()?;
    }
    for out in [jsonl, json, sites, channels].into_iter().flatten() {
        out.finish()?;
    }
    Ok(count)
}

/// The summary line of one of a site's customer paths.
fn path_of(s: &SiteSummary, contact: Contact) -> String {
    s.paths
        .iter()
        .find(|p| p.contact == contact && !p.announced)
        .map(|p| p.summary.clone())
        .unwrap_or_default()
}

fn site_cells(
    row: &SiteRow,
    report: Option<&Report>,
    categories: &[String],
    columns: &[String],
) -> Vec<String> {
    let yes = |b: bool| if b { "yes" } else { "no" }.to_owned();
    let opt = |v: Option<u32>| v.map(|n| n.to_string()).unwrap_or_default();
    let mut cells = vec![
        row.name.clone(),
        row.url.clone(),
        row.status.clone(),
        row.error.clone().unwrap_or_default(),
    ];
    match report.filter(|r| r.evaluated).map(SiteSummary::of) {
        Some(s) => {
            cells.extend([
                opt(s.total),
                s.grade.clone().unwrap_or_default(),
                yes(s.has_phone),
                yes(s.has_email),
                yes(s.has_human_chat),
                yes(s.bot_only_chat),
                yes(s.premium_hotline),
                opt(s.clicks_to_human),
                opt(s.steps_to_person),
                path_of(&s, Contact::AtOnce),
                path_of(&s, Contact::InWriting),
                s.caps.join(" "),
                report
                    .map(|r| {
                        r.score
                            .categories
                            .iter()
                            .filter_map(|c| {
                                c.why_not_higher.as_ref().map(|w| format!("{}: {w}", c.id))
                            })
                            .collect::<Vec<_>>()
                            .join(" | ")
                    })
                    .unwrap_or_default(),
                s.failed_rules.len().to_string(),
                row.pages.to_string(),
            ]);
            for id in categories {
                cells.push(opt(s.categories.get(id).copied().flatten()));
            }
        }
        None => {
            cells.extend(std::iter::repeat_n(String::new(), SITE_COLUMNS.len() - 5));
            cells.push(row.pages.to_string());
            cells.extend(std::iter::repeat_n(String::new(), categories.len()));
        }
    }
    let metadata: BTreeMap<String, String> =
        serde_json::from_str(&row.metadata).unwrap_or_default();
    for c in columns {
        cells.push(metadata.get(c).cloned().unwrap_or_default());
    }
    cells
}
