//! Inventory import at scale (docs/performance.md, issue 11 item 13): `cargo bench --bench import`.
//!
//! Synthetic identity-provider exports (`examples/identities/mod.rs`: about 0.69 identities per
//! row, a share of them on several rows far apart) planned against an empty session, streamed
//! from a reader as `socscope import` does, then applied (`plan_and_apply`); the preview of
//! the plan (`preview`) and saving the imported session (`save`). The old import looked names up in
//! lists and was quadratic (100,000 rows took 386 s); the figures here grow with the rows.
//! End-to-end figures (`socscope import` with its recommendation and save, time and peak RSS)
//! are in docs/performance.md.

#[path = "../examples/identities/mod.rs"]
mod identities;

use std::hint::black_box;
use std::ops::ControlFlow;

use chrono::{NaiveDate, TimeZone, Utc};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};

use socscope::import::{self, Csv, Mapping, Options};
use socscope::questionnaire;
use socscope::session::{Session, store};

/// Counts what is written, and keeps none of it.
struct Discard(usize);

impl std::fmt::Write for Discard {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        self.0 += s.len();
        Ok(())
    }
}

fn bench(c: &mut Criterion) {
    let q = questionnaire::builtin().expect("built-in questionnaire");
    let now = Utc
        .with_ymd_and_hms(2026, 12, 1, 12, 0, 0)
        .single()
        .expect("time");
    let opts = Options {
        today: NaiveDate::from_ymd_opt(2026, 12, 1).expect("date"),
        overwrite: false,
        skip_bad_rows: false,
    };
    let mut g = c.benchmark_group("import");
    g.sample_size(10);
    for rows in [10_000usize, 100_000] {
        let csv = identities::csv(rows, 42);
        g.throughput(Throughput::Elements(rows as u64));
        g.bench_with_input(BenchmarkId::new("plan_and_apply", rows), &csv, |b, csv| {
            b.iter(|| {
                let mut s = Session::new(&q, "Bench", now);
                let plan = import::plan_from(
                    &q,
                    &s,
                    Csv::text("ids.csv", black_box(csv)),
                    &Mapping::default(),
                    &opts,
                    &mut |_| ControlFlow::Continue(()),
                )
                .expect("a good file");
                import::apply(&q, &plan, &mut s, now);
                s.identities.len()
            })
        });
        // The preview of the plan (past 1,000 identities one line per 1,000), and saving the
        // imported session, written entry by entry into the atomic write's temporary file.
        let mut s = Session::new(&q, "Bench", now);
        let plan =
            import::plan(&q, &s, "ids.csv", &csv, &Mapping::default(), &opts).expect("a good file");
        g.bench_with_input(BenchmarkId::new("preview", rows), &plan, |b, plan| {
            b.iter(|| {
                let mut out = Discard(0);
                import::write_plan(&q, black_box(plan), "use --overwrite", &mut out)
                    .expect("written");
                out.0
            })
        });
        import::apply_owned(&q, plan, &mut s, now);
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("imported.toml");
        g.bench_with_input(BenchmarkId::new("save", rows), &s, |b, s| {
            b.iter(|| {
                store::save_with(&path, black_box(s), None)
                    .expect("saved")
                    .bytes
            })
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
