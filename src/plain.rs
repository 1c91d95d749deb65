//! Plain mode: the workshop as line-by-line prompts, for screen readers and dumb terminals
//! (`socscope --plain`, or `ACCESSIBLE=1`).
//!
//! Driven by the same questionnaire and visibility as the app, and writes the same session file
//! after every answer, so a workshop can move between the app and plain mode at any time. The
//! core is [`run`] over any `BufRead` and `Write`, so tests drive it with scripted input.
//!
//! At a question: a choice number (or its id), `u` for unknown, `?` for the help text, an empty
//! line to skip, `q` to save and quit. Questions come in order: the engagement, then each
//! system, then each identity; only those the questionnaire shows, starting with the first
//! unanswered one. When none are left, a menu adds systems and identities and links them, and
//! shows the recommendation with what would change it, the evidence plan, and the changes since
//! another session. A session opened read-only (`resume --read-only`) goes straight to that
//! menu, without the items that change it: nothing is saved.

use std::collections::HashSet;
use std::io::{BufRead, Write};
use std::path::PathBuf;

use chrono::Utc;

use crate::engine::{self, Recommendation, Sensitivity};
use crate::export::markdown::{evidence_checklist, sanitize, summary_text};
use crate::questionnaire::condition::EntityKey;
use crate::questionnaire::{Kind, Questionnaire};
use crate::report::wording;
use crate::session::{EntityId, Resolution, Session, Side, Subject, Value};
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
    let opened = match start {
        Start::Home => home(q, &mut io)?,
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
    };
    w.io.say(&format!("Recommendation: {}", w.verdict))?;
    if w.lease.read_only() {
        w.io.say(
            "Open read-only: no question is asked and nothing is saved. Choose from the menu, \
             or q to quit.",
        )?;
    } else {
        w.io.say(
            "At each question: type a choice number, u for unknown, ? for help, press Enter to \
             skip, or q to save and quit.",
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
) -> Result<Option<Opened>, Error> {
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
            "1" | "n" | "new" => return new(q, io, None, None).map(Some),
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
                return Ok(Some(opened));
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
    let opened = workshop::create(q, &organisation, path)?;
    io.say(&format!(
        "New workshop for {} saved to {}.",
        sanitize(&opened.session.workshop.organisation),
        opened.lease.path().display()
    ))?;
    Ok(opened)
}

fn verdict_line(r: &Recommendation) -> String {
    wording::verdict_state(r.verdict, r.provisional)
}

/// What the user typed at a question.
enum Reply {
    Answer(Value),
    Skip,
    Quit,
}

struct Workshop<'q, R, W> {
    q: &'q Questionnaire,
    s: Session,
    lease: Lease,
    io: Io<R, W>,
    /// Questions skipped in this sitting (not asked again until `k` from the menu).
    skipped: HashSet<(EntityId, String)>,
    last_entity: Option<EntityId>,
    verdict: String,
    /// The merge conflicts were asked about in this sitting (`m` in the menu asks again).
    conflicts_asked: bool,
}

impl<R: BufRead, W: Write> Workshop<'_, R, W> {
    fn main_loop(&mut self) -> Result<(), Error> {
        loop {
            let next = if self.lease.read_only() {
                None
            } else {
                self.next_question()
            };
            let writable = !self.lease.read_only();
            let done = match next {
                // A merge left conflicts: they come first, then the workshop goes on.
                _ if writable && !self.conflicts_asked && !self.s.conflicts.is_empty() => {
                    self.resolve_conflicts()?
                }
                Some((e, qi)) => self.ask_question(&e, qi)?,
                None => self.menu()?,
            };
            if done && self.lease.read_only() {
                self.io.say(&format!(
                    "Nothing was saved: {} was open read-only.",
                    self.lease.path().display()
                ))?;
                return Ok(());
            }
            if done {
                self.io.say(&format!(
                    "Saved to {}. Resume with: socscope --plain resume {}",
                    self.lease.path().display(),
                    self.lease.path().display()
                ))?;
                return Ok(());
            }
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

    /// The first visible, unanswered question not skipped in this sitting.
    fn next_question(&self) -> Option<(EntityId, usize)> {
        let vis = engine::visibility(self.q, &self.s);
        for (key, e) in self.entities() {
            let answers = self.s.answers(&e)?;
            for qi in vis.shown(key) {
                let id = &self.q.questions[qi].id;
                if !answers.contains_key(id) && !self.skipped.contains(&(e.clone(), id.clone())) {
                    return Some((e, qi));
                }
            }
        }
        None
    }

    fn entity_title(&self, e: &EntityId) -> String {
        let name = sanitize(&self.s.entity_name(e));
        match e {
            EntityId::Engagement => "Engagement".to_string(),
            EntityId::System(_) => format!("System: {name}"),
            EntityId::Identity(_) => format!("Identity: {name}"),
        }
    }

    /// Asks one question; returns whether the user quit.
    fn ask_question(&mut self, e: &EntityId, qi: usize) -> Result<bool, Error> {
        let question = &self.q.questions[qi];
        if self.last_entity.as_ref() != Some(e) {
            let title = self.entity_title(e);
            self.io.say(&format!("\n== {title} =="))?;
            self.last_entity = Some(e.clone());
        }
        let section = question
            .section
            .as_deref()
            .map(|s| format!("{s}: "))
            .unwrap_or_default();
        self.io.say(&format!("\n{section}{}", question.text))?;
        for (i, c) in question.choices.iter().enumerate() {
            self.io.say(&format!("  {}. {}", i + 1, c.label))?;
        }
        let hint = match question.kind {
            Kind::Multi => "Numbers, separated by spaces or commas: ".to_string(),
            Kind::YesNo | Kind::Single => {
                format!("Number (1 to {}): ", question.choices.len())
            }
            Kind::Number => match &question.unit {
                Some(u) => format!("Number of {u}: "),
                None => "Number: ".to_string(),
            },
            Kind::Date => "Date (YYYY-MM-DD): ".to_string(),
            Kind::Text => "Answer: ".to_string(),
        };
        let reply = loop {
            let Some(line) = self.io.ask(&hint)? else {
                break Reply::Quit;
            };
            match line.to_lowercase().as_str() {
                "" => break Reply::Skip,
                "q" | "quit" => break Reply::Quit,
                "u" | "unknown" => break Reply::Answer(Value::Unknown),
                "?" | "help" => {
                    self.io.say(&question.help)?;
                    if !question.references.is_empty() {
                        self.io
                            .say(&format!("References: {}", question.references.join(", ")))?;
                    }
                    continue;
                }
                _ => {}
            }
            // What the session would refuse (a "none of these" choice with others) is asked
            // again, like any other reply that does not fit.
            match workshop::answer::parse(question, &line) {
                Ok(v) => break Reply::Answer(v),
                Err(m) => self.io.say(&format!(
                    "{m}. Or type u for unknown, ? for help, Enter to skip, q to quit."
                ))?,
            }
        };
        match reply {
            Reply::Quit => Ok(true),
            Reply::Skip => {
                self.skipped.insert((e.clone(), question.id.clone()));
                self.io.say("Skipped.")?;
                Ok(false)
            }
            Reply::Answer(v) => {
                let shown = sanitize(&crate::secrets::redacted(&v.display(question)));
                let before = self.s.systems.len();
                let found = self
                    .s
                    .set_answer(question, e, v, Utc::now())
                    .map_err(|message| Error::Usage {
                        message,
                        help: "answer it again".into(),
                    })?;
                self.io.say(&format!("Recorded: {shown}."))?;
                if self.s.systems.len() > before {
                    let names: Vec<String> = self.s.systems[before..]
                        .iter()
                        .map(|x| sanitize(&x.name))
                        .collect();
                    let names: Vec<&str> = names.iter().map(String::as_str).collect();
                    self.io.say(&format!(
                        "{}.",
                        crate::report::wording::created_systems(&names)
                    ))?;
                }
                if !found.is_empty() {
                    self.io
                        .say(&format!("Warning: {}.", crate::secrets::warning(&found)))?;
                }
                self.save()?;
                Ok(false)
            }
        }
    }

    /// Saves, and says so when the recommendation changed.
    fn save(&mut self) -> Result<(), Error> {
        let r = engine::recommend(self.q, &self.s);
        if let Some(problem) = self.lease.save(&self.s, &r)?.backup_problem {
            self.io.say(&format!("Warning: {}", sanitize(&problem)))?;
        }
        let line = verdict_line(&r);
        if line != self.verdict {
            self.io.say(&format!("Recommendation now: {line}"))?;
            self.verdict = line;
        }
        Ok(())
    }

    /// The menu shown when no question is left (at once when read-only); returns whether the
    /// user quit.
    fn menu(&mut self) -> Result<bool, Error> {
        let writable = !self.lease.read_only();
        self.io.say(&format!(
            "\n{} Inventory: {} system{}, {} identit{}.",
            if writable {
                "No questions left to ask."
            } else {
                "Read-only: nothing can be changed."
            },
            self.s.systems.len(),
            if self.s.systems.len() == 1 { "" } else { "s" },
            self.s.identities.len(),
            if self.s.identities.len() == 1 {
                "y"
            } else {
                "ies"
            },
        ))?;
        let can_link = writable && !self.s.identities.is_empty() && !self.s.systems.is_empty();
        if writable {
            self.io.say("  a. Add a system")?;
            self.io.say("  i. Add an identity")?;
        }
        if can_link {
            self.io.say("  l. Link an identity to systems")?;
        }
        self.io
            .say("  r. Show the recommendation, and what would change it")?;
        self.io.say("  e. Show the evidence plan")?;
        self.io
            .say("  c. Compare with another session (what changed since)")?;
        if writable && !self.s.conflicts.is_empty() {
            self.io.say(&format!(
                "  m. Resolve the {} merge conflict(s) left",
                self.s.conflicts.len()
            ))?;
        }
        if writable && !self.skipped.is_empty() {
            self.io.say(&format!(
                "  k. Ask the {} skipped question{} again",
                self.skipped.len(),
                if self.skipped.len() == 1 { "" } else { "s" }
            ))?;
        }
        self.io.say(if writable {
            "  q. Save and quit"
        } else {
            "  q. Quit"
        })?;
        loop {
            let Some(line) = self.io.ask("Choice: ")? else {
                return Ok(true);
            };
            match line.to_lowercase().as_str() {
                "a" if writable => return self.add_system().map(|()| false),
                "i" if writable => return self.add_identity().map(|()| false),
                "l" if can_link => {
                    return self.link().map(|()| false);
                }
                "r" => return self.recommendation().map(|()| false),
                "e" => {
                    let s = crate::secrets::redact_session(&self.s);
                    let r = engine::recommend(self.q, &s);
                    self.io.say(evidence_checklist(&s, &r).trim_end())?;
                    return Ok(false);
                }
                "c" => return self.compare().map(|()| false),
                "m" if writable && !self.s.conflicts.is_empty() => {
                    self.conflicts_asked = false;
                    return Ok(false);
                }
                "k" if writable && !self.skipped.is_empty() => {
                    self.skipped.clear();
                    return Ok(false);
                }
                "q" | "quit" => return Ok(true),
                "?" | "help" | "" => {
                    self.io.say("Type one of the letters listed above.")?;
                }
                _ => self.io.say("Not one of the listed letters.")?,
            }
        }
    }

    /// Asks about each merge conflict: both versions, with when each side changed it; 1 or 2
    /// takes one, anything else is a new answer, Enter leaves it for later (it stays marked).
    /// Returns whether the user quit.
    fn resolve_conflicts(&mut self) -> Result<bool, Error> {
        self.conflicts_asked = true;
        let total = self.s.conflicts.len();
        self.io.say(&format!(
            "\nA merge left {total} conflict(s): both copies changed the same thing differently. \
             This copy's version (ours) is kept until each is resolved, and the decisions they \
             reach are provisional."
        ))?;
        let (mut i, mut shown) = (0, 0);
        // Those left for later, in order: always the first `i` conflicts.
        let mut later: Vec<Subject> = Vec::new();
        while i < self.s.conflicts.len() {
            shown += 1;
            let c = self.s.conflicts[i].clone();
            let entity = sanitize(&crate::merge::entity_label(&self.s, &c));
            let about = match &c.subject {
                Subject::Answer { question, .. } => self
                    .q
                    .question(question)
                    .map_or_else(|| question.clone(), |x| x.text.clone()),
                Subject::Name(_) => "its name".into(),
                Subject::Removed(_) => "removed in one copy, changed in the other".into(),
                Subject::Detail(d) => format!("the workshop's {}", d.as_str()),
            };
            self.io.say(&format!(
                "\nConflict {shown} of {total}: {entity}: {}",
                sanitize(&about)
            ))?;
            for (n, side, whose) in [
                (1, Side::Ours, "ours, this copy"),
                (2, Side::Theirs, "theirs, the copy merged in"),
            ] {
                let verb = match c.subject {
                    Subject::Answer { .. } => "answered",
                    _ => "saved",
                };
                let when = crate::merge::side_time(&c, side)
                    .map(|t| format!(", {verb} {}", t.format("%Y-%m-%d %H:%M UTC")))
                    .unwrap_or_default();
                let text = crate::merge::side_text(self.q, &c, side);
                self.io.say(&format!(
                    "  {n}. {} ({whose}{when})",
                    sanitize(&crate::secrets::redacted(&text))
                ))?;
            }
            let question = match &c.subject {
                Subject::Answer { question, .. } => self.q.question(question),
                _ => None,
            };
            let prompt = if matches!(c.subject, Subject::Removed(_)) {
                "1 or 2 (Enter to decide later, q to save and quit): "
            } else {
                "1 or 2, or type a new answer (Enter to decide later, q to save and quit): "
            };
            loop {
                let Some(line) = self.io.ask(prompt)? else {
                    return Ok(true);
                };
                let how = match (line.to_lowercase().as_str(), &c.subject) {
                    ("", _) => {
                        i += 1;
                        later.push(c.subject.clone());
                        self.io.say("Left for later.")?;
                        break;
                    }
                    ("q" | "quit", _) => return Ok(true),
                    ("1", _) => Resolution::Take(Side::Ours),
                    ("2", _) => Resolution::Take(Side::Theirs),
                    (_, Subject::Removed(_)) => {
                        self.io.say("Type 1 or 2.")?;
                        continue;
                    }
                    ("u" | "unknown", Subject::Answer { .. }) => Resolution::Value(Value::Unknown),
                    (_, Subject::Answer { .. }) => {
                        match question.map(|qq| workshop::answer::parse(qq, &line)) {
                            Some(Ok(v)) => Resolution::Value(v),
                            Some(Err(m)) => {
                                self.io.say(&format!("{m}. Or type 1 or 2."))?;
                                continue;
                            }
                            None => {
                                self.io.say(
                                    "The questionnaire no longer has this question: type 1 or 2.",
                                )?;
                                continue;
                            }
                        }
                    }
                    _ => Resolution::Value(Value::Text(line.clone())),
                };
                let before = self.s.conflicts.len();
                match self.s.resolve_conflict(self.q, i, how, Utc::now()) {
                    Ok(found) => {
                        if self.s.conflicts.len() + 1 < before {
                            // Removing an entry took its other conflicts with it.
                            let left: HashSet<&Subject> =
                                self.s.conflicts.iter().map(|c| &c.subject).collect();
                            later.retain(|s| left.contains(s));
                            i = later.len();
                        }
                        self.io.say("Resolved.")?;
                        if !found.is_empty() {
                            self.io
                                .say(&format!("Warning: {}.", crate::secrets::warning(&found)))?;
                        }
                        self.save()?;
                        break;
                    }
                    Err(m) => self
                        .io
                        .say(&format!("{}. Type 1, 2 or another answer.", sanitize(&m)))?,
                }
            }
        }
        let left = self.s.conflicts.len();
        self.io.say(&if left == 0 {
            "No merge conflicts left.".to_string()
        } else {
            format!("{left} merge conflict(s) left for later: m in the menu comes back to them.")
        })?;
        Ok(false)
    }

    /// The recommendation with its rationale, then "What would change this?" for the verdict
    /// and each report-level decision (the wording of the Markdown export).
    fn recommendation(&mut self) -> Result<(), Error> {
        let (r, ev) = engine::recommend_with_evaluation(self.q, &self.s);
        let text = summary_text(&self.s, &r);
        self.io.say(text.trim_end())?;
        self.io.say("\nWhat would change this?")?;
        for d in &r.decisions {
            let x = engine::sensitivity_in(self.q, &self.s, &ev, d);
            self.io.say(&format!(
                "{}: {}",
                sanitize(&d.title()),
                sanitize(&d.outcome.to_string())
            ))?;
            self.io.say(sensitivity_text(&x).trim_end())?;
        }
        Ok(())
    }

    /// "Changes since…": picks another saved session (or a file) and prints what changed from
    /// it to this workshop (the diff of `socscope diff`). The other session is only read.
    fn compare(&mut self) -> Result<(), Error> {
        let sessions = workshop::catalogue::saved(self.q).unwrap_or_default();
        // The other saved sessions, the same organisation's first: (path, text, readable).
        let rows: Vec<(PathBuf, String, bool)> = workshop::catalogue::compare_candidates(
            &sessions,
            self.lease.path(),
            &self.s.workshop.organisation,
        )
        .into_iter()
        .map(|c| {
            let file = c
                .path
                .file_name()
                .map(|f| sanitize(&f.to_string_lossy()))
                .unwrap_or_default();
            let text = match &c.error {
                Some(e) => format!("{file} (cannot be read: {})", sanitize(e)),
                None => format!(
                    "{}, updated {} ({file}){}",
                    sanitize(&c.organisation),
                    c.updated.format("%Y-%m-%d"),
                    if c.same_org {
                        ", same organisation"
                    } else {
                        ""
                    }
                ),
            };
            let readable = c.error.is_none();
            (c.path, text, readable)
        })
        .collect();
        let prompt = if rows.is_empty() {
            self.io.say("No other saved session to pick from.")?;
            "Path of the session file to compare with (Enter to cancel): "
        } else {
            self.io.say("Compare with which session?")?;
            for (n, (_, text, _)) in rows.iter().enumerate() {
                self.io.say(&format!("  {}. {text}", n + 1))?;
            }
            "Number, or the path of a session file (Enter to cancel): "
        };
        let Some(line) = self.io.ask(prompt)? else {
            return Ok(());
        };
        if line.is_empty() {
            return self.io.say("Nothing compared.");
        }
        let picked = line
            .parse::<usize>()
            .ok()
            .and_then(|n| n.checked_sub(1))
            .and_then(|n| rows.get(n));
        let path = match picked {
            Some((_, text, false)) => {
                return self.io.say(&format!("Cannot compare with {text}."));
            }
            Some((p, _, true)) => p.clone(),
            None => match workshop::resolve(&line) {
                Ok(p) => p,
                Err(e) => return self.io.say(&sanitize(&e.report())),
            },
        };
        if workshop::catalogue::same_file(&path, self.lease.path()) {
            return self
                .io
                .say("That is this workshop: pick another session to compare with.");
        }
        match workshop::peek(&path, self.q) {
            Ok((old, _)) => {
                // Like every export, made from redacted copies.
                let old = crate::secrets::redact_session(&old);
                let new = crate::secrets::redact_session(&self.s);
                let mut d = crate::diff::compare(self.q, &old, &new);
                d.name_files(&path, self.lease.path());
                self.io.say(crate::diff::render_text(&d).trim_end())
            }
            Err(e) => self.io.say(&format!("Could not compare: {}", e.report())),
        }
    }

    /// A name as stored: redacted, as there is no "keep as typed" for names, and saying so.
    fn stored_name(&mut self, name: &str) -> Result<String, Error> {
        let (stored, found) = crate::secrets::redact(name);
        if !found.is_empty() {
            self.io
                .say(&format!("Warning: {}.", crate::secrets::warning(&found)))?;
        }
        Ok(stored)
    }

    fn add_system(&mut self) -> Result<(), Error> {
        let Some(name) = self.io.ask("Name of the system (Enter to cancel): ")? else {
            return Ok(());
        };
        if name.is_empty() {
            return Ok(());
        }
        let id = self.s.add_system(&name, Utc::now());
        self.save()?;
        let name = self.stored_name(&name)?;
        self.io.say(&format!(
            "Added system {} ({id}). Its questions follow.",
            sanitize(&name)
        ))?;
        Ok(())
    }

    fn add_identity(&mut self) -> Result<(), Error> {
        let Some(name) = self
            .io
            .ask("Name of the identity, such as a person, service account or API key (Enter to cancel): ")?
        else {
            return Ok(());
        };
        if name.is_empty() {
            return Ok(());
        }
        let id = self.s.add_identity(&name, Utc::now());
        self.save()?;
        let name = self.stored_name(&name)?;
        self.io
            .say(&format!("Added identity {} ({id}).", sanitize(&name)))?;
        if !self.s.systems.is_empty() {
            self.pick_systems(&id)?;
        }
        self.io.say("Its questions follow.")?;
        Ok(())
    }

    fn link(&mut self) -> Result<(), Error> {
        self.io.say("Which identity?")?;
        let names: Vec<String> = self
            .s
            .identities
            .iter()
            .map(|i| sanitize(&i.name))
            .collect();
        for (n, name) in names.iter().enumerate() {
            self.io.say(&format!("  {}. {name}", n + 1))?;
        }
        let Some(line) = self.io.ask("Number (Enter to cancel): ")? else {
            return Ok(());
        };
        if line.is_empty() {
            return Ok(());
        }
        match line
            .parse::<usize>()
            .ok()
            .and_then(|n| n.checked_sub(1))
            .and_then(|n| self.s.identities.get(n))
        {
            Some(i) => {
                let id = i.id.clone();
                self.pick_systems(&id)
            }
            None => self.io.say(&format!(
                "There is no identity number {line}; nothing changed."
            )),
        }
    }

    /// Asks which systems an identity can access, and toggles those links.
    fn pick_systems(&mut self, identity: &str) -> Result<(), Error> {
        let linked: Vec<String> = self
            .s
            .identity(identity)
            .map(|i| i.systems.clone())
            .unwrap_or_default();
        self.io.say("Which systems can it access?")?;
        let rows: Vec<String> = self
            .s
            .systems
            .iter()
            .enumerate()
            .map(|(n, x)| {
                format!(
                    "  {}. {}{}",
                    n + 1,
                    sanitize(&x.name),
                    if linked.contains(&x.id) {
                        " (linked)"
                    } else {
                        ""
                    }
                )
            })
            .collect();
        for row in rows {
            self.io.say(&row)?;
        }
        loop {
            let Some(line) = self.io.ask(
                "Numbers separated by spaces; a linked system is unlinked (Enter for none): ",
            )?
            else {
                return Ok(());
            };
            if line.is_empty() {
                return Ok(());
            }
            let picks: Result<Vec<String>, String> = line
                .split([' ', ',', ';'])
                .filter(|p| !p.is_empty())
                .map(|p| {
                    p.parse::<usize>()
                        .ok()
                        .and_then(|n| n.checked_sub(1))
                        .and_then(|n| self.s.systems.get(n))
                        .map(|x| x.id.clone())
                        .ok_or_else(|| format!("`{p}` is not a system number"))
                })
                .collect();
            match picks {
                Ok(ids) => {
                    let now = Utc::now();
                    let mut said = Vec::new();
                    for sid in ids {
                        let on = self.s.toggle_link(identity, &sid, now);
                        let name = sanitize(&self.s.entity_name(&EntityId::System(sid)));
                        said.push(format!(
                            "{} {name}",
                            if on { "linked to" } else { "unlinked from" }
                        ));
                    }
                    self.save()?;
                    self.io.say(&format!("{}.", capitalise(&said.join(", "))))?;
                    return Ok(());
                }
                Err(m) => self.io.say(&format!("{m}; type numbers from the list."))?,
            }
        }
    }
}

/// "What would change this?" for one decision, in the words of the Markdown export
/// (`export::markdown`), as plain text: the answers it rests on and the single changes that
/// flip it.
fn sensitivity_text(x: &Sensitivity) -> String {
    let n = x.rests_on.len();
    if n == 0 && x.flips.is_empty() {
        return format!("  Sensitivity: {}.\n", wording::rests_on(0));
    }
    let mut out = format!("  Sensitivity: {}", wording::rests_on(n));
    if x.flips.is_empty() {
        out.push_str(&format!(
            "; no single answer change flips it ({} change{} tried{}).\n",
            x.tried,
            if x.tried == 1 { "" } else { "s" },
            if x.complete { "" } else { ", search cut short" }
        ));
        return out;
    }
    out.push_str(". Single changes that flip it:\n");
    for f in &x.flips {
        // The export's wording, without its emphasis.
        out.push_str(&format!(
            "  - {}, \u{201c}{}\u{201d}: {}\n",
            sanitize(&f.entity.name),
            sanitize(&f.question_text),
            wording::flip_sentence(f, sanitize, |t| t.to_string())
        ));
    }
    if !x.complete {
        out.push_str(&format!(
            "  - (search cut short after {} changes)\n",
            x.tried
        ));
    }
    out
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}
