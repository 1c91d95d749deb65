//! Which CSV column feeds which field: `--map` overrides first, then header names.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::sanitize;

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
    pub(crate) const ALL: [Field; 8] = [
        Field::Name,
        Field::Kind,
        Field::Owner,
        Field::Systems,
        Field::Privilege,
        Field::LastRotated,
        Field::LastReviewed,
        Field::Mfa,
    ];

    pub(crate) fn id(self) -> &'static str {
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
    pub(crate) fn label(self) -> &'static str {
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

    pub(crate) fn from_id(s: &str) -> Option<Field> {
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

/// Letters and digits only, lower case: `Password Last Changed` and `password_last_changed`
/// are the same header.
pub(super) fn norm(s: &str) -> String {
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

pub(super) fn quoted_columns(header: &[String]) -> String {
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
