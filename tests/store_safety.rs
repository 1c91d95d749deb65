//! Saving never loses a workshop (docs/reliability.md §1, §9): the backup is the previous
//! version, no temporary file is left, a failed save leaves the original byte for byte, and
//! every file socscope creates is readable by its owner only.

use std::path::Path;

use socscope::questionnaire::Questionnaire;
use socscope::session::store::{self, FailPoint, StoreError};
use socscope::session::{Session, lock};

fn q() -> Questionnaire {
    socscope::questionnaire::builtin().expect("builtin")
}

fn temp_files(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".tmp"))
        .collect()
}

fn three_versions(dir: &Path) -> (std::path::PathBuf, Vec<Vec<u8>>, Questionnaire) {
    let q = q();
    let path = dir.join("w.toml");
    let mut s = Session::new(&q, "Version 1", chrono::Utc::now());
    let mut versions = Vec::new();
    for v in 1..=3 {
        s.workshop.organisation = format!("Version {v}");
        socscope::workshop::save(&path, &s, &q).unwrap();
        versions.push(std::fs::read(&path).unwrap());
    }
    (path, versions, q)
}

#[test]
fn the_backup_is_always_the_previous_version_and_no_temp_file_is_left() {
    let dir = tempfile::tempdir().unwrap();
    let (path, versions, q) = three_versions(dir.path());
    let bak = store::backup_path(&path);
    assert_eq!(
        std::fs::read(&bak).unwrap(),
        versions[1],
        "backup = version 2"
    );
    assert_eq!(std::fs::read(&path).unwrap(), versions[2]);
    assert!(
        temp_files(dir.path()).is_empty(),
        "{:?}",
        temp_files(dir.path())
    );
    assert!(
        !lock::lock_path(&path).exists(),
        "no lock file left by a save"
    );
    store::open(&bak, &q).expect("the backup is a whole session");
}

#[test]
fn a_failed_save_leaves_the_original_and_its_backup_untouched_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let (path, versions, _) = three_versions(dir.path());
    let bak = store::backup_path(&path);
    for at in [FailPoint::BeforeRename, FailPoint::AfterBackup] {
        let e = store::write_atomic_failing(&path, b"new content", at).expect_err("fails");
        assert!(matches!(e, StoreError::Io { .. }), "{e}");
        assert!(e.to_string().contains("w.toml"), "names the file: {e}");
        assert_eq!(std::fs::read(&path).unwrap(), versions[2], "{at:?}");
        assert!(
            temp_files(dir.path()).is_empty(),
            "{at:?}: temp file removed"
        );
    }
    // The backup written before the failure is the current (unchanged) version: still a good
    // previous state, never the failed content.
    assert_eq!(std::fs::read(&bak).unwrap(), versions[2]);
}

#[cfg(unix)]
#[test]
fn a_save_into_a_read_only_folder_fails_clearly_and_changes_nothing() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let (path, versions, q) = three_versions(dir.path());
    let bak_before = std::fs::read(store::backup_path(&path)).unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o500)).unwrap();
    // Root ignores folder permissions; then this case is covered by the simulated failure above.
    let privileged = std::fs::write(dir.path().join("probe"), b"x").is_ok();
    if !privileged {
        let (s, _) = store::open(&path, &q).unwrap();
        let e = socscope::workshop::save(&path, &s, &q).expect_err("read-only folder");
        let msg = e.to_string();
        assert!(msg.contains("help:"), "{msg}");
        assert_eq!(std::fs::read(&path).unwrap(), versions[2]);
        assert_eq!(
            std::fs::read(store::backup_path(&path)).unwrap(),
            bak_before
        );
    } else {
        eprintln!("note: running as a privileged user; the read-only folder case is simulated");
    }
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o700)).unwrap();
    assert!(temp_files(dir.path()).is_empty());
}

#[cfg(unix)]
#[test]
fn sessions_backups_lock_files_and_exports_are_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    let dir = tempfile::tempdir().unwrap();
    let (path, _, q) = three_versions(dir.path());
    // Even when the previous file was world-readable, the new file and its backup are not.
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    let (s, _) = store::open(&path, &q).unwrap();
    socscope::workshop::save(&path, &s, &q).unwrap();
    assert_eq!(mode(&path), 0o600, "session");
    assert_eq!(mode(&store::backup_path(&path)), 0o600, "backup");
    let guard = lock::acquire(&path).unwrap();
    assert_eq!(mode(&lock::lock_path(&path)), 0o600, "lock file");
    drop(guard);
    // Exports, through the command line.
    for (fmt, name) in [("markdown", "r.md"), ("json", "r.json")] {
        let out = dir.path().join(name);
        let st = std::process::Command::new(env!("CARGO_BIN_EXE_socscope"))
            .args(["export", path.to_str().unwrap(), "--format", fmt, "-o"])
            .arg(&out)
            .env("SOCSCOPE_DATA_DIR", dir.path())
            .status()
            .unwrap();
        assert!(st.success());
        assert_eq!(mode(&out), 0o600, "{name}");
    }
    // A new session from the command line's own code path.
    let opened = socscope::workshop::create(&q, "Modes", Some(dir.path().join("new.toml")))
        .unwrap_or_else(|e| panic!("{}", e.report()));
    let created = opened.lease.path().to_path_buf();
    drop(opened);
    assert_eq!(mode(&created), 0o600, "new session");
}

#[test]
fn locks_in_one_process_exclude_each_other_and_name_the_holder() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("l.toml");
    let g = lock::acquire(&path).expect("first");
    match lock::acquire(&path) {
        Err(lock::LockError::Locked { holder, .. }) => {
            let h = holder.expect("holder readable");
            assert_eq!(h.pid, std::process::id());
            assert_eq!(h.host, lock::hostname());
        }
        other => panic!("expected Locked, got {other:?}"),
    }
    drop(g);
    assert!(
        !lock::lock_path(&path).exists(),
        "lock file removed on release"
    );
    let _again = lock::acquire(&path).expect("free after release");
}

#[test]
fn read_only_sessions_are_never_written() {
    let dir = tempfile::tempdir().unwrap();
    let (path, versions, q) = three_versions(dir.path());
    lock::set_read_only(&path);
    let (s, _) = store::open(&path, &q).unwrap();
    let e = socscope::workshop::save(&path, &s, &q).expect_err("read-only");
    assert!(
        matches!(e, socscope::workshop::Error::Store(StoreError::ReadOnly(_))),
        "{e}"
    );
    assert!(e.to_string().contains("read-only"));
    assert_eq!(std::fs::read(&path).unwrap(), versions[2]);
}

/// `socscope export ... -o /dev/null` renamed its temporary file over `/dev/null`, leaving a
/// regular file there (and a `/dev/null.bak`) for every later program on the machine. A target
/// that is not a regular file is written to as it is: a named pipe stands in for the device.
#[cfg(unix)]
#[test]
fn an_export_into_a_device_or_pipe_writes_through_it_and_leaves_it_in_place() {
    use std::io::Read;
    use std::os::unix::ffi::OsStrExt;
    use std::os::unix::fs::FileTypeExt;

    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("pipe");
    let c = std::ffi::CString::new(fifo.as_os_str().as_bytes()).unwrap();
    // SAFETY: a valid NUL-terminated path; mkfifo only creates a file.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || {
            let mut text = String::new();
            std::fs::File::open(&fifo)
                .unwrap()
                .read_to_string(&mut text)
                .unwrap();
            text
        })
    };
    // On another thread: the old code read the pipe to back it up, and waited there for ever.
    let (tx, rx) = std::sync::mpsc::channel();
    let target = fifo.clone();
    std::thread::spawn(move || tx.send(store::write_atomic(&target, b"# Export\n")));
    let saved = rx
        .recv_timeout(std::time::Duration::from_secs(60))
        .expect("the write into the pipe never finished")
        .unwrap();
    let kind = std::fs::symlink_metadata(&fifo).unwrap().file_type();
    assert!(kind.is_fifo(), "the pipe was replaced: {kind:?}");
    assert_eq!(saved.bytes, 9);
    assert_eq!(reader.join().unwrap(), "# Export\n");
    let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert_eq!(left.len(), 1, "no backup or temporary file beside it");
}
