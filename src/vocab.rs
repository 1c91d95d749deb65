//! The vocabulary every layer shares: answer values, scopes, question kinds, report terms and
//! entity ids. Plain data with no behaviour that needs a questionnaire or a session; the layers
//! above add their own methods (`Value::check` and `Value::display` live with the questionnaire).

use serde::Serialize;

/// The reserved answer every question accepts.
pub const UNKNOWN: &str = "unknown";

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    Engagement,
    System,
    Identity,
}

impl Scope {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Scope::Engagement => "engagement",
            Scope::System => "system",
            Scope::Identity => "identity",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    YesNo,
    Single,
    Multi,
    Text,
    Number,
    Date,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::YesNo => "yesno",
            Kind::Single => "single",
            Kind::Multi => "multi",
            Kind::Text => "text",
            Kind::Number => "number",
            Kind::Date => "date",
        }
    }
    /// Kinds answered by picking from a fixed list.
    pub fn is_choice(self) -> bool {
        matches!(self, Kind::YesNo | Kind::Single | Kind::Multi)
    }
    /// How an error message names the kind of answer a question takes.
    pub(crate) fn noun(self) -> &'static str {
        match self {
            Kind::YesNo => "yes/no",
            Kind::Single => "single-choice",
            Kind::Multi => "multiple-choice (a list)",
            Kind::Text => "text",
            Kind::Number => "number",
            Kind::Date => "date",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    Security,
    Availability,
    ProcessingIntegrity,
    Confidentiality,
    Privacy,
}

impl Category {
    pub(crate) const ALL: [Category; 5] = [
        Category::Security,
        Category::Availability,
        Category::ProcessingIntegrity,
        Category::Confidentiality,
        Category::Privacy,
    ];
    pub(crate) fn id(self) -> &'static str {
        match self {
            Category::Security => "security",
            Category::Availability => "availability",
            Category::ProcessingIntegrity => "processing_integrity",
            Category::Confidentiality => "confidentiality",
            Category::Privacy => "privacy",
        }
    }
    pub(crate) fn label(self) -> &'static str {
        match self {
            Category::Security => "Security",
            Category::Availability => "Availability",
            Category::ProcessingIntegrity => "Processing Integrity",
            Category::Confidentiality => "Confidentiality",
            Category::Privacy => "Privacy",
        }
    }
    pub(crate) fn from_id(id: &str) -> Option<Category> {
        Category::ALL.into_iter().find(|c| c.id() == id)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ReportType {
    Type1,
    Type2,
}

impl ReportType {
    pub(crate) fn label(self) -> &'static str {
        match self {
            ReportType::Type1 => "Type 1",
            ReportType::Type2 => "Type 2",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SubserviceMethod {
    CarveOut,
    Inclusive,
}

impl SubserviceMethod {
    pub(crate) fn label(self) -> &'static str {
        match self {
            SubserviceMethod::CarveOut => "carve-out",
            SubserviceMethod::Inclusive => "inclusive",
        }
    }
}

/// One of the two reports a scoping workshop decides on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Report {
    Soc1,
    Soc2,
}

impl Report {
    pub(crate) const ALL: [Report; 2] = [Report::Soc1, Report::Soc2];
    pub(crate) fn id(self) -> &'static str {
        match self {
            Report::Soc1 => "soc1",
            Report::Soc2 => "soc2",
        }
    }
    pub(crate) fn label(self) -> &'static str {
        match self {
            Report::Soc1 => "SOC 1",
            Report::Soc2 => "SOC 2",
        }
    }
    pub(crate) fn from_id(id: &str) -> Option<Report> {
        Report::ALL.into_iter().find(|r| r.id() == id)
    }
    /// Position in per-report arrays.
    pub(crate) fn index(self) -> usize {
        self as usize
    }
}

/// An answer's value; how to read it depends on the question's kind.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Value {
    /// "We don't know yet": always allowed, keeps every decision that depends on it open.
    Unknown,
    /// yes/no (`yes`, `no`), a single choice id, free text, or a date (`YYYY-MM-DD`).
    Text(String),
    Number(f64),
    /// Multiple choice ids, in questionnaire order.
    List(Vec<String>),
}

/// A date answer (`2026-09-01`; `2026-9-1` is read the same), as stored and compared: dates are
/// compared as dates, never as text, so an unpadded month still sorts right.
pub(crate) fn parse_date(s: &str) -> Option<chrono::NaiveDate> {
    chrono::NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").ok()
}

/// A date answer in the one form it is stored in (`YYYY-MM-DD`), if it is a date.
pub(crate) fn normalise_date(s: &str) -> Option<String> {
    parse_date(s).map(|d| d.format("%Y-%m-%d").to_string())
}

/// A number as people read it: `3`, not `3.0`.
pub fn format_number(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{}", n as i64)
    } else {
        format!("{n}")
    }
}

/// Which entity an edit applies to.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EntityId {
    Engagement,
    System(String),
    Identity(String),
}

impl EntityId {
    pub fn scope(&self) -> Scope {
        match self {
            EntityId::Engagement => Scope::Engagement,
            EntityId::System(_) => Scope::System,
            EntityId::Identity(_) => Scope::Identity,
        }
    }
}

/// Which entity an answer belongs to, by position in the session (the engine's key; the
/// front-ends use the stable [`EntityId`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum EntityKey {
    Engagement,
    System(usize),
    Identity(usize),
}
