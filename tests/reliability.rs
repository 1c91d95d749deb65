//! Never lose a workshop (docs/reliability.md): the real binary in a pseudo-terminal
//! (portable-pty), killed with SIGKILL at random moments, stopped with SIGTERM/SIGHUP, made to
//! panic and to fail; and two processes on one session. Unix only (signals, ptys).
#![cfg(unix)]

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[path = "../examples/identities/mod.rs"]
mod identities;

use portable_pty::{Child, CommandBuilder, MasterPty, PtySize, native_pty_system};
use socscope::import;
use socscope::questionnaire::Questionnaire;
use socscope::session::{Session, Value, file, journal, lock, store};

/// The tests here drive real processes in pseudo-terminals with timeouts: run one at a time,
/// so that on a 2-core machine one test's processes never starve another's of the CPU.
fn serial() -> std::sync::MutexGuard<'static, ()> {
    static ONE: std::sync::Mutex<()> = std::sync::Mutex::new(());
    ONE.lock().unwrap_or_else(|e| e.into_inner())
}

const LEAVE_ALT_SCREEN: &[u8] = b"\x1b[?1049l";
const ENTER_ALT_SCREEN: &[u8] = b"\x1b[?1049h";

/// The app running in a pseudo-terminal; everything it prints is collected by a thread.
struct App {
    child: Box<dyn Child + Send + Sync>,
    writer: Option<Box<dyn Write + Send>>,
    out: Arc<Mutex<Vec<u8>>>,
    master: Option<Box<dyn MasterPty + Send>>,
    pid: i32,
    /// Asks the reader thread to let go of its copy of the pty after its next read.
    stop_reading: Arc<std::sync::atomic::AtomicBool>,
    reader: Option<std::thread::JoinHandle<()>>,
}

fn spawn(data: &Path, args: &[&str], env: &[(&str, &str)]) -> App {
    let pair = native_pty_system()
        .openpty(PtySize {
            rows: 30,
            cols: 100,
            pixel_width: 0,
            pixel_height: 0,
        })
        .expect("openpty");
    let mut cmd = CommandBuilder::new(env!("CARGO_BIN_EXE_socscope"));
    cmd.args(args);
    cmd.env("SOCSCOPE_DATA_DIR", data);
    cmd.env("TERM", "xterm-256color");
    cmd.env("NO_COLOR", "1");
    cmd.env_remove("ACCESSIBLE");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.cwd(data);
    let child = pair.slave.spawn_command(cmd).expect("spawn");
    drop(pair.slave);
    let pid = child.process_id().expect("pid") as i32;
    let mut reader = pair.master.try_clone_reader().expect("reader");
    let writer = pair.master.take_writer().expect("writer");
    let out = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&out);
    let stop_reading = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let stop = Arc::clone(&stop_reading);
    let reader = std::thread::spawn(move || {
        let mut buf = [0u8; 8192];
        while let Ok(n) = reader.read(&mut buf) {
            if n == 0 {
                break;
            }
            sink.lock().unwrap().extend_from_slice(&buf[..n]);
            if stop.load(std::sync::atomic::Ordering::SeqCst) {
                break;
            }
        }
    });
    App {
        child,
        writer: Some(writer),
        out,
        master: Some(pair.master),
        pid,
        stop_reading,
        reader: Some(reader),
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

impl App {
    fn len(&self) -> usize {
        self.out.lock().unwrap().len()
    }

    fn output(&self) -> Vec<u8> {
        self.out.lock().unwrap().clone()
    }

    fn wait_until(&self, timeout: Duration, f: impl Fn(&[u8]) -> bool) -> bool {
        let deadline = Instant::now() + timeout;
        loop {
            if f(&self.out.lock().unwrap()) {
                return true;
            }
            if Instant::now() > deadline {
                return false;
            }
            std::thread::sleep(Duration::from_millis(2));
        }
    }

    /// Waits for the first frame of the questions screen, drawn completely.
    fn wait_ready(&self) {
        let ok = self.wait_until(Duration::from_secs(20), |o| {
            find(o, ENTER_ALT_SCREEN).is_some_and(|i| find(&o[i..], b"Questions").is_some())
        });
        assert!(
            ok,
            "the app did not start:\n{}",
            String::from_utf8_lossy(&self.output())
        );
        self.wait_quiet();
    }

    /// Waits until nothing more arrives for a moment: the last frame is complete.
    fn wait_quiet(&self) {
        let deadline = Instant::now() + Duration::from_secs(5);
        let mut last = self.len();
        let mut since = Instant::now();
        while Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(2));
            let now = self.len();
            if now != last {
                last = now;
                since = Instant::now();
            } else if since.elapsed() >= Duration::from_millis(8) {
                return;
            }
        }
    }

    fn send(&mut self, keys: &[u8]) {
        let w = self.writer.as_mut().expect("the pty is open");
        w.write_all(keys).expect("write to pty");
        w.flush().expect("flush pty");
    }

    /// Closes the terminal, as when its window is closed: every copy of the pty's master side
    /// is closed (the reader's after one more frame, which `wake` asks for).
    fn close_terminal(&mut self, wake: &[u8]) {
        self.stop_reading
            .store(true, std::sync::atomic::Ordering::SeqCst);
        self.send(wake);
        if let Some(r) = self.reader.take() {
            r.join().expect("reader thread");
        }
        self.writer = None;
        self.master = None;
    }

    /// Sends a key and waits for the frame drawn after it. The app saves before it draws, so a
    /// new frame means the key's change is on disk.
    fn key_acknowledged(&mut self, key: &[u8], timeout: Duration) -> bool {
        self.wait_quiet();
        let before = self.len();
        self.send(key);
        self.wait_until(timeout, |o| o.len() > before)
    }

    fn signal(&self, sig: i32) {
        // SAFETY: kill(2) with a pid we spawned and still own (not yet reaped).
        let rc = unsafe { libc::kill(self.pid, sig) };
        assert_eq!(rc, 0, "kill({}, {sig})", self.pid);
    }

    fn wait_exit(&mut self, timeout: Duration) -> portable_pty::ExitStatus {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(st) = self.child.try_wait().expect("try_wait") {
                // Let the reader thread collect the last bytes.
                std::thread::sleep(Duration::from_millis(30));
                return st;
            }
            if Instant::now() > deadline {
                self.signal(libc::SIGKILL);
                let _ = self.child.wait();
                panic!(
                    "the app did not exit in time; output:\n{}",
                    String::from_utf8_lossy(&self.output())
                );
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    fn kill9(&mut self) {
        self.signal(libc::SIGKILL);
        let _ = self.child.wait();
    }
}

fn q() -> Questionnaire {
    socscope::questionnaire::builtin().expect("builtin questionnaire")
}

/// Every answer as (entity, question) -> value, for comparing snapshots.
/// Answers in the file at `path` that `before` does not hold and that were pre-filled (a
/// `source`), not typed.
fn prefilled_new(
    path: &Path,
    q: &Questionnaire,
    before: &BTreeMap<(String, String), Value>,
) -> usize {
    let (s, _) = store::open(path, q).expect("readable");
    s.systems
        .iter()
        .map(|x| (&x.id, &x.answers))
        .chain(s.identities.iter().map(|x| (&x.id, &x.answers)))
        .flat_map(|(id, answers)| answers.iter().map(move |(k, a)| (id, k, a)))
        .filter(|(id, k, a)| {
            a.source.is_some() && !before.contains_key(&((*id).clone(), (*k).clone()))
        })
        .count()
}

fn answers(s: &Session) -> BTreeMap<(String, String), Value> {
    let mut out = BTreeMap::new();
    for (k, a) in &s.engagement {
        out.insert(("engagement".to_string(), k.clone()), a.value.clone());
    }
    for x in &s.systems {
        for (k, a) in &x.answers {
            out.insert((x.id.clone(), k.clone()), a.value.clone());
        }
    }
    for x in &s.identities {
        for (k, a) in &x.answers {
            out.insert((x.id.clone(), k.clone()), a.value.clone());
        }
    }
    out
}

/// A workshop with a few systems and identities, so there are many questions to answer.
fn seed(path: &Path, q: &Questionnaire) {
    let (mut s, _) = store::open(path, q).expect("the new session opens");
    let now = chrono::Utc::now();
    for name in ["Payroll engine", "Billing", "Data warehouse"] {
        s.add_system(name, now);
    }
    for name in ["svc-billing", "dana", "ci-deployer"] {
        let id = s.add_identity(name, now);
        s.toggle_link(&id, "s1", now);
    }
    // Free-text, number and date answers need typing; the keys below answer choice questions.
    let mut entities = vec![socscope::session::EntityId::Engagement];
    entities.extend(
        s.systems
            .iter()
            .map(|x| socscope::session::EntityId::System(x.id.clone())),
    );
    entities.extend(
        s.identities
            .iter()
            .map(|x| socscope::session::EntityId::Identity(x.id.clone())),
    );
    for question in q.questions.iter().filter(|x| !x.kind.is_choice()) {
        let value = match question.kind {
            socscope::questionnaire::Kind::Number => Value::Number(12.0),
            socscope::questionnaire::Kind::Date => Value::Text("2025-06-30".into()),
            _ => Value::Text("typed before the test".into()),
        };
        for e in entities.iter().filter(|e| e.scope() == question.scope) {
            s.set_answer(question, e, value.clone(), now)
                .expect("seed answer");
        }
    }
    socscope::workshop::save(path, &s, q).expect("seed save");
}

/// A small deterministic generator (xorshift64*), so every run kills at the same moments.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// SIGKILL at random moments, many times. "Shown as saved" is defined by what the program
/// displays: the app saves a change before it draws the next frame, so once a frame has been
/// drawn after a key, that key's change is saved. Right after each such frame the test reads
/// the file (the *acknowledged state*). After every kill the file must open and hold every
/// answer of the last acknowledged state; a key sent after it (not yet acknowledged) may or may
/// not have landed, and one key changes at most one answer, so at most one answer may differ or
/// be new.
#[test]
fn kill_9_at_random_moments_never_loses_an_acknowledged_answer() {
    let _one_at_a_time = serial();
    const PROCESSES: usize = 200;
    let q = q();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("kill.toml");
    let file = path.display().to_string();
    let mut rng = Rng(0x5EED_50C5_C0FE);
    let started = Instant::now();

    // The first process creates the workshop, and is killed like every other.
    let mut app = spawn(
        dir.path(),
        &["new", "--organisation", "Kill Test Ltd", "-o", &file],
        &[],
    );
    app.wait_until(Duration::from_secs(20), |o| {
        find(o, ENTER_ALT_SCREEN).is_some()
    });
    app.kill9();
    let mut kills = 1;
    store::open(&path, &q).expect("opens after the first kill");
    seed(&path, &q);
    let mut acknowledged = answers(&store::open(&path, &q).unwrap().0);

    let (mut checked, mut keys_sent, mut acks, mut mid_save, mut at_start) = (0, 0, 0, 0, 0);
    for round in 0..PROCESSES {
        let mut app = spawn(dir.path(), &["resume", &file], &[]);
        if rng.below(8) == 0 {
            // Killed while starting up (before or during the first frame).
            std::thread::sleep(Duration::from_micros(rng.below(40_000)));
            at_start += 1;
        } else {
            app.wait_ready();
            let n = rng.below(7);
            let mut killed_mid = false;
            for _ in 0..n {
                let key: &[u8] = match rng.below(10) {
                    0..=4 => b"1",
                    5..=7 => b"2",
                    8 => b"u",
                    _ => b"\r",
                };
                keys_sent += 1;
                if rng.below(4) == 0 {
                    // Killed somewhere in the handling of this key: reading it, saving, drawing.
                    app.send(key);
                    std::thread::sleep(Duration::from_micros(rng.below(3_000)));
                    killed_mid = true;
                    mid_save += 1;
                    break;
                }
                if app.key_acknowledged(key, Duration::from_millis(300)) {
                    acks += 1;
                    // Settle: the frame may arrive in several writes; the save came before all.
                    acknowledged = answers(&store::open(&path, &q).expect("readable").0);
                } else {
                    // Not drawn in time (a loaded machine): this key may still land, so no
                    // second unacknowledged key is sent before the kill.
                    break;
                }
            }
            if !killed_mid {
                std::thread::sleep(Duration::from_micros(rng.below(5_000)));
            }
        }
        app.kill9();
        kills += 1;

        let (after, _) = store::open(&path, &q).unwrap_or_else(|e| {
            panic!("round {round}: the session no longer opens after kill -9: {e}")
        });
        let after = answers(&after);
        let missing: Vec<_> = acknowledged
            .keys()
            .filter(|k| !after.contains_key(*k))
            .collect();
        assert!(
            missing.is_empty(),
            "round {round}: acknowledged answers lost: {missing:?}"
        );
        let changed = acknowledged
            .iter()
            .filter(|(k, v)| after.get(*k) != Some(*v))
            .count();
        // Naming a system's host adds that vendor to the inventory with pre-filled answers
        // (source set): one key, several answers, of which only the typed one counts here.
        let added = after.len() - acknowledged.len() - prefilled_new(&path, &q, &acknowledged);
        assert!(
            changed + added <= 1,
            "round {round}: more than the one unacknowledged key changed the file \
             ({changed} changed, {added} added: {:?})",
            after
                .keys()
                .filter(|k| !acknowledged.contains_key(*k))
                .collect::<Vec<_>>()
        );
        checked += acknowledged.len();
        acknowledged = after;
        check_journal_marked(&path, &q, &format!("round {round}"));
        // The backup, when there is one, is a whole session too (checked every fifth round).
        let bak = store::backup_path(&path);
        if round % 5 == 0 && bak.exists() {
            store::open(&bak, &q).unwrap_or_else(|e| panic!("round {round}: backup: {e}"));
        }
    }
    let temp_left = std::fs::read_dir(dir.path())
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .is_ok_and(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
        })
        .count();
    // Figures for docs/reliability.md (visible with --nocapture).
    println!(
        "kill -9: {kills} kills ({at_start} during start-up, {mid_save} right after a key), \
         {keys_sent} keys sent, {acks} acknowledged, {checked} answer checks, \
         {} answers in the final file, {temp_left} orphaned temp files, {:.1}s",
        acknowledged.len(),
        started.elapsed().as_secs_f64()
    );
    assert!(kills >= 200);
    assert!(acknowledged.len() >= 10, "the test answered too little");
}

/// `format_version` as the session file says it.
fn format_version(path: &Path) -> String {
    let text = std::fs::read_to_string(path).expect("the session file");
    text.lines()
        .find_map(|l| l.strip_prefix("format_version = "))
        .expect("a format_version line")
        .to_string()
}

/// The answers the session file holds by itself, without its journal.
fn file_answers(path: &Path, q: &Questionnaire) -> BTreeMap<(String, String), Value> {
    let text = std::fs::read_to_string(path).expect("the session file");
    answers(
        &file::parse("file-only.toml", &text, q)
            .expect("the file parses")
            .0,
    )
}

/// While a journal holds changes the file does not, the file says so (format_version 2), so a
/// socscope that knows no journal refuses it rather than showing it without them. (Between
/// writing the file whole and removing the journal, the file holds everything already.)
fn check_journal_marked(path: &Path, q: &Questionnaire, what: &str) {
    let records = journal::read(path)
        .expect("the journal reads")
        .map_or(0, |c| c.records.len());
    if records > 0 && format_version(path) != "2" {
        assert_eq!(
            file_answers(path, q),
            answers(&store::open(path, q).unwrap().0),
            "{what}: a journal of {records} records with changes, and the file does not say so"
        );
    }
}

fn resume_ready(dir: &Path, path: &Path, env: &[(&str, &str)]) -> App {
    let app = spawn(dir, &["resume", &path.display().to_string()], env);
    app.wait_ready();
    app
}

fn new_session(dir: &Path, name: &str) -> (PathBuf, Questionnaire) {
    let q = q();
    let path = dir.join(name);
    let opened = socscope::workshop::create(&q, "Signals Ltd", Some(path.clone()))
        .unwrap_or_else(|e| panic!("create: {}", e.report()));
    let p = opened.lease.path().to_path_buf();
    drop(opened);
    (p, q)
}

fn check_restored(app: &App, what: &str) {
    let out = app.output();
    let enter = find(&out, ENTER_ALT_SCREEN).expect("entered the alternate screen");
    assert!(
        find(&out[enter..], LEAVE_ALT_SCREEN).is_some(),
        "{what}: the terminal was not restored (no leave-alternate-screen); output tail:\n{}",
        String::from_utf8_lossy(&out[out.len().saturating_sub(400)..])
    );
}

#[test]
fn sigterm_and_sighup_save_restore_the_terminal_and_exit_cleanly() {
    let _one_at_a_time = serial();
    for (sig, name) in [(libc::SIGTERM, "SIGTERM"), (libc::SIGHUP, "SIGHUP")] {
        let dir = tempfile::tempdir().unwrap();
        let (path, q) = new_session(dir.path(), "sig.toml");
        let mut app = resume_ready(dir.path(), &path, &[]);
        assert!(app.key_acknowledged(b"1", Duration::from_secs(5)));
        let saved = answers(&store::open(&path, &q).unwrap().0);
        assert_eq!(saved.len(), 1, "{name}: the answer was saved");
        app.signal(sig);
        let status = app.wait_exit(Duration::from_secs(10));
        assert!(status.success(), "{name}: clean exit, got {status:?}");
        check_restored(&app, name);
        let text = String::from_utf8_lossy(&app.output()).into_owned();
        assert!(
            text.contains(&format!("stopped by {name}")),
            "{name}: says why it stopped:\n{text}"
        );
        let (s, _) = store::open(&path, &q).expect("intact after the signal");
        assert_eq!(answers(&s), saved, "{name}");
        assert!(
            !lock::lock_path(&path).exists(),
            "{name}: lock file removed"
        );
    }
}

#[test]
fn quit_panic_and_error_all_restore_the_terminal() {
    let _one_at_a_time = serial();
    // Quit.
    let dir = tempfile::tempdir().unwrap();
    let (path, q) = new_session(dir.path(), "quit.toml");
    let mut app = resume_ready(dir.path(), &path, &[]);
    assert!(app.key_acknowledged(b"1", Duration::from_secs(5)));
    app.send(b"q");
    let st = app.wait_exit(Duration::from_secs(10));
    assert!(st.success(), "quit: {st:?}");
    check_restored(&app, "quit");
    assert_eq!(answers(&store::open(&path, &q).unwrap().0).len(), 1);

    // Panic (SOCSCOPE_TEST_PANIC=1 panics on the first key): restored, non-zero, file intact.
    let before = std::fs::read(&path).unwrap();
    let mut app = resume_ready(dir.path(), &path, &[("SOCSCOPE_TEST_PANIC", "1")]);
    app.send(b"j");
    let st = app.wait_exit(Duration::from_secs(10));
    assert!(!st.success(), "panic exits non-zero");
    check_restored(&app, "panic");
    assert!(String::from_utf8_lossy(&app.output()).contains("panicking on purpose"));
    assert_eq!(
        std::fs::read(&path).unwrap(),
        before,
        "panic: file untouched"
    );

    // Read-only: every change is refused on screen, nothing is saved; quitting exits 0 and
    // says so.
    let mut app = spawn(
        dir.path(),
        &["resume", &path.display().to_string(), "--read-only"],
        &[],
    );
    app.wait_ready();
    assert!(app.key_acknowledged(b"2", Duration::from_secs(5)));
    assert!(app.wait_until(Duration::from_secs(5), |o| find(o, b"READ-ONLY").is_some()));
    app.send(b"q");
    let st = app.wait_exit(Duration::from_secs(10));
    assert!(st.success(), "read-only quit: {st:?}");
    check_restored(&app, "read-only");
    let text = String::from_utf8_lossy(&app.output()).into_owned();
    assert!(
        text.contains("open read-only: nothing was changed"),
        "{text}"
    );
    assert_eq!(
        std::fs::read(&path).unwrap(),
        before,
        "read-only: file untouched"
    );

    // Error: a change that cannot be saved (the session file was replaced by a folder, which
    // no save can rename over, root or not); quitting reports it and exits 1.
    let mut app = resume_ready(dir.path(), &path, &[]);
    let moved = dir.path().join("quit.toml.moved");
    std::fs::rename(&path, &moved).unwrap();
    std::fs::create_dir(&path).unwrap();
    assert!(app.key_acknowledged(b"2", Duration::from_secs(5)));
    assert!(app.wait_until(Duration::from_secs(5), |o| find(o, b"NOT SAVED").is_some()));
    app.send(b"q");
    let st = app.wait_exit(Duration::from_secs(10));
    assert!(!st.success(), "error exits non-zero");
    check_restored(&app, "error");
    let text = String::from_utf8_lossy(&app.output()).into_owned();
    assert!(text.contains("could not be saved"), "{text}");
    assert_eq!(
        std::fs::read(&moved).unwrap(),
        before,
        "error: file untouched"
    );
}

#[test]
fn a_second_process_is_told_who_has_the_session_and_can_only_read_it() {
    let _one_at_a_time = serial();
    let dir = tempfile::tempdir().unwrap();
    let (path, q) = new_session(dir.path(), "locked.toml");
    let file = path.display().to_string();
    let mut first = resume_ready(dir.path(), &path, &[]);
    assert!(app_answers(&mut first, &path, &q) == 1);
    let before = std::fs::read(&path).unwrap();

    // The lock file names the holder.
    let holder = lock::parse_holder(&std::fs::read_to_string(lock::lock_path(&path)).unwrap())
        .expect("lock file readable");
    assert_eq!(holder.pid as i32, first.pid);
    assert_eq!(holder.host, lock::hostname());

    // A second app, and plain mode, refuse before starting, naming the process.
    for extra in [&[][..], &["--plain"][..]] {
        let mut args = vec!["resume", file.as_str()];
        args.extend_from_slice(extra);
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_socscope"))
            .args(&args)
            .env("SOCSCOPE_DATA_DIR", dir.path())
            .stdin(std::process::Stdio::null())
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {err}");
        assert!(
            err.contains(&format!("socscope process {}", first.pid))
                && err.contains(&holder.host)
                && err.contains(&holder.since)
                && err.contains("--read-only"),
            "{args:?}: names the holder and offers read-only:\n{err}"
        );
    }
    // No code path writes it meanwhile: a save from this process is refused too.
    let (s, _) = store::open(&path, &q).unwrap();
    let e = socscope::workshop::save(&path, &s, &q).expect_err("locked");
    assert!(e.to_string().contains("is open in"), "{e}");
    assert_eq!(std::fs::read(&path).unwrap(), before);

    // Read-only works alongside, and changes nothing.
    let mut reader = spawn(dir.path(), &["resume", &file, "--read-only"], &[]);
    reader.wait_ready();
    assert!(reader.key_acknowledged(b"1", Duration::from_secs(5)));
    assert!(reader.wait_until(Duration::from_secs(5), |o| find(o, b"READ-ONLY").is_some()));
    reader.kill9();
    assert_eq!(std::fs::read(&path).unwrap(), before);

    // Once the first app quits, the session is free again.
    first.send(b"q");
    assert!(first.wait_exit(Duration::from_secs(10)).success());
    assert!(!lock::lock_path(&path).exists());
    socscope::workshop::save(&path, &s, &q).expect("free after the holder quit");

    // A holder killed with -9 leaves its lock file, but not its lock.
    let mut crashed = resume_ready(dir.path(), &path, &[]);
    crashed.kill9();
    assert!(lock::lock_path(&path).exists());
    let _guard = lock::acquire(&path).expect("a dead holder's lock is free");
}

/// The terminal goes away without a signal reaching the app first (its window is closed): the
/// app must notice the hang-up, save and exit, not spin on end-of-file forever.
#[test]
fn a_closed_terminal_is_noticed_the_session_saved_and_the_app_exits() {
    let _one_at_a_time = serial();
    let dir = tempfile::tempdir().unwrap();
    let (path, q) = new_session(dir.path(), "hangup.toml");
    let mut app = resume_ready(dir.path(), &path, &[]);
    assert!(app.key_acknowledged(b"1", Duration::from_secs(5)));
    let saved = answers(&store::open(&path, &q).unwrap().0);
    app.close_terminal(b"j");
    let status = app.wait_exit(Duration::from_secs(10));
    assert!(status.success(), "clean exit after hang-up: {status:?}");
    let (s, _) = store::open(&path, &q).expect("intact");
    assert_eq!(answers(&s), saved);
    assert!(!lock::lock_path(&path).exists(), "lock released");
}

fn app_answers(app: &mut App, path: &Path, q: &Questionnaire) -> usize {
    assert!(app.key_acknowledged(b"1", Duration::from_secs(5)));
    answers(&store::open(path, q).unwrap().0).len()
}

/// kill -9 after answers were shown as saved, before anything folded the journal: the answers
/// are in the journal only, the file is marked for it, every reader includes them, and the
/// next clean exit folds them into the file and removes the journal.
#[test]
fn kill_9_between_journal_append_and_fold_loses_nothing() {
    let _one_at_a_time = serial();
    let dir = tempfile::tempdir().unwrap();
    let (path, q) = new_session(dir.path(), "unfolded.toml");
    let mut app = resume_ready(dir.path(), &path, &[]);
    // "unknown" answers the question shown and moves on: three answers (the third question
    // takes typed text, where "u" alone and Enter is unknown).
    for key in [&b"u"[..], b"u", b"u\r"] {
        assert!(app.key_acknowledged(key, Duration::from_secs(5)));
    }
    app.wait_quiet();
    let shown = answers(&store::open(&path, &q).unwrap().0);
    app.kill9();
    assert_eq!(shown.len(), 3, "three answers shown as saved");
    assert!(
        file_answers(&path, &q).is_empty(),
        "not folded into the file yet"
    );
    assert_eq!(format_version(&path), "2");
    assert_eq!(journal::read(&path).unwrap().unwrap().records.len(), 3);
    // Every reader includes them: the command line too, saying where they came from.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_socscope"))
        .args(["recommend", &path.display().to_string(), "--json"])
        .env("SOCSCOPE_DATA_DIR", dir.path())
        .output()
        .unwrap();
    assert!(out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("included 3 changes from"), "{err}");
    assert_eq!(answers(&store::open(&path, &q).unwrap().0), shown);

    // Resumed (on a typed question, where C-c quits), and quit: folded into the file, journal
    // gone, the file readable by any socscope.
    let mut app = resume_ready(dir.path(), &path, &[]);
    app.send(b"\x03");
    assert!(app.wait_exit(Duration::from_secs(10)).success());
    assert!(journal::read(&path).unwrap().is_none(), "journal removed");
    assert_eq!(format_version(&path), "1");
    assert_eq!(file_answers(&path, &q), shown);
}

/// A crash in the middle of an append leaves a record cut short: it was never shown as saved,
/// so it is ignored, and the next append cuts it off. A record whose checksum does not match
/// stops the replay there, says so, and is set aside, never deleted.
#[test]
fn a_torn_journal_record_is_ignored_and_a_damaged_one_stops_the_replay_and_is_kept() {
    let _one_at_a_time = serial();
    let dir = tempfile::tempdir().unwrap();
    let (path, q) = new_session(dir.path(), "torn.toml");
    let mut app = resume_ready(dir.path(), &path, &[]);
    for _ in 0..2 {
        assert!(app.key_acknowledged(b"u", Duration::from_secs(5)));
    }
    let shown = answers(&store::open(&path, &q).unwrap().0);
    app.kill9();
    // The beginning of a third record, as a kill during its write leaves it.
    let jpath = journal::journal_path(&path);
    let mut bytes = std::fs::read(&jpath).unwrap();
    let whole = bytes.len();
    bytes.extend_from_slice(b"record 180 0a1b2c3d4e5f6071\nupdated = 2026-");
    std::fs::write(&jpath, &bytes).unwrap();
    let c = journal::read(&path).unwrap().unwrap();
    assert!(c.torn && c.damaged.is_none() && c.records.len() == 2);
    assert_eq!(answers(&store::open(&path, &q).unwrap().0), shown);

    // Resumed: one more answer, appended after the two whole records (a typed question: "u"
    // alone and Enter is unknown).
    let mut app = resume_ready(dir.path(), &path, &[]);
    assert!(app.key_acknowledged(b"u\r", Duration::from_secs(5)));
    app.wait_quiet();
    let shown = answers(&store::open(&path, &q).unwrap().0);
    app.kill9();
    let c = journal::read(&path).unwrap().unwrap();
    assert!(
        !c.torn,
        "the torn record was cut off before the next append"
    );
    assert_eq!(c.records.len(), 3);
    assert!(std::fs::read(&jpath).unwrap()[..whole] == bytes[..whole]);
    assert_eq!(shown.len(), 3);

    // A byte of the second record changed: the first is replayed, and readers say so.
    let mut bytes = std::fs::read(&jpath).unwrap();
    let second = c.records[0].len() + bytes.iter().position(|b| *b == b'\n').map_or(0, |n| n + 1);
    let at = bytes[second..]
        .windows(8)
        .position(|w| w == b"updated ")
        .map(|p| second + p + 2)
        .expect("the second record");
    bytes[at] ^= 0x20;
    std::fs::write(&jpath, &bytes).unwrap();
    let (s, opened) = store::open(&path, &q).unwrap();
    let replay = opened.journal.expect("a journal");
    assert_eq!(replay.applied, 1);
    assert_eq!(replay.damaged.as_ref().map(|d| d.record), Some(2));
    assert_eq!(answers(&s).len(), 1);
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_socscope"))
        .args(["recommend", &path.display().to_string()])
        .env("SOCSCOPE_DATA_DIR", dir.path())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("change 2 is damaged") && err.contains("checksum"),
        "{err}"
    );

    // Opened to write: what was recovered goes into the file, the journal is kept aside.
    let mut app = resume_ready(dir.path(), &path, &[]);
    app.send(b"q");
    assert!(app.wait_exit(Duration::from_secs(10)).success());
    assert_eq!(file_answers(&path, &q).len(), 1);
    assert!(journal::read(&path).unwrap().is_none());
    let aside = store::sibling(&jpath, ".damaged");
    assert_eq!(std::fs::read(&aside).unwrap(), bytes, "kept byte for byte");
}

/// kill -9 at random moments while the journal is folded into the file on quit (each step of
/// the fold made slow so that the kills land in every one): the file always opens with every
/// answer shown as saved, and whenever a journal holds changes the file is marked for it.
#[test]
fn kill_9_while_folding_never_loses_an_answer() {
    let _one_at_a_time = serial();
    const ROUNDS: usize = 16;
    let q = q();
    let dir = tempfile::tempdir().unwrap();
    let (path, _) = new_session(dir.path(), "folding.toml");
    seed(&path, &q);
    let mut rng = Rng(0xF01D_0F01D);
    let slow = [("SOCSCOPE_TEST_SLOW_FOLD", "1")];
    let (mut exited, mut killed) = (0, 0);
    for round in 0..ROUNDS {
        let mut app = resume_ready(dir.path(), &path, &slow);
        for _ in 0..1 + rng.below(3) {
            let key: &[u8] = if rng.below(2) == 0 { b"1" } else { b"2" };
            assert!(
                app.key_acknowledged(key, Duration::from_secs(5)),
                "round {round}"
            );
        }
        let shown = answers(&store::open(&path, &q).unwrap().0);
        app.send(b"q");
        std::thread::sleep(Duration::from_millis(rng.below(260)));
        if app.child.try_wait().unwrap().is_some() {
            exited += 1;
        } else {
            app.kill9();
            killed += 1;
        }
        let what = format!("round {round}");
        let (s, _) = store::open(&path, &q).unwrap_or_else(|e| panic!("{what}: {e}"));
        assert_eq!(answers(&s), shown, "{what}");
        check_journal_marked(&path, &q, &what);
    }
    println!("folding: {killed} killed during the fold, {exited} exited first");
    assert!(killed >= ROUNDS / 2, "the kills landed in the fold");
}

/// `socscope ARGS` run to the end in `data`, with `stdin`; retried while the session is held by
/// another writer (exit 1, "is open in"), as a person would. Returns the output of the run that
/// got the session, and how many runs were refused first.
fn run_when_free(data: &Path, args: &[&str], stdin: &str) -> (std::process::Output, usize) {
    let mut refused = 0;
    loop {
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_socscope"))
            .args(args)
            .env("SOCSCOPE_DATA_DIR", data)
            .env("NO_COLOR", "1")
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let mut input = child.stdin.take().unwrap();
        // Plain mode may be refused before it reads anything: a closed pipe is fine.
        let _ = input.write_all(stdin.as_bytes());
        drop(input);
        let out = child.wait_with_output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        let text = String::from_utf8_lossy(&out.stdout);
        if out.status.code() == Some(1)
            && (err.contains("is open in") || text.contains("is open in"))
        {
            refused += 1;
            assert!(refused < 2000, "{args:?} never got the session: {err}");
            std::thread::sleep(Duration::from_millis(5));
            continue;
        }
        assert!(out.status.success(), "{args:?}: {err}\n{text}");
        return (out, refused);
    }
}

/// A CSV of `rows` identities named `PREFIX-...`, written into `dir`.
fn identities_csv(dir: &Path, prefix: &str, rows: usize) -> PathBuf {
    // Every line after the header starts with a name: prefix it (and drop the prefix the
    // replace leaves after the last line break).
    let csv = identities::csv(rows, 7).replace("\n", &format!("\n{prefix}-"));
    let csv = csv
        .strip_suffix(&format!("{prefix}-"))
        .unwrap_or(&csv)
        .to_string();
    let path = dir.join(format!("{prefix}.csv"));
    std::fs::write(&path, csv).unwrap();
    path
}

fn names_with(s: &Session, prefix: &str) -> usize {
    let start = format!("{prefix}-");
    s.identities
        .iter()
        .filter(|i| i.name.starts_with(&start))
        .count()
}

/// Issue 11, items 1 and 13: imports racing a plain-mode workshop on one session. Before, the
/// import read, changed and wrote the session without the lock, and answers given meanwhile
/// were lost (0 of 2 left). Now each takes the lock for its whole read-modify-write and the
/// other is refused (and tries again): every import's identities and every answer are kept.
#[test]
fn imports_racing_plain_mode_answers_lose_neither() {
    let _one_at_a_time = serial();
    let dir = tempfile::tempdir().unwrap();
    let (path, q) = new_session(dir.path(), "race.toml");
    let file = path.display().to_string();
    const ROUNDS: usize = 4;
    const ROWS: usize = 400;
    let csvs: Vec<PathBuf> = (0..ROUNDS)
        .map(|r| identities_csv(dir.path(), &format!("r{r}"), ROWS))
        .collect();
    let expected: Vec<usize> = {
        let s = Session::new(&q, "Count", chrono::Utc::now());
        csvs.iter()
            .map(|c| {
                let text = std::fs::read_to_string(c).unwrap();
                import::plan(&q, &s, "c.csv", &text, &Default::default(), &opts())
                    .unwrap_or_else(|e| panic!("{e}"))
                    .identities
                    .len()
            })
            .collect()
    };
    let data = dir.path().to_path_buf();
    let importer = {
        let (file, data, csvs) = (file.clone(), data.clone(), csvs.clone());
        std::thread::spawn(move || {
            let mut refused = 0;
            for csv in &csvs {
                let csv = csv.display().to_string();
                let args = ["import", file.as_str(), "--identities", csv.as_str()];
                refused += run_when_free(&data, &args, "").1;
            }
            refused
        })
    };
    // Plain mode meanwhile: each sitting answers the question it asks first (the engagement's,
    // in order), then quits.
    let sittings = [
        "3",                                   // report_requesters: security teams
        "2",                                   // sox_customers: no
        "2",                                   // auditor_reliance: no
        "Engineering teams at SaaS companies", // customer_base
        "18",                                  // months the controls have operated
    ];
    let mut plain_refused = 0;
    for answer in sittings {
        let (out, refused) = run_when_free(
            &data,
            &["--plain", "resume", &file],
            &format!("{answer}\nq\n"),
        );
        plain_refused += refused;
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.contains(&format!("Saved to {file}")), "{text}");
    }
    let import_refused = importer.join().unwrap();
    let (s, _) = store::open(&path, &q).expect("the session opens");
    for (r, n) in expected.iter().enumerate() {
        assert_eq!(
            names_with(&s, &format!("r{r}")),
            *n,
            "round {r}'s identities"
        );
    }
    let answered = s.engagement.len();
    assert_eq!(
        answered,
        sittings.len(),
        "one answer per plain-mode sitting ({plain_refused} sittings and {import_refused} \
         imports refused while the other held the session): {:?}",
        s.engagement.keys().collect::<Vec<_>>()
    );
    assert!(!lock::lock_path(&path).exists(), "every writer let go");
}

fn opts() -> import::Options {
    import::Options {
        today: chrono::NaiveDate::from_ymd_opt(2026, 12, 1).unwrap(),
        overwrite: false,
        skip_bad_rows: false,
    }
}

/// Issue 11, item 13: `kill -9` in the middle of an import, at random moments from reading the
/// CSV to saving. The session must open afterwards and hold either everything it held before
/// the import or that and the whole import (the save replaces the file in one step), and the
/// lock must be free.
#[test]
fn kill_9_mid_import_leaves_a_readable_session() {
    let _one_at_a_time = serial();
    let dir = tempfile::tempdir().unwrap();
    let (path, q) = new_session(dir.path(), "killed.toml");
    seed(&path, &q);
    let file = path.display().to_string();
    const ROWS: usize = 1_000;
    // How long one import takes here, to kill within it: the second one, on a session that
    // already holds an import, as the killed ones do.
    let mut took = 0;
    for warm in ["warm1", "warm2"] {
        let csv = identities_csv(dir.path(), warm, ROWS).display().to_string();
        let started = Instant::now();
        run_when_free(dir.path(), &["import", &file, "--identities", &csv], "");
        took = started.elapsed().as_millis() as u64;
    }
    let mut rng = Rng(0x5eed_1234);
    let (mut landed, mut lost) = (0, 0);
    for round in 0..6u64 {
        let prefix = format!("k{round}");
        let csv = identities_csv(dir.path(), &prefix, ROWS);
        let before = answers(&store::open(&path, &q).expect("opens").0);
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_socscope"))
            .args(["import", &file, "--identities", &csv.display().to_string()])
            .env("SOCSCOPE_DATA_DIR", dir.path())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        // Spread over twice the time one import took (the session grows as imports land), at a
        // random moment within each round's share.
        let share = took.max(6) / 3;
        let at = share * round + rng.below(share);
        std::thread::sleep(Duration::from_millis(at));
        let _ = child.kill();
        let _ = child.wait();
        let (s, _) = store::open(&path, &q)
            .unwrap_or_else(|e| panic!("round {round}: unreadable after kill -9: {e}"));
        let now = answers(&s);
        for (k, v) in &before {
            assert_eq!(now.get(k), Some(v), "round {round}: {k:?} lost");
        }
        match names_with(&s, &prefix) {
            0 => lost += 1,
            n => {
                assert!(n > ROWS / 2, "round {round}: a part of the import ({n})");
                landed += 1;
            }
        }
        let _free = socscope::workshop::open(&path, &q, socscope::workshop::Access::Write)
            .unwrap_or_else(|e| panic!("round {round}: still locked: {}", e.report()));
    }
    eprintln!("kill -9 mid-import: {landed} imports had landed, {lost} had not; none lost data");
}
