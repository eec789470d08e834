//! `reachaudit report`: saved results (JSON, JSON Lines, or a batch run in the database)
//! rendered again, as HTML for publishing or any other format, and two runs compared.

use std::io::BufRead as _;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result, bail};

use super::Exit;
use super::args::ReportArgs;
use crate::batch::export::{company_of, describe, report_of};
use crate::model::{Company, Report};
use crate::report::{Comparison, Format, HtmlReport, SiteSummary, renderer};
use crate::store::{Database, Run, RunStore, SiteRow};

/// One site as read back: a report, or a site whose audit never started.
enum Item {
    Report(Box<Report>),
    Failed {
        company: Company,
        url: String,
        reason: String,
    },
}

/// Where results come from.
enum Source {
    /// A JSON report, an array of them, or JSON Lines.
    File(PathBuf),
    /// A batch run in the database.
    Run { db: Database, run: Run },
}

impl Source {
    fn label(&self) -> String {
        match self {
            Self::File(p) => p.display().to_string(),
            Self::Run { run, .. } => describe(run),
        }
    }

    /// Hands over one site at a time; JSON Lines and runs are streamed, never held whole.
    fn each(&self, each: &mut dyn FnMut(Item) -> Result<()>) -> Result<usize> {
        let mut count = 0;
        match self {
            Self::File(path) if is_jsonl(path) => {
                let shown = path.display();
                let file = std::fs::File::open(path).with_context(|| {
                    format!("{shown}: cannot read it; give a file batch -o jsonl=… wrote")
                })?;
                for (i, line) in std::io::BufReader::new(file).lines().enumerate() {
                    let line =
                        line.with_context(|| format!("{shown}:{}: cannot read it", i + 1))?;
                    if line.trim().is_empty() {
                        continue;
                    }
                    let report: Report = serde_json::from_str(&line).map_err(|e| {
                        anyhow::anyhow!(
                            "{shown}:{}: not a reachaudit report ({e}); each line must be one report, as batch -o jsonl=… writes",
                            i + 1
                        )
                    })?;
                    each(Item::Report(Box::new(report)))?;
                    count += 1;
                }
            }
            Self::File(path) => {
                for report in super::options::read_reports(path, "")?.1 {
                    each(Item::Report(Box::new(report)))?;
                    count += 1;
                }
            }
            Self::Run { db, run } => {
                let db = RunsDb::open(db)?;
                db.each_site(run.id, |row| -> Result<()> {
                    count += 1;
                    match report_of(&row)? {
                        Some(r) => each(Item::Report(Box::new(r))),
                        None => each(Item::Failed {
                            company: company_of(&row),
                            reason: row.error.clone().unwrap_or_else(|| "not audited".into()),
                            url: row.url,
                        }),
                    }
                })?;
            }
        }
        Ok(count)
    }
}

fn is_jsonl(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("jsonl") || e.eq_ignore_ascii_case("ndjson"))
}

/// A batch database opened for reading, with the runtime that drives a PostgreSQL connection.
struct RunsDb {
    runtime: tokio::runtime::Runtime,
    store: RunStore,
    shown: String,
}

impl RunsDb {
    /// Opens the database, which reading must never create.
    fn open(db: &Database) -> Result<Self> {
        if let Database::Sqlite(path) = db
            && !path.is_file()
        {
            bail!(
                "{}: no batch database there; run `reachaudit batch LIST` first, or pass --db FILE|URL",
                path.display()
            );
        }
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .context("cannot start the async runtime")?;
        let shown = db.shown();
        let store = runtime
            .block_on(RunStore::open_existing(db))
            .map_err(|e| super::batch::name_db(e.into(), &shown))?;
        Ok(Self {
            runtime,
            store,
            shown,
        })
    }

    fn runs(&self) -> Result<Vec<Run>> {
        self.runtime
            .block_on(self.store.runs(None))
            .map_err(|e| super::batch::name_db(e.into(), &self.shown))
    }

    fn site_counts(&self, run: i64) -> Result<(i64, i64)> {
        self.runtime
            .block_on(self.store.site_counts(run))
            .map_err(|e| super::batch::name_db(e.into(), &self.shown))
    }

    fn each_site(&self, run: i64, each: impl FnMut(SiteRow) -> Result<()>) -> Result<()> {
        self.runtime
            .block_on(self.store.each_site(run, each))
            .map_err(|e| super::batch::name_db(e, &self.shown))
    }
}

/// A run by id, or `latest`.
fn find_run(db: &Database, id: &str) -> Result<Run> {
    let runs = RunsDb::open(db)?.runs()?;
    let found = if id.eq_ignore_ascii_case("latest") {
        runs.into_iter().next_back()
    } else {
        let n: i64 = id.parse().map_err(|_| {
            anyhow::anyhow!("run {id}: give a run id (a number) or latest; `reachaudit report --runs` lists them")
        })?;
        runs.into_iter().find(|r| r.id == n)
    };
    found.ok_or_else(|| {
        anyhow::anyhow!(
            "run {id}: not in {}; `reachaudit report --runs` lists the runs there",
            db.shown()
        )
    })
}

/// `3`, `latest` → a run in the database; anything else is a file.
fn source(spec: &str, db: &Database) -> Result<Source> {
    if spec.eq_ignore_ascii_case("latest") || spec.chars().all(|c| c.is_ascii_digit()) {
        Ok(Source::Run {
            db: db.clone(),
            run: find_run(db, spec)?,
        })
    } else {
        let path = PathBuf::from(spec);
        if !path.is_file() {
            bail!("{spec}: no such file; give a run id, latest, or a file of saved results");
        }
        Ok(Source::File(path))
    }
}

/// An `--output` value: `FORMAT=PATH` (the format, if named), the path, and its extension in
/// lower case.
fn output_spec(o: &str) -> (Option<&str>, PathBuf, Option<String>) {
    let (named, path) = match o
        .split_once('=')
        .filter(|(f, p)| !p.is_empty() && !f.contains(['/', '.']))
    {
        Some((f, p)) => (Some(f), PathBuf::from(p)),
        None => (None, PathBuf::from(o)),
    };
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    (named, path, ext)
}

/// What to write where: `-o PATH` takes --format or the file's extension; `-o FMT=PATH` names
/// it; nothing means standard output.
fn targets(a: &ReportArgs) -> Result<Vec<(Format, Option<PathBuf>)>> {
    let default = a
        .format
        .as_deref()
        .map(|f| {
            f.parse::<Format>()
                .map_err(|e| anyhow::anyhow!("--format {f}: {e}"))
        })
        .transpose()?;
    if a.output.is_empty() {
        return Ok(vec![(default.unwrap_or(Format::Text), None)]);
    }
    a.output
        .iter()
        .map(|o| {
            let (named, path, ext) = output_spec(o);
            if let Some(f) = named {
                let format = f
                    .parse::<Format>()
                    .map_err(|e| anyhow::anyhow!("--output {o}: {e}"))?;
                return Ok((format, Some(path)));
            }
            let by_ext = match ext.as_deref() {
                Some("html" | "htm") => Some(Format::Html),
                Some("json") => Some(Format::Json),
                Some("md") => Some(Format::Markdown),
                Some("sarif") => Some(Format::Sarif),
                Some("txt") => Some(Format::Text),
                _ => None,
            };
            match default.or(by_ext) {
                Some(f) => Ok((f, Some(path))),
                None if o.to_ascii_lowercase().ends_with(".csv") => bail!(
                    "--output {o}: reports are not CSV; `batch -o csv={o}` writes the ranking as CSV, `report --compare A B -o {o}` the changes"
                ),
                None => {
                    bail!("--output {o}: say which format, with --format FMT or --output FMT={o}")
                }
            }
        })
        .collect()
}

/// Writes to standard output, or to `path` whole or not at all.
fn write_with(
    path: Option<&Path>,
    write: &mut dyn FnMut(&mut dyn std::io::Write) -> Result<()>,
) -> Result<()> {
    use std::io::Write as _;
    let Some(path) = path else {
        let stdout = std::io::stdout();
        let mut out = std::io::BufWriter::new(stdout.lock());
        let result = write(&mut out).and_then(|()| Ok(out.flush()?));
        // A closed pipe (`| head`) is the reader's choice, not a failure.
        return match result {
            Err(e)
                if e.downcast_ref::<std::io::Error>()
                    .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe) =>
            {
                Ok(())
            }
            other => other.context("cannot write to standard output"),
        };
    };
    super::write_file(path, write).with_context(|| {
        format!(
            "{}: cannot write it; check the folder exists and is writable",
            path.display()
        )
    })
}

pub(super) fn run(a: ReportArgs) -> Result<Exit> {
    // The database and its password as batch finds them ([batch] in ./reachaudit.toml).
    let cfg = super::config::load(None, false)?
        .map(|loaded| loaded.batch())
        .unwrap_or_default();
    let db = super::batch::database(a.db.as_deref(), &cfg)?;
    if a.runs {
        return list_runs(&db);
    }
    if !a.compare.is_empty() {
        return compare(&a, &db);
    }
    let mut sources: Vec<Source> = a.inputs.iter().map(|p| Source::File(p.clone())).collect();
    for p in &a.inputs {
        if !p.is_file() {
            bail!(
                "{}: no such file; give saved results (REPORT.json, results.jsonl) or --run ID",
                p.display()
            );
        }
    }
    if let Some(id) = &a.run {
        sources.push(Source::Run {
            db: db.clone(),
            run: find_run(&db, id)?,
        });
    }
    if sources.is_empty() {
        bail!(
            "nothing to report: give saved results (REPORT.json, results.jsonl) or --run ID (`reachaudit report --runs` lists them)"
        );
    }
    let rules = crate::rules::Rules::load(a.rules.as_deref())?;
    for (format, path) in targets(&a)? {
        let mut count = 0;
        let mut left_out = 0;
        let nothing = |sources: &[Source]| {
            let names: Vec<String> = sources.iter().map(Source::label).collect();
            anyhow::anyhow!("no sites in {}; nothing to report", names.join(", "))
        };
        if format == Format::Html {
            let about: Vec<String> = sources.iter().map(Source::label).collect();
            let title = a
                .title
                .clone()
                .unwrap_or_else(|| "Reachability report".to_owned());
            let mut page = HtmlReport::new(&title, &about.join(" · "));
            page.grades(rules.scoring.grade_bands());
            for s in &sources {
                count += s.each(&mut |item| {
                    match item {
                        Item::Report(r) => page.add(&r),
                        Item::Failed {
                            company,
                            url,
                            reason,
                        } => page.add_failed(&company, &url, &reason),
                    }
                    Ok(())
                })?;
            }
            if count == 0 {
                return Err(nothing(&sources));
            }
            // The second pass streams each site's evidence instead of keeping it.
            write_with(path.as_deref(), &mut |out| {
                page.write_start(out)?;
                let mut index = 0;
                for s in &sources {
                    s.each(&mut |item| {
                        let report = match &item {
                            Item::Report(r) => Some(r.as_ref()),
                            Item::Failed { .. } => None,
                        };
                        page.write_site(index, report, out)?;
                        index += 1;
                        Ok(())
                    })?;
                }
                Ok(page.write_end(out)?)
            })?;
        } else {
            let mut reports = Vec::new();
            for s in &sources {
                count += s.each(&mut |item| {
                    if let Item::Report(r) = item {
                        reports.push(*r);
                    }
                    Ok(())
                })?;
            }
            if count == 0 {
                return Err(nothing(&sources));
            }
            left_out = count - reports.len();
            let text = renderer(format).render(&reports);
            write_with(path.as_deref(), &mut |out| {
                Ok(out.write_all(text.as_bytes())?)
            })?;
        }
        if let Some(p) = &path {
            eprintln!(
                "reachaudit: wrote {} site(s) as {format} to {}{}",
                count - left_out,
                p.display(),
                if left_out > 0 {
                    format!(
                        "; {left_out} whose audit never started have no report (they are in the HTML report and the batch CSV)"
                    )
                } else {
                    String::new()
                }
            );
        }
    }
    Ok(Exit::Ok)
}

fn summaries(s: &Source) -> Result<Vec<SiteSummary>> {
    let mut out = Vec::new();
    s.each(&mut |item| {
        out.push(match item {
            Item::Report(r) => SiteSummary::of(&r),
            Item::Failed {
                company,
                url,
                reason,
            } => SiteSummary::failed(&company, &url, &reason),
        });
        Ok(())
    })?;
    Ok(out)
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum CompareFormat {
    Text,
    Json,
    Csv,
}

fn compare(a: &ReportArgs, db: &Database) -> Result<Exit> {
    let [before, after] = a.compare.as_slice() else {
        bail!("--compare needs two runs: --compare RUN_A RUN_B");
    };
    let (before, after) = (source(before, db)?, source(after, db)?);
    let (sa, sb) = (summaries(&before)?, summaries(&after)?);
    let comparison = Comparison::new(&before.label(), &sa, &after.label(), &sb);
    let parse = |f: &str| -> Result<CompareFormat> {
        Ok(match f.trim().to_ascii_lowercase().as_str() {
            "text" => CompareFormat::Text,
            "json" => CompareFormat::Json,
            "csv" => CompareFormat::Csv,
            _ => bail!("a comparison is text, json or csv"),
        })
    };
    let default = a
        .format
        .as_deref()
        .map(|f| parse(f).map_err(|e| anyhow::anyhow!("--format {f}: {e}")))
        .transpose()?;
    let mut outs: Vec<(CompareFormat, Option<PathBuf>)> = Vec::new();
    for o in &a.output {
        let (named, p, ext) = output_spec(o);
        let f = named
            .map(|f| parse(f).map_err(|e| anyhow::anyhow!("--output {o}: {e}")))
            .transpose()?;
        let by_ext = match ext.as_deref() {
            Some("json") => Some(CompareFormat::Json),
            Some("csv") => Some(CompareFormat::Csv),
            Some("txt") => Some(CompareFormat::Text),
            _ => None,
        };
        let Some(f) = f.or(default).or(by_ext) else {
            bail!(
                "--output {o}: say which format, with --format text|json|csv or --output csv={o}"
            );
        };
        outs.push((f, Some(p)));
    }
    if outs.is_empty() {
        outs.push((default.unwrap_or(CompareFormat::Text), None));
    }
    for (f, path) in outs {
        let text = match f {
            CompareFormat::Text => comparison.text(),
            CompareFormat::Json => serde_json::to_string_pretty(&comparison)? + "\n",
            CompareFormat::Csv => comparison.csv(),
        };
        write_with(path.as_deref(), &mut |out| {
            Ok(out.write_all(text.as_bytes())?)
        })?;
    }
    Ok(Exit::Ok)
}

fn list_runs(db: &Database) -> Result<Exit> {
    let store = RunsDb::open(db)?;
    let runs = store.runs()?;
    if runs.is_empty() {
        eprintln!(
            "reachaudit: no runs in {}; `reachaudit batch LIST` makes one",
            db.shown()
        );
        return Ok(Exit::Ok);
    }
    let mut out = String::new();
    for r in &runs {
        let (done, failed) = store.site_counts(r.id)?;
        out.push_str(&format!(
            "{:>4}  {done} done, {failed} failed  {}\n",
            r.id,
            crate::report::clean(&describe(r))
        ));
    }
    super::print(&out)?;
    Ok(Exit::Ok)
}
