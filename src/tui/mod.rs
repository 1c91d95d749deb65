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

use crate::cli::{Failure, Start};
use crate::engine;
use crate::export;
use crate::questionnaire::Questionnaire;
use crate::session::{Value, lock, store};
use app::{App, EditTarget, Editor, Modal, Screen};
use theme::Theme;
use update::{Effect, Format};

pub fn run(q: Questionnaire, start: Start) -> Result<(), Failure> {
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
            let (s, path) = crate::cli::create_session(&app.q, org.trim(), path)?;
            app.install(s, path, Screen::Details);
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
        Start::Resume { path } => {
            let s = crate::cli::open_session(&path, &app.q)?;
            resume(&mut app, s, path);
            changes::hint_after_resume(&mut app);
        }
    }

    let mut terminal = ratatui::try_init()
        .map_err(|e| Failure(format!("could not start the terminal UI: {e}")))?;
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
        if w.read_only {
            let _ = writeln!(
                std::io::stdout(),
                "Closed {} (open read-only: nothing was changed)",
                w.path.display()
            );
            return Ok(());
        }
        if let Some(e) = &w.save_error {
            return Err(Failure(format!(
                "the last change could not be saved to {}: {e}",
                w.path.display()
            )));
        }
        let why = signals::received().map_or(String::new(), |s| format!(" (stopped by {s})"));
        let _ = writeln!(
            std::io::stdout(),
            "Workshop saved to {}{why}",
            w.path.display()
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

fn event_loop(terminal: &mut ratatui::DefaultTerminal, app: &mut App) -> Result<(), Failure> {
    loop {
        if let Err(e) = terminal.draw(|f| view::draw(f, app)) {
            // The window closed while drawing (the write fails before the hang-up is seen):
            // a hang-up like any other, not an error.
            if signals::terminal_hung_up() || signals::requested() {
                apply(app, Effect::Save);
                return Ok(());
            }
            return Err(e.into());
        }
        let Some(ev) = signals::next_event()? else {
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
            if w.read_only {
                // Nothing to save: a read-only workshop is never changed (see `update`).
                return;
            }
            match store::save_with(&w.path, &w.session, Some(&w.rec)) {
                Ok(()) => w.save_error = None,
                Err(e) => {
                    let msg = e.to_string().lines().next().unwrap_or_default().to_string();
                    w.save_error = Some(msg.clone());
                    app.error(format!("NOT SAVED: {msg}"));
                }
            }
        }
        Effect::Create { organisation, path } => {
            let path = path.or_else(|| app.new_path.take());
            match crate::cli::create_session(&app.q, &organisation, path) {
                Ok((s, path)) => {
                    app.install(s, path.clone(), Screen::Details);
                    app.info(format!("New workshop saved to {}", path.display()));
                }
                Err(Failure(e)) => app.error(format!("Could not create the workshop: {e}")),
            }
        }
        Effect::Open(path) => open_workshop(app, path),
        Effect::OpenReadOnly(path) => {
            // What `socscope resume --read-only` does: no lock, and saving is refused.
            lock::set_read_only(&path);
            match store::open(&path, &app.q) {
                Ok((s, opened)) => {
                    opened_workshop(app, s, path.clone(), &opened);
                    app.info(format!(
                        "Opened {} read-only: view, recommendation and export work; changes \
                         are refused.",
                        path.display()
                    ));
                }
                Err(e) => app.error(format!("Could not open: {}", first_line(&e))),
            }
        }
        Effect::RestoreBackup(path) => restore_backup(app, path),
        Effect::RefreshSessions => refresh_sessions(app),
        Effect::Export(format) => {
            let Some(w) = &app.work else { return };
            // Exports never hold a detected secret, even one stored on purpose.
            let w = &crate::secrets::Redacted::of(&w.session, &w.path);
            let r = engine::recommend(&app.q, &w.session);
            let text = match format {
                Format::Markdown => export::markdown::render(&app.q, &w.session, &r),
                Format::Json => export::json::render_export(&app.q, &w.session, &r),
                Format::EvidenceMarkdown => export::markdown::evidence_checklist(&w.session, &r),
                Format::EvidenceJson => export::json::evidence_plan(&w.session, &r),
            };
            let target = export_path(&w.path, format);
            match store::write_atomic(&target, text.as_bytes()) {
                Ok(()) => {
                    app.info(format!("Wrote {}", target.display()));
                    app.export.written.retain(|p| p != &target);
                    app.export.written.push(target);
                }
                Err(e) => app.error(format!(
                    "Export failed: {}",
                    e.to_string().lines().next().unwrap_or_default()
                )),
            }
        }
        Effect::SetMouse(_) => {}
        Effect::ComparePicker => changes::open_picker(app),
        Effect::Compare(path) => changes::compare_with(app, &path),
        Effect::WriteChanges => changes::write(app),
        Effect::ImportPreview { path } => import_preview(app, path),
    }
}

fn first_line(e: &impl std::fmt::Display) -> String {
    e.to_string().lines().next().unwrap_or_default().to_string()
}

/// Opens a saved workshop to work on it: takes its lock first. Another process holding it
/// opens the "open read-only?" dialog; a damaged file with a readable backup opens the
/// "open the backup?" dialog. Nothing is written here.
fn open_workshop(app: &mut App, path: PathBuf) {
    let had = lock::holds(&path);
    match lock::hold(&path) {
        Ok(()) => {}
        Err(lock::LockError::Locked { path, holder }) => {
            app.modal = Some(Modal::Locked { path, holder });
            return;
        }
        Err(e) => {
            app.error(format!("Could not open: {}", first_line(&e)));
            return;
        }
    }
    // This process is its writer now, even if it was opened read-only before.
    lock::clear_read_only(&path);
    match store::open(&path, &app.q) {
        Ok((s, opened)) => opened_workshop(app, s, path, &opened),
        Err(e) => {
            if !had {
                lock::release(&path);
            }
            match crate::cli::readable_backup(&path, &app.q, &e) {
                Some(backup) => {
                    app.modal = Some(Modal::Damaged {
                        aside: crate::cli::corrupt_path(&path),
                        path,
                        error: e.to_string(),
                        backup,
                    })
                }
                None => app.error(format!("Could not open: {}", first_line(&e))),
            }
        }
    }
}

/// The damaged-file dialog's "open the backup": what `socscope resume FILE --from-backup`
/// does (under the session's lock): the damaged file is renamed `FILE.corrupt`, its bytes
/// untouched; the backup's content is written as FILE and opened; the backup stays as it was.
fn restore_backup(app: &mut App, path: PathBuf) {
    let had = lock::holds(&path);
    if let Err(e) = lock::hold(&path) {
        app.error(format!("Could not restore: {}", first_line(&e)));
        return;
    }
    lock::clear_read_only(&path);
    let restored = crate::cli::restore_from_backup(&path, &app.q).and_then(|aside| {
        store::open(&path, &app.q)
            .map(|opened| (aside, opened))
            .map_err(Failure::from)
    });
    match restored {
        Ok((aside, (s, opened))) => {
            opened_workshop(app, s, path.clone(), &opened);
            let kept = aside.map_or(String::new(), |a| {
                format!("; the damaged file is kept untouched as {}", a.display())
            });
            app.info(format!(
                "Restored {} from {}{kept}",
                path.display(),
                store::backup_path(&path).display()
            ));
        }
        Err(Failure(e)) => {
            if !had {
                lock::release(&path);
            }
            app.error(format!("Could not restore the backup: {}", first_line(&e)));
        }
    }
}

/// A workshop read from its file: shown on its first open question, with what changed on the
/// way in (questionnaire version, notices).
fn opened_workshop(
    app: &mut App,
    s: crate::session::Session,
    path: PathBuf,
    opened: &crate::session::file::Opened,
) {
    resume(app, s, path);
    changes::hint_after_resume(app);
    if opened.questionnaire_changed {
        app.info("The questionnaire changed since this was saved; answers to questions that still exist are kept.");
    }
    if let Some(n) = opened.notices.first() {
        app.info(format!("{n} ({} notice(s) in all)", opened.notices.len()));
    }
}

/// Reads a CSV of identities and opens the preview: the column mapping and the dry run, which
/// `update` recomputes from the text read here as the mapping changes. Nothing changes until
/// it is confirmed (see `update::import_confirmed`).
fn import_preview(app: &mut App, path: PathBuf) {
    let Some(w) = &app.work else { return };
    let text = match std::fs::read(&path).map(String::from_utf8) {
        Ok(Ok(t)) => t,
        Ok(Err(_)) => {
            app.error(format!(
                "{} is not UTF-8 text: save it as CSV in UTF-8",
                path.display()
            ));
            return;
        }
        Err(e) => {
            app.error(format!("Could not read {}: {e}", path.display()));
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

/// Opens a saved workshop on its first unanswered question.
fn resume(app: &mut App, s: crate::session::Session, path: PathBuf) {
    let org = s.workshop.organisation.clone();
    app.install(s, path.clone(), Screen::Questions);
    // `resume --read-only`, or "open read-only" in the locked-session dialog.
    if let Some(w) = app.work.as_mut() {
        w.read_only = lock::is_read_only(&path);
    }
    if let Some(w) = &app.work {
        let first_open = w.sequence().into_iter().find(|(e, qi)| {
            matches!(
                w.answer(e, &app.q.questions[*qi].id).map(|a| &a.value),
                None | Some(Value::Unknown)
            )
        });
        if let Some((e, qi)) = first_open {
            app.questions.at = Some((e, app.q.questions[qi].id.clone()));
            app.reset_cursor();
        } else {
            // Nothing left to ask: what the facilitator wants next is the recommendation.
            app.stack = vec![Screen::Recommendation];
            app.info(format!(
                "Resumed {org}: every question is answered ({})",
                path.display()
            ));
            return;
        }
    }
    app.info(format!("Resumed {org} ({})", path.display()));
}

fn refresh_sessions(app: &mut App) {
    match store::data_dir().and_then(|dir| store::list(&dir, &app.q)) {
        Ok(list) => {
            app.start.sessions = list;
            app.start.error = None;
        }
        Err(e) => {
            app.start.error = Some(e.to_string().lines().next().unwrap_or_default().to_string())
        }
    }
}
