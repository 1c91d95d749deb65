//! Dialogs over the screen: text editor, confirmation, identity kind, access links.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, List, ListItem, ListState, Paragraph, Wrap};

use crate::session::{EntityId, Value};
use crate::tui::app::ImportPreview;
use crate::tui::app::{App, EditTarget, Modal, SecretField};
use crate::tui::changes::{PickRow, Picker};
use crate::tui::keymap::{self, Cmd, Ctx};
use crate::tui::widgets::{centered, clean, marker, truncate, wrap, wrap_hanging};

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
        Some(Modal::Error { .. }) => vec![("Enter/Esc", "close")],
        Some(Modal::Kind { .. }) => vec![("Enter/1-9", "choose"), ("Esc", "close")],
        Some(Modal::Links { .. }) => vec![("Space/Enter", "tick"), ("Esc", "done")],
        Some(Modal::Help { .. }) => vec![("↑/↓", "scroll"), ("Esc/?", "close")],
        Some(Modal::Compare(_)) => vec![
            ("Enter", "compare"),
            ("o", "a file by path"),
            ("Esc", "close"),
        ],
        // From the keymap table, leaving out what cannot be done now.
        Some(Modal::Import(p)) => keymap::bindings_for(Ctx::Import, false)
            .into_iter()
            .filter(|b| !b.hint.is_empty())
            .filter(|b| match b.cmd {
                Cmd::Select => p.plan.is_some(),
                Cmd::SkipBadRows => p.can_skip_bad_rows || p.skip_bad_rows,
                Cmd::OverwriteLive => p.keeps_live || p.overwrite,
                _ => true,
            })
            .map(|b| (b.label, b.hint))
            .collect(),
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
        Some(Modal::Import(p)) => import_preview(frame, app, p, area),
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
            text.push(key_line(&t, "Enter/Esc", "close"));
            dialog(
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

/// The import preview: a heading saying whether it can be imported (and if not, what to do),
/// the file's columns with the field each feeds (the highlighted one is changed with ←/→),
/// then the dry run below, scrolled with PgUp/PgDn.
fn import_preview(frame: &mut Frame, app: &App, p: &ImportPreview, area: Rect) {
    let t = app.theme;
    let w = area.width.saturating_sub(4).min(100);
    // Under the header, above the status line (which says what each key did) and the footer.
    let box_ = Rect {
        x: area.x + area.width.saturating_sub(w) / 2,
        y: area.y + 1,
        width: w,
        height: area.height.saturating_sub(3),
    };
    frame.render_widget(Clear, box_);
    let inner_w = w.saturating_sub(2).max(1) as usize;
    let inner_h = box_.height.saturating_sub(2) as usize;
    let block = Block::bordered()
        .title(format!(
            " Import {} ",
            truncate(&p.file_name(), (w as usize).saturating_sub(12))
        ))
        .title_bottom(if p.help {
            " any key: back "
        } else {
            " ?: all keys "
        })
        .border_style(if p.plan.is_some() {
            t.accent()
        } else {
            t.error()
        });
    let mut lines: Vec<Line> = Vec::new();
    if p.help {
        lines.push(Line::styled("Keys of the import preview", t.bold()));
        let desc_w = inner_w.saturating_sub(11).max(10);
        let own = keymap::bindings_for(Ctx::Import, false);
        for b in own.into_iter().filter(|b| b.ctx.contains(&Ctx::Import)) {
            for (i, part) in wrap(b.desc, desc_w).into_iter().enumerate() {
                let key = if i == 0 {
                    format!("{:>9}  ", b.label)
                } else {
                    " ".repeat(11)
                };
                lines.push(Line::from(vec![
                    Span::styled(key, t.key()),
                    Span::raw(part),
                ]));
            }
        }
        for l in hanging(
            "Also: Home/End first or last column · ? this list · q quit. Any key closes it.",
            inner_w,
        ) {
            lines.push(Line::styled(l, t.dim()));
        }
        frame.render_widget(Paragraph::new(lines).block(block), box_);
        return;
    }
    let (heading, style) = match (&p.plan, &p.problem) {
        (Some(_), _) if p.skip_bad_rows => (
            "Dry run without the bad rows: nothing has changed yet. y imports the rest, s puts \
             them back, Esc cancels."
                .to_string(),
            t.warn(),
        ),
        (Some(_), _) => (
            "Dry run: nothing has changed yet. y imports, Esc cancels.".to_string(),
            t.bold(),
        ),
        (None, Some(problem)) => (problem.clone(), t.error()),
        (None, None) => (
            "This file cannot be imported as it is.".to_string(),
            t.error(),
        ),
    };
    for l in hanging(&heading, inner_w) {
        lines.push(Line::styled(l, style));
    }
    // The columns: at most half the box, scrolled to keep the highlighted one in view.
    if p.columns.is_empty() {
        lines.push(Line::styled("The file has no columns to map.", t.dim()));
    } else {
        lines.push(Line::styled(
            truncate(
                "Columns of the file → the field each feeds (↑/↓ a column, ←/→ its field):",
                inner_w,
            ),
            t.dim(),
        ));
        let rows = p.columns.len().min((inner_h / 2).max(3));
        let first = p
            .cursor
            .saturating_sub(rows - 1)
            .min(p.columns.len() - rows);
        let col_w = p
            .columns
            .iter()
            .map(|c| c.chars().count() + 2)
            .max()
            .unwrap_or(0)
            .clamp(8, 26);
        for i in first..first + rows {
            let shown = crate::secrets::redacted(&p.columns[i]);
            let header = format!("\"{}\"", truncate(&shown, col_w - 2));
            let fc = p.resolved.as_ref().and_then(|r| r.field_of(i));
            let chosen = p
                .mapping
                .overrides
                .iter()
                .any(|(c, _)| c.trim() == p.columns[i].trim());
            let (field, field_style) = match fc {
                Some(c) if c.field == crate::import::Field::Name => (c.field.label(), t.bold()),
                Some(c) => (c.field.label(), ratatui::style::Style::default()),
                None => ("ignored", t.dim()),
            };
            let how = match (fc, chosen) {
                (_, true) => "(chosen)",
                (Some(_), false) => "(recognised)",
                (None, false) => "",
            };
            let sample = p
                .sample
                .get(i)
                .filter(|v| !v.is_empty())
                .map(|v| format!("e.g. {v}"))
                .unwrap_or_default();
            // marker, header, " → ", field and how, as laid out below.
            let room = inner_w.saturating_sub(2 + col_w + 3 + 14 + 13);
            let focused = i == p.cursor;
            let st = |s: ratatui::style::Style| if focused { t.focus() } else { s };
            lines.push(Line::from(vec![
                Span::styled(
                    format!("{}{:<col_w$} → ", marker(focused), header),
                    st(ratatui::style::Style::default()),
                ),
                Span::styled(format!("{field:<13} "), st(field_style)),
                Span::styled(format!("{how:<12} "), st(t.dim())),
                Span::styled(truncate(&sample, room), t.dim()),
            ]));
        }
        if rows < p.columns.len() {
            lines.push(Line::styled(
                format!(
                    "  (columns {}-{} of {}: ↑/↓ for more)",
                    first + 1,
                    first + rows,
                    p.columns.len()
                ),
                t.dim(),
            ));
        }
        if let Some(r) = &p.resolved {
            let missing: Vec<String> = r
                .fields
                .iter()
                .filter(|c| c.column.is_none())
                .map(|c| {
                    if c.field == crate::import::Field::Name {
                        "name (required)".to_string()
                    } else {
                        c.field.label().to_string()
                    }
                })
                .collect();
            if !missing.is_empty() {
                let text = format!("No column: {}", missing.join(", "));
                for l in hanging(&text, inner_w) {
                    lines.push(Line::styled(l, t.dim()));
                }
            }
        }
    }
    // The dry run, below the mapping.
    let rule = if p.plan.is_some() || !p.text.is_empty() {
        " Dry run (PgUp/PgDn) "
    } else {
        " Dry run "
    };
    let fill = inner_w.saturating_sub(rule.chars().count() + 2);
    lines.push(Line::styled(
        format!("──{rule}{}", "─".repeat(fill)),
        t.dim(),
    ));
    let top = lines.len();
    let mut body: Vec<Line> = Vec::new();
    if p.text.is_empty() && p.plan.is_none() {
        body.push(Line::styled(
            "Nothing to preview until a column feeds the name.",
            t.dim(),
        ));
    }
    // Only the lines up to the end of what is seen are wrapped (a large file's dry run is
    // long); each line left takes at least one row, which is enough to know how far it scrolls.
    let room = inner_h.saturating_sub(top);
    let want = p.scroll as usize + room;
    let mut text = p.text.lines();
    for l in text.by_ref() {
        for part in hanging(&clean(l), inner_w) {
            body.push(Line::raw(part));
        }
        if body.len() >= want {
            break;
        }
    }
    let max = (body.len() + text.count()).saturating_sub(room);
    let scroll = (p.scroll as usize).min(max);
    p.seen.set((
        u16::try_from(room).unwrap_or(u16::MAX),
        u16::try_from(max).unwrap_or(u16::MAX),
    ));
    lines.extend(body.into_iter().skip(scroll).take(room));
    frame.render_widget(Paragraph::new(lines).block(block), box_);
}

/// Wraps one line of text to `width`, continuation lines indented under the item: by the
/// line's own indent plus two.
fn hanging(line: &str, width: usize) -> Vec<String> {
    let indent = line.chars().take_while(|c| *c == ' ').count();
    let text = line.trim_start();
    if text.is_empty() {
        return vec![String::new()];
    }
    let hang = (indent + 2).min(width / 2);
    let first = width.saturating_sub(indent).max(1);
    let rest = width.saturating_sub(hang).max(1);
    let mut out: Vec<String> = Vec::new();
    for part in wrap_hanging(text, first, rest) {
        // A word longer than the line (a path, a long list) is broken where the line ends.
        let mut chars: Vec<char> = part.chars().collect();
        loop {
            let (pad, room) = if out.is_empty() {
                (indent.min(width / 2), first)
            } else {
                (hang, rest)
            };
            let tail = chars.split_off(chars.len().min(room));
            out.push(format!(
                "{}{}",
                " ".repeat(pad),
                chars.iter().collect::<String>()
            ));
            if tail.is_empty() {
                break;
            }
            chars = tail;
        }
    }
    out
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
