//! The saved sessions: what `socscope list`, the start screen and "Changes since…" show, and
//! which other session a workshop is best compared with.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};

use crate::engine::{self, Progress, Verdict};
use crate::questionnaire::Questionnaire;
use crate::session::store;

/// One saved session as `socscope list` and the start screen show it.
#[derive(Debug, Clone)]
pub(crate) struct SessionInfo {
    pub path: PathBuf,
    pub organisation: String,
    pub updated: DateTime<Utc>,
    pub progress: Progress,
    pub verdict: Verdict,
    pub provisional: bool,
    /// Set when the file could not be read; the entry is still listed so nothing disappears.
    pub error: Option<String>,
}

/// Every `*.toml` session in `dir`, most recently updated first. Files that cannot be read are
/// listed too, with the first line of their error.
pub(crate) fn list(dir: &Path, q: &Questionnaire) -> Result<Vec<SessionInfo>, super::Error> {
    let mut out = Vec::new();
    for path in store::session_files(dir)? {
        match store::open(&path, q) {
            Ok((s, _)) => {
                let r = engine::recommend(q, &s);
                out.push(SessionInfo {
                    path,
                    organisation: s.workshop.organisation.clone(),
                    updated: s.updated,
                    progress: r.progress,
                    verdict: r.verdict,
                    provisional: r.provisional,
                    error: None,
                });
            }
            Err(e) => out.push(SessionInfo {
                path,
                organisation: String::new(),
                updated: DateTime::<Utc>::MIN_UTC,
                progress: Progress::default(),
                verdict: Verdict::Undetermined,
                provisional: true,
                error: Some(e.to_string().lines().next().unwrap_or_default().to_string()),
            }),
        }
    }
    out.sort_by(|a, b| b.updated.cmp(&a.updated).then_with(|| a.path.cmp(&b.path)));
    Ok(out)
}

/// The saved sessions of the sessions directory (empty when it cannot be read).
pub(crate) fn saved(q: &Questionnaire) -> Result<Vec<SessionInfo>, super::Error> {
    list(&store::data_dir()?, q)
}

fn same_org(a: &str, b: &str) -> bool {
    !a.trim().is_empty() && a.trim().to_lowercase() == b.trim().to_lowercase()
}

/// Whether two paths name the same file.
pub(crate) fn same_file(a: &Path, b: &Path) -> bool {
    a == b || matches!((a.canonicalize(), b.canonicalize()), (Ok(x), Ok(y)) if x == y)
}

/// A session another workshop can be compared with.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Candidate {
    pub path: PathBuf,
    pub organisation: String,
    pub updated: DateTime<Utc>,
    /// Same organisation as the open workshop (listed first).
    pub same_org: bool,
    /// Why the file cannot be read, if it cannot.
    pub error: Option<String>,
}

/// The other saved sessions (not the open one): those of the same organisation first, each
/// group most recently updated first (as [`list`] gives them).
pub(crate) fn compare_candidates(
    sessions: &[SessionInfo],
    current: &Path,
    org: &str,
) -> Vec<Candidate> {
    let others: Vec<&SessionInfo> = sessions
        .iter()
        .filter(|s| !same_file(&s.path, current))
        .collect();
    let row = |s: &SessionInfo, same: bool| Candidate {
        path: s.path.clone(),
        organisation: s.organisation.clone(),
        updated: s.updated,
        same_org: same,
        error: s.error.clone(),
    };
    let mut rows: Vec<Candidate> = others
        .iter()
        .filter(|s| same_org(&s.organisation, org))
        .map(|s| row(s, true))
        .collect();
    rows.extend(
        others
            .iter()
            .filter(|s| !same_org(&s.organisation, org))
            .map(|s| row(s, false)),
    );
    rows
}

/// "Last workshop for <org>: <date>" when another readable session of the same organisation
/// was last updated no later than the open one (a copy of last year's file keeps its time until
/// it is changed). The most recent such session is named.
pub(crate) fn last_workshop(
    sessions: &[SessionInfo],
    current: &Path,
    org: &str,
    updated: DateTime<Utc>,
) -> Option<String> {
    let s = sessions
        .iter()
        .filter(|s| s.error.is_none() && !same_file(&s.path, current))
        .filter(|s| same_org(&s.organisation, org) && s.updated <= updated)
        .max_by_key(|s| s.updated)?;
    Some(format!(
        "Last workshop for {}: {}",
        crate::text::clean(org.trim()),
        s.updated.format("%Y-%m-%d")
    ))
}
