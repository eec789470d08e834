//! The binary's contract: exit codes 0/2/3, one-line errors that name the input and the fix,
//! JSON on stdout and in `--output` files.

mod support;

use assert_cmd::Command;
use support::{TestServer, temp_site};

/// The binary, rendering nothing unless a test asks (`--render` beats the variable): the tests of
/// rendering are in tests/render.rs, and a browser here would fetch the fixtures' vendor scripts.
fn reachaudit() -> Command {
    let mut cmd = Command::cargo_bin("reachaudit").unwrap();
    cmd.env("REACHAUDIT_RENDER", "never");
    cmd
}

/// Runs, checks the exit code, and returns (stdout, stderr).
fn run(args: &[&str], code: i32) -> (String, String) {
    let output = reachaudit().args(args).output().unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert_eq!(
        output.status.code(),
        Some(code),
        "args {args:?}\nstdout:\n{stdout}\nstderr:\n{stderr}"
    );
    (stdout, stderr)
}

fn one_line_error(args: &[&str], needles: &[&str]) {
    let (_, stderr) = run(args, 2);
    assert_eq!(
        stderr.trim_end().lines().count(),
        1,
        "one line, got:\n{stderr}"
    );
    for needle in needles {
        assert!(stderr.contains(needle), "{needle:?} not in {stderr:?}");
    }
}

/// A two-page site with a free hotline and an e-mail address but no postal address, so legal
/// rules at level error fail and scans of it exit 1.
fn site() -> tempfile::TempDir {
    temp_site(&[
        (
            "index.html",
            "<html lang=de><title>Muster GmbH</title><a href=/kontakt/>Kontakt</a></html>",
        ),
        (
            "kontakt/index.html",
            "<title>Kontakt</title><p>Hotline: <a href='tel:0800 330 1000'>0800 330 1000</a> <a href='mailto:service@weber-haushalt.de'>E-Mail</a></p>",
        ),
    ])
}

#[test]
fn bad_input_is_a_one_line_error_with_exit_2() {
    one_line_error(&["scan", "https://"], &["https://", "not a valid URL"]);
    one_line_error(&["scan", "ftp://example.de"], &["unsupported scheme 'ftp'"]);
    one_line_error(
        &["scan", "/does/not/exist"],
        &["/does/not/exist", "no such file"],
    );
    one_line_error(&["scan", "example.de"], &["write https://example.de"]);
    let dir = site();
    let target = dir.path().to_str().unwrap();
    one_line_error(
        &["scan", target, "--format", "xml"],
        &["unknown format 'xml'", "text, json"],
    );
    one_line_error(
        &["scan", target, "--output", "report.json"],
        &["--output report.json", "FORMAT=PATH"],
    );
    one_line_error(
        &["scan", target, "--country", "XY"],
        &["--country XY", "ISO 3166"],
    );
    one_line_error(
        &["scan", target, "--rate", "0"],
        &["--rate 0", "greater than 0"],
    );
    one_line_error(
        &["scan", target, "--max-size", "12 parsecs"],
        &["--max-size", "unknown unit"],
    );
    let missing = dir.path().join("no/such/dir/r.json");
    let spec = format!("json={}", missing.display());
    one_line_error(
        &["scan", target, "--output", &spec],
        &["cannot write the report"],
    );
}

#[test]
fn a_broken_rule_file_names_file_line_and_reason() {
    let rules = temp_site(&[(
        "cues/labels.toml",
        "fax = [\"fax\"]\nphone = [\"tel\"]\nnot_phone = []\nthird_party = []\nfree = []\nno_reply = []\nfaks = 1\n",
    )]);
    let dir = site();
    let (_, stderr) = run(
        &[
            "scan",
            dir.path().to_str().unwrap(),
            "--rules",
            rules.path().to_str().unwrap(),
        ],
        2,
    );
    assert!(
        stderr.contains("cues/labels.toml:7:1") && stderr.contains("faks"),
        "{stderr}"
    );
}

#[test]
fn unknown_flags_and_missing_targets_are_usage_errors() {
    let (_, stderr) = run(&["scan"], 2);
    assert!(stderr.contains("TARGET"));
    run(&["scan", "--no-such-flag", "x"], 2);
    let (stdout, _) = run(&["--version"], 0);
    assert!(stdout.starts_with("reachaudit 0.1.0"));
}

#[test]
fn unreachable_and_private_targets_exit_3_with_the_reason() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let closed = format!("http://127.0.0.1:{port}/");
    let (stdout, stderr) = run(
        &[
            "scan",
            &closed,
            "--allow-private",
            "--timeout",
            "2",
            "--format",
            "json",
        ],
        3,
    );
    assert!(
        stderr.contains("not evaluated") && stderr.contains("connection refused by 127.0.0.1:"),
        "{stderr}"
    );
    let report: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(
        report["evaluated"], false,
        "the report is still printed, marked as not evaluated"
    );

    let dir = site();
    let server = TestServer::serve(dir.path());
    let (_, stderr) = run(&["scan", &server.url("/")], 3);
    assert!(
        stderr.contains("--allow-private") && stderr.contains("loopback"),
        "{stderr}"
    );
    assert!(server.log().is_empty());
}

#[test]
fn json_report_carries_every_contract_key() {
    let dir = site();
    let server = TestServer::serve(dir.path());
    let (stdout, _) = run(
        &[
            "scan",
            &server.url("/"),
            "--allow-private",
            "--rate",
            "100",
            "--format",
            "json",
        ],
        1,
    );
    let r: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    for key in [
        "schema_version",
        "tool",
        "target",
        "crawl",
        "channels",
        "findings",
        "score",
        "probes",
    ] {
        assert!(r.get(key).is_some(), "missing {key}");
    }
    assert_eq!(r["schema_version"], "1");
    assert_eq!(r["tool"]["name"], "reachaudit");
    for key in ["input", "start_url", "site"] {
        assert!(r["target"][key].is_string(), "target.{key}");
    }
    for key in ["pages", "requests", "robots", "errors"] {
        assert!(r["crawl"].get(key).is_some(), "crawl.{key}");
    }
    assert_eq!(r["crawl"]["robots"], "missing");
    let page = &r["crawl"]["pages"][0];
    for key in ["url", "status", "clicks", "kinds"] {
        assert!(page.get(key).is_some(), "page.{key}");
    }
    let phone = r["channels"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["kind"] == "phone")
        .unwrap();
    for key in [
        "kind", "value", "phone", "email", "vendor", "mode", "clicks", "evidence",
    ] {
        assert!(phone.get(key).is_some(), "channel.{key}");
    }
    assert_eq!(phone["phone"]["e164"], "+498003301000");
    assert_eq!(phone["phone"]["type"], "toll_free");
    assert_eq!(phone["phone"]["region"], "DE");
    assert_eq!(phone["clicks"], 1);
    assert_eq!(phone["evidence"][0]["source"], "tel_link");
    let email = r["channels"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["kind"] == "email")
        .unwrap();
    assert_eq!(email["email"]["address"], "service@weber-haushalt.de");
    assert_eq!(email["email"]["no_reply"], false);
    let total = r["score"]["total"]
        .as_u64()
        .expect("a scored site has a total");
    assert!(total <= 100);
    assert!(
        ["A", "B", "C", "D", "E", "F"].contains(&r["score"]["grade"].as_str().unwrap()),
        "{}",
        r["score"]
    );
    let responsiveness = r["score"]["categories"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "responsiveness")
        .unwrap();
    assert!(
        responsiveness["score"].is_null(),
        "without probes responsiveness is not measured, and must not read as 0"
    );
}

#[test]
fn outputs_are_written_and_several_targets_make_an_array() {
    let dir = site();
    let out = tempfile::tempdir().unwrap();
    let json = out.path().join("r.json");
    let text = out.path().join("r.txt");
    let target = dir.path().to_str().unwrap();
    let (stdout, _) = run(
        &[
            "scan",
            target,
            target,
            "--output",
            &format!("json={}", json.display()),
            "--output",
            &format!("text={}", text.display()),
        ],
        1,
    );
    assert!(stdout.contains("Channels (2)"), "{stdout}");
    let array: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(array.as_array().map(Vec::len), Some(2));
    assert_eq!(std::fs::read_to_string(&text).unwrap(), stdout);
}

#[test]
fn a_single_html_file_is_one_page() {
    let dir = site();
    let file = dir.path().join("kontakt/index.html");
    let (stdout, _) = run(
        &[
            "scan",
            file.to_str().unwrap(),
            "--country",
            "DE",
            "--format",
            "json",
        ],
        1,
    );
    let r: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(r["crawl"]["pages"].as_array().map(Vec::len), Some(1));
    assert_eq!(r["target"]["source"], "file");
    assert_eq!(r["channels"].as_array().map(Vec::len), Some(2));
}

/// Adding a chat vendor is a TOML change only: a rules directory with one new vendor file makes
/// the binary recognise a widget it did not know.
#[test]
fn a_new_vendor_needs_only_a_toml_file() {
    let dir = temp_site(&[
        (
            "index.html",
            "<html lang=de><title>Muster</title><a href=/kontakt/>Kontakt</a>\
             <script src='https://cdn.plauderbox.example/widget/v2/loader.js' data-id='42'></script>\
             <p>Live-Chat mit unseren Mitarbeitern</p></html>",
        ),
        (
            "kontakt/index.html",
            "<a href='mailto:service@weber-haushalt.de'>E-Mail</a>",
        ),
    ]);
    let target = dir.path().to_str().unwrap();
    let scan = |extra: &[&str]| {
        let mut args = vec!["scan", target, "--format", "json"];
        args.extend_from_slice(extra);
        let (stdout, _) = run(&args, 1);
        let r: serde_json::Value = serde_json::from_str(&stdout).unwrap();
        r["channels"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["kind"] == "chat")
            .cloned()
            .collect::<Vec<_>>()
    };
    assert!(scan(&[]).is_empty(), "an unknown widget is not a channel");
    let rules = temp_site(&[(
        "vendors/plauderbox.toml",
        r#"[[vendor]]
id = "plauderbox"
name = "Plauderbox"
kind = "chat"
mode = "unknown"
category = "live_chat"
confidence = 80
source = "https://plauderbox.example/docs/embed"
script_src = ['//cdn\.plauderbox\.example/widget/']
"#,
    )]);
    let chats = scan(&["--rules", rules.path().to_str().unwrap()]);
    assert_eq!(chats.len(), 1, "{chats:?}");
    assert_eq!(chats[0]["vendor"], "plauderbox");
    assert_eq!(
        chats[0]["mode"], "human",
        "the page promises staff in the chat"
    );
    assert_eq!(chats[0]["clicks"], 0);
}

#[test]
fn a_broken_vendor_file_names_file_line_and_reason() {
    let dir = site();
    let rules = temp_site(&[(
        "vendors/kaputt.toml",
        "[[vendor]]\nid = \"kaputt\"\nname = \"Kaputt\"\nkind = \"chat\"\nmode = \"human\"\ncategory = \"live_chat\"\nconfidence = 50\nsource = \"https://kaputt.example/\"\nscript_src = ['(unclosed']\n",
    )]);
    let (_, stderr) = run(
        &[
            "scan",
            dir.path().to_str().unwrap(),
            "--rules",
            rules.path().to_str().unwrap(),
        ],
        2,
    );
    assert!(
        stderr.contains("vendors/kaputt.toml:9:") && stderr.contains("does not compile"),
        "{stderr}"
    );
}

#[test]
fn rules_list_explain_and_validate() {
    let (list, _) = run(&["rules", "list", "--jurisdiction", "de"], 0);
    assert!(
        list.contains("de.ddg.5.email") && list.contains("§ 5"),
        "{list}"
    );
    assert!(!list.contains("\nUK"), "only German rules: {list}");
    let (json, _) = run(&["rules", "list", "--format", "json"], 0);
    let rules: serde_json::Value = serde_json::from_str(&json).unwrap();
    let all = rules.as_array().unwrap();
    for j in ["eu", "de", "at", "ch", "uk", "es", "fr"] {
        assert!(all.iter().any(|r| r["jurisdiction"] == j), "no {j} rules");
    }
    assert!(
        all.iter()
            .all(|r| r["law"].is_string() && r["source"].is_string())
    );

    let (explain, _) = run(&["rules", "explain", "de.ddg.5.email"], 0);
    for needle in [
        "DDG",
        "Source:",
        "What is checked",
        "Limits",
        "not legal advice",
    ] {
        assert!(explain.contains(needle), "{needle} missing in:\n{explain}");
    }
    one_line_error(
        &["rules", "explain", "de.nope"],
        &["de.nope", "no such rule"],
    );

    let good = temp_site(&[(
        "compliance/extra.toml",
        r#"[[rule]]
id = "de.test.fax"
jurisdiction = "de"
title = "A fax number is given"
fail_title = "No fax number"
law = "Test § 1"
severity = "info"
source = "https://example.org/law"
what = "A fax number anywhere."
why = "Because the test says so."
limits = "Nothing."
check = "channel_present"
[rule.params]
all_of = ["fax"]
"#,
    )]);
    let (ok, _) = run(&["rules", "validate", good.path().to_str().unwrap()], 0);
    assert!(ok.contains("valid"), "{ok}");
    let (list, _) = run(
        &[
            "rules",
            "list",
            "--rules",
            good.path().to_str().unwrap(),
            "--jurisdiction",
            "de",
        ],
        0,
    );
    assert!(
        list.contains("de.test.fax"),
        "a new rule is a TOML file: {list}"
    );
    let site = site();
    let (report, _) = run(
        &[
            "scan",
            site.path().to_str().unwrap(),
            "--format",
            "json",
            "--jurisdiction",
            "de",
            "--rules",
            good.path().to_str().unwrap(),
        ],
        1,
    );
    let r: serde_json::Value = serde_json::from_str(&report).unwrap();
    let fax = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "de.test.fax")
        .expect("the new rule runs in a scan");
    assert_eq!(
        fax["status"], "warn",
        "no fax on the site, severity info: {fax}"
    );
    assert_eq!(fax["law"], "Test § 1");

    let bad = temp_site(&[(
        "compliance/bad.toml",
        "[[rule]]\nid = \"de.bad\"\njurisdiction = \"de\"\ntitle = \"t\"\nfail_title = \"f\"\nlaw = \"l\"\nseverity = \"error\"\nsource = \"https://x.org\"\nwhat = \"w\"\nwhy = \"y\"\nlimits = \"l\"\ncheck = \"channel_present\"\n[rule.params]\nall_of = [\"pigeon\"]\n",
    )]);
    let (_, stderr) = run(&["rules", "validate", bad.path().to_str().unwrap()], 2);
    assert!(
        stderr.contains("compliance/bad.toml:") && stderr.contains("pigeon"),
        "{stderr}"
    );
}

#[test]
fn a_scan_reports_legal_findings_for_the_site_country() {
    let dir = site();
    let (stdout, _) = run(
        &["scan", dir.path().to_str().unwrap(), "--format", "json"],
        1,
    );
    let r: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let findings = r["findings"].as_array().unwrap();
    assert!(!findings.is_empty(), "a German page gets eu and de rules");
    assert!(findings.iter().any(|f| f["jurisdiction"] == "de"));
    assert!(
        findings
            .iter()
            .all(|f| f["law"].as_str().is_some_and(|l| !l.is_empty()))
    );
    let (none, _) = run(
        &[
            "scan",
            dir.path().to_str().unwrap(),
            "--format",
            "json",
            "--jurisdiction",
            "none",
        ],
        0,
    );
    let r: serde_json::Value = serde_json::from_str(&none).unwrap();
    assert!(r["findings"].as_array().unwrap().is_empty());
    one_line_error(
        &[
            "scan",
            dir.path().to_str().unwrap(),
            "--jurisdiction",
            "mars",
        ],
        &["--jurisdiction mars", "unknown jurisdiction"],
    );
}

/// The README's rule table lists every built-in rule, so the documented method cannot drift from
/// the rules that run.
#[test]
fn the_readme_lists_every_rule() {
    let readme = include_str!("../README.md");
    let (json, _) = run(&["rules", "list", "--format", "json"], 0);
    let rules: serde_json::Value = serde_json::from_str(&json).unwrap();
    for rule in rules.as_array().unwrap() {
        let id = rule["id"].as_str().unwrap();
        assert!(readme.contains(&format!("`{id}`")), "README lacks {id}");
    }
}

/// The crawl's budget in the report: the request by which every channel was seen, the trap
/// families held back, and `--stop-when-found` saying why it ended early.
#[test]
fn the_report_says_what_the_crawl_spent_and_why_it_stopped() {
    let site = support::fixtures().join("kulturhaus-am-fluss");
    let site = site.to_str().unwrap();
    let output = reachaudit().args(["scan", site]).output().unwrap();
    assert!(matches!(output.status.code(), Some(0 | 1)), "{output:?}");
    let text = String::from_utf8(output.stdout).unwrap();
    let line = text
        .lines()
        .find(|l| l.contains("channels found after"))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(
        line.trim().starts_with("all 9 channels found after"),
        "{line}"
    );

    let full = reachaudit()
        .args(["scan", site, "--format", "json"])
        .output()
        .unwrap();
    let full: serde_json::Value = serde_json::from_slice(&full.stdout).unwrap();
    assert!(full["crawl"]["stopped_early"].is_null());
    let found: Vec<u64> = full["channels"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["found_at_request"].as_u64().unwrap())
        .collect();
    assert!(
        found
            .iter()
            .all(|r| *r >= 1 && *r <= full["crawl"]["requests"].as_u64().unwrap())
    );

    let early = reachaudit()
        .args(["scan", site, "--stop-when-found", "--format", "json"])
        .output()
        .unwrap();
    let early: serde_json::Value = serde_json::from_slice(&early.stdout).unwrap();
    let why = early["crawl"]["stopped_early"].as_str().unwrap();
    assert!(
        why.starts_with("--stop-when-found: contact and imprint pages fetched"),
        "{why}"
    );
    let pages = |r: &serde_json::Value| r["crawl"]["pages"].as_array().unwrap().len();
    assert!(
        pages(&early) < pages(&full),
        "{} vs {}",
        pages(&early),
        pages(&full)
    );
    let values = |r: &serde_json::Value| -> Vec<String> {
        r["channels"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["value"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(
        values(&early),
        values(&full),
        "the early stop lost nothing here"
    );
    assert!(
        early["crawl"]["skipped"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["reason"] == "stopped_early")
    );
}

/// A scan shows a progress line (pages, queue, current URL) on a terminal, and nothing when its
/// output goes to a pipe or a CI log. The terminal is a real pseudo-terminal from util-linux's
/// `script`.
#[test]
fn progress_shows_on_a_terminal_only() {
    let site = support::fixtures().join("kulturhaus-am-fluss");
    let site = site.to_str().unwrap();
    let piped = reachaudit()
        .args(["scan", site, "--format", "json"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&piped.stderr);
    assert!(!stderr.contains("pages of at most"), "{stderr}");

    let command = format!(
        "REACHAUDIT_RENDER=never {} scan {site} --format json > /dev/null",
        env!("CARGO_BIN_EXE_reachaudit")
    );
    let on_terminal = std::process::Command::new("script")
        .args(["-qec", &command, "/dev/null"])
        .env("TERM", "xterm")
        .output()
        .expect("util-linux script");
    let seen = String::from_utf8_lossy(&on_terminal.stdout);
    assert!(
        seen.contains("pages of at most 50") && seen.contains("queued"),
        "no progress line on the terminal: {seen:?}"
    );
}

/// A site no rule pack applies to says so and how to choose one, instead of an empty section and
/// "0 of 0"; choosing a pack checks it.
#[test]
fn a_site_without_a_rule_pack_says_how_to_choose_one() {
    let site = support::fixtures().join("maple-street-dental");
    let site = site.to_str().unwrap();
    let text = reachaudit()
        .args(["scan", site, "--country", "US"])
        .output()
        .unwrap();
    let text = String::from_utf8(text.stdout).unwrap();
    assert!(
        text.contains("Legal checks\n  none: no rule pack for US; choose one with --jurisdiction"),
        "{text}"
    );
    let json = reachaudit()
        .args(["scan", site, "--country", "US", "--format", "json"])
        .output()
        .unwrap();
    let r: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(r["jurisdictions"], serde_json::json!([]));
    assert!(
        r["legal_note"]
            .as_str()
            .unwrap()
            .starts_with("no rule pack for US")
    );
    let chosen = reachaudit()
        .args(["scan", site, "--jurisdiction", "uk", "--format", "json"])
        .output()
        .unwrap();
    let r: serde_json::Value = serde_json::from_slice(&chosen.stdout).unwrap();
    assert_eq!(r["jurisdictions"], serde_json::json!(["uk"]));
    assert!(r["legal_note"].is_null());
    assert!(!r["findings"].as_array().unwrap().is_empty());
}

/// Text meant for people names signals by their titles, not by ids.
#[test]
fn deflection_is_named_in_words() {
    let site = support::fixtures().join("mobilfunk-blitz");
    let output = reachaudit()
        .args(["scan", site.to_str().unwrap()])
        .env("COLUMNS", "200")
        .output()
        .unwrap();
    let text = String::from_utf8(output.stdout).unwrap();
    assert!(
        text.contains("sends customers to the FAQ before contact"),
        "{text}"
    );
    assert!(
        text.contains("deflection wording: sends customers to the FAQ before contact; makes customers pick a topic"),
        "{text}"
    );
    assert!(
        !text.contains("faq_first") && !text.contains("topic_picker"),
        "{text}"
    );
    // Pages of the site by their path.
    assert!(text.contains("  /kontakt/"), "{text}");
}
