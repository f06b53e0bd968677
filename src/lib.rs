//! The engine behind the `remediate` command, as a library so that tests
//! (the property harness in `tests/`) can drive it in-process. The binary in
//! `main.rs` is a thin layer over these modules.

pub mod cache;
pub mod call;
pub mod cli;
pub mod config;
pub mod edit;
pub mod engine;
pub mod imports;
pub mod lock;
pub mod models;
pub mod notebook;
pub mod output;
pub mod pin_file;
pub mod prefilter;
pub mod rules;
pub mod run;
pub mod source;
pub mod summary;
pub mod suppress;
pub mod walk;
pub mod write;
