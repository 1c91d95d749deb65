//! Start: new workshop, recent sessions, open a file.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

use crate::tui::action::Action;
use crate::tui::app::{App, HitList, Modal};
use crate::tui::dialog::editor::{self, EditTarget, Editor};
use crate::tui::keymap::{Cmd, Ctx};
use crate::tui::list::{self, Look, Window};
use crate::tui::update::Effect;
use crate::tui::widgets::{clean, marker, truncate};
use crate::workshop::catalogue::SessionInfo;

#[derive(Default)]
pub(crate) struct StartState {
    pub(crate) sessions: Vec<SessionInfo>,
    pub(crate) list: Window,
    pub(crate) filter: String,
    /// Why the session list could not be read, if it could not.
    pub(crate) error: Option<String>,
}

/// A row of the start screen.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum StartRow {
    New,
    Session(usize),
    OpenFile,
}

impl StartState {
    pub(crate) fn rows(&self) -> Vec<StartRow> {
        let needle = self.filter.to_lowercase();
        let mut rows = vec![StartRow::New];
        rows.extend(
            self.sessions
                .iter()
                .enumerate()
                .filter(|(_, s)| {
                    needle.is_empty()
                        || s.organisation.to_lowercase().contains(&needle)
                        || s.path
                            .display()
                            .to_string()
                            .to_lowercase()
                            .contains(&needle)
                })
                .map(|(i, _)| StartRow::Session(i)),
        );
        rows.push(StartRow::OpenFile);
        rows
    }
}

pub(crate) fn set_filter(app: &mut App, text: String) {
    app.start.filter = text;
    app.start.list.cursor = 0;
}

pub(crate) fn update(app: &mut App, action: Action) -> Vec<Effect> {
    let rows = app.start.rows();
    let Action::Cmd(cmd) = action else {
        return Vec::new();
    };
    if app.start.list.select(cmd, rows.len()) {
        return Vec::new();
    }
    let at = app.start.list.cursor.min(rows.len().saturating_sub(1));
    match cmd {
        Cmd::New => {
            editor::open(
                app,
                EditTarget::NewWorkshop,
                "New workshop: organisation being scoped",
                "",
                false,
            );
            Vec::new()
        }
        Cmd::OpenFile => {
            editor::open(
                app,
                EditTarget::OpenPath,
                "Open a session file: path",
                "",
                false,
            );
            Vec::new()
        }
        Cmd::Filter => {
            let f = app.start.filter.clone();
            editor::open(
                app,
                EditTarget::Filter(Ctx::Start),
                "Filter workshops",
                &f,
                false,
            );
            Vec::new()
        }
        Cmd::Select => match rows.get(at) {
            Some(StartRow::New) => update(app, Action::Cmd(Cmd::New)),
            Some(StartRow::OpenFile) => update(app, Action::Cmd(Cmd::OpenFile)),
            // An unreadable one too: opening it says why, and offers its backup if readable.
            Some(StartRow::Session(i)) => match app.start.sessions.get(*i) {
                Some(info) => vec![Effect::Open(info.path.clone())],
                None => Vec::new(),
            },
            None => Vec::new(),
        },
        // Opens the highlighted workshop, then the picker of sessions to compare it with.
        Cmd::Compare => match rows.get(at) {
            Some(StartRow::Session(i)) => match app.start.sessions.get(*i) {
                Some(info) if info.error.is_none() => {
                    vec![Effect::Open(info.path.clone()), Effect::ComparePicker]
                }
                _ => update(app, Action::Cmd(Cmd::Select)),
            },
            _ => {
                app.info("Highlight a saved workshop first: c compares it with another one.");
                Vec::new()
            }
        },
        _ => Vec::new(),
    }
}

/// The organisation typed for a new workshop.
pub(crate) fn new_workshop(app: &mut App, ed: Editor, line: String, quitting: bool) -> Vec<Effect> {
    if line.is_empty() && !quitting {
        app.modal = Some(Modal::Editor(Box::new(Editor {
            error: Some("Type the organisation's name (it can be changed later).".into()),
            ..ed
        })));
        return Vec::new();
    }
    if quitting {
        return Vec::new();
    }
    vec![Effect::Create {
        organisation: line,
        path: None,
    }]
}

pub(crate) fn draw(frame: &mut Frame, app: &mut App, area: Rect) {
    let t = app.theme;
    let [intro, list_a] = Layout::vertical([Constraint::Length(3), Constraint::Min(3)]).areas(area);
    let mut text = vec![
        Line::styled(clean(&app.q.title), t.bold()),
        Line::styled(
            "Start a new workshop or resume one. Every change is saved as you go.",
            t.dim(),
        ),
    ];
    if let Some(e) = &app.start.error {
        text[1] = Line::styled(
            format!("Could not list saved sessions: {}", clean(e)),
            t.error(),
        );
    }
    frame.render_widget(Paragraph::new(text), intro);

    let rows = app.start.rows();
    let w = list_a.width.saturating_sub(2) as usize;
    let org_w = (w / 3).clamp(12, 30);
    let title = if app.start.filter.is_empty() {
        format!(" Workshops ({} saved) ", app.start.sessions.len())
    } else {
        format!(
            " Workshops matching \"{}\" ",
            truncate(&app.start.filter, 20)
        )
    };
    let block = Block::bordered().title(title).border_style(t.border());
    let cursor = app.start.list.cursor.min(rows.len().saturating_sub(1));
    let sessions = &app.start.sessions;
    let hit = list::draw(
        frame,
        list_a,
        &mut app.start.list,
        rows.len(),
        Look::select(t, Some(block)),
        Some(HitList::Start),
        |i, _| {
            let m = marker(i == cursor);
            let line = match &rows[i] {
                StartRow::New => {
                    Line::from(vec![Span::raw(m), Span::styled("+ New workshop", t.bold())])
                }
                StartRow::OpenFile => {
                    Line::from(vec![Span::raw(m), Span::raw("  Open a session file…")])
                }
                StartRow::Session(si) => {
                    let Some(s) = sessions.get(*si) else {
                        return vec![Line::raw("")];
                    };
                    let name = s
                        .path
                        .file_name()
                        .map(|n| n.to_string_lossy().into_owned())
                        .unwrap_or_default();
                    match &s.error {
                        Some(e) => Line::from(vec![
                            Span::raw(m),
                            Span::styled(
                                format!(
                                    "  (unreadable) {}: {}",
                                    clean(&name),
                                    truncate(e, w.saturating_sub(20))
                                ),
                                t.error(),
                            ),
                        ]),
                        None => {
                            let org = if s.organisation.is_empty() {
                                "(no organisation)"
                            } else {
                                &s.organisation
                            };
                            let verdict = format!(
                                "{}{}",
                                s.verdict.label(),
                                if s.provisional { " (prov.)" } else { "" }
                            );
                            Line::from(vec![
                                Span::raw(m),
                                Span::styled(
                                    format!("  {}", crate::text::pad(&truncate(org, org_w), org_w)),
                                    t.bold(),
                                ),
                                Span::raw(format!(" {} ", s.updated.format("%Y-%m-%d %H:%M"))),
                                Span::styled(format!("{:>3}% ", s.progress.percent()), t.accent()),
                                Span::raw(truncate(&verdict, w.saturating_sub(org_w + 26))),
                            ])
                        }
                    }
                }
            };
            vec![line]
        },
    );
    app.hits.extend(hit);
}
