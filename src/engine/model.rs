//! The recommendation as data: what the TUI shows, exports render and `recommend --json` prints.
//! Field names are part of the documented JSON schema (docs/json-schema.md).

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use chrono::NaiveDate;

use crate::questionnaire::{Category, Report, ReportType, Scope, SubserviceMethod};

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
    pub(crate) fn id(self) -> &'static str {
        match self {
            Verdict::Soc1 => "soc1",
            Verdict::Soc2 => "soc2",
            Verdict::Both => "both",
            Verdict::None => "none",
            Verdict::Undetermined => "undetermined",
        }
    }
}

/// Text that many decisions share (a question's wording, an entity's name, a rule's
/// rationale): a clone is a reference count, not a copy; read, compared and serialised as
/// the text. At 10,000 identities the copies were most of the recommendation's memory.
#[derive(Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Text(Arc<str>);

impl Text {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The same text, not a copy of it (for the tests that count copies).
    #[doc(hidden)]
    pub fn shares(&self, o: &Text) -> bool {
        Arc::ptr_eq(&self.0, &o.0)
    }
}

impl std::ops::Deref for Text {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for Text {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl std::borrow::Borrow<str> for Text {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Text {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(&*self.0, f)
    }
}

impl std::fmt::Display for Text {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<&str> for Text {
    fn from(s: &str) -> Text {
        Text(s.into())
    }
}

impl From<String> for Text {
    fn from(s: String) -> Text {
        Text(s.into())
    }
}

impl From<&String> for Text {
    fn from(s: &String) -> Text {
        Text(s.as_str().into())
    }
}

impl From<Text> for String {
    fn from(t: Text) -> String {
        t.0.to_string()
    }
}

impl PartialEq<str> for Text {
    fn eq(&self, o: &str) -> bool {
        *self.0 == *o
    }
}

impl PartialEq<&str> for Text {
    fn eq(&self, o: &&str) -> bool {
        *self.0 == **o
    }
}

impl PartialEq<String> for Text {
    fn eq(&self, o: &String) -> bool {
        *self.0 == **o
    }
}

impl PartialEq<Text> for String {
    fn eq(&self, o: &Text) -> bool {
        **self == *o.0
    }
}

impl PartialEq<Text> for &str {
    fn eq(&self, o: &Text) -> bool {
        **self == *o.0
    }
}

impl Serialize for Text {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct EntityRef {
    /// `engagement`, `system` or `identity`.
    pub kind: Scope,
    /// Session id of the system or identity (`s1`, `i2`); empty for the engagement.
    pub id: Text,
    pub name: Text,
}

impl EntityRef {
    /// The session's entity this reference points at.
    pub fn entity_id(&self) -> crate::session::EntityId {
        use crate::session::EntityId;
        match self.kind {
            Scope::Engagement => EntityId::Engagement,
            Scope::System => EntityId::System(self.id.to_string()),
            Scope::Identity => EntityId::Identity(self.id.to_string()),
        }
    }
}

/// One answer that made a rule fire.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Trigger {
    pub entity: EntityRef,
    pub question: Text,
    pub question_text: Text,
    /// The answer as people read it (choice labels, not ids).
    pub answer: String,
    /// Where a pre-filled answer came from, e.g. an import; absent when answered live.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
}

/// A rule that fired, with the answers that triggered it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Firing {
    pub rule: Text,
    pub rationale: Text,
    pub references: Vec<Text>,
    pub triggers: Vec<Trigger>,
    /// The system or identity the rule ran for (absent for the engagement).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject: Option<EntityRef>,
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
    pub question: Text,
    pub question_text: Text,
}

/// Which decision: a stable id (`verdict`, `soc2.security`, `type.soc1`, `system.s1`,
/// `identity.i2`, `subservice.s3`), serialised and shown as that text; `report::wording` words
/// its title.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DecisionId {
    Verdict,
    Category(Category),
    Type(Report),
    System(String),
    Subservice(String),
    Identity(String),
}

impl std::fmt::Display for DecisionId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DecisionId::Verdict => f.write_str("verdict"),
            DecisionId::Category(c) => write!(f, "soc2.{}", c.id()),
            DecisionId::Type(r) => write!(f, "type.{}", r.id()),
            DecisionId::System(id) => write!(f, "system.{id}"),
            DecisionId::Subservice(id) => write!(f, "subservice.{id}"),
            DecisionId::Identity(id) => write!(f, "identity.{id}"),
        }
    }
}

impl DecisionId {
    /// Reads a decision id as [`Display`](std::fmt::Display) writes it.
    pub fn parse(s: &str) -> Option<DecisionId> {
        if s == "verdict" {
            return Some(DecisionId::Verdict);
        }
        let (kind, rest) = s.split_once('.')?;
        match kind {
            "soc2" => Category::from_id(rest).map(DecisionId::Category),
            "type" => Report::from_id(rest).map(DecisionId::Type),
            "system" => Some(DecisionId::System(rest.to_string())),
            "subservice" => Some(DecisionId::Subservice(rest.to_string())),
            "identity" => Some(DecisionId::Identity(rest.to_string())),
            _ => None,
        }
    }

    /// Whether it is about the report as a whole (not one system or identity).
    pub(crate) fn is_report_level(&self) -> bool {
        matches!(
            self,
            DecisionId::Verdict | DecisionId::Category(_) | DecisionId::Type(_)
        )
    }
}

impl Serialize for DecisionId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// Where a SOC 2 category stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CategoryState {
    Included,
    /// Security while a SOC 2 is possible but not settled: it comes with any SOC 2.
    AlwaysIncluded,
    /// Open questions decide.
    Possible,
    NotIncluded,
}

/// What was decided; `report::wording` words it (and serialises it as those words).
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    Verdict(Verdict),
    Category(CategoryState),
    Type(Option<ReportType>),
    /// A system inside the boundary, or out of scope.
    System(Verdict),
    /// A system outside the boundary: a carved-out subservice organisation.
    CarvedOut,
    Subservice(Option<SubserviceMethod>),
    Identity(Verdict),
}

/// What a decision rules out, with the answers that ruled it out.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Exclusion {
    /// `soc1`, `soc2`, a category id, or `scope` (a system or identity out of scope).
    pub what: String,
    pub because: Vec<Firing>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Decision {
    pub id: DecisionId,
    /// The system or identity it is about (`None` for report-level decisions).
    pub subject: Option<EntityRef>,
    pub outcome: Outcome,
    /// Open questions (or a conflict) could still change it.
    pub provisional: bool,
    pub rationale: Vec<Firing>,
    /// Every "no" with its reasons: a report not recommended, a category not included.
    pub exclusions: Vec<Exclusion>,
    /// The open questions that could still change it, the most deciding first.
    pub open_questions: Vec<OpenQuestion>,
    /// Conflicting answers that keep it provisional (indexes into `Recommendation::conflicts`).
    pub conflicts: Vec<usize>,
}

impl Decision {
    /// Every answer it rests on, once: the triggers of its reasons and of its exclusions.
    pub(crate) fn rests_on(&self) -> Vec<&Trigger> {
        let mut out: Vec<&Trigger> = Vec::new();
        let all = self
            .rationale
            .iter()
            .chain(self.exclusions.iter().flat_map(|e| &e.because))
            .flat_map(|f| &f.triggers);
        for t in all {
            if !out
                .iter()
                .any(|x| x.entity == t.entity && x.question == t.question)
            {
                out.push(t);
            }
        }
        out
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SystemResult {
    pub id: String,
    pub name: String,
    /// `none` means out of scope (including carved-out subservice organisations).
    pub verdict: Verdict,
    pub soc2_categories: Vec<Category>,
    pub subservice: Option<SubserviceMethod>,
    pub gaps: Vec<Gap>,
    pub decision: Decision,
}

/// Whether a gap is known, or only not ruled out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum GapStatus {
    /// The answers say the evidence is missing.
    Confirmed,
    /// The answer is unknown (or not given yet): nobody could vouch for the evidence, so it
    /// must be established before the period starts (domain.md §4).
    Unverified,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Gap {
    pub id: Text,
    pub text: Text,
    pub rule: Text,
    pub status: GapStatus,
    pub evidence: Vec<Text>,
    /// For an unverified gap: the questions whose answer would settle it.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unknown: Vec<OpenQuestion>,
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
    /// The systems that run on it (their naming answers name it: a hosting provider).
    pub supports: Vec<EntityRef>,
    /// The systems that use it as a service (a `link = "uses"` naming answer names it).
    pub used_by: Vec<EntityRef>,
    /// The reports of its own it must give us: carved out of our SOC 1, its SOC 1; of our
    /// SOC 2, its SOC 2 (domain.md §3).
    pub needs: Vec<Report>,
    /// The reports we hold from it, as the workshop recorded them (`vendor_reports` role).
    pub holds: Option<String>,
    /// Which of our reports' kinds those are (from the answer's choice ids, not its labels).
    pub held: Vec<Report>,
    pub csocs: Vec<String>,
    pub evidence: Vec<String>,
    /// Questions whose answers would settle what it owes us (the reports it must give).
    pub open_questions: Vec<OpenQuestion>,
}

/// One thing to collect over the observation window.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EvidenceTask {
    /// Evidence kind id from the questionnaire.
    pub id: Text,
    pub title: Text,
    /// How often it is produced ("quarterly", "per change"...).
    pub cadence: Text,
    /// TSC IDs it supports.
    pub references: Vec<Text>,
    /// Candidate SOC 1 control objectives it supports.
    pub control_objectives: Vec<Text>,
    /// The rule that asked for it.
    pub rule: Text,
    /// Nobody could vouch that this evidence exists (an unknown answer): establish it first,
    /// before the period starts.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub establish_first: bool,
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
    pub outcome: Outcome,
    /// How the answer changes, for a sentence: a multiple-choice answer with one choice
    /// ticked or unticked reads "adding X" / "removing X" rather than the whole new list.
    pub change: Change,
    /// Questions the change would newly ask that have no answer yet (question texts): what an
    /// outcome that is not settled after the change waits for.
    pub opens: Vec<String>,
}

impl Flip {
    /// " (it would then ask “Q1”, “Q2”)", or nothing: how the export and plain mode end a flip.
    pub(crate) fn opens_words(&self, text: impl Fn(&str) -> String) -> String {
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
    pub decision: DecisionId,
    pub outcome: Outcome,
    /// The answers it rests on: behind the rules that decided it, including those that keep it
    /// from flipping (the reasons for every "no").
    pub rests_on: Vec<Trigger>,
    pub flips: Vec<Flip>,
    /// How many single changes were tried; `complete` is false when a budget cut the search.
    pub tried: usize,
    pub complete: bool,
}

/// Two (or more) answers that cannot all be true, found by a rule with a `conflict`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Conflict {
    pub rule: String,
    /// What the facilitator is told.
    pub text: String,
    /// The entity the rule ran for.
    pub subject: EntityRef,
    /// The answers in conflict, each with its entity (to jump to it).
    pub answers: Vec<Trigger>,
    /// The decisions kept provisional while it stands.
    pub touches: Vec<DecisionId>,
}

/// Something to take back to someone, or to say beside the recommendation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    pub id: String,
    pub rule: String,
    pub text: String,
    /// The rule's own rationale.
    pub rationale: String,
    pub references: Vec<String>,
    /// The entity the rule ran for (`None` for report rules).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject: Option<EntityRef>,
    pub triggers: Vec<Trigger>,
    /// The rule could still come out either way: said as "to confirm".
    pub provisional: bool,
    /// A related framework's name (PCI DSS, HIPAA...), for the notes that name one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub framework: Option<String>,
}

/// One step of a report's dated plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "step", rename_all = "snake_case")]
pub enum PlanStep {
    /// A first examination starts with a readiness assessment.
    Readiness { from: NaiveDate, to: NaiveDate },
    /// The Type 1 report's "as of" date.
    Type1 { as_of: NaiveDate },
    /// The Type 2 period: the first, or one following on from the last report's period.
    Type2 {
        from: NaiveDate,
        to: NaiveDate,
        follows_on: bool,
    },
    /// About when the auditor's report can be in hand.
    Report {
        about: NaiveDate,
        report_type: ReportType,
    },
    /// SOC 1: a bridge letter covers customers' year ends after the period.
    BridgeLetter { from: NaiveDate, year_end: String },
    /// What can exist by the date customers need something.
    Deadline { by: NaiveDate, available: Available },
    /// The plan above misses the date customers need a report by: a way that meets it.
    MeetDeadline {
        by: NaiveDate,
        option: DeadlineOption,
    },
    /// The plan misses the date: the way recommended, why, the date by which the client must
    /// choose, and (after an earlier report) a bridge letter from `bridge_from` for the time
    /// since its period ended. Listed before the period it changes.
    DeadlineChoice {
        by: NaiveDate,
        option: DeadlineOption,
        reason: ChoiceReason,
        decide_by: NaiveDate,
        bridge_from: Option<NaiveDate>,
    },
    /// Categories new in this report whose controls have no record since the period began
    /// (`known`; otherwise nobody knows yet): a Type 1 on their design first, or left out of
    /// this period and added from the next one.
    AddedCategory {
        categories: Vec<Category>,
        known: bool,
        as_of: NaiveDate,
        report: NaiveDate,
        next_from: NaiveDate,
    },
}

/// Why one way to meet customers' date is recommended over the others.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ChoiceReason {
    /// A short Type 2 period can end and be reported by the date.
    ShortPeriodFits,
    /// No Type 2 period can end early enough for fieldwork and a report by the date.
    OnlyType1,
    /// This report's period is not cut short (a SOC 1 follows customers' year end).
    PeriodNotShortened,
    /// A category new in the report has no record since the period began.
    AddedNoRecord,
    /// Whether a category new in the report has records is open: the Type 1 holds either way.
    AddedOpen,
}

/// A way to have an attested report by a date the plan misses (domain.md §2: say what can exist
/// by then, and when the full period follows).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum DeadlineOption {
    /// A short Type 2 period from the planned start, its report by the date; the next period
    /// follows on from it.
    ShortPeriod {
        from: NaiveDate,
        to: NaiveDate,
        report: NaiveDate,
        next_to: NaiveDate,
        /// It rests on an open answer: whether a category new in the report has records
        /// since the period began.
        #[serde(skip_serializing_if = "std::ops::Not::not")]
        provisional: bool,
    },
    /// A Type 1 (design as of a date) reported by the date, while the Type 2 period runs; for a
    /// renewal, over what is new since the last report.
    Type1First {
        as_of: NaiveDate,
        report: NaiveDate,
        renewal: bool,
    },
}

/// What a deadline can be met with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Available {
    Type2Report,
    Type1Report,
    ReadinessLetter,
    /// Nothing attested: a management letter on the programme and its dates.
    ManagementLetter,
    /// The plan's first report comes after the date; the `MeetDeadline` steps that follow say
    /// how to meet it instead.
    PlanMisses,
}

/// One report's Type and dated plan, from the workshop date.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReportPlan {
    pub report: Report,
    /// `None` while the Type is undecided (the steps are then those known so far).
    pub report_type: Option<ReportType>,
    /// Whether the report itself is settled (`false`: it may not be called for).
    pub settled: bool,
    /// The Type or a date depends on open questions.
    pub provisional: bool,
    /// Whether it would be the first examination of its kind (`None`: not known).
    pub first: Option<bool>,
    pub from_date: NaiveDate,
    pub steps: Vec<PlanStep>,
    /// Questions whose answers the dates wait for (texts).
    pub waiting_for: Vec<String>,
    /// While the Type rests on open answers: the plan each Type would give, and when (empty
    /// once the Type is settled). `steps` then keeps only what every case shares.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub scenarios: Vec<Scenario>,
}

/// One way a report's plan can go while the answers its Type rests on are open.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Scenario {
    pub report_type: ReportType,
    /// The cases that lead to it, as the questionnaire words them ("the key controls have 6
    /// months of records or more"); any one of them suffices.
    pub when: Vec<String>,
    /// The dated plan in that case, deadline included.
    pub steps: Vec<PlanStep>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct Progress {
    /// Visible questions with an answer (including "unknown").
    pub answered: usize,
    /// Visible questions across the engagement, systems and identities.
    pub total: usize,
    /// Answers that are "unknown".
    pub unknown: usize,
    /// Questions not shown yet only because an answer they depend on is unknown or not given:
    /// they may still be asked, so every count of what is left includes them.
    pub may_follow: usize,
}

impl Progress {
    /// Adds (`plus`) or takes away another part's counts.
    pub(crate) fn add(&mut self, o: Progress, plus: bool) {
        let f = |a: usize, b: usize| if plus { a + b } else { a.saturating_sub(b) };
        self.answered = f(self.answered, o.answered);
        self.total = f(self.total, o.total);
        self.unknown = f(self.unknown, o.unknown);
        self.may_follow = f(self.may_follow, o.may_follow);
    }

    /// What could still be asked, shown or not: the one denominator every screen, export and
    /// the session list use, so they never disagree (QA: 13 % / 2 of 21 / 2 of 15 for one file).
    pub fn askable(&self) -> usize {
        self.total + self.may_follow
    }

    pub fn percent(&self) -> usize {
        (self.answered * 100)
            .checked_div(self.askable())
            .unwrap_or(0)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Recommendation {
    pub verdict: Verdict,
    /// Some decision still depends on open questions.
    pub provisional: bool,
    pub soc2_categories: Vec<Category>,
    /// Each report called for (or possibly called for): its Type and dated plan.
    pub plans: Vec<ReportPlan>,
    pub sox_note: Option<String>,
    pub systems: Vec<SystemResult>,
    pub identities: Vec<IdentityResult>,
    pub subservices: Vec<Subservice>,
    /// Candidate SOC 1 control objectives.
    pub control_objectives: Vec<String>,
    pub evidence_plan: Vec<EvidencePlanEntry>,
    /// The report-level decisions: which report, each category, each report's Type.
    pub decisions: Vec<Decision>,
    /// Things to take back to someone (a SOC 1 requested with nothing relevant found...).
    pub findings: Vec<Finding>,
    /// Things worth saying beside the recommendation, that decide nothing.
    pub notes: Vec<Finding>,
    /// Complementary user entity controls: what customers must do for our controls to work
    /// (each as a finding: its text, the rule and the answers behind it).
    pub cuecs: Vec<Finding>,
    /// Related frameworks the answers imply (PCI DSS, HIPAA, GDPR, SOX): notes, never verdicts.
    pub frameworks: Vec<Finding>,
    /// Answers that cannot all be true, until one of them changes.
    pub conflicts: Vec<Conflict>,
    pub open_questions: Vec<OpenQuestion>,
    /// Open questions that could add a control customers must operate: the question and the
    /// first such control (the CUEC list is not complete until they are answered).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub open_cuecs: Vec<OpenCuec>,
    pub progress: Progress,
}

/// An open question that could add a complementary user entity control.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OpenCuec {
    pub question: OpenQuestion,
    pub cuec: String,
}

impl Recommendation {
    /// Every decision: the report-level ones, then each system's, then each identity's.
    pub(crate) fn all_decisions(&self) -> impl Iterator<Item = &Decision> {
        self.decisions
            .iter()
            .chain(self.systems.iter().map(|s| &s.decision))
            .chain(self.identities.iter().map(|i| &i.decision))
    }

    /// A decision by id.
    pub fn decision(&self, id: &DecisionId) -> Option<&Decision> {
        match id {
            DecisionId::System(sid) => self
                .systems
                .iter()
                .find(|s| &s.id == sid)
                .map(|s| &s.decision),
            DecisionId::Identity(iid) => self
                .identities
                .iter()
                .find(|i| &i.id == iid)
                .map(|i| &i.decision),
            _ => self.decisions.iter().find(|d| &d.id == id),
        }
    }

    pub fn provisional_count(&self) -> usize {
        self.all_decisions().filter(|d| d.provisional).count()
    }

    /// The plan of one report, if it is called for or possible.
    pub fn plan(&self, r: Report) -> Option<&ReportPlan> {
        self.plans.iter().find(|p| p.report == r)
    }

    /// Confirmed gaps and unverified evidence across the in-scope systems and identities.
    pub fn gap_counts(&self) -> (usize, usize) {
        let gaps = self
            .systems
            .iter()
            .flat_map(|s| &s.gaps)
            .chain(self.identities.iter().flat_map(|i| &i.gaps));
        let mut counts = (0, 0);
        for g in gaps {
            match g.status {
                GapStatus::Confirmed => counts.0 += 1,
                GapStatus::Unverified => counts.1 += 1,
            }
        }
        counts
    }
}
