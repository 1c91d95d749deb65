//! Credential hygiene: finds secrets pasted into free text (answers, notes, names, imported
//! cells) and redacts them. Pure: text in, text and findings out.
//!
//! Recognised: AWS access key ids, GitHub, Slack, Stripe, Google and npm tokens, JSON Web
//! Tokens, PEM and PGP private key blocks, passwords in URLs (`https://user:pass@host`),
//! `Authorization: Basic`/`Bearer` credentials, `password=`-style assignments, passwords in
//! prose (`root password: hunter2`, `the admin password is S3cr3t!`) and long high-entropy
//! strings (Shannon entropy, see [`high_entropy`]). A redacted secret keeps a short, harmless
//! prefix so people can tell what it was: `ghp_…[REDACTED github-token]`.
//!
//! A [`Finding`] never holds the secret itself, so findings can be shown and logged freely.
//!
//! Every detector makes one pass over the text and never rescans what it has passed (house
//! rule: linear on any input; 1 MB of `password=` once took 42 s). Redactions already in the
//! text are found first and never flagged again, so redacting twice changes nothing.

use std::collections::BTreeMap;
use std::fmt;

use base64::Engine as _;

/// What kind of secret was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SecretKind {
    AwsAccessKeyId,
    GitHubToken,
    SlackToken,
    StripeKey,
    GoogleApiKey,
    NpmToken,
    Jwt,
    /// A PEM (`-----BEGIN RSA PRIVATE KEY-----`) or PGP (`-----BEGIN PGP PRIVATE KEY BLOCK-----`)
    /// private key block.
    PrivateKey,
    /// The password in `scheme://user:password@host` (scheme, user and host are kept).
    UrlPassword,
    /// The credentials of `Authorization: Basic <base64 of user:password>`.
    BasicAuth,
    /// The token of `Authorization: Bearer <token>`.
    BearerToken,
    /// `password=...`, `secret: ...` (no space after the colon), `api_key = "..."`, and
    /// passwords in prose: `root password: hunter2`, `the password for prod is S3cr3t!`.
    Assignment,
    /// A long random-looking string.
    HighEntropy,
}

const KINDS: [SecretKind; 13] = [
    SecretKind::AwsAccessKeyId,
    SecretKind::GitHubToken,
    SecretKind::SlackToken,
    SecretKind::StripeKey,
    SecretKind::GoogleApiKey,
    SecretKind::NpmToken,
    SecretKind::Jwt,
    SecretKind::PrivateKey,
    SecretKind::UrlPassword,
    SecretKind::BasicAuth,
    SecretKind::BearerToken,
    SecretKind::Assignment,
    SecretKind::HighEntropy,
];

impl SecretKind {
    /// The short id written in redactions: `[REDACTED github-token]`.
    pub fn id(self) -> &'static str {
        match self {
            SecretKind::AwsAccessKeyId => "aws-access-key-id",
            SecretKind::GitHubToken => "github-token",
            SecretKind::SlackToken => "slack-token",
            SecretKind::StripeKey => "stripe-key",
            SecretKind::GoogleApiKey => "google-api-key",
            SecretKind::NpmToken => "npm-token",
            SecretKind::Jwt => "jwt",
            SecretKind::PrivateKey => "private-key",
            SecretKind::UrlPassword => "url-password",
            SecretKind::BasicAuth => "basic-auth",
            SecretKind::BearerToken => "bearer-token",
            SecretKind::Assignment => "credential",
            SecretKind::HighEntropy => "high-entropy-string",
        }
    }

    /// How people read it: "an AWS access key id".
    pub(crate) fn label(self) -> &'static str {
        match self {
            SecretKind::AwsAccessKeyId => "AWS access key id",
            SecretKind::GitHubToken => "GitHub token",
            SecretKind::SlackToken => "Slack token",
            SecretKind::StripeKey => "Stripe key",
            SecretKind::GoogleApiKey => "Google API key",
            SecretKind::NpmToken => "npm token",
            SecretKind::Jwt => "JSON Web Token",
            SecretKind::PrivateKey => "private key",
            SecretKind::UrlPassword => "password in a URL",
            SecretKind::BasicAuth => "HTTP Basic credentials",
            SecretKind::BearerToken => "bearer token",
            SecretKind::Assignment => "password or secret",
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
    let mut sc = Scan {
        text,
        taken: BTreeMap::new(),
        found: Vec::new(),
    };
    // Earlier detectors win where two would claim the same bytes.
    redactions(&mut sc);
    private_keys(&mut sc);
    url_passwords(&mut sc);
    auth_headers(&mut sc);
    assignments(&mut sc);
    prose(&mut sc);
    tokens(&mut sc);
    sc.found.sort_by_key(|f| f.start);
    sc.found
}

/// Whether `text` holds anything [`scan`] would flag.
pub(crate) fn contains_secret(text: &str) -> bool {
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
/// At most three stored forms are listed, so a paste full of keys still gives one short line.
pub fn warning(found: &[Finding]) -> String {
    let mut kinds: Vec<&str> = Vec::new();
    for f in found {
        if !kinds.contains(&f.kind.label()) {
            kinds.push(f.kind.label());
        }
    }
    let what = kinds.join(", ");
    let n = found.len();
    let mut stored = found
        .iter()
        .take(3)
        .map(|f| f.redacted.as_str())
        .collect::<Vec<_>>()
        .join(", ");
    if n > 3 {
        stored.push_str(&format!(" and {} more", n - 3));
    }
    format!(
        "Possible secret{} redacted ({what}); stored as {stored}",
        if n == 1 { "" } else { "s" },
    )
}

// ----- the scan --------------------------------------------------------------------------------

// Work done by the detectors, counted in tests to show the scan is linear.
#[cfg(test)]
thread_local! {
    static STEPS: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

/// Counts `n` units of work (bytes looked at, interval look-ups); nothing outside tests.
#[inline]
fn step(n: usize) {
    #[cfg(test)]
    STEPS.with(|s| s.set(s.get() + n as u64));
    #[cfg(not(test))]
    let _ = n;
}

struct Scan<'t> {
    text: &'t str,
    /// start -> end of every byte range already claimed (findings, and redactions in the text).
    /// Ranges never overlap, so the one starting last before an end is the only one to check.
    taken: BTreeMap<usize, usize>,
    found: Vec<Finding>,
}

impl Scan<'_> {
    fn free(&self, start: usize, end: usize) -> bool {
        step(1);
        self.taken
            .range(..end)
            .next_back()
            .is_none_or(|(_, e)| *e <= start)
    }

    fn take(&mut self, start: usize, end: usize) -> bool {
        if start >= end || !self.free(start, end) {
            return false;
        }
        self.taken.insert(start, end);
        true
    }

    fn add(&mut self, kind: SecretKind, start: usize, end: usize, keep: usize) -> bool {
        if !self.take(start, end) {
            return false;
        }
        self.found.push(finding(self.text, kind, start, end, keep));
        true
    }

    /// Where the next claimed range at or after `at` starts (the text's end if none).
    fn next_taken(&self, at: usize) -> usize {
        step(1);
        self.taken
            .range(at..)
            .next()
            .map_or(self.text.len(), |(s, _)| *s)
    }
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

/// The largest char boundary at or below `i`.
fn floor_boundary(text: &str, i: usize) -> usize {
    let mut i = i.min(text.len());
    while !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// Spaces and tabs at `b[at..]`, at most `max`.
fn blanks(b: &[u8], at: usize, max: usize) -> usize {
    let n = b
        .get(at..)
        .unwrap_or_default()
        .iter()
        .take(max)
        .take_while(|c| matches!(c, b' ' | b'\t'))
        .count();
    step(n);
    n
}

fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric()
}

// ----- redactions already in the text ----------------------------------------------------------

/// `ghp_…[REDACTED github-token]`: the marker with a known kind, and the prefix that kind keeps,
/// are claimed before anything else.
fn redactions(sc: &mut Scan) {
    let text = sc.text;
    let b = text.as_bytes();
    let mut from = 0;
    while let Some(rel) = text[from..].find(MARKER) {
        step(rel + MARKER.len());
        let at = from + rel;
        let id_start = at + MARKER.len();
        from = id_start;
        let id_len = b[id_start..]
            .iter()
            .take(24)
            .take_while(|c| c.is_ascii_lowercase() || **c == b'-')
            .count();
        step(id_len);
        let id = &text[id_start..id_start + id_len];
        let Some(kind) = KINDS.iter().find(|k| k.id() == id) else {
            continue;
        };
        if b.get(id_start + id_len) != Some(&b']') {
            continue;
        }
        let end = id_start + id_len + 1;
        if !sc.take(at - kept_prefix(text, at, *kind), end) {
            sc.take(at, end);
        }
        from = end;
    }
}

/// How many bytes before a marker at `at` are the prefix a redaction of `kind` keeps.
fn kept_prefix(text: &str, at: usize, kind: SecretKind) -> usize {
    let before = &text[..at];
    match kind {
        SecretKind::HighEntropy => before
            .bytes()
            .rev()
            .take(4)
            .take_while(|c| is_token_byte(*c))
            .count(),
        SecretKind::PrivateKey if before.ends_with("-----") => {
            let from = floor_boundary(text, at.saturating_sub(80));
            before[from..]
                .rfind("-----BEGIN ")
                .map_or(0, |i| at - (from + i))
        }
        k => PREFIXES
            .iter()
            .filter(|(_, pk)| *pk == k)
            .find(|(p, _)| before.ends_with(p))
            .map_or(0, |(p, _)| p.len()),
    }
}

// ----- PEM and PGP private keys ----------------------------------------------------------------

fn is_private_label(label: &str) -> bool {
    label.len() <= 48
        && !label.contains(['\n', '\r'])
        && (label.ends_with("PRIVATE KEY")
            || label.ends_with("PRIVATE KEY BLOCK")
            || label.ends_with("SECRET KEY BLOCK"))
}

/// From `-----BEGIN … PRIVATE KEY-----` (or `PGP PRIVATE KEY BLOCK`) to its footer; a paste
/// cut short runs to the end of the text (or to a redaction already there).
fn private_keys(sc: &mut Scan) {
    const BEGIN: &str = "-----BEGIN ";
    let text = sc.text;
    let mut from = 0;
    while let Some(rel) = text[from..].find(BEGIN) {
        step(rel + BEGIN.len());
        let start = from + rel;
        let after = start + BEGIN.len();
        from = after;
        let window = &text[after..floor_boundary(text, after + 64)];
        let Some(close) = window.find("-----") else {
            step(window.len());
            continue;
        };
        step(close);
        let label = &window[..close];
        let header_end = after + close + 5;
        if !is_private_label(label) || !sc.free(start, header_end) {
            continue;
        }
        let limit = sc.next_taken(header_end);
        let footer = format!("-----END {label}-----");
        let region = &text[header_end..limit];
        let end = match region.find(&footer) {
            Some(i) => {
                step(i + footer.len());
                header_end + i + footer.len()
            }
            None => {
                step(region.len());
                limit
            }
        };
        sc.add(SecretKind::PrivateKey, start, end, header_end - start);
        from = end;
    }
}

// ----- passwords in URLs -----------------------------------------------------------------------

/// `scheme://user:password@host`: the password is redacted, scheme, user and host kept.
fn url_passwords(sc: &mut Scan) {
    let text = sc.text;
    let b = text.as_bytes();
    let mut from = 0;
    while let Some(rel) = text[from..].find("://") {
        step(rel + 3);
        let at = from + rel;
        let auth_start = at + 3;
        from = auth_start;
        // Some scheme: only its last character is looked at, for the reason given in `prose`.
        if !b[..at]
            .last()
            .is_some_and(|c| c.is_ascii_alphanumeric() || matches!(c, b'+' | b'-' | b'.'))
        {
            continue;
        }
        let auth_len = text[auth_start..]
            .find(|c: char| {
                c.is_whitespace() || matches!(c, '/' | '?' | '#' | '"' | '\'' | '<' | '>' | '`')
            })
            .unwrap_or(text.len() - auth_start);
        step(auth_len);
        let authority = &text[auth_start..auth_start + auth_len];
        // The authority holds no `/`, so the next `://` starts at its last byte at the earliest.
        from = auth_start + auth_len - usize::from(authority.ends_with(':'));
        let Some(at_sign) = authority.rfind('@') else {
            continue;
        };
        let Some(colon) = authority[..at_sign].find(':') else {
            continue;
        };
        let (start, end) = (auth_start + colon + 1, auth_start + at_sign);
        if start < end && !is_placeholder(&text[start..end]) {
            sc.add(SecretKind::UrlPassword, start, end, 0);
        }
    }
}

// ----- Authorization: Basic / Bearer -----------------------------------------------------------

/// `Basic dXNlcjpwYXNz` (base64 that decodes to `user:password`) and `Bearer <token>`, with or
/// without the `Authorization:` header name before them. As in [`prose`], what comes before the
/// word is not looked at.
fn auth_headers(sc: &mut Scan) {
    let text = sc.text;
    let b = text.as_bytes();
    let mut i = 0;
    while let Some(rel) = b[i..].iter().position(|c| (c | 0x20) == b'b') {
        step(rel + 1);
        let at = i + rel;
        i = at + 1;
        let starts = |w: &str| {
            b.get(at..at + w.len())
                .is_some_and(|s| s.eq_ignore_ascii_case(w.as_bytes()))
        };
        let (kind, word) = if starts("basic") {
            (SecretKind::BasicAuth, 5)
        } else if starts("bearer") {
            (SecretKind::BearerToken, 6)
        } else {
            continue;
        };
        let gap = blanks(b, at + word, 8);
        if gap == 0 {
            continue;
        }
        let vstart = at + word + gap;
        let len = b[vstart..]
            .iter()
            .take_while(|c| c.is_ascii_alphanumeric() || b"-._~+/=".contains(c))
            .count();
        step(len);
        // A value running into a redaction is not judged: once redacted twice it would be cut
        // there and could pass.
        if sc.taken.contains_key(&(vstart + len)) {
            continue;
        }
        let value = text[vstart..vstart + len].trim_end_matches('.');
        let ok = match kind {
            SecretKind::BasicAuth => basic_credentials(value),
            _ => bearer_token(value),
        };
        if ok && sc.add(kind, vstart, vstart + value.len(), 0) {
            i = vstart + value.len();
        }
    }
}

/// Base64 of `user:password` with a non-empty password, as HTTP Basic sends it. Ordinary words
/// after "basic" ("Basic authentication") do not decode to that.
fn basic_credentials(v: &str) -> bool {
    use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
    const B64: GeneralPurpose = GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
    );
    if v.len() < 6
        || !v
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'+' | b'/' | b'='))
    {
        return false;
    }
    step(v.len());
    let Ok(bytes) = B64.decode(v) else {
        return false;
    };
    let Ok(s) = std::str::from_utf8(&bytes) else {
        return false;
    };
    !s.chars().any(char::is_control) && s.split_once(':').is_some_and(|(_, pw)| !pw.is_empty())
}

/// A bearer token: long enough, and with a digit or mixed case ("Bearer authentication" and
/// "Bearer YOUR_TOKEN" are not).
fn bearer_token(v: &str) -> bool {
    if v.len() < 8 || is_placeholder(v) {
        return false;
    }
    let digit = v.bytes().any(|c| c.is_ascii_digit());
    let upper = v.bytes().any(|c| c.is_ascii_uppercase());
    let lower = v.bytes().any(|c| c.is_ascii_lowercase());
    digit || (upper && lower)
}

// ----- key=value assignments -------------------------------------------------------------------

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

fn is_key_byte(c: u8) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, b'_' | b'-' | b'.')
}

fn is_value_stop(c: char) -> bool {
    c.is_whitespace() || matches!(c, ',' | ';' | '&' | '"')
}

/// `password=hunter2`, `DB_PASSWORD = "a b"`, `token:abc123` (a colon only when no space
/// follows, so prose like "Token: rotated yearly" is left to [`prose`]).
fn assignments(sc: &mut Scan) {
    let text = sc.text;
    let b = text.as_bytes();
    // Unquoted values run to the next stop; values start later and later, so the stop found
    // for one value is reused by the next until it is passed (no rescanning).
    let mut stop = 0usize;
    let mut stop_from = usize::MAX;
    // The end of a value without trailing `.` and `)`, cached for the same reason.
    let mut trim: (usize, usize) = (usize::MAX, 0);
    for i in 0..b.len() {
        step(1);
        let op = b[i];
        if op != b'=' && op != b':' {
            continue;
        }
        // The key: identifier characters right before the operator (spaces allowed for `=`).
        let mut key_end = i;
        if op == b'=' {
            while key_end > 0 && b[key_end - 1] == b' ' {
                key_end -= 1;
                step(1);
            }
        }
        // The last 64 characters of the key at most: a longer run may hold a secret found
        // later, and the key after its redaction must not say more than before.
        let key_len = b[..key_end]
            .iter()
            .rev()
            .take(64)
            .take_while(|c| is_key_byte(**c))
            .count();
        step(key_len);
        if key_len == 0 {
            continue;
        }
        let key = text[key_end - key_len..key_end].to_ascii_lowercase();
        if !SECRET_WORDS.iter().any(|w| key.contains(w)) {
            continue;
        }
        // The value.
        let rest = &b[i + 1..];
        if op == b':' && (rest.is_empty() || matches!(rest[0], b' ' | b'\t' | b'\n' | b'/')) {
            continue;
        }
        let lead = if op == b'=' {
            let n = rest.iter().take_while(|c| **c == b' ').count();
            step(n);
            n
        } else {
            0
        };
        let vstart = i + 1 + lead;
        let (vstart, vend) = match b.get(vstart) {
            Some(&q @ (b'"' | b'\'')) => {
                let Some(close) = quoted(text, vstart + 1, q) else {
                    continue;
                };
                (vstart + 1, close)
            }
            _ => {
                if !(stop_from <= vstart && vstart <= stop) {
                    let n = text[vstart..]
                        .find(is_value_stop)
                        .unwrap_or(text.len() - vstart);
                    step(n);
                    stop = vstart + n;
                    stop_from = vstart;
                }
                (vstart, stop)
            }
        };
        if trim.0 != vend {
            let n = b[..vend]
                .iter()
                .rev()
                .take_while(|c| matches!(c, b'.' | b')'))
                .count();
            step(n);
            trim = (vend, vend - n);
        }
        let end = trim.1.max(vstart);
        let v = &text[vstart..end];
        if v.chars().nth(3).is_none() || is_placeholder(v) {
            continue;
        }
        sc.add(SecretKind::Assignment, vstart, end, 0);
    }
}

/// The end of a value quoted with `q` that starts at `from`: the closing quote, on the same
/// line.
fn quoted(text: &str, from: usize, q: u8) -> Option<usize> {
    let rel = text[from..].find([q as char, '\n'])?;
    step(rel);
    (text.as_bytes()[from + rel] == q).then_some(from + rel)
}

/// Values that are clearly not secrets: `password=<redacted>`, `token=***`, `secret=${VAR}`,
/// `key: $API_KEY`, `unknown`.
fn is_placeholder(v: &str) -> bool {
    let b = v.as_bytes();
    let Some(&first) = b.first() else {
        return true;
    };
    if first == b'<' || v.starts_with("${") || v.starts_with("{{") || v.starts_with("$(") {
        return true;
    }
    // An environment variable: `$DB_PASS`, `%DB_PASS%`.
    if b.len() > 1
        && (first == b'$' || (first == b'%' && b.len() > 2 && b[b.len() - 1] == b'%'))
        && b[1..]
            .iter()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || matches!(c, b'_' | b'%'))
    {
        return true;
    }
    if b.iter()
        .all(|c| matches!(c, b'*' | b'x' | b'X' | b'.' | b'#' | b'?' | b'-'))
    {
        return true;
    }
    v.len() <= 12
        && matches!(
            v.to_ascii_lowercase().as_str(),
            "none"
                | "null"
                | "nil"
                | "empty"
                | "redacted"
                | "required"
                | "optional"
                | "true"
                | "false"
                | "unknown"
                | "unset"
                | "n/a"
                | "tbd"
                | "tba"
                | "todo"
                | "hidden"
                | "masked"
                | "basic"
                | "bearer"
                | "digest"
                | "negotiate"
        )
}

// ----- passwords in prose ----------------------------------------------------------------------

/// Words that introduce a secret in prose. Each must end a word: "passwords" or
/// "password_policy" do not count.
const PROSE_WORDS: &[&str] = &[
    "password",
    "passwd",
    "passphrase",
    "passcode",
    "pwd",
    "secret",
    "token",
    "api key",
    "apikey",
];

/// `root password: hunter2`, `the admin password is S3cr3t!`, `password for prod is Pr0d!`,
/// `the password for the prod db: "a b c"`. The value must look like a password (see
/// [`looks_like_password`]) unless it is quoted, so "the password policy is 90 days",
/// "password: unknown" and "password: see vault" are left alone.
fn prose(sc: &mut Scan) {
    let text = sc.text;
    let b = text.as_bytes();
    for i in 0..b.len() {
        step(1);
        // No check of what comes before the word: that may be a secret found later, whose
        // redaction would change it (see `redactions`).
        if !matches!(b[i] | 0x20, b'p' | b's' | b't' | b'a') {
            continue;
        }
        let Some(word) = PROSE_WORDS.iter().find(|w| {
            b.get(i..i + w.len())
                .is_some_and(|s| s.eq_ignore_ascii_case(w.as_bytes()))
        }) else {
            continue;
        };
        let after = i + word.len();
        if b.get(after).is_some_and(|c| is_word_byte(*c) || *c == b'_') {
            continue;
        }
        let Some(vstart) = prose_connector(b, after) else {
            continue;
        };
        let (start, end, quoted_value) = match b.get(vstart) {
            Some(&q @ (b'"' | b'\'' | b'`')) => match quoted(text, vstart + 1, q) {
                Some(close) => (vstart + 1, close, true),
                None => continue,
            },
            Some(_) => {
                let n = text[vstart..]
                    .find(char::is_whitespace)
                    .unwrap_or(text.len() - vstart);
                step(n);
                let v = text[vstart..vstart + n].trim_end_matches(['.', ',', ';', ':', ')']);
                (vstart, vstart + v.len(), false)
            }
            None => continue,
        };
        let v = &text[start..end];
        let ok = if quoted_value {
            v.chars().nth(3).is_some() && !is_placeholder(v) && !is_prose_placeholder(v)
        } else {
            looks_like_password(v)
        };
        if ok {
            sc.add(SecretKind::Assignment, start, end, 0);
        }
    }
}

/// Where the value starts after a prose keyword ending at `at`: `: `, ` is `, ` was `, or
/// ` for|of|on|to <one to three words> is|was|: `. `None` for anything else.
fn prose_connector(b: &[u8], at: usize) -> Option<usize> {
    let is = |w: &[u8]| w.eq_ignore_ascii_case(b"is") || w.eq_ignore_ascii_case(b"was");
    let colon = |p: usize| -> Option<usize> {
        // A colon with no space after it is an assignment (see `assignments`).
        let n = blanks(b, p + 1, 8);
        (b.get(p) == Some(&b':') && n > 0).then_some(p + 1 + n)
    };
    let word = |p: usize| -> usize {
        let n = b
            .get(p..)
            .unwrap_or_default()
            .iter()
            .take(65)
            .take_while(|c| c.is_ascii_alphanumeric() || b"_.@/-".contains(c))
            .count();
        step(n);
        n
    };
    let gap = blanks(b, at, 8);
    if let Some(v) = colon(at + gap) {
        return Some(v);
    }
    if gap == 0 {
        return None;
    }
    let p = at + gap;
    let w = word(p);
    let first = &b[p..p + w];
    if is(first) {
        let n = blanks(b, p + w, 8);
        return (n > 0).then_some(p + w + n);
    }
    if !["for", "of", "on", "to"]
        .iter()
        .any(|x| first.eq_ignore_ascii_case(x.as_bytes()))
    {
        return None;
    }
    let mut p = p + w;
    // Up to three words, then the connector.
    for _ in 0..4 {
        let n = blanks(b, p, 8);
        if n == 0 {
            return None;
        }
        p += n;
        let w = word(p);
        if w == 0 || w > 64 {
            return None;
        }
        if is(&b[p..p + w]) {
            let n = blanks(b, p + w, 8);
            return (n > 0).then_some(p + w + n);
        }
        p += w;
        if let Some(v) = colon(p) {
            return Some(v);
        }
    }
    None
}

/// Words that stand where a password would but say where it is or that it is not known.
fn is_prose_placeholder(v: &str) -> bool {
    v.len() <= 12
        && matches!(
            v.to_ascii_lowercase().as_str(),
            "see"
                | "ask"
                | "in"
                | "vault"
                | "blank"
                | "missing"
                | "rotated"
                | "stored"
                | "shared"
                | "changed"
                | "expired"
                | "disabled"
                | "enabled"
        )
}

/// A bare word after "password:" or "password is" counts as a password when it has letters
/// and digits (`hunter2`, but not `12-char` or `90days`), letters and symbols (`p@ss!word`), or
/// six digits or more. Plain words (`unknown`, `rotated`, `swordfish`) and dates do not:
/// redacting every word after "password is" would eat ordinary prose.
fn looks_like_password(v: &str) -> bool {
    let n = v.chars().count();
    step(v.len());
    if n < 4 || v.contains("://") || is_placeholder(v) || is_prose_placeholder(v) {
        return false;
    }
    let (mut letters, mut digits, mut symbols) = (0, 0, 0);
    for c in v.chars() {
        if c.is_alphabetic() {
            letters += 1;
        } else if c.is_ascii_digit() {
            digits += 1;
        } else if !matches!(c, '-' | '.' | '\'' | '’' | '/') {
            symbols += 1;
        }
    }
    if digits == n {
        return n >= 6;
    }
    if digits > 0 && letters > 0 {
        // A number and a unit: `12-char`, `90days`, `2fa`.
        let unit = v.trim_start_matches(|c: char| c.is_ascii_digit());
        let unit = unit.strip_prefix('-').unwrap_or(unit);
        return unit.len() == v.len() || !unit.bytes().all(|c| c.is_ascii_lowercase());
    }
    letters > 0 && symbols > 0
}

// ----- tokens: known formats and high entropy --------------------------------------------------

fn is_token_byte(c: u8) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, b'_' | b'-' | b'+' | b'/' | b'=' | b'.')
}

fn b64url(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'-'
}

/// Known formats by prefix; a prefix counts at the start of a word.
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
    ("npm_", SecretKind::NpmToken),
    ("eyJ", SecretKind::Jwt),
];

/// Runs of token characters outside what earlier detectors claimed: each is searched for known
/// formats, and what is left between them is checked for high entropy.
fn tokens(sc: &mut Scan) {
    let text = sc.text;
    let b = text.as_bytes();
    let claimed: Vec<(usize, usize)> = sc.taken.iter().map(|(s, e)| (*s, *e)).collect();
    let mut gaps = Vec::with_capacity(claimed.len() + 1);
    let mut at = 0;
    for (s, e) in claimed {
        gaps.push((at, s));
        at = e;
    }
    gaps.push((at, b.len()));
    for (gs, ge) in gaps {
        let mut i = gs;
        while i < ge {
            step(1);
            if !is_token_byte(b[i]) {
                i += 1;
                continue;
            }
            let start = i;
            while i < ge && is_token_byte(b[i]) {
                i += 1;
            }
            step(i - start);
            token_run(sc, start, i);
        }
    }
}

fn token_run(sc: &mut Scan, start: usize, end: usize) {
    let text = sc.text;
    let b = text.as_bytes();
    // Per kind: candidates before this position would fail as the last one did (see
    // `known_body`), so they are not tried again.
    let mut skip = [0usize; KINDS.len()];
    let mut segment = start;
    let mut i = start;
    'bytes: while i < end {
        step(1);
        // A secret starts a word; right after another secret counts as a word start too, as
        // it will once that one is redacted.
        if i > segment && is_word_byte(b[i - 1]) {
            i += 1;
            continue;
        }
        for (prefix, kind) in PREFIXES {
            if b[i] != prefix.as_bytes()[0] || !b[i..end].starts_with(prefix.as_bytes()) {
                continue;
            }
            let k = *kind as usize;
            if i < skip[k] {
                continue;
            }
            let body = i + prefix.len();
            match known_body(*kind, &b[body..end]) {
                Ok(len) => {
                    high_entropy_segment(sc, segment, i);
                    sc.add(*kind, i, body + len, prefix.len());
                    i = body + len;
                    segment = i;
                    continue 'bytes;
                }
                Err(same) => skip[k] = body + same,
            }
        }
        i += 1;
    }
    high_entropy_segment(sc, segment, end);
}

/// The length of a known format's body after its prefix, if `body` starts with a valid one.
/// On failure, how far every later candidate of the same kind would fail the same way: later
/// Slack or JWT prefixes inside the same run end where this one did, so they fail too; the
/// other formats fail only on short bodies, which cost little to try again.
fn known_body(kind: SecretKind, b: &[u8]) -> Result<usize, usize> {
    let run = |ok: fn(u8) -> bool, max: usize| {
        let n = b.iter().take(max).take_while(|c| ok(**c)).count();
        step(n);
        n
    };
    let at_least = |n: usize, min: usize| if n >= min { Ok(n) } else { Err(0) };
    match kind {
        SecretKind::AwsAccessKeyId => {
            let n = run(|c| c.is_ascii_uppercase() || c.is_ascii_digit(), 17);
            if n == 16 { Ok(16) } else { Err(0) }
        }
        SecretKind::GitHubToken => at_least(
            run(|c| c.is_ascii_alphanumeric() || c == b'_', usize::MAX),
            22,
        ),
        SecretKind::SlackToken => {
            let n = run(|c| c.is_ascii_alphanumeric() || c == b'-', usize::MAX);
            if n >= 10 && b[..n].iter().any(u8::is_ascii_digit) {
                Ok(n)
            } else {
                Err(n)
            }
        }
        SecretKind::StripeKey => at_least(run(|c| c.is_ascii_alphanumeric(), usize::MAX), 10),
        SecretKind::GoogleApiKey => at_least(run(b64url, usize::MAX), 35),
        SecretKind::NpmToken => at_least(run(|c| c.is_ascii_alphanumeric(), usize::MAX), 36),
        SecretKind::Jwt => {
            // header.payload.signature, each base64url; the payload is JSON too (`eyJ`).
            let h = run(b64url, usize::MAX);
            if h < 4 || b.get(h) != Some(&b'.') || !b[h + 1..].starts_with(b"eyJ") {
                return Err(h);
            }
            let rest = &b[h + 1..];
            let p = rest.iter().take_while(|c| b64url(**c)).count();
            step(p);
            if p < 6 || rest.get(p) != Some(&b'.') {
                return Err(h);
            }
            let sig = rest[p + 1..].iter().take_while(|c| b64url(**c)).count();
            step(sig);
            if sig >= 8 {
                Ok(h + 1 + p + 1 + sig)
            } else {
                Err(h)
            }
        }
        _ => Err(0),
    }
}

/// Flags `start..end` (a run, or what is left of it between known formats) if it is a
/// random-looking string once sentence punctuation is trimmed.
fn high_entropy_segment(sc: &mut Scan, start: usize, end: usize) {
    if end - start < 20 {
        return;
    }
    let seg = &sc.text[start..end];
    let trimmed = seg.trim_end_matches(['.', '=', '-', '/']);
    let lead = trimmed.len() - trimmed.trim_start_matches(['.', '-', '/']).len();
    let t = &trimmed[lead..];
    step(seg.len());
    if high_entropy(t) {
        sc.add(
            SecretKind::HighEntropy,
            start + lead,
            start + lead + t.len(),
            4,
        );
    }
}

/// Shannon entropy of `s`, in bits per character.
pub(crate) fn entropy(s: &str) -> f64 {
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
pub(crate) fn high_entropy(t: &str) -> bool {
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
    let hex = t.bytes().all(|b| b.is_ascii_hexdigit());
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
    for n in s.notes.values_mut() {
        n.text = redacted(&n.text);
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entropy_of_simple_strings() {
        assert_eq!(entropy("aaaa"), 0.0);
        assert!((entropy("ab") - 1.0).abs() < 1e-9);
    }

    /// The work `redact` does on `text`, in the detectors' own units (bytes looked at and
    /// interval look-ups).
    fn work(text: &str) -> u64 {
        STEPS.with(|s| s.set(0));
        let _ = redact(text);
        STEPS.with(|s| s.get())
    }

    /// Hostile texts: each was quadratic (or worse) at some point, 1 MB of `password=` took
    /// 42 s. Doubling the input must at most about double the work: a quadratic scan quadruples
    /// it. Work is counted, not timed, so the test does not depend on the machine.
    #[test]
    fn the_scan_is_linear_on_hostile_text() {
        let pem = "-----BEGIN RSA PRIVATE KEY-----…[REDACTED private-key] ";
        let patterns: &[(&str, &str)] = &[
            ("password= repeated", "password="),
            ("rejected values", "password=<"),
            ("trailing dots", "password=x."),
            ("colon assignments", "token:ab "),
            ("many findings", "AKIAIOSFODNN7EXAMPLE "),
            ("JWT prefixes that fail", "-eyJ"),
            ("Slack prefixes that fail", "-xoxb-"),
            ("GitHub prefixes that fail", "_ghp_"),
            ("PEM headers", "-----BEGIN "),
            ("PEM without footers", "-----BEGIN A PRIVATE KEY----- x"),
            ("redacted PEM blocks", pem),
            ("redactions", "ghp_…[REDACTED github-token]"),
            ("URLs", "a://u:p@"),
            ("URL schemes", "://"),
            ("Basic headers", "Basic "),
            ("Basic non-credentials", "basic dXNlcjpwYXNz/"),
            ("prose", "the password for x is "),
            ("prose values", "password: a"),
            ("quotes", "password='"),
            ("one long token", "a"),
            ("one long base64 token", "dXNlcjpwYXNz"),
            ("spaces", " "),
            ("key with spaces", "password     "),
        ];
        for (what, p) in patterns {
            let unit = 64 * 1024 / p.len();
            let small = work(&p.repeat(unit));
            let large = work(&p.repeat(2 * unit));
            assert!(
                large <= small * 5 / 2 + 64,
                "{what}: {small} steps for 64 KiB, {large} for 128 KiB"
            );
        }
        // And once over a long run for the worst of them: 16 doublings from 16 bytes.
        let small = work(&"password=".repeat(2));
        let large = work(&"password=".repeat(2 << 16));
        assert!(large < small * (2 << 16) * 4, "{small} -> {large}");
    }

    #[test]
    fn prose_values_need_the_shape_of_a_password() {
        for v in [
            "hunter2",
            "S3cr3t!",
            "p@ss!word",
            "Tr0ub4dor&3",
            "482913",
            "2cool4u",
        ] {
            assert!(looks_like_password(v), "{v}");
        }
        for v in [
            "unknown",
            "see",
            "rotated",
            "swordfish",
            "12-char",
            "90days",
            "2fa",
            "2024-03-01",
            "N/A",
            "1234",
            "${X}",
            "$DB_PASS",
            "e-mail",
            "abc",
        ] {
            assert!(!looks_like_password(v), "{v}");
        }
    }
}
