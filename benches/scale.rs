//! Performance at enterprise scale (docs/performance.md): `cargo bench --bench scale`.
//!
//! Sessions at three sizes are generated in the set-up with the synthetic generator
//! (`examples/synth/mod.rs`): S = 5 systems / 30 identities, M = 100 / 1,000,
//! L = 1,000 / 10,000, 3 links per identity, 80 % answered; with `SOCSCOPE_BENCH_XL=1` also
//! XL = 10,000 / 100,000. A filter picks groups, e.g. `cargo bench --bench scale -- keystroke/L`.

#[path = "../examples/synth/mod.rs"]
mod synth;

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use socscope::engine;
use socscope::export;
use socscope::questionnaire::{self, Questionnaire};
use socscope::session::{EntityId, Session, Value, file, store};
use socscope::tui::app::{App, Screen};
use socscope::tui::theme::Theme;
use socscope::tui::update::Effect;
use socscope::tui::{self, action, update, view};

/// One benchmark size: the session, its file text and the file on disk.
struct Fixture {
    size: &'static str,
    session: Session,
    text: String,
    path: PathBuf,
    /// The yes/no question the keystroke and save benchmarks answer.
    target: (EntityId, String),
}

fn fixtures(q: &Questionnaire, dir: &Path) -> Vec<Fixture> {
    let xl = std::env::var_os("SOCSCOPE_BENCH_XL").is_some();
    synth::SIZES
        .iter()
        .chain(xl.then_some(&synth::XL))
        .map(|(size, spec)| {
            let session = synth::generate(q, spec);
            let text = synth::render(q, &session);
            let path = dir.join(format!("synth-{size}.toml"));
            std::fs::write(&path, &text).expect("write the fixture");
            let target = synth::keystroke_target(q, &session).expect("a yes/no question");
            Fixture {
                size,
                session,
                text,
                path,
                target,
            }
        })
        .collect()
}

/// The app with the fixture open on the questions screen, focused on the target question.
fn app_on(q: &Questionnaire, f: &Fixture, screen: Screen) -> App {
    let mut app = App::new(q.clone(), Theme::from_env());
    app.install(f.session.clone(), f.path.clone(), screen);
    app.questions.at = Some(f.target.clone());
    app.reset_cursor();
    app
}

fn terminal() -> Terminal<TestBackend> {
    Terminal::new(TestBackend::new(120, 40)).expect("test terminal")
}

/// Presses `1` (yes) or `2` (no) on the target question, as the event loop does: key ->
/// action -> update. Returns the effects (the save) for the caller to carry out or not.
fn keystroke(app: &mut App, f: &Fixture, yes: bool) -> Vec<Effect> {
    // Choosing moves on to the next question: come back to the target first.
    app.questions.at = Some(f.target.clone());
    let key = KeyEvent::new(
        KeyCode::Char(if yes { '1' } else { '2' }),
        KeyModifiers::NONE,
    );
    let a = action::from_key(app, &key).expect("a bound key");
    update::update(app, a)
}

/// One round of `keystroke_mix`: each key from the target question (a yes/no one), carried out
/// as the event loop does (key, update, effects such as the save, draw); the time of each.
fn keystroke_mix(
    app: &mut App,
    term: &mut Terminal<TestBackend>,
    f: &Fixture,
    yes: bool,
) -> Vec<Duration> {
    let keys = [
        KeyCode::Char(if yes { '1' } else { '2' }),
        KeyCode::Right,
        KeyCode::Left,
        KeyCode::Char(']'),
        KeyCode::Char('['),
        KeyCode::BackTab,
        KeyCode::Tab,
        // To the Recommendation screen (built from the kept evaluation after the answer) and back.
        KeyCode::Tab,
        KeyCode::BackTab,
    ];
    let mut out = Vec::with_capacity(keys.len());
    for code in keys {
        if app.stack.last() == Some(&Screen::Questions) {
            app.questions.at = Some(f.target.clone());
        }
        let start = std::time::Instant::now();
        let key = KeyEvent::new(code, KeyModifiers::NONE);
        if let Some(a) = action::from_key(app, &key) {
            for e in update::update(app, a) {
                tui::apply(app, e);
            }
        }
        term.draw(|fr| view::draw(fr, app)).unwrap();
        out.push(start.elapsed());
    }
    assert_eq!(
        app.stack.last(),
        Some(&Screen::Questions),
        "back on the questions screen"
    );
    out
}

/// Answers the target question yes or no, as a keystroke on it would.
fn answer_target(s: &mut Session, question: &questionnaire::Question, f: &Fixture, yes: bool) {
    let v = Value::Text(if yes { "yes" } else { "no" }.into());
    s.set_answer(question, &f.target.0, v, synth::epoch())
        .expect("a yes/no answer");
}

/// `keystroke_with_save` (see its call), with the sessions' files and journals in `dir`.
fn keystroke_with_save_group(
    c: &mut Criterion,
    q: &Questionnaire,
    fx: &[Fixture],
    dir: &Path,
    group: &str,
) {
    let mut g = c.benchmark_group(group);
    for f in fx {
        let mut app = app_on(q, f, Screen::Questions);
        let own = dir.join(format!("keystroke-{}.toml", f.size));
        std::fs::write(&own, &f.text).unwrap();
        if let Some(w) = app.work.as_mut() {
            w.lease = socscope::workshop::Lease::per_write(&own);
        }
        let mut term = terminal();
        term.draw(|fr| view::draw(fr, &mut app)).unwrap();
        let mut yes = false;
        g.bench_function(f.size, |b| {
            b.iter(|| {
                yes = !yes;
                for e in keystroke(&mut app, f, yes) {
                    tui::apply(&mut app, e);
                }
                term.draw(|fr| view::draw(fr, &mut app)).unwrap();
            })
        });
    }
    g.finish();
}

/// `keystroke_mix` (see its call), with the sessions' files and journals in `dir`.
fn keystroke_mix_group(
    c: &mut Criterion,
    q: &Questionnaire,
    fx: &[Fixture],
    dir: &Path,
    group: &str,
) {
    let mut g = c.benchmark_group(group);
    for f in fx {
        let mut app = app_on(q, f, Screen::Questions);
        let own = dir.join(format!("mix-{}.toml", f.size));
        std::fs::write(&own, &f.text).unwrap();
        let opened = socscope::workshop::open(&own, q, socscope::workshop::Access::Write)
            .expect("open the fixture with its lock");
        if let Some(w) = app.work.as_mut() {
            w.lease = opened.lease;
        }
        let mut term = terminal();
        term.draw(|fr| view::draw(fr, &mut app)).unwrap();
        // Once first: the first record carries every entry the generator touched.
        keystroke_mix(&mut app, &mut term, f, false);
        let mut kinds: [Vec<Duration>; 4] = Default::default();
        for round in 0..40 {
            let t = keystroke_mix(&mut app, &mut term, f, round % 2 == 0);
            for (n, d) in t.into_iter().enumerate() {
                let kind = match n {
                    0 => 0,
                    1..=4 => 1,
                    5 | 6 => 2,
                    _ => 3,
                };
                kinds[kind].push(d);
            }
        }
        let pct = |times: &mut Vec<Duration>, p: usize| {
            times.sort_unstable();
            times[(times.len() * p / 100).min(times.len() - 1)]
        };
        let mut all: Vec<Duration> = kinds.iter().flatten().copied().collect();
        eprintln!(
            "{group}/{}: {} keys, p50 {:?}, p95 {:?}, max {:?}",
            f.size,
            all.len(),
            pct(&mut all, 50),
            pct(&mut all, 95),
            pct(&mut all, 100)
        );
        let mut without: Vec<Duration> = kinds[..3].iter().flatten().copied().collect();
        eprintln!(
            "{group}/{}:   without the recommendation: p50 {:?}, p95 {:?}",
            f.size,
            pct(&mut without, 50),
            pct(&mut without, 95)
        );
        let names = [
            "answer",
            "next/previous question and section",
            "to the inventory and back",
            "to the recommendation and back",
        ];
        for (name, times) in names.iter().zip(&mut kinds) {
            eprintln!(
                "{group}/{}:   {name}: p50 {:?}, p95 {:?}, max {:?}",
                f.size,
                pct(times, 50),
                pct(times, 95),
                pct(times, 100)
            );
        }
        let mut yes = false;
        g.bench_function(f.size, |b| {
            b.iter(|| {
                yes = !yes;
                keystroke_mix(&mut app, &mut term, f, yes)
            })
        });
    }
    g.finish();
}

fn bench(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("temp dir");
    let q = questionnaire::builtin().expect("built-in questionnaire");
    let fx = fixtures(&q, dir.path());

    c.bench_function("questionnaire/load_validate", |b| {
        b.iter(|| questionnaire::builtin().expect("loads"))
    });

    let mut g = c.benchmark_group("session_parse");
    for f in &fx {
        g.bench_function(f.size, |b| {
            b.iter(|| file::parse("bench.toml", black_box(&f.text), &q).expect("parses"))
        });
    }
    g.finish();

    let mut g = c.benchmark_group("recommend");
    for f in &fx {
        g.bench_function(f.size, |b| {
            b.iter(|| engine::recommend(&q, black_box(&f.session)))
        });
    }
    g.finish();

    // The recompute after one answer, without drawing: in full (`recommend_with_evaluation`,
    // what every answer did before) and from the kept evaluation (`recommend_after_answer`),
    // for an identity's answer and a system's (which reaches the identities linked to it).
    let mut g = c.benchmark_group("recompute");
    for f in &fx {
        g.bench_function(BenchmarkId::new("full", f.size), |b| {
            b.iter(|| engine::recommend_with_evaluation(&q, black_box(&f.session)))
        });
        let targets = [
            (
                "incremental_identity",
                f.session
                    .identities
                    .first()
                    .map(|x| EntityId::Identity(x.id.clone())),
            ),
            (
                "incremental_system",
                f.session
                    .systems
                    .first()
                    .map(|x| EntityId::System(x.id.clone())),
            ),
        ];
        for (name, e) in targets {
            let Some(e) = e else { continue };
            let (_, mut kept) = engine::recommend_with_evaluation(&q, &f.session);
            g.bench_function(BenchmarkId::new(name, f.size), |b| {
                b.iter(|| engine::recommend_after_answer(&q, black_box(&f.session), &mut kept, &e))
            });
        }
    }
    g.finish();

    // One keystroke: key -> update (answer, recompute) -> draw the questions screen at 120x40.
    // The save it asks for is measured on its own below ("save_one_answer").
    let mut g = c.benchmark_group("keystroke");
    for f in &fx {
        let mut app = app_on(&q, f, Screen::Questions);
        let mut term = terminal();
        term.draw(|fr| view::draw(fr, &mut app)).unwrap();
        let mut yes = false;
        g.bench_function(f.size, |b| {
            b.iter(|| {
                yes = !yes;
                let fx = keystroke(&mut app, f, yes);
                term.draw(|fr| view::draw(fr, &mut app)).unwrap();
                fx
            })
        });
    }
    g.finish();

    // What the event loop really does per answer: update, carry out the save, then draw; then
    // the same with the session and its journal on tmpfs, where the flush costs nothing.
    keystroke_with_save_group(c, &q, &fx, dir.path(), "keystroke_with_save");
    if let Ok(shm) = tempfile::tempdir_in("/dev/shm") {
        keystroke_with_save_group(c, &q, &fx, shm.path(), "keystroke_with_save_tmpfs");
    }

    // The issue 16 target, p95 over a sequence of keystrokes on the questions screen: answers
    // (with the journal save the loop does), next/previous question and section, a switch to
    // the inventory and back, and one to the Recommendation screen and back; each timed from
    // the key to the end of the redraw. Printed as percentiles (criterion reports means), in
    // all and per kind of key, then the whole sequence as a criterion mean. The workshop holds
    // its session's lock, as the app does, so the journal is flushed while the answer is
    // recomputed (`Lease::record_ahead`).
    keystroke_mix_group(c, &q, &fx, dir.path(), "keystroke_mix");
    // The same with the session and its journal on tmpfs (/dev/shm), where `fdatasync` returns
    // at once: the difference from `keystroke_mix` is the disk's flush, not the app's work.
    // The app itself never skips the flush.
    if let Ok(shm) = tempfile::tempdir_in("/dev/shm") {
        keystroke_mix_group(c, &q, &fx, shm.path(), "keystroke_mix_tmpfs");
    }

    // Drawing each screen, unchanged, to find the busiest.
    let screens = [
        ("questions", Screen::Questions),
        ("inventory", Screen::Inventory),
        ("recommendation", Screen::Recommendation),
        ("decision", Screen::Decision("verdict".into())),
        ("review", Screen::Review),
    ];
    let mut g = c.benchmark_group("draw");
    for f in &fx {
        for (name, screen) in &screens {
            let mut app = app_on(&q, f, screen.clone());
            let mut term = terminal();
            g.bench_function(BenchmarkId::new(*name, f.size), |b| {
                b.iter(|| {
                    term.draw(|fr| view::draw(fr, &mut app)).unwrap();
                })
            });
        }
    }
    g.finish();

    // The save per answer now: one checksummed journal record appended and fdatasync'd
    // (`Lease::record`); the whole file is written only when the journal is folded.
    let mut g = c.benchmark_group("journal_append");
    for f in &fx {
        let own = dir.path().join(format!("journal-{}.toml", f.size));
        std::fs::write(&own, &f.text).unwrap();
        let mut lease = socscope::workshop::Lease::per_write(&own);
        let mut s = f.session.clone();
        let question = q.question(&f.target.1).unwrap().clone();
        let mut yes = false;
        g.bench_function(f.size, |b| {
            b.iter(|| {
                yes = !yes;
                answer_target(&mut s, &question, f, yes);
                lease.record(&s).unwrap()
            })
        });
    }
    g.finish();

    // Saving after one answer, durably (temporary file, fsync, rename, directory fsync), with
    // the recommendation the app already holds; and its two parts.
    let mut g = c.benchmark_group("save_one_answer");
    for f in &fx {
        let mut s = f.session.clone();
        let r = engine::recommend(&q, &s);
        let path = dir.path().join(format!("save-{}.toml", f.size));
        let question = q.question(&f.target.1).unwrap().clone();
        let mut yes = false;
        g.bench_function(f.size, |b| {
            b.iter(|| {
                yes = !yes;
                answer_target(&mut s, &question, f, yes);
                store::save_with(&path, &s, socscope::report::summary::file_summary(&r)).unwrap();
            })
        });
        g.bench_function(BenchmarkId::new("render_only", f.size), |b| {
            b.iter(|| file::render(&s, socscope::report::summary::file_summary(&r)).unwrap())
        });
        let text = file::render(&s, socscope::report::summary::file_summary(&r)).unwrap();
        g.bench_function(BenchmarkId::new("write_atomic_only", f.size), |b| {
            b.iter(|| store::write_atomic(&path, text.as_bytes()).unwrap())
        });
    }
    g.finish();

    // "What would change this?" as the drill-down computes it when it opens: against the
    // evaluation the app keeps, with nothing cached from an earlier opening.
    let mut g = c.benchmark_group("what_if");
    for f in &fx {
        let mut app = app_on(&q, f, Screen::Recommendation);
        let w = app.work.as_mut().expect("open workshop");
        let rec = w.rec(&q);
        let report: Vec<String> = rec.decisions.iter().map(|d| d.id.to_string()).collect();
        let system = rec.systems.first().map(|x| x.decision.id.to_string());
        let identity = rec.identities.first().map(|x| x.decision.id.to_string());
        let mut open = |b: &mut criterion::Bencher, ids: &[String]| {
            b.iter(|| {
                for id in ids {
                    w.sensitivity = None;
                    w.ensure_sensitivity(&q, id);
                    assert!(w.cached_sensitivity(id).is_some());
                }
            })
        };
        g.bench_function(BenchmarkId::new("verdict", f.size), |b| {
            open(b, &["verdict".to_string()])
        });
        g.bench_function(BenchmarkId::new("every_report_decision", f.size), |b| {
            open(b, &report)
        });
        if let Some(id) = &system {
            g.bench_function(BenchmarkId::new("system", f.size), |b| {
                open(b, std::slice::from_ref(id))
            });
        }
        if let Some(id) = &identity {
            g.bench_function(BenchmarkId::new("identity", f.size), |b| {
                open(b, std::slice::from_ref(id))
            });
        }
    }
    g.finish();

    let mut g = c.benchmark_group("export");
    for f in &fx {
        let r = engine::recommend(&q, &f.session);
        g.bench_function(BenchmarkId::new("markdown", f.size), |b| {
            b.iter(|| export::markdown::render(&q, &f.session, &r))
        });
        g.bench_function(BenchmarkId::new("json", f.size), |b| {
            b.iter(|| export::json::render_export(&q, &f.session, &r))
        });
        // What the command line does: written as it is made, never held whole.
        g.bench_function(BenchmarkId::new("markdown_streamed", f.size), |b| {
            b.iter(|| {
                let mut w = Discard(0);
                export::markdown::write_render(&q, &f.session, &r, &mut w);
                w.0
            })
        });
        g.bench_function(BenchmarkId::new("json_streamed", f.size), |b| {
            b.iter(|| {
                let mut w = std::io::sink();
                export::json::write_export(&q, &f.session, &r, &mut w).map(|()| 0)
            })
        });
    }
    g.finish();

    // Start to first frame, in process: load the built-in questionnaire, open the session
    // (parse, recompute, first unanswered question), draw. Process start-up is on top (about
    // a millisecond; see `process/recommend`).
    let mut g = c.benchmark_group("first_frame");
    for f in &fx {
        g.bench_function(BenchmarkId::new("resume", f.size), |b| {
            b.iter(|| {
                let q = questionnaire::builtin().unwrap();
                let mut app = App::new(q, Theme::from_env());
                tui::apply(&mut app, Effect::Open(f.path.clone()));
                assert!(app.work.is_some());
                let mut term = terminal();
                term.draw(|fr| view::draw(fr, &mut app)).unwrap();
            })
        });
    }
    let new_path = dir.path().join("new-workshop.toml");
    g.bench_function("new", |b| {
        b.iter(|| {
            let q = questionnaire::builtin().unwrap();
            let mut app = App::new(q, Theme::from_env());
            tui::apply(
                &mut app,
                Effect::Create {
                    organisation: "Acme".into(),
                    path: Some(new_path.clone()),
                },
            );
            assert!(app.work.is_some());
            let mut term = terminal();
            term.draw(|fr| view::draw(fr, &mut app)).unwrap();
        })
    });
    g.finish();

    // `socscope recommend FILE` as a whole process (the release binary).
    let mut g = c.benchmark_group("process");
    for f in &fx {
        g.bench_function(BenchmarkId::new("recommend", f.size), |b| {
            b.iter(|| {
                let out = Command::new(env!("CARGO_BIN_EXE_socscope"))
                    .arg("recommend")
                    .arg(&f.path)
                    .output()
                    .expect("run socscope");
                assert!(out.status.success());
            })
        });
    }
    g.finish();
}

fn config() -> Criterion {
    Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(2))
        .without_plots()
}

criterion_group! {
    name = benches;
    config = config();
    targets = bench
}
criterion_main!(benches);

/// A `fmt::Write` that keeps only the length of what it was given.
struct Discard(usize);

impl std::fmt::Write for Discard {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        self.0 += s.len();
        Ok(())
    }
}
