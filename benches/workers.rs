//! Sites per minute and peak memory of 1, 2 and 4 `reachaudit batch` workers sharing one run of
//! 200 loopback company sites through PostgreSQL, at the polite default rate of 2 requests per
//! second per host (as real runs; `REACHAUDIT_BENCH_RATE` changes it). Each worker audits 8 sites
//! at once. Needs the test PostgreSQL cluster (`bash .ci/test-deps`).
//!
//! `cargo bench --bench workers` prints one line per fleet size; `REACHAUDIT_BENCH_SITES=N` and
//! `REACHAUDIT_BENCH_WORKERS=1,2,4` change the run. A timing, not a criterion benchmark: one
//! run is minutes of wall-clock time that the rate limit sets, not CPU time to sample.

#[path = "../tests/support/memory.rs"]
mod memory;
use memory::peak_kib;

#[path = "../tests/support/fleet.rs"]
mod fleet;
#[path = "../tests/support/pg.rs"]
mod pg;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() {
    // `cargo bench` passes --bench; `cargo test --benches` runs this too: measure only under bench.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let sites: usize = env_or("REACHAUDIT_BENCH_SITES", 200);
    let rate: String = env_or("REACHAUDIT_BENCH_RATE", "2".to_owned());
    let fleets: Vec<usize> = std::env::var("REACHAUDIT_BENCH_WORKERS")
        .unwrap_or_else(|_| "1,2,4".to_owned())
        .split(',')
        .filter_map(|n| n.trim().parse().ok())
        .collect();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let _guard = runtime.enter();
    // The list has every company's home and every fourth company's shop: fewer companies.
    let companies = sites * 4 / 5;
    let fleet = fleet::serve(companies, Duration::ZERO);
    let entries = &fleet.entries[..sites.min(fleet.entries.len())];
    let dir = tempfile::tempdir().unwrap();
    let list = dir.path().join("companies.txt");
    std::fs::write(&list, entries.join("\n")).unwrap();
    println!(
        "workers: {} sites ({companies} hosts), --rate {rate} per host, --concurrency 8 per worker",
        entries.len()
    );
    for workers in fleets {
        let (_, db) = runtime.block_on(pg::database("bench"));
        let before = fleet.hits().len();
        let started = Instant::now();
        let mut children: Vec<_> = (0..workers)
            .map(|n| {
                Command::new(env!("CARGO_BIN_EXE_reachaudit"))
                    .env("REACHAUDIT_RENDER", "never")
                    .args(["batch", list.to_str().unwrap(), "--db", &db])
                    .args(["--allow-private", "--rate", &rate, "--concurrency", "8"])
                    .arg("--user-agent")
                    .arg(format!("reachaudit-bench worker-{n}"))
                    .stdin(Stdio::null())
                    .stdout(Stdio::null())
                    .stderr(Stdio::null())
                    .spawn()
                    .unwrap()
            })
            .collect();
        let mut peaks = vec![0u64; workers];
        let mut codes = vec![None; workers];
        while codes.iter().any(Option::is_none) {
            for (i, child) in children.iter_mut().enumerate() {
                if codes[i].is_some() {
                    continue;
                }
                if let Some(kib) = peak_kib(child.id()) {
                    peaks[i] = peaks[i].max(kib);
                }
                if let Some(status) = child.try_wait().unwrap() {
                    codes[i] = Some(status.code().unwrap_or(-1));
                }
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let secs = started.elapsed().as_secs_f64();
        assert!(
            codes.iter().all(|c| *c == Some(0)),
            "a worker failed: {codes:?}"
        );
        #[allow(clippy::cast_precision_loss)]
        let per_min = entries.len() as f64 / secs * 60.0;
        #[allow(clippy::cast_precision_loss)]
        let mib = |kib: u64| kib as f64 / 1024.0;
        println!(
            "workers: {workers} worker(s): {:.1} s = {per_min:.0} sites/min, {} requests, peak memory per worker {:.1} MiB (all together {:.1} MiB)",
            secs,
            fleet.hits().len() - before,
            mib(peaks.iter().copied().max().unwrap_or(0)),
            mib(peaks.iter().sum())
        );
    }
}
