//! Fixes as plain data (`edit`): byte ranges of the decoded text and their
//! replacements, applied by one engine.

pub mod edit;
