//! The readable summary of a recommendation written under `[recommendation]` in the session
//! file, for people and tools reading it (recomputed, never trusted, when the file is opened).

use serde::Serialize;

use crate::engine::Recommendation;

/// The summary as a TOML value, for `session::store::save_with`.
pub fn file_summary(r: &Recommendation) -> Option<toml::Value> {
    toml::Value::try_from(summary(r)).ok()
}

/// The readable summary written under `[recommendation]`.
#[derive(Serialize)]
struct Summary {
    verdict: String,
    provisional: bool,
    soc2_categories: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    report_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    observation_window: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    sox_note: Option<String>,
    decisions: Vec<SummaryDecision>,
}

#[derive(Serialize)]
struct SummaryDecision {
    id: String,
    outcome: String,
    provisional: bool,
    because: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    gaps: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    open_questions: Vec<String>,
}

fn summary(r: &Recommendation) -> Summary {
    let full = |d: &crate::engine::Decision| SummaryDecision {
        id: d.id.clone(),
        outcome: d.outcome.clone(),
        provisional: d.provisional,
        because: d
            .rationale
            .iter()
            .map(|f| {
                let triggers: Vec<String> = f
                    .triggers
                    .iter()
                    .map(|t| format!("{}: {} = {}", t.entity.name, t.question_text, t.answer))
                    .collect();
                if triggers.is_empty() {
                    format!("[{}] {}", f.rule, f.rationale)
                } else {
                    format!("[{}] {} ({})", f.rule, f.rationale, triggers.join("; "))
                }
            })
            .collect(),
        gaps: Vec::new(),
        open_questions: d
            .open_questions
            .iter()
            .map(|o| format!("{}: {}", o.entity.name, o.question_text))
            .collect(),
    };
    // Identities can number thousands: their entries name the rules and gaps only (the
    // identity's own answers are above, the rules' wording in the report-level decisions).
    let compact = |i: &crate::engine::IdentityResult| SummaryDecision {
        id: i.decision.id.clone(),
        outcome: i.decision.outcome.clone(),
        provisional: i.decision.provisional,
        because: i
            .decision
            .rationale
            .iter()
            .map(|f| format!("[{}]", f.rule))
            .collect(),
        gaps: i.gaps.iter().map(|g| g.id.clone()).collect(),
        open_questions: Vec::new(),
    };
    let decisions = r
        .decisions
        .iter()
        .chain(r.systems.iter().map(|s| &s.decision))
        .map(full)
        .chain(r.identities.iter().map(compact))
        .collect();
    Summary {
        verdict: r.verdict.id().to_string(),
        provisional: r.provisional,
        soc2_categories: r
            .soc2_categories
            .iter()
            .map(|c| c.id().to_string())
            .collect(),
        report_type: r.report_type.map(|t| match t {
            crate::questionnaire::ReportType::Type1 => "type1".to_string(),
            crate::questionnaire::ReportType::Type2 => "type2".to_string(),
        }),
        observation_window: r.observation_window.clone(),
        sox_note: r.sox_note.clone(),
        decisions,
    }
}
