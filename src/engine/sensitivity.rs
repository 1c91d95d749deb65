//! "What would change this?": for a decision, the answers it rests on and the single answer
//! changes that would flip it. Each change is tried on the evaluation stage, re-running only
//! what the changed answer reaches (see `Evaluation::with_change`), so it stays interactive on large
//! inventories; a budget bounds the search and the result says when it was cut short.

use std::collections::HashMap;

use chrono::{Duration, NaiveDate};

use super::stage::{Changed, Evaluation, IdentityRules, Stage, Summary, Totals, Want};
use super::{
    Change, Decision, DecisionId, EntityRef, Flip, Outcome, Recommendation, Sensitivity, Trigger,
    build, category_state, system_outcome,
};
use crate::questionnaire::condition::{Bound, EntityKey, Test};
use crate::questionnaire::{Category, Kind, Question, Questionnaire, Report, Scope};
use crate::session::{Answer, Session, Value};

/// Single changes tried per decision at most.
const BUDGET: usize = 200;

/// The sensitivity of one decision (e.g. the verdict, a report's Type, a system).
pub fn sensitivity(q: &Questionnaire, s: &Session, decision: &DecisionId) -> Option<Sensitivity> {
    let st = Stage::new(q, s);
    let r = build(q, s, &st);
    let d = r.decision(decision)?;
    Some(analyse(q, s, &st, d, &Tries::of(q), None))
}

/// The sensitivity of a decision the caller already has (from the recommendation of this same
/// session), without building the recommendation again.
pub fn sensitivity_of(q: &Questionnaire, s: &Session, d: &Decision) -> Sensitivity {
    sensitivity_in(q, s, &Evaluation::new(q, s), d)
}

/// Like [`sensitivity_of`], against an evaluation the caller keeps for this same session (the
/// app keeps the one its recommendation came from): nothing is evaluated twice.
pub fn sensitivity_in(
    q: &Questionnaire,
    s: &Session,
    ev: &Evaluation,
    d: &Decision,
) -> Sensitivity {
    analyse(q, s, ev, d, &Tries::of(q), None)
}

/// The sensitivity of every decision (what the exports show).
pub fn sensitivities(q: &Questionnaire, s: &Session) -> Vec<Sensitivity> {
    let st = Stage::new(q, s);
    let r = build(q, s, &st);
    sensitivities_in(q, s, &st, &r)
}

/// Like [`sensitivities`], for a recommendation the caller already has for this same session.
pub fn sensitivities_for(q: &Questionnaire, s: &Session, r: &Recommendation) -> Vec<Sensitivity> {
    sensitivities_in(q, s, &Evaluation::new(q, s), r)
}

/// Like [`sensitivities_for`], against the evaluation `r` was built from.
pub fn sensitivities_in(
    q: &Questionnaire,
    s: &Session,
    ev: &Evaluation,
    r: &Recommendation,
) -> Vec<Sensitivity> {
    let tries = Tries::of(q);
    // Every decision rests on some of the same few engagement answers: each engagement change
    // is evaluated once, for everything, and shared by all decisions. The report-level
    // decisions rest on nearly all of them, so they go first and fill the cache; the systems'
    // and identities' decisions then read it from two threads (the machine's two cores), each
    // keeping what it alone tries.
    let mut cache = Cache::new();
    let empty = Cache::new();
    let mut out: Vec<Sensitivity> = r
        .decisions
        .iter()
        .map(|d| {
            let mut c = Caches {
                shared: &empty,
                own: &mut cache,
            };
            analyse(q, s, ev, d, &tries, Some(&mut c))
        })
        .collect();
    let entities: Vec<&Decision> = r
        .systems
        .iter()
        .map(|x| &x.decision)
        .chain(r.identities.iter().map(|x| &x.decision))
        .collect();
    let run = |ds: &[&Decision]| -> Vec<Sensitivity> {
        let mut own = Cache::new();
        ds.iter()
            .map(|d| {
                let mut c = Caches {
                    shared: &cache,
                    own: &mut own,
                };
                analyse(q, s, ev, d, &tries, Some(&mut c))
            })
            .collect()
    };
    let (first, second) = entities.split_at(entities.len() / 2);
    if first.len() < 64 {
        out.extend(run(&entities));
        return out;
    }
    let (a, b) = std::thread::scope(|scope| {
        let later = scope.spawn(|| run(second));
        let a = run(first);
        // A panic in the other half is one here too: never a silently shorter export.
        (
            a,
            later
                .join()
                .unwrap_or_else(|p| std::panic::resume_unwind(p)),
        )
    });
    out.extend(a);
    out.extend(b);
    out
}

/// What every try reads of the questionnaire, worked out once per set of decisions.
struct Tries<'q> {
    /// Every test written against each question, in rules and in `show_if`s.
    tests: HashMap<usize, Vec<&'q Test>>,
    identity: IdentityRules<'q>,
}

impl<'q> Tries<'q> {
    fn of(q: &'q Questionnaire) -> Tries<'q> {
        Tries {
            tests: tests_by_question(q),
            identity: IdentityRules::of(q),
        }
    }
}

/// Engagement changes already tried, for everything: by question index and the new value.
type Cache = HashMap<(usize, String), Changed>;

/// The changes tried before (read only, shared between threads) and those this thread tried.
struct Caches<'c> {
    shared: &'c Cache,
    own: &'c mut Cache,
}

/// What a decision's outcome is read from, resolved once per decision.
enum Target {
    Verdict,
    Type(Report),
    Category(Category),
    System(usize),
    Subservice(usize),
    Identity(usize),
    Other,
}

fn target(id: &DecisionId, s: &Session) -> Target {
    match id {
        DecisionId::Verdict => Target::Verdict,
        DecisionId::Type(r) => Target::Type(*r),
        DecisionId::Category(c) => Target::Category(*c),
        DecisionId::System(sid) => s.system_index(sid).map_or(Target::Other, Target::System),
        DecisionId::Subservice(sid) => s
            .system_index(sid)
            .map_or(Target::Other, Target::Subservice),
        DecisionId::Identity(iid) => s
            .identity_index(iid)
            .map_or(Target::Other, Target::Identity),
    }
}

/// The decision's outcome as the comparison sees it. Only report-level decisions need the
/// totals, which are linear in the inventory.
fn outcome(target: &Target, s: &Session, st: &Evaluation, c: &Changed) -> Option<Outcome> {
    let totals = || c.totals(st, s.systems.is_empty());
    Some(match target {
        Target::Verdict => Outcome::Verdict(totals().verdict()),
        Target::Type(r) => Outcome::Type(totals().report_type(*r)),
        Target::Category(cat) => Outcome::Category(category_state(&totals(), *cat)),
        Target::System(j) | Target::Subservice(j) => outcome_of_system(target, c.system(st, *j)),
        Target::Identity(i) => Outcome::Identity(c.identity(st, *i).verdict()),
        Target::Other => return None,
    })
}

fn outcome_of_system(target: &Target, sum: &Summary) -> Outcome {
    match target {
        Target::Subservice(_) => Outcome::Subservice(sum.subservice),
        _ => system_outcome(sum),
    }
}

fn analyse(
    q: &Questionnaire,
    s: &Session,
    st: &Evaluation,
    d: &Decision,
    tries: &Tries,
    mut cache: Option<&mut Caches>,
) -> Sensitivity {
    // Everything it rests on, including the answers that keep it from flipping (its "no"s).
    let rests_on: Vec<Trigger> = d.rests_on().into_iter().cloned().collect();
    let target = target(&d.id, s);
    let want = match target {
        Target::Verdict => Want::Totals(Totals::FIELD_SOC1 | Totals::FIELD_SOC2),
        Target::Type(r) => {
            Want::Totals(Totals::FIELD_SOC1 | Totals::FIELD_SOC2 | Totals::field_type(r))
        }
        Target::Category(c) => Want::Totals(Totals::FIELD_SOC2 | Totals::field_category(c)),
        Target::System(j) | Target::Subservice(j) => Want::System(j),
        Target::Identity(i) => Want::Identity(i),
        Target::Other => Want::Everything,
    };
    let current = outcome(&target, s, st, &Changed::unchanged(st));
    let Some(current) = current else {
        return Sensitivity {
            decision: d.id.clone(),
            outcome: d.outcome.clone(),
            rests_on,
            flips: Vec::new(),
            tried: 0,
            complete: true,
        };
    };
    let mut flips = Vec::new();
    let mut tried = 0;
    let mut complete = true;
    // The answers it rests on first; then the other answers of the same entity that its
    // scope's rules read, since an answer can also matter by keeping a rule from firing
    // ("can it change financial data? No" keeps an identity out of SOC 1).
    let mut candidates: Vec<(EntityRef, String)> = rests_on
        .iter()
        .map(|t| (t.entity.clone(), t.question.to_string()))
        .collect();
    for c in also_read(q, s, &target) {
        if !candidates.contains(&c) {
            candidates.push(c);
        }
    }
    'answers: for t in &candidates {
        let t = Candidate {
            entity: &t.0,
            question: &t.1,
        };
        let entity = t.entity.entity_id();
        let (Some(key), Some(question), Some(answers)) = (
            super::entity_key(s, &entity),
            q.question(t.question),
            s.answers(&entity),
        ) else {
            continue;
        };
        let Some(existing) = answers.get(&question.id) else {
            continue;
        };
        let qi = q.question_index(&question.id).unwrap_or(usize::MAX);
        for alt in alternatives(
            question,
            &existing.value,
            tries.tests.get(&qi).map_or(&[][..], Vec::as_slice),
        ) {
            if tried == BUDGET {
                complete = false;
                break 'answers;
            }
            tried += 1;
            let mut changed = answers.clone();
            changed.insert(
                question.id.clone(),
                Answer {
                    value: alt.clone(),
                    ..existing.clone()
                },
            );
            let after = match (key, &target) {
                // Many decisions at once: each engagement change once, for everything. One
                // decision (the drill-down): only what it needs.
                (EntityKey::Engagement, _) => match cache.as_deref_mut() {
                    Some(cache) => {
                        let id = (qi, format!("{alt:?}"));
                        let c = match cache.shared.get(&id) {
                            Some(c) => c,
                            None => cache.own.entry(id).or_insert_with(|| {
                                st.with_change(q, s, key, changed, Want::Everything)
                            }),
                        };
                        outcome(&target, s, st, c)
                    }
                    None => outcome(&target, s, st, &st.with_change(q, s, key, changed, want)),
                },
                // A decision about a system, on one of its own answers: only it is re-run.
                (EntityKey::System(j), Target::System(t) | Target::Subservice(t)) if j == *t => {
                    let sum = st.system_with_change(q, s, j, changed);
                    Some(outcome_of_system(&target, &sum))
                }
                // A decision about an identity, on one of its own answers: only the rules that
                // answer reaches are re-run.
                (EntityKey::Identity(i), Target::Identity(t)) if i == *t => {
                    let sum = st.identity_with_change(q, s, &tries.identity, i, (qi, changed));
                    Some(Outcome::Identity(sum.verdict()))
                }
                _ => outcome(&target, s, st, &st.with_change(q, s, key, changed, want)),
            };
            let Some(after) = after else { continue };
            // For numbers and dates the first of several values giving the same outcome is
            // enough (3 months and 4 months both make it Type 2); each choice is its own change.
            let same = |f: &Flip| {
                matches!(question.kind, Kind::Number | Kind::Date)
                    && f.entity == *t.entity
                    && f.question == question.id
                    && f.outcome == after
            };
            if after != current && !flips.iter().any(same) {
                let mut changed = answers.clone();
                changed.insert(
                    question.id.clone(),
                    Answer {
                        value: alt.clone(),
                        ..existing.clone()
                    },
                );
                let opens = st
                    .newly_asked(q, s, key, &changed)
                    .into_iter()
                    .map(|qi| q.questions[qi].text.clone())
                    .collect();
                flips.push(Flip {
                    opens,
                    change: change(question, &existing.value, &alt),
                    entity: t.entity.clone(),
                    question: question.id.clone(),
                    question_text: question.text.clone(),
                    from: existing.value.display(question),
                    to: alt.display(question),
                    value: alt.clone(),
                    outcome: after,
                });
            }
        }
    }
    Sensitivity {
        decision: d.id.clone(),
        outcome: d.outcome.clone(),
        rests_on,
        flips,
        tried,
        complete,
    }
}

struct Candidate<'c> {
    entity: &'c EntityRef,
    question: &'c str,
}

/// The answered questions of the decision's own entity (the engagement for report-level
/// decisions) that the rules of its scope able to decide it read.
fn also_read(q: &Questionnaire, s: &Session, target: &Target) -> Vec<(EntityRef, String)> {
    let (scope, entity, answers) = match *target {
        Target::Verdict | Target::Type(_) | Target::Category(_) => (
            Scope::Engagement,
            EntityRef {
                kind: Scope::Engagement,
                id: Default::default(),
                name: "Engagement".into(),
            },
            &s.engagement,
        ),
        Target::System(j) | Target::Subservice(j) => {
            let x = &s.systems[j];
            (
                Scope::System,
                EntityRef {
                    kind: Scope::System,
                    id: x.id.clone().into(),
                    name: x.name.clone().into(),
                },
                &x.answers,
            )
        }
        Target::Identity(i) => {
            let x = &s.identities[i];
            (
                Scope::Identity,
                EntityRef {
                    kind: Scope::Identity,
                    id: x.id.clone().into(),
                    name: x.name.clone().into(),
                },
                &x.answers,
            )
        }
        Target::Other => return Vec::new(),
    };
    // Report-level decisions: only the rules that can decide them (each engagement change is
    // tried against the whole inventory).
    let relevant = |f: &crate::questionnaire::Findings| match *target {
        Target::Verdict => f.soc1.is_some() || f.soc2.is_some(),
        Target::Type(r) => (f.report_type.is_some() || f.first_examination.is_some()) && f.about(r),
        Target::Category(Category::Security) => f.soc2.is_some(),
        Target::Category(c) => f.categories.contains(&c) || f.excluded_categories.contains(&c),
        _ => true,
    };
    let mut out: Vec<(EntityRef, String)> = Vec::new();
    for rule in q.rules_in(scope).filter(|r| relevant(&r.findings)) {
        for a in rule.when.atoms() {
            let question = &q.questions[a.qi];
            if question.scope == scope
                && answers.contains_key(&question.id)
                && !out.iter().any(|(_, id)| *id == question.id)
            {
                out.push((entity.clone(), question.id.clone()));
            }
        }
    }
    out
}

/// One choice ticked or unticked reads better as such than as the whole new list.
fn change(question: &Question, from: &Value, to: &Value) -> Change {
    let (Value::List(a), Value::List(b)) = (from, to) else {
        return Change::Replace;
    };
    let added: Vec<&String> = b.iter().filter(|x| !a.contains(x)).collect();
    let removed: Vec<&String> = a.iter().filter(|x| !b.contains(x)).collect();
    let label = |id: &str| question.choice_label(id).to_string();
    match (added.as_slice(), removed.as_slice()) {
        ([one], []) if !a.is_empty() => Change::Add { choice: label(one) },
        ([], [one]) if !b.is_empty() => Change::Remove { choice: label(one) },
        _ => Change::Replace,
    }
}

/// Every test written against each question, in rules and in `show_if`s.
fn tests_by_question(q: &Questionnaire) -> HashMap<usize, Vec<&Test>> {
    let mut out: HashMap<usize, Vec<&Test>> = HashMap::new();
    let conditions = q
        .rules
        .iter()
        .map(|r| &r.when)
        .chain(q.questions.iter().filter_map(|x| x.show_if.as_ref()));
    for c in conditions {
        for a in c.atoms() {
            out.entry(a.qi).or_default().push(&a.test);
        }
    }
    out
}

/// The single changes worth trying for an answer: every other choice; each choice added to or
/// removed from a multiple choice; numbers and dates either side of every bound the
/// questionnaire tests. Free text and "unknown" are not tried.
fn alternatives(question: &Question, current: &Value, tests: &[&Test]) -> Vec<Value> {
    let mut out: Vec<Value> = Vec::new();
    match question.kind {
        Kind::YesNo | Kind::Single => {
            for c in &question.choices {
                let v = Value::Text(c.id.clone());
                if &v != current {
                    out.push(v);
                }
            }
        }
        Kind::Multi => {
            let items: Vec<String> = match current {
                Value::List(items) => items.clone(),
                _ => Vec::new(),
            };
            for c in &question.choices {
                // What ticking or unticking it in the app gives (exclusive choices clear the
                // others); with a "none of these" choice, nothing ticked is not worth offering.
                let next = question.toggle(&items, &c.id);
                if !next.is_empty() || !question.choices.iter().any(|x| x.exclusive) {
                    out.push(Value::List(next));
                }
            }
        }
        Kind::Number | Kind::Date => {
            for t in tests {
                let (Test::Gt(b) | Test::Gte(b) | Test::Lt(b) | Test::Lte(b)) = t else {
                    continue;
                };
                match b {
                    Bound::Number(n) => {
                        for x in [n - 1.0, *n, n + 1.0] {
                            out.push(Value::Number(x.max(0.0)));
                        }
                    }
                    Bound::Date(d) => {
                        if let Ok(day) = NaiveDate::parse_from_str(d, "%Y-%m-%d") {
                            for x in [day - Duration::days(1), day, day + Duration::days(1)] {
                                out.push(Value::Text(x.format("%Y-%m-%d").to_string()));
                            }
                        }
                    }
                }
            }
            out.retain(|v| v != current);
            let mut unique: Vec<Value> = Vec::new();
            for v in out {
                if !unique.contains(&v) {
                    unique.push(v);
                }
            }
            out = unique;
        }
        Kind::Text => {}
    }
    out
}
