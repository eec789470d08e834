//! Several `reachaudit batch` processes sharing one run: three workers on one PostgreSQL
//! database (in the throw-away cluster `.ci/postgres.sh` starts), one of them killed with
//! SIGKILL in the middle of a site; two workers whose database connection is cut; and three
//! workers sharing one SQLite file.
//!
//! The sites are loopback servers, one port per company (a host of its own as far as claims and
//! politeness go); every fourth company has a second list entry, its shop, on the same host. The
//! server answers every request after a delay, so sites take a while, and logs each request with
//! the worker's User-Agent and when it began and ended. From that log and the database the tests
//! check what the issue promises: every site stored exactly once, none crawled twice except
//! those the killed worker held, and no host crawled by two workers at once.

#[path = "support/fleet.rs"]
mod fleet;
#[path = "support/pg.rs"]
mod pg;

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fleet::{Hit, serve};

/// Starts worker `n` (User-Agent tag `worker-n`) on the list and database, its log in the test
/// directory.
fn worker(n: usize, list: &Path, db: &str, dir: &Path, extra: &[&str]) -> Child {
    let log = std::fs::File::create(dir.join(format!("worker-{n}.log"))).unwrap();
    Command::new(env!("CARGO_BIN_EXE_reachaudit"))
        .env("REACHAUDIT_RENDER", "never")
        .env_remove("PGPASSWORD")
        .args(["batch", list.to_str().unwrap(), "--db", db])
        .args(["--allow-private", "--rate", "50", "--concurrency", "2"])
        .args(["--max-pages", "6"])
        .args(if extra.contains(&"--lease") {
            &[][..]
        } else {
            &["--lease", "4"][..]
        })
        .arg("--user-agent")
        .arg(format!("reachaudit-test worker-{n}"))
        .args(extra)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .unwrap()
}

fn log_of(dir: &Path, n: usize) -> String {
    std::fs::read_to_string(dir.join(format!("worker-{n}.log"))).unwrap_or_default()
}

/// Waits for a worker to end, at most `limit`; kills it and fails past that.
fn wait(child: &mut Child, limit: Duration, dir: &Path, n: usize) -> i32 {
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status.code().unwrap_or(-1);
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            panic!(
                "worker {n} still running after {limit:?}:\n{}",
                log_of(dir, n)
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The URLs of a JSON Lines export, in order.
fn exported(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|line| {
            let report: serde_json::Value = serde_json::from_str(line).unwrap();
            report["target"]["input"]
                .as_str()
                .expect("every exported report names its target")
                .to_owned()
        })
        .collect()
}

/// No host was crawled by two workers at once: on each port, the requests of different workers
/// never overlap in time, and once another worker has come no earlier one comes back (a host
/// moves from worker to worker only when a lease is lost).
fn one_worker_per_host(hits: &[Hit]) {
    let mut by_port: HashMap<u16, Vec<&Hit>> = HashMap::new();
    for hit in hits {
        by_port.entry(hit.port).or_default().push(hit);
    }
    for (port, mut hits) in by_port {
        hits.sort_by_key(|h| h.start);
        for (i, a) in hits.iter().enumerate() {
            for b in &hits[i + 1..] {
                assert!(
                    a.agent == b.agent || b.start >= a.end || a.start >= b.end,
                    "port {port}: {} and {} crawled it at once ({} and {})",
                    a.agent,
                    b.agent,
                    a.path,
                    b.path
                );
            }
        }
        let mut order: Vec<&str> = Vec::new();
        for h in &hits {
            if order.last() != Some(&h.agent.as_str()) {
                assert!(
                    !order.contains(&h.agent.as_str()),
                    "port {port}: {} came back after another worker had the host: {order:?}",
                    h.agent
                );
                order.push(&h.agent);
            }
        }
    }
}

/// Three workers on one PostgreSQL run of 40 sites; one is killed with SIGKILL while it crawls.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_workers_share_a_run_and_a_killed_one_loses_nothing() {
    let fleet = serve(32, Duration::from_millis(120));
    let dir = tempfile::tempdir().unwrap();
    let list = dir.path().join("companies.txt");
    std::fs::write(&list, fleet.entries.join("\n")).unwrap();
    let (name, db) = pg::database("workers").await;
    let export = dir.path().join("results.jsonl");

    let mut first = worker(1, &list, &db, dir.path(), &[]);
    let mut second = worker(
        2,
        &list,
        &db,
        dir.path(),
        &["-o", &format!("jsonl={}", export.display())],
    );
    let mut third = worker(3, &list, &db, dir.path(), &[]);

    // Killed in the middle of a site: after a few answered requests (a site takes more than
    // six, and it audits two at once).
    let started = Instant::now();
    loop {
        let hits = fleet.requests_by("worker-1");
        if hits >= 6 {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "worker 1 made only {hits} requests in 60 s:\n{}",
            log_of(dir.path(), 1)
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let killed_pid = first.id();
    first.kill().unwrap();
    first.wait().unwrap();

    let code2 = wait(&mut second, Duration::from_secs(240), dir.path(), 2);
    let code3 = wait(&mut third, Duration::from_secs(240), dir.path(), 3);
    assert_eq!(code2, 0, "worker 2:\n{}", log_of(dir.path(), 2));
    assert_eq!(code3, 0, "worker 3:\n{}", log_of(dir.path(), 3));

    // Every site exactly once, in the export and in the database.
    let urls = exported(&export);
    assert_eq!(urls.len(), fleet.entries.len(), "{urls:?}");
    let unique: HashSet<&String> = urls.iter().collect();
    assert_eq!(unique.len(), urls.len(), "a site exported twice");
    let client = pg::connect(Some(&name)).await;
    let rows = client
        .query("SELECT url, worker, status FROM site", &[])
        .await
        .unwrap();
    assert_eq!(rows.len(), fleet.entries.len());
    let stored_by: HashMap<String, String> = rows
        .iter()
        .map(|r| (r.get::<_, String>(0), r.get::<_, String>(1)))
        .collect();
    let failed: Vec<String> = rows
        .iter()
        .filter(|r| r.get::<_, String>(2) != "done")
        .map(|r| r.get(0))
        .collect();
    assert!(failed.is_empty(), "sites failed: {failed:?}");
    let killed_marker = format!("/{killed_pid}/");

    // None crawled twice, except where the killed worker had been: its unfinished sites were
    // taken over, and it is the only worker whose requests are followed by another's.
    let hits = fleet.hits();
    let ports_of_killed: HashSet<u16> = hits
        .iter()
        .filter(|h| h.agent.contains("worker-1"))
        .map(|h| h.port)
        .collect();
    let mut taken_over = 0;
    for entry in &fleet.entries {
        let url = url::Url::parse(entry).unwrap();
        let port = url.port().unwrap();
        let starts = hits
            .iter()
            .filter(|h| h.port == port && h.path == url.path())
            .count();
        let by_killed = stored_by[entry].contains(&killed_marker);
        if ports_of_killed.contains(&port) && !by_killed {
            assert!(starts <= 2, "{entry} crawled {starts} times");
            taken_over += usize::from(starts == 2);
        } else {
            assert_eq!(
                starts, 1,
                "{entry} crawled {starts} times, not by the killed worker"
            );
        }
    }
    assert!(
        taken_over >= 1,
        "the killed worker was in the middle of a site that another worker then audited"
    );
    let by_worker = |tag: &str| hits.iter().filter(|h| h.agent.contains(tag)).count();
    eprintln!(
        "workers: {} sites, {} requests (worker 1 killed after {}, worker 2 {}, worker 3 {}); {} host(s) touched by the killed worker, {taken_over} site(s) audited again",
        fleet.entries.len(),
        hits.len(),
        by_worker("worker-1"),
        by_worker("worker-2"),
        by_worker("worker-3"),
        ports_of_killed.len()
    );
    one_worker_per_host(&hits);
}

/// Two workers whose database connections are cut mid-run stop with a clear error; started
/// again, one worker finishes the run with nothing lost and nothing stored twice.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn workers_stop_when_the_database_goes_away_and_resume_when_restarted() {
    let fleet = serve(16, Duration::from_millis(80));
    let dir = tempfile::tempdir().unwrap();
    let list = dir.path().join("companies.txt");
    std::fs::write(&list, fleet.entries.join("\n")).unwrap();
    let (name, db) = pg::database("gone").await;
    let admin = pg::connect(Some(&name)).await;

    let mut one = worker(1, &list, &db, dir.path(), &[]);
    let mut two = worker(2, &list, &db, dir.path(), &[]);
    // Cut once some sites are stored.
    let started = Instant::now();
    loop {
        let stored: i64 = admin
            .query_opt("SELECT COUNT(*) FROM site", &[])
            .await
            .ok()
            .flatten()
            .map_or(0, |r| r.get(0));
        if stored >= 3 {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(90),
            "no site stored in 90 s"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let cut: i64 = admin
        .query_one(
            "SELECT COUNT(pg_terminate_backend(pid)) FROM pg_stat_activity
             WHERE datname = $1 AND application_name = 'reachaudit'",
            &[&name],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(cut, 2, "both workers' connections cut");
    for (n, child) in [(1, &mut one), (2, &mut two)] {
        let code = wait(child, Duration::from_secs(60), dir.path(), n);
        let log = log_of(dir.path(), n);
        assert_ne!(code, 0, "worker {n} went on without its database:\n{log}");
        assert!(
            log.contains("the database connection was lost")
                && log.contains("start the same command again")
                && !log.contains("reachaudit-test"),
            "worker {n}:\n{log}"
        );
    }
    let stored_before: i64 = admin
        .query_one("SELECT COUNT(*) FROM site", &[])
        .await
        .unwrap()
        .get(0);

    let export = dir.path().join("results.jsonl");
    let mut again = worker(
        3,
        &list,
        &db,
        dir.path(),
        &["-o", &format!("jsonl={}", export.display())],
    );
    let code = wait(&mut again, Duration::from_secs(240), dir.path(), 3);
    let log = log_of(dir.path(), 3);
    assert_eq!(code, 0, "{log}");
    assert!(log.contains("resuming run"), "{log}");
    let urls = exported(&export);
    let unique: HashSet<&String> = urls.iter().collect();
    assert_eq!(
        (urls.len(), unique.len()),
        (fleet.entries.len(), fleet.entries.len())
    );
    // What was stored before the cut was kept, not audited again.
    let redone: i64 = admin
        .query_one(
            "SELECT COUNT(*) FROM site WHERE worker LIKE '%/' || $1 || '/%'",
            &[&again.id().to_string()],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(
        redone + stored_before,
        i64::try_from(fleet.entries.len()).unwrap(),
        "{log}"
    );
    one_worker_per_host(&fleet.hits());
}

/// The same with an SQLite file: three workers on one machine share its run.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_workers_share_an_sqlite_run() {
    let fleet = serve(20, Duration::from_millis(60));
    let dir = tempfile::tempdir().unwrap();
    let list = dir.path().join("companies.txt");
    std::fs::write(&list, fleet.entries.join("\n")).unwrap();
    let db = dir.path().join("runs.db");
    let db = db.to_str().unwrap();
    let export = dir.path().join("results.jsonl");
    let mut workers: Vec<Child> = (1..=3)
        .map(|n| {
            let extra = if n == 3 {
                vec!["-o".to_owned(), format!("jsonl={}", export.display())]
            } else {
                Vec::new()
            };
            let extra: Vec<&str> = extra.iter().map(String::as_str).collect();
            worker(n, &list, db, dir.path(), &extra)
        })
        .collect();
    for (i, child) in workers.iter_mut().enumerate() {
        let code = wait(child, Duration::from_secs(240), dir.path(), i + 1);
        assert_eq!(code, 0, "worker {}:\n{}", i + 1, log_of(dir.path(), i + 1));
    }
    let urls = exported(&export);
    let unique: HashSet<&String> = urls.iter().collect();
    assert_eq!(
        (urls.len(), unique.len()),
        (fleet.entries.len(), fleet.entries.len())
    );
    let hits = fleet.hits();
    let agents: HashSet<&str> = hits.iter().map(|h| h.agent.as_str()).collect();
    assert!(agents.len() >= 2, "the work was shared: {agents:?}");
    for entry in &fleet.entries {
        let url = url::Url::parse(entry).unwrap();
        let starts = hits
            .iter()
            .filter(|h| h.port == url.port().unwrap() && h.path == url.path())
            .count();
        assert_eq!(starts, 1, "{entry} crawled {starts} times");
    }
    one_worker_per_host(&hits);
}

/// `[batch]` in reachaudit.toml names the database and a password file; `report` reads the run
/// back from PostgreSQL. The password is never printed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_database_comes_from_reachaudit_toml_and_report_reads_it_back() {
    let fleet = serve(3, Duration::from_millis(10));
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("companies.txt"), fleet.entries.join("\n")).unwrap();
    let (name, _) = pg::database("config").await;
    let password = dir.path().join("db-password");
    std::fs::write(&password, "reachaudit-test\n").unwrap();
    std::fs::set_permissions(
        &password,
        std::os::unix::fs::PermissionsExt::from_mode(0o600),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("reachaudit.toml"),
        format!(
            "[batch]\ndb = \"postgres://reachaudit@127.0.0.1:54329/{name}\"\ndb_password_file = \"db-password\"\nconcurrency = 3\nlease = 30\n"
        ),
    )
    .unwrap();
    let run = |args: &[&str], env: &[(&str, &str)]| {
        let out = Command::new(env!("CARGO_BIN_EXE_reachaudit"))
            .current_dir(dir.path())
            .env("REACHAUDIT_RENDER", "never")
            .env_remove("PGPASSWORD")
            .env("HOME", dir.path())
            .envs(env.iter().copied())
            .args(args)
            .output()
            .unwrap();
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (code, _, err) = run(
        &["batch", "companies.txt", "--allow-private", "--rate", "50"],
        &[],
    );
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains(&format!(
            "stored in postgres://reachaudit@127.0.0.1:54329/{name}"
        )) && !err.contains("reachaudit-test"),
        "{err}"
    );
    let stored: i64 = pg::connect(Some(&name))
        .await
        .query_one("SELECT COUNT(*) FROM site", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(stored, i64::try_from(fleet.entries.len()).unwrap());

    let url = format!("postgres://reachaudit@127.0.0.1:54329/{name}");
    let (code, out, err) = run(
        &["report", "--runs", "--db", &url],
        &[("PGPASSWORD", "reachaudit-test")],
    );
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("4 done, 0 failed"), "{out}");
    let (code, out, err) = run(
        &["report", "--run", "latest", "--db", &url, "-f", "json"],
        &[("PGPASSWORD", "reachaudit-test")],
    );
    assert_eq!(code, 0, "{err}");
    let reports: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        reports.as_array().map(Vec::len),
        Some(fleet.entries.len()),
        "{out}"
    );
    // report finds the password where batch does ([batch] db_password_file); without one the
    // server refuses, and the message says where one goes.
    let (code, out, err) = run(&["report", "--runs", "--db", &url], &[]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("4 done, 0 failed"), "{out}");
    std::fs::write(
        dir.path().join("reachaudit.toml"),
        "[batch]\nconcurrency = 3\n",
    )
    .unwrap();
    let (code, _, err) = run(&["report", "--runs", "--db", &url], &[]);
    assert_ne!(code, 0);
    assert!(err.contains("PGPASSWORD or ~/.pgpass"), "{err}");
}

/// SIGTERM (systemd, Kubernetes) stops a worker, which hands its hosts back at once: another
/// worker, started right after, takes them without waiting for the (long) leases.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stopped_worker_hands_its_hosts_back() {
    let fleet = serve(8, Duration::from_millis(150));
    let dir = tempfile::tempdir().unwrap();
    let list = dir.path().join("companies.txt");
    std::fs::write(&list, fleet.entries.join("\n")).unwrap();
    let (name, db) = pg::database("stop").await;
    let lease = ["--lease", "600"];
    let mut first = worker(1, &list, &db, dir.path(), &lease);
    let started = Instant::now();
    while fleet.requests_by("worker-1") < 3 {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "{}",
            log_of(dir.path(), 1)
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let status = Command::new("kill")
        .args(["-TERM", &first.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let code = wait(&mut first, Duration::from_secs(30), dir.path(), 1);
    let log = log_of(dir.path(), 1);
    assert_ne!(code, 0, "{log}");
    assert!(
        log.contains("interrupted") && log.contains("handed back"),
        "{log}"
    );
    let held: i64 = pg::connect(Some(&name))
        .await
        .query_one(
            "SELECT COUNT(*) FROM claim WHERE NOT done AND worker IS NOT NULL",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(held, 0, "claims left behind:\n{log}");
    // With 600 s leases, only the hand-back lets this one finish in time.
    let mut second = worker(2, &list, &db, dir.path(), &lease);
    let code = wait(&mut second, Duration::from_secs(60), dir.path(), 2);
    assert_eq!(code, 0, "{}", log_of(dir.path(), 2));
}
