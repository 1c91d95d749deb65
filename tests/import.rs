//! Inventory import: CSV from an identity provider pre-fills identities (docs/import.md).

mod common;
#[path = "../examples/identities/mod.rs"]
mod identities;

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};

use assert_cmd::Command;
use chrono::{NaiveDate, TimeZone, Utc};
use predicates::prelude::*;
use socscope::import::{self, Action, Csv, Field, Mapping, Options, Progress, Stage};
use socscope::questionnaire::Questionnaire;
use socscope::session::{EntityId, Session, Value, store};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/import")
        .join(name)
}

fn read(name: &str) -> String {
    std::fs::read_to_string(fixture(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn opts() -> Options {
    Options {
        today: NaiveDate::from_ymd_opt(2026, 12, 1).expect("date"),
        overwrite: false,
        skip_bad_rows: false,
    }
}

/// The dry run of a fixture with the columns recognised as they are and default options.
fn plan_for(q: &Questionnaire, s: &Session, name: &str) -> import::ImportPlan {
    import::plan(q, s, name, &read(name), &Mapping::default(), &opts())
        .unwrap_or_else(|e| panic!("{e}"))
}

fn answer<'a>(s: &'a Session, identity: &str, q: &str) -> Option<&'a socscope::session::Answer> {
    s.identities
        .iter()
        .find(|i| i.name == identity)
        .and_then(|i| i.answers.get(q))
}

fn text(s: &Session, identity: &str, q: &str) -> Option<String> {
    answer(s, identity, q).map(|a| match &a.value {
        Value::Text(t) => t.clone(),
        other => format!("{other:?}"),
    })
}

/// A session copied from an example into a fresh directory.
fn session_copy(example: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("session.toml");
    std::fs::copy(common::example_path(example), &path).expect("copy example");
    (dir, path)
}

fn socscope() -> Command {
    let mut c = Command::cargo_bin("socscope").expect("binary");
    c.env(
        "SOCSCOPE_DATA_DIR",
        std::env::temp_dir().join("socscope-import-tests"),
    );
    c
}

#[test]
fn good_csv_imports_answers_marked_as_imported() {
    let q = common::builtin();
    let mut s = common::example("s3-billing-service-account.toml");
    let plan = plan_for(&q, &s, "okta-users.csv");
    assert_eq!(plan.rows, 4);
    assert_eq!(plan.identities.len(), 3, "deploy-bot's two rows are merged");
    assert_eq!(plan.new_systems, ["Billing DB", "Okta", "GitHub"]);

    let now = Utc
        .with_ymd_and_hms(2026, 12, 1, 12, 0, 0)
        .single()
        .expect("time");
    import::apply(&q, &plan, &mut s, now);

    // A new human identity: every fact pre-answered and marked with its source.
    let alice = "alice@invoxa.example";
    assert_eq!(
        text(&s, alice, "identity_kind").as_deref(),
        Some("human_user")
    );
    assert_eq!(text(&s, alice, "privilege").as_deref(), Some("admin"));
    assert_eq!(text(&s, alice, "has_owner").as_deref(), Some("yes"));
    assert_eq!(
        text(&s, alice, "owner_name").as_deref(),
        Some("Carla Duarte")
    );
    // People sign in through single sign-on: their password age is not asked.
    assert_eq!(text(&s, alice, "last_rotated").as_deref(), None);
    assert_eq!(text(&s, alice, "access_reviewed").as_deref(), Some("yes"));
    assert_eq!(text(&s, alice, "mfa_enforced").as_deref(), Some("yes"));
    for qid in [
        "identity_kind",
        "privilege",
        "mfa_enforced",
        "access_reviewed",
    ] {
        assert_eq!(
            answer(&s, alice, qid).and_then(|a| a.source.as_deref()),
            Some("import:okta-users.csv"),
            "{qid}"
        );
    }

    // Merged rows: highest privilege, systems from both rows, "n/a" rotation, old review.
    let bot = "deploy-bot";
    assert_eq!(
        text(&s, bot, "identity_kind").as_deref(),
        Some("cicd_credential")
    );
    assert_eq!(text(&s, bot, "privilege").as_deref(), Some("write"));
    assert_eq!(text(&s, bot, "has_static_secret").as_deref(), Some("no"));
    assert_eq!(text(&s, bot, "last_rotated").as_deref(), None);
    assert_eq!(text(&s, bot, "access_reviewed").as_deref(), Some("no"));
    let bot_systems: Vec<String> = s
        .identities
        .iter()
        .find(|i| i.name == bot)
        .map(|i| {
            i.systems
                .iter()
                .map(|id| s.entity_name(&EntityId::System(id.clone())))
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(bot_systems, ["Billing DB", "GitHub"]);

    // The existing identity is matched by name: its live answers stay live, and it is linked to
    // the existing system by name and to the new one.
    let svc = s
        .identities
        .iter()
        .find(|i| i.name == "svc-billing")
        .expect("svc-billing");
    assert_eq!(svc.id, "i1");
    assert_eq!(
        s.identities
            .iter()
            .filter(|i| i.name == "svc-billing")
            .count(),
        1
    );
    assert!(svc.answers.values().all(|a| a.source.is_none()));
    assert_eq!(svc.systems.len(), 2);
    assert_eq!(
        s.systems
            .iter()
            .filter(|x| x.name == "Invoicing system")
            .count(),
        1
    );
}

/// `socscope import PATH --identities okta-users.csv`, which succeeds.
fn import_okta(path: &Path) -> assert_cmd::assert::Assert {
    socscope()
        .args(["import"])
        .arg(path)
        .arg("--identities")
        .arg(fixture("okta-users.csv"))
        .args(["--as-of", "2026-12-01"])
        .assert()
        .success()
}

#[test]
fn cli_import_saves_and_reopens() {
    let (_dir, path) = session_copy("s3-billing-service-account.toml");
    import_okta(&path)
        .stdout(predicate::str::contains(
            "name           <- column \"User\"",
        ))
        .stdout(predicate::str::contains(
            "+ identity \"alice@invoxa.example\"",
        ))
        .stdout(predicate::str::contains("saved"));
    let q = common::builtin();
    let (s, _) = store::open(&path, &q).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(s.identities.len(), 3);
    assert_eq!(
        answer(&s, "deploy-bot", "identity_kind").and_then(|a| a.source.as_deref()),
        Some("import:okta-users.csv")
    );
    assert!(
        store::backup_path(&path).exists(),
        "saved through store::save"
    );
    let saved = std::fs::read_to_string(&path).expect("read");
    assert!(
        saved.contains("source = \"import:okta-users.csv\""),
        "{saved}"
    );
}

#[test]
fn bad_rows_are_listed_by_line_and_nothing_is_saved() {
    let (_dir, path) = session_copy("s3-billing-service-account.toml");
    let before = std::fs::read(&path).expect("read session");
    socscope()
        .arg("import")
        .arg(&path)
        .arg("--identities")
        .arg(fixture("bad-rows.csv"))
        .args(["--as-of", "2026-12-01"])
        .assert()
        .failure()
        .stderr(predicate::str::contains(
            "3 rows cannot be imported; nothing was saved",
        ))
        .stderr(predicate::str::contains(
            "bad-rows.csv:3: unknown kind \"wizard\"",
        ))
        .stderr(predicate::str::contains(
            "bad-rows.csv:4: last rotated: \"31/12/2025\" is not a date",
        ))
        .stderr(predicate::str::contains(
            "bad-rows.csv:5: has 4 columns, the header has 8",
        ))
        .stderr(predicate::str::contains("--skip-bad-rows"));
    assert_eq!(
        std::fs::read(&path).expect("read session"),
        before,
        "file unchanged"
    );
    assert!(!store::backup_path(&path).exists(), "no save at all");
}

#[test]
fn bad_rows_in_the_plan_carry_line_numbers() {
    let q = common::builtin();
    let s = common::example("s3-billing-service-account.toml");
    let err = import::plan(
        &q,
        &s,
        "bad-rows.csv",
        &read("bad-rows.csv"),
        &Mapping::default(),
        &opts(),
    )
    .expect_err("bad rows refuse the import");
    let lines: Vec<u64> = err.errors.iter().map(|e| e.line).collect();
    assert_eq!(lines, [3, 4, 5]);
}

#[test]
fn skip_bad_rows_imports_the_good_ones() {
    let (_dir, path) = session_copy("s3-billing-service-account.toml");
    socscope()
        .arg("import")
        .arg(&path)
        .arg("--identities")
        .arg(fixture("bad-rows.csv"))
        .args(["--as-of", "2026-12-01", "--skip-bad-rows"])
        .assert()
        .success()
        .stdout(predicate::str::contains("skipped 3 bad rows"))
        .stdout(predicate::str::contains("line 3: unknown kind"));
    let (s, _) = store::open(&path, &common::builtin()).unwrap_or_else(|e| panic!("{e}"));
    let names: Vec<&str> = s.identities.iter().map(|i| i.name.as_str()).collect();
    assert_eq!(names, ["svc-billing", "alice", "erin"]);
    // 400 days before the import date.
    assert_eq!(
        text(&s, "erin", "last_rotated").as_deref(),
        Some("2025-10-27")
    );
    assert_eq!(
        text(&s, "erin", "has_static_secret").as_deref(),
        Some("yes")
    );
    assert_eq!(text(&s, "erin", "access_reviewed").as_deref(), Some("no"));
}

#[test]
fn dry_run_writes_nothing() {
    let (_dir, path) = session_copy("s3-billing-service-account.toml");
    let before = std::fs::read(&path).expect("read session");
    socscope()
        .arg("import")
        .arg(&path)
        .arg("--identities")
        .arg(fixture("okta-users.csv"))
        .args(["--as-of", "2026-12-01", "--dry-run"])
        .assert()
        .success()
        .stdout(predicate::str::contains("3 identities (2 new, 1 updated)"))
        .stdout(predicate::str::contains(
            "system: \"Invoicing system\" (existing s1, linked by name)",
        ))
        .stdout(predicate::str::contains(
            "new systems: \"Billing DB\", \"Okta\", \"GitHub\"",
        ))
        .stdout(predicate::str::contains("mfa_enforced = Yes"))
        .stdout(predicate::str::contains("dry run: nothing saved"));
    assert_eq!(std::fs::read(&path).expect("read session"), before);
    assert!(!store::backup_path(&path).exists());
}

#[test]
fn headers_are_mapped_automatically() {
    let header: Vec<String> = [
        "Login",
        "Principal Type",
        "Manager",
        "Resources",
        "Permission",
        "key_age",
        "Certified",
        "mfa_enabled",
        "Department",
    ]
    .map(String::from)
    .to_vec();
    let m = import::resolve(&header, &Mapping::default()).unwrap_or_else(|e| panic!("{e}"));
    let col = |f: Field| m.column(f).map(|i| header[i].as_str());
    assert_eq!(col(Field::Name), Some("Login"));
    assert_eq!(col(Field::Kind), Some("Principal Type"));
    assert_eq!(col(Field::Owner), Some("Manager"));
    assert_eq!(col(Field::Systems), Some("Resources"));
    assert_eq!(col(Field::Privilege), Some("Permission"));
    assert_eq!(col(Field::LastRotated), Some("key_age"));
    assert_eq!(col(Field::LastReviewed), Some("Certified"));
    assert_eq!(col(Field::Mfa), Some("mfa_enabled"));
    assert_eq!(m.unused, ["Department"]);
    assert!(m.render().contains("not used: \"Department\""));
}

#[test]
fn map_overrides_the_automatic_choice() {
    let header: Vec<String> = ["name", "email", "role", "Permission Set"]
        .map(String::from)
        .to_vec();
    let mapping = Mapping::parse(&[
        "email=name".to_string(),
        "Permission Set=privilege".to_string(),
        "role=ignore".to_string(),
    ])
    .unwrap_or_else(|e| panic!("{e}"));
    let m = import::resolve(&header, &mapping).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(m.column(Field::Name), Some(1));
    assert_eq!(m.column(Field::Privilege), Some(3));
    assert!(
        m.render()
            .contains("privilege      <- column \"Permission Set\" (--map)")
    );
    assert_eq!(m.unused, ["name", "role"]);

    assert!(Mapping::parse(&["email".to_string()]).is_err());
    let err = Mapping::parse(&["email=nmae".to_string()]).expect_err("unknown field");
    assert!(err.contains("name, kind, owner"), "{err}");
    let err = import::resolve(
        &header,
        &Mapping::parse(&["Mail=name".to_string()]).expect("parse"),
    )
    .expect_err("unknown column");
    assert!(err.contains("no column \"Mail\""), "{err}");
}

#[test]
fn map_on_the_command_line() {
    let (_dir, path) = session_copy("s3-billing-service-account.toml");
    socscope()
        .arg("import")
        .arg(&path)
        .arg("--identities")
        .arg(fixture("aws-iam.csv"))
        .args(["--as-of", "2026-12-01", "--dry-run"])
        .args([
            "--map",
            "Permission Set=privilege",
            "--map",
            "Principal Type=ignore",
        ])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "privilege      <- column \"Permission Set\" (--map)",
        ))
        .stdout(predicate::str::contains(
            "owner          <- column \"Owner Email\"",
        ))
        .stdout(predicate::str::contains("privilege = Admin"));
    // Without the override the kind column holds "role", which is not a kind.
    socscope()
        .arg("import")
        .arg(&path)
        .arg("--identities")
        .arg(fixture("aws-iam.csv"))
        .args(["--as-of", "2026-12-01", "--dry-run"])
        .assert()
        .failure()
        .stderr(predicate::str::contains(
            "aws-iam.csv:2: unknown kind \"role\"",
        ));
    // A header with no name column asks for --map.
    socscope()
        .arg("import")
        .arg(&path)
        .arg("--identities")
        .arg(fixture("aws-iam.csv"))
        .args(["--map", "Login=ignore", "--dry-run"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("--map \"COLUMN=name\""));
}

#[test]
fn live_answers_are_kept_unless_overwrite() {
    let q = common::builtin();
    let s = common::example("s3-billing-service-account.toml");
    let csv = "name,privilege,last_rotated\nsvc-billing,admin,2026-11-20\n";
    let plan = import::plan(&q, &s, "x.csv", csv, &Mapping::default(), &opts())
        .unwrap_or_else(|e| panic!("{e}"));
    let actions: Vec<&Action> = plan.identities[0]
        .answers
        .iter()
        .map(|a| &a.action)
        .collect();
    assert!(matches!(actions[0], Action::KeepLive { .. }), "{actions:?}");
    // has_static_secret is "yes" on both sides; the live rotation date is kept.
    assert!(matches!(actions[1], Action::Unchanged), "{actions:?}");
    assert!(matches!(actions[2], Action::KeepLive { .. }), "{actions:?}");
    let mut kept = s.clone();
    import::apply(&q, &plan, &mut kept, Utc::now());
    assert_eq!(
        text(&kept, "svc-billing", "privilege").as_deref(),
        Some("write")
    );

    let plan = import::plan(
        &q,
        &s,
        "x.csv",
        csv,
        &Mapping::default(),
        &Options {
            overwrite: true,
            ..opts()
        },
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let mut replaced = s.clone();
    import::apply(&q, &plan, &mut replaced, Utc::now());
    assert_eq!(
        text(&replaced, "svc-billing", "privilege").as_deref(),
        Some("admin")
    );
    assert_eq!(
        text(&replaced, "svc-billing", "last_rotated").as_deref(),
        Some("2026-11-20")
    );
    assert_eq!(
        answer(&replaced, "svc-billing", "privilege").and_then(|a| a.source.as_deref()),
        Some("import:x.csv")
    );
    // The note on the live answer survives.
    assert!(answer(&replaced, "svc-billing", "privilege").is_some_and(|a| a.note.is_some()));
}

#[test]
fn mfa_is_not_recorded_where_it_is_not_asked() {
    let q = common::builtin();
    let s = common::example("s3-billing-service-account.toml");
    let csv = "name,kind,mfa\nbot,service_account,no\n";
    let plan = import::plan(&q, &s, "x.csv", csv, &Mapping::default(), &opts())
        .unwrap_or_else(|e| panic!("{e}"));
    let mfa = plan.identities[0]
        .answers
        .iter()
        .find(|a| a.question == "mfa_enforced")
        .expect("planned");
    assert!(
        matches!(&mfa.action, Action::NotAsked { because } if because.contains("identity_kind"))
    );
    let mut s2 = s.clone();
    import::apply(&q, &plan, &mut s2, Utc::now());
    assert!(answer(&s2, "bot", "mfa_enforced").is_none());
}

#[test]
fn dates_are_judged_against_the_import_date() {
    let q = common::builtin();
    let s = Session::new(&q, "Dates Ltd", Utc::now());
    let csv = "name,last_rotated,last_reviewed\n\
               a,2026-09-02,2025-12-01\n\
               b,2026-09-01T08:00:00Z,2025-11-30\n\
               c,2025-12-01,yes\n\
               d,2025-11-30,no\n\
               e,never,never\n";
    let plan = import::plan(&q, &s, "d.csv", csv, &Mapping::default(), &opts())
        .unwrap_or_else(|e| panic!("{e}"));
    let mut s2 = s.clone();
    import::apply(&q, &plan, &mut s2, Utc::now());
    let got: Vec<(String, String)> = ["a", "b", "c", "d", "e"]
        .iter()
        .map(|n| {
            (
                text(&s2, n, "last_rotated").unwrap_or_else(|| {
                    answer(&s2, n, "last_rotated")
                        .map(|a| format!("{:?}", a.value))
                        .unwrap_or_default()
                }),
                text(&s2, n, "access_reviewed").unwrap_or_default(),
            )
        })
        .collect();
    // Rotation dates are kept as dates (the policy decides on the workshop date); reviews are
    // judged against the import date: within a year is "yes".
    let want = [
        ("2026-09-02", "yes"),
        ("2026-09-01", "no"),
        ("2025-12-01", "yes"),
        ("2025-11-30", "no"),
        ("Unknown", "no"),
    ];
    for (g, w) in got.iter().zip(want) {
        assert_eq!((g.0.as_str(), g.1.as_str()), w, "{got:?}");
    }
    let err = import::plan(
        &q,
        &s,
        "d.csv",
        "name,last_rotated\nz,2027-06-01\n",
        &Mapping::default(),
        &opts(),
    )
    .expect_err("future date");
    assert!(
        err.to_string()
            .contains("d.csv:2: last rotated: 2027-06-01 is in the future")
    );
}

#[test]
fn missing_csv_and_non_csv_errors_say_what_to_do() {
    let (dir, path) = session_copy("s3-billing-service-account.toml");
    socscope()
        .arg("import")
        .arg(&path)
        .args(["--identities", "no-such.csv"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("could not read no-such.csv"));
    let empty = dir.path().join("empty.csv");
    std::fs::write(&empty, "").expect("write");
    socscope()
        .arg("import")
        .arg(&path)
        .arg("--identities")
        .arg(&empty)
        .assert()
        .failure()
        .stderr(predicate::str::contains("the file is empty"));
}

#[test]
fn rows_that_conflict_are_all_left_out_and_listed() {
    let q = common::builtin();
    let s = common::example("s3-billing-service-account.toml");
    let csv = read("conflicting-rows.csv");
    // Without --skip-bad-rows every row of the identity is listed, not only the later one.
    let err = import::plan(
        &q,
        &s,
        "conflicting-rows.csv",
        &csv,
        &Mapping::default(),
        &opts(),
    )
    .expect_err("conflicting rows refuse the import");
    let lines: Vec<u64> = err.errors.iter().map(|e| e.line).collect();
    assert_eq!(lines, [2, 4, 5], "{err}");
    let text = err.to_string();
    assert!(
        text.contains(
            "conflicting-rows.csv:2: \"ivan\" is also on line 4 with a different kind \
             (\"employee\" here, \"contractor\" there)"
        ),
        "{text}"
    );
    assert!(
        text.contains(
            "conflicting-rows.csv:4: \"ivan\" is also on line 2 with a different kind \
             (\"contractor\" here, \"employee\" there)"
        ),
        "{text}"
    );
    assert!(!text.contains("\"kind \""), "no nested quotes: {text}");

    // With it, neither side of the conflict is imported: no "ivan" at all, no Slack.
    let plan = import::plan(
        &q,
        &s,
        "conflicting-rows.csv",
        &csv,
        &Mapping::default(),
        &Options {
            skip_bad_rows: true,
            ..opts()
        },
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let names: Vec<&str> = plan.identities.iter().map(|i| i.name.as_str()).collect();
    assert_eq!(names, ["kim"]);
    assert_eq!(plan.new_systems, ["Jira"]);
    let skipped: Vec<u64> = plan.skipped.iter().map(|e| e.line).collect();
    assert_eq!(skipped, [2, 4, 5]);
    let shown = import::render_plan(&q, &plan);
    assert!(shown.contains("skipped 3 bad rows"), "{shown}");
    assert!(shown.contains("  line 5: "), "{shown}");
}

#[test]
fn cli_skip_bad_rows_leaves_out_both_sides_of_a_conflict() {
    let (_dir, path) = session_copy("s3-billing-service-account.toml");
    socscope()
        .arg("import")
        .arg(&path)
        .arg("--identities")
        .arg(fixture("conflicting-rows.csv"))
        .args(["--as-of", "2026-12-01", "--skip-bad-rows"])
        .assert()
        .success()
        .stdout(predicate::str::contains("line 2: \"ivan\""))
        .stdout(predicate::str::contains("line 4: \"ivan\""))
        .stdout(predicate::str::contains("Slack").not());
    let (s, _) = store::open(&path, &common::builtin()).unwrap_or_else(|e| panic!("{e}"));
    assert!(s.identities.iter().all(|i| i.name != "ivan"));
}

#[test]
fn a_second_run_does_not_claim_links_that_already_exist() {
    let q = common::builtin();
    let mut s = common::example("s3-billing-service-account.toml");
    let plan = plan_for(&q, &s, "okta-users.csv");
    let first = import::render_plan(&q, &plan);
    // alice is linked to the existing Invoicing system; svc-billing already was.
    assert!(
        first.contains("systems: 3 new, 1 existing linked by name"),
        "{first}"
    );
    assert!(
        first.contains("system: \"Invoicing system\" (existing s1, already linked)"),
        "{first}"
    );
    import::apply(&q, &plan, &mut s, Utc::now());

    let again = plan_for(&q, &s, "okta-users.csv");
    let shown = import::render_plan(&q, &again);
    assert!(!shown.contains("linked by name"), "{shown}");
    assert!(!shown.contains("systems:"), "nothing to say: {shown}");
    assert!(shown.contains("already linked"), "{shown}");
}

#[test]
fn privilege_help_reads_as_a_sentence() {
    let q = common::builtin();
    let s = common::example("s3-billing-service-account.toml");
    let err = import::plan(
        &q,
        &s,
        "p.csv",
        "user,role\njan,billing-approver\n",
        &Mapping::default(),
        &opts(),
    )
    .expect_err("an unreadable privilege");
    let text = err.to_string();
    assert!(
        text.contains("p.csv:2: cannot tell the privilege from \"billing-approver\""),
        "{text}"
    );
    assert!(
        text.contains(
            "help: write read, write or admin, or a role name that contains one of them \
             (ReadOnlyAccess, Contributor, AdministratorAccess)"
        ),
        "{text}"
    );
    assert!(!text.contains("(or one of:"), "{text}");
}

#[test]
fn answers_not_asked_say_which_answer_hides_them() {
    let q = common::builtin();
    let s = common::example("s3-billing-service-account.toml");
    // svc-billing's live answers: a service account with no owner.
    let csv = "name,kind,owner,mfa\nsvc-billing,api key,Jane Doe,yes\n";
    let plan = import::plan(&q, &s, "c.csv", csv, &Mapping::default(), &opts())
        .unwrap_or_else(|e| panic!("{e}"));
    let shown = import::render_plan(&q, &plan);
    assert!(
        shown.contains(
            "owner_name: not asked for this identity because its has_owner answer is \"No\" \
             (given in the workshop), so \"Jane Doe\" is not recorded"
        ),
        "{shown}"
    );
    assert!(
        shown.contains(
            "mfa_enforced: not asked for this identity because its identity_kind answer is \
             \"Service account\" (given in the workshop), so \"Yes\" is not recorded"
        ),
        "{shown}"
    );
    // Hidden by an answer from the same file.
    let plan = import::plan(
        &q,
        &s,
        "x.csv",
        "name,kind,mfa\nbot,service_account,no\n",
        &Mapping::default(),
        &opts(),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let shown = import::render_plan(&q, &plan);
    assert!(
        shown.contains("because its identity_kind answer is \"Service account\" (from this file)"),
        "{shown}"
    );
}

#[test]
fn the_apps_column_choices_are_map_arguments() {
    // The app changes the mapping through Mapping::set; what it builds is what --map would give.
    let header: Vec<String> = ["Login Id", "Perm", "user"].map(String::from).to_vec();
    let mut m = Mapping::default();
    let auto = import::assign(&header, &m).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(auto.column(Field::Name), Some(2), "\"user\" is recognised");
    assert!(import::resolve(&["Login Id".to_string()], &m).is_err());
    assert!(import::assign(&["Login Id".to_string()], &m).is_ok());

    m.set("Login Id", Some(Field::Name));
    m.set("Perm", Some(Field::Kind));
    m.set("Perm", Some(Field::Privilege));
    assert_eq!(m.args(), ["Login Id=name", "Perm=privilege"]);
    let r = import::resolve(&header, &m).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.column(Field::Name), Some(0));
    assert_eq!(r.column(Field::Privilege), Some(1));
    assert_eq!(r.field_of(1).map(|c| c.field), Some(Field::Privilege));
    assert!(r.field_of(2).is_none(), "\"user\" no longer feeds the name");
    // Giving a field to another column takes it from the first: never two columns.
    m.set("user", Some(Field::Name));
    assert_eq!(m.args(), ["Perm=privilege", "user=name"]);
    m.set("Perm", None);
    assert_eq!(m.args(), ["user=name", "Perm=ignore"]);
    assert_eq!(
        Mapping::parse(&m.args()).unwrap_or_else(|e| panic!("{e}")),
        m
    );
}

/// Counts the allocations of the thread that makes them: the work-counting tests below measure
/// how work grows with the input without timing anything (tests run in parallel threads, so
/// each counts only its own).
struct Counting;

thread_local! {
    static ALLOCATIONS: Cell<u64> = const { Cell::new(0) };
}

fn count_one() {
    let _ = ALLOCATIONS.try_with(|c| c.set(c.get() + 1));
}

// SAFETY: every call is passed on to the system allocator unchanged; only a counter is added.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count_one();
        // SAFETY: as the caller promised for this call.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: as the caller promised for this call.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count_one();
        // SAFETY: as the caller promised for this call.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn allocations() -> u64 {
    ALLOCATIONS.with(Cell::get)
}

/// The built-in questionnaire, the import's time and an empty session to import into.
fn scale() -> (Questionnaire, chrono::DateTime<Utc>, Session) {
    let q = common::builtin();
    let now = Utc
        .with_ymd_and_hms(2026, 12, 1, 12, 0, 0)
        .single()
        .expect("time");
    let s = Session::new(&q, "Scale Ltd", now);
    (q, now, s)
}

/// Allocations made by importing `csv` into an empty session: the dry run, the preview, the
/// import, and the same file again on the result (every identity then matched by name).
fn import_work(csv: &str) -> u64 {
    let (q, now, mut s) = scale();
    let start = allocations();
    let plan = import::plan(&q, &s, "ids.csv", csv, &Mapping::default(), &opts())
        .unwrap_or_else(|e| panic!("{e}"));
    let shown = import::render_plan(&q, &plan);
    import::apply(&q, &plan, &mut s, now);
    let again = import::plan(&q, &s, "ids.csv", csv, &Mapping::default(), &opts())
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(!again.changes_anything(), "a second run changes nothing");
    let work = allocations() - start;
    let listed = shown.lines().filter(|l| l.contains(" identity \"")).count();
    let blocks = shown
        .lines()
        .filter(|l| l.starts_with("identities "))
        .count();
    if plan.identities.len() > 1000 {
        assert_eq!(blocks, plan.identities.len().div_ceil(1000), "{shown}");
    } else {
        assert_eq!(
            listed,
            plan.identities.len(),
            "the preview lists every identity"
        );
    }
    work
}

/// Issue 11, item 13: the import was quadratic (100,000 rows took 386 s): identities and
/// systems were looked up by name in lists, new ids found by scanning every id, links sorted
/// by scanning the systems. Four times the rows must cost about four times the work.
#[test]
fn import_work_grows_linearly_with_the_rows() {
    let small = import_work(&identities::csv(1_000, 7));
    let large = import_work(&identities::csv(4_000, 7));
    let ratio = large as f64 / small as f64;
    assert!(
        ratio < 5.5,
        "4x the rows took {ratio:.1}x the allocations ({small} -> {large}): not linear"
    );
}

/// Issue 11, item 13 (a million rows in under a minute): after an import, the verdict
/// (`engine::Evaluation::new`) worked out which questions each identity is asked and evaluated
/// every identity rule once per identity, a third of a million-row import. Identities that
/// answer the same (an export has a few kinds of accounts) are worked out once per pattern of
/// what the conditions read: two thousand more such identities add about 3 counted steps
/// each, where each cost 26 before.
#[test]
fn the_verdict_after_an_import_is_worked_out_once_per_pattern() {
    let work = |rows: usize| {
        let (q, now, mut s) = scale();
        let csv = identities::csv(rows, 7);
        let plan = import::plan(&q, &s, "ids.csv", &csv, &Mapping::default(), &opts())
            .unwrap_or_else(|e| panic!("{e}"));
        import::apply_owned(&q, plan, &mut s, now);
        socscope::engine::steps::take();
        let ev = socscope::engine::Evaluation::new(&q, &s);
        let steps = socscope::engine::steps::take();
        drop(ev);
        (s.identities.len(), steps)
    };
    let (few, small) = work(1_000);
    let (many, large) = work(4_000);
    let per_identity = (large - small) as f64 / (many - few) as f64;
    assert!(
        per_identity < 10.0,
        "{per_identity:.1} steps per further identity ({small} at {few} identities, {large} at \
         {many}): not once per pattern"
    );
}

/// The same for one identity on thousands of rows, one per system (one row per grant), and
/// for a cell listing thousands of systems: merging and splitting compared every system with
/// every other.
#[test]
fn one_identity_with_many_systems_is_linear_too() {
    let rows = |n: usize| {
        let mut csv = String::from("name,kind,systems\n");
        for i in 0..n {
            csv.push_str(&format!("ci-bot,service account,System {i}\n"));
        }
        csv
    };
    let cell = |n: usize| {
        let list: Vec<String> = (0..n).map(|i| format!("App {i}")).collect();
        format!("name,systems\nci-bot,{}\n", list.join(";"))
    };
    for (what, make) in [
        ("rows", &rows as &dyn Fn(usize) -> String),
        ("one cell", &cell),
    ] {
        let small = import_work(&make(500));
        let large = import_work(&make(2_000));
        let ratio = large as f64 / small as f64;
        assert!(
            ratio < 5.5,
            "{what}: 4x the systems took {ratio:.1}x the allocations ({small} -> {large})"
        );
    }
}

/// The progress callback hears about every stage, in order, with rows and bytes growing, and
/// can stop the import.
#[test]
fn the_plan_reports_progress_and_can_be_cancelled() {
    let q = common::builtin();
    let s = Session::new(&q, "Progress Ltd", Utc::now());
    let csv = identities::csv(20_000, 3);
    let mut seen: Vec<Progress> = Vec::new();
    let plan = import::plan_from(
        &q,
        &s,
        Csv::text("ids.csv", &csv),
        &Mapping::default(),
        &opts(),
        &mut |p| {
            seen.push(*p);
            ControlFlow::Continue(())
        },
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let reading: Vec<&Progress> = seen.iter().filter(|p| p.stage == Stage::Reading).collect();
    assert!(reading.len() >= 4, "{seen:?}");
    assert!(
        reading
            .windows(2)
            .all(|w| w[0].rows < w[1].rows && w[0].bytes <= w[1].bytes)
    );
    assert!(
        reading
            .iter()
            .all(|p| p.total_bytes == Some(csv.len() as u64))
    );
    let checking: Vec<(usize, usize)> = seen
        .iter()
        .filter_map(|p| match p.stage {
            Stage::Checking { done, of } => Some((done, of)),
            _ => None,
        })
        .collect();
    assert_eq!(checking.first(), Some(&(0, plan.identities.len())));
    assert_eq!(
        checking.last(),
        Some(&(plan.identities.len(), plan.identities.len()))
    );
    let last = seen.last().expect("a last report");
    assert_eq!(last.stage, Stage::Done);
    assert_eq!(last.rows, 20_000);
    assert_eq!(last.fraction(), Some(1.0));
    let fractions: Vec<f64> = seen.iter().filter_map(Progress::fraction).collect();
    assert!(fractions.windows(2).all(|w| w[0] <= w[1]), "{fractions:?}");

    // Stopped at the first report: nothing planned, and it says so.
    let err = import::plan_from(
        &q,
        &s,
        Csv::text("ids.csv", &csv),
        &Mapping::default(),
        &opts(),
        &mut |_| ControlFlow::Break(()),
    )
    .expect_err("cancelled");
    assert!(err.cancelled);
    assert!(err.to_string().contains("cancelled"), "{err}");
}

/// Issue 11, "smaller": CSV line numbers were one too low in files with Windows line ends (and
/// after blank lines).
#[test]
fn line_numbers_are_right_with_crlf_and_blank_lines() {
    let q = common::builtin();
    let s = Session::new(&q, "Lines Ltd", Utc::now());
    let csv = "name,kind\r\nalice,employee\r\n\r\nbob,wizard\r\ncarol,contractor\r\n";
    let err = import::plan(&q, &s, "crlf.csv", csv, &Mapping::default(), &opts())
        .expect_err("an unknown kind");
    assert!(
        err.to_string()
            .contains("crlf.csv:4: unknown kind \"wizard\""),
        "{err}"
    );
    let plan = import::plan(
        &q,
        &s,
        "crlf.csv",
        csv,
        &Mapping::default(),
        &Options {
            skip_bad_rows: true,
            ..opts()
        },
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let lines: Vec<(&str, &[u64])> = plan
        .identities
        .iter()
        .map(|i| (i.name.as_str(), i.lines.as_slice()))
        .collect();
    assert_eq!(lines, [("alice", &[2][..]), ("carol", &[5][..])]);
}

/// Issue 11, "smaller": `"bo"b"` was read as `bob"`. A quote that is not doubled is refused,
/// with its line and column and how to write it.
#[test]
fn quotes_that_are_not_doubled_are_refused_where_they_are() {
    let q = common::builtin();
    let s = Session::new(&q, "Quotes Ltd", Utc::now());
    let csv = "name,owner\n\"bo\"b\",Ana\nsvc,Dana \"DJ\" Jones\n\"ok \"\"quoted\"\"\",Ana\n";
    let err = import::plan(&q, &s, "q.csv", csv, &Mapping::default(), &opts())
        .expect_err("two bad quotes");
    let text = err.to_string();
    assert!(
        text.contains("q.csv:2:4: this quote ends the quoted value, but more of the value"),
        "{text}"
    );
    assert!(
        text.contains("help: double each quote inside a quoted value"),
        "{text}"
    );
    assert!(
        text.contains("q.csv:3:10: a quote inside a value that does not start with one"),
        "{text}"
    );
    assert_eq!(err.bad_rows(), 2, "{text}");
    let plan = import::plan(
        &q,
        &s,
        "q.csv",
        csv,
        &Mapping::default(),
        &Options {
            skip_bad_rows: true,
            ..opts()
        },
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let names: Vec<&str> = plan.identities.iter().map(|i| i.name.as_str()).collect();
    assert_eq!(names, ["ok \"quoted\""]);
    assert!(
        import::render_plan(&q, &plan).contains("line 2, column 4: this quote ends"),
        "{}",
        import::render_plan(&q, &plan)
    );
}

/// What the command line says about a file that is not what it should be: each problem at its
/// line and column; on a pipe (not a terminal) no progress line.
#[test]
fn cli_errors_are_located_and_progress_stays_off_a_pipe() {
    let (dir, path) = session_copy("s3-billing-service-account.toml");
    let latin1 = dir.path().join("latin1.csv");
    std::fs::write(
        &latin1,
        b"name,kind\r\nalice,employee\r\nj\xe9r\xf4me,employee\r\n",
    )
    .expect("write");
    socscope()
        .arg("import")
        .arg(&path)
        .arg("--identities")
        .arg(&latin1)
        .arg("--dry-run")
        .assert()
        .failure()
        .stderr(predicate::str::contains(
            "latin1.csv:3:2: not UTF-8 text: byte 0xe9 at byte offset 28 is not valid UTF-8",
        ))
        .stderr(predicate::str::contains("CSV UTF-8"));
    let quotes = dir.path().join("quotes.csv");
    std::fs::write(&quotes, "name,kind\r\n\"bo\"b\",employee\r\n").expect("write");
    let out = socscope()
        .arg("import")
        .arg(&path)
        .arg("--identities")
        .arg(&quotes)
        .output()
        .expect("runs");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("quotes.csv:2:4: this quote ends"), "{err}");
    let out = socscope()
        .arg("import")
        .arg(&path)
        .arg("--identities")
        .arg(fixture("okta-users.csv"))
        .args(["--as-of", "2026-12-01"])
        .output()
        .expect("runs");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(!err.contains("importing") && !err.contains('\r'), "{err}");
}

/// Issue 11, "smaller": invalid UTF-8 was reported with no offset. Streamed, the error still
/// gives the line, the column and the byte's offset in the file (a byte-order mark and blank
/// CRLF lines counted: they are in the file), for a hex editor.
#[test]
fn invalid_utf8_is_located_by_line_column_and_byte_offset() {
    let q = common::builtin();
    let s = Session::new(&q, "Bytes Ltd", Utc::now());
    let csv: &[u8] = b"\xEF\xBB\xBFname,kind\r\n\r\nalice,employee\r\nbob,emp\xffloyee\r\n";
    let err = import::plan_from(
        &q,
        &s,
        Csv {
            name: "bytes.csv".into(),
            reader: csv,
            len: None,
        },
        &Mapping::default(),
        &opts(),
        &mut |_| ControlFlow::Continue(()),
    )
    .expect_err("invalid UTF-8");
    assert!(
        err.to_string().contains(
            "bytes.csv:4:8: not UTF-8 text: byte 0xff at byte offset 39 is not valid UTF-8"
        ),
        "{err}"
    );
}

/// The redraw limit the command line's progress line uses (and the app's dialog can): the
/// first report and the last are passed on, the thousands between them only once each period.
#[test]
fn throttled_progress_passes_the_first_and_the_last_report() {
    let q = common::builtin();
    let s = Session::new(&q, "Throttle Ltd", Utc::now());
    let csv = identities::csv(20_000, 3);
    let mut heard: Vec<Stage> = Vec::new();
    let mut report = import::throttled(std::time::Duration::from_secs(3600), |p| {
        heard.push(p.stage);
        ControlFlow::Continue(())
    });
    import::plan_from(
        &q,
        &s,
        Csv::text("ids.csv", &csv),
        &Mapping::default(),
        &opts(),
        &mut report,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    drop(report);
    assert_eq!(heard, [Stage::Reading, Stage::Done]);
}

/// `socscope import` writes the report-level summary from the evaluation alone (a full
/// recommendation of a million imported rows took minutes and over 10 GiB for a summary never
/// read back): the verdict and categories the recommendation has, and says where the rest is.
#[test]
fn import_writes_a_report_level_summary_that_agrees_with_the_recommendation() {
    let (dir, path) = session_copy("s3-billing-service-account.toml");
    import_okta(&path).stdout(predicate::str::contains("Verdict"));
    let q = common::builtin();
    let (s, _) = store::open(&path, &q).unwrap_or_else(|e| panic!("{e}"));
    // The full summary, as a save from the workshop writes it.
    let full_path = dir.path().join("full.toml");
    socscope::workshop::save(&full_path, &s, &q).unwrap_or_else(|e| panic!("{e}"));
    let summary_of = |p: &Path| -> toml::Table {
        let text = std::fs::read_to_string(p).expect("read");
        let file: toml::Table = toml::from_str(&text).expect("TOML");
        file.get("recommendation")
            .and_then(toml::Value::as_table)
            .cloned()
            .expect("a [recommendation] summary")
    };
    let (summary, full) = (summary_of(&path), summary_of(&full_path));
    for key in ["verdict", "soc2_categories"] {
        assert_eq!(summary.get(key), full.get(key), "{key}");
    }
    assert!(summary.get("decisions").is_none(), "{summary:?}");
    assert!(
        summary
            .get("detail")
            .and_then(toml::Value::as_str)
            .is_some_and(|d| d.contains("socscope recommend")),
        "{summary:?}"
    );
}

/// Issue 11, item 13: the preview of a million rows was every identity and answer, 240 MB,
/// longer to print than the import took. Past 1,000 identities it is the totals and one line
/// per 1,000 identities, whose counts add up to the totals.
#[test]
fn a_large_preview_is_one_line_per_thousand_identities() {
    let q = common::builtin();
    let s = Session::new(&q, "Scale Ltd", Utc::now());
    let csv = identities::csv(5_000, 11);
    let plan = import::plan(&q, &s, "ids.csv", &csv, &Mapping::default(), &opts())
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(plan.identities.len() > 3000, "{}", plan.identities.len());
    let shown = import::render_plan(&q, &plan);
    let blocks: Vec<&str> = shown
        .lines()
        .filter(|l| l.starts_with("identities "))
        .collect();
    assert_eq!(
        blocks.len(),
        plan.identities.len().div_ceil(1000),
        "{shown}"
    );
    assert!(shown.lines().count() < blocks.len() + 10, "{shown}");
    assert!(!shown.contains(" identity \""), "{shown}");
    assert!(
        blocks[0].starts_with("identities 1-1000 (lines 2-"),
        "{}",
        blocks[0]
    );
    // The blocks' counts add up to the totals line.
    let count = |line: &str, what: &str| -> usize {
        line.split([':', ';', ','])
            .filter_map(|part| part.trim().strip_suffix(what))
            .filter_map(|n| n.trim().parse::<usize>().ok())
            .sum()
    };
    let new: usize = blocks.iter().map(|l| count(l, "new")).sum();
    let written: usize = blocks
        .iter()
        .map(|l| count(l, "answers pre-filled") + count(l, "answer pre-filled"))
        .sum();
    assert_eq!(
        new,
        plan.identities
            .iter()
            .filter(|i| i.existing.is_none())
            .count()
    );
    assert_eq!(
        written,
        plan.identities
            .iter()
            .flat_map(|i| &i.answers)
            .filter(|a| matches!(
                a.action,
                import::Action::Add | import::Action::Replace { .. }
            ))
            .count()
    );
    let totals = shown.lines().next().unwrap_or_default();
    assert!(
        totals.contains(&format!("{} identities", plan.identities.len())),
        "{totals}"
    );
}
