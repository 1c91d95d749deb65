//! The command line (clap). Each subcommand is a thin shell over the pure core.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use chrono::Utc;
use clap::{Parser, Subcommand, ValueEnum};

use crate::engine;
use crate::export;
use crate::questionnaire::{self, Questionnaire};
use crate::session::{Session, file::Opened, store};

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

/// A failure to report to the user: the message already says what to do.
pub struct Failure(pub String);

impl<E: std::fmt::Display> From<E> for Failure {
    fn from(e: E) -> Self {
        Failure(e.to_string())
    }
}

/// How the app should start, as decided by the command line.
pub enum Start {
    Home,
    New {
        organisation: Option<String>,
        path: Option<PathBuf>,
    },
    Resume {
        path: PathBuf,
    },
}

pub fn run(cli: Cli) -> ExitCode {
    let result = dispatch(cli);
    // Lets go of the session locks taken by the app and plain mode (removing the lock files).
    crate::session::lock::release_all();
    match result {
        Ok(code) => code,
        Err(Failure(msg)) => {
            // Located errors (`file:line:col: error: ...`) already say they are errors.
            let located = msg.lines().next().is_some_and(|l| l.contains(": error: "));
            let prefix = if located { "" } else { "error: " };
            let _ = writeln!(std::io::stderr(), "{prefix}{msg}");
            ExitCode::from(1)
        }
    }
}

/// Loads the questionnaire named on the command line, or the built-in one.
pub fn load_questionnaire(path: Option<&Path>) -> Result<Questionnaire, Failure> {
    match path {
        None => Ok(questionnaire::builtin()?),
        Some(p) => {
            let text = read_text(p)?;
            Ok(questionnaire::load(&p.display().to_string(), &text)?)
        }
    }
}

fn read_text(p: &Path) -> Result<String, Failure> {
    let bytes = std::fs::read(p).map_err(|e| {
        Failure(format!(
            "could not read {}: {e}\n  help: check the path",
            p.display()
        ))
    })?;
    String::from_utf8(bytes).map_err(|_| {
        Failure(format!(
            "{} is not UTF-8 text\n  help: give a TOML file",
            p.display()
        ))
    })
}

/// A session argument: an existing path, or a name in the sessions directory.
pub fn resolve_session(arg: &str) -> Result<PathBuf, Failure> {
    let direct = PathBuf::from(arg);
    if direct.is_file() {
        return Ok(direct);
    }
    let dir = store::data_dir()?;
    for candidate in [dir.join(arg), dir.join(format!("{arg}.toml"))] {
        if candidate.is_file() {
            return Ok(candidate);
        }
    }
    Err(Failure(format!(
        "no session file `{arg}` (looked at {} and in {})\n  help: give a path to a session \
         file, or run `socscope list` to see saved sessions",
        direct.display(),
        dir.display()
    )))
}

/// Opens a session, printing what changed if its questionnaire has changed since it was saved.
/// A damaged file's error says how to recover from its backup when there is a readable one.
pub fn open_session(path: &Path, q: &Questionnaire) -> Result<Session, Failure> {
    let (session, opened) = store::open(path, q).map_err(|e| with_backup_hint(path, q, e))?;
    report_opened(path, &opened);
    Ok(session)
}

/// Adds "restore the backup" to an error about a file that cannot be read as a session.
fn with_backup_hint(path: &Path, q: &Questionnaire, e: store::StoreError) -> Failure {
    let mut msg = e.to_string();
    if let Some(bak) = readable_backup(path, q, &e) {
        msg.push_str(&format!(
            "\n  help: the previous version is readable: `socscope resume {} --from-backup` \
             restores it (this file is kept as {}), or open the backup itself with \
             `socscope resume {}`",
            path.display(),
            corrupt_path(path).display(),
            bak.display()
        ));
    }
    Failure(msg)
}

/// The backup of a session that failed to open because the file is damaged (not a session, not
/// UTF-8), when that backup itself opens; `None` for any other failure or no readable backup.
/// The command line offers `--from-backup` then, and the app its "open the backup" dialog.
pub fn readable_backup(path: &Path, q: &Questionnaire, e: &store::StoreError) -> Option<PathBuf> {
    let damaged = matches!(
        e,
        store::StoreError::Format(_)
            | store::StoreError::Io {
                source: _,
                action: "read",
                ..
            }
    ) && path.is_file();
    let bak = store::backup_path(path);
    (damaged && store::open(&bak, q).is_ok()).then_some(bak)
}

/// Where `--from-backup` moves a damaged session: `FILE.corrupt` (or `FILE.corrupt-2`...).
pub fn corrupt_path(path: &Path) -> PathBuf {
    let mut n = 1;
    loop {
        let mut name = path
            .file_name()
            .map(|n| n.to_os_string())
            .unwrap_or_default();
        name.push(if n == 1 {
            ".corrupt".to_string()
        } else {
            format!(".corrupt-{n}")
        });
        let p = path.with_file_name(name);
        if !p.exists() {
            return p;
        }
        n += 1;
    }
}

/// `resume --from-backup`: checks the backup reads as a session, moves the damaged file aside
/// (never deleted) and puts the backup's content in its place. The backup stays as it was.
fn restore_backup(path: &Path, q: &Questionnaire) -> Result<(), Failure> {
    if let Some(aside) = restore_from_backup(path, q)? {
        eprintln!("note: kept the damaged file as {}", aside.display());
    }
    eprintln!(
        "note: restored {} from {}",
        path.display(),
        store::backup_path(path).display()
    );
    Ok(())
}

/// What `--from-backup` does, without printing (the app uses it too): checks the backup reads
/// as a session, renames the damaged file to `FILE.corrupt` (its bytes untouched, never
/// deleted), then writes the backup's content as FILE atomically. The backup stays as it was.
/// Returns where the damaged file was kept (`None` if there was no file). The caller holds the
/// session's lock.
pub fn restore_from_backup(path: &Path, q: &Questionnaire) -> Result<Option<PathBuf>, Failure> {
    let bak = store::backup_path(path);
    if !bak.is_file() {
        return Err(Failure(format!(
            "{} has no backup ({} does not exist)\n  help: backups are made on every save \
             after the first; fix the file by hand or start a new session",
            path.display(),
            bak.display()
        )));
    }
    store::open(&bak, q).map_err(|e| {
        Failure(format!(
            "the backup cannot be read either: {e}\n  help: fix one of the files by hand"
        ))
    })?;
    let bytes = std::fs::read(&bak)?;
    let aside = if path.exists() {
        let aside = corrupt_path(path);
        std::fs::rename(path, &aside)?;
        Some(aside)
    } else {
        None
    };
    store::write_atomic(path, &bytes).map_err(|e| match &aside {
        Some(a) => Failure(format!(
            "{e}\n  note: the damaged file is kept as {}",
            a.display()
        )),
        None => Failure(e.to_string()),
    })?;
    Ok(aside)
}

fn report_opened(path: &Path, opened: &Opened) {
    let mut err = std::io::stderr();
    if opened.questionnaire_changed {
        let _ = writeln!(
            err,
            "note: {} was saved with a different questionnaire version; answers to questions \
             that still exist are kept",
            path.display()
        );
    }
    for n in &opened.notices {
        let _ = writeln!(err, "note: {n}");
    }
}

fn dispatch(cli: Cli) -> Result<ExitCode, Failure> {
    // `--plain` before a command (`socscope --plain resume`, or an alias) is accepted by every
    // command; only the workshop (no command, `new`, `resume`) has a use for it, and only
    // those list it in their help.
    let Some(command) = cli.command else {
        let q = load_questionnaire(cli.questionnaire.as_deref())?;
        return app(q, Start::Home, cli.plain).map(|()| ExitCode::SUCCESS);
    };
    match command {
        Command::Validate { file } => {
            let text = read_text(&file)?;
            match questionnaire::check(&file.display().to_string(), &text) {
                Ok(q) => {
                    println!(
                        "{}: ok: `{}` v{} with {} questions and {} rules",
                        file.display(),
                        q.id,
                        q.version,
                        q.questions.len(),
                        q.rules.len()
                    );
                    Ok(ExitCode::SUCCESS)
                }
                Err(e) => {
                    eprintln!("{e}");
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
            let q = load_questionnaire(cli.questionnaire.as_deref())?;
            let s = open_session(&resolve_session(&session)?, &q)?;
            // What leaves socscope never holds a detected secret, even one kept on purpose.
            let s = crate::secrets::redact_session(&s);
            let r = engine::recommend(&q, &s);
            if json {
                print!("{}", export::json::render(&s, &r));
            } else {
                print!("{}", export::markdown::summary_text(&s, &r));
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Export {
            session,
            format,
            evidence_plan,
            output,
        } => {
            let q = load_questionnaire(cli.questionnaire.as_deref())?;
            let s = open_session(&resolve_session(&session)?, &q)?;
            // Exports never hold a detected secret, even one stored on purpose.
            let s = crate::secrets::redact_session(&s);
            let r = engine::recommend(&q, &s);
            let text = match (format, evidence_plan) {
                (Format::Markdown, false) => export::markdown::render(&q, &s, &r),
                (Format::Json, false) => export::json::render_export(&q, &s, &r),
                (Format::Markdown, true) => export::markdown::evidence_checklist(&s, &r),
                (Format::Json, true) => export::json::evidence_plan(&s, &r),
            };
            match output {
                None => print!("{text}"),
                Some(path) => {
                    store::write_atomic(&path, text.as_bytes())?;
                    eprintln!("wrote {}", path.display());
                }
            }
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
            let q = load_questionnaire(cli.questionnaire.as_deref())?;
            crate::import::command::run(
                &q,
                &crate::import::command::Args {
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
        Command::Diff { old, new, format } => {
            let q = load_questionnaire(cli.questionnaire.as_deref())?;
            crate::diff::command::run(&q, &old, &new, format == DiffFormat::Markdown)
        }
        Command::List => {
            let q = load_questionnaire(cli.questionnaire.as_deref())?;
            let dir = store::data_dir()?;
            let sessions = store::list(&dir, &q)?;
            if sessions.is_empty() {
                println!(
                    "No saved sessions in {}. Start one with `socscope new`.",
                    dir.display()
                );
                return Ok(ExitCode::SUCCESS);
            }
            println!(
                "{:<28} {:<17} {:>8}  {:<24} FILE",
                "ORGANISATION", "UPDATED", "PROGRESS", "VERDICT"
            );
            for s in sessions {
                let name = s
                    .path
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
                match &s.error {
                    Some(e) => println!(
                        "{:<28} {:<17} {:>8}  {:<24} {name}",
                        "(unreadable)", "-", "-", e
                    ),
                    None => println!(
                        "{:<28} {:<17} {:>7}%  {:<24} {name}",
                        truncate(&s.organisation, 28),
                        s.updated.format("%Y-%m-%d %H:%M"),
                        s.progress.percent(),
                        format!(
                            "{}{}",
                            s.verdict.label(),
                            if s.provisional { " (provisional)" } else { "" }
                        ),
                    ),
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::New {
            organisation,
            output,
            plain,
        } => {
            let q = load_questionnaire(cli.questionnaire.as_deref())?;
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
            let q = load_questionnaire(cli.questionnaire.as_deref())?;

            let path =
                match session {
                    Some(s) => resolve_session(&s)?,
                    None => {
                        let dir = store::data_dir()?;
                        store::list(&dir, &q)?
                        .into_iter()
                        .find(|s| s.error.is_none())
                        .map(|s| s.path)
                        .ok_or_else(|| Failure(format!(
                            "no saved sessions in {}\n  help: start one with `socscope new`",
                            dir.display()
                        )))?
                    }
                };
            if read_only {
                crate::session::lock::set_read_only(&path);
                eprintln!(
                    "note: {} is open read-only: nothing will be saved",
                    path.display()
                );
            } else {
                // One writer per session: says which process has it open, if one does.
                crate::session::lock::hold(&path)?;
                if from_backup {
                    restore_backup(&path, &q)?;
                }
            }
            app(q, Start::Resume { path }, cli.plain || plain).map(|()| ExitCode::SUCCESS)
        }
    }
}

/// The workshop app, or plain mode with `--plain` or `ACCESSIBLE=1`.
fn app(q: Questionnaire, start: Start, plain: bool) -> Result<(), Failure> {
    if crate::plain::wanted(plain) {
        crate::plain::run_stdio(q, start)
    } else {
        crate::tui::run(q, start)
    }
}

fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(n - 1).collect();
        t.push('…');
        t
    }
}

/// Creates and saves a new session (used by the app and by tests).
pub fn create_session(
    q: &Questionnaire,
    organisation: &str,
    path: Option<PathBuf>,
) -> Result<(Session, PathBuf), Failure> {
    let now = Utc::now();
    let s = Session::new(q, organisation, now);
    let path = match path {
        Some(p) => p,
        // The redacted name: a secret never reaches a file name either.
        None => store::new_session_path(&store::data_dir()?, &s.workshop.organisation, now),
    };
    // The new session is this process's to write until it exits.
    crate::session::lock::hold(&path)?;
    store::save(&path, &s, q)?;
    Ok((s, path))
}
