//! Resume to first frame, the real binary in a pseudo-terminal (docs/performance.md):
//! `cargo bench --bench resume`.
//!
//! Each run copies the session (resume takes its lock and may write), starts
//! `socscope resume FILE` in a 120x40 pty and times the first frame: from the spawn until the
//! status line saying where the workshop resumed is on the terminal. Then `q`, and the time to
//! leave (it waits for the analysis when something is to be saved; here nothing is).
//!
//! Sessions: M and L from the synthetic generator (`examples/synth/mod.rs`), or the files in
//! `SOCSCOPE_BENCH_SESSIONS` (comma-separated paths). `SOCSCOPE_BENCH_BIN` runs another build
//! of socscope (an older one, for a before/after); `SOCSCOPE_BENCH_RUNS` sets the runs (9).

#[path = "../examples/synth/mod.rs"]
mod synth;

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use portable_pty::{CommandBuilder, PtySize, native_pty_system};

/// What the first frame says on the status line of a resumed workshop.
const MARK: &[u8] = b"Resumed";

fn main() {
    // `cargo test --benches` runs bench targets with `--bench` absent: nothing to time then.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let bin = std::env::var_os("SOCSCOPE_BENCH_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_socscope")));
    let runs: usize = std::env::var("SOCSCOPE_BENCH_RUNS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(9);
    let sessions: Vec<(String, PathBuf)> = match std::env::var("SOCSCOPE_BENCH_SESSIONS") {
        Ok(list) => list
            .split(',')
            .map(|p| {
                let p = PathBuf::from(p);
                let name = p
                    .file_stem()
                    .map_or("session".into(), |s| s.to_string_lossy().into());
                (name, p)
            })
            .collect(),
        Err(_) => {
            let q = socscope::questionnaire::builtin().expect("built-in questionnaire");
            synth::SIZES
                .iter()
                .filter(|(size, _)| *size != "S")
                .map(|(size, spec)| {
                    let path = dir.path().join(format!("synth-{size}.toml"));
                    let text = synth::render(&q, &synth::generate(&q, spec));
                    std::fs::write(&path, text).expect("write the session");
                    (size.to_string(), path)
                })
                .collect()
        }
    };
    std::fs::create_dir_all(dir.path().join("sessions")).expect("sessions directory");
    println!("binary: {}", bin.display());
    for (name, src) in &sessions {
        let mut first = Vec::new();
        let mut leave = Vec::new();
        for n in 0..runs {
            let path = dir.path().join(format!("run-{name}-{n}.toml"));
            std::fs::copy(src, &path).expect("copy the session");
            let (f, l) = run(&bin, &path, dir.path());
            first.push(f);
            leave.push(l);
        }
        println!(
            "resume/first_frame/{name}: median {:.1} ms, min {:.1} ms, max {:.1} ms ({runs} runs); \
             leaving: median {:.1} ms",
            ms(median(&mut first)),
            ms(first.iter().copied().min().unwrap_or_default()),
            ms(first.iter().copied().max().unwrap_or_default()),
            ms(median(&mut leave)),
        );
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn median(v: &mut [Duration]) -> Duration {
    v.sort();
    v.get(v.len() / 2).copied().unwrap_or_default()
}

/// One resume: (spawn to first frame, `q` to exit).
fn run(bin: &Path, session: &Path, home: &Path) -> (Duration, Duration) {
    let pty = native_pty_system()
        .openpty(PtySize {
            rows: 40,
            cols: 120,
            pixel_width: 0,
            pixel_height: 0,
        })
        .expect("open a pty");
    let mut cmd = CommandBuilder::new(bin);
    cmd.arg("resume");
    cmd.arg(session);
    cmd.env("TERM", "xterm-256color");
    // The catalogue and its hint read the sessions directory: an empty one.
    cmd.env("SOCSCOPE_DATA_DIR", home.join("sessions"));
    let out = Arc::new(Mutex::new(Vec::new()));
    let start = Instant::now();
    let mut child = pty.slave.spawn_command(cmd).expect("spawn socscope");
    drop(pty.slave);
    let mut reader = pty.master.try_clone_reader().expect("pty reader");
    let sink = Arc::clone(&out);
    let reading = std::thread::spawn(move || {
        let mut buf = [0u8; 65536];
        while let Ok(n) = reader.read(&mut buf) {
            if n == 0 {
                break;
            }
            if let Ok(mut o) = sink.lock() {
                o.extend_from_slice(&buf[..n]);
            }
        }
    });
    let seen = |o: &Arc<Mutex<Vec<u8>>>| {
        o.lock()
            .map(|o| o.windows(MARK.len()).any(|w| w == MARK))
            .unwrap_or(false)
    };
    let deadline = start + Duration::from_secs(120);
    while !seen(&out) {
        assert!(Instant::now() < deadline, "no first frame within 120 s");
        if let Ok(Some(st)) = child.try_wait() {
            panic!("socscope exited before its first frame: {st:?}");
        }
        std::thread::sleep(Duration::from_micros(500));
    }
    let first = start.elapsed();
    // The rest of the frame, then leave.
    std::thread::sleep(Duration::from_millis(200));
    let mut w = pty.master.take_writer().expect("pty writer");
    let asked = Instant::now();
    w.write_all(b"q").expect("send q");
    w.flush().expect("flush");
    let _ = child.wait();
    let leave = asked.elapsed();
    drop(w);
    drop(pty.master);
    let _ = reading.join();
    (first, leave)
}
