//! "Possible secret": typed text that looked like a secret was stored redacted; `y` keeps it
//! as typed instead.

use chrono::Utc;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

use super::Modal;
use crate::session::{EntityId, Secrets, Value};
use crate::tui::action::Action;
use crate::tui::app::App;
use crate::tui::update::Effect;
use crate::tui::widgets::clean;

/// Which text of an answer a [`SecretChoice`] is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecretField {
    Answer,
    Note,
}

/// The choice offered after a redaction. `typed` is the text as typed: it lives only here, in
/// memory, until the choice is made (`y` stores it, marked `secret_override`; anything else
/// drops it). No `Debug`, so it cannot end up in a log by accident.
pub struct SecretChoice {
    pub entity: EntityId,
    pub qid: String,
    pub field: SecretField,
    pub typed: String,
    /// What was found, as people read it ("GitHub token").
    pub kinds: String,
    /// What was stored instead (`ghp_…[REDACTED github-token]`).
    pub stored: String,
}

impl SecretChoice {
    pub(crate) fn new(
        entity: EntityId,
        qid: String,
        field: SecretField,
        typed: String,
        found: &[crate::secrets::Finding],
    ) -> SecretChoice {
        let mut kinds: Vec<&str> = Vec::new();
        for f in found {
            if !kinds.contains(&f.kind.label()) {
                kinds.push(f.kind.label());
            }
        }
        let stored: Vec<&str> = found.iter().map(|f| f.redacted.as_str()).collect();
        SecretChoice {
            entity,
            qid,
            field,
            typed,
            kinds: kinds.join(", "),
            stored: stored.join(", "),
        }
    }
}

/// After a redaction: asks whether to keep the text as typed instead (redacted stays the
/// default). The typed text stays in the dialog, in memory, until the choice is made.
pub(crate) fn offer(
    app: &mut App,
    e: &EntityId,
    qid: String,
    field: SecretField,
    typed: String,
    found: &[crate::secrets::Finding],
) {
    app.modal = Some(Modal::Secret(Box::new(SecretChoice::new(
        e.clone(),
        qid,
        field,
        typed,
        found,
    ))));
}

pub(crate) fn update(app: &mut App, action: Action) -> Vec<Effect> {
    match action {
        Action::ConfirmYes => keep_as_typed(app),
        Action::ConfirmNo => {
            if let Some(Modal::Secret(c)) = app.modal.take() {
                app.info(format!(
                    "Kept redacted: stored as {} (what was typed is not kept).",
                    c.stored
                ));
            }
            Vec::new()
        }
        _ => Vec::new(),
    }
}

/// `y`: stores the text as typed, marked `secret_override` (exports still redact it).
fn keep_as_typed(app: &mut App) -> Vec<Effect> {
    let Some(Modal::Secret(c)) = app.modal.take() else {
        return Vec::new();
    };
    let SecretChoice {
        entity,
        qid,
        field,
        typed,
        kinds,
        ..
    } = *c;
    let Some(w) = app.work.as_mut() else {
        return Vec::new();
    };
    let now = Utc::now();
    let result = match field {
        SecretField::Answer => match app.q.question_index(&qid) {
            Some(qi) => w
                .session
                .set_answer_with(
                    &app.q.questions[qi],
                    &entity,
                    Value::Text(typed),
                    now,
                    Secrets::KeepAsTyped,
                )
                .map(|_| ()),
            None => Err(format!("no question `{qid}`")),
        },
        SecretField::Note => {
            w.session
                .set_note_with(&qid, &entity, &typed, now, Secrets::KeepAsTyped);
            Ok(())
        }
    };
    match result {
        Ok(()) => {
            w.refresh(&app.q);
            app.ensure_question();
            app.info(format!(
                "Kept as typed ({kinds}): saved in the session file, marked secret_override; \
                 exports still redact it."
            ));
            vec![Effect::Save]
        }
        Err(msg) => {
            app.error(msg);
            Vec::new()
        }
    }
}

pub(crate) fn draw(frame: &mut Frame, app: &mut App, area: Rect) {
    let t = app.theme;
    let Some(Modal::Secret(c)) = &app.modal else {
        return;
    };
    let what = match c.field {
        SecretField::Answer => "this answer",
        SecretField::Note => "this note",
    };
    let mut text = vec![
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
    ];
    text.extend(super::key_lines(app));
    super::dialog(frame, area, text, " Possible secret ", t.warn(), 76);
}
