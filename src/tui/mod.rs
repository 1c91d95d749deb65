//! The workshop TUI.

use crate::cli::{Failure, Start};
use crate::questionnaire::Questionnaire;

pub fn run(_q: Questionnaire, _start: Start) -> Result<(), Failure> {
    Err(Failure("the workshop app is not built yet; use the subcommands (see --help)".into()))
}
