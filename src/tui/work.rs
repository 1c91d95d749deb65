//! The open workshop: the session, the right to save it, and what is derived from it.

use std::path::Path;

use crate::engine::{self, DecisionId, EntityRef, Evaluation, Recommendation, Sensitivity};
use crate::questionnaire::{Questionnaire, Scope};
use crate::session::{Answer, EntityId, Session};
use crate::workshop::{Lease, answer};

/// The open workshop: the session, where it is saved, and what is derived from it.
pub struct Workshop {
    pub session: Session,
    /// The right to write the session file: its lock, where it is saved, what was saved last.
    pub lease: Lease,
    pub rec: Recommendation,
    /// What the recommendation was computed from: visibility, and the rule results that
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
    pub(crate) fn new(q: &Questionnaire, session: Session, lease: Lease) -> Workshop {
        let (rec, eval) = engine::recommend_with_evaluation(q, &session);
        Workshop {
            session,
            lease,
            rec,
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
        (self.rec, self.eval) = engine::recommend_with_evaluation(q, &self.session);
        self.sensitivity = None;
        self.revision = next_revision();
    }

    /// `refresh` after a change to the answers of one entity only: what they reach is
    /// evaluated again, from the kept evaluation.
    pub(crate) fn refresh_answer(&mut self, q: &Questionnaire, changed: &EntityId) {
        self.rec = engine::recommend_after_answer(q, &self.session, &mut self.eval, changed);
        self.sensitivity = None;
        self.revision = next_revision();
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
            .and_then(|id| self.rec.decision(&id))
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

    /// Every section in order: the engagement, each system, each identity.
    pub(crate) fn entities(&self) -> Vec<EntityId> {
        let mut out = vec![EntityId::Engagement];
        out.extend(
            self.session
                .systems
                .iter()
                .map(|s| EntityId::System(s.id.clone())),
        );
        out.extend(
            self.session
                .identities
                .iter()
                .map(|i| EntityId::Identity(i.id.clone())),
        );
        out
    }

    /// The visible question indexes of one entity.
    pub(crate) fn shown(&self, e: &EntityId) -> Vec<usize> {
        match engine::entity_key(&self.session, e) {
            Some(key) => self.eval.visibility().shown(key),
            None => Vec::new(),
        }
    }

    /// Every visible question of every entity, in asking order (the order plain mode asks in).
    pub(crate) fn sequence(&self) -> Vec<(EntityId, usize)> {
        answer::sequence(&self.session, self.eval.visibility())
    }

    /// Questions that may still be asked once unknown or open answers are settled.
    pub(crate) fn could_follow(&self) -> usize {
        answer::could_follow(self.eval.visibility())
    }

    /// Progress counting what could still be asked (`workshop::answer::progress_text`).
    pub(crate) fn progress_text(&self) -> String {
        answer::progress_text(self.rec.progress, self.could_follow())
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

/// The session's entity a reference from the engine points at.
pub(crate) fn entity_of(r: &EntityRef) -> EntityId {
    match r.kind {
        Scope::Engagement => EntityId::Engagement,
        Scope::System => EntityId::System(r.id.clone()),
        Scope::Identity => EntityId::Identity(r.id.clone()),
    }
}
