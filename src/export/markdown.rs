//! Markdown export (CommonMark, renders on GitHub) and the plain-text summary of `recommend`.
//!
//! Every piece of user-entered text goes through [`escape`] (or [`cell`] in tables), so names,
//! answers and notes cannot break a table, start a list, form a link or inject HTML.

use std::collections::HashSet;
use std::fmt::Write;

use crate::engine::{
    self, Change, Decision, DecisionId, Firing, GapStatus, Recommendation, Sensitivity, Verdict,
};
use crate::questionnaire::{Questionnaire, ReportType, Scope, tsc};
use crate::report::wording;
use crate::session::Session;

/// One line of untrusted text for an export: no control characters (so no terminal escape
/// sequence survives), no bidirectional overrides or zero-width characters (so nothing reads
/// differently from what it is). The one policy is [`crate::text::clean`].
pub fn sanitize(s: &str) -> String {
    crate::text::clean(s)
}

/// Escapes text for inline Markdown: every character that could open emphasis, code, a link,
/// HTML, an entity or a table cell is backslash-escaped, and line breaks become spaces. The
/// output never starts a line, so list and heading markers need no escaping.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in sanitize(s).chars() {
        if matches!(
            c,
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '|' | '#' | '~' | '&' | '!'
        ) {
            out.push('\\');
        }
        out.push(c);
    }
    out.trim().to_string()
}

/// A table cell: escaped, never empty (an empty cell renders oddly in some viewers).
fn cell(s: &str) -> String {
    let e = escape(s);
    if e.is_empty() { "—".to_string() } else { e }
}

fn status(d: &Decision) -> &'static str {
    if d.provisional {
        "provisional"
    } else {
        "settled"
    }
}

fn yes(b: bool) -> &'static str {
    if b { "yes" } else { "no" }
}

fn organisation(s: &Session) -> String {
    if s.workshop.organisation.trim().is_empty() {
        "(organisation not named)".to_string()
    } else {
        escape(&s.workshop.organisation)
    }
}

/// The full report for auditors and stakeholders.
pub fn render(q: &Questionnaire, s: &Session, r: &Recommendation) -> String {
    let mut out = String::new();
    let w = &mut out;
    let org = organisation(s);
    let _ = writeln!(w, "# SOC scoping recommendation: {org}\n");
    let _ = writeln!(w, "| Workshop | |\n|---|---|");
    let _ = writeln!(w, "| Organisation | {} |", cell(&s.workshop.organisation));
    let _ = writeln!(w, "| Facilitator | {} |", cell(&s.workshop.facilitator));
    let _ = writeln!(
        w,
        "| Participants | {} |",
        cell(&s.workshop.participants.join(", "))
    );
    let date = s
        .workshop
        .date
        .map(|d| d.format("%Y-%m-%d").to_string())
        .unwrap_or_default();
    let _ = writeln!(w, "| Date | {} |", cell(&date));
    let _ = writeln!(
        w,
        "| Questionnaire | {} |",
        cell(&format!(
            "{} v{}",
            s.questionnaire.id, s.questionnaire.version
        ))
    );
    let p = r.progress;
    let _ = writeln!(
        w,
        "| Progress | {} of {} questions answered ({} unknown) |\n",
        p.answered, p.total, p.unknown
    );

    // Summary table of decisions.
    let _ = writeln!(w, "## Summary\n");
    let _ = writeln!(
        w,
        "**Recommendation: {}**{}\n",
        r.verdict.label(),
        if r.provisional {
            " (provisional: open questions could still change a decision)"
        } else {
            ""
        }
    );
    if r.verdict == Verdict::Undetermined {
        let _ = writeln!(
            w,
            "Not enough is known to recommend a report yet; the open questions below decide it.\n"
        );
    }
    let cats: Vec<&str> = r.soc2_categories.iter().map(|c| c.label()).collect();
    let _ = writeln!(w, "| Decision | Outcome | Status |\n|---|---|---|");
    for d in &r.decisions {
        let _ = writeln!(
            w,
            "| {} | {} | {} |",
            cell(&d.title()),
            cell(&d.outcome.to_string()),
            status(d)
        );
    }
    if !cats.is_empty() {
        let _ = writeln!(
            w,
            "\n**SOC 2 Trust Services Categories:** {}",
            cats.join(", ")
        );
    }
    if let Some(note) = &r.sox_note {
        let _ = writeln!(w, "\n> **SOX:** {}", escape(note));
    }
    let _ = writeln!(w);
    plans(w, r);
    findings(w, r);

    // Each decision with its rationale and what would change it.
    let _ = writeln!(w, "## Decisions and rationale\n");
    let sens = engine::sensitivities_for(q, s, r);
    let sens: std::collections::HashMap<&DecisionId, &Sensitivity> =
        sens.iter().map(|x| (&x.decision, x)).collect();
    for d in r.all_decisions() {
        decision(w, d);
        if let Some(x) = sens.get(&d.id) {
            sensitivity(w, x);
        }
    }

    // Systems.
    let _ = writeln!(w, "## Systems\n");
    if r.systems.is_empty() {
        let _ = writeln!(w, "No systems have been added.\n");
    } else {
        let _ = writeln!(
            w,
            "| System | In scope | Subservice | Status |\n|---|---|---|---|"
        );
        for x in &r.systems {
            let _ = writeln!(
                w,
                "| {} | {} | {} | {} |",
                cell(&x.name),
                cell(&x.decision.outcome.to_string()),
                x.subservice.map_or("—", |m| m.label()),
                status(&x.decision)
            );
        }
        let _ = writeln!(w);
        for x in r.systems.iter().filter(|x| !x.gaps.is_empty()) {
            let _ = writeln!(w, "### Evidence: {}\n", escape(&x.name));
            gap_list(w, &x.gaps);
        }
    }

    // Identities and their evidence gaps.
    let _ = writeln!(w, "## Identities\n");
    if r.identities.is_empty() {
        let _ = writeln!(w, "No identities have been added.\n");
    } else {
        let (confirmed, unverified) = r.gap_counts();
        let _ = writeln!(
            w,
            "{} across the in-scope systems and identities.\n",
            wording::gap_counts(confirmed, unverified)
        );
        let _ = writeln!(
            w,
            "| Identity | Kind | Systems | SOC 1 | SOC 2 | Confirmed gaps | Unverified |\n|---|---|---|---|---|---|---|"
        );
        for x in &r.identities {
            let of = |status: GapStatus| -> Vec<&str> {
                x.gaps
                    .iter()
                    .filter(|g| g.status == status)
                    .map(|g| g.text.as_str())
                    .collect()
            };
            let _ = writeln!(
                w,
                "| {} | {} | {} | {} | {} | {} | {} |",
                cell(&x.name),
                cell(x.kind.as_deref().unwrap_or("")),
                cell(&x.systems.join(", ")),
                yes(x.soc1),
                yes(x.soc2),
                cell(&of(GapStatus::Confirmed).join("; ")),
                cell(&of(GapStatus::Unverified).join("; "))
            );
        }
        let _ = writeln!(w);
        for x in r.identities.iter().filter(|x| !x.gaps.is_empty()) {
            let _ = writeln!(w, "### Evidence gaps: {}\n", escape(&x.name));
            gap_list(w, &x.gaps);
        }
    }

    // Subservice organisations.
    if !r.subservices.is_empty() {
        let _ = writeln!(w, "## Subservice organisations\n");
        for sub in &r.subservices {
            let _ = writeln!(
                w,
                "### {} ({})\n",
                escape(&sub.system.name),
                sub.method.label()
            );
            let _ = writeln!(w, "{}.\n", escape(&wording::subservice_line(sub)));
            for o in &sub.open_questions {
                let _ = writeln!(w, "- To settle: {}", escape(&o.question_text));
            }
            if !sub.open_questions.is_empty() {
                let _ = writeln!(w);
            }
            if !sub.csocs.is_empty() {
                let _ = writeln!(
                    w,
                    "Complementary subservice organisation controls expected:\n"
                );
                for c in &sub.csocs {
                    let _ = writeln!(w, "- {}", escape(c));
                }
                let _ = writeln!(w);
            }
            if !sub.evidence.is_empty() {
                let _ = writeln!(w, "Evidence:\n");
                for e in &sub.evidence {
                    let _ = writeln!(w, "- {}", escape(e));
                }
                let _ = writeln!(w);
            }
        }
    }

    boundary_notes(w, r);

    if !r.control_objectives.is_empty() {
        let _ = writeln!(w, "## Candidate SOC 1 control objectives\n");
        for (i, c) in r.control_objectives.iter().enumerate() {
            let _ = writeln!(w, "- **CO-{}** {}", i + 1, escape(c));
        }
        let _ = writeln!(w);
    }

    evidence_plan(w, r);

    let _ = writeln!(w, "## Open questions\n");
    if r.open_questions.is_empty() {
        let _ = writeln!(w, "None: every decision is settled.\n");
    } else {
        for o in &r.open_questions {
            let _ = writeln!(
                w,
                "- {}: {}",
                escape(&o.entity.name),
                escape(&o.question_text)
            );
        }
        let _ = writeln!(w);
    }

    answers_appendix(w, q, s);

    if !s.orphans.is_empty() {
        let _ = writeln!(w, "## Answers kept aside\n");
        let _ = writeln!(
            w,
            "These answers no longer match the questionnaire and were not used:\n"
        );
        for o in &s.orphans {
            let _ = writeln!(
                w,
                "- {} / `{}`: {} ({})",
                escape(&o.entity),
                sanitize(&o.question).replace('`', "'"),
                escape(&o.value),
                escape(&o.reason)
            );
        }
        let _ = writeln!(w);
    }

    let _ = writeln!(
        w,
        "---\n\nGenerated by socscope {} from the session updated {}.",
        env!("CARGO_PKG_VERSION"),
        s.updated.format("%Y-%m-%d %H:%M UTC")
    );
    out
}

/// Confirmed gaps, then evidence nobody could vouch for, each with the evidence it needs.
fn gap_list(w: &mut String, gaps: &[crate::engine::Gap]) {
    for g in gaps {
        let _ = writeln!(w, "- **{}**", escape(&wording::gap(g)));
        for o in &g.unknown {
            let _ = writeln!(w, "  - Unknown: {}", escape(&o.question_text));
        }
        for e in &g.evidence {
            let _ = writeln!(w, "  - Evidence: {}", escape(e));
        }
    }
    let _ = writeln!(w);
}

/// Each report's Type and dated plan.
fn plans(w: &mut String, r: &Recommendation) {
    if r.plans.is_empty() {
        return;
    }
    let _ = writeln!(w, "## Type and dated plan\n");
    for p in &r.plans {
        let _ = writeln!(
            w,
            "### {}: {}{}\n",
            p.report.label(),
            wording::report_type(p.report_type),
            if p.provisional { " (provisional)" } else { "" }
        );
        if !p.settled {
            let _ = writeln!(
                w,
                "If a {} is called for (open questions decide):\n",
                p.report.label()
            );
        }
        for st in &p.steps {
            let _ = writeln!(w, "- {}", escape(&wording::step(st)));
        }
        if !p.waiting_for.is_empty() {
            let _ = writeln!(w, "- The dates also wait for:");
            for t in &p.waiting_for {
                let _ = writeln!(w, "  - {}", escape(t));
            }
        }
        let _ = writeln!(w);
    }
}

/// Complementary user entity controls and related frameworks.
fn boundary_notes(w: &mut String, r: &Recommendation) {
    if r.verdict != crate::engine::Verdict::None && !r.cuecs.is_empty() {
        let _ = writeln!(w, "## Complementary user entity controls\n");
        let _ = writeln!(
            w,
            "Controls customers must operate for ours to work; the report lists them.\n"
        );
        for c in &r.cuecs {
            let refs = if c.references.is_empty() {
                String::new()
            } else {
                format!(" ({})", c.references.join(", "))
            };
            let _ = writeln!(w, "- {}{refs}", escape(&c.text));
        }
        let _ = writeln!(w);
    }
    if !r.frameworks.is_empty() {
        let _ = writeln!(w, "## Related frameworks\n");
        let _ = writeln!(
            w,
            "What customers will ask for beside the SOC report; notes, not part of the verdict.\n"
        );
        for f in &r.frameworks {
            let _ = writeln!(
                w,
                "- **{}**: {}",
                escape(f.framework.as_deref().unwrap_or_default()),
                escape(&f.text)
            );
        }
        let _ = writeln!(w);
    }
}

/// Findings to take back to someone, conflicting answers, and notes.
fn findings(w: &mut String, r: &Recommendation) {
    if !r.conflicts.is_empty() {
        let _ = writeln!(w, "## Conflicting answers\n");
        let _ = writeln!(
            w,
            "These answers cannot all be true; the decisions they touch stay provisional until \
             one of them changes.\n"
        );
        for c in &r.conflicts {
            let _ = writeln!(w, "- **{}** ({})", escape(&c.text), escape(&c.subject.name));
            for t in &c.answers {
                let _ = writeln!(
                    w,
                    "  - {}: {} **{}**",
                    escape(&t.entity.name),
                    escape(&t.question_text),
                    escape(&t.answer)
                );
            }
        }
        let _ = writeln!(w);
    }
    if !r.findings.is_empty() {
        let _ = writeln!(w, "## Findings\n");
        for f in &r.findings {
            let subject = f
                .subject
                .as_ref()
                .map(|e| format!(" ({})", escape(&e.name)))
                .unwrap_or_default();
            let _ = writeln!(
                w,
                "- **{}**{subject}: {}",
                escape(&f.text),
                escape(&f.rationale)
            );
            for t in &f.triggers {
                let _ = writeln!(
                    w,
                    "  - {}: {} **{}**",
                    escape(&t.entity.name),
                    escape(&t.question_text),
                    escape(&t.answer)
                );
            }
        }
        let _ = writeln!(w);
    }
    if !r.notes.is_empty() {
        let _ = writeln!(w, "## Notes\n");
        for n in &r.notes {
            let _ = writeln!(w, "- {}", escape(&n.text));
        }
        let _ = writeln!(w);
    }
}

fn decision(w: &mut String, d: &Decision) {
    let _ = writeln!(
        w,
        "### {}: {}\n",
        escape(&d.title()),
        escape(&d.outcome.to_string())
    );
    if d.provisional {
        let _ = writeln!(
            w,
            "*Provisional: open questions below could change this.*\n"
        );
    }
    let mut shown = HashSet::new();
    if d.rationale.is_empty() && d.exclusions.is_empty() {
        let _ = writeln!(w, "No rule has fired for this decision yet.\n");
    } else if !d.rationale.is_empty() {
        let _ = writeln!(w, "Why:\n");
        for f in &d.rationale {
            firing(w, f, &mut shown);
        }
        let _ = writeln!(w);
    }
    for x in &d.exclusions {
        let _ = writeln!(w, "{}, because:\n", wording::excluded(&x.what));
        for f in &x.because {
            firing(w, f, &mut shown);
        }
        let _ = writeln!(w);
    }
    if !d.conflicts.is_empty() {
        let _ = writeln!(
            w,
            "*Kept provisional by conflicting answers (see Conflicting answers).*\n"
        );
    }
    if !d.open_questions.is_empty() {
        let _ = writeln!(w, "Open questions that could change it:\n");
        for o in &d.open_questions {
            let _ = writeln!(
                w,
                "- {}: {}",
                escape(&o.entity.name),
                escape(&o.question_text)
            );
        }
        let _ = writeln!(w);
    }
}

/// "What would change this?": the answers a decision rests on and the single changes that flip it.
fn sensitivity(w: &mut String, x: &Sensitivity) {
    if x.rests_on.is_empty() && x.flips.is_empty() {
        return;
    }
    let n = x.rests_on.len();
    let _ = write!(
        w,
        "Sensitivity: rests on {n} answer{}",
        if n == 1 { "" } else { "s" }
    );
    if x.flips.is_empty() {
        let _ = writeln!(
            w,
            "; no single answer change flips it ({} change{} tried{}).\n",
            x.tried,
            if x.tried == 1 { "" } else { "s" },
            if x.complete { "" } else { ", search cut short" }
        );
        return;
    }
    let _ = writeln!(w, ". Single changes that flip it:\n");
    // Several values of one question with the same effect read as one line: "**A**, **B** or
    // **C** instead of None of these" rather than a line each.
    let mut groups: Vec<Vec<&crate::engine::Flip>> = Vec::new();
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
    for g in groups {
        let f = g[0];
        let bold = |t: &str| format!("**{}**", escape(t));
        let either = |items: Vec<String>| match items.split_last() {
            Some((last, rest)) if !rest.is_empty() => format!("{} or {last}", rest.join(", ")),
            _ => items.join(""),
        };
        let change = match &f.change {
            Change::Add { .. } => format!(
                "adding {}",
                either(
                    g.iter()
                        .map(|x| match &x.change {
                            Change::Add { choice } => bold(choice),
                            _ => String::new(),
                        })
                        .collect()
                )
            ),
            Change::Remove { .. } => format!(
                "removing {}",
                either(
                    g.iter()
                        .map(|x| match &x.change {
                            Change::Remove { choice } => bold(choice),
                            _ => String::new(),
                        })
                        .collect()
                )
            ),
            Change::Replace => format!(
                "{} instead of {}",
                either(g.iter().map(|x| bold(&x.to)).collect()),
                escape(&f.from)
            ),
        };
        let opens = f.opens_words(escape);
        let _ = writeln!(
            w,
            "- {}, \u{201c}{}\u{201d}: {change} would make it **{}**{opens}",
            escape(&f.entity.name),
            escape(&f.question_text),
            escape(&f.outcome.to_string())
        );
    }
    if !x.complete {
        let _ = writeln!(w, "- (search cut short after {} changes)", x.tried);
    }
    let _ = writeln!(w);
}

/// The evidence plan on its own, as a Markdown checklist to track over the observation window.
pub fn evidence_checklist(s: &Session, r: &Recommendation) -> String {
    let mut out = String::new();
    let w = &mut out;
    let org = organisation(s);
    let _ = writeln!(w, "# Evidence plan: {org}\n");
    let _ = write!(w, "Recommendation: **{}**", r.verdict.label());
    for p in &r.plans {
        let _ = write!(w, "; {}", escape(&wording::plan_short(p)));
    }
    let _ = writeln!(w, ".\n");
    if r.evidence_plan.is_empty() {
        let _ = writeln!(
            w,
            "Nothing to collect: no system or identity is in scope yet."
        );
        return out;
    }
    evidence_plan(w, r);
    if !r.control_objectives.is_empty() {
        let _ = writeln!(w, "## Candidate SOC 1 control objectives\n");
        for (i, c) in r.control_objectives.iter().enumerate() {
            let _ = writeln!(w, "- **CO-{}** {}", i + 1, escape(c));
        }
        let _ = writeln!(w);
    }
    out
}

/// The evidence plan as a task list, one block per in-scope system or identity.
fn evidence_plan(w: &mut String, r: &Recommendation) {
    if r.evidence_plan.is_empty() {
        return;
    }
    let _ = writeln!(w, "## Evidence plan\n");
    // A Type 1 looks at one date; the cadences matter from the Type 2 period on.
    let when = if r
        .plans
        .iter()
        .any(|p| p.report_type == Some(ReportType::Type1))
    {
        "for the Type 1 date, and then over the Type 2 observation window"
    } else {
        "over the observation window"
    };
    let _ = writeln!(
        w,
        "What to collect {when}, how often, and the criteria{} it supports. Tick items as \
         they are produced.\n",
        if r.control_objectives.is_empty() {
            ""
        } else {
            " and candidate SOC 1 control objectives"
        }
    );
    for entry in &r.evidence_plan {
        let owner = entry
            .owner
            .as_deref()
            .map_or("unassigned".to_string(), escape);
        let heading = match entry.subject.kind {
            Scope::Engagement => "Programme-wide".to_string(),
            kind => format!("{} ({})", escape(&entry.subject.name), kind.as_str()),
        };
        let _ = writeln!(w, "### {heading}, owner: {owner}\n");
        for t in &entry.tasks {
            let mut line = format!("- [ ] {} ({})", escape(&t.title), escape(&t.cadence));
            if !t.references.is_empty() {
                let _ = write!(line, "; {}", escape(&t.references.join(", ")));
            }
            // Objectives are cited by their number in the control objectives section.
            let numbers: Vec<String> = t
                .control_objectives
                .iter()
                .filter_map(|o| r.control_objectives.iter().position(|x| x == o))
                .map(|n| format!("CO-{}", n + 1))
                .collect();
            if !numbers.is_empty() {
                let _ = write!(line, "; supports {}", numbers.join(", "));
            }
            if t.establish_first {
                line.push_str("; **establish first**: nobody could say whether it exists");
            }
            let _ = writeln!(w, "{line}");
        }
        let _ = writeln!(w);
    }
}

/// One rule that fired, with its answers. An answer already listed under an earlier rule of
/// the same decision is counted, not repeated (system rules all restate that a SOC 2 is called
/// for, with the same engagement answers).
fn firing<'d>(w: &mut String, f: &'d Firing, shown: &mut HashSet<(Scope, &'d str, &'d str)>) {
    // Criteria IDs mean something to an auditor; internal notes (domain.md, seeds) do not.
    let criteria: Vec<&str> = f
        .references
        .iter()
        .map(String::as_str)
        .filter(|r| tsc::is_valid(r))
        .collect();
    let refs = if criteria.is_empty() {
        String::new()
    } else {
        format!(" (criteria: {})", criteria.join(", "))
    };
    let _ = writeln!(w, "- {}{} `{}`", escape(&f.rationale), refs, f.rule);
    let mut repeated: Vec<&str> = Vec::new();
    let mut again = 0;
    for t in &f.triggers {
        let key = (t.entity.kind, t.entity.id.as_str(), t.question.as_str());
        if !shown.insert(key) {
            again += 1;
            if !repeated.contains(&t.entity.name.as_str()) {
                repeated.push(&t.entity.name);
            }
            continue;
        }
        let imported = t
            .source
            .as_deref()
            .map(|s| format!(" (imported from {})", escape(s)));
        let _ = writeln!(
            w,
            "  - {}: {} **{}**{}",
            escape(&t.entity.name),
            escape(&t.question_text),
            escape(&t.answer),
            imported.unwrap_or_default()
        );
    }
    if again > 0 {
        let names: Vec<String> = repeated.iter().map(|n| escape(n)).collect();
        let _ = writeln!(
            w,
            "  - and {} shown above ({})",
            if again == 1 {
                "1 answer".to_string()
            } else {
                format!("{again} answers")
            },
            names.join(", ")
        );
    }
    if !f.also.is_empty() {
        let names: Vec<String> = f.also.iter().map(|e| escape(&e.name)).collect();
        let _ = writeln!(w, "  - the same rule also fired for: {}", names.join(", "));
    }
    if !f.via_systems.is_empty() {
        let names: Vec<String> = f.via_systems.iter().map(|e| escape(&e.name)).collect();
        let _ = writeln!(w, "  - through in-scope systems: {}", names.join(", "));
    }
}

/// Every visible answer, per entity, with its note: the record of the workshop.
fn answers_appendix(w: &mut String, q: &Questionnaire, s: &Session) {
    let vis = engine::visibility(q, s);
    let _ = writeln!(w, "## Workshop answers\n");
    let mut block = |title: String, key, answers: &crate::session::Answers| {
        let shown = vis.shown(key);
        let _ = writeln!(w, "### {title}\n");
        if shown.is_empty() {
            let _ = writeln!(w, "No questions.\n");
            return;
        }
        let _ = writeln!(w, "| Question | Answer | Note |\n|---|---|---|");
        for qi in shown {
            let question = &q.questions[qi];
            let (answer, note) = match answers.get(&question.id) {
                Some(a) => {
                    let mut text = a.value.display(question);
                    if let Some(src) = &a.source {
                        text.push_str(&format!(" (imported from {src})"));
                    }
                    (text, a.note.clone().unwrap_or_default())
                }
                None => ("not answered".to_string(), String::new()),
            };
            let _ = writeln!(
                w,
                "| {} | {} | {} |",
                cell(&question.text),
                cell(&answer),
                cell(&note)
            );
        }
        let _ = writeln!(w);
    };
    use crate::questionnaire::condition::EntityKey;
    block(
        "Engagement".to_string(),
        EntityKey::Engagement,
        &s.engagement,
    );
    for (i, x) in s.systems.iter().enumerate() {
        block(
            format!("System: {}", escape(&x.name)),
            EntityKey::System(i),
            &x.answers,
        );
    }
    for (i, x) in s.identities.iter().enumerate() {
        let systems: Vec<String> = x
            .systems
            .iter()
            .filter_map(|id| s.system(id).map(|y| y.name.clone()))
            .collect();
        let title = if systems.is_empty() {
            format!("Identity: {}", escape(&x.name))
        } else {
            format!(
                "Identity: {} (can access {})",
                escape(&x.name),
                escape(&systems.join(", "))
            )
        };
        block(title, EntityKey::Identity(i), &x.answers);
    }
}

/// The plain-text summary `socscope recommend` prints (no Markdown, no control characters).
pub fn summary_text(s: &Session, r: &Recommendation) -> String {
    let mut out = String::new();
    let w = &mut out;
    let _ = writeln!(w, "Organisation: {}", sanitize(&s.workshop.organisation));
    let _ = writeln!(
        w,
        "Verdict: {}",
        wording::verdict_state(r.verdict, r.provisional)
    );
    if !r.soc2_categories.is_empty() {
        let cats: Vec<&str> = r.soc2_categories.iter().map(|c| c.label()).collect();
        let _ = writeln!(w, "SOC 2 categories: {}", cats.join(", "));
    }
    for p in &r.plans {
        let _ = writeln!(w, "{}:", sanitize(&wording::plan_short(p)));
        for st in &p.steps {
            let _ = writeln!(w, "  - {}", sanitize(&wording::step(st)));
        }
        for t in &p.waiting_for {
            let _ = writeln!(w, "  - waits for: {}", sanitize(t));
        }
    }
    if let Some(n) = &r.sox_note {
        let _ = writeln!(w, "SOX: {}", sanitize(n));
    }
    let p = r.progress;
    let _ = writeln!(
        w,
        "Progress: {}/{} answered ({} unknown)",
        p.answered, p.total, p.unknown
    );
    for c in &r.conflicts {
        let _ = writeln!(
            w,
            "CONFLICT: {} ({})",
            sanitize(&c.text),
            sanitize(&c.subject.name)
        );
        for t in &c.answers {
            let _ = writeln!(
                w,
                "  {}: {} = {}",
                sanitize(&t.entity.name),
                sanitize(&t.question_text),
                sanitize(&t.answer)
            );
        }
    }
    for f in &r.findings {
        let _ = writeln!(w, "Finding: {}", sanitize(&f.text));
    }
    for n in &r.notes {
        let _ = writeln!(w, "Note: {}", sanitize(&n.text));
    }
    for x in &r.subservices {
        let _ = writeln!(
            w,
            "{}: {}",
            sanitize(&x.system.name),
            sanitize(&wording::subservice_line(x))
        );
    }
    if r.verdict != crate::engine::Verdict::None {
        for c in &r.cuecs {
            let _ = writeln!(w, "Customers' control (CUEC): {}", sanitize(&c.text));
        }
    }
    for f in &r.frameworks {
        let _ = writeln!(
            w,
            "Related framework: {}: {}",
            sanitize(f.framework.as_deref().unwrap_or_default()),
            sanitize(&f.text)
        );
    }
    let _ = writeln!(w);
    for d in r.all_decisions() {
        let _ = writeln!(
            w,
            "{}: {}",
            sanitize(&d.title()),
            sanitize(&wording::outcome_state(d))
        );
        for f in &d.rationale {
            let _ = writeln!(w, "  because [{}] {}", f.rule, sanitize(&f.rationale));
            for t in &f.triggers {
                let _ = writeln!(
                    w,
                    "    {}: {} = {}",
                    sanitize(&t.entity.name),
                    sanitize(&t.question_text),
                    sanitize(&t.answer)
                );
            }
        }
        for x in &d.exclusions {
            for f in &x.because {
                let _ = writeln!(
                    w,
                    "  {} [{}] {}",
                    wording::excluded(&x.what),
                    f.rule,
                    sanitize(&f.rationale)
                );
            }
        }
        for o in &d.open_questions {
            let _ = writeln!(
                w,
                "  open: {}: {}",
                sanitize(&o.entity.name),
                sanitize(&o.question_text)
            );
        }
    }
    for (name, gaps) in r
        .systems
        .iter()
        .map(|x| (&x.name, &x.gaps))
        .chain(r.identities.iter().map(|x| (&x.name, &x.gaps)))
        .filter(|(_, g)| !g.is_empty())
    {
        let _ = writeln!(w, "Evidence for {}:", sanitize(name));
        for g in gaps {
            let _ = writeln!(w, "  - {} [{}]", sanitize(&wording::gap(g)), g.id);
        }
    }
    out
}
