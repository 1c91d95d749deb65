//! Plain mode: the workshop as line-by-line prompts, for screen readers and dumb terminals
//! (`socscope --plain`, or `ACCESSIBLE=1`).
//!
//! Driven by the same questionnaire and visibility as the app, and writes the same session file
//! after every change, so a workshop can move between the app and plain mode at any time. The
//! core is [`run`] over any `BufRead` and `Write`, so tests drive it with scripted input. It
//! sits on `crate::workshop` like the app, and never uses the app or the command line.
//!
//! At a question: a choice number (or its id or label), `u` for unknown, `?` for the help text,
//! `note` to add a note to the answer, an empty line to skip (or keep the answer it has), `m`
//! for the menu, `q` to save and quit.
//! Questions come in order: the engagement, then each system, then each identity; only those
//! the questionnaire shows, each time the next unanswered one from the last asked (a resumed
//! workshop goes on where it stopped, saying what is open). The menu (at once when no
//! question is left) changes any answer, revisits the unknown and unanswered ones, edits the
//! session details, adds, renames, removes and links systems and identities, and reads out the
//! recommendation with what would change it, the evidence plan, and the changes since another
//! session. Everything it prints is plain text: no Markdown, no rule ids. A session opened
//! read-only (`resume --read-only`) goes straight to the menu, without the items that change
//! it: nothing is saved.

mod ask;
mod conflicts;
mod menu;
mod report;

use std::collections::HashSet;
use std::io::{BufRead, Write};
use std::path::PathBuf;

use chrono::Utc;

use crate::engine::{self, Recommendation};
use crate::export::markdown::sanitize;
use crate::questionnaire::Questionnaire;
use crate::questionnaire::condition::EntityKey;
use crate::report::wording;
use crate::session::{EntityId, Session};
use crate::workshop::{self, Access, Error, Lease, Opened, Start};

/// Whether plain mode was asked for: `--plain`, or `ACCESSIBLE` set to anything but empty or 0.
pub fn wanted(flag: bool) -> bool {
    flag || std::env::var("ACCESSIBLE").is_ok_and(|v| !v.is_empty() && v != "0")
}

/// Plain mode on the terminal's standard input and output.
pub fn run_stdio(q: Questionnaire, start: Start) -> Result<(), Error> {
    let stdin = std::io::stdin();
    run(&q, start, stdin.lock(), std::io::stdout())
}

/// Runs a plain-mode workshop from `start`, reading answers from `input`.
pub fn run<R: BufRead, W: Write>(
    q: &Questionnaire,
    start: Start,
    input: R,
    out: W,
) -> Result<(), Error> {
    let mut io = Io { input, out };
    // Whether a saved workshop goes on (not a new one).
    let mut resumed = matches!(start, Start::Resume(_));
    let opened = match start {
        Start::Home => home(q, &mut io)?.map(|(o, saved)| {
            resumed = saved;
            o
        }),
        Start::New { organisation, path } => Some(new(q, &mut io, organisation, path)?),
        Start::Resume(opened) => {
            io.say(&format!(
                "Resuming the workshop for {} ({}).",
                sanitize(&opened.session.workshop.organisation),
                opened.lease.path().display()
            ))?;
            Some(*opened)
        }
    };
    let Some(opened) = opened else {
        return Ok(());
    };
    let r = engine::recommend(q, &opened.session);
    let mut w = Workshop {
        q,
        verdict: verdict_line(&r),
        s: opened.session,
        lease: opened.lease,
        io,
        skipped: HashSet::new(),
        last_entity: None,
        conflicts_asked: false,
        at_menu: false,
        cursor: None,
    };
    if resumed {
        // Back where the facilitator left off, saying what is open.
        let vis = engine::visibility(q, &w.s);
        let seq = workshop::answer::sequence(&w.s, &vis);
        w.cursor = workshop::answer::resume_position(q, &w.s, &seq)
            .map(|i| (seq[i].0.clone(), q.questions[seq[i].1].id.clone()));
        let (unknown, unanswered) = w.open_questions();
        let conflicts = match w.s.conflicts.len() {
            0 => String::new(),
            n => format!(", {n} merge conflict(s)"),
        };
        w.io.say(&format!(
            "Open: {unknown} answered unknown, {unanswered} not answered{conflicts}."
        ))?;
    }
    w.io.say(&format!("Recommendation: {}", w.verdict))?;
    if w.lease.read_only() {
        w.io.say(
            "Open read-only: no question is asked and nothing is saved. Choose from the menu, \
             or q to quit.",
        )?;
    } else {
        w.io.say(
            "At each question: type a choice number, u for unknown, ? for help, note to add a \
             note, press Enter to skip, m for the menu (change an answer, details, inventory), \
             or q to save and quit.",
        )?;
    }
    w.main_loop()
}

struct Io<R, W> {
    input: R,
    out: W,
}

impl<R: BufRead, W: Write> Io<R, W> {
    fn say(&mut self, text: &str) -> Result<(), Error> {
        writeln!(self.out, "{text}").map_err(Error::io("write to the terminal"))
    }

    /// A name or detail as stored: redacted, as there is no "keep as typed" for names, and
    /// saying so.
    fn stored(&mut self, text: &str) -> Result<String, Error> {
        let (stored, found) = crate::secrets::redact(text);
        if !found.is_empty() {
            self.say(&format!("Warning: {}.", crate::secrets::warning(&found)))?;
        }
        Ok(stored)
    }

    /// An error, whole: what is wrong, then what to do about it.
    fn say_error(&mut self, e: &Error) -> Result<(), Error> {
        self.say(&format!("Error: {}", e.report()))
    }

    /// Prints `prompt` and reads one line; `None` at the end of input.
    fn ask(&mut self, prompt: &str) -> Result<Option<String>, Error> {
        write!(self.out, "{prompt}")
            .and_then(|()| self.out.flush())
            .map_err(Error::io("write to the terminal"))?;
        let mut line = String::new();
        if self
            .input
            .read_line(&mut line)
            .map_err(Error::io("read from the terminal"))?
            == 0
        {
            self.say("")?;
            return Ok(None);
        }
        Ok(Some(line.trim().to_string()))
    }
}

fn home<R: BufRead, W: Write>(
    q: &Questionnaire,
    io: &mut Io<R, W>,
) -> Result<Option<(Opened, bool)>, Error> {
    let recent = workshop::catalogue::saved(q)
        .ok()
        .and_then(|l| l.into_iter().find(|s| s.error.is_none()));
    io.say("socscope: SOC scoping workshop (plain mode)")?;
    io.say("  1. Start a new workshop")?;
    if let Some(r) = &recent {
        io.say(&format!(
            "  2. Resume the most recent: {} ({})",
            sanitize(&r.organisation),
            r.path.display()
        ))?;
    } else {
        io.say("  2. Resume the most recent (none saved yet)")?;
    }
    io.say("  3. Open a session file")?;
    io.say("  q. Quit")?;
    loop {
        let Some(line) = io.ask("Choice: ")? else {
            return Ok(None);
        };
        let path = match line.to_lowercase().as_str() {
            "1" | "n" | "new" => return new(q, io, None, None).map(|o| Some((o, false))),
            "2" | "r" | "resume" => match &recent {
                Some(r) => r.path.clone(),
                None => {
                    io.say("No saved sessions yet: type 1 to start a new workshop.")?;
                    continue;
                }
            },
            "3" | "o" | "open" => {
                let Some(p) = io.ask("Path of the session file: ")? else {
                    return Ok(None);
                };
                if p.is_empty() {
                    continue;
                }
                match workshop::resolve(&p) {
                    Ok(path) => path,
                    Err(e) => {
                        io.say_error(&e)?;
                        continue;
                    }
                }
            }
            "q" | "quit" => return Ok(None),
            _ => {
                io.say("Type 1, 2, 3 or q.")?;
                continue;
            }
        };
        // Opened for writing, so under its lock like in the app: a second socscope is told
        // who has it, and nothing is ever written by two at once.
        match workshop::open(&path, q, Access::Write) {
            Ok(opened) => {
                for n in opened.notes() {
                    io.say(&format!("Note: {n}"))?;
                }
                return Ok(Some((opened, true)));
            }
            Err(e) => io.say_error(&e)?,
        }
    }
}

fn new<R: BufRead, W: Write>(
    q: &Questionnaire,
    io: &mut Io<R, W>,
    organisation: Option<String>,
    path: Option<PathBuf>,
) -> Result<Opened, Error> {
    let organisation = match organisation.filter(|o| !o.trim().is_empty()) {
        Some(o) => o,
        None => loop {
            match io.ask("Organisation being scoped: ")? {
                None => return Err(Error::NoOrganisation),
                Some(o) if !o.is_empty() => break o,
                Some(_) => io.say("Please type a name (it can be changed later).")?,
            }
        },
    };
    let mut opened = workshop::create(q, &organisation, path)?;
    io.say(&format!(
        "New workshop for {} saved to {}.",
        sanitize(&opened.session.workshop.organisation),
        opened.lease.path().display()
    ))?;
    // Who is in the room goes on the record (the export's first lines) before any answer.
    let mut details = opened.session.workshop.clone();
    if let Some(f) = io.ask("Facilitator (Enter to leave it for later): ")? {
        details.facilitator = io.stored(&f)?;
    }
    if let Some(p) = io.ask("Participants, separated by commas (Enter to leave it for later): ")? {
        details.participants = participants(&io.stored(&p)?);
    }
    if details != opened.session.workshop {
        opened.session.set_details(details, Utc::now());
        let r = engine::recommend(q, &opened.session);
        opened.lease.save(&opened.session, &r)?;
        io.say(&format!("Recorded: {}.", details_line(&opened.session)))?;
    }
    Ok(opened)
}

/// Participants as typed: separated by commas or semicolons.
fn participants(line: &str) -> Vec<String> {
    line.split([',', ';'])
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(str::to_string)
        .collect()
}

/// "facilitator Dana, participants Ann, Bob, workshop date 2026-12-01".
fn details_line(s: &Session) -> String {
    let ws = &s.workshop;
    let or_none = |t: &str| {
        if t.trim().is_empty() {
            "not named".to_string()
        } else {
            sanitize(t)
        }
    };
    format!(
        "facilitator {}, participants {}, workshop date {}",
        or_none(&ws.facilitator),
        or_none(&ws.participants.join(", ")),
        ws.date
            .map_or("not set".to_string(), |d| d.format("%Y-%m-%d").to_string())
    )
}

fn verdict_line(r: &Recommendation) -> String {
    wording::verdict_state(r.verdict, r.provisional)
}

/// Where the workshop goes after a prompt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Next {
    /// On with the questions (or the menu when none is left).
    Go,
    /// To the menu.
    Menu,
    /// Save and quit (also at the end of the input).
    Quit,
}

struct Workshop<'q, R, W> {
    q: &'q Questionnaire,
    s: Session,
    lease: Lease,
    io: Io<R, W>,
    /// Questions skipped in this sitting (not asked again until `k` or `o` from the menu).
    skipped: HashSet<(EntityId, String)>,
    last_entity: Option<EntityId>,
    verdict: String,
    /// The merge conflicts were asked about in this sitting (`m` in the menu asks again).
    conflicts_asked: bool,
    /// The facilitator asked for the menu while questions are left.
    at_menu: bool,
    /// The question asked last (entity, question id): asking goes on from there.
    cursor: Option<(EntityId, String)>,
}

impl<R: BufRead, W: Write> Workshop<'_, R, W> {
    fn main_loop(&mut self) -> Result<(), Error> {
        loop {
            let writable = !self.lease.read_only();
            let next = if writable && !self.at_menu {
                self.next_question()
            } else {
                None
            };
            let step = match next {
                // A merge left conflicts: they come first, then the workshop goes on.
                _ if writable && !self.conflicts_asked && !self.s.conflicts.is_empty() => {
                    if self.resolve_conflicts()? {
                        Next::Quit
                    } else {
                        Next::Go
                    }
                }
                Some((e, qi)) => {
                    self.cursor = Some((e.clone(), self.q.questions[qi].id.clone()));
                    self.ask_question(&e, qi)?
                }
                None => self.menu()?,
            };
            let step = if step == Next::Menu {
                self.at_menu = true;
                Next::Go
            } else {
                step
            };
            if step != Next::Quit {
                continue;
            }
            if self.lease.read_only() {
                self.io.say(&format!(
                    "Nothing was saved: {} was open read-only.",
                    self.lease.path().display()
                ))?;
            } else {
                self.fold(&engine::recommend(self.q, &self.s))?;
                self.io.say(&format!(
                    "Saved to {}. Resume with: socscope --plain resume {}",
                    self.lease.path().display(),
                    self.lease.path().display()
                ))?;
            }
            return Ok(());
        }
    }

    fn entities(&self) -> Vec<(EntityKey, EntityId)> {
        let mut v = vec![(EntityKey::Engagement, EntityId::Engagement)];
        v.extend(
            self.s
                .systems
                .iter()
                .enumerate()
                .map(|(i, x)| (EntityKey::System(i), EntityId::System(x.id.clone()))),
        );
        v.extend(
            self.s
                .identities
                .iter()
                .enumerate()
                .map(|(i, x)| (EntityKey::Identity(i), EntityId::Identity(x.id.clone()))),
        );
        v
    }

    /// The next visible, unanswered question not skipped in this sitting, from the one asked
    /// last on (wrapping around), as the app advances.
    fn next_question(&self) -> Option<(EntityId, usize)> {
        let vis = engine::visibility(self.q, &self.s);
        let seq = workshop::answer::sequence(&self.s, &vis);
        let start = self
            .cursor
            .as_ref()
            .and_then(|(e, qid)| {
                seq.iter()
                    .position(|(x, qi)| x == e && &self.q.questions[*qi].id == qid)
            })
            .unwrap_or(0);
        let n = seq.len();
        (0..n)
            .map(|k| &seq[(start + k) % n])
            .find(|(e, qi)| {
                let id = &self.q.questions[*qi].id;
                workshop::answer::unanswered(self.q, &self.s, e, *qi)
                    && !self.skipped.contains(&(e.clone(), id.clone()))
            })
            .cloned()
    }

    /// How many visible questions are still to be asked in this sitting.
    fn left_to_ask(&self) -> usize {
        let vis = engine::visibility(self.q, &self.s);
        self.entities()
            .into_iter()
            .filter_map(|(key, e)| self.s.answers(&e).map(|a| (key, e.clone(), a)))
            .map(|(key, e, answers)| {
                vis.shown(key)
                    .into_iter()
                    .filter(|&qi| {
                        let id = &self.q.questions[qi].id;
                        !answers.contains_key(id)
                            && !self.skipped.contains(&(e.clone(), id.clone()))
                    })
                    .count()
            })
            .sum()
    }

    fn entity_title(&self, e: &EntityId) -> String {
        let name = sanitize(&self.s.entity_name(e));
        match e {
            EntityId::Engagement => "Engagement".to_string(),
            EntityId::System(_) => format!("System: {name}"),
            EntityId::Identity(_) => format!("Identity: {name}"),
        }
    }

    /// Saves, and says so when the recommendation changed.
    fn save(&mut self) -> Result<(), Error> {
        let r = engine::recommend(self.q, &self.s);
        // Into the journal, durably; the whole file once the journal is long and when done.
        if self.lease.record(&self.s)?.fold_due {
            self.fold(&r)?;
        }
        let line = verdict_line(&r);
        if line != self.verdict {
            self.io.say(&format!("Recommendation now: {line}"))?;
            self.verdict = line;
        }
        Ok(())
    }

    /// Writes the whole session file (folding the journal into it).
    fn fold(&mut self, r: &engine::Recommendation) -> Result<(), Error> {
        if let Some(saved) = self.lease.save_if_changed(&self.s, r)?
            && let Some(problem) = saved.backup_problem
        {
            self.io.say(&format!("Warning: {}", sanitize(&problem)))?;
        }
        Ok(())
    }

    /// Lists `rows` numbered from 1 and reads a number: `None` for Enter (or the end of the
    /// input); anything else is asked again.
    fn choose(&mut self, rows: &[String], prompt: &str) -> Result<Option<usize>, Error> {
        for (n, row) in rows.iter().enumerate() {
            self.io.say(&format!("  {}. {row}", n + 1))?;
        }
        loop {
            let Some(line) = self.io.ask(prompt)? else {
                return Ok(None);
            };
            if line.is_empty() {
                return Ok(None);
            }
            match line
                .parse::<usize>()
                .ok()
                .and_then(|n| n.checked_sub(1))
                .filter(|&n| n < rows.len())
            {
                Some(n) => return Ok(Some(n)),
                None => self.io.say(&format!(
                    "Type a number from 1 to {}, or press Enter to go back.",
                    rows.len()
                ))?,
            }
        }
    }
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}
