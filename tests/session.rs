//! Session files: round trip, stable bytes, atomic saves, and opening a session whose
//! questionnaire has changed since it was saved.

mod common;

use chrono::{TimeZone, Utc};
use common::{EXAMPLES, builtin, example, example_path};
use socscope::questionnaire::load;
use socscope::session::{EntityId, Session, Value, file, store};

#[test]
fn every_example_round_trips_through_the_file_format() {
    let q = builtin();
    for name in EXAMPLES {
        let s = example(name);
        let text = file::render(&s, None).expect("renders");
        let (back, opened) = file::parse(name, &text, &q).expect("parses");
        assert_eq!(back, s, "{name}");
        assert!(opened.notices.is_empty());
    }
}

#[test]
fn saving_twice_gives_identical_bytes_and_includes_the_rationale() {
    let q = builtin();
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("s1.toml");
    let s = example("s1-payroll-provider.toml");
    socscope::workshop::save(&path, &s, &q).expect("save");
    let first = std::fs::read(&path).expect("read");
    let (reopened, _) = store::open(&path, &q).expect("open");
    socscope::workshop::save(&path, &reopened, &q).expect("save again");
    assert_eq!(
        first,
        std::fs::read(&path).expect("read"),
        "stable, diff-friendly output"
    );
    let text = String::from_utf8(first).expect("utf-8");
    assert!(text.contains("[recommendation]"));
    assert!(
        text.contains("verdict = \"both\""),
        "the file alone explains the decision"
    );
    assert!(
        text.contains("sys_soc1_changes_financial_data"),
        "rules named in the file"
    );
}

#[test]
fn save_is_atomic_and_keeps_a_backup() {
    let q = builtin();
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("w.toml");
    let now = Utc
        .with_ymd_and_hms(2026, 11, 23, 9, 0, 0)
        .single()
        .expect("date");
    let mut s = Session::new(&q, "Acme", now);
    socscope::workshop::save(&path, &s, &q).expect("save");
    let sid = s.add_system("Billing", now);
    socscope::workshop::save(&path, &s, &q).expect("save");
    let backup = std::fs::read_to_string(store::backup_path(&path)).expect("backup exists");
    assert!(
        !backup.contains("Billing"),
        "backup is the previous version"
    );
    let current = std::fs::read_to_string(&path).expect("current");
    assert!(current.contains("Billing") && current.contains(&sid));
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .expect("dir")
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "no temporary files left behind");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).expect("meta").permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "readable by the owner only");
    }
}

#[test]
fn answers_notes_and_links_survive_a_round_trip() {
    let q = builtin();
    let now = Utc
        .with_ymd_and_hms(2026, 11, 23, 9, 0, 0)
        .single()
        .expect("date");
    let mut s = Session::new(&q, "Acme \"Quotes\" & <Co>", now);
    let sys = s.add_system("Billing", now);
    let id = s.add_identity("svc-billing", now);
    assert!(s.toggle_link(&id, &sys, now));
    let fin = q.question("fin_process").expect("q");
    s.set_answer(
        fin,
        &EntityId::System(sys.clone()),
        Value::List(vec!["billing".into()]),
        now,
    )
    .expect("answer");
    s.set_note(
        "fin_process",
        &EntityId::System(sys.clone()),
        "line one\nline two",
        now,
    );
    let months = q.question("controls_months").expect("q");
    s.set_answer(months, &EntityId::Engagement, Value::Number(14.0), now)
        .expect("answer");
    let kind = q.question("identity_kind").expect("q");
    s.set_answer(kind, &EntityId::Identity(id.clone()), Value::Unknown, now)
        .expect("answer");
    let text = file::render(&s, None).expect("render");
    let (back, _) = file::parse("t", &text, &q).expect("parse");
    assert_eq!(back, s);
    assert_eq!(back.identities[0].systems, vec![sys]);
}

#[test]
fn wrong_answers_are_refused_before_they_reach_the_file() {
    let q = builtin();
    let now = Utc::now();
    let mut s = Session::new(&q, "Acme", now);
    let sys = s.add_system("Billing", now);
    let fin = q.question("fin_process").expect("q");
    let err = s
        .set_answer(
            fin,
            &EntityId::System(sys),
            Value::List(vec!["bogus".into()]),
            now,
        )
        .expect_err("unknown choice");
    assert!(err.contains("bogus"));
    let months = q.question("controls_months").expect("q");
    assert!(
        s.set_answer(months, &EntityId::Engagement, Value::Text("x".into()), now)
            .is_err()
    );
}

/// "Nobody has asked yet" and "None of these" exclude every other choice: such a mix would hide
/// the Type questions while claiming requesters, leaving Type undetermined at 100 %.
#[test]
fn exclusive_choices_cannot_be_combined() {
    let q = builtin();
    let now = Utc::now();
    let mut s = Session::new(&q, "Acme", now);
    let who = q.question("report_requesters").expect("q");
    let list = |ids: &[&str]| Value::List(ids.iter().map(|i| i.to_string()).collect());
    let err = s
        .set_answer(
            who,
            &EntityId::Engagement,
            list(&["user_auditors", "none_yet"]),
            now,
        )
        .expect_err("an exclusive choice with another");
    assert!(
        err.contains("Nobody outside the company has asked yet"),
        "{err}"
    );
    assert!(
        s.set_answer(who, &EntityId::Engagement, list(&["none_yet"]), now)
            .is_ok()
    );
    // Ticking, as the app and the what-if analysis do it.
    let ticked =
        |t: &[&str], id: &str| who.toggle(&t.iter().map(|x| x.to_string()).collect::<Vec<_>>(), id);
    assert_eq!(
        ticked(&["user_auditors", "prospects"], "none_yet"),
        ["none_yet"]
    );
    assert_eq!(ticked(&["none_yet"], "prospects"), ["prospects"]);
    assert_eq!(
        ticked(&["prospects"], "user_auditors"),
        ["user_auditors", "prospects"],
        "questionnaire order"
    );
    assert_eq!(
        ticked(&["user_auditors", "prospects"], "prospects"),
        ["user_auditors"]
    );
}

#[test]
fn changed_questionnaire_keeps_what_still_exists_and_reports_the_rest() {
    // The S3 session, opened with a questionnaire in which `shared` was removed and
    // `secret_custody` lost a choice the session used.
    let text =
        std::fs::read_to_string(example_path("s3-billing-service-account.toml")).expect("read");
    let source = socscope::questionnaire::BUILTIN_SOURCE;
    let s3 = example("s3-billing-service-account.toml");
    let used_rotation = match s3.identities[0]
        .answers
        .get("secret_custody")
        .map(|a| &a.value)
    {
        Some(Value::Text(v)) => v.clone(),
        other => panic!("S3 answers secret_custody: {other:?}"),
    };
    let changed = remove_question(source, "shared");
    let changed = changed.replace(
        &format!("id = \"{used_rotation}\""),
        "id = \"renamed_choice\"",
    );
    let changed = changed.replace(&format!("\"{used_rotation}\""), "\"renamed_choice\"");
    let q2 =
        load("changed.toml", &changed).unwrap_or_else(|e| panic!("changed questionnaire:\n{e}"));
    assert_ne!(q2.hash, builtin().hash);

    let (s, opened) = file::parse("s3.toml", &text, &q2).expect("still opens");
    let kept_aside: Vec<&str> = s.orphans.iter().map(|o| o.question.as_str()).collect();
    assert!(kept_aside.contains(&"shared"), "{kept_aside:?}");
    assert!(kept_aside.contains(&"secret_custody"), "{kept_aside:?}");
    assert_eq!(opened.notices.len(), s.orphans.len(), "each one reported");
    let before = s3.identities[0].answers.len();
    assert_eq!(
        s.identities[0].answers.len() + 2,
        before,
        "everything else kept"
    );

    // Orphans are written back, so saving never silently drops them.
    let rendered = file::render(&s, None).expect("render");
    let (again, _) = file::parse("s3.toml", &rendered, &q2).expect("parse");
    assert_eq!(again.orphans, s.orphans);
}

/// Removes the `[[questions]]` table with this id, and every rule or condition that mentions it
/// is rewritten to keep the questionnaire valid (rules on it are dropped).
fn remove_question(src: &str, id: &str) -> String {
    let blocks: Vec<&str> = split_tables(src);
    blocks
        .into_iter()
        .filter(|b| !b.contains(&format!("id = \"{id}\"")) && !b.contains(&format!("q = \"{id}\"")))
        .collect::<Vec<_>>()
        .concat()
}

fn split_tables(src: &str) -> Vec<&str> {
    let mut starts: Vec<usize> = src.match_indices("\n[[").map(|(i, _)| i + 1).collect();
    starts.insert(0, 0);
    starts.push(src.len());
    starts.windows(2).map(|w| &src[w[0]..w[1]]).collect()
}

// ---------------------------------------------------------------------------------------------
// Naming answers (`creates`): the hosting provider a system runs on (domain.md §3).

fn hosted(s: &mut Session, system: &str, providers: &str) {
    let q = builtin();
    let question = q.question("hosting_provider").expect("hosting_provider");
    let id = EntityId::System(system.to_string());
    s.set_answer(question, &id, Value::Text(providers.into()), Utc::now())
        .expect("answer");
}

#[test]
fn a_named_provider_is_created_once_and_reused_without_regard_to_case() {
    let q = builtin();
    let mut s = Session::new(&q, "Hosted Ltd", Utc::now());
    let app = s.add_system("App", Utc::now());
    let db = s.add_system("Database", Utc::now());
    hosted(&mut s, &app, "CloudCo, EdgeNet");
    hosted(&mut s, &db, " cloudco ;App");
    let names: Vec<&str> = s.systems.iter().map(|x| x.name.as_str()).collect();
    assert_eq!(
        names,
        ["App", "Database", "CloudCo", "EdgeNet"],
        "each provider once; a system named by another is not created again"
    );
    let cloud = &s.systems[2];
    assert_eq!(
        cloud.answers.get("operated_by").map(|a| &a.value),
        Some(&Value::Text("vendor".into()))
    );
    assert!(
        cloud.answers.values().all(|a| a.source.is_some()),
        "pre-filled answers are marked as such"
    );
    // Changing the answer adds only what is new; nothing is removed unasked.
    hosted(&mut s, &app, "EdgeNet");
    assert_eq!(s.systems.len(), 4);
    // A system already there (added by hand, or by an identity import) is triaged where it
    // has no answer yet, and nothing it was told is overwritten.
    let byhand = s.add_system("Colo Ltd", Utc::now());
    let q = builtin();
    let method = q.question("subservice_method").expect("question");
    s.set_answer(
        method,
        &EntityId::System(byhand.clone()),
        Value::Text("inclusive".into()),
        Utc::now(),
    )
    .expect("answer");
    hosted(&mut s, &db, "colo ltd");
    let colo = s.system(&byhand).expect("colo");
    assert_eq!(s.systems.len(), 5, "reused, not created");
    assert_eq!(
        colo.answers.get("operated_by").map(|a| &a.value),
        Some(&Value::Text("vendor".into()))
    );
    assert_eq!(
        colo.answers.get("subservice_method").map(|a| &a.value),
        Some(&Value::Text("inclusive".into())),
        "an answer given is kept"
    );
}

/// A note written on a system's question before anyone answered it joins the answer a naming
/// question pre-fills there, as it joins a live answer; left apart, a merge of the file with
/// itself moved it (the merge property test found it).
#[test]
fn a_note_written_before_a_pre_filled_answer_joins_it() {
    let q = builtin();
    let mut s = Session::new(&q, "Hosted Ltd", Utc::now());
    let app = s.add_system("App", Utc::now());
    let colo = s.add_system("Colo Ltd", Utc::now());
    let colo_id = EntityId::System(colo.clone());
    s.set_note(
        "subservice_method",
        &colo_id,
        "they sub-contract racks",
        Utc::now(),
    );
    hosted(&mut s, &app, "Colo Ltd");
    let x = s.system(&colo).expect("colo");
    let a = x.answers.get("subservice_method").expect("pre-filled");
    assert_eq!(a.note.as_deref(), Some("they sub-contract racks"));
    assert!(s.notes.is_empty(), "the note is kept once, with its answer");
}

/// A vendor typed by its short name is the one already listed under a fuller name, not a
/// second entry (QA: "Twilio" was added beside "Twilio (SMS OTP)"); a short name two listed
/// systems could be is taken as typed.
#[test]
fn a_short_name_for_a_listed_system_is_that_system() {
    let q = builtin();
    let mut s = Session::new(&q, "Spendwise", Utc::now());
    let app = s.add_system("App", Utc::now());
    s.add_system("Twilio (SMS OTP)", Utc::now());
    hosted(&mut s, &app, "twilio, CloudCo");
    let names: Vec<&str> = s.systems.iter().map(|x| x.name.as_str()).collect();
    assert_eq!(names, ["App", "Twilio (SMS OTP)", "CloudCo"]);
    let answer = s.systems[0]
        .answers
        .get("hosting_provider")
        .map(|a| &a.value);
    assert_eq!(
        answer,
        Some(&Value::Text("Twilio (SMS OTP), CloudCo".into())),
        "the answer names the listed system, so the link to it holds"
    );
    // Ambiguous: "AWS" could be either region's entry.
    s.add_system("AWS (EU)", Utc::now());
    s.add_system("AWS (US)", Utc::now());
    hosted(&mut s, &app, "AWS");
    assert!(s.systems.iter().any(|x| x.name == "AWS"), "taken as typed");
}

#[test]
fn renaming_a_provider_keeps_the_answers_that_name_it() {
    let q = builtin();
    let mut s = Session::new(&q, "Hosted Ltd", Utc::now());
    let app = s.add_system("App", Utc::now());
    hosted(&mut s, &app, "cloudco, EdgeNet");
    let cloud = EntityId::System(s.systems[1].id.clone());
    s.rename_in(&q, &cloud, "CloudCo Inc.", Utc::now());
    assert_eq!(
        s.systems[0]
            .answers
            .get("hosting_provider")
            .map(|a| &a.value),
        Some(&Value::Text("CloudCo Inc., EdgeNet".into()))
    );
    // The link holds: the engine still finds the provider by its new name.
    let r = socscope::engine::recommend(&q, &s);
    let sub = r
        .subservices
        .iter()
        .find(|x| x.system.name == "CloudCo Inc.")
        .expect("still a subservice organisation");
    let hosts: Vec<&str> = sub.supports.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(hosts, ["App"]);
}
