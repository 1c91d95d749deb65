//! App + action -> changed app + effects. No I/O here: saving, opening and exporting are
//! returned as [`Effect`]s for the loop in `mod.rs` to carry out, so all of this is testable.

use std::path::PathBuf;

use chrono::{NaiveDate, Utc};

use super::action::Action;
use super::app::{
    App, DETAIL_FIELDS, DetailField, EditTarget, Editor, Modal, Pane, Pending, Screen, StartRow,
    TABS, decision_lines,
};
use super::keymap::{Cmd, Ctx};
use crate::questionnaire::Kind;
use crate::session::{EntityId, Value};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    /// Write the session file (atomically).
    Save,
    Create {
        organisation: String,
        path: Option<PathBuf>,
    },
    Open(PathBuf),
    /// Re-read the list of saved sessions for the start screen.
    RefreshSessions,
    Export(Format),
    SetMouse(bool),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Markdown,
    Json,
}

impl Format {
    pub const ALL: [Format; 2] = [Format::Markdown, Format::Json];
    pub fn label(self) -> &'static str {
        match self {
            Format::Markdown => "Markdown report (.md): for people",
            Format::Json => "JSON (.json): for tools",
        }
    }
    pub fn extension(self) -> &'static str {
        match self {
            Format::Markdown => "md",
            Format::Json => "json",
        }
    }
}

pub fn update(app: &mut App, action: Action) -> Vec<Effect> {
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
            "Mouse on: wheel scrolls (m turns it off to copy text)"
        } else {
            "Mouse off: text can be selected and copied"
        });
        return vec![Effect::SetMouse(app.mouse)];
    }
    if app.modal.is_some() {
        return modal(app, action);
    }
    if let Action::Paste(text) = action {
        return paste_outside_editor(app, &text);
    }
    match action {
        Action::Cmd(Cmd::Help) => {
            app.modal = Some(Modal::Help { scroll: 0 });
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
            app.ensure_question();
            Vec::new()
        }
        Action::Cmd(Cmd::OpenRecommendation) if app.work.is_some() => {
            go(app, Screen::Recommendation)
        }
        Action::Cmd(Cmd::OpenReview) if app.work.is_some() => go(app, Screen::Review),
        Action::Cmd(Cmd::OpenExport) if app.work.is_some() => go(app, Screen::Export),
        _ => match app.screen().clone() {
            Screen::Start => start(app, action),
            Screen::Details => details(app, action),
            Screen::Inventory => inventory(app, action),
            Screen::Questions => questions(app, action),
            Screen::Recommendation => recommendation(app, action),
            Screen::Decision(id) => decision(app, &id, action),
            Screen::Review => review(app, action),
            Screen::Export => export(app, action),
        },
    }
}

/// Shows a screen; if it is already in the stack, goes back to it instead of stacking it twice.
fn go(app: &mut App, screen: Screen) -> Vec<Effect> {
    if let Some(pos) = app.stack.iter().position(|s| *s == screen) {
        app.stack.truncate(pos + 1);
    } else {
        app.stack.push(screen);
    }
    Vec::new()
}

fn back(app: &mut App) -> Vec<Effect> {
    if app.stack.len() > 1 {
        app.stack.pop();
        app.ensure_question();
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
    let saved = w.path.display().to_string();
    app.work = None;
    app.stack = vec![Screen::Start];
    app.start.cursor = 1;
    app.info(format!("Saved to {saved}"));
    vec![Effect::RefreshSessions]
}

fn quit(app: &mut App) -> Vec<Effect> {
    let mut effects = Vec::new();
    if matches!(app.modal, Some(Modal::Editor(_))) {
        // Whatever is being typed is kept: committed, or (if not a valid answer) kept as a note.
        effects.extend(editor_done(app, false, true));
    }
    app.modal = None;
    app.quit = true;
    if app.work.is_some() {
        effects.push(Effect::Save);
    }
    effects
}

fn move_cursor(cursor: &mut usize, len: usize, cmd: Cmd, page: usize) {
    if len == 0 {
        *cursor = 0;
        return;
    }
    let last = len - 1;
    *cursor = match cmd {
        Cmd::Up => cursor.saturating_sub(1),
        Cmd::Down => (*cursor + 1).min(last),
        Cmd::PageUp => cursor.saturating_sub(page.max(1)),
        Cmd::PageDown => (*cursor + page.max(1)).min(last),
        Cmd::Top => 0,
        Cmd::Bottom => last,
        _ => (*cursor).min(last),
    };
}

fn is_move(cmd: Cmd) -> bool {
    matches!(
        cmd,
        Cmd::Up | Cmd::Down | Cmd::PageUp | Cmd::PageDown | Cmd::Top | Cmd::Bottom
    )
}

fn open_editor(app: &mut App, target: EditTarget, title: &str, text: &str, multiline: bool) {
    app.modal = Some(Modal::Editor(Box::new(Editor::new(
        target, title, text, multiline,
    ))));
}

// ----- Start ---------------------------------------------------------------------------------

fn start(app: &mut App, action: Action) -> Vec<Effect> {
    let rows = app.start.rows();
    match action {
        Action::Cmd(cmd) if is_move(cmd) => {
            move_cursor(&mut app.start.cursor, rows.len(), cmd, app.page);
            Vec::new()
        }
        Action::Cmd(Cmd::New) => {
            open_editor(
                app,
                EditTarget::NewWorkshop,
                "New workshop: organisation being scoped",
                "",
                false,
            );
            Vec::new()
        }
        Action::Cmd(Cmd::OpenFile) => {
            open_editor(
                app,
                EditTarget::OpenPath,
                "Open a session file: path",
                "",
                false,
            );
            Vec::new()
        }
        Action::Cmd(Cmd::Filter) => {
            let f = app.start.filter.clone();
            open_editor(
                app,
                EditTarget::Filter(Ctx::Start),
                "Filter workshops",
                &f,
                false,
            );
            Vec::new()
        }
        Action::Cmd(Cmd::Select) => {
            match rows.get(app.start.cursor.min(rows.len().saturating_sub(1))) {
                Some(StartRow::New) => start(app, Action::Cmd(Cmd::New)),
                Some(StartRow::OpenFile) => start(app, Action::Cmd(Cmd::OpenFile)),
                Some(StartRow::Session(i)) => match app.start.sessions.get(*i) {
                    Some(info) if info.error.is_some() => {
                        app.error(format!(
                            "Cannot open {}: {}",
                            info.path.display(),
                            info.error.clone().unwrap_or_default()
                        ));
                        Vec::new()
                    }
                    Some(info) => vec![Effect::Open(info.path.clone())],
                    None => Vec::new(),
                },
                None => Vec::new(),
            }
        }
        _ => Vec::new(),
    }
}

// ----- Details -------------------------------------------------------------------------------

fn details(app: &mut App, action: Action) -> Vec<Effect> {
    match action {
        Action::Cmd(cmd) if is_move(cmd) => {
            move_cursor(&mut app.details, DETAIL_FIELDS.len(), cmd, app.page);
            Vec::new()
        }
        Action::Cmd(Cmd::Select) => {
            let Some(w) = &app.work else {
                return Vec::new();
            };
            let field = DETAIL_FIELDS[app.details.min(DETAIL_FIELDS.len() - 1)].clone();
            let ws = &w.session.workshop;
            let text = match field {
                DetailField::Organisation => ws.organisation.clone(),
                DetailField::Facilitator => ws.facilitator.clone(),
                DetailField::Participants => ws.participants.join(", "),
                DetailField::Date => ws
                    .date
                    .map(|d| d.format("%Y-%m-%d").to_string())
                    .unwrap_or_default(),
            };
            let title = format!("{} ({})", field.label(), field.hint());
            open_editor(app, EditTarget::Field(field), &title, &text, false);
            Vec::new()
        }
        _ => Vec::new(),
    }
}

// ----- Inventory -----------------------------------------------------------------------------

fn selected_entity(app: &App) -> Option<EntityId> {
    let w = app.work.as_ref()?;
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

fn inventory(app: &mut App, action: Action) -> Vec<Effect> {
    let Some(w) = &app.work else {
        return Vec::new();
    };
    let (n_sys, n_id) = (w.session.systems.len(), w.session.identities.len());
    match action {
        Action::Cmd(cmd) if is_move(cmd) => {
            match app.inventory.pane {
                Pane::Systems => move_cursor(&mut app.inventory.system, n_sys, cmd, app.page),
                Pane::Identities => move_cursor(&mut app.inventory.identity, n_id, cmd, app.page),
            }
            Vec::new()
        }
        Action::Cmd(Cmd::Left) => {
            app.inventory.pane = Pane::Systems;
            Vec::new()
        }
        Action::Cmd(Cmd::Right) => {
            app.inventory.pane = Pane::Identities;
            Vec::new()
        }
        Action::Cmd(Cmd::Add) => {
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
            open_editor(app, target, title, "", false);
            Vec::new()
        }
        Action::Cmd(Cmd::Rename) => {
            let Some(e) = selected_entity(app) else {
                return nothing_selected(app);
            };
            let name = w.session.entity_name(&e);
            open_editor(app, EditTarget::Rename(e), "Rename", &name, false);
            Vec::new()
        }
        Action::Cmd(Cmd::Remove) => {
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
            app.modal = Some(Modal::Confirm { message, on_yes });
            Vec::new()
        }
        Action::Cmd(Cmd::Kind) | Action::Cmd(Cmd::Links) if app.inventory.pane == Pane::Systems => {
            app.info("Select an identity first (→ focuses the identities list).");
            Vec::new()
        }
        Action::Cmd(Cmd::Kind) => open_kind(app),
        Action::Cmd(Cmd::Links) => {
            let Some(EntityId::Identity(identity)) = selected_entity(app) else {
                return nothing_selected(app);
            };
            if n_sys == 0 {
                app.info(
                    "Add a system first: identities are linked to the systems they can access.",
                );
                return Vec::new();
            }
            app.modal = Some(Modal::Links {
                identity,
                cursor: 0,
            });
            Vec::new()
        }
        Action::Cmd(Cmd::Select) => {
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

fn open_kind(app: &mut App) -> Vec<Effect> {
    let Some(EntityId::Identity(identity)) = selected_entity(app) else {
        return nothing_selected(app);
    };
    let Some(kq) = app.q.identity_kind_question() else {
        app.error("This questionnaire has no identity-kind question (role = \"identity_kind\").");
        return Vec::new();
    };
    let current = app
        .work
        .as_ref()
        .and_then(|w| w.answer(&EntityId::Identity(identity.clone()), &kq.id));
    let cursor = match current.map(|a| &a.value) {
        Some(Value::Text(id)) => kq.choices.iter().position(|c| &c.id == id).unwrap_or(0),
        _ => 0,
    };
    app.modal = Some(Modal::Kind { identity, cursor });
    Vec::new()
}

/// Opens the questions of one entity at its first visible question.
fn jump_to_entity(app: &mut App, e: &EntityId) {
    let Some(w) = &app.work else { return };
    let first = w.shown(e).first().map(|&qi| app.q.questions[qi].id.clone());
    match first {
        Some(qid) => jump(app, e.clone(), qid),
        None => app.info("No questions to ask for it yet."),
    }
}

/// Focuses a question and shows it; Esc comes back here.
fn jump(app: &mut App, e: EntityId, qid: String) {
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

// ----- Questions -----------------------------------------------------------------------------

fn questions(app: &mut App, action: Action) -> Vec<Effect> {
    let Some((e, qi, question)) = app.current() else {
        if matches!(action, Action::Cmd(Cmd::Select)) {
            app.info("No questions yet.");
        }
        return Vec::new();
    };
    let (kind, n_choices, rows) = (
        question.kind,
        question.choices.len(),
        App::choice_rows(question),
    );
    let qid = question.id.clone();
    match action {
        Action::Cmd(cmd @ (Cmd::Up | Cmd::Down | Cmd::Top | Cmd::Bottom)) => {
            move_cursor(&mut app.questions.cursor, rows, cmd, app.page);
            Vec::new()
        }
        Action::Cmd(Cmd::PageUp) => {
            app.questions.help_scroll = app.questions.help_scroll.saturating_sub(5);
            Vec::new()
        }
        Action::Cmd(Cmd::PageDown) => {
            app.questions.help_scroll = app.questions.help_scroll.saturating_add(5);
            Vec::new()
        }
        Action::Cmd(Cmd::PrevQuestion) => step(app, -1),
        Action::Cmd(Cmd::NextQuestion) => step(app, 1),
        Action::Cmd(Cmd::PrevEntity) => step_entity(app, -1),
        Action::Cmd(Cmd::NextEntity) => step_entity(app, 1),
        Action::Cmd(Cmd::Unknown) => {
            let fx = set_value(app, &e, qi, Value::Unknown);
            advance(app, fx)
        }
        Action::Cmd(Cmd::ClearAnswer) => {
            let Some(w) = app.work.as_mut() else {
                return Vec::new();
            };
            w.session.clear_answer(&qid, &e, Utc::now());
            w.refresh(&app.q);
            app.ensure_question();
            app.info("Answer cleared.");
            vec![Effect::Save]
        }
        Action::Cmd(Cmd::Note) => {
            let note = app
                .work
                .as_ref()
                .and_then(|w| w.answer(&e, &qid))
                .and_then(|a| a.note.clone())
                .unwrap_or_default();
            let title = "Note on this answer (Enter: new line · Esc or Ctrl-S: done)";
            open_editor(app, EditTarget::Note { entity: e, qid }, title, &note, true);
            Vec::new()
        }
        Action::Pick(n) if kind.is_choice() => {
            if n == 0 || n > n_choices {
                app.info(format!(
                    "There is no choice {n}: pick 1-{n_choices}, or u for unknown."
                ));
                return Vec::new();
            }
            app.questions.cursor = n - 1;
            choose(app, &e, qi, n - 1, kind != Kind::Multi)
        }
        Action::Cmd(Cmd::Toggle) if kind.is_choice() => {
            let row = app.questions.cursor;
            choose(app, &e, qi, row, false)
        }
        Action::Cmd(Cmd::Select) if kind == Kind::Multi => {
            if app.questions.cursor >= n_choices {
                let fx = set_value(app, &e, qi, Value::Unknown);
                return advance(app, fx);
            }
            let answered = app.work.as_ref().and_then(|w| w.answer(&e, &qid)).is_some();
            if !answered {
                app.info("Skipped: nothing ticked (Space ticks a choice; u answers unknown).");
            }
            step(app, 1)
        }
        Action::Cmd(Cmd::Select) if kind.is_choice() => {
            let row = app.questions.cursor;
            choose(app, &e, qi, row, true)
        }
        Action::Cmd(Cmd::Select) => {
            let text = match app
                .work
                .as_ref()
                .and_then(|w| w.answer(&e, &qid))
                .map(|a| &a.value)
            {
                Some(Value::Text(t)) => t.clone(),
                Some(Value::Number(n)) => crate::session::format_number(*n),
                _ => String::new(),
            };
            let title = match kind {
                Kind::Number => "Answer: a number (Enter: save and go on · Esc: save)",
                Kind::Date => "Answer: a date, YYYY-MM-DD (Enter: save and go on · Esc: save)",
                _ => "Answer (Enter: save and go on · Esc: save)",
            };
            open_editor(
                app,
                EditTarget::Answer { entity: e, qid },
                title,
                &text,
                false,
            );
            Vec::new()
        }
        _ => Vec::new(),
    }
}

/// Picks (or, for multiple choice, ticks) choice row `row`; the last row is "unknown".
fn choose(app: &mut App, e: &EntityId, qi: usize, row: usize, then_advance: bool) -> Vec<Effect> {
    let question = &app.q.questions[qi];
    let value = if row >= question.choices.len() {
        Value::Unknown
    } else {
        let id = question.choices[row].id.clone();
        match question.kind {
            Kind::Multi => {
                let mut ticked = match app
                    .work
                    .as_ref()
                    .and_then(|w| w.answer(e, &question.id))
                    .map(|a| &a.value)
                {
                    Some(Value::List(l)) => l.clone(),
                    _ => Vec::new(),
                };
                if let Some(pos) = ticked.iter().position(|t| *t == id) {
                    ticked.remove(pos);
                } else {
                    ticked.push(id);
                }
                // Stored in questionnaire order, so files diff cleanly.
                ticked.sort_by_key(|t| question.choices.iter().position(|c| &c.id == t));
                Value::List(ticked)
            }
            _ => Value::Text(id),
        }
    };
    let fx = set_value(app, e, qi, value);
    if then_advance { advance(app, fx) } else { fx }
}

fn set_value(app: &mut App, e: &EntityId, qi: usize, value: Value) -> Vec<Effect> {
    let Some(w) = app.work.as_mut() else {
        return Vec::new();
    };
    let question = &app.q.questions[qi];
    match w.session.set_answer(question, e, value, Utc::now()) {
        Ok(()) => {
            w.refresh(&app.q);
            app.ensure_question();
            vec![Effect::Save]
        }
        Err(msg) => {
            app.error(msg);
            Vec::new()
        }
    }
}

/// After an answer is saved: on to the next visible question (which may have just appeared).
fn advance(app: &mut App, mut fx: Vec<Effect>) -> Vec<Effect> {
    if fx.contains(&Effect::Save) {
        fx.extend(step(app, 1));
    }
    fx
}

fn step(app: &mut App, dir: i64) -> Vec<Effect> {
    let Some(w) = &app.work else {
        return Vec::new();
    };
    let seq = w.sequence();
    let Some((e, qid)) = app.questions.at.clone() else {
        return Vec::new();
    };
    let Some(pos) = seq
        .iter()
        .position(|(se, qi)| *se == e && app.q.questions[*qi].id == qid)
    else {
        return Vec::new();
    };
    let next = pos as i64 + dir;
    if next < 0 {
        app.info("This is the first question.");
        return Vec::new();
    }
    let Some((ne, nqi)) = seq.get(next as usize).cloned() else {
        app.info("That was the last question. Add systems or identities in Inventory, or press r for the recommendation.");
        return Vec::new();
    };
    if ne != e {
        let label = w.section_label(&ne);
        let name = w.session.entity_name(&ne);
        app.info(if ne == EntityId::Engagement {
            "Now: engagement questions".to_string()
        } else {
            format!("Now: {label} · {name}")
        });
    }
    app.questions.at = Some((ne, app.q.questions[nqi].id.clone()));
    app.reset_cursor();
    Vec::new()
}

fn step_entity(app: &mut App, dir: i64) -> Vec<Effect> {
    let Some(w) = &app.work else {
        return Vec::new();
    };
    let Some((e, _)) = &app.questions.at else {
        return Vec::new();
    };
    let with_questions: Vec<EntityId> = w
        .entities()
        .into_iter()
        .filter(|x| !w.shown(x).is_empty())
        .collect();
    let here = with_questions.iter().position(|x| x == e).unwrap_or(0) as i64;
    let Some(target) = usize::try_from(here + dir)
        .ok()
        .and_then(|i| with_questions.get(i))
        .cloned()
    else {
        app.info(if dir < 0 {
            "This is the first section."
        } else {
            "This is the last section."
        });
        return Vec::new();
    };
    let label = w.section_label(&target);
    let name = w.session.entity_name(&target);
    jump_to_entity(app, &target);
    app.info(if target == EntityId::Engagement {
        "Now: engagement questions".to_string()
    } else {
        format!("Now: {label} · {name}")
    });
    Vec::new()
}

// ----- Recommendation, decisions, review, export ---------------------------------------------

fn recommendation(app: &mut App, action: Action) -> Vec<Effect> {
    let ids: Vec<String> = app.decisions().iter().map(|d| d.id.clone()).collect();
    match action {
        Action::Cmd(cmd) if is_move(cmd) => {
            move_cursor(&mut app.rec.cursor, ids.len(), cmd, app.page);
        }
        Action::Cmd(Cmd::Filter) => {
            let f = app.rec.filter.clone();
            open_editor(
                app,
                EditTarget::Filter(Ctx::Recommendation),
                "Filter decisions",
                &f,
                false,
            );
        }
        Action::Cmd(Cmd::Select) => {
            if let Some(id) = ids.get(app.rec.cursor) {
                let d = app.decision(id).map(decision_lines).unwrap_or_default();
                app.decision_cursor = d.iter().position(|l| l.jump.is_some()).unwrap_or(0);
                app.stack.push(Screen::Decision(id.clone()));
            }
        }
        _ => {}
    }
    Vec::new()
}

fn decision(app: &mut App, id: &str, action: Action) -> Vec<Effect> {
    let lines = app.decision(id).map(decision_lines).unwrap_or_default();
    let jumps: Vec<usize> = lines
        .iter()
        .enumerate()
        .filter(|(_, l)| l.jump.is_some())
        .map(|(i, _)| i)
        .collect();
    match action {
        Action::Cmd(cmd) if is_move(cmd) => {
            let mut at = jumps
                .iter()
                .position(|&i| i >= app.decision_cursor)
                .unwrap_or(0);
            move_cursor(&mut at, jumps.len(), cmd, app.page);
            app.decision_cursor = jumps.get(at).copied().unwrap_or(0);
        }
        Action::Cmd(Cmd::Select) => match lines
            .get(app.decision_cursor)
            .and_then(|l| l.jump.clone())
        {
            Some((e, qid)) => jump(app, e, qid),
            None => app.info(
                "Nothing to jump to: this decision has no triggering answers or open questions.",
            ),
        },
        _ => {}
    }
    Vec::new()
}

fn review(app: &mut App, action: Action) -> Vec<Effect> {
    let rows = app.review_rows();
    match action {
        Action::Cmd(cmd) if is_move(cmd) => {
            move_cursor(&mut app.review.cursor, rows.len(), cmd, app.page)
        }
        Action::Cmd(Cmd::UnansweredOnly) => {
            app.review.unanswered_only = !app.review.unanswered_only;
            app.review.cursor = 0;
        }
        Action::Cmd(Cmd::Filter) => {
            let f = app.review.filter.clone();
            open_editor(
                app,
                EditTarget::Filter(Ctx::Review),
                "Filter questions and answers",
                &f,
                false,
            );
        }
        Action::Cmd(Cmd::Select) => {
            if let Some(row) = rows.get(app.review.cursor) {
                let qid = app.q.questions[row.qidx].id.clone();
                jump(app, row.entity.clone(), qid);
            }
        }
        _ => {}
    }
    Vec::new()
}

fn export(app: &mut App, action: Action) -> Vec<Effect> {
    match action {
        Action::Cmd(cmd) if is_move(cmd) => {
            move_cursor(&mut app.export.cursor, Format::ALL.len(), cmd, app.page);
            Vec::new()
        }
        Action::Cmd(Cmd::Select) => vec![Effect::Export(
            Format::ALL[app.export.cursor.min(Format::ALL.len() - 1)],
        )],
        _ => Vec::new(),
    }
}

// ----- Modals --------------------------------------------------------------------------------

fn modal(app: &mut App, action: Action) -> Vec<Effect> {
    match action {
        Action::EditorKey(key) => {
            if let Some(Modal::Editor(ed)) = app.modal.as_mut() {
                ed.error = None;
                let ctrl = key
                    .modifiers
                    .contains(ratatui::crossterm::event::KeyModifiers::CONTROL);
                if ctrl && key.code == ratatui::crossterm::event::KeyCode::Char('u') {
                    // As in shells: Ctrl-U clears back to the start of the line.
                    ed.area.delete_line_by_head();
                } else {
                    ed.area.input(key);
                }
                if let EditTarget::Filter(ctx) = ed.target {
                    let text = ed.text();
                    set_filter(app, ctx, text);
                }
            }
            Vec::new()
        }
        Action::Paste(text) => {
            if let Some(Modal::Editor(ed)) = app.modal.as_mut() {
                // Single-line inputs take a pasted paragraph as one line.
                let text = if ed.multiline {
                    text.replace("\r\n", "\n").replace('\r', "\n")
                } else {
                    text.replace(['\r', '\n'], " ")
                };
                ed.area.insert_str(super::widgets::clean_multiline(&text));
                if let EditTarget::Filter(ctx) = ed.target {
                    let t = ed.text();
                    set_filter(app, ctx, t);
                }
            }
            Vec::new()
        }
        Action::EditorCommit => editor_done(app, true, false),
        Action::EditorClose => editor_done(app, false, false),
        Action::ConfirmYes => confirm(app),
        Action::ConfirmNo => {
            app.modal = None;
            app.info("Nothing removed.");
            Vec::new()
        }
        Action::Cmd(cmd) => match app.modal.as_mut() {
            Some(Modal::Help { scroll }) => {
                match cmd {
                    Cmd::Up => *scroll = scroll.saturating_sub(1),
                    Cmd::Down => *scroll = scroll.saturating_add(1),
                    Cmd::PageUp => *scroll = scroll.saturating_sub(10),
                    Cmd::PageDown => *scroll = scroll.saturating_add(10),
                    _ => app.modal = None,
                }
                Vec::new()
            }
            Some(Modal::Kind { .. }) => kind_modal(app, cmd, None),
            Some(Modal::Links { .. }) => links_modal(app, cmd),
            _ => Vec::new(),
        },
        Action::Pick(n) => match app.modal {
            Some(Modal::Kind { .. }) => kind_modal(app, Cmd::Pick, Some(n)),
            _ => Vec::new(),
        },
        Action::Redraw => Vec::new(),
    }
}

fn set_filter(app: &mut App, ctx: Ctx, text: String) {
    match ctx {
        Ctx::Start => {
            app.start.filter = text;
            app.start.cursor = 0;
        }
        Ctx::Review => {
            app.review.filter = text;
            app.review.cursor = 0;
        }
        _ => {
            app.rec.filter = text;
            app.rec.cursor = 0;
        }
    }
}

fn kind_modal(app: &mut App, cmd: Cmd, pick: Option<usize>) -> Vec<Effect> {
    let Some(Modal::Kind { identity, cursor }) = app.modal.as_mut() else {
        return Vec::new();
    };
    let Some(kq) = app.q.identity_kind_question() else {
        app.modal = None;
        return Vec::new();
    };
    let n = kq.choices.len();
    match cmd {
        Cmd::Up | Cmd::Down | Cmd::Top | Cmd::Bottom => {
            move_cursor(cursor, n, cmd, 10);
            Vec::new()
        }
        Cmd::Back => {
            app.modal = None;
            Vec::new()
        }
        Cmd::Select | Cmd::Toggle | Cmd::Pick => {
            let row = match pick {
                Some(p) if p >= 1 && p <= n => p - 1,
                Some(_) => return Vec::new(),
                None => *cursor,
            };
            let Some(choice) = kq.choices.get(row) else {
                return Vec::new();
            };
            let (identity, value) = (identity.clone(), Value::Text(choice.id.clone()));
            let label = choice.label.clone();
            let Some(qi) = app.q.question_index(&kq.id.clone()) else {
                return Vec::new();
            };
            app.modal = None;
            let fx = set_value(app, &EntityId::Identity(identity), qi, value);
            if !fx.is_empty() {
                app.info(format!("Kind: {label}"));
            }
            fx
        }
        _ => Vec::new(),
    }
}

fn links_modal(app: &mut App, cmd: Cmd) -> Vec<Effect> {
    let Some(Modal::Links { identity, cursor }) = app.modal.as_mut() else {
        return Vec::new();
    };
    let Some(w) = app.work.as_mut() else {
        return Vec::new();
    };
    let n = w.session.systems.len();
    match cmd {
        Cmd::Up | Cmd::Down | Cmd::Top | Cmd::Bottom => {
            move_cursor(cursor, n, cmd, 10);
            Vec::new()
        }
        Cmd::Back => {
            app.modal = None;
            Vec::new()
        }
        Cmd::Select | Cmd::Toggle => {
            let Some(sys) = w.session.systems.get(*cursor) else {
                return Vec::new();
            };
            let (sid, name) = (sys.id.clone(), sys.name.clone());
            let linked = w.session.toggle_link(identity, &sid, Utc::now());
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

fn confirm(app: &mut App) -> Vec<Effect> {
    let Some(Modal::Confirm { on_yes, .. }) = app.modal.take() else {
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

/// Closes the editor, keeping its text. `go_on`: Enter on an answer also moves to the next
/// question. `quitting`: an answer that does not parse is kept as a note rather than refused.
fn editor_done(app: &mut App, go_on: bool, quitting: bool) -> Vec<Effect> {
    let Some(Modal::Editor(ed)) = app.modal.take() else {
        return Vec::new();
    };
    let text = ed.text();
    let line = super::widgets::clean(text.trim());
    let now = Utc::now();
    match ed.target.clone() {
        EditTarget::Filter(ctx) => {
            set_filter(app, ctx, line);
            Vec::new()
        }
        EditTarget::NewWorkshop => {
            if line.is_empty() && !quitting {
                app.modal = Some(Modal::Editor(Box::new(Editor {
                    error: Some("Type the organisation's name (it can be changed later).".into()),
                    ..*ed
                })));
                return Vec::new();
            }
            if quitting {
                return Vec::new();
            }
            vec![Effect::Create {
                organisation: line,
                path: None,
            }]
        }
        EditTarget::OpenPath => {
            if line.is_empty() || quitting {
                return Vec::new();
            }
            vec![Effect::Open(expand_home(&line))]
        }
        EditTarget::AddSystem | EditTarget::AddIdentity => {
            if line.is_empty() {
                if !quitting {
                    app.info("Nothing added (no name given).");
                }
                return Vec::new();
            }
            let Some(w) = app.work.as_mut() else {
                return Vec::new();
            };
            let is_system = ed.target == EditTarget::AddSystem;
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
        EditTarget::Rename(e) => {
            let Some(w) = app.work.as_mut() else {
                return Vec::new();
            };
            if line.is_empty() {
                app.info("Name unchanged (a name cannot be empty).");
                return Vec::new();
            }
            w.session.rename(&e, &line, now);
            w.refresh(&app.q);
            vec![Effect::Save]
        }
        EditTarget::Field(field) => {
            let Some(w) = app.work.as_mut() else {
                return Vec::new();
            };
            let ws = &mut w.session.workshop;
            match field {
                DetailField::Organisation => ws.organisation = line,
                DetailField::Facilitator => ws.facilitator = line,
                DetailField::Participants => {
                    ws.participants = line
                        .split([',', ';'])
                        .map(str::trim)
                        .filter(|p| !p.is_empty())
                        .map(str::to_string)
                        .collect();
                }
                DetailField::Date if line.is_empty() => ws.date = None,
                DetailField::Date => match NaiveDate::parse_from_str(&line, "%Y-%m-%d") {
                    Ok(d) => ws.date = Some(d),
                    Err(_) if quitting => return Vec::new(),
                    Err(_) => {
                        let error = Some(format!(
                            "\"{line}\" is not a date: use YYYY-MM-DD, e.g. 2025-03-14"
                        ));
                        app.modal = Some(Modal::Editor(Box::new(Editor { error, ..*ed })));
                        return Vec::new();
                    }
                },
            }
            w.session.updated = now;
            if go_on && app.details + 1 < DETAIL_FIELDS.len() {
                app.details += 1;
            }
            vec![Effect::Save]
        }
        EditTarget::Note { entity, qid } => {
            let Some(w) = app.work.as_mut() else {
                return Vec::new();
            };
            let note = super::widgets::clean_multiline(text.trim_end());
            w.session.set_note(&qid, &entity, &note, now);
            w.refresh(&app.q);
            app.info(if note.trim().is_empty() {
                "Note removed."
            } else {
                "Note saved."
            });
            vec![Effect::Save]
        }
        EditTarget::Answer { entity, qid } => {
            answer_done(app, *ed, &entity, &qid, &line, go_on, quitting)
        }
    }
}

fn answer_done(
    app: &mut App,
    ed: Editor,
    e: &EntityId,
    qid: &str,
    line: &str,
    go_on: bool,
    quitting: bool,
) -> Vec<Effect> {
    let Some(qi) = app.q.question_index(qid) else {
        return Vec::new();
    };
    let kind = app.q.questions[qi].kind;
    if line.is_empty() {
        // An empty text box is no answer; anything previously saved stays as it was.
        return if go_on { step(app, 1) } else { Vec::new() };
    }
    let value = match kind {
        Kind::Number => match line.replace(',', ".").trim().parse::<f64>() {
            Ok(n) if n.is_finite() => Ok(Value::Number(n)),
            _ => Err(format!("\"{line}\" is not a number")),
        },
        Kind::Date => match NaiveDate::parse_from_str(line, "%Y-%m-%d") {
            Ok(_) => Ok(Value::Text(line.to_string())),
            Err(_) => Err(format!("\"{line}\" is not a date: use YYYY-MM-DD")),
        },
        _ if line.eq_ignore_ascii_case("unknown") => Ok(Value::Unknown),
        _ => Ok(Value::Text(line.to_string())),
    };
    match value {
        Ok(v) => {
            let fx = set_value(app, e, qi, v);
            if go_on { advance(app, fx) } else { fx }
        }
        Err(msg) if quitting => {
            // Never lose what was typed: keep it in the note.
            let Some(w) = app.work.as_mut() else {
                return Vec::new();
            };
            let old = w
                .answer(e, qid)
                .and_then(|a| a.note.clone())
                .unwrap_or_default();
            let sep = if old.is_empty() { "" } else { "\n" };
            w.session.set_note(
                qid,
                e,
                &format!("{old}{sep}Draft answer ({msg}): {line}"),
                Utc::now(),
            );
            vec![Effect::Save]
        }
        Err(msg) => {
            app.modal = Some(Modal::Editor(Box::new(Editor {
                error: Some(msg),
                ..ed
            })));
            Vec::new()
        }
    }
}

/// A paste outside an editor on a text question starts the answer with the pasted text.
fn paste_outside_editor(app: &mut App, text: &str) -> Vec<Effect> {
    if app.screen() != &Screen::Questions {
        return Vec::new();
    }
    let Some((e, _, question)) = app.current() else {
        return Vec::new();
    };
    if question.kind.is_choice() {
        return Vec::new();
    }
    let qid = question.id.clone();
    let text = super::widgets::clean(&text.replace(['\r', '\n'], " "));
    open_editor(
        app,
        EditTarget::Answer { entity: e, qid },
        "Answer (Enter: save and go on · Esc: save)",
        &text,
        false,
    );
    Vec::new()
}

fn expand_home(p: &str) -> PathBuf {
    match (p.strip_prefix("~/"), std::env::var_os("HOME")) {
        (Some(rest), Some(home)) => PathBuf::from(home).join(rest),
        _ => PathBuf::from(p),
    }
}
