//! Secret scanning and the display sanitiser on hostile input (docs/reliability.md §7 and §8,
//! issue 11 items 9 and 12): `cargo bench --bench secrets`.
//!
//! Each input is a shape that made the old scanner quadratic: 1 MB of `password=` (42 s in the
//! attacker's report), a pasted base64url blob full of `-eyJ` (JWT prefixes that fail; the
//! 180 KB note that froze the app), a 360 KB CSV cell imported as an identity's owner, and
//! many findings in one text. Ordinary prose is measured alongside as the baseline. The scan
//! is linear: these run at tens of MB/s.

use std::hint::black_box;

use chrono::NaiveDate;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

use socscope::import::{self, Mapping, Options};
use socscope::questionnaire;
use socscope::secrets;
use socscope::session::Session;
use socscope::text;

/// `unit` repeated to about `bytes` bytes.
fn fill(unit: &str, bytes: usize) -> String {
    unit.repeat(bytes / unit.len())
}

fn bench(c: &mut Criterion) {
    let texts = [
        ("password=_1MB", fill("password=", 1 << 20)),
        ("base64url_note_180KB", fill("-eyJ", 180 << 10)),
        ("slack_prefixes_360KB", fill("-xoxb-", 360 << 10)),
        ("aws_keys_1MB", fill("AKIAIOSFODNN7EXAMPLE ", 1 << 20)),
        (
            "prose_1MB",
            fill(
                "The password policy is 90 days; the admin password is S3cr3t! and the CI \
                 token lives in https://docs.example.com/runbooks. ",
                1 << 20,
            ),
        ),
    ];
    let mut g = c.benchmark_group("secrets");
    for (name, text) in &texts {
        g.throughput(Throughput::Bytes(text.len() as u64));
        g.bench_function(*name, |b| b.iter(|| secrets::redact(black_box(text))));
    }

    // The import of a CSV whose owner cell is 360 KB of `password=`: the plan redacts the
    // cell where it is shown and where it is stored.
    let q = questionnaire::builtin().expect("built-in questionnaire");
    let s = Session::new(&q, "Bench", chrono::Utc::now());
    let csv = format!(
        "User,Type,Manager\nci-bot,service account,{}\n",
        fill("password=", 360 << 10)
    );
    let opts = Options {
        today: NaiveDate::from_ymd_opt(2026, 12, 1).expect("date"),
        overwrite: false,
        skip_bad_rows: false,
    };
    g.throughput(Throughput::Bytes(csv.len() as u64));
    g.bench_function("import_plan_360KB_cell", |b| {
        b.iter(|| {
            let plan = import::plan(&q, &s, "x.csv", black_box(&csv), &Mapping::default(), &opts)
                .expect("plans");
            import::render_plan(&q, &plan)
        })
    });
    g.finish();

    // The one sanitiser every line toward a terminal goes through, on text made of what it
    // removes (escapes, C1 controls, bidi and zero-width characters) and of wide characters.
    let hostile = fill(
        "ok \u{1b}]52;c;SGVsbG8=\u{7}\u{9b}2J\u{202e}\u{200b}日本e\u{301} ",
        1 << 20,
    );
    let json = serde_json::to_string(&hostile).expect("serialises");
    let mut g = c.benchmark_group("text");
    g.throughput(Throughput::Bytes(hostile.len() as u64));
    g.bench_function("clean_1MB", |b| b.iter(|| text::clean(black_box(&hostile))));
    g.bench_function("clean_multiline_1MB", |b| {
        b.iter(|| text::clean_multiline(black_box(&hostile)))
    });
    g.bench_function("json_safe_1MB", |b| {
        b.iter(|| text::json_safe(black_box(&json)))
    });
    g.bench_function("truncate_middle_1MB_to_40", |b| {
        b.iter(|| text::truncate_middle(black_box(&hostile), 40))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
