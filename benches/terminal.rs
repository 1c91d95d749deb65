//! What one keystroke sends to the terminal (docs/performance.md): `cargo bench --bench terminal`.
//!
//! Draws the questions screen at 120x40 through the real crossterm backend into a byte
//! buffer, answers one question with a key press, draws again, and reports the bytes written
//! and the cells ratatui found changed (`Buffer::diff`), against a full repaint. Sessions at
//! S, M and L come from the synthetic generator (`examples/synth/mod.rs`).

#[path = "../examples/synth/mod.rs"]
mod synth;

use std::cell::RefCell;
use std::io::Write;
use std::rc::Rc;
use std::time::Instant;

use ratatui::backend::CrosstermBackend;
use ratatui::buffer::Buffer;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::layout::Rect;
use ratatui::{Terminal, TerminalOptions, Viewport};

use socscope::questionnaire;
use socscope::tui::app::{App, Screen};
use socscope::tui::theme::Theme;
use socscope::tui::{action, update, view};

/// A writer that keeps what it is given, readable from outside the terminal.
#[derive(Default, Clone)]
struct Sink(Rc<RefCell<Vec<u8>>>);

impl Sink {
    fn take(&self) -> Vec<u8> {
        std::mem::take(&mut self.0.borrow_mut())
    }
}

impl Write for Sink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.borrow_mut().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn main() {
    // `cargo bench` passes `--bench` (and any filter); nothing here takes arguments.
    let q = questionnaire::builtin().expect("built-in questionnaire");
    let area = Rect::new(0, 0, 120, 40);
    println!(
        "size  full-frame-bytes  keystroke-bytes  changed-cells/{}  draw-time",
        area.area()
    );
    for (size, spec) in synth::SIZES {
        let t = Instant::now();
        let session = synth::generate(&q, &spec);
        let generated = t.elapsed();
        let target = synth::keystroke_target(&q, &session).expect("a yes/no question");
        let mut app = App::new(q.clone(), Theme::from_env());
        app.install(session, "/nonexistent/synth.toml".into(), Screen::Questions);
        app.questions.at = Some(target.clone());
        app.reset_cursor();

        let sink = Sink::default();
        let backend = CrosstermBackend::new(sink.clone());
        let mut term = Terminal::with_options(
            backend,
            TerminalOptions {
                viewport: Viewport::Fixed(area),
            },
        )
        .expect("terminal over a byte buffer");
        // First frame: everything is new, so every cell is sent.
        // (ratatui swaps its buffers after a draw: keep the drawn frame to diff against.)
        let mut prev: Buffer = term
            .draw(|f| view::draw(f, &mut app))
            .unwrap()
            .buffer
            .clone();
        let full = sink.take().len();

        let mut bytes = Vec::new();
        let mut cells = Vec::new();
        let mut times = Vec::new();
        for yes in [true, false, true, false] {
            app.questions.at = Some(target.clone());
            let key = KeyEvent::new(
                KeyCode::Char(if yes { '1' } else { '2' }),
                KeyModifiers::NONE,
            );
            let a = action::from_key(&app, &key).expect("a bound key");
            let _ = update::update(&mut app, a);
            let t = Instant::now();
            let frame = term.draw(|f| view::draw(f, &mut app)).unwrap();
            times.push(t.elapsed());
            let after = frame.buffer.clone();
            cells.push(prev.diff(&after).len());
            prev = after;
            bytes.push(sink.take().len());
        }
        let max_bytes = bytes.iter().max().copied().unwrap_or(0);
        let max_cells = cells.iter().max().copied().unwrap_or(0);
        let mean = times.iter().sum::<std::time::Duration>() / times.len() as u32;
        println!(
            "{size:<5} {full:>16}  {max_bytes:>15}  {max_cells:>14}  {mean:>9.2?}   \
             (per keystroke: bytes {bytes:?}, cells {cells:?}; generated in {generated:.2?})"
        );
    }
}
