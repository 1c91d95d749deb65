//! What an import would do: read the rows, merge them per identity, match identities and
//! systems by name, and decide for each answer whether it is added, replaced, kept or not
//! asked. Linear in the file and the session: every match is a hash lookup.

use std::collections::BTreeMap;
use std::io::Read;
use std::ops::ControlFlow;
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use chrono::NaiveDate;
use foldhash::{HashMap, HashMapExt, HashSet};

use super::facts::{RowReader, given_by};
use super::group::{Group, Groups};
use super::mapping::{Field, Mapping, ResolvedMapping, resolve};
use super::read::{ImportErrors, ReadError, Records, RowError, header_of, input_failed};
use super::{name_key, sanitize};
use crate::engine;
use crate::questionnaire::condition::Tri;
use crate::questionnaire::{Question, Questionnaire, Scope};
use crate::session::{Answer, Identity, Session, System, Value};
use crate::vocab::EntityKey;

/// Options of one import.
#[derive(Debug, Clone)]
pub struct Options {
    /// Dates are judged relative to this day (the import date).
    pub today: NaiveDate,
    /// Replace live answers that differ from the import.
    pub overwrite: bool,
    /// Import the good rows and list the bad ones, instead of refusing the whole file.
    pub skip_bad_rows: bool,
}

/// What the import does to one answer.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// No answer yet (or "unknown"): it is filled in.
    Add,
    /// An earlier import's answer, or a live one with `--overwrite`: it is replaced.
    Replace { old: Value },
    /// Already holds this value: left as is.
    Unchanged,
    /// A live answer that differs: kept (use `--overwrite` to replace it).
    KeepLive { live: Value },
    /// The question is not asked of this identity (e.g. MFA for a service account).
    /// `because` says which of its answers hide it, e.g. `its has_owner answer is "No" (given
    /// in the workshop)`; empty when that cannot be said.
    NotAsked { because: String },
}

impl Action {
    /// The answer is written (added or replaced).
    pub(crate) fn writes(&self) -> bool {
        matches!(self, Action::Add | Action::Replace { .. })
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct PlannedAnswer {
    pub question: String,
    pub value: Value,
    /// What in the file gave this answer, e.g. `last_rotated 2024-11-02: 394 days ago`
    /// (shared by the answers the same cell gives).
    pub from: Arc<str>,
    pub action: Action,
}

/// A system an identity is linked to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SystemLink {
    pub name: String,
    /// The existing system's id; `None` when the import creates it.
    pub existing: Option<String>,
    /// The identity is already linked to it: nothing to do.
    pub linked: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct IdentityPlan {
    pub name: String,
    /// The existing identity's id (matched by name); `None` when the import adds it.
    pub existing: Option<String>,
    pub lines: Vec<u64>,
    pub systems: Vec<SystemLink>,
    pub answers: Vec<PlannedAnswer>,
}

/// What an import would do; [`super::apply`] carries it out.
#[derive(Debug, Clone)]
pub struct ImportPlan {
    /// Recorded on every imported answer: `import:<file name>`.
    pub source: String,
    pub mapping: ResolvedMapping,
    pub rows: usize,
    pub identities: Vec<IdentityPlan>,
    /// Systems the import creates, by name, in first-seen order.
    pub new_systems: Vec<String>,
    /// Rows left out with `--skip-bad-rows`.
    pub skipped: Vec<RowError>,
    /// Columns or facts the questionnaire has no question for.
    pub warnings: Vec<String>,
}

impl ImportPlan {
    /// Answers the import writes (added or replaced).
    pub(crate) fn answers_written(&self) -> usize {
        self.identities
            .iter()
            .flat_map(|i| &i.answers)
            .filter(|a| a.action.writes())
            .count()
    }

    /// Whether applying the plan changes the session at all (an identity added, a link made or
    /// an answer written): "nothing to change" is told without copying the session.
    pub fn changes_anything(&self) -> bool {
        self.identities.iter().any(|i| {
            i.existing.is_none()
                || i.systems.iter().any(|l| !l.linked)
                || i.answers.iter().any(|a| a.action.writes())
        })
    }
}

/// How far a plan has got, for a progress indicator (see [`plan_from`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    pub stage: Stage,
    /// Rows read so far (not counting the header and blank lines).
    pub rows: usize,
    /// Bytes of the file read so far.
    pub bytes: u64,
    /// The file's size, when the caller gave it ([`Csv::len`]).
    pub total_bytes: Option<u64>,
}

/// What the plan is doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// Reading rows.
    Reading,
    /// Working out which answers each identity is asked: `done` of `of` identities.
    Checking { done: usize, of: usize },
    /// The plan is complete (reported once, last).
    Done,
}

impl Progress {
    /// The share done, from 0 to 1: bytes while reading (when the size is known), then the
    /// identities checked. The check takes about a tenth of the time.
    pub fn fraction(&self) -> Option<f64> {
        let read = |p: &Progress| {
            p.total_bytes
                .filter(|t| *t > 0)
                .map(|t| (p.bytes as f64 / t as f64).min(1.0))
        };
        match self.stage {
            Stage::Reading => read(self).map(|f| f * 0.9),
            Stage::Checking { done, of } => Some(
                0.9 + 0.1
                    * if of == 0 {
                        1.0
                    } else {
                        done as f64 / of as f64
                    },
            ),
            Stage::Done => Some(1.0),
        }
    }
}

/// A CSV to import: its name (shown, and recorded as the answers' source), where to read it,
/// and its size in bytes when known (for [`Progress::total_bytes`]).
pub struct Csv<R> {
    pub name: String,
    pub reader: R,
    pub len: Option<u64>,
}

impl<'a> Csv<&'a [u8]> {
    /// A CSV already in memory.
    pub fn text(name: &str, text: &'a str) -> Csv<&'a [u8]> {
        Csv {
            name: name.to_string(),
            reader: text.as_bytes(),
            len: Some(text.len() as u64),
        }
    }
}

/// `report` called at most once per `every` (and always for [`Stage::Done`]), for a progress
/// indicator that is redrawn in place: the plan reports every few thousand rows, far more
/// often than a screen needs. The app's import dialog can draw its frame and look for a
/// cancelling key in `report` (returning [`ControlFlow::Break`] stops the plan); between
/// reports the callback returns at once.
pub fn throttled<'f>(
    every: std::time::Duration,
    mut report: impl FnMut(&Progress) -> ControlFlow<()> + 'f,
) -> impl FnMut(&Progress) -> ControlFlow<()> + 'f {
    let mut last: Option<std::time::Instant> = None;
    move |p: &Progress| {
        let due = p.stage == Stage::Done || last.is_none_or(|t| t.elapsed() >= every);
        if !due {
            return ControlFlow::Continue(());
        }
        last = Some(std::time::Instant::now());
        report(p)
    }
}

/// How often (in rows) the progress callback hears from the plan while it reads.
const EVERY: usize = 4096;

/// Identities checked together in one trial session (see [`mark_not_asked`]).
const CHUNK: usize = 4096;

/// Reads `csv_text` (the file `file_name`) and works out what importing it into `s` would do.
/// Nothing is changed; every row that cannot be read is reported with its line.
pub fn plan(
    q: &Questionnaire,
    s: &Session,
    file_name: &str,
    csv_text: &str,
    mapping: &Mapping,
    opts: &Options,
) -> Result<ImportPlan, ImportErrors> {
    plan_from(
        q,
        s,
        Csv::text(file_name, csv_text),
        mapping,
        opts,
        &mut |_| ControlFlow::Continue(()),
    )
}

/// [`plan`] streaming the CSV from a reader, telling `progress` how far it has got every few
/// thousand rows (and at each stage). Memory is the identities planned plus a few kilobytes of
/// the file, whatever its size. When `progress` answers `Break`, the plan stops and returns an
/// error with `cancelled` set.
pub fn plan_from<R: Read>(
    q: &Questionnaire,
    s: &Session,
    csv: Csv<R>,
    mapping: &Mapping,
    opts: &Options,
    progress: &mut dyn FnMut(&Progress) -> ControlFlow<()>,
) -> Result<ImportPlan, ImportErrors> {
    let file_name = csv.name.as_str();
    let fail =
        |mapping: Option<ResolvedMapping>, e: RowError| ImportErrors::file(file_name, mapping, e);
    let mut records = Records::new(csv.reader).map_err(|e| fail(None, input(&e)))?;
    let header = header_of(&mut records).map_err(|e| fail(None, e))?;
    let resolved = resolve(&header, mapping).map_err(|m| fail(None, RowError::at(0, m)))?;
    let kind_q = q
        .identity_kind_question()
        .or_else(|| identity_question(q, "identity_kind"));
    let privilege_q = identity_question(q, "privilege");
    let mut reader = RowReader::new(&resolved, header.len(), kind_q, privilege_q, opts.today);
    let cancelled = |mapping: ResolvedMapping| ImportErrors {
        cancelled: true,
        ..fail(
            Some(mapping),
            RowError::at(0, "the import was cancelled: nothing was changed".into()),
        )
    };

    let mut errors: Vec<RowError> = Vec::new();
    let mut groups = Groups::default();
    let mut rows = 0usize;
    let mut report = Progress {
        stage: Stage::Reading,
        rows: 0,
        bytes: 0,
        total_bytes: csv.len,
    };
    while let Some(record) = records.next_record() {
        let record = match record {
            Ok(r) => r,
            Err(ReadError::Row(e)) => {
                rows += 1;
                errors.push(e);
                continue;
            }
            Err(ReadError::Input(e)) => return Err(fail(Some(resolved), input(&e))),
        };
        if record.cells.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        rows += 1;
        let line = record.line;
        match reader.read(line, &record.cells) {
            Ok(fx) => groups.add(fx),
            Err(problems) => {
                errors.extend(problems.into_iter().map(|m| RowError::at(line, m)));
            }
        }
        if rows.is_multiple_of(EVERY) {
            report.rows = rows;
            report.bytes = records.bytes_read();
            if progress(&report).is_break() {
                return Err(cancelled(resolved));
            }
        }
    }
    report.rows = rows;
    report.bytes = records.bytes_read();
    drop(records);
    if rows == 0 && errors.is_empty() {
        return Err(fail(
            Some(resolved),
            RowError::at(
                0,
                "the file has a header but no rows\n  help: export the identities with one row \
                 each"
                    .into(),
            ),
        ));
    }

    let (groups, conflicts) = groups.finish();
    errors.extend(conflicts);
    let mut skipped = Vec::new();
    if !errors.is_empty() {
        errors.sort_by_key(|e| e.line);
        if opts.skip_bad_rows {
            // Bad rows never joined a group: the good ones are imported as they are.
            skipped = errors;
        } else {
            return Err(ImportErrors::rows(file_name, resolved, errors));
        }
    }

    let mut warnings = Vec::new();
    for (field, qid) in [
        (Field::Kind, "identity_kind"),
        (Field::Owner, "has_owner"),
        (Field::Privilege, "privilege"),
        (Field::LastRotated, "last_rotated"),
        (Field::LastReviewed, "access_reviewed"),
        (Field::Mfa, "mfa_enforced"),
    ] {
        let has = if field == Field::Kind {
            kind_q.is_some()
        } else {
            identity_question(q, qid).is_some()
        };
        if resolved.column(field).is_some() && !has {
            warnings.push(format!(
                "the questionnaire has no identity question `{qid}`, so the {} column is not used",
                field.id()
            ));
        }
    }

    let targets = Targets::new(q, kind_q, privilege_q);
    let mut matcher = Matcher::new(s);
    let mut groups = groups;
    let mut identities: Vec<IdentityPlan> = Vec::with_capacity(groups.len());
    while let Some(g) = groups.pop_front() {
        identities.push(matcher.identity(s, &targets, g, opts));
        // What is left of the merged rows is given back as the plan grows.
        if groups.capacity() > 4096 && groups.len() < groups.capacity() / 4 {
            groups.shrink_to_fit();
        }
    }

    let mut plan = ImportPlan {
        source: format!("import:{}", crate::secrets::redacted(file_name)),
        mapping: resolved,
        rows,
        identities,
        new_systems: matcher.new_systems,
        skipped,
        warnings,
    };
    if mark_not_asked(q, s, &mut plan, &mut report, progress).is_break() {
        return Err(cancelled(plan.mapping));
    }
    report.stage = Stage::Done;
    let _ = progress(&report);
    Ok(plan)
}

fn input(e: &std::io::Error) -> RowError {
    RowError::at(0, input_failed(e))
}

pub(super) fn identity_question<'q>(q: &'q Questionnaire, id: &str) -> Option<&'q Question> {
    q.question(id).filter(|x| x.scope == Scope::Identity)
}

/// The identity questions an import can answer, looked up once.
struct Targets<'q> {
    kind: Option<&'q Question>,
    privilege: Option<&'q Question>,
    has_owner: Option<&'q Question>,
    owner_name: Option<&'q Question>,
    has_static_secret: Option<&'q Question>,
    last_rotated: Option<&'q Question>,
    access_reviewed: Option<&'q Question>,
    mfa_enforced: Option<&'q Question>,
}

impl<'q> Targets<'q> {
    fn new(
        q: &'q Questionnaire,
        kind: Option<&'q Question>,
        privilege: Option<&'q Question>,
    ) -> Targets<'q> {
        Targets {
            kind,
            privilege,
            has_owner: identity_question(q, "has_owner"),
            owner_name: identity_question(q, "owner_name"),
            has_static_secret: identity_question(q, "has_static_secret"),
            last_rotated: identity_question(q, "last_rotated"),
            access_reviewed: identity_question(q, "access_reviewed"),
            mfa_enforced: identity_question(q, "mfa_enforced"),
        }
    }
}

/// Finds identities and systems by name (case-insensitive, first of a name wins), in the
/// session and among the systems this import creates.
struct Matcher {
    /// What each cell gave, as shown ([`given_by`]), for the cells seen most.
    given: HashMap<(Field, Rc<str>), Arc<str>>,
    identities: HashMap<String, usize>,
    systems: HashMap<String, usize>,
    new_systems: Vec<String>,
    new_index: HashMap<String, usize>,
}

impl Matcher {
    fn new(s: &Session) -> Matcher {
        let mut identities = HashMap::with_capacity(s.identities.len());
        for (i, x) in s.identities.iter().enumerate() {
            identities.entry(name_key(&x.name)).or_insert(i);
        }
        let mut systems = HashMap::with_capacity(s.systems.len());
        for (i, x) in s.systems.iter().enumerate() {
            systems.entry(name_key(&x.name)).or_insert(i);
        }
        Matcher {
            given: HashMap::new(),
            identities,
            systems,
            new_systems: Vec::new(),
            new_index: HashMap::new(),
        }
    }

    fn identity<'q>(
        &mut self,
        s: &Session,
        t: &Targets<'q>,
        mut g: Group,
        opts: &Options,
    ) -> IdentityPlan {
        let current: Option<&Identity> = self
            .identities
            .get(&name_key(&g.facts.name))
            .map(|&i| &s.identities[i]);
        // Linked already: a set only for an identity with many links.
        let linked: Option<HashSet<&str>> = current
            .filter(|i| i.systems.len() > 16)
            .map(|i| i.systems.iter().map(String::as_str).collect());
        let is_linked = |id: &str| match (&linked, current) {
            (Some(set), _) => set.contains(id),
            (None, Some(i)) => i.systems.iter().any(|x| x == id),
            (None, None) => false,
        };
        let mut systems = Vec::with_capacity(g.facts.systems.len());
        for name in std::mem::take(&mut g.facts.systems) {
            let key = name_key(&name);
            match self.systems.get(&key) {
                Some(&i) => {
                    let x: &System = &s.systems[i];
                    systems.push(SystemLink {
                        name: x.name.clone(),
                        existing: Some(x.id.clone()),
                        linked: is_linked(&x.id),
                    });
                }
                None => {
                    let name = match self.new_index.get(&key) {
                        Some(&i) => self.new_systems[i].clone(),
                        None => {
                            self.new_index.insert(key, self.new_systems.len());
                            self.new_systems.push(name.clone());
                            name
                        }
                    };
                    systems.push(SystemLink {
                        name,
                        existing: None,
                        linked: false,
                    });
                }
            }
        }

        let f = &g.facts;
        let today = opts.today;
        let given = &mut self.given;
        let mut from = |field: Field, raw: &Rc<str>| -> Arc<str> {
            if let Some(text) = given.get(&(field, Rc::clone(raw))) {
                return Arc::clone(text);
            }
            let text: Arc<str> = given_by(field, raw, today).into();
            if given.len() < 1 << 16 {
                given.insert((field, Rc::clone(raw)), Arc::clone(&text));
            }
            text
        };
        let mut wanted: Vec<(&'q Question, Value, Arc<str>)> = Vec::new();
        let mut want = |question: Option<&'q Question>, value: Value, from: &Arc<str>| {
            if let Some(question) = question
                && value.check(question).is_ok()
            {
                wanted.push((question, value, Arc::clone(from)));
            }
        };
        let text = |s: &str| Value::Text(s.to_string());
        if let Some(k) = &f.kind {
            want(t.kind, text(&k.id), &from(Field::Kind, &k.raw));
        }
        if let Some(p) = &f.privilege {
            want(t.privilege, text(&p.id), &from(Field::Privilege, &p.raw));
        }
        if let Some(o) = &f.owner {
            let from = from(Field::Owner, &o.raw);
            want(
                t.has_owner,
                text(if o.id.is_empty() { "no" } else { "yes" }),
                &from,
            );
            if !o.id.is_empty() {
                want(t.owner_name, text(&o.id), &from);
            }
        }
        if let Some(r) = &f.rotation {
            let from = from(Field::LastRotated, &r.raw);
            let static_secret = if &*r.id == "n/a" { "no" } else { "yes" };
            want(t.has_static_secret, text(static_secret), &from);
            if &*r.id != "n/a" {
                let when = if &*r.id == "never" {
                    Value::Unknown
                } else {
                    text(&r.id)
                };
                want(t.last_rotated, when, &from);
            }
        }
        if let Some(r) = &f.reviewed {
            want(
                t.access_reviewed,
                text(&r.id),
                &from(Field::LastReviewed, &r.raw),
            );
        }
        if let Some(m) = &f.mfa {
            want(t.mfa_enforced, text(&m.id), &from(Field::Mfa, &m.raw));
        }
        let answers = wanted
            .into_iter()
            .map(|(question, value, from)| {
                let old = current.and_then(|i| i.answers.get(&question.id));
                let action = match old {
                    None => Action::Add,
                    Some(a) if a.value == value => Action::Unchanged,
                    Some(a) if a.value == Value::Unknown => Action::Add,
                    Some(a) if a.source.is_some() || opts.overwrite => Action::Replace {
                        old: a.value.clone(),
                    },
                    Some(a) => Action::KeepLive {
                        live: a.value.clone(),
                    },
                };
                PlannedAnswer {
                    question: question.id.clone(),
                    value,
                    from,
                    action,
                }
            })
            .collect();
        IdentityPlan {
            name: g.facts.name,
            existing: current.map(|i| i.id.clone()),
            lines: g.lines,
            systems,
            answers,
        }
    }
}

/// Answers to questions the identity is not asked (by the questionnaire's `show_if`, once the
/// import is applied) are left out, so nothing hidden is written.
///
/// Which questions an identity is asked depends on its own answers, the engagement's and those
/// of the systems it is linked to, nothing else. So identities are tried in chunks, each in a
/// small session holding only them (as the import leaves them) and the systems they are linked
/// to: the work and memory are those of the chunk, not of the whole session again.
fn mark_not_asked(
    q: &Questionnaire,
    s: &Session,
    plan: &mut ImportPlan,
    report: &mut Progress,
    progress: &mut dyn FnMut(&Progress) -> ControlFlow<()>,
) -> ControlFlow<()> {
    let of = plan.identities.len();
    report.stage = Stage::Checking { done: 0, of };
    progress(report)?;
    let cx = Check {
        q,
        s,
        new_index: plan
            .new_systems
            .iter()
            .enumerate()
            .map(|(i, n)| (name_key(n), i))
            .collect(),
        writes: q
            .questions
            .iter()
            .filter(|x| x.scope == Scope::Identity)
            .map(|x| (x.id.as_str(), x))
            .collect(),
        index: q
            .questions
            .iter()
            .enumerate()
            .map(|(i, x)| (x.id.as_str(), i))
            .collect(),
        source: plan.source.clone(),
        systems_matter: !engine::identities_asked_by_their_own_answers(q),
    };
    // Chunks are independent: past two of them, the second half is checked on a second
    // thread (the progress callback stays on this one, which counts both halves' work).
    let two = of > 2 * CHUNK && std::thread::available_parallelism().is_ok_and(|n| n.get() > 1);
    let mid = if two {
        of.div_ceil(2 * CHUNK) * CHUNK
    } else {
        of
    };
    let (mine, theirs) = plan.identities.split_at_mut(mid);
    let stop = AtomicBool::new(false);
    let theirs_done = AtomicUsize::new(0);
    let (flow, finished) = std::thread::scope(|scope| {
        let other = (!theirs.is_empty()).then(|| {
            let (cx, stop, theirs_done) = (&cx, &stop, &theirs_done);
            let theirs = &mut *theirs;
            scope.spawn(move || {
                let mut trial = cx.trial();
                for chunk in theirs.chunks_mut(CHUNK) {
                    if stop.load(Ordering::Relaxed) {
                        return;
                    }
                    cx.chunk(&mut trial, chunk);
                    theirs_done.fetch_add(chunk.len(), Ordering::Relaxed);
                }
            })
        });
        let mut trial = cx.trial();
        let mut done = 0;
        let mut flow = ControlFlow::Continue(());
        for chunk in mine.chunks_mut(CHUNK) {
            cx.chunk(&mut trial, chunk);
            done += chunk.len();
            report.stage = Stage::Checking {
                done: done + theirs_done.load(Ordering::Relaxed),
                of,
            };
            flow = progress(report);
            if flow.is_break() {
                stop.store(true, Ordering::Relaxed);
                break;
            }
        }
        (flow, other.is_none_or(|h| h.join().is_ok()))
    });
    flow?;
    if !finished {
        // The second thread failed: its chunks are checked here (again, for those it did).
        let mut trial = cx.trial();
        for chunk in theirs.chunks_mut(CHUNK) {
            cx.chunk(&mut trial, chunk);
        }
    }
    if two {
        report.stage = Stage::Checking { done: of, of };
        progress(report)?;
    }
    ControlFlow::Continue(())
}

/// What checking a chunk of identities needs, shared by the threads that do it.
struct Check<'a> {
    q: &'a Questionnaire,
    s: &'a Session,
    /// The systems this import creates, by name key, with their index in `new_systems`.
    new_index: HashMap<String, usize>,
    /// The identity questions by id.
    writes: HashMap<&'a str, &'a Question>,
    /// Every question's index by id.
    index: HashMap<&'a str, usize>,
    source: String,
    /// Which questions an identity is asked can depend on its systems: they are tried with
    /// it (else a chunk's trial holds no systems, which was most of the check's work).
    systems_matter: bool,
}

impl Check<'_> {
    /// An empty session with the engagement's answers, to try chunks in.
    fn trial(&self) -> Session {
        let mut trial = Session::new(self.q, &self.s.workshop.organisation, self.s.created);
        trial.workshop = self.s.workshop.clone();
        trial.engagement = self.s.engagement.clone();
        trial
    }

    /// Marks the answers the identities of `chunk` would not be asked, trying them in `trial`.
    fn chunk(&self, trial: &mut Session, chunk: &mut [IdentityPlan]) {
        let (q, s) = (self.q, self.s);
        let now = s.updated;
        trial.systems.clear();
        trial.identities.clear();
        // Systems by where they come from: the session (by index) or this import (by index in
        // `new_systems`), given trial ids `s1`, `s2`... in the order first needed.
        let mut local: HashMap<(bool, usize), String> = HashMap::new();
        let mut system = |trial: &mut Session, key: (bool, usize)| -> String {
            if let Some(id) = local.get(&key) {
                return id.clone();
            }
            let id = format!("s{}", trial.systems.len() + 1);
            trial.systems.push(System {
                id: id.clone(),
                name: String::new(),
                answers: match key {
                    (false, i) => s.systems[i].answers.clone(),
                    (true, _) => Default::default(),
                },
            });
            local.insert(key, id.clone());
            id
        };
        for (k, ip) in chunk.iter().enumerate() {
            let current = ip.existing.as_deref().and_then(|id| s.identity(id));
            let mut links: Vec<String> = Vec::new();
            let linked = match current {
                Some(i) if self.systems_matter => &i.systems[..],
                _ => &[],
            };
            for id in linked {
                if let Some(i) = s.system_index(id) {
                    links.push(system(trial, (false, i)));
                }
            }
            for l in ip
                .systems
                .iter()
                .filter(|l| self.systems_matter && !l.linked)
            {
                let key = match &l.existing {
                    Some(id) => s.system_index(id).map(|i| (false, i)),
                    None => self.new_index.get(&name_key(&l.name)).map(|&i| (true, i)),
                };
                if let Some(key) = key {
                    links.push(system(trial, key));
                }
            }
            trial.identities.push(Identity {
                id: format!("i{}", k + 1),
                name: String::new(),
                systems: links,
                answers: current.map(|i| i.answers.clone()).unwrap_or_default(),
            });
        }
        for (ip, trial) in chunk.iter().zip(&mut trial.identities) {
            for a in ip.answers.iter().filter(|a| a.action.writes()) {
                if let Some(question) = self.writes.get(a.question.as_str()) {
                    // Stored as `apply` stores it, less what only a real session needs (the
                    // secret scan, the record of what changed, the lookup of the entity by id):
                    // a planned value is checked already, and which questions are asked does
                    // not depend on whether a text was redacted.
                    // Without its source: `hidden_because` knows the planned answers by
                    // question, and a copy of the source per answer was a tenth of the check.
                    let stored = Answer::new(a.value.clone().normalised(question), now);
                    trial.answers.insert(question.id.clone(), stored);
                }
            }
        }
        let vis = engine::visibility(q, trial);
        for (k, ip) in chunk.iter_mut().enumerate() {
            let shown = vis.of(EntityKey::Identity(k));
            let answers = &trial.identities[k].answers;
            let hidden: Vec<(usize, String)> = ip
                .answers
                .iter()
                .enumerate()
                .filter(|(_, a)| {
                    a.action.writes()
                        && self
                            .index
                            .get(a.question.as_str())
                            .and_then(|&i| shown.get(i))
                            .is_some_and(|t| *t == Tri::False)
                })
                .map(|(j, a)| {
                    let because = self
                        .writes
                        .get(a.question.as_str())
                        .and_then(|x| x.show_if.as_ref())
                        .map(|c| hidden_because(self, c, answers, &ip.answers))
                        .unwrap_or_default();
                    (j, because)
                })
                .collect();
            for (j, because) in hidden {
                ip.answers[j].action = Action::NotAsked { because };
            }
        }
    }
}

/// Which of the identity's answers hide a question (those its `show_if` reads), as
/// `its has_owner answer is "No" (given in the workshop)`.
/// `answers` are the identity's as the import leaves them; those `planned` writes are from
/// this file.
fn hidden_because(
    cx: &Check<'_>,
    show_if: &crate::questionnaire::condition::Condition,
    answers: &BTreeMap<String, crate::session::Answer>,
    planned: &[PlannedAnswer],
) -> String {
    let mut parts: Vec<String> = Vec::new();
    for atom in show_if.atoms() {
        let Some(question) = cx.writes.get(atom.q.as_str()) else {
            continue;
        };
        let Some(answer) = answers.get(&atom.q) else {
            continue;
        };
        let written = planned
            .iter()
            .any(|a| a.question == atom.q && a.action.writes());
        let whose = match answer.source.as_deref() {
            _ if written => "from this file",
            None => "given in the workshop",
            Some(s) if s == cx.source => "from this file",
            Some(_) => "from an earlier import",
        };
        let part = format!(
            "its {} answer is \"{}\" ({whose})",
            atom.q,
            sanitize(&answer.value.display(question))
        );
        if !parts.contains(&part) {
            parts.push(part);
        }
    }
    parts.join(" and ")
}
