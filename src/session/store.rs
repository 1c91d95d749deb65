//! Where sessions live and how files are written: atomically, so a crash never leaves half a
//! file, and never through a link planted where a temporary or backup file goes.
//!
//! This knows files, not recommendations: the readable `[recommendation]` summary is handed in
//! already rendered (`workshop` computes it), and listing sessions with their verdicts is the
//! application layer's catalogue.

use std::io::Write;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};

use super::file::{self, Opened};
use super::journal;
use super::lock::{self, LockError};
use super::{FORMAT_VERSION, Session};
use crate::questionnaire::{LoadError, Questionnaire};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("could not {action} {}: {}", path.display(), io_cause(source))]
    Io {
        path: PathBuf,
        action: &'static str,
        #[source]
        source: std::io::Error,
    },
    /// The file is not UTF-8 text; `line` and `col` locate the first byte that is not.
    #[error(
        "{}:{line}:{col}: error: not UTF-8 text: byte 0x{byte:02x} at byte offset {offset} is not \
         valid UTF-8",
        path.display()
    )]
    NotUtf8 {
        path: PathBuf,
        byte: u8,
        offset: usize,
        line: usize,
        col: usize,
    },
    /// The file is not a valid session: every problem, located.
    #[error(transparent)]
    Format(#[from] LoadError),
    /// Another socscope process has the session open (see `lock`).
    #[error(transparent)]
    Locked(#[from] LockError),
    /// The session was opened read-only in this process.
    #[error("{} is open read-only: changes are not saved", .0.display())]
    ReadOnly(PathBuf),
    #[error("could not render the session: {0}")]
    Render(String),
    #[error("could not find a home directory for saved sessions")]
    NoDataDir,
}

impl StoreError {
    /// What to do about it, in one sentence.
    pub(crate) fn help(&self) -> Option<String> {
        Some(match self {
            StoreError::Io { source, .. } => match source.kind() {
                std::io::ErrorKind::NotFound => {
                    "check the path; `socscope list` shows the saved sessions".into()
                }
                std::io::ErrorKind::PermissionDenied => {
                    "check the file's and the folder's permissions, or choose another path".into()
                }
                std::io::ErrorKind::StorageFull => {
                    "free some space on that disk, then try again: nothing was replaced".into()
                }
                std::io::ErrorKind::IsADirectory => {
                    "that path is a folder: give the path of a file".into()
                }
                _ => "check the disk and the path, then try again".into(),
            },
            StoreError::NotUtf8 { .. } => "save the file as UTF-8 text, or remove the character \
                 there; if it is a session that was damaged, open its backup (`.bak` beside it)"
                .into(),
            StoreError::Format(_) => return None,
            StoreError::Locked(e) => return e.help(),
            StoreError::ReadOnly(_) => "quit, then `socscope resume` it without --read-only once \
                 no other socscope has it open"
                .into(),
            StoreError::Render(_) => {
                "this is a socscope defect: please report it; the file on disk is unchanged".into()
            }
            StoreError::NoDataDir => {
                "set SOCSCOPE_DATA_DIR to a folder, or give a session path explicitly".into()
            }
        })
    }

    /// Whether the file exists but cannot be read as a session (so its backup may help).
    pub(crate) fn is_damaged(&self) -> bool {
        matches!(self, StoreError::Format(_) | StoreError::NotUtf8 { .. })
    }
}

/// An I/O error as people read it: "the disk is full" rather than an errno.
pub(crate) fn io_cause(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::StorageFull => "the disk is full".into(),
        std::io::ErrorKind::PermissionDenied => "permission denied".into(),
        std::io::ErrorKind::NotFound => "no such file or folder".into(),
        _ => e.to_string(),
    }
}

fn io(path: &Path, action: &'static str) -> impl FnOnce(std::io::Error) -> StoreError {
    let path = path.to_path_buf();
    move |source| StoreError::Io {
        path,
        action,
        source,
    }
}

/// Sessions directory: `$SOCSCOPE_DATA_DIR` if set, else the platform data directory
/// (e.g. `~/.local/share/socscope/sessions` on Linux).
pub(crate) fn data_dir() -> Result<PathBuf, StoreError> {
    if let Some(dir) = std::env::var_os("SOCSCOPE_DATA_DIR").filter(|d| !d.is_empty()) {
        return Ok(PathBuf::from(dir));
    }
    directories::ProjectDirs::from("", "", "socscope")
        .map(|p| p.data_dir().join("sessions"))
        .ok_or(StoreError::NoDataDir)
}

/// The organisation as it starts a session's file name: lower-case ASCII letters and digits,
/// one dash for anything else, at most 40 characters ("Spendwise Ltd" -> "spendwise-ltd").
pub(crate) fn slug(organisation: &str) -> String {
    let mut slug = String::new();
    for c in organisation.chars() {
        let c = if c.is_ascii_alphanumeric() {
            c.to_ascii_lowercase()
        } else {
            '-'
        };
        // One pass, no repeated dashes: linear in the name, however it is made.
        if !(c == '-' && (slug.is_empty() || slug.ends_with('-'))) {
            slug.push(c);
        }
    }
    let slug = slug.trim_matches('-');
    if slug.is_empty() {
        "workshop".into()
    } else {
        slug.chars().take(40).collect()
    }
}

/// A file name for a new session: organisation slug and date, never an existing file.
pub(crate) fn new_session_path(dir: &Path, organisation: &str, now: DateTime<Utc>) -> PathBuf {
    let slug = slug(organisation);
    let date = now.format("%Y-%m-%d");
    let mut path = dir.join(format!("{slug}-{date}.toml"));
    let mut n = 2;
    while path.exists() {
        path = dir.join(format!("{slug}-{date}-{n}.toml"));
        n += 1;
    }
    path
}

/// Reads a file as UTF-8 text; a byte that is not says where it is.
pub(crate) fn read_text(path: &Path) -> Result<String, StoreError> {
    let bytes = std::fs::read(path).map_err(io(path, "read"))?;
    String::from_utf8(bytes).map_err(|e| {
        let offset = e.utf8_error().valid_up_to();
        let before = &e.as_bytes()[..offset];
        let line = before.iter().filter(|b| **b == b'\n').count() + 1;
        let start = before
            .iter()
            .rposition(|b| *b == b'\n')
            .map_or(0, |i| i + 1);
        let col = String::from_utf8_lossy(&before[start..]).chars().count() + 1;
        StoreError::NotUtf8 {
            path: path.to_path_buf(),
            byte: e.as_bytes().get(offset).copied().unwrap_or_default(),
            offset,
            line,
            col,
        }
    })
}

/// Reads and parses a session, reconciling it with `q`, with the changes its journal holds
/// (`journal`; [`Opened::journal`] says what was found). Nothing is modified here.
pub fn open(path: &Path, q: &Questionnaire) -> Result<(Session, Opened), StoreError> {
    // The journal first: should a fold replace the file in between, the journal read is then
    // older than the file, which the journal's header shows (it is not replayed).
    let journal = journal::read(path).map_err(io(&journal::journal_path(path), "read"))?;
    let text = read_text(path)?;
    Ok(file::parse_with_journal(
        &path.display().to_string(),
        &text,
        journal,
        q,
    )?)
}

/// Marks the session file as extended by a journal (`format_version = 2`, which a socscope
/// without journals refuses) by rewriting that one digit in place and flushing it. `Ok(false)`
/// when the file does not exist yet or does not start the way socscope writes it (then write
/// it whole instead).
pub(crate) fn mark_journaled(path: &Path) -> Result<bool, StoreError> {
    use std::io::{Read, Seek, SeekFrom};
    const LINE: &[u8] = b"\nformat_version = 1\n";
    let mut opts = std::fs::OpenOptions::new();
    opts.read(true).write(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.custom_flags(libc::O_NOFOLLOW);
    }
    let mut f = match opts.open(path) {
        Ok(f) => f,
        // Not written yet: it is written whole.
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(false),
        Err(e) => return Err(io(path, "mark")(e)),
    };
    let mut head = Vec::new();
    (&mut f)
        .take(4096)
        .read_to_end(&mut head)
        .map_err(io(path, "read"))?;
    let Some(at) = head.windows(LINE.len()).position(|w| w == LINE) else {
        return Ok(false);
    };
    // The digit: one byte within one sector, so the file is the old one or the new one.
    f.seek(SeekFrom::Start((at + LINE.len() - 2) as u64))
        .map_err(io(path, "mark"))?;
    f.write_all(b"2").map_err(io(path, "mark"))?;
    f.sync_data().map_err(io(path, "flush to disk"))?;
    Ok(true)
}

/// What a save did besides replacing the file.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Saved {
    /// Why no backup of the previous version could be kept, if one could not: the save itself
    /// succeeded, but the user must know the `.bak` is not there to fall back on.
    pub backup_problem: Option<String>,
    /// The length of the file written.
    pub bytes: u64,
}

/// Saves a session with its readable summary, atomically (see [`write_atomic`]), and only while
/// this process may write it: it holds the lock, or nobody does (then the lock is taken for the
/// write). Read-only sessions are refused.
pub fn save_with(
    path: &Path,
    s: &Session,
    summary: Option<toml::Value>,
) -> Result<Saved, StoreError> {
    let mut summary = summary;
    save_with_later(path, s, &mut || summary.take())
}

/// [`save_with`], the summary asked for once the rest of the file is written (see
/// [`file::write_version`]).
pub(crate) fn save_with_later(
    path: &Path,
    s: &Session,
    summary: &mut dyn FnMut() -> Option<toml::Value>,
) -> Result<Saved, StoreError> {
    match lock::with_write_access(path, || write_session(path, s, summary, FORMAT_VERSION)) {
        Ok(result) => result,
        Err(lock::Refusal::ReadOnly) => Err(StoreError::ReadOnly(path.to_path_buf())),
        Err(lock::Refusal::Locked(e)) => Err(StoreError::Locked(e)),
    }
}

/// Writes `s` as a session file at `path` atomically ([`write_atomic_with`]), rendered entry by
/// entry into the temporary file: a million identities' TOML is never held in memory.
pub(crate) fn write_session(
    path: &Path,
    s: &Session,
    summary: &mut dyn FnMut() -> Option<toml::Value>,
    version: u32,
) -> Result<Saved, StoreError> {
    let mut unrendered: Option<String> = None;
    let written = write_atomic_with(path, &mut |w| {
        file::write_version(s, summary, version, w).map_err(|e| match e {
            file::WriteError::Io(e) => e,
            file::WriteError::Render(m) => {
                unrendered = Some(m);
                std::io::Error::other("the session could not be rendered")
            }
        })
    });
    match unrendered {
        Some(m) => Err(StoreError::Render(m)),
        None => written,
    }
}

pub fn backup_path(path: &Path) -> PathBuf {
    sibling(path, ".bak")
}

/// `<name><suffix>` beside `path`, or `<name><suffix>-2`... when that exists: where a file is
/// set aside without replacing another.
pub(crate) fn free_sibling(path: &Path, suffix: &str) -> PathBuf {
    let mut n = 1;
    loop {
        let p = if n == 1 {
            sibling(path, suffix)
        } else {
            sibling(path, &format!("{suffix}-{n}"))
        };
        if std::fs::symlink_metadata(&p).is_err() {
            return p;
        }
        n += 1;
    }
}

/// `<name><suffix>` beside `path`.
pub fn sibling(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path
        .file_name()
        .map(|n| n.to_os_string())
        .unwrap_or_default();
    name.push(suffix);
    path.with_file_name(name)
}

/// Writes `bytes` to `path` so that readers see either the old or the new file, never a mix:
/// a temporary file in the same directory, fsync, rename over `path`, fsync the directory. The
/// previous version is kept as `<name>.bak` (itself written the same way). Files are created
/// readable by the owner only (mode 0600 on Unix), always as new files, so a link planted at a
/// temporary name is never followed. On failure `path` is left as it was and the temporary file
/// is removed.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<Saved, StoreError> {
    write_atomic_inner(path, &mut |w| w.write_all(bytes), None)
}

/// [`write_atomic`] of what `fill` writes, streamed to the temporary file (an export of a
/// large session is never held in memory whole).
pub(crate) fn write_atomic_with(
    path: &Path,
    fill: &mut dyn FnMut(&mut dyn Write) -> std::io::Result<()>,
) -> Result<Saved, StoreError> {
    write_atomic_inner(path, fill, None)
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
pub fn write_atomic_failing(path: &Path, bytes: &[u8], at: FailPoint) -> Result<Saved, StoreError> {
    write_atomic_inner(path, &mut |w| w.write_all(bytes), Some(at))
}

fn injected(path: &Path) -> StoreError {
    StoreError::Io {
        path: path.to_path_buf(),
        action: "replace",
        source: std::io::Error::other("simulated failure"),
    }
}

fn parent_dir(path: &Path) -> PathBuf {
    match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

fn write_atomic_inner(
    path: &Path,
    fill: &mut dyn FnMut(&mut dyn Write) -> std::io::Result<()>,
    fail: Option<FailPoint>,
) -> Result<Saved, StoreError> {
    let dir = parent_dir(path);
    std::fs::create_dir_all(&dir).map_err(io(&dir, "create the directory"))?;
    if path.is_dir() {
        return Err(StoreError::Io {
            path: path.to_path_buf(),
            action: "replace",
            source: std::io::Error::new(std::io::ErrorKind::IsADirectory, "it is a folder"),
        });
    }
    if let Some(saved) = write_through_special(path, fill)? {
        return Ok(saved);
    }
    let mut tmp = temp_for(path)?;
    {
        let mut w = std::io::BufWriter::with_capacity(1 << 16, tmp.as_file_mut());
        fill(&mut w)
            .and_then(|()| w.flush())
            .map_err(io(path, "write"))?;
    }
    tmp.as_file()
        .sync_all()
        .map_err(io(path, "flush to disk"))?;
    let len = tmp.as_file().metadata().map_err(io(path, "write"))?.len();
    if fail == Some(FailPoint::BeforeRename) {
        return Err(injected(path));
    }
    let mut saved = Saved {
        bytes: len,
        ..Saved::default()
    };
    if path.exists() {
        // A failed backup must not stop the save itself, but it is never silent.
        if let Err(e) = write_backup(path) {
            saved.backup_problem = Some(e);
        }
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
    Ok(saved)
}

/// An existing target that is not a regular file (`-o /dev/null`, a named pipe, a terminal) is
/// written to as it is: replacing it by renaming a file over it would turn `/dev/null` into a
/// file (it did, on the machine these figures were measured on), and backing it up is
/// meaningless. `None` for a regular file or a new path, which get the atomic write.
fn write_through_special(
    path: &Path,
    fill: &mut dyn FnMut(&mut dyn Write) -> std::io::Result<()>,
) -> Result<Option<Saved>, StoreError> {
    let Ok(meta) = std::fs::metadata(path) else {
        return Ok(None);
    };
    if meta.is_file() || meta.is_dir() {
        return Ok(None);
    }
    let file = std::fs::OpenOptions::new()
        .write(true)
        .open(path)
        .map_err(io(path, "open"))?;
    let mut w = CountingWriter {
        inner: std::io::BufWriter::with_capacity(1 << 16, file),
        bytes: 0,
    };
    fill(&mut w)
        .and_then(|()| w.flush())
        .map_err(io(path, "write"))?;
    Ok(Some(Saved {
        bytes: w.bytes,
        ..Saved::default()
    }))
}

struct CountingWriter<W> {
    inner: W,
    bytes: u64,
}

impl<W: Write> Write for CountingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.bytes += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// The prefix of every temporary file written for `target`: `.<name>.socscope-`. Writers of one
/// session hold its lock, so a temporary file with its prefix found while holding the lock was
/// left by a writer that died (see [`remove_stale_temps`]).
fn temp_prefix(target: &Path) -> String {
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    format!(".{name}.socscope-")
}

fn temp_for(target: &Path) -> Result<tempfile::NamedTempFile, StoreError> {
    let dir = parent_dir(target);
    // tempfile creates the file new (O_EXCL: a planted link is never followed), mode 0600.
    tempfile::Builder::new()
        .prefix(&temp_prefix(target))
        .suffix(".tmp")
        .tempfile_in(&dir)
        .map_err(io(&dir, "create a temporary file in"))
}

/// Removes temporary files a killed writer left beside `session` (each as large as the
/// session). Call it only while holding the session's lock. Files of the old naming
/// (`.socscope-*.tmp`) are removed once they are an hour old: no save takes that long.
/// Returns how many were removed.
pub(crate) fn remove_stale_temps(session: &Path) -> usize {
    let dir = parent_dir(session);
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return 0;
    };
    let prefixes = [temp_prefix(session), temp_prefix(&backup_path(session))];
    let mut removed = 0;
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if !name.ends_with(".tmp") {
            continue;
        }
        let ours = prefixes.iter().any(|p| name.starts_with(p.as_str()));
        let old_style = name.starts_with(".socscope-")
            && entry
                .metadata()
                .and_then(|m| m.modified())
                .ok()
                .and_then(|t| t.elapsed().ok())
                .is_some_and(|age| age.as_secs() > 3600);
        // Only regular files: never follow or remove a link or folder someone put there.
        let regular = entry.file_type().is_ok_and(|t| t.is_file());
        if (ours || old_style) && regular && std::fs::remove_file(entry.path()).is_ok() {
            removed += 1;
        }
    }
    removed
}

/// Copies the current file to `<name>.bak` atomically, owner-only, whatever the original's mode.
/// The error says, in words, why no backup could be kept.
fn write_backup(path: &Path) -> Result<(), String> {
    let bak = backup_path(path);
    if bak.is_dir() {
        return Err(format!(
            "{} is a folder, so no backup of the previous version is kept: move it away",
            bak.display()
        ));
    }
    let copy = || -> Result<(), StoreError> {
        let mut src = std::fs::File::open(path).map_err(io(path, "read"))?;
        let mut tmp = temp_for(&bak)?;
        std::io::copy(&mut src, tmp.as_file_mut()).map_err(io(path, "back up"))?;
        tmp.as_file().sync_all().map_err(io(path, "back up"))?;
        tmp.persist(&bak).map_err(|e| StoreError::Io {
            path: bak.clone(),
            action: "replace",
            source: e.error,
        })?;
        Ok(())
    };
    copy().map_err(|e| format!("no backup of the previous version was kept: {e}"))
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

/// Makes a file's creation, rename or removal durable: fsyncs the folder it is in.
pub(crate) fn sync_parent(path: &Path) {
    sync_dir(&parent_dir(path));
}

/// Every `*.toml` file in `dir`, for the catalogue of saved sessions (the application layer
/// reads each and computes its verdict).
pub(crate) fn session_files(dir: &Path) -> Result<Vec<PathBuf>, StoreError> {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(io(dir, "read the directory")(e)),
    };
    let mut out: Vec<PathBuf> = entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    out.sort();
    Ok(out)
}
