//! JSON export: the recommendation plus workshop metadata (schema: docs/json-schema.md).

use serde::Serialize;

use crate::engine::{self, EvidencePlanEntry, Recommendation, Sensitivity};
use crate::questionnaire::Questionnaire;
use crate::session::Session;

#[derive(Serialize)]
struct Export<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    sensitivity: Option<Vec<Sensitivity>>,
    schema: &'static str,
    organisation: &'a str,
    facilitator: &'a str,
    participants: &'a [String],
    date: Option<String>,
    questionnaire: &'a crate::session::QuestionnaireRef,
    #[serde(flatten)]
    recommendation: &'a Recommendation,
}

/// Pretty JSON; serde_json escapes every string, so any user text yields valid JSON.
pub fn render(s: &Session, r: &Recommendation) -> String {
    render_with(s, r, None)
}

/// The export: the recommendation plus the sensitivity of every report-level and system decision.
pub fn render_export(q: &Questionnaire, s: &Session, r: &Recommendation) -> String {
    render_with(s, r, Some(engine::sensitivities(q, s)))
}

fn to_json<T: Serialize>(value: &T) -> String {
    let mut out = serde_json::to_string_pretty(value).unwrap_or_else(|e| {
        serde_json::json!({ "error": format!("could not render: {e}") }).to_string()
    });
    out.push('\n');
    out
}

#[derive(Serialize)]
struct Plan<'a> {
    schema: &'static str,
    organisation: &'a str,
    verdict: crate::engine::Verdict,
    report_type: Option<crate::questionnaire::ReportType>,
    observation_window: Option<&'a str>,
    control_objectives: &'a [String],
    evidence_plan: &'a [EvidencePlanEntry],
}

/// The evidence plan alone, for tracking collection over the observation window.
pub fn evidence_plan(s: &Session, r: &Recommendation) -> String {
    to_json(&Plan {
        schema: "socscope-evidence-plan/1",
        organisation: &s.workshop.organisation,
        verdict: r.verdict,
        report_type: r.report_type,
        observation_window: r.observation_window.as_deref(),
        control_objectives: &r.control_objectives,
        evidence_plan: &r.evidence_plan,
    })
}

fn render_with(s: &Session, r: &Recommendation, sensitivity: Option<Vec<Sensitivity>>) -> String {
    let export = Export {
        sensitivity,
        schema: "socscope-recommendation/1",
        organisation: &s.workshop.organisation,
        facilitator: &s.workshop.facilitator,
        participants: &s.workshop.participants,
        date: s.workshop.date.map(|d| d.format("%Y-%m-%d").to_string()),
        questionnaire: &s.questionnaire,
        recommendation: r,
    };
    let mut out = serde_json::to_string_pretty(&export).unwrap_or_else(|e| {
        serde_json::json!({ "error": format!("could not render the recommendation: {e}") })
            .to_string()
    });
    out.push('\n');
    out
}
