//! The report level of a kept recommendation: per rule, the counted entities (the engagement,
//! the systems not carved out, every identity) it came out true or open for, in entity order,
//! and the report-level decisions (verdict, SOC 2 categories, Types) made from those lists.
//! After an answer the lists are patched from the re-traced entities' old and new traces, and
//! each decision from the edits of its rules' lists (the entities its reasons name `also`, its
//! open questions' weights), so the work per answer follows what changed, not the inventory.
//! A decision whose rules or outcome change (a total flips) is made again from the lists.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, HashSet};

use super::stage::{Eval, Evaluation, Traces};
use super::{Ctx, Decision, DecisionId, Firing, OpenQuestion, Outcome, steps};
use crate::questionnaire::Questionnaire;
use crate::questionnaire::condition::{EntityKey, Subject, Tri};

/// Per rule (by index in `Questionnaire::rules`), the counted entities it came out true and
/// open for, sorted by entity.
pub(crate) struct Index {
    trues: Vec<Vec<EntityKey>>,
    opens: Vec<Vec<EntityKey>>,
    /// Per rule: its place in its entity's traces (evaluation order, then the late rules).
    pos: Vec<u32>,
    /// Per system: counted (not carved out) when indexed.
    counted: Vec<bool>,
}

/// An edit of a rule's true list, as an edit of the `also` of the firing made from it (the
/// list without its first entity).
enum AlsoEdit {
    Insert(usize, EntityKey),
    Remove(usize),
}

/// What one patch changed of a rule's lists.
#[derive(Default)]
pub(crate) struct RuleDelta {
    also: Vec<AlsoEdit>,
    /// The first entity of its true list changed.
    head: bool,
    /// Open questions' weights: one per distinct open question of an open result, gone (-1)
    /// or come (+1).
    open: Vec<(Subject, i32)>,
}

/// The edits of one patch, by rule, and the entities traced again (sorted).
pub(crate) struct Deltas<'r> {
    rules: HashMap<u32, RuleDelta>,
    retraced: &'r [EntityKey],
}

impl Deltas<'_> {
    pub(crate) fn none() -> Deltas<'static> {
        Deltas {
            rules: HashMap::new(),
            retraced: &[],
        }
    }
}

fn positions(q: &Questionnaire) -> Vec<u32> {
    use crate::questionnaire::Scope;
    let mut pos = vec![u32::MAX; q.rules.len()];
    let slot = |s: Scope| match s {
        Scope::Engagement => 0,
        Scope::System => 1,
        Scope::Identity => 2,
    };
    let mut next = [0u32; 3];
    for (n, r) in q.rules.iter().enumerate() {
        if !r.report_level && !r.late {
            pos[n] = next[slot(r.scope)];
            next[slot(r.scope)] += 1;
        }
    }
    // Late rules follow a system's own rules in its traces.
    for (n, r) in q.rules.iter().enumerate() {
        if r.late {
            pos[n] = next[1];
            next[1] += 1;
        }
    }
    pos
}

pub(crate) fn evals_of(tr: &Traces, key: EntityKey) -> &[Eval] {
    match key {
        EntityKey::Engagement => &tr.engagement,
        EntityKey::System(j) => &tr.systems[j],
        EntityKey::Identity(i) => &tr.identities[i],
    }
}

fn counted(ev: &Evaluation, key: EntityKey) -> bool {
    match key {
        EntityKey::System(j) => !ev.sys_sum[j].carved_out(),
        _ => true,
    }
}

/// The distinct open questions an open result waits for.
fn own_open(e: &Eval) -> Vec<Subject> {
    let mut v = e.trace.open.clone();
    v.sort_unstable();
    v.dedup();
    v
}

impl Index {
    pub(crate) fn of(q: &Questionnaire, ev: &Evaluation, tr: &Traces) -> Index {
        let n = q.rules.len();
        let mut ix = Index {
            trues: vec![Vec::new(); n],
            opens: vec![Vec::new(); n],
            pos: positions(q),
            counted: (0..tr.systems.len())
                .map(|j| counted(ev, EntityKey::System(j)))
                .collect(),
        };
        let keys = std::iter::once(EntityKey::Engagement)
            .chain((0..tr.systems.len()).map(EntityKey::System))
            .chain((0..tr.identities.len()).map(EntityKey::Identity));
        for key in keys.filter(|&k| counted(ev, k)) {
            let evals = evals_of(tr, key);
            steps::add_report(evals.len());
            for e in evals {
                match e.result {
                    Tri::True => ix.trues[e.rule as usize].push(key),
                    Tri::Open => ix.opens[e.rule as usize].push(key),
                    Tri::False => {}
                }
            }
        }
        ix
    }

    pub(crate) fn trues(&self, r: u32) -> &[EntityKey] {
        &self.trues[r as usize]
    }

    pub(crate) fn opens(&self, r: u32) -> &[EntityKey] {
        &self.opens[r as usize]
    }

    pub(crate) fn pos(&self, r: u32) -> u32 {
        self.pos[r as usize]
    }

    /// A rule's result for an entity, from its traces (in `pos` order).
    pub(crate) fn eval_of<'t>(&self, tr: &'t Traces, key: EntityKey, r: u32) -> Option<&'t Eval> {
        let evals = evals_of(tr, key);
        let at = evals
            .binary_search_by_key(&self.pos(r), |e| self.pos(e.rule))
            .ok()?;
        evals.get(at).filter(|e| e.rule == r)
    }

    /// The lists brought up to date for the entities traced again (`old`: each one's traces
    /// before, sorted by entity; `tr` and `ev` hold the new ones).
    pub(crate) fn update<'r>(
        &mut self,
        ev: &Evaluation,
        tr: &Traces,
        old: &[(EntityKey, Vec<Eval>)],
        retraced: &'r [EntityKey],
    ) -> Deltas<'r> {
        let mut d = Deltas {
            rules: HashMap::new(),
            retraced,
        };
        for (key, before) in old {
            let key = *key;
            let was = match key {
                EntityKey::System(j) => std::mem::replace(&mut self.counted[j], counted(ev, key)),
                _ => true,
            };
            let now = counted(ev, key);
            let before: &[Eval] = if was { before } else { &[] };
            let after: &[Eval] = if now { evals_of(tr, key) } else { &[] };
            steps::add_report(before.len() + after.len());
            let (mut a, mut b) = (before.iter().peekable(), after.iter().peekable());
            loop {
                let (x, y) = match (a.peek(), b.peek()) {
                    (None, None) => break,
                    (Some(x), Some(y)) if x.rule == y.rule => (a.next(), b.next()),
                    (Some(x), Some(y)) if self.pos(x.rule) < self.pos(y.rule) => (a.next(), None),
                    (Some(_), Some(_)) | (None, Some(_)) => (None, b.next()),
                    (Some(_), None) => (a.next(), None),
                };
                let rule = x.or(y).map_or(0, |e| e.rule);
                let same = x.map(|e| e.result) == y.map(|e| e.result);
                let delta = d.rules.entry(rule).or_default();
                if let Some(x) = x {
                    if !same {
                        self.remove(rule, x.result, key, delta);
                    }
                    if x.result == Tri::Open {
                        delta.open.extend(own_open(x).into_iter().map(|s| (s, -1)));
                    }
                }
                if let Some(y) = y {
                    if !same {
                        self.insert(rule, y.result, key, delta);
                    }
                    if y.result == Tri::Open {
                        delta.open.extend(own_open(y).into_iter().map(|s| (s, 1)));
                    }
                }
            }
        }
        d
    }

    fn remove(&mut self, r: u32, result: Tri, key: EntityKey, d: &mut RuleDelta) {
        let list = match result {
            Tri::True => &mut self.trues[r as usize],
            Tri::Open => &mut self.opens[r as usize],
            Tri::False => return,
        };
        let Ok(p) = list.binary_search(&key) else {
            return;
        };
        list.remove(p);
        if result == Tri::True {
            if p == 0 {
                d.head = true;
                if !list.is_empty() {
                    d.also.push(AlsoEdit::Remove(0));
                }
            } else {
                d.also.push(AlsoEdit::Remove(p - 1));
            }
        }
    }

    fn insert(&mut self, r: u32, result: Tri, key: EntityKey, d: &mut RuleDelta) {
        let list = match result {
            Tri::True => &mut self.trues[r as usize],
            Tri::Open => &mut self.opens[r as usize],
            Tri::False => return,
        };
        let Err(p) = list.binary_search(&key) else {
            return;
        };
        if result == Tri::True {
            if p == 0 {
                d.head = true;
                if let Some(&h) = list.first() {
                    d.also.push(AlsoEdit::Insert(0, h));
                }
            } else {
                d.also.push(AlsoEdit::Insert(p - 1, key));
            }
        }
        list.insert(p, key);
    }

    /// Whether any of `rules` came out true (`Tri::True`), else open, for a counted entity:
    /// what `stage::fold` gives over every counted result.
    pub(crate) fn fold(&self, rules: &[u32]) -> Tri {
        if rules.iter().any(|&r| !self.trues(r).is_empty()) {
            Tri::True
        } else if rules.iter().any(|&r| !self.opens(r).is_empty()) {
            Tri::Open
        } else {
            Tri::False
        }
    }

    /// The rules of `rules` that came out true for a counted entity, by the first such
    /// entity, then place in its traces: the order they first appear in over every counted
    /// result.
    pub(crate) fn firing_order(&self, rules: impl IntoIterator<Item = u32>) -> Vec<u32> {
        let mut v: Vec<(EntityKey, u32, u32)> = rules
            .into_iter()
            .filter_map(|r| Some((*self.trues(r).first()?, self.pos(r), r)))
            .collect();
        v.sort_unstable();
        v.into_iter().map(|(_, _, r)| r).collect()
    }

    /// The first `n` answers behind the true results of `rules`, in entity order (what a
    /// pass over every counted result, taking `n`, gives).
    pub(crate) fn first_triggers(&self, tr: &Traces, rules: &[u32], n: usize) -> Vec<Subject> {
        let mut heap: BinaryHeap<Reverse<(EntityKey, u32, u32, usize)>> = rules
            .iter()
            .filter_map(|&r| Some(Reverse((*self.trues(r).first()?, self.pos(r), r, 0))))
            .collect();
        let mut out = Vec::new();
        while out.len() < n {
            let Some(Reverse((key, p, r, at))) = heap.pop() else {
                break;
            };
            steps::add_report(1);
            if let Some(e) = self.eval_of(tr, key, r) {
                out.extend(e.trace.triggers.iter().copied());
            }
            if let Some(&next) = self.trues(r).get(at + 1) {
                heap.push(Reverse((next, p, r, at + 1)));
            }
        }
        out.truncate(n);
        out
    }
}

/// What a report-level decision is made from: equal specs over equal lists give equal
/// decisions, so a decision is patched only while its spec stays the same.
#[derive(PartialEq)]
pub(crate) struct Spec {
    pub id: DecisionId,
    pub outcome: Outcome,
    /// Groups of rules whose true results are its reasons, in this order.
    pub fired: Vec<Vec<u32>>,
    /// What it rules out, and the rules whose true results rule it out.
    pub excluded: Vec<(String, Vec<u32>)>,
    /// The rules whose open results it waits for (a rule listed twice counts twice).
    pub open: Vec<u32>,
    /// Open questions before those of its rules (the empty inventory).
    pub prefix: Vec<OpenQuestion>,
    /// Provisional whatever its open questions.
    pub provisional: bool,
}

/// What is kept beside a report-level decision to patch it.
pub(crate) struct Made {
    spec: Spec,
    /// The rule of each reason of the rationale, then of each exclusion kept.
    reasons: Vec<Vec<u32>>,
    weights: HashMap<Subject, u32>,
    /// Its open questions' subjects (after the prefix), the most deciding first.
    order: Vec<(Reverse<u32>, Subject)>,
}

impl Made {
    pub(crate) fn id(&self) -> &DecisionId {
        &self.spec.id
    }
}

/// The rules of `groups`, each once, in the order of their reasons.
fn reason_rules(ix: &Index, groups: &[Vec<u32>]) -> Vec<u32> {
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for g in groups {
        let fresh: Vec<u32> = g.iter().copied().filter(|r| seen.insert(*r)).collect();
        out.extend(ix.firing_order(fresh));
    }
    out
}

fn firing_of(cx: &Ctx, ix: &Index, tr: &Traces, r: u32) -> Option<Firing> {
    let (&head, rest) = ix.trues(r).split_first()?;
    let mut f = cx.firing(ix.eval_of(tr, head, r)?);
    steps::add_report(1 + rest.len());
    f.also = rest.iter().map(|&k| cx.entity_ref(k)).collect();
    Some(f)
}

fn reasons(cx: &Ctx, ix: &Index, tr: &Traces, rules: &[u32]) -> (Vec<Firing>, Vec<u32>) {
    rules
        .iter()
        .filter_map(|&r| Some((firing_of(cx, ix, tr, r)?, r)))
        .unzip()
}

/// A report-level decision made from the lists.
pub(crate) fn make(cx: &Ctx, ix: &Index, tr: &Traces, spec: Spec) -> (Decision, Made) {
    let (rationale, fired) = reasons(cx, ix, tr, &reason_rules(ix, &spec.fired));
    let mut kept = vec![fired];
    let mut exclusions = Vec::new();
    for (what, rules) in &spec.excluded {
        let (because, rules) = reasons(cx, ix, tr, &ix.firing_order(rules.iter().copied()));
        if !because.is_empty() {
            exclusions.push(super::Exclusion {
                what: what.clone(),
                because,
            });
            kept.push(rules);
        }
    }
    let mut weights: HashMap<Subject, u32> = HashMap::new();
    for &r in &spec.open {
        for &key in ix.opens(r) {
            steps::add_report(1);
            if let Some(e) = ix.eval_of(tr, key, r) {
                for s in own_open(e) {
                    *weights.entry(s).or_default() += 1;
                }
            }
        }
    }
    let mut order: Vec<(Reverse<u32>, Subject)> =
        weights.iter().map(|(s, w)| (Reverse(*w), *s)).collect();
    order.sort_unstable();
    let mut open_questions = spec.prefix.clone();
    open_questions.extend(order.iter().map(|(_, s)| cx.open_question(*s)));
    let d = Decision {
        id: spec.id.clone(),
        subject: None,
        outcome: spec.outcome.clone(),
        provisional: spec.provisional || !open_questions.is_empty(),
        rationale,
        exclusions,
        open_questions,
        conflicts: Vec::new(),
    };
    let m = Made {
        spec,
        reasons: kept,
        weights,
        order,
    };
    (d, m)
}

/// Patches one reason list (`list`, with the rule of each in `rules`) for `candidates` (the
/// rules it may hold, in `firing_order`'s groups); false if it must be made again.
fn patch_reasons(
    cx: &Ctx,
    ix: &Index,
    tr: &Traces,
    d: &Deltas,
    groups: &[Vec<u32>],
    list: &mut Vec<Firing>,
    rules: &mut Vec<u32>,
) {
    let mut seen = HashSet::new();
    let mut rank: HashMap<u32, usize> = HashMap::new();
    for (g, group) in groups.iter().enumerate() {
        for &r in group {
            if !seen.insert(r) {
                continue;
            }
            rank.insert(r, g);
            let at = rules.iter().position(|&x| x == r);
            let head = ix.trues(r).first().copied();
            match (at, head) {
                (Some(p), Some(head)) => {
                    let delta = d.rules.get(&r);
                    let f = &mut list[p];
                    for edit in delta.iter().flat_map(|x| &x.also) {
                        steps::add_report(1);
                        match *edit {
                            AlsoEdit::Insert(i, k) => f.also.insert(i, cx.entity_ref(k)),
                            AlsoEdit::Remove(i) => {
                                f.also.remove(i);
                            }
                        }
                    }
                    let again =
                        delta.is_some_and(|x| x.head) || d.retraced.binary_search(&head).is_ok();
                    if again && let Some(e) = ix.eval_of(tr, head, r) {
                        steps::add_report(1);
                        let also = std::mem::take(&mut f.also);
                        *f = cx.firing(e);
                        f.also = also;
                    }
                }
                (Some(p), None) => {
                    list.remove(p);
                    rules.remove(p);
                }
                (None, Some(_)) => {
                    if let Some(f) = firing_of(cx, ix, tr, r) {
                        list.push(f);
                        rules.push(r);
                    }
                }
                (None, None) => {}
            }
        }
    }
    let key = |r: u32| {
        (
            rank.get(&r).copied().unwrap_or(usize::MAX),
            ix.trues(r).first().copied(),
            ix.pos(r),
        )
    };
    if !rules.is_sorted_by_key(|&r| key(r)) {
        let mut both: Vec<(Firing, u32)> = std::mem::take(list)
            .into_iter()
            .zip(rules.drain(..))
            .collect();
        both.sort_by_key(|(_, r)| key(*r));
        (*list, *rules) = both.into_iter().unzip();
    }
}

/// The decision made with `m` brought up to date with the lists after an edit (`d`), for the
/// same spec; or made again when the spec changed or an exclusion came or went.
pub(crate) fn patch(
    cx: &Ctx,
    ix: &Index,
    tr: &Traces,
    d: &Deltas,
    spec: Spec,
    old: Option<(Decision, Made)>,
) -> (Decision, Made) {
    let Some((mut dec, mut m)) = old.filter(|(_, m)| m.spec == spec) else {
        return make(cx, ix, tr, spec);
    };
    // An exclusion that came or went changes the list of exclusions: made again.
    let kept_excl: Vec<bool> = m
        .spec
        .excluded
        .iter()
        .map(|(_, rules)| rules.iter().any(|&r| !ix.trues(r).is_empty()))
        .collect();
    if kept_excl.iter().filter(|x| **x).count() != dec.exclusions.len()
        || dec
            .exclusions
            .iter()
            .zip(m.spec.excluded.iter().zip(&kept_excl).filter(|(_, k)| **k))
            .any(|(x, ((what, _), _))| x.what != *what)
    {
        return make(cx, ix, tr, spec);
    }
    let mut rules = std::mem::take(&mut m.reasons);
    patch_reasons(
        cx,
        ix,
        tr,
        d,
        &m.spec.fired,
        &mut dec.rationale,
        &mut rules[0],
    );
    let excluded: Vec<&Vec<u32>> = m
        .spec
        .excluded
        .iter()
        .zip(&kept_excl)
        .filter(|(_, k)| **k)
        .map(|((_, r), _)| r)
        .collect();
    for ((x, rs), group) in dec
        .exclusions
        .iter_mut()
        .zip(rules.iter_mut().skip(1))
        .zip(excluded)
    {
        patch_reasons(
            cx,
            ix,
            tr,
            d,
            std::slice::from_ref(group),
            &mut x.because,
            rs,
        );
    }
    m.reasons = rules;
    // The open questions' weights.
    let mut change: HashMap<Subject, i64> = HashMap::new();
    for r in &m.spec.open {
        for (s, dv) in d.rules.get(r).iter().flat_map(|x| &x.open) {
            steps::add_report(1);
            *change.entry(*s).or_default() += i64::from(*dv);
        }
    }
    let prefix = m.spec.prefix.len();
    let mut change: Vec<(Subject, i64)> = change.into_iter().filter(|(_, v)| *v != 0).collect();
    change.sort_unstable();
    for (s, dv) in change {
        let old = m.weights.get(&s).copied().unwrap_or(0);
        let new = u32::try_from(i64::from(old) + dv).unwrap_or(0);
        if old > 0
            && let Ok(p) = m.order.binary_search(&(Reverse(old), s))
        {
            m.order.remove(p);
            dec.open_questions.remove(prefix + p);
        }
        if new > 0 {
            let p = m
                .order
                .binary_search(&(Reverse(new), s))
                .unwrap_or_else(|p| p);
            m.order.insert(p, (Reverse(new), s));
            dec.open_questions.insert(prefix + p, cx.open_question(s));
            m.weights.insert(s, new);
        } else {
            m.weights.remove(&s);
        }
    }
    dec.conflicts.clear();
    dec.provisional = m.spec.provisional || !dec.open_questions.is_empty();
    (dec, m)
}
