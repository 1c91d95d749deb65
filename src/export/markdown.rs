//! Markdown export: the scoping memo (CommonMark, renders on GitHub) and the evidence checklist.
//!
//! Every piece of user-entered text goes through [`escape`] (or [`cell`] in tables), so names,
//! answers and notes cannot break a table, start a list, form a link or inject HTML.

use std::fmt::Write;

use crate::engine::{self, Decision, DecisionId, GapStatus, Recommendation, Sensitivity};
use crate::export::mermaid;
use crate::questionnaire::{Questionnaire, ReportType, Scope};
use crate::report::{memo, notes, wording};
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
pub(crate) fn escape(s: &str) -> String {
    // What `sanitize` then the escaping would give, in one pass and one allocation (the memo
    // of a large inventory escapes millions of short texts).
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '\n' | '\t' | '\r' => out.push(' '),
            c if crate::text::is_unsafe(c) => {}
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '|' | '#' | '~' | '&' | '!' => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out.truncate(out.trim_end().len());
    let lead = out.len() - out.trim_start().len();
    out.drain(..lead);
    out
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

/// The scoping memo for auditors and stakeholders: page one, the picture of the boundary, each
/// decision in detail, then the inventory, evidence and the record of the workshop; rule ids
/// only in the appendix.
pub fn render(q: &Questionnaire, s: &Session, r: &Recommendation) -> String {
    let mut out = String::new();
    write_render(q, s, r, &mut out);
    out
}

/// [`render`], written to `w` as it is made: each decision's view is built, written and
/// dropped. A writer that fails keeps its error (`fmt::Write` has no room for it).
pub fn write_render(q: &Questionnaire, s: &Session, r: &Recommendation, w: &mut dyn Write) {
    write_render_in(q, s, r, &engine::Evaluation::new(q, s), w);
}

/// [`write_render`] with the evaluation `r` was built from (`engine::recommend_with_evaluation`
/// of this same session), so that it is not evaluated again.
pub fn write_render_in(
    q: &Questionnaire,
    s: &Session,
    r: &Recommendation,
    ev: &engine::Evaluation,
    w: &mut dyn Write,
) {
    let m = memo::build(q, s, r);
    let _ = writeln!(w, "# SOC scoping memo: {}\n", organisation(s));
    let _ = writeln!(w, "{}\n", escape(&m.workshop));
    page_one(w, &m);
    boundary(w, s, r);

    let _ = writeln!(w, "## Decisions in detail\n");
    let sens = engine::sensitivities_in(q, s, ev, r);
    let sens: std::collections::HashMap<&DecisionId, &Sensitivity> =
        sens.iter().map(|x| (&x.decision, x)).collect();
    // The appendix's rows, made while each view is at hand.
    let mut rule_rows = Vec::new();
    let mut noted = Noted::default();
    for v in memo::each_decision_view(q, s, r) {
        decision(w, &v, &mut noted);
        if let Some(x) = sens.get(&v.id) {
            sensitivity(w, x);
        }
        rule_rows.extend(appendix_row(&v));
    }
    drop(sens);
    plans(w, r);
    findings(w, s, r, &mut noted);

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
            let place = format!("Evidence: {}", x.name);
            let _ = writeln!(w, "### {}\n", escape(&place));
            gap_list(w, s, &x.gaps, &mut noted, &place);
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
            let place = format!("Evidence gaps: {}", x.name);
            let _ = writeln!(w, "### {}\n", escape(&place));
            gap_list(w, s, &x.gaps, &mut noted, &place);
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
            let _ = writeln!(w, "- **{}** {}", wording::objective_id(i + 1), escape(c));
        }
        let _ = writeln!(w);
    }

    evidence_plan(w, s, r);

    let _ = writeln!(w, "## Open questions\n");
    if r.open_questions.is_empty() {
        let _ = writeln!(w, "None: every decision is settled.\n");
    } else {
        let cuec_of: std::collections::HashMap<&crate::engine::OpenQuestion, &str> = r
            .open_cuecs
            .iter()
            .map(|c| (&c.question, c.cuec.as_str()))
            .collect();
        for o in &r.open_questions {
            let note = notes::of(s, &o.entity, &o.question).map(|n| {
                noted.say(
                    format!("{}: {}", o.entity.name, o.question_text),
                    n,
                    "Open questions",
                )
            });
            let _ = writeln!(
                w,
                "- {}: {}{}",
                escape(&o.entity.name),
                escape(&wording::with_note(&o.question_text, note.as_deref())),
                cuec_of
                    .get(o)
                    .map(|c| format!(" {}", escape(&wording::could_add_cuec(c))))
                    .unwrap_or_default()
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

    workshop_table(w, s, r);
    appendix(w, q, s, &rule_rows);

    let _ = writeln!(
        w,
        "---\n\nGenerated by socscope {} from the session updated {}.",
        env!("CARGO_PKG_VERSION"),
        s.updated.format("%Y-%m-%d %H:%M UTC")
    );
}

/// Confirmed gaps, then evidence nobody could vouch for, each with the evidence it needs.
fn gap_list(
    w: &mut dyn Write,
    s: &Session,
    gaps: &[crate::engine::Gap],
    noted: &mut Noted,
    place: &str,
) {
    for g in gaps {
        let _ = writeln!(w, "- **{}**", escape(&wording::gap(g)));
        for o in &g.unknown {
            let note = notes::of(s, &o.entity, &o.question)
                .map(|n| noted.say(format!("{}: {}", o.entity.name, o.question_text), n, place));
            let _ = writeln!(
                w,
                "  - Unknown: {}",
                escape(&wording::with_note(&o.question_text, note.as_deref()))
            );
        }
        for e in &g.evidence {
            let _ = writeln!(w, "  - Evidence: {}", escape(e));
        }
    }
    let _ = writeln!(w);
}

/// Each report's Type and dated plan.
fn plans(w: &mut dyn Write, r: &Recommendation) {
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
        if !p.scenarios.is_empty() {
            let _ = writeln!(
                w,
                "- {}",
                if p.report_type.is_none() {
                    "The Type rests on open answers; the plan in each case:"
                } else {
                    "Open answers could still change the Type; the plan in each case:"
                }
            );
            for sc in &p.scenarios {
                let _ = writeln!(
                    w,
                    "  - {}: {}",
                    escape(&wording::scenario_when(&sc.when)),
                    wording::report_type(Some(sc.report_type))
                );
                // What every case shares is listed once, above.
                for st in sc.steps.iter().filter(|st| !p.steps.contains(st)) {
                    let _ = writeln!(w, "    - {}", escape(&wording::step(st)));
                }
            }
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
fn boundary_notes(w: &mut dyn Write, r: &Recommendation) {
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
fn findings(w: &mut dyn Write, s: &Session, r: &Recommendation, noted: &mut Noted) {
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
                    "  - {}: {} **{}**{}",
                    escape(&t.entity.name),
                    escape(&t.question_text),
                    escape(&t.answer),
                    note_after(s, t, noted, "Conflicting answers")
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
                    "  - {}: {} **{}**{}",
                    escape(&t.entity.name),
                    escape(&t.question_text),
                    escape(&t.answer),
                    note_after(s, t, noted, "Findings")
                );
            }
        }
        let _ = writeln!(w);
    }
    if !r.notes.is_empty() {
        let _ = writeln!(w, "## Notes\n");
        for n in &r.notes {
            let _ = writeln!(w, "- {}", escape(&wording::finding(n)));
        }
        let _ = writeln!(w);
    }
}

/// " (note: ...)" after an answer that has one, escaped; nothing otherwise.
fn note_after(s: &Session, t: &crate::engine::Trigger, noted: &mut Noted, place: &str) -> String {
    notes::of(s, &t.entity, &t.question)
        .map(|n| {
            let key = format!("{}: {}", t.entity.name, t.question_text);
            format!(" (note: {})", escape(&noted.say(key, n, place)))
        })
        .unwrap_or_default()
}

/// Each answer's note is given once in the memo, where it is first cited; later places refer
/// back to it (Relaymint audit, round three: S1's Markdown gave some notes six times). Keyed
/// by entity and question as the memo names them. The Workshop answers keep every note.
#[derive(Default)]
struct Noted {
    first: std::collections::HashMap<String, String>,
}

impl Noted {
    /// Where the note of `key` was given, or `None` the first time (`place` is then kept).
    fn first_place(&mut self, key: String, place: &str) -> Option<&str> {
        match self.first.entry(key) {
            std::collections::hash_map::Entry::Occupied(e) => Some(e.into_mut().as_str()),
            std::collections::hash_map::Entry::Vacant(e) => {
                e.insert(place.to_string());
                None
            }
        }
    }

    /// What to print for the note of `key` at `place`: the note the first time, then where it is.
    fn say(&mut self, key: String, note: &str, place: &str) -> String {
        match self.first_place(key, place) {
            Some(at) => wording::note_see_at(at),
            None => note.to_string(),
        }
    }
}

/// One decision's detail: reasons once each, the answers behind it grouped by entity, every
/// "no" with its reason, and what could still change it.
fn decision(w: &mut dyn Write, v: &memo::DecisionView, noted: &mut Noted) {
    let _ = writeln!(w, "### {}: {}\n", escape(&v.title), escape(&v.outcome));
    if v.provisional {
        let _ = writeln!(
            w,
            "*Provisional: open questions below could change this.*\n"
        );
    }
    if v.reasons.is_empty() && v.exclusions.is_empty() {
        let _ = writeln!(w, "No rule has decided it yet.\n");
    } else if !v.reasons.is_empty() {
        let _ = writeln!(w, "Why:\n");
        for r in &v.reasons {
            reason(w, r);
        }
        let _ = writeln!(w);
    }
    for x in &v.exclusions {
        let _ = writeln!(w, "{}, because:\n", escape(&x.what));
        for r in &x.because {
            reason(w, r);
        }
        let _ = writeln!(w);
    }
    if !v.answers.is_empty() {
        let _ = writeln!(w, "The answers behind it:\n");
        for g in &v.answers {
            let _ = writeln!(w, "- {}:", escape(&g.entity));
            for a in &g.answers {
                let from = a
                    .source
                    .as_deref()
                    .map(|s| format!(" (imported from {})", escape(s)))
                    .unwrap_or_default();
                // The note in full where first cited; after that, where it is.
                let (full, again) = match &a.note {
                    Some(n) => match noted
                        .first_place(format!("{}: {}", g.entity, a.question), &v.title)
                    {
                        None => (Some(n.as_str()), String::new()),
                        Some(at) => (None, format!(" ({})", escape(&wording::note_given_at(at)))),
                    },
                    None => (None, String::new()),
                };
                let _ = writeln!(
                    w,
                    "  - {} **{}**{from}{again}",
                    escape(&a.question),
                    escape(&a.answer)
                );
                if let Some(n) = full {
                    let _ = writeln!(w, "    - Note: {}", escape(n));
                }
            }
        }
        if v.more_answers > 0 {
            let _ = writeln!(w, "- and {} more (see Workshop answers)", v.more_answers);
        }
        let _ = writeln!(w);
    }
    if v.conflicted {
        let _ = writeln!(
            w,
            "*Kept provisional by conflicting answers (see Conflicting answers).*\n"
        );
    }
    if !v.open_questions.is_empty() {
        let _ = writeln!(w, "Open questions that could change it:\n");
        for o in &v.open_questions {
            let note = o
                .note
                .as_deref()
                .map(|n| noted.say(o.text.clone(), n, &v.title));
            let _ = writeln!(
                w,
                "- {}",
                escape(&wording::with_note(&o.text, note.as_deref()))
            );
        }
        let _ = writeln!(w);
    }
}

/// One reason: the rationale, for whom it holds, and the criteria.
fn reason(w: &mut dyn Write, r: &memo::Reason) {
    let mut line = format!("- {}", escape(&r.text));
    if !r.applies_to.is_empty() {
        let _ = write!(line, " *For: {}.*", escape(&r.applies_to));
    }
    if !r.through.is_empty() {
        let _ = write!(line, " *Through: {}.*", escape(&r.through));
    }
    if !r.criteria.is_empty() {
        let _ = write!(line, " (criteria: {})", r.criteria.join(", "));
    }
    let _ = writeln!(w, "{line}");
}

/// Page one: what a client executive and an auditor read first.
fn page_one(w: &mut dyn Write, m: &memo::Memo) {
    let _ = writeln!(w, "## Page one\n");
    let _ = writeln!(w, "**Recommendation: {}.** {}\n", m.headline, m.standing);
    if !m.reports.is_empty() {
        let _ = writeln!(
            w,
            "| Report | Type | Dated period | Why this report | Why this Type |\n|---|---|---|---|---|"
        );
        for x in &m.reports {
            let label = if x.settled {
                x.label.clone()
            } else {
                format!("{} (possible)", x.label)
            };
            let _ = writeln!(
                w,
                "| {} | {} | {} | {} | {} |",
                cell(&label),
                cell(&wording::with_state(&x.report_type, x.provisional)),
                cell(&x.period),
                cell(&x.why),
                cell(&x.why_type)
            );
        }
        let _ = writeln!(w);
    }
    if !m.categories.is_empty() {
        let _ = writeln!(w, "| SOC 2 category | Outcome | Reason |\n|---|---|---|");
        for x in &m.categories {
            let _ = writeln!(
                w,
                "| {} | {} | {} |",
                cell(&x.label),
                cell(&x.state),
                cell(&x.reason)
            );
        }
        let _ = writeln!(w);
    }
    if !m.exclusions.is_empty() {
        let _ = writeln!(w, "**Not recommended:**\n");
        for x in &m.exclusions {
            let _ = writeln!(w, "- {}", escape(x));
        }
        let _ = writeln!(w);
    }
    let _ = writeln!(
        w,
        "**{}**\n",
        escape(&wording::memo_system_counts(&m.systems))
    );
    if !m.in_scope_systems.is_empty() {
        let _ = writeln!(w, "| In-scope system | Reports | Why |\n|---|---|---|");
        for x in &m.in_scope_systems {
            let _ = writeln!(
                w,
                "| {} | {} | {} |",
                cell(&x.name),
                cell(&wording::with_state(&x.reports, x.provisional)),
                cell(&x.why)
            );
        }
        if m.systems.in_scope > m.in_scope_systems.len() {
            let _ = writeln!(
                w,
                "| and {} more | | listed under Systems |",
                m.systems.in_scope - m.in_scope_systems.len()
            );
        }
        let _ = writeln!(w);
    }
    if !m.subservices.is_empty() {
        let _ = writeln!(
            w,
            "| Subservice organisation | Method | Our systems on it | Report needed | Held |\n|---|---|---|---|---|"
        );
        for x in &m.subservices {
            let _ = writeln!(
                w,
                "| {} | {} | {} | {} | {} |",
                cell(&x.name),
                wording::method(x.method),
                cell(&wording::memo_serves(&x.hosts, &x.used_by)),
                cell(&x.needs),
                cell(&x.holds)
            );
        }
        let _ = writeln!(w);
    }
    let _ = writeln!(
        w,
        "**{}**\n",
        escape(&wording::memo_identity_counts(&m.identities))
    );
    if !m.identities.top_gaps.is_empty() {
        for x in &m.identities.top_gaps {
            let _ = writeln!(w, "- {}", escape(x));
        }
        if m.identities.more_gaps > 0 {
            let _ = writeln!(
                w,
                "- {}",
                escape(&wording::memo_more_gaps(m.identities.more_gaps))
            );
        }
        let _ = writeln!(w);
    }
    if !m.cuecs.is_empty() {
        let _ = writeln!(w, "**{}:**\n", escape(&wording::memo_cuecs(m.cuecs.len())));
        for x in &m.cuecs {
            let _ = writeln!(w, "- {}", escape(x));
        }
        let _ = writeln!(w);
    }
    let mut list = |title: &str, items: &[String]| {
        if items.is_empty() {
            return;
        }
        let _ = writeln!(w, "**{title}:**\n");
        for x in items {
            let _ = writeln!(w, "- {}", escape(x));
        }
        let _ = writeln!(w);
    };
    list("Conflicting answers", &m.conflicts);
    list("Findings", &m.findings);
    let mut deciding = m.deciding.clone();
    if m.more_open > 0 {
        deciding.push(format!("and {} more (see Open questions)", m.more_open));
    }
    list("Open questions that decide the most", &deciding);
    list("Related frameworks", &m.frameworks);
    if !m.next_steps.is_empty() {
        let _ = writeln!(w, "**Next steps:**\n");
        for (i, x) in m.next_steps.iter().enumerate() {
            let owner = x
                .owner
                .as_deref()
                .map(|o| format!(" *{}*", escape(&wording::memo_owner(o))))
                .unwrap_or_default();
            let _ = writeln!(w, "{}. {}{owner}", i + 1, escape(&x.text));
        }
        let _ = writeln!(w);
    }
}

/// The picture of the boundary, with a sentence when it summarises.
fn boundary(w: &mut dyn Write, s: &Session, r: &Recommendation) {
    let d = mermaid::boundary(s, r);
    let _ = writeln!(w, "## The boundary\n");
    let _ = writeln!(
        w,
        "Inside the boundary: the systems in scope (SOC 1, SOC 2 or both). Outside it: \
         carved-out subservice organisations, whose own reports we rely on. Identities point at \
         what they reach.\n"
    );
    let _ = writeln!(w, "```mermaid\n{}```\n", d.text);
    if let Some(x) = d.summary {
        let _ = writeln!(w, "{}\n", escape(&x));
    }
}

/// Who was in the room and where the workshop stands.
fn workshop_table(w: &mut dyn Write, s: &Session, r: &Recommendation) {
    let _ = writeln!(w, "## About this workshop\n");
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
    let _ = writeln!(w, "| Progress | {} |\n", wording::progress(r.progress));
}

/// Rule ids and the questionnaire behind each decision, for whoever checks the reasoning.
fn appendix(w: &mut dyn Write, q: &Questionnaire, s: &Session, rows: &[String]) {
    let _ = writeln!(w, "## Appendix: rules and references\n");
    let _ = writeln!(
        w,
        "The rules of questionnaire {} v{}{} that decided each decision, with the criteria \
         they cite.\n",
        escape(&q.id),
        escape(&q.version),
        match s.questionnaire.hash.get(..12) {
            Some(h) => format!(" (fingerprint {})", escape(h)),
            None => String::new(),
        }
    );
    let _ = writeln!(w, "| Decision | Rules | Criteria |\n|---|---|---|");
    for row in rows {
        let _ = writeln!(w, "{row}");
    }
    let _ = writeln!(w);
}

/// A decision's row of the appendix: its rules and the criteria they cite (none without rules).
fn appendix_row(v: &memo::DecisionView) -> Option<String> {
    let mut rules: Vec<&str> = Vec::new();
    let mut criteria: Vec<&str> = Vec::new();
    for r in v
        .reasons
        .iter()
        .chain(v.exclusions.iter().flat_map(|x| &x.because))
    {
        if !rules.contains(&r.rule.as_str()) {
            rules.push(&r.rule);
        }
        for c in &r.criteria {
            if !criteria.contains(&c.as_str()) {
                criteria.push(c);
            }
        }
    }
    if rules.is_empty() {
        return None;
    }
    let ids: Vec<String> = rules
        .iter()
        .map(|r| format!("`{}`", sanitize(r).replace('`', "'")))
        .collect();
    Some(format!(
        "| {} | {} | {} |",
        cell(&v.title),
        ids.join(", "),
        cell(&criteria.join(", "))
    ))
}

/// "What would change this?": the answers a decision rests on and the single changes that flip it.
fn sensitivity(w: &mut dyn Write, x: &Sensitivity) {
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
    for g in wording::flip_groups(&x.flips) {
        let f = g[0];
        let change = wording::group_change(&g, |t| format!("**{}**", escape(t)), escape);
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
    write_evidence_checklist(s, r, &mut out);
    out
}

/// [`evidence_checklist`], written to `w` as it is made.
pub fn write_evidence_checklist(s: &Session, r: &Recommendation, w: &mut dyn Write) {
    let org = organisation(s);
    let _ = writeln!(w, "# Evidence plan: {org}\n");
    let _ = write!(w, "Recommendation: **{}**", r.verdict.label());
    for p in &r.plans {
        let _ = write!(w, "; {}", escape(&wording::plan_short(p)));
    }
    let _ = writeln!(w, ".\n");
    if r.evidence_plan.is_empty() {
        let _ = writeln!(w, "{}", wording::NOTHING_TO_COLLECT);
        return;
    }
    evidence_plan(w, s, r);
    if !r.control_objectives.is_empty() {
        let _ = writeln!(w, "## Candidate SOC 1 control objectives\n");
        for (i, c) in r.control_objectives.iter().enumerate() {
            let _ = writeln!(w, "- **{}** {}", wording::objective_id(i + 1), escape(c));
        }
        let _ = writeln!(w);
    }
}

/// The evidence plan as a task list, one block per in-scope system or identity.
fn evidence_plan(w: &mut dyn Write, s: &Session, r: &Recommendation) {
    if r.evidence_plan.is_empty() {
        return;
    }
    // The gaps of each entity, to find the note behind a task nobody could vouch for.
    let gaps: std::collections::HashMap<(Scope, &str), &[crate::engine::Gap]> = r
        .systems
        .iter()
        .map(|x| ((Scope::System, x.id.as_str()), x.gaps.as_slice()))
        .chain(
            r.identities
                .iter()
                .map(|x| ((Scope::Identity, x.id.as_str()), x.gaps.as_slice())),
        )
        .collect();
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
            let numbers: Vec<String> = wording::objective_numbers(r, &t.control_objectives)
                .map(wording::objective_id)
                .collect();
            if !numbers.is_empty() {
                let _ = write!(line, "; supports {}", numbers.join(", "));
            }
            if t.establish_first {
                let noted = gaps
                    .get(&(entry.subject.kind, entry.subject.id.as_str()))
                    .into_iter()
                    .flat_map(|g| g.iter())
                    .filter(|g| g.rule == t.rule)
                    .flat_map(|g| &g.unknown)
                    .find_map(|o| {
                        notes::of(s, &o.entity, &o.question)
                            .map(|n| wording::establish_first_noted(&o.question_text, n))
                    });
                let why = noted.unwrap_or_else(|| wording::ESTABLISH_FIRST.to_string());
                let _ = write!(line, "; **establish first**: {}", escape(&why));
            }
            let _ = writeln!(w, "{line}");
        }
        let _ = writeln!(w);
    }
}

/// Every visible answer, per entity, with its note: the record of the workshop.
fn answers_appendix(w: &mut dyn Write, q: &Questionnaire, s: &Session) {
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

#[cfg(test)]
mod tests {
    proptest::proptest! {
        /// The one-pass escape is the sanitised text with every Markdown character escaped,
        /// trimmed: what the memo relied on before it was made one pass.
        #[test]
        fn escape_is_sanitize_then_escape_then_trim(
            text in "[a-z \\\\`*_\\[\\]<>|#~&!\n\t\r\u{0}-\u{1f}\u{7f}-\u{9f}\u{200b}-\u{202e}\u{3000}é]{0,40}",
        ) {
            let mut want = String::new();
            for c in super::sanitize(&text).chars() {
                if "\\`*_[]<>|#~&!".contains(c) {
                    want.push('\\');
                }
                want.push(c);
            }
            proptest::prop_assert_eq!(super::escape(&text), want.trim());
        }
    }
}
