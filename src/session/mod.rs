//! A workshop session: metadata, inventory (systems and identities) and answers.
//!
//! `model` is plain data; `file` reads and writes the TOML session format
//! (docs/session-format.md); `store` knows where sessions live on disk.

pub mod file;
pub mod journal;
pub mod lock;
pub mod store;

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

use crate::questionnaire::{Kind, Question, Questionnaire};
use crate::secrets::{self, Finding};
pub use crate::vocab::{EntityId, Value, format_number};

pub(crate) const FORMAT_VERSION: u32 = 1;

/// The system names in a naming answer (`creates` questions): separated by commas, semicolons
/// or line breaks, trimmed, each once (names compare without case). "none" names nothing: it
/// is how a facilitator says a system calls no vendor.
pub(crate) fn named_systems(text: &str) -> Vec<&str> {
    let mut seen = std::collections::HashSet::new();
    text.split([',', ';', '\n'])
        .map(str::trim)
        .filter(|n| !n.is_empty() && !n.eq_ignore_ascii_case("none") && seen.insert(name_key(n)))
        .collect()
}

/// How names compare when a naming answer is matched to the inventory.
pub(crate) fn name_key(name: &str) -> String {
    name.trim().to_lowercase()
}

/// A name without a closing qualifier in brackets: "Twilio (SMS OTP)" and "twilio" are both
/// "twilio". How a name typed in a naming answer is recognised as a system already listed.
fn base_key(name: &str) -> String {
    let n = name.trim();
    let n = match n
        .strip_suffix(')')
        .and_then(|m| m.rfind('(').map(|i| &m[..i]))
    {
        Some(base) if !base.trim().is_empty() => base,
        _ => n,
    };
    name_key(n)
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Answer {
    pub value: Value,
    pub at: DateTime<Utc>,
    pub note: Option<String>,
    /// Where a pre-filled answer came from (e.g. an inventory import); `None` when given live.
    pub source: Option<String>,
    /// The value or note holds text that looks like a secret and was stored as typed on
    /// purpose ([`Secrets::KeepAsTyped`]). Exports still redact it (`secrets::redact_session`).
    pub secret_override: bool,
}

impl Answer {
    pub fn new(value: Value, at: DateTime<Utc>) -> Answer {
        Answer {
            value,
            at,
            note: None,
            source: None,
            secret_override: false,
        }
    }
}

/// What to do with text that looks like a secret (see `crate::secrets`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Secrets {
    /// Replace each secret by a short prefix and `…[REDACTED kind]` (the default).
    #[default]
    Redact,
    /// Store the text exactly as typed and mark the answer `secret_override = true`.
    KeepAsTyped,
}

pub type Answers = BTreeMap<String, Answer>;

/// A note on a question not answered yet (see [`Session::notes`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Note {
    pub text: String,
    pub at: DateTime<Utc>,
    /// Kept as typed although it looks like a secret (exports still redact it).
    pub secret_override: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct System {
    /// Stable id (`s1`, `s2`...), never reused within a session, so links survive renames.
    pub id: String,
    pub name: String,
    pub answers: Answers,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Identity {
    pub id: String,
    pub name: String,
    /// Ids of the systems this identity can access.
    pub systems: Vec<String>,
    pub answers: Answers,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct Workshop {
    pub organisation: String,
    pub facilitator: String,
    pub participants: Vec<String>,
    pub date: Option<NaiveDate>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct QuestionnaireRef {
    pub id: String,
    pub version: String,
    pub hash: String,
}

/// An answer the current questionnaire no longer has a question for; kept, reported, not lost.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct OrphanAnswer {
    /// How people read the entity: `engagement`, ``system `Billing` ``.
    pub entity: String,
    /// The entity's id (`engagement`, `s3`, `i2`), so the answer finds its way back after a
    /// rename; absent in files written before it was recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entity_id: Option<String>,
    pub question: String,
    pub value: String,
    pub reason: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
}

/// One side of a three-way merge: `ours` is the copy merged into (git's current branch),
/// `theirs` the copy merged in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Side {
    Ours,
    Theirs,
}

impl Side {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Side::Ours => "ours",
            Side::Theirs => "theirs",
        }
    }
}

/// A workshop detail two sides of a merge changed differently.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Detail {
    Organisation,
    Facilitator,
    Date,
}

impl Detail {
    pub(crate) const ALL: [Detail; 3] = [Detail::Organisation, Detail::Facilitator, Detail::Date];
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Detail::Organisation => "organisation",
            Detail::Facilitator => "facilitator",
            Detail::Date => "date",
        }
    }
}

/// What a merge conflict is about.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Subject {
    /// An answer whose value or note both sides changed, differently (or one side cleared it
    /// and the other changed it).
    Answer { entity: EntityId, question: String },
    /// A system or identity both sides renamed, differently.
    Name(EntityId),
    /// A system or identity one side removed and the other changed: kept until resolved.
    Removed(EntityId),
    /// A workshop detail both sides changed, differently.
    Detail(Detail),
}

impl Subject {
    /// The system or identity it is about, if any.
    pub(crate) fn entity(&self) -> Option<&EntityId> {
        match self {
            Subject::Answer { entity, .. } | Subject::Name(entity) | Subject::Removed(entity) => {
                Some(entity)
            }
            Subject::Detail(_) => None,
        }
    }
}

/// A conflict left by a merge (`crate::merge`), kept in the session until resolved
/// ([`Session::resolve_conflict`]). The session holds one side's version meanwhile (ours, as
/// merged); both are kept here. Each side is written like an answer: for an answer, that
/// side's answer (`None`: it had none); for a name or a workshop detail, the text (`None`:
/// empty) at the time that side was last saved; for a removal, `None` on the side that removed
/// it and the entry's name on the side that changed it.
#[derive(Debug, Clone, PartialEq)]
pub struct Conflict {
    pub subject: Subject,
    pub ours: Option<Answer>,
    pub theirs: Option<Answer>,
}

impl Conflict {
    pub(crate) fn side(&self, side: Side) -> Option<&Answer> {
        match side {
            Side::Ours => self.ours.as_ref(),
            Side::Theirs => self.theirs.as_ref(),
        }
    }
}

/// How a conflict is resolved.
#[derive(Debug, Clone, PartialEq)]
pub enum Resolution {
    /// That side's version, as it was (an answer keeps its timestamp and note).
    Take(Side),
    /// A new value: an answer (checked like any answer), a name or a workshop detail (text; a
    /// date as YYYY-MM-DD). Not for a removal, which is one side or the other.
    Value(Value),
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Session {
    pub workshop: Workshop,
    pub created: DateTime<Utc>,
    pub updated: DateTime<Utc>,
    pub questionnaire: QuestionnaireRef,
    pub engagement: Answers,
    pub systems: Vec<System>,
    pub identities: Vec<Identity>,
    /// Answers that no longer match the questionnaire, carried along untouched.
    pub orphans: Vec<OrphanAnswer>,
    /// Conflicts a merge left, until resolved: every decision they reach stays provisional.
    #[serde(skip)]
    pub conflicts: Vec<Conflict>,
    /// Notes on questions not answered yet, by entity and question. Kept beside the answers and
    /// never read as one, so a note moves no decision and no progress count; answering the
    /// question takes its note into the answer, clearing the answer keeps its note here.
    #[serde(skip)]
    pub notes: BTreeMap<(EntityId, String), Note>,
    /// Counts the changes made in memory (never saved, never compared): how the application
    /// layer tells "changed since it was read or saved" without trusting clocks.
    #[serde(skip)]
    pub revision: Revision,
    /// The highest id numbers removed, so an entry added later never takes a removed one's id:
    /// merges and comparisons pair entries by id, and a reused id paired a new system with the
    /// removed one (its answers from the other copy landed on it).
    #[serde(skip)]
    pub retired: Retired,
}

/// The highest id number of each kind of entry removed (0: none).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Retired {
    pub systems: u64,
    pub identities: u64,
}

impl Retired {
    /// The later of two: what a merge keeps.
    pub(crate) fn max(self, o: Retired) -> Retired {
        Retired {
            systems: self.systems.max(o.systems),
            identities: self.identities.max(o.identities),
        }
    }
}

/// The number in an id such as `s12`.
fn id_number(id: &str, prefix: &str) -> u64 {
    id.strip_prefix(prefix)
        .and_then(|n| n.parse::<u64>().ok())
        .unwrap_or(0)
}

/// What a change touched, so that the journal writes only the changed entries and the app
/// re-evaluates only what they reach, without comparing whole sessions.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum Touched {
    Engagement,
    /// A system's name or answers, or the system added or removed (by id).
    System(String),
    /// An identity's name, links or answers, or the identity added or removed.
    Identity(String),
    /// Entries added or removed, or links changed: positions and links move.
    Inventory,
    /// The merge conflicts (`Session::conflicts`).
    Conflicts,
}

fn touched(e: &EntityId) -> Touched {
    match e {
        EntityId::Engagement => Touched::Engagement,
        EntityId::System(id) => Touched::System(id.clone()),
        EntityId::Identity(id) => Touched::Identity(id.clone()),
    }
}

/// A change counter that is not part of a session's content: two sessions with the same
/// content are equal whatever their revisions. It also remembers, per thing touched, the
/// revision that last changed it (at most one entry per entity).
#[derive(Debug, Clone, Default)]
pub struct Revision {
    n: u64,
    touched: HashMap<Touched, u64>,
}

impl Revision {
    pub(crate) fn get(&self) -> u64 {
        self.n
    }

    fn bump(&mut self, what: Option<Touched>) {
        self.n += 1;
        if let Some(t) = what {
            self.touched.insert(t, self.n);
        }
    }

    /// The revision of the last change to the inventory (systems, identities, links): an
    /// evaluation made since then still fits the session (`engine::Evaluation::fits`).
    pub(crate) fn inventory(&self) -> u64 {
        self.touched.get(&Touched::Inventory).copied().unwrap_or(0)
    }

    /// What changed after revision `since`, oldest first.
    pub(crate) fn touched_since(&self, since: u64) -> Vec<&Touched> {
        let mut out: Vec<(u64, &Touched)> = self
            .touched
            .iter()
            .filter(|(_, r)| **r > since)
            .map(|(t, r)| (*r, t))
            .collect();
        out.sort();
        out.into_iter().map(|(_, t)| t).collect()
    }
}

impl PartialEq for Revision {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

/// Texts already scanned for secrets, with what they are stored as: a batch of answers that
/// repeat the same texts (an import's owner names) scans each once. Bounded: only short texts
/// are kept, at most `LIMIT` of them; the others are scanned each time.
#[derive(Default)]
pub(crate) struct Scanned(HashMap<String, String>);

impl Scanned {
    const LIMIT: usize = 1 << 16;

    /// `text` redacted, as [`secrets::redacted`] gives it.
    pub(crate) fn redacted(&mut self, text: String) -> String {
        if let Some(r) = self.0.get(&text) {
            return r.clone();
        }
        let r = secrets::redacted(&text);
        if text.len() <= 256 && self.0.len() < Self::LIMIT {
            self.0.insert(text, r.clone());
        }
        r
    }
}

/// A value as plain text: a name or a workshop detail kept as an answer's value in a conflict.
pub(crate) fn value_text(v: &Value) -> String {
    match v {
        Value::Unknown => String::new(),
        Value::Text(t) => t.clone(),
        Value::Number(n) => format_number(*n),
        Value::List(items) => items.join(", "),
    }
}

/// The position of the entity with id `id`. Ids are handed out as `<prefix><N>` in creation
/// order, so the N-th entry is tried first (found at once unless entities were removed or ids
/// written by hand); then the nearest entries before it, then a full scan. Lookups by id run for
/// every row the app draws, so a plain scan would make screens quadratic in the inventory.
fn index_of<T>(items: &[T], id: &str, prefix: &str, id_of: impl Fn(&T) -> &str) -> Option<usize> {
    if let Some(n) = id
        .strip_prefix(prefix)
        .and_then(|n| n.parse::<usize>().ok())
        .filter(|n| *n >= 1)
    {
        // Removals only move entries towards the front.
        let guess = (n - 1).min(items.len().saturating_sub(1));
        for i in (guess.saturating_sub(64)..=guess).rev() {
            if items.get(i).is_some_and(|x| id_of(x) == id) {
                return Some(i);
            }
        }
    }
    items.iter().position(|x| id_of(x) == id)
}

impl Session {
    pub fn new(q: &Questionnaire, organisation: &str, now: DateTime<Utc>) -> Session {
        Session {
            workshop: Workshop {
                organisation: secrets::redacted(organisation),
                date: Some(now.date_naive()),
                ..Workshop::default()
            },
            created: now,
            updated: now,
            questionnaire: QuestionnaireRef {
                id: q.id.clone(),
                version: q.version.clone(),
                hash: q.hash.clone(),
            },
            engagement: Answers::new(),
            systems: Vec::new(),
            identities: Vec::new(),
            orphans: Vec::new(),
            conflicts: Vec::new(),
            notes: BTreeMap::new(),
            revision: Revision::default(),
            retired: Retired::default(),
        }
    }

    /// Records that the session changed at `now`: every change goes through here.
    pub(crate) fn touch(&mut self, now: DateTime<Utc>) {
        self.updated = now;
        self.revision.bump(None);
    }

    /// Sets the workshop details (who is in the room).
    pub(crate) fn set_details(&mut self, details: Workshop, now: DateTime<Utc>) {
        if self.workshop != details {
            self.workshop = details;
            self.touch(now);
        }
    }

    pub fn system(&self, id: &str) -> Option<&System> {
        self.system_index(id).map(|i| &self.systems[i])
    }

    pub fn identity(&self, id: &str) -> Option<&Identity> {
        self.identity_index(id).map(|i| &self.identities[i])
    }

    /// Where the system with this id is in the inventory.
    pub(crate) fn system_index(&self, id: &str) -> Option<usize> {
        index_of(&self.systems, id, "s", |s| &s.id)
    }

    /// Where the identity with this id is in the inventory.
    pub fn identity_index(&self, id: &str) -> Option<usize> {
        index_of(&self.identities, id, "i", |s| &s.id)
    }

    pub fn entity_name(&self, e: &EntityId) -> String {
        match e {
            EntityId::Engagement => "Engagement".to_string(),
            EntityId::System(id) => self.system(id).map_or(id.clone(), |s| s.name.clone()),
            EntityId::Identity(id) => self.identity(id).map_or(id.clone(), |s| s.name.clone()),
        }
    }

    pub fn answers(&self, e: &EntityId) -> Option<&Answers> {
        match e {
            EntityId::Engagement => Some(&self.engagement),
            EntityId::System(id) => self.system(id).map(|s| &s.answers),
            EntityId::Identity(id) => self.identity(id).map(|s| &s.answers),
        }
    }

    /// An entity's answers, to change them: counted as a change (see [`Session::touch`]), so
    /// callers that edit answers directly still get saved.
    pub fn answers_mut(&mut self, e: &EntityId) -> Option<&mut Answers> {
        self.revision.bump(Some(touched(e)));
        match e {
            EntityId::Engagement => Some(&mut self.engagement),
            EntityId::System(id) => self.system_index(id).map(|i| &mut self.systems[i].answers),
            EntityId::Identity(id) => self
                .identity_index(id)
                .map(|i| &mut self.identities[i].answers),
        }
    }

    /// Records an answer after checking it fits the question; keeps an existing note. Free text
    /// that looks like a secret is redacted; the findings say what was found (empty if none).
    pub fn set_answer(
        &mut self,
        q: &Question,
        e: &EntityId,
        value: Value,
        now: DateTime<Utc>,
    ) -> Result<Vec<Finding>, String> {
        self.set_answer_with(q, e, value, now, Secrets::Redact)
    }

    /// [`Session::set_answer`] with an explicit choice for text that looks like a secret.
    pub fn set_answer_with(
        &mut self,
        q: &Question,
        e: &EntityId,
        value: Value,
        now: DateTime<Utc>,
        policy: Secrets,
    ) -> Result<Vec<Finding>, String> {
        if q.scope != e.scope() {
            return Err(format!(
                "question `{}` is not a {} question",
                q.id,
                e.scope().as_str()
            ));
        }
        value.check(q)?;
        let value = value.normalised(q);
        // A name typed for a system already listed under a fuller name is that system.
        let value = match (&value, &q.creates, e) {
            (Value::Text(t), Some(_), EntityId::System(sid)) => {
                self.with_listed_names(t, sid).map_or(value, Value::Text)
            }
            _ => value,
        };
        // A note written before the question was answered joins the answer.
        let answered = self.answers(e).is_some_and(|a| a.contains_key(&q.id));
        let pending = if answered {
            None
        } else {
            self.notes.remove(&(e.clone(), q.id.clone()))
        };
        let (value, findings) = match value {
            Value::Text(t) if q.kind == Kind::Text => {
                let (red, findings) = secrets::redact(&t);
                match policy {
                    Secrets::Redact => (Value::Text(red), findings),
                    Secrets::KeepAsTyped => (Value::Text(t), findings),
                }
            }
            v => (v, Vec::new()),
        };
        let answers = self
            .answers_mut(e)
            .ok_or_else(|| "no such system or identity".to_string())?;
        let old = answers.get(&q.id);
        let (note, note_override) = match (old, pending) {
            (Some(a), _) => {
                let note = a.note.clone();
                let keep =
                    a.secret_override && note.as_deref().is_some_and(secrets::contains_secret);
                (note, keep)
            }
            (None, Some(n)) => (Some(n.text), n.secret_override),
            (None, None) => (None, false),
        };
        answers.insert(
            q.id.clone(),
            Answer {
                value,
                at: now,
                note,
                source: None,
                secret_override: note_override
                    || (policy == Secrets::KeepAsTyped && !findings.is_empty()),
            },
        );
        if let (Some(creates), EntityId::System(sid)) = (&q.creates, e) {
            self.create_named(q, creates, sid, now);
        }
        self.touch(now);
        Ok(findings)
    }

    /// Sets answers of the identity at `index` as [`Session::set_answer`] sets each (checked,
    /// normalised, text that looks like a secret redacted, a pending note joined), each marked
    /// with `source`, with one change record for them all instead of one lookup and one record
    /// per answer: how an import writes an identity's answers. Answers that do not fit their
    /// question, or questions of another scope, are skipped. Returns how many were stored.
    pub(crate) fn set_identity_answers<'q>(
        &mut self,
        index: usize,
        answers: impl IntoIterator<Item = (&'q Question, Value)>,
        source: &str,
        scanned: &mut Scanned,
        now: DateTime<Utc>,
    ) -> usize {
        let Some(x) = self.identities.get_mut(index) else {
            return 0;
        };
        let entity = EntityId::Identity(x.id.clone());
        let mut stored = 0;
        for (q, value) in answers {
            if q.scope != entity.scope() || value.check(q).is_err() {
                continue;
            }
            let value = match value.normalised(q) {
                Value::Text(t) if q.kind == Kind::Text => Value::Text(scanned.redacted(t)),
                v => v,
            };
            let (note, secret_override) = match x.answers.get(&q.id) {
                Some(a) => {
                    let keep = a.secret_override
                        && a.note.as_deref().is_some_and(secrets::contains_secret);
                    (a.note.clone(), keep)
                }
                // Notes are few: the key is built only when there are any.
                None if !self.notes.is_empty() => {
                    match self.notes.remove(&(entity.clone(), q.id.clone())) {
                        Some(n) => (Some(n.text), n.secret_override),
                        None => (None, false),
                    }
                }
                None => (None, false),
            };
            x.answers.insert(
                q.id.clone(),
                Answer {
                    value,
                    at: now,
                    note,
                    source: Some(source.to_string()),
                    secret_override,
                },
            );
            stored += 1;
        }
        if stored > 0 {
            self.revision.bump(Some(touched(&entity)));
            self.touch(now);
        }
        stored
    }

    /// The names in a naming answer that are another way of writing one system already in the
    /// inventory ("Twilio" for "Twilio (SMS OTP)"), as (typed, listed) pairs: such a name is
    /// that system, not a new one (QA: a duplicate vendor was added without a word). A name two
    /// listed systems could be ("AWS" for "AWS (EU)" and "AWS (US)") is left as typed.
    pub(crate) fn known_as(&self, text: &str, sid: &str) -> Vec<(String, String)> {
        let exact: std::collections::HashSet<String> =
            self.systems.iter().map(|x| name_key(&x.name)).collect();
        let mut by_base: HashMap<String, Vec<usize>> = HashMap::new();
        for (j, x) in self.systems.iter().enumerate() {
            if x.id != sid {
                by_base.entry(base_key(&x.name)).or_default().push(j);
            }
        }
        named_systems(text)
            .into_iter()
            .filter(|n| !exact.contains(&name_key(n)))
            .filter_map(|n| match by_base.get(&base_key(n)).map(Vec::as_slice) {
                Some([j]) => Some((n.to_string(), self.systems[*j].name.clone())),
                _ => None,
            })
            .collect()
    }

    /// A naming answer written with the listed names of the systems it means ([`known_as`]).
    fn with_listed_names(&self, text: &str, sid: &str) -> Option<String> {
        let known = self.known_as(text, sid);
        if known.is_empty() {
            return None;
        }
        let names: Vec<&str> = named_systems(text)
            .into_iter()
            .map(|n| {
                known
                    .iter()
                    .find(|(typed, _)| typed == n)
                    .map_or(n, |(_, listed)| listed.as_str())
            })
            .collect();
        Some(names.join(", "))
    }

    /// The systems a naming question's answer names (`creates`): each name not yet in the
    /// inventory becomes a system with the pre-filled answers; existing ones are reused, so a
    /// provider shared by several systems is one entry (domain.md §3).
    fn create_named(
        &mut self,
        q: &Question,
        creates: &crate::questionnaire::Creates,
        sid: &str,
        now: DateTime<Utc>,
    ) {
        let text = match self.system(sid).and_then(|x| x.answers.get(&q.id)) {
            Some(Answer {
                value: Value::Text(t),
                ..
            }) => t.clone(),
            _ => return,
        };
        let mut known: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
        for (j, x) in self.systems.iter().enumerate() {
            known.entry(name_key(&x.name)).or_insert(j);
        }
        for name in named_systems(&text) {
            let j = match known.get(&name_key(name)) {
                Some(&j) if self.systems[j].id == sid => continue,
                Some(&j) => j,
                None => {
                    self.add_system(name, now);
                    let j = self.systems.len() - 1;
                    known.insert(name_key(name), j);
                    j
                }
            };
            // A system already in the inventory (added by hand or by an import) is triaged too,
            // but only where nobody has answered yet.
            let x = &mut self.systems[j];
            let mut filled = false;
            for (qid, v) in &creates.answers {
                if !x.answers.contains_key(qid) {
                    let mut a = Answer::new(v.clone(), now);
                    a.source = Some(creates.source.clone());
                    // A note written before the pre-fill joins it, as it joins a live answer
                    // (the merge property test found it left apart, so a merge moved it).
                    if let Some(n) = self
                        .notes
                        .remove(&(EntityId::System(x.id.clone()), qid.clone()))
                    {
                        a.note = Some(n.text);
                        a.secret_override = n.secret_override;
                    }
                    x.answers.insert(qid.clone(), a);
                    filled = true;
                }
            }
            // The journal writes what is touched: pre-filling a system already there is a change
            // to it too (a journal property test found it lost when two naming questions name
            // the same system).
            if filled {
                let id = x.id.clone();
                self.revision.bump(Some(Touched::System(id)));
            }
        }
    }

    /// Clears an answer (back to unanswered); its note, if any, is kept.
    pub fn clear_answer(&mut self, qid: &str, e: &EntityId, now: DateTime<Utc>) {
        let Some(answers) = self.answers_mut(e) else {
            return;
        };
        let Some(old) = answers.remove(qid) else {
            return;
        };
        if let Some(text) = old.note {
            let secret_override = old.secret_override && secrets::contains_secret(&text);
            self.notes.insert(
                (e.clone(), qid.to_string()),
                Note {
                    text,
                    at: now,
                    secret_override,
                },
            );
        }
        self.touch(now);
    }

    /// The note on a question, answered or not.
    pub(crate) fn note(&self, e: &EntityId, qid: &str) -> Option<&str> {
        match self.answers(e).and_then(|a| a.get(qid)) {
            Some(a) => a.note.as_deref(),
            None => self
                .notes
                .get(&(e.clone(), qid.to_string()))
                .map(|n| n.text.as_str()),
        }
    }

    /// Sets or clears (empty text) the note on a question. A note on an unanswered question is
    /// kept in [`Session::notes`]: it never answers the question. Secrets in it are redacted;
    /// the findings say what was found.
    pub fn set_note(
        &mut self,
        qid: &str,
        e: &EntityId,
        note: &str,
        now: DateTime<Utc>,
    ) -> Vec<Finding> {
        self.set_note_with(qid, e, note, now, Secrets::Redact)
    }

    /// [`Session::set_note`] with an explicit choice for text that looks like a secret.
    pub fn set_note_with(
        &mut self,
        qid: &str,
        e: &EntityId,
        note: &str,
        now: DateTime<Utc>,
        policy: Secrets,
    ) -> Vec<Finding> {
        let Some(answers) = self.answers_mut(e) else {
            return Vec::new();
        };
        let (red, findings) = secrets::redact(note);
        let kept = policy == Secrets::KeepAsTyped && !findings.is_empty();
        let note = if note.trim().is_empty() {
            None
        } else if kept {
            Some(note.to_string())
        } else {
            Some(red)
        };
        match answers.get_mut(qid) {
            Some(a) => {
                let value_override = a.secret_override
                    && matches!(&a.value, Value::Text(t) if secrets::contains_secret(t));
                let secret_override = value_override || kept;
                // The same note again changes nothing (as in the app: no new record, no new
                // time), so a copy where it was re-typed still merges as unchanged.
                if a.note == note && a.secret_override == secret_override {
                    return findings;
                }
                a.note = note;
                a.secret_override = secret_override;
            }
            None => {
                let key = (e.clone(), qid.to_string());
                match note {
                    Some(text)
                        if self
                            .notes
                            .get(&key)
                            .is_some_and(|n| n.text == text && n.secret_override == kept) =>
                    {
                        return findings;
                    }
                    Some(text) => {
                        self.notes.insert(
                            key,
                            Note {
                                text,
                                at: now,
                                secret_override: kept,
                            },
                        );
                    }
                    None if self.notes.remove(&key).is_some() => {}
                    None => return findings,
                }
            }
        }
        // The journal records what is touched: a note is as durable as an answer.
        self.revision.bump(Some(touched(e)));
        self.touch(now);
        findings
    }

    /// The number after the highest `<prefix><N>` id in use.
    fn next_number<'a>(prefix: &str, taken: impl Iterator<Item = &'a str>) -> u64 {
        taken
            .filter_map(|id| id.strip_prefix(prefix).and_then(|n| n.parse::<u64>().ok()))
            .max()
            .unwrap_or(0)
            + 1
    }

    /// Adds a system; a secret in its name is redacted (names have no "keep as typed").
    pub fn add_system(&mut self, name: &str, now: DateTime<Utc>) -> String {
        self.add_systems([name], now).swap_remove(0)
    }

    /// Adds systems in order and returns their ids: the highest id in use is looked for once,
    /// so adding many costs one pass over the inventory, not one per system.
    pub(crate) fn add_systems<'a>(
        &mut self,
        names: impl IntoIterator<Item = &'a str>,
        now: DateTime<Utc>,
    ) -> Vec<String> {
        let first = Self::next_number("s", self.systems.iter().map(|s| s.id.as_str()))
            .max(self.retired.systems + 1);
        let mut ids = Vec::new();
        for (n, name) in (first..).zip(names) {
            let id = format!("s{n}");
            self.systems.push(System {
                id: id.clone(),
                name: secrets::redacted(name),
                answers: Answers::new(),
            });
            self.revision.bump(Some(Touched::System(id.clone())));
            ids.push(id);
        }
        if !ids.is_empty() {
            self.revision.bump(Some(Touched::Inventory));
            self.touch(now);
        }
        ids
    }

    /// Adds an identity; a secret in its name is redacted.
    pub fn add_identity(&mut self, name: &str, now: DateTime<Utc>) -> String {
        self.add_identities([name], now).swap_remove(0)
    }

    /// Adds identities in order and returns their ids, as [`Session::add_systems`] does.
    pub(crate) fn add_identities<'a>(
        &mut self,
        names: impl IntoIterator<Item = &'a str>,
        now: DateTime<Utc>,
    ) -> Vec<String> {
        let first = Self::next_number("i", self.identities.iter().map(|s| s.id.as_str()))
            .max(self.retired.identities + 1);
        let mut ids = Vec::new();
        for (n, name) in (first..).zip(names) {
            let id = format!("i{n}");
            self.identities.push(Identity {
                id: id.clone(),
                name: secrets::redacted(name),
                systems: Vec::new(),
                answers: Answers::new(),
            });
            self.revision.bump(Some(Touched::Identity(id.clone())));
            ids.push(id);
        }
        if !ids.is_empty() {
            self.revision.bump(Some(Touched::Inventory));
            self.touch(now);
        }
        ids
    }

    /// Removes a system, every identity's link to it and any conflict about it.
    pub fn remove_system(&mut self, id: &str, now: DateTime<Utc>) {
        self.systems.retain(|s| s.id != id);
        for i in &mut self.identities {
            let before = i.systems.len();
            i.systems.retain(|s| s != id);
            // The identity changed too: the journal writes what is touched, and without this a
            // replay kept the old link, to a system added later under the same id (the journal
            // property test found it).
            if i.systems.len() != before {
                self.revision.bump(Some(Touched::Identity(i.id.clone())));
            }
        }
        self.retired.systems = self.retired.systems.max(id_number(id, "s"));
        let gone = EntityId::System(id.to_string());
        self.remove_conflicts_about(&gone);
        self.revision.bump(Some(touched(&gone)));
        self.revision.bump(Some(Touched::Inventory));
        self.notes.retain(|(e, _), _| *e != gone);
        self.touch(now);
    }

    pub fn remove_identity(&mut self, id: &str, now: DateTime<Utc>) {
        self.identities.retain(|s| s.id != id);
        self.retired.identities = self.retired.identities.max(id_number(id, "i"));
        let gone = EntityId::Identity(id.to_string());
        self.remove_conflicts_about(&gone);
        self.revision.bump(Some(touched(&gone)));
        self.revision.bump(Some(Touched::Inventory));
        self.notes.retain(|(e, _), _| *e != gone);
        self.touch(now);
    }

    fn remove_conflicts_about(&mut self, gone: &EntityId) {
        let before = self.conflicts.len();
        self.conflicts.retain(|c| c.subject.entity() != Some(gone));
        if self.conflicts.len() != before {
            self.revision.bump(Some(Touched::Conflicts));
        }
    }

    /// Which side's version the session holds now for a conflict (`None`: neither, it was
    /// changed since the merge).
    pub fn conflict_holds(&self, c: &Conflict) -> Option<Side> {
        let text = |a: Option<&Answer>| a.map(|a| value_text(&a.value)).unwrap_or_default();
        let matches = |side: Option<&Answer>| match &c.subject {
            Subject::Answer { entity, question } => {
                let now = self.answers(entity).and_then(|a| a.get(question));
                match (now, side) {
                    (None, None) => true,
                    (Some(a), Some(b)) => a.value == b.value && a.note == b.note,
                    _ => false,
                }
            }
            Subject::Name(e) => self.entity_exists(e) && self.entity_name(e) == text(side),
            Subject::Removed(e) => self.entity_exists(e) == side.is_some(),
            Subject::Detail(d) => self.detail_text(*d) == text(side),
        };
        [Side::Ours, Side::Theirs]
            .into_iter()
            .find(|s| matches(c.side(*s)))
    }

    fn entity_exists(&self, e: &EntityId) -> bool {
        match e {
            EntityId::Engagement => true,
            EntityId::System(id) => self.system(id).is_some(),
            EntityId::Identity(id) => self.identity(id).is_some(),
        }
    }

    /// A workshop detail as text (a date as YYYY-MM-DD; empty when not set).
    pub(crate) fn detail_text(&self, d: Detail) -> String {
        match d {
            Detail::Organisation => self.workshop.organisation.clone(),
            Detail::Facilitator => self.workshop.facilitator.clone(),
            Detail::Date => self
                .workshop
                .date
                .map(|d| d.format("%Y-%m-%d").to_string())
                .unwrap_or_default(),
        }
    }

    /// Resolves the conflict at `index` in [`Session::conflicts`] and clears its marker:
    /// takes one side's version or sets a new value. Nothing changes when it is refused (a
    /// value that does not fit the question, an empty name, a new value for a removal).
    /// Returns what was found in a typed answer that looks like a secret (redacted).
    pub fn resolve_conflict(
        &mut self,
        q: &Questionnaire,
        index: usize,
        how: Resolution,
        now: DateTime<Utc>,
    ) -> Result<Vec<Finding>, String> {
        let c = self
            .conflicts
            .get(index)
            .cloned()
            .ok_or_else(|| format!("there is no conflict number {}", index + 1))?;
        let picked = |side: Side| c.side(side).map(|a| value_text(&a.value));
        let mut findings = Vec::new();
        match (&c.subject, how) {
            (Subject::Answer { entity, question }, Resolution::Take(side)) => {
                let answer = c.side(side).cloned();
                if let (Some(a), Some(qq)) = (&answer, q.question(question)) {
                    a.value.check(qq)?;
                }
                let answers = self
                    .answers_mut(entity)
                    .ok_or_else(|| "no such system or identity".to_string())?;
                match answer {
                    Some(a) => answers.insert(question.clone(), a),
                    None => answers.remove(question),
                };
                // A note kept while the question had no answer here goes with the answer taken.
                let key = (entity.clone(), question.clone());
                if let Some(n) = self.notes.remove(&key) {
                    match self.answers_mut(entity).and_then(|a| a.get_mut(question)) {
                        Some(a) => match &mut a.note {
                            Some(t) if t.contains(&n.text) => {}
                            Some(t) => *t = format!("{t}\n\n{}", n.text),
                            None => a.note = Some(n.text),
                        },
                        None => {
                            self.notes.insert(key, n);
                        }
                    }
                }
            }
            (Subject::Answer { entity, question }, Resolution::Value(v)) => {
                let qq = q.question(question).ok_or_else(|| {
                    format!("the questionnaire has no question `{question}` any more")
                })?;
                findings = self.set_answer(qq, entity, v, now)?;
            }
            (Subject::Name(e), how) => {
                let name = match how {
                    Resolution::Take(side) => picked(side).unwrap_or_default(),
                    Resolution::Value(v) => value_text(&v),
                };
                if name.trim().is_empty() {
                    return Err("a name cannot be empty".into());
                }
                self.rename(e, name.trim(), now);
            }
            (Subject::Removed(e), Resolution::Take(side)) => {
                if c.side(side).is_none() {
                    match e {
                        EntityId::System(id) => self.remove_system(id, now),
                        EntityId::Identity(id) => self.remove_identity(id, now),
                        EntityId::Engagement => {}
                    }
                }
            }
            (Subject::Removed(_), Resolution::Value(_)) => {
                return Err("keep it or remove it: pick one of the two sides".into());
            }
            (Subject::Detail(d), how) => {
                let text = match how {
                    Resolution::Take(side) => picked(side).unwrap_or_default(),
                    Resolution::Value(v) => value_text(&v),
                };
                let mut details = self.workshop.clone();
                match d {
                    Detail::Organisation if text.trim().is_empty() => {
                        return Err("the organisation cannot be empty".into());
                    }
                    Detail::Organisation => details.organisation = text.trim().to_string(),
                    Detail::Facilitator => details.facilitator = text.trim().to_string(),
                    Detail::Date if text.trim().is_empty() => details.date = None,
                    Detail::Date => {
                        details.date = Some(crate::vocab::parse_date(&text).ok_or_else(|| {
                            format!("`{text}` is not a date in the form YYYY-MM-DD")
                        })?);
                    }
                }
                self.set_details(details, now);
            }
        }
        // A removal already took the marker with the entry.
        if let Some(pos) = self.conflicts.iter().position(|x| *x == c) {
            self.conflicts.remove(pos);
        }
        self.revision.bump(Some(Touched::Conflicts));
        self.touch(now);
        Ok(findings)
    }

    /// Renames a system or identity; a secret in the name is redacted.
    pub fn rename(&mut self, e: &EntityId, name: &str, now: DateTime<Utc>) {
        let name = secrets::redacted(name);
        match e {
            EntityId::Engagement => return,
            EntityId::System(id) => {
                if let Some(s) = self.systems.iter_mut().find(|s| &s.id == id) {
                    s.name = name;
                }
            }
            EntityId::Identity(id) => {
                if let Some(s) = self.identities.iter_mut().find(|s| &s.id == id) {
                    s.name = name;
                }
            }
        }
        self.revision.bump(Some(touched(e)));
        self.touch(now);
    }

    /// [`Session::rename`], keeping the answers that name the renamed system (`creates`
    /// questions of `q`) pointing at it.
    pub fn rename_in(&mut self, q: &Questionnaire, e: &EntityId, name: &str, now: DateTime<Utc>) {
        let old = match e {
            EntityId::System(id) => self.system(id).map(|x| name_key(&x.name)),
            _ => None,
        };
        self.rename(e, name, now);
        let (Some(old), EntityId::System(id)) = (old, e) else {
            return;
        };
        let Some(new) = self.system(id).map(|x| x.name.clone()) else {
            return;
        };
        let naming: Vec<&str> = q
            .questions_in(crate::questionnaire::Scope::System)
            .filter(|x| x.creates.is_some())
            .map(|x| x.id.as_str())
            .collect();
        for x in &mut self.systems {
            for qid in &naming {
                if let Some(Answer {
                    value: Value::Text(t),
                    ..
                }) = x.answers.get_mut(*qid)
                {
                    let names = named_systems(t);
                    if names.iter().any(|n| name_key(n) == old) {
                        let renamed: Vec<&str> = names
                            .iter()
                            .map(|n| if name_key(n) == old { new.as_str() } else { n })
                            .collect();
                        *t = renamed.join(", ");
                    }
                }
            }
        }
    }

    /// Links or unlinks an identity and a system; returns whether they are now linked.
    pub fn toggle_link(&mut self, identity: &str, system: &str, now: DateTime<Utc>) -> bool {
        if self.system(system).is_none() {
            return false;
        }
        let Some(i) = self.identities.iter_mut().find(|i| i.id == identity) else {
            return false;
        };
        let linked = if let Some(pos) = i.systems.iter().position(|s| s == system) {
            i.systems.remove(pos);
            false
        } else {
            i.systems.push(system.to_string());
            let order: Vec<&str> = self.systems.iter().map(|s| s.id.as_str()).collect();
            i.systems.sort_by_key(|s| order.iter().position(|o| o == s));
            true
        };
        self.revision
            .bump(Some(Touched::Identity(identity.to_string())));
        self.revision.bump(Some(Touched::Inventory));
        self.touch(now);
        linked
    }
}
