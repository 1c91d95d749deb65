//! The answer journal beside a session (`NAME.toml.journal`, docs/session-format.md): every
//! change is appended as one checksummed record and flushed with `fdatasync`, so saving an
//! answer costs one small write whatever the size of the workshop. The session file stays the
//! complete record after a clean exit: the application layer folds the journal into it (one
//! atomic save) and removes the journal.
//!
//! This module knows bytes: the framing, the checksum, the header that ties a journal to the
//! session file it extends, and where a crash left it. What a record says (whole changed
//! entries, in the session format) is `file`'s business.
//!
//! Layout: a header line, then records, each a frame line and its payload:
//!
//! ```text
//! socscope-journal 1 base-len=5120 base-updated=2026-11-20T09:00:00Z
//! record 311 3f2a9c0d81b7e6a4
//! <311 bytes of payload>
//! ```
//!
//! The frame gives the payload's length in bytes and the first 16 hex digits of its SHA-256.
//! A record cut short (its frame or payload incomplete at the end of the file) is what a crash
//! in the middle of an append leaves: it was never acknowledged, and is ignored. A complete
//! record whose checksum does not match is damage: reading stops there and says so.

use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

const MAGIC: &str = "socscope-journal 1";

/// `<session>.journal`, beside the session file.
pub fn journal_path(session: &Path) -> PathBuf {
    super::store::sibling(session, ".journal")
}

/// The session file a journal extends, as it was when the journal was started: a journal whose
/// base is not the file beside it was written for another version of that file (it was folded
/// in, or the file was replaced), and must not be replayed over it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Base {
    /// The file's length in bytes.
    pub len: u64,
    /// Its `updated` timestamp as written (RFC 3339, to the second).
    pub updated: String,
}

impl Base {
    fn header(&self) -> String {
        format!(
            "{MAGIC} base-len={} base-updated={}\n",
            self.len, self.updated
        )
    }

    fn parse(line: &str) -> Option<Base> {
        let rest = line.strip_prefix(MAGIC)?.strip_prefix(' ')?;
        let mut len = None;
        let mut updated = None;
        for part in rest.split(' ') {
            match part.split_once('=') {
                Some(("base-len", v)) => len = v.parse().ok(),
                Some(("base-updated", v)) => updated = Some(v.to_string()),
                _ => return None,
            }
        }
        Some(Base {
            len: len?,
            updated: updated?,
        })
    }
}

/// Why reading stopped before the end of the file, when it was not a record cut short.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Damage {
    /// The damaged record, counting from 1 (0: the header).
    pub record: usize,
    /// Its byte offset in the journal.
    pub offset: u64,
    pub what: String,
}

/// What a journal holds, read up to its first damage.
#[derive(Debug, Clone)]
pub struct Contents {
    pub base: Base,
    /// The payloads of the whole, valid records, in order.
    pub records: Vec<String>,
    /// The length of the header and those records: where the next append goes.
    pub valid_len: u64,
    /// An incomplete last record (or header) was ignored.
    pub torn: bool,
    pub damaged: Option<Damage>,
}

impl Contents {
    /// No records yet, after a header of `valid_len` bytes.
    fn empty(base: Base, valid_len: u64) -> Contents {
        Contents {
            base,
            records: Vec::new(),
            valid_len,
            torn: false,
            damaged: None,
        }
    }
}

/// A base that matches no session file, for journals whose header could not be read.
fn no_base() -> Base {
    Base {
        len: 0,
        updated: String::new(),
    }
}

fn checksum(payload: &[u8]) -> String {
    let digest = Sha256::digest(payload);
    digest[..8].iter().map(|b| format!("{b:02x}")).collect()
}

/// Frames one payload as it is appended.
fn frame(payload: &str) -> Vec<u8> {
    let mut out = format!(
        "record {} {}\n",
        payload.len(),
        checksum(payload.as_bytes())
    )
    .into_bytes();
    out.extend_from_slice(payload.as_bytes());
    out.push(b'\n');
    out
}

/// Whether a whole, valid record starts somewhere in `bytes` (after a newline): then what
/// precedes it is not the end of the journal. Only the first few candidates are checked, so a
/// hostile tail costs linear time.
fn whole_record_within(bytes: &[u8]) -> bool {
    let mut from = 0;
    for _ in 0..64 {
        let Some(p) = bytes[from..].windows(8).position(|w| w == b"\nrecord ") else {
            return false;
        };
        let at = from + p + 1;
        let mut c = Contents::empty(no_base(), 0);
        read_records(&bytes[at..], 0, &mut c, Some(1));
        if !c.records.is_empty() {
            return true;
        }
        from = at;
    }
    false
}

/// Reads the journal's bytes (see [`read`]); `Ok(None)` when there is no journal, or only the
/// beginning of a header a crash cut short.
pub(crate) fn parse(bytes: &[u8]) -> Option<Contents> {
    let Some(nl) = bytes.iter().position(|b| *b == b'\n') else {
        // Not even a whole header: the journal was being created.
        return None;
    };
    let header = String::from_utf8_lossy(&bytes[..nl]);
    let Some(base) = Base::parse(&header) else {
        return Some(Contents {
            damaged: Some(Damage {
                record: 0,
                offset: 0,
                what: "the first line is not a socscope journal header".into(),
            }),
            ..Contents::empty(no_base(), 0)
        });
    };
    let mut c = Contents::empty(base, (nl + 1) as u64);
    read_records(bytes, nl + 1, &mut c, None);
    Some(c)
}

/// Reads whole records from `from` on into `c` (at most `at_most`), stopping at the first torn
/// or damaged one.
fn read_records(bytes: &[u8], from: usize, c: &mut Contents, at_most: Option<usize>) {
    let mut at = from;
    while at < bytes.len() && at_most.is_none_or(|n| c.records.len() < n) {
        let n = c.records.len() + 1;
        let damage = |what: String| Damage {
            record: n,
            offset: at as u64,
            what,
        };
        let rest = &bytes[at..];
        let Some(nl) = rest.iter().position(|b| *b == b'\n') else {
            c.torn = true;
            break;
        };
        let line = String::from_utf8_lossy(&rest[..nl]);
        let mut parts = line.split(' ');
        let (Some("record"), Some(len), Some(sum), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            c.damaged = Some(damage(format!(
                "`{}` is not a record frame",
                line.chars().take(40).collect::<String>()
            )));
            break;
        };
        let Ok(len) = len.parse::<usize>() else {
            c.damaged = Some(damage(format!("`{len}` is not a record length")));
            break;
        };
        let start = nl + 1;
        let Some(end) = start.checked_add(len) else {
            c.damaged = Some(damage("the record length is too large".into()));
            break;
        };
        if end >= rest.len() {
            // The payload or its final newline is not all there: an append a crash cut short,
            // unless a whole record follows (then this frame's length was damaged).
            if at_most.is_none() && whole_record_within(&rest[start..]) {
                c.damaged = Some(damage("its length does not match its content".into()));
            } else {
                c.torn = true;
            }
            break;
        }
        let payload = &rest[start..end];
        if rest[end] != b'\n' || checksum(payload) != sum {
            c.damaged = Some(damage("its checksum does not match its content".into()));
            break;
        }
        let Ok(text) = std::str::from_utf8(payload) else {
            c.damaged = Some(damage("it is not UTF-8 text".into()));
            break;
        };
        c.records.push(text.to_string());
        at += end + 1;
        c.valid_len = at as u64;
    }
}

/// Reads the journal beside `session`; `Ok(None)` when there is none.
pub fn read(session: &Path) -> std::io::Result<Option<Contents>> {
    let path = journal_path(session);
    match std::fs::symlink_metadata(&path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e),
        Ok(m) if !m.file_type().is_file() => {
            return Err(std::io::Error::other(
                "it is not a regular file (socscope never puts a link or folder there)",
            ));
        }
        Ok(_) => {}
    }
    let mut bytes = Vec::new();
    open_nofollow(&path, OpenOptions::new().read(true))?.read_to_end(&mut bytes)?;
    Ok(parse(&bytes))
}

fn open_nofollow(path: &Path, opts: &mut OpenOptions) -> std::io::Result<File> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600).custom_flags(libc::O_NOFOLLOW);
    }
    opts.open(path)
}

/// Appends records to one journal; held by the session's lease while it has unfolded changes.
#[derive(Debug)]
pub(crate) struct Writer {
    file: File,
    path: PathBuf,
    records: usize,
    bytes: u64,
    /// The `fdatasync` of the last record, still running (`append_started`).
    pending: Option<std::thread::JoinHandle<std::io::Result<()>>>,
}

impl Drop for Writer {
    fn drop(&mut self) {
        let _ = self.settle();
    }
}

impl Writer {
    /// Starts a new journal for the session file described by `base`. An old journal in the
    /// way is replaced (the caller has folded or set aside whatever it held).
    pub(crate) fn create(session: &Path, base: &Base) -> std::io::Result<Writer> {
        let path = journal_path(session);
        match std::fs::symlink_metadata(&path) {
            Ok(m) if m.file_type().is_dir() => {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::IsADirectory,
                    "a folder is where the journal goes",
                ));
            }
            // Removed first, so a link planted there is never followed.
            Ok(_) => std::fs::remove_file(&path)?,
            Err(_) => {}
        }
        let mut file = open_nofollow(&path, OpenOptions::new().append(true).create_new(true))?;
        let header = base.header();
        file.write_all(header.as_bytes())?;
        file.sync_data()?;
        super::store::sync_parent(&path);
        Ok(Writer {
            file,
            path,
            records: 0,
            bytes: header.len() as u64,
            pending: None,
        })
    }

    /// Goes on appending to a journal that was read (`contents`): an incomplete last record
    /// is cut off first, so the next record follows the last whole one.
    pub(crate) fn resume(session: &Path, contents: &Contents) -> std::io::Result<Writer> {
        let path = journal_path(session);
        let file = open_nofollow(&path, OpenOptions::new().append(true))?;
        if file.metadata()?.len() != contents.valid_len {
            file.set_len(contents.valid_len)?;
            file.sync_all()?;
        }
        Ok(Writer {
            file,
            path,
            records: contents.records.len(),
            bytes: contents.valid_len,
            pending: None,
        })
    }

    /// Appends one record and waits until it is on disk (`fdatasync`).
    pub(crate) fn append(&mut self, payload: &str) -> std::io::Result<()> {
        self.append_started(payload)?;
        self.settle()
    }

    /// Appends one record and starts its `fdatasync` on another thread, so that the caller
    /// can work while the disk flushes (11-20 ms on a virtual disk); the record is on disk
    /// once [`Writer::settle`] returns `Ok`. An earlier flush still running is waited for
    /// first, so records reach the disk in order.
    pub(crate) fn append_started(&mut self, payload: &str) -> std::io::Result<()> {
        self.settle()?;
        let bytes = frame(payload);
        self.file.write_all(&bytes)?;
        self.records += 1;
        self.bytes += bytes.len() as u64;
        let flush = self.file.try_clone().and_then(|f| {
            std::thread::Builder::new()
                .name("journal-flush".into())
                .spawn(move || f.sync_data())
        });
        match flush {
            Ok(handle) => self.pending = Some(handle),
            // No thread to spare: flushed here instead.
            Err(_) => self.file.sync_data()?,
        }
        Ok(())
    }

    /// Waits for the flush `append_started` started, if any, and says how it went.
    pub(crate) fn settle(&mut self) -> std::io::Result<()> {
        match self.pending.take() {
            Some(h) => h
                .join()
                .unwrap_or_else(|_| Err(std::io::Error::other("the journal flush stopped"))),
            None => Ok(()),
        }
    }

    /// Records appended (including those found when the journal was resumed).
    pub(crate) fn records(&self) -> usize {
        self.records
    }

    pub(crate) fn bytes(&self) -> u64 {
        self.bytes
    }

    /// Removes the journal once the session file holds everything in it.
    pub(crate) fn remove(mut self) -> std::io::Result<()> {
        // Its content is in the session file now: how the last flush went no longer matters.
        let _ = self.settle();
        let path = self.path.clone();
        drop(self);
        remove(&path)
    }
}

/// Removes a journal file (and makes its removal durable).
pub(crate) fn remove(path: &Path) -> std::io::Result<()> {
    match std::fs::remove_file(path) {
        Ok(()) => {
            super::store::sync_parent(path);
            Ok(())
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> Base {
        Base {
            len: 42,
            updated: "2026-11-20T09:00:00Z".into(),
        }
    }

    fn journal(records: &[&str]) -> Vec<u8> {
        let mut out = base().header().into_bytes();
        for r in records {
            out.extend(frame(r));
        }
        out
    }

    #[test]
    fn records_read_back_in_order_with_their_base() {
        let bytes = journal(&["first", "second\nwith a newline", ""]);
        let c = parse(&bytes).expect("a journal");
        assert_eq!(c.base, base());
        assert_eq!(c.records, vec!["first", "second\nwith a newline", ""]);
        assert_eq!(c.valid_len, bytes.len() as u64);
        assert!(!c.torn && c.damaged.is_none());
    }

    #[test]
    fn a_record_cut_short_anywhere_is_ignored_and_the_rest_kept() {
        let whole = journal(&["one", "two"]);
        let one = journal(&["one"]).len();
        // Every cut inside the second record (frame or payload) keeps the first.
        for cut in one..whole.len() {
            let c = parse(&whole[..cut]).expect("a journal");
            assert_eq!(c.records, vec!["one"], "cut at {cut}");
            assert_eq!(c.valid_len, one as u64);
            assert_eq!(c.torn, cut > one, "cut at {cut}");
            assert!(c.damaged.is_none(), "cut at {cut}");
        }
        // A header cut short is no journal at all.
        assert!(parse(&whole[..10]).is_none());
    }

    #[test]
    fn a_bad_checksum_stops_reading_there_and_says_which_record() {
        let mut bytes = journal(&["one", "two", "three"]);
        let at = bytes
            .windows(4)
            .position(|w| w == b"\ntwo")
            .expect("the second payload")
            + 1;
        bytes[at] ^= 1; // inside the payload of "two"
        let c = parse(&bytes).expect("a journal");
        assert_eq!(c.records, vec!["one"]);
        let d = c.damaged.expect("damage reported");
        assert_eq!(d.record, 2);
        assert!(d.what.contains("checksum"), "{}", d.what);
    }

    #[test]
    fn garbage_instead_of_a_header_is_damage_not_an_empty_journal() {
        let c = parse(b"not a journal\n").expect("read");
        assert_eq!(c.damaged.map(|d| d.record), Some(0));
    }

    #[test]
    fn records_flushed_on_another_thread_are_whole_and_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let session = dir.path().join("w.toml");
        let mut w = Writer::create(&session, &base()).unwrap();
        for r in ["one", "two", "three"] {
            // Each append waits for the flush before it.
            w.append_started(r).unwrap();
        }
        w.settle().unwrap();
        w.settle().unwrap();
        let c = read(&session).unwrap().unwrap();
        assert_eq!(c.records, vec!["one", "two", "three"]);
        assert!(!c.torn && c.damaged.is_none());
        assert_eq!(w.records(), 3);
    }

    #[test]
    fn a_writer_appends_resumes_after_a_torn_record_and_removes() {
        let dir = tempfile::tempdir().unwrap();
        let session = dir.path().join("w.toml");
        let mut w = Writer::create(&session, &base()).unwrap();
        w.append("one").unwrap();
        drop(w);
        // A crash in the middle of the next append.
        let path = journal_path(&session);
        let mut f = OpenOptions::new().append(true).open(&path).unwrap();
        f.write_all(b"record 99 0123").unwrap();
        drop(f);
        let c = read(&session).unwrap().unwrap();
        assert!(c.torn);
        let mut w = Writer::resume(&session, &c).unwrap();
        w.append("two").unwrap();
        let c = read(&session).unwrap().unwrap();
        assert_eq!(c.records, vec!["one", "two"]);
        assert!(!c.torn);
        w.remove().unwrap();
        assert!(read(&session).unwrap().is_none());
    }
}
