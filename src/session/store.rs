//! Where sessions live and how they are written: atomically, so a crash never leaves half a file.

use std::fmt;
use std::io::Write;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};

use super::Session;
use super::file::{self, Opened};
use crate::engine::{self, Recommendation};
use crate::questionnaire::{LoadError, Questionnaire};

#[derive(Debug)]
pub enum StoreError {
    Io {
        path: PathBuf,
        action: &'static str,
        source: std::io::Error,
    },
    Format(LoadError),
    /// Another socscope process has the session open (see `lock`).
    Locked(super::lock::LockError),
    /// The session was opened read-only in this process.
    ReadOnly(PathBuf),
    Other(String),
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StoreError::Io {
                path,
                action,
                source,
            } => {
                write!(f, "could not {action} {}: {source}", path.display())?;
                let hint = match source.kind() {
                    std::io::ErrorKind::NotFound => {
                        "check the path; `socscope list` shows the saved sessions"
                    }
                    std::io::ErrorKind::PermissionDenied => {
                        "check the file's permissions, or choose another path"
                    }
                    std::io::ErrorKind::InvalidData => {
                        "the file is not UTF-8 text, so not a session file; open its backup \
                         (`.bak` beside it) if it has one"
                    }
                    _ => "check the disk and the path, then try again",
                };
                write!(f, "\n  help: {hint}")
            }
            StoreError::Format(e) => write!(f, "{e}"),
            StoreError::Locked(e) => write!(f, "{e}"),
            StoreError::ReadOnly(p) => write!(
                f,
                "{} is open read-only: changes are not saved\n  help: quit, then `socscope \
                 resume` it without --read-only once no other socscope has it open",
                p.display()
            ),
            StoreError::Other(s) => write!(f, "{s}"),
        }
    }
}

impl std::error::Error for StoreError {}

/// Sessions directory: `$SOCSCOPE_DATA_DIR` if set, else the platform data directory
/// (e.g. `~/.local/share/socscope/sessions` on Linux).
pub fn data_dir() -> Result<PathBuf, StoreError> {
    if let Some(dir) = std::env::var_os("SOCSCOPE_DATA_DIR").filter(|d| !d.is_empty()) {
        return Ok(PathBuf::from(dir));
    }
    directories::ProjectDirs::from("", "", "socscope")
        .map(|p| p.data_dir().join("sessions"))
        .ok_or_else(|| {
            StoreError::Other(
                "could not find a home directory for saved sessions\n  help: set \
                 SOCSCOPE_DATA_DIR to a folder, or give a session path explicitly"
                    .into(),
            )
        })
}

/// A file name for a new session: organisation slug and date, never an existing file.
pub fn new_session_path(dir: &Path, organisation: &str, now: DateTime<Utc>) -> PathBuf {
    let mut slug: String = organisation
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    while slug.contains("--") {
        slug = slug.replace("--", "-");
    }
    let slug = slug.trim_matches('-');
    let slug: String = if slug.is_empty() {
        "workshop".into()
    } else {
        slug.chars().take(40).collect()
    };
    let date = now.format("%Y-%m-%d");
    let mut path = dir.join(format!("{slug}-{date}.toml"));
    let mut n = 2;
    while path.exists() {
        path = dir.join(format!("{slug}-{date}-{n}.toml"));
        n += 1;
    }
    path
}

fn io(path: &Path, action: &'static str) -> impl FnOnce(std::io::Error) -> StoreError {
    let path = path.to_path_buf();
    move |source| StoreError::Io {
        path,
        action,
        source,
    }
}

/// Reads and parses a session, reconciling it with `q`. The file is never modified here.
pub fn open(path: &Path, q: &Questionnaire) -> Result<(Session, Opened), StoreError> {
    let bytes = std::fs::read(path).map_err(io(path, "read"))?;
    let text = String::from_utf8(bytes).map_err(|_| StoreError::Io {
        path: path.to_path_buf(),
        action: "read",
        source: std::io::Error::new(std::io::ErrorKind::InvalidData, "not UTF-8 text"),
    })?;
    file::parse(&path.display().to_string(), &text, q).map_err(StoreError::Format)
}

/// Opens a session to change it: takes the session's lock first (so two processes never both
/// write it), then reads it. The lock is held until the guard is dropped.
pub fn open_for_writing(
    path: &Path,
    q: &Questionnaire,
) -> Result<(Session, Opened, super::lock::LockGuard), StoreError> {
    let guard = super::lock::acquire(path).map_err(StoreError::Locked)?;
    let (s, opened) = open(path, q)?;
    Ok((s, opened, guard))
}

/// Saves a session with its current recommendation, atomically: a temporary file in the same
/// directory, flushed to disk, then renamed over the old one; the previous version is kept as
/// `<name>.bak`.
pub fn save(path: &Path, s: &Session, q: &Questionnaire) -> Result<(), StoreError> {
    let r = engine::recommend(q, s);
    save_with(path, s, Some(&r))
}

pub fn save_with(path: &Path, s: &Session, r: Option<&Recommendation>) -> Result<(), StoreError> {
    let text = file::render(s, r).map_err(StoreError::Other)?;
    match super::lock::with_write_access(path, || write_atomic(path, text.as_bytes())) {
        Ok(result) => result,
        Err(super::lock::Refusal::ReadOnly) => Err(StoreError::ReadOnly(path.to_path_buf())),
        Err(super::lock::Refusal::Locked(e)) => Err(StoreError::Locked(e)),
    }
}

pub fn backup_path(path: &Path) -> PathBuf {
    let mut name = path
        .file_name()
        .map(|n| n.to_os_string())
        .unwrap_or_default();
    name.push(".bak");
    path.with_file_name(name)
}

/// Writes `bytes` to `path` so that readers see either the old or the new file, never a mix:
/// a temporary file in the same directory, fsync, rename over `path`, fsync the directory. The
/// previous version is kept as `<name>.bak` (itself written the same way). Files are created
/// readable by the owner only (mode 0600 on Unix). On failure `path` is left as it was and the
/// temporary file is removed.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), StoreError> {
    write_atomic_inner(path, bytes, None)
}

/// Where [`write_atomic_failing`] makes a save fail, to test that failures leave the original.
#[doc(hidden)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailPoint {
    /// After the temporary file is written and flushed, before the rename.
    BeforeRename,
    /// After the backup is written, before the rename.
    AfterBackup,
}

/// [`write_atomic`] with a simulated failure (tests only: a read-only folder does not stop
/// root, so this is how the suite proves a failed save leaves the original untouched).
#[doc(hidden)]
pub fn write_atomic_failing(path: &Path, bytes: &[u8], at: FailPoint) -> Result<(), StoreError> {
    write_atomic_inner(path, bytes, Some(at))
}

fn injected(path: &Path) -> StoreError {
    StoreError::Io {
        path: path.to_path_buf(),
        action: "replace",
        source: std::io::Error::other("simulated failure"),
    }
}

fn write_atomic_inner(
    path: &Path,
    bytes: &[u8],
    fail: Option<FailPoint>,
) -> Result<(), StoreError> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&dir).map_err(io(&dir, "create the directory"))?;
    let mut tmp = temp_in(&dir)?;
    tmp.write_all(bytes).map_err(io(path, "write"))?;
    tmp.as_file()
        .sync_all()
        .map_err(io(path, "flush to disk"))?;
    if fail == Some(FailPoint::BeforeRename) {
        return Err(injected(path));
    }
    if path.exists() {
        // Best effort: a failed backup must not stop the save itself.
        let _ = write_backup(path, &dir);
    }
    if fail == Some(FailPoint::AfterBackup) {
        return Err(injected(path));
    }
    tmp.persist(path).map_err(|e| StoreError::Io {
        path: path.to_path_buf(),
        action: "replace",
        source: e.error,
    })?;
    sync_dir(&dir);
    Ok(())
}

fn temp_in(dir: &Path) -> Result<tempfile::NamedTempFile, StoreError> {
    // tempfile creates the file with mode 0600 on Unix.
    tempfile::Builder::new()
        .prefix(".socscope-")
        .suffix(".tmp")
        .tempfile_in(dir)
        .map_err(io(dir, "create a temporary file in"))
}

/// Copies the current file to `<name>.bak` atomically, owner-only, whatever the original's mode.
fn write_backup(path: &Path, dir: &Path) -> Result<(), StoreError> {
    let mut src = std::fs::File::open(path).map_err(io(path, "read"))?;
    let mut tmp = temp_in(dir)?;
    std::io::copy(&mut src, tmp.as_file_mut()).map_err(io(path, "back up"))?;
    tmp.as_file().sync_all().map_err(io(path, "back up"))?;
    let bak = backup_path(path);
    tmp.persist(&bak).map_err(|e| StoreError::Io {
        path: bak.clone(),
        action: "replace",
        source: e.error,
    })?;
    Ok(())
}

#[cfg(unix)]
fn sync_dir(dir: &Path) {
    // Makes the rename itself durable; not available (nor needed) on Windows.
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
}

#[cfg(not(unix))]
fn sync_dir(_: &Path) {}

/// One saved session as `socscope list` and the start screen show it.
#[derive(Debug, Clone)]
pub struct SessionInfo {
    pub path: PathBuf,
    pub organisation: String,
    pub updated: DateTime<Utc>,
    pub progress: engine::Progress,
    pub verdict: engine::Verdict,
    pub provisional: bool,
    /// Set when the file could not be read; the entry is still listed so nothing disappears.
    pub error: Option<String>,
}

/// Every `*.toml` session in `dir`, most recently updated first.
pub fn list(dir: &Path, q: &Questionnaire) -> Result<Vec<SessionInfo>, StoreError> {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(io(dir, "read the directory")(e)),
    };
    let mut out = Vec::new();
    for entry in entries.flatten() {
        let path = entry.path();
        if path.extension().is_none_or(|e| e != "toml") {
            continue;
        }
        match open(&path, q) {
            Ok((s, _)) => {
                let r = engine::recommend(q, &s);
                out.push(SessionInfo {
                    path,
                    organisation: s.workshop.organisation.clone(),
                    updated: s.updated,
                    progress: r.progress,
                    verdict: r.verdict,
                    provisional: r.provisional,
                    error: None,
                });
            }
            Err(e) => out.push(SessionInfo {
                path,
                organisation: String::new(),
                updated: DateTime::<Utc>::MIN_UTC,
                progress: engine::Progress::default(),
                verdict: engine::Verdict::Undetermined,
                provisional: true,
                error: Some(e.to_string().lines().next().unwrap_or_default().to_string()),
            }),
        }
    }
    out.sort_by(|a, b| b.updated.cmp(&a.updated).then_with(|| a.path.cmp(&b.path)));
    Ok(out)
}
