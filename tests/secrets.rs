//! Credential hygiene (docs/reliability.md §8): every supported secret format is found and
//! redacted, normal workshop prose is not, and secrets never reach a saved file by default nor an
//! export even when stored on purpose.

use socscope::secrets::{self, SecretKind};

fn kinds(text: &str) -> Vec<SecretKind> {
    secrets::scan(text).into_iter().map(|f| f.kind).collect()
}

/// (text holding a secret, the secret, its kind, the prefix the redaction keeps)
fn samples() -> Vec<(String, &'static str, SecretKind, &'static str)> {
    vec![
        (
            "key id AKIAIOSFODNN7EXAMPLE in the vault".into(),
            "AKIAIOSFODNN7EXAMPLE",
            SecretKind::AwsAccessKeyId,
            "AKIA",
        ),
        (
            "temporary ASIAY34FZKBOKMUTVV7A".into(),
            "ASIAY34FZKBOKMUTVV7A",
            SecretKind::AwsAccessKeyId,
            "ASIA",
        ),
        (
            "ci uses ghp_16C7e42F292c6912E7710c838347Ae178B4a".into(),
            "ghp_16C7e42F292c6912E7710c838347Ae178B4a",
            SecretKind::GitHubToken,
            "ghp_",
        ),
        (
            "oauth gho_16C7e42F292c6912E7710c838347Ae178B4a.".into(),
            "gho_16C7e42F292c6912E7710c838347Ae178B4a",
            SecretKind::GitHubToken,
            "gho_",
        ),
        (
            "app ghs_16C7e42F292c6912E7710c838347Ae178B4a".into(),
            "ghs_16C7e42F292c6912E7710c838347Ae178B4a",
            SecretKind::GitHubToken,
            "ghs_",
        ),
        (
            "pat github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyzABCDEF".into(),
            "github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyzABCDEF",
            SecretKind::GitHubToken,
            "github_pat_",
        ),
        (
            "bot xoxb-2345678901-2345678901234-AbCdEfGhIjKlMnOpQrStUvWx".into(),
            "xoxb-2345678901-2345678901234-AbCdEfGhIjKlMnOpQrStUvWx",
            SecretKind::SlackToken,
            "xoxb-",
        ),
        (
            "user token xoxp-1234567890-0987654321".into(),
            "xoxp-1234567890-0987654321",
            SecretKind::SlackToken,
            "xoxp-",
        ),
        (
            "billing uses sk_live_4eC39HqLyjWDarjtT1zdp7dc".into(),
            "sk_live_4eC39HqLyjWDarjtT1zdp7dc",
            SecretKind::StripeKey,
            "sk_live_",
        ),
        (
            "restricted rk_live_51H8abcdEFGH1234ijkl".into(),
            "rk_live_51H8abcdEFGH1234ijkl",
            SecretKind::StripeKey,
            "rk_live_",
        ),
        (
            "maps key AIzaSyDdI0hCZtE6vySjMm-WEfRq3CPzqKqqsHI".into(),
            "AIzaSyDdI0hCZtE6vySjMm-WEfRq3CPzqKqqsHI",
            SecretKind::GoogleApiKey,
            "AIza",
        ),
        (
            "session eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4ifQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c here".into(),
            "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4ifQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c",
            SecretKind::Jwt,
            "eyJ",
        ),
        (
            "deploy key:\n-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA7bq9\nabcdEFGH\n-----END RSA PRIVATE KEY-----\nrotated yearly".into(),
            "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA7bq9\nabcdEFGH\n-----END RSA PRIVATE KEY-----",
            SecretKind::PrivateKey,
            "-----BEGIN RSA PRIVATE KEY-----",
        ),
        (
            "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n(truncated paste".into(),
            "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n(truncated paste",
            SecretKind::PrivateKey,
            "-----BEGIN OPENSSH PRIVATE KEY-----",
        ),
        (
            "db: password=hunter2!x, host=db1".into(),
            "hunter2!x",
            SecretKind::Assignment,
            "",
        ),
        (
            "DB_PASSWORD = \"correct horse battery\"".into(),
            "correct horse battery",
            SecretKind::Assignment,
            "",
        ),
        (
            "client_secret:s3cr3t-value".into(),
            "s3cr3t-value",
            SecretKind::Assignment,
            "",
        ),
        (
            "https://api.example.com/v1?token=abcd1234efgh&x=1".into(),
            "abcd1234efgh",
            SecretKind::Assignment,
            "",
        ),
        (
            "the webhook signing value is q8Zr2LmX9vT4bN7kP1sW3yHc in the runbook".into(),
            "q8Zr2LmX9vT4bN7kP1sW3yHc",
            SecretKind::HighEntropy,
            "q8Zr",
        ),
        (
            "datadog 9f2c1e7a4b3d6f8e0a1c2b3d4e5f6a7b".into(),
            "9f2c1e7a4b3d6f8e0a1c2b3d4e5f6a7b",
            SecretKind::HighEntropy,
            "9f2c",
        ),
        (
            "aws secret wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY".into(),
            "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
            SecretKind::HighEntropy,
            "wJal",
        ),
    ]
}

#[test]
fn every_supported_format_is_found_and_redacted_with_a_short_prefix() {
    for (text, secret, kind, prefix) in samples() {
        let (out, found) = secrets::redact(&text);
        assert_eq!(
            found.iter().map(|f| f.kind).collect::<Vec<_>>(),
            vec![kind],
            "{text:?}"
        );
        assert!(!out.contains(secret), "{kind:?} not redacted: {out:?}");
        let expected = format!("{prefix}…[REDACTED {}]", kind.id());
        assert!(out.contains(&expected), "{out:?} lacks {expected:?}");
        assert_eq!(&text[found[0].start..found[0].end], secret, "{text:?}");
        // The text around the secret is kept.
        let before = &text[..text.find(secret).unwrap()];
        assert!(out.starts_with(before), "{out:?}");
        // Redaction is final: nothing is found in redacted text.
        assert!(secrets::scan(&out).is_empty(), "{out:?}");
        // Findings never carry the secret.
        assert!(!format!("{found:?}").contains(secret));
    }
}

#[test]
fn several_secrets_in_one_text_are_all_redacted() {
    let text =
        "aws AKIAIOSFODNN7EXAMPLE and gh ghp_16C7e42F292c6912E7710c838347Ae178B4a, pwd=Tr0ub4dor&3";
    let (out, found) = secrets::redact(text);
    assert_eq!(found.len(), 3, "{found:?}");
    assert!(!out.contains("IOSFODNN7EXAMPLE"));
    assert!(!out.contains("16C7e42F292c"));
    assert!(!out.contains("Tr0ub4dor"));
    assert!(secrets::warning(&found).contains("AWS access key id"));
}

/// Ordinary workshop text: names, ids, hosts, dates, prose about credentials.
const PROSE: &[&str] = &[
    "svc-billing",
    "svc-billing-prod-eu-west-1",
    "payroll-engine.internal.example.com",
    "Token: rotated every 90 days by the platform team",
    "Password policy: 14 characters, MFA enforced",
    "The API key is stored in AWS Secrets Manager and rotated quarterly.",
    "Service account ci-deployer-2024 owned by Lee (Engineering)",
    "Since the SOC programme started in Sept 2025",
    "arn:aws:iam::123456789012:role/billing-reader",
    "https://docs.example.com/runbooks/access-review-2025-q3",
    "Okta group: finance-approvers-emea",
    "password=<set in vault>",
    "secret = ${DB_SECRET}",
    "token=***",
    "Ticket SEC-20431, change CHG0034567",
    "2026-11-20T09:00:00Z",
    "Quarterly access review signed off by Dana Reyes (Head of IT)",
    "aws_access_key_id rotated; see INC-2291",
    "C:\\Users\\dana\\Documents\\SOC2-readiness-2025.xlsx",
    "/var/lib/socscope/sessions/paywell-payroll-2026-11-20.toml",
    "AuthenticationService",
    "Kubernetes service account: payments-worker-v2",
];

#[test]
fn ordinary_workshop_text_is_not_flagged() {
    for t in PROSE {
        assert_eq!(kinds(t), vec![], "false positive on {t:?}");
    }
}

#[test]
fn the_example_sessions_have_no_false_positives() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/examples");
    let q = socscope::questionnaire::builtin().expect("builtin");
    let mut checked = 0;
    for entry in std::fs::read_dir(&dir).expect("examples") {
        let path = entry.expect("entry").path();
        if path.extension().is_none_or(|e| e != "toml") {
            continue;
        }
        let (s, _) = socscope::session::store::open(&path, &q).expect("example opens");
        let red = secrets::redact_session(&s);
        assert_eq!(red, s, "{} changed by redaction", path.display());
        // And the whole file text, line by line (comments, recommendation summary included).
        let text = std::fs::read_to_string(&path).expect("read");
        for line in text.lines() {
            if line.starts_with("hash = ") {
                continue; // the questionnaire's content hash is meant to look random
            }
            assert_eq!(kinds(line), vec![], "{}: {line}", path.display());
        }
        checked += 1;
    }
    assert!(checked >= 6, "only {checked} examples");
}

// ---------------------------------------------------------------------------------------------
// the session API, the file, exports

use chrono::{TimeZone, Utc};
use socscope::session::{EntityId, Secrets, Session, Value, store};

const GH: &str = "ghp_16C7e42F292c6912E7710c838347Ae178B4a";
const AWS: &str = "AKIAIOSFODNN7EXAMPLE";

fn session_with_secrets(policy: Secrets) -> (socscope::questionnaire::Questionnaire, Session) {
    let q = socscope::questionnaire::builtin().expect("builtin");
    let now = Utc.with_ymd_and_hms(2026, 1, 2, 3, 4, 5).unwrap();
    let mut s = Session::new(&q, "Paywell", now);
    let eng = EntityId::Engagement;
    let question = q
        .question("customer_base")
        .expect("a text question")
        .clone();
    let found = s
        .set_answer_with(
            &question,
            &eng,
            Value::Text(format!("CI token {GH}")),
            now,
            policy,
        )
        .expect("valid");
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].kind, SecretKind::GitHubToken);
    let found = s.set_note_with(
        "customer_base",
        &eng,
        &format!("key {AWS} in the wiki"),
        now,
        policy,
    );
    assert_eq!(found.len(), 1);
    (q, s)
}

#[test]
fn answers_and_notes_are_redacted_by_default() {
    let (q, s) = session_with_secrets(Secrets::Redact);
    let a = &s.engagement["customer_base"];
    assert_eq!(
        a.value,
        Value::Text("CI token ghp_…[REDACTED github-token]".into())
    );
    assert_eq!(
        a.note.as_deref(),
        Some("key AKIA…[REDACTED aws-access-key-id] in the wiki")
    );
    assert!(!a.secret_override);
    // The plain set_answer / set_note redact too.
    let mut s2 = s.clone();
    let question = q.question("customer_base").unwrap();
    let f = s2
        .set_answer(
            question,
            &EntityId::Engagement,
            Value::Text(format!("password={GH}")),
            a.at,
        )
        .unwrap();
    assert_eq!(f.len(), 1);
    assert!(!format!("{:?}", s2.engagement["customer_base"]).contains("16C7e42F"));
    let f = s2.set_note("customer_base", &EntityId::Engagement, "fine text", a.at);
    assert!(f.is_empty());
    // Nothing secret reaches the file.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.toml");
    socscope::workshop::save(&path, &s, &q).unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(!text.contains(GH) && !text.contains(AWS), "{text}");
    assert!(!text.contains("secret_override"));
}

#[test]
fn kept_as_typed_is_recorded_in_the_file_and_still_never_exported() {
    let (q, s) = session_with_secrets(Secrets::KeepAsTyped);
    let a = &s.engagement["customer_base"];
    assert_eq!(a.value, Value::Text(format!("CI token {GH}")));
    assert!(a.secret_override);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("kept.toml");
    socscope::workshop::save(&path, &s, &q).unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(
        text.contains(GH) && text.contains("secret_override = true"),
        "{text}"
    );
    let (back, _) = store::open(&path, &q).unwrap();
    assert!(back.engagement["customer_base"].secret_override);

    // Every way out of socscope redacts: recommend, recommend --json, export (both formats, to
    // stdout and to a file), the evidence plan.
    let bin = env!("CARGO_BIN_EXE_socscope");
    let file = path.display().to_string();
    let out_md = dir.path().join("out.md");
    for args in [
        vec!["recommend", file.as_str()],
        vec!["recommend", "--json", file.as_str()],
        vec!["export", file.as_str()],
        vec!["export", "--format", "json", file.as_str()],
        vec!["export", "--evidence-plan", file.as_str()],
        vec!["export", file.as_str(), "-o", out_md.to_str().unwrap()],
    ] {
        let out = std::process::Command::new(bin)
            .args(&args)
            .env("SOCSCOPE_DATA_DIR", dir.path())
            .output()
            .unwrap();
        assert!(out.status.success(), "{args:?}: {out:?}");
        let all = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            !all.contains(GH) && !all.contains(AWS),
            "{args:?} leaked:\n{all}"
        );
    }
    let written = std::fs::read_to_string(&out_md).unwrap();
    assert!(!written.contains(GH) && !written.contains(AWS));
    assert!(written.contains("REDACTED github-token"), "{written}");
    // The library-level guarantee the app's export uses.
    let red = secrets::redact_session(&s);
    assert!(!format!("{red:?}").contains(GH));
}

/// The app warns at once: a pasted token in an answer is stored redacted, and the status line
/// says what was found, even after moving on to the next question.
#[test]
fn the_app_redacts_and_warns_in_the_status_line() {
    use socscope::tui::action::Action;
    use socscope::tui::app::{App, Screen};
    let q = socscope::questionnaire::builtin().unwrap();
    let s = Session::new(&q, "Paywell", Utc::now());
    let mut app = App::new(q, socscope::tui::theme::Theme { color: false });
    app.install(
        s,
        std::path::PathBuf::from("/tmp/never-saved.toml"),
        Screen::Questions,
    );
    app.questions.at = Some((EntityId::Engagement, "customer_base".into()));
    socscope::tui::update::update(&mut app, Action::Paste(format!("bot token {GH}")));
    let fx = socscope::tui::update::update(&mut app, Action::EditorCommit);
    assert!(fx.contains(&socscope::tui::update::Effect::Save));
    let stored = &app.work.as_ref().unwrap().session.engagement["customer_base"];
    assert_eq!(
        stored.value,
        Value::Text("bot token ghp_…[REDACTED github-token]".into())
    );
    let (_, status) = app.status.clone().expect("a status message");
    assert!(
        status.contains("GitHub token") && !status.contains(GH),
        "{status}"
    );
}
