//! "Changes since…": the open workshop compared with another saved session (typically last
//! year's, when its file was copied to start this one), with the answers that flipped each
//! decision.
//!
//! The other session is only read (`store::open`): never locked, never saved. The pure parts
//! (picker rows, the resume hint, the lines of the view, key handling) are here, next to the
//! little I/O the effects need (listing sessions, reading the other file, writing Markdown).

use std::path::{Path, PathBuf};

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::{Block, Paragraph, Wrap};

use crate::diff::{self, Diff, InventoryDiff};
use crate::session::Session;
use crate::tui::action::Action;
use crate::tui::app::{App, Modal, Screen};
use crate::tui::dialog::compare::{Picker, picker_rows};
use crate::tui::keymap::Cmd;
use crate::tui::list::{self, Look, Mode, Window};
use crate::tui::update::Effect;
use crate::tui::widgets::{clean, truncate, wrap_hanging};
use crate::workshop::catalogue::{self, SessionInfo, same_file};
use crate::workshop::{self, Error};

/// The "Changes since…" view: the diff from the picked (old) session to the open one.
pub(crate) struct ChangesView {
    pub(crate) old: Session,
    pub(crate) old_path: PathBuf,
    pub(crate) diff: Diff,
    pub(crate) window: Window,
    /// Rows of the text as last drawn (it wraps to the width).
    pub(crate) rows: std::cell::Cell<usize>,
    /// Where the Markdown was last written from this view.
    pub(crate) written: Option<PathBuf>,
}

/// What the app remembers for comparisons; reset when a workshop is opened.
#[derive(Default)]
pub(crate) struct CompareState {
    pub(crate) view: Option<ChangesView>,
    /// "Last workshop for <org>: <date>", when a resumed workshop has an older one.
    pub(crate) hint: Option<String>,
}

/// `<stem>-changes.md` next to the session file.
pub(crate) fn changes_path(session: &Path) -> PathBuf {
    let stem = session
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "workshop".into());
    session.with_file_name(format!("{stem}-changes.md"))
}

// ----- Lines of the view ---------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Style {
    Heading,
    Plain,
    Dim,
    Added,
    Removed,
    Changed,
    /// An answer that flipped a decision.
    Because,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DiffLine {
    pub text: String,
    pub indent: u16,
    pub style: Style,
}

/// The view's text: verdict, categories and Type (changed or not); systems and identities added
/// (with their verdict), removed, renamed or changed; each decision that flipped with the
/// answers that flipped it; then every answer that changed.
pub(crate) fn diff_lines(d: &Diff) -> Vec<DiffLine> {
    let mut out = Vec::new();
    let mut push = |text: String, indent: u16, style: Style| {
        out.push(DiffLine {
            text,
            indent,
            style,
        })
    };
    push(
        format!("From {} to {} (this workshop)", d.old_label, d.new_label),
        0,
        Style::Dim,
    );
    if let Some(c) = &d.organisations {
        push(
            format!("Warning: {}.", diff::organisations_warning(c)),
            0,
            Style::Removed,
        );
    }
    if d.is_empty() {
        push(String::new(), 0, Style::Plain);
        push(
            format!(
                "No changes to the recommendation, the inventory or the answers (verdict: {}).",
                d.new_verdict
            ),
            0,
            Style::Plain,
        );
        return out;
    }
    push(String::new(), 0, Style::Plain);
    push("Recommendation".into(), 0, Style::Heading);
    match &d.verdict {
        Some(c) => push(format!("Verdict: {} → {}", c.old, c.new), 1, Style::Changed),
        None => push(
            format!("Verdict: {}", diff::unchanged(&d.new_verdict)),
            1,
            Style::Dim,
        ),
    }
    let cats = |c: &[crate::questionnaire::Category]| {
        if c.is_empty() {
            "none".to_string()
        } else {
            c.iter().map(|c| c.label()).collect::<Vec<_>>().join(", ")
        }
    };
    if d.categories_added.is_empty() && d.categories_removed.is_empty() {
        push(
            format!(
                "SOC 2 categories: {}",
                diff::unchanged(&cats(&d.new_categories))
            ),
            1,
            Style::Dim,
        );
    } else {
        push(
            format!("SOC 2 categories now: {}", cats(&d.new_categories)),
            1,
            Style::Changed,
        );
    }
    if !d.categories_added.is_empty() {
        push(
            format!("+ SOC 2 categories added: {}", cats(&d.categories_added)),
            1,
            Style::Added,
        );
    }
    if !d.categories_removed.is_empty() {
        push(
            format!(
                "- SOC 2 categories removed: {}",
                cats(&d.categories_removed)
            ),
            1,
            Style::Removed,
        );
    }
    match &d.report_type {
        Some(c) => push(format!("Type: {} → {}", c.old, c.new), 1, Style::Changed),
        None => push(
            format!("Type: {}", diff::unchanged(&d.new_report_type)),
            1,
            Style::Dim,
        ),
    }
    for (title, inv) in [("Systems", &d.systems), ("Identities", &d.identities)] {
        push(String::new(), 0, Style::Plain);
        if *inv == InventoryDiff::default() {
            push(format!("{title}: unchanged"), 0, Style::Dim);
            continue;
        }
        push(title.into(), 0, Style::Heading);
        for a in &inv.added {
            push(
                format!("+ {} (added): {}", a.name, a.verdict),
                1,
                Style::Added,
            );
        }
        for r in &inv.removed {
            push(
                format!("- {} (removed; was {})", r.name, r.verdict),
                1,
                Style::Removed,
            );
        }
        for c in &inv.changed {
            let name = if c.old_name == c.new_name {
                c.new_name.clone()
            } else {
                format!("{} (renamed from {})", c.new_name, c.old_name)
            };
            match &c.verdict {
                Some(v) => push(
                    format!("~ {name}: {} → {}", v.old, v.new),
                    1,
                    Style::Changed,
                ),
                None => push(format!("~ {name}"), 1, Style::Changed),
            }
        }
    }
    push(String::new(), 0, Style::Plain);
    if d.decisions.is_empty() {
        push("Decisions: none flipped".into(), 0, Style::Dim);
        answer_lines(d, &mut push);
        return out;
    }
    push(
        format!("Decisions that flipped ({})", d.decisions.len()),
        0,
        Style::Heading,
    );
    for c in &d.decisions {
        push(
            format!(
                "• {}: {} → {}",
                c.title,
                c.old.as_deref().unwrap_or("(none)"),
                c.new.as_deref().unwrap_or("(none)")
            ),
            1,
            Style::Changed,
        );
        if c.answers.is_empty() {
            push(
                "no answer its rules read changed: the inventory, or an answer that changed which questions are asked, did".into(),
                3,
                Style::Dim,
            );
        }
        for a in &c.answers {
            push(
                format!("answer changed: {}", answer_line(a)),
                3,
                Style::Because,
            );
        }
    }
    answer_lines(d, &mut push);
    out
}

/// "Entity — question: old → new" (the engagement's answers without the entity).
fn answer_line(a: &diff::AnswerChange) -> String {
    let who = if a.entity == "Engagement" {
        String::new()
    } else {
        format!("{} — ", a.entity)
    };
    format!(
        "{who}{}: {} → {}",
        a.question_text,
        a.old.as_deref().unwrap_or("not answered"),
        a.new.as_deref().unwrap_or("not answered")
    )
}

/// Every answer that changed, whether or not it flipped a decision.
fn answer_lines(d: &Diff, push: &mut impl FnMut(String, u16, Style)) {
    if d.answers.is_empty() {
        return;
    }
    push(String::new(), 0, Style::Plain);
    push(
        format!("Answers that changed ({})", d.answers.len()),
        0,
        Style::Heading,
    );
    for a in &d.answers {
        if d.flipped_something(a) {
            push(format!("~ {}", answer_line(a)), 1, Style::Changed);
        } else {
            push(
                format!("~ {} (flipped no decision)", answer_line(a)),
                1,
                Style::Plain,
            );
        }
    }
}

// ----- Keys ----------------------------------------------------------------------------------

/// Keys on the "Changes since…" view: scroll, write the Markdown, compare with another.
pub(crate) fn update(app: &mut App, action: Action) -> Vec<Effect> {
    let Action::Cmd(cmd) = action else {
        return Vec::new();
    };
    match cmd {
        Cmd::WriteChanges => return vec![Effect::WriteChanges],
        Cmd::Compare => return vec![Effect::ComparePicker],
        _ => {}
    }
    if let Some(v) = app.compare.view.as_mut() {
        let n = v.rows.get();
        v.window.scroll(cmd, n);
    }
    Vec::new()
}

// ----- Effects (I/O) -------------------------------------------------------------------------

/// Opens the picker with the saved sessions of the data directory.
pub(crate) fn open_picker(app: &mut App) {
    let dir = crate::session::store::data_dir().map_err(Error::from);
    open_picker_in(app, dir);
}

/// [`open_picker`] with the data directory given (tests).
pub(crate) fn open_picker_in(app: &mut App, dir: Result<PathBuf, Error>) {
    let Some(w) = &app.work else { return };
    let (sessions, error) = match dir.and_then(|d| catalogue::list(&d, &app.q)) {
        Ok(list) => (list, None),
        Err(e) => (Vec::new(), Some(e.report())),
    };
    let rows = picker_rows(&sessions, w.path(), &w.session.workshop.organisation);
    // From the start screen (`c` on a workshop): the comparison is seen from its recommendation.
    if !matches!(app.screen(), Screen::Recommendation | Screen::Changes) {
        app.stack = vec![Screen::Recommendation];
    }
    app.modal = Some(Modal::Compare(Box::new(Picker::new(rows, error))));
}

/// Reads the other session (never saved) and shows what changed since it.
pub(crate) fn compare_with(app: &mut App, path: &Path) {
    let Some(w) = &app.work else { return };
    if same_file(path, w.path()) {
        app.error("That is the open workshop: pick another session to compare with.");
        return;
    }
    match workshop::peek(path, &app.q) {
        Ok((old, _)) => {
            let mut diff = diff::compare(&app.q, &old, &w.session);
            diff.name_files(path, w.path());
            app.compare.view = Some(ChangesView {
                old,
                old_path: path.to_path_buf(),
                diff,
                window: Window::default(),
                rows: Default::default(),
                written: None,
            });
            if app.screen() != &Screen::Changes {
                app.stack.push(Screen::Changes);
            }
            app.info(format!(
                "Compared with {} · x writes it as Markdown",
                path.display()
            ));
        }
        Err(e) => app.show_error("Could not compare", &e),
    }
}

/// Writes the comparison as Markdown next to the session file. Like every export, it is made
/// from redacted sessions, so it never holds a detected secret.
pub(crate) fn write(app: &mut App) {
    let (Some(w), Some(v)) = (&app.work, &app.compare.view) else {
        return;
    };
    let old = crate::secrets::redact_session(&v.old);
    let new = crate::secrets::redact_session(&w.session);
    let mut d = diff::compare(&app.q, &old, &new);
    d.name_files(&v.old_path, w.path());
    let text = diff::render_markdown(&d);
    let target = changes_path(w.path());
    match workshop::write_export(&target, &text) {
        Ok(()) => {
            app.info(format!("Wrote {}", target.display()));
            if let Some(v) = app.compare.view.as_mut() {
                v.written = Some(target);
            }
        }
        Err(e) => app.show_error("Could not write the changes", &e),
    }
}

/// After a workshop is resumed: if an older session of the same organisation is saved, says so
/// (on the status line now, and on the recommendation screen until the workshop is closed).
pub(crate) fn hint_after_resume(app: &mut App) {
    // Merge conflicts to settle say so first; the hint can wait.
    if app.work.is_none() || app.screen() == &Screen::Conflicts {
        return;
    }
    let sessions = if app.start.sessions.is_empty() {
        match catalogue::saved(&app.q) {
            Ok(l) => l,
            Err(_) => return,
        }
    } else {
        app.start.sessions.clone()
    };
    set_hint(app, &sessions);
}

/// [`hint_after_resume`] with the saved sessions given.
pub(crate) fn set_hint(app: &mut App, sessions: &[SessionInfo]) {
    let Some(w) = &app.work else { return };
    let hint = catalogue::last_workshop(
        sessions,
        w.path(),
        &w.session.workshop.organisation,
        w.session.updated,
    );
    if let Some(h) = &hint {
        app.info(format!(
            "{h} — press c on the Recommendation screen (r) to compare"
        ));
    }
    app.compare.hint = hint;
}

pub(crate) fn draw(frame: &mut Frame, app: &mut App, area: Rect) {
    let t = app.theme;
    let Some(v) = &app.compare.view else {
        let msg =
            "Nothing compared yet: c on the Recommendation screen picks a session. Esc goes back.";
        frame.render_widget(Paragraph::new(msg).wrap(Wrap { trim: true }), area);
        return;
    };
    let width = (area.width.saturating_sub(2) as usize).max(10);
    let mut lines: Vec<Line> = Vec::new();
    if let Some(p) = &v.written {
        lines.push(Line::styled(
            format!("✓ Written: {}", clean(&p.display().to_string())),
            t.good(),
        ));
    }
    for l in diff_lines(&v.diff) {
        let style = match l.style {
            Style::Heading => t.bold(),
            Style::Plain | Style::Because => ratatui::style::Style::default(),
            Style::Dim => t.dim(),
            Style::Added => t.good(),
            Style::Removed => t.warn(),
            Style::Changed => t.accent(),
        };
        let indent = l.indent as usize * 2;
        // Continuation lines hang under the text, past a leading bullet or sign.
        let bullet = ["• ", "+ ", "- ", "~ "]
            .iter()
            .find(|b| l.text.starts_with(**b))
            .map_or(0, |b| b.chars().count());
        let first = width.saturating_sub(indent).max(10);
        let rest = first.saturating_sub(bullet).max(10);
        for (i, s) in wrap_hanging(&clean(&l.text), first, rest)
            .into_iter()
            .enumerate()
        {
            let lead = " ".repeat(if i == 0 { indent } else { indent + bullet });
            lines.push(Line::styled(format!("{lead}{s}"), style));
        }
    }
    let old_name = v
        .old_path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let block = Block::bordered()
        .title(format!(
            " Changes since {} ",
            truncate(&old_name, (area.width as usize).saturating_sub(20))
        ))
        .title_bottom(" ↑/↓ PgUp/PgDn scroll · x write Markdown · Esc back ")
        .border_style(t.border());
    let Some(v) = app.compare.view.as_mut() else {
        return;
    };
    v.rows.set(lines.len());
    list::draw(
        frame,
        area,
        &mut v.window,
        lines.len(),
        Look {
            block: Some(block),
            focus: t.focus(),
            highlight: false,
            mode: Mode::Read,
            marker_style: t.dim(),
            actionable: None,
        },
        None,
        |i, _| vec![lines[i].clone()],
    );
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use chrono::Utc;

    use super::*;
    use crate::session::{EntityId, Value};
    use crate::tui::app::{App, Screen};
    use crate::tui::theme::Theme;

    fn example(name: &str) -> (Session, PathBuf) {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("assets/examples")
            .join(name);
        let q = crate::questionnaire::builtin().unwrap_or_else(|e| panic!("{e}"));
        let s = crate::session::store::open(&path, &q)
            .unwrap_or_else(|e| panic!("{e}"))
            .0;
        (s, path)
    }

    fn text(d: &Diff) -> String {
        diff_lines(d)
            .into_iter()
            .map(|l| l.text)
            .collect::<Vec<_>>()
            .join("\n")
    }

    #[test]
    fn the_view_names_what_stayed_and_lists_every_changed_answer() {
        let q = crate::questionnaire::builtin().unwrap_or_else(|e| panic!("{e}"));
        let (old, _) = example("s1-payroll-provider.toml");
        let mut new = old.clone();
        let question = q.question("controls_months").expect("question");
        new.set_answer(
            question,
            &EntityId::Engagement,
            Value::Number(26.0),
            Utc::now(),
        )
        .expect("answer");
        new.add_system("Tax filing service", Utc::now());
        let t = text(&diff::compare(&q, &old, &new));
        assert!(t.contains("Verdict: SOC 1 and SOC 2 (unchanged)"), "{t}");
        assert!(
            t.contains("SOC 2 categories: Security, Confidentiality, Privacy (unchanged)"),
            "{t}"
        );
        assert!(t.contains("Type: SOC 1 Type 2; SOC 2 Type 2"), "{t}");
        assert!(
            t.contains("+ Tax filing service (added): Not yet determinable"),
            "{t}"
        );
        assert!(t.contains("Answers that changed (1)"), "{t}");
        assert!(
            t.contains(
                "~ For how many months have the key controls of the service (access, change, \
                 operations) been operating, with records kept?: 14 months → 26 months (flipped \
                 no decision)"
            ),
            "{t}"
        );
        assert!(!t.contains("Warning"), "{t}");
    }

    #[test]
    fn comparing_another_organisation_warns_and_copies_are_told_apart() {
        let q = crate::questionnaire::builtin().unwrap_or_else(|e| panic!("{e}"));
        let (s1, _) = example("s1-payroll-provider.toml");
        let (s3, _) = example("s3-billing-service-account.toml");
        let t = text(&diff::compare(&q, &s1, &s3));
        let second = t.lines().nth(1).unwrap_or_default();
        assert!(
            second.starts_with("Warning: these sessions are for different organisations"),
            "{t}"
        );

        // A copy of the open workshop's file, as it was: same date and update time, so the
        // view names the files.
        let dir = tempfile::tempdir().expect("temp dir");
        let (old_path, new_path) = (
            dir.path().join("acme-2026.toml"),
            dir.path().join("acme-2027.toml"),
        );
        crate::workshop::save(&old_path, &s1, &q).expect("save");
        crate::workshop::save(&new_path, &s1, &q).expect("save");
        let mut app = App::new(q, Theme { color: true });
        let (s, _) = crate::session::store::open(&new_path, &app.q).expect("open");
        app.install(s, new_path.clone(), Screen::Recommendation);
        compare_with(&mut app, &old_path);
        let v = app.compare.view.as_ref().expect("compared");
        let first = diff_lines(&v.diff)
            .into_iter()
            .next()
            .map(|l| l.text)
            .unwrap_or_default();
        assert!(
            first.contains("in acme-2026.toml") && first.contains("in acme-2027.toml"),
            "{first}"
        );
    }
}
