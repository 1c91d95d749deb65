//! Plain mode: the workshop as line-by-line prompts, driven here by scripted input.

mod common;

use std::path::Path;

use assert_cmd::Command;
use predicates::prelude::*;
use socscope::cli::Start;
use socscope::plain;
use socscope::session::{Session, Value, store};

fn run(start: Start, script: &[&str]) -> String {
    let q = common::builtin();
    let input = script.iter().map(|l| format!("{l}\n")).collect::<String>();
    let mut out = Vec::new();
    plain::run(&q, start, input.as_bytes(), &mut out).unwrap_or_else(|e| panic!("{}", e.0));
    String::from_utf8(out).expect("utf-8 output")
}

fn open(path: &Path) -> Session {
    store::open(path, &common::builtin())
        .unwrap_or_else(|e| panic!("{e}"))
        .0
}

fn text(v: Option<&Value>) -> Option<&str> {
    match v {
        Some(Value::Text(t)) => Some(t),
        _ => None,
    }
}

/// Engagement, one system, one identity; quits at the identity's access review question.
const FIRST_SITTING: &[&str] = &[
    // Engagement
    "3",     // report_requesters: security teams
    "2",     // sox_customers: no
    "",      // customer_base: skipped
    "u",     // controls_months: unknown
    "yes",   // first_audit
    "?",     // uptime_sla: help, then
    "1",     // yes
    "maybe", // processing_accuracy: not understood, asked again
    "2",     // no
    "1",     // confidential_data: yes
    "2",     // personal_data: no (privacy_commitments is then not asked)
    // Menu: add a system
    "a",
    "Web app",
    "Head of engineering", // system_owner
    "1",                   // operated_by: in-house
    "1",                   // customer_data: yes
    "1",                   // outage_impact: yes
    "3",                   // enforces_control: no
    "11",                  // fin_process: none of these (fin_access is then not asked)
    // Menu: add an identity linked to it
    "i",
    "deploy-bot",
    "1",   // systems: Web app
    "8",   // identity_kind: CI/CD credential (mfa_enforced is then not asked)
    "3",   // privilege: admin
    "1",   // standing_privilege: yes
    "2",   // changes_financial_data: no
    "1",   // has_owner: yes
    "Ana", // owner_name
    "2",   // shared: no
    "1",   // credential_rotation: within 90 days
    "q",   // access_reviewed: save and quit
];

#[test]
fn scripted_workshop_then_resume() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("plain.toml");
    let out = run(
        Start::New {
            organisation: Some("Plainview Ltd".into()),
            path: Some(path.clone()),
        },
        FIRST_SITTING,
    );
    assert!(
        out.contains("New workshop for Plainview Ltd saved to"),
        "{out}"
    );
    assert!(out.contains("== Engagement =="), "{out}");
    assert!(out.contains("  3. Customers' security, procurement or vendor-risk teams"));
    assert!(out.contains("Skipped."));
    assert!(
        out.contains("Why we ask: SOC 2 categories follow the commitments"),
        "? shows help"
    );
    assert!(out.contains("`maybe` is not one of the choices"), "{out}");
    assert!(out.contains("Recommendation now: SOC 2"), "{out}");
    assert!(out.contains("Added system Web app (s1)"), "{out}");
    assert!(out.contains("== System: Web app =="));
    assert!(out.contains("Linked to Web app."), "{out}");
    assert!(out.contains("== Identity: deploy-bot =="));
    assert!(
        !out.contains("multi-factor"),
        "MFA is not asked of a CI/CD credential"
    );
    assert!(
        !out.contains("privacy commitments"),
        "hidden questions are not asked"
    );
    assert!(out.contains("Saved to"), "{out}");

    // The file opens with store::open and holds the answers.
    let s = open(&path);
    assert_eq!(s.workshop.organisation, "Plainview Ltd");
    assert_eq!(
        s.engagement.get("report_requesters").map(|a| &a.value),
        Some(&Value::List(vec!["security_teams".into()]))
    );
    assert_eq!(
        s.engagement.get("controls_months").map(|a| &a.value),
        Some(&Value::Unknown)
    );
    assert_eq!(
        text(s.engagement.get("uptime_sla").map(|a| &a.value)),
        Some("yes")
    );
    assert!(
        !s.engagement.contains_key("customer_base"),
        "skipped stays unanswered"
    );
    assert_eq!(s.systems.len(), 1);
    assert_eq!(
        s.systems[0].answers.get("fin_process").map(|a| &a.value),
        Some(&Value::List(vec!["none".into()]))
    );
    assert_eq!(s.identities.len(), 1);
    let bot = &s.identities[0];
    assert_eq!(bot.systems, ["s1"]);
    assert_eq!(
        text(bot.answers.get("identity_kind").map(|a| &a.value)),
        Some("cicd_credential")
    );
    assert_eq!(
        text(bot.answers.get("owner_name").map(|a| &a.value)),
        Some("Ana")
    );
    assert!(!bot.answers.contains_key("access_reviewed"));
    assert!(bot.answers.values().all(|a| a.source.is_none()));

    // Resuming continues at the first unanswered question.
    let out = run(
        Start::Resume { path: path.clone() },
        &[
            "Engineering teams at SaaS companies", // customer_base
            "2",                                   // access_reviewed: no
            "1",                                   // revocation_record: yes
            "n",                                   // third_party: no
            "r",                                   // menu: show the recommendation
            "q",
        ],
    );
    let first = out
        .find("In one sentence, who are our customers")
        .expect("asked first");
    let next = out
        .find("periodic access reviews")
        .expect("then the identity");
    assert!(first < next, "{out}");
    assert!(
        !out.contains("Nobody outside the company has asked yet"),
        "answered: not asked again"
    );
    assert!(out.contains("Verdict: SOC 2"), "{out}");
    let s = open(&path);
    assert_eq!(
        text(s.engagement.get("customer_base").map(|a| &a.value)),
        Some("Engineering teams at SaaS companies")
    );
    let bot = &s.identities[0];
    assert_eq!(
        text(bot.answers.get("access_reviewed").map(|a| &a.value)),
        Some("no")
    );
    assert_eq!(
        text(bot.answers.get("third_party").map(|a| &a.value)),
        Some("no")
    );
}

#[test]
fn end_of_input_saves_and_stops() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("eof.toml");
    let out = run(
        Start::New {
            organisation: None,
            path: Some(path.clone()),
        },
        &["Eof Corp", "1 3"],
    );
    assert!(out.contains("Organisation being scoped:"), "{out}");
    assert!(out.contains("Saved to"), "{out}");
    let s = open(&path);
    assert_eq!(s.workshop.organisation, "Eof Corp");
    assert_eq!(
        s.engagement.get("report_requesters").map(|a| &a.value),
        Some(&Value::List(vec![
            "user_auditors".into(),
            "security_teams".into()
        ]))
    );
}

#[test]
fn command_line_routes_to_plain_mode() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("cli.toml");
    Command::cargo_bin("socscope")
        .expect("binary")
        .env("SOCSCOPE_DATA_DIR", dir.path())
        .env("ACCESSIBLE", "1")
        .args(["new", "--organisation", "Env Ltd", "-o"])
        .arg(&path)
        .write_stdin("2\nq\n")
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "Who is asking us for a SOC report?",
        ))
        .stdout(predicate::str::contains(
            "Recorded: Customers' controllers or finance teams.",
        ));
    Command::cargo_bin("socscope")
        .expect("binary")
        .env("SOCSCOPE_DATA_DIR", dir.path())
        .env_remove("ACCESSIBLE")
        .args(["--plain", "resume"])
        .arg(&path)
        .write_stdin("q\n")
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "Resuming the workshop for Env Ltd",
        ))
        .stdout(predicate::str::contains(
            "Do any customers that file with the SEC",
        ));
    let s = open(&path);
    assert_eq!(
        s.engagement.get("report_requesters").map(|a| &a.value),
        Some(&Value::List(vec!["controllers".into()]))
    );
}
