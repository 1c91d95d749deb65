//! "What would change this?": for a decision, the answers it rests on and the single answer
//! changes that would flip it. Each change is tried on the evaluation stage, re-running only
//! what the changed answer reaches (see `Evaluation::with_change`), so it stays interactive on large
//! inventories; a budget bounds the search and the result says when it was cut short.

use std::collections::HashMap;

use chrono::{Duration, NaiveDate};

use super::stage::{Changed, Evaluation, Stage, Summary, Totals, Want};
use super::{
    Change, Decision, EntityRef, Flip, Recommendation, Sensitivity, Trigger, build, system_outcome,
};
use crate::questionnaire::condition::{Bound, EntityKey, Test};
use crate::questionnaire::{Category, Kind, Question, Questionnaire, Scope};
use crate::session::{Answer, EntityId, Session, Value};

/// Single changes tried per decision at most.
const BUDGET: usize = 200;

/// The sensitivity of one decision (by id, e.g. `verdict`, `type`, `system.s1`).
pub fn sensitivity(q: &Questionnaire, s: &Session, decision_id: &str) -> Option<Sensitivity> {
    let st = Stage::new(q, s);
    let r = build(q, s, &st);
    let d = all_decisions(&r).find(|d| d.id == decision_id)?;
    Some(analyse(q, s, &st, d, &tests_by_question(q), None))
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
    analyse(q, s, ev, d, &tests_by_question(q), None)
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

fn sensitivities_in(
    q: &Questionnaire,
    s: &Session,
    ev: &Evaluation,
    r: &Recommendation,
) -> Vec<Sensitivity> {
    let tests = tests_by_question(q);
    // Every decision rests on some of the same few engagement answers: each engagement change
    // is evaluated once, for everything, and shared by all decisions.
    let mut cache = Cache::new();
    all_decisions(r)
        .map(|d| analyse(q, s, ev, d, &tests, Some(&mut cache)))
        .collect()
}

/// Engagement changes already tried, for everything: by question index and the new value.
type Cache = HashMap<(usize, String), Changed>;

fn all_decisions(r: &Recommendation) -> impl Iterator<Item = &Decision> {
    r.decisions
        .iter()
        .chain(r.systems.iter().map(|x| &x.decision))
        .chain(r.identities.iter().map(|x| &x.decision))
}

/// What a decision's outcome is read from, resolved once per decision.
enum Target {
    Verdict,
    Type,
    Category(Category),
    System(usize),
    Subservice(usize),
    Identity(usize),
    Other,
}

fn target(id: &str, s: &Session) -> Target {
    let system = |prefix: &str| id.strip_prefix(prefix).and_then(|sid| s.system_index(sid));
    if id == "verdict" {
        Target::Verdict
    } else if id == "type" {
        Target::Type
    } else if let Some(cat) = id.strip_prefix("soc2.").and_then(Category::from_id) {
        Target::Category(cat)
    } else if let Some(j) = system("system.") {
        Target::System(j)
    } else if let Some(j) = system("subservice.") {
        Target::Subservice(j)
    } else if let Some(i) = id
        .strip_prefix("identity.")
        .and_then(|iid| s.identity_index(iid))
    {
        Target::Identity(i)
    } else {
        Target::Other
    }
}

/// The decision's outcome as the comparison sees it (Type without its window text). Only
/// report-level decisions need the totals, which are linear in the inventory.
fn outcome(target: &Target, s: &Session, st: &Evaluation, c: &Changed) -> String {
    let totals = || c.totals(st, s.systems.is_empty());
    match target {
        Target::Verdict => totals().verdict().label().to_string(),
        Target::Type => totals()
            .report_type()
            .map_or("Undetermined", |t| t.label())
            .to_string(),
        Target::Category(cat) => totals().category_outcome(*cat).to_string(),
        Target::System(j) | Target::Subservice(j) => outcome_of_system(target, c.system(st, *j)),
        Target::Identity(i) => c.identity(st, *i).verdict().label().to_string(),
        Target::Other => String::new(),
    }
}

fn outcome_of_system(target: &Target, sum: &Summary) -> String {
    match target {
        // Worded as the decision's own outcome is (`build`).
        Target::Subservice(_) => sum.subservice.map_or_else(
            || "Not a subservice organisation".to_string(),
            |m| format!("Subservice organisation ({})", m.label()),
        ),
        _ => system_outcome(sum),
    }
}

fn analyse(
    q: &Questionnaire,
    s: &Session,
    st: &Evaluation,
    d: &Decision,
    tests: &HashMap<usize, Vec<&Test>>,
    mut cache: Option<&mut Cache>,
) -> Sensitivity {
    let mut rests_on: Vec<Trigger> = Vec::new();
    for t in d.rationale.iter().flat_map(|f| &f.triggers) {
        if !rests_on
            .iter()
            .any(|x| x.entity == t.entity && x.question == t.question)
        {
            rests_on.push(t.clone());
        }
    }
    let target = target(&d.id, s);
    let want = match target {
        Target::Verdict => Want::Totals(Totals::FIELD_SOC1 | Totals::FIELD_SOC2),
        Target::Type => Want::Totals(
            Totals::FIELD_SOC1 | Totals::FIELD_SOC2 | Totals::FIELD_TYPE1 | Totals::FIELD_TYPE2,
        ),
        Target::Category(c) => Want::Totals(Totals::FIELD_SOC2 | Totals::field_category(c)),
        Target::System(j) | Target::Subservice(j) => Want::System(j),
        Target::Identity(i) => Want::Identity(i),
        Target::Other => Want::Everything,
    };
    let current = outcome(&target, s, st, &Changed::unchanged(st));
    let mut flips = Vec::new();
    let mut tried = 0;
    let mut complete = true;
    // The answers it rests on first; then the other answers of the same entity that its
    // scope's rules read, since an answer can also matter by keeping a rule from firing
    // ("can it change financial data? No" keeps an identity out of SOC 1).
    let mut candidates: Vec<(EntityRef, String)> = rests_on
        .iter()
        .map(|t| (t.entity.clone(), t.question.clone()))
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
        let entity = match t.entity.kind {
            Scope::Engagement => EntityId::Engagement,
            Scope::System => EntityId::System(t.entity.id.clone()),
            Scope::Identity => EntityId::Identity(t.entity.id.clone()),
        };
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
            tests.get(&qi).map_or(&[][..], Vec::as_slice),
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
                        let c = cache.entry((qi, format!("{alt:?}"))).or_insert_with(|| {
                            st.with_change(q, s, key, changed, Want::Everything)
                        });
                        outcome(&target, s, st, c)
                    }
                    None => outcome(&target, s, st, &st.with_change(q, s, key, changed, want)),
                },
                // A decision about a system, on one of its own answers: only it is re-run.
                (EntityKey::System(j), Target::System(t) | Target::Subservice(t)) if j == *t => {
                    let sum = st.system_with_change(q, s, j, changed);
                    outcome_of_system(&target, &sum)
                }
                _ => outcome(&target, s, st, &st.with_change(q, s, key, changed, want)),
            };
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
        title: d.title.clone(),
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
        Target::Verdict | Target::Type | Target::Category(_) => (
            Scope::Engagement,
            EntityRef {
                kind: Scope::Engagement,
                id: String::new(),
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
                    id: x.id.clone(),
                    name: x.name.clone(),
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
                    id: x.id.clone(),
                    name: x.name.clone(),
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
        Target::Type => f.report_type.is_some(),
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
