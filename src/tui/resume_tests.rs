//! A resumed workshop draws before its analysis is done: the first frame, an answer given and
//! a quit asked for while it is worked out on another thread (`Workshop::pending`). Each test
//! holds that thread at a gate, so "while it computes" is certain, not a matter of timing.

use std::path::{Path, PathBuf};
use std::sync::mpsc;

use ratatui::crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};

use super::app::{App, Screen};
use super::tests::screen_text;
use super::theme::Theme;
use super::update::{Effect, update};
use crate::engine::{self, Evaluation, Panel};
use crate::questionnaire::{self, Questionnaire};
use crate::session::{EntityId, Value};
use crate::workshop::{self, Access};

fn q() -> Questionnaire {
    questionnaire::builtin().expect("the built-in questionnaire loads")
}

/// A new workshop saved in `dir` (nothing answered: it resumes on the first question).
fn saved_new(dir: &Path) -> PathBuf {
    let path = dir.join("acme.toml");
    let opened = workshop::create(&q(), "Acme Payroll Ltd", Some(path.clone())).expect("created");
    drop(opened);
    path
}

/// The app as `socscope resume` runs it (drawing first), its analysis held at a gate.
fn resumed(path: &Path) -> (App, mpsc::Sender<()>) {
    let mut app = App::new(q(), Theme { color: true });
    app.draw_first = true;
    let (tx, rx) = mpsc::channel();
    app.gate = Some(rx);
    super::apply(&mut app, Effect::Open(path.to_path_buf()));
    // What the event loop does once the first frame is out.
    app.work.as_mut().expect("opened").start();
    (app, tx)
}

fn press(app: &mut App, code: KeyCode, mods: KeyModifiers) {
    let ev = Event::Key(KeyEvent::new(code, mods));
    if let Some(a) = super::action::from_event(app, &ev) {
        for fx in update(app, a) {
            super::apply(app, fx);
        }
    }
}

/// Lets the analysis go and takes it as the event loop does.
fn finish(app: &mut App, gate: mpsc::Sender<()>) {
    let _ = gate.send(());
    let w = app.work.as_mut().expect("open");
    let _ = w.panel();
    super::analysis_arrived(app);
}

#[test]
fn the_first_frame_is_drawn_before_the_analysis_and_says_computing() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = saved_new(dir.path());
    let (mut app, gate) = resumed(&path);
    let w = app.work.as_ref().expect("open");
    assert!(
        w.analysing(),
        "the analysis is not done before the first frame"
    );
    assert!(!w.ready());
    assert_eq!(app.screen(), &Screen::Questions);
    let first = screen_text(&mut app, 120, 40);
    assert!(first.contains("computing…"), "{first}");
    assert!(
        first.contains("Who is asking us for a SOC report?"),
        "the question is drawn: {first}"
    );
    assert!(
        app.work.as_ref().is_some_and(|w| !w.ready()),
        "drawn without it"
    );
    // The Recommendation says it is being worked out instead of waiting for it.
    app.stack = vec![Screen::Recommendation];
    let rec = screen_text(&mut app, 80, 24);
    assert!(rec.contains("computing…"), "{rec}");
    assert!(app.work.as_ref().is_some_and(|w| w.analysing()));

    app.stack = vec![Screen::Questions];
    finish(&mut app, gate);
    let w = app.work.as_ref().expect("open");
    assert!(!w.analysing());
    let after = screen_text(&mut app, 120, 40);
    assert!(!after.contains("computing…"), "{after}");
    let full = engine::recommend(&app.q, &app.work.as_ref().expect("open").session);
    assert_eq!(app.work.as_ref().expect("open").panel(), &Panel::of(&full));
}

#[test]
fn an_answer_given_while_it_computes_is_kept_and_in_the_analysis_once_ready() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = saved_new(dir.path());
    let before = {
        let q = q();
        let (s, _) = crate::session::store::open(&path, &q).expect("readable");
        Evaluation::new(&q, &s)
    };
    let (mut app, gate) = resumed(&path);
    assert!(app.work.as_ref().is_some_and(|w| w.analysing()));
    // Multi choice: 1 ticks the first choice (an answer, saved at once).
    press(&mut app, KeyCode::Char('1'), KeyModifiers::NONE);
    let w = app.work.as_ref().expect("open");
    assert!(w.analysing(), "answered while the analysis is held");
    let given = w
        .session
        .answers(&EntityId::Engagement)
        .and_then(|a| a.get("report_requesters"))
        .map(|a| a.value.clone());
    assert_eq!(given, Some(Value::List(vec!["user_auditors".into()])));
    // On disk already (the journal), before the analysis is done.
    let journal = crate::session::journal::read(&path)
        .expect("readable journal")
        .map_or(0, |c| c.records.len());
    assert_eq!(journal, 1, "the answer is recorded at once");
    // Navigation reads around it.
    press(&mut app, KeyCode::Enter, KeyModifiers::NONE);
    assert_eq!(
        app.questions.at.as_ref().map(|(_, q)| q.as_str()),
        Some("sox_customers")
    );

    finish(&mut app, gate);
    let w = app.work.as_ref().expect("open");
    let now = Evaluation::new(&app.q, &w.session);
    assert_ne!(now, before, "the answer changes the analysis");
    assert_eq!(
        w.eval(),
        &now,
        "the analysis has the answer given meanwhile"
    );
    let full = engine::recommend(&app.q, &w.session);
    assert_eq!(w.panel(), &Panel::of(&full));
    assert!(w.rec(&app.q) == &full);
}

#[test]
fn an_identity_answer_given_while_it_computes_is_applied_to_the_analysis() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("s1.toml");
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/examples/s1-payroll-provider.toml"),
        &path,
    )
    .expect("copy the example");
    let (mut app, gate) = resumed(&path);
    let q = app.q.clone();
    let w = app.work.as_mut().expect("open");
    assert!(w.analysing());
    let e = EntityId::Identity(w.session.identities[0].id.clone());
    let before = Evaluation::new(&q, &w.session);
    // Each choice of each shown question in turn until one changes the analysis.
    let shown = w.shown(&e);
    let mut changed = false;
    'outer: for qi in shown {
        let question = &q.questions[qi];
        if !question.kind.is_choice() || question.creates.is_some() {
            continue;
        }
        for c in &question.choices {
            let v = match question.kind {
                crate::vocab::Kind::Multi => Value::List(vec![c.id.clone()]),
                _ => Value::Text(c.id.clone()),
            };
            let mut s = w.session.clone();
            if s.set_answer(question, &e, v.clone(), chrono::Utc::now())
                .is_err()
            {
                continue;
            }
            if Evaluation::new(&q, &s) != before {
                let _ = w.session.set_answer(question, &e, v, chrono::Utc::now());
                w.refresh_answer(&q, &e);
                changed = true;
                break 'outer;
            }
        }
    }
    assert!(changed, "an identity answer that changes the analysis");
    assert!(w.analysing());
    finish(&mut app, gate);
    let w = app.work.as_ref().expect("open");
    assert_eq!(w.eval(), &Evaluation::new(&q, &w.session));
    let full = engine::recommend(&q, &w.session);
    assert_eq!(w.panel(), &Panel::of(&full));
}

#[test]
fn quitting_while_it_computes_saves_and_unlocks() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = saved_new(dir.path());
    let (mut app, gate) = resumed(&path);
    press(&mut app, KeyCode::Char('1'), KeyModifiers::NONE);
    assert!(app.work.as_ref().is_some_and(|w| w.analysing()));
    // The save on leaving waits for the analysis (the file keeps its summary): let it go a
    // little later, from another thread, as the worker would finish.
    let release = std::thread::spawn(move || {
        std::thread::sleep(std::time::Duration::from_millis(100));
        let _ = gate.send(());
    });
    press(&mut app, KeyCode::Char('c'), KeyModifiers::CONTROL);
    assert!(app.quit);
    drop(app);
    let _ = release.join();
    let text = std::fs::read_to_string(&path).expect("saved");
    assert!(
        text.contains("user_auditors"),
        "the answer is in the file: {text}"
    );
    assert!(
        !crate::session::journal::journal_path(&path).exists(),
        "folded into the file on leaving"
    );
    // Unlocked: another writer can open it.
    assert!(workshop::open(&path, &q(), Access::Write).is_ok());
}
