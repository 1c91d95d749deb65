//! Shared test helpers: load the built-in questionnaire and the example sessions.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

use socscope::engine::{self, Recommendation};
use socscope::questionnaire::{self, Questionnaire};
use socscope::session::{Session, store};

/// The reference workshops of ../shared/scenarios.md, shipped in assets/examples/.
pub const EXAMPLES: [&str; 11] = [
    "s1-payroll-provider.toml",
    "s2-log-analytics.toml",
    "s3-billing-service-account.toml",
    "s4-internal-wiki.toml",
    "s5-nothing-decided.toml",
    "s6-cloud-subservice.toml",
    "s7-soc1-asked-nothing-financial.toml",
    "s8-new-financial-module.toml",
    "s9-software-on-a-platform.toml",
    "s10-conflicting-answers.toml",
    "s11-unverified-evidence.toml",
];

pub fn builtin() -> Questionnaire {
    questionnaire::builtin().unwrap_or_else(|e| panic!("built-in questionnaire:\n{e}"))
}

pub fn example_path(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("assets/examples")
        .join(name)
}

pub fn example(name: &str) -> Session {
    let q = builtin();
    let (s, opened) =
        store::open(&example_path(name), &q).unwrap_or_else(|e| panic!("{name}: {e}"));
    assert!(
        opened.notices.is_empty(),
        "{name}: answers kept aside: {:?}",
        opened.notices
    );
    s
}

pub fn recommend(s: &Session) -> Recommendation {
    engine::recommend(&builtin(), s)
}

/// A session from tests/fixtures/sessions/, opened with the built-in questionnaire; what
/// opening reported comes with it.
pub fn fixture(name: &str) -> (Session, Vec<String>) {
    let q = builtin();
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/sessions")
        .join(name);
    let (s, opened) = store::open(&path, &q).unwrap_or_else(|e| panic!("{name}: {e}"));
    (s, opened.notices)
}
