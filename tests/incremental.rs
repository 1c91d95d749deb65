//! The app keeps the evaluation between answers and re-runs only what an answer reaches
//! (`engine::recommend_after_answer`): after any sequence of answers it must be exactly what
//! evaluating the session from scratch gives, and so must the recommendation, the panel the
//! questions screen draws from the evaluation alone (`engine::panel`), and the full
//! recommendation built later from the kept evaluation (`engine::recommend_from`).

mod common;

use chrono::{TimeZone, Utc};
use proptest::prelude::*;
use socscope::engine::{self, Evaluation, Panel};
use socscope::questionnaire::{Questionnaire, Scope};
use socscope::session::{EntityId, Session, Value};
use socscope::vocab::Kind;

/// One change as the questions screen makes it: an entity, one of its scope's questions, and a
/// value (or clearing the answer).
#[derive(Debug, Clone)]
struct Op {
    entity: usize,
    question: usize,
    value: usize,
}

fn ops() -> impl Strategy<Value = Vec<Op>> {
    prop::collection::vec(
        (any::<usize>(), any::<usize>(), any::<usize>()).prop_map(|(entity, question, value)| Op {
            entity,
            question,
            value,
        }),
        1..12,
    )
}

fn entity(s: &Session, pick: usize) -> (EntityId, Scope) {
    let n = 1 + s.systems.len() + s.identities.len();
    match pick % n {
        0 => (EntityId::Engagement, Scope::Engagement),
        k if k <= s.systems.len() => (EntityId::System(s.systems[k - 1].id.clone()), Scope::System),
        k => (
            EntityId::Identity(s.identities[k - 1 - s.systems.len()].id.clone()),
            Scope::Identity,
        ),
    }
}

/// Applies one change; `None` when it is not one the app re-evaluates incrementally (a naming
/// question, which can add systems and pre-fill others, refreshes in full).
fn apply(q: &Questionnaire, s: &mut Session, op: &Op) -> Option<EntityId> {
    let (e, scope) = entity(s, op.entity);
    let questions: Vec<_> = q
        .questions
        .iter()
        .filter(|x| x.scope == scope && x.creates.is_none())
        .collect();
    if questions.is_empty() {
        return None;
    }
    let question = questions[op.question % questions.len()];
    let now = Utc.with_ymd_and_hms(2026, 12, 1, 9, 0, 0).single()?;
    let pick = op.value % (question.choices.len() + 2);
    if pick == 0 {
        s.clear_answer(&question.id, &e, now);
        return Some(e);
    }
    let value = match (question.kind, question.choices.get(pick - 1)) {
        (_, None) => Value::Unknown,
        (Kind::Multi, Some(c)) => Value::List(vec![c.id.clone()]),
        (_, Some(c)) => Value::Text(c.id.clone()),
    };
    let value = match question.kind {
        Kind::Number if value != Value::Unknown => Value::Number((op.value % 40) as f64),
        Kind::Date if value != Value::Unknown => Value::Text("2026-03-01".into()),
        Kind::Text if value != Value::Unknown => Value::Text(format!("answer {}", op.value % 7)),
        _ => value,
    };
    // A value the question refuses changes nothing: still a change to re-evaluate.
    let _ = s.set_answer(question, &e, value, now);
    Some(e)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    #[test]
    fn incremental_evaluation_is_a_full_recompute(example in 0..common::EXAMPLES.len(), ops in ops()) {
        let q = common::builtin();
        let mut s = common::example(common::EXAMPLES[example]);
        let (_, mut kept) = engine::recommend_with_evaluation(&q, &s);
        for op in &ops {
            let Some(e) = apply(&q, &mut s, op) else { continue };
            let r = engine::recommend_after_answer(&q, &s, &mut kept, &e);
            prop_assert!(kept == Evaluation::new(&q, &s), "{op:?}: evaluation differs");
            prop_assert!(r == engine::recommend(&q, &s), "{op:?}: recommendation differs");
        }
    }

    /// What the app does per answer now: the evaluation only, the panel from it, and the full
    /// recommendation when a screen asks for it.
    #[test]
    fn panel_and_later_recommendation_are_a_full_recompute(example in 0..common::EXAMPLES.len(), ops in ops()) {
        let q = common::builtin();
        let mut s = common::example(common::EXAMPLES[example]);
        let mut kept = Evaluation::new(&q, &s);
        prop_assert_eq!(engine::panel(&q, &s, &kept), Panel::of(&engine::recommend(&q, &s)));
        for op in &ops {
            let Some(e) = apply(&q, &mut s, op) else { continue };
            let before = kept.visibility().clone();
            let asked = engine::apply_answer(&q, &s, &mut kept, &e);
            // The app keeps its question sequence when an answer says nothing else is asked.
            prop_assert!(asked || *kept.visibility() == before, "{op:?}: visibility changed unsaid");
            let full = engine::recommend(&q, &s);
            prop_assert_eq!(engine::panel(&q, &s, &kept), Panel::of(&full), "{:?}: panel differs", op);
            prop_assert!(engine::recommend_from(&q, &s, &kept) == full, "{op:?}: recommendation differs");
        }
    }
}

#[path = "../examples/synth/mod.rs"]
mod synth;

/// The app on a session (its file written to a temporary directory), on the questions screen.
fn app_with(q: &Questionnaire, s: Session, dir: &std::path::Path) -> socscope::tui::app::App {
    use socscope::tui::app::{App, Screen};
    let path = dir.join("w.toml");
    std::fs::write(&path, synth::render(q, &s)).expect("session file");
    let mut app = App::new(q.clone(), socscope::tui::theme::Theme::from_env());
    app.install(s, path, Screen::Questions);
    app
}

/// A session of the property tests: an example, or (the last pick) a small synthetic workshop
/// whose identities reach several systems each.
fn session_of(pick: usize) -> Session {
    match common::EXAMPLES.get(pick) {
        Some(name) => common::example(name),
        None => synth::generate(&common::builtin(), &synth::Spec::new(6, 40)),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// What the app does when a screen asks for the recommendation after answers: the kept one
    /// patched for the entities the answers re-ran (`Workshop::rec`), after one answer or
    /// several without a look at it in between. It must be exactly the full recompute.
    #[test]
    fn patched_recommendation_is_a_full_recompute(
        pick in 0..=common::EXAMPLES.len(),
        ops in ops(),
        looks in any::<u16>(),
    ) {
        let q = common::builtin();
        let dir = tempfile::tempdir().expect("temp dir");
        let mut app = app_with(&q, session_of(pick), dir.path());
        let w = app.work.as_mut().expect("a workshop");
        prop_assert!(w.rec(&q) == &engine::recommend(&q, &w.session), "first recommendation differs");
        for (n, op) in ops.iter().enumerate() {
            let Some(e) = apply(&q, &mut w.session, op) else { continue };
            w.refresh_answer(&q, &e);
            if (looks >> (n % 16)) & 1 == 1 || n + 1 == ops.len() {
                let full = engine::recommend(&q, &w.session);
                prop_assert!(w.rec(&q) == &full, "{op:?} (answer {n}): recommendation differs");
            }
        }
    }
}

/// The work (`engine::steps`) of each key, pressed on the questions screen of a synthetic
/// workshop as the event loop carries it out (key, update, the save): two answers to an
/// identity's and to a system's choice question, and moving to the next and previous question and
/// section.
fn steps_per_key(spec: &synth::Spec) -> Vec<(String, u64)> {
    use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
    use socscope::tui::app::{App, Screen};
    use socscope::tui::theme::Theme;
    use socscope::tui::{self, action, update};

    let q = common::builtin();
    let s = synth::generate(&q, spec);
    let targets = targets(&q, &s).map(|t| t.map(|(e, x)| (e, x.id)));
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("w.toml");
    std::fs::write(&path, synth::render(&q, &s)).expect("session file");
    let mut app = App::new(q.clone(), Theme::from_env());
    app.install(s, path, Screen::Questions);
    let mut out = Vec::new();
    for (n, target) in targets.into_iter().enumerate() {
        let target = target.expect("a yes/no question");
        let keys = [
            KeyCode::Char('1'),
            KeyCode::Char('2'),
            KeyCode::Right,
            KeyCode::Left,
            KeyCode::Char(']'),
            KeyCode::Char('['),
        ];
        for code in keys {
            app.questions.at = Some(target.clone());
            engine::steps::take();
            let key = KeyEvent::new(code, KeyModifiers::NONE);
            if let Some(a) = action::from_key(&app, &key) {
                for e in update::update(&mut app, a) {
                    tui::apply(&mut app, e);
                }
            }
            out.push((format!("{code:?} on target {n}"), engine::steps::take()));
        }
    }
    out
}

/// The identity's and the system's question the step-counting tests answer: the first shown
/// choice question of identity 0 and of system 0 with two choices or more.
fn targets(
    q: &Questionnaire,
    s: &Session,
) -> [Option<(EntityId, socscope::questionnaire::Question)>; 2] {
    use socscope::questionnaire::condition::EntityKey;
    let vis = engine::visibility(q, s);
    let yes_no = |key: EntityKey, e: EntityId| {
        vis.shown(key)
            .into_iter()
            .map(|qi| &q.questions[qi])
            .find(|x| {
                matches!(x.kind, Kind::YesNo | Kind::Single)
                    && x.choices.len() >= 2
                    && x.creates.is_none()
            })
            .map(|x| (e, x.clone()))
    };
    [
        yes_no(
            EntityKey::Identity(0),
            EntityId::Identity(s.identities[0].id.clone()),
        ),
        yes_no(
            EntityKey::System(0),
            EntityId::System(s.systems[0].id.clone()),
        ),
    ]
}

/// Twice the inventory (200 -> 400 identities, 20 -> 40 systems) must not mean twice the work
/// of any step `steps` counts.
fn assert_does_not_grow(steps: fn(&synth::Spec) -> Vec<(String, u64)>) {
    let small = steps(&synth::Spec::new(20, 200));
    let large = steps(&synth::Spec::new(40, 400));
    for ((what, a), (_, b)) in small.iter().zip(&large) {
        assert!(
            *b <= a + a / 4 + 64,
            "{what}: {a} steps at 200 identities, {b} at 400"
        );
    }
    // The keys did work (the counter counts): the identity's rules at least.
    assert!(small[0].1 > 0, "{small:?}");
}

/// An answer re-runs what it reaches and patches what the questions screen shows (panel,
/// progress, question sequence); navigation finds questions by index. Twice the inventory must
/// not mean twice the work per key: before, each answer resolved every identity's links, folded
/// every summary and made the whole question sequence again.
#[test]
fn the_work_of_an_answer_does_not_grow_with_the_inventory() {
    assert_does_not_grow(steps_per_key);
}

/// The work (`engine::steps`) of the recommendation asked for after one answer, with the
/// recommendation before it built: an identity's answer, then a system's (which reaches the
/// identities linked to it), each answered twice.
fn steps_of_patch(spec: &synth::Spec) -> Vec<(String, u64)> {
    work_of_patch(spec, engine::steps::take)
}

/// The same, only the report-level part (`engine::steps::take_report`).
fn report_steps_of_patch(spec: &synth::Spec) -> Vec<(String, u64)> {
    work_of_patch(spec, engine::steps::take_report)
}

fn work_of_patch(spec: &synth::Spec, take: fn() -> u64) -> Vec<(String, u64)> {
    let q = common::builtin();
    let s = synth::generate(&q, spec);
    let targets = targets(&q, &s);
    let dir = tempfile::tempdir().expect("temp dir");
    let mut app = app_with(&q, s, dir.path());
    let w = app.work.as_mut().expect("a workshop");
    let now = Utc
        .with_ymd_and_hms(2026, 12, 1, 9, 0, 0)
        .single()
        .expect("a time");
    w.rec(&q);
    let mut out = Vec::new();
    for (n, target) in targets.into_iter().enumerate() {
        let (e, question) = target.expect("a yes/no question");
        for pick in [0, 1] {
            let value = Value::Text(question.choices[pick].id.clone());
            w.session
                .set_answer(&question, &e, value, now)
                .expect("an answer");
            w.refresh_answer(&q, &e);
            engine::steps::take();
            engine::steps::take_report();
            w.rec(&q);
            out.push((format!("choice {pick} on target {n}"), take()));
        }
    }
    out
}

/// The recommendation after an answer is the kept one patched: only the entities the answer
/// re-ran are traced and made again (the report-level part is made from the kept traces). Twice
/// the inventory must not mean twice that work: before, every entity was traced again.
#[test]
fn the_patch_after_an_answer_does_not_grow_with_the_inventory() {
    assert_does_not_grow(steps_of_patch);
}

/// The report-level decisions after an answer (verdict, SOC 2 categories, Types, with reasons
/// naming every entity a rule fired for and every open question behind them) are patched from
/// the edits of the per-rule lists the answer's entities are in. Twice the inventory must not
/// mean twice that work: before, they were made again from every counted entity's results.
#[test]
fn the_report_level_patch_after_an_answer_does_not_grow_with_the_inventory() {
    assert_does_not_grow(report_steps_of_patch);
}

/// Answering the open questions a report-level decision waits for, one after another, takes
/// each out of its open questions (the rest move up by weight) in the patched recommendation
/// as in a full one: the per-decision weights are patched, not made again.
#[test]
fn a_patch_takes_answered_questions_out_of_the_report_level_decisions() {
    let q = common::builtin();
    let dir = tempfile::tempdir().expect("temp dir");
    // Half answered: the report's totals wait for many questions.
    let spec = synth::Spec {
        answered_pct: 50,
        ..synth::Spec::new(6, 40)
    };
    let mut app = app_with(&q, synth::generate(&q, &spec), dir.path());
    let w = app.work.as_mut().expect("a workshop");
    let now = Utc
        .with_ymd_and_hms(2026, 12, 1, 9, 0, 0)
        .single()
        .expect("a time");
    let open: Vec<_> = w
        .rec(&q)
        .decisions
        .iter()
        .filter(|d| {
            use engine::DecisionId::{Category, Type, Verdict};
            matches!(d.id, Verdict | Category(_) | Type(_))
        })
        .flat_map(|d| d.open_questions.iter().skip(1).step_by(2).take(6))
        .filter(|o| !o.question.is_empty())
        .map(|o| (o.entity.entity_id(), o.question.to_string()))
        .collect();
    assert!(open.len() >= 4, "{open:?}");
    let mut answered = 0;
    for (e, id) in open {
        let question = q.question(&id).expect("a question").clone();
        let value = match (question.kind, question.choices.first()) {
            (Kind::Multi, Some(c)) => Value::List(vec![c.id.clone()]),
            (_, Some(c)) => Value::Text(c.id.clone()),
            (Kind::Number, None) => Value::Number(12.0),
            (Kind::Date, None) => Value::Text("2026-03-01".into()),
            _ => Value::Text("an answer".into()),
        };
        if w.session.set_answer(&question, &e, value, now).is_err() {
            continue;
        }
        answered += 1;
        w.refresh_answer(&q, &e);
        let full = engine::recommend(&q, &w.session);
        assert!(w.rec(&q) == &full, "after answering {id} of {e:?}");
    }
    assert!(answered >= 4, "{answered} answered");
}

/// Conflicts mark the decisions they touch by their place in the list: when an answer removes
/// one, the later ones' places move and the decisions they marked, re-run or not, must say so.
#[test]
fn a_patch_marks_the_conflicts_again_when_one_goes() {
    use socscope::questionnaire::Question;
    use socscope::tui::app::App;

    let q = common::builtin();
    let dir = tempfile::tempdir().expect("temp dir");
    let mut app = app_with(
        &q,
        synth::generate(&q, &synth::Spec::new(6, 40)),
        dir.path(),
    );
    let now = Utc
        .with_ymd_and_hms(2026, 12, 1, 9, 0, 0)
        .single()
        .expect("a time");
    let question = |id: &str| q.question(id).expect("a question").clone();
    let (privilege, changes) = (question("privilege"), question("changes_financial_data"));
    let answer = |app: &mut App, i: usize, x: &Question, v: &str| {
        let w = app.work.as_mut().expect("a workshop");
        let e = EntityId::Identity(w.session.identities[i].id.clone());
        w.session
            .set_answer(x, &e, Value::Text(v.into()), now)
            .expect("an answer");
        w.refresh_answer(&q, &e);
    };
    let patched_is_full = |app: &mut App, what: &str| {
        let w = app.work.as_mut().expect("a workshop");
        let full = engine::recommend(&q, &w.session);
        assert!(w.rec(&q) == &full, "{what}: recommendation differs");
        full.conflicts.len()
    };
    patched_is_full(&mut app, "before");
    for i in [0, 1, 2] {
        answer(&mut app, i, &privilege, "read");
        answer(&mut app, i, &changes, "yes");
    }
    let n = patched_is_full(&mut app, "with the conflicts");
    assert!(n >= 3, "{n} conflicts");
    answer(&mut app, 0, &changes, "no");
    assert!(patched_is_full(&mut app, "after one went") < n);
}
