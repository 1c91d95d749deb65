//! Termination signals for the app: SIGTERM, SIGHUP (terminal closed) and SIGINT sent from
//! outside set a flag (signal-hook) that the event loop checks; the loop then saves the session
//! and returns normally, so the terminal is restored on the way out. Keys are waited for with a
//! short poll so the flag is seen within a quarter of a second even when nobody types, and a
//! terminal that hangs up without a signal (its reads return end-of-file) counts as SIGHUP.
//!
//! On other platforms there are no such signals: [`install`] does nothing and the loop only
//! reads events.
//!
//! `SOCSCOPE_TEST_PANIC=1` makes the first key press panic, so the end-to-end tests can prove
//! the terminal is restored after a panic (tests/reliability.rs). It has no other use.

use std::io;
use std::sync::Arc;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};
use std::time::Duration;

use ratatui::crossterm::event::{self, Event};

static FLAG: OnceLock<Arc<AtomicBool>> = OnceLock::new();
static WHICH: AtomicI32 = AtomicI32::new(0);

/// Registers the handlers (once). Failure to register is not fatal: the app still works, it just
/// cannot save on a signal.
pub(crate) fn install() {
    let flag = FLAG.get_or_init(|| Arc::new(AtomicBool::new(false)));
    #[cfg(unix)]
    {
        use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
        for sig in [SIGTERM, SIGHUP, SIGINT] {
            let _ = signal_hook::flag::register(sig, Arc::clone(flag));
            // Remember which signal came, for the exit message (last one wins).
            // SAFETY: the closure only stores into an atomic, which is async-signal-safe.
            let _ = unsafe {
                signal_hook::low_level::register(sig, move || WHICH.store(sig, Ordering::SeqCst))
            };
        }
    }
    #[cfg(not(unix))]
    let _ = flag;
    start_watchdog();
}

/// Once a signal has come or the terminal has hung up, the event loop normally saves and leaves
/// within a fraction of a second. If it has not after a few seconds, it is stuck in crossterm's
/// reader (which loops forever on a dead terminal's end-of-file): every change was already saved
/// when it was made, so this thread releases the session lock and exits for it.
fn start_watchdog() {
    static STARTED: OnceLock<()> = OnceLock::new();
    if STARTED.set(()).is_err() {
        return;
    }
    let _ = std::thread::Builder::new()
        .name("socscope-signal-watchdog".into())
        .spawn(|| {
            loop {
                std::thread::sleep(Duration::from_millis(100));
                if terminal_hung_up() {
                    hung_up();
                }
                if requested() {
                    break;
                }
            }
            std::thread::sleep(Duration::from_secs(3));
            let _ = ratatui::try_restore();
            std::process::exit(0);
        });
}

/// Whether a termination signal has arrived.
pub(crate) fn requested() -> bool {
    FLAG.get().is_some_and(|f| f.load(Ordering::SeqCst))
}

/// The name of the signal that arrived, if any.
pub(crate) fn received() -> Option<&'static str> {
    if !requested() {
        return None;
    }
    #[cfg(unix)]
    {
        use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
        match WHICH.load(Ordering::SeqCst) {
            SIGTERM => return Some("SIGTERM"),
            SIGHUP => return Some("SIGHUP"),
            SIGINT => return Some("SIGINT"),
            _ => {}
        }
    }
    Some("a termination signal")
}

/// The next terminal event, or `None` once a termination signal has arrived or the terminal
/// has hung up.
///
/// On Unix the wait for input is done here with `poll(2)` on the terminal, not inside crossterm:
/// once a terminal has hung up, its reads return end-of-file forever and crossterm's reader
/// loops on them without returning (100% CPU, and the signal flag never seen). Checking for
/// POLLHUP before every call into crossterm avoids that.
///
/// With a `limit`, waits at most that long (for a worker's progress to be drawn): `Some(None)`
/// when it passed without an event.
pub(crate) fn next_event_within(limit: Option<Duration>) -> io::Result<Option<Option<Event>>> {
    let deadline = limit.map(|l| std::time::Instant::now() + l);
    // crossterm may hold events parsed from an earlier read: ask it first, without waiting.
    let mut buffered = true;
    loop {
        if requested() {
            return Ok(None);
        }
        let left = deadline.map(|d| d.saturating_duration_since(std::time::Instant::now()));
        if !buffered && left.is_some_and(|l| l.is_zero()) {
            return Ok(Some(None));
        }
        let wait_ms = if buffered {
            0
        } else {
            left.map_or(200, |l| l.as_millis().clamp(1, 200) as i32)
        };
        buffered = false;
        match wait_for_input(wait_ms) {
            Input::HungUp => {
                hung_up();
                return Ok(None);
            }
            Input::Nothing if wait_ms > 0 => continue,
            Input::Nothing | Input::Ready => {}
            Input::Unknown => {
                // Not a terminal we can poll ourselves: let crossterm wait.
                match event::poll(Duration::from_millis(wait_ms.max(1) as u64)) {
                    Ok(true) => {}
                    Ok(false) => continue,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    Err(_) if requested() => return Ok(None),
                    Err(e) => return Err(e),
                }
            }
        }
        match event::poll(Duration::ZERO) {
            Ok(true) => {}
            Ok(false) => continue,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(_) if requested() => return Ok(None),
            Err(e) => return Err(e),
        }
        let ev = match event::read() {
            Ok(ev) => ev,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(_) if requested() => return Ok(None),
            Err(e) => return Err(e),
        };
        if matches!(ev, Event::Key(_)) && test_panic() {
            panic!("SOCSCOPE_TEST_PANIC: panicking on purpose to test terminal restoration");
        }
        return Ok(Some(Some(ev)));
    }
}

/// Whether the terminal has hung up (closed window, dropped connection). Then there is nothing
/// to restore, and ratatui's `Terminal` must not be dropped: its drop prints a failure with
/// `eprintln!`, which panics on a dead terminal.
pub(crate) fn terminal_hung_up() -> bool {
    matches!(wait_for_input(0), Input::HungUp)
}

/// Whether the terminal can no longer be written to (it hung up, or writing fails after a
/// signal): then the app must not drop ratatui's `Terminal` (see [`terminal_hung_up`]).
pub(crate) fn terminal_gone() -> bool {
    if terminal_hung_up() {
        return true;
    }
    requested()
        && ratatui::crossterm::execute!(std::io::stdout(), ratatui::crossterm::cursor::Show)
            .is_err()
}

enum Input {
    Ready,
    Nothing,
    HungUp,
    /// Input is not a terminal this module can poll (or not Unix).
    Unknown,
}

/// The terminal hung up: treated like SIGHUP (save, restore, exit).
fn hung_up() {
    let flag = FLAG.get_or_init(|| Arc::new(AtomicBool::new(false)));
    #[cfg(unix)]
    WHICH.store(signal_hook::consts::SIGHUP, Ordering::SeqCst);
    flag.store(true, Ordering::SeqCst);
}

#[cfg(unix)]
fn wait_for_input(timeout_ms: i32) -> Input {
    // SAFETY: isatty and poll on fd 0 with a valid, initialised pollfd of length 1.
    if unsafe { libc::isatty(0) } != 1 {
        return Input::Unknown;
    }
    let mut fd = libc::pollfd {
        fd: 0,
        events: libc::POLLIN,
        revents: 0,
    };
    let rc = unsafe { libc::poll(&mut fd, 1, timeout_ms) };
    if rc < 0 {
        return Input::Nothing; // EINTR: a signal; the caller checks the flag
    }
    if rc == 0 {
        return Input::Nothing;
    }
    if fd.revents & (libc::POLLHUP | libc::POLLERR | libc::POLLNVAL) != 0 {
        return Input::HungUp;
    }
    Input::Ready
}

#[cfg(not(unix))]
fn wait_for_input(_timeout_ms: i32) -> Input {
    Input::Unknown
}

fn test_panic() -> bool {
    std::env::var_os("SOCSCOPE_TEST_PANIC").is_some_and(|v| v == "1")
}
