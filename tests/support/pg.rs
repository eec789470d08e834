//! A database of its own for each test in the throw-away PostgreSQL cluster that
//! `.ci/postgres.sh` (part of `.ci/test-deps`) starts on 127.0.0.1:54329.

use std::sync::atomic::{AtomicUsize, Ordering};

/// The role `.ci/postgres.sh` creates (with CREATEDB), on the cluster it starts.
pub const ADMIN: &str = "postgres://reachaudit:reachaudit-test@127.0.0.1:54329/postgres";

/// Connects as the test role to `db` (default: the admin database).
pub async fn connect(db: Option<&str>) -> tokio_postgres::Client {
    let url = match db {
        Some(name) => ADMIN.replace("/postgres", &format!("/{name}")),
        None => ADMIN.to_owned(),
    };
    let (client, connection) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
        .await
        .expect("the test PostgreSQL cluster on 127.0.0.1:54329 answers: run `bash .ci/test-deps`");
    tokio::spawn(connection);
    client
}

/// A new, empty database; returns its name and its URL (with the password, as a worker's
/// `--db` would not have it: tests pass it in the URL to keep the environment clean).
pub async fn database(tag: &str) -> (String, String) {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let client = connect(None).await;
    let name = format!(
        "{tag}_{}_{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::SeqCst)
    );
    // One statement each: PostgreSQL runs several in one implicit transaction, where neither
    // may run.
    for statement in [
        format!("DROP DATABASE IF EXISTS {name}"),
        format!("CREATE DATABASE {name}"),
    ] {
        client.batch_execute(&statement).await.unwrap();
    }
    let url = ADMIN.replace("/postgres", &format!("/{name}"));
    (name, url)
}
