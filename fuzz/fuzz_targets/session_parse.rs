//! Any bytes as a session file (against the built-in questionnaire): whatever parses renders
//! and parses again.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use socscope::questionnaire::Questionnaire;
use socscope::session::file;

fn q() -> &'static Questionnaire {
    static Q: OnceLock<Questionnaire> = OnceLock::new();
    Q.get_or_init(|| socscope::questionnaire::builtin().expect("builtin"))
}

fuzz_target!(|data: &[u8]| {
    if data.len() > 256 * 1024 {
        return;
    }
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok((s, _)) = file::parse("fuzz.toml", text, q()) {
        let r = socscope::engine::recommend(q(), &s);
        let out = file::render(&s, socscope::report::summary::file_summary(&r)).expect("renders");
        file::parse("again.toml", &out, q()).expect("a rendered session parses");
    }
});
