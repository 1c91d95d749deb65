//! `socscope merge BASE OURS THEIRS [-o OUT]`: the shell around [`crate::merge::merge`], and
//! git's merge driver (`socscope merge %O %A %B -o %A`, README "Working as a team").
//!
//! Exit 0 when clean, 1 with conflicts, 2 on error (git reads any other code than 0 as "not
//! merged", so the file is marked conflicted while still a valid session). Everything is read
//! and merged in memory before anything is written; OUT is replaced atomically, under its lock.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use super::{print, report_error};
use crate::engine;
use crate::merge;
use crate::questionnaire::Questionnaire;
use crate::session::{Session, lock, store};
use crate::text::clean;
use crate::workshop::{self, Access, Error};

/// What the `merge` subcommand was given.
pub(crate) struct Args<'a> {
    pub questionnaire: Option<&'a Path>,
    pub base: &'a str,
    pub ours: &'a str,
    pub theirs: &'a str,
    pub output: Option<&'a Path>,
}

pub(crate) fn run(args: &Args) -> ExitCode {
    match merge_files(args) {
        Ok(code) => code,
        Err(e) => {
            report_error(&e);
            ExitCode::from(2)
        }
    }
}

/// Reads one side; notes (answers kept aside...) go to standard error.
fn read(arg: &str, q: &Questionnaire) -> Result<(PathBuf, Session), Error> {
    let path = workshop::resolve(arg)?;
    let (s, opened) = workshop::peek(&path, q)?;
    for n in opened.notices {
        eprintln!("note: {}: {}", path.display(), clean(&n));
    }
    Ok((path, s))
}

fn merge_files(args: &Args) -> Result<ExitCode, Error> {
    let q = workshop::load_questionnaire(args.questionnaire)?;
    let (ours_path, ours) = read(args.ours, &q)?;
    let (_, theirs) = read(args.theirs, &q)?;
    let base_path = workshop::resolve(args.base)?;
    // Git hands an empty ancestor to a session both branches added.
    let base = if workshop::read_text(&base_path)?.trim().is_empty() {
        merge::empty_base(&q, &ours)
    } else {
        read(args.base, &q)?.1
    };
    let merged = merge::merge(&q, &base, &ours, &theirs);
    // As git's merge driver, OUT is OURS in a temporary file git made and reads back.
    let git_temp = args.output.is_some_and(|out| {
        out.file_name()
            .is_some_and(|n| n.to_string_lossy().starts_with(".merge_file_"))
            && workshop::catalogue::same_file(out, &ours_path)
    });
    let rec = engine::recommend(&q, &merged.session);
    let lines: Vec<String> = merged
        .conflicts
        .iter()
        .map(|c| {
            // What leaves socscope never holds a detected secret, even one kept as typed.
            clean(&crate::secrets::redacted(&merge::line(
                &q,
                &merged.session,
                c,
            )))
        })
        .collect();
    let earlier = merged.session.conflicts.len() - merged.conflicts.len();
    let mut report = String::new();
    match args.output {
        None => {
            let text = crate::session::file::render(
                &merged.session,
                crate::report::summary::file_summary(&rec),
            )
            .map_err(store::StoreError::Render)?;
            print(&text)?;
        }
        Some(out) => {
            write(out, git_temp, &merged.session, &rec, &q)?;
            let into = if git_temp {
                "merged".to_string()
            } else {
                format!("merged into {}", out.display())
            };
            report.push_str(&format!(
                "{into}: {}\n",
                match lines.len() {
                    0 => "no conflicts".to_string(),
                    1 => "1 conflict (ours is kept until it is resolved)".to_string(),
                    n => format!("{n} conflicts (ours is kept until they are resolved)"),
                }
            ));
        }
    }
    for l in &lines {
        report.push_str(l);
        report.push('\n');
    }
    if earlier > 0 {
        report.push_str(&format!(
            "note: {earlier} conflict(s) from an earlier merge are still unresolved\n"
        ));
    }
    if !lines.is_empty() || earlier > 0 {
        report.push_str(&match args.output {
            _ if git_temp => "resolve in the app or plain mode: socscope resume FILE (or \
                              --plain) for the session git lists as conflicted, then git add it\n"
                .to_string(),
            Some(out) => format!(
                "resolve in the app or plain mode: socscope resume {} (or --plain)\n",
                out.display()
            ),
            None => "resolve in the app or plain mode once it is saved: socscope resume FILE\n"
                .to_string(),
        });
    }
    // The merged session itself is on standard output when there is no OUT.
    if args.output.is_some() {
        print(&report)?;
    } else {
        let _ = std::io::stderr().write_all(report.as_bytes());
    }
    Ok(if lines.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// Writes the merged session to `out`: an existing file only if it is a session, opened for
/// writing (so under its lock: refused while a socscope has it open), and replaced atomically.
fn write(
    out: &Path,
    git_temp: bool,
    s: &Session,
    rec: &engine::Recommendation,
    q: &Questionnaire,
) -> Result<(), Error> {
    if std::fs::symlink_metadata(out).is_err() {
        if let Some(problem) = workshop::save(out, s, q)?.backup_problem {
            eprintln!("warning: {problem}");
        }
        return Ok(());
    }
    let mut opened = match workshop::open(out, q, Access::Write) {
        Err(Error::Store(e)) if e.is_damaged() => {
            return Err(Error::Usage {
                message: format!(
                    "refusing to write over {}: it is not a session file ({e})",
                    out.display()
                ),
                help: "give -o a new file name, or the session file to merge into".into(),
            });
        }
        other => other?,
    };
    let saved = opened.lease.save(s, rec)?;
    if let Some(problem) = saved.backup_problem {
        eprintln!("warning: {problem}");
    }
    // Git's temporary copy of OURS (`.merge_file_XXXXXX`): the previous version is git's to
    // keep, and a backup beside it would be left in the work tree as an untracked file.
    if git_temp {
        let _ = std::fs::remove_file(store::backup_path(&lock::key(out)));
    }
    Ok(())
}
