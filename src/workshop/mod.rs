//! The application layer: one way to find, open, lock, create, restore, save and export a
//! workshop, for every front-end (command line, app, plain mode).
//!
//! A session is changed only through a [`Lease`]: the right to write one session file, held
//! from the moment it is opened until it is dropped. Opening for writing takes the session's
//! lock on the real file (links resolved), so two processes never both write it, and every
//! read-modify-write (the app, plain mode, an import) happens under that one lock.
//! Nothing is overwritten unasked: a new session never replaces a file, an export never
//! replaces a session, a healthy file is never "restored", and a session that was only looked
//! at is never rewritten.

pub mod answer;
pub mod catalogue;
mod error;

use std::path::{Path, PathBuf};

use chrono::Utc;

pub use error::Error;

use crate::engine::{self, Recommendation};
use crate::questionnaire::{self, Questionnaire};
use crate::session::lock::{self, LockGuard};
use crate::session::store::{self, Saved, StoreError};
use crate::session::{Session, file};

/// Loads the questionnaire given on the command line, or the built-in one.
pub fn load_questionnaire(path: Option<&Path>) -> Result<Questionnaire, Error> {
    match path {
        None => Ok(questionnaire::builtin()?),
        Some(p) => {
            let text = store::read_text(p)?;
            Ok(questionnaire::load(&p.display().to_string(), &text)?)
        }
    }
}

/// A session argument: an existing path, or a name in the sessions directory.
pub fn resolve(arg: &str) -> Result<PathBuf, Error> {
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
    Err(Error::NoSuchSession {
        arg: arg.to_string(),
        tried: direct,
        dir,
    })
}

/// The most recently updated readable session in the sessions directory.
pub fn most_recent(q: &Questionnaire) -> Result<PathBuf, Error> {
    let dir = store::data_dir()?;
    catalogue::list(&dir, q)?
        .into_iter()
        .find(|s| s.error.is_none())
        .map(|s| s.path)
        .ok_or(Error::NoSessions(dir))
}

/// How a session is opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// To change it: takes the lock (refused while another process has it).
    Write,
    /// To look at it: no lock, and every save is refused.
    ReadOnly,
}

/// The right to write one session file (or, read-only, the promise never to).
#[derive(Debug)]
pub struct Lease {
    /// The path as the user gave it (shown in messages).
    path: PathBuf,
    /// The real file behind it: where saves go, so a symbolic link stays a link.
    real: PathBuf,
    /// The lock, held for as long as the lease lives (`None` when read-only, or for a lease
    /// that takes the lock for each write).
    _guard: Option<LockGuard>,
    read_only: bool,
    /// The session's revision when it was read or last saved.
    saved: u64,
}

impl Lease {
    /// A lease that takes the lock only for each write (refused while another process holds
    /// it), for sessions built in memory by tools, tests and benchmarks.
    pub fn per_write(path: &Path) -> Lease {
        Lease {
            path: path.to_path_buf(),
            real: lock::key(path),
            _guard: None,
            read_only: false,
            saved: 0,
        }
    }

    /// A lease that never writes, for a session shown read-only.
    pub fn never_writes(path: &Path) -> Lease {
        Lease {
            read_only: true,
            ..Lease::per_write(path)
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn read_only(&self) -> bool {
        self.read_only
    }

    /// Whether `s` has changed since it was read or last saved.
    pub fn changed(&self, s: &Session) -> bool {
        s.revision.get() != self.saved
    }

    /// Saves `s` with the readable summary of `rec`, atomically, under the lock. Read-only
    /// leases refuse.
    pub fn save(&mut self, s: &Session, rec: &Recommendation) -> Result<Saved, Error> {
        if self.read_only() {
            return Err(StoreError::ReadOnly(self.path.clone()).into());
        }
        let saved = store::save_with(&self.real, s, crate::report::summary::file_summary(rec))?;
        self.saved = s.revision.get();
        Ok(saved)
    }

    /// [`Lease::save`] only when something changed: a session that was only looked at (or
    /// reconciled with a newer questionnaire on the way in) is never rewritten.
    pub fn save_if_changed(
        &mut self,
        s: &Session,
        rec: &Recommendation,
    ) -> Result<Option<Saved>, Error> {
        if self.read_only() || !self.changed(s) {
            return Ok(None);
        }
        self.save(s, rec).map(Some)
    }
}

/// A session read from its file, with what was found on the way in.
#[derive(Debug)]
pub struct Opened {
    pub session: Session,
    pub lease: Lease,
    /// The questionnaire differs from the one the session was saved with.
    pub questionnaire_changed: bool,
    /// Answers kept aside or restored (untrusted text: clean it before showing).
    pub notices: Vec<String>,
    /// Temporary files left by a writer that was killed, now removed.
    pub stale_temps_removed: usize,
}

impl Opened {
    /// One line per thing worth saying about the open (the questionnaire changed, answers kept
    /// aside or restored), cleaned for the terminal.
    pub fn notes(&self) -> Vec<String> {
        let mut out = Vec::new();
        if self.questionnaire_changed {
            out.push(format!(
                "{} was saved with a different questionnaire version; answers to questions that \
                 still exist are kept, the others kept aside",
                self.lease.path.display()
            ));
        }
        out.extend(self.notices.iter().cloned());
        if self.stale_temps_removed > 0 {
            out.push(format!(
                "removed {} temporary file(s) left beside it by a socscope that was stopped \
                 while saving",
                self.stale_temps_removed
            ));
        }
        out.into_iter().map(|n| crate::text::clean(&n)).collect()
    }
}

/// Opens a session. For writing, the lock is taken first and held by the returned lease; a
/// session with several hard links is refused (saving replaces the file). Nothing is written.
pub fn open(path: &Path, q: &Questionnaire, access: Access) -> Result<Opened, Error> {
    let real = lock::key(path);
    let guard = match access {
        Access::Write => {
            refuse_hard_links(&real)?;
            let guard = lock::acquire(path)?;
            lock::clear_read_only(&real);
            Some(guard)
        }
        Access::ReadOnly => {
            lock::set_read_only(&real);
            None
        }
    };
    let (session, opened) = store::open(&real, q)?;
    let stale = if guard.is_some() {
        store::remove_stale_temps(&real)
    } else {
        0
    };
    let saved = session.revision.get();
    Ok(Opened {
        session,
        lease: Lease {
            path: path.to_path_buf(),
            real,
            read_only: guard.is_none(),
            _guard: guard,
            saved,
        },
        questionnaire_changed: opened.questionnaire_changed,
        notices: opened.notices,
        stale_temps_removed: stale,
    })
}

#[cfg(unix)]
fn refuse_hard_links(real: &Path) -> Result<(), Error> {
    use std::os::unix::fs::MetadataExt;
    match std::fs::metadata(real) {
        Ok(m) if m.is_file() && m.nlink() > 1 => Err(Error::HardLinked {
            path: real.to_path_buf(),
            links: m.nlink(),
        }),
        _ => Ok(()),
    }
}

#[cfg(not(unix))]
fn refuse_hard_links(_: &Path) -> Result<(), Error> {
    // Windows hard links are rare for documents and their count is not on stable std.
    Ok(())
}

/// Starts a new workshop and saves it. With `path`, the file must not exist yet (an existing
/// session is resumed, never replaced); without, a new name in the sessions directory is used.
pub fn create(
    q: &Questionnaire,
    organisation: &str,
    path: Option<PathBuf>,
) -> Result<Opened, Error> {
    let organisation = organisation.trim();
    if organisation.is_empty() {
        return Err(Error::NoOrganisation);
    }
    let now = Utc::now();
    let mut session = Session::new(q, organisation, now);
    let path = match path {
        Some(p) => p,
        // The stored (redacted) name: a secret never reaches a file name either.
        None => store::new_session_path(&store::data_dir()?, &session.workshop.organisation, now),
    };
    // Checked again under the lock: two socscopes creating the same file cannot both win.
    if std::fs::symlink_metadata(&path).is_ok() {
        return Err(Error::Exists(path));
    }
    let guard = lock::acquire(&path)?;
    if std::fs::symlink_metadata(&path).is_ok() {
        return Err(Error::Exists(path));
    }
    let real = lock::key(&path);
    session.touch(now);
    let mut lease = Lease {
        path,
        real,
        _guard: Some(guard),
        read_only: false,
        saved: 0,
    };
    lease.save(&session, &engine::recommend(q, &session))?;
    Ok(Opened {
        session,
        lease,
        questionnaire_changed: false,
        notices: Vec::new(),
        stale_temps_removed: 0,
    })
}

/// Saves a session to `path` with its summary, under the lock (taken for the write unless this
/// process holds it). For tools and tests that build sessions in code.
pub fn save(path: &Path, s: &Session, q: &Questionnaire) -> Result<Saved, Error> {
    let r = engine::recommend(q, s);
    Ok(store::save_with(
        &lock::key(path),
        s,
        crate::report::summary::file_summary(&r),
    )?)
}

/// The backup of a session that failed to open because the file is damaged (not a session, not
/// UTF-8), when that backup itself opens; `None` for any other failure or no readable backup.
pub fn readable_backup(path: &Path, q: &Questionnaire, e: &Error) -> Option<PathBuf> {
    let damaged = matches!(e, Error::Store(s) if s.is_damaged()) && path.is_file();
    let bak = store::backup_path(&lock::key(path));
    (damaged && store::open(&bak, q).is_ok()).then_some(bak)
}

/// Where a restore moves a damaged session: `FILE.corrupt` (or `FILE.corrupt-2`...).
pub fn corrupt_path(path: &Path) -> PathBuf {
    let mut n = 1;
    loop {
        let p = store::sibling(
            path,
            &if n == 1 {
                ".corrupt".to_string()
            } else {
                format!(".corrupt-{n}")
            },
        );
        if !p.exists() {
            return p;
        }
        n += 1;
    }
}

/// What a restore from the backup did.
#[derive(Debug)]
pub struct Restored {
    pub opened: Opened,
    /// Where the damaged file was kept (`None` if there was no file).
    pub kept_as: Option<PathBuf>,
    pub backup: PathBuf,
}

/// `resume --from-backup`, under the session's lock: refuses a file that opens as it is;
/// checks the backup reads as a session; renames the damaged file to `FILE.corrupt` (its bytes
/// untouched, never deleted); writes the backup's content as FILE atomically and opens it. The
/// backup stays as it was.
pub fn restore_from_backup(path: &Path, q: &Questionnaire) -> Result<Restored, Error> {
    let real = lock::key(path);
    refuse_hard_links(&real)?;
    let guard = lock::acquire(path)?;
    lock::clear_read_only(&real);
    match store::open(&real, q) {
        Ok(_) => return Err(Error::NotDamaged(path.to_path_buf())),
        Err(e) if real.exists() && !e.is_damaged() => return Err(e.into()),
        Err(_) => {}
    }
    let backup = store::backup_path(&real);
    if !backup.is_file() {
        return Err(Error::NoBackup {
            path: path.to_path_buf(),
            backup,
        });
    }
    store::open(&backup, q).map_err(|source| Error::BackupUnreadable {
        backup: backup.clone(),
        source,
    })?;
    let bytes = std::fs::read(&backup).map_err(|source| StoreError::Io {
        path: backup.clone(),
        action: "read",
        source,
    })?;
    let kept_as = if real.exists() {
        let aside = corrupt_path(&real);
        std::fs::rename(&real, &aside).map_err(|source| StoreError::Io {
            path: real.clone(),
            action: "move aside",
            source,
        })?;
        Some(aside)
    } else {
        None
    };
    store::write_atomic(&real, &bytes)?;
    let (session, reopened) = store::open(&real, q)?;
    let saved = session.revision.get();
    Ok(Restored {
        opened: Opened {
            session,
            lease: Lease {
                path: path.to_path_buf(),
                real,
                _guard: Some(guard),
                read_only: false,
                saved,
            },
            questionnaire_changed: reopened.questionnaire_changed,
            notices: reopened.notices,
            stale_temps_removed: 0,
        },
        kept_as,
        backup,
    })
}

/// Why `target` must not be written by an export, if it must not: a session file (or its lock,
/// backup or journal), a file a socscope holds open, or a folder.
pub fn protected(target: &Path) -> Option<&'static str> {
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    if [".lock", ".bak", ".journal"]
        .iter()
        .any(|s| name.ends_with(s))
        || name.contains(".corrupt")
    {
        return Some("it is one of socscope's own files beside a session");
    }
    if target.is_dir() {
        return Some("it is a folder");
    }
    if lock::holds(target) || lock::holder(target).is_some() {
        return Some("a socscope has it open as a session");
    }
    if looks_like_session(target) {
        return Some("it is a session file, and an export would replace the workshop");
    }
    None
}

/// Whether the file at `path` is a session (by its first lines, so the check costs the same for
/// any size of file).
fn looks_like_session(path: &Path) -> bool {
    use std::io::Read;
    let Ok(f) = std::fs::File::open(path) else {
        return false;
    };
    let mut head = Vec::new();
    if f.take(64 * 1024).read_to_end(&mut head).is_err() {
        return false;
    }
    let head = String::from_utf8_lossy(&head);
    head.starts_with("# socscope session")
        || head
            .lines()
            .any(|l| l.trim_start().starts_with("format_version") && l.contains('='))
}

/// Writes an export (Markdown, JSON, a changes report) to `target`, atomically, unless it is a
/// file socscope must never overwrite (see [`protected`]).
pub fn write_export(target: &Path, text: &str) -> Result<(), Error> {
    if let Some(why) = protected(target) {
        return Err(Error::Protected {
            path: target.to_path_buf(),
            why,
        });
    }
    store::write_atomic(target, text.as_bytes())?;
    Ok(())
}

/// Reads a text file the user points at (a CSV to import), saying where invalid UTF-8 starts.
pub fn read_text(path: &Path) -> Result<String, Error> {
    Ok(store::read_text(path)?)
}

/// Opens a session only to read it, without marking it read-only for this process (the other
/// side of a comparison, the catalogue).
pub fn peek(path: &Path, q: &Questionnaire) -> Result<(Session, file::Opened), Error> {
    Ok(store::open(path, q)?)
}

/// How a front-end starts, as the command line decided.
#[derive(Debug)]
pub enum Start {
    /// The start screen (new, resume, open a file).
    Home,
    /// A new workshop; with an organisation it is created at once.
    New {
        organisation: Option<String>,
        path: Option<PathBuf>,
    },
    /// A workshop already opened (and, unless read-only, locked) by the command line.
    Resume(Box<Opened>),
}
