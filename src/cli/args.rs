//! What the user typed, checked for shape only. Defaults are shown in help texts but applied by
//! [`super::options`], from the library's `DEFAULT_*` constants, so CLI and library never disagree.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// How easily can a customer reach a human at a company?
///
/// reachaudit crawls a company's website politely, finds every contact channel (phone, e-mail,
/// forms, chat with people or bots, messengers, callback, video, appointments, postal address)
/// with evidence and click depth, checks them against consumer law, scores reachability, and
/// reports it as text or JSON.
#[derive(Debug, Parser)]
#[command(name = "reachaudit", version, about, long_about = None, max_term_width = 100)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Audit one or more sites: an http(s):// URL, a directory laid out like a static site, or an .html file.
    Scan(Box<ScanArgs>),
    /// What is checked, and why: the compliance rules with their legal references.
    Rules(RulesArgs),
    /// Audit a list of companies (CSV with name,url[,country,sector] or a text file of URLs):
    /// concurrent, resumable, stored in SQLite, exported as JSONL, JSON and CSV.
    Batch(Box<BatchArgs>),
    /// Render saved results again (a self-contained HTML page for publishing, or text, JSON,
    /// Markdown, SARIF, JUnit), or compare two batch runs: who got better, who got worse.
    Report(ReportArgs),
    /// Test contacts and reply tracking.
    Probe(ProbeArgs),
    /// Write a commented reachaudit.toml to start CI gating from.
    Init(InitArgs),
    /// Print the JSON Schema of the report (`--format json`).
    Schema,
}

/// `reachaudit probe`.
#[derive(Debug, Args)]
pub struct ProbeArgs {
    /// What to do.
    #[command(subcommand)]
    pub command: ProbeCommand,
}

/// `reachaudit probe …`.
#[derive(Debug, Subcommand)]
pub enum ProbeCommand {
    /// Show which channels would get a test contact, and exactly what it would say. Sends nothing.
    Plan {
        /// Saved JSON reports (scan --output json=…), or sites to scan first.
        #[arg(required = true, value_name = "REPORT.json|TARGET")]
        inputs: Vec<String>,
        /// The name that signs the message (send will also need an address).
        #[arg(long, value_name = "NAME")]
        sender: Option<String>,
        /// Most probes per company [default: 2].
        #[arg(long, value_name = "N")]
        max_per_company: Option<usize>,
        /// text or json [default: text].
        #[arg(long, short = 'f', value_name = "FORMAT")]
        format: Option<String>,
        /// Rule files that replace or add to the built-in ones (probe.toml).
        #[arg(long, value_name = "DIR")]
        rules: Option<PathBuf>,
    },
    /// Send one honest test contact per chosen channel (e-mail over SMTP, or a contact form),
    /// each with its own token. Shows exactly what it will send and sends nothing without --yes.
    ///
    /// SMTP login from REACHAUDIT_SMTP_USER and REACHAUDIT_SMTP_PASSWORD (or smtp_user and
    /// smtp_password_file in reachaudit.toml's [probe] table); never printed.
    Send {
        /// Saved JSON reports or sites to scan first; none to only resume an interrupted run.
        #[arg(value_name = "REPORT.json|TARGET")]
        inputs: Vec<String>,
        /// Who is writing: "Erika Mustermann <erika@example.org>". Required.
        #[arg(long, value_name = "\"NAME <ADDRESS>\"")]
        from: Option<String>,
        /// Reply address with {token} in it [default: plus-addressing on --from, local+{token}@domain].
        #[arg(long, value_name = "PATTERN")]
        reply_to: Option<String>,
        /// Outgoing mail server: smtps://host (TLS), smtp://host:587 (STARTTLS required), or
        /// smtp://127.0.0.1:PORT?tls=none (plain, loopback only).
        #[arg(long, value_name = "URL")]
        smtp: Option<String>,
        /// Extra CA certificate (PEM) to trust for the mail server.
        #[arg(long, value_name = "FILE")]
        smtp_ca: Option<PathBuf>,
        /// The probe database [default: reachaudit.db].
        #[arg(long, value_name = "FILE")]
        db: Option<PathBuf>,
        /// Most probes per company within the window, counting earlier runs [default: 2].
        #[arg(long, value_name = "N")]
        max_per_company: Option<u32>,
        /// Most probes per day over all companies, counting earlier runs [default: 20].
        #[arg(long, value_name = "N")]
        max_per_day: Option<u32>,
        /// Days before the same channel may be probed again [default: 14].
        #[arg(long, value_name = "DAYS")]
        window: Option<u32>,
        /// File of domains that asked not to be probed, one per line (repeatable).
        #[arg(long, value_name = "FILE")]
        opt_out: Vec<PathBuf>,
        /// Allow loopback and private addresses for scans and forms.
        #[arg(long)]
        allow_private: bool,
        /// Really send. Without it, the probes are only shown.
        #[arg(long)]
        yes: bool,
        /// Seconds between two probes [default: 2].
        #[arg(long, value_name = "SECONDS")]
        pause: Option<f64>,
        /// Rule files that replace or add to the built-in ones (probe.toml).
        #[arg(long, value_name = "DIR")]
        rules: Option<PathBuf>,
        /// Read settings from this file instead of ./reachaudit.toml ([probe] table).
        #[arg(long, value_name = "FILE")]
        config: Option<PathBuf>,
        /// Do not read ./reachaudit.toml.
        #[arg(long)]
        no_config: bool,
    },
    /// Read the auditor's mailbox (IMAP or a Maildir), match replies to probes by token, classify
    /// and store them. Run it hourly; a second run adds nothing twice.
    ///
    /// IMAP login from REACHAUDIT_IMAP_USER and REACHAUDIT_IMAP_PASSWORD (or imap_user and
    /// imap_password_file in reachaudit.toml's [probe] table); never printed.
    Poll {
        /// The mailbox: imaps://host[:993][/FOLDER], or imap://127.0.0.1:PORT (plain, loopback only).
        #[arg(long, value_name = "URL", conflicts_with = "maildir")]
        imap: Option<String>,
        /// Extra CA certificate (PEM) to trust for the IMAP server.
        #[arg(long, value_name = "FILE")]
        imap_ca: Option<PathBuf>,
        /// A Maildir folder (with cur/ and new/) instead of IMAP.
        #[arg(long, value_name = "DIR")]
        maildir: Option<PathBuf>,
        /// The probe database [default: reachaudit.db].
        #[arg(long, value_name = "FILE")]
        db: Option<PathBuf>,
        /// text or json [default: text].
        #[arg(long, short = 'f', value_name = "FORMAT")]
        format: Option<String>,
        /// Rule files that replace or add to the built-in ones (cues/mail.toml).
        #[arg(long, value_name = "DIR")]
        rules: Option<PathBuf>,
        /// Read settings from this file instead of ./reachaudit.toml ([probe] table).
        #[arg(long, value_name = "FILE")]
        config: Option<PathBuf>,
        /// Do not read ./reachaudit.toml.
        #[arg(long)]
        no_config: bool,
    },
    /// Reply times per probe and per company: time to the first reply and to the first reply by
    /// a person, medians, and the share no person answered within the window.
    Status {
        /// The probe database [default: reachaudit.db, or db in reachaudit.toml's [probe]].
        #[arg(long, value_name = "FILE")]
        db: Option<PathBuf>,
        /// Read settings from this file instead of ./reachaudit.toml ([probe] table).
        #[arg(long, value_name = "FILE")]
        config: Option<PathBuf>,
        /// Do not read ./reachaudit.toml.
        #[arg(long)]
        no_config: bool,
        /// Days a person has to answer before a probe counts as unanswered.
        #[arg(long, value_name = "DAYS", default_value_t = 14)]
        window: u32,
        /// Only this company (its site, e.g. example.de).
        #[arg(long, value_name = "SITE")]
        company: Option<String>,
        /// text, json or csv [default: text].
        #[arg(long, short = 'f', value_name = "FORMAT")]
        format: Option<String>,
    },
    /// Classify e-mails (RFC 5322 files, e.g. .eml): human, auto_reply, out_of_office, ticket_ack,
    /// bounce or unknown, with the signals that decided it.
    Classify {
        /// The e-mail files.
        #[arg(required = true, value_name = "FILE.eml")]
        files: Vec<PathBuf>,
        /// text or json [default: text].
        #[arg(long, short = 'f', value_name = "FORMAT")]
        format: Option<String>,
        /// Rule files that replace or add to the built-in ones (cues/mail.toml).
        #[arg(long, value_name = "DIR")]
        rules: Option<PathBuf>,
    },
}

/// `reachaudit batch`.
#[derive(Debug, Args)]
pub struct BatchArgs {
    /// The list: a CSV (header with name and url; country, sector and other columns are kept)
    /// or a text file with one URL per line.
    #[arg(value_name = "LIST")]
    pub list: PathBuf,
    /// The database the results go into as each site finishes: an SQLite file, or
    /// postgres://USER@HOST:PORT/DB for workers on several machines (password from PGPASSWORD
    /// or ~/.pgpass) [default: reachaudit.db]. Workers given the same list and database share
    /// one run.
    #[arg(long, value_name = "FILE|URL")]
    pub db: Option<String>,
    /// Sites audited at once by this worker; each keeps its own per-host rate limit, and one
    /// host is audited by one worker at a time [default: 8].
    #[arg(long, value_name = "N")]
    pub concurrency: Option<usize>,
    /// Seconds a claimed host stays this worker's without renewal (renewed every third of it);
    /// a worker silent that long is taken for dead and its hosts go to others [default: 300].
    #[arg(long, value_name = "SECS")]
    pub lease: Option<u64>,
    /// Read db, db_password_file, concurrency and lease from this file's [batch] table instead
    /// of ./reachaudit.toml's; flags win over it.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Do not read ./reachaudit.toml.
    #[arg(long, conflicts_with = "config")]
    pub no_config: bool,
    /// Start a new run even though this list's last run finished or is unfinished (both are kept).
    #[arg(long)]
    pub rerun: bool,

    /// Audit again only the sites that failed in the last run of this list (unreachable,
    /// refused, nothing found), keeping the others; refused while other workers are on the run.
    #[arg(long, conflicts_with = "rerun")]
    pub retry_failed: bool,
    /// Write results: jsonl=PATH, json=PATH, csv=PATH (a row per site), channels=PATH (a row
    /// per channel), html=PATH (ranking and evidence in one page); repeatable.
    #[arg(long, short = 'o', value_name = "FMT=PATH")]
    pub output: Vec<String>,
    /// Heading of the HTML report [default: "Reachability: " and the list's file name].
    #[arg(long, value_name = "TEXT")]
    pub title: Option<String>,
    /// Start CSV files with a byte order mark, for spreadsheet programs.
    #[arg(long)]
    pub bom: bool,
    /// How each site is crawled and checked (as for scan; a list's country column wins over --country).
    #[command(flatten)]
    pub crawl: CrawlArgs,
}

/// `reachaudit report`.
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// Saved results: JSON reports (scan -o json=…, batch -o json=…) or JSON Lines (batch -o
    /// jsonl=…).
    #[arg(value_name = "RESULTS")]
    pub inputs: Vec<PathBuf>,
    /// A batch run from the database: its id, or latest.
    #[arg(long, value_name = "ID")]
    pub run: Option<String>,
    /// The batch database: an SQLite file or a postgres:// URL [default: reachaudit.db].
    #[arg(long, value_name = "FILE|URL")]
    pub db: Option<String>,
    /// List the runs in the database with their ids.
    #[arg(long, conflicts_with_all = ["inputs", "run", "compare"])]
    pub runs: bool,
    /// Compare two runs (ids in --db, latest, or result files): who got better or worse, which
    /// channels came or went, which legal checks newly fail.
    #[arg(long, num_args = 2, value_names = ["RUN_A", "RUN_B"], conflicts_with_all = ["inputs", "run"])]
    pub compare: Vec<String>,
    /// html, text, json, markdown, sarif or junit; text, json or csv with --compare [default:
    /// from the --output file's extension, else text].
    #[arg(long, short = 'f', value_name = "FORMAT")]
    pub format: Option<String>,
    /// Write to PATH instead of standard output; FORMAT=PATH names the format (repeatable).
    #[arg(long, short = 'o', value_name = "[FORMAT=]PATH")]
    pub output: Vec<String>,
    /// Heading of the HTML report [default: Reachability report].
    #[arg(long, value_name = "TEXT")]
    pub title: Option<String>,
    /// Rule files that replace or add to the built-in ones (grade bands for the method section).
    #[arg(long, value_name = "DIR")]
    pub rules: Option<PathBuf>,
}

/// `reachaudit init`.
#[derive(Debug, Args)]
pub struct InitArgs {
    /// Where to write it.
    #[arg(default_value = "reachaudit.toml", value_name = "FILE")]
    pub path: PathBuf,
    /// Replace an existing file.
    #[arg(long)]
    pub force: bool,
}

/// `reachaudit rules`.
#[derive(Debug, Args)]
pub struct RulesArgs {
    /// What to show.
    #[command(subcommand)]
    pub command: RulesCommand,
}

/// `reachaudit rules …`.
#[derive(Debug, Subcommand)]
pub enum RulesCommand {
    /// List the compliance rules (id, severity, law, title).
    List {
        /// Only these jurisdictions, comma-separated (eu, de, at, ch, uk, es, fr).
        #[arg(long, value_name = "LIST", value_delimiter = ',')]
        jurisdiction: Vec<String>,
        /// text or json [default: text].
        #[arg(long, short = 'f', value_name = "FORMAT")]
        format: Option<String>,
        /// Rule files that replace or add to the built-in ones.
        #[arg(long, value_name = "DIR")]
        rules: Option<PathBuf>,
    },
    /// The full text of one rule: what, why, source, how it is checked, known limits.
    Explain {
        /// The rule id, e.g. de.ddg.5.email.
        id: String,
        /// Rule files that replace or add to the built-in ones.
        #[arg(long, value_name = "DIR")]
        rules: Option<PathBuf>,
    },
    /// Check a rules directory (as given to --rules): every file loads, every rule is valid.
    Validate {
        /// The directory.
        dir: PathBuf,
    },
}

/// `reachaudit scan`.
#[derive(Debug, Default, Args)]
pub struct ScanArgs {
    /// Sites to audit: https://www.example.de, ./public (static build directory) or page.html
    /// [default: the targets of reachaudit.toml].
    #[arg(value_name = "TARGET")]
    pub targets: Vec<String>,

    /// Configuration with targets, limits and CI assertions [default: ./reachaudit.toml if it
    /// exists]; flags win over it.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Do not read ./reachaudit.toml.
    #[arg(long, conflicts_with = "config")]
    pub no_config: bool,

    /// Exit 1 when a site's total score is below N (0-100); overrides the config's min_score.
    #[arg(long, value_name = "N")]
    pub fail_under: Option<u32>,

    /// A JSON report of an earlier run: fail only on what got worse (channels lost, rules newly
    /// failing, score drops beyond --tolerance), and list what got better.
    #[arg(long, value_name = "REPORT.json")]
    pub baseline: Option<PathBuf>,

    /// Score points the total may drop against --baseline before it fails [default: 0].
    #[arg(long, value_name = "POINTS")]
    pub tolerance: Option<u32>,

    /// Print and write everything, but exit 0 even when assertions fail (never when nothing could
    /// be evaluated).
    #[arg(long)]
    pub report_only: bool,

    /// Add the results of test contacts from this probe database (`probe send`/`poll`) to each
    /// site's report; they feed the responsiveness score.
    #[arg(long, value_name = "DB")]
    pub probes: Option<PathBuf>,

    /// How each site is crawled and checked.
    #[command(flatten)]
    pub crawl: CrawlArgs,

    /// Format printed on standard output: text, json, markdown, sarif, junit or html [default: text].
    #[arg(long, short = 'f', value_name = "FORMAT")]
    pub format: Option<String>,

    /// Also write the report as FORMAT to PATH (repeatable), e.g. --output json=report.json.
    #[arg(long, short = 'o', value_name = "FORMAT=PATH")]
    pub output: Vec<String>,
}

/// Crawl and check flags shared by `scan` and `batch`.
#[derive(Debug, Default, Clone, Args)]
pub struct CrawlArgs {
    /// Default country for national phone numbers (ISO 3166 code, e.g. DE); else guessed from the
    /// page language and the domain.
    #[arg(long, value_name = "CC")]
    pub country: Option<String>,

    /// Jurisdictions whose rules are checked, comma-separated: eu, de, at, ch, uk, es, fr
    /// [default: from --country, else the domain or page language: a .de site gets eu,de].
    #[arg(long, value_name = "LIST", value_delimiter = ',')]
    pub jurisdiction: Vec<String>,

    /// Most pages to fetch per site [default: 50].
    #[arg(long, value_name = "N")]
    pub max_pages: Option<u32>,

    /// Most link clicks from the start page [default: 5].
    #[arg(long, value_name = "N")]
    pub max_depth: Option<u32>,

    /// End a site's crawl early once its contact and imprint pages are fetched and no link left
    /// promises contact details; saves requests in large batches. The report says why it stopped.
    #[arg(long)]
    pub stop_when_found: bool,

    /// Requests per second per host [default: 2]; a robots.txt Crawl-delay can only slow it down.
    #[arg(long, value_name = "PER_SEC")]
    pub rate: Option<f64>,

    /// Longest robots.txt Crawl-delay obeyed, in seconds [default: 30]; a longer one is capped
    /// and the report says so. Also the longest Retry-After waited for (all of a site's waits
    /// together: twice this).
    #[arg(long, value_name = "SECS")]
    pub max_crawl_delay: Option<f64>,

    /// Longest time spent reading one page, in seconds [default: 5]; a page that takes longer
    /// (a hostile one) is reported cut short and the crawl goes on.
    #[arg(long, value_name = "SECS")]
    pub page_budget: Option<f64>,

    /// Requests in flight per host [default: 1].
    #[arg(long, value_name = "N")]
    pub host_concurrency: Option<usize>,

    /// Timeout per request in seconds [default: 10].
    #[arg(long, value_name = "SECS")]
    pub timeout: Option<f64>,

    /// Largest response body read, e.g. 5MiB or 500KiB [default: 5MiB]; longer pages are truncated and noted.
    #[arg(long, value_name = "SIZE")]
    pub max_size: Option<String>,

    /// Most redirects followed per request [default: 10].
    #[arg(long, value_name = "N")]
    pub max_redirects: Option<u32>,

    /// User-Agent header [default: reachaudit/<version> (+project URL)].
    #[arg(long, value_name = "UA")]
    pub user_agent: Option<String>,

    /// Do not read robots.txt. Only for sites you run yourself; reported as "ignored".
    #[arg(long, overrides_with = "no_ignore_robots")]
    pub ignore_robots: bool,

    /// Read robots.txt even if reachaudit.toml says ignore_robots = true.
    #[arg(long)]
    pub no_ignore_robots: bool,

    /// Allow loopback, private and link-local addresses (refused by default: a CI job must not
    /// become a proxy into its own network).
    #[arg(long, overrides_with = "no_allow_private")]
    pub allow_private: bool,

    /// Refuse private addresses even if reachaudit.toml says allow_private = true.
    #[arg(long)]
    pub no_allow_private: bool,

    /// Resolve HOST to ADDR instead of asking DNS, like curl --resolve (e.g. www.example.de:127.0.0.1).
    /// The address is still checked against --allow-private.
    #[arg(long, value_name = "HOST:ADDR")]
    pub resolve: Vec<String>,

    /// Base URL given to pages of a local directory or file, so root-relative links resolve
    /// [default: https://site.invalid/].
    #[arg(long, value_name = "URL")]
    pub base_url: Option<String>,

    /// Directory with rule files that replace the built-in ones of the same path (e.g. cues/pages.toml).
    #[arg(long, value_name = "DIR")]
    pub rules: Option<PathBuf>,

    /// Render pages in a headless Chromium to see chats and contact pages drawn by JavaScript:
    /// auto (the start, contact and help pages and pages that look scripted, when a browser is
    /// found), always (every page; no browser is an error), never [default: auto].
    #[arg(long, value_name = "WHEN", value_parser = ["auto", "always", "never"], env = "REACHAUDIT_RENDER")]
    pub render: Option<String>,

    /// The Chromium or Chrome to render with [default: chromium, google-chrome … on PATH].
    #[arg(long, value_name = "PATH", env = "REACHAUDIT_BROWSER")]
    pub browser: Option<PathBuf>,
}
