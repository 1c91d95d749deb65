//! "What would change this?": for a decision, the answers it rests on and the single answer
//! changes that would flip it. Each change is tried on the evaluation stage, re-running only
//! what the changed answer reaches (see `Stage::with_change`), so it stays interactive on large
//! inventories; a budget bounds the search and the result says when it was cut short.

use std::collections::HashMap;

use chrono::{Duration, NaiveDate};

use super::stage::{Stage, Summary, Totals};
use super::{Decision, Flip, Recommendation, Sensitivity, Trigger, build, system_outcome};
use crate::questionnaire::condition::{Bound, Test};
use crate::questionnaire::{Category, Kind, Question, Questionnaire, Scope};
use crate::session::{Answer, EntityId, Session, Value};

/// Single changes tried per decision at most.
const BUDGET: usize = 200;

/// The sensitivity of one decision (by id, e.g. `verdict`, `type`, `system.s1`).
pub fn sensitivity(q: &Questionnaire, s: &Session, decision_id: &str) -> Option<Sensitivity> {
    let st = Stage::new(q, s);
    let r = build(q, s, &st);
    let d = all_decisions(&r).find(|d| d.id == decision_id)?;
    Some(analyse(q, s, &st, d))
}

/// The sensitivity of every report-level and per-system decision (what the export shows).
pub fn sensitivities(q: &Questionnaire, s: &Session) -> Vec<Sensitivity> {
    let st = Stage::new(q, s);
    let r = build(q, s, &st);
    r.decisions
        .iter()
        .chain(r.systems.iter().map(|x| &x.decision))
        .map(|d| analyse(q, s, &st, d))
        .collect()
}

fn all_decisions(r: &Recommendation) -> impl Iterator<Item = &Decision> {
    r.decisions
        .iter()
        .chain(r.systems.iter().map(|x| &x.decision))
        .chain(r.identities.iter().map(|x| &x.decision))
}

/// The decision's outcome as the comparison sees it (Type without its window text).
fn outcome(id: &str, s: &Session, eng: &Summary, sys: &[Summary], ids: &[Summary]) -> String {
    let totals = Totals::of(
        std::iter::once(eng).chain(sys).chain(ids),
        s.systems.is_empty(),
    );
    if id == "verdict" {
        return totals.verdict().label().to_string();
    }
    if id == "type" {
        return totals
            .report_type()
            .map_or("Undetermined", |t| t.label())
            .to_string();
    }
    if let Some(cat) = id.strip_prefix("soc2.").and_then(Category::from_id) {
        return totals.category_outcome(cat).to_string();
    }
    let system = |prefix: &str| {
        id.strip_prefix(prefix)
            .and_then(|sid| s.systems.iter().position(|x| x.id == sid))
    };
    if let Some(j) = system("system.") {
        return system_outcome(&sys[j]);
    }
    if let Some(j) = system("subservice.") {
        return sys[j]
            .subservice
            .map_or("Not a subservice organisation", |m| m.label())
            .to_string();
    }
    if let Some(i) = id
        .strip_prefix("identity.")
        .and_then(|iid| s.identities.iter().position(|x| x.id == iid))
    {
        return ids[i].verdict().label().to_string();
    }
    String::new()
}

fn analyse(q: &Questionnaire, s: &Session, st: &Stage, d: &Decision) -> Sensitivity {
    let mut rests_on: Vec<Trigger> = Vec::new();
    for t in d.rationale.iter().flat_map(|f| &f.triggers) {
        if !rests_on
            .iter()
            .any(|x| x.entity == t.entity && x.question == t.question)
        {
            rests_on.push(t.clone());
        }
    }
    let current = outcome(&d.id, s, &st.eng_sum, &st.sys_sum, &st.id_sum);
    let tests = tests_by_question(q);
    let mut flips = Vec::new();
    let mut tried = 0;
    let mut complete = true;
    'answers: for t in &rests_on {
        let entity = match t.entity.kind {
            Scope::Engagement => EntityId::Engagement,
            Scope::System => EntityId::System(t.entity.id.clone()),
            Scope::Identity => EntityId::Identity(t.entity.id.clone()),
        };
        let (Some(key), Some(question), Some(answers)) = (
            super::entity_key(s, &entity),
            q.question(&t.question),
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
            let (eng, sys, ids) = st.with_change(q, s, key, changed);
            let after = outcome(&d.id, s, &eng, &sys, &ids);
            if after != current {
                flips.push(Flip {
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
                let mut next: Vec<String> = if items.contains(&c.id) {
                    items.iter().filter(|i| **i != c.id).cloned().collect()
                } else {
                    let mut n = items.clone();
                    n.push(c.id.clone());
                    n
                };
                // Keep questionnaire order, as answers are stored.
                next.sort_by_key(|i| question.choices.iter().position(|x| &x.id == i));
                out.push(Value::List(next));
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
