//! Inventory import: pre-fill identities from a CSV exported from an identity provider or cloud
//! IAM (docs/import.md).
//!
//! Pure: [`plan`] reads CSV text against a session and returns what would change (or every row
//! that cannot be read, with its line); [`apply`] carries a plan out on a session. Reading the
//! file and saving the session are the command line's job.

use std::collections::BTreeMap;
use std::fmt::{self, Write as _};

use chrono::{DateTime, NaiveDate, Utc};

use crate::engine;
use crate::questionnaire::condition::Tri;
use crate::questionnaire::{Question, Questionnaire, Scope};
use crate::session::{EntityId, Session, Value};

/// A fact an import can fill in; what a CSV column is mapped to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Field {
    Name,
    Kind,
    Owner,
    Systems,
    Privilege,
    LastRotated,
    LastReviewed,
    Mfa,
}

impl Field {
    pub const ALL: [Field; 8] = [
        Field::Name,
        Field::Kind,
        Field::Owner,
        Field::Systems,
        Field::Privilege,
        Field::LastRotated,
        Field::LastReviewed,
        Field::Mfa,
    ];

    pub fn id(self) -> &'static str {
        match self {
            Field::Name => "name",
            Field::Kind => "kind",
            Field::Owner => "owner",
            Field::Systems => "systems",
            Field::Privilege => "privilege",
            Field::LastRotated => "last_rotated",
            Field::LastReviewed => "last_reviewed",
            Field::Mfa => "mfa",
        }
    }

    /// The field as people read it (the app's column mapping).
    pub fn label(self) -> &'static str {
        match self {
            Field::Name => "name",
            Field::Kind => "kind",
            Field::Owner => "owner",
            Field::Systems => "systems",
            Field::Privilege => "privilege",
            Field::LastRotated => "last rotated",
            Field::LastReviewed => "last reviewed",
            Field::Mfa => "MFA",
        }
    }

    pub fn from_id(s: &str) -> Option<Field> {
        let n = norm(s);
        Field::ALL.into_iter().find(|f| norm(f.id()) == n)
    }

    /// Header names recognised automatically, normalised (lower case, letters and digits only),
    /// best first.
    fn synonyms(self) -> &'static [&'static str] {
        match self {
            Field::Name => &[
                "name",
                "identity",
                "identityname",
                "user",
                "username",
                "principal",
                "principalname",
                "userprincipalname",
                "account",
                "accountname",
                "login",
                "displayname",
                "serviceaccount",
                "email",
                "arn",
            ],
            Field::Kind => &[
                "kind",
                "type",
                "identitykind",
                "identitytype",
                "accounttype",
                "principaltype",
                "usertype",
                "objecttype",
            ],
            Field::Owner => &[
                "owner",
                "ownername",
                "manager",
                "accountowner",
                "owneremail",
                "manageremail",
                "responsible",
                "custodian",
            ],
            Field::Systems => &[
                "systems",
                "system",
                "applications",
                "application",
                "apps",
                "app",
                "resources",
                "resource",
            ],
            Field::Privilege => &[
                "privilege",
                "privileges",
                "role",
                "roles",
                "permission",
                "permissions",
                "accesslevel",
                "access",
            ],
            Field::LastRotated => &[
                "lastrotated",
                "keyage",
                "passwordlastchanged",
                "passwordlastset",
                "passwordlastrotated",
                "lastrotation",
                "rotated",
                "keylastrotated",
                "accesskey1lastrotated",
                "credentiallastrotated",
                "secretlastrotated",
            ],
            Field::LastReviewed => &[
                "lastreviewed",
                "reviewed",
                "lastreview",
                "certified",
                "lastcertified",
                "lastaccessreview",
                "certificationdate",
            ],
            Field::Mfa => &[
                "mfa",
                "mfaenabled",
                "mfaenforced",
                "mfaactive",
                "2fa",
                "twofactor",
                "multifactor",
            ],
        }
    }
}

/// Every CSV value shown (previews, errors, the mapping) goes through here: control characters
/// dropped and secrets redacted, as they would be once stored.
fn sanitize(s: &str) -> String {
    crate::export::markdown::sanitize(&crate::secrets::redacted(s))
}

/// Letters and digits only, lower case: `Password Last Changed` and `password_last_changed`
/// are the same header.
fn norm(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// Column overrides given with `--map COLUMN=FIELD` (`FIELD` may be `ignore`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Mapping {
    pub overrides: Vec<(String, Option<Field>)>,
}

impl Mapping {
    /// Parses `--map` arguments such as `Login=name` or `Department=ignore`.
    pub fn parse(args: &[String]) -> Result<Mapping, String> {
        let mut overrides = Vec::new();
        for arg in args {
            let Some((column, field)) = arg.rsplit_once('=') else {
                return Err(format!(
                    "--map `{arg}` is not COLUMN=FIELD\n  help: for example --map \"Login=name\"; \
                     fields: {}, ignore",
                    field_list()
                ));
            };
            let field = if norm(field) == "ignore" {
                None
            } else {
                Some(Field::from_id(field).ok_or_else(|| {
                    format!(
                        "--map `{arg}`: `{field}` is not a field\n  help: use one of: {}, ignore",
                        field_list()
                    )
                })?)
            };
            overrides.push((column.trim().to_string(), field));
        }
        Ok(Mapping { overrides })
    }

    /// Makes `column` feed `field` (`None`: ignore the column), as `--map COLUMN=FIELD` does.
    /// An earlier choice for the column is replaced, and so is another column's choice of the
    /// same field, so a field is never given two columns.
    pub fn set(&mut self, column: &str, field: Option<Field>) {
        let column = column.trim();
        self.overrides
            .retain(|(c, f)| norm(c) != norm(column) && (field.is_none() || *f != field));
        self.overrides.push((column.to_string(), field));
    }

    /// The overrides as `--map` arguments (`COLUMN=FIELD`), which [`Mapping::parse`] reads
    /// back.
    pub fn args(&self) -> Vec<String> {
        self.overrides
            .iter()
            .map(|(c, f)| format!("{c}={}", f.map_or("ignore", Field::id)))
            .collect()
    }
}

fn field_list() -> String {
    Field::ALL.map(Field::id).join(", ")
}

/// How one field was mapped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldColumn {
    pub field: Field,
    /// Index and header of the column, or `None` when no column holds this field.
    pub column: Option<(usize, String)>,
    /// `true` when chosen by `--map`, `false` when recognised from the header.
    pub overridden: bool,
}

/// The mapping used: one entry per field, plus the columns left unused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedMapping {
    pub fields: Vec<FieldColumn>,
    pub unused: Vec<String>,
}

impl ResolvedMapping {
    /// How the column at `index` is used: the field it feeds, if any.
    pub fn field_of(&self, index: usize) -> Option<&FieldColumn> {
        self.fields
            .iter()
            .find(|c| c.column.as_ref().is_some_and(|(i, _)| *i == index))
    }

    pub fn column(&self, f: Field) -> Option<usize> {
        self.fields
            .iter()
            .find(|c| c.field == f)
            .and_then(|c| c.column.as_ref().map(|(i, _)| *i))
    }

    /// The mapping as printed before a preview or an import.
    pub fn render(&self) -> String {
        let mut out = String::new();
        for c in &self.fields {
            let _ = match &c.column {
                Some((_, h)) => writeln!(
                    out,
                    "  {:<14} <- column \"{}\"{}",
                    c.field.id(),
                    sanitize(h),
                    if c.overridden { " (--map)" } else { "" }
                ),
                None => writeln!(out, "  {:<14} (no column)", c.field.id()),
            };
        }
        if !self.unused.is_empty() {
            let names: Vec<String> = self
                .unused
                .iter()
                .map(|h| format!("\"{}\"", sanitize(h)))
                .collect();
            let _ = writeln!(out, "  not used: {}", names.join(", "));
        }
        out
    }
}

/// Works out which column holds which field: `--map` first, then header names. A file needs a
/// column for the name: without one this is an error saying how to choose it.
pub fn resolve(header: &[String], mapping: &Mapping) -> Result<ResolvedMapping, String> {
    let resolved = assign(header, mapping)?;
    if resolved.column(Field::Name).is_none() {
        return Err(format!(
            "no column holds the identity's name (looked for a header such as name, user, \
             principal or account)\n  help: say which column it is with --map \"COLUMN=name\"; \
             the columns are: {}",
            quoted_columns(header)
        ));
    }
    Ok(resolved)
}

fn quoted_columns(header: &[String]) -> String {
    header
        .iter()
        .map(|h| format!("\"{}\"", sanitize(h)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// [`resolve`] without requiring a name column: how the columns are read as they stand, for
/// the app's column mapping, which shows it before a name column has been chosen.
pub fn assign(header: &[String], mapping: &Mapping) -> Result<ResolvedMapping, String> {
    let mut chosen: BTreeMap<Field, (usize, bool)> = BTreeMap::new();
    let mut taken = vec![false; header.len()];
    let columns = || quoted_columns(header);
    for (column, field) in &mapping.overrides {
        let idx = header
            .iter()
            .position(|h| h.trim() == column)
            .or_else(|| header.iter().position(|h| norm(h) == norm(column)))
            .ok_or_else(|| {
                format!(
                    "--map: the file has no column \"{column}\"\n  help: its columns are: {}",
                    columns()
                )
            })?;
        taken[idx] = true;
        match field {
            None => {}
            Some(f) => {
                if let Some((other, _)) = chosen.get(f) {
                    return Err(format!(
                        "--map gives field `{}` two columns (\"{}\" and \"{}\")\n  help: map \
                         each field to one column",
                        f.id(),
                        header[*other],
                        header[idx]
                    ));
                }
                chosen.insert(*f, (idx, true));
            }
        }
    }
    for f in Field::ALL {
        if chosen.contains_key(&f) {
            continue;
        }
        let best = header
            .iter()
            .enumerate()
            .filter(|(i, _)| !taken[*i])
            .filter_map(|(i, h)| {
                let n = norm(h);
                f.synonyms()
                    .iter()
                    .position(|s| *s == n)
                    .map(|rank| (rank, i))
            })
            .min();
        if let Some((_, i)) = best {
            taken[i] = true;
            chosen.insert(f, (i, false));
        }
    }
    let fields = Field::ALL
        .into_iter()
        .map(|f| FieldColumn {
            field: f,
            column: chosen.get(&f).map(|(i, _)| (*i, header[*i].clone())),
            overridden: chosen.get(&f).is_some_and(|(_, o)| *o),
        })
        .collect();
    let unused = header
        .iter()
        .enumerate()
        .filter(|(i, _)| !chosen.values().any(|(c, _)| c == i))
        .map(|(_, h)| h.clone())
        .collect();
    Ok(ResolvedMapping { fields, unused })
}

/// Options of one import.
#[derive(Debug, Clone)]
pub struct Options {
    /// Dates are judged relative to this day (the import date).
    pub today: NaiveDate,
    /// Replace live answers that differ from the import.
    pub overwrite: bool,
    /// Import the good rows and list the bad ones, instead of refusing the whole file.
    pub skip_bad_rows: bool,
}

/// A row that could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    /// 1-based line in the file where the row starts (0 for the file as a whole).
    pub line: u64,
    pub message: String,
}

/// Why an import was refused: a problem with the file as a whole, or its bad rows.
#[derive(Debug, Clone)]
pub struct ImportErrors {
    pub file: String,
    /// Set when the header could be read: printed so people see how columns were understood.
    pub mapping: Option<ResolvedMapping>,
    pub errors: Vec<RowError>,
}

impl ImportErrors {
    /// Rows that cannot be read (not counting problems with the file as a whole).
    pub fn bad_rows(&self) -> usize {
        self.errors.iter().filter(|e| e.line > 0).count()
    }

    /// Each problem as `file:line: what is wrong`, with its help lines.
    pub fn list(&self) -> String {
        let mut out = String::new();
        for e in &self.errors {
            let _ = if e.line > 0 {
                writeln!(out, "{}:{}: {}", self.file, e.line, e.message)
            } else {
                writeln!(out, "{}: {}", self.file, e.message)
            };
        }
        out
    }
}

impl fmt::Display for ImportErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let rows = self.bad_rows();
        if rows > 0 {
            writeln!(
                f,
                "{}: {rows} row{} cannot be imported; nothing was saved",
                self.file,
                if rows == 1 { "" } else { "s" }
            )?;
        }
        f.write_str(&self.list())?;
        if rows > 0 {
            write!(
                f,
                "  help: fix those rows in the file and run the import again, or add \
                 --skip-bad-rows to import the other rows and leave these out"
            )?;
        }
        Ok(())
    }
}

/// What the import does to one answer.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// No answer yet (or "unknown"): it is filled in.
    Add,
    /// An earlier import's answer, or a live one with `--overwrite`: it is replaced.
    Replace { old: Value },
    /// Already holds this value: left as is.
    Unchanged,
    /// A live answer that differs: kept (use `--overwrite` to replace it).
    KeepLive { live: Value },
    /// The question is not asked of this identity (e.g. MFA for a service account).
    /// `because` says which of its answers hide it, e.g. `its has_owner answer is "No" (given
    /// in the workshop)`; empty when that cannot be said.
    NotAsked { because: String },
}

#[derive(Debug, Clone, PartialEq)]
pub struct PlannedAnswer {
    pub question: String,
    pub value: Value,
    /// What in the file gave this answer, e.g. `last_rotated 2024-11-02: 394 days ago`.
    pub from: String,
    pub action: Action,
}

/// A system an identity is linked to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SystemLink {
    pub name: String,
    /// The existing system's id; `None` when the import creates it.
    pub existing: Option<String>,
    /// The identity is already linked to it: nothing to do.
    pub linked: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct IdentityPlan {
    pub name: String,
    /// The existing identity's id (matched by name); `None` when the import adds it.
    pub existing: Option<String>,
    pub lines: Vec<u64>,
    pub systems: Vec<SystemLink>,
    pub answers: Vec<PlannedAnswer>,
}

/// What an import would do; [`apply`] carries it out.
#[derive(Debug, Clone)]
pub struct ImportPlan {
    /// Recorded on every imported answer: `import:<file name>`.
    pub source: String,
    pub mapping: ResolvedMapping,
    pub rows: usize,
    pub identities: Vec<IdentityPlan>,
    /// Systems the import creates, by name, in first-seen order.
    pub new_systems: Vec<String>,
    /// Rows left out with `--skip-bad-rows`.
    pub skipped: Vec<RowError>,
    /// Columns or facts the questionnaire has no question for.
    pub warnings: Vec<String>,
}

impl ImportPlan {
    /// Answers the import writes (added or replaced).
    pub fn answers_written(&self) -> usize {
        self.identities
            .iter()
            .flat_map(|i| &i.answers)
            .filter(|a| matches!(a.action, Action::Add | Action::Replace { .. }))
            .count()
    }
}

/// One fact read from a cell.
#[derive(Debug, Clone)]
struct Fact {
    /// The choice it gives (`human_user`, `admin`, `yes`...).
    id: String,
    /// The cell as written, for messages.
    raw: String,
    /// What gave it, shown in the preview: `kind "employee"`.
    from: String,
}

impl Fact {
    fn new(id: &str, raw: &str, from: String) -> Fact {
        Fact {
            id: id.to_string(),
            raw: raw.to_string(),
            from,
        }
    }
}

/// The facts read from one row.
#[derive(Debug, Default)]
struct Facts {
    line: u64,
    /// Further rows merged into this one (same name).
    more_lines: Vec<u64>,
    name: String,
    kind: Option<Fact>,
    owner: Option<Option<String>>,
    owner_raw: String,
    systems: Vec<String>,
    privilege: Option<Fact>,
    rotation: Option<Fact>,
    reviewed: Option<Fact>,
    mfa: Option<Fact>,
}

/// Reads `csv_text` (the file `file_name`) and works out what importing it into `s` would do.
/// Nothing is changed; every row that cannot be read is reported with its line.
pub fn plan<'q>(
    q: &'q Questionnaire,
    s: &Session,
    file_name: &str,
    csv_text: &str,
    mapping: &Mapping,
    opts: &Options,
) -> Result<ImportPlan, ImportErrors> {
    let fail = |mapping: Option<ResolvedMapping>, line: u64, message: String| ImportErrors {
        file: file_name.to_string(),
        mapping,
        errors: vec![RowError { line, message }],
    };
    let header = header(csv_text).map_err(|m| fail(None, 0, m))?;
    let mut reader = reader(strip_bom(csv_text));
    let resolved = resolve(&header, mapping).map_err(|m| fail(None, 0, m))?;
    let kind_q = q
        .identity_kind_question()
        .or_else(|| identity_question(q, "identity_kind"));
    let privilege_q = identity_question(q, "privilege");

    let mut errors: Vec<RowError> = Vec::new();
    let mut facts: Vec<Facts> = Vec::new();
    let mut rows = 0usize;
    for record in reader.records() {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map_or(0, csv::Position::line);
                errors.push(RowError {
                    line,
                    message: format!("cannot read this row: {e}"),
                });
                continue;
            }
        };
        let line = record.position().map_or(0, csv::Position::line);
        if record.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        rows += 1;
        if record.len() != header.len() {
            errors.push(RowError {
                line,
                message: format!(
                    "has {} columns, the header has {}\n  help: check for a separator or an \
                     unquoted comma inside a value (quote such values: \"a, b\")",
                    record.len(),
                    header.len()
                ),
            });
            continue;
        }
        let cell = |f: Field| {
            resolved
                .column(f)
                .and_then(|i| record.get(i))
                .map(str::trim)
                .unwrap_or("")
        };
        let mut problems = Vec::new();
        let mut fx = Facts {
            line,
            // Stored names are redacted: read them the same way so they match on re-import.
            name: crate::secrets::redacted(cell(Field::Name)),
            ..Facts::default()
        };
        if fx.name.is_empty() {
            problems.push("has no name\n  help: every row needs the identity's name".to_string());
        }
        let raw = cell(Field::Kind);
        if !raw.is_empty()
            && let Some(kq) = kind_q
        {
            match map_kind(kq, raw) {
                Some(id) => {
                    fx.kind = Some(Fact::new(&id, raw, format!("kind \"{}\"", sanitize(raw))))
                }
                None => problems.push(format!(
                    "unknown kind \"{}\"\n  help: write one of: {}",
                    sanitize(raw),
                    kq.choices
                        .iter()
                        .map(|c| c.id.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                )),
            }
        }
        let raw = cell(Field::Owner);
        fx.owner_raw = raw.to_string();
        if !raw.is_empty() {
            fx.owner = Some(if is_none_word(raw) {
                None
            } else {
                Some(raw.to_string())
            });
        }
        fx.systems = split_list(cell(Field::Systems))
            .into_iter()
            .map(|n| crate::secrets::redacted(&n))
            .collect();
        let raw = cell(Field::Privilege);
        if !raw.is_empty()
            && let Some(pq) = privilege_q
        {
            match map_privilege(pq, raw) {
                Some(id) => {
                    fx.privilege = Some(Fact::new(
                        &id,
                        raw,
                        format!("privilege \"{}\"", sanitize(raw)),
                    ));
                }
                None => problems.push(format!(
                    "cannot tell the privilege from \"{}\"\n  help: write {}, or a role name \
                     that contains one of them (ReadOnlyAccess, Contributor, AdministratorAccess)",
                    sanitize(raw),
                    one_of(pq.choices.iter().map(|c| c.id.as_str()))
                )),
            }
        }
        let raw = cell(Field::LastRotated);
        match parse_when(raw, opts.today) {
            Ok(None) => {}
            Ok(Some(when)) => {
                // `n/a`: no static secret; `never`: a static secret whose age nobody knows; a
                // date or an age: when it was last rotated (compared with the rotation policy
                // on the workshop date).
                let fact = match when {
                    When::NotApplicable => Some("n/a".to_string()),
                    When::Never => Some("never".to_string()),
                    When::DaysAgo(d) => Some(
                        (opts.today - chrono::Duration::days(d))
                            .format("%Y-%m-%d")
                            .to_string(),
                    ),
                    When::Yes | When::No => {
                        problems.push(format!(
                            "last rotated \"{}\" is not a date\n  help: write a date as \
                             YYYY-MM-DD, an age in days, never or n/a",
                            sanitize(raw)
                        ));
                        None
                    }
                };
                if let Some(fact) = fact {
                    fx.rotation = Some(Fact::new(
                        &fact,
                        raw,
                        describe("last_rotated", raw, when, opts.today),
                    ));
                }
            }
            Err(m) => problems.push(format!("last rotated: {m}")),
        }
        let raw = cell(Field::LastReviewed);
        match parse_when(raw, opts.today) {
            Ok(None) | Ok(Some(When::NotApplicable)) => {}
            Ok(Some(when)) => {
                let yes = match when {
                    When::DaysAgo(d) => d <= 365,
                    When::Yes => true,
                    _ => false,
                };
                fx.reviewed = Some(Fact::new(
                    if yes { "yes" } else { "no" },
                    raw,
                    describe("last_reviewed", raw, when, opts.today),
                ));
            }
            Err(m) => problems.push(format!("last reviewed: {m}")),
        }
        let raw = cell(Field::Mfa);
        if !raw.is_empty() {
            match parse_bool(raw) {
                Some(Some(b)) => {
                    fx.mfa = Some(Fact::new(
                        if b { "yes" } else { "no" },
                        raw,
                        format!("mfa \"{}\"", sanitize(raw)),
                    ));
                }
                Some(None) => {}
                None => problems.push(format!(
                    "MFA \"{}\" is neither yes nor no\n  help: write yes/no, true/false or \
                     enabled/disabled",
                    sanitize(raw)
                )),
            }
        }
        if problems.is_empty() {
            facts.push(fx);
        } else {
            for message in problems {
                errors.push(RowError { line, message });
            }
        }
    }
    if rows == 0 && errors.is_empty() {
        return Err(fail(
            Some(resolved),
            0,
            "the file has a header but no rows\n  help: export the identities with one row each"
                .into(),
        ));
    }

    // One identity per name: rows for the same name are merged (one row per grant is common).
    // Rows that disagree are all bad: which of them is right is for people to say.
    let mut by_name: Vec<Vec<Facts>> = Vec::new();
    let mut index: BTreeMap<String, usize> = BTreeMap::new();
    for fx in facts {
        let key = norm_name(&fx.name);
        match index.get(&key) {
            Some(&i) => by_name[i].push(fx),
            None => {
                index.insert(key, by_name.len());
                by_name.push(vec![fx]);
            }
        }
    }
    let mut groups: Vec<Facts> = Vec::new();
    for rows in by_name {
        let conflicts = conflicts(&rows);
        if conflicts.is_empty() {
            groups.extend(merge_all(rows));
        } else {
            errors.extend(conflicts);
        }
    }
    let mut skipped = Vec::new();
    if !errors.is_empty() {
        errors.sort_by_key(|e| e.line);
        if opts.skip_bad_rows {
            // Bad rows never joined a group: the good ones are imported as they are.
            skipped = errors;
        } else {
            return Err(ImportErrors {
                file: file_name.to_string(),
                mapping: Some(resolved),
                errors,
            });
        }
    }

    let mut warnings = Vec::new();
    for (field, qid) in [
        (Field::Kind, "identity_kind"),
        (Field::Owner, "has_owner"),
        (Field::Privilege, "privilege"),
        (Field::LastRotated, "last_rotated"),
        (Field::LastReviewed, "access_reviewed"),
        (Field::Mfa, "mfa_enforced"),
    ] {
        let has = if field == Field::Kind {
            kind_q.is_some()
        } else {
            identity_question(q, qid).is_some()
        };
        if resolved.column(field).is_some() && !has {
            warnings.push(format!(
                "the questionnaire has no identity question `{qid}`, so the {} column is not used",
                field.id()
            ));
        }
    }

    let mut new_systems: Vec<String> = Vec::new();
    let mut identities = Vec::new();
    for g in groups {
        let existing = s
            .identities
            .iter()
            .find(|i| same_name(&i.name, &g.name))
            .map(|i| i.id.clone());
        let mut systems: Vec<SystemLink> = Vec::new();
        for name in &g.systems {
            if systems.iter().any(|l| same_name(&l.name, name)) {
                continue;
            }
            match s.systems.iter().find(|x| same_name(&x.name, name)) {
                Some(x) => systems.push(SystemLink {
                    name: x.name.clone(),
                    existing: Some(x.id.clone()),
                    linked: existing
                        .as_deref()
                        .and_then(|id| s.identity(id))
                        .is_some_and(|i| i.systems.contains(&x.id)),
                }),
                None => {
                    let name = match new_systems.iter().find(|n| same_name(n, name)) {
                        Some(n) => n.clone(),
                        None => {
                            new_systems.push(name.clone());
                            name.clone()
                        }
                    };
                    systems.push(SystemLink {
                        name,
                        existing: None,
                        linked: false,
                    });
                }
            }
        }
        let mut wanted: Vec<(&Question, Value, String)> = Vec::new();
        let mut want = |question: Option<&'q Question>, value: Value, from: String| {
            if let Some(question) = question
                && value.check(question).is_ok()
            {
                wanted.push((question, value, from));
            }
        };
        if let Some(f) = &g.kind {
            want(kind_q, Value::Text(f.id.clone()), f.from.clone());
        }
        if let Some(f) = &g.privilege {
            want(privilege_q, Value::Text(f.id.clone()), f.from.clone());
        }
        if let Some(owner) = &g.owner {
            let from = format!("owner \"{}\"", sanitize(&g.owner_raw));
            let has = if owner.is_some() { "yes" } else { "no" };
            want(
                identity_question(q, "has_owner"),
                Value::Text(has.into()),
                from.clone(),
            );
            if let Some(name) = owner {
                want(
                    identity_question(q, "owner_name"),
                    Value::Text(name.clone()),
                    from,
                );
            }
        }
        if let Some(f) = &g.rotation {
            let static_secret = if f.id == "n/a" { "no" } else { "yes" };
            want(
                identity_question(q, "has_static_secret"),
                Value::Text(static_secret.into()),
                f.from.clone(),
            );
            if f.id != "n/a" {
                let when = if f.id == "never" {
                    Value::Unknown
                } else {
                    Value::Text(f.id.clone())
                };
                want(identity_question(q, "last_rotated"), when, f.from.clone());
            }
        }
        if let Some(f) = &g.reviewed {
            want(
                identity_question(q, "access_reviewed"),
                Value::Text(f.id.clone()),
                f.from.clone(),
            );
        }
        if let Some(f) = &g.mfa {
            want(
                identity_question(q, "mfa_enforced"),
                Value::Text(f.id.clone()),
                f.from.clone(),
            );
        }
        let current = existing.as_deref().and_then(|id| s.identity(id));
        let answers = wanted
            .into_iter()
            .map(|(question, value, from)| {
                let old = current.and_then(|i| i.answers.get(&question.id));
                let action = match old {
                    None => Action::Add,
                    Some(a) if a.value == value => Action::Unchanged,
                    Some(a) if a.value == Value::Unknown => Action::Add,
                    Some(a) if a.source.is_some() || opts.overwrite => Action::Replace {
                        old: a.value.clone(),
                    },
                    Some(a) => Action::KeepLive {
                        live: a.value.clone(),
                    },
                };
                PlannedAnswer {
                    question: question.id.clone(),
                    value,
                    from,
                    action,
                }
            })
            .collect();
        identities.push(IdentityPlan {
            name: g.name.clone(),
            existing,
            lines: lines_of(&g),
            systems,
            answers,
        });
    }

    let mut plan = ImportPlan {
        source: format!("import:{}", crate::secrets::redacted(file_name)),
        mapping: resolved,
        rows,
        identities,
        new_systems,
        skipped,
        warnings,
    };
    mark_not_asked(q, s, &mut plan);
    Ok(plan)
}

/// Answers to questions the identity is not asked (by the questionnaire's `show_if`, once the
/// import is applied) are left out, so nothing hidden is written.
fn mark_not_asked(q: &Questionnaire, s: &Session, plan: &mut ImportPlan) {
    let mut trial = s.clone();
    let now = trial.updated;
    let ids = apply_inner(q, plan, &mut trial, now);
    let vis = engine::visibility(q, &trial);
    for (ip, id) in plan.identities.iter_mut().zip(ids) {
        let Some(key) = engine::entity_key(&trial, &EntityId::Identity(id.clone())) else {
            continue;
        };
        let shown = vis.of(key);
        let answers = trial.identity(&id).map(|i| &i.answers);
        for a in &mut ip.answers {
            let hidden = q
                .question_index(&a.question)
                .and_then(|i| shown.get(i))
                .is_some_and(|t| *t == Tri::False);
            if hidden && matches!(a.action, Action::Add | Action::Replace { .. }) {
                let because = q
                    .question(&a.question)
                    .and_then(|x| x.show_if.as_ref())
                    .map(|c| hidden_because(q, c, answers, &plan.source))
                    .unwrap_or_default();
                a.action = Action::NotAsked { because };
            }
        }
    }
}

/// Which of the identity's answers hide a question (those its `show_if` reads), as
/// `its has_owner answer is "No" (given in the workshop)`.
fn hidden_because(
    q: &Questionnaire,
    show_if: &crate::questionnaire::condition::Condition,
    answers: Option<&BTreeMap<String, crate::session::Answer>>,
    source: &str,
) -> String {
    let mut parts: Vec<String> = Vec::new();
    for atom in show_if.atoms() {
        let Some(question) = identity_question(q, &atom.q) else {
            continue;
        };
        let Some(answer) = answers.and_then(|a| a.get(&atom.q)) else {
            continue;
        };
        let whose = match answer.source.as_deref() {
            None => "given in the workshop",
            Some(s) if s == source => "from this file",
            Some(_) => "from an earlier import",
        };
        let part = format!(
            "its {} answer is \"{}\" ({whose})",
            atom.q,
            sanitize(&answer.value.display(question))
        );
        if !parts.contains(&part) {
            parts.push(part);
        }
    }
    parts.join(" and ")
}

/// Carries out a plan: adds or updates identities, creates and links systems, writes answers
/// marked with the plan's source. Returns the ids of the identities, in plan order.
pub fn apply(
    q: &Questionnaire,
    plan: &ImportPlan,
    s: &mut Session,
    now: DateTime<Utc>,
) -> Vec<String> {
    apply_inner(q, plan, s, now)
}

fn apply_inner(
    q: &Questionnaire,
    plan: &ImportPlan,
    s: &mut Session,
    now: DateTime<Utc>,
) -> Vec<String> {
    let mut created: BTreeMap<String, String> = BTreeMap::new();
    let mut ids = Vec::new();
    for name in &plan.new_systems {
        let id = match s.systems.iter().find(|x| same_name(&x.name, name)) {
            Some(x) => x.id.clone(),
            None => s.add_system(name, now),
        };
        created.insert(norm_name(name), id);
    }
    for ip in &plan.identities {
        let id = match ip
            .existing
            .as_ref()
            .filter(|id| s.identity(id).is_some())
            .cloned()
        {
            Some(id) => id,
            None => s.add_identity(&ip.name, now),
        };
        for link in &ip.systems {
            let sid = link
                .existing
                .clone()
                .or_else(|| created.get(&norm_name(&link.name)).cloned());
            let Some(sid) = sid else { continue };
            let linked = s.identity(&id).is_some_and(|i| i.systems.contains(&sid));
            if !linked {
                s.toggle_link(&id, &sid, now);
            }
        }
        let entity = EntityId::Identity(id.clone());
        for a in &ip.answers {
            if !matches!(a.action, Action::Add | Action::Replace { .. }) {
                continue;
            }
            let Some(question) = q.question(&a.question) else {
                continue;
            };
            if s.set_answer(question, &entity, a.value.clone(), now)
                .is_ok()
                && let Some(stored) = s
                    .answers_mut(&entity)
                    .and_then(|answers| answers.get_mut(&a.question))
            {
                stored.source = Some(plan.source.clone());
            }
        }
        ids.push(id);
    }
    ids
}

/// The preview printed by `--dry-run` (and as the summary of a real import).
pub fn render_plan(q: &Questionnaire, plan: &ImportPlan) -> String {
    render_plan_hinting(q, plan, "use --overwrite to replace it")
}

/// [`render_plan`], saying how to replace a kept live answer where the plan is shown (the app
/// has a key for it, the command line a flag).
pub fn render_plan_hinting(q: &Questionnaire, plan: &ImportPlan, overwrite_hint: &str) -> String {
    let mut out = String::new();
    let w = &mut out;
    let added = plan
        .identities
        .iter()
        .filter(|i| i.existing.is_none())
        .count();
    // Existing systems the import links to an identity not linked to them yet.
    let linked: usize = {
        let mut names: Vec<&str> = plan
            .identities
            .iter()
            .flat_map(|i| &i.systems)
            .filter(|l| l.existing.is_some() && !l.linked)
            .map(|l| l.name.as_str())
            .collect();
        names.sort_unstable();
        names.dedup();
        names.len()
    };
    let systems = match (plan.new_systems.len(), linked) {
        (0, 0) => String::new(),
        (new, 0) => format!("systems: {new} new; "),
        (new, linked) => format!("systems: {new} new, {linked} existing linked by name; "),
    };
    let _ = writeln!(
        w,
        "{} row{} read: {} identit{} ({added} new, {} updated); {systems}{} answer{} pre-filled",
        plan.rows,
        if plan.rows == 1 { "" } else { "s" },
        plan.identities.len(),
        if plan.identities.len() == 1 {
            "y"
        } else {
            "ies"
        },
        plan.identities.len() - added,
        plan.answers_written(),
        if plan.answers_written() == 1 { "" } else { "s" },
    );
    for ip in &plan.identities {
        let lines: Vec<String> = ip.lines.iter().map(u64::to_string).collect();
        let _ = writeln!(
            w,
            "\n{} identity \"{}\"{} (line{} {})",
            if ip.existing.is_some() { "~" } else { "+" },
            sanitize(&ip.name),
            ip.existing
                .as_deref()
                .map(|id| format!(" [{id}, existing]"))
                .unwrap_or_default(),
            if lines.len() == 1 { "" } else { "s" },
            lines.join(", ")
        );
        for l in &ip.systems {
            let _ = writeln!(
                w,
                "    system: \"{}\" ({})",
                sanitize(&l.name),
                match &l.existing {
                    Some(id) if l.linked => format!("existing {id}, already linked"),
                    Some(id) => format!("existing {id}, linked by name"),
                    None => "new".to_string(),
                }
            );
        }
        for a in &ip.answers {
            let Some(question) = q.question(&a.question) else {
                continue;
            };
            let shown = sanitize(&a.value.display(question));
            let line = match &a.action {
                Action::Add => format!("{} = {shown}  [{}]", a.question, a.from),
                Action::Replace { old } => format!(
                    "{} = {shown}  (was {})  [{}]",
                    a.question,
                    sanitize(&old.display(question)),
                    a.from
                ),
                Action::Unchanged => format!("{} = {shown}  (already so)", a.question),
                Action::KeepLive { live } => format!(
                    "{}: kept the live answer \"{}\" (the file says \"{shown}\"; \
                     {overwrite_hint})",
                    a.question,
                    sanitize(&live.display(question))
                ),
                Action::NotAsked { because } => format!(
                    "{}: not asked for this identity{}{because}, so \"{shown}\" is not recorded",
                    a.question,
                    if because.is_empty() { "" } else { " because " },
                ),
            };
            let _ = writeln!(w, "    {line}");
        }
    }
    if !plan.new_systems.is_empty() {
        let names: Vec<String> = plan
            .new_systems
            .iter()
            .map(|n| format!("\"{}\"", sanitize(n)))
            .collect();
        let _ = writeln!(w, "\nnew systems: {}", names.join(", "));
    }
    for warn in &plan.warnings {
        let _ = writeln!(w, "note: {warn}");
    }
    if !plan.skipped.is_empty() {
        let _ = writeln!(
            w,
            "\nskipped {} bad row{} (not imported):",
            plan.skipped.len(),
            if plan.skipped.len() == 1 { "" } else { "s" }
        );
        for e in &plan.skipped {
            let _ = writeln!(w, "  line {}: {}", e.line, e.message.replace('\n', "\n  "));
        }
    }
    out
}

fn identity_question<'q>(q: &'q Questionnaire, id: &str) -> Option<&'q Question> {
    q.question(id).filter(|x| x.scope == Scope::Identity)
}

fn norm_name(s: &str) -> String {
    s.trim().to_lowercase()
}

fn same_name(a: &str, b: &str) -> bool {
    norm_name(a) == norm_name(b)
}

fn lines_of(g: &Facts) -> Vec<u64> {
    let mut lines = vec![g.line];
    lines.extend(&g.more_lines);
    lines
}

/// Reads one fact of a row: its value (to compare) and the cell as written (to show).
type FactOf = fn(&Facts) -> Option<(&str, &str)>;

/// Rows for one name that disagree about anything but systems and privilege: every row of
/// that name, each with what it disagrees about (empty when they agree).
fn conflicts(rows: &[Facts]) -> Vec<RowError> {
    if rows.len() < 2 {
        return Vec::new();
    }
    // (this line, the other line, what, the value here, the value there), first found for
    // each line.
    let mut found: BTreeMap<u64, (u64, &str, String, String)> = BTreeMap::new();
    let mut note = |a: &Facts, b: &Facts, what: &'static str, x: &str, y: &str| {
        found
            .entry(a.line)
            .or_insert_with(|| (b.line, what, x.to_string(), y.to_string()));
        found
            .entry(b.line)
            .or_insert_with(|| (a.line, what, y.to_string(), x.to_string()));
    };
    let facts: [(&'static str, FactOf); 5] = [
        ("kind", |r| {
            r.kind.as_ref().map(|f| (f.id.as_str(), f.raw.as_str()))
        }),
        ("owner", |r| {
            r.owner
                .as_ref()
                .map(|o| (o.as_deref().unwrap_or(""), r.owner_raw.as_str()))
        }),
        ("last rotated", |r| {
            r.rotation.as_ref().map(|f| (f.id.as_str(), f.raw.as_str()))
        }),
        ("last reviewed", |r| {
            r.reviewed.as_ref().map(|f| (f.id.as_str(), f.raw.as_str()))
        }),
        ("MFA", |r| {
            r.mfa.as_ref().map(|f| (f.id.as_str(), f.raw.as_str()))
        }),
    ];
    for (what, get) in facts {
        // Each row is compared with the first row that gives this fact.
        let mut first: Option<(&Facts, &str, &str)> = None;
        for r in rows {
            let Some((value, raw)) = get(r) else { continue };
            match first {
                None => first = Some((r, value, raw)),
                Some((f, v, fraw)) if v != value => note(f, r, what, fraw, raw),
                Some(_) => {}
            }
        }
    }
    if found.is_empty() {
        return Vec::new();
    }
    let name = sanitize(&rows[0].name);
    let lines: Vec<String> = rows.iter().map(|r| r.line.to_string()).collect();
    let help = "help: make the rows for one identity agree, or remove the wrong ones; none of \
                its rows is imported until then";
    rows.iter()
        .map(|r| RowError {
            line: r.line,
            message: match found.get(&r.line) {
                Some((other, what, here, there)) => format!(
                    "\"{name}\" is also on line {other} with a different {what} (\"{}\" here, \
                     \"{}\" there)\n  {help}",
                    sanitize(here),
                    sanitize(there)
                ),
                None => format!(
                    "\"{name}\": its rows disagree (lines {}), so this one is left out too\n  \
                     {help}",
                    lines.join(", ")
                ),
            },
        })
        .collect()
}

/// Merges the rows for one identity (which agree): systems are added, the highest privilege
/// wins, any other fact is taken from the first row that has it.
fn merge_all(rows: Vec<Facts>) -> Option<Facts> {
    let mut rows = rows.into_iter();
    let mut g = rows.next()?;
    let rank = |p: &str| ["read", "write", "admin"].iter().position(|x| *x == p);
    for fx in rows {
        g.privilege = match (g.privilege.take(), fx.privilege) {
            (Some(a), Some(b)) => Some(if rank(&b.id) > rank(&a.id) { b } else { a }),
            (a, b) => a.or(b),
        };
        g.kind = g.kind.take().or(fx.kind);
        g.rotation = g.rotation.take().or(fx.rotation);
        g.reviewed = g.reviewed.take().or(fx.reviewed);
        g.mfa = g.mfa.take().or(fx.mfa);
        if g.owner.is_none() {
            g.owner = fx.owner;
            g.owner_raw = fx.owner_raw;
        }
        g.more_lines.push(fx.line);
        for sys in fx.systems {
            if !g.systems.iter().any(|x| same_name(x, &sys)) {
                g.systems.push(sys);
            }
        }
    }
    Some(g)
}

/// `a, b or c`.
fn one_of<'a>(items: impl Iterator<Item = &'a str>) -> String {
    let items: Vec<&str> = items.collect();
    match items.split_last() {
        None => String::new(),
        Some((last, [])) => (*last).to_string(),
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
    }
}

/// The header row's columns, read as [`plan`] reads them (the separator guessed from the
/// header line, a byte-order mark ignored).
pub fn header(csv_text: &str) -> Result<Vec<String>, String> {
    let text = strip_bom(csv_text);
    if text.trim().is_empty() {
        return Err(
            "the file is empty\n  help: export the identities as CSV with a header row".into(),
        );
    }
    match reader(text).headers() {
        Ok(h) => Ok(h.iter().map(|c| c.trim().to_string()).collect()),
        Err(e) => Err(format!("cannot read the header row (line 1): {e}")),
    }
}

/// The first row under the header with anything in it (cells trimmed, secrets redacted), to
/// show what each column holds; empty when there is none or it cannot be read.
pub fn first_row(csv_text: &str) -> Vec<String> {
    reader(strip_bom(csv_text))
        .records()
        .filter_map(Result::ok)
        .find(|r| r.iter().any(|c| !c.trim().is_empty()))
        .map(|r| {
            r.iter()
                .map(|c| crate::secrets::redacted(c.trim()))
                .collect()
        })
        .unwrap_or_default()
}

fn strip_bom(text: &str) -> &str {
    text.strip_prefix('\u{feff}').unwrap_or(text)
}

fn reader(text: &str) -> csv::Reader<&[u8]> {
    csv::ReaderBuilder::new()
        .delimiter(sniff_delimiter(text))
        .flexible(true)
        .has_headers(true)
        .from_reader(text.as_bytes())
}

/// Comma unless the header line has none and does have semicolons or tabs.
fn sniff_delimiter(text: &str) -> u8 {
    let first = text.lines().next().unwrap_or("");
    if first.contains(',') {
        b','
    } else if first.contains('\t') {
        b'\t'
    } else if first.contains(';') {
        b';'
    } else {
        b','
    }
}

/// Systems in one cell, separated by `;` or `|`.
fn split_list(cell: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for part in cell.split([';', '|']) {
        let part = part.trim();
        if !part.is_empty() && !out.iter().any(|x| same_name(x, part)) {
            out.push(part.to_string());
        }
    }
    out
}

fn is_none_word(s: &str) -> bool {
    matches!(
        norm(s).as_str(),
        "none" | "na" | "nobody" | "noowner" | "unowned" | "unassigned" | "orphaned"
    ) || s.trim() == "-"
}

fn map_kind(kq: &Question, raw: &str) -> Option<String> {
    let n = norm(raw);
    if let Some(c) = kq
        .choices
        .iter()
        .find(|c| norm(&c.id) == n || norm(&c.label) == n)
    {
        return Some(c.id.clone());
    }
    const SYNONYMS: &[(&str, &[&str])] = &[
        (
            "human_user",
            &[
                "user",
                "human",
                "employee",
                "person",
                "member",
                "staff",
                "iamuser",
                "humanuser",
                "workforce",
                "oktauser",
            ],
        ),
        (
            "admin",
            &[
                "admin",
                "administrator",
                "superuser",
                "privilegeduser",
                "globaladmin",
                "adminuser",
                "root",
            ],
        ),
        (
            "contractor",
            &["contractor", "external", "guest", "consultant", "vendor"],
        ),
        (
            "service_account",
            &[
                "serviceaccount",
                "service",
                "svc",
                "serviceprincipal",
                "machine",
                "machineuser",
                "application",
                "robot",
                "bot",
                "system",
                "workload",
                "managedidentity",
            ],
        ),
        ("api_key", &["apikey", "key", "accesskey", "secretkey"]),
        (
            "token",
            &[
                "token",
                "accesstoken",
                "pat",
                "personalaccesstoken",
                "bearertoken",
            ],
        ),
        (
            "certificate",
            &[
                "certificate",
                "cert",
                "keypair",
                "sshkey",
                "x509",
                "tlscert",
            ],
        ),
        (
            "cicd_credential",
            &[
                "cicd",
                "cicdcredential",
                "ci",
                "pipeline",
                "deploykey",
                "deploy",
                "githubaction",
                "githubactions",
            ],
        ),
        (
            "oauth_app",
            &[
                "oauth",
                "oauthapp",
                "oauthapplication",
                "thirdpartyapp",
                "integration",
            ],
        ),
        ("ai_agent", &["aiagent", "agent", "ai", "llmagent", "llm"]),
    ];
    SYNONYMS
        .iter()
        .filter(|(id, _)| kq.choice(id).is_some())
        .find(|(_, words)| words.contains(&n.as_str()))
        .map(|(id, _)| (*id).to_string())
}

fn map_privilege(pq: &Question, raw: &str) -> Option<String> {
    let levels = ["read", "write", "admin"];
    let mut best: Option<usize> = None;
    for part in raw.split([';', '|']) {
        let n = norm(part);
        if n.is_empty() {
            continue;
        }
        if let Some(c) = pq
            .choices
            .iter()
            .find(|c| norm(&c.id) == n || norm(&c.label) == n)
        {
            match levels.iter().position(|l| *l == c.id) {
                Some(r) => best = best.max(Some(r)),
                None => return Some(c.id.clone()),
            }
            continue;
        }
        let rank = if ["admin", "owner", "root", "superuser", "fullaccess"]
            .iter()
            .any(|w| n.contains(w))
        {
            2
        } else if [
            "write",
            "editor",
            "contributor",
            "poweruser",
            "modify",
            "manage",
        ]
        .iter()
        .any(|w| n.contains(w))
        {
            1
        } else if ["read", "view", "auditor", "ro", "list"]
            .iter()
            .any(|w| n == *w || n.contains(w) && w.len() > 2)
        {
            0
        } else {
            return None;
        };
        best = best.max(Some(rank));
    }
    best.map(|r| levels[r])
        .filter(|id| pq.choice(id).is_some())
        .map(str::to_string)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum When {
    DaysAgo(i64),
    Never,
    NotApplicable,
    Yes,
    No,
}

/// A date (`YYYY-MM-DD`, optionally with a time), an age in days (`412`, `412d`), `never`,
/// `n/a`, or yes/no; empty and `unknown` give `None`.
fn parse_when(raw: &str, today: NaiveDate) -> Result<Option<When>, String> {
    let t = raw.trim();
    let n = norm(t);
    if n.is_empty() || matches!(n.as_str(), "unknown" | "noinformation") {
        return Ok(None);
    }
    if n == "never" {
        return Ok(Some(When::Never));
    }
    if matches!(
        n.as_str(),
        "na" | "notapplicable" | "notsupported" | "none" | "nosecret"
    ) {
        return Ok(Some(When::NotApplicable));
    }
    let days = t
        .trim_end_matches("days")
        .trim_end_matches("day")
        .trim_end_matches('d')
        .trim();
    if let Ok(d) = days.parse::<i64>() {
        if d < 0 {
            return Err(format!(
                "\"{}\" is a negative age\n  help: write the age in days, or a date as YYYY-MM-DD",
                sanitize(t)
            ));
        }
        return Ok(Some(When::DaysAgo(d)));
    }
    match parse_bool(t) {
        Some(Some(true)) => return Ok(Some(When::Yes)),
        Some(Some(false)) => return Ok(Some(When::No)),
        _ => {}
    }
    let date_part = t
        .get(..10)
        .filter(|_| t.len() == 10 || t[10..].starts_with('T') || t[10..].starts_with(' '));
    let date = date_part.and_then(|d| {
        NaiveDate::parse_from_str(d, "%Y-%m-%d")
            .or_else(|_| NaiveDate::parse_from_str(d, "%Y/%m/%d"))
            .ok()
    });
    let Some(date) = date else {
        return Err(format!(
            "\"{}\" is not a date\n  help: write dates as YYYY-MM-DD (2025-03-31), or an age in \
             days, never or n/a",
            sanitize(t)
        ));
    };
    let age = (today - date).num_days();
    if age < -1 {
        return Err(format!(
            "{date} is in the future (the import date is {today})\n  help: check the date"
        ));
    }
    Ok(Some(When::DaysAgo(age.max(0))))
}

fn describe(field: &str, raw: &str, when: When, today: NaiveDate) -> String {
    match when {
        When::DaysAgo(d) if raw.trim().len() >= 8 && raw.contains(['-', '/']) => {
            format!(
                "{field} {}: {d} days before {today}",
                sanitize(raw.trim().get(..10).unwrap_or(raw))
            )
        }
        When::DaysAgo(d) => format!("{field} \"{}\": {d} days", sanitize(raw.trim())),
        _ => format!("{field} \"{}\"", sanitize(raw.trim())),
    }
}

/// `Some(Some(b))` for a yes/no word, `Some(None)` for unknown, `None` for anything else.
fn parse_bool(raw: &str) -> Option<Option<bool>> {
    match norm(raw).as_str() {
        "yes" | "y" | "true" | "t" | "1" | "enabled" | "enforced" | "on" | "active"
        | "required" | "certified" | "reviewed" => Some(Some(true)),
        "no" | "n" | "false" | "f" | "0" | "disabled" | "off" | "inactive" | "notenabled"
        | "notenforced" | "optional" | "notcertified" | "notreviewed" => Some(Some(false)),
        "" | "unknown" => Some(None),
        _ => None,
    }
}
