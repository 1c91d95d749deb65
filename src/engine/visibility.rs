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
    v.identities = identity_visibility(q, s, &v);
    v.links = links(s);
    v
}

/// Every identity's visibility, worked out once per pattern: an identity's `show_if`s read
/// only its own answers and the engagement's (`any_system` is refused in `show_if` by
/// validation), so identities with the same answers to the questions those conditions read are
/// asked the same questions. A million imported identities come in a few dozen patterns.
fn identity_visibility(q: &Questionnaire, s: &Session, v: &Visibility) -> Vec<Vec<Tri>> {
    let each = |i: usize| entity_visibility(q, s, v, EntityKey::Identity(i), None);
    let Some(reads) = identity_reads(q) else {
        return (0..s.identities.len()).map(each).collect();
    };
    super::steps::add(s.identities.len());
    let mut seen: Seen<Vec<Read<'_>>> = Seen::default();
    let mut out: Vec<Vec<Tri>> = Vec::with_capacity(s.identities.len());
    for (i, x) in s.identities.iter().enumerate() {
        let key: Vec<Read<'_>> = reads
            .iter()
            .map(|id| Read::of(x.answers.get(*id).map(|a| &a.value)))
            .collect();
        let vis = match seen.get(&key) {
            Some(&k) => out[k].clone(),
            None => {
                seen.insert(key, i);
                each(i)
            }
        };
        out.push(vis);
    }
    out
}

/// The ids of the non-engagement questions the identity questions' `show_if`s read (what
/// [`identity_visibility`] keys on); `None` when one of them reaches beyond the identity's
/// own answers (`any_system`), so each identity is worked out on its own.
fn identity_reads(q: &Questionnaire) -> Option<Vec<&str>> {
    let mut reads = Reads::default();
    for c in q
        .questions
        .iter()
        .filter(|x| x.scope == Scope::Identity)
        .filter_map(|x| x.show_if.as_ref())
    {
        reads.add(c, false);
    }
    (!reads.systems).then(|| {
        questions(q, reads.own)
            .into_iter()
            .map(|(_, id)| id)
            .collect()
    })
}

/// Whether which questions an identity is asked can depend on the systems it is linked to
/// (never with a validated questionnaire: `any_system` is refused in `show_if`). When not, the
/// import tries identities without their systems.
pub(crate) fn identities_asked_by_their_own_answers(q: &Questionnaire) -> bool {
    identity_reads(q).is_some()
}

/// What conditions read: question indexes of the entity itself, question indexes of the
/// systems reached through `any_system`, and whether the linked systems matter at all.
#[derive(Default)]
struct Reads {
    own: Vec<usize>,
    of_systems: Vec<usize>,
    systems: bool,
}

impl Reads {
    fn add(&mut self, c: &Condition, in_system: bool) {
        use crate::questionnaire::condition::{Age, Test};
        match c {
            Condition::AnySystem(c) => {
                self.systems = true;
                self.add(c, true);
            }
            Condition::AnySystemInScope => self.systems = true,
            Condition::All(cs) | Condition::Any(cs) => {
                cs.iter().for_each(|c| self.add(c, in_system))
            }
            Condition::Not(c) => self.add(c, in_system),
            Condition::Total(_) | Condition::Boundary(_) => {}
            Condition::Atom(a) => {
                let to = if in_system {
                    &mut self.of_systems
                } else {
                    &mut self.own
                };
                to.push(a.qi);
                if let Test::OlderThan(Age::Question { qi, .. }) = &a.test {
                    to.push(*qi);
                }
            }
        }
    }
}

/// The non-engagement questions among `qis` (index and id), once each, in order: engagement
/// answers are the same for every entity.
fn questions(q: &Questionnaire, mut qis: Vec<usize>) -> Vec<(usize, &str)> {
    qis.sort_unstable();
    qis.dedup();
    qis.into_iter()
        .filter_map(|qi| q.questions.get(qi).map(|x| (qi, x)))
        .filter(|(_, x)| x.scope != Scope::Engagement)
        .map(|(qi, x)| (qi, x.id.as_str()))
        .collect()
}

/// For each identity, the first identity on which `conditions` (identity conditions, e.g. the
/// identity rules) give the same results, evaluated with `v` and `in_scope`: itself when it is
/// the first of its pattern. The pattern is what the conditions can read: the identity's
/// answers to the questions they test and whether each is asked, and the kinds of systems it
/// is linked to (each system's scope and its answers to the questions `any_system` tests),
/// never which systems or how many times. How the verdict after an import evaluates the rules
/// once per pattern rather than once per identity.
pub(crate) fn identity_patterns<'c>(
    q: &Questionnaire,
    s: &Session,
    v: &Visibility,
    conditions: impl IntoIterator<Item = &'c Condition>,
    in_scope: &[Tri],
) -> Vec<usize> {
    let mut reads = Reads::default();
    for c in conditions {
        reads.add(c, false);
    }
    let own = questions(q, std::mem::take(&mut reads.own));
    let of_systems = questions(q, std::mem::take(&mut reads.of_systems));
    // Systems by kind: those the conditions cannot tell apart share a number.
    let mut kinds: Seen<(u8, Pattern<'_>)> = Seen::default();
    let system_kind: Vec<usize> = if reads.systems {
        (0..s.systems.len())
            .map(|j| {
                let key = (
                    tri_byte(in_scope.get(j).copied()),
                    pattern_of(
                        v.of(EntityKey::System(j)),
                        &s.systems[j].answers,
                        &of_systems,
                    ),
                );
                let next = kinds.len();
                *kinds.entry(key).or_insert(next)
            })
            .collect()
    } else {
        Vec::new()
    };
    super::steps::add(s.identities.len());
    let mut seen: Seen<(Pattern<'_>, Vec<usize>)> = Seen::default();
    (0..s.identities.len())
        .map(|i| {
            let linked: Vec<usize> = if reads.systems {
                let mut k: Vec<usize> = v
                    .links
                    .get(i)
                    .map_or(&[][..], Vec::as_slice)
                    .iter()
                    .filter_map(|&j| system_kind.get(j).copied())
                    .collect();
                k.sort_unstable();
                k.dedup();
                k
            } else {
                Vec::new()
            };
            let key = (
                pattern_of(v.of(EntityKey::Identity(i)), &s.identities[i].answers, &own),
                linked,
            );
            *seen.entry(key).or_insert(i)
        })
        .collect()
}

/// Patterns seen, by the first entity of each: keyed with a fast hash (SipHash was most of
/// the cost of finding an identity's pattern), seeded per process as SipHash is, so that
/// a hostile file cannot choose colliding answers.
type Seen<K> = HashMap<K, usize, foldhash::fast::RandomState>;

/// Whether each of some questions is asked ([`tri_byte`]) and its answer.
type Pattern<'a> = Vec<(u8, Read<'a>)>;

/// [`Pattern`] of the questions in `read`.
fn pattern_of<'a>(vis: &[Tri], answers: &'a Answers, read: &[(usize, &str)]) -> Pattern<'a> {
    read.iter()
        .map(|&(qi, id)| {
            (
                tri_byte(vis.get(qi).copied()),
                Read::of(answers.get(id).map(|a| &a.value)),
            )
        })
        .collect()
}

fn tri_byte(t: Option<Tri>) -> u8 {
    match t {
        None => 0,
        Some(Tri::False) => 1,
        Some(Tri::Open) => 2,
        Some(Tri::True) => 3,
    }
}

/// One answer as a pattern key: equal keys are equal answers (a number by its bits, so two
/// spellings of zero are two patterns, which costs a little sharing, never a wrong result).
#[derive(PartialEq, Eq, Hash)]
enum Read<'a> {
    None,
    Unknown,
    Text(&'a str),
    Number(u64),
    List(&'a [String]),
}

impl<'a> Read<'a> {
    fn of(v: Option<&'a Value>) -> Read<'a> {
        match v {
            None => Read::None,
            Some(Value::Unknown) => Read::Unknown,
            Some(Value::Text(t)) => Read::Text(t),
            Some(Value::Number(n)) => Read::Number(n.to_bits()),
            Some(Value::List(l)) => Read::List(l),
        }
    }
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
            // The result without the reasons (`value` is `eval` less the trace it allocates).
            c.value(&env)
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
            let env = self.vis.env_with(
                self.q,
                self.s,
                EntityKey::System(j),
                self.system_in_scope,
                self.overlay,
            );
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

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};

    use super::*;
    use crate::engine::Evaluation;
    use crate::vocab::Kind;

    /// A session whose identities and systems answer every question of their scope in a few
    /// ways (some left unanswered, some "unknown"), so that many share a pattern and many do
    /// not, with links to systems of different answers (or none).
    fn varied() -> (Questionnaire, Session) {
        let q = crate::questionnaire::builtin().expect("built-in questionnaire");
        let now = Utc
            .with_ymd_and_hms(2026, 12, 1, 12, 0, 0)
            .single()
            .expect("time");
        let mut s = Session::new(&q, "Patterns Ltd", now);
        let value = |x: &crate::questionnaire::Question, n: usize| -> Option<Value> {
            Some(match (n % 7, x.kind) {
                (0, _) => return None,
                (1, _) => Value::Unknown,
                (_, Kind::YesNo) => Value::Text(["yes", "no"][n % 2].into()),
                (_, Kind::Single) => {
                    Value::Text(x.choices.get(n % x.choices.len().max(1))?.id.clone())
                }
                (_, Kind::Multi) => {
                    Value::List(vec![x.choices.get(n % x.choices.len().max(1))?.id.clone()])
                }
                (_, Kind::Text) => Value::Text(format!("owner {}", n % 3)),
                (_, Kind::Number) => Value::Number((n % 4 * 90) as f64),
                (_, Kind::Date) => {
                    Value::Text(["2026-11-02", "2024-01-15", "2025-12-01"][n % 3].into())
                }
            })
        };
        // The engagement answered (never "unknown"), so that systems' questions are asked.
        for (k, x) in q
            .questions
            .iter()
            .filter(|x| x.scope == Scope::Engagement)
            .enumerate()
        {
            if let Some(v) = value(x, 7 * k + 2 + k % 5) {
                let _ = s.set_answer(x, &EntityId::Engagement, v, now);
            }
        }
        let set = |s: &mut Session, e: &EntityId, id: &str, v: Value| {
            let x = q.question(id).expect("a built-in question");
            s.set_answer(x, e, v, now).expect("a valid answer");
        };
        let yes = |t: &str| Value::Text(t.into());
        // A SOC 2 is called for, so that the identity rules that reach systems can hold.
        let eng = EntityId::Engagement;
        set(
            &mut s,
            &eng,
            "report_requesters",
            Value::List(vec!["security_teams".into()]),
        );
        set(&mut s, &eng, "confidential_data", yes("yes"));
        let systems = s.add_systems(["A", "B", "C", "D", "E"], now);
        for (j, sid) in systems.iter().enumerate() {
            let e = EntityId::System(sid.clone());
            for (k, x) in q
                .questions
                .iter()
                .filter(|x| x.scope == Scope::System)
                .enumerate()
            {
                if let Some(v) = value(x, j * 3 + k) {
                    let _ = s.set_answer(x, &e, v, now);
                }
            }
            set(
                &mut s,
                &e,
                "operated_by",
                yes(["in_house", "vendor"][j % 2]),
            );
            set(
                &mut s,
                &e,
                "customer_data",
                yes(["yes", "no", "yes"][j % 3]),
            );
        }
        let names: Vec<String> = (0..300).map(|i| format!("id {i}")).collect();
        let ids = s.add_identities(names.iter().map(String::as_str), now);
        for (i, id) in ids.iter().enumerate() {
            let e = EntityId::Identity(id.clone());
            for (k, x) in q
                .questions
                .iter()
                .filter(|x| x.scope == Scope::Identity)
                .enumerate()
            {
                // Ten identities in a row answer alike and differ in their links.
                if let Some(v) = value(x, i / 10 / (k % 3 + 1) + k) {
                    let _ = s.set_answer(x, &e, v, now);
                }
            }
            let links = if i % 10 == 9 { 0 } else { systems.len() };
            for sid in systems.iter().take(links).skip(i % 4).step_by(i % 3 + 2) {
                s.toggle_link(id, sid, now);
            }
        }
        (q, s)
    }

    /// Visibility per pattern is the visibility worked out for each identity on its own.
    #[test]
    fn identities_of_one_pattern_are_asked_what_each_would_be_asked() {
        let (q, s) = varied();
        let v = visibility(&q, &s);
        let mut alone = v.clone();
        alone.identities.clear();
        let mut distinct: Vec<&Vec<Tri>> = v.identities.iter().collect();
        distinct.sort_by_key(|t| format!("{t:?}"));
        distinct.dedup();
        assert!(
            distinct.len() > 3,
            "the identities are asked different things"
        );
        for i in 0..s.identities.len() {
            let own = entity_visibility(&q, &s, &alone, EntityKey::Identity(i), None);
            assert_eq!(v.identities[i], own, "identity {i}");
        }
    }

    /// The identity rules evaluated once per pattern give every identity what it gets alone.
    #[test]
    fn identity_rules_per_pattern_are_each_identitys_results() {
        let (q, s) = varied();
        let ev = Evaluation::new(&q, &s);
        let rules: Vec<_> = q.rules_in(Scope::Identity).collect();
        let first = identity_patterns(&q, &s, &ev.vis, rules.iter().map(|r| &r.when), &ev.in_scope);
        assert!(
            first.iter().enumerate().any(|(i, k)| *k < i),
            "some identities share a pattern"
        );
        let mut distinct: Vec<Vec<Tri>> = Vec::new();
        for i in 0..s.identities.len() {
            let env = ev.vis.env(&q, &s, EntityKey::Identity(i), &ev.in_scope);
            let alone: Vec<Tri> = rules.iter().map(|r| r.when.value(&env)).collect();
            assert_eq!(
                ev.results(EntityKey::Identity(i)),
                alone.as_slice(),
                "identity {i}"
            );
            if !distinct.contains(&alone) {
                distinct.push(alone);
            }
        }
        assert!(distinct.len() > 3, "the rules give different results");
    }
}
