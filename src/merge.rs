//! Three-way merge of sessions, answer by answer and note by note (docs/session-format.md,
//! "Merging").
//!
//! Pure: [`merge`] takes the common ancestor and the two copies and returns the merged session
//! with its conflicts; `cli::merge` is the shell (and git's merge driver).
//!
//! - A change made on one side is taken; the same change on both is taken once; different
//!   changes to the same answer (value or note), name or workshop detail are a [`Conflict`]:
//!   the session keeps ours and records both.
//! - Systems and identities are the same entry across the sides by id when the base has it.
//!   Entries added on both sides with the same name (ignoring case and surrounding spaces)
//!   are one entry: two breakouts adding "NetSuite" mean the same system, and their answers
//!   merge (differing answers are conflicts). Other entries added on "theirs" keep their id
//!   unless ours uses it; then they get a new one, and identities' links follow.
//! - An entry removed on one side and changed on the other is kept, with a conflict.
//! - The inventory keeps ours' order; an entry only theirs has goes where theirs has it.
//! - Links, participants, kept-aside answers and unresolved conflicts merge as sets: what one
//!   side added is added, what one side removed is removed.
//! - `updated` is the later of the two sides (so merging twice gives the same bytes), `created`
//!   the earlier when they differ; the `[recommendation]` summary is recomputed when saved.

use std::collections::{BTreeSet, HashMap, HashSet, VecDeque};
use std::hash::Hash;

use chrono::{DateTime, Utc};

use crate::questionnaire::Questionnaire;
use crate::secrets::contains_secret;
use crate::session::{
    Answer, Answers, Conflict, Detail, EntityId, Identity, Note, OrphanAnswer, QuestionnaireRef,
    Session, Side, Subject, System, Value, Workshop, value_text,
};

/// A merged session and the conflicts this merge found.
#[derive(Debug, Clone)]
pub struct Merged {
    /// The merged session; its `conflicts` holds these conflicts and any a side still had
    /// unresolved from an earlier merge.
    pub session: Session,
    /// The conflicts this merge found, in session order (workshop, engagement, systems,
    /// identities).
    pub conflicts: Vec<Conflict>,
}

/// The value both sides agree on, or the one side changed; `None` when both changed it
/// differently.
fn pick3<T: PartialEq + Clone>(base: &T, ours: &T, theirs: &T) -> Option<T> {
    if ours == theirs || theirs == base {
        Some(ours.clone())
    } else if ours == base {
        Some(theirs.clone())
    } else {
        None
    }
}

/// Which side's version to take (ours when they agree); `None` when both changed it
/// differently.
fn pick_side<T: PartialEq>(base: &T, ours: &T, theirs: &T) -> Option<Side> {
    if ours == theirs || theirs == base {
        Some(Side::Ours)
    } else if ours == base {
        Some(Side::Theirs)
    } else {
        None
    }
}

/// Three-way merge of one answer; `Err` when it conflicts.
fn merge_answer(
    base: Option<&Answer>,
    ours: Option<&Answer>,
    theirs: Option<&Answer>,
) -> Result<Option<Answer>, ()> {
    if let Some(side) = pick_side(&base, &ours, &theirs) {
        return Ok(match side {
            Side::Ours => ours.cloned(),
            Side::Theirs => theirs.cloned(),
        });
    }
    // Both changed it. One clearing it while the other changed it is a conflict; otherwise
    // the value and the note merge on their own.
    let (Some(o), Some(t)) = (ours, theirs) else {
        return Err(());
    };
    let value = pick_side(&base.map(|a| &a.value), &Some(&o.value), &Some(&t.value)).ok_or(())?;
    let note = pick_side(
        &base.and_then(|a| a.note.as_ref()),
        &o.note.as_ref(),
        &t.note.as_ref(),
    )
    .ok_or(())?;
    let of = |side: Side| if side == Side::Ours { o } else { t };
    let (v, n) = (of(value), of(note));
    let secret =
        |a: &Answer, text: Option<&str>| a.secret_override && text.is_some_and(contains_secret);
    let value_text = match &v.value {
        Value::Text(s) => Some(s.as_str()),
        _ => None,
    };
    Ok(Some(Answer {
        value: v.value.clone(),
        at: o.at.max(t.at),
        note: n.note.clone(),
        source: v.source.clone(),
        secret_override: secret(v, value_text) || secret(n, n.note.as_deref()),
    }))
}

/// Merges an entry's answers; conflicting ones keep ours and are recorded.
fn merge_answers(
    entity: &EntityId,
    base: Option<&Answers>,
    ours: &Answers,
    theirs: &Answers,
    conflicts: &mut Vec<Conflict>,
) -> Answers {
    let keys: BTreeSet<&String> = base
        .into_iter()
        .flat_map(|b| b.keys())
        .chain(ours.keys())
        .chain(theirs.keys())
        .collect();
    let mut out = Answers::new();
    for k in keys {
        let (o, t) = (ours.get(k), theirs.get(k));
        match merge_answer(base.and_then(|b| b.get(k)), o, t) {
            Ok(Some(a)) => {
                out.insert(k.clone(), a);
            }
            Ok(None) => {}
            Err(()) => {
                if let Some(a) = o {
                    out.insert(k.clone(), a.clone());
                }
                conflicts.push(Conflict {
                    subject: Subject::Answer {
                        entity: entity.clone(),
                        question: k.clone(),
                    },
                    ours: o.cloned(),
                    theirs: t.cloned(),
                });
            }
        }
    }
    out
}

/// A name or detail as a conflict side: its text, at the time that side was last saved.
fn text_side(text: &str, at: DateTime<Utc>) -> Option<Answer> {
    (!text.is_empty()).then(|| Answer::new(Value::Text(text.to_string()), at))
}

/// How people compare names: two breakouts typing "Okta" and "okta " mean one system.
fn name_key(name: &str) -> String {
    name.trim().to_lowercase()
}

/// One merged entry: where it is in each session, and its id in the merged one.
struct Row {
    base: Option<usize>,
    ours: Option<usize>,
    theirs: Option<usize>,
    id: String,
}

/// How one kind of entry (systems or identities) lines up across the three sessions.
struct Lineup {
    rows: Vec<Row>,
    /// Theirs' id of every entry -> its id in the merged session.
    theirs_ids: HashMap<String, String>,
}

/// Lines entries up: by id when the base has it; entries added on both sides with the same
/// name are one; theirs' other additions keep their id unless it is taken.
fn line_up(prefix: &str, base: &[&str], ours: &[(&str, &str)], theirs: &[(&str, &str)]) -> Lineup {
    let position = |ids: &mut dyn Iterator<Item = &str>| -> HashMap<String, usize> {
        ids.enumerate().map(|(i, id)| (id.to_string(), i)).collect()
    };
    let in_base = position(&mut base.iter().copied());
    let in_ours = position(&mut ours.iter().map(|x| x.0));
    let in_theirs = position(&mut theirs.iter().map(|x| x.0));
    let mut rows: Vec<Row> = base
        .iter()
        .enumerate()
        .map(|(i, id)| Row {
            base: Some(i),
            ours: in_ours.get(*id).copied(),
            theirs: in_theirs.get(*id).copied(),
            id: id.to_string(),
        })
        .collect();
    let mut added_by_name: HashMap<String, VecDeque<usize>> = HashMap::new();
    for (j, (id, name)) in ours.iter().enumerate() {
        if !in_base.contains_key(*id) {
            added_by_name
                .entry(name_key(name))
                .or_default()
                .push_back(rows.len());
            rows.push(Row {
                base: None,
                ours: Some(j),
                theirs: None,
                id: id.to_string(),
            });
        }
    }
    let mut taken: HashSet<String> = in_base.keys().chain(in_ours.keys()).cloned().collect();
    let mut next = base
        .iter()
        .chain(ours.iter().map(|x| &x.0))
        .chain(theirs.iter().map(|x| &x.0))
        .filter_map(|id| id.strip_prefix(prefix)?.parse::<u64>().ok())
        .max()
        .unwrap_or(0)
        + 1;
    let mut theirs_ids = HashMap::with_capacity(theirs.len());
    for (k, (id, name)) in theirs.iter().enumerate() {
        if in_base.contains_key(*id) {
            theirs_ids.insert(id.to_string(), id.to_string());
            continue;
        }
        if let Some(r) = added_by_name
            .get_mut(&name_key(name))
            .and_then(VecDeque::pop_front)
        {
            rows[r].theirs = Some(k);
            theirs_ids.insert(id.to_string(), rows[r].id.clone());
            continue;
        }
        let merged = if taken.contains(*id) {
            let fresh = format!("{prefix}{next}");
            next += 1;
            fresh
        } else {
            id.to_string()
        };
        taken.insert(merged.clone());
        theirs_ids.insert(id.to_string(), merged.clone());
        rows.push(Row {
            base: None,
            ours: None,
            theirs: Some(k),
            id: merged,
        });
    }
    Lineup {
        rows: in_order(rows, theirs.len()),
        theirs_ids,
    }
}

/// The merged order: ours', with each entry only theirs has placed where theirs has it, just
/// before the next entry both have (after ours' own additions there), or at the end. A side
/// that changed nothing thus gives the other's order exactly.
fn in_order(rows: Vec<Row>, theirs_len: usize) -> Vec<Row> {
    let mut of_theirs: Vec<Option<usize>> = vec![None; theirs_len];
    for (r, row) in rows.iter().enumerate() {
        if let Some(k) = row.theirs {
            of_theirs[k] = Some(r);
        }
    }
    // Rows only theirs has, grouped by the shared row they go before (`None`: the end).
    let mut before: HashMap<Option<usize>, Vec<usize>> = HashMap::new();
    let mut waiting: Vec<usize> = Vec::new();
    for r in of_theirs.into_iter().flatten() {
        if rows[r].ours.is_some() {
            if !waiting.is_empty() {
                before.insert(Some(r), std::mem::take(&mut waiting));
            }
        } else {
            waiting.push(r);
        }
    }
    before.insert(None, waiting);
    let mut primary: Vec<usize> = (0..rows.len())
        .filter(|r| rows[*r].ours.is_some())
        .collect();
    primary.sort_by_key(|r| rows[*r].ours);
    let mut order = Vec::with_capacity(rows.len());
    for r in primary {
        order.extend(before.remove(&Some(r)).into_iter().flatten());
        order.push(r);
    }
    order.extend(before.remove(&None).into_iter().flatten());
    let mut slots: Vec<Option<Row>> = rows.into_iter().map(Some).collect();
    order.into_iter().filter_map(|r| slots[r].take()).collect()
}

/// What both kinds of entry have in common, for the merge.
trait Entry {
    fn name(&self) -> &str;
    fn answers(&self) -> &Answers;
}

impl Entry for System {
    fn name(&self) -> &str {
        &self.name
    }
    fn answers(&self) -> &Answers {
        &self.answers
    }
}

impl Entry for Identity {
    fn name(&self) -> &str {
        &self.name
    }
    fn answers(&self) -> &Answers {
        &self.answers
    }
}

/// The three sessions being merged, and the conflicts found so far.
struct Merging<'a> {
    base: &'a Session,
    ours: &'a Session,
    theirs: &'a Session,
    conflicts: Vec<Conflict>,
}

impl Merging<'_> {
    /// The merged name and answers of one entry, or `None` when it is removed.
    /// `links_changed` says whether ours / theirs changed an identity's links, which counts
    /// as changing it when the other side removed it.
    fn entry<E: Entry>(
        &mut self,
        entity: EntityId,
        (b, o, t): (Option<&E>, Option<&E>, Option<&E>),
        links_changed: [bool; 2],
    ) -> Option<(String, Answers)> {
        let changed =
            |x: &E, b: &E, links: bool| links || x.name() != b.name() || x.answers() != b.answers();
        match (b, o, t) {
            (_, Some(o), Some(t)) => {
                let name = match b {
                    None => o.name().to_string(),
                    Some(b) => match pick3(&b.name(), &o.name(), &t.name()) {
                        Some(n) => n.to_string(),
                        None => {
                            self.conflicts.push(Conflict {
                                subject: Subject::Name(entity.clone()),
                                ours: text_side(o.name(), self.ours.updated),
                                theirs: text_side(t.name(), self.theirs.updated),
                            });
                            o.name().to_string()
                        }
                    },
                };
                let answers = merge_answers(
                    &entity,
                    b.map(Entry::answers),
                    o.answers(),
                    t.answers(),
                    &mut self.conflicts,
                );
                Some((name, answers))
            }
            (Some(b), Some(x), None) | (Some(b), None, Some(x)) => {
                let ours_kept = o.is_some();
                let links = links_changed[if ours_kept { 0 } else { 1 }];
                if !changed(x, b, links) {
                    return None;
                }
                let by = if ours_kept { self.ours } else { self.theirs };
                // The side that kept it, named (by its id if it has no name); the other: none.
                let kept = text_side(x.name(), by.updated)
                    .or_else(|| Some(Answer::new(Value::Text(entity_id(&entity)), by.updated)));
                let (ours, theirs) = if ours_kept {
                    (kept, None)
                } else {
                    (None, kept)
                };
                self.conflicts.push(Conflict {
                    subject: Subject::Removed(entity),
                    ours,
                    theirs,
                });
                Some((x.name().to_string(), x.answers().clone()))
            }
            (None, Some(x), None) | (None, None, Some(x)) => {
                Some((x.name().to_string(), x.answers().clone()))
            }
            (_, None, None) => None,
        }
    }

    fn details(&mut self) -> Workshop {
        let (b, o, t) = (
            &self.base.workshop,
            &self.ours.workshop,
            &self.theirs.workshop,
        );
        let mut text = |d: Detail, b: &String, o: &String, t: &String| -> String {
            pick3(b, o, t).unwrap_or_else(|| {
                self.conflicts.push(Conflict {
                    subject: Subject::Detail(d),
                    ours: text_side(o, self.ours.updated),
                    theirs: text_side(t, self.theirs.updated),
                });
                o.clone()
            })
        };
        let organisation = text(
            Detail::Organisation,
            &b.organisation,
            &o.organisation,
            &t.organisation,
        );
        let facilitator = text(
            Detail::Facilitator,
            &b.facilitator,
            &o.facilitator,
            &t.facilitator,
        );
        let date = pick3(&b.date, &o.date, &t.date).unwrap_or_else(|| {
            let day = |s: &Session| s.detail_text(Detail::Date);
            self.conflicts.push(Conflict {
                subject: Subject::Detail(Detail::Date),
                ours: text_side(&day(self.ours), self.ours.updated),
                theirs: text_side(&day(self.theirs), self.theirs.updated),
            });
            o.date
        });
        Workshop {
            organisation,
            facilitator,
            participants: merge_set(&b.participants, &o.participants, &t.participants, |p| {
                p.clone()
            }),
            date,
        }
    }
}

fn entity_id(e: &EntityId) -> String {
    match e {
        EntityId::Engagement => "engagement".into(),
        EntityId::System(id) | EntityId::Identity(id) => id.clone(),
    }
}

/// Three-way merge of a set kept as a list: ours' order, then what theirs added; what either
/// side removed is gone.
fn merge_set<T: Clone, K: Hash + Eq>(
    base: &[T],
    ours: &[T],
    theirs: &[T],
    key: impl Fn(&T) -> K,
) -> Vec<T> {
    // A side that did not change it takes the other's as it is, order included.
    let unchanged = |side: &[T]| side.iter().map(&key).eq(base.iter().map(&key));
    if unchanged(ours) {
        return theirs.to_vec();
    }
    if unchanged(theirs) {
        return ours.to_vec();
    }
    let b: HashSet<K> = base.iter().map(&key).collect();
    let o: HashSet<K> = ours.iter().map(&key).collect();
    let t: HashSet<K> = theirs.iter().map(&key).collect();
    let mut seen = HashSet::new();
    ours.iter()
        .filter(|x| {
            let k = key(x);
            t.contains(&k) || !b.contains(&k)
        })
        .chain(theirs.iter().filter(|x| {
            let k = key(x);
            !o.contains(&k) && !b.contains(&k)
        }))
        .filter(|x| seen.insert(key(x)))
        .cloned()
        .collect()
}

/// Merges `ours` and `theirs`, two copies of `base` changed apart. Answers, names and workshop
/// details changed differently on both sides are conflicts (the session keeps ours, the
/// conflict both); see the module documentation for the rest.
pub fn merge(q: &Questionnaire, base: &Session, ours: &Session, theirs: &Session) -> Merged {
    let sys: Vec<(&str, &str)> = ours.systems.iter().map(|x| (&*x.id, &*x.name)).collect();
    let sys_theirs: Vec<(&str, &str)> = theirs.systems.iter().map(|x| (&*x.id, &*x.name)).collect();
    let base_sys: Vec<&str> = base.systems.iter().map(|x| x.id.as_str()).collect();
    let systems_line = line_up("s", &base_sys, &sys, &sys_theirs);
    let ids_ours: Vec<(&str, &str)> = ours.identities.iter().map(|x| (&*x.id, &*x.name)).collect();
    let ids_theirs: Vec<(&str, &str)> = theirs
        .identities
        .iter()
        .map(|x| (&*x.id, &*x.name))
        .collect();
    let base_ids: Vec<&str> = base.identities.iter().map(|x| x.id.as_str()).collect();
    let identities_line = line_up("i", &base_ids, &ids_ours, &ids_theirs);
    let map_theirs = |e: &EntityId| -> EntityId {
        let via = |m: &HashMap<String, String>, id: &String| m.get(id).unwrap_or(id).clone();
        match e {
            EntityId::Engagement => EntityId::Engagement,
            EntityId::System(id) => EntityId::System(via(&systems_line.theirs_ids, id)),
            EntityId::Identity(id) => EntityId::Identity(via(&identities_line.theirs_ids, id)),
        }
    };

    let mut m = Merging {
        base,
        ours,
        theirs,
        conflicts: Vec::new(),
    };
    let workshop = m.details();
    let engagement = merge_answers(
        &EntityId::Engagement,
        Some(&base.engagement),
        &ours.engagement,
        &theirs.engagement,
        &mut m.conflicts,
    );

    let mut systems = Vec::with_capacity(systems_line.rows.len());
    for row in &systems_line.rows {
        let sides = (
            row.base.map(|i| &base.systems[i]),
            row.ours.map(|i| &ours.systems[i]),
            row.theirs.map(|i| &theirs.systems[i]),
        );
        if let Some((name, answers)) =
            m.entry(EntityId::System(row.id.clone()), sides, [false, false])
        {
            systems.push(System {
                id: row.id.clone(),
                name,
                answers,
            });
        }
    }
    let order: HashMap<&str, usize> = systems
        .iter()
        .enumerate()
        .map(|(i, x)| (x.id.as_str(), i))
        .collect();
    let ours_has: HashSet<&str> = ours.systems.iter().map(|x| x.id.as_str()).collect();
    let theirs_has: HashSet<&str> = systems_line
        .theirs_ids
        .values()
        .map(String::as_str)
        .collect();
    let theirs_links = |i: &Identity| -> Vec<String> {
        i.systems
            .iter()
            .map(|s| systems_line.theirs_ids.get(s).unwrap_or(s).clone())
            .collect()
    };

    let mut identities = Vec::with_capacity(identities_line.rows.len());
    for row in &identities_line.rows {
        let (b, o, t) = (
            row.base.map(|i| &base.identities[i]),
            row.ours.map(|i| &ours.identities[i]),
            row.theirs.map(|i| &theirs.identities[i]),
        );
        let set = |v: &[String]| v.iter().cloned().collect::<HashSet<String>>();
        let base_links = b.map(|x| set(&x.systems)).unwrap_or_default();
        let t_links = t.map(theirs_links);
        // A side that no longer has a system has no links to it: it said nothing about them.
        let link = |x: &String, side_links: Option<&HashSet<String>>, has: &HashSet<&str>| {
            match side_links {
                Some(l) if has.contains(x.as_str()) => l.contains(x),
                _ => base_links.contains(x),
            }
        };
        let o_set = o.map(|x| set(&x.systems));
        let t_set = t_links.as_deref().map(set);
        let links_changed = [
            o_set.as_ref().is_some_and(|l| *l != base_links),
            t_set.as_ref().is_some_and(|l| *l != base_links),
        ];
        let Some((name, answers)) =
            m.entry(EntityId::Identity(row.id.clone()), (b, o, t), links_changed)
        else {
            continue;
        };
        let candidates: BTreeSet<&String> = base_links
            .iter()
            .chain(o_set.iter().flatten())
            .chain(t_set.iter().flatten())
            .collect();
        let mut links: Vec<String> = candidates
            .into_iter()
            .filter(|x| order.contains_key(x.as_str()))
            .filter(|x| {
                let (ib, io, it) = (
                    base_links.contains(*x),
                    link(x, o_set.as_ref(), &ours_has),
                    link(x, t_set.as_ref(), &theirs_has),
                );
                // One side alone (an addition, or kept after a removal) brings its links.
                match (o_set.is_some(), t_set.is_some()) {
                    (true, false) => o_set.as_ref().is_some_and(|l| l.contains(*x)),
                    (false, true) => t_set.as_ref().is_some_and(|l| l.contains(*x)),
                    _ => pick3(&ib, &io, &it).unwrap_or(io),
                }
            })
            .cloned()
            .collect();
        links.sort_by_key(|x| order.get(x.as_str()).copied());
        identities.push(Identity {
            id: row.id.clone(),
            name,
            systems: links,
            answers,
        });
    }
    let found = std::mem::take(&mut m.conflicts);

    // Answers kept aside and conflicts left from earlier merges, as sets.
    let theirs_orphans: Vec<OrphanAnswer> = theirs
        .orphans
        .iter()
        .map(|o| {
            let mut o = o.clone();
            let kind = if o.entity.starts_with("system") {
                Some(&systems_line.theirs_ids)
            } else if o.entity.starts_with("identity") {
                Some(&identities_line.theirs_ids)
            } else {
                None
            };
            if let (Some(map), Some(id)) = (kind, &o.entity_id)
                && let Some(new) = map.get(id)
            {
                o.entity_id = Some(new.clone());
            }
            o
        })
        .collect();
    let orphans = merge_set(&base.orphans, &ours.orphans, &theirs_orphans, |o| {
        (
            o.entity.clone(),
            o.entity_id.clone(),
            o.question.clone(),
            o.value.clone(),
            o.reason.clone(),
            o.note.clone(),
            o.at.clone(),
            o.source.clone(),
        )
    });
    let theirs_conflicts: Vec<Conflict> = theirs
        .conflicts
        .iter()
        .map(|c| {
            let mut c = c.clone();
            c.subject = match &c.subject {
                Subject::Answer { entity, question } => Subject::Answer {
                    entity: map_theirs(entity),
                    question: question.clone(),
                },
                Subject::Name(e) => Subject::Name(map_theirs(e)),
                Subject::Removed(e) => Subject::Removed(map_theirs(e)),
                Subject::Detail(d) => Subject::Detail(*d),
            };
            c
        })
        .collect();
    let new_subjects: HashSet<&Subject> = found.iter().map(|c| &c.subject).collect();
    let sys_ids: HashSet<&str> = systems.iter().map(|x| x.id.as_str()).collect();
    let id_ids: HashSet<&str> = identities.iter().map(|x| x.id.as_str()).collect();
    let exists = |e: Option<&EntityId>| match e {
        None | Some(EntityId::Engagement) => true,
        Some(EntityId::System(id)) => sys_ids.contains(id.as_str()),
        Some(EntityId::Identity(id)) => id_ids.contains(id.as_str()),
    };
    let mut conflicts: Vec<Conflict> =
        merge_set(&base.conflicts, &ours.conflicts, &theirs_conflicts, |c| {
            c.subject.clone()
        })
        .into_iter()
        .filter(|c| !new_subjects.contains(&c.subject) && exists(c.subject.entity()))
        .collect();
    conflicts.extend(found.iter().cloned());

    let questionnaire = if ours.questionnaire == theirs.questionnaire {
        ours.questionnaire.clone()
    } else {
        // Both were read (and their answers reconciled) with `q`.
        QuestionnaireRef {
            id: q.id.clone(),
            version: q.version.clone(),
            hash: q.hash.clone(),
        }
    };
    // Notes on questions not answered yet merge as sets (theirs' entries renumbered).
    type Listed = Vec<(EntityId, String, Note)>;
    let listed = |s: &Session, map: &dyn Fn(&EntityId) -> EntityId| -> Listed {
        s.notes
            .iter()
            .map(|((e, qid), n)| (map(e), qid.clone(), n.clone()))
            .collect()
    };
    let same = |e: &EntityId| e.clone();
    let notes = merge_set(
        &listed(base, &same),
        &listed(ours, &same),
        &listed(theirs, &map_theirs),
        // The time is part of a note: answering and clearing a question gives its note back
        // with a new time, and a side that did only that changed it (a merge property test
        // found the older time kept).
        |(e, qid, n)| (e.clone(), qid.clone(), n.text.clone(), n.at),
    );
    let mut session = Session {
        workshop,
        created: pick3(&base.created, &ours.created, &theirs.created)
            .unwrap_or_else(|| ours.created.min(theirs.created)),
        updated: ours.updated.max(theirs.updated),
        questionnaire,
        engagement,
        systems,
        identities,
        orphans,
        conflicts,
        retired: base.retired.max(ours.retired).max(theirs.retired),
        notes: Default::default(),
        revision: Default::default(),
    };
    for (e, qid, n) in notes {
        add_note(&mut session, e, qid, n);
    }
    Merged {
        session,
        conflicts: found,
    }
}

/// Adds a merged note on a question not answered yet, losing nothing: a question the other side
/// answered takes the note into its answer; two notes on one question (both sides changed it)
/// are both kept, one after the other.
fn add_note(s: &mut Session, e: EntityId, qid: String, n: Note) {
    let Some(answers) = s.answers_mut(&e) else {
        return;
    };
    if let Some(a) = answers.get_mut(&qid) {
        match &mut a.note {
            Some(t) if t.contains(&n.text) => {}
            Some(t) => *t = format!("{t}\n\n{}", n.text),
            None => a.note = Some(n.text),
        }
        return;
    }
    s.notes
        .entry((e, qid))
        .and_modify(|x| {
            if !x.text.contains(&n.text) {
                x.text = format!("{}\n\n{}", x.text, n.text);
            }
            x.at = x.at.max(n.at);
            x.secret_override |= n.secret_override;
        })
        .or_insert(n);
}

/// A base for two copies with no common ancestor (git gives an empty file when both branches
/// added the same session): nothing in it, so everything is an addition.
pub(crate) fn empty_base(q: &Questionnaire, like: &Session) -> Session {
    let mut s = Session::new(q, "", like.created);
    s.workshop = Workshop::default();
    s
}

// ----- conflicts as people read them ------------------------------------------------------

/// The entry a conflict is about, as people read it: `Engagement`, `Workshop`, a name.
pub(crate) fn entity_label(s: &Session, c: &Conflict) -> String {
    match c.subject.entity() {
        Some(e) => s.entity_name(e),
        None => "Workshop".to_string(),
    }
}

/// What about it: the question id, `name`, `entry` (removed or changed), or the detail.
pub(crate) fn question_label(c: &Conflict) -> String {
    match &c.subject {
        Subject::Answer { question, .. } => question.clone(),
        Subject::Name(_) => "name".into(),
        Subject::Removed(_) => "entry".into(),
        Subject::Detail(d) => d.as_str().into(),
    }
}

/// What a conflict is about, as people read it: the question's text, "its name", "removed in
/// one copy, changed in the other", "the workshop's date".
pub(crate) fn about(q: &Questionnaire, c: &Conflict) -> String {
    match &c.subject {
        Subject::Answer { question, .. } => q
            .question(question)
            .map_or_else(|| question.clone(), |x| x.text.clone()),
        Subject::Name(_) => "its name".into(),
        Subject::Removed(_) => "removed in one copy, changed in the other".into(),
        Subject::Detail(d) => format!("the workshop's {}", d.as_str()),
    }
}

/// One side of a conflict as people read it: the answer (choice labels), with its note when
/// the notes differ; "no answer", "removed", "kept, changed".
pub(crate) fn side_text(q: &Questionnaire, c: &Conflict, side: Side) -> String {
    let a = c.side(side);
    match &c.subject {
        Subject::Answer { question, .. } => {
            let Some(a) = a else {
                return "no answer".into();
            };
            let value = match q.question(question) {
                Some(qq) => a.value.display(qq),
                None => value_text(&a.value),
            };
            let notes_differ = c.ours.as_ref().and_then(|x| x.note.as_ref())
                != c.theirs.as_ref().and_then(|x| x.note.as_ref());
            match (&a.note, notes_differ) {
                (Some(n), true) => format!("{value} (note: {n})"),
                (None, true) => format!("{value} (no note)"),
                _ => value,
            }
        }
        Subject::Removed(_) => match a {
            None => "removed".into(),
            Some(_) => "kept, changed".into(),
        },
        Subject::Name(_) | Subject::Detail(_) => match a {
            None => "(empty)".into(),
            Some(a) => value_text(&a.value),
        },
    }
}

/// When a side last changed it: the answer's time, or (names, details, removals) when that
/// side was last saved.
pub(crate) fn side_time(c: &Conflict, side: Side) -> Option<DateTime<Utc>> {
    c.side(side).map(|a| a.at)
}

/// A conflict as one line, `entity: question: ours -> theirs` (raw text: clean it for a
/// terminal, `crate::text::clean`).
pub fn line(q: &Questionnaire, s: &Session, c: &Conflict) -> String {
    format!(
        "{}: {}: {} -> {}",
        entity_label(s, c),
        question_label(c),
        side_text(q, c, Side::Ours),
        side_text(q, c, Side::Theirs)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::questionnaire;
    use chrono::TimeZone;

    fn t(min: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 20, 9, min, 0).unwrap()
    }

    fn q() -> Questionnaire {
        questionnaire::builtin().unwrap()
    }

    fn answer(q: &Questionnaire, s: &mut Session, e: &EntityId, qid: &str, v: &str, at: u32) {
        let question = q.question(qid).unwrap();
        s.set_answer(question, e, Value::Text(v.into()), t(at))
            .unwrap();
    }

    fn base(q: &Questionnaire) -> Session {
        let mut s = Session::new(q, "Acme", t(0));
        let sys = s.add_system("Billing", t(1));
        answer(
            q,
            &mut s,
            &EntityId::System(sys),
            "operated_by",
            "in_house",
            2,
        );
        let i = s.add_identity("svc-billing", t(3));
        s.toggle_link(&i, "s1", t(3));
        s
    }

    #[test]
    fn one_sided_changes_are_taken_and_the_same_change_is_fine() {
        let q = q();
        let b = base(&q);
        let mut o = b.clone();
        let mut th = b.clone();
        answer(&q, &mut o, &EntityId::Engagement, "deadline", "no", 10);
        answer(
            &q,
            &mut th,
            &EntityId::Engagement,
            "sox_customers",
            "no",
            11,
        );
        answer(&q, &mut o, &EntityId::Engagement, "uptime_sla", "yes", 12);
        answer(&q, &mut th, &EntityId::Engagement, "uptime_sla", "yes", 13);
        let m = merge(&q, &b, &o, &th);
        assert!(m.conflicts.is_empty(), "{:?}", m.conflicts);
        let e = &m.session.engagement;
        assert_eq!(e["deadline"].value, Value::Text("no".into()));
        assert_eq!(e["sox_customers"].value, Value::Text("no".into()));
        assert_eq!(
            e["uptime_sla"].at,
            t(13),
            "the later of the two same answers"
        );
    }

    #[test]
    fn different_changes_to_one_answer_conflict_and_keep_ours() {
        let q = q();
        let b = base(&q);
        let (mut o, mut th) = (b.clone(), b.clone());
        let s1 = EntityId::System("s1".into());
        answer(&q, &mut o, &s1, "customer_data", "yes", 10);
        answer(&q, &mut th, &s1, "customer_data", "no", 11);
        // Answered again with the value it had: not a change.
        answer(&q, &mut o, &s1, "operated_by", "in_house", 12);
        answer(&q, &mut th, &s1, "operated_by", "vendor", 13);
        let m = merge(&q, &b, &o, &th);
        assert_eq!(m.conflicts.len(), 1, "{:?}", m.conflicts);
        let answers = &m.session.systems[0].answers;
        assert_eq!(answers["customer_data"].at, t(10), "ours is held");
        assert_eq!(answers["operated_by"].value, Value::Text("vendor".into()));
        let line = line(&q, &m.session, &m.conflicts[0]);
        assert_eq!(line, "Billing: customer_data: Yes -> No");
        assert_eq!(m.session.conflict_holds(&m.conflicts[0]), Some(Side::Ours));
    }

    #[test]
    fn a_value_and_a_note_changed_apart_merge() {
        let q = q();
        let b = base(&q);
        let (mut o, mut th) = (b.clone(), b.clone());
        let s1 = EntityId::System("s1".into());
        answer(&q, &mut o, &s1, "operated_by", "vendor", 10);
        th.set_note("operated_by", &s1, "Checked with the CFO", t(11));
        // Theirs' note change keeps the answer's time; make it a change of the whole answer.
        th.systems[0].answers.get_mut("operated_by").unwrap().at = t(11);
        let m = merge(&q, &b, &o, &th);
        assert!(m.conflicts.is_empty(), "{:?}", m.conflicts);
        let a = &m.session.systems[0].answers["operated_by"];
        assert_eq!(a.value, Value::Text("vendor".into()));
        assert_eq!(a.note.as_deref(), Some("Checked with the CFO"));
    }

    #[test]
    fn entries_added_on_both_sides_get_distinct_ids_and_links_follow() {
        let q = q();
        let b = base(&q);
        let (mut o, mut th) = (b.clone(), b.clone());
        o.add_system("Ledger", t(10));
        let payroll = th.add_system("Payroll", t(11));
        assert_eq!(payroll, "s2", "both sides hand out s2");
        let i = th.add_identity("svc-payroll", t(12));
        th.toggle_link(&i, &payroll, t(12));
        let m = merge(&q, &b, &o, &th);
        let names: Vec<(&str, &str)> = m
            .session
            .systems
            .iter()
            .map(|x| (x.id.as_str(), x.name.as_str()))
            .collect();
        assert_eq!(
            names,
            [("s1", "Billing"), ("s2", "Ledger"), ("s3", "Payroll")]
        );
        let svc = m.session.identity("i2").unwrap();
        assert_eq!(svc.systems, ["s3"]);
    }

    #[test]
    fn the_same_name_added_on_both_sides_is_one_entry() {
        let q = q();
        let b = base(&q);
        let (mut o, mut th) = (b.clone(), b.clone());
        let a = o.add_system("NetSuite", t(10));
        answer(
            &q,
            &mut o,
            &EntityId::System(a),
            "operated_by",
            "vendor",
            11,
        );
        th.add_system("Okta", t(12));
        let n = th.add_system("netsuite ", t(13));
        let i = th.add_identity("fin-admin", t(14));
        th.toggle_link(&i, &n, t(14));
        let m = merge(&q, &b, &o, &th);
        let names: Vec<&str> = m.session.systems.iter().map(|x| x.name.as_str()).collect();
        // Okta goes where theirs has it: before the entry both have.
        assert_eq!(names, ["Billing", "Okta", "NetSuite"]);
        assert_eq!(
            m.session.systems[1].id, "s4",
            "above every id either side used"
        );
        assert_eq!(m.session.identity("i2").unwrap().systems, ["s2"]);
    }

    #[test]
    fn removed_on_one_side_and_changed_on_the_other_is_kept_with_a_conflict() {
        let q = q();
        let b = base(&q);
        let (mut o, mut th) = (b.clone(), b.clone());
        o.remove_system("s1", t(10));
        answer(
            &q,
            &mut th,
            &EntityId::System("s1".into()),
            "customer_data",
            "yes",
            11,
        );
        let m = merge(&q, &b, &o, &th);
        assert_eq!(m.conflicts.len(), 1);
        assert_eq!(
            m.conflicts[0].subject,
            Subject::Removed(EntityId::System("s1".into()))
        );
        assert_eq!(m.session.systems.len(), 1);
        assert_eq!(
            m.session.identities[0].systems,
            ["s1"],
            "the link ours lost with the removal is back with the system"
        );
        // Removed on one side and untouched on the other: removed.
        let m = merge(&q, &b, &o, &b);
        assert!(m.conflicts.is_empty());
        assert!(m.session.systems.is_empty());
        assert!(m.session.identities[0].systems.is_empty());
    }

    #[test]
    fn kept_aside_answers_follow_a_renumbered_entry() {
        let q = q();
        let b = base(&q);
        let (mut o, mut th) = (b.clone(), b.clone());
        o.add_system("Ledger", t(10));
        let p = th.add_system("Payroll", t(11));
        th.orphans.push(OrphanAnswer {
            entity: "system `Payroll`".into(),
            entity_id: Some(p),
            question: "legacy".into(),
            value: "\"yes\"".into(),
            reason: "the questionnaire has no such question".into(),
            note: None,
            at: None,
            source: None,
        });
        let m = merge(&q, &b, &o, &th);
        assert_eq!(m.session.system("s3").unwrap().name, "Payroll");
        assert_eq!(m.session.orphans[0].entity_id.as_deref(), Some("s3"));
    }

    #[test]
    fn an_identity_relinked_on_one_side_and_removed_on_the_other_is_kept() {
        let q = q();
        let mut b = base(&q);
        b.add_system("Ledger", t(4));
        let (mut o, mut th) = (b.clone(), b.clone());
        o.remove_identity("i1", t(10));
        th.toggle_link("i1", "s2", t(11));
        let m = merge(&q, &b, &o, &th);
        assert_eq!(
            m.conflicts[0].subject,
            Subject::Removed(EntityId::Identity("i1".into()))
        );
        assert_eq!(m.session.identities[0].systems, ["s1", "s2"]);
        assert_eq!(
            m.session.conflict_holds(&m.conflicts[0]),
            Some(Side::Theirs)
        );
    }

    #[test]
    fn links_and_participants_merge_as_sets() {
        let q = q();
        let mut b = base(&q);
        b.add_system("Ledger", t(5));
        b.workshop.participants = vec!["Sam".into(), "Lee".into()];
        let (mut o, mut th) = (b.clone(), b.clone());
        o.toggle_link("i1", "s2", t(10));
        th.toggle_link("i1", "s1", t(11));
        o.workshop.participants.push("Priya".into());
        th.workshop.participants.retain(|p| p != "Sam");
        let m = merge(&q, &b, &o, &th);
        assert_eq!(m.session.identities[0].systems, ["s2"]);
        assert_eq!(m.session.workshop.participants, ["Lee", "Priya"]);
    }
}
