//! Text that leaves socscope: one sanitiser for everything sent toward a terminal, one policy for
//! exports, and display width (not char count) for fitting text into columns.
//!
//! Session files, questionnaires and CSV files are user input and may be hostile: an escape
//! sequence in a system's name must never reach the terminal raw (an OSC 52 sequence writes the
//! clipboard), and bidirectional overrides or zero-width characters must never make a name or an
//! answer read differently from what it is. Every front-end prints through [`clean`] or
//! [`clean_multiline`]; the Markdown export uses [`clean`] too; JSON keeps the text exactly but
//! escapes those characters ([`json_safe`]).

//!
//! The sanitiser is public for its fuzz target (fuzz/fuzz_targets/sanitiser.rs) and benchmark
//! (benches/secrets.rs, group `text`): it is on every path to the screen, so it must be linear.

use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

/// Characters that change how the text around them is shown without being shown themselves:
/// bidirectional embeddings, overrides and isolates, zero-width characters, invisible operators,
/// tag characters and the byte-order mark.
pub fn is_invisible_format(c: char) -> bool {
    matches!(c,
        '\u{00AD}' | '\u{034F}' | '\u{061C}' | '\u{115F}' | '\u{1160}' | '\u{17B4}' | '\u{17B5}'
        | '\u{180B}'..='\u{180F}'
        | '\u{200B}'..='\u{200F}'
        | '\u{202A}'..='\u{202E}'
        | '\u{2060}'..='\u{206F}'
        | '\u{3164}' | '\u{FE00}'..='\u{FE0F}' | '\u{FEFF}' | '\u{FFA0}'
        | '\u{FFF0}'..='\u{FFFB}'
        | '\u{E0000}'..='\u{E0FFF}')
}

/// Whether a character must never reach a terminal as it is: C0 and C1 controls (ESC, CSI
/// U+009B...), DEL, and the invisible format characters above.
pub fn is_unsafe(c: char) -> bool {
    c.is_control() || is_invisible_format(c)
}

/// One line of untrusted text, safe to print or draw: line breaks and tabs become spaces, other
/// control characters and invisible format characters are dropped.
pub fn clean(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\n' | '\t' | '\r' => out.push(' '),
            c if is_unsafe(c) => {}
            c => out.push(c),
        }
    }
    out
}

/// Like [`clean`], keeping line breaks (notes, help text, multi-line error reports).
pub fn clean_multiline(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for (i, line) in s.split('\n').enumerate() {
        if i > 0 {
            out.push('\n');
        }
        out.push_str(&clean(line.strip_suffix('\r').unwrap_or(line)));
    }
    out
}

/// Serialised JSON with every unsafe character inside strings written as a `\uXXXX` escape: the
/// same data for a JSON reader, nothing raw for a terminal that shows the file. (serde_json
/// escapes C0 controls but writes C1 controls and format characters as they are.)
pub fn json_safe(json: &str) -> String {
    if !json.chars().any(is_unsafe) {
        return json.to_string();
    }
    let mut out = String::with_capacity(json.len() + 16);
    for c in json.chars() {
        if is_unsafe(c) && c != '\n' {
            let mut buf = [0u16; 2];
            for unit in c.encode_utf16(&mut buf) {
                out.push_str(&format!("\\u{unit:04x}"));
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// Display width in terminal columns (wide characters count two, combining marks none).
pub fn width(s: &str) -> usize {
    UnicodeWidthStr::width(s)
}

fn char_width(c: char) -> usize {
    UnicodeWidthChar::width(c).unwrap_or(0)
}

/// Cleans and shortens to at most `max` columns, ending in `…` when cut.
pub fn truncate(s: &str, max: usize) -> String {
    let s = clean(s);
    if width(&s) <= max {
        return s;
    }
    if max == 0 {
        return String::new();
    }
    let mut out = String::new();
    let mut used = 0;
    for c in s.chars() {
        let w = char_width(c);
        if used + w > max - 1 {
            break;
        }
        used += w;
        out.push(c);
    }
    out.push('…');
    out
}

/// Cleans and shortens to at most `max` columns keeping both ends (`Billing serv…account`), so
/// two names that share a long beginning stay distinguishable in a narrow column.
pub fn truncate_middle(s: &str, max: usize) -> String {
    let s = clean(s);
    if width(&s) <= max {
        return s;
    }
    if max < 5 {
        return truncate(&s, max);
    }
    let budget = max - 1;
    let tail_budget = budget / 2;
    let head_budget = budget - tail_budget;
    let mut head = String::new();
    let mut used = 0;
    for c in s.chars() {
        let w = char_width(c);
        if used + w > head_budget {
            break;
        }
        used += w;
        head.push(c);
    }
    let mut tail: Vec<char> = Vec::new();
    let mut used_tail = 0;
    for c in s.chars().rev() {
        let w = char_width(c);
        if used_tail + w > tail_budget {
            break;
        }
        used_tail += w;
        tail.push(c);
    }
    head.push('…');
    head.extend(tail.into_iter().rev());
    head
}

/// Pads with spaces to `columns` display columns (text wider than that is returned as it is).
pub(crate) fn pad(s: &str, columns: usize) -> String {
    let w = width(s);
    if w >= columns {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len() + columns - w);
    out.push_str(s);
    out.extend(std::iter::repeat_n(' ', columns - w));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_and_format_characters_never_survive() {
        let hostile = "a\u{1b}]52;c;SGVsbG8=\u{7}b\u{9b}31mc\u{202e}d\u{200b}e\u{feff}f";
        let c = clean(hostile);
        assert!(!c.chars().any(is_unsafe), "{c:?}");
        assert_eq!(c, "a]52;c;SGVsbG8=b31mcdef");
    }

    #[test]
    fn json_keeps_the_data_and_escapes_the_characters() {
        let json = serde_json::to_string("x\u{9b}y\u{202e}z").unwrap();
        let safe = json_safe(&json);
        assert!(!safe.chars().any(is_unsafe), "{safe}");
        let back: String = serde_json::from_str(&safe).unwrap();
        assert_eq!(back, "x\u{9b}y\u{202e}z");
    }

    #[test]
    fn widths_count_columns_not_chars() {
        assert_eq!(width("日本"), 4);
        assert_eq!(width("e\u{301}"), 1);
        assert_eq!(truncate("日本語のシステム", 7), "日本語…");
        assert!(width(&truncate("日本語のシステム", 7)) <= 7);
    }

    #[test]
    fn middle_truncation_keeps_twins_apart() {
        let a = truncate_middle("Billing service account (EU)", 16);
        let b = truncate_middle("Billing service account (US)", 16);
        assert_ne!(a, b);
        assert!(width(&a) <= 16);
    }

    use proptest::prelude::*;

    /// Text rich in what the sanitiser exists for: escapes, C1 controls, bidi and zero-width
    /// characters, wide and combining characters, line breaks.
    fn hostile() -> impl Strategy<Value = String> {
        let pieces = prop_oneof![
            Just("\u{1b}[31m".to_string()),
            Just("\u{1b}]52;c;SGVsbG8=\u{7}".to_string()),
            Just("\u{9b}2J".to_string()),
            Just("\u{202e}".to_string()),
            Just("\u{200b}".to_string()),
            Just("\u{feff}".to_string()),
            Just("\u{e0041}".to_string()),
            Just("e\u{301}".to_string()),
            Just("日本".to_string()),
            Just("\r\n".to_string()),
            Just("\t".to_string()),
            "[a-z ]{0,6}",
            any::<char>().prop_map(String::from),
        ];
        prop::collection::vec(pieces, 0..40).prop_map(|v| v.concat())
    }

    proptest! {
        #[test]
        fn cleaned_text_is_safe_keeps_the_rest_in_order_and_is_final(s in hostile()) {
            let c = clean(&s);
            prop_assert!(!c.chars().any(is_unsafe), "{:?}", c);
            prop_assert_eq!(clean(&c), c.clone());
            let kept: String = s
                .chars()
                .filter_map(|ch| match ch {
                    '\n' | '\t' | '\r' => Some(' '),
                    ch if is_unsafe(ch) => None,
                    ch => Some(ch),
                })
                .collect();
            prop_assert_eq!(c, kept);
            let m = clean_multiline(&s);
            prop_assert!(!m.chars().any(|ch| ch != '\n' && is_unsafe(ch)), "{:?}", m);
            prop_assert_eq!(m.split('\n').count(), s.split('\n').count());
        }

        #[test]
        fn json_stays_the_same_data_and_shows_nothing_raw(s in hostile()) {
            let json = serde_json::to_string(&s).unwrap();
            let safe = json_safe(&json);
            prop_assert!(!safe.chars().any(|ch| ch != '\n' && is_unsafe(ch)), "{}", safe);
            let back: String = serde_json::from_str(&safe).unwrap();
            prop_assert_eq!(back, s);
        }

        #[test]
        fn shortened_text_fits_its_columns_and_is_clean(s in hostile(), max in 0usize..30) {
            for t in [truncate(&s, max), truncate_middle(&s, max)] {
                prop_assert!(width(&t) <= max, "{:?} is {} columns, more than {}", t, width(&t), max);
                prop_assert!(!t.chars().any(is_unsafe), "{:?}", t);
            }
            prop_assert!(width(&pad(&clean(&s), max)) >= max);
        }
    }
}
