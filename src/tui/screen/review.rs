//! Review: every visible question and its answer in one list (`f`: the open ones only).

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Block;

use crate::session::{EntityId, Value};
use crate::text::{pad, truncate_middle};
use crate::tui::action::Action;
use crate::tui::app::{App, HitList};
use crate::tui::dialog::editor::{self, EditTarget};
use crate::tui::keymap::{Cmd, Ctx};
use crate::tui::list::{self, Look, Mode, Window};
use crate::tui::screen::jump_to_change;
use crate::tui::update::Effect;
use crate::tui::widgets::{marker, truncate};

#[derive(Default)]
pub(crate) struct ReviewState {
    pub(crate) list: Window,
    pub(crate) filter: String,
    pub(crate) unanswered_only: bool,
}

/// One row of the review list.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ReviewRow {
    pub(crate) entity: EntityId,
    pub(crate) qidx: usize,
    pub(crate) section: String,
    pub(crate) question: String,
    pub(crate) answer: Option<String>,
    pub(crate) has_note: bool,
}

impl App {
    pub(crate) fn review_rows(&self) -> Vec<ReviewRow> {
        let Some(w) = &self.work else {
            return Vec::new();
        };
        let needle = self.review.filter.to_lowercase();
        w.sequence()
            .iter()
            .cloned()
            .filter_map(|(e, qi)| {
                let question = &self.q.questions[qi];
                let answer = w.answer(&e, &question.id);
                let has_note = w.session.note(&e, &question.id).is_some();
                let section = match &e {
                    EntityId::Engagement => "Engagement".to_string(),
                    other => w.session.entity_name(other),
                };
                let row = ReviewRow {
                    entity: e,
                    qidx: qi,
                    section,
                    question: question.text.clone(),
                    answer: answer.map(|a| a.value.display(question)),
                    has_note,
                };
                let unanswered = matches!(answer.map(|a| &a.value), None | Some(Value::Unknown));
                let keep = (!self.review.unanswered_only || unanswered)
                    && (needle.is_empty()
                        || row.question.to_lowercase().contains(&needle)
                        || row.section.to_lowercase().contains(&needle)
                        || row
                            .answer
                            .as_deref()
                            .is_some_and(|a| a.to_lowercase().contains(&needle)));
                keep.then_some(row)
            })
            .collect()
    }
}

pub(crate) fn set_filter(app: &mut App, text: String) {
    app.review.filter = text;
    app.review.list.cursor = 0;
}

pub(crate) fn update(app: &mut App, action: Action) -> Vec<Effect> {
    let rows = app.review_rows();
    match action {
        Action::Cmd(cmd) if list::is_move(cmd) => {
            app.review.list.select(cmd, rows.len());
        }
        Action::Cmd(Cmd::UnansweredOnly) => {
            app.review.unanswered_only = !app.review.unanswered_only;
            app.review.list.cursor = 0;
        }
        Action::Cmd(Cmd::Filter) => {
            let f = app.review.filter.clone();
            editor::open(
                app,
                EditTarget::Filter(Ctx::Review),
                "Filter questions and answers",
                &f,
                false,
            );
        }
        Action::Cmd(Cmd::Select) => {
            if let Some(row) = rows.get(app.review.list.cursor) {
                let qid = app.q.questions[row.qidx].id.clone();
                jump_to_change(app, row.entity.clone(), qid);
            }
        }
        _ => {}
    }
    Vec::new()
}

pub(crate) fn draw(frame: &mut Frame, app: &mut App, area: Rect) {
    let t = app.theme;
    let rows = app.review_rows();
    let cursor = app.review.list.cursor.min(rows.len().saturating_sub(1));
    let width = area.width.saturating_sub(4) as usize;
    // The section column is as wide as its longest name needs, up to a quarter of the row.
    let longest = rows
        .iter()
        .map(|r| crate::text::width(&crate::text::clean(&r.section)))
        .max()
        .unwrap_or(0);
    let sec_w = longest.clamp(10, (width / 4).max(10));
    let ans_w = (width / 4).clamp(10, 30);
    let q_w = width.saturating_sub(sec_w + ans_w + 6);
    let mut title = format!(" All answers ({}) ", rows.len());
    if app.review.unanswered_only {
        title = format!(" Unanswered or unknown ({}) ", rows.len());
    }
    if !app.review.filter.is_empty() {
        title.push_str(&format!(
            "matching \"{}\" ",
            truncate(&app.review.filter, 20)
        ));
    }
    let block = Block::bordered()
        .title(title)
        .title_bottom(" ✎ = has a note ")
        .border_style(t.border());
    if rows.is_empty() {
        let msg = if app.review.unanswered_only {
            "Everything visible is answered. f shows all."
        } else {
            "Nothing matches."
        };
        frame.render_widget(ratatui::widgets::Paragraph::new(msg).block(block), area);
        return;
    }
    let hit = list::draw(
        frame,
        area,
        &mut app.review.list,
        rows.len(),
        Look {
            block: Some(block),
            focus: t.focus(),
            highlight: true,
            mode: Mode::Select,
            marker_style: t.dim(),
            actionable: None,
        },
        Some(HitList::Review),
        |i, _| {
            let r = &rows[i];
            // Columns by display width; names keep both ends, so twins stay apart.
            let answer = match &r.answer {
                None => Span::styled(pad("—", ans_w), t.warn()),
                Some(a) if a == "unknown" => Span::styled(pad("unknown", ans_w), t.warn()),
                Some(a) => Span::styled(pad(&truncate(a, ans_w), ans_w), t.good()),
            };
            vec![Line::from(vec![
                Span::raw(marker(i == cursor)),
                Span::styled(
                    format!("{} ", pad(&truncate_middle(&r.section, sec_w), sec_w)),
                    t.dim(),
                ),
                Span::raw(format!("{} ", pad(&truncate(&r.question, q_w), q_w))),
                answer,
                Span::raw(if r.has_note { " ✎" } else { "" }),
            ])]
        },
    );
    app.hits.extend(hit);
}
