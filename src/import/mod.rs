//! Inventory import: pre-fill identities from a CSV exported from an identity provider or cloud
//! IAM (docs/import.md).
//!
//! Pure: [`plan`] (or [`plan_from`], streaming from a reader with a progress callback) reads
//! the CSV against a session and returns what would change, or every row that cannot be read,
//! located; [`apply`] carries a plan out on a session. Opening the file, showing progress and
//! saving the session are the front-ends' job.
//!
//! - `mapping`: which column feeds which field;
//! - `read`: the CSV, streamed, with the line and column of every problem;
//! - `values`, `facts`: what each cell and row says;
//! - `group`: rows merged per identity, disagreements found;
//! - `plan`: matching against the session, the answers' actions, what is not asked;
//! - `apply`, `render`: carrying it out, and the preview.
//!
//! Everything is linear (or n log n) in the file and the session: names are matched with hash
//! maps, and which questions are asked is worked out for the imported identities only. The
//! maps hash with foldhash (SipHash was 6 % of a million-row import); each map is seeded at
//! random, so a file's names cannot be chosen to collide.

mod apply;
mod facts;
mod group;
mod mapping;
mod plan;
mod read;
mod render;
mod values;

use foldhash::HashMap;
use std::io::Read;

pub use apply::{apply, apply_owned};
pub use mapping::{Field, FieldColumn, Mapping, ResolvedMapping, assign, resolve};
pub use plan::{
    Action, Csv, IdentityPlan, ImportPlan, Options, PlannedAnswer, Progress, Stage, SystemLink,
    plan, plan_from, throttled,
};
pub use read::{ImportErrors, RowError};
pub use render::{render_plan, render_plan_hinting, write_plan};

use crate::questionnaire::{Question, Questionnaire, Scope};
use read::{ReadError, Records, header_of};

/// Every CSV value shown (previews, errors, the mapping) goes through here: control characters
/// dropped and secrets redacted, as they would be once stored.
fn sanitize(s: &str) -> String {
    crate::export::markdown::sanitize(&crate::secrets::redacted(s))
}

/// A name in a plan, as shown: names are redacted when read (and stored so), so only cleaned.
fn shown_name(s: &str) -> String {
    crate::text::clean(s)
}

/// The identity questions by id, looked up once per import rather than per answer.
fn identity_questions(q: &Questionnaire) -> HashMap<&str, &Question> {
    q.questions
        .iter()
        .filter(|x| x.scope == Scope::Identity)
        .map(|x| (x.id.as_str(), x))
        .collect()
}

/// How names are matched: trimmed, case ignored.
fn name_key(s: &str) -> String {
    s.trim().to_lowercase()
}

/// [`name_key`] equality without building either key.
fn same_name(a: &str, b: &str) -> bool {
    a.trim()
        .chars()
        .flat_map(char::to_lowercase)
        .eq(b.trim().chars().flat_map(char::to_lowercase))
}

/// The header row's columns, read as [`plan`] reads them (the separator guessed from the
/// header line, a byte-order mark ignored).
pub(crate) fn header(csv_text: &str) -> Result<Vec<String>, String> {
    header_from(csv_text.as_bytes())
}

/// [`header`] from a reader: only the first record is read.
pub(crate) fn header_from(input: impl Read) -> Result<Vec<String>, String> {
    let mut records = Records::new(input).map_err(|e| read::input_failed(&e))?;
    header_of(&mut records).map_err(|e| match e.column {
        Some(c) => format!("line {}, column {c}: {}", e.line, e.message),
        None => e.message,
    })
}

/// The first row under the header with anything in it (cells trimmed, secrets redacted), to
/// show what each column holds; empty when there is none or it cannot be read.
pub fn first_row(csv_text: &str) -> Vec<String> {
    first_row_from(csv_text.as_bytes())
}

/// [`first_row`] from a reader: only the file's first rows are read.
pub(crate) fn first_row_from(input: impl Read) -> Vec<String> {
    let Ok(mut records) = Records::new(input) else {
        return Vec::new();
    };
    if header_of(&mut records).is_err() {
        return Vec::new();
    }
    while let Some(r) = records.next_record() {
        match r {
            Ok(r) if r.cells.iter().any(|c| !c.trim().is_empty()) => {
                return r
                    .cells
                    .iter()
                    .map(|c| crate::secrets::redacted(c.trim()))
                    .collect();
            }
            Ok(_) | Err(ReadError::Row(_)) => {}
            Err(ReadError::Input(_)) => break,
        }
    }
    Vec::new()
}
