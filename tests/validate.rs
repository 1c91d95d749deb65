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
fn boundary_features_used_where_they_cannot_work_are_located() {
    let p = problems("bad-boundary.toml");
    let expected = [
        (
            18,
            11,
            "`creates` of `provider` pre-fills unknown question `missing`",
        ),
        (18, 11, "the answer for `operated_by` does not fit"),
        (
            25,
            11,
            "`creates` of `nickname` needs a system-scope text question",
        ),
        (
            27,
            1,
            "rule `identity_in_scope` tests `in_scope` or `supports` but is not a system rule",
        ),
        (
            34,
            1,
            "rule `late_decides` tests `in_scope` or `supports` and decides something",
        ),
        (
            44,
            8,
            "`supports` takes \"soc1\", \"soc2\" or \"any\", not `soc3`",
        ),
        (
            54,
            1,
            "rule `framework_alone` names a framework without a note",
        ),
        (
            61,
            1,
            "rule `cuecs_on_an_identity` yields `cuecs` but has scope identity",
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

// ---------------------------------------------------------------------------------------------
// Hostile sizes (issue 11, item 11): loading and checking stay linear in the file. The work is
// counted (`validate::counted`), never timed; benches/questionnaire.rs has the times.

mod hostile;

use proptest::prelude::*;
use socscope::questionnaire::condition::{Condition, EntityKey, Env, Lookup, Trace, Tri};
use socscope::questionnaire::load::{self as loader, load};
use socscope::questionnaire::validate::counted;
use socscope::session::Value;

/// Steps taken to load, and to check, the file `make(n)`.
fn steps(make: fn(usize) -> String, n: usize) -> (u64, u64) {
    let src = make(n);
    let (_, load_steps) = counted(|| load("hostile.toml", &src).map(|_| ()));
    let (_, check_steps) = counted(|| check("hostile.toml", &src).map(|_| ()));
    (load_steps, check_steps)
}

/// Doubling the input at most about doubles the work of loading, and of what checking adds
/// (the search for rules that never fire).
fn assert_linear(what: &str, make: fn(usize) -> String, n: usize) {
    let (load_small, check_small) = steps(make, n);
    let (load_big, check_big) = steps(make, 2 * n);
    let search = |check: u64, load: u64| check.saturating_sub(load);
    for (how, small, big) in [
        ("load", load_small, load_big),
        (
            "search",
            search(check_small, load_small),
            search(check_big, load_big),
        ),
    ] {
        let ratio = big as f64 / small.max(1) as f64;
        assert!(
            ratio <= 2.5,
            "{what}, {how}: {small} steps at n = {n}, {big} at n = {}: x{ratio:.1}",
            2 * n
        );
    }
}

#[test]
fn a_show_if_chain_testing_the_previous_question_twice_is_checked_in_linear_work() {
    // The search for rules that never fire evaluated each show_if again for every test of
    // the question it shows: 4^n per answer combination, 18 s at n = 10.
    let chains: [fn(usize) -> String; 2] = [hostile::twice_chain, hostile::twice_chain_yesno];
    for make in chains {
        assert_linear("twice-tested chain", make, 3);
        assert_linear("twice-tested chain", make, 50);
        for n in [10, 12, 100] {
            let (r, notes) = loader::check_with_notes("chain.toml", &make(n));
            assert!(r.is_ok(), "n = {n}: the rule can fire: {:?}", r.err());
            assert!(
                notes.notes.is_empty(),
                "n = {n}: checked completely: {notes}"
            );
        }
    }
}

#[test]
fn a_long_show_if_chain_is_checked_in_linear_work() {
    // Each question's candidate answers were found by scanning every condition's tests.
    assert_linear("number chain", hostile::number_chain, 500);
}

#[test]
fn unknown_question_ids_get_hints_in_linear_work() {
    // Each unknown id was compared with every question id (85 s at 580 KB, on every load).
    assert_linear("unknown ids", hostile::unknown_ids, 150);
    let err = load("typo.toml", &hostile::unknown_ids(2000)).expect_err("unknown ids");
    let shown = err.to_string();
    assert!(shown.contains("unknown question id `qq1`"), "{shown}");
    assert!(shown.contains("did you mean `q1`?"), "{shown}");
    assert!(shown.contains("unknown question id `x1999`"), "{shown}");
}

#[test]
fn positions_on_one_long_line_cost_linear_work() {
    // Columns were counted from the start of the line for every position.
    assert_linear("one line", hostile::one_line, 200);
    let q = load("one-line.toml", &hostile::one_line(10)).expect("valid");
    assert_eq!(q.questions.len(), 10);
}

#[test]
fn a_rule_testing_many_questions_costs_linear_work() {
    // Each test's position was searched for from the start of the condition.
    assert_linear("wide rule", hostile::wide_rule, 300);
}

#[test]
fn many_choices_and_evidence_kinds_cost_linear_work() {
    // Choices and evidence kinds were found by scanning their lists.
    assert_linear("many choices", hostile::many_choices, 200);
    assert_linear("many evidence kinds", hostile::many_evidence, 200);
}

#[test]
fn a_rule_the_search_cannot_settle_is_noted_not_judged() {
    // 20 pairs of which either answer may be yes: more combinations than the search tries.
    // Before, such rules were skipped without a word.
    let (result, notes) = loader::check_with_notes("hard.toml", &hostile::hard_rule(20));
    assert!(result.is_ok(), "no claim either way: {:?}", result.err());
    let shown = notes.to_string();
    assert_eq!(notes.notes.len(), 1, "{shown}");
    assert!(
        shown.starts_with("hard.toml:252:1: note: rule `r_hard` was not checked completely"),
        "{shown}"
    );
    assert!(shown.contains("help: this is not an error"), "{shown}");
    // A smaller one is settled: it can never fire.
    let err = check("hard.toml", &hostile::hard_rule(3)).expect_err("never fires");
    assert!(
        err.to_string().contains("rule `r_hard` can never fire"),
        "{err}"
    );
}

#[test]
fn the_builtin_questionnaire_is_checked_completely() {
    let (result, notes) =
        loader::check_with_notes(questionnaire::BUILTIN_NAME, questionnaire::BUILTIN_SOURCE);
    assert!(result.is_ok(), "{:?}", result.err());
    assert!(notes.notes.is_empty(), "{notes}");
}

// The search prunes and remembers states; on small questionnaires it must agree with trying
// every combination of answers.

/// A tiny deterministic generator (splitmix64), so a failing case is reproducible by its seed.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        ((z ^ (z >> 31)) % n as u64) as usize
    }
}

const KINDS: [&str; 6] = ["yesno", "single", "multi", "number", "date", "text"];

/// A random condition over questions `0..upto`, as TOML.
fn random_condition(rng: &mut Rng, kinds: &[usize], upto: usize, depth: usize) -> String {
    let pick = if depth == 0 { 0 } else { rng.below(5) };
    match pick {
        1 | 2 => {
            let parts: Vec<String> = (0..1 + rng.below(3))
                .map(|_| random_condition(rng, kinds, upto, depth - 1))
                .collect();
            let op = if pick == 1 { "all" } else { "any" };
            format!("{{ {op} = [{}] }}", parts.join(", "))
        }
        3 => format!(
            "{{ not = {} }}",
            random_condition(rng, kinds, upto, depth - 1)
        ),
        _ => {
            let qi = rng.below(upto);
            let t = rng.below(4);
            let test = match KINDS[kinds[qi]] {
                "yesno" => [
                    "is = \"yes\"",
                    "is = \"no\"",
                    "in = [\"yes\"]",
                    "answered = false",
                ][t],
                "single" => [
                    "is = \"a\"",
                    "is = \"b\"",
                    "in = [\"a\", \"c\"]",
                    "answered = true",
                ][t],
                "multi" => [
                    "has = \"a\"",
                    "has_any = [\"b\", \"c\"]",
                    "has = \"c\"",
                    "answered = false",
                ][t],
                "number" => ["gt = 0", "lte = 5", "gte = 5", "lt = 0"][t],
                "date" => [
                    "gt = \"2026-01-01\"",
                    "lt = \"2026-01-03\"",
                    "lte = \"2026-01-01\"",
                    "gte = \"2026-01-03\"",
                ][t],
                _ => [
                    "answered = true",
                    "answered = false",
                    "answered = true",
                    "answered = true",
                ][t],
            };
            format!("{{ q = \"q{qi}\", {test} }}")
        }
    }
}

fn random_questionnaire(seed: u64) -> String {
    let mut rng = Rng(seed);
    let n = 1 + rng.below(4);
    let kinds: Vec<usize> = (0..n).map(|_| rng.below(KINDS.len())).collect();
    let mut s = String::from("[questionnaire]\nid = \"r\"\ntitle = \"R\"\nversion = \"1\"\n\n");
    for (i, &k) in kinds.iter().enumerate() {
        s.push_str(&format!(
            "[[questions]]\nid = \"q{i}\"\nscope = \"engagement\"\nkind = \"{}\"\ntext = \"?\"\n",
            KINDS[k]
        ));
        if matches!(KINDS[k], "single" | "multi") {
            s.push_str("choices = [{ id = \"a\", label = \"A\" }, { id = \"b\", label = \"B\" }, { id = \"c\", label = \"C\" }]\n");
        }
        if i > 0 && rng.below(3) > 0 {
            s.push_str(&format!(
                "show_if = {}\n",
                random_condition(&mut rng, &kinds, i, 2)
            ));
        }
        s.push('\n');
    }
    for r in 0..1 + rng.below(3) {
        s.push_str(&format!(
            "[[rules]]\nid = \"r{r}\"\nscope = \"engagement\"\nwhen = {}\nrationale = \"R.\"\nsoc1 = true\n\n",
            random_condition(&mut rng, &kinds, n, 3)
        ));
    }
    s
}

/// Every answer a question of the generated kinds can usefully have.
fn every_answer(kind: &str) -> Vec<Value> {
    let text = |s: &str| Value::Text(s.to_string());
    let mut out = vec![Value::Unknown];
    match kind {
        "yesno" => out.extend([text("yes"), text("no")]),
        "single" => out.extend([text("a"), text("b"), text("c")]),
        "multi" => {
            for mask in 0..8u32 {
                let items = ["a", "b", "c"]
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| mask & (1 << i) != 0)
                    .map(|(_, s)| s.to_string())
                    .collect();
                out.push(Value::List(items));
            }
        }
        "number" => out.extend([-1.0, 0.0, 1.0, 4.0, 5.0, 6.0].map(Value::Number)),
        "date" => out.extend(
            [
                "2025-12-31",
                "2026-01-01",
                "2026-01-02",
                "2026-01-03",
                "2026-01-04",
            ]
            .map(text),
        ),
        _ => out.push(text("x")),
    }
    out
}

/// All questions answered: a question is hidden when its show_if is false.
struct Everything<'a> {
    q: &'a socscope::questionnaire::Questionnaire,
    answers: Vec<Value>,
}

impl Env for Everything<'_> {
    fn owner(&self, _: usize) -> EntityKey {
        EntityKey::Engagement
    }
    fn lookup(&self, qi: usize) -> Lookup<'_> {
        match &self.q.questions[qi].show_if {
            Some(c) if c.value(self) == Tri::False => Lookup::Hidden,
            _ => Lookup::Answer(&self.answers[qi]),
        }
    }
    fn any_system(&self, c: &Condition, _: &mut Trace) -> Tri {
        c.value(self)
    }
    fn any_system_in_scope(&self, _: &mut Trace) -> Tri {
        Tri::True
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn the_search_agrees_with_trying_every_answer(seed in any::<u64>()) {
        let src = random_questionnaire(seed);
        let q = load("random.toml", &src).expect("generated files are valid");
        let answers: Vec<Vec<Value>> =
            q.questions.iter().map(|x| every_answer(x.kind.as_str())).collect();
        let mut never = Vec::new();
        for rule in &q.rules {
            let mut pick = vec![0usize; answers.len()];
            let fires = 'all: loop {
                let env = Everything {
                    q: &q,
                    answers: pick.iter().zip(&answers).map(|(&k, a)| a[k].clone()).collect(),
                };
                if rule.when.value(&env) == Tri::True {
                    break 'all true;
                }
                let mut k = 0;
                loop {
                    if k == pick.len() {
                        break 'all false;
                    }
                    pick[k] += 1;
                    if pick[k] < answers[k].len() {
                        break;
                    }
                    pick[k] = 0;
                    k += 1;
                }
            };
            if !fires {
                never.push(format!("rule `{}` can never fire", rule.id));
            }
        }
        let found: Vec<String> = match check("random.toml", &src) {
            Ok(_) => Vec::new(),
            Err(e) => e.problems.into_iter().map(|p| p.message).collect(),
        };
        prop_assert_eq!(found.len(), never.len(), "{}\nfound {:?}", src, found);
        for n in &never {
            prop_assert!(found.iter().any(|f| f.starts_with(n.as_str())), "{}\n{} missing: {:?}", src, n, found);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The command line

fn socscope(args: &[&std::ffi::OsStr]) -> (Option<i32>, String, String) {
    let data = tempfile::TempDir::new().expect("temp dir");
    let out = assert_cmd::Command::cargo_bin("socscope")
        .expect("binary is built")
        .env("SOCSCOPE_DATA_DIR", data.path())
        .env("NO_COLOR", "1")
        .args(args)
        .output()
        .expect("socscope runs");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn a_questionnaire_that_is_not_utf8_is_refused_at_the_first_bad_byte() {
    let dir = tempfile::TempDir::new().expect("temp dir");
    let path = dir.path().join("latin1.toml");
    // `é` written in Latin-1 (0xe9) on line 2, after `title = "Caf`.
    let bytes = b"[questionnaire]\ntitle = \"Caf\xe9\"\n".to_vec();
    std::fs::write(&path, &bytes).expect("write");
    let p = path.as_os_str();
    for args in [
        vec!["validate".as_ref(), p],
        vec!["-q".as_ref(), p, "list".as_ref()],
    ] {
        let (code, _, stderr) = socscope(&args);
        assert_eq!(code, Some(1), "{stderr}");
        let at = format!("{}:2:13: error: not UTF-8 text", path.display());
        assert!(stderr.starts_with(&at), "{stderr}");
        assert!(stderr.contains("byte 0xe9 at byte offset 28"), "{stderr}");
        assert!(stderr.contains("help: save the file as UTF-8"), "{stderr}");
        assert_eq!(stderr.matches("error:").count(), 1, "{stderr}");
    }
    assert_eq!(std::fs::read(&path).expect("read"), bytes, "untouched");
}

#[test]
fn validate_says_which_rules_it_could_not_check_and_still_succeeds() {
    let dir = tempfile::TempDir::new().expect("temp dir");
    let path = dir.path().join("hard.toml");
    std::fs::write(&path, hostile::hard_rule(20)).expect("write");
    let (code, stdout, stderr) = socscope(&["validate".as_ref(), path.as_os_str()]);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stdout.contains("ok: `hostile` v1"), "{stdout}");
    assert!(
        stderr.contains(":252:1: note: rule `r_hard` was not checked completely"),
        "{stderr}"
    );
    assert!(!stderr.contains("error:"), "{stderr}");
}

#[test]
fn which_choices_are_soc_reports_is_declared_and_checked() {
    let src = questionnaire::BUILTIN_SOURCE;
    let refused = |text: &str, needle: &str| {
        assert_ne!(text, src, "the edit applies");
        let messages: Vec<String> = match check("edited.toml", text) {
            Ok(_) => Vec::new(),
            Err(e) => e.problems.into_iter().map(|p| p.message).collect(),
        };
        assert!(
            messages.iter().any(|m| m.contains(needle)),
            "{needle}: {messages:?}"
        );
    };
    // The vendor reports question without any `report`: held reports would silently be none.
    let bare = src
        .replace(", report = \"soc2\" }", " }")
        .replace(", report = \"soc1\" }", " }");
    refused(
        &bare,
        "`vendor_reports` (role vendor_reports) has no choice with `report`",
    );
    refused(
        &src.replacen("report = \"soc2\" }", "report = \"soc3\" }", 1),
        "unknown report `soc3` on choice `soc2_type2`",
    );
    refused(
        &src.replacen(
            "{ id = \"soc2_type2\", label = \"A SOC 2 Type 2\" }",
            "{ id = \"soc2_type2\", label = \"A SOC 2 Type 2\", report = \"soc2\" }",
            1,
        ),
        "`prior_reports` has choices with `report`",
    );
    // `scenario` names a Type rule's case: without a Type it is refused.
    refused(
        &src.replacen(
            "brief = \"Customers' auditors or controllers ask for a SOC 1\"",
            "brief = \"Customers' auditors or controllers ask for a SOC 1\"\nscenario = \"x\"",
            1,
        ),
        "`eng_soc1_requested` names a scenario without a Type",
    );
}
