//! Export: the full report (Markdown or JSON) and the evidence plan (a Markdown checklist or
//! JSON), written next to the session file.

use std::path::PathBuf;

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Wrap};

use crate::tui::action::Action;
use crate::tui::app::{App, Hit, HitList};
use crate::tui::keymap::Cmd;
use crate::tui::update::{Effect, Format};
use crate::tui::widgets::{clean, marker};

#[derive(Default)]
pub(crate) struct ExportState {
    pub(crate) cursor: usize,
    pub(crate) written: Vec<PathBuf>,
}

pub(crate) fn update(app: &mut App, action: Action) -> Vec<Effect> {
    match action {
        Action::Cmd(cmd) if crate::tui::list::is_move(cmd) => {
            crate::tui::list::move_cursor(&mut app.export.cursor, Format::ALL.len(), cmd, 1);
            Vec::new()
        }
        Action::Cmd(Cmd::Select) => vec![Effect::Export(
            Format::ALL[app.export.cursor.min(Format::ALL.len() - 1)],
        )],
        _ => Vec::new(),
    }
}

pub(crate) fn draw(frame: &mut Frame, app: &mut App, area: Rect) {
    let t = app.theme;
    let Some(w) = &app.work else { return };
    let mut lines = vec![
        Line::styled(
            "Write the report or the evidence plan next to the session file (Enter).",
            t.dim(),
        ),
        Line::raw(""),
    ];
    for (i, f) in Format::ALL.iter().enumerate() {
        let focused = i == app.export.cursor;
        let style = if focused { t.focus() } else { t.bold() };
        lines.push(Line::from(vec![Span::styled(
            format!("{}{}", marker(focused), f.label()),
            style,
        )]));
        lines.push(Line::styled(
            format!(
                "    → {}",
                clean(
                    &crate::tui::effect::export_path(w.path(), *f)
                        .display()
                        .to_string()
                )
            ),
            t.dim(),
        ));
    }
    lines.push(Line::raw(""));
    if w.rec(&app.q).provisional {
        lines.push(Line::styled(
            format!(
                "Note: {} decision(s) are still provisional; the export says so.",
                w.rec(&app.q).provisional_count()
            ),
            t.warn(),
        ));
    }
    if !app.export.written.is_empty() {
        lines.push(Line::styled("Written this session:", t.bold()));
        for p in &app.export.written {
            lines.push(Line::styled(
                format!("  ✓ {}", clean(&p.display().to_string())),
                t.good(),
            ));
        }
    }
    let block = Block::bordered().title(" Export ").border_style(t.border());
    let inner = block.inner(area);
    let n = Format::ALL.len();
    frame.render_widget(
        Paragraph::new(lines)
            .block(block)
            .wrap(Wrap { trim: false }),
        area,
    );
    // Each export is two rows (label and path) after the two-row introduction.
    app.hits.push(Hit {
        list: HitList::Export,
        area: Rect {
            y: inner.y + 2,
            height: inner.height.saturating_sub(2),
            ..inner
        },
        offset: 0,
        heights: vec![2; n],
    });
}
