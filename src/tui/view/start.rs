//! Start: new workshop, recent sessions, open a file.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, List, ListItem, ListState, Paragraph};

use crate::tui::app::{App, Hit, HitList, StartRow};
use crate::tui::widgets::{clean, marker, truncate};

pub fn draw(frame: &mut Frame, app: &mut App, area: Rect) {
    let t = app.theme;
    let [intro, list] = Layout::vertical([Constraint::Length(3), Constraint::Min(3)]).areas(area);
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
    let cursor = app.start.cursor.min(rows.len().saturating_sub(1));
    let w = list.width.saturating_sub(2) as usize;
    let org_w = (w / 3).clamp(12, 30);
    let items: Vec<ListItem> = rows
        .iter()
        .enumerate()
        .map(|(i, row)| {
            let m = marker(i == cursor);
            let line = match row {
                StartRow::New => {
                    Line::from(vec![Span::raw(m), Span::styled("+ New workshop", t.bold())])
                }
                StartRow::OpenFile => {
                    Line::from(vec![Span::raw(m), Span::raw("  Open a session file…")])
                }
                StartRow::Session(si) => {
                    let Some(s) = app.start.sessions.get(*si) else {
                        return ListItem::new("");
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
                                    "  (unreadable) {name}: {}",
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
                                    format!("  {:<org_w$}", truncate(org, org_w)),
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
            ListItem::new(line)
        })
        .collect();
    let title = if app.start.filter.is_empty() {
        format!(" Workshops ({} saved) ", app.start.sessions.len())
    } else {
        format!(
            " Workshops matching \"{}\" ",
            truncate(&app.start.filter, 20)
        )
    };
    let block = Block::bordered().title(title).border_style(t.border());
    let inner = block.inner(list);
    let mut state = ListState::default().with_selected(Some(cursor));
    frame.render_stateful_widget(
        List::new(items).block(block).highlight_style(t.focus()),
        list,
        &mut state,
    );
    app.hits.push(Hit {
        list: HitList::Start,
        area: inner,
        offset: state.offset(),
        heights: vec![1; rows.len()],
    });
}
