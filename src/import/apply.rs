//! Carrying a plan out on a session: linear in the plan and the session (systems and
//! identities are added in one batch each, links made with a lookup table of system order).

use foldhash::{HashMap, HashMapExt, HashSet};
use std::borrow::Cow;

use chrono::{DateTime, Utc};

use super::plan::{IdentityPlan, ImportPlan, PlannedAnswer};
use super::{identity_questions, name_key};
use crate::questionnaire::Questionnaire;
use crate::session::{Scanned, Session};

/// Carries out a plan: adds or updates identities, creates and links systems, writes answers
/// marked with the plan's source. Returns the ids of the identities, in plan order.
pub fn apply(
    q: &Questionnaire,
    plan: &ImportPlan,
    s: &mut Session,
    now: DateTime<Utc>,
) -> Vec<String> {
    carry_out(
        q,
        plan,
        plan.identities.iter().map(Cow::Borrowed).collect(),
        s,
        now,
    )
}

/// [`apply`], taking the plan: each identity's part of it is freed once applied, so memory
/// peaks at about the larger of the plan and the imported session, not at both (a million
/// rows' plan is about 800 MB), and its values are moved into the session, not copied.
pub fn apply_owned(
    q: &Questionnaire,
    mut plan: ImportPlan,
    s: &mut Session,
    now: DateTime<Utc>,
) -> Vec<String> {
    let identities = std::mem::take(&mut plan.identities);
    carry_out(
        q,
        &plan,
        identities.into_iter().map(Cow::Owned).collect(),
        s,
        now,
    )
}

/// [`apply`] of `identities` (the plan's, borrowed or owned) with the rest of `plan`.
fn carry_out(
    q: &Questionnaire,
    plan: &ImportPlan,
    identities: Vec<Cow<'_, IdentityPlan>>,
    s: &mut Session,
    now: DateTime<Utc>,
) -> Vec<String> {
    // Systems the plan creates, by name; one made since the plan was worked out is used
    // rather than a second of the same name.
    let mut created: HashMap<String, String> = HashMap::new();
    if !plan.new_systems.is_empty() {
        let mut existing: HashMap<String, &str> = HashMap::with_capacity(s.systems.len());
        for x in &s.systems {
            existing.entry(name_key(&x.name)).or_insert(x.id.as_str());
        }
        let mut missing: Vec<&str> = Vec::new();
        for name in &plan.new_systems {
            let key = name_key(name);
            match existing.get(&key) {
                Some(id) => {
                    created.insert(key, (*id).to_string());
                }
                None if !created.contains_key(&key) => {
                    created.insert(key, String::new());
                    missing.push(name);
                }
                None => {}
            }
        }
        let ids = s.add_systems(missing.iter().copied(), now);
        for (name, id) in missing.into_iter().zip(ids) {
            created.insert(name_key(name), id);
        }
    }

    // Identities: the existing ones (if still there), the others added in one batch.
    let mut ids: Vec<Option<String>> = identities
        .iter()
        .map(|ip| {
            ip.existing
                .as_ref()
                .filter(|id| s.identity(id).is_some())
                .cloned()
        })
        .collect();
    let names: Vec<&str> = identities
        .iter()
        .zip(&ids)
        .filter(|(_, id)| id.is_none())
        .map(|(ip, _)| ip.name.as_str())
        .collect();
    let mut added = s.add_identities(names, now).into_iter();
    for id in ids.iter_mut().filter(|id| id.is_none()) {
        *id = added.next();
    }
    let ids: Vec<String> = ids.into_iter().flatten().collect();

    let order: HashMap<String, usize> = s
        .systems
        .iter()
        .enumerate()
        .map(|(i, x)| (x.id.clone(), i))
        .collect();
    let questions = identity_questions(q);
    let mut scanned = Scanned::default();
    let mut linked_any = false;
    for (ip, id) in identities.into_iter().zip(&ids) {
        let wanted: Vec<&str> = ip
            .systems
            .iter()
            .filter_map(|link| match &link.existing {
                Some(sid) => Some(sid.as_str()),
                None => created
                    .get(&name_key(&link.name))
                    .map(String::as_str)
                    .filter(|sid| !sid.is_empty()),
            })
            .filter(|sid| order.contains_key(*sid))
            .collect();
        let index = s.identity_index(id);
        if let Some(i) = index
            && !wanted.is_empty()
        {
            let systems = &mut s.identities[i].systems;
            let mut have: HashSet<&str> = systems.iter().map(String::as_str).collect();
            let mut add: Vec<String> = Vec::new();
            for sid in wanted {
                if have.insert(sid) {
                    add.push(sid.to_string());
                }
            }
            if !add.is_empty() {
                systems.extend(add);
                // Links are kept in the inventory's order of systems, as `toggle_link` keeps
                // them.
                systems.sort_by_key(|sid| order.get(sid.as_str()).copied().unwrap_or(usize::MAX));
                linked_any = true;
            }
        }
        // Checked and stored as any answer is (the secret scan included), marked with their
        // source, with one lookup and one change record per identity.
        if let Some(i) = index {
            let question = |a: &PlannedAnswer| questions.get(a.question.as_str()).copied();
            let source = &plan.source;
            match ip {
                Cow::Owned(ip) => {
                    let writes = ip.answers.into_iter().filter(|a| a.action.writes());
                    let answers = writes.filter_map(|a| question(&a).map(|x| (x, a.value)));
                    s.set_identity_answers(i, answers, source, &mut scanned, now)
                }
                Cow::Borrowed(ip) => {
                    let writes = ip.answers.iter().filter(|a| a.action.writes());
                    let answers = writes.filter_map(|a| question(a).map(|x| (x, a.value.clone())));
                    s.set_identity_answers(i, answers, source, &mut scanned, now)
                }
            };
        }
    }
    if linked_any {
        s.touch(now);
    }
    ids
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};

    use super::*;
    use crate::import::{Mapping, Options, plan};
    use crate::session::{EntityId, Value};

    /// An import writes each identity's answers as one change (one record of what changed,
    /// not one per answer: a million rows made 3 million), and still redacts a secret in a
    /// text answer (the owner's name), marks each answer with its source and keeps a note
    /// written before the question was answered.
    #[test]
    fn each_identity_is_one_change_and_its_text_is_still_redacted() {
        let q = crate::questionnaire::builtin().expect("built-in questionnaire");
        let now = Utc
            .with_ymd_and_hms(2026, 12, 1, 12, 0, 0)
            .single()
            .expect("time");
        let mut s = Session::new(&q, "Batch Ltd", now);
        let mut csv = String::from("name,kind,owner,last_rotated,mfa\n");
        for i in 0..200 {
            csv.push_str(&format!(
                "svc-{i},service account,Dana AKIAIOSFODNN7EXAMPLE,2026-11-0{},no\n",
                i % 9 + 1
            ));
        }
        let opts = Options {
            today: now.date_naive(),
            overwrite: false,
            skip_bad_rows: false,
        };
        // A note on svc-0's owner question before the import: the imported answer takes it.
        let first = s.add_identity("svc-0", now);
        s.set_note("owner_name", &EntityId::Identity(first), "ask Dana", now);
        let p = plan(&q, &s, "ids.csv", &csv, &Mapping::default(), &opts)
            .unwrap_or_else(|e| panic!("{e}"));
        let written = p.answers_written();
        assert!(
            written >= 600,
            "three or more answers per identity: {written}"
        );
        let before = s.revision.get();
        apply_owned(&q, p, &mut s, now);
        let changes = s.revision.get() - before;
        assert!(
            changes <= 3 * 200 + 8,
            "{changes} changes recorded for 200 identities and {written} answers"
        );
        for x in &s.identities {
            let a = x.answers.get("owner_name").expect("the owner's name");
            let Value::Text(t) = &a.value else {
                panic!("{:?}", a.value)
            };
            assert!(
                !t.contains("IOSFODNN7EXAMPLE") && t.starts_with("Dana "),
                "{t}"
            );
            assert!(
                x.answers
                    .values()
                    .all(|a| a.source.as_deref() == Some("import:ids.csv"))
            );
        }
        let a = &s.identities[0].answers["owner_name"];
        assert_eq!(a.note.as_deref(), Some("ask Dana"));
        assert!(s.notes.is_empty(), "the note moved into the answer");
    }
}
