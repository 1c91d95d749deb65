//! Inventory: systems and identities, identity kinds and access links.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, List, ListItem, ListState, Paragraph, Wrap};

use crate::questionnaire::Questionnaire;
use crate::session::EntityId;
use crate::tui::app::{App, Pane, Workshop};
use crate::tui::widgets::{clean, marker, truncate};

/// Answered and visible questions of one entity.
pub fn answered(q: &Questionnaire, w: &Workshop, e: &EntityId) -> (usize, usize) {
    let shown = w.shown(e);
    let done = shown
        .iter()
        .filter(|&&qi| w.answer(e, &q.questions[qi].id).is_some())
        .count();
    (done, shown.len())
}

pub fn draw(frame: &mut Frame, app: &mut App, area: Rect) {
    let t = app.theme;
    let Some(w) = &app.work else { return };
    let [lists, detail] = Layout::vertical([Constraint::Min(5), Constraint::Length(4)]).areas(area);
    let [left, right] =
        Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(lists);
    let inner_w = left.width.saturating_sub(4) as usize;

    let sys_focus = app.inventory.pane == Pane::Systems;
    let items: Vec<ListItem> = w
        .session
        .systems
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let (done, n) = answered(&app.q, w, &EntityId::System(s.id.clone()));
            let m = marker(sys_focus && i == app.inventory.system);
            ListItem::new(Line::from(vec![
                Span::raw(m),
                Span::raw(truncate(&s.name, inner_w.saturating_sub(10))),
                Span::styled(format!(" {done}/{n}"), t.dim()),
            ]))
        })
        .collect();
    let empty = if items.is_empty() {
        "No systems yet: press a to add one."
    } else {
        ""
    };
    draw_list(
        frame,
        app,
        left,
        items,
        " Systems ",
        sys_focus,
        app.inventory.system,
        empty,
    );

    let kinds: Vec<String> = w
        .session
        .identities
        .iter()
        .map(|i| {
            w.identity_kind(&app.q, &i.id)
                .unwrap_or_else(|| "kind?".into())
        })
        .collect();
    let items: Vec<ListItem> = w
        .session
        .identities
        .iter()
        .enumerate()
        .map(|(i, id)| {
            let m = marker(!sys_focus && i == app.inventory.identity);
            let name_w = inner_w.saturating_sub(2) / 2;
            ListItem::new(Line::from(vec![
                Span::raw(m),
                Span::raw(truncate(&id.name, name_w)),
                Span::styled(
                    format!(
                        " · {}",
                        truncate(&kinds[i], inner_w.saturating_sub(name_w + 5))
                    ),
                    t.dim(),
                ),
            ]))
        })
        .collect();
    let empty = if items.is_empty() {
        "No identities yet: → then a to add people, admins, service accounts, API keys…"
    } else {
        ""
    };
    draw_list(
        frame,
        app,
        right,
        items,
        " Identities ",
        !sys_focus,
        app.inventory.identity,
        empty,
    );

    // What the focused item is, and for identities, what it can reach.
    let lines = match app.inventory.pane {
        Pane::Systems => match w.session.systems.get(app.inventory.system) {
            Some(s) => {
                let users: Vec<String> = w
                    .session
                    .identities
                    .iter()
                    .filter(|i| i.systems.contains(&s.id))
                    .map(|i| clean(&i.name))
                    .collect();
                vec![
                    Line::from(vec![
                        Span::styled("System: ", t.bold()),
                        Span::raw(clean(&s.name)),
                    ]),
                    Line::from(vec![
                        Span::styled("Accessed by: ", t.bold()),
                        Span::raw(if users.is_empty() {
                            "no identity linked yet".into()
                        } else {
                            users.join(", ")
                        }),
                    ]),
                    Line::styled("Enter: answer its questions · e rename · d remove", t.dim()),
                ]
            }
            None => vec![Line::styled(
                "Systems are the applications, platforms and vendors in the boundary.",
                t.dim(),
            )],
        },
        Pane::Identities => match w.session.identities.get(app.inventory.identity) {
            Some(i) => {
                let names: Vec<String> = i
                    .systems
                    .iter()
                    .map(|s| clean(&w.session.entity_name(&EntityId::System(s.clone()))))
                    .collect();
                vec![
                    Line::from(vec![
                        Span::styled("Kind: ", t.bold()),
                        Span::raw(
                            w.identity_kind(&app.q, &i.id)
                                .unwrap_or_else(|| "not set (press t)".into()),
                        ),
                    ]),
                    Line::from(vec![
                        Span::styled("Can access: ", t.bold()),
                        Span::raw(if names.is_empty() {
                            "no system linked (press s)".into()
                        } else {
                            names.join(", ")
                        }),
                    ]),
                    Line::styled(
                        "t kind · s systems · Enter: its questions · e rename · d remove",
                        t.dim(),
                    ),
                ]
            }
            None => vec![Line::styled(
                "Identities: people, admins, service accounts, API keys, tokens, AI agents.",
                t.dim(),
            )],
        },
    };
    frame.render_widget(
        Paragraph::new(lines)
            .block(Block::new())
            .wrap(Wrap { trim: true }),
        detail,
    );
}

#[allow(clippy::too_many_arguments)]
fn draw_list(
    frame: &mut Frame,
    app: &App,
    area: Rect,
    items: Vec<ListItem>,
    title: &str,
    focused: bool,
    cursor: usize,
    empty: &str,
) {
    let t = app.theme;
    let title = if focused {
        format!("[{}]", title.trim())
    } else {
        title.to_string()
    };
    let block = Block::bordered()
        .title(Span::styled(
            title,
            if focused { t.bold() } else { t.dim() },
        ))
        .border_style(if focused { t.accent() } else { t.border() });
    if items.is_empty() {
        frame.render_widget(
            Paragraph::new(empty.to_string())
                .style(t.dim())
                .block(block)
                .wrap(Wrap { trim: true }),
            area,
        );
        return;
    }
    let mut state = ListState::default().with_selected(focused.then_some(cursor));
    frame.render_stateful_widget(
        List::new(items).block(block).highlight_style(t.focus()),
        area,
        &mut state,
    );
}
