//! Year-over-year diff between two sessions.

mod common;

use assert_cmd::Command;
use chrono::Utc;
use predicates::prelude::*;
use pulldown_cmark::{Event, Parser};
use socscope::diff;
use socscope::session::{EntityId, Session, Value, store};

fn with_controls_months(s: &Session, months: f64) -> Session {
    let q = common::builtin();
    let mut s = s.clone();
    let question = q.question("controls_months").expect("question");
    s.set_answer(
        question,
        &EntityId::Engagement,
        Value::Number(months),
        Utc::now(),
    )
    .expect("answer");
    s
}

fn assert_valid_markdown(md: &str) {
    for event in Parser::new(md) {
        assert!(
            !matches!(event, Event::Html(_) | Event::InlineHtml(_)),
            "raw HTML in:\n{md}"
        );
    }
}

#[test]
fn type_1_to_type_2_names_the_answer() {
    let q = common::builtin();
    let old = common::example("s2-log-analytics.toml");
    let new = with_controls_months(&old, 8.0);
    let d = diff::compare(&q, &old, &new);
    assert!(d.verdict.is_none(), "{d:#?}");
    let t = d.report_type.as_ref().expect("type changed");
    assert!(t.old.starts_with("Type 1"), "{t:?}");
    assert!(t.new.starts_with("Type 2"), "{t:?}");
    assert!(d.systems.added.is_empty() && d.systems.removed.is_empty());

    let type_change = d
        .decisions
        .iter()
        .find(|c| c.id == "type")
        .expect("the type decision flipped");
    assert_eq!(type_change.answers.len(), 1, "{type_change:#?}");
    let a = &type_change.answers[0];
    assert_eq!(a.question, "controls_months");
    assert_eq!(a.entity, "Engagement");
    assert_eq!(a.old.as_deref(), Some("2 months"));
    assert_eq!(a.new.as_deref(), Some("8 months"));

    let text = diff::render_text(&d);
    assert!(text.contains("Type: Type 1"), "{text}");
    assert!(
        text.contains("[controls_months]: 2 months -> 8 months"),
        "{text}"
    );
    let md = diff::render_markdown(&d);
    assert_valid_markdown(&md);
    assert!(
        md.contains("`controls_months`: 2 months → **8 months**"),
        "{md}"
    );
}

#[test]
fn different_workshops_show_added_and_removed_systems() {
    let q = common::builtin();
    let s1 = common::example("s1-payroll-provider.toml");
    let s3 = common::example("s3-billing-service-account.toml");
    let d = diff::compare(&q, &s1, &s3);
    assert_eq!(d.systems.added, ["Invoicing system"]);
    assert!(
        d.systems.removed.contains(&"Payroll engine".to_string()),
        "{d:#?}"
    );
    assert_eq!(d.systems.removed.len(), s1.systems.len());
    assert!(
        d.systems.changed.is_empty(),
        "ids alone do not pair different workshops"
    );
    assert_eq!(d.identities.added, ["svc-billing"]);
    assert!(!d.categories_added.is_empty() || !d.categories_removed.is_empty());
    let md = diff::render_markdown(&d);
    assert_valid_markdown(&md);
    assert!(md.contains("- Added: Invoicing system"), "{md}");
    assert!(md.contains("- Removed: Payroll engine"), "{md}");
}

#[test]
fn identical_sessions_have_no_changes() {
    let q = common::builtin();
    let s = common::example("s3-billing-service-account.toml");
    let d = diff::compare(&q, &s, &s);
    assert!(d.is_empty(), "{d:#?}");
    assert!(diff::render_text(&d).contains("No changes"));
}

#[test]
fn system_verdict_change_and_rename_in_the_same_workshop() {
    let q = common::builtin();
    let old = common::example("s3-billing-service-account.toml");
    let mut new = old.clone();
    let now = Utc::now();
    new.rename(
        &EntityId::System("s1".into()),
        "Invoicing <platform> | *v2*",
        now,
    );
    let fin = q.question("fin_process").expect("question");
    new.set_answer(
        fin,
        &EntityId::System("s1".into()),
        Value::List(vec!["none".into()]),
        now,
    )
    .expect("answer");
    let d = diff::compare(&q, &old, &new);
    assert!(
        d.systems.added.is_empty(),
        "a copy keeps ids: a rename, {d:#?}"
    );
    let c = &d.systems.changed[0];
    assert_eq!(c.old_name, "Invoicing system");
    let v = c.verdict.as_ref().expect("verdict changed");
    assert_ne!(v.old, v.new);
    let flipped = d
        .decisions
        .iter()
        .find(|c| c.id == "system.s1")
        .expect("system decision flipped");
    assert!(
        flipped.answers.iter().any(|a| a.question == "fin_process"),
        "{flipped:#?}"
    );
    let md = diff::render_markdown(&d);
    assert_valid_markdown(&md);
    assert!(md.contains(r"Invoicing \<platform\> \| \*v2\*"), "{md}");
}

#[test]
fn cli_diff_text_and_markdown() {
    let dir = tempfile::tempdir().expect("temp dir");
    let q = common::builtin();
    let old = common::example("s2-log-analytics.toml");
    let new_path = dir.path().join("s2-next-year.toml");
    store::save(&new_path, &with_controls_months(&old, 8.0), &q).expect("save");
    let old_path = common::example_path("s2-log-analytics.toml");
    Command::cargo_bin("socscope")
        .expect("binary")
        .arg("diff")
        .arg(&old_path)
        .arg(&new_path)
        .assert()
        .success()
        .stdout(predicate::str::contains("Type: Type 1"))
        .stdout(predicate::str::contains("controls_months"));
    let out = Command::cargo_bin("socscope")
        .expect("binary")
        .arg("diff")
        .arg(&old_path)
        .arg(&new_path)
        .args(["--format", "markdown"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let md = String::from_utf8(out).expect("utf-8");
    assert!(md.starts_with("# Scoping changes"), "{md}");
    assert_valid_markdown(&md);
    Command::cargo_bin("socscope")
        .expect("binary")
        .env("SOCSCOPE_DATA_DIR", dir.path())
        .args(["diff", "nope.toml"])
        .arg(&new_path)
        .assert()
        .failure()
        .stderr(predicate::str::contains("no session file `nope.toml`"));
}

#[test]
fn diff_output_never_shows_a_detected_secret() {
    let q = common::builtin();
    let old = common::example("s3-billing-service-account.toml");
    let mut new = old.clone();
    // An identity whose name is a pasted token: names are user text too.
    let token = "ghp_4fT9kQ2mZx7LbW1vN8cR3yH6jP0sD5aE2uGk";
    new.add_identity(token, Utc::now());
    let dir = tempfile::tempdir().expect("tempdir");
    let (a, b) = (dir.path().join("old.toml"), dir.path().join("new.toml"));
    store::save(&a, &old, &q).expect("save old");
    store::save(&b, &new, &q).expect("save new");
    for format in ["text", "markdown"] {
        Command::cargo_bin("socscope")
            .expect("binary")
            .env("SOCSCOPE_DATA_DIR", dir.path())
            .args([
                "diff",
                &a.display().to_string(),
                &b.display().to_string(),
                "--format",
                format,
            ])
            .assert()
            .success()
            .stdout(predicate::str::contains(token).not())
            .stdout(predicate::str::contains("REDACTED"));
    }
}
