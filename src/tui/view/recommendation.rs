//! The full recommendation: summary, every decision, and one decision's rationale drill-down.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, List, ListItem, ListState, Paragraph, Wrap};

use crate::report::wording;
use crate::tui::app::{App, Hit, HitList, LineStyle};
use crate::tui::widgets::{clean, marker, truncate, wrap, wrap_hanging};

pub fn draw(frame: &mut Frame, app: &mut App, area: Rect) {
    let t = app.theme;
    let Some(w) = &app.work else { return };
    let r = &w.rec;
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
    let [top, list] =
        Layout::vertical([Constraint::Length(summary_h), Constraint::Min(3)]).areas(area);
    frame.render_widget(Paragraph::new(summary).wrap(Wrap { trim: true }), top);

    let decisions = app.decisions();
    let cursor = app.rec.cursor.min(decisions.len().saturating_sub(1));
    let width = list.width.saturating_sub(4) as usize;
    // Titles get what the longest needs, leaving the outcome at least 20 columns.
    let longest = decisions
        .iter()
        .map(|d| crate::text::width(&d.title()))
        .max()
        .unwrap_or(0);
    let title_w = longest.min(width.saturating_sub(25)).clamp(16, 48);
    // One pass over the identities, not one per decision (thousands of each at scale).
    let gap_counts: std::collections::HashMap<&crate::engine::DecisionId, (usize, usize)> = w
        .rec
        .identities
        .iter()
        .map(|i| (&i.decision.id, &i.gaps))
        .chain(w.rec.systems.iter().map(|x| (&x.decision.id, &x.gaps)))
        .map(|(id, gaps)| {
            let confirmed = gaps
                .iter()
                .filter(|g| g.status == crate::engine::GapStatus::Confirmed)
                .count();
            (id, (confirmed, gaps.len() - confirmed))
        })
        .collect();
    let gaps = |id: &crate::engine::DecisionId| gap_counts.get(id).copied().unwrap_or((0, 0));
    let items: Vec<ListItem> = decisions
        .iter()
        .enumerate()
        .map(|(i, d)| {
            let flag = if d.provisional { "?" } else { "✓" };
            ListItem::new(Line::from(vec![
                Span::raw(marker(i == cursor)),
                Span::styled(
                    format!("{flag} "),
                    if d.provisional { t.warn() } else { t.good() },
                ),
                Span::styled(
                    format!(
                        "{} ",
                        crate::text::pad(&truncate(&d.title(), title_w), title_w)
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
            ]))
        })
        .collect();
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
            list,
        );
        return;
    }
    let inner = block.inner(list);
    let n = decisions.len();
    let mut state = ListState::default().with_selected(Some(cursor));
    frame.render_stateful_widget(
        List::new(items).block(block).highlight_style(t.focus()),
        list,
        &mut state,
    );
    app.hits.push(Hit {
        list: HitList::Decisions,
        area: inner,
        offset: state.offset(),
        heights: vec![1; n],
    });
}

pub fn draw_decision(frame: &mut Frame, app: &mut App, id: &str, area: Rect) {
    let t = app.theme;
    let Some(d) = app.decision(id) else {
        let msg = "This decision no longer applies after the latest answers. Esc goes back.";
        frame.render_widget(Paragraph::new(msg).wrap(Wrap { trim: true }), area);
        return;
    };
    let title = d.title();
    let lines = app.detail_lines(id);
    let cursor = app.decision_cursor;
    let items: Vec<ListItem> = lines
        .iter()
        .enumerate()
        .map(|(i, l)| {
            let focused = i == cursor && l.jump.is_some();
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
            let prefix = format!("{}{indent}{jump}", marker(focused));
            // Continuation lines hang under the text, past a leading bullet.
            let bullet = ["• ", "! ", "? "]
                .iter()
                .find(|b| l.text.starts_with(**b))
                .map_or(0, |b| b.chars().count());
            let hang = prefix.chars().count() + bullet;
            let width = (area.width.saturating_sub(2) as usize)
                .saturating_sub(prefix.chars().count())
                .max(10);
            let rows: Vec<Line> =
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
                    .collect();
            ListItem::new(rows)
        })
        .collect();
    let heights: Vec<u16> = items.iter().map(|i| i.height() as u16).collect();
    let computing = app
        .work
        .as_ref()
        .is_some_and(|w| w.cached_sensitivity(id).is_none());
    let block = Block::bordered()
        .title(format!(" Why: {} ", truncate(&title, 40)))
        .title_bottom(if computing {
            " Enter on ↵ lines jumps to that question · Esc back "
        } else {
            " ↑/↓ ↵ lines · Enter: go to that question and change it · Esc back "
        })
        .border_style(t.border());
    let selected = lines
        .get(cursor)
        .and_then(|l| l.jump.as_ref())
        .map(|_| cursor);
    let inner = block.inner(area);
    let mut state = ListState::default().with_selected(selected);
    // Lines without a jump (headings, gaps) around the highlighted one stay in view.
    frame.render_stateful_widget(
        List::new(items)
            .block(block)
            .highlight_style(t.focus())
            .scroll_padding(3),
        area,
        &mut state,
    );
    app.hits.push(Hit {
        list: HitList::DecisionLines,
        area: inner,
        offset: state.offset(),
        heights,
    });
}
