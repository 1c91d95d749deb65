//! Asking a question, answering one again, and going back over the open ones.

use std::collections::HashSet;
use std::io::{BufRead, Write};

use chrono::Utc;

use super::{Next, Workshop};
use crate::engine;
use crate::export::markdown::sanitize;
use crate::questionnaire::Kind;
use crate::session::{EntityId, Value};
use crate::workshop::{self, Error};

/// What the user typed at a question.
enum Reply {
    Answer(Value),
    /// Enter: skipped, or the answer it has is kept.
    Pass,
    Menu,
    Quit,
}

impl<R: BufRead, W: Write> Workshop<'_, R, W> {
    /// The answer a question has now, as people read it (`None`: not answered).
    fn current(&self, e: &EntityId, qi: usize) -> Option<String> {
        let question = &self.q.questions[qi];
        self.s
            .answers(e)
            .and_then(|a| a.get(&question.id))
            .map(|a| sanitize(&crate::secrets::redacted(&a.value.display(question))))
    }

    /// Asks one question (again, if it has an answer: Enter keeps it).
    pub(super) fn ask_question(&mut self, e: &EntityId, qi: usize) -> Result<Next, Error> {
        let question = &self.q.questions[qi];
        if self.last_entity.as_ref() != Some(e) {
            let title = self.entity_title(e);
            self.io.say(&format!("\nQuestions for {title}"))?;
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
        let current = self.current(e, qi);
        if let Some(c) = &current {
            self.io
                .say(&format!("Answer now: {c}. Press Enter to keep it."))?;
        }
        let had_note = self.note(e, qi);
        if let Some(n) = &had_note {
            self.io.say(&format!("Note: {n}"))?;
        }
        // A note typed before the answer waits for it: a note never answers a question.
        let mut note: Option<String> = None;
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
                "" => break Reply::Pass,
                "q" | "quit" => break Reply::Quit,
                "m" | "menu" => break Reply::Menu,
                "u" => break Reply::Answer(Value::Unknown),
                "note" => {
                    let Some(text) = self.io.ask(if had_note.is_some() {
                        "Note (Enter keeps it, - removes it): "
                    } else {
                        "Note (Enter for none): "
                    })?
                    else {
                        break Reply::Quit;
                    };
                    match text.as_str() {
                        "" => {}
                        "-" => note = Some(String::new()),
                        _ => note = Some(text),
                    }
                    if note.is_some() {
                        self.io.say(if current.is_some() {
                            "The note goes with the answer: type one, or press Enter to keep it."
                        } else {
                            "The note goes with the answer: now type the answer."
                        })?;
                    }
                    continue;
                }
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
                    "{m}. Or type u for unknown, ? for help, Enter to {}, m for the menu, q to quit.",
                    if current.is_some() { "keep the answer" } else { "skip" }
                ))?,
            }
        };
        match reply {
            Reply::Quit => Ok(Next::Quit),
            Reply::Menu => Ok(Next::Menu),
            Reply::Pass if current.is_some() => {
                if let Some(n) = note {
                    self.set_note(e, qi, &n)?;
                    self.save()?;
                }
                self.io.say("Kept.")?;
                Ok(Next::Go)
            }
            Reply::Pass => {
                self.skipped.insert((e.clone(), question.id.clone()));
                self.io.say(if note.is_some() {
                    "Skipped; the note was not kept, as it goes with an answer."
                } else {
                    "Skipped."
                })?;
                Ok(Next::Go)
            }
            Reply::Answer(v) => {
                let shown = sanitize(&crate::secrets::redacted(&v.display(question)));
                let before = self.s.systems.len();
                let known = match (&v, &question.creates, e) {
                    (Value::Text(t), Some(_), EntityId::System(sid)) => self.s.known_as(t, sid),
                    _ => Vec::new(),
                };
                let found = self
                    .s
                    .set_answer(question, e, v, Utc::now())
                    .map_err(|message| Error::Usage {
                        message,
                        help: "answer it again".into(),
                    })?;
                self.skipped.remove(&(e.clone(), question.id.clone()));
                self.io.say(&format!("Recorded: {shown}."))?;
                if !known.is_empty() {
                    let known: Vec<_> = known
                        .iter()
                        .map(|(a, b)| (sanitize(a), sanitize(b)))
                        .collect();
                    self.io.say(&format!(
                        "{}.",
                        crate::report::wording::known_systems(&known)
                    ))?;
                }
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
                if let Some(n) = note {
                    self.set_note(e, qi, &n)?;
                }
                self.save()?;
                Ok(Next::Go)
            }
        }
    }

    /// The note on an answer, cleaned for the terminal.
    fn note(&self, e: &EntityId, qi: usize) -> Option<String> {
        self.s
            .answers(e)
            .and_then(|a| a.get(&self.q.questions[qi].id))
            .and_then(|a| a.note.as_deref())
            .filter(|n| !n.trim().is_empty())
            .map(|n| sanitize(&crate::secrets::redacted(n)))
    }

    /// Sets (or, empty, removes) the note on an answered question, and says so.
    fn set_note(&mut self, e: &EntityId, qi: usize, note: &str) -> Result<(), Error> {
        let qid = self.q.questions[qi].id.clone();
        let found = self.s.set_note(&qid, e, note, Utc::now());
        self.io.say(if note.is_empty() {
            "Note removed."
        } else {
            "Note saved."
        })?;
        if !found.is_empty() {
            self.io
                .say(&format!("Warning: {}.", crate::secrets::warning(&found)))?;
        }
        Ok(())
    }

    /// Picks the engagement, a system or an identity; `None` for Enter.
    pub(super) fn pick_entity(&mut self, prompt: &str) -> Result<Option<EntityId>, Error> {
        let entities: Vec<EntityId> = self.entities().into_iter().map(|(_, e)| e).collect();
        if entities.len() == 1 {
            return Ok(entities.into_iter().next());
        }
        self.io.say(prompt)?;
        let rows: Vec<String> = entities.iter().map(|e| self.entity_title(e)).collect();
        Ok(self
            .choose(&rows, "Number (Enter to go back): ")?
            .and_then(|n| entities.get(n).cloned()))
    }

    /// "Change an answer": an entity, then one of its questions (with the answers they have),
    /// asked again; back to its list of questions until Enter.
    pub(super) fn change_answer(&mut self) -> Result<Next, Error> {
        let Some(e) = self.pick_entity("Whose answer?")? else {
            return Ok(Next::Go);
        };
        loop {
            let vis = engine::visibility(self.q, &self.s);
            let Some(key) = self.entities().into_iter().find(|(_, x)| x == &e) else {
                return Ok(Next::Go);
            };
            let shown = vis.shown(key.0);
            let title = self.entity_title(&e);
            self.io
                .say(&format!("\nQuestions for {title}, with their answers:"))?;
            let rows: Vec<String> = shown
                .iter()
                .map(|&qi| {
                    let text = &self.q.questions[qi].text;
                    let note = if self.note(&e, qi).is_some() {
                        " It has a note."
                    } else {
                        ""
                    };
                    match self.current(&e, qi) {
                        Some(a) => format!("{text} Answer: {a}.{note}"),
                        None => format!("{text} Not answered."),
                    }
                })
                .collect();
            let Some(n) = self.choose(&rows, "Number of the question (Enter to go back): ")? else {
                return Ok(Next::Go);
            };
            self.last_entity = Some(e.clone());
            match self.ask_question(&e, shown[n])? {
                Next::Go => {}
                other => return Ok(other),
            }
        }
    }

    /// Every visible question answered "unknown" or not answered, in asking order (follow-ups
    /// an answer opens are included as they appear); Enter leaves one open.
    pub(super) fn revisit(&mut self) -> Result<Next, Error> {
        let open = self.open_questions();
        if open.0 + open.1 == 0 {
            self.io
                .say("No open questions: every question asked has an answer.")?;
            return Ok(Next::Go);
        }
        self.io.say(&format!(
            "Open questions: {} answered unknown, {} not answered. Enter leaves one open, m goes \
             back to the menu.",
            open.0, open.1
        ))?;
        let mut asked: HashSet<(EntityId, usize)> = HashSet::new();
        loop {
            let vis = engine::visibility(self.q, &self.s);
            let seq = workshop::answer::sequence(&self.s, &vis);
            let next = seq
                .into_iter()
                .find(|(e, qi)| self.is_open(e, *qi) && !asked.contains(&(e.clone(), *qi)));
            let Some((e, qi)) = next else {
                let (u, n) = self.open_questions();
                self.io.say(&if u + n == 0 {
                    "No open questions left.".to_string()
                } else {
                    format!("Gone through them all: {u} unknown and {n} not answered remain.")
                })?;
                return Ok(Next::Go);
            };
            asked.insert((e.clone(), qi));
            match self.ask_question(&e, qi)? {
                Next::Go => {}
                other => return Ok(other),
            }
        }
    }

    fn is_open(&self, e: &EntityId, qi: usize) -> bool {
        match self
            .s
            .answers(e)
            .and_then(|a| a.get(&self.q.questions[qi].id))
        {
            None => true,
            Some(a) => a.value == Value::Unknown,
        }
    }

    /// Visible questions answered "unknown", and those not answered.
    pub(super) fn open_questions(&self) -> (usize, usize) {
        let vis = engine::visibility(self.q, &self.s);
        let mut counts = (0, 0);
        for (e, qi) in workshop::answer::sequence(&self.s, &vis) {
            match self
                .s
                .answers(&e)
                .and_then(|a| a.get(&self.q.questions[qi].id))
            {
                None => counts.1 += 1,
                Some(a) if a.value == Value::Unknown => counts.0 += 1,
                Some(_) => {}
            }
        }
        counts
    }
}
