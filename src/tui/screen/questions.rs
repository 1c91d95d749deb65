//! Questions: one question at a time with its choices, "why we ask", the note, progress, and
//! (on wide terminals) the live recommendation beside it. Answering, moving on and notes.

use chrono::Utc;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Wrap};

use crate::questionnaire::Kind;
use crate::session::{EntityId, Value};
use crate::tui::action::Action;
use crate::tui::app::{App, HitList, Modal, Screen, StatusKind};
use crate::tui::dialog::editor::{self, EditTarget, Editor};
use crate::tui::dialog::secret::{self, SecretField};
use crate::tui::keymap::{self, Cmd};
use crate::tui::list::{self, Look, Mode, Window};
use crate::tui::screen::{jump_to_entity, refuse_read_only};
use crate::tui::update::Effect;
use crate::tui::view::WIDE;
use crate::tui::widgets::{clean, marker, truncate, wrap};
use crate::workshop::answer;

/// Where the questions are.
#[derive(Default)]
pub struct QuestionsState {
    /// The focused question: entity and question id.
    pub at: Option<(EntityId, String)>,
    /// The choice list (the last row is "unknown").
    pub(crate) choices: Window,
    /// "Why we ask", scrolled.
    pub(crate) help: Window,
    /// Reached by a jump from a rationale or the review to change one answer: answering stays
    /// here (Esc goes back) instead of moving on.
    pub(crate) jumped: bool,
    /// Rows of "why we ask" as last drawn, so PgUp/PgDn know how far it goes.
    pub(crate) help_rows: usize,
    /// The choice cursor was moved on this question: Enter then chooses where it is. On an
    /// unanswered question it starts on the first choice, and Enter there alone answers
    /// nothing (QA: Enter to go on after a note recorded "Yes" without anyone choosing it).
    pub(crate) moved: bool,
}

pub(crate) fn update(app: &mut App, action: Action) -> Vec<Effect> {
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
        Action::Cmd(Cmd::Select) => {
            !(kind == Kind::Multi && app.questions.choices.cursor < n_choices)
        }
        _ => false,
    };
    if edits && app.read_only() {
        return refuse_read_only(app);
    }
    match action {
        // A typed question has no choices: the keys move through "why we ask".
        Action::Cmd(cmd @ (Cmd::Up | Cmd::Down | Cmd::Top | Cmd::Bottom)) if !kind.is_choice() => {
            let n = app.questions.help_rows;
            app.questions.help.scroll(cmd, n);
            Vec::new()
        }
        // End is the last choice; "unknown" is one more ↓ below it.
        Action::Cmd(Cmd::Bottom) if kind.is_choice() => {
            app.questions.choices.cursor = n_choices.saturating_sub(1);
            app.questions.moved = true;
            Vec::new()
        }
        Action::Cmd(cmd @ (Cmd::Up | Cmd::Down | Cmd::Top | Cmd::Bottom)) => {
            // On an unanswered question no choice is highlighted yet: ↓ or ↑ highlights the
            // first one, where the cursor already is.
            if app.questions.moved || !unchosen(app, &e, &qid, kind) {
                app.questions.choices.select(cmd, rows);
            }
            app.questions.moved = true;
            Vec::new()
        }
        Action::Cmd(cmd @ (Cmd::PageUp | Cmd::PageDown)) => {
            let n = app.questions.help_rows;
            app.questions.help.scroll(cmd, n);
            Vec::new()
        }
        Action::Cmd(Cmd::PrevQuestion) => step(app, -1),
        Action::Cmd(Cmd::NextQuestion) => step(app, 1),
        Action::Cmd(Cmd::NextUnanswered) => next_unanswered(app),
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
            w.refresh_answer(&app.q, &e);
            app.ensure_question();
            app.info("Answer cleared.");
            vec![Effect::Save]
        }
        Action::Cmd(Cmd::Note) => {
            let note = app
                .work
                .as_ref()
                .and_then(|w| w.session.note(&e, &qid))
                .unwrap_or_default()
                .to_string();
            let title = "Note on this answer (Enter: new line · Esc or Ctrl-S: done)";
            editor::open(app, EditTarget::Note { entity: e, qid }, title, &note, true);
            Vec::new()
        }
        Action::Pick(n) if kind.is_choice() => {
            if n == 0 || n > n_choices {
                let last = keymap::choice_key(n_choices.saturating_sub(1)).unwrap_or('9');
                app.info(format!(
                    "No choice has that key: the keys are 1 to {last}, shown beside each choice; u is unknown."
                ));
                return Vec::new();
            }
            app.questions.choices.cursor = n - 1;
            choose(app, &e, qi, n - 1, kind != Kind::Multi)
        }
        Action::Cmd(Cmd::Toggle) if kind.is_choice() => {
            let row = app.questions.choices.cursor;
            choose(app, &e, qi, row, false)
        }
        Action::Cmd(Cmd::Select) if kind == Kind::Multi => {
            if app.questions.choices.cursor >= n_choices {
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
            if unchosen(app, &e, &qid, kind) {
                let last = keymap::choice_key(n_choices.saturating_sub(1)).unwrap_or('9');
                app.info(format!(
                    "Not answered yet: press a choice's key (1 to {last}), or ↓ to it and Enter; \
                     u unknown, → skips"
                ));
                return Vec::new();
            }
            let row = app.questions.choices.cursor;
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

/// A single-choice question not answered, whose cursor nobody has moved: no choice is
/// highlighted and Enter answers nothing.
fn unchosen(app: &App, e: &EntityId, qid: &str, kind: Kind) -> bool {
    kind.is_choice()
        && kind != Kind::Multi
        && !app.questions.moved
        && app.work.as_ref().and_then(|w| w.answer(e, qid)).is_none()
}

/// Opens the text box of a typed question, with its current answer, or (when typing started
/// on the question itself) with the first character typed.
fn open_answer_editor(app: &mut App, e: EntityId, qid: String, kind: Kind, first: Option<char>) {
    let saved = match app
        .work
        .as_ref()
        .and_then(|w| w.answer(&e, &qid))
        .map(|a| &a.value)
    {
        Some(Value::Unknown) => Some("unknown".to_string()),
        Some(v) => Some(crate::session::value_text(v)),
        None => None,
    };
    let (text, replaces) = match first {
        // Typing on an answered question starts a new answer, which Esc cancels.
        Some(c) => (c.to_string(), saved),
        // Opened to edit, the box shows the answer (not the word "unknown" to type over).
        None => match app
            .work
            .as_ref()
            .and_then(|w| w.answer(&e, &qid))
            .map(|a| &a.value)
        {
            Some(Value::Unknown) | None => (String::new(), None),
            Some(_) => (saved.unwrap_or_default(), None),
        },
    };
    let title = match (&replaces, kind) {
        (Some(old), _) => format!("New answer, replacing \"{}\"", clean(old)),
        (None, Kind::Number) => "Answer: a number".to_string(),
        (None, Kind::Date) => "Answer: a date, YYYY-MM-DD".to_string(),
        (None, _) => "Answer".to_string(),
    };
    editor::open(
        app,
        EditTarget::Answer { entity: e, qid },
        &title,
        &text,
        false,
    );
    if let Some(Modal::Editor(ed)) = app.modal.as_mut() {
        ed.replaces = replaces;
    }
}

/// Quitting with a box typed over a saved answer: the answer stays, and what was typed is kept
/// in the note as a draft, so neither is lost.
pub(crate) fn keep_draft(
    app: &mut App,
    e: &EntityId,
    qid: &str,
    line: &str,
    old: &str,
) -> Vec<Effect> {
    if line == old {
        return Vec::new();
    }
    add_draft(
        app,
        e,
        qid,
        &format!("typed over \"{old}\", not saved"),
        line,
    )
}

/// What was typed, kept in the question's note (after any note already there, answered or
/// not) when it cannot become the answer: on quitting, nothing typed is lost.
fn add_draft(app: &mut App, e: &EntityId, qid: &str, why: &str, line: &str) -> Vec<Effect> {
    let Some(w) = app.work.as_mut() else {
        return Vec::new();
    };
    let note = w.session.note(e, qid).unwrap_or_default().to_string();
    let sep = if note.is_empty() { "" } else { "\n" };
    let text = format!("{note}{sep}Draft answer ({why}): {line}");
    w.session.set_note(qid, e, &text, Utc::now());
    vec![Effect::Save]
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

/// Records an answer; the one place the app's answers are set (then `Workshop::refresh`).
pub(crate) fn set_value(app: &mut App, e: &EntityId, qi: usize, value: Value) -> Vec<Effect> {
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
    let known = match (&value, &question.creates, e) {
        (Value::Text(t), Some(_), EntityId::System(sid)) => w.session.known_as(t, sid),
        _ => Vec::new(),
    };
    match w.session.set_answer(question, e, value, Utc::now()) {
        Ok(findings) => {
            let created: Vec<String> = w.session.systems[systems_before..]
                .iter()
                .map(|x| crate::text::clean(&x.name))
                .collect();
            // A naming answer can add systems and pre-fill other systems' answers.
            if question.creates.is_some() {
                w.refresh(&app.q);
            } else {
                w.refresh_answer(&app.q, e);
            }
            app.ensure_question();
            let mut said = Vec::new();
            if !known.is_empty() {
                let clean = |t: &str| crate::text::clean(t);
                let known: Vec<_> = known.iter().map(|(a, b)| (clean(a), clean(b))).collect();
                said.push(crate::report::wording::known_systems(&known));
            }
            if !created.is_empty() {
                let names: Vec<&str> = created.iter().map(String::as_str).collect();
                said.push(crate::report::wording::created_systems(&names));
            }
            if !said.is_empty() {
                app.notice(said.join(" · "));
            }
            if !findings.is_empty() {
                app.error(crate::secrets::warning(&findings));
                if let Some(typed) = typed {
                    secret::offer(app, e, qid, SecretField::Answer, typed, &findings);
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
/// A warning or notice given with an answer (a redacted secret, a provider added) outlives the
/// messages of moving on.
fn advance(app: &mut App, fx: Vec<Effect>) -> Vec<Effect> {
    let warning = app
        .status
        .take_if(|(kind, _)| matches!(kind, StatusKind::Error | StatusKind::Notice));
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
    let Some(pos) = app.q.question_index(&qid).and_then(|qi| w.position(&e, qi)) else {
        return fx;
    };
    let next = seq.get(pos + 1);
    let section_ends = next.is_none_or(|(ne, _)| *ne != e);
    let next_open = next.is_some_and(|(se, qi)| answer::unanswered(&app.q, &w.session, se, *qi));
    if section_ends && !next_open {
        // The order plain mode asks in: the next unanswered question, wrapping round.
        let found = answer::next_unanswered(&app.q, &w.session, seq, pos + 1);
        if found.is_some() || next.is_none() {
            go_to_found(app, found);
            return fx;
        }
    }
    fx.extend(step(app, 1));
    fx
}

/// Moves to position `found` of the asking order (the next unanswered question) and says
/// where; says what is left when there is none. Where saving goes at the end of a section, and
/// the "next unanswered" key.
fn go_to_found(app: &mut App, found: Option<usize>) {
    let Some(w) = &app.work else { return };
    let seq = w.sequence();
    match found {
        Some(i) => {
            let (ne, nqi) = seq[i].clone();
            app.info(if ne == EntityId::Engagement {
                "Now: the next unanswered engagement question".to_string()
            } else {
                format!(
                    "Now: the next unanswered question · {} · {}",
                    w.section_label(&ne),
                    w.session.entity_name(&ne)
                )
            });
            app.questions.at = Some((ne, app.q.questions[nqi].id.clone()));
            app.questions.jumped = false;
            app.reset_cursor();
        }
        None => {
            let follow = w.could_follow();
            app.info(if follow > 0 {
                format!(
                    "Every question shown is answered, but {follow} more may follow once \
                     unknown answers are settled (v then f lists them). r: recommendation"
                )
            } else {
                "Every question is answered: r shows the recommendation.".to_string()
            });
        }
    }
}

/// The "next unanswered" key: from the question after the current one.
fn next_unanswered(app: &mut App) -> Vec<Effect> {
    let Some(w) = &app.work else {
        return Vec::new();
    };
    let pos = app
        .questions
        .at
        .as_ref()
        .and_then(|(e, qid)| w.position(e, app.q.question_index(qid)?));
    let found = answer::next_unanswered(&app.q, &w.session, w.sequence(), pos.map_or(0, |p| p + 1));
    // "Next" means after this one: say so when this one is left open (QA: it looked skipped).
    let left_open = app
        .questions
        .at
        .as_ref()
        .is_some_and(|(e, qid)| w.answer(e, qid).is_none());
    go_to_found(app, found);
    if left_open
        && found.is_some()
        && let Some((_, msg)) = &app.status
    {
        let msg =
            format!("{msg} (the one you left is still unanswered: N comes round to it again)");
        app.info(msg);
    }
    Vec::new()
}

pub(crate) fn step(app: &mut App, dir: i64) -> Vec<Effect> {
    let Some(w) = &app.work else {
        return Vec::new();
    };
    let seq = w.sequence();
    let Some((e, qid)) = app.questions.at.clone() else {
        return Vec::new();
    };
    let Some(pos) = app.q.question_index(&qid).and_then(|qi| w.position(&e, qi)) else {
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
    // The next section with a question shown, from where each entity's questions start in
    // the kept sequence: no pass over the sequence at 10,000 identities.
    let Some(target) = w.next_section(e, dir) else {
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

/// The answer box kept: parsed as plain mode parses it (`workshop::answer::parse`).
pub(crate) fn answer_done(
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
    if line.is_empty() {
        // An empty text box is no answer; anything previously saved stays as it was.
        return if go_on { step(app, 1) } else { Vec::new() };
    }
    match answer::parse(&app.q.questions[qi], line) {
        Ok(v) => {
            let fx = set_value(app, e, qi, v);
            if go_on { advance(app, fx) } else { fx }
        }
        // Never lose what was typed: keep it in the note.
        Err(msg) if quitting => add_draft(app, e, qid, &msg, line),
        Err(msg) => {
            // Esc saves; on text that cannot be saved it says so, and a second Esc on the same
            // text leaves the box with the answer as it was (QA: a stray "x" on a number
            // question could not be left any other way).
            let msg = if go_on {
                msg
            } else {
                format!("{msg} (Esc again: leave it unsaved)")
            };
            if !go_on && ed.error.as_deref() == Some(msg.as_str()) {
                app.info("Not saved: the answer stays as it was.");
                return Vec::new();
            }
            app.modal = Some(Modal::Editor(Box::new(Editor {
                error: Some(msg),
                ..ed
            })));
            Vec::new()
        }
    }
}

/// The note box kept: the note is saved (a secret in it is redacted, and may be kept as typed).
pub(crate) fn note_done(app: &mut App, entity: EntityId, qid: String, text: &str) -> Vec<Effect> {
    let Some(w) = app.work.as_mut() else {
        return Vec::new();
    };
    let note = crate::text::clean_multiline(text.trim_end());
    let findings = w.session.set_note(&qid, &entity, &note, Utc::now());
    w.refresh(&app.q);
    app.info(if note.trim().is_empty() {
        "Note removed."
    } else {
        "Note saved."
    });
    if !findings.is_empty() {
        app.error(crate::secrets::warning(&findings));
        secret::offer(app, &entity, qid, SecretField::Note, note, &findings);
    }
    vec![Effect::Save]
}

/// A paste outside an editor on a text question starts the answer with the pasted text.
pub(crate) fn paste(app: &mut App, text: &str) -> Vec<Effect> {
    if app.screen() != &Screen::Questions {
        return Vec::new();
    }
    let Some((e, _, question)) = app.current() else {
        return Vec::new();
    };
    if question.kind.is_choice() {
        return Vec::new();
    }
    if app.read_only() {
        return refuse_read_only(app);
    }
    let qid = question.id.clone();
    let text = clean(&text.replace(['\r', '\n'], " "));
    editor::open(
        app,
        EditTarget::Answer { entity: e, qid },
        "Answer (Enter: save and go on · Esc: save)",
        &text,
        false,
    );
    Vec::new()
}

pub(crate) fn draw(frame: &mut Frame, app: &mut App, area: Rect) {
    let (main, panel) = if area.width >= WIDE {
        let [m, p] = Layout::horizontal([Constraint::Min(50), Constraint::Length(38)]).areas(area);
        (m, Some(p))
    } else {
        (area, None)
    };
    if let Some(p) = panel {
        draw_panel(frame, app, p);
    }
    draw_question(frame, app, main);
}

/// Rows a text takes when wrapped at `width` (a close estimate: word wrapping may add a row).
fn wrapped_rows(text: &str, width: u16) -> u16 {
    let w = width.max(1) as usize;
    text.split('\n')
        .map(|l| (l.chars().count().max(1)).div_ceil(w) as u16)
        .sum()
}

fn draw_question(frame: &mut Frame, app: &mut App, area: Rect) {
    let t = app.theme;
    let Some(w) = &app.work else { return };
    // Fields, not `app.current()`: the lists below are drawn into `app.questions`.
    let found = app.questions.at.clone().and_then(|(e, qid)| {
        let qi = app.q.question_index(&qid)?;
        Some((e, qi))
    });
    let Some((e, qi)) = found else {
        let msg = "No questions to show. Check the questionnaire, or add systems and identities in Inventory.";
        frame.render_widget(Paragraph::new(msg).wrap(Wrap { trim: true }), area);
        return;
    };
    let question = &app.q.questions[qi];
    let answer = w.answer(&e, &question.id);

    // Where we are: section, entity, question number in the section, overall progress.
    let shown = w.shown(&e);
    let pos = shown.iter().position(|&i| i == qi).map_or(0, |p| p + 1);
    let section = w.section_label(&e);
    let name = if e == EntityId::Engagement {
        String::new()
    } else {
        format!(" · {}", clean(&w.session.entity_name(&e)))
    };
    let group = question
        .section
        .as_deref()
        .map(|s| format!(" › {}", clean(s)))
        .unwrap_or_default();
    let p = w.progress();
    // What could still be asked counts too: never "100%" while a follow-up may come.
    let follow = p.may_follow;
    let (total, percent) = (p.askable(), p.percent());
    // Said here only where there is room; Details and the messages always say it.
    let right = if follow > 0 && area.width >= 90 {
        format!(
            "overall {}/{total} ({percent}%, {follow} may follow)",
            p.answered
        )
    } else {
        format!("overall {}/{total} ({percent}%)", p.answered)
    };
    // Where we are is cut before the question number is: "question 6/7" always shows.
    let counter = format!(" — question {pos}/{}", shown.len());
    let left = format!("{section}{name}{group}");
    let width = crate::text::width;
    let left_w = (area.width as usize).saturating_sub(width(&right) + 2 + width(&counter));
    let left = truncate(&left, left_w);
    let location = Line::from(vec![
        Span::styled(left.clone(), t.accent()),
        Span::styled(
            crate::text::pad(
                &counter,
                width(&counter) + left_w.saturating_sub(width(&left)),
            ),
            t.accent(),
        ),
        Span::raw("  "),
        Span::styled(right, t.dim()),
    ]);

    let text = clean(&question.text);
    let kind_hint = match question.kind {
        Kind::YesNo | Kind::Single => {
            "A choice's key (or ↓ to it, Enter) chooses and goes on · u unknown"
        }
        Kind::Multi => "Space or a choice's key ticks · Enter goes on · u unknown",
        Kind::Text => "Type the answer; Enter saves and goes on · \"u\" alone: unknown · C-n note",
        Kind::Number => "Type a number; Enter saves and goes on · \"u\" alone: unknown · C-n note",
        Kind::Date => "Type a date (YYYY-MM-DD); Enter saves, goes on · \"u\" alone: unknown",
    };
    let q_rows = wrapped_rows(&text, area.width).min(4);
    let n_rows = App::choice_rows(question) as u16;
    // Choice labels wrap under themselves (past "> 1 ( ) "), never cut off.
    let label_w = (area.width as usize).saturating_sub(8).max(10);
    let choice_lines: Vec<Vec<String>> = question
        .choices
        .iter()
        .map(|c| wrap(&clean(&c.label), label_w))
        .collect();
    let answer_rows = if question.kind.is_choice() {
        choice_lines.iter().map(|l| l.len() as u16).sum::<u16>() + 1
    } else {
        3
    };
    let note = w.session.note(&e, &question.id).map(str::to_string);
    let note_h = u16::from(note.is_some()) + 1;
    let fixed = 1 + q_rows + 1 + note_h;
    // The answers get what they need, leaving "why we ask" at least 3 rows; the list scrolls
    // to keep the highlighted row visible when it has to shrink.
    let list_h = answer_rows
        .min(area.height.saturating_sub(fixed + 3))
        .max(1);
    let [loc_a, q_a, hint_a, ans_a, help_a, note_a] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(q_rows),
        Constraint::Length(1),
        Constraint::Length(list_h),
        Constraint::Min(0),
        Constraint::Length(note_h),
    ])
    .areas(area);

    frame.render_widget(Paragraph::new(location), loc_a);
    frame.render_widget(
        Paragraph::new(Line::styled(text, t.bold())).wrap(Wrap { trim: true }),
        q_a,
    );
    frame.render_widget(Paragraph::new(Line::styled(kind_hint, t.dim())), hint_a);

    let mut hit = None;
    let qs = &mut app.questions;
    if question.kind.is_choice() {
        let ticked: Vec<String> = match answer.map(|a| &a.value) {
            Some(Value::List(l)) => l.clone(),
            Some(Value::Text(s)) => vec![s.clone()],
            _ => Vec::new(),
        };
        let is_unknown = matches!(answer.map(|a| &a.value), Some(Value::Unknown));
        let n = question.choices.len();
        let unchosen = question.kind != Kind::Multi && answer.is_none() && !qs.moved;
        let cursor = if unchosen {
            usize::MAX
        } else {
            qs.choices.cursor.min(n_rows.saturating_sub(1) as usize)
        };
        hit = list::draw(
            frame,
            ans_a,
            &mut qs.choices,
            n + 1,
            Look {
                highlight: !unchosen,
                ..Look::select(t, None)
            },
            Some(HitList::Choices),
            |i, _| {
                if i == n {
                    let mark = if is_unknown { "(•)" } else { "( )" };
                    return vec![Line::from(vec![
                        Span::raw(marker(cursor == n)),
                        Span::styled("u ", t.key()),
                        Span::styled(
                            format!("{mark} Unknown / not sure yet"),
                            if is_unknown { t.warn() } else { t.dim() },
                        ),
                    ])];
                }
                let c = &question.choices[i];
                let on = ticked.contains(&c.id);
                let mark = match (question.kind, on) {
                    (Kind::Multi, true) => "[x]",
                    (Kind::Multi, false) => "[ ]",
                    (_, true) => "(•)",
                    (_, false) => "( )",
                };
                let num = keymap::choice_key(i).unwrap_or(' ');
                let style = if on {
                    t.good()
                } else {
                    ratatui::style::Style::default()
                };
                let mut rows = vec![Line::from(vec![
                    Span::raw(marker(i == cursor)),
                    Span::styled(format!("{num} "), t.key()),
                    Span::styled(
                        format!(
                            "{mark} {}",
                            choice_lines[i].first().cloned().unwrap_or_default()
                        ),
                        style,
                    ),
                ])];
                for more in choice_lines[i].iter().skip(1) {
                    rows.push(Line::styled(format!("        {more}"), style));
                }
                rows
            },
        );
    } else {
        let value = match answer.map(|a| &a.value) {
            None => Span::styled("(not answered yet: start typing, or Enter)", t.dim()),
            Some(Value::Unknown) => Span::styled("unknown", t.warn()),
            Some(v) => Span::styled(clean(&v.display(question)), t.good()),
        };
        let block = Block::bordered().border_style(t.border());
        frame.render_widget(
            Paragraph::new(Line::from(vec![Span::raw("> "), value])).block(block),
            Rect {
                height: ans_a.height.min(3),
                ..ans_a
            },
        );
    }

    // Why we ask, scrollable with PgUp/PgDn.
    // The box is titled "Why we ask", so a help text starting with the same words drops them.
    let help_text = question.help.trim_start();
    let help_text = match help_text.strip_prefix("Why we ask:") {
        Some(rest) => capitalise(rest.trim_start()),
        None => help_text.to_string(),
    };
    let inner_w = help_a.width.saturating_sub(2) as usize;
    let mut help: Vec<Line> = Vec::new();
    for l in help_text.split('\n') {
        for row in wrap(&clean(l), inner_w.max(1)) {
            help.push(Line::raw(row));
        }
    }
    // Criteria IDs help the room; internal notes (domain.md, seeds) are for questionnaire authors.
    let criteria: Vec<&str> = question
        .references
        .iter()
        .map(String::as_str)
        .filter(|r| crate::questionnaire::tsc::is_valid(r))
        .collect();
    if !criteria.is_empty() {
        for row in wrap(
            &format!("Criteria: {}", criteria.join(", ")),
            inner_w.max(1),
        ) {
            help.push(Line::styled(row, t.dim()));
        }
    }
    qs.help_rows = help.len();
    let block = Block::bordered()
        .title(" Why we ask ")
        .border_style(t.border());
    list::draw(
        frame,
        help_a,
        &mut qs.help,
        help.len(),
        Look {
            block: Some(block),
            focus: t.focus(),
            highlight: false,
            mode: Mode::Read,
            marker_style: t.dim(),
            actionable: None,
        },
        None,
        |i, _| vec![help[i].clone()],
    );

    let note_line = match &note {
        Some(n) => {
            let first = n.lines().next().unwrap_or_default();
            let more = if n.lines().count() > 1 { " …" } else { "" };
            Line::from(vec![
                Span::styled("Note: ", t.bold()),
                Span::raw(format!(
                    "{}{more}",
                    truncate(first, note_a.width.saturating_sub(12) as usize)
                )),
            ])
        }
        None => Line::styled(
            if question.kind.is_choice() {
                "No note (n adds one)"
            } else {
                "No note (C-n adds one)"
            },
            t.dim(),
        ),
    };
    frame.render_widget(Paragraph::new(note_line), note_a);
    app.hits.extend(hit);
}

/// The live recommendation, updated on every answer.
fn draw_panel(frame: &mut Frame, app: &App, area: Rect) {
    let t = app.theme;
    let Some(w) = &app.work else { return };
    let Some(r) = w.panel_if_ready() else {
        // A resume draws before its analysis is done (`Workshop::pending`).
        let out = vec![
            Line::styled("Verdict", t.dim()),
            Line::styled("computing…", t.bold()),
        ];
        frame.render_widget(Paragraph::new(out), area);
        return;
    };
    let mut out = vec![
        Line::styled("Verdict", t.dim()),
        Line::styled(r.verdict.label(), t.bold()),
        Line::raw(""),
        Line::styled("SOC 2 categories", t.dim()),
    ];
    if r.soc2_categories.is_empty() {
        out.push(Line::raw("none"));
    } else {
        out.extend(
            r.soc2_categories
                .iter()
                .map(|c| Line::raw(format!("• {}", c.label()))),
        );
    }
    out.push(Line::raw(""));
    out.push(Line::styled("Type and plan", t.dim()));
    if r.plans.is_empty() {
        out.push(Line::raw("no report called for yet"));
    }
    for p in &r.plans {
        out.push(Line::raw(clean(&crate::report::wording::plan_short(p))));
    }
    if !r.conflicts.is_empty() {
        out.push(Line::raw(""));
        out.push(Line::styled(
            format!(
                "{} conflicting answer(s): r, then the verdict",
                r.conflicts.len()
            ),
            t.error(),
        ));
        for c in r.conflicts.iter().take(3) {
            out.push(Line::styled(format!("! {}", clean(c)), t.error()));
        }
    }
    out.push(Line::raw(""));
    // Counting provisional decisions and open questions takes the full recommendation, which
    // an answer does not rebuild (it costs the inventory): said while it is up to date.
    if let Some(full) = w.rec_if_built() {
        let n = full.provisional_count();
        out.push(Line::styled(
            if n == 0 {
                "All decisions settled".to_string()
            } else {
                format!("{n} decision(s) still provisional")
            },
            if n == 0 { t.good() } else { t.warn() },
        ));
        out.push(Line::styled(
            format!("{} open question(s)", full.open_questions.len()),
            t.dim(),
        ));
        out.push(Line::raw(""));
    }
    out.push(Line::from(vec![
        Span::styled("r", t.key()),
        Span::raw(" full recommendation"),
    ]));
    let block = Block::bordered()
        .title(" Live recommendation ")
        .border_style(t.border());
    frame.render_widget(
        Paragraph::new(out).block(block).wrap(Wrap { trim: true }),
        area,
    );
}

/// The first letter in upper case ("the deciding factor..." after "Why we ask:" is dropped).
fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}
