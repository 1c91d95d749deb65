//! Exports of a recommendation for auditors and stakeholders: Markdown and JSON.

pub mod json;
pub mod markdown;
pub mod mermaid;
