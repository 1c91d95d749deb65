//! Exports are written as they are made (issue 16): the memory an export takes beyond the
//! recommendation does not include its own text. Counted with an allocator that tracks the
//! bytes live on this thread, not timed.

#[path = "../examples/synth/mod.rs"]
mod synth;

mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use socscope::engine;
use socscope::export::{json, markdown};
use socscope::report::memo;

struct Tracking;

thread_local! {
    static LIVE: Cell<i64> = const { Cell::new(0) };
    static PEAK: Cell<i64> = const { Cell::new(0) };
}

fn add(n: i64) {
    let _ = LIVE.try_with(|l| {
        let now = l.get() + n;
        l.set(now);
        let _ = PEAK.try_with(|p| p.set(p.get().max(now)));
    });
}

// SAFETY: every call is passed on to the system allocator unchanged; only counters are added.
unsafe impl GlobalAlloc for Tracking {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        add(layout.size() as i64);
        // SAFETY: as the caller promised for this call.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        add(-(layout.size() as i64));
        // SAFETY: as the caller promised for this call.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        add(new_size as i64 - layout.size() as i64);
        // SAFETY: as the caller promised for this call.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Tracking = Tracking;

/// The most bytes live at once while `f` runs, above what was live when it started.
fn peak_during(f: impl FnOnce()) -> i64 {
    let start = LIVE.with(Cell::get);
    PEAK.with(|p| p.set(start));
    f();
    PEAK.with(Cell::get) - start
}

/// Counts what is written and keeps none of it.
#[derive(Default)]
struct Count(usize);

impl std::io::Write for Count {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0 += buf.len();
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl std::fmt::Write for Count {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        self.0 += s.len();
        Ok(())
    }
}

/// A few hundred identities: enough that an export's text dwarfs the small buffers it needs.
fn session() -> socscope::session::Session {
    synth::generate(&common::builtin(), &synth::Spec::new(30, 300))
}

/// One way of writing an export.
type Write<'a> = dyn Fn(&mut Count) + 'a;

#[test]
fn exports_do_not_hold_their_own_text() {
    let q = &common::builtin();
    let s = session();
    let r = engine::recommend(q, &s);
    let cases: [(&str, Box<Write>); 4] = [
        (
            "json",
            Box::new(|w| json::write_export(q, &s, &r, w).expect("written")),
        ),
        (
            "recommend --json",
            Box::new(|w| json::write_render(&s, &r, w).expect("written")),
        ),
        (
            "markdown",
            Box::new(|w| markdown::write_render(q, &s, &r, w)),
        ),
        (
            "recommend",
            Box::new(|w| memo::write_text(q, &s, &r, w).expect("written")),
        ),
    ];
    for (name, write) in cases {
        let mut out = Count::default();
        let peak = peak_during(|| write(&mut out));
        // Before, each built its whole text (JSON twice: serialised, then made terminal-safe),
        // so the peak was at least the output's length. What is left is the sensitivity of
        // every decision (Markdown, JSON) and the answers' counts (`recommend`).
        assert!(
            (peak as f64) < out.0 as f64 * 0.8,
            "{name}: {peak} bytes live at the peak for {} bytes written",
            out.0
        );
    }
}

#[test]
fn streamed_exports_are_the_rendered_text() {
    let q = &common::builtin();
    let s = session();
    let r = engine::recommend(q, &s);
    let mut bytes = Vec::new();
    json::write_export(q, &s, &r, &mut bytes).expect("written");
    assert_eq!(
        String::from_utf8(bytes).expect("UTF-8"),
        json::render_export(q, &s, &r)
    );
    let mut text = String::new();
    markdown::write_render(q, &s, &r, &mut text);
    assert_eq!(text, markdown::render(q, &s, &r));
}
