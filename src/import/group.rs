//! One identity per name: rows for the same name are merged as they are read (one row per
//! grant is common); rows that disagree are all bad, since which of them is right is for
//! people to say.

use std::collections::{BTreeMap, VecDeque};

use foldhash::{HashMap, HashSet};

use super::facts::{COMPARED, Facts};
use super::read::RowError;
use super::{name_key, same_name, sanitize};

/// The first disagreement found for a row: with which line, about what, the two cells.
#[derive(Debug)]
struct Disagreement {
    /// Which disagreement is reported when a row has several: the first fact (in [`COMPARED`]
    /// order), then the first row.
    rank: (usize, u64),
    other: u64,
    what: &'static str,
    here: String,
    there: String,
}

/// The rows of one identity, merged: systems added, the highest privilege kept, any other fact
/// taken from the first row that has it.
#[derive(Debug)]
pub(super) struct Group {
    pub facts: Facts,
    /// Every line merged into it, in file order.
    pub lines: Vec<u64>,
    /// Kept only for identities on more than one row (most have one).
    more: Option<Box<More>>,
}

#[derive(Debug, Default)]
struct More {
    /// Where each compared fact was first given (its line), as `facts` holds it.
    given: [u64; COMPARED.len()],
    /// Systems seen, by [`name_key`], once there are too many to compare one by one.
    seen: Option<HashSet<String>>,
    disagree: BTreeMap<u64, Disagreement>,
}

/// What a group keeps once a second row joins it: until then only the first row has given
/// anything.
fn more_of<'a>(more: &'a mut Option<Box<More>>, facts: &Facts) -> &'a mut More {
    more.get_or_insert_with(|| {
        Box::new(More {
            given: COMPARED.map(|(_, get)| if get(facts).is_some() { facts.line } else { 0 }),
            ..More::default()
        })
    })
}

/// Rows with more systems than this keep a set of them rather than comparing each.
const FEW: usize = 8;

impl Group {
    fn new(mut facts: Facts) -> Group {
        let systems = std::mem::take(&mut facts.systems);
        let mut g = Group {
            lines: vec![facts.line],
            facts,
            more: None,
        };
        g.add_systems(systems);
        g
    }

    fn more(&mut self) -> &mut More {
        more_of(&mut self.more, &self.facts)
    }

    fn add_systems(&mut self, systems: Vec<String>) {
        for sys in systems {
            let seen = self.more.as_mut().and_then(|m| m.seen.as_mut());
            let known = match seen {
                Some(seen) => !seen.insert(name_key(&sys)),
                None => self.facts.systems.iter().any(|x| same_name(x, &sys)),
            };
            if known {
                continue;
            }
            self.facts.systems.push(sys);
            if self.facts.systems.len() > FEW && self.more().seen.is_none() {
                let seen = self.facts.systems.iter().map(|s| name_key(s)).collect();
                self.more().seen = Some(seen);
            }
        }
    }

    /// Keeps, for `line`, the disagreement of lowest rank.
    fn note(&mut self, line: u64, d: Disagreement) {
        let disagree = &mut self.more().disagree;
        match disagree.get(&line) {
            Some(old) if old.rank <= d.rank => {}
            _ => {
                disagree.insert(line, d);
            }
        }
    }

    fn merge(&mut self, fx: Facts) {
        self.more();
        // Each row is compared with the first row that gives the fact.
        for (i, (what, get)) in COMPARED.into_iter().enumerate() {
            let (Some(first), Some(here)) = (get(&self.facts), get(&fx)) else {
                continue;
            };
            if first.id != here.id {
                let rank = (i, fx.line);
                let (a, b) = (first.raw.to_string(), here.raw.to_string());
                let first_line = self.more().given[i];
                self.note(
                    first_line,
                    Disagreement {
                        rank,
                        other: fx.line,
                        what,
                        here: a.clone(),
                        there: b.clone(),
                    },
                );
                self.note(
                    fx.line,
                    Disagreement {
                        rank,
                        other: first_line,
                        what,
                        here: b,
                        there: a,
                    },
                );
            }
        }
        let rank = |p: &str| ["read", "write", "admin"].iter().position(|x| *x == p);
        let given = &mut more_of(&mut self.more, &self.facts).given;
        let g = &mut self.facts;
        g.privilege = match (g.privilege.take(), fx.privilege) {
            (Some(a), Some(b)) => Some(if rank(&b.id) > rank(&a.id) { b } else { a }),
            (a, b) => a.or(b),
        };
        for (i, (slot, new)) in [
            (&mut g.kind, fx.kind),
            (&mut g.owner, fx.owner),
            (&mut g.rotation, fx.rotation),
            (&mut g.reviewed, fx.reviewed),
            (&mut g.mfa, fx.mfa),
        ]
        .into_iter()
        .enumerate()
        {
            if slot.is_none() && new.is_some() {
                *slot = new;
                given[i] = fx.line;
            }
        }
        self.lines.push(fx.line);
        self.add_systems(fx.systems);
    }

    /// Every row of the identity, each with what it disagrees about; empty when they agree.
    fn conflicts(&self) -> Vec<RowError> {
        let Some(disagree) = self
            .more
            .as_ref()
            .map(|m| &m.disagree)
            .filter(|d| !d.is_empty())
        else {
            return Vec::new();
        };
        let name = sanitize(&self.facts.name);
        let help = "help: make the rows for one identity agree, or remove the wrong ones; none \
                    of its rows is imported until then";
        // A name on thousands of rows is listed by its first few.
        const SHOWN: usize = 10;
        let mut lines: Vec<String> = self.lines.iter().take(SHOWN).map(u64::to_string).collect();
        if self.lines.len() > SHOWN {
            lines.push(format!("{} more", self.lines.len() - SHOWN));
        }
        let lines = lines.join(", ");
        self.lines
            .iter()
            .map(|&line| {
                RowError::at(
                    line,
                    match disagree.get(&line) {
                        Some(d) => format!(
                            "\"{name}\" is also on line {} with a different {} (\"{}\" here, \
                             \"{}\" there)\n  {help}",
                            d.other,
                            d.what,
                            sanitize(&d.here),
                            sanitize(&d.there)
                        ),
                        None => format!(
                            "\"{name}\": its rows disagree (lines {lines}), so this one is left \
                             out too\n  {help}"
                        ),
                    },
                )
            })
            .collect()
    }
}

/// The identities of a file, in the order their names first appear.
#[derive(Default)]
pub(super) struct Groups {
    groups: Vec<Group>,
    index: HashMap<String, usize>,
}

impl Groups {
    pub(crate) fn add(&mut self, fx: Facts) {
        match self.index.get(name_key(&fx.name).as_str()) {
            Some(&i) => self.groups[i].merge(fx),
            None => {
                self.index.insert(name_key(&fx.name), self.groups.len());
                self.groups.push(Group::new(fx));
            }
        }
    }

    /// The identities whose rows agree (their sets of seen systems dropped), and a problem for
    /// every row of those whose rows do not.
    pub(crate) fn finish(self) -> (VecDeque<Group>, Vec<RowError>) {
        let mut errors = Vec::new();
        let mut groups = self.groups;
        drop(self.index);
        groups.retain_mut(|g| {
            let conflicts = g.conflicts();
            g.more = None;
            let agreed = conflicts.is_empty();
            errors.extend(conflicts);
            agreed
        });
        (VecDeque::from(groups), errors)
    }
}
