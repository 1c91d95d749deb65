//! "Changes since…": what changed from another session to the open workshop, scrollable.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::{Block, Paragraph, Wrap};

use crate::tui::app::App;
use crate::tui::changes::{Style, diff_lines};
use crate::tui::widgets::{clean, truncate, wrap_hanging};

pub fn draw(frame: &mut Frame, app: &mut App, area: Rect) {
    let t = app.theme;
    let Some(v) = &app.compare.view else {
        let msg =
            "Nothing compared yet: c on the Recommendation screen picks a session. Esc goes back.";
        frame.render_widget(Paragraph::new(msg).wrap(Wrap { trim: true }), area);
        return;
    };
    let width = (area.width.saturating_sub(2) as usize).max(10);
    let mut lines: Vec<Line> = Vec::new();
    if let Some(p) = &v.written {
        lines.push(Line::styled(
            format!("✓ Written: {}", clean(&p.display().to_string())),
            t.good(),
        ));
    }
    for l in diff_lines(&v.diff) {
        let style = match l.style {
            Style::Heading => t.bold(),
            Style::Plain | Style::Because => ratatui::style::Style::default(),
            Style::Dim => t.dim(),
            Style::Added => t.good(),
            Style::Removed => t.warn(),
            Style::Changed => t.accent(),
        };
        let indent = l.indent as usize * 2;
        // Continuation lines hang under the text, past a leading bullet or sign.
        let bullet = ["• ", "+ ", "- ", "~ "]
            .iter()
            .find(|b| l.text.starts_with(**b))
            .map_or(0, |b| b.chars().count());
        let first = width.saturating_sub(indent).max(10);
        let rest = first.saturating_sub(bullet).max(10);
        for (i, s) in wrap_hanging(&clean(&l.text), first, rest)
            .into_iter()
            .enumerate()
        {
            let lead = " ".repeat(if i == 0 { indent } else { indent + bullet });
            lines.push(Line::styled(format!("{lead}{s}"), style));
        }
    }
    let inner_h = area.height.saturating_sub(2);
    let total = lines.len() as u16;
    let max = total.saturating_sub(inner_h);
    let scroll = v.scroll.min(max);
    let old_name = v
        .old_path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let position = if max == 0 {
        String::new()
    } else {
        format!(
            " {}-{} of {} ",
            scroll + 1,
            (scroll + inner_h).min(total),
            total
        )
    };
    let block = Block::bordered()
        .title(format!(
            " Changes since {} ",
            truncate(&old_name, (area.width as usize).saturating_sub(20))
        ))
        .title_bottom(format!(
            "{position} ↑/↓ scroll · x write Markdown · Esc back "
        ))
        .border_style(t.border());
    frame.render_widget(Paragraph::new(lines).block(block).scroll((scroll, 0)), area);
    if let Some(v) = app.compare.view.as_mut() {
        v.scroll = scroll;
    }
}
