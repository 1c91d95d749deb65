//! What opening a workshop can ask or say: it is open elsewhere (open read-only?), it is
//! damaged (open its backup?), or an error, whole, with what to do about it.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

use super::Modal;
use crate::tui::action::Action;
use crate::tui::app::App;
use crate::tui::keymap::Cmd;
use crate::tui::update::Effect;
use crate::tui::widgets::{clean, wrap, wrap_hanging};

pub(crate) fn update(app: &mut App, action: Action) -> Vec<Effect> {
    match (app.modal.take(), action) {
        (Some(Modal::Locked { path, .. }), Action::ConfirmYes) => vec![Effect::OpenReadOnly(path)],
        (Some(Modal::Damaged { path, .. }), Action::ConfirmYes) => {
            vec![Effect::RestoreBackup(path)]
        }
        (Some(Modal::Locked { path, .. }), Action::ConfirmNo) => {
            app.info(format!("Not opened: {}", path.display()));
            Vec::new()
        }
        (Some(Modal::Damaged { path, .. }), Action::ConfirmNo) => {
            app.info(format!("Not opened: {} is left as it was", path.display()));
            Vec::new()
        }
        (Some(Modal::Error { .. }), Action::Cmd(Cmd::Back)) => Vec::new(),
        (m, _) => {
            app.modal = m;
            Vec::new()
        }
    }
}

pub(crate) fn draw(frame: &mut Frame, app: &mut App, area: Rect) {
    let t = app.theme;
    let keys = super::key_lines(app);
    match &app.modal {
        Some(Modal::Locked { path, holder }) => {
            let who = holder
                .as_ref()
                .map_or_else(|| "another socscope process".to_string(), |h| h.to_string());
            let mut text = vec![
                Line::styled(clean(&path.display().to_string()), t.bold()),
                Line::raw(format!("is open in {}.", clean(&who))),
                Line::raw("Only one socscope changes a workshop at a time."),
                Line::raw(""),
            ];
            text.extend(keys);
            super::dialog(frame, area, text, " Workshop in use ", t.warn(), 80);
        }
        Some(Modal::Damaged {
            path,
            error,
            backup,
            aside,
        }) => {
            let mut text = vec![Line::styled(
                format!("{} cannot be opened:", clean(&path.display().to_string())),
                t.bold(),
            )];
            const MAX: usize = 6;
            let lines: Vec<&str> = error.lines().collect();
            for l in lines.iter().take(MAX) {
                text.push(Line::styled(format!("  {}", clean(l)), t.error()));
            }
            if lines.len() > MAX {
                text.push(Line::styled(
                    format!("  … {} more line(s)", lines.len() - MAX),
                    t.dim(),
                ));
            }
            text.push(Line::raw(format!(
                "Its backup {} (the previous save) is readable. Opening it keeps the damaged \
                 file untouched, as {}.",
                clean(&backup.display().to_string()),
                clean(&aside.display().to_string())
            )));
            text.push(Line::raw(""));
            text.extend(keys);
            super::dialog(frame, area, text, " Damaged session file ", t.error(), 90);
        }
        Some(Modal::Error {
            title,
            message,
            help,
        }) => {
            // The whole error and its help, wrapped: what to do is never cut off.
            let inner = area.width.saturating_sub(8).min(86) as usize;
            let mut text: Vec<Line> = Vec::new();
            for l in message.lines() {
                for w in wrap(&clean(l), inner) {
                    text.push(Line::styled(w, t.error()));
                }
            }
            if let Some(h) = help {
                text.push(Line::raw(""));
                for (i, w) in
                    wrap_hanging(&clean(h), inner.saturating_sub(6), inner.saturating_sub(6))
                        .into_iter()
                        .enumerate()
                {
                    let lead = if i == 0 { "Help: " } else { "      " };
                    text.push(Line::from(vec![Span::styled(lead, t.bold()), Span::raw(w)]));
                }
            }
            text.push(Line::raw(""));
            text.extend(keys);
            super::dialog(
                frame,
                area,
                text,
                &format!(" {} ", clean(title)),
                t.error(),
                90,
            );
        }
        _ => {}
    }
}
