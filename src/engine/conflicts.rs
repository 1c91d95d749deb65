//! Unresolved merge conflicts keep the decisions they reach provisional.
//!
//! Which decisions a conflicting answer reaches is what three-valued logic already knows: the
//! session is evaluated once more with each conflicting answer read as "unknown" (and every
//! answer of an entry one side removed), and every decision that is then open on one of them,
//! missing, or different is marked provisional, with the conflicting answers as its open
//! questions. Only sessions with conflicts pay for the second evaluation.

use std::collections::{HashMap, HashSet};

use super::{Decision, DecisionId, EntityRef, OpenQuestion, Recommendation, Stage, build};
use crate::questionnaire::{Questionnaire, Scope};
use crate::session::{EntityId, Session, Subject, Value};

/// The open question a conflict stands for: its answer (or, for an entry one side removed,
/// the entry itself). Names and workshop details reach no decision.
fn open_question(q: &Questionnaire, s: &Session, subject: &Subject) -> Option<OpenQuestion> {
    let entity_ref = |e: &EntityId| {
        let (kind, id) = match e {
            EntityId::Engagement => (Scope::Engagement, String::new()),
            EntityId::System(id) => (Scope::System, id.clone()),
            EntityId::Identity(id) => (Scope::Identity, id.clone()),
        };
        EntityRef {
            kind,
            id: id.into(),
            name: s.entity_name(e).into(),
        }
    };
    match subject {
        Subject::Answer { entity, question } => Some(OpenQuestion {
            entity: entity_ref(entity),
            question: question.clone().into(),
            question_text: q
                .question(question)
                .map_or_else(|| question.clone(), |x| x.text.clone())
                .into(),
        }),
        Subject::Removed(e) => Some(OpenQuestion {
            entity: entity_ref(e),
            question: Default::default(),
            question_text: "One copy of a merge removed this entry and the other changed it: \
                            keep it or remove it?"
                .into(),
        }),
        Subject::Name(_) | Subject::Detail(_) => None,
    }
}

/// Marks provisional every decision of `r` (computed for `s`) that a conflict of `s` reaches.
pub(super) fn mark(q: &Questionnaire, s: &Session, r: &mut Recommendation) {
    let opens: Vec<OpenQuestion> = s
        .conflicts
        .iter()
        .filter_map(|c| open_question(q, s, &c.subject))
        .collect();
    if opens.is_empty() {
        return;
    }
    let mut shadow = s.clone();
    shadow.conflicts.clear();
    let unknown = |answers: Option<&mut crate::session::Answers>, question: Option<&str>| {
        for (qid, a) in answers.into_iter().flatten() {
            if question.is_none_or(|x| x == qid) {
                a.value = Value::Unknown;
            }
        }
    };
    for c in &s.conflicts {
        match &c.subject {
            Subject::Answer { entity, question } => {
                unknown(shadow.answers_mut(entity), Some(question));
            }
            Subject::Removed(e) => unknown(shadow.answers_mut(e), None),
            Subject::Name(_) | Subject::Detail(_) => {}
        }
    }
    let st = Stage::new(q, &shadow);
    let other = build(q, &shadow, &st);
    let key = |o: &OpenQuestion| (o.entity.kind, o.entity.id.clone(), o.question.clone());
    let conflicting: HashSet<_> = opens.iter().map(key).collect();
    // A decision about one entry that moved without naming a conflict is put down to that
    // entry's conflicts (and the engagement's); a report-level one to all of them. Grouped, so
    // the work stays linear in the inventory and the conflicts.
    let mut of_entity: HashMap<(Scope, &str), Vec<&OpenQuestion>> = HashMap::new();
    for o in &opens {
        of_entity
            .entry((o.entity.kind, o.entity.id.as_str()))
            .or_default()
            .push(o);
    }
    let engagement = of_entity
        .get(&(Scope::Engagement, ""))
        .cloned()
        .unwrap_or_default();
    let fallback = |id: &DecisionId| -> Vec<&OpenQuestion> {
        let scoped = match id {
            DecisionId::System(e) | DecisionId::Subservice(e) => Some((Scope::System, e.as_str())),
            DecisionId::Identity(e) => Some((Scope::Identity, e.as_str())),
            _ => None,
        };
        match scoped {
            Some(k) => engagement
                .iter()
                .copied()
                .chain(of_entity.get(&k).into_iter().flatten().copied())
                .collect(),
            None => opens.iter().collect(),
        }
    };
    let by_id: HashMap<&DecisionId, &Decision> = all(&other).map(|d| (&d.id, d)).collect();
    let mut listed: HashSet<OpenQuestion> = r.open_questions.iter().cloned().collect();
    let mut added: Vec<OpenQuestion> = Vec::new();
    for d in all_mut(r) {
        let reached: Vec<&OpenQuestion> = match by_id.get(&d.id) {
            Some(o) => {
                let on: Vec<&OpenQuestion> = o
                    .open_questions
                    .iter()
                    .filter(|x| conflicting.contains(&key(x)))
                    .collect();
                if on.is_empty() && o.outcome != d.outcome {
                    fallback(&d.id)
                } else {
                    on
                }
            }
            None => fallback(&d.id),
        };
        if reached.is_empty() {
            continue;
        }
        d.provisional = true;
        let mut has: HashSet<&OpenQuestion> = d.open_questions.iter().collect();
        let mut new = Vec::new();
        for o in reached {
            if has.insert(o) {
                new.push(o.clone());
            }
        }
        for o in new {
            if listed.insert(o.clone()) {
                added.push(o.clone());
            }
            d.open_questions.push(o);
        }
    }
    r.open_questions.extend(added);
    r.provisional = r.decisions.iter().any(|d| d.provisional);
}

fn all(r: &Recommendation) -> impl Iterator<Item = &Decision> {
    r.decisions
        .iter()
        .chain(r.systems.iter().map(|s| &s.decision))
        .chain(r.identities.iter().map(|i| &i.decision))
}

fn all_mut(r: &mut Recommendation) -> impl Iterator<Item = &mut Decision> {
    r.decisions
        .iter_mut()
        .chain(r.systems.iter_mut().map(|s| &mut s.decision))
        .chain(r.identities.iter_mut().map(|i| &mut i.decision))
}
