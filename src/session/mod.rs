//! A workshop session: metadata, inventory (systems and identities) and answers.
//!
//! `model` is plain data; `file` reads and writes the TOML session format
//! (docs/session-format.md); `store` knows where sessions live on disk.

pub mod file;
pub mod lock;
pub mod store;

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

use crate::questionnaire::{Kind, Question, Questionnaire, Scope};
use crate::secrets::{self, Finding};

pub const FORMAT_VERSION: u32 = 1;

/// An answer's value; how to read it depends on the question's kind.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Value {
    /// "We don't know yet": always allowed, keeps every decision that depends on it open.
    Unknown,
    /// yes/no (`yes`, `no`), a single choice id, free text, or a date (`YYYY-MM-DD`).
    Text(String),
    Number(f64),
    /// Multiple choice ids, in questionnaire order.
    List(Vec<String>),
}

impl Value {
    /// Whether this value is of the right shape for `q` (choice ids exist, dates parse...).
    pub fn check(&self, q: &Question) -> Result<(), String> {
        match (q.kind, self) {
            (_, Value::Unknown) => Ok(()),
            (Kind::YesNo | Kind::Single, Value::Text(s)) => match q.choice(s) {
                Some(_) => Ok(()),
                None => Err(format!(
                    "`{s}` is not a choice of question `{}` (choices: {})",
                    q.id,
                    q.choices
                        .iter()
                        .map(|c| c.id.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                )),
            },
            (Kind::Multi, Value::List(items)) => {
                if let Some(bad) = items.iter().find(|i| q.choice(i).is_none()) {
                    return Err(format!("`{bad}` is not a choice of question `{}`", q.id));
                }
                match items
                    .iter()
                    .filter_map(|i| q.choice(i))
                    .find(|c| c.exclusive)
                {
                    Some(c) if items.len() > 1 => Err(format!(
                        "\"{}\" cannot be combined with other choices: pick it alone",
                        c.label
                    )),
                    _ => Ok(()),
                }
            }
            (Kind::Text, Value::Text(_)) => Ok(()),
            (Kind::Number, Value::Number(n)) if n.is_finite() => Ok(()),
            (Kind::Date, Value::Text(s)) => NaiveDate::parse_from_str(s, "%Y-%m-%d")
                .map(|_| ())
                .map_err(|_| format!("`{s}` is not a date in the form YYYY-MM-DD")),
            (kind, _) => Err(format!(
                "question `{}` takes a {} answer",
                q.id,
                kind_noun(kind)
            )),
        }
    }

    /// What people read: choice labels rather than ids.
    pub fn display(&self, q: &Question) -> String {
        match self {
            Value::Unknown => "unknown".to_string(),
            Value::Text(s) if q.kind.is_choice() => q.choice_label(s).to_string(),
            Value::Text(s) => s.clone(),
            Value::Number(n) => {
                let n = format_number(*n);
                match &q.unit {
                    Some(u) => format!("{n} {u}"),
                    None => n,
                }
            }
            Value::List(items) if items.is_empty() => "none selected".to_string(),
            Value::List(items) => items
                .iter()
                .map(|i| q.choice_label(i))
                .collect::<Vec<_>>()
                .join(", "),
        }
    }
}

pub fn format_number(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{}", n as i64)
    } else {
        format!("{n}")
    }
}

fn kind_noun(kind: Kind) -> &'static str {
    match kind {
        Kind::YesNo => "yes/no",
        Kind::Single => "single-choice",
        Kind::Multi => "multiple-choice (a list)",
        Kind::Text => "text",
        Kind::Number => "number",
        Kind::Date => "date",
    }
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
    pub entity: String,
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

/// Which entity an edit applies to.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EntityId {
    Engagement,
    System(String),
    Identity(String),
}

impl EntityId {
    pub fn scope(&self) -> Scope {
        match self {
            EntityId::Engagement => Scope::Engagement,
            EntityId::System(_) => Scope::System,
            EntityId::Identity(_) => Scope::Identity,
        }
    }
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
        }
    }

    pub fn system(&self, id: &str) -> Option<&System> {
        self.system_index(id).map(|i| &self.systems[i])
    }

    pub fn identity(&self, id: &str) -> Option<&Identity> {
        self.identity_index(id).map(|i| &self.identities[i])
    }

    /// Where the system with this id is in the inventory.
    pub fn system_index(&self, id: &str) -> Option<usize> {
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

    pub fn answers_mut(&mut self, e: &EntityId) -> Option<&mut Answers> {
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
        let note = old.and_then(|a| a.note.clone());
        let note_override = old.is_some_and(|a| a.secret_override)
            && note.as_deref().is_some_and(secrets::contains_secret);
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
        self.updated = now;
        Ok(findings)
    }

    pub fn clear_answer(&mut self, qid: &str, e: &EntityId, now: DateTime<Utc>) {
        if let Some(answers) = self.answers_mut(e)
            && answers.remove(qid).is_some()
        {
            self.updated = now;
        }
    }

    /// Sets or clears (empty text) the note on an answer; a note on an unanswered question is
    /// kept with an `unknown` answer so it is never lost. Secrets in it are redacted; the
    /// findings say what was found.
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
                a.note = note;
                a.secret_override = value_override || kept;
            }
            None if note.is_some() => {
                answers.insert(
                    qid.to_string(),
                    Answer {
                        value: Value::Unknown,
                        at: now,
                        note,
                        source: None,
                        secret_override: kept,
                    },
                );
            }
            None => return findings,
        }
        self.updated = now;
        findings
    }

    fn next_id(prefix: &str, taken: impl Iterator<Item = String>) -> String {
        let max = taken
            .filter_map(|id| id.strip_prefix(prefix).and_then(|n| n.parse::<u64>().ok()))
            .max()
            .unwrap_or(0);
        format!("{prefix}{}", max + 1)
    }

    /// Adds a system; a secret in its name is redacted (names have no "keep as typed").
    pub fn add_system(&mut self, name: &str, now: DateTime<Utc>) -> String {
        let id = Self::next_id("s", self.systems.iter().map(|s| s.id.clone()));
        self.systems.push(System {
            id: id.clone(),
            name: secrets::redacted(name),
            answers: Answers::new(),
        });
        self.updated = now;
        id
    }

    /// Adds an identity; a secret in its name is redacted.
    pub fn add_identity(&mut self, name: &str, now: DateTime<Utc>) -> String {
        let id = Self::next_id("i", self.identities.iter().map(|s| s.id.clone()));
        self.identities.push(Identity {
            id: id.clone(),
            name: secrets::redacted(name),
            systems: Vec::new(),
            answers: Answers::new(),
        });
        self.updated = now;
        id
    }

    /// Removes a system and every identity's link to it.
    pub fn remove_system(&mut self, id: &str, now: DateTime<Utc>) {
        self.systems.retain(|s| s.id != id);
        for i in &mut self.identities {
            i.systems.retain(|s| s != id);
        }
        self.updated = now;
    }

    pub fn remove_identity(&mut self, id: &str, now: DateTime<Utc>) {
        self.identities.retain(|s| s.id != id);
        self.updated = now;
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
        self.updated = now;
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
        self.updated = now;
        linked
    }
}
