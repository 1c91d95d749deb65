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

pub(crate) mod answer;
pub(crate) mod catalogue;
mod error;

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use chrono::Utc;

pub use error::Error;

use crate::engine::{self, Recommendation};
use crate::questionnaire::{self, Questionnaire};
use crate::session::lock::{self, LockGuard};
use crate::session::store::{self, Saved, StoreError};
use crate::session::{Session, Touched, file, journal};

/// Loads the questionnaire given on the command line, or the built-in one.
pub(crate) fn load_questionnaire(path: Option<&Path>) -> Result<Questionnaire, Error> {
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
    if let Some(newest) = by_organisation(&dir, arg) {
        return Ok(newest);
    }
    let similar = beginning_with(&dir, arg);
    Err(Error::NoSuchSession {
        arg: arg.to_string(),
        tried: direct,
        dir,
        similar,
    })
}

/// The organisations (as their files name them, e.g. `northwind-ledger`) whose name begins with
/// `arg`: `resume Northwind` and `resume North` suggest `northwind-ledger`. At most five, sorted.
fn beginning_with(dir: &Path, arg: &str) -> Vec<String> {
    let prefix = store::slug(arg);
    let Ok(files) = store::session_files(dir) else {
        return Vec::new();
    };
    let mut names: Vec<String> = files
        .iter()
        .filter_map(|p| organisation_of(p))
        .filter(|name| name.starts_with(&prefix))
        .map(str::to_string)
        .collect();
    names.sort();
    names.dedup();
    names.truncate(5);
    names
}

/// The newest session in `dir` whose file name is `organisation`'s (as `socscope list` shows it):
/// `resume Spendwise` finds `spendwise-2026-12-01.toml`. The name is what `new` gave the file,
/// its organisation slug then the date, so no file needs to be opened to find it.
fn by_organisation(dir: &Path, organisation: &str) -> Option<PathBuf> {
    let slug = store::slug(organisation);
    let files = store::session_files(dir).ok()?;
    files
        .into_iter()
        // Whole: "acme" must not find "acme-corp-2026-12-01.toml".
        .filter(|p| organisation_of(p) == Some(slug.as_str()))
        .max_by_key(|p| {
            let modified = std::fs::metadata(p).and_then(|m| m.modified()).ok();
            (modified, p.clone())
        })
}

/// The organisation part of a session file's name as `new` gives it (its slug, then
/// `-YYYY-MM-DD`, then `-N` for a second one that day), or `None` for a file named otherwise.
fn organisation_of(p: &Path) -> Option<&str> {
    let stem = p.file_stem()?.to_str()?;
    let dated = |s: &str| -> Option<usize> {
        let cut = s.len().checked_sub(11)?;
        let date = s.get(cut..)?.as_bytes();
        let ok = date[0] == b'-'
            && [1, 2, 3, 4, 6, 7, 9, 10]
                .iter()
                .all(|&i| date[i].is_ascii_digit())
            && date[5] == b'-'
            && date[8] == b'-';
        (ok && cut > 0).then_some(cut)
    };
    let cut = dated(stem).or_else(|| {
        let (head, n) = stem.rsplit_once('-')?;
        (!n.is_empty() && n.bytes().all(|b| b.is_ascii_digit())).then_some(())?;
        dated(head)
    })?;
    stem.get(..cut)
}

/// The most recently updated readable session in the sessions directory.
pub(crate) fn most_recent(q: &Questionnaire) -> Result<PathBuf, Error> {
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
///
/// Changes are saved in two ways. [`Lease::record`] appends what changed since the last save
/// to the session's journal (`session::journal`): one small write and one `fdatasync`,
/// whatever the size of the workshop. [`Lease::save`] writes the whole file atomically with its
/// readable summary and removes the journal: the fold, done on quit, when the app is idle and
/// every [`FOLD_EVERY`] records. While a journal exists the file says so (`format_version =
/// 2`), so a socscope that knows no journal refuses it instead of showing it without the
/// journal's changes.
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
    /// The workshop details as last saved: the app edits them in place, without a revision.
    details: Option<crate::session::Workshop>,
    /// The journal records go to, once there is one.
    journal: Option<journal::Writer>,
    /// The session file as it is on disk (length and `updated`): what a new journal extends.
    base: Option<journal::Base>,
    /// The file on disk says a journal may extend it (`format_version = 2`).
    marked: bool,
    /// Answers were kept aside or restored on the way in: the next record carries them.
    orphans_pending: bool,
    /// The entries whose copy on disk (file or journal) holds text kept as typed although it
    /// looks like a secret: a change to one is folded at once, so the superseded text does not
    /// stay in the journal.
    kept_secrets: HashSet<Touched>,
    /// A record written by [`Lease::record_ahead`] whose flush may still be running.
    ahead: Option<Ahead>,
    /// What went wrong writing a record ahead, for the next [`Lease::record`] to report.
    ahead_error: Option<Error>,
}

/// A record written ahead: what it said, and what to go back to if its flush fails (the next
/// record then carries its entries again).
#[derive(Debug)]
struct Ahead {
    recorded: Recorded,
    saved: u64,
    details: Option<crate::session::Workshop>,
    orphans_pending: bool,
}

/// The entries holding an answer or note kept as typed although it looks like a secret.
fn kept_secrets(s: &Session) -> HashSet<Touched> {
    let kept = |a: &crate::session::Answers| a.values().any(|a| a.secret_override);
    let mut out = HashSet::new();
    if kept(&s.engagement) {
        out.insert(Touched::Engagement);
    }
    out.extend(
        s.systems
            .iter()
            .filter(|x| kept(&x.answers))
            .map(|x| Touched::System(x.id.clone())),
    );
    out.extend(
        s.identities
            .iter()
            .filter(|x| kept(&x.answers))
            .map(|x| Touched::Identity(x.id.clone())),
    );
    out
}

/// Records in the journal after which the app folds it into the session file.
pub(crate) const FOLD_EVERY: usize = 256;
/// The same in bytes (a record holds whole entries: the engagement's are the largest).
const FOLD_BYTES: u64 = 4 << 20;

/// What [`Lease::record`] did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Recorded {
    /// A record was appended (nothing had changed otherwise).
    pub appended: bool,
    /// The journal is long enough to fold now ([`Lease::save`]).
    pub fold_due: bool,
}

impl Lease {
    fn new(path: PathBuf, real: PathBuf, guard: Option<LockGuard>, read_only: bool) -> Lease {
        Lease {
            path,
            real,
            _guard: guard,
            read_only,
            saved: 0,
            details: None,
            journal: None,
            base: None,
            marked: false,
            orphans_pending: false,
            kept_secrets: HashSet::new(),
            ahead: None,
            ahead_error: None,
        }
    }

    /// A lease that takes the lock only for each write (refused while another process holds
    /// it), for sessions built in memory by tools, tests and benchmarks.
    pub fn per_write(path: &Path) -> Lease {
        Lease::new(path.to_path_buf(), lock::key(path), None, false)
    }

    /// A lease that never writes, for a session shown read-only.
    #[cfg(test)]
    pub(crate) fn never_writes(path: &Path) -> Lease {
        Lease {
            read_only: true,
            ..Lease::per_write(path)
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub(crate) fn read_only(&self) -> bool {
        self.read_only
    }

    /// Whether `s` has changed since it was read or last saved.
    pub(crate) fn changed(&self, s: &Session) -> bool {
        s.revision.get() != self.saved || self.details.as_ref().is_some_and(|d| *d != s.workshop)
    }

    fn saved_now(&mut self, s: &Session) {
        self.saved = s.revision.get();
        self.details = Some(s.workshop.clone());
    }

    /// Saves `s` whole with the readable summary of `rec`, atomically, under the lock, and
    /// removes the journal it holds everything of. Read-only leases refuse.
    pub fn save(&mut self, s: &Session, rec: &Recommendation) -> Result<Saved, Error> {
        self.save_with_summary(s, crate::report::summary::file_summary(rec))
    }

    /// [`Lease::save`] with the `[recommendation]` summary already made (`socscope import`
    /// writes a report-level one: a full recommendation of a million rows costs minutes).
    pub(crate) fn save_with_summary(
        &mut self,
        s: &Session,
        summary: Option<toml::Value>,
    ) -> Result<Saved, Error> {
        let mut summary = summary;
        self.save_with_summary_later(s, &mut || summary.take())
    }

    /// [`Lease::save_with_summary`], the summary asked for once the rest of the file is written:
    /// `socscope import` works out its verdict while the file is saved.
    pub(crate) fn save_with_summary_later(
        &mut self,
        s: &Session,
        summary: &mut dyn FnMut() -> Option<toml::Value>,
    ) -> Result<Saved, Error> {
        if self.read_only() {
            return Err(StoreError::ReadOnly(self.path.clone()).into());
        }
        // A record written ahead is in the journal this save replaces: once the file holds
        // everything its flush no longer matters, and if the save fails, a failed flush has
        // put its changes back among those to record.
        let _ = self.settle();
        fold_pause();
        let saved = store::save_with_later(&self.real, s, summary)?;
        fold_pause();
        self.remove_journal()?;
        self.base = Some(journal::Base {
            len: saved.bytes,
            updated: s.updated.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        });
        self.marked = false;
        self.orphans_pending = false;
        self.kept_secrets = kept_secrets(s);
        self.saved_now(s);
        Ok(saved)
    }

    fn remove_journal(&mut self) -> Result<(), Error> {
        let path = journal::journal_path(&self.real);
        match self.journal.take() {
            Some(w) => w.remove(),
            None => journal::remove(&path),
        }
        .map_err(|source| StoreError::Io {
            path,
            action: "remove",
            source,
        })?;
        Ok(())
    }

    /// [`Lease::save`] only when something changed: a session that was only looked at (or
    /// reconciled with a newer questionnaire on the way in) is never rewritten. With a journal,
    /// it is folded even when nothing changed since the last record.
    pub fn save_if_changed(
        &mut self,
        s: &Session,
        rec: &Recommendation,
    ) -> Result<Option<Saved>, Error> {
        if !self.would_save(s) {
            return Ok(None);
        }
        self.save(s, rec).map(Some)
    }

    /// Whether [`Lease::save_if_changed`] would write: callers skip making the recommendation
    /// for the summary (a second at 10,000 identities) when it would not.
    pub(crate) fn would_save(&self, s: &Session) -> bool {
        !self.read_only() && (self.changed(s) || self.journal.is_some())
    }

    /// Appends what changed in `s` since it was read or last saved to the journal, durably
    /// (`fdatasync`), under the lock: each changed system or identity, the engagement and the
    /// workshop details, whole. Nothing changed, or a read-only lease: nothing is written.
    pub fn record(&mut self, s: &Session) -> Result<Recorded, Error> {
        let ahead = self.settle()?;
        let now = self.write_record(s, true)?;
        Ok(Recorded {
            appended: ahead.appended || now.appended,
            fold_due: ahead.fold_due || now.fold_due,
        })
    }

    /// [`Lease::record`], with the record's `fdatasync` left running on another thread so that
    /// the caller can recompute meanwhile: an answer then costs the longer of the flush and the
    /// recompute, not their sum. Nothing is acknowledged yet: [`Lease::record`] (the save
    /// before the next frame) waits for the flush and reports any failure, so nothing is shown
    /// before it is on disk (docs/reliability.md). Only while this process holds the lock for
    /// the whole session; a lease that takes the lock per write records in `record`, under it.
    pub(crate) fn record_ahead(&mut self, s: &Session) {
        if self.read_only() || !self.changed(s) || !lock::holds(&self.real) {
            return;
        }
        if let Err(e) = self.settle() {
            self.ahead_error = Some(e);
            return;
        }
        let (saved, details, orphans_pending) =
            (self.saved, self.details.clone(), self.orphans_pending);
        match self.write_record(s, false) {
            Ok(recorded) => {
                self.ahead = Some(Ahead {
                    recorded,
                    saved,
                    details,
                    orphans_pending,
                })
            }
            Err(e) => self.ahead_error = Some(e),
        }
    }

    /// Whether a record written ahead is not yet known to be on disk.
    pub(crate) fn unsettled(&self) -> bool {
        self.ahead.is_some() || self.ahead_error.is_some()
    }

    /// Waits for the flush of a record written ahead; on failure its changes count as not
    /// saved again, so the next record carries them.
    fn settle(&mut self) -> Result<Recorded, Error> {
        if let Some(e) = self.ahead_error.take() {
            return Err(e);
        }
        let Some(ahead) = self.ahead.take() else {
            return Ok(Recorded::default());
        };
        let flushed = self.journal.as_mut().map_or(Ok(()), |w| w.settle());
        match flushed {
            Ok(()) => Ok(ahead.recorded),
            Err(source) => {
                self.saved = ahead.saved;
                self.details = ahead.details;
                self.orphans_pending = ahead.orphans_pending;
                Err(StoreError::Io {
                    path: journal::journal_path(&self.real),
                    action: "append to",
                    source,
                }
                .into())
            }
        }
    }

    /// Appends what changed to the journal; `wait`: until it is on disk.
    fn write_record(&mut self, s: &Session, wait: bool) -> Result<Recorded, Error> {
        if self.read_only() || !self.changed(s) {
            return Ok(Recorded::default());
        }
        let touched = s.revision.touched_since(self.saved);
        let payload =
            file::render_record(s, &touched, self.orphans_pending).map_err(StoreError::Render)?;
        let real = self.real.clone();
        match lock::with_write_access(&real, || self.append(s, &payload, wait)) {
            Ok(result) => result?,
            Err(lock::Refusal::ReadOnly) => return Err(StoreError::ReadOnly(real).into()),
            Err(lock::Refusal::Locked(e)) => return Err(StoreError::Locked(e).into()),
        }
        self.orphans_pending = false;
        self.saved_now(s);
        let superseded = touched.iter().any(|t| self.kept_secrets.contains(*t));
        let kept = |a: &crate::session::Answers| a.values().any(|a| a.secret_override);
        for t in touched {
            let holds = match t {
                Touched::Engagement => kept(&s.engagement),
                Touched::System(id) => s.system(id).is_some_and(|x| kept(&x.answers)),
                Touched::Identity(id) => s.identity(id).is_some_and(|x| kept(&x.answers)),
                Touched::Inventory | Touched::Conflicts => false,
            };
            if holds {
                self.kept_secrets.insert(t.clone());
            }
        }
        let w = self.journal.as_ref();
        Ok(Recorded {
            appended: true,
            fold_due: superseded
                || w.is_some_and(|w| w.records() >= FOLD_EVERY || w.bytes() >= FOLD_BYTES),
        })
    }

    fn append(&mut self, s: &Session, payload: &str, wait: bool) -> Result<(), Error> {
        let jpath = journal::journal_path(&self.real);
        let jio = |action: &'static str| {
            let path = jpath.clone();
            move |source| StoreError::Io {
                path,
                action,
                source,
            }
        };
        if !self.marked {
            // Before the first record: from now on the file is not the whole workshop.
            if !store::mark_journaled(&self.real)? {
                let saved =
                    store::write_session(&self.real, s, &mut || None, file::JOURNALED_VERSION)?;
                self.base = Some(journal::Base {
                    len: saved.bytes,
                    updated: s.updated.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                });
                // That file holds everything so far: a journal from before it is not needed.
                if let Some(w) = self.journal.take() {
                    w.remove().map_err(jio("remove"))?;
                }
            }
            self.marked = true;
        }
        if self.journal.is_none() {
            let base = match &self.base {
                Some(b) => b.clone(),
                None => file_base(&self.real, s)?,
            };
            self.journal = Some(journal::Writer::create(&self.real, &base).map_err(jio("create"))?);
        }
        if let Some(w) = self.journal.as_mut() {
            if wait {
                w.append(payload)
            } else {
                w.append_started(payload)
            }
            .map_err(jio("append to"))?;
        }
        Ok(())
    }
}

/// The session file on disk as a journal's base, for a lease that did not read it.
fn file_base(real: &Path, s: &Session) -> Result<journal::Base, Error> {
    let len = std::fs::metadata(real)
        .map_err(|source| StoreError::Io {
            path: real.to_path_buf(),
            action: "read",
            source,
        })?
        .len();
    Ok(journal::Base {
        len,
        updated: s.updated.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
    })
}

/// `SOCSCOPE_TEST_SLOW_FOLD=1` makes a fold wait 60 ms before and after writing the file, so that the reliability
/// tests can kill the app in the middle of one (tests/reliability.rs). It has no other use.
fn fold_pause() {
    if std::env::var_os("SOCSCOPE_TEST_SLOW_FOLD").is_some_and(|v| v == "1") {
        std::thread::sleep(std::time::Duration::from_millis(60));
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
    let mut o = leased(path, real, guard, session, opened, q)?;
    o.stale_temps_removed = stale;
    Ok(o)
}

/// The lease of a session just read, taking over its journal when it may write: goes on
/// appending to a journal that extends the file; removes one already folded into it; sets
/// aside (never deletes) one that is damaged or was written for another version of the file,
/// writing the file whole at once when changes were recovered from it.
fn leased(
    path: &Path,
    real: PathBuf,
    guard: Option<LockGuard>,
    session: Session,
    opened: file::Opened,
    q: &Questionnaire,
) -> Result<Opened, Error> {
    let writable = guard.is_some();
    let mut lease = Lease::new(path.to_path_buf(), real, guard, !writable);
    lease.saved_now(&session);
    lease.base = opened.base;
    lease.marked = opened.journaled;
    lease.orphans_pending = !opened.notices.is_empty();
    lease.kept_secrets = kept_secrets(&session);
    let mut notices = opened.notices;
    let mut fold_now = false;
    if let Some(r) = &opened.journal {
        let jpath = journal::journal_path(&lease.real);
        let shown = jpath.display();
        let s = |n: usize| if n == 1 { "" } else { "s" };
        let aside = |suffix: &str| -> Result<PathBuf, Error> {
            let to = store::free_sibling(&jpath, suffix);
            std::fs::rename(&jpath, &to).map_err(|source| StoreError::Io {
                path: jpath.clone(),
                action: "set aside",
                source,
            })?;
            store::sync_parent(&to);
            Ok(to)
        };
        if r.stale && r.folded {
            // The last fold stopped before removing it: everything in it is in the file.
            if writable {
                lease.remove_journal()?;
            }
        } else if r.stale {
            let kept = if writable {
                format!("; it is kept as {}", aside(".stale")?.display())
            } else {
                String::new()
            };
            notices.push(format!(
                "{shown} was written for another version of this file and was not applied{kept}"
            ));
        } else {
            let n = r.applied;
            if let Some(d) = &r.damaged {
                let kept = if writable {
                    fold_now = n > 0;
                    format!("; the journal is kept as {}", aside(".damaged")?.display())
                } else {
                    "; the rest of it was not read".to_string()
                };
                notices.push(format!(
                    "{shown}: change {} is damaged ({}): the {n} change{} before it were \
                     recovered{kept}",
                    d.record,
                    d.what,
                    s(n)
                ));
            } else {
                if writable {
                    lease.journal =
                        Some(journal::Writer::resume(&lease.real, &r.contents).map_err(
                            |source| StoreError::Io {
                                path: jpath.clone(),
                                action: "open",
                                source,
                            },
                        )?);
                }
                if n > 0 {
                    notices.push(if writable {
                        format!(
                            "recovered {n} change{} from {shown}: socscope stopped before it \
                             wrote them into the file",
                            s(n)
                        )
                    } else {
                        format!(
                            "included {n} change{} from {shown}, not in the file yet",
                            s(n)
                        )
                    });
                }
            }
        }
    }
    if fold_now {
        lease.save(&session, &engine::recommend(q, &session))?;
    }
    Ok(Opened {
        session,
        lease,
        questionnaire_changed: opened.questionnaire_changed,
        notices,
        stale_temps_removed: 0,
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
    let mut lease = Lease::new(path, real, Some(guard), false);
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
pub(crate) fn readable_backup(path: &Path, q: &Questionnaire, e: &Error) -> Option<PathBuf> {
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
pub(crate) struct Restored {
    pub opened: Opened,
    /// Where the damaged file was kept (`None` if there was no file).
    pub kept_as: Option<PathBuf>,
    pub backup: PathBuf,
}

/// `resume --from-backup`, under the session's lock: refuses a file that opens as it is;
/// checks the backup reads as a session; renames the damaged file to `FILE.corrupt` (its bytes
/// untouched, never deleted); writes the backup's content as FILE atomically and opens it. The
/// backup stays as it was.
pub(crate) fn restore_from_backup(path: &Path, q: &Questionnaire) -> Result<Restored, Error> {
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
    Ok(Restored {
        opened: leased(path, real, Some(guard), session, reopened, q)?,
        kept_as,
        backup,
    })
}

/// Why `target` must not be written by an export, if it must not: a session file (or its lock,
/// backup or journal), a file a socscope holds open, or a folder.
pub(crate) fn protected(target: &Path) -> Option<&'static str> {
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
pub(crate) fn write_export(target: &Path, text: &str) -> Result<(), Error> {
    if let Some(why) = protected(target) {
        return Err(Error::Protected {
            path: target.to_path_buf(),
            why,
        });
    }
    store::write_atomic(target, text.as_bytes())?;
    Ok(())
}

/// [`write_export`] of what `fill` writes, streamed to the file as it is made.
pub(crate) fn write_export_with(
    target: &Path,
    fill: &mut dyn FnMut(&mut dyn std::io::Write) -> std::io::Result<()>,
) -> Result<(), Error> {
    if let Some(why) = protected(target) {
        return Err(Error::Protected {
            path: target.to_path_buf(),
            why,
        });
    }
    store::write_atomic_with(target, fill)?;
    Ok(())
}

/// Reads a text file the user points at (a CSV to import), saying where invalid UTF-8 starts.
pub(crate) fn read_text(path: &Path) -> Result<String, Error> {
    Ok(store::read_text(path)?)
}

/// Opens a session only to read it, without marking it read-only for this process (the other
/// side of a comparison, the catalogue).
pub(crate) fn peek(path: &Path, q: &Questionnaire) -> Result<(Session, file::Opened), Error> {
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
