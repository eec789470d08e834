//! `reachaudit batch` over fixture sites served by real HTTP servers on 127.0.0.1: results stored
//! as each site finishes, a run killed halfway and resumed gives the same results as one that ran
//! through, and the exports open as what they claim to be (CSV parsed back, JSON Lines, JSON).

mod support;

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

use reachaudit::store::Store;
use serde_json::Value;
use support::{Fault, TestServer, reachaudit};

const SITES: [&str; 4] = [
    "acme-shop",
    "versicherung-nordlicht",
    "tienda-sol",
    "moebel-wien",
];

/// Servers for the fixture sites and a CSV list of them, with one hostile name.
fn servers_and_list(dir: &Path) -> (Vec<TestServer>, String) {
    let servers: Vec<TestServer> = SITES.iter().map(|s| TestServer::fixture(s)).collect();
    let mut csv = String::from("name,url,country,sector\n");
    for (i, (site, server)) in SITES.iter().zip(&servers).enumerate() {
        let name = if i == 2 {
            "=HYPERLINK(\"http://evil.example\")".to_owned()
        } else {
            (*site).to_owned()
        };
        let country = if *site == "tienda-sol" { "es" } else { "" };
        csv.push_str(&format!(
            "\"{}\",{},{country},{}\n",
            name.replace('"', "\"\""),
            server.url("/"),
            if i % 2 == 0 { "retail" } else { "insurance" }
        ));
    }
    let path = dir.join("companies.csv");
    std::fs::write(&path, csv).unwrap();
    (servers, path.to_string_lossy().into_owned())
}

/// The results that must not depend on interruptions: channels, findings, score, pages.
fn stable(report: &Value) -> Value {
    let mut r = report.clone();
    let pages: Vec<Value> = r["crawl"]["pages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["url"].clone())
        .collect();
    serde_json::json!({
        "input": r["target"]["input"].take(),
        "pages": pages,
        "channels": r["channels"].take(),
        "findings": r["findings"].take(),
        "score": r["score"].take(),
    })
}

fn by_input(jsonl: &str) -> BTreeMap<String, Value> {
    jsonl
        .lines()
        .map(|l| {
            let v: Value = serde_json::from_str(l).unwrap();
            (
                v["target"]["input"].as_str().unwrap().to_owned(),
                stable(&v),
            )
        })
        .collect()
}

#[test]
fn an_interrupted_batch_resumes_to_the_same_results_as_an_uninterrupted_one() {
    let dir = tempfile::tempdir().unwrap();
    let (servers, list) = servers_and_list(dir.path());
    let common = ["--allow-private", "--rate", "50", "--concurrency", "1"];

    // Straight through.
    let db_a = dir.path().join("a.db");
    let out_a = format!("jsonl={}", dir.path().join("a.jsonl").display());
    let mut args = vec!["batch", &list, "--db", db_a.to_str().unwrap(), "-o", &out_a];
    args.extend(common);
    let (code, _, err) = reachaudit(&args);
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("[4/4]"),
        "plain progress lines off a terminal: {err}"
    );

    // Killed after the first site, then resumed. The later sites are slowed down so the kill
    // lands while they are in flight.
    for s in &servers[1..] {
        s.fault("/", Fault::Delay(Duration::from_millis(1500)));
    }
    let db_b = dir.path().join("b.db");
    let out_b = format!("jsonl={}", dir.path().join("b.jsonl").display());
    let mut args_b = vec!["batch", &list, "--db", db_b.to_str().unwrap(), "-o", &out_b];
    args_b.extend(common);
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_reachaudit"))
        .env("REACHAUDIT_RENDER", "never")
        .args(&args_b)
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let start = Instant::now();
    let stored = |db: &Path| -> usize {
        Store::open(db)
            .ok()
            .and_then(|s| {
                let run = s.runs(None).ok()?.pop()?;
                s.finished_urls(run.id).ok().map(|u| u.len())
            })
            .unwrap_or(0)
    };
    while stored(&db_b) < 1 {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "no site finished"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let after_kill = stored(&db_b);
    assert!(
        after_kill < SITES.len(),
        "killed before the end: {after_kill}"
    );
    // The first site (concurrency 1, list order) finished before the kill.
    let acme_before_resume = servers[0].log().len();

    let (code, _, err) = reachaudit(&args_b);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("resuming run 1"), "{err}");
    // Finished sites are not crawled again.
    let acme_requests_on_resume = servers[0].log().len();
    assert!(acme_before_resume > 0);
    assert_eq!(
        acme_requests_on_resume, acme_before_resume,
        "the finished site was not crawled again on resume"
    );
    let a = by_input(&std::fs::read_to_string(dir.path().join("a.jsonl")).unwrap());
    let b = by_input(&std::fs::read_to_string(dir.path().join("b.jsonl")).unwrap());
    assert_eq!(a.len(), SITES.len());
    assert_eq!(a, b, "the same results, interrupted or not");
    let store = Store::open(&db_b).unwrap();
    let runs = store.runs(None).unwrap();
    assert_eq!(runs.len(), 1, "resumed, not restarted");
    assert!(runs[0].finished_at.is_some());
    assert!(runs[0].rules_version.starts_with("sha256:"));
    assert_eq!(runs[0].tool_version, env!("CARGO_PKG_VERSION"));

    // Done: running again audits nothing; --rerun keeps both runs.
    let (code, _, err) = reachaudit(&args_b);
    assert_eq!(code, 0);
    assert!(err.contains("finished already"), "{err}");
    assert_eq!(
        servers[0].log().len(),
        acme_requests_on_resume,
        "nothing crawled"
    );
    let mut rerun = args_b.clone();
    rerun.push("--rerun");
    let (code, _, err) = reachaudit(&rerun);
    assert_eq!(code, 0, "{err}");
    assert_eq!(Store::open(&db_b).unwrap().runs(None).unwrap().len(), 2);
}

#[test]
fn exports_open_as_what_they_claim_and_defuse_formulas() {
    let dir = tempfile::tempdir().unwrap();
    let (_servers, list) = servers_and_list(dir.path());
    let db = dir.path().join("e.db");
    let csv = dir.path().join("sites.csv");
    let channels = dir.path().join("channels.csv");
    let json = dir.path().join("all.json");
    let jsonl = dir.path().join("all.jsonl");
    let outs = [
        format!("csv={}", csv.display()),
        format!("channels={}", channels.display()),
        format!("json={}", json.display()),
        format!("jsonl={}", jsonl.display()),
    ];
    let mut args = vec![
        "batch",
        &list,
        "--db",
        db.to_str().unwrap(),
        "--allow-private",
        "--rate",
        "50",
        "--bom",
    ];
    for o in &outs {
        args.extend(["-o", o.as_str()]);
    }
    let (code, _, err) = reachaudit(&args);
    assert_eq!(code, 0, "{err}");

    let bytes = std::fs::read(&csv).unwrap();
    assert!(
        bytes.starts_with("\u{feff}".as_bytes()),
        "BOM for spreadsheets"
    );
    let mut reader = csv::Reader::from_reader(&bytes[3..]);
    let headers: Vec<String> = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_owned)
        .collect();
    for h in [
        "name",
        "url",
        "score",
        "grade",
        "has_phone",
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
        "score_person",
        "sector",
    ] {
        assert!(headers.iter().any(|x| x == h), "{h} in {headers:?}");
    }
    let rows: Vec<BTreeMap<String, String>> = reader
        .records()
        .map(|r| {
            headers
                .iter()
                .cloned()
                .zip(r.unwrap().iter().map(str::to_owned))
                .collect()
        })
        .collect();
    assert_eq!(rows.len(), SITES.len());
    assert_eq!(rows[0]["name"], "acme-shop", "list order");
    assert_eq!(
        rows[2]["name"], "'=HYPERLINK(\"http://evil.example\")",
        "a formula from the list is text in a spreadsheet"
    );
    assert_eq!(rows[1]["sector"], "insurance");
    let jsonl_text = std::fs::read_to_string(&jsonl).unwrap();
    let reports: Vec<Value> = jsonl_text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    for (row, report) in rows.iter().zip(&reports) {
        assert_eq!(
            row["score"],
            report["score"]["total"].to_string(),
            "{row:?}"
        );
        let phone = report["channels"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["kind"] == "phone");
        assert_eq!(row["has_phone"], if phone { "yes" } else { "no" });
        // The customer's way as the report found it, in the row.
        let at_once = report["score"]["paths"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["contact"] == "at_once")
            .unwrap();
        assert_eq!(
            row["path_at_once"].trim_start_matches('\''),
            at_once["summary"].as_str().unwrap(),
            "{row:?}"
        );
        let caps: Vec<&str> = report["score"]["caps"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["rule"].as_str().unwrap())
            .collect();
        assert_eq!(row["grade_caps"], caps.join(" "));
    }
    let all: Vec<Value> = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(all, reports, "the JSON array holds the same reports");
    let channel_bytes = std::fs::read(&channels).unwrap();
    let mut ch = csv::Reader::from_reader(&channel_bytes[3..]);
    let owner_column = ch
        .headers()
        .unwrap()
        .iter()
        .position(|h| h == "owner")
        .expect("an owner column");
    let owners: Vec<String> = ch
        .records()
        .map(|r| r.unwrap()[owner_column].to_owned())
        .collect();
    let count = |key: &str| -> usize {
        reports
            .iter()
            .map(|r| r[key].as_array().map_or(0, Vec::len))
            .sum()
    };
    assert_eq!(
        owners.iter().filter(|o| *o == "company").count(),
        count("channels"),
        "one company row per channel"
    );
    assert_eq!(
        owners.iter().filter(|o| *o != "company").count(),
        count("third_parties"),
        "one row per third party's detail, with its owner"
    );
    assert!(
        count("third_parties") > 0,
        "the fixtures name third parties"
    );

    // Opened in a real spreadsheet: no cell of either file is a formula, numbers are numbers,
    // and phone numbers are text that keeps its plus.
    for file in [&csv, &channels] {
        let sheet = open_in_calc(file, dir.path());
        assert!(
            !sheet.contains("table:formula="),
            "{}: a formula cell",
            file.display()
        );
        assert!(
            sheet.contains("office:value-type=\"float\""),
            "{}: numbers stay numbers",
            file.display()
        );
    }
    let sheet = open_in_calc(&channels, dir.path());
    assert!(
        sheet.contains(">tel:+49-"),
        "phone numbers in the tel: form"
    );
    assert!(
        !sheet.contains(">&apos;+"),
        "no apostrophe shows in front of a phone number"
    );
    assert!(
        std::fs::read_dir(dir.path()).unwrap().all(|e| !e
            .unwrap()
            .file_name()
            .to_string_lossy()
            .ends_with(".partial")),
        "no half-written files left"
    );
}

#[test]
fn a_failing_site_is_recorded_and_bad_lists_are_refused_with_the_line() {
    let dir = tempfile::tempdir().unwrap();
    let good = TestServer::fixture("acme-shop");
    // A port nobody listens on: the connection is refused.
    let closed = closed_port();
    let list = dir.path().join("shops.txt");
    std::fs::write(
        &list,
        format!(
            "# two shops\n{}\nhttp://127.0.0.1:{closed}/\n",
            good.url("/")
        ),
    )
    .unwrap();
    let db = dir.path().join("f.db");
    let csv = dir.path().join("f.csv");
    let out = format!("csv={}", csv.display());
    let (code, _, err) = reachaudit(&[
        "batch",
        list.to_str().unwrap(),
        "--db",
        db.to_str().unwrap(),
        "--allow-private",
        "--rate",
        "50",
        "-o",
        &out,
    ]);
    assert_eq!(
        code, 1,
        "one failure never stops the batch, and some failed is exit 1: {err}"
    );
    assert!(
        err.contains("(1 evaluated, 1 failed)")
            && err.contains(&format!("wrote {}", csv.display())),
        "the closing line counts and names the files: {err}"
    );
    assert!(err.contains("--retry-failed"), "{err}");
    let text = std::fs::read_to_string(&csv).unwrap();
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let statuses: Vec<(String, String)> = reader
        .records()
        .map(|r| {
            let r = r.unwrap();
            (r[2].to_owned(), r[3].to_owned())
        })
        .collect();
    assert_eq!(statuses[0].0, "done");
    assert_eq!(statuses[1].0, "failed");
    assert!(
        statuses[1].1.contains(&format!("127.0.0.1:{closed}")),
        "{statuses:?}"
    );

    // --retry-failed audits the failed site alone; the evaluated one is not crawled again.
    let good_before = good.log().len();
    let (code, _, err) = reachaudit(&[
        "batch",
        list.to_str().unwrap(),
        "--db",
        db.to_str().unwrap(),
        "--allow-private",
        "--rate",
        "50",
        "--retry-failed",
        "-o",
        &out,
    ]);
    assert!(err.contains("retrying 1 failed site(s) of run 1"), "{err}");
    assert_eq!(code, 1, "still down: {err}");
    assert_eq!(
        good.log().len(),
        good_before,
        "the evaluated site was not crawled again"
    );

    // Nothing evaluated at all is exit 3, like scan.
    let dead = dir.path().join("dead.txt");
    std::fs::write(&dead, format!("http://127.0.0.1:{closed}/\n")).unwrap();
    let (code, _, err) = reachaudit(&[
        "batch",
        dead.to_str().unwrap(),
        "--db",
        dir.path().join("dead.db").to_str().unwrap(),
        "--allow-private",
    ]);
    assert_eq!(code, 3, "{err}");

    // A bare domain is the company's website, not a fatal error: read as https://…/, said on
    // standard error and kept beside the result.
    let bare = dir.path().join("bare.csv");
    std::fs::write(&bare, "name,url\nTK,www.tk.example\n").unwrap();
    let bare_csv = dir.path().join("bare-out.csv");
    let (code, _, err) = reachaudit(&[
        "batch",
        bare.to_str().unwrap(),
        "--db",
        dir.path().join("bare.db").to_str().unwrap(),
        "--allow-private",
        // No DNS: the name points at a loopback port where nothing listens.
        "--resolve",
        "www.tk.example:127.0.0.1",
        "-o",
        &format!("jsonl={}", bare_csv.display()),
    ]);
    assert_ne!(code, 2, "a bare domain does not stop the batch: {err}");
    assert!(
        err.contains("bare.csv:2: www.tk.example read as https://www.tk.example/"),
        "{err}"
    );
    let line = std::fs::read_to_string(&bare_csv).unwrap();
    assert!(
        line.contains("\"url_as_written\":\"www.tk.example\""),
        "{line}"
    );

    let bad = dir.path().join("bad.csv");
    std::fs::write(&bad, "firma,adresse\nA,https://a.example\n").unwrap();
    let (code, _, err) =
        reachaudit(&["batch", bad.to_str().unwrap(), "--db", db.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(
        err.contains("bad.csv:1:") && err.contains("name and url"),
        "{err}"
    );
    let (code, _, err) = reachaudit(&["batch", list.to_str().unwrap(), "-o", "xlsx=out.xlsx"]);
    assert_eq!(code, 2);
    assert!(err.contains("unknown format"), "{err}");
}

/// The README's first screen: the example list turns into the HTML ranking with the command
/// it shows, and the README neither promises what exists nor points outside the repository.
#[test]
fn the_readme_example_list_becomes_a_ranking() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let first_screen: String = readme.lines().take(120).collect::<Vec<_>>().join("\n");
    for needle in [
        "cargo install --path .",
        "reachaudit batch fixtures/example-list.csv --render never -o html=ranking.html",
    ] {
        assert!(
            first_screen.contains(needle),
            "README's first 120 lines lack {needle:?}"
        );
    }
    assert!(
        !readme.contains("Still to come"),
        "the README promises what exists"
    );
    assert!(
        !readme.contains("../shared"),
        "the README points outside the repository"
    );

    let dir = tempfile::tempdir().unwrap();
    let html = dir.path().join("ranking.html");
    let list = root.join("fixtures/example-list.csv");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_reachaudit"))
        .current_dir(root)
        .args([
            "batch",
            list.to_str().unwrap(),
            "--render",
            "never",
            "--db",
            dir.path().join("ex.db").to_str().unwrap(),
            "-o",
            &format!("html={}", html.display()),
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let page = std::fs::read_to_string(&html).unwrap();
    let rows = std::fs::read_to_string(&list).unwrap().lines().count() - 1;
    assert_eq!(rows, 39);
    for line in std::fs::read_to_string(&list).unwrap().lines().skip(1) {
        let name = line.split(',').next().unwrap().replace('&', "&amp;");
        assert!(page.contains(&name), "{name} missing from the ranking");
    }
}

/// A CSV file as LibreOffice Calc (Debian's, headless, from `.ci/test-deps`) opens it: comma
/// separated, UTF-8, saved as flat ODF XML, which says for every cell whether it is a formula,
/// a number or text.
fn open_in_calc(csv: &std::path::Path, dir: &std::path::Path) -> String {
    let profile = tempfile::tempdir().unwrap();
    let out = tempfile::tempdir_in(dir).unwrap();
    let output = std::process::Command::new("soffice")
        .arg(format!(
            "-env:UserInstallation=file://{}",
            profile.path().display()
        ))
        .args(["--headless", "--norestore", "--infilter=CSV:44,34,76,1"])
        .args(["--convert-to", "fods", "--outdir"])
        .arg(out.path())
        .arg(csv)
        .output()
        .expect("soffice not found: run `bash .ci/test-deps` (installs libreoffice-calc-nogui)");
    let stem = csv.file_stem().unwrap().to_string_lossy();
    let saved = out.path().join(format!("{stem}.fods"));
    std::fs::read_to_string(&saved).unwrap_or_else(|e| {
        panic!(
            "{}: {e}; soffice said: {}",
            saved.display(),
            String::from_utf8_lossy(&output.stderr)
        )
    })
}

/// A statement that fails (here: a table gone) names the database it failed in, for `batch` and
/// for `report` alike, instead of a bare "no such table".
#[test]
fn a_failing_statement_names_the_database() {
    let dir = tempfile::tempdir().unwrap();
    let closed = closed_port();
    let list = dir.path().join("one.txt");
    std::fs::write(&list, format!("http://127.0.0.1:{closed}/\n")).unwrap();
    let db = dir.path().join("broken.db");
    let (list, db_arg) = (list.to_str().unwrap(), db.to_str().unwrap());
    let batch = ["batch", list, "--db", db_arg, "--allow-private"];
    let (code, _, err) = reachaudit(&batch);
    assert_eq!(code, 3, "{err}");
    rusqlite::Connection::open(&db)
        .unwrap()
        .execute_batch("DROP TABLE site;")
        .unwrap();
    for args in [&batch[..], &["report", "--runs", "--db", db_arg][..]] {
        let (code, _, err) = reachaudit(args);
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(
            err.contains(&format!("--db {db_arg}: database: no such table: site")),
            "{args:?}: {err}"
        );
    }
}

/// A loopback port nobody listens on: a connection to it is refused.
fn closed_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}
