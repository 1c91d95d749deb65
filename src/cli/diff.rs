//! `socscope diff`: the shell around [`crate::diff::compare`].

use std::process::ExitCode;

use super::{open_to_read, print};
use crate::questionnaire::Questionnaire;
use crate::workshop::Error;

pub(crate) fn run(
    q: &Questionnaire,
    old: &str,
    new: &str,
    markdown: bool,
) -> Result<ExitCode, Error> {
    // Like every export, the comparison is made from redacted copies: no detected secret (even
    // one kept as typed on purpose) reaches the output.
    let old_o = open_to_read(old, q)?;
    let new_o = open_to_read(new, q)?;
    let old_s = crate::secrets::redact_session(&old_o.session);
    let new_s = crate::secrets::redact_session(&new_o.session);
    let mut d = crate::diff::compare(q, &old_s, &new_s);
    d.name_files(old_o.lease.path(), new_o.lease.path());
    if let Some(c) = &d.organisations {
        // Also on stderr, for output sent to a file.
        eprintln!(
            "warning: {}",
            crate::text::clean(&crate::diff::organisations_warning(c))
        );
    }
    let out = if markdown {
        crate::diff::render_markdown(&d)
    } else {
        crate::text::clean_multiline(&crate::diff::render_text(&d))
    };
    print(&out)?;
    Ok(ExitCode::SUCCESS)
}
