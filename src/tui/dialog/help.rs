//! The `?` overlay: the keys of the screen below, from the keymap table (the same one the
//! footer uses).

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear};

use super::Modal;
use crate::tui::action::Action;
use crate::tui::app::App;
use crate::tui::keymap;
use crate::tui::list::{self, Look, Mode};
use crate::tui::update::Effect;
use crate::tui::widgets::{centered, wrap};

pub(crate) fn update(app: &mut App, action: Action) -> Vec<Effect> {
    let n = lines(app, 80).len();
    if let (Some(Modal::Help(w)), Action::Cmd(cmd)) = (app.modal.as_mut(), action)
        && !w.scroll(cmd, n)
    {
        app.modal = None;
    }
    Vec::new()
}

/// The overlay's text, wrapped to `width`.
fn lines(app: &App, width: usize) -> Vec<Line<'static>> {
    let t = app.theme;
    let ctx = app.ctx();
    let mut lines = vec![
        Line::styled(format!("Keys on this screen ({})", ctx.label()), t.bold()),
        Line::raw(""),
    ];
    let desc_w = width.saturating_sub(12).max(10);
    for b in keymap::bindings_for(ctx, app.work.is_some()) {
        for (i, part) in wrap(b.desc, desc_w).into_iter().enumerate() {
            let key = if i == 0 {
                format!("{:>8}  ", keymap::label(b, ctx))
            } else {
                " ".repeat(10)
            };
            lines.push(Line::from(vec![
                Span::styled(key, t.key()),
                Span::raw(part),
            ]));
        }
    }
    lines.push(Line::raw(""));
    lines.push(Line::styled(
        "In text boxes: type freely; Enter or Esc keeps the text. Notes: Esc or Ctrl-S.",
        t.dim(),
    ));
    lines.push(Line::styled(
        "Everything is saved after every change.",
        t.dim(),
    ));
    lines
}

pub(crate) fn draw(frame: &mut Frame, app: &mut App, area: Rect) {
    let t = app.theme;
    let box_ = centered(
        area,
        area.width.saturating_sub(4).min(90),
        area.height.saturating_sub(2),
    );
    let text = lines(app, box_.width as usize);
    frame.render_widget(Clear, box_);
    let block = Block::bordered().title(" Help ").border_style(t.accent());
    let Some(Modal::Help(w)) = app.modal.as_mut() else {
        return;
    };
    let n = text.len();
    list::draw(
        frame,
        box_,
        w,
        n,
        Look {
            block: Some(block),
            focus: t.focus(),
            highlight: false,
            mode: Mode::Read,
            marker_style: t.dim(),
            actionable: None,
        },
        None,
        |i, _| vec![text[i].clone()],
    );
}
