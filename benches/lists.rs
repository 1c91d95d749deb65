//! The long lists at scale (docs/performance.md, issue 16 "Lists draw only what is visible"):
//! `cargo bench --bench lists`.
//!
//! Sessions M (100 systems / 1,000 identities) and L (1,000 / 10,000) come from the synthetic
//! generator (`examples/synth/mod.rs`), as in `benches/scale.rs`. For the Recommendation and
//! Review screens (and the Inventory's two lists) at 120x40: a redraw with nothing changed, a page down, and one key typed in
//! the filter box (the filter is applied as it is typed) followed by the redraw.

#[path = "../examples/synth/mod.rs"]
mod synth;

use std::path::PathBuf;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use socscope::questionnaire::{self, Questionnaire};
use socscope::session::Session;
use socscope::tui::app::{App, Screen};
use socscope::tui::theme::Theme;
use socscope::tui::{action, update, view};

fn press(app: &mut App, code: KeyCode) {
    let key = KeyEvent::new(code, KeyModifiers::NONE);
    if let Some(a) = action::from_key(app, &key) {
        update::update(app, a);
    }
}

fn app_on(q: &Questionnaire, s: &Session, screen: Screen) -> App {
    let mut app = App::new(q.clone(), Theme::from_env());
    // Never saved: nothing here changes the session.
    app.install(s.clone(), PathBuf::from("bench-lists.toml"), screen);
    app
}

fn bench(c: &mut Criterion) {
    let q = questionnaire::builtin().expect("built-in questionnaire");
    let sessions: Vec<(&str, Session)> = synth::SIZES[1..]
        .iter()
        .map(|(size, spec)| (*size, synth::generate(&q, spec)))
        .collect();
    let screens = [
        ("recommendation", Screen::Recommendation),
        ("review", Screen::Review),
        ("inventory", Screen::Inventory),
    ];
    for (name, screen) in &screens {
        let mut g = c.benchmark_group(format!("lists/{name}"));
        for (size, s) in &sessions {
            let mut app = app_on(&q, s, screen.clone());
            let mut term = Terminal::new(TestBackend::new(120, 40)).expect("test terminal");
            term.draw(|fr| view::draw(fr, &mut app)).unwrap();
            g.bench_function(BenchmarkId::new("draw", size), |b| {
                b.iter(|| term.draw(|fr| view::draw(fr, &mut app)).unwrap().area)
            });
            // Down a page each time, back to the top at the end.
            let mut pages = 0;
            g.bench_function(BenchmarkId::new("page_down", size), |b| {
                b.iter(|| {
                    pages += 1;
                    if pages % 200 == 0 {
                        press(&mut app, KeyCode::Home);
                    } else {
                        press(&mut app, KeyCode::PageDown);
                    }
                    term.draw(|fr| view::draw(fr, &mut app)).unwrap().area
                })
            });
            // One key in the filter box, then the redraw: "y" and Backspace in turn, so the
            // filter goes between everything and the rows containing a "y".
            press(&mut app, KeyCode::Home);
            press(&mut app, KeyCode::Char('/'));
            assert!(app.modal.is_some(), "the filter box opens");
            let mut typed = false;
            g.bench_function(BenchmarkId::new("filter_key", size), |b| {
                b.iter(|| {
                    typed = !typed;
                    press(
                        &mut app,
                        if typed {
                            KeyCode::Char('y')
                        } else {
                            KeyCode::Backspace
                        },
                    );
                    term.draw(|fr| view::draw(fr, &mut app)).unwrap().area
                })
            });
        }
        g.finish();
    }
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
