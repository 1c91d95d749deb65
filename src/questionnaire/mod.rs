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
pub use crate::vocab::{Category, Kind, Report, ReportType, Scope, SubserviceMethod, UNKNOWN};

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
    /// On a `vendor_reports` question: the SOC report this choice says we hold (`report =
    /// "soc1"`), whatever its id or label.
    pub report: Option<Report>,
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
    /// A text question whose answer names other systems (`creates = {...}`): each name becomes
    /// a system of the inventory, created once and reused (domain.md §3: the hosting provider).
    pub creates: Option<Creates>,
    #[serde(skip)]
    pub pos: Pos,
}

/// What a naming question does with the names in its answer.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Creates {
    /// Answers a newly created system starts with (question id, value), marked as pre-filled.
    pub answers: Vec<(String, crate::vocab::Value)>,
    /// How the new system's pre-filled answers say where they came from.
    pub source: String,
    /// What a named system is to the system naming it: its host, or a service it uses.
    pub link: Link,
    #[serde(skip)]
    pub pos: Pos,
}

/// How a system named in a naming answer relates to the system that names it (domain.md §3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Link {
    /// It runs the naming system (a hosting provider): `link = "hosts"`, the default.
    Hosts,
    /// The naming system calls it to do its work (e-mail delivery, payments): `link = "uses"`.
    Uses,
}

impl Question {
    pub(crate) fn choice(&self, id: &str) -> Option<&Choice> {
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
    pub(crate) fn choice_label<'a>(&'a self, id: &'a str) -> &'a str {
        if id == UNKNOWN {
            return "unknown";
        }
        self.choice(id).map_or(id, |c| c.label.as_str())
    }
}

/// What a rule yields when its condition holds.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Findings {
    /// SOC 1 relevance: a financially relevant process the service can change, or an identity
    /// that can change financial data (`false`: a reason it is not relevant).
    pub soc1: Option<bool>,
    /// Someone asks for a SOC 1 (demand). Never a SOC 1 verdict by itself: a request without
    /// relevance is a finding to take back to the requester (domain.md §1).
    pub soc1_demand: Option<bool>,
    /// A SOC 2 is called for: demand for assurance over systems and data, or commitments to
    /// protect customer data (`false`: a reason it is not).
    pub soc2: Option<bool>,
    /// Categories this rule includes once a SOC 2 is called for (it never calls for one).
    pub categories: Vec<Category>,
    /// Categories this rule explains as *not* included (e.g. personal data without commitments).
    pub excluded_categories: Vec<Category>,
    pub report_type: Option<ReportType>,
    /// How the dated plan names the case of a `report_type` while its answers are open ("the
    /// key controls have 6 months of records or more").
    pub scenario: Option<String>,
    /// The report a `report_type` or `first_examination` is about; `None` for both.
    pub report: Option<Report>,
    /// Whether the report would be the first examination of its kind (readiness first).
    pub first_examination: Option<bool>,
    pub observation_window: Option<String>,
    pub sox_note: Option<String>,
    pub subservice: Option<SubserviceMethod>,
    pub csocs: Vec<String>,
    pub gap: Option<String>,
    pub gap_id: Option<String>,
    /// How a gap reads when its answer is unknown: evidence not confirmed, not a confirmed gap.
    pub unverified: Option<String>,
    pub control_objectives: Vec<String>,
    pub evidence: Vec<String>,
    /// Something to take back to someone (report rules): a request nothing supports, a report
    /// a vendor has not provided...
    pub finding: Option<String>,
    /// Something worth saying beside the recommendation, that decides nothing.
    pub note: Option<String>,
    /// Two answers that cannot both be true: what the facilitator is told.
    pub conflict: Option<String>,
    /// Decisions a conflict keeps provisional besides the verdict and its entity's own.
    pub touches: Vec<String>,
    /// Complementary user entity controls: what customers must do for our controls to work.
    pub cuecs: Vec<String>,
    /// Rules whose CUECs this rule's replace when it yields its own (a specific control that
    /// says what a general one means here).
    pub supersedes: Vec<String>,
    /// A related framework the answers imply (`note` says what it means): never a verdict.
    pub framework: Option<String>,
    /// A subservice organisation carved out of this report must give us its own report on it.
    pub needs_report: Option<Report>,
    /// With `report_type = "type1"`: the Type 1 is for this category only (new in the report,
    /// its controls without the period's record), not the whole report, whose Type stays.
    pub type1_for: Option<Category>,
}

impl Findings {
    pub(crate) fn is_empty(&self) -> bool {
        self.soc1.is_none()
            && self.soc1_demand.is_none()
            && self.soc2.is_none()
            && self.categories.is_empty()
            && self.excluded_categories.is_empty()
            && self.report_type.is_none()
            && self.first_examination.is_none()
            && self.observation_window.is_none()
            && self.sox_note.is_none()
            && self.subservice.is_none()
            && self.csocs.is_empty()
            && self.gap.is_none()
            && self.control_objectives.is_empty()
            && self.evidence.is_empty()
            && self.finding.is_none()
            && self.note.is_none()
            && self.conflict.is_none()
            && self.cuecs.is_empty()
            && self.framework.is_none()
            && self.needs_report.is_none()
    }
    /// Whether the rule decides anything (a report, a category, a Type, a gap, a method), as
    /// opposed to adding findings, notes, evidence and controls.
    pub(crate) fn decides(&self) -> bool {
        self.soc1.is_some()
            || self.soc2.is_some()
            || self.soc1_demand.is_some()
            || !self.categories.is_empty()
            || !self.excluded_categories.is_empty()
            || self.report_type.is_some()
            || self.first_examination.is_some()
            || self.gap.is_some()
            || self.subservice.is_some()
            || self.conflict.is_some()
    }
    /// Whether the rule calls for a SOC 2. Categories alone never do: a commitment chooses
    /// categories once a SOC 2 is called for (domain.md §1).
    pub(crate) fn soc2_positive(&self) -> bool {
        self.soc2 == Some(true)
    }
    /// Whether the rule's Type or first-examination finding is about `r`.
    pub(crate) fn about(&self, r: Report) -> bool {
        self.report.is_none_or(|x| x == r)
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Rule {
    pub id: String,
    /// The entity it runs for; report rules (`scope = "report"`) have `Scope::Engagement` and
    /// `report_level` set.
    pub scope: Scope,
    /// Runs once over the report totals, after every entity's rules (`scope = "report"`): its
    /// condition may test totals (`{ total = "soc1" }`) as well as engagement answers.
    pub report_level: bool,
    /// A system rule that tests where systems stand (`in_scope`, `supports`): it runs after
    /// every system's decision and may only add findings, notes, evidence and controls.
    pub late: bool,
    pub when: Condition,
    pub rationale: String,
    /// The reason in a few words, for the memo's page one (the rationale otherwise).
    pub brief: Option<String>,
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
    /// How dated plans are laid out (`[plan]`).
    pub plan: PlanSettings,
    /// How answers saved for an earlier version map onto this one (`[[migrations]]`).
    pub migrations: Vec<Migration>,
    /// sha256 of the source text, recorded in sessions to notice a changed questionnaire.
    pub hash: String,
}

/// The lengths a dated plan is laid out with (`[plan]` in the questionnaire; these defaults
/// follow domain.md §2).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PlanSettings {
    /// A first examination starts with a readiness assessment this long.
    pub readiness_weeks: u32,
    /// Preparing for a Type 1 date (or a period start) when no readiness assessment is needed.
    pub prepare_weeks: u32,
    /// The first Type 2 period.
    pub first_period_months: u32,
    /// Later Type 2 periods, each following on from the last with no gap.
    pub renewal_period_months: u32,
    /// A SOC 1 period ends at customers' year end and is at least this long.
    pub soc1_min_period_months: u32,
    /// A short Type 2 period, offered when the planned report comes after the date customers
    /// need one (the next period follows on from it).
    pub short_period_months: u32,
    /// The reports offered that short period (`short_period_for`); the others get a Type 1
    /// first (a SOC 1 period follows customers' year end, so it is not cut short).
    pub short_period_for: Vec<Report>,
    /// When the plan misses customers' date: how many weeks before the chosen option's date
    /// (the short period's end, the Type 1 date) the client must choose it.
    pub decide_weeks: u32,
    /// From the end of a period (or the Type 1 date) to the auditor's report.
    pub report_weeks: u32,
    /// Who owns each kind of next step (`[plan.owners]`).
    pub owners: StepOwners,
}

/// The role that owns each kind of next step in the memo (`[plan.owners]`): the people who
/// answer that kind of question (finance, engineering, IAM, the facilitator). Unset: no owner.
#[derive(Debug, Clone, PartialEq, Default, Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StepOwners {
    pub readiness: Option<String>,
    pub type1: Option<String>,
    pub type2: Option<String>,
    pub report: Option<String>,
    pub bridge_letter: Option<String>,
    pub deadline: Option<String>,
    pub conflicts: Option<String>,
    pub open_questions: Option<String>,
    pub unverified: Option<String>,
    pub gaps: Option<String>,
    pub vendor_reports: Option<String>,
}

impl Default for PlanSettings {
    fn default() -> Self {
        PlanSettings {
            readiness_weeks: 6,
            prepare_weeks: 4,
            first_period_months: 6,
            renewal_period_months: 12,
            soc1_min_period_months: 6,
            short_period_months: 3,
            short_period_for: vec![Report::Soc2],
            decide_weeks: 2,
            report_weeks: 6,
            owners: StepOwners::default(),
        }
    }
}

/// An answer saved for a question that was renamed or replaced: moved to its new question, with
/// its value mapped, instead of being kept aside (`[[migrations]]`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Migration {
    pub from: String,
    pub to: String,
    /// Old value (a choice id, or `*` for any) to the new one (TOML: a string, or an array of
    /// strings for a multiple-choice question). Values not listed are kept aside as before.
    pub values: Vec<(String, crate::vocab::Value)>,
    #[serde(skip)]
    pub pos: Pos,
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
    /// The rules that run for each entity of `scope` (not the report rules).
    pub(crate) fn rules_in(&self, scope: Scope) -> impl Iterator<Item = &Rule> {
        self.rules
            .iter()
            .filter(move |r| r.scope == scope && !r.report_level && !r.late)
    }
    /// The system rules that run after every system's decision (`Rule::late`).
    pub(crate) fn late_rules(&self) -> impl Iterator<Item = &Rule> {
        self.rules.iter().filter(|r| r.late)
    }
    /// The rules that run once over the report totals.
    pub(crate) fn report_rules(&self) -> impl Iterator<Item = &Rule> {
        self.rules.iter().filter(|r| r.report_level)
    }
    /// The question with a role (`role = "..."`) in a scope.
    pub(crate) fn with_role(&self, scope: Scope, role: &str) -> Option<&Question> {
        self.questions
            .iter()
            .find(|q| q.scope == scope && q.role.as_deref() == Some(role))
    }
    pub(crate) fn evidence_kind(&self, id: &str) -> Option<&EvidenceKind> {
        self.evidence_kinds.iter().find(|e| e.id == id)
    }
    /// The text question naming an entity's owner in this scope (`role = "owner"`), if any.
    pub(crate) fn owner_question(&self, scope: Scope) -> Option<&Question> {
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
