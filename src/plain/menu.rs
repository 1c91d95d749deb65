//! The menu: everything besides answering the next question.

use std::io::{BufRead, Write};
use std::path::PathBuf;

use chrono::Utc;

use super::{Next, Workshop};
use crate::engine;
use crate::export::markdown::sanitize;
use crate::session::EntityId;
use crate::workshop::{self, Error};

impl<R: BufRead, W: Write> Workshop<'_, R, W> {
    /// The menu: at once when no question is left (or read-only), or when asked for with `m`.
    pub(super) fn menu(&mut self) -> Result<Next, Error> {
        let writable = !self.lease.read_only();
        let left = if writable { self.left_to_ask() } else { 0 };
        if left == 0 {
            self.at_menu = false;
        }
        let (unknown, unanswered) = self.open_questions();
        self.io.say(&format!(
            "\n{} Inventory: {} system{}, {} identit{}.",
            match left {
                _ if !writable => "Read-only: nothing can be changed.".to_string(),
                0 => "No questions left to ask.".to_string(),
                1 => "Menu. 1 question left to ask.".to_string(),
                n => format!("Menu. {n} questions left to ask."),
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
        let has_items = !self.s.systems.is_empty() || !self.s.identities.is_empty();
        if left > 0 {
            self.io.say("  Enter. Go on with the next question")?;
        }
        if writable {
            self.io.say("  g. Change an answer")?;
            if unknown + unanswered > 0 {
                self.io.say(&format!(
                    "  o. Revisit the open questions ({unknown} unknown, {unanswered} not answered)"
                ))?;
            }
            self.io
                .say("  d. Session details (organisation, facilitator, participants, date)")?;
            self.io.say("  a. Add a system")?;
            self.io.say("  i. Add an identity")?;
        }
        if can_link {
            self.io.say("  l. Link an identity to systems")?;
        }
        if writable && has_items {
            self.io.say("  n. Rename a system or identity")?;
            self.io.say("  x. Remove a system or identity")?;
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
                return Ok(Next::Quit);
            };
            let go = |r: Result<(), Error>| r.map(|()| Next::Go);
            match line.to_lowercase().as_str() {
                "" if left > 0 => {
                    self.at_menu = false;
                    return Ok(Next::Go);
                }
                "g" if writable => return self.change_answer(),
                "o" if writable && unknown + unanswered > 0 => return self.revisit(),
                "d" if writable => return go(self.details()),
                "a" if writable => return go(self.add_system()),
                "i" if writable => return go(self.add_identity()),
                "l" if can_link => return go(self.link()),
                "n" if writable && has_items => return go(self.rename()),
                "x" if writable && has_items => return go(self.remove()),
                "r" => {
                    let text = super::report::recommendation_text(self.q, &self.s);
                    return go(self.io.say(text.trim_end()));
                }
                "e" => {
                    let s = crate::secrets::redact_session(&self.s);
                    let r = engine::recommend(self.q, &s);
                    let text = super::report::evidence_text(&s, &r);
                    return go(self.io.say(text.trim_end()));
                }
                "c" => return go(self.compare()),
                "m" if writable && !self.s.conflicts.is_empty() => {
                    self.conflicts_asked = false;
                    return Ok(Next::Go);
                }
                "k" if writable && !self.skipped.is_empty() => {
                    self.skipped.clear();
                    self.at_menu = false;
                    return Ok(Next::Go);
                }
                "q" | "quit" => return Ok(Next::Quit),
                "?" | "help" | "" => {
                    self.io.say("Type one of the letters listed above.")?;
                }
                _ => self.io.say("Not one of the listed letters.")?,
            }
        }
    }

    /// The session details, one at a time: Enter keeps each as it is, `-` clears it.
    fn details(&mut self) -> Result<(), Error> {
        self.io.say(
            "Session details. At each, press Enter to keep what it says, or type - to clear it.",
        )?;
        let mut d = self.s.workshop.clone();
        let shown = |t: &str| {
            if t.trim().is_empty() {
                "not set".to_string()
            } else {
                sanitize(t)
            }
        };
        loop {
            let Some(line) = self
                .io
                .ask(&format!("Organisation, now {}: ", shown(&d.organisation)))?
            else {
                return Ok(());
            };
            match line.as_str() {
                "" => break,
                "-" => self.io.say("The organisation needs a name; it is kept.")?,
                _ => {
                    d.organisation = self.io.stored(&line)?;
                    break;
                }
            }
        }
        let Some(line) = self
            .io
            .ask(&format!("Facilitator, now {}: ", shown(&d.facilitator)))?
        else {
            return self.set_details(d);
        };
        match line.as_str() {
            "" => {}
            "-" => d.facilitator.clear(),
            _ => d.facilitator = self.io.stored(&line)?,
        }
        let Some(line) = self.io.ask(&format!(
            "Participants, separated by commas, now {}: ",
            shown(&d.participants.join(", "))
        ))?
        else {
            return self.set_details(d);
        };
        match line.as_str() {
            "" => {}
            "-" => d.participants.clear(),
            _ => d.participants = super::participants(&self.io.stored(&line)?),
        }
        loop {
            let now = d
                .date
                .map_or("not set".to_string(), |x| x.format("%Y-%m-%d").to_string());
            let Some(line) = self
                .io
                .ask(&format!("Workshop date (YYYY-MM-DD), now {now}: "))?
            else {
                break;
            };
            match line.as_str() {
                "" => break,
                "-" => {
                    d.date = None;
                    break;
                }
                _ => match crate::vocab::parse_date(&line) {
                    Some(x) => {
                        d.date = Some(x);
                        break;
                    }
                    None => self.io.say(&format!(
                        "\"{}\" is not a date: type it as YYYY-MM-DD, like 2026-03-31.",
                        sanitize(&line)
                    ))?,
                },
            }
        }
        self.set_details(d)
    }

    fn set_details(&mut self, d: crate::session::Workshop) -> Result<(), Error> {
        if d == self.s.workshop {
            return self.io.say("Details unchanged.");
        }
        self.s.set_details(d, Utc::now());
        self.save()?;
        let org = sanitize(&self.s.workshop.organisation);
        let line = super::details_line(&self.s);
        self.io.say(&format!("Saved: organisation {org}, {line}."))
    }

    /// A system or identity, for renaming or removing; `None` for Enter.
    fn pick_item(&mut self, prompt: &str) -> Result<Option<EntityId>, Error> {
        let items: Vec<EntityId> = self
            .entities()
            .into_iter()
            .map(|(_, e)| e)
            .filter(|e| *e != EntityId::Engagement)
            .collect();
        self.io.say(prompt)?;
        let rows: Vec<String> = items.iter().map(|e| self.entity_title(e)).collect();
        Ok(self
            .choose(&rows, "Number (Enter to go back): ")?
            .and_then(|n| items.get(n).cloned()))
    }

    fn rename(&mut self) -> Result<(), Error> {
        let Some(e) = self.pick_item("Rename which?")? else {
            return Ok(());
        };
        let old = sanitize(&self.s.entity_name(&e));
        let Some(name) = self
            .io
            .ask(&format!("New name for {old} (Enter to keep it): "))?
        else {
            return Ok(());
        };
        if name.is_empty() {
            return self.io.say("Name unchanged.");
        }
        let stored = self.io.stored(&name)?;
        self.s.rename_in(self.q, &e, &stored, Utc::now());
        self.save()?;
        let new = sanitize(&self.s.entity_name(&e));
        self.io.say(&format!("Renamed {old} to {new}."))
    }

    fn remove(&mut self) -> Result<(), Error> {
        let Some(e) = self.pick_item("Remove which?")? else {
            return Ok(());
        };
        let name = sanitize(&self.s.entity_name(&e));
        let answers = self.s.answers(&e).map_or(0, |a| a.len());
        let what = match &e {
            EntityId::System(_) => format!(
                "Remove system {name} and its {answers} answer(s)? Identities lose their access \
                 link to it. Type yes to remove, anything else keeps it: "
            ),
            _ => format!(
                "Remove identity {name} and its {answers} answer(s)? Type yes to remove, \
                 anything else keeps it: "
            ),
        };
        let Some(line) = self.io.ask(&what)? else {
            return Ok(());
        };
        if !matches!(line.to_lowercase().as_str(), "yes" | "y") {
            return self.io.say(&format!("Kept {name}."));
        }
        let now = Utc::now();
        match &e {
            EntityId::System(id) => self.s.remove_system(id, now),
            EntityId::Identity(id) => self.s.remove_identity(id, now),
            EntityId::Engagement => return Ok(()),
        }
        if self.last_entity.as_ref() == Some(&e) {
            self.last_entity = None;
        }
        self.skipped.retain(|(x, _)| x != &e);
        self.save()?;
        self.io.say(&format!("Removed {name}."))
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

    fn add_system(&mut self) -> Result<(), Error> {
        let Some(name) = self.io.ask("Name of the system (Enter to cancel): ")? else {
            return Ok(());
        };
        if name.is_empty() {
            return Ok(());
        }
        let id = self.s.add_system(&name, Utc::now());
        self.save()?;
        let name = self.io.stored(&name)?;
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
        let name = self.io.stored(&name)?;
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
                    self.io
                        .say(&format!("{}.", super::capitalise(&said.join(", "))))?;
                    return Ok(());
                }
                Err(m) => self.io.say(&format!("{m}; type numbers from the list."))?,
            }
        }
    }
}
