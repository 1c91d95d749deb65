//! The open workshop: the session, the right to save it, and what is derived from it.

use std::path::Path;

use std::cell::OnceCell;

use crate::engine::{
    self, DecisionId, EntityRef, Evaluation, Panel, Progress, Recommendation, Sensitivity,
};
use crate::questionnaire::condition::EntityKey;
use crate::questionnaire::{Questionnaire, Scope};
use crate::session::{Answer, EntityId, Session};
use crate::workshop::{Lease, answer};

/// The open workshop: the session, where it is saved, and what is derived from it.
pub struct Workshop {
    pub session: Session,
    /// The right to write the session file: its lock, where it is saved, what was saved last.
    pub lease: Lease,
    /// The full recommendation, built from `eval` when a screen first asks for it after a
    /// change (`rec`): an answer on the questions screen updates only `eval` and `panel`,
    /// which at 10,000 identities is the difference between a frame and half a second.
    rec: OnceCell<Recommendation>,
    /// What the questions screen shows of the recommendation, always up to date.
    panel: Panel,
    /// Every visible question in asking order (`sequence`), kept while an answer leaves what
    /// is asked as it was: navigation then costs no pass over the inventory.
    seq: OnceCell<Vec<(EntityId, usize)>>,
    /// Each entity's part of the progress (the engagement, each system, each identity), so
    /// that an answer recounts only the entities it re-ran.
    parts: Vec<Progress>,
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

/// The next workshop revision (see `Workshop::revision`).
fn next_revision() -> u64 {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
    NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}

impl Workshop {
    pub fn new(q: &Questionnaire, session: Session, lease: Lease) -> Workshop {
        let eval = Evaluation::new(q, &session);
        let parts = progress_parts(q, &session, &eval);
        let panel = engine::panel_counted(q, &session, &eval, total(&parts));
        Workshop {
            session,
            lease,
            rec: OnceCell::new(),
            panel,
            seq: OnceCell::new(),
            parts,
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
        self.parts = progress_parts(q, &self.session, &self.eval);
        self.changed(q, true);
    }

    /// `refresh` after a change to the answers of one entity only: what they reach is
    /// evaluated again, from the kept evaluation.
    pub fn refresh_answer(&mut self, q: &Questionnaire, changed: &EntityId) {
        let (asked, rerun) = engine::apply_answer_keys(q, &self.session, &mut self.eval, changed);
        match rerun {
            Some(keys) => {
                for key in keys {
                    let n = match key {
                        EntityKey::Engagement => 0,
                        EntityKey::System(j) => 1 + j,
                        EntityKey::Identity(i) => 1 + self.session.systems.len() + i,
                    };
                    if let Some(part) = self.parts.get_mut(n) {
                        *part = engine::progress_of(q, &self.session, &self.eval, key);
                    }
                }
            }
            None => self.parts = progress_parts(q, &self.session, &self.eval),
        }
        self.changed(q, asked);
    }

    /// After `eval` changed: the panel follows, the full recommendation is built again when
    /// asked for, and the question sequence when what is asked (`asked`) changed.
    fn changed(&mut self, q: &Questionnaire, asked: bool) {
        // Summing 11,000 parts is microseconds; counting them again was milliseconds.
        self.panel = engine::panel_counted(q, &self.session, &self.eval, total(&self.parts));
        self.rec = OnceCell::new();
        if asked {
            self.seq = OnceCell::new();
        }
        self.sensitivity = None;
        self.revision = next_revision();
    }

    /// The full recommendation, built from the kept evaluation if the session changed since
    /// it was last asked for.
    pub fn rec(&self, q: &Questionnaire) -> &Recommendation {
        self.rec
            .get_or_init(|| engine::recommend_from(q, &self.session, &self.eval))
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
        let rec = self
            .rec
            .get_or_init(|| engine::recommend_from(q, &self.session, &self.eval));
        self.lease.save_if_changed(&self.session, rec)
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
        self.seq
            .get_or_init(|| answer::sequence(&self.session, self.eval.visibility()))
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

/// Each entity's part of the progress, in `Workshop::parts` order.
fn progress_parts(q: &Questionnaire, s: &Session, ev: &Evaluation) -> Vec<Progress> {
    std::iter::once(EntityKey::Engagement)
        .chain((0..s.systems.len()).map(EntityKey::System))
        .chain((0..s.identities.len()).map(EntityKey::Identity))
        .map(|k| engine::progress_of(q, s, ev, k))
        .collect()
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
    match r.kind {
        Scope::Engagement => EntityId::Engagement,
        Scope::System => EntityId::System(r.id.to_string()),
        Scope::Identity => EntityId::Identity(r.id.to_string()),
    }
}

#[cfg(test)]
mod tests {
    //! The open workshop as the questions screen uses it: after each answer its panel (with
    //! the progress recounted only for the entities re-run), its kept question sequence and
    //! its full recommendation are what the session gives from scratch.

    use super::*;
    use crate::session::{Value, store};
    use crate::vocab::Kind;

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
