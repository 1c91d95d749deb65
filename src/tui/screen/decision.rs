//! One decision's rationale (the drill-down): why, its evidence, the open questions that could
//! change it and what would change it; Enter on a `↵` line jumps to that question.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::{Block, Paragraph, Wrap};

use crate::engine::{Decision, DecisionId, EntityRef, Recommendation, Sensitivity};
use crate::questionnaire::{Questionnaire, Scope};
use crate::report::{memo, wording};
use crate::session::{EntityId, Value};
use crate::tui::action::Action;
use crate::tui::app::{App, HitList, Screen};
use crate::tui::keymap::Cmd;
use crate::tui::list::{self, Look, Mode, Window};
use crate::tui::screen::jump_to_change;
use crate::tui::update::Effect;
use crate::tui::widgets::{clean, marker, truncate, wrap_hanging};
use crate::tui::work::entity_of;

#[derive(Default)]
pub(crate) struct DecisionState {
    /// The lines, scrolled; the cursor is the highlighted `↵` line.
    pub(crate) window: Window,
    /// The question the drill-down jumped to, so coming back focuses the same line.
    pub(crate) target: Option<(EntityId, String)>,
    /// The decision's outcome when the drill-down jumped, to say on return what changed.
    pub(crate) outcome: Option<String>,
    /// Every report-level decision's (title, outcome) when the drill-down jumped: on return,
    /// the others that changed are named too.
    pub(crate) report_before: Vec<(String, String)>,
}

impl App {
    pub(crate) fn decision(&self, id: &str) -> Option<&Decision> {
        self.work
            .as_ref()?
            .rec(&self.q)
            .decision(&DecisionId::parse(id)?)
    }

    /// The drill-down lines of a decision (with its sensitivity when computed).
    pub(crate) fn detail_lines(&self, id: &str) -> Vec<DetailLine> {
        let Some(w) = &self.work else {
            return Vec::new();
        };
        match DecisionId::parse(id).and_then(|d| w.rec(&self.q).decision(&d)) {
            Some(d) => decision_lines(
                &self.q,
                &w.session,
                w.rec(&self.q),
                d,
                w.cached_sensitivity(id),
            ),
            None => Vec::new(),
        }
    }
}

/// Opens a decision's drill-down, on its first `↵` line.
pub(crate) fn open(app: &mut App, id: String) {
    if let Some(w) = app.work.as_mut() {
        w.ensure_sensitivity(&app.q, &id);
    }
    let d = app.detail_lines(&id);
    app.decision.window = Window::default();
    app.decision.window.cursor = d.iter().position(|l| l.jump.is_some()).unwrap_or(0);
    app.decision.target = None;
    app.stack.push(Screen::Decision(id));
}

/// One line of a decision's drill-down; lines with a `jump` can be selected.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct DetailLine {
    pub(crate) text: String,
    pub(crate) indent: u16,
    pub(crate) style: LineStyle,
    pub(crate) jump: Option<(EntityId, String)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LineStyle {
    Heading,
    Rule,
    Plain,
    Trigger,
    Open,
    /// An evidence gap of an identity.
    Gap,
    /// A single answer change that would flip the decision.
    Flip,
}

/// "1 answer", "3 answers".
fn plural(n: usize, noun: &str) -> String {
    format!("{n} {noun}{}", if n == 1 { "" } else { "s" })
}

/// Whose answer a line shows: "Engagement: ", "Payroll engine: " (as the export writes it).
fn who(e: &EntityRef) -> String {
    format!("{}: ", e.name)
}

/// The drill-down of one decision: its rationale, the gaps of an identity, the open questions,
/// and (when computed) what would change it.
pub(crate) fn decision_lines(
    q: &Questionnaire,
    s: &crate::session::Session,
    r: &Recommendation,
    d: &Decision,
    sens: Option<&Sensitivity>,
) -> Vec<DetailLine> {
    let line = |text: String, indent, style, jump| DetailLine {
        text,
        indent,
        style,
        jump,
    };
    let mut out = vec![line(
        format!("{}: {}", d.title(), wording::outcome_state(d)),
        0,
        LineStyle::Heading,
        None,
    )];
    // Conflicting answers first: they are what to settle while people are in the room.
    for &n in &d.conflicts {
        let Some(c) = r.conflicts.get(n) else {
            continue;
        };
        out.push(line(
            format!("Conflict: {}", c.text),
            0,
            LineStyle::Gap,
            None,
        ));
        for t in &c.answers {
            out.push(line(
                format!("{}{} → {}", who(&t.entity), t.question_text, t.answer),
                2,
                LineStyle::Trigger,
                Some((entity_of(&t.entity), t.question.to_string())),
            ));
        }
    }
    // Worded from the model the Markdown and plain mode read: each reason once, the answers
    // behind it once each, grouped by the entity that gave them; no rule ids.
    let v = memo::decision_view(q, s, r, d);
    if v.reasons.is_empty() && v.exclusions.is_empty() {
        out.push(line(
            "No rule has fired for this decision yet.".into(),
            0,
            LineStyle::Plain,
            None,
        ));
    }
    let reason_lines = |out: &mut Vec<DetailLine>, r: &memo::Reason| {
        let mut text = format!("• {}", r.text);
        if !r.applies_to.is_empty() {
            text.push_str(&format!(" (for {})", r.applies_to));
        }
        if !r.through.is_empty() {
            text.push_str(&format!(" (through {})", r.through));
        }
        out.push(line(text, 1, LineStyle::Rule, None));
        if !r.criteria.is_empty() {
            out.push(line(
                format!("criteria: {}", r.criteria.join(", ")),
                3,
                LineStyle::Plain,
                None,
            ));
        }
    };
    if !v.reasons.is_empty() {
        out.push(line("Because:".into(), 0, LineStyle::Heading, None));
        for r in &v.reasons {
            reason_lines(&mut out, r);
        }
    }
    for x in &v.exclusions {
        out.push(line(
            format!("{}, because:", x.what),
            0,
            LineStyle::Heading,
            None,
        ));
        for r in &x.because {
            reason_lines(&mut out, r);
        }
    }
    if !v.answers.is_empty() {
        out.push(line(
            "The answers behind it:".into(),
            0,
            LineStyle::Heading,
            None,
        ));
        for g in &v.answers {
            out.push(line(format!("{}:", g.entity), 1, LineStyle::Plain, None));
            for a in &g.answers {
                out.push(line(
                    format!("{} → {}", a.question, a.answer),
                    2,
                    LineStyle::Trigger,
                    Some((entity_of(&g.entity_ref), a.question_id.clone())),
                ));
                // The note beside the answer: who said what, or why nobody knew.
                if let Some(n) = &a.note {
                    out.push(line(format!("note: {n}"), 4, LineStyle::Plain, None));
                }
            }
        }
        if v.more_answers > 0 {
            out.push(line(
                format!("and {} more", v.more_answers),
                2,
                LineStyle::Plain,
                None,
            ));
        }
    }
    if v.conflicted {
        out.push(line(
            wording::memo_kept_provisional().into(),
            0,
            LineStyle::Gap,
            None,
        ));
    }
    // A report's Type comes with its dated plan, worded as the exports word it.
    if let DecisionId::Type(report) = &d.id
        && let Some(p) = r.plans.iter().find(|p| p.report == *report)
    {
        out.push(line(
            format!("Plan: {}", wording::plan_short(p)),
            0,
            LineStyle::Heading,
            None,
        ));
        for st in &p.steps {
            out.push(line(
                format!("• {}", wording::step(st)),
                1,
                LineStyle::Plain,
                None,
            ));
        }
        if !p.waiting_for.is_empty() {
            out.push(line(
                "The dates also wait for:".into(),
                1,
                LineStyle::Plain,
                None,
            ));
            for t in &p.waiting_for {
                out.push(line(t.clone(), 3, LineStyle::Open, None));
            }
        }
    }
    let gaps = match &d.id {
        DecisionId::Identity(id) => r.identities.iter().find(|i| &i.id == id).map(|i| &i.gaps),
        DecisionId::System(id) => r.systems.iter().find(|x| &x.id == id).map(|x| &x.gaps),
        _ => None,
    };
    if let Some(gaps) = gaps.filter(|g| !g.is_empty()) {
        let confirmed = gaps
            .iter()
            .filter(|g| g.status == crate::engine::GapStatus::Confirmed)
            .count();
        out.push(line(
            format!(
                "Evidence: {}:",
                wording::gap_counts(confirmed, gaps.len() - confirmed)
            ),
            0,
            LineStyle::Heading,
            None,
        ));
        for g in gaps {
            let mark = match g.status {
                crate::engine::GapStatus::Confirmed => "!",
                crate::engine::GapStatus::Unverified => "?",
            };
            out.push(line(
                format!("{mark} {}", wording::gap(g)),
                1,
                LineStyle::Gap,
                None,
            ));
            for o in &g.unknown {
                out.push(line(
                    format!("unknown: {}", o.question_text),
                    3,
                    LineStyle::Open,
                    (!o.question.is_empty())
                        .then(|| (entity_of(&o.entity), o.question.to_string())),
                ));
                if let Some(n) = crate::report::notes::of(s, &o.entity, &o.question) {
                    out.push(line(format!("note: {n}"), 5, LineStyle::Plain, None));
                }
            }
            if !g.evidence.is_empty() {
                out.push(line(
                    format!("evidence: {}", g.evidence.join("; ")),
                    3,
                    LineStyle::Plain,
                    None,
                ));
            }
        }
    }
    if !v.open_questions.is_empty() {
        out.push(line(
            "Open questions that could change it:".into(),
            0,
            LineStyle::Heading,
            None,
        ));
        // The view words them in the decision's order: the same question is jumped to.
        for (open, o) in v.open_questions.iter().zip(&d.open_questions) {
            let jump =
                (!o.question.is_empty()).then(|| (entity_of(&o.entity), o.question.to_string()));
            out.push(line(format!("? {}", open.text), 1, LineStyle::Open, jump));
            if let Some(n) = &open.note {
                out.push(line(format!("note: {n}"), 3, LineStyle::Plain, None));
            }
        }
    }
    if let Some(s) = sens {
        out.push(line(
            "What would change this?".into(),
            0,
            LineStyle::Heading,
            None,
        ));
        // The answers it rests on are listed above, under the answers behind it: only those
        // not there are listed again.
        let above: std::collections::HashSet<(Scope, &str, &str)> = v
            .answers
            .iter()
            .flat_map(|g| {
                g.answers.iter().map(move |a| {
                    (
                        g.entity_ref.kind,
                        g.entity_ref.id.as_str(),
                        a.question_id.as_str(),
                    )
                })
            })
            .collect();
        let rest: Vec<_> = s
            .rests_on
            .iter()
            .filter(|t| {
                !above.contains(&(t.entity.kind, t.entity.id.as_str(), t.question.as_str()))
            })
            .collect();
        let listed = s.rests_on.len() - rest.len();
        out.push(line(
            format!(
                "It {}{}",
                wording::rests_on(s.rests_on.len()),
                match (listed, rest.is_empty()) {
                    (0, true) => ".".to_string(),
                    (0, false) => ":".to_string(),
                    (_, true) => ", listed above.".to_string(),
                    (n, false) => format!(" ({n} listed above):"),
                }
            ),
            1,
            LineStyle::Plain,
            None,
        ));
        for t in rest {
            out.push(line(
                format!("{}{} → {}", who(&t.entity), t.question_text, t.answer),
                2,
                LineStyle::Trigger,
                Some((entity_of(&t.entity), t.question.to_string())),
            ));
        }
        if s.flips.is_empty() {
            out.push(line(
                format!(
                    "No single answer change flips it ({} tried{}).",
                    plural(s.tried, "change"),
                    if s.complete { "" } else { ", search cut short" }
                ),
                1,
                LineStyle::Plain,
                None,
            ));
        } else {
            out.push(line(
                format!(
                    "Single answer changes that flip it{}:",
                    if s.complete {
                        String::new()
                    } else {
                        format!(" (first {} changes tried)", s.tried)
                    }
                ),
                1,
                LineStyle::Plain,
                None,
            ));
        }
        for f in &s.flips {
            out.push(line(
                format!(
                    "{}{}: {}",
                    who(&f.entity),
                    f.question_text,
                    wording::flip_sentence(f, |t| t.to_string(), |t| t.to_string())
                ),
                2,
                LineStyle::Flip,
                Some((entity_of(&f.entity), f.question.clone())),
            ));
        }
    }
    out
}

/// Back on a drill-down after a jump: the same line again if it is still there (an answer
/// change can add or remove lines above it), else the first line with the same question.
pub(crate) fn refocus(app: &mut App, id: &str) {
    let lines = app.detail_lines(id);
    let Some(target) = app.decision.target.clone() else {
        return;
    };
    let same = |i: usize| lines.get(i).and_then(|l| l.jump.as_ref()) == Some(&target);
    let at = app.decision.window.cursor;
    let line = if same(at) {
        at
    } else if let Some(i) = (0..lines.len()).find(|&i| same(i)) {
        i
    } else {
        // The line is gone: the nearest line with a jump at or after where it was, else the
        // first.
        let jumpable = |i: &usize| lines[*i].jump.is_some();
        (at..lines.len())
            .find(jumpable)
            .or_else(|| (0..lines.len()).find(jumpable))
            .unwrap_or(0)
    };
    app.decision.window.focus(line);
}

pub(crate) fn update(app: &mut App, id: &str, action: Action) -> Vec<Effect> {
    let lines = app.detail_lines(id);
    match action {
        // Line by line and page by page, highlighting the ↵ lines as they come into view:
        // reading never skips a line.
        Action::Cmd(cmd) if list::is_move(cmd) => {
            app.decision
                .window
                .browse(cmd, lines.len(), |i| lines[i].jump.is_some());
        }
        Action::Cmd(Cmd::Select) => match lines
            .get(app.decision.window.cursor)
            .and_then(|l| l.jump.clone())
        {
            Some((e, qid)) => {
                app.decision.target = Some((e.clone(), qid.clone()));
                app.decision.outcome = app.decision(id).map(wording::outcome_state);
                app.decision.report_before = app
                    .work
                    .as_ref()
                    .map(|w| {
                        w.rec(&app.q)
                            .decisions
                            .iter()
                            .map(|x| (x.title(), x.outcome.to_string()))
                            .collect()
                    })
                    .unwrap_or_default();
                // From a flip, the cursor lands on the choice the flip suggests.
                let suggested = flip_choice(app, id, &lines, app.decision.window.cursor);
                jump_to_change(app, e.clone(), qid.clone());
                if let Some(row) = suggested
                    && app.questions.at == Some((e, qid))
                {
                    app.questions.choices.cursor = row;
                }
            }
            None => app.info(
                "Nothing to jump to: this decision has no triggering answers or open questions.",
            ),
        },
        _ => {}
    }
    Vec::new()
}

/// The choice row a flip line suggests: the choice it picks, adds or removes.
fn flip_choice(app: &App, id: &str, lines: &[DetailLine], at: usize) -> Option<usize> {
    use crate::engine::Change;
    if lines.get(at)?.style != LineStyle::Flip {
        return None;
    }
    // Flip lines are drawn in the order of the sensitivity's flips.
    let k = lines[..at]
        .iter()
        .filter(|l| l.style == LineStyle::Flip)
        .count();
    let flip = app.work.as_ref()?.cached_sensitivity(id)?.flips.get(k)?;
    let question = app.q.question(&flip.question)?;
    let by_label = |label: &str| question.choices.iter().position(|c| c.label == label);
    match (&flip.change, &flip.value) {
        (Change::Add { choice } | Change::Remove { choice }, _) => by_label(choice),
        (Change::Replace, Value::Text(v)) => question.choices.iter().position(|c| &c.id == v),
        (Change::Replace, Value::List(items)) => items
            .first()
            .and_then(|v| question.choices.iter().position(|c| &c.id == v)),
        _ => None,
    }
}

pub(crate) fn draw(frame: &mut Frame, app: &mut App, id: &str, area: Rect) {
    let t = app.theme;
    let Some(d) = app.decision(id) else {
        let msg = "This decision no longer applies after the latest answers. Esc goes back.";
        frame.render_widget(Paragraph::new(msg).wrap(Wrap { trim: true }), area);
        return;
    };
    let title = d.title();
    let lines = app.detail_lines(id);
    let rows_of = |i: usize, focused: bool| {
        let l = &lines[i];
        let style = match l.style {
            LineStyle::Heading => t.bold(),
            LineStyle::Rule => t.accent(),
            LineStyle::Trigger => ratatui::style::Style::default(),
            LineStyle::Open | LineStyle::Gap => t.warn(),
            LineStyle::Flip => t.accent(),
            LineStyle::Plain => t.dim(),
        };
        let indent = " ".repeat(l.indent as usize * 2);
        let jump = if l.jump.is_some() { "↵ " } else { "" };
        let prefix = format!("{}{indent}{jump}", marker(focused && l.jump.is_some()));
        // Continuation lines hang under the text, past a leading bullet.
        let bullet = ["• ", "! ", "? "]
            .iter()
            .find(|b| l.text.starts_with(**b))
            .map_or(0, |b| b.chars().count());
        let hang = prefix.chars().count() + bullet;
        let width = (area.width.saturating_sub(2) as usize)
            .saturating_sub(prefix.chars().count())
            .max(10);
        wrap_hanging(&clean(&l.text), width, width.saturating_sub(bullet).max(10))
            .into_iter()
            .enumerate()
            .map(|(i, s)| {
                let lead = if i == 0 {
                    prefix.clone()
                } else {
                    " ".repeat(hang)
                };
                Line::styled(format!("{lead}{s}"), style)
            })
            .collect()
    };
    let block = Block::bordered()
        .title(format!(" Why: {} ", truncate(&title, 40)))
        .title_bottom(" ↵ Enter: change that answer · Esc back ")
        .border_style(t.border());
    let actionable = |i: usize| lines.get(i).is_some_and(|l| l.jump.is_some());
    let hit = list::draw(
        frame,
        area,
        &mut app.decision.window,
        lines.len(),
        Look {
            block: Some(block),
            focus: t.focus(),
            highlight: true,
            mode: Mode::Browse,
            marker_style: t.dim(),
            actionable: Some(&actionable),
        },
        Some(HitList::DecisionLines),
        rows_of,
    );
    app.hits.extend(hit);
}

/// Back on the drill-down after a jump: says what the change did to the decision the jump came
/// from, and names the other report-level decisions it moved.
pub(crate) fn say_what_changed(app: &mut App, id: &str) {
    let (Some(before), Some(d)) = (app.decision.outcome.take(), app.decision(id)) else {
        return;
    };
    let now = wording::outcome_state(d);
    let mut msg = if now != before {
        format!("Changed: now {now} (was {before})")
    } else {
        format!("Unchanged: still {now}")
    };
    // The same answer can move other report-level decisions: name them too.
    let before_all = std::mem::take(&mut app.decision.report_before);
    let others: Vec<String> = app
        .work
        .as_ref()
        .map(|w| {
            w.rec(&app.q)
                .decisions
                .iter()
                .filter(|x| x.id.to_string() != id)
                .filter_map(|x| {
                    let title = x.title();
                    let now = x.outcome.to_string();
                    let (_, was) = before_all.iter().find(|(t, _)| *t == title)?;
                    (*was != now).then(|| format!("{title}: {now}"))
                })
                .collect()
        })
        .unwrap_or_default();
    if !others.is_empty() {
        msg.push_str(&format!("; also {}", others.join("; ")));
    }
    app.info(msg);
}
