//! The text box: single-line answers, fields, names, paths and filters, and multi-line notes.
//! What the text is for (`EditTarget`) decides what keeping it does; the screen that opened it
//! carries that out.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::Line;
use ratatui::widgets::{Block, Clear, Paragraph};
use ratatui_textarea::{TextArea, WrapMode};

use super::Modal;
use crate::session::EntityId;
use crate::tui::action::Action;
use crate::tui::app::App;
use crate::tui::keymap::{Cmd, Ctx};
use crate::tui::screen::{self, details::DetailField, inventory, questions, start};
use crate::tui::update::Effect;
use crate::tui::widgets::{centered, clean, truncate};

/// A text input: single-line answers and fields, multi-line notes.
pub struct Editor {
    pub target: EditTarget,
    pub title: String,
    pub area: TextArea<'static>,
    pub multiline: bool,
    /// Why the last attempt to commit was refused (e.g. not a number); the text is kept.
    pub error: Option<String>,
    /// The saved answer a box opened by typing on the question would replace (as shown): Esc
    /// then cancels instead of saving, so a stray key cannot overwrite an answer (QA: `N`,
    /// meant as "next unanswered", typed an "N" that Esc saved over the answer).
    pub replaces: Option<String>,
}

impl Editor {
    pub fn new(
        target: EditTarget,
        title: impl Into<String>,
        text: &str,
        multiline: bool,
    ) -> Editor {
        let lines: Vec<String> = if text.is_empty() {
            vec![String::new()]
        } else {
            text.lines().map(str::to_string).collect()
        };
        let mut area = TextArea::new(lines);
        area.set_wrap_mode(WrapMode::Word);
        area.move_cursor(ratatui_textarea::CursorMove::Bottom);
        area.move_cursor(ratatui_textarea::CursorMove::End);
        Editor {
            target,
            title: title.into(),
            area,
            multiline,
            error: None,
            replaces: None,
        }
    }

    pub(crate) fn text(&self) -> String {
        self.area.lines().join("\n")
    }

    /// Which rows of the keymap are this box's keys.
    pub(crate) fn ctx(&self, app: &App) -> Ctx {
        match self.target {
            EditTarget::Answer { .. } if self.replaces.is_some() => Ctx::AnswerBoxReplacing,
            EditTarget::Answer { .. } if app.questions.jumped => Ctx::AnswerBoxStay,
            EditTarget::Answer { .. } => Ctx::AnswerBox,
            EditTarget::Note { .. } => Ctx::NoteBox,
            EditTarget::Field(_) => Ctx::FieldBox,
            EditTarget::Filter(_) => Ctx::FilterBox,
            _ => Ctx::NameBox,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EditTarget {
    Answer {
        entity: EntityId,
        qid: String,
    },
    Note {
        entity: EntityId,
        qid: String,
    },
    Field(DetailField),
    NewWorkshop,
    OpenPath,
    AddSystem,
    AddIdentity,
    Rename(EntityId),
    Filter(Ctx),
    /// The path of a CSV of identities to import.
    ImportPath,
    /// The path of a session file to compare the workshop with.
    ComparePath,
    /// A new answer for merge conflict N (`Session::conflicts`).
    Conflict(usize),
}

/// Opens the text box.
pub(crate) fn open(app: &mut App, target: EditTarget, title: &str, text: &str, multiline: bool) {
    app.modal = Some(Modal::Editor(Box::new(Editor::new(
        target, title, text, multiline,
    ))));
}

pub(crate) fn update(app: &mut App, action: Action) -> Vec<Effect> {
    match action {
        Action::EditorKey(key) => {
            if let Some(Modal::Editor(ed)) = app.modal.as_mut() {
                ed.error = None;
                ed.area.input(key);
                if let EditTarget::Filter(ctx) = ed.target {
                    let text = ed.text();
                    screen::set_filter(app, ctx, text);
                }
            }
            Vec::new()
        }
        Action::Cmd(Cmd::ClearText) => {
            if let Some(Modal::Editor(ed)) = app.modal.as_mut() {
                ed.error = None;
                // As in shells: Ctrl-U clears back to the start of the line.
                ed.area.delete_line_by_head();
                if let EditTarget::Filter(ctx) = ed.target {
                    let text = ed.text();
                    screen::set_filter(app, ctx, text);
                }
            }
            Vec::new()
        }
        Action::Paste(text) => {
            if let Some(Modal::Editor(ed)) = app.modal.as_mut() {
                // Single-line inputs take a pasted paragraph as one line.
                let text = if ed.multiline {
                    text.replace("\r\n", "\n").replace('\r', "\n")
                } else {
                    text.replace(['\r', '\n'], " ")
                };
                ed.area.insert_str(crate::text::clean_multiline(&text));
                if let EditTarget::Filter(ctx) = ed.target {
                    let t = ed.text();
                    screen::set_filter(app, ctx, t);
                }
            }
            Vec::new()
        }
        Action::EditorCommit => done(app, true, false),
        Action::EditorClose => done(app, false, false),
        _ => Vec::new(),
    }
}

/// Closes the editor, keeping its text. `go_on`: Enter on an answer also moves to the next
/// question. `quitting`: an answer that does not parse is kept as a note rather than refused.
pub(crate) fn done(app: &mut App, go_on: bool, quitting: bool) -> Vec<Effect> {
    let Some(Modal::Editor(ed)) = app.modal.take() else {
        return Vec::new();
    };
    let text = ed.text();
    let line = clean(text.trim());
    // Names and workshop details have no "keep as typed": a secret in one is stored redacted,
    // and the status line says so.
    let named = matches!(
        ed.target,
        EditTarget::NewWorkshop
            | EditTarget::AddSystem
            | EditTarget::AddIdentity
            | EditTarget::Rename(_)
            | EditTarget::Field(_)
    );
    let (line, name_secrets) = if named {
        crate::secrets::redact(&line)
    } else {
        (line, Vec::new())
    };
    // Esc on something not yet created (a new workshop, system, identity, a path, a rename) is
    // "cancel": nothing exists yet that could be lost.
    let cancellable = matches!(
        ed.target,
        EditTarget::NewWorkshop
            | EditTarget::OpenPath
            | EditTarget::AddSystem
            | EditTarget::AddIdentity
            | EditTarget::Rename(_)
            | EditTarget::ImportPath
            | EditTarget::ComparePath
            | EditTarget::Conflict(_)
    );
    if cancellable && !go_on && !quitting {
        app.info("Cancelled: nothing changed.");
        return Vec::new();
    }
    if let (Some(old), EditTarget::Answer { .. }) = (&ed.replaces, &ed.target)
        && !go_on
    {
        if quitting && !line.is_empty() {
            // Quitting keeps both: the saved answer, and what was typed over it as a draft.
            if let EditTarget::Answer { entity, qid } = &ed.target {
                return questions::keep_draft(app, entity, qid, &line, old);
            }
        }
        app.info(format!("Cancelled: the answer stays \"{}\".", clean(old)));
        return Vec::new();
    }
    let fx = match ed.target.clone() {
        EditTarget::Filter(ctx) => {
            screen::set_filter(app, ctx, line);
            Vec::new()
        }
        EditTarget::NewWorkshop => start::new_workshop(app, *ed, line, quitting),
        EditTarget::OpenPath => {
            if line.is_empty() || quitting {
                return Vec::new();
            }
            vec![Effect::Open(expand_home(&line))]
        }
        EditTarget::ComparePath => {
            if line.is_empty() || quitting {
                return Vec::new();
            }
            vec![Effect::Compare(expand_home(&line))]
        }
        EditTarget::ImportPath => {
            if line.is_empty() || quitting {
                return Vec::new();
            }
            vec![Effect::ImportPreview {
                path: expand_home(&line),
            }]
        }
        EditTarget::AddSystem | EditTarget::AddIdentity => {
            inventory::add(app, ed.target == EditTarget::AddSystem, line, quitting)
        }
        EditTarget::Rename(e) => inventory::rename(app, &e, line),
        EditTarget::Conflict(i) => screen::conflicts::typed_done(app, i, &line),
        EditTarget::Field(field) => {
            screen::details::field_done(app, *ed, field, line, go_on, quitting)
        }
        EditTarget::Note { entity, qid } => questions::note_done(app, entity, qid, &text),
        EditTarget::Answer { entity, qid } => {
            questions::answer_done(app, *ed, &entity, &qid, &line, go_on, quitting)
        }
    };
    if !name_secrets.is_empty() && !fx.is_empty() {
        app.error(crate::secrets::warning(&name_secrets));
    }
    fx
}

fn expand_home(p: &str) -> std::path::PathBuf {
    match (p.strip_prefix("~/"), std::env::var_os("HOME")) {
        (Some(rest), Some(home)) => std::path::PathBuf::from(home).join(rest),
        _ => std::path::PathBuf::from(p),
    }
}

pub(crate) fn draw(frame: &mut Frame, app: &mut App, area: Rect) {
    let t = app.theme;
    let keys = super::hints_text(app);
    let Some(Modal::Editor(ed)) = &app.modal else {
        return;
    };
    let w = area.width.saturating_sub(6).min(90);
    let inner_w = w.saturating_sub(2).max(1) as usize;
    let h = if ed.multiline {
        area.height.saturating_sub(4).clamp(5, 14)
    } else {
        // Room for what is typed, so a long answer is seen whole (up to 4 rows).
        let len = crate::text::width(&ed.text()) + 1;
        (len.div_ceil(inner_w).clamp(1, 4) as u16) + 2
    };
    // A filter sits at the bottom, so the list it filters stays in view above it.
    let box_ = if matches!(ed.target, EditTarget::Filter(_)) {
        let y = area.y + area.height.saturating_sub(h + 3);
        Rect {
            x: area.x + (area.width.saturating_sub(w)) / 2,
            y,
            width: w,
            height: h + 1,
        }
    } else {
        centered(area, w, h + 1)
    };
    frame.render_widget(Clear, box_);
    let [edit, msg] = Layout::vertical([Constraint::Length(h), Constraint::Length(1)]).areas(box_);
    let mut ta = ed.area.clone();
    ta.set_block(
        Block::bordered()
            .title(format!(
                " {} ",
                truncate(&ed.title, (w as usize).saturating_sub(4))
            ))
            .border_style(t.accent()),
    );
    ta.set_cursor_line_style(ratatui::style::Style::default());
    ta.set_cursor_style(t.focus());
    frame.render_widget(&ta, edit);
    let line = match &ed.error {
        Some(e) => Line::styled(format!(" ! {}", clean(e)), t.error()),
        None => Line::styled(
            format!(" {}", truncate(&keys, (w as usize).saturating_sub(2))),
            t.dim(),
        ),
    };
    frame.render_widget(Clear, msg);
    frame.render_widget(
        Paragraph::new(line).style(ratatui::style::Style::default()),
        msg,
    );
}
