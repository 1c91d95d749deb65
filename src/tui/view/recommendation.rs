//! The full recommendation: summary, every decision, and one decision's rationale drill-down.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, List, ListItem, ListState, Paragraph, Wrap};

use crate::tui::app::{App, LineStyle, decision_lines};
use crate::tui::widgets::{clean, marker, truncate, wrap};

pub fn draw(frame: &mut Frame, app: &mut App, area: Rect) {
    let t = app.theme;
    let Some(w) = &app.work else { return };
    let r = &w.rec;
    let cats: Vec<&str> = r.soc2_categories.iter().map(|c| c.label()).collect();
    let mut summary = vec![
        Line::from(vec![
            Span::styled("Verdict: ", t.dim()),
            Span::styled(r.verdict.label(), t.bold()),
            Span::styled(
                if r.provisional {
                    format!("  ({} decision(s) provisional)", r.provisional_count())
                } else {
                    "  (settled)".into()
                },
                if r.provisional { t.warn() } else { t.good() },
            ),
        ]),
        Line::from(vec![
            Span::styled("SOC 2 categories: ", t.dim()),
            Span::raw(if cats.is_empty() {
                "none".to_string()
            } else {
                cats.join(", ")
            }),
        ]),
        Line::from(vec![
            Span::styled("Type: ", t.dim()),
            Span::raw(r.report_type.map_or("not yet known", |x| x.label())),
            Span::raw(
                r.observation_window
                    .as_deref()
                    .map(|w| format!(" · {}", clean(w)))
                    .unwrap_or_default(),
            ),
        ]),
    ];
    if let Some(sox) = &r.sox_note {
        summary.push(Line::from(vec![
            Span::styled("SOX: ", t.dim()),
            Span::raw(clean(sox)),
        ]));
    }
    let summary_h = summary.len() as u16;
    let [top, list] =
        Layout::vertical([Constraint::Length(summary_h), Constraint::Min(3)]).areas(area);
    frame.render_widget(Paragraph::new(summary).wrap(Wrap { trim: true }), top);

    let decisions = app.decisions();
    let cursor = app.rec.cursor.min(decisions.len().saturating_sub(1));
    let width = list.width.saturating_sub(4) as usize;
    let title_w = (width * 2 / 5).clamp(16, 40);
    let items: Vec<ListItem> = decisions
        .iter()
        .enumerate()
        .map(|(i, d)| {
            let flag = if d.provisional { "?" } else { "✓" };
            ListItem::new(Line::from(vec![
                Span::raw(marker(i == cursor)),
                Span::styled(
                    format!("{flag} "),
                    if d.provisional { t.warn() } else { t.good() },
                ),
                Span::styled(
                    format!("{:<title_w$} ", truncate(&d.title, title_w)),
                    t.bold(),
                ),
                Span::raw(truncate(&d.outcome, width.saturating_sub(title_w + 5))),
            ]))
        })
        .collect();
    let title = if app.rec.filter.is_empty() {
        format!(" Decisions ({}) · ? = provisional ", decisions.len())
    } else {
        format!(" Decisions matching \"{}\" ", truncate(&app.rec.filter, 20))
    };
    let block = Block::bordered().title(title).border_style(t.border());
    let mut state = ListState::default().with_selected(Some(cursor));
    frame.render_stateful_widget(
        List::new(items).block(block).highlight_style(t.focus()),
        list,
        &mut state,
    );
}

pub fn draw_decision(frame: &mut Frame, app: &mut App, id: &str, area: Rect) {
    let t = app.theme;
    let Some(d) = app.decision(id) else {
        let msg = "This decision no longer applies after the latest answers. Esc goes back.";
        frame.render_widget(Paragraph::new(msg).wrap(Wrap { trim: true }), area);
        return;
    };
    let lines = decision_lines(d);
    let cursor = app.decision_cursor;
    let items: Vec<ListItem> = lines
        .iter()
        .enumerate()
        .map(|(i, l)| {
            let focused = i == cursor && l.jump.is_some();
            let style = match l.style {
                LineStyle::Heading => t.bold(),
                LineStyle::Rule => t.accent(),
                LineStyle::Trigger => ratatui::style::Style::default(),
                LineStyle::Open => t.warn(),
                LineStyle::Plain => t.dim(),
            };
            let indent = " ".repeat(l.indent as usize * 2);
            let jump = if l.jump.is_some() { "↵ " } else { "" };
            let prefix = format!("{}{indent}{jump}", marker(focused));
            let hang = prefix.chars().count();
            // Long rationales wrap inside their list item, under their own text.
            let width = (area.width.saturating_sub(2) as usize)
                .saturating_sub(hang)
                .max(10);
            let wrapped: Vec<Line> = wrap(&clean(&l.text), width)
                .into_iter()
                .enumerate()
                .map(|(i, s)| {
                    let lead = if i == 0 {
                        prefix.clone()
                    } else {
                        " ".repeat(hang)
                    };
                    Line::styled(format!("{lead}{s}"), style)
                })
                .collect();
            ListItem::new(wrapped)
        })
        .collect();
    let block = Block::bordered()
        .title(format!(" Why: {} ", truncate(&d.title, 40)))
        .title_bottom(" Enter on ↵ lines jumps to that question · Esc back ")
        .border_style(t.border());
    let selected = lines
        .get(cursor)
        .and_then(|l| l.jump.as_ref())
        .map(|_| cursor);
    let mut state = ListState::default().with_selected(selected);
    frame.render_stateful_widget(
        List::new(items).block(block).highlight_style(t.focus()),
        area,
        &mut state,
    );
}
