//! The import preview (`i` on the Inventory): the file's column mapping, which the
//! facilitator can change, and the dry run, recomputed after every change. Nothing changes
//! until it is confirmed. (Moved here whole from `app.rs`, `update.rs` and `view/modal.rs`.)

use std::ops::ControlFlow;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::Duration;

use chrono::Utc;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph};

use super::Modal;
use crate::questionnaire::Questionnaire;
use crate::session::Session;
use crate::tui::app::{App, Pane};
use crate::tui::keymap::{self, Cmd, Ctx};
use crate::tui::list::move_cursor;
use crate::tui::update::Effect;
use crate::tui::widgets::{clean, marker, truncate, wrap, wrap_hanging};

/// What importing a CSV would do, shown before anything changes: the column mapping first,
/// which the facilitator can change, then the dry run, recomputed after every change.
pub struct ImportPreview {
    pub path: PathBuf,
    /// The file's text, read once: each change of mapping recomputes the dry run from it (on a
    /// worker thread, which shares it, for a file of [`ImportPreview::background_from`] bytes).
    pub csv: Arc<str>,
    /// The header's columns (empty when the header cannot be read).
    pub columns: Vec<String>,
    /// The first row's cells, to show what each column holds.
    pub sample: Vec<String>,
    /// The column mapping, in the command line's model (`--map COLUMN=FIELD`).
    pub mapping: crate::import::Mapping,
    /// How the columns are read with `mapping`; `None` when the header cannot be read.
    pub resolved: Option<crate::import::ResolvedMapping>,
    /// Leave out the rows that cannot be read (`s`), as `--skip-bad-rows` does.
    pub skip_bad_rows: bool,
    /// Let the file replace answers given live in the workshop (`o`), as `--overwrite` does.
    pub overwrite: bool,
    /// The dry run keeps a live answer the file disagrees with (so `o` would change something).
    pub keeps_live: bool,
    /// Dates are judged against this day: the day the preview opened.
    pub today: chrono::NaiveDate,
    /// The highlighted column.
    pub cursor: usize,
    /// The dry run: what is added or updated, or every row that stops the import.
    pub text: String,
    /// The plan to apply on confirmation; `None` while the file cannot be imported as mapped.
    pub plan: Option<crate::import::ImportPlan>,
    /// Why it cannot be imported yet, and what to do (when `plan` is `None`).
    pub problem: Option<String>,
    /// Some rows are bad but the others could be imported (offered with `s`).
    pub can_skip_bad_rows: bool,
    /// How far the dry run is scrolled.
    pub scroll: u16,
    /// Rows of the dry run seen, and how far it can scroll, as last drawn (the view sets them),
    /// so PgUp/PgDn page by what is on screen.
    pub seen: std::cell::Cell<(u16, u16)>,
    /// The dialog's keys are shown instead of the mapping (`?`).
    pub help: bool,
    /// The dry run being worked out on a worker thread; `plan` and `text` are empty meanwhile.
    pub(crate) running: Option<Running>,
    /// Files this long or longer are planned on a worker thread, with progress and Esc to
    /// cancel; shorter ones at once (a few milliseconds).
    pub(crate) background_from: usize,
}

/// Files of this many bytes or more are planned on a worker thread (about 3,500 rows).
pub(crate) const BACKGROUND: usize = 256 * 1024;

/// How often the worker reports progress, and the event loop looks for it.
pub(crate) const TICK: Duration = Duration::from_millis(100);

/// A dry run on a worker thread: its reports, and the flag that stops it. Dropping it (Esc, a
/// new mapping, the dialog closed) stops the worker at its next report; the session is never
/// touched by it (the worker plans against a copy).
pub(crate) struct Running {
    reports: mpsc::Receiver<Report>,
    cancel: Arc<AtomicBool>,
    /// The last progress reported; `None` until the first.
    pub(crate) progress: Option<crate::import::Progress>,
}

pub(crate) enum Report {
    Progress(crate::import::Progress),
    /// The plan and its preview text, or why the file cannot be imported as mapped.
    Done(Box<Result<(crate::import::ImportPlan, String), crate::import::ImportErrors>>),
}

impl Running {
    /// A dry run whose reports come from `reports` (the worker's, or a test's).
    pub(crate) fn new(reports: mpsc::Receiver<Report>, cancel: Arc<AtomicBool>) -> Running {
        Running {
            reports,
            cancel,
            progress: None,
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.cancel.store(true, Ordering::Relaxed);
    }
}

impl ImportPreview {
    /// A preview of importing `csv` (the text of the file at `path`), mapped automatically.
    pub fn new(
        path: PathBuf,
        csv: impl Into<Arc<str>>,
        today: chrono::NaiveDate,
        q: &Questionnaire,
        s: &Session,
    ) -> ImportPreview {
        let csv: Arc<str> = csv.into();
        let mut p = ImportPreview {
            path,
            sample: crate::import::first_row(&csv),
            csv,
            columns: Vec::new(),
            mapping: crate::import::Mapping::default(),
            resolved: None,
            skip_bad_rows: false,
            overwrite: false,
            keeps_live: false,
            today,
            cursor: 0,
            text: String::new(),
            plan: None,
            problem: None,
            can_skip_bad_rows: false,
            scroll: 0,
            seen: std::cell::Cell::new((10, u16::MAX)),
            help: false,
            running: None,
            background_from: BACKGROUND,
        };
        p.recompute(q, s);
        p
    }

    /// The file's name: the source recorded on imported answers (`import:FILE`).
    pub(crate) fn file_name(&self) -> String {
        self.path.file_name().map_or_else(
            || self.path.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        )
    }

    /// The field the highlighted column feeds (`None`: ignored).
    pub(crate) fn field_at(&self, column: usize) -> Option<crate::import::Field> {
        self.resolved
            .as_ref()
            .and_then(|r| r.field_of(column))
            .map(|c| c.field)
    }

    /// Makes the highlighted column feed the next (or previous) field, `None` (ignored)
    /// included. Fields the facilitator chose for another column are skipped, so a choice is
    /// never undone by passing through it; a field only recognised from another column's
    /// header can be taken. Returns the column and what it feeds now.
    pub(crate) fn cycle(
        &mut self,
        forward: bool,
        q: &Questionnaire,
        s: &Session,
    ) -> Option<(String, Option<crate::import::Field>)> {
        use crate::import::Field;
        let column = self.columns.get(self.cursor)?.clone();
        let options: Vec<Option<Field>> = std::iter::once(None)
            .chain(Field::ALL.into_iter().map(Some))
            .collect();
        let cursor = self.cursor;
        let chosen_elsewhere = |f: Field| {
            self.resolved.as_ref().is_some_and(|r| {
                r.fields.iter().any(|c| {
                    c.field == f
                        && c.overridden
                        && c.column.as_ref().is_some_and(|(i, _)| *i != cursor)
                })
            })
        };
        let n = options.len();
        let mut at = options
            .iter()
            .position(|o| *o == self.field_at(cursor))
            .unwrap_or(0);
        for _ in 0..n {
            at = if forward {
                (at + 1) % n
            } else {
                (at + n - 1) % n
            };
            if options[at].is_none_or(|f| !chosen_elsewhere(f)) {
                break;
            }
        }
        let field = options[at];
        self.set(&column, field, q, s);
        Some((column, field))
    }

    /// Makes `column` feed `field` (`None`: ignored) and recomputes the dry run.
    pub(crate) fn set(
        &mut self,
        column: &str,
        field: Option<crate::import::Field>,
        q: &Questionnaire,
        s: &Session,
    ) {
        self.mapping.set(column, field);
        self.recompute(q, s);
    }

    /// Works out the mapping and the dry run again, from the file's text read at the start.
    pub(crate) fn recompute(&mut self, q: &Questionnaire, s: &Session) {
        use crate::import::{self, Field};
        self.running = None;
        self.plan = None;
        self.problem = None;
        self.can_skip_bad_rows = false;
        self.scroll = 0;
        self.text.clear();
        let file_name = self.file_name();
        self.columns = match import::header(&self.csv) {
            Ok(h) => h,
            Err(m) => {
                self.columns.clear();
                self.resolved = None;
                self.problem = Some(format!("{file_name} cannot be imported: {m}"));
                return;
            }
        };
        self.cursor = self.cursor.min(self.columns.len().saturating_sub(1));
        let resolved = match import::assign(&self.columns, &self.mapping) {
            Ok(r) => r,
            Err(m) => {
                // Not reached from the app's own choices; kept for a mapping given elsewhere.
                self.resolved = None;
                self.problem = Some(m);
                return;
            }
        };
        let has_name = resolved.column(Field::Name).is_some();
        self.resolved = Some(resolved);
        if !has_name {
            self.problem = Some(
                "No column feeds the name yet: highlight the column that holds each identity's \
                 name (↑/↓) and press → until it says name."
                    .into(),
            );
            return;
        }
        let opts = import::Options {
            today: self.today,
            overwrite: self.overwrite,
            skip_bad_rows: self.skip_bad_rows,
        };
        if self.csv.len() >= self.background_from {
            self.start(q, s, file_name, opts);
            return;
        }
        let planned = import::plan(q, s, &file_name, &self.csv, &self.mapping, &opts).map(|plan| {
            let text = import::render_plan_hinting(q, &plan, "o replaces it");
            (plan, text)
        });
        self.finish(planned);
    }

    /// Plans on a worker thread, against copies of the questionnaire and the session, reading
    /// the shared text; [`ImportPreview::poll`] takes its reports. A dry run already running
    /// is stopped first.
    fn start(
        &mut self,
        q: &Questionnaire,
        s: &Session,
        file_name: String,
        opts: crate::import::Options,
    ) {
        use crate::import::{self, Csv};
        self.running = None;
        let (tx, rx) = mpsc::channel();
        let cancel = Arc::new(AtomicBool::new(false));
        let stop = Arc::clone(&cancel);
        let (q, s, csv, mapping) = (
            q.clone(),
            s.clone(),
            Arc::clone(&self.csv),
            self.mapping.clone(),
        );
        let spawned = std::thread::Builder::new()
            .name("import-dry-run".into())
            .spawn(move || {
                let progress = tx.clone();
                let mut report = import::throttled(TICK, move |p| {
                    let _ = progress.send(Report::Progress(*p));
                    ControlFlow::Continue(())
                });
                let mut report = |p: &import::Progress| {
                    if stop.load(Ordering::Relaxed) {
                        return ControlFlow::Break(());
                    }
                    report(p)
                };
                let input = Csv {
                    name: file_name,
                    reader: csv.as_bytes(),
                    len: Some(csv.len() as u64),
                };
                let planned =
                    import::plan_from(&q, &s, input, &mapping, &opts, &mut report).map(|plan| {
                        let text = import::render_plan_hinting(&q, &plan, "o replaces it");
                        (plan, text)
                    });
                let _ = tx.send(Report::Done(Box::new(planned)));
            });
        match spawned {
            Ok(_) => self.running = Some(Running::new(rx, cancel)),
            Err(e) => {
                self.problem = Some(format!(
                    "The dry run could not be started ({e}): close other programs and try again."
                ));
            }
        }
    }

    /// Takes what the worker reported since the last call: progress, or the finished dry run.
    /// Returns whether it is still running.
    pub(crate) fn poll(&mut self) -> bool {
        let Some(run) = self.running.as_mut() else {
            return false;
        };
        loop {
            match run.reports.try_recv() {
                Ok(Report::Progress(p)) => run.progress = Some(p),
                Ok(Report::Done(planned)) => {
                    self.running = None;
                    self.finish(*planned);
                    return false;
                }
                Err(mpsc::TryRecvError::Empty) => return true,
                Err(mpsc::TryRecvError::Disconnected) => {
                    self.running = None;
                    self.problem = Some(
                        "The dry run stopped unexpectedly (a socscope defect: please report                          it); nothing has changed."
                            .into(),
                    );
                    return false;
                }
            }
        }
    }

    /// Shows a finished dry run: the plan and its preview, or why it cannot be imported.
    fn finish(
        &mut self,
        planned: Result<(crate::import::ImportPlan, String), crate::import::ImportErrors>,
    ) {
        use crate::import;
        match planned {
            Ok((plan, text)) => {
                self.text = text;
                self.keeps_live = plan.identities.iter().any(|i| {
                    i.answers
                        .iter()
                        .any(|a| matches!(a.action, import::Action::KeepLive { .. }))
                });
                self.plan = Some(plan);
            }
            Err(mut e) => {
                e.file = self.file_name();
                self.text = e.list();
                let rows = e.bad_rows();
                self.can_skip_bad_rows = rows > 0 && !self.skip_bad_rows;
                self.problem = Some(if rows > 0 {
                    format!(
                        "{rows} row{} cannot be imported: fix {} in the file, map the columns \
                         differently, or press s to preview without {}.",
                        if rows == 1 { "" } else { "s" },
                        if rows == 1 { "it" } else { "them" },
                        if rows == 1 { "it" } else { "them" },
                    )
                } else {
                    e.list().lines().next().unwrap_or_default().to_string()
                });
            }
        }
        if !self.mapping.overrides.is_empty() {
            let args: Vec<String> = self
                .mapping
                .args()
                .iter()
                .map(|a| format!("--map \"{a}\""))
                .collect();
            self.text.push_str(&format!(
                "\nThe same mapping on the command line: {}\n",
                args.join(" ")
            ));
        }
    }
}

/// Takes the worker's reports into the open import dialog, if any; whether a dry run is still
/// running there (then the event loop wakes every [`TICK`] to show its progress).
pub(crate) fn poll(app: &mut App) -> bool {
    match app.modal.as_mut() {
        Some(Modal::Import(p)) => p.poll(),
        _ => false,
    }
}

/// The import preview's keys (`Ctx::Import` in the keymap): ↑/↓ a column, ←/→ the field it
/// feeds, Bksp ignores it, `s` leaves the bad rows out; each change recomputes the dry run,
/// which PgUp/PgDn scroll. `y` imports it once it is valid; Esc cancels.
pub(crate) fn update(app: &mut App, cmd: Cmd) -> Vec<Effect> {
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
    let column = clean(column);
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
    if p.running.is_some() {
        app.modal = Some(Modal::Import(p));
        app.info("The dry run is still being worked out: wait for it, or Esc to cancel.");
        return Vec::new();
    }
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

/// The preview's keys for the footer, from the keymap table, leaving out what cannot be done
/// now.
pub(crate) fn hints(p: &ImportPreview) -> Vec<(&'static str, &'static str)> {
    keymap::hints_of(
        Ctx::Import,
        keymap::bindings_for(Ctx::Import, false)
            .into_iter()
            .filter(|b| match b.cmd {
                Cmd::Select => p.plan.is_some(),
                Cmd::SkipBadRows => p.can_skip_bad_rows || p.skip_bad_rows,
                Cmd::OverwriteLive => p.keeps_live || p.overwrite,
                _ => true,
            })
            .collect(),
    )
}

pub(crate) fn draw(frame: &mut Frame, app: &mut App, area: Rect) {
    if let Some(Modal::Import(p)) = &app.modal {
        import_preview(frame, app, p, area);
    }
}

/// The import preview: a heading saying whether it can be imported (and if not, what to do),
/// the file's columns with the field each feeds (the highlighted one is changed with ←/→),
/// then the dry run below, scrolled with PgUp/PgDn.
fn import_preview(frame: &mut Frame, app: &App, p: &ImportPreview, area: Rect) {
    let t = app.theme;
    let w = area.width.saturating_sub(4).min(100);
    // Under the header, above the status line (which says what each key did) and the footer.
    let box_ = Rect {
        x: area.x + area.width.saturating_sub(w) / 2,
        y: area.y + 1,
        width: w,
        height: area.height.saturating_sub(3),
    };
    frame.render_widget(Clear, box_);
    let inner_w = w.saturating_sub(2).max(1) as usize;
    let inner_h = box_.height.saturating_sub(2) as usize;
    let block = Block::bordered()
        .title(format!(
            " Import {} ",
            truncate(&p.file_name(), (w as usize).saturating_sub(12))
        ))
        .title_bottom(if p.help {
            " any key: back "
        } else {
            " ?: all keys "
        })
        .border_style(if p.plan.is_some() || p.running.is_some() {
            t.accent()
        } else {
            t.error()
        });
    let mut lines: Vec<Line> = Vec::new();
    if p.help {
        lines.push(Line::styled("Keys of the import preview", t.bold()));
        let desc_w = inner_w.saturating_sub(11).max(10);
        let own = keymap::bindings_for(Ctx::Import, false);
        for b in own.into_iter().filter(|b| b.ctx.contains(&Ctx::Import)) {
            for (i, part) in wrap(b.desc, desc_w).into_iter().enumerate() {
                let key = if i == 0 {
                    format!("{:>9}  ", b.label)
                } else {
                    " ".repeat(11)
                };
                lines.push(Line::from(vec![
                    Span::styled(key, t.key()),
                    Span::raw(part),
                ]));
            }
        }
        for l in hanging(
            "Also: Home/End first or last column · ? this list · q quit. Any key closes it.",
            inner_w,
        ) {
            lines.push(Line::styled(l, t.dim()));
        }
        frame.render_widget(Paragraph::new(lines).block(block), box_);
        return;
    }
    let (heading, style) = match (&p.plan, &p.problem) {
        _ if p.running.is_some() => (
            "Working out the dry run: nothing has changed yet. Esc cancels.".to_string(),
            t.bold(),
        ),
        (Some(_), _) if p.skip_bad_rows => (
            "Dry run without the bad rows: nothing has changed yet. y imports the rest, s puts \
             them back, Esc cancels."
                .to_string(),
            t.warn(),
        ),
        (Some(_), _) => (
            "Dry run: nothing has changed yet. y imports, Esc cancels.".to_string(),
            t.bold(),
        ),
        (None, Some(problem)) => (problem.clone(), t.error()),
        (None, None) => (
            "This file cannot be imported as it is.".to_string(),
            t.error(),
        ),
    };
    for l in hanging(&heading, inner_w) {
        lines.push(Line::styled(l, style));
    }
    // The columns: at most half the box, scrolled to keep the highlighted one in view.
    if p.columns.is_empty() {
        lines.push(Line::styled("The file has no columns to map.", t.dim()));
    } else {
        lines.push(Line::styled(
            truncate(
                "Columns of the file → the field each feeds (↑/↓ a column, ←/→ its field):",
                inner_w,
            ),
            t.dim(),
        ));
        let rows = p.columns.len().min((inner_h / 2).max(3));
        let first = p
            .cursor
            .saturating_sub(rows - 1)
            .min(p.columns.len() - rows);
        let col_w = p
            .columns
            .iter()
            .map(|c| c.chars().count() + 2)
            .max()
            .unwrap_or(0)
            .clamp(8, 26);
        for i in first..first + rows {
            let shown = crate::secrets::redacted(&p.columns[i]);
            let header = format!("\"{}\"", truncate(&shown, col_w - 2));
            let fc = p.resolved.as_ref().and_then(|r| r.field_of(i));
            let chosen = p
                .mapping
                .overrides
                .iter()
                .any(|(c, _)| c.trim() == p.columns[i].trim());
            let (field, field_style) = match fc {
                Some(c) if c.field == crate::import::Field::Name => (c.field.label(), t.bold()),
                Some(c) => (c.field.label(), ratatui::style::Style::default()),
                None => ("ignored", t.dim()),
            };
            let how = match (fc, chosen) {
                (_, true) => "(chosen)",
                (Some(_), false) => "(recognised)",
                (None, false) => "",
            };
            let sample = p
                .sample
                .get(i)
                .filter(|v| !v.is_empty())
                .map(|v| format!("e.g. {v}"))
                .unwrap_or_default();
            // marker, header, " → ", field and how, as laid out below.
            let room = inner_w.saturating_sub(2 + col_w + 3 + 14 + 13);
            let focused = i == p.cursor;
            let st = |s: ratatui::style::Style| if focused { t.focus() } else { s };
            lines.push(Line::from(vec![
                Span::styled(
                    format!("{}{:<col_w$} → ", marker(focused), header),
                    st(ratatui::style::Style::default()),
                ),
                Span::styled(format!("{field:<13} "), st(field_style)),
                Span::styled(format!("{how:<12} "), st(t.dim())),
                Span::styled(truncate(&sample, room), t.dim()),
            ]));
        }
        if rows < p.columns.len() {
            lines.push(Line::styled(
                format!(
                    "  (columns {}-{} of {}: ↑/↓ for more)",
                    first + 1,
                    first + rows,
                    p.columns.len()
                ),
                t.dim(),
            ));
        }
        if let Some(r) = &p.resolved {
            let missing: Vec<String> = r
                .fields
                .iter()
                .filter(|c| c.column.is_none())
                .map(|c| {
                    if c.field == crate::import::Field::Name {
                        "name (required)".to_string()
                    } else {
                        c.field.label().to_string()
                    }
                })
                .collect();
            if !missing.is_empty() {
                let text = format!("No column: {}", missing.join(", "));
                for l in hanging(&text, inner_w) {
                    lines.push(Line::styled(l, t.dim()));
                }
            }
        }
    }
    // The dry run, below the mapping.
    let rule = if p.plan.is_some() || !p.text.is_empty() {
        " Dry run (PgUp/PgDn) "
    } else {
        " Dry run "
    };
    let fill = inner_w.saturating_sub(rule.chars().count() + 2);
    lines.push(Line::styled(
        format!("──{rule}{}", "─".repeat(fill)),
        t.dim(),
    ));
    let top = lines.len();
    let mut body: Vec<Line> = Vec::new();
    if let Some(run) = &p.running {
        for l in hanging(&progress_text(run.progress.as_ref()), inner_w) {
            body.push(Line::raw(l));
        }
        let share = run
            .progress
            .as_ref()
            .and_then(|p| p.fraction())
            .unwrap_or(0.0);
        body.push(Line::styled(gauge(share, inner_w), t.accent()));
    } else if p.text.is_empty() && p.plan.is_none() {
        body.push(Line::styled(
            "Nothing to preview until a column feeds the name.",
            t.dim(),
        ));
    }
    // Only the lines up to the end of what is seen are wrapped (a large file's dry run is
    // long); each line left takes at least one row, which is enough to know how far it scrolls.
    let room = inner_h.saturating_sub(top);
    let want = p.scroll as usize + room;
    let mut text = p.text.lines();
    for l in text.by_ref() {
        for part in hanging(&clean(l), inner_w) {
            body.push(Line::raw(part));
        }
        if body.len() >= want {
            break;
        }
    }
    let max = (body.len() + text.count()).saturating_sub(room);
    let scroll = (p.scroll as usize).min(max);
    p.seen.set((
        u16::try_from(room).unwrap_or(u16::MAX),
        u16::try_from(max).unwrap_or(u16::MAX),
    ));
    lines.extend(body.into_iter().skip(scroll).take(room));
    frame.render_widget(Paragraph::new(lines).block(block), box_);
}

/// What the worker is doing, e.g. `Reading the file: 420,000 rows (58 %)`.
fn progress_text(p: Option<&crate::import::Progress>) -> String {
    use crate::import::Stage;
    let Some(p) = p else {
        return "Reading the file…".to_string();
    };
    let share = p
        .fraction()
        .map(|f| format!(" ({:.0} %)", f * 100.0))
        .unwrap_or_default();
    match p.stage {
        Stage::Reading => format!("Reading the file: {} rows{share}", thousands(p.rows)),
        Stage::Checking { done, of } => format!(
            "Read {} rows; checking which questions each identity is asked: {} of {}{share}",
            thousands(p.rows),
            thousands(done),
            thousands(of)
        ),
        Stage::Done => format!("Read {} rows; showing the dry run…", thousands(p.rows)),
    }
}

/// `1234567` as `1,234,567`.
fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A bar `width` cells wide, filled to `share` (0 to 1).
fn gauge(share: f64, width: usize) -> String {
    let filled = ((share.clamp(0.0, 1.0) * width as f64).round() as usize).min(width);
    format!("{}{}", "█".repeat(filled), "░".repeat(width - filled))
}

/// Wraps one line of text to `width`, continuation lines indented under the item: by the
/// line's own indent plus two.
fn hanging(line: &str, width: usize) -> Vec<String> {
    let indent = line.chars().take_while(|c| *c == ' ').count();
    let text = line.trim_start();
    if text.is_empty() {
        return vec![String::new()];
    }
    let hang = (indent + 2).min(width / 2);
    let first = width.saturating_sub(indent).max(1);
    let rest = width.saturating_sub(hang).max(1);
    let mut out: Vec<String> = Vec::new();
    for part in wrap_hanging(text, first, rest) {
        // A word longer than the line (a path, a long list) is broken where the line ends.
        let mut chars: Vec<char> = part.chars().collect();
        loop {
            let (pad, room) = if out.is_empty() {
                (indent.min(width / 2), first)
            } else {
                (hang, rest)
            };
            let tail = chars.split_off(chars.len().min(room));
            out.push(format!(
                "{}{}",
                " ".repeat(pad),
                chars.iter().collect::<String>()
            ));
            if tail.is_empty() {
                break;
            }
            chars = tail;
        }
    }
    out
}
