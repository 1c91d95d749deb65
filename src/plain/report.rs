//! What plain mode reads out about the recommendation and the evidence plan: plain text only,
//! for a screen reader (no Markdown, no rule ids), each answer a reason rests on said once.

use std::fmt::Write;

use crate::engine::{self, Recommendation};
use crate::questionnaire::{Questionnaire, ReportType, Scope};
use crate::report::wording;
use crate::session::Session;
use crate::text::clean;

/// The scoping memo as plain text (`report::memo`, as `recommend` prints it), then "What would
/// change this?" for the verdict and each report-level decision.
pub(super) fn recommendation_text(q: &Questionnaire, s: &Session) -> String {
    // Like every export, made from a redacted copy.
    let s = &crate::secrets::redact_session(s);
    let (r, ev) = engine::recommend_with_evaluation(q, s);
    // The same memo as `recommend` and the Markdown export: page one, then each decision.
    let mut out = crate::report::memo::text(q, s, &r);
    let w = &mut out;
    let _ = writeln!(w, "\nWhat would change this?");
    for d in &r.decisions {
        let x = engine::sensitivity_in(q, s, &ev, d);
        let _ = writeln!(
            w,
            "{}: {}",
            clean(&d.title()),
            clean(&d.outcome.to_string())
        );
        let n = x.rests_on.len();
        if x.flips.is_empty() {
            let _ = if n == 0 {
                writeln!(w, "  Sensitivity: {}.", wording::rests_on(0))
            } else {
                writeln!(
                    w,
                    "  Sensitivity: {}; no single answer change flips it ({} change{} tried{}).",
                    wording::rests_on(n),
                    x.tried,
                    if x.tried == 1 { "" } else { "s" },
                    if x.complete { "" } else { ", search cut short" }
                )
            };
            continue;
        }
        let _ = writeln!(
            w,
            "  Sensitivity: {}. Single changes that flip it:",
            wording::rests_on(n)
        );
        for g in wording::flip_groups(&x.flips) {
            let f = g[0];
            let change = wording::group_change(&g, clean, clean);
            let _ = writeln!(
                w,
                "    {}, \u{201c}{}\u{201d}: {change} would make it {}{}",
                clean(&f.entity.name),
                clean(&f.question_text),
                clean(&f.outcome.to_string()),
                f.opens_words(clean)
            );
        }
        if !x.complete {
            let _ = writeln!(w, "    The search was cut short after {} changes.", x.tried);
        }
    }
    out
}

/// The evidence plan as plain lines: what to collect, for whom, how often.
pub(super) fn evidence_text(s: &Session, r: &Recommendation) -> String {
    let mut out = String::new();
    let w = &mut out;
    let _ = writeln!(w, "Evidence plan for {}", clean(&s.workshop.organisation));
    let _ = write!(w, "Recommendation: {}", r.verdict.label());
    for p in &r.plans {
        let _ = write!(w, "; {}", clean(&wording::plan_short(p)));
    }
    let _ = writeln!(w, ".");
    if r.evidence_plan.is_empty() {
        let _ = writeln!(w, "{}", wording::NOTHING_TO_COLLECT);
        return out;
    }
    let when = if r
        .plans
        .iter()
        .any(|p| p.report_type == Some(ReportType::Type1))
    {
        "for the Type 1 date, and then over the Type 2 observation window"
    } else {
        "over the observation window"
    };
    let _ = writeln!(w, "What to collect {when}, and how often.");
    for entry in &r.evidence_plan {
        let owner = entry
            .owner
            .as_deref()
            .map_or("no owner named yet".to_string(), |o| {
                format!("owner {}", clean(o))
            });
        let who = match entry.subject.kind {
            Scope::Engagement => "Programme-wide".to_string(),
            kind => format!(
                "{} {}",
                capitalised(kind.as_str()),
                clean(&entry.subject.name)
            ),
        };
        let _ = writeln!(
            w,
            "\n{who}, {owner}: {} item{}.",
            entry.tasks.len(),
            if entry.tasks.len() == 1 { "" } else { "s" }
        );
        for (i, t) in entry.tasks.iter().enumerate() {
            let mut line = format!("  {}. {}, {}", i + 1, clean(&t.title), clean(&t.cadence));
            if !t.references.is_empty() {
                let _ = write!(line, "; criteria {}", clean(&t.references.join(", ")));
            }
            let numbers: Vec<String> = wording::objective_numbers(r, &t.control_objectives)
                .map(|n| format!("objective {n}"))
                .collect();
            if !numbers.is_empty() {
                let _ = write!(line, "; supports {}", numbers.join(", "));
            }
            if t.establish_first {
                let _ = write!(line, "; establish first: {}", wording::ESTABLISH_FIRST);
            }
            let _ = writeln!(w, "{line}.");
        }
    }
    if !r.control_objectives.is_empty() {
        let _ = writeln!(w, "\nCandidate SOC 1 control objectives:");
        for (i, c) in r.control_objectives.iter().enumerate() {
            let _ = writeln!(w, "  Objective {}: {}", i + 1, clean(c));
        }
    }
    out
}

fn capitalised(s: &str) -> String {
    super::capitalise(s)
}
