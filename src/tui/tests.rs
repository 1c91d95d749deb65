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
use crate::report::wording;
use crate::session::{EntityId, Session, Value};
use crate::workshop::catalogue::SessionInfo;

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

/// What is saved of a session: its file and the journal beside it (changes are appended to
/// the journal and folded into the file when the app leaves).
fn on_disk(path: &std::path::Path) -> String {
    let mut text = std::fs::read_to_string(path).unwrap();
    if let Ok(j) = std::fs::read_to_string(crate::session::journal::journal_path(path)) {
        text.push_str(&j);
    }
    text
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
    // The kind picker opens by itself; 5 = service account in the built-in questionnaire.
    assert!(matches!(app.modal, Some(Modal::Kind(_))));
    keys(app, "5");
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
    // Enter saves and opens the next field's box.
    assert_eq!(enter(&mut app), vec![Effect::Save]);
    typed(&mut app, "Ann, Bob ; Cy");
    enter(&mut app);
    let ws = &app.work.as_ref().unwrap().session.workshop;
    assert_eq!(ws.facilitator, "Dana");
    assert_eq!(ws.participants, vec!["Ann", "Bob", "Cy"]);
    // A bad date is refused with a reason and the text is kept for fixing.
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
    assert!(matches!(app.modal, Some(Modal::Confirm(_))));
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

    // privacy_commitments is asked only when personal data is held.
    let shown = |app: &App| {
        let w = app.work.as_ref().unwrap();
        w.shown(&EntityId::Engagement)
            .iter()
            .any(|&i| app.q.questions[i].id == "privacy_commitments")
    };
    assert!(!shown(&app));
    app.questions.at = Some((EntityId::Engagement, "personal_data".into()));
    app.reset_cursor();
    keys(&mut app, "1");
    assert!(
        shown(&app),
        "a follow-up appears as soon as the answer allows it"
    );
    app.questions.at = Some((EntityId::Engagement, "personal_data".into()));
    app.reset_cursor();
    keys(&mut app, "2");
    assert!(
        !shown(&app),
        "a follow-up vanishes as soon as the answer changes"
    );
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
    assert_eq!(
        w.session.note(&EntityId::Engagement, "report_requesters"),
        Some("Asked by the CFO\nfollow up")
    );
    // A note never answers the question (issue 14, point 2).
    assert!(
        w.answer(&EntityId::Engagement, "report_requesters")
            .is_none()
    );
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
    let note = w.session.note(&EntityId::Engagement, "report_requesters");
    assert_eq!(note, Some("line one\nline [31mtwo"));
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
        w.session.note(&EntityId::Engagement, "report_requesters"),
        Some("half a thought")
    );
}

#[test]
fn recommendation_drill_down_jumps_to_a_question_and_esc_comes_back() {
    let mut app = app(Screen::Questions);
    keys(&mut app, "1");
    enter(&mut app);
    keys(&mut app, "1");
    // Now on a typed question, where r is text: Tab goes to the screens.
    feed(&mut app, &[key(KeyCode::Tab)]);
    assert_eq!(app.screen(), &Screen::Recommendation);
    enter(&mut app);
    let Screen::Decision(id) = app.screen().clone() else {
        panic!("decision screen")
    };
    assert_eq!(id, "verdict");
    let first = app
        .detail_lines("verdict")
        .into_iter()
        .find_map(|l| l.jump)
        .expect("a jumpable line");
    enter(&mut app);
    assert_eq!(app.screen(), &Screen::Questions);
    assert_eq!(
        at(&app),
        first.1,
        "the first jumpable line is the first trigger"
    );
    esc(&mut app);
    assert_eq!(app.screen(), &Screen::Decision("verdict".into()));
    esc(&mut app);
    assert_eq!(app.screen(), &Screen::Recommendation);
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
    let fx = esc(&mut app);
    assert_eq!(fx, vec![Effect::Close]);
    apply_all(&mut app, fx);
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
    let text = on_disk(&path);
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
        Ctx::TypedQuestion,
        Ctx::OneChoiceQuestion,
        Ctx::Recommendation,
        Ctx::Decision,
        Ctx::Review,
        Ctx::Export,
        Ctx::Changes,
        Ctx::Conflicts,
        Ctx::Import,
    ] {
        let in_workshop = ctx != Ctx::Start;
        let bindings = keymap::bindings_for(ctx, in_workshop);
        for (label, hint) in keymap::hints(ctx, in_workshop) {
            assert!(
                bindings
                    .iter()
                    .any(|b| keymap::label(b, ctx) == label && b.hint == hint)
            );
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
    // A note on the typed question that follows (n would be text there).
    ctrl(&mut app, 'n');
    typed(&mut app, "Confirmed by the CFO");
    esc(&mut app);
    app.status = None;
    app
}

fn ctrl(app: &mut App, c: char) -> Vec<Effect> {
    feed(
        app,
        &[Event::Key(KeyEvent::new(
            KeyCode::Char(c),
            KeyModifiers::CONTROL,
        ))],
    )
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
            may_follow: 0,
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
    // The drill-down scrolled to "What would change this?" (computed as when it opens).
    let mut sens = sample();
    sens.stack = vec![Screen::Recommendation];
    enter(&mut sens);
    let lines = sens.detail_lines("verdict");
    sens.decision
        .window
        .focus(lines.iter().rposition(|l| l.jump.is_some()).unwrap_or(0));
    out.push(("decision_sensitivity", sens));
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
    ctrl(&mut note, 'n');
    out.push(("note_editor", note));
    // Never lose a workshop: the secret, locked and damaged dialogs, and a read-only workshop.
    let mut secret = sample();
    type_text_answer(&mut secret, &format!("Payroll bureaus; CI token {TOKEN}"));
    out.push(("secret_dialog", secret));
    let mut locked = start_app();
    locked.modal = Some(Modal::Locked {
        path: PathBuf::from("/data/acme-payroll-ltd.toml"),
        holder: Some(crate::session::lock::Holder {
            pid: 4242,
            host: "build-01".into(),
            since: "2026-11-20T09:00:00Z".into(),
        }),
    });
    out.push(("locked_dialog", locked));
    let mut damaged = start_app();
    let error = crate::session::file::parse(
        "/data/acme-payroll-ltd.toml",
        "[workshop]\norganisation = \"Acme\nfacilitator = 3\n",
        &damaged.q,
    )
    .map(|_| ())
    .expect_err("damaged")
    .to_string();
    damaged.modal = Some(Modal::Damaged {
        path: PathBuf::from("/data/acme-payroll-ltd.toml"),
        error,
        backup: PathBuf::from("/data/acme-payroll-ltd.toml.bak"),
        aside: PathBuf::from("/data/acme-payroll-ltd.toml.corrupt"),
    });
    out.push(("damaged_dialog", damaged));
    let mut read_only = sample();
    {
        let w = read_only.work.as_mut().unwrap();
        w.lease = crate::workshop::Lease::never_writes(w.path());
    }
    keys(&mut read_only, "1");
    out.push(("read_only", read_only));
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

/// docs/keys.md is generated from the keymap; this fails when it differs, so the docs cannot
/// drift. `UPDATE_KEYS_DOC=1 cargo test --lib keys_doc` rewrites it.
#[test]
fn keys_doc_matches_the_keymap() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/keys.md");
    let want = keymap::document();
    if std::env::var_os("UPDATE_KEYS_DOC").is_some() {
        std::fs::write(&path, &want).unwrap();
    }
    let have = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        have == want,
        "docs/keys.md differs from the keymap: run `UPDATE_KEYS_DOC=1 cargo test --lib keys_doc` \
         and commit the result"
    );
}

// ----- Facilitator QA fixes and new features ---------------------------------------------------

#[test]
fn typing_on_a_typed_question_starts_the_answer_instead_of_running_commands() {
    let mut app = app(Screen::Questions);
    keys(&mut app, "1");
    app.questions.at = Some((EntityId::Engagement, "controls_months".into()));
    app.ensure_question();
    assert_eq!(at(&app), "controls_months");
    // "14" used to be two "pick" keys that did nothing; now it is the answer.
    typed(&mut app, "14");
    assert!(matches!(&app.modal, Some(Modal::Editor(ed)) if ed.text() == "14"));
    assert_eq!(enter(&mut app), vec![Effect::Save]);
    assert_eq!(
        answer(&app, &EntityId::Engagement, "controls_months"),
        Some(Value::Number(14.0))
    );
    // A sentence typed on the question goes into the answer, even with bound letters in it.
    app.questions.at = Some((EntityId::Engagement, "customer_base".into()));
    app.ensure_question();
    assert_eq!(at(&app), "customer_base");
    typed(&mut app, "Runs payroll");
    assert_eq!(app.screen(), &Screen::Questions);
    assert!(matches!(&app.modal, Some(Modal::Editor(ed)) if ed.text() == "Runs payroll"));
    esc(&mut app);
    // Letters are text wherever the screen invites typing: even command letters.
    typed(&mut app, "r");
    assert_eq!(app.screen(), &Screen::Questions);
    assert!(matches!(&app.modal, Some(Modal::Editor(ed)) if ed.text() == "r"));
}

/// A key typed by mistake on an answered typed question (QA: `N`, meant as "next unanswered",
/// typed an "N") opens a box that Esc cancels: the saved answer stays. Enter saves what is
/// typed; quitting keeps both, the answer and the typed text as a draft in the note.
#[test]
fn a_stray_key_on_an_answered_typed_question_cannot_overwrite_the_answer() {
    let mut app = app(Screen::Questions);
    app.questions.at = Some((EntityId::Engagement, "customer_base".into()));
    app.ensure_question();
    typed(&mut app, "Banks and lenders");
    enter(&mut app);
    app.questions.at = Some((EntityId::Engagement, "customer_base".into()));
    app.ensure_question();
    typed(&mut app, "N");
    assert!(
        matches!(&app.modal, Some(Modal::Editor(ed)) if ed.text() == "N" && ed.title.contains("Banks and lenders")),
        "the box says which answer it would replace"
    );
    assert!(
        super::dialog::hints_text(&app).contains("Esc: cancel, keep the answer"),
        "{}",
        super::dialog::hints_text(&app)
    );
    assert!(esc(&mut app).is_empty(), "nothing to save");
    assert!(app.modal.is_none());
    let saved = |app: &App| answer(app, &EntityId::Engagement, "customer_base");
    assert_eq!(saved(&app), Some(Value::Text("Banks and lenders".into())));
    assert!(
        status_text(&app).contains("Cancelled"),
        "{}",
        status_text(&app)
    );
    // Quitting with a box typed over the answer keeps the answer and the typed text.
    typed(&mut app, "Retail");
    let fx = feed(
        &mut app,
        &[Event::Key(KeyEvent::new(
            KeyCode::Char('c'),
            KeyModifiers::CONTROL,
        ))],
    );
    assert!(fx.contains(&Effect::Save));
    assert_eq!(saved(&app), Some(Value::Text("Banks and lenders".into())));
    let w = app.work.as_ref().unwrap();
    let note = w
        .session
        .note(&EntityId::Engagement, "customer_base")
        .unwrap_or_default();
    assert!(note.contains("Retail"), "{note}");
}

/// Quitting with an answer that does not parse keeps it as a draft after the note already
/// written on the unanswered question: the note was read from the answer only, so a note
/// written before answering was replaced by the draft.
#[test]
fn a_draft_kept_on_quitting_keeps_the_note_written_before() {
    let mut app = app(Screen::Questions);
    let e = EntityId::Engagement;
    app.work.as_mut().unwrap().session.set_note(
        "controls_months",
        &e,
        "since the SOC 2 in May",
        Utc::now(),
    );
    app.questions.at = Some((e.clone(), "controls_months".into()));
    app.ensure_question();
    typed(&mut app, "six");
    feed(
        &mut app,
        &[Event::Key(KeyEvent::new(
            KeyCode::Char('c'),
            KeyModifiers::CONTROL,
        ))],
    );
    let note = app
        .work
        .as_ref()
        .unwrap()
        .session
        .note(&e, "controls_months");
    let note = note.unwrap_or_default();
    assert!(
        note.contains("since the SOC 2 in May") && note.contains("six"),
        "{note}"
    );
}

/// Enter in a box typed over an answer saves the new answer: replacing stays one key away.
#[test]
fn enter_saves_a_new_answer_typed_over_a_saved_one() {
    let mut app = app(Screen::Questions);
    app.questions.at = Some((EntityId::Engagement, "customer_base".into()));
    app.ensure_question();
    typed(&mut app, "Banks");
    enter(&mut app);
    app.questions.at = Some((EntityId::Engagement, "customer_base".into()));
    app.ensure_question();
    typed(&mut app, "Retail");
    enter(&mut app);
    assert_eq!(
        answer(&app, &EntityId::Engagement, "customer_base"),
        Some(Value::Text("Retail".into()))
    );
}

#[test]
fn esc_cancels_adding_and_creating_but_keeps_answers() {
    let mut app = app(Screen::Inventory);
    keys(&mut app, "a");
    typed(&mut app, "Half typed");
    assert!(esc(&mut app).is_empty());
    assert!(app.work.as_ref().unwrap().session.systems.is_empty());
    let mut start = App::new(q(), Theme { color: true });
    enter(&mut start);
    typed(&mut start, "Acme");
    assert!(
        esc(&mut start).is_empty(),
        "Esc on a new workshop creates nothing"
    );
}

#[test]
fn after_a_section_answering_goes_to_the_next_unanswered_question() {
    let mut app = app(Screen::Questions);
    with_inventory(&mut app);
    // Answer the identity's questions first (as a facilitator coming from Inventory would).
    let ident = EntityId::Identity("i1".into());
    app.stack = vec![Screen::Questions];
    let shown = app.work.as_ref().unwrap().shown(&ident);
    let last = app.q.questions[*shown.last().unwrap()].id.clone();
    app.questions.at = Some((ident.clone(), last));
    app.reset_cursor();
    keys(&mut app, "u");
    // The identity was the last section: on to the first unanswered question, not "the end".
    let (e, _) = app.questions.at.clone().unwrap();
    assert_eq!(e, EntityId::Engagement);
    assert_eq!(at(&app), "report_requesters");
}

#[test]
fn drill_down_shows_what_would_change_it_and_enter_on_a_flip_jumps_there() {
    let mut app = app(Screen::Questions);
    with_inventory(&mut app);
    app.stack = vec![Screen::Questions];
    app.questions.at = Some((EntityId::Engagement, "report_requesters".into()));
    app.reset_cursor();
    keys(&mut app, "1");
    enter(&mut app);
    keys(&mut app, "r");
    enter(&mut app);
    assert_eq!(app.screen(), &Screen::Decision("verdict".into()));
    // Computed once when the drill-down opened, and cached by decision id.
    let w = app.work.as_ref().unwrap();
    assert!(w.cached_sensitivity("verdict").is_some());
    let lines = app.detail_lines("verdict");
    assert!(lines.iter().any(|l| l.text == "What would change this?"));
    let flip = lines
        .iter()
        .position(|l| l.style == super::screen::decision::LineStyle::Flip)
        .expect("a single answer change flips the verdict");
    // Worded as the change to make, as every output words it: "adding X would make it ...".
    assert!(
        lines[flip].text.contains(": adding ") && lines[flip].text.contains(" would make it "),
        "{}",
        lines[flip].text
    );
    let target = lines[flip].jump.clone().unwrap();
    app.decision.window.cursor = flip;
    enter(&mut app);
    assert_eq!(app.screen(), &Screen::Questions);
    assert_eq!(app.questions.at, Some(target.clone()));
    // The cursor is on the choice the flip suggests adding, ready for Space.
    let (_, _, question) = app.current().unwrap();
    let row = app.questions.choices.cursor;
    assert!(
        lines[flip].text.contains(&question.choices[row].label),
        "cursor on {:?} for {}",
        question.choices[row].label,
        lines[flip].text
    );
    // Answering after such a jump stays on the question; Esc goes back to the same line.
    let before = app.questions.at.clone();
    keys(&mut app, "u");
    assert_eq!(app.questions.at, before);
    assert!(
        app.work.as_ref().unwrap().sensitivity.is_none(),
        "any answer change drops the cached sensitivity"
    );
    esc(&mut app);
    assert_eq!(app.screen(), &Screen::Decision("verdict".into()));
    assert!(
        app.work
            .as_ref()
            .unwrap()
            .cached_sensitivity("verdict")
            .is_some()
    );
    assert!(
        app.status.is_some(),
        "the change to the decision is reported"
    );
}

#[test]
fn identity_drill_down_lists_evidence_gaps() {
    let q = q();
    let text = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("assets/examples/s3-billing-service-account.toml"),
    )
    .unwrap();
    let s = crate::session::file::parse("s3.toml", &text, &q).unwrap().0;
    let mut app = App::new(q, Theme { color: true });
    app.install(s, PathBuf::from("/tmp/s3.toml"), Screen::Recommendation);
    let id = app
        .work
        .as_ref()
        .unwrap()
        .rec(&app.q)
        .identities
        .iter()
        .find(|i| i.name == "svc-billing")
        .unwrap()
        .decision
        .id
        .to_string();
    let lines = app.detail_lines(&id);
    let gaps: Vec<&str> = lines
        .iter()
        .filter(|l| l.style == super::screen::decision::LineStyle::Gap)
        .map(|l| l.text.as_str())
        .collect();
    assert!(gaps.iter().any(|g| g.contains("owner")), "{gaps:?}");
    assert!(gaps.iter().any(|g| g.contains("rotation")), "{gaps:?}");
    assert!(gaps.iter().any(|g| g.contains("access review")), "{gaps:?}");
    assert!(gaps.iter().any(|g| g.contains("privilege")), "{gaps:?}");
}

#[test]
fn export_writes_the_evidence_plan_next_to_the_session() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("acme.toml");
    let mut app = app_at(Screen::Export, path);
    for f in [
        super::update::Format::EvidenceMarkdown,
        super::update::Format::EvidenceJson,
    ] {
        super::apply(&mut app, Effect::Export(f));
    }
    assert!(dir.path().join("acme-evidence.md").is_file());
    assert!(dir.path().join("acme-evidence.json").is_file());
    assert_eq!(
        app.export.written,
        vec![
            dir.path().join("acme-evidence.md"),
            dir.path().join("acme-evidence.json")
        ]
    );
    // Enter on the third row asks for the Markdown checklist.
    keys(&mut app, "jj");
    assert_eq!(
        enter(&mut app),
        vec![Effect::Export(super::update::Format::EvidenceMarkdown)]
    );
}

#[test]
fn import_previews_first_and_only_a_confirmation_changes_the_inventory() {
    let fixture = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/import/okta-users.csv");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("acme.toml");
    let mut app = app_at(Screen::Inventory, path.clone());
    keys(&mut app, "i");
    feed(&mut app, &[Event::Paste(fixture.display().to_string())]);
    let fx = enter(&mut app);
    assert!(matches!(fx.as_slice(), [Effect::ImportPreview { .. }]));
    for e in fx {
        super::apply(&mut app, e);
    }
    let Some(Modal::Import(p)) = &app.modal else {
        panic!("the preview opens")
    };
    assert!(p.plan.is_some(), "{}", p.text);
    assert!(p.text.contains("svc-billing"), "{}", p.text);
    // Cancel: nothing changes.
    esc(&mut app);
    assert!(app.modal.is_none());
    assert!(app.work.as_ref().unwrap().session.identities.is_empty());
    // Again, and confirm: identities are added and the session is saved.
    keys(&mut app, "i");
    feed(&mut app, &[Event::Paste(fixture.display().to_string())]);
    for e in enter(&mut app) {
        super::apply(&mut app, e);
    }
    let fx = keys(&mut app, "y");
    assert_eq!(fx, vec![Effect::Save]);
    for e in fx {
        super::apply(&mut app, e);
    }
    let s = &app.work.as_ref().unwrap().session;
    assert!(s.identities.iter().any(|i| i.name == "svc-billing"));
    assert!(on_disk(&path).contains("svc-billing"));
}

#[test]
fn import_with_bad_rows_lists_them_and_offers_to_skip_them() {
    let fixture =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/import/bad-rows.csv");
    let mut app = app(Screen::Inventory);
    super::apply(&mut app, Effect::ImportPreview { path: fixture });
    let Some(Modal::Import(p)) = &app.modal else {
        panic!("the preview opens")
    };
    assert!(p.plan.is_none() && p.can_skip_bad_rows);
    assert!(p.text.contains("bad-rows.csv:3"), "{}", p.text);
    // y cannot import a file with bad rows; s previews without them, at once.
    assert!(keys(&mut app, "y").is_empty());
    assert!(app.modal.is_some());
    assert!(keys(&mut app, "s").is_empty());
    let Some(Modal::Import(p)) = &app.modal else {
        panic!("the preview stays open")
    };
    let plan = p.plan.as_ref().expect("the other rows can be imported");
    assert_eq!(plan.skipped.len(), 3);
    // s again puts them back.
    keys(&mut app, "s");
    assert!(matches!(&app.modal, Some(Modal::Import(p)) if p.plan.is_none()));
}

/// A CSV whose columns the auto-detection does not recognise is mapped in the app: the mapping
/// comes first, ←/→ change the field the highlighted column feeds, the dry run is recomputed
/// after each change, and only a valid preview can be imported.
#[test]
fn import_maps_an_unrecognised_column_in_the_app() {
    let fixture = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/import/unrecognised-columns.csv");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("acme.toml");
    let mut app = app_at(Screen::Inventory, path.clone());
    keys(&mut app, "i");
    feed(&mut app, &[Event::Paste(fixture.display().to_string())]);
    for e in enter(&mut app) {
        super::apply(&mut app, e);
    }
    assert!(matches!(&app.modal, Some(Modal::Import(p)) if p.plan.is_none()));
    let screen = screen_text(&mut app, 80, 24);
    assert!(
        screen.contains("Login Id") && screen.contains("Perm"),
        "the columns are listed first: {screen}"
    );
    assert!(
        !screen.contains("--map"),
        "no command-line flag in the app: {screen}"
    );
    // Nothing feeds the name yet: y imports nothing.
    assert!(keys(&mut app, "y").is_empty());
    assert!(app.modal.is_some());
    assert!(app.work.as_ref().unwrap().session.identities.is_empty());
    // → on the first column (Login Id): it feeds the name, and the preview is valid at once.
    keys(&mut app, "l");
    let Some(Modal::Import(p)) = &app.modal else {
        panic!("the preview stays open")
    };
    let plan = p.plan.as_ref().expect("valid once a column feeds the name");
    let names: Vec<&str> = plan.identities.iter().map(|i| i.name.as_str()).collect();
    assert_eq!(names, ["zed", "yan"]);
    assert!(plan.identities[0].answers.is_empty());
    // The second column (Perm): ignored -> kind -> owner -> systems -> privilege (name is taken).
    keys(&mut app, "jllll");
    let Some(Modal::Import(p)) = &app.modal else {
        panic!("the preview stays open")
    };
    let plan = p.plan.as_ref().expect("still valid");
    assert_eq!(plan.identities[0].answers[0].question, "privilege");
    insta::assert_snapshot!("import_mapping_80x24", render(&mut app, 80, 24).backend());
    let fx = keys(&mut app, "y");
    assert_eq!(fx, vec![Effect::Save]);
    for e in fx {
        super::apply(&mut app, e);
    }
    assert!(app.modal.is_none());
    let e = EntityId::Identity("i1".into());
    assert_eq!(
        answer(&app, &e, "privilege"),
        Some(Value::Text("admin".into()))
    );
    let s = &app.work.as_ref().unwrap().session;
    assert_eq!(s.identities[0].name, "zed");
    assert_eq!(
        s.identities[0].answers["privilege"].source.as_deref(),
        Some("import:unrecognised-columns.csv")
    );
    assert!(on_disk(&path).contains("source = \"import:unrecognised-columns.csv\""));
}

/// A long line of the dry run wraps under its item, not back at the box's left edge.
#[test]
fn import_preview_indents_wrapped_lines_under_their_item() {
    let fixture =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/import/bad-rows.csv");
    let mut app = app(Screen::Inventory);
    super::apply(&mut app, Effect::ImportPreview { path: fixture });
    let screen = screen_text(&mut app, 80, 24);
    let rows: Vec<&str> = screen.lines().collect();
    let at = rows
        .iter()
        .position(|r| r.contains("  help: write one of: human_user"))
        .unwrap_or_else(|| panic!("the help line is shown: {screen}"));
    // The box's inner text starts after its left border (`│`).
    let inner = |r: &str| -> String {
        let (_, rest) = r.split_once("│ │").unwrap_or(("", r));
        rest.to_string()
    };
    let next = inner(rows[at + 1]);
    assert!(
        next.starts_with("    ") && !next.starts_with("     "),
        "the continuation is indented under \"help:\": {screen}"
    );
    assert!(
        next.trim_start().starts_with(char::is_alphanumeric),
        "{screen}"
    );
}

#[test]
fn inventory_filter_narrows_both_lists_and_keeps_the_selection_visible() {
    let mut app = app(Screen::Inventory);
    with_inventory(&mut app);
    keys(&mut app, "la");
    typed(&mut app, "alice");
    enter(&mut app);
    keys(&mut app, "1");
    esc(&mut app);
    keys(&mut app, "/");
    typed(&mut app, "deploy");
    enter(&mut app);
    assert_eq!(app.visible_identities().len(), 1);
    assert!(app.visible_systems().is_empty());
    let w = app.work.as_ref().unwrap();
    assert_eq!(
        w.session.identities[app.inventory.identity].name,
        "deploy-bot"
    );
}

#[test]
fn mouse_click_selects_a_row_and_a_second_click_acts_on_it() {
    use ratatui::crossterm::event::{MouseButton, MouseEvent, MouseEventKind};
    let click = |col, row| {
        Event::Mouse(MouseEvent {
            kind: MouseEventKind::Down(MouseButton::Left),
            column: col,
            row,
            modifiers: KeyModifiers::NONE,
        })
    };
    let mut app = app(Screen::Questions);
    // Clicks do nothing until mouse mode is on.
    render(&mut app, 80, 24);
    let hit = app.hits[0].clone();
    assert!(feed(&mut app, &[click(hit.area.x + 4, hit.area.y + 2)]).is_empty());
    assert_eq!(app.questions.choices.cursor, 0);
    app.mouse = true;
    feed(&mut app, &[click(hit.area.x + 4, hit.area.y + 2)]);
    assert_eq!(app.questions.choices.cursor, 2);
    // The second click on the highlighted choice ticks it (multiple choice).
    assert_eq!(
        feed(&mut app, &[click(hit.area.x + 4, hit.area.y + 2)]),
        vec![Effect::Save]
    );
    assert_eq!(
        answer(&app, &EntityId::Engagement, "report_requesters"),
        Some(Value::List(vec!["security_teams".into()]))
    );
}

// ----- Changes since… (year-over-year comparison) ----------------------------------------------

fn example(name: &str) -> Session {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("assets/examples")
        .join(name);
    crate::session::store::open(&path, &q()).unwrap().0
}

/// Last year's log-analytics workshop and this year's: eight months of controls now (Type 1
/// becomes Type 2), a system added and one renamed.
fn this_years(old: &Session) -> Session {
    let q = q();
    let now = Utc.with_ymd_and_hms(2027, 11, 24, 14, 0, 0).unwrap();
    let mut s = old.clone();
    s.workshop.date = Some(chrono::NaiveDate::from_ymd_opt(2027, 11, 24).unwrap());
    let question = q.question("controls_months").unwrap();
    s.set_answer(question, &EntityId::Engagement, Value::Number(8.0), now)
        .unwrap();
    s.add_system("Billing API", now);
    s.rename(&EntityId::System("s2".into()), "Dashboards web app", now);
    s.updated = now;
    s
}

#[test]
fn compare_picks_another_session_and_shows_the_decision_that_flipped() {
    use super::dialog::compare::PickRow;
    let dir = tempfile::tempdir().unwrap();
    let old_path = dir.path().join("loglight-2026.toml");
    let new_path = dir.path().join("loglight-2027.toml");
    let other_path = dir.path().join("payroll.toml");
    let examples = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/examples");
    std::fs::copy(examples.join("s2-log-analytics.toml"), &old_path).unwrap();
    std::fs::copy(examples.join("s1-payroll-provider.toml"), &other_path).unwrap();
    let old_bytes = std::fs::read(&old_path).unwrap();
    let old = example("s2-log-analytics.toml");
    let q = q();
    crate::workshop::save(&new_path, &this_years(&old), &q).unwrap();
    let (s, _) = crate::session::store::open(&new_path, &q).unwrap();
    let mut app = App::new(q, Theme { color: true });
    app.install(s, new_path.clone(), Screen::Recommendation);

    // c asks for the picker; the loop lists the data directory (here: the temporary one).
    assert_eq!(keys(&mut app, "c"), vec![Effect::ComparePicker]);
    super::screen::changes::open_picker_in(&mut app, Ok(dir.path().to_path_buf()));
    let Some(Modal::Compare(p)) = &app.modal else {
        panic!("the picker should be open");
    };
    // The open session is not offered; the same organisation comes first, then a file.
    let paths: Vec<_> = p
        .rows
        .iter()
        .map(|r| match r {
            PickRow::Session { path, same_org, .. } => (Some(path.clone()), *same_org),
            PickRow::OpenFile => (None, false),
        })
        .collect();
    assert_eq!(
        paths,
        vec![
            (Some(old_path.clone()), true),
            (Some(other_path.clone()), false),
            (None, false)
        ]
    );

    // Enter compares: the view shows the Type decision flipped by controls_months.
    let fx = enter(&mut app);
    assert_eq!(fx, vec![Effect::Compare(old_path.clone())]);
    assert!(app.modal.is_none());
    for e in fx {
        super::apply(&mut app, e);
    }
    assert_eq!(app.screen(), &Screen::Changes);
    let view = app.compare.view.as_ref().expect("the comparison is shown");
    let flipped = view
        .diff
        .decisions
        .iter()
        .find(|d| d.id == "type.soc2")
        .expect("the Type decision flipped");
    assert_eq!(flipped.answers[0].question, "controls_months");
    let text = super::screen::changes::diff_lines(&view.diff)
        .into_iter()
        .map(|l| l.text)
        .collect::<Vec<_>>()
        .join("\n");
    assert!(text.contains("2 months → 8 months"), "{text}");
    assert!(text.contains("+ Billing API (added)"), "{text}");
    assert!(
        text.contains("renamed from Dashboards and search web app"),
        "{text}"
    );

    // It scrolls, and x writes the Markdown next to the session file.
    render(&mut app, 80, 24);
    keys(&mut app, "j");
    assert_eq!(app.compare.view.as_ref().unwrap().window.offset, 1);
    keys(&mut app, "G");
    render(&mut app, 80, 24);
    assert!(app.compare.view.as_ref().unwrap().window.offset < 100);
    let fx = keys(&mut app, "x");
    assert_eq!(fx, vec![Effect::WriteChanges]);
    for e in fx {
        super::apply(&mut app, e);
    }
    let md_path = dir.path().join("loglight-2027-changes.md");
    let md = std::fs::read_to_string(&md_path).unwrap();
    assert!(md.contains("→ **8 months**"), "{md}");
    assert_eq!(
        app.compare.view.as_ref().unwrap().written.as_ref(),
        Some(&md_path)
    );
    assert!(matches!(&app.status, Some((_, m)) if m.contains("loglight-2027-changes.md")));

    // Esc goes back; last year's file was only read.
    esc(&mut app);
    assert_eq!(app.screen(), &Screen::Recommendation);
    assert_eq!(std::fs::read(&old_path).unwrap(), old_bytes);
}

#[test]
fn compare_with_an_unreadable_file_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = app_at(Screen::Recommendation, dir.path().join("acme.toml"));
    keys(&mut app, "c");
    super::screen::changes::open_picker_in(&mut app, Ok(dir.path().join("missing")));
    // Only "Open a file…" is offered; o (or Enter on it) asks for a path.
    keys(&mut app, "o");
    assert!(matches!(&app.modal, Some(Modal::Editor(_))));
    let bad = dir.path().join("notes.toml");
    std::fs::write(&bad, "this is = not [a session").unwrap();
    typed(&mut app, &bad.display().to_string());
    let fx = enter(&mut app);
    assert_eq!(fx, vec![Effect::Compare(bad.clone())]);
    for e in fx {
        super::apply(&mut app, e);
    }
    assert_eq!(app.screen(), &Screen::Recommendation);
    assert!(
        matches!(&app.status, Some((super::app::StatusKind::Error, m)) if m.contains("Could not compare"))
    );
    super::apply(&mut app, Effect::Compare(dir.path().join("gone.toml")));
    assert!(matches!(
        &app.status,
        Some((super::app::StatusKind::Error, _))
    ));
    assert!(app.compare.view.is_none());
}

#[test]
fn an_older_session_of_the_same_organisation_is_hinted_on_resume() {
    let mut app = app(Screen::Recommendation);
    let info = |org: &str, path: &str, y, error: Option<String>| SessionInfo {
        path: PathBuf::from(path),
        organisation: org.into(),
        updated: Utc.with_ymd_and_hms(y, 3, 10, 10, 0, 0).unwrap(),
        progress: crate::engine::Progress::default(),
        verdict: crate::engine::Verdict::Soc1,
        provisional: false,
        error,
    };
    // Newer ones, other organisations and unreadable files are not "the last workshop".
    let sessions = vec![
        info("Acme Payroll Ltd", "/data/acme-2026.toml", 2026, None),
        info("Globex", "/data/globex.toml", 2024, None),
        info("acme payroll ltd ", "/data/acme-2024.toml", 2024, None),
        info(
            "Acme Payroll Ltd",
            "/data/acme-broken.toml",
            2024,
            Some("bad".into()),
        ),
    ];
    super::screen::changes::set_hint(&mut app, &sessions);
    assert_eq!(
        app.compare.hint.as_deref(),
        Some("Last workshop for Acme Payroll Ltd: 2024-03-10")
    );
    assert!(matches!(&app.status, Some((_, m)) if m.contains("press c")));
    let t = render(&mut app, 100, 30);
    let screen: String = t
        .backend()
        .buffer()
        .content()
        .iter()
        .map(|c| c.symbol())
        .collect();
    assert!(screen.contains("press c to compare"), "{screen}");
    // Only a newer one: no hint.
    super::screen::changes::set_hint(&mut app, &sessions[..2]);
    assert!(app.compare.hint.is_none());
}

#[test]
fn c_on_the_start_screen_opens_the_workshop_then_the_picker() {
    let mut app = start_app();
    app.start.list.cursor = 1;
    assert_eq!(
        keys(&mut app, "c"),
        vec![
            Effect::Open(PathBuf::from("/data/acme-payroll-ltd.toml")),
            Effect::ComparePicker
        ]
    );
    app.start.list.cursor = 0;
    assert!(keys(&mut app, "c").is_empty());
}

/// The "Changes since…" view, and its picker, as drawn.
fn changes_app() -> App {
    let q = q();
    let old = example("s2-log-analytics.toml");
    let new = this_years(&old);
    let diff = crate::diff::compare(&q, &old, &new);
    let mut app = App::new(q, Theme { color: true });
    app.install(
        new,
        PathBuf::from("/data/loglight-2027.toml"),
        Screen::Recommendation,
    );
    app.compare.view = Some(super::screen::changes::ChangesView {
        old,
        old_path: PathBuf::from("/data/loglight-2026.toml"),
        diff,
        window: Default::default(),
        rows: Default::default(),
        written: None,
    });
    app.stack.push(Screen::Changes);
    app
}

#[test]
fn changes_snapshots() {
    for (w, h) in [(80, 24), (120, 40)] {
        let mut app = changes_app();
        let t = render(&mut app, w, h);
        insta::assert_snapshot!(format!("changes_{w}x{h}"), t.backend());
    }
    let mut app = changes_app();
    app.stack.pop();
    app.modal = Some(Modal::Compare(Box::new(
        super::dialog::compare::Picker::new(
            super::dialog::compare::picker_rows(
                &[
                    SessionInfo {
                        path: PathBuf::from("/data/globex.toml"),
                        organisation: "Globex Analytics".into(),
                        updated: Utc.with_ymd_and_hms(2027, 1, 5, 10, 0, 0).unwrap(),
                        progress: crate::engine::Progress::default(),
                        verdict: crate::engine::Verdict::Soc2,
                        provisional: true,
                        error: None,
                    },
                    SessionInfo {
                        path: PathBuf::from("/data/loglight-2026.toml"),
                        organisation: "Loglight Analytics Inc.".into(),
                        updated: Utc.with_ymd_and_hms(2026, 11, 24, 15, 1, 0).unwrap(),
                        progress: crate::engine::Progress::default(),
                        verdict: crate::engine::Verdict::Soc2,
                        provisional: false,
                        error: None,
                    },
                ],
                std::path::Path::new("/data/loglight-2027.toml"),
                "Loglight Analytics Inc.",
            ),
            None,
        ),
    )));
    let t = render(&mut app, 80, 24);
    insta::assert_snapshot!("compare_picker_80x24", t.backend());
}

// ----- Never lose a workshop: secrets kept on purpose, locked and damaged sessions ------------

fn apply_all(app: &mut App, fx: Vec<Effect>) {
    for f in fx {
        super::apply(app, f);
    }
}

/// A copy of an example session in `dir`, opened in the app as `resume` opens it.
fn opened_copy(dir: &std::path::Path, example: &str) -> (PathBuf, App) {
    let path = dir.join(example);
    std::fs::copy(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("assets/examples")
            .join(example),
        &path,
    )
    .unwrap();
    let mut app = App::new(q(), Theme { color: true });
    super::apply(&mut app, Effect::Open(path.clone()));
    (path, app)
}

fn status_text(app: &App) -> String {
    app.status
        .as_ref()
        .map(|(_, m)| m.clone())
        .unwrap_or_default()
}

pub(super) fn screen_text(app: &mut App, w: u16, h: u16) -> String {
    let t = render(app, w, h);
    let buf = t.backend().buffer();
    let mut out = String::new();
    for y in 0..h {
        for x in 0..w {
            out.push_str(buf[(x, y)].symbol());
        }
        out.push('\n');
    }
    out
}

const TOKEN: &str = "ghp_aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY3zA5";

/// Answers the free-text question `customer_base` by typing `text` into its box and Enter.
fn type_text_answer(app: &mut App, text: &str) -> Vec<Effect> {
    app.stack = vec![Screen::Questions];
    app.questions.at = Some((EntityId::Engagement, "customer_base".into()));
    app.reset_cursor();
    let mut fx = enter(app);
    assert!(
        matches!(app.modal, Some(Modal::Editor(_))),
        "the text box opens"
    );
    fx.extend(feed(
        app,
        &[Event::Key(KeyEvent::new(
            KeyCode::Char('u'),
            KeyModifiers::CONTROL,
        ))],
    ));
    fx.extend(typed(app, text));
    fx.extend(enter(app));
    fx
}

fn stored(app: &App, qid: &str) -> crate::session::Answer {
    app.work
        .as_ref()
        .unwrap()
        .answer(&EntityId::Engagement, qid)
        .cloned()
        .expect("answered")
}

#[test]
fn a_typed_secret_is_stored_redacted_and_only_y_keeps_it_as_typed() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("secret.toml");
    let mut app = app_at(Screen::Questions, path.clone());
    let typed_answer = format!("Payroll bureaus; CI token {TOKEN}");

    // Typed secret: stored redacted at once (and saved so), the warning shown, the choice asked.
    let fx = type_text_answer(&mut app, &typed_answer);
    assert!(fx.contains(&Effect::Save));
    apply_all(&mut app, fx);
    let a = stored(&app, "customer_base");
    assert_eq!(
        a.value,
        Value::Text("Payroll bureaus; CI token ghp_…[REDACTED github-token]".into())
    );
    assert!(!a.secret_override);
    assert!(status_text(&app).contains("Possible secret redacted (GitHub token)"));
    assert!(matches!(&app.modal, Some(Modal::Secret(c)) if c.kinds == "GitHub token"));
    let file = on_disk(&path);
    assert!(!file.contains(TOKEN) && file.contains("REDACTED github-token"));
    let screen = screen_text(&mut app, 100, 30);
    assert!(
        screen.contains("Possible secret in this answer"),
        "{screen}"
    );
    assert!(screen.contains("Keep it as typed instead?"), "{screen}");

    // Other keys do nothing while the dialog is open (q included: only y, n, Enter, Esc).
    assert!(keys(&mut app, "q1u").is_empty());
    assert!(matches!(app.modal, Some(Modal::Secret(_))));

    // `y`: stored exactly as typed, marked, saved.
    let fx = keys(&mut app, "y");
    assert_eq!(fx, vec![Effect::Save]);
    apply_all(&mut app, fx);
    assert!(app.modal.is_none());
    let a = stored(&app, "customer_base");
    assert_eq!(a.value, Value::Text(typed_answer.clone()));
    assert!(a.secret_override);
    assert!(status_text(&app).contains("Kept as typed"));
    let file = on_disk(&path);
    assert!(file.contains(TOKEN), "overridden on purpose: {file}");
    // Exports never hold it, even kept on purpose.
    super::apply(&mut app, Effect::Export(super::update::Format::Markdown));
    let md = std::fs::read_to_string(dir.path().join("secret.md")).unwrap();
    assert!(!md.contains(TOKEN));

    // `n`, Enter and Esc keep it redacted; the file never sees the secret.
    for (key_ev, name) in [
        (key(KeyCode::Char('n')), "n"),
        (key(KeyCode::Enter), "Enter"),
        (key(KeyCode::Esc), "Esc"),
    ] {
        let other = format!("{TOKEN} again, via {name}");
        let fx = type_text_answer(&mut app, &other);
        apply_all(&mut app, fx);
        assert!(matches!(app.modal, Some(Modal::Secret(_))), "{name}");
        let fx = feed(&mut app, &[key_ev]);
        assert!(fx.is_empty(), "{name}: nothing more to save");
        assert!(app.modal.is_none(), "{name}");
        let a = stored(&app, "customer_base");
        assert_eq!(
            a.value,
            Value::Text(format!("ghp_…[REDACTED github-token] again, via {name}")),
            "{name}"
        );
        assert!(!a.secret_override, "{name}");
        assert!(status_text(&app).contains("Kept redacted"), "{name}");
        let file = on_disk(&path);
        assert!(!file.contains(TOKEN), "{name}: {file}");
    }

    // Quitting with the question open keeps the default: redacted.
    let fx = type_text_answer(&mut app, &format!("{TOKEN} then quit"));
    apply_all(&mut app, fx);
    let fx = feed(
        &mut app,
        &[Event::Key(KeyEvent::new(
            KeyCode::Char('c'),
            KeyModifiers::CONTROL,
        ))],
    );
    apply_all(&mut app, fx);
    assert!(app.quit);
    assert!(!on_disk(&path).contains(TOKEN));
}

#[test]
fn a_secret_in_a_note_is_redacted_and_y_keeps_the_note_as_typed() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("note.toml");
    let mut app = app_at(Screen::Questions, path.clone());
    let fx = keys(&mut app, "1");
    apply_all(&mut app, fx);
    let qid = at(&app);
    let qid = if app
        .work
        .as_ref()
        .unwrap()
        .answer(&EntityId::Engagement, &qid)
        .is_some()
    {
        qid
    } else {
        "report_requesters".to_string()
    };
    app.questions.at = Some((EntityId::Engagement, qid.clone()));
    keys(&mut app, "n");
    typed(&mut app, "Ask ops; db password=Hunter2Hunter2");
    let fx = esc(&mut app);
    apply_all(&mut app, fx);
    let note = |app: &App| stored(app, &qid).note.unwrap_or_default();
    assert_eq!(note(&app), "Ask ops; db password=…[REDACTED credential]");
    assert!(!on_disk(&path).contains("Hunter2"));
    match &app.modal {
        Some(Modal::Secret(c)) => {
            assert_eq!(c.field, super::dialog::secret::SecretField::Note);
            assert_eq!(c.stored, "…[REDACTED credential]");
        }
        _ => panic!("the choice is offered for notes too"),
    }
    let fx = keys(&mut app, "y");
    apply_all(&mut app, fx);
    assert_eq!(note(&app), "Ask ops; db password=Hunter2Hunter2");
    assert!(stored(&app, &qid).secret_override);
    assert!(on_disk(&path).contains("Hunter2Hunter2"));
}

/// Holds `session`'s lock as another socscope would (its own open file, its own lock file
/// text), so this process is refused it. Dropping the file lets go.
fn hold_as_another_process(session: &std::path::Path) -> std::fs::File {
    let lock = crate::session::lock::lock_path(session);
    std::fs::write(
        &lock,
        "pid = 4242\nhost = \"build-01\"\nsince = 2026-11-20T09:00:00Z\n",
    )
    .unwrap();
    let f = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(&lock)
        .unwrap();
    fs4::FileExt::try_lock(&f).expect("lock it");
    f
}

fn saved_session(dir: &std::path::Path, name: &str) -> (PathBuf, Questionnaire) {
    let q = q();
    let path = dir.join(name);
    let now = Utc.with_ymd_and_hms(2025, 3, 14, 9, 30, 0).unwrap();
    let s = Session::new(&q, "Acme Payroll Ltd", now);
    crate::workshop::save(&path, &s, &q).unwrap();
    (path, q)
}

#[test]
fn a_session_open_elsewhere_offers_read_only_or_cancel_and_read_only_refuses_edits() {
    let dir = tempfile::tempdir().unwrap();
    let (path, q) = saved_session(dir.path(), "locked.toml");
    let before = std::fs::read(&path).unwrap();
    let other = hold_as_another_process(&path);
    let mut app = App::new(q, Theme { color: true });

    // Opening it names the other process and offers read-only; Esc cancels.
    super::apply(&mut app, Effect::Open(path.clone()));
    match &app.modal {
        Some(Modal::Locked { path: p, holder }) => {
            assert_eq!(p, &path);
            let h = holder.as_ref().expect("who has it");
            assert_eq!((h.pid, h.host.as_str()), (4242, "build-01"));
        }
        _ => panic!("locked dialog expected, status {:?}", app.status),
    }
    assert!(app.work.is_none());
    let screen = screen_text(&mut app, 100, 30);
    assert!(
        screen.contains("socscope process 4242 on build-01"),
        "{screen}"
    );
    assert!(esc(&mut app).is_empty());
    assert!(app.modal.is_none() && app.work.is_none());
    assert!(status_text(&app).contains("Not opened"));

    // `r`: opened read-only, as `resume --read-only` does.
    super::apply(&mut app, Effect::Open(path.clone()));
    let fx = keys(&mut app, "r");
    assert_eq!(fx, vec![Effect::OpenReadOnly(path.clone())]);
    apply_all(&mut app, fx);
    assert!(app.work.as_ref().is_some_and(|w| w.read_only()));
    assert!(crate::session::lock::is_read_only(&path));
    assert!(status_text(&app).contains("read-only"));
    let screen = screen_text(&mut app, 100, 30);
    assert!(
        screen.lines().next().unwrap().contains("READ-ONLY"),
        "{screen}"
    );

    // Every edit is refused with a message; moving, the recommendation and export work.
    let session = app.work.as_ref().unwrap().session.clone();
    app.stack = vec![Screen::Questions];
    app.ensure_question();
    for (what, events) in [
        ("pick", vec![key(KeyCode::Char('1'))]),
        ("unknown", vec![key(KeyCode::Char('u'))]),
        ("space", vec![key(KeyCode::Char(' '))]),
        ("clear", vec![key(KeyCode::Backspace)]),
        ("note", vec![key(KeyCode::Char('n'))]),
    ] {
        let fx = feed(&mut app, &events);
        assert!(fx.is_empty(), "{what}: {fx:?}");
        assert!(app.modal.is_none(), "{what}: no editor opens");
        assert!(status_text(&app).starts_with("READ-ONLY"), "{what}");
    }
    app.questions.at = Some((EntityId::Engagement, "customer_base".into()));
    for (what, events) in [
        ("typing", vec![key(KeyCode::Char('P'))]),
        ("enter", vec![key(KeyCode::Enter)]),
        ("paste", vec![Event::Paste("text".into())]),
    ] {
        assert!(feed(&mut app, &events).is_empty(), "{what}");
        assert!(app.modal.is_none(), "{what}");
        assert!(status_text(&app).starts_with("READ-ONLY"), "{what}");
    }
    app.stack = vec![Screen::Details];
    assert!(enter(&mut app).is_empty());
    assert!(app.modal.is_none() && status_text(&app).starts_with("READ-ONLY"));
    app.stack = vec![Screen::Inventory];
    for k in ["a", "e", "d", "t", "s", "i"] {
        assert!(keys(&mut app, k).is_empty(), "{k}");
        assert!(app.modal.is_none(), "{k}");
        assert!(status_text(&app).starts_with("READ-ONLY"), "{k}");
    }
    assert_eq!(app.work.as_ref().unwrap().session, session);
    // Should a dialog that edits be open anyway, its change is undone and refused.
    app.modal = Some(Modal::Kind(super::dialog::KindPicker::new("i1")));
    app.work
        .as_mut()
        .unwrap()
        .session
        .add_identity("x", Utc::now());
    let session = app.work.as_ref().unwrap().session.clone();
    assert!(keys(&mut app, "4").is_empty());
    assert!(status_text(&app).starts_with("READ-ONLY"));
    assert_eq!(app.work.as_ref().unwrap().session, session);
    keys(&mut app, "r");
    assert_eq!(app.screen(), &Screen::Recommendation);
    keys(&mut app, "x");
    let fx = enter(&mut app);
    assert_eq!(fx, vec![Effect::Export(super::update::Format::Markdown)]);
    apply_all(&mut app, fx);
    assert!(dir.path().join("locked.md").is_file());
    // Even a save asked for directly writes nothing; quitting asks for none.
    super::apply(&mut app, Effect::Save);
    assert!(app.work.as_ref().unwrap().save_error.is_none());
    assert_eq!(std::fs::read(&path).unwrap(), before, "never two writers");

    // Back to the start, the other process gone: opening it again makes it writable.
    app.stack = vec![Screen::Questions];
    let fx = esc(&mut app);
    apply_all(&mut app, fx);
    assert!(status_text(&app).contains("nothing was changed"));
    drop(other);
    super::apply(&mut app, Effect::Open(path.clone()));
    assert!(app.work.as_ref().is_some_and(|w| !w.read_only()));
    assert!(!crate::session::lock::is_read_only(&path));
    app.stack = vec![Screen::Questions];
    app.questions.at = Some((EntityId::Engagement, "report_requesters".into()));
    let fx = keys(&mut app, "1");
    assert!(fx.contains(&Effect::Save));
    apply_all(&mut app, fx);
    assert_ne!(std::fs::read(&path).unwrap(), before);
    assert_eq!(keys(&mut app, "q"), vec![Effect::Save]);
}

#[test]
fn a_damaged_session_offers_its_backup_and_the_damaged_file_stays_byte_for_byte() {
    let dir = tempfile::tempdir().unwrap();
    let (path, q) = saved_session(dir.path(), "damaged.toml");
    // A second save, so the backup is the first version; then the file is damaged.
    let (mut s, _) = crate::session::store::open(&path, &q).unwrap();
    s.workshop.facilitator = "Dana".into();
    crate::workshop::save(&path, &s, &q).unwrap();
    let bak = crate::session::store::backup_path(&path);
    let backup = std::fs::read(&bak).unwrap();
    let damaged = b"[workshop]\norganisation = \"Acme\nfacilitator = 3 = 4\n".to_vec();
    std::fs::write(&path, &damaged).unwrap();

    // From the start screen (listed as unreadable), Enter opens it: the located error, and
    // the offer of the backup. Nothing is written.
    let mut app = App::new(q.clone(), Theme { color: true });
    app.start.sessions = crate::workshop::catalogue::list(dir.path(), &q).unwrap();
    assert!(app.start.sessions[0].error.is_some());
    app.start.list.cursor = 1;
    let fx = enter(&mut app);
    assert_eq!(fx, vec![Effect::Open(path.clone())]);
    apply_all(&mut app, fx);
    let error = match &app.modal {
        Some(Modal::Damaged {
            path: p,
            error,
            backup: b,
            aside,
        }) => {
            assert_eq!((p, b), (&path, &bak));
            assert_eq!(aside, &dir.path().join("damaged.toml.corrupt"));
            error.clone()
        }
        _ => panic!("damaged dialog expected, status {:?}", app.status),
    };
    let located = format!("{}:", path.display());
    assert!(
        error.starts_with(&located) && error.contains(": error: "),
        "file:line:col: {error}"
    );
    let screen = screen_text(&mut app, 120, 30);
    assert!(screen.contains("open the backup instead"), "{screen}");
    assert!(screen.contains("damaged.toml.corrupt"), "{screen}");
    assert_eq!(std::fs::read(&path).unwrap(), damaged);
    assert!(
        !crate::session::lock::lock_path(&path).exists(),
        "not kept locked"
    );

    // Esc: nothing changes.
    assert!(esc(&mut app).is_empty());
    assert!(app.modal.is_none() && app.work.is_none());
    assert_eq!(std::fs::read(&path).unwrap(), damaged);
    assert!(!dir.path().join("damaged.toml.corrupt").exists());

    // `b`: the backup is restored and opened; the damaged file is kept, byte for byte.
    super::apply(&mut app, Effect::Open(path.clone()));
    let fx = keys(&mut app, "b");
    assert_eq!(fx, vec![Effect::RestoreBackup(path.clone())]);
    apply_all(&mut app, fx);
    let w = app.work.as_ref().expect("the backup is open");
    assert_eq!(w.session.workshop.facilitator, "", "the previous version");
    assert!(!w.read_only());
    assert_eq!(
        std::fs::read(dir.path().join("damaged.toml.corrupt")).unwrap(),
        damaged,
        "the damaged file is kept untouched"
    );
    assert_eq!(std::fs::read(&path).unwrap(), backup);
    assert_eq!(std::fs::read(&bak).unwrap(), backup, "the backup stays");
    assert!(status_text(&app).contains("kept untouched as"));
    drop(app);

    // Without a readable backup there is nothing to offer: the error is said, nothing changes.
    std::fs::write(&path, &damaged).unwrap();
    std::fs::write(&bak, b"also broken [").unwrap();
    let mut app = App::new(q, Theme { color: true });
    super::apply(&mut app, Effect::Open(path.clone()));
    assert!(status_text(&app).starts_with("Could not open"));
    // Shown whole: the located problem and what to do, not just a first line.
    match &app.modal {
        Some(Modal::Error { message, .. }) => {
            assert!(message.contains("damaged.toml:"), "{message}");
            assert!(message.contains("help:"), "{message}");
        }
        _ => panic!("expected the error dialog"),
    }
    assert_eq!(std::fs::read(&path).unwrap(), damaged);
}

#[test]
fn links_picker_space_ticks_and_enter_finishes_without_unticking() {
    let mut app = app(Screen::Inventory);
    app.stack = vec![Screen::Inventory];
    keys(&mut app, "a");
    typed(&mut app, "Invoicing");
    enter(&mut app);
    keys(&mut app, "la");
    typed(&mut app, "svc-billing");
    enter(&mut app);
    keys(&mut app, "4"); // service account; the systems picker opens next
    assert!(matches!(app.modal, Some(Modal::Links(_))));
    // Space ticks, Enter closes: the link stays (Enter used to untick it again).
    keys(&mut app, " ");
    enter(&mut app);
    assert!(app.modal.is_none());
    let s = &app.work.as_ref().unwrap().session;
    assert_eq!(s.identities[0].systems, vec![s.systems[0].id.clone()]);

    // A fresh identity: Enter alone ticks the highlighted system and closes.
    keys(&mut app, "a");
    typed(&mut app, "svc-payments");
    enter(&mut app);
    keys(&mut app, "4");
    enter(&mut app);
    assert!(app.modal.is_none());
    let s = &app.work.as_ref().unwrap().session;
    assert_eq!(s.identities[1].systems, vec![s.systems[0].id.clone()]);
}

/// The drill-down lists each answer once per decision, grouped under the entity that gave it
/// (as the memo does), so every `↵` line jumps somewhere new.
#[test]
fn drill_down_lists_each_answer_once() {
    let q = q();
    let s = example("s1-payroll-provider.toml");
    let r = crate::engine::recommend(&q, &s);
    let d = r
        .decisions
        .iter()
        .find(|d| d.id == crate::engine::DecisionId::Verdict)
        .unwrap();
    let lines = super::screen::decision::decision_lines(&q, &s, &r, d, None);
    let jumps: Vec<_> = lines.iter().filter_map(|l| l.jump.as_ref()).collect();
    let unique: std::collections::HashSet<_> = jumps.iter().collect();
    assert_eq!(jumps.len(), unique.len(), "an answer listed twice");
    let texts: Vec<&str> = lines.iter().map(|l| l.text.as_str()).collect();
    let behind = texts.iter().position(|t| *t == "The answers behind it:");
    assert!(behind.is_some(), "{texts:#?}");
    // Each entity heads its answers once.
    let engagement = texts.iter().filter(|t| **t == "Engagement:").count();
    assert_eq!(engagement, 1, "{texts:#?}");
}

/// Issue 10: the drill-down is worded from the memo's model (`report::memo::DecisionView`):
/// no rule id reaches it, for any decision of S1, S8 or S9, with or without "What would change
/// this?".
#[test]
fn no_rule_id_reaches_the_drill_down() {
    let q = q();
    let ids: Vec<&str> = q.rules.iter().map(|r| r.id.as_str()).collect();
    for name in [
        "s1-payroll-provider.toml",
        "s8-new-financial-module.toml",
        "s9-software-on-a-platform.toml",
    ] {
        let s = example(name);
        let mut app = App::new(q.clone(), Theme { color: true });
        app.install(
            s,
            PathBuf::from(format!("/tmp/socscope-test/{name}")),
            Screen::Recommendation,
        );
        let all: Vec<String> = {
            let r = &app.work.as_ref().unwrap().rec(&app.q);
            r.all_decisions().map(|d| d.id.to_string()).collect()
        };
        assert!(all.len() > 3, "{name}");
        for id in &all {
            super::screen::decision::open(&mut app, id.clone());
            let mut text: Vec<String> = app.detail_lines(id).into_iter().map(|l| l.text).collect();
            text.push(screen_text(&mut app, 120, 40));
            for t in &text {
                for rule in &ids {
                    assert!(!t.contains(rule), "{name} {id}: rule id {rule} in {t:?}");
                }
            }
            esc(&mut app);
        }
    }
}

/// Ticking "Nobody outside the company has asked yet" clears the requesters, and ticking a
/// requester clears it: the two never mix (which would hide the Type questions).
#[test]
fn an_exclusive_choice_clears_the_others() {
    let mut app = app(Screen::Questions);
    assert_eq!(at(&app), "report_requesters");
    keys(&mut app, "13");
    let requesters = |app: &App| answer(app, &EntityId::Engagement, "report_requesters");
    assert_eq!(
        requesters(&app),
        Some(Value::List(vec![
            "user_auditors".into(),
            "security_teams".into()
        ]))
    );
    keys(&mut app, "5");
    assert_eq!(requesters(&app), Some(Value::List(vec!["none_yet".into()])));
    keys(&mut app, "4");
    assert_eq!(
        requesters(&app),
        Some(Value::List(vec!["prospects".into()]))
    );
}

/// Back from a jump, the message says what the change did to the decision the jump came from
/// and names the other report-level decisions it moved.
#[test]
fn coming_back_from_a_jump_names_every_report_decision_that_moved() {
    let q = q();
    let mut app = App::new(q, Theme { color: true });
    app.install(
        example("s2-log-analytics.toml"),
        PathBuf::from("/tmp/socscope-test/s2.toml"),
        Screen::Recommendation,
    );
    enter(&mut app);
    assert_eq!(app.screen(), &Screen::Decision("verdict".into()));
    let lines = app.detail_lines("verdict");
    let confidential = lines
        .iter()
        .position(|l| {
            l.jump
                .as_ref()
                .is_some_and(|(_, qid)| qid == "confidential_data")
        })
        .expect("the verdict rests on the confidentiality answer");
    app.decision.window.cursor = confidential;
    enter(&mut app);
    assert_eq!(app.screen(), &Screen::Questions);
    keys(&mut app, "2"); // No: nothing confidential any more
    esc(&mut app);
    let (_, msg) = app.status.clone().expect("a message");
    assert!(msg.starts_with("Unchanged: still SOC 2"), "{msg}");
    assert!(
        msg.contains("also SOC 2 category: Confidentiality: Not included"),
        "{msg}"
    );
}

/// A file that disagrees with an answer given in the workshop: the app keeps the live answer
/// and says `o` replaces it (not the command line's --overwrite); `o` then `y` replaces it.
#[test]
fn import_in_the_app_can_replace_live_answers_with_o() {
    let fixture = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/import/differs-from-live.csv");
    let dir = tempfile::tempdir().unwrap();
    let mut app = App::new(q(), Theme { color: true });
    app.install(
        example("s3-billing-service-account.toml"),
        dir.path().join("s3.toml"),
        Screen::Inventory,
    );
    keys(&mut app, "i");
    feed(&mut app, &[Event::Paste(fixture.display().to_string())]);
    for e in enter(&mut app) {
        super::apply(&mut app, e);
    }
    let Some(Modal::Import(p)) = &app.modal else {
        panic!("the preview opens")
    };
    assert!(p.keeps_live, "{}", p.text);
    assert!(
        p.text.contains("o replaces it") && !p.text.contains("--overwrite"),
        "{}",
        p.text
    );
    keys(&mut app, "o");
    let Some(Modal::Import(p)) = &app.modal else {
        panic!("the preview stays open")
    };
    assert!(
        p.overwrite && p.text.contains("(was Service account)"),
        "{}",
        p.text
    );
    assert_eq!(keys(&mut app, "y"), vec![Effect::Save]);
    let kind = answer(&app, &EntityId::Identity("i1".into()), "identity_kind");
    assert_eq!(kind, Some(Value::Text("api_key".into())));
}

/// Reading or comparing whole sessions says so while it runs; a save (every keystroke) never
/// flashes a message.
#[test]
fn slow_effects_say_what_they_are_doing() {
    assert!(Effect::Compare(PathBuf::from("x.toml")).busy().is_some());
    assert!(Effect::Open(PathBuf::from("x.toml")).busy().is_some());
    assert!(Effect::Save.busy().is_none());
}

// ----- Facilitating in the room (issue 14): each point as keystrokes ---------------------------

/// The screen's text, rows joined by newlines (wide characters take their cells).
fn rows_of(app: &mut App, w: u16, h: u16) -> Vec<String> {
    screen_text(app, w, h).lines().map(str::to_string).collect()
}

/// Point 1: Enter in a detail's box saves it and opens the next field's box, so what is typed
/// next (a participants list with `r` and `c` in it) is that field, never commands; Tab and Esc
/// leave. The edits are saved to the file.
#[test]
fn details_enter_types_the_next_field_and_letters_never_run_commands() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("acme.toml");
    let mut app = app_at(Screen::Details, path.clone());
    let mut fx = keys(&mut app, "j");
    fx.extend(enter(&mut app));
    fx.extend(typed(&mut app, "Dana"));
    fx.extend(enter(&mut app));
    fx.extend(typed(&mut app, "Ann, Bob, rcx"));
    fx.extend(enter(&mut app));
    assert_eq!(
        app.screen(),
        &Screen::Details,
        "r did not open the recommendation"
    );
    assert!(
        !fx.contains(&Effect::ComparePicker),
        "c did not open the compare dialog"
    );
    // The date's box is open: a date typed the short way, and Tab leaves.
    fx.extend(ctrl(&mut app, 'u'));
    fx.extend(typed(&mut app, "2026-9-1"));
    fx.extend(feed(&mut app, &[key(KeyCode::Tab)]));
    assert!(app.modal.is_none(), "Tab leaves the boxes");
    assert_eq!(app.screen(), &Screen::Details);
    let ws = &app.work.as_ref().unwrap().session.workshop;
    assert_eq!(ws.facilitator, "Dana");
    assert_eq!(ws.participants, vec!["Ann", "Bob", "rcx"]);
    assert_eq!(
        ws.date,
        Some(chrono::NaiveDate::from_ymd_opt(2026, 9, 1).unwrap())
    );
    apply_all(&mut app, fx);
    let file = std::fs::read_to_string(&path).unwrap();
    assert!(
        file.contains("Dana") && file.contains("rcx"),
        "the details are saved: {file}"
    );
}

/// Point 1, more generally: on a question answered by typing, letters are text, command letters
/// included (`h` used to go to the previous question, `r` to the recommendation).
#[test]
fn letters_are_text_on_a_typed_question() {
    let mut app = app(Screen::Questions);
    app.questions.at = Some((EntityId::Engagement, "customer_base".into()));
    app.reset_cursor();
    typed(&mut app, "hosted payroll for retailers");
    assert_eq!(app.screen(), &Screen::Questions);
    assert_eq!(at(&app), "customer_base");
    assert_eq!(enter(&mut app), vec![Effect::Save]);
    assert_eq!(
        answer(&app, &EntityId::Engagement, "customer_base"),
        Some(Value::Text("hosted payroll for retailers".into()))
    );
}

/// Point 2: a note on a question not answered yet records no answer and moves no count; it is
/// saved, read back, and joins the answer when there is one.
#[test]
fn a_note_never_answers_the_question() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("acme.toml");
    let mut app = app_at(Screen::Questions, path.clone());
    assert_eq!(at(&app), "report_requesters");
    let before = app.work.as_ref().unwrap().panel().progress;
    let mut fx = keys(&mut app, "n");
    fx.extend(typed(&mut app, "Ask the CFO who asked"));
    fx.extend(esc(&mut app));
    let w = app.work.as_ref().unwrap();
    assert_eq!(
        answer(&app, &EntityId::Engagement, "report_requesters"),
        None
    );
    assert_eq!(
        w.panel().progress,
        before,
        "the progress count did not move"
    );
    apply_all(&mut app, fx);
    let (back, _) = crate::session::store::open(&path, &app.q).unwrap();
    assert_eq!(
        back.note(&EntityId::Engagement, "report_requesters"),
        Some("Ask the CFO who asked")
    );
    assert!(!back.engagement.contains_key("report_requesters"));
    // Answering it keeps the note with the answer.
    keys(&mut app, "1");
    let w = app.work.as_ref().unwrap();
    let a = w
        .answer(&EntityId::Engagement, "report_requesters")
        .unwrap();
    assert_eq!(a.note.as_deref(), Some("Ask the CFO who asked"));
}

/// Point 3: every choice has a key (the identity kind and the financial processes have 11), and
/// End reaches the last choice, not "unknown".
#[test]
fn every_choice_has_a_key_and_end_reaches_the_last_choice() {
    let mut app = app(Screen::Inventory);
    with_inventory(&mut app);
    // The 12th kind, by its key, in the kind picker.
    app.stack = vec![Screen::Inventory];
    app.inventory.pane = Pane::Identities;
    keys(&mut app, "t");
    let kq = app.q.identity_kind_question().unwrap().clone();
    assert_eq!(kq.choices.len(), 12);
    let screen = screen_text(&mut app, 80, 24);
    assert!(
        screen.contains("c ( ) "),
        "the 12th kind shows its key: {screen}"
    );
    keys(&mut app, "c");
    assert_eq!(
        answer(&app, &EntityId::Identity("i1".into()), &kq.id),
        Some(Value::Text(kq.choices[11].id.clone()))
    );
    // The 10th and 11th financial processes, by key, on the question.
    app.modal = None;
    let sys = EntityId::System("s1".into());
    app.stack = vec![Screen::Questions];
    app.questions.at = Some((sys.clone(), "fin_process".into()));
    app.reset_cursor();
    let fin = app.q.question("fin_process").unwrap().clone();
    assert_eq!(fin.choices.len(), 11);
    let screen = screen_text(&mut app, 80, 40);
    assert!(
        screen.contains("a [ ]") && screen.contains("b [ ]"),
        "{screen}"
    );
    keys(&mut app, "a");
    assert_eq!(
        answer(&app, &sys, "fin_process"),
        Some(Value::List(vec![fin.choices[9].id.clone()]))
    );
    feed(&mut app, &[key(KeyCode::End)]);
    assert_eq!(app.questions.choices.cursor, 10, "End: the last choice");
    feed(&mut app, &[key(KeyCode::Home)]);
    assert_eq!(app.questions.choices.cursor, 0, "Home: the first choice");
}

/// Point 4: a dialog's keys come from the keymap table like the screens' (the systems dialog
/// said "Space tick · Enter/Esc done" while the footer said "Space/Enter tick"), and every key a
/// dialog lists does what its row says.
#[test]
fn dialog_keys_and_hints_come_from_the_one_keymap() {
    let mut app = app(Screen::Inventory);
    with_inventory(&mut app);
    keys(&mut app, "s");
    assert!(matches!(app.modal, Some(Modal::Links(_))));
    let rows = rows_of(&mut app, 80, 24);
    let footer = rows.last().unwrap();
    assert!(
        footer.contains("Space tick") && footer.contains("Enter done"),
        "{footer}"
    );
    assert!(!rows.iter().any(|r| r.contains("Space/Enter")), "{rows:?}");
    for ctx in keymap::DIALOGS {
        for b in keymap::bindings_for(ctx, true) {
            for k in b.keys {
                let ev = KeyEvent::new(k.code, k.mods);
                assert_eq!(
                    keymap::lookup(&ev, ctx, true).map(|x| x.cmd),
                    Some(b.cmd),
                    "{} in {ctx:?}",
                    b.label
                );
            }
        }
    }
}

/// Point 5: the drill-down reads line by line and page by page, says when there is more below,
/// and every line of a decision is seen on the way down at 80x24.
#[test]
fn a_rationale_reads_line_by_line_with_a_more_below_marker() {
    let mut app = App::new(q(), Theme { color: true });
    app.install(
        example("s1-payroll-provider.toml"),
        PathBuf::from("/tmp/socscope-test/s1.toml"),
        Screen::Recommendation,
    );
    enter(&mut app);
    assert_eq!(app.screen(), &Screen::Decision("verdict".into()));
    let lines = app.detail_lines("verdict");
    let mut seen = String::new();
    let first = screen_text(&mut app, 80, 24);
    assert!(first.contains("more below"), "{first}");
    seen.push_str(&first);
    let mut presses = 0;
    loop {
        feed(&mut app, &[key(KeyCode::PageDown)]);
        presses += 1;
        let s = screen_text(&mut app, 80, 24);
        seen.push_str(&s);
        if !s.contains("more below") || presses > 50 {
            break;
        }
    }
    assert!(
        presses <= 12,
        "a whole decision in a handful of pages: {presses}"
    );
    let flat: String = seen.split_whitespace().collect::<Vec<_>>().join(" ");
    for l in &lines {
        let start: String = crate::text::clean(&l.text)
            .split_whitespace()
            .take(4)
            .collect::<Vec<_>>()
            .join(" ");
        assert!(flat.contains(&start), "never shown: {:?}", l.text);
    }
    // Line by line back up: one line at a time, never skipping.
    feed(&mut app, &[key(KeyCode::Home)]);
    let top = screen_text(&mut app, 80, 24);
    assert!(top.contains("Which report"), "{top}");
}

/// Point 5: "why we ask" opens at its first line; PgDn scrolls it (saying there is more), PgUp
/// brings the first line back.
#[test]
fn why_we_ask_opens_on_its_first_line_and_pages_both_ways() {
    let mut app = app(Screen::Inventory);
    with_inventory(&mut app);
    app.stack = vec![Screen::Questions];
    app.questions.at = Some((EntityId::Identity("i1".into()), "identity_kind".into()));
    app.reset_cursor();
    let question = app.q.question("identity_kind").unwrap().clone();
    let help = question.help.trim_start();
    let help = help.strip_prefix("Why we ask:").unwrap_or(help);
    let first_words: String = help
        .split_whitespace()
        .skip(1)
        .take(3)
        .collect::<Vec<_>>()
        .join(" ");
    let s = screen_text(&mut app, 80, 24);
    assert!(s.contains(&first_words), "{s}");
    assert!(s.contains("more below"), "{s}");
    feed(&mut app, &[key(KeyCode::PageDown)]);
    let s = screen_text(&mut app, 80, 24);
    assert!(!s.contains(&first_words) && s.contains("more above"), "{s}");
    feed(&mut app, &[key(KeyCode::PageUp)]);
    let s = screen_text(&mut app, 80, 24);
    assert!(s.contains(&first_words), "{s}");
}

/// Point 6: with a parent answered "unknown", its follow-up may still be asked: progress counts
/// it and says so, never "every question is answered".
#[test]
fn progress_counts_what_could_still_be_asked() {
    let mut app = app(Screen::Questions);
    let mut last = String::new();
    for _ in 0..40 {
        keys(&mut app, "u");
        if matches!(app.modal, Some(Modal::Editor(_))) {
            // A typed question: "u" alone is unknown.
            enter(&mut app);
        }
        last = status_text(&app);
        if last.contains("answered") {
            break;
        }
    }
    assert!(!last.contains("Every question is answered"), "{last}");
    assert!(last.contains("may follow"), "{last}");
    app.stack = vec![Screen::Details];
    let s = screen_text(&mut app, 100, 30);
    assert!(s.contains("may follow"), "{s}");
}

/// Point 7: resuming goes back where the facilitator left off and says in one line what is
/// open; at the end, the details screen no longer sends the facilitator to add systems.
#[test]
fn resume_says_what_is_open_and_hints_follow_the_state() {
    let dir = tempfile::tempdir().unwrap();
    let (_, mut app) = opened_copy(dir.path(), "s1-payroll-provider.toml");
    let msg = status_text(&app);
    assert!(msg.contains("answered"), "{msg}");
    app.stack = vec![Screen::Details];
    let s = screen_text(&mut app, 100, 30);
    assert!(!s.contains("Tab to Inventory to add"), "{s}");
    assert!(s.contains("Next:"), "{s}");
}

/// Point 8: names that share a long beginning stay apart on Review at 80 columns, and columns
/// line up by display width with wide characters.
#[test]
fn names_stay_apart_and_columns_line_up_by_display_width() {
    let mut app = app(Screen::Inventory);
    for name in [
        "Billing service account (EU)",
        "Billing service account (US)",
        "給与計算システム本番環境",
    ] {
        keys(&mut app, "a");
        typed(&mut app, name);
        enter(&mut app);
    }
    app.stack = vec![Screen::Review];
    let rows = rows_of(&mut app, 80, 60);
    let cell = |r: &str| r.chars().skip(3).take(20).collect::<String>();
    let eu = rows.iter().find(|r| r.contains("(EU)")).map(|r| cell(r));
    let us = rows.iter().find(|r| r.contains("(US)")).map(|r| cell(r));
    assert!(eu.is_some() && us.is_some() && eu != us, "{rows:#?}");
    // The question column starts at the same display column on every row.
    // One symbol per cell: a wide character's second cell is a blank.
    let col = |r: &str, text: &str| -> Option<usize> {
        let at = r.find(text)?;
        Some(r[..at].chars().count())
    };
    let q = "Who owns this system";
    let cols: Vec<usize> = rows.iter().filter_map(|r| col(r, q)).collect();
    assert!(cols.len() >= 3, "{rows:#?}");
    assert!(cols.iter().all(|c| *c == cols[0]), "{cols:?}\n{rows:#?}");
}

/// Naming the hosting provider in the app adds it to the inventory once, says so where the
/// facilitator looks, and the message survives moving on to the next question.
#[test]
fn naming_a_hosting_provider_adds_it_and_says_so() {
    let mut app = app(Screen::Questions);
    with_inventory(&mut app);
    app.stack = vec![Screen::Questions];
    let sys = EntityId::System("s1".into());
    app.questions.at = Some((sys.clone(), "operated_by".into()));
    app.reset_cursor();
    keys(&mut app, "1"); // in-house
    assert_eq!(at(&app), "hosted_on");
    keys(&mut app, "1"); // a cloud or platform provider
    assert_eq!(at(&app), "hosting_provider");
    enter(&mut app);
    assert!(
        matches!(app.modal, Some(Modal::Editor(_))),
        "the text box opens"
    );
    typed(&mut app, "CloudCo");
    enter(&mut app);
    assert_eq!(
        answer(&app, &sys, "hosting_provider"),
        Some(Value::Text("CloudCo".into()))
    );
    assert_ne!(at(&app), "hosting_provider", "it moved on");
    assert!(
        matches!(&app.status, Some((super::app::StatusKind::Notice, m)) if m.contains("Added to the inventory: CloudCo")),
        "{:?}",
        app.status
    );
    let w = app.work.as_ref().unwrap();
    let names: Vec<&str> = w.session.systems.iter().map(|x| x.name.as_str()).collect();
    assert_eq!(names, ["Payroll engine", "CloudCo"]);
    assert!(
        w.rec(&app.q)
            .subservices
            .iter()
            .any(|x| x.system.name == "CloudCo"),
        "triaged as a subservice organisation (carve-out by default)"
    );
}

/// Issue 17: a session a merge left with conflicts opens on them: each with both versions and
/// when each side changed it, and the recommendation with each version; Enter types a new
/// answer, `2` takes theirs, `1` takes ours; each saves, and the saved file has no markers left.
#[test]
fn a_merged_session_opens_on_its_conflicts_and_resolving_clears_the_markers() {
    let q = q();
    let t = |m: u32| Utc.with_ymd_and_hms(2026, 11, 20, 9, m, 0).unwrap();
    let mut base = Session::new(&q, "Acme Payroll Ltd", t(0));
    let sys = EntityId::System(base.add_system("Billing", t(1)));
    let (mut ours, mut theirs) = (base.clone(), base.clone());
    let set = |s: &mut Session, e: &EntityId, qid: &str, v: Value, at| {
        s.set_answer(q.question(qid).unwrap(), e, v, at).unwrap();
    };
    let list = |ids: &[&str]| Value::List(ids.iter().map(|x| x.to_string()).collect());
    let text = |x: &str| Value::Text(x.into());
    let eng = EntityId::Engagement;
    set(
        &mut ours,
        &eng,
        "report_requesters",
        list(&["security_teams"]),
        t(10),
    );
    set(
        &mut theirs,
        &eng,
        "report_requesters",
        list(&["none_yet"]),
        t(11),
    );
    set(&mut ours, &eng, "customer_base", text("retailers"), t(12));
    set(&mut theirs, &eng, "customer_base", text("banks"), t(13));
    set(&mut ours, &sys, "operated_by", text("in_house"), t(14));
    set(&mut theirs, &sys, "operated_by", text("vendor"), t(15));
    let merged = crate::merge::merge(&q, &base, &ours, &theirs);
    assert_eq!(merged.conflicts.len(), 3, "{:?}", merged.conflicts);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("acme.toml");
    crate::session::store::save_with(&path, &merged.session, None).unwrap();
    assert!(
        std::fs::read_to_string(&path)
            .unwrap()
            .contains("[[conflicts]]")
    );

    let mut app = App::new(q.clone(), Theme { color: true });
    super::apply(&mut app, Effect::Open(path.clone()));
    assert_eq!(
        app.screen(),
        &Screen::Conflicts,
        "it opens on the conflicts"
    );
    let s = screen_text(&mut app, 80, 24);
    for want in [
        "Who is asking",
        "Customers' security, procurement",
        "Nobody outside the company has asked yet",
        "answered 2026-11-20 09:10 UTC",
        "answered 2026-11-20 09:11 UTC",
        "With 1 (ours):",
        "With 2 (theirs):",
    ] {
        assert!(s.contains(want), "{want:?} not on screen:\n{s}");
    }
    let flat = s.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(flat.contains("SOC 2 categories"), "{s}");
    insta::assert_snapshot!("conflicts_80x24", s);
    // The recommendation with each side is worked out once per highlighted conflict, not per
    // frame (two engine runs each: a second at L).
    super::list::counted::take();
    for _ in 0..3 {
        screen_text(&mut app, 80, 24);
    }
    feed(&mut app, &[key(KeyCode::Down)]);
    for _ in 0..3 {
        screen_text(&mut app, 80, 24);
    }
    feed(&mut app, &[key(KeyCode::Up)]);
    screen_text(&mut app, 80, 24);
    assert_eq!(
        super::list::counted::take().0,
        2,
        "once for each of 2 highlights"
    );

    // Conflicts in session order: the engagement's answers by question, then the systems.
    // Enter: a new answer, typed (letters are text in the box, `r` and `c` included).
    let mut fx = enter(&mut app);
    assert!(matches!(app.modal, Some(Modal::Editor(_))));
    fx.extend(typed(&mut app, "retailers and credit unions"));
    fx.extend(enter(&mut app));
    apply_all(&mut app, fx);
    assert_eq!(
        answer(&app, &eng, "customer_base"),
        Some(text("retailers and credit unions"))
    );
    // 2: theirs, saved.
    let fx = keys(&mut app, "2");
    assert_eq!(fx, vec![Effect::Save]);
    apply_all(&mut app, fx);
    assert_eq!(
        answer(&app, &eng, "report_requesters"),
        Some(list(&["none_yet"]))
    );
    assert_eq!(app.screen(), &Screen::Conflicts);
    // 1: ours; the last one resolved, the app goes on to the questions.
    let fx = keys(&mut app, "1");
    apply_all(&mut app, fx);
    assert_eq!(answer(&app, &sys, "operated_by"), Some(text("in_house")));
    assert_eq!(app.screen(), &Screen::Questions);
    assert!(status_text(&app).contains("No merge conflicts left"));
    // Resolutions are journaled at once; leaving writes them into the file.
    let (journaled, _) = crate::session::store::open(&path, &q).unwrap();
    assert!(journaled.conflicts.is_empty());
    app.quit = true;
    super::apply(&mut app, Effect::Save);
    let file = std::fs::read_to_string(&path).unwrap();
    assert!(!file.contains("[[conflicts]]"), "{file}");
    let (back, _) = crate::session::store::open(&path, &q).unwrap();
    assert!(back.conflicts.is_empty());
}

/// Issue 12 in the app, on the reference workshops: a report's Type decision shows its dated
/// plan (S8: a new financial module in a mature SOC 2 company), a "no" names the answers behind
/// it (S7: SOC 1 asked, nothing financial), a contradiction is shown with both answers (S10),
/// and unknown evidence is "unverified", never "no gaps" (S11); each worded as the exports word
/// it (`report::wording`).
#[test]
fn the_recommendation_shows_plans_exclusions_conflicts_and_unverified_evidence() {
    let open = |name: &str| {
        let mut app = App::new(q(), Theme { color: true });
        app.install(
            example(name),
            PathBuf::from(format!("/tmp/socscope-test/{name}")),
            Screen::Recommendation,
        );
        app
    };
    let flat = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
    let texts = |app: &App, id: &str| -> Vec<String> {
        app.detail_lines(id)
            .iter()
            .map(|l| l.text.clone())
            .collect()
    };

    // S8: each report's Type with its dated plan, step by step.
    let app = open("s8-new-financial-module.toml");
    let r = app.work.as_ref().unwrap().rec(&app.q);
    assert!(r.plans.len() >= 2, "{:?}", r.plans);
    for p in &r.plans {
        let id = crate::engine::DecisionId::Type(p.report).to_string();
        let lines = texts(&app, &id);
        assert!(
            lines.contains(&format!("Plan: {}", wording::plan_short(p))),
            "{id}: {lines:#?}"
        );
        for st in &p.steps {
            assert!(
                lines.contains(&format!("• {}", wording::step(st))),
                "{id}: {lines:#?}"
            );
        }
    }
    let mut app = app;
    let s = flat(&screen_text(&mut app, 100, 30));
    for p in &app.work.as_ref().unwrap().rec(&app.q).plans {
        let short = flat(&wording::plan_short(p));
        assert!(s.contains(&short), "{short} not on:\n{s}");
    }

    // S7: why not SOC 1, and the finding to take back to the requester.
    let mut app = open("s7-soc1-asked-nothing-financial.toml");
    let r = app.work.as_ref().unwrap().rec(&app.q).clone();
    let verdict = r.decision(&crate::engine::DecisionId::Verdict).unwrap();
    assert!(!verdict.exclusions.is_empty(), "{verdict:?}");
    let lines = texts(&app, "verdict");
    for x in &verdict.exclusions {
        let head = format!("{}, because:", wording::excluded(&x.what));
        assert!(lines.contains(&head), "{head}: {lines:#?}");
        for f in &x.because {
            assert!(
                lines.iter().any(|l| l.contains(f.rationale.as_str())),
                "{}: {lines:#?}",
                f.rationale
            );
        }
    }
    let s = flat(&screen_text(&mut app, 120, 40));
    for f in &r.findings {
        let start: String = flat(&f.text).chars().take(40).collect();
        assert!(s.contains(&start), "{start} not on:\n{s}");
    }

    // S10: the conflict with both answers, on the recommendation and in the rationale.
    let mut app = open("s10-conflicting-answers.toml");
    let r = app.work.as_ref().unwrap().rec(&app.q).clone();
    assert!(!r.conflicts.is_empty());
    let s = screen_text(&mut app, 120, 40);
    assert!(s.contains("! Conflict:"), "{s}");
    let touched = r
        .all_decisions()
        .find(|d| !d.conflicts.is_empty())
        .expect("a decision the conflict touches");
    assert!(touched.provisional, "a conflict keeps it provisional");
    let lines = texts(&app, &touched.id.to_string());
    let c = &r.conflicts[touched.conflicts[0]];
    assert!(
        lines.contains(&format!("Conflict: {}", c.text)),
        "{lines:#?}"
    );
    for t in &c.answers {
        assert!(
            lines
                .iter()
                .any(|l| l.contains(t.question_text.as_str()) && l.contains(&t.answer)),
            "{lines:#?}"
        );
    }

    // S11: unverified evidence is listed and counted, apart from confirmed gaps.
    let mut app = open("s11-unverified-evidence.toml");
    let r = app.work.as_ref().unwrap().rec(&app.q).clone();
    let who = r
        .identities
        .iter()
        .find(|i| {
            i.gaps
                .iter()
                .any(|g| g.status == crate::engine::GapStatus::Unverified)
        })
        .expect("an identity with unverified evidence");
    let lines = texts(&app, &who.decision.id.to_string());
    assert!(
        lines.iter().any(|l| l.starts_with("? Unverified: ")),
        "{lines:#?}"
    );
    let s = flat(&screen_text(&mut app, 120, 40));
    assert!(s.contains("unverified"), "{s}");
}

/// Issue 14, parsing: the app reads typed answers as plain mode does (`workshop::answer`): a
/// decimal comma is a number, a date typed without padding is stored padded (and compared as a
/// date by the engine).
#[test]
fn typed_numbers_and_dates_parse_as_in_plain_mode() {
    let mut app = app(Screen::Questions);
    let eng = EntityId::Engagement;
    app.questions.at = Some((eng.clone(), "controls_months".into()));
    app.reset_cursor();
    assert_eq!(at(&app), "controls_months");
    typed(&mut app, "3,5");
    enter(&mut app);
    assert_eq!(
        answer(&app, &eng, "controls_months"),
        Some(Value::Number(3.5))
    );
    app.questions.at = Some((eng.clone(), "deadline".into()));
    app.reset_cursor();
    keys(&mut app, "1"); // yes: a customer needs it by a date
    app.questions.at = Some((eng.clone(), "needed_by".into()));
    app.reset_cursor();
    assert_eq!(at(&app), "needed_by");
    typed(&mut app, "2026-9-1");
    enter(&mut app);
    assert_eq!(
        answer(&app, &eng, "needed_by"),
        Some(Value::Text("2026-09-01".into()))
    );
    let q = app.q.question("needed_by").unwrap().clone();
    assert_eq!(
        crate::workshop::answer::parse(&q, "2026-9-1"),
        Ok(Value::Text("2026-09-01".into())),
        "plain mode reads it with the same parser"
    );
}

/// Point 7: resuming returns to where the facilitator left off (after the answer given last,
/// not the first gap of the engagement), says where, and its one-line summary of what is open
/// fits the status line at 80 columns.
#[test]
fn resume_returns_after_the_last_answer_with_a_summary_that_fits() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("acme.toml");
    let mut app = app_at(Screen::Questions, path.clone());
    assert_eq!(at(&app), "report_requesters");
    // The first question is left open; the second answered.
    let mut fx = feed(&mut app, &[key(KeyCode::Right)]);
    assert_eq!(at(&app), "sox_customers");
    fx.extend(keys(&mut app, "2"));
    let next = at(&app);
    assert_ne!(next, "sox_customers");
    apply_all(&mut app, fx);
    // Quitting writes the journal into the file.
    app.quit = true;
    super::apply(&mut app, Effect::Save);

    let mut app = App::new(q(), Theme { color: true });
    super::apply(&mut app, Effect::Open(path.clone()));
    assert_eq!(app.screen(), &Screen::Questions);
    assert_eq!(at(&app), next, "back after the answer given last");
    let msg = status_text(&app);
    assert!(
        msg.starts_with("Resumed Acme Payroll Ltd at the engagement: 1/"),
        "{msg}"
    );
    // Counted over what may still be asked, as every screen counts it.
    let p = app.work.as_ref().unwrap().panel().progress;
    assert!(p.may_follow > 0, "{p:?}");
    assert!(
        msg.contains(&format!("1/{} answered", p.askable())),
        "{msg}"
    );
    assert!(crate::text::width(&msg) <= 78, "{msg}");
    let s = screen_text(&mut app, 80, 24);
    assert!(s.contains(&msg), "shown whole at 80 columns:\n{s}");
}

/// A workshop with a long inventory: `systems` systems and `identities` identities, nothing
/// answered about them.
fn long_inventory(systems: usize, identities: usize, screen: Screen) -> App {
    let q = q();
    let now = Utc.with_ymd_and_hms(2025, 3, 14, 9, 30, 0).unwrap();
    let mut s = Session::new(&q, "Acme Payroll Ltd", now);
    let names: Vec<String> = (0..systems).map(|i| format!("System {i:03}")).collect();
    s.add_systems(names.iter().map(String::as_str), now);
    let names: Vec<String> = (0..identities).map(|i| format!("svc-{i:04}")).collect();
    s.add_identities(names.iter().map(String::as_str), now);
    let mut app = App::new(q, Theme { color: true });
    app.install(s, PathBuf::from("/tmp/socscope-test/long.toml"), screen);
    app
}

/// The decisions a filter should list, worked out the plain way.
fn decisions_matching(app: &App, filter: &str) -> Vec<String> {
    let needle = filter.to_lowercase();
    let r = &app.work.as_ref().unwrap().rec(&app.q);
    r.all_decisions()
        .filter(|d| {
            d.title().to_lowercase().contains(&needle)
                || d.outcome.to_string().to_lowercase().contains(&needle)
        })
        .map(|d| d.id.to_string())
        .collect()
}

/// Issue 16: the Recommendation and Review lists go through their items once per change of
/// the recommendation or the filter, not once per frame, and a frame builds only the rows in
/// view.
#[test]
fn long_lists_filter_once_per_change_and_build_only_the_rows_in_view() {
    use super::list::counted;
    let mut app = long_inventory(300, 600, Screen::Recommendation);
    let decisions = decisions_matching(&app, "").len();
    let questions = app.work.as_ref().unwrap().sequence().len();
    assert!(
        decisions > 900 && questions > 900,
        "{decisions} {questions}"
    );
    counted::take();
    for _ in 0..3 {
        render(&mut app, 80, 24);
    }
    let (examined, built) = counted::take();
    assert_eq!(
        examined, decisions,
        "each decision looked at once, not per frame"
    );
    assert!(built <= 3 * 100, "{built} rows built for 3 frames of 80x24");
    // Moving about looks at nothing again.
    feed(&mut app, &[key(KeyCode::End), key(KeyCode::PageUp)]);
    render(&mut app, 80, 24);
    let (examined, built) = counted::take();
    assert_eq!(examined, 0);
    assert!(built <= 100, "{built}");

    app.stack = vec![Screen::Review];
    for _ in 0..3 {
        render(&mut app, 80, 24);
    }
    let (examined, built) = counted::take();
    assert_eq!(
        examined, questions,
        "each question looked at once, not per frame"
    );
    assert!(built <= 3 * 100, "{built}");

    // A change to the session is a new recommendation: listed again, once.
    app.stack = vec![Screen::Questions];
    keys(&mut app, "1");
    app.stack = vec![Screen::Review];
    render(&mut app, 80, 24);
    render(&mut app, 80, 24);
    let (examined, _) = counted::take();
    let questions = app.work.as_ref().unwrap().sequence().len();
    assert_eq!(examined, questions);

    // Typing narrows what the last key let through; Backspace and Ctrl-U go back to a kept
    // result without looking at anything again.
    app.stack = vec![Screen::Recommendation];
    render(&mut app, 80, 24);
    counted::take();
    keys(&mut app, "/svc-01");
    let (examined, _) = counted::take();
    assert!(examined < 2 * decisions, "{examined}");
    feed(
        &mut app,
        &[
            key(KeyCode::Backspace),
            key(KeyCode::Backspace),
            key(KeyCode::Backspace),
        ],
    );
    assert_eq!(app.rec.filter, "svc");
    ctrl(&mut app, 'u');
    render(&mut app, 80, 24);
    assert_eq!(counted::take().0, 0);
    assert_eq!(app.listed_decision(0).0, decisions);
}

/// Filtering, paging, Home/End and Enter on the Recommendation list, read from the kept list:
/// the same decisions as filtering them all, and a new answer or system shows at once.
#[test]
fn recommendation_filter_paging_and_selection_at_scale() {
    let mut app = long_inventory(50, 400, Screen::Recommendation);
    let all = decisions_matching(&app, "");
    render(&mut app, 80, 24);
    assert_eq!(app.listed_decision(0).0, all.len());
    feed(&mut app, &[key(KeyCode::End)]);
    enter(&mut app);
    assert_eq!(app.screen(), &Screen::Decision(all[all.len() - 1].clone()));
    esc(&mut app);
    feed(&mut app, &[key(KeyCode::Home)]);
    enter(&mut app);
    assert_eq!(app.screen(), &Screen::Decision(all[0].clone()));
    esc(&mut app);
    // A page down moves by what fitted in the last frame, less one kept for context.
    render(&mut app, 80, 24);
    feed(&mut app, &[key(KeyCode::PageDown), key(KeyCode::PageDown)]);
    let at = app.rec.list.cursor;
    assert!(at > 2, "{at}");
    render(&mut app, 80, 24);
    enter(&mut app);
    assert_eq!(app.screen(), &Screen::Decision(all[at].clone()));
    esc(&mut app);

    // Typed one key at a time (narrowing the last result), then widened again.
    keys(&mut app, "/");
    for (typed_now, filter) in [("svc-03", "svc-03"), ("1", "svc-031"), ("7", "svc-0317")] {
        keys(&mut app, typed_now);
        render(&mut app, 80, 24);
        let want = decisions_matching(&app, filter);
        assert_eq!(app.listed_decision(0).0, want.len(), "{filter}");
        assert_eq!(app.listed_decision(want.len() - 1).1.as_ref(), want.last());
    }
    feed(
        &mut app,
        &[key(KeyCode::Backspace), key(KeyCode::Backspace)],
    );
    assert_eq!(app.rec.filter, "svc-03");
    assert_eq!(
        app.listed_decision(0).0,
        decisions_matching(&app, "svc-03").len()
    );
    keys(&mut app, "17");
    enter(&mut app);
    assert!(app.modal.is_none());
    enter(&mut app);
    let want = decisions_matching(&app, "svc-0317");
    assert_eq!(want.len(), 1);
    assert_eq!(app.screen(), &Screen::Decision(want[0].clone()));
    esc(&mut app);

    // A new system is listed at once under the same filter-less view.
    keys(&mut app, "/");
    ctrl(&mut app, 'u');
    enter(&mut app);
    app.stack = vec![Screen::Inventory];
    keys(&mut app, "a");
    typed(&mut app, "Payroll engine");
    enter(&mut app);
    app.stack = vec![Screen::Recommendation];
    render(&mut app, 80, 24);
    assert_eq!(app.listed_decision(0).0, all.len() + 1);
    assert_eq!(app.listed_decision(0).0, decisions_matching(&app, "").len());
}

/// The same on Review: the filter, "open only", End and Enter, and an answer given elsewhere.
#[test]
fn review_filter_paging_and_selection_at_scale() {
    let mut app = long_inventory(20, 300, Screen::Review);
    let matching = |app: &App, filter: &str, open_only: bool| -> Vec<(EntityId, String)> {
        let w = app.work.as_ref().unwrap();
        let needle = filter.to_lowercase();
        w.sequence()
            .iter()
            .filter(|(e, qi)| {
                let question = &app.q.questions[*qi];
                let answer = w.answer(e, &question.id);
                let open = matches!(answer.map(|a| &a.value), None | Some(Value::Unknown));
                let section = match e {
                    EntityId::Engagement => "Engagement".to_string(),
                    other => w.session.entity_name(other),
                };
                (!open_only || open)
                    && (question.text.to_lowercase().contains(&needle)
                        || section.to_lowercase().contains(&needle)
                        || answer.is_some_and(|a| {
                            a.value.display(question).to_lowercase().contains(&needle)
                        }))
            })
            .map(|(e, qi)| (e.clone(), app.q.questions[*qi].id.clone()))
            .collect()
    };
    render(&mut app, 80, 24);
    let all = matching(&app, "", false);
    assert_eq!(app.review_row(0).0, all.len());
    keys(&mut app, "/");
    for (typed_now, filter) in [("svc-02", "svc-02"), ("9", "svc-029")] {
        keys(&mut app, typed_now);
        render(&mut app, 80, 24);
        assert_eq!(app.review_row(0).0, matching(&app, filter, false).len());
    }
    enter(&mut app);
    keys(&mut app, "f");
    let want = matching(&app, "svc-029", true);
    assert!(!want.is_empty());
    assert_eq!(app.review_row(0).0, want.len());
    feed(&mut app, &[key(KeyCode::End)]);
    assert_eq!(app.review.list.cursor, want.len() - 1);
    feed(&mut app, &[key(KeyCode::Home)]);
    enter(&mut app);
    let (e, qid) = want[0].clone();
    assert_eq!(app.questions.at, Some((e.clone(), qid.clone())));
    let question = app.q.question(&qid).unwrap().clone();
    assert!(question.kind.is_choice(), "{qid}");
    keys(&mut app, "1");
    assert!(answer(&app, &e, &qid).is_some());
    app.stack = vec![Screen::Review];
    render(&mut app, 80, 24);
    let now = matching(&app, "svc-029", true);
    assert_eq!(app.review_row(0).0, now.len());
    assert!(!now.contains(&(e, qid)));
}

/// At scale there are thousands of conflicts: the Recommendation names three and counts the
/// rest, and the list of decisions keeps its rows at 80x24.
#[test]
fn many_conflicts_are_counted_and_the_decisions_keep_their_rows() {
    let q = q();
    let now = Utc.with_ymd_and_hms(2025, 3, 14, 9, 30, 0).unwrap();
    let mut s = Session::new(&q, "Acme Payroll Ltd", now);
    let names: Vec<String> = (0..8).map(|i| format!("svc-{i}")).collect();
    let ids = s.add_identities(names.iter().map(String::as_str), now);
    for id in &ids {
        let e = EntityId::Identity(id.clone());
        for (qid, v) in [("privilege", "read"), ("changes_financial_data", "yes")] {
            s.set_answer(q.question(qid).unwrap(), &e, Value::Text(v.into()), now)
                .unwrap();
        }
    }
    let mut app = App::new(q, Theme { color: true });
    app.install(
        s,
        PathBuf::from("/tmp/socscope-test/c.toml"),
        Screen::Recommendation,
    );
    let conflicts = app.work.as_ref().unwrap().rec(&app.q).conflicts.len();
    assert!(conflicts >= 8, "{conflicts}");
    let text = screen_text(&mut app, 80, 24);
    assert_eq!(text.matches("! Conflict:").count(), 3, "{text}");
    assert!(
        text.contains(&format!("! and {} more conflicts", conflicts - 3)),
        "{text}"
    );
    assert!(text.contains("Identity: svc-0"), "{text}");
}

/// Esc out of a workshop to the start screen said "Saved to…" but left the answers in the
/// journal, so opening it again said "recovered N changes…", which reads as a crash (found by a
/// facilitator). Leaving writes the journal into the file, as quitting does.
#[test]
fn leaving_a_workshop_writes_its_journal_into_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("acme.toml");
    let mut app = app_at(Screen::Questions, path.clone());
    let fx = keys(&mut app, "2");
    apply_all(&mut app, fx);
    let journal = crate::session::store::sibling(&path, ".journal");
    assert!(journal.exists(), "the answer went to the journal first");
    let mut fx = Vec::new();
    while app.work.is_some() && fx.len() < 10 {
        let step = feed(&mut app, &[key(KeyCode::Esc)]);
        let done = step.is_empty();
        fx.extend(step.clone());
        apply_all(&mut app, step);
        if done {
            break;
        }
    }
    assert_eq!(app.screen(), &Screen::Start);
    assert!(app.work.is_none());
    assert!(!journal.exists(), "the journal was written into the file");
    let (s, opened) = crate::session::store::open(&path, &q()).unwrap();
    assert!(
        s.engagement.contains_key("report_requesters"),
        "{:?}",
        s.engagement.keys().collect::<Vec<_>>()
    );
    assert!(opened.notices.is_empty(), "{:?}", opened.notices);
    let mut again = App::new(q(), Theme { color: true });
    super::apply(&mut again, Effect::Open(path.clone()));
    let msg = status_text(&again);
    assert!(!msg.contains("recovered"), "{msg}");
}

/// The import dialog opened on a CSV of 20,000 identities, each on a system of 40: larger than
/// the dialog plans at once.
fn large_import_dialog() -> (tempfile::TempDir, App) {
    let dir = tempfile::tempdir().unwrap();
    let mut csv = String::from("name,kind,systems,mfa\n");
    for i in 0..20_000 {
        csv.push_str(&format!(
            "user{i:06}@acme.example,employee,App {},yes\n",
            i % 40
        ));
    }
    let path = dir.path().join("large.csv");
    std::fs::write(&path, csv).unwrap();
    let mut app = app_at(Screen::Inventory, dir.path().join("acme.toml"));
    super::apply(&mut app, Effect::ImportPreview { path });
    (dir, app)
}

/// Issue 11, item 13: the dialog planned a large file while the screen stood still, with no
/// way out. It is planned on a worker now: the progress reported is drawn (at 80x24), and Esc
/// stops the worker and closes the dialog, leaving the session as it was.
#[test]
fn a_large_import_draws_its_progress_and_esc_cancels_it() {
    use crate::import::{Progress, Stage};
    use std::sync::atomic::{AtomicBool, Ordering};
    let (_dir, mut app) = large_import_dialog();
    let Some(Modal::Import(p)) = app.modal.as_mut() else {
        panic!("the preview opens")
    };
    assert!(
        p.running.is_some(),
        "a file this large is planned on a worker"
    );
    assert!(p.plan.is_none());
    // The worker's reports, from a channel this test holds, so what is drawn is known.
    let (tx, rx) = std::sync::mpsc::channel();
    let cancel = std::sync::Arc::new(AtomicBool::new(false));
    p.running = Some(super::dialog::import::Running::new(rx, cancel.clone()));
    tx.send(super::dialog::import::Report::Progress(Progress {
        stage: Stage::Reading,
        rows: 420_000,
        bytes: 50,
        total_bytes: Some(100),
    }))
    .unwrap();
    assert!(super::dialog::import::poll(&mut app), "still running");
    let screen = screen_text(&mut app, 80, 24);
    assert!(screen.contains("Working out the dry run"), "{screen}");
    assert!(
        screen.contains("Reading the file: 420,000 rows (45 %)"),
        "{screen}"
    );
    assert!(screen.contains("█████"), "the gauge: {screen}");
    // `y` does not import a dry run not finished.
    assert!(keys(&mut app, "y").is_empty());
    assert!(matches!(&app.modal, Some(Modal::Import(_))));
    esc(&mut app);
    assert!(app.modal.is_none(), "Esc closes the dialog");
    assert!(cancel.load(Ordering::Relaxed), "and stops the worker");
    let s = &app.work.as_ref().unwrap().session;
    assert!(s.identities.is_empty() && s.systems.is_empty());
    assert!(!super::dialog::import::poll(&mut app));
}

/// The worker's finished plan shows its preview (one line per 1,000 identities), and `y`
/// imports it.
#[test]
fn a_large_import_finished_on_the_worker_shows_its_preview() {
    let (_dir, mut app) = large_import_dialog();
    let start = std::time::Instant::now();
    while super::dialog::import::poll(&mut app) {
        assert!(start.elapsed().as_secs() < 120, "the dry run finishes");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let Some(Modal::Import(p)) = &app.modal else {
        panic!("the preview stays open")
    };
    assert!(p.running.is_none());
    assert!(p.plan.is_some(), "{}", p.text);
    assert!(
        p.text
            .starts_with("20000 rows read: 20000 identities (20000 new, 0 updated)"),
        "{}",
        p.text
    );
    assert!(p.text.contains("identities 19001-20000"), "{}", p.text);
    let screen = screen_text(&mut app, 80, 24);
    assert!(
        screen.contains("Dry run: nothing has changed yet"),
        "{screen}"
    );
    assert_eq!(keys(&mut app, "y"), vec![Effect::Save]);
    assert_eq!(app.work.as_ref().unwrap().session.identities.len(), 20_000);
}

/// One count everywhere: the session list, the questions header, the resume line and both
/// exports say "answered of what could still be asked" alike (QA: one workshop showed 13 % on
/// the start list, "2/21" in the header and "2/15 answered" from `recommend`).
#[test]
fn every_screen_and_export_counts_progress_alike() {
    let dir = tempfile::tempdir().unwrap();
    let (path, mut app) = opened_copy(dir.path(), "s5-nothing-decided.toml");
    for _ in 0..2 {
        let fx = keys(&mut app, "u");
        apply_all(&mut app, fx);
        if matches!(app.modal, Some(Modal::Editor(_))) {
            let fx = enter(&mut app);
            apply_all(&mut app, fx);
        }
    }
    let p = app.work.as_ref().unwrap().panel().progress;
    assert!(p.answered > 0 && p.may_follow > 0, "{p:?}");
    let (n, of, pc) = (p.answered, p.askable(), p.percent());
    let header = screen_text(&mut app, 80, 24);
    assert!(
        header.contains(&format!("overall {n}/{of} ({pc}%)")),
        "{header}"
    );

    let (s, _) = crate::session::store::open(&path, &q()).unwrap();
    let r = crate::engine::recommend(&q(), &s);
    assert_eq!(r.progress, p, "the file says what the screen said");
    let long = format!("{n} of {of} questions answered ({pc}%)");
    let md = crate::export::markdown::render(&q(), &s, &r);
    assert!(
        md.contains(&long),
        "Markdown: {}",
        md.lines().find(|l| l.contains("Progress")).unwrap_or("")
    );
    let plain = crate::report::memo::text(&q(), &s, &r);
    assert!(plain.contains(&long), "{plain}");

    let listed = crate::workshop::catalogue::list(dir.path(), &q()).unwrap();
    assert_eq!(
        listed[0].progress.percent(),
        pc,
        "the start screen's percentage"
    );
    // Leave the workshop (it writes the journal into the file) and open it again.
    for _ in 0..10 {
        let step = feed(&mut app, &[key(KeyCode::Esc)]);
        let done = step.is_empty();
        apply_all(&mut app, step);
        if done || app.work.is_none() {
            break;
        }
    }
    assert!(app.work.is_none());
    let mut again = App::new(q(), Theme { color: true });
    super::apply(&mut again, Effect::Open(path.clone()));
    let msg = status_text(&again);
    assert!(msg.contains(&format!("{n}/{of} answered ({pc}%)")), "{msg}");
}

/// At 80x24 the list of decisions keeps ten rows however long the summary above it is; what
/// the summary leaves out is named (QA: six rows under a 13-line header, one at 10,000
/// identities).
#[test]
fn the_recommendation_list_keeps_its_rows_at_80x24() {
    for name in [
        "s8-new-financial-module.toml",
        "s9-software-on-a-platform.toml",
        "s10-conflicting-answers.toml",
    ] {
        let mut app = App::new(q(), Theme { color: true });
        app.install(
            example(name),
            PathBuf::from("/nonexistent/x.toml"),
            Screen::Recommendation,
        );
        let rows = rows_of(&mut app, 80, 24);
        let decisions = app
            .work
            .as_ref()
            .unwrap()
            .rec(&app.q)
            .all_decisions()
            .count();
        let listed = rows
            .iter()
            .filter(|r| r.starts_with('│') && (r.contains(" ✓ ") || r.contains(" ? ")))
            .count();
        assert!(listed >= decisions.min(10), "{name}:\n{}", rows.join("\n"));
        assert!(rows.iter().any(|r| r.starts_with("Verdict:")), "{name}");
        assert!(rows.iter().any(|r| r.starts_with("Plan:")), "{name}");
    }
}

/// The "next unanswered" key goes to the one question left open, wherever it is, from a
/// choice question (N) and from a typed one (Ctrl-G, since letters type there).
#[test]
fn the_next_unanswered_key_finds_the_open_question() {
    let s = example("s4-internal-wiki.toml");
    let q = q();
    let seq = crate::workshop::answer::sequence(&s, &crate::engine::visibility(&q, &s));
    let open: Vec<_> = seq
        .iter()
        .filter(|(e, qi)| crate::workshop::answer::unanswered(&q, &s, e, *qi))
        .cloned()
        .collect();
    assert_eq!(open.len(), 1, "S4 has one question left");
    let (oe, oqi) = open[0].clone();
    let mut app = App::new(q.clone(), Theme { color: true });
    app.install(s, PathBuf::from("/nonexistent/x.toml"), Screen::Questions);
    for start in [0, seq.len() - 1] {
        let (e, qi) = seq[start].clone();
        let mut keys = vec![KeyEvent::new(KeyCode::Char('g'), KeyModifiers::CONTROL)];
        if q.questions[qi].kind.is_choice() {
            keys.push(KeyEvent::new(KeyCode::Char('N'), KeyModifiers::SHIFT));
        }
        for k in keys {
            app.questions.at = Some((e.clone(), q.questions[qi].id.clone()));
            feed(&mut app, &[Event::Key(k)]);
            assert_eq!(
                app.questions.at,
                Some((oe.clone(), q.questions[oqi].id.clone())),
                "from question {start} with {k:?}"
            );
            assert!(
                status_text(&app).contains("next unanswered"),
                "{}",
                status_text(&app)
            );
        }
    }
}

/// Enter on an unanswered choice question answers nothing until a choice is highlighted:
/// closing a note with Esc and pressing Enter to go on recorded "Yes" (QA). A choice's key
/// still answers at once, and ↓ then Enter chooses the first choice.
#[test]
fn enter_alone_never_chooses_for_the_facilitator() {
    use crate::questionnaire::Kind;
    let mut app = app(Screen::Questions);
    while !matches!(app.current().unwrap().2.kind, Kind::YesNo | Kind::Single) {
        let before = at(&app);
        feed(&mut app, &[key(KeyCode::Right)]);
        assert_ne!(at(&app), before, "a single-choice question is asked");
    }
    let (e, _, question) = app.current().unwrap();
    let qid = question.id.clone();
    let first = question.choices[0].id.clone();
    let answer = |app: &App| {
        app.work
            .as_ref()
            .and_then(|w| w.answer(&e, &qid))
            .map(|a| a.value.clone())
    };
    let s = screen_text(&mut app, 80, 24);
    assert!(!s.contains("> 1"), "no choice highlighted yet:\n{s}");
    enter(&mut app);
    assert_eq!(answer(&app), None);
    assert_eq!(at(&app), qid, "stays on the question");
    assert!(
        status_text(&app).contains("Not answered yet"),
        "{}",
        status_text(&app)
    );
    feed(&mut app, &[key(KeyCode::Down)]);
    let s = screen_text(&mut app, 80, 24);
    assert!(s.contains("> 1"), "↓ highlights the first choice:\n{s}");
    enter(&mut app);
    assert_eq!(answer(&app), Some(Value::Text(first)));
}

/// Esc in an answer box saves; on text that cannot be saved it says why, and a second Esc
/// leaves the box with the answer as it was (QA: a stray "x" on a number question had no way
/// out but clearing it and typing "u").
#[test]
fn a_second_esc_leaves_an_answer_that_cannot_be_saved() {
    let mut app = app(Screen::Questions);
    while app.current().unwrap().2.kind != crate::questionnaire::Kind::Number {
        let before = at(&app);
        feed(&mut app, &[key(KeyCode::Right)]);
        assert_ne!(at(&app), before, "a number question is asked");
    }
    let qid = at(&app);
    keys(&mut app, "x");
    assert!(matches!(app.modal, Some(Modal::Editor(_))));
    feed(&mut app, &[key(KeyCode::Esc)]);
    assert!(
        matches!(app.modal, Some(Modal::Editor(_))),
        "first Esc: says why"
    );
    let s = screen_text(&mut app, 80, 24);
    assert!(s.contains("Esc again"), "{s}");
    feed(&mut app, &[key(KeyCode::Esc)]);
    assert!(app.modal.is_none(), "second Esc leaves");
    assert_eq!(at(&app), qid);
    let (e, _, _) = app.current().unwrap();
    assert!(app.work.as_ref().unwrap().answer(&e, &qid).is_none());
    assert!(
        status_text(&app).contains("Not saved"),
        "{}",
        status_text(&app)
    );
}

/// The drill-down shows the note beside each answer behind a decision and beside each unknown
/// evidence answer (Relaymint audit: the notes never reached the decisions).
#[test]
fn drill_down_shows_the_notes_beside_the_answers() {
    let q = q();
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/sessions/relaymint.toml");
    let s = crate::session::store::open(&path, &q).unwrap().0;
    let r = crate::engine::recommend(&q, &s);
    let verdict = r
        .decisions
        .iter()
        .find(|d| d.id == crate::engine::DecisionId::Verdict)
        .unwrap();
    let lines = super::screen::decision::decision_lines(&q, &s, &r, verdict, None);
    let texts: Vec<&str> = lines.iter().map(|l| l.text.as_str()).collect();
    assert!(
        texts
            .iter()
            .any(|t| t.starts_with("note: Large bank prospect (vendor risk)")),
        "{texts:?}"
    );
    // An open question with a note says what was said about it.
    assert!(
        texts
            .iter()
            .any(|t| t.starts_with("note: Sales: payments customer")),
        "{texts:?}"
    );
    let key = r
        .identities
        .iter()
        .find(|i| i.name == "Datadog API key (in CI)")
        .unwrap();
    let lines = super::screen::decision::decision_lines(&q, &s, &r, &key.decision, None);
    assert!(
        lines
            .iter()
            .any(|l| l.text.starts_with("note: CONFLICT: IAM owner says")),
        "{:?}",
        lines.iter().map(|l| &l.text).collect::<Vec<_>>()
    );
}

/// Relaymint QA: the footer offered "Space toggle" on a yes/no question, where there is nothing
/// to tick; Space still chooses there, as Enter does.
#[test]
fn space_is_offered_as_toggle_only_where_there_is_something_to_tick() {
    let mut app = app(Screen::Questions);
    let footer = |app: &mut App| {
        let text = screen_text(app, 80, 24);
        text.lines().last().unwrap_or_default().to_string()
    };
    assert_eq!(at(&app), "report_requesters");
    let many = footer(&mut app);
    assert!(many.contains("Space toggle"), "{many}");
    app.questions.at = Some((EntityId::Engagement, "personal_data".into()));
    app.ensure_question();
    let (_, _, q) = app.current().unwrap();
    assert_ne!(q.kind, crate::vocab::Kind::Multi, "{}", q.id);
    let one = footer(&mut app);
    assert!(!one.contains("toggle"), "{one}");
    // Space on a question with one answer chooses the highlighted one and goes on.
    app.questions.at = Some((EntityId::Engagement, "personal_data".into()));
    app.reset_cursor();
    feed(&mut app, &[key(KeyCode::Down), key(KeyCode::Char(' '))]);
    let w = app.work.as_ref().unwrap();
    assert!(w.session.engagement.contains_key("personal_data"));
}

/// Relaymint QA: at 80 columns the Inventory cut the middle out of every identity's name ("SRE
/// admi…WS SSO)") to make room for its kind; the Review cut questions and answers to a third.
#[test]
fn names_and_answers_read_whole_at_80_columns() {
    let mut app = app(Screen::Inventory);
    let q = app.q.clone();
    let w = app.work.as_mut().unwrap();
    w.session
        .add_identity("GitHub Actions OIDC deploy role", Utc::now());
    w.session
        .add_system("Event API and delivery workers", Utc::now());
    w.session
        .add_system("Stripe Billing (payments)", Utc::now());
    w.session
        .add_identity("Support replay agent (AI)", Utc::now());
    w.refresh(&q);
    let (ids, systems) = (w.session.identities.len(), w.session.systems.len());
    app.inventory.pane = Pane::Identities;
    app.inventory.identity = ids - 2;
    let text = screen_text(&mut app, 80, 24);
    let lists: Vec<&str> = text.lines().take(20).collect();
    assert!(
        lists
            .iter()
            .any(|l| l.contains("> GitHub Actions OIDC deploy role")),
        "{text}"
    );
    // The list not being worked on shows names whole, before their counts.
    assert!(
        lists
            .iter()
            .any(|l| l.contains("Stripe Billing (payments)")),
        "{text}"
    );
    app.inventory.pane = Pane::Systems;
    app.inventory.system = systems - 2;
    let text = screen_text(&mut app, 80, 24);
    assert!(
        text.lines()
            .take(20)
            .any(|l| l.contains("Support replay agent (AI)")),
        "{text}"
    );
    let text = screen_text(&mut app, 80, 24);
    assert!(
        text.lines()
            .take(20)
            .any(|l| l.contains("> Event API and delivery workers")),
        "{text}"
    );

    // The review: the focused row's section, question and answer are shown whole below it.
    let mut app = sample();
    app.stack = vec![Screen::Review];
    let text = screen_text(&mut app, 80, 24);
    assert!(
        text.contains("Engagement: Who is asking us for a SOC report?"),
        "{text}"
    );
    assert!(text.contains("Answer: "), "{text}");
}

/// The Inventory filtered both lists on every frame and every key (at 10,000 identities a
/// filter key and its frame took 32 ms, `lists/inventory/filter_key`): now once per change of
/// the session or the filter.
#[test]
fn the_inventory_filters_once_per_change_not_per_frame_or_key() {
    use super::list::counted;
    let mut app = long_inventory(30, 300, Screen::Inventory);
    render(&mut app, 80, 24);
    counted::take();
    for _ in 0..3 {
        render(&mut app, 80, 24);
    }
    feed(&mut app, &[key(KeyCode::Down), key(KeyCode::PageDown)]);
    render(&mut app, 80, 24);
    assert_eq!(
        counted::take().0,
        0,
        "frames and moves filter nothing again"
    );
    keys(&mut app, "/1");
    render(&mut app, 80, 24);
    render(&mut app, 80, 24);
    assert_eq!(counted::take().0, 1, "one key in the filter: one pass");
    assert!(app.visible_systems().iter().all(|&i| {
        app.work.as_ref().unwrap().session.systems[i]
            .name
            .contains('1')
    }));
    // A renamed system is listed under its new name at once.
    let q = app.q.clone();
    let w = app.work.as_mut().unwrap();
    let id = w.session.systems[0].id.clone();
    w.session
        .rename_in(&q, &EntityId::System(id), "System 1st", Utc::now());
    w.refresh(&q);
    assert!(app.visible_systems().contains(&0));
}
