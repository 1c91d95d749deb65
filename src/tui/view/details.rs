//! Workshop details: organisation, facilitator, participants, date.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Wrap};

use crate::tui::app::{App, DETAIL_FIELDS, DetailField};
use crate::tui::widgets::{clean, marker};

pub fn draw(frame: &mut Frame, app: &mut App, area: Rect) {
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
        let focused = i == app.details;
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
        format!(
            "Progress: {} of {} questions answered ({}%)",
            w.rec.progress.answered,
            w.rec.progress.total,
            w.rec.progress.percent()
        ),
        t.dim(),
    ));
    lines.push(Line::raw(""));
    lines.push(Line::styled(
        "Next: Tab to Inventory to add systems and identities.",
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
