//! The answer journal (docs/session-format.md, "Journal"; docs/reliability.md §12): what is
//! recorded reads back as the session it was recorded from, whatever the changes; a journal
//! already folded into the file is recognised and never applied twice; one written for another
//! version of the file is set aside, never replayed over it; a superseded secret kept as typed
//! does not stay in the journal. The app's side (kills in a pseudo-terminal) is in
//! tests/reliability.rs.

mod common;

use std::path::Path;

use chrono::{DateTime, TimeZone, Utc};
use proptest::prelude::*;

use socscope::engine;
use socscope::questionnaire::{Kind, Questionnaire};
use socscope::session::{EntityId, Secrets, Session, Value, file, journal, store};
use socscope::workshop::{self, Access, Lease};

fn at(min: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 2, 9, 0, 0).unwrap() + chrono::Duration::minutes(min.into())
}

/// One change to a session, as the app or plain mode makes it; `Record` saves to the journal,
/// `Fold` writes the whole file.
#[derive(Debug, Clone)]
enum Op {
    Answer { entity: u8, question: u8, value: u8 },
    Clear { entity: u8, question: u8 },
    Note { entity: u8, question: u8, text: u8 },
    AddSystem(u8),
    AddIdentity(u8),
    RemoveSystem(u8),
    RemoveIdentity(u8),
    Rename { entity: u8, name: u8 },
    Link { identity: u8, system: u8 },
    Facilitator(u8),
    Record,
    Fold,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => (any::<u8>(), any::<u8>(), any::<u8>())
            .prop_map(|(entity, question, value)| Op::Answer { entity, question, value }),
        1 => (any::<u8>(), any::<u8>()).prop_map(|(entity, question)| Op::Clear { entity, question }),
        1 => (any::<u8>(), any::<u8>(), any::<u8>())
            .prop_map(|(entity, question, text)| Op::Note { entity, question, text }),
        1 => any::<u8>().prop_map(Op::AddSystem),
        1 => any::<u8>().prop_map(Op::AddIdentity),
        1 => any::<u8>().prop_map(Op::RemoveSystem),
        1 => any::<u8>().prop_map(Op::RemoveIdentity),
        1 => (any::<u8>(), any::<u8>()).prop_map(|(entity, name)| Op::Rename { entity, name }),
        2 => (any::<u8>(), any::<u8>()).prop_map(|(identity, system)| Op::Link { identity, system }),
        1 => any::<u8>().prop_map(Op::Facilitator),
        4 => Just(Op::Record),
        1 => Just(Op::Fold),
    ]
}

fn entities(s: &Session) -> Vec<EntityId> {
    let mut out = vec![EntityId::Engagement];
    out.extend(s.systems.iter().map(|x| EntityId::System(x.id.clone())));
    out.extend(
        s.identities
            .iter()
            .map(|x| EntityId::Identity(x.id.clone())),
    );
    out
}

fn value(q: &Questionnaire, qi: usize, pick: u8) -> Value {
    let question = &q.questions[qi];
    let n = question.choices.len().max(1);
    let choice = |k: usize| question.choices[k % n].id.clone();
    match (pick % 7, question.kind) {
        (0, _) => Value::Unknown,
        (_, Kind::YesNo | Kind::Single) => Value::Text(choice(pick as usize)),
        (_, Kind::Multi) => Value::List(question.toggle(&[], &choice(pick as usize))),
        (_, Kind::Number) => Value::Number(f64::from(pick % 40) / 2.0),
        (_, Kind::Date) => Value::Text(format!("2026-0{}-1{}", 1 + pick % 9, pick % 10)),
        (_, Kind::Text) => Value::Text(format!("answer {pick}\nwith \"quotes\" and a second line")),
    }
}

/// Applies `op` at minute `t`; returns whether it was a save.
fn apply(
    q: &Questionnaire,
    s: &mut Session,
    lease: &mut Lease,
    op: &Op,
    t: u32,
) -> Result<(), TestCaseError> {
    let now = at(t);
    let es = entities(s);
    let pick_entity = |n: u8| es[n as usize % es.len()].clone();
    let question_of = |e: &EntityId, n: u8| {
        let qs: Vec<usize> = (0..q.questions.len())
            .filter(|&qi| q.questions[qi].scope == e.scope())
            .collect();
        qs[n as usize % qs.len()]
    };
    match op {
        Op::Answer {
            entity,
            question,
            value: v,
        } => {
            let e = pick_entity(*entity);
            let qi = question_of(&e, *question);
            let _ = s.set_answer(&q.questions[qi], &e, value(q, qi, *v), now);
        }
        Op::Clear { entity, question } => {
            let e = pick_entity(*entity);
            let qi = question_of(&e, *question);
            s.clear_answer(&q.questions[qi].id, &e, now);
        }
        Op::Note {
            entity,
            question,
            text,
        } => {
            let e = pick_entity(*entity);
            let qi = question_of(&e, *question);
            let note = if *text % 4 == 0 {
                String::new()
            } else {
                format!("note {text}")
            };
            s.set_note(&q.questions[qi].id, &e, &note, now);
        }
        Op::AddSystem(n) => {
            s.add_system(&format!("System {n}"), now);
        }
        Op::AddIdentity(n) => {
            s.add_identity(&format!("identity-{n}"), now);
        }
        Op::RemoveSystem(n) if !s.systems.is_empty() => {
            let id = s.systems[*n as usize % s.systems.len()].id.clone();
            s.remove_system(&id, now);
        }
        Op::RemoveIdentity(n) if !s.identities.is_empty() => {
            let id = s.identities[*n as usize % s.identities.len()].id.clone();
            s.remove_identity(&id, now);
        }
        Op::Rename { entity, name } => {
            s.rename(&pick_entity(*entity), &format!("renamed {name}"), now);
        }
        Op::Link { identity, system } if !s.identities.is_empty() && !s.systems.is_empty() => {
            let i = s.identities[*identity as usize % s.identities.len()]
                .id
                .clone();
            let j = s.systems[*system as usize % s.systems.len()].id.clone();
            s.toggle_link(&i, &j, now);
        }
        Op::Facilitator(n) => {
            // As the app's details editor does: in place, without a revision, and only when
            // the value changes (setting the same name again changes nothing to record).
            let name = format!("Facilitator {n}");
            if s.workshop.facilitator != name {
                s.workshop.facilitator = name;
                s.updated = now;
            }
        }
        Op::Record => {
            lease
                .record(s)
                .map_err(|e| TestCaseError::fail(e.report()))?;
        }
        Op::Fold => {
            lease
                .save_if_changed(s, &engine::recommend(q, s))
                .map_err(|e| TestCaseError::fail(e.report()))?;
        }
        _ => {}
    }
    Ok(())
}

fn new_workshop(dir: &Path, q: &Questionnaire) -> workshop::Opened {
    let o = workshop::create(q, "Journal Ltd", Some(dir.join("j.toml"))).expect("created");
    let mut o = o;
    // Whole seconds, as the file keeps them.
    o.session.created = at(0);
    o.session.updated = at(0);
    o.lease
        .save(&o.session, &engine::recommend(q, &o.session))
        .expect("saved");
    o
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    /// Whatever was changed, in whatever order, recorded whenever: reading the file with its
    /// journal gives the session as it was at the last record; after a fold, the file alone.
    #[test]
    fn what_is_recorded_reads_back_as_the_session(ops in prop::collection::vec(op(), 1..48)) {
        let q = common::builtin();
        let dir = tempfile::tempdir().unwrap();
        let mut o = new_workshop(dir.path(), &q);
        let path = o.lease.path().to_path_buf();
        for (t, op) in ops.iter().enumerate() {
            apply(&q, &mut o.session, &mut o.lease, op, t as u32 + 1)?;
            if matches!(op, Op::Record | Op::Fold) {
                let (back, _) = store::open(&path, &q).unwrap();
                prop_assert_eq!(&back, &o.session, "after {:?} (step {})", op, t);
            }
        }
        o.lease.record(&o.session).unwrap();
        let (back, opened) = store::open(&path, &q).unwrap();
        prop_assert_eq!(&back, &o.session);
        let replay = opened.journal.as_ref();
        prop_assert!(replay.is_none_or(|r| !r.stale && r.damaged.is_none()));
        // Reopened to write, it goes on where it was; folded, the file alone holds it all.
        let session = o.session.clone();
        drop(o);
        let mut o = workshop::open(&path, &q, Access::Write).unwrap();
        prop_assert_eq!(&o.session, &session);
        let rec = engine::recommend(&q, &o.session);
        o.lease.save_if_changed(&o.session, &rec).unwrap();
        prop_assert!(journal::read(&path).unwrap().is_none());
        let text = std::fs::read_to_string(&path).unwrap();
        prop_assert_eq!(&file::parse("j.toml", &text, &q).unwrap().0, &session);
    }
}

/// Removing a system unlinks the identities that could access it, and the journal records
/// them: replayed, an identity kept its old link (the property test above found it, through a
/// system added later under the same id; ids are no longer reused, and the record still must
/// say the identity changed). The highest id removed is replayed too.
#[test]
fn removing_a_system_journals_the_identities_it_unlinks() {
    let q = common::builtin();
    let dir = tempfile::tempdir().unwrap();
    let mut o = new_workshop(dir.path(), &q);
    let path = o.lease.path().to_path_buf();
    let s = &mut o.session;
    s.add_system("Ledger", at(1));
    let gone = s.add_system("Payroll", at(1));
    let who = s.add_identity("svc-payroll", at(1));
    s.toggle_link(&who, &gone, at(1));
    o.lease.record(&o.session).unwrap();
    o.session.remove_system(&gone, at(2));
    let again = o.session.add_system("Treasury", at(3));
    assert_ne!(again, gone, "a removed id is never handed out again");
    o.lease.record(&o.session).unwrap();
    let (back, _) = store::open(&path, &q).unwrap();
    let linked = |s: &Session| s.identities[0].systems.clone();
    assert_eq!(
        linked(&back),
        Vec::<String>::new(),
        "not linked to Treasury"
    );
    assert_eq!(back, o.session);
}

/// A fold stopped between replacing the file and removing the journal leaves a journal whose
/// changes are all in the file: readers do not apply it again, and the next writer removes it
/// without a word.
#[test]
fn a_journal_already_folded_is_recognised_and_removed() {
    let q = common::builtin();
    let dir = tempfile::tempdir().unwrap();
    let mut o = new_workshop(dir.path(), &q);
    let path = o.lease.path().to_path_buf();
    let question = q.question("controls_months").unwrap();
    for (n, months) in [3.0, 14.0].into_iter().enumerate() {
        o.session
            .set_answer(
                question,
                &EntityId::Engagement,
                Value::Number(months),
                at(n as u32 + 1),
            )
            .unwrap();
        o.lease.record(&o.session).unwrap();
    }
    let jpath = journal::journal_path(&path);
    let kept = std::fs::read(&jpath).unwrap();
    o.lease
        .save(&o.session, &engine::recommend(&q, &o.session))
        .unwrap();
    std::fs::write(&jpath, &kept).unwrap();
    let (s, opened) = store::open(&path, &q).unwrap();
    assert_eq!(s, o.session);
    let r = opened.journal.expect("the journal was read");
    assert!(r.stale && r.folded && r.applied == 0);
    let session = o.session.clone();
    drop(o);
    let o = workshop::open(&path, &q, Access::Write).unwrap();
    assert!(o.notices.is_empty(), "{:?}", o.notices);
    assert_eq!(o.session, session);
    assert!(!jpath.exists(), "removed");
}

/// A journal written for another version of the file (the file was replaced since, here by an
/// older copy) is never replayed over it: it is set aside and the user is told.
#[test]
fn a_journal_for_another_version_of_the_file_is_set_aside_not_replayed() {
    let q = common::builtin();
    let dir = tempfile::tempdir().unwrap();
    let mut o = new_workshop(dir.path(), &q);
    let path = o.lease.path().to_path_buf();
    let older = std::fs::read(&path).unwrap();
    let question = q.question("controls_months").unwrap();
    o.session
        .set_answer(question, &EntityId::Engagement, Value::Number(9.0), at(1))
        .unwrap();
    o.lease.record(&o.session).unwrap();
    drop(o);
    // Someone puts an older copy back; its `updated` and length are not the journal's base.
    let mut copy = String::from_utf8(older).unwrap();
    copy = copy.replace("facilitator = \"\"", "facilitator = \"Someone else\"");
    std::fs::write(&path, copy).unwrap();
    let (s, opened) = store::open(&path, &q).unwrap();
    assert!(s.engagement.is_empty(), "not replayed over another version");
    assert!(
        opened
            .journal
            .as_ref()
            .is_some_and(|r| r.stale && !r.folded)
    );
    let o = workshop::open(&path, &q, Access::Write).unwrap();
    let note = o.notes().join("\n");
    assert!(
        note.contains("was written for another version of this file and was not applied")
            && note.contains(".journal.stale"),
        "{note}"
    );
    assert!(
        journal::journal_path(&path)
            .with_extension("journal.stale")
            .exists()
    );
}

/// Text kept as typed although it looks like a secret is saved on purpose; once it is replaced,
/// the old text must not stay in the journal: that change is folded at once.
#[test]
fn a_replaced_secret_kept_as_typed_does_not_stay_in_the_journal() {
    let q = common::builtin();
    let dir = tempfile::tempdir().unwrap();
    let mut o = new_workshop(dir.path(), &q);
    let path = o.lease.path().to_path_buf();
    let question = q
        .questions
        .iter()
        .find(|x| x.kind == Kind::Text && x.scope == socscope::questionnaire::Scope::Engagement)
        .unwrap();
    let token = "ghp_16C7e42F292c6912E7710c838347Ae178B4a";
    o.session
        .set_answer_with(
            question,
            &EntityId::Engagement,
            Value::Text(format!("token {token}")),
            at(1),
            Secrets::KeepAsTyped,
        )
        .unwrap();
    let r = o.lease.record(&o.session).unwrap();
    assert!(r.appended);
    o.session
        .set_answer(
            question,
            &EntityId::Engagement,
            Value::Text("rotated".into()),
            at(2),
        )
        .unwrap();
    let r = o.lease.record(&o.session).unwrap();
    assert!(r.fold_due, "the superseded secret is folded away");
    o.lease
        .save(&o.session, &engine::recommend(&q, &o.session))
        .unwrap();
    let on_disk = std::fs::read_to_string(&path).unwrap()
        + &std::fs::read_to_string(journal::journal_path(&path)).unwrap_or_default();
    assert!(!on_disk.contains(token));
}

/// A file a journal extends says `format_version = 2`: this socscope reads it, a socscope from
/// before journals refuses it (it reads only version 1), and a later version is refused here.
#[test]
fn the_file_says_when_a_journal_extends_it() {
    let q = common::builtin();
    let dir = tempfile::tempdir().unwrap();
    let mut o = new_workshop(dir.path(), &q);
    let path = o.lease.path().to_path_buf();
    let version = |p: &Path| {
        std::fs::read_to_string(p)
            .unwrap()
            .lines()
            .find_map(|l| l.strip_prefix("format_version = ").map(str::to_string))
    };
    assert_eq!(version(&path).as_deref(), Some("1"));
    o.session
        .set_answer(
            q.question("controls_months").unwrap(),
            &EntityId::Engagement,
            Value::Number(4.0),
            at(1),
        )
        .unwrap();
    o.lease.record(&o.session).unwrap();
    assert_eq!(version(&path).as_deref(), Some("2"));
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(file::parse("j.toml", &text, &q).is_ok());
    let newer = text.replace("format_version = 2", "format_version = 3");
    let e = file::parse("j.toml", &newer, &q).unwrap_err().to_string();
    assert!(e.contains("unsupported session format_version 3"), "{e}");
    o.lease
        .save(&o.session, &engine::recommend(&q, &o.session))
        .unwrap();
    assert_eq!(version(&path).as_deref(), Some("1"));
}
