//! Which questions each entity is asked, and the condition environment for one entity.

use std::collections::HashMap;

use crate::questionnaire::condition::{Condition, EntityKey, Env, Lookup, Trace, Tri};
use crate::questionnaire::{Questionnaire, Scope};
use crate::session::{Answers, EntityId, Session, Value};

use super::Progress;

/// Per entity, per question index: shown (true), hidden (false) or open (depends on an
/// unanswered question; not shown yet). Entries for other scopes' questions are false.
#[derive(Debug, Clone, PartialEq)]
pub struct Visibility {
    pub engagement: Vec<Tri>,
    pub systems: Vec<Vec<Tri>>,
    pub identities: Vec<Vec<Tri>>,
    /// For each identity, the indexes of the systems it can access.
    pub links: Vec<Vec<usize>>,
}

/// Evaluates every `show_if` once per entity, in question order (conditions only look back).
pub fn visibility(q: &Questionnaire, s: &Session) -> Visibility {
    let empty_links: Vec<Vec<usize>> = Vec::new();
    let mut v = Visibility {
        engagement: Vec::new(),
        systems: Vec::new(),
        identities: Vec::new(),
        links: empty_links,
    };
    v.engagement = entity_visibility(q, s, &v, EntityKey::Engagement, None);
    v.systems = (0..s.systems.len())
        .map(|i| entity_visibility(q, s, &v, EntityKey::System(i), None))
        .collect();
    v.identities = (0..s.identities.len())
        .map(|i| entity_visibility(q, s, &v, EntityKey::Identity(i), None))
        .collect();
    v.links = links(s);
    v
}

/// For each identity, the indexes of the systems it can access that exist, in link order.
pub(crate) fn links(s: &Session) -> Vec<Vec<usize>> {
    super::steps::add(s.systems.len() + s.identities.len());
    let index: HashMap<&str, usize> = s
        .systems
        .iter()
        .enumerate()
        .map(|(i, x)| (x.id.as_str(), i))
        .collect();
    s.identities
        .iter()
        .map(|i| {
            i.systems
                .iter()
                .filter_map(|id| index.get(id.as_str()).copied())
                .collect()
        })
        .collect()
}

fn scope_of(key: EntityKey) -> Scope {
    match key {
        EntityKey::Engagement => Scope::Engagement,
        EntityKey::System(_) => Scope::System,
        EntityKey::Identity(_) => Scope::Identity,
    }
}

/// With an `overlay`, its answers replace the stored ones of its entity (to try a change).
pub(crate) fn entity_visibility(
    q: &Questionnaire,
    s: &Session,
    v: &Visibility,
    key: EntityKey,
    overlay: Option<&Overlay>,
) -> Vec<Tri> {
    let own_answers = match overlay {
        Some(o) if o.key == key => &o.answers,
        _ => answers_of(s, key),
    };
    let scope = scope_of(key);
    super::steps::add(q.questions.len());
    let mut own: Vec<Tri> = Vec::with_capacity(q.questions.len());
    for question in &q.questions {
        let t = if question.scope != scope {
            Tri::False
        } else if let Some(c) = &question.show_if {
            let env = EntityEnv {
                q,
                s,
                key,
                own: &own,
                own_answers,
                engagement: if key == EntityKey::Engagement {
                    &own
                } else {
                    &v.engagement
                },
                vis: v,
                system_in_scope: &[],
                overlay,
            };
            c.eval(&env, &mut Trace::default())
        } else {
            Tri::True
        };
        own.push(t);
    }
    own
}

impl Visibility {
    pub fn of(&self, key: EntityKey) -> &[Tri] {
        match key {
            EntityKey::Engagement => &self.engagement,
            EntityKey::System(i) => self.systems.get(i).map_or(&[], Vec::as_slice),
            EntityKey::Identity(i) => self.identities.get(i).map_or(&[], Vec::as_slice),
        }
    }

    /// The visible question indexes of an entity, in order.
    pub fn shown(&self, key: EntityKey) -> Vec<usize> {
        self.of(key)
            .iter()
            .enumerate()
            .filter(|(_, t)| **t == Tri::True)
            .map(|(i, _)| i)
            .collect()
    }

    pub(crate) fn env<'a>(
        &'a self,
        q: &'a Questionnaire,
        s: &'a Session,
        key: EntityKey,
        system_in_scope: &'a [Tri],
    ) -> EntityEnv<'a> {
        self.env_with(q, s, key, system_in_scope, None)
    }

    /// Like `env`, with one entity's answers replaced by `overlay` wherever they are read.
    pub(crate) fn env_with<'a>(
        &'a self,
        q: &'a Questionnaire,
        s: &'a Session,
        key: EntityKey,
        system_in_scope: &'a [Tri],
        overlay: Option<&'a Overlay>,
    ) -> EntityEnv<'a> {
        let (own, own_answers) = match overlay {
            Some(o) if o.key == key => (o.vis.as_slice(), &o.answers),
            _ => (self.of(key), answers_of(s, key)),
        };
        EntityEnv {
            q,
            s,
            key,
            own,
            own_answers,
            // A changed engagement answer can change which engagement questions are asked.
            engagement: match overlay {
                Some(o) if o.key == EntityKey::Engagement => &o.vis,
                _ => &self.engagement,
            },
            vis: self,
            system_in_scope,
            overlay,
        }
    }

    pub(crate) fn progress(&self, q: &Questionnaire, s: &Session) -> Progress {
        let mut p = self.progress_of(q, s, EntityKey::Engagement);
        let keys = (0..self.systems.len().min(s.systems.len()))
            .map(EntityKey::System)
            .chain((0..self.identities.len().min(s.identities.len())).map(EntityKey::Identity));
        for key in keys {
            p.add(self.progress_of(q, s, key), true);
        }
        p
    }

    /// One entity's part of `progress`.
    pub(crate) fn progress_of(&self, q: &Questionnaire, s: &Session, key: EntityKey) -> Progress {
        let (vis, answers) = match key {
            EntityKey::Engagement => (&self.engagement, &s.engagement),
            EntityKey::System(j) => (&self.systems[j], &s.systems[j].answers),
            EntityKey::Identity(i) => (&self.identities[i], &s.identities[i].answers),
        };
        let mut p = Progress::default();
        for (i, t) in vis.iter().enumerate() {
            match t {
                Tri::True => {
                    p.total += 1;
                    if let Some(a) = answers.get(&q.questions[i].id) {
                        p.answered += 1;
                        if a.value == Value::Unknown {
                            p.unknown += 1;
                        }
                    }
                }
                Tri::Open => p.may_follow += 1,
                Tri::False => {}
            }
        }
        p
    }
}

/// Resolves an [`EntityId`] to the index-based key the engine uses.
pub fn entity_key(s: &Session, e: &EntityId) -> Option<EntityKey> {
    match e {
        EntityId::Engagement => Some(EntityKey::Engagement),
        EntityId::System(id) => s.system_index(id).map(EntityKey::System),
        EntityId::Identity(id) => s.identity_index(id).map(EntityKey::Identity),
    }
}

/// One entity's answers replaced, with the visibility they imply: how the engine tries a
/// changed answer without copying the session.
pub(crate) struct Overlay {
    pub key: EntityKey,
    pub answers: Answers,
    pub vis: Vec<Tri>,
}

fn answers_of(s: &Session, key: EntityKey) -> &Answers {
    match key {
        EntityKey::Engagement => &s.engagement,
        EntityKey::System(i) => &s.systems[i].answers,
        EntityKey::Identity(i) => &s.identities[i].answers,
    }
}

/// The answers and visibility of one entity (plus the engagement's) as a condition sees them.
pub struct EntityEnv<'a> {
    q: &'a Questionnaire,
    s: &'a Session,
    key: EntityKey,
    own: &'a [Tri],
    own_answers: &'a Answers,
    engagement: &'a [Tri],
    vis: &'a Visibility,
    system_in_scope: &'a [Tri],
    overlay: Option<&'a Overlay>,
}

impl EntityEnv<'_> {
    fn answers(&self, key: EntityKey) -> &Answers {
        match self.overlay {
            _ if key == self.key => self.own_answers,
            Some(o) if o.key == key => &o.answers,
            _ => answers_of(self.s, key),
        }
    }

    /// What a condition about linked system `j` reads (`any_system`).
    fn system_env(&self, j: usize) -> EntityEnv<'_> {
        self.vis.env_with(
            self.q,
            self.s,
            EntityKey::System(j),
            self.system_in_scope,
            self.overlay,
        )
    }

    fn links(&self) -> &[usize] {
        match self.key {
            EntityKey::Identity(i) => self.vis.links.get(i).map_or(&[], Vec::as_slice),
            _ => &[],
        }
    }
}

impl Env for EntityEnv<'_> {
    fn owner(&self, qi: usize) -> EntityKey {
        if self.q.questions[qi].scope == Scope::Engagement {
            EntityKey::Engagement
        } else {
            self.key
        }
    }

    fn lookup(&self, qi: usize) -> Lookup<'_> {
        let owner = self.owner(qi);
        let vis = if owner == EntityKey::Engagement {
            self.engagement
        } else {
            self.own
        };
        match vis.get(qi).copied().unwrap_or(Tri::Open) {
            Tri::False => Lookup::Hidden,
            // Possibly shown: not asked yet, so whatever is stored cannot settle anything.
            Tri::Open => Lookup::Unanswered,
            Tri::True => match self.answers(owner).get(&self.q.questions[qi].id) {
                Some(a) => Lookup::Answer(&a.value),
                None => Lookup::Unanswered,
            },
        }
    }

    fn any_system(&self, c: &Condition, trace: &mut Trace) -> Tri {
        let mut result = Tri::False;
        let mut open = Trace::default();
        for &j in self.links() {
            let env = self.system_env(j);
            let mut t = Trace::default();
            match c.eval(&env, &mut t) {
                Tri::True => {
                    result = Tri::True;
                    trace.absorb(t);
                }
                Tri::Open => {
                    if result == Tri::False {
                        result = Tri::Open;
                    }
                    open.absorb(t);
                }
                Tri::False => {}
            }
        }
        if result == Tri::Open {
            trace.absorb(open);
        }
        result
    }

    fn any_system_value(&self, c: &Condition) -> Tri {
        let mut result = Tri::False;
        for &j in self.links() {
            let env = self.system_env(j);
            match c.value(&env) {
                Tri::True => return Tri::True,
                Tri::Open => result = Tri::Open,
                Tri::False => {}
            }
        }
        result
    }

    fn any_system_in_scope_value(&self) -> Tri {
        let mut result = Tri::False;
        for &j in self.links() {
            match self.system_in_scope.get(j).copied().unwrap_or(Tri::False) {
                Tri::True => return Tri::True,
                Tri::Open => result = Tri::Open,
                Tri::False => {}
            }
        }
        result
    }

    fn today(&self) -> Option<chrono::NaiveDate> {
        Some(
            self.s
                .workshop
                .date
                .unwrap_or_else(|| self.s.created.date_naive()),
        )
    }

    fn any_system_in_scope(&self, trace: &mut Trace) -> Tri {
        let mut result = Tri::False;
        for &j in self.links() {
            match self.system_in_scope.get(j).copied().unwrap_or(Tri::False) {
                Tri::True => {
                    result = Tri::True;
                    trace.via_systems.push(j);
                }
                Tri::Open if result == Tri::False => result = Tri::Open,
                _ => {}
            }
        }
        result
    }
}
