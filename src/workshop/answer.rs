//! Reading what the facilitator typed, and where the workshop goes next: one parser and one
//! order of questions for the app and plain mode, so both accept the same answers and ask in
//! the same order.

use crate::engine::Visibility;
use crate::questionnaire::{Kind, Question, Questionnaire};
use crate::session::Session;
use crate::vocab::{EntityId, EntityKey, Value, normalise_date};

/// Reads an answer typed for `q`: a choice by number, id or label (several, separated by spaces,
/// commas or semicolons, for multiple choice; `y`/`n` for yes/no), a number (`3`, `3.5`, `3,5`,
/// `1,000`, optionally followed by the question's unit), a date (`2026-09-01`, or `2026-9-1`,
/// stored as `2026-09-01`), or text. `unknown` is unknown for every kind. The result fits the
/// question (an exclusive choice is never combined with others).
pub(crate) fn parse(q: &Question, typed: &str) -> Result<Value, String> {
    let text = typed.trim();
    // `u` alone too: no answer is the single letter, and it is the key for unknown everywhere.
    if text.eq_ignore_ascii_case(crate::vocab::UNKNOWN) || text.eq_ignore_ascii_case("u") {
        return Ok(Value::Unknown);
    }
    let value = match q.kind {
        Kind::YesNo | Kind::Single => pick(q, text).map(Value::Text).ok_or_else(|| {
            format!(
                "\"{}\" is not one of the choices: type a number from 1 to {}",
                crate::text::clean(text),
                q.choices.len()
            )
        })?,
        Kind::Multi => {
            let mut ids: Vec<String> = Vec::new();
            for token in text.split([' ', ',', ';']).filter(|t| !t.is_empty()) {
                let id = pick(q, token).ok_or_else(|| {
                    format!(
                        "\"{}\" is not one of the choices: type numbers from 1 to {}",
                        crate::text::clean(token),
                        q.choices.len()
                    )
                })?;
                if !ids.contains(&id) {
                    ids.push(id);
                }
            }
            ids.sort_by_key(|id| q.choices.iter().position(|c| &c.id == id));
            Value::List(ids)
        }
        Kind::Number => Value::Number(
            number(q, text)
                .ok_or_else(|| format!("\"{}\" is not a number", crate::text::clean(text)))?,
        ),
        Kind::Date => Value::Text(normalise_date(text).ok_or_else(|| {
            format!(
                "\"{}\" is not a date: type it as YYYY-MM-DD, like 2026-03-31",
                crate::text::clean(text)
            )
        })?),
        Kind::Text => Value::Text(text.to_string()),
    };
    value.check(q)?;
    Ok(value)
}

/// A choice by its number (1-based), id or label, case-insensitively; `y` and `n` for yes/no.
fn pick(q: &Question, token: &str) -> Option<String> {
    let t = token.trim();
    if let Ok(n) = t.parse::<usize>() {
        return n
            .checked_sub(1)
            .and_then(|i| q.choices.get(i))
            .map(|c| c.id.clone());
    }
    let lower = t.to_lowercase();
    if q.kind == Kind::YesNo {
        match lower.as_str() {
            "y" => return Some("yes".into()),
            "n" => return Some("no".into()),
            _ => {}
        }
    }
    q.choices
        .iter()
        .find(|c| c.id.to_lowercase() == lower || c.label.to_lowercase() == lower)
        .map(|c| c.id.clone())
}

/// A number as people type it: a decimal point or a decimal comma (`3,5`), a thousands comma
/// (`1,000`: three digits after it), and the question's unit after it (`14 months`).
fn number(q: &Question, text: &str) -> Option<f64> {
    let mut t = text.trim();
    // The unit is compared on the original text's own characters: lowercasing the whole text
    // can change its length ("İ"), so a length from one must never cut the other.
    if let Some(unit) = &q.unit
        && let Some(at) = t.len().checked_sub(unit.len())
        && t.is_char_boundary(at)
        && t[at..].eq_ignore_ascii_case(unit)
    {
        t = t[..at].trim_end();
    }
    let cleaned: String = match (t.matches(',').count(), t.contains('.')) {
        (0, _) => t.to_string(),
        (1, false) => {
            let after = t.rsplit(',').next().unwrap_or("");
            if after.len() == 3 && after.chars().all(|c| c.is_ascii_digit()) {
                t.replace(',', "")
            } else {
                t.replace(',', ".")
            }
        }
        // Several commas, or commas with a point: thousands separators.
        _ => t.replace(',', ""),
    };
    cleaned.parse::<f64>().ok().filter(|n| n.is_finite())
}

/// Questions not shown yet only because an answer they depend on is unknown or not given,
/// counted afresh over the whole visibility: what the tests compare `Progress::may_follow`
/// (kept per entity and patched per answer) with.
#[cfg(test)]
pub(crate) fn could_follow(vis: &Visibility) -> usize {
    use crate::questionnaire::condition::Tri;
    let open = |v: &[Tri]| v.iter().filter(|t| **t == Tri::Open).count();
    open(&vis.engagement)
        + vis.systems.iter().map(|v| open(v)).sum::<usize>()
        + vis.identities.iter().map(|v| open(v)).sum::<usize>()
}

/// Every visible question of every entity, in asking order: the engagement, each system, each
/// identity.
pub(crate) fn sequence(s: &Session, vis: &Visibility) -> Vec<(EntityId, usize)> {
    let mut out = Vec::new();
    for qi in vis.shown(EntityKey::Engagement) {
        out.push((EntityId::Engagement, qi));
    }
    for (i, x) in s.systems.iter().enumerate() {
        for qi in vis.shown(EntityKey::System(i)) {
            out.push((EntityId::System(x.id.clone()), qi));
        }
    }
    for (i, x) in s.identities.iter().enumerate() {
        for qi in vis.shown(EntityKey::Identity(i)) {
            out.push((EntityId::Identity(x.id.clone()), qi));
        }
    }
    out
}

/// Whether a question of an entity has no answer at all. "Unknown" is an answer: the question
/// was asked, and it stays open for the decisions (and the review lists it to revisit).
pub(crate) fn unanswered(q: &Questionnaire, s: &Session, e: &EntityId, qi: usize) -> bool {
    s.answers(e)
        .is_none_or(|a| !a.contains_key(&q.questions[qi].id))
}

/// The position in `seq` of the first unanswered question from `from` on (wrapping around), if
/// any is left: where advancing goes, in the app and in plain mode alike.
pub(crate) fn next_unanswered(
    q: &Questionnaire,
    s: &Session,
    seq: &[(EntityId, usize)],
    from: usize,
) -> Option<usize> {
    let n = seq.len();
    (0..n)
        .map(|k| (from + k) % n)
        .find(|&i| unanswered(q, s, &seq[i].0, seq[i].1))
}

/// Where a resumed workshop continues: the first unanswered question after the one answered
/// last (by time), so the facilitator is back where they left off; the first unanswered one
/// when nothing was answered yet; `None` when every question has an answer. Pre-filled
/// answers (an import, a naming question) are not where anyone left off, so they do not count.
pub(crate) fn resume_position(
    q: &Questionnaire,
    s: &Session,
    seq: &[(EntityId, usize)],
) -> Option<usize> {
    let last = seq
        .iter()
        .enumerate()
        .filter_map(|(i, (e, qi))| {
            let a = s.answers(e)?.get(&q.questions[*qi].id)?;
            a.source.is_none().then_some((a.at, i))
        })
        .max()
        .map(|(_, i)| i);
    next_unanswered(q, s, seq, last.map_or(0, |i| i + 1))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::questionnaire::builtin;

    fn question(id: &str) -> Question {
        builtin()
            .ok()
            .and_then(|q| q.question(id).cloned())
            .unwrap_or_else(|| panic!("no question {id}"))
    }

    #[test]
    fn numbers_as_people_type_them() {
        let q = question("controls_months");
        assert_eq!(parse(&q, "3"), Ok(Value::Number(3.0)));
        assert_eq!(parse(&q, "3,5"), Ok(Value::Number(3.5)));
        assert_eq!(parse(&q, "3.5"), Ok(Value::Number(3.5)));
        assert_eq!(parse(&q, "1,000"), Ok(Value::Number(1000.0)));
        assert_eq!(parse(&q, "14 months"), Ok(Value::Number(14.0)));
        assert!(parse(&q, "soon").is_err());
        assert_eq!(parse(&q, "Unknown"), Ok(Value::Unknown));
    }

    /// A facilitator typed "İİİİİİİİ months" in plain mode and it panicked: lowercasing made
    /// the text longer than the slice taken from it.
    #[test]
    fn text_that_grows_when_lowercased_is_refused_not_a_panic() {
        let q = crate::questionnaire::builtin().expect("built-in");
        let months = q
            .questions
            .iter()
            .find(|x| x.unit.as_deref() == Some("months"))
            .expect("a question in months");
        assert!(parse(months, "İİİİİİİİ months").is_err());
        assert!(parse(months, "14 Months").is_ok());
    }

    #[test]
    fn dates_are_stored_padded() {
        let q = Question {
            kind: Kind::Date,
            ..question("customer_base")
        };
        assert_eq!(parse(&q, "2026-9-1"), Ok(Value::Text("2026-09-01".into())));
        assert!(parse(&q, "2026-13-01").is_err());
    }

    #[test]
    fn exclusive_choices_never_mix() {
        let q = question("report_requesters");
        let n = q.choices.len();
        assert!(parse(&q, &format!("1 {n}")).is_err());
        assert!(parse(&q, "1, 3").is_ok());
    }
}
