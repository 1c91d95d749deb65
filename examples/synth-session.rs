//! Writes a synthetic session on the built-in questionnaire, for performance work:
//!
//! ```sh
//! cargo run --release --example synth-session -- --systems 1000 --identities 10000 \
//!     --links-per-identity 3 --answered 80 -o /tmp/synth-L.toml [--seed 42]
//! ```
//!
//! The file is a real session (socscope's own model, saved with `store::save_with`), the same
//! for the same arguments and seed. See docs/performance.md.

mod synth;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use clap::Parser;

use socscope::engine;
use socscope::session::store;

#[derive(Parser, Debug)]
#[command(about = "Write a synthetic socscope session (deterministic for a seed)")]
struct Args {
    /// Number of systems.
    #[arg(long, default_value_t = 100)]
    systems: usize,
    /// Number of identities.
    #[arg(long, default_value_t = 1000)]
    identities: usize,
    /// Distinct systems each identity can access (at most the number of systems).
    #[arg(long, default_value_t = 3)]
    links_per_identity: usize,
    /// Percentage of visible questions answered (0-100).
    #[arg(long, default_value_t = 80, value_parser = clap::value_parser!(u32).range(0..=100))]
    answered: u32,
    /// Seed of the pseudo-random generator.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Where to write the session.
    #[arg(long, short = 'o', value_name = "FILE")]
    output: PathBuf,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let q = match socscope::questionnaire::builtin() {
        Ok(q) => q,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(1);
        }
    };
    let spec = synth::Spec {
        systems: args.systems,
        identities: args.identities,
        links_per_identity: args.links_per_identity,
        answered_pct: args.answered,
        seed: args.seed,
    };
    let t = Instant::now();
    let s = synth::generate(&q, &spec);
    let r = engine::recommend(&q, &s);
    if let Err(e) = store::save_with(
        &args.output,
        &s,
        socscope::report::summary::file_summary(&r),
    ) {
        eprintln!("error: {e}");
        return ExitCode::from(1);
    }
    let bytes = std::fs::metadata(&args.output).map_or(0, |m| m.len());
    let links: usize = s.identities.iter().map(|i| i.systems.len()).sum();
    eprintln!(
        "wrote {} ({bytes} bytes) in {:.2?}: {} systems, {} identities, {links} links, \
         {}/{} visible questions answered ({}%), verdict: {}{}",
        args.output.display(),
        t.elapsed(),
        s.systems.len(),
        s.identities.len(),
        r.progress.answered,
        r.progress.total,
        r.progress.percent(),
        r.verdict.label(),
        if r.provisional { " (provisional)" } else { "" },
    );
    ExitCode::SUCCESS
}
