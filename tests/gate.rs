//! CI gating end to end, through the binary: exit codes 0/1/2/3, each assertion type, the
//! baseline diff, `--report-only`, `reachaudit.toml` and `init`, every output format from one run
//! (SARIF against the official 2.1.0 schema, JUnit against the CI servers' XSD shape), the report's
//! own JSON Schema, and audits of a static build directory with `--base-url`.

mod support;

use std::path::Path;

use assert_cmd::Command;
use serde_json::Value;
use support::{copy_fixture, edit_html, fixtures, temp_site};

fn fixture(name: &str) -> String {
    fixtures().join(name).to_string_lossy().into_owned()
}

/// Runs in `dir` (the working directory matters for `reachaudit.toml`), checks the exit code and
/// returns (stdout, stderr).
fn run_in(dir: &Path, args: &[&str], code: i32) -> (String, String) {
    let output = Command::cargo_bin("reachaudit")
        .unwrap()
        .current_dir(dir)
        .args(args)
        .output()
        .unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert_eq!(
        output.status.code(),
        Some(code),
        "args {args:?}\nstdout:\n{stdout}\nstderr:\n{stderr}"
    );
    (stdout, stderr)
}

/// A scan in an empty working directory (no stray reachaudit.toml), as JSON.
fn scan_json(args: &[&str], code: i32) -> (Value, String) {
    let cwd = tempfile::tempdir().unwrap();
    let mut all = vec!["scan", "--format", "json"];
    all.extend_from_slice(args);
    let (stdout, stderr) = run_in(cwd.path(), &all, code);
    (serde_json::from_str(&stdout).unwrap(), stderr)
}

/// A configuration file in a fresh directory.
fn config(text: &str) -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ci.toml");
    std::fs::write(&path, text).unwrap();
    let shown = path.to_string_lossy().into_owned();
    (dir, shown)
}

fn assertion<'a>(report: &'a Value, id: &str) -> &'a Value {
    report["gate"]["assertions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["id"] == id)
        .unwrap_or_else(|| panic!("no assertion {id}: {}", report["gate"]))
}

#[test]
fn score_thresholds_decide_between_exit_0_and_1() {
    let moebel = fixture("moebel-wien");
    let (r, _) = scan_json(&[&moebel, "--fail-under", "90"], 0);
    assert_eq!(r["gate"]["passed"], true);
    let score = assertion(&r, "score");
    assert_eq!(score["passed"], true);
    assert_eq!(score["expected"], "score ≥ 90");

    // acme-shop scores below 100 (premium hotline); rules off isolates the threshold.
    let acme = fixture("acme-shop");
    let (_dir, path) = config("[assert]\nmin_score = 99\n[assert.rules]\n\"*\" = \"off\"\n");
    let (r, stderr) = scan_json(&[&acme, "--config", &path], 1);
    let total = r["score"]["total"].as_u64().unwrap();
    assert!(total < 99, "{total}");
    assert_eq!(assertion(&r, "score")["passed"], false);
    assert!(
        stderr.contains(&format!(
            "error score: expected score ≥ 99, got score {total}"
        )),
        "the summary names the assertion and why: {stderr}"
    );
    // --fail-under beats the file.
    scan_json(&[&acme, "--config", &path, "--fail-under", "50"], 0);

    let (_dir, path) =
        config("[assert.categories]\ncost_and_access = 90\n[assert.rules]\n\"*\" = \"off\"\n");
    let (r, _) = scan_json(&[&acme, "--config", &path], 1);
    let category = assertion(&r, "category.cost_and_access");
    assert_eq!(category["passed"], false, "{category}");
    let (_dir, path) = config("[assert.categories]\nresponsiveness = 10\n");
    let (r, _) = scan_json(&[&moebel, "--config", &path], 1);
    assert!(
        assertion(&r, "category.responsiveness")["message"]
            .as_str()
            .unwrap()
            .contains("no score to compare"),
        "an unmeasured category never passes a threshold"
    );
}

#[test]
fn rule_levels_follow_severity_unless_configured() {
    let acme = fixture("acme-shop");
    let (r, _) = scan_json(&[&acme], 1);
    let premium = assertion(&r, "rule.de.bgb.312a.5.basic_rate");
    assert_eq!(premium["level"], "error");
    assert_eq!(premium["passed"], false);
    assert_eq!(r["gate"]["passed"], false);

    let (_dir, path) = config("[assert.rules]\n\"de.*\" = \"warn\"\n\"eu.*\" = \"warn\"\n");
    let (r, _) = scan_json(&[&acme, "--config", &path], 0);
    assert_eq!(
        assertion(&r, "rule.de.bgb.312a.5.basic_rate")["level"],
        "warn"
    );
    assert_eq!(r["gate"]["passed"], true);

    // The longest pattern wins: one rule back to error inside a silenced prefix.
    let (_dir, path) = config(
        "[assert.rules]\n\"de.*\" = \"off\"\n\"eu.*\" = \"off\"\n\"de.bgb.312a.*\" = \"error\"\n",
    );
    let (r, _) = scan_json(&[&acme, "--config", &path], 1);
    let ids: Vec<&str> = r["gate"]["assertions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["rule.de.bgb.312a.5.basic_rate"]);

    // A warning-severity rule raised to error fails the build.
    let kaputt = fixture("kaputt-handel");
    scan_json(&[&kaputt], 0);
    let (_dir, path) = config("[assert.rules]\n\"eu.ecd.5.imprint_every_page\" = \"error\"\n");
    scan_json(&[&kaputt, "--config", &path], 1);
}

#[test]
fn required_channels_and_allowed_phone_types() {
    let moebel = fixture("moebel-wien");
    let (_dir, path) = config(
        r#"[[assert.require]]
kind = "phone"
max_clicks = 0

[[assert.require]]
kind = "appointment"
max_clicks = 0
level = "warn"

[[assert.require]]
kind = "email"
modes = ["bot"]
level = "warn"
"#,
    );
    let (r, _) = scan_json(&[&moebel, "--config", &path], 0);
    let phone = &r["gate"]["assertions"][0];
    assert_eq!(phone["id"], "channel.phone");
    assert_eq!(phone["passed"], true, "{phone}");
    let appointment = &r["gate"]["assertions"][1];
    assert_eq!(appointment["passed"], false);
    assert_eq!(appointment["actual"], "nearest at 1 clicks");
    let email = &r["gate"]["assertions"][2];
    assert_eq!(email["passed"], false);
    assert!(
        email["actual"]
            .as_str()
            .unwrap()
            .contains("none in the required mode")
    );

    let (_dir, path) = config("[[assert.require]]\nkind = \"chat\"\n");
    let (r, stderr) = scan_json(&[&moebel, "--config", &path], 1);
    assert_eq!(assertion(&r, "channel.chat")["actual"], "none found");
    assert!(stderr.contains("error channel.chat: expected a chat channel, got none found"));

    let acme = fixture("acme-shop");
    let (_dir, path) = config(
        "[assert]\nallowed_phone_types = [\"fixed_line\", \"mobile\", \"toll_free\", \"fixed_line_or_mobile\"]\n[assert.rules]\n\"*\" = \"off\"\n",
    );
    let (r, _) = scan_json(&[&acme, "--config", &path], 1);
    let types = assertion(&r, "phone_types");
    assert!(
        types["actual"].as_str().unwrap().contains("premium_rate"),
        "{types}"
    );
    scan_json(&[&moebel, "--config", &path], 0);
}

#[test]
fn a_run_that_sees_no_channel_is_exit_3_even_with_report_only() {
    let site = temp_site(&[(
        "index.html",
        "<html lang=de><title>Bald da</title><div id=app></div><script src=/app.js></script></html>",
    )]);
    let target = site.path().to_str().unwrap();
    let (_, stderr) = scan_json(&[target], 3);
    assert!(
        stderr.contains("no contact channel found on 1 pages"),
        "{stderr}"
    );
    scan_json(&[target, "--report-only"], 3);
}

#[test]
fn report_only_prints_the_failures_and_exits_0() {
    let cwd = tempfile::tempdir().unwrap();
    let (stdout, _) = run_in(
        cwd.path(),
        &["scan", &fixture("acme-shop"), "--report-only"],
        0,
    );
    assert!(stdout.contains("gate    FAILED"), "{stdout}");
    assert!(stdout.contains("CI gate: FAILED"));
    assert!(stdout.contains("[error] rule.de.bgb.312a.5.basic_rate: fail"));
}

#[test]
fn configuration_errors_are_one_line_and_exit_2() {
    let cwd = tempfile::tempdir().unwrap();
    let moebel = fixture("moebel-wien");
    let one_line = |args: &[&str], needles: &[&str]| {
        let (_, stderr) = run_in(cwd.path(), args, 2);
        assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
        for needle in needles {
            assert!(stderr.contains(needle), "{needle:?} not in {stderr}");
        }
    };
    let (_dir, path) = config("targets = []\n\n[assert]\nmin_scor = 3\n");
    one_line(
        &["scan", &moebel, "--config", &path],
        &[&format!("{path}:4:1:"), "unknown field `min_scor`"],
    );
    let (_dir, path) = config("[assert.rules]\n\"de.ddg.5.emial\" = \"error\"\n");
    one_line(
        &["scan", &moebel, "--config", &path],
        &["de.ddg.5.emial", "matches no rule"],
    );
    let (_dir, path) = config("[[assert.require]]\nkind = \"pigeon\"\n");
    one_line(&["scan", &moebel, "--config", &path], &[":2:8:", "pigeon"]);
    one_line(
        &["scan", &moebel, "--config", "nope.toml"],
        &["--config nope.toml", "reachaudit init"],
    );
    one_line(&["scan"], &["no TARGET", "reachaudit.toml"]);
    one_line(
        &["scan", &moebel, "--fail-under", "101"],
        &["--fail-under 101"],
    );
    std::fs::write(cwd.path().join("old.json"), "{\"schema_version\": \"0\"}").unwrap();
    one_line(
        &["scan", &moebel, "--baseline", "old.json"],
        &["--baseline old.json", "schema_version 1"],
    );
}

#[test]
fn the_config_in_the_working_directory_is_found_and_resolved_against_itself() {
    let dir = tempfile::tempdir().unwrap();
    copy_fixture("acme-shop", &dir.path().join("site"));
    std::fs::write(
        dir.path().join("reachaudit.toml"),
        "targets = [\"site\"]\nformat = \"json\"\n[crawl]\nmax_pages = 5\n[output]\nmarkdown = \"out/summary.md\"\n[assert]\nmin_score = 50\n[assert.rules]\n\"*\" = \"off\"\n",
    )
    .unwrap();
    std::fs::create_dir(dir.path().join("out")).unwrap();
    let (stdout, _) = run_in(dir.path(), &["scan"], 0);
    let r: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(r["crawl"]["pages"].as_array().unwrap().len(), 5);
    assert!(
        std::fs::read_to_string(dir.path().join("out/summary.md"))
            .unwrap()
            .contains("✅ passed")
    );
    // Flags win; --no-config ignores the file.
    run_in(dir.path(), &["scan", "--fail-under", "99"], 1);
    run_in(dir.path(), &["scan", "--no-config"], 2);
}

#[test]
fn a_baseline_fails_only_on_what_got_worse() {
    let dir = tempfile::tempdir().unwrap();
    let site = dir.path().join("site");
    copy_fixture("moebel-wien", &site);
    let target = site.to_str().unwrap();
    let baseline = dir.path().join("baseline.json");
    let baseline = baseline.to_str().unwrap();
    run_in(
        dir.path(),
        &["scan", target, "--output", &format!("json={baseline}")],
        0,
    );

    // The free hotline disappears from every page.
    edit_html(&site, &|html| {
        html.replace("<a href=\"tel:+43800201530\">0800 201 530</a>", "")
            .replace("<a href=\"tel:0800201530\">0800 201 530</a>", "")
    });
    let (r, stderr) = scan_json(&[target, "--baseline", baseline], 1);
    let worse = r["gate"]["baseline"]["worse"].as_array().unwrap();
    let lost = worse
        .iter()
        .find(|c| c["kind"] == "channel_lost")
        .unwrap_or_else(|| panic!("{worse:?}"));
    assert_eq!(lost["subject"], "phone +43800201530");
    assert_eq!(lost["level"], "error");
    assert!(
        stderr.contains("worse than baseline: phone +43800201530"),
        "{stderr}"
    );

    // The hotline back, plus a new address: better, and nothing worse.
    std::fs::remove_dir_all(&site).unwrap();
    copy_fixture("moebel-wien", &site);
    let index = site.join("index.html");
    let html = std::fs::read_to_string(&index).unwrap();
    std::fs::write(
        &index,
        html.replacen(
            "</body>",
            "<p>Beschwerden: <a href=\"mailto:ombudsstelle@moebel-wien.at\">Ombudsstelle</a></p></body>",
            1,
        ),
    )
    .unwrap();
    let (r, _) = scan_json(&[target, "--baseline", baseline], 0);
    let diff = &r["gate"]["baseline"];
    assert!(diff["worse"].as_array().unwrap().is_empty(), "{diff}");
    assert!(
        diff["better"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["kind"] == "channel_gained"
                && c["subject"] == "email ombudsstelle@moebel-wien.at"),
        "{diff}"
    );

    // A site that already fails rules passes against its own baseline: the failures are known.
    let acme = fixture("acme-shop");
    let acme_baseline = dir.path().join("acme.json");
    let acme_baseline = acme_baseline.to_str().unwrap();
    run_in(
        dir.path(),
        &["scan", &acme, "--output", &format!("json={acme_baseline}")],
        1,
    );
    let (r, _) = scan_json(&[&acme, "--baseline", acme_baseline], 0);
    assert_eq!(
        assertion(&r, "rule.de.bgb.312a.5.basic_rate")["known"],
        true
    );
    // A baseline of another site is refused rather than compared.
    let cwd = tempfile::tempdir().unwrap();
    let (_, stderr) = run_in(
        cwd.path(),
        &[
            "scan",
            &acme,
            &fixture("moebel-wien"),
            "--baseline",
            acme_baseline,
        ],
        2,
    );
    assert!(stderr.contains("has no report for"), "{stderr}");
}
