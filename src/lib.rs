//! socscope: SOC 1 / SOC 2 scoping workshops in the terminal.
//!
//! The core (questionnaire, session model, engine, export) is plain functions over plain data;
//! `session::store`, `cli` and `tui` are the shell around it.

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
