//! Workshop details: organisation, facilitator, participants, date.

use chrono::{NaiveDate, Utc};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Wrap};

use crate::tui::action::Action;
use crate::tui::app::{App, Modal};
use crate::tui::dialog::editor::{self, EditTarget, Editor};
use crate::tui::keymap::Cmd;
use crate::tui::update::Effect;
use crate::tui::widgets::{clean, marker};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DetailField {
    Organisation,
    Facilitator,
    Participants,
    Date,
}

pub(crate) const DETAIL_FIELDS: [DetailField; 4] = [
    DetailField::Organisation,
    DetailField::Facilitator,
    DetailField::Participants,
    DetailField::Date,
];

impl DetailField {
    pub(crate) fn label(&self) -> &'static str {
        match self {
            DetailField::Organisation => "Organisation",
            DetailField::Facilitator => "Facilitator",
            DetailField::Participants => "Participants",
            DetailField::Date => "Date",
        }
    }
    pub(crate) fn hint(&self) -> &'static str {
        match self {
            DetailField::Organisation => "the organisation being scoped",
            DetailField::Facilitator => "who runs the workshop",
            DetailField::Participants => "names, separated by commas",
            DetailField::Date => "YYYY-MM-DD",
        }
    }
}

/// A field's value as it is edited.
fn value(app: &App, field: &DetailField) -> String {
    let Some(w) = &app.work else {
        return String::new();
    };
    let ws = &w.session.workshop;
    match field {
        DetailField::Organisation => ws.organisation.clone(),
        DetailField::Facilitator => ws.facilitator.clone(),
        DetailField::Participants => ws.participants.join(", "),
        DetailField::Date => ws
            .date
            .map(|d| d.format("%Y-%m-%d").to_string())
            .unwrap_or_default(),
    }
}

pub(crate) fn update(app: &mut App, action: Action) -> Vec<Effect> {
    let Action::Cmd(cmd) = action else {
        return Vec::new();
    };
    if app.details.select(cmd, DETAIL_FIELDS.len()) {
        return Vec::new();
    }
    match cmd {
        Cmd::Select if app.read_only() => crate::tui::screen::refuse_read_only(app),
        Cmd::Select => {
            let at = app.details.cursor.min(DETAIL_FIELDS.len() - 1);
            open_field(app, DETAIL_FIELDS[at].clone());
            Vec::new()
        }
        _ => Vec::new(),
    }
}

fn open_field(app: &mut App, field: DetailField) {
    let text = value(app, &field);
    let title = format!("{} ({})", field.label(), field.hint());
    editor::open(app, EditTarget::Field(field), &title, &text, false);
}

/// A field typed: saved; Enter goes on to the next field's box (Esc and Tab leave).
pub(crate) fn field_done(
    app: &mut App,
    ed: Editor,
    field: DetailField,
    line: String,
    go_on: bool,
    quitting: bool,
) -> Vec<Effect> {
    let Some(w) = app.work.as_mut() else {
        return Vec::new();
    };
    let ws = &mut w.session.workshop;
    match field {
        DetailField::Organisation => ws.organisation = line,
        DetailField::Facilitator => ws.facilitator = line,
        DetailField::Participants => {
            ws.participants = line
                .split([',', ';'])
                .map(str::trim)
                .filter(|p| !p.is_empty())
                .map(str::to_string)
                .collect();
        }
        DetailField::Date if line.is_empty() => ws.date = None,
        DetailField::Date => match NaiveDate::parse_from_str(&line, "%Y-%m-%d") {
            Ok(d) => ws.date = Some(d),
            Err(_) if quitting => return Vec::new(),
            Err(_) => {
                let error = Some(format!(
                    "\"{line}\" is not a date: use YYYY-MM-DD, e.g. 2025-03-14"
                ));
                app.modal = Some(Modal::Editor(Box::new(Editor { error, ..ed })));
                return Vec::new();
            }
        },
    }
    w.session.touch(Utc::now());
    // Enter goes on to the next field's box: what is typed next is that field, never commands.
    if go_on && app.details.cursor + 1 < DETAIL_FIELDS.len() {
        app.details.cursor += 1;
        open_field(app, DETAIL_FIELDS[app.details.cursor].clone());
    }
    vec![Effect::Save]
}

/// What to do next, from where the workshop is (never a step already done).
pub(crate) fn next_step(app: &App) -> String {
    let Some(w) = &app.work else {
        return String::new();
    };
    let s = &w.session;
    if s.systems.is_empty() {
        return "Tab to Inventory to add the systems in scope, then the identities that reach \
                them."
            .into();
    }
    let seq = w.sequence();
    let open = seq
        .iter()
        .filter(|(e, qi)| crate::workshop::answer::unanswered(&app.q, s, e, *qi))
        .count();
    if open > 0 {
        return format!(
            "{open} question{} not answered yet: Tab twice to Questions (it goes on where you \
             left off).",
            if open == 1 { " is" } else { "s are" }
        );
    }
    let unknown = w.progress().unknown;
    let follow = w.could_follow();
    if unknown > 0 || follow > 0 {
        return format!(
            "{unknown} answer{} unknown{}: v then f lists them to settle; r shows the \
             recommendation as it stands.",
            if unknown == 1 { " is" } else { "s are" },
            if follow > 0 {
                format!(" and {follow} more may follow")
            } else {
                String::new()
            }
        );
    }
    "every question is answered: r for the recommendation, x to export it.".into()
}

pub(crate) fn draw(frame: &mut Frame, app: &mut App, area: Rect) {
    let t = app.theme;
    let Some(w) = &app.work else { return };
    let ws = &w.session.workshop;
    let mut lines = vec![
        Line::styled(
            "Who is in the room, and when. Enter edits the highlighted field.",
            t.dim(),
        ),
        Line::raw(""),
    ];
    for (i, f) in DETAIL_FIELDS.iter().enumerate() {
        let focused = i == app.details.cursor;
        let value = match f {
            DetailField::Organisation => ws.organisation.clone(),
            DetailField::Facilitator => ws.facilitator.clone(),
            DetailField::Participants => ws.participants.join(", "),
            DetailField::Date => ws
                .date
                .map(|d| d.format("%Y-%m-%d").to_string())
                .unwrap_or_default(),
        };
        let value_span = if value.is_empty() {
            Span::styled(format!("({})", f.hint()), t.dim())
        } else {
            Span::raw(clean(&value))
        };
        let label = Span::styled(
            format!("{}{:<14}", marker(focused), f.label()),
            if focused { t.focus() } else { t.bold() },
        );
        lines.push(Line::from(vec![label, Span::raw(" "), value_span]));
    }
    lines.push(Line::raw(""));
    lines.push(Line::styled(
        format!("Saved to {}", clean(&w.path().display().to_string())),
        t.dim(),
    ));
    lines.push(Line::styled(
        format!("Progress: {}", w.progress_text()),
        t.dim(),
    ));
    lines.push(Line::raw(""));
    lines.push(Line::styled(
        format!("Next: {}", next_step(app)),
        t.accent(),
    ));
    let block = Block::bordered()
        .title(" Workshop details ")
        .border_style(t.border());
    frame.render_widget(
        Paragraph::new(lines)
            .block(block)
            .wrap(Wrap { trim: false }),
        area,
    );
}
