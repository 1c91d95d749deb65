//! JSON export: the recommendation plus workshop metadata (schema: docs/json-schema.md).

use serde::Serialize;

use crate::engine::Recommendation;
use crate::session::Session;

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
}

/// Pretty JSON; serde_json escapes every string, so any user text yields valid JSON.
pub fn render(s: &Session, r: &Recommendation) -> String {
    let export = Export {
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
