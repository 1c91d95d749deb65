//! What a question makes of an answer's [`Value`]: whether it fits, and how people read it.

use super::Question;
use crate::vocab::{Kind, Value, format_number, normalise_date, parse_date};

impl Value {
    /// Whether this value is of the right shape for `q` (choice ids exist, dates parse...).
    pub fn check(&self, q: &Question) -> Result<(), String> {
        match (q.kind, self) {
            (_, Value::Unknown) => Ok(()),
            (Kind::YesNo | Kind::Single, Value::Text(s)) => match q.choice(s) {
                Some(_) => Ok(()),
                None => Err(format!(
                    "`{s}` is not a choice of question `{}` (choices: {})",
                    q.id,
                    q.choices
                        .iter()
                        .map(|c| c.id.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                )),
            },
            (Kind::Multi, Value::List(items)) => {
                if let Some(bad) = items.iter().find(|i| q.choice(i).is_none()) {
                    return Err(format!("`{bad}` is not a choice of question `{}`", q.id));
                }
                match items
                    .iter()
                    .filter_map(|i| q.choice(i))
                    .find(|c| c.exclusive)
                {
                    Some(c) if items.len() > 1 => Err(format!(
                        "\"{}\" cannot be combined with other choices: pick it alone",
                        c.label
                    )),
                    _ => Ok(()),
                }
            }
            (Kind::Text, Value::Text(_)) => Ok(()),
            (Kind::Number, Value::Number(n)) if n.is_finite() => Ok(()),
            (Kind::Date, Value::Text(s)) => parse_date(s)
                .map(|_| ())
                .ok_or_else(|| format!("`{s}` is not a date in the form YYYY-MM-DD")),
            (kind, _) => Err(format!(
                "question `{}` takes a {} answer",
                q.id,
                kind.noun()
            )),
        }
    }

    /// What people read: choice labels rather than ids.
    pub(crate) fn display(&self, q: &Question) -> String {
        match self {
            Value::Unknown => "unknown".to_string(),
            Value::Text(s) if q.kind.is_choice() => q.choice_label(s).to_string(),
            Value::Text(s) => s.clone(),
            Value::Number(n) => {
                let n = format_number(*n);
                match &q.unit {
                    Some(u) => format!("{n} {u}"),
                    None => n,
                }
            }
            Value::List(items) if items.is_empty() => "none selected".to_string(),
            Value::List(items) => items
                .iter()
                .map(|i| q.choice_label(i))
                .collect::<Vec<_>>()
                .join(", "),
        }
    }
}

impl Value {
    /// The value in the one form it is stored in for `q`: dates as `YYYY-MM-DD`.
    pub(crate) fn normalised(self, q: &Question) -> Value {
        match self {
            Value::Text(s) if q.kind == Kind::Date => Value::Text(normalise_date(&s).unwrap_or(s)),
            v => v,
        }
    }
}
