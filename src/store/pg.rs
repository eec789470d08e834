//! The PostgreSQL backend of batch runs: the same tables as the SQLite file (runs, sites,
//! claims), its own migrations, and claims taken with `FOR UPDATE SKIP LOCKED` so many workers
//! on many machines share one run without waiting on each other.
//!
//! Probes stay in SQLite: they are sent and polled from one machine, and their "never twice"
//! promise rests on that file's synchronous writes.

use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use tokio_postgres::config::Host;
use tokio_postgres::{Client, Config, Row};

use super::runs::{Claim, How, JoinRequest, Joined, RunProgress, domains_of, open_claims};
use super::{Run, SiteRow, StoreError};

/// Schema migrations, in order; index + 1 is the version after it ran. The same tables as the
/// SQLite file's batch part, with the column types PostgreSQL wants.
const MIGRATIONS: &[&str] = &[
    // 1: runs, sites and the claims workers divide a run by.
    "CREATE TABLE run (
        id            BIGSERIAL PRIMARY KEY,
        list          TEXT NOT NULL,
        list_digest   TEXT NOT NULL,
        started_at    BIGINT NOT NULL,
        finished_at   BIGINT,
        tool_version  TEXT NOT NULL,
        rules_version TEXT NOT NULL
    );
    CREATE INDEX run_list ON run (list_digest, id);
    CREATE TABLE site (
        run_id      BIGINT NOT NULL REFERENCES run (id),
        position    BIGINT NOT NULL,
        name        TEXT NOT NULL,
        url         TEXT NOT NULL,
        metadata    TEXT NOT NULL,
        status      TEXT NOT NULL CHECK (status IN ('done', 'failed')),
        error       TEXT,
        report      TEXT,
        pages       BIGINT NOT NULL,
        finished_at BIGINT NOT NULL,
        worker      TEXT,
        PRIMARY KEY (run_id, url)
    );
    CREATE INDEX site_position ON site (run_id, position);
    CREATE TABLE claim (
        run_id      BIGINT NOT NULL REFERENCES run (id),
        domain      TEXT NOT NULL,
        position    BIGINT NOT NULL,
        done        BOOLEAN NOT NULL DEFAULT FALSE,
        worker      TEXT,
        lease_until BIGINT,
        attempts    BIGINT NOT NULL DEFAULT 0,
        PRIMARY KEY (run_id, domain)
    );
    CREATE INDEX claim_open ON claim (run_id, position) WHERE NOT done;",
];

/// The database's clock in unix milliseconds: leases are counted on it, so workers on machines
/// whose clocks disagree still agree on when a lease ran out.
const NOW: &str = "(EXTRACT(EPOCH FROM clock_timestamp()) * 1000)::BIGINT";

/// Taken while migrating, so two workers starting at once do not both migrate.
const MIGRATION_LOCK: i64 = 0x7265_6163_6861_7564; // "reachaud"

/// Sites read per query when exporting.
const PAGE: i64 = 256;

/// How long connecting may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(15);

/// A `postgres://` URL: where to connect and how to name it without the password.
#[derive(Clone)]
pub struct PgTarget {
    config: Config,
    shown: String,
}

impl std::fmt::Debug for PgTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.shown)
    }
}

impl PgTarget {
    /// Reads a `postgres://USER@HOST:PORT/DB` URL (libpq's form, options such as
    /// `?sslmode=require` included).
    ///
    /// # Errors
    /// A URL that does not parse, or that names no database.
    pub fn parse(url: &str) -> Result<Self, StoreError> {
        let config: Config = url.parse().map_err(|e| StoreError::Url {
            db: redact(url),
            reason: format!("{e}"),
        })?;
        if config.get_dbname().is_none() {
            return Err(StoreError::Url {
                db: redact(url),
                reason: "no database named".to_owned(),
            });
        }
        let shown = shown(&config);
        Ok(Self { config, shown })
    }

    /// The URL without its password.
    #[must_use]
    pub fn shown(&self) -> String {
        self.shown.clone()
    }

    /// Whether the URL carries a password (`PGPASSWORD`, a password file and `~/.pgpass` are
    /// then not read).
    #[must_use]
    pub fn has_password(&self) -> bool {
        self.config.get_password().is_some()
    }

    /// Logs in with this password (read from a file named in `reachaudit.toml`).
    pub fn set_password(&mut self, password: &str) {
        self.config.password(password);
    }

    /// The password, when the URL has none: `PGPASSWORD`, else the first matching line of the
    /// password file (`PGPASSFILE`, else `~/.pgpass`), as libpq reads them.
    fn password(&self) -> Option<String> {
        if self.config.get_password().is_some() {
            return None;
        }
        if let Ok(password) = std::env::var("PGPASSWORD")
            && !password.is_empty()
        {
            return Some(password);
        }
        let file = std::env::var_os("PGPASSFILE")
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".pgpass")))?;
        let text = std::fs::read_to_string(file).ok()?;
        let host = match self.config.get_hosts().first() {
            Some(Host::Tcp(h)) => h.clone(),
            _ => "localhost".to_owned(),
        };
        let port = self
            .config
            .get_ports()
            .first()
            .copied()
            .unwrap_or(5432)
            .to_string();
        let db = self.config.get_dbname().unwrap_or_default();
        let user = self.config.get_user().unwrap_or_default();
        pgpass_lookup(&text, [host.as_str(), &port, db, user])
    }
}

/// The password of the first `.pgpass` line whose host, port, database and user match (`*`
/// matches anything; `\:` and `\\` are escapes).
fn pgpass_lookup(text: &str, wanted: [&str; 4]) -> Option<String> {
    for line in text.lines() {
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let mut fields = Vec::with_capacity(5);
        let mut field = String::new();
        let mut chars = line.chars();
        while let Some(c) = chars.next() {
            match c {
                '\\' => field.extend(chars.next()),
                ':' if fields.len() < 4 => fields.push(std::mem::take(&mut field)),
                c => field.push(c),
            }
        }
        fields.push(field);
        if fields.len() == 5
            && fields
                .iter()
                .zip(wanted)
                .all(|(field, want)| field == "*" || field == want)
        {
            return fields.pop();
        }
    }
    None
}

/// TLS for the connection. With `PGSSLROOTCERT` naming a PEM file, the server's certificate must
/// chain to it (and name the host); without, the connection is encrypted but the certificate not
/// checked, as libpq's `sslmode=prefer` and `require` do: database servers mostly carry
/// self-signed certificates (Debian's and Ubuntu's packages make one at install).
fn tls_config(shown: &str) -> Result<tokio_postgres_rustls::MakeRustlsConnect, StoreError> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let config = match std::env::var_os("PGSSLROOTCERT").filter(|v| !v.is_empty()) {
        Some(file) => {
            use rustls::pki_types::CertificateDer;
            use rustls::pki_types::pem::PemObject;
            let file = PathBuf::from(file);
            let mut roots = rustls::RootCertStore::empty();
            let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(&file)
                .and_then(Iterator::collect)
                .map_err(|e| StoreError::Url {
                    db: shown.to_owned(),
                    reason: format!(
                        "PGSSLROOTCERT {}: not a PEM certificate file ({e})",
                        file.display()
                    ),
                })?;
            for cert in certs {
                let _ = roots.add(cert);
            }
            rustls::ClientConfig::builder()
                .with_root_certificates(Arc::new(roots))
                .with_no_client_auth()
        }
        None => rustls::ClientConfig::builder()
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(EncryptOnly(
                rustls::crypto::ring::default_provider(),
            )))
            .with_no_client_auth(),
    };
    Ok(tokio_postgres_rustls::MakeRustlsConnect::new(config))
}

/// Accepts the server's certificate unchecked but still verifies that the server holds its key
/// (the handshake signatures): encryption against eavesdroppers, as libpq's `require`.
#[derive(Debug)]
struct EncryptOnly(rustls::crypto::CryptoProvider);

impl rustls::client::danger::ServerCertVerifier for EncryptOnly {
    fn verify_server_cert(
        &self,
        _end_entity: &rustls::pki_types::CertificateDer<'_>,
        _intermediates: &[rustls::pki_types::CertificateDer<'_>],
        _server_name: &rustls::pki_types::ServerName<'_>,
        _ocsp_response: &[u8],
        _now: rustls::pki_types::UnixTime,
    ) -> Result<rustls::client::danger::ServerCertVerified, rustls::Error> {
        Ok(rustls::client::danger::ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &rustls::pki_types::CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &rustls::pki_types::CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// `postgres://user@host:port/db`, never with a password.
fn shown(config: &Config) -> String {
    let host = match config.get_hosts().first() {
        Some(Host::Tcp(h)) => h.clone(),
        Some(Host::Unix(p)) => p.display().to_string(),
        None => "localhost".to_owned(),
    };
    let port = config.get_ports().first().copied().unwrap_or(5432);
    let user = config
        .get_user()
        .map(|u| format!("{u}@"))
        .unwrap_or_default();
    format!(
        "postgres://{user}{host}:{port}/{}",
        config.get_dbname().unwrap_or_default()
    )
}

/// A URL that did not parse, with anything between `://` and `@` after a `:` and the query
/// (`?password=…`) left out.
fn redact(url: &str) -> String {
    let url = url.split_once('?').map_or(url, |(u, _)| u);
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    match rest.rsplit_once('@') {
        Some((userinfo, host)) => {
            let user = userinfo.split(':').next().unwrap_or_default();
            format!("{scheme}://{user}@{host}")
        }
        None => url.to_owned(),
    }
}

/// Batch runs in PostgreSQL. One connection per worker: the worker's own writes are few and
/// small (a claim, a renewal, a result per site), so they take turns on it.
pub struct PgRuns {
    client: tokio::sync::Mutex<Client>,
    shown: String,
}

impl std::fmt::Debug for PgRuns {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgRuns").field("db", &self.shown).finish()
    }
}

fn run_of(row: &Row) -> Run {
    Run {
        id: row.get(0),
        list: row.get(1),
        list_digest: row.get(2),
        started_at: row.get(3),
        finished_at: row.get(4),
        tool_version: row.get(5),
        rules_version: row.get(6),
    }
}

const RUN_COLUMNS: &str =
    "id, list, list_digest, started_at, finished_at, tool_version, rules_version";

impl PgRuns {
    /// Connects and migrates the schema.
    pub(super) async fn connect(target: &PgTarget) -> Result<Self, StoreError> {
        let runs = Self::connect_only(target).await?;
        runs.migrate().await?;
        Ok(runs)
    }

    /// Connects to a database that must already hold batch runs, changing nothing: for readers.
    pub(super) async fn open_existing(target: &PgTarget) -> Result<Self, StoreError> {
        let runs = Self::connect_only(target).await?;
        let exists: bool = {
            let client = runs.client.lock().await;
            client
                .query_one("SELECT to_regclass('reachaudit_schema') IS NOT NULL", &[])
                .await
                .map_err(runs.fail())?
                .get(0)
        };
        if !exists {
            return Err(StoreError::NoRuns { db: runs.shown });
        }
        let version = runs.schema_version().await?;
        let known = i64::try_from(MIGRATIONS.len()).unwrap_or(i64::MAX);
        if version > known {
            return Err(StoreError::Newer {
                db: runs.shown,
                found: version,
                known,
            });
        }
        Ok(runs)
    }

    /// Connects: TLS as libpq does it (`sslmode=prefer`, the default, encrypts when the server
    /// offers it; `require` insists), the server's certificate checked against `PGSSLROOTCERT`
    /// when that names a CA file and not checked otherwise, as libpq's `prefer` and `require` do.
    async fn connect_only(target: &PgTarget) -> Result<Self, StoreError> {
        let mut config = target.config.clone();
        if let Some(password) = target.password() {
            config.password(password);
        }
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(CONNECT_TIMEOUT);
        }
        if config.get_application_name().is_none() {
            config.application_name("reachaudit");
        }
        // A database that vanishes without closing the connection (a machine gone, a failover)
        // is noticed within a minute instead of the kernel's quarter of an hour.
        config.keepalives(true);
        config.keepalives_idle(Duration::from_secs(30));
        config.tcp_user_timeout(Duration::from_secs(60));
        let shown = target.shown();
        let tls = tls_config(&shown)?;
        let (client, connection) =
            config
                .connect(tls)
                .await
                .map_err(|cause| StoreError::Postgres {
                    db: shown.clone(),
                    cause,
                })?;
        // The connection does the talking; it ends when the client is dropped or the server
        // goes away, and every later call then fails with "connection closed".
        tokio::spawn(async move {
            let _ = connection.await;
        });
        Ok(Self {
            client: tokio::sync::Mutex::new(client),
            shown,
        })
    }

    fn fail(&self) -> impl Fn(tokio_postgres::Error) -> StoreError + '_ {
        |cause| StoreError::Postgres {
            db: self.shown.clone(),
            cause,
        }
    }

    async fn migrate(&self) -> Result<(), StoreError> {
        let fail = self.fail();
        let mut client = self.client.lock().await;
        let tx = client.transaction().await.map_err(&fail)?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
            .await
            .map_err(&fail)?;
        tx.batch_execute(
            "CREATE TABLE IF NOT EXISTS reachaudit_schema (version INTEGER NOT NULL);
             INSERT INTO reachaudit_schema (version)
                 SELECT 0 WHERE NOT EXISTS (SELECT 1 FROM reachaudit_schema);",
        )
        .await
        .map_err(&fail)?;
        let version: i32 = tx
            .query_one("SELECT version FROM reachaudit_schema", &[])
            .await
            .map_err(&fail)?
            .get(0);
        let known = i32::try_from(MIGRATIONS.len()).unwrap_or(i32::MAX);
        if version > known {
            return Err(StoreError::Newer {
                db: self.shown.clone(),
                found: i64::from(version),
                known: i64::from(known),
            });
        }
        for (i, sql) in MIGRATIONS
            .iter()
            .enumerate()
            .skip(usize::try_from(version).unwrap_or(0))
        {
            tx.batch_execute(sql).await.map_err(&fail)?;
            let next = i32::try_from(i + 1).unwrap_or(i32::MAX);
            tx.execute("UPDATE reachaudit_schema SET version = $1", &[&next])
                .await
                .map_err(&fail)?;
        }
        tx.commit().await.map_err(&fail)?;
        Ok(())
    }

    pub(super) async fn schema_version(&self) -> Result<i64, StoreError> {
        let client = self.client.lock().await;
        let version: i32 = client
            .query_one("SELECT version FROM reachaudit_schema", &[])
            .await
            .map_err(self.fail())?
            .get(0);
        Ok(i64::from(version))
    }

    pub(super) async fn runs(&self, list_digest: Option<&str>) -> Result<Vec<Run>, StoreError> {
        let client = self.client.lock().await;
        let rows = client
            .query(
                &format!(
                    "SELECT {RUN_COLUMNS} FROM run WHERE $1::TEXT IS NULL OR list_digest = $1
                     ORDER BY id"
                ),
                &[&list_digest],
            )
            .await
            .map_err(self.fail())?;
        Ok(rows.iter().map(run_of).collect())
    }

    pub(super) async fn join(
        &self,
        request: &JoinRequest<'_>,
        now: i64,
    ) -> Result<Option<Joined>, StoreError> {
        let fail = self.fail();
        let mut client = self.client.lock().await;
        let tx = client.transaction().await.map_err(&fail)?;
        // Workers joining the same list at once take turns here: the second sees the run the
        // first started instead of starting its own.
        tx.execute(
            "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))",
            &[&request.digest],
        )
        .await
        .map_err(&fail)?;
        let last = tx
            .query_opt(
                &format!(
                    "SELECT {RUN_COLUMNS} FROM run WHERE list_digest = $1 ORDER BY id DESC LIMIT 1"
                ),
                &[&request.digest],
            )
            .await
            .map_err(&fail)?
            .as_ref()
            .map(run_of);
        let (run, how) = match last {
            None if request.retry_failed => return Ok(None),
            Some(mut run) if request.retry_failed => {
                // Reopening sites while workers are on the run would hand their hosts to a
                // second worker and lose the sites they close meanwhile.
                let live: i64 = tx
                    .query_one(
                        &format!(
                            "SELECT COUNT(*) FROM claim WHERE run_id = $1 AND NOT done
                             AND worker IS NOT NULL AND lease_until > {NOW}"
                        ),
                        &[&run.id],
                    )
                    .await
                    .map_err(&fail)?
                    .get(0);
                if live > 0 {
                    return Err(StoreError::RunInProgress { run: run.id });
                }
                let failed: Vec<String> = tx
                    .query(
                        "DELETE FROM site WHERE run_id = $1 AND status = 'failed' RETURNING url",
                        &[&run.id],
                    )
                    .await
                    .map_err(&fail)?
                    .iter()
                    .map(|r| r.get(0))
                    .collect();
                let domains = domains_of(request.groups, &failed);
                tx.execute(
                    "UPDATE claim SET done = FALSE, worker = NULL, lease_until = NULL
                     WHERE run_id = $1 AND domain = ANY($2)",
                    &[&run.id, &domains],
                )
                .await
                .map_err(&fail)?;
                if !failed.is_empty() {
                    tx.execute(
                        "UPDATE run SET finished_at = NULL WHERE id = $1",
                        &[&run.id],
                    )
                    .await
                    .map_err(&fail)?;
                    run.finished_at = None;
                }
                (run, How::Retrying(failed.len()))
            }
            Some(run) if !request.rerun && run.finished_at.is_none() => (run, How::Resumed),
            Some(run) if !request.rerun => (run, How::Finished),
            _ => {
                let row = tx
                    .query_one(
                        &format!(
                            "INSERT INTO run (list, list_digest, started_at, tool_version,
                                              rules_version)
                             VALUES ($1, $2, $3, $4, $5) RETURNING {RUN_COLUMNS}"
                        ),
                        &[
                            &request.list,
                            &request.digest,
                            &now,
                            &request.tool_version,
                            &request.rules_version,
                        ],
                    )
                    .await
                    .map_err(&fail)?;
                (run_of(&row), How::Started)
            }
        };
        if run.finished_at.is_none() {
            let stored: HashSet<String> = tx
                .query("SELECT url FROM site WHERE run_id = $1", &[&run.id])
                .await
                .map_err(&fail)?
                .iter()
                .map(|r| r.get(0))
                .collect();
            let (mut domains, mut positions, mut done) = (Vec::new(), Vec::new(), Vec::new());
            for (domain, position, closed) in open_claims(request.groups, &stored) {
                domains.push(domain);
                positions.push(position);
                done.push(closed);
            }
            tx.execute(
                "INSERT INTO claim (run_id, domain, position, done)
                 SELECT $1, d, p, x FROM UNNEST($2::TEXT[], $3::BIGINT[], $4::BOOLEAN[])
                     AS t (d, p, x)
                 ON CONFLICT (run_id, domain) DO NOTHING",
                &[&run.id, &domains, &positions, &done],
            )
            .await
            .map_err(&fail)?;
        }
        tx.commit().await.map_err(&fail)?;
        Ok(Some(Joined { run, how }))
    }

    pub(super) async fn holders(&self, run_id: i64) -> Result<Vec<String>, StoreError> {
        let client = self.client.lock().await;
        Ok(client
            .query(
                &format!(
                    "SELECT DISTINCT worker FROM claim WHERE run_id = $1 AND NOT done
                     AND worker IS NOT NULL AND lease_until > {NOW}"
                ),
                &[&run_id],
            )
            .await
            .map_err(self.fail())?
            .iter()
            .map(|r| r.get(0))
            .collect())
    }

    pub(super) async fn release_worker(&self, run_id: i64, worker: &str) -> Result<(), StoreError> {
        let client = self.client.lock().await;
        client
            .execute(
                "UPDATE claim SET worker = NULL, lease_until = NULL
                 WHERE run_id = $1 AND worker = $2 AND NOT done",
                &[&run_id, &worker],
            )
            .await
            .map_err(self.fail())?;
        Ok(())
    }

    pub(super) async fn claim(
        &self,
        run_id: i64,
        worker: &str,
        lease: i64,
    ) -> Result<Option<Claim>, StoreError> {
        let client = self.client.lock().await;
        // The inner SELECT skips rows another worker is claiming right now instead of waiting
        // for it: every worker gets a different domain at once.
        let row = client
            .query_opt(
                &format!(
                    "UPDATE claim c SET worker = $2, lease_until = {NOW} + $3,
                            attempts = c.attempts + 1
                     FROM (SELECT domain FROM claim
                           WHERE run_id = $1 AND NOT done
                             AND (lease_until IS NULL OR lease_until <= {NOW})
                           ORDER BY position LIMIT 1
                           FOR UPDATE SKIP LOCKED) free
                     WHERE c.run_id = $1 AND c.domain = free.domain
                     RETURNING c.domain, c.attempts"
                ),
                &[&run_id, &worker, &lease],
            )
            .await
            .map_err(self.fail())?;
        Ok(row.map(|r| Claim {
            domain: r.get(0),
            attempts: r.get(1),
        }))
    }

    pub(super) async fn renew(
        &self,
        run_id: i64,
        domain: &str,
        worker: &str,
        lease: i64,
    ) -> Result<bool, StoreError> {
        let client = self.client.lock().await;
        let changed = client
            .execute(
                &format!(
                    "UPDATE claim SET lease_until = {NOW} + $4
                     WHERE run_id = $1 AND domain = $2 AND worker = $3 AND NOT done"
                ),
                &[&run_id, &domain, &worker, &lease],
            )
            .await
            .map_err(self.fail())?;
        Ok(changed == 1)
    }

    pub(super) async fn stored_among(
        &self,
        run_id: i64,
        urls: &[String],
    ) -> Result<HashSet<String>, StoreError> {
        let client = self.client.lock().await;
        Ok(client
            .query(
                "SELECT url FROM site WHERE run_id = $1 AND url = ANY($2)",
                &[&run_id, &urls],
            )
            .await
            .map_err(self.fail())?
            .iter()
            .map(|r| r.get(0))
            .collect())
    }

    pub(super) async fn record(
        &self,
        run_id: i64,
        row: &SiteRow,
        worker: &str,
        closes: Option<&str>,
        now: i64,
    ) -> Result<bool, StoreError> {
        let fail = self.fail();
        let mut client = self.client.lock().await;
        let tx = client.transaction().await.map_err(&fail)?;
        let inserted = tx
            .execute(
                "INSERT INTO site (run_id, position, name, url, metadata, status, error, report,
                                   pages, finished_at, worker)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
                 ON CONFLICT (run_id, url) DO NOTHING",
                &[
                    &run_id,
                    &row.position,
                    &row.name,
                    &row.url,
                    &row.metadata,
                    &row.status,
                    &row.error,
                    &row.report,
                    &row.pages,
                    &now,
                    &worker,
                ],
            )
            .await
            .map_err(&fail)?;
        if let Some(domain) = closes {
            // Only while the claim is still this worker's: once another worker holds it (this
            // one's lease ran out), closing it is theirs.
            tx.execute(
                "UPDATE claim SET done = TRUE, lease_until = NULL
                 WHERE run_id = $1 AND domain = $2 AND worker = $3",
                &[&run_id, &domain, &worker],
            )
            .await
            .map_err(&fail)?;
        }
        tx.commit().await.map_err(&fail)?;
        Ok(inserted == 1)
    }

    pub(super) async fn close(
        &self,
        run_id: i64,
        domain: &str,
        worker: &str,
    ) -> Result<(), StoreError> {
        let client = self.client.lock().await;
        client
            .execute(
                "UPDATE claim SET done = TRUE, lease_until = NULL
                 WHERE run_id = $1 AND domain = $2 AND worker = $3",
                &[&run_id, &domain, &worker],
            )
            .await
            .map_err(self.fail())?;
        Ok(())
    }

    pub(super) async fn progress(
        &self,
        run_id: i64,
        worker: &str,
    ) -> Result<RunProgress, StoreError> {
        let client = self.client.lock().await;
        let row = client
            .query_one(
                &format!(
                    "SELECT (SELECT COUNT(*) FROM site WHERE run_id = $1 AND status = 'done'),
                            (SELECT COUNT(*) FROM site WHERE run_id = $1 AND status <> 'done'),
                            (SELECT COUNT(*) FROM claim WHERE run_id = $1 AND NOT done),
                            (SELECT COUNT(*) FROM claim WHERE run_id = $1 AND NOT done
                                AND worker IS NOT NULL AND worker <> $2
                                AND lease_until > {NOW})"
                ),
                &[&run_id, &worker],
            )
            .await
            .map_err(self.fail())?;
        Ok(RunProgress {
            done: row.get(0),
            failed: row.get(1),
            open: row.get(2),
            claimed_by_others: row.get(3),
        })
    }

    pub(super) async fn finish(&self, run_id: i64, now: i64) -> Result<bool, StoreError> {
        let client = self.client.lock().await;
        client
            .execute(
                "UPDATE run SET finished_at = $2 WHERE id = $1 AND finished_at IS NULL
                   AND NOT EXISTS (SELECT 1 FROM claim WHERE run_id = $1 AND NOT done)",
                &[&run_id, &now],
            )
            .await
            .map_err(self.fail())?;
        let finished: Option<i64> = client
            .query_one("SELECT finished_at FROM run WHERE id = $1", &[&run_id])
            .await
            .map_err(self.fail())?
            .get(0);
        Ok(finished.is_some())
    }

    pub(super) async fn site_counts(&self, run_id: i64) -> Result<(i64, i64), StoreError> {
        let client = self.client.lock().await;
        let row = client
            .query_one(
                "SELECT COUNT(*) FILTER (WHERE status = 'done'),
                        COUNT(*) FILTER (WHERE status <> 'done')
                 FROM site WHERE run_id = $1",
                &[&run_id],
            )
            .await
            .map_err(self.fail())?;
        Ok((row.get(0), row.get(1)))
    }

    pub(super) async fn each_site<E: From<StoreError>>(
        &self,
        run_id: i64,
        mut each: impl FnMut(SiteRow) -> Result<(), E>,
    ) -> Result<(), E> {
        let mut after = i64::MIN;
        loop {
            let rows = {
                let client = self.client.lock().await;
                client
                    .query(
                        "SELECT position, name, url, metadata, status, error, report, pages
                         FROM site WHERE run_id = $1 AND position > $2
                         ORDER BY position LIMIT $3",
                        &[&run_id, &after, &PAGE],
                    )
                    .await
                    .map_err(self.fail())?
            };
            let Some(last) = rows.last() else {
                return Ok(());
            };
            after = last.get(0);
            for r in rows {
                each(SiteRow {
                    position: r.get(0),
                    name: r.get(1),
                    url: r.get(2),
                    metadata: r.get(3),
                    status: r.get(4),
                    error: r.get(5),
                    report: r.get(6),
                    pages: r.get(7),
                })?;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_shown_without_their_password() {
        let target = PgTarget::parse("postgres://batch:s3cret@db.example:6543/sweep").unwrap();
        assert_eq!(target.shown(), "postgres://batch@db.example:6543/sweep");
        assert!(!format!("{target:?}").contains("s3cret"));
        let err = PgTarget::parse("postgres://batch:s3cret@db.example:port/sweep")
            .unwrap_err()
            .to_string();
        assert!(
            !err.contains("s3cret") && err.contains("db.example"),
            "{err}"
        );
        let err = PgTarget::parse("postgres://batch@db.example")
            .unwrap_err()
            .to_string();
        assert!(err.contains("no database"), "{err}");
    }

    #[test]
    fn pgpass_lines_match_as_libpq_reads_them() {
        let text = "# comment\nother:5432:*:*:nope\ndb.example:6543:sweep:batch:pa\\:ss\\\\word\n*:*:*:*:fallback\n";
        assert_eq!(
            pgpass_lookup(text, ["db.example", "6543", "sweep", "batch"]).as_deref(),
            Some("pa:ss\\word")
        );
        assert_eq!(
            pgpass_lookup(text, ["elsewhere", "5432", "x", "y"]).as_deref(),
            Some("fallback")
        );
        assert_eq!(pgpass_lookup("a:b:c\n", ["a", "b", "c", "d"]), None);
    }
}
