//! The workshop TUI: a thin event loop around pure parts.
//!
//! `action` turns terminal events into actions through the one keymap table (`keymap`);
//! `update` applies them to the [`app::App`] and returns effects (save, open, export...) that
//! [`apply`] (`effect`) carries out; `view` draws the frame. Each screen (`screen/`) and each
//! dialog (`dialog/`) owns its state, its update and its drawing, and every list or text that
//! scrolls is the one windowed list (`list`).
//!
//! Public for the benchmarks and integration tests: `app`, `action`, `update`, `view` and
//! `theme`, [`run`] and [`apply`].

pub mod action;
pub mod app;
mod dialog;
mod effect;
pub(crate) mod keymap;
mod list;
mod screen;
mod signals;
pub mod theme;
pub mod update;
pub mod view;
mod widgets;
mod work;

#[cfg(test)]
mod resume_tests;
#[cfg(test)]
mod tests;

use std::io::Write;

use ratatui::crossterm::event::{
    DisableBracketedPaste, DisableMouseCapture, EnableBracketedPaste, EnableMouseCapture,
};
use ratatui::crossterm::execute;

use crate::questionnaire::Questionnaire;
use crate::workshop::{self, Error, Start};
use app::{App, EditTarget, Editor, Modal, Screen};
use theme::Theme;
use update::Effect;

pub use effect::{apply, export_path};

pub fn run(q: Questionnaire, start: Start) -> Result<(), Error> {
    let mut app = App::new(q, Theme::from_env());
    // The event loop polls for a resumed workshop's analysis: it draws first.
    app.draw_first = true;
    // Anything that can fail before the terminal is taken over is reported as a plain error.
    match start {
        Start::Home => {
            effect::refresh_sessions(&mut app);
            // The most recent workshop is highlighted: resuming is the common case.
            if !app.start.sessions.is_empty() {
                app.start.list.cursor = 1;
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
            effect::refresh_sessions(&mut app);
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
            effect::resume(&mut app, *opened);
            screen::changes::hint_after_resume(&mut app);
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

/// Takes a resumed workshop's analysis if it has arrived, with the answers given meanwhile
/// applied to it; the focused question stays valid.
pub(crate) fn analysis_arrived(app: &mut App) {
    if app.work.as_mut().is_some_and(|w| w.poll()) {
        app.ensure_question();
    }
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

/// How often the loop looks for a resumed workshop's analysis while it is worked out.
const ANALYSIS_TICK: std::time::Duration = std::time::Duration::from_millis(25);

fn event_loop(terminal: &mut ratatui::DefaultTerminal, app: &mut App) -> Result<(), Error> {
    loop {
        // A dry run on a worker thread: its progress is drawn every tick until it is done.
        let working = dialog::import::poll(app);
        // A resumed workshop's analysis, once it has arrived: drawn in this frame.
        analysis_arrived(app);
        // Nothing is shown before it is on disk: a record written ahead of the recompute
        // (`Lease::record_ahead`) is waited for, its failure reported, before the frame.
        if app.work.as_ref().is_some_and(|w| w.lease.unsettled()) {
            apply(app, Effect::Save);
        }
        if let Err(e) = terminal.draw(|f| view::draw(f, app)) {
            // The window closed while drawing (the write fails before the hang-up is seen):
            // a hang-up like any other, not an error.
            if signals::terminal_hung_up() || signals::requested() {
                apply(app, Effect::Save);
                return Ok(());
            }
            return Err(Error::Terminal(e));
        }
        // The first frame is out: the analysis of a resumed workshop starts now.
        let analysing = match app.work.as_mut() {
            Some(w) => {
                w.start();
                w.analysing()
            }
            None => false,
        };
        let limit = match (working, analysing) {
            (true, _) => Some(dialog::import::TICK),
            (false, true) => Some(ANALYSIS_TICK),
            (false, false) => None,
        };
        let Some(ev) = signals::next_event_within(limit).map_err(Error::Terminal)? else {
            // SIGTERM/SIGHUP/SIGINT: save, then leave normally so the terminal is restored.
            apply(app, Effect::Save);
            return Ok(());
        };
        let Some(ev) = ev else {
            continue;
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
