//! Review: every visible question and its answer in one list (`f`: the open ones only).

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Wrap};

use crate::questionnaire::Questionnaire;
use crate::session::{EntityId, Value};
use crate::text::{pad, truncate_middle};
use crate::tui::action::Action;
use crate::tui::app::{App, HitList};
use crate::tui::dialog::editor::{self, EditTarget};
use crate::tui::keymap::{Cmd, Ctx};
use crate::tui::list::{self, Filtered, Look, Window};
use crate::tui::screen::jump_to_change;
use crate::tui::update::Effect;
use crate::tui::widgets::{clean, marker, truncate};
use crate::tui::work::Workshop;

#[derive(Default)]
pub(crate) struct ReviewState {
    pub(crate) list: Window,
    pub(crate) filter: String,
    pub(crate) unanswered_only: bool,
    /// The rows the filter lets through, kept between frames.
    listed: Option<Listed>,
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

/// The questions listed under a filter, as positions in the asking sequence: worked out when
/// the answers or visibility (`Workshop::revision`) or the filter change, never per frame, so
/// a frame builds only the rows in view (about 100,000 questions at L).
struct Listed {
    revision: u64,
    unanswered_only: bool,
    /// Positions in `Workshop::sequence` (the workshop keeps it under the same revision), and
    /// the widest section name listed, in columns.
    shown: Filtered,
}

/// The listed questions, worked out again only when the workshop or the filter changed.
fn listed<'a>(
    cache: &'a mut Option<Listed>,
    st: (&str, bool),
    w: &Workshop,
    q: &Questionnaire,
) -> &'a Listed {
    let (filter, unanswered_only) = st;
    let needle = filter.to_lowercase();
    let fresh = cache.as_ref().is_some_and(|l| {
        l.revision == w.revision && l.shown.filter == needle && l.unanswered_only == unanswered_only
    });
    if !fresh {
        let earlier = match cache.take().filter(|l| l.revision == w.revision) {
            Some(l) if l.unanswered_only == unanswered_only => Some(l.shown),
            _ => None,
        };
        let seq = w.sequence();
        let shown = {
            let keep = keeper(seq, &needle, unanswered_only, w, q);
            match earlier {
                Some(e) => e.refilter(needle.clone(), seq.len(), keep),
                None => Filtered::all(needle.clone(), seq.len(), keep),
            }
        };
        *cache = Some(Listed {
            revision: w.revision,
            unanswered_only,
            shown,
        });
    }
    cache.get_or_insert_with(|| Listed {
        revision: w.revision,
        unanswered_only,
        shown: Filtered::default(),
    })
}

/// Whether the question at a position of `seq` is listed, and its section's width.
fn keeper<'a>(
    seq: &'a [(EntityId, usize)],
    needle: &'a str,
    unanswered_only: bool,
    w: &'a Workshop,
    q: &'a Questionnaire,
) -> impl FnMut(usize) -> Option<usize> + 'a {
    let questions: Vec<String> = if needle.is_empty() {
        Vec::new()
    } else {
        q.questions.iter().map(|x| x.text.to_lowercase()).collect()
    };
    // The sequence goes entity by entity: each section's name is looked at once.
    let mut section: Option<(&EntityId, String, usize)> = None;
    move |i| {
        #[cfg(test)]
        list::counted::add(&list::counted::EXAMINED);
        let (e, qi) = seq.get(i)?;
        let question = &q.questions[*qi];
        let answer = w.answer(e, &question.id);
        let unanswered = matches!(answer.map(|a| &a.value), None | Some(Value::Unknown));
        if unanswered_only && !unanswered {
            return None;
        }
        if section.as_ref().is_none_or(|(se, _, _)| *se != e) {
            let name = section_name(w, e);
            let width = crate::text::width(&crate::text::clean(&name));
            section = Some((e, name.to_lowercase(), width));
        }
        let (_, sec_lower, sec_width) = section.as_ref()?;
        let keep = needle.is_empty()
            || questions.get(*qi).is_some_and(|t| t.contains(needle))
            || sec_lower.contains(needle)
            || answer.is_some_and(|a| a.value.display(question).to_lowercase().contains(needle));
        keep.then_some(*sec_width)
    }
}

fn section_name(w: &Workshop, e: &EntityId) -> String {
    match e {
        EntityId::Engagement => "Engagement".to_string(),
        other => w.session.entity_name(other),
    }
}

/// The row of one question of the sequence.
fn row(w: &Workshop, q: &Questionnaire, (e, qi): &(EntityId, usize)) -> ReviewRow {
    #[cfg(test)]
    list::counted::add(&list::counted::BUILT);
    let question = &q.questions[*qi];
    ReviewRow {
        entity: e.clone(),
        qidx: *qi,
        section: section_name(w, e),
        question: question.text.clone(),
        answer: w.answer(e, &question.id).map(|a| a.value.display(question)),
        has_note: w.session.note(e, &question.id).is_some(),
    }
}

impl App {
    /// Every listed row, built (tests: the screen builds only the rows in view).
    #[cfg(test)]
    pub(crate) fn review_rows(&mut self) -> Vec<ReviewRow> {
        let Some(w) = &self.work else {
            return Vec::new();
        };
        let st = (self.review.filter.as_str(), self.review.unanswered_only);
        let l = listed(&mut self.review.listed, st, w, &self.q);
        l.shown
            .at
            .iter()
            .filter_map(|&i| w.sequence().get(i))
            .map(|e| row(w, &self.q, e))
            .collect()
    }

    /// How many rows are listed, and the row at `i`.
    pub(crate) fn review_row(&mut self, i: usize) -> (usize, Option<ReviewRow>) {
        let Some(w) = &self.work else {
            return (0, None);
        };
        let st = (self.review.filter.as_str(), self.review.unanswered_only);
        let l = listed(&mut self.review.listed, st, w, &self.q);
        let r = l
            .shown
            .at
            .get(i)
            .and_then(|&k| w.sequence().get(k))
            .map(|e| row(w, &self.q, e));
        (l.shown.at.len(), r)
    }
}

pub(crate) fn set_filter(app: &mut App, text: String) {
    app.review.filter = text;
    app.review.list.cursor = 0;
}

pub(crate) fn update(app: &mut App, action: Action) -> Vec<Effect> {
    match action {
        Action::Cmd(cmd) if list::is_move(cmd) => {
            let (len, _) = app.review_row(0);
            app.review.list.select(cmd, len);
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
            if let (_, Some(row)) = app.review_row(app.review.list.cursor) {
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
    let Some(w) = &app.work else { return };
    let q = &app.q;
    let st = (app.review.filter.as_str(), app.review.unanswered_only);
    let l = listed(&mut app.review.listed, st, w, q);
    let n = l.shown.at.len();
    let cursor = app.review.list.cursor.min(n.saturating_sub(1));
    // Below the list, the focused row whole: at 80 columns a row shows a third of a question
    // and of a long answer, and a long name's middle is cut (Relaymint QA).
    let focused = (n > 0).then(|| row(w, q, &w.sequence()[l.shown.at[cursor]]));
    let (area, detail) = if area.height >= 12 && focused.is_some() {
        let [a, d] = Layout::vertical([Constraint::Min(5), Constraint::Length(4)]).areas(area);
        (a, Some(d))
    } else {
        (area, None)
    };
    if let (Some(r), Some(d)) = (&focused, detail) {
        let note = w.session.note(&r.entity, &q.questions[r.qidx].id);
        let mut lines = vec![
            Line::from(vec![
                Span::styled(format!("{}: ", clean(&r.section)), t.bold()),
                Span::raw(clean(&r.question)),
            ]),
            Line::from(vec![
                Span::styled("Answer: ", t.bold()),
                match &r.answer {
                    None => Span::styled("not answered yet", t.warn()),
                    Some(a) => Span::raw(clean(a)),
                },
            ]),
        ];
        if let Some(note) = note {
            lines.push(Line::from(vec![
                Span::styled("Note: ", t.bold()),
                Span::raw(clean(note)),
            ]));
        }
        frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: true }), d);
    }
    let width = area.width.saturating_sub(4) as usize;
    // The section column is as wide as its longest name needs, up to a quarter of the row.
    let longest = l.shown.longest;
    let sec_w = longest.clamp(10, (width / 4).max(10));
    let ans_w = (width / 4).clamp(10, 30);
    let q_w = width.saturating_sub(sec_w + ans_w + 6);
    let mut title = format!(" All answers ({n}) ");
    if app.review.unanswered_only {
        title = format!(" Unanswered or unknown ({n}) ");
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
    if n == 0 {
        let msg = if app.review.unanswered_only {
            "Everything visible is answered. f shows all."
        } else {
            "Nothing matches."
        };
        frame.render_widget(Paragraph::new(msg).block(block), area);
        return;
    }
    let hit = list::draw(
        frame,
        area,
        &mut app.review.list,
        n,
        Look::select(t, Some(block)),
        Some(HitList::Review),
        |i, _| {
            let r = row(w, q, &w.sequence()[l.shown.at[i]]);
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
