//! The facts one row gives: each cell read as its field's value, or what is wrong with it.

use foldhash::{HashMap, HashMapExt, HashSet};
use std::rc::Rc;

use chrono::NaiveDate;

use super::mapping::{Field, ResolvedMapping};
use super::sanitize;
use super::values::{
    When, describe, is_none_word, map_kind, map_privilege, one_of, parse_bool, parse_when,
    split_list,
};
use crate::questionnaire::Question;

/// One fact read from a cell.
#[derive(Debug, Clone)]
pub(super) struct Fact {
    /// The choice it gives (`human_user`, `admin`, `yes`...); for the owner, the owner's name
    /// (empty for "none").
    pub id: Rc<str>,
    /// The cell as written (trimmed), for messages and the preview.
    pub raw: Rc<str>,
}

/// The facts read from one row.
#[derive(Debug)]
pub(super) struct Facts {
    pub line: u64,
    /// Redacted, as stored names are, so a re-import matches them.
    pub name: String,
    pub kind: Option<Fact>,
    pub owner: Option<Fact>,
    pub systems: Vec<String>,
    pub privilege: Option<Fact>,
    /// `n/a`, `never` or the date of the last rotation (`YYYY-MM-DD`).
    pub rotation: Option<Fact>,
    /// `yes` or `no`.
    pub reviewed: Option<Fact>,
    pub mfa: Option<Fact>,
}

/// One of a row's facts.
pub(super) type FactOf = fn(&Facts) -> Option<&Fact>;

/// The facts that two rows for one identity must agree on, in the order disagreements are
/// reported: what people call them and where they are.
pub(super) const COMPARED: [(&str, FactOf); 5] = [
    ("kind", |f| f.kind.as_ref()),
    ("owner", |f| f.owner.as_ref()),
    ("last rotated", |f| f.rotation.as_ref()),
    ("last reviewed", |f| f.reviewed.as_ref()),
    ("MFA", |f| f.mfa.as_ref()),
];

/// Distinct cell values and the choices they map to, remembered while a file is read: exports
/// repeat a few kinds, roles and dates on every row. Bounded, so a file of all-different values
/// costs no more than reading it.
const REMEMBERED: usize = 1 << 16;

#[derive(Default)]
struct Strings(HashSet<Rc<str>>);

impl Strings {
    fn get(&mut self, s: &str) -> Rc<str> {
        if let Some(r) = self.0.get(s) {
            return Rc::clone(r);
        }
        let r: Rc<str> = Rc::from(s);
        if self.0.len() < REMEMBERED {
            self.0.insert(Rc::clone(&r));
        }
        r
    }
}

/// Reads rows against a mapping and a questionnaire.
pub(super) struct RowReader<'q> {
    columns: [Option<usize>; Field::ALL.len()],
    width: usize,
    kind_q: Option<&'q Question>,
    privilege_q: Option<&'q Question>,
    today: NaiveDate,
    strings: Strings,
    /// System names as stored (redacted): each system is named on many rows.
    system_names: crate::session::Scanned,
    kinds: HashMap<Rc<str>, Option<Rc<str>>>,
    privileges: HashMap<Rc<str>, Option<Rc<str>>>,
}

impl<'q> RowReader<'q> {
    pub(crate) fn new(
        mapping: &ResolvedMapping,
        width: usize,
        kind_q: Option<&'q Question>,
        privilege_q: Option<&'q Question>,
        today: NaiveDate,
    ) -> RowReader<'q> {
        RowReader {
            columns: Field::ALL.map(|f| mapping.column(f)),
            width,
            kind_q,
            privilege_q,
            today,
            strings: Strings::default(),
            system_names: crate::session::Scanned::default(),
            kinds: HashMap::new(),
            privileges: HashMap::new(),
        }
    }

    /// The facts of a row, or every problem with it (each with its help line).
    pub(crate) fn read(&mut self, line: u64, cells: &[&str]) -> Result<Facts, Vec<String>> {
        if cells.len() != self.width {
            return Err(vec![format!(
                "has {} columns, the header has {}\n  help: check for a separator or an \
                 unquoted comma inside a value (quote such values: \"a, b\")",
                cells.len(),
                self.width
            )]);
        }
        let columns = self.columns;
        let cell = |f: Field| {
            columns[f as usize]
                .and_then(|i| cells.get(i))
                .map_or("", |c| c.trim())
        };
        let mut problems = Vec::new();
        let mut fx = Facts {
            line,
            name: crate::secrets::redacted(cell(Field::Name)),
            kind: None,
            owner: None,
            systems: split_list(cell(Field::Systems))
                .into_iter()
                .map(|n| self.system_names.redacted(n))
                .collect(),
            privilege: None,
            rotation: None,
            reviewed: None,
            mfa: None,
        };
        if fx.name.is_empty() {
            problems.push("has no name\n  help: every row needs the identity's name".to_string());
        }

        let raw = cell(Field::Kind);
        if !raw.is_empty()
            && let Some(kq) = self.kind_q
        {
            let raw = self.strings.get(raw);
            let id = match self.kinds.get(&raw) {
                Some(id) => id.clone(),
                None => {
                    let id = map_kind(kq, &raw).map(|id| self.strings.get(&id));
                    if self.kinds.len() < REMEMBERED {
                        self.kinds.insert(Rc::clone(&raw), id.clone());
                    }
                    id
                }
            };
            match id {
                Some(id) => fx.kind = Some(Fact { id, raw }),
                None => problems.push(format!(
                    "unknown kind \"{}\"\n  help: write one of: {}",
                    sanitize(&raw),
                    kq.choices
                        .iter()
                        .map(|c| c.id.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                )),
            }
        }

        let raw = cell(Field::Owner);
        if !raw.is_empty() {
            let raw = self.strings.get(raw);
            let id = if is_none_word(&raw) {
                self.strings.get("")
            } else {
                Rc::clone(&raw)
            };
            fx.owner = Some(Fact { id, raw });
        }

        let raw = cell(Field::Privilege);
        if !raw.is_empty()
            && let Some(pq) = self.privilege_q
        {
            let raw = self.strings.get(raw);
            let id = match self.privileges.get(&raw) {
                Some(id) => id.clone(),
                None => {
                    let id = map_privilege(pq, &raw).map(|id| self.strings.get(&id));
                    if self.privileges.len() < REMEMBERED {
                        self.privileges.insert(Rc::clone(&raw), id.clone());
                    }
                    id
                }
            };
            match id {
                Some(id) => fx.privilege = Some(Fact { id, raw }),
                None => problems.push(format!(
                    "cannot tell the privilege from \"{}\"\n  help: write {}, or a role name \
                     that contains one of them (ReadOnlyAccess, Contributor, AdministratorAccess)",
                    sanitize(&raw),
                    one_of(pq.choices.iter().map(|c| c.id.as_str()))
                )),
            }
        }

        let raw = cell(Field::LastRotated);
        match parse_when(raw, self.today) {
            Ok(None) => {}
            // `n/a`: no static secret; `never`: a static secret whose age nobody knows; a date
            // or an age: when it was last rotated (compared with the rotation policy on the
            // workshop date).
            Ok(Some(When::NotApplicable)) => fx.rotation = Some(self.fact("n/a", raw)),
            Ok(Some(When::Never)) => fx.rotation = Some(self.fact("never", raw)),
            Ok(Some(When::DaysAgo(d))) => {
                let date = (self.today - chrono::Duration::days(d))
                    .format("%Y-%m-%d")
                    .to_string();
                fx.rotation = Some(self.fact(&date, raw));
            }
            Ok(Some(When::Yes | When::No)) => problems.push(format!(
                "last rotated \"{}\" is not a date\n  help: write a date as YYYY-MM-DD, an age \
                 in days, never or n/a",
                sanitize(raw)
            )),
            Err(m) => problems.push(format!("last rotated: {m}")),
        }

        let raw = cell(Field::LastReviewed);
        match parse_when(raw, self.today) {
            Ok(None) | Ok(Some(When::NotApplicable)) => {}
            Ok(Some(when)) => {
                let yes = match when {
                    When::DaysAgo(d) => d <= 365,
                    When::Yes => true,
                    _ => false,
                };
                fx.reviewed = Some(self.fact(if yes { "yes" } else { "no" }, raw));
            }
            Err(m) => problems.push(format!("last reviewed: {m}")),
        }

        let raw = cell(Field::Mfa);
        if !raw.is_empty() {
            match parse_bool(raw) {
                Some(Some(b)) => fx.mfa = Some(self.fact(if b { "yes" } else { "no" }, raw)),
                Some(None) => {}
                None => problems.push(format!(
                    "MFA \"{}\" is neither yes nor no\n  help: write yes/no, true/false or \
                     enabled/disabled",
                    sanitize(raw)
                )),
            }
        }
        if problems.is_empty() {
            Ok(fx)
        } else {
            Err(problems)
        }
    }

    fn fact(&mut self, id: &str, raw: &str) -> Fact {
        Fact {
            id: self.strings.get(id),
            raw: self.strings.get(raw),
        }
    }
}

/// What in the file gave an answer, shown in the preview: `kind "employee"`,
/// `last_rotated 2024-11-02: 394 days before 2026-12-01`.
pub(super) fn given_by(field: Field, raw: &str, today: NaiveDate) -> String {
    match field {
        Field::LastRotated | Field::LastReviewed => match parse_when(raw, today) {
            Ok(Some(when)) => describe(field.id(), raw, when, today),
            _ => format!("{} \"{}\"", field.id(), sanitize(raw)),
        },
        _ => format!("{} \"{}\"", field.id(), sanitize(raw)),
    }
}
