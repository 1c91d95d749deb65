//! The full recommendation: summary, and every decision (Enter opens its rationale).

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Wrap};

use crate::engine::Decision;
use crate::report::wording;
use crate::tui::action::Action;
use crate::tui::app::{App, HitList};
use crate::tui::dialog::editor::{self, EditTarget};
use crate::tui::keymap::{Cmd, Ctx};
use crate::tui::list::{self, Look, Mode, Window};
use crate::tui::update::Effect;
use crate::tui::widgets::{clean, marker, truncate, wrap};

#[derive(Default)]
pub(crate) struct RecState {
    pub(crate) list: Window,
    pub(crate) filter: String,
}

impl App {
    /// The decisions listed (the filter applied), in the order the recommendation lists them.
    pub(crate) fn decisions(&self) -> Vec<&Decision> {
        let Some(w) = &self.work else {
            return Vec::new();
        };
        listed(w.rec(&self.q), &self.rec.filter)
    }
}

/// Every decision matching the filter (by title or outcome).
fn listed<'a>(r: &'a crate::engine::Recommendation, filter: &str) -> Vec<&'a Decision> {
    let needle = filter.to_lowercase();
    r.all_decisions()
        .filter(|d| {
            needle.is_empty()
                || d.title().to_lowercase().contains(&needle)
                || d.outcome.to_string().to_lowercase().contains(&needle)
        })
        .collect()
}

pub(crate) fn set_filter(app: &mut App, text: String) {
    app.rec.filter = text;
    app.rec.list.cursor = 0;
}

pub(crate) fn update(app: &mut App, action: Action) -> Vec<Effect> {
    let ids: Vec<String> = app.decisions().iter().map(|d| d.id.to_string()).collect();
    let Action::Cmd(cmd) = action else {
        return Vec::new();
    };
    if app.rec.list.select(cmd, ids.len()) {
        return Vec::new();
    }
    match cmd {
        Cmd::Compare => return vec![Effect::ComparePicker],
        Cmd::Filter => {
            let f = app.rec.filter.clone();
            editor::open(
                app,
                EditTarget::Filter(Ctx::Recommendation),
                "Filter decisions",
                &f,
                false,
            );
        }
        Cmd::Select => {
            if let Some(id) = ids.get(app.rec.list.cursor).cloned() {
                super::decision::open(app, id);
            }
        }
        _ => {}
    }
    Vec::new()
}

pub(crate) fn draw(frame: &mut Frame, app: &mut App, area: Rect) {
    let t = app.theme;
    let Some(w) = &app.work else { return };
    let r = w.rec(&app.q);
    let cats: Vec<&str> = r.soc2_categories.iter().map(|c| c.label()).collect();
    let mut summary = vec![
        Line::from(vec![
            Span::styled("Verdict: ", t.dim()),
            Span::styled(r.verdict.label(), t.bold()),
            Span::styled(
                if r.provisional {
                    format!("  ({} decision(s) provisional)", r.provisional_count())
                } else {
                    "  (settled)".into()
                },
                if r.provisional { t.warn() } else { t.good() },
            ),
        ]),
        Line::from(vec![
            Span::styled("SOC 2 categories: ", t.dim()),
            Span::raw(if cats.is_empty() {
                "none".to_string()
            } else {
                cats.join(", ")
            }),
        ]),
    ];
    for p in &r.plans {
        summary.push(Line::from(vec![
            Span::styled("Plan: ", t.dim()),
            Span::raw(clean(&wording::plan_short(p))),
        ]));
    }
    if r.plans.is_empty() {
        summary.push(Line::from(vec![
            Span::styled("Plan: ", t.dim()),
            Span::raw("no report called for yet"),
        ]));
    }
    for c in &r.conflicts {
        summary.push(Line::styled(
            format!(
                "! Conflict: {} ({})",
                clean(&c.text),
                clean(&c.subject.name)
            ),
            t.error(),
        ));
    }
    for f in &r.findings {
        summary.push(Line::styled(
            format!("Finding: {}", clean(&f.text)),
            t.warn(),
        ));
    }
    if let Some(sox) = &r.sox_note {
        summary.push(Line::from(vec![
            Span::styled("SOX: ", t.dim()),
            Span::raw(clean(sox)),
        ]));
    }
    if !r.subservices.is_empty() {
        let subs: Vec<String> = r
            .subservices
            .iter()
            .map(|x| format!("{} ({})", clean(&x.system.name), wording::method(x.method)))
            .collect();
        summary.push(Line::from(vec![
            Span::styled("Subservice organisations: ", t.dim()),
            Span::raw(subs.join(", ")),
        ]));
    }
    if r.verdict != crate::engine::Verdict::None && !r.cuecs.is_empty() {
        summary.push(Line::from(vec![
            Span::styled("Customers' own controls (CUECs): ", t.dim()),
            Span::raw(r.cuecs.len().to_string()),
        ]));
    }
    if !r.frameworks.is_empty() {
        let names: Vec<String> = r
            .frameworks
            .iter()
            .filter_map(|f| f.framework.as_deref().map(clean))
            .collect();
        summary.push(Line::from(vec![
            Span::styled("Related frameworks: ", t.dim()),
            Span::raw(names.join(", ")),
        ]));
    }
    if let Some(h) = &app.compare.hint {
        summary.push(Line::styled(
            format!("{} — press c to compare", clean(h)),
            t.accent(),
        ));
    }
    // Lines wrap on narrow terminals; the box grows so nothing (the SOX note) is cut off.
    let summary_h = summary
        .iter()
        .map(|l| wrap(&l.to_string(), area.width.max(1) as usize).len() as u16)
        .sum::<u16>()
        .min(area.height.saturating_sub(3));
    let [top, list_a] =
        Layout::vertical([Constraint::Length(summary_h), Constraint::Min(3)]).areas(area);
    frame.render_widget(Paragraph::new(summary).wrap(Wrap { trim: true }), top);

    let decisions = listed(w.rec(&app.q), &app.rec.filter);
    let cursor = app.rec.list.cursor.min(decisions.len().saturating_sub(1));
    let width = list_a.width.saturating_sub(4) as usize;
    // Titles get what the longest needs, leaving the outcome at least 20 columns.
    let longest = decisions
        .iter()
        .map(|d| crate::text::width(&d.title()))
        .max()
        .unwrap_or(0);
    let title_w = longest.min(width.saturating_sub(25)).clamp(16, 48);
    // One pass over the identities, not one per decision (thousands of each at scale).
    let gap_counts: std::collections::HashMap<&crate::engine::DecisionId, (usize, usize)> = w
        .rec(&app.q)
        .identities
        .iter()
        .map(|i| (&i.decision.id, &i.gaps))
        .chain(
            w.rec(&app.q)
                .systems
                .iter()
                .map(|x| (&x.decision.id, &x.gaps)),
        )
        .map(|(id, gaps)| {
            let confirmed = gaps
                .iter()
                .filter(|g| g.status == crate::engine::GapStatus::Confirmed)
                .count();
            (id, (confirmed, gaps.len() - confirmed))
        })
        .collect();
    let gaps = |id: &crate::engine::DecisionId| gap_counts.get(id).copied().unwrap_or((0, 0));
    let title = if app.rec.filter.is_empty() {
        format!(" Decisions ({}) · ? = provisional ", decisions.len())
    } else {
        format!(" Decisions matching \"{}\" ", truncate(&app.rec.filter, 20))
    };
    let block = Block::bordered().title(title).border_style(t.border());
    if decisions.is_empty() {
        frame.render_widget(
            Paragraph::new("No decision matches the filter (/ changes it, Ctrl-U clears it).")
                .style(t.dim())
                .block(block),
            list_a,
        );
        return;
    }
    let hit = list::draw(
        frame,
        list_a,
        &mut app.rec.list,
        decisions.len(),
        Look {
            block: Some(block),
            focus: t.focus(),
            highlight: true,
            mode: Mode::Select,
            marker_style: t.dim(),
            actionable: None,
        },
        Some(HitList::Decisions),
        |i, _| {
            let d = decisions[i];
            let flag = if d.provisional { "?" } else { "✓" };
            vec![Line::from(vec![
                Span::raw(marker(i == cursor)),
                Span::styled(
                    format!("{flag} "),
                    if d.provisional { t.warn() } else { t.good() },
                ),
                Span::styled(
                    format!(
                        "{} ",
                        crate::text::pad(
                            &crate::text::truncate_middle(&d.title(), title_w),
                            title_w
                        )
                    ),
                    t.bold(),
                ),
                Span::raw(truncate(
                    &match gaps(&d.id) {
                        (0, 0) => d.outcome.to_string(),
                        (c, u) => format!("{} · {}", d.outcome, wording::gap_counts(c, u)),
                    },
                    width.saturating_sub(title_w + 5),
                )),
            ])]
        },
    );
    app.hits.extend(hit);
}
