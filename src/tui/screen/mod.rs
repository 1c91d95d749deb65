//! The screens. Each owns its state, its key handling (`update`) and its drawing (`draw`);
//! what they share (moving between screens, jumping to a question) is here.

pub(crate) mod changes;
pub(crate) mod conflicts;
pub(crate) mod decision;
pub(crate) mod details;
pub(crate) mod export;
pub(crate) mod inventory;
pub(crate) mod questions;
pub(crate) mod recommendation;
pub(crate) mod review;
pub(crate) mod start;

use ratatui::Frame;
use ratatui::layout::Rect;

use super::action::Action;
use super::app::{App, Screen};
use super::keymap::Ctx;
use super::update::Effect;
use crate::session::EntityId;

/// A key on the screen showing.
pub(crate) fn update(app: &mut App, action: Action) -> Vec<Effect> {
    match app.screen().clone() {
        Screen::Start => start::update(app, action),
        Screen::Details => details::update(app, action),
        Screen::Inventory => inventory::update(app, action),
        Screen::Questions => questions::update(app, action),
        Screen::Recommendation => recommendation::update(app, action),
        Screen::Decision(id) => decision::update(app, &id, action),
        Screen::Review => review::update(app, action),
        Screen::Export => export::update(app, action),
        Screen::Changes => changes::update(app, action),
        Screen::Conflicts => conflicts::update(app, action),
    }
}

pub(crate) fn draw(frame: &mut Frame, app: &mut App, area: Rect) {
    let analysing = app.work.as_ref().is_some_and(|w| w.analysing());
    match app.screen().clone() {
        // Resumed on a screen made of the recommendation: said while it is worked out.
        Screen::Recommendation | Screen::Decision(_) | Screen::Export | Screen::Changes
            if analysing =>
        {
            frame.render_widget(
                ratatui::widgets::Paragraph::new(COMPUTING_RECOMMENDATION),
                area,
            );
        }
        Screen::Start => start::draw(frame, app, area),
        Screen::Details => details::draw(frame, app, area),
        Screen::Inventory => inventory::draw(frame, app, area),
        Screen::Questions => questions::draw(frame, app, area),
        Screen::Recommendation => recommendation::draw(frame, app, area),
        Screen::Decision(id) => decision::draw(frame, app, &id, area),
        Screen::Review => review::draw(frame, app, area),
        Screen::Export => export::draw(frame, app, area),
        Screen::Changes => changes::draw(frame, app, area),
        Screen::Conflicts => conflicts::draw(frame, app, area),
    }
}

/// Shown where the recommendation goes while a resumed workshop's analysis is worked out.
pub(crate) const COMPUTING_RECOMMENDATION: &str =
    " Working out the recommendation (computing…); answering goes on meanwhile.";

/// A filter typed on a screen (`/`), applied as it is typed.
pub(crate) fn set_filter(app: &mut App, ctx: Ctx, text: String) {
    match ctx {
        Ctx::Start => start::set_filter(app, text),
        Ctx::Review => review::set_filter(app, text),
        Ctx::Inventory => inventory::set_filter(app, text),
        _ => recommendation::set_filter(app, text),
    }
}

/// Shows a screen; if it is already in the stack, goes back to it instead of stacking it twice.
pub(crate) fn go(app: &mut App, screen: Screen) -> Vec<Effect> {
    if let Some(pos) = app.stack.iter().position(|s| *s == screen) {
        app.stack.truncate(pos + 1);
    } else {
        app.stack.push(screen);
    }
    Vec::new()
}

/// Says why an edit was not made in a read-only workshop.
pub(crate) fn refuse_read_only(app: &mut App) -> Vec<Effect> {
    app.error("READ-ONLY: nothing changed. Viewing, the recommendation and export work.");
    Vec::new()
}

/// Opens the questions of one entity at its first visible question.
pub(crate) fn jump_to_entity(app: &mut App, e: &EntityId) {
    let Some(w) = &app.work else { return };
    let first = w.shown(e).first().map(|&qi| app.q.questions[qi].id.clone());
    match first {
        Some(qid) => jump(app, e.clone(), qid),
        None => app.info("No questions to ask for it yet."),
    }
}

/// Focuses one question to change its answer (from a rationale or the review): answering it
/// stays there, and Esc goes back to where the jump came from.
pub(crate) fn jump_to_change(app: &mut App, e: EntityId, qid: String) {
    jump(app, e, qid);
    app.questions.jumped = true;
}

/// Focuses a question and shows it; Esc comes back here.
pub(crate) fn jump(app: &mut App, e: EntityId, qid: String) {
    app.questions.jumped = false;
    app.questions.at = Some((e.clone(), qid.clone()));
    app.ensure_question();
    app.reset_cursor();
    if app
        .questions
        .at
        .as_ref()
        .is_some_and(|(ae, aq)| *ae != e || *aq != qid)
    {
        app.info("That question is hidden by an earlier answer; showing the nearest one.");
    }
    // Always stacked (not `go`), so Esc returns to where the jump came from.
    if app.screen() != &Screen::Questions {
        app.stack.push(Screen::Questions);
    }
}
