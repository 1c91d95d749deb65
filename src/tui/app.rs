//! The app state: which screen is showing, the open workshop and what every screen remembers.
//! Nothing here does I/O; `update` changes it and `view` draws it.

use std::path::{Path, PathBuf};

use ratatui_textarea::{TextArea, WrapMode};

use crate::engine::{
    self, Decision, DecisionId, EntityRef, Evaluation, Recommendation, Sensitivity,
};
use crate::questionnaire::condition::EntityKey;
use crate::questionnaire::{Kind, Question, Questionnaire, Scope};
use crate::report::wording;
use crate::session::{Answer, EntityId, Session, Value};
use crate::workshop::Lease;
use crate::workshop::catalogue::SessionInfo;

use super::keymap::Ctx;
use super::theme::Theme;

/// The screens of an open workshop, in Tab order.
pub const TABS: [Screen; 6] = [
    Screen::Details,
    Screen::Inventory,
    Screen::Questions,
    Screen::Recommendation,
    Screen::Review,
    Screen::Export,
];

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Screen {
    Start,
    Details,
    Inventory,
    Questions,
    Recommendation,
    /// One decision's rationale, by decision id (stable across recomputations).
    Decision(String),
    Review,
    Export,
    /// "Changes since…": the open workshop compared with another session.
    Changes,
}

impl Screen {
    pub fn ctx(&self) -> Ctx {
        match self {
            Screen::Start => Ctx::Start,
            Screen::Details => Ctx::Details,
            Screen::Inventory => Ctx::Inventory,
            Screen::Questions => Ctx::Questions,
            Screen::Recommendation => Ctx::Recommendation,
            Screen::Decision(_) => Ctx::Decision,
            Screen::Review => Ctx::Review,
            Screen::Export => Ctx::Export,
            Screen::Changes => Ctx::Changes,
        }
    }
    pub fn title(&self) -> &'static str {
        match self {
            Screen::Start => "Start",
            Screen::Details => "Details",
            Screen::Inventory => "Inventory",
            Screen::Questions => "Questions",
            Screen::Recommendation | Screen::Decision(_) => "Recommendation",
            Screen::Review => "Review",
            Screen::Export => "Export",
            Screen::Changes => "Changes",
        }
    }
    /// The tab this screen belongs to.
    pub fn tab(&self) -> Option<usize> {
        let s = match self {
            Screen::Decision(_) | Screen::Changes => &Screen::Recommendation,
            s => s,
        };
        TABS.iter().position(|t| t == s)
    }
}

/// The open workshop: the session, where it is saved, and what is derived from it.
pub struct Workshop {
    pub session: Session,
    /// The right to write the session file: its lock, where it is saved, what was saved last.
    pub lease: Lease,
    pub rec: Recommendation,
    /// What the recommendation was computed from: visibility, and the rule results that
    /// "what would change this?" tries changes against.
    pub eval: Evaluation,
    /// The last save failed: said on screen until a save succeeds.
    pub save_error: Option<String>,
    /// "What would change this?" for the decision last opened, by decision id. Computed when a
    /// drill-down opens, dropped on any change to the session.
    pub sensitivity: Option<(String, Option<Sensitivity>)>,
}

impl Workshop {
    pub fn new(q: &Questionnaire, session: Session, lease: Lease) -> Workshop {
        let (rec, eval) = engine::recommend_with_evaluation(q, &session);
        Workshop {
            session,
            lease,
            rec,
            eval,
            save_error: None,
            sensitivity: None,
        }
    }

    /// Where the session is saved (as the user named it).
    pub fn path(&self) -> &Path {
        self.lease.path()
    }

    /// Opened read-only (`resume --read-only`, or "open read-only" when another socscope has
    /// it): viewing, the recommendation and exports work; every edit is refused.
    pub fn read_only(&self) -> bool {
        self.lease.read_only()
    }

    /// Recomputes the recommendation and visibility after any change to the session.
    pub fn refresh(&mut self, q: &Questionnaire) {
        (self.rec, self.eval) = engine::recommend_with_evaluation(q, &self.session);
        self.sensitivity = None;
    }

    /// Computes the sensitivity of one decision unless it is already cached.
    pub fn ensure_sensitivity(&mut self, q: &Questionnaire, decision_id: &str) {
        if self
            .sensitivity
            .as_ref()
            .is_some_and(|(id, _)| id == decision_id)
        {
            return;
        }
        // The decision comes from the recommendation already on screen: no second build.
        let s = DecisionId::parse(decision_id)
            .and_then(|id| self.rec.decision(&id))
            .map(|d| engine::sensitivity_in(q, &self.session, &self.eval, d));
        self.sensitivity = Some((decision_id.to_string(), s));
    }

    /// The cached sensitivity of a decision, if computed.
    pub fn cached_sensitivity(&self, decision_id: &str) -> Option<&Sensitivity> {
        match &self.sensitivity {
            Some((id, s)) if id == decision_id => s.as_ref(),
            _ => None,
        }
    }

    /// Whether a question of an entity has no answer at all ("unknown" counts as answered).
    pub fn unanswered(&self, e: &EntityId, qid: &str) -> bool {
        self.answer(e, qid).is_none()
    }

    pub fn answer(&self, e: &EntityId, qid: &str) -> Option<&Answer> {
        self.session.answers(e).and_then(|a| a.get(qid))
    }

    /// Every section in order: the engagement, each system, each identity.
    pub fn entities(&self) -> Vec<EntityId> {
        let mut out = vec![EntityId::Engagement];
        out.extend(
            self.session
                .systems
                .iter()
                .map(|s| EntityId::System(s.id.clone())),
        );
        out.extend(
            self.session
                .identities
                .iter()
                .map(|i| EntityId::Identity(i.id.clone())),
        );
        out
    }

    /// The visible question indexes of one entity.
    pub fn shown(&self, e: &EntityId) -> Vec<usize> {
        match engine::entity_key(&self.session, e) {
            Some(key) => self.eval.visibility().shown(key),
            None => Vec::new(),
        }
    }

    /// Every visible question of every entity, in asking order.
    pub fn sequence(&self) -> Vec<(EntityId, usize)> {
        // `entities()` lists the engagement, then systems and identities in inventory order:
        // their keys follow from the position (a lookup by id per entity would be quadratic).
        let n_sys = self.session.systems.len();
        self.entities()
            .into_iter()
            .enumerate()
            .flat_map(|(k, e)| {
                let key = match k {
                    0 => EntityKey::Engagement,
                    k if k <= n_sys => EntityKey::System(k - 1),
                    k => EntityKey::Identity(k - 1 - n_sys),
                };
                self.eval
                    .visibility()
                    .shown(key)
                    .into_iter()
                    .map(move |i| (e.clone(), i))
            })
            .collect()
    }

    /// "System 2/5" for a section heading.
    pub fn section_label(&self, e: &EntityId) -> String {
        match e {
            EntityId::Engagement => "Engagement".to_string(),
            EntityId::System(id) => {
                let n = self
                    .session
                    .systems
                    .iter()
                    .position(|s| &s.id == id)
                    .map_or(0, |i| i + 1);
                format!("System {n}/{}", self.session.systems.len())
            }
            EntityId::Identity(id) => {
                let n = self
                    .session
                    .identities
                    .iter()
                    .position(|s| &s.id == id)
                    .map_or(0, |i| i + 1);
                format!("Identity {n}/{}", self.session.identities.len())
            }
        }
    }

    /// The identity's kind as people read it, if answered.
    pub fn identity_kind(&self, q: &Questionnaire, id: &str) -> Option<String> {
        let kq = q.identity_kind_question()?;
        let a = self.answer(&EntityId::Identity(id.to_string()), &kq.id)?;
        Some(a.value.display(kq))
    }
}

pub fn entity_of(r: &EntityRef) -> EntityId {
    match r.kind {
        Scope::Engagement => EntityId::Engagement,
        Scope::System => EntityId::System(r.id.clone()),
        Scope::Identity => EntityId::Identity(r.id.clone()),
    }
}

pub fn key_of(s: &Session, e: &EntityId) -> Option<EntityKey> {
    engine::entity_key(s, e)
}

/// Every decision in the order the recommendation screen lists them.
pub fn all_decisions(r: &Recommendation) -> Vec<&Decision> {
    r.all_decisions().collect()
}

/// One line of a decision's drill-down; lines with a `jump` can be selected.
#[derive(Debug, Clone, PartialEq)]
pub struct DetailLine {
    pub text: String,
    pub indent: u16,
    pub style: LineStyle,
    pub jump: Option<(EntityId, String)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineStyle {
    Heading,
    Rule,
    Plain,
    Trigger,
    Open,
    /// An evidence gap of an identity.
    Gap,
    /// A single answer change that would flip the decision.
    Flip,
}

/// "1 answer", "3 answers".
fn plural(n: usize, noun: &str) -> String {
    format!("{n} {noun}{}", if n == 1 { "" } else { "s" })
}

/// Whose answer a line shows: "Engagement: ", "Payroll engine: " (as the export writes it).
fn who(e: &EntityRef) -> String {
    format!("{}: ", e.name)
}

/// The drill-down of one decision: its rationale, the gaps of an identity, the open questions,
/// and (when computed) what would change it.
pub fn decision_lines(
    r: &Recommendation,
    d: &Decision,
    sens: Option<&Sensitivity>,
) -> Vec<DetailLine> {
    let line = |text: String, indent, style, jump| DetailLine {
        text,
        indent,
        style,
        jump,
    };
    let mut out = vec![line(
        format!("{}: {}", d.title(), wording::outcome_state(d)),
        0,
        LineStyle::Heading,
        None,
    )];
    // Conflicting answers first: they are what to settle while people are in the room.
    for &n in &d.conflicts {
        let Some(c) = r.conflicts.get(n) else {
            continue;
        };
        out.push(line(
            format!("Conflict: {}", c.text),
            0,
            LineStyle::Gap,
            None,
        ));
        for t in &c.answers {
            out.push(line(
                format!("{}{} → {}", who(&t.entity), t.question_text, t.answer),
                2,
                LineStyle::Trigger,
                Some((entity_of(&t.entity), t.question.clone())),
            ));
        }
    }
    if d.rationale.is_empty() && d.exclusions.is_empty() {
        out.push(line(
            "No rule has fired for this decision yet.".into(),
            0,
            LineStyle::Plain,
            None,
        ));
    } else if !d.rationale.is_empty() {
        out.push(line(
            "Why (rules that fired):".into(),
            0,
            LineStyle::Heading,
            None,
        ));
    }
    let mut shown = std::collections::HashSet::new();
    let reasons = d
        .rationale
        .iter()
        .map(|f| (None, f))
        .chain(d.exclusions.iter().flat_map(|x| {
            x.because
                .iter()
                .enumerate()
                .map(move |(i, f)| ((i == 0).then_some(x.what.as_str()), f))
        }));
    for (heading, f) in reasons {
        if let Some(what) = heading {
            out.push(line(
                format!("{}, because:", wording::excluded(what)),
                0,
                LineStyle::Heading,
                None,
            ));
        }
        out.push(line(
            format!("• {}: {}", f.rule, f.rationale),
            1,
            LineStyle::Rule,
            None,
        ));
        if !f.references.is_empty() {
            out.push(line(
                format!("references: {}", f.references.join(", ")),
                3,
                LineStyle::Plain,
                None,
            ));
        }
        // An answer listed under an earlier rule is counted, not repeated (as in the export).
        let mut repeated: Vec<&str> = Vec::new();
        let mut again = 0;
        for t in &f.triggers {
            if !shown.insert((t.entity.kind, t.entity.id.as_str(), t.question.as_str())) {
                again += 1;
                if !repeated.contains(&t.entity.name.as_str()) {
                    repeated.push(&t.entity.name);
                }
                continue;
            }
            out.push(line(
                format!("{}{} → {}", who(&t.entity), t.question_text, t.answer),
                3,
                LineStyle::Trigger,
                Some((entity_of(&t.entity), t.question.clone())),
            ));
        }
        if again > 0 {
            out.push(line(
                format!(
                    "and {again} answer{} shown above ({})",
                    if again == 1 { "" } else { "s" },
                    repeated.join(", ")
                ),
                3,
                LineStyle::Plain,
                None,
            ));
        }
        if !f.also.is_empty() {
            // On large inventories the same rule fires for hundreds of entities: name a few.
            const SHOWN: usize = 5;
            let names: Vec<&str> = f.also.iter().take(SHOWN).map(|e| e.name.as_str()).collect();
            let more = f.also.len().saturating_sub(SHOWN);
            out.push(line(
                format!(
                    "the same rule also fired for {}: {}{}",
                    plural(f.also.len(), "other"),
                    names.join(", "),
                    if more > 0 {
                        format!(" and {more} more")
                    } else {
                        String::new()
                    }
                ),
                3,
                LineStyle::Plain,
                None,
            ));
        }
        if !f.via_systems.is_empty() {
            let names: Vec<&str> = f.via_systems.iter().map(|s| s.name.as_str()).collect();
            out.push(line(
                format!("via systems: {}", names.join(", ")),
                3,
                LineStyle::Plain,
                None,
            ));
        }
    }
    let gaps = match &d.id {
        DecisionId::Identity(id) => r.identities.iter().find(|i| &i.id == id).map(|i| &i.gaps),
        DecisionId::System(id) => r.systems.iter().find(|x| &x.id == id).map(|x| &x.gaps),
        _ => None,
    };
    if let Some(gaps) = gaps.filter(|g| !g.is_empty()) {
        let confirmed = gaps
            .iter()
            .filter(|g| g.status == crate::engine::GapStatus::Confirmed)
            .count();
        out.push(line(
            format!(
                "Evidence: {}:",
                wording::gap_counts(confirmed, gaps.len() - confirmed)
            ),
            0,
            LineStyle::Heading,
            None,
        ));
        for g in gaps {
            let mark = match g.status {
                crate::engine::GapStatus::Confirmed => "!",
                crate::engine::GapStatus::Unverified => "?",
            };
            out.push(line(
                format!("{mark} {}", wording::gap(g)),
                1,
                LineStyle::Gap,
                None,
            ));
            for o in &g.unknown {
                out.push(line(
                    format!("unknown: {}", o.question_text),
                    3,
                    LineStyle::Open,
                    (!o.question.is_empty()).then(|| (entity_of(&o.entity), o.question.clone())),
                ));
            }
            if !g.evidence.is_empty() {
                out.push(line(
                    format!("evidence: {}", g.evidence.join("; ")),
                    3,
                    LineStyle::Plain,
                    None,
                ));
            }
        }
    }
    if !d.open_questions.is_empty() {
        out.push(line(
            "Open questions that could change it:".into(),
            0,
            LineStyle::Heading,
            None,
        ));
        for o in &d.open_questions {
            let who = if o.entity.kind == Scope::Engagement {
                String::new()
            } else {
                format!("{}: ", o.entity.name)
            };
            let text = if o.question.is_empty() {
                o.question_text.clone()
            } else {
                format!("{who}{}", o.question_text)
            };
            let jump = (!o.question.is_empty()).then(|| (entity_of(&o.entity), o.question.clone()));
            out.push(line(format!("? {text}"), 1, LineStyle::Open, jump));
        }
    }
    if let Some(s) = sens {
        out.push(line(
            "What would change this?".into(),
            0,
            LineStyle::Heading,
            None,
        ));
        out.push(line(
            format!(
                "It {}{}",
                wording::rests_on(s.rests_on.len()),
                if s.rests_on.is_empty() { "." } else { ":" }
            ),
            1,
            LineStyle::Plain,
            None,
        ));
        for t in &s.rests_on {
            out.push(line(
                format!("{}{} → {}", who(&t.entity), t.question_text, t.answer),
                2,
                LineStyle::Trigger,
                Some((entity_of(&t.entity), t.question.clone())),
            ));
        }
        if s.flips.is_empty() {
            out.push(line(
                format!(
                    "No single answer change flips it ({} tried{}).",
                    plural(s.tried, "change"),
                    if s.complete { "" } else { ", search cut short" }
                ),
                1,
                LineStyle::Plain,
                None,
            ));
        } else {
            out.push(line(
                format!(
                    "Single answer changes that flip it{}:",
                    if s.complete {
                        String::new()
                    } else {
                        format!(" (first {} changes tried)", s.tried)
                    }
                ),
                1,
                LineStyle::Plain,
                None,
            ));
        }
        for f in &s.flips {
            out.push(line(
                format!(
                    "{}{}: {}",
                    who(&f.entity),
                    f.question_text,
                    wording::flip_sentence(f, |t| t.to_string(), |t| t.to_string())
                ),
                2,
                LineStyle::Flip,
                Some((entity_of(&f.entity), f.question.clone())),
            ));
        }
    }
    out
}

/// A text input: single-line answers and fields, multi-line notes.
pub struct Editor {
    pub target: EditTarget,
    pub title: String,
    pub area: TextArea<'static>,
    pub multiline: bool,
    /// Why the last attempt to commit was refused (e.g. not a number); the text is kept.
    pub error: Option<String>,
}

impl Editor {
    pub fn new(
        target: EditTarget,
        title: impl Into<String>,
        text: &str,
        multiline: bool,
    ) -> Editor {
        let lines: Vec<String> = if text.is_empty() {
            vec![String::new()]
        } else {
            text.lines().map(str::to_string).collect()
        };
        let mut area = TextArea::new(lines);
        area.set_wrap_mode(WrapMode::Word);
        area.move_cursor(ratatui_textarea::CursorMove::Bottom);
        area.move_cursor(ratatui_textarea::CursorMove::End);
        Editor {
            target,
            title: title.into(),
            area,
            multiline,
            error: None,
        }
    }

    pub fn text(&self) -> String {
        self.area.lines().join("\n")
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DetailField {
    Organisation,
    Facilitator,
    Participants,
    Date,
}

pub const DETAIL_FIELDS: [DetailField; 4] = [
    DetailField::Organisation,
    DetailField::Facilitator,
    DetailField::Participants,
    DetailField::Date,
];

impl DetailField {
    pub fn label(&self) -> &'static str {
        match self {
            DetailField::Organisation => "Organisation",
            DetailField::Facilitator => "Facilitator",
            DetailField::Participants => "Participants",
            DetailField::Date => "Date",
        }
    }
    pub fn hint(&self) -> &'static str {
        match self {
            DetailField::Organisation => "the organisation being scoped",
            DetailField::Facilitator => "who runs the workshop",
            DetailField::Participants => "names, separated by commas",
            DetailField::Date => "YYYY-MM-DD",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EditTarget {
    Answer {
        entity: EntityId,
        qid: String,
    },
    Note {
        entity: EntityId,
        qid: String,
    },
    Field(DetailField),
    NewWorkshop,
    OpenPath,
    AddSystem,
    AddIdentity,
    Rename(EntityId),
    Filter(Ctx),
    /// The path of a CSV of identities to import.
    ImportPath,
    /// The path of a session file to compare the workshop with.
    ComparePath,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pending {
    RemoveSystem(String),
    RemoveIdentity(String),
}

pub enum Modal {
    Help {
        scroll: u16,
    },
    Editor(Box<Editor>),
    Confirm {
        message: String,
        on_yes: Pending,
    },
    /// Picks an identity's kind (the identity_kind question's choices).
    Kind {
        identity: String,
        cursor: usize,
    },
    /// Ticks the systems an identity can access.
    Links {
        identity: String,
        cursor: usize,
    },
    /// The dry run of an identity import: nothing changes until it is confirmed.
    Import(Box<ImportPreview>),
    /// "Compare with another session": the saved sessions, then "Open a file…".
    Compare(Box<super::changes::Picker>),
    /// Typed text looked like a secret and was stored redacted: keep it as typed instead?
    Secret(Box<SecretChoice>),
    /// The session is open in another socscope process: open it read-only, or cancel.
    Locked {
        path: PathBuf,
        holder: Option<crate::session::lock::Holder>,
    },
    /// The session file cannot be read but its backup can: restore the backup, or cancel.
    Damaged {
        path: PathBuf,
        /// The error, located (`file:line:col: error: ...`), with its help lines.
        error: String,
        backup: PathBuf,
        /// Where the damaged file is kept if the backup is restored (`FILE.corrupt`).
        aside: PathBuf,
    },
    /// Something went wrong: the whole error and what to do about it, until dismissed.
    Error {
        title: String,
        message: String,
        help: Option<String>,
    },
}

/// Which text of an answer a [`SecretChoice`] is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecretField {
    Answer,
    Note,
}

/// The choice offered after a redaction. `typed` is the text as typed: it lives only here, in
/// memory, until the choice is made (`y` stores it, marked `secret_override`; anything else
/// drops it). No `Debug`, so it cannot end up in a log by accident.
pub struct SecretChoice {
    pub entity: EntityId,
    pub qid: String,
    pub field: SecretField,
    pub typed: String,
    /// What was found, as people read it ("GitHub token").
    pub kinds: String,
    /// What was stored instead (`ghp_…[REDACTED github-token]`).
    pub stored: String,
}

impl SecretChoice {
    pub fn new(
        entity: EntityId,
        qid: String,
        field: SecretField,
        typed: String,
        found: &[crate::secrets::Finding],
    ) -> SecretChoice {
        let mut kinds: Vec<&str> = Vec::new();
        for f in found {
            if !kinds.contains(&f.kind.label()) {
                kinds.push(f.kind.label());
            }
        }
        let stored: Vec<&str> = found.iter().map(|f| f.redacted.as_str()).collect();
        SecretChoice {
            entity,
            qid,
            field,
            typed,
            kinds: kinds.join(", "),
            stored: stored.join(", "),
        }
    }
}

/// What importing a CSV would do, shown before anything changes: the column mapping first,
/// which the facilitator can change, then the dry run, recomputed after every change.
pub struct ImportPreview {
    pub path: PathBuf,
    /// The file's text, read once: each change of mapping recomputes the dry run from it.
    pub csv: String,
    /// The header's columns (empty when the header cannot be read).
    pub columns: Vec<String>,
    /// The first row's cells, to show what each column holds.
    pub sample: Vec<String>,
    /// The column mapping, in the command line's model (`--map COLUMN=FIELD`).
    pub mapping: crate::import::Mapping,
    /// How the columns are read with `mapping`; `None` when the header cannot be read.
    pub resolved: Option<crate::import::ResolvedMapping>,
    /// Leave out the rows that cannot be read (`s`), as `--skip-bad-rows` does.
    pub skip_bad_rows: bool,
    /// Let the file replace answers given live in the workshop (`o`), as `--overwrite` does.
    pub overwrite: bool,
    /// The dry run keeps a live answer the file disagrees with (so `o` would change something).
    pub keeps_live: bool,
    /// Dates are judged against this day: the day the preview opened.
    pub today: chrono::NaiveDate,
    /// The highlighted column.
    pub cursor: usize,
    /// The dry run: what is added or updated, or every row that stops the import.
    pub text: String,
    /// The plan to apply on confirmation; `None` while the file cannot be imported as mapped.
    pub plan: Option<crate::import::ImportPlan>,
    /// Why it cannot be imported yet, and what to do (when `plan` is `None`).
    pub problem: Option<String>,
    /// Some rows are bad but the others could be imported (offered with `s`).
    pub can_skip_bad_rows: bool,
    /// How far the dry run is scrolled.
    pub scroll: u16,
    /// Rows of the dry run seen, and how far it can scroll, as last drawn (the view sets them),
    /// so PgUp/PgDn page by what is on screen.
    pub seen: std::cell::Cell<(u16, u16)>,
    /// The dialog's keys are shown instead of the mapping (`?`).
    pub help: bool,
}

impl ImportPreview {
    /// A preview of importing `csv` (the text of the file at `path`), mapped automatically.
    pub fn new(
        path: PathBuf,
        csv: String,
        today: chrono::NaiveDate,
        q: &Questionnaire,
        s: &Session,
    ) -> ImportPreview {
        let mut p = ImportPreview {
            path,
            sample: crate::import::first_row(&csv),
            csv,
            columns: Vec::new(),
            mapping: crate::import::Mapping::default(),
            resolved: None,
            skip_bad_rows: false,
            overwrite: false,
            keeps_live: false,
            today,
            cursor: 0,
            text: String::new(),
            plan: None,
            problem: None,
            can_skip_bad_rows: false,
            scroll: 0,
            seen: std::cell::Cell::new((10, u16::MAX)),
            help: false,
        };
        p.recompute(q, s);
        p
    }

    /// The file's name: the source recorded on imported answers (`import:FILE`).
    pub fn file_name(&self) -> String {
        self.path.file_name().map_or_else(
            || self.path.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        )
    }

    /// The field the highlighted column feeds (`None`: ignored).
    pub fn field_at(&self, column: usize) -> Option<crate::import::Field> {
        self.resolved
            .as_ref()
            .and_then(|r| r.field_of(column))
            .map(|c| c.field)
    }

    /// Makes the highlighted column feed the next (or previous) field, `None` (ignored)
    /// included. Fields the facilitator chose for another column are skipped, so a choice is
    /// never undone by passing through it; a field only recognised from another column's
    /// header can be taken. Returns the column and what it feeds now.
    pub fn cycle(
        &mut self,
        forward: bool,
        q: &Questionnaire,
        s: &Session,
    ) -> Option<(String, Option<crate::import::Field>)> {
        use crate::import::Field;
        let column = self.columns.get(self.cursor)?.clone();
        let options: Vec<Option<Field>> = std::iter::once(None)
            .chain(Field::ALL.into_iter().map(Some))
            .collect();
        let cursor = self.cursor;
        let chosen_elsewhere = |f: Field| {
            self.resolved.as_ref().is_some_and(|r| {
                r.fields.iter().any(|c| {
                    c.field == f
                        && c.overridden
                        && c.column.as_ref().is_some_and(|(i, _)| *i != cursor)
                })
            })
        };
        let n = options.len();
        let mut at = options
            .iter()
            .position(|o| *o == self.field_at(cursor))
            .unwrap_or(0);
        for _ in 0..n {
            at = if forward {
                (at + 1) % n
            } else {
                (at + n - 1) % n
            };
            if options[at].is_none_or(|f| !chosen_elsewhere(f)) {
                break;
            }
        }
        let field = options[at];
        self.set(&column, field, q, s);
        Some((column, field))
    }

    /// Makes `column` feed `field` (`None`: ignored) and recomputes the dry run.
    pub fn set(
        &mut self,
        column: &str,
        field: Option<crate::import::Field>,
        q: &Questionnaire,
        s: &Session,
    ) {
        self.mapping.set(column, field);
        self.recompute(q, s);
    }

    /// Works out the mapping and the dry run again, from the file's text read at the start.
    pub fn recompute(&mut self, q: &Questionnaire, s: &Session) {
        use crate::import::{self, Field};
        self.plan = None;
        self.problem = None;
        self.can_skip_bad_rows = false;
        self.scroll = 0;
        self.text.clear();
        let file_name = self.file_name();
        self.columns = match import::header(&self.csv) {
            Ok(h) => h,
            Err(m) => {
                self.columns.clear();
                self.resolved = None;
                self.problem = Some(format!("{file_name} cannot be imported: {m}"));
                return;
            }
        };
        self.cursor = self.cursor.min(self.columns.len().saturating_sub(1));
        let resolved = match import::assign(&self.columns, &self.mapping) {
            Ok(r) => r,
            Err(m) => {
                // Not reached from the app's own choices; kept for a mapping given elsewhere.
                self.resolved = None;
                self.problem = Some(m);
                return;
            }
        };
        let has_name = resolved.column(Field::Name).is_some();
        self.resolved = Some(resolved);
        if !has_name {
            self.problem = Some(
                "No column feeds the name yet: highlight the column that holds each identity's \
                 name (↑/↓) and press → until it says name."
                    .into(),
            );
            return;
        }
        let opts = import::Options {
            today: self.today,
            overwrite: self.overwrite,
            skip_bad_rows: self.skip_bad_rows,
        };
        match import::plan(q, s, &file_name, &self.csv, &self.mapping, &opts) {
            Ok(plan) => {
                self.text = import::render_plan_hinting(q, &plan, "o replaces it");
                self.keeps_live = plan.identities.iter().any(|i| {
                    i.answers
                        .iter()
                        .any(|a| matches!(a.action, import::Action::KeepLive { .. }))
                });
                self.plan = Some(plan);
            }
            Err(mut e) => {
                e.file = file_name;
                self.text = e.list();
                let rows = e.bad_rows();
                self.can_skip_bad_rows = rows > 0 && !self.skip_bad_rows;
                self.problem = Some(if rows > 0 {
                    format!(
                        "{rows} row{} cannot be imported: fix {} in the file, map the columns \
                         differently, or press s to preview without {}.",
                        if rows == 1 { "" } else { "s" },
                        if rows == 1 { "it" } else { "them" },
                        if rows == 1 { "it" } else { "them" },
                    )
                } else {
                    e.list().lines().next().unwrap_or_default().to_string()
                });
            }
        }
        if !self.mapping.overrides.is_empty() {
            let args: Vec<String> = self
                .mapping
                .args()
                .iter()
                .map(|a| format!("--map \"{a}\""))
                .collect();
            self.text.push_str(&format!(
                "\nThe same mapping on the command line: {}\n",
                args.join(" ")
            ));
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Pane {
    #[default]
    Systems,
    Identities,
}

#[derive(Default)]
pub struct StartState {
    pub sessions: Vec<SessionInfo>,
    pub cursor: usize,
    pub filter: String,
    /// Why the session list could not be read, if it could not.
    pub error: Option<String>,
}

/// A row of the start screen.
#[derive(Debug, Clone, PartialEq)]
pub enum StartRow {
    New,
    Session(usize),
    OpenFile,
}

impl StartState {
    pub fn rows(&self) -> Vec<StartRow> {
        let needle = self.filter.to_lowercase();
        let mut rows = vec![StartRow::New];
        rows.extend(
            self.sessions
                .iter()
                .enumerate()
                .filter(|(_, s)| {
                    needle.is_empty()
                        || s.organisation.to_lowercase().contains(&needle)
                        || s.path
                            .display()
                            .to_string()
                            .to_lowercase()
                            .contains(&needle)
                })
                .map(|(i, _)| StartRow::Session(i)),
        );
        rows.push(StartRow::OpenFile);
        rows
    }
}

#[derive(Default)]
pub struct InventoryState {
    pub pane: Pane,
    /// Index into the session's systems (not into the filtered list).
    pub system: usize,
    /// Index into the session's identities (not into the filtered list).
    pub identity: usize,
    /// `/` filter on both lists, by name (and kind, for identities).
    pub filter: String,
}

#[derive(Default)]
pub struct QuestionsState {
    /// The focused question: entity and question id.
    pub at: Option<(EntityId, String)>,
    /// Highlighted row of the choice list (the last row is "unknown").
    pub cursor: usize,
    pub help_scroll: u16,
    /// Reached by a jump from a rationale or the review to change one answer: answering stays
    /// here (Esc goes back) instead of moving on.
    pub jumped: bool,
}

#[derive(Default)]
pub struct ListState {
    pub cursor: usize,
    pub filter: String,
}

#[derive(Default)]
pub struct ReviewState {
    pub cursor: usize,
    pub filter: String,
    pub unanswered_only: bool,
}

#[derive(Default)]
pub struct ExportState {
    pub cursor: usize,
    pub written: Vec<PathBuf>,
}

/// One row of the review list.
#[derive(Debug, Clone, PartialEq)]
pub struct ReviewRow {
    pub entity: EntityId,
    pub qidx: usize,
    pub section: String,
    pub question: String,
    pub answer: Option<String>,
    pub has_note: bool,
}

/// A list drawn on screen, for mouse clicks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HitList {
    Start,
    Systems,
    Identities,
    Choices,
    Decisions,
    DecisionLines,
    Review,
    Export,
}

/// Where a list was last drawn: its inner area, first visible item and each item's height.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hit {
    pub list: HitList,
    pub area: ratatui::layout::Rect,
    pub offset: usize,
    pub heights: Vec<u16>,
}

impl Hit {
    /// The item at a screen position, if any.
    pub fn item_at(&self, col: u16, row: u16) -> Option<usize> {
        let a = self.area;
        if col < a.x || col >= a.x + a.width || row < a.y || row >= a.y + a.height {
            return None;
        }
        let mut y = a.y;
        for (i, h) in self.heights.iter().enumerate().skip(self.offset) {
            if row < y + h {
                return Some(i);
            }
            y += h;
        }
        None
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StatusKind {
    Info,
    /// Information about what an answer did (a provider added to the inventory): it outlives
    /// moving on to the next question, as a warning does.
    Notice,
    Error,
}

pub struct App {
    pub q: Questionnaire,
    pub theme: Theme,
    /// Screen stack: jumps push, Esc pops. The bottom is the start screen or a tab.
    pub stack: Vec<Screen>,
    pub modal: Option<Modal>,
    pub work: Option<Workshop>,
    pub start: StartState,
    pub details: usize,
    pub inventory: InventoryState,
    pub questions: QuestionsState,
    pub rec: ListState,
    pub decision_cursor: usize,
    /// The question the drill-down jumped to, so coming back focuses the same line.
    pub decision_target: Option<(EntityId, String)>,
    /// The decision's outcome when the drill-down jumped, to say on return what changed.
    pub decision_outcome: Option<String>,
    /// Every report-level decision's (title, outcome) when the drill-down jumped: on return,
    /// the others that changed are named too.
    pub report_before: Vec<(String, String)>,
    pub review: ReviewState,
    pub export: ExportState,
    pub status: Option<(StatusKind, String)>,
    pub mouse: bool,
    pub quit: bool,
    /// Height of the last drawn list area, for PgUp/PgDn.
    pub page: usize,
    /// The lists of the last frame, for mouse clicks (mouse mode only).
    pub hits: Vec<Hit>,
    /// Where `socscope new --output` asked the next new workshop to be saved.
    pub new_path: Option<PathBuf>,
    /// "Changes since…": the comparison shown, and the hint of an older workshop.
    pub compare: super::changes::CompareState,
    /// Why the last save failed, while it still fails (reported on quit).
    pub last_save_error: Option<crate::workshop::Error>,
}

impl App {
    pub fn new(q: Questionnaire, theme: Theme) -> App {
        App {
            q,
            theme,
            stack: vec![Screen::Start],
            modal: None,
            work: None,
            start: StartState::default(),
            details: 0,
            inventory: InventoryState::default(),
            questions: QuestionsState::default(),
            rec: ListState::default(),
            decision_cursor: 0,
            decision_target: None,
            decision_outcome: None,
            report_before: Vec::new(),
            review: ReviewState::default(),
            export: ExportState::default(),
            status: None,
            mouse: false,
            quit: false,
            page: 10,
            hits: Vec::new(),
            new_path: None,
            compare: Default::default(),
            last_save_error: None,
        }
    }

    pub fn screen(&self) -> &Screen {
        self.stack.last().unwrap_or(&Screen::Start)
    }

    /// Opens a workshop built in memory (tests, benchmarks) on the given screen: each save takes
    /// the session's lock for the write.
    pub fn install(&mut self, session: Session, path: PathBuf, screen: Screen) {
        self.install_leased(session, Lease::per_write(&path), screen);
    }

    /// Opens a workshop read from its file (or just created) on the given screen.
    pub fn install_leased(&mut self, session: Session, lease: Lease, screen: Screen) {
        let w = Workshop::new(&self.q, session, lease);
        self.work = Some(w);
        self.details = 0;
        self.inventory = InventoryState::default();
        self.questions = QuestionsState::default();
        self.rec = ListState::default();
        self.review = ReviewState::default();
        self.export = ExportState::default();
        self.compare = Default::default();
        self.stack = vec![screen];
        self.ensure_question();
    }

    pub fn info(&mut self, msg: impl Into<String>) {
        self.status = Some((StatusKind::Info, msg.into()));
    }

    pub fn notice(&mut self, msg: impl Into<String>) {
        self.status = Some((StatusKind::Notice, msg.into()));
    }

    pub fn error(&mut self, msg: impl Into<String>) {
        self.status = Some((StatusKind::Error, msg.into()));
    }

    /// A problem worth a line in the status bar but no dialog (a backup not kept).
    pub fn error_text(&mut self, msg: impl Into<String>) {
        self.error(msg);
    }

    /// Shows an error whole: its first line in the status bar, and a dialog with the whole
    /// message and its help (unless another dialog is open, which the user is answering).
    pub fn show_error(&mut self, title: &str, e: &crate::workshop::Error) {
        let message = e.to_string();
        let first = message.lines().next().unwrap_or_default().to_string();
        self.error(format!("{title}: {first}"));
        if self.modal.is_none() {
            self.modal = Some(Modal::Error {
                title: title.to_string(),
                message,
                help: e.help(),
            });
        }
    }

    /// The focused question, resolved: entity, question index and the question.
    pub fn current(&self) -> Option<(EntityId, usize, &Question)> {
        let (e, qid) = self.questions.at.as_ref()?;
        let qi = self.q.question_index(qid)?;
        Some((e.clone(), qi, &self.q.questions[qi]))
    }

    /// Keeps the focused question valid after any change: an entity may have been removed or a
    /// question hidden by a changed answer. Moves to the nearest visible question after it.
    pub fn ensure_question(&mut self) {
        let Some(w) = &self.work else { return };
        let seq = w.sequence();
        let valid = match &self.questions.at {
            Some((e, qid)) => seq
                .iter()
                .any(|(se, qi)| se == e && self.q.questions[*qi].id == *qid),
            None => false,
        };
        if valid {
            return;
        }
        let target = match &self.questions.at {
            Some((e, qid)) => {
                let from = self.q.question_index(qid).unwrap_or(0);
                seq.iter()
                    .find(|(se, qi)| se == e && *qi >= from)
                    .or_else(|| seq.iter().rev().find(|(se, _)| se == e))
                    .or_else(|| seq.first())
                    .cloned()
            }
            None => seq.first().cloned(),
        };
        self.questions.at = target.map(|(e, qi)| (e, self.q.questions[qi].id.clone()));
        self.reset_cursor();
    }

    /// Puts the choice cursor on the current answer, and the help back at its top.
    pub fn reset_cursor(&mut self) {
        self.questions.help_scroll = 0;
        self.questions.cursor = 0;
        let Some((e, _, question)) = self.current() else {
            return;
        };
        let Some(w) = &self.work else { return };
        let cursor = match w.answer(&e, &question.id).map(|a| &a.value) {
            Some(Value::Text(id)) if question.kind.is_choice() => {
                question.choices.iter().position(|c| &c.id == id)
            }
            Some(Value::Unknown) if question.kind.is_choice() => Some(question.choices.len()),
            _ => None,
        };
        self.questions.cursor = cursor.unwrap_or(0);
    }

    /// Rows in the choice list of a question: its choices plus "unknown".
    pub fn choice_rows(question: &Question) -> usize {
        if question.kind.is_choice() {
            question.choices.len() + 1
        } else {
            0
        }
    }

    pub fn decisions(&self) -> Vec<&Decision> {
        let Some(w) = &self.work else {
            return Vec::new();
        };
        let needle = self.rec.filter.to_lowercase();
        all_decisions(&w.rec)
            .into_iter()
            .filter(|d| {
                needle.is_empty()
                    || d.title().to_lowercase().contains(&needle)
                    || d.outcome.to_string().to_lowercase().contains(&needle)
            })
            .collect()
    }

    /// The drill-down lines of a decision (with its sensitivity when computed).
    pub fn detail_lines(&self, id: &str) -> Vec<DetailLine> {
        let Some(w) = &self.work else {
            return Vec::new();
        };
        match DecisionId::parse(id).and_then(|d| w.rec.decision(&d)) {
            Some(d) => decision_lines(&w.rec, d, w.cached_sensitivity(id)),
            None => Vec::new(),
        }
    }

    /// Systems shown in the inventory (the filter applied), as session indexes.
    pub fn visible_systems(&self) -> Vec<usize> {
        let Some(w) = &self.work else {
            return Vec::new();
        };
        let needle = self.inventory.filter.to_lowercase();
        w.session
            .systems
            .iter()
            .enumerate()
            .filter(|(_, s)| needle.is_empty() || s.name.to_lowercase().contains(&needle))
            .map(|(i, _)| i)
            .collect()
    }

    /// Identities shown in the inventory (the filter applied), as session indexes.
    pub fn visible_identities(&self) -> Vec<usize> {
        let Some(w) = &self.work else {
            return Vec::new();
        };
        let needle = self.inventory.filter.to_lowercase();
        w.session
            .identities
            .iter()
            .enumerate()
            .filter(|(_, i)| {
                needle.is_empty()
                    || i.name.to_lowercase().contains(&needle)
                    || w.identity_kind(&self.q, &i.id)
                        .is_some_and(|k| k.to_lowercase().contains(&needle))
            })
            .map(|(i, _)| i)
            .collect()
    }

    pub fn decision(&self, id: &str) -> Option<&Decision> {
        self.work.as_ref()?.rec.decision(&DecisionId::parse(id)?)
    }

    pub fn review_rows(&self) -> Vec<ReviewRow> {
        let Some(w) = &self.work else {
            return Vec::new();
        };
        let needle = self.review.filter.to_lowercase();
        w.sequence()
            .into_iter()
            .filter_map(|(e, qi)| {
                let question = &self.q.questions[qi];
                let answer = w.answer(&e, &question.id);
                let section = match &e {
                    EntityId::Engagement => "Engagement".to_string(),
                    other => w.session.entity_name(other),
                };
                let row = ReviewRow {
                    entity: e,
                    qidx: qi,
                    section,
                    question: question.text.clone(),
                    answer: answer.map(|a| a.value.display(question)),
                    has_note: answer.is_some_and(|a| a.note.is_some()),
                };
                let unanswered = matches!(answer.map(|a| &a.value), None | Some(Value::Unknown));
                let keep = (!self.review.unanswered_only || unanswered)
                    && (needle.is_empty()
                        || row.question.to_lowercase().contains(&needle)
                        || row.section.to_lowercase().contains(&needle)
                        || row
                            .answer
                            .as_deref()
                            .is_some_and(|a| a.to_lowercase().contains(&needle)));
                keep.then_some(row)
            })
            .collect()
    }

    /// Whether a kind needs typing rather than picking.
    pub fn is_typed(kind: Kind) -> bool {
        !kind.is_choice()
    }
}
