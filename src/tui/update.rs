//! App + action -> changed app + effects. No I/O here: saving, opening and exporting are
//! returned as [`Effect`]s for the loop in `mod.rs` to carry out, so all of this is testable.
//!
//! What applies everywhere is here (quit, the mouse, help, going back, switching screens); a key
//! in a dialog goes to the dialog (`dialog::update`), any other to the screen showing
//! (`screen::update`).

use super::action::Action;
use super::app::{App, HitList, Modal, Pane, Screen, TABS};
use super::keymap::Cmd;
use super::screen::{self, decision, questions};

pub use super::effect::{Effect, Format};

pub fn update(app: &mut App, action: Action) -> Vec<Effect> {
    // A read-only workshop never changes. The screens refuse edits before they start; should
    // any action still change the session, it is undone here and refused, and nothing is saved.
    let before = app
        .work
        .as_ref()
        .filter(|w| w.read_only())
        .map(|w| w.session.clone());
    let mut fx = dispatch(app, action);
    if let Some(before) = before
        && let Some(w) = app.work.as_mut()
        && w.read_only()
    {
        if w.session != before {
            w.session = before;
            w.refresh(&app.q);
            app.ensure_question();
            screen::refuse_read_only(app);
        }
        fx.retain(|f| *f != Effect::Save);
    }
    // "What would change this?" is computed once when a drill-down shows, and again only after
    // the session changed (any change drops the cached result).
    if let Screen::Decision(id) = app.screen().clone()
        && let Some(w) = app.work.as_mut()
    {
        w.ensure_sensitivity(&app.q, &id);
    }
    fx
}

fn dispatch(app: &mut App, action: Action) -> Vec<Effect> {
    if action == Action::Redraw {
        return Vec::new();
    }
    // A status message answers the previous key; the next key clears it.
    app.status = None;
    if matches!(action, Action::Cmd(Cmd::Quit)) {
        return quit(app);
    }
    if matches!(action, Action::Cmd(Cmd::ToggleMouse))
        && !matches!(app.modal, Some(Modal::Editor(_)))
    {
        app.mouse = !app.mouse;
        app.info(if app.mouse {
            "Mouse on: click selects, a second click opens; wheel scrolls (m: off, to copy text)"
        } else {
            "Mouse off: text can be selected and copied"
        });
        return vec![Effect::SetMouse(app.mouse)];
    }
    if let Action::Click { col, row } = action {
        return if app.modal.is_some() {
            Vec::new()
        } else {
            click(app, col, row)
        };
    }
    if app.modal.is_some() {
        return super::dialog::update(app, action);
    }
    if let Action::Paste(text) = action {
        return questions::paste(app, &text);
    }
    match action {
        Action::Cmd(Cmd::Help) => {
            app.modal = Some(Modal::Help(Default::default()));
            Vec::new()
        }
        Action::Cmd(Cmd::Back) => back(app),
        Action::Cmd(cmd @ (Cmd::NextScreen | Cmd::PrevScreen)) if app.work.is_some() => {
            let here = app.screen().tab().unwrap_or(0);
            let n = TABS.len();
            let next = if cmd == Cmd::NextScreen {
                (here + 1) % n
            } else {
                (here + n - 1) % n
            };
            app.stack = vec![TABS[next].clone()];
            app.questions.jumped = false;
            app.ensure_question();
            Vec::new()
        }
        Action::Cmd(Cmd::OpenRecommendation) if app.work.is_some() => {
            screen::go(app, Screen::Recommendation)
        }
        Action::Cmd(Cmd::OpenReview) if app.work.is_some() => screen::go(app, Screen::Review),
        Action::Cmd(Cmd::OpenExport) if app.work.is_some() => screen::go(app, Screen::Export),
        Action::Cmd(Cmd::OpenConflicts) if app.work.is_some() => screen::conflicts::open(app),
        _ => screen::update(app, action),
    }
}

/// A left click: the row under it is selected; clicking the selected row again acts on it
/// as Enter does (for a multiple-choice row: ticks it).
fn click(app: &mut App, col: u16, row: u16) -> Vec<Effect> {
    let Some((list, i)) = app
        .hits
        .iter()
        .find_map(|h| h.item_at(col, row).map(|i| (h.list, i)))
    else {
        return Vec::new();
    };
    let select = Action::Cmd(Cmd::Select);
    match list {
        HitList::Start => {
            if app.start.list.cursor == i {
                return screen::start::update(app, select);
            }
            app.start.list.cursor = i;
        }
        HitList::Systems | HitList::Identities => {
            let (pane, visible) = if list == HitList::Systems {
                (Pane::Systems, app.visible_systems())
            } else {
                (Pane::Identities, app.visible_identities())
            };
            let Some(&idx) = visible.get(i) else {
                return Vec::new();
            };
            let current = match pane {
                Pane::Systems => &mut app.inventory.system,
                Pane::Identities => &mut app.inventory.identity,
            };
            if app.inventory.pane == pane && *current == idx {
                return screen::inventory::update(app, select);
            }
            *current = idx;
            app.inventory.pane = pane;
        }
        HitList::Choices => {
            if app.questions.choices.cursor == i {
                let multi = app
                    .current()
                    .is_some_and(|(_, _, q)| q.kind == crate::questionnaire::Kind::Multi);
                return questions::update(
                    app,
                    if multi {
                        Action::Cmd(Cmd::Toggle)
                    } else {
                        select
                    },
                );
            }
            app.questions.choices.cursor = i;
        }
        HitList::Decisions => {
            if app.rec.list.cursor == i {
                return screen::recommendation::update(app, select);
            }
            app.rec.list.cursor = i;
        }
        HitList::DecisionLines => {
            let Screen::Decision(id) = app.screen().clone() else {
                return Vec::new();
            };
            if app
                .detail_lines(&id)
                .get(i)
                .is_none_or(|l| l.jump.is_none())
            {
                return Vec::new();
            }
            if app.decision.window.cursor == i {
                return decision::update(app, &id, select);
            }
            app.decision.window.cursor = i;
        }
        HitList::Review => {
            if app.review.list.cursor == i {
                return screen::review::update(app, select);
            }
            app.review.list.cursor = i;
        }
        HitList::Export => {
            if app.export.cursor == i {
                return screen::export::update(app, select);
            }
            app.export.cursor = i;
        }
    }
    Vec::new()
}

fn back(app: &mut App) -> Vec<Effect> {
    if app.stack.len() > 1 {
        if app.stack.pop() == Some(Screen::Questions) {
            app.questions.jumped = false;
        }
        app.ensure_question();
        if let Screen::Decision(id) = app.screen().clone() {
            if let Some(w) = app.work.as_mut() {
                w.ensure_sensitivity(&app.q, &id);
            }
            decision::refocus(app, &id);
            decision::say_what_changed(app, &id);
        }
        return Vec::new();
    }
    if app.screen() == &Screen::Start {
        app.info("Press q to quit, or Enter to open the highlighted workshop.");
        return Vec::new();
    }
    let Some(w) = &app.work else {
        return Vec::new();
    };
    if let Some(e) = &w.save_error {
        app.error(format!(
            "Not leaving: the last save failed ({e}). Fix it, then change anything to retry."
        ));
        return Vec::new();
    }
    // The effect writes the journal into the file before the workshop is closed.
    vec![Effect::Close]
}

fn quit(app: &mut App) -> Vec<Effect> {
    let mut effects = Vec::new();
    if matches!(app.modal, Some(Modal::Editor(_))) {
        // Whatever is being typed is kept: committed, or (if not a valid answer) kept as a note.
        effects.extend(super::dialog::editor::done(app, false, true));
    }
    app.modal = None;
    app.quit = true;
    if app.work.as_ref().is_some_and(|w| !w.read_only()) {
        effects.push(Effect::Save);
    }
    effects
}
