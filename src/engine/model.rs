//! The recommendation as data: what the TUI shows, exports render and `recommend --json` prints.
//! Field names are part of the documented JSON schema (docs/json-schema.md).

use serde::{Deserialize, Serialize};

use crate::questionnaire::{Category, ReportType, Scope, SubserviceMethod};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Soc1,
    Soc2,
    Both,
    None,
    Undetermined,
}

impl Verdict {
    pub fn id(self) -> &'static str {
        match self {
            Verdict::Soc1 => "soc1",
            Verdict::Soc2 => "soc2",
            Verdict::Both => "both",
            Verdict::None => "none",
            Verdict::Undetermined => "undetermined",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            Verdict::Soc1 => "SOC 1",
            Verdict::Soc2 => "SOC 2",
            Verdict::Both => "SOC 1 and SOC 2",
            Verdict::None => "Out of scope (neither)",
            Verdict::Undetermined => "Not yet determinable",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct EntityRef {
    /// `engagement`, `system` or `identity`.
    pub kind: Scope,
    /// Session id of the system or identity (`s1`, `i2`); empty for the engagement.
    pub id: String,
    pub name: String,
}

/// One answer that made a rule fire.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Trigger {
    pub entity: EntityRef,
    pub question: String,
    pub question_text: String,
    /// The answer as people read it (choice labels, not ids).
    pub answer: String,
    /// Where a pre-filled answer came from, e.g. an import; absent when answered live.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
}

/// A rule that fired, with the answers that triggered it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Firing {
    pub rule: String,
    pub rationale: String,
    pub references: Vec<String>,
    pub triggers: Vec<Trigger>,
    /// For identity rules about accessible systems: the in-scope systems it went through.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub via_systems: Vec<EntityRef>,
    /// Other entities for which the same rule fired (their answers are in their own decisions).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub also: Vec<EntityRef>,
}

/// A visible question, not yet answered (or answered "unknown"), that could change a decision.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct OpenQuestion {
    pub entity: EntityRef,
    /// Empty for inventory items such as "no systems added yet".
    pub question: String,
    pub question_text: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Decision {
    /// `verdict`, `soc2.<category>`, `type`, `system.<id>`, `identity.<id>`, `subservice.<id>`.
    pub id: String,
    pub title: String,
    pub outcome: String,
    /// Open questions could still change it.
    pub provisional: bool,
    pub rationale: Vec<Firing>,
    pub open_questions: Vec<OpenQuestion>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SystemResult {
    pub id: String,
    pub name: String,
    /// `none` means out of scope (including carved-out subservice organisations).
    pub verdict: Verdict,
    pub soc2_categories: Vec<Category>,
    pub subservice: Option<SubserviceMethod>,
    pub decision: Decision,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Gap {
    pub id: String,
    pub text: String,
    pub rule: String,
    pub evidence: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IdentityResult {
    pub id: String,
    pub name: String,
    pub kind: Option<String>,
    pub systems: Vec<String>,
    pub soc1: bool,
    pub soc2: bool,
    pub verdict: Verdict,
    pub gaps: Vec<Gap>,
    pub decision: Decision,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Subservice {
    pub system: EntityRef,
    pub method: SubserviceMethod,
    pub csocs: Vec<String>,
    pub evidence: Vec<String>,
}

/// One thing to collect over the observation window.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EvidenceTask {
    /// Evidence kind id from the questionnaire.
    pub id: String,
    pub title: String,
    /// How often it is produced ("quarterly", "per change"...).
    pub cadence: String,
    /// TSC IDs it supports.
    pub references: Vec<String>,
    /// Candidate SOC 1 control objectives it supports.
    pub control_objectives: Vec<String>,
    /// The rule that asked for it.
    pub rule: String,
}

/// The evidence one in-scope system or identity (or the engagement) owes.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EvidencePlanEntry {
    pub subject: EntityRef,
    /// The owner named in the workshop, if any; the programme fills it in otherwise.
    pub owner: Option<String>,
    pub tasks: Vec<EvidenceTask>,
}

/// A single answer change that would flip a decision.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Flip {
    pub entity: EntityRef,
    pub question: String,
    pub question_text: String,
    /// The current answer, as people read it.
    pub from: String,
    /// The changed answer, as people read it.
    pub to: String,
    /// The changed answer as stored (choice ids, numbers), so it can be applied.
    pub value: crate::session::Value,
    /// The decision's outcome after the change.
    pub outcome: String,
    /// How the answer changes, for a sentence: a multiple-choice answer with one choice
    /// ticked or unticked reads "adding X" / "removing X" rather than the whole new list.
    pub change: Change,
    /// Questions the change would newly ask that have no answer yet (question texts): what an
    /// outcome that is not settled after the change waits for.
    pub opens: Vec<String>,
}

impl Flip {
    /// " (it would then ask “Q1”, “Q2”)", or nothing: how the export and plain mode end a flip.
    pub fn opens_words(&self, text: impl Fn(&str) -> String) -> String {
        if self.opens.is_empty() {
            return String::new();
        }
        let qs: Vec<String> = self
            .opens
            .iter()
            .map(|t| format!("\u{201c}{}\u{201d}", text(t)))
            .collect();
        format!(" (it would then ask {})", qs.join(", "))
    }
}

/// How a flip changes an answer.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Change {
    /// `to` instead of `from`.
    Replace,
    /// One more choice ticked (its label).
    Add { choice: String },
    /// One choice unticked (its label).
    Remove { choice: String },
}

/// What a decision rests on, and which single answer changes would flip it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Sensitivity {
    pub decision: String,
    pub title: String,
    pub outcome: String,
    /// The answers behind the rules that fired for it.
    pub rests_on: Vec<Trigger>,
    pub flips: Vec<Flip>,
    /// How many single changes were tried; `complete` is false when a budget cut the search.
    pub tried: usize,
    pub complete: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct Progress {
    /// Visible questions with an answer (including "unknown").
    pub answered: usize,
    /// Visible questions across the engagement, systems and identities.
    pub total: usize,
    /// Answers that are "unknown".
    pub unknown: usize,
}

impl Progress {
    pub fn percent(&self) -> usize {
        (self.answered * 100).checked_div(self.total).unwrap_or(0)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Recommendation {
    pub verdict: Verdict,
    /// Some decision still depends on open questions.
    pub provisional: bool,
    pub soc2_categories: Vec<Category>,
    pub report_type: Option<ReportType>,
    pub observation_window: Option<String>,
    pub sox_note: Option<String>,
    pub systems: Vec<SystemResult>,
    pub identities: Vec<IdentityResult>,
    pub subservices: Vec<Subservice>,
    /// Candidate SOC 1 control objectives.
    pub control_objectives: Vec<String>,
    pub evidence_plan: Vec<EvidencePlanEntry>,
    pub decisions: Vec<Decision>,
    pub open_questions: Vec<OpenQuestion>,
    pub progress: Progress,
}

impl Recommendation {
    /// "Type 2 (3–12 months...)": the report type with its observation window, if decided.
    pub fn report_type_text(&self) -> Option<String> {
        let t = self.report_type?;
        Some(match &self.observation_window {
            Some(w) => format!("{} ({w})", t.label()),
            None => t.label().to_string(),
        })
    }

    pub fn provisional_count(&self) -> usize {
        self.decisions
            .iter()
            .chain(self.systems.iter().map(|s| &s.decision))
            .chain(self.identities.iter().map(|i| &i.decision))
            .filter(|d| d.provisional)
            .count()
    }
}
