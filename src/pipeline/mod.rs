//! The two phases every scanning command runs: find the files (`walk`),
//! read and decode each one (`source`; a notebook's code cells through
//! `document`), skip those no rule can match
//! (`prefilter`), then analyse and fix each file (`engine`) on a pool of
//! threads (`pool`), reusing earlier results (`cache`) and writing fixed
//! files atomically (`write`). `timings` says where the time went.

pub(crate) mod analysis;
pub(crate) mod cache;
pub(crate) mod document;
pub mod engine;
pub(crate) mod index;
pub mod pool;
pub(crate) mod prefilter;
pub mod source;
pub(crate) mod timings;
pub mod walk;
pub mod write;
