//! socscope: SOC 1 / SOC 2 scoping workshops in the terminal.
//!
//! The core (questionnaire, session model, engine, export) is plain functions over plain data;
//! `session::store`, `workshop` and the front-ends (`cli`, `tui`, `plain`) are the shell around it
//! (docs/architecture.md; tests/architecture.rs checks the layers).
//!
//! Items are `pub(crate)` unless the binary, the tests, the benchmarks, the examples or the fuzz
//! targets use them; docs/architecture.md, "What is public", lists what stays public and why.

pub mod cli;
pub mod diff;
pub mod engine;
pub mod export;
pub mod import;
pub mod merge;
pub mod plain;
pub mod questionnaire;
pub mod report;
pub mod secrets;
pub mod session;
pub mod text;
pub mod tui;
pub mod vocab;
pub mod workshop;
