//! Any text through the sanitiser (docs/reliability.md §7): nothing unsafe survives `clean`,
//! `clean_multiline` keeps only line breaks, JSON escaping keeps the data, and shortening keeps
//! to the columns asked for. Run with a timeout (`-timeout=2`): all of it is linear.
#![no_main]

use libfuzzer_sys::fuzz_target;
use socscope::text;

fuzz_target!(|data: &[u8]| {
    if data.len() > 1024 * 1024 {
        return;
    }
    let s = String::from_utf8_lossy(data);
    let c = text::clean(&s);
    assert!(!c.chars().any(text::is_unsafe));
    assert_eq!(text::clean(&c), c);
    let m = text::clean_multiline(&s);
    assert!(!m.chars().any(|ch| ch != '\n' && text::is_unsafe(ch)));
    let json = serde_json::to_string(&*s).expect("a string serialises");
    let safe = text::json_safe(&json);
    assert!(!safe.chars().any(|ch| ch != '\n' && text::is_unsafe(ch)));
    let back: String = serde_json::from_str(&safe).expect("escaped JSON parses");
    assert_eq!(back, s);
    let max = usize::from(data.first().copied().unwrap_or(0) % 64);
    assert!(text::width(&text::truncate(&s, max)) <= max);
    assert!(text::width(&text::truncate_middle(&s, max)) <= max);
});
