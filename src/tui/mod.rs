//! The workshop TUI: a thin event loop around pure parts.
//!
//! `action` turns terminal events into actions, `update` applies them to the [`app::App`] and
//! returns effects (save, open, export...) that [`apply`] carries out here; `view` draws. One
//! table (`keymap`) feeds key handling, footer hints and the `?` overlay.

pub mod action;
pub mod app;
pub mod changes;
pub mod keymap;
pub mod signals;
pub mod theme;
pub mod update;
pub mod view;
pub mod widgets;

#[cfg(test)]
mod tests;

use std::io::Write;
use std::path::PathBuf;

use ratatui::crossterm::event::{
    DisableBracketedPaste, DisableMouseCapture, EnableBracketedPaste, EnableMouseCapture,
};
use ratatui::crossterm::execute;

use crate::engine;
use crate::export;
use crate::questionnaire::Questionnaire;
use crate::workshop::{self, Access, Error, Opened, Start};
use app::{App, EditTarget, Editor, Modal, Screen};
use theme::Theme;
use update::{Effect, Format};

pub fn run(q: Questionnaire, start: Start) -> Result<(), Error> {
    let mut app = App::new(q, Theme::from_env());
    // Anything that can fail before the terminal is taken over is reported as a plain error.
    match start {
        Start::Home => {
            refresh_sessions(&mut app);
            // The most recent workshop is highlighted: resuming is the common case.
            if !app.start.sessions.is_empty() {
                app.start.cursor = 1;
            }
        }
        Start::New {
            organisation: Some(org),
            path,
        } if !org.trim().is_empty() => {
            let opened = workshop::create(&app.q, org.trim(), path)?;
            app.install_leased(opened.session, opened.lease, Screen::Details);
            app.info("New workshop. Fill in the details, then Tab to Inventory.");
        }
        Start::New { path, .. } => {
            refresh_sessions(&mut app);
            app.new_path = path;
            app.modal = Some(Modal::Editor(Box::new(Editor::new(
                EditTarget::NewWorkshop,
                "New workshop: organisation being scoped",
                "",
                false,
            ))));
        }
        Start::Resume(opened) => {
            // The command line has printed what opening found already.
            resume(&mut app, *opened);
            changes::hint_after_resume(&mut app);
        }
    }

    let mut terminal = ratatui::try_init().map_err(Error::Terminal)?;
    install_panic_hook();
    signals::install();
    let _ = execute!(std::io::stdout(), EnableBracketedPaste);
    let result = event_loop(&mut terminal, &mut app);
    if signals::terminal_gone() {
        // Nothing left to restore; dropping the terminal would panic writing to it.
        std::mem::forget(terminal);
    }
    let _ = execute!(
        std::io::stdout(),
        DisableBracketedPaste,
        DisableMouseCapture
    );
    // Not `ratatui::restore()`: it prints failures with `eprintln!`, which panics (and then
    // aborts in the panic hook) when the terminal has hung up.
    let _ = ratatui::try_restore();
    result?;

    if let Some(w) = &app.work {
        if w.read_only() {
            let _ = writeln!(
                std::io::stdout(),
                "Closed {} (open read-only: nothing was changed)",
                w.path().display()
            );
            return Ok(());
        }
        if let Some(e) = app.last_save_error.take() {
            return Err(Error::Unsaved {
                path: w.path().to_path_buf(),
                source: Box::new(e),
            });
        }
        let why = signals::received().map_or(String::new(), |s| format!(" (stopped by {s})"));
        let _ = writeln!(
            std::io::stdout(),
            "Workshop saved to {}{why}",
            w.path().display()
        );
    }
    Ok(())
}

/// Leaves mouse capture and bracketed paste before the default hook restores the terminal.
fn install_panic_hook() {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let _ = execute!(
            std::io::stdout(),
            DisableBracketedPaste,
            DisableMouseCapture
        );
        previous(info);
    }));
}

fn event_loop(terminal: &mut ratatui::DefaultTerminal, app: &mut App) -> Result<(), Error> {
    loop {
        if let Err(e) = terminal.draw(|f| view::draw(f, app)) {
            // The window closed while drawing (the write fails before the hang-up is seen):
            // a hang-up like any other, not an error.
            if signals::terminal_hung_up() || signals::requested() {
                apply(app, Effect::Save);
                return Ok(());
            }
            return Err(Error::Terminal(e));
        }
        let Some(ev) = signals::next_event().map_err(Error::Terminal)? else {
            // SIGTERM/SIGHUP/SIGINT: save, then leave normally so the terminal is restored.
            apply(app, Effect::Save);
            return Ok(());
        };
        let Some(action) = action::from_event(app, &ev) else {
            continue;
        };
        for effect in update::update(app, action) {
            if let Effect::SetMouse(on) = effect {
                let _ = if on {
                    execute!(std::io::stdout(), EnableMouseCapture)
                } else {
                    execute!(std::io::stdout(), DisableMouseCapture)
                };
            } else if let Some(msg) = effect.busy() {
                // Said while it runs; taken back unless the effect says something itself.
                let before = app.status.clone();
                app.info(msg);
                let _ = terminal.draw(|f| view::draw(f, app));
                apply(app, effect);
                if app.status.as_ref().is_some_and(|(_, m)| m == msg) {
                    app.status = before;
                }
            } else {
                apply(app, effect);
            }
        }
        if app.quit {
            return Ok(());
        }
    }
}

/// Carries out an effect. Failures become status messages: the app keeps running and says what
/// went wrong, and a failed save is shown in the header until a save succeeds.
pub fn apply(app: &mut App, effect: Effect) {
    match effect {
        Effect::Save => {
            let Some(w) = app.work.as_mut() else { return };
            // Only what changed is written (a workshop that was only looked at, or reconciled
            // with a newer questionnaire on the way in, is left as it is on disk): appended to
            // the journal, durably, before the next frame; the whole file is written when
            // leaving and once the journal is long.
            let leaving = app.quit || signals::requested();
            let saved = w.lease.record(&w.session).and_then(|r| {
                if leaving || r.fold_due {
                    w.lease.save_if_changed(&w.session, &w.rec)
                } else {
                    Ok(None)
                }
            });
            match saved {
                Ok(saved) => {
                    w.save_error = None;
                    app.last_save_error = None;
                    if let Some(problem) = saved.and_then(|s| s.backup_problem) {
                        app.error_text(problem);
                    }
                }
                Err(e) => {
                    w.save_error = Some(e.to_string());
                    app.show_error("NOT SAVED", &e);
                    app.last_save_error = Some(e);
                }
            }
        }
        Effect::Create { organisation, path } => {
            let path = path.or_else(|| app.new_path.take());
            match workshop::create(&app.q, &organisation, path) {
                Ok(opened) => {
                    let shown = opened.lease.path().display().to_string();
                    app.install_leased(opened.session, opened.lease, Screen::Details);
                    app.info(format!("New workshop saved to {shown}"));
                }
                Err(e) => app.show_error("Could not create the workshop", &e),
            }
        }
        Effect::Open(path) => open_workshop(app, path),
        Effect::OpenReadOnly(path) => {
            // What `socscope resume --read-only` does: no lock, and saving is refused.
            match workshop::open(&path, &app.q, Access::ReadOnly) {
                Ok(opened) => {
                    opened_workshop(app, opened);
                    app.info(format!(
                        "Opened {} read-only: view, recommendation and export work; changes \
                         are refused.",
                        path.display()
                    ));
                }
                Err(e) => app.show_error("Could not open", &e),
            }
        }
        Effect::RestoreBackup(path) => restore_backup(app, path),
        Effect::RefreshSessions => refresh_sessions(app),
        Effect::Export(format) => {
            let Some(w) = &app.work else { return };
            // Exports never hold a detected secret, even one stored on purpose.
            let s = crate::secrets::redact_session(&w.session);
            let r = engine::recommend(&app.q, &s);
            let text = match format {
                Format::Markdown => export::markdown::render(&app.q, &s, &r),
                Format::Json => export::json::render_export(&app.q, &s, &r),
                Format::EvidenceMarkdown => export::markdown::evidence_checklist(&s, &r),
                Format::EvidenceJson => export::json::evidence_plan(&s, &r),
            };
            let target = export_path(w.path(), format);
            match workshop::write_export(&target, &text) {
                Ok(()) => {
                    app.info(format!("Wrote {}", target.display()));
                    app.export.written.retain(|p| p != &target);
                    app.export.written.push(target);
                }
                Err(e) => app.show_error("Export failed", &e),
            }
        }
        Effect::SetMouse(_) => {}
        Effect::ComparePicker => changes::open_picker(app),
        Effect::Compare(path) => changes::compare_with(app, &path),
        Effect::WriteChanges => changes::write(app),
        Effect::ImportPreview { path } => import_preview(app, path),
    }
}

/// Opens a saved workshop to work on it: takes its lock first. Another process holding it
/// opens the "open read-only?" dialog; a damaged file with a readable backup opens the
/// "open the backup?" dialog. Nothing is written here.
fn open_workshop(app: &mut App, path: PathBuf) {
    if app
        .work
        .as_ref()
        .is_some_and(|w| !w.read_only() && workshop::catalogue::same_file(w.path(), &path))
    {
        // Already open here for writing: nothing to take over.
        return;
    }
    // Whatever was open stays open until the new one is: a refusal changes nothing.
    let previous = app.work.take();
    let result = workshop::open(&path, &app.q, Access::Write);
    if result.is_err() {
        app.work = previous;
    } else {
        drop(previous);
    }
    match result {
        Ok(opened) => opened_workshop(app, opened),
        Err(Error::Lock(crate::session::lock::LockError::Locked { path, holder })) => {
            app.modal = Some(Modal::Locked { path, holder });
        }
        Err(e) => match workshop::readable_backup(&path, &app.q, &e) {
            Some(backup) => {
                app.modal = Some(Modal::Damaged {
                    aside: workshop::corrupt_path(&path),
                    path,
                    error: e.report(),
                    backup,
                })
            }
            None => app.show_error("Could not open", &e),
        },
    }
}

/// The damaged-file dialog's "open the backup": what `socscope resume FILE --from-backup`
/// does (under the session's lock): the damaged file is renamed `FILE.corrupt`, its bytes
/// untouched; the backup's content is written as FILE and opened; the backup stays as it was.
fn restore_backup(app: &mut App, path: PathBuf) {
    match workshop::restore_from_backup(&path, &app.q) {
        Ok(r) => {
            opened_workshop(app, r.opened);
            let kept = r.kept_as.map_or(String::new(), |a| {
                format!("; the damaged file is kept untouched as {}", a.display())
            });
            app.info(format!(
                "Restored {} from {}{kept}",
                path.display(),
                r.backup.display()
            ));
        }
        Err(e) => app.show_error("Could not restore the backup", &e),
    }
}

/// A workshop read from its file: shown where the facilitator left off, with what changed on
/// the way in (questionnaire version, notices).
fn opened_workshop(app: &mut App, opened: Opened) {
    let notes = opened.notes();
    resume(app, opened);
    changes::hint_after_resume(app);
    if let Some(n) = notes.first() {
        let more = if notes.len() > 1 {
            format!(" ({} notes in all: see Review)", notes.len())
        } else {
            String::new()
        };
        app.info(format!("{n}{more}"));
    }
}

/// Reads a CSV of identities and opens the preview: the column mapping and the dry run, which
/// `update` recomputes from the text read here as the mapping changes. Nothing changes until
/// it is confirmed (see `update::import_confirmed`).
fn import_preview(app: &mut App, path: PathBuf) {
    let Some(w) = &app.work else { return };
    let text = match workshop::read_text(&path) {
        Ok(t) => t,
        Err(e) => {
            app.show_error("Could not read the file", &e);
            return;
        }
    };
    let today = chrono::Utc::now().date_naive();
    let preview = app::ImportPreview::new(path, text, today, &app.q, &w.session);
    app.modal = Some(Modal::Import(Box::new(preview)));
}

/// An export goes next to the session file: the same name (plus `-evidence` for the evidence
/// plan) and the format's extension.
pub fn export_path(session: &std::path::Path, format: Format) -> PathBuf {
    let stem = session
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "workshop".into());
    session.with_file_name(format!("{stem}{}.{}", format.suffix(), format.extension()))
}

/// Opens a saved workshop where the facilitator left off: the first unanswered question after
/// the one answered last; the recommendation when every question has an answer.
fn resume(app: &mut App, opened: Opened) {
    let org = crate::text::clean(&opened.session.workshop.organisation);
    let path = opened.lease.path().display().to_string();
    app.install_leased(opened.session, opened.lease, Screen::Questions);
    let Some(w) = &app.work else { return };
    let seq = w.sequence();
    match workshop::answer::resume_position(&app.q, &w.session, &seq) {
        Some(i) => {
            let (e, qi) = seq[i].clone();
            let open = w.rec.open_questions.len();
            let answered = w.rec.progress.answered;
            app.questions.at = Some((e, app.q.questions[qi].id.clone()));
            app.reset_cursor();
            app.info(format!(
                "Resumed {org} ({path}): {answered} answered, {open} open question{} behind \
                 the decisions",
                if open == 1 { "" } else { "s" }
            ));
        }
        None => {
            // Nothing left to ask: what the facilitator wants next is the recommendation.
            app.stack = vec![Screen::Recommendation];
            app.info(format!(
                "Resumed {org}: every question is answered ({path})"
            ));
        }
    }
}

fn refresh_sessions(app: &mut App) {
    match workshop::catalogue::saved(&app.q) {
        Ok(list) => {
            app.start.sessions = list;
            app.start.error = None;
        }
        Err(e) => app.start.error = Some(e.report()),
    }
}
