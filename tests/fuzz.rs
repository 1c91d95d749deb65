//! Hostile input (docs/reliability.md §6): bounded property-based fuzzing in the normal test
//! suite. Every loader gets arbitrary bytes and mutated valid files; the evaluator gets arbitrary
//! answers and random conditions. None may panic; inputs are size-bounded, so none can hang or
//! grow without bound. The cargo-fuzz targets in fuzz/ run the same entry points open-ended.

use std::sync::OnceLock;

use proptest::prelude::*;
use socscope::engine;
use socscope::questionnaire::condition::{
    Atom, Bound, Condition, EntityKey, Env, Lookup, Test, Trace, Tri,
};
use socscope::questionnaire::{self, Kind, Pos, Questionnaire};
use socscope::session::{Answer, EntityId, Session, Value, file};

fn builtin() -> &'static Questionnaire {
    static Q: OnceLock<Questionnaire> = OnceLock::new();
    Q.get_or_init(|| questionnaire::builtin().expect("builtin"))
}

const MINIMAL: &str = include_str!("fixtures/questionnaires/valid-minimal.toml");
const BUILTIN_SRC: &str = include_str!("../questionnaires/soc-scoping.toml");
const SESSIONS: &[&str] = &[
    include_str!("../assets/examples/s1-payroll-provider.toml"),
    include_str!("../assets/examples/s3-billing-service-account.toml"),
    include_str!("../assets/examples/s5-nothing-decided.toml"),
];

/// Text that looks like TOML more often than random bytes do.
fn tomlish() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            Just("[".to_string()),
            Just("]".to_string()),
            Just("[[".to_string()),
            Just("]]\n".to_string()),
            Just(" = ".to_string()),
            Just("\"".to_string()),
            Just("'''".to_string()),
            Just("\n".to_string()),
            Just("{ q = \"x\", is = \"yes\" }".to_string()),
            Just("questions".to_string()),
            Just("format_version = 1\n".to_string()),
            Just("answers".to_string()),
            Just("1979-05-27T07:32:00Z".to_string()),
            "[a-z_]{1,8}".prop_map(|s| s),
            any::<char>().prop_map(|c| c.to_string()),
        ],
        0..200,
    )
    .prop_map(|parts| parts.concat())
}

#[derive(Debug, Clone)]
enum Mutation {
    Delete(usize, usize),
    Insert(usize, String),
    Duplicate(usize, usize),
    Truncate(usize),
    Flip(usize, u8),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), 0usize..64).prop_map(|(a, n)| Mutation::Delete(a, n)),
        (any::<usize>(), "(?s).{0,24}").prop_map(|(a, s)| Mutation::Insert(a, s)),
        (any::<usize>(), 0usize..256).prop_map(|(a, n)| Mutation::Duplicate(a, n)),
        any::<usize>().prop_map(Mutation::Truncate),
        (any::<usize>(), any::<u8>()).prop_map(|(a, b)| Mutation::Flip(a, b)),
    ]
}

/// Applies mutations to bytes; the result may not be UTF-8 (then it is decoded lossily, as a
/// loader never sees invalid UTF-8: `store::open` refuses it first).
fn mutate(src: &str, ms: &[Mutation]) -> String {
    let mut b = src.as_bytes().to_vec();
    for m in ms {
        let len = b.len().max(1);
        match m {
            Mutation::Delete(a, n) => {
                let a = a % len;
                let end = (a + n).min(b.len());
                if a < end {
                    b.drain(a..end);
                }
            }
            Mutation::Insert(a, s) => {
                let a = (a % len).min(b.len());
                b.splice(a..a, s.bytes());
            }
            Mutation::Duplicate(a, n) => {
                let a = (a % len).min(b.len());
                let end = (a + n).min(b.len());
                let piece = b[a..end].to_vec();
                b.splice(a..a, piece);
            }
            Mutation::Truncate(a) => b.truncate(a % len),
            Mutation::Flip(a, x) => {
                if !b.is_empty() {
                    let i = a % b.len();
                    b[i] ^= x;
                }
            }
        }
    }
    b.truncate(256 * 1024);
    String::from_utf8_lossy(&b).into_owned()
}

/// An error must point inside the file (line and column start at 1).
fn located_inside(src: &str, problems: &[questionnaire::load::Problem]) -> bool {
    let lines = src.lines().count().max(1) + 1;
    problems
        .iter()
        .all(|p| p.pos.line >= 1 && p.pos.col >= 1 && p.pos.line <= lines)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn questionnaire_loader_survives_arbitrary_bytes(bytes in prop::collection::vec(any::<u8>(), 0..4096)) {
        let text = String::from_utf8_lossy(&bytes);
        if let Err(e) = questionnaire::load("fuzz.toml", &text) {
            prop_assert!(!e.problems.is_empty());
            prop_assert!(located_inside(&text, &e.problems));
        }
    }

    #[test]
    fn questionnaire_loader_survives_tomlish_text(text in tomlish()) {
        let _ = questionnaire::load("fuzz.toml", &text);
    }

    #[test]
    fn questionnaire_loader_survives_mutated_valid_files(ms in prop::collection::vec(mutation(), 1..6)) {
        let text = mutate(MINIMAL, &ms);
        if let Err(e) = questionnaire::load("fuzz.toml", &text) {
            prop_assert!(located_inside(&text, &e.problems));
        }
    }

    #[test]
    fn session_loader_survives_arbitrary_bytes(bytes in prop::collection::vec(any::<u8>(), 0..4096)) {
        let text = String::from_utf8_lossy(&bytes);
        let _ = file::parse("fuzz.toml", &text, builtin());
    }

    #[test]
    fn session_loader_survives_mutated_sessions(which in 0..SESSIONS.len(), ms in prop::collection::vec(mutation(), 1..6)) {
        let text = mutate(SESSIONS[which], &ms);
        match file::parse("fuzz.toml", &text, builtin()) {
            // Whatever parses can be evaluated, rendered and parsed again to the same session.
            Ok((s, _)) => {
                let r = engine::recommend(builtin(), &s);
                let out = file::render(&s, socscope::report::summary::file_summary(&r)).expect("renders");
                let (back, _) = file::parse("again.toml", &out, builtin()).expect("re-parses");
                prop_assert_eq!(back.engagement.len(), s.engagement.len());
            }
            Err(e) => prop_assert!(!e.problems.is_empty()),
        }
    }
}

proptest! {
    // Loading the full built-in questionnaire is slower: fewer cases.
    #![proptest_config(ProptestConfig { cases: 64, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn builtin_questionnaire_mutations_never_panic(ms in prop::collection::vec(mutation(), 1..4)) {
        let text = mutate(BUILTIN_SRC, &ms);
        if let Err(e) = questionnaire::load("fuzz.toml", &text) {
            prop_assert!(located_inside(&text, &e.problems));
        }
    }
}

// ----- the evaluator ---------------------------------------------------------------------------

/// Any value, including ones of the wrong shape for the question (the engine must cope).
fn any_value() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Unknown),
        "[a-z_]{0,12}".prop_map(Value::Text),
        "(?s).{0,40}".prop_map(Value::Text),
        prop_oneof![
            Just(f64::NAN),
            Just(f64::INFINITY),
            any::<f64>(),
            -10.0..100.0f64
        ]
        .prop_map(Value::Number),
        prop::collection::vec("[a-z_]{0,12}", 0..4).prop_map(Value::List),
        "20[0-9]{2}-[01][0-9]-[0-3][0-9]".prop_map(Value::Text),
    ]
}

/// A plausible value for a question: one of its choices, or a fitting number/date/text.
fn fitting(kind: Kind, choices: Vec<String>, pick: usize, n: f64) -> Value {
    match kind {
        Kind::YesNo | Kind::Single if !choices.is_empty() => {
            Value::Text(choices[pick % choices.len()].clone())
        }
        Kind::Multi => Value::List(
            choices
                .iter()
                .enumerate()
                .filter(|(i, _)| (pick >> i) & 1 == 1)
                .map(|(_, c)| c.clone())
                .collect(),
        ),
        Kind::Number => Value::Number(n),
        Kind::Date => Value::Text("2025-06-30".into()),
        _ => Value::Text("free text".into()),
    }
}

#[derive(Debug, Clone)]
struct Plan {
    systems: usize,
    identities: usize,
    links: Vec<(usize, usize)>,
    /// (entity index, question index, mode, pick, number, any value)
    answers: Vec<(usize, usize, u8, usize, f64, Value)>,
}

fn plan() -> impl Strategy<Value = Plan> {
    (
        0usize..4,
        0usize..4,
        prop::collection::vec((0usize..8, 0usize..8), 0..8),
        prop::collection::vec(
            (
                0usize..16,
                0usize..64,
                0u8..4,
                any::<usize>(),
                -5.0..40.0f64,
                any_value(),
            ),
            0..60,
        ),
    )
        .prop_map(|(systems, identities, links, answers)| Plan {
            systems,
            identities,
            links,
            answers,
        })
}

/// Builds a session from a plan, putting answers straight into the maps (no shape check), so
/// the engine also sees values a hand-edited file could hold.
fn build(q: &Questionnaire, p: &Plan) -> Session {
    let now = chrono::Utc::now();
    let mut s = Session::new(q, "Fuzz", now);
    for i in 0..p.systems {
        s.add_system(&format!("system {i}"), now);
    }
    for i in 0..p.identities {
        s.add_identity(&format!("identity {i}"), now);
    }
    for (i, sy) in &p.links {
        if let (Some(id), Some(sys)) = (s.identities.get(*i % 8), s.systems.get(*sy % 8)) {
            let (id, sys) = (id.id.clone(), sys.id.clone());
            s.toggle_link(&id, &sys, now);
        }
    }
    let mut entities = vec![EntityId::Engagement];
    entities.extend(s.systems.iter().map(|x| EntityId::System(x.id.clone())));
    entities.extend(
        s.identities
            .iter()
            .map(|x| EntityId::Identity(x.id.clone())),
    );
    for (e, qi, mode, pick, n, v) in &p.answers {
        let question = &q.questions[qi % q.questions.len()];
        let candidates: Vec<&EntityId> = entities
            .iter()
            .filter(|e| e.scope() == question.scope)
            .collect();
        if candidates.is_empty() {
            continue;
        }
        let e = candidates[e % candidates.len()];
        let value = match mode {
            0 => Value::Unknown,
            1 | 2 => fitting(
                question.kind,
                question.choices.iter().map(|c| c.id.clone()).collect(),
                *pick,
                *n,
            ),
            _ => v.clone(),
        };
        if let Some(answers) = s.answers_mut(e) {
            answers.insert(question.id.clone(), Answer::new(value, now));
        }
    }
    s
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn the_engine_never_panics_on_arbitrary_answers(p in plan()) {
        let q = builtin();
        let s = build(q, &p);
        let r = engine::recommend(q, &s);
        let _ = engine::visibility(q, &s);
        // Everything the app shows and exports is computed from it without panicking.
        let _ = socscope::export::markdown::render(q, &s, &r);
        let _ = socscope::export::json::render_export(q, &s, &r);
        let text = file::render(&s, socscope::report::summary::file_summary(&r)).expect("renders");
        let _ = file::parse("fuzz.toml", &text, q);
        prop_assert!(r.progress.percent() <= 100);
    }
}

// ----- random conditions --------------------------------------------------------------------

/// A fixed environment: question `qi` looks up `values[qi % len]`.
struct FixedEnv {
    values: Vec<Option<Option<Value>>>,
}

impl Env for FixedEnv {
    fn owner(&self, _qi: usize) -> EntityKey {
        EntityKey::Engagement
    }
    fn lookup(&self, qi: usize) -> Lookup<'_> {
        if self.values.is_empty() {
            return Lookup::Unanswered;
        }
        match &self.values[qi % self.values.len()] {
            None => Lookup::Hidden,
            Some(None) => Lookup::Unanswered,
            Some(Some(v)) => Lookup::Answer(v),
        }
    }
    fn any_system(&self, c: &Condition, trace: &mut Trace) -> Tri {
        c.eval(self, trace)
    }
    fn any_system_in_scope(&self, _trace: &mut Trace) -> Tri {
        Tri::Open
    }
}

fn test_strategy() -> impl Strategy<Value = Test> {
    let ids = || prop::collection::vec("[a-c]", 0..3);
    prop_oneof![
        "[a-c]".prop_map(Test::Is),
        ids().prop_map(Test::In),
        "[a-c]".prop_map(Test::Has),
        ids().prop_map(Test::HasAny),
        any::<bool>().prop_map(Test::Answered),
        (-5.0..5.0f64).prop_map(|n| Test::Gt(Bound::Number(n))),
        (-5.0..5.0f64).prop_map(|n| Test::Lte(Bound::Number(n))),
        "20[0-9]{2}-0[1-9]-1[0-9]".prop_map(|d| Test::Gte(Bound::Date(d))),
        "20[0-9]{2}-0[1-9]-1[0-9]".prop_map(|d| Test::Lt(Bound::Date(d))),
    ]
}

fn condition() -> impl Strategy<Value = Condition> {
    let leaf = prop_oneof![
        (0usize..6, test_strategy()).prop_map(|(qi, test)| Condition::Atom(Atom {
            q: format!("q{qi}"),
            qi,
            test,
            pos: Pos { line: 1, col: 1 },
        })),
        Just(Condition::AnySystemInScope),
    ];
    // Depth and width are bounded: no input can make evaluation take long.
    leaf.prop_recursive(5, 64, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Condition::All),
            prop::collection::vec(inner.clone(), 0..6).prop_map(Condition::Any),
            inner.clone().prop_map(|c| Condition::Not(Box::new(c))),
            inner.prop_map(|c| Condition::AnySystem(Box::new(c))),
        ]
    })
}

fn env_values() -> impl Strategy<Value = Vec<Option<Option<Value>>>> {
    let small = prop_oneof![
        Just(Value::Unknown),
        "[a-c]".prop_map(Value::Text),
        prop::collection::vec("[a-c]", 0..3).prop_map(Value::List),
        (-5.0..5.0f64).prop_map(Value::Number),
        "20[0-9]{2}-0[1-9]-1[0-9]".prop_map(Value::Text),
    ];
    prop::collection::vec(prop::option::of(prop::option::of(small)), 0..6)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1000, failure_persistence: None, ..ProptestConfig::default() })]

    /// Kleene logic holds for any condition and any answers: negation flips true and false and
    /// keeps open; De Morgan's laws hold; a one-element `all`/`any` is its element.
    #[test]
    fn random_conditions_follow_kleene_logic(c in condition(), d in condition(), values in env_values()) {
        let env = FixedEnv { values };
        let ev = |x: &Condition| x.eval(&env, &mut Trace::default());
        let (a, b) = (ev(&c), ev(&d));
        prop_assert_eq!(ev(&Condition::Not(Box::new(c.clone()))), a.negate());
        prop_assert_eq!(ev(&Condition::All(vec![c.clone()])), a);
        prop_assert_eq!(ev(&Condition::Any(vec![c.clone()])), a);
        let not = |x: &Condition| Condition::Not(Box::new(x.clone()));
        prop_assert_eq!(
            ev(&not(&Condition::All(vec![c.clone(), d.clone()]))),
            ev(&Condition::Any(vec![not(&c), not(&d)]))
        );
        prop_assert_eq!(
            ev(&not(&Condition::Any(vec![c.clone(), d.clone()]))),
            ev(&Condition::All(vec![not(&c), not(&d)]))
        );
        // all/any agree with the truth tables.
        let all = ev(&Condition::All(vec![c.clone(), d.clone()]));
        let expected = if a == Tri::False || b == Tri::False { Tri::False }
            else if a == Tri::Open || b == Tri::Open { Tri::Open } else { Tri::True };
        prop_assert_eq!(all, expected);
    }

    /// The untraced evaluator the what-if analysis uses (`Condition::value`, which stops at
    /// the first dominant part) always agrees with the traced one the recommendation uses.
    #[test]
    fn untraced_evaluation_agrees_with_traced(c in condition(), values in env_values()) {
        let env = FixedEnv { values };
        prop_assert_eq!(c.value(&env), c.eval(&env, &mut Trace::default()));
    }
}
