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
    /// Each report called for: "SOC 2 Type 1 as of 2027-01-12, then ...".
    #[serde(skip_serializing_if = "Vec::is_empty")]
    reports: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    sox_note: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    conflicts: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    findings: Vec<String>,
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
        id: d.id.to_string(),
        outcome: d.outcome.to_string(),
        provisional: d.provisional,
        because: d
            .rationale
            .iter()
            .map(|f| {
                let triggers: Vec<String> = f
                    .triggers
                    .iter()
                    .map(|t| {
                        // Names are redacted in the file, whatever set them.
                        let name = crate::secrets::redacted(&t.entity.name);
                        format!("{name}: {} = {}", t.question_text, t.answer)
                    })
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
            .map(|o| {
                let name = crate::secrets::redacted(&o.entity.name);
                format!("{name}: {}", o.question_text)
            })
            .collect(),
    };
    // Identities can number thousands: their entries name the rules and gaps only (the
    // identity's own answers are above, the rules' wording in the report-level decisions).
    let compact = |i: &crate::engine::IdentityResult| SummaryDecision {
        id: i.decision.id.to_string(),
        outcome: i.decision.outcome.to_string(),
        provisional: i.decision.provisional,
        because: i
            .decision
            .rationale
            .iter()
            .map(|f| format!("[{}]", f.rule))
            .collect(),
        gaps: i
            .gaps
            .iter()
            .map(|g| match g.status {
                crate::engine::GapStatus::Confirmed => g.id.to_string(),
                crate::engine::GapStatus::Unverified => format!("{} (unverified)", g.id),
            })
            .collect(),
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
        reports: r.plans.iter().map(super::wording::plan_short).collect(),
        sox_note: r.sox_note.clone(),
        conflicts: r.conflicts.iter().map(|c| c.text.clone()).collect(),
        findings: r.findings.iter().map(|f| f.text.clone()).collect(),
        decisions,
    }
}
