//! Dialogs over the screen: text editor, confirmation, identity kind, access links.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, List, ListItem, ListState, Paragraph, Wrap};

use crate::session::{EntityId, Value};
use crate::tui::app::{App, EditTarget, Modal, SecretField};
use crate::tui::changes::{PickRow, Picker};
use crate::tui::widgets::{centered, clean, marker, truncate};

/// The keys of the open dialog, for the footer and the line under a text box.
pub fn keys(app: &App) -> Vec<(&'static str, &'static str)> {
    match &app.modal {
        Some(Modal::Editor(ed)) => match &ed.target {
            EditTarget::Answer { .. } if app.questions.jumped => {
                vec![("Enter/Esc", "save"), ("C-u", "clear")]
            }
            EditTarget::Answer { .. } => vec![
                ("Enter", "save and go on"),
                ("Esc", "save and stay"),
                ("C-u", "clear"),
            ],
            EditTarget::Note { .. } => vec![("Esc/C-s", "keep the note"), ("Enter", "new line")],
            EditTarget::Field(_) => vec![("Enter", "save, next field"), ("Esc", "save")],
            EditTarget::NewWorkshop => vec![("Enter", "create"), ("Esc", "cancel")],
            EditTarget::OpenPath => vec![("Enter", "open"), ("Esc", "cancel")],
            EditTarget::AddSystem | EditTarget::AddIdentity => {
                vec![("Enter", "add"), ("Esc", "cancel")]
            }
            EditTarget::Rename(_) => vec![("Enter", "rename"), ("Esc", "cancel")],
            EditTarget::ImportPath => vec![("Enter", "preview the import"), ("Esc", "cancel")],
            EditTarget::ComparePath => vec![("Enter", "compare"), ("Esc", "cancel")],
            EditTarget::Filter(_) => vec![
                ("type", "filters as you go"),
                ("Enter/Esc", "done"),
                ("C-u", "clear"),
            ],
        },
        Some(Modal::Confirm { .. }) => vec![("y", "remove"), ("n/Esc", "keep")],
        Some(Modal::Secret(_)) => vec![("y", "keep as typed"), ("n/Enter/Esc", "keep redacted")],
        Some(Modal::Locked { .. }) => vec![("r", "open read-only"), ("Esc", "cancel")],
        Some(Modal::Damaged { .. }) => vec![("b", "open the backup"), ("Esc", "cancel")],
        Some(Modal::Kind { .. }) => vec![("Enter/1-9", "choose"), ("Esc", "close")],
        Some(Modal::Links { .. }) => vec![("Space/Enter", "tick"), ("Esc", "done")],
        Some(Modal::Help { .. }) => vec![("↑/↓", "scroll"), ("Esc/?", "close")],
        Some(Modal::Compare(_)) => vec![
            ("Enter", "compare"),
            ("o", "a file by path"),
            ("Esc", "close"),
        ],
        Some(Modal::Import(p)) => {
            let mut k = Vec::new();
            if p.plan.is_some() {
                k.push(("y/Enter", "import"));
            }
            if p.can_skip_bad_rows {
                k.push(("s", "skip the bad rows"));
            }
            k.push(("n/Esc", "cancel"));
            k.push(("↑/↓", "scroll"));
            k
        }
        None => Vec::new(),
    }
}

fn keys_text(app: &App) -> String {
    keys(app)
        .iter()
        .map(|(k, h)| format!("{k}: {h}"))
        .collect::<Vec<_>>()
        .join(" · ")
}

pub fn draw(frame: &mut Frame, app: &App, area: Rect) {
    let t = app.theme;
    match &app.modal {
        Some(Modal::Editor(ed)) => {
            let w = area.width.saturating_sub(6).min(90);
            let inner_w = w.saturating_sub(2).max(1) as usize;
            let h = if ed.multiline {
                area.height.saturating_sub(4).clamp(5, 14)
            } else {
                // Room for what is typed, so a long answer is seen whole (up to 4 rows).
                let len = ed.text().chars().count() + 1;
                (len.div_ceil(inner_w).clamp(1, 4) as u16) + 2
            };
            // A filter sits at the bottom, so the list it filters stays in view above it.
            let box_ = if matches!(ed.target, EditTarget::Filter(_)) {
                let y = area.y + area.height.saturating_sub(h + 3);
                Rect {
                    x: area.x + (area.width.saturating_sub(w)) / 2,
                    y,
                    width: w,
                    height: h + 1,
                }
            } else {
                centered(area, w, h + 1)
            };
            frame.render_widget(Clear, box_);
            let [edit, msg] =
                Layout::vertical([Constraint::Length(h), Constraint::Length(1)]).areas(box_);
            let mut ta = ed.area.clone();
            ta.set_block(
                Block::bordered()
                    .title(format!(" {} ", truncate(&ed.title, w as usize - 4)))
                    .border_style(t.accent()),
            );
            ta.set_cursor_line_style(ratatui::style::Style::default());
            ta.set_cursor_style(t.focus());
            frame.render_widget(&ta, edit);
            let line = match &ed.error {
                Some(e) => Line::styled(format!(" ! {}", clean(e)), t.error()),
                None => Line::styled(
                    format!(" {}", truncate(&keys_text(app), w as usize - 2)),
                    t.dim(),
                ),
            };
            frame.render_widget(Clear, msg);
            frame.render_widget(
                Paragraph::new(line).style(ratatui::style::Style::default()),
                msg,
            );
        }
        Some(Modal::Import(p)) => {
            let w = area.width.saturating_sub(4).min(100);
            let box_ = centered(area, w, area.height.saturating_sub(2));
            frame.render_widget(Clear, box_);
            let mut lines: Vec<Line> = Vec::new();
            let heading = if p.plan.is_some() {
                Line::styled(
                    "Dry run: nothing has changed yet. y imports, n or Esc cancels.",
                    t.bold(),
                )
            } else if p.can_skip_bad_rows {
                Line::styled(
                    "Some rows cannot be imported. s previews the import without them; Esc cancels.",
                    t.warn(),
                )
            } else {
                Line::styled(
                    "This file cannot be imported as it is. Esc closes.",
                    t.error(),
                )
            };
            lines.push(heading);
            lines.push(Line::raw(""));
            lines.extend(
                p.text
                    .lines()
                    .map(|l| Line::raw(clean(l)))
                    .collect::<Vec<_>>(),
            );
            let inner_h = box_.height.saturating_sub(2);
            let total = lines.len() as u16;
            let scroll = p.scroll.min(total.saturating_sub(inner_h));
            let block = Block::bordered()
                .title(format!(
                    " Import {} ",
                    truncate(&p.path.display().to_string(), w as usize - 12)
                ))
                .title_bottom(format!(" {} ", keys_text(app)))
                .border_style(if p.plan.is_some() {
                    t.accent()
                } else {
                    t.error()
                });
            frame.render_widget(
                Paragraph::new(lines)
                    .block(block)
                    .wrap(Wrap { trim: false })
                    .scroll((scroll, 0)),
                box_,
            );
        }
        Some(Modal::Confirm { message, .. }) => {
            let box_ = centered(area, area.width.saturating_sub(10).min(70), 6);
            frame.render_widget(Clear, box_);
            let text = vec![
                Line::raw(clean(message)),
                Line::raw(""),
                Line::from(vec![
                    Span::styled("y", t.key()),
                    Span::raw(" remove   "),
                    Span::styled("n/Esc", t.key()),
                    Span::raw(" keep"),
                ]),
            ];
            let block = Block::bordered().title(" Remove? ").border_style(t.error());
            frame.render_widget(
                Paragraph::new(text).block(block).wrap(Wrap { trim: true }),
                box_,
            );
        }
        Some(Modal::Kind { identity, cursor }) => {
            let Some(kq) = app.q.identity_kind_question() else {
                return;
            };
            let current = app
                .work
                .as_ref()
                .and_then(|w| w.answer(&EntityId::Identity(identity.clone()), &kq.id));
            let current = match current.map(|a| &a.value) {
                Some(Value::Text(s)) => Some(s.clone()),
                _ => None,
            };
            let items: Vec<ListItem> = kq
                .choices
                .iter()
                .enumerate()
                .map(|(i, c)| {
                    let mark = if current.as_deref() == Some(c.id.as_str()) {
                        "(•)"
                    } else {
                        "( )"
                    };
                    let num = if i < 9 {
                        format!("{} ", i + 1)
                    } else {
                        "  ".into()
                    };
                    ListItem::new(format!(
                        "{}{num}{mark} {}",
                        marker(i == *cursor),
                        clean(&c.label)
                    ))
                })
                .collect();
            let name = app
                .work
                .as_ref()
                .map(|w| w.session.entity_name(&EntityId::Identity(identity.clone())))
                .unwrap_or_default();
            picker(
                frame,
                app,
                area,
                format!(" Kind of {} ", truncate(&name, 30)),
                items,
                *cursor,
                " Enter/1-9 choose · Esc close ",
            );
        }
        Some(Modal::Links { identity, cursor }) => {
            let Some(w) = &app.work else { return };
            let Some(ident) = w.session.identity(identity) else {
                return;
            };
            let items: Vec<ListItem> = w
                .session
                .systems
                .iter()
                .enumerate()
                .map(|(i, s)| {
                    let mark = if ident.systems.contains(&s.id) {
                        "[x]"
                    } else {
                        "[ ]"
                    };
                    ListItem::new(format!("{}{mark} {}", marker(i == *cursor), clean(&s.name)))
                })
                .collect();
            let title = format!(" Systems {} can access ", truncate(&ident.name, 30));
            picker(
                frame,
                app,
                area,
                title,
                items,
                *cursor,
                " Space tick · Enter/Esc done ",
            );
        }
        Some(Modal::Compare(p)) => compare_picker(frame, app, p, area),
        Some(Modal::Secret(c)) => {
            let what = match c.field {
                SecretField::Answer => "this answer",
                SecretField::Note => "this note",
            };
            let text = vec![
                Line::from(vec![
                    Span::raw(format!("Possible secret in {what}: ")),
                    Span::styled(clean(&c.kinds), t.bold()),
                    Span::raw("."),
                ]),
                Line::from(vec![
                    Span::raw("Stored redacted as "),
                    Span::styled(clean(&c.stored), t.bold()),
                ]),
                Line::raw("Keep it as typed instead?"),
                Line::raw(""),
                key_line(
                    &t,
                    "y",
                    "keep as typed (in the session file only: it is still never exported)",
                ),
                key_line(&t, "n/Enter/Esc", "keep redacted (recommended)"),
            ];
            dialog(frame, area, text, " Possible secret ", t.warn(), 76);
        }
        Some(Modal::Locked { path, holder }) => {
            let who = holder
                .as_ref()
                .map_or_else(|| "another socscope process".to_string(), |h| h.to_string());
            let text = vec![
                Line::styled(clean(&path.display().to_string()), t.bold()),
                Line::raw(format!("is open in {}.", clean(&who))),
                Line::raw("Only one socscope changes a workshop at a time."),
                Line::raw(""),
                key_line(
                    &t,
                    "r",
                    "open it read-only: view, recommendation and export work; changes are refused",
                ),
                key_line(&t, "Esc", "cancel"),
            ];
            dialog(frame, area, text, " Workshop in use ", t.warn(), 80);
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
                "Its backup {} (the previous save) is readable.",
                clean(&backup.display().to_string())
            )));
            text.push(Line::raw(""));
            text.push(key_line(
                &t,
                "b",
                &format!(
                    "open the backup instead (the damaged file is kept untouched, as {})",
                    clean(&aside.display().to_string())
                ),
            ));
            text.push(key_line(&t, "Esc", "cancel (nothing changes)"));
            dialog(frame, area, text, " Damaged session file ", t.error(), 90);
        }
        _ => {}
    }
}

fn key_line<'a>(t: &crate::tui::theme::Theme, key: &'a str, what: &str) -> Line<'a> {
    Line::from(vec![
        Span::styled(key, t.key()),
        Span::raw(format!("  {what}")),
    ])
}

/// How many rows `text` takes when word-wrapped at `width` (as `Wrap { trim: false }` does, or
/// a little more: a word longer than the line is counted as broken at the width).
fn wrapped_rows(text: &str, width: usize) -> usize {
    let width = width.max(1);
    let (mut rows, mut used) = (1, 0);
    for word in text.split_inclusive(' ') {
        let mut n = word.chars().count();
        if used > 0 && used + n > width {
            rows += 1;
            used = 0;
        }
        while n > width {
            rows += 1;
            n -= width;
        }
        used += n;
    }
    rows
}

/// A centred box with wrapped text, as tall as the text needs (within the screen).
fn dialog(
    frame: &mut Frame,
    area: Rect,
    text: Vec<Line>,
    title: &str,
    border: ratatui::style::Style,
    max_width: u16,
) {
    let w = area.width.saturating_sub(6).min(max_width);
    let inner = w.saturating_sub(2).max(1) as usize;
    let rows: usize = text
        .iter()
        .map(|l| {
            let s: String = l.spans.iter().map(|s| s.content.as_ref()).collect();
            wrapped_rows(&s, inner)
        })
        .sum();
    let h = (rows as u16 + 2).min(area.height.saturating_sub(2));
    let box_ = centered(area, w, h);
    frame.render_widget(Clear, box_);
    let block = Block::bordered()
        .title(title.to_string())
        .border_style(border);
    frame.render_widget(
        Paragraph::new(text).block(block).wrap(Wrap { trim: false }),
        box_,
    );
}

/// "Compare with another session": same organisation first, then the others, then a file.
fn compare_picker(frame: &mut Frame, app: &App, p: &Picker, area: Rect) {
    let t = app.theme;
    let w = area.width.saturating_sub(10).min(80) as usize;
    let inner = w.saturating_sub(4);
    let org_w = (inner / 3).clamp(10, 30);
    let mut items: Vec<ListItem> = p
        .rows
        .iter()
        .enumerate()
        .map(|(i, row)| {
            let m = marker(i == p.cursor);
            match row {
                PickRow::OpenFile => ListItem::new(format!("{m}  Open a file…")),
                PickRow::Session {
                    path,
                    error: Some(e),
                    ..
                } => {
                    let name = path
                        .file_name()
                        .map(|n| n.to_string_lossy().into_owned())
                        .unwrap_or_default();
                    ListItem::new(Line::styled(
                        format!(
                            "{m}  (unreadable) {}",
                            truncate(&format!("{name}: {e}"), inner.saturating_sub(16))
                        ),
                        t.error(),
                    ))
                }
                PickRow::Session {
                    path,
                    organisation,
                    updated,
                    same_org,
                    ..
                } => {
                    let org = if organisation.is_empty() {
                        "(no organisation)"
                    } else {
                        organisation
                    };
                    let name = path
                        .file_name()
                        .map(|n| n.to_string_lossy().into_owned())
                        .unwrap_or_default();
                    let mark = if *same_org { "★ " } else { "  " };
                    ListItem::new(Line::from(vec![
                        Span::raw(m),
                        Span::styled(mark, t.accent()),
                        Span::styled(format!("{:<org_w$}", truncate(org, org_w)), t.bold()),
                        Span::raw(format!(" {} ", updated.format("%Y-%m-%d"))),
                        Span::styled(truncate(&name, inner.saturating_sub(org_w + 16)), t.dim()),
                    ]))
                }
            }
        })
        .collect();
    if let Some(e) = &p.error {
        items.insert(
            0,
            ListItem::new(Line::styled(
                format!("  ! Could not list saved sessions: {}", clean(e)),
                t.error(),
            )),
        );
    }
    let cursor = p.cursor + usize::from(p.error.is_some());
    let h = (items.len() as u16 + 2).min(area.height.saturating_sub(2));
    let box_ = centered(area, w as u16, h);
    frame.render_widget(Clear, box_);
    let block = Block::bordered()
        .title(" Compare with another session (★ same organisation) ")
        .title_bottom(" Enter compare · o file · Esc close ")
        .border_style(t.accent());
    let mut state = ListState::default().with_selected(Some(cursor));
    frame.render_stateful_widget(
        List::new(items).block(block).highlight_style(t.focus()),
        box_,
        &mut state,
    );
}

fn picker(
    frame: &mut Frame,
    app: &App,
    area: Rect,
    title: String,
    items: Vec<ListItem>,
    cursor: usize,
    keys: &str,
) {
    let t = app.theme;
    let h = (items.len() as u16 + 2).min(area.height.saturating_sub(2));
    let box_ = centered(area, area.width.saturating_sub(10).min(60), h);
    frame.render_widget(Clear, box_);
    let block = Block::bordered()
        .title(title)
        .title_bottom(keys.to_string())
        .border_style(t.accent());
    let mut state = ListState::default().with_selected(Some(cursor));
    frame.render_stateful_widget(
        List::new(items).block(block).highlight_style(t.focus()),
        box_,
        &mut state,
    );
}
