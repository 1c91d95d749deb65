//! Dialogs over the screens. Each owns its state, its key handling (`update`) and its
//! drawing; their keys are rows of the keymap table (one `Ctx` each), so the footer, the `?`
//! overlay and docs/keys.md say what they do.

pub(crate) mod compare;
pub(crate) mod editor;
pub(crate) mod help;
pub(crate) mod import;
pub(crate) mod opening;
pub(crate) mod pickers;
pub(crate) mod secret;

use std::path::PathBuf;

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Wrap};

use super::action::Action;
use super::app::App;
use super::keymap::{self, Ctx};
use super::update::Effect;
use super::widgets::{centered, clean};

pub(crate) use pickers::{Confirm, KindPicker, LinksPicker, Pending};

pub enum Modal {
    /// The keys of the screen below (`?`), scrolled.
    Help(super::list::Window),
    Editor(Box<editor::Editor>),
    /// "Remove …?"
    Confirm(Confirm),
    /// Picks an identity's kind (the identity_kind question's choices).
    Kind(KindPicker),
    /// Ticks the systems an identity can access.
    Links(LinksPicker),
    /// The dry run of an identity import: nothing changes until it is confirmed.
    Import(Box<import::ImportPreview>),
    /// "Compare with another session": the saved sessions, then "Open a file…".
    Compare(Box<compare::Picker>),
    /// Typed text looked like a secret and was stored redacted: keep it as typed instead?
    Secret(Box<secret::SecretChoice>),
    /// The session is open in another socscope process: open it read-only, or cancel.
    Locked {
        path: PathBuf,
        holder: Option<crate::session::lock::Holder>,
    },
    /// The session file cannot be read but its backup can: restore the backup, or cancel.
    Damaged {
        path: PathBuf,
        /// The error, located (`file:line:col: error: ...`), with its help lines.
        error: String,
        backup: PathBuf,
        /// Where the damaged file is kept if the backup is restored (`FILE.corrupt`).
        aside: PathBuf,
    },
    /// Something went wrong: the whole error and what to do about it, until dismissed.
    Error {
        title: String,
        message: String,
        help: Option<String>,
    },
}

impl Modal {
    /// The keymap context of the dialog: which rows of the table are its keys.
    pub(crate) fn ctx(&self, app: &App) -> Ctx {
        match self {
            Modal::Help(_) => Ctx::Help,
            Modal::Editor(ed) => ed.ctx(app),
            Modal::Confirm(_) => Ctx::Confirm,
            Modal::Kind(_) => Ctx::Kind,
            Modal::Links(_) => Ctx::Links,
            Modal::Import(_) => Ctx::Import,
            Modal::Compare(_) => Ctx::Compare,
            Modal::Secret(_) => Ctx::Secret,
            Modal::Locked { .. } => Ctx::Locked,
            Modal::Damaged { .. } => Ctx::Damaged,
            Modal::Error { .. } => Ctx::Error,
        }
    }
}

/// A key (or paste) while a dialog is open.
pub(crate) fn update(app: &mut App, action: Action) -> Vec<Effect> {
    match &app.modal {
        Some(Modal::Editor(_)) => editor::update(app, action),
        Some(Modal::Confirm(_) | Modal::Kind(_) | Modal::Links(_)) => pickers::update(app, action),
        Some(Modal::Secret(_)) => secret::update(app, action),
        Some(Modal::Locked { .. } | Modal::Damaged { .. } | Modal::Error { .. }) => {
            opening::update(app, action)
        }
        Some(Modal::Help(_)) => help::update(app, action),
        Some(Modal::Compare(_)) => match action {
            Action::Cmd(cmd) => compare::update(app, cmd),
            _ => Vec::new(),
        },
        Some(Modal::Import(_)) => match action {
            Action::Cmd(cmd) => import::update(app, cmd),
            _ => Vec::new(),
        },
        None => Vec::new(),
    }
}

/// The keys of the open dialog, for the footer and the line under a text box: from the keymap
/// table, leaving out what cannot be done now.
pub(crate) fn hints(app: &App) -> Vec<(&'static str, &'static str)> {
    match &app.modal {
        Some(Modal::Import(p)) => import::hints(p),
        Some(m) => keymap::hints(m.ctx(app), app.work.is_some()),
        None => Vec::new(),
    }
}

/// The hints as one line: "Enter: save · Esc: cancel".
pub(crate) fn hints_text(app: &App) -> String {
    hints(app)
        .iter()
        .map(|(k, h)| format!("{k}: {h}"))
        .collect::<Vec<_>>()
        .join(" · ")
}

pub(crate) fn draw(frame: &mut Frame, app: &mut App, area: Rect) {
    match &app.modal {
        Some(Modal::Help(_)) => help::draw(frame, app, area),
        Some(Modal::Editor(_)) => editor::draw(frame, app, area),
        Some(Modal::Import(_)) => import::draw(frame, app, area),
        Some(Modal::Confirm(_) | Modal::Kind(_) | Modal::Links(_)) => {
            pickers::draw(frame, app, area)
        }
        Some(Modal::Compare(_)) => compare::draw(frame, app, area),
        Some(Modal::Secret(_)) => secret::draw(frame, app, area),
        Some(Modal::Locked { .. } | Modal::Damaged { .. } | Modal::Error { .. }) => {
            opening::draw(frame, app, area)
        }
        None => {}
    }
}

pub(crate) fn key_line<'a>(t: &crate::tui::theme::Theme, key: &'a str, what: &str) -> Line<'a> {
    Line::from(vec![
        Span::styled(key, t.key()),
        Span::raw(format!("  {what}")),
    ])
}

/// The dialog's keys, one line each with what they do, from the keymap table.
pub(crate) fn key_lines(app: &App) -> Vec<Line<'static>> {
    let t = app.theme;
    let Some(m) = &app.modal else {
        return Vec::new();
    };
    keymap::bindings_for(m.ctx(app), app.work.is_some())
        .into_iter()
        .filter(|b| !b.hint.is_empty() && b.cmd != keymap::Cmd::Quit)
        .map(|b| {
            let desc = b.desc.replace('`', "");
            let mut c = desc.chars();
            let desc: String = c
                .next()
                .map(|f| f.to_lowercase().chain(c).collect())
                .unwrap_or_default();
            key_line(&t, b.label, &desc)
        })
        .collect()
}

/// How many rows `text` takes when word-wrapped at `width` (as `Wrap { trim: false }` does, or
/// a little more: a word longer than the line is counted as broken at the width).
pub(crate) fn wrapped_rows(text: &str, width: usize) -> usize {
    let width = width.max(1);
    let (mut rows, mut used) = (1, 0);
    for word in text.split_inclusive(' ') {
        let mut n = crate::text::width(word);
        if used > 0 && used + n > width {
            rows += 1;
            used = 0;
        }
        while n > width {
            rows += 1;
            n -= width;
        }
        used += n;
    }
    rows
}

/// A centred box with wrapped text, as tall as the text needs (within the screen).
pub(crate) fn dialog(
    frame: &mut Frame,
    area: Rect,
    text: Vec<Line>,
    title: &str,
    border: ratatui::style::Style,
    max_width: u16,
) {
    let w = area.width.saturating_sub(6).min(max_width);
    let inner = w.saturating_sub(2).max(1) as usize;
    let rows: usize = text
        .iter()
        .map(|l| {
            let s: String = l.spans.iter().map(|s| s.content.as_ref()).collect();
            wrapped_rows(&s, inner)
        })
        .sum();
    let h = (rows as u16 + 2).min(area.height.saturating_sub(2));
    let box_ = centered(area, w, h);
    frame.render_widget(Clear, box_);
    let block = Block::bordered().title(clean(title)).border_style(border);
    frame.render_widget(
        Paragraph::new(text).block(block).wrap(Wrap { trim: false }),
        box_,
    );
}
