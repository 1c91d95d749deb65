//! Hostile text never reaches a terminal raw: every byte the program sends toward a terminal
//! (messages, errors, `list`, `recommend`, exports) goes through one sanitiser, and JSON escapes
//! what it cannot drop. Each case is one an attacker got through before (docs/reliability.md).

mod common;

use std::path::Path;

use assert_cmd::Command;
use tempfile::TempDir;

const OSC52: &str = "\u{1b}]52;c;SGVsbG8=\u{7}";

fn socscope(data: &Path) -> Command {
    let mut cmd = Command::cargo_bin("socscope").expect("binary is built");
    cmd.env("SOCSCOPE_DATA_DIR", data);
    cmd.env("NO_COLOR", "1");
    cmd
}

/// Nothing a terminal would act on or show differently: no C0/C1 control but newline, no bidi
/// override, no zero-width character.
fn assert_clean(what: &str, text: &str) {
    let bad: Vec<String> = text
        .chars()
        .filter(|c| *c != '\n' && socscope::text::is_unsafe(*c))
        .map(|c| format!("U+{:04X}", c as u32))
        .collect();
    assert!(bad.is_empty(), "{what} holds {bad:?}:\n{text:?}");
}

fn toml_escape(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_control() || socscope::text::is_invisible_format(c) {
                format!("\\u{:04X}", c as u32)
            } else {
                c.to_string()
            }
        })
        .collect()
}

/// The S2 example with `organisation` replaced and an answer to a question the questionnaire
/// does not have (kept aside, and reported on open).
fn hostile_session(dir: &Path, organisation: &str, orphan_question: &str) -> std::path::PathBuf {
    let text = std::fs::read_to_string(common::example_path("s2-log-analytics.toml")).unwrap();
    let mut out = String::new();
    let mut added = false;
    for line in text.lines() {
        if line.starts_with("[engagement.answers.") && !added {
            out.push_str(&format!(
                "[engagement.answers.\"{}\"]\nvalue = \"yes\"\nat = 2026-11-23T09:00:00Z\n\n",
                toml_escape(orphan_question)
            ));
            added = true;
        }
        if line.starts_with("organisation = ") {
            out.push_str(&format!(
                "organisation = \"{}\"\n",
                toml_escape(organisation)
            ));
        } else {
            out.push_str(line);
            out.push('\n');
        }
    }
    assert!(added, "the example has engagement answers");
    let path = dir.join("hostile.toml");
    std::fs::write(&path, out).unwrap();
    path
}

#[test]
fn kept_aside_notices_and_list_are_clean() {
    let dir = TempDir::new().unwrap();
    let path = hostile_session(
        dir.path(),
        &format!("Evil{OSC52}\u{202e}Corp\u{200b}"),
        &format!("q{OSC52}x"),
    );
    for args in [
        vec!["recommend".to_string(), path.display().to_string()],
        vec![
            "export".to_string(),
            path.display().to_string(),
            "--format".into(),
            "markdown".into(),
        ],
        vec![
            "diff".to_string(),
            path.display().to_string(),
            path.display().to_string(),
        ],
    ] {
        let out = socscope(dir.path()).args(&args).output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("kept aside"), "{args:?}: {err}");
        assert_clean(&format!("{args:?} stderr"), &err);
        assert_clean(
            &format!("{args:?} stdout"),
            &String::from_utf8_lossy(&out.stdout),
        );
    }
    let out = socscope(dir.path()).arg("list").output().unwrap();
    let listed = String::from_utf8_lossy(&out.stdout);
    assert!(
        listed.contains("EvilCorp") || listed.contains("Evil"),
        "{listed}"
    );
    assert_clean("list", &listed);
}

#[test]
fn json_escapes_c1_controls_and_bidi_but_keeps_the_data() {
    let dir = TempDir::new().unwrap();
    let org = "Acme\u{9b}31m\u{202e}gpj.exe";
    let path = hostile_session(dir.path(), org, "nothing_special");
    let out = socscope(dir.path())
        .args(["recommend", &path.display().to_string(), "--json"])
        .output()
        .unwrap();
    let json = String::from_utf8(out.stdout).unwrap();
    assert_clean("recommend --json", &json);
    assert!(json.contains("\\u009b"), "{json}");
    let v: serde_json::Value = serde_json::from_str(&json).expect("still JSON");
    assert!(v.to_string().contains('\u{9b}'), "the data itself is kept");
}

#[test]
fn errors_quoting_file_content_are_clean() {
    let dir = TempDir::new().unwrap();
    // An unknown field in the session file: the TOML error quotes its name.
    let text = std::fs::read_to_string(common::example_path("s2-log-analytics.toml")).unwrap();
    let bad = text.replacen(
        "[workshop]\n",
        &format!(
            "[workshop]\n\"{}\" = 1\n",
            toml_escape(&format!("x{OSC52}"))
        ),
        1,
    );
    let path = dir.path().join("bad.toml");
    std::fs::write(&path, bad).unwrap();
    let out = socscope(dir.path())
        .args(["recommend", &path.display().to_string()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("error"), "{err}");
    assert_clean("session error", &err);

    // A questionnaire whose question id holds an escape sequence: validate quotes it.
    let q = socscope::questionnaire::BUILTIN_SOURCE.replacen(
        "id = \"sox_customers\"",
        &format!("id = \"{}\"", toml_escape(&format!("sox{OSC52}"))),
        1,
    );
    let qpath = dir.path().join("q.toml");
    std::fs::write(&qpath, q).unwrap();
    let out = socscope(dir.path())
        .args(["validate", &qpath.display().to_string()])
        .output()
        .unwrap();
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert_clean("validate", &all);
}

#[test]
fn markdown_drops_bidi_overrides_and_zero_width_characters() {
    let dir = TempDir::new().unwrap();
    let path = hostile_session(dir.path(), "Pay\u{202e}roll\u{200b} Ltd\u{2066}", "nothing");
    let out = socscope(dir.path())
        .args(["export", &path.display().to_string()])
        .output()
        .unwrap();
    let md = String::from_utf8(out.stdout).unwrap();
    assert_clean("markdown", &md);
    assert!(md.contains("Payroll Ltd"), "the readable text stays");
}
