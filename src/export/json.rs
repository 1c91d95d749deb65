//! JSON export: the recommendation plus workshop metadata (schema: docs/json-schema.md).

use serde::Serialize;

use crate::engine::{self, EntityRef, Recommendation, Sensitivity};
use crate::questionnaire::condition::EntityKey;
use crate::questionnaire::{Questionnaire, Scope};
use crate::report::wording;
use crate::session::{Answers, Session, Value};

#[derive(Serialize)]
struct Export<'a> {
    schema: &'static str,
    organisation: &'a str,
    facilitator: &'a str,
    participants: &'a [String],
    date: Option<String>,
    questionnaire: &'a crate::session::QuestionnaireRef,
    #[serde(flatten)]
    recommendation: &'a Recommendation,
    /// Page one of the scoping memo, as the Markdown export words it.
    #[serde(skip_serializing_if = "Option::is_none")]
    memo: Option<crate::report::memo::Memo>,
    #[serde(skip_serializing_if = "Option::is_none")]
    sensitivity: Option<Vec<Sensitivity>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    answers: Option<Vec<AnswerRow>>,
}

/// One visible question of one entity, answered or not: the record of the workshop.
#[derive(Serialize)]
struct AnswerRow {
    entity: EntityRef,
    question: String,
    question_text: String,
    answered: bool,
    /// As stored: choice ids, a list of ids, a number or text; `"unknown"` when nobody knew.
    value: Option<Value>,
    /// As people read it (choice labels).
    answer: Option<String>,
    note: Option<String>,
    source: Option<String>,
    at: Option<String>,
}

fn to_json<T: Serialize>(value: &T) -> String {
    let out = serde_json::to_string_pretty(value).unwrap_or_else(|e| {
        serde_json::json!({ "error": format!("could not render: {e}") }).to_string()
    });
    // The same data for a JSON reader; no raw C1 control or bidi override for a terminal.
    let mut out = crate::text::json_safe(&out);
    out.push('\n');
    out
}

/// Pretty JSON for `recommend --json`; serde_json escapes every string, so any user text
/// yields valid JSON.
pub fn render(s: &Session, r: &Recommendation) -> String {
    to_json(&export(s, r, None, None))
}

/// The full export: the recommendation, the sensitivity of every decision, and every visible
/// answer with its note.
pub fn render_export(q: &Questionnaire, s: &Session, r: &Recommendation) -> String {
    let mut e = export(
        s,
        r,
        Some(engine::sensitivities_for(q, s, r)),
        Some(answer_rows(q, s)),
    );
    e.memo = Some(crate::report::memo::build(q, s, r));
    to_json(&e)
}

fn export<'a>(
    s: &'a Session,
    r: &'a Recommendation,
    sensitivity: Option<Vec<Sensitivity>>,
    answers: Option<Vec<AnswerRow>>,
) -> Export<'a> {
    Export {
        schema: "socscope-recommendation/2",
        organisation: &s.workshop.organisation,
        facilitator: &s.workshop.facilitator,
        participants: &s.workshop.participants,
        date: s.workshop.date.map(|d| d.format("%Y-%m-%d").to_string()),
        questionnaire: &s.questionnaire,
        recommendation: r,
        memo: None,
        sensitivity,
        answers,
    }
}

fn answer_rows(q: &Questionnaire, s: &Session) -> Vec<AnswerRow> {
    let vis = engine::visibility(q, s);
    let mut rows = Vec::new();
    let mut add = |entity: EntityRef, key: EntityKey, answers: &Answers| {
        for qi in vis.shown(key) {
            let question = &q.questions[qi];
            let a = answers.get(&question.id);
            rows.push(AnswerRow {
                entity: entity.clone(),
                question: question.id.clone(),
                question_text: question.text.clone(),
                answered: a.is_some(),
                value: a.map(|a| a.value.clone()),
                answer: a.map(|a| a.value.display(question)),
                note: a.and_then(|a| a.note.clone()),
                source: a.and_then(|a| a.source.clone()),
                at: a.map(|a| a.at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
            });
        }
    };
    let eng = EntityRef {
        kind: Scope::Engagement,
        id: String::new(),
        name: "Engagement".into(),
    };
    add(eng, EntityKey::Engagement, &s.engagement);
    for (i, x) in s.systems.iter().enumerate() {
        let e = EntityRef {
            kind: Scope::System,
            id: x.id.clone(),
            name: x.name.clone(),
        };
        add(e, EntityKey::System(i), &x.answers);
    }
    for (i, x) in s.identities.iter().enumerate() {
        let e = EntityRef {
            kind: Scope::Identity,
            id: x.id.clone(),
            name: x.name.clone(),
        };
        add(e, EntityKey::Identity(i), &x.answers);
    }
    rows
}

#[derive(Serialize)]
struct Plan<'a> {
    schema: &'static str,
    organisation: &'a str,
    verdict: crate::engine::Verdict,
    /// Each report's Type and dated plan: when the evidence is collected.
    plans: &'a [crate::engine::ReportPlan],
    control_objectives: Vec<Objective<'a>>,
    evidence_plan: Vec<PlanEntry<'a>>,
}

/// A candidate SOC 1 control objective with the number the Markdown cites it by (`CO-1`).
#[derive(Serialize)]
struct Objective<'a> {
    id: String,
    text: &'a str,
}

#[derive(Serialize)]
struct PlanEntry<'a> {
    subject: &'a EntityRef,
    owner: Option<&'a str>,
    tasks: Vec<PlanTask<'a>>,
}

#[derive(Serialize)]
struct PlanTask<'a> {
    #[serde(flatten)]
    task: &'a crate::engine::EvidenceTask,
    /// `CO-n` ids of `control_objectives`, as the Markdown checklist cites them.
    supports: Vec<String>,
}

/// The evidence plan alone, for tracking collection over the observation window.
pub fn evidence_plan(s: &Session, r: &Recommendation) -> String {
    to_json(&Plan {
        schema: "socscope-evidence-plan/2",
        organisation: &s.workshop.organisation,
        verdict: r.verdict,
        plans: &r.plans,
        control_objectives: r
            .control_objectives
            .iter()
            .enumerate()
            .map(|(i, text)| Objective {
                id: wording::objective_id(i + 1),
                text,
            })
            .collect(),
        evidence_plan: r
            .evidence_plan
            .iter()
            .map(|entry| PlanEntry {
                subject: &entry.subject,
                owner: entry.owner.as_deref(),
                tasks: entry
                    .tasks
                    .iter()
                    .map(|task| PlanTask {
                        task,
                        supports: wording::objective_numbers(r, &task.control_objectives)
                            .map(wording::objective_id)
                            .collect(),
                    })
                    .collect(),
            })
            .collect(),
    })
}
