//! End to end: the real binary in a pseudo-terminal (tmux), at 80x24. Skipped, with a message,
//! where tmux is not installed.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

struct Tmux {
    name: String,
}

impl Tmux {
    fn start(name: &str, data: &Path, args: &str) -> Tmux {
        let bin = env!("CARGO_BIN_EXE_socscope");
        // The shell stays after the app exits so the final message can be read.
        let cmd = format!(
            "env SOCSCOPE_DATA_DIR='{}' NO_COLOR=1 '{bin}' {args}; echo '[exited]'; sleep 30",
            data.display()
        );
        let ok = Command::new("tmux")
            .args([
                "new-session",
                "-d",
                "-s",
                name,
                "-x",
                "80",
                "-y",
                "24",
                &cmd,
            ])
            .status()
            .expect("tmux runs");
        assert!(ok.success(), "tmux new-session failed");
        Tmux {
            name: name.to_string(),
        }
    }

    fn capture(&self) -> String {
        let out = Command::new("tmux")
            .args(["capture-pane", "-p", "-t", &self.name])
            .output()
            .expect("capture");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn wait_for(&self, text: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            let screen = self.capture();
            if screen.contains(text) {
                return screen;
            }
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {text:?}; screen:\n{screen}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn keys(&self, keys: &[&str]) {
        for k in keys {
            let ok = Command::new("tmux")
                .args(["send-keys", "-t", &self.name, k])
                .status()
                .expect("send-keys");
            assert!(ok.success());
            std::thread::sleep(Duration::from_millis(60));
        }
    }

    fn text(&self, text: &str) {
        let ok = Command::new("tmux")
            .args(["send-keys", "-t", &self.name, "-l", text])
            .status()
            .expect("send-keys");
        assert!(ok.success());
        std::thread::sleep(Duration::from_millis(60));
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["kill-session", "-t", &self.name])
            .status();
    }
}

fn tmux_available() -> bool {
    Command::new("tmux")
        .arg("-V")
        .output()
        .is_ok_and(|o| o.status.success())
}

fn session_file(dir: &Path) -> PathBuf {
    let files: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("data dir")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    assert_eq!(files.len(), 1, "one session file expected: {files:?}");
    files[0].clone()
}

#[test]
fn workshop_end_to_end_in_tmux() {
    if !tmux_available() {
        println!("skipping workshop_end_to_end_in_tmux: tmux is not on PATH");
        return;
    }
    let data = tempfile::tempdir().expect("tempdir");
    let name = format!("socscope-e2e-{}", std::process::id());

    // New workshop, inventory, a few answers, quit.
    {
        let t = Tmux::start(&name, data.path(), "new --organisation 'E2E Org'");
        t.wait_for("Workshop details");
        t.keys(&["Tab"]);
        t.wait_for("No systems yet");
        t.keys(&["a"]);
        t.text("Payroll engine");
        t.keys(&["Enter"]);
        t.wait_for("Payroll engine");
        t.keys(&["l", "a"]);
        t.text("deploy-bot");
        t.keys(&["Enter"]);
        t.wait_for("Kind of deploy-bot");
        t.keys(&["5"]);
        // Picking the kind of a new identity goes straight on to the systems it can access.
        t.wait_for("Systems deploy-bot can access");
        t.keys(&["Space", "Escape"]);
        t.wait_for("Can access: Payroll engine");
        t.keys(&["Tab"]);
        t.wait_for("Who is asking us for a SOC report?");
        t.keys(&["1", "Enter"]);
        t.wait_for("SEC");
        t.keys(&["1"]);
        t.wait_for("question 3/");
        // A typed question: typing goes straight into the answer.
        t.text("Runs payroll for mid-size firms");
        t.wait_for("Runs payroll for mid-size firms");
        t.keys(&["Enter"]);
        t.wait_for("question 4/");
        // Question 4 is typed too, where `q` is text: Ctrl-C quits, also while typing.
        t.keys(&["C-c"]);
        let screen = t.wait_for("[exited]");
        assert!(screen.contains("Workshop saved to"), "{screen}");
    }

    let path = session_file(data.path());
    let text = std::fs::read_to_string(&path).expect("session file");
    for expected in [
        "E2E Org",
        "Payroll engine",
        "deploy-bot",
        "service_account",
        "user_auditors",
        "sox_customers",
        "Runs payroll for mid-size firms",
    ] {
        assert!(
            text.contains(expected),
            "session file lacks {expected:?}:\n{text}"
        );
    }

    // Resume: the answers are there; export Markdown from inside the app.
    {
        let t = Tmux::start(&name, data.path(), "resume");
        t.wait_for("Resumed E2E Org");
        // It resumes on question 4, answered by typing (`v` would be text): Tab to Review.
        t.keys(&["Tab", "Tab"]);
        let review = t.wait_for("All answers");
        assert!(
            review.contains("Customers' ex"),
            "answers survive a resume:\n{review}"
        );
        t.keys(&["x"]);
        t.wait_for("Full report, Markdown");
        t.keys(&["Enter"]);
        t.wait_for("Wrote");
        // The evidence plan checklist is written next to it, and the path is shown.
        t.keys(&["Down", "Down", "Enter"]);
        t.wait_for("-evidence.md");
        t.keys(&["q"]);
        t.wait_for("[exited]");
    }

    let q = socscope::questionnaire::builtin().expect("builtin");
    let (s, _) = socscope::session::store::open(&path, &q).expect("session opens");
    let r = socscope::engine::recommend(&q, &s);
    let md = std::fs::read_to_string(path.with_extension("md"))
        .expect("markdown export next to the session");
    let stem = path.file_stem().unwrap().to_string_lossy().into_owned();
    let evidence = std::fs::read_to_string(path.with_file_name(format!("{stem}-evidence.md")))
        .expect("evidence checklist next to the session");
    assert!(
        evidence.starts_with("# Evidence plan: E2E Org"),
        "{evidence}"
    );
    // The export's headline verdict: "**Recommendation: SOC 1**" (or "Verdict: ..." in summaries).
    let verdict_line = md
        .lines()
        .find(|l| l.contains("Recommendation:") || l.contains("Verdict:"))
        .unwrap_or_default();
    assert!(
        verdict_line.contains(r.verdict.label()),
        "verdict line {verdict_line:?} lacks {:?}",
        r.verdict.label()
    );
}
