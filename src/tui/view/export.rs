//! Export: Markdown or JSON, written next to the session file.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Wrap};

use crate::tui::app::App;
use crate::tui::update::Format;
use crate::tui::widgets::{clean, marker};

/// Where an export of the session at `session` goes: same folder and stem.
pub fn target(session: &std::path::Path, f: Format) -> std::path::PathBuf {
    session.with_extension(f.extension())
}

pub fn draw(frame: &mut Frame, app: &mut App, area: Rect) {
    let t = app.theme;
    let Some(w) = &app.work else { return };
    let mut lines = vec![
        Line::styled(
            "Write the recommendation with its rationale, next to the session file.",
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
                clean(&target(&w.path, *f).display().to_string())
            ),
            t.dim(),
        ));
    }
    lines.push(Line::raw(""));
    if w.rec.provisional {
        lines.push(Line::styled(
            format!(
                "Note: {} decision(s) are still provisional; the export says so.",
                w.rec.provisional_count()
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
    frame.render_widget(
        Paragraph::new(lines)
            .block(block)
            .wrap(Wrap { trim: false }),
        area,
    );
}
