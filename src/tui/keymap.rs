//! The one keymap table. It drives key handling, the footer hints, the `?` overlay and the
//! keymap documentation (`markdown()`), so they can never disagree.

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// Where a binding applies. `Global` is everywhere; `Workshop` is every screen of an open
/// workshop (not the start screen).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ctx {
    Global,
    Workshop,
    Start,
    Details,
    Inventory,
    Questions,
    Recommendation,
    Decision,
    Review,
    Export,
    Changes,
    /// The import preview (a dialog over the Inventory): its column mapping and dry run.
    Import,
}

impl Ctx {
    pub fn label(self) -> &'static str {
        match self {
            Ctx::Global => "Everywhere",
            Ctx::Workshop => "Any workshop screen",
            Ctx::Start => "Start",
            Ctx::Details => "Workshop details",
            Ctx::Inventory => "Inventory",
            Ctx::Questions => "Questions",
            Ctx::Recommendation => "Recommendation",
            Ctx::Decision => "Decision rationale",
            Ctx::Review => "Review",
            Ctx::Export => "Export",
            Ctx::Changes => "Changes since…",
            Ctx::Import => "Import preview",
        }
    }
}

/// A command, without data. Number keys carry their digit separately (see `input`).
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
    /// Import preview: the highlighted column feeds no field.
    IgnoreColumn,
    /// Import preview: leave out (or take back) the rows that cannot be read.
    SkipBadRows,
    OverwriteLive,
}

/// One key as the table writes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct K {
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
    pub fn matches(&self, ev: &KeyEvent) -> bool {
        let mods = match ev.code {
            KeyCode::Char(_) | KeyCode::BackTab => ev.modifiers - KeyModifiers::SHIFT,
            _ => ev.modifiers,
        };
        self.code == ev.code && self.mods == mods
    }
}

pub struct Binding {
    pub keys: &'static [K],
    /// How the keys are written in hints and help.
    pub label: &'static str,
    pub cmd: Cmd,
    /// Short footer hint; empty to leave the binding out of the footer.
    pub hint: &'static str,
    pub desc: &'static str,
    pub ctx: &'static [Ctx],
}

const DIGITS: &[K] = &[
    k('1'),
    k('2'),
    k('3'),
    k('4'),
    k('5'),
    k('6'),
    k('7'),
    k('8'),
    k('9'),
];

use Ctx::*;

/// Screen-specific bindings come before global ones, so they win when both match.
pub static KEYMAP: &[Binding] = &[
    // Start
    Binding {
        keys: &[code(KeyCode::Enter)],
        label: "Enter",
        cmd: Cmd::Select,
        hint: "open",
        desc: "Open the selected workshop, or start a new one (one open in another socscope can be opened read-only; a damaged one offers its backup)",
        ctx: &[Start],
    },
    Binding {
        keys: &[k('n')],
        label: "n",
        cmd: Cmd::New,
        hint: "new",
        desc: "Start a new workshop",
        ctx: &[Start],
    },
    Binding {
        keys: &[k('o')],
        label: "o",
        cmd: Cmd::OpenFile,
        hint: "open file",
        desc: "Open a session file by path",
        ctx: &[Start],
    },
    Binding {
        keys: &[k('c')],
        label: "c",
        cmd: Cmd::Compare,
        hint: "compare",
        desc: "Open the highlighted workshop and compare it with another saved session (changes since…)",
        ctx: &[Start],
    },
    // Details
    Binding {
        keys: &[code(KeyCode::Enter)],
        label: "Enter",
        cmd: Cmd::Select,
        hint: "edit",
        desc: "Edit the selected field",
        ctx: &[Details],
    },
    // Inventory
    Binding {
        keys: &[code(KeyCode::Enter)],
        label: "Enter",
        cmd: Cmd::Select,
        hint: "questions",
        desc: "Answer the selected item's questions",
        ctx: &[Inventory],
    },
    Binding {
        keys: &[k('a')],
        label: "a",
        cmd: Cmd::Add,
        hint: "add",
        desc: "Add a system or identity (to the focused list)",
        ctx: &[Inventory],
    },
    Binding {
        keys: &[k('e'), code(KeyCode::F(2))],
        label: "e/F2",
        cmd: Cmd::Rename,
        hint: "",
        desc: "Rename the selected system or identity",
        ctx: &[Inventory],
    },
    Binding {
        keys: &[k('d'), code(KeyCode::Delete)],
        label: "d/Del",
        cmd: Cmd::Remove,
        hint: "",
        desc: "Remove the selected system or identity (asks first)",
        ctx: &[Inventory],
    },
    Binding {
        keys: &[k('t')],
        label: "t",
        cmd: Cmd::Kind,
        hint: "kind",
        desc: "Pick the selected identity's kind",
        ctx: &[Inventory],
    },
    Binding {
        keys: &[k('s')],
        label: "s",
        cmd: Cmd::Links,
        hint: "systems",
        desc: "Link the selected identity to the systems it can access",
        ctx: &[Inventory],
    },
    Binding {
        keys: &[k('i')],
        label: "i",
        cmd: Cmd::Import,
        hint: "import CSV",
        desc: "Import identities from a CSV (preview first; nothing changes until confirmed)",
        ctx: &[Inventory],
    },
    Binding {
        keys: &[code(KeyCode::Left), k('h')],
        label: "←/h",
        cmd: Cmd::Left,
        hint: "",
        desc: "Focus the systems list",
        ctx: &[Inventory],
    },
    Binding {
        keys: &[code(KeyCode::Right), k('l')],
        label: "→/l",
        cmd: Cmd::Right,
        hint: "",
        desc: "Focus the identities list",
        ctx: &[Inventory],
    },
    // Import preview (the dialog `i` opens)
    Binding {
        keys: &[k('y'), code(KeyCode::Enter)],
        label: "y/Enter",
        cmd: Cmd::Select,
        hint: "import",
        desc: "Import what the dry run shows, once it has no errors (saved at once)",
        ctx: &[Import],
    },
    Binding {
        keys: &[k('n'), code(KeyCode::Esc)],
        label: "n/Esc",
        cmd: Cmd::Back,
        hint: "cancel",
        desc: "Cancel the import: nothing changes",
        ctx: &[Import],
    },
    Binding {
        keys: &[code(KeyCode::Up), k('k')],
        label: "↑/k",
        cmd: Cmd::Up,
        hint: "",
        desc: "Highlight the previous column of the file",
        ctx: &[Import],
    },
    Binding {
        keys: &[code(KeyCode::Down), k('j')],
        label: "↓/j",
        cmd: Cmd::Down,
        hint: "column",
        desc: "Highlight the next column of the file",
        ctx: &[Import],
    },
    Binding {
        keys: &[code(KeyCode::Right), k('l')],
        label: "→/l",
        cmd: Cmd::Right,
        hint: "field",
        desc: "The highlighted column feeds the next field: name, kind, owner, systems, privilege, last rotated, last reviewed, MFA, or ignored (fields chosen for another column are skipped); the dry run follows",
        ctx: &[Import],
    },
    Binding {
        keys: &[code(KeyCode::Left), k('h')],
        label: "←/h",
        cmd: Cmd::Left,
        hint: "",
        desc: "The highlighted column feeds the previous field",
        ctx: &[Import],
    },
    Binding {
        keys: &[code(KeyCode::Backspace), code(KeyCode::Delete)],
        label: "Bksp/Del",
        cmd: Cmd::IgnoreColumn,
        hint: "ignore",
        desc: "Ignore the highlighted column (it feeds no field)",
        ctx: &[Import],
    },
    Binding {
        keys: &[k('o')],
        label: "o",
        cmd: Cmd::OverwriteLive,
        hint: "replace live answers",
        desc: "Let the file replace answers given in the workshop (again: keep them)",
        ctx: &[Import],
    },
    Binding {
        keys: &[k('s')],
        label: "s",
        cmd: Cmd::SkipBadRows,
        hint: "skip bad rows",
        desc: "Preview without the rows that cannot be read (again: with them)",
        ctx: &[Import],
    },
    Binding {
        keys: &[code(KeyCode::PageUp)],
        label: "PgUp",
        cmd: Cmd::PageUp,
        hint: "",
        desc: "Scroll the dry run up",
        ctx: &[Import],
    },
    Binding {
        keys: &[code(KeyCode::PageDown)],
        label: "PgDn",
        cmd: Cmd::PageDown,
        hint: "scroll",
        desc: "Scroll the dry run down",
        ctx: &[Import],
    },
    // Questions
    Binding {
        keys: &[code(KeyCode::Enter)],
        label: "Enter",
        cmd: Cmd::Select,
        hint: "answer",
        desc: "Choose the highlighted answer and go on (typed answers: open the text box)",
        ctx: &[Questions],
    },
    Binding {
        keys: &[k(' ')],
        label: "Space",
        cmd: Cmd::Toggle,
        hint: "toggle",
        desc: "Tick or untick a choice (multiple choice); choose (single choice)",
        ctx: &[Questions],
    },
    Binding {
        keys: DIGITS,
        label: "1-9",
        cmd: Cmd::Pick,
        hint: "pick",
        desc: "Pick choice number N directly",
        ctx: &[Questions],
    },
    Binding {
        keys: &[k('u'), k('0')],
        label: "u/0",
        cmd: Cmd::Unknown,
        hint: "unknown",
        desc: "Answer \"unknown\" (always allowed; keeps dependent decisions open)",
        ctx: &[Questions],
    },
    Binding {
        keys: &[k('n')],
        label: "n",
        cmd: Cmd::Note,
        hint: "note",
        desc: "Write a note on this answer (multi-line)",
        ctx: &[Questions],
    },
    Binding {
        keys: &[code(KeyCode::Left), k('h')],
        label: "←/h",
        cmd: Cmd::PrevQuestion,
        hint: "prev",
        desc: "Previous question",
        ctx: &[Questions],
    },
    Binding {
        keys: &[code(KeyCode::Right), k('l')],
        label: "→/l",
        cmd: Cmd::NextQuestion,
        hint: "next",
        desc: "Next question",
        ctx: &[Questions],
    },
    Binding {
        keys: &[k('[')],
        label: "[",
        cmd: Cmd::PrevEntity,
        hint: "",
        desc: "Previous section (engagement, each system, each identity)",
        ctx: &[Questions],
    },
    Binding {
        keys: &[k(']')],
        label: "]",
        cmd: Cmd::NextEntity,
        hint: "",
        desc: "Next section",
        ctx: &[Questions],
    },
    Binding {
        keys: &[code(KeyCode::Backspace)],
        label: "Bksp",
        cmd: Cmd::ClearAnswer,
        hint: "",
        desc: "Clear the answer (back to unanswered)",
        ctx: &[Questions],
    },
    Binding {
        keys: &[code(KeyCode::PageUp)],
        label: "PgUp",
        cmd: Cmd::PageUp,
        hint: "",
        desc: "Scroll the help text up",
        ctx: &[Questions],
    },
    Binding {
        keys: &[code(KeyCode::PageDown)],
        label: "PgDn",
        cmd: Cmd::PageDown,
        hint: "",
        desc: "Scroll the help text down",
        ctx: &[Questions],
    },
    // Recommendation and decisions
    Binding {
        keys: &[code(KeyCode::Enter)],
        label: "Enter",
        cmd: Cmd::Select,
        hint: "why",
        desc: "Show why: rules fired, triggering answers, evidence gaps, open questions, and what would change it",
        ctx: &[Recommendation],
    },
    Binding {
        keys: &[k('c')],
        label: "c",
        cmd: Cmd::Compare,
        hint: "compare",
        desc: "Changes since…: compare with another saved session (e.g. last year's) or a file: verdict, inventory, decisions that flipped and the answers behind them",
        ctx: &[Recommendation, Changes],
    },
    Binding {
        keys: &[k('x')],
        label: "x",
        cmd: Cmd::WriteChanges,
        hint: "write .md",
        desc: "Write the changes as Markdown next to the session file (same name, ending -changes.md)",
        ctx: &[Changes],
    },
    Binding {
        keys: &[code(KeyCode::Enter)],
        label: "Enter",
        cmd: Cmd::Select,
        hint: "go to question",
        desc: "Jump to the highlighted answer, open question or flip to change it (Esc comes back)",
        ctx: &[Decision, Review],
    },
    // Review
    Binding {
        keys: &[k('f')],
        label: "f",
        cmd: Cmd::UnansweredOnly,
        hint: "unanswered only",
        desc: "Show only unanswered questions (toggle)",
        ctx: &[Review],
    },
    // Export
    Binding {
        keys: &[code(KeyCode::Enter)],
        label: "Enter",
        cmd: Cmd::Select,
        hint: "write",
        desc: "Write the selected export (full report or evidence plan) next to the session file",
        ctx: &[Export],
    },
    // Lists
    Binding {
        keys: &[k('/')],
        label: "/",
        cmd: Cmd::Filter,
        hint: "filter",
        desc: "Filter the list by text",
        ctx: &[Start, Inventory, Review, Recommendation],
    },
    Binding {
        keys: &[code(KeyCode::Up), k('k')],
        label: "↑/k",
        cmd: Cmd::Up,
        hint: "",
        desc: "Move up",
        ctx: &[Global],
    },
    Binding {
        keys: &[code(KeyCode::Down), k('j')],
        label: "↓/j",
        cmd: Cmd::Down,
        hint: "",
        desc: "Move down",
        ctx: &[Global],
    },
    Binding {
        keys: &[code(KeyCode::PageUp)],
        label: "PgUp",
        cmd: Cmd::PageUp,
        hint: "",
        desc: "Page up",
        ctx: &[Global],
    },
    Binding {
        keys: &[code(KeyCode::PageDown)],
        label: "PgDn",
        cmd: Cmd::PageDown,
        hint: "",
        desc: "Page down",
        ctx: &[Global],
    },
    Binding {
        keys: &[code(KeyCode::Home), k('g')],
        label: "Home/g",
        cmd: Cmd::Top,
        hint: "",
        desc: "First item",
        ctx: &[Global],
    },
    Binding {
        keys: &[code(KeyCode::End), k('G')],
        label: "End/G",
        cmd: Cmd::Bottom,
        hint: "",
        desc: "Last item",
        ctx: &[Global],
    },
    // Workshop-wide
    Binding {
        keys: &[code(KeyCode::Tab)],
        label: "Tab",
        cmd: Cmd::NextScreen,
        hint: "screens",
        desc: "Next screen (Details, Inventory, Questions, Recommendation, Review, Export)",
        ctx: &[Workshop],
    },
    Binding {
        keys: &[code(KeyCode::BackTab)],
        label: "S-Tab",
        cmd: Cmd::PrevScreen,
        hint: "",
        desc: "Previous screen",
        ctx: &[Workshop],
    },
    Binding {
        keys: &[k('r')],
        label: "r",
        cmd: Cmd::OpenRecommendation,
        hint: "recommendation",
        desc: "Open the full recommendation",
        ctx: &[Workshop],
    },
    Binding {
        keys: &[k('v')],
        label: "v",
        cmd: Cmd::OpenReview,
        hint: "",
        desc: "Review all answers",
        ctx: &[Workshop],
    },
    Binding {
        keys: &[k('x')],
        label: "x",
        cmd: Cmd::OpenExport,
        hint: "",
        desc: "Export the report or the evidence plan (Markdown or JSON)",
        ctx: &[Workshop],
    },
    // Everywhere
    Binding {
        keys: &[code(KeyCode::Esc)],
        label: "Esc",
        cmd: Cmd::Back,
        hint: "back",
        desc: "Go back (never discards anything)",
        ctx: &[Global],
    },
    Binding {
        keys: &[k('?')],
        label: "?",
        cmd: Cmd::Help,
        hint: "help",
        desc: "Show all keys for this screen",
        ctx: &[Global],
    },
    Binding {
        keys: &[k('m')],
        label: "m",
        cmd: Cmd::ToggleMouse,
        hint: "",
        desc: "Mouse on/off (off lets you select and copy text)",
        ctx: &[Global],
    },
    Binding {
        keys: &[k('q'), ctrl('c')],
        label: "q/C-c",
        cmd: Cmd::Quit,
        hint: "quit",
        desc: "Quit (everything is already saved)",
        ctx: &[Global],
    },
];

fn applies(b: &Binding, ctx: Ctx, in_workshop: bool) -> bool {
    b.ctx
        .iter()
        .any(|c| *c == ctx || *c == Global || (*c == Workshop && in_workshop))
}

/// The binding for a key on a screen: screen-specific rows first (table order).
pub fn lookup(ev: &KeyEvent, ctx: Ctx, in_workshop: bool) -> Option<&'static Binding> {
    KEYMAP
        .iter()
        .find(|b| applies(b, ctx, in_workshop) && b.keys.iter().any(|key| key.matches(ev)))
}

/// Bindings that apply on a screen, most specific first: for the `?` overlay.
pub fn bindings_for(ctx: Ctx, in_workshop: bool) -> Vec<&'static Binding> {
    let specific = KEYMAP.iter().filter(|b| b.ctx.contains(&ctx));
    let workshop = KEYMAP
        .iter()
        .filter(|b| in_workshop && b.ctx.contains(&Workshop));
    let global = KEYMAP.iter().filter(|b| b.ctx.contains(&Global));
    let mut out: Vec<&'static Binding> = Vec::new();
    for b in specific.chain(workshop).chain(global) {
        // A general binding hidden by a more specific one for the same key is left out.
        let shadowed = out
            .iter()
            .any(|o| o.keys.iter().any(|k| b.keys.contains(k)));
        if !shadowed {
            out.push(b);
        }
    }
    out
}

/// Footer hints (key, hint) for a screen, in the same order as the overlay.
pub fn hints(ctx: Ctx, in_workshop: bool) -> Vec<(&'static str, &'static str)> {
    let mut seen: Vec<Cmd> = Vec::new();
    bindings_for(ctx, in_workshop)
        .into_iter()
        .filter(|b| !b.hint.is_empty())
        .filter(|b| {
            let fresh = !seen.contains(&b.cmd);
            seen.push(b.cmd);
            fresh
        })
        .map(|b| (b.label, b.hint))
        .collect()
}

/// The keymap as a Markdown table, for the docs.
pub fn markdown() -> String {
    let mut out = String::from("| Key | Action | Screens |\n|---|---|---|\n");
    for b in KEYMAP {
        let screens: Vec<&str> = b.ctx.iter().map(|c| c.label()).collect();
        out.push_str(&format!(
            "| `{}` | {} | {} |\n",
            b.label,
            b.desc,
            screens.join(", ")
        ));
    }
    out
}

/// The whole of `docs/keys.md`: generated, and checked by a test so the docs cannot drift.
pub fn document() -> String {
    let mut out = String::from(
        "# Keys of the workshop app\n\n\
         <!-- Generated from src/tui/keymap.rs by `keymap::document()`. Do not edit by hand:\n\
         run `UPDATE_KEYS_DOC=1 cargo test --lib keys_doc` to regenerate. -->\n\n\
         One table drives the keys, the footer hints, the `?` overlay and this page. Keys for\n\
         a screen come first; a key listed for \"Everywhere\" works on every screen unless the\n\
         screen gives it another meaning.\n\n",
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
         \n## In dialogs\n\n\
         | Dialog | Keys |\n\
         |---|---|\n\
         | Answer text box | `Enter` save and go on (after a jump: save and stay) · `Esc` save and stay · `Ctrl-U` clear |\n\
         | Note | `Enter` new line · `Esc` or `Ctrl-S` keep the note |\n\
         | Workshop detail | `Enter` save and go to the next field · `Esc` save |\n\
         | New workshop, add, rename, open a file, import path | `Enter` confirm · `Esc` cancel (nothing changes) |\n\
         | Filter | typing filters as you go · `Enter` or `Esc` done · `Ctrl-U` clear |\n\
         | Identity kind | `1-9` or `Enter` choose · `Esc` close |\n\
         | Systems an identity can access | `Space` tick · `Enter` done (ticks the highlighted one if none is ticked yet) · `Esc` done |\n\
         | Remove? | `y` remove · `n` or `Esc` keep |\n\
         | Possible secret (after an answer or note was redacted) | `y` keep as typed (saved in the session file, marked `secret_override`; never exported) · `n`, `Enter` or `Esc` keep redacted |\n\
         | Workshop in use (another socscope has it open) | `r` open read-only · `Esc` or `n` cancel |\n\
         | Damaged session file (its backup is readable) | `b` open the backup instead: restored as the session, the damaged file kept untouched as `FILE.corrupt` (as `resume --from-backup`) · `Esc` or `n` cancel |\n\
         | Import preview | the rows for *Import preview* above: the file's columns come first, each with the field it feeds (`↑/↓` a column · `←/→` its field · `Bksp` ignore it), then the dry run, recomputed after each change (`PgUp/PgDn`) · `y` or `Enter` import, once the dry run has no errors · `s` without the bad rows · `?` these keys · `n` or `Esc` cancel |\n\
         | Compare with another session | `↑/↓` choose (same organisation first) · `Enter` compare · `o` a file by path · `Esc` close |\n\
         | Help | `↑/↓` scroll · `Esc` or `?` close |\n\
         \n## Read-only workshops\n\n\
         Opened with `socscope resume FILE --read-only`, or with `r` when another socscope has it\n\
         open: the header shows READ-ONLY. Moving around, filters, the recommendation, review,\n\
         compare and export work; every key that would change the workshop is refused with a\n\
         message, and nothing is saved.\n",
    );
    out
}
