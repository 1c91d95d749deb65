//! The `?` overlay, generated from the keymap table (the same one the footer uses).

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Wrap};

use crate::tui::app::App;
use crate::tui::keymap;
use crate::tui::widgets::{centered, wrap};

pub fn draw(frame: &mut Frame, app: &App, scroll: u16, area: Rect) {
    let t = app.theme;
    let ctx = app.screen().ctx();
    let mut lines = vec![
        Line::styled(format!("Keys on this screen ({})", ctx.label()), t.bold()),
        Line::raw(""),
    ];
    let box_ = centered(
        area,
        area.width.saturating_sub(4).min(90),
        area.height.saturating_sub(2),
    );
    let desc_w = (box_.width as usize).saturating_sub(12).max(10);
    for b in keymap::bindings_for(ctx, app.work.is_some()) {
        for (i, part) in wrap(b.desc, desc_w).into_iter().enumerate() {
            let key = if i == 0 {
                format!("{:>8}  ", b.label)
            } else {
                " ".repeat(10)
            };
            lines.push(Line::from(vec![
                Span::styled(key, t.key()),
                Span::raw(part),
            ]));
        }
    }
    lines.push(Line::raw(""));
    lines.push(Line::styled(
        "In text boxes: type freely; Enter or Esc keeps the text. Notes: Esc or Ctrl-S.",
        t.dim(),
    ));
    lines.push(Line::styled(
        "Everything is saved after every change.",
        t.dim(),
    ));
    frame.render_widget(Clear, box_);
    let block = Block::bordered()
        .title(" Help ")
        .title_bottom(" ↑/↓ scroll · Esc or ? close ")
        .border_style(t.accent());
    frame.render_widget(
        Paragraph::new(lines)
            .block(block)
            .wrap(Wrap { trim: false })
            .scroll((scroll, 0)),
        box_,
    );
}
