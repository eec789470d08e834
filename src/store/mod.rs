//! The SQLite store: probes and their replies, kept for weeks while `probe poll` runs hourly.
//!
//! Every state change is one transaction, the journal is WAL and writes are synchronous, so a
//! crash or a kill at any point leaves either the old state or the new one — never half of each.
//! That is what lets `probe send` promise "never twice": a probe is marked `sending` and committed
//! *before* the message leaves, and a resumed run treats `sending` as "maybe sent" rather than as
//! "not sent". The schema is versioned with `PRAGMA user_version` and migrated forward on open; a
//! file written by a newer reachaudit is refused instead of being damaged.

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, OptionalExtension, Transaction, params};

mod pg;
pub mod runs;

pub use pg::PgTarget;
pub use runs::{Database, RunStore, WorkerId};

/// The default database file, in the working directory.
pub const DEFAULT_PATH: &str = "reachaudit.db";

/// Schema migrations, in order; index + 1 is the `user_version` after it ran.
const MIGRATIONS: &[&str] = &[
    // 1: probes and replies.
    "CREATE TABLE probe (
        id          INTEGER PRIMARY KEY,
        token       TEXT NOT NULL UNIQUE,
        company     TEXT NOT NULL,
        channel     TEXT NOT NULL CHECK (channel IN ('email', 'contact_form')),
        target      TEXT NOT NULL,
        page_url    TEXT,
        sender      TEXT NOT NULL,
        reply_to    TEXT NOT NULL,
        message_id  TEXT NOT NULL UNIQUE,
        subject     TEXT NOT NULL,
        body        TEXT NOT NULL,
        state       TEXT NOT NULL CHECK (state IN ('planned', 'sending', 'sent', 'failed')),
        error       TEXT,
        created_at  INTEGER NOT NULL,
        sending_at  INTEGER,
        sent_at     INTEGER
    );
    CREATE INDEX probe_company ON probe (company, created_at);
    CREATE TABLE reply (
        id          INTEGER PRIMARY KEY,
        probe_id    INTEGER NOT NULL REFERENCES probe (id),
        message_key TEXT NOT NULL,
        received_at INTEGER NOT NULL,
        sender      TEXT,
        subject     TEXT,
        class       TEXT NOT NULL,
        automated   INTEGER NOT NULL,
        signals     TEXT NOT NULL,
        matched_by  TEXT NOT NULL,
        source      TEXT NOT NULL,
        UNIQUE (probe_id, message_key)
    );
    CREATE INDEX reply_probe ON reply (probe_id, received_at);",
    // 2: what the mail server or the form answered, and how far each mailbox has been read.
    "ALTER TABLE probe ADD COLUMN outcome TEXT;
    CREATE TABLE mailbox (
        source      TEXT PRIMARY KEY,
        uidvalidity INTEGER NOT NULL,
        last_uid    INTEGER NOT NULL,
        polled_at   INTEGER NOT NULL
    );",
    // 4 (below) makes reply.automated nullable: undecided is neither "a person" nor "a machine".
    // 3: batch runs and each site's result, written as the site finishes.
    "CREATE TABLE run (
        id            INTEGER PRIMARY KEY,
        list          TEXT NOT NULL,
        list_digest   TEXT NOT NULL,
        started_at    INTEGER NOT NULL,
        finished_at   INTEGER,
        tool_version  TEXT NOT NULL,
        rules_version TEXT NOT NULL
    );
    CREATE INDEX run_list ON run (list_digest, id);
    CREATE TABLE site (
        run_id      INTEGER NOT NULL REFERENCES run (id),
        position    INTEGER NOT NULL,
        name        TEXT NOT NULL,
        url         TEXT NOT NULL,
        metadata    TEXT NOT NULL,
        status      TEXT NOT NULL CHECK (status IN ('done', 'failed')),
        error       TEXT,
        report      TEXT,
        pages       INTEGER NOT NULL,
        finished_at INTEGER NOT NULL,
        PRIMARY KEY (run_id, url)
    );",
    // 4: `automated` may be unknown (NULL); an undecided reply stored as 0 before meant "a
    // person" to every reader, so those become NULL.
    "CREATE TABLE reply_new (
        id          INTEGER PRIMARY KEY,
        probe_id    INTEGER NOT NULL REFERENCES probe (id),
        message_key TEXT NOT NULL,
        received_at INTEGER NOT NULL,
        sender      TEXT,
        subject     TEXT,
        class       TEXT NOT NULL,
        automated   INTEGER,
        signals     TEXT NOT NULL,
        matched_by  TEXT NOT NULL,
        source      TEXT NOT NULL,
        UNIQUE (probe_id, message_key)
    );
    INSERT INTO reply_new
        SELECT id, probe_id, message_key, received_at, sender, subject, class,
               CASE WHEN class = 'unknown' AND automated = 0 THEN NULL ELSE automated END,
               signals, matched_by, source
        FROM reply;
    DROP TABLE reply;
    ALTER TABLE reply_new RENAME TO reply;
    CREATE INDEX reply_probe ON reply (probe_id, received_at);",
    // 5: what a bounce or delay notice names: the address that failed and its RFC 3463 status.
    "ALTER TABLE reply ADD COLUMN failed_recipient TEXT;
    ALTER TABLE reply ADD COLUMN status TEXT;",
    // 6: claims by registrable domain with a lease, so several workers share a run (runs.rs),
    // and which worker stored each site.
    "CREATE TABLE claim (
        run_id      INTEGER NOT NULL REFERENCES run (id),
        domain      TEXT NOT NULL,
        position    INTEGER NOT NULL,
        done        INTEGER NOT NULL DEFAULT 0,
        worker      TEXT,
        lease_until INTEGER,
        attempts    INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (run_id, domain)
    );
    CREATE INDEX claim_open ON claim (run_id, done, position);
    ALTER TABLE site ADD COLUMN worker TEXT;",
];

/// What can go wrong with the database file.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The file cannot be opened or is not an SQLite database.
    #[error("--db {path}: cannot open the database ({source}); give a writable file path")]
    Open {
        /// The file.
        path: PathBuf,
        /// Why.
        source: rusqlite::Error,
    },
    /// A newer reachaudit wrote this database.
    #[error(
        "--db {db}: written by a newer reachaudit (schema {found}, this one knows {known}); upgrade reachaudit"
    )]
    Newer {
        /// The file or the database URL (without its password).
        db: String,
        /// Its schema version.
        found: i64,
        /// The newest this build knows.
        known: i64,
    },
    /// A statement failed.
    #[error("database: {0} (if it is locked, another reachaudit run is using it; try again)")]
    Sql(#[from] rusqlite::Error),
    /// A report that cannot be written down (never for reports an audit made).
    #[error("a report cannot be stored: {0}")]
    Report(String),
    /// A claimed host that this worker's list does not have.
    #[error(
        "run {run}: host {domain} is in the run but not in this worker's list; give every worker of a run the same list file and the same reachaudit version"
    )]
    ListMismatch {
        /// The run.
        run: i64,
        /// The host.
        domain: String,
    },
    /// The worker was asked to stop (Ctrl-C, SIGTERM).
    #[error(
        "interrupted: the sites finished so far are stored and this worker's hosts are handed back; run the same command to go on"
    )]
    Interrupted,
    /// Failed sites cannot be reopened while workers are on the run.
    #[error(
        "--retry-failed: run {run} is still being worked on by other workers; give --retry-failed to one worker once the run has finished"
    )]
    RunInProgress {
        /// The run.
        run: i64,
    },
    /// A database without reachaudit's batch tables, opened for reading.
    #[error("--db {db}: no batch runs there; run `reachaudit batch LIST --db {db}` first")]
    NoRuns {
        /// The URL without its password.
        db: String,
    },
    /// A `postgres://` URL that does not parse.
    #[error("--db {db}: not a PostgreSQL URL ({reason}); write postgres://USER@HOST:PORT/DATABASE")]
    Url {
        /// The URL without its password.
        db: String,
        /// Why.
        reason: String,
    },
    /// PostgreSQL refused, could not be reached, or went away.
    #[error("--db {db}: {}", pg_reason(cause))]
    Postgres {
        /// The URL without its password.
        db: String,
        /// What the client said (in the message already, so not a `source` to print again).
        cause: tokio_postgres::Error,
    },
}

/// What went wrong with PostgreSQL, and what to do about it.
fn pg_reason(e: &tokio_postgres::Error) -> String {
    if e.is_closed() {
        return "the database connection was lost; everything stored so far is kept: start the same command again to go on".to_owned();
    }
    match e.as_db_error() {
        // The server shut down, crashed, is starting, or an administrator ended the session.
        Some(db) if db.code().code().starts_with("57P") || db.code().code().starts_with("08") => {
            format!(
                "the database connection was lost ({}); everything stored so far is kept: start the same command again to go on",
                db.message()
            )
        }
        Some(db) if db.code().code().starts_with("28") => format!(
            "{}; give the password in PGPASSWORD or ~/.pgpass (or db_password_file in reachaudit.toml's [batch])",
            db.message()
        ),
        Some(db) if db.code().code() == "3D000" => format!(
            "{}; create it first (createdb) or name one that exists",
            db.message()
        ),
        Some(db) => format!("{} (SQLSTATE {})", db.message(), db.code().code()),
        None => {
            let mut text = e.to_string();
            let mut source = std::error::Error::source(e);
            while let Some(s) = source {
                text = format!("{text}: {s}");
                source = s.source();
            }
            if text.contains("password missing") {
                // The server asked for a password and none was given.
                return "the server wants a password; give it in PGPASSWORD or ~/.pgpass (or db_password_file in reachaudit.toml's [batch])".to_owned();
            }
            format!(
                "{text}; check that PostgreSQL runs there and accepts connections from this machine"
            )
        }
    }
}

/// Unix milliseconds now: leases are counted in them.
pub(crate) fn now_ms() -> i64 {
    i64::try_from(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis()),
    )
    .unwrap_or(i64::MAX)
}

/// Unix seconds now.
pub(crate) fn now() -> i64 {
    i64::try_from(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs()),
    )
    .unwrap_or(i64::MAX)
}

/// A `run` row in the column order every query selects.
fn run_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Run> {
    Ok(Run {
        id: r.get(0)?,
        list: r.get(1)?,
        list_digest: r.get(2)?,
        started_at: r.get(3)?,
        finished_at: r.get(4)?,
        tool_version: r.get(5)?,
        rules_version: r.get(6)?,
    })
}

/// Where a probe is in its life. The order is the only order allowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProbeState {
    /// Written down, nothing sent.
    Planned,
    /// About to leave, or left and not yet confirmed: never sent again blindly.
    Sending,
    /// Accepted by the mail server or the form.
    Sent,
    /// Refused; the error says why.
    Failed,
}

impl ProbeState {
    /// The name stored and shown.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Planned => "planned",
            Self::Sending => "sending",
            Self::Sent => "sent",
            Self::Failed => "failed",
        }
    }

    fn parse(s: &str) -> Self {
        match s {
            "sending" => Self::Sending,
            "sent" => Self::Sent,
            "failed" => Self::Failed,
            _ => Self::Planned,
        }
    }
}

/// A probe to be written down.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewProbe {
    /// The unique token in the reply address and the text.
    pub token: String,
    /// The company's site (registrable domain).
    pub company: String,
    /// `email` or `contact_form`.
    pub channel: String,
    /// The address or the form's action URL.
    pub target: String,
    /// The page the channel was found on.
    pub page_url: Option<String>,
    /// The sender identity (`Name <address>`).
    pub sender: String,
    /// The reply address carrying the token.
    pub reply_to: String,
    /// The Message-ID the e-mail carries (also recorded for forms, for the record).
    pub message_id: String,
    /// Subject line.
    pub subject: String,
    /// The full text.
    pub body: String,
}

/// A stored probe.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Probe {
    /// Row id.
    pub id: i64,
    /// What was planned.
    pub new: NewProbe,
    /// Where it is.
    pub state: ProbeState,
    /// Why it failed, or why it is still `planned` or `sending` (retry later, unconfirmed).
    pub error: Option<String>,
    /// What the mail server or the form answered when it was accepted.
    pub outcome: Option<String>,
    /// Unix seconds.
    pub created_at: i64,
    /// When it was handed to the mail server or the form (unix seconds).
    pub sending_at: Option<i64>,
    /// When it was confirmed sent (unix seconds).
    pub sent_at: Option<i64>,
}

/// A reply matched to a probe.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewReply {
    /// The probe it answers.
    pub probe_id: i64,
    /// What makes it unique: the Message-ID, or a digest of the message when it has none.
    pub message_key: String,
    /// When it arrived (unix seconds).
    pub received_at: i64,
    /// From.
    pub sender: Option<String>,
    /// Subject.
    pub subject: Option<String>,
    /// `human`, `auto_reply`, …
    pub class: String,
    /// Sent by a machine; `None` when undecided.
    pub automated: Option<bool>,
    /// Why it got its class (JSON array of strings).
    pub signals: Vec<String>,
    /// For a bounce or delay notice: the address that failed.
    pub failed_recipient: Option<String>,
    /// For a bounce or delay notice: its RFC 3463 status (`5.1.1`).
    pub status: Option<String>,
    /// How it was matched (`to`, `in_reply_to`, `subject`, `body`, …).
    pub matched_by: String,
    /// Where it was read (`imap://host/INBOX#uid`, a Maildir file).
    pub source: String,
}

/// A stored reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    /// Row id.
    pub id: i64,
    /// What was stored.
    pub new: NewReply,
}

/// A batch run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Run {
    /// Row id, shown to users as the run id.
    pub id: i64,
    /// The list file as given.
    pub list: String,
    /// SHA-256 of the list's contents: the same list resumes the same run.
    pub list_digest: String,
    /// Unix seconds.
    pub started_at: i64,
    /// Unix seconds; `None` while sites are missing.
    pub finished_at: Option<i64>,
    /// reachaudit's version.
    pub tool_version: String,
    /// The rules' fingerprint.
    pub rules_version: String,
}

/// One site of a run, as finished.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SiteRow {
    /// Its place in the list (0-based).
    pub position: i64,
    /// The company's name from the list (or the URL).
    pub name: String,
    /// The URL audited.
    pub url: String,
    /// The list's other columns (JSON object).
    pub metadata: String,
    /// `done` or `failed`.
    pub status: String,
    /// Why it failed, or why it could not be evaluated.
    pub error: Option<String>,
    /// The JSON report.
    pub report: Option<String>,
    /// Pages fetched.
    pub pages: i64,
}

/// An open database.
pub struct Store {
    conn: Connection,
    path: PathBuf,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("path", &self.path).finish()
    }
}

impl Store {
    /// Opens (or creates) the database and migrates it to the current schema.
    ///
    /// # Errors
    /// An unreadable or foreign file, or one written by a newer reachaudit.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        let open_err = |source| StoreError::Open {
            path: path.to_path_buf(),
            source,
        };
        let conn = Connection::open(path).map_err(open_err)?;
        conn.busy_timeout(Duration::from_secs(10))
            .map_err(open_err)?;
        // WAL: readers (probe status) never block the writer (probe poll); FULL: a committed
        // state change survives a power cut, which "never sent twice" depends on.
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(open_err)?;
        conn.pragma_update(None, "synchronous", "FULL")
            .map_err(open_err)?;
        conn.pragma_update(None, "foreign_keys", "ON")
            .map_err(open_err)?;
        let mut store = Self {
            conn,
            path: path.to_path_buf(),
        };
        store.migrate()?;
        Ok(store)
    }

    fn migrate(&mut self) -> Result<(), StoreError> {
        let version: i64 = self
            .conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .map_err(|source| StoreError::Open {
                path: self.path.clone(),
                source,
            })?;
        let known = i64::try_from(MIGRATIONS.len()).unwrap_or(i64::MAX);
        if version > known {
            return Err(StoreError::Newer {
                db: self.path.display().to_string(),
                found: version,
                known,
            });
        }
        if version == known {
            return Ok(());
        }
        // Several workers may open a new file at once: the write lock is taken before the version
        // is read again, so exactly one of them migrates and the others find it done.
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let version: i64 = tx.pragma_query_value(None, "user_version", |r| r.get(0))?;
        for (i, sql) in MIGRATIONS
            .iter()
            .enumerate()
            .skip(usize::try_from(version).unwrap_or(0))
        {
            tx.execute_batch(sql)?;
            tx.pragma_update(
                None,
                "user_version",
                i64::try_from(i + 1).unwrap_or(i64::MAX),
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    /// The schema version after migration.
    ///
    /// # Errors
    /// A failed query.
    pub fn schema_version(&self) -> Result<i64, StoreError> {
        Ok(self
            .conn
            .pragma_query_value(None, "user_version", |r| r.get(0))?)
    }

    /// Writes a probe down as `planned`.
    ///
    /// # Errors
    /// A duplicate token or Message-ID, or a failed write.
    pub fn plan(&mut self, probe: &NewProbe, now: i64) -> Result<Probe, StoreError> {
        let tx = self.conn.transaction()?;
        let planned = insert(&tx, probe, now)?;
        tx.commit()?;
        Ok(planned)
    }

    /// Writes a probe down as `planned` unless the same channel got one since `since`: checked
    /// and written in one immediate transaction, so two runs at once cannot both plan it.
    ///
    /// # Errors
    /// A failed write.
    pub fn plan_unless_recent(
        &mut self,
        probe: &NewProbe,
        now: i64,
        since: i64,
    ) -> Result<Option<Probe>, StoreError> {
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let recent: i64 = tx.query_row(
            "SELECT COUNT(*) FROM probe WHERE target = ?1 AND created_at >= ?2",
            params![probe.target, since],
            |r| r.get(0),
        )?;
        if recent > 0 {
            return Ok(None);
        }
        let planned = insert(&tx, probe, now)?;
        tx.commit()?;
        Ok(Some(planned))
    }

    /// Moves a probe from `from` to `to` in one transaction; `false` when it was not in `from`
    /// (another run got there first), so two runs never both send it. `note` is the server's
    /// answer when the probe is now `sent`, and the reason otherwise.
    ///
    /// # Errors
    /// A failed write.
    pub fn transition(
        &mut self,
        id: i64,
        from: ProbeState,
        to: ProbeState,
        now: i64,
        note: Option<&str>,
    ) -> Result<bool, StoreError> {
        let tx = self.conn.transaction()?;
        let changed = tx.execute(
            "UPDATE probe SET state = ?3,
                    error = CASE WHEN ?3 = 'sent' THEN NULL ELSE ?4 END,
                    outcome = CASE WHEN ?3 = 'sent' THEN ?4 ELSE outcome END,
                    sending_at = CASE WHEN ?3 = 'sending' THEN ?5 ELSE sending_at END,
                    sent_at = CASE WHEN ?3 = 'sent' THEN ?5 ELSE sent_at END
             WHERE id = ?1 AND state = ?2",
            params![id, from.as_str(), to.as_str(), note, now],
        )?;
        tx.commit()?;
        Ok(changed == 1)
    }

    /// A reply proves that a probe arrived: one left as `sending` (interrupted before the server's
    /// answer was recorded), or one marked `failed` by an error page of a form that took it
    /// anyway. It becomes `sent` as of when it was handed over.
    ///
    /// # Errors
    /// A failed write.
    pub fn confirm_sent(&mut self, id: i64, evidence: &str) -> Result<bool, StoreError> {
        let tx = self.conn.transaction()?;
        let changed = tx.execute(
            "UPDATE probe SET state = 'sent', error = NULL, outcome = ?2,
                    sent_at = COALESCE(sending_at, created_at)
             WHERE id = ?1 AND state IN ('sending', 'failed')",
            params![id, evidence],
        )?;
        tx.commit()?;
        Ok(changed == 1)
    }

    /// Every probe, oldest first; only one company's when given.
    ///
    /// # Errors
    /// A failed query.
    pub fn probes(&self, company: Option<&str>) -> Result<Vec<Probe>, StoreError> {
        self.select_probes(company, None)
    }

    /// The probe a token belongs to.
    ///
    /// # Errors
    /// A failed query.
    pub fn probe_by_token(&self, token: &str) -> Result<Option<Probe>, StoreError> {
        Ok(self.select_probes(None, Some(token))?.pop())
    }

    fn select_probes(
        &self,
        company: Option<&str>,
        token: Option<&str>,
    ) -> Result<Vec<Probe>, StoreError> {
        let mut stmt = self.conn.prepare(
            "SELECT id, token, company, channel, target, page_url, sender, reply_to, message_id,
                    subject, body, state, error, outcome, created_at, sending_at, sent_at
             FROM probe WHERE (?1 IS NULL OR company = ?1) AND (?2 IS NULL OR token = ?2)
             ORDER BY created_at, id",
        )?;
        let rows = stmt.query_map(params![company, token], |r| {
            Ok(Probe {
                id: r.get(0)?,
                new: NewProbe {
                    token: r.get(1)?,
                    company: r.get(2)?,
                    channel: r.get(3)?,
                    target: r.get(4)?,
                    page_url: r.get(5)?,
                    sender: r.get(6)?,
                    reply_to: r.get(7)?,
                    message_id: r.get(8)?,
                    subject: r.get(9)?,
                    body: r.get(10)?,
                },
                state: ProbeState::parse(&r.get::<_, String>(11)?),
                error: r.get(12)?,
                outcome: r.get(13)?,
                created_at: r.get(14)?,
                sending_at: r.get(15)?,
                sent_at: r.get(16)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Probes written down for a company since `since` (unix seconds), whatever their state:
    /// the per-company and per-day caps count plans too, so a retry cannot exceed them.
    ///
    /// # Errors
    /// A failed query.
    pub fn count_since(&self, company: &str, since: i64) -> Result<u32, StoreError> {
        Ok(self.conn.query_row(
            "SELECT COUNT(*) FROM probe WHERE company = ?1 AND created_at >= ?2",
            params![company, since],
            |r| r.get(0),
        )?)
    }

    /// Probes written down since `since` (unix seconds) for all companies: the per-day cap.
    ///
    /// # Errors
    /// A failed query.
    pub fn count_all_since(&self, since: i64) -> Result<u32, StoreError> {
        Ok(self.conn.query_row(
            "SELECT COUNT(*) FROM probe WHERE created_at >= ?1",
            params![since],
            |r| r.get(0),
        )?)
    }

    /// How far a mailbox has been read: its UIDVALIDITY and the last UID stored.
    ///
    /// # Errors
    /// A failed query.
    pub fn mailbox_cursor(&self, source: &str) -> Result<Option<(u32, u32)>, StoreError> {
        Ok(self
            .conn
            .query_row(
                "SELECT uidvalidity, last_uid FROM mailbox WHERE source = ?1",
                params![source],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?)
    }

    /// Records how far a mailbox has been read, after its replies were stored.
    ///
    /// # Errors
    /// A failed write.
    pub fn set_mailbox_cursor(
        &mut self,
        source: &str,
        uidvalidity: u32,
        last_uid: u32,
        now: i64,
    ) -> Result<(), StoreError> {
        let tx = self.conn.transaction()?;
        tx.execute(
            "INSERT INTO mailbox (source, uidvalidity, last_uid, polled_at) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (source) DO UPDATE SET uidvalidity = ?2, last_uid = ?3, polled_at = ?4",
            params![source, uidvalidity, last_uid, now],
        )?;
        tx.commit()?;
        Ok(())
    }

    /// Every run, oldest first; only those of one list when given.
    ///
    /// # Errors
    /// A failed query.
    pub fn runs(&self, list_digest: Option<&str>) -> Result<Vec<Run>, StoreError> {
        let mut stmt = self.conn.prepare(
            "SELECT id, list, list_digest, started_at, finished_at, tool_version, rules_version
             FROM run WHERE ?1 IS NULL OR list_digest = ?1 ORDER BY id",
        )?;
        let rows = stmt.query_map(params![list_digest], run_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// How many of a run's sites are stored as done and as failed.
    ///
    /// # Errors
    /// A failed query.
    pub fn site_counts(&self, run_id: i64) -> Result<(i64, i64), StoreError> {
        Ok(self.conn.query_row(
            "SELECT COUNT(*) FILTER (WHERE status = 'done'), COUNT(*) FILTER (WHERE status <> 'done')
             FROM site WHERE run_id = ?1",
            params![run_id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?)
    }

    /// The URLs a run has finished (done or failed).
    ///
    /// # Errors
    /// A failed query.
    pub fn finished_urls(
        &self,
        run_id: i64,
    ) -> Result<std::collections::HashSet<String>, StoreError> {
        let mut stmt = self
            .conn
            .prepare("SELECT url FROM site WHERE run_id = ?1")?;
        let rows = stmt.query_map(params![run_id], |r| r.get::<_, String>(0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// A run's sites in list order, one at a time: exports stream them instead of holding every
    /// report in memory.
    ///
    /// # Errors
    /// A failed query, or what `each` returns.
    pub fn each_site<E: From<StoreError>>(
        &self,
        run_id: i64,
        mut each: impl FnMut(SiteRow) -> Result<(), E>,
    ) -> Result<(), E> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT position, name, url, metadata, status, error, report, pages
                 FROM site WHERE run_id = ?1 ORDER BY position",
            )
            .map_err(StoreError::from)?;
        let mut rows = stmt.query(params![run_id]).map_err(StoreError::from)?;
        while let Some(r) = rows.next().map_err(StoreError::from)? {
            let row = (|| -> Result<SiteRow, rusqlite::Error> {
                Ok(SiteRow {
                    position: r.get(0)?,
                    name: r.get(1)?,
                    url: r.get(2)?,
                    metadata: r.get(3)?,
                    status: r.get(4)?,
                    error: r.get(5)?,
                    report: r.get(6)?,
                    pages: r.get(7)?,
                })
            })()
            .map_err(StoreError::from)?;
            each(row)?;
        }
        Ok(())
    }

    /// Stores a reply; `false` when it was stored before (polling twice adds nothing).
    ///
    /// # Errors
    /// A failed write.
    pub fn add_reply(&mut self, reply: &NewReply) -> Result<bool, StoreError> {
        let tx: Transaction<'_> = self.conn.transaction()?;
        let signals = serde_json::to_string(&reply.signals).unwrap_or_else(|_| "[]".to_owned());
        let inserted = tx.execute(
            "INSERT OR IGNORE INTO reply (probe_id, message_key, received_at, sender, subject,
                                          class, automated, signals, matched_by, source,
                                          failed_recipient, status)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
            params![
                reply.probe_id,
                reply.message_key,
                reply.received_at,
                reply.sender,
                reply.subject,
                reply.class,
                reply.automated,
                signals,
                reply.matched_by,
                reply.source,
                reply.failed_recipient,
                reply.status
            ],
        )?;
        tx.commit()?;
        Ok(inserted == 1)
    }

    /// A probe's replies, earliest first.
    ///
    /// # Errors
    /// A failed query.
    pub fn replies(&self, probe_id: i64) -> Result<Vec<Reply>, StoreError> {
        let mut stmt = self.conn.prepare(
            "SELECT id, probe_id, message_key, received_at, sender, subject, class, automated,
                    signals, matched_by, source, failed_recipient, status
             FROM reply WHERE probe_id = ?1 ORDER BY received_at, id",
        )?;
        let rows = stmt.query_map(params![probe_id], |r| {
            let signals: String = r.get(8)?;
            Ok(Reply {
                id: r.get(0)?,
                new: NewReply {
                    probe_id: r.get(1)?,
                    message_key: r.get(2)?,
                    received_at: r.get(3)?,
                    sender: r.get(4)?,
                    subject: r.get(5)?,
                    class: r.get(6)?,
                    automated: r.get(7)?,
                    signals: serde_json::from_str(&signals).unwrap_or_default(),
                    matched_by: r.get(9)?,
                    source: r.get(10)?,
                    failed_recipient: r.get(11)?,
                    status: r.get(12)?,
                },
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}

/// Writes a probe down as `planned` inside the caller's transaction.
fn insert(tx: &Transaction<'_>, probe: &NewProbe, now: i64) -> Result<Probe, StoreError> {
    tx.execute(
        "INSERT INTO probe (token, company, channel, target, page_url, sender, reply_to,
                            message_id, subject, body, state, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, 'planned', ?11)",
        params![
            probe.token,
            probe.company,
            probe.channel,
            probe.target,
            probe.page_url,
            probe.sender,
            probe.reply_to,
            probe.message_id,
            probe.subject,
            probe.body,
            now
        ],
    )?;
    Ok(Probe {
        id: tx.last_insert_rowid(),
        new: probe.clone(),
        state: ProbeState::Planned,
        error: None,
        outcome: None,
        created_at: now,
        sending_at: None,
        sent_at: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn probe(token: &str) -> NewProbe {
        NewProbe {
            token: token.into(),
            company: "example.de".into(),
            channel: "email".into(),
            target: "service@example.de".into(),
            page_url: Some("https://www.example.de/kontakt".into()),
            sender: "Erika Mustermann <auditor@audit.example.org>".into(),
            reply_to: format!("auditor+{token}@audit.example.org"),
            message_id: format!("<{token}@probe.reachaudit.invalid>"),
            subject: format!("Kurze Frage [{token}]"),
            body: "…".into(),
        }
    }

    /// A database of schema 3 keeps its replies, and an undecided one stored as "not
    /// automated" becomes unknown (NULL), never "a person".
    #[test]
    fn undecided_replies_of_an_older_database_become_null() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("old.db");
        {
            let conn = rusqlite::Connection::open(&path).unwrap();
            for sql in &MIGRATIONS[..3] {
                conn.execute_batch(sql).unwrap();
            }
            conn.pragma_update(None, "user_version", 3).unwrap();
            conn.execute_batch(
                "INSERT INTO probe (id, token, company, channel, target, sender, reply_to, message_id,
                                    subject, body, state, created_at)
                 VALUES (1, 'ra-7kx3m9p2qd', 'example.de', 'email', 'a@example.de', 's', 'r',
                         '<m>', 'S', 'B', 'sent', 1);
                 INSERT INTO reply (probe_id, message_key, received_at, class, automated, signals,
                                    matched_by, source)
                 VALUES (1, 'a', 2, 'unknown', 0, '[]', 'to', 't'),
                        (1, 'b', 3, 'human', 0, '[]', 'to', 't'),
                        (1, 'c', 4, 'auto_reply', 1, '[]', 'to', 't');",
            )
            .unwrap();
        }
        let store = Store::open(&path).unwrap();
        assert_eq!(
            store.schema_version().unwrap(),
            i64::try_from(MIGRATIONS.len()).unwrap()
        );
        let automated: Vec<(String, Option<bool>)> = store
            .replies(1)
            .unwrap()
            .into_iter()
            .map(|r| (r.new.class, r.new.automated))
            .collect();
        assert_eq!(
            automated,
            [
                ("unknown".to_owned(), None),
                ("human".to_owned(), Some(false)),
                ("auto_reply".to_owned(), Some(true))
            ]
        );
    }

    #[test]
    fn states_move_forward_once_and_survive_reopening() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.db");
        let mut store = Store::open(&path).unwrap();
        assert_eq!(
            store.schema_version().unwrap(),
            i64::try_from(MIGRATIONS.len()).unwrap()
        );
        let p = store.plan(&probe("ra-7kx3m9p2qd"), 100).unwrap();
        assert!(
            store.plan(&probe("ra-7kx3m9p2qd"), 101).is_err(),
            "tokens are unique"
        );
        assert!(
            store
                .transition(p.id, ProbeState::Planned, ProbeState::Sending, 110, None)
                .unwrap()
        );
        assert!(
            !store
                .transition(p.id, ProbeState::Planned, ProbeState::Sending, 111, None)
                .unwrap(),
            "a second run cannot claim it again"
        );
        drop(store);
        let mut store = Store::open(&path).unwrap();
        let again = store.probe_by_token("ra-7kx3m9p2qd").unwrap().unwrap();
        assert_eq!(again.state, ProbeState::Sending);
        store
            .transition(p.id, ProbeState::Sending, ProbeState::Sent, 120, None)
            .unwrap();
        let sent = &store.probes(Some("example.de")).unwrap()[0];
        assert_eq!((sent.state, sent.sent_at), (ProbeState::Sent, Some(120)));
        assert_eq!(store.count_since("example.de", 50).unwrap(), 1);
        assert_eq!(store.count_since("example.de", 150).unwrap(), 0);
    }

    #[test]
    fn a_reply_is_stored_once() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("r.db")).unwrap();
        let p = store.plan(&probe("ra-abcdefghjk"), 100).unwrap();
        let reply = NewReply {
            probe_id: p.id,
            message_key: "<x@example.de>".into(),
            received_at: 200,
            sender: Some("Jan <jan@example.de>".into()),
            subject: Some("Re: Kurze Frage".into()),
            class: "human".into(),
            automated: Some(false),
            signals: vec!["no automation header or wording".into()],
            failed_recipient: None,
            status: None,
            matched_by: "in_reply_to".into(),
            source: "maildir:new/1".into(),
        };
        assert!(store.add_reply(&reply).unwrap());
        assert!(!store.add_reply(&reply).unwrap());
        let stored = store.replies(p.id).unwrap();
        assert_eq!(stored.len(), 1);
        assert_eq!(stored[0].new, reply);
        // A bounce keeps the address that failed and its status.
        let bounce = NewReply {
            message_key: "<b@mx.example.de>".into(),
            received_at: 300,
            class: "bounce".into(),
            automated: Some(true),
            failed_recipient: Some("owner@mail.example".into()),
            status: Some("5.2.2".into()),
            ..reply
        };
        assert!(store.add_reply(&bounce).unwrap());
        assert_eq!(store.replies(p.id).unwrap()[1].new, bounce);
    }

    #[test]
    fn a_newer_schema_is_refused_and_a_foreign_file_named() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.db");
        let conn = Connection::open(&path).unwrap();
        conn.pragma_update(None, "user_version", 99).unwrap();
        drop(conn);
        let err = Store::open(&path).unwrap_err().to_string();
        assert!(err.contains("newer reachaudit"), "{err}");
        let text = dir.path().join("notes.txt");
        std::fs::write(
            &text,
            "this is not a database, it is long enough to matter ".repeat(20),
        )
        .unwrap();
        let err = Store::open(&text).unwrap_err().to_string();
        assert!(
            err.contains("notes.txt") && err.contains("cannot open"),
            "{err}"
        );
    }
}
