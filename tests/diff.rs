//! Year-over-year diff between two sessions.

mod common;

use assert_cmd::Command;
use chrono::Utc;
use predicates::prelude::*;
use pulldown_cmark::{Event, Parser};
use socscope::diff;
use socscope::session::{EntityId, Session, Value};

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

fn names(items: &[diff::Item]) -> Vec<&str> {
    items.iter().map(|i| i.name.as_str()).collect()
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
    assert_eq!(t.old, "SOC 2 Type 1", "{t:?}");
    assert_eq!(t.new, "SOC 2 Type 2", "{t:?}");
    assert!(d.systems.added.is_empty() && d.systems.removed.is_empty());

    let type_change = d
        .decisions
        .iter()
        .find(|c| c.id == "type.soc2")
        .expect("the type decision flipped");
    assert_eq!(type_change.answers.len(), 1, "{type_change:#?}");
    let a = &type_change.answers[0];
    assert_eq!(a.question, "controls_months");
    assert_eq!(a.entity, "Engagement");
    assert_eq!(a.old.as_deref(), Some("2 months"));
    assert_eq!(a.new.as_deref(), Some("8 months"));

    let text = diff::render_text(&d);
    assert!(
        text.contains("Type: SOC 2 Type 1 -> SOC 2 Type 2"),
        "{text}"
    );
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
    assert_eq!(names(&d.systems.added), ["Invoicing system"]);
    assert!(
        names(&d.systems.removed).contains(&"Payroll engine"),
        "{d:#?}"
    );
    assert_eq!(d.systems.removed.len(), s1.systems.len());
    assert!(
        d.systems.changed.is_empty(),
        "ids alone do not pair different workshops"
    );
    assert_eq!(names(&d.identities.added), ["svc-billing"]);
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
    socscope::workshop::save(&new_path, &with_controls_months(&old, 8.0), &q).expect("save");
    let old_path = common::example_path("s2-log-analytics.toml");
    Command::cargo_bin("socscope")
        .expect("binary")
        .arg("diff")
        .arg(&old_path)
        .arg(&new_path)
        .assert()
        .success()
        .stdout(predicate::str::contains("Type: SOC 2 Type 1"))
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
    socscope::workshop::save(&a, &old, &q).expect("save old");
    socscope::workshop::save(&b, &new, &q).expect("save new");
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

/// Next year's copy of the S1 payroll workshop, as the QA report had it: more months of
/// controls and no longer a first audit (nothing flips), an SLA now (Availability added), the
/// bank gateway renamed and now changing financial data, an identity removed and a system added.
/// The file was copied, so its workshop date and update time are last year's.
fn payroll_next_year(old: &Session) -> Session {
    let q = common::builtin();
    let mut s = old.clone();
    let now = Utc::now();
    let set = |s: &mut Session, e: &EntityId, id: &str, v: Value| {
        let question = q.question(id).expect("question");
        s.set_answer(question, e, v, now).expect("answer");
    };
    set(
        &mut s,
        &EntityId::Engagement,
        "controls_months",
        Value::Number(26.0),
    );
    set(
        &mut s,
        &EntityId::Engagement,
        "prior_reports",
        Value::List(vec!["soc2_type2".into(), "soc1_type2".into()]),
    );
    set(
        &mut s,
        &EntityId::Engagement,
        "uptime_sla",
        Value::Text("yes".into()),
    );
    let gateway = s
        .systems
        .iter()
        .find(|x| x.name.starts_with("Bank file gateway"))
        .expect("the gateway")
        .id
        .clone();
    let gw = EntityId::System(gateway.clone());
    s.rename(&gw, "Bank file gateway", now);
    set(&mut s, &gw, "fin_access", Value::Text("can_change".into()));
    let key = s
        .identities
        .iter()
        .find(|x| x.name == "payroll-sftp key pair")
        .expect("the key pair")
        .id
        .clone();
    s.remove_identity(&key, now);
    s.add_system("Tax filing service", now);
    s.updated = old.updated;
    s
}

#[test]
fn every_changed_answer_is_listed_even_when_it_flips_nothing() {
    let q = common::builtin();
    let old = common::example("s1-payroll-provider.toml");
    let new = payroll_next_year(&old);
    let text = diff::render_text(&diff::compare(&q, &old, &new));
    let section = text
        .split_once("Answers that changed (4):\n")
        .map(|(_, rest)| rest)
        .unwrap_or_else(|| panic!("no answers section in:\n{text}"));
    for line in [
        "Engagement: For how many months have the key controls of the service (access, change, \
         operations) been operating, with records kept? [controls_months]: 14 months -> 26 \
         months (flipped no decision)",
        "Engagement: Which SOC reports have we had before? [prior_reports]: None: this would be \
         our first SOC examination -> A SOC 2 Type 2, A SOC 1 Type 2 (flipped no decision)",
        "[uptime_sla]: No -> Yes\n",
        "Bank file gateway: For those processes, can this system change financial data",
    ] {
        assert!(section.contains(line), "{line} in:\n{text}");
    }
    let md = diff::render_markdown(&diff::compare(&q, &old, &new));
    assert_valid_markdown(&md);
    assert!(md.contains("## Answers that changed"), "{md}");
    assert!(
        md.contains("`controls_months`: 14 months → **26 months** (flipped no decision)"),
        "{md}"
    );
    assert!(
        md.contains("`prior_reports`: None: this would be our first SOC examination → **A SOC 2 Type 2, A SOC 1 Type 2**"),
        "{md}"
    );
    // Only answers changed: that is a change, not "no changes".
    let only_months = with_controls_months(&old, 26.0);
    let text = diff::render_text(&diff::compare(&q, &old, &only_months));
    assert!(!text.contains("No changes"), "{text}");
    assert!(text.contains("14 months -> 26 months"), "{text}");
}

#[test]
fn unchanged_verdict_categories_and_type_are_named() {
    let q = common::builtin();
    let old = common::example("s1-payroll-provider.toml");
    let new = payroll_next_year(&old);
    let text = diff::render_text(&diff::compare(&q, &old, &new));
    assert!(
        text.contains("Verdict: SOC 1 and SOC 2 (unchanged)"),
        "{text}"
    );
    assert!(
        text.contains("SOC 2 categories now: Security, Availability, Confidentiality, Privacy"),
        "{text}"
    );
    assert!(
        text.contains("Type: SOC 1 Type 2; SOC 2 Type 2 (unchanged)"),
        "{text}"
    );

    // Categories unchanged too (only the Type flips).
    let s2 = common::example("s2-log-analytics.toml");
    let d = diff::compare(&q, &s2, &with_controls_months(&s2, 8.0));
    let text = diff::render_text(&d);
    assert!(text.contains("Verdict: SOC 2 (unchanged)"), "{text}");
    assert!(
        text.contains("SOC 2 categories: Security, Availability, Confidentiality (unchanged)"),
        "{text}"
    );
    let md = diff::render_markdown(&d);
    assert!(md.contains("- Verdict: SOC 2 (unchanged)"), "{md}");
    assert!(!md.contains("Verdict: unchanged"), "{md}");
    assert_valid_markdown(&md);
    assert_eq!(
        diff::unchanged("SOC 2 (provisional)"),
        "SOC 2 (provisional, unchanged)"
    );
}

#[test]
fn added_and_removed_items_give_their_verdict() {
    let q = common::builtin();
    let old = common::example("s1-payroll-provider.toml");
    let new = payroll_next_year(&old);
    let d = diff::compare(&q, &old, &new);
    let text = diff::render_text(&d);
    assert!(
        text.contains("+ Tax filing service (added): Not yet determinable"),
        "{text}"
    );
    assert!(
        text.contains("- payroll-sftp key pair (removed; was SOC 2)"),
        "{text}"
    );
    let md = diff::render_markdown(&d);
    assert!(
        md.contains("- Added: Tax filing service: **Not yet determinable**"),
        "{md}"
    );
    assert!(
        md.contains("- Removed: payroll-sftp key pair (was SOC 2)"),
        "{md}"
    );
}

#[test]
fn a_flip_is_explained_only_by_the_answers_its_rules_rest_on() {
    let q = common::builtin();
    let old = common::example("s1-payroll-provider.toml");
    let new = payroll_next_year(&old);
    let d = diff::compare(&q, &old, &new);
    let gateway = d
        .decisions
        .iter()
        .find(|c| c.title == "System: Bank file gateway")
        .unwrap_or_else(|| panic!("the gateway's decision flipped: {d:#?}"));
    let why: Vec<&str> = gateway
        .answers
        .iter()
        .map(|a| a.question.as_str())
        .collect();
    // uptime_sla is a trigger of a SOC 2 rule that fired in both years: not why it flipped.
    assert_eq!(why, ["fin_access"], "{gateway:#?}");
    let availability = d
        .decisions
        .iter()
        .find(|c| c.id == "soc2.availability")
        .unwrap_or_else(|| panic!("Availability flipped: {d:#?}"));
    let why: Vec<&str> = availability
        .answers
        .iter()
        .map(|a| a.question.as_str())
        .collect();
    assert_eq!(why, ["uptime_sla"], "{availability:#?}");
    let text = diff::render_text(&d);
    let block = text
        .split_once("System: Bank file gateway: SOC 2 -> SOC 1 and SOC 2\n")
        .and_then(|(_, rest)| rest.split("\n\n").next())
        .unwrap_or_else(|| panic!("{text}"));
    let because: Vec<&str> = block
        .lines()
        .take_while(|l| l.starts_with("    because"))
        .collect();
    assert_eq!(because.len(), 1, "{text}");
    assert!(because[0].contains("[fin_access]"), "{text}");
}

#[test]
fn different_organisations_are_warned_about_and_still_compared() {
    let q = common::builtin();
    let s1 = common::example("s1-payroll-provider.toml");
    let s3 = common::example("s3-billing-service-account.toml");
    let text = diff::render_text(&diff::compare(&q, &s1, &s3));
    let mut lines = text.lines().filter(|l| !l.is_empty());
    assert!(
        lines.next().is_some_and(|l| l.starts_with("Changes from")),
        "{text}"
    );
    let warning = lines.next().unwrap_or_default();
    assert!(
        warning.starts_with("Warning: these sessions are for different organisations")
            && warning.contains(&s1.workshop.organisation)
            && warning.contains(&s3.workshop.organisation),
        "{text}"
    );
    assert!(
        text.contains("Invoicing system (added)"),
        "still diffed: {text}"
    );
    let md = diff::render_markdown(&diff::compare(&q, &s1, &s3));
    assert!(
        md.contains("> **Warning:** these sessions are for different"),
        "{md}"
    );
    assert_valid_markdown(&md);
    // Same organisation, spelt with other case and spaces: no warning.
    let mut again = s1.clone();
    again.workshop.organisation = format!("  {}  ", s1.workshop.organisation.to_uppercase());
    let text = diff::render_text(&diff::compare(&q, &s1, &again));
    assert!(!text.contains("Warning"), "{text}");

    let dir = tempfile::tempdir().expect("temp dir");
    Command::cargo_bin("socscope")
        .expect("binary")
        .env("SOCSCOPE_DATA_DIR", dir.path())
        .arg("diff")
        .arg(common::example_path("s1-payroll-provider.toml"))
        .arg(common::example_path("s3-billing-service-account.toml"))
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "Warning: these sessions are for different",
        ))
        .stderr(predicate::str::contains(
            "warning: these sessions are for different",
        ));
}

#[test]
fn a_resumed_copy_with_last_years_date_is_told_apart() {
    let q = common::builtin();
    let old = common::example("s1-payroll-provider.toml");
    // Resumed and changed a year later: same workshop date, later update time.
    let mut resumed = payroll_next_year(&old);
    resumed.updated = chrono::DateTime::parse_from_rfc3339("2027-11-18T14:02:00Z")
        .expect("time")
        .with_timezone(&Utc);
    let d = diff::compare(&q, &old, &resumed);
    assert_ne!(d.old_label, d.new_label, "{d:#?}");
    let text = diff::render_text(&d);
    assert!(
        text.starts_with(
            "Changes from Paywell Payroll Ltd (2026-11-20, updated 2026-11-20 10:29 UTC) to \
             Paywell Payroll Ltd (2026-11-20, updated 2027-11-18 14:02 UTC)"
        ),
        "{text}"
    );
    // A new date: the dates are enough.
    let mut dated = resumed.clone();
    dated.workshop.date = chrono::NaiveDate::from_ymd_opt(2027, 11, 18);
    let text = diff::render_text(&diff::compare(&q, &old, &dated));
    assert!(
        text.starts_with(
            "Changes from Paywell Payroll Ltd (2026-11-20) to Paywell Payroll Ltd (2027-11-18)"
        ),
        "{text}"
    );
    // Same date and update time (a copied file): the command names the files.
    let dir = tempfile::tempdir().expect("temp dir");
    let (a, b) = (
        dir.path().join("s1-2026.toml"),
        dir.path().join("s1-2027.toml"),
    );
    socscope::workshop::save(&a, &old, &q).expect("save");
    socscope::workshop::save(&b, &payroll_next_year(&old), &q).expect("save");
    let out = Command::cargo_bin("socscope")
        .expect("binary")
        .env("SOCSCOPE_DATA_DIR", dir.path())
        .arg("diff")
        .arg(&a)
        .arg(&b)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8(out).expect("utf-8");
    let header = text.lines().next().unwrap_or_default();
    assert!(
        header.contains("s1-2026.toml") && header.contains("s1-2027.toml"),
        "{text}"
    );
}
