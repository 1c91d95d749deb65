//! The app state: which screen is showing, the open workshop and what every screen remembers.
//! Nothing here does I/O; `update` changes it and `view` draws it.

use std::path::PathBuf;

use ratatui_textarea::{TextArea, WrapMode};

use crate::engine::{self, Decision, EntityRef, Recommendation, Visibility};
use crate::questionnaire::condition::EntityKey;
use crate::questionnaire::{Kind, Question, Questionnaire, Scope};
use crate::session::store::SessionInfo;
use crate::session::{Answer, EntityId, Session, Value};

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
        }
    }
    /// The tab this screen belongs to.
    pub fn tab(&self) -> Option<usize> {
        let s = match self {
            Screen::Decision(_) => &Screen::Recommendation,
            s => s,
        };
        TABS.iter().position(|t| t == s)
    }
}

/// The open workshop: the session, where it is saved, and what is derived from it.
pub struct Workshop {
    pub session: Session,
    pub path: PathBuf,
    pub rec: Recommendation,
    pub vis: Visibility,
    /// The last save failed: said on screen until a save succeeds.
    pub save_error: Option<String>,
}

impl Workshop {
    pub fn new(q: &Questionnaire, session: Session, path: PathBuf) -> Workshop {
        let rec = engine::recommend(q, &session);
        let vis = engine::visibility(q, &session);
        Workshop {
            session,
            path,
            rec,
            vis,
            save_error: None,
        }
    }

    /// Recomputes the recommendation and visibility after any change to the session.
    pub fn refresh(&mut self, q: &Questionnaire) {
        self.rec = engine::recommend(q, &self.session);
        self.vis = engine::visibility(q, &self.session);
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
            Some(key) => self.vis.shown(key),
            None => Vec::new(),
        }
    }

    /// Every visible question of every entity, in asking order.
    pub fn sequence(&self) -> Vec<(EntityId, usize)> {
        self.entities()
            .into_iter()
            .flat_map(|e| self.shown(&e).into_iter().map(move |i| (e.clone(), i)))
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
    r.decisions
        .iter()
        .chain(r.systems.iter().map(|s| &s.decision))
        .chain(r.identities.iter().map(|i| &i.decision))
        .collect()
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
}

pub fn decision_lines(d: &Decision) -> Vec<DetailLine> {
    let line = |text: String, indent, style, jump| DetailLine {
        text,
        indent,
        style,
        jump,
    };
    let mut out = vec![line(
        format!(
            "{}: {}{}",
            d.title,
            d.outcome,
            if d.provisional { " (provisional)" } else { "" }
        ),
        0,
        LineStyle::Heading,
        None,
    )];
    if d.rationale.is_empty() {
        out.push(line(
            "No rule has fired for this decision yet.".into(),
            0,
            LineStyle::Plain,
            None,
        ));
    } else {
        out.push(line(
            "Why (rules that fired):".into(),
            0,
            LineStyle::Heading,
            None,
        ));
    }
    for f in &d.rationale {
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
        for t in &f.triggers {
            let who = if t.entity.kind == Scope::Engagement {
                String::new()
            } else {
                format!("{}: ", t.entity.name)
            };
            out.push(line(
                format!("{who}{} → {}", t.question_text, t.answer),
                3,
                LineStyle::Trigger,
                Some((entity_of(&t.entity), t.question.clone())),
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
    Answer { entity: EntityId, qid: String },
    Note { entity: EntityId, qid: String },
    Field(DetailField),
    NewWorkshop,
    OpenPath,
    AddSystem,
    AddIdentity,
    Rename(EntityId),
    Filter(Ctx),
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
    pub system: usize,
    pub identity: usize,
}

#[derive(Default)]
pub struct QuestionsState {
    /// The focused question: entity and question id.
    pub at: Option<(EntityId, String)>,
    /// Highlighted row of the choice list (the last row is "unknown").
    pub cursor: usize,
    pub help_scroll: u16,
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

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StatusKind {
    Info,
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
    pub review: ReviewState,
    pub export: ExportState,
    pub status: Option<(StatusKind, String)>,
    pub mouse: bool,
    pub quit: bool,
    /// Height of the last drawn list area, for PgUp/PgDn.
    pub page: usize,
    /// Where `socscope new --output` asked the next new workshop to be saved.
    pub new_path: Option<PathBuf>,
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
            review: ReviewState::default(),
            export: ExportState::default(),
            status: None,
            mouse: false,
            quit: false,
            page: 10,
            new_path: None,
        }
    }

    pub fn screen(&self) -> &Screen {
        self.stack.last().unwrap_or(&Screen::Start)
    }

    /// Opens a workshop (new or resumed) on the given screen.
    pub fn install(&mut self, session: Session, path: PathBuf, screen: Screen) {
        let w = Workshop::new(&self.q, session, path);
        self.work = Some(w);
        self.details = 0;
        self.inventory = InventoryState::default();
        self.questions = QuestionsState::default();
        self.rec = ListState::default();
        self.review = ReviewState::default();
        self.export = ExportState::default();
        self.stack = vec![screen];
        self.ensure_question();
    }

    pub fn info(&mut self, msg: impl Into<String>) {
        self.status = Some((StatusKind::Info, msg.into()));
    }

    pub fn error(&mut self, msg: impl Into<String>) {
        self.status = Some((StatusKind::Error, msg.into()));
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
                    || d.title.to_lowercase().contains(&needle)
                    || d.outcome.to_lowercase().contains(&needle)
            })
            .collect()
    }

    pub fn decision(&self, id: &str) -> Option<&Decision> {
        all_decisions(&self.work.as_ref()?.rec)
            .into_iter()
            .find(|d| d.id == id)
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
