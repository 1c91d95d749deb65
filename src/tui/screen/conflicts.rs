//! Conflicts: what a merge left for people to settle (issue 17). Each conflict with both
//! versions and when each side changed it; `1`/`2` take one, Enter types a new answer; below,
//! how the recommendation reads with each version. Resolving saves, and the save clears the
//! marker from the file.

use chrono::Utc;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Wrap};

use crate::engine::Recommendation;
use crate::merge;
use crate::questionnaire::Questionnaire;
use crate::session::{Conflict, Resolution, Session, Side, Subject, Value};
use crate::tui::action::Action;
use crate::tui::app::{App, Screen};
use crate::tui::dialog::editor::{self, EditTarget};
use crate::tui::keymap::Cmd;
use crate::tui::list::{self, Look, Window};
use crate::tui::screen::refuse_read_only;
use crate::tui::update::Effect;
use crate::tui::widgets::{clean, marker, wrap_hanging};
use crate::workshop::answer;

#[derive(Default)]
pub(crate) struct ConflictsState {
    pub(crate) list: Window,
    /// The recommendation with each side taken, for the conflict and workshop revision it was
    /// computed for (two engine runs: once per highlighted conflict, not per frame).
    preview: Option<(Subject, u64, [String; 2])>,
}

/// What a conflict is about, as a heading: "Billing: Who operates this system?".
fn heading(q: &Questionnaire, s: &Session, c: &Conflict) -> String {
    format!("{}: {}", merge::entity_label(s, c), merge::about(q, c))
}

/// One side as a line: "1  In-house  (ours, this copy, answered 2026-11-20 09:10 UTC)".
fn side_line(q: &Questionnaire, c: &Conflict, side: Side) -> String {
    let (key, whose) = match side {
        Side::Ours => ("1", "ours, this copy"),
        Side::Theirs => ("2", "theirs, the copy merged in"),
    };
    let verb = match c.subject {
        Subject::Answer { .. } => "answered",
        _ => "saved",
    };
    let when = merge::side_time(c, side)
        .map(|t| format!(", {verb} {}", t.format("%Y-%m-%d %H:%M UTC")))
        .unwrap_or_default();
    let text = crate::secrets::redacted(&merge::side_text(q, c, side));
    format!("{key}  {text}  ({whose}{when})")
}

/// The verdict and categories, worded as the recommendation screen words them.
fn outcome_line(r: &Recommendation) -> String {
    let cats: Vec<&str> = r.soc2_categories.iter().map(|c| c.label()).collect();
    format!(
        "{}; SOC 2 categories: {}",
        crate::report::wording::verdict_state(r.verdict, r.provisional),
        if cats.is_empty() {
            "none".to_string()
        } else {
            cats.join(", ")
        }
    )
}

/// The recommendation with each side of conflict `i` taken.
fn previews(q: &Questionnaire, s: &Session, i: usize) -> [String; 2] {
    #[cfg(test)]
    list::counted::add(&list::counted::EXAMINED);
    [Side::Ours, Side::Theirs].map(|side| {
        let mut copy = s.clone();
        match copy.resolve_conflict(q, i, Resolution::Take(side), Utc::now()) {
            Ok(_) => outcome_line(&crate::engine::recommend(q, &copy)),
            Err(m) => clean(&m),
        }
    })
}

pub(crate) fn update(app: &mut App, action: Action) -> Vec<Effect> {
    let Some(w) = &app.work else {
        return Vec::new();
    };
    let n = w.session.conflicts.len();
    let i = app.conflicts.list.cursor.min(n.saturating_sub(1));
    match action {
        Action::Cmd(cmd) if list::is_move(cmd) => {
            app.conflicts.list.select(cmd, n);
            Vec::new()
        }
        Action::Cmd(Cmd::TakeOurs) if n > 0 => resolve(app, i, Resolution::Take(Side::Ours)),
        Action::Cmd(Cmd::TakeTheirs) if n > 0 => resolve(app, i, Resolution::Take(Side::Theirs)),
        Action::Cmd(Cmd::Select) if n > 0 => {
            if w.read_only() {
                return refuse_read_only(app);
            }
            if matches!(w.session.conflicts[i].subject, Subject::Removed(_)) {
                app.info("Keep it or remove it: 1 keeps ours, 2 theirs (no new answer here).");
                return Vec::new();
            }
            let title = clean(&heading(&app.q, &w.session, &w.session.conflicts[i]));
            editor::open(app, EditTarget::Conflict(i), &title, "", false);
            Vec::new()
        }
        _ => Vec::new(),
    }
}

/// The new-answer box kept: parsed as any typed answer (`workshop::answer::parse`).
pub(crate) fn typed_done(app: &mut App, i: usize, line: &str) -> Vec<Effect> {
    let Some(w) = &app.work else {
        return Vec::new();
    };
    let Some(c) = w.session.conflicts.get(i) else {
        return Vec::new();
    };
    if line.is_empty() {
        app.info("Nothing typed: the conflict is left as it was.");
        return Vec::new();
    }
    let how = match &c.subject {
        Subject::Answer { question, .. } => match app.q.question(question) {
            Some(q) => match answer::parse(q, line) {
                Ok(v) => Resolution::Value(v),
                Err(m) => {
                    app.error(format!("{m}. Or press 1 or 2 to take a side."));
                    return Vec::new();
                }
            },
            None => {
                app.error("The questionnaire no longer has this question: press 1 or 2.");
                return Vec::new();
            }
        },
        _ => Resolution::Value(Value::Text(line.to_string())),
    };
    resolve(app, i, how)
}

/// Resolves conflict `i`, clears its marker and saves; back to the workshop when none is left.
fn resolve(app: &mut App, i: usize, how: Resolution) -> Vec<Effect> {
    let Some(w) = app.work.as_mut() else {
        return Vec::new();
    };
    if w.read_only() {
        return refuse_read_only(app);
    }
    match w.session.resolve_conflict(&app.q, i, how, Utc::now()) {
        Ok(found) => {
            w.refresh(&app.q);
            app.ensure_question();
            app.conflicts.preview = None;
            let left = app.work.as_ref().map_or(0, |w| w.session.conflicts.len());
            app.conflicts.list.cursor = i.min(left.saturating_sub(1));
            if left == 0 {
                if app.screen() == &Screen::Conflicts && app.stack.len() > 1 {
                    app.stack.pop();
                }
                app.info("Resolved. No merge conflicts left: the saved file has no markers.");
            } else {
                app.info(format!("Resolved. {left} merge conflict(s) left."));
            }
            if !found.is_empty() {
                app.error(crate::secrets::warning(&found));
            }
            vec![Effect::Save]
        }
        Err(m) => {
            app.error(format!(
                "{}. Press 1, 2 or Enter for a new answer.",
                clean(&m)
            ));
            Vec::new()
        }
    }
}

/// Opens the conflicts (the `C` key): only when a merge left some.
pub(crate) fn open(app: &mut App) -> Vec<Effect> {
    match &app.work {
        Some(w) if !w.session.conflicts.is_empty() => {
            app.conflicts.list.cursor = 0;
            crate::tui::screen::go(app, Screen::Conflicts)
        }
        _ => {
            app.info("No merge conflicts in this workshop.");
            Vec::new()
        }
    }
}

pub(crate) fn draw(frame: &mut Frame, app: &mut App, area: Rect) {
    let t = app.theme;
    let Some(w) = &app.work else { return };
    let s = &w.session;
    let n = s.conflicts.len();
    let [top, bottom] = Layout::vertical([Constraint::Min(4), Constraint::Length(5)]).areas(area);
    let block = Block::bordered()
        .title(format!(
            " Merge conflicts ({n}): 1 ours · 2 theirs · Enter a new answer "
        ))
        .border_style(t.border());
    if n == 0 {
        frame.render_widget(
            Paragraph::new("No merge conflicts left. Esc goes back.").block(block),
            area,
        );
        return;
    }
    let cursor = app.conflicts.list.cursor.min(n - 1);
    let q = &app.q;
    // Inside the borders; a line wider than the box would be cut, so everything wraps.
    let inner = top.width.saturating_sub(2) as usize;
    list::draw(
        frame,
        top,
        &mut app.conflicts.list,
        n,
        Look::select(t, Some(block)),
        None,
        |i, _| {
            let c = &s.conflicts[i];
            let style = if i == cursor { t.focus() } else { t.bold() };
            let head = wrap_hanging(
                &clean(&heading(q, s, c)),
                inner.saturating_sub(2),
                inner.saturating_sub(4),
            );
            let mut lines: Vec<Line> = head
                .into_iter()
                .enumerate()
                .map(|(k, part)| {
                    let lead = if k == 0 { marker(i == cursor) } else { "    " };
                    Line::styled(format!("{lead}{part}"), style)
                })
                .collect();
            for side in [Side::Ours, Side::Theirs] {
                let text = clean(&side_line(q, c, side));
                for (k, part) in
                    wrap_hanging(&text, inner.saturating_sub(4), inner.saturating_sub(7))
                        .into_iter()
                        .enumerate()
                {
                    let indent = if k == 0 { "    " } else { "       " };
                    lines.push(Line::raw(format!("{indent}{part}")));
                }
            }
            lines
        },
    );
    // How the recommendation reads with each version of the highlighted conflict.
    let subject = s.conflicts[cursor].subject.clone();
    let fresh = matches!(&app.conflicts.preview, Some((sub, rev, _)) if *sub == subject && *rev == w.revision);
    if !fresh {
        let p = previews(&app.q, s, cursor);
        app.conflicts.preview = Some((subject, w.revision, p));
    }
    let Some((_, _, [ours, theirs])) = &app.conflicts.preview else {
        return;
    };
    let same = ours == theirs;
    let lines = vec![
        Line::from(vec![
            Span::styled("With 1 (ours): ", t.dim()),
            Span::raw(ours.clone()),
        ]),
        Line::from(vec![
            Span::styled("With 2 (theirs): ", t.dim()),
            Span::raw(theirs.clone()),
        ]),
        if same {
            Line::styled(
                "Either way the verdict and categories are the same.",
                t.good(),
            )
        } else {
            Line::styled(
                "The two versions lead to different recommendations.",
                t.warn(),
            )
        },
    ];
    frame.render_widget(
        Paragraph::new(lines)
            .block(
                Block::bordered()
                    .title(" Recommendation with each version ")
                    .border_style(t.border()),
            )
            .wrap(Wrap { trim: false }),
        bottom,
    );
}
