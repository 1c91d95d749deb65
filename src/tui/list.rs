//! The one windowed list, for every list and scrollable text of the app: it builds and draws
//! only the items in view (as bottom's data table does), keeps the cursor in view, pages by
//! what was on screen, and says when there is more above or below.
//!
//! Three uses, one state:
//! - a list to choose from ([`Window::select`]): the cursor is an item;
//! - a text to read ([`Window::scroll`]): no cursor, line and page scrolling;
//! - a text with items to act on ([`Window::browse`], the drill-down): ↑/↓ select the next
//!   such item when it is on screen and otherwise scroll one line, so reading never skips text.

use std::cell::Cell;

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::Line;
use ratatui::widgets::{Block, Paragraph};

use super::app::{Hit, HitList};
use super::keymap::Cmd;
use super::theme::Theme;

/// What the last frame showed, so keys page by what was on screen.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Seen {
    /// Rows the items had.
    rows: usize,
    /// Items that fitted, from the offset.
    items: usize,
    /// The largest useful offset (the last items fill the rows).
    max_offset: usize,
}

/// Where a list or a text is: the highlighted item and the first one on screen.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Window {
    /// The selected item (lists) or highlighted item (a text with items to act on).
    pub(crate) cursor: usize,
    /// The first item drawn.
    pub(crate) offset: usize,
    seen: Cell<Seen>,
    /// The next frame brings the cursor into view (a text being browsed is not otherwise
    /// moved to it).
    reveal: bool,
}

/// How the cursor shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    /// Every item can be selected; the cursor is kept in view.
    Select,
    /// A text: no cursor.
    Read,
    /// A text whose cursor item (if it can be acted on) is highlighted where it is; the view
    /// is not moved to it.
    Browse,
}

/// How a list is drawn.
pub(crate) struct Look<'a> {
    pub(crate) block: Option<Block<'a>>,
    pub(crate) focus: Style,
    /// The highlighted item is drawn with `focus` (lists shown but not focused: no).
    pub(crate) highlight: bool,
    pub(crate) mode: Mode,
    /// Shown in the marker line or the block's bottom-right corner.
    pub(crate) marker_style: Style,
    /// In a text being browsed: the items that can be acted on (highlighted when in view).
    pub(crate) actionable: Option<&'a dyn Fn(usize) -> bool>,
}

impl<'a> Look<'a> {
    /// A list to pick from: the highlighted item drawn in the theme's focus style.
    pub(crate) fn select(t: Theme, block: Option<Block<'a>>) -> Look<'a> {
        Look {
            block,
            focus: t.focus(),
            highlight: true,
            mode: Mode::Select,
            marker_style: t.dim(),
            actionable: None,
        }
    }
}

impl Window {
    /// The page: items that fitted last time, less one kept for context.
    fn page(&self) -> usize {
        self.seen.get().items.saturating_sub(1).max(1)
    }

    /// Puts the cursor on `i` and brings it into view.
    pub(crate) fn focus(&mut self, i: usize) {
        self.cursor = i;
        self.reveal = true;
    }

    /// Moves the cursor of a list of `len` items; `false` for a command that does not move.
    pub(crate) fn select(&mut self, cmd: Cmd, len: usize) -> bool {
        if len == 0 {
            self.cursor = 0;
            return is_move(cmd);
        }
        let last = len - 1;
        self.cursor = match cmd {
            Cmd::Up => self.cursor.saturating_sub(1),
            Cmd::Down => (self.cursor + 1).min(last),
            Cmd::PageUp => self.cursor.saturating_sub(self.page()),
            Cmd::PageDown => (self.cursor + self.page()).min(last),
            Cmd::Top => 0,
            Cmd::Bottom => last,
            _ => return false,
        };
        true
    }

    /// Scrolls a text of `len` items by a line or a page; `false` for a command that does not.
    pub(crate) fn scroll(&mut self, cmd: Cmd, len: usize) -> bool {
        let max = self.max_offset(len);
        self.offset = match cmd {
            Cmd::Up => self.offset.saturating_sub(1),
            Cmd::Down => (self.offset + 1).min(max),
            Cmd::PageUp => self.offset.saturating_sub(self.page()),
            Cmd::PageDown => (self.offset + self.page()).min(max),
            Cmd::Top => 0,
            Cmd::Bottom => max,
            _ => return false,
        };
        true
    }

    fn max_offset(&self, len: usize) -> usize {
        let seen = self.seen.get();
        if seen.rows == 0 {
            // Not drawn yet: anything the draw will clamp.
            return len.saturating_sub(1);
        }
        seen.max_offset.min(len.saturating_sub(1))
    }

    /// Moves through a text with items to act on (`can_act`): ↓ highlights the next such item
    /// when it is on screen, else scrolls one line; PgUp/PgDn scroll a page and highlight the
    /// first such item in view; Home/End go to either end. Returns `false` for other commands.
    pub(crate) fn browse(&mut self, cmd: Cmd, len: usize, can_act: impl Fn(usize) -> bool) -> bool {
        if len == 0 {
            return is_move(cmd);
        }
        let seen = self.seen.get();
        let visible = seen.items.max(1);
        let last_visible = (self.offset + visible).min(len) - 1;
        match cmd {
            Cmd::Down => {
                let next = (self.cursor + 1..len).find(|&i| can_act(i));
                match next {
                    Some(i) if i <= last_visible => self.cursor = i,
                    _ => {
                        self.scroll(Cmd::Down, len);
                        if !can_act(self.cursor) || self.cursor < self.offset {
                            self.cursor = self.first_actionable(len, &can_act);
                        }
                    }
                }
            }
            Cmd::Up => {
                let prev = (0..self.cursor).rev().find(|&i| can_act(i));
                match prev {
                    Some(i) if i >= self.offset && can_act(self.cursor) => self.cursor = i,
                    Some(i) if i >= self.offset && self.cursor > last_visible => self.cursor = i,
                    _ => {
                        self.scroll(Cmd::Up, len);
                        if self.cursor > (self.offset + visible).min(len) - 1 {
                            self.cursor = self.last_actionable(len, &can_act);
                        }
                    }
                }
            }
            Cmd::PageDown | Cmd::PageUp | Cmd::Top | Cmd::Bottom => {
                self.scroll(cmd, len);
                self.cursor = if matches!(cmd, Cmd::Bottom) {
                    self.last_actionable(len, &can_act)
                } else {
                    self.first_actionable(len, &can_act)
                };
            }
            _ => return false,
        }
        true
    }

    /// The first item to act on in view (or the offset when there is none).
    fn first_actionable(&self, len: usize, can_act: &impl Fn(usize) -> bool) -> usize {
        let end = (self.offset + self.seen.get().items.max(1)).min(len);
        (self.offset..end)
            .find(|&i| can_act(i))
            .unwrap_or(self.offset)
    }

    fn last_actionable(&self, len: usize, can_act: &impl Fn(usize) -> bool) -> usize {
        let end = if self.offset >= self.max_offset(len) {
            len
        } else {
            (self.offset + self.seen.get().items.max(1)).min(len)
        };
        (self.offset..end)
            .rev()
            .find(|&i| can_act(i))
            .unwrap_or(self.offset)
    }

    /// Keeps the offset so that the cursor's item is in view, given each item's height.
    fn follow(&mut self, len: usize, rows: usize, height: &mut impl FnMut(usize) -> usize) {
        self.cursor = self.cursor.min(len.saturating_sub(1));
        if self.cursor < self.offset {
            self.offset = self.cursor;
            return;
        }
        // The smallest offset at which the items up to the cursor fit.
        let mut used = 0;
        let mut first = self.cursor;
        loop {
            used += height(first).max(1);
            if used > rows {
                first += 1;
                break;
            }
            if first == 0 {
                break;
            }
            first -= 1;
        }
        let first = first.min(self.cursor);
        self.offset = self.offset.max(first);
    }
}

/// Moves a cursor over `len` rows by a row, `page` rows or to either end (lists drawn by hand,
/// such as the import preview's columns).
pub(crate) fn move_cursor(cursor: &mut usize, len: usize, cmd: Cmd, page: usize) {
    if len == 0 {
        *cursor = 0;
        return;
    }
    let last = len - 1;
    *cursor = match cmd {
        Cmd::Up => cursor.saturating_sub(1),
        Cmd::Down => (*cursor + 1).min(last),
        Cmd::PageUp => cursor.saturating_sub(page.max(1)),
        Cmd::PageDown => (*cursor + page.max(1)).min(last),
        Cmd::Top => 0,
        Cmd::Bottom => last,
        _ => (*cursor).min(last),
    };
}

pub(crate) fn is_move(cmd: Cmd) -> bool {
    matches!(
        cmd,
        Cmd::Up | Cmd::Down | Cmd::PageUp | Cmd::PageDown | Cmd::Top | Cmd::Bottom
    )
}

/// Draws `len` items into `area` (inside `look.block`, if any): only those in view are built,
/// by `item(index, highlighted)`, each as its lines. Returns where each drawn item is, for
/// mouse clicks.
pub(crate) fn draw<'a>(
    frame: &mut Frame,
    area: Rect,
    w: &mut Window,
    len: usize,
    look: Look<'a>,
    list: Option<HitList>,
    mut item: impl FnMut(usize, bool) -> Vec<Line<'a>>,
) -> Option<Hit> {
    let inner = match &look.block {
        Some(b) => b.inner(area),
        None => area,
    };
    let rows = inner.height as usize;
    // Heights are measured by building the items: only those around the window are built.
    let mut cache: Vec<(usize, Vec<Line<'a>>)> = Vec::new();
    let mut lines_of = |i: usize, focused: bool| item(i, focused);
    if len == 0 || rows == 0 {
        w.seen.set(Seen {
            rows,
            items: 0,
            max_offset: 0,
        });
        if let Some(b) = look.block {
            frame.render_widget(b, area);
        }
        return None;
    }
    // Without a border, a marker line is kept at the bottom whenever not everything fits.
    let bare = look.block.is_none();
    let mut height = |i: usize| lines_of(i, false).len().max(1);
    let mut fits_all = true;
    {
        let mut used = 0;
        for i in 0..len {
            used += height(i);
            if used > rows {
                fits_all = false;
                break;
            }
        }
    }
    let item_rows = if bare && !fits_all {
        rows.saturating_sub(1).max(1)
    } else {
        rows
    };
    // The largest offset that still fills the rows: the last items, from the end.
    let max_offset = {
        let mut used = 0;
        let mut first = len;
        while first > 0 {
            let h = height(first - 1);
            if used + h > item_rows {
                break;
            }
            used += h;
            first -= 1;
        }
        first.min(len - 1)
    };
    match look.mode {
        Mode::Select => w.follow(len, item_rows, &mut height),
        Mode::Browse if w.reveal => w.follow(len, item_rows, &mut height),
        Mode::Read | Mode::Browse => {}
    }
    w.reveal = false;
    w.offset = w.offset.min(max_offset);
    // A text being browsed highlights an item to act on only while it is in view: the first
    // one in view when the highlighted one scrolled away.
    if look.mode == Mode::Browse
        && let Some(can_act) = look.actionable
    {
        let mut end = w.offset;
        let mut used = 0;
        while end < len && used < item_rows {
            used += height(end);
            end += 1;
        }
        if w.cursor < w.offset || w.cursor >= end || !can_act(w.cursor) {
            w.cursor = (w.offset..end).find(|&i| can_act(i)).unwrap_or(w.cursor);
        }
    }
    let highlighted = match look.mode {
        Mode::Read => None,
        Mode::Browse if look.actionable.is_some_and(|f| !f(w.cursor)) => None,
        _ if look.highlight => Some(w.cursor),
        _ => None,
    };
    let mut used = 0;
    let mut drawn: Vec<u16> = Vec::new();
    let mut i = w.offset;
    while i < len && used < item_rows {
        let lines = item(i, highlighted == Some(i));
        let h = lines.len().max(1);
        if used + h > item_rows && !drawn.is_empty() {
            break;
        }
        let shown = h.min(item_rows - used);
        cache.push((i, lines));
        drawn.push(shown as u16);
        used += shown;
        i += 1;
    }
    let last = w.offset + drawn.len();
    w.seen.set(Seen {
        rows: item_rows,
        items: drawn.len(),
        max_offset,
    });
    let above = w.offset > 0;
    let below = last < len;
    let marker = match (above, below) {
        (false, false) => None,
        (true, false) => Some("▲ more above".to_string()),
        (false, true) => Some("▼ more below".to_string()),
        (true, true) => Some("▲ more above · ▼ more below".to_string()),
    };
    if let Some(b) = look.block {
        let b = match &marker {
            Some(m) if !bare => {
                b.title_bottom(Line::styled(format!(" {m} "), look.marker_style).right_aligned())
            }
            _ => b,
        };
        frame.render_widget(b, area);
    }
    let mut y = inner.y;
    for ((idx, lines), h) in cache.into_iter().zip(&drawn) {
        let r = Rect {
            x: inner.x,
            y,
            width: inner.width,
            height: *h,
        };
        frame.render_widget(Paragraph::new(lines), r);
        if highlighted == Some(idx) {
            frame.buffer_mut().set_style(r, look.focus);
        }
        y += h;
    }
    if bare && let Some(m) = marker {
        let r = Rect {
            x: inner.x,
            y: inner.y + inner.height - 1,
            width: inner.width,
            height: 1,
        };
        frame.render_widget(Paragraph::new(Line::styled(m, look.marker_style)), r);
    }
    list.map(|list| Hit {
        list,
        area: inner,
        offset: w.offset,
        heights: drawn,
    })
}

/// What a filter let through (positions in the full list) and the widest item kept, with the
/// results of the shorter filters typed on the way to it: typing narrows the last result,
/// Backspace goes back to a kept one, so neither looks at every item again.
#[derive(Default)]
pub(crate) struct Filtered {
    pub(crate) filter: String,
    pub(crate) at: Vec<usize>,
    pub(crate) longest: usize,
    earlier: Vec<(String, Vec<usize>, usize)>,
}

/// How many shorter filters' results are kept.
const EARLIER: usize = 16;

impl Filtered {
    /// Every item of a list of `len` that `keep` lets through (`keep` gives the kept item's
    /// width).
    pub(crate) fn all(
        filter: String,
        len: usize,
        keep: impl FnMut(usize) -> Option<usize>,
    ) -> Filtered {
        Filtered::from_candidates(filter, 0..len, keep, Vec::new())
    }

    fn from_candidates(
        filter: String,
        candidates: impl IntoIterator<Item = usize>,
        mut keep: impl FnMut(usize) -> Option<usize>,
        earlier: Vec<(String, Vec<usize>, usize)>,
    ) -> Filtered {
        let mut longest = 0;
        let at = candidates
            .into_iter()
            .filter(|&i| match keep(i) {
                Some(w) => {
                    longest = longest.max(w);
                    true
                }
                None => false,
            })
            .collect();
        Filtered {
            filter,
            at,
            longest,
            earlier,
        }
    }

    /// The same list under another filter (items match a filter only by containing it, so a
    /// filter that contains an earlier one keeps a subset of that one's items).
    pub(crate) fn refilter(
        self,
        filter: String,
        len: usize,
        keep: impl FnMut(usize) -> Option<usize>,
    ) -> Filtered {
        let Filtered {
            filter: last,
            at,
            longest,
            mut earlier,
        } = self;
        if last == filter {
            return Filtered {
                filter,
                at,
                longest,
                earlier,
            };
        }
        earlier.push((last, at, longest));
        // The longest kept filter that this one equals or contains.
        while let Some((f, at, longest)) = earlier.pop() {
            if f == filter {
                return Filtered {
                    filter,
                    at,
                    longest,
                    earlier,
                };
            }
            if filter.contains(f.as_str()) {
                let candidates = at.clone();
                earlier.push((f, at, longest));
                if earlier.len() > EARLIER {
                    earlier.remove(0);
                }
                return Filtered::from_candidates(filter, candidates, keep, earlier);
            }
        }
        Filtered::all(filter, len, keep)
    }
}

/// Work the long lists do, counted for tests: "only what is visible" and "not again per
/// frame" are asserted by counting, never by timing.
#[cfg(test)]
pub(crate) mod counted {
    use std::cell::Cell;

    thread_local! {
        /// Items a filter looked at (Recommendation, Review), previews worked out (Conflicts),
        /// passes of the Inventory's filter over both lists.
        pub(crate) static EXAMINED: Cell<usize> = const { Cell::new(0) };
        /// Rows built to be drawn.
        pub(crate) static BUILT: Cell<usize> = const { Cell::new(0) };
    }

    pub(crate) fn add(c: &'static std::thread::LocalKey<Cell<usize>>) {
        c.with(|n| n.set(n.get() + 1));
    }

    /// (examined, built) since the last call.
    pub(crate) fn take() -> (usize, usize) {
        (
            EXAMINED.with(|n| n.replace(0)),
            BUILT.with(|n| n.replace(0)),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ratatui::Terminal;
    use ratatui::backend::TestBackend;

    fn render(w: &mut Window, len: usize, rows: u16, built: &mut Vec<usize>) -> String {
        let mut t = Terminal::new(TestBackend::new(30, rows)).unwrap();
        t.draw(|f| {
            draw(
                f,
                f.area(),
                w,
                len,
                Look {
                    block: None,
                    focus: Style::default(),
                    highlight: true,
                    mode: Mode::Select,
                    marker_style: Style::default(),
                    actionable: None,
                },
                None,
                |i, _| {
                    built.push(i);
                    vec![Line::raw(format!("item {i}"))]
                },
            );
        })
        .unwrap();
        let buf = t.backend().buffer().clone();
        (0..rows)
            .map(|y| {
                (0..30)
                    .map(|x| buf[(x, y)].symbol().to_string())
                    .collect::<String>()
            })
            .collect::<Vec<_>>()
            .join("\n")
    }

    #[test]
    fn only_the_rows_in_view_are_built_and_the_cursor_stays_in_view() {
        let mut w = Window::default();
        let mut built = Vec::new();
        render(&mut w, 100_000, 10, &mut built);
        // The first frame measures from the top: a window's worth, not the whole list.
        assert!(built.len() < 100, "{}", built.len());
        w.select(Cmd::Bottom, 100_000);
        built.clear();
        let text = render(&mut w, 100_000, 10, &mut built);
        assert!(text.contains("item 99999"), "{text}");
        assert!(text.contains("more above"), "{text}");
        // A page up puts the cursor on the first row in view; the next one scrolls.
        w.select(Cmd::PageUp, 100_000);
        w.select(Cmd::PageUp, 100_000);
        let text = render(&mut w, 100_000, 10, &mut built);
        assert!(text.contains("more above · ▼ more below"), "{text}");
    }
}
