//! Any text through the secret scanner: no panic, findings in order and apart on char
//! boundaries, redaction final (nothing found in redacted text). Run with a timeout
//! (`-timeout=2`): the scan is linear, so a slow input is a bug (docs/reliability.md §8).
#![no_main]

use libfuzzer_sys::fuzz_target;
use socscope::secrets;

fuzz_target!(|data: &[u8]| {
    if data.len() > 1024 * 1024 {
        return;
    }
    let text = String::from_utf8_lossy(data);
    let (out, found) = secrets::redact(&text);
    let mut at = 0;
    for f in &found {
        assert!(at <= f.start && f.start < f.end && f.end <= text.len());
        assert!(text.is_char_boundary(f.start) && text.is_char_boundary(f.end));
        at = f.end;
    }
    assert!(
        secrets::scan(&out).is_empty(),
        "redacting twice changed the text"
    );
});
