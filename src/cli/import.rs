//! `socscope import`: the shell around [`crate::import::plan`] and [`crate::import::apply`].
//!
//! The session is opened for writing before the file is read and stays locked until it is
//! saved: answers given in the app or plain mode meanwhile are never lost, because neither can
//! open it for writing while the import holds it (nor the import while they do).

use std::path::Path;
use std::process::ExitCode;

use chrono::{NaiveDate, Utc};

use super::print;
use crate::engine;
use crate::import::{Mapping, Options, apply, plan, render_plan};
use crate::questionnaire::Questionnaire;
use crate::report::wording;
use crate::text::clean_multiline;
use crate::workshop::{self, Access, Error};

/// What the `import` subcommand was given.
pub struct Args<'a> {
    pub session: &'a str,
    pub identities: &'a Path,
    pub map: &'a [String],
    pub dry_run: bool,
    pub overwrite: bool,
    pub skip_bad_rows: bool,
    pub as_of: Option<NaiveDate>,
}

pub fn run(q: &Questionnaire, args: &Args) -> Result<ExitCode, Error> {
    let mapping = Mapping::parse(args.map).map_err(|message| Error::Usage {
        message,
        help: "write each as --map \"COLUMN=FIELD\", with FIELD one of name, kind, owner, \
               systems, privilege, last_rotated, last_reviewed, mfa or ignore"
            .into(),
    })?;
    let path = workshop::resolve(args.session)?;
    let access = if args.dry_run {
        Access::ReadOnly
    } else {
        Access::Write
    };
    let mut opened = workshop::open(&path, q, access)?;
    super::report_opened(&opened);
    let csv_path = args.identities;
    let text = workshop::read_text(csv_path)?;
    let file_name = csv_path.file_name().map_or_else(
        || csv_path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    let opts = Options {
        today: args.as_of.unwrap_or_else(|| Utc::now().date_naive()),
        overwrite: args.overwrite,
        skip_bad_rows: args.skip_bad_rows,
    };
    let shown = csv_path.display().to_string();
    let p = match plan(q, &opened.session, &file_name, &text, &mapping, &opts) {
        Ok(p) => p,
        Err(mut e) => {
            if let Some(m) = &e.mapping {
                eprintln!(
                    "column mapping ({shown}):\n{}",
                    clean_multiline(&m.render())
                );
            }
            e.file = shown;
            return Err(Error::Import(e.to_string()));
        }
    };
    print(&clean_multiline(&format!(
        "column mapping ({shown}):\n{}{}",
        p.mapping.render(),
        render_plan(q, &p)
    )))?;
    if args.dry_run {
        print(&format!(
            "\ndry run: nothing saved (run again without --dry-run to import into {})\n",
            path.display()
        ))?;
        return Ok(ExitCode::SUCCESS);
    }
    let s = &mut opened.session;
    let before = engine::recommend(q, s);
    let revision = s.revision.get();
    let unchanged = s.clone();
    apply(q, &p, s, Utc::now());
    if *s == unchanged {
        print(&format!(
            "\nnothing to change: {} is already up to date\n",
            path.display()
        ))?;
        return Ok(ExitCode::SUCCESS);
    }
    debug_assert!(s.revision.get() != revision);
    let after = engine::recommend(q, s);
    if let Some(problem) = opened.lease.save(s, &after)?.backup_problem {
        eprintln!("warning: {problem}");
    }
    let now = wording::verdict_state(after.verdict, after.provisional);
    let was = wording::verdict_state(before.verdict, before.provisional);
    print(&if now != was {
        format!(
            "\nsaved {}\nRecommendation now: {now} (was {was})\n",
            path.display()
        )
    } else {
        format!("\nsaved {}\nRecommendation: {now}\n", path.display())
    })?;
    Ok(ExitCode::SUCCESS)
}
