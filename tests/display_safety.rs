//! Display safety (docs/reliability.md §7): text from a questionnaire or a session (labels,
//! help, names, notes) reaches the terminal with control characters and escape sequences
//! neutralised, and very long strings or thousands of entities render without panicking.

use std::path::PathBuf;

use chrono::Utc;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use socscope::questionnaire::{self, Questionnaire};
use socscope::session::{EntityId, Session, Value};
use socscope::tui::app::{App, Screen};
use socscope::tui::theme::Theme;

const ESCAPES: &[&str] = &[
    "\u{1b}[2J",
    "\u{1b}]0;owned\u{7}",
    "\u{1b}[31mRED",
    "\u{9b}31m",
    "\r\u{8}\u{8}",
    "\u{1b}P+q\u{1b}\\",
    // Bidirectional overrides and zero-width characters change how a name reads.
    "\u{202e}gpj.exe\u{202c}",
    "\u{200b}\u{2066}\u{feff}",
];

fn hostile(tag: &str) -> String {
    format!("{tag} {} end", ESCAPES.concat())
}

/// The built-in questionnaire with escape sequences in question texts, help and choice labels
/// (TOML `\u` escapes, so the loader really sees the control characters).
fn hostile_questionnaire() -> Questionnaire {
    let src = include_str!("../questionnaires/soc-scoping.toml");
    let esc = r"\u001b[2J\u001b]0;owned\u0007\u009b31m";
    let mut out = String::new();
    for line in src.lines() {
        let line = if let Some(rest) = line.strip_prefix("text = \"") {
            format!("text = \"{esc}{rest}")
        } else if let Some(rest) = line.strip_prefix("help = \"") {
            format!("help = \"{esc}{rest}")
        } else {
            line.replace("label = \"", &format!("label = \"{esc}"))
        };
        out.push_str(&line);
        out.push('\n');
    }
    match questionnaire::load("hostile.toml", &out) {
        Ok(q) => q,
        Err(e) => {
            panic!("the hostile questionnaire should load (control characters are data):\n{e}")
        }
    }
}

fn all_screens() -> Vec<Screen> {
    vec![
        Screen::Details,
        Screen::Inventory,
        Screen::Questions,
        Screen::Recommendation,
        Screen::Review,
        Screen::Export,
    ]
}

/// Draws every screen at two sizes; returns each buffer's text.
fn render_all(app: &mut App) -> Vec<String> {
    let mut out = Vec::new();
    for screen in all_screens() {
        for (w, h) in [(80, 24), (160, 50)] {
            app.stack = vec![screen.clone()];
            let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
            t.draw(|f| socscope::tui::view::draw(f, app)).unwrap();
            let buf = t.backend().buffer().clone();
            let mut text = String::new();
            for y in 0..h {
                for x in 0..w {
                    text.push_str(buf[(x, y)].symbol());
                }
                text.push('\n');
            }
            out.push(text);
        }
    }
    out
}

fn assert_clean(screens: &[String]) {
    for s in screens {
        let bad: Vec<char> = s
            .chars()
            .filter(|c| *c != '\n' && socscope::text::is_unsafe(*c))
            .collect();
        assert!(bad.is_empty(), "control characters {bad:?} on screen:\n{s}");
    }
}

#[test]
fn hostile_labels_names_and_notes_render_without_escape_sequences() {
    let q = hostile_questionnaire();
    let now = Utc::now();
    let mut s = Session::new(&q, &hostile("Org"), now);
    s.workshop.facilitator = hostile("Facilitator");
    s.workshop.participants = vec![hostile("P1")];
    let sys = s.add_system(&hostile("System"), now);
    let id = s.add_identity(&hostile("Identity"), now);
    s.toggle_link(&id, &sys, now);
    let first = q
        .questions
        .iter()
        .find(|x| x.scope == questionnaire::Scope::Engagement)
        .unwrap();
    s.set_note(&first.id, &EntityId::Engagement, &hostile("Note"), now);
    let text_q = q
        .questions
        .iter()
        .find(|x| {
            x.kind == questionnaire::Kind::Text && x.scope == questionnaire::Scope::Engagement
        })
        .unwrap();
    s.set_answer(
        text_q,
        &EntityId::Engagement,
        Value::Text(hostile("Answer")),
        now,
    )
    .unwrap();
    let mut app = App::new(q, Theme { color: true });
    app.install(s, PathBuf::from("/tmp/hostile.toml"), Screen::Questions);
    let screens = render_all(&mut app);
    assert_clean(&screens);
    // The text around the escapes is still shown.
    assert!(
        screens.iter().any(|s| s.contains("Org")),
        "organisation shown"
    );
    assert!(screens.iter().any(|s| s.contains("System")), "system shown");
}

#[test]
fn very_long_strings_and_a_thousand_entities_render_truncated_without_panic() {
    let q = questionnaire::builtin().unwrap();
    let now = Utc::now();
    let long = format!("LONGNAME{}", "x".repeat(2_000));
    let mut s = Session::new(&q, &long, now);
    for i in 0..500 {
        s.add_system(&format!("{long}{i}"), now);
    }
    for i in 0..500 {
        let id = s.add_identity(&format!("identity-{i}-{long}"), now);
        if i % 10 == 0 {
            s.toggle_link(&id, "s1", now);
        }
    }
    let text_q = q
        .questions
        .iter()
        .find(|x| {
            x.kind == questionnaire::Kind::Text && x.scope == questionnaire::Scope::Engagement
        })
        .unwrap();
    s.set_answer(
        text_q,
        &EntityId::Engagement,
        Value::Text(long.clone()),
        now,
    )
    .unwrap();
    s.set_note(
        &text_q.id,
        &EntityId::Engagement,
        &format!("{long}\n{long}"),
        now,
    );
    let mut app = App::new(q, Theme { color: false });
    app.install(s, PathBuf::from("/tmp/long.toml"), Screen::Inventory);
    let screens = render_all(&mut app);
    assert_clean(&screens);
    // Truncated, not wrapped into a wall of x: the start of the name is visible, and no line
    // holds more than the screen's width.
    let inventory = &screens[2];
    assert!(inventory.contains("LONGNAME"), "{inventory}");
    for s in &screens {
        for line in s.lines() {
            assert!(line.chars().count() <= 160);
        }
    }
}
