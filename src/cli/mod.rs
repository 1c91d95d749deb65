//! The command line (clap). Each subcommand is a thin shell over the application layer
//! (`workshop`) and the pure features; errors are printed whole, with their help line.

use std::fmt;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

mod diff;
mod import;
mod merge;

use crate::engine;
use crate::export;
use crate::questionnaire::{self, Questionnaire};
use crate::report::wording;
use crate::text;
use crate::workshop::{self, Access, Error, Start};

#[derive(Parser, Debug)]
#[command(
    name = "socscope",
    version,
    about = "Run SOC 1 / SOC 2 scoping workshops: questionnaire, recommendation with rationale, \
             Markdown/JSON export.",
    after_help = "With no command, opens the workshop app (start screen).\n\
                  Sessions are stored in $SOCSCOPE_DATA_DIR, or the platform data directory."
)]
pub struct Cli {
    /// Use this questionnaire instead of the built-in one (see docs/questionnaire-format.md).
    #[arg(long, short = 'q', global = true, value_name = "FILE")]
    pub questionnaire: Option<PathBuf>,

    /// Run the workshop (with no command, `new` or `resume`) as plain line-by-line prompts
    /// (screen readers, dumb terminals); also when the ACCESSIBLE environment variable is set
    /// to 1.
    #[arg(long)]
    pub plain: bool,

    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Start a new workshop in the app.
    New {
        /// Organisation being scoped (can be changed later).
        #[arg(long)]
        organisation: Option<String>,
        /// Where to save the session (default: the sessions directory).
        #[arg(long, short = 'o', value_name = "FILE")]
        output: Option<PathBuf>,
        /// Run the workshop as plain line-by-line prompts (screen readers, dumb terminals);
        /// also when the ACCESSIBLE environment variable is set to 1.
        #[arg(long)]
        plain: bool,
    },
    /// Resume a saved workshop in the app (default: the most recently updated one).
    Resume {
        /// A session file, or the name of one in the sessions directory.
        session: Option<String>,
        /// Open it without changing it (e.g. while another socscope has it open): nothing is
        /// saved, and the app says so.
        #[arg(long)]
        read_only: bool,
        /// The session file is damaged: restore its previous version (`FILE.bak`) and resume
        /// that. The damaged file is kept as `FILE.corrupt`.
        #[arg(long)]
        from_backup: bool,
        /// Run the workshop as plain line-by-line prompts (screen readers, dumb terminals);
        /// also when the ACCESSIBLE environment variable is set to 1.
        #[arg(long)]
        plain: bool,
    },
    /// List saved sessions: organisation, last update, progress, verdict.
    List,
    /// Check a questionnaire file and report every problem with line and column.
    Validate { file: PathBuf },
    /// Print the recommendation for a session.
    Recommend {
        session: String,
        /// Machine-readable output (schema: docs/json-schema.md).
        #[arg(long)]
        json: bool,
    },
    /// Pre-fill identities from a CSV exported from an identity provider or cloud IAM
    /// (docs/import.md).
    Import {
        session: String,
        /// The CSV file: one row per identity (or per grant), with a header row.
        #[arg(long, value_name = "FILE.csv")]
        identities: PathBuf,
        /// Use this column for this field (name, kind, owner, systems, privilege, last_rotated,
        /// last_reviewed, mfa, or ignore); repeatable.
        #[arg(long = "map", value_name = "COLUMN=FIELD")]
        map: Vec<String>,
        /// Show what would be added or updated, and save nothing.
        #[arg(long)]
        dry_run: bool,
        /// Replace live answers that differ from the file (by default they are kept).
        #[arg(long)]
        overwrite: bool,
        /// Import the readable rows and list the others (by default one bad row stops it all).
        #[arg(long)]
        skip_bad_rows: bool,
        /// Judge rotation and review dates as of this day (YYYY-MM-DD; default: today).
        #[arg(long, value_name = "DATE")]
        as_of: Option<chrono::NaiveDate>,
    },
    /// What changed between two sessions (e.g. last year's and this year's workshop).
    Diff {
        old: String,
        new: String,
        #[arg(long, short = 'f', value_enum, default_value_t = DiffFormat::Text)]
        format: DiffFormat,
    },
    /// Three-way merge of two copies of a session, answer by answer (also git's merge driver:
    /// `socscope merge %O %A %B -o %A`). Exit 0 when clean, 1 with conflicts, 2 on error.
    Merge {
        /// The common ancestor (an empty file: none).
        base: String,
        /// Our copy: where a conflicting answer is kept until resolved.
        ours: String,
        /// Their copy, merged in.
        theirs: String,
        /// Write the merged session here (default: standard output); may be OURS itself.
        #[arg(long, short = 'o', value_name = "FILE")]
        output: Option<PathBuf>,
    },
    /// Export a session's recommendation as Markdown or JSON.
    Export {
        session: String,
        #[arg(long, short = 'f', value_enum, default_value_t = Format::Markdown)]
        format: Format,
        /// Export only the evidence plan: a Markdown task list, or JSON, to track collection.
        #[arg(long)]
        evidence_plan: bool,
        /// Write to this file instead of standard output.
        #[arg(long, short = 'o', value_name = "FILE")]
        output: Option<PathBuf>,
    },
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum DiffFormat {
    Text,
    Markdown,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Markdown,
    Json,
}

/// Opens an interactive workshop: the app, or plain mode when the flag (or `ACCESSIBLE=1`) asks.
/// The binary supplies it, so the command line never imports a front-end of its own rank.
pub(crate) type Launch = fn(Questionnaire, Start, bool) -> Result<(), Error>;

pub fn run(cli: Cli, launch: Launch) -> ExitCode {
    let result = dispatch(cli, launch);
    match result {
        Ok(code) => code,
        Err(e) => {
            report_error(&e);
            ExitCode::from(1)
        }
    }
}

/// Prints an error whole on standard error.
fn report_error(e: &Error) {
    // Located errors (`file:line:col: error: ...`) already say they are errors.
    let prefix = if e.is_located() { "" } else { "error: " };
    let _ = writeln!(std::io::stderr(), "{prefix}{}", e.report());
}

/// Prints what opening found (questionnaire changed, answers kept aside or restored).
fn report_opened(opened: &workshop::Opened) {
    let mut err = std::io::stderr();
    for n in opened.notes() {
        let _ = writeln!(err, "note: {n}");
    }
}

/// Opens a session to read it: no lock, nothing written; notes go to standard error.
fn open_to_read(arg: &str, q: &Questionnaire) -> Result<workshop::Opened, Error> {
    let path = workshop::resolve(arg)?;
    let opened =
        workshop::open(&path, q, Access::ReadOnly).map_err(|e| with_backup_hint(&path, q, e))?;
    report_opened(&opened);
    Ok(opened)
}

/// Adds "restore the backup" to an error about a file that cannot be read as a session.
fn with_backup_hint(path: &Path, q: &Questionnaire, e: Error) -> Error {
    match workshop::readable_backup(path, q, &e) {
        Some(bak) => Error::Usage {
            message: e.to_string(),
            help: format!(
                "the previous version is readable: `socscope resume {} --from-backup` restores \
                 it (this file is kept as {}), or open the backup itself with `socscope resume \
                 {}`",
                path.display(),
                workshop::corrupt_path(path).display(),
                bak.display()
            ),
        },
        None => e,
    }
}

fn print(text: &str) -> Result<(), Error> {
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .map_err(Error::io("write to standard output"))
}

/// Text on its way to an `io::Write`, written piece by piece as it is made (`fmt::Write`):
/// keeps the first error (a closed pipe, a full disk), after which it writes nothing; with
/// `clean`, each piece is cleaned for the terminal.
pub(super) struct Sink<W: io::Write> {
    out: W,
    clean: bool,
    failed: Option<io::Error>,
}

impl<W: io::Write> Sink<W> {
    pub(super) fn new(out: W, clean: bool) -> Sink<W> {
        Sink {
            out,
            clean,
            failed: None,
        }
    }

    /// The writer's first error, or the flush.
    fn done(mut self) -> io::Result<()> {
        match self.failed.take() {
            Some(e) => Err(e),
            None => self.out.flush(),
        }
    }

    pub(super) fn finish(self, written: fmt::Result) -> Result<(), Error> {
        let failed = self.failed.is_some();
        let flushed = match (written, failed) {
            (Err(_), false) => Err(io::Error::other("the preview could not be written")),
            _ => self.done(),
        };
        flushed.map_err(Error::io("write to standard output"))
    }
}

impl<W: io::Write> fmt::Write for Sink<W> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        if self.failed.is_some() {
            return Err(fmt::Error);
        }
        // Cleaned already where it was made; this is the last guard before the terminal.
        let cleaned;
        let s = if self.clean && s.chars().any(|c| c != '\n' && text::is_unsafe(c)) {
            cleaned = text::clean_multiline(s);
            cleaned.as_str()
        } else {
            s
        };
        self.out.write_all(s.as_bytes()).map_err(|e| {
            self.failed = Some(e);
            fmt::Error
        })
    }
}

/// Text made by `fill` (`fmt::Write`), streamed to `w`.
fn text_to(
    w: &mut dyn io::Write,
    clean: bool,
    fill: impl FnOnce(&mut dyn fmt::Write),
) -> io::Result<()> {
    let mut sink = Sink::new(w, clean);
    fill(&mut sink);
    sink.done()
}

/// Writes what `fill` makes to standard output, or to `path` (atomically), streamed: an
/// export is never held whole in memory.
fn emit(
    output: Option<&Path>,
    fill: &mut dyn FnMut(&mut dyn io::Write) -> io::Result<()>,
) -> Result<(), Error> {
    match output {
        None => {
            let mut out = io::BufWriter::with_capacity(1 << 16, io::stdout().lock());
            fill(&mut out)
                .and_then(|()| out.flush())
                .map_err(Error::io("write to standard output"))
        }
        Some(path) => {
            workshop::write_export_with(path, fill)?;
            eprintln!("wrote {}", path.display());
            Ok(())
        }
    }
}

fn dispatch(cli: Cli, app: Launch) -> Result<ExitCode, Error> {
    // `--plain` before a command (`socscope --plain resume`, or an alias) is accepted by every
    // command; only the workshop (no command, `new`, `resume`) has a use for it, and only
    // those list it in their help.
    let Some(command) = cli.command else {
        let q = workshop::load_questionnaire(cli.questionnaire.as_deref())?;
        return app(q, Start::Home, cli.plain).map(|()| ExitCode::SUCCESS);
    };
    match command {
        Command::Validate { file } => {
            let text = workshop::read_text(&file)?;
            let (result, notes) =
                questionnaire::load::check_with_notes(&file.display().to_string(), &text);
            if !notes.notes.is_empty() {
                eprintln!("{}", text::clean_multiline(&notes.to_string()));
            }
            match result {
                Ok(q) => {
                    print(&format!(
                        "{}: ok: `{}` v{} with {} questions and {} rules\n",
                        file.display(),
                        text::clean(&q.id),
                        text::clean(&q.version),
                        q.questions.len(),
                        q.rules.len()
                    ))?;
                    Ok(ExitCode::SUCCESS)
                }
                Err(e) => {
                    eprintln!("{}", text::clean_multiline(&e.to_string()));
                    let n = e.problems.len();
                    eprintln!(
                        "{}: {n} problem{} found",
                        file.display(),
                        if n == 1 { "" } else { "s" }
                    );
                    Ok(ExitCode::from(1))
                }
            }
        }
        Command::Recommend { session, json } => {
            let q = workshop::load_questionnaire(cli.questionnaire.as_deref())?;
            // What leaves socscope never holds a detected secret, even one kept on purpose;
            // the session as read is dropped once its redacted copy is made.
            let s = crate::secrets::redact_session(&open_to_read(&session, &q)?.session);
            let r = engine::recommend(&q, &s);
            emit(None, &mut |w| {
                if json {
                    export::json::write_render(&s, &r, w)
                } else {
                    text_to(w, true, |t| {
                        let _ = crate::report::memo::write_text(&q, &s, &r, t);
                    })
                }
            })?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Export {
            session,
            format,
            evidence_plan,
            output,
        } => {
            let q = workshop::load_questionnaire(cli.questionnaire.as_deref())?;
            // Checked before any work, so a refused target costs nothing.
            if let Some(path) = &output
                && let Some(why) = workshop::protected(path)
            {
                return Err(Error::Protected {
                    path: path.clone(),
                    why,
                });
            }
            // Exports never hold a detected secret, even one stored on purpose.
            let s = crate::secrets::redact_session(&open_to_read(&session, &q)?.session);
            let (r, ev) = engine::recommend_with_evaluation(&q, &s);
            emit(output.as_deref(), &mut |w| match (format, evidence_plan) {
                (Format::Markdown, false) => text_to(w, false, |t| {
                    export::markdown::write_render_in(&q, &s, &r, &ev, t)
                }),
                (Format::Json, false) => export::json::write_export_in(&q, &s, &r, &ev, w),
                (Format::Markdown, true) => text_to(w, false, |t| {
                    export::markdown::write_evidence_checklist(&s, &r, t)
                }),
                (Format::Json, true) => w.write_all(export::json::evidence_plan(&s, &r).as_bytes()),
            })?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Import {
            session,
            identities,
            map,
            dry_run,
            overwrite,
            skip_bad_rows,
            as_of,
        } => {
            let q = workshop::load_questionnaire(cli.questionnaire.as_deref())?;
            import::run(
                &q,
                &import::Args {
                    session: &session,
                    identities: &identities,
                    map: &map,
                    dry_run,
                    overwrite,
                    skip_bad_rows,
                    as_of,
                },
            )
        }
        Command::Merge {
            base,
            ours,
            theirs,
            output,
        } => Ok(merge::run(&merge::Args {
            questionnaire: cli.questionnaire.as_deref(),
            base: &base,
            ours: &ours,
            theirs: &theirs,
            output: output.as_deref(),
        })),
        Command::Diff { old, new, format } => {
            let q = workshop::load_questionnaire(cli.questionnaire.as_deref())?;
            diff::run(&q, &old, &new, format == DiffFormat::Markdown)
        }
        Command::List => {
            let q = workshop::load_questionnaire(cli.questionnaire.as_deref())?;
            let dir = crate::session::store::data_dir()?;
            let sessions = workshop::catalogue::list(&dir, &q)?;
            if sessions.is_empty() {
                print(&format!(
                    "No saved sessions in {}. Start one with `socscope new`.\n",
                    dir.display()
                ))?;
                return Ok(ExitCode::SUCCESS);
            }
            let mut out = format!(
                "{} {} {:>8}  {} FILE\n",
                text::pad("ORGANISATION", 28),
                text::pad("UPDATED", 17),
                "PROGRESS",
                text::pad("VERDICT", 24)
            );
            for s in sessions {
                let name = s
                    .path
                    .file_name()
                    .map(|n| text::clean(&n.to_string_lossy()))
                    .unwrap_or_default();
                out.push_str(&match &s.error {
                    Some(e) => format!(
                        "{} {} {:>8}  {} {name}\n",
                        text::pad("(unreadable)", 28),
                        text::pad("-", 17),
                        "-",
                        text::pad(&text::truncate(e, 60), 24)
                    ),
                    None => format!(
                        "{} {} {:>7}%  {} {name}\n",
                        text::pad(&text::truncate(&s.organisation, 28), 28),
                        text::pad(&s.updated.format("%Y-%m-%d %H:%M").to_string(), 17),
                        s.progress.percent(),
                        text::pad(&wording::verdict_state(s.verdict, s.provisional), 24),
                    ),
                });
            }
            print(&out)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::New {
            organisation,
            output,
            plain,
        } => {
            let q = workshop::load_questionnaire(cli.questionnaire.as_deref())?;
            // An existing file is never replaced by a blank workshop: refused before anything.
            if let Some(p) = &output
                && std::fs::symlink_metadata(p).is_ok()
            {
                return Err(Error::Exists(p.clone()));
            }
            app(
                q,
                Start::New {
                    organisation,
                    path: output,
                },
                cli.plain || plain,
            )
            .map(|()| ExitCode::SUCCESS)
        }
        Command::Resume {
            session,
            read_only,
            from_backup,
            plain,
        } => {
            let q = workshop::load_questionnaire(cli.questionnaire.as_deref())?;
            let path = match session {
                Some(s) => workshop::resolve(&s)?,
                None => workshop::most_recent(&q)?,
            };
            let opened = if read_only {
                eprintln!(
                    "note: {} is open read-only: nothing will be saved",
                    path.display()
                );
                workshop::open(&path, &q, Access::ReadOnly)
                    .map_err(|e| with_backup_hint(&path, &q, e))?
            } else if from_backup {
                let r = workshop::restore_from_backup(&path, &q)?;
                if let Some(aside) = &r.kept_as {
                    eprintln!("note: kept the damaged file as {}", aside.display());
                }
                eprintln!(
                    "note: restored {} from {}",
                    path.display(),
                    r.backup.display()
                );
                r.opened
            } else {
                // One writer per session: says which process has it open, if one does.
                workshop::open(&path, &q, Access::Write)
                    .map_err(|e| with_backup_hint(&path, &q, e))?
            };
            report_opened(&opened);
            app(q, Start::Resume(Box::new(opened)), cli.plain || plain).map(|()| ExitCode::SUCCESS)
        }
    }
}
