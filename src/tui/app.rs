//! The app state: which screen is showing, which dialog is open, the open workshop, and each
//! screen's own state (kept in its module under `screen/`). Nothing here does I/O; `update`
//! changes it and `view` draws it.
//!
//! Public (for the benchmarks and the integration tests, which drive the app as a user would):
//! [`App`] with its `work`, `questions`, `stack`, `status` and `modal`; [`Screen`]; the dialogs
//! ([`Modal`] and what it holds); the open [`Workshop`]. Everything else is the crate's.

use std::path::PathBuf;

use crate::questionnaire::{Question, Questionnaire};
use crate::session::{EntityId, Session, Value};
use crate::vocab::Kind;
use crate::workshop::Lease;

use super::keymap::Ctx;
use super::theme::Theme;

pub use super::dialog::Modal;
pub use super::dialog::editor::{EditTarget, Editor};
pub use super::dialog::import::ImportPreview;
pub use super::screen::details::DetailField;
pub(crate) use super::screen::questions::QuestionsState;
pub(crate) use super::work::Workshop;

pub(crate) use super::screen::changes::CompareState;
pub(crate) use super::screen::conflicts::ConflictsState;
pub(crate) use super::screen::decision::DecisionState;
pub(crate) use super::screen::export::ExportState;
pub(crate) use super::screen::inventory::{InventoryState, Pane};
pub(crate) use super::screen::recommendation::RecState;
pub(crate) use super::screen::review::ReviewState;
pub(crate) use super::screen::start::StartState;

/// From this many systems and identities a resume draws before its analysis is done.
const DRAW_FIRST_FROM: usize = 1_000;

/// The screens of an open workshop, in Tab order.
pub(crate) const TABS: [Screen; 6] = [
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
    /// What a merge left to settle: each conflict, both versions, pick one or type another.
    Conflicts,
}

impl Screen {
    pub(crate) fn ctx(&self) -> Ctx {
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
            Screen::Conflicts => Ctx::Conflicts,
        }
    }
    pub(crate) fn title(&self) -> &'static str {
        match self {
            Screen::Start => "Start",
            Screen::Details => "Details",
            Screen::Inventory => "Inventory",
            Screen::Questions => "Questions",
            Screen::Recommendation | Screen::Decision(_) => "Recommendation",
            Screen::Review => "Review",
            Screen::Export => "Export",
            Screen::Changes => "Changes",
            Screen::Conflicts => "Conflicts",
        }
    }
    /// The tab this screen belongs to.
    pub(crate) fn tab(&self) -> Option<usize> {
        let s = match self {
            Screen::Decision(_) | Screen::Changes => &Screen::Recommendation,
            s => s,
        };
        TABS.iter().position(|t| t == s)
    }
}

/// A list drawn on screen, for mouse clicks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum HitList {
    Start,
    Systems,
    Identities,
    Choices,
    Decisions,
    DecisionLines,
    Review,
    Export,
}

/// Where a list was last drawn: its inner area, the first item drawn and each drawn item's
/// height.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Hit {
    pub(crate) list: HitList,
    pub(crate) area: ratatui::layout::Rect,
    pub(crate) offset: usize,
    pub(crate) heights: Vec<u16>,
}

impl Hit {
    /// The item at a screen position, if any.
    pub(crate) fn item_at(&self, col: u16, row: u16) -> Option<usize> {
        let a = self.area;
        if col < a.x || col >= a.x + a.width || row < a.y || row >= a.y + a.height {
            return None;
        }
        let mut y = a.y;
        for (i, h) in self.heights.iter().enumerate() {
            if row < y + h {
                return Some(self.offset + i);
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
    pub(crate) q: Questionnaire,
    pub(crate) theme: Theme,
    /// Screen stack: jumps push, Esc pops. The bottom is the start screen or a tab.
    pub stack: Vec<Screen>,
    pub modal: Option<Modal>,
    pub work: Option<Workshop>,
    pub(crate) start: StartState,
    pub(crate) details: super::list::Window,
    pub(crate) inventory: InventoryState,
    pub questions: QuestionsState,
    pub(crate) rec: RecState,
    pub(crate) decision: DecisionState,
    pub(crate) review: ReviewState,
    pub(crate) export: ExportState,
    pub(crate) conflicts: ConflictsState,
    pub status: Option<(StatusKind, String)>,
    pub(crate) mouse: bool,
    pub(crate) quit: bool,
    /// The lists of the last frame, for mouse clicks (mouse mode only).
    pub(crate) hits: Vec<Hit>,
    /// Where `socscope new --output` asked the next new workshop to be saved.
    pub(crate) new_path: Option<PathBuf>,
    /// "Changes since…": the comparison shown, and the hint of an older workshop.
    pub(crate) compare: CompareState,
    /// Why the last save failed, while it still fails (reported on quit).
    pub(crate) last_save_error: Option<crate::workshop::Error>,
    /// A resumed workshop is drawn before its analysis is done, which another thread works
    /// out (`Workshop::pending`): set by the event loop (`tui::run`), which polls for it.
    pub(crate) draw_first: bool,
    /// Tests: holds the analysis of the next resume until told (`Workshop::pending`).
    #[cfg(test)]
    pub(crate) gate: Option<std::sync::mpsc::Receiver<()>>,
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
            details: Default::default(),
            inventory: InventoryState::default(),
            questions: QuestionsState::default(),
            rec: RecState::default(),
            decision: DecisionState::default(),
            review: ReviewState::default(),
            export: ExportState::default(),
            conflicts: ConflictsState::default(),
            status: None,
            mouse: false,
            quit: false,
            hits: Vec::new(),
            new_path: None,
            compare: Default::default(),
            last_save_error: None,
            draw_first: false,
            #[cfg(test)]
            gate: None,
        }
    }

    pub(crate) fn screen(&self) -> &Screen {
        self.stack.last().unwrap_or(&Screen::Start)
    }

    /// Opens a workshop built in memory (tests, benchmarks) on the given screen: each save takes
    /// the session's lock for the write.
    pub fn install(&mut self, session: Session, path: PathBuf, screen: Screen) {
        self.install_leased(session, Lease::per_write(&path), screen);
    }

    /// Opens a workshop read from its file (or just created) on the given screen.
    pub(crate) fn install_leased(&mut self, session: Session, lease: Lease, screen: Screen) {
        let w = Workshop::new(&self.q, session, lease);
        self.install_workshop(w, screen);
    }

    /// Opens a saved workshop to resume it: with `draw_first`, before its analysis is done.
    pub(crate) fn install_resumed(&mut self, session: Session, lease: Lease, screen: Screen) {
        #[cfg(test)]
        let gate = self.gate.take();
        #[cfg(not(test))]
        let gate: Option<std::sync::mpsc::Receiver<()>> = None;
        // A small workshop is analysed in well under a frame: drawn once, with its verdict,
        // rather than a "computing…" that flickers away.
        let small = session.systems.len() + session.identities.len() < DRAW_FIRST_FROM;
        if !self.draw_first || (small && gate.is_none()) {
            return self.install_leased(session, lease, screen);
        }
        let w = Workshop::pending(&self.q, session, lease, gate);
        self.install_workshop(w, screen);
    }

    fn install_workshop(&mut self, w: Workshop, screen: Screen) {
        self.work = Some(w);
        self.details = Default::default();
        self.inventory = InventoryState::default();
        self.questions = QuestionsState::default();
        self.rec = RecState::default();
        self.decision = DecisionState::default();
        self.review = ReviewState::default();
        self.export = ExportState::default();
        self.compare = Default::default();
        self.stack = vec![screen];
        self.ensure_question();
    }

    pub(crate) fn info(&mut self, msg: impl Into<String>) {
        self.status = Some((StatusKind::Info, msg.into()));
    }

    pub(crate) fn notice(&mut self, msg: impl Into<String>) {
        self.status = Some((StatusKind::Notice, msg.into()));
    }

    pub(crate) fn error(&mut self, msg: impl Into<String>) {
        self.status = Some((StatusKind::Error, msg.into()));
    }

    /// A problem worth a line in the status bar but no dialog (a backup not kept).
    pub(crate) fn error_text(&mut self, msg: impl Into<String>) {
        self.error(msg);
    }

    /// Shows an error whole: its first line in the status bar, and a dialog with the whole
    /// message and its help (unless another dialog is open, which the user is answering).
    pub(crate) fn show_error(&mut self, title: &str, e: &crate::workshop::Error) {
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

    /// The keymap context of the screen showing: on a question answered by typing, typing.
    pub(crate) fn ctx(&self) -> Ctx {
        match self.screen() {
            Screen::Questions if self.current().is_some_and(|(_, _, q)| !q.kind.is_choice()) => {
                Ctx::TypedQuestion
            }
            Screen::Questions
                if self
                    .current()
                    .is_some_and(|(_, _, q)| q.kind != Kind::Multi) =>
            {
                Ctx::OneChoiceQuestion
            }
            s => s.ctx(),
        }
    }

    /// Whether the open workshop is read-only.
    pub(crate) fn read_only(&self) -> bool {
        self.work.as_ref().is_some_and(|w| w.read_only())
    }

    /// The focused question, resolved: entity, question index and the question.
    pub(crate) fn current(&self) -> Option<(EntityId, usize, &Question)> {
        let (e, qid) = self.questions.at.as_ref()?;
        let qi = self.q.question_index(qid)?;
        Some((e.clone(), qi, &self.q.questions[qi]))
    }

    /// Keeps the focused question valid after any change: an entity may have been removed or a
    /// question hidden by a changed answer. Moves to the nearest visible question after it.
    pub(crate) fn ensure_question(&mut self) {
        let Some(w) = &self.work else { return };
        let seq = w.sequence();
        // By the entity's section of the sequence: a search of the whole sequence was a pass
        // over 100,000 entries per key at 10,000 identities.
        let valid = match &self.questions.at {
            Some((e, qid)) => self
                .q
                .question_index(qid)
                .is_some_and(|qi| w.position(e, qi).is_some()),
            None => false,
        };
        if valid {
            return;
        }
        let target = match &self.questions.at {
            Some((e, qid)) => {
                let from = self.q.question_index(qid).unwrap_or(0);
                let own = &seq[w.section(e)];
                own.iter()
                    .find(|(_, qi)| *qi >= from)
                    .or_else(|| own.last())
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
        self.questions.help = Default::default();
        self.questions.choices = Default::default();
        self.questions.moved = false;
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
        self.questions.choices.cursor = cursor.unwrap_or(0);
    }

    /// Rows in the choice list of a question: its choices plus "unknown".
    pub(crate) fn choice_rows(question: &Question) -> usize {
        if question.kind.is_choice() {
            question.choices.len() + 1
        } else {
            0
        }
    }
}
