//! The full recommendation: summary, and every decision (Enter opens its rationale).

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Wrap};

use crate::engine::{Decision, Recommendation};
use crate::report::wording;
use crate::tui::action::Action;
use crate::tui::app::{App, HitList};
use crate::tui::dialog::editor::{self, EditTarget};
use crate::tui::keymap::{Cmd, Ctx};
use crate::tui::list::{self, Filtered, Look, Window};
use crate::tui::update::Effect;
use crate::tui::widgets::{clean, marker, truncate, wrap};

#[derive(Default)]
pub(crate) struct RecState {
    pub(crate) list: Window,
    pub(crate) filter: String,
    /// The decisions the filter lets through, kept between frames.
    listed: Option<Listed>,
}

/// The decisions listed under a filter, by position in `Recommendation::all_decisions`: worked
/// out when the recommendation (`Workshop::revision`) or the filter changes, never per frame,
/// so a frame builds only the rows in view (11,000 decisions at L).
struct Listed {
    revision: u64,
    /// Positions, and the widest title listed, in columns.
    shown: Filtered,
}

/// The decision at position `i` of `Recommendation::all_decisions`, without walking it.
fn nth(r: &Recommendation, i: usize) -> Option<&Decision> {
    let (n, s) = (r.decisions.len(), r.systems.len());
    if i < n {
        r.decisions.get(i)
    } else if i < n + s {
        r.systems.get(i - n).map(|x| &x.decision)
    } else {
        r.identities.get(i - n - s).map(|x| &x.decision)
    }
}

/// Confirmed gaps and unverified evidence of the system or identity at position `i`.
fn gaps_of(r: &Recommendation, i: usize) -> (usize, usize) {
    let n = r.decisions.len();
    let gaps = match i.checked_sub(n) {
        None => return (0, 0),
        Some(k) if k < r.systems.len() => &r.systems[k].gaps,
        Some(k) => match r.identities.get(k - r.systems.len()) {
            Some(x) => &x.gaps,
            None => return (0, 0),
        },
    };
    let confirmed = gaps
        .iter()
        .filter(|g| g.status == crate::engine::GapStatus::Confirmed)
        .count();
    (confirmed, gaps.len() - confirmed)
}

/// Whether a decision matches a filter (lower-cased), by title or outcome.
fn matches(d: &Decision, needle: &str) -> bool {
    needle.is_empty()
        || d.title().to_lowercase().contains(needle)
        || d.outcome.to_string().to_lowercase().contains(needle)
}

/// The listed decisions for this recommendation and filter, worked out again only when either
/// changed. A longer filter that contains the last one narrows the last result instead of going
/// through every decision again (typing stays instant at scale).
fn listed<'a>(
    cache: &'a mut Option<Listed>,
    filter: &str,
    revision: u64,
    r: &Recommendation,
) -> &'a Filtered {
    let needle = filter.to_lowercase();
    let fresh = cache
        .as_ref()
        .is_some_and(|l| l.revision == revision && l.shown.filter == needle);
    if !fresh {
        let len = r.all_decisions().count();
        let keep = |i: usize| {
            #[cfg(test)]
            list::counted::add(&list::counted::EXAMINED);
            let d = nth(r, i)?;
            matches(d, &needle).then(|| crate::text::width(&d.title()))
        };
        let shown = match cache.take() {
            Some(l) if l.revision == revision => l.shown.refilter(needle.clone(), len, keep),
            _ => Filtered::all(needle.clone(), len, keep),
        };
        *cache = Some(Listed { revision, shown });
    }
    let l = cache.get_or_insert_with(|| Listed {
        revision,
        shown: Filtered::default(),
    });
    &l.shown
}

impl App {
    /// How many decisions are listed, and the id of the one at `i`.
    pub(crate) fn listed_decision(&mut self, i: usize) -> (usize, Option<String>) {
        let Some(w) = &self.work else {
            return (0, None);
        };
        let r = w.rec(&self.q);
        let l = listed(&mut self.rec.listed, &self.rec.filter, w.revision, r);
        let id =
            l.at.get(i)
                .and_then(|&k| nth(r, k))
                .map(|d| d.id.to_string());
        (l.at.len(), id)
    }
}

pub(crate) fn set_filter(app: &mut App, text: String) {
    app.rec.filter = text;
    app.rec.list.cursor = 0;
}

pub(crate) fn update(app: &mut App, action: Action) -> Vec<Effect> {
    let Action::Cmd(cmd) = action else {
        return Vec::new();
    };
    let (len, _) = app.listed_decision(0);
    if app.rec.list.select(cmd, len) {
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
            if let (_, Some(id)) = app.listed_decision(app.rec.list.cursor) {
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
    let listed = listed(&mut app.rec.listed, &app.rec.filter, w.revision, r);
    let (at, longest) = (&listed.at, listed.longest);
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
    // Below the verdict and plans, each line with what it is, for the one line that names what
    // a short terminal leaves out.
    let mut extras: Vec<(&str, Line)> = Vec::new();
    // A few conflicts and findings by name, the rest counted: at scale there are thousands,
    // and the list of decisions (each marked ? shows its own) must keep its rows.
    for text in first_few(
        &r.conflicts,
        |c| {
            format!(
                "! Conflict: {} ({})",
                clean(&c.text),
                clean(&c.subject.name)
            )
        },
        |n| {
            format!(
                "! and {n} more conflicts (the drill-down of each decision they touch names them)"
            )
        },
    ) {
        extras.push(("conflicts", Line::styled(text, t.error())));
    }
    for text in first_few(
        &r.findings,
        |f| format!("Finding: {}", clean(&wording::finding(f))),
        |n| format!("and {n} more findings (in the export)"),
    ) {
        extras.push(("findings", Line::styled(text, t.warn())));
    }
    let labelled = |label: &'static str, text: String| {
        Line::from(vec![Span::styled(label, t.dim()), Span::raw(text)])
    };
    if let Some(sox) = &r.sox_note {
        extras.push(("the SOX note", labelled("SOX: ", clean(sox))));
    }
    if !r.subservices.is_empty() {
        // As many names as the box could show.
        let subs: Vec<String> = r
            .subservices
            .iter()
            .take(area.height as usize * area.width as usize / 4 + 1)
            .map(|x| format!("{} ({})", clean(&x.system.name), wording::method(x.method)))
            .collect();
        let line = labelled("Subservice organisations: ", subs.join(", "));
        extras.push(("subservice organisations", line));
    }
    if r.verdict != crate::engine::Verdict::None && !r.cuecs.is_empty() {
        let line = labelled(
            "Customers' own controls (CUECs): ",
            r.cuecs.len().to_string(),
        );
        extras.push(("CUECs", line));
    }
    if !r.frameworks.is_empty() {
        let names: Vec<String> = r
            .frameworks
            .iter()
            .filter_map(|f| f.framework.as_deref().map(clean))
            .collect();
        extras.push((
            "related frameworks",
            labelled("Related frameworks: ", names.join(", ")),
        ));
    }
    if let Some(h) = &app.compare.hint {
        let line = Line::styled(format!("{} — press c to compare", clean(h)), t.accent());
        extras.push(("a comparison hint", line));
    }
    // Lines wrap on narrow terminals. The list of decisions is what the facilitator works in:
    // it keeps ten rows (or all its decisions, when fewer) and the summary gets the rest, at
    // least a third of the screen, the verdict and plans always. At 80x24 a long summary left
    // the list six rows (one at 10,000 identities). What does not fit is named in one line.
    let rows = |l: &Line| wrap(&l.to_string(), area.width.max(1) as usize).len() as u16;
    let head: u16 = summary.iter().map(rows).sum();
    let list_rows = at.len().min(10) as u16 + 2;
    let budget = (area.height / 3)
        .max(area.height.saturating_sub(list_rows))
        .max(head)
        .min(area.height.saturating_sub(3));
    let all = head + extras.iter().map(|(_, l)| rows(l)).sum::<u16>();
    let mut used = head;
    let mut extras = extras.into_iter().peekable();
    while let Some((_, l)) = extras.next_if(|(_, l)| all <= budget || used + rows(l) < budget) {
        used += rows(&l);
        summary.push(l);
    }
    let mut left: Vec<&str> = extras.map(|(kind, _)| kind).collect();
    left.dedup();
    if !left.is_empty() {
        summary.push(Line::styled(
            format!(
                "… and {}: on a taller terminal and in the export (x)",
                left.join(", ")
            ),
            t.dim(),
        ));
    }
    let summary_h = summary
        .iter()
        .map(rows)
        .sum::<u16>()
        .min(area.height.saturating_sub(3));
    let [top, list_a] =
        Layout::vertical([Constraint::Length(summary_h), Constraint::Min(3)]).areas(area);
    frame.render_widget(Paragraph::new(summary).wrap(Wrap { trim: true }), top);

    let cursor = app.rec.list.cursor.min(at.len().saturating_sub(1));
    let width = list_a.width.saturating_sub(4) as usize;
    // Titles get what the longest needs, leaving the outcome at least 20 columns.
    let title_w = longest.min(width.saturating_sub(25)).clamp(16, 48);
    let title = if app.rec.filter.is_empty() {
        format!(" Decisions ({}) · ? = provisional ", at.len())
    } else {
        format!(" Decisions matching \"{}\" ", truncate(&app.rec.filter, 20))
    };
    let block = Block::bordered().title(title).border_style(t.border());
    if at.is_empty() {
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
        at.len(),
        Look::select(t, Some(block)),
        Some(HitList::Decisions),
        |i, _| {
            #[cfg(test)]
            list::counted::add(&list::counted::BUILT);
            let Some(d) = nth(r, at[i]) else {
                return Vec::new();
            };
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
                    &match gaps_of(r, at[i]) {
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

/// The first few of a list by name and the rest counted in one line; a list one longer than the
/// few is named whole (a "1 more" line would take the same row).
fn first_few<T>(
    items: &[T],
    name: impl Fn(&T) -> String,
    more: impl Fn(usize) -> String,
) -> Vec<String> {
    const NAMED: usize = 3;
    let shown = if items.len() > NAMED + 1 {
        NAMED
    } else {
        items.len()
    };
    let mut out: Vec<String> = items[..shown].iter().map(name).collect();
    if items.len() > shown {
        out.push(more(items.len() - shown));
    }
    out
}
