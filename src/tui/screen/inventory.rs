//! Inventory: systems and identities, identity kinds and access links.

use chrono::Utc;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Wrap};

use crate::questionnaire::Questionnaire;
use crate::session::EntityId;
use std::cell::RefCell;
use std::rc::Rc;

use crate::text::{truncate_middle, width};
use crate::tui::action::Action;
use crate::tui::app::{App, HitList, Modal, Workshop};
use crate::tui::dialog::editor::{self, EditTarget};
use crate::tui::dialog::{Confirm, LinksPicker, Pending, pickers};
use crate::tui::keymap::{self, Cmd, Ctx};
use crate::tui::list::{self, Look, Window};
use crate::tui::screen::{jump_to_entity, refuse_read_only};
use crate::tui::update::Effect;
use crate::tui::widgets::{clean, marker, truncate};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum Pane {
    #[default]
    Systems,
    Identities,
}

#[derive(Default)]
pub(crate) struct InventoryState {
    pub(crate) pane: Pane,
    /// Index into the session's systems (not into the filtered list).
    pub(crate) system: usize,
    /// Index into the session's identities (not into the filtered list).
    pub(crate) identity: usize,
    /// `/` filter on both lists, by name (and kind, for identities).
    pub(crate) filter: String,
    pub(crate) systems_list: Window,
    pub(crate) identities_list: Window,
    /// What the filter lets through, kept until the session or the filter changes: at 10,000
    /// identities filtering on every frame and key was most of the screen's time.
    shown: RefCell<Option<Shown>>,
}

/// The systems and identities listed, as session indexes, and what they were worked out for.
struct Shown {
    revision: u64,
    filter: String,
    systems: Rc<[usize]>,
    identities: Rc<[usize]>,
}

impl App {
    /// Systems shown in the inventory (the filter applied), as session indexes.
    pub(crate) fn visible_systems(&self) -> Rc<[usize]> {
        self.shown(|s| s.systems.clone())
    }

    /// Identities shown in the inventory (the filter applied), as session indexes.
    pub(crate) fn visible_identities(&self) -> Rc<[usize]> {
        self.shown(|s| s.identities.clone())
    }

    fn shown(&self, part: impl Fn(&Shown) -> Rc<[usize]>) -> Rc<[usize]> {
        let Some(w) = &self.work else {
            return Rc::from([]);
        };
        let mut cache = self.inventory.shown.borrow_mut();
        let fresh = cache
            .as_ref()
            .is_some_and(|s| s.revision == w.revision && s.filter == self.inventory.filter);
        if !fresh {
            *cache = Some(self.filtered(w));
        }
        cache.as_ref().map_or_else(|| Rc::from([]), part)
    }

    fn filtered(&self, w: &Workshop) -> Shown {
        #[cfg(test)]
        crate::tui::list::counted::add(&crate::tui::list::counted::EXAMINED);
        let needle = self.inventory.filter.to_lowercase();
        let systems = w
            .session
            .systems
            .iter()
            .enumerate()
            .filter(|(_, s)| needle.is_empty() || s.name.to_lowercase().contains(&needle))
            .map(|(i, _)| i)
            .collect();
        let identities = w
            .session
            .identities
            .iter()
            .enumerate()
            .filter(|(_, i)| {
                needle.is_empty()
                    || i.name.to_lowercase().contains(&needle)
                    || w.identity_kind(&self.q, &i.id)
                        .is_some_and(|k| k.to_lowercase().contains(&needle))
            })
            .map(|(i, _)| i)
            .collect();
        Shown {
            revision: w.revision,
            filter: self.inventory.filter.clone(),
            systems,
            identities,
        }
    }
}

/// Answered and visible questions of one entity.
pub(crate) fn answered(q: &Questionnaire, w: &Workshop, e: &EntityId) -> (usize, usize) {
    let shown = w.shown(e);
    let done = shown
        .iter()
        .filter(|&&qi| w.answer(e, &q.questions[qi].id).is_some())
        .count();
    (done, shown.len())
}

pub(crate) fn set_filter(app: &mut App, text: String) {
    app.inventory.filter = text;
    let (sys, ids) = (app.visible_systems(), app.visible_identities());
    if !sys.contains(&app.inventory.system) {
        app.inventory.system = sys.first().copied().unwrap_or(0);
    }
    if !ids.contains(&app.inventory.identity) {
        app.inventory.identity = ids.first().copied().unwrap_or(0);
    }
}

pub(crate) fn selected_entity(app: &App) -> Option<EntityId> {
    let w = app.work.as_ref()?;
    let visible = match app.inventory.pane {
        Pane::Systems => app.visible_systems().contains(&app.inventory.system),
        Pane::Identities => app.visible_identities().contains(&app.inventory.identity),
    };
    if !visible {
        return None;
    }
    match app.inventory.pane {
        Pane::Systems => w
            .session
            .systems
            .get(app.inventory.system)
            .map(|s| EntityId::System(s.id.clone())),
        Pane::Identities => w
            .session
            .identities
            .get(app.inventory.identity)
            .map(|i| EntityId::Identity(i.id.clone())),
    }
}

/// Moves a session index within the visible (filtered) rows of a list.
fn move_visible(current: &mut usize, window: &mut Window, visible: &[usize], cmd: Cmd) {
    if visible.is_empty() {
        return;
    }
    window.cursor = visible.iter().position(|&i| i >= *current).unwrap_or(0);
    window.select(cmd, visible.len());
    *current = visible[window.cursor];
}

pub(crate) fn update(app: &mut App, action: Action) -> Vec<Effect> {
    let Action::Cmd(cmd) = action else {
        return Vec::new();
    };
    let Some(w) = &app.work else {
        return Vec::new();
    };
    let n_sys = w.session.systems.len();
    let edits = matches!(
        cmd,
        Cmd::Add | Cmd::Rename | Cmd::Remove | Cmd::Kind | Cmd::Links | Cmd::Import
    );
    if edits && w.read_only() {
        return refuse_read_only(app);
    }
    if list::is_move(cmd) {
        match app.inventory.pane {
            Pane::Systems => {
                let v = app.visible_systems();
                let s = &mut app.inventory;
                move_visible(&mut s.system, &mut s.systems_list, &v, cmd);
            }
            Pane::Identities => {
                let v = app.visible_identities();
                let s = &mut app.inventory;
                move_visible(&mut s.identity, &mut s.identities_list, &v, cmd);
            }
        }
        return Vec::new();
    }
    match cmd {
        Cmd::Left => {
            app.inventory.pane = Pane::Systems;
            Vec::new()
        }
        Cmd::Right => {
            app.inventory.pane = Pane::Identities;
            Vec::new()
        }
        Cmd::Filter => {
            let f = app.inventory.filter.clone();
            editor::open(
                app,
                EditTarget::Filter(Ctx::Inventory),
                "Filter systems and identities by name or kind",
                &f,
                false,
            );
            Vec::new()
        }
        Cmd::Import => {
            editor::open(
                app,
                EditTarget::ImportPath,
                "Import identities from a CSV file: path",
                "",
                false,
            );
            Vec::new()
        }
        Cmd::Add => {
            let (target, title) = match app.inventory.pane {
                Pane::Systems => (
                    EditTarget::AddSystem,
                    "New system: name (e.g. Payroll engine, AWS production)",
                ),
                Pane::Identities => (
                    EditTarget::AddIdentity,
                    "New identity: name (e.g. deploy-bot, DBA team)",
                ),
            };
            editor::open(app, target, title, "", false);
            Vec::new()
        }
        Cmd::Rename => {
            let Some(e) = selected_entity(app) else {
                return nothing_selected(app);
            };
            let name = w.session.entity_name(&e);
            editor::open(app, EditTarget::Rename(e), "Rename", &name, false);
            Vec::new()
        }
        Cmd::Remove => {
            let Some(e) = selected_entity(app) else {
                return nothing_selected(app);
            };
            let name = w.session.entity_name(&e);
            let answers = w.session.answers(&e).map_or(0, |a| a.len());
            let (message, on_yes) = match e {
                EntityId::System(id) => (
                    format!(
                        "Remove system \"{name}\" and its {answers} answer(s)? Identities lose their access link to it."
                    ),
                    Pending::RemoveSystem(id),
                ),
                EntityId::Identity(id) => (
                    format!("Remove identity \"{name}\" and its {answers} answer(s)?"),
                    Pending::RemoveIdentity(id),
                ),
                EntityId::Engagement => return Vec::new(),
            };
            app.modal = Some(Modal::Confirm(Confirm { message, on_yes }));
            Vec::new()
        }
        Cmd::Kind | Cmd::Links if app.inventory.pane == Pane::Systems => {
            app.info("Select an identity first (→ focuses the identities list).");
            Vec::new()
        }
        Cmd::Kind => open_kind(app),
        Cmd::Links => {
            let Some(EntityId::Identity(identity)) = selected_entity(app) else {
                return nothing_selected(app);
            };
            if n_sys == 0 {
                app.info(
                    "Add a system first: identities are linked to the systems they can access.",
                );
                return Vec::new();
            }
            app.modal = Some(Modal::Links(LinksPicker::new(identity)));
            Vec::new()
        }
        Cmd::Select => {
            let Some(e) = selected_entity(app) else {
                return nothing_selected(app);
            };
            jump_to_entity(app, &e);
            Vec::new()
        }
        _ => Vec::new(),
    }
}

fn nothing_selected(app: &mut App) -> Vec<Effect> {
    app.info("Nothing selected: press a to add one.");
    Vec::new()
}

pub(crate) fn open_kind(app: &mut App) -> Vec<Effect> {
    let Some(EntityId::Identity(identity)) = selected_entity(app) else {
        return nothing_selected(app);
    };
    pickers::open_kind(app, identity);
    Vec::new()
}

/// A system or identity named in the "new" box: added (an identity's kind is asked next).
pub(crate) fn add(app: &mut App, is_system: bool, line: String, quitting: bool) -> Vec<Effect> {
    if line.is_empty() {
        if !quitting {
            app.info("Nothing added (no name given).");
        }
        return Vec::new();
    }
    let Some(w) = app.work.as_mut() else {
        return Vec::new();
    };
    let now = Utc::now();
    if is_system {
        w.session.add_system(&line, now);
        app.inventory.system = w.session.systems.len() - 1;
        app.inventory.pane = Pane::Systems;
    } else {
        w.session.add_identity(&line, now);
        app.inventory.identity = w.session.identities.len() - 1;
        app.inventory.pane = Pane::Identities;
    }
    w.refresh(&app.q);
    app.ensure_question();
    if is_system {
        app.info(format!("Added system {line}."));
    } else if !quitting && app.q.identity_kind_question().is_some() {
        // The kind decides which questions apply, so ask for it right away.
        open_kind(app);
    }
    vec![Effect::Save]
}

/// The "rename" box kept.
pub(crate) fn rename(app: &mut App, e: &EntityId, line: String) -> Vec<Effect> {
    let Some(w) = app.work.as_mut() else {
        return Vec::new();
    };
    if line.is_empty() {
        app.info("Name unchanged (a name cannot be empty).");
        return Vec::new();
    }
    w.session.rename_in(&app.q, e, &line, Utc::now());
    w.refresh(&app.q);
    vec![Effect::Save]
}

pub(crate) fn draw(frame: &mut Frame, app: &mut App, area: Rect) {
    let t = app.theme;
    let Some(w) = &app.work else { return };
    let [lists, detail] = Layout::vertical([Constraint::Min(5), Constraint::Length(4)]).areas(area);
    let sys_focus = app.inventory.pane == Pane::Systems;
    // The list being worked in gets three fifths of the width: at 80 columns its names read
    // whole (Relaymint QA: "SRE admi…WS SSO)").
    let (l, r) = if sys_focus { (60, 40) } else { (40, 60) };
    let [left, right] =
        Layout::horizontal([Constraint::Percentage(l), Constraint::Percentage(r)]).areas(lists);
    let (sys_w, id_w) = (
        left.width.saturating_sub(4) as usize,
        right.width.saturating_sub(4) as usize,
    );
    let (sys_i, id_i) = (app.inventory.system, app.inventory.identity);

    let filtering = !app.inventory.filter.is_empty();
    let vis_sys = app.visible_systems();
    let vis_ids = app.visible_identities();
    let filter_note = if filtering {
        format!(" matching \"{}\" ", truncate(&app.inventory.filter, 12))
    } else {
        String::new()
    };
    let q = &app.q;
    let inv = &mut app.inventory;
    inv.systems_list.cursor = vis_sys.iter().position(|&i| i == sys_i).unwrap_or(0);
    inv.identities_list.cursor = vis_ids.iter().position(|&i| i == id_i).unwrap_or(0);
    let empty = if filtering {
        "No system matches the filter (/ changes it)."
    } else {
        "No systems yet: press a to add one."
    };
    let sys_hit = draw_list(
        frame,
        &t,
        HitList::Systems,
        left,
        &mut inv.systems_list,
        vis_sys.len(),
        &format!(" Systems ({}){filter_note}", vis_sys.len()),
        sys_focus,
        empty,
        |k| {
            let i = vis_sys[k];
            let s = &w.session.systems[i];
            let (done, n) = answered(q, w, &EntityId::System(s.id.clone()));
            let m = marker(sys_focus && i == sys_i);
            // The name first: "answered" only where the whole name leaves room for it.
            let name_len = width(&clean(&s.name));
            let mut progress = format!(" {done}/{n} answered");
            if name_len + width(&progress) > sys_w {
                progress = format!(" {done}/{n}");
            }
            // In the list not being worked on the name is what is read: it goes whole before
            // the count (QA: names still cut in the unfocused list).
            if !sys_focus && name_len + width(&progress) > sys_w {
                progress.clear();
            }
            Line::from(vec![
                Span::raw(m),
                Span::raw(truncate_middle(
                    &s.name,
                    sys_w.saturating_sub(width(&progress)),
                )),
                Span::styled(progress, t.dim()),
            ])
        },
    );
    let empty = if filtering {
        "No identity matches the filter (/ changes it)."
    } else {
        "No identities yet: → then a to add people, admins, service accounts, API keys… (or i to import a CSV)"
    };
    let id_hit = draw_list(
        frame,
        &t,
        HitList::Identities,
        right,
        &mut inv.identities_list,
        vis_ids.len(),
        &format!(" Identities ({}){filter_note}", vis_ids.len()),
        !sys_focus,
        empty,
        |k| {
            let i = vis_ids[k];
            let id = &w.session.identities[i];
            // "Administrator (human, privileged)" reads as "Administrator" in the list.
            let kind = w
                .identity_kind(q, &id.id)
                .map(|k| k.split(" (").next().unwrap_or_default().to_string())
                .unwrap_or_else(|| "kind?".into());
            let (done, n) = answered(q, w, &EntityId::Identity(id.id.clone()));
            let m = marker(!sys_focus && i == id_i);
            let mut progress = format!(" {done}/{n}");
            if sys_focus && width(&clean(&id.name)) + width(&progress) > id_w {
                progress.clear();
            }
            // The name gets what it needs; the kind what is left, left out when fewer than
            // four of its letters would show (it is in the line below the lists too).
            let room = id_w.saturating_sub(width(&progress));
            let name_w = width(&clean(&id.name)).min(room);
            let kind_w = room.saturating_sub(name_w + 3);
            let mut spans = vec![Span::raw(m), Span::raw(truncate_middle(&id.name, name_w))];
            if kind_w >= 4 {
                spans.push(Span::styled(
                    format!(" · {}", truncate(&kind, kind_w)),
                    t.dim(),
                ));
            }
            spans.push(Span::styled(progress, t.dim()));
            Line::from(spans)
        },
    );

    // What the focused item is, and for identities, what it can reach.
    let lines = match app.inventory.pane {
        Pane::Systems => match w
            .session
            .systems
            .get(sys_i)
            .filter(|_| vis_sys.contains(&sys_i))
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
                        keymap::say(
                            Ctx::Inventory,
                            true,
                            &[Cmd::Select, Cmd::Rename, Cmd::Remove, Cmd::Add],
                        ),
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
            .filter(|_| vis_ids.contains(&id_i))
        {
            Some(i) => {
                let names: Vec<String> = i
                    .systems
                    .iter()
                    .map(|s| clean(&w.session.entity_name(&EntityId::System(s.clone()))))
                    .collect();
                vec![
                    Line::from(vec![
                        Span::styled("Identity: ", t.bold()),
                        Span::raw(clean(&i.name)),
                        Span::styled(" · kind: ", t.bold()),
                        Span::raw(
                            w.identity_kind(q, &i.id)
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
                        keymap::say(
                            Ctx::Inventory,
                            true,
                            &[Cmd::Kind, Cmd::Links, Cmd::Select, Cmd::Rename, Cmd::Remove],
                        ),
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
fn draw_list<'a>(
    frame: &mut Frame,
    t: &crate::tui::theme::Theme,
    list: HitList,
    area: Rect,
    window: &mut Window,
    len: usize,
    title: &str,
    focused: bool,
    empty: &str,
    row: impl Fn(usize) -> Line<'a>,
) -> Option<crate::tui::app::Hit> {
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
    if len == 0 {
        frame.render_widget(
            Paragraph::new(empty.to_string())
                .style(t.dim())
                .block(block)
                .wrap(Wrap { trim: true }),
            area,
        );
        return None;
    }
    list::draw(
        frame,
        area,
        window,
        len,
        Look {
            highlight: focused,
            ..Look::select(*t, Some(block))
        },
        Some(list),
        |i, _| vec![row(i)],
    )
}
