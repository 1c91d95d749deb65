//! `socscope import`: the shell around [`crate::import::plan_from`] and
//! [`crate::import::apply`].
//!
//! The session is opened for writing before the file is read and stays locked until it is
//! saved: answers given in the app or plain mode meanwhile are never lost, because neither can
//! open it for writing while the import holds it (nor the import while they do).
//!
//! The CSV is streamed (never read whole into memory) and the preview is written to standard
//! output as it is rendered. On a terminal, standard error shows how far the import has got.

use std::fmt;
use std::io::{self, BufWriter, IsTerminal, Write};
use std::ops::ControlFlow;
use std::path::Path;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use chrono::{NaiveDate, Utc};

use crate::engine;
use crate::engine::Verdict;
use crate::import::{self, Csv, Mapping, Options, Progress, Stage};
use crate::questionnaire::condition::Tri;
use crate::questionnaire::{Category, Questionnaire};
use crate::report::wording;
use crate::session::store::StoreError;
use crate::text::clean_multiline;
use crate::workshop::{self, Access, Error};

/// What the `import` subcommand was given.
pub(crate) struct Args<'a> {
    pub session: &'a str,
    pub identities: &'a Path,
    pub map: &'a [String],
    pub dry_run: bool,
    pub overwrite: bool,
    pub skip_bad_rows: bool,
    pub as_of: Option<NaiveDate>,
}

pub(crate) fn run(q: &Questionnaire, args: &Args) -> Result<ExitCode, Error> {
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
    let (file, len) = open_csv(csv_path)?;
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
    let mut meter = Meter::new(&shown, io::stderr().is_terminal());
    let csv = Csv {
        name: file_name,
        reader: file,
        len,
    };
    let mut report = import::throttled(EVERY, |p| {
        meter.show(p);
        ControlFlow::Continue(())
    });
    let planned = import::plan_from(q, &opened.session, csv, &mapping, &opts, &mut report);
    drop(report);
    let p = match planned {
        Ok(p) => p,
        Err(mut e) => {
            meter.done("stopped");
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
    meter.done(&format!(
        "{} rows read, {} identities planned",
        p.rows,
        p.identities.len()
    ));
    {
        let mut out =
            super::Sink::new(BufWriter::with_capacity(1 << 16, io::stdout().lock()), true);
        let written = fmt::Write::write_fmt(
            &mut out,
            format_args!("column mapping ({shown}):\n{}", p.mapping.render()),
        )
        .and_then(|()| import::write_plan(q, &p, "use --overwrite to replace it", &mut out));
        out.finish(written)?;
    }
    if args.dry_run {
        super::print(&format!(
            "\ndry run: nothing saved (run again without --dry-run to import into {})\n",
            path.display()
        ))?;
        return Ok(ExitCode::SUCCESS);
    }
    if !p.changes_anything() {
        super::print(&format!(
            "\nnothing to change: {} is already up to date\n",
            path.display()
        ))?;
        return Ok(ExitCode::SUCCESS);
    }
    let s = &mut opened.session;
    meter.status("working out the verdict before the import");
    let was = Outline::of(q, s).state();
    meter.status("applying the import");
    import::apply_owned(q, p, s, Utc::now());
    meter.status(&format!(
        "saving {} and working out the verdict",
        path.display()
    ));
    let s: &crate::session::Session = s;
    // The verdict is worked out on a second thread while the file is written: it is needed
    // only for the `[recommendation]` summary at the end of the file.
    let (saved, after) = std::thread::scope(|scope| {
        let mut verdict = Some(scope.spawn(|| Outline::of(q, s)));
        let outline = |verdict: &mut Option<std::thread::ScopedJoinHandle<'_, Outline>>| {
            verdict
                .take()
                .and_then(|h| h.join().ok())
                .unwrap_or_else(|| Outline::of(q, s))
        };
        let mut after = None;
        let saved = opened.lease.save_with_summary_later(s, &mut || {
            let o = outline(&mut verdict);
            let summary = o.summary();
            after = Some(o);
            summary
        });
        let after = after.unwrap_or_else(|| outline(&mut verdict));
        (saved, after)
    });
    meter.done(if saved.is_ok() { "saved" } else { "not saved" });
    if let Some(problem) = saved?.backup_problem {
        eprintln!("warning: {problem}");
    }
    let now = after.state();
    let change = if now != was {
        format!("Verdict now: {now} (was {was})")
    } else {
        format!("Verdict: {now}")
    };
    super::print(&format!(
        "\nsaved {}\n{change}\n(`socscope recommend {}` gives every decision and its reasons)\n",
        path.display(),
        path.display()
    ))?;
    // The process ends here: freeing a million imported identities one allocation at a time
    // was 5 % of the import, so they are freed on a thread the exit does not wait for.
    let identities = std::mem::take(&mut opened.session.identities);
    if identities.len() > 10_000 {
        let _ = std::thread::Builder::new().spawn(move || drop(identities));
    }
    Ok(ExitCode::SUCCESS)
}

/// The report-level outcome, from the evaluation alone (every rule for every entity, without
/// tracing why): what `import` prints and writes as the file's `[recommendation]` summary. The
/// full recommendation builds a decision with its reasons and open questions per identity,
/// about 0.45 ms and 20 KB each: at a million rows, minutes and more than 10 GiB, for a summary
/// that is for readers and never read back. The next save from the app, plain mode or
/// `socscope merge` writes the full one.
struct Outline {
    verdict: Verdict,
    /// The verdict can still change: SOC 1 or SOC 2 is open on some answer.
    open: bool,
    categories: Vec<Category>,
}

impl Outline {
    fn of(q: &Questionnaire, s: &crate::session::Session) -> Outline {
        let ev = engine::Evaluation::new(q, s);
        let t = ev.totals(s.systems.is_empty());
        Outline {
            verdict: t.verdict(),
            open: t.soc1 == Tri::Open || t.soc2 == Tri::Open,
            categories: Category::ALL
                .into_iter()
                .filter(|c| engine::category_state(&t, *c) == engine::CategoryState::Included)
                .collect(),
        }
    }

    fn state(&self) -> String {
        wording::verdict_state(self.verdict, self.open)
    }

    fn summary(&self) -> Option<toml::Value> {
        let mut t = toml::Table::new();
        t.insert("verdict".into(), self.verdict.id().into());
        t.insert("provisional".into(), self.open.into());
        let cats: Vec<toml::Value> = self.categories.iter().map(|c| c.id().into()).collect();
        t.insert("soc2_categories".into(), cats.into());
        t.insert(
            "detail".into(),
            "report level only: written by `socscope import`; the decisions and their \
             reasons are written by the next save from the workshop, or printed by \
             `socscope recommend`"
                .into(),
        );
        Some(toml::Value::Table(t))
    }
}

/// Opens the CSV to stream it, with its size for the progress indicator.
fn open_csv(path: &Path) -> Result<(std::fs::File, Option<u64>), Error> {
    let failed = |source: io::Error| StoreError::Io {
        path: path.to_path_buf(),
        action: "read",
        source,
    };
    let file = std::fs::File::open(path).map_err(failed)?;
    let meta = file.metadata().map_err(failed)?;
    if meta.is_dir() {
        return Err(failed(io::Error::from(io::ErrorKind::IsADirectory)).into());
    }
    Ok((file, Some(meta.len()).filter(|_| meta.is_file())))
}

/// The progress line on standard error, redrawn in place: only on a terminal, at most ten
/// times a second, and only once the import has taken a moment (a small file is imported
/// without one).
struct Meter<'a> {
    file: &'a str,
    on: bool,
    started: Instant,
    /// A line is on the screen and not ended yet.
    showing: bool,
}

const EVERY: Duration = Duration::from_millis(100);

impl<'a> Meter<'a> {
    fn new(file: &'a str, on: bool) -> Meter<'a> {
        Meter {
            file,
            on,
            started: Instant::now(),
            showing: false,
        }
    }

    fn line(&mut self, text: &str) {
        let mut err = io::stderr().lock();
        let _ = write!(err, "\r\x1b[2K{}", crate::text::clean(text));
        let _ = err.flush();
        self.showing = true;
    }

    /// A report from the plan ([`import::throttled`] keeps them to one per [`EVERY`]).
    fn show(&mut self, p: &Progress) {
        if !self.on || self.started.elapsed() < EVERY {
            return;
        }
        let share = p
            .fraction()
            .map(|f| format!(" ({:.0} %)", f * 100.0))
            .unwrap_or_default();
        let text = match p.stage {
            Stage::Reading => format!("importing {}: {} rows read{share}", self.file, p.rows),
            Stage::Checking { done, of } => format!(
                "importing {}: {} rows read, checking identities: {done} of {of}{share}",
                self.file, p.rows
            ),
            Stage::Done => return,
        };
        self.line(&text);
    }

    /// A step after the plan, shown once the import has taken a moment.
    fn status(&mut self, what: &str) {
        if self.on && self.started.elapsed() >= EVERY {
            let text = format!("importing {}: {what}...", self.file);
            self.line(&text);
        }
    }

    /// Ends the line on the screen, if there is one, with what was done and how long it took.
    fn done(&mut self, summary: &str) {
        if !self.showing {
            return;
        }
        let secs = self.started.elapsed().as_secs_f64();
        let text = format!("importing {}: {summary} ({secs:.1} s)", self.file);
        self.line(&text);
        let _ = writeln!(io::stderr());
        self.showing = false;
    }
}
