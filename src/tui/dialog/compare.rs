//! "Compare with another session": the other saved sessions (the same organisation's first),
//! then "Open a file…".

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear};

use super::Modal;
use super::editor::{self, EditTarget};
use crate::tui::app::App;
use crate::tui::keymap::Cmd;
use crate::tui::list::{self, Look, Window};
use crate::tui::update::Effect;
use crate::tui::widgets::{centered, clean, marker, truncate};
use crate::workshop::catalogue::{self, SessionInfo};

/// A row of the picker.
#[derive(Debug, Clone, PartialEq)]
pub enum PickRow {
    Session {
        path: PathBuf,
        organisation: String,
        updated: DateTime<Utc>,
        /// Same organisation as the open workshop (listed first).
        same_org: bool,
        /// Why the file cannot be read, if it cannot.
        error: Option<String>,
    },
    /// "Open a file…": any session file, by path.
    OpenFile,
}

/// The picker dialog.
#[derive(Debug, Clone, PartialEq)]
pub struct Picker {
    pub rows: Vec<PickRow>,
    pub(crate) list: Window,
    /// Why the saved sessions could not be listed, if they could not.
    pub error: Option<String>,
}

impl Picker {
    pub(crate) fn new(rows: Vec<PickRow>, error: Option<String>) -> Picker {
        Picker {
            rows,
            list: Window::default(),
            error,
        }
    }
}

/// The other saved sessions (not the open one): those of the same organisation first, each
/// group most recently updated first, then "Open a file…".
pub(crate) fn picker_rows(sessions: &[SessionInfo], current: &Path, org: &str) -> Vec<PickRow> {
    let mut rows: Vec<PickRow> = catalogue::compare_candidates(sessions, current, org)
        .into_iter()
        .map(|c| PickRow::Session {
            path: c.path,
            organisation: c.organisation,
            updated: c.updated,
            same_org: c.same_org,
            error: c.error,
        })
        .collect();
    rows.push(PickRow::OpenFile);
    rows
}

pub(crate) fn update(app: &mut App, cmd: Cmd) -> Vec<Effect> {
    let Some(Modal::Compare(p)) = app.modal.as_mut() else {
        return Vec::new();
    };
    if p.list.select(cmd, p.rows.len()) {
        return Vec::new();
    }
    match cmd {
        Cmd::Back => {
            app.modal = None;
            app.info("Nothing compared.");
        }
        Cmd::OpenFile => open_path_editor(app),
        Cmd::Select => match p.rows.get(p.list.cursor).cloned() {
            Some(PickRow::Session {
                path,
                error: Some(e),
                ..
            }) => app.error(format!("Cannot read {}: {e}", path.display())),
            Some(PickRow::Session { path, .. }) => {
                app.modal = None;
                return vec![Effect::Compare(path)];
            }
            Some(PickRow::OpenFile) => open_path_editor(app),
            None => {}
        },
        _ => {}
    }
    Vec::new()
}

fn open_path_editor(app: &mut App) {
    editor::open(
        app,
        EditTarget::ComparePath,
        "Compare with a session file: path",
        "",
        false,
    );
}

pub(crate) fn draw(frame: &mut Frame, app: &mut App, area: Rect) {
    let t = app.theme;
    let Some(Modal::Compare(p)) = app.modal.as_mut() else {
        return;
    };
    let w = area.width.saturating_sub(10).min(80) as usize;
    let inner = w.saturating_sub(4);
    let org_w = (inner / 3).clamp(10, 30);
    let extra = usize::from(p.error.is_some());
    let h = ((p.rows.len() + extra) as u16 + 2).min(area.height.saturating_sub(2));
    let box_ = centered(area, w as u16, h);
    frame.render_widget(Clear, box_);
    let block = Block::bordered()
        .title(" Compare with another session (★ same organisation) ")
        .border_style(t.accent());
    let mut inner_area = block.inner(box_);
    frame.render_widget(block, box_);
    if let Some(e) = &p.error {
        frame.render_widget(
            Line::styled(
                format!("  ! Could not list saved sessions: {}", clean(e)),
                t.error(),
            ),
            Rect {
                height: 1,
                ..inner_area
            },
        );
        inner_area.y += 1;
        inner_area.height = inner_area.height.saturating_sub(1);
    }
    let cursor = p.list.cursor;
    let rows = &p.rows;
    list::draw(
        frame,
        inner_area,
        &mut p.list,
        rows.len(),
        Look::select(t, None),
        None,
        |i, _| {
            let m = marker(i == cursor);
            vec![match &rows[i] {
                PickRow::OpenFile => Line::raw(format!("{m}  Open a file…")),
                PickRow::Session {
                    path,
                    error: Some(e),
                    ..
                } => {
                    let name = path
                        .file_name()
                        .map(|n| n.to_string_lossy().into_owned())
                        .unwrap_or_default();
                    Line::styled(
                        format!(
                            "{m}  (unreadable) {}",
                            truncate(&format!("{name}: {e}"), inner.saturating_sub(16))
                        ),
                        t.error(),
                    )
                }
                PickRow::Session {
                    path,
                    organisation,
                    updated,
                    same_org,
                    ..
                } => {
                    let org = if organisation.is_empty() {
                        "(no organisation)"
                    } else {
                        organisation
                    };
                    let name = path
                        .file_name()
                        .map(|n| n.to_string_lossy().into_owned())
                        .unwrap_or_default();
                    let mark = if *same_org { "★ " } else { "  " };
                    Line::from(vec![
                        Span::raw(m),
                        Span::styled(mark, t.accent()),
                        Span::styled(crate::text::pad(&truncate(org, org_w), org_w), t.bold()),
                        Span::raw(format!(" {} ", updated.format("%Y-%m-%d"))),
                        Span::styled(
                            crate::text::truncate_middle(&name, inner.saturating_sub(org_w + 16)),
                            t.dim(),
                        ),
                    ])
                }
            }]
        },
    );
}
