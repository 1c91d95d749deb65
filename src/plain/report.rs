//! What plain mode reads out about the recommendation and the evidence plan: plain text only,
//! for a screen reader (no Markdown, no rule ids), each answer a reason rests on said once.

use std::collections::HashMap;
use std::fmt::Write;

use crate::engine::{self, Change, Flip, Recommendation};
use crate::questionnaire::{Questionnaire, ReportType, Scope};
use crate::report::wording;
use crate::session::Session;
use crate::text::clean;

/// The recommendation with its reasons, then "What would change this?" for the verdict and each
/// report-level decision. Kept as one function: the plain-text memo (`crate::report::memo`)
/// takes its place.
pub(super) fn recommendation_text(q: &Questionnaire, s: &Session) -> String {
    // Like every export, made from a redacted copy.
    let s = &crate::secrets::redact_session(s);
    let (r, ev) = engine::recommend_with_evaluation(q, s);
    let mut out = String::new();
    let w = &mut out;
    let org = clean(&s.workshop.organisation);
    let _ = writeln!(w, "Recommendation for {org}");
    let _ = writeln!(
        w,
        "Verdict: {}{}",
        r.verdict.label(),
        match r.provisional_count() {
            0 => ", settled".to_string(),
            1 => ", provisional: 1 decision could still change".to_string(),
            n => format!(", provisional: {n} decisions could still change"),
        }
    );
    let cats: Vec<&str> = r.soc2_categories.iter().map(|c| c.label()).collect();
    let _ = writeln!(
        w,
        "SOC 2 categories: {}",
        if cats.is_empty() {
            "none".to_string()
        } else {
            cats.join(", ")
        }
    );
    if r.plans.is_empty() {
        let _ = writeln!(w, "Plan: no report called for yet.");
    }
    for p in &r.plans {
        let _ = writeln!(w, "Plan: {}.", clean(&wording::plan_short(p)));
        for st in &p.steps {
            let _ = writeln!(w, "  {}.", clean(&wording::step(st)));
        }
        for t in &p.waiting_for {
            let _ = writeln!(w, "  The dates also wait for: {}.", clean(t));
        }
    }
    if let Some(n) = &r.sox_note {
        let _ = writeln!(w, "SOX: {}", clean(n));
    }
    let p = r.progress;
    let _ = writeln!(
        w,
        "Progress: {} of {} questions that can be asked are answered, {} of them unknown.",
        p.answered, p.total, p.unknown
    );
    let answer = |t: &crate::engine::Trigger| {
        format!(
            "{}, \u{201c}{}\u{201d}: {}",
            clean(&t.entity.name),
            clean(&t.question_text),
            clean(&t.answer)
        )
    };
    if !r.conflicts.is_empty() {
        let _ = writeln!(
            w,
            "\nConflicting answers ({}): these cannot all be true; the decisions they touch stay \
             provisional until one of them changes.",
            r.conflicts.len()
        );
        for c in &r.conflicts {
            let _ = writeln!(
                w,
                "  Conflict about {}: {}.",
                clean(&c.subject.name),
                clean(&c.text)
            );
            for t in &c.answers {
                let _ = writeln!(w, "    {}", answer(t));
            }
        }
    }
    if !r.findings.is_empty() {
        let _ = writeln!(w, "\nFindings to take back ({}):", r.findings.len());
        for f in &r.findings {
            let about = f
                .subject
                .as_ref()
                .map(|e| format!(" (about {})", clean(&e.name)))
                .unwrap_or_default();
            let _ = writeln!(w, "  {}{about}: {}", clean(&f.text), clean(&f.rationale));
            for t in &f.triggers {
                let _ = writeln!(w, "    {}", answer(t));
            }
        }
    }
    for n in &r.notes {
        let _ = writeln!(w, "Note: {}", clean(&n.text));
    }
    for x in &r.subservices {
        let _ = writeln!(
            w,
            "{}: {}.",
            clean(&x.system.name),
            clean(&wording::subservice_line(x))
        );
    }
    if r.verdict != engine::Verdict::None && !r.cuecs.is_empty() {
        let _ = writeln!(
            w,
            "\nControls customers must operate for ours to work (CUECs, {}):",
            r.cuecs.len()
        );
        for c in &r.cuecs {
            let _ = writeln!(w, "  {}", clean(&c.text));
        }
    }
    for f in &r.frameworks {
        let _ = writeln!(
            w,
            "Related framework, {}: {}",
            clean(f.framework.as_deref().unwrap_or_default()),
            clean(&f.text)
        );
    }

    // Each answer is said once, the first time a reason rests on it, with how many reasons do;
    // later reasons only count it (system rules all restate the same engagement answers).
    let key = |t: &crate::engine::Trigger| -> (Scope, String, String) {
        (t.entity.kind, t.entity.id.clone(), t.question.clone())
    };
    let mut uses: HashMap<(Scope, String, String), usize> = HashMap::new();
    for d in r.all_decisions() {
        let firings = d
            .rationale
            .iter()
            .chain(d.exclusions.iter().flat_map(|x| x.because.iter()));
        for f in firings {
            for t in &f.triggers {
                *uses.entry(key(t)).or_default() += 1;
            }
        }
    }
    let mut said: std::collections::HashSet<(Scope, String, String)> =
        std::collections::HashSet::new();
    let gaps: HashMap<&engine::DecisionId, &[engine::Gap]> = r
        .systems
        .iter()
        .map(|x| (&x.decision.id, x.gaps.as_slice()))
        .chain(
            r.identities
                .iter()
                .map(|x| (&x.decision.id, x.gaps.as_slice())),
        )
        .collect();
    let n = r.all_decisions().count();
    let _ = writeln!(w, "\nDecisions ({n}), each with its reasons:");
    for d in r.all_decisions() {
        let _ = writeln!(
            w,
            "\n{}: {}",
            clean(&d.title()),
            clean(&wording::outcome_state(d))
        );
        let mut reason = |w: &mut String, f: &'_ engine::Firing| {
            let criteria: Vec<&str> = f
                .references
                .iter()
                .map(String::as_str)
                .filter(|x| crate::questionnaire::tsc::is_valid(x))
                .collect();
            let refs = if criteria.is_empty() {
                String::new()
            } else {
                format!(" (criteria {})", criteria.join(", "))
            };
            let _ = writeln!(w, "    {}{refs}", clean(&f.rationale));
            let mut again = 0;
            for t in &f.triggers {
                if !said.insert(key(t)) {
                    again += 1;
                    continue;
                }
                let times = uses.get(&key(t)).copied().unwrap_or(1);
                let count = if times > 1 {
                    format!(" (given for {times} reasons)")
                } else {
                    String::new()
                };
                let imported = t
                    .source
                    .as_deref()
                    .map(|x| format!(", imported from {}", clean(x)))
                    .unwrap_or_default();
                let _ = writeln!(w, "      {}{imported}{count}", answer(t));
            }
            match again {
                0 => {}
                1 => {
                    let _ = writeln!(w, "      and 1 answer given above");
                }
                n => {
                    let _ = writeln!(w, "      and {n} answers given above");
                }
            }
            if !f.also.is_empty() {
                let names: Vec<String> = f.also.iter().map(|e| clean(&e.name)).collect();
                let _ = writeln!(
                    w,
                    "      The same reason also holds for: {}",
                    names.join(", ")
                );
            }
            if !f.via_systems.is_empty() {
                let names: Vec<String> = f.via_systems.iter().map(|e| clean(&e.name)).collect();
                let _ = writeln!(w, "      Through in-scope systems: {}", names.join(", "));
            }
        };
        if d.rationale.is_empty() && d.exclusions.is_empty() {
            let _ = writeln!(w, "  No reason yet: no rule has fired for this decision.");
        }
        if !d.rationale.is_empty() {
            let _ = writeln!(w, "  Why:");
            for f in &d.rationale {
                reason(w, f);
            }
        }
        for x in &d.exclusions {
            let _ = writeln!(w, "  {}, because:", wording::excluded(&x.what));
            for f in &x.because {
                reason(w, f);
            }
        }
        if !d.conflicts.is_empty() {
            let _ = writeln!(
                w,
                "  Kept provisional by conflicting answers (listed above)."
            );
        }
        if !d.open_questions.is_empty() {
            let _ = writeln!(w, "  Open questions that could change it:");
            for o in &d.open_questions {
                let _ = writeln!(
                    w,
                    "    {}: {}",
                    clean(&o.entity.name),
                    clean(&o.question_text)
                );
            }
        }
        if let Some(g) = gaps.get(&d.id).filter(|g| !g.is_empty()) {
            let confirmed = g
                .iter()
                .filter(|x| x.status == engine::GapStatus::Confirmed)
                .count();
            let _ = writeln!(
                w,
                "  Evidence: {}.",
                wording::gap_counts(confirmed, g.len() - confirmed)
            );
            for x in g.iter() {
                let _ = writeln!(w, "    {}", clean(&wording::gap(x)));
            }
        }
    }

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
        // Several values of one question with the same effect are one line: "A, B or C
        // instead of None of these".
        let mut groups: Vec<Vec<&Flip>> = Vec::new();
        for f in &x.flips {
            match groups.last_mut() {
                Some(g)
                    if g[0].entity == f.entity
                        && g[0].question == f.question
                        && g[0].outcome == f.outcome
                        && g[0].opens == f.opens
                        && std::mem::discriminant(&g[0].change)
                            == std::mem::discriminant(&f.change) =>
                {
                    g.push(f)
                }
                _ => groups.push(vec![f]),
            }
        }
        let either = |items: Vec<String>| match items.split_last() {
            Some((last, rest)) if !rest.is_empty() => format!("{} or {last}", rest.join(", ")),
            _ => items.join(""),
        };
        for g in groups {
            let f = g[0];
            let values = |pick: fn(&Flip) -> Option<&str>| {
                either(g.iter().filter_map(|x| pick(x)).map(clean).collect())
            };
            let change = match &f.change {
                Change::Add { .. } => format!(
                    "adding {}",
                    values(|x| match &x.change {
                        Change::Add { choice } => Some(choice.as_str()),
                        _ => None,
                    })
                ),
                Change::Remove { .. } => format!(
                    "removing {}",
                    values(|x| match &x.change {
                        Change::Remove { choice } => Some(choice.as_str()),
                        _ => None,
                    })
                ),
                Change::Replace => format!(
                    "{} instead of {}",
                    values(|x| Some(x.to.as_str())),
                    clean(&f.from)
                ),
            };
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
        let _ = writeln!(
            w,
            "Nothing to collect: no system or identity is in scope yet."
        );
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
            let numbers: Vec<String> = t
                .control_objectives
                .iter()
                .filter_map(|o| r.control_objectives.iter().position(|x| x == o))
                .map(|n| format!("objective {}", n + 1))
                .collect();
            if !numbers.is_empty() {
                let _ = write!(line, "; supports {}", numbers.join(", "));
            }
            if t.establish_first {
                line.push_str("; establish first: nobody could say whether it exists");
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
