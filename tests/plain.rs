//! Plain mode: the workshop as line-by-line prompts, driven here by scripted input.

mod common;

use std::path::Path;

use assert_cmd::Command;
use predicates::prelude::*;
use socscope::plain;
use socscope::session::{Session, Value, store};
use socscope::workshop::Start;

fn run(start: Start, script: &[&str]) -> String {
    let q = common::builtin();
    let input = script.iter().map(|l| format!("{l}\n")).collect::<String>();
    let mut out = Vec::new();
    plain::run(&q, start, input.as_bytes(), &mut out).unwrap_or_else(|e| panic!("{}", e.report()));
    String::from_utf8(out).expect("utf-8 output")
}

/// What `socscope --plain resume PATH` hands plain mode: the session opened for writing.
fn resume(path: &Path) -> Start {
    let q = common::builtin();
    let opened = socscope::workshop::open(path, &q, socscope::workshop::Access::Write)
        .unwrap_or_else(|e| panic!("{}", e.report()));
    Start::Resume(Box::new(opened))
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
    "Dana",          // facilitator
    "Ann; Bob, Cy ", // participants
    // Engagement
    "3",     // report_requesters: security teams
    "2",     // sox_customers: no (customers' year end is then not asked)
    "2",     // auditor_reliance: no
    "",      // customer_base: skipped
    "u",     // controls_months: unknown
    "5",     // prior_reports: none, a first examination
    "2",     // deadline: no
    "?",     // uptime_sla: help, then
    "1",     // yes
    "maybe", // processing_accuracy: not understood, asked again
    "2",     // no
    "1",     // confidential_data: yes
    "2",     // personal_data: no (privacy_commitments is then not asked)
    "2",     // cardholder_data: no
    "2",     // us_health_data: no
    "1",     // customer_duties: customers manage their own users
    "",      // programme_owner: skipped
    // Menu: add a system
    "a",
    "Web app",
    "Head of engineering", // system_owner
    "1",                   // operated_by: in-house
    "3",                   // hosted_on: our own premises (no provider to name)
    "none",                // vendor_services: it calls no vendor
    "1",                   // customer_data: yes
    "1",                   // outage_impact: yes
    "3",                   // enforces_control: no
    "11",                  // fin_process: none of these (fin_access is then not asked)
    "2",                   // customer_endpoints: no
    // Menu: add an identity linked to it
    "i",
    "deploy-bot",
    "1",          // systems: Web app
    "9",          // identity_kind: CI/CD credential (mfa_enforced is then not asked)
    "3",          // privilege: admin
    "1",          // standing_privilege: yes
    "2",          // changes_financial_data: no
    "1",          // action_logging: yes
    "1",          // has_owner: yes
    "Ana",        // owner_name
    "2",          // shared: no
    "1",          // has_static_secret: yes
    "90",         // rotation_days
    "2026-11-01", // last_rotated
    "1",          // secret_custody: a secrets manager
    "2",          // acts_externally: no
    "q",          // access_reviewed: save and quit
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
    assert!(out.contains("Questions for Engagement"), "{out}");
    assert!(out.contains("  3. Customers' security, procurement or vendor-risk teams"));
    assert!(out.contains("Skipped."));
    assert!(
        out.contains("Why we ask: SOC 2 categories follow the commitments"),
        "? shows help"
    );
    assert!(out.contains("\"maybe\" is not one of the choices"), "{out}");
    assert!(out.contains("Recommendation now: SOC 2"), "{out}");
    assert!(out.contains("Added system Web app (s1)"), "{out}");
    assert!(out.contains("Questions for System: Web app"));
    assert!(out.contains("Linked to Web app."), "{out}");
    assert!(out.contains("Questions for Identity: deploy-bot"));
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
    assert_eq!(s.workshop.facilitator, "Dana");
    assert_eq!(s.workshop.participants, ["Ann", "Bob", "Cy"]);
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

    // Resuming goes on where the sitting stopped (the identity's access review), then wraps
    // round to the questions skipped before, as the app does.
    let out = run(
        resume(&path),
        &[
            "2",                                   // access_reviewed: no
            "1",                                   // revocation_record: yes
            "n",                                   // third_party: no
            "Engineering teams at SaaS companies", // customer_base
            "Head of security",                    // programme_owner
            "r",                                   // menu: show the recommendation
            "q",
        ],
    );
    assert!(
        out.contains("Open: 1 answered unknown, 5 not answered."),
        "{out}"
    );
    let first = out.find("periodic access reviews").expect("asked first");
    let next = out
        .find("In one sentence, who are our customers")
        .expect("then the skipped ones");
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

/// "Nobody has asked yet" with a requester is asked again, as any reply that does not fit,
/// instead of ending plain mode with an error.
#[test]
fn a_choice_that_must_stand_alone_is_asked_again() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("alone.toml");
    let out = run(
        Start::New {
            organisation: None,
            path: Some(path.clone()),
        },
        &["Alone Corp", "", "", "1 5", "5"],
    );
    assert!(
        out.contains("\"Nobody outside the company has asked yet\" cannot be combined with other choices: pick it alone"),
        "{out}"
    );
    assert_eq!(
        open(&path)
            .engagement
            .get("report_requesters")
            .map(|a| &a.value),
        Some(&Value::List(vec!["none_yet".into()]))
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
        &["Eof Corp", "", "", "1 3"],
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
        .write_stdin("\n\n2\nq\n")
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

/// A copy of an example session in `dir`, to resume.
fn copy_example(dir: &Path, name: &str) -> std::path::PathBuf {
    let path = dir.join(name);
    std::fs::copy(common::example_path(name), &path).expect("copy the example");
    path
}

#[test]
fn the_recommendation_says_what_would_change_it() {
    let dir = tempfile::tempdir().expect("temp dir");
    // S2 is fully answered: the menu comes at once.
    let path = copy_example(dir.path(), "s2-log-analytics.toml");
    let out = run(resume(&path), &["r", "q"]);
    assert!(out.contains("  r. Show the recommendation"), "{out}");
    let (summary, what_if) = out
        .split_once("\nWhat would change this?\n")
        .unwrap_or_else(|| panic!("no \"What would change this?\" in:\n{out}"));
    assert!(summary.contains("Verdict: SOC 2"), "{out}");
    // The verdict and each report-level decision, with the export's wording.
    assert!(
        what_if.starts_with("Which report: SOC 2\n  Sensitivity: rests on "),
        "{out}"
    );
    assert!(
        what_if.contains(
            "SOC 2 report type: Type 1\n  Sensitivity: rests on 2 answers. Single changes that \
             flip it:\n    Engagement, “For how many months have the key controls of the \
             service (access, change, operations) been operating, with records kept?”: 6 \
             months instead of 2 months would make it Type 2"
        ),
        "{out}"
    );
    assert!(
        what_if.contains("SOC 2 category: Availability: Included\n"),
        "{out}"
    );
    // As the export: a changed answer reads as the change; asking alone never flips to SOC 1.
    assert!(
        what_if.contains(": Yes instead of No would make it SOC 1 and SOC 2"),
        "{out}"
    );
    assert!(
        !what_if.contains("adding Customers' external auditors"),
        "a request is not relevance: {out}"
    );
    assert!(
        !what_if.contains("\nSystem: "),
        "report-level decisions only: {out}"
    );
}

#[test]
fn the_menu_shows_the_evidence_plan_and_compares_with_another_session() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = copy_example(dir.path(), "s2-log-analytics.toml");
    // Last year's workshop: two months of controls (this year's copy says eight).
    let q = common::builtin();
    let last_year = dir.path().join("last-year.toml");
    let mut s = open(&path);
    let question = q.question("controls_months").expect("question");
    s.set_answer(
        question,
        &socscope::session::EntityId::Engagement,
        Value::Number(8.0),
        chrono::Utc::now(),
    )
    .expect("answer");
    socscope::workshop::save(&path, &s, &q).expect("save");
    std::fs::copy(common::example_path("s2-log-analytics.toml"), &last_year).expect("copy");
    let before = std::fs::read(&last_year).expect("read");
    let out = run(
        resume(&path),
        &[
            "e",
            "c",
            &last_year.display().to_string(),
            "c",
            "",
            "c",
            &path.display().to_string(),
            "c",
            "nowhere.toml",
            "q",
        ],
    );
    assert!(out.contains("  e. Show the evidence plan"), "{out}");
    assert!(out.contains("  c. Compare with another session"), "{out}");
    assert!(
        out.contains("Evidence plan for Loglight Analytics Inc."),
        "{out}"
    );
    assert!(!out.contains("- [ ] "), "no Markdown checklist: {out}");
    assert!(
        out.contains("Changes from Loglight Analytics Inc."),
        "{out}"
    );
    assert!(out.contains("Type: SOC 2 Type 1 -> SOC 2 Type 2"), "{out}");
    assert!(
        out.contains("[controls_months]: 2 months -> 8 months"),
        "{out}"
    );
    assert!(out.contains("Nothing compared."), "{out}");
    assert!(out.contains("That is this workshop"), "{out}");
    assert!(out.contains("no session file `nowhere.toml`"), "{out}");
    assert!(out.contains("Saved to"), "{out}");
    assert_eq!(
        std::fs::read(&last_year).expect("read"),
        before,
        "the other session is only read"
    );

    // From the command line, the saved sessions are listed: the same organisation's first.
    Command::cargo_bin("socscope")
        .expect("binary")
        .env("SOCSCOPE_DATA_DIR", dir.path())
        .env_remove("ACCESSIBLE")
        .args(["--plain", "resume"])
        .arg(&path)
        .write_stdin("c\n1\nq\n")
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "  1. Loglight Analytics Inc., updated 2026-11-24 (last-year.toml), same organisation",
        ))
        .stdout(predicate::str::contains(
            "[controls_months]: 2 months -> 8 months",
        ));
}

#[test]
fn read_only_asks_nothing_saves_nothing_and_says_q_to_quit() {
    let dir = tempfile::tempdir().expect("temp dir");
    // S5 has unanswered questions: read-only, none is asked.
    let path = copy_example(dir.path(), "s5-nothing-decided.toml");
    let before = std::fs::read(&path).expect("read");
    let out = Command::cargo_bin("socscope")
        .expect("binary")
        .env("SOCSCOPE_DATA_DIR", dir.path())
        .env_remove("ACCESSIBLE")
        .args(["--plain", "resume"])
        .arg(&path)
        .arg("--read-only")
        .write_stdin("a\nr\ne\nq\n")
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let out = String::from_utf8(out).expect("utf-8");
    assert!(!out.contains("save and quit"), "{out}");
    assert!(!out.contains("Save and quit"), "{out}");
    assert!(out.contains("or q to quit"), "{out}");
    assert!(out.contains("  q. Quit"), "{out}");
    assert!(!out.contains("a. Add a system"), "{out}");
    assert!(
        out.contains("Not one of the listed letters."),
        "a is not offered: {out}"
    );
    assert!(out.contains("What would change this?"), "{out}");
    assert!(out.contains("Evidence plan for "), "{out}");
    assert!(
        !out.contains("Questions for Engagement") && !out.contains("Numbers, separated by"),
        "no question asked: {out}"
    );
    assert!(out.contains("Nothing was saved"), "{out}");
    assert!(!out.contains("Saved to"), "{out}");
    assert_eq!(std::fs::read(&path).expect("read"), before);
}

/// Naming where a system runs brings the provider into the inventory once, as a vendor system
/// carved out by default; a second system on the same provider reuses it (domain.md §3).
#[test]
fn naming_a_hosting_provider_adds_it_to_the_inventory_once() {
    let dir = tempfile::tempdir().expect("temp dir");
    // S2 is fully answered: the menu comes at once.
    let path = copy_example(dir.path(), "s2-log-analytics.toml");
    let mut script = vec![
        "a", "Web app", "",  // system_owner: skipped
        "1", // operated_by: in-house
        "1", // hosted_on: a cloud or platform provider
        "CloudCo",
    ];
    script.extend([""; 5]); // the rest of Web app's questions
    script.extend([""; 6]); // then CloudCo's, which come next
    script.extend(["a", "Database", "", "1", "1", "cloudco "]);
    script.extend([""; 5]);
    script.push("q");
    let out = run(resume(&path), &script);
    assert_eq!(
        out.matches("Added to the inventory: CloudCo").count(),
        1,
        "told once, then reused: {out}"
    );
    assert!(
        out.contains("Questions for System: CloudCo"),
        "its questions follow: {out}"
    );
    let s = open(&path);
    let names: Vec<&str> = s.systems[4..].iter().map(|x| x.name.as_str()).collect();
    assert_eq!(names, ["Web app", "CloudCo", "Database"]);
    let cloud = &s.systems[5];
    assert_eq!(
        text(cloud.answers.get("operated_by").map(|a| &a.value)),
        Some("vendor")
    );
    assert_eq!(
        text(cloud.answers.get("subservice_method").map(|a| &a.value)),
        Some("carve_out")
    );
    assert!(
        cloud.answers["operated_by"].source.is_some(),
        "pre-filled answers say where they came from"
    );
    let r = socscope::engine::recommend(&common::builtin(), &s);
    let sub = r
        .subservices
        .iter()
        .find(|x| x.system.name == "CloudCo")
        .expect("CloudCo is a subservice organisation");
    let hosts: Vec<&str> = sub.supports.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(hosts, ["Web app", "Database"]);
}
