//! Probes: reply classification over every fixture e-mail (`fixtures/mail/`, German and English,
//! as real clients, helpdesks and mail servers send them), through the binary.

mod support;

use std::path::{Path, PathBuf};

use support::reachaudit;

use serde_json::Value;

fn mail_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/mail")
}

#[test]
fn every_fixture_mail_gets_its_expected_class() {
    let expected: toml::Table =
        toml::from_str(&std::fs::read_to_string(mail_dir().join("expected.toml")).unwrap())
            .unwrap();
    let mails = expected["mail"].as_array().unwrap();
    let mut files: Vec<String> = std::fs::read_dir(mail_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "eml"))
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    files.sort();
    assert_eq!(files.len(), mails.len(), "every .eml has an expectation");
    let mut classes = std::collections::BTreeSet::new();
    for m in mails {
        classes.insert(m["class"].as_str().unwrap());
    }
    assert_eq!(
        classes.into_iter().collect::<Vec<_>>(),
        [
            "auto_reply",
            "bounce",
            "challenge_response",
            "delayed",
            "human",
            "out_of_office",
            "ticket_ack",
            "unknown"
        ],
        "the fixtures cover every class"
    );

    let mut args = vec!["probe", "classify", "--format", "json"];
    args.extend(files.iter().map(String::as_str));
    let (code, stdout, stderr) = reachaudit(&args);
    assert_eq!(code, 0, "{stderr}");
    let results: Vec<Value> = serde_json::from_str(&stdout).unwrap();
    let mut wrong = Vec::new();
    for r in &results {
        let file = Path::new(r["file"].as_str().unwrap())
            .file_name()
            .unwrap()
            .to_string_lossy()
            .into_owned();
        let e = mails
            .iter()
            .find(|m| m["file"].as_str() == Some(file.as_str()))
            .unwrap_or_else(|| panic!("{file} not in expected.toml"));
        assert!(
            !r["signals"].as_array().unwrap().is_empty(),
            "{file}: every class says why"
        );
        // `automated` left out of expected.toml means undecided: JSON null.
        let automated = e.get("automated").and_then(|v| v.as_bool());
        if r["class"].as_str() != e["class"].as_str() || r["automated"].as_bool() != automated {
            wrong.push(format!(
                "{file}: expected {} (automated {automated:?}), got {} (automated {}) from {}; {}",
                e["class"], r["class"], r["automated"], r["signals"], e["why"]
            ));
        }
        // A notice's failed address and status, where the fixture says what they are.
        for key in ["recipient", "status"] {
            if let Some(want) = e.get(key).and_then(|v| v.as_str())
                && r[key].as_str() != Some(want)
            {
                wrong.push(format!(
                    "{file}: expected {key} {want}, got {} from {}",
                    r[key], r["signals"]
                ));
            }
        }
        if r["automated"].is_null() != automated.is_none() {
            wrong.push(format!(
                "{file}: automated must be null exactly when undecided"
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn one_file_prints_one_object_and_text_names_the_signals() {
    let file = mail_dir().join("ticket-zendesk-de.eml");
    let file = file.to_str().unwrap();
    let (code, stdout, _) = reachaudit(&["probe", "classify", file, "--format", "json"]);
    assert_eq!(code, 0);
    let r: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(r["class"], "ticket_ack");
    assert_eq!(r["automated"], true);
    assert!(
        r["signals"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s == "helpdesk: zendesk")
    );
    let (_, text, _) = reachaudit(&["probe", "classify", file]);
    assert!(text.contains("ticket_ack (automated)"), "{text}");
    assert!(text.contains("    helpdesk: zendesk"), "{text}");
}

#[test]
fn unreadable_files_and_bad_formats_are_one_line_errors() {
    let (code, _, stderr) = reachaudit(&["probe", "classify", "/no/such.eml"]);
    assert_eq!(code, 2);
    assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
    assert!(stderr.contains("/no/such.eml") && stderr.contains("cannot read"));
    let file = mail_dir().join("human-gmail-en.eml");
    let (code, _, stderr) = reachaudit(&[
        "probe",
        "classify",
        file.to_str().unwrap(),
        "--format",
        "xml",
    ]);
    assert_eq!(code, 2);
    assert!(stderr.contains("--format xml"), "{stderr}");
    // Not an e-mail at all: classified as unknown, never a crash.
    let dir = tempfile::tempdir().unwrap();
    let junk = dir.path().join("junk.eml");
    std::fs::write(&junk, [0xff_u8, 0x00, 0x13, 0x37]).unwrap();
    let (code, stdout, _) = reachaudit(&[
        "probe",
        "classify",
        junk.to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert_eq!(code, 0);
    let r: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(r["class"], "unknown");
}

#[test]
fn plan_shows_what_would_be_sent_from_a_scan_or_a_saved_report() {
    let site = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/sites/versicherung-nordlicht");
    let site = site.to_str().unwrap();
    let (code, stdout, stderr) = reachaudit(&[
        "probe",
        "plan",
        site,
        "--sender",
        "Erika Mustermann",
        "--format",
        "json",
    ]);
    assert_eq!(code, 0, "{stderr}");
    let plans: Vec<Value> = serde_json::from_str(&stdout).unwrap();
    let plan = &plans[0];
    assert_eq!(plan["lang"], "de");
    let targets: Vec<&str> = plan["probes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["target"].as_str().unwrap())
        .collect();
    assert_eq!(targets[0], "service@nordlicht-versicherung.de");
    assert_eq!(targets.len(), 2, "capped at two per company by default");
    let body = plan["probes"][0]["body"].as_str().unwrap();
    assert!(body.contains("Erika Mustermann") && body.contains("Erreichbarkeitstest"));
    let skipped = plan["skipped"].as_array().unwrap();
    let reason = |target: &str| {
        skipped
            .iter()
            .find(|s| s["target"] == target)
            .and_then(|s| s["reason"].as_str())
            .unwrap_or_default()
            .to_owned()
    };
    assert!(reason("presse@nordlicht-versicherung.de").contains("not for customers"));
    assert!(reason("Unfallmeldung Kfz").contains("CAPTCHA"));

    // The same plan from a saved report, in text, saying that nothing was sent.
    let dir = tempfile::tempdir().unwrap();
    let saved = dir.path().join("r.json");
    let (code, _, _) = reachaudit(&[
        "scan",
        site,
        "--report-only",
        "--output",
        &format!("json={}", saved.display()),
    ]);
    assert_eq!(code, 0);
    let (code, text, _) = reachaudit(&[
        "probe",
        "plan",
        saved.to_str().unwrap(),
        "--max-per-company",
        "1",
    ]);
    assert_eq!(code, 0);
    assert!(text.contains("1 probe(s) would be sent"), "{text}");
    assert!(text.contains("Subject: Kurze Frage zur Erreichbarkeit [<token>]"));
    assert!(text.contains("Nothing was sent."));
    let (code, _, stderr) = reachaudit(&["probe", "plan", site, "--max-per-company", "0"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("--max-per-company 0"));
}

#[test]
fn status_reports_reply_times_from_a_real_database() {
    use reachaudit::store::{NewProbe, NewReply, ProbeState, Store};
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("probes.db");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let day = 86_400;
    let mut store = Store::open(&db).unwrap();
    let mut add = |token: &str, target: &str, sent: i64, replies: &[(i64, &str)]| {
        let p = store
            .plan(
                &NewProbe {
                    token: token.into(),
                    company: "example.de".into(),
                    channel: "email".into(),
                    target: target.into(),
                    page_url: None,
                    sender: "Erika <auditor@audit.example.org>".into(),
                    reply_to: format!("auditor+{token}@audit.example.org"),
                    message_id: format!("<{token}@probe.reachaudit.invalid>"),
                    subject: format!("Kurze Frage [{token}]"),
                    body: "…".into(),
                },
                sent - 10,
            )
            .unwrap();
        store
            .transition(
                p.id,
                ProbeState::Planned,
                ProbeState::Sending,
                sent - 5,
                None,
            )
            .unwrap();
        store
            .transition(p.id, ProbeState::Sending, ProbeState::Sent, sent, None)
            .unwrap();
        for (after, class) in replies {
            store
                .add_reply(&NewReply {
                    probe_id: p.id,
                    message_key: format!("<{token}-{after}@example.de>"),
                    received_at: sent + after,
                    sender: None,
                    subject: None,
                    class: (*class).into(),
                    automated: Some(*class != "human"),
                    signals: vec![],
                    // The bounce names a forward that does not work.
                    failed_recipient: (*class == "bounce").then(|| "owner@mail.example".into()),
                    status: (*class == "bounce").then(|| "5.2.2".into()),
                    matched_by: "in_reply_to".into(),
                    source: "test".into(),
                })
                .unwrap();
        }
    };
    add(
        "ra-aaaaaaaaaa",
        "service@example.de",
        now - 20 * day,
        &[(30, "auto_reply"), (3 * 3600, "human")],
    );
    add(
        "ra-bbbbbbbbbb",
        "=HYPERLINK(\"x\")@example.de",
        now - 20 * day,
        &[(60, "ticket_ack")],
    );
    add(
        "ra-cccccccccc",
        "info@example.de",
        now - 20 * day,
        &[(90, "challenge_response")],
    );
    add(
        "ra-dddddddddd",
        "alt@example.de",
        now - 20 * day,
        &[(120, "bounce")],
    );
    drop(store);
    let db = db.to_str().unwrap();

    let (code, stdout, stderr) = reachaudit(&["probe", "status", "--db", db, "--format", "json"]);
    assert_eq!(code, 0, "{stderr}");
    let v: Value = serde_json::from_str(&stdout).unwrap();
    let c = &v["companies"][0];
    assert_eq!(c["sent"], 4);
    assert_eq!(c["answered"], 1);
    assert_eq!(
        (c["bounced"].as_u64(), c["challenged"].as_u64()),
        (Some(1), Some(1))
    );
    assert_eq!(c["median_first_human_secs"], 3 * 3600);
    assert_eq!(c["median_first_reply_secs"], 75);
    assert_eq!(
        c["unanswered_share"], 0.75,
        "an acknowledgement, a challenge and a bounce are no answers"
    );

    let (code, csv_text, _) = reachaudit(&["probe", "status", "--db", db, "--format", "csv"]);
    assert_eq!(code, 0);
    let mut reader = csv::Reader::from_reader(csv_text.as_bytes());
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 4);
    assert_eq!(&rows[0][12], "answered");
    assert_eq!(
        (&rows[2][11], &rows[3][10]),
        ("true", "true"),
        "challenged, bounced"
    );
    assert_eq!(
        (&rows[3][13], &rows[3][14]),
        ("5.2.2", "owner@mail.example")
    );
    assert!(
        rows[1][3].starts_with("'="),
        "formulas from crawled sites are defused: {:?}",
        &rows[1][3]
    );

    let (_, text, _) = reachaudit(&["probe", "status", "--db", db]);
    assert!(
        text.contains("example.de: 4 sent, 1 answered by a person, 0 pending, 1 bounced, 1 held for a challenge a person must confirm"),
        "{text}"
    );
    assert!(text.contains("first human reply 3 h 0 min"), "{text}");
    assert!(
        text.contains("alt@example.de: unanswered, bounced (5.2.2) at owner@mail.example"),
        "{text}"
    );
    assert_eq!(v["probes"][3]["delivery_status"], "5.2.2");

    let (code, _, stderr) = reachaudit(&["probe", "status", "--db", "/no/such.db"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("--db /no/such.db") && stderr.contains("no probe database"));
    assert!(
        !Path::new("/no/such.db").exists(),
        "reading never creates a database"
    );
}
