//! The store of batch runs that workers share, run against both backends with the same checks:
//! an SQLite file, and a database of its own in the throw-away PostgreSQL cluster that
//! `.ci/postgres.sh` (part of `.ci/test-deps`) starts on 127.0.0.1:54329.
//!
//! What it holds the store to: workers joining one list get one run; claims go out in list
//! order, one domain to one worker, and come back when a lease runs out; a site is stored once;
//! a run finishes only when every domain is done; failed sites can be retried; exports read the
//! sites in list order; many workers claiming at once never get the same domain; a database from
//! a newer reachaudit is refused.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use reachaudit::store::runs::{HostGroup, How, JoinRequest};
use reachaudit::store::{Database, RunStore, SiteRow, WorkerId};

#[path = "support/pg.rs"]
mod pg;

/// A new, empty PostgreSQL database for one test.
async fn pg_database() -> Database {
    Database::parse(&pg::database("store").await.1).unwrap()
}

/// `n` domains in list order; every third has a second site (a shop under www.).
fn groups(n: usize) -> Vec<HostGroup> {
    let mut position = 0;
    (0..n)
        .map(|i| {
            let mut urls = vec![format!("https://site{i}.example/")];
            if i % 3 == 0 {
                urls.push(format!("https://www.site{i}.example/shop/"));
            }
            let group = HostGroup {
                domain: format!("site{i}.example"),
                position,
                urls,
            };
            position += i64::try_from(group.urls.len()).unwrap();
            group
        })
        .collect()
}

fn request<'a>(digest: &'a str, groups: &'a [HostGroup]) -> JoinRequest<'a> {
    JoinRequest {
        list: "companies.csv",
        digest,
        tool_version: "test",
        rules_version: "sha256:test",
        rerun: false,
        retry_failed: false,
        groups,
    }
}

fn row(groups: &[HostGroup], url: &str, status: &str) -> SiteRow {
    let position = groups
        .iter()
        .flat_map(|g| g.urls.iter())
        .position(|u| u == url)
        .unwrap();
    SiteRow {
        position: i64::try_from(position).unwrap(),
        name: format!("Company at {url}"),
        url: url.to_owned(),
        metadata: "{}".to_owned(),
        status: status.to_owned(),
        error: (status == "failed").then(|| "connection refused".to_owned()),
        report: (status == "done").then(|| format!("{{\"url\":\"{url}\"}}")),
        pages: 3,
    }
}

/// Stores every site of a claimed domain, the last one closing the claim.
async fn finish_domain(
    store: &RunStore,
    run: i64,
    groups: &[HostGroup],
    domain: &str,
    me: &WorkerId,
) {
    let group = groups.iter().find(|g| g.domain == domain).unwrap();
    for (i, url) in group.urls.iter().enumerate() {
        let last = i + 1 == group.urls.len();
        store
            .record(
                run,
                &row(groups, url, "done"),
                me,
                last.then_some(domain),
                100,
            )
            .await
            .unwrap();
    }
}

const LONG: Duration = Duration::from_secs(600);

/// Everything one worker, or two, see of a shared run.
async fn the_run_is_shared_as_promised(db: Database) {
    let groups = groups(7);
    let store = RunStore::open(&db).await.unwrap();
    let (one, two) = (WorkerId::current(), WorkerId::current());
    assert_ne!(one, two, "two workers of one process are told apart");

    let joined = store
        .join(&request("list-a", &groups), 100)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(joined.how, How::Started);
    let run = joined.run.id;
    // A second worker with the same list joins the same run; another list gets its own.
    let again = store
        .join(&request("list-a", &groups), 101)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((again.run.id, again.how), (run, How::Resumed));
    let other = store
        .join(&request("list-b", &groups), 102)
        .await
        .unwrap()
        .unwrap();
    assert_ne!(other.run.id, run);

    // Claims go out in list order, one domain per worker.
    let a = store.claim(run, &one, LONG).await.unwrap().unwrap();
    let b = store.claim(run, &two, LONG).await.unwrap().unwrap();
    assert_eq!(
        (a.domain.as_str(), a.attempts, b.domain.as_str()),
        ("site0.example", 1, "site1.example")
    );
    assert!(store.renew(run, &a.domain, &one, LONG).await.unwrap());
    assert!(
        !store.renew(run, &a.domain, &two, LONG).await.unwrap(),
        "a worker cannot renew another's claim"
    );
    // Failed sites are not reopened under workers' feet.
    let retry_now = JoinRequest {
        retry_failed: true,
        ..request("list-a", &groups)
    };
    let err = store.join(&retry_now, 100).await.unwrap_err().to_string();
    assert!(err.contains("still being worked on"), "{err}");
    let seen = store.progress(run, &one).await.unwrap();
    assert_eq!((seen.open, seen.claimed_by_others), (7, 1));

    // A site is stored once: the second result for it is not kept.
    finish_domain(&store, run, &groups, &a.domain, &one).await;
    let url = &groups[0].urls[0];
    assert!(
        !store
            .record(run, &row(&groups, url, "failed"), &two, None, 101)
            .await
            .unwrap()
    );
    assert!(
        !store.renew(run, &a.domain, &one, LONG).await.unwrap(),
        "a finished domain has no lease"
    );
    let stored = store.stored_among(run, &groups[0].urls).await.unwrap();
    assert_eq!(stored.len(), 2);
    assert_eq!(store.site_counts(run).await.unwrap(), (2, 0));

    // A lease that runs out hands the domain to the next worker that asks.
    let short = store
        .claim(run, &two, Duration::from_secs(1))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(short.domain, "site2.example");
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let taken = store.claim(run, &one, LONG).await.unwrap().unwrap();
    assert_eq!(
        (taken.domain.as_str(), taken.attempts),
        ("site2.example", 2)
    );
    assert!(!store.renew(run, "site2.example", &two, LONG).await.unwrap());
    // The worker that lost it may still store the site it was auditing (first result kept), but
    // closing the claim is the new holder's.
    let url = groups[2].urls[0].clone();
    assert!(
        store
            .record(
                run,
                &row(&groups, &url, "done"),
                &two,
                Some("site2.example"),
                150
            )
            .await
            .unwrap()
    );
    assert!(store.renew(run, "site2.example", &one, LONG).await.unwrap());

    // The run finishes only when every domain is done.
    assert!(!store.finish(run, 200).await.unwrap());
    finish_domain(&store, run, &groups, &b.domain, &two).await;
    finish_domain(&store, run, &groups, &taken.domain, &one).await;
    let mut failed_url = None;
    while let Some(claim) = store.claim(run, &two, LONG).await.unwrap() {
        if claim.domain == "site4.example" {
            // One site fails: it is stored, and retried later.
            let url = groups[4].urls[0].clone();
            store
                .record(
                    run,
                    &row(&groups, &url, "failed"),
                    &two,
                    Some("site4.example"),
                    150,
                )
                .await
                .unwrap();
            failed_url = Some(url);
        } else {
            finish_domain(&store, run, &groups, &claim.domain, &two).await;
        }
    }
    assert!(store.finish(run, 200).await.unwrap());
    let total: usize = groups.iter().map(|g| g.urls.len()).sum();
    assert_eq!(
        store.site_counts(run).await.unwrap(),
        (i64::try_from(total).unwrap() - 1, 1)
    );
    let finished = store
        .join(&request("list-a", &groups), 201)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((finished.run.id, finished.how), (run, How::Finished));

    // Exports read every site once, in list order.
    let mut positions = Vec::new();
    store
        .each_site(run, |site| -> Result<(), reachaudit::store::StoreError> {
            positions.push(site.position);
            Ok(())
        })
        .await
        .unwrap();
    assert_eq!(
        positions,
        (0..i64::try_from(total).unwrap()).collect::<Vec<_>>()
    );

    // Retrying failed sites reopens their domain and the run.
    let retry = JoinRequest {
        retry_failed: true,
        ..request("list-a", &groups)
    };
    let retrying = store.join(&retry, 300).await.unwrap().unwrap();
    assert_eq!((retrying.run.id, retrying.how), (run, How::Retrying(1)));
    assert!(retrying.run.finished_at.is_none());
    let again = store.claim(run, &one, LONG).await.unwrap().unwrap();
    assert_eq!(again.domain, "site4.example");
    assert!(store.claim(run, &two, LONG).await.unwrap().is_none());
    let url = failed_url.unwrap();
    assert!(
        store
            .record(
                run,
                &row(&groups, &url, "done"),
                &one,
                Some("site4.example"),
                301
            )
            .await
            .unwrap()
    );
    assert!(store.finish(run, 302).await.unwrap());
    assert_eq!(store.site_counts(run).await.unwrap().1, 0);

    // --rerun starts anew and keeps the old run; --retry-failed of a list never run is None.
    let rerun = JoinRequest {
        rerun: true,
        ..request("list-a", &groups)
    };
    let fresh = store.join(&rerun, 400).await.unwrap().unwrap();
    assert_eq!(fresh.how, How::Started);
    assert!(fresh.run.id > run);
    assert_eq!(store.runs(Some("list-a")).await.unwrap().len(), 2);
    let never = JoinRequest {
        retry_failed: true,
        ..request("list-c", &groups)
    };
    assert!(store.join(&never, 400).await.unwrap().is_none());
}

/// Workers with their own connections claiming as fast as they can: every domain is claimed
/// exactly once, every site stored once, and the run finishes.
async fn claims_never_overlap(db: Database, workers: usize, domains: usize) {
    let groups = groups(domains);
    let first = RunStore::open(&db).await.unwrap();
    let run = first
        .join(&request("crowd", &groups), 1)
        .await
        .unwrap()
        .unwrap()
        .run
        .id;
    let mut tasks = Vec::new();
    for _ in 0..workers {
        let db = db.clone();
        let groups = groups.clone();
        tasks.push(tokio::spawn(async move {
            let store = RunStore::open(&db).await.unwrap();
            let me = WorkerId::current();
            let joined = store
                .join(&request("crowd", &groups), 2)
                .await
                .unwrap()
                .unwrap();
            assert_eq!(joined.run.id, run);
            let mut mine = Vec::new();
            while let Some(claim) = store.claim(run, &me, LONG).await.unwrap() {
                // A crawl takes a while: the others get their turn meanwhile.
                tokio::time::sleep(Duration::from_millis(5)).await;
                finish_domain(&store, run, &groups, &claim.domain, &me).await;
                mine.push(claim.domain);
            }
            mine
        }));
    }
    let mut claimed: HashMap<String, usize> = HashMap::new();
    let mut busy = 0;
    for task in tasks {
        let mine = task.await.unwrap();
        busy += usize::from(!mine.is_empty());
        for domain in mine {
            *claimed.entry(domain).or_default() += 1;
        }
    }
    assert_eq!(claimed.len(), domains, "every domain claimed");
    assert!(
        claimed.values().all(|&n| n == 1),
        "a domain claimed twice: {claimed:?}"
    );
    assert!(busy > 1, "the work was shared ({busy} worker(s) got some)");
    let total: usize = groups.iter().map(|g| g.urls.len()).sum();
    assert_eq!(
        first.site_counts(run).await.unwrap(),
        (i64::try_from(total).unwrap(), 0)
    );
    assert!(first.finish(run, 3).await.unwrap());
    let distinct: HashSet<String> = first
        .stored_among(
            run,
            &groups
                .iter()
                .flat_map(|g| g.urls.clone())
                .collect::<Vec<_>>(),
        )
        .await
        .unwrap();
    assert_eq!(distinct.len(), total);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sqlite_runs_are_shared_as_promised() {
    let dir = tempfile::tempdir().unwrap();
    let db = Database::parse(dir.path().join("runs.db").to_str().unwrap()).unwrap();
    the_run_is_shared_as_promised(db).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_runs_are_shared_as_promised() {
    the_run_is_shared_as_promised(pg_database().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sqlite_claims_never_overlap() {
    let dir = tempfile::tempdir().unwrap();
    let db = Database::parse(dir.path().join("runs.db").to_str().unwrap()).unwrap();
    claims_never_overlap(db, 4, 40).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_claims_never_overlap() {
    claims_never_overlap(pg_database().await, 8, 300).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_postgres_database_from_a_newer_reachaudit_is_refused() {
    let db = pg_database().await;
    let store = RunStore::open(&db).await.unwrap();
    let version = store.schema_version().await.unwrap();
    assert!(version >= 1);
    drop(store);
    let Database::Postgres(target) = &db else {
        unreachable!()
    };
    let client = pg::connect(target.shown().rsplit('/').next()).await;
    client
        .execute("UPDATE reachaudit_schema SET version = 99", &[])
        .await
        .unwrap();
    let err = RunStore::open(&db).await.unwrap_err().to_string();
    assert!(
        err.contains("newer reachaudit")
            && err.contains("schema 99")
            && !err.contains("reachaudit-test"),
        "{err}"
    );
}

#[test]
fn a_misspelt_database_url_is_refused_without_its_password() {
    for typo in [
        "postgress://batch:s3cret@db.example/sweep",
        "pg://batch:s3cret@db.example/sweep",
    ] {
        let err = Database::parse(typo).unwrap_err().to_string();
        assert!(
            err.contains("not a database reachaudit knows") && !err.contains("s3cret"),
            "{err}"
        );
    }
    let err = Database::parse("postgres://batch@db.example:port/sweep?password=s3cret")
        .unwrap_err()
        .to_string();
    assert!(!err.contains("s3cret"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_postgres_is_named_without_its_password() {
    // Nothing listens on port 9 of loopback.
    let db = Database::parse("postgres://batch:s3cret@127.0.0.1:9/sweep").unwrap();
    let err = RunStore::open(&db).await.unwrap_err().to_string();
    assert!(
        err.starts_with("--db postgres://batch@127.0.0.1:9/sweep:") && !err.contains("s3cret"),
        "{err}"
    );
}
