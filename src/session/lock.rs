//! One writer per session file. Opening a session for writing takes an advisory lock (fs4:
//! `flock` on Unix, `LockFileEx` on Windows) on `<session>.lock` and writes who holds it (pid,
//! host, since) into that file, so a second socscope can say exactly which process has it.
//!
//! The operating system releases the lock when the holder exits, even on `kill -9`, so a lock
//! file left behind by a crash never blocks anyone: only a held lock does.
//!
//! Besides the RAII [`LockGuard`], this keeps a process-wide registry: [`hold`] keeps a guard
//! until [`release_all`] (the app and plain mode), and [`check_writable`] is what every save
//! asks first (`store::save_with`), so no code path can write a file another process holds.

use std::collections::HashSet;
use std::fmt;
use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use chrono::{SecondsFormat, Utc};

/// Who holds a session, as written in its lock file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Holder {
    pub pid: u32,
    pub host: String,
    pub since: String,
}

impl fmt::Display for Holder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "socscope process {} on {} (since {})",
            self.pid, self.host, self.since
        )
    }
}

#[derive(Debug, thiserror::Error)]
pub enum LockError {
    /// Another process holds the lock. `holder` is what its lock file says (if readable).
    #[error("{} is open in {}", path.display(), holder.as_ref().map_or("another socscope process".to_string(), Holder::to_string))]
    Locked {
        path: PathBuf,
        holder: Option<Holder>,
    },
    #[error("could not lock {}: {}", lock_path(path).display(), super::store::io_cause(source))]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// Something that is not a regular file sits where the lock file goes (a planted link).
    #[error("{} is not a regular file, so it cannot be the session's lock file", lock_path(path).display())]
    NotAFile { path: PathBuf },
}

impl LockError {
    /// What to do about it, in one sentence.
    pub(crate) fn help(&self) -> Option<String> {
        Some(match self {
            LockError::Locked { path, .. } => format!(
                "close it there first, or open it read-only: socscope resume {} --read-only",
                shell_quote(&path.display().to_string())
            ),
            LockError::Io { source, .. } => match source.kind() {
                std::io::ErrorKind::StorageFull => {
                    "free some space on that disk, then open the session again".into()
                }
                std::io::ErrorKind::PermissionDenied => {
                    "check the folder's permissions, or move the session to a folder you can \
                     write"
                        .into()
                }
                _ => "check the disk and the folder, then try again".into(),
            },
            LockError::NotAFile { path } => format!(
                "remove {} (socscope never creates links there) and open the session again",
                lock_path(path).display()
            ),
        })
    }
}

fn shell_quote(s: &str) -> String {
    if s.chars()
        .all(|c| c.is_ascii_alphanumeric() || "/._-+:@".contains(c))
    {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', "'\\''"))
    }
}

/// `<session>.lock` beside the session.
pub fn lock_path(session: &Path) -> PathBuf {
    let mut name = session
        .file_name()
        .map(|n| n.to_os_string())
        .unwrap_or_default();
    name.push(".lock");
    session.with_file_name(name)
}

/// Holds the lock on one session until dropped; dropping removes the lock file.
#[derive(Debug)]
pub struct LockGuard {
    key: PathBuf,
    lock: PathBuf,
    file: Option<File>,
}

impl Drop for LockGuard {
    fn drop(&mut self) {
        // Remove the file while still holding the lock, so nobody can lock the old inode in
        // between (acquire checks the inode it locked is still the one at the path).
        let _ = std::fs::remove_file(&self.lock);
        if let Some(f) = self.file.take() {
            let _ = fs4::FileExt::unlock(&f);
        }
        if let Ok(mut own) = OWN.lock()
            && let Some(i) = own.iter().position(|p| *p == self.key)
        {
            own.swap_remove(i);
        }
    }
}

/// Sessions this process holds a lock on (by canonical path).
static OWN: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());
/// Sessions opened read-only in this process: saving them is refused.
static READ_ONLY: Mutex<Option<HashSet<PathBuf>>> = Mutex::new(None);

/// The real file behind a session path: canonical (links resolved) where the file exists, else
/// its folder's canonical path and its name. The lock, the registry and every write use it.
pub(crate) fn key(session: &Path) -> PathBuf {
    if let Ok(c) = std::fs::canonicalize(session) {
        return c;
    }
    // Not created yet: canonicalise the folder and keep the name.
    match (session.parent(), session.file_name()) {
        (Some(dir), Some(name)) => {
            let dir = if dir.as_os_str().is_empty() {
                Path::new(".")
            } else {
                dir
            };
            std::fs::canonicalize(dir)
                .map(|d| d.join(name))
                .unwrap_or_else(|_| session.to_path_buf())
        }
        _ => session.to_path_buf(),
    }
}

/// Takes the lock on `session` (which need not exist yet), or says who holds it. The lock is on
/// the real file: a session reached through a symbolic link, or under another spelling of its
/// path, has the same lock as the file itself.
pub fn acquire(session: &Path) -> Result<LockGuard, LockError> {
    let key = key(session);
    let lock = lock_path(&key);
    let io = |source| LockError::Io {
        path: session.to_path_buf(),
        source,
    };
    if let Some(dir) = lock.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(io)?;
    }
    for _ in 0..20 {
        // Never through a link: one planted at the lock's name would have its target truncated.
        if std::fs::symlink_metadata(&lock).is_ok_and(|m| !m.file_type().is_file()) {
            return Err(LockError::NotAFile {
                path: session.to_path_buf(),
            });
        }
        let created = !lock.exists();
        let mut opts = OpenOptions::new();
        opts.read(true).write(true).create(true).truncate(false);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(0o600).custom_flags(libc::O_NOFOLLOW);
        }
        let mut file = match opts.open(&lock) {
            Ok(f) => f,
            Err(e) if is_link_refusal(&e) => {
                return Err(LockError::NotAFile {
                    path: session.to_path_buf(),
                });
            }
            Err(e) => return Err(io(e)),
        };
        match fs4::FileExt::try_lock(&file) {
            Ok(()) => {}
            Err(fs4::TryLockError::WouldBlock) => {
                return Err(LockError::Locked {
                    path: session.to_path_buf(),
                    holder: read_holder(&mut file),
                });
            }
            Err(fs4::TryLockError::Error(e)) => {
                if created {
                    let _ = std::fs::remove_file(&lock);
                }
                return Err(io(e));
            }
        }
        // The holder may have removed the file between our open and our lock: then we locked
        // a file nobody else will ever look at. Try again on the file now at the path.
        if !same_file(&file, &lock) {
            continue;
        }
        let holder = Holder {
            pid: std::process::id(),
            host: hostname(),
            since: Utc::now().to_rfc3339_opts(SecondsFormat::Secs, true),
        };
        let written = (|| -> std::io::Result<()> {
            file.set_len(0)?;
            file.rewind()?;
            write!(
                file,
                "pid = {}\nhost = \"{}\"\nsince = {}\n",
                holder.pid,
                holder.host.replace(['"', '\\', '\n'], "_"),
                holder.since
            )?;
            file.sync_all()
        })();
        if let Err(e) = written {
            // A full disk: say so, and leave no empty lock file behind.
            let _ = std::fs::remove_file(&lock);
            let _ = fs4::FileExt::unlock(&file);
            return Err(io(e));
        }
        if let Ok(mut own) = OWN.lock() {
            own.push(key.clone());
        }
        return Ok(LockGuard {
            key,
            lock,
            file: Some(file),
        });
    }
    Err(io(std::io::Error::other(
        "the lock file kept being replaced",
    )))
}

/// Whether opening failed because the path is a symbolic link (`O_NOFOLLOW`).
fn is_link_refusal(e: &std::io::Error) -> bool {
    #[cfg(unix)]
    {
        e.raw_os_error() == Some(libc::ELOOP)
    }
    #[cfg(not(unix))]
    {
        let _ = e;
        false
    }
}

#[cfg(unix)]
fn same_file(file: &File, path: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (file.metadata(), std::fs::metadata(path)) {
        (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
        _ => false,
    }
}

#[cfg(not(unix))]
fn same_file(_: &File, path: &Path) -> bool {
    // Windows cannot delete a file that is open, so the file at the path is ours.
    path.exists()
}

fn read_holder(file: &mut File) -> Option<Holder> {
    let mut text = String::new();
    file.rewind().ok()?;
    file.take(4096).read_to_string(&mut text).ok()?;
    parse_holder(&text)
}

/// Parses a lock file's text (`pid = 1`, `host = "x"`, `since = ...`).
pub fn parse_holder(text: &str) -> Option<Holder> {
    let mut pid = None;
    let mut host = None;
    let mut since = None;
    for line in text.lines() {
        let Some((k, v)) = line.split_once('=') else {
            continue;
        };
        let v = v.trim().trim_matches('"').to_string();
        match k.trim() {
            "pid" => pid = v.parse().ok(),
            "host" => host = Some(v),
            "since" => since = Some(v),
            _ => {}
        }
    }
    Some(Holder {
        pid: pid?,
        host: host.unwrap_or_else(|| "an unknown host".into()),
        since: since.unwrap_or_else(|| "an unknown time".into()),
    })
}

/// Who holds `session` now, if anyone (another process, or this one).
pub(crate) fn holder(session: &Path) -> Option<Holder> {
    match acquire(session) {
        Ok(_guard) => None,
        Err(LockError::Locked { holder, .. }) => holder,
        Err(LockError::Io { .. } | LockError::NotAFile { .. }) => None,
    }
}

/// This machine's name, for lock files.
pub fn hostname() -> String {
    #[cfg(unix)]
    {
        let mut buf = [0u8; 256];
        // SAFETY: the buffer is valid for its length; gethostname NUL-terminates on success
        // (and we stop at the first NUL or the buffer's end either way).
        let rc = unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len()) };
        if rc == 0 {
            let end = buf.iter().position(|b| *b == 0).unwrap_or(buf.len());
            let name = String::from_utf8_lossy(&buf[..end]).into_owned();
            if !name.is_empty() {
                return name;
            }
        }
    }
    std::env::var("COMPUTERNAME")
        .or_else(|_| std::env::var("HOSTNAME"))
        .unwrap_or_else(|_| "localhost".into())
}

/// Whether this process holds the lock on `session`.
pub(crate) fn holds(session: &Path) -> bool {
    let k = key(session);
    OWN.lock().map(|own| own.contains(&k)).unwrap_or(false)
}

/// Marks `session` read-only for this process: saves are refused with a clear message.
pub fn set_read_only(session: &Path) {
    let mut ro = READ_ONLY.lock().unwrap_or_else(|e| e.into_inner());
    ro.get_or_insert_with(HashSet::new).insert(key(session));
}

/// Lifts [`set_read_only`]: this process may write `session` again (once it holds the lock,
/// or nobody does). The app calls it when it reopens a session after taking its lock.
pub(crate) fn clear_read_only(session: &Path) {
    let mut ro = READ_ONLY.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(set) = ro.as_mut() {
        set.remove(&key(session));
    }
}

pub(crate) fn is_read_only(session: &Path) -> bool {
    let k = key(session);
    READ_ONLY
        .lock()
        .map(|ro| ro.as_ref().is_some_and(|s| s.contains(&k)))
        .unwrap_or(false)
}

/// Why a save of `session` must not happen now, if it must not.
pub(crate) enum Refusal {
    ReadOnly,
    Locked(LockError),
}

/// Runs `write` only if this process may write `session`: it holds the lock, or nobody does
/// (then the lock is taken for the duration of the write). Read-only sessions are refused.
pub(crate) fn with_write_access<T>(
    session: &Path,
    write: impl FnOnce() -> T,
) -> Result<T, Refusal> {
    if is_read_only(session) {
        return Err(Refusal::ReadOnly);
    }
    if holds(session) {
        return Ok(write());
    }
    let guard = acquire(session).map_err(Refusal::Locked)?;
    let out = write();
    drop(guard);
    Ok(out)
}
