//! TOML text -> [`Questionnaire`], with every problem located by line and column.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::ops::Range;

use serde::Deserialize;
use sha2::{Digest, Sha256};
use toml::Spanned;

use super::condition::{Age, Atom, Bound, Boundary, Condition, Test};
use super::{
    Category, Choice, Creates, EvidenceKind, Findings, Kind, Migration, PlanSettings, Pos,
    Question, Questionnaire, Report, ReportType, Rule, Scope, SubserviceMethod, UNKNOWN, tsc,
};
use crate::vocab::Value;

/// One thing wrong with a file, where it is, and how to fix it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Problem {
    pub pos: Pos,
    pub message: String,
    pub help: String,
}

/// Every problem found in one file. Displayed the way compilers do: `file:line:col: error: ...`.
#[derive(Debug, Clone)]
pub struct LoadError {
    pub file: String,
    pub problems: Vec<Problem>,
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_located(f, &self.file, &self.problems, "error")
    }
}

/// `file:line:col: what: message`, then its help, one problem after another.
fn write_located(
    f: &mut fmt::Formatter<'_>,
    file: &str,
    problems: &[Problem],
    what: &str,
) -> fmt::Result {
    for (i, p) in problems.iter().enumerate() {
        if i > 0 {
            writeln!(f)?;
        }
        let Pos { line, col } = p.pos;
        write!(f, "{file}:{line}:{col}: {what}: {}", p.message)?;
        if !p.help.is_empty() {
            write!(f, "\n  help: {}", p.help)?;
        }
    }
    Ok(())
}

impl std::error::Error for LoadError {}

/// Maps byte offsets to 1-based line and column (columns count characters).
pub(crate) struct Locator<'a> {
    src: &'a str,
    line_starts: Vec<usize>,
    /// Characters before each multiple of [`BLOCK`] bytes, so that a column costs at most a
    /// block's worth of counting even on a line megabytes long.
    chars_before: Vec<usize>,
}

const BLOCK: usize = 256;

/// Characters starting in `bytes` (those that are not UTF-8 continuation bytes).
fn char_starts(bytes: &[u8]) -> usize {
    bytes.iter().filter(|&&b| b & 0xC0 != 0x80).count()
}

impl<'a> Locator<'a> {
    pub(crate) fn new(src: &'a str) -> Locator<'a> {
        let mut line_starts = vec![0];
        line_starts.extend(src.match_indices('\n').map(|(i, _)| i + 1));
        let mut chars_before = vec![0];
        for block in src.as_bytes().chunks(BLOCK) {
            let last = chars_before.last().copied().unwrap_or(0);
            chars_before.push(last + char_starts(block));
        }
        Locator {
            src,
            line_starts,
            chars_before,
        }
    }

    fn chars_to(&self, offset: usize) -> usize {
        let block = offset / BLOCK;
        let start = block * BLOCK;
        super::validate::tick(offset - start);
        self.chars_before.get(block).copied().unwrap_or(0)
            + self
                .src
                .as_bytes()
                .get(start..offset)
                .map_or(0, char_starts)
    }

    pub(crate) fn pos(&self, offset: usize) -> Pos {
        let offset = offset.min(self.src.len());
        let line = self.line_starts.partition_point(|&s| s <= offset).max(1);
        let start = self.line_starts[line - 1];
        let col = self.chars_to(offset) - self.chars_to(start) + 1;
        Pos { line, col }
    }
}

/// Finds quoted strings inside a span in the order they are written, each search starting
/// where the previous one ended, so locating every item of a long list or condition reads it
/// once. TOML values keep no inner spans, hence the search.
struct Finder {
    at: usize,
    start: usize,
    end: usize,
    /// Strings not found as written (escapes). Each such search reads the rest of the span,
    /// so after a few the rest point at the span's start.
    misses: usize,
}

impl Finder {
    fn new(span: &Range<usize>) -> Finder {
        Finder {
            at: span.start,
            start: span.start,
            end: span.end,
            misses: 0,
        }
    }

    /// The next `"needle"` or `'needle'` (with `key`, only as the value of `q = `), else the
    /// span's start.
    fn next(&mut self, loc: &Locator, needle: &str, key: bool) -> Pos {
        const MISSES: usize = 4;
        if self.misses < MISSES
            && let Some(i) = self.search(loc.src, needle, key)
        {
            self.at = i + needle.len() + 2;
            return loc.pos(i);
        }
        self.misses += 1;
        loc.pos(self.start)
    }

    fn search(&self, src: &str, needle: &str, key: bool) -> Option<usize> {
        let bytes = src.as_bytes();
        let hay = src.get(self.at..self.end)?;
        if needle.is_empty() {
            return None;
        }
        let step = needle.chars().next().map_or(1, char::len_utf8);
        let mut from = 0;
        while let Some(i) = hay.get(from..)?.find(needle) {
            let at = self.at + from + i;
            super::validate::tick(i + needle.len());
            from += i + step;
            let (Some(&open), Some(&close)) =
                (bytes.get(at.wrapping_sub(1)), bytes.get(at + needle.len()))
            else {
                continue;
            };
            // The opening quote must be inside the span searched.
            if at <= self.at || open != close || !matches!(open, b'"' | b'\'') {
                continue;
            }
            if !key || after_q_key(bytes.get(self.at..at - 1).unwrap_or_default()) {
                return Some(at - 1);
            }
        }
        super::validate::tick(hay.len());
        None
    }
}

/// Whether `before` ends with `q =` (spaces allowed, the key possibly quoted).
fn after_q_key(before: &[u8]) -> bool {
    let trim = |b: &[u8]| -> usize {
        b.iter()
            .rposition(|c| !matches!(c, b' ' | b'\t'))
            .map_or(0, |i| i + 1)
    };
    let b = &before[..trim(before)];
    let Some(b) = b.strip_suffix(b"=") else {
        return false;
    };
    let b = &b[..trim(b)];
    let b = b
        .strip_suffix(b"\"q\"")
        .or_else(|| b.strip_suffix(b"'q'"))
        .or_else(|| b.strip_suffix(b"q"));
    b.is_some_and(|b| {
        b.last()
            .is_none_or(|c| !(c.is_ascii_alphanumeric() || matches!(c, b'_' | b'-')))
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    questionnaire: Spanned<RawMeta>,
    #[serde(default)]
    questions: Vec<Spanned<RawQuestion>>,
    #[serde(default)]
    rules: Vec<Spanned<RawRule>>,
    #[serde(default)]
    evidence_kinds: Vec<Spanned<RawEvidenceKind>>,
    #[serde(default)]
    plan: Option<RawPlan>,
    #[serde(default)]
    migrations: Vec<Spanned<RawMigration>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawPlan {
    readiness_weeks: Option<u32>,
    prepare_weeks: Option<u32>,
    first_period_months: Option<u32>,
    renewal_period_months: Option<u32>,
    soc1_min_period_months: Option<u32>,
    short_period_months: Option<u32>,
    short_period_for: Option<Spanned<Vec<String>>>,
    decide_weeks: Option<u32>,
    report_weeks: Option<u32>,
    owners: Option<super::StepOwners>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMigration {
    from: Spanned<String>,
    to: Spanned<String>,
    #[serde(default)]
    values: std::collections::BTreeMap<String, toml::Value>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEvidenceKind {
    id: Spanned<String>,
    title: String,
    cadence: String,
    #[serde(default)]
    references: Option<Spanned<Vec<String>>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMeta {
    id: String,
    title: String,
    version: String,
    #[serde(default)]
    description: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawQuestion {
    id: Spanned<String>,
    scope: Spanned<String>,
    #[serde(default)]
    section: Option<String>,
    kind: Spanned<String>,
    text: String,
    #[serde(default)]
    help: String,
    #[serde(default)]
    references: Option<Spanned<Vec<String>>>,
    #[serde(default)]
    show_if: Option<Spanned<toml::Value>>,
    #[serde(default)]
    choices: Vec<Spanned<RawChoice>>,
    #[serde(default)]
    unit: Option<String>,
    #[serde(default)]
    role: Option<Spanned<String>>,
    #[serde(default)]
    creates: Option<Spanned<RawCreates>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCreates {
    #[serde(default)]
    answers: toml::Table,
    #[serde(default)]
    source: Option<String>,
    #[serde(default)]
    link: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawChoice {
    id: Spanned<String>,
    label: String,
    #[serde(default)]
    exclusive: bool,
    #[serde(default)]
    report: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    id: Spanned<String>,
    scope: Spanned<String>,
    when: Spanned<toml::Value>,
    rationale: String,
    #[serde(default)]
    brief: Option<String>,
    #[serde(default)]
    references: Option<Spanned<Vec<String>>>,
    #[serde(default)]
    soc1: Option<bool>,
    #[serde(default)]
    soc1_demand: Option<bool>,
    #[serde(default)]
    soc2: Option<bool>,
    #[serde(default)]
    categories: Option<Spanned<Vec<String>>>,
    #[serde(default)]
    excluded_categories: Option<Spanned<Vec<String>>>,
    #[serde(default)]
    report_type: Option<Spanned<String>>,
    #[serde(default)]
    scenario: Option<String>,
    #[serde(default)]
    report: Option<Spanned<String>>,
    #[serde(default)]
    first_examination: Option<bool>,
    #[serde(default)]
    observation_window: Option<String>,
    #[serde(default)]
    sox_note: Option<String>,
    #[serde(default)]
    subservice: Option<Spanned<String>>,
    #[serde(default)]
    csocs: Vec<String>,
    #[serde(default)]
    gap: Option<String>,
    #[serde(default)]
    gap_id: Option<String>,
    #[serde(default)]
    unverified: Option<String>,
    #[serde(default)]
    control_objectives: Vec<String>,
    #[serde(default)]
    evidence: Vec<String>,
    #[serde(default)]
    finding: Option<String>,
    #[serde(default)]
    note: Option<String>,
    #[serde(default)]
    conflict: Option<String>,
    #[serde(default)]
    touches: Vec<String>,
    #[serde(default)]
    cuecs: Vec<String>,
    #[serde(default)]
    supersedes: Vec<String>,
    #[serde(default)]
    framework: Option<String>,
    #[serde(default)]
    needs_report: Option<Spanned<String>>,
    #[serde(default)]
    type1_for: Option<Spanned<String>>,
}

struct Ctx<'a> {
    loc: Locator<'a>,
    problems: Vec<Problem>,
}

impl Ctx<'_> {
    fn err(&mut self, pos: Pos, message: impl Into<String>, help: impl Into<String>) {
        self.problems.push(Problem {
            pos,
            message: message.into(),
            help: help.into(),
        });
    }
    fn at(&self, span: Range<usize>) -> Pos {
        self.loc.pos(span.start)
    }
}

fn parse_scope(s: &str) -> Option<Scope> {
    match s {
        "engagement" => Some(Scope::Engagement),
        "system" => Some(Scope::System),
        "identity" => Some(Scope::Identity),
        _ => None,
    }
}

fn parse_kind(s: &str) -> Option<Kind> {
    match s {
        "yesno" => Some(Kind::YesNo),
        "single" => Some(Kind::Single),
        "multi" => Some(Kind::Multi),
        "text" => Some(Kind::Text),
        "number" => Some(Kind::Number),
        "date" => Some(Kind::Date),
        _ => None,
    }
}

fn valid_id(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-')
}

pub(crate) fn hash_source(src: &str) -> String {
    let digest = Sha256::digest(src.as_bytes());
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256:{hex}")
}

/// Parses and checks a questionnaire: syntax, ids and every reference. `file` names the source
/// in messages. This is what opening a workshop does; see [`check`] for `socscope validate`.
pub fn load(file: &str, src: &str) -> Result<Questionnaire, LoadError> {
    load_with(file, src, None)
}

/// Everything [`load`] checks, plus a search for rules that can never fire. The search tries
/// answer combinations, so it runs when a questionnaire is validated, not at every start-up.
pub fn check(file: &str, src: &str) -> Result<Questionnaire, LoadError> {
    check_with_notes(file, src).0
}

/// [`check`], with notes on what it could not settle: rules whose search for answers that
/// make them fire was cut short, so that nothing is claimed about them. Notes are not errors.
pub fn check_with_notes(file: &str, src: &str) -> (Result<Questionnaire, LoadError>, Notes) {
    let mut notes = Vec::new();
    let result = load_with(file, src, Some(&mut notes));
    notes.sort();
    let notes = Notes {
        file: file.to_string(),
        notes,
    };
    (result, notes)
}

/// What a check left open, displayed like errors but as `note:` lines.
#[derive(Debug, Clone)]
pub struct Notes {
    pub file: String,
    pub notes: Vec<Problem>,
}

impl fmt::Display for Notes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_located(f, &self.file, &self.notes, "note")
    }
}

fn load_with(
    file: &str,
    src: &str,
    notes: Option<&mut Vec<Problem>>,
) -> Result<Questionnaire, LoadError> {
    let mut cx = Ctx {
        loc: Locator::new(src),
        problems: Vec::new(),
    };
    let raw: RawFile = match toml::from_str(src) {
        Ok(r) => r,
        Err(e) => {
            let pos = e
                .span()
                .map_or(Pos { line: 1, col: 1 }, |s| cx.loc.pos(s.start));
            let message = e.message().trim().to_string();
            let help = syntax_help(&message);
            return Err(LoadError {
                file: file.to_string(),
                problems: vec![Problem { pos, message, help }],
            });
        }
    };

    let meta_pos = cx.at(raw.questionnaire.span());
    let meta = raw.questionnaire.into_inner();
    if !valid_id(&meta.id) {
        cx.err(
            meta_pos,
            format!("questionnaire id `{}` is not a valid id", meta.id),
            "use lower-case letters, digits, `_` or `-`, e.g. `soc-scoping`",
        );
    }

    let questions = load_questions(&mut cx, raw.questions);
    let rules = load_rules(&mut cx, raw.rules);
    let evidence_kinds = load_evidence_kinds(&mut cx, raw.evidence_kinds);
    let plan = raw.plan.unwrap_or_default();
    let defaults = PlanSettings::default();
    let plan = PlanSettings {
        readiness_weeks: plan.readiness_weeks.unwrap_or(defaults.readiness_weeks),
        prepare_weeks: plan.prepare_weeks.unwrap_or(defaults.prepare_weeks),
        first_period_months: plan
            .first_period_months
            .unwrap_or(defaults.first_period_months),
        renewal_period_months: plan
            .renewal_period_months
            .unwrap_or(defaults.renewal_period_months),
        soc1_min_period_months: plan
            .soc1_min_period_months
            .unwrap_or(defaults.soc1_min_period_months),
        short_period_months: plan
            .short_period_months
            .unwrap_or(defaults.short_period_months),
        short_period_for: match &plan.short_period_for {
            Some(raw) => parse_reports(&mut cx, raw),
            None => defaults.short_period_for.clone(),
        },
        decide_weeks: plan.decide_weeks.unwrap_or(defaults.decide_weeks),
        report_weeks: plan.report_weeks.unwrap_or(defaults.report_weeks),
        owners: plan.owners.unwrap_or_default(),
    };
    if !(1..=12).contains(&plan.first_period_months)
        || !(1..=12).contains(&plan.renewal_period_months)
        || !(1..=12).contains(&plan.soc1_min_period_months)
        || !(1..=12).contains(&plan.short_period_months)
    {
        cx.err(
            Pos { line: 1, col: 1 },
            "a [plan] period length is outside 1 to 12 months",
            "a Type 2 period is 3 to 12 months in practice: set first_period_months, \
             renewal_period_months and soc1_min_period_months between 1 and 12",
        );
    }
    let migrations = load_migrations(&mut cx, raw.migrations);

    let mut q = Questionnaire {
        id: meta.id,
        title: meta.title,
        version: meta.version,
        description: meta.description,
        questions,
        rules,
        evidence_kinds,
        plan,
        migrations,
        hash: hash_source(src),
    };
    resolve(&mut q);
    super::validate::check_semantics(&q, &mut cx.problems, notes);
    if cx.problems.is_empty() {
        Ok(q)
    } else {
        cx.problems.sort();
        cx.problems.dedup();
        Err(LoadError {
            file: file.to_string(),
            problems: cx.problems,
        })
    }
}

fn syntax_help(message: &str) -> String {
    if message.contains("unknown field") {
        "remove or rename the key; docs/questionnaire-format.md lists the keys each table takes"
            .to_string()
    } else if message.contains("missing field") {
        "add the missing key; docs/questionnaire-format.md lists the required keys".to_string()
    } else if message.contains("duplicate key") {
        "each key may appear once per table".to_string()
    } else {
        "fix the TOML syntax at this position (strings need quotes, tables `[name]`, arrays `[a, b]`)"
            .to_string()
    }
}

fn load_questions(cx: &mut Ctx, raw: Vec<Spanned<RawQuestion>>) -> Vec<Question> {
    let mut out: Vec<Question> = Vec::new();
    let mut seen: HashMap<String, Pos> = HashMap::new();
    for rq in raw {
        let qpos = cx.at(rq.span());
        let rq = rq.into_inner();
        let id_pos = cx.at(rq.id.span());
        let id = rq.id.into_inner();
        if !valid_id(&id) {
            cx.err(
                id_pos,
                format!("question id `{id}` is not a valid id"),
                "use lower-case letters, digits and `_`, e.g. `fin_process`",
            );
        }
        if let Some(first) = seen.get(&id) {
            cx.err(
                id_pos,
                format!(
                    "duplicate question id `{id}` (first defined at line {})",
                    first.line
                ),
                "give each question its own id; sessions store answers by id",
            );
        } else {
            seen.insert(id.clone(), id_pos);
        }
        let scope_pos = cx.at(rq.scope.span());
        let scope = parse_scope(rq.scope.get_ref()).unwrap_or_else(|| {
            cx.err(
                scope_pos,
                format!("unknown scope `{}`", rq.scope.get_ref()),
                "use `engagement`, `system` or `identity`",
            );
            Scope::Engagement
        });
        let kind_pos = cx.at(rq.kind.span());
        let kind = parse_kind(rq.kind.get_ref()).unwrap_or_else(|| {
            cx.err(
                kind_pos,
                format!("unknown question kind `{}`", rq.kind.get_ref()),
                "use one of: yesno, single, multi, text, number, date",
            );
            Kind::Text
        });
        let mut choices = Vec::new();
        let mut choice_ids = HashSet::new();
        for rc in rq.choices {
            let rc = rc.into_inner();
            let cpos = cx.at(rc.id.span());
            let cid = rc.id.into_inner();
            if cid == UNKNOWN {
                cx.err(
                    cpos,
                    "choice id `unknown` is reserved",
                    "every question already accepts `unknown`; remove this choice",
                );
            } else if !valid_id(&cid) {
                cx.err(
                    cpos,
                    format!("choice id `{cid}` is not a valid id"),
                    "use lower-case letters, digits and `_`",
                );
            }
            if !choice_ids.insert(cid.clone()) {
                cx.err(
                    cpos,
                    format!("duplicate choice id `{cid}` in question `{id}`"),
                    "give each choice of a question its own id",
                );
            }
            if rc.exclusive && kind != Kind::Multi {
                cx.err(
                    cpos,
                    format!("choice `{cid}` of question `{id}` is marked exclusive"),
                    "`exclusive = true` is only for `multi` questions (one choice of a single \
                     question already excludes the others); remove it",
                );
            }
            let report = rc.report.and_then(|r| {
                Report::from_id(r.get_ref()).or_else(|| {
                    let pos = cx.at(r.span());
                    cx.err(
                        pos,
                        format!("unknown report `{}` on choice `{cid}`", r.get_ref()),
                        "use report = \"soc1\" or \"soc2\": the SOC report this choice says we hold",
                    );
                    None
                })
            });
            choices.push(Choice {
                id: cid,
                label: rc.label,
                exclusive: rc.exclusive,
                report,
            });
        }
        match kind {
            Kind::Single | Kind::Multi if choices.is_empty() => cx.err(
                qpos,
                format!(
                    "question `{id}` is a {} question with no choices",
                    kind.as_str()
                ),
                "add `choices = [{ id = \"...\", label = \"...\" }, ...]`",
            ),
            Kind::YesNo if !choices.is_empty() => cx.err(
                qpos,
                format!("yes/no question `{id}` must not list choices"),
                "remove `choices` (yes, no and unknown are implied) or use kind = \"single\"",
            ),
            Kind::Text | Kind::Number | Kind::Date if !choices.is_empty() => cx.err(
                qpos,
                format!("{} question `{id}` must not list choices", kind.as_str()),
                "remove `choices` or use kind = \"single\" or \"multi\"",
            ),
            _ => {}
        }
        if kind == Kind::YesNo {
            choices = vec![
                Choice {
                    id: "yes".into(),
                    label: "Yes".into(),
                    exclusive: false,
                    report: None,
                },
                Choice {
                    id: "no".into(),
                    label: "No".into(),
                    exclusive: false,
                    report: None,
                },
            ];
        }
        let role = rq.role.map(|r| {
            let rpos = cx.at(r.span());
            let r = r.into_inner();
            match r.as_str() {
                "identity_kind" if scope != Scope::Identity || kind != Kind::Single => cx.err(
                    rpos,
                    "role `identity_kind` needs an identity-scope single-choice question",
                    "set scope = \"identity\" and kind = \"single\"",
                ),
                "owner" if kind != Kind::Text => cx.err(
                    rpos,
                    "role `owner` needs a text question",
                    "set kind = \"text\"",
                ),
                "prior_reports" if scope != Scope::Engagement || kind != Kind::Multi => cx.err(
                    rpos,
                    "role `prior_reports` needs an engagement-scope multiple-choice question",
                    "set scope = \"engagement\" and kind = \"multi\"",
                ),
                "soc1_period_end" | "soc2_period_end" | "needed_by"
                    if scope != Scope::Engagement || kind != Kind::Date =>
                {
                    cx.err(
                        rpos,
                        format!("role `{r}` needs an engagement-scope date question"),
                        "set scope = \"engagement\" and kind = \"date\"",
                    )
                }
                "fiscal_year_end"
                    if scope != Scope::Engagement || !matches!(kind, Kind::Single | Kind::Date) =>
                {
                    cx.err(
                        rpos,
                        "role `fiscal_year_end` needs an engagement-scope single-choice (choice ids \
                         MM-DD) or date question",
                        "set scope = \"engagement\" and kind = \"single\" with ids like \"12-31\"",
                    )
                }
                "vendor_reports" if scope != Scope::System || kind != Kind::Multi => cx.err(
                    rpos,
                    "role `vendor_reports` needs a system-scope multiple-choice question",
                    "set scope = \"system\" and kind = \"multi\"",
                ),
                "identity_kind" | "owner" | "prior_reports" | "soc1_period_end"
                | "soc2_period_end" | "needed_by" | "fiscal_year_end" | "vendor_reports" => {}
                _ => cx.err(
                    rpos,
                    format!("unknown role `{r}`"),
                    "roles are identity_kind, owner, prior_reports, soc1_period_end, \
                     soc2_period_end, fiscal_year_end, needed_by and vendor_reports \
                     (docs/questionnaire-format.md)",
                ),
            }
            r
        });
        // Which vendor reports are held is read from the choices' `report`, never from ids.
        let reports_role = role.as_deref() == Some("vendor_reports");
        if !reports_role && choices.iter().any(|c| c.report.is_some()) {
            cx.err(
                qpos,
                format!(
                    "question `{id}` has choices with `report` but not role = \"vendor_reports\""
                ),
                "`report` on a choice says which SOC report a vendor's answer holds: only for the \
                 question with role = \"vendor_reports\"; remove it",
            );
        }
        if reports_role && !choices.iter().any(|c| c.report.is_some()) {
            cx.err(
                qpos,
                format!("question `{id}` (role vendor_reports) has no choice with `report`"),
                "mark each choice that is a SOC report with report = \"soc1\" or \"soc2\", e.g. \
                 { id = \"soc2_type2\", label = \"SOC 2 Type 2\", report = \"soc2\" }",
            );
        }
        let references = check_references(cx, rq.references);
        let show_if = rq
            .show_if
            .map(|c| parse_condition(cx, c.get_ref(), &c.span(), &mut Finder::new(&c.span())));
        let creates = rq.creates.map(|c| {
            let cpos = cx.at(c.span());
            let c = c.into_inner();
            if scope != Scope::System || kind != Kind::Text {
                cx.err(
                    cpos,
                    format!("`creates` of `{id}` needs a system-scope text question"),
                    "set scope = \"system\" and kind = \"text\": its answer names the systems to create",
                );
            }
            let mut answers = Vec::new();
            for (qid, v) in c.answers {
                match toml_answer(&v) {
                    Some(v) => answers.push((qid, v)),
                    None => cx.err(
                        cpos,
                        format!("`creates` answer for `{qid}` is not a string, number or list of strings"),
                        "give each pre-filled answer as the value a session stores, e.g. operated_by = \"vendor\"",
                    ),
                }
            }
            let link = match c.link.as_deref() {
                None | Some("hosts") => super::Link::Hosts,
                Some("uses") => super::Link::Uses,
                Some(other) => {
                    cx.err(
                        cpos,
                        format!("`creates` of `{id}` has link = \"{other}\""),
                        "write link = \"hosts\" (the named systems run this one) or \"uses\" (this one calls them)",
                    );
                    super::Link::Hosts
                }
            };
            Creates {
                answers,
                link,
                source: c
                    .source
                    .unwrap_or_else(|| format!("named in answer to “{}”", rq.text.trim())),
                pos: cpos,
            }
        });
        out.push(Question {
            id,
            scope,
            section: rq.section,
            kind,
            text: rq.text,
            help: rq.help,
            references,
            show_if,
            choices,
            unit: rq.unit,
            role,
            creates,
            pos: qpos,
        });
    }
    let mut roles: HashSet<(Scope, &str)> = HashSet::new();
    let mut duplicates = Vec::new();
    for q in &out {
        if let Some(role) = q.role.as_deref()
            && !roles.insert((q.scope, role))
        {
            let scope = q.scope.as_str();
            duplicates.push((
                q.pos,
                format!("more than one {scope} question has role `{role}`"),
            ));
        }
    }
    for (pos, message) in duplicates {
        cx.err(pos, message, "keep each role on one question per scope");
    }
    out
}

fn load_evidence_kinds(cx: &mut Ctx, raw: Vec<Spanned<RawEvidenceKind>>) -> Vec<EvidenceKind> {
    let mut out: Vec<EvidenceKind> = Vec::new();
    let mut seen: HashMap<String, Pos> = HashMap::new();
    for re in raw {
        let re = re.into_inner();
        let pos = cx.at(re.id.span());
        let id = re.id.into_inner();
        if !valid_id(&id) {
            cx.err(
                pos,
                format!("evidence id `{id}` is not a valid id"),
                "use lower-case letters, digits and `_`",
            );
        }
        if let Some(first) = seen.get(&id) {
            cx.err(
                pos,
                format!(
                    "duplicate evidence id `{id}` (first defined at line {})",
                    first.line
                ),
                "give each evidence kind its own id",
            );
        } else {
            seen.insert(id.clone(), pos);
        }
        let references = check_references(cx, re.references);
        out.push(EvidenceKind {
            id,
            title: re.title,
            cadence: re.cadence,
            references,
            pos,
        });
    }
    out
}

/// The criteria IDs of a `references` list. Anything that is not a criterion (an author's note
/// on a source) stays in the file for its authors and is dropped here, so no front-end or export
/// ever shows it to a client (issue 15: internal references never reach a user).
fn check_references(cx: &mut Ctx, refs: Option<Spanned<Vec<String>>>) -> Vec<String> {
    let Some(refs) = refs else { return Vec::new() };
    let mut finder = Finder::new(&refs.span());
    for r in refs.get_ref() {
        if tsc::looks_like_tsc(r) && !tsc::is_valid(r) {
            let pos = finder.next(&cx.loc, r, false);
            cx.err(
                pos,
                format!("`{r}` is not a Trust Services Criteria ID"),
                tsc::suggest(r),
            );
        }
    }
    refs.into_inner()
        .into_iter()
        .filter(|r| tsc::is_valid(r))
        .collect()
}

fn load_rules(cx: &mut Ctx, raw: Vec<Spanned<RawRule>>) -> Vec<Rule> {
    let mut out = Vec::new();
    let mut seen: HashMap<String, Pos> = HashMap::new();
    for rr in raw {
        let rpos = cx.at(rr.span());
        let rr = rr.into_inner();
        let id_pos = cx.at(rr.id.span());
        let id = rr.id.into_inner();
        if !valid_id(&id) {
            cx.err(
                id_pos,
                format!("rule id `{id}` is not a valid id"),
                "use lower-case letters, digits and `_`",
            );
        }
        if let Some(first) = seen.get(&id) {
            cx.err(
                id_pos,
                format!(
                    "duplicate rule id `{id}` (first defined at line {})",
                    first.line
                ),
                "give each rule its own id; rationales cite rules by id",
            );
        } else {
            seen.insert(id.clone(), id_pos);
        }
        let scope_pos = cx.at(rr.scope.span());
        let report_level = rr.scope.get_ref() == "report";
        let scope = if report_level {
            Scope::Engagement
        } else {
            parse_scope(rr.scope.get_ref()).unwrap_or_else(|| {
                cx.err(
                    scope_pos,
                    format!("unknown scope `{}`", rr.scope.get_ref()),
                    "use `engagement`, `system`, `identity` or `report`",
                );
                Scope::Engagement
            })
        };
        let when_span = rr.when.span();
        let when = parse_condition(
            cx,
            rr.when.get_ref(),
            &when_span,
            &mut Finder::new(&when_span),
        );
        let references = check_references(cx, rr.references);
        let categories = parse_categories(cx, &rr.categories);
        let excluded_categories = parse_categories(cx, &rr.excluded_categories);
        let report_type = rr.report_type.and_then(|t| match t.get_ref().as_str() {
            "type1" => Some(ReportType::Type1),
            "type2" => Some(ReportType::Type2),
            other => {
                let pos = cx.at(t.span());
                cx.err(
                    pos,
                    format!("unknown report type `{other}`"),
                    "use `type1` or `type2`",
                );
                None
            }
        });
        let subservice = rr.subservice.and_then(|t| match t.get_ref().as_str() {
            "carve_out" => Some(SubserviceMethod::CarveOut),
            "inclusive" => Some(SubserviceMethod::Inclusive),
            other => {
                let pos = cx.at(t.span());
                cx.err(
                    pos,
                    format!("unknown subservice method `{other}`"),
                    "use `carve_out` or `inclusive`",
                );
                None
            }
        });
        let report = rr.report.and_then(|t| {
            Report::from_id(t.get_ref()).or_else(|| {
                let pos = cx.at(t.span());
                cx.err(
                    pos,
                    format!("unknown report `{}`", t.get_ref()),
                    "use `soc1` or `soc2` (or leave `report` out for both)",
                );
                None
            })
        });
        let needs_report = rr.needs_report.and_then(|t| {
            Report::from_id(t.get_ref()).or_else(|| {
                let pos = cx.at(t.span());
                cx.err(
                    pos,
                    format!("unknown report `{}`", t.get_ref()),
                    "use `soc1` or `soc2`",
                );
                None
            })
        });
        let type1_for = rr.type1_for.and_then(|t| {
            let pos = cx.at(t.span());
            match Category::from_id(t.get_ref()) {
                Some(Category::Security) | None => {
                    cx.err(
                        pos,
                        format!(
                            "`type1_for = \"{}\"` is not a category a report can add",
                            t.get_ref()
                        ),
                        "use availability, processing_integrity, confidentiality or privacy \
                         (Security is in every SOC 2)",
                    );
                    None
                }
                Some(c) => Some(c),
            }
        });
        let findings = Findings {
            type1_for,
            soc1: rr.soc1,
            soc1_demand: rr.soc1_demand,
            soc2: rr.soc2,
            categories,
            excluded_categories,
            report_type,
            scenario: rr.scenario,
            report,
            first_examination: rr.first_examination,
            observation_window: rr.observation_window,
            sox_note: rr.sox_note,
            subservice,
            csocs: rr.csocs,
            gap_id: rr.gap_id.or_else(|| rr.gap.as_ref().map(|_| id.clone())),
            gap: rr.gap,
            unverified: rr.unverified,
            control_objectives: rr.control_objectives,
            evidence: rr.evidence,
            finding: rr.finding,
            note: rr.note,
            conflict: rr.conflict,
            touches: rr.touches,
            cuecs: rr.cuecs,
            supersedes: rr.supersedes,
            framework: rr.framework,
            needs_report,
        };
        let late = when.reads_boundary();
        if late && (scope != Scope::System || report_level) {
            cx.err(
                rpos,
                format!("rule `{id}` tests `in_scope` or `supports` but is not a system rule"),
                "`in_scope` and `supports` say where a system stands: use them in rules with scope = \"system\"",
            );
        }
        if late && findings.decides() {
            cx.err(
                rpos,
                format!(
                    "rule `{id}` tests `in_scope` or `supports` and decides something: such rules only add findings, notes, evidence and controls"
                ),
                "they run after every system's decision; put decisions (soc1, soc2, categories, \
                 report_type, gap, subservice, conflict) in a rule that tests answers only",
            );
        }
        if report_level
            && (findings.soc1.is_some()
                || findings.soc2.is_some()
                || findings.soc1_demand.is_some()
                || !findings.categories.is_empty()
                || findings.report_type.is_some()
                || findings.gap.is_some()
                || findings.subservice.is_some())
        {
            cx.err(
                rpos,
                format!(
                    "report rule `{id}` decides something: report rules only add findings and notes"
                ),
                "a report rule runs after every decision is made; give it `finding` or `note`, \
                 and put decisions (soc1, soc2, categories, report_type, gap, subservice) in an \
                 engagement, system or identity rule",
            );
        }
        if findings.type1_for.is_some()
            && (scope != Scope::Engagement
                || report_level
                || findings.report_type != Some(ReportType::Type1)
                || findings.report != Some(Report::Soc2))
        {
            cx.err(
                rpos,
                format!(
                    "rule `{id}` has `type1_for` but is not an engagement rule with \
                     report_type = \"type1\" and report = \"soc2\""
                ),
                "`type1_for` says a SOC 2 Type 1 is for one added category only, while the \
                 report keeps its Type: use it in an engagement rule with report_type = \
                 \"type1\" and report = \"soc2\"",
            );
        }
        out.push(Rule {
            id,
            scope,
            report_level,
            late,
            when,
            rationale: rr.rationale,
            brief: rr
                .brief
                .map(|b| b.trim().to_string())
                .filter(|b| !b.is_empty()),
            references,
            findings,
            pos: rpos,
        });
    }
    out
}

/// An answer as written in a questionnaire (migrations, pre-filled answers).
fn toml_answer(v: &toml::Value) -> Option<Value> {
    match v {
        toml::Value::String(v) if v == UNKNOWN => Some(Value::Unknown),
        toml::Value::String(v) => Some(Value::Text(v.clone())),
        toml::Value::Integer(n) => Some(Value::Number(*n as f64)),
        toml::Value::Float(n) => Some(Value::Number(*n)),
        toml::Value::Array(items) => items
            .iter()
            .map(|x| x.as_str().map(str::to_string))
            .collect::<Option<Vec<_>>>()
            .map(Value::List),
        _ => None,
    }
}

fn load_migrations(cx: &mut Ctx, raw: Vec<Spanned<RawMigration>>) -> Vec<Migration> {
    let mut out = Vec::new();
    for rm in raw {
        let pos = cx.at(rm.span());
        let rm = rm.into_inner();
        let mut values = Vec::new();
        for (from, to) in rm.values {
            match toml_answer(&to) {
                Some(v) => values.push((from, v)),
                None => cx.err(
                    pos,
                    format!(
                        "migration value for `{from}` is not a string, number or list of strings"
                    ),
                    "map each old value to the new one, e.g. values = { yes = [\"none\"] }",
                ),
            }
        }
        out.push(Migration {
            from: rm.from.into_inner(),
            to: rm.to.into_inner(),
            values,
            pos,
        });
    }
    out
}

/// A list of report ids (`["soc2"]`), each unknown one reported where it is.
fn parse_reports(cx: &mut Ctx, raw: &Spanned<Vec<String>>) -> Vec<Report> {
    let mut finder = Finder::new(&raw.span());
    let mut out = Vec::new();
    for r in raw.get_ref() {
        match Report::from_id(r) {
            Some(x) if !out.contains(&x) => out.push(x),
            Some(_) => {}
            None => {
                let pos = finder.next(&cx.loc, r, false);
                cx.err(
                    pos,
                    format!("unknown report `{r}` in short_period_for"),
                    "use `soc1` or `soc2`: the reports offered a short Type 2 period when the \
                     plan misses customers' date",
                );
            }
        }
    }
    out
}

fn parse_categories(cx: &mut Ctx, raw: &Option<Spanned<Vec<String>>>) -> Vec<Category> {
    let Some(raw) = raw else { return Vec::new() };
    let mut finder = Finder::new(&raw.span());
    let mut out = Vec::new();
    for c in raw.get_ref() {
        match Category::from_id(c) {
            Some(cat) => out.push(cat),
            None => {
                let pos = finder.next(&cx.loc, c, false);
                cx.err(
                    pos,
                    format!("unknown SOC 2 category `{c}`"),
                    "use security, availability, processing_integrity, confidentiality or privacy",
                );
            }
        }
    }
    out
}

/// Reads a condition from its TOML value; problems are reported, and a broken part becomes an
/// empty `all` so that the rest of the file can still be checked.
fn parse_condition(
    cx: &mut Ctx,
    v: &toml::Value,
    span: &Range<usize>,
    finder: &mut Finder,
) -> Condition {
    const FORMS: &str = "a condition is `{ q = \"id\", is = \"value\" }` (or in, has, has_any, \
        answered, gt, gte, lt, lte, older_than), `{ all = [...] }`, `{ any = [...] }`, `{ not = {...} }`, \
        `{ any_system = {...} }`, `{ any_system_in_scope = true }`, `{ total = \"soc2\" }` (report rules), \
        `{ in_scope = \"any\" }`, `{ supports = \"soc1\" }` or `{ hosts = \"any\" }` (system rules)";
    let here = cx.loc.pos(span.start);
    let Some(t) = v.as_table() else {
        cx.err(here, "a condition must be an inline table", FORMS);
        return Condition::All(vec![]);
    };
    let keys: Vec<&str> = t.keys().map(String::as_str).collect();
    let list = |cx: &mut Ctx, finder: &mut Finder, key: &str, items: &toml::Value| match items
        .as_array()
    {
        Some(a) => a
            .iter()
            .map(|c| parse_condition(cx, c, span, finder))
            .collect(),
        None => {
            cx.err(here, format!("`{key}` takes an array of conditions"), FORMS);
            vec![]
        }
    };
    match keys.as_slice() {
        ["all"] => return Condition::All(list(cx, finder, "all", &t["all"])),
        ["any"] => return Condition::Any(list(cx, finder, "any", &t["any"])),
        ["not"] => {
            return Condition::Not(Box::new(parse_condition(cx, &t["not"], span, finder)));
        }
        ["any_system"] => {
            let inner = parse_condition(cx, &t["any_system"], span, finder);
            return Condition::AnySystem(Box::new(inner));
        }
        ["total"] => {
            let name = t["total"].as_str().unwrap_or_default();
            return match super::condition::Total::parse(name) {
                Some(total) => Condition::Total(total),
                None => {
                    cx.err(
                        here,
                        format!("unknown total `{name}`"),
                        "a report rule can test `{ total = \"soc1\" }`, \"soc1_demand\", \"soc2\" \
                         or a category id such as \"processing_integrity\"",
                    );
                    Condition::All(vec![])
                }
            };
        }
        [key @ ("in_scope" | "supports" | "hosts")] => {
            let name = t[*key].as_str().unwrap_or_default();
            return match super::condition::Boundary::report(name) {
                Some(r) if *key == "in_scope" => Condition::Boundary(Boundary::InScope(r)),
                Some(r) if *key == "hosts" => Condition::Boundary(Boundary::Hosts(r)),
                Some(r) => Condition::Boundary(Boundary::Supports(r)),
                None => {
                    cx.err(
                        here,
                        format!("`{key}` takes \"soc1\", \"soc2\" or \"any\", not `{name}`"),
                        format!("write `{{ {key} = \"any\" }}` (in either report's scope) or name one report"),
                    );
                    Condition::All(vec![])
                }
            };
        }
        ["any_system_in_scope"] => {
            if t["any_system_in_scope"].as_bool() != Some(true) {
                cx.err(
                    here,
                    "`any_system_in_scope` must be `true`",
                    "write `{ any_system_in_scope = true }`, or wrap it in `not` for the opposite",
                );
            }
            return Condition::AnySystemInScope;
        }
        _ => {}
    }
    let Some(q) = t.get("q").and_then(|q| q.as_str()) else {
        cx.err(
            here,
            format!(
                "condition with keys [{}] has no question `q`",
                keys.join(", ")
            ),
            FORMS,
        );
        return Condition::All(vec![]);
    };
    let pos = finder.next(&cx.loc, q, true);
    let tests: Vec<(&String, &toml::Value)> = t.iter().filter(|(k, _)| k.as_str() != "q").collect();
    if tests.len() != 1 {
        cx.err(
            pos,
            format!(
                "condition on `{q}` needs exactly one test, found {}",
                tests.len()
            ),
            FORMS,
        );
        return Condition::All(vec![]);
    }
    let (key, val) = tests[0];
    let strings = |v: &toml::Value| -> Option<Vec<String>> {
        v.as_array()?
            .iter()
            .map(|x| x.as_str().map(str::to_string))
            .collect()
    };
    let bound = |v: &toml::Value| -> Option<Bound> {
        match v {
            toml::Value::Integer(i) => Some(Bound::Number(*i as f64)),
            toml::Value::Float(f) => Some(Bound::Number(*f)),
            toml::Value::String(s) => Some(Bound::Date(s.clone())),
            toml::Value::Datetime(d) => Some(Bound::Date(d.to_string())),
            _ => None,
        }
    };
    let test = match key.as_str() {
        "is" => val.as_str().map(|s| Test::Is(s.to_string())),
        "in" => strings(val).map(Test::In),
        "has" => val.as_str().map(|s| Test::Has(s.to_string())),
        "has_any" => strings(val).map(Test::HasAny),
        "answered" => val.as_bool().map(Test::Answered),
        "gt" => bound(val).map(Test::Gt),
        "gte" => bound(val).map(Test::Gte),
        "lt" => bound(val).map(Test::Lt),
        "lte" => bound(val).map(Test::Lte),
        "older_than" => match val {
            toml::Value::Integer(i) => Some(Test::OlderThan(Age::Days(*i as f64))),
            toml::Value::Float(f) => Some(Test::OlderThan(Age::Days(*f))),
            toml::Value::String(q) => Some(Test::OlderThan(Age::Question {
                q: q.clone(),
                qi: usize::MAX,
            })),
            _ => None,
        },
        other => {
            cx.err(
                pos,
                format!("unknown test `{other}` on question `{q}`"),
                FORMS,
            );
            return Condition::All(vec![]);
        }
    };
    match test {
        Some(test) => Condition::Atom(Atom {
            q: q.to_string(),
            qi: usize::MAX,
            test,
            pos,
        }),
        None => {
            cx.err(
                pos,
                format!("test `{key}` on `{q}` has a value of the wrong type"),
                "is/has take a string, in/has_any an array of strings, answered a boolean, \
                 gt/gte/lt/lte a number or a \"YYYY-MM-DD\" date, older_than a number of days \
                 or the id of a number question",
            );
            Condition::All(vec![])
        }
    }
}

/// Fills in question indexes (`usize::MAX` for an unknown id). The first definition of a
/// duplicate id wins, as in the checks, which read these indexes.
fn resolve(q: &mut Questionnaire) {
    let mut index: HashMap<String, usize> = HashMap::new();
    for (i, question) in q.questions.iter().enumerate() {
        index.entry(question.id.clone()).or_insert(i);
    }
    let fix = |c: &mut Condition| {
        for a in c.atoms_mut() {
            a.qi = index.get(&a.q).copied().unwrap_or(usize::MAX);
            if let Test::OlderThan(Age::Question { q, qi }) = &mut a.test {
                *qi = index.get(q).copied().unwrap_or(usize::MAX);
            }
        }
    };
    for question in &mut q.questions {
        if let Some(c) = &mut question.show_if {
            fix(c);
        }
    }
    for rule in &mut q.rules {
        fix(&mut rule.when);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_count_characters_on_long_lines() {
        let line = format!("{}x", "é".repeat(300));
        let src = format!("a\n{line}");
        let loc = Locator::new(&src);
        let x = src.len() - 1;
        assert_eq!(loc.pos(x), Pos { line: 2, col: 301 });
        assert_eq!(loc.pos(0), Pos { line: 1, col: 1 });
        assert_eq!(loc.pos(src.len() + 10), Pos { line: 2, col: 302 });
    }

    #[test]
    fn ids_in_a_condition_are_found_in_order_as_question_ids() {
        let src = r#"when = { all = [{ q = "a", is = "b" }, { "q" = "b", is = "x" }, { q='a', is = "y" }] }"#;
        let loc = Locator::new(src);
        let mut f = Finder::new(&(7..src.len()));
        assert_eq!(f.next(&loc, "a", true).col, 23);
        // `is = "b"` is a value, not the question `b`.
        assert_eq!(f.next(&loc, "b", true).col, 48);
        // The second `a` is the second one, not the first again.
        assert_eq!(f.next(&loc, "a", true).col, 69);
        // Not written as such (an escape): the start of the condition, and no panic.
        assert_eq!(f.next(&loc, "zz", true).col, 8);
    }
}
