//! Dialogs over the screen: text editor, confirmation, identity kind, access links.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, List, ListItem, ListState, Paragraph, Wrap};

use crate::session::{EntityId, Value};
use crate::tui::app::{App, Modal};
use crate::tui::widgets::{centered, clean, marker, truncate};

pub fn draw(frame: &mut Frame, app: &App, area: Rect) {
    let t = app.theme;
    match &app.modal {
        Some(Modal::Editor(ed)) => {
            let h = if ed.multiline {
                area.height.saturating_sub(4).clamp(5, 14)
            } else {
                3
            };
            let w = area.width.saturating_sub(6).min(90);
            let box_ = centered(area, w, h + 1);
            frame.render_widget(Clear, box_);
            let [edit, msg] =
                Layout::vertical([Constraint::Length(h), Constraint::Length(1)]).areas(box_);
            let mut ta = ed.area.clone();
            ta.set_block(
                Block::bordered()
                    .title(format!(" {} ", truncate(&ed.title, w as usize - 4)))
                    .border_style(t.accent()),
            );
            ta.set_cursor_line_style(ratatui::style::Style::default());
            ta.set_cursor_style(t.focus());
            frame.render_widget(&ta, edit);
            let line = match &ed.error {
                Some(e) => Line::styled(format!(" ! {}", clean(e)), t.error()),
                None => Line::styled(
                    if ed.multiline {
                        " Esc or Ctrl-S: keep the note · Enter: new line"
                    } else {
                        " Enter: keep · Esc: keep and stay"
                    },
                    t.dim(),
                ),
            };
            frame.render_widget(
                Paragraph::new(line).style(ratatui::style::Style::default()),
                msg,
            );
        }
        Some(Modal::Confirm { message, .. }) => {
            let box_ = centered(area, area.width.saturating_sub(10).min(70), 6);
            frame.render_widget(Clear, box_);
            let text = vec![
                Line::raw(clean(message)),
                Line::raw(""),
                Line::from(vec![
                    Span::styled("y", t.key()),
                    Span::raw(" remove   "),
                    Span::styled("n/Esc", t.key()),
                    Span::raw(" keep"),
                ]),
            ];
            let block = Block::bordered().title(" Remove? ").border_style(t.error());
            frame.render_widget(
                Paragraph::new(text).block(block).wrap(Wrap { trim: true }),
                box_,
            );
        }
        Some(Modal::Kind { identity, cursor }) => {
            let Some(kq) = app.q.identity_kind_question() else {
                return;
            };
            let current = app
                .work
                .as_ref()
                .and_then(|w| w.answer(&EntityId::Identity(identity.clone()), &kq.id));
            let current = match current.map(|a| &a.value) {
                Some(Value::Text(s)) => Some(s.clone()),
                _ => None,
            };
            let items: Vec<ListItem> = kq
                .choices
                .iter()
                .enumerate()
                .map(|(i, c)| {
                    let mark = if current.as_deref() == Some(c.id.as_str()) {
                        "(•)"
                    } else {
                        "( )"
                    };
                    let num = if i < 9 {
                        format!("{} ", i + 1)
                    } else {
                        "  ".into()
                    };
                    ListItem::new(format!(
                        "{}{num}{mark} {}",
                        marker(i == *cursor),
                        clean(&c.label)
                    ))
                })
                .collect();
            let name = app
                .work
                .as_ref()
                .map(|w| w.session.entity_name(&EntityId::Identity(identity.clone())))
                .unwrap_or_default();
            picker(
                frame,
                app,
                area,
                format!(" Kind of {} ", truncate(&name, 30)),
                items,
                *cursor,
                " Enter/1-9 choose · Esc close ",
            );
        }
        Some(Modal::Links { identity, cursor }) => {
            let Some(w) = &app.work else { return };
            let Some(ident) = w.session.identity(identity) else {
                return;
            };
            let items: Vec<ListItem> = w
                .session
                .systems
                .iter()
                .enumerate()
                .map(|(i, s)| {
                    let mark = if ident.systems.contains(&s.id) {
                        "[x]"
                    } else {
                        "[ ]"
                    };
                    ListItem::new(format!("{}{mark} {}", marker(i == *cursor), clean(&s.name)))
                })
                .collect();
            let title = format!(" Systems {} can access ", truncate(&ident.name, 30));
            picker(
                frame,
                app,
                area,
                title,
                items,
                *cursor,
                " Space/Enter tick · Esc done ",
            );
        }
        _ => {}
    }
}

fn picker(
    frame: &mut Frame,
    app: &App,
    area: Rect,
    title: String,
    items: Vec<ListItem>,
    cursor: usize,
    keys: &str,
) {
    let t = app.theme;
    let h = (items.len() as u16 + 2).min(area.height.saturating_sub(2));
    let box_ = centered(area, area.width.saturating_sub(10).min(60), h);
    frame.render_widget(Clear, box_);
    let block = Block::bordered()
        .title(title)
        .title_bottom(keys.to_string())
        .border_style(t.accent());
    let mut state = ListState::default().with_selected(Some(cursor));
    frame.render_stateful_widget(
        List::new(items).block(block).highlight_style(t.focus()),
        box_,
        &mut state,
    );
}
