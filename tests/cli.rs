//! The command line, end to end: every subcommand's output and exit code, and its error paths.
//!
//! Every run sets `SOCSCOPE_DATA_DIR` to a fresh temporary directory, so no test reads or writes
//! the real sessions directory. `new` and `resume` open the interactive app, which needs a
//! terminal, so only their error paths are tested here.

mod common;

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use predicates::prelude::*;
use serde_json::Value as Json;
use tempfile::TempDir;

use common::{EXAMPLES, builtin, example_path};
use socscope::session::{file, store};

/// A `socscope` command whose sessions directory is `data` (never the real one).
fn socscope(data: &Path) -> Command {
    let mut cmd = Command::cargo_bin("socscope").expect("binary is built");
    cmd.env("SOCSCOPE_DATA_DIR", data);
    cmd.env("NO_COLOR", "1");
    cmd
}

struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

/// Runs `socscope args...` with a fresh, empty sessions directory.
fn run(args: &[&str]) -> Run {
    let data = TempDir::new().expect("temp dir");
    run_in(data.path(), args)
}

fn run_in(data: &Path, args: &[&str]) -> Run {
    let out = socscope(data).args(args).output().expect("socscope runs");
    Run {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn example(name: &str) -> String {
    example_path(name).display().to_string()
}

fn fixture(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(rel)
}

fn recommend_json(session: &str) -> Json {
    let r = run(&["recommend", "--json", session]);
    assert_eq!(
        r.code,
        Some(0),
        "recommend --json {session} failed:\n{}",
        r.stderr
    );
    serde_json::from_str(&r.stdout).unwrap_or_else(|e| {
        panic!(
            "recommend --json {session} is not JSON ({e}):\n{}",
            r.stdout
        )
    })
}

/// Whether `text` has a line starting `<file>:<line>:<col>: error:` for a file ending in `file`.
fn has_located_error(text: &str, file: &str) -> bool {
    text.lines().any(|l| {
        let Some(at) = l.find(file) else { return false };
        let rest = &l[at + file.len()..];
        let mut parts = rest.splitn(4, ':');
        parts.next() == Some("")
            && parts
                .next()
                .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
            && parts
                .next()
                .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
            && parts.next().is_some_and(|m| m.starts_with(" error:"))
    })
}

fn has_help(text: &str) -> bool {
    text.lines().any(|l| l.trim_start().starts_with("help:"))
}

// ---------------------------------------------------------------------------------------------
// validate

#[test]
fn validate_accepts_the_builtin_questionnaire() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("questionnaires/soc-scoping.toml");
    let r = run(&["validate", &path.display().to_string()]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert!(r.stdout.contains("ok"), "says ok: {}", r.stdout);
    assert!(
        r.stdout.contains("soc-scoping"),
        "names the questionnaire: {}",
        r.stdout
    );
}

#[test]
fn validate_accepts_a_minimal_valid_fixture() {
    let r = run(&[
        "validate",
        &fixture("questionnaires/valid-minimal.toml")
            .display()
            .to_string(),
    ]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert!(r.stdout.contains(": ok:"), "{}", r.stdout);
}

#[test]
fn validate_reports_each_problem_with_position_and_help() {
    for name in [
        "bad-references.toml",
        "syntax-error.toml",
        "unknown-key.toml",
    ] {
        let r = run(&[
            "validate",
            &fixture(&format!("questionnaires/{name}"))
                .display()
                .to_string(),
        ]);
        assert_eq!(
            r.code,
            Some(1),
            "{name} exits 1; stdout:\n{}\nstderr:\n{}",
            r.stdout,
            r.stderr
        );
        assert!(
            has_located_error(&r.stderr, name),
            "{name}: file:line:col: error: in\n{}",
            r.stderr
        );
        assert!(has_help(&r.stderr), "{name}: help: line in\n{}", r.stderr);
        assert!(
            !r.stdout.contains("ok"),
            "{name}: does not say ok: {}",
            r.stdout
        );
    }
    let r = run(&[
        "validate",
        &fixture("questionnaires/bad-references.toml")
            .display()
            .to_string(),
    ]);
    let errors = r.stderr.lines().filter(|l| l.contains(": error:")).count();
    assert_eq!(
        errors, 10,
        "every problem of bad-references.toml is reported:\n{}",
        r.stderr
    );
    assert!(r.stderr.contains("10 problems found"), "{}", r.stderr);
}

#[test]
fn validate_missing_file_names_the_path() {
    let dir = TempDir::new().unwrap();
    let missing = dir.path().join("no-such-questionnaire.toml");
    let r = run(&["validate", &missing.display().to_string()]);
    assert_ne!(r.code, Some(0));
    assert!(
        r.stderr.contains("no-such-questionnaire.toml"),
        "names the path: {}",
        r.stderr
    );
    assert!(has_help(&r.stderr), "{}", r.stderr);
}

// ---------------------------------------------------------------------------------------------
// recommend

#[test]
fn recommend_prints_the_verdict_of_every_example() {
    let expected = [
        ("s1-payroll-provider.toml", "Verdict: SOC 1 and SOC 2"),
        ("s2-log-analytics.toml", "Verdict: SOC 2"),
        (
            "s3-billing-service-account.toml",
            "Verdict: SOC 1 and SOC 2",
        ),
        ("s4-internal-wiki.toml", "Verdict: Out of scope (neither)"),
        ("s5-nothing-decided.toml", "Verdict: Not yet determinable"),
        ("s6-cloud-subservice.toml", "Verdict: SOC 2"),
    ];
    for (name, verdict) in expected {
        let r = run(&["recommend", &example(name)]);
        assert_eq!(r.code, Some(0), "{name}: {}", r.stderr);
        let line = r
            .stdout
            .lines()
            .find(|l| l.starts_with("Verdict:"))
            .unwrap_or_default();
        assert!(
            line.starts_with(verdict),
            "{name}: expected {verdict:?}, got {line:?}"
        );
        assert!(
            r.stdout.starts_with("Organisation: "),
            "{name}: {}",
            r.stdout
        );
        assert!(
            r.stderr.is_empty(),
            "{name}: nothing on stderr: {}",
            r.stderr
        );
        assert!(!r.stdout.contains('\u{1b}'), "{name}: no escape sequences");
    }
}

#[test]
fn recommend_finds_a_session_by_name_in_the_data_dir() {
    let data = TempDir::new().unwrap();
    std::fs::copy(
        example_path("s4-internal-wiki.toml"),
        data.path().join("wiki.toml"),
    )
    .unwrap();
    for arg in ["wiki", "wiki.toml"] {
        let r = run_in(data.path(), &["recommend", arg]);
        assert_eq!(r.code, Some(0), "{arg}: {}", r.stderr);
        assert!(r.stdout.contains("Out of scope"), "{arg}: {}", r.stdout);
    }
}

#[test]
fn recommend_json_follows_the_contract_for_every_example() {
    for name in EXAMPLES {
        let j = recommend_json(&example(name));
        let verdict = j["verdict"]
            .as_str()
            .unwrap_or_else(|| panic!("{name}: verdict string"));
        assert!(
            ["soc1", "soc2", "both", "none", "undetermined"].contains(&verdict),
            "{name}: verdict {verdict}"
        );
        let cats = j["soc2_categories"]
            .as_array()
            .unwrap_or_else(|| panic!("{name}: categories"));
        for c in cats {
            let c = c
                .as_str()
                .unwrap_or_else(|| panic!("{name}: category id is a string"));
            assert!(
                [
                    "security",
                    "availability",
                    "processing_integrity",
                    "confidentiality",
                    "privacy"
                ]
                .contains(&c),
                "{name}: lower-case category id, got {c}"
            );
        }
        assert!(
            j["report_type"].is_null()
                || ["type1", "type2"].contains(&j["report_type"].as_str().unwrap_or("")),
            "{name}: report_type {}",
            j["report_type"]
        );
        for s in j["systems"]
            .as_array()
            .unwrap_or_else(|| panic!("{name}: systems[]"))
        {
            assert!(s["name"].is_string(), "{name}: system name: {s}");
            assert!(s["verdict"].is_string(), "{name}: system verdict: {s}");
        }
        for i in j["identities"]
            .as_array()
            .unwrap_or_else(|| panic!("{name}: identities[]"))
        {
            assert!(i["name"].is_string(), "{name}: identity name");
            assert!(
                i["soc1"].is_boolean() && i["soc2"].is_boolean(),
                "{name}: soc1/soc2 booleans"
            );
            for g in i["gaps"]
                .as_array()
                .unwrap_or_else(|| panic!("{name}: gaps[]"))
            {
                // Gaps are objects: a stable id plus the text people read.
                assert!(
                    g["id"].is_string() && g["text"].is_string(),
                    "{name}: gap {g}"
                );
            }
        }
        let decisions = j["decisions"]
            .as_array()
            .unwrap_or_else(|| panic!("{name}: decisions[]"));
        assert!(
            !decisions.is_empty(),
            "{name}: at least the verdict decision"
        );
        for d in decisions {
            assert!(d["rationale"].is_array(), "{name}: decision rationale: {d}");
        }
    }
}

#[test]
fn recommend_json_matches_the_reference_scenarios() {
    let type_of = |j: &Json, report: &str| -> Json {
        j["plans"]
            .as_array()
            .and_then(|a| a.iter().find(|p| p["report"] == report))
            .map(|p| p["report_type"].clone())
            .unwrap_or(Json::Null)
    };
    let s1 = recommend_json(&example("s1-payroll-provider.toml"));
    assert_eq!(s1["verdict"], "both");
    assert_eq!(type_of(&s1, "soc1"), "type2");
    assert_eq!(type_of(&s1, "soc2"), "type2");

    let s2 = recommend_json(&example("s2-log-analytics.toml"));
    assert_eq!(s2["verdict"], "soc2");
    assert_eq!(type_of(&s2, "soc2"), "type1");
    assert_eq!(type_of(&s2, "soc1"), Json::Null);
    assert_eq!(
        s2["soc2_categories"],
        serde_json::json!(["security", "availability", "confidentiality"])
    );

    let s3 = recommend_json(&example("s3-billing-service-account.toml"));
    let billing = s3["identities"]
        .as_array()
        .and_then(|a| a.iter().find(|i| i["name"] == "svc-billing"))
        .expect("svc-billing is listed");
    assert_eq!(
        billing["soc1"], true,
        "svc-billing is a SOC 1 in-scope identity"
    );
    assert_eq!(billing["soc2"], true, "and a SOC 2 evidence subject");
    let gaps: Vec<&str> = billing["gaps"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|g| g["id"].as_str())
        .collect();
    for gap in [
        "no_owner",
        "no_rotation",
        "never_reviewed",
        "standing_privilege",
    ] {
        assert!(gaps.contains(&gap), "gap {gap} flagged: {gaps:?}");
    }
    let invoicing = s3["systems"]
        .as_array()
        .and_then(|a| a.first())
        .expect("one system");
    assert!(
        invoicing["verdict"] == "soc1" || invoicing["verdict"] == "both",
        "invoicing is SOC 1 relevant: {}",
        invoicing["verdict"]
    );

    let s4 = recommend_json(&example("s4-internal-wiki.toml"));
    assert_eq!(s4["verdict"], "none");
    assert!(s4["report_type"].is_null());
    assert_eq!(s4["soc2_categories"], serde_json::json!([]));

    let s5 = recommend_json(&example("s5-nothing-decided.toml"));
    assert_eq!(s5["verdict"], "undetermined");
    assert_eq!(s5["provisional"], true);
    assert!(
        s5["open_questions"]
            .as_array()
            .is_some_and(|o| !o.is_empty()),
        "lists the questions that decide it"
    );
}

/// Writes the built-in questionnaire without the rule that turns an uptime SLA into Availability.
fn questionnaire_without_availability_rule(dir: &Path) -> PathBuf {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("questionnaires/soc-scoping.toml");
    let text = std::fs::read_to_string(path).unwrap();
    let start = text
        .find("[[rules]]\nid = \"eng_availability\"")
        .expect("rule eng_availability exists");
    let end = start
        + 1
        + text[start + 1..]
            .find("[[rules]]")
            .expect("a rule follows it");
    let modified = format!("{}{}", &text[..start], &text[end..]);
    let out = dir.join("no-availability.toml");
    std::fs::write(&out, modified).unwrap();
    out
}

#[test]
fn questionnaire_flag_changes_the_recommendation_without_recompiling() {
    let dir = TempDir::new().unwrap();
    let q = questionnaire_without_availability_rule(dir.path());
    let q = q.display().to_string();

    let v = run(&["validate", &q]);
    assert_eq!(
        v.code,
        Some(0),
        "the modified questionnaire is valid: {}",
        v.stderr
    );

    let s2 = example("s2-log-analytics.toml");
    let before = recommend_json(&s2);
    assert!(
        before["soc2_categories"]
            .as_array()
            .unwrap()
            .contains(&Json::from("availability"))
    );

    for flag in ["--questionnaire", "-q"] {
        let r = run(&[flag, &q, "recommend", "--json", &s2]);
        assert_eq!(r.code, Some(0), "{}", r.stderr);
        let after: Json = serde_json::from_str(&r.stdout).unwrap();
        assert_eq!(after["verdict"], "soc2");
        assert_eq!(
            after["soc2_categories"],
            serde_json::json!(["security", "confidentiality"]),
            "without the rule, the SLA no longer brings in Availability"
        );
    }
    // The flag is global: it also works after the subcommand, and for the text output.
    let r = run(&["recommend", &s2, "--questionnaire", &q]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert!(
        r.stdout
            .contains("SOC 2 categories: Security, Confidentiality\n"),
        "{}",
        r.stdout
    );
}

#[test]
fn questionnaire_flag_with_a_broken_questionnaire_fails_clearly() {
    let q = fixture("questionnaires/bad-references.toml")
        .display()
        .to_string();
    let r = run(&["-q", &q, "recommend", &example("s1-payroll-provider.toml")]);
    assert_eq!(r.code, Some(1));
    assert!(
        has_located_error(&r.stderr, "bad-references.toml"),
        "{}",
        r.stderr
    );
    assert!(
        r.stdout.is_empty(),
        "no recommendation from a broken questionnaire: {}",
        r.stdout
    );

    let dir = TempDir::new().unwrap();
    let missing = dir.path().join("gone.toml").display().to_string();
    let r = run(&[
        "-q",
        &missing,
        "recommend",
        &example("s1-payroll-provider.toml"),
    ]);
    assert_eq!(r.code, Some(1));
    assert!(
        r.stderr.contains("gone.toml") && has_help(&r.stderr),
        "{}",
        r.stderr
    );
}

// ---------------------------------------------------------------------------------------------
// corrupt sessions

/// Corrupt session files: (file name, bytes, whether the error can point at a line and column).
fn corrupt_sessions() -> Vec<(&'static str, Vec<u8>, bool)> {
    let s1 = std::fs::read(example_path("s1-payroll-provider.toml")).unwrap();
    let text = String::from_utf8(s1.clone()).unwrap();
    let truncated = s1[..text.find("[[systems]]").unwrap() + 5].to_vec();
    let v99 = text
        .replacen("format_version = 1", "format_version = 99", 1)
        .into_bytes();
    vec![
        ("truncated.toml", truncated, true),
        ("empty.toml", Vec::new(), true),
        ("whitespace.toml", b"  \n\n\t\n".to_vec(), true),
        (
            "binary.toml",
            vec![0x00, 0xff, 0xfe, 0x01, 0x80, b'a', 0x00, 0xc3],
            false,
        ),
        ("newer.toml", v99, true),
        (
            "invalid.toml",
            b"format_version = 1\ncreated = [\n".to_vec(),
            true,
        ),
        (
            "not-a-session.toml",
            b"title = \"just some TOML\"\n".to_vec(),
            true,
        ),
    ]
}

#[test]
fn corrupt_sessions_fail_with_position_and_help_and_are_left_untouched() {
    let dir = TempDir::new().unwrap();
    for (name, bytes, located) in corrupt_sessions() {
        let path = dir.path().join(name);
        std::fs::write(&path, &bytes).unwrap();
        let arg = path.display().to_string();
        for args in [
            vec!["recommend", arg.as_str()],
            vec!["recommend", "--json", arg.as_str()],
            vec!["export", arg.as_str()],
        ] {
            let r = run(&args);
            assert_eq!(
                r.code,
                Some(1),
                "{name} {args:?}: exits 1; stderr:\n{}",
                r.stderr
            );
            assert!(
                r.stdout.is_empty(),
                "{name}: no output on stdout: {}",
                r.stdout
            );
            assert!(
                r.stderr.contains(name),
                "{name}: names the file:\n{}",
                r.stderr
            );
            if located {
                assert!(
                    has_located_error(&r.stderr, name),
                    "{name}: line:column in\n{}",
                    r.stderr
                );
            }
            assert!(has_help(&r.stderr), "{name}: help hint in\n{}", r.stderr);
            assert!(
                !r.stderr.contains("panicked"),
                "{name}: no panic:\n{}",
                r.stderr
            );
            assert_eq!(
                std::fs::read(&path).unwrap(),
                bytes,
                "{name}: file unchanged"
            );
        }
        let bak = store::backup_path(&path);
        assert!(
            !bak.exists(),
            "{name}: nothing written beside it ({})",
            bak.display()
        );
    }
    let newer = run(&[
        "recommend",
        &dir.path().join("newer.toml").display().to_string(),
    ]);
    assert!(
        newer.stderr.contains("99") && newer.stderr.contains("upgrade"),
        "{}",
        newer.stderr
    );
    let empty = run(&[
        "recommend",
        &dir.path().join("empty.toml").display().to_string(),
    ]);
    assert!(empty.stderr.contains("empty"), "{}", empty.stderr);
}

/// A damaged session whose backup is readable: `resume` refuses with the position, leaves every
/// file as it was and names the way back; `resume --from-backup` restores the backup and keeps
/// the damaged file aside (docs/reliability.md §5).
#[test]
fn corrupt_session_with_a_backup_offers_and_performs_the_restore() {
    let dir = TempDir::new().unwrap();
    let good = std::fs::read(example_path("s1-payroll-provider.toml")).unwrap();
    for (name, bytes, _) in corrupt_sessions() {
        let path = dir.path().join(name);
        std::fs::write(&path, &bytes).unwrap();
        let bak = store::backup_path(&path);
        std::fs::write(&bak, &good).unwrap();
        let arg = path.display().to_string();
        let r = run_in(dir.path(), &["resume", &arg]);
        assert_eq!(r.code, Some(1), "{name}: {}", r.stderr);
        assert!(
            r.stderr
                .contains(&format!("socscope resume {arg} --from-backup")),
            "{name}: offers the backup:\n{}",
            r.stderr
        );
        assert_eq!(std::fs::read(&path).unwrap(), bytes, "{name}: untouched");
        assert_eq!(
            std::fs::read(&bak).unwrap(),
            good,
            "{name}: backup untouched"
        );
        assert!(
            !socscope::session::lock::lock_path(&path).exists(),
            "{name}: no lock file left"
        );
        // Restore, in plain mode with no input (so it stops at once).
        let r = run_in(dir.path(), &["--plain", "resume", &arg, "--from-backup"]);
        assert_eq!(r.code, Some(0), "{name}: {}{}", r.stdout, r.stderr);
        let corrupt = dir.path().join(format!("{name}.corrupt"));
        assert_eq!(
            std::fs::read(&corrupt).unwrap(),
            bytes,
            "{name}: kept aside"
        );
        assert_eq!(std::fs::read(&bak).unwrap(), good, "{name}: backup kept");
        let (s, _) = store::open(&path, &builtin()).expect("restored file opens");
        assert_eq!(s.workshop.organisation, "Paywell Payroll Ltd");
        std::fs::remove_file(&corrupt).unwrap();
    }
}

#[test]
fn from_backup_without_a_backup_fails_clearly_and_changes_nothing() {
    let dir = TempDir::new().unwrap();
    let path = dir.path().join("broken.toml");
    std::fs::write(&path, "format_version = 1\ncreated = [\n").unwrap();
    let r = run_in(
        dir.path(),
        &[
            "--plain",
            "resume",
            &path.display().to_string(),
            "--from-backup",
        ],
    );
    assert_eq!(r.code, Some(1));
    assert!(r.stderr.contains("has no backup"), "{}", r.stderr);
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        "format_version = 1\ncreated = [\n"
    );
}

/// Hostile questionnaires given with --questionnaire: binary, empty, truncated. A clear error,
/// nothing written.
#[test]
fn damaged_questionnaires_fail_clearly_and_are_left_untouched() {
    let dir = TempDir::new().unwrap();
    let builtin_src = std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("questionnaires/soc-scoping.toml"),
    )
    .unwrap();
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("binary.toml", vec![0, 159, 146, 150, 0xff, 0]),
        ("empty.toml", Vec::new()),
        (
            "truncated.toml",
            builtin_src[..builtin_src.len() / 3].to_vec(),
        ),
    ];
    for (name, bytes) in cases {
        let path = dir.path().join(name);
        std::fs::write(&path, &bytes).unwrap();
        let p = path.display().to_string();
        for args in [
            vec!["validate", p.as_str()],
            vec!["-q", p.as_str(), "recommend", "s1"],
        ] {
            let r = run_in(dir.path(), &args);
            assert_eq!(r.code, Some(1), "{name} {args:?}: {}", r.stderr);
            assert!(
                r.stderr.contains(name),
                "{name}: names the file: {}",
                r.stderr
            );
            assert!(!r.stderr.contains("panicked"), "{}", r.stderr);
        }
        assert_eq!(std::fs::read(&path).unwrap(), bytes, "{name}: untouched");
    }
}

/// The located error already says `error:`; the CLI should not add a second `error: ` before it.
#[test]
fn corrupt_session_error_is_not_prefixed_twice() {
    let dir = TempDir::new().unwrap();
    let path = dir.path().join("invalid.toml");
    std::fs::write(&path, "format_version = 1\ncreated = [\n").unwrap();
    let r = run(&["recommend", &path.display().to_string()]);
    let first = r.stderr.lines().next().unwrap_or_default();
    assert!(
        first.matches("error:").count() == 1,
        "one `error:` per line, like `validate` prints: {first:?}"
    );
}

// ---------------------------------------------------------------------------------------------
// answers kept aside

#[test]
fn answer_to_a_removed_question_is_kept_aside_and_reported() {
    let path = fixture("sessions/s1-removed-question.toml");
    let before = std::fs::read(&path).unwrap();
    let arg = path.display().to_string();

    let r = run(&["recommend", &arg]);
    assert_eq!(r.code, Some(0), "still opens: {}", r.stderr);
    assert!(
        r.stdout.contains("Verdict: SOC 1 and SOC 2"),
        "{}",
        r.stdout
    );
    let note = r
        .stderr
        .lines()
        .find(|l| l.starts_with("note:") && l.contains("removed_question"))
        .unwrap_or_default();
    assert!(
        note.contains("removed_question") && note.contains("kept aside"),
        "a note names the kept-aside answer: {}",
        r.stderr
    );

    let r = run(&["export", &arg]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert!(
        r.stdout.contains("## Answers kept aside"),
        "listed in the export"
    );
    assert!(r.stdout.contains("`removed_question`"), "{}", r.stdout);
    assert!(
        r.stderr.contains("note:") && r.stderr.contains("removed_question"),
        "{}",
        r.stderr
    );

    assert_eq!(
        std::fs::read(&path).unwrap(),
        before,
        "opening never modifies the file"
    );
}

/// A v2.0 "SOC 1 (Type 1 or Type 2)" does not say which Type: it is kept aside, not guessed,
/// and the question is asked again.
#[test]
fn a_vendor_soc1_of_unknown_type_is_kept_aside_not_guessed() {
    let q = builtin();
    let text = std::fs::read_to_string(fixture("sessions/s1-removed-question.toml"))
        .expect("fixture")
        .replace(
            "[systems.answers.vendor_soc_report]\nvalue = \"soc2_type2\"",
            "[systems.answers.vendor_soc_report]\nvalue = \"soc1\"",
        );
    assert!(
        text.contains("value = \"soc1\""),
        "the fixture still has the answer"
    );
    let (s, opened) = file::parse("old.toml", &text, &q).expect("opens");
    let okta = s
        .systems
        .iter()
        .find(|x| x.name.starts_with("Okta"))
        .expect("Okta");
    assert!(!okta.answers.contains_key("vendor_reports"), "not guessed");
    assert!(
        s.orphans
            .iter()
            .any(|o| o.question == "vendor_soc_report" && o.value.contains("soc1")),
        "{:?}",
        s.orphans
    );
    assert!(
        opened
            .notices
            .iter()
            .any(|n| n.contains("vendor_soc_report")),
        "{:?}",
        opened.notices
    );
}

/// docs/session-format.md: "Nothing is silently dropped". A kept-aside answer's note and
/// timestamp must survive the next save, not only its value.
#[test]
fn kept_aside_answer_keeps_its_note_when_saved_again() {
    let q = builtin();
    let path = fixture("sessions/s1-removed-question.toml");
    let (s, opened) = store::open(&path, &q).expect("opens");
    let kept: Vec<&String> = opened
        .notices
        .iter()
        .filter(|n| n.contains("kept aside:"))
        .collect();
    assert_eq!(kept.len(), 1, "{:?}", opened.notices);
    // Answers to questions this questionnaire replaced move to their new question (the
    // `[[migrations]]` of the built-in file), the originals kept aside too.
    assert_eq!(
        s.engagement.get("prior_reports").map(|a| &a.value),
        Some(&socscope::session::Value::List(vec!["none".into()]))
    );
    assert!(s.orphans.iter().any(|o| o.question == "first_audit"));
    // v2.1: one vendor report became a list of reports.
    let okta = s
        .systems
        .iter()
        .find(|x| x.name.starts_with("Okta"))
        .expect("Okta");
    assert_eq!(
        okta.answers.get("vendor_reports").map(|a| &a.value),
        Some(&socscope::session::Value::List(vec!["soc2_type2".into()]))
    );
    assert!(s.orphans.iter().any(|o| o.question == "vendor_soc_report"));
    let saved = file::render(&s, None).expect("renders");
    assert!(
        saved.contains("removed_question"),
        "the orphan is written back:\n{saved}"
    );
    assert!(
        saved.contains("Asked in an older version of the questionnaire."),
        "the orphan's note is written back too:\n{saved}"
    );
}

// ---------------------------------------------------------------------------------------------
// export

#[test]
fn export_markdown_to_stdout_by_default() {
    let s1 = example("s1-payroll-provider.toml");
    let r = run(&["export", &s1]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert!(
        r.stdout
            .starts_with("# SOC scoping memo: Paywell Payroll Ltd\n"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("**Recommendation: SOC 1 and SOC 2.**"));
    let explicit = run(&["export", "--format", "markdown", &s1]);
    assert_eq!(explicit.stdout, r.stdout, "markdown is the default");
    let short = run(&["export", "-f", "markdown", &s1]);
    assert_eq!(short.stdout, r.stdout);
}

#[test]
fn export_to_a_file_writes_it_and_says_where() {
    let dir = TempDir::new().unwrap();
    let s1 = example("s1-payroll-provider.toml");
    let out = dir.path().join("reports/paywell.md");
    let r = run(&["export", &s1, "-o", &out.display().to_string()]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert!(
        r.stdout.is_empty(),
        "nothing on stdout when writing a file: {}",
        r.stdout
    );
    assert!(
        r.stderr.contains(&out.display().to_string()),
        "says where: {}",
        r.stderr
    );
    let written = std::fs::read_to_string(&out).expect("file written");
    assert_eq!(written, run(&["export", &s1]).stdout, "same text as stdout");

    let json_out = dir.path().join("paywell.json");
    let r = run(&[
        "export",
        &s1,
        "--format",
        "json",
        "--output",
        &json_out.display().to_string(),
    ]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    let j: Json = serde_json::from_str(&std::fs::read_to_string(&json_out).unwrap()).unwrap();
    assert_eq!(j["verdict"], "both");
}

#[test]
fn export_json_is_the_recommend_json_plus_sensitivity_and_answers() {
    for name in EXAMPLES {
        let r = run(&["export", "--format", "json", &example(name)]);
        assert_eq!(r.code, Some(0), "{name}: {}", r.stderr);
        let mut j: Json = serde_json::from_str(&r.stdout).unwrap_or_else(|e| panic!("{name}: {e}"));
        let extra = j.as_object_mut().expect("object");
        assert!(
            extra.remove("sensitivity").is_some_and(|v| v.is_array()),
            "{name}"
        );
        assert!(
            extra.remove("answers").is_some_and(|v| v.is_array()),
            "{name}"
        );
        assert!(
            extra
                .remove("memo")
                .is_some_and(|v| v["headline"].is_string()),
            "{name}: the memo's page one"
        );
        assert_eq!(j, recommend_json(&example(name)), "{name}");
        assert!(
            j["organisation"].is_string(),
            "{name}: workshop metadata included"
        );
    }
}

#[test]
fn export_unknown_format_is_a_usage_error() {
    let r = run(&[
        "export",
        "--format",
        "pdf",
        &example("s1-payroll-provider.toml"),
    ]);
    assert_eq!(r.code, Some(2), "clap usage error: {}", r.stderr);
    assert!(
        r.stderr.contains("pdf") && r.stderr.contains("markdown"),
        "{}",
        r.stderr
    );
    assert!(r.stdout.is_empty());
}

#[test]
fn export_of_a_missing_session_suggests_list() {
    let r = run(&["export", "no-such-workshop"]);
    assert_eq!(r.code, Some(1));
    assert!(
        r.stderr.contains("no-such-workshop") && r.stderr.contains("socscope list"),
        "{}",
        r.stderr
    );
}

// ---------------------------------------------------------------------------------------------
// list

#[test]
fn list_on_an_empty_dir_is_friendly() {
    let data = TempDir::new().unwrap();
    let r = run_in(data.path(), &["list"]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert!(r.stdout.contains("No saved sessions"), "{}", r.stdout);
    assert!(
        r.stdout.contains("socscope new"),
        "says how to start one: {}",
        r.stdout
    );

    // A data dir that does not exist yet is the same as an empty one.
    let r = run_in(&data.path().join("not-created-yet"), &["list"]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert!(r.stdout.contains("No saved sessions"), "{}", r.stdout);
}

#[test]
fn list_shows_each_session_with_its_verdict() {
    let data = TempDir::new().unwrap();
    for name in ["s1-payroll-provider.toml", "s4-internal-wiki.toml"] {
        std::fs::copy(example_path(name), data.path().join(name)).unwrap();
    }
    let r = run_in(data.path(), &["list"]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    let line = |org: &str| {
        r.stdout
            .lines()
            .find(|l| l.contains(org))
            .map(str::to_string)
    };
    let s1 = line("Paywell Payroll Ltd").unwrap_or_else(|| panic!("S1 listed:\n{}", r.stdout));
    assert!(
        s1.contains("SOC 1 and SOC 2") && s1.contains("s1-payroll-provider.toml"),
        "{s1}"
    );
    let s4 = line("Fellside Instruments Ltd").unwrap_or_else(|| panic!("S4 listed:\n{}", r.stdout));
    assert!(
        s4.contains("Out of scope") && s4.contains("s4-internal-wiki.toml"),
        "{s4}"
    );
    // Most recently updated first: S4 (2026-11-26) before S1 (2026-11-20).
    assert!(
        r.stdout.find("Fellside").unwrap() < r.stdout.find("Paywell").unwrap(),
        "{}",
        r.stdout
    );
}

#[test]
fn list_shows_a_corrupt_file_as_unreadable() {
    let data = TempDir::new().unwrap();
    std::fs::copy(
        example_path("s1-payroll-provider.toml"),
        data.path().join("s1.toml"),
    )
    .unwrap();
    let broken = data.path().join("broken.toml");
    std::fs::write(&broken, "format_version = 1\ncreated = [\n").unwrap();
    std::fs::write(data.path().join("binary.toml"), [0xffu8, 0xfe, 0x00]).unwrap();
    std::fs::write(data.path().join("notes.txt"), "not a session").unwrap();
    let r = run_in(data.path(), &["list"]);
    assert_eq!(
        r.code,
        Some(0),
        "a bad file does not stop the listing: {}",
        r.stderr
    );
    assert!(r.stdout.contains("Paywell Payroll Ltd"), "{}", r.stdout);
    for name in ["broken.toml", "binary.toml"] {
        let line = r
            .stdout
            .lines()
            .find(|l| l.ends_with(name))
            .unwrap_or_default();
        assert!(
            line.contains("unreadable"),
            "{name} listed as unreadable:\n{}",
            r.stdout
        );
    }
    assert!(
        !r.stdout.contains("notes.txt"),
        "only .toml files are sessions"
    );
    assert_eq!(
        std::fs::read_to_string(&broken).unwrap(),
        "format_version = 1\ncreated = [\n"
    );
}

// ---------------------------------------------------------------------------------------------
// resume / new (error paths only: the app needs a terminal)

#[test]
fn resume_unknown_session_suggests_list() {
    let r = run(&["resume", "no-such-workshop"]);
    assert_eq!(r.code, Some(1), "{}", r.stderr);
    assert!(r.stderr.contains("no-such-workshop"), "{}", r.stderr);
    assert!(
        r.stderr.contains("socscope list"),
        "suggests `socscope list`: {}",
        r.stderr
    );
}

#[test]
fn resume_with_no_saved_sessions_suggests_new() {
    let r = run(&["resume"]);
    assert_eq!(r.code, Some(1), "{}", r.stderr);
    assert!(
        r.stderr.contains("no saved sessions") && r.stderr.contains("socscope new"),
        "{}",
        r.stderr
    );
}

#[test]
fn resume_and_new_with_a_broken_questionnaire_fail_before_the_app() {
    let q = fixture("questionnaires/syntax-error.toml")
        .display()
        .to_string();
    for args in [vec!["-q", &q, "new"], vec!["-q", &q, "resume", "anything"]] {
        let r = run(&args);
        assert_eq!(r.code, Some(1), "{args:?}: {}", r.stderr);
        assert!(
            has_located_error(&r.stderr, "syntax-error.toml"),
            "{args:?}: {}",
            r.stderr
        );
    }
}

// ---------------------------------------------------------------------------------------------
// usage

#[test]
fn help_and_version() {
    let r = run(&["--help"]);
    assert_eq!(r.code, Some(0));
    for sub in [
        "new",
        "resume",
        "list",
        "validate",
        "recommend",
        "export",
        "--questionnaire",
    ] {
        assert!(r.stdout.contains(sub), "--help mentions {sub}");
    }
    let r = run(&["--version"]);
    assert_eq!(r.code, Some(0));
    assert!(r.stdout.contains(env!("CARGO_PKG_VERSION")), "{}", r.stdout);
}

#[test]
fn unknown_subcommand_and_missing_argument_are_usage_errors() {
    let data = TempDir::new().unwrap();
    socscope(data.path())
        .arg("frobnicate")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("frobnicate"));
    socscope(data.path())
        .arg("recommend")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("<SESSION>"));
    socscope(data.path())
        .arg("validate")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("<FILE>"));
}

#[test]
fn plain_is_offered_only_where_a_workshop_runs() {
    // The commands that print and exit do not list it.
    for sub in ["import", "diff", "export", "recommend", "list", "validate"] {
        let r = run(&[sub, "--help"]);
        assert_eq!(r.code, Some(0), "{sub} --help: {}", r.stderr);
        assert!(
            !r.stdout.contains("--plain"),
            "{sub} --help lists --plain:\n{}",
            r.stdout
        );
    }
    // The workshop does: the app, `new` and `resume`.
    for args in [&["--help"][..], &["new", "--help"], &["resume", "--help"]] {
        let r = run(args);
        assert_eq!(r.code, Some(0), "{args:?}: {}", r.stderr);
        assert!(
            r.stdout.contains("--plain") && r.stdout.contains("ACCESSIBLE"),
            "{args:?} lists --plain:\n{}",
            r.stdout
        );
    }
    // After the command, before it, or ACCESSIBLE=1: plain mode (no input, so it stops).
    let data = TempDir::new().unwrap();
    let path = data.path().join("plain.toml");
    std::fs::copy(example_path("s2-log-analytics.toml"), &path).unwrap();
    let file = path.display().to_string();
    for args in [
        &["resume", file.as_str(), "--plain"][..],
        &["--plain", "resume", file.as_str()],
    ] {
        let r = run_in(data.path(), args);
        assert_eq!(r.code, Some(0), "{args:?}: {}", r.stderr);
        assert!(
            r.stdout.contains("Resuming the workshop for Loglight"),
            "{args:?}: {}",
            r.stdout
        );
    }
    let out = socscope(data.path())
        .env("ACCESSIBLE", "1")
        .args(["resume", &file])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("Resuming the workshop for Loglight"));
    let new_file = data.path().join("new.toml").display().to_string();
    let r = run_in(
        data.path(),
        &[
            "new",
            "--plain",
            "--organisation",
            "Plain Co",
            "-o",
            &new_file,
        ],
    );
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert!(
        r.stdout.contains("New workshop for Plain Co"),
        "{}",
        r.stdout
    );
    // Not an option of the other commands after them; before them it changes nothing.
    let r = run_in(data.path(), &["diff", &file, &file, "--plain"]);
    assert_eq!(r.code, Some(2), "{}", r.stderr);
    let r = run_in(data.path(), &["--plain", "list"]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert!(r.stdout.contains("Loglight"), "{}", r.stdout);
}

/// `socscope list` shows the organisation, so a facilitator types `resume Spendwise`: a session
/// is found by its organisation's name (the newest of its files), not only by its file name;
/// "Acme" does not find "Acme Corp"'s file.
#[test]
fn a_session_is_found_by_its_organisation_as_list_shows_it() {
    let data = TempDir::new().expect("temp dir");
    let s1 = example_path("s1-payroll-provider.toml");
    std::fs::copy(&s1, data.path().join("spendwise-ltd-2026-11-02.toml")).unwrap();
    std::fs::copy(&s1, data.path().join("acme-corp-2026-11-02.toml")).unwrap();
    let r = run_in(data.path(), &["recommend", "Spendwise Ltd", "--json"]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    let r = run_in(data.path(), &["recommend", "spendwise ltd", "--json"]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    let r = run_in(data.path(), &["recommend", "Acme", "--json"]);
    assert_ne!(r.code, Some(0), "Acme must not find Acme Corp's session");
    assert!(r.stderr.contains("no session file"), "{}", r.stderr);
    // ...but it is offered, whole, so the facilitator can type it (QA: `resume Northwind`).
    assert!(
        r.stderr
            .contains("did you mean `socscope resume acme-corp`"),
        "{}",
        r.stderr
    );
    let r = run_in(data.path(), &["recommend", "spend", "--json"]);
    assert!(
        r.stderr
            .contains("did you mean `socscope resume spendwise-ltd`"),
        "{}",
        r.stderr
    );
    // A second workshop the same day is `-N` after the date: found by its organisation too.
    std::fs::copy(&s1, data.path().join("loglight-2026-11-03-2.toml")).unwrap();
    let r = run_in(data.path(), &["recommend", "Loglight", "--json"]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    let r = run_in(data.path(), &["recommend", "Zeta", "--json"]);
    assert!(!r.stderr.contains("did you mean"), "{}", r.stderr);
}
