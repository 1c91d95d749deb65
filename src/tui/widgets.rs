//! Small drawing helpers shared by the screens, and sanitising of text before it is drawn.

use ratatui::layout::{Constraint, Flex, Layout, Rect};
use ratatui::text::{Line, Span};

use super::theme::Theme;
use crate::text::width;

/// One line of user or questionnaire text, safe to draw (the one sanitiser, `crate::text`).
pub(crate) use crate::text::clean;

/// Shortens to `width` display columns with an ellipsis.
pub(crate) use crate::text::truncate;

/// A box of at most `w` x `h` in the middle of `area`.
pub(crate) fn centered(area: Rect, w: u16, h: u16) -> Rect {
    let [v] = Layout::vertical([Constraint::Length(h.min(area.height))])
        .flex(Flex::Center)
        .areas(area);
    let [c] = Layout::horizontal([Constraint::Length(w.min(area.width))])
        .flex(Flex::Center)
        .areas(v);
    c
}

/// Footer hints as one line: `key hint  key hint`, cut to fit; help and quit are always shown
/// (at the end), so the way to every other key is never cut off.
pub(crate) fn hint_line(theme: &Theme, hints: &[(&str, &str)], width: u16) -> Line<'static> {
    let pinned = |h: &str| h == "help" || h == "quit";
    let len = |k: &str, h: &str| crate::text::width(k) + crate::text::width(h) + 3;
    let reserved: usize = hints
        .iter()
        .filter(|(_, h)| pinned(h))
        .map(|(k, h)| len(k, h))
        .sum();
    let mut spans = Vec::new();
    let mut used = reserved;
    let rest = hints.iter().filter(|(_, h)| !pinned(h));
    for (key, hint) in rest.chain(hints.iter().filter(|(_, h)| pinned(h))) {
        let l = len(key, hint);
        if !pinned(hint) {
            if used + l > width as usize {
                continue;
            }
            used += l;
        }
        spans.push(Span::styled(key.to_string(), theme.key()));
        spans.push(Span::raw(format!(" {hint}  ")));
    }
    Line::from(spans)
}

/// The focus marker: never colour alone.
pub(crate) fn marker(focused: bool) -> &'static str {
    if focused { "> " } else { "  " }
}

/// Word-wraps `text` to `columns` display columns (a word longer than that gets a line of its
/// own).
pub(crate) fn wrap(text: &str, columns: usize) -> Vec<String> {
    let mut out = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        let len = width(&line);
        if len > 0 && len + 1 + width(word) > columns {
            out.push(std::mem::take(&mut line));
        } else if len > 0 {
            line.push(' ');
        }
        line.push_str(word);
    }
    out.push(line);
    out
}

/// Word-wraps with a first line of `first` columns and further lines of `rest` columns (for
/// text that hangs under a bullet).
pub(crate) fn wrap_hanging(text: &str, first: usize, rest: usize) -> Vec<String> {
    let mut out = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        let columns = if out.is_empty() { first } else { rest };
        let len = width(&line);
        if len > 0 && len + 1 + width(word) > columns {
            out.push(std::mem::take(&mut line));
        } else if len > 0 {
            line.push(' ');
        }
        line.push_str(word);
    }
    out.push(line);
    out
}
