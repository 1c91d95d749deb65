//! The open workshop: the session, the right to save it, and what is derived from it.

use std::path::Path;

use std::cell::{OnceCell, RefCell};

use crate::engine::{
    self, DecisionId, EntityRef, Evaluation, Panel, PanelState, Progress, Recommendation,
    Sensitivity, Visibility, slot_of,
};
use crate::questionnaire::Questionnaire;
use crate::questionnaire::condition::EntityKey;
use crate::session::{Answer, EntityId, Session};
use crate::workshop::Lease;

/// The open workshop: the session, where it is saved, and what is derived from it.
pub struct Workshop {
    pub session: Session,
    /// The right to write the session file: its lock, where it is saved, what was saved last.
    pub lease: Lease,
    /// The full recommendation, built from `eval` when a screen first asks for it after a
    /// change (`rec`): an answer on the questions screen updates only `eval` and `panel`,
    /// which at 10,000 identities is the difference between a frame and half a second.
    rec: OnceCell<Recommendation>,
    /// What the next `rec` is patched from: the recommendation an answer made out of date (not
    /// freed in the answer: at 10,000 identities that is millions of small frees) and what
    /// was kept beside it, told which entities the answers since re-ran.
    made: RefCell<Made>,
    /// What the questions screen shows of the recommendation, always up to date.
    panel: Panel,
    /// What the panel is made from, per entity, patched for the entities an answer re-ran.
    kept: PanelState,
    /// Every visible question in asking order (`sequence`), patched for the entities an answer
    /// re-ran: navigation and answers cost no pass over the inventory.
    seq: Sequence,
    /// Each entity's part of the progress (the engagement, each system, each identity), so
    /// that an answer recounts only the entities it re-ran; and their sum.
    parts: Vec<Progress>,
    progress: Progress,
    /// What the recommendation is computed from: visibility, and the rule results that
    /// "what would change this?" tries changes against.
    pub eval: Evaluation,
    /// The last save failed: said on screen until a save succeeds.
    pub save_error: Option<String>,
    /// "What would change this?" for the decision last opened, by decision id. Computed when a
    /// drill-down opens, dropped on any change to the session.
    pub sensitivity: Option<(String, Option<Sensitivity>)>,
    /// Changes whenever `rec` and `eval` are replaced: screens cache what they derive from them
    /// (the filtered lists) under it. Unique across workshops, so a cache never outlives one.
    pub(crate) revision: u64,
}

/// The out-of-date recommendation and what the next one is patched with (`Workshop::made`).
#[derive(Default)]
struct Made {
    old: Option<Recommendation>,
    kept: Option<engine::Kept>,
}

/// The next workshop revision (see `Workshop::revision`).
fn next_revision() -> u64 {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
    NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}

impl Workshop {
    pub fn new(q: &Questionnaire, session: Session, lease: Lease) -> Workshop {
        let eval = Evaluation::new(q, &session);
        let parts = progress_parts(q, &session, &eval);
        let progress = total(&parts);
        let kept = PanelState::new(q, &session, &eval);
        let panel = engine::panel_counted(q, &session, &eval, &kept, progress);
        Workshop {
            seq: Sequence::new(&session, eval.visibility()),
            session,
            lease,
            rec: OnceCell::new(),
            made: RefCell::new(Made::default()),
            panel,
            kept,
            parts,
            progress,
            eval,
            save_error: None,
            sensitivity: None,
            revision: next_revision(),
        }
    }

    /// Where the session is saved (as the user named it).
    pub(crate) fn path(&self) -> &Path {
        self.lease.path()
    }

    /// Opened read-only (`resume --read-only`, or "open read-only" when another socscope has
    /// it): viewing, the recommendation and exports work; every edit is refused.
    pub(crate) fn read_only(&self) -> bool {
        self.lease.read_only()
    }

    /// Recomputes the recommendation and visibility after any change to the session: the one
    /// place the app recomputes.
    pub(crate) fn refresh(&mut self, q: &Questionnaire) {
        self.eval = Evaluation::new(q, &self.session);
        self.rebuild(q);
        self.changed(q);
    }

    /// Everything derived from `eval`, made again for every entity.
    fn rebuild(&mut self, q: &Questionnaire) {
        let vis = self.eval.visibility();
        self.parts = progress_parts(q, &self.session, &self.eval);
        self.progress = total(&self.parts);
        self.kept = PanelState::new(q, &self.session, &self.eval);
        self.seq = Sequence::new(&self.session, vis);
        // Everything may have changed: the next recommendation is made in full.
        self.made.get_mut().kept = None;
    }

    /// `refresh` after a change to the answers of one entity only: what they reach is
    /// evaluated again, from the kept evaluation, and only those entities' parts of the
    /// progress (with what may follow), the panel and the question sequence are made again.
    pub fn refresh_answer(&mut self, q: &Questionnaire, changed: &EntityId) {
        // The answer goes to the journal first and is flushed while the recompute runs; the
        // save before the next frame waits for the flush (`Lease::record`).
        self.lease.record_ahead(&self.session);
        let (asked, rerun) = engine::apply_answer_keys(q, &self.session, &mut self.eval, changed);
        let Some(keys) = rerun else {
            self.rebuild(q);
            self.changed(q);
            return;
        };
        let s = &self.session;
        for &key in &keys {
            let n = slot_of(s, key);
            if let Some(part) = self.parts.get_mut(n) {
                self.progress.add(*part, false);
                *part = engine::progress_of(q, s, &self.eval, key);
                self.progress.add(*part, true);
            }
        }
        self.kept.patch(q, s, &self.eval, &keys);
        if let Some(k) = self.made.get_mut().kept.as_mut() {
            k.touch(&keys);
        }
        if asked {
            self.seq.patch(s, self.eval.visibility(), &keys);
        }
        self.changed(q);
    }

    /// After `eval` changed: the panel follows, and the full recommendation is built again
    /// when asked for.
    fn changed(&mut self, q: &Questionnaire) {
        self.panel = engine::panel_counted(q, &self.session, &self.eval, &self.kept, self.progress);
        if let Some(old) = self.rec.take() {
            self.made.get_mut().old = Some(old);
        }
        self.sensitivity = None;
        self.revision = next_revision();
    }

    /// The full recommendation, built from the kept evaluation if the session changed since
    /// it was last asked for.
    pub fn rec(&self, q: &Questionnaire) -> &Recommendation {
        self.rec.get_or_init(|| self.build_rec(q))
    }

    /// Writes the whole session file, with the summary of its recommendation (built now if it
    /// is not up to date), unless nothing changed since the last write.
    pub(crate) fn save_whole(
        &mut self,
        q: &Questionnaire,
    ) -> Result<Option<crate::session::store::Saved>, crate::workshop::Error> {
        if !self.lease.would_save(&self.session) {
            return Ok(None);
        }
        let rec = self.rec.get_or_init(|| self.build_rec(q));
        self.lease.save_if_changed(&self.session, rec)
    }

    /// The recommendation from the kept evaluation: the out-of-date one patched for the
    /// entities the answers since re-ran, or made in full.
    fn build_rec(&self, q: &Questionnaire) -> Recommendation {
        let mut made = self.made.borrow_mut();
        let old = made.old.take();
        let s = &self.session;
        engine::recommend_kept(
            q,
            s,
            &self.eval,
            &mut made.kept,
            old,
            &self.kept,
            self.progress,
        )
    }

    /// The full recommendation if it is up to date, without building it.
    pub(crate) fn rec_if_built(&self) -> Option<&Recommendation> {
        self.rec.get()
    }

    /// The verdict, categories, plans, conflicts and progress, always up to date.
    pub fn panel(&self) -> &Panel {
        &self.panel
    }

    /// Computes the sensitivity of one decision unless it is already cached.
    pub fn ensure_sensitivity(&mut self, q: &Questionnaire, decision_id: &str) {
        if self
            .sensitivity
            .as_ref()
            .is_some_and(|(id, _)| id == decision_id)
        {
            return;
        }
        // The decision comes from the recommendation already on screen: no second build.
        let s = DecisionId::parse(decision_id)
            .and_then(|id| self.rec(q).decision(&id))
            .map(|d| engine::sensitivity_in(q, &self.session, &self.eval, d));
        self.sensitivity = Some((decision_id.to_string(), s));
    }

    /// The cached sensitivity of a decision, if computed.
    pub fn cached_sensitivity(&self, decision_id: &str) -> Option<&Sensitivity> {
        match &self.sensitivity {
            Some((id, s)) if id == decision_id => s.as_ref(),
            _ => None,
        }
    }

    pub(crate) fn answer(&self, e: &EntityId, qid: &str) -> Option<&Answer> {
        self.session.answers(e).and_then(|a| a.get(qid))
    }

    /// The visible question indexes of one entity.
    pub(crate) fn shown(&self, e: &EntityId) -> Vec<usize> {
        match engine::entity_key(&self.session, e) {
            Some(key) => self.eval.visibility().shown(key),
            None => Vec::new(),
        }
    }

    /// Every visible question of every entity, in asking order (the order plain mode asks in).
    pub fn sequence(&self) -> &[(EntityId, usize)] {
        &self.seq.items
    }

    /// Where an entity's questions are in `sequence` (empty when it has none shown, or is
    /// not in the session): found by index, not by a search of the sequence.
    pub(crate) fn section(&self, e: &EntityId) -> std::ops::Range<usize> {
        match engine::entity_key(&self.session, e) {
            Some(key) => self.seq.range(slot_of(&self.session, key)),
            None => 0..0,
        }
    }

    /// The position in `sequence` of one entity's question, if it is shown.
    pub(crate) fn position(&self, e: &EntityId, qi: usize) -> Option<usize> {
        let r = self.section(e);
        let k = self.seq.items[r.clone()]
            .binary_search_by_key(&qi, |(_, x)| *x)
            .ok()?;
        Some(r.start + k)
    }

    /// The next (`dir` > 0) or previous section with a question shown, from `e`'s.
    pub(crate) fn next_section(&self, e: &EntityId, dir: i64) -> Option<EntityId> {
        let here = engine::entity_key(&self.session, e).map_or(0, |k| slot_of(&self.session, k));
        let slots = self.seq.starts.len().saturating_sub(1);
        let mut n = here;
        loop {
            n = if dir < 0 {
                n.checked_sub(1)?
            } else {
                Some(n + 1).filter(|&m| m < slots)?
            };
            let r = self.seq.range(n);
            if !r.is_empty() {
                return Some(self.seq.items[r.start].0.clone());
            }
        }
    }

    /// Questions that may still be asked once unknown or open answers are settled.
    pub fn could_follow(&self) -> usize {
        self.panel.progress.may_follow
    }

    /// Progress counting what could still be asked (`wording::progress`).
    pub(crate) fn progress_text(&self) -> String {
        crate::report::wording::progress(self.panel.progress)
    }

    /// "System 2/5" for a section heading.
    pub(crate) fn section_label(&self, e: &EntityId) -> String {
        match e {
            EntityId::Engagement => "Engagement".to_string(),
            EntityId::System(id) => {
                let n = self.session.system_index(id).map_or(0, |i| i + 1);
                format!("System {n}/{}", self.session.systems.len())
            }
            EntityId::Identity(id) => {
                let n = self.session.identity_index(id).map_or(0, |i| i + 1);
                format!("Identity {n}/{}", self.session.identities.len())
            }
        }
    }

    /// The identity's kind as people read it, if answered.
    pub(crate) fn identity_kind(&self, q: &Questionnaire, id: &str) -> Option<String> {
        let kq = q.identity_kind_question()?;
        let a = self.answer(&EntityId::Identity(id.to_string()), &kq.id)?;
        Some(a.value.display(kq))
    }
}

/// Every visible question in asking order, with where each entity's questions start, so that
/// an answer replaces only the entities it re-ran and a question is found by index. Entities
/// are numbered as `engine::slot_of` numbers them.
struct Sequence {
    items: Vec<(EntityId, usize)>,
    /// Per entity, where its questions start in `items`; then `items.len()`.
    starts: Vec<usize>,
}

impl Sequence {
    fn new(s: &Session, vis: &Visibility) -> Sequence {
        let mut items = Vec::new();
        let mut starts = Vec::with_capacity(2 + s.systems.len() + s.identities.len());
        for key in keys(s) {
            starts.push(items.len());
            let e = entity_id(s, key);
            items.extend(vis.shown(key).into_iter().map(|qi| (e.clone(), qi)));
        }
        starts.push(items.len());
        engine::steps::add(items.len());
        Sequence { items, starts }
    }

    fn range(&self, slot: usize) -> std::ops::Range<usize> {
        match (self.starts.get(slot), self.starts.get(slot + 1)) {
            (Some(&a), Some(&b)) => a..b,
            _ => 0..0,
        }
    }

    /// Replaces the questions of the entities `keys` with what `vis` shows now. Moving the
    /// entries after a section that grew or shrank is one `memmove`, and the later sections'
    /// starts are shifted (integers, microseconds at 10,000 identities).
    fn patch(&mut self, s: &Session, vis: &Visibility, keys: &[EntityKey]) {
        let mut slots: Vec<(usize, EntityKey)> = keys.iter().map(|&k| (slot_of(s, k), k)).collect();
        slots.sort_unstable_by_key(|(n, _)| std::cmp::Reverse(*n));
        slots.dedup_by_key(|(n, _)| *n);
        for (n, key) in slots {
            let r = self.range(n);
            let shown = vis.shown(key);
            engine::steps::add(shown.len());
            if self.items[r.clone()]
                .iter()
                .map(|(_, qi)| *qi)
                .eq(shown.iter().copied())
            {
                continue;
            }
            let e = entity_id(s, key);
            let (old, new) = (r.len(), shown.len());
            self.items
                .splice(r, shown.into_iter().map(|qi| (e.clone(), qi)));
            for start in &mut self.starts[n + 1..] {
                *start = *start + new - old;
            }
        }
    }
}

/// Every entity in asking order: the engagement, each system, each identity.
fn keys(s: &Session) -> impl Iterator<Item = EntityKey> + use<> {
    std::iter::once(EntityKey::Engagement)
        .chain((0..s.systems.len()).map(EntityKey::System))
        .chain((0..s.identities.len()).map(EntityKey::Identity))
}

fn entity_id(s: &Session, key: EntityKey) -> EntityId {
    match key {
        EntityKey::Engagement => EntityId::Engagement,
        EntityKey::System(j) => EntityId::System(s.systems[j].id.clone()),
        EntityKey::Identity(i) => EntityId::Identity(s.identities[i].id.clone()),
    }
}

/// Each entity's part of the progress, in `Workshop::parts` order.
fn progress_parts(q: &Questionnaire, s: &Session, ev: &Evaluation) -> Vec<Progress> {
    keys(s).map(|k| engine::progress_of(q, s, ev, k)).collect()
}

fn total(parts: &[Progress]) -> Progress {
    let mut p = Progress::default();
    for x in parts {
        p.add(*x, true);
    }
    p
}

/// The session's entity a reference from the engine points at.
pub(crate) fn entity_of(r: &EntityRef) -> EntityId {
    r.entity_id()
}

#[cfg(test)]
mod tests {
    //! The open workshop as the questions screen uses it: after each answer its panel (with
    //! the progress recounted only for the entities re-run), its kept question sequence and
    //! its full recommendation are what the session gives from scratch.

    use super::*;
    use crate::questionnaire::Scope;
    use crate::session::{Value, store};
    use crate::vocab::Kind;
    use crate::workshop::answer;

    #[test]
    fn the_workshop_after_answers_is_a_full_recompute() {
        let q = crate::questionnaire::builtin().expect("built-in questionnaire");
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/examples");
        let mut names: Vec<_> = std::fs::read_dir(&dir)
            .expect("assets/examples")
            .filter_map(|e| e.ok().map(|e| e.path()))
            .collect();
        names.sort();
        let tmp = tempfile::tempdir().expect("temp dir");
        let now = chrono::Utc::now();
        let mut checked = 0;
        for path in &names {
            let s = store::open(path, &q).expect("example").0;
            let mut w = Workshop::new(&q, s, Lease::per_write(&tmp.path().join("w.toml")));
            let entities: Vec<EntityId> = std::iter::once(EntityId::Engagement)
                .chain(
                    w.session
                        .systems
                        .iter()
                        .map(|x| EntityId::System(x.id.clone())),
                )
                .chain(
                    w.session
                        .identities
                        .iter()
                        .map(|x| EntityId::Identity(x.id.clone())),
                )
                .collect();
            for (n, e) in entities.iter().enumerate() {
                let scope = match e {
                    EntityId::Engagement => Scope::Engagement,
                    EntityId::System(_) => Scope::System,
                    EntityId::Identity(_) => Scope::Identity,
                };
                // A few questions per entity, each answered with another choice, unknown or
                // cleared in turn: answers that change what is asked, and ones that do not.
                let questions = q
                    .questions
                    .iter()
                    .filter(|x| x.scope == scope && x.creates.is_none() && x.kind.is_choice());
                for (k, question) in questions.enumerate().filter(|(k, _)| (k + n) % 3 == 0) {
                    match (k + n) % 4 {
                        0 => w.session.clear_answer(&question.id, e, now),
                        1 => {
                            let _ = w.session.set_answer(question, e, Value::Unknown, now);
                        }
                        m => {
                            let c = &question.choices[m % question.choices.len()];
                            let v = match question.kind {
                                Kind::Multi => Value::List(vec![c.id.clone()]),
                                _ => Value::Text(c.id.clone()),
                            };
                            let _ = w.session.set_answer(question, e, v, now);
                        }
                    }
                    w.refresh_answer(&q, e);
                    let full = engine::recommend(&q, &w.session);
                    let what = format!("{} {e:?} {}", path.display(), question.id);
                    assert_eq!(w.panel(), &Panel::of(&full), "{what}: panel");
                    let vis = engine::visibility(&q, &w.session);
                    assert_eq!(
                        w.sequence(),
                        &answer::sequence(&w.session, &vis)[..],
                        "{what}: sequence"
                    );
                    assert_eq!(w.could_follow(), answer::could_follow(&vis), "{what}");
                    assert!(w.rec(&q) == &full, "{what}: recommendation");
                    checked += 1;
                }
            }
        }
        assert!(checked > 100, "checked {checked}");
    }
}

#[cfg(test)]
mod journal_tests {
    //! The save of an answer overlaps its recompute: the record is in the journal before the
    //! recompute runs, and the save before the next frame reports it without a second record.

    use super::*;
    use crate::session::{Value, journal};
    use crate::workshop::{self, Access};

    #[test]
    fn an_answer_is_in_the_journal_before_it_is_recomputed_and_saved_once() {
        let q = crate::questionnaire::builtin().expect("built-in questionnaire");
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("w.toml");
        let example = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("assets/examples/s1-payroll-provider.toml");
        std::fs::copy(&example, &path).expect("copy the example");
        let opened = workshop::open(&path, &q, Access::Write).expect("open with the lock");
        let mut w = Workshop::new(&q, opened.session, opened.lease);
        let e = EntityId::Identity(w.session.identities[0].id.clone());
        let key = engine::entity_key(&w.session, &e).expect("the identity");
        let question = w
            .eval
            .visibility()
            .shown(key)
            .into_iter()
            .map(|qi| q.questions[qi].clone())
            .find(|x| x.kind.is_choice() && x.creates.is_none() && x.choices.len() > 1)
            .expect("a choice question");
        let value = match w.answer(&e, &question.id).map(|a| &a.value) {
            Some(Value::Text(t)) if *t == question.choices[0].id => question.choices[1].id.clone(),
            _ => question.choices[0].id.clone(),
        };
        let value = match question.kind {
            crate::vocab::Kind::Multi => Value::List(vec![value]),
            _ => Value::Text(value),
        };
        w.session
            .set_answer(&question, &e, value, chrono::Utc::now())
            .expect("a valid answer");
        w.refresh_answer(&q, &e);
        let records = |p: &std::path::Path| {
            journal::read(p)
                .expect("readable journal")
                .map_or(0, |c| c.records.len())
        };
        assert_eq!(records(&path), 1, "written while the answer was recomputed");
        assert!(w.lease.unsettled(), "not yet acknowledged");
        let r = w.lease.record(&w.session).expect("saved");
        assert!(r.appended, "the save reports the record written ahead");
        assert!(!w.lease.unsettled());
        assert_eq!(records(&path), 1, "and writes no second one");
    }
}
