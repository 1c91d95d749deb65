//! The one keymap table. It drives key handling on every screen and in every dialog, the footer
//! hints, the `?` overlay and the keymap documentation (`document()`), so they can never
//! disagree.

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// Where a binding applies: a screen, a dialog, or `Global` (every screen) and `Workshop` (every
/// screen of an open workshop). Dialogs take only their own rows: a letter typed in a dialog
/// never runs a screen's command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ctx {
    Global,
    Workshop,
    Start,
    Details,
    Inventory,
    Questions,
    /// The questions screen on a question answered by typing: letters and digits are text.
    TypedQuestion,
    /// The questions screen on a question with one answer (yes/no, single choice): nothing to
    /// tick, so Space chooses as Enter does and the footer does not offer "toggle".
    OneChoiceQuestion,
    Recommendation,
    Decision,
    Review,
    Export,
    Changes,
    Conflicts,
    // Dialogs
    AnswerBox,
    /// The answer box after a jump from a rationale or the review: saving stays there.
    AnswerBoxStay,
    /// The answer box opened by typing on an answered question: Esc cancels, keeping the answer.
    AnswerBoxReplacing,
    NoteBox,
    FieldBox,
    /// A name or a path: a new workshop, a system or identity, a file to open or import.
    NameBox,
    FilterBox,
    Confirm,
    Secret,
    Locked,
    Damaged,
    Error,
    Help,
    /// The import preview (a dialog over the Inventory): its column mapping and dry run.
    Import,
    Compare,
    Kind,
    Links,
}

/// The dialogs, in the order the documentation lists them.
pub(crate) const DIALOGS: [Ctx; 17] = [
    Ctx::AnswerBox,
    Ctx::AnswerBoxStay,
    Ctx::AnswerBoxReplacing,
    Ctx::NoteBox,
    Ctx::FieldBox,
    Ctx::NameBox,
    Ctx::FilterBox,
    Ctx::Kind,
    Ctx::Links,
    Ctx::Confirm,
    Ctx::Secret,
    Ctx::Locked,
    Ctx::Damaged,
    Ctx::Error,
    Ctx::Import,
    Ctx::Compare,
    Ctx::Help,
];

impl Ctx {
    pub(crate) fn label(self) -> &'static str {
        match self {
            Ctx::Global => "Everywhere",
            Ctx::Workshop => "Any workshop screen",
            Ctx::Start => "Start",
            Ctx::Details => "Workshop details",
            Ctx::Inventory => "Inventory",
            Ctx::Questions => "Questions",
            Ctx::TypedQuestion => "Questions answered by typing",
            Ctx::OneChoiceQuestion => "Questions with one answer (yes/no, single choice)",
            Ctx::Recommendation => "Recommendation",
            Ctx::Decision => "Decision rationale",
            Ctx::Review => "Review",
            Ctx::Export => "Export",
            Ctx::Changes => "Changes since…",
            Ctx::Conflicts => "Merge conflicts",
            Ctx::AnswerBox => "Answer text box",
            Ctx::AnswerBoxStay => "Answer text box after a jump (from a rationale or the review)",
            Ctx::AnswerBoxReplacing => "Answer text box opened by typing over a saved answer",
            Ctx::NoteBox => "Note",
            Ctx::FieldBox => "Workshop detail",
            Ctx::NameBox => "New workshop, add, rename, open a file, import path",
            Ctx::FilterBox => "Filter",
            Ctx::Confirm => "Remove?",
            Ctx::Secret => "Possible secret (after an answer or note was redacted)",
            Ctx::Locked => "Workshop in use (another socscope has it open)",
            Ctx::Damaged => "Damaged session file (its backup is readable)",
            Ctx::Error => "Error",
            Ctx::Help => "Help",
            Ctx::Import => "Import preview",
            Ctx::Compare => "Compare with another session",
            Ctx::Kind => "Identity kind",
            Ctx::Links => "Systems an identity can access",
        }
    }

    /// Dialogs take only their own rows (no `Global` or `Workshop` ones).
    pub(crate) fn is_dialog(self) -> bool {
        DIALOGS.contains(&self)
    }

    /// Where the screen invites typing, every letter and digit is text: only the other keys are
    /// commands there.
    pub(crate) fn takes_typing(self) -> bool {
        self == Ctx::TypedQuestion
    }

    /// The context whose rows also apply here (a typed question has the questions' keys that
    /// typing leaves free).
    fn parent(self) -> Option<Ctx> {
        match self {
            Ctx::TypedQuestion | Ctx::OneChoiceQuestion => Some(Ctx::Questions),
            _ => None,
        }
    }
}

/// Whether a key types a character where the screen takes typing: any printable character
/// but `?`, `[` and `]` (help and the sections, which no answer starts with).
pub(crate) fn types(ev: &KeyEvent) -> Option<char> {
    let KeyCode::Char(c) = ev.code else {
        return None;
    };
    let plain = !ev
        .modifiers
        .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT);
    (plain && c != ' ' && !"?[]".contains(c)).then_some(c)
}

/// The key of each choice, in order: 1-9, then the letters no command on the questions screen
/// (or in the kind picker) uses, so every choice is one key away.
pub(crate) const CHOICE_KEYS: &str = "123456789abcdefiopstwyz";

/// The key shown beside choice `i` (0-based), if it has one.
pub(crate) fn choice_key(i: usize) -> Option<char> {
    CHOICE_KEYS.chars().nth(i)
}

/// The choice (0-based) a key picks.
pub(crate) fn choice_of(c: char) -> Option<usize> {
    CHOICE_KEYS.chars().position(|k| k == c)
}

/// A command, without data. Number keys carry their digit separately (see `action`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cmd {
    Quit,
    Help,
    Back,
    ToggleMouse,
    NextScreen,
    PrevScreen,
    OpenRecommendation,
    OpenReview,
    OpenExport,
    Up,
    Down,
    PageUp,
    PageDown,
    Top,
    Bottom,
    Select,
    Toggle,
    Pick,
    Unknown,
    Note,
    ClearAnswer,
    PrevQuestion,
    NextQuestion,
    NextUnanswered,
    PrevEntity,
    NextEntity,
    Filter,
    UnansweredOnly,
    New,
    OpenFile,
    Add,
    Rename,
    Remove,
    Kind,
    Links,
    Import,
    Left,
    Right,
    /// "Changes since…": compare the workshop with another session.
    Compare,
    /// Write the comparison as Markdown.
    WriteChanges,
    /// Merge conflicts: take this copy's version, or the other copy's.
    TakeOurs,
    TakeTheirs,
    OpenConflicts,
    /// Import preview: the highlighted column feeds no field.
    IgnoreColumn,
    /// Import preview: leave out (or take back) the rows that cannot be read.
    SkipBadRows,
    OverwriteLive,
    // Text boxes
    /// Keep the text and close; an answer goes on to the next question.
    Commit,
    /// Keep the text and close, staying (a name or path not yet used: cancel).
    Close,
    /// Clear the text box back to the start of the line.
    ClearText,
    /// The key is text for the box (documentation rows: typing, Enter in a note).
    Text,
    // Questions in dialogs
    Yes,
    No,
}

/// One key as the table writes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct K {
    pub code: KeyCode,
    pub mods: KeyModifiers,
}

const fn k(c: char) -> K {
    K {
        code: KeyCode::Char(c),
        mods: KeyModifiers::NONE,
    }
}
const fn code(code: KeyCode) -> K {
    K {
        code,
        mods: KeyModifiers::NONE,
    }
}
const fn ctrl(c: char) -> K {
    K {
        code: KeyCode::Char(c),
        mods: KeyModifiers::CONTROL,
    }
}

impl K {
    /// Shift is ignored for characters (the terminal already reports `?` or `G`), and for
    /// BackTab, which some terminals send with Shift and some without.
    pub(crate) fn matches(&self, ev: &KeyEvent) -> bool {
        let mods = match ev.code {
            KeyCode::Char(_) | KeyCode::BackTab => ev.modifiers - KeyModifiers::SHIFT,
            _ => ev.modifiers,
        };
        self.code == ev.code && self.mods == mods
    }
}

pub(crate) struct Binding {
    pub keys: &'static [K],
    /// How the keys are written in hints and help.
    pub label: &'static str,
    pub cmd: Cmd,
    /// Short footer hint; empty to leave the binding out of the footer.
    pub hint: &'static str,
    pub desc: &'static str,
    pub ctx: &'static [Ctx],
}

const CHOICES: &[K] = &[
    k('1'),
    k('2'),
    k('3'),
    k('4'),
    k('5'),
    k('6'),
    k('7'),
    k('8'),
    k('9'),
    k('a'),
    k('b'),
    k('c'),
    k('d'),
    k('e'),
    k('f'),
    k('i'),
    k('o'),
    k('p'),
    k('s'),
    k('t'),
    k('w'),
    k('y'),
    k('z'),
];

const UP: &[K] = &[code(KeyCode::Up), k('k')];
const DOWN: &[K] = &[code(KeyCode::Down), k('j')];
const HOME: &[K] = &[code(KeyCode::Home), k('g')];
const END: &[K] = &[code(KeyCode::End), k('G')];
const ENTER: &[K] = &[code(KeyCode::Enter)];
const ESC: &[K] = &[code(KeyCode::Esc)];
const QUIT: &[K] = &[k('q'), ctrl('c')];

/// A table row.
const fn b(
    keys: &'static [K],
    label: &'static str,
    cmd: Cmd,
    hint: &'static str,
    desc: &'static str,
    ctx: &'static [Ctx],
) -> Binding {
    Binding {
        keys,
        label,
        cmd,
        hint,
        desc,
        ctx,
    }
}

use Ctx::*;

/// Screen-specific bindings come before global ones, so they win when both match.
pub(crate) static KEYMAP: &[Binding] = &[
    // Start
    b(
        ENTER,
        "Enter",
        Cmd::Select,
        "open",
        "Open the selected workshop, or start a new one (one open in another socscope can be opened read-only; a damaged one offers its backup)",
        &[Start],
    ),
    b(
        &[k('n')],
        "n",
        Cmd::New,
        "new",
        "Start a new workshop",
        &[Start],
    ),
    b(
        &[k('o')],
        "o",
        Cmd::OpenFile,
        "open file",
        "Open a session file by path",
        &[Start],
    ),
    b(
        &[k('c')],
        "c",
        Cmd::Compare,
        "compare",
        "Open the highlighted workshop and compare it with another saved session (changes since…)",
        &[Start],
    ),
    // Details
    b(
        ENTER,
        "Enter",
        Cmd::Select,
        "edit",
        "Edit the selected field",
        &[Details],
    ),
    // Inventory
    b(
        ENTER,
        "Enter",
        Cmd::Select,
        "questions",
        "Answer the selected item's questions",
        &[Inventory],
    ),
    b(
        &[k('a')],
        "a",
        Cmd::Add,
        "add",
        "Add a system or identity (to the focused list)",
        &[Inventory],
    ),
    b(
        &[k('e'), code(KeyCode::F(2))],
        "e/F2",
        Cmd::Rename,
        "rename",
        "Rename the selected system or identity",
        &[Inventory],
    ),
    b(
        &[k('d'), code(KeyCode::Delete)],
        "d/Del",
        Cmd::Remove,
        "remove",
        "Remove the selected system or identity (asks first)",
        &[Inventory],
    ),
    b(
        &[k('t')],
        "t",
        Cmd::Kind,
        "kind",
        "Pick the selected identity's kind",
        &[Inventory],
    ),
    b(
        &[k('s')],
        "s",
        Cmd::Links,
        "systems",
        "Link the selected identity to the systems it can access",
        &[Inventory],
    ),
    b(
        &[k('i')],
        "i",
        Cmd::Import,
        "import CSV",
        "Import identities from a CSV (preview first; nothing changes until confirmed)",
        &[Inventory],
    ),
    b(
        &[code(KeyCode::Left), k('h')],
        "←/h",
        Cmd::Left,
        "",
        "Focus the systems list",
        &[Inventory],
    ),
    b(
        &[code(KeyCode::Right), k('l')],
        "→/l",
        Cmd::Right,
        "",
        "Focus the identities list",
        &[Inventory],
    ),
    // Questions
    b(
        ENTER,
        "Enter",
        Cmd::Select,
        "answer",
        "Choose the highlighted answer and go on (an unanswered question highlights no choice until ↑/↓ moves to one; a choice's key answers at once; typed answers: open the text box)",
        &[Questions],
    ),
    // Before the questions' row, so that it wins on a question with one answer.
    b(
        &[k(' ')],
        "Space",
        Cmd::Toggle,
        "",
        "Choose the highlighted answer, as Enter does",
        &[OneChoiceQuestion],
    ),
    b(
        &[k(' ')],
        "Space",
        Cmd::Toggle,
        "toggle",
        "Tick or untick a choice (multiple choice)",
        &[Questions],
    ),
    b(
        CHOICES,
        "1-9",
        Cmd::Pick,
        "pick",
        "Pick the choice with that key, shown beside it: 1-9, then a, b, c… after the ninth",
        &[Questions],
    ),
    b(
        &[k('u'), k('0')],
        "u/0",
        Cmd::Unknown,
        "unknown",
        "Answer \"unknown\" (always allowed; keeps dependent decisions open)",
        &[Questions],
    ),
    b(
        &[k('n'), ctrl('n')],
        "n/C-n",
        Cmd::Note,
        "note",
        "Write a note on this question (multi-line); it never changes the answer",
        &[Questions],
    ),
    b(
        ENTER,
        "Enter",
        Cmd::Select,
        "edit",
        "Open the text box with the answer (Enter in the box saves and goes on; \"u\" alone is unknown)",
        &[TypedQuestion],
    ),
    b(
        &[],
        "type",
        Cmd::Text,
        "answer",
        "Letters, digits and punctuation start the answer: typing never runs a command here (over a saved answer they start a new one, which Esc cancels)",
        &[TypedQuestion],
    ),
    b(
        UP,
        "↑/k",
        Cmd::Up,
        "",
        "Scroll \"why we ask\" up a line (Home: its top)",
        &[TypedQuestion],
    ),
    b(
        DOWN,
        "↓/j",
        Cmd::Down,
        "",
        "Scroll \"why we ask\" down a line (End: its end)",
        &[TypedQuestion],
    ),
    b(
        &[code(KeyCode::Left), k('h')],
        "←/h",
        Cmd::PrevQuestion,
        "prev",
        "Previous question",
        &[Questions],
    ),
    b(
        &[code(KeyCode::Right), k('l')],
        "→/l",
        Cmd::NextQuestion,
        "next",
        "Next question",
        &[Questions],
    ),
    b(
        &[k('N'), ctrl('g')],
        "N/C-g",
        Cmd::NextUnanswered,
        "next open",
        "Go to the next unanswered question, wherever it is (wrapping round; \"unknown\" counts as answered: v then f lists those)",
        &[Questions],
    ),
    b(
        &[k('[')],
        "[",
        Cmd::PrevEntity,
        "",
        "Previous section (engagement, each system, each identity)",
        &[Questions],
    ),
    b(
        &[k(']')],
        "]",
        Cmd::NextEntity,
        "",
        "Next section",
        &[Questions],
    ),
    b(
        &[code(KeyCode::Backspace)],
        "Bksp",
        Cmd::ClearAnswer,
        "",
        "Clear the answer (back to unanswered)",
        &[Questions],
    ),
    b(
        &[code(KeyCode::PageUp)],
        "PgUp",
        Cmd::PageUp,
        "",
        "Scroll the help text up",
        &[Questions],
    ),
    b(
        &[code(KeyCode::PageDown)],
        "PgDn",
        Cmd::PageDown,
        "",
        "Scroll the help text down",
        &[Questions],
    ),
    // Recommendation and decisions
    b(
        ENTER,
        "Enter",
        Cmd::Select,
        "why",
        "Show why: rules fired, triggering answers, evidence gaps, open questions, and what would change it",
        &[Recommendation],
    ),
    b(
        &[k('c')],
        "c",
        Cmd::Compare,
        "compare",
        "Changes since…: compare with another saved session (e.g. last year's) or a file: verdict, inventory, decisions that flipped and the answers behind them",
        &[Recommendation, Changes],
    ),
    b(
        &[k('x')],
        "x",
        Cmd::WriteChanges,
        "write .md",
        "Write the changes as Markdown next to the session file (same name, ending -changes.md)",
        &[Changes],
    ),
    b(
        ENTER,
        "Enter",
        Cmd::Select,
        "go to question",
        "Jump to the highlighted answer, open question or flip to change it (Esc comes back)",
        &[Decision, Review],
    ),
    // Merge conflicts
    b(
        &[k('1')],
        "1",
        Cmd::TakeOurs,
        "ours",
        "Take ours (this copy's version) for the highlighted conflict, and save",
        &[Conflicts],
    ),
    b(
        &[k('2')],
        "2",
        Cmd::TakeTheirs,
        "theirs",
        "Take theirs (the merged-in copy's version) for the highlighted conflict, and save",
        &[Conflicts],
    ),
    b(
        ENTER,
        "Enter",
        Cmd::Select,
        "new answer",
        "Type a new answer for the highlighted conflict (parsed like any typed answer), and save",
        &[Conflicts],
    ),
    // Review
    b(
        &[k('f')],
        "f",
        Cmd::UnansweredOnly,
        "unanswered only",
        "Show only unanswered questions (toggle)",
        &[Review],
    ),
    // Export
    b(
        ENTER,
        "Enter",
        Cmd::Select,
        "write",
        "Write the selected export (full report or evidence plan) next to the session file",
        &[Export],
    ),
    // Lists
    b(
        &[k('/')],
        "/",
        Cmd::Filter,
        "filter",
        "Filter the list by text",
        &[Start, Inventory, Review, Recommendation],
    ),
    b(UP, "↑/k", Cmd::Up, "", "Move up", &[Global]),
    b(DOWN, "↓/j", Cmd::Down, "", "Move down", &[Global]),
    b(
        &[code(KeyCode::PageUp)],
        "PgUp",
        Cmd::PageUp,
        "",
        "Page up",
        &[Global],
    ),
    b(
        &[code(KeyCode::PageDown)],
        "PgDn",
        Cmd::PageDown,
        "",
        "Page down",
        &[Global],
    ),
    b(HOME, "Home/g", Cmd::Top, "", "First item", &[Global]),
    b(END, "End/G", Cmd::Bottom, "", "Last item", &[Global]),
    // Workshop-wide
    b(
        &[code(KeyCode::Tab)],
        "Tab",
        Cmd::NextScreen,
        "screens",
        "Next screen (Details, Inventory, Questions, Recommendation, Review, Export)",
        &[Workshop],
    ),
    b(
        &[code(KeyCode::BackTab)],
        "S-Tab",
        Cmd::PrevScreen,
        "",
        "Previous screen",
        &[Workshop],
    ),
    b(
        &[k('r')],
        "r",
        Cmd::OpenRecommendation,
        "recommendation",
        "Open the full recommendation",
        &[Workshop],
    ),
    b(
        &[k('v')],
        "v",
        Cmd::OpenReview,
        "",
        "Review all answers",
        &[Workshop],
    ),
    b(
        &[k('C')],
        "C",
        Cmd::OpenConflicts,
        "",
        "Merge conflicts a merge left (the workshop opens on them while any is left)",
        &[Workshop],
    ),
    b(
        &[k('x')],
        "x",
        Cmd::OpenExport,
        "",
        "Export the report or the evidence plan (Markdown or JSON)",
        &[Workshop],
    ),
    // Everywhere
    b(
        ESC,
        "Esc",
        Cmd::Back,
        "back",
        "Go back (never discards anything)",
        &[Global],
    ),
    b(
        &[k('?')],
        "?",
        Cmd::Help,
        "help",
        "Show all keys for this screen",
        &[Global, Import],
    ),
    b(
        &[k('m')],
        "m",
        Cmd::ToggleMouse,
        "",
        "Mouse on/off (off lets you select and copy text)",
        &[Global, Import],
    ),
    b(
        &[k('q')],
        "q",
        Cmd::Quit,
        "quit",
        "Quit (everything is already saved)",
        &[Global],
    ),
    b(
        &[ctrl('c')],
        "C-c",
        Cmd::Quit,
        "quit",
        "Quit, also while typing",
        &[Global],
    ),
    // ----- Dialogs ---------------------------------------------------------------------------
    // Text boxes: every other key is text.
    b(
        ENTER,
        "Enter",
        Cmd::Commit,
        "save and go on",
        "Save the answer and go on to the next question",
        &[AnswerBox],
    ),
    b(
        ENTER,
        "Enter",
        Cmd::Commit,
        "save",
        "Save the answer and stay (Esc then goes back to where the jump came from)",
        &[AnswerBoxStay],
    ),
    b(
        ESC,
        "Esc",
        Cmd::Close,
        "save and stay",
        "Save the answer and stay on this question",
        &[AnswerBox],
    ),
    b(
        ESC,
        "Esc",
        Cmd::Close,
        "save",
        "Save the answer and stay on this question",
        &[AnswerBoxStay],
    ),
    b(
        ENTER,
        "Enter",
        Cmd::Commit,
        "save the new answer",
        "Save what is typed in place of the saved answer (then go on, or stay after a jump)",
        &[AnswerBoxReplacing],
    ),
    b(
        ESC,
        "Esc",
        Cmd::Close,
        "cancel, keep the answer",
        "Cancel: the saved answer stays as it was (a key typed by mistake changes nothing)",
        &[AnswerBoxReplacing],
    ),
    b(
        &[ctrl('s')],
        "C-s",
        Cmd::Commit,
        "",
        "Save, as Enter does",
        &[
            AnswerBox,
            AnswerBoxStay,
            AnswerBoxReplacing,
            FieldBox,
            NameBox,
        ],
    ),
    b(
        &[code(KeyCode::Esc), ctrl('s')],
        "Esc/C-s",
        Cmd::Close,
        "keep the note",
        "Keep the note and close it",
        &[NoteBox],
    ),
    b(
        ENTER,
        "Enter",
        Cmd::Text,
        "new line",
        "A new line in the note",
        &[NoteBox],
    ),
    b(
        ENTER,
        "Enter",
        Cmd::Commit,
        "save, next field",
        "Save and type the next field (the last one: save and leave)",
        &[FieldBox],
    ),
    b(
        &[code(KeyCode::Esc), code(KeyCode::Tab)],
        "Esc/Tab",
        Cmd::Close,
        "save, leave",
        "Save the field and leave the boxes",
        &[FieldBox],
    ),
    b(
        ENTER,
        "Enter",
        Cmd::Commit,
        "confirm",
        "Create, add, rename, open or preview with what is typed",
        &[NameBox],
    ),
    b(
        ESC,
        "Esc",
        Cmd::Close,
        "cancel",
        "Cancel (nothing changes)",
        &[NameBox],
    ),
    b(
        &[],
        "type",
        Cmd::Text,
        "filters as you go",
        "The list is filtered as you type",
        &[FilterBox],
    ),
    b(
        &[code(KeyCode::Enter), code(KeyCode::Esc)],
        "Enter/Esc",
        Cmd::Close,
        "done",
        "Keep the filter and close the box",
        &[FilterBox],
    ),
    b(
        &[ctrl('u')],
        "C-u",
        Cmd::ClearText,
        "clear",
        "Clear the text back to the start of the line",
        &[
            AnswerBox,
            AnswerBoxStay,
            AnswerBoxReplacing,
            NoteBox,
            FieldBox,
            NameBox,
            FilterBox,
        ],
    ),
    // The identity's kind, and the systems it can access.
    b(
        &[code(KeyCode::Enter), k(' ')],
        "Enter/Space",
        Cmd::Select,
        "choose",
        "Choose the highlighted kind",
        &[Kind],
    ),
    b(
        CHOICES,
        "1-9",
        Cmd::Pick,
        "pick",
        "Choose the kind with that key, shown beside it",
        &[Kind],
    ),
    b(
        ESC,
        "Esc",
        Cmd::Back,
        "close",
        "Close (nothing changes)",
        &[Kind],
    ),
    b(
        &[k(' ')],
        "Space",
        Cmd::Toggle,
        "tick",
        "Tick or untick the highlighted system",
        &[Links],
    ),
    b(
        ENTER,
        "Enter",
        Cmd::Select,
        "done",
        "Done (ticks the highlighted system first if none is ticked yet)",
        &[Links],
    ),
    b(ESC, "Esc", Cmd::Back, "done", "Done", &[Links]),
    // Questions a dialog asks.
    b(
        &[k('y'), k('Y'), code(KeyCode::Enter)],
        "y",
        Cmd::Yes,
        "remove",
        "Remove it",
        &[Confirm],
    ),
    b(
        &[k('n'), k('N'), code(KeyCode::Esc)],
        "n/Esc",
        Cmd::No,
        "keep",
        "Keep it (nothing changes)",
        &[Confirm],
    ),
    b(
        &[k('y'), k('Y')],
        "y",
        Cmd::Yes,
        "keep as typed",
        "Keep it as typed (saved in the session file, marked `secret_override`; never exported)",
        &[Secret],
    ),
    b(
        &[k('n'), k('N'), code(KeyCode::Enter), code(KeyCode::Esc)],
        "n/Enter/Esc",
        Cmd::No,
        "keep redacted",
        "Keep it redacted",
        &[Secret],
    ),
    b(
        &[k('r'), k('R')],
        "r",
        Cmd::Yes,
        "open read-only",
        "Open it read-only: view, recommendation and export work; changes are refused",
        &[Locked],
    ),
    b(
        &[k('b'), k('B')],
        "b",
        Cmd::Yes,
        "open the backup",
        "Open the backup instead: restored as the session, the damaged file kept untouched as `FILE.corrupt` (as `resume --from-backup`)",
        &[Damaged],
    ),
    b(
        &[code(KeyCode::Esc), k('n'), k('N')],
        "Esc/n",
        Cmd::No,
        "cancel",
        "Cancel (nothing changes)",
        &[Locked, Damaged],
    ),
    b(
        &[code(KeyCode::Enter), code(KeyCode::Esc)],
        "Enter/Esc",
        Cmd::Back,
        "close",
        "Close the message",
        &[Error],
    ),
    // Import preview (the dialog `i` opens)
    b(
        &[k('y'), code(KeyCode::Enter)],
        "y/Enter",
        Cmd::Select,
        "import",
        "Import what the dry run shows, once it has no errors (saved at once)",
        &[Import],
    ),
    b(
        &[k('n'), code(KeyCode::Esc)],
        "n/Esc",
        Cmd::Back,
        "cancel",
        "Cancel the import: nothing changes",
        &[Import],
    ),
    b(
        UP,
        "↑/k",
        Cmd::Up,
        "",
        "Highlight the previous column of the file",
        &[Import],
    ),
    b(
        DOWN,
        "↓/j",
        Cmd::Down,
        "column",
        "Highlight the next column of the file",
        &[Import],
    ),
    b(
        &[code(KeyCode::Right), k('l')],
        "→/l",
        Cmd::Right,
        "field",
        "The highlighted column feeds the next field: name, kind, owner, systems, privilege, last rotated, last reviewed, MFA, or ignored (fields chosen for another column are skipped); the dry run follows",
        &[Import],
    ),
    b(
        &[code(KeyCode::Left), k('h')],
        "←/h",
        Cmd::Left,
        "",
        "The highlighted column feeds the previous field",
        &[Import],
    ),
    b(
        &[code(KeyCode::Backspace), code(KeyCode::Delete)],
        "Bksp/Del",
        Cmd::IgnoreColumn,
        "ignore",
        "Ignore the highlighted column (it feeds no field)",
        &[Import],
    ),
    b(
        &[k('o')],
        "o",
        Cmd::OverwriteLive,
        "replace live answers",
        "Let the file replace answers given in the workshop (again: keep them)",
        &[Import],
    ),
    b(
        &[k('s')],
        "s",
        Cmd::SkipBadRows,
        "skip bad rows",
        "Preview without the rows that cannot be read (again: with them)",
        &[Import],
    ),
    b(
        &[code(KeyCode::PageUp)],
        "PgUp",
        Cmd::PageUp,
        "",
        "Scroll the dry run up",
        &[Import],
    ),
    b(
        &[code(KeyCode::PageDown)],
        "PgDn",
        Cmd::PageDown,
        "scroll",
        "Scroll the dry run down",
        &[Import],
    ),
    // Compare with another session
    b(
        ENTER,
        "Enter",
        Cmd::Select,
        "compare",
        "Compare with the highlighted session (the same organisation's come first)",
        &[Compare],
    ),
    b(
        &[k('o')],
        "o",
        Cmd::OpenFile,
        "a file by path",
        "Compare with a session file, by path",
        &[Compare],
    ),
    b(
        ESC,
        "Esc",
        Cmd::Back,
        "close",
        "Close (nothing compared)",
        &[Compare],
    ),
    // Help
    b(
        &[code(KeyCode::Esc), k('?'), code(KeyCode::Enter)],
        "Esc/?",
        Cmd::Back,
        "close",
        "Close the list of keys",
        &[Help],
    ),
    // Moving in dialogs with a list or a text.
    b(
        &[],
        "↑/↓ PgUp/PgDn",
        Cmd::Down,
        "scroll",
        "Scroll the list of keys",
        &[Help],
    ),
    b(
        UP,
        "↑/k",
        Cmd::Up,
        "",
        "Move or scroll up",
        &[Compare, Kind, Links, Help],
    ),
    b(
        DOWN,
        "↓/j",
        Cmd::Down,
        "",
        "Move or scroll down",
        &[Compare, Kind, Links, Help],
    ),
    b(
        &[code(KeyCode::PageUp)],
        "PgUp",
        Cmd::PageUp,
        "",
        "Page up",
        &[Compare, Links, Help],
    ),
    b(
        &[code(KeyCode::PageDown)],
        "PgDn",
        Cmd::PageDown,
        "",
        "Page down",
        &[Compare, Links, Help],
    ),
    b(
        HOME,
        "Home/g",
        Cmd::Top,
        "",
        "First",
        &[Compare, Kind, Links, Import],
    ),
    b(
        END,
        "End/G",
        Cmd::Bottom,
        "",
        "Last",
        &[Compare, Kind, Links, Import],
    ),
    b(
        QUIT,
        "q/C-c",
        Cmd::Quit,
        "quit",
        "Quit (everything is already saved)",
        &[Locked, Damaged, Error, Help, Import, Compare, Kind, Links],
    ),
];

fn applies(b: &Binding, ctx: Ctx, in_workshop: bool) -> bool {
    if ctx.takes_typing()
        && !b.keys.is_empty()
        && b.keys.iter().all(|k| {
            k.code == KeyCode::Char(' ') || types(&KeyEvent::new(k.code, k.mods)).is_some()
        })
    {
        // Every key of it types text here.
        return false;
    }
    b.ctx.iter().any(|c| {
        *c == ctx
            || Some(*c) == ctx.parent()
            || (!ctx.is_dialog() && (*c == Global || (*c == Workshop && in_workshop)))
    })
}

/// The binding for a key on a screen or in a dialog: the most specific rows first (table
/// order).
pub(crate) fn lookup(ev: &KeyEvent, ctx: Ctx, in_workshop: bool) -> Option<&'static Binding> {
    KEYMAP
        .iter()
        .find(|b| applies(b, ctx, in_workshop) && b.keys.iter().any(|key| key.matches(ev)))
}

/// Bindings that apply on a screen or in a dialog, most specific first: for the `?` overlay.
pub(crate) fn bindings_for(ctx: Ctx, in_workshop: bool) -> Vec<&'static Binding> {
    let parent = ctx.parent();
    let specific = KEYMAP.iter().filter(|b| b.ctx.contains(&ctx)).chain(
        KEYMAP
            .iter()
            .filter(|b| parent.is_some_and(|p| b.ctx.contains(&p))),
    );
    let general = !ctx.is_dialog();
    let workshop = KEYMAP
        .iter()
        .filter(|b| general && in_workshop && b.ctx.contains(&Workshop));
    let global = KEYMAP.iter().filter(|b| general && b.ctx.contains(&Global));
    let mut out: Vec<&'static Binding> = Vec::new();
    for b in specific.chain(workshop).chain(global) {
        // A general binding hidden by a more specific one for the same key is left out, and so
        // is one whose keys all type text here.
        let shadowed = out
            .iter()
            .any(|o| std::ptr::eq(*o, b) || o.keys.iter().any(|k| b.keys.contains(k)))
            || (ctx.takes_typing() && !applies(b, ctx, in_workshop) && !b.keys.is_empty());
        if !shadowed {
            out.push(b);
        }
    }
    out
}

/// How a binding's keys are written in `ctx`: where the screen takes typing, the keys that type
/// text are left out ("←/h" is "←" on a typed question).
pub(crate) fn label(b: &'static Binding, ctx: Ctx) -> &'static str {
    if !ctx.takes_typing() {
        return b.label;
    }
    let typed = |part: &str| {
        let mut c = part.chars();
        matches!((c.next(), c.next()), (Some(ch), None) if ch.is_ascii_graphic() && !"?[]".contains(ch))
    };
    let mut s = b.label;
    while let Some((first, rest)) = s.split_once('/')
        && typed(first)
    {
        s = rest;
    }
    while let Some((rest, last)) = s.rsplit_once('/')
        && typed(last)
    {
        s = rest;
    }
    s
}

/// Footer hints (key, hint) from bindings, in order, one per command.
pub(crate) fn hints_of(
    ctx: Ctx,
    bindings: Vec<&'static Binding>,
) -> Vec<(&'static str, &'static str)> {
    let mut seen: Vec<Cmd> = Vec::new();
    bindings
        .into_iter()
        .filter(|b| !b.hint.is_empty())
        .filter(|b| {
            let fresh = !seen.contains(&b.cmd);
            seen.push(b.cmd);
            fresh
        })
        .map(|b| (label(b, ctx), b.hint))
        .collect()
}

/// Some of a screen's keys as one line of hints, in the order given: "Enter questions · t
/// kind" (for a line that says what can be done with the item shown).
pub(crate) fn say(ctx: Ctx, in_workshop: bool, cmds: &[Cmd]) -> String {
    let bindings = bindings_for(ctx, in_workshop);
    cmds.iter()
        .filter_map(|c| bindings.iter().find(|b| b.cmd == *c && !b.hint.is_empty()))
        .map(|b| format!("{} {}", label(b, ctx), b.hint))
        .collect::<Vec<_>>()
        .join(" · ")
}

/// Footer hints (key, hint) for a screen or dialog, in the same order as the overlay.
pub(crate) fn hints(ctx: Ctx, in_workshop: bool) -> Vec<(&'static str, &'static str)> {
    hints_of(ctx, bindings_for(ctx, in_workshop))
}

/// The screens' keys as a Markdown table, for the docs.
#[cfg(test)]
pub(crate) fn markdown() -> String {
    let mut out = String::from("| Key | Action | Screens |\n|---|---|---|\n");
    for b in KEYMAP {
        let screens: Vec<&str> = b
            .ctx
            .iter()
            .filter(|c| !c.is_dialog())
            .map(|c| c.label())
            .collect();
        if screens.is_empty() {
            continue;
        }
        out.push_str(&format!(
            "| `{}` | {} | {} |\n",
            b.label,
            b.desc,
            screens.join(", ")
        ));
    }
    out
}

/// The dialogs' keys, one row per dialog, from the same table.
#[cfg(test)]
fn dialogs_markdown() -> String {
    let mut out = String::from("| Dialog | Keys |\n|---|---|\n");
    for ctx in DIALOGS {
        let keys: Vec<String> = bindings_for(ctx, true)
            .into_iter()
            .map(|b| format!("`{}` {}", b.label, lower_first(b.desc)))
            .collect();
        out.push_str(&format!("| {} | {} |\n", ctx.label(), keys.join(" · ")));
    }
    out
}

#[cfg(test)]
fn lower_first(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_lowercase().chain(c).collect(),
        None => String::new(),
    }
}

/// The whole of `docs/keys.md`: generated, and checked by a test so the docs cannot drift.
#[cfg(test)]
pub(crate) fn document() -> String {
    let mut out = String::from(
        "# Keys of the workshop app\n\n\
         <!-- Generated from src/tui/keymap.rs by `keymap::document()`. Do not edit by hand:\n\
         run `UPDATE_KEYS_DOC=1 cargo test --lib keys_doc` to regenerate. -->\n\n\
         One table drives the keys, the footer hints, the `?` overlay and this page, on every\n\
         screen and in every dialog. Keys for a screen come first; a key listed for\n\
         \"Everywhere\" works on every screen unless the screen gives it another meaning.\n\
         Dialogs take only their own keys.\n\n",
    );
    out.push_str(&markdown());
    out.push_str(
        "\n## Typing answers\n\n\
         On a question answered by typing (text, number, date), typing starts the answer: digits,\n\
         capital letters, punctuation and letters without a binding open the text box with that\n\
         character, so `14` or `Payroll for...` is never taken as commands. Lower-case letters\n\
         with a binding (`u` unknown, `n` note, `r` recommendation, `v` review...) keep their\n\
         meaning, so the keys below work on every question; Enter opens the box with the current\n\
         answer.\n\
         \n## In dialogs\n\n",
    );
    out.push_str(&dialogs_markdown());
    out.push_str(
        "\n## Read-only workshops\n\n\
         Opened with `socscope resume FILE --read-only`, or with `r` when another socscope has it\n\
         open: the header shows READ-ONLY. Moving around, filters, the recommendation, review,\n\
         compare and export work; every key that would change the workshop is refused with a\n\
         message, and nothing is saved.\n",
    );
    out
}
