//! Inventory: systems and identities, identity kinds and access links.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, List, ListItem, ListState, Paragraph, Wrap};

use crate::questionnaire::Questionnaire;
use crate::session::EntityId;
use crate::tui::app::{App, Hit, HitList, Pane, Workshop};
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
    let (sys_i, id_i) = (app.inventory.system, app.inventory.identity);

    let sys_focus = app.inventory.pane == Pane::Systems;
    let filtering = !app.inventory.filter.is_empty();
    let vis_sys = app.visible_systems();
    let sys_cursor = vis_sys
        .iter()
        .position(|&i| i == app.inventory.system)
        .unwrap_or(0);
    let items: Vec<ListItem> = vis_sys
        .iter()
        .map(|&i| {
            let s = &w.session.systems[i];
            let (done, n) = answered(&app.q, w, &EntityId::System(s.id.clone()));
            let m = marker(sys_focus && i == app.inventory.system);
            let progress = format!(" {done}/{n} answered");
            ListItem::new(Line::from(vec![
                Span::raw(m),
                Span::raw(truncate(
                    &s.name,
                    inner_w.saturating_sub(progress.chars().count()),
                )),
                Span::styled(progress, t.dim()),
            ]))
        })
        .collect();
    let empty = if filtering {
        "No system matches the filter (/ changes it)."
    } else {
        "No systems yet: press a to add one."
    };
    let filter_note = if filtering {
        format!(" matching \"{}\" ", truncate(&app.inventory.filter, 12))
    } else {
        String::new()
    };
    let sys_hit = draw_list(
        frame,
        app,
        HitList::Systems,
        left,
        items,
        &format!(" Systems ({}){filter_note}", vis_sys.len()),
        sys_focus,
        sys_cursor,
        empty,
    );

    let vis_ids = app.visible_identities();
    let id_cursor = vis_ids
        .iter()
        .position(|&i| i == app.inventory.identity)
        .unwrap_or(0);
    let items: Vec<ListItem> = vis_ids
        .iter()
        .map(|&i| {
            let id = &w.session.identities[i];
            // "Administrator (human, privileged)" reads as "Administrator" in the list.
            let kind = w
                .identity_kind(&app.q, &id.id)
                .map(|k| k.split(" (").next().unwrap_or_default().to_string())
                .unwrap_or_else(|| "kind?".into());
            let (done, n) = answered(&app.q, w, &EntityId::Identity(id.id.clone()));
            let m = marker(!sys_focus && i == app.inventory.identity);
            let progress = format!(" {done}/{n}");
            // The name gets what it needs (up to 3/5 of the row); the kind takes the rest.
            let room = inner_w.saturating_sub(progress.chars().count() + 3);
            let name_w = id.name.chars().count().min(room * 3 / 5).max(room / 3);
            let kind_w = room.saturating_sub(name_w.min(id.name.chars().count()));
            ListItem::new(Line::from(vec![
                Span::raw(m),
                Span::raw(truncate(&id.name, name_w)),
                Span::styled(format!(" · {}", truncate(&kind, kind_w)), t.dim()),
                Span::styled(progress, t.dim()),
            ]))
        })
        .collect();
    let empty = if filtering {
        "No identity matches the filter (/ changes it)."
    } else {
        "No identities yet: → then a to add people, admins, service accounts, API keys… (or i to import a CSV)"
    };
    let id_hit = draw_list(
        frame,
        app,
        HitList::Identities,
        right,
        items,
        &format!(" Identities ({}){filter_note}", vis_ids.len()),
        !sys_focus,
        id_cursor,
        empty,
    );

    // What the focused item is, and for identities, what it can reach.
    let lines = match app.inventory.pane {
        Pane::Systems => match w
            .session
            .systems
            .get(sys_i)
            .filter(|_| app.visible_systems().contains(&sys_i))
        {
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
                    Line::styled(
                        "Enter: answer its questions · e rename · d remove · → identities",
                        t.dim(),
                    ),
                ]
            }
            None => vec![Line::styled(
                "Systems are the applications, platforms and vendors in the boundary.",
                t.dim(),
            )],
        },
        Pane::Identities => match w
            .session
            .identities
            .get(id_i)
            .filter(|_| app.visible_identities().contains(&id_i))
        {
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
    app.hits.extend(sys_hit.into_iter().chain(id_hit));
}

/// Draws one of the two lists; returns where its rows are, for mouse clicks.
#[allow(clippy::too_many_arguments)]
fn draw_list(
    frame: &mut Frame,
    app: &App,
    list: HitList,
    area: Rect,
    items: Vec<ListItem>,
    title: &str,
    focused: bool,
    cursor: usize,
    empty: &str,
) -> Option<Hit> {
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
        return None;
    }
    let inner = block.inner(area);
    let n = items.len();
    let mut state = ListState::default().with_selected(focused.then_some(cursor));
    frame.render_stateful_widget(
        List::new(items).block(block).highlight_style(t.focus()),
        area,
        &mut state,
    );
    Some(Hit {
        list,
        area: inner,
        offset: state.offset(),
        heights: vec![1; n],
    })
}
