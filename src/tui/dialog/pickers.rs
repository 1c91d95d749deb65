//! The inventory's small dialogs: "Remove …?", an identity's kind, the systems it can access.

use chrono::Utc;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Wrap};

use super::Modal;
use crate::session::{EntityId, Value};
use crate::tui::action::Action;
use crate::tui::app::{App, Screen};
use crate::tui::keymap::{self, Cmd};
use crate::tui::list::{self, Look, Window};
use crate::tui::screen::questions::set_value;
use crate::tui::update::Effect;
use crate::tui::widgets::{centered, clean, marker, truncate};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pending {
    RemoveSystem(String),
    RemoveIdentity(String),
}

/// "Remove …?": what is removed on `y`.
pub struct Confirm {
    pub message: String,
    pub on_yes: Pending,
}

/// Picks an identity's kind (the identity_kind question's choices).
pub struct KindPicker {
    pub identity: String,
    pub(crate) list: Window,
}

impl KindPicker {
    pub(crate) fn new(identity: impl Into<String>) -> KindPicker {
        KindPicker {
            identity: identity.into(),
            list: Window::default(),
        }
    }
}

/// Ticks the systems an identity can access.
pub struct LinksPicker {
    pub identity: String,
    pub(crate) list: Window,
}

impl LinksPicker {
    pub(crate) fn new(identity: impl Into<String>) -> LinksPicker {
        LinksPicker {
            identity: identity.into(),
            list: Window::default(),
        }
    }
}

pub(crate) fn update(app: &mut App, action: Action) -> Vec<Effect> {
    match (&app.modal, action) {
        (Some(Modal::Confirm(_)), Action::ConfirmYes) => confirm(app),
        (Some(Modal::Confirm(_)), Action::ConfirmNo) => {
            app.modal = None;
            app.info("Nothing removed.");
            Vec::new()
        }
        (Some(Modal::Kind(_)), Action::Cmd(cmd)) => kind(app, cmd, None),
        (Some(Modal::Kind(_)), Action::Pick(n)) => kind(app, Cmd::Pick, Some(n)),
        (Some(Modal::Links(_)), Action::Cmd(cmd)) => links(app, cmd),
        _ => Vec::new(),
    }
}

fn confirm(app: &mut App) -> Vec<Effect> {
    let Some(Modal::Confirm(Confirm { on_yes, .. })) = app.modal.take() else {
        return Vec::new();
    };
    let Some(w) = app.work.as_mut() else {
        return Vec::new();
    };
    let now = Utc::now();
    let name = match &on_yes {
        Pending::RemoveSystem(id) => {
            let name = w.session.entity_name(&EntityId::System(id.clone()));
            w.session.remove_system(id, now);
            app.inventory.system = app
                .inventory
                .system
                .min(w.session.systems.len().saturating_sub(1));
            name
        }
        Pending::RemoveIdentity(id) => {
            let name = w.session.entity_name(&EntityId::Identity(id.clone()));
            w.session.remove_identity(id, now);
            app.inventory.identity = app
                .inventory
                .identity
                .min(w.session.identities.len().saturating_sub(1));
            name
        }
    };
    w.refresh(&app.q);
    app.ensure_question();
    app.info(format!("Removed {name}."));
    vec![Effect::Save]
}

/// Opens the kind picker on the identity's current kind.
pub(crate) fn open_kind(app: &mut App, identity: String) {
    let Some(kq) = app.q.identity_kind_question() else {
        app.error("This questionnaire has no identity-kind question (role = \"identity_kind\").");
        return;
    };
    let current = app
        .work
        .as_ref()
        .and_then(|w| w.answer(&EntityId::Identity(identity.clone()), &kq.id));
    let cursor = match current.map(|a| &a.value) {
        Some(Value::Text(id)) => kq.choices.iter().position(|c| &c.id == id).unwrap_or(0),
        _ => 0,
    };
    let mut p = KindPicker::new(identity);
    p.list.cursor = cursor;
    app.modal = Some(Modal::Kind(p));
}

fn kind(app: &mut App, cmd: Cmd, pick: Option<usize>) -> Vec<Effect> {
    let Some(Modal::Kind(p)) = app.modal.as_mut() else {
        return Vec::new();
    };
    let Some(kq) = app.q.identity_kind_question() else {
        app.modal = None;
        return Vec::new();
    };
    let n = kq.choices.len();
    if p.list.select(cmd, n) {
        return Vec::new();
    }
    match cmd {
        Cmd::Back => {
            app.modal = None;
            Vec::new()
        }
        Cmd::Select | Cmd::Toggle | Cmd::Pick => {
            let row = match pick {
                Some(k) if k >= 1 && k <= n => k - 1,
                Some(_) => return Vec::new(),
                None => p.list.cursor,
            };
            let Some(choice) = kq.choices.get(row) else {
                return Vec::new();
            };
            let (identity, value) = (p.identity.clone(), Value::Text(choice.id.clone()));
            let label = choice.label.clone();
            let Some(qi) = app.q.question_index(&kq.id.clone()) else {
                return Vec::new();
            };
            app.modal = None;
            let fx = set_value(app, &EntityId::Identity(identity.clone()), qi, value);
            if !fx.is_empty() {
                app.info(format!("Kind: {label}"));
                // A new identity is linked next: which systems it reaches decides its scope.
                let unlinked = app.work.as_ref().is_some_and(|w| {
                    !w.session.systems.is_empty()
                        && w.session
                            .identity(&identity)
                            .is_some_and(|i| i.systems.is_empty())
                });
                if unlinked && app.screen() == &Screen::Inventory {
                    app.modal = Some(Modal::Links(LinksPicker::new(identity)));
                    app.info("Now tick the systems it can access (Space), then Esc.");
                }
            }
            fx
        }
        _ => Vec::new(),
    }
}

fn links(app: &mut App, cmd: Cmd) -> Vec<Effect> {
    let Some(Modal::Links(p)) = app.modal.as_mut() else {
        return Vec::new();
    };
    let Some(w) = app.work.as_mut() else {
        return Vec::new();
    };
    let n = w.session.systems.len();
    if p.list.select(cmd, n) {
        return Vec::new();
    }
    match cmd {
        Cmd::Back => {
            app.modal = None;
            Vec::new()
        }
        // Enter finishes, like a multiple-choice question; with nothing ticked yet it ticks the
        // highlighted system first, so one system is one key. (Space then Enter used to untick.)
        Cmd::Select => {
            let none_linked = w
                .session
                .identity(&p.identity)
                .is_none_or(|i| i.systems.is_empty());
            let fx = if none_linked {
                links(app, Cmd::Toggle)
            } else {
                Vec::new()
            };
            app.modal = None;
            fx
        }
        Cmd::Toggle => {
            let Some(sys) = w.session.systems.get(p.list.cursor) else {
                return Vec::new();
            };
            let (sid, name) = (sys.id.clone(), sys.name.clone());
            let linked = w.session.toggle_link(&p.identity, &sid, Utc::now());
            w.refresh(&app.q);
            app.ensure_question();
            app.info(if linked {
                format!("Linked to {name}")
            } else {
                format!("Unlinked from {name}")
            });
            vec![Effect::Save]
        }
        _ => Vec::new(),
    }
}

pub(crate) fn draw(frame: &mut Frame, app: &mut App, area: Rect) {
    let t = app.theme;
    match &app.modal {
        Some(Modal::Confirm(c)) => {
            let box_ = centered(area, area.width.saturating_sub(10).min(70), 6);
            frame.render_widget(Clear, box_);
            let mut text = vec![Line::raw(clean(&c.message)), Line::raw("")];
            let mut keys_line = Vec::new();
            for (k, h) in super::hints(app) {
                keys_line.push(Span::styled(k, t.key()));
                keys_line.push(Span::raw(format!(" {h}   ")));
            }
            text.push(Line::from(keys_line));
            let block = Block::bordered().title(" Remove? ").border_style(t.error());
            frame.render_widget(
                Paragraph::new(text).block(block).wrap(Wrap { trim: true }),
                box_,
            );
        }
        Some(Modal::Kind(_)) => draw_kind(frame, app, area),
        Some(Modal::Links(_)) => draw_links(frame, app, area),
        _ => {}
    }
}

fn draw_kind(frame: &mut Frame, app: &mut App, area: Rect) {
    let t = app.theme;
    let Some(kq) = app.q.identity_kind_question() else {
        return;
    };
    let Some(Modal::Kind(p)) = app.modal.as_mut() else {
        return;
    };
    let current = app
        .work
        .as_ref()
        .and_then(|w| w.answer(&EntityId::Identity(p.identity.clone()), &kq.id))
        .and_then(|a| match &a.value {
            Value::Text(s) => Some(s.clone()),
            _ => None,
        });
    let name = app
        .work
        .as_ref()
        .map(|w| {
            w.session
                .entity_name(&EntityId::Identity(p.identity.clone()))
        })
        .unwrap_or_default();
    let n = kq.choices.len();
    // Labels wrap under themselves (QA: one was cut mid-word at 80 columns); the box grows.
    let inner = (picker_box(area, n).width.saturating_sub(2) as usize).max(10);
    let lead = 2 + 2 + 4; // marker, key, "(•) "
    let labels: Vec<Vec<String>> = kq
        .choices
        .iter()
        .map(|c| crate::tui::widgets::wrap(&clean(&c.label), inner.saturating_sub(lead).max(1)))
        .collect();
    let box_ = picker_box(area, labels.iter().map(Vec::len).sum());
    frame.render_widget(Clear, box_);
    let block = Block::bordered()
        .title(format!(" Kind of {} ", truncate(&name, 30)))
        .border_style(t.accent());
    let cursor = p.list.cursor;
    list::draw(
        frame,
        box_,
        &mut p.list,
        n,
        Look::select(t, Some(block)),
        None,
        |i, _| {
            let c = &kq.choices[i];
            let mark = if current.as_deref() == Some(c.id.as_str()) {
                "(•)"
            } else {
                "( )"
            };
            let num = keymap::choice_key(i).map_or("  ".to_string(), |k| format!("{k} "));
            let mut rows = labels[i].iter();
            let mut out = vec![Line::raw(format!(
                "{}{num}{mark} {}",
                marker(i == cursor),
                rows.next().map_or("", String::as_str)
            ))];
            out.extend(rows.map(|r| Line::raw(format!("{}{r}", " ".repeat(lead)))));
            out
        },
    );
}

fn draw_links(frame: &mut Frame, app: &mut App, area: Rect) {
    let t = app.theme;
    let Some(w) = &app.work else { return };
    let Some(Modal::Links(p)) = app.modal.as_mut() else {
        return;
    };
    let Some(ident) = w.session.identity(&p.identity) else {
        return;
    };
    let n = w.session.systems.len();
    let box_ = picker_box(area, n);
    frame.render_widget(Clear, box_);
    let block = Block::bordered()
        .title(format!(
            " Systems {} can access ",
            truncate(&ident.name, 30)
        ))
        .border_style(t.accent());
    let cursor = p.list.cursor;
    list::draw(
        frame,
        box_,
        &mut p.list,
        n,
        Look::select(t, Some(block)),
        None,
        |i, _| {
            let s = &w.session.systems[i];
            let mark = if ident.systems.contains(&s.id) {
                "[x]"
            } else {
                "[ ]"
            };
            vec![Line::raw(format!(
                "{}{mark} {}",
                marker(i == cursor),
                clean(&s.name)
            ))]
        },
    );
}

fn picker_box(area: Rect, items: usize) -> Rect {
    let h = (items.min(u16::MAX as usize) as u16)
        .saturating_add(2)
        .min(area.height.saturating_sub(2));
    centered(area, area.width.saturating_sub(10).min(60), h)
}
