//! The notes written beside answers, found where a decision, a gap or an open question names
//! the answer (its entity and question): a "nobody knew" that a note explains ("the IAM owner
//! says never rotated, the engineering lead says June") reads with the note beside it.
//!
//! Looked up in the session, not carried by the engine's model: the session finds an entity by
//! id in constant time, so each lookup costs the same however large the inventory.

use std::collections::HashSet;

use serde::Serialize;

use crate::engine::{EntityRef, Recommendation, Text, Trigger};
use crate::questionnaire::Scope;
use crate::session::Session;

/// The note of one question, if it has one that is not blank: beside its answer, or written
/// while it was still unanswered (an open question's note is usually that kind).
pub fn of<'s>(s: &'s Session, e: &EntityRef, question: &str) -> Option<&'s str> {
    s.note(&e.entity_id(), question)
        .map(str::trim)
        .filter(|n| !n.is_empty())
}

/// A note beside an answer the recommendation rests on or waits for (JSON `answer_notes`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NoteRow {
    pub entity: EntityRef,
    pub question: Text,
    pub question_text: Text,
    pub note: String,
}

/// The notes of every answer behind a decision, a gap, a finding or an open question, once
/// each, in the recommendation's order. Linear in the recommendation.
pub fn behind(s: &Session, r: &Recommendation) -> Vec<NoteRow> {
    let mut seen: HashSet<(Scope, Text, Text)> = HashSet::new();
    let mut out = Vec::new();
    let mut add = |e: &EntityRef, question: &Text, text: &Text| {
        if question.is_empty() {
            return;
        }
        if let Some(note) = of(s, e, question)
            && seen.insert((e.kind, e.id.clone(), question.clone()))
        {
            out.push(NoteRow {
                entity: e.clone(),
                question: question.clone(),
                question_text: text.clone(),
                note: note.to_string(),
            });
        }
    };
    let mut trigger = |t: &Trigger| add(&t.entity, &t.question, &t.question_text);
    let findings = r
        .findings
        .iter()
        .chain(&r.notes)
        .chain(&r.cuecs)
        .chain(&r.frameworks);
    let gaps = r
        .systems
        .iter()
        .flat_map(|x| &x.gaps)
        .chain(r.identities.iter().flat_map(|x| &x.gaps));
    for d in r.all_decisions() {
        for t in d.rests_on() {
            trigger(t);
        }
    }
    for t in findings.flat_map(|f| &f.triggers) {
        trigger(t);
    }
    for t in r.conflicts.iter().flat_map(|c| &c.answers) {
        trigger(t);
    }
    let open = r
        .all_decisions()
        .flat_map(|d| &d.open_questions)
        .chain(gaps.flat_map(|g| &g.unknown))
        .chain(&r.open_questions);
    for o in open {
        add(&o.entity, &o.question, &o.question_text);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session::EntityId;

    /// A note written while a question is still unanswered is the one an open question needs
    /// ("the CFO and sales disagree"): the lookup read only notes kept beside answers.
    #[test]
    fn an_open_questions_note_is_found_before_it_is_answered() {
        let q = crate::questionnaire::builtin().expect("built-in questionnaire");
        let now = chrono::Utc::now();
        let mut s = Session::new(&q, "Acme", now);
        s.set_note(
            "report_requesters",
            &EntityId::Engagement,
            "The CFO and sales disagree",
            now,
        );
        let engagement = EntityRef {
            kind: Scope::Engagement,
            id: Text::default(),
            name: "Engagement".into(),
        };
        assert_eq!(
            of(&s, &engagement, "report_requesters"),
            Some("The CFO and sales disagree")
        );
        assert_eq!(of(&s, &engagement, "personal_data"), None);
    }
}
