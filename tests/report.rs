//! The HTML report opened in a real browser (Debian's headless Chromium), with a fixture site
//! whose every text tries to break out of it; `reachaudit report` over saved results and batch
//! runs; and `report --compare` saying who got worse after a site lost its phone number.

mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;
use support::{TestServer, edit_html, reachaudit, temp_site};

/// Debian's Chromium, as `.ci/test-deps` installs it.
fn chromium_bin() -> PathBuf {
    let bin = std::env::var_os("REACHAUDIT_CHROMIUM")
        .map_or_else(|| PathBuf::from("/usr/bin/chromium"), PathBuf::from);
    assert!(
        bin.is_file(),
        "{} not found: run `bash .ci/test-deps` (installs Debian's chromium), or set REACHAUDIT_CHROMIUM",
        bin.display()
    );
    bin
}

/// Runs headless Chromium on `url` with `what` (`--dump-dom`, `--screenshot=…`): (stdout,
/// stderr). Flags keep it off the network: this machine reaches nothing but loopback.
fn chromium(url: &str, what: &[&str]) -> (String, String) {
    let profile = tempfile::tempdir().unwrap();
    let mut child = Command::new(chromium_bin())
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--enable-logging=stderr",
            "--v=0",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(what)
        .arg(url)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(90);
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("chromium did not finish within 90 s on {url}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "chromium failed on {url}:\n{stderr}");
    (String::from_utf8_lossy(&out.stdout).into_owned(), stderr)
}

fn file_url(path: &Path, query: &str) -> String {
    format!("file://{}{query}", path.canonicalize().unwrap().display())
}

/// The companies of the ranking table in the order shown, by their detail anchors.
fn ranking_rows(dom: &str) -> Vec<(String, bool)> {
    let start = dom.find("<table id=\"ranking\"").expect("a ranking table");
    let start = start + dom[start..].find("<tbody>").unwrap();
    let table = &dom[start..start + dom[start..].find("</tbody>").unwrap()];
    let row = regex::Regex::new(r##"<tr([^>]*)>.*?href="#site-\d+">([^<]*)</a>"##).unwrap();
    row.captures_iter(table)
        .map(|c| (c[2].to_owned(), c[1].contains("hidden")))
        .collect()
}

fn list(dir: &Path, rows: &[(&str, String, &str)]) -> String {
    let mut csv = String::from("name,url,sector\n");
    for (name, url, sector) in rows {
        csv.push_str(&format!(
            "\"{}\",{url},\"{}\"\n",
            name.replace('"', "\"\""),
            sector.replace('"', "\"\"")
        ));
    }
    let path = dir.join("companies.csv");
    std::fs::write(&path, csv).unwrap();
    path.to_string_lossy().into_owned()
}

#[test]
fn the_html_report_renders_in_chromium_and_no_site_text_becomes_markup() {
    let dir = tempfile::tempdir().unwrap();
    let hostile = TestServer::fixture("schadcode-gmbh");
    let shop = TestServer::fixture("acme-shop");
    let old = TestServer::fixture("kaputt-handel");
    let evil_name = "Schadcode <script>alert('name')</script> \"GmbH";
    let list = list(
        dir.path(),
        &[
            (
                evil_name,
                hostile.url("/"),
                "security\"><b id=\"injected\">x</b>",
            ),
            ("acme-shop", shop.url("/"), "retail"),
            ("kaputt-handel", old.url("/"), "retail"),
            (
                "Unerreichbar AG",
                "http://127.0.0.1:1/".to_owned(),
                "retail",
            ),
        ],
    );
    let html = dir.path().join("report.html");
    let jsonl = dir.path().join("results.jsonl");
    let db = dir.path().join("runs.db");
    let (code, _, err) = reachaudit(&[
        "batch",
        &list,
        "--db",
        db.to_str().unwrap(),
        "--allow-private",
        "--rate",
        "50",
        "--title",
        "Shops <i>2026</i>",
        "-o",
        &format!("html={}", html.display()),
        "-o",
        &format!("jsonl={}", jsonl.display()),
    ]);
    assert_eq!(code, 1, "one site is unreachable, so some failed: {err}");
    let text = std::fs::read_to_string(&html).unwrap();

    // The file itself: the page's one script, site text only as escaped text.
    assert_eq!(
        text.matches("<script").count(),
        1,
        "one script, the page's own"
    );
    for raw in [
        "<script>alert",
        "<svg onload",
        "<img src=x",
        "<b id=\"injected\"",
        "href=\"javascript:",
        "<i>2026",
    ] {
        assert!(!text.contains(raw), "{raw} reached the report unescaped");
    }
    assert!(
        text.contains("Schadcode &lt;script&gt;alert(&#39;name&#39;)&lt;/script&gt; &quot;GmbH")
    );
    assert!(text.contains("Chat starten &lt;svg onload=alert(4)&gt;"));
    assert!(text.contains("<title>Shops &lt;i&gt;2026&lt;/i&gt;</title>"));
    assert!(
        !text.contains("<link") && !text.contains(" src=\""),
        "no external assets"
    );
    // Each company's evidence page is headed by the company its ranking row links from.
    let anchors = regex::Regex::new(r##"href="#site-(\d+)">([^<]*)</a>"##).unwrap();
    for c in anchors.captures_iter(&text) {
        let heading = format!("id=\"site-{}\"><h3>{} <span", &c[1], &c[2]);
        assert!(text.contains(&heading), "no {heading}");
    }

    // In the browser: the page's script ran under its own Content-Security-Policy, nothing else
    // did, and no injected element exists.
    let (dom, log) = chromium(&file_url(&html, ""), &["--dump-dom"]);
    assert!(
        dom.contains("data-ready=\"1\""),
        "the page's script did not run:\n{log}"
    );
    assert!(
        !log.contains("Content Security Policy") && !log.contains("Uncaught"),
        "the browser refused or failed something:\n{log}"
    );
    assert_eq!(dom.matches("<script").count(), 1);
    assert!(dom.contains("http-equiv=\"Content-Security-Policy\""));
    for raw in ["<svg onload", "<img src=x", "<b id=\"injected\"", "<i>2026"] {
        assert!(!dom.contains(raw), "{raw} became an element");
    }

    // The ranking shows every company, ordered by score as the stored results have it.
    let mut expected: Vec<(Option<i64>, String)> = std::fs::read_to_string(&jsonl)
        .unwrap()
        .lines()
        .map(|l| {
            let r: Value = serde_json::from_str(l).unwrap();
            (
                r["score"]["total"].as_i64(),
                r["company"]["name"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(expected.iter().filter(|(t, _)| t.is_none()).count(), 1);
    // Best first; the one that could not be evaluated last.
    expected.sort_by(|a, b| {
        b.0.is_some()
            .cmp(&a.0.is_some())
            .then_with(|| b.0.cmp(&a.0))
            .then_with(|| a.1.to_lowercase().cmp(&b.1.to_lowercase()))
    });
    let escaped = |s: &str| {
        s.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
    };
    let shown: Vec<String> = ranking_rows(&dom).into_iter().map(|(n, _)| n).collect();
    let want: Vec<String> = expected.iter().map(|(_, n)| escaped(n)).collect();
    assert_eq!(shown, want);

    // Sorted by name through the URL, the way a reader's link would open it.
    let (dom, _) = chromium(&file_url(&html, "?sort=name&dir=asc"), &["--dump-dom"]);
    assert!(dom.contains("data-sorted=\"name asc\""));
    let mut by_name = want.clone();
    by_name.sort_by_key(|n| n.to_lowercase());
    let shown: Vec<String> = ranking_rows(&dom).into_iter().map(|(n, _)| n).collect();
    assert_eq!(shown, by_name);

    // Sorted by a score column: the company without scores stays last, whichever way.
    for dir in ["desc", "asc"] {
        let (dom, _) = chromium(
            &file_url(&html, &format!("?sort=person&dir={dir}")),
            &["--dump-dom"],
        );
        let rows = ranking_rows(&dom);
        assert_eq!(rows.last().unwrap().0, "Unerreichbar AG", "{dir}");
    }

    // Filtered: only the matching row stays visible.
    let (dom, _) = chromium(&file_url(&html, "?q=kaputt"), &["--dump-dom"]);
    let rows = ranking_rows(&dom);
    assert_eq!(rows.len(), 4);
    for (name, hidden) in rows {
        assert_eq!(hidden, !name.contains("kaputt"), "{name}");
    }

    // The policy is what stops a missed escape: a script the page did not hash never runs.
    let tampered = dir.path().join("tampered.html");
    std::fs::write(
        &tampered,
        text.replacen(
            "<body>",
            "<body><script>document.documentElement.setAttribute(\"data-pwned\",\"1\")</script>",
            1,
        ),
    )
    .unwrap();
    let (dom, log) = chromium(&file_url(&tampered, ""), &["--dump-dom"]);
    assert!(dom.contains("data-ready=\"1\"") && !dom.contains("data-pwned=\"1\""));
    assert!(
        log.contains("Content Security Policy"),
        "the refusal is logged:\n{log}"
    );

    // A screenshot comes out of it without errors.
    let shot = dir.path().join("report.png");
    chromium(
        &file_url(&html, ""),
        &[
            &format!("--screenshot={}", shot.display()),
            "--window-size=1280,1600",
        ],
    );
    let png = std::fs::read(&shot).unwrap();
    assert!(
        png.starts_with(b"\x89PNG\r\n\x1a\n") && png.len() > 20_000,
        "{} bytes",
        png.len()
    );

    // On a 1280-pixel screen (and a 1024-pixel laptop) the ranking's key columns show without
    // scrolling sideways, though the whole table is wider.
    let keys = ["name", "score", "clicks", "failed_rules"];
    for width in [1280, 1024] {
        let (edges, visible) = ranking_edges(&html, width, &keys);
        for (key, right) in keys.iter().zip(&edges) {
            assert!(
                *right <= visible,
                "{width} px: column {key} ends at {right} px, the table shows {visible} px"
            );
        }
    }
}

/// Where the ranking's header cells `keys` end (CSS pixels from the left) and where the table's
/// visible area ends, with the report open in a window `width` pixels wide.
fn ranking_edges(html: &Path, width: u32, keys: &[&str]) -> (Vec<f64>, f64) {
    use futures::StreamExt as _;
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let profile = tempfile::tempdir().unwrap();
        let config = chromiumoxide::BrowserConfig::builder()
            .chrome_executable(chromium_bin())
            .user_data_dir(profile.path())
            .no_sandbox()
            .window_size(width, 1000)
            .viewport(chromiumoxide::handler::viewport::Viewport {
                width,
                height: 1000,
                device_scale_factor: None,
                emulating_mobile: false,
                is_landscape: true,
                has_touch: false,
            })
            .args([
                "--disable-gpu",
                "--no-first-run",
                "--disable-background-networking",
                "--proxy-server=http://127.0.0.1:9",
            ])
            .build()
            .unwrap();
        let (mut browser, mut handler) = chromiumoxide::Browser::launch(config).await.unwrap();
        let events = tokio::spawn(async move { while handler.next().await.is_some() {} });
        let page = browser.new_page(file_url(html, "")).await.unwrap();
        page.wait_for_navigation().await.unwrap();
        let script = format!(
            "JSON.stringify({{edges: {keys:?}.map(k => document.querySelector('#ranking th[data-key=\"' + k + '\"]').getBoundingClientRect().right), visible: Math.min(window.innerWidth, document.querySelector('#ranking').parentElement.getBoundingClientRect().right)}})"
        );
        let json: String = page.evaluate(script).await.unwrap().into_value().unwrap();
        let _ = browser.close().await;
        events.abort();
        let v: Value = serde_json::from_str(&json).unwrap();
        let edges = v["edges"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e.as_f64().unwrap())
            .collect();
        (edges, v["visible"].as_f64().unwrap())
    })
}

const SMALL_HOME: &str = r#"<!DOCTYPE html><html lang="de"><head><meta charset="utf-8"><title>Kleinbetrieb Berlin</title></head>
<body><nav><a href="/">Start</a> <a href="/kontakt.html">Kontakt</a> <a href="/impressum.html">Impressum</a></nav>
<main><h1>Kleinbetrieb Berlin</h1><p>Rufen Sie uns an: <a href="tel:+4930123456">030 123456</a> (Mo–Fr 9–17 Uhr)</p></main></body></html>"#;

const SMALL_CONTACT: &str = r#"<!DOCTYPE html><html lang="de"><head><meta charset="utf-8"><title>Kontakt</title></head>
<body><nav><a href="/">Start</a> <a href="/kontakt.html">Kontakt</a> <a href="/impressum.html">Impressum</a></nav>
<main><h1>Kontakt</h1><p>E-Mail: <a href="mailto:info@kleinbetrieb.de">info@kleinbetrieb.de</a></p>
<p>Telefon: <a href="tel:+4930123456">030 123456</a></p></main></body></html>"#;

const SMALL_IMPRINT: &str = r#"<!DOCTYPE html><html lang="de"><head><meta charset="utf-8"><title>Impressum</title></head>
<body><nav><a href="/">Start</a> <a href="/kontakt.html">Kontakt</a></nav>
<main><h1>Impressum</h1><p>Kleinbetrieb GmbH<br>Hauptstraße 5<br>10115 Berlin</p>
<p>E-Mail: info@kleinbetrieb.de</p></main></body></html>"#;

#[test]
fn report_renders_saved_results_and_compare_says_who_got_worse() {
    let dir = tempfile::tempdir().unwrap();
    let site = temp_site(&[
        ("index.html", SMALL_HOME),
        ("kontakt.html", SMALL_CONTACT),
        ("impressum.html", SMALL_IMPRINT),
    ]);
    let small = TestServer::serve(site.path());
    let other = TestServer::fixture("moebel-wien");
    let list = list(
        dir.path(),
        &[
            ("Kleinbetrieb", small.url("/"), "crafts"),
            ("Möbel Wien", other.url("/"), "retail"),
        ],
    );
    let db = dir.path().join("runs.db");
    let db = db.to_str().unwrap();
    let run1 = dir.path().join("run1.jsonl");
    let batch = |extra: &[&str]| {
        let mut args = vec![
            "batch",
            &list,
            "--db",
            db,
            "--allow-private",
            "--rate",
            "50",
        ];
        args.extend_from_slice(extra);
        let (code, _, err) = reachaudit(&args);
        assert_eq!(code, 0, "{err}");
    };
    batch(&["-o", &format!("jsonl={}", run1.display())]);

    // Later the small company drops its phone number everywhere.
    edit_html(site.path(), &|html| {
        html.replace(
            "Rufen Sie uns an: <a href=\"tel:+4930123456\">030 123456</a>",
            "Schreiben Sie uns.",
        )
        .replace(
            "<p>Telefon: <a href=\"tel:+4930123456\">030 123456</a></p>",
            "",
        )
    });
    let run2 = dir.path().join("run2.jsonl");
    batch(&["--rerun", "-o", &format!("jsonl={}", run2.display())]);

    let (code, out, err) = reachaudit(&["report", "--runs", "--db", db]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(out.lines().count(), 2, "{out}");
    assert!(
        out.contains("2 done, 0 failed") && out.contains("Run 2 of"),
        "{out}"
    );

    // From the database, by run id: the small company got worse because it lost the phone.
    let (code, out, err) = reachaudit(&["report", "--db", db, "--compare", "1", "2", "-f", "json"]);
    assert_eq!(code, 0, "{err}");
    let cmp: Value = serde_json::from_str(&out).unwrap();
    let changes = cmp["changes"].as_array().unwrap();
    assert_eq!(changes.len(), 2);
    let small_change = changes
        .iter()
        .find(|c| c["name"] == "Kleinbetrieb")
        .unwrap();
    assert_eq!(small_change["movement"], "worse", "{small_change}");
    assert!(small_change["delta"].as_i64().unwrap() < 0);
    assert_eq!(small_change["channels_lost"], serde_json::json!(["phone"]));
    let wien = changes.iter().find(|c| c["name"] == "Möbel Wien").unwrap();
    assert_eq!(wien["movement"], "same", "{wien}");
    assert_eq!(changes[0]["name"], "Kleinbetrieb", "losers first");

    let (code, text, err) = reachaudit(&["report", "--db", db, "--compare", "1", "latest"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        text.contains("Worse (1):") && text.contains("lost phone"),
        "{text}"
    );
    assert!(text.contains("Same score (1):"), "{text}");

    // From the saved files, as CSV: the same verdicts.
    let out_csv = dir.path().join("changes.csv");
    let (code, _, err) = reachaudit(&[
        "report",
        "--compare",
        run1.to_str().unwrap(),
        run2.to_str().unwrap(),
        "-o",
        out_csv.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    let mut rows = csv::Reader::from_path(&out_csv).unwrap();
    let headers = rows.headers().unwrap().clone();
    let col = |h: &str| headers.iter().position(|x| x == h).unwrap();
    let records: Vec<csv::StringRecord> = rows.records().map(Result::unwrap).collect();
    assert_eq!(records.len(), 2);
    assert_eq!(&records[0][col("name")], "Kleinbetrieb");
    assert_eq!(&records[0][col("movement")], "worse");
    assert_eq!(
        records[0][col("delta")].parse::<i64>().unwrap(),
        small_change["delta"].as_i64().unwrap(),
        "a negative delta stays a number, not a defused text"
    );

    // Saved results rendered again: HTML from JSON Lines, JSON from a run, Markdown by extension.
    let page = dir.path().join("again.html");
    let (code, _, err) = reachaudit(&[
        "report",
        run1.to_str().unwrap(),
        "-o",
        page.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    let page = std::fs::read_to_string(&page).unwrap();
    assert!(
        page.starts_with("<!DOCTYPE html>")
            && page.contains(">Kleinbetrieb</a>")
            && page.contains(">Möbel Wien</a>")
    );
    assert!(page.contains("<td>crafts</td>"), "sector column");
    let (code, out, err) = reachaudit(&["report", "--db", db, "--run", "1", "-f", "json"]);
    assert_eq!(code, 0, "{err}");
    let reports: Vec<Value> = serde_json::from_str(&out).unwrap();
    let names: Vec<&str> = reports
        .iter()
        .map(|r| r["company"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Kleinbetrieb", "Möbel Wien"]);
    assert_eq!(reports[0]["company"]["sector"], "crafts");
    let md = dir.path().join("r.md");
    let (code, _, err) = reachaudit(&[
        "report",
        "--db",
        db,
        "--run",
        "latest",
        "-o",
        md.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(
        std::fs::read_to_string(&md)
            .unwrap()
            .contains("### reachaudit")
    );

    // Mistakes get one line naming the input and the fix, and exit 2.
    let missing_db = dir.path().join("none.db");
    for (args, says) in [
        (vec!["report", "nothing.json"], "nothing.json: no such file"),
        (vec!["report", "--db", db, "--run", "7"], "run 7: not in"),
        (
            vec!["report", "--db", missing_db.to_str().unwrap(), "--runs"],
            "no batch database there",
        ),
        (
            vec!["report", "--db", db, "--run", "1", "-o", "out.weird"],
            "say which format",
        ),
        (vec!["report"], "nothing to report"),
        (
            vec!["report", "--db", db, "--compare", "1", "2", "-f", "html"],
            "text, json or csv",
        ),
    ] {
        let (code, _, err) = reachaudit(&args);
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(err.contains(says), "{args:?}: {err}");
        assert_eq!(err.trim().lines().count(), 1, "{args:?}: {err}");
    }
    assert!(!missing_db.exists(), "reading must not create a database");
}
