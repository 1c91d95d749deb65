//! The questionnaire model: questions, conditions and scoping rules, loaded from TOML.
//!
//! Everything here is plain data; [`load`] turns TOML text into a [`Questionnaire`] and
//! [`validate`] reports every problem with its line and column.

pub mod condition;
pub mod load;
pub mod tsc;
pub mod validate;
mod value;

use serde::Serialize;

pub use condition::{Atom, Condition, Test, Tri};
pub use load::{LoadError, Problem, check, load};
// The vocabulary the questionnaire is written in, re-exported where readers look for it.
pub use crate::vocab::{Category, Kind, ReportType, Scope, SubserviceMethod, UNKNOWN};

/// The built-in questionnaire, embedded so socscope runs with no files installed.
pub const BUILTIN_SOURCE: &str = include_str!("../../questionnaires/soc-scoping.toml");
pub const BUILTIN_NAME: &str = "questionnaires/soc-scoping.toml";

/// Loads the built-in questionnaire. It is checked by the test suite, so failure here is a
/// build defect, reported as an error rather than a panic all the same.
pub fn builtin() -> Result<Questionnaire, LoadError> {
    load(BUILTIN_NAME, BUILTIN_SOURCE)
}

/// Where a question, rule or condition was written: 1-based line and column.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Pos {
    pub line: usize,
    pub col: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Choice {
    pub id: String,
    pub label: String,
    /// In a multiple-choice question, a choice that excludes every other ("Nobody has asked
    /// yet", "None of these"): choosing it clears the others, and a stored list never mixes them.
    pub exclusive: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct Question {
    pub id: String,
    pub scope: Scope,
    pub section: Option<String>,
    pub kind: Kind,
    pub text: String,
    pub help: String,
    pub references: Vec<String>,
    pub show_if: Option<Condition>,
    /// For yes/no questions this holds `yes` and `no`, so every choice kind reads the same.
    pub choices: Vec<Choice>,
    pub unit: Option<String>,
    pub role: Option<String>,
    #[serde(skip)]
    pub pos: Pos,
}

impl Question {
    pub fn choice(&self, id: &str) -> Option<&Choice> {
        self.choices.iter().find(|c| c.id == id)
    }

    /// A multiple-choice answer with one choice ticked or unticked: ticking an exclusive
    /// choice clears the others, ticking another clears the exclusive ones. In questionnaire
    /// order, as answers are stored.
    pub fn toggle(&self, ticked: &[String], id: &str) -> Vec<String> {
        let exclusive = |x: &str| self.choice(x).is_some_and(|c| c.exclusive);
        let mut out: Vec<String> = if ticked.iter().any(|t| t == id) {
            ticked.iter().filter(|t| *t != id).cloned().collect()
        } else if exclusive(id) {
            vec![id.to_string()]
        } else {
            let mut n: Vec<String> = ticked.iter().filter(|t| !exclusive(t)).cloned().collect();
            n.push(id.to_string());
            n
        };
        out.sort_by_key(|t| self.choices.iter().position(|c| &c.id == t));
        out
    }
    /// The label people read for a stored choice id; the id itself when unknown.
    pub fn choice_label<'a>(&'a self, id: &'a str) -> &'a str {
        if id == UNKNOWN {
            return "unknown";
        }
        self.choice(id).map_or(id, |c| c.label.as_str())
    }
}

/// What a rule yields when its condition holds.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Findings {
    pub soc1: Option<bool>,
    pub soc2: Option<bool>,
    pub categories: Vec<Category>,
    /// Categories this rule explains as *not* included (e.g. personal data without commitments).
    pub excluded_categories: Vec<Category>,
    pub report_type: Option<ReportType>,
    pub observation_window: Option<String>,
    pub sox_note: Option<String>,
    pub subservice: Option<SubserviceMethod>,
    pub csocs: Vec<String>,
    pub gap: Option<String>,
    pub gap_id: Option<String>,
    pub control_objectives: Vec<String>,
    pub evidence: Vec<String>,
}

impl Findings {
    pub fn is_empty(&self) -> bool {
        self.soc1.is_none()
            && self.soc2.is_none()
            && self.categories.is_empty()
            && self.excluded_categories.is_empty()
            && self.report_type.is_none()
            && self.observation_window.is_none()
            && self.sox_note.is_none()
            && self.subservice.is_none()
            && self.csocs.is_empty()
            && self.gap.is_none()
            && self.control_objectives.is_empty()
            && self.evidence.is_empty()
    }
    /// SOC 2 relevance, counting categories as implying it.
    pub fn soc2_positive(&self) -> bool {
        self.soc2 == Some(true) || !self.categories.is_empty()
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Rule {
    pub id: String,
    pub scope: Scope,
    pub when: Condition,
    pub rationale: String,
    pub references: Vec<String>,
    pub findings: Findings,
    #[serde(skip)]
    pub pos: Pos,
}

/// A kind of evidence an auditor will ask for, with how often it is produced.
#[derive(Debug, Clone, Serialize)]
pub struct EvidenceKind {
    pub id: String,
    pub title: String,
    /// How often it is produced over the observation window ("quarterly", "per change"...).
    pub cadence: String,
    pub references: Vec<String>,
    #[serde(skip)]
    pub pos: Pos,
}

#[derive(Debug, Clone, Serialize)]
pub struct Questionnaire {
    pub id: String,
    pub title: String,
    pub version: String,
    pub description: String,
    pub questions: Vec<Question>,
    pub rules: Vec<Rule>,
    pub evidence_kinds: Vec<EvidenceKind>,
    /// sha256 of the source text, recorded in sessions to notice a changed questionnaire.
    pub hash: String,
}

impl Questionnaire {
    pub fn question(&self, id: &str) -> Option<&Question> {
        self.questions.iter().find(|q| q.id == id)
    }
    pub fn question_index(&self, id: &str) -> Option<usize> {
        self.questions.iter().position(|q| q.id == id)
    }
    pub fn questions_in(&self, scope: Scope) -> impl Iterator<Item = &Question> {
        self.questions.iter().filter(move |q| q.scope == scope)
    }
    pub fn rules_in(&self, scope: Scope) -> impl Iterator<Item = &Rule> {
        self.rules.iter().filter(move |r| r.scope == scope)
    }
    pub fn evidence_kind(&self, id: &str) -> Option<&EvidenceKind> {
        self.evidence_kinds.iter().find(|e| e.id == id)
    }
    /// The text question naming an entity's owner in this scope (`role = "owner"`), if any.
    pub fn owner_question(&self, scope: Scope) -> Option<&Question> {
        self.questions
            .iter()
            .find(|q| q.scope == scope && q.role.as_deref() == Some("owner"))
    }
    /// The identity question that holds an identity's kind, if the questionnaire has one.
    pub fn identity_kind_question(&self) -> Option<&Question> {
        self.questions
            .iter()
            .find(|q| q.scope == Scope::Identity && q.role.as_deref() == Some("identity_kind"))
    }
}
