//! Effects: what `update` asks for and the loop carries out (saving, opening, exporting...).
//! The only I/O of the app is here and in the dialogs' and screens' `effect` helpers; every
//! open, save and export goes through the application layer (`crate::workshop`).

use std::path::PathBuf;

use crate::engine;
use crate::export;
use crate::workshop::{self, Access, Error, Opened};

use super::app::{App, Modal, Screen};
use super::screen::changes;

/// What `update` asks the loop to do.
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
    /// Leave the open workshop for the start screen: its journal is written into the file
    /// first, as on quitting, so opening it again has nothing to recover.
    Close,
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
    pub(crate) fn busy(&self) -> Option<&'static str> {
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
    pub(crate) const ALL: [Format; 4] = [
        Format::Markdown,
        Format::Json,
        Format::EvidenceMarkdown,
        Format::EvidenceJson,
    ];
    pub(crate) fn label(self) -> &'static str {
        match self {
            Format::Markdown => "Full report, Markdown (.md): for people",
            Format::Json => "Full report, JSON (.json): for tools",
            Format::EvidenceMarkdown => {
                "Evidence plan checklist, Markdown (-evidence.md): for control owners"
            }
            Format::EvidenceJson => "Evidence plan, JSON (-evidence.json): for trackers",
        }
    }
    pub(crate) fn extension(self) -> &'static str {
        match self {
            Format::Markdown | Format::EvidenceMarkdown => "md",
            Format::Json | Format::EvidenceJson => "json",
        }
    }
    /// What goes between the session file's stem and the extension.
    pub(crate) fn suffix(self) -> &'static str {
        match self {
            Format::Markdown | Format::Json => "",
            Format::EvidenceMarkdown | Format::EvidenceJson => "-evidence",
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
            let leaving = app.quit || super::signals::requested();
            let saved = w.lease.record(&w.session).and_then(|r| {
                if leaving || r.fold_due {
                    w.save_whole(&app.q)
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
        Effect::Close => {
            let Some(w) = app.work.as_mut() else { return };
            let read_only = w.read_only();
            if !read_only {
                let saved = w
                    .lease
                    .record(&w.session)
                    .and_then(|_| w.save_whole(&app.q));
                if let Err(e) = saved {
                    w.save_error = Some(e.to_string());
                    app.show_error("NOT SAVED", &e);
                    app.last_save_error = Some(e);
                    return;
                }
            }
            let saved = w.path().display().to_string();
            app.work = None;
            app.stack = vec![Screen::Start];
            app.start.list.cursor = 1;
            app.info(if read_only {
                format!("Closed {saved} (open read-only: nothing was changed)")
            } else {
                format!("Saved to {saved}")
            });
            refresh_sessions(app);
        }
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
    let preview = super::dialog::import::ImportPreview::new(path, text, today, &app.q, &w.session);
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
pub(crate) fn resume(app: &mut App, opened: Opened) {
    let org = crate::text::clean(&opened.session.workshop.organisation);
    app.install_resumed(opened.session, opened.lease, Screen::Questions);
    let Some(w) = &app.work else { return };
    let seq = w.sequence();
    // One line on what is open, short enough for the status line at 80 columns (the full
    // progress sentence is on Details). Known before the analysis: no rules in it.
    let p = w.progress();
    let summary = crate::report::wording::progress_short(p);
    match workshop::answer::resume_position(&app.q, &w.session, seq) {
        Some(i) => {
            let (e, qi) = seq[i].clone();
            let next = match &e {
                crate::session::EntityId::Engagement => "the engagement".to_string(),
                other => format!(
                    "{} · {}",
                    w.section_label(other),
                    crate::text::clean(&w.session.entity_name(other))
                ),
            };
            app.questions.at = Some((e, app.q.questions[qi].id.clone()));
            app.reset_cursor();
            app.info(format!("Resumed {org} at {next}: {summary}"));
        }
        None => {
            // Nothing left to ask: what the facilitator wants next is the recommendation.
            app.stack = vec![Screen::Recommendation];
            app.info(format!("Resumed {org}: {summary}; nothing left unanswered"));
        }
    }
    let conflicts = app.work.as_ref().map_or(0, |w| w.session.conflicts.len());
    if conflicts > 0 {
        // A merge left conflicts: they come first; Esc goes on to where the workshop resumes.
        app.stack.push(Screen::Conflicts);
        app.conflicts.list.cursor = 0;
        app.info(format!(
            "Resumed {org}: {conflicts} merge conflict(s) to settle first (Esc: later)."
        ));
    }
}

pub(crate) fn refresh_sessions(app: &mut App) {
    match workshop::catalogue::saved(&app.q) {
        Ok(list) => {
            app.start.sessions = list;
            app.start.error = None;
        }
        Err(e) => app.start.error = Some(e.report()),
    }
}
