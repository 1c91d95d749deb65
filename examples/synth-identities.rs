//! Writes a synthetic identity-provider export (CSV), for the import's performance work:
//!
//! ```sh
//! cargo run --release --example synth-identities -- --rows 100000 -o /tmp/ids-100k.csv
//! ```
//!
//! See `examples/identities/mod.rs` for its shape and docs/performance.md for the figures.

mod identities;

use std::io::{BufWriter, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;

#[derive(Parser, Debug)]
#[command(about = "Write a synthetic CSV of identities (deterministic for a seed)")]
struct Args {
    /// Number of rows under the header.
    #[arg(long, default_value_t = 10_000)]
    rows: usize,
    /// Seed of the pseudo-random generator.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Where to write the CSV.
    #[arg(long, short = 'o', value_name = "FILE")]
    output: PathBuf,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let written = std::fs::File::create(&args.output).and_then(|f| {
        let mut out = BufWriter::new(f);
        let n = identities::write(args.rows, args.seed, &mut out)?;
        out.flush()?;
        Ok(n)
    });
    match written {
        Ok(n) => {
            eprintln!(
                "wrote {}: {} rows, {n} identities",
                args.output.display(),
                args.rows
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {}: {e}", args.output.display());
            ExitCode::from(1)
        }
    }
}
