//! Terminal events to actions: a pure function of the event and what is on screen.

use ratatui::crossterm::event::{
    Event, KeyCode, KeyEvent, KeyEventKind, KeyModifiers, MouseEventKind,
};

use super::app::{App, Modal, Screen};
use super::keymap::{self, Cmd, Ctx};

#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    Cmd(Cmd),
    /// A number key: choice N (1-based).
    Pick(usize),
    /// A character typed on a question answered by typing: opens its text box with it.
    TypeStart(char),
    /// A key for the open text editor.
    EditorKey(KeyEvent),
    /// Enter (single-line) or Ctrl-S: keep the text and close; answers go on to the next question.
    EditorCommit,
    /// Esc in an editor: keep the text and close, staying on this question.
    EditorClose,
    Paste(String),
    ConfirmYes,
    ConfirmNo,
    /// The terminal changed size: just redraw.
    Redraw,
    /// A left click (mouse mode): selects the row under it; a click on the selected row acts
    /// on it like Enter.
    Click {
        col: u16,
        row: u16,
    },
}

pub fn from_event(app: &App, ev: &Event) -> Option<Action> {
    match ev {
        Event::Key(key) if key.kind != KeyEventKind::Release => from_key(app, key),
        Event::Paste(text) => Some(Action::Paste(text.clone())),
        Event::Resize(..) => Some(Action::Redraw),
        Event::Mouse(m) if app.mouse => match m.kind {
            MouseEventKind::ScrollUp => Some(Action::Cmd(Cmd::Up)),
            MouseEventKind::ScrollDown => Some(Action::Cmd(Cmd::Down)),
            MouseEventKind::Down(ratatui::crossterm::event::MouseButton::Left) => {
                Some(Action::Click {
                    col: m.column,
                    row: m.row,
                })
            }
            _ => None,
        },
        _ => None,
    }
}

fn is_ctrl(key: &KeyEvent, c: char) -> bool {
    key.modifiers.contains(KeyModifiers::CONTROL) && key.code == KeyCode::Char(c)
}

pub fn from_key(app: &App, key: &KeyEvent) -> Option<Action> {
    if is_ctrl(key, 'c') {
        return Some(Action::Cmd(Cmd::Quit));
    }
    match &app.modal {
        Some(Modal::Editor(ed)) => Some(match key.code {
            KeyCode::Esc => Action::EditorClose,
            KeyCode::Enter if !ed.multiline => Action::EditorCommit,
            _ if is_ctrl(key, 's') => Action::EditorCommit,
            _ => Action::EditorKey(*key),
        }),
        Some(Modal::Confirm { .. }) => match key.code {
            KeyCode::Char('y' | 'Y') | KeyCode::Enter => Some(Action::ConfirmYes),
            KeyCode::Char('n' | 'N') | KeyCode::Esc => Some(Action::ConfirmNo),
            _ => None,
        },
        // The default is to keep the secret redacted: only `y` keeps it as typed.
        Some(Modal::Secret(_)) => match key.code {
            KeyCode::Char('y' | 'Y') => Some(Action::ConfirmYes),
            KeyCode::Char('n' | 'N') | KeyCode::Esc | KeyCode::Enter => Some(Action::ConfirmNo),
            _ => None,
        },
        Some(Modal::Locked { .. }) => match key.code {
            KeyCode::Char('r' | 'R') => Some(Action::ConfirmYes),
            KeyCode::Char('n' | 'N') | KeyCode::Esc => Some(Action::ConfirmNo),
            KeyCode::Char('q') => Some(Action::Cmd(Cmd::Quit)),
            _ => None,
        },
        Some(Modal::Damaged { .. }) => match key.code {
            KeyCode::Char('b' | 'B') => Some(Action::ConfirmYes),
            KeyCode::Char('n' | 'N') | KeyCode::Esc => Some(Action::ConfirmNo),
            KeyCode::Char('q') => Some(Action::Cmd(Cmd::Quit)),
            _ => None,
        },
        Some(Modal::Error { .. }) => match key.code {
            KeyCode::Esc | KeyCode::Enter => Some(Action::Cmd(Cmd::Back)),
            KeyCode::Char('q') => Some(Action::Cmd(Cmd::Quit)),
            _ => None,
        },
        Some(Modal::Help { .. }) => match key.code {
            KeyCode::Esc | KeyCode::Char('?') | KeyCode::Enter => Some(Action::Cmd(Cmd::Back)),
            KeyCode::Char('q') => Some(Action::Cmd(Cmd::Quit)),
            KeyCode::Up | KeyCode::Char('k') => Some(Action::Cmd(Cmd::Up)),
            KeyCode::Down | KeyCode::Char('j') => Some(Action::Cmd(Cmd::Down)),
            KeyCode::PageUp => Some(Action::Cmd(Cmd::PageUp)),
            KeyCode::PageDown => Some(Action::Cmd(Cmd::PageDown)),
            _ => None,
        },
        // The import preview's keys are rows of the keymap table (`Ctx::Import`), so its
        // footer, its `?` list and docs/keys.md say what they do.
        Some(Modal::Import(p)) if p.help => Some(Action::Cmd(match key.code {
            KeyCode::Char('q') => Cmd::Quit,
            // Any other key closes the list of keys.
            _ => Cmd::Back,
        })),
        Some(Modal::Import(_)) => {
            keymap::lookup(key, Ctx::Import, false).map(|b| Action::Cmd(b.cmd))
        }
        Some(Modal::Compare(_)) => match key.code {
            KeyCode::Esc => Some(Action::Cmd(Cmd::Back)),
            KeyCode::Enter => Some(Action::Cmd(Cmd::Select)),
            KeyCode::Up | KeyCode::Char('k') => Some(Action::Cmd(Cmd::Up)),
            KeyCode::Down | KeyCode::Char('j') => Some(Action::Cmd(Cmd::Down)),
            KeyCode::PageUp => Some(Action::Cmd(Cmd::PageUp)),
            KeyCode::PageDown => Some(Action::Cmd(Cmd::PageDown)),
            KeyCode::Home | KeyCode::Char('g') => Some(Action::Cmd(Cmd::Top)),
            KeyCode::End | KeyCode::Char('G') => Some(Action::Cmd(Cmd::Bottom)),
            KeyCode::Char('o') => Some(Action::Cmd(Cmd::OpenFile)),
            KeyCode::Char('q') => Some(Action::Cmd(Cmd::Quit)),
            _ => None,
        },
        Some(Modal::Kind { .. } | Modal::Links { .. }) => match key.code {
            KeyCode::Esc => Some(Action::Cmd(Cmd::Back)),
            KeyCode::Enter => Some(Action::Cmd(Cmd::Select)),
            KeyCode::Char(' ') => Some(Action::Cmd(Cmd::Toggle)),
            KeyCode::Up | KeyCode::Char('k') => Some(Action::Cmd(Cmd::Up)),
            KeyCode::Down | KeyCode::Char('j') => Some(Action::Cmd(Cmd::Down)),
            KeyCode::Char(c @ '1'..='9') => Some(Action::Pick(c as usize - '0' as usize)),
            KeyCode::Char('q') => Some(Action::Cmd(Cmd::Quit)),
            _ => None,
        },
        None => {
            let screen = app.screen();
            if let Some(c) = starts_typing(app, key) {
                return Some(Action::TypeStart(c));
            }
            let b = keymap::lookup(key, screen.ctx(), app.work.is_some())?;
            Some(match (b.cmd, key.code) {
                (Cmd::Pick, KeyCode::Char(c)) => {
                    Action::Pick(c.to_digit(10).map_or(0, |d| d as usize))
                }
                (cmd, _) => Action::Cmd(cmd),
            })
        }
    }
}

/// On a question answered by typing (text, number, date), typing starts the answer: digits,
/// capital letters, punctuation and letters without a binding open the text box with that
/// character, so "14" or "Payroll for..." is never taken as commands. Lower-case letters with a
/// binding (u unknown, n note, r recommendation, v review...) keep their meaning, so the
/// documented keys work on every question.
fn starts_typing(app: &App, key: &KeyEvent) -> Option<char> {
    let KeyCode::Char(c) = key.code else {
        return None;
    };
    if key
        .modifiers
        .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT)
        || c == ' '
    {
        return None;
    }
    if app.screen() != &Screen::Questions {
        return None;
    }
    let (_, _, question) = app.current()?;
    if question.kind.is_choice() {
        return None;
    }
    let bound = keymap::lookup(key, Screen::Questions.ctx(), app.work.is_some()).is_some();
    let command = bound && (c.is_ascii_lowercase() || "?[]/".contains(c));
    (!command).then_some(c)
}
