//! CI gating end to end, through the binary: exit codes 0/1/2/3, each assertion type, the
//! baseline diff, `--report-only`, `reachaudit.toml` and `init`, every output format from one run
//! (SARIF against the official 2.1.0 schema, JUnit against the CI servers' XSD shape), the report's
//! own JSON Schema, and audits of a static build directory with `--base-url`.

mod support;

use std::path::Path;

use std::process::Command as Process;

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
        .env("REACHAUDIT_RENDER", "never")
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
        config("[assert.categories]\ncost_and_hours = 90\n[assert.rules]\n\"*\" = \"off\"\n");
    let (r, _) = scan_json(&[&acme, "--config", &path], 1);
    let category = assertion(&r, "category.cost_and_hours");
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
    let (r, stderr) = scan_json(&[target], 3);
    assert!(
        stderr.contains("not evaluated: no contact channel found on the 1 page(s) fetched"),
        "{stderr}"
    );
    assert_eq!(
        r["evaluated"], false,
        "the report says so too, not only the exit code"
    );
    assert!(r["score"]["total"].is_null());
    let cwd = tempfile::tempdir().unwrap();
    let (md, _) = run_in(
        cwd.path(),
        &["scan", target, "--report-only", "--format", "markdown"],
        3,
    );
    assert!(md.contains("⚠️ not evaluated"), "{md}");
    let (xml, _) = run_in(cwd.path(), &["scan", target, "--format", "junit"], 3);
    assert!(xml.contains("errors=\"1\""), "{xml}");
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
    // A target of the file that does not exist is reported at its line in the file.
    let (_dir, path) = config("format = \"json\"\ntargets = [\n  \"public\",\n  \"./gone\",\n]\n");
    let public = std::path::Path::new(&path).parent().unwrap().join("public");
    std::fs::create_dir(&public).unwrap();
    std::fs::write(public.join("index.html"), "<p>Tel. 030 8965172-0</p>").unwrap();
    one_line(
        &["scan", "--config", &path],
        &[&format!("{path}:4: targets:"), "gone", "fix the path there"],
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

/// The report's JSON Schema, as `reachaudit schema` prints it.
fn report_schema() -> jsonschema::Validator {
    let cwd = tempfile::tempdir().unwrap();
    let (stdout, _) = run_in(cwd.path(), &["schema"], 0);
    let schema: Value = serde_json::from_str(&stdout).unwrap();
    jsonschema::validator_for(&schema).expect("the generated schema compiles")
}

fn assert_valid(validator: &jsonschema::Validator, instance: &Value, what: &str) {
    let errors: Vec<String> = validator
        .iter_errors(instance)
        .take(5)
        .map(|e| e.to_string())
        .collect();
    assert!(errors.is_empty(), "{what}: {errors:#?}");
}

#[test]
fn every_fixture_report_is_valid_against_the_report_schema() {
    let validator = report_schema();
    let mut args = vec!["--report-only".to_owned()];
    let mut names: Vec<String> = std::fs::read_dir(fixtures())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert!(names.len() >= 12, "{names:?}");
    args.extend(names);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let (reports, _) = scan_json(&args, 0);
    let reports = reports.as_array().unwrap();
    assert_eq!(reports.len(), args.len() - 1);
    for r in reports {
        assert!(
            r["gate"].is_object(),
            "every evaluated report carries its gate"
        );
        assert_valid(&validator, r, r["target"]["input"].as_str().unwrap());
    }
    // The schema is strict enough to catch a broken report.
    let mut broken = reports[0].clone();
    broken["channels"][0]["kind"] = Value::from("pigeon");
    assert!(!validator.is_valid(&broken));
}

#[test]
fn every_format_from_one_run_each_valid_against_its_schema() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    copy_fixture("moebel-wien", &d.join("moebel"));
    let acme = fixture("acme-shop");
    let moebel = d.join("moebel").to_string_lossy().into_owned();
    run_in(
        d,
        &["scan", &acme, &moebel, "--output", "json=baseline.json"],
        1,
    );
    edit_html(&d.join("moebel"), &|html| {
        html.replace("<a href=\"tel:+43800201530\">0800 201 530</a>", "")
            .replace("<a href=\"tel:0800201530\">0800 201 530</a>", "")
    });
    // A third target that cannot be reached: its report says so in every format.
    let unreachable = "http://127.0.0.1:9/";
    let mut args = vec!["scan", &acme, &moebel, unreachable, "--allow-private"];
    args.extend_from_slice(&["--baseline", "baseline.json", "--format", "markdown"]);
    for output in [
        "sarif=r.sarif",
        "junit=r.xml",
        "json=r.json",
        "text=r.txt",
        "markdown=r.md",
    ] {
        args.extend_from_slice(&["--output", output]);
    }
    let (stdout, stderr) = run_in(d, &args, 3);
    assert!(stderr.contains("127.0.0.1:9/: not evaluated"), "{stderr}");
    let read = |name: &str| std::fs::read_to_string(d.join(name)).unwrap();
    assert_eq!(read("r.md"), stdout, "stdout and --output render alike");

    let reports: Value = serde_json::from_str(&read("r.json")).unwrap();
    let validator = report_schema();
    for r in reports.as_array().unwrap() {
        assert_valid(&validator, r, "report with gate and baseline");
    }
    let moebel_gate = &reports[1]["gate"];
    assert_eq!(moebel_gate["passed"], false, "{moebel_gate}");

    // SARIF against the official OASIS schema, formats included. The published file's `language`
    // patterns (run and artifact) have a stray `]` (`...{2}]?$`), which a strict regex check refuses before any SARIF
    // is looked at; it is read as the intended `xx` or `xx-XX` (reachaudit writes no language).
    let published = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/schemas/sarif-schema-2.1.0.json"),
    )
    .unwrap();
    let erratum = r#""^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$""#;
    assert!(published.contains(erratum), "the erratum is where it was");
    let schema: Value =
        serde_json::from_str(&published.replace(erratum, r#""^[a-zA-Z]{2}(-[a-zA-Z]{2})?$""#))
            .unwrap();
    let sarif_schema = jsonschema::options()
        .should_validate_formats(true)
        .build(&schema)
        .expect("the SARIF schema compiles");
    let sarif: Value = serde_json::from_str(&read("r.sarif")).unwrap();
    assert_valid(&sarif_schema, &sarif, "SARIF");
    let run = &sarif["runs"][0];
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    let premium = rules
        .iter()
        .find(|r| r["id"] == "de.bgb.312a.5.basic_rate")
        .expect("a failed rule is described");
    assert!(
        premium["help"]["text"]
            .as_str()
            .unwrap()
            .contains("§ 312a Abs. 5 BGB")
    );
    let results = run["results"].as_array().unwrap();
    let uri = |r: &Value| {
        r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    };
    let premium_result = results
        .iter()
        .find(|r| r["ruleId"] == "de.bgb.312a.5.basic_rate")
        .unwrap();
    assert_eq!(
        premium_result["level"], "warning",
        "failing in the baseline too: known, so not an error"
    );
    // Located at the source file of the page with the number, which code scanning can show.
    let file = uri(premium_result);
    let path = file
        .strip_prefix("file://")
        .expect("an absolute target is a file: URI");
    assert!(path.ends_with("/acme-shop/hilfe/index.html"), "{file}");
    assert!(Path::new(path).is_file(), "{file} is the real source file");
    assert_eq!(
        premium_result["locations"][0]["logicalLocations"][0]["fullyQualifiedName"],
        "https://site.invalid/hilfe/"
    );
    let mut fingerprints: Vec<&str> = results
        .iter()
        .map(|r| r["partialFingerprints"]["reachaudit/v1"].as_str().unwrap())
        .collect();
    fingerprints.sort_unstable();
    let all = fingerprints.len();
    fingerprints.dedup();
    assert_eq!(fingerprints.len(), all, "one fingerprint per problem");
    let lost = results
        .iter()
        .find(|r| r["ruleId"] == "reachaudit.baseline.channel_lost")
        .expect("the regression is a result");
    assert!(
        lost["message"]["text"]
            .as_str()
            .unwrap()
            .contains("+43800201530")
    );
    assert!(
        results
            .iter()
            .any(|r| r["ruleId"] == "reachaudit.not_evaluated")
    );
    for r in results {
        let index = r["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(
            rules[index]["id"], r["ruleId"],
            "ruleIndex points at its rule"
        );
    }

    // JUnit against the XSD shape CI servers read, with xmllint from libxml2.
    let xsd = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/schemas/junit.xsd");
    let xmllint = Process::new("xmllint")
        .args(["--noout", "--schema"])
        .arg(&xsd)
        .arg(d.join("r.xml"))
        .output()
        .unwrap_or_else(|e| {
            panic!("xmllint is needed to validate JUnit XML ({e}); install it with `apt-get install libxml2-utils` (.ci/run does)")
        });
    assert!(
        xmllint.status.success(),
        "JUnit XML invalid: {}",
        String::from_utf8_lossy(&xmllint.stderr)
    );
    let junit = read("r.xml");
    let suites = junit.matches("<testsuite ").count();
    assert_eq!(suites, 3, "one suite per site");
    // A <failure> is exactly what fails the build: error-level assertions and regressions.
    let expected_failures: usize = reports
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["gate"].is_object())
        .map(|r| {
            let gate = &r["gate"];
            let failed = gate["assertions"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|a| a["passed"] == false && a["known"] == false && a["level"] == "error")
                .count();
            let worse = gate["baseline"]["worse"]
                .as_array()
                .map_or(0, |w| w.iter().filter(|c| c["level"] == "error").count());
            failed + worse
        })
        .sum();
    assert!(expected_failures > 0);
    assert_eq!(
        junit.matches("<failure ").count(),
        expected_failures,
        "{junit}"
    );
    assert!(junit.contains(&format!("failures=\"{expected_failures}\" errors=\"1\"")));
    assert!(junit.contains("<error type=\"not_evaluated\""));
    assert!(junit.contains("name=\"no regression: phone +43800201530\""));

    let md = read("r.md");
    assert!(md.contains("/moebel — ❌ failed"), "{md}");
    assert!(md.contains("⚠️ not evaluated"));
    assert!(md.contains("❌ phone +43800201530"));
    assert!(read("r.txt").contains("CI gate: FAILED"));
}

#[test]
fn a_build_directory_is_audited_as_the_site_it_will_become() {
    let site = temp_site(&[
        (
            "index.html",
            "<html lang=de><title>Muster</title><a href='https://www.weber-haushalt.de/kontakt/'>Kontakt</a></html>",
        ),
        (
            "kontakt/index.html",
            "<p>Hotline: <a href='tel:0800 330 1000'>0800 330 1000</a> <a href='mailto:service@weber-haushalt.de'>E-Mail</a></p>",
        ),
    ]);
    let target = site.path().to_str().unwrap();
    let (r, _) = scan_json(
        &[
            target,
            "--base-url",
            "https://www.weber-haushalt.de/",
            "--report-only",
        ],
        0,
    );
    let pages: Vec<&str> = r["crawl"]["pages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["url"].as_str().unwrap())
        .collect();
    assert_eq!(
        pages,
        [
            "https://www.weber-haushalt.de/",
            "https://www.weber-haushalt.de/kontakt/"
        ]
    );
    let phone = &r["channels"][0];
    assert_eq!(phone["phone"]["e164"], "+498003301000");
    assert_eq!(phone["clicks"], 1);
    assert_eq!(
        phone["evidence"][0]["url"],
        "https://www.weber-haushalt.de/kontakt/"
    );
    // Without the base URL the absolute link leaves the site: nothing seen, never a pass.
    scan_json(&[target, "--report-only"], 3);
}

#[test]
fn init_writes_an_example_that_works_and_never_overwrites() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    copy_fixture("versicherung-nordlicht", &d.join("public"));
    let (_, stderr) = run_in(d, &["init"], 0);
    assert!(stderr.contains("wrote reachaudit.toml"));
    let (_, stderr) = run_in(d, &["init"], 2);
    assert!(stderr.contains("already exists") && stderr.contains("--force"));
    run_in(d, &["init", "--force"], 0);
    let (stdout, _) = run_in(d, &["scan"], 0);
    assert!(stdout.contains("gate    passed"), "{stdout}");
    for written in [
        "reachaudit.sarif",
        "reachaudit-junit.xml",
        "reachaudit.md",
        "reachaudit.json",
    ] {
        assert!(d.join(written).is_file(), "{written} not written");
    }
    let r: Value =
        serde_json::from_str(&std::fs::read_to_string(d.join("reachaudit.json")).unwrap()).unwrap();
    assert!(
        r["crawl"]["pages"][0]["url"]
            .as_str()
            .unwrap()
            .starts_with("https://www.example.de/"),
        "the example's base_url is used"
    );
}

/// The `reachaudit` lines of every block marked `<!-- ci-recipe -->` in the README and
/// `docs/ci.md`, as a shell would run them.
fn recipe_commands() -> Vec<(String, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut out = Vec::new();
    for doc in ["README.md", "docs/ci.md"] {
        let text = std::fs::read_to_string(root.join(doc)).unwrap();
        let mut rest = text.as_str();
        while let Some(start) = rest.find("<!-- ci-recipe") {
            let block = &rest[start..];
            let end = block
                .find("<!-- /ci-recipe -->")
                .expect("closed recipe block");
            for line in block[..end].lines() {
                let line = line.trim().trim_start_matches("- ").trim_start();
                let line = line.strip_prefix("run:").unwrap_or(line).trim();
                if line.starts_with("reachaudit ") {
                    out.push((doc.to_owned(), line.to_owned()));
                }
            }
            rest = &block[end..];
        }
    }
    out
}

#[test]
fn the_documented_ci_recipes_work_as_written() {
    let commands = recipe_commands();
    assert!(
        commands
            .iter()
            .filter(|(doc, _)| doc == "README.md")
            .count()
            == 1
            && commands.len() >= 4,
        "{commands:?}"
    );
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    copy_fixture("versicherung-nordlicht", &d.join("public"));
    let bin = assert_cmd::cargo::cargo_bin("reachaudit");
    let path = format!(
        "{}:{}",
        bin.parent().unwrap().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let summary = d.join("step-summary.md");
    let sh = |line: &str| {
        Process::new("sh")
            .arg("-c")
            .arg(line)
            .current_dir(d)
            .env("PATH", &path)
            .env("GITHUB_STEP_SUMMARY", &summary)
            .env("REACHAUDIT_RENDER", "never")
            .output()
            .unwrap()
    };
    // The baseline docs/ci.md tells to commit once.
    let made = sh(
        "reachaudit scan public --base-url https://www.example.de/ --report-only --output json=reachaudit-baseline.json",
    );
    assert!(made.status.success(), "{made:?}");
    for (doc, line) in &commands {
        let _ = std::fs::remove_file(&summary);
        let output = sh(line);
        assert_eq!(
            output.status.code(),
            Some(0),
            "{doc}: `{line}`\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
        for (flag, file) in [
            ("sarif=reachaudit.sarif", "reachaudit.sarif"),
            ("junit=reachaudit-junit.xml", "reachaudit-junit.xml"),
            ("markdown=reachaudit.md", "reachaudit.md"),
        ] {
            if line.contains(flag) {
                assert!(d.join(file).is_file(), "{doc}: {file} not written");
            }
        }
        if line.contains("$GITHUB_STEP_SUMMARY") {
            let md = std::fs::read_to_string(&summary).unwrap();
            assert!(md.contains("✅ passed"), "{doc}: {md}");
        }
    }
}

#[test]
fn rules_turned_off_are_nowhere_in_sarif_and_junit() {
    let (_dir, path) = config("[assert.rules]\n\"*\" = \"off\"\n");
    let cwd = tempfile::tempdir().unwrap();
    let acme = fixture("acme-shop");
    let (sarif, _) = run_in(
        cwd.path(),
        &["scan", &acme, "--config", &path, "--format", "sarif"],
        0,
    );
    let sarif: Value = serde_json::from_str(&sarif).unwrap();
    assert_eq!(
        sarif["runs"][0]["results"].as_array().unwrap().len(),
        0,
        "{sarif}"
    );
    let (junit, _) = run_in(
        cwd.path(),
        &["scan", &acme, "--config", &path, "--format", "junit"],
        0,
    );
    assert!(junit.contains("tests=\"0\" failures=\"0\""), "{junit}");
}

#[test]
fn a_rule_named_but_not_run_fails_instead_of_passing_silently() {
    // moebel-wien is Austrian: de rules do not run there.
    let (_dir, path) = config("[assert.rules]\n\"de.ddg.5.email\" = \"error\"\n");
    let (r, _) = scan_json(&[&fixture("moebel-wien"), "--config", &path], 1);
    let a = assertion(&r, "rule.de.ddg.5.email");
    assert_eq!(a["actual"], "not checked");
    assert!(
        a["message"]
            .as_str()
            .unwrap()
            .contains("jurisdictions at, eu;"),
        "{a}"
    );
}

#[test]
fn a_config_elsewhere_resolves_paths_against_its_own_directory() {
    let dir = tempfile::tempdir().unwrap();
    let sub = dir.path().join("ci");
    copy_fixture("moebel-wien", &sub.join("site"));
    std::fs::write(
        sub.join("gate.toml"),
        "targets = [\"site\"]\n[output]\njson = \"out.json\"\n",
    )
    .unwrap();
    let cwd = tempfile::tempdir().unwrap();
    let config = sub.join("gate.toml");
    run_in(
        cwd.path(),
        &["scan", "--config", config.to_str().unwrap()],
        0,
    );
    let r: Value =
        serde_json::from_str(&std::fs::read_to_string(sub.join("out.json")).unwrap()).unwrap();
    assert!(r["target"]["input"].as_str().unwrap().ends_with("ci/site"));
    assert!(!cwd.path().join("out.json").exists());
}
