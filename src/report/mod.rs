//! What the recommendation says, in words: the one place a decision is worded for people
//! (`wording`), and the readable summary kept in the session file (`summary`). Pure.

pub mod memo;
pub mod notes;
pub mod summary;
pub(crate) mod wording;
