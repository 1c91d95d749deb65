//! Terminal events to actions: a pure function of the event and what is on screen. Every key
//! goes through the one keymap table (`keymap`), on screens and in dialogs alike.

use ratatui::crossterm::event::{
    Event, KeyCode, KeyEvent, KeyEventKind, KeyModifiers, MouseEventKind,
};

use super::app::{App, Modal};
use super::keymap::{self, Cmd};

#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    Cmd(Cmd),
    /// A choice key: choice N (1-based; 1-9, then letters).
    Pick(usize),
    /// A character typed where the screen takes typing: opens the text box with it.
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

pub(crate) fn from_event(app: &App, ev: &Event) -> Option<Action> {
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
    if let Some(m) = &app.modal {
        let ctx = m.ctx(app);
        let found = keymap::lookup(key, ctx, app.work.is_some()).map(|b| b.cmd);
        if matches!(m, Modal::Editor(_)) {
            // In a text box every key without a row of its own is text.
            return Some(match found {
                Some(Cmd::Commit) => Action::EditorCommit,
                Some(Cmd::Close) => Action::EditorClose,
                None | Some(Cmd::Text) => Action::EditorKey(*key),
                Some(cmd) => Action::Cmd(cmd),
            });
        }
        return match (found, key.code) {
            (Some(Cmd::Yes), _) => Some(Action::ConfirmYes),
            (Some(Cmd::No), _) => Some(Action::ConfirmNo),
            (Some(Cmd::Pick), KeyCode::Char(c)) => Some(Action::Pick(pick(c))),
            (Some(cmd), _) => Some(Action::Cmd(cmd)),
            // The import preview's list of keys closes on any key.
            (None, _) if matches!(m, Modal::Import(p) if p.help) => Some(Action::Cmd(Cmd::Back)),
            (None, _) => None,
        };
    }
    // Where the screen invites typing (a question answered by typing), letters are text.
    let ctx = app.ctx();
    if ctx.takes_typing()
        && let Some(c) = keymap::types(key)
    {
        return Some(Action::TypeStart(c));
    }
    let b = keymap::lookup(key, ctx, app.work.is_some())?;
    Some(match (b.cmd, key.code) {
        (Cmd::Pick, KeyCode::Char(c)) => Action::Pick(pick(c)),
        (cmd, _) => Action::Cmd(cmd),
    })
}

/// The 1-based choice a choice key picks (0: none).
fn pick(c: char) -> usize {
    keymap::choice_of(c).map_or(0, |i| i + 1)
}
