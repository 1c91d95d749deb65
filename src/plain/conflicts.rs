//! Merge conflicts, asked about first when a merged session is resumed.

use std::collections::HashSet;
use std::io::{BufRead, Write};

use chrono::Utc;

use super::Workshop;
use crate::export::markdown::sanitize;
use crate::session::{Resolution, Side, Subject, Value};
use crate::workshop::{self, Error};

impl<R: BufRead, W: Write> Workshop<'_, R, W> {
    /// Asks about each merge conflict: both versions, with when each side changed it; 1 or 2
    /// takes one, anything else is a new answer, Enter leaves it for later (it stays marked).
    /// Returns whether the user quit.
    pub(super) fn resolve_conflicts(&mut self) -> Result<bool, Error> {
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
}
