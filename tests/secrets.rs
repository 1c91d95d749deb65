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
        // Issue 11, item 10: forms an attacker found stored raw.
        (
            "publish with npm_4wzXq8Lr2TbN6yHc0PvJ3mKd9sFgA1eRt5Uo from CI".into(),
            "npm_4wzXq8Lr2TbN6yHc0PvJ3mKd9sFgA1eRt5Uo",
            SecretKind::NpmToken,
            "npm_",
        ),
        (
            "signing key:\n-----BEGIN PGP PRIVATE KEY BLOCK-----\nVersion: GnuPG v2\n\nlQOYBGRkZWYBCADQ3k1\n=Zx9q\n-----END PGP PRIVATE KEY BLOCK-----\nkept offline".into(),
            "-----BEGIN PGP PRIVATE KEY BLOCK-----\nVersion: GnuPG v2\n\nlQOYBGRkZWYBCADQ3k1\n=Zx9q\n-----END PGP PRIVATE KEY BLOCK-----",
            SecretKind::PrivateKey,
            "-----BEGIN PGP PRIVATE KEY BLOCK-----",
        ),
        (
            "clone https://deploy:Zq8x-pass@git.example.com/payroll.git".into(),
            "Zq8x-pass",
            SecretKind::UrlPassword,
            "",
        ),
        (
            "curl -H 'Authorization: Basic c3ZjLWRlcGxveTpXaW50M3IhMjAyNg==' https://api".into(),
            "c3ZjLWRlcGxveTpXaW50M3IhMjAyNg==",
            SecretKind::BasicAuth,
            "",
        ),
        (
            "Authorization: Bearer 7Fq2xLm9Pz4Kc8".into(),
            "7Fq2xLm9Pz4Kc8",
            SecretKind::BearerToken,
            "",
        ),
        (
            "root password: hunter2".into(),
            "hunter2",
            SecretKind::Assignment,
            "",
        ),
        (
            "the admin password is S3cr3t! (ask Dana)".into(),
            "S3cr3t!",
            SecretKind::Assignment,
            "",
        ),
        (
            "password for prod is Pr0d#2026.".into(),
            "Pr0d#2026",
            SecretKind::Assignment,
            "",
        ),
        (
            "The API key for the billing sandbox: 'correct horse battery'".into(),
            "correct horse battery",
            SecretKind::Assignment,
            "",
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
    // Prose about passwords that holds none (the other side of the prose forms).
    "the password policy is 90 days",
    "password: unknown",
    "Password: see vault",
    "Passwords are rotated every 90 days.",
    "The password for the database is stored in Vault.",
    "The admin password is rotated by the platform team",
    "password: 14 characters minimum, 12-char for service accounts",
    "Last password change: 2024-03-01",
    "root password: N/A (key-based login only)",
    "password: $DB_PASSWORD",
    "the token is rotated quarterly",
    "Secret: yes, in 1Password",
    // URLs and headers without credentials.
    "ssh://git@github.com/paywell/payroll.git",
    "postgres://app@db.internal:5432/payroll",
    "https://docs.example.com:8443/runbooks?page=2",
    "https://user:${DB_PASSWORD}@db.internal",
    "Basic authentication is disabled on the admin portal",
    "Bearer tokens expire after one hour",
    "Authorization: Bearer <token>",
    "npm_config_cache is set in CI",
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

/// What a run of the binary printed, stdout then stderr.
fn printed(out: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

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
        let all = printed(&out);
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

// ---------------------------------------------------------------------------------------------
// issue 11, item 10: the new forms in detail, names, the import preview

#[test]
fn url_credentials_lose_only_the_password() {
    for (text, want) in [
        (
            "postgres://app:Tr1cky-P4ss@db.internal:5432/payroll",
            "postgres://app:…[REDACTED url-password]@db.internal:5432/payroll",
        ),
        (
            "see https://user:pass@host/x and ftp://ops:p@ss:w0rd@files.example.com",
            "see https://user:…[REDACTED url-password]@host/x and ftp://ops:…[REDACTED url-password]@files.example.com",
        ),
        (
            "jdbc:mysql://root:hunter2@10.0.0.5/db?ssl=true",
            "jdbc:mysql://root:…[REDACTED url-password]@10.0.0.5/db?ssl=true",
        ),
    ] {
        assert_eq!(secrets::redacted(text), want, "{text}");
    }
}

#[test]
fn passwords_in_prose_are_redacted() {
    for (text, secret) in [
        ("root password: hunter2", "hunter2"),
        ("Root Password:  hunter2\nnext line", "hunter2"),
        ("the admin password is S3cr3t!", "S3cr3t!"),
        ("password for prod is Pr0d-2026", "Pr0d-2026"),
        ("The password for the prod db: W1nter#26", "W1nter#26"),
        (
            "VPN passphrase was \"blue horse staple\"",
            "blue horse staple",
        ),
        ("the secret is 8c1f33ab-k9", "8c1f33ab-k9"),
        ("token for the staging API is tk4Xb9Lq", "tk4Xb9Lq"),
        ("door pwd: 482913.", "482913"),
    ] {
        let (out, found) = secrets::redact(text);
        assert_eq!(
            found.iter().map(|f| f.kind).collect::<Vec<_>>(),
            vec![SecretKind::Assignment],
            "{text}"
        );
        assert!(!out.contains(secret), "{text} -> {out}");
        assert_eq!(&text[found[0].start..found[0].end], secret);
    }
}

#[test]
fn authorization_headers_are_redacted_and_the_scheme_kept() {
    let text = "Authorization: Basic dXNlcjpwYXNzd29yZA==\nauthorization: bearer ghx9Qv2Lm8Tz4Kw7";
    let out = secrets::redacted(text);
    assert_eq!(
        out,
        "Authorization: Basic …[REDACTED basic-auth]\nauthorization: bearer …[REDACTED bearer-token]"
    );
}

const GH_NAME: &str = "ci-bot ghp_16C7e42F292c6912E7710c838347Ae178B4a";

/// Issue 11, item 10: a GitHub token in an identity name (and AWS keys in other names) reached
/// the session file and its backup.
#[test]
fn secrets_in_names_never_reach_the_session_file_or_its_backup() {
    let q = socscope::questionnaire::builtin().expect("builtin");
    let now = Utc.with_ymd_and_hms(2026, 1, 2, 3, 4, 5).unwrap();
    let mut s = Session::new(&q, &format!("Paywell {AWS}"), now);
    let id = s.add_identity(GH_NAME, now);
    assert_eq!(
        s.identity(&id).unwrap().name,
        "ci-bot ghp_…[REDACTED github-token]"
    );
    let sys = s.add_system(&format!("billing {AWS}"), now);
    let other = s.add_identity("plain name", now);
    s.rename(&EntityId::Identity(other), &format!("renamed {GH}"), now);
    assert!(!format!("{s:?}").contains(GH) && !format!("{s:?}").contains(AWS));
    // Fields set directly (as the app's details screen does) are redacted when written.
    s.workshop.facilitator = format!("Dana {GH}");
    s.workshop.participants = vec![format!("Lee {AWS}"), "Sam".into()];
    s.systems[0].name = format!("set directly {GH}");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("names.toml");
    socscope::workshop::save(&path, &s, &q).unwrap();
    socscope::workshop::save(&path, &s, &q).unwrap();
    for file in [path.clone(), store::backup_path(&path)] {
        let text = std::fs::read_to_string(&file).unwrap();
        assert!(
            !text.contains("16C7e42F292c") && !text.contains("IOSFODNN7EXAMPLE"),
            "{}:\n{text}",
            file.display()
        );
        assert!(
            text.contains("ci-bot ghp_…[REDACTED github-token]"),
            "{text}"
        );
    }
    let (back, _) = store::open(&path, &q).unwrap();
    assert_eq!(
        back.system(&sys).unwrap().name,
        "set directly ghp_…[REDACTED github-token]"
    );
    assert_eq!(back.workshop.participants[1], "Sam");
}

#[test]
fn the_app_redacts_names_and_details_and_says_so() {
    use socscope::tui::action::Action;
    use socscope::tui::app::{App, DetailField, EditTarget, Editor, Modal, Screen};
    use socscope::tui::update::update;
    let q = socscope::questionnaire::builtin().unwrap();
    let s = Session::new(&q, "Paywell", Utc::now());
    let mut app = App::new(q, socscope::tui::theme::Theme { color: false });
    let dir = tempfile::tempdir().unwrap();
    app.install(s, dir.path().join("app.toml"), Screen::Inventory);
    for target in [
        EditTarget::AddIdentity,
        EditTarget::Field(DetailField::Facilitator),
    ] {
        app.modal = Some(Modal::Editor(Box::new(Editor::new(target, "x", "", false))));
        update(&mut app, Action::Paste(GH_NAME.into()));
        update(&mut app, Action::EditorCommit);
        let (_, status) = app.status.clone().expect("a status message");
        assert!(
            status.contains("GitHub token") && !status.contains(GH),
            "{status}"
        );
        app.modal = None;
    }
    let s = &app.work.as_ref().unwrap().session;
    assert_eq!(s.identities[0].name, "ci-bot ghp_…[REDACTED github-token]");
    assert_eq!(
        s.workshop.facilitator,
        "ci-bot ghp_…[REDACTED github-token]"
    );
}

#[test]
fn plain_mode_and_new_never_store_or_echo_a_secret_in_a_name() {
    let dir = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_socscope"))
        .args(["new", "--plain", "--organisation", &format!("Paywell {GH}")])
        .env("SOCSCOPE_DATA_DIR", dir.path())
        .env("ACCESSIBLE", "1")
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    let all = printed(&out);
    assert!(!all.contains(GH), "{all}");
    let mut files = 0;
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().to_lowercase();
        assert!(!name.contains("16c7e42f292c"), "{name}");
        if name.ends_with(".toml") {
            let text = std::fs::read_to_string(&path).unwrap();
            assert!(!text.contains(GH), "{text}");
            assert!(
                text.contains("Paywell ghp_…[REDACTED github-token]"),
                "{text}"
            );
            files += 1;
        }
    }
    assert_eq!(files, 1, "{all}");
}

const CSV: &str = "User,Type,Manager,Applications\n\
    ci-bot ghp_16C7e42F292c6912E7710c838347Ae178B4a,service account,Dana AKIAIOSFODNN7EXAMPLE,billing AKIAIOSFODNN7EXAMPLE\n\
    alice,robot ghp_16C7e42F292c6912E7710c838347Ae178B4a,,\n";

/// Issue 11, item 10: the import preview printed raw CSV values, secrets included.
#[test]
fn the_import_preview_and_its_errors_never_show_a_secret() {
    use socscope::import::{self, Mapping, Options};
    let q = socscope::questionnaire::builtin().unwrap();
    let now = Utc.with_ymd_and_hms(2026, 1, 2, 3, 4, 5).unwrap();
    let s = Session::new(&q, "Paywell", now);
    let opts = Options {
        today: now.date_naive(),
        overwrite: false,
        skip_bad_rows: true,
    };
    let leaks = |t: &str| t.contains("16C7e42F292c") || t.contains("IOSFODNN7EXAMPLE");
    // The second row's kind is unknown: an error that quotes the cell.
    let strict = Options {
        skip_bad_rows: false,
        ..opts
    };
    let err = import::plan(&q, &s, "users.csv", CSV, &Mapping::default(), &strict)
        .expect_err("a bad row");
    assert!(err.to_string().contains("unknown kind"), "{err}");
    assert!(!leaks(&err.to_string()), "{err}");
    let plan = import::plan(&q, &s, "users.csv", CSV, &Mapping::default(), &opts)
        .unwrap_or_else(|e| panic!("{e}"));
    let text = format!(
        "{}{}",
        plan.mapping.render(),
        import::render_plan(&q, &plan)
    );
    assert!(!leaks(&text), "{text}");
    assert!(
        text.contains("ci-bot ghp_…[REDACTED github-token]"),
        "{text}"
    );
    assert!(!leaks(&import::first_row(CSV).join(",")));
    // Applied and saved: no secret in the file; importing again updates the same identity.
    let mut s2 = s.clone();
    import::apply(&q, &plan, &mut s2, now);
    let again = import::plan(&q, &s2, "users.csv", CSV, &Mapping::default(), &opts).unwrap();
    assert!(again.identities.iter().all(|i| i.existing.is_some()));
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("imported.toml");
    socscope::workshop::save(&path, &s2, &q).unwrap();
    let saved = std::fs::read_to_string(&path).unwrap();
    assert!(!leaks(&saved), "{saved}");
    // The app's preview (its text and the sample column) and the command line's dry run.
    let preview = socscope::tui::app::ImportPreview::new(
        dir.path().join("users.csv"),
        CSV.to_string(),
        now.date_naive(),
        &q,
        &s,
    );
    assert!(!leaks(&preview.text) && !leaks(&preview.sample.join(",")));
    let csv = dir.path().join("users.csv");
    std::fs::write(&csv, CSV).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_socscope"))
        .arg("import")
        .arg(&path)
        .arg("--identities")
        .arg(&csv)
        .args(["--dry-run", "--skip-bad-rows"])
        .env("SOCSCOPE_DATA_DIR", dir.path())
        .output()
        .unwrap();
    let all = printed(&out);
    assert!(out.status.success(), "{all}");
    assert!(!leaks(&all), "{all}");
}

// ---------------------------------------------------------------------------------------------
// properties (docs/reliability.md §6 and §8)

use proptest::prelude::*;

/// Text made of pieces the detectors react to, so the odd corners are reached often.
fn secretish() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            Just("password".to_string()),
            Just("Token".to_string()),
            Just("=".to_string()),
            Just(":".to_string()),
            Just(" ".to_string()),
            Just("\n".to_string()),
            Just(" is ".to_string()),
            Just(" for prod ".to_string()),
            Just("'".to_string()),
            Just("\"".to_string()),
            Just("://".to_string()),
            Just("@".to_string()),
            Just("Basic ".to_string()),
            Just("Bearer ".to_string()),
            Just("dXNlcjpwYXNz".to_string()),
            Just("-----BEGIN RSA PRIVATE KEY-----".to_string()),
            Just("-----END RSA PRIVATE KEY-----".to_string()),
            Just("-----BEGIN PGP PRIVATE KEY BLOCK-----".to_string()),
            Just(secrets::MARKER.to_string()),
            Just("…[REDACTED github-token]".to_string()),
            Just("…[REDACTED credential]".to_string()),
            Just("…[REDACTED high-entropy-string]".to_string()),
            Just("ghp_".to_string()),
            Just("AKIA".to_string()),
            Just("eyJ".to_string()),
            Just("xoxb-".to_string()),
            Just("npm_".to_string()),
            Just(GH.to_string()),
            Just(AWS.to_string()),
            Just("q8Zr2LmX9vT4bN7kP1sW3yHc".to_string()),
            "[A-Za-z0-9_./+=-]{0,24}",
            "[a-z]{1,8}[0-9]{1,3}[!#]?",
            any::<char>().prop_map(String::from),
        ],
        0..40,
    )
    .prop_map(|v| v.concat())
}

/// Ordinary words: no digits, capitals, `=`, `:` or `_`, so nothing in them is a secret.
fn noise() -> impl Strategy<Value = String> {
    prop::collection::vec("[a-z]{1,8}[,.]?", 0..6).prop_map(|w| w.join(" "))
}

/// A secret in one of the recognised forms: (the text, the part that must not survive).
fn planted() -> impl Strategy<Value = (String, String)> {
    let b64 = |s: &str| {
        use base64::Engine as _;
        base64::engine::general_purpose::STANDARD.encode(s)
    };
    prop_oneof![
        "[A-Z0-9]{16}".prop_map(|b| (format!("AKIA{b}"), b)),
        "[A-Za-z0-9]{36}".prop_map(|b| (format!("ghp_{b}"), b)),
        ("[0-9]{10}", "[A-Za-z0-9]{12}").prop_map(|(a, b)| (format!("xoxb-{a}-{b}"), b)),
        "[A-Za-z0-9]{24}".prop_map(|b| (format!("sk_live_{b}"), b)),
        "[A-Za-z0-9]{36}".prop_map(|b| (format!("npm_{b}"), b)),
        "[A-Za-z0-9!#%]{6,20}".prop_map(|v| (format!("password={v}x"), format!("{v}x"))),
        "[A-Za-z0-9]{6,16}".prop_map(|p| (
            format!("https://ops:{p}@host.example.com/x"),
            format!(":{p}@")
        )),
        "[a-z]{4,8}:[A-Za-z0-9!]{6,12}".prop_map(move |c| {
            let e = b64(&c);
            (format!("Authorization: Basic {e}"), e)
        }),
        "[a-z]{3,8}[0-9]{1,3}".prop_map(|v| (format!("root password: {v}"), v)),
        "[a-z]{3,8}[0-9]{1,3}!".prop_map(|v| (format!("the password for prod is {v}"), v)),
        "[A-Za-z0-9]{20,60}".prop_map(|b| (
            format!("-----BEGIN RSA PRIVATE KEY-----\n{b}\n-----END RSA PRIVATE KEY-----"),
            b
        )),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, failure_persistence: None, ..ProptestConfig::default() })]

    /// Redacting twice changes nothing; findings are in order, apart, on char boundaries and
    /// never carry more of the secret than the prefix shown; each redaction adds a bounded
    /// number of bytes.
    #[test]
    fn redaction_is_final_and_bounded(text in secretish()) {
        let (out, found) = secrets::redact(&text);
        let again = secrets::scan(&out);
        prop_assert!(again.is_empty(), "{text:?} -> {out:?} still has {again:?}");
        let mut at = 0;
        for f in &found {
            prop_assert!(at <= f.start && f.start < f.end && f.end <= text.len(), "{found:?}");
            prop_assert!(text.is_char_boundary(f.start) && text.is_char_boundary(f.end));
            at = f.end;
            let shown = f.redacted.split(secrets::MARKER).next().unwrap_or_default();
            prop_assert!(text[f.start..f.end].starts_with(shown), "{f:?}");
            prop_assert!(shown.len() <= 40, "{f:?}");
        }
        prop_assert!(out.len() <= text.len() + found.len() * (secrets::MARKER.len() + 20));
    }

    /// A planted secret amid ordinary words is always found, and nothing of it survives.
    #[test]
    fn every_planted_secret_is_redacted(
        parts in prop::collection::vec((noise(), planted()), 1..5),
        tail in noise(),
    ) {
        let mut text = String::new();
        for (words, (secret, _)) in &parts {
            text.push_str(words);
            text.push(' ');
            text.push_str(secret);
            text.push(' ');
        }
        text.push_str(&tail);
        let (out, found) = secrets::redact(&text);
        prop_assert!(found.len() >= parts.len(), "{text:?}: {found:?}");
        for (_, (_, hidden)) in &parts {
            prop_assert!(!out.contains(hidden.as_str()), "{hidden:?} survived: {out:?}");
        }
    }
}
