//! App + action -> changed app + effects. No I/O here: saving, opening and exporting are
//! returned as [`Effect`]s for the loop in `mod.rs` to carry out, so all of this is testable.

use std::path::PathBuf;

use chrono::{NaiveDate, Utc};

use super::action::Action;
use super::app::{
    App, DETAIL_FIELDS, DetailField, EditTarget, Editor, HitList, Modal, Pane, Pending, Screen,
    SecretChoice, SecretField, StartRow, TABS,
};
use super::keymap::{Cmd, Ctx};
use crate::questionnaire::Kind;
use crate::report::wording;
use crate::session::{EntityId, Secrets, Value};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    /// Write the session file (atomically).
    Save,
    Create {
        organisation: String,
        path: Option<PathBuf>,
    },
    Open(PathBuf),
    /// Open a session without its lock (another socscope has it): nothing can be changed.
    OpenReadOnly(PathBuf),
    /// The session file is damaged: restore its backup (the damaged file is kept as
    /// `FILE.corrupt`, as `resume --from-backup` does), then open it.
    RestoreBackup(PathBuf),
    /// Re-read the list of saved sessions for the start screen.
    RefreshSessions,
    Export(Format),
    SetMouse(bool),
    /// Read a CSV of identities and show its column mapping and what importing it would do
    /// (nothing changes yet).
    ImportPreview {
        path: PathBuf,
    },
    /// List the other saved sessions and open the "Compare with another session" picker.
    ComparePicker,
    /// Read this session (never saved) and show what changed since it.
    Compare(PathBuf),
    /// Write the comparison shown as Markdown next to the session file.
    WriteChanges,
}

impl Effect {
    /// What to show while an effect that reads or computes a whole session runs (about a
    /// second for 10,000 identities), so the screen does not look frozen.
    pub fn busy(&self) -> Option<&'static str> {
        match self {
            Effect::Open(_) | Effect::OpenReadOnly(_) | Effect::RestoreBackup(_) => {
                Some("Opening the workshop…")
            }
            Effect::Export(_) => Some("Exporting…"),
            Effect::Compare(_) => Some("Comparing the two sessions…"),
            Effect::ComparePicker => Some("Reading the saved sessions…"),
            Effect::ImportPreview { .. } => Some("Reading the file…"),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Markdown,
    Json,
    /// The evidence plan as a Markdown checklist.
    EvidenceMarkdown,
    /// The evidence plan as JSON.
    EvidenceJson,
}

impl Format {
    pub const ALL: [Format; 4] = [
        Format::Markdown,
        Format::Json,
        Format::EvidenceMarkdown,
        Format::EvidenceJson,
    ];
    pub fn label(self) -> &'static str {
        match self {
            Format::Markdown => "Full report, Markdown (.md): for people",
            Format::Json => "Full report, JSON (.json): for tools",
            Format::EvidenceMarkdown => {
                "Evidence plan checklist, Markdown (-evidence.md): for control owners"
            }
            Format::EvidenceJson => "Evidence plan, JSON (-evidence.json): for trackers",
        }
    }
    pub fn extension(self) -> &'static str {
        match self {
            Format::Markdown | Format::EvidenceMarkdown => "md",
            Format::Json | Format::EvidenceJson => "json",
        }
    }
    /// What goes between the session file's stem and the extension.
    pub fn suffix(self) -> &'static str {
        match self {
            Format::Markdown | Format::Json => "",
            Format::EvidenceMarkdown | Format::EvidenceJson => "-evidence",
        }
    }
}

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
            refuse_read_only(app);
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
            app.questions.jumped = false;
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
            Screen::Changes => super::changes::update(app, action),
        },
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
            if app.start.cursor == i {
                return start(app, select);
            }
            app.start.cursor = i;
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
                return inventory(app, select);
            }
            *current = idx;
            app.inventory.pane = pane;
        }
        HitList::Choices => {
            if app.questions.cursor == i {
                let multi = app.current().is_some_and(|(_, _, q)| q.kind == Kind::Multi);
                return questions(
                    app,
                    if multi {
                        Action::Cmd(Cmd::Toggle)
                    } else {
                        select
                    },
                );
            }
            app.questions.cursor = i;
        }
        HitList::Decisions => {
            if app.rec.cursor == i {
                return recommendation(app, select);
            }
            app.rec.cursor = i;
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
            if app.decision_cursor == i {
                return decision(app, &id, select);
            }
            app.decision_cursor = i;
        }
        HitList::Review => {
            if app.review.cursor == i {
                return review(app, select);
            }
            app.review.cursor = i;
        }
        HitList::Export => {
            if app.export.cursor == i {
                return export(app, select);
            }
            app.export.cursor = i;
        }
    }
    Vec::new()
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
        if app.stack.pop() == Some(Screen::Questions) {
            app.questions.jumped = false;
        }
        app.ensure_question();
        if let Screen::Decision(id) = app.screen().clone() {
            if let Some(w) = app.work.as_mut() {
                w.ensure_sensitivity(&app.q, &id);
            }
            refocus_decision(app, &id);
            // Say what the change did to the decision the jump came from.
            if let (Some(before), Some(d)) = (app.decision_outcome.take(), app.decision(&id)) {
                let now = format!(
                    "{}{}",
                    d.outcome,
                    if d.provisional { " (provisional)" } else { "" }
                );
                let mut msg = if now != before {
                    format!("Changed: now {now} (was {before})")
                } else {
                    format!("Unchanged: still {now}")
                };
                // The same answer can move other report-level decisions: name them too.
                let before_all = std::mem::take(&mut app.report_before);
                let others: Vec<String> = app
                    .work
                    .as_ref()
                    .map(|w| {
                        w.rec
                            .decisions
                            .iter()
                            .filter(|x| x.id.to_string() != id)
                            .filter_map(|x| {
                                let title = x.title();
                                let now = x.outcome.to_string();
                                let (_, was) = before_all.iter().find(|(t, _)| *t == title)?;
                                (*was != now).then(|| format!("{title}: {now}"))
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                if !others.is_empty() {
                    msg.push_str(&format!("; also {}", others.join("; ")));
                }
                app.info(msg);
            }
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
    let saved = w.path().display().to_string();
    let read_only = w.read_only();
    app.work = None;
    app.stack = vec![Screen::Start];
    app.start.cursor = 1;
    app.info(if read_only {
        format!("Closed {saved} (open read-only: nothing was changed)")
    } else {
        format!("Saved to {saved}")
    });
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
    if app.work.as_ref().is_some_and(|w| !w.read_only()) {
        effects.push(Effect::Save);
    }
    effects
}

fn read_only(app: &App) -> bool {
    app.work.as_ref().is_some_and(|w| w.read_only())
}

/// Says why an edit was not made in a read-only workshop.
fn refuse_read_only(app: &mut App) -> Vec<Effect> {
    app.error("READ-ONLY: nothing changed. Viewing, the recommendation and export work.");
    Vec::new()
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
                // An unreadable one too: opening it says why, and offers its backup if readable.
                Some(StartRow::Session(i)) => match app.start.sessions.get(*i) {
                    Some(info) => vec![Effect::Open(info.path.clone())],
                    None => Vec::new(),
                },
                None => Vec::new(),
            }
        }
        // Opens the highlighted workshop, then the picker of sessions to compare it with.
        Action::Cmd(Cmd::Compare) => {
            match rows.get(app.start.cursor.min(rows.len().saturating_sub(1))) {
                Some(StartRow::Session(i)) => match app.start.sessions.get(*i) {
                    Some(info) if info.error.is_none() => {
                        vec![Effect::Open(info.path.clone()), Effect::ComparePicker]
                    }
                    _ => start(app, Action::Cmd(Cmd::Select)),
                },
                _ => {
                    app.info("Highlight a saved workshop first: c compares it with another one.");
                    Vec::new()
                }
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
        Action::Cmd(Cmd::Select) if read_only(app) => refuse_read_only(app),
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
fn move_visible(current: &mut usize, visible: &[usize], cmd: Cmd, page: usize) {
    if visible.is_empty() {
        return;
    }
    let mut at = visible.iter().position(|&i| i >= *current).unwrap_or(0);
    move_cursor(&mut at, visible.len(), cmd, page);
    *current = visible[at];
}

fn inventory(app: &mut App, action: Action) -> Vec<Effect> {
    let Some(w) = &app.work else {
        return Vec::new();
    };
    let n_sys = w.session.systems.len();
    let edits = matches!(
        action,
        Action::Cmd(Cmd::Add | Cmd::Rename | Cmd::Remove | Cmd::Kind | Cmd::Links | Cmd::Import)
    );
    if edits && w.read_only() {
        return refuse_read_only(app);
    }
    match action {
        Action::Cmd(cmd) if is_move(cmd) => {
            match app.inventory.pane {
                Pane::Systems => {
                    let v = app.visible_systems();
                    move_visible(&mut app.inventory.system, &v, cmd, app.page);
                }
                Pane::Identities => {
                    let v = app.visible_identities();
                    move_visible(&mut app.inventory.identity, &v, cmd, app.page);
                }
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
        Action::Cmd(Cmd::Filter) => {
            let f = app.inventory.filter.clone();
            open_editor(
                app,
                EditTarget::Filter(Ctx::Inventory),
                "Filter systems and identities by name or kind",
                &f,
                false,
            );
            Vec::new()
        }
        Action::Cmd(Cmd::Import) => {
            open_editor(
                app,
                EditTarget::ImportPath,
                "Import identities from a CSV file: path",
                "",
                false,
            );
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

/// Focuses one question to change its answer (from a rationale or the review): answering it
/// stays there, and Esc goes back to where the jump came from.
fn jump_to_change(app: &mut App, e: EntityId, qid: String) {
    jump(app, e, qid);
    app.questions.jumped = true;
}

/// Focuses a question and shows it; Esc comes back here.
fn jump(app: &mut App, e: EntityId, qid: String) {
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
    let edits = match action {
        Action::Cmd(Cmd::Unknown | Cmd::ClearAnswer | Cmd::Note) => true,
        Action::Pick(_) | Action::TypeStart(_) => true,
        Action::Cmd(Cmd::Toggle) => kind.is_choice(),
        // Enter on a ticked list only moves on; everywhere else it answers or opens the box.
        Action::Cmd(Cmd::Select) => !(kind == Kind::Multi && app.questions.cursor < n_choices),
        _ => false,
    };
    if edits && read_only(app) {
        return refuse_read_only(app);
    }
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
            open_answer_editor(app, e, qid, kind, None);
            Vec::new()
        }
        Action::TypeStart(c) if !kind.is_choice() => {
            open_answer_editor(app, e, qid, kind, Some(c));
            Vec::new()
        }
        _ => Vec::new(),
    }
}

/// Opens the text box of a typed question, with its current answer, or (when typing started
/// on the question itself) with the first character typed.
fn open_answer_editor(app: &mut App, e: EntityId, qid: String, kind: Kind, first: Option<char>) {
    let text = match first {
        Some(c) => c.to_string(),
        None => match app
            .work
            .as_ref()
            .and_then(|w| w.answer(&e, &qid))
            .map(|a| &a.value)
        {
            Some(Value::Text(t)) => t.clone(),
            Some(Value::Number(n)) => crate::session::format_number(*n),
            _ => String::new(),
        },
    };
    let title = match kind {
        Kind::Number => "Answer: a number",
        Kind::Date => "Answer: a date, YYYY-MM-DD",
        _ => "Answer",
    };
    open_editor(
        app,
        EditTarget::Answer { entity: e, qid },
        title,
        &text,
        false,
    );
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
                let ticked = match app
                    .work
                    .as_ref()
                    .and_then(|w| w.answer(e, &question.id))
                    .map(|a| &a.value)
                {
                    Some(Value::List(l)) => l.clone(),
                    _ => Vec::new(),
                };
                Value::List(question.toggle(&ticked, &id))
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
    let qid = question.id.clone();
    // What was typed, held (in memory only) in case it is redacted and kept on purpose.
    let typed = match (&value, question.kind) {
        (Value::Text(t), Kind::Text) => Some(t.clone()),
        _ => None,
    };
    let systems_before = w.session.systems.len();
    match w.session.set_answer(question, e, value, Utc::now()) {
        Ok(findings) => {
            let created: Vec<String> = w.session.systems[systems_before..]
                .iter()
                .map(|x| crate::text::clean(&x.name))
                .collect();
            w.refresh(&app.q);
            app.ensure_question();
            if !created.is_empty() {
                let names: Vec<&str> = created.iter().map(String::as_str).collect();
                app.notice(crate::report::wording::created_systems(&names));
            }
            if !findings.is_empty() {
                app.error(crate::secrets::warning(&findings));
                if let Some(typed) = typed {
                    offer_keep_as_typed(app, e, qid, SecretField::Answer, typed, &findings);
                }
            }
            vec![Effect::Save]
        }
        Err(msg) => {
            app.error(msg);
            Vec::new()
        }
    }
}

/// After an answer is saved: on to the next visible question (which may have just appeared).
/// Within a section that is simply the next one; when the section ends, it is the next question
/// still unanswered (wrapping round), so answered sections are not walked through again. After a
/// jump to change one answer, it stays put: Esc goes back to the rationale or review.
/// A warning given with an answer (e.g. a redacted secret) outlives the messages of moving on.
fn advance(app: &mut App, fx: Vec<Effect>) -> Vec<Effect> {
    let warning = app.status.take_if(|(kind, _)| {
        matches!(
            kind,
            super::app::StatusKind::Error | super::app::StatusKind::Notice
        )
    });
    let fx = advance_after_save(app, fx);
    if warning.is_some() {
        app.status = warning;
    }
    fx
}

fn advance_after_save(app: &mut App, mut fx: Vec<Effect>) -> Vec<Effect> {
    if !fx.contains(&Effect::Save) {
        return fx;
    }
    if app.questions.jumped {
        let back = match app.stack.len().checked_sub(2).map(|i| &app.stack[i]) {
            Some(Screen::Decision(_)) => "the rationale",
            Some(Screen::Review) => "the review",
            _ => "where you were",
        };
        app.info(format!("Saved. Esc goes back to {back}; → goes on."));
        return fx;
    }
    let Some(w) = &app.work else { return fx };
    let Some((e, qid)) = app.questions.at.clone() else {
        return fx;
    };
    let seq = w.sequence();
    let Some(pos) = seq
        .iter()
        .position(|(se, qi)| *se == e && app.q.questions[*qi].id == qid)
    else {
        return fx;
    };
    let next = seq.get(pos + 1);
    let section_ends = next.is_none_or(|(ne, _)| *ne != e);
    let next_open = |(se, qi): &&(EntityId, usize)| w.unanswered(se, &app.q.questions[*qi].id);
    if section_ends && !next.is_some_and(|n| next_open(&n)) {
        let open = seq[pos + 1..]
            .iter()
            .chain(seq[..pos].iter())
            .find(next_open)
            .cloned();
        match open {
            Some((ne, nqi)) => {
                let label = w.section_label(&ne);
                let name = w.session.entity_name(&ne);
                app.info(if ne == EntityId::Engagement {
                    "Now: the next unanswered engagement question".to_string()
                } else {
                    format!("Now: the next unanswered question · {label} · {name}")
                });
                app.questions.at = Some((ne, app.q.questions[nqi].id.clone()));
                app.reset_cursor();
                return fx;
            }
            None if next.is_none() => {
                app.info("Every question is answered: r shows the recommendation.");
                return fx;
            }
            None => {}
        }
    }
    fx.extend(step(app, 1));
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
        app.info("Last question. r: recommendation · v: review · Tab: more screens");
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
    app.questions.jumped = false;
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
    let ids: Vec<String> = app.decisions().iter().map(|d| d.id.to_string()).collect();
    match action {
        Action::Cmd(cmd) if is_move(cmd) => {
            move_cursor(&mut app.rec.cursor, ids.len(), cmd, app.page);
        }
        Action::Cmd(Cmd::Compare) => return vec![Effect::ComparePicker],
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
            if let Some(id) = ids.get(app.rec.cursor).cloned() {
                if let Some(w) = app.work.as_mut() {
                    w.ensure_sensitivity(&app.q, &id);
                }
                let d = app.detail_lines(&id);
                app.decision_cursor = d.iter().position(|l| l.jump.is_some()).unwrap_or(0);
                app.decision_target = None;
                app.stack.push(Screen::Decision(id));
            }
        }
        _ => {}
    }
    Vec::new()
}

/// Back on a drill-down after a jump: the same line again if it is still there (an answer
/// change can add or remove lines above it), else the first line with the same question.
fn refocus_decision(app: &mut App, id: &str) {
    let lines = app.detail_lines(id);
    let Some(target) = app.decision_target.clone() else {
        return;
    };
    let same = |i: usize| lines.get(i).and_then(|l| l.jump.as_ref()) == Some(&target);
    if same(app.decision_cursor) {
        return;
    }
    if let Some(i) = (0..lines.len()).find(|&i| same(i)) {
        app.decision_cursor = i;
        return;
    }
    // The line is gone: the nearest line with a jump at or after where it was, else the first.
    let jumpable = |i: &usize| lines[*i].jump.is_some();
    app.decision_cursor = (app.decision_cursor..lines.len())
        .find(jumpable)
        .or_else(|| (0..lines.len()).find(jumpable))
        .unwrap_or(0);
}

fn decision(app: &mut App, id: &str, action: Action) -> Vec<Effect> {
    let lines = app.detail_lines(id);
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
            Some((e, qid)) => {
                app.decision_target = Some((e.clone(), qid.clone()));
                app.decision_outcome = app.decision(id).map(wording::outcome_state);
                app.report_before = app
                    .work
                    .as_ref()
                    .map(|w| {
                        w.rec
                            .decisions
                            .iter()
                            .map(|x| (x.title(), x.outcome.to_string()))
                            .collect()
                    })
                    .unwrap_or_default();
                // From a flip, the cursor lands on the choice the flip suggests.
                let suggested = flip_choice(app, id, &lines, app.decision_cursor);
                jump_to_change(app, e.clone(), qid.clone());
                if let Some(row) = suggested
                    && app.questions.at == Some((e, qid))
                {
                    app.questions.cursor = row;
                }
            }
            None => app.info(
                "Nothing to jump to: this decision has no triggering answers or open questions.",
            ),
        },
        _ => {}
    }
    Vec::new()
}

/// The choice row a flip line suggests: the choice it picks, adds or removes.
fn flip_choice(
    app: &App,
    id: &str,
    lines: &[crate::tui::app::DetailLine],
    at: usize,
) -> Option<usize> {
    use crate::engine::Change;
    use crate::tui::app::LineStyle;
    if lines.get(at)?.style != LineStyle::Flip {
        return None;
    }
    // Flip lines are drawn in the order of the sensitivity's flips.
    let k = lines[..at]
        .iter()
        .filter(|l| l.style == LineStyle::Flip)
        .count();
    let flip = app.work.as_ref()?.cached_sensitivity(id)?.flips.get(k)?;
    let question = app.q.question(&flip.question)?;
    let by_label = |label: &str| question.choices.iter().position(|c| c.label == label);
    match (&flip.change, &flip.value) {
        (Change::Add { choice } | Change::Remove { choice }, _) => by_label(choice),
        (Change::Replace, Value::Text(v)) => question.choices.iter().position(|c| &c.id == v),
        (Change::Replace, Value::List(items)) => items
            .first()
            .and_then(|v| question.choices.iter().position(|c| &c.id == v)),
        _ => None,
    }
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
                jump_to_change(app, row.entity.clone(), qid);
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
        Action::ConfirmYes if matches!(app.modal, Some(Modal::Secret(_))) => keep_as_typed(app),
        Action::ConfirmNo if matches!(app.modal, Some(Modal::Secret(_))) => {
            if let Some(Modal::Secret(c)) = app.modal.take() {
                app.info(format!(
                    "Kept redacted: stored as {} (what was typed is not kept).",
                    c.stored
                ));
            }
            Vec::new()
        }
        Action::ConfirmYes if matches!(app.modal, Some(Modal::Locked { .. })) => {
            match app.modal.take() {
                Some(Modal::Locked { path, .. }) => vec![Effect::OpenReadOnly(path)],
                _ => Vec::new(),
            }
        }
        Action::ConfirmYes if matches!(app.modal, Some(Modal::Damaged { .. })) => {
            match app.modal.take() {
                Some(Modal::Damaged { path, .. }) => vec![Effect::RestoreBackup(path)],
                _ => Vec::new(),
            }
        }
        Action::ConfirmNo if matches!(app.modal, Some(Modal::Locked { .. })) => {
            if let Some(Modal::Locked { path, .. }) = app.modal.take() {
                app.info(format!("Not opened: {}", path.display()));
            }
            Vec::new()
        }
        Action::ConfirmNo if matches!(app.modal, Some(Modal::Damaged { .. })) => {
            if let Some(Modal::Damaged { path, .. }) = app.modal.take() {
                app.info(format!("Not opened: {} is left as it was", path.display()));
            }
            Vec::new()
        }
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
            Some(Modal::Error { .. }) => {
                if cmd == Cmd::Quit {
                    return quit(app);
                }
                app.modal = None;
                Vec::new()
            }
            Some(Modal::Kind { .. }) => kind_modal(app, cmd, None),
            Some(Modal::Links { .. }) => links_modal(app, cmd),
            Some(Modal::Compare(_)) => super::changes::picker(app, cmd),
            Some(Modal::Import(_)) => import_modal(app, cmd),
            _ => Vec::new(),
        },
        Action::Pick(n) => match app.modal {
            Some(Modal::Kind { .. }) => kind_modal(app, Cmd::Pick, Some(n)),
            _ => Vec::new(),
        },
        Action::Redraw | Action::TypeStart(_) | Action::Click { .. } => Vec::new(),
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
        Ctx::Inventory => {
            app.inventory.filter = text;
            let (sys, ids) = (app.visible_systems(), app.visible_identities());
            if !sys.contains(&app.inventory.system) {
                app.inventory.system = sys.first().copied().unwrap_or(0);
            }
            if !ids.contains(&app.inventory.identity) {
                app.inventory.identity = ids.first().copied().unwrap_or(0);
            }
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
                    app.modal = Some(Modal::Links {
                        identity,
                        cursor: 0,
                    });
                    app.info("Now tick the systems it can access (Space), then Esc.");
                }
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
        // Enter finishes, like a multiple-choice question; with nothing ticked yet it ticks the
        // highlighted system first, so one system is one key. (Space then Enter used to untick.)
        Cmd::Select => {
            let none_linked = w
                .session
                .identity(identity)
                .is_none_or(|i| i.systems.is_empty());
            let fx = if none_linked {
                links_modal(app, Cmd::Toggle)
            } else {
                Vec::new()
            };
            app.modal = None;
            fx
        }
        Cmd::Toggle => {
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

/// The import preview's keys (`Ctx::Import` in the keymap): ↑/↓ a column, ←/→ the field it
/// feeds, Bksp ignores it, `s` leaves the bad rows out; each change recomputes the dry run,
/// which PgUp/PgDn scroll. `y` imports it once it is valid; Esc cancels.
fn import_modal(app: &mut App, cmd: Cmd) -> Vec<Effect> {
    let Some(Modal::Import(p)) = app.modal.as_mut() else {
        return Vec::new();
    };
    let Some(w) = app.work.as_ref() else {
        app.modal = None;
        return Vec::new();
    };
    if p.help {
        // Any key closes the list of keys (q still quits).
        p.help = false;
        return Vec::new();
    }
    let said = match cmd {
        Cmd::Up | Cmd::Down | Cmd::Top | Cmd::Bottom => {
            move_cursor(&mut p.cursor, p.columns.len(), cmd, 10);
            None
        }
        Cmd::PageUp | Cmd::PageDown => {
            // A page is what was seen, less a line kept for context; never past the end.
            let (seen, max) = p.seen.get();
            let step = seen.saturating_sub(1).max(1);
            p.scroll = if cmd == Cmd::PageUp {
                p.scroll.saturating_sub(step)
            } else {
                p.scroll.saturating_add(step).min(max)
            };
            None
        }
        Cmd::Right | Cmd::Left => p
            .cycle(cmd == Cmd::Right, &app.q, &w.session)
            .map(|(column, field)| mapped(&column, field)),
        Cmd::IgnoreColumn => match p.columns.get(p.cursor).cloned() {
            Some(column) => {
                p.set(&column, None, &app.q, &w.session);
                Some(mapped(&column, None))
            }
            None => None,
        },
        Cmd::SkipBadRows if p.can_skip_bad_rows || p.skip_bad_rows => {
            p.skip_bad_rows = !p.skip_bad_rows;
            p.recompute(&app.q, &w.session);
            Some(if p.skip_bad_rows {
                "Previewing without the rows that cannot be read (s: with them)".to_string()
            } else {
                "Previewing with every row".to_string()
            })
        }
        Cmd::SkipBadRows => Some("No bad rows to leave out.".to_string()),
        Cmd::OverwriteLive if p.keeps_live || p.overwrite => {
            p.overwrite = !p.overwrite;
            p.recompute(&app.q, &w.session);
            Some(if p.overwrite {
                "The file's answers will replace those given in the workshop (o: keep them)"
                    .to_string()
            } else {
                "Answers given in the workshop are kept".to_string()
            })
        }
        Cmd::OverwriteLive => {
            Some("No answer given in the workshop differs from the file.".to_string())
        }
        Cmd::Help => {
            p.help = true;
            None
        }
        Cmd::Select => return import_confirmed(app),
        Cmd::Back => {
            app.modal = None;
            Some("Import cancelled: nothing changed.".to_string())
        }
        _ => None,
    };
    if let Some(m) = said {
        app.info(m);
    }
    Vec::new()
}

/// "Login Id" → name: what a column feeds now, for the status line.
fn mapped(column: &str, field: Option<crate::import::Field>) -> String {
    let column = super::widgets::clean(column);
    match field {
        Some(f) => format!(
            "Column \"{column}\" → {}; the preview is updated",
            f.label()
        ),
        None => format!("Column \"{column}\" is ignored; the preview is updated"),
    }
}

/// Applies a previewed import to the open workshop; the loop saves it atomically. Only a
/// valid preview is imported.
fn import_confirmed(app: &mut App) -> Vec<Effect> {
    let Some(Modal::Import(p)) = app.modal.take() else {
        return Vec::new();
    };
    let Some(plan) = p.plan else {
        let why = p
            .problem
            .clone()
            .unwrap_or_else(|| "the file cannot be imported as it is".into());
        app.modal = Some(Modal::Import(p));
        app.error(format!("Not imported: {why}"));
        return Vec::new();
    };
    let Some(w) = app.work.as_mut() else {
        return Vec::new();
    };
    let before = w.session.clone();
    let ids = crate::import::apply(&app.q, &plan, &mut w.session, Utc::now());
    if w.session == before {
        app.info("Nothing to change: the inventory already matches the file.");
        return Vec::new();
    }
    w.refresh(&app.q);
    if let Some(first) = ids.first() {
        app.inventory.pane = Pane::Identities;
        if let Some(i) = w.session.identities.iter().position(|x| &x.id == first) {
            app.inventory.identity = i;
        }
    }
    app.ensure_question();
    app.info(format!(
        "Imported {} identit{} from {} ({} answer(s) written).",
        plan.identities.len(),
        if plan.identities.len() == 1 {
            "y"
        } else {
            "ies"
        },
        p.path.display(),
        plan.answers_written()
    ));
    vec![Effect::Save]
}

/// After a redaction: asks whether to keep the text as typed instead (redacted stays the
/// default). The typed text stays in the dialog, in memory, until the choice is made.
fn offer_keep_as_typed(
    app: &mut App,
    e: &EntityId,
    qid: String,
    field: SecretField,
    typed: String,
    found: &[crate::secrets::Finding],
) {
    app.modal = Some(Modal::Secret(Box::new(SecretChoice::new(
        e.clone(),
        qid,
        field,
        typed,
        found,
    ))));
}

/// `y` in the secret dialog: stores the text as typed, marked `secret_override` (exports
/// still redact it).
fn keep_as_typed(app: &mut App) -> Vec<Effect> {
    let Some(Modal::Secret(c)) = app.modal.take() else {
        return Vec::new();
    };
    let SecretChoice {
        entity,
        qid,
        field,
        typed,
        kinds,
        ..
    } = *c;
    let Some(w) = app.work.as_mut() else {
        return Vec::new();
    };
    let now = Utc::now();
    let result = match field {
        SecretField::Answer => match app.q.question_index(&qid) {
            Some(qi) => w
                .session
                .set_answer_with(
                    &app.q.questions[qi],
                    &entity,
                    Value::Text(typed),
                    now,
                    Secrets::KeepAsTyped,
                )
                .map(|_| ()),
            None => Err(format!("no question `{qid}`")),
        },
        SecretField::Note => {
            w.session
                .set_note_with(&qid, &entity, &typed, now, Secrets::KeepAsTyped);
            Ok(())
        }
    };
    match result {
        Ok(()) => {
            w.refresh(&app.q);
            app.ensure_question();
            app.info(format!(
                "Kept as typed ({kinds}): saved in the session file, marked secret_override; \
                 exports still redact it."
            ));
            vec![Effect::Save]
        }
        Err(msg) => {
            app.error(msg);
            Vec::new()
        }
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
    // Names and workshop details have no "keep as typed": a secret in one is stored redacted,
    // and the status line says so.
    let named = matches!(
        ed.target,
        EditTarget::NewWorkshop
            | EditTarget::AddSystem
            | EditTarget::AddIdentity
            | EditTarget::Rename(_)
            | EditTarget::Field(_)
    );
    let (line, name_secrets) = if named {
        crate::secrets::redact(&line)
    } else {
        (line, Vec::new())
    };
    let now = Utc::now();
    // Esc on something not yet created (a new workshop, system, identity, a path, a rename) is
    // "cancel": nothing exists yet that could be lost.
    let cancellable = matches!(
        ed.target,
        EditTarget::NewWorkshop
            | EditTarget::OpenPath
            | EditTarget::AddSystem
            | EditTarget::AddIdentity
            | EditTarget::Rename(_)
            | EditTarget::ImportPath
            | EditTarget::ComparePath
    );
    if cancellable && !go_on && !quitting {
        app.info("Cancelled: nothing changed.");
        return Vec::new();
    }
    let fx = match ed.target.clone() {
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
        EditTarget::ComparePath => {
            if line.is_empty() || quitting {
                return Vec::new();
            }
            vec![Effect::Compare(expand_home(&line))]
        }
        EditTarget::ImportPath => {
            if line.is_empty() || quitting {
                return Vec::new();
            }
            vec![Effect::ImportPreview {
                path: expand_home(&line),
            }]
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
            w.session.rename_in(&app.q, &e, &line, now);
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
            let findings = w.session.set_note(&qid, &entity, &note, now);
            w.refresh(&app.q);
            app.info(if note.trim().is_empty() {
                "Note removed."
            } else {
                "Note saved."
            });
            if !findings.is_empty() {
                app.error(crate::secrets::warning(&findings));
                offer_keep_as_typed(app, &entity, qid, SecretField::Note, note, &findings);
            }
            vec![Effect::Save]
        }
        EditTarget::Answer { entity, qid } => {
            answer_done(app, *ed, &entity, &qid, &line, go_on, quitting)
        }
    };
    if !name_secrets.is_empty() && !fx.is_empty() {
        app.error(crate::secrets::warning(&name_secrets));
    }
    fx
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
    if read_only(app) {
        return refuse_read_only(app);
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
