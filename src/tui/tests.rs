//! Key handling as state transitions, and snapshots of every screen on ratatui's TestBackend.

use std::path::PathBuf;

use chrono::{TimeZone, Utc};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use ratatui::style::{Color, Modifier};

use super::action::{self, Action};
use super::app::{App, Modal, Pane, Screen};
use super::keymap::{self, Cmd, Ctx};
use super::theme::Theme;
use super::update::{Effect, update};
use crate::questionnaire::{self, Questionnaire};
use crate::session::store::SessionInfo;
use crate::session::{EntityId, Session, Value};

fn q() -> Questionnaire {
    questionnaire::builtin().expect("the built-in questionnaire loads")
}

/// An app with a fresh workshop open (not saved anywhere unless a test applies effects).
fn app_at(screen: Screen, path: PathBuf) -> App {
    let q = q();
    let now = Utc.with_ymd_and_hms(2025, 3, 14, 9, 30, 0).unwrap();
    let s = Session::new(&q, "Acme Payroll Ltd", now);
    let mut app = App::new(q, Theme { color: true });
    app.install(s, path, screen);
    app
}

fn app(screen: Screen) -> App {
    app_at(
        screen,
        PathBuf::from("/tmp/socscope-test/acme-payroll-ltd-2025-03-14.toml"),
    )
}

fn key(code: KeyCode) -> Event {
    Event::Key(KeyEvent::new(code, KeyModifiers::NONE))
}

/// Feeds events through the real key mapping and update; returns every effect.
fn feed(app: &mut App, events: &[Event]) -> Vec<Effect> {
    let mut fx = Vec::new();
    for ev in events {
        if let Some(a) = action::from_event(app, ev) {
            fx.extend(update(app, a));
        }
    }
    fx
}

fn keys(app: &mut App, s: &str) -> Vec<Effect> {
    let events: Vec<Event> = s.chars().map(|c| key(KeyCode::Char(c))).collect();
    feed(app, &events)
}

fn typed(app: &mut App, s: &str) -> Vec<Effect> {
    keys(app, s)
}

fn enter(app: &mut App) -> Vec<Effect> {
    feed(app, &[key(KeyCode::Enter)])
}

fn esc(app: &mut App) -> Vec<Effect> {
    feed(app, &[key(KeyCode::Esc)])
}

fn answer(app: &App, e: &EntityId, qid: &str) -> Option<Value> {
    app.work.as_ref()?.answer(e, qid).map(|a| a.value.clone())
}

fn at(app: &App) -> String {
    app.questions
        .at
        .as_ref()
        .map(|(_, q)| q.clone())
        .unwrap_or_default()
}

/// Adds a system and a service account linked to it, through the inventory keys.
fn with_inventory(app: &mut App) {
    app.stack = vec![Screen::Inventory];
    keys(app, "a");
    typed(app, "Payroll engine");
    enter(app);
    keys(app, "la");
    typed(app, "deploy-bot");
    enter(app);
    // The kind picker opens by itself; 4 = service account in the built-in questionnaire.
    assert!(matches!(app.modal, Some(Modal::Kind { .. })));
    keys(app, "4");
    keys(app, "s");
    keys(app, " ");
    esc(app);
}

#[test]
fn start_new_workshop_asks_for_the_organisation_then_creates() {
    let mut app = App::new(q(), Theme { color: true });
    enter(&mut app);
    assert!(matches!(app.modal, Some(Modal::Editor(_))));
    // Enter with nothing typed keeps the editor open with a reason.
    assert!(enter(&mut app).is_empty());
    assert!(matches!(&app.modal, Some(Modal::Editor(ed)) if ed.error.is_some()));
    typed(&mut app, "Acme");
    let fx = enter(&mut app);
    assert_eq!(
        fx,
        vec![Effect::Create {
            organisation: "Acme".into(),
            path: None
        }]
    );
}

#[test]
fn details_fields_are_edited_and_saved() {
    let mut app = app(Screen::Details);
    keys(&mut app, "j");
    enter(&mut app);
    typed(&mut app, "Dana");
    assert_eq!(enter(&mut app), vec![Effect::Save]);
    enter(&mut app);
    typed(&mut app, "Ann, Bob ; Cy");
    enter(&mut app);
    let ws = &app.work.as_ref().unwrap().session.workshop;
    assert_eq!(ws.facilitator, "Dana");
    assert_eq!(ws.participants, vec!["Ann", "Bob", "Cy"]);
    // A bad date is refused with a reason and the text is kept for fixing.
    enter(&mut app);
    feed(
        &mut app,
        &[Event::Key(KeyEvent::new(
            KeyCode::Char('u'),
            KeyModifiers::CONTROL,
        ))],
    );
    typed(&mut app, "14/03/2025");
    assert!(enter(&mut app).is_empty());
    match &app.modal {
        Some(Modal::Editor(ed)) => {
            assert!(
                ed.error
                    .as_deref()
                    .unwrap_or_default()
                    .contains("YYYY-MM-DD")
            );
            assert!(ed.text().contains("14/03/2025"));
        }
        _ => panic!("editor should stay open"),
    }
}

#[test]
fn inventory_adds_links_renames_and_removes_with_confirmation() {
    let mut app = app(Screen::Inventory);
    with_inventory(&mut app);
    let s = &app.work.as_ref().unwrap().session;
    assert_eq!(s.systems.len(), 1);
    assert_eq!(s.identities[0].name, "deploy-bot");
    assert_eq!(s.identities[0].systems, vec![s.systems[0].id.clone()]);
    let kind = app.q.identity_kind_question().unwrap().id.clone();
    assert_eq!(
        answer(&app, &EntityId::Identity("i1".into()), &kind),
        Some(Value::Text("service_account".into()))
    );

    // Rename keeps the text editor's content.
    keys(&mut app, "e");
    feed(
        &mut app,
        &[
            key(KeyCode::Backspace),
            key(KeyCode::Backspace),
            key(KeyCode::Backspace),
        ],
    );
    typed(&mut app, "svc");
    enter(&mut app);
    assert_eq!(
        app.work.as_ref().unwrap().session.identities[0].name,
        "deploy-svc"
    );

    // Remove asks first; "n" keeps it, "y" removes the system and the identity's link.
    keys(&mut app, "h");
    assert_eq!(app.inventory.pane, Pane::Systems);
    keys(&mut app, "d");
    assert!(matches!(app.modal, Some(Modal::Confirm { .. })));
    keys(&mut app, "n");
    assert_eq!(app.work.as_ref().unwrap().session.systems.len(), 1);
    keys(&mut app, "d");
    assert_eq!(keys(&mut app, "y"), vec![Effect::Save]);
    let s = &app.work.as_ref().unwrap().session;
    assert!(s.systems.is_empty());
    assert!(s.identities[0].systems.is_empty());
}

#[test]
fn answering_saves_and_moves_on_and_follow_ups_appear_and_vanish() {
    let mut app = app(Screen::Questions);
    assert_eq!(at(&app), "report_requesters");
    // Multi choice: 1 ticks, Space ticks the highlighted row, Enter goes on.
    assert_eq!(keys(&mut app, "1"), vec![Effect::Save]);
    keys(&mut app, "j ");
    assert_eq!(
        answer(&app, &EntityId::Engagement, "report_requesters"),
        Some(Value::List(vec![
            "user_auditors".into(),
            "controllers".into()
        ]))
    );
    enter(&mut app);
    assert_eq!(at(&app), "sox_customers");
    // Single choice: a number picks it and goes on.
    let fx = keys(&mut app, "1");
    assert_eq!(fx, vec![Effect::Save]);
    assert_eq!(
        answer(&app, &EntityId::Engagement, "sox_customers"),
        Some(Value::Text("yes".into()))
    );
    assert_ne!(at(&app), "sox_customers");

    // controls_months is shown unless nobody has asked for a report.
    let shown = |app: &App| {
        let w = app.work.as_ref().unwrap();
        w.shown(&EntityId::Engagement)
            .iter()
            .any(|&i| app.q.questions[i].id == "controls_months")
    };
    assert!(shown(&app));
    app.questions.at = Some((EntityId::Engagement, "report_requesters".into()));
    app.reset_cursor();
    keys(&mut app, "125");
    assert!(
        !shown(&app),
        "a follow-up vanishes as soon as the answer changes"
    );
    keys(&mut app, "5");
    assert!(shown(&app));
}

#[test]
fn typed_answers_refuse_bad_input_but_keep_it_and_unknown_is_always_allowed() {
    let mut app = app(Screen::Questions);
    keys(&mut app, "1");
    app.questions.at = Some((EntityId::Engagement, "controls_months".into()));
    app.ensure_question();
    assert_eq!(at(&app), "controls_months");
    enter(&mut app);
    typed(&mut app, "six");
    assert!(enter(&mut app).is_empty());
    assert!(
        matches!(&app.modal, Some(Modal::Editor(ed)) if ed.error.is_some() && ed.text() == "six")
    );
    feed(
        &mut app,
        &[Event::Key(KeyEvent::new(
            KeyCode::Char('u'),
            KeyModifiers::CONTROL,
        ))],
    );
    typed(&mut app, "6");
    assert_eq!(enter(&mut app), vec![Effect::Save]);
    assert_eq!(
        answer(&app, &EntityId::Engagement, "controls_months"),
        Some(Value::Number(6.0))
    );
    // u answers unknown on any kind of question.
    let here = at(&app);
    keys(&mut app, "u");
    assert_eq!(
        answer(&app, &EntityId::Engagement, &here),
        Some(Value::Unknown)
    );
}

#[test]
fn notes_are_multi_line_and_esc_keeps_them() {
    let mut app = app(Screen::Questions);
    keys(&mut app, "n");
    typed(&mut app, "Asked by the CFO");
    enter(&mut app); // a new line, not "done"
    typed(&mut app, "follow up");
    assert_eq!(esc(&mut app), vec![Effect::Save]);
    let w = app.work.as_ref().unwrap();
    let a = w
        .answer(&EntityId::Engagement, "report_requesters")
        .unwrap();
    assert_eq!(a.note.as_deref(), Some("Asked by the CFO\nfollow up"));
    // The note alone does not answer the question for the engine: it is kept with "unknown".
    assert_eq!(a.value, Value::Unknown);
}

#[test]
fn paste_goes_into_the_editor_cleaned() {
    let mut app = app(Screen::Questions);
    keys(&mut app, "n");
    feed(
        &mut app,
        &[Event::Paste("line one\nline \u{1b}[31mtwo".into())],
    );
    esc(&mut app);
    let w = app.work.as_ref().unwrap();
    let note = w
        .answer(&EntityId::Engagement, "report_requesters")
        .unwrap()
        .note
        .clone()
        .unwrap();
    assert_eq!(note, "line one\nline [31mtwo");
}

#[test]
fn ctrl_c_quits_and_keeps_what_is_being_typed() {
    let mut app = app(Screen::Questions);
    keys(&mut app, "n");
    typed(&mut app, "half a thought");
    let fx = feed(
        &mut app,
        &[Event::Key(KeyEvent::new(
            KeyCode::Char('c'),
            KeyModifiers::CONTROL,
        ))],
    );
    assert!(app.quit);
    assert!(fx.contains(&Effect::Save));
    let w = app.work.as_ref().unwrap();
    assert_eq!(
        w.answer(&EntityId::Engagement, "report_requesters")
            .unwrap()
            .note
            .as_deref(),
        Some("half a thought")
    );
}

#[test]
fn recommendation_drill_down_jumps_to_a_question_and_esc_comes_back() {
    let mut app = app(Screen::Questions);
    keys(&mut app, "1");
    enter(&mut app);
    keys(&mut app, "1");
    keys(&mut app, "r");
    assert_eq!(app.screen(), &Screen::Recommendation);
    enter(&mut app);
    let Screen::Decision(id) = app.screen().clone() else {
        panic!("decision screen")
    };
    assert_eq!(id, "verdict");
    enter(&mut app);
    assert_eq!(app.screen(), &Screen::Questions);
    assert_eq!(
        at(&app),
        "report_requesters",
        "the first jumpable line is the first trigger"
    );
    esc(&mut app);
    assert_eq!(app.screen(), &Screen::Decision("verdict".into()));
    esc(&mut app);
    esc(&mut app);
    assert_eq!(app.screen(), &Screen::Questions);
}

#[test]
fn review_filters_unanswered_and_jumps() {
    let mut app = app(Screen::Questions);
    keys(&mut app, "1");
    enter(&mut app);
    keys(&mut app, "v");
    assert_eq!(app.screen(), &Screen::Review);
    let all = app.review_rows().len();
    keys(&mut app, "f");
    let open = app.review_rows();
    assert_eq!(open.len(), all - 1);
    assert!(open.iter().all(|r| r.answer.is_none()));
    keys(&mut app, "/");
    typed(&mut app, "months");
    enter(&mut app);
    let rows = app.review_rows();
    assert_eq!(rows.len(), 1);
    enter(&mut app);
    assert_eq!(at(&app), "controls_months");
}

#[test]
fn tab_cycles_screens_and_esc_at_the_root_returns_to_start() {
    let mut app = app(Screen::Details);
    let mut seen = Vec::new();
    for _ in 0..6 {
        seen.push(app.screen().clone());
        feed(&mut app, &[key(KeyCode::Tab)]);
    }
    assert_eq!(seen, super::app::TABS.to_vec());
    feed(&mut app, &[key(KeyCode::BackTab)]);
    assert_eq!(app.screen(), &Screen::Export);
    assert_eq!(esc(&mut app), vec![Effect::RefreshSessions]);
    assert_eq!(app.screen(), &Screen::Start);
}

#[test]
fn every_change_is_written_to_the_session_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("acme.toml");
    let mut app = app_at(Screen::Questions, path.clone());
    for fx in keys(&mut app, "1") {
        super::apply(&mut app, fx);
    }
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains("user_auditors"), "{text}");
    for fx in keys(&mut app, "x") {
        super::apply(&mut app, fx);
    }
    for fx in enter(&mut app) {
        super::apply(&mut app, fx);
    }
    assert!(dir.path().join("acme.md").is_file());
    assert_eq!(app.export.written, vec![dir.path().join("acme.md")]);
}

#[test]
fn one_keymap_feeds_footer_and_help() {
    for ctx in [
        Ctx::Start,
        Ctx::Details,
        Ctx::Inventory,
        Ctx::Questions,
        Ctx::Recommendation,
        Ctx::Decision,
        Ctx::Review,
        Ctx::Export,
    ] {
        let in_workshop = ctx != Ctx::Start;
        let bindings = keymap::bindings_for(ctx, in_workshop);
        for (label, hint) in keymap::hints(ctx, in_workshop) {
            assert!(bindings.iter().any(|b| b.label == label && b.hint == hint));
        }
        // Every key on a screen does what its row says.
        for b in &bindings {
            for k in b.keys {
                let ev = KeyEvent::new(k.code, k.mods);
                assert_eq!(
                    keymap::lookup(&ev, ctx, in_workshop).map(|x| x.cmd),
                    Some(b.cmd),
                    "{} on {ctx:?}",
                    b.label
                );
            }
        }
    }
    let md = keymap::markdown();
    assert!(md.contains("| `?` |") && md.contains("Quit"));
    assert_eq!(
        keymap::lookup(
            &KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL),
            Ctx::Questions,
            true
        )
        .map(|b| b.cmd),
        Some(Cmd::Quit)
    );
}

#[test]
fn number_keys_carry_their_digit() {
    let app = app(Screen::Questions);
    assert_eq!(
        action::from_key(&app, &KeyEvent::new(KeyCode::Char('3'), KeyModifiers::NONE)),
        Some(Action::Pick(3))
    );
}

// ----- Snapshots -----------------------------------------------------------------------------

fn render(app: &mut App, w: u16, h: u16) -> Terminal<TestBackend> {
    let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
    t.draw(|f| super::view::draw(f, app)).unwrap();
    t
}

/// A workshop part-way through, the same every time.
fn sample() -> App {
    let mut app = app(Screen::Questions);
    with_inventory(&mut app);
    app.stack = vec![Screen::Questions];
    app.questions.at = Some((EntityId::Engagement, "report_requesters".into()));
    app.reset_cursor();
    keys(&mut app, "12");
    enter(&mut app);
    keys(&mut app, "1");
    keys(&mut app, "n");
    typed(&mut app, "Confirmed by the CFO");
    esc(&mut app);
    app.status = None;
    app
}

fn start_app() -> App {
    let mut app = App::new(q(), Theme { color: true });
    let info = |org: &str, day, pct, verdict| SessionInfo {
        path: PathBuf::from(format!(
            "/data/{}.toml",
            org.to_lowercase().replace(' ', "-")
        )),
        organisation: org.into(),
        updated: Utc.with_ymd_and_hms(2025, 3, day, 10, 0, 0).unwrap(),
        progress: crate::engine::Progress {
            answered: pct,
            total: 100,
            unknown: 0,
        },
        verdict,
        provisional: true,
        error: None,
    };
    app.start.sessions = vec![
        info("Acme Payroll Ltd", 14, 45, crate::engine::Verdict::Soc1),
        info("Globex Analytics", 2, 100, crate::engine::Verdict::Soc2),
    ];
    app
}

fn screens() -> Vec<(&'static str, App)> {
    let mut out = vec![("start", start_app())];
    for (name, screen) in [
        ("details", Screen::Details),
        ("inventory", Screen::Inventory),
        ("questions", Screen::Questions),
        ("recommendation", Screen::Recommendation),
        ("decision", Screen::Decision("verdict".into())),
        ("review", Screen::Review),
        ("export", Screen::Export),
    ] {
        let mut app = sample();
        app.stack = vec![screen];
        app.inventory.pane = Pane::Identities;
        out.push((name, app));
    }
    let mut help = sample();
    keys(&mut help, "?");
    out.push(("help", help));
    let mut kind = sample();
    kind.stack = vec![Screen::Inventory];
    kind.inventory.pane = Pane::Identities;
    keys(&mut kind, "t");
    out.push(("kind_picker", kind));
    let mut confirm = sample();
    confirm.stack = vec![Screen::Inventory];
    keys(&mut confirm, "d");
    out.push(("confirm_remove", confirm));
    let mut note = sample();
    keys(&mut note, "n");
    out.push(("note_editor", note));
    out
}

#[test]
fn snapshots_80x24() {
    for (name, mut app) in screens() {
        let t = render(&mut app, 80, 24);
        insta::assert_snapshot!(format!("{name}_80x24"), t.backend());
    }
}

#[test]
fn snapshots_120x40() {
    for (name, mut app) in screens() {
        let t = render(&mut app, 120, 40);
        insta::assert_snapshot!(format!("{name}_120x40"), t.backend());
    }
}

#[test]
fn no_color_uses_no_colours_and_marks_focus_without_them() {
    for (name, mut app) in screens() {
        app.theme = Theme { color: false };
        let t = render(&mut app, 80, 24);
        let buf = t.backend().buffer();
        for cell in buf.content() {
            assert!(
                cell.fg == Color::Reset && cell.bg == Color::Reset,
                "{name}: coloured cell {cell:?}"
            );
        }
        // The focused row is in reverse video and carries a text marker.
        let reversed = buf
            .content()
            .iter()
            .any(|c| c.modifier.contains(Modifier::REVERSED));
        assert!(reversed, "{name}: nothing in reverse video");
        if name == "questions" {
            insta::assert_snapshot!("questions_no_color_80x24", t.backend());
        }
    }
}

#[test]
fn too_small_says_so() {
    let mut app = sample();
    let t = render(&mut app, 50, 12);
    insta::assert_snapshot!("too_small", t.backend());
}

#[test]
fn control_characters_never_reach_the_screen() {
    let mut app = sample();
    app.work.as_mut().unwrap().session.systems[0].name = "Evil\u{1b}]0;pwned\u{7}\u{1b}[2J".into();
    app.stack = vec![Screen::Inventory];
    let t = render(&mut app, 80, 24);
    for cell in t.backend().buffer().content() {
        assert!(
            !cell.symbol().chars().any(char::is_control),
            "control char drawn"
        );
    }
}

/// The keymap as documentation: this snapshot is the table to paste into the docs.
#[test]
fn keymap_markdown() {
    insta::assert_snapshot!("keymap", keymap::markdown());
}
