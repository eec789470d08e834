//! Batch runs that several workers share: the run, each site's result, and the claims through
//! which workers divide the sites, kept in an SQLite file (one machine) or a PostgreSQL database
//! (a fleet).
//!
//! Workers divide a run by registrable domain: a claim is one domain of the list with a lease.
//! A worker claims a free domain, renews the lease while it crawls the domain's sites, and stores
//! each result in one transaction; the domain's last result closes the claim. A worker that dies
//! stops renewing: its lease runs out and another worker takes the domain, skipping what was
//! stored. Because the domain is the unit, one host is crawled by one worker at a time and the
//! per-host rate holds across the fleet. A result is stored at most once (the key is the run and
//! the URL); a second worker that finished the same site after a lost lease adds nothing.
//!
//! Leases are counted on the database's clock (PostgreSQL) or the machine's (SQLite, one
//! machine), so the workers' clocks need not agree.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use rusqlite::{OptionalExtension, TransactionBehavior, params};

use super::pg::{PgRuns, PgTarget};
use super::{Run, SiteRow, Store, StoreError};

/// Where batch runs are kept.
#[derive(Debug, Clone)]
pub enum Database {
    /// An SQLite file: one machine, any number of workers on it.
    Sqlite(PathBuf),
    /// A PostgreSQL database: workers on any number of machines.
    Postgres(Box<PgTarget>),
}

impl Database {
    /// A `--db` value: a `postgres://` or `postgresql://` URL, else an SQLite file path.
    ///
    /// # Errors
    /// A PostgreSQL URL that does not parse, named with the fix.
    pub fn parse(value: &str) -> Result<Self, StoreError> {
        let lower = value.get(..13).unwrap_or(value).to_ascii_lowercase();
        if lower.starts_with("postgres://") || lower.starts_with("postgresql://") {
            return PgTarget::parse(value).map(|t| Self::Postgres(Box::new(t)));
        }
        // `postgress://…` or `pg://…` is a typo, not a file name: refused without echoing what
        // may be a password.
        if let Some((scheme, _)) = value.split_once("://")
            && !scheme.is_empty()
            && scheme
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
        {
            return Err(StoreError::Url {
                db: format!("{scheme}://…"),
                reason: format!("{scheme}:// is not a database reachaudit knows"),
            });
        }
        Ok(Self::Sqlite(PathBuf::from(value)))
    }

    /// How it is named in messages: the file, or the URL without its password.
    #[must_use]
    pub fn shown(&self) -> String {
        match self {
            Self::Sqlite(path) => path.display().to_string(),
            Self::Postgres(target) => target.shown(),
        }
    }
}

/// The sites of one registrable domain in a list: what a worker claims.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostGroup {
    /// The registrable domain (or host and port where there is none).
    pub domain: String,
    /// The list position of its first site: claims are handed out in list order.
    pub position: i64,
    /// Its sites' URLs.
    pub urls: Vec<String>,
}

/// What a worker asks for when it joins the run of a list.
#[derive(Debug, Clone)]
pub struct JoinRequest<'a> {
    /// The list file as given.
    pub list: &'a str,
    /// SHA-256 of the list's contents: the same list joins the same run.
    pub digest: &'a str,
    /// reachaudit's version.
    pub tool_version: &'a str,
    /// The rules' fingerprint.
    pub rules_version: &'a str,
    /// Start a new run even though one exists.
    pub rerun: bool,
    /// Forget the failed sites of the last run and audit them again.
    pub retry_failed: bool,
    /// The list's sites by domain.
    pub groups: &'a [HostGroup],
}

/// How a worker came to its run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum How {
    /// It started the run.
    Started,
    /// The run was under way (maybe other workers are on it).
    Resumed,
    /// The run had finished; only its exports are written.
    Finished,
    /// This many failed sites were forgotten to be audited again.
    Retrying(usize),
}

/// The run a worker joined.
#[derive(Debug, Clone)]
pub struct Joined {
    /// The run.
    pub run: Run,
    /// How.
    pub how: How,
}

/// A domain a worker holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claim {
    /// The domain.
    pub domain: String,
    /// How often it was claimed, this time included: more than one means a worker before this
    /// one lost it (died, or lost the database).
    pub attempts: i64,
}

/// A whole run's state, for the progress line.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RunProgress {
    /// Sites stored as evaluated.
    pub done: i64,
    /// Sites stored as failed.
    pub failed: i64,
    /// Domains not finished yet.
    pub open: i64,
    /// Domains other workers hold a live lease on.
    pub claimed_by_others: i64,
}

/// Who a worker is: machine, process namespace and process, and a random part so a reused
/// process id is not taken for the old worker. A worker on the same machine and in the same
/// process namespace can tell that another worker's process is gone and release its claims at
/// once instead of waiting for the leases to run out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkerId {
    /// The machine's boot (`/proc/sys/kernel/random/boot_id`): unlike the host name, no two
    /// machines share it, cloned ones included.
    boot: String,
    namespace: String,
    pid: u32,
    id: String,
}

impl WorkerId {
    /// This process.
    #[must_use]
    pub fn current() -> Self {
        let read = |path: &str| {
            std::fs::read_to_string(path)
                .map(|h| h.trim().replace('/', ""))
                .ok()
                .filter(|h| !h.is_empty())
        };
        // The host name is for people reading the claims; the boot id tells machines apart.
        let host = read("/proc/sys/kernel/hostname")
            .or_else(|| read("/etc/hostname"))
            .unwrap_or_else(|| "localhost".to_owned());
        let boot = read("/proc/sys/kernel/random/boot_id").unwrap_or_default();
        // Process ids are only comparable inside one pid namespace (containers have their own).
        let namespace = std::fs::read_link("/proc/self/ns/pid")
            .map(|p| p.display().to_string().replace('/', ""))
            .unwrap_or_default();
        let pid = std::process::id();
        let mut nonce = [0u8; 4];
        let _ = ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut nonce);
        let nonce: String = nonce.iter().map(|b| format!("{b:02x}")).collect();
        let id = format!("{host}/{boot}/{namespace}/{pid}/{nonce}");
        Self {
            boot,
            namespace,
            pid,
            id,
        }
    }

    /// As stored with claims and results.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.id
    }

    /// Whether the worker `other` (as stored) ran on this machine since its last boot, in this
    /// process namespace, in a process that no longer exists. Only Linux can tell (`/proc`), and
    /// only where `/proc` shows every process (not under `hidepid`, where pid 1 is hidden too);
    /// elsewhere never, and the lease decides.
    fn outlived(&self, other: &str) -> bool {
        let mut parts = other.split('/').skip(1);
        let (Some(boot), Some(namespace), Some(pid)) = (parts.next(), parts.next(), parts.next())
        else {
            return false;
        };
        let Ok(pid) = pid.parse::<u32>() else {
            return false;
        };
        !self.boot.is_empty()
            && boot == self.boot
            && !self.namespace.is_empty()
            && namespace == self.namespace
            && pid != self.pid
            && std::path::Path::new("/proc/1").exists()
            && !std::path::Path::new(&format!("/proc/{pid}")).exists()
    }
}

/// Batch runs in either kind of database.
#[derive(Debug)]
pub enum RunStore {
    /// An SQLite file.
    Sqlite(Mutex<Store>),
    /// A PostgreSQL database.
    Postgres(PgRuns),
}

impl RunStore {
    /// Opens (or creates) the database and migrates it. A PostgreSQL connection is driven by the
    /// current tokio runtime, which must outlive the store.
    ///
    /// # Errors
    /// A database that cannot be opened or reached, or one written by a newer reachaudit.
    pub async fn open(db: &Database) -> Result<Self, StoreError> {
        match db {
            Database::Sqlite(path) => Ok(Self::Sqlite(Mutex::new(Store::open(path)?))),
            Database::Postgres(target) => Ok(Self::Postgres(PgRuns::connect(target).await?)),
        }
    }

    /// Opens a database that already holds batch runs, for reading: a PostgreSQL database is
    /// neither created into nor migrated (an SQLite file is migrated, as every reader of it is).
    ///
    /// # Errors
    /// A database that cannot be reached, holds no runs, or was written by a newer reachaudit.
    pub async fn open_existing(db: &Database) -> Result<Self, StoreError> {
        match db {
            Database::Sqlite(path) => Ok(Self::Sqlite(Mutex::new(Store::open(path)?))),
            Database::Postgres(target) => Ok(Self::Postgres(PgRuns::open_existing(target).await?)),
        }
    }

    fn sqlite(store: &Mutex<Store>) -> MutexGuard<'_, Store> {
        // A panic while holding the lock cannot leave a half-written row: every write is one
        // transaction, rolled back when dropped.
        store.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The schema version after migration.
    ///
    /// # Errors
    /// A failed query.
    pub async fn schema_version(&self) -> Result<i64, StoreError> {
        match self {
            Self::Sqlite(s) => Self::sqlite(s).schema_version(),
            Self::Postgres(pg) => pg.schema_version().await,
        }
    }

    /// Every run, oldest first; only those of one list when given.
    ///
    /// # Errors
    /// A failed query.
    pub async fn runs(&self, list_digest: Option<&str>) -> Result<Vec<Run>, StoreError> {
        match self {
            Self::Sqlite(s) => Self::sqlite(s).runs(list_digest),
            Self::Postgres(pg) => pg.runs(list_digest).await,
        }
    }

    /// Joins the run of a list, in one transaction that no other worker interleaves with: the
    /// last run of the list if it is under way (or finished, for its exports), else a new one;
    /// every domain of the list gets its claim. `None` when failed sites are to be retried and
    /// the list has no run.
    ///
    /// # Errors
    /// A failed write.
    pub async fn join(
        &self,
        request: &JoinRequest<'_>,
        now: i64,
    ) -> Result<Option<Joined>, StoreError> {
        match self {
            Self::Sqlite(s) => Self::sqlite(s).join_run(request, now),
            Self::Postgres(pg) => pg.join(request, now).await,
        }
    }

    /// Claims the first free domain of a run (in list order) with a lease, releasing first the
    /// claims of workers on this machine whose process is gone; `None` when no domain is free.
    ///
    /// # Errors
    /// A failed write.
    pub async fn claim(
        &self,
        run_id: i64,
        worker: &WorkerId,
        lease: Duration,
    ) -> Result<Option<Claim>, StoreError> {
        let lease = lease_ms(lease);
        match self {
            Self::Sqlite(s) => {
                let mut store = Self::sqlite(s);
                let now = super::now_ms();
                for holder in store.holders(run_id, now)? {
                    if worker.outlived(&holder) {
                        store.release_worker(run_id, &holder)?;
                    }
                }
                store.claim(run_id, worker.as_str(), lease, now)
            }
            Self::Postgres(pg) => {
                for holder in pg.holders(run_id).await? {
                    if worker.outlived(&holder) {
                        pg.release_worker(run_id, &holder).await?;
                    }
                }
                pg.claim(run_id, worker.as_str(), lease).await
            }
        }
    }

    /// Extends a lease; `false` when the claim is no longer this worker's (its lease ran out and
    /// another worker took the domain) or the domain is finished.
    ///
    /// # Errors
    /// A failed write.
    pub async fn renew(
        &self,
        run_id: i64,
        domain: &str,
        worker: &WorkerId,
        lease: Duration,
    ) -> Result<bool, StoreError> {
        let lease = lease_ms(lease);
        match self {
            Self::Sqlite(s) => {
                Self::sqlite(s).renew(run_id, domain, worker.as_str(), lease, super::now_ms())
            }
            Self::Postgres(pg) => pg.renew(run_id, domain, worker.as_str(), lease).await,
        }
    }

    /// Which of these URLs of a run are stored.
    ///
    /// # Errors
    /// A failed query.
    pub async fn stored_among(
        &self,
        run_id: i64,
        urls: &[String],
    ) -> Result<HashSet<String>, StoreError> {
        match self {
            Self::Sqlite(s) => Self::sqlite(s).stored_among(run_id, urls),
            Self::Postgres(pg) => pg.stored_among(run_id, urls).await,
        }
    }

    /// Stores a site's result in one transaction, closing the domain's claim when `closes` names
    /// it (its last site); `false` when the site was stored before (by a worker that held the
    /// domain before this one), which keeps the first result.
    ///
    /// # Errors
    /// A failed write.
    pub async fn record(
        &self,
        run_id: i64,
        row: &SiteRow,
        worker: &WorkerId,
        closes: Option<&str>,
        now: i64,
    ) -> Result<bool, StoreError> {
        match self {
            Self::Sqlite(s) => {
                Self::sqlite(s).record_claimed(run_id, row, worker.as_str(), closes, now)
            }
            Self::Postgres(pg) => pg.record(run_id, row, worker.as_str(), closes, now).await,
        }
    }

    /// Closes this worker's claim on a domain whose sites were all stored before it was claimed.
    ///
    /// # Errors
    /// A failed write.
    pub async fn close(
        &self,
        run_id: i64,
        domain: &str,
        worker: &WorkerId,
    ) -> Result<(), StoreError> {
        match self {
            Self::Sqlite(s) => Self::sqlite(s).close_claim(run_id, domain, worker.as_str()),
            Self::Postgres(pg) => pg.close(run_id, domain, worker.as_str()).await,
        }
    }

    /// Gives back every claim this worker holds (it stops: interrupted, or its list does not
    /// match the run), so other workers take them at once instead of after the lease.
    ///
    /// # Errors
    /// A failed write.
    pub async fn release(&self, run_id: i64, worker: &WorkerId) -> Result<(), StoreError> {
        match self {
            Self::Sqlite(s) => Self::sqlite(s).release_worker(run_id, worker.as_str()),
            Self::Postgres(pg) => pg.release_worker(run_id, worker.as_str()).await,
        }
    }

    /// Where the whole run stands.
    ///
    /// # Errors
    /// A failed query.
    pub async fn progress(
        &self,
        run_id: i64,
        worker: &WorkerId,
    ) -> Result<RunProgress, StoreError> {
        match self {
            Self::Sqlite(s) => Self::sqlite(s).progress(run_id, worker.as_str(), super::now_ms()),
            Self::Postgres(pg) => pg.progress(run_id, worker.as_str()).await,
        }
    }

    /// Marks a run finished once every domain is; `false` while some are not.
    ///
    /// # Errors
    /// A failed write.
    pub async fn finish(&self, run_id: i64, now: i64) -> Result<bool, StoreError> {
        match self {
            Self::Sqlite(s) => Self::sqlite(s).finish_claimed(run_id, now),
            Self::Postgres(pg) => pg.finish(run_id, now).await,
        }
    }

    /// How many of a run's sites are stored as done and as failed.
    ///
    /// # Errors
    /// A failed query.
    pub async fn site_counts(&self, run_id: i64) -> Result<(i64, i64), StoreError> {
        match self {
            Self::Sqlite(s) => Self::sqlite(s).site_counts(run_id),
            Self::Postgres(pg) => pg.site_counts(run_id).await,
        }
    }

    /// A run's sites in list order, one at a time (PostgreSQL reads them a page at a time), so
    /// exports never hold every report in memory.
    ///
    /// # Errors
    /// A failed query, or what `each` returns.
    pub async fn each_site<E: From<StoreError>>(
        &self,
        run_id: i64,
        each: impl FnMut(SiteRow) -> Result<(), E>,
    ) -> Result<(), E> {
        match self {
            Self::Sqlite(s) => Self::sqlite(s).each_site(run_id, each),
            Self::Postgres(pg) => pg.each_site(run_id, each).await,
        }
    }
}

/// A lease in milliseconds, at least one second.
fn lease_ms(lease: Duration) -> i64 {
    i64::try_from(lease.as_millis().max(1000)).unwrap_or(i64::MAX / 4)
}

/// Claims for every domain of a list that has none yet: closed when all its sites are stored.
pub(super) fn open_claims<'a>(
    groups: &'a [HostGroup],
    stored: &'a HashSet<String>,
) -> impl Iterator<Item = (&'a str, i64, bool)> + 'a {
    groups.iter().map(|g| {
        (
            g.domain.as_str(),
            g.position,
            g.urls.iter().all(|u| stored.contains(u)),
        )
    })
}

/// The domains of the URLs, by the list's groups.
pub(super) fn domains_of(groups: &[HostGroup], urls: &[String]) -> Vec<String> {
    let by_url: HashMap<&str, &str> = groups
        .iter()
        .flat_map(|g| g.urls.iter().map(|u| (u.as_str(), g.domain.as_str())))
        .collect();
    let mut domains: Vec<String> = urls
        .iter()
        .filter_map(|u| by_url.get(u.as_str()).map(|d| (*d).to_owned()))
        .collect();
    domains.sort();
    domains.dedup();
    domains
}

impl Store {
    fn join_run(
        &mut self,
        request: &JoinRequest<'_>,
        now: i64,
    ) -> Result<Option<Joined>, StoreError> {
        // Immediate: the write lock is taken now, so two workers joining at once are serialised
        // and the second sees the run the first started.
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let last = tx
            .query_row(
                "SELECT id, list, list_digest, started_at, finished_at, tool_version, rules_version
                 FROM run WHERE list_digest = ?1 ORDER BY id DESC LIMIT 1",
                params![request.digest],
                super::run_row,
            )
            .optional()?;
        let (run, how) = match last {
            None if request.retry_failed => return Ok(None),
            Some(mut run) if request.retry_failed => {
                // Reopening sites while workers are on the run would hand their hosts to a
                // second worker and lose the sites they close meanwhile.
                let live: i64 = tx.query_row(
                    "SELECT COUNT(*) FROM claim WHERE run_id = ?1 AND done = 0
                     AND worker IS NOT NULL AND lease_until > ?2",
                    params![run.id, super::now_ms()],
                    |r| r.get(0),
                )?;
                if live > 0 {
                    return Err(StoreError::RunInProgress { run: run.id });
                }
                let failed: Vec<String> = {
                    let mut stmt =
                        tx.prepare("SELECT url FROM site WHERE run_id = ?1 AND status = 'failed'")?;
                    stmt.query_map(params![run.id], |r| r.get(0))?
                        .collect::<Result<_, _>>()?
                };
                tx.execute(
                    "DELETE FROM site WHERE run_id = ?1 AND status = 'failed'",
                    params![run.id],
                )?;
                for domain in domains_of(request.groups, &failed) {
                    tx.execute(
                        "UPDATE claim SET done = 0, worker = NULL, lease_until = NULL
                         WHERE run_id = ?1 AND domain = ?2",
                        params![run.id, domain],
                    )?;
                }
                if !failed.is_empty() {
                    tx.execute(
                        "UPDATE run SET finished_at = NULL WHERE id = ?1",
                        params![run.id],
                    )?;
                    run.finished_at = None;
                }
                (run, How::Retrying(failed.len()))
            }
            Some(run) if !request.rerun && run.finished_at.is_none() => (run, How::Resumed),
            Some(run) if !request.rerun => (run, How::Finished),
            _ => {
                tx.execute(
                    "INSERT INTO run (list, list_digest, started_at, tool_version, rules_version)
                     VALUES (?1, ?2, ?3, ?4, ?5)",
                    params![
                        request.list,
                        request.digest,
                        now,
                        request.tool_version,
                        request.rules_version
                    ],
                )?;
                let run = Run {
                    id: tx.last_insert_rowid(),
                    list: request.list.to_owned(),
                    list_digest: request.digest.to_owned(),
                    started_at: now,
                    finished_at: None,
                    tool_version: request.tool_version.to_owned(),
                    rules_version: request.rules_version.to_owned(),
                };
                (run, How::Started)
            }
        };
        if run.finished_at.is_none() {
            let stored: HashSet<String> = {
                let mut stmt = tx.prepare("SELECT url FROM site WHERE run_id = ?1")?;
                stmt.query_map(params![run.id], |r| r.get(0))?
                    .collect::<Result<_, _>>()?
            };
            let mut insert = tx.prepare(
                "INSERT INTO claim (run_id, domain, position, done) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (run_id, domain) DO NOTHING",
            )?;
            for (domain, position, done) in open_claims(request.groups, &stored) {
                insert.execute(params![run.id, domain, position, done])?;
            }
        }
        tx.commit()?;
        Ok(Some(Joined { run, how }))
    }

    /// Workers holding a live lease on a run.
    fn holders(&self, run_id: i64, now: i64) -> Result<Vec<String>, StoreError> {
        let mut stmt = self.conn.prepare(
            "SELECT DISTINCT worker FROM claim
             WHERE run_id = ?1 AND done = 0 AND worker IS NOT NULL AND lease_until > ?2",
        )?;
        let rows = stmt.query_map(params![run_id, now], |r| r.get(0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn release_worker(&mut self, run_id: i64, worker: &str) -> Result<(), StoreError> {
        self.conn.execute(
            "UPDATE claim SET worker = NULL, lease_until = NULL
             WHERE run_id = ?1 AND worker = ?2 AND done = 0",
            params![run_id, worker],
        )?;
        Ok(())
    }

    fn claim(
        &mut self,
        run_id: i64,
        worker: &str,
        lease: i64,
        now: i64,
    ) -> Result<Option<Claim>, StoreError> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let free: Option<String> = tx
            .query_row(
                "SELECT domain FROM claim
                 WHERE run_id = ?1 AND done = 0 AND (lease_until IS NULL OR lease_until <= ?2)
                 ORDER BY position LIMIT 1",
                params![run_id, now],
                |r| r.get(0),
            )
            .optional()?;
        let Some(domain) = free else {
            return Ok(None);
        };
        let attempts: i64 = tx.query_row(
            "UPDATE claim SET worker = ?3, lease_until = ?4, attempts = attempts + 1
             WHERE run_id = ?1 AND domain = ?2 RETURNING attempts",
            params![run_id, domain, worker, now.saturating_add(lease)],
            |r| r.get(0),
        )?;
        tx.commit()?;
        Ok(Some(Claim { domain, attempts }))
    }

    fn renew(
        &mut self,
        run_id: i64,
        domain: &str,
        worker: &str,
        lease: i64,
        now: i64,
    ) -> Result<bool, StoreError> {
        let changed = self.conn.execute(
            "UPDATE claim SET lease_until = ?4
             WHERE run_id = ?1 AND domain = ?2 AND worker = ?3 AND done = 0",
            params![run_id, domain, worker, now.saturating_add(lease)],
        )?;
        Ok(changed == 1)
    }

    fn record_claimed(
        &mut self,
        run_id: i64,
        row: &SiteRow,
        worker: &str,
        closes: Option<&str>,
        now: i64,
    ) -> Result<bool, StoreError> {
        let tx = self.conn.transaction()?;
        let inserted = tx.execute(
            "INSERT INTO site (run_id, position, name, url, metadata, status, error, report,
                               pages, finished_at, worker)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)
             ON CONFLICT (run_id, url) DO NOTHING",
            params![
                run_id,
                row.position,
                row.name,
                row.url,
                row.metadata,
                row.status,
                row.error,
                row.report,
                row.pages,
                now,
                worker
            ],
        )?;
        if let Some(domain) = closes {
            // Only while the claim is still this worker's: once another worker holds it (this
            // one's lease ran out), closing it is theirs.
            tx.execute(
                "UPDATE claim SET done = 1, lease_until = NULL
                 WHERE run_id = ?1 AND domain = ?2 AND worker = ?3",
                params![run_id, domain, worker],
            )?;
        }
        tx.commit()?;
        Ok(inserted == 1)
    }

    fn close_claim(&mut self, run_id: i64, domain: &str, worker: &str) -> Result<(), StoreError> {
        self.conn.execute(
            "UPDATE claim SET done = 1, lease_until = NULL
             WHERE run_id = ?1 AND domain = ?2 AND worker = ?3",
            params![run_id, domain, worker],
        )?;
        Ok(())
    }

    fn stored_among(&self, run_id: i64, urls: &[String]) -> Result<HashSet<String>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT 1 FROM site WHERE run_id = ?1 AND url = ?2")?;
        let mut stored = HashSet::new();
        for url in urls {
            if stmt.exists(params![run_id, url])? {
                stored.insert(url.clone());
            }
        }
        Ok(stored)
    }

    fn progress(&self, run_id: i64, worker: &str, now: i64) -> Result<RunProgress, StoreError> {
        Ok(self.conn.query_row(
            "SELECT (SELECT COUNT(*) FROM site WHERE run_id = ?1 AND status = 'done'),
                    (SELECT COUNT(*) FROM site WHERE run_id = ?1 AND status <> 'done'),
                    (SELECT COUNT(*) FROM claim WHERE run_id = ?1 AND done = 0),
                    (SELECT COUNT(*) FROM claim WHERE run_id = ?1 AND done = 0
                        AND worker IS NOT NULL AND worker <> ?2 AND lease_until > ?3)",
            params![run_id, worker, now],
            |r| {
                Ok(RunProgress {
                    done: r.get(0)?,
                    failed: r.get(1)?,
                    open: r.get(2)?,
                    claimed_by_others: r.get(3)?,
                })
            },
        )?)
    }

    fn finish_claimed(&mut self, run_id: i64, now: i64) -> Result<bool, StoreError> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        tx.execute(
            "UPDATE run SET finished_at = ?2 WHERE id = ?1 AND finished_at IS NULL
               AND NOT EXISTS (SELECT 1 FROM claim WHERE run_id = ?1 AND done = 0)",
            params![run_id, now],
        )?;
        let finished: Option<i64> = tx.query_row(
            "SELECT finished_at FROM run WHERE id = ?1",
            params![run_id],
            |r| r.get(0),
        )?;
        tx.commit()?;
        Ok(finished.is_some())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A worker whose process is gone is known as such only on its own machine and in its own
    /// process namespace; a live one never.
    #[test]
    fn a_gone_worker_on_this_machine_is_told_from_a_live_or_distant_one() {
        let me = WorkerId::current();
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let gone = child.id();
        child.wait().unwrap();
        let stored =
            |boot: &str, pid: u32| format!("some-host/{boot}/{}/{pid}/0badc0de", me.namespace);
        assert!(me.outlived(&stored(&me.boot, gone)), "gone, here");
        assert!(
            !me.outlived(&stored(&me.boot, me.pid)),
            "this process lives"
        );
        assert!(
            !me.outlived(&stored("another-boot", gone)),
            "another machine, whatever its name"
        );
        assert!(
            !me.outlived(&format!("some-host/{}/pid:[1]/{gone}/0badc0de", me.boot)),
            "another namespace"
        );
        assert!(!me.outlived("not a worker id"));
        assert!(me.as_str().contains(&format!("/{}/", me.pid)));
    }
}
