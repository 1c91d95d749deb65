//! What can go wrong opening, saving or exporting a workshop, and what to do about it.
//!
//! Every variant says what is wrong (its `Display`, with the path) and, through
//! [`Error::help`], how to fix it. Front-ends show both, whole: the command line prints
//! [`Error::report`], the app and plain mode show the message and its help line.

use std::path::PathBuf;

use crate::questionnaire::LoadError;
use crate::session::lock::LockError;
use crate::session::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Lock(#[from] LockError),
    /// A questionnaire that does not load: every problem, located, each with its own help.
    #[error(transparent)]
    Questionnaire(#[from] LoadError),
    #[error("no session file `{arg}` (looked at {} and in {})", tried.display(), dir.display())]
    NoSuchSession {
        arg: String,
        tried: PathBuf,
        dir: PathBuf,
        /// Saved workshops whose organisation's name begins with `arg` (as their files are
        /// named): offered, never opened unasked, since a prefix could be another client.
        similar: Vec<String>,
    },
    #[error("no saved sessions in {}", .0.display())]
    NoSessions(PathBuf),
    #[error("{} already exists", .0.display())]
    Exists(PathBuf),
    #[error("{} opens as it is: there is nothing to restore from its backup", .0.display())]
    NotDamaged(PathBuf),
    #[error("{} has no backup ({} does not exist)", path.display(), backup.display())]
    NoBackup { path: PathBuf, backup: PathBuf },
    #[error("the backup {} cannot be read either: {source}", backup.display())]
    BackupUnreadable {
        backup: PathBuf,
        #[source]
        source: StoreError,
    },
    /// Saving replaces the file, which would split hard links into separate files.
    #[error("{} has {links} hard links, so saving it would leave the other links behind on the old version", path.display())]
    HardLinked { path: PathBuf, links: u64 },
    /// An export aimed at a file socscope must never overwrite.
    #[error("refusing to write over {}: {why}", path.display())]
    Protected { path: PathBuf, why: &'static str },
    #[error("no organisation given, so no workshop was started")]
    NoOrganisation,
    /// What the terminal or a pipe refused (plain mode, printed output).
    #[error("could not {what}: {source}")]
    Io {
        what: &'static str,
        #[source]
        source: std::io::Error,
    },
    #[error("could not start the terminal UI: {0}")]
    Terminal(std::io::Error),
    /// The last change could not be saved before quitting.
    #[error("the last change could not be saved to {}: {source}", path.display())]
    Unsaved {
        path: PathBuf,
        #[source]
        source: Box<Error>,
    },
    /// A command-line argument that cannot be used as given.
    #[error("{message}")]
    Usage { message: String, help: String },
    /// A CSV import that cannot go ahead (bad rows, an unknown field...): the message lists
    /// every problem.
    #[error("{0}")]
    Import(String),
}

impl Error {
    /// What to do about it, in one sentence; `None` when the message already says it (located
    /// problems carry their own help lines).
    pub fn help(&self) -> Option<String> {
        match self {
            Error::Store(e) => e.help(),
            Error::Lock(e) => e.help(),
            Error::Questionnaire(_) | Error::Import(_) => None,
            Error::NoSuchSession { similar, .. } if !similar.is_empty() => Some(format!(
                "did you mean {}? Give the whole name, or run `socscope list` to see saved sessions",
                similar
                    .iter()
                    .map(|n| format!("`socscope resume {n}`"))
                    .collect::<Vec<_>>()
                    .join(" or ")
            )),
            Error::NoSuchSession { .. } => Some(
                "give a path to a session file or an organisation's name, or run `socscope list` to see saved sessions"
                    .into(),
            ),
            Error::NoSessions(_) => Some("start one with `socscope new`".into()),
            Error::Exists(p) => Some(format!(
                "to continue that workshop: socscope resume {}; to start a new one, choose \
                 another file with -o (or none, for one in the sessions folder)",
                p.display()
            )),
            Error::NotDamaged(p) => Some(format!(
                "resume it as it is: socscope resume {}; to look at the previous version, open \
                 the backup read-only: socscope resume {}.bak --read-only",
                p.display(),
                p.display()
            )),
            Error::NoBackup { .. } => Some(
                "backups are made on every save after the first; fix the file by hand (its \
                 error says where) or start a new session"
                    .into(),
            ),
            Error::BackupUnreadable { .. } => Some("fix one of the two files by hand".into()),
            Error::HardLinked { path, .. } => Some(format!(
                "keep one name for it (remove the other links), or open it read-only: \
                 socscope resume {} --read-only",
                path.display()
            )),
            Error::Protected { .. } => {
                Some("choose another output file, e.g. one ending in .md or .json (-o FILE)".into())
            }
            Error::NoOrganisation => Some(
                "type the organisation's name, or pass --organisation NAME (it can be changed \
                 later)"
                    .into(),
            ),
            Error::Io { .. } => Some("check the terminal or the file it writes to".into()),
            Error::Terminal(_) => {
                Some("run it in a terminal, or use plain mode: socscope --plain".into())
            }
            Error::Unsaved { source, .. } => source.help(),
            Error::Usage { help, .. } => Some(help.clone()),
        }
    }

    /// The whole report, as the command line prints it: the message, then `help: ...` on its
    /// own line. Untrusted text in it (names, paths, file content) is cleaned of control and
    /// invisible characters.
    pub fn report(&self) -> String {
        let mut out = self.to_string();
        if let Some(h) = self.help() {
            out.push_str("\n  help: ");
            out.push_str(&h);
        }
        crate::text::clean_multiline(&out)
    }

    /// Whether the message is already located (`file:line:col: error: ...`).
    pub(crate) fn is_located(&self) -> bool {
        self.to_string()
            .lines()
            .next()
            .is_some_and(|l| l.contains(": error: "))
    }

    pub(crate) fn io(what: &'static str) -> impl FnOnce(std::io::Error) -> Error {
        move |source| Error::Io { what, source }
    }
}
