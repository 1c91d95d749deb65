//! Questions: one question at a time with its choices, "why we ask", the note, progress, and
//! (on wide terminals) the live recommendation beside it.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span, Text};
use ratatui::widgets::{Block, List, ListItem, ListState, Paragraph, Wrap};

use super::WIDE;
use crate::questionnaire::Kind;
use crate::session::{EntityId, Value};
use crate::tui::app::{App, Hit, HitList};
use crate::tui::widgets::{clean, lines, marker, truncate, wrap};

pub fn draw(frame: &mut Frame, app: &mut App, area: Rect) {
    let (main, panel) = if area.width >= WIDE {
        let [m, p] = Layout::horizontal([Constraint::Min(50), Constraint::Length(38)]).areas(area);
        (m, Some(p))
    } else {
        (area, None)
    };
    if let Some(p) = panel {
        draw_panel(frame, app, p);
    }
    draw_question(frame, app, main);
}

/// Rows a text takes when wrapped at `width` (a close estimate: word wrapping may add a row).
fn wrapped_rows(text: &str, width: u16) -> u16 {
    let w = width.max(1) as usize;
    text.split('\n')
        .map(|l| (l.chars().count().max(1)).div_ceil(w) as u16)
        .sum()
}

fn draw_question(frame: &mut Frame, app: &mut App, area: Rect) {
    let t = app.theme;
    let Some(w) = &app.work else { return };
    let Some((e, qi, question)) = app.current() else {
        let msg = "No questions to show. Check the questionnaire, or add systems and identities in Inventory.";
        frame.render_widget(Paragraph::new(msg).wrap(Wrap { trim: true }), area);
        return;
    };
    let answer = w.answer(&e, &question.id);

    // Where we are: section, entity, question number in the section, overall progress.
    let shown = w.shown(&e);
    let pos = shown.iter().position(|&i| i == qi).map_or(0, |p| p + 1);
    let section = w.section_label(&e);
    let name = if e == EntityId::Engagement {
        String::new()
    } else {
        format!(" · {}", clean(&w.session.entity_name(&e)))
    };
    let group = question
        .section
        .as_deref()
        .map(|s| format!(" › {}", clean(s)))
        .unwrap_or_default();
    let p = w.rec.progress;
    let right = format!("overall {}/{} ({}%)", p.answered, p.total, p.percent());
    // Where we are is cut before the question number is: "question 6/7" always shows.
    let counter = format!(" — question {pos}/{}", shown.len());
    let left = format!("{section}{name}{group}");
    let left_w =
        (area.width as usize).saturating_sub(right.chars().count() + 2 + counter.chars().count());
    let location = Line::from(vec![
        Span::styled(truncate(&left, left_w), t.accent()),
        Span::styled(
            format!(
                "{:<w$}",
                counter,
                w = counter.chars().count() + left_w.saturating_sub(left.chars().count())
            ),
            t.accent(),
        ),
        Span::raw("  "),
        Span::styled(right, t.dim()),
    ]);

    let text = clean(&question.text);
    let kind_hint = match question.kind {
        Kind::YesNo | Kind::Single => "Enter or 1-9 chooses and goes on · u unknown",
        Kind::Multi => "Space or 1-9 ticks · Enter goes on · u unknown",
        Kind::Text => "Type the answer (Enter opens the box) · u unknown",
        Kind::Number => "Type a number (Enter opens the box) · u unknown",
        Kind::Date => "Type a date, YYYY-MM-DD (Enter opens the box) · u unknown",
    };
    let q_rows = wrapped_rows(&text, area.width).min(4);
    let n_rows = App::choice_rows(question) as u16;
    // Choice labels wrap under themselves (past "> 1 ( ) "), never cut off.
    let label_w = (area.width as usize).saturating_sub(8).max(10);
    let choice_lines: Vec<Vec<String>> = question
        .choices
        .iter()
        .map(|c| wrap(&clean(&c.label), label_w))
        .collect();
    let answer_rows = if question.kind.is_choice() {
        choice_lines.iter().map(|l| l.len() as u16).sum::<u16>() + 1
    } else {
        3
    };
    let note = answer.and_then(|a| a.note.clone());
    let note_h = u16::from(note.is_some()) + 1;
    let fixed = 1 + q_rows + 1 + note_h;
    // The answers get what they need, leaving "why we ask" at least 3 rows; the list scrolls
    // to keep the highlighted row visible when it has to shrink.
    let list_h = answer_rows
        .min(area.height.saturating_sub(fixed + 3))
        .max(1);
    let [loc_a, q_a, hint_a, ans_a, help_a, note_a] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(q_rows),
        Constraint::Length(1),
        Constraint::Length(list_h),
        Constraint::Min(0),
        Constraint::Length(note_h),
    ])
    .areas(area);

    frame.render_widget(Paragraph::new(location), loc_a);
    frame.render_widget(
        Paragraph::new(Line::styled(text, t.bold())).wrap(Wrap { trim: true }),
        q_a,
    );
    frame.render_widget(Paragraph::new(Line::styled(kind_hint, t.dim())), hint_a);

    let mut hit = None;
    if question.kind.is_choice() {
        let ticked: Vec<String> = match answer.map(|a| &a.value) {
            Some(Value::List(l)) => l.clone(),
            Some(Value::Text(s)) => vec![s.clone()],
            _ => Vec::new(),
        };
        let is_unknown = matches!(answer.map(|a| &a.value), Some(Value::Unknown));
        let cursor = app.questions.cursor.min(n_rows.saturating_sub(1) as usize);
        let mut items: Vec<ListItem> = question
            .choices
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let on = ticked.contains(&c.id);
                let mark = match (question.kind, on) {
                    (Kind::Multi, true) => "[x]",
                    (Kind::Multi, false) => "[ ]",
                    (_, true) => "(•)",
                    (_, false) => "( )",
                };
                let num = if i < 9 {
                    format!("{}", i + 1)
                } else {
                    " ".into()
                };
                let style = if on {
                    t.good()
                } else {
                    ratatui::style::Style::default()
                };
                let mut rows = vec![Line::from(vec![
                    Span::raw(marker(i == cursor)),
                    Span::styled(format!("{num} "), t.key()),
                    Span::styled(
                        format!(
                            "{mark} {}",
                            choice_lines[i].first().cloned().unwrap_or_default()
                        ),
                        style,
                    ),
                ])];
                for more in choice_lines[i].iter().skip(1) {
                    rows.push(Line::styled(format!("        {more}"), style));
                }
                ListItem::new(rows)
            })
            .collect();
        let mark = if is_unknown { "(•)" } else { "( )" };
        items.push(ListItem::new(Line::from(vec![
            Span::raw(marker(cursor == question.choices.len())),
            Span::styled("u ", t.key()),
            Span::styled(
                format!("{mark} Unknown / not sure yet"),
                if is_unknown { t.warn() } else { t.dim() },
            ),
        ])));
        let mut heights: Vec<u16> = choice_lines.iter().map(|l| l.len() as u16).collect();
        heights.push(1);
        let mut state = ListState::default().with_selected(Some(cursor));
        frame.render_stateful_widget(
            List::new(items).highlight_style(t.focus()),
            ans_a,
            &mut state,
        );
        hit = Some(Hit {
            list: HitList::Choices,
            area: ans_a,
            offset: state.offset(),
            heights,
        });
    } else {
        let value = match answer.map(|a| &a.value) {
            None => Span::styled("(not answered yet: start typing, or Enter)", t.dim()),
            Some(Value::Unknown) => Span::styled("unknown", t.warn()),
            Some(v) => Span::styled(clean(&v.display(question)), t.good()),
        };
        let block = Block::bordered().border_style(t.border());
        frame.render_widget(
            Paragraph::new(Line::from(vec![Span::raw("> "), value])).block(block),
            Rect {
                height: ans_a.height.min(3),
                ..ans_a
            },
        );
    }

    // Why we ask, scrollable with PgUp/PgDn.
    // The box is titled "Why we ask", so a help text starting with the same words drops them.
    let help_text = question.help.trim_start();
    let help_text = match help_text.strip_prefix("Why we ask:") {
        Some(rest) => capitalise(rest.trim_start()),
        None => help_text.to_string(),
    };
    let mut help = Text::from(lines(&help_text));
    // Criteria IDs help the room; internal notes (domain.md, seeds) are for questionnaire authors.
    let criteria: Vec<&str> = question
        .references
        .iter()
        .map(String::as_str)
        .filter(|r| crate::questionnaire::tsc::is_valid(r))
        .collect();
    if !criteria.is_empty() {
        help.push_line(Line::styled(
            format!("Criteria: {}", criteria.join(", ")),
            t.dim(),
        ));
    }
    let inner_w = help_a.width.saturating_sub(2);
    let total: u16 = help
        .lines
        .iter()
        .map(|l| wrapped_rows(&l.to_string(), inner_w))
        .sum();
    let visible = help_a.height.saturating_sub(2);
    let max_scroll = total.saturating_sub(visible);
    app.questions.help_scroll = app.questions.help_scroll.min(max_scroll);
    let scroll = app.questions.help_scroll;
    let more = if max_scroll > 0 {
        format!(
            " ({}/{} · PgUp/PgDn) ",
            scroll.min(max_scroll) + visible.min(total),
            total
        )
    } else {
        String::new()
    };
    let block = Block::bordered()
        .title(" Why we ask ")
        .title_bottom(more)
        .border_style(t.border());
    frame.render_widget(
        Paragraph::new(help)
            .block(block)
            .wrap(Wrap { trim: true })
            .scroll((scroll, 0)),
        help_a,
    );

    let note_line = match &note {
        Some(n) => {
            let first = n.lines().next().unwrap_or_default();
            let more = if n.lines().count() > 1 { " …" } else { "" };
            Line::from(vec![
                Span::styled("Note: ", t.bold()),
                Span::raw(format!(
                    "{}{more}",
                    truncate(first, note_a.width.saturating_sub(12) as usize)
                )),
            ])
        }
        None => Line::styled("No note (n adds one)", t.dim()),
    };
    frame.render_widget(Paragraph::new(note_line), note_a);
    app.hits.extend(hit);
}

/// The live recommendation, updated on every answer.
fn draw_panel(frame: &mut Frame, app: &App, area: Rect) {
    let t = app.theme;
    let Some(w) = &app.work else { return };
    let r = &w.rec;
    let mut out = vec![
        Line::styled("Verdict", t.dim()),
        Line::styled(r.verdict.label(), t.bold()),
        Line::raw(""),
        Line::styled("SOC 2 categories", t.dim()),
    ];
    if r.soc2_categories.is_empty() {
        out.push(Line::raw("none"));
    } else {
        out.extend(
            r.soc2_categories
                .iter()
                .map(|c| Line::raw(format!("• {}", c.label()))),
        );
    }
    out.push(Line::raw(""));
    out.push(Line::styled("Type and plan", t.dim()));
    if r.plans.is_empty() {
        out.push(Line::raw("no report called for yet"));
    }
    for p in &r.plans {
        out.push(Line::raw(clean(&crate::report::wording::plan_short(p))));
    }
    if !r.conflicts.is_empty() {
        out.push(Line::raw(""));
        out.push(Line::styled(
            format!(
                "{} conflicting answer(s): r, then the verdict",
                r.conflicts.len()
            ),
            t.error(),
        ));
        for c in r.conflicts.iter().take(3) {
            out.push(Line::styled(format!("! {}", clean(&c.text)), t.error()));
        }
    }
    out.push(Line::raw(""));
    let n = r.provisional_count();
    out.push(Line::styled(
        if n == 0 {
            "All decisions settled".to_string()
        } else {
            format!("{n} decision(s) still provisional")
        },
        if n == 0 { t.good() } else { t.warn() },
    ));
    out.push(Line::styled(
        format!("{} open question(s)", r.open_questions.len()),
        t.dim(),
    ));
    out.push(Line::raw(""));
    out.push(Line::from(vec![
        Span::styled("r", t.key()),
        Span::raw(" full recommendation"),
    ]));
    let block = Block::bordered()
        .title(" Live recommendation ")
        .border_style(t.border());
    frame.render_widget(
        Paragraph::new(out).block(block).wrap(Wrap { trim: true }),
        area,
    );
}

/// The first letter in upper case ("the deciding factor..." after "Why we ask:" is dropped).
fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}
