//! `socscope validate`: every problem of a broken questionnaire, each at its line and column.
//! Fixtures live in tests/fixtures/questionnaires/.

use std::path::Path;

use socscope::questionnaire::{self, check};

fn problems(name: &str) -> Vec<(usize, usize, String)> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/questionnaires")
        .join(name);
    let text = std::fs::read_to_string(&path).expect("fixture exists");
    match check(name, &text) {
        Ok(_) => Vec::new(),
        Err(e) => e
            .problems
            .into_iter()
            .map(|p| (p.pos.line, p.pos.col, p.message))
            .collect(),
    }
}

fn has(problems: &[(usize, usize, String)], line: usize, col: usize, needle: &str) -> bool {
    problems
        .iter()
        .any(|(l, c, m)| *l == line && *c == col && m.contains(needle))
}

#[test]
fn builtin_questionnaire_is_valid() {
    // The full check (including rules that can never fire), as `socscope validate` runs it.
    let q = check(questionnaire::BUILTIN_NAME, questionnaire::BUILTIN_SOURCE)
        .unwrap_or_else(|e| panic!("built-in questionnaire:\n{e}"));
    assert_eq!(q.id, "soc-scoping");
    assert!(
        q.identity_kind_question().is_some(),
        "identity kind question is marked"
    );
}

#[test]
fn reports_every_reference_problem_with_position() {
    let p = problems("bad-references.toml");
    let expected = [
        (14, 6, "duplicate question id `requesters`"),
        (19, 1, "`pick` is a single question with no choices"),
        (30, 17, "show_if references `later`, which comes later"),
        (37, 24, "`PP1.2` is not a Trust Services Criteria ID"),
        (42, 14, "unknown question id `requestors`"),
        (49, 14, "`auditor` is not a choice of question `requesters`"),
        (52, 15, "`P1.8` is not a Trust Services Criteria ID"),
        (54, 1, "rule `r_never` can never fire"),
        (66, 17, "show_if references `cycle_b`, which comes later"),
        (
            88,
            10,
            "choice `only` of question `one_of` is marked exclusive",
        ),
    ];
    for (line, col, needle) in expected {
        assert!(
            has(&p, line, col, needle),
            "missing {line}:{col} {needle}; got {p:#?}"
        );
    }
    assert_eq!(p.len(), expected.len(), "no follow-on noise: {p:#?}");
}

#[test]
fn fix_hints_name_the_likely_fix() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/questionnaires/bad-references.toml");
    let text = std::fs::read_to_string(path).expect("fixture exists");
    let err = check("bad-references.toml", &text).expect_err("fixture is broken");
    let shown = err.to_string();
    assert!(shown.contains("did you mean `requesters`?"), "{shown}");
    assert!(shown.contains("did you mean `PI1.2`?"), "{shown}");
    assert!(
        shown.starts_with("bad-references.toml:14:6: error:"),
        "{shown}"
    );
}

#[test]
fn toml_syntax_error_points_at_the_spot() {
    let p = problems("syntax-error.toml");
    assert_eq!(p.len(), 1, "{p:?}");
    assert_eq!((p[0].0, p[0].1), (10, 24), "{p:?}");
}

#[test]
fn misspelt_key_is_named() {
    let p = problems("unknown-key.toml");
    assert!(has(&p, 11, 1, "unknown field `hepl`"), "{p:?}");
}

#[test]
fn minimal_questionnaire_loads() {
    assert!(problems("valid-minimal.toml").is_empty());
}
