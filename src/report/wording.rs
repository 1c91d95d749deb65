//! Every phrase a front-end or an export uses for a decision, in one place: the TUI, plain
//! mode, the Markdown and text outputs and the session file's summary all word a decision
//! through here, so they cannot drift apart.

use crate::engine::Verdict;

/// "provisional" or "settled": whether open questions could still change a decision.
pub fn state(provisional: bool) -> &'static str {
    if provisional {
        "provisional"
    } else {
        "settled"
    }
}

/// An outcome with " (provisional)" after it when open questions could still change it.
pub fn with_state(outcome: &str, provisional: bool) -> String {
    if provisional {
        format!("{outcome} (provisional)")
    } else {
        outcome.to_string()
    }
}

/// The verdict as one phrase: "SOC 1 and SOC 2 (provisional)".
pub fn verdict_state(v: Verdict, provisional: bool) -> String {
    with_state(v.label(), provisional)
}
