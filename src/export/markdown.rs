//! Markdown export.

use crate::engine::Recommendation;
use crate::questionnaire::Questionnaire;
use crate::session::Session;

pub fn render(_q: &Questionnaire, _s: &Session, r: &Recommendation) -> String {
    format!("# Verdict: {}\n", r.verdict.label())
}

pub fn summary_text(_s: &Session, r: &Recommendation) -> String {
    format!("Verdict: {}\n", r.verdict.label())
}
