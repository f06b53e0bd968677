//! The engine behind the `remediate` command, as a library so that tests
#![warn(unreachable_pub)]
//! (the property harness in `tests/`) can drive it in-process. The binary in
//! `main.rs` is a thin layer over these modules.

pub mod checkpoints;
pub mod cli;
pub mod commands;
pub mod config;
pub mod fix;
pub mod notebook;
pub mod output;
pub(crate) mod pins;
pub mod pipeline;
pub mod python;
pub mod report;
pub mod rules;
