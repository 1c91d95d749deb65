//! Synthetic identity-provider exports for the import's performance work, shared by
//! `examples/synth-identities.rs`, `benches/import.rs` and `tests/import.rs` (with `#[path]`).
//!
//! `rows` CSV rows in the shape of an Okta/Entra export: about 70 % of identities have one row,
//! the others one row per grant (2-4 rows that agree on everything but system and role), and
//! some of those grant rows come at the end of the file, far from the identity's first row.
//! Systems come from a shared pool. Deterministic for a seed (splitmix64).

#![allow(dead_code)]

use std::io::{self, Write};

pub const HEADER: &str = "User,Type,Manager,Applications,Role,Password Last Changed,Last Reviewed,MFA Enabled,Department";

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// Writes a CSV of `rows` rows (plus the header) to `out`; returns the number of identities.
pub fn write(rows: usize, seed: u64, out: &mut impl Write) -> io::Result<usize> {
    let mut rng = Rng(seed);
    // Shared systems: about one per 200 rows, at least 20.
    let systems = (rows / 200).max(20);
    writeln!(out, "{HEADER}")?;
    let mut written = 0;
    let mut identities = 0;
    let mut later: Vec<String> = Vec::new();
    while written + later.len() < rows {
        let n = identities;
        identities += 1;
        let grants = match rng.below(10) {
            0..=6 => 1,
            7 | 8 => 2,
            _ => 3 + rng.below(2),
        }
        .min(rows - written - later.len());
        let (name, kind, owner, rotated, mfa) = match rng.below(10) {
            0..=5 => (
                format!("user{n}@example.com"),
                "employee",
                String::new(),
                "",
                "yes",
            ),
            6 => (
                format!("ext{n}@partner.example"),
                "contractor",
                String::new(),
                "",
                "no",
            ),
            7 | 8 => (
                format!("svc-{n}"),
                "Service account",
                format!("Owner {}", n % 97),
                "2025-11-02",
                "",
            ),
            _ => (
                format!("key-{n}"),
                "API key",
                if n % 3 == 0 {
                    "none".into()
                } else {
                    format!("Team {}", n % 13)
                },
                "412d",
                "",
            ),
        };
        let reviewed = ["2026-09-30", "never", "2025-01-15", ""][rng.below(4)];
        let dept = ["Finance", "Platform", "Sales", "Support"][rng.below(4)];
        for g in 0..grants {
            let system = format!("App {}", rng.below(systems));
            let role = ["read", "write", "admin", "ReadOnlyAccess", "Contributor"][rng.below(5)];
            let row =
                format!("{name},{kind},{owner},{system},{role},{rotated},{reviewed},{mfa},{dept}");
            if g > 0 && rng.below(3) == 0 {
                later.push(row);
            } else {
                writeln!(out, "{row}")?;
                written += 1;
            }
        }
    }
    for row in later {
        writeln!(out, "{row}")?;
    }
    Ok(identities)
}

/// The CSV as a string.
pub fn csv(rows: usize, seed: u64) -> String {
    let mut out = Vec::new();
    write(rows, seed, &mut out).expect("writing to memory");
    String::from_utf8(out).expect("the generator writes UTF-8")
}
