//! Plain mode as a complete workshop (issue 14, point 9), driven through the binary with
//! scripted standard input: change any answer, revisit the open ones, edit the session details,
//! plain text only, each answer a reason rests on said once.

mod common;

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use socscope::engine;
use socscope::session::{EntityId, Session, Value, store};
use socscope::vocab::EntityKey;

/// Runs `socscope --plain ARGS` with `lines` as its input; returns what it printed.
fn plain(dir: &Path, args: &[&str], lines: &[&str]) -> String {
    let input: String = lines.iter().map(|l| format!("{l}\n")).collect();
    let out = Command::cargo_bin("socscope")
        .expect("binary")
        .env("SOCSCOPE_DATA_DIR", dir)
        .env_remove("ACCESSIBLE")
        .arg("--plain")
        .args(args)
        .write_stdin(input)
        .output()
        .expect("runs");
    let text = String::from_utf8(out.stdout).expect("utf-8");
    assert!(
        out.status.success(),
        "{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    text
}

fn copy_example(dir: &Path, name: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::copy(common::example_path(name), &path).expect("copy the example");
    path
}

fn open(path: &Path) -> Session {
    store::open(path, &common::builtin())
        .unwrap_or_else(|e| panic!("{e}"))
        .0
}

/// The number plain mode lists a question under for an entity (its visible questions, 1-based).
fn number_of(s: &Session, key: EntityKey, qid: &str) -> String {
    let q = common::builtin();
    let vis = engine::visibility(&q, s);
    let n = vis
        .shown(key)
        .iter()
        .position(|&qi| q.questions[qi].id == qid)
        .unwrap_or_else(|| panic!("{qid} is not shown"));
    (n + 1).to_string()
}

fn path_arg(p: &Path) -> String {
    p.display().to_string()
}

#[test]
fn any_answer_can_be_changed_from_the_menu() {
    let dir = tempfile::tempdir().expect("temp dir");
    // S2 is fully answered: the menu comes at once.
    let path = copy_example(dir.path(), "s2-log-analytics.toml");
    let s = open(&path);
    assert_eq!(s.engagement["controls_months"].value, Value::Number(2.0));
    let months = number_of(&s, EntityKey::Engagement, "controls_months");
    let p = path_arg(&path);
    let out = plain(
        dir.path(),
        &["resume", &p],
        &[
            "g",     // change an answer
            "1",     // the engagement
            &months, // "For how many months..."
            "8",     // 8 months
            "",      // back from its list of questions
            "q",
        ],
    );
    assert!(out.contains("  g. Change an answer"), "{out}");
    assert!(
        out.contains("Answer now: 2 months. Press Enter to keep it."),
        "{out}"
    );
    assert!(out.contains("Recorded: 8 months."), "{out}");
    assert!(
        out.contains("Answer: 8 months."),
        "the list shows the new answer: {out}"
    );
    let s = open(&path);
    assert_eq!(s.engagement["controls_months"].value, Value::Number(8.0));
}

#[test]
fn the_menu_is_one_key_away_at_any_question_and_enter_goes_back_to_the_questions() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("m.toml");
    let p = path_arg(&path);
    let out = plain(
        dir.path(),
        &["new", "--organisation", "Menu Ltd", "-o", &p],
        &[
            "",  // facilitator: later
            "",  // participants: later
            "1", // report_requesters: customers' external auditors
            "m", // the menu, with questions left
            "g", // change an answer (only the engagement yet: no entity to pick)
            "1", // report_requesters
            "3", // customers' security teams instead
            "",  // back from the list
            "",  // Enter: on with the questions
            "q",
        ],
    );
    assert!(
        out.contains("  Enter. Go on with the next question"),
        "{out}"
    );
    assert!(
        out.contains(
            "Answer now: Customers' external auditors (user auditors). Press Enter to keep it."
        ),
        "{out}"
    );
    let s = open(&path);
    assert_eq!(
        s.engagement["report_requesters"].value,
        Value::List(vec!["security_teams".into()])
    );
    // Enter at the menu (its last choice) goes on with the next unanswered question.
    let after = out.rsplit("Choice: ").next().unwrap_or_default();
    assert!(
        after.contains("Number (1 to ") || after.contains("Numbers, separated by"),
        "a question follows the menu: {after}"
    );
    assert!(after.contains("Saved to"), "{out}");
}

#[test]
fn unknown_answers_are_revisited() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = copy_example(dir.path(), "s2-log-analytics.toml");
    // Two unknowns: the engagement's months of controls and a system's owner.
    let q = common::builtin();
    let mut s = open(&path);
    let now = chrono::Utc::now();
    s.set_answer(
        q.question("controls_months").expect("question"),
        &EntityId::Engagement,
        Value::Unknown,
        now,
    )
    .expect("answer");
    let sys = EntityId::System(s.systems[0].id.clone());
    s.set_answer(
        q.question("system_owner").expect("question"),
        &sys,
        Value::Unknown,
        now,
    )
    .expect("answer");
    socscope::workshop::save(&path, &s, &q).expect("save");
    let p = path_arg(&path);
    let out = plain(
        dir.path(),
        &["resume", &p],
        &[
            "o",  // revisit the open questions
            "14", // controls_months: 14 months
            "",   // system_owner: left open
            "q",
        ],
    );
    assert!(
        out.contains("  o. Revisit the open questions (2 unknown, 0 not answered)"),
        "{out}"
    );
    assert!(
        out.contains("Answer now: unknown. Press Enter to keep it."),
        "{out}"
    );
    assert!(out.contains("Recorded: 14 months."), "{out}");
    assert!(
        out.contains("Gone through them all: 1 unknown and 0 not answered remain."),
        "{out}"
    );
    let s = open(&path);
    assert_eq!(s.engagement["controls_months"].value, Value::Number(14.0));
    assert_eq!(s.systems[0].answers["system_owner"].value, Value::Unknown);
}

#[test]
fn a_new_workshop_asks_who_is_in_the_room_and_details_can_be_edited() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("room.toml");
    let p = path_arg(&path);
    let out = plain(
        dir.path(),
        &["new", "--organisation", "Room Ltd", "-o", &p],
        &["Dana", "Ann, Bob", "q"],
    );
    assert!(
        out.contains("Facilitator (Enter to leave it for later): "),
        "{out}"
    );
    let s = open(&path);
    assert_eq!(s.workshop.facilitator, "Dana");
    assert_eq!(s.workshop.participants, ["Ann", "Bob"]);
    assert!(s.engagement.is_empty(), "no answer taken from the names");

    // Later: the facilitator kept, a participant added, the date typed unpadded.
    let out = plain(
        dir.path(),
        &["resume", &p],
        &[
            "m",
            "d",
            "",               // organisation kept
            "",               // facilitator kept
            "Ann, Bob, Chen", // participants
            "2026-9-1",       // workshop date
            "q",
        ],
    );
    assert!(out.contains("Facilitator, now Dana: "), "{out}");
    assert!(
        out.contains("Participants, separated by commas, now Ann, Bob: "),
        "{out}"
    );
    assert!(
        out.contains(
            "Saved: organisation Room Ltd, facilitator Dana, participants Ann, Bob, Chen, \
             workshop date 2026-09-01."
        ),
        "{out}"
    );
    let s = open(&path);
    assert_eq!(s.workshop.participants, ["Ann", "Bob", "Chen"]);
    assert_eq!(
        s.workshop.date,
        chrono::NaiveDate::from_ymd_opt(2026, 9, 1),
        "stored as a date"
    );
}

#[test]
fn systems_and_identities_are_renamed_and_removed() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = copy_example(dir.path(), "s10-conflicting-answers.toml");
    let before = open(&path);
    let first = before.systems[0].name.clone();
    let p = path_arg(&path);
    let out = plain(
        dir.path(),
        &["resume", &p],
        &[
            "n",
            "1",
            "Warehouse",
            "x",
            "3", // the identity (after the two systems)
            "no",
            "x",
            "3",
            "yes",
            "q",
        ],
    );
    assert!(
        out.contains(&format!("Renamed {first} to Warehouse.")),
        "{out}"
    );
    assert!(out.contains("Kept billing-sync service account."), "{out}");
    assert!(
        out.contains("Removed billing-sync service account."),
        "{out}"
    );
    let s = open(&path);
    assert_eq!(s.systems[0].name, "Warehouse");
    assert!(s.identities.is_empty());
}

/// What a screen reader would read aloud as syntax: Markdown and rule ids.
fn syntax_in(out: &str) -> Vec<String> {
    let q = common::builtin();
    let mut found = Vec::new();
    for line in out.lines() {
        let t = line.trim_start();
        for (bad, why) in [
            ("**", "bold"),
            ("`", "code"),
            ("- [ ]", "a checklist"),
            ("==", "a heading rule"),
        ] {
            if line.contains(bad) {
                found.push(format!("{why}: {line}"));
            }
        }
        if t.starts_with('#') || t.starts_with("- ") || t.starts_with("* ") {
            found.push(format!("a Markdown heading or bullet: {line}"));
        }
        for r in &q.rules {
            if line.contains(r.id.as_str()) {
                found.push(format!("rule id {}: {line}", r.id));
            }
        }
    }
    found
}

#[test]
fn a_whole_workshop_reads_as_plain_text() {
    let dir = tempfile::tempdir().expect("temp dir");
    // S11 has unknown evidence; S10 a conflict: between them every part of the text.
    for name in [
        "s11-unverified-evidence.toml",
        "s10-conflicting-answers.toml",
    ] {
        let path = copy_example(dir.path(), name);
        let p = path_arg(&path);
        let out = plain(
            dir.path(),
            &["resume", &p],
            &[
                "r", "e", // the recommendation and the evidence plan
                "o", "", "", "", "", "m", // open questions, left open
                "g", "1", "1", "", "", // an answer looked at and kept
                "d", "", "", "", "", // details looked at and kept
                "a", "Ledger", "m", // a system added, then the menu
                "r", "q",
            ],
        );
        assert!(out.contains("Decisions ("), "{out}");
        assert!(out.contains("Evidence plan for "), "{out}");
        assert!(out.contains("What would change this?"), "{out}");
        let found = syntax_in(&out);
        assert!(found.is_empty(), "{name}:\n{}\n\n{out}", found.join("\n"));
    }
}

#[test]
fn an_answer_behind_several_reasons_is_said_once_with_its_count() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = copy_example(dir.path(), "s10-conflicting-answers.toml");
    let p = path_arg(&path);
    let out = plain(dir.path(), &["resume", &p], &["r", "q"]);
    let (reasons, _) = out
        .split_once("\nWhat would change this?")
        .unwrap_or_else(|| panic!("no sensitivity in:\n{out}"));
    let asked = "Who is asking us for a SOC report?";
    assert_eq!(
        reasons.matches(asked).count(),
        1,
        "said once across every decision: {out}"
    );
    let line = reasons
        .lines()
        .find(|l| l.contains(asked))
        .unwrap_or_default();
    assert!(
        line.contains("Customers' security, procurement or vendor-risk teams (given for "),
        "with its count: {line}"
    );
    assert!(reasons.contains("answers given above"), "{out}");
}

#[test]
fn a_note_goes_with_an_answer_and_never_answers_a_question() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = copy_example(dir.path(), "s2-log-analytics.toml");
    let s = open(&path);
    let months = number_of(&s, EntityKey::Engagement, "controls_months");
    let p = path_arg(&path);
    let out = plain(
        dir.path(),
        &["resume", &p],
        &[
            "g",
            "1",
            &months,
            "note",
            "Records since March, per the CTO",
            "", // the answer kept
            "",
            "q",
        ],
    );
    assert!(out.contains("Note saved."), "{out}");
    assert!(out.contains("It has a note."), "the list says so: {out}");
    let s = open(&path);
    let a = &s.engagement["controls_months"];
    assert_eq!(a.value, Value::Number(2.0), "the answer is unchanged");
    assert_eq!(a.note.as_deref(), Some("Records since March, per the CTO"));

    // On a question with no answer yet, the note waits for one: skipping keeps neither.
    let path = dir.path().join("note.toml");
    let p = path_arg(&path);
    let out = plain(
        dir.path(),
        &["new", "--organisation", "Note Ltd", "-o", &p],
        &["", "", "note", "Ask the CFO", "", "q"],
    );
    assert!(
        out.contains("Skipped; the note was not kept, as it goes with an answer."),
        "{out}"
    );
    let s = open(&path);
    assert!(
        !s.engagement.contains_key("report_requesters"),
        "a note never answers: {:?}",
        s.engagement
    );
}
