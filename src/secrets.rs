//! Credential hygiene: finds secrets pasted into free text (answers, notes, names) and redacts
//! them. Pure: text in, text and findings out.
//!
//! Recognised: AWS access key ids, GitHub tokens, Slack tokens, Stripe live/restricted keys,
//! Google API keys, JSON Web Tokens, PEM private key blocks, `password=`-style assignments, and
//! long high-entropy strings (Shannon entropy, see [`high_entropy`]). A redacted secret keeps a
//! short, harmless prefix so people can tell what it was: `ghp_…[REDACTED github-token]`.
//!
//! A [`Finding`] never holds the secret itself, so findings can be shown and logged freely.

use std::fmt;

/// What kind of secret was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SecretKind {
    AwsAccessKeyId,
    GitHubToken,
    SlackToken,
    StripeKey,
    GoogleApiKey,
    Jwt,
    PrivateKey,
    /// `password=...`, `secret: ...` (no space after the colon), `api_key = "..."`.
    Assignment,
    /// A long random-looking string.
    HighEntropy,
}

impl SecretKind {
    /// The short id written in redactions: `[REDACTED github-token]`.
    pub fn id(self) -> &'static str {
        match self {
            SecretKind::AwsAccessKeyId => "aws-access-key-id",
            SecretKind::GitHubToken => "github-token",
            SecretKind::SlackToken => "slack-token",
            SecretKind::StripeKey => "stripe-key",
            SecretKind::GoogleApiKey => "google-api-key",
            SecretKind::Jwt => "jwt",
            SecretKind::PrivateKey => "private-key",
            SecretKind::Assignment => "credential",
            SecretKind::HighEntropy => "high-entropy-string",
        }
    }

    /// How people read it: "an AWS access key id".
    pub fn label(self) -> &'static str {
        match self {
            SecretKind::AwsAccessKeyId => "AWS access key id",
            SecretKind::GitHubToken => "GitHub token",
            SecretKind::SlackToken => "Slack token",
            SecretKind::StripeKey => "Stripe key",
            SecretKind::GoogleApiKey => "Google API key",
            SecretKind::Jwt => "JSON Web Token",
            SecretKind::PrivateKey => "private key",
            SecretKind::Assignment => "password or secret assignment",
            SecretKind::HighEntropy => "random-looking string (possible key or token)",
        }
    }
}

impl fmt::Display for SecretKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// One secret found in a text: where (byte offsets into the text scanned) and what it becomes
/// when redacted. The secret itself is not kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub kind: SecretKind,
    pub start: usize,
    pub end: usize,
    /// The redacted form that replaces `start..end`.
    pub redacted: String,
}

/// The marker every redaction contains; text holding it is never flagged again.
pub const MARKER: &str = "…[REDACTED ";

/// Every secret in `text`, in order, never overlapping.
pub fn scan(text: &str) -> Vec<Finding> {
    let mut found: Vec<Finding> = Vec::new();
    private_keys(text, &mut found);
    assignments(text, &mut found);
    for (start, end) in tokens(text) {
        if overlaps(&found, start, end) {
            continue;
        }
        if let Some(f) = token_finding(text, start, end) {
            found.push(f);
        }
    }
    found.sort_by_key(|f| f.start);
    found
}

/// Whether `text` holds anything [`scan`] would flag.
pub fn contains_secret(text: &str) -> bool {
    !scan(text).is_empty()
}

/// `text` with every secret replaced by its redacted form, and what was found.
pub fn redact(text: &str) -> (String, Vec<Finding>) {
    let found = scan(text);
    if found.is_empty() {
        return (text.to_string(), found);
    }
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for f in &found {
        out.push_str(&text[at..f.start]);
        out.push_str(&f.redacted);
        at = f.end;
    }
    out.push_str(&text[at..]);
    (out, found)
}

/// `text` with secrets redacted; the findings are dropped.
pub fn redacted(text: &str) -> String {
    redact(text).0
}

/// A one-line warning for the status line or a prompt: what was found, and what was stored.
pub fn warning(found: &[Finding]) -> String {
    let mut kinds: Vec<&str> = Vec::new();
    for f in found {
        if !kinds.contains(&f.kind.label()) {
            kinds.push(f.kind.label());
        }
    }
    let what = kinds.join(", ");
    let n = found.len();
    format!(
        "Possible secret{} redacted ({what}); stored as {}",
        if n == 1 { "" } else { "s" },
        found
            .iter()
            .map(|f| f.redacted.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    )
}

fn overlaps(found: &[Finding], start: usize, end: usize) -> bool {
    found.iter().any(|f| start < f.end && f.start < end)
}

fn finding(text: &str, kind: SecretKind, start: usize, end: usize, keep: usize) -> Finding {
    // `keep` is in bytes of ASCII prefix; clamp to a char boundary to be safe.
    let mut keep = keep.min(end - start);
    while !text.is_char_boundary(start + keep) {
        keep -= 1;
    }
    Finding {
        kind,
        start,
        end,
        redacted: format!("{}{MARKER}{}]", &text[start..start + keep], kind.id()),
    }
}

// ----- PEM private keys ----------------------------------------------------------------------

fn private_keys(text: &str, found: &mut Vec<Finding>) {
    let mut from = 0;
    while let Some(rel) = text[from..].find("-----BEGIN ") {
        let start = from + rel;
        let after = start + "-----BEGIN ".len();
        let Some(close) = text[after..].find("-----") else {
            break;
        };
        let label = &text[after..after + close];
        let header_end = after + close + 5;
        if !label.ends_with("PRIVATE KEY")
            || label.len() > 40
            || label.contains('\n')
            || text[header_end..].starts_with(MARKER)
        {
            from = header_end;
            continue;
        }
        let footer = format!("-----END {label}-----");
        let end = text[header_end..]
            .find(&footer)
            .map_or(text.len(), |i| header_end + i + footer.len());
        found.push(finding(
            text,
            SecretKind::PrivateKey,
            start,
            end,
            header_end - start,
        ));
        from = end;
    }
}

// ----- key=value assignments -----------------------------------------------------------------

const SECRET_WORDS: &[&str] = &[
    "password",
    "passwd",
    "pwd",
    "passphrase",
    "secret",
    "token",
    "apikey",
    "api_key",
    "api-key",
    "access_key",
    "access-key",
    "private_key",
    "credential",
    "auth",
];

fn is_key_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.')
}

/// `password=hunter2`, `DB_PASSWORD = "a b"`, `token:abc123` (a colon only when no space
/// follows, so prose like "Token: rotated yearly" is left alone).
fn assignments(text: &str, found: &mut Vec<Finding>) {
    for (i, c) in text.char_indices() {
        if c != '=' && c != ':' {
            continue;
        }
        // The key: identifier characters right before the operator (spaces allowed for `=`).
        let before = &text[..i];
        let trimmed = if c == '=' {
            before.trim_end_matches(' ')
        } else {
            before
        };
        let key_start = trimmed
            .char_indices()
            .rev()
            .take_while(|(_, k)| is_key_char(*k))
            .last()
            .map_or(trimmed.len(), |(j, _)| j);
        let key = trimmed[key_start..].to_ascii_lowercase();
        if key.is_empty() || key.len() > 64 || !SECRET_WORDS.iter().any(|w| key.contains(w)) {
            continue;
        }
        // The value.
        let rest = &text[i + 1..];
        if c == ':' && (rest.starts_with([' ', '\t', '\n', '/']) || rest.is_empty()) {
            continue;
        }
        let lead = if c == '=' {
            rest.len() - rest.trim_start_matches(' ').len()
        } else {
            0
        };
        let vstart = i + 1 + lead;
        let value = &text[vstart..];
        let (vstart, vlen) = match value.chars().next() {
            Some(q @ ('"' | '\'')) => match value[1..].find(q) {
                Some(close) if !value[1..1 + close].contains('\n') => (vstart + 1, close),
                _ => continue,
            },
            _ => (
                vstart,
                value
                    .find(|ch: char| ch.is_whitespace() || matches!(ch, ',' | ';' | '&' | '"'))
                    .unwrap_or(value.len()),
            ),
        };
        let v = &text[vstart..vstart + vlen];
        let v = v.trim_end_matches(['.', ')']);
        if v.chars().count() < 4 || v.contains("…[REDACTED") || is_placeholder(v) {
            continue;
        }
        let end = vstart + v.len();
        if overlaps(found, vstart, end) {
            continue;
        }
        found.push(finding(text, SecretKind::Assignment, vstart, end, 0));
    }
}

/// Values that are clearly not secrets: `password=<redacted>`, `token=***`, `secret=${VAR}`.
fn is_placeholder(v: &str) -> bool {
    let l = v.to_ascii_lowercase();
    v.chars()
        .all(|c| c == '*' || c == 'x' || c == 'X' || c == '.')
        || l.starts_with('<')
        || l.starts_with("${")
        || l.starts_with("{{")
        || matches!(
            l.as_str(),
            "none" | "null" | "empty" | "redacted" | "required" | "optional" | "true" | "false"
        )
}

// ----- tokens: known formats and high entropy ------------------------------------------------

fn is_token_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '+' | '/' | '=' | '.')
}

/// Byte ranges of maximal runs of token characters.
fn tokens(text: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, c) in text.char_indices() {
        match (is_token_char(c), start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                out.push((s, i));
                start = None;
            }
            _ => {}
        }
    }
    if let Some(s) = start {
        out.push((s, text.len()));
    }
    out
}

fn all(s: &str, f: impl Fn(u8) -> bool) -> bool {
    s.bytes().all(f)
}

fn b64url(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'-'
}

/// The first known-format secret inside the token `start..end`, or a high-entropy token.
fn token_finding(text: &str, start: usize, end: usize) -> Option<Finding> {
    let tok = &text[start..end];
    // Known formats may sit inside a longer run (e.g. `key/AKIA...`): look for each prefix.
    const PREFIXES: &[(&str, SecretKind)] = &[
        ("AKIA", SecretKind::AwsAccessKeyId),
        ("ASIA", SecretKind::AwsAccessKeyId),
        ("AGPA", SecretKind::AwsAccessKeyId),
        ("AIDA", SecretKind::AwsAccessKeyId),
        ("AROA", SecretKind::AwsAccessKeyId),
        ("ghp_", SecretKind::GitHubToken),
        ("gho_", SecretKind::GitHubToken),
        ("ghs_", SecretKind::GitHubToken),
        ("ghu_", SecretKind::GitHubToken),
        ("ghr_", SecretKind::GitHubToken),
        ("github_pat_", SecretKind::GitHubToken),
        ("xoxb-", SecretKind::SlackToken),
        ("xoxa-", SecretKind::SlackToken),
        ("xoxp-", SecretKind::SlackToken),
        ("xoxr-", SecretKind::SlackToken),
        ("xoxs-", SecretKind::SlackToken),
        ("sk_live_", SecretKind::StripeKey),
        ("rk_live_", SecretKind::StripeKey),
        ("sk_test_", SecretKind::StripeKey),
        ("rk_test_", SecretKind::StripeKey),
        ("AIza", SecretKind::GoogleApiKey),
        ("eyJ", SecretKind::Jwt),
    ];
    for (prefix, kind) in PREFIXES {
        let mut from = 0;
        while let Some(rel) = tok[from..].find(prefix) {
            let at = from + rel;
            from = at + prefix.len();
            // A secret starts at a word boundary: not in the middle of a longer word.
            if at > 0 && tok.as_bytes()[at - 1].is_ascii_alphanumeric() {
                continue;
            }
            let body = &tok[at + prefix.len()..];
            if let Some(len) = known_body(*kind, body) {
                let s = start + at;
                return Some(finding(
                    text,
                    *kind,
                    s,
                    s + prefix.len() + len,
                    prefix.len(),
                ));
            }
        }
    }
    // Trailing sentence punctuation is not part of a token.
    let trimmed = tok.trim_end_matches(['.', '=', '-', '/']);
    let trimmed_start = trimmed.len() - trimmed.trim_start_matches(['.', '-', '/']).len();
    let t = &trimmed[trimmed_start..];
    if high_entropy(t) {
        let s = start + trimmed_start;
        return Some(finding(text, SecretKind::HighEntropy, s, s + t.len(), 4));
    }
    None
}

/// The length of a known format's body after its prefix, if `body` starts with a valid one.
fn known_body(kind: SecretKind, body: &str) -> Option<usize> {
    let b = body.as_bytes();
    let run = |ok: fn(u8) -> bool| b.iter().take_while(|c| ok(**c)).count();
    match kind {
        SecretKind::AwsAccessKeyId => {
            let n = run(|c| c.is_ascii_uppercase() || c.is_ascii_digit());
            (n == 16).then_some(16)
        }
        SecretKind::GitHubToken => {
            let n = run(|c| c.is_ascii_alphanumeric() || c == b'_');
            (n >= 22).then_some(n)
        }
        SecretKind::SlackToken => {
            let n = run(|c| c.is_ascii_alphanumeric() || c == b'-');
            (n >= 10 && body[..n].bytes().any(|c| c.is_ascii_digit())).then_some(n)
        }
        SecretKind::StripeKey => {
            let n = run(|c| c.is_ascii_alphanumeric());
            (n >= 10).then_some(n)
        }
        SecretKind::GoogleApiKey => {
            let n = run(b64url);
            (n >= 35).then_some(n)
        }
        SecretKind::Jwt => {
            // header.payload.signature, each base64url; the payload is JSON too (`eyJ`).
            let h = run(b64url);
            if h < 4 || b.get(h) != Some(&b'.') || !body[h + 1..].starts_with("eyJ") {
                return None;
            }
            let rest = &body[h + 1..];
            let p = rest.bytes().take_while(|c| b64url(*c)).count();
            if p < 6 || rest.as_bytes().get(p) != Some(&b'.') {
                return None;
            }
            let sig = rest[p + 1..].bytes().take_while(|c| b64url(*c)).count();
            (sig >= 8).then_some(h + 1 + p + 1 + sig)
        }
        _ => None,
    }
}

/// Shannon entropy of `s`, in bits per character.
pub fn entropy(s: &str) -> f64 {
    let mut counts = [0usize; 256];
    for b in s.bytes() {
        counts[b as usize] += 1;
    }
    let n = s.len() as f64;
    counts
        .iter()
        .filter(|c| **c > 0)
        .map(|c| {
            let p = *c as f64 / n;
            -p * p.log2()
        })
        .sum()
}

/// A random-looking token of 20 characters or more: mixed letters and digits (and case) with
/// high Shannon entropy. Hex strings count from 32 characters. Words joined by dashes or dots
/// (`svc-billing-eu-west-1`, `payroll.example.com`) and paths are not flagged.
pub fn high_entropy(t: &str) -> bool {
    let n = t.len();
    if !(20..=4096).contains(&n) || !t.is_ascii() || t.contains("://") {
        return false;
    }
    let digits = t.bytes().filter(u8::is_ascii_digit).count();
    let upper = t.bytes().filter(u8::is_ascii_uppercase).count();
    let lower = t.bytes().filter(u8::is_ascii_lowercase).count();
    if digits == 0 || upper + lower == 0 {
        return false;
    }
    // Identifiers made of short words: many separators, each part short.
    let parts = t
        .split(['-', '.', '_', '/'])
        .filter(|p| !p.is_empty())
        .count();
    let longest = t
        .split(['-', '.', '_', '/'])
        .map(str::len)
        .max()
        .unwrap_or(0);
    if parts >= 3 && longest < 16 {
        return false;
    }
    let e = entropy(t);
    let hex = all(t, |b| b.is_ascii_hexdigit());
    if hex {
        return n >= 32 && e >= 3.0;
    }
    // Random base62/base64 text has both cases and digits; prose-like ids rarely do.
    let mixed_case = upper > 0 && lower > 0;
    let threshold: f64 = if n < 32 { 3.9 } else { 4.2 };
    mixed_case && (digits >= 2 || n >= 32) && e >= threshold.min((n as f64).log2() - 0.3)
}

// ----- whole sessions --------------------------------------------------------------------------

/// A copy of `s` with every piece of user text redacted: workshop details, names, free-text
/// answers, notes, kept-aside answers and both sides of merge conflicts. Exports and printed
/// reports are made from this, so they never contain a detected secret, even one stored on
/// purpose (`secret_override`).
pub fn redact_session(s: &crate::session::Session) -> crate::session::Session {
    use crate::session::{Answers, Value};
    let mut s = s.clone();
    let answer = |ans: &mut crate::session::Answer| {
        match &mut ans.value {
            Value::Text(t) => *t = redacted(t),
            Value::List(items) => {
                for i in items.iter_mut() {
                    *i = redacted(i);
                }
            }
            _ => {}
        }
        if let Some(n) = &mut ans.note {
            *n = redacted(n);
        }
    };
    let answers = |a: &mut Answers| a.values_mut().for_each(answer);
    s.workshop.organisation = redacted(&s.workshop.organisation);
    s.workshop.facilitator = redacted(&s.workshop.facilitator);
    for p in &mut s.workshop.participants {
        *p = redacted(p);
    }
    answers(&mut s.engagement);
    for x in &mut s.systems {
        x.name = redacted(&x.name);
        answers(&mut x.answers);
    }
    for x in &mut s.identities {
        x.name = redacted(&x.name);
        answers(&mut x.answers);
    }
    for c in &mut s.conflicts {
        c.ours
            .iter_mut()
            .chain(c.theirs.iter_mut())
            .for_each(answer);
    }
    for o in &mut s.orphans {
        o.value = redacted(&o.value);
        o.entity = redacted(&o.entity);
        if let Some(n) = &mut o.note {
            *n = redacted(n);
        }
    }
    s
}

/// A workshop as exports see it: its session redacted ([`redact_session`]) and its path.
pub struct Redacted {
    pub session: crate::session::Session,
    pub path: std::path::PathBuf,
}

impl Redacted {
    pub fn of(session: &crate::session::Session, path: &std::path::Path) -> Redacted {
        Redacted {
            session: redact_session(session),
            path: path.to_path_buf(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entropy_of_simple_strings() {
        assert_eq!(entropy("aaaa"), 0.0);
        assert!((entropy("ab") - 1.0).abs() < 1e-9);
    }
}
