//! Review: every visible question and its answer in one list.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, List, ListItem, ListState};

use crate::tui::app::{App, Hit, HitList};
use crate::tui::widgets::{marker, truncate};

pub fn draw(frame: &mut Frame, app: &mut App, area: Rect) {
    let t = app.theme;
    let rows = app.review_rows();
    let cursor = app.review.cursor.min(rows.len().saturating_sub(1));
    let width = area.width.saturating_sub(4) as usize;
    let sec_w = (width / 6).clamp(10, 20);
    let ans_w = (width / 4).clamp(10, 30);
    let q_w = width.saturating_sub(sec_w + ans_w + 6);
    let items: Vec<ListItem> = rows
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let answer = match &r.answer {
                None => Span::styled(format!("{:<ans_w$}", "—"), t.warn()),
                Some(a) if a == "unknown" => {
                    Span::styled(format!("{:<ans_w$}", "unknown"), t.warn())
                }
                Some(a) => Span::styled(format!("{:<ans_w$}", truncate(a, ans_w)), t.good()),
            };
            ListItem::new(Line::from(vec![
                Span::raw(marker(i == cursor)),
                Span::styled(format!("{:<sec_w$} ", truncate(&r.section, sec_w)), t.dim()),
                Span::raw(format!("{:<q_w$} ", truncate(&r.question, q_w))),
                answer,
                Span::raw(if r.has_note { " ✎" } else { "" }),
            ]))
        })
        .collect();
    let mut title = format!(" All answers ({}) ", rows.len());
    if app.review.unanswered_only {
        title = format!(" Unanswered or unknown ({}) ", rows.len());
    }
    if !app.review.filter.is_empty() {
        title.push_str(&format!(
            "matching \"{}\" ",
            truncate(&app.review.filter, 20)
        ));
    }
    let block = Block::bordered()
        .title(title)
        .title_bottom(" ✎ = has a note ")
        .border_style(t.border());
    if rows.is_empty() {
        let msg = if app.review.unanswered_only {
            "Everything visible is answered. f shows all."
        } else {
            "Nothing matches."
        };
        frame.render_widget(ratatui::widgets::Paragraph::new(msg).block(block), area);
        return;
    }
    let inner = block.inner(area);
    let mut state = ListState::default().with_selected(Some(cursor));
    frame.render_stateful_widget(
        List::new(items).block(block).highlight_style(t.focus()),
        area,
        &mut state,
    );
    app.hits.push(Hit {
        list: HitList::Review,
        area: inner,
        offset: state.offset(),
        heights: vec![1; rows.len()],
    });
}
