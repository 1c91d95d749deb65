//! Drawing the frame: tabs, status line and footer around the screen showing (each screen and
//! dialog draws itself: `screen/`, `dialog/`).

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use super::app::{App, Screen, StatusKind, TABS};
use super::widgets::{self, hint_line, truncate};
use super::{dialog, keymap, screen as screens};

/// Below this the screens cannot be drawn usefully.
pub(crate) const MIN_WIDTH: u16 = 60;
pub(crate) const MIN_HEIGHT: u16 = 16;
/// From this width, the live recommendation sits beside the questions.
pub(crate) const WIDE: u16 = 100;

pub fn draw(frame: &mut Frame, app: &mut App) {
    let area = frame.area();
    app.hits.clear();
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        let msg = format!(
            "Terminal too small ({}x{}).\nsocscope needs at least {MIN_WIDTH}x{MIN_HEIGHT}.\nEnlarge the window; nothing is lost.",
            area.width, area.height
        );
        let box_ = widgets::centered(area, area.width, 3);
        frame.render_widget(
            Paragraph::new(msg).centered().wrap(Wrap { trim: true }),
            box_,
        );
        return;
    }
    // A message too long for one line takes two, so a notice is read whole at 80 columns
    // (QA: "Added to the inventory: Stripe Billing (a vendor system with pre-filled answe…").
    let status_rows = match &app.status {
        Some((_, msg)) if crate::text::width(msg) + 4 > area.width as usize => 2,
        _ => 1,
    };
    let [header, body, status, footer] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(1),
        Constraint::Length(status_rows),
        Constraint::Length(1),
    ])
    .areas(area);
    draw_header(frame, app, header);
    let screen = app.screen().clone();
    screens::draw(frame, app, body);
    draw_status(
        frame,
        app,
        status,
        screen == Screen::Questions && area.width >= WIDE,
    );
    // With a dialog open, the footer gives the dialog's keys, not the screen's below it.
    let hints = match &app.modal {
        Some(_) => dialog::hints(app),
        None => keymap::hints(app.ctx(), app.work.is_some()),
    };
    frame.render_widget(
        Paragraph::new(hint_line(&app.theme, &hints, footer.width)),
        footer,
    );
    dialog::draw(frame, app, area);
}

fn draw_header(frame: &mut Frame, app: &App, area: Rect) {
    let t = &app.theme;
    let mut spans = vec![Span::styled(" socscope ", t.title())];
    match &app.work {
        None => spans.push(Span::raw("· SOC 1 / SOC 2 scoping workshop")),
        Some(w) => {
            let current = app.screen().tab();
            for (i, tab) in TABS.iter().enumerate() {
                let label = format!(" {} ", tab.title());
                if Some(i) == current {
                    spans.push(Span::styled(format!("[{}]", label.trim()), t.focus()));
                } else {
                    spans.push(Span::styled(label, t.dim()));
                }
            }
            let used: usize = spans.iter().map(|s| s.width()).sum();
            let saved = match &w.save_error {
                _ if w.read_only() => Span::styled(
                    " READ-ONLY ",
                    t.warn().add_modifier(ratatui::style::Modifier::BOLD),
                ),
                Some(_) => Span::styled(" NOT SAVED ", t.error()),
                None => Span::styled(" saved ", t.good()),
            };
            // READ-ONLY must be seen: on a narrow screen it takes the title's place.
            let used = if w.read_only() && used + saved.width() > area.width as usize {
                used - spans.remove(0).width()
            } else {
                used
            };
            let gap = (area.width as usize).saturating_sub(used + saved.width());
            spans.push(Span::raw(" ".repeat(gap)));
            spans.push(saved);
        }
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

/// The status line: the last message if any, else (when the panel is not shown) the live
/// recommendation in one line.
fn draw_status(frame: &mut Frame, app: &App, area: Rect, panel_shown: bool) {
    let t = &app.theme;
    // A message wraps onto the rows it was given (two at most), the rest cut with "…".
    let message = |prefix: &str, msg: &str, style| {
        let cols = (area.width as usize)
            .saturating_sub(prefix.len() + 1)
            .max(1);
        let mut rows = widgets::wrap(msg, cols);
        if rows.len() > area.height as usize {
            rows.truncate(area.height as usize);
            if let Some(last) = rows.last_mut() {
                *last = truncate(&format!("{last} …"), cols);
            }
        }
        let pad = " ".repeat(prefix.len());
        let lines: Vec<Line> = rows
            .into_iter()
            .enumerate()
            .map(|(i, r)| Line::styled(format!("{}{r}", if i == 0 { prefix } else { &pad }), style))
            .collect();
        lines
    };
    let line = match (&app.status, &app.work) {
        (Some((StatusKind::Error, msg)), _) => {
            frame.render_widget(Paragraph::new(message(" ! ", msg, t.error())), area);
            return;
        }
        (Some((StatusKind::Info | StatusKind::Notice, msg)), _) => {
            frame.render_widget(Paragraph::new(message(" ", msg, t.accent())), area);
            return;
        }
        (None, Some(w)) if !panel_shown && w.analysing() => Line::from(vec![
            Span::styled(" ▶ ", t.accent()),
            Span::styled("Verdict: computing…", t.bold()),
        ]),
        (None, Some(w)) if !panel_shown => {
            // Most important first, so a narrow terminal cuts only the category list.
            let r = w.panel();
            let mut parts = vec![format!("Verdict: {}", r.verdict.label())];
            // Only the reports called for: a report that is merely possible is the verdict's.
            for p in r.plans.iter().filter(|p| p.settled) {
                parts.push(format!(
                    "{} {}",
                    p.report.label(),
                    crate::report::wording::report_type(p.report_type)
                ));
            }
            if !r.conflicts.is_empty() {
                parts.insert(1, format!("{} CONFLICT(S)", r.conflicts.len()));
            }
            // Only while the full recommendation is up to date: an answer does not rebuild it.
            if let Some(full) = w.rec_if_built() {
                parts.push(match full.provisional_count() {
                    0 => "settled".to_string(),
                    n => format!("{n} provisional"),
                });
            }
            if !r.soc2_categories.is_empty() {
                let cats: Vec<&str> = r.soc2_categories.iter().map(|c| c.label()).collect();
                parts.push(cats.join(", "));
            }
            Line::from(vec![
                Span::styled(" ▶ ", t.accent()),
                Span::styled(
                    truncate(&parts.join(" · "), area.width.saturating_sub(4) as usize),
                    t.bold(),
                ),
            ])
        }
        _ => Line::raw(""),
    };
    frame.render_widget(Paragraph::new(line), area);
}
