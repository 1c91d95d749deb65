//! Any bytes as a questionnaire: a located error or a questionnaire, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if data.len() > 256 * 1024 {
        return;
    }
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = socscope::questionnaire::load("fuzz.toml", text);
    }
});
