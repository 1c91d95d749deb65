//! What one cell says: kinds, privileges, dates and ages, yes/no, lists of systems.

use foldhash::{HashSet, HashSetExt};

use chrono::NaiveDate;

use super::mapping::norm;
use super::{name_key, sanitize};
use crate::questionnaire::Question;

/// `a, b or c`.
pub(super) fn one_of<'a>(items: impl Iterator<Item = &'a str>) -> String {
    let items: Vec<&str> = items.collect();
    match items.split_last() {
        None => String::new(),
        Some((last, [])) => (*last).to_string(),
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
    }
}

/// Systems in one cell, separated by `;` or `|`, each once (first spelling kept).
pub(super) fn split_list(cell: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut seen: HashSet<String> = HashSet::new();
    for part in cell.split([';', '|']) {
        let part = part.trim();
        if !part.is_empty() && seen.insert(name_key(part)) {
            out.push(part.to_string());
        }
    }
    out
}

pub(super) fn is_none_word(s: &str) -> bool {
    matches!(
        norm(s).as_str(),
        "none" | "na" | "nobody" | "noowner" | "unowned" | "unassigned" | "orphaned"
    ) || s.trim() == "-"
}

pub(super) fn map_kind(kq: &Question, raw: &str) -> Option<String> {
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

pub(super) fn map_privilege(pq: &Question, raw: &str) -> Option<String> {
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
pub(super) enum When {
    DaysAgo(i64),
    Never,
    NotApplicable,
    Yes,
    No,
}

/// A date (`YYYY-MM-DD`, optionally with a time), an age in days (`412`, `412d`), `never`,
/// `n/a`, or yes/no; empty and `unknown` give `None`.
pub(super) fn parse_when(raw: &str, today: NaiveDate) -> Result<Option<When>, String> {
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

pub(super) fn describe(field: &str, raw: &str, when: When, today: NaiveDate) -> String {
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
pub(super) fn parse_bool(raw: &str) -> Option<Option<bool>> {
    match norm(raw).as_str() {
        "yes" | "y" | "true" | "t" | "1" | "enabled" | "enforced" | "on" | "active"
        | "required" | "certified" | "reviewed" => Some(Some(true)),
        "no" | "n" | "false" | "f" | "0" | "disabled" | "off" | "inactive" | "notenabled"
        | "notenforced" | "optional" | "notcertified" | "notreviewed" => Some(Some(false)),
        "" | "unknown" => Some(None),
        _ => None,
    }
}
